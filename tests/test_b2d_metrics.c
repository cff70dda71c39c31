/* b2d_metrics tests: success rule, efficiency, comfortness (both variants, chunking, the <= 20
 * samples rule) and the ability rates with Traffic_Signs' double count, on hand-made results. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/b2d_metrics.h"

static RouteResult *mk(RouteResult *r, const char *type, RouteStatus st, double rc) {
    memset(r, 0, sizeof *r);
    snprintf(r->scenario_type, sizeof r->scenario_type, "%s", type);
    snprintf(r->route_id, sizeof r->route_id, "%s_route", type);
    r->status = st;
    r->route_completion = rc;
    r->penalty = 1.0;
    r->driving_score = rc;
    r->junction_entry_frac = NAN;
    r->comfort = r->comfort_si = NAN;
    return r;
}

static void add(RouteResult *r, InfractionKind k, float value) {
    r->count[k]++;
    r->infractions[r->n_infractions++] = (Infraction){.kind = (uint8_t)k, .other_type = 0xff, .other_id = -1, .value = value};
}

/* ---- success rule and efficiency ------------------------------------------------------------ */
Test(b2d_metrics, success_rule) {
    RouteResult *r = malloc(sizeof *r);
    cr_assert(route_is_success(mk(r, "Accident", ROUTE_PERFECT, 100)));
    mk(r, "Accident", ROUTE_COMPLETED, 100);
    add(r, INF_MIN_SPEED, 40.0f);
    cr_assert(route_is_success(r), "min-speed records do not fail a route");
    add(r, INF_OUTSIDE_LANES, 0.01f);
    cr_assert(!route_is_success(r), "any outside-lanes percentage fails it");
    mk(r, "Accident", ROUTE_COMPLETED, 100);
    add(r, INF_SCENARIO_TIMEOUT, 0.0f);
    cr_assert(!route_is_success(r));
    cr_assert(!route_is_success(mk(r, "Accident", ROUTE_FAILED_TICKRUNTIME, 99.0)));
    cr_assert(!route_is_success(mk(r, "Accident", ROUTE_FAILED, 100.0)));
    free(r);
}

/* Route A: 50, 1500 (dropped), 150 → 100. Route B: none → skipped. Route C: 30 → 30.
 * Efficiency = (100 + 30) / 2 = 65. */
Test(b2d_metrics, efficiency_drops_over_1000_and_skips_routes_without_checkpoints) {
    RouteResult *rs = calloc(3, sizeof *rs);
    mk(&rs[0], "Accident", ROUTE_COMPLETED, 100);
    add(&rs[0], INF_MIN_SPEED, 50.0f);
    add(&rs[0], INF_MIN_SPEED, 1500.0f);
    add(&rs[0], INF_MIN_SPEED, 150.0f);
    add(&rs[0], INF_COLLISION_VEHICLE, 5.0f);
    mk(&rs[1], "Accident", ROUTE_PERFECT, 100);
    mk(&rs[2], "Accident", ROUTE_FAILED_DEVIATED, 20);
    add(&rs[2], INF_MIN_SPEED, 30.0f);
    add(&rs[2], INF_MIN_SPEED, 1000.5f);
    cr_assert_float_eq(route_efficiency(&rs[0]), 100.0, 1e-9);
    cr_assert(isnan(route_efficiency(&rs[1])));
    cr_assert_float_eq(route_efficiency(&rs[2]), 30.0, 1e-9);
    B2dSummary s;
    b2d_summarize(rs, 3, &s);
    cr_assert_float_eq(s.efficiency, 65.0, 1e-9);
    cr_assert_eq(s.n_efficiency_routes, 2);
    cr_assert_float_eq(s.driving_score, (100 + 100 + 20) / 3.0, 1e-9);
    cr_assert_eq(s.n_success, 1);
    cr_assert_float_eq(s.success_rate, 100.0 / 3.0, 1e-9);
    free(rs);
}

