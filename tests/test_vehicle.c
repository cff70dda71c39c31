/* Kinematic bicycle and walker against closed-form motion. */
#include <criterion/criterion.h>
#include <math.h>
#include "craft/geom.h"
#include "craft/vehicle.h"

static KinState kin(float x, float y, float heading, float speed) {
    KinState k = {x, y, heading, speed, 0.0f, 0.0f, 0.0f};
    return k;
}

Test(vehicle, default_params) {
    VehicleParams car = vehicle_default_params(4.6f), bike = vehicle_default_params(1.8f);
    cr_assert_float_eq(car.wheelbase, 2.76f, 1e-5);
    cr_assert_float_eq(bike.wheelbase, 1.08f, 1e-5);   /* ≈ 1.1 m */
    cr_assert_eq(car.max_accel, 4.0f);
    cr_assert_eq(car.max_decel, 8.0f);
    cr_assert_float_eq(car.max_steer, 0.6f, 1e-6);
    cr_assert_float_eq(car.max_steer_rate, 1.0f, 1e-6);
    cr_assert_eq(car.max_speed, 40.0f);
}

/* Constant steer δ: the rear axle runs on a circle of radius wb / tan δ about a fixed centre, the
 * footprint centre on the concentric circle of radius sqrt(R² + (wb/2)²), and after time t the
 * rear axle has swept the angle v t / R. Checked at every step over ~14 laps; what error there is
 * (≈ 3e-4 m) is float rounding of the positions, which drifts the circle slowly. */
Test(vehicle, constant_steer_circle_is_exact) {
    VehicleParams p = vehicle_default_params(4.6f);
    float delta = 0.3f, v = 8.0f, dt = 0.1f;
    double wb = p.wheelbase, R = wb / tan((double)delta), Rc = sqrt(R * R + wb * wb / 4.0);
    KinState k = kin(0.0f, 0.0f, 0.0f, v);
    k.steer = delta;                           /* already at the commanded angle: no rate transient */
    double ox = -wb / 2.0, oy = R;             /* circle centre: left of the initial rear axle */
    Control c = {0.0f, delta};
    double max_rear_err = 0, max_centre_err = 0;
    for (int i = 1; i <= 1000; i++) {
        vehicle_step(&k, &p, c, dt);
        double rx = k.x - wb / 2.0 * cos(k.heading), ry = k.y - wb / 2.0 * sin(k.heading);
        max_rear_err = fmax(max_rear_err, fabs(hypot(rx - ox, ry - oy) - R));
        max_centre_err = fmax(max_centre_err, fabs(hypot(k.x - ox, k.y - oy) - Rc));
    }
    cr_assert_lt(max_rear_err, 1e-3, "rear axle off its circle by %g m", max_rear_err);
    cr_assert_lt(max_centre_err, 1e-3, "centre off its circle by %g m", max_centre_err);
    /* Phase after 100 s: swept angle v t / R, rear axle at centre + R (sin θ, −cos θ). */
    double theta = v * 100.0 / R;
    double rx = k.x - wb / 2.0 * cos(k.heading), ry = k.y - wb / 2.0 * sin(k.heading);
    cr_assert_lt(hypot(rx - (ox + R * sin(theta)), ry - (oy - R * cos(theta))), 1e-3);
    cr_assert_float_eq(k.yaw_rate, v / R, 1e-5);
    cr_assert_eq(k.accel, 0.0f);
    cr_assert_eq(k.steer, delta);
}

Test(vehicle, straight_constant_accel) {
    VehicleParams p = vehicle_default_params(4.6f);
    KinState k = kin(1.0f, 2.0f, 0.0f, 3.0f);
    float a = 2.0f, dt = 0.1f;
    for (int i = 1; i <= 50; i++) {
        vehicle_step(&k, &p, (Control){a, 0.0f}, dt);
        double t = i * dt;
        cr_assert_float_eq(k.x, 1.0 + 3.0 * t + 0.5 * a * t * t, 1e-4);
        cr_assert_float_eq(k.speed, 3.0 + a * t, 1e-5);
        cr_assert_eq(k.y, 2.0f);
        cr_assert_float_eq(k.accel, a, 1e-4);
    }
}

/* Reaching max_speed mid-step: accelerate until t_sat, then cruise. */
Test(vehicle, speed_saturates_exactly) {
    VehicleParams p = vehicle_default_params(4.6f);
    KinState k = kin(0.0f, 0.0f, 0.0f, 39.0f);
    vehicle_step(&k, &p, (Control){4.0f, 0.0f}, 0.5f);   /* t_sat = 0.25 s */
    cr_assert_eq(k.speed, 40.0f);
    cr_assert_float_eq(k.x, 39.0 * 0.25 + 0.5 * 4.0 * 0.0625 + 40.0 * 0.25, 1e-4);
    cr_assert_float_eq(k.accel, 2.0f, 1e-5);             /* applied: 1 m/s over 0.5 s */
}

