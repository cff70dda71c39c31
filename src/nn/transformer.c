/* Transformer stack: forward saves every activation; backward walks the blocks in reverse keeping
 * one residual-stream gradient d_res, into which each sublayer's LayerNorm backward accumulates.
 * Incremental decoding reuses forward for the prefix and then runs the blocks on one new row per
 * sequence: every op but attention is row-wise, and attention reads the cached keys/values. */
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

static void decode_free(NnTfDecode *d) {
    free(d->mem);
    free(d->key_mask);
    memset(d, 0, sizeof *d);
}

void nn_transformer_destroy(NnTransformer *tf) {
    free(tf->acts);
    tf->acts = NULL;
    decode_free(&tf->dec);
}

static NnAttnShape attn_shape(const NnTransformer *tf) {
    int C = tf->cfg.C;
    return (NnAttnShape){tf->B, tf->T, tf->T, C, tf->cfg.n_head, 3 * C, 3 * C, tf->cfg.causal};
}

/* The forward pass; with keys_only it stops after the last block's qkv (all a decode cache needs). */
static const float *forward(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask, int B,
                            int T, int adapter, int keys_only) {
    tf->x = x, tf->key_mask = key_mask, tf->B = B, tf->T = T, tf->adapter = adapter;
    int C = tf->cfg.C, N = B * T;
    NnAttnShape s = attn_shape(tf);
    const float *in = x;
    for (int l = 0; l < tf->cfg.n_layer; l++) {
        const NnBlock *b = &tf->blk[l];
        NnBlockActs *a = &tf->a[l];
        nn_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, in, nn_w(p, b->ln1w), nn_w(p, b->ln1b), N, C);
        nn_dense_forward(&b->qkv, p, a->qkv, a->h_qkv, a->ln1, N, adapter);
        if (keys_only && l == tf->cfg.n_layer - 1) return NULL;
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

const float *nn_transformer_forward(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask,
                                    int B, int T, int adapter) {
    return forward(tf, p, x, key_mask, B, T, adapter, 0);
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

/* ---- incremental decoding ---------------------------------------------------------------------- */
static size_t layout_decode(NnTransformer *tf, float *base, int max_B) {
    NnTransformerConfig c = tf->cfg;
    NnTfDecode *d = &tf->dec;
    size_t B = (size_t)max_B, C = (size_t)c.C, R = (size_t)(c.n_adapters ? c.lora_rank : 0), at = 0;
    for (int l = 0; l < c.n_layer; l++) {
        d->k[l] = take(base, &at, B * c.max_T * C);
        d->v[l] = take(base, &at, B * c.max_T * C);
    }
    d->ln = take(base, &at, B * C);
    d->ln_mean = take(base, &at, B);
    d->ln_rstd = take(base, &at, B);
    d->qkv = take(base, &at, B * 3 * C);
    d->att = take(base, &at, B * c.n_head * c.max_T);
    d->atty = take(base, &at, B * C);
    d->res1 = take(base, &at, B * C);
    d->fch = take(base, &at, B * 4 * C);
    d->fch_gelu = take(base, &at, B * 4 * C);
    d->res2 = take(base, &at, B * C);
    d->h_lora = take(base, &at, B * (R ? R : 1));
    d->out = take(base, &at, B * C);
    return at;
}

int nn_transformer_alloc_decode(NnTransformer *tf, int max_B, Err *e) {
    if (max_B < 1 || max_B > tf->cfg.max_B)
        return err_set(e, "nn_transformer_alloc_decode: max_B %d outside 1..%d", max_B, tf->cfg.max_B);
    if (!tf->cfg.causal) return err_set(e, "nn_transformer_alloc_decode: incremental decoding needs a causal transformer");
    decode_free(&tf->dec);
    size_t n = layout_decode(tf, NULL, max_B);
    tf->dec.mem = calloc(n, sizeof(float));
    tf->dec.key_mask = calloc((size_t)max_B * tf->cfg.max_T, 1);
    if (!tf->dec.mem || !tf->dec.key_mask) {
        decode_free(&tf->dec);
        return err_set(e, "nn_transformer_alloc_decode: out of memory (%zu floats)", n);
    }
    layout_decode(tf, tf->dec.mem, max_B);
    tf->dec.max_B = max_B;
    return 0;
}

/* Keys and values of rows t0..t0+n−1 of every sequence: packed qkv rows (stride 3C, B·n of them) into the cache. */
static void cache_kv(NnTfDecode *d, int l, const float *qkv, int B, int n, int t0, int C, int max_T) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < n; t++) {
            const float *row = qkv + ((size_t)b * n + t) * 3 * C;
            size_t at = ((size_t)b * max_T + t0 + t) * C;
            memcpy(d->k[l] + at, row + C, (size_t)C * sizeof(float));
            memcpy(d->v[l] + at, row + 2 * C, (size_t)C * sizeof(float));
        }
}

