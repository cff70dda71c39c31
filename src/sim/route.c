/* route — builds the ego's route polyline from a chain of lanes: the lanes' centrelines are
 * concatenated (successor steps) or blended sideways over a short distance (lane changes onto a
 * same-direction neighbour), then resampled at a fixed spacing with arc length. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/geom.h"
#include "craft/route.h"

#define LANE_CHANGE_LEN 30.0f  /* metres over which a lane change blends into the neighbour */
#define BLEND_STEP 0.5f

typedef struct { float x, y, heading; int lane; uint8_t fd_heading; } DensePoint;
typedef struct { DensePoint *p; int n, cap; } Dense;

static int dense_push(Dense *d, float x, float y, float heading, int lane, int fd_heading) {
    if (d->n > 0) { /* successive pieces share their end points */
        const DensePoint *q = &d->p[d->n - 1];
        if (fabsf(q->x - x) < 1e-4f && fabsf(q->y - y) < 1e-4f) return 0;
    }
    if (d->n == d->cap) {
        int c = d->cap ? 2 * d->cap : 256;
        DensePoint *np = realloc(d->p, (size_t)c * sizeof *np);
        if (!np) return -1;
        d->p = np;
        d->cap = c;
    }
    d->p[d->n++] = (DensePoint){x, y, heading, lane, (uint8_t)fd_heading};
    return 0;
}

/* Lane centreline between arc lengths a and b (a <= b), end points interpolated. */
static int dense_lane(Dense *d, const Map *m, int lane, float a, float b) {
    const Lane *l = &m->lanes[lane];
    const LanePoint *pt = &m->points[l->first_point];
    float x, y, h;
    map_lane_pose(m, lane, a, &x, &y, &h);
    if (dense_push(d, x, y, h, lane, 0)) return -1;
    for (int i = 0; i < l->n_points; i++)
        if (pt[i].s > a && pt[i].s < b && dense_push(d, pt[i].x, pt[i].y, pt[i].heading, lane, 0)) return -1;
    map_lane_pose(m, lane, b, &x, &y, &h);
    return dense_push(d, x, y, h, lane, 0);
}

static int link_kind(const Map *m, int from, int to) {
    const Lane *l = &m->lanes[from];
    for (int k = 0; k < l->n_succ; k++)
        if (l->succ[k] == to) return 1;
    if ((l->left == to && !l->left_opposite) || (l->right == to && !l->right_opposite)) return 2;
    return 0;
}