/* ---- comfortness ------------------------------------------------------------------------------ */
static EgoSample samples[400];

static void fill_cruise(int n, float speed) {
    for (int i = 0; i < n; i++) samples[i] = (EgoSample){0.0f, 0.0f, 0.0f, speed};
}

Test(b2d_metrics, comfort_constant_speed_straight_is_1) {
    fill_cruise(100, 10.0f);
    cr_assert_float_eq(comfort_route(samples, 100, COMFORT_B2D), 1.0, 0.0);
    cr_assert_float_eq(comfort_route(samples, 100, COMFORT_SI), 1.0, 0.0);
}

/* 100 samples = 5 chunks of 20. Chunk 2 (samples 40..59): lon_acc steps to -6 m/s² at sample 50.
 * An order-2 fit reproduces a constant exactly, so the smoothed lon_acc is -6 < -4.05 at samples
 * 53..59: that chunk fails, the others are flat → 4/5. */
Test(b2d_metrics, comfort_hard_braking_chunk) {
    fill_cruise(100, 10.0f);
    for (int i = 50; i < 60; i++) samples[i].lon_acc = -6.0f;
    cr_assert_float_eq(comfort_route(samples, 100, COMFORT_B2D), 0.8, 1e-12);
    cr_assert_float_eq(comfort_route(samples, 100, COMFORT_SI), 0.8, 1e-12);
    /* the same brake across a chunk border (samples 58..61) spoils chunks 2 and 3 → 3/5 */
    fill_cruise(100, 10.0f);
    for (int i = 58; i < 62; i++) samples[i].lon_acc = -6.0f;
    cr_assert_float_eq(comfort_route(samples, 100, COMFORT_B2D), 0.6, 1e-12);
}

/* A jerk that keeps the acceleration inside its bounds: lon_acc 0 → -3.5 m/s² in one tick. The
 * smoothed signal stays in (-3.84, 0.1) (max order-2 overshoot 23/21 × 3.5), but the SG derivative
 * of the smoothed step is far beyond 4.13 m/s³ → only that chunk fails. */
Test(b2d_metrics, comfort_jerk_within_acceleration_bounds) {
    fill_cruise(60, 10.0f);
    for (int i = 30; i < 60; i++) samples[i].lon_acc = -3.5f;
    cr_assert_float_eq(comfort_route(samples, 60, COMFORT_B2D), 2.0 / 3.0, 1e-12);
    cr_assert_float_eq(comfort_route(samples, 60, COMFORT_SI), 2.0 / 3.0, 1e-12);
}

/* <= 20 samples: one test over the whole route (window min(7, n)); < 3 samples: no value; an
 * incomplete last chunk is dropped. */
Test(b2d_metrics, comfort_short_routes_and_dropped_tail) {
    fill_cruise(15, 5.0f);
    cr_assert_float_eq(comfort_route(samples, 15, COMFORT_B2D), 1.0, 0.0);
    samples[7].lon_acc = -9.0f; /* one spike in a whole-route test → 0 */
    cr_assert_float_eq(comfort_route(samples, 15, COMFORT_B2D), 0.0, 0.0);
    fill_cruise(5, 5.0f);
    cr_assert_float_eq(comfort_route(samples, 5, COMFORT_SI), 1.0, 0.0);   /* window 5 */
    fill_cruise(4, 5.0f);
    cr_assert_float_eq(comfort_route(samples, 4, COMFORT_SI), 1.0, 0.0);   /* even window 4 */
    cr_assert(isnan(comfort_route(samples, 2, COMFORT_B2D)));
    /* 25 samples: one chunk of 20 (clean) + 5 dropped (with the spike) → 1 */
    fill_cruise(25, 5.0f);
    samples[22].lon_acc = -9.0f;
    cr_assert_float_eq(comfort_route(samples, 25, COMFORT_B2D), 1.0, 0.0);
}

/* The units bug: a steady 0.3 rad/s turn at 5 m/s (lat 1.5 m/s²) is 17.2 deg/s, above the 0.95
 * "rad/s" bound in Bench2Drive's computation, but comfortable in SI units. */
