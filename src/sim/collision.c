/* collision — separating-axis test, sort-and-sweep broad phase and sampled time to collision
 * (see craft/collision.h). All tests run in the first box's frame, so a pair costs two sincosf and
 * a few dozen flops; the broad phase needs no trigonometry at all (bounding circles). */
#include "craft/collision.h"
#include <math.h>

/* Gaps below 1 mm count as touching: positions a kilometre from the origin are only good to
 * ~0.1 mm in float, so a smaller tolerance would make "sharing an edge" depend on rounding. */
#define OBB_TOUCH_EPS 1e-3f
#define TTC_MAX_SAMPLES 100000.0

/* Box b relative to box a: the offset of b's centre in a's frame and the cos/sin of b's heading
 * relative to a's. Constant-velocity motion changes only the offset, so TTC reuses it. */
typedef struct { float ca, sa, c, s; } RelRot;

static inline RelRot rel_rot(const Obb *a, const Obb *b) {
    RelRot r;
    float cb, sb;
    sincosf(a->heading, &r.sa, &r.ca);
    sincosf(b->heading, &sb, &cb);
    r.c = r.ca * cb + r.sa * sb;    /* cos(hb − ha) */
    r.s = r.ca * sb - r.sa * cb;    /* sin(hb − ha) */
    return r;
}

/* SAT on the four face normals, with b's centre at world offset (dx, dy) from a's. */
static inline int sat_overlap(const Obb *a, const Obb *b, const RelRot *r, float dx, float dy) {
    float px = r->ca * dx + r->sa * dy, py = -r->sa * dx + r->ca * dy;  /* offset in a's frame */
    float ac = fabsf(r->c), as = fabsf(r->s);
    if (fabsf(px) > a->half_len + b->half_len * ac + b->half_wid * as + OBB_TOUCH_EPS) return 0;
    if (fabsf(py) > a->half_wid + b->half_len * as + b->half_wid * ac + OBB_TOUCH_EPS) return 0;
    if (fabsf(px * r->c + py * r->s) > b->half_len + a->half_len * ac + a->half_wid * as + OBB_TOUCH_EPS) return 0;
    if (fabsf(-px * r->s + py * r->c) > b->half_wid + a->half_len * as + a->half_wid * ac + OBB_TOUCH_EPS) return 0;
    return 1;
}

int obb_overlap(const Obb *a, const Obb *b) {
    RelRot r = rel_rot(a, b);
    return sat_overlap(a, b, &r, b->cx - a->cx, b->cy - a->cy);
}

void obb_aabb(const Obb *b, float *min_x, float *min_y, float *max_x, float *max_y) {
    float s, c;
    sincosf(b->heading, &s, &c);
    float ex = b->half_len * fabsf(c) + b->half_wid * fabsf(s);
    float ey = b->half_len * fabsf(s) + b->half_wid * fabsf(c);
    *min_x = b->cx - ex;
    *max_x = b->cx + ex;
    *min_y = b->cy - ey;
    *max_y = b->cy + ey;
}

void obb_corners(const Obb *b, float cx[4], float cy[4]) {
    float s, c;
    sincosf(b->heading, &s, &c);
    float lx = b->half_len * c, ly = b->half_len * s;     /* half length along the heading */
    float wx = -b->half_wid * s, wy = b->half_wid * c;    /* half width to the left */
    cx[0] = b->cx + lx + wx; cy[0] = b->cy + ly + wy;     /* front-left */
    cx[1] = b->cx - lx + wx; cy[1] = b->cy - ly + wy;     /* rear-left */
    cx[2] = b->cx - lx - wx; cy[2] = b->cy - ly - wy;     /* rear-right */
    cx[3] = b->cx + lx - wx; cy[3] = b->cy + ly - wy;     /* front-right */
}

/* ---- broad phase ---------------------------------------------------------------------------- */

/* The bounding circle's radius: a trig-free bound on the box in every direction. Its square
 * bounds are looser than the exact AABB (side-by-side cars become candidates) but cost one sqrtf
 * instead of one sincosf per key, and the SAT rejects the extra pairs for a few dozen flops. */
