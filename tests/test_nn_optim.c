/* AdamW, clipping, LR schedules, EMA and deterministic initialisation on hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/nn.h"
#include "craft/nn_optim.h"

static void two_tensor_store(NnParams *p) {
    nn_params_init(p);
    nn_params_add(p, "w", 2, (int[]){1, 2}, NN_INIT_ZEROS, 0); /* ndim 2: weight decay applies */
    nn_params_add(p, "b", 1, (int[]){1}, NN_INIT_ZEROS, 0);    /* ndim 1: no decay */
    cr_assert_eq(nn_params_alloc(p, 1, NULL), 0);
}

Test(nn_optim, adamw_two_steps_hand_computed) {
    /* Worked by hand (PyTorch AdamW semantics), lr 0.1, betas (0.9, 0.999), eps 1e-8, wd 0.01.
     * Step 1: m̂ = g, v̂ = g², so each element moves by lr·sign(g); decayed ones first shrink by
     * (1 − lr·wd) = 0.999: w = [1, −2] → [0.999 − 0.1, −1.998 + 0.1]; b = 0.5 → 0.4.
     * Step 2, g = [0.5, 0, −0.4]: m = [0.095, −0.09, −0.022], v = [4.9975e-4, 9.99e-4, 1.9996e-4],
     * bias corrections 0.19 and 0.001999 → steps [1, −0.6700523, −0.366104] · lr. */
    NnParams p;
    two_tensor_store(&p);
    float *w = nn_w(&p, 0), *b = nn_w(&p, 1);
    w[0] = 1.0f, w[1] = -2.0f, b[0] = 0.5f;
    NnAdamW opt;
    cr_assert_eq(nn_adamw_create(&opt, &p, (NnAdamWConfig){0.9f, 0.999f, 1e-8f, 0.01f}, NULL), 0);
    float *gw = nn_g(&p, 0), *gb = nn_g(&p, 1);
    gw[0] = 0.5f, gw[1] = -1.0f, gb[0] = 0.2f;
    nn_adamw_step(&opt, &p, 0.1f);
    cr_assert_float_eq(w[0], 0.899f, 1e-6);
    cr_assert_float_eq(w[1], -1.898f, 1e-6);
    cr_assert_float_eq(b[0], 0.4f, 1e-6);
    gw[0] = 0.5f, gw[1] = 0.0f, gb[0] = -0.4f;
    nn_adamw_step(&opt, &p, 0.1f);
    cr_assert_float_eq(w[0], 0.7981010f, 2e-6);
    cr_assert_float_eq(w[1], -1.8290962f, 2e-6);
    cr_assert_float_eq(b[0], 0.4366104f, 2e-6);
    cr_assert_eq(opt.step, 2);
    nn_adamw_destroy(&opt);
    nn_params_destroy(&p);
}

Test(nn_optim, adamw_rejects_bad_config) {
    NnParams p;
    two_tensor_store(&p);
    NnAdamW opt;
    Err e;
    cr_assert_eq(nn_adamw_create(&opt, &p, (NnAdamWConfig){1.0f, 0.999f, 1e-8f, 0.0f}, &e), -1);
    cr_assert(strstr(e.msg, "beta"));
    nn_params_destroy(&p);
}

Test(nn_optim, clip_grad_norm) {
    NnParams p;
    two_tensor_store(&p);
    nn_g(&p, 0)[0] = 3.0f, nn_g(&p, 0)[1] = 0.0f, nn_g(&p, 1)[0] = 4.0f; /* norm 5 */
    cr_assert_float_eq(nn_grad_norm(&p), 5.0f, 1e-6);
    cr_assert_float_eq(nn_clip_grad_norm(&p, 10.0f), 5.0f, 1e-6); /* below: unchanged */
    cr_assert_eq(nn_g(&p, 0)[0], 3.0f);
    cr_assert_float_eq(nn_clip_grad_norm(&p, 1.0f), 5.0f, 1e-6);
    cr_assert_float_eq(nn_g(&p, 0)[0], 0.6f, 1e-6);
    cr_assert_float_eq(nn_g(&p, 1)[0], 0.8f, 1e-6);
    cr_assert_float_eq(nn_grad_norm(&p), 1.0f, 1e-6);
    nn_params_destroy(&p);
}

Test(nn_optim, lr_schedules) {
    cr_assert_float_eq(nn_lr_warmup(0, 10, 1.0f), 0.1f, 1e-7);
    cr_assert_float_eq(nn_lr_warmup(4, 10, 1.0f), 0.5f, 1e-7);
    cr_assert_float_eq(nn_lr_warmup(9, 10, 1.0f), 1.0f, 1e-7);
    cr_assert_float_eq(nn_lr_warmup(500, 10, 1.0f), 1.0f, 1e-7);
    /* cosine over steps 10..110 from 1.0 to 0.1: mid-point 0.55, quarter 0.1 + 0.45(1 + cos(π/4)) */
    cr_assert_float_eq(nn_lr_cosine(4, 10, 110, 1.0f, 0.1f), 0.5f, 1e-7);
    cr_assert_float_eq(nn_lr_cosine(10, 10, 110, 1.0f, 0.1f), 1.0f, 1e-6);
    cr_assert_float_eq(nn_lr_cosine(35, 10, 110, 1.0f, 0.1f), 0.1f + 0.45f * (1.0f + sqrtf(0.5f)), 1e-6);
    cr_assert_float_eq(nn_lr_cosine(60, 10, 110, 1.0f, 0.1f), 0.55f, 1e-6);
    cr_assert_float_eq(nn_lr_cosine(110, 10, 110, 1.0f, 0.1f), 0.1f, 1e-7);
    cr_assert_float_eq(nn_lr_cosine(1000, 10, 110, 1.0f, 0.1f), 0.1f, 1e-7);
    cr_assert_float_eq(nn_lr_cosine(0, 0, 100, 2.0f, 0.0f), 2.0f, 1e-6); /* no warmup */
}

