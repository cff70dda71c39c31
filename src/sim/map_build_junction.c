/* map_build_junction — 4-way and T junctions: two-way arms around a square junction box, one
 * connector lane per legal movement (Bézier quarter-ellipses for turns), the conflicts between
 * connectors, and the junction's control (signal plan, all-way stop, or priority/yield). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim/map_internal.h"

enum { ARM_E, ARM_N, ARM_W, ARM_S, N_ARMS };
enum { MOVE_LEFT, MOVE_STRAIGHT, MOVE_RIGHT, N_MOVES };

#define ELLIPSE_BEZIER 0.5522847498 /* 4/3 (sqrt 2 - 1): Bézier handle of a quarter circle */
#define MERGE_GAP 0.75              /* merging conflict: where centrelines come within 0.75 lane widths */

static int move_target(int arm, int move) {
    static const int shift[N_MOVES] = {3, 2, 1}; /* left, straight, right (arms counter-clockwise) */
    return (arm + shift[move]) % N_ARMS;
}

float mb_curve_speed(const Map *m, int lane, float limit) {
    const Lane *l = &m->lanes[lane];
    float kmax = 0;
    for (int i = 0; i < l->n_points; i++) kmax = fmaxf(kmax, fabsf(m->points[l->first_point + i].curvature));
    if (kmax < 1e-6f) return limit;
    return fminf(limit, sqrtf((float)MAP_LAT_ACCEL / kmax));
}

/* Approach lanes [lo, hi) of an arm with nin lanes that take `move`, given which moves exist.
 * Straight from every lane, left from the leftmost, right from the rightmost; without a straight
 * movement (the stem of a T) the left half turns left and the right half turns right. */
static void move_lanes(int nin, int move, const int exists[N_MOVES], int *lo, int *hi) {
    *lo = *hi = 0;
    if (!exists[move]) return;
    if (move == MOVE_STRAIGHT) { *lo = 0; *hi = nin; return; }
    int n_left = exists[MOVE_STRAIGHT] ? 1 : (exists[MOVE_RIGHT] ? (nin + 1) / 2 : nin);
    int n_right = exists[MOVE_STRAIGHT] ? 1 : (exists[MOVE_LEFT] ? nin - n_left : nin);
    if (nin == 1) n_left = n_right = 1;
    if (move == MOVE_LEFT) { *lo = 0; *hi = n_left; }
    else { *lo = nin - n_right; *hi = nin; }
}

static int exit_lane_index(int move, int j, int count, int i, int nout) {
    int t = move == MOVE_STRAIGHT ? i : move == MOVE_LEFT ? j : nout - count + j;
    return t < 0 ? 0 : t >= nout ? nout - 1 : t;
}

int mb_connector(MapBuilder *b, int junction, int road, uint8_t turn, float width, float speed, int from, int to) {
    const LanePoint *a = mb_lane_end(b, from), *z = mb_lane_start(b, to);
    double dx = z->x - a->x, dy = z->y - a->y, k0, k3;
    if (turn == TURN_LEFT || turn == TURN_RIGHT) {
        /* quarter ellipse: handles proportional to the along- and across-track offsets */
        k0 = ELLIPSE_BEZIER * fabs(dx * cos(a->heading) + dy * sin(a->heading));
        k3 = ELLIPSE_BEZIER * fabs(dx * cos(z->heading) + dy * sin(z->heading));
    } else {
        k0 = k3 = hypot(dx, dy) / 3.0;
    }
    LaneSpec spec = {.kind = LANE_DRIVING, .width = width, .speed_limit = speed, .road = road,
                     .junction = junction, .turn = turn, .left_bound = BOUND_NONE, .right_bound = BOUND_NONE};
    int c = mb_lane_bezier(b, &spec, a->x, a->y, a->heading, k0, z->x, z->y, z->heading, k3);
    if (c < 0) return -1;
    b->m->lanes[c].speed_limit = mb_curve_speed(b->m, c, speed);
    mb_link(b, from, c);
    mb_link(b, c, to);
    return b->failed ? -1 : c;
}

/* Crosswalk across an arm (outward direction theta), between radial distances r1 < r2. */
static void arm_crosswalk(MapBuilder *b, double theta, double r1, double r2, const RoadLanes *r, int road) {
    double ux = cos(theta), uy = sin(theta), nx = sin(theta), ny = -cos(theta); /* n: left of inbound */
    double rr[4] = {r1, r2, r2, r1}, ll[4] = {-r->right_extent, -r->right_extent, r->left_extent, r->left_extent};
    Crosswalk cw = {.road = road};
    for (int i = 0; i < 4; i++) {
        cw.x[i] = (float)(rr[i] * ux + ll[i] * nx);
        cw.y[i] = (float)(rr[i] * uy + ll[i] * ny);
    }
    double area = 0;
    for (int i = 0; i < 4; i++) area += cw.x[i] * cw.y[(i + 1) % 4] - cw.x[(i + 1) % 4] * cw.y[i];
    if (area < 0) { /* make the corners counter-clockwise */
        Crosswalk rev = cw;
        for (int i = 0; i < 4; i++) rev.x[i] = cw.x[3 - i], rev.y[i] = cw.y[3 - i];
        cw = rev;
    }
    mb_add_crosswalk(b, &cw);
}

