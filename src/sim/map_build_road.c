/* map_build_road — the builder's core (growable arrays, lane sampling, links) and plain roads:
 * a road is a reference path (lines and arcs) with lanes offset sideways from it, sampled into
 * centreline points by arc length so that consecutive points are at most MAP_POINT_STEP apart. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim/map_internal.h"

/* ---- Reference paths ------------------------------------------------------------------------ */
void path_start(RefPath *path, double x, double y, double heading) {
    memset(path, 0, sizeof *path);
    path->p[0].x = x;
    path->p[0].y = y;
    path->p[0].h = heading;
}

static void piece_eval(const PathPiece *pc, double ds, double *x, double *y, double *h) {
    if (fabs(pc->k) < 1e-12) {
        *x = pc->x + ds * cos(pc->h);
        *y = pc->y + ds * sin(pc->h);
        *h = pc->h;
    } else {
        double he = pc->h + pc->k * ds;
        *x = pc->x + (sin(he) - sin(pc->h)) / pc->k;
        *y = pc->y - (cos(he) - cos(pc->h)) / pc->k;
        *h = he;
    }
}

/* Appends a piece starting where the path currently ends. */
static void path_append(RefPath *path, double k, double len) {
    if (path->n >= MAP_PATH_MAX_PIECES) return; /* builders use at most 3 pieces */
    PathPiece *pc = &path->p[path->n];
    if (path->n > 0) {
        const PathPiece *prev = &path->p[path->n - 1];
        piece_eval(prev, prev->len, &pc->x, &pc->y, &pc->h);
    }
    pc->k = k;
    pc->len = len;
    pc->s0 = path->length;
    path->length += len;
    path->n++;
}

void path_line(RefPath *path, double len) { path_append(path, 0.0, len); }
void path_arc(RefPath *path, double curvature, double len) { path_append(path, curvature, len); }

void path_eval(const RefPath *path, double s, double *x, double *y, double *h, double *k) {
    int i = 0;
    while (i < path->n - 1 && s > path->p[i].s0 + path->p[i].len) i++;
    const PathPiece *pc = &path->p[i];
    double ds = s - pc->s0;
    if (ds < 0) ds = 0;
    if (ds > pc->len) ds = pc->len;
    piece_eval(pc, ds, x, y, h);
    *k = pc->k;
}

/* ---- Builder arrays ------------------------------------------------------------------------- */
int mb_fail(MapBuilder *b, const char *msg) {
    if (!b->failed) err_set(b->e, "map_build: %s", msg);
    b->failed = 1;
    return -1;
}

/* Grows *arr (elements of size elem) so that it holds need elements. */
static int grow(MapBuilder *b, void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return mb_fail(b, "out of memory");
    *arr = p;
    *cap = c;
    return 0;
}

int mb_new_road(MapBuilder *b) { return b->n_roads++; }

static int add_lane(MapBuilder *b, const LaneSpec *spec) {
    Map *m = b->m;
    if (b->failed || grow(b, (void **)&m->lanes, &b->cap_lanes, m->n_lanes + 1, sizeof(Lane))) return -1;
    Lane *l = &m->lanes[m->n_lanes];
    memset(l, 0, sizeof *l);
    l->first_point = m->n_points;
    l->width = spec->width;
    l->speed_limit = spec->speed_limit;
    l->kind = spec->kind;
    l->left_bound = spec->left_bound;
    l->right_bound = spec->right_bound;
    l->turn = spec->turn;
    l->is_ramp = spec->is_ramp;
    l->road = spec->road;
    l->junction = spec->junction;
    l->left = l->right = -1;
    l->light = -1;
    l->control = CONTROL_NONE;
    return m->n_lanes++;
}

/* A curve given as a function of a parameter u in [0, 1]: writes x, y, heading, curvature. */
typedef void (*CurveFn)(const void *ctx, double u, double out[4]);

/* Samples the curve into the lane's points at (nearly) uniform arc length: a dense table of u
 * against chord length is inverted so that the parametrisation's speed does not matter. s is the
 * polyline's own arc length, so projections and poses agree exactly with the stored points. */
