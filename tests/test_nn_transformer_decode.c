/* Incremental transformer decoding: prefill + extend reproduce a full causal forward row by row
 * (with and without LoRA adapters, masked prefix positions and masked appended rows, B > 1), leave
 * the training forward untouched, do not depend on the thread count, and reject misuse cleanly. */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include "craft/nn_transformer.h"
#include "craft/rng.h"

enum { B = 3, T = 9, T0 = 4, C = 32, NH = 4 };

typedef struct {
    NnParams p;
    NnTransformer tf;
    float x[B * T * C];
    uint8_t mask[B * T];
} Model;

static void model_init(Model *m, int n_adapters, uint64_t seed) {
    memset(m, 0, sizeof *m);
    nn_params_init(&m->p);
    NnTransformerConfig cfg = {.n_layer = 2, .C = C, .n_head = NH, .max_B = B, .max_T = T, .causal = 1,
                               .n_adapters = n_adapters, .lora_rank = 4, .lora_alpha = 8.0f};
    Err e;
    cr_assert_eq(nn_transformer_declare(&m->tf, &m->p, "tf", cfg, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_params_alloc(&m->p, seed, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_transformer_alloc(&m->tf, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_transformer_alloc_decode(&m->tf, B, &e), 0, "%s", e.msg);
    Rng r;
    rng_seed(&r, seed, 1);
    /* LoRA B starts at 0 and LayerNorm at 1/0: perturb everything so the adapters matter */
    for (size_t i = 0; i < m->p.total; i++) m->p.values[i] += 0.2f * rng_normal(&r);
    for (int i = 0; i < B * T * C; i++) m->x[i] = rng_normal(&r);
    /* padding: sequence 1 hides prefix positions 1 and 2, sequence 2 hides position 0 (its first row
     * then sees no key at all) and the appended row at position 6 */
    for (int i = 0; i < B * T; i++) m->mask[i] = 1;
    m->mask[1 * T + 1] = m->mask[1 * T + 2] = 0;
    m->mask[2 * T + 0] = m->mask[2 * T + 6] = 0;
}

static void model_free(Model *m) {
    nn_transformer_destroy(&m->tf);
    nn_params_destroy(&m->p);
}

/* Prefill rows 0..T0−1 and extend T0..T−1; out [B,T,C] in forward's layout. keys_only: prefill
 * without outputs (rows 0..T0−1 of out are left as they were). */
static void decode_all(Model *m, int adapter, float *out, int keys_only) {
    Err e;
    float xp[B * T0 * C], xn[B * C];
    uint8_t mp[B * T0], mn[B];
    for (int b = 0; b < B; b++) {
        memcpy(xp + (size_t)b * T0 * C, m->x + (size_t)b * T * C, sizeof(float) * T0 * C);
        memcpy(mp + b * T0, m->mask + b * T, T0);
    }
    const float *y;
    if (keys_only)
        cr_assert_eq(nn_transformer_prefill_keys(&m->tf, &m->p, xp, mp, B, T0, adapter, &e), 0, "%s", e.msg);
    else {
        cr_assert_not_null(y = nn_transformer_prefill(&m->tf, &m->p, xp, mp, B, T0, adapter, &e), "%s", e.msg);
        for (int b = 0; b < B; b++) memcpy(out + (size_t)b * T * C, y + (size_t)b * T0 * C, sizeof(float) * T0 * C);
    }
    for (int t = T0; t < T; t++) {
        for (int b = 0; b < B; b++) {
            memcpy(xn + (size_t)b * C, m->x + ((size_t)b * T + t) * C, sizeof(float) * C);
            mn[b] = m->mask[b * T + t];
        }
        y = nn_transformer_extend(&m->tf, &m->p, xn, mn, &e);
        cr_assert_not_null(y, "%s", e.msg);
        for (int b = 0; b < B; b++) memcpy(out + ((size_t)b * T + t) * C, y + (size_t)b * C, sizeof(float) * C);
    }
}

/* Tolerance: the same float ops in the same order except that sgemm sees N = B rows instead of B·T
 * (different blocking / kernels), ≈ a few ulp per dense layer on values of order 1 after the final
 * LayerNorm: |diff| ≤ 1e-5 · max(1, |reference|). */
static void check_decode(int n_adapters, int adapter, int keys_only) {
    Model m;
    model_init(&m, n_adapters, 7 + (uint64_t)adapter);
    float ref[B * T * C], dec[B * T * C];
    memcpy(ref, nn_transformer_forward(&m.tf, &m.p, m.x, m.mask, B, T, adapter), sizeof ref);
    if (keys_only) memcpy(dec, ref, sizeof dec); /* rows before T0 are not decoded */
    decode_all(&m, adapter, dec, keys_only);
    float worst = 0.0f;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++) {
                size_t i = ((size_t)b * T + t) * C + c;
                float d = fabsf(dec[i] - ref[i]) / fmaxf(1.0f, fabsf(ref[i]));
                worst = fmaxf(worst, d);
                cr_assert_leq(d, 1e-5f, "b %d t %d c %d: decode %.8g forward %.8g", b, t, c, dec[i], ref[i]);
            }
    cr_log_info("decode vs forward (adapters %d, adapter %d): worst relative diff %.3g", n_adapters, adapter, worst);
    /* the adapter matters (else this test could not tell a wrong adapter apart) */
    if (adapter >= 0) {
        const float *base = nn_transformer_forward(&m.tf, &m.p, m.x, m.mask, B, T, -1);
        float most = 0.0f;
        for (int i = 0; i < B * T * C; i++) most = fmaxf(most, fabsf(base[i] - ref[i]));
        cr_assert_gt(most, 1e-2f);
    }
    /* decoding leaves the training forward as it was: bit-identical rerun */
    const float *again = nn_transformer_forward(&m.tf, &m.p, m.x, m.mask, B, T, adapter);
    cr_assert_eq(memcmp(again, ref, sizeof ref), 0);
    model_free(&m);
}

Test(nn_tf_decode, matches_forward_plain) { check_decode(0, -1, 0); }
Test(nn_tf_decode, matches_forward_lora_adapter0) { check_decode(2, 0, 0); }
Test(nn_tf_decode, matches_forward_lora_adapter1) { check_decode(2, 1, 0); }
Test(nn_tf_decode, matches_forward_lora_none) { check_decode(2, -1, 0); }
Test(nn_tf_decode, prefill_keys_then_extend) { check_decode(2, 1, 1); }

Test(nn_tf_decode, prefill_only_and_reuse) {
    /* a second decode over a shorter prefix (T0 − 1 rows, then extends) after a first one: the cache
     * is fully reset by prefill, and prefill with T rows is forward itself (bit-identical) */
    Model m;
    model_init(&m, 2, 21);
    float ref[B * T * C], dec[B * T * C];
    Err e;
    memcpy(ref, nn_transformer_forward(&m.tf, &m.p, m.x, m.mask, B, T, 1), sizeof ref);
    decode_all(&m, 0, dec, 1); /* other adapter: fills the cache with different keys */
    const float *y = nn_transformer_prefill(&m.tf, &m.p, m.x, m.mask, B, T, 1, &e);
    cr_assert_not_null(y, "%s", e.msg);
    cr_assert_eq(memcmp(y, ref, sizeof ref), 0);
    cr_assert_null(nn_transformer_extend(&m.tf, &m.p, m.x, NULL, &e)); /* T rows: full */
    cr_assert(strstr(e.msg, "full"), "%s", e.msg);
    decode_all(&m, 1, dec, 0);
    for (int i = 0; i < B * T * C; i++) cr_assert_leq(fabsf(dec[i] - ref[i]), 1e-5f * fmaxf(1.0f, fabsf(ref[i])));
    model_free(&m);
}

Test(nn_tf_decode, thread_count_independent) {
    Model m;
    model_init(&m, 2, 31);
    float d1[B * T * C], d2[B * T * C];
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    decode_all(&m, 1, d1, 0);
    omp_set_num_threads(2);
    decode_all(&m, 1, d2, 0);
    omp_set_num_threads(nt);
    cr_assert_eq(memcmp(d1, d2, sizeof d1), 0);
    model_free(&m);
}

Test(nn_tf_decode, rejects_misuse) {
    Model m;
    model_init(&m, 0, 41);
    Err e;
    cr_assert_null(nn_transformer_extend(&m.tf, &m.p, m.x, NULL, &e));
    cr_assert(strstr(e.msg, "prefill"), "%s", e.msg);
    cr_assert_null(nn_transformer_prefill(&m.tf, &m.p, m.x, NULL, B + 1, 2, -1, &e));
    cr_assert_null(nn_transformer_prefill(&m.tf, &m.p, m.x, NULL, B, T + 1, -1, &e));
    cr_assert_eq(nn_transformer_prefill_keys(&m.tf, &m.p, m.x, NULL, 0, 2, -1, &e), -1);
    cr_assert_eq(nn_transformer_alloc_decode(&m.tf, B + 1, &e), -1);
    model_free(&m);
    /* non-causal: a new row would change the earlier ones, so no incremental decoding */
    NnParams p;
    NnTransformer tf;
    nn_params_init(&p);
    cr_assert_eq(nn_transformer_declare(&tf, &p, "tf", (NnTransformerConfig){.n_layer = 1, .C = 8, .n_head = 2,
                                                                            .max_B = 1, .max_T = 4}, &e), 0);
    cr_assert_eq(nn_params_alloc(&p, 1, &e), 0);
    cr_assert_eq(nn_transformer_alloc(&tf, &e), 0);
    cr_assert_eq(nn_transformer_alloc_decode(&tf, 1, &e), -1);
    cr_assert(strstr(e.msg, "causal"), "%s", e.msg);
    cr_assert_null(nn_transformer_prefill(&tf, &p, m.x, NULL, 1, 2, -1, &e));
    nn_transformer_destroy(&tf);
    nn_params_destroy(&p);
}
