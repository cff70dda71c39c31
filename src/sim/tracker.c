/* tracker — pure pursuit + speed PID on a frozen trajectory (see craft/tracker.h).
 * The path is the polyline start → waypoints, continued past the last waypoint along its heading
 * (a stale plan still gives a direction). The ego's centre is projected onto it, the lookahead
 * point lies `lookahead` metres further along the arc, and pure pursuit steers the rear axle onto
 * the circle through that point. At most TRAJ_MAX + 1 segments: a full scan is cheaper than
 * keeping a projection hint in the state. */
#include "craft/tracker.h"
#include "craft/geom.h"
#include <math.h>

/* The integrator contributes at most this much acceleration (m/s²): enough to cancel drag-like
 * model mismatch, small enough that a long saturation cannot wind it up into an overshoot. */
#define TRACKER_MAX_I_ACCEL 2.0f

TrackerParams tracker_default_params(void) {
    TrackerParams p;
    p.lookahead_min = 3.0f;   /* m: below ~3 m pure pursuit oscillates at low speed */
    p.lookahead_gain = 0.8f;  /* s: 8 m at 10 m/s, 24 m at 30 m/s */
    p.kp = 1.5f;              /* (m/s²)/(m/s): a 1 m/s error closes with a time constant of ~0.7 s */
    p.ki = 0.3f;
    p.kd = 0.0f;              /* replanning makes the error jump; a derivative would kick on it */
    p.brake_speed = 0.3f;     /* m/s: the plan says "stop" (Bench2Drive stacks use ~0.4) */
    return p;
}

float tracker_target_speed(const TrajWorld *plan, float t) {
    if (plan->n <= 0) return 0.0f;
    /* Segment k (start or waypoint k−1 → waypoint k) covers [k, k+1]·TRAJ_DT; its mean speed is
     * the speed at its middle exactly for a constant-acceleration plan, so the knots are
     * (0, v0) and ((k + ½)·TRAJ_DT, segment k's speed), interpolated linearly and held at the end. */
    float prev_t = 0.0f, prev_v = plan->v0;
    float px = plan->x0, py = plan->y0;
    if (!(t > 0.0f)) return prev_v;
    for (int k = 0; k < plan->n; k++) {
        float knot_t = (k + 0.5f) * TRAJ_DT;
        float v = hypotf(plan->x[k] - px, plan->y[k] - py) / TRAJ_DT;
        if (t <= knot_t) return prev_v + (v - prev_v) * (t - prev_t) / (knot_t - prev_t);
        prev_t = knot_t;
        prev_v = v;
        px = plan->x[k];
        py = plan->y[k];
    }
    return prev_v;
}

/* Polyline vertex i: the start pose for i = 0, waypoint i−1 after. */
static inline float vx_at(const TrajWorld *p, int i) { return i == 0 ? p->x0 : p->x[i - 1]; }
static inline float vy_at(const TrajWorld *p, int i) { return i == 0 ? p->y0 : p->y[i - 1]; }

/* Point at arc length s along the path (s >= 0), continuing along the final heading. */
static void point_at(const TrajWorld *p, float s, float *x, float *y) {
    for (int i = 0; i < p->n; i++) {
        float ax = vx_at(p, i), ay = vy_at(p, i), bx = vx_at(p, i + 1), by = vy_at(p, i + 1);
        float len = hypotf(bx - ax, by - ay);
        if (s <= len && len > 0.0f) {
            float f = s / len;
            *x = ax + f * (bx - ax);
            *y = ay + f * (by - ay);
            return;
        }
        s -= len;
    }
    float h = p->n > 0 ? p->heading[p->n - 1] : p->h0, sh, ch;
    sincosf(h, &sh, &ch);
    *x = vx_at(p, p->n) + s * ch;
    *y = vy_at(p, p->n) + s * sh;
}