static inline float bound_radius(const Obb *b) { return sqrtf(b->half_len * b->half_len + b->half_wid * b->half_wid); }
/* Padded by the touch tolerance so that the broad phase keeps every pair the SAT calls touching. */
static inline float broad_radius(const Obb *b) { return bound_radius(b) + OBB_TOUCH_EPS; }
static inline float min_x_key(const Obb *b) { return b->cx - broad_radius(b); }

/* Order by min x, ties by index: the sorted order is then a function of the boxes alone, not of
 * the history in `order`, so restoring a snapshot reproduces the same pair sequence. */
static inline int sorts_before(float ka, int a, float kb, int b) { return ka < kb || (ka == kb && a < b); }

void obb_broadphase_init(int *order, int n) {
    for (int i = 0; i < n; i++) order[i] = i;
}

int obb_broadphase(const Obb *boxes, int n, int *order, int *pairs, int max_pairs) {
    /* An index out of range means the caller forgot obb_broadphase_init after n changed: restart
     * from the identity rather than read out of bounds (a stale permutation of the right size is
     * harmless, it only costs a longer sort). */
    for (int i = 0; i < n; i++)
        if ((unsigned)order[i] >= (unsigned)n) {
            obb_broadphase_init(order, n);
            break;
        }
    /* Insertion sort: O(n + swaps), and coherent motion makes few swaps per step. */
    for (int i = 1; i < n; i++) {
        int idx = order[i];
        float key = min_x_key(&boxes[idx]);
        int j = i - 1;
        while (j >= 0 && sorts_before(key, idx, min_x_key(&boxes[order[j]]), order[j])) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = idx;
    }
    int count = 0;
    for (int a = 0; a < n; a++) {
        int i = order[a];
        float ri = broad_radius(&boxes[i]);
        float max_x = boxes[i].cx + ri;
        for (int b = a + 1; b < n; b++) {
            int j = order[b];
            float rj = broad_radius(&boxes[j]);
            if (boxes[j].cx - rj > max_x) break;      /* sorted: nothing further can overlap in x */
            if (fabsf(boxes[j].cy - boxes[i].cy) > ri + rj) continue;
            if (count >= max_pairs) return count;     /* caller's buffer is full: truncate */
            pairs[2 * count] = i < j ? i : j;
            pairs[2 * count + 1] = i < j ? j : i;
            count++;
        }
    }
    return count;
}

/* ---- time to collision ---------------------------------------------------------------------- */

float obb_time_to_collision(const Obb *a, float avx, float avy, const Obb *b, float bvx, float bvy,
                            float horizon, float dt) {
    RelRot r = rel_rot(a, b);
    float dx = b->cx - a->cx, dy = b->cy - a->cy;
    if (sat_overlap(a, b, &r, dx, dy)) return 0.0f;
    if (!(dt > 0.0f) || !(horizon > 0.0f)) return INFINITY;
    /* Only the relative offset d(t) = d + w t changes. The boxes can only meet while their
     * bounding circles do, |d + w t| <= R: solve that quadratic once and sample only inside it. */
    float wx = bvx - avx, wy = bvy - avy;
    float R = bound_radius(a) + bound_radius(b) + OBB_TOUCH_EPS;
    float ww = wx * wx + wy * wy, dw = dx * wx + dy * wy, dd = dx * dx + dy * dy - R * R;
    if (ww <= 0.0f) return INFINITY;                  /* no relative motion and apart now */
    float disc = dw * dw - ww * dd;
    if (disc < 0.0f) return INFINITY;                 /* circles never meet */
    float sq = sqrtf(disc);
    float t_in = (-dw - sq) / ww, t_out = (-dw + sq) / ww;
    if (t_out < 0.0f || t_in > horizon) return INFINITY;
    /* Samples k·dt for k in [k_first, k_last]; floor on entry so rounding cannot skip a sample.
     * Capped at TTC_MAX_SAMPLES so an absurd horizon/dt cannot overflow the count or stall. */
    double k_last = fmin(floor((double)horizon / dt + 1e-4), floor((double)t_out / dt) + 1.0);
    double k_first = fmax(floor((double)t_in / dt), 1.0);
    k_last = fmin(k_last, k_first + TTC_MAX_SAMPLES);
    for (double k = k_first; k <= k_last; k += 1.0) {
        float t = (float)k * dt;
        if (sat_overlap(a, b, &r, dx + wx * t, dy + wy * t)) return t;
    }
    return INFINITY;
}
