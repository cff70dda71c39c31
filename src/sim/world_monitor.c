/* world_monitor — what happened this step: collisions between any two actors (swept, so fast
 * movers do not tunnel), and the ego's rule events (red light, stop sign, off-road, wrong way,
 * route deviation, blocked, near miss, hard braking, route done). The benchmark criteria and the
 * RL rewards are both computed from these events and from EgoMonitor. */
#include "world_internal.h"
#include <math.h>

#define SWEEP_STEP_M 0.25f   /* relative displacement per collision sub-sample */
#define STOP_AREA_M 4.0f     /* a stop sign affects the ego from this far before its line */

void world_emit(World *w, EventKind kind, int actor, int other, float x, float y, float value) {
    WorldState *st = &w->st;
    if (st->n_events >= WORLD_MAX_EVENTS) return;
    Event *e = &st->events[st->n_events++];
    e->kind = (uint8_t)kind;
    e->actor = actor;
    e->other = other;
    int is_actor = kind == EV_COLLISION || kind == EV_NEAR_MISS;
    e->other_id = is_actor && other >= 0 ? st->actors[other].id : -1;
    e->other_type = is_actor && other >= 0 ? st->actors[other].type : 0;
    e->x = x; e->y = y;
    e->value = value;
    e->time = st->time;
}

static Obb lerp_box(const Obb *a, const Obb *b, float t) {
    Obb o = *b;
    o.cx = a->cx + t * (b->cx - a->cx);
    o.cy = a->cy + t * (b->cy - a->cy);
    o.heading = a->heading + t * wrap_angle(b->heading - a->heading);
    return o;
}

/* Swept test: samples both boxes along their motion this step. */
static int swept_overlap(const World *w, int i, int j) {
    const Obb *pi = &w->prev_box[i], *ci = &w->box[i], *pj = &w->prev_box[j], *cj = &w->box[j];
    float rdx = (ci->cx - pi->cx) - (cj->cx - pj->cx), rdy = (ci->cy - pi->cy) - (cj->cy - pj->cy);
    int n = (int)ceilf(sqrtf(rdx * rdx + rdy * rdy) / SWEEP_STEP_M);
    if (n < 1) n = 1;
    for (int k = n; k >= 1; k--) { /* the end pose first: the common case */
        float t = (float)k / (float)n;
        Obb a = lerp_box(pi, ci, t), b = lerp_box(pj, cj, t);
        if (obb_overlap(&a, &b)) return 1;
    }
    return 0;
}

static void sort_pairs(int *pairs, int n) {
    for (int k = 1; k < n; k++) {
        int a = pairs[2 * k], b = pairs[2 * k + 1], m = k - 1;
        while (m >= 0 && (pairs[2 * m] > a || (pairs[2 * m] == a && pairs[2 * m + 1] > b))) {
            pairs[2 * m + 2] = pairs[2 * m];
            pairs[2 * m + 3] = pairs[2 * m + 1];
            m--;
        }
        pairs[2 * m + 2] = a;
        pairs[2 * m + 3] = b;
    }
}

void monitor_collisions(World *w) {
    WorldState *st = &w->st;
    int n = st->n_actors;
    /* the broad phase sees each actor's swept bounds: the box grown to cover its motion */
    Obb swept[WORLD_MAX_ACTORS];
    for (int i = 0; i < n; i++) {
        const Actor *a = &st->actors[i];
        w->box[i] = actor_obb(a);
        swept[i] = w->box[i];
        if (a->flags & AF_HIDDEN) { swept[i].cx = 1e7f + (float)i * 100.0f; continue; }
        float dx = w->box[i].cx - w->prev_box[i].cx, dy = w->box[i].cy - w->prev_box[i].cy;
        float reach = (a->k.speed + a->veh.max_accel * w->cfg.dt) * w->cfg.dt * 1.5f + 0.5f;
        if (dx * dx + dy * dy > reach * reach) { /* teleported (respawn, script): nothing to sweep */
            w->prev_box[i] = w->box[i];
            continue;
        }
        swept[i].cx -= 0.5f * dx;
        swept[i].cy -= 0.5f * dy;
        float grow = 0.5f * sqrtf(dx * dx + dy * dy);
        swept[i].half_len += grow;
        swept[i].half_wid += grow;
    }
    int np = obb_broadphase(swept, n, w->bp_order, w->pairs, MAX_PAIRS);
    sort_pairs(w->pairs, np); /* enumeration order must not depend on the broad phase's history */
    for (int k = 0; k < np; k++) {
        int i = w->pairs[2 * k], j = w->pairs[2 * k + 1];
        Actor *a = &st->actors[i], *b = &st->actors[j];
        if ((a->flags | b->flags) & AF_HIDDEN) continue;
        if (a->driver == DRIVER_STATIC && b->driver == DRIVER_STATIC) continue;
        if (!swept_overlap(w, i, j)) continue;
        float x = 0.5f * (a->k.x + b->k.x), y = 0.5f * (a->k.y + b->k.y);
        world_emit(w, EV_COLLISION, i, j, x, y, a->k.speed);
        if (!(w->cfg.has_ego && i == 0)) world_emit(w, EV_COLLISION, j, i, x, y, b->k.speed);
        if (a->driver == DRIVER_TRAFFIC) a->flags |= AF_CRASHED;
        if (b->driver == DRIVER_TRAFFIC) b->flags |= AF_CRASHED;
    }
}

