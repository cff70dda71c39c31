/* Every op's backward against central finite differences (see gc_check for the tolerances). */
#include "craft/nn_ops.h"
#include "test_nn_util.h"

/* Allocates input k (random N(0, scale^2)) and its gradient buffer. */
static void gc_input(GradCase *c, Rng *r, const char *name, size_t n, float scale) {
    int k = c->nin++;
    c->name[k] = name;
    c->in_n[k] = n;
    c->in[k] = gc_randn(r, n, scale);
    c->gin[k] = calloc(n, sizeof(float));
}

static void gc_output(GradCase *c, size_t n) {
    c->out = calloc(n, sizeof(float));
    c->out_n = n;
}

static void gc_free(GradCase *c) {
    for (int k = 0; k < c->nin; k++) {
        free(c->in[k]);
        free(c->gin[k]);
    }
    free(c->out);
}

/* ---- linear ---- */
typedef struct { int N, IC, OC; } LinOp;
static void lin_fwd(GradCase *c) {
    LinOp *o = c->op;
    nn_linear_forward(c->out, c->in[0], c->in[1], c->in[2], o->N, o->IC, o->OC);
}
static void lin_bwd(GradCase *c, const float *d) {
    LinOp *o = c->op;
    nn_linear_backward(c->gin[0], c->gin[1], c->gin[2], d, c->in[0], c->in[1], o->N, o->IC, o->OC);
}
Test(nn_grad, linear) {
    Rng r;
    rng_seed(&r, 1, 0);
    LinOp o = {5, 7, 3};
    GradCase c = {.fwd = lin_fwd, .bwd = lin_bwd, .op = &o};
    gc_input(&c, &r, "x", 35, 1.0f);
    gc_input(&c, &r, "w", 21, 0.5f);
    gc_input(&c, &r, "b", 3, 0.5f);
    gc_output(&c, 15);
    gc_check(&c, 1, 1e-2f);
    gc_free(&c);
}

Test(nn_grad, linear_forward_hand_case) {
    float x[2 * 2] = {1, 2, 3, 4}, w[3 * 2] = {1, 0, 0, 1, 1, -1}, b[3] = {10, 20, 30}, out[6];
    nn_linear_forward(out, x, w, b, 2, 2, 3);
    float want[6] = {11, 22, 29, 13, 24, 29};
    for (int i = 0; i < 6; i++) cr_assert_float_eq(out[i], want[i], 1e-6);
}

/* ---- LoRA on top of a frozen linear ---- */
typedef struct { int N, IC, OC, R; float scale; float *h, *scratch, *w_frozen; } LoraOp;
static void lora_fwd(GradCase *c) {
    LoraOp *o = c->op;
    nn_linear_forward(c->out, c->in[0], o->w_frozen, NULL, o->N, o->IC, o->OC);
    nn_lora_forward(c->out, o->h, c->in[0], c->in[1], c->in[2], o->scale, o->N, o->IC, o->OC, o->R);
}
static void lora_bwd(GradCase *c, const float *d) {
    LoraOp *o = c->op;
    nn_linear_backward(c->gin[0], NULL, NULL, d, c->in[0], o->w_frozen, o->N, o->IC, o->OC);
    nn_lora_backward(c->gin[0], c->gin[1], c->gin[2], o->scratch, d, c->in[0], o->h, c->in[1], c->in[2], o->scale,
                     o->N, o->IC, o->OC, o->R);
}
Test(nn_grad, lora) {
    Rng r;
    rng_seed(&r, 2, 0);
    /* the frozen base weight is not a checked input: its gradient is never requested (NULL) */
    LoraOp o = {4, 6, 5, 2, 0.75f, calloc(8, 4), calloc(8, 4), gc_randn(&r, 30, 0.5f)};
    GradCase c = {.fwd = lora_fwd, .bwd = lora_bwd, .op = &o};
    gc_input(&c, &r, "x", 24, 1.0f);
    gc_input(&c, &r, "A", 12, 0.5f);
    gc_input(&c, &r, "B", 10, 0.5f);
    gc_output(&c, 20);
    gc_check(&c, 2, 1e-2f);
    gc_free(&c);
    free(o.h);
    free(o.scratch);
    free(o.w_frozen);
}

