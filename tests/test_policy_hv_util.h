/* Shared helpers of the hierarchical and VLA policy tests: deterministic pseudo-random observations,
 * a whole-policy finite-difference gradient check of log π / entropy / both KL directions, and a
 * save → load round trip. */
#ifndef CRAFT_TEST_POLICY_HV_UTIL_H
#define CRAFT_TEST_POLICY_HV_UTIL_H
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <omp.h>
#include "craft/nn_optim.h"
#include "craft/policy.h"
#include "craft/rng.h"

/* Tests that run thousands of tiny forwards pin OpenMP to one thread: the runner already keeps both
 * cores busy (--jobs 2), and a parallel region whose second thread is descheduled waits a scheduler
 * tick — 10x slower for these sizes. Thread-count independence is tested separately (1 vs 2). */
static inline void hv_single_thread(void) { omp_set_num_threads(1); }

/* A plausible scene: a route curving gently ahead, about half the agents and polylines valid,
 * random one-hot types/kinds, a random command, a sparse BEV and an instruction of 3-8 tokens. */
static inline void hv_fill_obs(Obs *o, Rng *r) {
    memset(o, 0, sizeof *o);
    o->ego[0] = rng_range(r, 0.0f, 14.0f);
    for (int d = 1; d < OBS_EGO_DIM; d++) o->ego[d] = 0.5f * rng_normal(r);
    o->ego[5] = 13.9f;
    float curv = rng_range(r, -0.02f, 0.02f), hd = 0.0f, x = 0.0f, y = 0.0f;
    for (int i = 0; i < OBS_ROUTE_PTS; i++) {
        x += 2.0f * cosf(hd), y += 2.0f * sinf(hd), hd += 2.0f * curv;
        float *p = o->route + i * OBS_ROUTE_DIM;
        p[0] = x, p[1] = y, p[2] = cosf(hd), p[3] = sinf(hd);
    }
    for (int k = 0; k < OBS_AGENTS; k++) {
        float *a = o->agents + k * OBS_AGENT_DIM;
        if (rng_uniform(r) < 0.5f) continue; /* invalid: all zeros */
        float h = rng_range(r, -3.1f, 3.1f);
        a[0] = rng_range(r, -40, 40), a[1] = rng_range(r, -20, 20), a[2] = cosf(h), a[3] = sinf(h);
        a[4] = rng_range(r, -10, 10), a[5] = rng_range(r, -2, 2), a[6] = rng_range(r, 3.5f, 5.5f);
        a[7] = rng_range(r, 1.6f, 2.2f), a[8 + rng_below(r, 7)] = 1.0f, a[15] = 1.0f;
    }
    for (int m = 0; m < OBS_MAP_POLYS; m++) {
        float *meta = o->map_meta + m * OBS_MAP_META_DIM;
        if (rng_uniform(r) < 0.4f) continue;
        for (int i = 0; i < OBS_MAP_PTS * OBS_MAP_PT_DIM; i++) o->map_pts[m * OBS_MAP_PTS * OBS_MAP_PT_DIM + i] = rng_range(r, -40, 40);
        meta[rng_below(r, 4)] = 1.0f, meta[4 + rng_below(r, 4)] = 1.0f, meta[8] = 0.7f, meta[9] = 1.0f;
    }
    o->command = (int32_t)rng_below(r, CMD_COUNT);
    o->has_bev = 1;
    for (int i = 0; i < OBS_BEV_CH * OBS_BEV * OBS_BEV; i++) if (rng_uniform(r) < 0.2f) o->bev[i] = rng_uniform(r) > 0.0f; /* two draws per set cell, as when */
        else o->bev[i] = 0;                                            /* the raster held floats */
    int n = 3 + (int)rng_below(r, OBS_INSTR_LEN - 2);
    for (int i = 0; i < n; i++) o->instr[i] = 1 + (int32_t)rng_below(r, 30);
}

