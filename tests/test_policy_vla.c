/* Token VLA policy family: token vocabularies, exact per-token distributions / entropy / KL against
 * direct computations, Monte-Carlo sampling of decisions and action tokens, gradients of every loss
 * term through the whole network (conv encoder, shared transformer with both LoRA experts, heads),
 * checkpoints, determinism and a tiny imitation run. */
#include <omp.h>
#include "craft/nn_optim.h"
#include "policy/policy_vla.h"
#include "test_policy_hv_util.h"

static Policy *make_vla(int hidden, int horizon, int max_batch, int max_group, int dec_only, uint64_t seed) {
    PolicyConfig c = policy_default_config(POLICY_VLA);
    c.hidden = hidden, c.horizon = horizon, c.max_batch = max_batch, c.max_group = max_group;
    c.vla_decision_only = dec_only;
    Err e;
    Policy *p = policy_create(&c, seed, &e);
    cr_assert_not_null(p, "%s", e.msg);
    cr_assert(policy_needs_bev(p));
    return p;
}



Test(policy_vla, token_vocabularies) {
    /* straight at a bin speed (9.5 m/s = bin 7, heading bin 4 = 0): exact tokens and reconstruction */
    Traj ex = arc_traj(9.5f, 0.0f), t;
    int tok[TRAJ_MAX];
    vla_quantise_traj(&ex, TRAJ_MAX, tok);
    for (int i = 0; i < TRAJ_MAX; i++) cr_assert_eq(tok[i], 7 * VLA_HEAD_BINS + 4);
    vla_decode_tokens(tok, TRAJ_MAX, &t);
    for (int i = 0; i < TRAJ_MAX; i++) cr_assert_float_eq(t.x[i], 4.75f * (i + 1), 1e-4f);
    /* a 0.2 rad/s arc at 8 m/s: 0.1 rad per step is a bin; a token moves along the chord at the
     * midpoint heading with length v·dt, the arc's chord is v·dt·sinc(0.05) (2 mm shorter per step) */
    ex = arc_traj(8.0f, 0.2f);
    vla_quantise_traj(&ex, TRAJ_MAX, tok);
    vla_decode_tokens(tok, TRAJ_MAX, &t);
    for (int i = 0; i < TRAJ_MAX; i++) {
        cr_assert_float_eq(hypotf(t.x[i] - ex.x[i], t.y[i] - ex.y[i]), 0.0f, 0.1f, "step %d", i);
        cr_assert_float_eq(t.heading[i], ex.heading[i], 1e-4f);
    }
    /* off-grid: 6.2 m/s, −0.13 rad/s: between bins 5 and 6.5 m/s (≤ 0.375 m per step) and −0.04/−0.1 rad;
     * the closed-loop quantiser keeps the error bounded (< 0.45 m, 0.06 rad) instead of accumulating it */
    ex = arc_traj(6.2f, -0.13f);
    vla_quantise_traj(&ex, TRAJ_MAX, tok);
    vla_decode_tokens(tok, TRAJ_MAX, &t);
    for (int i = 0; i < TRAJ_MAX; i++) {
        cr_assert_lt(hypotf(t.x[i] - ex.x[i], t.y[i] - ex.y[i]), 0.45f, "step %d", i);
        cr_assert_lt(fabsf(t.heading[i] - ex.heading[i]), 0.06f, "step %d", i);
    }
    /* decisions of the 12 behaviours, with and without a lead vehicle 15 m ahead */
    Obs o;
    memset(&o, 0, sizeof o);
    static const int expect[LAT_COUNT][STYLE_COUNT] = {
        {VLA_DEC_STOP, VLA_DEC_YIELD, VLA_DEC_KEEP_LANE, VLA_DEC_ACCELERATE},
        {VLA_DEC_STOP, VLA_DEC_CHANGE_LEFT, VLA_DEC_CHANGE_LEFT, VLA_DEC_CHANGE_LEFT},
        {VLA_DEC_STOP, VLA_DEC_CHANGE_RIGHT, VLA_DEC_CHANGE_RIGHT, VLA_DEC_CHANGE_RIGHT}};
    for (int l = 0; l < LAT_COUNT; l++)
        for (int s = 0; s < STYLE_COUNT; s++)
            cr_assert_eq(vla_decision_of(behaviour_id(l, s), &o), expect[l][s], "%d/%d", l, s);
    o.agents[0] = 15.0f, o.agents[1] = 0.5f, o.agents[OBS_AGENT_DIM - 1] = 1.0f;
    cr_assert_eq(vla_decision_of(behaviour_id(LAT_KEEP, STYLE_NORMAL), &o), VLA_DEC_FOLLOW);
    cr_assert_str_eq(vla_decision_name(VLA_DEC_FOLLOW), "follow");
}

