/* scn_toolkit — the building blocks scenario types share: lane and junction queries, routes,
 * scripted actors, triggers, LeaveSpaceInFront, speed caps, forced lights and the background
 * traffic of SCENARIOS.md A6. Everything reads the Scenario's map/route/world; nothing allocates
 * after scenario_create. */
#include <math.h>
#include <string.h>
#include "scenario/scn_internal.h"

#define ROUTE_SPACING 1.0f

/* ---- map and route -------------------------------------------------------------------------- */
int scn_build_map(Scenario *s, Err *e) {
    s->map = map_build(&s->mp, e);
    return s->map ? 0 : -1;
}

int scn_route_lanes(Scenario *s, const int *lanes, int n, float s0, float s_end, Err *e) {
    if (s->route_built) route_free(&s->route);
    s->route_built = 0;
    if (route_build(s->map, lanes, n, s0, s_end, ROUTE_SPACING, &s->route, e)) return -1;
    s->route_built = 1;
    return 0;
}

int scn_route_along(Scenario *s, int lane, float s0, float length, Err *e) {
    int lanes[ROUTE_MAX_LANES], n = 0;
    float left = length + s0;
    lanes[n++] = lane;
    while (left > s->map->lanes[lanes[n - 1]].length && n < ROUTE_MAX_LANES) {
        const Lane *l = &s->map->lanes[lanes[n - 1]];
        if (l->n_succ == 0) break;
        left -= l->length;
        lanes[n++] = l->succ[0];
    }
    float s_end = fminf(left, s->map->lanes[lanes[n - 1]].length);
    if (n == 1) s_end = fminf(s0 + length, s->map->lanes[lane].length);
    return scn_route_lanes(s, lanes, n, s0, s_end, e);
}

int scn_route_turn(Scenario *s, int approach, TurnKind turn, float before, float after, Err *e) {
    const Map *m = s->map;
    int conn = scn_connector(m, approach, turn);
    if (conn < 0) return err_set(e, "route %s: approach lane %d has no such turn", s->spec.id, approach);
    int exit = scn_exit_lane(m, conn);
    /* walk back through predecessors for `before` metres */
    int back[ROUTE_MAX_LANES / 2], nb = 0;
    float need = before, s0 = 0.0f;
    int cur = approach;
    for (;;) {
        back[nb++] = cur;
        float len = m->lanes[cur].length;
        if (need <= len || m->lanes[cur].n_pred == 0 || nb == ROUTE_MAX_LANES / 2) {
            s0 = fmaxf(0.0f, len - need);
            break;
        }
        need -= len;
        cur = m->lanes[cur].pred[0];
    }
    int lanes[ROUTE_MAX_LANES], n = 0;
    for (int k = nb - 1; k >= 0; k--) lanes[n++] = back[k];
    lanes[n++] = conn;
    lanes[n++] = exit;
    float left = after;
    while (left > m->lanes[lanes[n - 1]].length && m->lanes[lanes[n - 1]].n_succ > 0 && n < ROUTE_MAX_LANES) {
        left -= m->lanes[lanes[n - 1]].length;
        lanes[n] = m->lanes[lanes[n - 1]].succ[0];
        n++;
    }
    return scn_route_lanes(s, lanes, n, s0, fminf(left, m->lanes[lanes[n - 1]].length), e);
}

int scn_junction_approaches(const Map *m, int junction, int *out, int max) {
    int n = 0;
    for (int i = 0; i < m->n_lanes && n < max; i++) {
        const Lane *l = &m->lanes[i];
        if (l->junction >= 0 || l->kind != LANE_DRIVING) continue;
        for (int k = 0; k < l->n_succ; k++)
            if (m->lanes[l->succ[k]].junction == junction) {
                out[n++] = i;
                break;
            }
    }
    return n;
}

static float lane_end_heading(const Map *m, int lane) {
    const Lane *l = &m->lanes[lane];
    return m->points[l->first_point + l->n_points - 1].heading;
}