Test(b2d_metrics, comfort_yaw_rate_units) {
    for (int i = 0; i < 40; i++) samples[i] = (EgoSample){0.0f, 1.5f, 0.3f, 5.0f};
    cr_assert_float_eq(comfort_route(samples, 40, COMFORT_B2D), 0.0, 0.0);
    cr_assert_float_eq(comfort_route(samples, 40, COMFORT_SI), 1.0, 0.0);
    /* ... while 0.01 rad/s (0.57 deg/s) passes both */
    for (int i = 0; i < 40; i++) samples[i] = (EgoSample){0.0f, 0.05f, 0.01f, 5.0f};
    cr_assert_float_eq(comfort_route(samples, 40, COMFORT_B2D), 1.0, 0.0);
}

/* The phase-unwrap bug: a yaw rate stepping from 0 to exactly 2π deg/s (0.1097 rad/s) is
 * "unwrapped" back to 0 deg/s by Bench2Drive's tool and passes; 1.5π deg/s is unwrapped to
 * -0.5π deg/s and fails. In SI units (no unwrap) both are comfortable (< 0.95 rad/s, and the
 * yaw acceleration of the 0.11 rad/s step is ~0.25 rad/s² < 1.93). */
Test(b2d_metrics, comfort_phase_unwrap_reproduced) {
    const double deg = M_PI / 180.0;
    for (int i = 0; i < 20; i++)
        samples[i] = (EgoSample){0.0f, 0.0f, i < 10 ? 0.0f : (float)(2.0 * M_PI * deg), 5.0f};
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_B2D), 1.0, 0.0);
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_SI), 1.0, 0.0);
    for (int i = 10; i < 20; i++) samples[i].yaw_rate = (float)(1.5 * M_PI * deg);
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_B2D), 0.0, 0.0);
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_SI), 1.0, 0.0);
}

/* SI yaw acceleration is the true derivative: a yaw rate oscillating as 0.9 sin(2π t / 1 s) stays
 * below 0.95 rad/s after smoothing (max 0.807) but its SG derivative reaches 5.69 rad/s² > 1.93
 * (scipy: savgol_filter(savgol_filter(y, 7, 2), 7, 2, deriv=1, delta=0.1)); with amplitude 0.2 the
 * derivative peaks at 1.27 and the route is comfortable. */
Test(b2d_metrics, comfort_si_yaw_acceleration) {
    for (int i = 0; i < 20; i++) samples[i] = (EgoSample){0.0f, 0.0f, (float)(0.9 * sin(2.0 * M_PI * i / 10.0)), 1.0f};
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_SI), 0.0, 0.0);
    for (int i = 0; i < 20; i++) samples[i].yaw_rate = (float)(0.2 * sin(2.0 * M_PI * i / 10.0));
    cr_assert_float_eq(comfort_route(samples, 20, COMFORT_SI), 1.0, 0.0);
}

/* ---- abilities -------------------------------------------------------------------------------- */
/* r1 Accident (Overtaking) success; r2 ParkingCrossingPedestrian (Emergency_Brake) collision;
 * r3 PedestrianCrossing (EB + TS) success; r4 SignalizedJunctionLeftTurn (Merging + TS) capped at
 * RC 60 with junction entry 0.4 and no light infraction; r5 VanillaSignalizedTurnEncounterRedLight
 * (TS) completed with a red light; r6 T_Junction (TS) failed at RC 30 before its junction (0.35);
 * r7 YieldToEmergencyVehicle (Give_Way) with min-speed records only.
 *   Overtaking 1/1 = 100; Merging (r4) 0/1 = 0; Emergency_Brake (r2, r3) 1/2 = 50;
 *   Give_Way 1/1 = 100; Traffic_Signs, two entries each: r3 1+1, r4 0+1 (0.60 > 0.40),
 *   r5 0+0 (red light), r6 0+0 (0.30 < 0.35) → 3/8 = 37.5; mean = 287.5 / 5 = 57.5.
 *   Success rate: r1, r3, r7 → 3/7. */
