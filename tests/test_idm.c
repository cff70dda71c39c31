/* IDM / IIDM closed-form values, car following simulated through the bicycle model (steady
 * state, emergency braking of the leader) and MOBIL decisions computed by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include "craft/idm.h"
#include "craft/vehicle.h"

/* Typical urban/highway driver: a = 1.5, b = 2, T = 1.5 s, s0 = 2 m, δ = 4, v0 = 30 m/s. */
static IdmParams driver(void) {
    IdmParams p = {30.0f, 1.5f, 2.0f, 1.5f, 2.0f, 4.0f};
    return p;
}

typedef float (*AccelLaw)(const IdmParams *, float, float, float);

Test(idm, free_road_and_special_cases) {
    IdmParams p = driver();
    cr_assert_eq(idm_accel(&p, 0.0f, INFINITY, 0.0f), p.a);                  /* from rest: a */
    cr_assert_float_eq(idm_accel(&p, 15.0f, INFINITY, 0.0f), 1.5f * (1.0f - 1.0f / 16.0f), 1e-6);
    cr_assert_float_eq(idm_accel(&p, 30.0f, INFINITY, 0.0f), 0.0f, 1e-6);
    cr_assert_eq(idm_accel(&p, 10.0f, 0.0f, 10.0f), -9.0f);                   /* gap <= 0 */
    cr_assert_eq(idm_accel(&p, 10.0f, -1.0f, 10.0f), -9.0f);
    cr_assert_eq(idm_accel(&p, 10.0f, NAN, 10.0f), -9.0f);
    cr_assert_eq(idm_accel(&p, 10.0f, 0.01f, 0.0f), -9.0f);                   /* floored at −9 */
    p.v0 = 0.0f;                                                               /* "stop" */
    cr_assert_eq(idm_accel(&p, 10.0f, INFINITY, 0.0f), -p.b);
    cr_assert_eq(idm_accel(&p, 0.0f, INFINITY, 0.0f), 0.0f);
    cr_assert_eq(iidm_accel(&p, 0.0f, INFINITY, 0.0f), 0.0f);
    cr_assert_leq(iidm_accel(&p, 10.0f, INFINITY, 0.0f), -p.b + 1e-6f);
}

/* s* = s0 + max(0, vT + v Δv / (2√(ab))), √(ab) = √3. */
Test(idm, desired_gap_and_interaction) {
    IdmParams p = driver();
    cr_assert_float_eq(idm_desired_gap(&p, 10.0f, 0.0f), 17.0f, 1e-5);
    cr_assert_float_eq(idm_desired_gap(&p, 10.0f, 4.0f), 17.0f + 40.0f / (2.0f * sqrtf(3.0f)), 1e-4);
    cr_assert_float_eq(idm_desired_gap(&p, 10.0f, -20.0f), 2.0f, 1e-5);    /* leader pulling away fast */
    /* At 15 m/s, 34 m behind a leader at 15 m/s: s* / s = 24.5/34. */
    float z = 24.5f / 34.0f;
    cr_assert_float_eq(idm_accel(&p, 15.0f, 34.0f, 15.0f), 1.5f * (1.0f - 1.0f / 16.0f - z * z), 1e-5);
    /* IIDM below v0 with z < 1: a_free (1 − z^(2a/a_free)). */
    float af = 1.5f * (1.0f - 1.0f / 16.0f);
    cr_assert_float_eq(iidm_accel(&p, 15.0f, 34.0f, 15.0f), af * (1.0f - powf(z, 2.0f * 1.5f / af)), 1e-5);
    /* δ ≠ 4 goes through powf. */
    p.delta = 2.0f;
    cr_assert_float_eq(idm_accel(&p, 15.0f, INFINITY, 0.0f), 1.5f * 0.75f, 1e-6);
}

/* ---- car following through the vehicle model ----------------------------------------------- */

#define CAR_LEN 4.6f
#define DT 0.1f

typedef struct { KinState lead, follow; VehicleParams lead_p, follow_p; } Pair;

static Pair pair(float lead_speed, float follow_speed, float gap) {
    Pair s = {0};
    s.lead_p = s.follow_p = vehicle_default_params(CAR_LEN);
    s.follow.speed = follow_speed;
    s.lead.x = gap + CAR_LEN;
    s.lead.speed = lead_speed;
    return s;
}

static float gap_of(const Pair *s) { return s->lead.x - s->follow.x - CAR_LEN; }

/* One 0.1 s step: the leader applies lead_accel, the follower the car-following law. */
static void step(Pair *s, AccelLaw law, const IdmParams *p, float lead_accel) {
    float acc = law(p, s->follow.speed, gap_of(s), s->lead.speed);
    vehicle_step(&s->lead, &s->lead_p, (Control){lead_accel, 0.0f}, DT);
    vehicle_step(&s->follow, &s->follow_p, (Control){acc, 0.0f}, DT);
    /* Keep the pair near the origin: 9 km out a float position only resolves 1 mm, enough to
     * fake a 5 mm/s speed difference at 10 Hz. */
    if (s->follow.x > 100.0f) {
        s->follow.x -= 100.0f;
        s->lead.x -= 100.0f;
    }
}

static float settle(AccelLaw law, const IdmParams *p, float v_lead, float v_follow, float gap0) {
    Pair s = pair(v_lead, v_follow, gap0);
    for (int i = 0; i < 3000; i++) step(&s, law, p, 0.0f);    /* 300 s */
    cr_assert_float_eq(s.follow.speed, v_lead, 1e-3);
    return gap_of(&s);
}