/* ---- activations ---- */
static void relu_fwd(GradCase *c) { nn_relu_forward(c->out, c->in[0], c->in_n[0]); }
static void relu_bwd(GradCase *c, const float *d) { nn_relu_backward(c->gin[0], c->in[0], d, c->in_n[0]); }
static void gelu_fwd(GradCase *c) { nn_gelu_forward(c->out, c->in[0], c->in_n[0]); }
static void gelu_bwd(GradCase *c, const float *d) { nn_gelu_backward(c->gin[0], c->in[0], d, c->in_n[0]); }
Test(nn_grad, relu_and_gelu) {
    Rng r;
    rng_seed(&r, 3, 0);
    GradCase c = {.fwd = relu_fwd, .bwd = relu_bwd};
    gc_input(&c, &r, "x", 40, 1.0f);
    for (int i = 0; i < 40; i++) /* keep away from the kink at 0: FD is invalid within eps of it */
        if (fabsf(c.in[0][i]) < 0.05f) c.in[0][i] = 0.3f;
    gc_output(&c, 40);
    gc_check(&c, 3, 1e-2f);
    c.fwd = gelu_fwd;
    c.bwd = gelu_bwd;
    gc_check(&c, 4, 1e-2f);
    float x[3] = {-1.0f, 0.0f, 2.0f}, y[3];
    nn_gelu_forward(y, x, 3); /* closed form 0.5x(1+tanh(√(2/π)(x+0.044715x³))) */
    cr_assert_float_eq(y[0], -0.15880801f, 1e-6);
    cr_assert_float_eq(y[1], 0.0f, 1e-7);
    cr_assert_float_eq(y[2], 1.95459769f, 1e-5);
    gc_free(&c);
}

/* ---- LayerNorm ---- */
typedef struct { int N, C; float *mean, *rstd; } LnOp;
static void ln_fwd(GradCase *c) {
    LnOp *o = c->op;
    nn_layernorm_forward(c->out, o->mean, o->rstd, c->in[0], c->in[1], c->in[2], o->N, o->C);
}
static void ln_bwd(GradCase *c, const float *d) {
    LnOp *o = c->op;
    nn_layernorm_backward(c->gin[0], c->gin[1], c->gin[2], d, c->in[0], c->in[1], o->mean, o->rstd, o->N, o->C);
}
Test(nn_grad, layernorm) {
    Rng r;
    rng_seed(&r, 5, 0);
    LnOp o = {4, 8, calloc(4, 4), calloc(4, 4)};
    GradCase c = {.fwd = ln_fwd, .bwd = ln_bwd, .op = &o};
    gc_input(&c, &r, "x", 32, 1.0f);
    gc_input(&c, &r, "w", 8, 1.0f);
    gc_input(&c, &r, "b", 8, 1.0f);
    gc_output(&c, 32);
    gc_check(&c, 5, 1e-2f);
    /* hand case: x = [1,2,3,4], mean 2.5, var 1.25 -> (x-2.5)/sqrt(1.25+1e-5) */
    float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, out[4], m, s;
    nn_layernorm_forward(out, &m, &s, x, w, NULL, 1, 4);
    cr_assert_float_eq(m, 2.5f, 1e-6);
    cr_assert_float_eq(out[0], -1.5f / sqrtf(1.25f + 1e-5f), 1e-5);
    cr_assert_float_eq(out[3], 1.5f / sqrtf(1.25f + 1e-5f), 1e-5);
    gc_free(&c);
    free(o.mean);
    free(o.rstd);
}

/* ---- embedding (ids repeat and include padding -1) ---- */
static const int32_t EMB_IDS[6] = {2, 0, 2, -1, 3, 2};
static void emb_fwd(GradCase *c) { nn_embedding_forward(c->out, EMB_IDS, c->in[0], 6, 3); }
static void emb_bwd(GradCase *c, const float *d) { nn_embedding_backward(c->gin[0], d, EMB_IDS, 6, 3); }
Test(nn_grad, embedding) {
    Rng r;
    rng_seed(&r, 6, 0);
    GradCase c = {.fwd = emb_fwd, .bwd = emb_bwd};
    gc_input(&c, &r, "table", 4 * 3, 1.0f);
    gc_output(&c, 18);
    gc_check(&c, 6, 1e-2f);
    c.fwd(&c);
    for (int j = 0; j < 3; j++) {
        cr_assert_eq(c.out[3 * 3 + j], 0.0f); /* padding row */
        cr_assert_eq(c.out[0 * 3 + j], c.in[0][2 * 3 + j]);
    }
    gc_free(&c);
}

