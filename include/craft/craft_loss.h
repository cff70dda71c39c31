/* craft_loss — the policy-independent arithmetic of the trainers (CRAFT.md "One iteration"):
 * candidate scores → group-normalised proxy advantages; rollout events → credited rewards → residual
 * advantages; (log π, log π_old, A) → dual-clip surrogate loss and dL/dlog π for policy_backward;
 * KL weights; GAE and discounted returns for the PPO baseline. Pure functions on caller-owned
 * float arrays: no allocation, no state, no randomness. */
#ifndef CRAFT_CRAFT_LOSS_H
#define CRAFT_CRAFT_LOSS_H
#include <stdint.h>

/* ---- Group-relative advantages (proxy stream) ---------------------------------------------- */
#define CRAFT_STD_EPS 1e-5f             /* A = (S − mean)/(population std + eps), as RIFT */

/* Groups of equal size G: scores[g*G + i]. For each group, adv = (S − mean)/(std + eps) with the
 * population std; a group whose std is <= std_threshold (a constant group, G = 1) carries no
 * preference: its advantages are set to 0 and group_valid[g] = 0 (group_valid may be NULL).
 * Returns the number of valid groups. */
int craft_group_normalise(const float *scores, int n_groups, int G, float eps, float std_threshold,
                          float *adv, uint8_t *group_valid);
/* Groups of variable size: group g is scores[offsets[g] .. offsets[g+1]) (offsets has n_groups+1
 * entries, non-decreasing; an empty group is invalid). Same rules as above. */
int craft_group_normalise_offsets(const float *scores, const int *offsets, int n_groups, float eps,
                                  float std_threshold, float *adv, uint8_t *group_valid);

/* ---- Surrogate ------------------------------------------------------------------------------ */
typedef struct {
    float clip_eps;       /* ε: ρ is clipped to [1−ε, 1+ε] (0.2) */
    float dual_c;         /* c > 1: dual clip for A < 0 (3); <= 0 disables it (plain PPO clip, grpo-cl) */
} SurrogateParams;

SurrogateParams surrogate_default_params(void);   /* ε 0.2, c 3 */

/* ℓ(ρ, A) of CRAFT.md and dℓ/dρ (may be NULL):
 *   A >= 0: −min(ρA, clip(ρ, 1−ε, 1+ε)A)
 *   A <  0: −max(min(ρA, clip(ρ, 1−ε, 1+ε)A), c·A)     (without the max when the dual clip is off)
 * At the kinks the branch of the unclipped term is taken (it is the one active for ρ = 1). */
float craft_surrogate(float rho, float adv, const SurrogateParams *sp, float *dloss_drho);

typedef struct {
    int n;                /* samples counted */
    int n_clipped;        /* |ρ − 1| > ε (PPO's clip fraction numerator) */
    int n_zero_grad;      /* samples whose gradient the clip (or the dual clip) zeroed */
    int n_dual;           /* A < 0 and the dual clip c·A was the active branch */
    double sum_ratio;     /* Σ ρ */
    double sum_approx_kl; /* Σ (ρ − 1) − log ρ  (the k3 estimator of KL(old ‖ new), >= 0) */
} SurrogateStats;

/* Over n samples (valid[i] == 0 skips one; valid may be NULL): ρ_i = exp(logp_i − logp_old_i),
 * returns scale · Σ ℓ(ρ_i, adv_i) and ACCUMULATES dlogp[i] += scale · ρ_i · dℓ/dρ_i (the chain rule
 * through ρ = exp(log π − log π_old)), as gradient buffers do in nn/. Pass scale = 1/n_valid for a
 * flat mean, times λ_res for the residual stream. stats (may be NULL) is accumulated too. */
double craft_surrogate_batch(const float *logp, const float *logp_old, const float *adv,
                             const uint8_t *valid, int n, const SurrogateParams *sp, float scale,
                             float *dlogp, SurrogateStats *stats);

/* ---- Grounded residual (events → credit) --------------------------------------------------- */
/* The event classes the residual rewards. The trainer maps the world's events (world.h EventKind,
 * with the collision's ActorType) onto these. */
typedef enum {
    CEV_COLLISION_PEDESTRIAN, CEV_COLLISION_VEHICLE, CEV_COLLISION_STATIC, CEV_RED_LIGHT,
    CEV_STOP_SIGN, CEV_NEAR_MISS, CEV_OFF_ROAD, CEV_WRONG_WAY, CEV_ROUTE_DEVIATION, CEV_BLOCKED,
    CEV_FORCED_HARD_BRAKE, CEV_ROUTE_COMPLETED, CEV_KIND_COUNT
} CreditEventKind;

const char *credit_event_name(CreditEventKind k);  /* "collision_pedestrian", ... */
int credit_event_from_name(const char *name);     /* CreditEventKind or -1 */

typedef struct { float reward[CEV_KIND_COUNT]; } EventRewardTable;

