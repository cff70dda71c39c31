/* Trajectory tracker: the speed profile a plan implies, the ego→world freeze, and closed-loop
 * tracking of straight, circular and stopping plans through the bicycle model, replanning every
 * 0.5 s as the world does. */
#include <criterion/criterion.h>
#include <math.h>
#include "craft/geom.h"
#include "craft/tracker.h"

#define DT 0.1f
#define STEPS_PER_PLAN 5   /* the policy replans every 0.5 s */

Test(traj, to_world_rotates_and_translates) {
    Traj t = {.n = 2, .x = {2.0f, 4.0f}, .y = {1.0f, 0.0f}, .heading = {0.1f, 3.0f}};
    TrajWorld w;
    traj_to_world(&t, 10.0f, 5.0f, GEOM_PI / 2, 7.0f, &w);   /* ego facing +y: ego x → world y */
    cr_assert_eq(w.n, 2);
    cr_assert_float_eq(w.x[0], 9.0f, 1e-5);
    cr_assert_float_eq(w.y[0], 7.0f, 1e-5);
    cr_assert_float_eq(w.x[1], 10.0f, 1e-5);
    cr_assert_float_eq(w.y[1], 9.0f, 1e-5);
    cr_assert_float_eq(w.heading[0], GEOM_PI / 2 + 0.1f, 1e-6);
    cr_assert_float_eq(w.heading[1], GEOM_PI / 2 + 3.0f - 2 * GEOM_PI, 1e-5);  /* wrapped */
    cr_assert(w.x0 == 10.0f && w.y0 == 5.0f && w.h0 == GEOM_PI / 2 && w.v0 == 7.0f);
    t.n = 99;                                                  /* clamped to TRAJ_MAX */
    traj_to_world(&t, 0, 0, 0, 0, &w);
    cr_assert_eq(w.n, TRAJ_MAX);
}

/* A constant-acceleration plan x(t) = v0 t + a t²/2 sampled every 0.5 s: segment mean speeds
 * are the speeds at the segment midpoints, so the interpolated target is exactly v0 + a t up to
 * the last midpoint (3.75 s for 8 waypoints) and held after. */
Test(traj, target_speed_of_constant_accel_plan) {
    float v0 = 4.0f, a = 2.0f;
    TrajWorld w = {.n = 8, .x0 = 0, .y0 = 0, .h0 = 0, .v0 = v0};
    for (int k = 0; k < 8; k++) {
        float t = (k + 1) * TRAJ_DT;
        w.x[k] = v0 * t + 0.5f * a * t * t;
    }
    for (float t = 0.0f; t <= 3.75f; t += 0.05f)
        cr_assert_float_eq(tracker_target_speed(&w, t), v0 + a * t, 1e-4, "t = %g", t);
    cr_assert_float_eq(tracker_target_speed(&w, 6.0f), v0 + a * 3.75f, 1e-4);
    w.n = 0;
    cr_assert_eq(tracker_target_speed(&w, 1.0f), 0.0f);        /* no plan: stop */
}

/* ---- closed loop ----------------------------------------------------------------------------- */

typedef void (*PathFn)(const KinState *ego, float t, float *x, float *y, float *h);

/* Freezes the reference path into a plan: waypoint k is where the path says to be at t_k. */
static void plan_from(const KinState *ego, PathFn path, TrajWorld *plan) {
    Traj t = {.n = TRAJ_MAX};
    for (int k = 0; k < TRAJ_MAX; k++) {
        float x, y, h;
        path(ego, (k + 1) * TRAJ_DT, &x, &y, &h);
        to_frame(ego->x, ego->y, ego->heading, x, y, &t.x[k], &t.y[k]);
        t.heading[k] = wrap_angle(h - ego->heading);
    }
    traj_to_world(&t, ego->x, ego->y, ego->heading, ego->speed, plan);
}

typedef float (*ErrFn)(const KinState *ego);

/* Runs the tracker for `steps`, replanning every 0.5 s; returns the largest |err| seen after
 * `settle` steps. */
