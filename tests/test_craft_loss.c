/* craft_loss on hand-computed cases: every surrogate branch, the derivative against central finite
 * differences, group normalisation (constant group, G = 1, variable sizes), residual credit on a
 * scripted episode, residual normalisation, KL weights, GAE and discounted returns. */
#include <criterion/criterion.h>
#include <math.h>
#include "craft/craft_loss.h"

static const SurrogateParams SP = {.clip_eps = 0.2f, .dual_c = 3.0f};

static void check_branch(float rho, float adv, float want_loss, float want_d) {
    float d = NAN;
    float l = craft_surrogate(rho, adv, &SP, &d);
    cr_assert_float_eq(l, want_loss, 1e-6, "rho %g A %g: loss %g, want %g", rho, adv, l, want_loss);
    cr_assert_float_eq(d, want_d, 1e-6, "rho %g A %g: dl/drho %g, want %g", rho, adv, d, want_d);
}

Test(craft_loss, surrogate_positive_advantage) {
    check_branch(1.1f, 2.0f, -2.2f, -2.0f);  /* inside the range: −ρA */
    check_branch(1.5f, 2.0f, -2.4f, 0.0f);   /* above: −(1+ε)A, no gradient */
    check_branch(0.5f, 2.0f, -1.0f, -2.0f);  /* below: min(ρA, 0.8A) = ρA, still pushes up */
    check_branch(1.0f, 0.0f, 0.0f, 0.0f);    /* A = 0 */
}

Test(craft_loss, surrogate_negative_advantage_and_dual_clip) {
    check_branch(1.1f, -1.0f, 1.1f, 1.0f);   /* inside: −ρA */
    check_branch(0.5f, -1.0f, 0.8f, 0.0f);   /* below: min(−0.5, −0.8) = −0.8 → clipped */
    check_branch(2.0f, -1.0f, 2.0f, 1.0f);   /* above, under c: min(−2, −1.2) = −2, max(−2, −3) = −2 */
    check_branch(5.0f, -1.0f, 3.0f, 0.0f);   /* ρ > c: the dual clip, loss = −c·A, gradient 0 */
    check_branch(5.0f, -0.5f, 1.5f, 0.0f);
    /* Without the dual clip (grpo-cl) the large ratio keeps its unbounded loss and gradient. */
    SurrogateParams ppo = {.clip_eps = 0.2f, .dual_c = 0.0f};
    float d;
    cr_assert_float_eq(craft_surrogate(5.0f, -1.0f, &ppo, &d), 5.0f, 1e-6);
    cr_assert_float_eq(d, 1.0f, 1e-6);
    cr_assert_float_eq(craft_surrogate(0.5f, -1.0f, &ppo, &d), 0.8f, 1e-6);
    cr_assert_float_eq(d, 0.0f, 1e-6);
}

Test(craft_loss, surrogate_rho_one_is_plain_policy_gradient) {
    /* At the start of every update ρ = 1 exactly: dℓ/dlog π = −A whatever the sign of A. */
    float lp[3] = {-1.5f, -0.2f, -3.0f}, adv[3] = {0.7f, -1.3f, 0.0f}, g[3] = {0};
    SurrogateStats st = {0};
    double l = craft_surrogate_batch(lp, lp, adv, NULL, 3, &SP, 1.0f / 3.0f, g, &st);
    cr_assert_float_eq(l, -(0.7 - 1.3) / 3.0, 1e-7);
    for (int i = 0; i < 3; i++) cr_assert_float_eq(g[i], -adv[i] / 3.0f, 1e-7);
    cr_assert_eq(st.n, 3);
    cr_assert_eq(st.n_clipped, 0);
    cr_assert_float_eq(st.sum_ratio, 3.0, 1e-12);
    cr_assert_float_eq(st.sum_approx_kl, 0.0, 1e-12);
}

