/* Scorer sub-metrics on hand-built cases (map "straight": lanes 0/1 run +x at y = -1.75 / -5.25,
 * lanes 2/3 run -x at y = +1.75 / +5.25, road edges at y = ±7; "junction4_light": approach lane 8
 * runs +x at y = -1.75 into connector 25 behind light 4). Expected values are PDM's rules. */
#include "test_scorer_fixture.h"
#include "../src/score/pdm_internal.h"

static const int LANE0[] = {0};

Test(scorer, parked_car_ahead_is_at_fault_collision) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 10.0f);
    Actor car = actor_make_static(ACTOR_CAR, 45.0f, -1.75f, 0.0f, 4.6f, 1.9f);
    world_add_actor(f.world, &car);
    Forecast *fc = fix_cv(&f);
    CandScore through = fix_score1(&f, fc, traj_profile(10.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(through.nc, 0.0f, "parked vehicle hit at speed: NC %.2f", through.nc);
    cr_expect_eq(through.score, 0.0f);
    /* ego front 22.45 + 10 t meets the car's rear at 42.7: t = 2.025 s -> first fault at index 21 */
    cr_expect(through.fault_step >= 20 && through.fault_step <= 22, "fault step %d", through.fault_step);
    CandScore stop = fix_score1(&f, fc, traj_profile(10.0f, -5.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(stop.nc, 1.0f, "stopping short of it: NC %.2f", stop.nc);
    cr_expect_gt(stop.score, 0.0f);
    /* a cone (static object type) at fault: 0.5, nuPlan convention */
    world_state(f.world)->actors[1].type = ACTOR_STATIC;
    fc = fix_cv(&f);
    CandScore cone = fix_score1(&f, fc, traj_profile(10.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(cone.nc, 0.5f, "static object: NC %.2f", cone.nc);
    fix_close(&f);
}

Test(scorer, rear_ended_while_stopped_is_not_at_fault) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 40.0f, -1.75f, 0.0f, 0.0f);
    Rng r;
    rng_seed(&r, 3, 1);
    Actor car = actor_make_vehicle(f.world, ACTOR_CAR, 0, 20.0f, 10.0f, NULL); /* 20 m behind at 10 m/s */
    world_add_actor(f.world, &car);
    Forecast *fc = fix_cv(&f);
    EgoRollout roll;
    Traj stay = {.n = 8}; /* all waypoints at the ego: stay put */
    CandScore s = fix_score1(&f, fc, stay, &roll);
    int overlap = 0;
    for (int t = 0; t < SCORE_STEPS; t++) {
        Obb e = {roll.k[t].x, roll.k[t].y, roll.k[t].heading, 2.45f, 1.05f};
        Obb a = {fc->pose[t][0].x, fc->pose[t][0].y, fc->pose[t][0].heading, fc->half_len[0], fc->half_wid[0]};
        overlap |= obb_overlap(&e, &a);
        cr_assert_leq(roll.k[t].speed, 0.05f);
    }
    cr_assert(overlap, "the forecast car must actually reach the ego for this test to mean anything");
    cr_expect_eq(s.nc, 1.0f, "rear-ended while stopped: NC %.2f", s.nc);
    cr_expect_eq(s.fault_step, -1);
    fix_close(&f);
}

Test(scorer, leaving_the_road_edge_fails_dac) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 8.0f);
    Forecast *fc = fix_cv(&f);
    CandScore keep = fix_score1(&f, fc, traj_profile(8.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(keep.dac, 1.0f);
    /* drifting 7 m to the right puts the right corners beyond the edge at y = -7 */
    CandScore off = fix_score1(&f, fc, traj_profile(8.0f, 0.0f, -7.0f, 3.0f), NULL);
    cr_expect_eq(off.dac, 0.0f, "off the road: DAC %.1f", off.dac);
    cr_expect_eq(off.score, 0.0f);
    /* one lane to the right (lane 1, same direction) stays drivable */
    CandScore lc = fix_score1(&f, fc, traj_profile(8.0f, 0.0f, -3.5f, 3.0f), NULL);
    cr_expect_eq(lc.dac, 1.0f);
    cr_expect_eq(lc.ddc, 1.0f, "a same-direction lane is on route: DDC %.1f", lc.ddc);
    fix_close(&f);
}

Test(scorer, driving_against_traffic_ddc_thresholds) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    Forecast *fc;
    /* centre in the opposite lane (y = +1.75) for the whole horizon: the 1 s window holds ~v metres */
    fix_ego(&f, 20.0f, 1.75f, 0.0f, 8.0f);
    fc = fix_cv(&f);
    CandScore fast = fix_score1(&f, fc, traj_profile(8.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(fast.ddc, 0.0f, "8 m per second against traffic: DDC %.1f", fast.ddc);
    fix_ego(&f, 20.0f, 1.75f, 0.0f, 4.0f);
    CandScore mid = fix_score1(&f, fc, traj_profile(4.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(mid.ddc, 0.5f, "4 m per second: 2 <= m < 6 -> DDC %.1f", mid.ddc);
    fix_ego(&f, 20.0f, 1.75f, 0.0f, 1.5f);
    CandScore slow = fix_score1(&f, fc, traj_profile(1.5f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(slow.ddc, 1.0f, "1.5 m per second: m < 2 -> DDC %.1f", slow.ddc);
    fix_close(&f);
}

Test(scorer, entering_a_junction_on_red_fails_tlc) {
    Fix f;
    static const int route[] = {8, 25, 2};
    fix_open(&f, "junction4_light", route, 3, cfg_full());
    fix_ego(&f, -30.0f, -1.75f, 0.0f, 10.0f);
    world_force_light(f.world, 4, LIGHT_RED, -1.0f);
    world_step(f.world, NULL); /* lets the override take effect */
    fix_ego(&f, -30.0f, -1.75f, 0.0f, 10.0f);
    cr_assert_eq(world_light(f.world, 4), LIGHT_RED);
    Forecast *fc = fix_cv(&f);
    CandScore go = fix_score1(&f, fc, traj_profile(10.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(go.tlc, 0.0f, "through the red light: TLC %.1f", go.tlc);
    cr_expect_eq(go.score, 0.0f);
    /* stop line at x = -11: a plan braking at 4.5 m/s² from 10 m/s stops after 11.1 m (front at -16.4 + tracker lag) */
    EgoRollout roll;
    CandScore stop = fix_score1(&f, fc, traj_profile(10.0f, -4.5f, 0.0f, 1.0f), &roll);
    cr_expect_eq(stop.tlc, 1.0f, "stopping before the line: TLC %.1f (front stops at x = %.2f)", stop.tlc,
                 roll.k[SCORE_STEPS - 1].x + 2.45f);
    world_force_light(f.world, 4, LIGHT_GREEN, -1.0f);
    world_step(f.world, NULL);
    fix_ego(&f, -30.0f, -1.75f, 0.0f, 10.0f);
    fc = fix_cv(&f);
    CandScore green = fix_score1(&f, fc, traj_profile(10.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(green.tlc, 1.0f, "green: TLC %.1f", green.tlc);
    fix_close(&f);
}

Test(scorer, progress_normalisation_and_floor) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 6.0f);
    Forecast *fc = fix_cv(&f);
    Traj c[3] = {traj_profile(6.0f, 0.0f, 0.0f, 1.0f), traj_profile(6.0f, -1.5f, 0.0f, 1.0f), traj_profile(6.0f, -3.0f, 0.0f, 1.0f)};
    CandScore o[3];
    ScoreInput in = {.world = f.world, .fc = fc, .ep_reference = -1.0f};
    Err e = {{0}};
    cr_assert_eq(scorer_score(f.scorer, 0, &in, c, 3, o, NULL, &e), 0, "%s", e.msg);
    cr_assert_gt(o[0].progress, 20.0f);
    cr_expect_float_eq(o[0].ep, 1.0f, 1e-6f);
    for (int i = 1; i < 3; i++) cr_expect_float_eq(o[i].ep, o[i].progress / o[0].progress, 1e-5f, "ep %d", i);
    for (int i = 0; i < 3; i++) /* pdms_b2d: all multipliers 1 here */
        cr_expect_float_eq(o[i].score, (5.0f * o[i].ep + 5.0f * o[i].ttc + 2.0f * o[i].c) / 12.0f, 1e-6f);
    /* a reference beyond every candidate sets Q */
    in.ep_reference = 2.0f * o[0].progress;
    cr_assert_eq(scorer_score(f.scorer, 0, &in, c, 3, o, NULL, &e), 0);
    cr_expect_float_eq(o[0].ep, 0.5f, 1e-5f);
    /* below the 5 m floor every EP is 1: ego at 1 m/s */
    in.ep_reference = -1.0f;
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 1.0f);
    Traj slow[2] = {traj_profile(1.0f, 0.0f, 0.0f, 1.0f), traj_profile(1.0f, -0.5f, 0.0f, 1.0f)};
    cr_assert_eq(scorer_score(f.scorer, 0, &in, slow, 2, o, NULL, &e), 0);
    cr_assert_lt(o[0].progress, 5.0f);
    cr_assert_lt(o[1].progress, o[0].progress);
    cr_expect_eq(o[0].ep, 1.0f);
    cr_expect_eq(o[1].ep, 1.0f);
    fix_close(&f);
}

Test(scorer, ttc_projection_below_one_second) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 10.0f);
    Forecast *fc = fix_cv(&f); /* empty world; then one hand-made agent */
    fc->n_agents = 1;
    fc->type[0] = ACTOR_CAR;
    fc->stopped[0] = 0;
    fc->half_len[0] = 2.2f;
    fc->half_wid[0] = 0.9f;
    for (int t = 0; t < FORECAST_STEPS; t++) fc->pose[t][0] = (ForecastPose){1e5f, 1e5f, 0.0f, 0.0f};
    /* at index 9 only, 8.8 m beyond the ego's front: the 0.9 s projection from t = 0 (9 m) reaches it,
     * the braking ego does not */
    fc->pose[9][0] = (ForecastPose){20.0f + 2.45f + 8.8f + 2.2f, -1.75f, 0.0f, 1.0f};
    EgoRollout roll;
    CandScore brake = fix_score1(&f, fc, traj_profile(10.0f, -6.0f, 0.0f, 1.0f), &roll);
    cr_assert_lt(roll.k[9].x + 2.45f, 20.0f + 2.45f + 8.8f, "the actual ego must stay short");
    cr_expect_eq(brake.nc, 1.0f);
    cr_expect_eq(brake.ttc, 0.0f, "projected overlap within 0.9 s: TTC %.1f", brake.ttc);
    fc->pose[9][0].x += 1.0f; /* out of reach of the projection */
    CandScore clear = fix_score1(&f, fc, traj_profile(10.0f, -6.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(clear.ttc, 1.0f);
    fix_close(&f);
}

/* C with synthetic states: a(t) = k (t - 2)^2 + c is a quadratic, which the window-8 smoothing and
 * the global quadratic fit reproduce exactly, so the longitudinal jerk is 2 k (t - 2), max 4 k. */
Test(scorer, comfort_jerk_bound) {
    ComfortTables t;
    Err e = {{0}};
    cr_assert_eq(comfort_tables_build(&t, &e), 0, "%s", e.msg);
    EgoRollout r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < SCORE_STEPS; i++) {
        float tt = 0.1f * (float)i;
        r.k[i].accel = 1.1f * (tt - 2.0f) * (tt - 2.0f) - 2.1f; /* in (-2.1, 2.3): acc ok, jerk up to 4.4 > 4.13 */
    }
    cr_expect_eq(comfort_v1(&t, &r), 0.0f);
    for (int i = 0; i < SCORE_STEPS; i++) {
        float tt = 0.1f * (float)i;
        r.k[i].accel = 0.9f * (tt - 2.0f) * (tt - 2.0f) - 2.1f; /* jerk up to 3.6 */
    }
    cr_expect_eq(comfort_v1(&t, &r), 1.0f);
    /* yaw rate: heading turning at 1.0 rad/s > 0.95 */
    for (int i = 0; i < SCORE_STEPS; i++) { r.k[i].accel = 0.0f; r.k[i].heading = wrap_angle(3.0f + 1.0f * 0.1f * (float)i); }
    cr_expect_eq(comfort_v1(&t, &r), 0.0f, "1 rad/s yaw rate (across the ±pi wrap)");
    for (int i = 0; i < SCORE_STEPS; i++) r.k[i].heading = wrap_angle(3.0f + 0.9f * 0.1f * (float)i);
    cr_expect_eq(comfort_v1(&t, &r), 1.0f, "0.9 rad/s");
    comfort_tables_free(&t);
}

Test(scorer, hard_stop_is_uncomfortable_cruise_is_not) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 10.0f);
    Forecast *fc = fix_cv(&f);
    CandScore cruise = fix_score1(&f, fc, traj_profile(10.0f, 0.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(cruise.c, 1.0f);
    CandScore slam = fix_score1(&f, fc, traj_profile(10.0f, -8.0f, 0.0f, 1.0f), NULL);
    cr_expect_eq(slam.c, 0.0f, "braking near 8 m/s²");
    fix_close(&f);
}

Test(scorer, rejects_bad_input) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    Forecast *fc = fix_cv(&f);
    Traj bad = {.n = 0};
    CandScore o;
    Err e = {{0}};
    ScoreInput in = {.world = f.world, .fc = fc, .ep_reference = -1.0f};
    cr_expect_eq(scorer_score(f.scorer, 0, &in, &bad, 1, &o, NULL, &e), -1);
    cr_expect(strstr(e.msg, "waypoints") != NULL, "%s", e.msg);
    Traj ok = traj_profile(1.0f, 0.0f, 0.0f, 1.0f);
    cr_expect_eq(scorer_score(f.scorer, 5, &in, &ok, 1, &o, NULL, &e), -1);
    in.fc = NULL;
    cr_expect_eq(scorer_score(f.scorer, 0, &in, &ok, 1, &o, NULL, &e), -1);
    ScoreAggregate a;
    cr_expect_eq(score_aggregate_from_name("nope", &a, &e), -1);
    cr_expect_eq(score_aggregate_from_name("epdms", &a, &e), 0);
    cr_expect_eq(a, SCORE_EPDMS);
    fix_close(&f);
}