Test(b2d_metrics, ability_rates_with_traffic_signs_double_count) {
    RouteResult *rs = calloc(7, sizeof *rs);
    mk(&rs[0], "Accident", ROUTE_PERFECT, 100);
    mk(&rs[1], "ParkingCrossingPedestrian", ROUTE_COMPLETED, 100);
    add(&rs[1], INF_COLLISION_PEDESTRIAN, 4.0f);
    mk(&rs[2], "PedestrianCrossing", ROUTE_PERFECT, 100);
    rs[2].junction_entry_frac = 0.5;
    mk(&rs[3], "SignalizedJunctionLeftTurn", ROUTE_FAILED_TICKRUNTIME, 60);
    rs[3].junction_entry_frac = 0.4;
    mk(&rs[4], "VanillaSignalizedTurnEncounterRedLight", ROUTE_COMPLETED, 100);
    rs[4].junction_entry_frac = 0.3;
    add(&rs[4], INF_RED_LIGHT, 0.0f);
    mk(&rs[5], "T_Junction", ROUTE_FAILED_DEVIATED, 30);
    rs[5].junction_entry_frac = 0.35;
    mk(&rs[6], "YieldToEmergencyVehicle", ROUTE_COMPLETED, 100);
    add(&rs[6], INF_MIN_SPEED, 70.0f);
    B2dSummary s;
    b2d_summarize(rs, 7, &s);
    cr_assert_eq(s.ability_total[ABILITY_OVERTAKING], 1);
    cr_assert_float_eq(s.ability[ABILITY_OVERTAKING], 100.0, 1e-9);
    cr_assert_eq(s.ability_total[ABILITY_MERGING], 1);
    cr_assert_float_eq(s.ability[ABILITY_MERGING], 0.0, 1e-9);
    cr_assert_eq(s.ability_total[ABILITY_EMERGENCY_BRAKE], 2);
    cr_assert_float_eq(s.ability[ABILITY_EMERGENCY_BRAKE], 50.0, 1e-9);
    cr_assert_float_eq(s.ability[ABILITY_GIVE_WAY], 100.0, 1e-9);
    cr_assert_eq(s.ability_total[ABILITY_TRAFFIC_SIGNS], 8);
    cr_assert_eq(s.ability_success[ABILITY_TRAFFIC_SIGNS], 3);
    cr_assert_float_eq(s.ability[ABILITY_TRAFFIC_SIGNS], 37.5, 1e-9);
    cr_assert_float_eq(s.ability_mean, 57.5, 1e-9);
    cr_assert_float_eq(s.success_rate, 300.0 / 7.0, 1e-9);
    /* a Traffic_Signs route without a junction repeats its success-rule outcome */
    rs[5].junction_entry_frac = NAN;
    cr_assert_eq(route_traffic_signs_credit(&rs[5]), 0);
    free(rs);
}

Test(b2d_metrics, ability_membership_uses_route_file_spellings) {
    cr_assert(ability_has_type(ABILITY_EMERGENCY_BRAKE, "ParkingCrossingPedestrian"));
    cr_assert(!ability_has_type(ABILITY_EMERGENCY_BRAKE, "ParkingCrossingPedestrain"));
    cr_assert(ability_has_type(ABILITY_OVERTAKING, "VehicleOpensDoorTwoWays"));
    cr_assert(ability_has_type(ABILITY_MERGING, "MergerIntoSlowTraffic"));
    cr_assert(ability_has_type(ABILITY_TRAFFIC_SIGNS, "VanillaNonSignalizedTurnEncounterStopsign"));
    cr_assert(ability_has_type(ABILITY_TRAFFIC_SIGNS, "T_Junction"));
    cr_assert(!ability_has_type(ABILITY_GIVE_WAY, "Accident"));
    /* the five Traffic_Signs-only types (the other 39 are in Overtaking/Merging/EB/Give_Way) */
    int traffic_only = 0;
    const char *ts_only[] = {"T_Junction", "VanillaNonSignalizedTurn", "VanillaSignalizedTurnEncounterGreenLight",
                             "VanillaSignalizedTurnEncounterRedLight", "VanillaNonSignalizedTurnEncounterStopsign"};
    for (int i = 0; i < 5; i++) {
        int other = 0;
        for (int a = 0; a < ABILITY_TRAFFIC_SIGNS; a++) other |= ability_has_type((Ability)a, ts_only[i]);
        traffic_only += !other && ability_has_type(ABILITY_TRAFFIC_SIGNS, ts_only[i]);
    }
    cr_assert_eq(traffic_only, 5);
}

