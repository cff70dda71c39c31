/* map_grid — the uniform grid over lane segments behind the spatial queries. Every centreline
 * segment (<= 1 m) is listed in each MAP_GRID_CELL cell its bounding box touches (CSR layout), so
 * nearest-lane, lanes-near and drivable-surface queries visit a handful of cells, not the map. */
#include <math.h>
#include <stdlib.h>
#include "craft/geom.h"
#include "sim/map_internal.h"

static int cell_coord(float v, float origin, float cell) { return (int)floorf((v - origin) / cell); }

static void seg_cells(const MapGrid *g, const LanePoint *a, int *i0, int *i1, int *j0, int *j1) {
    const LanePoint *b = a + 1;
    *i0 = cell_coord(fminf(a->x, b->x), g->x0, g->cell);
    *i1 = cell_coord(fmaxf(a->x, b->x), g->x0, g->cell);
    *j0 = cell_coord(fminf(a->y, b->y), g->y0, g->cell);
    *j1 = cell_coord(fmaxf(a->y, b->y), g->y0, g->cell);
}

MapGrid *map_grid_build(const Map *m, Err *e) {
    MapGrid *g = calloc(1, sizeof *g);
    if (!g) {
        err_set(e, "map_build: out of memory");
        return NULL;
    }
    g->cell = MAP_GRID_CELL;
    g->x0 = m->min_x - g->cell;
    g->y0 = m->min_y - g->cell;
    g->nx = (int)ceilf((m->max_x - g->x0) / g->cell) + 2;
    g->ny = (int)ceilf((m->max_y - g->y0) / g->cell) + 2;
    for (int l = 0; l < m->n_lanes; l++) g->max_half_width = fmaxf(g->max_half_width, 0.5f * m->lanes[l].width);
    size_t ncell = (size_t)g->nx * g->ny;
    g->cell_start = calloc(ncell + 1, sizeof *g->cell_start);
    if (!g->cell_start) goto oom;
    /* pass 1 counts items per cell, pass 2 fills them behind the prefix sums */
    for (int pass = 0; pass < 2; pass++) {
        for (int l = 0; l < m->n_lanes; l++) {
            const Lane *ln = &m->lanes[l];
            for (int s = 0; s < ln->n_points - 1; s++) {
                int i0, i1, j0, j1;
                seg_cells(g, &m->points[ln->first_point + s], &i0, &i1, &j0, &j1);
                for (int j = j0; j <= j1; j++)
                    for (int i = i0; i <= i1; i++) {
                        size_t c = (size_t)j * g->nx + i;
                        if (pass == 0) g->cell_start[c + 1]++;
                        else g->items[g->cell_start[c]++] = (GridItem){l, s};
                    }
            }
        }
        if (pass == 0) {
            for (size_t c = 0; c < ncell; c++) g->cell_start[c + 1] += g->cell_start[c];
            g->items = malloc((size_t)(g->cell_start[ncell] > 0 ? g->cell_start[ncell] : 1) * sizeof *g->items);
            if (!g->items) goto oom;
        }
    }
    /* pass 2 advanced every start to the next cell's start: shift back */
    for (size_t c = ncell; c > 0; c--) g->cell_start[c] = g->cell_start[c - 1];
    g->cell_start[0] = 0;
    return g;
oom:
    map_grid_free(g);
    err_set(e, "map_build: out of memory");
    return NULL;
}

