/* world — lifecycle, the order of a step's phases, snapshots and hashing. */
#include "world_internal.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

WorldConfig world_default_config(void) {
    WorldConfig c = {0};
    c.dt = 0.1f;
    c.has_ego = 1;
    c.near_miss_ttc = 1.0f;
    c.hard_brake = 4.0f;
    c.route_deviation = 30.0f;
    c.blocked_speed = 0.1f;
    c.blocked_time = 60.0f;
    c.tracker = tracker_default_params();
    return c;
}

static int build_lookups(World *w, Err *e) {
    const Map *m = w->map;
    w->lane_head = malloc(sizeof(int) * (size_t)(m->n_lanes > 0 ? m->n_lanes : 1));
    w->light_plan = malloc(sizeof(int) * MAP_MAX_LIGHTS);
    w->entry_lanes = malloc(sizeof(int) * (size_t)(m->n_lanes > 0 ? m->n_lanes : 1));
    w->lane_max_curvature = calloc((size_t)(m->n_lanes > 0 ? m->n_lanes : 1), sizeof(float));
    w->ego_route_lane_pos = malloc(sizeof(int) * (size_t)(m->n_lanes > 0 ? m->n_lanes : 1));
    if (!w->lane_head || !w->light_plan || !w->entry_lanes || !w->ego_route_lane_pos || !w->lane_max_curvature)
        return err_set(e, "out of memory creating a world");
    for (int l = 0; l < MAP_MAX_LIGHTS; l++) {
        w->light_plan[l] = -1;
        if (l >= m->n_lights) continue;
        for (int p = 0; p < m->n_plans; p++)
            if (m->plans[p].junction == m->lights[l].junction) w->light_plan[l] = p;
    }
    w->n_entry_lanes = 0;
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        if (ln->n_pred == 0 && ln->kind == LANE_DRIVING && ln->junction < 0 && ln->length > 15.0f)
            w->entry_lanes[w->n_entry_lanes++] = l;
        w->ego_route_lane_pos[l] = -1;
        for (int k = 0; k < ln->n_points; k++)
            w->lane_max_curvature[l] = fmaxf(w->lane_max_curvature[l], fabsf(m->points[ln->first_point + k].curvature));
    }
    if (w->route)
        for (int i = w->route->n_lanes - 1; i >= 0; i--) w->ego_route_lane_pos[w->route->lanes[i]] = i;
    return 0;
}

World *world_create(const Map *map, const Route *route, const WorldConfig *cfg, uint64_t seed, Err *e) {
    if (!map) { err_set(e, "world_create: no map"); return NULL; }
    if (cfg && !(cfg->dt > 0.0f && cfg->dt <= 0.5f)) { err_set(e, "world_create: dt must be in (0, 0.5] s"); return NULL; }
    World *w = calloc(1, sizeof *w);
    if (!w) { err_set(e, "out of memory creating a world"); return NULL; }
    w->map = map;
    w->route = route;
    w->cfg = cfg ? *cfg : world_default_config();
    rng_seed(&w->st.rng, seed, 0x5157u);
    w->st.ego.last_red_light = -1;
    w->st.ego.stop_sign = -1;
    w->st.ego.lane = -1;
    if (build_lookups(w, e)) { world_destroy(w); return NULL; }
    obb_broadphase_init(w->bp_order, WORLD_MAX_ACTORS);
    signals_update(w);
    return w;
}

void world_destroy(World *w) {
    if (!w) return;
    free(w->lane_head);
    free(w->light_plan);
    free(w->entry_lanes);
    free(w->lane_max_curvature);
    free(w->ego_route_lane_pos);
    free(w);
}

const Map *world_map(const World *w) { return w->map; }
const Route *world_route(const World *w) { return w->route; }
const WorldConfig *world_config(const World *w) { return &w->cfg; }
WorldState *world_state(World *w) { return &w->st; }
const WorldState *world_state_const(const World *w) { return &w->st; }

int world_add_actor(World *w, const Actor *a) {
    if (w->st.n_actors >= WORLD_MAX_ACTORS) return -1;
    int i = w->st.n_actors++;
    Actor *dst = &w->st.actors[i];
    memset(dst, 0, sizeof *dst);
    *dst = *a;
    dst->id = w->st.next_id++;
    w->prev_box[i] = actor_obb(dst);
    return i;
}

Obb actor_obb(const Actor *a) {
    Obb b = {a->k.x, a->k.y, a->k.heading, 0.5f * a->length, 0.5f * a->width};
    if (a->flags & AF_DOOR_OPEN) { /* an open door sticks out ~1 m on the driver's (left) side */
        b.half_wid += 0.5f;
        b.cx += -sinf(a->k.heading) * 0.5f;
        b.cy += cosf(a->k.heading) * 0.5f;
    }
    return b;
}

