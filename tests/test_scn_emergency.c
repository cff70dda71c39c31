/* Emergency-brake group (SCENARIOS.md B3, items 26-37): every type builds for several seeds with
 * its route length and trigger point in range and runs deterministically; each type's scripted
 * act happens at its trigger condition with the numbers the source gives (speeds, distances,
 * delays, lights, noise), driven by the world's autopilot. Also the WorldState.ego_noise hook. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "scenario/scn_internal.h"
#include "test_scn_util.h"

#define DT 0.1

static void step(Scenario *s) {
    Control c;
    cr_assert_eq(world_autopilot(scenario_world(s), &c), 0);
    scenario_step(s, &c);
}

/* Steps with the autopilot until the phase is at least `phase` (or max_steps); returns steps. */
static int run_to_phase(Scenario *s, ScenarioPhase phase, int max_steps) {
    int n = 0;
    while ((int)scenario_phase(s) < (int)phase && n < max_steps && !scenario_ended(s)) step(s), n++;
    return n;
}

static int run_to_acts(Scenario *s, int acts, int max_steps) {
    int n = 0;
    while (scenario_acts(s) < acts && n < max_steps && !scenario_ended(s)) step(s), n++;
    return n;
}

static const Actor *act(Scenario *s, int idx) { return &world_state(scenario_world(s))->actors[idx]; }
static double now(Scenario *s) { return world_state(scenario_world(s))->time; }
static float odo(Scenario *s) { return world_state(scenario_world(s))->ego.travelled; }
static int hidden(Scenario *s, int idx) { return (act(s, idx)->flags & AF_HIDDEN) != 0; }
static float ego_dist(Scenario *s, float x, float y) {
    const Actor *e = act(s, 0);
    return hypotf(e->k.x - x, e->k.y - y);
}
/* The source's start condition: within d of (x, y) or time-to-arrival below tta. */
static int near_or_tta(Scenario *s, float x, float y, float d, float tta) {
    float dist = ego_dist(s, x, y), v = act(s, 0)->k.speed;
    return dist < d || (v > 0.1f && dist / v < tta);
}
/* Steps until the type's act; asserts that it happens on exactly the step where the source's
 * start condition first holds (the script sees the same state the condition is computed on). */
static void expect_release(Scenario *s, float x, float y, float d, float tta) {
    for (int t = 0; t < 600; t++) {
        int cond = near_or_tta(s, x, y, d, tta), before = scenario_acts(s);
        step(s);
        if (cond) {
            cr_assert_eq(scenario_acts(s), before + 1, "not released although the condition held (t=%.1f)", now(s));
            return;
        }
        cr_assert_eq(scenario_acts(s), before, "released before the condition held (t=%.1f, %.1f m)", now(s),
                     ego_dist(s, x, y));
    }
    cr_assert_fail("never released");
}

static int ego_collisions(Scenario *s) {
    const WorldState *ws = world_state(scenario_world(s));
    int n = 0;
    for (int k = 0; k < ws->n_events; k++) n += ws->events[k].kind == EV_COLLISION && ws->events[k].actor == 0;
    return n;
}

/* ---- (1) creation, lengths, trigger, determinism, for every type --------------------------------- */
typedef struct { const char *name; float len_lo, len_hi, trig_hi; } TypeRange;
/* Route lengths: straight types trigger (2-14) + their span; junction types trigger (2-12) +
 * approach (20-30) + connector (12-26 m) + 25 m; limits widened by 1 m for resampling. */
static const TypeRange TYPES[12] = {
    {"BlockedIntersection", 55, 100, 12},        {"DynamicObjectCrossing", 111, 135, 14},
    {"HardBreakRoute", 121, 135, 14},            {"OppositeVehicleTakingPriority", 55, 100, 12},
    {"OppositeVehicleRunningRedLight", 55, 100, 12}, {"ParkingCutIn", 111, 125, 14},
    {"PedestrianCrossing", 55, 100, 12},         {"ParkingCrossingPedestrian", 107, 130, 14},
    {"StaticCutIn", 136, 155, 14},               {"VehicleTurningRoute", 55, 100, 12},
    {"VehicleTurningRoutePedestrian", 55, 100, 12}, {"ControlLoss", 126, 140, 14}};

