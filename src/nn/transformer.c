/* Transformer stack: forward saves every activation; backward walks the blocks in reverse keeping
 * one residual-stream gradient d_res, into which each sublayer's LayerNorm backward accumulates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_ops.h"
#include "craft/nn_transformer.h"

static int add_ln(NnParams *p, const char *prefix, const char *ln, int C, int *w, int *b, Err *e) {
    char name[NN_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s.%s.weight", prefix, ln);
    if ((*w = nn_params_add_e(p, name, 1, (int[]){C}, NN_INIT_ONES, 0, e)) < 0) return -1;
    snprintf(name, sizeof name, "%s.%s.bias", prefix, ln);
    return (*b = nn_params_add_e(p, name, 1, (int[]){C}, NN_INIT_ZEROS, 0, e)) < 0 ? -1 : 0;
}

int nn_transformer_declare(NnTransformer *tf, NnParams *p, const char *prefix, NnTransformerConfig cfg, Err *e) {
    memset(tf, 0, sizeof *tf);
    if (cfg.n_layer < 1 || cfg.n_layer > NN_TF_MAX_LAYERS || cfg.n_head < 1 || cfg.C % cfg.n_head || cfg.max_B < 1 ||
        cfg.max_T < 1)
        return err_set(e, "%s: need 1..%d layers, C divisible by n_head, max_B, max_T >= 1", prefix, NN_TF_MAX_LAYERS);
    tf->cfg = cfg;
    int C = cfg.C, na = cfg.n_adapters, r = cfg.lora_rank;
    float al = cfg.lora_alpha;
    char pre[NN_NAME_MAX], name[NN_NAME_MAX + 32];
    for (int l = 0; l < cfg.n_layer; l++) {
        NnBlock *b = &tf->blk[l];
        snprintf(pre, sizeof pre, "%s.h.%d", prefix, l);
        if (add_ln(p, pre, "ln_1", C, &b->ln1w, &b->ln1b, e)) return -1;
        snprintf(name, sizeof name, "%s.attn.c_attn", pre);
        if (nn_dense_declare(&b->qkv, p, name, C, 3 * C, 1, na, r, al, e)) return -1;
        snprintf(name, sizeof name, "%s.attn.c_proj", pre);
        if (nn_dense_declare(&b->proj, p, name, C, C, 1, na, r, al, e)) return -1;
        if (add_ln(p, pre, "ln_2", C, &b->ln2w, &b->ln2b, e)) return -1;
        snprintf(name, sizeof name, "%s.mlp.c_fc", pre);
        if (nn_dense_declare(&b->fc, p, name, C, 4 * C, 1, na, r, al, e)) return -1;
        snprintf(name, sizeof name, "%s.mlp.c_proj", pre);
        if (nn_dense_declare(&b->fc2, p, name, 4 * C, C, 1, na, r, al, e)) return -1;
    }
    return add_ln(p, prefix, "ln_f", C, &tf->lnfw, &tf->lnfb, e);
}

/* Bump-allocates from one block: first pass (base NULL) only counts. */
static float *take(float *base, size_t *at, size_t n) {
    float *x = base ? base + *at : NULL;
    *at += (n + 15) / 16 * 16;
    return x;
}

static size_t layout(NnTransformer *tf, float *base) {
    NnTransformerConfig c = tf->cfg;
    size_t BT = (size_t)c.max_B * c.max_T, C = (size_t)c.C, R = (size_t)(c.n_adapters ? c.lora_rank : 0), at = 0;
    for (int l = 0; l < c.n_layer; l++) {
        NnBlockActs *a = &tf->a[l];
        a->ln1 = take(base, &at, BT * C);
        a->ln1_mean = take(base, &at, BT);
        a->ln1_rstd = take(base, &at, BT);
        a->qkv = take(base, &at, BT * 3 * C);
        a->att = take(base, &at, (size_t)c.max_B * c.n_head * c.max_T * c.max_T);
        a->atty = take(base, &at, BT * C);
        a->res1 = take(base, &at, BT * C);
        a->ln2 = take(base, &at, BT * C);
        a->ln2_mean = take(base, &at, BT);
        a->ln2_rstd = take(base, &at, BT);
        a->fch = take(base, &at, BT * 4 * C);
        a->fch_gelu = take(base, &at, BT * 4 * C);
        a->res2 = take(base, &at, BT * C);
        a->h_qkv = take(base, &at, BT * R);
        a->h_proj = take(base, &at, BT * R);
        a->h_fc = take(base, &at, BT * R);
        a->h_fc2 = take(base, &at, BT * R);
    }
    tf->lnf = take(base, &at, BT * C);
    tf->lnf_mean = take(base, &at, BT);
    tf->lnf_rstd = take(base, &at, BT);
    tf->d_res = take(base, &at, BT * C);
    tf->d_ln = take(base, &at, BT * C);
    tf->d_atty = take(base, &at, BT * C);
    tf->d_qkv = take(base, &at, BT * 3 * C);
    tf->d_fch = take(base, &at, BT * 4 * C);
    tf->d_fchg = take(base, &at, BT * 4 * C);
    tf->att_scratch = take(base, &at, (size_t)c.max_B * c.n_head * c.max_T);
    tf->lora_scratch = take(base, &at, BT * R);
    return at;
}

int nn_transformer_alloc(NnTransformer *tf, Err *e) {
    size_t n = layout(tf, NULL);
    tf->acts = calloc(n, sizeof(float));
    if (!tf->acts) return err_set(e, "nn_transformer_alloc: out of memory (%zu floats)", n);
    layout(tf, tf->acts);
    return 0;
}

