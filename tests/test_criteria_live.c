/* The leaderboard criteria on live simulator episodes (tests/test_criteria.c covers them on
 * hand-made WorldStates): a scripted ego drives real routes through real actors and lights, and
 * the RouteResult must show exactly the infractions, factors and statuses of SCENARIOS.md A2-A4. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/criteria.h"
#include "craft/world.h"

typedef struct {
    Map *map;
    Route route;
    World *w;
    Criteria c;
    float s0; /* arc length of the route start on its first lane */
} Live;

static Map *build(const char *name) {
    MapParams p;
    Err e = {{0}};
    cr_assert_eq(map_params_from_name(name, &p, &e), 0, "%s", e.msg);
    Map *m = map_build(&p, &e);
    cr_assert_not_null(m, "%s", e.msg);
    return m;
}

/* Route on `map` starting at (x, y) heading h: the lane there, then (at a junction) the connector
 * with the given turn and its exit. */
static void open_live(Live *L, const char *map, float x, float y, float h, TurnKind turn, RuleSet rules) {
    Err e = {{0}};
    memset(L, 0, sizeof *L);
    L->map = build(map);
    LaneProj p;
    cr_assert_eq(map_nearest_lane(L->map, x, y, h, 1u << LANE_DRIVING, 3.0f, &p), 0);
    int lanes[3] = {p.lane}, n = 1;
    const Lane *ln = &L->map->lanes[p.lane];
    for (int k = 0; k < ln->n_succ && turn != TURN_NONE; k++)
        if (L->map->lanes[ln->succ[k]].turn == turn) {
            lanes[n++] = ln->succ[k];
            lanes[n++] = L->map->lanes[ln->succ[k]].succ[0];
            break;
        }
    L->s0 = p.s;
    float s_end = n == 1 ? fminf(p.s + 100.0f, ln->length) : 40.0f;
    cr_assert_eq(route_build(L->map, lanes, n, p.s, s_end, 1.0f, &L->route, &e), 0, "%s", e.msg);
    WorldConfig cfg = world_default_config();
    L->w = world_create(L->map, &L->route, &cfg, 1, &e);
    cr_assert_not_null(L->w, "%s", e.msg);
    cr_assert_geq(world_add_ego(L->w, 0.0f), 0);
    cr_assert_eq(criteria_init(&L->c, &L->route, L->map, rules, &e), 0, "%s", e.msg);
}

static void close_live(Live *L) {
    criteria_free(&L->c);
    world_destroy(L->w);
    route_free(&L->route);
    map_destroy(L->map);
}

/* Pure pursuit along the route shifted `lat` metres to the left, P-control on the speed. */
static Control follow(const Live *L, float v_target, float lat) {
    const WorldState *ws = world_state_const(L->w);
    const Actor *ego = &ws->actors[0];
    int i = ws->ego.route_idx + 6;
    if (i >= L->route.n) i = L->route.n - 1;
    const RoutePoint *rp = &L->route.pts[i];
    float tx = rp->x - sinf(rp->heading) * lat, ty = rp->y + cosf(rp->heading) * lat;
    float ang = wrap_angle(atan2f(ty - ego->k.y, tx - ego->k.x) - ego->k.heading);
    float ld = fmaxf(hypotf(tx - ego->k.x, ty - ego->k.y), 1.0f);
    Control c = {.accel = 2.0f * (v_target - ego->k.speed), .steer = atanf(2.0f * 2.8f * sinf(ang) / ld)};
    if (v_target <= 0.0f) c.accel = -8.0f;
    return c;
}

static int tick(Live *L, Control c) {
    world_step(L->w, &c);
    return criteria_tick(&L->c, world_state_const(L->w), 0.1);
}

static void finish(Live *L, RouteResult *r) { criteria_finish(&L->c, r); }

/* ---- collisions ------------------------------------------------------------------------------ */
static float route_x(const Live *L, float s) { return L->route.pts[(int)s].x; }
static float route_y(const Live *L, float s) { return L->route.pts[(int)s].y; }

static void drive_blind(Live *L, float v, int max_steps) {
    for (int t = 0; t < max_steps; t++)
        if (tick(L, follow(L, v, 0.0f))) break;
}

