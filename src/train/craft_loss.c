/* craft_loss — CRAFT's advantage, surrogate, credit and GAE arithmetic (include/craft/craft_loss.h).
 * Sums are taken in double and in index order, so results are deterministic and independent of
 * any threading done by the caller around these calls. */
#include "craft/craft_loss.h"
#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---- Group-relative advantages -------------------------------------------------------------- */

/* One group of n scores → advantages; returns 1 if the group is valid. */
static int normalise_group(const float *s, int n, float eps, float std_threshold, float *adv) {
    if (n <= 0) return 0;
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++) mean += s[i];
    mean /= n;
    for (int i = 0; i < n; i++) var += ((double)s[i] - mean) * ((double)s[i] - mean);
    double sd = sqrt(var / n);
    /* `!(sd > thr)` also rejects NaN scores rather than spreading them through the batch. */
    if (!(sd > std_threshold)) {
        for (int i = 0; i < n; i++) adv[i] = 0.0f;
        return 0;
    }
    for (int i = 0; i < n; i++) adv[i] = (float)(((double)s[i] - mean) / (sd + eps));
    return 1;
}

int craft_group_normalise(const float *scores, int n_groups, int G, float eps, float std_threshold,
                          float *adv, uint8_t *group_valid) {
    int valid = 0;
    for (int g = 0; g < n_groups; g++) {
        int ok = normalise_group(scores + (size_t)g * G, G, eps, std_threshold, adv + (size_t)g * G);
        if (group_valid) group_valid[g] = (uint8_t)ok;
        valid += ok;
    }
    return valid;
}

int craft_group_normalise_offsets(const float *scores, const int *offsets, int n_groups, float eps,
                                  float std_threshold, float *adv, uint8_t *group_valid) {
    int valid = 0;
    for (int g = 0; g < n_groups; g++) {
        int lo = offsets[g], n = offsets[g + 1] - offsets[g];
        int ok = normalise_group(scores + lo, n, eps, std_threshold, adv + lo);
        if (group_valid) group_valid[g] = (uint8_t)ok;
        valid += ok;
    }
    return valid;
}

/* ---- Surrogate ------------------------------------------------------------------------------ */

SurrogateParams surrogate_default_params(void) { return (SurrogateParams){.clip_eps = 0.2f, .dual_c = 3.0f}; }

/* Which branch of ℓ is active, so that the loss, its derivative and the statistics agree. */
typedef enum { BR_UNCLIPPED, BR_CLIPPED, BR_DUAL } SurrogateBranch;

static SurrogateBranch surrogate_branch(float rho, float adv, const SurrogateParams *sp) {
    float lo = 1.0f - sp->clip_eps, hi = 1.0f + sp->clip_eps;
    float rc = rho < lo ? lo : rho > hi ? hi : rho;
    /* min(ρA, clip(ρ)A): the unclipped term wins ties (inside the range both are equal). */
    SurrogateBranch br = rho * adv <= rc * adv ? BR_UNCLIPPED : BR_CLIPPED;
    if (adv < 0.0f && sp->dual_c > 0.0f) {
        float inner = br == BR_UNCLIPPED ? rho * adv : rc * adv;
        if (sp->dual_c * adv > inner) br = BR_DUAL;
    }
    return br;
}

float craft_surrogate(float rho, float adv, const SurrogateParams *sp, float *dloss_drho) {
    float lo = 1.0f - sp->clip_eps, hi = 1.0f + sp->clip_eps;
    float rc = rho < lo ? lo : rho > hi ? hi : rho;
    float loss, d;
    switch (surrogate_branch(rho, adv, sp)) {
    case BR_UNCLIPPED: loss = -rho * adv; d = -adv; break;
    case BR_CLIPPED: loss = -rc * adv; d = 0.0f; break;
    default: loss = -sp->dual_c * adv; d = 0.0f; break;
    }
    if (dloss_drho) *dloss_drho = d;
    return loss;
}

double craft_surrogate_batch(const float *logp, const float *logp_old, const float *adv,
                             const uint8_t *valid, int n, const SurrogateParams *sp, float scale,
                             float *dlogp, SurrogateStats *stats) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        if (valid && !valid[i]) continue;
        float rho = expf(logp[i] - logp_old[i]);
        float d;
        float l = craft_surrogate(rho, adv[i], sp, &d);
        total += l;
        /* d == 0 on clipped branches: skipping them keeps an overflowed ρ = inf from making 0·inf = NaN. */
        if (dlogp && d != 0.0f) dlogp[i] += scale * rho * d;
        if (stats) {
            SurrogateBranch br = surrogate_branch(rho, adv[i], sp);
            stats->n++;
            stats->n_clipped += fabsf(rho - 1.0f) > sp->clip_eps;
            stats->n_zero_grad += br != BR_UNCLIPPED && adv[i] != 0.0f;
            stats->n_dual += br == BR_DUAL;
            stats->sum_ratio += rho;
            stats->sum_approx_kl += (double)(rho - 1.0f) - (double)(logp[i] - logp_old[i]);
        }
    }
    return scale * total;
}

/* ---- Grounded residual ---------------------------------------------------------------------- */

static const char *const CEV_NAMES[CEV_KIND_COUNT] = {
    "collision_pedestrian", "collision_vehicle", "collision_static", "red_light", "stop_sign",
    "near_miss", "off_road", "wrong_way", "route_deviation", "blocked", "forced_hard_brake",
    "route_completed",
};

const char *credit_event_name(CreditEventKind k) {
    return (unsigned)k < CEV_KIND_COUNT ? CEV_NAMES[k] : "unknown";
}

