/* pdm_eval — one candidate against one forecast: the rollout runs in blocks of 10 steps; for each
 * block the agents whose forecast boxes can meet the ego's (incl. the 0.9 s TTC projection) are
 * kept (broad phase), then every time index gets NC (with PDM's at-fault classes), DAC, DDC, TLC,
 * TTC and LK, following PDM-NOTES §1 and §2 (thresholds and inclusivity as listed in §6.5).
 * Evaluation stops early once a multiplier of the aggregate is 0 (cfg.early_exit). */
#include <math.h>
#include <string.h>
#include "craft/collision.h"
#include "pdm_internal.h"

#define BLOCK 10
#define N_BLOCKS 4                 /* [0,10) [10,20) [20,30) [30,41) */
#define TTC_LAST_T 31              /* NAVSIM v2: starting times 0 .. 40 - 9 (41 forecast states) */
#define STOPPED_EGO_NC 0.05f       /* NC: ego stopped when speed <= this (get_collision_type default) */
#define STOPPED_EGO_TTC 0.005f     /* TTC: skip while ego speed < this */
#define COS_BEHIND -0.86602540f    /* angle > 150 deg */
#define COS_AHEAD 0.93969262f      /* angle < 20 deg */
#define DDC_WINDOW 10              /* 1.0 s: 11 samples */
#define LK_LIMIT 0.5f
#define LK_COUNT 20
#define STOP_SERVED_SPEED 0.1f     /* the world monitor's rule for serving a stop sign */
#define STOP_AREA_M 4.0f

static inline int block_of(int t) { int b = t / BLOCK; return b >= N_BLOCKS ? N_BLOCKS - 1 : b; }
static inline int block_first(int b) { return b * BLOCK; }
static inline int block_last(int b) { return b == N_BLOCKS - 1 ? SCORE_STEPS - 1 : b * BLOCK + BLOCK - 1; }

void eval_index_forecast(ScoreScratch *sc, const Forecast *fc) {
    for (int a = 0; a < fc->n_agents; a++) {
        float r = hypotf(fc->half_len[a], fc->half_wid[a]);
        for (int b = 0; b < N_BLOCKS; b++) {
            int t1 = block_last(b) + 9;
            if (t1 > SCORE_STEPS - 1) t1 = SCORE_STEPS - 1;
            float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
            for (int t = block_first(b); t <= t1; t++) {
                const ForecastPose *p = &fc->pose[t][a];
                x0 = fminf(x0, p->x); x1 = fmaxf(x1, p->x);
                y0 = fminf(y0, p->y); y1 = fmaxf(y1, p->y);
            }
            float *bx = &sc->agent_box[((size_t)a * N_BLOCKS + (size_t)b) * 4];
            bx[0] = x0 - r; bx[1] = y0 - r; bx[2] = x1 + r; bx[3] = y1 + r;
        }
    }
}

/* Ego geometry at one time index. */
typedef struct {
    Obb box;
    float cx[4], cy[4];            /* FL, RL, RR, FR */
    float rx, ry, c, s;            /* rear axle, heading cos/sin */
    int cset[4], centre_set, rear_set;
    int multi;                     /* MULTIPLE_LANES, computed lazily: -1 unknown */
} EgoGeom;

static void ego_geom(EgoGeom *g, const LaneRaster *ras, const KinState *k, float hl, float hw, float half_wb) {
    g->box = (Obb){k->x, k->y, k->heading, hl, hw};
    sincosf(k->heading, &g->s, &g->c);
    float lx = hl * g->c, ly = hl * g->s, wx = -hw * g->s, wy = hw * g->c;
    g->cx[0] = k->x + lx + wx; g->cy[0] = k->y + ly + wy;
    g->cx[1] = k->x - lx + wx; g->cy[1] = k->y - ly + wy;
    g->cx[2] = k->x - lx - wx; g->cy[2] = k->y - ly - wy;
    g->cx[3] = k->x + lx - wx; g->cy[3] = k->y + ly - wy;
    g->rx = k->x - half_wb * g->c;
    g->ry = k->y - half_wb * g->s;
    for (int i = 0; i < 4; i++) g->cset[i] = lane_raster_at(ras, g->cx[i], g->cy[i]);
    g->centre_set = lane_raster_at(ras, k->x, k->y);
    g->rear_set = lane_raster_at(ras, g->rx, g->ry);
    g->multi = -1;
}