Test(craft_loss, surrogate_gradient_matches_finite_differences) {
    /* dℓ/dlog π = ρ dℓ/dρ vs central differences in log π, away from the kinks. */
    const float advs[] = {1.3f, -0.7f};
    const float log_rhos[] = {-0.9f, -0.1f, 0.05f, 0.15f, 0.5f, 0.9f, 1.5f};
    for (int dual = 0; dual < 2; dual++) {
        SurrogateParams sp = {.clip_eps = 0.2f, .dual_c = dual ? 3.0f : 0.0f};
        for (int a = 0; a < 2; a++)
            for (int k = 0; k < 7; k++) {
                float old = -1.0f, lp = old + log_rhos[k], g = 0.0f, h = 1e-3f;
                craft_surrogate_batch(&lp, &old, &advs[a], NULL, 1, &sp, 1.0f, &g, NULL);
                float lpp = lp + h, lpm = lp - h;
                double lplus = craft_surrogate_batch(&lpp, &old, &advs[a], NULL, 1, &sp, 1.0f, NULL, NULL);
                double lminus = craft_surrogate_batch(&lpm, &old, &advs[a], NULL, 1, &sp, 1.0f, NULL, NULL);
                double fd = (lplus - lminus) / (2.0 * h);
                cr_assert(fabs(fd - g) <= 2e-3 * (1.0 + fabs(fd)), "dual %d A %g log ρ %g: analytic %g, fd %g",
                          dual, advs[a], log_rhos[k], g, fd);
            }
    }
}

Test(craft_loss, surrogate_batch_stats_mask_and_accumulation) {
    /* ρ = e^0 = 1, e^0.5 ≈ 1.6487 (A > 0: clipped), e^2 ≈ 7.389 (A < 0: dual), masked sample. */
    float old[4] = {0, 0, 0, 0}, lp[4] = {0.0f, 0.5f, 2.0f, 3.0f}, adv[4] = {1.0f, 1.0f, -1.0f, 5.0f};
    uint8_t valid[4] = {1, 1, 1, 0};
    float g[4] = {10.0f, 10.0f, 10.0f, 10.0f};
    SurrogateStats st = {0};
    double l = craft_surrogate_batch(lp, old, adv, valid, 4, &SP, 0.5f, g, &st);
    cr_assert_float_eq(l, 0.5 * (-1.0 - 1.2 + 3.0), 1e-6);
    cr_assert_float_eq(g[0], 10.0f - 0.5f, 1e-6);   /* accumulated onto the existing value */
    cr_assert_float_eq(g[1], 10.0f, 1e-6);
    cr_assert_float_eq(g[2], 10.0f, 1e-6);
    cr_assert_float_eq(g[3], 10.0f, 1e-6);          /* masked: untouched */
    cr_assert_eq(st.n, 3);
    cr_assert_eq(st.n_clipped, 2);
    cr_assert_eq(st.n_zero_grad, 2);
    cr_assert_eq(st.n_dual, 1);
    cr_assert_float_eq(st.sum_ratio, 1.0 + exp(0.5) + exp(2.0), 1e-5);
    cr_assert_float_eq(st.sum_approx_kl, (exp(0.5) - 1.5) + (exp(2.0) - 3.0), 1e-5);
}

Test(craft_loss, surrogate_overflowed_ratio_gives_no_nan) {
    /* log ρ = 100 overflows ρ to inf in float; the dual clip (A < 0) and the upper clip (A > 0)
     * both zero the gradient, which must stay exactly 0, not 0·inf = NaN. */
    float old[2] = {-200.0f, -200.0f}, lp[2] = {-100.0f, -100.0f}, adv[2] = {-1.0f, 2.0f}, g[2] = {0, 0};
    double l = craft_surrogate_batch(lp, old, adv, NULL, 2, &SP, 1.0f, g, NULL);
    cr_assert_float_eq(l, 3.0 - 2.4, 1e-6);
    cr_assert_eq(g[0], 0.0f);
    cr_assert_eq(g[1], 0.0f);
}

Test(craft_loss, correlation_by_hand) {
    /* x = [1, 2, 3], y = [2, 4, 7]: Σdxdy = 5, Σdx² = 2, Σdy² = 114/9 → r = 5/√(228/9) = 0.99339927. */
    float x[4] = {1, 2, 3, 100}, y[4] = {2, 4, 7, -100};
    uint8_t m[4] = {1, 1, 1, 0};
    cr_assert_float_eq(craft_correlation(x, y, m, 4), 0.99339927, 1e-7);
    cr_assert_float_eq(craft_correlation(x, y, NULL, 3), 0.99339927, 1e-7);
    float c[3] = {5, 5, 5};
    cr_assert_eq(craft_correlation(x, c, NULL, 3), 0.0);
    cr_assert_eq(craft_correlation(x, y, NULL, 1), 0.0);
}

