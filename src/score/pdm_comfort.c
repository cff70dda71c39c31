/* pdm_comfort — the comfort terms of the PDM score: C (NAVSIM v1, PDM-NOTES §1.6), HC (v2 history
 * comfort, §2.3) and EC (v2 two-frame extended comfort, §2.4). Every signal is a Savitzky-Golay
 * filter (scipy mode='interp', craft/savgol.h) of a fixed-length sequence, i.e. a fixed linear map,
 * so each filter chain is pre-multiplied once into an n x n matrix and a candidate costs a few
 * matrix-vector products. Signals come from the simulated states as PDM's bicycle gives them:
 * longitudinal acceleration = KinState.accel, lateral acceleration = 0 (PDM's kinematic bicycle sets
 * ay = 0, §0.2, so the lateral bound never binds), heading unwrapped by cumulative rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/savgol.h"
#include "pdm_internal.h"

#define SG_DT 0.1
#define TWO_PI 6.283185307179586

/* Comfort bounds (open intervals), PDM-NOTES §1.6. */
#define LON_ACC_MIN -4.05
#define LON_ACC_MAX 2.40
#define JERK_MAX 8.37
#define LON_JERK_MAX 4.13
#define YAW_ACC_MAX 1.93
#define YAW_RATE_MAX 0.95
/* EC thresholds (inclusive), §2.4. */
#define EC_ACC 0.7
#define EC_JERK 0.5
#define EC_YAW_RATE 0.1
#define EC_YAW_ACC 0.1

typedef struct { int window, order, deriv; } SgStep;

/* M = F_k ∘ ... ∘ F_1 as an n x n row-major matrix: F_1, then each next filter's matrix times it
 * (column j = the chain applied to e_j, summed in the order savgol_filter sums). */
static int chain_matrix(int n, const SgStep *steps, int n_steps, double **out, Err *e) {
    size_t nn = (size_t)n * (size_t)n;
    double *m = malloc(sizeof(double) * nn), *f = malloc(sizeof(double) * nn), *t = malloc(sizeof(double) * nn);
    int rc = m && f && t ? 0 : err_set(e, "comfort: out of memory");
    for (int k = 0; k < n_steps && !rc; k++) {
        int w = steps[k].window < n ? steps[k].window : n; /* windows capped at the length */
        if ((rc = savgol_matrix(n, w, steps[k].order, steps[k].deriv, SG_DT, k ? f : m, e))) break;
        if (!k) continue;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int q = 0; q < n; q++) s += f[(size_t)i * n + q] * m[(size_t)q * n + j];
                t[(size_t)i * n + j] = s;
            }
        memcpy(m, t, sizeof(double) * nn);
    }
    free(f);
    free(t);
    if (rc) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

/* v1: lon acc window = n, jerk = d/dt (window n) of the window-8 smoothed accel, yaw windows 5. */
static int mats_v1(ComfortMats *c, int n, Err *e) {
    SgStep acc[] = {{n, 2, 0}}, jerk[] = {{8, 2, 0}, {n, 2, 1}}, yr[] = {{5, 2, 1}}, ya[] = {{5, 3, 2}};
    c->n = n;
    return chain_matrix(n, acc, 1, &c->lon_acc, e) || chain_matrix(n, jerk, 2, &c->jerk, e) ||
           chain_matrix(n, yr, 1, &c->yaw_rate, e) || chain_matrix(n, ya, 1, &c->yaw_acc, e) ? -1 : 0;
}
/* v2 history comfort: acc window 8, jerk window 15 on the window-8 smoothed accel, yaw 5. */
static int mats_v2(ComfortMats *c, int n, int yaw_acc_order, Err *e) {
    SgStep acc[] = {{8, 2, 0}}, jerk[] = {{8, 2, 0}, {15, 2, 1}}, yr[] = {{5, 2, 1}}, ya[] = {{5, yaw_acc_order, 2}};
    c->n = n;
    return chain_matrix(n, acc, 1, &c->lon_acc, e) || chain_matrix(n, jerk, 2, &c->jerk, e) ||
           chain_matrix(n, yr, 1, &c->yaw_rate, e) || chain_matrix(n, ya, 1, &c->yaw_acc, e) ? -1 : 0;
}

static void mats_free(ComfortMats *c) {
    free(c->lon_acc); free(c->jerk); free(c->yaw_rate); free(c->yaw_acc);
    memset(c, 0, sizeof *c);
}

int comfort_tables_build(ComfortTables *t, Err *e) {
    memset(t, 0, sizeof *t);
    int rc = mats_v1(&t->c41, SCORE_STEPS, e);
    for (int h = 1; !rc && h <= SCORE_HIST_MAX; h++) rc = mats_v2(&t->hist[h], h + SCORE_STEPS, 3, e);
    for (int k = 1; !rc && k <= 5; k++) rc = mats_v2(&t->ec[k], SCORE_STEPS - k, 2, e); /* EC: yaw acc poly 2 */
    if (rc) comfort_tables_free(t);
    return rc;
}