static int non_drivable(const LaneRaster *ras, const EgoGeom *g) {
    for (int i = 0; i < 4; i++) if (!(ras->set_flags[g->cset[i]] & SET_DRIVABLE)) return 1;
    return 0;
}

/* PDM MULTIPLE_LANES over lanes and connectors (parking lanes are not lanes there): more than one
 * lane holds a corner and no single lane holds all four. */
static int multiple_lanes(const Map *m, const LaneRaster *ras, EgoGeom *g) {
    if (g->multi >= 0) return g->multi;
    int distinct[4 * RASTER_SET_MAX], nd = 0, all = 0;
    for (int i = 0; i < 4; i++) {
        const int *l = ras->set_lanes + ras->set_first[g->cset[i]];
        for (int k = 0; k < ras->set_n[g->cset[i]]; k++) {
            if (m->lanes[l[k]].kind != LANE_DRIVING) continue;
            int seen = 0;
            for (int j = 0; j < nd; j++) seen |= distinct[j] == l[k];
            if (!seen) distinct[nd++] = l[k];
            if (i == 0 && lane_set_has(ras, g->cset[1], l[k]) && lane_set_has(ras, g->cset[2], l[k]) &&
                lane_set_has(ras, g->cset[3], l[k]))
                all = 1;
        }
    }
    g->multi = nd > 1 && !all;
    return g->multi;
}

/* Does segment (ax,ay)-(bx,by) touch the box? Liang-Barsky clip in the box frame. */
static int segment_hits_box(float ax, float ay, float bx, float by, const Obb *o) {
    float fax, fay, fbx, fby;
    to_frame(o->cx, o->cy, o->heading, ax, ay, &fax, &fay);
    to_frame(o->cx, o->cy, o->heading, bx, by, &fbx, &fby);
    float t0 = 0.0f, t1 = 1.0f, d[2] = {fbx - fax, fby - fay}, p0[2] = {fax, fay}, h[2] = {o->half_len, o->half_wid};
    for (int ax_i = 0; ax_i < 2; ax_i++) {
        float lo = -h[ax_i] - p0[ax_i], hi = h[ax_i] - p0[ax_i];
        if (fabsf(d[ax_i]) < 1e-9f) { if (lo > 0.0f || hi < 0.0f) return 0; continue; }
        float ta = lo / d[ax_i], tb = hi / d[ax_i];
        if (ta > tb) { float tmp = ta; ta = tb; tb = tmp; }
        if (ta > t0) t0 = ta;
        if (tb < t1) t1 = tb;
        if (t0 > t1) return 0;
    }
    return 1;
}

/* cos of the angle between the ego heading and the rear axle -> point vector; NAN when they coincide
 * (PDM normalises a zero vector to NaN, so neither "ahead" nor "behind" holds). */
static float bearing_cos(const EgoGeom *g, float x, float y) {
    float dx = x - g->rx, dy = y - g->ry, n = sqrtf(dx * dx + dy * dy);
    return n > 0.0f ? (dx * g->c + dy * g->s) / n : NAN;
}

static inline Obb agent_box(const Forecast *fc, int t, int a) {
    const ForecastPose *p = &fc->pose[t][a];
    return (Obb){p->x, p->y, p->heading, fc->half_len[a], fc->half_wid[a]};
}

