/* obs.c — the vector part of the observation (craft/obs.h): ego state, route points, the K nearest
 * agents, M nearby map polylines and the navigation command, all in the ego frame. Map polylines are
 * pieces of fixed arc length cut from each lane (so they are intrinsic to the map, not to where the
 * ego stands), resampled to OBS_MAP_PTS points; a piece is listed when any point is within the radius,
 * and the M with the smallest mean point distance win (boundaries count as 10 m farther,
 * so the centrelines the ego can drive on are not crowded out by the lines between them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/geom.h"
#include "obs_internal.h"

#define PIECE_LEN 20.0f         /* m of lane per map polyline */
#define BOUNDARY_PENALTY 10.0f  /* m added to a boundary's distance when ranking polylines */
#define COMMAND_LOOKAHEAD 30.0f /* m */
#define MAX_CANDS 768           /* polylines considered per encoding (the map near the ego) */

enum { MK_CENTRE, MK_BOUNDARY, MK_STOP_LINE, MK_CROSSWALK };
enum { ML_RED, ML_YELLOW, ML_GREEN, ML_NONE };

ObsConfig obs_default_config(void) { return (ObsConfig){.with_bev = 0, .agent_radius = 60.0f, .map_radius = 50.0f}; }

static const char *const CMD_NAMES[CMD_COUNT] = {"follow", "left", "right", "straight", "change_left", "change_right"};
const char *nav_command_name(NavCommand c) { return (unsigned)c < CMD_COUNT ? CMD_NAMES[c] : "?"; }

void obs_to_ego(const ObsFrame *f, float x, float y, float *ox, float *oy) { to_frame(f->ex, f->ey, f->eh, x, y, ox, oy); }

int obs_route_index_at(const Route *r, float s, int from) {
    int i = from < 0 ? 0 : from >= r->n ? r->n - 1 : from;
    while (i > 0 && r->pts[i].s > s) i--;
    while (i < r->n - 1 && r->pts[i + 1].s <= s) i++;
    return i;
}

int obs_frame_init(ObsFrame *f, const Map *m, const Route *r, const WorldState *st, Err *e) {
    if (!m || !r || !st || r->n < 2) return err_set(e, "obs_encode: the world has no ego route");
    if (st->n_actors < 1) return err_set(e, "obs_encode: the world has no ego (actor 0)");
    const KinState *k = &st->actors[0].k;
    *f = (ObsFrame){.m = m, .r = r, .st = st, .ex = k->x, .ey = k->y, .eh = k->heading};
    int hint = st->ego.route_idx > 20 ? st->ego.route_idx - 20 : 0;
    float dist;
    f->ri = route_nearest(r, k->x, k->y, hint, 80, &dist);
    if (f->ri < 0 || dist > 5.0f) f->ri = route_nearest(r, k->x, k->y, 0, -1, &dist);
    if (f->ri < 0) return err_set(e, "obs_encode: cannot locate the ego on its route");
    const RoutePoint *p = &r->pts[f->ri];
    float fx, fy;
    to_frame(p->x, p->y, p->heading, k->x, k->y, &fx, &fy);
    f->rs = fminf(fmaxf(p->s + fx, 0.0f), r->length);
    return 0;
}

/* ---- navigation command and controls ahead --------------------------------------------------- */
static int is_successor(const Lane *l, int to) {
    for (int k = 0; k < l->n_succ; k++)
        if (l->succ[k] == to) return 1;
    return 0;
}

static NavCommand command_from_frame(const ObsFrame *f) {
    const Route *r = f->r;
    const Lane *lanes = f->m->lanes;
    int prev = r->pts[f->ri].lane;
    for (int i = f->ri; i < r->n && r->pts[i].s <= f->rs + COMMAND_LOOKAHEAD; i++) {
        int lane = r->pts[i].lane;
        const Lane *pl = &lanes[prev];
        if (lane != prev && pl->left == lane && !pl->left_opposite) return CMD_CHANGE_LEFT;
        if (lane != prev && pl->right == lane && !pl->right_opposite) return CMD_CHANGE_RIGHT;
        if (lanes[lane].junction >= 0) {
            switch (lanes[lane].turn) {
            case TURN_LEFT: return CMD_LEFT;
            case TURN_RIGHT: return CMD_RIGHT;
            case TURN_STRAIGHT: return CMD_STRAIGHT;
            default: break;
            }
        }
        prev = lane;
    }
    return CMD_FOLLOW;
}

NavCommand obs_command_state(const Map *m, const Route *r, const WorldState *st) {
    ObsFrame f;
    return obs_frame_init(&f, m, r, st, NULL) ? CMD_FOLLOW : command_from_frame(&f);
}

NavCommand obs_command(const World *w) {
    return obs_command_state(world_map(w), world_route(w), world_state_const(w));
}