Test(scn_emergency, all_types_registered_in_order) {
    for (int k = 0; k < 12; k++) cr_assert_eq(scenario_type_find(TYPES[k].name) >= 0, 1, "%s", TYPES[k].name);
    for (int k = 1; k < 12; k++)
        cr_assert_eq(scenario_type_find(TYPES[k].name), scenario_type_find(TYPES[k - 1].name) + 1, "%s", TYPES[k].name);
}

Test(scn_emergency, create_length_trigger_determinism) {
    for (int k = 0; k < 12; k++)
        for (uint64_t seed = 0; seed < 5; seed++) {
            Scenario *a = scn_make(TYPES[k].name, seed, NULL, 1), *b = scn_make(TYPES[k].name, seed, NULL, 1);
            float len = scenario_route(a)->length, tr = scenario_trigger_s(a);
            cr_assert(len >= TYPES[k].len_lo && len <= TYPES[k].len_hi, "%s seed %llu: route %.1f m not in [%g, %g]",
                      TYPES[k].name, (unsigned long long)seed, len, TYPES[k].len_lo, TYPES[k].len_hi);
            cr_assert(tr >= 2.0f && tr <= TYPES[k].trig_hi, "%s: trigger at %.2f m", TYPES[k].name, tr);
            cr_assert_eq(scenario_phase(a), SCN_WAITING);
            /* the trigger fires when the ego's route progress reaches the trigger point (< 2 m) */
            for (int t = 0; t < 50; t++) {
                step(a);
                step(b);
                if (scenario_phase(a) != SCN_WAITING && scenario_trigger_time(a) >= now(a) - DT - 1e-6)
                    cr_assert(world_state(scenario_world(a))->ego.route_progress > tr - 2.0f - 1.5f,
                              "%s: triggered %.2f m before the trigger point", TYPES[k].name,
                              tr - world_state(scenario_world(a))->ego.route_progress);
            }
            cr_assert_eq(world_hash(scenario_world(a)), world_hash(scenario_world(b)), "%s seed %llu not deterministic",
                         TYPES[k].name, (unsigned long long)seed);
            scenario_destroy(a);
            scenario_destroy(b);
        }
}

Test(scn_emergency, parameter_overrides_are_used) {
    Scenario *s = scn_make("DynamicObjectCrossing", 3, "distance=46,crossing_angle=10", 1);
    /* conflict point W at trigger + 46 m along the straight ego lane (y constant) */
    cr_assert_float_eq(s->st.f[0], 60.0f + scenario_trigger_s(s) + 46.0f, 1.0f); /* route points 1 m apart */
    cr_assert_float_eq(s->st.f[2], 2.1f + 0.1f * 2.0f, 1e-5f); /* TTA 2.1 + 0.1 floor(10 / 5) */
    scenario_destroy(s);
    RouteSpec rs = {.id = "bad", .type = "HardBreakRoute", .seed = 1, .overrides = "distance=3"};
    Err e = {0};
    cr_assert_null(scenario_create(&rs, NULL, &e));
    cr_assert(strstr(e.msg, "distance"), "%s", e.msg);
}

/* ---- the world hook --------------------------------------------------------------------------- */
Test(scn_emergency, ego_noise_adds_to_the_applied_control) {
    Scenario *s = scn_make("ControlLoss", 0, NULL, 1);
    World *w = scenario_world(s);
    Control c = {1.0f, 0.0f};
    for (int t = 0; t < 30; t++) world_step(w, &c); /* 3 s at 1 m/s²: 3 m/s, wheel straight */
    WorldState *ws = world_state(w);
    ws->ego_noise = (Control){0.5f, 0.05f};
    world_step(w, &c);
    cr_assert_float_eq(ws->actors[0].k.accel, 1.5f, 1e-3f);   /* 1.0 + 0.5 m/s² */
    cr_assert_float_eq(ws->actors[0].k.steer, 0.05f, 1e-6f);  /* within the 0.1 rad/step rate limit */
    ws->ego_noise = (Control){0.0f, 0.0f};
    world_step(w, NULL); /* no plan: the world brakes fully; noise still adds (here zero) */
    cr_assert_float_eq(ws->actors[0].k.accel, -ws->actors[0].veh.max_decel, 1e-3f);
    scenario_destroy(s);
}

