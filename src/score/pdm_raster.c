/* pdm_raster — the map's lanes painted once into a fine grid, so the scorer's per-corner questions
 * (drivable? which lanes? junction? on route?) cost one array read instead of a map query.
 * A point belongs to a lane when it is within half the lane width of the lane's centreline polyline,
 * with square ends (the rule of map_is_drivable); a cell answers for its centre, so boundaries are
 * resolved to half a cell (cell = 0.2 m: ±0.1 m along each axis). Each cell stores the id of its
 * lane set; sets are interned in a hash table while painting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pdm_internal.h"

#define RASTER_MAX_CELLS (24u * 1000u * 1000u)

typedef struct {
    int n, cap;                   /* sets */
    int *first; uint8_t *cnt, *flags;
    int *lanes; int n_lanes, cap_lanes;
    int *table; int table_cap;    /* open addressing on set content: set id or -1 */
} SetBuilder;

static uint32_t hash_lanes(const int *l, int n) {
    uint32_t h = 2166136261u;
    for (int k = 0; k < n; k++) { h ^= (uint32_t)l[k]; h *= 16777619u; }
    return h;
}

static int grow_ints(int **p, int *cap, int need) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    int *np = realloc(*p, sizeof(int) * (size_t)c);
    if (!np) return -1;
    *p = np;
    *cap = c;
    return 0;
}

static int table_rehash(SetBuilder *b) {
    int cap = b->table_cap ? 2 * b->table_cap : 1024;
    int *t = malloc(sizeof(int) * (size_t)cap);
    if (!t) return -1;
    for (int i = 0; i < cap; i++) t[i] = -1;
    for (int s = 0; s < b->n; s++) {
        uint32_t h = hash_lanes(b->lanes + b->first[s], b->cnt[s]) & (uint32_t)(cap - 1);
        while (t[h] >= 0) h = (h + 1) & (uint32_t)(cap - 1);
        t[h] = s;
    }
    free(b->table);
    b->table = t;
    b->table_cap = cap;
    return 0;
}

/* Id of the set with lanes l[0..n) (sorted), created if new; -1 on out of memory. */
static int set_intern(SetBuilder *b, const Map *m, const int *l, int n) {
    if (2 * (b->n + 1) > b->table_cap && table_rehash(b)) return -1;
    uint32_t mask = (uint32_t)(b->table_cap - 1), h = hash_lanes(l, n) & mask;
    for (; b->table[h] >= 0; h = (h + 1) & mask) {
        int s = b->table[h];
        if (b->cnt[s] == n && !memcmp(b->lanes + b->first[s], l, sizeof(int) * (size_t)n)) return s;
    }
    if (b->n + 1 > b->cap) {
        int c = b->cap ? 2 * b->cap : 256;
        int *nf = realloc(b->first, sizeof(int) * (size_t)c);
        if (!nf) return -1;
        b->first = nf;
        uint8_t *nc = realloc(b->cnt, (size_t)c);
        if (!nc) return -1;
        b->cnt = nc;
        uint8_t *nfl = realloc(b->flags, (size_t)c);
        if (!nfl) return -1;
        b->flags = nfl;
        b->cap = c;
    }
    if (grow_ints(&b->lanes, &b->cap_lanes, b->n_lanes + n)) return -1;
    int s = b->n++;
    b->first[s] = b->n_lanes;
    b->cnt[s] = (uint8_t)n;
    uint8_t f = 0;
    for (int k = 0; k < n; k++) {
        b->lanes[b->n_lanes++] = l[k];
        f |= SET_DRIVABLE;
        if (m->lanes[l[k]].junction >= 0) f |= SET_JUNCTION;
    }
    b->flags[s] = f;
    b->table[h] = s;
    return s;
}

/* The set `s` plus `lane`. */
static int set_add(SetBuilder *b, const Map *m, int s, int lane) {
    int n = b->cnt[s], tmp[RASTER_SET_MAX];
    const int *l = b->lanes + b->first[s];
    for (int k = 0; k < n; k++) if (l[k] == lane) return s;
    if (n >= RASTER_SET_MAX) return s;
    int k = 0, o = 0;
    while (k < n && l[k] < lane) tmp[o++] = l[k++];
    tmp[o++] = lane;
    while (k < n) tmp[o++] = l[k++];
    return set_intern(b, m, tmp, o);
}