static float run(KinState *ego, PathFn path, ErrFn err, int steps, int settle) {
    VehicleParams vp = vehicle_default_params(4.6f);
    TrackerParams tp = tracker_default_params();
    TrackerState st = {0};
    TrajWorld plan;
    float worst = 0.0f, t_plan = 0.0f;
    for (int i = 0; i < steps; i++) {
        if (i % STEPS_PER_PLAN == 0) {
            plan_from(ego, path, &plan);
            t_plan = 0.0f;
        }
        Control c = tracker_control(&tp, &st, ego, &vp, &plan, t_plan, DT);
        cr_assert(c.accel >= -vp.max_decel && c.accel <= vp.max_accel);
        cr_assert(fabsf(c.steer) <= vp.max_steer);
        vehicle_step(ego, &vp, c, DT);
        t_plan += DT;
        if (i >= settle) worst = fmaxf(worst, fabsf(err(ego)));
    }
    return worst;
}

/* The line y = 0 at 10 m/s, starting from the ego's projection on it. */
static void straight_10(const KinState *ego, float t, float *x, float *y, float *h) {
    *x = ego->x + 10.0f * t;
    *y = 0.0f;
    *h = 0.0f;
}
static float lateral(const KinState *ego) { return ego->y; }

Test(tracker, straight_converges_to_speed_and_lane) {
    KinState ego = {0.0f, 1.0f, 0.0f, 7.0f, 0, 0, 0};      /* 1 m off the line, 3 m/s slow */
    float overshoot = run(&ego, straight_10, lateral, 100, 30);  /* past 3 s: no swing beyond 0.2 m */
    cr_assert_lt(overshoot, 0.2f, "lateral overshoot %g m", overshoot);
    float tail = run(&ego, straight_10, lateral, 100, 0);        /* 10 s more */
    cr_assert_lt(tail, 0.02f, "residual lateral error %g m", tail);
    cr_assert_float_eq(ego.speed, 10.0f, 0.05);
    cr_assert_float_eq(ego.heading, 0.0f, 0.005);
}

/* A left circle of radius 20 m about (0, 20) at 8 m/s (0.32 g), started on it. */
#define ARC_R 20.0f
static void circle_8(const KinState *ego, float t, float *x, float *y, float *h) {
    float theta = atan2f(ego->x, 20.0f - ego->y) + 8.0f * t / ARC_R;   /* angle swept from (0, 0) */
    *x = ARC_R * sinf(theta);
    *y = ARC_R - ARC_R * cosf(theta);
    *h = theta;
}
static float cross_track(const KinState *ego) { return hypotf(ego->x, ego->y - ARC_R) - ARC_R; }

Test(tracker, circular_arc_cross_track_below_30cm) {
    KinState ego = {0.0f, 0.0f, 0.0f, 8.0f, 0, 0, 0};
    float worst = run(&ego, circle_8, cross_track, 250, 0);     /* 25 s: 1.6 laps */
    cr_assert_lt(worst, 0.3f, "cross-track error %g m", worst);
    cr_assert_float_eq(ego.speed, 8.0f, 0.1);
}

static void stay_put(const KinState *ego, float t, float *x, float *y, float *h) {
    (void)t;
    *x = ego->x;
    *y = ego->y;
    *h = ego->heading;
}
static float speed_of(const KinState *ego) { return ego->speed; }

/* All waypoints on the ego: the target falls from v0 to 0 within 0.25 s and the tracker brakes.
 * From 10 m/s at ≤ 8 m/s² the stop needs ≥ 6.25 m; it must not take much more than that. */
Test(tracker, zero_speed_plan_stops) {
    KinState ego = {0.0f, 0.0f, 0.0f, 10.0f, 0, 0, 0};
    float moving = run(&ego, stay_put, speed_of, 40, 20);       /* stopped after 2 s, and stays */
    cr_assert_eq(moving, 0.0f);
    cr_assert_eq(ego.speed, 0.0f);
    cr_assert(ego.x >= 6.25f - 1e-3f && ego.x < 8.0f, "stopping distance %g m", ego.x);
}