/* ---- attention: packed self-attention (causal + key padding) and cross-attention ---- */
typedef struct { NnAttnShape s; const uint8_t *mask; float *att, *scratch; int packed; } AttOp;
static void att_fwd(GradCase *c) {
    AttOp *o = c->op;
    int C = o->s.C;
    if (o->packed) nn_attention_forward(c->out, o->att, c->in[0], c->in[0] + C, c->in[0] + 2 * C, o->mask, o->s);
    else nn_attention_forward(c->out, o->att, c->in[0], c->in[1], c->in[1] + C, o->mask, o->s);
}
static void att_bwd(GradCase *c, const float *d) {
    AttOp *o = c->op;
    int C = o->s.C;
    if (o->packed)
        nn_attention_backward(c->gin[0], c->gin[0] + C, c->gin[0] + 2 * C, o->scratch, d, o->att, c->in[0],
                              c->in[0] + C, c->in[0] + 2 * C, o->s);
    else
        nn_attention_backward(c->gin[0], c->gin[1], c->gin[1] + C, o->scratch, d, o->att, c->in[0], c->in[1],
                              c->in[1] + C, o->s);
}
Test(nn_grad, self_attention_causal_masked) {
    Rng r;
    rng_seed(&r, 7, 0);
    int B = 2, T = 5, C = 8, NH = 2;
    /* batch 1: keys 0 and 3 are padding, so query 0 sees nothing (zero output, zero gradient) */
    static const uint8_t mask[10] = {1, 1, 1, 1, 1, 0, 1, 1, 0, 1};
    AttOp o = {{B, T, T, C, NH, 3 * C, 3 * C, 1}, mask, NULL, NULL, 1};
    o.att = calloc((size_t)B * NH * T * T, 4);
    o.scratch = calloc(nn_attention_scratch_floats(o.s), 4);
    GradCase c = {.fwd = att_fwd, .bwd = att_bwd, .op = &o};
    gc_input(&c, &r, "qkv", (size_t)B * T * 3 * C, 1.0f);
    gc_output(&c, (size_t)B * T * C);
    gc_check(&c, 7, 1e-2f);
    c.fwd(&c);
    for (int h = 0; h < NH; h++)
        for (int i = 0; i < T; i++) {
            float sum = 0.0f;
            for (int j = 0; j < T; j++) {
                float a = o.att[(((size_t)1 * NH + h) * T + i) * T + j];
                if (j > i || !mask[T + j]) cr_assert_eq(a, 0.0f, "masked key has weight");
                sum += a;
            }
            cr_assert_float_eq(sum, i == 0 ? 0.0f : 1.0f, 1e-5);
        }
    for (int d = 0; d < C; d++) cr_assert_eq(c.out[(size_t)1 * T * C + d], 0.0f);
    gc_free(&c);
    free(o.att);
    free(o.scratch);
}

Test(nn_grad, cross_attention) {
    Rng r;
    rng_seed(&r, 8, 0);
    int B = 2, Tq = 3, Tk = 4, C = 6, NH = 3;
    static const uint8_t mask[8] = {1, 1, 0, 1, 1, 1, 1, 1};
    AttOp o = {{B, Tq, Tk, C, NH, C, 2 * C, 0}, mask, NULL, NULL, 0};
    o.att = calloc((size_t)B * NH * Tq * Tk, 4);
    o.scratch = calloc(nn_attention_scratch_floats(o.s), 4);
    GradCase c = {.fwd = att_fwd, .bwd = att_bwd, .op = &o};
    gc_input(&c, &r, "q", (size_t)B * Tq * C, 1.0f);
    gc_input(&c, &r, "kv", (size_t)B * Tk * 2 * C, 1.0f);
    gc_output(&c, (size_t)B * Tq * C);
    gc_check(&c, 8, 1e-2f);
    gc_free(&c);
    free(o.att);
    free(o.scratch);
}