/* ---- ego rules ----------------------------------------------------------------------------- */

static int segments_cross(float ax, float ay, float bx, float by, float cx, float cy, float dx, float dy) {
    float d1 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    float d2 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax);
    float d3 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx);
    float d4 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx);
    return ((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0));
}

/* Red light: the segment behind the ego's centre (0.8 half-lengths to half-length + 1 m, as the
 * leaderboard tests it), swept from the previous tick, crosses a red light's stop line while the
 * ego heads along that lane. */
static void check_red_lights(World *w) {
    const Map *m = w->map;
    Actor *ego = &w->st.actors[0];
    EgoMonitor *mon = &w->st.ego;
    float c = cosf(ego->k.heading), s = sinf(ego->k.heading), hl = 0.5f * ego->length;
    const Obb *pb = &w->prev_box[0];
    float ax = pb->cx - cosf(pb->heading) * 0.8f * hl, ay = pb->cy - sinf(pb->heading) * 0.8f * hl;
    float bx = ego->k.x - c * (hl + 1.0f), by = ego->k.y - s * (hl + 1.0f);
    for (int l = 0; l < m->n_lights; l++) {
        const TrafficLight *tl = &m->lights[l];
        if (w->st.light_color[l] != LIGHT_RED || l == mon->last_red_light) continue;
        float dx = tl->x - ego->k.x, dy = tl->y - ego->k.y;
        if (dx * dx + dy * dy > 15.0f * 15.0f) continue;
        const Lane *ln = &m->lanes[tl->lane];
        float lx, ly, lh;
        map_lane_pose(m, tl->lane, ln->length, &lx, &ly, &lh);
        if (cosf(wrap_angle(ego->k.heading - lh)) < 0.0f) continue;
        float half = 0.6f * ln->width, nx = -sinf(lh) * half, ny = cosf(lh) * half;
        if (segments_cross(ax, ay, bx, by, lx - nx, ly - ny, lx + nx, ly + ny)) {
            mon->last_red_light = l;
            world_emit(w, EV_RED_LIGHT, 0, l, lx, ly, ego->k.speed);
        }
    }
}

/* Stop sign: affected from STOP_AREA_M before the line on its lane; the ego must reach < 0.1 m/s
 * while affected; leaving the area (centre past the line) without that is one infraction. */
static void check_stop_signs(World *w, const LaneProj *lp) {
    const Map *m = w->map;
    Actor *ego = &w->st.actors[0];
    EgoMonitor *mon = &w->st.ego;
    if (mon->stop_sign < 0 && lp->lane >= 0) {
        for (int k = 0; k < m->n_stop_signs; k++) {
            const StopSign *ss = &m->stop_signs[k];
            if (ss->lane != lp->lane) continue;
            float to_line = m->lanes[ss->lane].length - lp->s - 0.5f * ego->length;
            if (to_line < STOP_AREA_M && to_line > -0.5f * ego->length) { mon->stop_sign = k; mon->stop_served = 0; }
        }
    }
    if (mon->stop_sign < 0) return;
    if (ego->k.speed < 0.1f) mon->stop_served = 1;
    const StopSign *ss = &m->stop_signs[mon->stop_sign];
    float lx, ly, lh, fx, fy;
    map_lane_pose(m, ss->lane, m->lanes[ss->lane].length, &lx, &ly, &lh);
    to_frame(lx, ly, lh, ego->k.x, ego->k.y, &fx, &fy);
    if (fx > 0.0f || fabsf(fy) > 6.0f || fx < -(STOP_AREA_M + ego->length + 2.0f)) { /* left the area */
        if (fx > 0.0f && !mon->stop_served) world_emit(w, EV_STOP_SIGN, 0, mon->stop_sign, ss->x, ss->y, ego->k.speed);
        mon->stop_sign = -1;
    }
}