static void actor_defaults(Actor *a) {
    memset(a, 0, sizeof *a);
    a->target_speed = -1.0f;
    a->stop_cleared_lane = -1;
    a->speed_factor = 1.0f;
    a->idm = (IdmParams){.v0 = 13.9f, .a = 1.5f, .b = 2.0f, .T = 1.5f, .s0 = 2.0f, .delta = 4.0f};
    a->mobil = (MobilParams){.politeness = 0.3f, .a_threshold = 0.2f, .b_safe = 3.0f};
    for (int i = 0; i < ACTOR_PATH_MAX; i++) a->path[i] = -1;
}

static void type_size(ActorType t, Rng *r, float *len, float *wid) {
    float u = r ? rng_uniform(r) : 0.5f;
    switch (t) {
    case ACTOR_VAN: *len = 5.2f + 0.4f * u; *wid = 2.0f; break;
    case ACTOR_TRUCK: *len = 8.0f + 2.0f * u; *wid = 2.5f; break;
    case ACTOR_BUS: *len = 11.0f + 1.0f * u; *wid = 2.55f; break;
    case ACTOR_EMERGENCY: *len = 5.5f; *wid = 2.1f; break;
    case ACTOR_BICYCLE: *len = 1.8f; *wid = 0.7f; break;
    case ACTOR_PEDESTRIAN: *len = 0.5f; *wid = 0.5f; break;
    default: *len = 4.4f + 0.6f * u; *wid = 1.85f + 0.15f * u; break;
    }
}

Actor actor_make_vehicle(const World *w, ActorType type, int lane, float s, float v, Rng *rng) {
    Actor a;
    actor_defaults(&a);
    a.type = (uint8_t)type;
    a.driver = DRIVER_TRAFFIC;
    type_size(type, rng, &a.length, &a.width);
    a.veh = vehicle_default_params(a.length);
    if (type == ACTOR_BICYCLE) a.veh.max_speed = 8.0f;
    const Map *m = w->map;
    map_lane_pose(m, lane, s, &a.k.x, &a.k.y, &a.k.heading);
    a.k.speed = v;
    a.path[0] = lane;
    a.path_len = 1;
    a.s = s;
    a.seg = -1;
    if (rng) { /* per-agent behaviour randomised within realistic ranges */
        a.speed_factor = rng_range(rng, 0.8f, 1.05f);
        a.idm.a = rng_range(rng, 1.0f, 2.0f);
        a.idm.b = rng_range(rng, 1.5f, 3.0f);
        a.idm.T = rng_range(rng, 1.0f, 1.8f);
        a.idm.s0 = rng_range(rng, 1.5f, 3.0f);
        a.mobil.politeness = rng_range(rng, 0.1f, 0.5f);
        a.lc_cooldown = rng_range(rng, 0.5f, 2.0f);
    }
    if (type == ACTOR_BICYCLE) a.speed_factor = fminf(a.speed_factor, 0.45f);
    a.idm.v0 = a.speed_factor * m->lanes[lane].speed_limit;
    return a;
}

Actor actor_make_static(ActorType type, float x, float y, float heading, float length, float width) {
    Actor a;
    actor_defaults(&a);
    a.type = (uint8_t)type;
    a.driver = DRIVER_STATIC;
    a.k.x = x; a.k.y = y; a.k.heading = heading;
    a.length = length; a.width = width;
    a.veh = vehicle_default_params(length);
    return a;
}

Actor actor_make_walker(const float *wx, const float *wy, int n, float speed) {
    Actor a;
    actor_defaults(&a);
    a.type = ACTOR_PEDESTRIAN;
    a.driver = DRIVER_WALKER;
    a.length = a.width = 0.5f;
    a.veh = vehicle_default_params(0.5f);
    if (n > WALKER_PATH_MAX) n = WALKER_PATH_MAX;
    for (int i = 0; i < n; i++) { a.wx[i] = wx[i]; a.wy[i] = wy[i]; }
    a.wn = n;
    a.wi = n > 1 ? 1 : 0;
    a.walk_speed = speed;
    a.k.x = wx[0]; a.k.y = wy[0];
    if (n > 1) a.k.heading = atan2f(wy[1] - wy[0], wx[1] - wx[0]);
    return a;
}

int world_add_ego(World *w, float v) {
    if (!w->route || w->route->n < 2 || w->st.n_actors != 0) return -1;
    Actor a;
    actor_defaults(&a);
    a.type = ACTOR_CAR;
    a.driver = DRIVER_EGO;
    a.length = 4.9f; a.width = 2.1f; /* a mid-size sedan, as CARLA's default ego */
    a.veh = vehicle_default_params(a.length);
    const RoutePoint *p = &w->route->pts[0];
    a.k.x = p->x; a.k.y = p->y; a.k.heading = p->heading; a.k.speed = v;
    a.path[0] = p->lane;
    a.path_len = 1;
    int i = world_add_actor(w, &a);
    w->st.ego.lane = p->lane;
    return i;
}

