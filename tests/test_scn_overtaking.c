/* Overtaking group (SCENARIOS.md B1, items 1-9): creation, lengths, triggers and determinism for
 * every type, then each type's observable act: obstacle layout, the 50 m / 30 m approach + 5 s
 * wait before the speed cap or the oncoming flow, bicycles riding and stopping, props appearing at
 * the trigger, the door opening on distance / time-to-arrival, the end point and the clean-up. */
#include "test_scn_util.h"

#define KMH 0.2777778f

Test(scn_overtaking, basic_all_types) {
    scn_check_basic("Accident", 120.0f, 142.0f, 2.0f, 14.0f);
    scn_check_basic("AccidentTwoWays", 120.0f, 142.0f, 2.0f, 14.0f);
    scn_check_basic("ParkedObstacle", 105.0f, 125.0f, 2.0f, 14.0f);
    scn_check_basic("ParkedObstacleTwoWays", 105.0f, 125.0f, 2.0f, 14.0f);
    scn_check_basic("HazardAtSideLane", 135.0f, 156.0f, 2.0f, 14.0f);
    scn_check_basic("HazardAtSideLaneTwoWays", 135.0f, 156.0f, 2.0f, 14.0f);
    scn_check_basic("ConstructionObstacle", 112.0f, 135.0f, 2.0f, 14.0f);
    scn_check_basic("ConstructionObstacleTwoWays", 112.0f, 135.0f, 2.0f, 14.0f);
    scn_check_basic("VehicleOpensDoorTwoWays", 100.0f, 140.0f, 2.0f, 14.0f);
}

/* Steps the autopilot until acts reaches `n`; returns the time the ego first came within `d` m of
 * (x, y) (its pre-step position, as the script sees it). */
static double run_until_acts(Scenario *s, int n, float x, float y, float d, int max_steps) {
    double t_near = -1.0;
    for (int k = 0; k < max_steps && scenario_acts(s) < n; k++) {
        if (t_near < 0.0 && scenario_phase(s) == SCN_RUNNING && scn_dist_to_ego(s, x, y) < d) t_near = scn_time(s);
        scn_step_auto(s);
    }
    cr_assert_geq(scenario_acts(s), n, "%s: act %d never happened", s->spec.type, n);
    return t_near;
}

Test(scn_overtaking, accident_layout_wait_and_speed_cap) {
    Scenario *s = scn_make("Accident", 1, "speed=54", 1);
    const int *idx;
    int n = scenario_actors(s, &idx);
    cr_assert_eq(n, 4, "warning prop + police + 2 crashed cars");
    int lane = s->st.i[0];
    float w = s->map->lanes[lane].width, ls[3];
    for (int k = 0; k < 3; k++) {
        const Actor *a = scn_actor(s, idx[1 + k]);
        cr_assert_float_eq(scn_lat(s, lane, a->k.x, a->k.y, &ls[k]), -0.3f * w, 0.02f, "obstacle %d offset", k);
    }
    cr_assert_eq(scn_actor(s, idx[1])->type, ACTOR_EMERGENCY);
    cr_assert_float_eq(ls[1] - ls[0], 10.0f, 0.05f);
    cr_assert_float_eq(ls[2] - ls[1], 6.0f, 0.05f);
    float x1 = scn_actor(s, idx[2])->k.x, y1 = scn_actor(s, idx[2])->k.y;
    double t_near = run_until_acts(s, 1, x1, y1, 50.0f, 800);
    cr_assert_float_eq(scn_time(s) - t_near, 5.0 + 0.1, 0.06, "cap 5 s after the ego came within 50 m of car #1");
    cr_assert_float_eq(s->st.bg_speed_cap, 54.0f * KMH, 1e-4f);
    cr_assert(s->st.timer_on);
    cr_assert_float_eq(s->st.timer_end, scenario_trigger_time(s) + 240.0, 1e-6);
    cr_assert_eq(scenario_criteria(s)->blocked_on, 0, "blocked test suspended while the timer runs");
    scenario_destroy(s);
}