ApproachSide scn_approach_side(const Map *m, int ego_approach, int other) {
    /* yaw of the other approach relative to the ego's, in [0, 360) degrees */
    float d = (lane_end_heading(m, other) - lane_end_heading(m, ego_approach)) * 57.29578f;
    d = fmodf(d + 720.0f, 360.0f);
    if (d >= 135.0f && d <= 225.0f) return APPROACH_OPPOSITE;
    if (d >= 30.0f && d < 135.0f) return APPROACH_RIGHT;  /* their heading is rotated left of ours: */
    if (d > 225.0f && d <= 330.0f) return APPROACH_LEFT;  /* they come from our right (and vice versa) */
    return APPROACH_SAME;
}

int scn_connector(const Map *m, int approach, TurnKind turn) {
    const Lane *l = &m->lanes[approach];
    for (int k = 0; k < l->n_succ; k++)
        if (m->lanes[l->succ[k]].junction >= 0 && m->lanes[l->succ[k]].turn == turn) return l->succ[k];
    return -1;
}

int scn_exit_lane(const Map *m, int connector) {
    return m->lanes[connector].n_succ > 0 ? m->lanes[connector].succ[0] : -1;
}

int scn_outer_lane(const Map *m, int lane, int leftmost) {
    int cur = lane;
    for (int guard = 0; guard < 16; guard++) {
        const Lane *l = &m->lanes[cur];
        int nb = leftmost ? l->left : l->right;
        int opp = leftmost ? l->left_opposite : l->right_opposite;
        if (nb < 0 || opp || m->lanes[nb].kind != LANE_DRIVING) break;
        cur = nb;
    }
    return cur;
}

int scn_route_junction(const Scenario *s, int *approach, int *connector) {
    for (int k = 1; k < s->route.n_lanes; k++)
        if (s->map->lanes[s->route.lanes[k]].junction >= 0) {
            if (approach) *approach = s->route.lanes[k - 1];
            if (connector) *connector = s->route.lanes[k];
            return s->map->lanes[s->route.lanes[k]].junction;
        }
    return -1;
}

float scn_route_junction_s(const Scenario *s) {
    for (int i = 0; i < s->route.n; i++)
        if (s->map->lanes[s->route.pts[i].lane].junction >= 0) return s->route.pts[i].s;
    return -1.0f;
}

float scn_route_junction_exit_s(const Scenario *s) {
    int inside = 0;
    for (int i = 0; i < s->route.n; i++) {
        int j = s->map->lanes[s->route.pts[i].lane].junction >= 0;
        if (j) inside = 1;
        else if (inside) return s->route.pts[i].s;
    }
    return -1.0f;
}

int scn_approach_at(const Map *m, int junction, float bearing_deg, int leftmost) {
    int appr[64], n = scn_junction_approaches(m, junction, appr, 64), best = -1;
    float best_d = 1e9f;
    const Junction *jn = &m->junctions[junction];
    for (int k = 0; k < n; k++) {
        const Lane *l = &m->lanes[appr[k]];
        const LanePoint *end = &m->points[l->first_point + l->n_points - 1];
        float b = atan2f(end->y - jn->cy, end->x - jn->cx) * 57.29578f;
        float d = fabsf(fmodf(b - bearing_deg + 540.0f, 360.0f) - 180.0f);
        if (d < best_d - 20.0f) best_d = d, best = appr[k];
    }
    return best < 0 ? -1 : scn_outer_lane(m, best, leftmost);
}

void scn_route_pose(const Scenario *s, float rs, float *x, float *y, float *h, int *lane, float *lane_s) {
    const Route *r = &s->route;
    int i = (int)floorf(rs / ROUTE_SPACING);
    i = i < 0 ? 0 : i >= r->n ? r->n - 1 : i;
    while (i + 1 < r->n && r->pts[i + 1].s <= rs) i++;
    while (i > 0 && r->pts[i].s > rs) i--;
    const RoutePoint *p = &r->pts[i];
    if (x) *x = p->x;
    if (y) *y = p->y;
    if (h) *h = p->heading;
    if (lane) *lane = p->lane;
    if (lane_s) {
        LaneProj pr;
        map_project(s->map, p->lane, p->x, p->y, -1, &pr);
        *lane_s = pr.s;
    }
}

void scn_lane_point(const Map *m, int lane, float ls, float lat, float *x, float *y, float *h) {
    float px, py, ph;
    map_lane_pose(m, lane, ls, &px, &py, &ph);
    *x = px - sinf(ph) * lat;
    *y = py + cosf(ph) * lat;
    if (h) *h = ph;
}

