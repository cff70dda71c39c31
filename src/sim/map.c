/* map — map parameters (defaults, names with overrides, validation), map_build/map_destroy, and
 * the per-lane queries: projection, pose at s, shortest lane path. Grid queries are in map_grid.c,
 * the procedural pieces in map_build_*.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/geom.h"
#include "sim/map_internal.h"

/* ---- Parameters ------------------------------------------------------------------------------ */
MapParams map_default_params(MapKind kind) {
    MapParams p = {.kind = kind, .lanes_fwd = 2, .lanes_bwd = 2, .lane_width = 3.5f, .speed_limit = 13.9f,
                   .length = 120.0f, .radius = 60.0f, .control = CONTROL_NONE,
                   .green_s = 15.0f, .yellow_s = 3.0f, .all_red_s = 1.0f};
    if (kind == MAP_JUNCTION4 || kind == MAP_TJUNCTION) p.control = CONTROL_LIGHT;
    if (kind == MAP_HIGHWAY) {
        /* long enough for the ramps: the acceleration lane starts at a quarter of the length */
        p.lanes_fwd = 3;
        p.lanes_bwd = 0;
        p.speed_limit = 25.0f;
        p.length = 600.0f;
        p.radius = 150.0f;
    }
    return p;
}

typedef struct { const char *name; MapKind kind; int oneway; uint8_t control; } BuiltinMap;

static const BuiltinMap BUILTINS[] = {
    {"straight", MAP_STRAIGHT, 0, CONTROL_NONE},
    {"straight_oneway", MAP_STRAIGHT, 1, CONTROL_NONE},
    {"curve", MAP_CURVE, 0, CONTROL_NONE},
    {"junction4_light", MAP_JUNCTION4, 0, CONTROL_LIGHT},
    {"junction4_stop", MAP_JUNCTION4, 0, CONTROL_STOP},
    {"junction4_none", MAP_JUNCTION4, 0, CONTROL_PRIORITY},
    {"tjunction_light", MAP_TJUNCTION, 0, CONTROL_LIGHT},
    {"tjunction_stop", MAP_TJUNCTION, 0, CONTROL_STOP},
    {"tjunction_none", MAP_TJUNCTION, 0, CONTROL_PRIORITY},
    {"highway", MAP_HIGHWAY, 1, CONTROL_NONE},
};
#define N_BUILTINS ((int)(sizeof BUILTINS / sizeof BUILTINS[0]))

const char *const *map_builtin_names(void) {
    static const char *const names[N_BUILTINS + 1] = {
        "straight", "straight_oneway", "curve", "junction4_light", "junction4_stop", "junction4_none",
        "tjunction_light", "tjunction_stop", "tjunction_none", "highway", NULL};
    return names;
}

static int is_junction(MapKind k) { return k == MAP_JUNCTION4 || k == MAP_TJUNCTION; }