static double row_sum(const float *lp, int V) {
    double s = 0.0;
    for (int j = 0; j < V; j++) s += exp(lp[j]);
    return s;
}

static double row_entropy(const float *lp, int V) {
    double h = 0.0;
    for (int j = 0; j < V; j++) h -= exp(lp[j]) * lp[j];
    return h;
}

static double row_kl(const float *lp, const float *lq, int V) {
    double k = 0.0;
    for (int j = 0; j < V; j++) k += exp(lp[j]) * ((double)lp[j] - lq[j]);
    return k;
}

static void check_exact(int dec_only) {
    enum { B = 3, G = 2, H = TRAJ_MAX };
    Policy *p = make_vla(16, H, B, G, dec_only, 3 + dec_only);
    hv_perturb(p, 0.05f, 4); /* LoRA B starts at 0: make both experts differ */
    Obs obs[B];
    make_obs(obs, B, 5);
    PolicyAction acts[B * G];
    Rng r;
    rng_seed(&r, 6, 0);
    PolicyAction tmp[B];
    float act_logp[B * G];
    Err e;
    for (int g = 0; g < G; g++) {
        float lp[B];
        cr_assert_eq(policy_act(p, obs, B, &r, 0, tmp, lp, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) acts[b * G + g] = tmp[b], act_logp[b * G + g] = lp[b];
    }
    float logp[B * G], ent[B], kl[B];
    cr_assert_eq(policy_evaluate(p, obs, B, acts, G, logp, ent, &e), 0, "%s", e.msg);
    for (int b = 0; b < B; b++) {
        const float *ld = vla_cached_dec_logp(p, b);
        cr_assert_float_eq(row_sum(ld, VLA_DEC_COUNT), 1.0, 1e-5);
        double h = row_entropy(ld, VLA_DEC_COUNT);
        for (int t = 0; t < H && !dec_only; t++) {
            const float *la = vla_cached_act_logp(p, b * G, t);
            cr_assert_float_eq(row_sum(la, VLA_ACT_VOCAB), 1.0, 1e-5);
            h += row_entropy(la, VLA_ACT_VOCAB);
        }
        cr_assert_float_eq(ent[b], h, 1e-4 * fabs(h) + 1e-5);
        for (int g = 0; g < G; g++) {
            int i = b * G + g;
            double s = ld[acts[i].tokens[0]];
            for (int t = 0; t < H && !dec_only; t++) s += vla_cached_act_logp(p, i, t)[acts[i].tokens[1 + t]];
            cr_assert_float_eq(logp[i], s, 1e-4 * fabs(s) + 1e-5);
            /* the incremental (act) and teacher-forced (evaluate) forwards agree */
            cr_assert_float_eq(act_logp[i], logp[i], 1e-4 * fabs(s) + 1e-4, "act %g vs evaluate %g", act_logp[i], logp[i]);
        }
    }
    Policy *q = policy_clone(p, &e);
    cr_assert_not_null(q, "%s", e.msg);
    cr_assert_eq(policy_evaluate(q, obs, B, acts, G, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_kl(p, q, kl, &e), 0, "%s", e.msg);
    for (int b = 0; b < B; b++) cr_assert_float_eq(kl[b], 0.0f, 1e-6f);
    hv_perturb(q, 0.05f, 7);
    cr_assert_eq(policy_evaluate(q, obs, B, acts, G, NULL, NULL, &e), 0, "%s", e.msg);
    for (int dir = 0; dir < 2; dir++) {
        const Policy *a = dir ? q : p, *c = dir ? p : q;
        cr_assert_eq(policy_kl(a, c, kl, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) {
            double d = row_kl(vla_cached_dec_logp(a, b), vla_cached_dec_logp(c, b), VLA_DEC_COUNT);
            for (int t = 0; t < H && !dec_only; t++)
                d += row_kl(vla_cached_act_logp(a, b * G, t), vla_cached_act_logp(c, b * G, t), VLA_ACT_VOCAB);
            cr_assert_gt(kl[b], 1e-6f);
            cr_assert_float_eq(kl[b], d, 1e-4 * fabs(d) + 1e-6);
        }
    }
    policy_destroy(q);
    policy_destroy(p);
}

Test(policy_vla, density_entropy_kl_exact) { check_exact(0); }
Test(policy_vla, density_entropy_kl_exact_decision_only) { check_exact(1); }

Test(policy_vla, sampling_matches_density) {
    enum { B = 64, ROUNDS = 30, H = 4 };
    hv_single_thread();
    Policy *p = make_vla(16, H, B, 1, 0, 11);
    hv_perturb(p, 0.3f, 12); /* spread the distributions */
    Obs *obs = malloc(B * sizeof *obs);
    make_obs(obs, 1, 13);
    for (int b = 1; b < B; b++) obs[b] = obs[0];
    PolicyAction *acts = malloc(B * sizeof *acts);
    Err e;
    long dcount[VLA_DEC_COUNT] = {0}, acount[VLA_ACT_VOCAB] = {0}, nd = 0;
    Rng r;
    rng_seed(&r, 14, 0);
    /* the decision distribution, and the first action token's distribution given the modal decision */
    cr_assert_eq(policy_act(p, obs, 1, NULL, 1, acts, NULL, &e), 0, "%s", e.msg);
    PolicyAction mode = acts[0];
    cr_assert_eq(policy_evaluate(p, obs, 1, &mode, 1, NULL, NULL, &e), 0, "%s", e.msg);
    float pd[VLA_DEC_COUNT], pa[VLA_ACT_VOCAB];
    for (int d = 0; d < VLA_DEC_COUNT; d++) pd[d] = expf(vla_cached_dec_logp(p, 0)[d]);
    for (int a = 0; a < VLA_ACT_VOCAB; a++) pa[a] = expf(vla_cached_act_logp(p, 0, 0)[a]);
    for (int round = 0; round < ROUNDS; round++) {
        cr_assert_eq(policy_act(p, obs, B, &r, 0, acts, NULL, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) {
            dcount[acts[b].tokens[0]]++;
            if (acts[b].tokens[0] == mode.tokens[0]) nd++, acount[acts[b].tokens[1]]++;
        }
    }
    double N = (double)B * ROUNDS;
    for (int d = 0; d < VLA_DEC_COUNT; d++) {
        double sd = sqrt(pd[d] * (1.0 - pd[d]) / N);
        cr_assert_float_eq(dcount[d] / N, pd[d], 4.5 * sd + 1e-4, "decision %d: %g vs %g", d, dcount[d] / N, pd[d]);
    }
    cr_log_info("vla sampling: %ld of %g samples took the modal decision", nd, N);
    cr_assert_gt(nd, 300);
    for (int a = 0; a < VLA_ACT_VOCAB; a++) {
        double sd = sqrt(pa[a] * (1.0 - pa[a]) / nd);
        cr_assert_float_eq(acount[a] / (double)nd, pa[a], 4.5 * sd + 2e-3, "token %d: %g vs %g", a, acount[a] / (double)nd,
                           pa[a]);
    }
    free(acts);
    free(obs);
    policy_destroy(p);
}

static void check_gradients(int dec_only) {
    enum { B = 2, G = 2, H = 3 };
    hv_single_thread();
    Policy *p = make_vla(16, H, B, G, dec_only, 21);
    hv_perturb(p, 0.1f, 22);
    Obs obs[B];
    make_obs(obs, B, 23);
    PolicyAction acts[B * G];
    sampled_batch(p, obs, B, G, acts, 24);
    Err e;
    Policy *t = policy_clone(p, &e);
    cr_assert_not_null(t, "%s", e.msg);
    hv_perturb(t, 0.2f, 25);
    HvTerm terms[] = {HV_LOGP, HV_ENTROPY, HV_KL_TS, HV_KL_ST, HV_ALL};
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        hv_grad_check(p, t, obs, B, acts, G, terms[i], 1e-2f, 2e-3, 2, 30 + i);
    policy_destroy(t);
    policy_destroy(p);
}

Test(policy_vla, gradients_whole_policy) { check_gradients(0); }
Test(policy_vla, gradients_decision_only) { check_gradients(1); }

Test(policy_vla, checkpoint_and_determinism) {
    enum { B = 3, G = 2 };
    Policy *p = make_vla(16, TRAJ_MAX, B, G, 0, 31), *p2 = make_vla(16, TRAJ_MAX, B, G, 0, 31);
    hv_perturb(p, 0.05f, 32);
    hv_perturb(p2, 0.05f, 32);
    Obs obs[B];
    make_obs(obs, B, 33);
    hv_checkpoint_and_determinism(p, p2, obs, B, G, 34);
}

Test(policy_vla, rejects_bad_input) {
    Policy *p = make_vla(16, TRAJ_MAX, 2, 1, 0, 41);
    Obs obs[1];
    make_obs(obs, 1, 42);
    PolicyAction a, bad;
    Err e;
    Traj ex = arc_traj(5.0f, 0.0f);
    cr_assert_eq(policy_action_from_traj(p, obs, &ex, behaviour_id(LAT_LEFT, STYLE_NORMAL), &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.index, VLA_DEC_CHANGE_LEFT);
    cr_assert_eq(a.n_tokens, 1 + TRAJ_MAX);
    cr_assert_eq(policy_evaluate(p, obs, 1, &a, 1, NULL, NULL, &e), 0, "%s", e.msg);
    bad = a, bad.n_tokens = 3;
    cr_assert_eq(policy_evaluate(p, obs, 1, &bad, 1, NULL, NULL, &e), -1);
    bad = a, bad.tokens[2] = VLA_ACT_VOCAB;
    cr_assert_eq(policy_evaluate(p, obs, 1, &bad, 1, NULL, NULL, &e), -1);
    bad = a, bad.tokens[0] = bad.index = VLA_DEC_COUNT;
    cr_assert_eq(policy_evaluate(p, obs, 1, &bad, 1, NULL, NULL, &e), -1);
    /* a decision-only policy has no action-token factors: no KL against a full one */
    Policy *q = make_vla(16, TRAJ_MAX, 2, 1, 1, 41);
    float kl[1];
    cr_assert_eq(policy_evaluate(q, obs, 1, &a, 1, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(p, obs, 1, &a, 1, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_kl(p, q, kl, &e), -1);
    cr_assert(strstr(e.msg, "decision_only"), "%s", e.msg);
    policy_destroy(q);
    obs[0].instr[1] = VLA_INSTR_VOCAB;
    cr_assert_eq(policy_evaluate(p, obs, 1, &a, 1, NULL, NULL, &e), -1);
    cr_assert(strstr(e.msg, "instruction"), "%s", e.msg);
    obs[0].instr[1] = 1, obs[0].has_bev = 0;
    cr_assert_eq(policy_act(p, obs, 1, NULL, 1, &bad, NULL, &e), -1);
    cr_assert(strstr(e.msg, "BEV"), "%s", e.msg);
    policy_destroy(p);
}

/* Imitation: 6 synthetic scenes whose expert (an arc at the ego speed, curvature from the command)
 * and behaviour label differ; 150 AdamW steps of teacher-forced cross-entropy (−mean log π). */
Test(policy_vla, imitation_reduces_nll) {
    enum { N = 6, STEPS = 150 };
    hv_single_thread();
    Policy *p = make_vla(16, TRAJ_MAX, N, 1, 0, 51);
    Obs obs[N];
    make_obs(obs, N, 52);
    PolicyAction acts[N];
    Err e;
    float nll0 = 0, nll = hv_imitate(p, obs, N, STEPS, 1.0f, acts, &nll0);
    cr_log_info("vla imitation: -log pi %.3f -> %.3f after %d steps", nll0, nll, STEPS);
    /* start ≈ log 7 + 8·log 108 ≈ 39 nats (near-uniform tokens); memorising 6 sequences drives it to ~0 */
    cr_assert_lt(nll, 0.1f * nll0, "-log pi %.3f -> %.3f", nll0, nll);
    cr_assert_lt(nll, 1.0f, "-log pi %.3f -> %.3f", nll0, nll);
    /* greedy decoding now reproduces the expert tokens */
    PolicyAction g[N];
    cr_assert_eq(policy_act(p, obs, N, NULL, 1, g, NULL, &e), 0, "%s", e.msg);
    for (int i = 0; i < N; i++) cr_assert_eq(memcmp(g[i].tokens, acts[i].tokens, sizeof(int) * (1 + TRAJ_MAX)), 0, "scene %d", i);
    policy_destroy(p);
}
