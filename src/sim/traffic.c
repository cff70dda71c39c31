/* traffic — how background vehicles drive: lane occupancy → leader → traffic control and junction
 * gap acceptance → IDM acceleration → MOBIL lane changes → pure-pursuit steering along the path.
 * Decisions read only the pre-step state (lane occupancy is indexed first), so the order in which
 * actors decide does not matter; each actor writes only its own command and bookkeeping. */
#include "world_internal.h"
#include <math.h>
#include <string.h>

#define GAP_ACCEPT_S 3.0f     /* time gap a yielding vehicle needs before a conflicting arrival */
#define STOP_SIGN_WAIT_S 1.0f /* full stop held at a stop sign before proceeding */
#define LANE_CHANGE_RATE 1.0f /* lateral speed of a lane change, m/s */
#define CURVE_LAT_ACC 2.5f    /* comfortable lateral acceleration in bends, m/s² */
#define SIREN_RANGE 40.0f

/* ---- lane occupancy ---------------------------------------------------------------------- */

static void occ_add(World *w, int lane, int actor, float s, float v_along) {
    if (w->n_occ >= LANE_OCC_MAX) return;
    LaneOcc *o = &w->occ[w->n_occ];
    o->actor = actor; o->s = s; o->v_along = v_along;
    o->next = w->lane_head[lane];
    w->lane_head[lane] = w->n_occ++;
}

/* Parallel neighbours share the arc-length parametrisation (opposite ones run it backwards). */
static void occ_add_neighbour(World *w, const Lane *from, int nb, int opposite, int i) {
    const Actor *a = &w->st.actors[i];
    const Lane *to = &w->map->lanes[nb];
    float s = a->s * to->length / fmaxf(from->length, 1e-3f);
    if (opposite) occ_add(w, nb, i, to->length - s, -a->k.speed);
    else occ_add(w, nb, i, s, a->k.speed);
}

/* Free actors (ego, walkers, statics) occupy every lane their footprint overlaps laterally. */
static void occ_add_free_actor(World *w, int i) {
    const Actor *a = &w->st.actors[i];
    int near[16];
    int n = map_lanes_near(w->map, a->k.x, a->k.y, 8.0f, near, 16);
    float margin = a->driver == DRIVER_WALKER ? 0.8f : 0.0f; /* a walker at the kerb is about to step in */
    for (int k = 0; k < n; k++) {
        const Lane *ln = &w->map->lanes[near[k]];
        if (ln->kind != LANE_DRIVING && ln->kind != LANE_PARKING) continue;
        LaneProj p;
        map_project(w->map, near[k], a->k.x, a->k.y, -1, &p);
        if (p.s <= 0.0f || p.s >= ln->length) continue;
        float dh = a->k.heading - p.heading;
        float half_lat = fabsf(sinf(dh)) * 0.5f * a->length + fabsf(cosf(dh)) * 0.5f * a->width;
        if (fabsf(p.d) - half_lat - margin < 0.5f * ln->width)
            occ_add(w, near[k], i, p.s, a->k.speed * cosf(dh));
    }
}

#define GRID_CELL 16.0f
static int grid_bucket(float x, float y) {
    int cx = (int)floorf(x / GRID_CELL), cy = (int)floorf(y / GRID_CELL);
    return (int)(((unsigned)cx * 73856093u ^ (unsigned)cy * 19349663u) & 255u);
}

void traffic_index_lanes(World *w) {
    for (int b = 0; b < 256; b++) w->grid_head[b] = -1;
    for (int i = 0; i < w->st.n_actors; i++) {
        const Actor *a = &w->st.actors[i];
        w->prev_box[i] = actor_obb(a);
        if (a->flags & AF_HIDDEN) continue;
        int b = grid_bucket(a->k.x, a->k.y);
        w->grid_next[i] = w->grid_head[b];
        w->grid_head[b] = i;
    }
    for (int l = 0; l < w->map->n_lanes; l++) w->lane_head[l] = -1;
    w->n_occ = 0;
    w->n_sirens = 0;
    const WorldState *st = &w->st;
    for (int i = 0; i < st->n_actors; i++) {
        const Actor *a = &st->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        w->n_sirens += (a->flags & AF_SIREN) != 0;
        if (a->driver != DRIVER_TRAFFIC) { occ_add_free_actor(w, i); continue; }
        occ_add(w, a->path[0], i, a->s, a->k.speed);
        /* a body that sticks out of its lane (lane change, angled) also occupies the neighbour */
        const Lane *ln = &w->map->lanes[a->path[0]];
        float ext = fabsf(sinf(a->lane_dh)) * 0.5f * a->length + 0.5f * a->width, edge = 0.5f * ln->width + 0.2f;
        if (ln->left >= 0 && a->lat_offset + ext > edge) occ_add_neighbour(w, ln, ln->left, ln->left_opposite, i);
        if (ln->right >= 0 && -a->lat_offset + ext > edge) occ_add_neighbour(w, ln, ln->right, ln->right_opposite, i);
    }
}