/* ---- (2) the acts ------------------------------------------------------------------------------- */
Test(scn_emergency, blocked_intersection_blocker_waits_10s_then_goes) {
    for (uint64_t seed = 0; seed < 2; seed++) {
        Scenario *s = scn_make("BlockedIntersection", seed, NULL, 1);
        int b = s->st.i[0];
        cr_assert(hidden(s, b));
        run_to_phase(s, SCN_RUNNING, 300);
        cr_assert_eq(scenario_acts(s), 1);
        cr_assert(!hidden(s, b), "blocker placed at the trigger");
        cr_assert(s->st.timer_on, "ScenarioTimeout runs");
        cr_assert_float_eq(s->st.timer_end - now(s), SCN_TIMEOUT_S, DT + 1e-3);
        /* the blocker is 5 m after the junction exit in the route's exit lane */
        float bx, by;
        scn_route_pose(s, scn_route_junction_exit_s(s) + 5.0f, &bx, &by, NULL, NULL, NULL);
        cr_assert_float_eq(act(s, b)->k.x, bx, 0.3f);
        cr_assert_float_eq(act(s, b)->k.y, by, 0.3f);
        double t13 = -1;
        int hits = 0;
        for (int t = 0; t < 600 && scenario_phase(s) != SCN_DONE; t++) {
            step(s);
            hits += ego_collisions(s);
            if (t13 < 0 && ego_dist(s, bx, by) < 13.0f) t13 = now(s);
        }
        cr_assert(t13 > 0, "the autopilot reaches the blocker");
        cr_assert_eq(scenario_phase(s), SCN_DONE);
        cr_assert_eq(scenario_acts(s), 2);
        cr_assert(hidden(s, b), "blocker removed");
        /* t13 is the time of the script call that saw it; the blocker goes on the call 10 s later */
        cr_assert(now(s) - DT - t13 >= 10.0 - 1e-3 && now(s) - DT - t13 < 10.0 + DT + 1e-3, "%.2f s", now(s) - DT - t13);
        cr_assert_lt(act(s, 0)->k.speed, 0.5f, "the ego waited behind the blocker");
        cr_assert_eq(hits, 0);
        cr_assert(!s->st.timer_on);
        scenario_destroy(s);
    }
}

/* 27 and 33: the walker stands until the start condition, then walks `walk` m at 2 m/s across
 * the ego lane; it and its blocker go; the scenario ends 40 m (odometer) later. */
static void crossing_walker_check(const char *type, uint64_t seed, float walk_expected) {
    Scenario *s = scn_make(type, seed, NULL, 1);
    int wk = s->st.i[0], blk = s->st.i[1];
    float wx = s->st.f[0], wy = s->st.f[1], tta = s->st.f[2];
    cr_assert(hidden(s, wk) && !hidden(s, blk));
    run_to_phase(s, SCN_RUNNING, 300);
    cr_assert(!hidden(s, wk), "walker placed at the trigger");
    KinState k0 = act(s, wk)->k;
    cr_assert_eq(act(s, wk)->driver, DRIVER_STATIC, "a standing walker is no kerb-side walker to traffic");
    expect_release(s, wx, wy, 6.0f, tta);
    cr_assert_eq(act(s, wk)->driver, DRIVER_WALKER);
    cr_assert_eq(scenario_acts(s), 1);
    /* released on the step where the condition held (checked before the world stepped) */
    cr_assert_float_eq(s->st.f[3], walk_expected > 0 ? walk_expected : s->st.f[3], 1e-4f);
    for (int t = 0; t < 10; t++) step(s); /* 1.1 s (with the release step) at 2 m/s along its heading */
    const Actor *w = act(s, wk);
    float along = (w->k.x - k0.x) * cosf(k0.heading) + (w->k.y - k0.y) * sinf(k0.heading);
    cr_assert_float_eq(along, 2.2f, 0.05f, "%s: walked %.2f m in 1.1 s", type, along);
    /* it walks towards the road: the lateral offset from the ego lane shrinks */
    float lat0 = fabsf(k0.y - wy), lat1 = fabsf(w->k.y - wy);
    cr_assert_lt(lat1, lat0 - 1.5f, "%s: walker moves into the road (%.2f -> %.2f)", type, lat0, lat1);
    float walk = s->st.f[3];
    for (int t = 0; t < 200 && s->st.sub == 1; t++) step(s);
    cr_assert_eq(s->st.sub, 2);
    cr_assert_float_eq(hypotf(act(s, wk)->k.x - k0.x, act(s, wk)->k.y - k0.y), walk, 0.35f);
    cr_assert(hidden(s, wk) && hidden(s, blk), "walker and blocker destroyed");
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE && !scenario_ended(s); t++) step(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE, "%s: ends before the route does", type);
    /* ended by the script call before the last step, once 40 m were driven */
    float driven = odo(s) - s->st.f[4], last = act(s, 0)->k.speed * (float)DT;
    cr_assert(driven >= 40.0f && driven < 40.0f + 2.0f * last + 0.2f, "%s: ended after %.2f m", type, driven);
    scenario_destroy(s);
}