static int sample_lane(MapBuilder *b, int lane, CurveFn fn, const void *ctx, double length_estimate) {
    if (lane < 0) return -1;
    enum { TABLE_PER_M = 8 };
    int nt = (int)ceil(length_estimate * TABLE_PER_M) + 32;
    double *cum = malloc((size_t)(nt + 1) * sizeof *cum);
    if (!cum) return mb_fail(b, "out of memory");
    double prev[4], cur[4];
    fn(ctx, 0.0, prev);
    cum[0] = 0;
    for (int i = 1; i <= nt; i++) {
        fn(ctx, (double)i / nt, cur);
        cum[i] = cum[i - 1] + hypot(cur[0] - prev[0], cur[1] - prev[1]);
        memcpy(prev, cur, sizeof prev);
    }
    double total = cum[nt];
    int nseg = (int)ceil(total / MAP_POINT_STEP);
    if (nseg < 1) nseg = 1;
    Map *m = b->m;
    if (grow(b, (void **)&m->points, &b->cap_points, m->n_points + nseg + 1, sizeof(LanePoint))) {
        free(cum);
        return -1;
    }
    LanePoint *pts = &m->points[m->n_points];
    int j = 0;
    for (int i = 0; i <= nseg; i++) {
        double target = total * i / nseg, u;
        while (j < nt - 1 && cum[j + 1] < target) j++;
        double span = cum[j + 1] - cum[j];
        double f = span > 0 ? (target - cum[j]) / span : 0;
        if (f < 0) f = 0;
        if (f > 1) f = 1;
        u = (i == nseg) ? 1.0 : (j + f) / nt;
        fn(ctx, u, cur);
        pts[i].x = (float)cur[0];
        pts[i].y = (float)cur[1];
        pts[i].heading = (float)atan2(sin(cur[2]), cos(cur[2]));
        pts[i].curvature = (float)cur[3];
    }
    free(cum);
    double s = 0;
    pts[0].s = 0;
    for (int i = 1; i <= nseg; i++) {
        s += hypot((double)pts[i].x - pts[i - 1].x, (double)pts[i].y - pts[i - 1].y);
        pts[i].s = (float)s;
    }
    Lane *l = &m->lanes[lane];
    l->n_points = nseg + 1;
    l->length = (float)s;
    m->n_points += nseg + 1;
    return lane;
}

typedef struct { const RefPath *path; double offset; int reverse; } OffsetCurve;

static void offset_curve_eval(const void *ctx, double u, double out[4]) {
    const OffsetCurve *c = ctx;
    double x, y, h, k;
    path_eval(c->path, (c->reverse ? 1.0 - u : u) * c->path->length, &x, &y, &h, &k);
    out[0] = x - c->offset * sin(h);
    out[1] = y + c->offset * cos(h);
    /* an offset of a circle of curvature k is a concentric circle of radius 1/k - offset */
    double kl = k / (1.0 - k * c->offset);
    out[2] = c->reverse ? h + M_PI : h;
    out[3] = c->reverse ? -kl : kl;
}

int mb_lane_offset(MapBuilder *b, const LaneSpec *spec, const RefPath *path, double offset, int reverse) {
    double est = 0;
    for (int i = 0; i < path->n; i++) est += path->p[i].len * fabs(1.0 - path->p[i].k * offset);
    OffsetCurve c = {path, offset, reverse};
    return sample_lane(b, add_lane(b, spec), offset_curve_eval, &c, est);
}

typedef struct { double px[4], py[4]; } Bezier;

static void bezier_eval(const void *ctx, double t, double out[4]) {
    const Bezier *z = ctx;
    double a = 1 - t;
    double w[4] = {a * a * a, 3 * a * a * t, 3 * a * t * t, t * t * t};
    double d1[3] = {3 * a * a, 6 * a * t, 3 * t * t};  /* derivative weights on control differences */
    double d2[2] = {6 * a, 6 * t};
    double x = 0, y = 0, dx = 0, dy = 0, ddx = 0, ddy = 0;
    for (int i = 0; i < 4; i++) x += w[i] * z->px[i], y += w[i] * z->py[i];
    for (int i = 0; i < 3; i++) {
        dx += d1[i] * (z->px[i + 1] - z->px[i]);
        dy += d1[i] * (z->py[i + 1] - z->py[i]);
    }
    for (int i = 0; i < 2; i++) {
        ddx += d2[i] * (z->px[i + 2] - 2 * z->px[i + 1] + z->px[i]);
        ddy += d2[i] * (z->py[i + 2] - 2 * z->py[i + 1] + z->py[i]);
    }
    double sp = hypot(dx, dy);
    out[0] = x;
    out[1] = y;
    out[2] = atan2(dy, dx);
    out[3] = sp > 1e-9 ? (dx * ddy - dy * ddx) / (sp * sp * sp) : 0.0;
}