int obs_control_ahead(const ObsFrame *f, float ahead, LightColor *light) {
    const Route *r = f->r;
    *light = LIGHT_OFF;
    for (int i = f->ri; i + 1 < r->n && r->pts[i].s <= f->rs + ahead; i++) {
        int a = r->pts[i].lane, b = r->pts[i + 1].lane;
        const Lane *l = &f->m->lanes[a];
        if (a == b || !is_successor(l, b) || r->pts[i].s < f->rs - 1.0f) continue;
        if (l->control == CONTROL_LIGHT && l->light >= 0) *light = (LightColor)f->st->light_color[l->light];
        if (l->control == CONTROL_LIGHT || l->control == CONTROL_STOP || l->control == CONTROL_YIELD) return l->control;
    }
    return CONTROL_NONE;
}

/* ---- ego, route, agents ------------------------------------------------------------------- */
static void encode_ego(const ObsFrame *f, Obs *o) {
    const KinState *k = &f->st->actors[0].k;
    const Lane *l = &f->m->lanes[f->r->pts[f->ri].lane];
    float v[OBS_EGO_DIM] = {k->speed, k->accel, k->speed * k->yaw_rate, k->yaw_rate, k->steer, l->speed_limit,
                            (f->r->length - f->rs) / 100.0f, l->junction >= 0 ? 1.0f : 0.0f};
    memcpy(o->ego, v, sizeof v);
}

static void encode_route(const ObsFrame *f, Obs *o) {
    const Route *r = f->r;
    int i = f->ri;
    for (int k = 0; k < OBS_ROUTE_PTS; k++) {
        float s = fminf(f->rs + 2.0f * (float)(k + 1), r->length);
        i = obs_route_index_at(r, s, i);
        const RoutePoint *a = &r->pts[i], *b = &r->pts[i + 1 < r->n ? i + 1 : i];
        float span = b->s - a->s, t = span > 0 ? fminf(fmaxf((s - a->s) / span, 0.0f), 1.0f) : 0.0f;
        float x = a->x + t * (b->x - a->x), y = a->y + t * (b->y - a->y);
        float h = wrap_angle(a->heading + t * wrap_angle(b->heading - a->heading)) - f->eh;
        float *q = &o->route[k * OBS_ROUTE_DIM];
        obs_to_ego(f, x, y, &q[0], &q[1]);
        q[2] = cosf(h);
        q[3] = sinf(h);
    }
}

static int type_slot(int type) {
    static const int8_t SLOT[ACTOR_TYPE_COUNT] = {
        [ACTOR_CAR] = 0, [ACTOR_VAN] = 1, [ACTOR_TRUCK] = 2, [ACTOR_BUS] = 2, [ACTOR_EMERGENCY] = 3,
        [ACTOR_BICYCLE] = 4, [ACTOR_PEDESTRIAN] = 5, [ACTOR_STATIC] = 6};
    return type >= 0 && type < ACTOR_TYPE_COUNT ? SLOT[type] : 6;
}

typedef struct { float d2; int idx; } Ranked;