Test(scn_emergency, dynamic_object_crossing_walker_crosses) {
    crossing_walker_check("DynamicObjectCrossing", 0, -1.0f);
    crossing_walker_check("DynamicObjectCrossing", 4, -1.0f);
}

Test(scn_emergency, parking_crossing_pedestrian_walks_8m) {
    crossing_walker_check("ParkingCrossingPedestrian", 1, 8.0f);
    Scenario *s = scn_make("ParkingCrossingPedestrian", 2, "crossing_angle=0", 1);
    /* parked car and walker one lane width (3.5 m) right of the ego lane centre */
    const Actor *car = act(s, s->st.i[1]), *w = act(s, s->st.i[0]);
    cr_assert_float_eq(car->k.y - s->st.f[1], -3.5f, 1e-3f);
    cr_assert_float_eq(w->k.y - s->st.f[1], -3.5f, 1e-3f);
    cr_assert_float_eq(w->k.x - car->k.x, 0.5f * car->length + 0.5f, 1e-3f);
    cr_assert_float_eq(w->k.heading, 1.5707964f, 1e-5f); /* facing across the road */
    scenario_destroy(s);
}

Test(scn_emergency, hard_break_front_traffic_stops_10s) {
    Scenario *s = scn_make("HardBreakRoute", 1, NULL, 1);
    run_to_phase(s, SCN_RUNNING, 300);
    cr_assert_eq(scenario_acts(s), 1);
    int n = s->st.i[0];
    cr_assert_geq(n, 1, "background vehicles ahead were told to stop");
    int stopped[WORLD_MAX_ACTORS], ns = 0;
    const WorldState *ws = world_state(scenario_world(s));
    for (int i = 1; i < ws->n_actors; i++)
        if ((ws->actors[i].flags & AF_BACKGROUND) && ws->actors[i].speed_factor == 0.0f) stopped[ns++] = i;
    cr_assert_eq(ns, n);
    double t0 = scenario_trigger_time(s);
    int hits = 0;
    while (now(s) < t0 + 9.5) step(s), hits += ego_collisions(s);
    for (int k = 0; k < ns; k++) cr_assert_lt(act(s, stopped[k])->k.speed, 0.05f, "vehicle %d still moving", stopped[k]);
    while (now(s) < t0 + 10.0 + DT) step(s), hits += ego_collisions(s);
    cr_assert_eq(scenario_acts(s), 2, "released after 10 s");
    for (int k = 0; k < ns; k++) cr_assert_float_eq(act(s, stopped[k])->speed_factor, 1.0f, 0.0f);
    float o0 = s->st.f[0];
    while (now(s) < t0 + 13.0) step(s), hits += ego_collisions(s);
    for (int k = 0; k < ns; k++) cr_assert_gt(act(s, stopped[k])->k.speed, 1.0f, "vehicle %d drives again", stopped[k]);
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE; t++) step(s), hits += ego_collisions(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    cr_assert_float_eq(odo(s) - o0, 15.0f, 1.5f);
    cr_assert_eq(hits, 0, "the autopilot does not rear-end the braking traffic");
    scenario_destroy(s);
}

