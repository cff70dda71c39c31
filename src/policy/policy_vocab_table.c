/* policy_vocab_table.c — the vocabulary of the vocab family (craft/policy_vocab.h): the procedural
 * default (speed profiles × lateral shapes), k-means over expert trajectories, nearest-entry
 * look-up. The table lives in the frozen parameter tensor "vocab.traj" (see policy_vocab.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/geom.h"
#include "craft/policy_vocab.h"
#include "policy_vocab_internal.h"

#define VOCAB_VMAX 18.0f
#define LANE_CHANGES 4

static float lin(float lo, float hi, int i, int n) { return n > 1 ? lo + (hi - lo) * (float)i / (float)(n - 1) : 0.5f * (lo + hi); }

/* Heading change of turn shape k of n: 0, then ± pairs growing quadratically to 90°; an even count
 * adds one wider left turn (100°) at the end. */
static float turn_angle(int k, int n) {
    int J = (n - 1) / 2;
    if (k == 0 || J == 0) return k == 0 ? 0.0f : 1.745f;
    if (k > 2 * J) return 1.745f;
    int j = (k + 1) / 2;
    float mag = 0.5f * GEOM_PI * (float)(j * j) / (float)(J * J);
    return k % 2 ? mag : -mag;
}

void vocab_build_default(float *table, int V, int horizon) {
    int n_shapes = (int)ceilf(sqrtf((float)V));
    int n_prof = (V + n_shapes - 1) / n_shapes;
    int n_v0 = (int)ceilf(sqrtf((float)n_prof)), n_v1 = (n_prof + n_v0 - 1) / n_v0;
    int n_lc = n_shapes >= 9 ? LANE_CHANGES : 0, n_turn = n_shapes - n_lc;
    static const float LC[LANE_CHANGES] = {1.75f, -1.75f, 3.5f, -3.5f};
    float T = TRAJ_DT * (float)horizon;
    for (int i = 0; i < V; i++) {
        int prof = i / n_shapes, shape = i % n_shapes;
        float v0 = lin(0.0f, VOCAB_VMAX, prof / n_v1, n_v0), v1 = lin(0.0f, VOCAB_VMAX, prof % n_v1, n_v1);
        float L = 0.5f * (v0 + v1) * T; /* path length of the ramp */
        float *e = &table[(size_t)i * horizon * 3];
        for (int w = 0; w < horizon; w++) {
            float t = TRAJ_DT * (float)(w + 1), s = v0 * t + 0.5f * (v1 - v0) * t * t / T;
            float x, y, h;
            if (shape < n_turn) {
                float k = L > 1e-3f ? turn_angle(shape, n_turn) / L : 0.0f; /* curvature */
                h = k * s;
                if (fabsf(k) > 1e-6f) x = sinf(h) / k, y = (1.0f - cosf(h)) / k;
                else x = s, y = 0.0f;
            } else { /* lane change: smoothstep lateral offset over the whole path */
                float d = LC[shape - n_turn], u = L > 1e-3f ? s / L : 0.0f;
                x = s;
                y = d * u * u * (3.0f - 2.0f * u);
                h = L > 1e-3f ? atanf(d * 6.0f * u * (1.0f - u) / L) : 0.0f;
            }
            e[3 * w] = x, e[3 * w + 1] = y, e[3 * w + 2] = h;
        }
    }
}

int policy_vocab_size(const Policy *p) { return p->cfg.vocab_size; }

void policy_vocab_entry(const Policy *p, int k, Traj *out) {
    const float *e = vocab_table(p) + (size_t)k * p->cfg.horizon * 3;
    memset(out, 0, sizeof *out);
    out->n = p->cfg.horizon;
    for (int w = 0; w < out->n; w++) out->x[w] = e[3 * w], out->y[w] = e[3 * w + 1], out->heading[w] = e[3 * w + 2];
}

int policy_vocab_nearest(const Policy *p, const Traj *t, float *dist) {
    const float *tab = vocab_table(p);
    int H = p->cfg.horizon, best = 0;
    float best_d = INFINITY;
    for (int k = 0; k < p->cfg.vocab_size; k++) {
        const float *e = tab + (size_t)k * H * 3;
        float d = 0.0f;
        for (int w = 0; w < H; w++) d += hypotf(t->x[w] - e[3 * w], t->y[w] - e[3 * w + 1]);
        d /= (float)H;
        if (d < best_d) best_d = d, best = k;
    }
    if (dist) *dist = best_d;
    return best;
}

/* ---- k-means ------------------------------------------------------------------------------- */
static double sqdist(const Traj *t, const float *c, int H) {
    double d = 0.0;
    for (int w = 0; w < H; w++) {
        double dx = (double)t->x[w] - c[3 * w], dy = (double)t->y[w] - c[3 * w + 1];
        d += dx * dx + dy * dy;
    }
    return d;
}