static inline int near(const Obb *e, float er, const Forecast *fc, int t, int a) {
    const ForecastPose *p = &fc->pose[t][a];
    float dx = p->x - e->cx, dy = p->y - e->cy, r = er + hypotf(fc->half_len[a], fc->half_wid[a]);
    return dx * dx + dy * dy <= r * r;
}

/* Footprint samples for the traffic-control test: corners, centre, edge midpoints. */
static int footprint_sets(const LaneRaster *ras, const EgoGeom *g, int sets[9]) {
    for (int i = 0; i < 4; i++) sets[i] = g->cset[i];
    sets[4] = g->centre_set;
    for (int i = 0; i < 4; i++) {
        int j = (i + 1) & 3;
        sets[5 + i] = lane_raster_at(ras, 0.5f * (g->cx[i] + g->cx[j]), 0.5f * (g->cy[i] + g->cy[j]));
    }
    return 9;
}

static int touches_connectors(const LaneRaster *ras, const int *sets, int n, const CtxControl *k) {
    for (int i = 0; i < n; i++) {
        if (!(ras->set_flags[sets[i]] & SET_JUNCTION)) continue;
        for (int j = 0; j < k->n_succ; j++) if (lane_set_has(ras, sets[i], k->succ[j])) return 1;
    }
    return 0;
}

typedef struct {
    uint8_t ignore_nc[WORLD_MAX_ACTORS], ignore_ttc[WORLD_MAX_ACTORS];
    uint8_t ctl_exempt[CTX_MAX_CONTROLS], ctl_served[CTX_MAX_CONTROLS];
    float ddc_d[SCORE_STEPS], ddc_max;
    int lk_count, route_hint;
    int list[WORLD_MAX_ACTORS], n_list;
} EvalState;

static void eval_collisions(const Map *m, const LaneRaster *ras, const Forecast *fc, EvalState *es, EgoGeom *g,
                            const KinState *k, int t, CandScore *o) {
    float er = hypotf(g->box.half_len, g->box.half_wid);
    for (int li = 0; li < es->n_list; li++) {
        int a = es->list[li];
        if (es->ignore_nc[a] || !near(&g->box, er, fc, t, a)) continue;
        Obb ab = agent_box(fc, t, a);
        if (!obb_overlap(&g->box, &ab)) continue;
        int at_fault;
        if (k->speed <= STOPPED_EGO_NC) at_fault = 0;                        /* STOPPED_EGO */
        else if (fc->stopped[a]) at_fault = 1;                               /* STOPPED_TRACK */
        else if (bearing_cos(g, ab.cx, ab.cy) < COS_BEHIND) at_fault = 0;    /* ACTIVE_REAR */
        else if (segment_hits_box(g->cx[0], g->cy[0], g->cx[3], g->cy[3], &ab)) at_fault = 1; /* ACTIVE_FRONT */
        else at_fault = multiple_lanes(m, ras, g) || non_drivable(ras, g);   /* ACTIVE_LATERAL */
        if (!at_fault) { es->ignore_nc[a] = 1; continue; }
        float v = fc->type[a] == ACTOR_STATIC ? 0.5f : 0.0f;
        if (v < o->nc) o->nc = v;
        if (o->fault_step < 0) o->fault_step = t;
    }
    if (t > TTC_LAST_T || k->speed < STOPPED_EGO_TTC || o->ttc == 0.0f) return;
    for (int kk = 0; kk <= 9; kk += 3) {
        float shift = (float)kk * FORECAST_DT * k->speed;
        Obb sb = g->box;
        sb.cx += shift * g->c;
        sb.cy += shift * g->s;
        for (int li = 0; li < es->n_list; li++) {
            int a = es->list[li];
            if (es->ignore_ttc[a] || !near(&sb, er, fc, t + kk, a)) continue;
            Obb ab = agent_box(fc, t + kk, a);
            if (!obb_overlap(&sb, &ab)) continue;
            float cb = bearing_cos(g, ab.cx, ab.cy);
            int risky = multiple_lanes(m, ras, g) || non_drivable(ras, g) || (ras->set_flags[g->rear_set] & SET_JUNCTION);
            if (cb > COS_AHEAD || (risky && !(cb < COS_BEHIND))) { o->ttc = 0.0f; return; }
            es->ignore_ttc[a] = 1;
        }
    }
}