/* 29 / 30: the emergency vehicle stands hidden, then at the condition crosses at 60 km/h. */
static Scenario *opposite_check(const char *type, uint64_t seed, const char *over) {
    Scenario *s = scn_make(type, seed, over, 1);
    int adv = s->st.i[0];
    float cx = s->st.f[0], cy = s->st.f[1];
    cr_assert(hidden(s, adv));
    cr_assert_eq(act(s, adv)->type, ACTOR_EMERGENCY);
    cr_assert(act(s, adv)->flags & AF_SIREN);
    run_to_phase(s, SCN_RUNNING, 300);
    cr_assert(!hidden(s, adv));
    KinState k0 = act(s, adv)->k;
    while (scenario_acts(s) == 0 && !near_or_tta(s, cx, cy, 12.0f, 2.2f)) {
        step(s);
        cr_assert_float_eq(act(s, adv)->k.x, k0.x, 1e-4f, "stands until released");
        cr_assert_float_eq(act(s, adv)->k.y, k0.y, 1e-4f);
    }
    expect_release(s, cx, cy, 12.0f, 2.2f);
    cr_assert_eq(scenario_acts(s), 1);
    cr_assert_float_eq(act(s, adv)->k.speed, 60.0f / 3.6f, 1e-3f);
    float x0 = act(s, adv)->k.x, y0 = act(s, adv)->k.y;
    for (int t = 0; t < 10; t++) step(s);
    cr_assert_float_eq(hypotf(act(s, adv)->k.x - x0, act(s, adv)->k.y - y0), 60.0f / 3.6f, 0.2f,
                       "constant 60 km/h for 1 s");
    cr_assert_float_eq(act(s, adv)->k.speed, 60.0f / 3.6f, 0.05f);
    double limit = s->st.f[2], t_go = s->st.t_sub; /* the script call that released it */
    cr_assert_float_eq(limit, (30.0f + 2.0f * 13.0f + 10.0f) / (60.0f / 3.6f), 0.5f); /* ~66 m spawn -> sink */
    while (!hidden(s, adv) && now(s) < t_go + 10.0) step(s);
    cr_assert(hidden(s, adv));
    double t_hide = now(s) - DT; /* hidden by the script before the last step */
    cr_assert(t_hide - t_go >= limit - 1e-3 && t_hide - t_go < limit + DT + 1e-3, "removed after %.2f s", t_hide - t_go);
    return s;
}

Test(scn_emergency, opposite_vehicle_taking_priority_crosses) {
    Scenario *s = opposite_check("OppositeVehicleTakingPriority", 0, NULL);
    /* the ego is on the priority road (west arm), the adversary comes from a yield arm */
    int appr;
    scn_route_junction(s, &appr, NULL);
    cr_assert_eq(s->map->lanes[appr].control, CONTROL_PRIORITY);
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE; t++) step(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    cr_assert_geq(scn_ego_progress(s), scn_route_junction_exit_s(s), "ends when the ego leaves the junction");
    scenario_destroy(s);
}

Test(scn_emergency, opposite_vehicle_running_red_light_lights) {
    Scenario *s = scn_make("OppositeVehicleRunningRedLight", 3, "direction=0", 1);
    run_to_phase(s, SCN_RUNNING, 300);
    World *w = scenario_world(s);
    int ego_light = scn_light_of(s->map, s->st.i[3]), adv_light = scn_light_of(s->map, act(s, s->st.i[0])->path[0]);
    for (int t = 0; t < 10; t++) step(s);
    cr_assert_eq(world_light(w, ego_light), LIGHT_GREEN);
    for (int l = 0; l < s->map->n_lights; l++)
        if (l != ego_light) cr_assert_eq(world_light(w, l), LIGHT_RED, "light %d", l);
    /* the adversary crosses on red: it is moving through the junction while its light is red */
    run_to_acts(s, 1, 300);
    for (int t = 0; t < 15; t++) step(s);
    cr_assert_eq(world_light(w, adv_light), LIGHT_RED);
    cr_assert_gt(act(s, s->st.i[0])->k.speed, 16.0f);
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE; t++) step(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    for (int l = 0; l < s->map->n_lights; l++)
        cr_assert_eq(world_state(w)->light_override[l].active, 0, "light %d released at the end", l);
    scenario_destroy(s);
    scenario_destroy(opposite_check("OppositeVehicleRunningRedLight", 1, "direction=1"));
}