int credit_event_from_name(const char *name) {
    for (int k = 0; k < CEV_KIND_COUNT; k++)
        if (!strcmp(name, CEV_NAMES[k])) return k;
    return -1;
}

EventRewardTable event_reward_table_default(void) {
    EventRewardTable t;
    t.reward[CEV_COLLISION_PEDESTRIAN] = -1.0f;
    t.reward[CEV_COLLISION_VEHICLE] = -0.8f;
    t.reward[CEV_COLLISION_STATIC] = -0.7f;
    t.reward[CEV_RED_LIGHT] = -0.6f;
    t.reward[CEV_STOP_SIGN] = -0.4f;
    t.reward[CEV_NEAR_MISS] = -0.2f;
    t.reward[CEV_OFF_ROAD] = -0.3f;
    t.reward[CEV_WRONG_WAY] = -0.3f;
    t.reward[CEV_ROUTE_DEVIATION] = -1.0f;
    t.reward[CEV_BLOCKED] = -0.6f;
    t.reward[CEV_FORCED_HARD_BRAKE] = -0.1f;
    t.reward[CEV_ROUTE_COMPLETED] = 1.0f;
    return t;
}

CreditParams credit_default_params(void) {
    return (CreditParams){.window_s = 3.0f, .gamma = 0.9f, .gamma_unit_s = 1.0f};
}

int craft_credit_episode(const float *step_time, int T, const CreditEvent *events, int n_events,
                         const EventRewardTable *table, const CreditParams *cp, float *credit,
                         uint8_t *credited) {
    double log_gamma = log((double)cp->gamma);
    int n_credited = 0;
    /* O(T · n_events): episodes have a few hundred steps and a handful of events. */
    for (int t = 0; t < T; t++) {
        double c = 0.0;
        int hit = 0;
        for (int k = 0; k < n_events; k++) {
            if ((unsigned)events[k].kind >= CEV_KIND_COUNT) continue;
            double lag = (double)events[k].time - (double)step_time[t];
            if (lag < 0.0 || lag > cp->window_s) continue;
            c += table->reward[events[k].kind] * exp(log_gamma * lag / cp->gamma_unit_s);
            hit = 1;
        }
        credit[t] = (float)c;
        if (credited) credited[t] = (uint8_t)hit;
        n_credited += hit;
    }
    return n_credited;
}

int craft_residual_advantage(const float *residual, const uint8_t *credited, int n, ResidualNorm mode,
                             float eps, float *adv) {
    int m = 0;
    double sum = 0.0, sumsq = 0.0;
    for (int i = 0; i < n; i++) {
        if (!credited[i]) continue;
        m++;
        sum += residual[i];
        sumsq += (double)residual[i] * residual[i];
    }
    double shift = 0.0, denom = 1.0;
    if (m > 0) {
        if (mode == RESIDUAL_NORM_STANDARDISE) {
            shift = sum / m;
            double var = sumsq / m - shift * shift;
            denom = sqrt(var > 0.0 ? var : 0.0) + eps;
        } else {
            denom = sqrt(sumsq / m) + eps;
        }
    }
    for (int i = 0; i < n; i++)
        adv[i] = credited[i] ? (float)(((double)residual[i] - shift) / denom) : 0.0f;
    return m;
}

/* ---- Asymmetric KL -------------------------------------------------------------------------- */

void craft_kl_weights(float alpha, float beta, float scale, float *w_teacher_student,
                      float *w_student_teacher) {
    *w_teacher_student = beta * alpha * scale;
    *w_student_teacher = beta * (1.0f - alpha) * scale;
}

double craft_kl_asym(float alpha, float beta, const float *kl_teacher_student,
                     const float *kl_student_teacher, int B) {
    if (B <= 0) return 0.0;
    double s = 0.0;
    for (int b = 0; b < B; b++)
        s += alpha * (double)kl_teacher_student[b] + (1.0 - alpha) * (double)kl_student_teacher[b];
    return beta * s / B;
}

/* ---- PPO baseline --------------------------------------------------------------------------- */

void craft_gae(const float *reward, const float *value, const uint8_t *done, const float *last_value,
               int T, int N, float gamma, float lambda, float *adv, float *ret) {
    for (int e = 0; e < N; e++) {
        double next_adv = 0.0, next_value = last_value ? last_value[e] : 0.0;
        for (int t = T - 1; t >= 0; t--) {
            size_t i = (size_t)t * N + e;
            double keep = done[i] ? 0.0 : 1.0;
            double delta = reward[i] + gamma * next_value * keep - value[i];
            double a = delta + (double)gamma * lambda * keep * next_adv;
            adv[i] = (float)a;
            if (ret) ret[i] = (float)(a + value[i]);
            next_adv = a;
            next_value = value[i];
        }
    }
}

void craft_discounted_return(const float *reward, const uint8_t *done, const float *last_value, int T,
                             int N, float gamma, float *ret) {
    for (int e = 0; e < N; e++) {
        double g = last_value ? last_value[e] : 0.0;
        for (int t = T - 1; t >= 0; t--) {
            size_t i = (size_t)t * N + e;
            g = reward[i] + gamma * g * (done[i] ? 0.0 : 1.0);
            ret[i] = (float)g;
        }
    }
}

/* ---- Diagnostics ---------------------------------------------------------------------------- */

double craft_correlation(const float *x, const float *y, const uint8_t *mask, int n) {
    int m = 0;
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < n; i++)
        if (!mask || mask[i]) m++, mx += x[i], my += y[i];
    if (m < 2) return 0.0;
    mx /= m, my /= m;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (int i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    return sxx > 0.0 && syy > 0.0 ? sxy / sqrt(sxx * syy) : 0.0;
}
