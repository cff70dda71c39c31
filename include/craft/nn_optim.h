/* nn_optim — training-step utilities over a whole parameter store (nn.h): AdamW with decoupled
 * weight decay, global-norm gradient clipping, warmup/cosine LR schedules and the parameter EMA
 * (CRAFT teacher). A step is: zero grads, forward, backward, nn_clip_grad_norm, nn_adamw_step.
 *
 *     NnAdamW opt;  nn_adamw_create(&opt, &params, (NnAdamWConfig){.beta1 = 0.9f, .beta2 = 0.999f,
 *                                                                  .eps = 1e-8f, .weight_decay = 0.01f}, &err);
 *     for (step ...) { ...backward...; nn_clip_grad_norm(&params, 1.0f);
 *                      nn_adamw_step(&opt, &params, nn_lr_cosine(step, warmup, total, 3e-4f, 3e-5f));
 *                      nn_ema_update(&teacher, &params, 0.999f); }
 *     nn_adamw_destroy(&opt); */
#ifndef CRAFT_NN_OPTIM_H
#define CRAFT_NN_OPTIM_H
#include <stddef.h>
#include "craft/err.h"
#include "craft/nn.h"

typedef struct {
    float beta1, beta2, eps, weight_decay;
} NnAdamWConfig;

/* Moments m, v mirror the store's layout (one float per value). */
typedef struct {
    NnAdamWConfig cfg;
    float *m, *v;
    size_t total;
    long step; /* steps taken (bias correction uses step after increment) */
} NnAdamW;

/* PyTorch defaults: beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0.01. */
NnAdamWConfig nn_adamw_defaults(void);
int nn_adamw_create(NnAdamW *opt, const NnParams *p, NnAdamWConfig cfg, Err *e);
void nn_adamw_destroy(NnAdamW *opt);
/* One step as torch.optim.AdamW: θ ← θ(1 − lr·wd) for tensors with decay set, then
 * θ ← θ − lr · m̂ / (√v̂ + eps) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t). Grads are left untouched. */
void nn_adamw_step(NnAdamW *opt, NnParams *p, float lr);

/* Global L2 norm of all gradients (summed in double, in a fixed order: thread-count independent). */
float nn_grad_norm(const NnParams *p);
/* Scales grads by max_norm / norm when norm > max_norm; returns the norm before clipping. */
float nn_clip_grad_norm(NnParams *p, float max_norm);

/* Linear warmup over `warmup` steps to lr_max ((step+1)/warmup · lr_max), then constant. */
float nn_lr_warmup(long step, long warmup, float lr_max);
/* Linear warmup, then cosine decay from lr_max at step = warmup to lr_min at step = total
 * (lr_min after that). */
float nn_lr_cosine(long step, long warmup, long total, float lr_max, float lr_min);

/* θ_T ← τ θ_T + (1 − τ) θ over raw arrays, and over stores with the same layout. */
void nn_ema_update_array(float *teacher, const float *student, size_t n, float tau);
/* Returns -1 (teacher untouched) when the layouts differ; make the teacher with nn_params_clone. */
int nn_ema_update(NnParams *teacher, const NnParams *student, float tau);

#endif