/* ---- path geometry ------------------------------------------------------------------------ */

/* Pose `ds` metres ahead of arc length s on path[0], walking into later path lanes. */
static void path_pose(const Map *m, const int *path, int n, float s, float ds, float *x, float *y, float *h, float *kappa) {
    float t = s + ds;
    int k = 0;
    while (k + 1 < n && t > m->lanes[path[k]].length) { t -= m->lanes[path[k]].length; k++; }
    const Lane *ln = &m->lanes[path[k]];
    if (t > ln->length) { /* beyond the path: extrapolate straight */
        float ex, ey, eh;
        map_lane_pose(m, path[k], ln->length, &ex, &ey, &eh);
        float extra = t - ln->length;
        *x = ex + extra * cosf(eh); *y = ey + extra * sinf(eh); *h = eh;
        if (kappa) *kappa = 0.0f;
        return;
    }
    map_lane_pose(m, path[k], t, x, y, h);
    if (kappa) {
        const LanePoint *pts = &m->points[ln->first_point];
        int lo = 0, hi = ln->n_points - 1;
        while (hi - lo > 1) { int mid = (lo + hi) / 2; if (pts[mid].s <= t) lo = mid; else hi = mid; }
        *kappa = pts[lo].curvature;
    }
}

/* ---- junction gap acceptance ------------------------------------------------------------- */

typedef struct { float t_me, d_me; int my_rank; int my_turn; } Approach;

/* Right-of-way rank of an approach lane's control given the light colour: 2 = priority. */
static int control_rank(const World *w, int approach_lane) {
    const Lane *ln = &w->map->lanes[approach_lane];
    switch (ln->control) {
    case CONTROL_LIGHT: return world_light(w, ln->light) == LIGHT_GREEN ? 2 : 1;
    case CONTROL_PRIORITY: case CONTROL_NONE: return 2;
    default: return 1;
    }
}

/* Will actor j drive through connector `c`? */
static int actor_takes(const World *w, int j, int c) {
    const Actor *b = &w->st.actors[j];
    if (b->driver == DRIVER_TRAFFIC) {
        for (int k = 0; k < b->path_len; k++) if (b->path[k] == c) return 1;
        return 0;
    }
    if (j == 0 && w->cfg.has_ego && w->route) return w->ego_route_lane_pos[c] >= 0;
    return 0;
}

/* 1 if actor i must give way on conflict `cf` of its connector. */
static int must_yield(const World *w, int i, const Conflict *cf, const Approach *ap) {
    const Map *m = w->map;
    const Lane *other = &m->lanes[cf->other];
    float my_len = w->st.actors[i].length;
    /* actors on the conflicting connector itself: already committed, always respected */
    for (int o = w->lane_head[cf->other]; o >= 0; o = w->occ[o].next) {
        const LaneOcc *oc = &w->occ[o];
        if (oc->actor == i) continue;
        const Actor *b = &w->st.actors[oc->actor];
        float d = cf->s_other - oc->s;
        if (d < -0.5f * (b->length + my_len)) continue; /* already through the conflict point */
        float t = fmaxf(d, 0.0f) / fmaxf(oc->v_along, 0.5f);
        if (t < ap->t_me + GAP_ACCEPT_S) return 1;
    }
    /* actors approaching it: right of way decides */
    for (int p = 0; p < other->n_pred; p++) {
        int pl = other->pred[p];
        int rank = control_rank(w, pl);
        int they_turn_left = other->turn == TURN_LEFT;
        int yield = rank > ap->my_rank || (rank == ap->my_rank && ap->my_turn == TURN_LEFT && !they_turn_left);
        /* equal ranks otherwise (all-way stop, same green): first come, first served, which the
         * committed-actor check above enforces */
        if (!yield) continue;
        float len = m->lanes[pl].length;
        for (int o = w->lane_head[pl]; o >= 0; o = w->occ[o].next) {
            const LaneOcc *oc = &w->occ[o];
            if (oc->actor == i || !actor_takes(w, oc->actor, cf->other)) continue;
            float d = (len - oc->s) + cf->s_other;
            float t = d / fmaxf(oc->v_along, 1.0f);
            if (t < ap->t_me + GAP_ACCEPT_S) return 1;
        }
    }
    return 0;
}

