/* idm — the car-following and lane-changing laws of background traffic: Intelligent Driver Model
 * (Treiber et al. 2000) and MOBIL (Kesting et al. 2007). Pure functions; the world feeds them the
 * gap to the leader it found. Also used by the scorer's idm_nonreactive forecaster. */
#ifndef CRAFT_IDM_H
#define CRAFT_IDM_H

typedef struct { float v0, a, b, T, s0, delta; } IdmParams;
typedef struct { float politeness, a_threshold, b_safe; } MobilParams;

/* IDM acceleration for speed v with a leader `gap` m ahead (bumper to bumper) at speed v_lead;
 * gap = INFINITY means a free road. */
float idm_accel(const IdmParams *p, float v, float gap, float v_lead);
/* Steady-state gap s* = s0 + v T for a leader at constant speed v (delta → ∞ limit; used in tests). */
float idm_desired_gap(const IdmParams *p, float v, float dv);
/* MOBIL incentive criterion: 1 if changing lanes pays. acc_* are IDM accelerations of: self now,
 * self after the change, new follower now/after, old follower now/after. */
int mobil_should_change(const MobilParams *p, float acc_self, float acc_self_new, float acc_newf, float acc_newf_new,
                        float acc_oldf, float acc_oldf_new);

/* Improved IDM (Treiber & Kesting 2013, "Traffic Flow Dynamics" §11.3.7): same parameters, but the
 * steady-state gap behind a leader at constant speed v <= v0 is exactly s0 + v T (plain IDM's is
 * (s0 + v T) / sqrt(1 − (v/v0)^δ), metres longer near v0), and it does not brake above v0 on a
 * free road harder than b. Same conventions as idm_accel (gap <= 0 → −9, results floored at −9). */
float iidm_accel(const IdmParams *p, float v, float gap, float v_lead);

#endif
