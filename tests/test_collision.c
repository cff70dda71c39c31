/* Oriented-box overlap on hand-computed configurations, the broad phase against brute force on
 * random box sets, and sampled time to collision against closed-form meeting times. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/collision.h"
#include "craft/rng.h"

static Obb box(float cx, float cy, float heading, float half_len, float half_wid) {
    Obb b = {cx, cy, heading, half_len, half_wid};
    return b;
}

/* Both argument orders must agree: the SAT runs in the first box's frame. */
static int overlap_both(Obb a, Obb b) {
    int ab = obb_overlap(&a, &b), ba = obb_overlap(&b, &a);
    cr_assert_eq(ab, ba, "obb_overlap is not symmetric");
    return ab;
}

Test(collision, touching_edges_overlap_one_cm_apart_does_not) {
    Obb a = box(0, 0, 0, 2, 1);
    cr_assert(overlap_both(a, box(4.0f, 0, 0, 2, 1)));       /* share the edge x = 2 */
    cr_assert(overlap_both(a, box(0, 2.0f, 0, 2, 1)));       /* share the edge y = 1 */
    cr_assert(overlap_both(a, box(4.0f, 2.0f, 0, 2, 1)));    /* share only the corner (2, 1) */
    cr_assert(!overlap_both(a, box(4.01f, 0, 0, 2, 1)));
    cr_assert(!overlap_both(a, box(0, 2.01f, 0, 2, 1)));
    /* The same pair far from the origin and turned by 30°: still touching / still 1 cm apart. */
    float c = cosf(0.5235988f), s = sinf(0.5235988f), ox = 512.0f, oy = -256.0f;
    cr_assert(overlap_both(box(ox, oy, 0.5235988f, 2, 1), box(ox + 4 * c, oy + 4 * s, 0.5235988f, 2, 1)));
    cr_assert(!overlap_both(box(ox, oy, 0.5235988f, 2, 1), box(ox + 4.01f * c, oy + 4.01f * s, 0.5235988f, 2, 1)));
}

/* Unit square at the origin; a unit square turned 45° to its right has its left corner at
 * cx − √2, so it enters the face x = 1 when cx < 1 + √2. */
Test(collision, rotated_45_corner_in_face_and_near_miss) {
    Obb a = box(0, 0, 0, 1, 1);
    float r2 = sqrtf(2.0f), q = 0.78539816f;
    cr_assert(overlap_both(a, box(1.0f + r2 - 0.05f, 0.3f, q, 1, 1)));   /* corner 5 cm into the face */
    cr_assert(!overlap_both(a, box(1.0f + r2 + 0.01f, 0.3f, q, 1, 1)));  /* corner 1 cm short */
    /* Diagonal near miss that only the second box's axis separates: a thin plank at −45° passing
     * the corner (1, 1) at a clearance g. Its x/y extents overlap the square's. */
    for (int sign = -1; sign <= 1; sign += 2) {
        float g = 0.01f * sign, off = (g + 0.1f) / r2;
        Obb plank = box(1.0f + off, 1.0f + off, -q, 3.0f, 0.1f);
        cr_assert_eq(overlap_both(a, plank), g < 0, "g = %g", g);
    }
}

Test(collision, identical_and_contained_boxes) {
    Obb a = box(3, -2, 0.4f, 2.3f, 0.9f);
    cr_assert(overlap_both(a, a));
    Obb big = box(0, 0, 0.2f, 5, 3), small = box(1, 0.5f, 1.3f, 1, 0.5f);
    cr_assert(overlap_both(big, small));
}

Test(collision, corners_ccw_from_front_left_and_aabb) {
    float cx[4], cy[4];
    obb_corners(&(Obb){1, 2, 1.5707963f, 2, 1}, cx, cy);   /* facing +y */
    float ex[4] = {0, 0, 2, 2}, ey[4] = {4, 0, 0, 4};
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(cx[i], ex[i], 1e-5);
        cr_assert_float_eq(cy[i], ey[i], 1e-5);
    }
    float area2 = 0;                                         /* shoelace: positive when CCW */
    for (int i = 0; i < 4; i++) area2 += cx[i] * cy[(i + 1) % 4] - cx[(i + 1) % 4] * cy[i];
    cr_assert_float_eq(area2, 2 * 8.0f, 1e-4);
    float x0, y0, x1, y1;
    obb_aabb(&(Obb){0, 0, 0.5235988f, 2, 1}, &x0, &y0, &x1, &y1);  /* 30°: 2cos30+sin30, 2sin30+cos30 */
    cr_assert_float_eq(x1, 2.0f * 0.8660254f + 0.5f, 1e-5);
    cr_assert_float_eq(y1, 1.0f + 0.8660254f, 1e-5);
    cr_assert_float_eq(x0, -x1, 1e-6);
    cr_assert_float_eq(y0, -y1, 1e-6);
}