/* Plain IDM settles where 1 − (v/v0)^δ = (s* / s)², i.e. s = (s0 + vT) / sqrt(1 − (v/v0)^δ); that
 * is within 0.1 m of s0 + vT only far below v0 (here v/v0 = 0.3: +0.07 m). */
Test(idm, idm_steady_state_gap) {
    IdmParams p = driver();
    float speeds[] = {9.0f, 15.0f, 25.0f};
    for (int k = 0; k < 3; k++) {
        float v = speeds[k];
        double r = v / p.v0, s_eq = (p.s0 + v * p.T) / sqrt(1.0 - r * r * r * r);
        float g1 = settle(idm_accel, &p, v, v, 5.0f), g2 = settle(idm_accel, &p, v, v + 5.0f, 80.0f);
        cr_assert_float_eq(g1, s_eq, 0.02, "v = %g: gap %g, expected %g", v, g1, s_eq);
        cr_assert_float_eq(g2, s_eq, 0.02, "v = %g: gap %g, expected %g", v, g2, s_eq);
    }
    cr_assert_float_eq(settle(idm_accel, &p, 9.0f, 12.0f, 40.0f), p.s0 + 9.0f * p.T, 0.1);
}

/* The requirement "a follower converges to s* = s0 + vT" holds at every speed with IIDM. */
Test(idm, iidm_steady_state_gap_is_s0_plus_vT) {
    IdmParams p = driver();
    float speeds[] = {5.0f, 15.0f, 25.0f, 29.0f};
    float starts[][2] = {{0.0f, 5.0f}, {5.0f, 60.0f}, {0.0f, 150.0f}};  /* (speed offset, gap) */
    for (int k = 0; k < 4; k++)
        for (int m = 0; m < 3; m++) {
            float v = speeds[k], g = settle(iidm_accel, &p, v, v + starts[m][0], starts[m][1]);
            cr_assert_float_eq(g, p.s0 + v * p.T, 0.1, "v = %g, start %d: gap %g, want %g", v, m, g, p.s0 + v * p.T);
        }
}

/* The leader brakes to a stop at 8 m/s² (and at 9, beyond the follower's own 8 m/s² limit)
 * from cruising; the follower, starting at or beyond its desired gap, must never touch it and
 * in fact keeps the jam distance s0 (within 0.5 m) throughout. */
Test(idm, follower_never_hits_an_emergency_stop) {
    AccelLaw laws[] = {idm_accel, iidm_accel};
    float speeds[] = {10.0f, 20.0f, 30.0f};
    float extra_gap[] = {0.0f, 5.0f, 20.0f};
    float lead_decel[] = {8.0f, 9.0f};
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 3; k++)
            for (int g = 0; g < 3; g++)
                for (int d = 0; d < 2; d++) {
                    IdmParams p = driver();
                    float v = speeds[k];
                    Pair s = pair(v, v, p.s0 + v * p.T + extra_gap[g]);
                    s.lead_p.max_decel = lead_decel[d];
                    float min_gap = INFINITY;
                    for (int i = 0; i < 300; i++) {
                        step(&s, laws[l], &p, -lead_decel[d]);
                        min_gap = fminf(min_gap, gap_of(&s));
                    }
                    cr_assert_gt(min_gap, p.s0 - 0.5f, "law %d v %g gap+%g decel %g: min gap %g", l, v, extra_gap[g],
                                 lead_decel[d], min_gap);
                    cr_assert_lt(s.follow.speed, 0.1f);
                    cr_assert_float_eq(gap_of(&s), p.s0, 0.5f);        /* creeps up to rest at s0 */
                }
}

/* ---- MOBIL: p = 0.5, threshold 0.1, b_safe = 4 ---------------------------------------------- */

Test(mobil, incentive_and_safety) {
    MobilParams m = {0.5f, 0.1f, 4.0f};
    /* self +1.0, new follower −0.5, old follower +0.2: 1 + 0.5 (−0.5 + 0.2) = 0.85 > 0.1. */
    cr_assert(mobil_should_change(&m, 0.0f, 1.0f, 0.0f, -0.5f, 0.0f, 0.2f));
    /* self +0.3, new follower −0.6: 0.3 − 0.3 = 0 < 0.1. */
    cr_assert(!mobil_should_change(&m, 0.0f, 0.3f, 0.0f, -0.6f, 0.0f, 0.0f));
    /* self +0.3, new follower −0.2, old follower +0.2: 0.3 > 0.1 (the old follower's gain counts). */
    cr_assert(mobil_should_change(&m, -1.0f, -0.7f, 0.5f, 0.3f, -0.4f, -0.2f));
    /* Selfish driver (p = 0) changes for +0.15 whatever it costs others, a polite one (p = 1) not. */
    MobilParams selfish = {0.0f, 0.1f, 4.0f}, polite = {1.0f, 0.1f, 4.0f};
    cr_assert(mobil_should_change(&selfish, 0.0f, 0.15f, 0.0f, -1.0f, 0.0f, 0.0f));
    cr_assert(!mobil_should_change(&polite, 0.0f, 0.15f, 0.0f, -1.0f, 0.0f, 0.0f));
    /* Safety: +3 for self but the new follower would brake at 4.5 > b_safe: blocked; at exactly
     * 4 it is allowed (3 − 0.5·4 = 1 > 0.1). */
    cr_assert(!mobil_should_change(&m, 0.0f, 3.0f, 0.0f, -4.5f, 0.0f, 0.0f));
    cr_assert(mobil_should_change(&m, 0.0f, 3.0f, 0.0f, -4.0f, 0.0f, 0.0f));
}
