/* vehicle — kinematic bicycle and walker steps (see craft/vehicle.h).
 * The bicycle integrates the rear axle on its arc in closed form: with the steering angle held for
 * the step, the rear axle's path has constant curvature tan(δ)/wheelbase whatever the speed profile,
 * so the pose is exact given the distance travelled, which is itself exact for a constant
 * (clamped) acceleration. One sincosf, one tanf and a short Taylor series per step; the rest is
 * rotations (cos/sin of the new heading come from angle-addition, not from more trig calls). */
#include "craft/vehicle.h"
#include "craft/geom.h"
#include <math.h>

/* Walkers: a person turns within a fraction of a second and reaches walking pace in about 1 s. */
#define WALKER_TURN_RATE 3.0f   /* rad/s */
#define WALKER_ACCEL 1.5f       /* m/s² (both speeding up and slowing down) */

static inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Wraps h + dh (h already in [−π, π]) back into [−π, π]. 2π is subtracted in two parts (Cody–Waite):
 * float(2π) alone is 1.7e-7 rad off, and a vehicle circling for minutes would drift by that on
 * every lap. The first subtraction is exact (Sterbenz), so only ordinary rounding remains. */
#define TWO_PI_HI 6.28318548202514648f     /* float(2π) */
#define TWO_PI_LO (-1.7484555314695172e-7f) /* 2π − float(2π) */
static inline float advance_heading(float h, float dh) {
    float a = h + dh;
    if (a > GEOM_PI) a = (a - TWO_PI_HI) - TWO_PI_LO;
    else if (a < -GEOM_PI) a = (a + TWO_PI_HI) + TWO_PI_LO;
    return (a > GEOM_PI || a < -GEOM_PI) ? wrap_angle(a) : a;  /* only for absurd dh */
}

VehicleParams vehicle_default_params(float length) {
    VehicleParams p;
    /* A wheelbase of ~0.6 × length fits cars (4.6 m → 2.8 m), buses (12 m → 7.2 m) and bicycles
     * (1.8 m → 1.1 m); guard against degenerate lengths so curvature stays finite. */
    p.wheelbase = length > 1.0f ? 0.6f * length : 0.6f;
    p.max_accel = 4.0f;
    p.max_decel = 8.0f;
    p.max_steer = 0.6f;          /* ≈ 35° at the road wheels */
    p.max_steer_rate = 1.0f;     /* rad/s: lock to lock (1.2 rad) in 1.2 s, a quick human driver */
    p.max_speed = 40.0f;
    return p;
}

/* sin, cos and sin(x)/x of the half heading change. It is below 0.25 rad in any sane step
 * (0.25 rad: a car at full lock doing 20 m/s for 0.1 s), where Taylor series to x^7 / x^8 are exact
 * to float precision (next terms < 1e-12) and cost a third of a sincosf. */
static inline void half_angle_trig(float x, float *s, float *c, float *sinc) {
    if (fabsf(x) < 0.25f) {
        float x2 = x * x;
        *sinc = 1.0f + x2 * (-1.0f / 6.0f + x2 * (1.0f / 120.0f + x2 * (-1.0f / 5040.0f)));
        *s = x * *sinc;
        *c = 1.0f + x2 * (-0.5f + x2 * (1.0f / 24.0f + x2 * (-1.0f / 720.0f + x2 * (1.0f / 40320.0f))));
    } else {
        sincosf(x, s, c);
        *sinc = *s / x;
    }
}

/* Distance covered in dt from speed v (in [0, vmax]) under constant accel a, stopping at 0 and
 * saturating at vmax; writes the end speed. */
static float travel(float v, float a, float vmax, float dt, float *v_end) {
    float v1 = v + a * dt;
    if (v1 <= 0.0f) {               /* stops within the step (a < 0 here unless v = 0) */
        *v_end = 0.0f;
        return a < 0.0f ? v * v / (-2.0f * a) : 0.0f;
    }
    if (v1 > vmax) {                /* reaches the limit within the step (a > 0 here) */
        float t_sat = (vmax - v) / a;
        *v_end = vmax;
        return v * t_sat + 0.5f * a * t_sat * t_sat + vmax * (dt - t_sat);
    }
    *v_end = v1;
    return (v + 0.5f * a * dt) * dt;
}

void vehicle_step(KinState *k, const VehicleParams *p, Control c, float dt) {
    if (!(dt > 0.0f)) return;
    /* Non-finite commands (a broken policy) mean "no input": coast and hold the wheel. */
    float accel_cmd = isfinite(c.accel) ? c.accel : 0.0f;
    float steer_cmd = isfinite(c.steer) ? c.steer : k->steer;

    float max_dsteer = p->max_steer_rate * dt;
    float steer = k->steer + clampf(clampf(steer_cmd, -p->max_steer, p->max_steer) - k->steer, -max_dsteer, max_dsteer);
    steer = clampf(steer, -p->max_steer, p->max_steer);

    float a = clampf(accel_cmd, -p->max_decel, p->max_accel);
    float v = clampf(k->speed, 0.0f, p->max_speed);
    float v_end;
    float ds = travel(v, a, p->max_speed, dt, &v_end);

    float half_wb = 0.5f * p->wheelbase;
    float dh = ds * tanf(steer) / p->wheelbase;   /* heading change = curvature × arc length */
    float c0, s0, sh, ch, sinc;
    sincosf(k->heading, &s0, &c0);
    half_angle_trig(0.5f * dh, &sh, &ch, &sinc);
    /* Chord of the arc: length ds·sinc(dh/2), direction heading + dh/2. */
    float cm = c0 * ch - s0 * sh, sm = s0 * ch + c0 * sh;       /* heading + dh/2 */
    float cos_dh = 1.0f - 2.0f * sh * sh, sin_dh = 2.0f * sh * ch;
    float c1 = c0 * cos_dh - s0 * sin_dh, s1 = s0 * cos_dh + c0 * sin_dh; /* heading + dh */
    /* centre' = rear' + (wb/2)·dir(h1) = centre − (wb/2)·dir(h0) + chord + (wb/2)·dir(h1) */
    float chord = ds * sinc;
    k->x += chord * cm + half_wb * (c1 - c0);
    k->y += chord * sm + half_wb * (s1 - s0);
    k->heading = advance_heading(k->heading, dh);
    k->accel = (v_end - v) / dt;
    k->speed = v_end;
    k->steer = steer;
    k->yaw_rate = dh / dt;
}

void walker_step(KinState *k, float speed_cmd, float heading_cmd, float dt) {
    if (!(dt > 0.0f)) return;
    if (!isfinite(speed_cmd)) speed_cmd = 0.0f;
    if (!isfinite(heading_cmd)) heading_cmd = k->heading;
    float max_turn = WALKER_TURN_RATE * dt;
    float dh = clampf(wrap_angle(heading_cmd - k->heading), -max_turn, max_turn);
    float v0 = fmaxf(k->speed, 0.0f);
    float max_dv = WALKER_ACCEL * dt;
    float v1 = v0 + clampf(fmaxf(speed_cmd, 0.0f) - v0, -max_dv, max_dv);
    /* Midpoint rule: average speed along the mid-step heading (second order, plenty for walkers). */
    float s, c;
    sincosf(k->heading + 0.5f * dh, &s, &c);
    float ds = 0.5f * (v0 + v1) * dt;
    k->x += ds * c;
    k->y += ds * s;
    k->heading = advance_heading(k->heading, dh);
    k->accel = (v1 - v0) / dt;
    k->speed = v1;
    k->steer = 0.0f;
    k->yaw_rate = dh / dt;
}