/* Defaults: twice the leaderboard's penalty (1 − multiplicative factor), which reproduces the
 * CRAFT.md examples exactly (pedestrian 0.50 → −1.0, vehicle 0.60 → −0.8, layout 0.65 → −0.7,
 * red light 0.70 → −0.6, stop 0.80 → −0.4); near miss −0.2 and route completed +1 as CRAFT.md.
 * The leaderboard has no fixed factor for the rest, so they are ours:
 *   route deviation −1.0  (ends the route: forfeits all remaining completion, the worst outcome);
 *   blocked −0.6          (ends the route; same weight as the 0.70 scenario-timeout / yield factor);
 *   off-road, wrong way −0.3 each (outside-lanes is a per-metre penalty on the leaderboard; −0.3
 *                          per onset, half a red light; the trainer should emit one event per
 *                          entry into the state, not one per tick);
 *   forced hard brake −0.1 (comfort only; half a near miss). */
EventRewardTable event_reward_table_default(void);

typedef struct {
    float time;           /* s, on the same clock as the planning-step times */
    int kind;             /* CreditEventKind */
} CreditEvent;

typedef struct {
    float window_s;       /* W: an event credits the steps at most W seconds before it (3 s) */
    float gamma;          /* discount per gamma_unit_s seconds (0.9) */
    float gamma_unit_s;   /* Δ: the exponent is (τ − t)/Δ, so γ = 0.9 per second by default (1 s) */
} CreditParams;

CreditParams credit_default_params(void);

/* One episode of T planning steps at times step_time[t] (s, non-decreasing) with n_events events:
 *   credit[t] = Σ_{k : t_t <= τ_k <= t_t + W} reward[kind_k] · γ^((τ_k − t_t)/Δ)
 * credited[t] (may be NULL) = 1 where at least one event fell into the step's window (a credit of
 * exactly 0 from cancelling rewards still counts as credited). Events of an unknown kind are
 * ignored. Returns the number of credited steps. */
int craft_credit_episode(const float *step_time, int T, const CreditEvent *events, int n_events,
                         const EventRewardTable *table, const CreditParams *cp, float *credit,
                         uint8_t *credited);

typedef enum {
    RESIDUAL_NORM_RMS,          /* A = x / (rms over credited entries + eps): keeps the sign (default) */
    RESIDUAL_NORM_STANDARDISE   /* A = (x − mean)/(std + eps) over credited entries */
} ResidualNorm;

/* Â^res over a batch of n executed steps: x_t = R_t − S_t(a_t) (= the credit, so pass the output of
 * craft_credit_episode; R_t itself is S_t(a_t) + credit, for logging), normalised over the
 * credited entries only, and exactly 0 where credited[t] == 0, so the sparse stream does not
 * dilute its scale with the many steps no event touched. The default divides by the RMS and does
 * not centre: with mean-centring, a batch whose only events are collisions would give the
 * least-penalised collision step a positive advantage. Returns the number of credited entries. */
int craft_residual_advantage(const float *residual, const uint8_t *credited, int n, ResidualNorm mode,
                             float eps, float *adv);

/* ---- Asymmetric KL -------------------------------------------------------------------------- */
/* D_asym = α KL(T‖θ) + (1 − α) KL(θ‖T), weighted by β and a per-state scale (1/B for a mean):
 * *w_teacher_student = β·α·scale, *w_student_teacher = β·(1 − α)·scale — the two weights of
 * PolicyLossGrad (policy.h). */
void craft_kl_weights(float alpha, float beta, float scale, float *w_teacher_student,
                      float *w_student_teacher);
/* The value of β · mean_b [α KL(T‖θ)_b + (1 − α) KL(θ‖T)_b]. */
double craft_kl_asym(float alpha, float beta, const float *kl_teacher_student,
                     const float *kl_student_teacher, int B);

/* grpo-cl's 0.2 · KL(π_ref ‖ π_θ) to the frozen reference is craft_kl_weights(1, 0.2, scale, ...). */

/* ---- Diagnostics ---------------------------------------------------------------------------- */
/* Pearson correlation of x and y over the entries with mask[i] != 0 (mask may be NULL), e.g. the
 * per-iteration proxy–residual correlation; 0 when fewer than 2 entries or a constant series. */
double craft_correlation(const float *x, const float *y, const uint8_t *mask, int n);

/* ---- PPO baseline --------------------------------------------------------------------------- */
/* Arrays are time-major [T*N] (index t*N + e for env e). done[t*N + e] = 1 when the episode of
 * env e ended at step t (no bootstrapping across it). last_value[N] is V(s_T) of the state after
 * the last step (ignored where done at T−1).
 *   δ_t = r_t + γ V_{t+1} (1 − d_t) − V_t,  A_t = δ_t + γλ (1 − d_t) A_{t+1},  returns = A + V. */
void craft_gae(const float *reward, const float *value, const uint8_t *done, const float *last_value,
               int T, int N, float gamma, float lambda, float *adv, float *ret);
/* G_t = r_t + γ (1 − d_t) G_{t+1}, bootstrapped with last_value[N] (may be NULL = 0). */
void craft_discounted_return(const float *reward, const uint8_t *done, const float *last_value, int T,
                             int N, float gamma, float *ret);

#endif
