/* expert — privileged PDM-Closed-style planner (craft/expert.h).
 *
 * Forecast ("oracle-lite"): one branch of the real simulator per plan, with the ego following the
 * plan it is executing now (or braking if it has none). It gives the exact future of the traffic
 * lights and of every actor that does not react to the new candidate; it costs 40 world steps per
 * plan instead of the full oracle's 40 per candidate. FORECAST_IDM / CONST_VEL may be chosen instead.
 *
 * Candidates: lateral paths along the route polyline (the ego's current offset blended to 0, +1 m,
 * -1 m, and ±one lane width where a same-direction neighbour lane exists), each unrolled with IDM
 * (PDM's parameters: s0 1 m, T 1.5 s, a 1.5, b 3, δ 10) at target speeds 0, 0.2 .. 1.0 × the
 * limit. The IDM leader is the nearest forecast actor inside the path's corridor ahead, or a wall
 * at a red light, at a yellow light the ego can still stop for, or at an unserved stop sign. The
 * scorer picks; ties go to the lowest index (centreline, slowest first, as PDM-Closed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/expert.h"
#include "craft/geom.h"
#include "craft/idm.h"

#define N_SPEEDS 6
#define MAX_PATHS 5
#define LOOK_PTS 160              /* route points (1 m) considered ahead */
#define CORRIDOR_MARGIN 0.4f
#define COMFORT_DECEL 3.0f

struct Expert {
    const Map *map;
    const Route *route;
    ExpertConfig cfg;
    Scorer *scorer;
    World *branch;                /* private world for the oracle-lite forecast */
    Forecast fc;
    int since_plan;
    int n_cands;
    Traj cands[EXPERT_MAX_CANDS];
    CandScore scores[EXPERT_MAX_CANDS];
    float proj_s[FORECAST_STEPS][WORLD_MAX_ACTORS], proj_d[FORECAST_STEPS][WORLD_MAX_ACTORS];
};

ExpertConfig expert_default_config(void) {
    return (ExpertConfig){.replan_every = 2, .aggregate = SCORE_PDMS_B2D, .forecast = FORECAST_ORACLE};
}

Expert *expert_create(const World *w, const ExpertConfig *cfg, Err *e) {
    if (!w || !world_route(w)) { err_set(e, "expert_create: the world needs an ego route"); return NULL; }
    Expert *x = calloc(1, sizeof *x);
    if (!x) { err_set(e, "expert_create: out of memory"); return NULL; }
    x->cfg = cfg ? *cfg : expert_default_config();
    if (x->cfg.replan_every < 1) x->cfg.replan_every = 1;
    x->map = world_map(w);
    x->route = world_route(w);
    ScorerConfig sc = scorer_default_config();
    sc.aggregate = x->cfg.aggregate;
    x->scorer = scorer_create(x->map, &sc, e);
    x->branch = world_create(x->map, x->route, world_config(w), 1, e);
    if (!x->scorer || !x->branch) { expert_destroy(x); return NULL; }
    x->since_plan = x->cfg.replan_every; /* plan on the first call */
    return x;
}

void expert_destroy(Expert *x) {
    if (!x) return;
    scorer_destroy(x->scorer);
    world_destroy(x->branch);
    free(x);
}

/* Route-relative coordinates (s, d) of a point, searching near route point *hint. */
static void route_sd(const Route *r, float px, float py, int *hint, float *s, float *d) {
    float dist;
    int i = route_nearest(r, px, py, *hint > 20 ? *hint - 20 : 0, LOOK_PTS + 40, &dist);
    *hint = i;
    float fx, fy;
    to_frame(r->pts[i].x, r->pts[i].y, r->pts[i].heading, px, py, &fx, &fy);
    *s = r->pts[i].s + fx;
    *d = fy;
}

