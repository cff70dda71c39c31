/* policy_vocab_internal — shared between policy_vocab.c (network, PolicyOps) and
 * policy_vocab_table.c (vocabulary construction and look-ups): where the vocabulary lives. */
#ifndef CRAFT_POLICY_VOCAB_INTERNAL_H
#define CRAFT_POLICY_VOCAB_INTERNAL_H
#include "policy_internal.h"

#define VOCAB_TABLE_NAME "vocab.traj"

/* The frozen [V, horizon, 3] table (x, y, heading per waypoint) in p's parameter store. */
static inline float *vocab_table(const Policy *p) {
    return nn_w(&p->params, nn_params_find(&p->params, VOCAB_TABLE_NAME));
}

#endif
