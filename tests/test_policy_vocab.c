/* Vocabulary-family tests: normalisation, sampling frequencies, KL, gradients of every loss term
 * through the whole network against central differences, checkpoints, determinism, the default
 * vocabulary in closed form, k-means and the nearest-entry encoding. States are real observations
 * of demo scenes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "craft/demo.h"
#include "craft/nn_safetensors.h"
#include "craft/policy_vocab.h"

#define NSTATES 3

/* Observations of three demo scenes after a few autopilot steps. */
static void make_obs(Obs *obs) {
    const char *maps[NSTATES] = {"junction4_light", "highway", "tjunction_stop"};
    for (int i = 0; i < NSTATES; i++) {
        DemoScene d;
        Err e;
        cr_assert_eq(demo_scene_create(&d, maps[i], 25, 40 + (uint64_t)i, &e), 0, "%s", e.msg);
        for (int k = 0; k < 10 * (i + 1); k++) { Control c; world_autopilot(d.world, &c); world_step(d.world, &c); }
        cr_assert_eq(obs_encode(d.world, NULL, &obs[i], &e), 0, "%s", e.msg);
        demo_scene_destroy(&d);
    }
}

static Policy *make_policy(int hidden, int V, int max_batch, int max_group, uint64_t seed) {
    PolicyConfig c = policy_default_config(POLICY_VOCAB);
    c.hidden = hidden, c.vocab_size = V, c.max_batch = max_batch, c.max_group = max_group;
    Err e;
    Policy *p = policy_create(&c, seed, &e);
    cr_assert(p, "%s", e.msg);
    return p;
}

/* Every entry of the vocabulary at each of B states (acts[b*V + k] = entry k). */
static PolicyAction *all_entries(const Policy *p, int B) {
    int V = policy_vocab_size(p);
    PolicyAction *a = calloc((size_t)B * V, sizeof *a);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < V; k++) a[b * V + k].index = k;
    return a;
}

/* Adds N(0, scale²) noise to every trainable value (a different "teacher"). */
static void perturb(Policy *p, float scale, uint64_t seed) {
    NnParams *P = policy_params(p);
    Rng r;
    rng_seed(&r, seed, 5);
    for (int t = 0; t < P->n; t++)
        if (!P->tensors[t].frozen)
            for (size_t i = 0; i < P->tensors[t].numel; i++) nn_w(P, t)[i] += scale * rng_normal(&r);
}

static Obs obs_g[NSTATES];
static void setup_obs(void) { make_obs(obs_g); }

Test(policy_vocab, log_prob_normalised_and_entropy_matches, .init = setup_obs) {
    int V = 64;
    Policy *p = make_policy(16, V, NSTATES, V, 1);
    PolicyAction *acts = all_entries(p, NSTATES);
    float logp[NSTATES * 64], ent[NSTATES];
    Err e;
    cr_assert_eq(policy_evaluate(p, obs_g, NSTATES, acts, V, logp, ent, &e), 0, "%s", e.msg);
    PolicyAction greedy[NSTATES];
    float glp[NSTATES];
    for (int b = 0; b < NSTATES; b++) {
        double s = 0.0, h = 0.0;
        int arg = 0;
        for (int k = 0; k < V; k++) {
            double pk = exp((double)logp[b * V + k]);
            s += pk, h -= pk * logp[b * V + k];
            if (logp[b * V + k] > logp[b * V + arg]) arg = k;
        }
        cr_assert_float_eq(s, 1.0, 1e-5, "state %d: sum exp logp = %.8f", b, s);
        cr_assert_float_eq(ent[b], h, 1e-4, "entropy %g vs %g", (double)ent[b], h);
        cr_assert(h > 0.0 && h <= log((double)V) + 1e-5);
        (void)arg;
    }
    cr_assert_eq(policy_act(p, obs_g, NSTATES, NULL, 1, greedy, glp, &e), 0, "%s", e.msg);
    for (int b = 0; b < NSTATES; b++) {
        int arg = 0;
        for (int k = 1; k < V; k++)
            if (logp[b * V + k] > logp[b * V + arg]) arg = k;
        cr_assert_eq(greedy[b].index, arg);
        cr_assert_eq(glp[b], logp[b * V + arg]);
        Traj t;
        policy_vocab_entry(p, arg, &t);
        cr_assert_eq(memcmp(&t, &greedy[b].traj, sizeof t), 0, "the action carries its entry's trajectory");
    }
    /* act overwrote the cached batch: backward must refuse */
    cr_assert_eq(policy_backward(p, &(PolicyLossGrad){.dentropy = ent}, &e), -1);
    free(acts);
    policy_destroy(p);
}