/* Every constraint map_build relies on; the message names the offending field. */
static int params_check(const MapParams *p, Err *e) {
    if ((int)p->kind < 0 || p->kind >= MAP_KIND_COUNT) return err_set(e, "map: unknown kind %d", (int)p->kind);
    if (p->lanes_fwd < 1 || p->lanes_fwd > 6) return err_set(e, "map: lanes_fwd = %d out of range [1, 6]", p->lanes_fwd);
    if (p->lanes_bwd < 0 || p->lanes_bwd > 6) return err_set(e, "map: lanes_bwd = %d out of range [0, 6]", p->lanes_bwd);
    if (!(p->lane_width >= 2.5f && p->lane_width <= 5.0f))
        return err_set(e, "map: lane_width = %g out of range [2.5, 5]", p->lane_width);
    if (!(p->speed_limit > 0.0f && p->speed_limit <= 45.0f))
        return err_set(e, "map: speed_limit = %g out of range (0, 45] m/s", p->speed_limit);
    if (!(p->length >= 20.0f && p->length <= 5000.0f))
        return err_set(e, "map: length = %g out of range [20, 5000] m", p->length);
    if (!(p->radius >= 10.0f && p->radius <= 2000.0f))
        return err_set(e, "map: radius = %g out of range [10, 2000] m", p->radius);
    if (p->parking > 1 || p->sidewalks > 1 || p->crosswalks > 1)
        return err_set(e, "map: parking, sidewalks and crosswalks must be 0 or 1");
    if (!(p->green_s >= 1.0f && p->green_s <= 120.0f)) return err_set(e, "map: green_s = %g out of range [1, 120]", p->green_s);
    if (!(p->yellow_s >= 0.0f && p->yellow_s <= 10.0f)) return err_set(e, "map: yellow_s = %g out of range [0, 10]", p->yellow_s);
    if (!(p->all_red_s >= 0.0f && p->all_red_s <= 10.0f))
        return err_set(e, "map: all_red_s = %g out of range [0, 10]", p->all_red_s);
    if (p->kind == MAP_CURVE) {
        float inner = p->lanes_bwd * p->lane_width + (p->parking ? MAP_PARKING_WIDTH : 0) +
                      (p->sidewalks ? MAP_SIDEWALK_WIDTH : 0) + (p->lanes_bwd ? 0 : 0.5f * p->lanes_fwd * p->lane_width);
        if (p->radius < inner + 5.0f) return err_set(e, "map: radius = %g too small for the road's width (need >= %g)", p->radius, inner + 5.0f);
    }
    if (is_junction(p->kind)) {
        if (p->lanes_bwd < 1) return err_set(e, "map: junction arms need lanes_bwd >= 1 (two-way arms)");
        if (p->lanes_fwd > p->lanes_bwd + 1)
            return err_set(e, "map: junction with lanes_fwd = %d > lanes_bwd + 1 = %d (too many lanes merge)",
                           p->lanes_fwd, p->lanes_bwd + 1);
        if (p->control != CONTROL_LIGHT && p->control != CONTROL_STOP && p->control != CONTROL_PRIORITY)
            return err_set(e, "map: junction control must be light, stop or priority");
        int arms = p->kind == MAP_JUNCTION4 ? 4 : 3;
        if (p->control == CONTROL_LIGHT && arms * p->lanes_fwd > MAP_MAX_LIGHTS)
            return err_set(e, "map: %d approach lanes need more than %d traffic lights (lanes_fwd <= %d)",
                           arms * p->lanes_fwd, MAP_MAX_LIGHTS, MAP_MAX_LIGHTS / arms);
    }
    if (p->crosswalks && !is_junction(p->kind)) return err_set(e, "map: crosswalks only exist on junction maps");
    if (p->kind == MAP_HIGHWAY) {
        if (p->lanes_bwd != 0) return err_set(e, "map: the highway is one-way (lanes_bwd must be 0)");
        if (p->parking || p->sidewalks) return err_set(e, "map: the highway has no parking lanes or sidewalks");
        if (p->length < 400.0f) return err_set(e, "map: highway length = %g too short for its ramps (>= 400)", p->length);
    }
    return 0;
}

static int parse_float(const char *v, float *out) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d)) return -1;
    *out = (float)d;
    return 0;
}

static int parse_int(const char *v, int *out) {
    char *end;
    errno = 0;
    long l = strtol(v, &end, 10);
    if (end == v || *end || errno || l < -1000000 || l > 1000000) return -1;
    *out = (int)l;
    return 0;
}

static int apply_override(MapParams *p, const char *key, const char *val, Err *e) {
    struct { const char *key; float *f; } floats[] = {
        {"lane_width", &p->lane_width}, {"speed_limit", &p->speed_limit}, {"length", &p->length},
        {"radius", &p->radius}, {"green_s", &p->green_s}, {"yellow_s", &p->yellow_s}, {"all_red_s", &p->all_red_s}};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)
        if (!strcmp(key, floats[i].key)) {
            if (parse_float(val, floats[i].f)) return err_set(e, "map: bad number '%s' for %s", val, key);
            return 0;
        }
    if (!strcmp(key, "lanes_fwd") || !strcmp(key, "lanes_bwd")) {
        int *dst = key[6] == 'f' ? &p->lanes_fwd : &p->lanes_bwd;
        if (parse_int(val, dst)) return err_set(e, "map: bad integer '%s' for %s", val, key);
        return 0;
    }
    uint8_t *flag = !strcmp(key, "parking") ? &p->parking : !strcmp(key, "sidewalks") ? &p->sidewalks
                  : !strcmp(key, "crosswalks") ? &p->crosswalks : NULL;
    if (flag) {
        if (strcmp(val, "0") && strcmp(val, "1")) return err_set(e, "map: %s must be 0 or 1, got '%s'", key, val);
        *flag = (uint8_t)(val[0] - '0');
        return 0;
    }
    if (!strcmp(key, "control")) {
        if (!strcmp(val, "light")) p->control = CONTROL_LIGHT;
        else if (!strcmp(val, "stop")) p->control = CONTROL_STOP;
        else if (!strcmp(val, "priority") || !strcmp(val, "none")) p->control = CONTROL_PRIORITY;
        else return err_set(e, "map: control must be light, stop, priority or none, got '%s'", val);
        return 0;
    }
    return err_set(e, "map: unknown override key '%s' (known: lanes_fwd, lanes_bwd, lane_width, speed_limit, "
                      "length, radius, control, parking, sidewalks, crosswalks, green_s, yellow_s, all_red_s)", key);
}