static int cmp_ranked(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    if (x->d2 != y->d2) return x->d2 < y->d2 ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static void encode_agents(const ObsFrame *f, const ObsConfig *cfg, Obs *o) {
    const WorldState *st = f->st;
    Ranked rk[WORLD_MAX_ACTORS];
    int n = 0;
    float r2 = cfg->agent_radius * cfg->agent_radius;
    for (int i = 1; i < st->n_actors; i++) {
        const Actor *a = &st->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        float dx = a->k.x - f->ex, dy = a->k.y - f->ey, d2 = dx * dx + dy * dy;
        if (d2 <= r2) rk[n++] = (Ranked){floorf(100.0f * sqrtf(d2)), i}; /* 1 cm bins, then index (see MapCand.key) */
    }
    qsort(rk, (size_t)n, sizeof *rk, cmp_ranked);
    for (int j = 0; j < n && j < OBS_AGENTS; j++) {
        const Actor *a = &st->actors[rk[j].idx];
        float *q = &o->agents[j * OBS_AGENT_DIM];
        float h = a->k.heading - f->eh;
        obs_to_ego(f, a->k.x, a->k.y, &q[0], &q[1]);
        q[2] = cosf(h);
        q[3] = sinf(h);
        q[4] = a->k.speed * q[2];
        q[5] = a->k.speed * q[3];
        q[6] = a->length;
        q[7] = a->width;
        q[8 + type_slot(a->type)] = 1.0f;
        q[8 + OBS_AGENT_TYPES] = 1.0f;
    }
}

/* ---- map polylines ------------------------------------------------------------------------- */
typedef struct {
    float key;
    int order;
    float pts[OBS_MAP_PTS * 2];     /* ego frame */
    uint8_t kind, light;
    float speed_limit;
} MapCand;

typedef struct {
    const ObsFrame *f;
    float radius;
    MapCand *c;
    int n;
} CandList;

static int cmp_cand(const void *a, const void *b) {
    const MapCand *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Adds a polyline given in the world frame if any point lies within the radius. */
static void cand_add(CandList *L, const float *wx, const float *wy, int kind, int light, float speed_limit) {
    if (L->n >= MAX_CANDS) return;
    MapCand *c = &L->c[L->n];
    float dmin2 = INFINITY, dmean = 0.0f;
    for (int j = 0; j < OBS_MAP_PTS; j++) {
        float dx = wx[j] - L->f->ex, dy = wy[j] - L->f->ey;
        dmin2 = fminf(dmin2, dx * dx + dy * dy);
        dmean += sqrtf(dx * dx + dy * dy) / OBS_MAP_PTS;
        obs_to_ego(L->f, wx[j], wy[j], &c->pts[2 * j], &c->pts[2 * j + 1]);
    }
    if (dmin2 > L->radius * L->radius) return;
    /* ranked by mean distance (consecutive pieces share an end point, so their minimum distances
     * tie), quantised to 1 cm so that mirror-symmetric lines (a road seen from its centre lane) tie
     * exactly and fall back to map order instead of float rounding: a rigid motion of the world
     * keeps the order */
    c->key = floorf(100.0f * (dmean + (kind == MK_BOUNDARY ? BOUNDARY_PENALTY : 0.0f)));
    c->order = L->n;
    c->kind = (uint8_t)kind;
    c->light = (uint8_t)light;
    c->speed_limit = speed_limit;
    L->n++;
}

static int light_slot(const WorldState *st, int light) {
    if (light < 0) return ML_NONE;
    switch ((LightColor)st->light_color[light]) {
    case LIGHT_RED: return ML_RED;
    case LIGHT_YELLOW: return ML_YELLOW;
    case LIGHT_GREEN: return ML_GREEN;
    default: return ML_NONE;
    }
}

/* The light a lane obeys: its own (approach lanes), or its predecessor's (junction connectors). */
static int lane_light(const Map *m, int lane) {
    const Lane *l = &m->lanes[lane];
    if (l->control == CONTROL_LIGHT) return l->light;
    if (l->junction >= 0)
        for (int k = 0; k < l->n_pred; k++)
            if (m->lanes[l->pred[k]].control == CONTROL_LIGHT) return m->lanes[l->pred[k]].light;
    return -1;
}

/* Left boundary drawn by this lane? Shared lines are drawn once: a line between same-direction
 * lanes by the lane on its left (as that lane's right boundary), the centre line of a two-way road
 * by the lower-indexed of its two lanes. */
static int draws_left_bound(const Lane *l, int self) {
    if (l->left_bound == BOUND_NONE) return 0;
    if (l->left < 0) return 1;
    return l->left_opposite && self < l->left;
}

static void lane_pieces(CandList *L, int lane) {
    const Map *m = L->f->m;
    const Lane *l = &m->lanes[lane];
    /* cheap reject: every 8th centreline point (≤ 8 m apart) farther than radius + 8 m */
    const LanePoint *p = &m->points[l->first_point];
    float near2 = INFINITY, lim = L->radius + 8.0f;
    for (int i = 0; i < l->n_points; i += 8) {
        float dx = p[i].x - L->f->ex, dy = p[i].y - L->f->ey;
        near2 = fminf(near2, dx * dx + dy * dy);
    }
    float dx = p[l->n_points - 1].x - L->f->ex, dy = p[l->n_points - 1].y - L->f->ey;
    near2 = fminf(near2, dx * dx + dy * dy);
    if (near2 > lim * lim) return;
    int light = light_slot(L->f->st, lane_light(m, lane));
    int n_pieces = (int)ceilf(l->length / PIECE_LEN);
    if (n_pieces < 1) n_pieces = 1;
    int left_b = l->junction < 0 && draws_left_bound(l, lane), right_b = l->junction < 0 && l->right_bound != BOUND_NONE;
    float hw = 0.5f * l->width;
    for (int k = 0; k < n_pieces; k++) {
        float s0 = (float)k * PIECE_LEN, s1 = fminf(s0 + PIECE_LEN, l->length);
        float cx[OBS_MAP_PTS], cy[OBS_MAP_PTS], lx[OBS_MAP_PTS], ly[OBS_MAP_PTS], rx[OBS_MAP_PTS], ry[OBS_MAP_PTS];
        for (int j = 0; j < OBS_MAP_PTS; j++) {
            float h;
            map_lane_pose(m, lane, s0 + (s1 - s0) * (float)j / (OBS_MAP_PTS - 1), &cx[j], &cy[j], &h);
            float nx = -sinf(h) * hw, ny = cosf(h) * hw;
            lx[j] = cx[j] + nx, ly[j] = cy[j] + ny;
            rx[j] = cx[j] - nx, ry[j] = cy[j] - ny;
        }
        cand_add(L, cx, cy, MK_CENTRE, light, l->speed_limit);
        if (left_b) cand_add(L, lx, ly, MK_BOUNDARY, ML_NONE, l->speed_limit);
        if (right_b) cand_add(L, rx, ry, MK_BOUNDARY, ML_NONE, l->speed_limit);
    }
    if (l->control == CONTROL_LIGHT || l->control == CONTROL_STOP || l->control == CONTROL_YIELD) {
        float x, y, h, sx[OBS_MAP_PTS], sy[OBS_MAP_PTS];
        map_lane_pose(m, lane, l->length, &x, &y, &h);
        for (int j = 0; j < OBS_MAP_PTS; j++) { /* right edge to left edge */
            float t = -hw + 2.0f * hw * (float)j / (OBS_MAP_PTS - 1);
            sx[j] = x - sinf(h) * t, sy[j] = y + cosf(h) * t;
        }
        cand_add(L, sx, sy, MK_STOP_LINE, l->control == CONTROL_LIGHT ? light : ML_NONE, 0.0f);
    }
}

static void crosswalk_piece(CandList *L, const Crosswalk *c) {
    float edge[4], per = 0.0f, wx[OBS_MAP_PTS], wy[OBS_MAP_PTS];
    for (int k = 0; k < 4; k++) per += edge[k] = hypotf(c->x[(k + 1) % 4] - c->x[k], c->y[(k + 1) % 4] - c->y[k]);
    for (int j = 0; j < OBS_MAP_PTS; j++) { /* perimeter from corner 0, counter-clockwise */
        float d = per * (float)j / OBS_MAP_PTS;
        int k = 0;
        while (k < 3 && d > edge[k]) d -= edge[k++];
        float t = edge[k] > 0 ? d / edge[k] : 0.0f;
        wx[j] = c->x[k] + t * (c->x[(k + 1) % 4] - c->x[k]);
        wy[j] = c->y[k] + t * (c->y[(k + 1) % 4] - c->y[k]);
    }
    cand_add(L, wx, wy, MK_CROSSWALK, ML_NONE, 0.0f);
}

static void encode_map(const ObsFrame *f, const ObsConfig *cfg, Obs *o) {
    static _Thread_local MapCand cands[MAX_CANDS]; /* ~75 KB: too big for small thread stacks */
    CandList L = {.f = f, .radius = cfg->map_radius, .c = cands, .n = 0};
    for (int lane = 0; lane < f->m->n_lanes; lane++)
        if (f->m->lanes[lane].kind == LANE_DRIVING) lane_pieces(&L, lane);
    for (int i = 0; i < f->m->n_crosswalks; i++) crosswalk_piece(&L, &f->m->crosswalks[i]);
    qsort(cands, (size_t)L.n, sizeof *cands, cmp_cand);
    for (int i = 0; i < L.n && i < OBS_MAP_POLYS; i++) {
        memcpy(&o->map_pts[i * OBS_MAP_PTS * 2], cands[i].pts, sizeof cands[i].pts);
        float *q = &o->map_meta[i * OBS_MAP_META_DIM];
        q[cands[i].kind] = 1.0f;
        q[4 + cands[i].light] = 1.0f;
        q[8] = cands[i].speed_limit / 20.0f;
        q[9] = 1.0f;
    }
}

/* ---- entry points ---------------------------------------------------------------------------- */
int obs_encode_state(const Map *m, const Route *r, const WorldState *st, const ObsConfig *cfg, Obs *out, Err *e) {
    ObsConfig dc = obs_default_config();
    if (!cfg) cfg = &dc;
    ObsFrame f;
    if (obs_frame_init(&f, m, r, st, e)) return -1;
    memset(out, 0, sizeof *out);
    encode_ego(&f, out);
    encode_route(&f, out);
    encode_agents(&f, cfg, out);
    encode_map(&f, cfg, out);
    out->command = (int32_t)command_from_frame(&f);
    if (cfg->with_bev) {
        out->has_bev = 1;
        obs_render_bev(&f, out);
        obs_instruction(&f, out);
    }
    return 0;
}

int obs_encode(const World *w, const ObsConfig *cfg, Obs *out, Err *e) {
    if (!w) return err_set(e, "obs_encode: no world");
    if (!world_config(w)->has_ego) return err_set(e, "obs_encode: the world has no ego");
    return obs_encode_state(world_map(w), world_route(w), world_state_const(w), cfg, out, e);
}