static int connector_blocked(const World *w, int i, int connector, const Approach *ap) {
    const Lane *c = &w->map->lanes[connector];
    for (int k = 0; k < c->n_conflicts; k++)
        if (must_yield(w, i, &w->map->conflicts[c->conflict_first + k], ap)) return 1;
    return 0;
}

/* ---- the decision ------------------------------------------------------------------------- */

typedef struct { float gap, v_lead; } Leader;

static void leader_consider(Leader *ld, float gap, float v) {
    if (gap < ld->gap) { ld->gap = gap; ld->v_lead = v; }
}

/* Actors on connectors that merge with or cross a connector of my path. A merging actor is a
 * leader at its equivalent position (my distance to the merge point minus its own); a crossing
 * actor makes me stop short of the crossing point if it is in the crossing zone or will get
 * there first (ties to the lower index), unless I can no longer stop. */
static void conflict_leaders(const World *w, int i, int lane, float base, Leader *ld) {
    const Actor *a = &w->st.actors[i];
    const Lane *ln = &w->map->lanes[lane];
    float v = a->k.speed, half = 0.5f * a->length;
    for (int k = 0; k < ln->n_conflicts; k++) {
        const Conflict *cf = &w->map->conflicts[ln->conflict_first + k];
        float d_me = base + cf->s_lane;
        if (d_me < -(half + 2.5f)) continue; /* my rear is through it */
        for (int o = w->lane_head[cf->other]; o >= 0; o = w->occ[o].next) {
            const LaneOcc *oc = &w->occ[o];
            if (oc->actor == i) continue;
            const Actor *b = &w->st.actors[oc->actor];
            if ((a->flags & AF_IGNORE_VEHICLES) && b->type != ACTOR_PEDESTRIAN) continue;
            float d_o = cf->s_other - oc->s;
            if (d_o < -(0.5f * b->length + 0.5f * a->width + 1.0f)) continue; /* its rear has cleared my path */
            if (cf->kind == CONFLICT_MERGING) {
                float eq = d_me - d_o;
                if (eq > 0.0f) leader_consider(ld, eq - 0.5f * (a->length + b->length), oc->v_along);
                continue;
            }
            float stop_gap = d_me - half - (0.5f * b->width + 1.0f);
            if (stop_gap < v * v / (2.0f * 6.0f)) continue; /* too late to stop: committed */
            float t_me = fmaxf(d_me, 0.0f) / fmaxf(v, 1.0f), t_o = fmaxf(d_o, 0.0f) / fmaxf(oc->v_along, 1.0f);
            int in_zone = d_o < 0.5f * b->length + 2.0f;
            if (in_zone || t_o < t_me || (t_o == t_me && oc->actor < i)) leader_consider(ld, stop_gap, 0.0f);
        }
    }
}

static void find_leader(const World *w, int i, const int *path, int n, float s, float lookahead, Leader *ld) {
    const Actor *a = &w->st.actors[i];
    float base = -s;
    for (int k = 0; k < n && base < lookahead; k++) {
        if (w->map->lanes[path[k]].n_conflicts > 0) conflict_leaders(w, i, path[k], base, ld);
        for (int o = w->lane_head[path[k]]; o >= 0; o = w->occ[o].next) {
            const LaneOcc *oc = &w->occ[o];
            if (oc->actor == i) continue;
            const Actor *b = &w->st.actors[oc->actor];
            if ((a->flags & AF_IGNORE_EGO) && oc->actor == 0 && w->cfg.has_ego) continue;
            if ((a->flags & AF_IGNORE_VEHICLES) && b->type != ACTOR_PEDESTRIAN) continue;
            float d = base + oc->s;
            if (d <= 0.0f) continue;
            leader_consider(ld, d - 0.5f * (a->length + b->length), oc->v_along);
        }
        base += w->map->lanes[path[k]].length;
    }
    /* while changing lanes the body is still partly in the lane it left */
    if (a->driver == DRIVER_TRAFFIC && fabsf(a->lat_offset) > 0.3f && path == a->path) {
        const Lane *ln = &w->map->lanes[path[0]];
        int from = a->lat_offset > 0.0f ? ln->left : ln->right;
        int opposite = a->lat_offset > 0.0f ? ln->left_opposite : ln->right_opposite;
        if (from >= 0 && !opposite)
            for (int o = w->lane_head[from]; o >= 0; o = w->occ[o].next) {
                const LaneOcc *oc = &w->occ[o];
                float d = oc->s - s;
                if (oc->actor != i && d > 0.0f)
                    leader_consider(ld, d - 0.5f * (a->length + w->st.actors[oc->actor].length), oc->v_along);
            }
    }
}