Test(nn_grad, attention_hand_case) {
    /* one head, hs = 2, q = [1, 0], keys [1,0] and [0,0]: scores 1/√2 and 0 */
    float q[2] = {1, 0}, kv[2 * 4] = {1, 0, 2, 0, 0, 0, 0, 4}, out[2], att[2];
    NnAttnShape s = {1, 1, 2, 2, 1, 2, 4, 0};
    nn_attention_forward(out, att, q, kv, kv + 2, NULL, s);
    float e = expf(1.0f / sqrtf(2.0f)), p0 = e / (e + 1.0f);
    cr_assert_float_eq(att[0], p0, 1e-6);
    cr_assert_float_eq(out[0], 2.0f * p0, 1e-5);
    cr_assert_float_eq(out[1], 4.0f * (1.0f - p0), 1e-5);
}

/* ---- conv2d ---- */
typedef struct { NnConvShape s; float *col; } ConvOp;
static void conv_fwd(GradCase *c) {
    ConvOp *o = c->op;
    nn_conv2d_forward(c->out, o->col, c->in[0], c->in[1], c->in[2], o->s);
}
static void conv_bwd(GradCase *c, const float *d) {
    ConvOp *o = c->op;
    nn_conv2d_backward(c->gin[0], c->gin[1], c->gin[2], o->col, d, c->in[0], c->in[1], o->s);
}
Test(nn_grad, conv2d_stride2_pad1) {
    Rng r;
    rng_seed(&r, 9, 0);
    ConvOp o = {{2, 3, 6, 5, 4, 3, 3, 2, 1}, NULL};
    int OH = nn_conv2d_out_h(o.s), OW = nn_conv2d_out_w(o.s);
    cr_assert_eq(OH, 3);
    cr_assert_eq(OW, 3);
    o.col = calloc(nn_conv2d_col_floats(o.s), 4);
    GradCase c = {.fwd = conv_fwd, .bwd = conv_bwd, .op = &o};
    gc_input(&c, &r, "x", 2 * 3 * 6 * 5, 1.0f);
    gc_input(&c, &r, "w", 4 * 3 * 3 * 3, 0.5f);
    gc_input(&c, &r, "b", 4, 0.5f);
    gc_output(&c, (size_t)2 * 4 * OH * OW);
    gc_check(&c, 9, 1e-2f);
    gc_free(&c);
    free(o.col);
}

