/* obs_bev.c — the VLA family's renderings (craft/obs.h): a 64×64 bird's-eye raster in the ego frame
 * (lanes are stamped as capsules around their centreline segments, actors as oriented boxes; a cell
 * is set when its centre is covered) and the instruction sentence over the fixed token vocabulary. */
#include <math.h>
#include <string.h>
#include "craft/geom.h"
#include "obs_internal.h"

enum { CH_DRIVABLE, CH_LANE_LINES, CH_ROUTE, CH_VEHICLES, CH_PEDESTRIANS, CH_RED_LIGHTS };

#define BEV_ORIGIN_X 16           /* cells behind the ego */
#define BEV_ORIGIN_Y 32           /* cells to the ego's right */
#define BEV_REACH 29.0f           /* m: farthest raster corner from the ego (hypot(24, 16) ≈ 28.8) */
#define LINE_RADIUS 0.3f          /* m: lines cover the cells they pass within ~one half cell of */
#define ROUTE_RADIUS 1.0f

static inline uint8_t *bev_ch(Obs *o, int ch) { return &o->bev[ch * OBS_BEV * OBS_BEV]; }
static inline float cell_x(int ix) { return ((float)(ix - BEV_ORIGIN_X) + 0.5f) * OBS_BEV_CELL; }
static inline float cell_y(int iy) { return ((float)(iy - BEV_ORIGIN_Y) + 0.5f) * OBS_BEV_CELL; }

static void cell_range(float lo, float hi, int origin, int *a, int *b) {
    *a = (int)floorf(lo / OBS_BEV_CELL) + origin;
    *b = (int)floorf(hi / OBS_BEV_CELL) + origin;
    if (*a < 0) *a = 0;
    if (*b > OBS_BEV - 1) *b = OBS_BEV - 1;
}

/* Cells within r of the ego-frame segment a-b take max(cell, value). */
static void stamp_capsule(uint8_t *ch, float ax, float ay, float bx, float by, float r, float value) {
    int i0, i1, j0, j1;
    cell_range(fminf(ax, bx) - r, fmaxf(ax, bx) + r, BEV_ORIGIN_X, &i0, &i1);
    cell_range(fminf(ay, by) - r, fmaxf(ay, by) + r, BEV_ORIGIN_Y, &j0, &j1);
    float ex = bx - ax, ey = by - ay, len2 = ex * ex + ey * ey, r2 = r * r;
    for (int i = i0; i <= i1; i++)
        for (int j = j0; j <= j1; j++) {
            float px = cell_x(i) - ax, py = cell_y(j) - ay;
            float t = len2 > 0 ? fminf(fmaxf((px * ex + py * ey) / len2, 0.0f), 1.0f) : 0.0f;
            float qx = px - t * ex, qy = py - t * ey;
            uint8_t *c = &ch[i * OBS_BEV + j];
            if (qx * qx + qy * qy <= r2 && *c < (uint8_t)value) *c = (uint8_t)value;
        }
}

/* Cells whose centre lies inside the ego-frame oriented box. */
static void stamp_box(uint8_t *ch, float cx, float cy, float h, float half_len, float half_wid) {
    float c = cosf(h), s = sinf(h), ext = fabsf(c) * half_len + fabsf(s) * half_wid,
          eyt = fabsf(s) * half_len + fabsf(c) * half_wid;
    int i0, i1, j0, j1;
    cell_range(cx - ext, cx + ext, BEV_ORIGIN_X, &i0, &i1);
    cell_range(cy - eyt, cy + eyt, BEV_ORIGIN_Y, &j0, &j1);
    for (int i = i0; i <= i1; i++)
        for (int j = j0; j <= j1; j++) {
            float dx = cell_x(i) - cx, dy = cell_y(j) - cy;
            float u = c * dx + s * dy, v = -s * dx + c * dy;
            if (fabsf(u) <= half_len && fabsf(v) <= half_wid) ch[i * OBS_BEV + j] = 1;
        }
}