Test(criteria_live, each_collision_kind_has_its_coefficient) {
    const ActorType kinds[3] = {ACTOR_CAR, ACTOR_STATIC, ACTOR_PEDESTRIAN};
    const InfractionKind inf[3] = {INF_COLLISION_VEHICLE, INF_COLLISION_LAYOUT, INF_COLLISION_PEDESTRIAN};
    const double factor[3] = {0.60, 0.65, 0.50};
    for (int k = 0; k < 3; k++) {
        Live L;
        open_live(&L, "straight:length=200", 10.0f, -1.75f, 0.0f, TURN_NONE, RULES_BENCH2DRIVE);
        float x = route_x(&L, 50), y = route_y(&L, 50);
        Actor a = kinds[k] == ACTOR_PEDESTRIAN ? actor_make_walker(&x, &y, 1, 0.0f)
                                               : actor_make_static(kinds[k], x, y, 0.0f, 4.5f, 1.9f);
        cr_assert_geq(world_add_actor(L.w, &a), 0);
        drive_blind(&L, 8.0f, 600);
        RouteResult r;
        finish(&L, &r);
        cr_assert_eq(r.count[inf[k]], 1, "kind %d: %d", k, r.count[inf[k]]);
        cr_assert_eq(route_result_total_infractions(&r), r.count[inf[k]] + r.count[INF_MIN_SPEED]);
        cr_assert_float_eq(r.penalty, factor[k], 1e-12);
        close_live(&L);
    }
}

/* The ego hits a parked car, stops in contact, waits 6 s (the same-id memory of 5 s expires), then
 * creeps 3.5 m further into it: the renewed contact lies within 5 m of the counted one and is ignored.
 * Two cars 30 m apart count twice (0.6 x 0.6). */
Test(criteria_live, collision_deduplication) {
    for (int k = 0; k < 2; k++) {
        Live L;
        open_live(&L, "straight:length=200", 10.0f, -1.75f, 0.0f, TURN_NONE, RULES_BENCH2DRIVE);
        for (int j = 0; j < 1 + k; j++) {
            float s = 50.0f + 30.0f * (float)j;
            Actor a = actor_make_static(ACTOR_CAR, route_x(&L, s), route_y(&L, s), 0.0f, 4.5f, 1.9f);
            world_add_actor(L.w, &a);
        }
        double t_hit = -1.0;
        float x_hit = 0.0f;
        int creep_contacts = 0;
        for (int t = 0; t < 900; t++) {
            const WorldState *ws = world_state_const(L.w);
            float v = 4.0f;
            if (k == 0 && t_hit >= 0.0) v = ws->time < t_hit + 6.0 || ws->actors[0].k.x > x_hit + 3.5f ? 0.0f : 0.5f;
            if (tick(&L, follow(&L, v, 0.0f))) break;
            for (int q = 0; q < ws->n_events; q++)
                if (ws->events[q].kind == EV_COLLISION && ws->events[q].actor == 0) {
                    if (t_hit < 0.0) t_hit = ws->time, x_hit = ws->actors[0].k.x;
                    else if (ws->time > t_hit + 6.0 && ws->actors[0].k.speed >= 0.1f) creep_contacts++;
                }
        }
        RouteResult r;
        finish(&L, &r);
        if (k == 0) cr_assert_gt(creep_contacts, 0, "no renewed contact while creeping");
        cr_assert_eq(r.count[INF_COLLISION_VEHICLE], 1 + k, "case %d: %d", k, r.count[INF_COLLISION_VEHICLE]);
        cr_assert_float_eq(r.penalty, pow(0.6, 1 + k), 1e-12);
        close_live(&L);
    }
}

/* A standing ego rear-ended by a car that ignores vehicles: contact events, no infraction. */
Test(criteria_live, standing_ego_hit_from_behind_is_not_at_fault) {
    Live L;
    open_live(&L, "straight:length=200", 60.0f, -1.75f, 0.0f, TURN_NONE, RULES_BENCH2DRIVE);
    LaneProj p;
    map_nearest_lane(L.map, 30.0f, -1.75f, 0.0f, 1u << LANE_DRIVING, 3.0f, &p);
    Actor a = actor_make_vehicle(L.w, ACTOR_CAR, p.lane, p.s, 8.0f, NULL);
    a.flags |= AF_IGNORE_VEHICLES;
    cr_assert_geq(world_add_actor(L.w, &a), 0);
    int contacts = 0;
    for (int t = 0; t < 100; t++) {
        tick(&L, follow(&L, 0.0f, 0.0f));
        const WorldState *ws = world_state_const(L.w);
        for (int k = 0; k < ws->n_events; k++) contacts += ws->events[k].kind == EV_COLLISION && ws->events[k].actor == 0;
    }
    cr_assert_gt(contacts, 0, "the follower never reached the ego");
    RouteResult r;
    finish(&L, &r);
    cr_assert_eq(r.count[INF_COLLISION_VEHICLE], 0);
    close_live(&L);
}