void comfort_tables_free(ComfortTables *t) {
    mats_free(&t->c41);
    for (int h = 0; h <= SCORE_HIST_MAX; h++) mats_free(&t->hist[h]);
    for (int k = 0; k < 6; k++) mats_free(&t->ec[k]);
}

static void unwrap(double *h, int n) {
    double adj = 0.0, prev = h[0];
    for (int j = 1; j < n; j++) {
        double raw = h[j];
        adj += round((raw - prev) / TWO_PI);
        prev = raw;
        h[j] = raw - TWO_PI * adj;
    }
}

static inline double round8(double x) { return round(x * 1e8) / 1e8; }

/* 1 if (M x)_i lies strictly inside (lo, hi) for every i. */
static int within(const double *m, const double *x, int n, double lo, double hi) {
    for (int i = 0; i < n; i++) {
        const double *row = m + (size_t)i * (size_t)n;
        double v = 0.0;
        for (int j = 0; j < n; j++) v += row[j] * x[j];
        v = round8(v);
        if (!(v > lo && v < hi)) return 0;
    }
    return 1;
}

static float bounds_check(const ComfortMats *c, const double *ax, const double *h) {
    int n = c->n;
    double mag[SCORE_HIST_MAX + SCORE_STEPS];
    for (int i = 0; i < n; i++) mag[i] = fabs(ax[i]); /* hypot(ax, ay) with ay = 0 */
    return within(c->lon_acc, ax, n, LON_ACC_MIN, LON_ACC_MAX) && within(c->jerk, mag, n, -JERK_MAX, JERK_MAX) &&
           within(c->jerk, ax, n, -LON_JERK_MAX, LON_JERK_MAX) && within(c->yaw_acc, h, n, -YAW_ACC_MAX, YAW_ACC_MAX) &&
           within(c->yaw_rate, h, n, -YAW_RATE_MAX, YAW_RATE_MAX)
               ? 1.0f : 0.0f;
}

float comfort_v1(const ComfortTables *t, const EgoRollout *r) {
    double ax[SCORE_STEPS], h[SCORE_STEPS];
    for (int i = 0; i < SCORE_STEPS; i++) { ax[i] = r->k[i].accel; h[i] = r->k[i].heading; }
    unwrap(h, SCORE_STEPS);
    return bounds_check(&t->c41, ax, h);
}

float comfort_history(const ComfortTables *t, const ScoreInput *in, const EgoRollout *r) {
    int nh = in->hist_n > SCORE_HIST_MAX ? SCORE_HIST_MAX : in->hist_n;
    if (nh <= 0) return 1.0f;
    double ax[SCORE_HIST_MAX + SCORE_STEPS], h[SCORE_HIST_MAX + SCORE_STEPS];
    for (int i = 0; i < nh; i++) { ax[i] = in->hist_accel[i]; h[i] = in->hist_heading[i]; }
    for (int i = 0; i < SCORE_STEPS; i++) { ax[nh + i] = r->k[i].accel; h[nh + i] = r->k[i].heading; }
    unwrap(h, nh + SCORE_STEPS);
    return bounds_check(&t->hist[nh], ax, h);
}

static double rms(const double *m, const double *x, int n) {
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        const double *row = m + (size_t)i * (size_t)n;
        double v = 0.0;
        for (int j = 0; j < n; j++) v += row[j] * x[j];
        acc += v * v;
    }
    return sqrt(acc / n);
}

float comfort_extended(const ComfortTables *t, const EgoRollout *prev, int offset, const EgoRollout *cur) {
    if (offset < 1 || offset > 5) return 1.0f; /* NAVSIM asserts 0 < delta < 0.55 s */
    const ComfortMats *c = &t->ec[offset];
    int n = c->n;
    double hc[SCORE_STEPS], hp[SCORE_STEPS], dmag[SCORE_STEPS], dh[SCORE_STEPS];
    for (int i = 0; i < n; i++) {
        hc[i] = cur->k[i].heading;
        hp[i] = prev->k[i + offset].heading;
        dmag[i] = fabs((double)cur->k[i].accel) - fabs((double)prev->k[i + offset].accel);
    }
    unwrap(hc, n);
    unwrap(hp, n);
    for (int i = 0; i < n; i++) dh[i] = hc[i] - hp[i];
    /* the features are linear in the (unwrapped) signals, so the difference of features is the
     * feature of the difference */
    return rms(c->lon_acc, dmag, n) <= EC_ACC && rms(c->jerk, dmag, n) <= EC_JERK &&
           rms(c->yaw_rate, dh, n) <= EC_YAW_RATE && rms(c->yaw_acc, dh, n) <= EC_YAW_ACC
               ? 1.0f : 0.0f;
}