static int paint_lane(LaneRaster *r, SetBuilder *b, const Map *m, int lane) {
    const Lane *ln = &m->lanes[lane];
    float hw = 0.5f * ln->width, hw2 = hw * hw;
    const LanePoint *p = &m->points[ln->first_point];
    for (int sg = 0; sg + 1 < ln->n_points; sg++) {
        float ax = p[sg].x, ay = p[sg].y, ex = p[sg + 1].x - ax, ey = p[sg + 1].y - ay;
        float len2 = ex * ex + ey * ey;
        int i0 = (int)floorf((fminf(ax, ax + ex) - hw - r->x0) * r->inv_cell);
        int i1 = (int)floorf((fmaxf(ax, ax + ex) + hw - r->x0) * r->inv_cell);
        int j0 = (int)floorf((fminf(ay, ay + ey) - hw - r->y0) * r->inv_cell);
        int j1 = (int)floorf((fmaxf(ay, ay + ey) + hw - r->y0) * r->inv_cell);
        if (i0 < 0) i0 = 0;
        if (j0 < 0) j0 = 0;
        if (i1 >= r->nx) i1 = r->nx - 1;
        if (j1 >= r->ny) j1 = r->ny - 1;
        for (int j = j0; j <= j1; j++)
            for (int i = i0; i <= i1; i++) {
                float px = r->x0 + ((float)i + 0.5f) * r->cell - ax, py = r->y0 + ((float)j + 0.5f) * r->cell - ay;
                float dot = px * ex + py * ey;
                if (sg == 0 && dot < 0.0f) continue;                       /* square start */
                if (sg == ln->n_points - 2 && dot > len2) continue;        /* square end */
                float t = len2 > 0.0f ? dot / len2 : 0.0f;
                t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
                float qx = px - t * ex, qy = py - t * ey;
                if (qx * qx + qy * qy > hw2) continue;
                uint16_t *c = &r->cells[(size_t)j * (size_t)r->nx + (size_t)i];
                int ns = set_add(b, m, *c, lane);
                if (ns < 0) return -1;
                if (ns > 65535) return -2;
                *c = (uint16_t)ns;
            }
    }
    return 0;
}

int lane_raster_build(LaneRaster *r, const Map *m, float cell, Err *e) {
    memset(r, 0, sizeof *r);
    if (!(cell > 0.0f)) return err_set(e, "lane raster: cell size must be > 0");
    float margin = 5.0f;
    r->x0 = m->min_x - margin;
    r->y0 = m->min_y - margin;
    for (;;) {
        r->cell = cell;
        r->inv_cell = 1.0f / cell;
        r->nx = (int)ceilf((m->max_x + margin - r->x0) / cell) + 1;
        r->ny = (int)ceilf((m->max_y + margin - r->y0) / cell) + 1;
        if ((size_t)r->nx * (size_t)r->ny <= RASTER_MAX_CELLS) break;
        cell *= 1.5f; /* a very large map: coarser cells rather than an unbounded allocation */
    }
    r->cells = calloc((size_t)r->nx * (size_t)r->ny, sizeof(uint16_t));
    SetBuilder b = {0};
    int rc = r->cells ? 0 : -1;
    if (!rc) rc = set_intern(&b, m, NULL, 0) == 0 ? 0 : -1; /* set 0 = empty */
    for (int l = 0; !rc && l < m->n_lanes; l++) {
        uint8_t k = m->lanes[l].kind;
        if (k == LANE_DRIVING || k == LANE_PARKING) rc = paint_lane(r, &b, m, l);
    }
    free(b.table);
    r->n_sets = b.n;
    r->set_first = b.first;
    r->set_n = b.cnt;
    r->set_flags = b.flags;
    r->set_lanes = b.lanes;
    if (rc) {
        lane_raster_free(r);
        return err_set(e, rc == -2 ? "lane raster: more than 65535 distinct lane overlaps" : "lane raster: out of memory");
    }
    return 0;
}

void lane_raster_free(LaneRaster *r) {
    free(r->cells);
    free(r->set_first);
    free(r->set_n);
    free(r->set_flags);
    free(r->set_lanes);
    memset(r, 0, sizeof *r);
}