/* Traffic control and junction entry: adds a virtual stopped leader at the stop line when the
 * actor must not enter, and keeps stop-sign bookkeeping. rules = 0: gap acceptance only (lights
 * and signs are the caller's business, e.g. the expert's). */
static void junction_control(World *w, int i, const int *path, int n, float s, int rules, Leader *ld) {
    Actor *a = &w->st.actors[i];
    const Map *m = w->map;
    float base = -s, v = a->k.speed;
    for (int k = 0; k + 1 < n; k++) {
        const Lane *ln = &m->lanes[path[k]];
        base += ln->length;
        if (base > 80.0f) return;
        int conn = path[k + 1];
        if (m->lanes[conn].junction < 0 || ln->junction >= 0) continue;
        float front = base - 0.5f * a->length; /* bumper to stop line */
        if (front < -0.5f) return;              /* already entering: committed */
        int stop = 0;
        switch (rules ? ln->control : CONTROL_NONE) {
        case CONTROL_LIGHT:
            if (!(a->flags & AF_IGNORE_LIGHTS)) {
                LightColor c = world_light(w, ln->light);
                if (c == LIGHT_RED) stop = 1;
                else if (c == LIGHT_YELLOW) stop = front > v * v / (2.0f * 3.0f);
            }
            break;
        case CONTROL_STOP:
            if (!(a->flags & AF_IGNORE_SIGNS) && a->stop_cleared_lane != path[k]) {
                stop = 1;
                if (front < 3.5f && v < 0.2f) {
                    a->stop_timer += w->cfg.dt;
                    if (a->stop_timer >= STOP_SIGN_WAIT_S) { a->stop_cleared_lane = path[k]; a->stop_timer = 0.0f; stop = 0; }
                }
            }
            break;
        default: break;
        }
        if (!stop && !(a->flags & AF_IGNORE_JUNCTION) && front < 40.0f) {
            Approach ap = {.d_me = front, .t_me = front / fmaxf(v, 2.0f), .my_rank = control_rank(w, path[k]),
                           .my_turn = m->lanes[conn].turn};
            stop = connector_blocked(w, i, conn, &ap);
        }
        if (stop) leader_consider(ld, fmaxf(front, 0.0f), 0.0f);
        return;
    }
}

/* Emergency vehicles with sirens behind: slow down and pull to the right. */
static int siren_behind(const World *w, int i) {
    if (w->n_sirens == 0) return 0;
    const Actor *a = &w->st.actors[i];
    for (int j = 0; j < w->st.n_actors; j++) {
        const Actor *b = &w->st.actors[j];
        if (j == i || !(b->flags & AF_SIREN) || (b->flags & AF_HIDDEN)) continue;
        float fx, fy;
        to_frame(a->k.x, a->k.y, a->k.heading, b->k.x, b->k.y, &fx, &fy);
        if (fx < 0.0f && fx > -SIREN_RANGE && fabsf(fy) < 4.0f) return 1;
    }
    return 0;
}

/* Desired speed: the lane's limit (or a script's target), capped so that every bend within reach
 * can be taken at CURVE_LAT_ACC, braking comfortably (2 m/s²) on the way. */