Test(nn_optim, ema_teacher) {
    NnParams s, t;
    two_tensor_store(&s);
    nn_w(&s, 0)[0] = 1.0f;
    cr_assert_eq(nn_params_clone(&t, &s, NULL), 0);
    cr_assert(nn_params_same_layout(&s, &t));
    cr_assert_eq(nn_w(&t, 0)[0], 1.0f);
    nn_w(&s, 0)[0] = 3.0f;
    /* θ_T ← 0.9 θ_T + 0.1 θ with θ = 3 fixed: θ_T(k) = 3 − 2 · 0.9^k */
    for (int k = 1; k <= 5; k++) {
        nn_ema_update(&t, &s, 0.9f);
        cr_assert_float_eq(nn_w(&t, 0)[0], 3.0f - 2.0f * powf(0.9f, (float)k), 1e-6);
    }
    cr_assert_eq(nn_ema_update(&t, &s, 0.0f), 0); /* τ = 0: copy */
    cr_assert_eq(nn_w(&t, 0)[0], 3.0f);
    NnParams other;
    nn_params_init(&other);
    nn_params_add(&other, "w", 2, (int[]){2, 1}, NN_INIT_ZEROS, 0);
    nn_params_add(&other, "b", 1, (int[]){1}, NN_INIT_ZEROS, 0);
    cr_assert_eq(nn_params_alloc(&other, 1, NULL), 0);
    cr_assert_eq(nn_ema_update(&t, &other, 0.5f), -1, "different shapes must be refused");
    cr_assert_eq(nn_w(&t, 0)[0], 3.0f);
    nn_params_destroy(&other);
    nn_params_destroy(&s);
    nn_params_destroy(&t);
}

static void init_store(NnParams *p, uint64_t seed, int extra) {
    nn_params_init(p);
    nn_params_add(p, "fc.weight", 2, (int[]){64, 48}, NN_INIT_KAIMING, 0);
    nn_params_add(p, "fc.bias", 1, (int[]){64}, NN_INIT_ZEROS, 0);
    nn_params_add(p, "emb", 2, (int[]){10, 8}, NN_INIT_NORMAL, 0.02f);
    nn_params_add(p, "ln.weight", 1, (int[]){8}, NN_INIT_ONES, 0);
    if (extra) nn_params_add(p, "later", 1, (int[]){5}, NN_INIT_UNIFORM, 1.0f);
    cr_assert_eq(nn_params_alloc(p, seed, NULL), 0);
}

Test(nn_optim, deterministic_init) {
    NnParams a, b, c, d;
    init_store(&a, 7, 0);
    init_store(&b, 7, 0);
    init_store(&c, 8, 0);
    init_store(&d, 7, 1);
    cr_assert_eq(memcmp(a.values, b.values, a.total * sizeof(float)), 0, "same seed, same weights");
    cr_assert_neq(memcmp(a.values, c.values, a.total * sizeof(float)), 0);
    cr_assert_eq(memcmp(a.values, d.values, a.total * sizeof(float)), 0, "adding a tensor changed the others");
    /* Kaiming-uniform bound sqrt(3/48) = 0.25, variance 1/48; N(0, 0.02²) for the embedding */
    const float *w = nn_w(&a, 0);
    double s2 = 0;
    for (int i = 0; i < 64 * 48; i++) {
        cr_assert(fabsf(w[i]) <= 0.25f);
        s2 += (double)w[i] * w[i];
    }
    cr_assert_float_eq(s2 / (64 * 48), 1.0 / 48.0, 0.002);
    for (int i = 0; i < 8; i++) cr_assert_eq(nn_w(&a, 3)[i], 1.0f);
    for (int i = 0; i < 64; i++) cr_assert_eq(nn_w(&a, 1)[i], 0.0f);
    cr_assert_eq(nn_params_count(&a), 64 * 48 + 64 + 80 + 8);
    cr_assert_eq((uintptr_t)nn_w(&a, 2) % 64, 0, "tensors are cache-line aligned");
    nn_params_reinit(&c, 7);
    cr_assert_eq(memcmp(a.values, c.values, a.total * sizeof(float)), 0);
    nn_params_destroy(&a);
    nn_params_destroy(&b);
    nn_params_destroy(&c);
    nn_params_destroy(&d);
}

Test(nn_optim, bad_declarations_are_errors) {
    NnParams p;
    nn_params_init(&p);
    Err e;
    cr_assert_eq(nn_params_add_e(&p, "x", 2, (int[]){3, 0}, NN_INIT_ZEROS, 0, &e), -1);
    cr_assert(strstr(e.msg, "dim 1 is 0"));
    cr_assert_eq(nn_params_add_e(&p, "x", 1, (int[]){3}, NN_INIT_ZEROS, 0, &e), 0);
    cr_assert_eq(nn_params_add_e(&p, "x", 1, (int[]){3}, NN_INIT_ZEROS, 0, &e), -1);
    cr_assert(strstr(e.msg, "duplicate"));
    nn_params_destroy(&p);
}