static int lane_in_reach(const ObsFrame *f, const Lane *l, float margin) {
    const LanePoint *p = &f->m->points[l->first_point];
    float lim = BEV_REACH + 8.0f + margin;
    for (int i = 0; i < l->n_points; i += 8) {
        float dx = p[i].x - f->ex, dy = p[i].y - f->ey;
        if (dx * dx + dy * dy <= lim * lim) return 1;
    }
    float dx = p[l->n_points - 1].x - f->ex, dy = p[l->n_points - 1].y - f->ey;
    return dx * dx + dy * dy <= lim * lim;
}

/* Centreline (offset = 0) or a boundary (offset = ±width/2, + = left) of a lane, segment by segment. */
static void stamp_lane(const ObsFrame *f, uint8_t *ch, int lane, float offset, float r, float value) {
    const Lane *l = &f->m->lanes[lane];
    const LanePoint *p = &f->m->points[l->first_point];
    float px = 0, py = 0;
    for (int i = 0; i < l->n_points; i++) {
        float x, y;
        obs_to_ego(f, p[i].x - sinf(p[i].heading) * offset, p[i].y + cosf(p[i].heading) * offset, &x, &y);
        if (i > 0 && fmaxf(fabsf(x), fabsf(px)) < 40.0f && fmaxf(fabsf(y), fabsf(py)) < 40.0f)
            stamp_capsule(ch, px, py, x, y, r, value);
        px = x, py = y;
    }
}

static void render_map(const ObsFrame *f, Obs *o) {
    const Map *m = f->m;
    for (int lane = 0; lane < m->n_lanes; lane++) {
        const Lane *l = &m->lanes[lane];
        if ((l->kind != LANE_DRIVING && l->kind != LANE_PARKING) || !lane_in_reach(f, l, l->width)) continue;
        stamp_lane(f, bev_ch(o, CH_DRIVABLE), lane, 0.0f, 0.5f * l->width, 1.0f);
        if (l->kind != LANE_DRIVING || l->junction >= 0) continue;
        if (l->left_bound != BOUND_NONE) stamp_lane(f, bev_ch(o, CH_LANE_LINES), lane, 0.5f * l->width, LINE_RADIUS, 1.0f);
        if (l->right_bound != BOUND_NONE) stamp_lane(f, bev_ch(o, CH_LANE_LINES), lane, -0.5f * l->width, LINE_RADIUS, 1.0f);
        if (l->control == CONTROL_LIGHT && l->light >= 0) {
            LightColor c = (LightColor)f->st->light_color[l->light];
            float value = c == LIGHT_RED ? 1.0f : c == LIGHT_YELLOW ? 0.5f : 0.0f;
            if (value == 0.0f) continue;
            float x, y, h, ax, ay, bx, by, hw = 0.5f * l->width;
            map_lane_pose(m, lane, l->length, &x, &y, &h);
            obs_to_ego(f, x + sinf(h) * hw, y - cosf(h) * hw, &ax, &ay);
            obs_to_ego(f, x - sinf(h) * hw, y + cosf(h) * hw, &bx, &by);
            stamp_capsule(bev_ch(o, CH_RED_LIGHTS), ax, ay, bx, by, 0.5f, value);
        }
    }
}

static void render_route(const ObsFrame *f, Obs *o) {
    const Route *r = f->r;
    int i = obs_route_index_at(r, f->rs - 10.0f, f->ri);
    float px = 0, py = 0;
    for (int k = i; k < r->n && r->pts[k].s <= f->rs + 30.0f; k++) {
        float x, y;
        obs_to_ego(f, r->pts[k].x, r->pts[k].y, &x, &y);
        if (k > i) stamp_capsule(bev_ch(o, CH_ROUTE), px, py, x, y, ROUTE_RADIUS, 1.0f);
        px = x, py = y;
    }
}

