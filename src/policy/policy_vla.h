/* policy_vla — internals of the token VLA family (MindDrive style) shared by its files: the decision
 * vocabulary and how behaviour labels map onto it, the action-token vocabulary (a quantised
 * (speed, heading-change) pair per 0.5 s waypoint) and the token ↔ trajectory conversions. */
#ifndef CRAFT_POLICY_VLA_H
#define CRAFT_POLICY_VLA_H
#include "craft/obs.h"
#include "craft/policy.h"

/* Linguistic meta-actions of the decision expert. */
typedef enum {
    VLA_DEC_KEEP_LANE, VLA_DEC_CHANGE_LEFT, VLA_DEC_CHANGE_RIGHT, VLA_DEC_YIELD, VLA_DEC_STOP,
    VLA_DEC_ACCELERATE, VLA_DEC_FOLLOW, VLA_DEC_COUNT
} VlaDecision;

/* Action tokens: token = speed_bin · VLA_HEAD_BINS + heading_bin. Bins are centres; an action token
 * moves the ego 0.5 s at that speed while turning by that heading change (midpoint heading).
 *   speed (m/s):            0, 1, 2, 3.5, 5, 6.5, 8, 9.5, 11, 13, 15.5, 18.5
 *   heading change (rad):   −0.4, −0.2, −0.1, −0.04, 0, 0.04, 0.1, 0.2, 0.4   (per 0.5 s)
 * 12 × 9 = 108 tokens. Speed gaps ≤ 1.5 m/s below 11 m/s keep the per-step position error of an
 * off-grid speed ≤ 0.375 m before the closed-loop quantiser corrects it (8 bins gave 0.6-1 m).
 * Nine heading bins (not eight) so that "straight" is a token: with no zero bin a straight plan would
 * zig-zag between ±ε. */
#define VLA_SPEED_BINS 12
#define VLA_HEAD_BINS 9
#define VLA_ACT_VOCAB (VLA_SPEED_BINS * VLA_HEAD_BINS)

/* Instruction token ids must be below this (0 = padding). obs.h may define the vocabulary size. */
#ifdef OBS_INSTR_VOCAB
#define VLA_INSTR_VOCAB OBS_INSTR_VOCAB
#else
#define VLA_INSTR_VOCAB 64
#endif

const char *vla_decision_name(int d);
/* The decision a behaviour label stands for: style stop → stop; lateral left/right → change-left/right;
 * keep + cautious → yield; keep + assertive → accelerate; keep + normal → follow when a valid agent is
 * ahead in the ego lane within 30 m (0 < x < 30, |y| < 2), keep-lane otherwise. */
int vla_decision_of(int behaviour, const Obs *obs);
/* H action tokens → trajectory from the ego pose. */
void vla_decode_tokens(const int *act_tokens, int H, Traj *out);
/* Expert trajectory → H action tokens, step by step from the decoded (not the expert's) pose so that
 * quantisation errors are corrected instead of accumulated: each step takes the token whose decoded
 * pose is closest to the expert's waypoint (position error² + (2 m)²·heading error²). */
void vla_quantise_traj(const Traj *expert, int H, int *act_tokens);

/* Introspection of the last evaluate (tests): decision log-probabilities at state b [VLA_DEC_COUNT];
 * action-token log-probabilities of action row i (= b·G + g) at step t [VLA_ACT_VOCAB]. */
const float *vla_cached_dec_logp(const Policy *p, int b);
const float *vla_cached_act_logp(const Policy *p, int i, int t);

#endif