/* Pose on the route at arc length s shifted by d to the left. */
static void route_pose(const Route *r, float s, float d, float *px, float *py, float *ph) {
    int lo = 0, hi = r->n - 1;
    if (s <= r->pts[0].s) hi = 1;
    while (hi - lo > 1) { int mid = (lo + hi) / 2; if (r->pts[mid].s <= s) lo = mid; else hi = mid; }
    const RoutePoint *a = &r->pts[lo], *b = &r->pts[hi];
    float seg = b->s - a->s, f = seg > 0.0f ? (s - a->s) / seg : 0.0f;
    float h = a->heading + f * wrap_angle(b->heading - a->heading);
    float x = a->x + f * (b->x - a->x), y = a->y + f * (b->y - a->y);
    if (f > 1.0f || f < 0.0f) { x = a->x + (s - a->s) * cosf(a->heading); y = a->y + (s - a->s) * sinf(a->heading); }
    *px = x - sinf(h) * d;
    *py = y + cosf(h) * d;
    *ph = h;
}

typedef struct { float d0, d1, blend; } LatPath; /* offset blends from d0 to d1 over `blend` metres */
static float lat_at(const LatPath *p, float ds) {
    float u = p->blend > 0.0f ? fminf(1.0f, fmaxf(0.0f, ds / p->blend)) : 1.0f;
    return p->d0 + (p->d1 - p->d0) * u * u * (3.0f - 2.0f * u);
}

/* Route arc length of the first stop line ahead the ego must respect at time index t, or INF. */
static float wall_ahead(const Expert *x, const World *w, float s_ego, float v, int t) {
    const Route *r = x->route;
    const WorldState *st = world_state_const(w);
    for (int i = 1; i < r->n; i++) {
        if (r->pts[i].s < s_ego - 2.0f || r->pts[i].lane == r->pts[i - 1].lane) continue;
        if (r->pts[i].s > s_ego + LOOK_PTS) break;
        const Lane *ln = &x->map->lanes[r->pts[i - 1].lane];
        float line = r->pts[i - 1].s + 0.5f * (r->pts[i].s - r->pts[i - 1].s), dist = line - s_ego;
        if (ln->control == CONTROL_LIGHT && ln->light >= 0) {
            uint8_t c = x->fc.light[t][ln->light];
            if (c == LIGHT_RED && dist > -1.0f) return line;
            if (c == LIGHT_YELLOW && dist > v * v / (2.0f * COMFORT_DECEL)) return line;
        }
        if (ln->control == CONTROL_STOP && dist > -1.0f) {
            int served = st->ego.stop_sign >= 0 && st->ego.stop_served &&
                         x->map->stop_signs[st->ego.stop_sign].lane == r->pts[i - 1].lane;
            if (!served) return line;
        }
    }
    return INFINITY;
}

static void build_candidate(Expert *x, const World *w, const LatPath *lp, float s0, float v0, float target, Traj *out) {
    const Actor *ego = &world_state_const(w)->actors[0];
    IdmParams p = {.v0 = target, .a = 1.5f, .b = COMFORT_DECEL, .T = 1.5f, .s0 = 1.0f, .delta = 10.0f};
    float hl = 0.5f * ego->length, hw = 0.5f * ego->width, s = s0, v = v0;
    out->n = TRAJ_MAX;
    for (int t = 0; t < 40; t++) {
        float gap = INFINITY, v_lead = 0.0f;
        float wall = wall_ahead(x, w, s + hl, v, t);
        if (isfinite(wall)) gap = wall - (s + hl);
        for (int a = 0; a < x->fc.n_agents; a++) {
            float sa = x->proj_s[t][a];
            if (!isfinite(sa) || sa <= s) continue;
            float rel = x->proj_d[t][a] - lat_at(lp, sa - s0);
            if (fabsf(rel) > hw + x->fc.half_wid[a] + CORRIDOR_MARGIN) continue;
            float g = sa - s - hl - x->fc.half_len[a];
            if (g < gap) {
                gap = g;
                const ForecastPose *fp = &x->fc.pose[t][a];
                float rx, ry, rh;
                route_pose(x->route, sa, 0.0f, &rx, &ry, &rh);
                v_lead = fmaxf(0.0f, fp->speed * cosf(wrap_angle(fp->heading - rh)));
            }
        }
        float acc = target <= 0.0f && v <= 0.0f ? 0.0f : idm_accel(&p, v, gap, v_lead);
        acc = fmaxf(-8.0f, fminf(p.a, acc));
        float v1 = fmaxf(0.0f, v + acc * FORECAST_DT);
        s += 0.5f * (v + v1) * FORECAST_DT;
        v = v1;
        if ((t + 1) % 5 == 0) {
            int k = (t + 1) / 5 - 1;
            float px, py, ph;
            route_pose(x->route, s, lat_at(lp, s - s0), &px, &py, &ph);
            to_frame(ego->k.x, ego->k.y, ego->k.heading, px, py, &out->x[k], &out->y[k]);
            out->heading[k] = wrap_angle(ph - ego->k.heading);
        }
    }
}

