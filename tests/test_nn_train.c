/* End-to-end: composed modules (MLP, transformer with LoRA) against finite differences, tiny models
 * that must learn XOR and a regression to a target loss, and bit-identical training for any thread count. */
#include <cblas.h>
#include <omp.h>
#include "craft/nn.h"
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"
#include "craft/nn_optim.h"
#include "craft/nn_transformer.h"
#include "test_nn_util.h"

/* ---- MLP + transformer gradients through the whole module ---- */
typedef struct {
    NnParams p;
    NnMlp mlp;
    NnTransformer tf;
    const uint8_t *mask;
    int B, T, adapter;
} ModelOp;

static void mlp_fwd(GradCase *c) {
    ModelOp *m = c->op;
    const float *y = nn_mlp_forward(&m->mlp, &m->p, c->in[0], m->B);
    memcpy(c->out, y, c->out_n * sizeof(float));
}
static void mlp_bwd(GradCase *c, const float *d) {
    ModelOp *m = c->op;
    nn_mlp_backward(&m->mlp, &m->p, d, c->gin[0], m->B);
}

Test(nn_train, mlp_gradients) {
    ModelOp m = {.B = 5};
    Rng r;
    rng_seed(&r, 30, 0);
    nn_params_init(&m.p);
    cr_assert_eq(nn_mlp_declare(&m.mlp, &m.p, "mlp", 3, (int[]){4, 6, 5, 3}, NN_ACT_GELU, NULL), 0);
    cr_assert_eq(nn_params_alloc(&m.p, 3, NULL), 0);
    cr_assert_eq(nn_mlp_alloc(&m.mlp, 8, NULL), 0);
    for (size_t i = 0; i < m.p.total; i++) m.p.values[i] += 0.1f * rng_normal(&r); /* non-zero biases too */
    GradCase c = {.fwd = mlp_fwd, .bwd = mlp_bwd, .op = &m, .nin = 2};
    c.name[0] = "x", c.in_n[0] = 20, c.in[0] = gc_randn(&r, 20, 1.0f), c.gin[0] = calloc(20, 4);
    c.name[1] = "params", c.in_n[1] = m.p.total, c.in[1] = m.p.values, c.gin[1] = m.p.grads;
    c.out_n = 15, c.out = calloc(15, 4);
    gc_check(&c, 30, 1e-2f);
    free(c.in[0]), free(c.gin[0]), free(c.out);
    nn_mlp_destroy(&m.mlp);
    nn_params_destroy(&m.p);
}

static void tf_fwd(GradCase *c) {
    ModelOp *m = c->op;
    const float *y = nn_transformer_forward(&m->tf, &m->p, c->in[0], m->mask, m->B, m->T, m->adapter);
    memcpy(c->out, y, c->out_n * sizeof(float));
}
static void tf_bwd(GradCase *c, const float *d) {
    ModelOp *m = c->op;
    nn_transformer_backward(&m->tf, &m->p, d, c->gin[0]);
}

static void check_transformer(int adapter, int causal) {
    static const uint8_t mask[8] = {1, 1, 1, 1, 1, 1, 0, 1};
    ModelOp m = {.B = 2, .T = 4, .mask = mask, .adapter = adapter};
    Rng r;
    rng_seed(&r, 31, (uint64_t)adapter + 1);
    nn_params_init(&m.p);
    NnTransformerConfig cfg = {.n_layer = 2, .C = 8, .n_head = 2, .max_B = 2, .max_T = 4, .causal = causal,
                               .n_adapters = adapter >= 0 ? 2 : 0, .lora_rank = 2, .lora_alpha = 4.0f};
    cr_assert_eq(nn_transformer_declare(&m.tf, &m.p, "tf", cfg, NULL), 0);
    cr_assert_eq(nn_params_alloc(&m.p, 4, NULL), 0);
    cr_assert_eq(nn_transformer_alloc(&m.tf, NULL), 0);
    /* perturb every parameter (LoRA B starts at 0 and LayerNorm at 1/0, which would hide bugs) */
    for (size_t i = 0; i < m.p.total; i++) m.p.values[i] += 0.2f * rng_normal(&r);
    GradCase c = {.fwd = tf_fwd, .bwd = tf_bwd, .op = &m, .nin = 2};
    c.name[0] = "x", c.in_n[0] = 64, c.in[0] = gc_randn(&r, 64, 1.0f), c.gin[0] = calloc(64, 4);
    c.name[1] = "params", c.in_n[1] = m.p.total, c.in[1] = m.p.values, c.gin[1] = m.p.grads;
    c.out_n = 64, c.out = calloc(64, 4);
    gc_check(&c, 31, 1e-2f);
    if (adapter >= 0) { /* frozen trunk: only the active adapter's tensors receive gradient */
        nn_params_set_frozen(&m.p, "", 1);
        char pre[64];
        snprintf(pre, sizeof pre, "tf.h.0.attn.c_attn.lora.%d", adapter);
        cr_assert_eq(nn_params_set_frozen(&m.p, pre, 0), 2);
        nn_params_zero_grad(&m.p);
        tf_fwd(&c);
        tf_bwd(&c, c.out);
        for (int t = 0; t < m.p.n; t++) {
            double s = 0;
            for (size_t i = 0; i < m.p.tensors[t].numel; i++) s += fabs(nn_g(&m.p, t)[i]);
            cr_assert_eq(s > 0, !m.p.tensors[t].frozen, "%s", m.p.tensors[t].name);
        }
    }
    free(c.in[0]), free(c.gin[0]), free(c.out);
    nn_transformer_destroy(&m.tf);
    nn_params_destroy(&m.p);
}