static float desired_speed(const World *w, const Actor *a, const int *path, int n, float s) {
    float v = a->target_speed >= 0.0f ? a->target_speed : a->speed_factor * w->map->lanes[path[0]].speed_limit;
    float dist = -s;
    for (int k = 0; k < n && dist < 40.0f; k++) {
        float kappa = w->lane_max_curvature[path[k]];
        if (kappa > 1e-3f) v = fminf(v, sqrtf(CURVE_LAT_ACC / kappa + 2.0f * 2.0f * fmaxf(dist, 0.0f)));
        dist += w->map->lanes[path[k]].length;
    }
    return v;
}

static float pursuit_steer(const World *w, const Actor *a, const int *path, int n, float s, float lat) {
    float L = fmaxf(4.0f, 0.9f * a->k.speed);
    float x, y, h;
    path_pose(w->map, path, n, s, L, &x, &y, &h, NULL);
    x += -sinf(h) * lat;
    y += cosf(h) * lat;
    float hb = 0.5f * a->veh.wheelbase;
    float rx = a->k.x - cosf(a->k.heading) * hb, ry = a->k.y - sinf(a->k.heading) * hb;
    float tx, ty;
    to_frame(rx, ry, a->k.heading, x, y, &tx, &ty);
    float ld2 = tx * tx + ty * ty;
    if (ld2 < 1e-4f) return a->k.steer;
    return atanf(2.0f * a->veh.wheelbase * ty / ld2);
}

/* A safety net under the lane logic: any actor whose footprint enters the corridor I will sweep
 * in the next second (my width, from my bumper) is a leader, whatever lane it is on. Catches
 * vehicles stopped across a junction mouth, bodies sticking out of their lane, and the like. */
static void corridor_leaders(const World *w, int i, Leader *ld) {
    const Actor *a = &w->st.actors[i];
    float c = cosf(a->k.heading), sn = sinf(a->k.heading), half = 0.5f * a->length;
    float reach = fminf(a->k.speed * 1.0f + 3.0f, 30.0f);
    Obb corridor = {a->k.x + c * (half + 0.5f * reach), a->k.y + sn * (half + 0.5f * reach), a->k.heading,
                    0.5f * reach, 0.5f * a->width + 0.1f};
    float corridor_r = sqrtf(corridor.half_len * corridor.half_len + corridor.half_wid * corridor.half_wid);
    float x0, y0, x1, y1;
    obb_aabb(&corridor, &x0, &y0, &x1, &y1);
    int cx0 = (int)floorf(x0 / GRID_CELL), cx1 = (int)floorf(x1 / GRID_CELL);
    int cy0 = (int)floorf(y0 / GRID_CELL), cy1 = (int)floorf(y1 / GRID_CELL);
    int seen_buckets[9], n_seen = 0; /* the corridor is at most 30 m long: at most 3 x 3 cells */
    for (int gx = cx0; gx <= cx1 && gx <= cx0 + 2; gx++)
        for (int gy = cy0; gy <= cy1 && gy <= cy0 + 2; gy++) {
            int bkt = grid_bucket(((float)gx + 0.5f) * GRID_CELL, ((float)gy + 0.5f) * GRID_CELL), dup = 0;
            for (int k = 0; k < n_seen; k++) dup |= seen_buckets[k] == bkt;
            if (dup) continue;
            seen_buckets[n_seen++] = bkt;
            for (int j = w->grid_head[bkt]; j >= 0; j = w->grid_next[j]) {
                if (j == i) continue;
                const Actor *b = &w->st.actors[j];
                if ((a->flags & AF_IGNORE_VEHICLES) && b->type != ACTOR_PEDESTRIAN) continue;
                if ((a->flags & AF_IGNORE_EGO) && j == 0 && w->cfg.has_ego) continue;
                const Obb *ob = &w->prev_box[j]; /* footprints of the pre-step state */
                float ddx = ob->cx - corridor.cx, ddy = ob->cy - corridor.cy;
                float rr = corridor_r + sqrtf(ob->half_len * ob->half_len + ob->half_wid * ob->half_wid);
                if (ddx * ddx + ddy * ddy > rr * rr || !obb_overlap(&corridor, ob)) continue;
                float fx, fy, dh = b->k.heading - a->k.heading;
                to_frame(a->k.x, a->k.y, a->k.heading, b->k.x, b->k.y, &fx, &fy);
                float extent = fabsf(cosf(dh)) * 0.5f * b->length + fabsf(sinf(dh)) * 0.5f * b->width;
                leader_consider(ld, fmaxf(fx - half - extent, 0.0f), b->k.speed * cosf(dh));
            }
            }
}

