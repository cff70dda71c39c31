/* nn_transformer — a stack of pre-LayerNorm transformer blocks (GPT-2 layout) built from nn_ops:
 * x → [x + proj(attn(qkv(ln1 x)))] → [+ fc2(gelu(fc(ln2 ·)))] → … → final LayerNorm. Inputs are
 * token embeddings [B,T,C] made by the caller (nn_embedding, conv tokens, projected features);
 * every dense layer can carry LoRA adapter sets (nn_layers.h), one chosen per forward, so two
 * "experts" share one frozen trunk. Activations for up to max_B × max_T live in the struct.
 *
 *     NnTransformer tf;
 *     nn_transformer_declare(&tf, &p, "tf", (NnTransformerConfig){.n_layer = 4, .C = 128, .n_head = 4,
 *                            .max_B = 16, .max_T = 64, .causal = 1}, &e);
 *     nn_params_alloc(&p, seed, &e);  nn_transformer_alloc(&tf, &e);
 *     const float *h = nn_transformer_forward(&tf, &p, x, key_mask, B, T, -1);   // [B,T,C]
 *     ...;  nn_transformer_backward(&tf, &p, dh, dx);                           // dx may be NULL
 * Inference-only incremental decoding (causal): prefill caches every layer's keys/values of a prefix,
 * each extend appends one row per sequence and computes only that row (attention against the cache).
 *     nn_transformer_alloc_decode(&tf, max_B, &e);                      // once
 *     h = nn_transformer_prefill(&tf, &p, x, key_mask, B, T0, adapter, &e);      // [B,T0,C] (or _prefill_keys)
 *     h_new = nn_transformer_extend(&tf, &p, x_new, NULL, &e);                   // [B,C], row T0, T0+1, … */
#ifndef CRAFT_NN_TRANSFORMER_H
#define CRAFT_NN_TRANSFORMER_H
#include <stdint.h>
#include "craft/err.h"
#include "craft/nn.h"
#include "craft/nn_layers.h"

#define NN_TF_MAX_LAYERS 16

typedef struct {
    int n_layer, C, n_head;
    int max_B, max_T;
    int causal;
    int n_adapters, lora_rank; /* 0 adapters: plain transformer */
    float lora_alpha;
} NnTransformerConfig;

typedef struct {
    NnDense qkv, proj, fc, fc2;
    int ln1w, ln1b, ln2w, ln2b;
} NnBlock;

/* Saved activations of one block (pointers into NnTransformer.acts). */
typedef struct {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *att, *atty, *res1;
    float *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *res2;
    float *h_qkv, *h_proj, *h_fc, *h_fc2; /* LoRA intermediates */
} NnBlockActs;

/* Incremental decoding state: per layer the keys and values of the rows decoded so far, one-row
 * workspaces for the row being appended (pointers into one allocation, `mem`). */
typedef struct {
    int max_B;                               /* 0: not allocated */
    int B, T, adapter;                       /* sequences, rows cached per sequence, LoRA set of this decode */
    float *mem;
    float *k[NN_TF_MAX_LAYERS], *v[NN_TF_MAX_LAYERS]; /* [max_B, max_T, C] */
    uint8_t *key_mask;                       /* [max_B, max_T]; 0 at positions not yet decoded */
    float *ln, *ln_mean, *ln_rstd, *qkv, *att, *atty, *res1, *fch, *fch_gelu, *res2, *h_lora, *out; /* one row each */
} NnTfDecode;

typedef struct {
    NnTransformerConfig cfg;
    NnBlock blk[NN_TF_MAX_LAYERS];
    int lnfw, lnfb;
    float *acts;                     /* one allocation for everything below */
    NnBlockActs a[NN_TF_MAX_LAYERS];
    float *lnf, *lnf_mean, *lnf_rstd;
    float *d_res, *d_ln, *d_atty, *d_qkv, *d_fch, *d_fchg, *att_scratch, *lora_scratch; /* backward */
    const float *x;                  /* last forward's input, its mask and sizes */
    const uint8_t *key_mask;
    int B, T, adapter;
    NnTfDecode dec;                  /* incremental decoding (nn_transformer_alloc_decode) */
} NnTransformer;

int nn_transformer_declare(NnTransformer *tf, NnParams *p, const char *prefix, NnTransformerConfig cfg, Err *e);
int nn_transformer_alloc(NnTransformer *tf, Err *e);
void nn_transformer_destroy(NnTransformer *tf);
/* x [B,T,C] must stay valid until backward; key_mask [B,T] (1 = real token) may be NULL;
 * adapter = LoRA set to apply, -1 for none. Returns [B,T,C] owned by tf. */
const float *nn_transformer_forward(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask,
                                    int B, int T, int adapter);
/* dout [B,T,C]; accumulates parameter grads and, if dx != NULL, dx [B,T,C]. */
void nn_transformer_backward(NnTransformer *tf, NnParams *p, const float *dout, float *dx);

/* Incremental decoding (causal transformers, inference only: no backward through it). The cache holds
 * up to max_B (≤ cfg.max_B) sequences of cfg.max_T rows; allocated once, freed by destroy. */
int nn_transformer_alloc_decode(NnTransformer *tf, int max_B, Err *e);
/* Rows 0..T−1 of B sequences: runs nn_transformer_forward (its saved activations are overwritten: not
 * between a forward and its backward) and caches their keys/values under LoRA set `adapter`, fixed
 * for the whole decode. Returns the outputs [B,T,C] owned by tf, or NULL (e says why). */
const float *nn_transformer_prefill(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask,
                                    int B, int T, int adapter, Err *e);
/* The same without outputs: caches the keys/values of rows 0..T−1 but skips the last block's
 * attention and MLP on them (when only the rows decoded next are read). 0, or −1 (e says why). */
int nn_transformer_prefill_keys(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask, int B,
                                int T, int adapter, Err *e);
/* Appends one row per sequence at position T (the rows cached so far): x_new [B,C], key_mask_new [B]
 * (may be NULL: all real). The row attends to every cached row and itself; equals row T of a forward
 * over the whole sequence (up to sgemm rounding). Returns its outputs [B,C] owned by tf, or NULL when
 * no prefill preceded it or the cache is full (max_T rows). */
const float *nn_transformer_extend(NnTransformer *tf, const NnParams *p, const float *x_new,
                                   const uint8_t *key_mask_new, Err *e);

#endif