int mb_lane_bezier(MapBuilder *b, const LaneSpec *spec, double x0, double y0, double h0, double k0,
                   double x3, double y3, double h3, double k3) {
    Bezier z = {{x0, x0 + k0 * cos(h0), x3 - k3 * cos(h3), x3}, {y0, y0 + k0 * sin(h0), y3 - k3 * sin(h3), y3}};
    double est = 0;
    for (int i = 0; i < 3; i++) est += hypot(z.px[i + 1] - z.px[i], z.py[i + 1] - z.py[i]);
    return sample_lane(b, add_lane(b, spec), bezier_eval, &z, est);
}

/* ---- Links and records ---------------------------------------------------------------------- */
void mb_link(MapBuilder *b, int from, int to) {
    if (b->failed || from < 0 || to < 0) return;
    Lane *a = &b->m->lanes[from], *c = &b->m->lanes[to];
    if (a->n_succ >= MAP_MAX_LINKS || c->n_pred >= MAP_MAX_LINKS) {
        mb_fail(b, "a lane would get more than MAP_MAX_LINKS successors or predecessors "
                   "(too many lanes merging into one; use fewer lanes_fwd than lanes_bwd + 2)");
        return;
    }
    a->succ[a->n_succ++] = to;
    c->pred[c->n_pred++] = from;
}

void mb_neighbours(MapBuilder *b, int a, int c, int left, int opposite) {
    if (b->failed || a < 0 || c < 0) return;
    Lane *la = &b->m->lanes[a], *lc = &b->m->lanes[c];
    if (left) la->left = c, la->left_opposite = (uint8_t)opposite;
    else la->right = c, la->right_opposite = (uint8_t)opposite;
    /* back link: the same side when the two run opposite ways (they face each other) */
    int back_left = opposite ? left : !left;
    if (back_left) lc->left = a, lc->left_opposite = (uint8_t)opposite;
    else lc->right = a, lc->right_opposite = (uint8_t)opposite;
}

int mb_add_conflict(MapBuilder *b, const Conflict *c) {
    Map *m = b->m;
    if (b->failed || grow(b, (void **)&m->conflicts, &b->cap_conflicts, m->n_conflicts + 1, sizeof *c)) return -1;
    m->conflicts[m->n_conflicts] = *c;
    return m->n_conflicts++;
}

const LanePoint *mb_lane_end(const MapBuilder *b, int lane) {
    const Lane *l = &b->m->lanes[lane];
    return &b->m->points[l->first_point + l->n_points - 1];
}

const LanePoint *mb_lane_start(const MapBuilder *b, int lane) {
    return &b->m->points[b->m->lanes[lane].first_point];
}

int mb_add_stop(MapBuilder *b, int lane) {
    Map *m = b->m;
    if (b->failed || grow(b, (void **)&m->stop_signs, &b->cap_stops, m->n_stop_signs + 1, sizeof(StopSign)))
        return -1;
    const LanePoint *e = mb_lane_end(b, lane);
    m->stop_signs[m->n_stop_signs] = (StopSign){lane, e->x, e->y};
    m->lanes[lane].control = CONTROL_STOP;
    return m->n_stop_signs++;
}

int mb_add_crosswalk(MapBuilder *b, const Crosswalk *cw) {
    Map *m = b->m;
    if (b->failed || grow(b, (void **)&m->crosswalks, &b->cap_crosswalks, m->n_crosswalks + 1, sizeof *cw))
        return -1;
    m->crosswalks[m->n_crosswalks] = *cw;
    return m->n_crosswalks++;
}

int mb_add_junction(MapBuilder *b, float cx, float cy, float radius) {
    Map *m = b->m;
    if (b->failed || grow(b, (void **)&m->junctions, &b->cap_junctions, m->n_junctions + 1, sizeof(Junction)))
        return -1;
    m->junctions[m->n_junctions] = (Junction){m->n_junctions, cx, cy, radius, 0};
    return m->n_junctions++;
}

int mb_add_light(MapBuilder *b, int junction, int group, int lane) {
    Map *m = b->m;
    if (b->failed) return -1;
    if (m->n_lights >= MAP_MAX_LIGHTS) return mb_fail(b, "more than MAP_MAX_LIGHTS (16) traffic lights");
    const LanePoint *e = mb_lane_end(b, lane);
    m->lights[m->n_lights] = (TrafficLight){junction, group, lane, e->x, e->y};
    m->lanes[lane].control = CONTROL_LIGHT;
    m->lanes[lane].light = m->n_lights;
    return m->n_lights++;
}

/* ---- Roads ---------------------------------------------------------------------------------- */
/* One side of a road: n driving lanes from the centre outwards, then parking and sidewalk.
 * sign = -1 for the right side of the path (lanes along it), +1 for the left (lanes against it,
 * or a one-way road's left edge). inner is the offset of the innermost lane's inner edge. */