Test(craft_loss, group_normalise_fixed_size) {
    /* [1, 2, 3]: mean 2, population std √(2/3); [5, 5, 5] constant → skipped; [0, 4, 4]: mean 8/3,
     * std √(32/9) = 1.8856181. */
    float s[9] = {1, 2, 3, 5, 5, 5, 0, 4, 4}, a[9];
    uint8_t ok[3];
    cr_assert_eq(craft_group_normalise(s, 3, 3, CRAFT_STD_EPS, 1e-6f, a, ok), 2);
    double sd = sqrt(2.0 / 3.0) + 1e-5;
    cr_assert_float_eq(a[0], -1.0 / sd, 1e-6);
    cr_assert_float_eq(a[1], 0.0, 1e-7);
    cr_assert_float_eq(a[2], 1.0 / sd, 1e-6);
    cr_assert_eq(ok[0], 1);
    cr_assert_eq(ok[1], 0);
    for (int i = 3; i < 6; i++) cr_assert_eq(a[i], 0.0f);
    double sd3 = 1.8856181 + 1e-5;
    cr_assert_float_eq(a[6], (0.0 - 8.0 / 3.0) / sd3, 1e-5);
    cr_assert_float_eq(a[7], (4.0 - 8.0 / 3.0) / sd3, 1e-5);
    cr_assert_eq(ok[2], 1);
    /* G = 1: every group is a single candidate: nothing to compare with, all skipped. */
    float s1[2] = {3.0f, -1.0f}, a1[2] = {7, 7};
    cr_assert_eq(craft_group_normalise(s1, 2, 1, CRAFT_STD_EPS, 1e-6f, a1, ok), 0);
    cr_assert_eq(a1[0], 0.0f);
    cr_assert_eq(a1[1], 0.0f);
    cr_assert_eq(ok[0] + ok[1], 0);
}

Test(craft_loss, group_normalise_threshold_and_offsets) {
    /* Groups of sizes 2, 0, 3, 1: [1, 3] (std 1), empty, [2, 2.001, 2] (std ≈ 4.7e-4, below a
     * threshold of 1e-3 → skipped), [9] (G = 1 → skipped). */
    float s[6] = {1, 3, 2, 2.001f, 2, 9}, a[6];
    int off[5] = {0, 2, 2, 5, 6};
    uint8_t ok[4] = {9, 9, 9, 9};
    cr_assert_eq(craft_group_normalise_offsets(s, off, 4, CRAFT_STD_EPS, 1e-3f, a, ok), 1);
    cr_assert_eq(ok[0], 1);
    cr_assert_eq(ok[1], 0);
    cr_assert_eq(ok[2], 0);
    cr_assert_eq(ok[3], 0);
    cr_assert_float_eq(a[0], -1.0 / (1.0 + 1e-5), 1e-6);
    cr_assert_float_eq(a[1], 1.0 / (1.0 + 1e-5), 1e-6);
    for (int i = 2; i < 6; i++) cr_assert_eq(a[i], 0.0f);
    /* The same group above a lower threshold is kept. */
    cr_assert_eq(craft_group_normalise_offsets(s, off, 4, CRAFT_STD_EPS, 1e-4f, a, ok), 2);
    cr_assert_eq(ok[2], 1);
}

