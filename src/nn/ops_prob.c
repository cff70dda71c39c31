/* Distributions: softmax / log-softmax, cross-entropy, categorical entropy and KL, diagonal Gaussian.
 * Per-row results; rows are independent, and shared parameters (a shared log-std) are accumulated
 * serially in row order. */
#include <math.h>
#include "craft/nn_ops.h"

#define HALF_LOG_2PI 0.91893853320467274f

static float row_max(const float *x, int V) {
    float m = x[0];
    for (int j = 1; j < V; j++) m = x[j] > m ? x[j] : m;
    return m;
}

void nn_softmax_forward(float *probs, const float *logits, int N, int V) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        float *p = probs + (size_t)i * V, m = row_max(x, V), sum = 0.0f;
        for (int j = 0; j < V; j++) sum += p[j] = expf(x[j] - m);
        for (int j = 0; j < V; j++) p[j] /= sum;
    }
}

void nn_softmax_backward(float *dlogits, const float *dprobs, const float *probs, int N, int V) {
    for (int i = 0; i < N; i++) {
        const float *p = probs + (size_t)i * V, *g = dprobs + (size_t)i * V;
        float dot = 0.0f;
        for (int j = 0; j < V; j++) dot += p[j] * g[j];
        for (int j = 0; j < V; j++) dlogits[(size_t)i * V + j] += p[j] * (g[j] - dot);
    }
}

void nn_log_softmax_forward(float *logp, const float *logits, int N, int V) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        float m = row_max(x, V), sum = 0.0f;
        for (int j = 0; j < V; j++) sum += expf(x[j] - m);
        float lse = m + logf(sum);
        for (int j = 0; j < V; j++) logp[(size_t)i * V + j] = x[j] - lse;
    }
}

void nn_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp, int N, int V) {
    for (int i = 0; i < N; i++) {
        const float *g = dlogp + (size_t)i * V, *lp = logp + (size_t)i * V;
        float sum = 0.0f;
        for (int j = 0; j < V; j++) sum += g[j];
        for (int j = 0; j < V; j++) dlogits[(size_t)i * V + j] += g[j] - expf(lp[j]) * sum;
    }
}

void nn_cross_entropy_forward(float *loss, const float *logp, const int32_t *target, int N, int V) {
    for (int i = 0; i < N; i++) loss[i] = target[i] < 0 ? 0.0f : -logp[(size_t)i * V + target[i]];
}

void nn_cross_entropy_backward(float *dlogp, const float *dloss, const int32_t *target, int N, int V) {
    for (int i = 0; i < N; i++)
        if (target[i] >= 0) dlogp[(size_t)i * V + target[i]] -= dloss[i];
}

/* Terms with p = 0 contribute 0 (the limit of p log p), also when log p = -inf. */
void nn_categorical_entropy_forward(float *ent, const float *logp, int N, int V) {
    for (int i = 0; i < N; i++) {
        const float *lp = logp + (size_t)i * V;
        float h = 0.0f;
        for (int j = 0; j < V; j++) {
            float p = expf(lp[j]);
            if (p > 0.0f) h -= p * lp[j];
        }
        ent[i] = h;
    }
}

void nn_categorical_entropy_backward(float *dlogp, const float *dent, const float *logp, int N, int V) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < V; j++) {
            float lp = logp[(size_t)i * V + j], p = expf(lp);
            if (p > 0.0f) dlogp[(size_t)i * V + j] -= dent[i] * p * (lp + 1.0f);
        }
}

void nn_categorical_kl_forward(float *kl, const float *logp, const float *logq, int N, int V) {
    for (int i = 0; i < N; i++) {
        float s = 0.0f;
        for (int j = 0; j < V; j++) {
            size_t ij = (size_t)i * V + j;
            float p = expf(logp[ij]);
            if (p > 0.0f) s += p * (logp[ij] - logq[ij]);
        }
        kl[i] = s;
    }
}

void nn_categorical_kl_backward(float *dlogp, float *dlogq, const float *dkl, const float *logp,
                                const float *logq, int N, int V) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < V; j++) {
            size_t ij = (size_t)i * V + j;
            float p = expf(logp[ij]);
            if (p == 0.0f) continue;
            if (dlogp) dlogp[ij] += dkl[i] * p * (logp[ij] - logq[ij] + 1.0f);
            if (dlogq) dlogq[ij] -= dkl[i] * p;
        }
}

void nn_gaussian_logprob_forward(float *logp, const float *x, const float *mean, const float *log_std,
                                 int ls_stride, int N, int D) {
    for (int i = 0; i < N; i++) {
        const float *ls = log_std + (size_t)i * ls_stride;
        float s = 0.0f;
        for (int d = 0; d < D; d++) {
            size_t id = (size_t)i * D + d;
            float z = (x[id] - mean[id]) * expf(-ls[d]);
            s += -0.5f * z * z - ls[d] - HALF_LOG_2PI;
        }
        logp[i] = s;
    }
}

void nn_gaussian_logprob_backward(float *dx, float *dmean, float *dlog_std, const float *dlogp, const float *x,
                                  const float *mean, const float *log_std, int ls_stride, int N, int D) {
    for (int i = 0; i < N; i++) {
        const float *ls = log_std + (size_t)i * ls_stride;
        for (int d = 0; d < D; d++) {
            size_t id = (size_t)i * D + d;
            float inv_sigma = expf(-ls[d]);
            float z = (x[id] - mean[id]) * inv_sigma;
            float g = dlogp[i];
            if (dx) dx[id] -= g * z * inv_sigma;
            if (dmean) dmean[id] += g * z * inv_sigma;
            if (dlog_std) dlog_std[(size_t)i * ls_stride + d] += g * (z * z - 1.0f);
        }
    }
}

void nn_gaussian_entropy_forward(float *ent, const float *log_std, int ls_stride, int N, int D) {
    for (int i = 0; i < N; i++) {
        float s = 0.0f;
        for (int d = 0; d < D; d++) s += 0.5f + HALF_LOG_2PI + log_std[(size_t)i * ls_stride + d];
        ent[i] = s;
    }
}

void nn_gaussian_entropy_backward(float *dlog_std, const float *dent, int ls_stride, int N, int D) {
    for (int i = 0; i < N; i++)
        for (int d = 0; d < D; d++) dlog_std[(size_t)i * ls_stride + d] += dent[i];
}