/* ---- red light and stop sign ---------------------------------------------------------------- */
/* South approach of the 4-way junction, straight across; ego light forced red. */
static void open_junction(Live *L, const char *map) {
    open_live(L, map, 1.75f, -60.0f, (float)M_PI_2, TURN_STRAIGHT, RULES_BENCH2DRIVE);
}

static int ego_light(const Live *L) { return L->map->lanes[L->route.lanes[0]].light; }

Test(criteria_live, red_light_run_versus_stopped_at_the_line) {
    for (int obey = 0; obey < 2; obey++) {
        Live L;
        open_junction(&L, "junction4_light");
        int light = ego_light(&L);
        cr_assert_geq(light, 0);
        world_force_light(L.w, light, LIGHT_RED, 20.0f); /* red for 20 s, then its plan */
        float stop_s = L.map->lanes[L.route.lanes[0]].length - L.s0;
        for (int t = 0; t < 1200; t++) {
            const WorldState *ws = world_state_const(L.w);
            float to_line = stop_s - ws->ego.route_progress - 2.5f;
            int red = world_light(L.w, light) != LIGHT_GREEN;
            float v = obey && red && to_line < 12.0f ? fmaxf(0.0f, to_line) * 0.8f : 8.0f;
            if (obey && red && to_line < 0.5f) v = 0.0f;
            if (tick(&L, follow(&L, v, 0.0f))) break;
        }
        RouteResult r;
        finish(&L, &r);
        cr_assert_eq(r.count[INF_RED_LIGHT], obey ? 0 : 1, "obey=%d: %d", obey, r.count[INF_RED_LIGHT]);
        cr_assert_float_eq(r.penalty, obey ? 1.0 : 0.7, 1e-12);
        cr_assert_eq(r.status, ROUTE_COMPLETED);
        close_live(&L);
    }
}

Test(criteria_live, stop_sign_needs_a_full_stop) {
    for (int stop = 0; stop < 2; stop++) {
        Live L;
        open_junction(&L, "junction4_stop");
        float stop_s = L.map->lanes[L.route.lanes[0]].length - L.s0;
        double stopped = 0.0;
        for (int t = 0; t < 1200; t++) {
            const WorldState *ws = world_state_const(L.w);
            float to_line = stop_s - ws->ego.route_progress - 2.5f;
            float v = 6.0f;
            if (stop && stopped < 2.0 && to_line < 10.0f) v = to_line < 0.5f ? 0.0f : fmaxf(0.0f, to_line) * 0.6f;
            if (stop && ws->actors[0].k.speed < 0.05f && to_line < 1.0f) stopped += 0.1;
            if (tick(&L, follow(&L, v, 0.0f))) break;
        }
        RouteResult r;
        finish(&L, &r);
        cr_assert_eq(r.count[INF_STOP], stop ? 0 : 1, "stop=%d: %d", stop, r.count[INF_STOP]);
        cr_assert_float_eq(r.penalty, stop ? 1.0 : 0.8, 1e-12);
        close_live(&L);
    }
}

/* ---- outside route lanes ------------------------------------------------------------------- */
/* 100 m route on a 1+1 road; ~10 m of it driven in the oncoming lane → factor 1 - pct/100 ≈ 0.9.
 * With the wrong-direction check off (TwoWays scenarios) nothing is counted. */