static void check_near_miss(World *w) {
    const WorldState *st = &w->st;
    const Actor *ego = &st->actors[0];
    float best = INFINITY;
    int who = -1;
    float evx = ego->k.speed * cosf(ego->k.heading), evy = ego->k.speed * sinf(ego->k.heading);
    for (int j = 1; j < st->n_actors; j++) {
        const Actor *b = &st->actors[j];
        if (b->flags & AF_HIDDEN) continue;
        float dx = b->k.x - ego->k.x, dy = b->k.y - ego->k.y, r = 30.0f + ego->k.speed;
        if (dx * dx + dy * dy > r * r) continue;
        if (dx * cosf(ego->k.heading) + dy * sinf(ego->k.heading) < 0.0f) continue; /* only agents in front */
        float t = obb_time_to_collision(&w->box[0], evx, evy, &w->box[j], b->k.speed * cosf(b->k.heading),
                                        b->k.speed * sinf(b->k.heading), w->cfg.near_miss_ttc, w->cfg.dt);
        if (t > 0.0f && t < best) { best = t; who = j; }
    }
    if (who >= 0) world_emit(w, EV_NEAR_MISS, 0, who, st->actors[who].k.x, st->actors[who].k.y, best);
}

void monitor_ego(World *w) {
    const Map *m = w->map;
    WorldState *st = &w->st;
    Actor *ego = &st->actors[0];
    EgoMonitor *mon = &st->ego;
    float step_dist = hypotf(ego->k.x - w->prev_box[0].cx, ego->k.y - w->prev_box[0].cy);
    mon->travelled += step_dist;

    LaneProj lp;
    unsigned kinds = (1u << LANE_DRIVING) | (1u << LANE_PARKING);
    int on_lane = map_nearest_lane(m, ego->k.x, ego->k.y, NAN, kinds, 12.0f, &lp) == 0;
    mon->outside_lanes = !on_lane || lp.dist > 0.5f * m->lanes[lp.lane].width + 0.5f;
    mon->in_junction = on_lane && m->lanes[lp.lane].junction >= 0;
    mon->wrong_way = on_lane && !mon->in_junction && !mon->outside_lanes &&
                     cosf(wrap_angle(ego->k.heading - lp.heading)) < cosf(2.0944f); /* > 120° off */
    LaneProj same = {.lane = -1};
    if (map_nearest_lane(m, ego->k.x, ego->k.y, ego->k.heading, kinds, 12.0f, &same) != 0) same.lane = -1;
    mon->lane = same.lane;
    if (!map_is_drivable(m, ego->k.x, ego->k.y)) world_emit(w, EV_OFF_ROAD, 0, -1, ego->k.x, ego->k.y, 0.0f);
    if (mon->wrong_way) world_emit(w, EV_WRONG_WAY, 0, -1, ego->k.x, ego->k.y, step_dist);

    if (w->route && w->route->n > 1) {
        float dist;
        int idx = route_nearest(w->route, ego->k.x, ego->k.y, mon->route_idx, 10, &dist);
        float progress = w->route->pts[idx].s;
        mon->step_advance = progress > mon->route_progress ? progress - mon->route_progress : 0.0f;
        if (progress > mon->route_progress) mon->route_progress = progress;
        mon->route_idx = idx;
        mon->route_dist = dist;
        if (dist >= w->cfg.route_deviation) world_emit(w, EV_OFF_ROUTE, 0, -1, ego->k.x, ego->k.y, dist);
        const RoutePoint *end = &w->route->pts[w->route->n - 1];
        if (!mon->route_done && mon->route_progress > 0.99f * w->route->length &&
            hypotf(ego->k.x - end->x, ego->k.y - end->y) < 10.0f) {
            mon->route_done = 1;
            world_emit(w, EV_ROUTE_DONE, 0, -1, ego->k.x, ego->k.y, mon->route_progress);
        }
    }
    check_red_lights(w);
    check_stop_signs(w, &same);
    check_near_miss(w);
    if (ego->k.accel < -w->cfg.hard_brake) world_emit(w, EV_HARD_BRAKE, 0, -1, ego->k.x, ego->k.y, ego->k.accel);
    if (ego->k.speed < w->cfg.blocked_speed) {
        float before = mon->blocked_timer;
        mon->blocked_timer += w->cfg.dt;
        if (before <= w->cfg.blocked_time && mon->blocked_timer > w->cfg.blocked_time)
            world_emit(w, EV_BLOCKED, 0, -1, ego->k.x, ego->k.y, mon->blocked_timer);
    } else mon->blocked_timer = 0.0f;
}