static void road_side(MapBuilder *b, const MapParams *p, const RefPath *path, int n, int sign, float inner,
                      int centre_line, LaneSpec spec, int *lanes, int *park, int *walk, float *extent) {
    int reverse = sign > 0 && centre_line; /* two-way: the left side runs against the path */
    float w = p->lane_width, off = inner;
    for (int i = 0; i < n; i++) {
        /* bounds are relative to each lane's own direction of travel; for a one-way road the
         * "inner" side of lane 0 is its left edge */
        spec.left_bound = i == 0 ? (centre_line ? BOUND_SOLID : BOUND_EDGE) : BOUND_BROKEN;
        spec.right_bound = i == n - 1 ? (p->parking ? BOUND_SOLID : BOUND_EDGE) : BOUND_BROKEN;
        lanes[i] = mb_lane_offset(b, &spec, path, sign * (off + 0.5f * w), reverse);
        if (i > 0) mb_neighbours(b, lanes[i - 1], lanes[i], 0, 0);
        off += w;
    }
    *park = *walk = -1;
    if (p->parking && n > 0) {
        LaneSpec ps = spec;
        ps.kind = LANE_PARKING;
        ps.width = MAP_PARKING_WIDTH;
        ps.left_bound = BOUND_SOLID;
        ps.right_bound = BOUND_EDGE;
        *park = mb_lane_offset(b, &ps, path, sign * (off + 0.5f * MAP_PARKING_WIDTH), reverse);
        mb_neighbours(b, lanes[n - 1], *park, 0, 0);
        off += MAP_PARKING_WIDTH;
    }
    *extent = off;
    if (p->sidewalks) {
        LaneSpec ws = spec;
        ws.kind = LANE_SIDEWALK;
        ws.width = MAP_SIDEWALK_WIDTH;
        ws.speed_limit = 2.5f;
        ws.left_bound = BOUND_EDGE;
        ws.right_bound = BOUND_NONE;
        *walk = mb_lane_offset(b, &ws, path, sign * (off + 0.5f * MAP_SIDEWALK_WIDTH), reverse);
    }
}

int mb_road(MapBuilder *b, const MapParams *p, const RefPath *path, int nf, int nb, float speed,
            RoadLanes *out) {
    memset(out, -1, sizeof *out);
    out->nf = nf;
    out->nb = nb;
    LaneSpec spec = {.kind = LANE_DRIVING, .width = p->lane_width, .speed_limit = speed,
                     .road = mb_new_road(b), .junction = -1, .turn = TURN_NONE};
    int two_way = nb > 0;
    float inner = two_way ? 0.0f : -0.5f * nf * p->lane_width; /* one-way: centred on the path */
    road_side(b, p, path, nf, -1, inner, two_way, spec, out->fwd, &out->park_fwd, &out->walk_fwd,
              &out->right_extent);
    if (two_way) {
        road_side(b, p, path, nb, +1, 0.0f, 1, spec, out->bwd, &out->park_bwd, &out->walk_bwd, &out->left_extent);
        mb_neighbours(b, out->fwd[0], out->bwd[0], 1, 1);
    } else {
        out->left_extent = 0.5f * nf * p->lane_width;
        if (p->sidewalks) {
            LaneSpec ws = spec;
            ws.kind = LANE_SIDEWALK;
            ws.width = MAP_SIDEWALK_WIDTH;
            ws.speed_limit = 2.5f;
            ws.left_bound = BOUND_NONE;
            ws.right_bound = BOUND_EDGE;
            out->walk_bwd = mb_lane_offset(b, &ws, path, out->left_extent + 0.5f * MAP_SIDEWALK_WIDTH, 0);
        }
    }
    return b->failed ? -1 : 0;
}

/* ---- Plain road maps -------------------------------------------------------------------------- */
int map_build_straight(MapBuilder *b, const MapParams *p) {
    RefPath path;
    path_start(&path, 0, 0, 0);
    path_line(&path, p->length);
    RoadLanes r;
    return mb_road(b, p, &path, p->lanes_fwd, p->lanes_bwd, p->speed_limit, &r);
}

/* A left bend of 90 degrees and radius p->radius between two straights of p->length. */
int map_build_curve(MapBuilder *b, const MapParams *p) {
    RefPath path;
    path_start(&path, 0, 0, 0);
    path_line(&path, p->length);
    path_arc(&path, 1.0 / p->radius, 0.5 * M_PI * p->radius);
    path_line(&path, p->length);
    RoadLanes r;
    return mb_road(b, p, &path, p->lanes_fwd, p->lanes_bwd, p->speed_limit, &r);
}