Control traffic_control_along(World *w, int i, const int *path, int n, float s, int seg) {
    (void)seg;
    Actor *a = &w->st.actors[i];
    float v = a->k.speed;
    if (a->flags & AF_CRASHED) return (Control){-a->veh.max_decel, a->k.steer};
    IdmParams idm = a->idm;
    idm.v0 = desired_speed(w, a, path, n, s);
    if (siren_behind(w, i)) idm.v0 *= 0.3f;
    Leader ld = {INFINITY, 0.0f};
    find_leader(w, i, path, n, s, 40.0f + 3.0f * v, &ld);
    junction_control(w, i, path, n, s, 1, &ld);
    corridor_leaders(w, i, &ld);
    float acc = iidm_accel(&idm, v, ld.gap, ld.v_lead); /* IIDM: equilibrium gap exactly s0 + vT */
    return (Control){acc, pursuit_steer(w, a, path, n, s, a->lat_offset)};
}

/* ---- lane changes ------------------------------------------------------------------------- */

typedef struct { int actor; float gap; float v; } Neighbour;

/* Nearest actor ahead of and behind arc length s on one lane (bumper gaps). */
static void lane_neighbours(const World *w, int lane, int self, float s, float len, Neighbour *ahead, Neighbour *behind) {
    ahead->actor = behind->actor = -1;
    ahead->gap = behind->gap = INFINITY;
    ahead->v = behind->v = 0.0f;
    for (int o = w->lane_head[lane]; o >= 0; o = w->occ[o].next) {
        const LaneOcc *oc = &w->occ[o];
        if (oc->actor == self) continue;
        float half = 0.5f * (len + w->st.actors[oc->actor].length);
        float d = oc->s - s;
        if (d >= 0.0f && d - half < ahead->gap) { ahead->actor = oc->actor; ahead->gap = d - half; ahead->v = oc->v_along; }
        if (d < 0.0f && -d - half < behind->gap) { behind->actor = oc->actor; behind->gap = -d - half; behind->v = oc->v_along; }
    }
}

static float follower_accel(const World *w, const Neighbour *f, float gap, float v_lead) {
    if (f->actor < 0) return 0.0f;
    const Actor *b = &w->st.actors[f->actor];
    if (b->driver == DRIVER_STATIC) return 0.0f;
    return idm_accel(&b->idm, b->k.speed, gap, v_lead);
}

static void path_extend(World *w, Actor *a) {
    while (a->path_len < ACTOR_PATH_MAX) {
        const Lane *last = &w->map->lanes[a->path[a->path_len - 1]];
        if (last->n_succ == 0) break;
        a->path[a->path_len++] = last->succ[last->n_succ == 1 ? 0 : rng_below(&w->st.rng, (uint32_t)last->n_succ)];
    }
}

static void consider_lane_change(World *w, int i) {
    Actor *a = &w->st.actors[i];
    const Map *m = w->map;
    const Lane *ln = &m->lanes[a->path[0]];
    if ((a->flags & (AF_NO_LANE_CHANGE | AF_IGNORE_VEHICLES)) || ln->junction >= 0 || a->lat_target != 0.0f ||
        fabsf(a->lat_offset) > 0.05f || a->s > ln->length - 25.0f || a->k.speed < 4.0f)
        return;
    a->lc_cooldown = 1.0f + rng_uniform(&w->st.rng);
    int dead_end = a->path_len == 1 && ln->n_succ == 0 && ln->length - a->s < 120.0f;
    Neighbour own_ahead, own_behind;
    lane_neighbours(w, a->path[0], i, a->s, a->length, &own_ahead, &own_behind);
    float acc_self = idm_accel(&a->idm, a->k.speed, own_ahead.gap, own_ahead.v);
    for (int side = 0; side < 2; side++) {
        int nb = side == 0 ? ln->left : ln->right;
        if (nb < 0 || (side == 0 ? ln->left_opposite : ln->right_opposite) || m->lanes[nb].kind != LANE_DRIVING) continue;
        LaneProj p;
        map_project(m, nb, a->k.x, a->k.y, -1, &p);
        Neighbour na, nbh;
        lane_neighbours(w, nb, i, p.s, a->length, &na, &nbh);
        if (na.gap < 1.0f || nbh.gap < 1.0f) continue;
        float acc_new = idm_accel(&a->idm, a->k.speed, na.gap, na.v);
        float newf = follower_accel(w, &nbh, nbh.gap + a->length + na.gap, na.v);
        float newf_new = follower_accel(w, &nbh, nbh.gap, a->k.speed);
        float oldf = follower_accel(w, &own_behind, own_behind.gap, a->k.speed);
        float oldf_new = follower_accel(w, &own_behind, own_behind.gap + a->length + own_ahead.gap, own_ahead.v);
        MobilParams mp = a->mobil;
        if (dead_end) mp.a_threshold -= 2.0f; /* mandatory merge: only safety matters */
        if (!mobil_should_change(&mp, acc_self, acc_new, newf, newf_new, oldf, oldf_new)) continue;
        a->path[0] = nb;
        a->path_len = 1;
        path_extend(w, a);
        a->s = p.s;
        a->seg = p.seg;
        a->lat_offset = p.d;
        a->lat_target = 0.0f;
        return;
    }
}