static void render_actors(const ObsFrame *f, Obs *o) {
    const WorldState *st = f->st;
    for (int i = 1; i < st->n_actors; i++) {
        const Actor *a = &st->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        float x, y;
        obs_to_ego(f, a->k.x, a->k.y, &x, &y);
        if (fabsf(x) > 40.0f || fabsf(y) > 40.0f) continue;
        int ch = a->type == ACTOR_PEDESTRIAN ? CH_PEDESTRIANS : CH_VEHICLES;
        stamp_box(bev_ch(o, ch), x, y, a->k.heading - f->eh, 0.5f * a->length, 0.5f * a->width);
    }
}

void obs_render_bev(const ObsFrame *f, Obs *o) {
    render_map(f, o);
    render_route(f, o);
    render_actors(f, o);
}

/* ---- instruction ----------------------------------------------------------------------------- */
static const char *const TOKEN_NAMES[OBS_INSTR_VOCAB] = {
    "<pad>", "<bos>", "<eos>", "follow", "turn-left", "turn-right", "go-straight", "change-left", "change-right",
    "stopped", "slow", "cruise", "fast", "red-light", "yellow-light", "green-light", "stop-sign", "yield-sign",
    "clear", "lead-vehicle", "pedestrian-near", "route-end"};

const char *instr_token_name(int tok) { return tok >= 0 && tok < OBS_INSTR_VOCAB ? TOKEN_NAMES[tok] : "?"; }

static int lead_vehicle(const Obs *o) {
    for (int k = 0; k < OBS_AGENTS; k++) {
        const float *a = &o->agents[k * OBS_AGENT_DIM];
        if (a[8 + OBS_AGENT_TYPES] == 0.0f || a[0] <= 0.0f) continue;
        for (int j = 0; j < OBS_ROUTE_PTS && 2.0f * (float)(j + 1) <= 30.0f; j++) {
            float dx = a[0] - o->route[j * OBS_ROUTE_DIM], dy = a[1] - o->route[j * OBS_ROUTE_DIM + 1];
            if (dx * dx + dy * dy < 4.0f) return 1;
        }
    }
    return 0;
}

static int pedestrian_near(const Obs *o) {
    for (int k = 0; k < OBS_AGENTS; k++) {
        const float *a = &o->agents[k * OBS_AGENT_DIM];
        if (a[8 + OBS_AGENT_TYPES] != 0.0f && a[8 + 5] != 0.0f && a[0] * a[0] + a[1] * a[1] < 225.0f) return 1;
    }
    return 0;
}

void obs_instruction(const ObsFrame *f, Obs *o) {
    int n = 0;
    int32_t *t = o->instr;
    float v = o->ego[0], limit = o->ego[5];
    t[n++] = TOK_BOS;
    t[n++] = TOK_FOLLOW + o->command;
    t[n++] = v < 0.5f ? TOK_STOPPED : v < 0.5f * limit ? TOK_SLOW : v <= 1.05f * limit ? TOK_CRUISE : TOK_FAST;
    LightColor light;
    int control = obs_control_ahead(f, 40.0f, &light);
    if (control == CONTROL_LIGHT)
        t[n++] = light == LIGHT_RED ? TOK_RED_LIGHT : light == LIGHT_YELLOW ? TOK_YELLOW_LIGHT
               : light == LIGHT_GREEN ? TOK_GREEN_LIGHT : TOK_CLEAR;
    else
        t[n++] = control == CONTROL_STOP ? TOK_STOP_SIGN : control == CONTROL_YIELD ? TOK_YIELD_SIGN : TOK_CLEAR;
    if (lead_vehicle(o)) t[n++] = TOK_LEAD_VEHICLE;
    if (pedestrian_near(o)) t[n++] = TOK_PEDESTRIAN_NEAR;
    if (f->r->length - f->rs < 30.0f) t[n++] = TOK_ROUTE_END;
    t[n++] = TOK_EOS;
}