Test(policy_vocab, sampled_frequencies_match_probabilities, .init = setup_obs) {
    int V = 16, B = 64, calls = 400, N = B * calls;
    Policy *p = make_policy(16, V, B, V, 2);
    /* a spread-out distribution: biases 0.25·k on top of the scene logits */
    float *bias = nn_w(policy_params(p), nn_params_find(policy_params(p), "head.bias"));
    for (int k = 0; k < V; k++) bias[k] = 0.25f * (float)k;
    static Obs obs[64];
    for (int b = 0; b < B; b++) obs[b] = obs_g[0];
    PolicyAction *acts = all_entries(p, 1), out[64];
    float logp[16], slp[64];
    Err e;
    cr_assert_eq(policy_evaluate(p, obs, 1, acts, V, logp, NULL, &e), 0, "%s", e.msg);
    int count[16] = {0};
    Rng r;
    rng_seed(&r, 77, 1);
    for (int c = 0; c < calls; c++) {
        cr_assert_eq(policy_act(p, obs, B, &r, 0, out, slp, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) {
            count[out[b].index]++;
            cr_assert_eq(slp[b], logp[out[b].index], "act's logp differs from evaluate's");
        }
    }
    /* each count is Binomial(N, p_k): within 4.5 standard deviations (all 16 pass with prob > 0.9999) */
    for (int k = 0; k < V; k++) {
        double pk = exp((double)logp[k]), sd = sqrt(N * pk * (1 - pk));
        cr_assert(fabs(count[k] - N * pk) <= 4.5 * sd + 1.0, "entry %d: %d draws, expected %.1f ± %.1f", k, count[k],
                  N * pk, sd);
    }
    free(acts);
    policy_destroy(p);
}

Test(policy_vocab, kl_zero_nonnegative_and_exact, .init = setup_obs) {
    int V = 32;
    Policy *p = make_policy(16, V, NSTATES, V, 3);
    Err e;
    Policy *q = policy_clone(p, &e);
    cr_assert(q, "%s", e.msg);
    PolicyAction *acts = all_entries(p, NSTATES);
    float lp[NSTATES * 32], lq[NSTATES * 32], kl[NSTATES], klr[NSTATES];
    cr_assert_eq(policy_evaluate(p, obs_g, NSTATES, acts, V, lp, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(q, obs_g, NSTATES, acts, V, lq, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(lp, lq, sizeof lp), 0, "a clone computes bit-identical log π");
    cr_assert_eq(policy_kl(p, q, kl, &e), 0, "%s", e.msg);
    for (int b = 0; b < NSTATES; b++) cr_assert_eq(kl[b], 0.0f, "KL(p‖p) = %g", (double)kl[b]);
    perturb(q, 0.3f, 9);
    cr_assert_eq(policy_evaluate(q, obs_g, NSTATES, acts, V, lq, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_kl(p, q, kl, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_kl(q, p, klr, &e), 0, "%s", e.msg);
    for (int b = 0; b < NSTATES; b++) {
        double d = 0.0, dr = 0.0;
        for (int k = 0; k < V; k++) {
            double a = lp[b * V + k], c = lq[b * V + k];
            d += exp(a) * (a - c), dr += exp(c) * (c - a);
        }
        cr_assert_gt(kl[b], 1e-3f, "the perturbed policy should differ");
        cr_assert_geq(klr[b], 0.0f);
        cr_assert_float_eq(kl[b], d, 1e-4 + 1e-3 * d, "KL(p‖q) %g vs direct %g", (double)kl[b], d);
        cr_assert_float_eq(klr[b], dr, 1e-4 + 1e-3 * dr, "KL(q‖p) %g vs direct %g", (double)klr[b], dr);
    }
    /* a policy evaluated on a different batch is refused */
    cr_assert_eq(policy_evaluate(q, obs_g, 2, acts, V, lq, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_kl(p, q, kl, &e), -1);
    free(acts);
    policy_destroy(q);
    policy_destroy(p);
}

/* ---- gradients through the whole policy ------------------------------------------------------- */
enum { TERM_LOGP, TERM_ENTROPY, TERM_KL_TS, TERM_KL_ST };

typedef struct {
    Policy *p, *t;
    const PolicyAction *acts;
    int B, G;
    float R[NSTATES * 4], r[NSTATES];
    int term;
} GradRig;

static double rig_loss(GradRig *g) {
    float logp[NSTATES * 4], ent[NSTATES], kl[NSTATES];
    Err e;
    cr_assert_eq(policy_evaluate(g->p, obs_g, g->B, g->acts, g->G, logp, ent, &e), 0, "%s", e.msg);
    double L = 0.0;
    switch (g->term) {
    case TERM_LOGP: for (int i = 0; i < g->B * g->G; i++) L += (double)g->R[i] * logp[i]; break;
    case TERM_ENTROPY: for (int b = 0; b < g->B; b++) L += (double)g->r[b] * ent[b]; break;
    case TERM_KL_TS:
        cr_assert_eq(policy_kl(g->t, g->p, kl, &e), 0, "%s", e.msg);
        for (int b = 0; b < g->B; b++) L += 0.7 * kl[b];
        break;
    default:
        cr_assert_eq(policy_kl(g->p, g->t, kl, &e), 0, "%s", e.msg);
        for (int b = 0; b < g->B; b++) L += 1.3 * kl[b];
        break;
    }
    return L;
}

/* Central differences (eps = 2e-3) on float32 forwards of a tiny network: truncation ~1e-6,
 * round-off ~ 1e-7 · |L terms| / eps ≈ 1e-4. Tolerance |ana − num| ≤ 2e-3 + 2e-2 |num|, as the nn op
 * checks; a missing term or a wrong sign is off by O(|grad|) and fails. Max-pool / ReLU kinks crossed
 * by a probe are counted and allowed in at most 3 % of probes. */
static void check_term(GradRig *g, int term) {
    g->term = term;
    NnParams *P = policy_params(g->p);
    rig_loss(g);
    nn_params_zero_grad(P);
    PolicyLossGrad lg = {0};
    if (term == TERM_LOGP) lg.dlogp = g->R;
    if (term == TERM_ENTROPY) lg.dentropy = g->r;
    if (term == TERM_KL_TS) lg.teacher = g->t, lg.w_kl_teacher_student = 0.7f;
    if (term == TERM_KL_ST) lg.teacher = g->t, lg.w_kl_student_teacher = 1.3f;
    Err e;
    cr_assert_eq(policy_backward(g->p, &lg, &e), 0, "%s", e.msg);
    float *ana = malloc(P->total * sizeof *ana);
    memcpy(ana, P->grads, P->total * sizeof *ana);
    const float eps = 2e-3f;
    int probes = 0, bad = 0, nonzero = 0;
    for (int t = 0; t < P->n; t++) {
        const NnTensor *T = &P->tensors[t];
        if (T->frozen) continue;
        size_t step = T->numel > 6 ? T->numel / 6 : 1;
        for (size_t i = 0; i < T->numel; i += step) {
            float *w = nn_w(P, t) + i, w0 = *w;
            *w = w0 + eps;
            double lp = rig_loss(g);
            *w = w0 - eps;
            double lm = rig_loss(g);
            *w = w0;
            double num = (lp - lm) / (2.0 * eps), a = ana[T->offset + i];
            probes++;
            nonzero += fabs(num) > 1e-3;
            if (fabs(a - num) > 2e-3 + 2e-2 * fabs(num) && bad++ < 5)
                cr_log_error("term %d %s[%zu]: analytic %.6g numeric %.6g", term, T->name, i, a, num);
        }
    }
    free(ana);
    cr_log_info("term %d: %d probes, %d non-zero, %d off", term, probes, nonzero, bad);
    cr_assert_leq(bad, probes * 3 / 100, "term %d: %d of %d probes disagree", term, bad, probes);
    cr_assert_geq(nonzero, probes / 3, "term %d: only %d of %d gradients are non-zero (vacuous check)", term, nonzero, probes);
}

Test(policy_vocab, gradients_match_finite_differences, .init = setup_obs) {
    int V = 12, G = 3;
    GradRig g = {.B = NSTATES, .G = G};
    g.p = make_policy(8, V, NSTATES, G, 4);
    perturb(g.p, 0.3f, 12); /* away from the near-uniform start, where dH/dθ ≈ 0 */
    Err e;
    g.t = policy_clone(g.p, &e);
    cr_assert(g.t, "%s", e.msg);
    perturb(g.t, 0.2f, 10);
    PolicyAction acts[NSTATES * 3] = {0};
    Rng r;
    rng_seed(&r, 5, 5);
    for (int i = 0; i < NSTATES * G; i++) acts[i].index = (int)rng_below(&r, (uint32_t)V), g.R[i] = rng_normal(&r);
    for (int b = 0; b < NSTATES; b++) g.r[b] = rng_normal(&r);
    g.acts = acts;
    float logp[NSTATES * 3];
    cr_assert_eq(policy_evaluate(g.t, obs_g, NSTATES, acts, G, logp, NULL, &e), 0, "%s", e.msg);
    check_term(&g, TERM_LOGP);
    check_term(&g, TERM_ENTROPY);
    check_term(&g, TERM_KL_TS);
    check_term(&g, TERM_KL_ST);
    policy_destroy(g.t);
    policy_destroy(g.p);
}

/* ---- checkpoints, determinism ----------------------------------------------------------------- */
static Traj traj_line(float v, float lat, float noise, Rng *r) {
    Traj t = {.n = TRAJ_MAX};
    for (int w = 0; w < TRAJ_MAX; w++) {
        float s = v * TRAJ_DT * (float)(w + 1);
        t.x[w] = s + noise * rng_normal(r);
        t.y[w] = lat * s / 20.0f + noise * rng_normal(r);
        t.heading[w] = atanf(lat / 20.0f);
    }
    return t;
}

Test(policy_vocab, save_load_bit_identical_and_shape_errors, .init = setup_obs) {
    int V = 16;
    Policy *p = make_policy(16, V, NSTATES, V, 5);
    Rng r;
    rng_seed(&r, 1, 1);
    Traj trajs[64];
    for (int i = 0; i < 64; i++) trajs[i] = traj_line(2.0f + 0.25f * (float)i, (float)(i % 5) - 2.0f, 0.1f, &r);
    Err e;
    cr_assert_eq(policy_vocab_fit_kmeans(p, trajs, 64, 20, &r, &e), 0, "%s", e.msg);
    char path[] = "/tmp/craft_vocab_ckpt_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(policy_save(p, path, &e), 0, "%s", e.msg);
    Policy *q = policy_load(path, NSTATES, V, &e);
    cr_assert(q, "%s", e.msg);
    cr_assert_eq(policy_config(q)->hidden, 16);
    cr_assert_eq(policy_vocab_size(q), V);
    for (int k = 0; k < V; k++) {
        Traj a, b;
        policy_vocab_entry(p, k, &a);
        policy_vocab_entry(q, k, &b);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "the k-means vocabulary travels with the checkpoint");
    }
    PolicyAction *acts = all_entries(p, NSTATES);
    float lp[NSTATES * 16], lq[NSTATES * 16];
    cr_assert_eq(policy_evaluate(p, obs_g, NSTATES, acts, V, lp, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(q, obs_g, NSTATES, acts, V, lq, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(lp, lq, sizeof lp), 0, "loaded policy gives different log π");

    /* a checkpoint whose metadata claims hidden = 32 while its tensors are hidden = 16 */
    NnMeta m = {0};
    nn_meta_set(&m, "format", "craft-policy-1");
    nn_meta_set(&m, "family", "vocab");
    nn_meta_set(&m, "horizon", "8");
    nn_meta_set(&m, "hidden", "32");
    nn_meta_set(&m, "vocab_size", "16");
    nn_meta_set(&m, "vla_decision_only", "0");
    cr_assert_eq(nn_safetensors_save(path, policy_params_const(p), &m, &e), 0, "%s", e.msg);
    e.msg[0] = 0;
    cr_assert_null(policy_load(path, NSTATES, V, &e));
    cr_assert(strstr(e.msg, "shape") || strstr(e.msg, "mismatch"), "unclear error: %s", e.msg);
    /* the same tensors labelled as another family */
    nn_meta_set(&m, "hidden", "16");
    nn_meta_set(&m, "family", "hier");
    cr_assert_eq(nn_safetensors_save(path, policy_params_const(p), &m, &e), 0, "%s", e.msg);
    e.msg[0] = 0;
    cr_assert_null(policy_load(path, NSTATES, V, &e));
    cr_assert_neq(e.msg[0], 0);
    /* not a policy checkpoint at all */
    NnMeta none = {0};
    nn_meta_set(&none, "family", "vocab");
    cr_assert_eq(nn_safetensors_save(path, policy_params_const(p), &none, &e), 0, "%s", e.msg);
    cr_assert_null(policy_load(path, NSTATES, V, &e));
    cr_assert(strstr(e.msg, "not a craft policy checkpoint"), "%s", e.msg);
    unlink(path);
    free(acts);
    policy_destroy(q);
    policy_destroy(p);
}

Test(policy_vocab, same_seed_same_outputs, .init = setup_obs) {
    Policy *a = make_policy(16, 32, NSTATES, 1, 6), *b = make_policy(16, 32, NSTATES, 1, 6), *c = make_policy(16, 32, NSTATES, 1, 7);
    PolicyAction ra[NSTATES], rb[NSTATES], rc[NSTATES];
    float la[NSTATES], lb[NSTATES], lc[NSTATES];
    Rng r1, r2, r3;
    rng_seed(&r1, 9, 0), rng_seed(&r2, 9, 0), rng_seed(&r3, 9, 0);
    Err e;
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(policy_act(a, obs_g, NSTATES, &r1, 0, ra, la, &e), 0, "%s", e.msg);
        cr_assert_eq(policy_act(b, obs_g, NSTATES, &r2, 0, rb, lb, &e), 0, "%s", e.msg);
        cr_assert_eq(memcmp(ra, rb, sizeof ra), 0);
        cr_assert_eq(memcmp(la, lb, sizeof la), 0);
    }
    cr_assert_eq(policy_act(c, obs_g, NSTATES, &r3, 0, rc, lc, &e), 0, "%s", e.msg);
    cr_assert_neq(memcmp(la, lc, sizeof la), 0, "another seed should give another network");
    policy_destroy(a), policy_destroy(b), policy_destroy(c);
}

/* ---- the vocabulary ------------------------------------------------------------------------- */
Test(policy_vocab, default_vocabulary_closed_form) {
    Policy *p = make_policy(8, 256, 1, 1, 0);
    /* V = 256: 16 shapes × 16 profiles; (v0, v1) on {0, 6, 12, 18}²; 12 turns, 4 lane changes */
    Traj t;
    policy_vocab_entry(p, (1 * 4 + 1) * 16 + 0, &t); /* v0 = v1 = 6, straight */
    cr_assert_eq(t.n, 8);
    for (int w = 0; w < 8; w++) {
        cr_assert_float_eq(t.x[w], 3.0f * (w + 1), 1e-4f);
        cr_assert_float_eq(t.y[w], 0.0f, 1e-6f);
        cr_assert_float_eq(t.heading[w], 0.0f, 1e-6f);
    }
    policy_vocab_entry(p, (2 * 4 + 0) * 16 + 10, &t); /* v0 = 12 -> v1 = 0 over 4 s; shape 10: -90° turn */
    float L = 0.5f * 12.0f * 4.0f, k = -0.5f * 3.14159265f / L;
    for (int w = 0; w < 8; w++) {
        float tt = 0.5f * (w + 1), s = 12.0f * tt - 0.5f * 12.0f * tt * tt / 4.0f;
        cr_assert_float_eq(t.heading[w], k * s, 1e-4f);
        cr_assert_float_eq(t.x[w], sinf(k * s) / k, 1e-3f);
        cr_assert_float_eq(t.y[w], (1 - cosf(k * s)) / k, 1e-3f);
    }
    cr_assert_float_eq(t.heading[7], -0.5f * 3.14159265f, 1e-4f);
    policy_vocab_entry(p, (3 * 4 + 3) * 16 + 12, &t); /* 18 m/s, lane change +1.75 m */
    cr_assert_float_eq(t.y[7], 1.75f, 1e-4f);
    cr_assert_float_eq(t.x[7], 72.0f, 1e-3f);
    cr_assert_float_eq(t.heading[7], 0.0f, 1e-5f);
    cr_assert_float_eq(t.y[3], 1.75f * 0.25f * (3 - 1.0f), 1e-4f); /* halfway in s (36 of 72 m) -> u = .5: 0.875 */
    /* a vocabulary entry encodes to itself */
    PolicyAction a;
    Obs dummy = {0};
    policy_vocab_entry(p, 77, &t);
    Err e;
    cr_assert_eq(policy_action_from_traj(p, &dummy, &t, 0, &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.index, 77);
    cr_assert_eq(memcmp(&a.traj, &t, sizeof t), 0);
    policy_destroy(p);
}

Test(policy_vocab, kmeans_recovers_cluster_centres) {
    Policy *p = make_policy(8, 3, 1, 1, 0);
    Rng r;
    rng_seed(&r, 3, 3);
    enum { N = 300 };
    static Traj trajs[N];
    const float speeds[3] = {2.0f, 8.0f, 14.0f}, lats[3] = {0.0f, 3.0f, -3.0f};
    for (int i = 0; i < N; i++) trajs[i] = traj_line(speeds[i % 3], lats[i % 3], 0.2f, &r);
    Rng k1, k2;
    rng_seed(&k1, 11, 0), rng_seed(&k2, 11, 0);
    Err e;
    cr_assert_eq(policy_vocab_fit_kmeans(p, trajs, N, 50, &k1, &e), 0, "%s", e.msg);
    /* each true centre is matched by one entry within 4 sd of the mean of 100 points (0.2/10 · 4) */
    for (int c = 0; c < 3; c++) {
        Rng z;
        rng_seed(&z, 0, 0);
        Traj truth = traj_line(speeds[c], lats[c], 0.0f, &z);
        float d;
        int k = policy_vocab_nearest(p, &truth, &d);
        cr_assert_lt(d, 0.08f, "centre %d: nearest entry %d at %.3f m", c, k, (double)d);
        Traj ent;
        policy_vocab_entry(p, k, &ent);
        cr_assert_float_eq(ent.heading[3], truth.heading[3], 1e-4f);
    }
    /* deterministic for the same Rng state */
    Policy *q = make_policy(8, 3, 1, 1, 0);
    cr_assert_eq(policy_vocab_fit_kmeans(q, trajs, N, 50, &k2, &e), 0, "%s", e.msg);
    for (int k = 0; k < 3; k++) {
        Traj a, b;
        policy_vocab_entry(p, k, &a), policy_vocab_entry(q, k, &b);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    }
    cr_assert_eq(policy_vocab_fit_kmeans(q, trajs, 2, 50, &k2, &e), -1);
    cr_assert(strstr(e.msg, "need n >= V"), "%s", e.msg);
    policy_destroy(q);
    policy_destroy(p);
}

/* Acting keeps the entry embeddings between calls: after the weights change, it must act as a fresh
 * copy of the changed policy does, and evaluate must agree with act. */
Test(policy_vocab, act_reuses_entry_embeddings_only_while_weights_are_unchanged, .init = setup_obs) {
    int V = 32;
    Policy *p = make_policy(16, V, NSTATES, V, 8);
    Err e;
    PolicyAction a, b;
    float lp_a, lp_b, lp_eval[32];
    cr_assert_eq(policy_act(p, obs_g, 1, NULL, 1, &a, &lp_a, &e), 0, "%s", e.msg);
    NnParams *ps = policy_params(p);
    for (size_t i = 0; i < ps->total; i++) ps->values[i] *= 1.25f;
    cr_assert_eq(policy_act(p, obs_g, 1, NULL, 1, &a, &lp_a, &e), 0, "%s", e.msg);
    Policy *q = policy_clone(p, &e);
    cr_assert_not_null(q, "%s", e.msg);
    cr_assert_eq(policy_act(q, obs_g, 1, NULL, 1, &b, &lp_b, &e), 0, "%s", e.msg);
    cr_assert_eq(a.index, b.index);
    cr_assert_eq(lp_a, lp_b, "a stale embedding would give %g, a fresh one %g", lp_a, lp_b);
    PolicyAction *all = all_entries(p, 1);
    cr_assert_eq(policy_evaluate(p, obs_g, 1, all, V, lp_eval, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(lp_eval[a.index], lp_a);
    free(all);
    policy_destroy(q);
    policy_destroy(p);
}

Test(policy_vocab, top_entries_and_bad_input, .init = setup_obs) {
    int V = 32, G = 5;
    Policy *p = make_policy(16, V, NSTATES, V, 8);
    PolicyAction top[NSTATES * 5], *acts = all_entries(p, NSTATES);
    float tlp[NSTATES * 5], lp[NSTATES * 32];
    Err e;
    cr_assert_eq(policy_vocab_top_entries(p, obs_g, NSTATES, G, top, tlp, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(p, obs_g, NSTATES, acts, V, lp, NULL, &e), 0, "%s", e.msg);
    for (int b = 0; b < NSTATES; b++) {
        for (int g = 0; g < G; g++) {
            cr_assert_eq(tlp[b * G + g], lp[b * V + top[b * G + g].index]);
            if (g) cr_assert_geq(tlp[b * G + g - 1], tlp[b * G + g]);
        }
        int above = 0; /* entries strictly better than the G-th: fewer than G */
        for (int k = 0; k < V; k++) above += lp[b * V + k] > tlp[b * G + G - 1];
        cr_assert_lt(above, G);
    }
    for (int b = 0; b < NSTATES; b++) { /* the fused call: policy_act's draw and the same group */
        Rng r1, r2;
        rng_seed(&r1, 77, (uint64_t)b), rng_seed(&r2, 77, (uint64_t)b);
        PolicyAction sampled, fused, group[5];
        cr_assert_eq(policy_act(p, &obs_g[b], 1, &r1, 0, &sampled, NULL, &e), 0, "%s", e.msg);
        cr_assert_eq(policy_vocab_act_and_top(p, &obs_g[b], &r2, &fused, G, group, &e), 0, "%s", e.msg);
        cr_assert_eq(memcmp(&sampled, &fused, sizeof sampled), 0);
        cr_assert_eq(rng_uniform(&r1), rng_uniform(&r2), "the same number of draws");
        for (int g = 0; g < G; g++) cr_assert_eq(memcmp(&group[g], &top[b * G + g], sizeof *group), 0);
    }
    cr_assert_eq(policy_vocab_act_and_top(p, obs_g, NULL, top, G, top + 1, &e), -1);
    cr_assert(strstr(e.msg, "needs an Rng"), "%s", e.msg);
    acts[4].index = V;
    cr_assert_eq(policy_evaluate(p, obs_g, NSTATES, acts, V, lp, NULL, &e), -1);
    cr_assert(strstr(e.msg, "vocabulary index"), "%s", e.msg);
    cr_assert_eq(policy_backward(p, &(PolicyLossGrad){0}, &e), -1, "a failed evaluate leaves no batch");
    free(acts);
    policy_destroy(p);
}