static int make_forecast(Expert *x, const World *w, Err *e) {
    if (x->cfg.forecast != FORECAST_ORACLE) return forecast_build(x->cfg.forecast, w, &x->fc, e);
    WorldSnapshot snap;
    world_snapshot(w, &snap);
    forecast_oracle(x->branch, &snap, NULL, &x->fc);
    return 0;
}

int expert_plan(Expert *x, const World *w, Traj *out, CandScore *chosen, Err *e) {
    if (!x || !w || !out) return err_set(e, "expert_plan: NULL argument");
    if (make_forecast(x, w, e)) return -1;
    const WorldState *st = world_state_const(w);
    const Actor *ego = &st->actors[0];
    int hint = st->ego.route_idx;
    float s0, d0;
    route_sd(x->route, ego->k.x, ego->k.y, &hint, &s0, &d0);
    for (int t = 0; t < FORECAST_STEPS; t++) { /* agents in route coordinates, once for all paths */
        int h = hint;
        for (int a = 0; a < x->fc.n_agents; a++) {
            const ForecastPose *p = &x->fc.pose[t][a];
            float dx = p->x - ego->k.x, dy = p->y - ego->k.y;
            x->proj_s[t][a] = INFINITY;
            if (dx * dx + dy * dy > (float)(LOOK_PTS * LOOK_PTS)) continue;
            route_sd(x->route, p->x, p->y, &h, &x->proj_s[t][a], &x->proj_d[t][a]);
            h = hint;
        }
    }
    /* lateral paths: centre, ±1 m, and lane changes where a same-direction neighbour exists */
    LatPath paths[MAX_PATHS];
    int np = 0;
    float v = ego->k.speed, blend = fmaxf(8.0f, 1.0f * v), lc_blend = fmaxf(15.0f, 2.5f * v);
    paths[np++] = (LatPath){d0, 0.0f, blend};
    paths[np++] = (LatPath){d0, 1.0f, blend};
    paths[np++] = (LatPath){d0, -1.0f, blend};
    int lane = x->route->pts[hint].lane;
    const Lane *ln = &x->map->lanes[lane];
    if (ln->left >= 0 && !ln->left_opposite) paths[np++] = (LatPath){d0, 0.5f * (ln->width + x->map->lanes[ln->left].width), lc_blend};
    if (ln->right >= 0 && !ln->right_opposite) paths[np++] = (LatPath){d0, -0.5f * (ln->width + x->map->lanes[ln->right].width), lc_blend};
    float limit = ln->speed_limit > 0.0f ? ln->speed_limit : 15.0f;
    x->n_cands = 0;
    for (int p = 0; p < np; p++)
        for (int k = 0; k < N_SPEEDS; k++)
            build_candidate(x, w, &paths[p], s0, v, limit * 0.2f * (float)k, &x->cands[x->n_cands++]);
    ScoreInput in = {.world = w, .fc = &x->fc, .ep_reference = -1.0f};
    if (scorer_score(x->scorer, 0, &in, x->cands, x->n_cands, x->scores, NULL, e)) return -1;
    int best = 0; /* all zero: index 0 = centreline, target 0 (stop) */
    for (int i = 1; i < x->n_cands; i++)
        if (x->scores[i].score > x->scores[best].score) best = i;
    *out = x->cands[best];
    if (chosen) *chosen = x->scores[best];
    return 0;
}

int expert_act(Expert *x, World *w, Err *e) {
    if (++x->since_plan < x->cfg.replan_every) return 0;
    Traj t;
    if (expert_plan(x, w, &t, NULL, e)) return -1;
    world_set_plan(w, &t);
    x->since_plan = 0;
    return 0;
}

int expert_candidates(const Expert *x, const Traj **cands, const CandScore **scores) {
    if (cands) *cands = x->cands;
    if (scores) *scores = x->scores;
    return x->n_cands;
}