void world_set_plan(World *w, const Traj *t) {
    const Actor *ego = &w->st.actors[0];
    traj_to_world(t, ego->k.x, ego->k.y, ego->k.heading, ego->k.speed, &w->st.plan);
    w->st.plan_age = 0.0f;
}

static void step_walker(Actor *a, float dt) {
    if (a->wi >= a->wn) { walker_step(&a->k, 0.0f, a->k.heading, dt); return; }
    float dx = a->wx[a->wi] - a->k.x, dy = a->wy[a->wi] - a->k.y;
    if (dx * dx + dy * dy < 0.09f) { a->wi++; step_walker(a, dt); return; }
    walker_step(&a->k, a->walk_speed, atan2f(dy, dx), dt);
}

static void step_ego(World *w, const Control *ctl) {
    Actor *ego = &w->st.actors[0];
    Control c;
    if (ctl) c = *ctl;
    else if (w->st.plan.n > 0) {
        c = tracker_control(&w->cfg.tracker, &w->st.tracker, &ego->k, &ego->veh, &w->st.plan, w->st.plan_age, w->cfg.dt);
        w->st.plan_age += w->cfg.dt;
    } else c = (Control){-ego->veh.max_decel, 0.0f};
    if (!isfinite(c.accel) || !isfinite(c.steer)) c = (Control){-ego->veh.max_decel, ego->k.steer}; /* never integrate NaN */
    c.accel += w->st.ego_noise.accel; /* vehicle_step clamps to the vehicle's limits */
    c.steer += w->st.ego_noise.steer;
    vehicle_step(&ego->k, &ego->veh, c, w->cfg.dt);
}

void world_step(World *w, const Control *ego_control) {
    WorldState *st = &w->st;
    float dt = w->cfg.dt;
    st->n_events = 0;
    signals_update(w);
    traffic_index_lanes(w);      /* also records every footprint as prev_box */
    traffic_decide(w);           /* every decision reads the same pre-step state */
    for (int i = 0; i < st->n_actors; i++) {
        Actor *a = &st->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        switch (a->driver) {
        case DRIVER_EGO: if (w->cfg.has_ego && i == 0) step_ego(w, ego_control); break;
        case DRIVER_TRAFFIC: vehicle_step(&a->k, &a->veh, w->cmd[i], dt); break;
        case DRIVER_WALKER: step_walker(a, dt); break;
        default: break;
        }
    }
    traffic_advance_lanes(w);
    st->time += dt;
    st->step++;
    monitor_collisions(w);
    if (w->cfg.has_ego && st->n_actors > 0) monitor_ego(w);
}

void world_snapshot(const World *w, WorldSnapshot *s) { memcpy(s, &w->st, sizeof *s); }
void world_restore(World *w, const WorldSnapshot *s) { memcpy(&w->st, s, sizeof w->st); }

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}

/* Hashes fields, not raw struct bytes: padding bytes are not guaranteed to be copied. */
uint64_t world_hash(const World *w) {
    const WorldState *st = &w->st;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &st->time, sizeof st->time);
    h = fnv(h, &st->step, sizeof st->step);
    h = fnv(h, &st->rng, sizeof st->rng);
    h = fnv(h, &st->n_actors, sizeof st->n_actors);
    for (int i = 0; i < st->n_actors; i++) {
        const Actor *a = &st->actors[i];
        h = fnv(h, &a->k, sizeof a->k);
        h = fnv(h, &a->s, sizeof a->s);
        h = fnv(h, &a->lat_offset, sizeof a->lat_offset);
        h = fnv(h, a->path, sizeof a->path);
        h = fnv(h, &a->flags, sizeof a->flags);
        h = fnv(h, &a->wi, sizeof a->wi);
    }
    h = fnv(h, st->light_color, sizeof st->light_color);
    h = fnv(h, &st->n_events, sizeof st->n_events);
    for (int i = 0; i < st->n_events; i++) {
        const Event *ev = &st->events[i];
        h = fnv(h, &ev->kind, 1);
        h = fnv(h, &ev->other, sizeof ev->other);
        h = fnv(h, &ev->value, sizeof ev->value);
    }
    return h;
}

void worlds_step_parallel(World **worlds, int n, const Control *controls, int threads) {
    if (threads < 1) threads = 1;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < n; i++) world_step(worlds[i], controls ? &controls[i] : NULL);
}

static const char *const EVENT_NAMES[EV_KIND_COUNT] = {
    "collision", "red_light", "stop_sign", "off_road", "wrong_way", "off_route",
    "blocked", "near_miss", "hard_brake", "route_done"};
static const char *const TYPE_NAMES[ACTOR_TYPE_COUNT] = {
    "car", "van", "truck", "bus", "emergency", "bicycle", "pedestrian", "static"};

const char *event_kind_name(EventKind k) { return (unsigned)k < EV_KIND_COUNT ? EVENT_NAMES[k] : "?"; }
const char *actor_type_name(ActorType t) { return (unsigned)t < ACTOR_TYPE_COUNT ? TYPE_NAMES[t] : "?"; }