Test(craft_loss, credit_scripted_collision) {
    /* 12 planning steps every 0.5 s (t = 0 … 5.5); a vehicle collision at τ = 4.0 s. Window 3 s,
     * γ = 0.9 per second: steps t ∈ [1.0, 4.0] get −0.8 · 0.9^(4 − t), all others 0. */
    float times[12], credit[12];
    uint8_t mask[12];
    for (int t = 0; t < 12; t++) times[t] = 0.5f * (float)t;
    CreditEvent ev[1] = {{.time = 4.0f, .kind = CEV_COLLISION_VEHICLE}};
    EventRewardTable tab = event_reward_table_default();
    CreditParams cp = credit_default_params();
    cr_assert_eq(craft_credit_episode(times, 12, ev, 1, &tab, &cp, credit, mask), 7);
    const double want[12] = {0, 0, -0.8 * 0.729, -0.8 * 0.76843347, -0.8 * 0.81, -0.8 * 0.85381497,
                             -0.8 * 0.9, -0.8 * 0.94868330, -0.8, 0, 0, 0};
    for (int t = 0; t < 12; t++) {
        cr_assert_float_eq(credit[t], want[t], 1e-6, "step %d: %g, want %g", t, credit[t], want[t]);
        cr_assert_eq(mask[t], t >= 2 && t <= 8, "step %d mask", t);
    }
    /* A second event adds: route completed at 5.5 s credits steps 2.5 … 5.5 with +0.9^(5.5 − t). */
    CreditEvent ev2[3] = {{4.0f, CEV_COLLISION_VEHICLE}, {5.5f, CEV_ROUTE_COMPLETED}, {1.0f, 99}};
    cr_assert_eq(craft_credit_episode(times, 12, ev2, 3, &tab, &cp, credit, mask), 10);
    cr_assert_float_eq(credit[5], -0.8 * 0.85381497 + 0.729, 1e-6);
    cr_assert_float_eq(credit[8], -0.8 + 0.85381497, 1e-6);
    cr_assert_float_eq(credit[11], 1.0, 1e-6);
    cr_assert_float_eq(credit[1], 0.0, 0.0);   /* the unknown kind (99) at 1.0 s is ignored */
    cr_assert_eq(mask[1], 0);
    /* A 2 s exponent unit: γ = 0.9 per 2 s, so the step at 2.0 s gets −0.8 · 0.9^1. */
    cp.gamma_unit_s = 2.0f;
    craft_credit_episode(times, 12, ev, 1, &tab, &cp, credit, mask);
    cr_assert_float_eq(credit[4], -0.72, 1e-6);
}

Test(craft_loss, residual_advantage_normalises_credited_only) {
    float x[5] = {0.0f, -0.6f, 0.0f, -0.8f, 0.0f}, a[5];
    uint8_t m[5] = {0, 1, 1, 1, 0};   /* step 2 is credited with an exact 0 (cancelling events) */
    /* RMS over credited: √((0.36 + 0 + 0.64)/3) = √(1/3) = 0.57735027 */
    cr_assert_eq(craft_residual_advantage(x, m, 5, RESIDUAL_NORM_RMS, 1e-5f, a), 3);
    double rms = sqrt(1.0 / 3.0) + 1e-5;
    cr_assert_eq(a[0], 0.0f);
    cr_assert_float_eq(a[1], -0.6 / rms, 1e-6);
    cr_assert_float_eq(a[2], 0.0, 1e-7);
    cr_assert_float_eq(a[3], -0.8 / rms, 1e-6);
    cr_assert_eq(a[4], 0.0f);
    /* Standardised: mean −1.4/3, population std √(1/3 − (1.4/3)²) = 0.33993463. */
    craft_residual_advantage(x, m, 5, RESIDUAL_NORM_STANDARDISE, 1e-5f, a);
    double mean = -1.4 / 3.0, sd = 0.33993463 + 1e-5;
    cr_assert_float_eq(a[1], (-0.6 - mean) / sd, 1e-5);
    cr_assert_float_eq(a[2], (0.0 - mean) / sd, 1e-5);
    cr_assert_eq(a[0], 0.0f);
    /* No credited entry: all zero, no division by zero. */
    uint8_t none[5] = {0};
    cr_assert_eq(craft_residual_advantage(x, none, 5, RESIDUAL_NORM_RMS, 1e-5f, a), 0);
    for (int i = 0; i < 5; i++) cr_assert_eq(a[i], 0.0f);
}

Test(craft_loss, reward_table_defaults_and_names) {
    EventRewardTable t = event_reward_table_default();
    cr_assert_float_eq(t.reward[CEV_COLLISION_PEDESTRIAN], -1.0f, 0);
    cr_assert_float_eq(t.reward[CEV_COLLISION_VEHICLE], -0.8f, 0);
    cr_assert_float_eq(t.reward[CEV_COLLISION_STATIC], -0.7f, 0);
    cr_assert_float_eq(t.reward[CEV_RED_LIGHT], -0.6f, 0);
    cr_assert_float_eq(t.reward[CEV_STOP_SIGN], -0.4f, 0);
    cr_assert_float_eq(t.reward[CEV_NEAR_MISS], -0.2f, 0);
    cr_assert_float_eq(t.reward[CEV_ROUTE_COMPLETED], 1.0f, 0);
    for (int k = 0; k < CEV_KIND_COUNT; k++) {
        cr_assert_eq(credit_event_from_name(credit_event_name(k)), k);
        cr_assert(k == CEV_ROUTE_COMPLETED ? t.reward[k] > 0 : t.reward[k] < 0);
    }
    cr_assert_eq(credit_event_from_name("collision"), -1);
}

