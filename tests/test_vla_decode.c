/* VLA act decodes incrementally (key/value cache): its plans must be the ones full teacher-forced
 * passes (policy_evaluate) give — greedy tokens are the per-position argmax, log π agrees, sampled
 * tokens are the categorical draws of those distributions in the same draw order — and it is
 * deterministic, independent of how states are batched, and works on the shipped checkpoint. */
#include "policy/policy_family_util.h"
#include "policy/policy_vla.h"
#include "test_policy_hv_util.h"

enum { NB = 4, H = TRAJ_MAX };

static Policy *make(int hidden, uint64_t seed) {
    PolicyConfig c = policy_default_config(POLICY_VLA);
    c.hidden = hidden, c.horizon = H, c.max_batch = NB;
    Err e;
    Policy *p = policy_create(&c, seed, &e);
    cr_assert_not_null(p, "%s", e.msg);
    hv_perturb(p, 0.3f, seed + 1); /* LoRA B starts at 0: make the experts differ, spread the tokens */
    return p;
}

/* Is token k the argmax of row lp? Exact, unless the top two are within 1e-5 (act and evaluate differ
 * by float rounding ~1e-6, which may swap a near tie): then k must be one of them. */
static int is_argmax(const float *lp, int V, int k, int *near_ties) {
    int m = pfu_argmax(lp, V);
    if (m == k) return 1;
    if (lp[m] - lp[k] <= 1e-5f) return ++*near_ties, 1;
    return 0;
}

/* Greedy act against teacher forcing: each position's argmax under evaluate is the chosen token, and
 * act's log π equals evaluate's within 1e-4 (a sum of 1 + H log-probabilities of a few nats each,
 * float rounding ≈ 1e-6; an off-by-one position or a wrong adapter is off by O(1)). */
static void check_greedy(Policy *p, const Obs *obs, int B) {
    PolicyAction g[NB];
    float la[NB], le[NB];
    Err e;
    int ties = 0;
    cr_assert_eq(policy_act(p, obs, B, NULL, 1, g, la, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(p, obs, B, g, 1, le, NULL, &e), 0, "%s", e.msg);
    for (int b = 0; b < B; b++) {
        cr_assert(is_argmax(vla_cached_dec_logp(p, b), VLA_DEC_COUNT, g[b].tokens[0], &ties), "state %d decision", b);
        for (int t = 0; t < H; t++)
            cr_assert(is_argmax(vla_cached_act_logp(p, b, t), VLA_ACT_VOCAB, g[b].tokens[1 + t], &ties),
                      "state %d action token %d", b, t);
        cr_assert_float_eq(la[b], le[b], 1e-4f, "state %d: act log pi %.7g, evaluate %.7g", b, la[b], le[b]);
    }
    cr_log_info("greedy decode: %d near ties (top two within 1e-5)", ties);
}

Test(policy_vla_decode, greedy_is_teacher_forced_argmax) {
    hv_single_thread();
    Policy *p = make(32, 61); /* C 32: two attention heads */
    Obs obs[NB];
    make_obs(obs, NB, 62); /* instructions of 3-8 tokens: padded (masked) prefix positions */
    check_greedy(p, obs, NB);
    policy_destroy(p);
}

Test(policy_vla_decode, shipped_checkpoint_loads_and_decodes) {
    const char *path = "data/policies/vla_small.safetensors";
    if (access(path, R_OK)) cr_skip_test("run from the repository root: %s not found", path);
    Err e;
    Policy *p = policy_load(path, NB, 1, &e);
    cr_assert_not_null(p, "%s", e.msg);
    Obs obs[NB];
    make_obs(obs, NB, 63);
    check_greedy(p, obs, NB);
    policy_destroy(p);
}

/* Sampling replays the old full-pass draw order: all decisions (states in order), then per action
 * position all states. Replaying those draws from the same RNG state on evaluate's distributions
 * must give the same tokens (they differ from act's only by ~1e-6 rounding, so a draw could only flip
 * within ~1e-6 of a cumulative boundary) and leave the RNG where act left it. */
Test(policy_vla_decode, sampling_draw_order_and_determinism) {
    hv_single_thread();
    Policy *p = make(16, 71);
    Obs obs[NB];
    make_obs(obs, NB, 72);
    Rng r0, r1, r2;
    rng_seed(&r0, 73, 0);
    r1 = r2 = r0;
    PolicyAction a1[NB], a2[NB];
    float l1[NB], l2[NB], le[NB];
    Err e;
    cr_assert_eq(policy_act(p, obs, NB, &r1, 0, a1, l1, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_act(p, obs, NB, &r2, 0, a2, l2, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(a1, a2, sizeof a1), 0, "equal RNG states, different actions");
    cr_assert_eq(memcmp(l1, l2, sizeof l1), 0);
    cr_assert_eq(memcmp(&r1, &r2, sizeof r1), 0);
    cr_assert_eq(policy_evaluate(p, obs, NB, a1, 1, le, NULL, &e), 0, "%s", e.msg);
    Rng rr = r0;
    for (int b = 0; b < NB; b++)
        cr_assert_eq(pfu_sample_categorical(vla_cached_dec_logp(p, b), VLA_DEC_COUNT, &rr), a1[b].tokens[0], "state %d", b);
    int differs_from_greedy = 0;
    for (int t = 0; t < H; t++)
        for (int b = 0; b < NB; b++) {
            const float *lp = vla_cached_act_logp(p, b, t);
            cr_assert_eq(pfu_sample_categorical(lp, VLA_ACT_VOCAB, &rr), a1[b].tokens[1 + t], "state %d token %d", b, t);
            differs_from_greedy += pfu_argmax(lp, VLA_ACT_VOCAB) != a1[b].tokens[1 + t];
        }
    cr_assert_eq(memcmp(&rr, &r1, sizeof rr), 0, "act drew a different number of uniforms");
    cr_assert_gt(differs_from_greedy, 0, "samples all equal the mode: the test could not see the draws");
    for (int b = 0; b < NB; b++) cr_assert_float_eq(l1[b], le[b], 1e-4f, "state %d", b);
    policy_destroy(p);
}

/* Acting on each state alone gives the plans of acting on the batch (rows do not interact); log π
 * within 1e-5 (sgemm over 1 vs 4 rows may round differently). */
Test(policy_vla_decode, batch_of_one_equals_batch) {
    hv_single_thread();
    Policy *p = make(32, 81);
    Obs obs[NB];
    make_obs(obs, NB, 82);
    PolicyAction all[NB], one;
    float lall[NB], l1;
    Err e;
    cr_assert_eq(policy_act(p, obs, NB, NULL, 1, all, lall, &e), 0, "%s", e.msg);
    for (int b = 0; b < NB; b++) {
        cr_assert_eq(policy_act(p, &obs[b], 1, NULL, 1, &one, &l1, &e), 0, "%s", e.msg);
        cr_assert_eq(memcmp(one.tokens, all[b].tokens, sizeof one.tokens), 0, "state %d", b);
        cr_assert_float_eq(l1, lall[b], 1e-5f * fmaxf(1.0f, fabsf(lall[b])), "state %d", b);
    }
    policy_destroy(p);
}
