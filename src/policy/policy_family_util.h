/* policy_family_util — small helpers shared by the hierarchical and token-VLA families: drawing
 * from a categorical given its log-probabilities, its mode, and the tensor bookkeeping both
 * families do (a frozen fixed table, a zeroed scratch buffer). Header-only, no state. */
#ifndef CRAFT_POLICY_FAMILY_UTIL_H
#define CRAFT_POLICY_FAMILY_UTIL_H
#include <math.h>
#include <string.h>
#include "craft/nn.h"
#include "craft/rng.h"

/* Inverse-CDF draw from a categorical over V given log-probabilities (one uniform per draw, so a
 * stream of draws is reproducible). Falls back to the last index with mass on round-off. */
static inline int pfu_sample_categorical(const float *logp, int V, Rng *rng) {
    float u = rng_uniform(rng), c = 0.0f;
    int last = 0;
    for (int j = 0; j < V; j++) {
        float p = expf(logp[j]);
        if (p > 0.0f) last = j;
        c += p;
        if (u < c) return j;
    }
    return last;
}

static inline int pfu_argmax(const float *x, int V) {
    int best = 0;
    for (int j = 1; j < V; j++)
        if (x[j] > x[best]) best = j;
    return best;
}

/* A tensor that checkpoints carry but nothing trains (template tables): frozen, no weight decay. */
static inline void pfu_freeze(NnParams *p, int id) {
    p->tensors[id].frozen = 1;
    p->tensors[id].decay = 0;
}

static inline float *pfu_zero(float *x, size_t n) {
    memset(x, 0, n * sizeof *x);
    return x;
}

static inline float pfu_wrap_angle(float a) {
    while (a > (float)M_PI) a -= 2.0f * (float)M_PI;
    while (a < -(float)M_PI) a += 2.0f * (float)M_PI;
    return a;
}

#endif