Test(scn_emergency, parking_cut_in_enters_ego_lane) {
    Scenario *s = scn_make("ParkingCutIn", 2, NULL, 1);
    int car = s->st.i[0], blk = s->st.i[1], lane = s->st.i[3];
    const Map *m = s->map;
    int park = m->lanes[lane].right;
    cr_assert_eq(m->lanes[park].kind, LANE_PARKING);
    /* both cars in the parking lane pushed out by (2.5 - 0.975) / 4 m; abreast TP + 28 / + 35 */
    float ego_y = s->st.f[1], park_off = -(m->lanes[lane].width + m->lanes[park].width) / 2.0f;
    cr_assert_float_eq(act(s, car)->k.y - ego_y, park_off - (2.5f - 0.975f) / 4.0f, 1e-3f);
    cr_assert_float_eq(act(s, blk)->k.y - ego_y, park_off - (2.5f - 0.975f) / 4.0f, 1e-3f);
    cr_assert_float_eq(act(s, car)->k.x - act(s, blk)->k.x, 7.0f, 0.05f);
    run_to_phase(s, SCN_RUNNING, 300);
    expect_release(s, s->st.f[0], s->st.f[1], 10.0f, 2.35f);
    cr_assert_eq(act(s, car)->path[0], lane, "the cut-in car's lane is the ego's");
    for (int t = 0; t < 60; t++) step(s);
    cr_assert_lt(fabsf(act(s, car)->k.y - ego_y), 0.6f, "in the ego lane 6 s later (off %.2f m)", act(s, car)->k.y - ego_y);
    cr_assert_float_eq(act(s, car)->k.speed, 20.0f / 3.6f, 0.3f);
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE; t++) step(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    cr_assert(hidden(s, car) && hidden(s, blk));
    scenario_destroy(s);
}

Test(scn_emergency, pedestrian_crossing_three_walkers) {
    Scenario *s = scn_make("PedestrianCrossing", 0, NULL, 1);
    cr_assert_gt(s->map->n_crosswalks, 0);
    float cx = s->st.f[0], cy = s->st.f[1];
    KinState k0[3];
    for (int k = 0; k < 3; k++) {
        cr_assert(hidden(s, s->st.i[k]));
        float v = act(s, s->st.i[k])->walk_speed, d = s->st.f[2 + k];
        cr_assert(v >= 1.3f && v <= 2.0f && d >= 0.0f && d <= 1.5f);
        k0[k] = act(s, s->st.i[k])->k;
    }
    /* walker 0 sits 0.4 m forward of and 1.5 m right of the sidewalk point abreast C, whose centre
     * lies half a lane + half a sidewalk (1.75 + 1.0 m) right of the ego lane (heading north) */
    cr_assert_float_eq(k0[0].x - cx, 2.75f + 1.5f, 0.05f);
    cr_assert_float_eq(k0[0].y - cy, 0.4f, 0.05f);
    run_to_phase(s, SCN_RUNNING, 300);
    expect_release(s, cx, cy, 12.0f, 3.5f);
    double t0 = now(s) - DT; /* released before the last step */
    double started[3] = {-1, -1, -1};
    for (int t = 0; t < 60; t++) {
        step(s);
        for (int k = 0; k < 3; k++)
            if (started[k] < 0 && hypotf(act(s, s->st.i[k])->k.x - k0[k].x, act(s, s->st.i[k])->k.y - k0[k].y) > 1e-3f)
                started[k] = now(s) - DT;
    }
    for (int k = 0; k < 3; k++) {
        cr_assert_geq(started[k], 0.0, "walker %d started", k);
        cr_assert_float_eq(started[k] - t0, ceil(s->st.f[2 + k] / DT - 1e-6) * DT, DT + 1e-3, "walker %d delay", k);
    }
    for (int t = 0; t < 150; t++) step(s);
    for (int k = 0; k < 3; k++) {
        const Actor *a = act(s, s->st.i[k]);
        cr_assert(hidden(s, s->st.i[k]), "walker %d gone after its walk", k);
        float walked = hypotf(a->k.x - k0[k].x, a->k.y - k0[k].y), expect = 2.3f * hypotf(k0[k].x - cx, k0[k].y - cy);
        cr_assert_float_eq(walked, expect, 0.35f, "walker %d walked %.2f of %.2f m", k, walked, expect);
        cr_assert_lt(a->k.x, cx, "walker %d crossed the ego lane", k);
    }
    cr_assert_eq(scenario_phase(s), SCN_RUNNING, "PedestrianCrossing never ends by itself");
    scenario_destroy(s);
}