/* ---- actors ------------------------------------------------------------------------------- */
int scn_add_actor(Scenario *s, const Actor *a) {
    if (s->st.n_actors >= SCN_MAX_ACTORS) return -1;
    int idx = world_add_actor(s->world, a);
    if (idx >= 0) s->st.actors[s->st.n_actors++] = idx;
    return idx;
}

static void vehicle_size(ActorType type, float *len, float *wid) {
    switch (type) {
    case ACTOR_VAN: *len = 5.4f; *wid = 2.0f; break;
    case ACTOR_TRUCK: *len = 9.0f; *wid = 2.5f; break;
    case ACTOR_BUS: *len = 11.5f; *wid = 2.55f; break;
    case ACTOR_EMERGENCY: *len = 5.5f; *wid = 2.1f; break;
    case ACTOR_BICYCLE: *len = 1.8f; *wid = 0.7f; break;
    default: *len = 4.7f; *wid = 1.95f; break;
    }
}

int scn_add_parked(Scenario *s, ActorType type, int lane, float ls, float lat, uint16_t flags) {
    float x, y, h, len, wid;
    scn_lane_point(s->map, lane, ls, lat, &x, &y, &h);
    vehicle_size(type, &len, &wid);
    Actor a = actor_make_static(type, x, y, h, len, wid);
    a.flags |= flags;
    return scn_add_actor(s, &a);
}

int scn_add_prop(Scenario *s, int lane, float ls, float lat, float length, float width) {
    float x, y, h;
    scn_lane_point(s->map, lane, ls, lat, &x, &y, &h);
    Actor a = actor_make_static(ACTOR_STATIC, x, y, h, length, width);
    return scn_add_actor(s, &a);
}

int scn_add_vehicle(Scenario *s, ActorType type, int lane, float ls, float v, uint16_t flags) {
    Actor a = actor_make_vehicle(s->world, type, lane, ls, v, &s->build_rng);
    a.flags |= flags;
    return scn_add_actor(s, &a);
}

int scn_add_walker(Scenario *s, const float *x, const float *y, int n, float speed, int hidden) {
    Actor a = actor_make_walker(x, y, n, speed);
    if (hidden) a.flags |= AF_HIDDEN;
    return scn_add_actor(s, &a);
}

void scn_show(Scenario *s, int idx) {
    if (idx >= 0) world_state(s->world)->actors[idx].flags &= (uint16_t)~AF_HIDDEN;
}

void scn_hide(Scenario *s, int idx) {
    if (idx >= 0) world_state(s->world)->actors[idx].flags |= AF_HIDDEN;
}

void scn_lane_change(Scenario *s, int idx, int lane) {
    Actor *a = &world_state(s->world)->actors[idx];
    LaneProj p;
    map_project(s->map, lane, a->k.x, a->k.y, -1, &p);
    a->path[0] = lane;
    a->path_len = 1;
    for (int k = 1; k < ACTOR_PATH_MAX; k++) a->path[k] = -1;
    const Lane *l = &s->map->lanes[lane];
    while (a->path_len < ACTOR_PATH_MAX && l->n_succ > 0) {
        a->path[a->path_len++] = l->succ[0];
        l = &s->map->lanes[l->succ[0]];
    }
    a->s = p.s;
    a->seg = p.seg;
    a->lat_offset = p.d;
    a->lat_target = 0.0f;
    a->lc_cooldown = 1e9f; /* a scripted lane change is not undone by MOBIL */
}

static int is_background(const Scenario *s, int i) {
    const Actor *a = &world_state_const(s->world)->actors[i];
    return i > 0 && (a->flags & AF_BACKGROUND) && !(a->flags & AF_HIDDEN) && s->st.flow_of[i] < 0;
}

void scn_leave_space_in_front(Scenario *s, float dist) {
    WorldState *ws = world_state(s->world);
    const Actor *ego = &ws->actors[0];
    float p0 = ws->ego.route_progress;
    for (int i = 1; i < ws->n_actors; i++) {
        if (!is_background(s, i)) continue;
        const Actor *a = &ws->actors[i];
        float d;
        int idx = route_nearest(&s->route, a->k.x, a->k.y, 0, -1, &d);
        float ahead = s->route.pts[idx].s - p0;
        float dh = fabsf(wrap_angle(a->k.heading - ego->k.heading));
        if (d < 2.0f && ahead > 0.0f && ahead < dist && dh < 1.0f) ws->actors[i].flags |= AF_HIDDEN;
    }
}

