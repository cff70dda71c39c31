/* AdamW, gradient clipping, LR schedules and the parameter EMA. Elementwise loops are split over
 * OpenMP threads (each element's update is independent); the gradient norm is summed in fixed
 * chunks whose partial sums are combined in chunk order, so it does not depend on thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_optim.h"

NnAdamWConfig nn_adamw_defaults(void) { return (NnAdamWConfig){0.9f, 0.999f, 1e-8f, 0.01f}; }

int nn_adamw_create(NnAdamW *opt, const NnParams *p, NnAdamWConfig cfg, Err *e) {
    memset(opt, 0, sizeof *opt);
    if (!p->values) return err_set(e, "nn_adamw_create: parameter store not allocated");
    if (!(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 && cfg.beta2 < 1 && cfg.eps > 0 && cfg.weight_decay >= 0))
        return err_set(e, "nn_adamw_create: need 0 <= beta < 1, eps > 0, weight_decay >= 0");
    opt->cfg = cfg;
    opt->total = p->total;
    opt->m = calloc(p->total, sizeof(float));
    opt->v = calloc(p->total, sizeof(float));
    if (!opt->m || !opt->v) {
        nn_adamw_destroy(opt);
        return err_set(e, "nn_adamw_create: out of memory");
    }
    return 0;
}

void nn_adamw_destroy(NnAdamW *opt) {
    free(opt->m);
    free(opt->v);
    memset(opt, 0, sizeof *opt);
}

void nn_adamw_step(NnAdamW *opt, NnParams *p, float lr) {
    NnAdamWConfig c = opt->cfg;
    opt->step++;
    float bc1 = 1.0f - powf(c.beta1, (float)opt->step), bc2 = 1.0f - powf(c.beta2, (float)opt->step);
    for (int t = 0; t < p->n; t++) {
        const NnTensor *ti = &p->tensors[t];
        if (ti->frozen) continue;
        float *w = p->values + ti->offset, *m = opt->m + ti->offset, *v = opt->v + ti->offset;
        const float *g = p->grads + ti->offset;
        float decay = ti->decay ? 1.0f - lr * c.weight_decay : 1.0f;
        long n = (long)ti->numel;
#pragma omp parallel for schedule(static) if (n >= 65536)
        for (long i = 0; i < n; i++) {
            m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * g[i];
            v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * g[i] * g[i];
            float mhat = m[i] / bc1, vhat = v[i] / bc2;
            w[i] = w[i] * decay - lr * mhat / (sqrtf(vhat) + c.eps);
        }
    }
}

#define NORM_CHUNK 4096

float nn_grad_norm(const NnParams *p) {
    long nchunks = (long)((p->total + NORM_CHUNK - 1) / NORM_CHUNK);
    double *partial = malloc((size_t)(nchunks ? nchunks : 1) * sizeof *partial);
    if (!partial) abort(); /* a few KB: treat as fatal like any allocation failure mid-step */
#pragma omp parallel for schedule(static) if (nchunks >= 16)
    for (long c = 0; c < nchunks; c++) {
        size_t lo = (size_t)c * NORM_CHUNK, hi = lo + NORM_CHUNK < p->total ? lo + NORM_CHUNK : p->total;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++) s += (double)p->grads[i] * p->grads[i];
        partial[c] = s;
    }
    double total = 0.0;
    for (long c = 0; c < nchunks; c++) total += partial[c];
    free(partial);
    return (float)sqrt(total);
}

float nn_clip_grad_norm(NnParams *p, float max_norm) {
    float norm = nn_grad_norm(p);
    if (norm > max_norm && norm > 0.0f) {
        float s = max_norm / norm;
        for (size_t i = 0; i < p->total; i++) p->grads[i] *= s;
    }
    return norm;
}

float nn_lr_warmup(long step, long warmup, float lr_max) {
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    return lr_max;
}

float nn_lr_cosine(long step, long warmup, long total, float lr_max, float lr_min) {
    if (step < warmup) return nn_lr_warmup(step, warmup, lr_max);
    if (step >= total) return lr_min;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    return lr_min + (float)(0.5 * (1.0 + cos(M_PI * progress))) * (lr_max - lr_min);
}

void nn_ema_update_array(float *teacher, const float *student, size_t n, float tau) {
    long len = (long)n;
#pragma omp parallel for schedule(static) if (len >= 65536)
    for (long i = 0; i < len; i++) teacher[i] = tau * teacher[i] + (1.0f - tau) * student[i];
}

int nn_ema_update(NnParams *teacher, const NnParams *student, float tau) {
    if (!nn_params_same_layout(teacher, student)) return -1;
    nn_ema_update_array(teacher->values, student->values, student->total, tau);
    return 0;
}