void map_grid_free(MapGrid *g) {
    if (!g) return;
    free(g->cell_start);
    free(g->items);
    free(g);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

typedef struct {
    const Map *m;
    float x, y, heading_hint, best2;
    unsigned kinds;
    int use_hint, found, lane, seg;
} NearestQuery;

/* Squared distance from (x, y) to a segment; *t gets the clamped parameter along it. */
static inline float seg_dist2(const LanePoint *a, float x, float y, float *t) {
    const LanePoint *b = a + 1;
    float ex = b->x - a->x, ey = b->y - a->y, px = x - a->x, py = y - a->y, len2 = ex * ex + ey * ey;
    float u = len2 > 0 ? (px * ex + py * ey) / len2 : 0.0f;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    px -= u * ex, py -= u * ey;
    *t = u;
    return px * px + py * py;
}

/* Visits the segments in cells [i0, i1] of row j (clipped to the grid), keeping the nearest. */
static void nearest_visit_cells(NearestQuery *q, int i0, int i1, int j) {
    const MapGrid *g = q->m->grid;
    if (j < 0 || j >= g->ny || i1 < 0 || i0 >= g->nx) return;
    i0 = clampi(i0, 0, g->nx - 1);
    i1 = clampi(i1, 0, g->nx - 1);
    for (int i = i0; i <= i1; i++) {
        size_t c = (size_t)j * g->nx + i;
        for (int k = g->cell_start[c]; k < g->cell_start[c + 1]; k++) {
            const GridItem *it = &g->items[k];
            const Lane *l = &q->m->lanes[it->lane];
            if (!(q->kinds & (1u << l->kind))) continue;
            const LanePoint *a = &q->m->points[l->first_point + it->seg];
            float t, d2 = seg_dist2(a, q->x, q->y, &t);
            if (d2 > q->best2 || (d2 == q->best2 && q->found)) continue;
            if (q->use_hint) {
                float h = a->heading + t * wrap_angle(a[1].heading - a->heading);
                if (fabsf(wrap_angle(h - q->heading_hint)) > 0.5f * GEOM_PI) continue;
            }
            q->best2 = d2;
            q->lane = it->lane;
            q->seg = it->seg;
            q->found = 1;
        }
    }
}

int map_nearest_lane(const Map *m, float x, float y, float heading_hint, unsigned kinds, float max_dist,
                     LaneProj *out) {
    const MapGrid *g = m->grid;
    NearestQuery q = {.m = m, .x = x, .y = y, .heading_hint = heading_hint, .kinds = kinds,
                      .use_hint = isfinite(heading_hint), .best2 = max_dist * max_dist};
    if (!(max_dist >= 0)) return -1;
    int cx = cell_coord(x, g->x0, g->cell), cy = cell_coord(y, g->y0, g->cell);
    int r0 = cx < 0 ? -cx : cx >= g->nx ? cx - g->nx + 1 : 0;
    int ry = cy < 0 ? -cy : cy >= g->ny ? cy - g->ny + 1 : 0;
    if (ry > r0) r0 = ry;
    int r_max = 0;
    int ext[4] = {cx, g->nx - 1 - cx, cy, g->ny - 1 - cy};
    for (int k = 0; k < 4; k++) r_max = abs(ext[k]) > r_max ? abs(ext[k]) : r_max;
    /* distances from the query to the sides of its own cell: ring r (r >= 1) lies beyond the
     * block of (2r - 1)^2 cells around it, at least min(side) + (r - 1) * cell away */
    float fx = x - (g->x0 + cx * g->cell), fy = y - (g->y0 + cy * g->cell);
    float side = fminf(fminf(fx, g->cell - fx), fminf(fy, g->cell - fy));
    if (side < 0) side = 0;
    for (int r = r0; r <= r_max; r++) {
        float gap = side + (r - 1) * g->cell;
        if (r > 0 && gap > 0 && gap * gap > q.best2) break;
        if (r == 0) {
            nearest_visit_cells(&q, cx, cx, cy);
            continue;
        }
        nearest_visit_cells(&q, cx - r, cx + r, cy - r);
        nearest_visit_cells(&q, cx - r, cx + r, cy + r);
        int jlo = cy - r + 1 > 0 ? cy - r + 1 : 0, jhi = cy + r - 1 < g->ny - 1 ? cy + r - 1 : g->ny - 1;
        for (int j = jlo; j <= jhi; j++) {
            if (cx - r >= 0) nearest_visit_cells(&q, cx - r, cx - r, j);
            if (cx + r < g->nx) nearest_visit_cells(&q, cx + r, cx + r, j);
        }
    }
    if (!q.found) return -1;
    map_project_segment(m, q.lane, q.seg, x, y, out);
    return 0;
}

int map_lanes_near(const Map *m, float x, float y, float r, int *out, int max) {
    const MapGrid *g = m->grid;
    if (!(r >= 0) || max <= 0) return 0;
    int i0 = clampi(cell_coord(x - r, g->x0, g->cell), 0, g->nx - 1), i1 = clampi(cell_coord(x + r, g->x0, g->cell), 0, g->nx - 1);
    int j0 = clampi(cell_coord(y - r, g->y0, g->cell), 0, g->ny - 1), j1 = clampi(cell_coord(y + r, g->y0, g->cell), 0, g->ny - 1);
    int n = 0;
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
            size_t c = (size_t)j * g->nx + i;
            for (int k = g->cell_start[c]; k < g->cell_start[c + 1]; k++) {
                const GridItem *it = &g->items[k];
                int seen = 0;
                for (int t = 0; t < n && !seen; t++) seen = out[t] == it->lane;
                if (seen) continue;
                float t;
                if (seg_dist2(&m->points[m->lanes[it->lane].first_point + it->seg], x, y, &t) > r * r) continue;
                out[n++] = it->lane;
                if (n == max) return n;
            }
        }
    return n;
}

int map_is_drivable(const Map *m, float x, float y) {
    const MapGrid *g = m->grid;
    float h = g->max_half_width;
    int i0 = clampi(cell_coord(x - h, g->x0, g->cell), 0, g->nx - 1), i1 = clampi(cell_coord(x + h, g->x0, g->cell), 0, g->nx - 1);
    int j0 = clampi(cell_coord(y - h, g->y0, g->cell), 0, g->ny - 1), j1 = clampi(cell_coord(y + h, g->y0, g->cell), 0, g->ny - 1);
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
            size_t c = (size_t)j * g->nx + i;
            for (int k = g->cell_start[c]; k < g->cell_start[c + 1]; k++) {
                const GridItem *it = &g->items[k];
                const Lane *l = &m->lanes[it->lane];
                if (l->kind != LANE_DRIVING && l->kind != LANE_PARKING) continue;
                /* the surface ends square at the lane's ends: no round caps beyond them */
                const LanePoint *a = &m->points[l->first_point + it->seg], *b = a + 1;
                float ex = b->x - a->x, ey = b->y - a->y, dot = (x - a->x) * ex + (y - a->y) * ey;
                if (it->seg == 0 && dot < 0) continue;
                if (it->seg == l->n_points - 2 && dot > ex * ex + ey * ey) continue;
                float t, hw = 0.5f * l->width;
                if (seg_dist2(a, x, y, &t) <= hw * hw) return 1;
            }
        }
    return 0;
}