void scn_clear_area(Scenario *s, float x, float y, float r) {
    WorldState *ws = world_state(s->world);
    for (int i = 1; i < ws->n_actors; i++)
        if (is_background(s, i) && hypotf(ws->actors[i].k.x - x, ws->actors[i].k.y - y) < r)
            ws->actors[i].flags |= AF_HIDDEN;
}

void scn_apply_speed_cap(Scenario *s) {
    WorldState *ws = world_state(s->world);
    for (int i = 1; i < ws->n_actors; i++) {
        Actor *a = &ws->actors[i];
        if (!(a->flags & AF_BACKGROUND) || s->st.flow_of[i] >= 0 || a->driver != DRIVER_TRAFFIC) continue;
        a->target_speed = s->st.bg_speed_cap > 0.0f ? s->st.bg_speed_cap : -1.0f;
    }
}

/* ---- triggers ----------------------------------------------------------------------------- */
const Actor *scn_ego(const Scenario *s) { return &world_state_const(s->world)->actors[0]; }
float scn_ego_progress(const Scenario *s) { return world_state_const(s->world)->ego.route_progress; }
double scn_time(const Scenario *s) { return world_state_const(s->world)->time; }

float scn_dist_to_ego(const Scenario *s, float x, float y) {
    const Actor *e = scn_ego(s);
    return hypotf(e->k.x - x, e->k.y - y);
}

int scn_ego_near(const Scenario *s, float x, float y, float dist, float tta) {
    float d = scn_dist_to_ego(s, x, y), v = scn_ego(s)->k.speed;
    return d < dist || (tta > 0.0f && v > 0.1f && d / v < tta);
}

int scn_ego_past(const Scenario *s, float x, float y, float h) {
    const Actor *e = scn_ego(s);
    return (e->k.x - x) * cosf(h) + (e->k.y - y) * sinf(h) > 0.0f;
}

void scn_set_sub(Scenario *s, int sub) {
    s->st.sub = sub;
    s->st.t_sub = scn_time(s);
}

double scn_sub_elapsed(const Scenario *s) { return scn_time(s) - s->st.t_sub; }

/* ---- lights ------------------------------------------------------------------------------- */
int scn_light_of(const Map *m, int approach) {
    return m->lanes[approach].control == CONTROL_LIGHT ? m->lanes[approach].light : -1;
}

void scn_junction_lights(Scenario *s, int junction, int approach, LightColor mine, LightColor others, float seconds) {
    int own = approach >= 0 ? scn_light_of(s->map, approach) : -1;
    for (int l = 0; l < s->map->n_lights; l++) {
        if (s->map->lights[l].junction != junction) continue;
        if (l == own) {
            if ((int)mine >= 0) world_force_light(s->world, l, mine, seconds);
        } else {
            world_force_light(s->world, l, others, seconds);
        }
    }
}

/* ---- background traffic (SCENARIOS.md A6) ---------------------------------------------------- */
#define BG_SPACING 15.0f     /* _road_spawn_dist */
#define BG_FREE_RADIUS 20.0f /* _spawn_free_radius */
#define BG_OPPOSITE_GAP 40.0f
#define BG_SOURCE_DIST 40.0f

static int spot_free(const Scenario *s, float x, float y, float clearance) {
    const WorldState *ws = world_state_const(s->world);
    for (int i = 0; i < ws->n_actors; i++) {
        const Actor *a = &ws->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        float r = clearance + 0.5f * a->length;
        if (hypotf(a->k.x - x, a->k.y - y) < (i == 0 ? BG_FREE_RADIUS : r)) return 0;
    }
    return 1;
}

