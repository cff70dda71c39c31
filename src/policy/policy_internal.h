/* policy_internal — how a family plugs into policy.c: a table of operations and the Policy struct.
 * policy.c owns creation (declare → nn_params_alloc(seed) → setup), cloning, checkpoints and the
 * public entry points (argument checks); each family file (policy_vocab.c, policy_hier.c,
 * policy_vla.c) implements the operations. Rule: everything a checkpoint must restore lives in
 * the parameter store (fixed tables such as the vocabulary are frozen tensors), so clone and load
 * are "same config + copy values", and `fam` holds only scratch/caches rebuilt by setup. */
#ifndef CRAFT_POLICY_INTERNAL_H
#define CRAFT_POLICY_INTERNAL_H
#include "craft/policy.h"

typedef struct PolicyOps {
    int needs_bev;
    /* Declares the family's tensors in p->params (before allocation). */
    int (*declare)(Policy *p, Err *e);
    /* After nn_params_alloc: fixed tables derived from the seed, and the batch caches in p->fam. */
    int (*setup)(Policy *p, uint64_t seed, Err *e);
    void (*free_fam)(Policy *p);
    int (*act)(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e);
    int (*action_from_traj)(const Policy *p, const Obs *obs, const Traj *expert, int behaviour,
                            PolicyAction *out, Err *e);
    int (*evaluate)(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G,
                    float *logp, float *entropy, Err *e);
    int (*kl)(const Policy *p, const Policy *q, float *out, Err *e);
    int (*backward)(Policy *p, const PolicyLossGrad *g, Err *e);
} PolicyOps;

struct Policy {
    PolicyConfig cfg;
    const PolicyOps *ops;
    NnParams params;
    void *fam;          /* family scratch and batch caches (owned; freed by ops->free_fam) */
    int cached_B, cached_G; /* the batch of the last policy_evaluate (0 = none) */
};

extern const PolicyOps policy_vocab_ops, policy_hier_ops, policy_vla_ops;

#endif