static void eval_rules(const StateCtx *ctx, const LaneRaster *ras, const Forecast *fc, EvalState *es,
                       const EgoGeom *g, const KinState *k, const KinState *prev, int t, CandScore *o) {
    /* DAC */
    if (non_drivable(ras, g)) o->dac = 0.0f;
    /* DDC (v2: also zero inside junctions), 11-sample window */
    int oncoming = !ctx->set_on_route[g->centre_set] && !(ras->set_flags[g->centre_set] & SET_JUNCTION);
    es->ddc_d[t] = (t > 0 && oncoming) ? hypotf(k->x - prev->x, k->y - prev->y) : 0.0f;
    float sum = 0.0f;
    for (int i = t - DDC_WINDOW < 0 ? 0 : t - DDC_WINDOW; i <= t; i++) sum += es->ddc_d[i];
    if (sum > es->ddc_max) es->ddc_max = sum;
    o->ddc = es->ddc_max < 2.0f ? 1.0f : (es->ddc_max < 6.0f ? 0.5f : 0.0f);
    /* TLC: the footprint enters a connector behind a red light / an unserved stop sign */
    int sets[9], ns = footprint_sets(ras, g, sets);
    for (int c = 0; c < ctx->n_ctl; c++) {
        const CtxControl *ctl = &ctx->ctl[c];
        int touch = touches_connectors(ras, sets, ns, ctl);
        if (t == 0) { es->ctl_exempt[c] = (uint8_t)touch; es->ctl_served[c] = ctl->served; }
        if (es->ctl_exempt[c]) continue;
        if (ctl->light < 0 && !es->ctl_served[c] && k->speed < STOP_SERVED_SPEED) {
            float fx, fy;
            to_frame(ctl->lx, ctl->ly, ctl->lh, k->x, k->y, &fx, &fy);
            if (fx <= 0.0f && fx > -(STOP_AREA_M + 2.0f * g->box.half_len) && fabsf(fy) < 3.0f) es->ctl_served[c] = 1;
        }
        if (!touch) continue;
        int violates = ctl->light >= 0 ? fc->light[t][ctl->light] == LIGHT_RED : !es->ctl_served[c];
        if (violates) o->tlc = 0.0f;
    }
    /* LK (v2): > 0.5 m from the route centreline for 20 consecutive samples outside junctions */
    float dist;
    ctx_route_project(ctx->route, k->x, k->y, &es->route_hint, &dist);
    if (!(ras->set_flags[g->centre_set] & SET_JUNCTION)) {
        es->lk_count = dist > LK_LIMIT ? es->lk_count + 1 : 0;
        if (es->lk_count >= LK_COUNT) o->lk = 0.0f;
    }
}

static void cull_block(const ScoreScratch *sc, const Forecast *fc, const EgoRollout *r, int b, float er, EvalState *es) {
    float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int t = block_first(b); t <= block_last(b); t++) {
        const KinState *k = &r->k[t];
        float reach = 0.9f * k->speed, ex = k->x + reach * cosf(k->heading), ey = k->y + reach * sinf(k->heading);
        x0 = fminf(x0, fminf(k->x, ex)); x1 = fmaxf(x1, fmaxf(k->x, ex));
        y0 = fminf(y0, fminf(k->y, ey)); y1 = fmaxf(y1, fmaxf(k->y, ey));
    }
    x0 -= er; y0 -= er; x1 += er; y1 += er;
    es->n_list = 0;
    for (int a = 0; a < fc->n_agents; a++) {
        const float *bx = &sc->agent_box[((size_t)a * N_BLOCKS + (size_t)b) * 4];
        if (bx[0] > x1 || bx[2] < x0 || bx[1] > y1 || bx[3] < y0) continue;
        es->list[es->n_list++] = a;
    }
}