static void bg_vehicle(Scenario *s, int lane, float ls) {
    const Lane *l = &s->map->lanes[lane];
    if (ls < 3.0f || ls > l->length - 3.0f || l->kind != LANE_DRIVING) return;
    float x, y, h;
    map_lane_pose(s->map, lane, ls, &x, &y, &h);
    if (!spot_free(s, x, y, 8.0f)) return;
    Rng *r = &s->build_rng;
    ActorType type = rng_uniform(r) < 0.85f ? ACTOR_CAR : ACTOR_VAN;
    Actor a = actor_make_vehicle(s->world, type, lane, ls, rng_range(r, 0.6f, 0.9f) * l->speed_limit, r);
    a.flags |= AF_BACKGROUND;
    world_add_actor(s->world, &a);
}

/* Walks `dist` metres from (lane, ls) forwards (dist > 0, first successor) or backwards. */
static int walk_lane(const Map *m, int lane, float ls, float dist, float *out_s) {
    float s = ls + dist;
    for (int guard = 0; guard < 8; guard++) {
        const Lane *l = &m->lanes[lane];
        if (s >= 0.0f && s <= l->length) break;
        if (s > l->length) {
            if (l->n_succ == 0 || m->lanes[l->succ[0]].junction >= 0) return -1;
            s -= l->length;
            lane = l->succ[0];
        } else {
            if (l->n_pred == 0 || m->lanes[l->pred[0]].junction >= 0) return -1;
            lane = l->pred[0];
            s += m->lanes[lane].length;
        }
    }
    *out_s = s;
    return lane;
}

void scn_background(Scenario *s) {
    const Map *m = s->map;
    const Actor *ego = scn_ego(s);
    LaneProj p;
    if (map_nearest_lane(m, ego->k.x, ego->k.y, ego->k.heading, 1u << LANE_DRIVING, 4.0f, &p)) return;
    /* road behaviour: 2 ahead and 2 behind per same-direction lane, 15 m apart beyond the free radius */
    int lane = scn_outer_lane(m, p.lane, 1);
    for (int guard = 0; guard < 8 && lane >= 0; guard++) {
        LaneProj q;
        map_project(m, lane, ego->k.x, ego->k.y, -1, &q);
        for (int k = 0; k < 2; k++) {
            float d = BG_FREE_RADIUS + 5.0f + BG_SPACING * (float)k, ls;
            int l2;
            if ((s->bg_flags & SCN_BG_FRONT) && (l2 = walk_lane(m, lane, q.s, d, &ls)) >= 0) bg_vehicle(s, l2, ls);
            if ((s->bg_flags & SCN_BG_BACK) && (l2 = walk_lane(m, lane, q.s, -d, &ls)) >= 0) bg_vehicle(s, l2, ls);
        }
        const Lane *l = &m->lanes[lane];
        if (l->right < 0 || l->right_opposite || m->lanes[l->right].kind != LANE_DRIVING) break;
        lane = l->right;
    }
    /* opposite lanes: oncoming vehicles every 40 m from 80 m ahead */
    if (s->bg_flags & SCN_BG_OPPOSITE) {
        const Lane *l = &m->lanes[scn_outer_lane(m, p.lane, 1)];
        if (l->left >= 0 && l->left_opposite) {
            LaneProj q;
            map_project(m, l->left, ego->k.x, ego->k.y, -1, &q);
            for (float d = 40.0f; d <= 80.0f; d += BG_OPPOSITE_GAP) {
                float ls;
                int l2 = walk_lane(m, l->left, q.s, -d, &ls); /* ahead of the ego = backwards on the opposite lane */
                if (l2 >= 0) bg_vehicle(s, l2, ls);
            }
        }
    }
    /* junction sources: one vehicle 40 m before each other entry of the route's junctions */
    if (s->bg_flags & SCN_BG_JUNCTION) {
        int appr[32], ego_appr;
        int j = scn_route_junction(s, &ego_appr, NULL);
        if (j < 0) return;
        int n = scn_junction_approaches(m, j, appr, 32);
        for (int k = 0; k < n; k++) {
            if (appr[k] == ego_appr || scn_approach_side(m, ego_appr, appr[k]) == APPROACH_SAME) continue;
            if (rng_uniform(&s->build_rng) > 0.8f) continue; /* each source exists with 80 % probability */
            const Lane *l = &m->lanes[appr[k]];
            bg_vehicle(s, appr[k], l->length - BG_SOURCE_DIST);
        }
    }
}