/* Anti-windup: accelerating from rest to 20 m/s saturates at max_accel for ~5 s; the integral
 * must not carry the speed past the target by more than 0.3 m/s (it peaks at ≈ 20.2). */
Test(tracker, speed_pid_does_not_wind_up) {
    VehicleParams vp = vehicle_default_params(4.6f);
    TrackerParams tp = tracker_default_params();
    TrackerState st = {0};
    TrajWorld plan = {.n = 8};
    for (int k = 0; k < 8; k++) plan.x[k] = 10.0f * (k + 1);   /* 20 m/s everywhere but t = 0 */
    plan.v0 = 20.0f;
    KinState ego = {0};
    float vmax = 0.0f;
    for (int i = 0; i < 300; i++) {
        Control c = tracker_control(&tp, &st, &ego, &vp, &plan, 0.5f, DT);  /* a fixed target */
        vehicle_step(&ego, &vp, c, DT);
        vmax = fmaxf(vmax, ego.speed);
    }
    cr_assert_lt(vmax, 20.3f, "overshoot to %g m/s", vmax);
    cr_assert_float_eq(ego.speed, 20.0f, 0.02);
}

/* A NaN plan (broken policy) must give finite controls that brake. */
Test(tracker, nan_plan_brakes) {
    VehicleParams vp = vehicle_default_params(4.6f);
    TrackerParams tp = tracker_default_params();
    TrackerState st = {0};
    TrajWorld plan = {.n = 8, .v0 = 10.0f};
    for (int k = 0; k < 8; k++) plan.x[k] = plan.y[k] = NAN;
    KinState ego = {0.0f, 0.0f, 0.0f, 10.0f, 0, 0, 0};
    Control c = tracker_control(&tp, &st, &ego, &vp, &plan, 0.3f, DT);
    cr_assert(isfinite(c.steer));
    cr_assert_eq(c.accel, -vp.max_decel);
    cr_assert(isfinite(st.integral));
}

/* Pure pursuit by hand: ego 1 m left of the x axis, facing +x, at rest (lookahead = 3 m). The
 * lookahead point is 3 m along the path from the ego's projection; seen from the rear axle
 * (wb/2 = 1.38 m behind the centre) it is (3 + 1.38, −1), so δ = atan(2 wb y / L²). The same
 * holds beyond the last waypoint, where the path continues along the final heading. */
Test(tracker, pure_pursuit_steer_by_hand) {
    VehicleParams vp = vehicle_default_params(4.6f);
    TrackerParams tp = tracker_default_params();
    TrackerState st = {0};
    float wb = vp.wheelbase, lx = 3.0f + wb / 2, expect = atanf(2.0f * wb * -1.0f / (lx * lx + 1.0f));
    TrajWorld plan = {.n = 2, .x0 = 0, .y0 = 0, .h0 = 0, .v0 = 0, .x = {5, 10}, .y = {0, 0}, .heading = {0, 0}};
    KinState ego = {2.0f, 1.0f, 0.0f, 0.0f, 0, 0, 0};
    cr_assert_float_eq(tracker_control(&tp, &st, &ego, &vp, &plan, 0.0f, DT).steer, expect, 1e-5);
    ego.x = 20.0f;                                   /* 10 m past the last waypoint: stale plan */
    cr_assert_float_eq(tracker_control(&tp, &st, &ego, &vp, &plan, 4.0f, DT).steer, expect, 1e-5);
    /* Mirror image: 1 m right of the path steers left by the same angle. */
    ego.y = -1.0f;
    cr_assert_float_eq(tracker_control(&tp, &st, &ego, &vp, &plan, 4.0f, DT).steer, -expect, 1e-5);
    /* At 10 m/s the lookahead grows to 0.8 s × 10 m/s = 8 m. */
    ego.speed = 10.0f;
    lx = 8.0f + wb / 2;
    cr_assert_float_eq(tracker_control(&tp, &st, &ego, &vp, &plan, 4.0f, DT).steer,
                       -atanf(2.0f * wb * -1.0f / (lx * lx + 1.0f)), 1e-5);
}