typedef enum { HV_LOGP, HV_ENTROPY, HV_KL_TS, HV_KL_ST, HV_ALL } HvTerm;

/* L = Σ r_i log π_i | Σ s_b H_b | Σ KL(T‖p) | Σ KL(p‖T) | all four (weights 0.7 / 0.6 for the KLs). */
static inline double hv_loss(Policy *p, Policy *t, const Obs *obs, int B, const PolicyAction *acts, int G,
                             const float *r, const float *s, HvTerm term) {
    float logp[64], ent[16], kl[16];
    Err e;
    cr_assert_eq(policy_evaluate(p, obs, B, acts, G, logp, ent, &e), 0, "%s", e.msg); /* t: evaluated by the caller */
    double L = 0.0;
    if (term == HV_LOGP || term == HV_ALL)
        for (int i = 0; i < B * G; i++) L += (double)r[i] * logp[i];
    if (term == HV_ENTROPY || term == HV_ALL)
        for (int b = 0; b < B; b++) L += (double)s[b] * ent[b];
    if (term == HV_KL_TS || term == HV_ALL) {
        cr_assert_eq(policy_kl(t, p, kl, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) L += (term == HV_ALL ? 0.7 : 1.0) * kl[b];
    }
    if (term == HV_KL_ST || term == HV_ALL) {
        cr_assert_eq(policy_kl(p, t, kl, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) L += (term == HV_ALL ? 0.6 : 1.0) * kl[b];
    }
    return L;
}

/* Central differences (step eps) on `probes` random entries of every trainable tensor of p against
 * policy_backward. Tolerance |analytic − numeric| ≤ atol + 3e-2·|numeric|: float32 forwards give
 * round-off ≈ 1e-7·Σ|terms| / eps, truncation O(eps²); a missing term or factor is off by O(1). */
static inline void hv_grad_check(Policy *p, Policy *t, const Obs *obs, int B, const PolicyAction *acts, int G,
                                 HvTerm term, float eps, double atol, int probes, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 7);
    float rw[64], sw[16];
    for (int i = 0; i < B * G; i++) rw[i] = rng_normal(&r);
    for (int b = 0; b < B; b++) sw[b] = rng_normal(&r);
    NnParams *ps = policy_params(p);
    nn_params_zero_grad(ps);
    Err e;
    cr_assert_eq(policy_evaluate(t, obs, B, acts, G, NULL, NULL, &e), 0, "%s", e.msg); /* once: t never changes */
    hv_loss(p, t, obs, B, acts, G, rw, sw, term);
    PolicyLossGrad g = {0};
    if (term == HV_LOGP || term == HV_ALL) g.dlogp = rw;
    if (term == HV_ENTROPY || term == HV_ALL) g.dentropy = sw;
    if (term == HV_KL_TS || term == HV_KL_ST || term == HV_ALL) g.teacher = t;
    if (term == HV_KL_TS || term == HV_ALL) g.w_kl_teacher_student = term == HV_ALL ? 0.7f : 1.0f;
    if (term == HV_KL_ST || term == HV_ALL) g.w_kl_student_teacher = term == HV_ALL ? 0.6f : 1.0f;
    cr_assert_eq(policy_backward(p, &g, &e), 0, "%s", e.msg);
    int fails = 0, checked = 0, nonzero = 0;
    for (int k = 0; k < ps->n; k++) {
        NnTensor *tn = &ps->tensors[k];
        if (tn->frozen) continue;
        for (int j = 0; j < probes; j++) {
            size_t i = tn->offset + rng_below(&r, (uint32_t)tn->numel);
            float x0 = ps->values[i];
            ps->values[i] = x0 + eps;
            double lp = hv_loss(p, t, obs, B, acts, G, rw, sw, term);
            ps->values[i] = x0 - eps;
            double lm = hv_loss(p, t, obs, B, acts, G, rw, sw, term);
            ps->values[i] = x0;
            double num = (lp - lm) / (2.0 * eps), ana = ps->grads[i];
            checked++;
            nonzero += fabs(num) > 1e-3;
            if (fabs(ana - num) > atol + 3e-2 * fabs(num) && fails++ < 8)
                cr_log_error("term %d %s[%zu]: analytic %.6g numeric %.6g", (int)term, tn->name, i - tn->offset, ana, num);
        }
    }
    cr_assert_eq(fails, 0, "term %d: %d of %d probed gradients disagree with finite differences", (int)term, fails,
                 checked);
    /* the check must have teeth: most probes see a non-zero gradient */
    cr_assert_gt(nonzero, checked / 3, "term %d: only %d of %d probes have a gradient", (int)term, nonzero, checked);
}

/* save → load → identical log π / entropy on the batch and identical greedy actions. */
static inline void hv_save_load_identical(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G) {
    char path[128];
    snprintf(path, sizeof path, "/tmp/craft_test_policy_%s_%d.safetensors", policy_family_name(policy_config(p)->family),
             (int)getpid());
    Err e;
    cr_assert_eq(policy_save(p, path, &e), 0, "%s", e.msg);
    Policy *q = policy_load(path, policy_config(p)->max_batch, policy_config(p)->max_group, &e);
    cr_assert_not_null(q, "%s", e.msg);
    unlink(path);
    float lp1[64], lp2[64], h1[16], h2[16];
    cr_assert_eq(policy_evaluate(p, obs, B, acts, G, lp1, h1, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_evaluate(q, obs, B, acts, G, lp2, h2, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(lp1, lp2, sizeof(float) * B * G), 0, "log π differs after save/load");
    cr_assert_eq(memcmp(h1, h2, sizeof(float) * B), 0, "entropy differs after save/load");
    PolicyAction a1[16], a2[16];
    cr_assert_eq(policy_act(p, obs, B, NULL, 1, a1, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(policy_act(q, obs, B, NULL, 1, a2, NULL, &e), 0, "%s", e.msg);
    for (int b = 0; b < B; b++) {
        cr_assert_eq(a1[b].index, a2[b].index);
        cr_assert_eq(memcmp(&a1[b].traj, &a2[b].traj, sizeof(Traj)), 0, "greedy trajectory differs after save/load");
    }
    policy_destroy(q);
}

/* Adds N(0, scale²) to every trainable value (so a clone becomes a distinct teacher). */
static inline void hv_perturb(Policy *p, float scale, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 3);
    NnParams *ps = policy_params(p);
    for (int k = 0; k < ps->n; k++) {
        if (ps->tensors[k].frozen) continue;
        float *v = ps->values + ps->tensors[k].offset;
        for (size_t i = 0; i < ps->tensors[k].numel; i++) v[i] += scale * rng_normal(&r);
    }
}

/* B synthetic observations from a seed. */
static inline void make_obs(Obs *obs, int B, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 1);
    for (int b = 0; b < B; b++) hv_fill_obs(&obs[b], &r);
}

/* An exact circular (or straight) expert: speed v, constant yaw rate w, from the ego pose. */
static inline Traj arc_traj(float v, float w) {
    Traj t = {.n = TRAJ_MAX};
    for (int i = 0; i < TRAJ_MAX; i++) {
        double tt = TRAJ_DT * (i + 1), h = w * tt;
        t.x[i] = (float)(fabs(w) < 1e-9 ? v * tt : v / w * sin(h));
        t.y[i] = (float)(fabs(w) < 1e-9 ? 0.0 : v / w * (1.0 - cos(h)));
        t.heading[i] = (float)h;
    }
    return t;
}

/* G sampled actions per state (acts[b*G + g]) drawn with an Rng seeded from `seed`. */
static inline void sampled_batch(Policy *p, const Obs *obs, int B, int G, PolicyAction *acts, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 0);
    PolicyAction tmp[16];
    Err e;
    for (int g = 0; g < G; g++) {
        cr_assert_eq(policy_act(p, obs, B, &r, 0, tmp, NULL, &e), 0, "%s", e.msg);
        for (int b = 0; b < B; b++) acts[b * G + g] = tmp[b];
    }
}

/* p and p2 were created identically: the same draws, a bit-identical save/load round trip, and
 * policy_evaluate independent of the OpenMP thread count. B*G <= 16. Destroys both. */
static inline void hv_checkpoint_and_determinism(Policy *p, Policy *p2, const Obs *obs, int B, int G,
                                                 uint64_t draw_seed) {
    PolicyAction acts[16], acts2[16];
    sampled_batch(p, obs, B, G, acts, draw_seed);
    sampled_batch(p2, obs, B, G, acts2, draw_seed);
    cr_assert_eq(memcmp(acts, acts2, (size_t)(B * G) * sizeof *acts), 0, "same seed, same draws: actions differ");
    hv_save_load_identical(p, obs, B, acts, G);
    float l1[16], l2[16];
    Err e;
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    cr_assert_eq(policy_evaluate(p, obs, B, acts, G, l1, NULL, &e), 0, "%s", e.msg);
    omp_set_num_threads(2);
    cr_assert_eq(policy_evaluate(p, obs, B, acts, G, l2, NULL, &e), 0, "%s", e.msg);
    omp_set_num_threads(nt);
    cr_assert_eq(memcmp(l1, l2, (size_t)(B * G) * sizeof *l1), 0);
    policy_destroy(p2);
    policy_destroy(p);
}

/* Imitation of n synthetic scenes whose expert is an arc at the ego speed with a curvature from the
 * command (and the matching behaviour label): `steps` AdamW steps (lr 3e-3, gradient clip `clip`) on
 * −mean log π. Writes the scenes' expert actions to acts and the initial NLL to *nll0; returns the
 * final NLL. */
static inline float hv_imitate(Policy *p, const Obs *obs, int n, int steps, float clip, PolicyAction *acts, float *nll0) {
    Err e;
    for (int i = 0; i < n; i++) {
        float v = obs[i].ego[0], w = 0.1f * ((int)obs[i].command - 2);
        Traj ex = arc_traj(v, w);
        int beh = behaviour_id(w > 0 ? LAT_LEFT : w < 0 ? LAT_RIGHT : LAT_KEEP,
                               v < 1 ? STYLE_STOP : v < 6 ? STYLE_CAUTIOUS : v < 10 ? STYLE_NORMAL : STYLE_ASSERTIVE);
        cr_assert_eq(policy_action_from_traj(p, &obs[i], &ex, beh, &acts[i], &e), 0, "%s", e.msg);
    }
    NnParams *ps = policy_params(p);
    NnAdamW opt;
    cr_assert_eq(nn_adamw_create(&opt, ps, nn_adamw_defaults(), &e), 0, "%s", e.msg);
    float *logp = malloc((size_t)n * sizeof *logp), *dlogp = malloc((size_t)n * sizeof *dlogp), nll = 0;
    for (int i = 0; i < n; i++) dlogp[i] = -1.0f / (float)n;
    for (int step = 0; step <= steps; step++) {
        cr_assert_eq(policy_evaluate(p, obs, n, acts, 1, logp, NULL, &e), 0, "%s", e.msg);
        nll = 0;
        for (int i = 0; i < n; i++) nll -= logp[i] / (float)n;
        if (step == 0) *nll0 = nll;
        if (step == steps) break;
        nn_params_zero_grad(ps);
        cr_assert_eq(policy_backward(p, &(PolicyLossGrad){.dlogp = dlogp}, &e), 0, "%s", e.msg);
        nn_clip_grad_norm(ps, clip);
        nn_adamw_step(&opt, ps, 3e-3f);
    }
    free(logp);
    free(dlogp);
    nn_adamw_destroy(&opt);
    return nll;
}

#endif
