/* pdm_internal — what the scorer's files share: the lane raster of the map (pdm_raster.c), the
 * candidate rollout (pdm_rollout.c), the route/traffic-control context of one state (pdm_context.c),
 * the per-candidate metric evaluation (pdm_eval.c) and the comfort filters (pdm_comfort.c). */
#ifndef CRAFT_SCORE_PDM_INTERNAL_H
#define CRAFT_SCORE_PDM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "craft/scorer.h"

/* ---- lane raster: every cell knows the set of lanes (driving/parking) covering its centre ---- */
#define RASTER_SET_MAX 8          /* lanes remembered per cell; more overlapping lanes are dropped */
enum { SET_DRIVABLE = 1, SET_JUNCTION = 2 };

typedef struct {
    float x0, y0, cell, inv_cell;
    int nx, ny;
    uint16_t *cells;              /* lane-set id per cell; 0 = the empty set (not drivable) */
    int n_sets;
    int *set_first;               /* lanes of set k: set_lanes[set_first[k] .. set_first[k] + set_n[k]) */
    uint8_t *set_n, *set_flags;
    int *set_lanes;
} LaneRaster;

int lane_raster_build(LaneRaster *r, const Map *m, float cell, Err *e);
void lane_raster_free(LaneRaster *r);
static inline int lane_raster_at(const LaneRaster *r, float x, float y) {
    int i = (int)((x - r->x0) * r->inv_cell), j = (int)((y - r->y0) * r->inv_cell);
    if (x < r->x0 || y < r->y0 || i >= r->nx || j >= r->ny) return 0;
    return r->cells[(size_t)j * (size_t)r->nx + (size_t)i];
}
static inline int lane_set_has(const LaneRaster *r, int set, int lane) {
    const int *l = r->set_lanes + r->set_first[set];
    for (int k = 0; k < r->set_n[set]; k++) if (l[k] == lane) return 1;
    return 0;
}

/* ---- candidate rollout: exactly the world's ego step (tracker + bicycle) ---- */
typedef struct {
    TrackerParams tp;
    TrackerState ts;
    VehicleParams vp;
    TrajWorld plan;
    KinState k;
    float age, dt;
} RolloutSim;
void rollout_begin(RolloutSim *r, const World *w, const Traj *cand);
void rollout_step(RolloutSim *r);

/* ---- the per-state context: route, lanes on route, traffic control near the ego ---- */
#define CTX_MAX_CONTROLS 16
#define CTX_MAX_SUCC MAP_MAX_LINKS
typedef struct {
    int approach, light;          /* approach lane, light id (-1 for a stop sign) */
    int n_succ, succ[CTX_MAX_SUCC];
    float lx, ly, lh;             /* stop line centre and lane heading there */
    uint8_t served;               /* stop sign already served according to the world's monitor */
} CtxControl;

typedef struct {
    const Map *map;
    const Route *route;
    const WorldState *st;
    const Actor *ego;
    int route_hint;               /* route point nearest the ego */
    uint8_t *lane_on_route;       /* per lane (scratch-owned, size n_lanes) */
    uint8_t *set_on_route;        /* per raster set (scratch-owned) */
    int n_ctl;
    CtxControl ctl[CTX_MAX_CONTROLS];
} StateCtx;

/* Per-thread scratch, allocated once per Scorer. */
typedef struct {
    uint8_t *lane_on_route, *set_on_route;
    const Route *cached_route;    /* set_on_route is valid for this route */
    float *agent_box;             /* per forecast agent per block: AABB (4 floats) */
    EgoRollout roll;              /* rollout of the candidate being evaluated */
} ScoreScratch;

/* ---- comfort (Savitzky-Golay as scipy mode='interp', pre-multiplied into matrices) ---- */
typedef struct {
    int n;                        /* signal length */
    double *lon_acc, *jerk, *yaw_rate, *yaw_acc; /* n x n each, row-major */
} ComfortMats;
typedef struct {
    ComfortMats c41;                          /* v1 comfort over the 41 states */
    ComfortMats hist[SCORE_HIST_MAX + 1];     /* v2 history comfort: hist_n + 41 samples */
    ComfortMats ec[6];                        /* EC features over 41 - k samples, k = 1 .. 5 */
} ComfortTables;
int comfort_tables_build(ComfortTables *t, Err *e);
void comfort_tables_free(ComfortTables *t);
/* C (v1 bounds over the rollout), HC (history + rollout, v2 windows), EC (RMS vs previous rollout). */
float comfort_v1(const ComfortTables *t, const EgoRollout *r);
float comfort_history(const ComfortTables *t, const ScoreInput *in, const EgoRollout *r);
float comfort_extended(const ComfortTables *t, const EgoRollout *prev, int offset, const EgoRollout *cur);

struct Scorer {
    const Map *map;
    ScorerConfig cfg;
    LaneRaster raster;
    ComfortTables comfort;
    ScoreScratch *scratch;        /* cfg.threads slots */
};

int ctx_prepare(const Scorer *s, ScoreScratch *sc, const ScoreInput *in, StateCtx *ctx, Err *e);
/* Route arc length of the point nearest (x, y), searching locally from *hint (updated). */
float ctx_route_project(const Route *r, float x, float y, int *hint, float *dist);
/* Evaluates one candidate: simulation + every per-step metric + comfort; EP is left raw. */
void eval_candidate(const Scorer *s, ScoreScratch *sc, const StateCtx *ctx, const ScoreInput *in,
                    const Forecast *fc, const Traj *cand, CandScore *out);
/* Per-forecast broad-phase boxes (AABB per agent per time block) into sc->agent_box. */
void eval_index_forecast(ScoreScratch *sc, const Forecast *fc);

#endif