/* Route of 61 points 1 m apart: lane 0 (no junction) for points 0..29, then lane 1 (a junction
 * connector). First junction point index 30 → (30 + 1 + 8) / 61. No junction → NaN. */
Test(b2d_metrics, junction_entry_fraction) {
    Lane lanes[2];
    memset(lanes, 0, sizeof lanes);
    lanes[0].junction = -1;
    lanes[1].junction = 0;
    Map map;
    memset(&map, 0, sizeof map);
    map.n_lanes = 2;
    map.lanes = lanes;
    RoutePoint pts[61];
    for (int i = 0; i < 61; i++) pts[i] = (RoutePoint){(float)i, 0.0f, 0.0f, (float)i, i < 30 ? 0 : 1};
    Route route = {.n = 61, .pts = pts, .length = 60.0f, .n_lanes = 2, .lanes = {0, 1}};
    cr_assert_float_eq(route_junction_entry_frac(&route, &map), 39.0 / 61.0, 1e-12);
    for (int i = 0; i < 61; i++) pts[i].lane = 0;
    cr_assert(isnan(route_junction_entry_frac(&route, &map)));
}

Test(b2d_metrics, empty_set_is_undefined_not_zero) {
    B2dSummary s;
    b2d_summarize(NULL, 0, &s);
    cr_assert(isnan(s.driving_score));
    cr_assert(isnan(s.efficiency));
    cr_assert(isnan(s.ability_mean));
}

/* comfort_route against the Python/scipy computation of tests/data/gen_comfort.py (30 random
 * routes of 3..129 samples, both variants); the values are fractions of chunks, so exact. */
Test(b2d_metrics, comfort_matches_python_reference) {
    FILE *f = fopen("tests/data/comfort_vectors.txt", "r");
    cr_assert_not_null(f, "run the tests from the repository root");
    char line[128];
    cr_assert_not_null(fgets(line, sizeof line, f));
    int n, cases = 0;
    double ref_b2d, ref_si;
    static EgoSample s[256];
    while (fscanf(f, " case %d %lf %lf", &n, &ref_b2d, &ref_si) == 3) {
        cr_assert(n > 0 && n <= 256);
        char tag[8];
        cr_assert_eq(fscanf(f, "%7s", tag), 1);
        for (int i = 0; i < n; i++) cr_assert_eq(fscanf(f, "%f", &s[i].lon_acc), 1);
        cr_assert_eq(fscanf(f, "%7s", tag), 1);
        for (int i = 0; i < n; i++) cr_assert_eq(fscanf(f, "%f", &s[i].lat_acc), 1);
        cr_assert_eq(fscanf(f, "%7s", tag), 1);
        for (int i = 0; i < n; i++) cr_assert_eq(fscanf(f, "%f", &s[i].yaw_rate), 1);
        cr_assert_float_eq(comfort_route(s, n, COMFORT_B2D), ref_b2d, 1e-12, "case %d (n=%d)", cases, n);
        cr_assert_float_eq(comfort_route(s, n, COMFORT_SI), ref_si, 1e-12, "case %d (n=%d)", cases, n);
        cases++;
    }
    fclose(f);
    cr_assert_eq(cases, 30);
}