int route_build(const Map *m, const int *lanes, int n, float s_start, float s_end, float spacing, Route *out, Err *e) {
    if (!m || !lanes || !out) return err_set(e, "route_build: missing map, lanes or output");
    memset(out, 0, sizeof *out);
    if (n < 1 || n > ROUTE_MAX_LANES) return err_set(e, "route_build: %d lanes (need 1..%d)", n, ROUTE_MAX_LANES);
    if (!(spacing >= 0.05f && spacing <= 100.0f)) return err_set(e, "route_build: spacing %g out of range [0.05, 100]", spacing);
    int kind[ROUTE_MAX_LANES] = {0};
    for (int i = 0; i < n; i++) {
        if (lanes[i] < 0 || lanes[i] >= m->n_lanes) return err_set(e, "route_build: lane %d does not exist", lanes[i]);
        if (i > 0 && !(kind[i] = link_kind(m, lanes[i - 1], lanes[i])))
            return err_set(e, "route_build: lane %d is neither a successor nor a same-direction neighbour of lane %d",
                           lanes[i], lanes[i - 1]);
    }
    float len_last = m->lanes[lanes[n - 1]].length;
    if (s_end < 0) s_end = len_last;
    if (!(s_start >= 0 && s_start <= m->lanes[lanes[0]].length))
        return err_set(e, "route_build: s_start %g outside the first lane [0, %g]", s_start, m->lanes[lanes[0]].length);
    if (!(s_end <= len_last + 1e-3f)) return err_set(e, "route_build: s_end %g beyond the last lane's length %g", s_end, len_last);
    if (n == 1 && !(s_end > s_start)) return err_set(e, "route_build: s_end %g must exceed s_start %g", s_end, s_start);

    Dense d = {0};
    float a = s_start;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        int lane = lanes[i];
        float len = m->lanes[lane].length;
        if (i == n - 1) {
            rc = dense_lane(&d, m, lane, a, s_end > a ? s_end : a);
        } else if (kind[i + 1] == 1) {
            rc = dense_lane(&d, m, lane, a, len);
            a = 0;
        } else {
            /* lane change in the middle of what is left of this lane (before s_end on the last) */
            float avail_end = (i + 1 == n - 1) ? fminf(len, s_end) : len;
            float avail = fmaxf(avail_end - a, 0.0f), lc = fminf(LANE_CHANGE_LEN, 0.8f * avail);
            float s_c = a + 0.5f * (avail - lc);
            rc = dense_lane(&d, m, lane, a, s_c);
            int next = lanes[i + 1], steps = (int)ceilf(lc / BLEND_STEP), hint = -1;
            LaneProj pr;
            for (int k = 1; k <= steps && !rc; k++) {
                float u = (float)k / steps, alpha = u * u * (3 - 2 * u); /* smoothstep */
                float x0, y0, h0, x1, y1, h1;
                map_lane_pose(m, lane, s_c + u * lc, &x0, &y0, &h0);
                map_project(m, next, x0, y0, hint, &pr);
                hint = pr.seg;
                map_lane_pose(m, next, pr.s, &x1, &y1, &h1);
                rc = dense_push(&d, x0 + alpha * (x1 - x0), y0 + alpha * (y1 - y0), h1, alpha < 0.5f ? lane : next, 1);
                a = pr.s;
            }
            if (steps == 0) {
                float x0, y0, h0;
                map_lane_pose(m, lane, s_c, &x0, &y0, &h0);
                map_project(m, next, x0, y0, -1, &pr);
                a = pr.s;
            }
        }
    }
    if (rc || d.n < 1) {
        free(d.p);
        return err_set(e, "route_build: out of memory");
    }
    /* blended points take their heading from the polyline itself */
    for (int i = 0; i < d.n; i++)
        if (d.p[i].fd_heading) {
            int i0 = i > 0 ? i - 1 : i, i1 = i < d.n - 1 ? i + 1 : i;
            if (i1 > i0) d.p[i].heading = atan2f(d.p[i1].y - d.p[i0].y, d.p[i1].x - d.p[i0].x);
        }
    float *cum = malloc((size_t)d.n * sizeof *cum);
    if (!cum) {
        free(d.p);
        return err_set(e, "route_build: out of memory");
    }
    cum[0] = 0;
    for (int i = 1; i < d.n; i++) cum[i] = cum[i - 1] + hypotf(d.p[i].x - d.p[i - 1].x, d.p[i].y - d.p[i - 1].y);
    float total = cum[d.n - 1];
    int np = (int)floorf(total / spacing) + 1;
    if (total - (np - 1) * spacing > 1e-3f * spacing) np++;
    out->pts = malloc((size_t)np * sizeof *out->pts);
    if (!out->pts) {
        free(cum);
        free(d.p);
        return err_set(e, "route_build: out of memory");
    }
    int j = 0;
    for (int k = 0; k < np; k++) {
        float s = k == np - 1 ? total : k * spacing;
        while (j < d.n - 2 && cum[j + 1] < s) j++;
        int j1 = j + 1 < d.n ? j + 1 : j;
        float span = cum[j1] - cum[j], t = span > 0 ? (s - cum[j]) / span : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const DensePoint *p0 = &d.p[j], *p1 = &d.p[j1];
        out->pts[k] = (RoutePoint){p0->x + t * (p1->x - p0->x), p0->y + t * (p1->y - p0->y),
                                   wrap_angle(p0->heading + t * wrap_angle(p1->heading - p0->heading)), s,
                                   t < 0.5f ? p0->lane : p1->lane};
    }
    out->n = np;
    out->length = total;
    out->n_lanes = n;
    memcpy(out->lanes, lanes, (size_t)n * sizeof *lanes);
    free(cum);
    free(d.p);
    return 0;
}

void route_free(Route *r) {
    if (!r) return;
    free(r->pts);
    memset(r, 0, sizeof *r);
}

int route_nearest(const Route *r, float x, float y, int from, int window, float *dist) {
    if (r->n < 1) {
        if (dist) *dist = INFINITY;
        return -1;
    }
    int lo = from < 0 ? 0 : from >= r->n ? r->n - 1 : from;
    int hi = window < 0 ? r->n - 1 : lo + window;
    if (window < 0) lo = 0;
    if (hi > r->n - 1) hi = r->n - 1;
    int best = lo;
    float best2 = INFINITY;
    for (int i = lo; i <= hi; i++) {
        float dx = r->pts[i].x - x, dy = r->pts[i].y - y, d2 = dx * dx + dy * dy;
        if (d2 < best2) best2 = d2, best = i;
    }
    if (dist) *dist = sqrtf(best2);
    return best;
}