Test(scn_overtaking, accident_two_ways_oncoming_flow) {
    Scenario *s = scn_make("AccidentTwoWays", 2, NULL, 1);
    const int *idx;
    scenario_actors(s, &idx);
    const Actor *c1 = scn_actor(s, idx[2]);
    run_until_acts(s, 1, c1->k.x, c1->k.y, 50.0f, 800);
    cr_assert_eq(s->st.wrong_dir_off, 1);
    cr_assert_eq(scenario_criteria(s)->wrong_direction_on, 0);
    const ScnFlow *f = &s->st.flows[s->st.i[2]];
    cr_assert(f->active);
    cr_assert_float_eq(f->speed, s->map->lanes[s->st.i[0]].speed_limit, 1e-5f, "flow at the ego lane's limit");
    float vmax = 0.0f;
    for (int k = 0; k < 250; k++) {
        scn_step_auto(s);
        const WorldState *ws = world_state_const(scenario_world(s));
        for (int i = 1; i < ws->n_actors; i++)
            if (s->st.flow_of[i] >= 0 && !(ws->actors[i].flags & AF_HIDDEN)) {
                cr_assert_lt(cosf(ws->actors[i].k.heading), -0.9f, "flow cars drive against the ego");
                vmax = fmaxf(vmax, ws->actors[i].k.speed);
            }
    }
    cr_assert_geq(f->spawned, 2, "25 s at spacing <= 184 m and 13.9 m/s spawn at least two cars");
    cr_assert_float_eq(vmax, f->speed, 0.6f);
    scenario_destroy(s);
}

/* Teleports the ego onto `lane` at arc length ls (heading along the lane, speed v). */
static void put_ego(Scenario *s, int lane, float ls, float v) {
    Actor *e = &world_state(scenario_world(s))->actors[0];
    map_lane_pose(s->map, lane, ls, &e->k.x, &e->k.y, &e->k.heading);
    e->k.speed = v;
}

Test(scn_overtaking, parked_end_point_and_cleanup) {
    Scenario *s = scn_make("ParkedObstacle", 2, NULL, 0);
    scn_run_to_trigger(s, 300);
    int lane = s->st.i[0], left = s->map->lanes[lane].left;
    cr_assert(left >= 0 && !s->map->lanes[lane].left_opposite, "a same-direction lane to pass in");
    const int *idx;
    scenario_actors(s, &idx);
    float car_s;
    const Actor *car = scn_actor(s, idx[1]);
    cr_assert_float_eq(scn_lat(s, lane, car->k.x, car->k.y, &car_s), -0.35f * s->map->lanes[lane].width, 0.02f);
    float end_x, end_y, h;
    map_lane_pose(s->map, lane, car_s + 50.0f, &end_x, &end_y, &h);
    put_ego(s, left, car_s - 20.0f, 8.0f);
    int k = 0;
    for (; k < 300 && scenario_phase(s) != SCN_DONE; k++) scenario_step(s, &(Control){2.0f * (8.0f - scn_ego(s)->k.speed), 0.0f});
    cr_assert_eq(scenario_phase(s), SCN_DONE, "passing the end point ends the scenario");
    /* the script saw the ego past the end point at the start of the last step (<= 0.8 m + 1 step) */
    cr_assert_float_eq(scn_ego(s)->k.x, end_x, 1.8f);
    cr_assert_eq(s->st.timer_on, 0);
    cr_assert_float_eq(s->st.bg_speed_cap, 0.0f, 0.0f);
    scn_step_auto(s);
    for (int j = 0; j < scenario_actors(s, &idx); j++) cr_assert(scn_actor(s, idx[j])->flags & AF_HIDDEN);
    scenario_destroy(s);
}

