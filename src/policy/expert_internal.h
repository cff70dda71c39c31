/* expert_internal — the Expert struct and the hand-offs between its parts: expert.c (forecast,
 * candidate set, selection, the pass manoeuvre's memory) → expert_paths.c (lateral paths: centre,
 * offsets, passes of a blocked lane) → expert_profile.c (IDM speed profile along one path against
 * the forecast, walls and the junction leader, turned into waypoints the tracker follows). */
#ifndef CRAFT_POLICY_EXPERT_INTERNAL_H
#define CRAFT_POLICY_EXPERT_INTERNAL_H
#include "craft/expert.h"
#include "craft/route.h"

#define EXPERT_N_SPEEDS 6         /* target speeds 0, 0.2 .. 1.0 x the limit */
#define EXPERT_MAX_PATHS 8
#define EXPERT_MAX_COMMITS (EXPERT_MAX_CANDS - EXPERT_MAX_PATHS * EXPERT_N_SPEEDS)
#define EXPERT_LOOK_M 160.0f      /* route metres ahead considered */
#define EXPERT_MAX_LINES 8
#define EXPERT_STATIC_STANDOFF 5.0f /* extra standstill gap behind static obstacles: room to pull out */

/* A lateral offset from the route centreline (+ = left) as a function of route metres ds from the
 * start: blends d0 → d1 over [0, blend1], holds d1 until hold_end, blends d1 → d2 over blend2. */
typedef struct {
    float d0, d1, d2, blend1, hold_end, blend2;
    uint8_t oncoming;             /* drives in the oncoming lane: judged without DDC, needs a gap */
    uint8_t offset;               /* a PDM ±1 m nudge (slightly penalised so it is not chosen idly) */
    uint8_t yield;                /* moves out of the route's lane for an emergency vehicle from behind */
    uint8_t merge;                /* follows the neighbour lane chain that merges into the route (gap-checked) */
    const float *tab;             /* when set, the offset per route metre ahead of s0 (EXPERT_LOOK_M + 1
                                   * values) replaces d1/d2: blends d0 onto it over blend1 */
} LatPath;

/* A static obstacle (parked car, cones, crashed vehicle) blocking the ego's lane ahead. */
typedef struct { int found; float s_begin, s_end, d_left, d_right; } Blocker;

struct Expert {
    const Map *map;
    const Route *route;
    ExpertConfig cfg;
    Scorer *scorer;
    World *branch;                /* private world: oracle-lite forecast and junction queries */
    WorldSnapshot snap;
    Forecast fc;
    int since_plan;
    int holding_stop;             /* the world's plan is a stop plan kept in force (expert_act) */
    /* current plan inputs */
    float s0, d0, v0;             /* ego centre in route coordinates, speed */
    int hint;                     /* route point index of the ego */
    float junction_gap, junction_v; /* junction leader from the traffic rules (bumper gap, speed) */
    float limit;                  /* speed limit of the current lane */
    int in_parking;               /* the ego is still in a parking lane (pulling out) */
    int n_lines;                  /* stop lines ahead on the route (lights, stop signs) */
    float line_s[EXPERT_MAX_LINES];
    int line_light[EXPERT_MAX_LINES]; /* light id, or -1 for a stop sign still to serve */
    float vcap[(int)EXPERT_LOOK_M + 1]; /* bend speed cap at each route metre ahead of s0 */
    /* the pass manoeuvre in progress (memory between plans) */
    int pass_active;
    LatPath pass;                 /* in absolute route metres: hold_end is an arc length */
    float pass_start;
    /* candidates */
    int n_paths, n_cands;
    LatPath paths[EXPERT_MAX_PATHS];
    int cand_path[EXPERT_MAX_CANDS];
    Traj cands[EXPERT_MAX_CANDS];
    CandScore scores[EXPERT_MAX_CANDS];
    float choice[EXPERT_MAX_CANDS]; /* the selection score (see expert.c) */
    float proj_s[FORECAST_STEPS][WORLD_MAX_ACTORS], proj_d[FORECAST_STEPS][WORLD_MAX_ACTORS];
    float proj_ch[FORECAST_STEPS][WORLD_MAX_ACTORS]; /* cos of the heading relative to the route */
    float proj_sh[FORECAST_STEPS][WORLD_MAX_ACTORS]; /* |sin| of it */
    int ev_behind;                /* an emergency vehicle with its siren on closes in from behind on the route */
    uint8_t agent_static[WORLD_MAX_ACTORS]; /* parked car, cone, crashed vehicle (passable obstacles) */
    uint8_t agent_stopped[WORLD_MAX_ACTORS]; /* slower than STATIC_SPEED over the whole forecast */
    int merge_found;              /* the route's lane and a neighbour merge into one lane ahead (expert_paths.c) */
    float merge_tab[(int)EXPERT_LOOK_M + 1]; /* that neighbour chain's offset from the route per metre */
    uint8_t cand_vetoed[EXPERT_MAX_CANDS]; /* a merge candidate that fails the gap check */
    float prof_s[FORECAST_STEPS];  /* the last built profile: centre route arc per forecast step */
    uint8_t cand_commit[EXPERT_MAX_CANDS];
    EgoRollout rollouts[EXPERT_MAX_CANDS]; /* the scorer's simulated ego of every candidate */
    int contact[EXPERT_MAX_CANDS];  /* expert_contact_step of each candidate */
    double commit_until;          /* world time until which a chosen commit is held (smaller margin) */
};

float expert_lat_at(const LatPath *p, float ds);
/* Route pose at arc length s shifted d to the left. */
void expert_route_pose(const Route *r, float s, float d, float *px, float *py, float *ph);
/* Route coordinates of a point, searching near route point *hint (updated). */
void expert_route_sd(const Route *r, float px, float py, int *hint, float *s, float *d);

/* expert_paths.c: fills x->paths / x->n_paths for the current state. */
void expert_build_paths(Expert *x, const World *w);
/* 1 if an emergency vehicle with its siren on is behind the ego, on the route's lane, not yet past. */
int expert_ev_behind(const Expert *x);
/* 1 if the oncoming lane is free long enough for the pass path p (route metres from x->s0). */
int expert_oncoming_clear(const Expert *x, const LatPath *p, float v_pass);

/* expert_profile.c: per-plan tables (stop lines, bend speed caps), then candidates. */
void expert_prepare_profile(Expert *x, const World *w);
/* The candidate along path p with IDM target speed `target`; its centre's route arc at every
 * forecast step is left in x->prof_s. A `commit` profile (crossing or merging through a gap of a
 * flow) brakes for none of the movers that cross or meet the route, nor for the traffic rules'
 * junction leader, and accelerates harder: the gap check (expert_gap.c) decides whether it may be
 * offered. Returns 0 for a commit profile that ignored nothing (then it is an ordinary one). */
int expert_build_candidate(Expert *x, const World *w, const LatPath *p, float target, int commit, Traj *out);

/* expert_gap.c: 1 if the profile in x->prof_s along p keeps its time margin from every mover
 * (held: the smaller margin of a commit under way). */
int expert_gap_clear(const Expert *x, const World *w, const LatPath *p, int held);
/* First step of rollout r at which the moving ego touches a mover ahead or across (any fault), or -1. */
int expert_contact_step(const Expert *x, const World *w, const EgoRollout *r);

#endif
