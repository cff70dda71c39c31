/* nn — the parameter store of a neural network: every weight of a model in one float block.
 * A model declares its tensors once (nn_params_add: name, shape, init), nn_params_alloc makes ONE
 * allocation for values and a mirrored one for gradients, and initialises values from a seed.
 * Ops (nn_ops.h) read values and ACCUMULATE into gradients; optimisers and checkpoints (nn_optim.h,
 * nn_safetensors.h) work on the whole block, so a model never writes its own save/update code.
 *
 * Composing a model (llm.c style; see nn_ops.h for the ops and nn_mlp.h for a complete module):
 *
 *     NnParams p;  nn_params_init(&p);
 *     int w1 = nn_params_add(&p, "fc1.weight", 2, (int[]){H, D}, NN_INIT_KAIMING, 0);
 *     int b1 = nn_params_add(&p, "fc1.bias",   1, (int[]){H},    NN_INIT_ZEROS,   0);
 *     ...
 *     if (nn_params_alloc(&p, seed, &err)) ...;      // values initialised, grads zeroed
 *     // forward: activations live in caller-owned arrays sized for the batch
 *     nn_linear_forward(h, x, nn_w(&p, w1), nn_w(&p, b1), B, D, H);
 *     nn_relu_forward(a, h, B * H);  ...  loss = ...
 *     // backward: zero grads, seed dloss, call the _backward of each op in reverse order
 *     nn_params_zero_grad(&p);
 *     nn_relu_backward(dh, h, da, B * H);
 *     nn_linear_backward(NULL, nn_g(&p, w1), nn_g(&p, b1), dh, x, nn_w(&p, w1), B, D, H);
 *     nn_adamw_step(&opt, &p, lr);                   // nn_optim.h
 *     nn_params_destroy(&p);
 *
 * Pointers returned by nn_w/nn_g stay valid until nn_params_destroy. */
#ifndef CRAFT_NN_H
#define CRAFT_NN_H
#include <stddef.h>
#include <stdint.h>
#include "craft/err.h"

#define NN_MAX_DIMS 4
#define NN_NAME_MAX 96

typedef enum {
    NN_INIT_ZEROS,   /* 0 */
    NN_INIT_ONES,    /* 1 (LayerNorm gains) */
    NN_INIT_NORMAL,  /* N(0, scale^2) */
    NN_INIT_UNIFORM, /* U(-scale, scale) */
    NN_INIT_KAIMING, /* U(-b, b), b = gain * sqrt(3 / fan_in), gain = scale or 1 if scale == 0 (PyTorch Linear/Conv default family) */
    NN_INIT_CONST,   /* every value = scale */
} NnInit;

typedef struct {
    char name[NN_NAME_MAX];
    int ndim;
    int shape[NN_MAX_DIMS];
    size_t numel;
    size_t offset;   /* in floats, into values/grads/moments */
    NnInit init;
    float init_scale;
    int decay;       /* 1: AdamW weight decay applies (default: tensors with ndim >= 2) */
    int frozen;      /* 1: optimisers skip it and layers do not compute its gradient (LoRA base weights) */
} NnTensor;

typedef struct {
    NnTensor *tensors;
    int n, cap;
    size_t total;    /* floats in the block */
    float *values;   /* NULL until nn_params_alloc */
    float *grads;    /* same layout as values */
} NnParams;

void nn_params_init(NnParams *p);
/* Declares a tensor; returns its id (>= 0), or -1 on bad shape / duplicate name / after alloc
 * (the message is in e if given). Names follow PyTorch state_dict conventions ("blocks.0.ln1.weight"). */
int nn_params_add_e(NnParams *p, const char *name, int ndim, const int *shape, NnInit init,
                    float init_scale, Err *e);
/* Same, for declarations fixed at compile time: a bad declaration is a programming error (abort). */
int nn_params_add(NnParams *p, const char *name, int ndim, const int *shape, NnInit init, float init_scale);
/* One allocation for values and grads (64-byte aligned tensors), values initialised from seed
 * (tensor i draws from rng_derive(seed, i), so adding a tensor never changes the others). */
int nn_params_alloc(NnParams *p, uint64_t seed, Err *e);
/* Re-draws every tensor's initial values from seed (same result as a fresh alloc). */
void nn_params_reinit(NnParams *p, uint64_t seed);
void nn_params_destroy(NnParams *p);

static inline float *nn_w(const NnParams *p, int id) { return p->values + p->tensors[id].offset; }
static inline float *nn_g(const NnParams *p, int id) { return p->grads + p->tensors[id].offset; }
/* Tensor id by name, -1 if absent. */
int nn_params_find(const NnParams *p, const char *name);
/* Number of trainable floats (sum of numel; less than total, which includes alignment padding). */
size_t nn_params_count(const NnParams *p);
void nn_params_zero_grad(NnParams *p);
/* Freezes (1) or unfreezes (0) every tensor whose name starts with prefix ("" = all); returns how many. */
int nn_params_set_frozen(NnParams *p, const char *prefix, int frozen);
/* Same tensors (names, shapes, order)? The EMA teacher and checkpoints rely on it. */
int nn_params_same_layout(const NnParams *a, const NnParams *b);
/* dst becomes a copy of src's layout and values, grads zero (the EMA teacher starts this way). */
int nn_params_clone(NnParams *dst, const NnParams *src, Err *e);
void nn_params_copy_values(NnParams *dst, const NnParams *src); /* layouts must match */

#endif