Test(nn_grad, conv2d_hand_case) {
    /* 1 channel 3x3 image 1..9, 2x2 kernel of ones, stride 1, no pad: sums of 2x2 windows */
    float img[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b = 0.5f, out[4], col[16];
    NnConvShape s = {1, 1, 3, 3, 1, 2, 2, 1, 0};
    nn_conv2d_forward(out, col, img, w, &b, s);
    float want[4] = {12.5f, 16.5f, 24.5f, 28.5f};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(out[i], want[i], 1e-6);
}

/* ---- transpose (conv maps to tokens) ---- */
static void tr_fwd(GradCase *c) { nn_transpose_forward(c->out, c->in[0], 2, 3, 4); }
static void tr_bwd(GradCase *c, const float *d) { nn_transpose_backward(c->gin[0], d, 2, 3, 4); }
Test(nn_grad, transpose) {
    Rng r;
    rng_seed(&r, 15, 0);
    GradCase c = {.fwd = tr_fwd, .bwd = tr_bwd};
    gc_input(&c, &r, "x", 24, 1.0f);
    gc_output(&c, 24);
    gc_check(&c, 15, 1e-2f);
    c.fwd(&c);
    cr_assert_eq(c.out[(1 * 4 + 2) * 3 + 1], c.in[0][(1 * 3 + 1) * 4 + 2]); /* out[b=1][j=2][i=1] = in[1][1][2] */
    gc_free(&c);
}

/* ---- pooling over entities ---- */
static const uint8_t POOL_MASK[8] = {1, 0, 1, 1, 0, 0, 0, 0}; /* batch 1 has no entity */
typedef struct { int32_t argmax[2 * 3]; } PoolOp;
static void maxp_fwd(GradCase *c) { nn_maxpool_forward(c->out, ((PoolOp *)c->op)->argmax, c->in[0], POOL_MASK, 2, 4, 3); }
static void maxp_bwd(GradCase *c, const float *d) { nn_maxpool_backward(c->gin[0], d, ((PoolOp *)c->op)->argmax, 2, 4, 3); }
static void meanp_fwd(GradCase *c) { nn_meanpool_forward(c->out, c->in[0], POOL_MASK, 2, 4, 3); }
static void meanp_bwd(GradCase *c, const float *d) { nn_meanpool_backward(c->gin[0], d, POOL_MASK, 2, 4, 3); }
Test(nn_grad, entity_pooling) {
    Rng r;
    rng_seed(&r, 10, 0);
    PoolOp o;
    GradCase c = {.fwd = maxp_fwd, .bwd = maxp_bwd, .op = &o};
    gc_input(&c, &r, "x", 2 * 4 * 3, 1.0f);
    gc_output(&c, 6);
    gc_check(&c, 10, 1e-3f); /* small eps: maxima are separated by far more than 2·eps */
    c.fwd(&c);
    for (int ch = 0; ch < 3; ch++) {
        const float *x = c.in[0];
        float m = fmaxf(x[0 * 3 + ch], fmaxf(x[2 * 3 + ch], x[3 * 3 + ch])); /* entity 1 masked */
        cr_assert_eq(c.out[ch], m);
        cr_assert_eq(c.out[3 + ch], 0.0f);
        cr_assert_eq(o.argmax[3 + ch], -1);
    }
    c.fwd = meanp_fwd;
    c.bwd = meanp_bwd;
    gc_check(&c, 11, 1e-2f);
    c.fwd(&c);
    for (int ch = 0; ch < 3; ch++) {
        const float *x = c.in[0];
        cr_assert_float_eq(c.out[ch], (x[ch] + x[6 + ch] + x[9 + ch]) / 3.0f, 1e-6);
        cr_assert_eq(c.out[3 + ch], 0.0f);
    }
    gc_free(&c);
}

/* ---- softmax family ---- */
static void sm_fwd(GradCase *c) { nn_softmax_forward(c->out, c->in[0], 3, 5); }
static void sm_bwd(GradCase *c, const float *d) { nn_softmax_backward(c->gin[0], d, c->out, 3, 5); }
static void lsm_fwd(GradCase *c) { nn_log_softmax_forward(c->out, c->in[0], 3, 5); }
static void lsm_bwd(GradCase *c, const float *d) { nn_log_softmax_backward(c->gin[0], d, c->out, 3, 5); }
Test(nn_grad, softmax_and_log_softmax) {
    Rng r;
    rng_seed(&r, 12, 0);
    GradCase c = {.fwd = sm_fwd, .bwd = sm_bwd};
    gc_input(&c, &r, "logits", 15, 2.0f);
    gc_output(&c, 15);
    gc_check(&c, 12, 1e-2f);
    c.fwd = lsm_fwd;
    c.bwd = lsm_bwd;
    gc_check(&c, 13, 1e-2f);
    float l[3] = {0.0f, 1.0f, 1000.0f}, p[3]; /* huge logits stay finite (max subtracted) */
    nn_log_softmax_forward(p, l, 1, 3);
    cr_assert_float_eq(p[2], 0.0f, 1e-6);
    cr_assert_float_eq(p[1], -999.0f, 1e-3);
    gc_free(&c);
}

/* Composite per-row scalars from logits: CE(target), entropy, KL(P‖Q), KL(Q‖P); P, Q = softmax of
 * in[0], in[1]. One GradCase checks the chain through log_softmax as a trainer would use it. */
typedef struct { float lp[12], lq[12], dlp[12], dlq[12]; int kind; } DistOp;
static const int32_t CE_TARGET[3] = {1, -1, 3};
static void dist_fwd(GradCase *c) {
    DistOp *o = c->op;
    nn_log_softmax_forward(o->lp, c->in[0], 3, 4);
    nn_log_softmax_forward(o->lq, c->in[1], 3, 4);
    if (o->kind == 0) nn_cross_entropy_forward(c->out, o->lp, CE_TARGET, 3, 4);
    if (o->kind == 1) nn_categorical_entropy_forward(c->out, o->lp, 3, 4);
    if (o->kind == 2) nn_categorical_kl_forward(c->out, o->lp, o->lq, 3, 4);
    if (o->kind == 3) nn_categorical_kl_forward(c->out, o->lq, o->lp, 3, 4);
}
static void dist_bwd(GradCase *c, const float *d) {
    DistOp *o = c->op;
    memset(o->dlp, 0, sizeof o->dlp);
    memset(o->dlq, 0, sizeof o->dlq);
    if (o->kind == 0) nn_cross_entropy_backward(o->dlp, d, CE_TARGET, 3, 4);
    if (o->kind == 1) nn_categorical_entropy_backward(o->dlp, d, o->lp, 3, 4);
    if (o->kind == 2) nn_categorical_kl_backward(o->dlp, o->dlq, d, o->lp, o->lq, 3, 4);
    if (o->kind == 3) nn_categorical_kl_backward(o->dlq, o->dlp, d, o->lq, o->lp, 3, 4);
    nn_log_softmax_backward(c->gin[0], o->dlp, o->lp, 3, 4);
    nn_log_softmax_backward(c->gin[1], o->dlq, o->lq, 3, 4);
}
Test(nn_grad, cross_entropy_entropy_kl_both_directions) {
    Rng r;
    rng_seed(&r, 14, 0);
    DistOp o;
    GradCase c = {.fwd = dist_fwd, .bwd = dist_bwd, .op = &o};
    gc_input(&c, &r, "logits_p", 12, 1.5f);
    gc_input(&c, &r, "logits_q", 12, 1.5f);
    gc_output(&c, 3);
    for (o.kind = 0; o.kind < 4; o.kind++) gc_check(&c, 14 + (uint64_t)o.kind, 1e-2f);
    /* closed forms: uniform P has entropy log 4; KL(P‖Q) for P = (.5,.5,0,0)... via explicit logs */
    float lu[4] = {-logf(4), -logf(4), -logf(4), -logf(4)}, h;
    nn_categorical_entropy_forward(&h, lu, 1, 4);
    cr_assert_float_eq(h, logf(4.0f), 1e-6);
    float lp[2] = {logf(0.25f), logf(0.75f)}, lq[2] = {logf(0.5f), logf(0.5f)}, kl, klr;
    nn_categorical_kl_forward(&kl, lp, lq, 1, 2);
    nn_categorical_kl_forward(&klr, lq, lp, 1, 2);
    cr_assert_float_eq(kl, 0.25f * logf(0.5f) + 0.75f * logf(1.5f), 1e-6);
    cr_assert_float_eq(klr, 0.5f * logf(2.0f) + 0.5f * logf(2.0f / 3.0f), 1e-6);
    gc_free(&c);
}

/* ---- diagonal Gaussian: per-row log-std and a shared one ---- */
typedef struct { int ls_stride, entropy; } GaussOp;
static void gauss_fwd(GradCase *c) {
    GaussOp *o = c->op;
    if (o->entropy) nn_gaussian_entropy_forward(c->out, c->in[2], o->ls_stride, 4, 3);
    else nn_gaussian_logprob_forward(c->out, c->in[0], c->in[1], c->in[2], o->ls_stride, 4, 3);
}
static void gauss_bwd(GradCase *c, const float *d) {
    GaussOp *o = c->op;
    if (o->entropy) nn_gaussian_entropy_backward(c->gin[2], d, o->ls_stride, 4, 3);
    else nn_gaussian_logprob_backward(c->gin[0], c->gin[1], c->gin[2], d, c->in[0], c->in[1], c->in[2],
                                      o->ls_stride, 4, 3);
}
Test(nn_grad, gaussian_logprob_entropy) {
    for (int shared = 0; shared < 2; shared++) {
        Rng r;
        rng_seed(&r, 20 + (uint64_t)shared, 0);
        GaussOp o = {shared ? 0 : 3, 0};
        GradCase c = {.fwd = gauss_fwd, .bwd = gauss_bwd, .op = &o};
        gc_input(&c, &r, "x", 12, 1.0f);
        gc_input(&c, &r, "mean", 12, 1.0f);
        gc_input(&c, &r, "log_std", shared ? 3 : 12, 0.3f);
        gc_output(&c, 4);
        gc_check(&c, 20, 1e-2f);
        o.entropy = 1;
        gc_check(&c, 21, 1e-2f);
        gc_free(&c);
    }
    /* closed form: N(0,1) at x = 1 in 1-D: -0.5 - 0.5 log 2π; σ = e: entropy 0.5 + 0.5 log 2π + 1 */
    float x = 1.0f, m = 0.0f, ls = 0.0f, lp, ent, ls1 = 1.0f;
    nn_gaussian_logprob_forward(&lp, &x, &m, &ls, 1, 1, 1);
    cr_assert_float_eq(lp, -0.5f - 0.5f * logf(2.0f * (float)M_PI), 1e-6);
    nn_gaussian_entropy_forward(&ent, &ls1, 1, 1, 1);
    cr_assert_float_eq(ent, 1.5f + 0.5f * logf(2.0f * (float)M_PI), 1e-6);
}
