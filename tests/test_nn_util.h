/* Shared helpers of the nn tests: a finite-difference gradient checker for any forward/backward pair. */
#ifndef CRAFT_TEST_NN_UTIL_H
#define CRAFT_TEST_NN_UTIL_H
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/rng.h"

#define GC_MAX_IN 6

/* One op under test: inputs whose gradients are checked, one output contracted with fixed random
 * weights R into the scalar L = Σ R ⊙ out, and the op's forward / backward (dout = R). */
typedef struct GradCase {
    int nin;
    float *in[GC_MAX_IN];
    float *gin[GC_MAX_IN];
    size_t in_n[GC_MAX_IN];
    const char *name[GC_MAX_IN];
    float *out;
    size_t out_n;
    void (*fwd)(struct GradCase *);
    void (*bwd)(struct GradCase *, const float *dout);
    void *op; /* op-specific state (shapes, masks, saved activations) */
} GradCase;

static inline float *gc_randn(Rng *r, size_t n, float scale) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * rng_normal(r);
    return x;
}

static inline double gc_loss(GradCase *c, const float *R) {
    c->fwd(c);
    double L = 0.0;
    for (size_t i = 0; i < c->out_n; i++) L += (double)R[i] * c->out[i];
    return L;
}

/* Central differences with step eps on float32 forwards. Error budget: truncation O(eps^2 · f''')
 * ≈ 1e-6 for smooth ops at eps = 1e-2..1e-3, plus round-off ≈ 2^-24 · Σ|R ⊙ out| / eps ≈ 1e-4 for
 * the small cases used here (|L| terms ~ 1, ≤ a few hundred of them). Hence |analytic − numeric|
 * ≤ atol + rtol · |numeric| with atol = 2e-3, rtol = 2e-2: a wrong backward (a missing term, a
 * transposed index, a factor 2) is off by O(1) in some element and fails. Backward must ACCUMULATE:
 * gradients are pre-filled with 0.25 and the 0.25 subtracted after. */
static inline void gc_check(GradCase *c, uint64_t seed, float eps) {
    Rng r;
    rng_seed(&r, seed, 99);
    c->fwd(c);
    float *R = gc_randn(&r, c->out_n, 1.0f);
    for (int k = 0; k < c->nin; k++)
        for (size_t i = 0; i < c->in_n[k]; i++) c->gin[k][i] = 0.25f;
    c->bwd(c, R);
    int fails = 0;
    for (int k = 0; k < c->nin; k++) {
        size_t n = c->in_n[k], step = n > 64 ? n / 64 : 1; /* ≤ ~64 probes per tensor keeps tests fast */
        for (size_t i = 0; i < n; i += step) {
            float x0 = c->in[k][i];
            c->in[k][i] = x0 + eps;
            double lp = gc_loss(c, R);
            c->in[k][i] = x0 - eps;
            double lm = gc_loss(c, R);
            c->in[k][i] = x0;
            double num = (lp - lm) / (2.0 * eps), ana = (double)c->gin[k][i] - 0.25;
            if (fabs(ana - num) > 2e-3 + 2e-2 * fabs(num) && fails++ < 5)
                cr_log_error("%s[%zu]: analytic %.6g numeric %.6g", c->name[k], i, ana, num);
        }
    }
    free(R);
    cr_assert_eq(fails, 0, "%d gradient elements disagree with finite differences", fails);
}

static inline float max_abs_diff(const float *a, const float *b, size_t n) {
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

#endif