static int prefill(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask, int B, int T,
                   int adapter, int keys_only, const float **out, Err *e) {
    NnTfDecode *d = &tf->dec;
    int C = tf->cfg.C, max_T = tf->cfg.max_T;
    if (!d->max_B) return err_set(e, "nn_transformer_prefill: no decode cache (nn_transformer_alloc_decode)");
    if (B < 1 || B > d->max_B || T < 1 || T > max_T)
        return err_set(e, "nn_transformer_prefill: B %d, T %d outside 1..%d, 1..%d", B, T, d->max_B, max_T);
    *out = forward(tf, p, x, key_mask, B, T, adapter, keys_only);
    for (int l = 0; l < tf->cfg.n_layer; l++) cache_kv(d, l, tf->a[l].qkv, B, T, 0, C, max_T);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < max_T; t++) /* positions past T stay invisible until extended */
            d->key_mask[(size_t)b * max_T + t] = t < T && (!key_mask || key_mask[(size_t)b * T + t]);
    d->B = B, d->T = T, d->adapter = adapter;
    return 0;
}

const float *nn_transformer_prefill(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask,
                                    int B, int T, int adapter, Err *e) {
    const float *y = NULL;
    return prefill(tf, p, x, key_mask, B, T, adapter, 0, &y, e) ? NULL : y;
}

int nn_transformer_prefill_keys(NnTransformer *tf, const NnParams *p, const float *x, const uint8_t *key_mask, int B,
                                int T, int adapter, Err *e) {
    const float *unused;
    return prefill(tf, p, x, key_mask, B, T, adapter, 1, &unused, e);
}

const float *nn_transformer_extend(NnTransformer *tf, const NnParams *p, const float *x_new,
                                   const uint8_t *key_mask_new, Err *e) {
    NnTfDecode *d = &tf->dec;
    int C = tf->cfg.C, max_T = tf->cfg.max_T, B = d->B, t = d->T, ad = d->adapter;
    if (!d->max_B || !B) return err_set(e, "nn_transformer_extend: no prefill before extend"), NULL;
    if (t >= max_T) return err_set(e, "nn_transformer_extend: cache full (%d rows)", max_T), NULL;
    for (int b = 0; b < B; b++) d->key_mask[(size_t)b * max_T + t] = !key_mask_new || key_mask_new[b];
    /* one query per sequence against all max_T cached slots: the key mask hides the ones past t, so
     * no causal flag is needed (and the sums see the same visible keys in the same order as forward) */
    NnAttnShape s = {B, 1, max_T, C, tf->cfg.n_head, 3 * C, C, 0};
    const float *in = x_new;
    for (int l = 0; l < tf->cfg.n_layer; l++) {
        const NnBlock *b = &tf->blk[l];
        nn_layernorm_forward(d->ln, d->ln_mean, d->ln_rstd, in, nn_w(p, b->ln1w), nn_w(p, b->ln1b), B, C);
        nn_dense_forward(&b->qkv, p, d->qkv, d->h_lora, d->ln, B, ad);
        cache_kv(d, l, d->qkv, B, 1, t, C, max_T);
        nn_attention_forward(d->atty, d->att, d->qkv, d->k[l], d->v[l], d->key_mask, s);
        nn_dense_forward(&b->proj, p, d->res1, d->h_lora, d->atty, B, ad);
        nn_add_inplace(d->res1, in, (size_t)B * C);
        nn_layernorm_forward(d->ln, d->ln_mean, d->ln_rstd, d->res1, nn_w(p, b->ln2w), nn_w(p, b->ln2b), B, C);
        nn_dense_forward(&b->fc, p, d->fch, d->h_lora, d->ln, B, ad);
        nn_gelu_forward(d->fch_gelu, d->fch, (size_t)B * 4 * C);
        nn_dense_forward(&b->fc2, p, d->res2, d->h_lora, d->fch_gelu, B, ad); /* `in` (old res2) already consumed */
        nn_add_inplace(d->res2, d->res1, (size_t)B * C);
        in = d->res2;
    }
    nn_layernorm_forward(d->out, d->ln_mean, d->ln_rstd, in, nn_w(p, tf->lnfw), nn_w(p, tf->lnfb), B, C);
    d->T = t + 1;
    return d->out;
}