/* Arc length of the point of the path (segments + final ray) closest to (x, y). */
static float project(const TrajWorld *p, float x, float y) {
    float best_d2 = INFINITY, best_s = 0.0f, s = 0.0f;
    for (int i = 0; i < p->n; i++) {
        float ax = vx_at(p, i), ay = vy_at(p, i), ex = vx_at(p, i + 1) - ax, ey = vy_at(p, i + 1) - ay;
        float len2 = ex * ex + ey * ey;
        float f = len2 > 0.0f ? ((x - ax) * ex + (y - ay) * ey) / len2 : 0.0f;
        f = f < 0.0f ? 0.0f : (f > 1.0f ? 1.0f : f);
        float qx = ax + f * ex - x, qy = ay + f * ey - y, d2 = qx * qx + qy * qy;
        float len = sqrtf(len2);
        if (d2 < best_d2) { best_d2 = d2; best_s = s + f * len; }
        s += len;
    }
    float h = p->n > 0 ? p->heading[p->n - 1] : p->h0, sh, ch;
    sincosf(h, &sh, &ch);
    float ax = vx_at(p, p->n), ay = vy_at(p, p->n);
    float f = (x - ax) * ch + (y - ay) * sh;
    if (f > 0.0f) {
        float qx = ax + f * ch - x, qy = ay + f * sh - y;
        if (qx * qx + qy * qy < best_d2) best_s = s + f;
    }
    return best_s;
}

static float pure_pursuit_steer(const TrackerParams *p, const KinState *ego, const VehicleParams *vp,
                                const TrajWorld *plan) {
    float lookahead = fmaxf(p->lookahead_min, p->lookahead_gain * ego->speed);
    float tx, ty;
    point_at(plan, project(plan, ego->x, ego->y) + lookahead, &tx, &ty);
    float s, c;
    sincosf(ego->heading, &s, &c);
    float half_wb = 0.5f * vp->wheelbase;
    float dx = tx - (ego->x - half_wb * c), dy = ty - (ego->y - half_wb * s);   /* from the rear axle */
    float fx = c * dx + s * dy, fy = -s * dx + c * dy;
    float ld2 = fx * fx + fy * fy;
    if (!(ld2 > 1e-6f)) return 0.0f;
    /* Circle through the rear axle, tangent to the heading, through the target: κ = 2 y / L². */
    return atanf(vp->wheelbase * 2.0f * fy / ld2);
}

static float speed_pid(const TrackerParams *p, TrackerState *st, float target, float speed,
                       const VehicleParams *vp, float dt) {
    float err = target - speed;
    float deriv = dt > 0.0f ? (err - st->prev_error) / dt : 0.0f;
    st->prev_error = err;
    float integral = st->integral + err * dt;
    float out = p->kp * err + p->ki * integral + p->kd * deriv;
    /* Anti-windup: integrate only while the output is unsaturated or the error unwinds it. */
    if ((out > vp->max_accel && err > 0.0f) || (out < -vp->max_decel && err < 0.0f)) integral = st->integral;
    if (p->ki > 0.0f) {
        float cap = TRACKER_MAX_I_ACCEL / p->ki;
        integral = integral > cap ? cap : (integral < -cap ? -cap : integral);
    }
    st->integral = integral;
    return p->kp * err + p->ki * integral + p->kd * deriv;
}

Control tracker_control(const TrackerParams *p, TrackerState *st, const KinState *ego, const VehicleParams *vp,
                        const TrajWorld *plan, float t_since_plan, float dt) {
    Control c;
    c.steer = pure_pursuit_steer(p, ego, vp, plan);
    if (!isfinite(c.steer)) c.steer = 0.0f;     /* NaN waypoints from a broken policy: go straight */
    c.steer = fminf(fmaxf(c.steer, -vp->max_steer), vp->max_steer);
    float target = tracker_target_speed(plan, t_since_plan + dt);   /* the speed wanted at step end */
    if (!(target >= p->brake_speed)) {
        /* The plan says stop (or is NaN): brake hard, and forget the integral for a clean restart. */
        c.accel = -vp->max_decel;
        st->integral = 0.0f;
        st->prev_error = 0.0f;
    } else {
        c.accel = speed_pid(p, st, target, ego->speed, vp, dt);
        c.accel = fminf(fmaxf(c.accel, -vp->max_decel), vp->max_accel);
    }
    return c;
}
