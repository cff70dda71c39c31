/* nn_ops — forward/backward pairs of every layer, over raw float arrays with the shapes spelled out.
 * Forward functions OVERWRITE their outputs; backward functions ACCUMULATE (+=) into every gradient
 * they are given (pass NULL for a gradient you do not need: frozen weights, network inputs), so a
 * tensor used twice (residuals, shared weights) just receives both contributions. Row-major
 * everywhere; "N" is the number of rows (batch × sequence flattened). Weights follow PyTorch layout
 * (linear weight [out, in], conv weight [Cout, Cin, KH, KW]) so checkpoints map 1:1 to state_dicts.
 * Results do not depend on the OpenMP thread count: parallel loops only split independent outputs. */
#ifndef CRAFT_NN_OPS_H
#define CRAFT_NN_OPS_H
#include <stddef.h>
#include <stdint.h>

/* ---- linear: out[N,OC] = inp[N,IC] · w[OC,IC]^T + b[OC] (b may be NULL) — cblas_sgemm ---- */
void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IC, int OC);
void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int N, int IC, int OC);

/* ---- LoRA adapter: out[N,OC] += scale · (inp · A^T) · B^T, A[R,IC], B[OC,R] (Hu et al. 2021).
 * Call after nn_linear_forward on the same out. h[N,R] = inp·A^T is saved for backward;
 * scratch[N,R] is backward workspace. The base weight can be frozen (dw = NULL in its backward). */
void nn_lora_forward(float *out, float *h, const float *inp, const float *a, const float *bm, float scale,
                     int N, int IC, int OC, int R);
void nn_lora_backward(float *dinp, float *da, float *dbm, float *scratch, const float *dout, const float *inp,
                      const float *h, const float *a, const float *bm, float scale, int N, int IC, int OC, int R);

/* ---- elementwise ---- */
/* out, inp (and dinp, dout) are distinct buffers. */
void nn_relu_forward(float *restrict out, const float *restrict inp, size_t n);
void nn_relu_backward(float *restrict dinp, const float *restrict inp, const float *restrict dout, size_t n);
/* GELU, tanh approximation (as GPT-2 / llm.c). */
void nn_gelu_forward(float *out, const float *inp, size_t n);
void nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
/* out = a + b (residual connections; the backward is "dout flows to both": accumulate it yourself
 * with nn_add_inplace(da, dout, n), nn_add_inplace(db, dout, n)). */
void nn_add_forward(float *out, const float *a, const float *b, size_t n);
void nn_add_inplace(float *acc, const float *x, size_t n);

/* ---- transpose of the last two dims: inp [B,M,N] -> out [B,N,M]. Turns conv feature maps
 * [B,C,H·W] into tokens [B,H·W,C] for attention (and back for the gradient). ---- */
void nn_transpose_forward(float *out, const float *inp, int B, int M, int N);
void nn_transpose_backward(float *dinp, const float *dout, int B, int M, int N);

/* ---- LayerNorm over the last dim C: out = (x - mean) * rstd * w + b; mean/rstd [N] saved ---- */
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C);
void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int N, int C);

/* ---- embedding: out[N,C] = table[ids[i]]; ids < 0 give a zero row (padding) and no gradient.
 * ids must be < the table's row count (callers validate input tokens). ---- */
void nn_embedding_forward(float *out, const int32_t *ids, const float *table, int N, int C);
void nn_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int C);

/* ---- multi-head scaled dot-product attention (self or cross).
 * q: [B, Tq] rows of stride q_stride, k/v: [B, Tk] rows of stride kv_stride; each row holds C
 * features = NH heads × C/NH (packed qkv [B,T,3C]: q = qkv, k = qkv + C, v = qkv + 2C, strides 3C).
 * out [B, Tq, C]; att [B, NH, Tq, Tk] saved probabilities. key_mask [B, Tk] (1 = attend, 0 = padding)
 * may be NULL; causal: query i sees keys j <= i (needs Tq == Tk). A query with no visible key gets
 * zero output and zero gradient. scratch: nn_attention_scratch_floats(..) floats for backward. */
