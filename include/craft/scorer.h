/* scorer — the counterfactual trajectory scorer (PDM score of nuPlan / NAVSIM, PDM-NOTES.md):
 * each candidate Traj is tracked for 40 steps by the simulator's tracker + bicycle from the ego's
 * state, tested against a Forecast of the others and the map, and gets every sub-metric + a total.
 *
 * Ownership and threads: a Scorer holds read-only tables (a lane raster of the map, Savitzky-Golay
 * matrices) plus one scratch area per thread, so scorer_score may run concurrently on different
 * `thread` slots and scorer_score_batch spreads states over OpenMP threads. No globals.
 * Results are deterministic and independent of the thread count. */
#ifndef CRAFT_SCORER_H
#define CRAFT_SCORER_H
#include "craft/forecast.h"
#include "craft/traj.h"
#include "craft/world.h"

#define SCORE_STEPS 41           /* simulated ego states: t = 0 .. 4 s at 0.1 s */
#define SCORE_HIST_MAX 15        /* ego history samples accepted for HC */

typedef enum {
    SCORE_PDMS,                  /* NAVSIM v1: NC·DAC·(5EP + 5TTC + 2C)/12, EP masked by the multipliers */
    SCORE_EPDMS,                 /* NAVSIM v2: NC·DAC·DDC·TLC·(5EP + 5TTC + 2LK + 2HC + 2EC)/16 */
    SCORE_PDMS_B2D,              /* craft default: NC·DAC·DDC·TLC·(5EP + 5TTC + 2C)/12 */
    SCORE_AGG_COUNT
} ScoreAggregate;

typedef struct {
    ScoreAggregate aggregate;
    int early_exit;              /* stop a candidate once a multiplier of the aggregate is 0 */
    int threads;                 /* scratch slots / OpenMP threads for the batch API (>= 1) */
    float ep_floor;              /* EP normalisation floor, m (5.0; the test is Q > floor) */
} ScorerConfig;

/* One candidate's result. Sub-metrics not evaluated because of an early exit are -1. */
typedef struct {
    float score;
    float nc, dac, ddc, tlc;     /* multipliers */
    float ep, ttc, c, lk, hc, ec;/* weighted terms (hc, ec = 1 / unused when no history / previous rollout) */
    float progress;              /* raw route progress of the box centre, m */
    int exit_step;               /* time index of an early exit, or SCORE_STEPS */
    int fault_step;              /* first time index of an at-fault collision, or -1 */
} CandScore;

/* The simulated ego states of one candidate (box centre, as KinState). */
typedef struct { KinState k[SCORE_STEPS]; int n; } EgoRollout;

/* Everything one state's scoring reads. world gives the map, route, ego, tracker state and the
 * lights; fc is one Forecast shared by all candidates, or (fc_per_candidate) an array of G. */
typedef struct {
    const World *world;
    const Forecast *fc;
    int fc_per_candidate;
    float ep_reference;          /* extra progress·multiplier entering Q (e.g. the expert's); < 0: none */
    /* optional, NAVSIM v2 terms */
    int hist_n;                  /* ego history for HC: samples 0.1 s apart ending just before t = 0 */
    float hist_accel[SCORE_HIST_MAX], hist_heading[SCORE_HIST_MAX];
    const EgoRollout *prev;      /* the previous planning step's executed rollout (EC), or NULL */
    int prev_offset;             /* steps between that plan and now (1 .. 5) */
} ScoreInput;

ScorerConfig scorer_default_config(void);
const char *score_aggregate_name(ScoreAggregate a);
int score_aggregate_from_name(const char *name, ScoreAggregate *out, Err *e);

/* Builds the map's lane raster and the filter tables. The Scorer is bound to `map`. */
typedef struct Scorer Scorer;
Scorer *scorer_create(const Map *map, const ScorerConfig *cfg, Err *e);
void scorer_destroy(Scorer *s);
const ScorerConfig *scorer_config(const Scorer *s);

/* Scores G candidates of one state into out[0..G) using scratch slot `thread` (0 .. threads-1).
 * rollouts (optional, G entries) receives the simulated ego states. Returns 0 or -1 on bad input. */
int scorer_score(Scorer *s, int thread, const ScoreInput *in, const Traj *cands, int G, CandScore *out,
                 EgoRollout *rollouts, Err *e);

/* B states × G candidates: cands[b*G + g] → out[b*G + g]; states run in parallel (cfg.threads). */
int scorer_score_batch(Scorer *s, const ScoreInput *in, int B, const Traj *cands, int G, CandScore *out, Err *e);

/* Simulates one candidate exactly as the scorer does (tracker + bicycle from the ego's state). */
void scorer_rollout(const World *w, const Traj *cand, EgoRollout *out);

#endif