static void junction_control(MapBuilder *b, const MapParams *p, int junction, const int present[N_ARMS],
                             const RoadLanes arms[N_ARMS], int is_t) {
    Map *m = b->m;
    if (p->control == CONTROL_LIGHT) {
        /* two phases: N-S then E-W on the 4-way; the through road then the stem on the T.
         * Left turns are permitted (they yield to the opposing stream through their conflicts). */
        for (int a = 0; a < N_ARMS; a++) {
            if (!present[a]) continue;
            int group = is_t ? (a == ARM_S) : (a == ARM_E || a == ARM_W);
            for (int i = 0; i < arms[a].nf; i++) mb_add_light(b, junction, group, arms[a].fwd[i]);
        }
        if (m->n_plans >= MAP_MAX_LIGHTS) { mb_fail(b, "too many signal plans"); return; }
        SignalPlan *sp = &m->plans[m->n_plans++];
        memset(sp, 0, sizeof *sp);
        sp->junction = junction;
        sp->n_phases = 2;
        sp->phase_group[0] = 0;
        sp->phase_group[1] = 1;
        sp->green_s[0] = sp->green_s[1] = p->green_s;
        sp->yellow_s = p->yellow_s;
        sp->all_red_s = p->all_red_s;
        sp->offset_s = 0;
        return;
    }
    for (int a = 0; a < N_ARMS; a++) {
        if (!present[a]) continue;
        for (int i = 0; i < arms[a].nf; i++) {
            int lane = arms[a].fwd[i];
            if (p->control == CONTROL_STOP) mb_add_stop(b, lane);
            else m->lanes[lane].control = (a == ARM_E || a == ARM_W) ? CONTROL_PRIORITY : CONTROL_YIELD;
        }
    }
}

/* MAP_JUNCTION4: arms E, N, W, S; MAP_TJUNCTION: the through road E-W and the stem S. Each arm is
 * a two-way road of p->length whose path points into the junction, so its forward lanes
 * (p->lanes_fwd) approach and its backward lanes (p->lanes_bwd) leave. */
int map_build_junction(MapBuilder *b, const MapParams *p) {
    int is_t = p->kind == MAP_TJUNCTION;
    int present[N_ARMS] = {1, !is_t, 1, 1};
    int nmax = p->lanes_fwd > p->lanes_bwd ? p->lanes_fwd : p->lanes_bwd;
    double base = nmax * p->lane_width + (p->parking ? MAP_PARKING_WIDTH : 0) + (p->sidewalks ? MAP_SIDEWALK_WIDTH : 0);
    double cw_band = p->crosswalks ? MAP_CROSSWALK_WIDTH + 1.0 : 0.0;
    double half = base + 4.0 + cw_band; /* 4 m keeps right turns at a radius of about 6 m or more */
    RoadLanes arms[N_ARMS];
    memset(arms, -1, sizeof arms);
    for (int a = 0; a < N_ARMS; a++) {
        if (!present[a]) continue;
        double th = a * 0.5 * M_PI, r0 = half + p->length;
        RefPath path;
        path_start(&path, r0 * cos(th), r0 * sin(th), th + M_PI);
        path_line(&path, p->length);
        if (mb_road(b, p, &path, p->lanes_fwd, p->lanes_bwd, p->speed_limit, &arms[a])) return -1;
    }
    int junction = mb_add_junction(b, 0, 0, (float)(half * M_SQRT2));
    int first = b->m->n_lanes;
    static const uint8_t turn[N_MOVES] = {TURN_LEFT, TURN_STRAIGHT, TURN_RIGHT};
    for (int a = 0; a < N_ARMS; a++) {
        if (!present[a]) continue;
        int exists[N_MOVES];
        for (int mv = 0; mv < N_MOVES; mv++) exists[mv] = present[move_target(a, mv)];
        for (int mv = 0; mv < N_MOVES; mv++) {
            int lo, hi;
            move_lanes(arms[a].nf, mv, exists, &lo, &hi);
            if (lo >= hi) continue;
            const RoadLanes *out = &arms[move_target(a, mv)];
            int road = mb_new_road(b);
            for (int i = lo; i < hi; i++) {
                int to = out->bwd[exit_lane_index(mv, i - lo, hi - lo, i, out->nb)];
                if (mb_connector(b, junction, road, turn[mv], p->lane_width, p->speed_limit, arms[a].fwd[i], to) < 0)
                    return -1;
            }
        }
    }
    if (b->failed) return -1;
    b->m->junctions[junction].n_lanes = b->m->n_lanes - first;
    if (mb_junction_conflicts(b, first, b->m->n_lanes - first)) return -1;
    junction_control(b, p, junction, present, arms, is_t);
    /* crosswalks lie just inside the junction, from the stop line inwards, so that they meet the
     * arms' sidewalk ends and vehicles waiting at the stop line stand clear of them */
    if (p->crosswalks)
        for (int a = 0; a < N_ARMS; a++)
            if (present[a])
                arm_crosswalk(b, a * 0.5 * M_PI, half - MAP_CROSSWALK_WIDTH, half, &arms[a],
                              b->m->lanes[arms[a].fwd[0]].road);
    return b->failed ? -1 : 0;
}

