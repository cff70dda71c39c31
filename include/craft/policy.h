/* policy — one interface over the three driving-policy families (POLICIES.md): vocabulary scoring
 * (POLICY_VOCAB), hierarchical planning (POLICY_HIER) and the token VLA (POLICY_VLA). Trainers and
 * the evaluator only ever see this header.
 *
 * Data flow: Obs[B] ──policy_act──► PolicyAction[B] (sampled or mode; each carries its Traj)
 *            Obs[B] + PolicyAction[B×G] ──policy_evaluate──► log π[B×G], entropy[B]  (caches the batch)
 *            cached batch + dL/dlogπ, dL/dH, KL weights ──policy_backward──► gradients in policy_params
 * policy_evaluate conditions on the given actions (teacher forcing for the token family), so the
 * same call serves imitation (dlogπ = −1/B on the expert's action), policy gradients (dlogπ from the
 * surrogate) and the listwise group objective (G actions per state). KL terms need a second policy
 * of the same config (the EMA teacher or the frozen reference) evaluated on the same batch.
 *
 * Ownership: policy_create/policy_load allocate everything (parameters, batch caches sized by
 * cfg.max_batch × cfg.max_group); policy_destroy frees it. A Policy is not thread-safe; it uses
 * OpenMP/BLAS internally and its results do not depend on the thread count. */
#ifndef CRAFT_POLICY_H
#define CRAFT_POLICY_H
#include <stdint.h>
#include "craft/err.h"
#include "craft/nn.h"
#include "craft/obs.h"
#include "craft/rng.h"
#include "craft/traj.h"

typedef enum { POLICY_VOCAB, POLICY_HIER, POLICY_VLA, POLICY_FAMILY_COUNT } PolicyFamily;

/* Behaviour labels (hierarchical family's high level; the VLA's decisions derive from them):
 * lateral (keep, left, right) × style (stop, cautious, normal, assertive). */
typedef enum { LAT_KEEP, LAT_LEFT, LAT_RIGHT, LAT_COUNT } LateralIntent;
typedef enum { STYLE_STOP, STYLE_CAUTIOUS, STYLE_NORMAL, STYLE_ASSERTIVE, STYLE_COUNT } DrivingStyle;
#define BEHAVIOUR_COUNT (LAT_COUNT * STYLE_COUNT)
static inline int behaviour_id(LateralIntent l, DrivingStyle s) { return (int)l * STYLE_COUNT + (int)s; }

#define ACT_MAX_TOKENS 24
#define ACT_MAX_CONT 48

/* One action of any family. `traj` is what the world executes; the other fields are the family's
 * own coordinates of the same action (what log_prob is a density/probability of). */
typedef struct {
    int index;                    /* vocab: vocabulary entry; hier: behaviour id; vla: decision id */
    int n_tokens;                 /* vla: decision then action tokens */
    int tokens[ACT_MAX_TOKENS];
    int n_cont;                   /* hier: continuous waypoint coordinates */
    float cont[ACT_MAX_CONT];
    Traj traj;                    /* H waypoints, ego frame, 0.5 s apart */
} PolicyAction;

typedef struct {
    PolicyFamily family;
    int horizon;                  /* H waypoints (8) */
    int hidden;                   /* width of the scene encoder */
    int max_batch;                /* states per forward */
    int max_group;                /* actions per state in policy_evaluate */
    int vocab_size;               /* vocab family: V */
    int vla_decision_only;        /* vla: log π counts decision tokens only (MindDrive's RL setting) */
    float min_std;                /* hier: floor on the Gaussian std (m) */
} PolicyConfig;

typedef struct Policy Policy;

PolicyConfig policy_default_config(PolicyFamily f);
const char *policy_family_name(PolicyFamily f);        /* "vocab", "hier", "vla" */
int policy_family_from_name(const char *name, PolicyFamily *out, Err *e);

Policy *policy_create(const PolicyConfig *cfg, uint64_t seed, Err *e);
void policy_destroy(Policy *p);
/* A second policy with the same config and values (teacher, old policy); grads zero. */
Policy *policy_clone(const Policy *p, Err *e);
const PolicyConfig *policy_config(const Policy *p);
NnParams *policy_params(Policy *p);
const NnParams *policy_params_const(const Policy *p);
/* Does the family read Obs.bev / Obs.instr (then encode with ObsConfig.with_bev = 1)? */
int policy_needs_bev(const Policy *p);

/* Checkpoints: safetensors, the config (family, sizes) in the header metadata; loading checks
 * every tensor's name and shape and fails with a clear message on a mismatch. Atomic write. */
int policy_save(const Policy *p, const char *path, Err *e);
Policy *policy_load(const char *path, int max_batch, int max_group, Err *e);

/* Acts on B states: samples (greedy = 0, draws from rng) or takes the mode (greedy = 1).
 * logp (optional, B) receives log π of each chosen action. */
int policy_act(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e);
/* Encodes an expert trajectory (and its behaviour label) in the family's action space: nearest
 * vocabulary entry; behaviour + waypoints; decision + quantised tokens. out->traj is the family's
 * reconstruction of it (for open-loop ADE/FDE). */
int policy_action_from_traj(const Policy *p, const Obs *obs, const Traj *expert, int behaviour,
                            PolicyAction *out, Err *e);

/* Forward pass conditioned on G actions per state (acts[b*G + g]); fills logp[B*G] and, if given,
 * entropy[B] (vla: along the first action's prefix), and caches the batch for KL and backward. */
int policy_evaluate(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G,
                    float *logp, float *entropy, Err *e);
/* KL between the cached distributions of two policies evaluated on the same batch, per state:
 * out[b] = KL(p ‖ q) at state b (exact over the vocabulary / behaviours; Gaussians and tokens in
 * closed form per factor). */
int policy_kl(const Policy *p, const Policy *q, float *out, Err *e);

typedef struct {
    const float *dlogp;           /* [B*G] dL/d log π(a_bg | s_b), or NULL */
    const float *dentropy;        /* [B] dL/dH_b, or NULL */
    const Policy *teacher;        /* evaluated on the same batch, or NULL */
    float w_kl_teacher_student;   /* L += w Σ_b KL(teacher ‖ p)_b   (mode-covering) */
    float w_kl_student_teacher;   /* L += w Σ_b KL(p ‖ teacher)_b   (mode-seeking) */
} PolicyLossGrad;
/* Accumulates dL/dθ of the cached batch into policy_params(p)->grads (caller zeroes them). */
int policy_backward(Policy *p, const PolicyLossGrad *g, Err *e);

#endif