void traffic_decide(World *w) {
    WorldState *st = &w->st;
    float dt = w->cfg.dt;
    for (int i = 0; i < st->n_actors; i++) {
        Actor *a = &st->actors[i];
        if (a->driver != DRIVER_TRAFFIC || (a->flags & AF_HIDDEN)) continue;
        a->lc_cooldown -= dt;
        if (a->lc_cooldown <= 0.0f) consider_lane_change(w, i);
        float target = a->lat_target;
        if (!(a->flags & AF_IGNORE_VEHICLES) && siren_behind(w, i)) target = -0.25f * w->map->lanes[a->path[0]].width;
        /* lateral speed proportional to speed keeps the lane-change angle under ~12° */
        float step = fminf(LANE_CHANGE_RATE, 0.2f * a->k.speed + 0.05f) * dt, diff = target - a->lat_offset;
        a->lat_offset += fabsf(diff) <= step ? diff : copysignf(step, diff);
        w->cmd[i] = traffic_control_along(w, i, a->path, a->path_len, a->s, a->seg);
    }
}

/* ---- moving along the lane graph ----------------------------------------------------------- */

static int spot_is_free(const World *w, int self, float x, float y, float h, float len, float wid, float gap) {
    Obb me = {x, y, h, 0.5f * len + gap, 0.5f * wid + 0.5f};
    for (int j = 0; j < w->st.n_actors; j++) {
        if (j == self || (w->st.actors[j].flags & AF_HIDDEN)) continue;
        Obb o = actor_obb(&w->st.actors[j]);
        o.half_len += gap;
        if (obb_overlap(&me, &o)) return 0;
    }
    return 1;
}

static void respawn(World *w, int i) {
    Actor *a = &w->st.actors[i];
    a->flags |= AF_HIDDEN;
    if (w->n_entry_lanes == 0) return;
    int lane = w->entry_lanes[rng_below(&w->st.rng, (uint32_t)w->n_entry_lanes)];
    float x, y, h, s = 0.5f * a->length + 1.0f;
    map_lane_pose(w->map, lane, s, &x, &y, &h);
    float v = a->speed_factor * w->map->lanes[lane].speed_limit * 0.7f;
    if (!spot_is_free(w, i, x, y, h, a->length, a->width, 8.0f + v * 1.5f)) return; /* retry next step */
    a->flags &= (uint16_t)~(AF_HIDDEN | AF_CRASHED);
    a->k = (KinState){.x = x, .y = y, .heading = h, .speed = v};
    a->path[0] = lane;
    a->path_len = 1;
    path_extend(w, a);
    a->s = s;
    a->seg = -1;
    a->lat_offset = a->lat_target = 0.0f;
    a->stop_cleared_lane = -1;
    a->stop_timer = 0.0f;
    a->idm.v0 = a->speed_factor * w->map->lanes[lane].speed_limit;
}

