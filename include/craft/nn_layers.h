/* nn_layers — reusable layers composed from nn_ops: a dense layer (linear + optional LoRA adapter
 * sets) and an MLP that owns its activation buffers for batches up to max_batch. A layer declares
 * its tensors into the caller's NnParams (names under a prefix), then runs forward/backward over
 * caller-given inputs; backward ACCUMULATES into parameter grads and into dinp (NULL: not needed).
 *
 *     NnMlp enc;  nn_mlp_declare(&enc, &p, "enc", 3, (int[]){D, 256, 256, 64}, NN_ACT_RELU, &e);
 *     nn_params_alloc(&p, seed, &e);  nn_mlp_alloc(&enc, B_max, &e);
 *     const float *y = nn_mlp_forward(&enc, &p, x, B);       // [B, 64], owned by enc
 *     ... loss, dy ...;  nn_mlp_backward(&enc, &p, dy, NULL, B);
 *     nn_mlp_destroy(&enc); */
#ifndef CRAFT_NN_LAYERS_H
#define CRAFT_NN_LAYERS_H
#include "craft/err.h"
#include "craft/nn.h"

#define NN_MAX_ADAPTERS 4
#define NN_MLP_MAX_LAYERS 8

/* y = x·W^T + b (+ scale · x·A_k^T·B_k^T for the active adapter k). LoRA: A is Kaiming-initialised,
 * B zero, so a fresh adapter leaves the layer unchanged; scale = alpha / rank. Tensor names:
 * prefix.weight, prefix.bias, prefix.lora.<k>.A, prefix.lora.<k>.B. */
typedef struct {
    int in, out;
    int w, b;              /* param ids (b = -1: no bias) */
    int n_adapters, rank;
    int a[NN_MAX_ADAPTERS], bm[NN_MAX_ADAPTERS];
    float lora_scale;
} NnDense;

int nn_dense_declare(NnDense *d, NnParams *p, const char *prefix, int in, int out, int bias, int n_adapters,
                     int rank, float alpha, Err *e);
/* out [N,out]; h [N,rank] is saved for backward when adapter >= 0 (may be NULL otherwise);
 * adapter = -1 runs the base layer only. */
void nn_dense_forward(const NnDense *d, const NnParams *p, float *out, float *h, const float *inp, int N, int adapter);
/* scratch [N,rank] workspace (adapter >= 0 only). Frozen tensors (nn_params_set_frozen) get no gradient. */
void nn_dense_backward(const NnDense *d, NnParams *p, float *dinp, float *scratch, const float *dout,
                       const float *inp, const float *h, int N, int adapter);

typedef enum { NN_ACT_RELU, NN_ACT_GELU } NnAct;

/* dims[0] -> dims[1] -> ... -> dims[n_layers]; the activation follows every layer but the last. */
typedef struct {
    int n_layers, dims[NN_MLP_MAX_LAYERS + 1];
    NnAct act;
    NnDense layer[NN_MLP_MAX_LAYERS];
    int max_batch;
    float *pre[NN_MLP_MAX_LAYERS], *post[NN_MLP_MAX_LAYERS]; /* [B, dims[l+1]] each */
    float *dbuf[2];                                         /* backward ping-pong, [B, max dim] */
    const float *input;                                     /* last forward's input */
} NnMlp;

int nn_mlp_declare(NnMlp *m, NnParams *p, const char *prefix, int n_layers, const int *dims, NnAct act, Err *e);
int nn_mlp_alloc(NnMlp *m, int max_batch, Err *e);
void nn_mlp_destroy(NnMlp *m);
/* Returns the output [B, dims[n_layers]] (owned by m, valid until the next forward). x must stay
 * valid until backward. */
const float *nn_mlp_forward(NnMlp *m, const NnParams *p, const float *x, int B);
void nn_mlp_backward(NnMlp *m, NnParams *p, const float *dout, float *dx, int B);

#endif