Test(scn_overtaking, hazard_bicycles_ride_and_stop) {
    Scenario *s = scn_make("HazardAtSideLane", 3, "bicycle_speed=10,bicycle_drive_distance=30", 1);
    int lane = s->st.i[0], b[2] = {s->st.i[6], s->st.i[7]};
    float w = s->map->lanes[lane].width, s0[2];
    for (int k = 0; k < 2; k++) {
        const Actor *a = scn_actor(s, b[k]);
        cr_assert_eq(a->type, ACTOR_BICYCLE);
        cr_assert_float_eq(scn_lat(s, lane, a->k.x, a->k.y, &s0[k]), -0.275f * w, 0.02f);
    }
    cr_assert_float_eq(s0[1] - s0[0], 9.0f, 0.05f);
    for (int k = 0; k < 5; k++) scn_step_auto(s);
    cr_assert_float_eq(scn_actor(s, b[0])->k.speed, 0.0f, 1e-6f, "standing before the trigger");
    scn_run_to_trigger(s, 300);
    cr_assert_eq(scenario_acts(s), 1, "bicycles start at the trigger");
    for (int k = 0; k < 80; k++) scn_step_auto(s);
    for (int k = 0; k < 2; k++) {
        const Actor *a = scn_actor(s, b[k]);
        cr_assert_float_eq(a->k.speed, 10.0f * KMH, 0.1f, "bicycle %d rides at bicycle_speed", k);
        cr_assert_float_eq(scn_lat(s, lane, a->k.x, a->k.y, NULL), -0.275f * w, 0.05f, "keeps its right offset");
    }
    for (int k = 0; k < 400; k++) scn_step_auto(s);
    for (int k = 0; k < 2; k++) {
        const Actor *a = scn_actor(s, b[k]);
        float ls;
        scn_lat(s, lane, a->k.x, a->k.y, &ls);
        cr_assert_float_eq(a->k.speed, 0.0f, 0.01f, "bicycle %d stopped after its drive distance", k);
        /* stops from 2.8 m/s at its comfortable deceleration (1.5-3 m/s²): 1.3-2.6 m more */
        cr_assert(ls - s0[k] >= 30.0f && ls - s0[k] <= 33.5f, "bicycle %d drove %.1f m", k, ls - s0[k]);
    }
    scenario_destroy(s);
}

Test(scn_overtaking, hazard_two_ways_end_keeps_wrong_direction_off) {
    Scenario *s = scn_make("HazardAtSideLaneTwoWays", 4, "distance=8", 0); /* a short teleport keeps the route monitor happy */
    scn_run_to_trigger(s, 300);
    const Actor *b2 = scn_actor(s, s->st.i[7]);
    float ls;
    scn_lat(s, s->st.i[0], b2->k.x, b2->k.y, &ls);
    put_ego(s, s->st.i[0], ls + 8.0f, 6.0f);
    scn_step_speed(s, 6.0f);
    cr_assert_geq(s->st.f[1], 0.0f, "ego counted ahead of bicycle #2");
    float mark = s->st.f[1];
    for (int k = 0; k < 200 && scenario_phase(s) != SCN_DONE; k++) scn_step_speed(s, 6.0f);
    cr_assert_eq(scenario_phase(s), SCN_DONE, "phase %d ended %d travelled %.1f mark %.1f", scenario_phase(s),
                 scenario_ended(s), world_state_const(scenario_world(s))->ego.travelled, mark);
    float drove = world_state_const(scenario_world(s))->ego.travelled - mark;
    cr_assert(drove >= 50.0f && drove < 50.0f + 2.0f * 0.6f + 0.01f, "ended after %.2f m", drove);
    scn_step_auto(s);
    cr_assert_eq(scenario_criteria(s)->wrong_direction_on, 0, "source bug reproduced: stays off after the end");
    scenario_destroy(s);
}