void nn_transformer_destroy(NnTransformer *tf) {
    free(tf->acts);
    tf->acts = NULL;
}

static NnAttnShape attn_shape(const NnTransformer *tf) {
    int C = tf->cfg.C;
    return (NnAttnShape){tf->B, tf->T, tf->T, C, tf->cfg.n_head, 3 * C, 3 * C, tf->cfg.causal};
}

const float *nn_transformer_forward(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask,
                                    int B, int T, int adapter) {
    tf->x = x, tf->key_mask = key_mask, tf->B = B, tf->T = T, tf->adapter = adapter;
    int C = tf->cfg.C, N = B * T;
    NnAttnShape s = attn_shape(tf);
    const float *in = x;
    for (int l = 0; l < tf->cfg.n_layer; l++) {
        const NnBlock *b = &tf->blk[l];
        NnBlockActs *a = &tf->a[l];
        nn_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, in, nn_w(p, b->ln1w), nn_w(p, b->ln1b), N, C);
        nn_dense_forward(&b->qkv, p, a->qkv, a->h_qkv, a->ln1, N, adapter);
        nn_attention_forward(a->atty, a->att, a->qkv, a->qkv + C, a->qkv + 2 * C, key_mask, s);
        nn_dense_forward(&b->proj, p, a->res1, a->h_proj, a->atty, N, adapter);
        nn_add_inplace(a->res1, in, (size_t)N * C);
        nn_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res1, nn_w(p, b->ln2w), nn_w(p, b->ln2b), N, C);
        nn_dense_forward(&b->fc, p, a->fch, a->h_fc, a->ln2, N, adapter);
        nn_gelu_forward(a->fch_gelu, a->fch, (size_t)N * 4 * C);
        nn_dense_forward(&b->fc2, p, a->res2, a->h_fc2, a->fch_gelu, N, adapter);
        nn_add_inplace(a->res2, a->res1, (size_t)N * C);
        in = a->res2;
    }
    nn_layernorm_forward(tf->lnf, tf->lnf_mean, tf->lnf_rstd, in, nn_w(p, tf->lnfw), nn_w(p, tf->lnfb), N, C);
    return tf->lnf;
}

static float *grad_unless_frozen(NnParams *p, int id) { return p->tensors[id].frozen ? NULL : nn_g(p, id); }

static float *zeroed(float *x, size_t n) {
    memset(x, 0, n * sizeof *x);
    return x;
}

void nn_transformer_backward(NnTransformer *tf, NnParams *p, const float *dout, float *dx) {
    int C = tf->cfg.C, N = tf->B * tf->T, L = tf->cfg.n_layer, ad = tf->adapter;
    size_t NC = (size_t)N * C;
    NnAttnShape s = attn_shape(tf);
    const float *last = tf->a[L - 1].res2;
    nn_layernorm_backward(zeroed(tf->d_res, NC), grad_unless_frozen(p, tf->lnfw), grad_unless_frozen(p, tf->lnfb),
                          dout, last, nn_w(p, tf->lnfw), tf->lnf_mean, tf->lnf_rstd, N, C);
    for (int l = L - 1; l >= 0; l--) {
        const NnBlock *b = &tf->blk[l];
        NnBlockActs *a = &tf->a[l];
        const float *in = l ? tf->a[l - 1].res2 : tf->x;
        /* MLP sublayer: res2 = res1 + fc2(gelu(fc(ln2(res1)))); d_res carries d res2 = direct part of d res1 */
        nn_dense_backward(&b->fc2, p, zeroed(tf->d_fchg, 4 * NC), tf->lora_scratch, tf->d_res, a->fch_gelu, a->h_fc2, N, ad);
        nn_gelu_backward(zeroed(tf->d_fch, 4 * NC), a->fch, tf->d_fchg, 4 * NC);
        nn_dense_backward(&b->fc, p, zeroed(tf->d_ln, NC), tf->lora_scratch, tf->d_fch, a->ln2, a->h_fc, N, ad);
        nn_layernorm_backward(tf->d_res, grad_unless_frozen(p, b->ln2w), grad_unless_frozen(p, b->ln2b), tf->d_ln,
                              a->res1, nn_w(p, b->ln2w), a->ln2_mean, a->ln2_rstd, N, C);
        /* attention sublayer: res1 = in + proj(attn(qkv(ln1(in)))) */
        nn_dense_backward(&b->proj, p, zeroed(tf->d_atty, NC), tf->lora_scratch, tf->d_res, a->atty, a->h_proj, N, ad);
        float *dq = zeroed(tf->d_qkv, 3 * NC);
        nn_attention_backward(dq, dq + C, dq + 2 * C, tf->att_scratch, tf->d_atty, a->att, a->qkv, a->qkv + C,
                              a->qkv + 2 * C, s);
        nn_dense_backward(&b->qkv, p, zeroed(tf->d_ln, NC), tf->lora_scratch, tf->d_qkv, a->ln1, a->h_qkv, N, ad);
        nn_layernorm_backward(tf->d_res, grad_unless_frozen(p, b->ln1w), grad_unless_frozen(p, b->ln1b), tf->d_ln, in,
                              nn_w(p, b->ln1w), a->ln1_mean, a->ln1_rstd, N, C);
    }
    if (dx) nn_add_inplace(dx, tf->d_res, NC);
}