static void set_centre(float *c, const Traj *t, int H) {
    for (int w = 0; w < H; w++) c[3 * w] = t->x[w], c[3 * w + 1] = t->y[w], c[3 * w + 2] = t->heading[w];
}

int policy_vocab_fit_kmeans(Policy *p, const Traj *trajs, int n, int iters, Rng *rng, Err *e) {
    int V = p->cfg.vocab_size, H = p->cfg.horizon;
    if (p->cfg.family != POLICY_VOCAB) return err_set(e, "policy_vocab_fit_kmeans: not a vocab policy");
    if (n < V) return err_set(e, "policy_vocab_fit_kmeans: %d trajectories for %d centres (need n >= V)", n, V);
    if (!rng) return err_set(e, "policy_vocab_fit_kmeans: needs an Rng");
    for (int i = 0; i < n; i++) {
        if (trajs[i].n < H) return err_set(e, "policy_vocab_fit_kmeans: trajectory %d has %d waypoints, need %d", i, trajs[i].n, H);
        for (int w = 0; w < H; w++)
            if (!isfinite(trajs[i].x[w]) || !isfinite(trajs[i].y[w]) || !isfinite(trajs[i].heading[w]))
                return err_set(e, "policy_vocab_fit_kmeans: trajectory %d waypoint %d is not finite", i, w);
    }
    float *cent = malloc((size_t)V * H * 3 * sizeof *cent);
    double *d2 = malloc((size_t)n * sizeof *d2), *acc = malloc((size_t)V * H * 4 * sizeof *acc);
    int *assign = malloc((size_t)n * sizeof *assign), *count = malloc((size_t)V * sizeof *count);
    if (!cent || !d2 || !acc || !assign || !count) {
        free(cent), free(d2), free(acc), free(assign), free(count);
        return err_set(e, "policy_vocab_fit_kmeans: out of memory");
    }
    /* k-means++: first centre uniform, then each with probability ∝ squared distance to the nearest */
    set_centre(cent, &trajs[rng_below(rng, (uint32_t)n)], H);
    for (int i = 0; i < n; i++) d2[i] = sqdist(&trajs[i], cent, H);
    for (int k = 1; k < V; k++) {
        double total = 0.0;
        for (int i = 0; i < n; i++) total += d2[i];
        int pick = 0;
        if (total > 0.0) {
            double u = (double)rng_uniform(rng) * total, c = 0.0;
            pick = n - 1;
            for (int i = 0; i < n; i++)
                if ((c += d2[i]) > u && d2[i] > 0.0) { pick = i; break; }
        } else {
            pick = (int)rng_below(rng, (uint32_t)n); /* all points covered: duplicates are unavoidable */
        }
        set_centre(cent + (size_t)k * H * 3, &trajs[pick], H);
        for (int i = 0; i < n; i++) {
            double d = sqdist(&trajs[i], cent + (size_t)k * H * 3, H);
            if (d < d2[i]) d2[i] = d;
        }
    }
    /* Lloyd iterations */
    for (int it = 0; it < iters; it++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int k = 0; k < V; k++) {
                double d = sqdist(&trajs[i], cent + (size_t)k * H * 3, H);
                if (d < bd) bd = d, best = k;
            }
            changed += it == 0 || assign[i] != best;
            assign[i] = best;
        }
        if (!changed) break;
        memset(acc, 0, (size_t)V * H * 4 * sizeof *acc);
        memset(count, 0, (size_t)V * sizeof *count);
        for (int i = 0; i < n; i++) {
            double *a = acc + (size_t)assign[i] * H * 4;
            count[assign[i]]++;
            for (int w = 0; w < H; w++) {
                a[4 * w] += trajs[i].x[w], a[4 * w + 1] += trajs[i].y[w];
                a[4 * w + 2] += cos(trajs[i].heading[w]), a[4 * w + 3] += sin(trajs[i].heading[w]);
            }
        }
        for (int k = 0; k < V; k++) {
            if (!count[k]) continue;
            const double *a = acc + (size_t)k * H * 4;
            float *c = cent + (size_t)k * H * 3;
            for (int w = 0; w < H; w++) {
                c[3 * w] = (float)(a[4 * w] / count[k]), c[3 * w + 1] = (float)(a[4 * w + 1] / count[k]);
                c[3 * w + 2] = (float)atan2(a[4 * w + 3], a[4 * w + 2]);
            }
        }
    }
    memcpy(vocab_table(p), cent, (size_t)V * H * 3 * sizeof *cent);
    free(cent), free(d2), free(acc), free(assign), free(count);
    return 0;
}
