/* Tests of routes: length and spacing against the lanes they are built from, lane changes,
 * the windowed nearest-point search, and input errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/geom.h"
#include "craft/route.h"

static Map *build(const char *name) {
    MapParams p;
    Err e = {{0}};
    cr_assert_eq(map_params_from_name(name, &p, &e), 0, "%s", e.msg);
    Map *m = map_build(&p, &e);
    cr_assert_not_null(m, "%s", e.msg);
    return m;
}

/* The approach lane, connector and exit of the first connector with the given turn. */
static void junction_chain(const Map *m, int turn, int chain[3]) {
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].junction >= 0 && m->lanes[l].turn == turn) {
            chain[0] = m->lanes[l].pred[0], chain[1] = l, chain[2] = m->lanes[l].succ[0];
            return;
        }
    cr_assert_fail("no connector with turn %d", turn);
}

static void check_spacing(const Route *r, float spacing) {
    cr_assert_geq(r->n, 2);
    cr_assert_float_eq(r->pts[0].s, 0.0f, 1e-6f);
    cr_assert_float_eq(r->pts[r->n - 1].s, r->length, 1e-4f);
    for (int i = 0; i + 1 < r->n; i++) {
        float ds = r->pts[i + 1].s - r->pts[i].s;
        if (i + 2 < r->n) cr_assert_float_eq(ds, spacing, 1e-3f);
        else cr_assert(ds > 0 && ds <= spacing + 1e-4f);
        /* resampled chords can only be shorter than the arc between them */
        float chord = hypotf(r->pts[i + 1].x - r->pts[i].x, r->pts[i + 1].y - r->pts[i].y);
        cr_assert_leq(chord, ds + 1e-3f);
        cr_assert_geq(chord, 0.95f * ds - 1e-3f);
        cr_assert_lt(fabsf(wrap_angle(r->pts[i + 1].heading - r->pts[i].heading)), 0.3f * ds + 0.02f);
    }
}

Test(route, length_is_sum_of_pieces) {
    Map *m = build("junction4_light");
    int turns[3] = {TURN_LEFT, TURN_STRAIGHT, TURN_RIGHT};
    for (int t = 0; t < 3; t++) {
        int c[3];
        junction_chain(m, turns[t], c);
        Route r;
        Err e = {{0}};
        cr_assert_eq(route_build(m, c, 3, 30.0f, 50.0f, 1.0f, &r, &e), 0, "%s", e.msg);
        float want = (m->lanes[c[0]].length - 30.0f) + m->lanes[c[1]].length + 50.0f;
        cr_assert_float_eq(r.length, want, 1e-3f, "turn %d: %g vs %g", turns[t], r.length, want);
        check_spacing(&r, 1.0f);
        float x, y, h;
        map_lane_pose(m, c[0], 30.0f, &x, &y, &h);
        cr_assert(fabsf(r.pts[0].x - x) < 1e-4f && fabsf(r.pts[0].y - y) < 1e-4f);
        cr_assert_lt(fabsf(wrap_angle(r.pts[0].heading - h)), 1e-4f);
        map_lane_pose(m, c[2], 50.0f, &x, &y, &h);
        cr_assert(fabsf(r.pts[r.n - 1].x - x) < 1e-3f && fabsf(r.pts[r.n - 1].y - y) < 1e-3f);
        cr_assert_eq(r.pts[0].lane, c[0]);
        cr_assert_eq(r.pts[r.n - 1].lane, c[2]);
        cr_assert_eq(r.n_lanes, 3);
        cr_assert_eq(memcmp(r.lanes, c, sizeof c), 0);
        /* every route point lies on the lane it names */
        for (int i = 0; i < r.n; i++) {
            LaneProj pr;
            map_project(m, r.pts[i].lane, r.pts[i].x, r.pts[i].y, -1, &pr);
            cr_assert_lt(pr.dist, 0.01f);
        }
        route_free(&r);
        cr_assert_null(r.pts);
        cr_assert_eq(r.n, 0);
    }
    map_destroy(m);
}

Test(route, single_lane_and_default_end) {
    Map *m = build("straight");
    int lane = -1;
    for (int l = 0; l < m->n_lanes; l++)
        if (m->points[m->lanes[l].first_point].y < -5) lane = l; /* eastbound right lane, y = -5.25 */
    Route r;
    Err e = {{0}};
    cr_assert_eq(route_build(m, &lane, 1, 10.0f, -1.0f, 2.0f, &r, &e), 0, "%s", e.msg);
    cr_assert_float_eq(r.length, 110.0f, 1e-3f);
    cr_assert_eq(r.n, 56); /* 0, 2, ..., 110 */
    for (int i = 0; i < r.n; i++) {
        cr_assert_float_eq(r.pts[i].x, 10.0f + 2.0f * i, 1e-3f);
        cr_assert_float_eq(r.pts[i].y, -5.25f, 1e-5f);
    }
    route_free(&r);
    /* 110 m at 3 m spacing: 37 points plus the end at 110 */
    cr_assert_eq(route_build(m, &lane, 1, 0.0f, 110.0f, 3.0f, &r, &e), 0);
    cr_assert_eq(r.n, 38);
    cr_assert_float_eq(r.pts[36].s, 108.0f, 1e-4f);
    cr_assert_float_eq(r.pts[37].s, 110.0f, 1e-4f);
    route_free(&r);
    map_destroy(m);
}