Test(criteria_live, outside_lanes_penalty_is_one_minus_share) {
    for (int check = 1; check >= 0; check--) {
        Live L;
        open_live(&L, "straight:length=200,lanes_fwd=1,lanes_bwd=1", 20.0f, -1.75f, 0.0f, TURN_NONE, RULES_BENCH2DRIVE);
        criteria_set_wrong_direction_check(&L.c, check);
        for (int t = 0; t < 600; t++) {
            float prog = world_state_const(L.w)->ego.route_progress;
            float lat = prog > 37.0f && prog < 47.0f ? 3.5f : 0.0f;
            if (tick(&L, follow(&L, 6.0f, lat))) break;
        }
        RouteResult r;
        finish(&L, &r);
        if (check) {
            cr_assert(r.outside_lanes_pct > 7.0 && r.outside_lanes_pct < 13.0, "pct %.2f", r.outside_lanes_pct);
            cr_assert_float_eq(r.penalty, 1.0 - r.outside_lanes_pct / 100.0, 1e-9);
            cr_assert_eq(r.count[INF_OUTSIDE_LANES], 1);
        } else {
            cr_assert_eq(r.count[INF_OUTSIDE_LANES], 0);
            cr_assert_float_eq(r.penalty, 1.0, 1e-12);
        }
        close_live(&L);
    }
}

/* ---- ending the route ------------------------------------------------------------------------- */
Test(criteria_live, blocked_for_60_s_ends_the_route) {
    const RuleSet rules[2] = {RULES_BENCH2DRIVE, RULES_LEADERBOARD2};
    const double limit[2] = {60.0, 180.0};
    for (int k = 0; k < 2; k++) {
        Live L;
        open_live(&L, "straight:length=200", 10.0f, -1.75f, 0.0f, TURN_NONE, rules[k]);
        int t = 0;
        for (; t < 2500; t++)
            if (tick(&L, follow(&L, t < 30 ? 3.0f : 0.0f, 0.0f))) break;
        RouteResult r;
        finish(&L, &r);
        cr_assert_eq(r.status, ROUTE_FAILED_BLOCKED);
        cr_assert_eq(r.count[INF_BLOCKED], 1);
        cr_assert(r.duration_game > limit[k] && r.duration_game < limit[k] + 5.0, "ended at %.1f s", r.duration_game);
        close_live(&L);
    }
}

/* Ordered left, the ego goes straight on: the route ends once it is 30 m away. */
Test(criteria_live, deviation_of_30_m_ends_the_route) {
    Live L;
    open_live(&L, "junction4_none", 1.75f, -60.0f, (float)M_PI_2, TURN_LEFT, RULES_BENCH2DRIVE);
    cr_assert_gt(L.route.n_lanes, 1);
    int ended = 0;
    for (int t = 0; t < 600 && !ended; t++) {
        const Actor *ego = &world_state_const(L.w)->actors[0];
        Control c = {.accel = 2.0f * (8.0f - ego->k.speed), .steer = -1.5f * wrap_angle(ego->k.heading - (float)M_PI_2)};
        ended = tick(&L, c);
    }
    cr_assert(ended);
    RouteResult r;
    finish(&L, &r);
    cr_assert_eq(r.status, ROUTE_FAILED_DEVIATED);
    cr_assert_eq(r.count[INF_ROUTE_DEV], 1);
    cr_assert_lt(r.route_completion, 100.0);
    close_live(&L);
}

/* Creeping at 0.3 m/s (never "blocked") runs into Bench2Drive's 200 s cap; leaderboard 2.0 has none. */
Test(criteria_live, bench2drive_caps_the_route_at_200_s) {
    Live L;
    open_live(&L, "straight:length=200", 10.0f, -1.75f, 0.0f, TURN_NONE, RULES_BENCH2DRIVE);
    int t = 0;
    for (; t < 2100; t++)
        if (tick(&L, follow(&L, 0.3f, 0.0f))) break;
    RouteResult r;
    finish(&L, &r);
    cr_assert_eq(r.status, ROUTE_FAILED_TICKRUNTIME);
    cr_assert_float_eq(r.duration_game, 200.0, 0.11);
    cr_assert(r.route_completion > 40.0 && r.route_completion < 75.0, "RC %.1f", r.route_completion);
    close_live(&L);
    open_live(&L, "straight:length=200", 10.0f, -1.75f, 0.0f, TURN_NONE, RULES_LEADERBOARD2);
    for (t = 0; t < 2100; t++) cr_assert_eq(tick(&L, follow(&L, 0.3f, 0.0f)), 0, "ended at %d", t);
    close_live(&L);
}