Test(nn_train, transformer_gradients) { check_transformer(-1, 0); }
Test(nn_train, transformer_gradients_causal_lora) { check_transformer(1, 1); }

/* ---- tiny training runs ---- */

/* Classifier MLP trained with log-softmax + cross-entropy, mean over the batch; returns final loss. */
static float train_classifier(NnParams *p, NnMlp *m, const float *x, const int32_t *y, int B, int V, int steps, float lr) {
    NnAdamW opt;
    cr_assert_eq(nn_adamw_create(&opt, p, (NnAdamWConfig){0.9f, 0.999f, 1e-8f, 0.0f}, NULL), 0);
    float *logp = malloc((size_t)B * V * 4), *dlogp = malloc((size_t)B * V * 4), *dlogits = malloc((size_t)B * V * 4);
    float *loss = malloc((size_t)B * 4), *dloss = malloc((size_t)B * 4), mean = 0;
    for (int i = 0; i < B; i++) dloss[i] = 1.0f / (float)B;
    for (int s = 0; s < steps; s++) {
        const float *logits = nn_mlp_forward(m, p, x, B);
        nn_log_softmax_forward(logp, logits, B, V);
        nn_cross_entropy_forward(loss, logp, y, B, V);
        mean = 0;
        for (int i = 0; i < B; i++) mean += loss[i] / (float)B;
        nn_params_zero_grad(p);
        memset(dlogp, 0, (size_t)B * V * 4);
        memset(dlogits, 0, (size_t)B * V * 4);
        nn_cross_entropy_backward(dlogp, dloss, y, B, V);
        nn_log_softmax_backward(dlogits, dlogp, logp, B, V);
        nn_mlp_backward(m, p, dlogits, NULL, B);
        nn_clip_grad_norm(p, 5.0f);
        nn_adamw_step(&opt, p, lr);
    }
    free(logp), free(dlogp), free(dlogits), free(loss), free(dloss);
    nn_adamw_destroy(&opt);
    return mean;
}

Test(nn_train, learns_xor) {
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    int32_t y[4] = {0, 1, 1, 0};
    NnParams p;
    NnMlp m;
    nn_params_init(&p);
    cr_assert_eq(nn_mlp_declare(&m, &p, "xor", 2, (int[]){2, 16, 2}, NN_ACT_RELU, NULL), 0);
    cr_assert_eq(nn_params_alloc(&p, 1, NULL), 0);
    cr_assert_eq(nn_mlp_alloc(&m, 4, NULL), 0);
    float loss = train_classifier(&p, &m, x, y, 4, 2, 300, 0.05f);
    cr_assert_lt(loss, 0.02f, "XOR loss %g after 300 steps (chance: log 2 = 0.693)", loss);
    const float *logits = nn_mlp_forward(&m, &p, x, 4);
    for (int i = 0; i < 4; i++) cr_assert_eq(logits[2 * i + 1] > logits[2 * i], y[i] == 1);
    nn_mlp_destroy(&m);
    nn_params_destroy(&p);
}