static int multipliers_zero(ScoreAggregate agg, const CandScore *o) {
    if (o->nc == 0.0f || o->dac == 0.0f) return 1;
    return agg != SCORE_PDMS && (o->ddc == 0.0f || o->tlc == 0.0f);
}

void eval_candidate(const Scorer *s, ScoreScratch *sc, const StateCtx *ctx, const ScoreInput *in,
                    const Forecast *fc, const Traj *cand, CandScore *o) {
    const LaneRaster *ras = &s->raster;
    const Actor *ego = ctx->ego;
    float hl = 0.5f * ego->length, hw = 0.5f * ego->width, er = hypotf(hl, hw);
    *o = (CandScore){.score = 0.0f, .nc = 1, .dac = 1, .ddc = 1, .tlc = 1, .ep = 0, .ttc = 1, .c = 1, .lk = 1,
                     .hc = 1, .ec = 1, .progress = 0, .exit_step = SCORE_STEPS, .fault_step = -1};
    EvalState es;
    memset(es.ignore_nc, 0, sizeof es.ignore_nc);
    memset(es.ignore_ttc, 0, sizeof es.ignore_ttc);
    es.ddc_max = 0.0f;
    es.lk_count = 0;
    es.route_hint = ctx->route_hint;
    EgoRollout *r = &sc->roll;
    RolloutSim sim;
    rollout_begin(&sim, in->world, cand);
    r->k[0] = sim.k;
    r->n = SCORE_STEPS;
    float s_start = 0.0f;
    for (int b = 0; b < N_BLOCKS; b++) {
        for (int t = block_first(b) == 0 ? 1 : block_first(b); t <= block_last(b); t++) {
            rollout_step(&sim);
            r->k[t] = sim.k;
        }
        cull_block(sc, fc, r, b, er, &es);
        for (int t = block_first(b); t <= block_last(b); t++) {
            EgoGeom g;
            ego_geom(&g, ras, &r->k[t], hl, hw, 0.5f * ego->veh.wheelbase);
            if (t == 0) { /* objects already overlapping the ego are ignored (PDM-Closed online) */
                for (int li = 0; li < es.n_list; li++) {
                    Obb ab = agent_box(fc, 0, es.list[li]);
                    if (obb_overlap(&g.box, &ab)) es.ignore_nc[es.list[li]] = es.ignore_ttc[es.list[li]] = 1;
                }
                float d;
                s_start = ctx_route_project(ctx->route, r->k[0].x, r->k[0].y, &es.route_hint, &d);
            }
            eval_collisions(s->map, ras, fc, &es, &g, &r->k[t], t, o);
            eval_rules(ctx, ras, fc, &es, &g, &r->k[t], t > 0 ? &r->k[t - 1] : &r->k[0], t, o);
            if (s->cfg.early_exit && multipliers_zero(s->cfg.aggregate, o)) {
                o->exit_step = t;
                o->ep = o->ttc = o->c = o->lk = o->hc = o->ec = -1.0f;
                o->progress = 0.0f;
                return;
            }
        }
    }
    float d;
    float s_end = ctx_route_project(ctx->route, r->k[SCORE_STEPS - 1].x, r->k[SCORE_STEPS - 1].y, &es.route_hint, &d);
    o->progress = fmaxf(0.0f, s_end - s_start);
    o->c = comfort_v1(&s->comfort, r);
    o->hc = in->hist_n > 0 ? comfort_history(&s->comfort, in, r) : 1.0f;
    o->ec = in->prev ? comfort_extended(&s->comfort, in->prev, in->prev_offset, r) : 1.0f;
}