Test(scn_emergency, static_cut_in_queue_and_cut_in) {
    Scenario *s = scn_make("StaticCutIn", 0, NULL, 1);
    int car = s->st.i[0], lane = s->st.i[2];
    cr_assert_eq(s->st.n_actors, 6);
    for (int k = 0; k < 6; k++) cr_assert(hidden(s, s->st.actors[k]));
    /* 11 m apart in the lane to the right */
    for (int k = 1; k < 6; k++) {
        cr_assert_float_eq(act(s, s->st.actors[k])->k.x - act(s, s->st.actors[k - 1])->k.x, 11.0f, 0.05f);
        cr_assert_float_eq(act(s, s->st.actors[k])->k.y - s->st.f[1], -3.5f, 1e-3f);
    }
    cr_assert_eq(car, s->st.actors[2]);
    run_to_phase(s, SCN_RUNNING, 300);
    for (int k = 0; k < 6; k++) cr_assert(!hidden(s, s->st.actors[k]));
    expect_release(s, s->st.f[0], s->st.f[1], 15.0f, 2.7f);
    float v_ego = act(s, 0)->k.speed;
    cr_assert_eq(act(s, car)->path[0], s->st.i[3], "pulls out of the queue lane ...");
    cr_assert_float_eq(act(s, car)->lat_target, 3.5f, 0.01f, "... towards the ego lane 3.5 m left");
    for (int t = 0; t < 30; t++) step(s);
    cr_assert_eq(act(s, car)->path[0], lane, "in the ego lane's bookkeeping after 3 s");
    /* the ego's speed at the instant of the cut-in (one step of acceleration ago) */
    cr_assert_float_eq(act(s, car)->target_speed, v_ego, 0.5f);
    for (int t = 0; t < 10; t++) step(s);
    cr_assert_lt(fabsf(act(s, car)->k.y - s->st.f[1]), 0.8f, "in the ego lane 4 s later (off %.2f)",
                 act(s, car)->k.y - s->st.f[1]);
    cr_assert_eq(act(s, car)->flags & AF_CRASHED, 0, "cleared the queue car ahead");
    for (int t = 0; t < 15; t++) step(s);
    cr_assert_float_eq(act(s, car)->target_speed, 60.0f / 3.6f, 1e-4f);
    for (int t = 0; t < 300 && scenario_phase(s) != SCN_DONE; t++) step(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    cr_assert_leq(now(s) - s->st.f[5], 30.0 + DT);
    for (int k = 0; k < 6; k++) cr_assert(hidden(s, s->st.actors[k]));
    scenario_destroy(s);
}

Test(scn_emergency, vehicle_turning_route_bicycle_crosses) {
    Scenario *s = scn_make("VehicleTurningRoute", 0, NULL, 1);
    int bike = s->st.i[0];
    cr_assert_eq(act(s, bike)->type, ACTOR_BICYCLE);
    cr_assert(!hidden(s, bike));
    KinState k0 = act(s, bike)->k;
    /* on the exit road's right sidewalk abreast C: 2 x |start - C| = its crossing */
    cr_assert_float_eq(s->st.f[3], 2.0f * hypotf(k0.x - s->st.f[0], k0.y - s->st.f[1]), 0.05f);
    run_to_phase(s, SCN_RUNNING, 300);
    expect_release(s, s->st.f[0], s->st.f[1], 6.0f, 1.8f);
    for (int t = 0; t < 10; t++) step(s);
    const Actor *b = act(s, bike);
    cr_assert_float_eq(hypotf(b->k.x - k0.x, b->k.y - k0.y), 1.98f, 0.05f, "1.8 m/s for 1.1 s");
    /* towards C (across the road) */
    float d0 = hypotf(k0.x - s->st.f[0], k0.y - s->st.f[1]), d1 = hypotf(b->k.x - s->st.f[0], b->k.y - s->st.f[1]);
    cr_assert_float_eq(d0 - d1, 1.98f, 0.1f);
    /* the ego holds still (its route would end first) while the bicycle finishes its crossing */
    Control brake = {-8.0f, 0.0f};
    double t_go = s->st.t_sub;
    for (int t = 0; t < 200 && s->st.sub == 1; t++) scenario_step(s, &brake);
    cr_assert_eq(s->st.sub, 2);
    cr_assert(hidden(s, bike), "removed at the end of its crossing");
    /* walked to within 0.3 m of 2 x |start - C| at 1.8 m/s */
    double t_walk = now(s) - DT - t_go;
    cr_assert(t_walk >= (s->st.f[3] - 0.3f) / 1.8f - DT && t_walk <= s->st.f[3] / 1.8f + DT, "crossing took %.2f s", t_walk);
    scenario_destroy(s);
}

Test(scn_emergency, vehicle_turning_route_pedestrian_side) {
    for (int right = 0; right < 2; right++) {
        Scenario *s = scn_make("VehicleTurningRoutePedestrian", 5, right ? "turn=3" : "turn=2", 1);
        int wk = s->st.i[0], conn;
        scn_route_junction(s, NULL, &conn);
        cr_assert_eq(s->map->lanes[conn].turn, right ? TURN_RIGHT : TURN_LEFT);
        const Actor *w = act(s, wk);
        /* lateral side of the walker relative to the exit lane at C (+ = left) */
        int lane;
        float ls, x, y, h;
        scn_route_pose(s, scn_route_junction_exit_s(s) + 0.5f, NULL, NULL, NULL, &lane, &ls);
        map_lane_pose(s->map, lane, ls, &x, &y, &h);
        float lat = -(w->k.x - x) * sinf(h) + (w->k.y - y) * cosf(h);
        if (right) cr_assert_gt(lat, 3.0f, "far sidewalk when the ego turns right (lat %.2f)", lat);
        else cr_assert_lt(lat, -1.5f, "right sidewalk when the ego turns left (lat %.2f)", lat);
        /* crosses the whole road: 2 lanes each way + half sidewalks = 14 + 2 m */
        cr_assert_float_eq(s->st.f[3], 4.0f * 3.5f + 2.0f, 0.1f);
        KinState k0 = w->k;
        run_to_acts(s, 1, 400);
        cr_assert_eq(scenario_acts(s), 1);
        for (int t = 0; t < 20; t++) step(s);
        cr_assert_float_eq(hypotf(act(s, wk)->k.x - k0.x, act(s, wk)->k.y - k0.y), 1.8f * 2.1f, 0.05f);
        scenario_destroy(s);
    }
}

Test(scn_emergency, control_loss_noise_at_debris) {
    Scenario *s = scn_make("ControlLoss", 1, NULL, 1);
    const WorldState *ws = world_state(scenario_world(s));
    int noisy[3] = {0, 0, 0}, wrong_sign = 0;
    for (int t = 0; t < 600 && scenario_phase(s) != SCN_DONE && !scenario_ended(s); t++) {
        step(s); /* the script set ego_noise before this step */
        int k = s->st.i[0]; /* noise is only set inside debris i[0]'s radius */
        if (ws->ego_noise.steer != 0.0f) {
            cr_assert(k >= 0 && k < 3);
            float x, y;
            scn_route_pose(s, s->st.f[k], &x, &y, NULL, NULL, NULL);
            noisy[k]++;
            float ms = (s->st.i[2] >> (k + 3) & 1) ? -1.0f : 1.0f, mt = (s->st.i[2] >> k & 1) ? -1.0f : 1.0f;
            wrong_sign += ws->ego_noise.steer * ms < 0.0f || ws->ego_noise.accel * mt < 0.0f;
            cr_assert_lt(fabsf(ws->ego_noise.steer), 0.12f * 0.6f); /* |N(0.055, 0.015)| < 0.12 */
        }
    }
    cr_assert_eq(scenario_acts(s), 3);
    /* inside a 2 m radius for 4 m of travel at ~7-13 m/s: 3-6 steps per debris */
    for (int k = 0; k < 3; k++) cr_assert(noisy[k] >= 2 && noisy[k] <= 8, "debris %d: %d noisy steps", k, noisy[k]);
    cr_assert_leq(wrong_sign, 1, "noise follows the drawn signs (4 sigma)");
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    float driven = odo(s) - s->st.f[3];
    cr_assert(driven >= 110.0f && driven < 110.0f + 2.0f, "ended after %.2f m", driven);
    scenario_destroy(s);
}