Test(route, lane_change_blends_into_neighbour) {
    Map *m = build("straight");
    int left = -1, right = -1;
    for (int l = 0; l < m->n_lanes; l++) {
        float y = m->points[m->lanes[l].first_point].y;
        if (fabsf(y + 1.75f) < 1e-3f) left = l;
        if (fabsf(y + 5.25f) < 1e-3f) right = l;
    }
    int lanes[2] = {left, right};
    Route r;
    Err e = {{0}};
    cr_assert_eq(route_build(m, lanes, 2, 0.0f, -1.0f, 1.0f, &r, &e), 0, "%s", e.msg);
    /* 120 m plus the extra arc of a smoothstep shift D = 3.5 m over L = 30 m:
     * integral of (y')^2 / 2 = 0.5 (6 D / L)^2 L * integral of u^2 (1 - u)^2 du = 0.6 D^2 / L = 0.245 m */
    cr_assert_float_eq(r.length, 120.245f, 0.02f, "%g", r.length);
    check_spacing(&r, 1.0f);
    cr_assert_float_eq(r.pts[0].y, -1.75f, 1e-4f);
    cr_assert_float_eq(r.pts[r.n - 1].y, -5.25f, 1e-4f);
    cr_assert_eq(r.pts[0].lane, left);
    cr_assert_eq(r.pts[r.n - 1].lane, right);
    /* the change happens in the middle (45 .. 75 m), monotonically */
    for (int i = 0; i + 1 < r.n; i++) {
        cr_assert_leq(r.pts[i + 1].y, r.pts[i].y + 1e-5f);
        if (r.pts[i].x < 44.5f) cr_assert_float_eq(r.pts[i].y, -1.75f, 1e-4f);
        if (r.pts[i].x > 75.5f) cr_assert_float_eq(r.pts[i].y, -5.25f, 1e-4f);
    }
    route_free(&r);
    map_destroy(m);
}

Test(route, highway_ramp_route) {
    Map *m = build("highway");
    int entry = -1;
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].is_ramp && m->lanes[l].n_pred == 0) entry = l;
    int acc = m->lanes[entry].succ[0], main_lane = m->lanes[acc].left;
    int lanes[4] = {entry, acc, main_lane, m->lanes[main_lane].succ[0]};
    Route r;
    Err e = {{0}};
    cr_assert_eq(route_build(m, lanes, 4, 0.0f, -1.0f, 1.0f, &r, &e), 0, "%s", e.msg);
    check_spacing(&r, 1.0f);
    float want = m->lanes[entry].length + m->lanes[acc].length + m->lanes[lanes[3]].length;
    cr_assert_float_eq(r.length, want, 0.5f, "%g vs %g", r.length, want);
    cr_assert_eq(r.pts[r.n - 1].lane, lanes[3]);
    route_free(&r);
    map_destroy(m);
}

Test(route, nearest_window) {
    Map *m = build("curve");
    int lane = 0;
    Route r;
    Err e = {{0}};
    cr_assert_eq(route_build(m, &lane, 1, 0.0f, -1.0f, 1.0f, &r, &e), 0);
    for (int k = 0; k < r.n; k += 7) {
        const RoutePoint *p = &r.pts[k];
        float x = p->x - 0.3f * sinf(p->heading), y = p->y + 0.3f * cosf(p->heading), d;
        int from = k > 10 ? k - 10 : 0;
        cr_assert_eq(route_nearest(&r, x, y, from, 40, &d), k);
        cr_assert_float_eq(d, 0.3f, 1e-3f);
        cr_assert_eq(route_nearest(&r, x, y, 0, -1, &d), k);
    }
    /* a window that ends before the true nearest returns its last point */
    int k = r.n / 2;
    float d;
    cr_assert_eq(route_nearest(&r, r.pts[k].x, r.pts[k].y, 0, k - 20, &d), k - 20);
    cr_assert_float_eq(d, 20.0f, 0.1f);
    cr_assert_eq(route_nearest(&r, r.pts[0].x, r.pts[0].y, r.n + 5, 10, &d), r.n - 1);
    route_free(&r);
    map_destroy(m);
}

Test(route, errors) {
    Map *m = build("straight");
    int fwd = -1, bwd = -1;
    for (int l = 0; l < m->n_lanes; l++) {
        float y = m->points[m->lanes[l].first_point].y;
        if (fabsf(y + 1.75f) < 1e-3f) fwd = l;
        if (fabsf(y - 1.75f) < 1e-3f) bwd = l;
    }
    Route r;
    Err e = {{0}};
    int opp[2] = {fwd, bwd};
    cr_assert_eq(route_build(m, opp, 2, 0, -1, 1, &r, &e), -1);
    cr_assert(strstr(e.msg, "neighbour"), "%s", e.msg);
    cr_assert_null(r.pts);
    cr_assert_eq(route_build(m, &fwd, 0, 0, -1, 1, &r, &e), -1);
    int bad = m->n_lanes;
    cr_assert_eq(route_build(m, &bad, 1, 0, -1, 1, &r, &e), -1);
    cr_assert_eq(route_build(m, &fwd, 1, -1, -1, 1, &r, &e), -1);
    cr_assert_eq(route_build(m, &fwd, 1, 0, 500, 1, &r, &e), -1);
    cr_assert_eq(route_build(m, &fwd, 1, 50, 40, 1, &r, &e), -1);
    cr_assert_eq(route_build(m, &fwd, 1, 0, -1, 0, &r, &e), -1);
    cr_assert(strstr(e.msg, "spacing"));
    map_destroy(m);
}