int map_params_from_name(const char *name, MapParams *out, Err *e) {
    if (!name) return err_set(e, "map: no name given");
    char buf[256];
    if (strlen(name) >= sizeof buf) return err_set(e, "map: name too long");
    strcpy(buf, name);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    const BuiltinMap *bm = NULL;
    for (int i = 0; i < N_BUILTINS; i++)
        if (!strcmp(buf, BUILTINS[i].name)) bm = &BUILTINS[i];
    if (!bm)
        return err_set(e, "map: unknown map '%s' (known: straight, straight_oneway, curve, junction4_light, "
                          "junction4_stop, junction4_none, tjunction_light, tjunction_stop, tjunction_none, highway)", buf);
    MapParams p = map_default_params(bm->kind);
    if (bm->oneway) p.lanes_bwd = 0;
    if (is_junction(bm->kind)) p.control = bm->control;
    if (colon) {
        char *rest = colon + 1, *save = NULL;
        if (!*rest) return err_set(e, "map: empty override list after ':' in '%s'", name);
        for (char *item = strtok_r(rest, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(item, '=');
            if (!eq || eq == item || !eq[1]) return err_set(e, "map: malformed override '%s' (expected key=value)", item);
            *eq = 0;
            if (apply_override(&p, item, eq + 1, e)) return -1;
        }
    }
    if (params_check(&p, e)) return -1;
    *out = p;
    return 0;
}

/* ---- Build / destroy ------------------------------------------------------------------------- */
static void map_name(const MapParams *p, char *dst, size_t n) {
    static const char *kinds[MAP_KIND_COUNT] = {"straight", "curve", "junction4", "tjunction", "highway"};
    const char *suffix = "";
    if (is_junction(p->kind))
        suffix = p->control == CONTROL_LIGHT ? "_light" : p->control == CONTROL_STOP ? "_stop" : "_none";
    else if (p->kind == MAP_STRAIGHT && p->lanes_bwd == 0)
        suffix = "_oneway";
    snprintf(dst, n, "%s%s", kinds[p->kind], suffix);
}

static void map_bounds(Map *m) {
    m->min_x = m->min_y = INFINITY;
    m->max_x = m->max_y = -INFINITY;
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        float r = 0.5f * ln->width;
        for (int i = 0; i < ln->n_points; i++) {
            const LanePoint *pt = &m->points[ln->first_point + i];
            m->min_x = fminf(m->min_x, pt->x - r);
            m->max_x = fmaxf(m->max_x, pt->x + r);
            m->min_y = fminf(m->min_y, pt->y - r);
            m->max_y = fmaxf(m->max_y, pt->y + r);
        }
    }
    for (int c = 0; c < m->n_crosswalks; c++)
        for (int i = 0; i < 4; i++) {
            m->min_x = fminf(m->min_x, m->crosswalks[c].x[i]);
            m->max_x = fmaxf(m->max_x, m->crosswalks[c].x[i]);
            m->min_y = fminf(m->min_y, m->crosswalks[c].y[i]);
            m->max_y = fmaxf(m->max_y, m->crosswalks[c].y[i]);
        }
}

Map *map_build(const MapParams *p, Err *e) {
    if (!p) {
        err_set(e, "map_build: no parameters");
        return NULL;
    }
    if (params_check(p, e)) return NULL;
    Map *m = calloc(1, sizeof *m);
    if (!m) {
        err_set(e, "map_build: out of memory");
        return NULL;
    }
    map_name(p, m->name, sizeof m->name);
    MapBuilder b = {.m = m, .e = e};
    int rc;
    switch (p->kind) {
    case MAP_STRAIGHT: rc = map_build_straight(&b, p); break;
    case MAP_CURVE: rc = map_build_curve(&b, p); break;
    case MAP_HIGHWAY: rc = map_build_highway(&b, p); break;
    default: rc = map_build_junction(&b, p); break;
    }
    if (rc || b.failed) {
        if (!b.failed) err_set(e, "map_build: failed");
        map_destroy(m);
        return NULL;
    }
    map_bounds(m);
    m->grid = map_grid_build(m, e);
    if (!m->grid) {
        map_destroy(m);
        return NULL;
    }
    return m;
}

void map_destroy(Map *m) {
    if (!m) return;
    map_grid_free(m->grid);
    free(m->lanes);
    free(m->points);
    free(m->conflicts);
    free(m->stop_signs);
    free(m->crosswalks);
    free(m->junctions);
    free(m);
}