void traffic_advance_lanes(World *w) {
    WorldState *st = &w->st;
    const Map *m = w->map;
    for (int i = 0; i < st->n_actors; i++) {
        Actor *a = &st->actors[i];
        if (a->driver != DRIVER_TRAFFIC) continue;
        if (a->flags & AF_HIDDEN) {
            if (a->flags & AF_RESPAWN) respawn(w, i);
            continue;
        }
        path_extend(w, a);
        for (int hop = 0; hop < 3; hop++) {
            LaneProj p;
            map_project(m, a->path[0], a->k.x, a->k.y, a->seg, &p);
            a->s = p.s;
            a->seg = p.seg;
            a->lane_dh = wrap_angle(a->k.heading - p.heading);
            const Lane *ln = &m->lanes[a->path[0]];
            if (p.s < ln->length - 0.05f) break;
            if (a->path_len > 1) {
                memmove(a->path, a->path + 1, sizeof(int) * (size_t)(ACTOR_PATH_MAX - 1));
                a->path[ACTOR_PATH_MAX - 1] = -1;
                a->path_len--;
                a->seg = -1;
                path_extend(w, a);
                continue;
            }
            if (a->flags & AF_RESPAWN) respawn(w, i);
            else a->flags |= AF_HIDDEN; /* drove off the map */
            break;
        }
    }
}

/* ---- spawning ---------------------------------------------------------------------------- */

int traffic_spawn_random(World *w, int n, float min_gap, Rng *r) {
    const Map *m = w->map;
    int placed = 0;
    for (int attempt = 0; attempt < n * 40 && placed < n && w->st.n_actors < WORLD_MAX_ACTORS; attempt++) {
        int lane = (int)rng_below(r, (uint32_t)m->n_lanes);
        const Lane *ln = &m->lanes[lane];
        if (ln->kind != LANE_DRIVING || ln->junction >= 0 || ln->length < 12.0f) continue;
        float s = rng_range(r, 6.0f, ln->length - 6.0f);
        ActorType type = rng_uniform(r) < 0.85f ? ACTOR_CAR : rng_uniform(r) < 0.6f ? ACTOR_VAN : ACTOR_TRUCK;
        float v = rng_range(r, 0.5f, 0.9f) * ln->speed_limit;
        Actor a = actor_make_vehicle(w, type, lane, s, v, r);
        if (!spot_is_free(w, -1, a.k.x, a.k.y, a.k.heading, a.length, a.width, min_gap + 0.8f * v)) continue;
        a.flags |= AF_RESPAWN | AF_BACKGROUND;
        int idx = world_add_actor(w, &a);
        if (idx < 0) break;
        path_extend(w, &w->st.actors[idx]);
        placed++;
    }
    return placed;
}

/* ---- the ego autopilot ----------------------------------------------------------------------- */

/* The ego's lane path from its current route lane on, and its arc length along the first lane. */
static int ego_route_path(const World *w, int *path, float *s, int *seg) {
    const Actor *ego = &w->st.actors[0];
    int lane = w->route->pts[w->st.ego.route_idx].lane;
    int pos = w->ego_route_lane_pos[lane];
    if (pos < 0) pos = 0;
    int n = 0;
    for (int k = pos; k < w->route->n_lanes && n < ACTOR_PATH_MAX; k++) path[n++] = w->route->lanes[k];
    LaneProj p;
    map_project(w->map, path[0], ego->k.x, ego->k.y, -1, &p);
    *s = p.s;
    *seg = p.seg;
    return n;
}

int world_autopilot(World *w, Control *out) {
    if (!w->route || w->route->n < 2 || !w->cfg.has_ego || w->st.n_actors == 0) return -1;
    traffic_index_lanes(w);
    int path[ACTOR_PATH_MAX], seg;
    float s;
    int n = ego_route_path(w, path, &s, &seg);
    *out = traffic_control_along(w, 0, path, n, s, seg);
    return 0;
}

int world_ego_junction_leader(World *w, float *gap, float *v_lead) {
    *gap = INFINITY;
    *v_lead = 0.0f;
    if (!w->route || w->route->n < 2 || !w->cfg.has_ego || w->st.n_actors == 0) return -1;
    traffic_index_lanes(w);
    int path[ACTOR_PATH_MAX], seg;
    float s;
    int n = ego_route_path(w, path, &s, &seg);
    Leader ld = {INFINITY, 0.0f};
    float base = -s;
    for (int k = 0; k < n && base < 80.0f; k++) {
        if (w->map->lanes[path[k]].n_conflicts > 0) conflict_leaders(w, 0, path[k], base, &ld);
        base += w->map->lanes[path[k]].length;
    }
    junction_control(w, 0, path, n, s, 0, &ld);
    *gap = ld.gap;
    *v_lead = ld.v_lead;
    return 0;
}