typedef struct {
    int B, Tq, Tk, C, NH;
    int q_stride, kv_stride;
    int causal;
} NnAttnShape;
void nn_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                          const uint8_t *key_mask, NnAttnShape s);
size_t nn_attention_scratch_floats(NnAttnShape s);
/* dq has stride q_stride, dk/dv stride kv_stride (they may alias one packed dqkv buffer). */
void nn_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout, const float *att,
                           const float *q, const float *k, const float *v, NnAttnShape s);

/* ---- conv2d, NCHW: inp [B,Cin,H,W], w [Cout,Cin,KH,KW], b [Cout] (may be NULL), out [B,Cout,OH,OW]
 * with OH = (H + 2 pad - KH) / stride + 1. im2col into col (nn_conv2d_col_floats) + sgemm; col is
 * workspace for both passes (backward recomputes it). ---- */
typedef struct { int B, Cin, H, W, Cout, KH, KW, stride, pad; } NnConvShape;
int nn_conv2d_out_h(NnConvShape s);
int nn_conv2d_out_w(NnConvShape s);
size_t nn_conv2d_col_floats(NnConvShape s);
void nn_conv2d_forward(float *out, float *col, const float *inp, const float *w, const float *b, NnConvShape s);
void nn_conv2d_backward(float *dinp, float *dw, float *db, float *col, const float *dout, const float *inp,
                        const float *w, NnConvShape s);

/* ---- pooling over entities (agents, polylines): inp [B,E,C], mask [B,E] (1 = present; NULL = all)
 * -> out [B,C]. Max pool saves argmax [B,C] (-1 when no entity is present: output 0). Mean pool
 * averages over present entities (0 when none). ---- */
void nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, const uint8_t *mask, int B, int E, int C);
void nn_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int E, int C);
void nn_meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int E, int C);
void nn_meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int E, int C);

/* ---- softmax / log-softmax over the last dim V of [N,V] ---- */
void nn_softmax_forward(float *probs, const float *logits, int N, int V);
void nn_softmax_backward(float *dlogits, const float *dprobs, const float *probs, int N, int V);
void nn_log_softmax_forward(float *logp, const float *logits, int N, int V);
void nn_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp, int N, int V);
/* Cross-entropy from log-probabilities: loss[i] = -logp[i, target[i]]; target < 0 = ignored (loss 0). */
void nn_cross_entropy_forward(float *loss, const float *logp, const int32_t *target, int N, int V);
void nn_cross_entropy_backward(float *dlogp, const float *dloss, const int32_t *target, int N, int V);
/* Categorical entropy H[i] = -Σ p log p, from log-probabilities. */
void nn_categorical_entropy_forward(float *ent, const float *logp, int N, int V);
void nn_categorical_entropy_backward(float *dlogp, const float *dent, const float *logp, int N, int V);
/* KL(P‖Q)[i] = Σ_j p_j (log p_j − log q_j) from log-probabilities. The other direction KL(Q‖P) is the
 * same call with the arguments swapped (gradients swap accordingly). */
void nn_categorical_kl_forward(float *kl, const float *logp, const float *logq, int N, int V);
void nn_categorical_kl_backward(float *dlogp, float *dlogq, const float *dkl, const float *logp,
                                const float *logq, int N, int V);

/* ---- diagonal Gaussian: mean [N,D], log_std rows of stride ls_stride (D: per row; 0: one shared [D]
 * vector, e.g. a state-independent exploration std), x [N,D].
 * logp[i] = Σ_d −½((x−μ)/σ)² − log σ − ½ log 2π;  entropy[i] = Σ_d ½ + ½ log 2π + log σ. ---- */
void nn_gaussian_logprob_forward(float *logp, const float *x, const float *mean, const float *log_std,
                                 int ls_stride, int N, int D);
void nn_gaussian_logprob_backward(float *dx, float *dmean, float *dlog_std, const float *dlogp, const float *x,
                                  const float *mean, const float *log_std, int ls_stride, int N, int D);
void nn_gaussian_entropy_forward(float *ent, const float *log_std, int ls_stride, int N, int D);
void nn_gaussian_entropy_backward(float *dlog_std, const float *dent, int ls_stride, int N, int D);

#endif
