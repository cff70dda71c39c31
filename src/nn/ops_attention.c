/* Multi-head attention. One (batch, head) pair per OpenMP iteration: every output and gradient a
 * pair writes (its head's columns of its batch's rows) belongs to it alone, so the result is the
 * same for any thread count. Plain loops rather than per-head sgemm: heads are small (C/NH ≈ 32)
 * and BLAS must not be called from inside our parallel region. */
#include <math.h>
#include <string.h>
#include "craft/nn_ops.h"

/* omp simd: vectorised with a reduction order fixed at compile time (vector width), so results
 * still do not depend on the thread count. */
static inline float dot(const float *a, const float *b, int n) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int d = 0; d < n; d++) s += a[d] * b[d];
    return s;
}

static inline void axpy(float *y, float alpha, const float *x, int n) {
#pragma omp simd
    for (int d = 0; d < n; d++) y[d] += alpha * x[d];
}

static int visible(const uint8_t *key_mask, NnAttnShape s, int b, int i, int j) {
    if (s.causal && j > i) return 0;
    return !key_mask || key_mask[(size_t)b * s.Tk + j];
}

void nn_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                          const uint8_t *key_mask, NnAttnShape s) {
    int hs = s.C / s.NH;
    float scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(static) collapse(2)
    for (int b = 0; b < s.B; b++)
        for (int h = 0; h < s.NH; h++)
            for (int i = 0; i < s.Tq; i++) {
                const float *qi = q + ((size_t)b * s.Tq + i) * s.q_stride + h * hs;
                float *a = att + (((size_t)b * s.NH + h) * s.Tq + i) * s.Tk;
                float *o = out + ((size_t)b * s.Tq + i) * s.C + h * hs;
                float maxv = -INFINITY;
                for (int j = 0; j < s.Tk; j++) {
                    if (!visible(key_mask, s, b, i, j)) {
                        a[j] = -INFINITY;
                        continue;
                    }
                    const float *kj = k + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs;
                    a[j] = dot(qi, kj, hs) * scale;
                    if (a[j] > maxv) maxv = a[j];
                }
                memset(o, 0, (size_t)hs * sizeof *o);
                if (maxv == -INFINITY) { /* nothing visible: zero output */
                    memset(a, 0, (size_t)s.Tk * sizeof *a);
                    continue;
                }
                float sum = 0.0f;
                for (int j = 0; j < s.Tk; j++) {
                    a[j] = a[j] == -INFINITY ? 0.0f : expf(a[j] - maxv);
                    sum += a[j];
                }
                float inv = 1.0f / sum;
                for (int j = 0; j < s.Tk; j++) {
                    a[j] *= inv;
                    if (a[j] == 0.0f) continue;
                    const float *vj = v + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs;
                    axpy(o, a[j], vj, hs);
                }
            }
}

size_t nn_attention_scratch_floats(NnAttnShape s) { return (size_t)s.B * s.NH * s.Tk; }

void nn_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout, const float *att,
                           const float *q, const float *k, const float *v, NnAttnShape s) {
    int hs = s.C / s.NH;
    float scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(static) collapse(2)
    for (int b = 0; b < s.B; b++)
        for (int h = 0; h < s.NH; h++) {
            float *datt = scratch + ((size_t)b * s.NH + h) * s.Tk;
            for (int i = 0; i < s.Tq; i++) {
                const float *a = att + (((size_t)b * s.NH + h) * s.Tq + i) * s.Tk;
                const float *go = dout + ((size_t)b * s.Tq + i) * s.C + h * hs;
                const float *qi = q + ((size_t)b * s.Tq + i) * s.q_stride + h * hs;
                float *dqi = dq ? dq + ((size_t)b * s.Tq + i) * s.q_stride + h * hs : NULL;
                float dot_a_datt = 0.0f;
                for (int j = 0; j < s.Tk; j++) {
                    datt[j] = 0.0f;
                    if (a[j] == 0.0f) continue; /* masked (or underflowed): no gradient flows */
                    const float *vj = v + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs;
                    float *dvj = dv ? dv + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs : NULL;
                    float g = dot(go, vj, hs);
                    if (dvj) axpy(dvj, a[j], go, hs);
                    datt[j] = g;
                    dot_a_datt += a[j] * g;
                }
                for (int j = 0; j < s.Tk; j++) {
                    if (a[j] == 0.0f) continue;
                    float dpre = a[j] * (datt[j] - dot_a_datt) * scale;
                    const float *kj = k + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs;
                    float *dkj = dk ? dk + ((size_t)b * s.Tk + j) * s.kv_stride + h * hs : NULL;
                    if (dqi) axpy(dqi, dpre, kj, hs);
                    if (dkj) axpy(dkj, dpre, qi, hs);
                }
            }
        }
}