/* ---- broad phase ---------------------------------------------------------------------------- */

#define BP_MAX 96

static void random_boxes(Rng *r, Obb *b, int n, float extent) {
    for (int i = 0; i < n; i++)
        b[i] = box(rng_range(r, 0, extent), rng_range(r, 0, extent), rng_range(r, -3.2f, 3.2f),
                   rng_range(r, 0.2f, 6.0f), rng_range(r, 0.2f, 1.5f));
}

static int has_pair(const int *pairs, int np, int i, int j) {
    for (int k = 0; k < np; k++)
        if (pairs[2 * k] == i && pairs[2 * k + 1] == j) return 1;
    return 0;
}

/* Every pair the brute-force SAT finds is proposed, pairs are (i < j) and unique, `order` stays a
 * permutation, and the output does not depend on the history kept in `order`. */
static void check_broadphase(const Obb *b, int n, int *order) {
    static int pairs[BP_MAX * BP_MAX], fresh_pairs[BP_MAX * BP_MAX];
    static unsigned char proposed[BP_MAX][BP_MAX];
    int fresh_order[BP_MAX];
    int np = obb_broadphase(b, n, order, pairs, BP_MAX * BP_MAX / 2);
    int seen[BP_MAX] = {0};
    for (int k = 0; k < n; k++) seen[order[k]]++;
    for (int k = 0; k < n; k++) cr_assert_eq(seen[k], 1, "order is not a permutation");
    memset(proposed, 0, sizeof proposed);
    for (int k = 0; k < np; k++) {
        int i = pairs[2 * k], j = pairs[2 * k + 1];
        cr_assert(i < j && j < n);
        cr_assert(!proposed[i][j], "duplicate pair");
        proposed[i][j] = 1;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (obb_overlap(&b[i], &b[j])) cr_assert(proposed[i][j], "missed pair %d %d", i, j);
    obb_broadphase_init(fresh_order, n);
    int nf = obb_broadphase(b, n, fresh_order, fresh_pairs, BP_MAX * BP_MAX / 2);
    cr_assert_eq(nf, np);
    cr_assert_arr_eq(fresh_pairs, pairs, sizeof(int) * 2 * np, "pair list depends on order history");
}

Test(collision, broadphase_never_misses_a_pair) {
    Rng r;
    rng_seed(&r, 2024, 0);
    Obb b[BP_MAX];
    int order[BP_MAX];
    int total_hits = 0;
    for (int trial = 0; trial < 150; trial++) {
        int n = 2 + (int)rng_below(&r, BP_MAX - 1);
        random_boxes(&r, b, n, trial % 2 ? 40.0f : 120.0f);
        obb_broadphase_init(order, n);
        for (int move = 0; move < 20; move++) {    /* coherent motion, re-using `order` */
            check_broadphase(b, n, order);
            for (int i = 0; i < n; i++) {
                b[i].cx += rng_range(&r, -1.5f, 1.5f);
                b[i].cy += rng_range(&r, -1.5f, 1.5f);
                b[i].heading += rng_range(&r, -0.2f, 0.2f);
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) total_hits += obb_overlap(&b[i], &b[j]);
    }
    cr_assert_gt(total_hits, 500, "the random sets must actually contain overlaps");
}

/* Boxes exactly touching each other in a row (gap 0), which only the touch tolerance joins. */
Test(collision, broadphase_keeps_touching_pairs) {
    Obb b[6];
    int order[6], pairs[30];
    for (int i = 0; i < 6; i++) b[i] = box(4.0f * (5 - i), 0.0f, 0.0f, 2.0f, 1.0f);  /* reverse x order */
    obb_broadphase_init(order, 6);
    int np = obb_broadphase(b, 6, order, pairs, 15);
    for (int i = 0; i + 1 < 6; i++) cr_assert(has_pair(pairs, np, i, i + 1));
    cr_assert_eq(obb_broadphase(b, 6, order, pairs, 2), 2);   /* truncated to the caller's buffer */
    /* Turned by −atan(1/2) a 4 × 2 box has corners at (±√5, 0); two of them corner to corner
     * 0.5 mm apart are within the 1 mm touch tolerance, so the broad phase must keep them too. */
    float h = -atanf(0.5f), r5 = sqrtf(5.0f);
    b[0] = box(0.0f, 0.0f, h, 2.0f, 1.0f);
    b[1] = box(2.0f * r5 + 5e-4f, 0.0f, h, 2.0f, 1.0f);
    cr_assert(obb_overlap(&b[0], &b[1]));
    obb_broadphase_init(order, 2);
    cr_assert_eq(obb_broadphase(b, 2, order, pairs, 1), 1);
    b[1].cx += 0.01f;                                          /* 1 cm: apart for both */
    cr_assert(!obb_overlap(&b[0], &b[1]));
}

/* ---- time to collision ---------------------------------------------------------------------- */

/* Head-on along x: front bumpers 30 − 4 = 26 m apart closing at 20 m/s meet at 1.3 s. */
Test(collision, ttc_head_on) {
    Obb a = box(0, 0, 0, 2, 1), b = box(30, 0, 3.1415927f, 2, 1);
    float t = obb_time_to_collision(&a, 10, 0, &b, -10, 0, 5.0f, 0.1f);
    cr_assert(t >= 1.3f - 1e-4f && t <= 1.3f + 0.1f + 1e-4f, "t = %g", t);
    /* 25 m at 20 m/s = 1.25 s, between samples: the first sample after is 1.3 s. */
    b.cx = 29.0f;
    cr_assert_float_eq(obb_time_to_collision(&a, 10, 0, &b, -10, 0, 5.0f, 0.1f), 1.3f, 1e-4);
    /* Same meeting with only b moving, and with a finer step. */
    t = obb_time_to_collision(&a, 0, 0, &b, -20, 0, 5.0f, 0.01f);
    cr_assert(t >= 1.25f - 1e-4f && t <= 1.26f + 1e-4f, "t = %g", t);
    cr_assert_eq(obb_time_to_collision(&a, 10, 0, &b, -10, 0, 1.2f, 0.1f), INFINITY);  /* beyond horizon */
}

Test(collision, ttc_miss_overlap_and_crossing) {
    Obb a = box(0, 0, 0, 2, 1);
    Obb lateral = box(30, 3.0f, 3.1415927f, 2, 1);             /* 1 m of clearance sideways */
    cr_assert_eq(obb_time_to_collision(&a, 10, 0, &lateral, -10, 0, 5.0f, 0.1f), INFINITY);
    Obb touching = box(3.5f, 0.5f, 0.3f, 2, 1);
    cr_assert_eq(obb_time_to_collision(&a, 10, 0, &touching, -10, 0, 5.0f, 0.1f), 0.0f);
    cr_assert_eq(obb_time_to_collision(&a, 0, 0, &lateral, 0, 0, 5.0f, 0.1f), INFINITY); /* parked apart */
    /* Crossing at right angles, both at 10 m/s from 20 m out: a spans x ∈ [cx − 2, cx + 2] and
     * reaches b's side x = −1 when cx = −3, i.e. t = 1.7 s, the same time b reaches y = −1. */
    Obb east = box(-20, 0, 0, 2, 1), north = box(0, -20, 1.5707963f, 2, 1);
    float t = obb_time_to_collision(&east, 10, 0, &north, 0, 10, 5.0f, 0.1f);
    cr_assert_float_eq(t, 1.7f, 1e-4);
    /* Delay the northbound car by 0.6 s (6 m): then the eastbound car's rear (x = cx − 2) clears
     * x = 1 at t = 2.3 s, when the northbound front is at y = −6 + 23 − 20 + 2 = −1: touching. */
    north.cy = -26.0f;
    t = obb_time_to_collision(&east, 10, 0, &north, 0, 10, 5.0f, 0.1f);
    cr_assert_float_eq(t, 2.3f, 1e-4);
    north.cy = -26.2f;                                        /* 20 cm later: it passes behind */
    cr_assert_eq(obb_time_to_collision(&east, 10, 0, &north, 0, 10, 5.0f, 0.1f), INFINITY);
}
