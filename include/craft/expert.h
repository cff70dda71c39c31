/* expert — the privileged planner (PDM-Closed style): from the true world state it proposes
 * candidates (IDM speed profiles × lateral paths along the route: centre, ±1 m, passes of static
 * obstacles via a neighbour or the oncoming lane), scores them with the counterfactual scorer
 * against an oracle-lite forecast, with junction right of way from the traffic rules
 * (world_ego_junction_leader), and hands the best to the world as its plan (world_set_plan),
 * replanning every `replan_every` steps. Deterministic; no allocation after expert_create. */
#ifndef CRAFT_EXPERT_H
#define CRAFT_EXPERT_H
#include "craft/scorer.h"
#include "craft/world.h"

#define EXPERT_MAX_CANDS 56

typedef struct {
    int replan_every;            /* world steps between plans (>= 1) */
    ScoreAggregate aggregate;    /* scorer aggregate used for the choice (pdms_b2d) */
    ForecastKind forecast;       /* FORECAST_ORACLE: oracle-lite (see expert.c); or a proxy */
} ExpertConfig;

typedef struct Expert Expert;

ExpertConfig expert_default_config(void);
/* The expert is bound to the world's map and route; it keeps a private World for its forecasts. */
Expert *expert_create(const World *w, const ExpertConfig *cfg, Err *e);
void expert_destroy(Expert *x);
/* Plans from the current state: fills *out with the chosen trajectory (and its score if wanted). */
int expert_plan(Expert *x, const World *w, Traj *out, CandScore *chosen, Err *e);
/* Replans when due and sets the world's plan; call once before every world_step(w, NULL). */
int expert_act(Expert *x, World *w, Err *e);
/* Candidates of the last plan (for demonstrations and tests). */
int expert_candidates(const Expert *x, const Traj **cands, const CandScore **scores);

#endif