/* Braking at the limit from 10 m/s: stops at t = 1.25 s after exactly v²/(2·8) = 6.25 m, even
 * when asked for more than the limit, and never reverses afterwards. */
Test(vehicle, braking_stops_exactly_and_never_reverses) {
    VehicleParams p = vehicle_default_params(4.6f);
    KinState k = kin(0.0f, 0.0f, 0.0f, 10.0f);
    float prev_x = 0.0f;
    for (int i = 1; i <= 40; i++) {
        vehicle_step(&k, &p, (Control){-20.0f, 0.0f}, 0.1f);
        cr_assert_geq(k.speed, 0.0f);
        cr_assert_geq(k.x, prev_x);
        prev_x = k.x;
        if (i <= 12) cr_assert_float_eq(k.speed, 10.0 - 0.8 * i, 1e-5);
        if (i == 13) cr_assert_float_eq(k.accel, -4.0f, 1e-4);   /* the last 0.4 m/s over the 0.1 s step */
        if (i >= 13) cr_assert_eq(k.speed, 0.0f);
        if (i >= 14) cr_assert_eq(k.accel, 0.0f);               /* standing still: nothing applied */
    }
    cr_assert_float_eq(k.x, 6.25f, 1e-4);
}

Test(vehicle, steer_rate_and_angle_limits) {
    VehicleParams p = vehicle_default_params(4.6f);
    KinState k = kin(0.0f, 0.0f, 0.0f, 5.0f);
    float dt = 0.1f, step = p.max_steer_rate * dt;
    for (int i = 1; i <= 10; i++) {
        float before = k.steer;
        vehicle_step(&k, &p, (Control){0.0f, 2.0f}, dt);        /* asks beyond max_steer */
        cr_assert_leq(k.steer - before, step + 1e-6f);
        cr_assert_float_eq(k.steer, fminf(i * step, p.max_steer), 1e-5);
    }
    cr_assert_eq(k.steer, p.max_steer);
    for (int i = 1; i <= 3; i++) {
        vehicle_step(&k, &p, (Control){0.0f, -0.6f}, dt);
        cr_assert_float_eq(k.steer, p.max_steer - i * step, 1e-5);
    }
    /* Yaw rate recorded is v tan δ / wb for the steer actually applied. */
    cr_assert_float_eq(k.yaw_rate, 5.0f * tanf(k.steer) / p.wheelbase, 1e-4);
}

Test(vehicle, nonfinite_command_coasts) {
    VehicleParams p = vehicle_default_params(4.6f);
    KinState k = kin(0.0f, 0.0f, 0.0f, 5.0f);
    k.steer = 0.1f;
    vehicle_step(&k, &p, (Control){NAN, INFINITY}, 0.1f);
    cr_assert_eq(k.speed, 5.0f);
    cr_assert_eq(k.steer, 0.1f);
    cr_assert(isfinite(k.x) && isfinite(k.y) && isfinite(k.heading));
}

Test(vehicle, walker_turns_and_accelerates_within_limits) {
    KinState k = kin(0.0f, 0.0f, 0.0f, 0.0f);
    float target = GEOM_PI / 2.0f, dt = 0.1f;
    for (int i = 1; i <= 20; i++) {
        float h0 = k.heading, v0 = k.speed;
        walker_step(&k, 1.5f, target, dt);
        cr_assert_leq(fabsf(k.heading - h0), 0.3f + 1e-6f);      /* 3 rad/s */
        cr_assert_leq(fabsf(k.speed - v0), 0.15f + 1e-6f);       /* 1.5 m/s² */
        if (i >= 6) cr_assert_float_eq(k.heading, target, 1e-6);  /* π/2 reached after 5.24 steps */
        if (i >= 10) cr_assert_float_eq(k.speed, 1.5f, 1e-5);
    }
    cr_assert_float_eq(k.speed, 1.5f, 1e-6);
    cr_assert_eq(k.steer, 0.0f);
}

/* Shortest turn across ±π: from 3.0 rad to −3.0 rad is +0.283 rad, not −6 rad. */
Test(vehicle, walker_turns_the_short_way) {
    KinState k = kin(0.0f, 0.0f, 3.0f, 1.0f);
    walker_step(&k, 1.0f, -3.0f, 0.1f);
    cr_assert_float_eq(k.heading, -3.0f, 1e-5);
    cr_assert_float_eq(k.yaw_rate, (2.0f * GEOM_PI - 6.0f) / 0.1f, 1e-3);
    /* Straight walk at 1 m/s for 0.1 s along the mid heading ±π. */
    cr_assert_float_eq(k.x, -0.1f, 1e-5);
}