Test(nn_train, regression_reaches_target_loss) {
    /* y = sin(2 x0) + 0.5 x1², x ~ U(-1,1)²; the target's variance is ≈ 0.5, MSE goal 5e-3 */
    enum { B = 128 };
    Rng r;
    rng_seed(&r, 40, 0);
    float x[2 * B], y[B], dy[B];
    for (int i = 0; i < B; i++) {
        x[2 * i] = rng_range(&r, -1, 1), x[2 * i + 1] = rng_range(&r, -1, 1);
        y[i] = sinf(2 * x[2 * i]) + 0.5f * x[2 * i + 1] * x[2 * i + 1];
    }
    NnParams p;
    NnMlp m;
    nn_params_init(&p);
    cr_assert_eq(nn_mlp_declare(&m, &p, "reg", 3, (int[]){2, 32, 32, 1}, NN_ACT_GELU, NULL), 0);
    cr_assert_eq(nn_params_alloc(&p, 2, NULL), 0);
    cr_assert_eq(nn_mlp_alloc(&m, B, NULL), 0);
    NnAdamW opt;
    cr_assert_eq(nn_adamw_create(&opt, &p, nn_adamw_defaults(), NULL), 0);
    float mse = 0, first = 0;
    int steps = 600;
    for (int s = 0; s < steps; s++) {
        const float *pred = nn_mlp_forward(&m, &p, x, B);
        mse = 0;
        for (int i = 0; i < B; i++) {
            mse += (pred[i] - y[i]) * (pred[i] - y[i]) / B;
            dy[i] = 2 * (pred[i] - y[i]) / B;
        }
        if (s == 0) first = mse;
        nn_params_zero_grad(&p);
        nn_mlp_backward(&m, &p, dy, NULL, B);
        nn_adamw_step(&opt, &p, nn_lr_cosine(s, 20, steps, 1e-2f, 1e-3f));
    }
    cr_assert_lt(mse, 5e-3f, "regression MSE %g (initial %g)", mse, first);
    nn_adamw_destroy(&opt);
    nn_mlp_destroy(&m);
    nn_params_destroy(&p);
}

/* ---- determinism: same seed → same weights after training, for any OpenMP / BLAS thread count ---- */
static void train_transformer(int threads, float *out_values, size_t *n) {
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    NnParams p;
    NnTransformer tf;
    nn_params_init(&p);
    NnTransformerConfig cfg = {.n_layer = 2, .C = 32, .n_head = 4, .max_B = 8, .max_T = 64, .causal = 1};
    /* N = 512 rows and 65536 GELU inputs: large enough that every OpenMP branch runs in parallel */
    cr_assert_eq(nn_transformer_declare(&tf, &p, "tf", cfg, NULL), 0);
    cr_assert_eq(nn_params_alloc(&p, 9, NULL), 0);
    cr_assert_eq(nn_transformer_alloc(&tf, NULL), 0);
    NnAdamW opt;
    cr_assert_eq(nn_adamw_create(&opt, &p, nn_adamw_defaults(), NULL), 0);
    Rng r;
    rng_seed(&r, 50, 0);
    float *x = gc_randn(&r, 8 * 64 * 32, 1.0f), *dout = malloc(8 * 64 * 32 * 4);
    for (int s = 0; s < 3; s++) {
        const float *h = nn_transformer_forward(&tf, &p, x, NULL, 8, 64, -1);
        for (int i = 0; i < 8 * 64 * 32; i++) dout[i] = h[i] - 0.5f; /* gradient of ½‖h − 0.5‖² */
        nn_params_zero_grad(&p);
        nn_transformer_backward(&tf, &p, dout, NULL);
        nn_clip_grad_norm(&p, 1.0f);
        nn_adamw_step(&opt, &p, 1e-3f);
    }
    memcpy(out_values, p.values, p.total * sizeof(float));
    *n = p.total;
    free(x), free(dout);
    nn_adamw_destroy(&opt);
    nn_transformer_destroy(&tf);
    nn_params_destroy(&p);
}

Test(nn_train, bit_identical_for_any_thread_count) {
    static float a[200000], b[200000];
    size_t na, nb;
    train_transformer(1, a, &na);
    train_transformer(2, b, &nb);
    cr_assert_eq(na, nb);
    cr_assert_lt(na, 200000u);
    cr_assert_eq(memcmp(a, b, na * sizeof(float)), 0, "weights differ between 1 and 2 threads");
    train_transformer(3, b, &nb);
    cr_assert_eq(memcmp(a, b, na * sizeof(float)), 0, "weights differ between 1 and 3 threads");
}