Test(scn_overtaking, construction_props_appear_at_trigger) {
    Scenario *s = scn_make("ConstructionObstacle", 0, "speed=50", 1);
    const int *idx;
    int n = scenario_actors(s, &idx);
    cr_assert_eq(n, 10, "sign, board, debris, 7 cones");
    for (int j = 0; j < n; j++) cr_assert(scn_actor(s, idx[j])->flags & AF_HIDDEN, "underground before the trigger");
    int lane = s->st.i[0];
    float c = s->st.f[0], w = s->map->lanes[lane].width, ls;
    cr_assert_float_eq(scn_lat(s, lane, scn_actor(s, idx[1])->k.x, scn_actor(s, idx[1])->k.y, &ls), 0.0f, 0.02f);
    cr_assert_float_eq(ls, c - 5.0f, 0.05f, "board 5 m before C");
    cr_assert_float_eq(scn_lat(s, lane, scn_actor(s, idx[9])->k.x, scn_actor(s, idx[9])->k.y, &ls), 0.425f * w - 3.0f,
                       0.02f, "last cone 3 m across");
    cr_assert_float_eq(ls, c + 8.0f, 0.05f);
    scn_run_to_trigger(s, 300);
    for (int j = 0; j < n; j++) cr_assert_eq(scn_actor(s, idx[j])->flags & AF_HIDDEN, 0, "placed at the trigger");
    const WorldState *ws = world_state_const(scenario_world(s));
    for (int i = 1; i < ws->n_actors; i++)
        if (ws->actors[i].flags & AF_BACKGROUND)
            cr_assert(ws->actors[i].path[0] != lane || (ws->actors[i].flags & AF_HIDDEN), "ego lane cleared");
    float cx, cy, h;
    map_lane_pose(s->map, lane, c, &cx, &cy, &h);
    double t_near = run_until_acts(s, 1, cx, cy, 30.0f, 800);
    cr_assert_float_eq(scn_time(s) - t_near, 5.1, 0.06, "cap 5 s after the ego came within 30 m of C");
    cr_assert_float_eq(s->st.bg_speed_cap, 50.0f * KMH, 1e-4f);
    scenario_destroy(s);
}

Test(scn_overtaking, door_opens_on_distance_or_time_to_arrival) {
    Scenario *s = scn_make("VehicleOpensDoorTwoWays", 4, NULL, 1);
    int car = s->st.i[6], lane = s->st.i[0], park = s->map->lanes[lane].right;
    const Actor *a = scn_actor(s, car);
    float w = s->map->lanes[park].width;
    cr_assert_eq(s->map->lanes[park].kind, LANE_PARKING);
    cr_assert_float_eq(scn_lat(s, park, a->k.x, a->k.y, NULL), 0.25f * (w - 0.5f * a->width), 0.01f);
    float fx, fy, h;
    map_lane_pose(s->map, lane, s->st.f[0], &fx, &fy, &h);
    int opened = 0;
    for (int k = 0; k < 800 && !opened; k++) {
        float d = scn_dist_to_ego(s, fx, fy), v = scn_ego(s)->k.speed;
        int cond = scenario_phase(s) != SCN_WAITING && (d < 10.0f || (v > 0.1f && d / v < 3.0f));
        int was = scenario_phase(s) == SCN_RUNNING; /* the script runs after the trigger check */
        scn_step_auto(s);
        opened = (a->flags & AF_DOOR_OPEN) != 0;
        if (was) cr_assert_eq(opened, cond, "door state %d vs condition %d (d %.1f v %.1f)", opened, cond, d, v);
    }
    cr_assert(opened);
    cr_assert_eq(scenario_acts(s), 1);
    double t_open = scn_time(s) - 0.1;
    for (int k = 0; k < 200 && scenario_acts(s) < 2; k++) scn_step_auto(s);
    cr_assert_float_eq(scn_time(s) - t_open, 5.1, 0.06, "flow 5 s after the door");
    cr_assert(s->st.flows[s->st.i[2]].active);
    cr_assert_eq(scenario_criteria(s)->wrong_direction_on, 0);
    scenario_destroy(s);
}
