/* idm — IDM, improved IDM and MOBIL (see craft/idm.h). Pure functions of a few floats; the common
 * exponent δ = 4 is special-cased to two multiplies because powf dominates the cost otherwise. */
#include "craft/idm.h"
#include <math.h>

/* Returned for gap <= 0 (touching or overlapping) and the floor of every result: a hard emergency
 * stop on dry asphalt. The vehicle model clamps further to its own max_decel. */
#define IDM_MAX_BRAKE (-9.0f)

static inline float pow_delta(float x, float delta) {
    if (delta == 4.0f) { float x2 = x * x; return x2 * x2; }
    return powf(x, delta);
}

float idm_desired_gap(const IdmParams *p, float v, float dv) {
    float dyn = v * p->T + v * dv / (2.0f * sqrtf(p->a * p->b));
    return p->s0 + (dyn > 0.0f ? dyn : 0.0f);
}

/* Acceleration on a free road. A desired speed <= 0 means "stop": brake comfortably at b. */
static inline float free_accel(const IdmParams *p, float v) {
    if (!(p->v0 > 0.0f)) return v > 0.0f ? -p->b : 0.0f;
    return p->a * (1.0f - pow_delta(v / p->v0, p->delta));
}

/* z = s* / s, the desired over the actual gap; 0 on a free road. gap > 0 here. */
static inline float gap_ratio(const IdmParams *p, float v, float gap, float v_lead) {
    return isinf(gap) ? 0.0f : idm_desired_gap(p, v, v - v_lead) / gap;
}

float idm_accel(const IdmParams *p, float v, float gap, float v_lead) {
    if (!(gap > 0.0f)) return IDM_MAX_BRAKE;          /* touching or overlapping (or NaN) */
    if (v < 0.0f) v = 0.0f;
    float z = gap_ratio(p, v, gap, v_lead);
    float acc = free_accel(p, v) - p->a * z * z;
    return acc > IDM_MAX_BRAKE ? acc : IDM_MAX_BRAKE;
}

float iidm_accel(const IdmParams *p, float v, float gap, float v_lead) {
    if (!(gap > 0.0f)) return IDM_MAX_BRAKE;
    if (v < 0.0f) v = 0.0f;
    float z = gap_ratio(p, v, gap, v_lead);
    float acc;
    if (v <= p->v0) {
        float af = free_accel(p, v);                   /* >= 0 here */
        if (z >= 1.0f) acc = p->a * (1.0f - z * z);
        else acc = af > 0.0f ? af * (1.0f - powf(z, 2.0f * p->a / af)) : 0.0f;
    } else {
        /* Above the desired speed: relax toward v0 at up to b (Treiber & Kesting's form). */
        float af = p->v0 > 0.0f ? -p->b * (1.0f - powf(p->v0 / v, p->a * p->delta / p->b)) : -p->b;
        acc = z >= 1.0f ? af + p->a * (1.0f - z * z) : af;
    }
    return acc > IDM_MAX_BRAKE ? acc : IDM_MAX_BRAKE;
}

int mobil_should_change(const MobilParams *p, float acc_self, float acc_self_new, float acc_newf, float acc_newf_new,
                        float acc_oldf, float acc_oldf_new) {
    if (acc_newf_new < -p->b_safe) return 0;          /* safety: the new follower must not brake harder */
    float incentive = (acc_self_new - acc_self) + p->politeness * ((acc_newf_new - acc_newf) + (acc_oldf_new - acc_oldf));
    return incentive > p->a_threshold;
}