Test(craft_loss, kl_weights) {
    float wts, wst;
    craft_kl_weights(0.8f, 0.05f, 0.25f, &wts, &wst);
    cr_assert_float_eq(wts, 0.01f, 1e-8);
    cr_assert_float_eq(wst, 0.0025f, 1e-8);
    float kts[2] = {0.1f, 0.3f}, kst[2] = {0.2f, 0.5f};
    /* 0.05 · mean(0.8·0.1 + 0.2·0.2, 0.8·0.3 + 0.2·0.5) = 0.05 · (0.12 + 0.34)/2 = 0.0115 */
    cr_assert_float_eq(craft_kl_asym(0.8f, 0.05f, kts, kst, 2), 0.0115, 1e-8);
}

Test(craft_loss, gae_three_steps_by_hand) {
    /* r = [1, 0, 2], V = [0.5, 1, 1.5], V(s_3) = 2, γ 0.9, λ 0.8 (γλ = 0.72):
     * δ = [1.4, 0.35, 2.3]; A2 = 2.3, A1 = 0.35 + 0.72·2.3 = 2.006, A0 = 1.4 + 0.72·2.006 = 2.84432.
     * Env 1 is the same episode ending at step 1: A1 = −1, A0 = 1.4 − 0.72 = 0.68, A2 unchanged.
     * Time-major, two envs interleaved. */
    float r[6] = {1, 1, 0, 0, 2, 2}, v[6] = {0.5f, 0.5f, 1, 1, 1.5f, 1.5f}, last[2] = {2, 2};
    uint8_t d[6] = {0, 0, 0, 1, 0, 0};
    float adv[6], ret[6];
    craft_gae(r, v, d, last, 3, 2, 0.9f, 0.8f, adv, ret);
    const double a0[3] = {2.84432, 2.006, 2.3}, a1[3] = {0.68, -1.0, 2.3};
    for (int t = 0; t < 3; t++) {
        cr_assert_float_eq(adv[2 * t], a0[t], 1e-5, "env 0 step %d", t);
        cr_assert_float_eq(adv[2 * t + 1], a1[t], 1e-5, "env 1 step %d", t);
        cr_assert_float_eq(ret[2 * t], a0[t] + v[2 * t], 1e-5);
        cr_assert_float_eq(ret[2 * t + 1], a1[t] + v[2 * t + 1], 1e-5);
    }
    /* λ = 1 makes GAE the discounted return minus V. */
    float g[6];
    craft_gae(r, v, d, last, 3, 2, 0.9f, 1.0f, adv, ret);
    craft_discounted_return(r, d, last, 3, 2, 0.9f, g);
    for (int i = 0; i < 6; i++) cr_assert_float_eq(ret[i], g[i], 1e-5);
}

Test(craft_loss, discounted_return_by_hand) {
    /* r = [1, 0, 2], γ 0.9, no bootstrap: G = [1 + 0.9·1.8, 0 + 0.9·2, 2] = [2.62, 1.8, 2]. */
    float r[3] = {1, 0, 2}, g[3];
    uint8_t d[3] = {0, 0, 0};
    craft_discounted_return(r, d, NULL, 3, 1, 0.9f, g);
    cr_assert_float_eq(g[0], 2.62, 1e-6);
    cr_assert_float_eq(g[1], 1.8, 1e-6);
    cr_assert_float_eq(g[2], 2.0, 1e-6);
    /* Bootstrapped with V = 10 after the last step, episode cut after step 0. */
    d[0] = 1;
    float last = 10.0f;
    craft_discounted_return(r, d, &last, 3, 1, 0.9f, g);
    cr_assert_float_eq(g[2], 11.0, 1e-5);
    cr_assert_float_eq(g[1], 9.9, 1e-5);
    cr_assert_float_eq(g[0], 1.0, 1e-6);
}
