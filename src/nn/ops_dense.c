/* Dense ops: linear (+LoRA) on OpenBLAS, elementwise activations, LayerNorm, embedding.
 * BLAS is only called outside OpenMP regions, so OpenBLAS's own threads never nest inside ours;
 * sgemm splits the output (not the k-sum) across its threads, so results do not depend on them. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include "craft/nn_ops.h"

void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IC, int OC) {
    float beta = 0.0f;
    if (b) {
        for (int i = 0; i < N; i++) memcpy(out + (size_t)i * OC, b, (size_t)OC * sizeof *out);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, inp, IC, w, IC, beta, out, OC);
}

/* db[j] += Σ_i dout[i,j], rows in order (deterministic). */
static void add_column_sums(float *db, const float *dout, int N, int C) {
    for (int i = 0; i < N; i++) {
        const float *row = dout + (size_t)i * C;
        for (int j = 0; j < C; j++) db[j] += row[j];
    }
}

void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int N, int IC, int OC) {
    if (dinp) /* dinp[N,IC] += dout[N,OC] · w[OC,IC] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, w, IC, 1.0f, dinp, IC);
    if (dw) /* dw[OC,IC] += dout^T · inp */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
    if (db) add_column_sums(db, dout, N, OC);
}

void nn_lora_forward(float *out, float *h, const float *inp, const float *a, const float *bm, float scale,
                     int N, int IC, int OC, int R) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, R, IC, 1.0f, inp, IC, a, IC, 0.0f, h, R);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, R, scale, h, R, bm, R, 1.0f, out, OC);
}

void nn_lora_backward(float *dinp, float *da, float *dbm, float *scratch, const float *dout, const float *inp,
                      const float *h, const float *a, const float *bm, float scale, int N, int IC, int OC, int R) {
    if (dbm) /* dB[OC,R] += scale · dout^T · h */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, R, N, scale, dout, OC, h, R, 1.0f, dbm, R);
    if (!da && !dinp) return;
    /* dh[N,R] = scale · dout · B */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, R, OC, scale, dout, OC, bm, R, 0.0f, scratch, R);
    if (da) /* dA[R,IC] += dh^T · inp */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, IC, N, 1.0f, scratch, R, inp, IC, 1.0f, da, IC);
    if (dinp) /* dinp[N,IC] += dh · A */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, R, 1.0f, scratch, R, a, IC, 1.0f, dinp, IC);
}

/* Distinct buffers (restrict) and simd: without them GCC at -O2 keeps a branchy scalar loop, which
 * was a tenth of a training step. */
void nn_relu_forward(float *restrict out, const float *restrict inp, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void nn_relu_backward(float *restrict dinp, const float *restrict inp, const float *restrict dout, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

/* tanhf dominates GELU: split long arrays across threads (elementwise, so thread-count independent). */
void nn_gelu_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + 0.044715f * x * x * x)));
    }
}

void nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        float t = tanhf(u);
        float sech2 = 1.0f - t * t;
        float local = 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += local * dout[i];
    }
}

void nn_add_forward(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void nn_add_inplace(float *acc, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) acc[i] += x[i];
}

void nn_transpose_forward(float *out, const float *inp, int B, int M, int N) {
    for (int b = 0; b < B; b++)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) out[((size_t)b * N + j) * M + i] = inp[((size_t)b * M + i) * N + j];
}

void nn_transpose_backward(float *dinp, const float *dout, int B, int M, int N) {
    for (int b = 0; b < B; b++)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) dinp[((size_t)b * M + i) * N + j] += dout[((size_t)b * N + j) * M + i];
}

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C) {
#pragma omp parallel for schedule(static) if (N >= 256)
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C;
        float m = 0.0f;
        for (int j = 0; j < C; j++) m += x[j];
        m /= (float)C;
        float v = 0.0f;
        for (int j = 0; j < C; j++) v += (x[j] - m) * (x[j] - m);
        v /= (float)C;
        float s = 1.0f / sqrtf(v + 1e-5f);
        float *o = out + (size_t)i * C;
        for (int j = 0; j < C; j++) o[j] = (x[j] - m) * s * w[j] + (b ? b[j] : 0.0f);
        mean[i] = m;
        rstd[i] = s;
    }
}

void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int N, int C) {
    /* dw/db sum over rows: done serially (row order fixed); dinp rows are independent. */
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *g = dout + (size_t)i * C;
        for (int j = 0; j < C; j++) {
            float xhat = (x[j] - mean[i]) * rstd[i];
            if (dw) dw[j] += g[j] * xhat;
            if (db) db[j] += g[j];
        }
    }
    if (!dinp) return;
#pragma omp parallel for schedule(static) if (N >= 256)
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *g = dout + (size_t)i * C;
        float mean_dn = 0.0f, mean_dn_xhat = 0.0f; /* dn = dout * w: gradient wrt the normalised x */
        for (int j = 0; j < C; j++) {
            float dn = g[j] * w[j];
            mean_dn += dn;
            mean_dn_xhat += dn * (x[j] - mean[i]) * rstd[i];
        }
        mean_dn /= (float)C;
        mean_dn_xhat /= (float)C;
        float *d = dinp + (size_t)i * C;
        for (int j = 0; j < C; j++) {
            float xhat = (x[j] - mean[i]) * rstd[i];
            d[j] += (g[j] * w[j] - mean_dn - xhat * mean_dn_xhat) * rstd[i];
        }
    }
}

void nn_embedding_forward(float *out, const int32_t *ids, const float *table, int N, int C) {
    for (int i = 0; i < N; i++) {
        if (ids[i] < 0) memset(out + (size_t)i * C, 0, (size_t)C * sizeof *out);
        else memcpy(out + (size_t)i * C, table + (size_t)ids[i] * C, (size_t)C * sizeof *out);
    }
}

void nn_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int C) {
    for (int i = 0; i < N; i++) {
        if (ids[i] < 0) continue;
        nn_add_inplace(dtable + (size_t)ids[i] * C, dout + (size_t)i * C, (size_t)C);
    }
}