/* ---- Per-lane queries ------------------------------------------------------------------------ */
float map_project_segment(const Map *m, int lane, int seg, float x, float y, LaneProj *out) {
    const LanePoint *a = &m->points[m->lanes[lane].first_point + seg], *b = a + 1;
    float ex = b->x - a->x, ey = b->y - a->y, len2 = ex * ex + ey * ey;
    float px = x - a->x, py = y - a->y;
    float t = len2 > 0 ? (px * ex + py * ey) / len2 : 0.0f;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float len = sqrtf(len2);
    float qx = px - t * ex, qy = py - t * ey;
    out->lane = lane;
    out->seg = seg;
    out->s = a->s + t * (b->s - a->s);
    out->d = len > 0 ? (ex * py - ey * px) / len : 0.0f; /* signed offset from the segment's line */
    out->heading = wrap_angle(a->heading + t * wrap_angle(b->heading - a->heading));
    float d2 = qx * qx + qy * qy;
    out->dist = sqrtf(d2);
    return d2;
}

void map_project(const Map *m, int lane, float x, float y, int hint_seg, LaneProj *out) {
    int nseg = m->lanes[lane].n_points - 1;
    LaneProj tmp;
    if (hint_seg < 0 || hint_seg >= nseg) {
        /* no hint: the nearest of every 4th centreline point seeds the hill-climb below (lanes
         * bend by far less than 180° over 4 m, so the climb reaches the global minimum) */
        const LanePoint *p = &m->points[m->lanes[lane].first_point];
        float best_d2 = INFINITY;
        hint_seg = 0;
        for (int i = 0; i < nseg; i += 4) {
            float dx = p[i].x - x, dy = p[i].y - y, d2 = dx * dx + dy * dy;
            if (d2 < best_d2) best_d2 = d2, hint_seg = i;
        }
    }
    /* hill-climb from the hint: incremental tracking moves by a segment or two per call */
    float best = map_project_segment(m, lane, hint_seg, x, y, out);
    for (int dir = -1; dir <= 1; dir += 2) {
        int i = hint_seg + dir, moved = 0;
        while (i >= 0 && i < nseg) {
            float d2 = map_project_segment(m, lane, i, x, y, &tmp);
            if (!(d2 < best)) break;
            best = d2, *out = tmp, moved = 1;
            i += dir;
        }
        if (moved) break;
    }
}

void map_lane_pose(const Map *m, int lane, float s, float *x, float *y, float *heading) {
    const Lane *l = &m->lanes[lane];
    const LanePoint *p = &m->points[l->first_point];
    int n = l->n_points;
    if (s <= 0 || n < 2) s = 0;
    if (s > l->length) s = l->length;
    /* points are nearly uniform in s: guess the segment, then correct */
    int i = l->length > 0 ? (int)(s / l->length * (n - 1)) : 0;
    if (i > n - 2) i = n - 2;
    if (i < 0) i = 0;
    while (i > 0 && p[i].s > s) i--;
    while (i < n - 2 && p[i + 1].s < s) i++;
    float span = p[i + 1].s - p[i].s, t = span > 0 ? (s - p[i].s) / span : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *x = p[i].x + t * (p[i + 1].x - p[i].x);
    *y = p[i].y + t * (p[i + 1].y - p[i].y);
    *heading = wrap_angle(p[i].heading + t * wrap_angle(p[i + 1].heading - p[i].heading));
}

#define PATH_STACK_LANES 4096 /* maps up to this size search without heap allocation */

int map_lane_path(const Map *m, int from, int to, int *out, int max) {
    if (from < 0 || to < 0 || from >= m->n_lanes || to >= m->n_lanes || max < 1) return -1;
    int stack_queue[PATH_STACK_LANES], stack_parent[PATH_STACK_LANES];
    int *queue = stack_queue, *parent = stack_parent; /* parent[lane]: predecessor in the BFS tree */
    if (m->n_lanes > PATH_STACK_LANES) {
        queue = malloc((size_t)m->n_lanes * sizeof *queue);
        parent = malloc((size_t)m->n_lanes * sizeof *parent);
        if (!queue || !parent) {
            free(queue);
            free(parent);
            return -1;
        }
    }
    for (int i = 0; i < m->n_lanes; i++) parent[i] = -2; /* -2: unvisited */
    int head = 0, tail = 0, found = 0;
    queue[tail++] = from;
    parent[from] = -1;
    while (head < tail && !found) {
        int l = queue[head++];
        if (l == to) { found = 1; break; }
        for (int k = 0; k < m->lanes[l].n_succ; k++) {
            int s = m->lanes[l].succ[k];
            if (parent[s] != -2) continue;
            parent[s] = l;
            queue[tail++] = s;
        }
    }
    int count = -1;
    if (found) {
        int len = 0;
        for (int l = to; l != -1; l = parent[l]) len++;
        /* a path longer than max is truncated to its first max lanes */
        count = len < max ? len : max;
        int i = len;
        for (int l = to; l != -1; l = parent[l])
            if (--i < count) out[i] = l;
    }
    if (queue != stack_queue) {
        free(queue);
        free(parent);
    }
    return count;
}