/* ---- Conflicts ------------------------------------------------------------------------------- */
typedef struct { int has; uint8_t kind; float s_a, s_b; } PairConflict;

/* Projects (x, y) on a lane by brute force: arc length and distance. */
static float lane_closest(const Map *m, int lane, float x, float y, float *s) {
    float best = INFINITY;
    LaneProj pr;
    *s = 0;
    for (int i = 0; i < m->lanes[lane].n_points - 1; i++) {
        float d2 = map_project_segment(m, lane, i, x, y, &pr);
        if (d2 < best) best = d2, *s = pr.s;
    }
    return sqrtf(best);
}

static int shares(const int *a, int na, const int *c, int nc) {
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nc; j++)
            if (a[i] == c[j]) return 1;
    return 0;
}

static PairConflict pair_conflict(const Map *m, int la, int lb) {
    const Lane *a = &m->lanes[la], *c = &m->lanes[lb];
    const LanePoint *pa = &m->points[a->first_point], *pb = &m->points[c->first_point];
    PairConflict r = {0, CONFLICT_CROSSING, 0, 0};
    if (shares(a->succ, a->n_succ, c->succ, c->n_succ)) {
        /* merging: the shared zone starts where the centrelines come within MERGE_GAP widths */
        float gap = (float)MERGE_GAP * fminf(a->width, c->width);
        for (int i = 0; i < a->n_points; i++) {
            float s_b = 0;
            if (lane_closest(m, lb, pa[i].x, pa[i].y, &s_b) < gap)
                return (PairConflict){1, CONFLICT_MERGING, pa[i].s, s_b};
        }
        return (PairConflict){1, CONFLICT_MERGING, a->length, c->length};
    }
    int diverging = shares(a->pred, a->n_pred, c->pred, c->n_pred);
    for (int i = 0; i < a->n_points - 1 && !r.has; i++) {
        double px = pa[i].x, py = pa[i].y, rx = pa[i + 1].x - px, ry = pa[i + 1].y - py;
        for (int j = 0; j < c->n_points - 1; j++) {
            double qx = pb[j].x, qy = pb[j].y, sx = pb[j + 1].x - qx, sy = pb[j + 1].y - qy;
            double den = rx * sy - ry * sx;
            if (fabs(den) < 1e-12) continue;
            double t = ((qx - px) * sy - (qy - py) * sx) / den, u = ((qx - px) * ry - (qy - py) * rx) / den;
            if (t < 0 || t > 1 || u < 0 || u > 1) continue;
            float s_a = pa[i].s + (float)t * (pa[i + 1].s - pa[i].s);
            float s_b = pb[j].s + (float)u * (pb[j + 1].s - pb[j].s);
            if (diverging && s_a < 0.5f && s_b < 0.5f) continue; /* the shared start point */
            if (!r.has || s_a < r.s_a) r = (PairConflict){1, CONFLICT_CROSSING, s_a, s_b};
        }
    }
    return r;
}

static int cmp_conflict(const void *x, const void *y) {
    const Conflict *a = x, *b = y;
    if (a->s_lane != b->s_lane) return a->s_lane < b->s_lane ? -1 : 1;
    return a->other - b->other;
}

int mb_junction_conflicts(MapBuilder *b, int first, int n) {
    if (b->failed) return -1;
    PairConflict *pc = calloc((size_t)n * n, sizeof *pc);
    Conflict *row = malloc((size_t)(n > 0 ? n : 1) * sizeof *row);
    if (!pc || !row) {
        free(pc);
        free(row);
        return mb_fail(b, "out of memory");
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            PairConflict c = pair_conflict(b->m, first + i, first + j);
            pc[i * n + j] = c;
            pc[j * n + i] = (PairConflict){c.has, c.kind, c.s_b, c.s_a};
        }
    for (int i = 0; i < n && !b->failed; i++) {
        int k = 0;
        for (int j = 0; j < n; j++)
            if (pc[i * n + j].has)
                row[k++] = (Conflict){first + i, first + j, pc[i * n + j].kind, pc[i * n + j].s_a, pc[i * n + j].s_b};
        qsort(row, (size_t)k, sizeof *row, cmp_conflict);
        Lane *l = &b->m->lanes[first + i];
        l->conflict_first = b->m->n_conflicts;
        l->n_conflicts = k;
        for (int j = 0; j < k; j++) mb_add_conflict(b, &row[j]);
    }
    free(pc);
    free(row);
    return b->failed ? -1 : 0;
}
