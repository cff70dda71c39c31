/* eval — the closed-loop evaluator: runs an agent on every route of a RouteSet (routes in parallel,
 * one Scenario + agent per route), collects one RouteResult per route (in route-set order, so the
 * output does not depend on the thread count) and reports progress through a callback.
 *
 * Agents: `expert` (privileged planner), `weak` (lane-follows its route at a constant speed and
 * ignores everything else: the lower reference), `autopilot` (the simulator's rule-based lane
 * follower, used by background traffic), or a policy checkpoint (*.safetensors: obs_encode →
 * policy_act greedy → world_set_plan every `replan_every` steps). */
#ifndef CRAFT_EVAL_H
#define CRAFT_EVAL_H
#include "craft/criteria.h"
#include "craft/err.h"
#include "craft/scenario.h"

typedef enum { AGENT_EXPERT, AGENT_WEAK, AGENT_AUTOPILOT, AGENT_POLICY, AGENT_KIND_COUNT } AgentKind;

typedef struct {
    AgentKind kind;
    char checkpoint[1024];   /* AGENT_POLICY */
    int replan_every;        /* world steps between plans (policy, expert); default 5 */
    float weak_speed;        /* m/s for the weak agent; default 8 */
} AgentSpec;

/* "expert", "weak", "autopilot" or a path ending in .safetensors. */
int agent_spec_parse(const char *arg, AgentSpec *out, Err *e);
const char *agent_kind_name(AgentKind k);

typedef struct Agent Agent;
/* shared_policy: for AGENT_POLICY, a loaded policy the agent clones (NULL: load the checkpoint). */
struct Policy;
Agent *agent_create(const AgentSpec *spec, Scenario *s, const struct Policy *shared_policy, Err *e);
/* Decides for the next tick. Either fills *ctrl and sets *use_ctrl = 1, or sets the world's plan
 * (world_set_plan) and *use_ctrl = 0. */
int agent_act(Agent *a, Scenario *s, Control *ctrl, int *use_ctrl, Err *e);
void agent_destroy(Agent *a);

typedef struct {
    double wall_s;           /* since the run started */
    int done, total;
    double ds_sum;           /* sum of finished routes' driving scores */
} EvalProgress;
typedef void (*EvalProgressFn)(const EvalProgress *p, void *ctx);

typedef struct {
    AgentSpec agent;
    ScenarioOptions scenario;
    int threads;             /* routes run concurrently */
    EvalProgressFn progress; /* called after every finished route (serialised), may be NULL */
    void *progress_ctx;
} EvalConfig;

EvalConfig eval_default_config(void);
/* Runs one route to its end with a ready agent; fills *out. */
int eval_route(const RouteSpec *spec, const EvalConfig *cfg, const struct Policy *shared_policy, RouteResult *out,
               Err *e);
/* Runs every route; out has rs->n entries. Returns 0, or -1 with the first route's error. */
int eval_run(const RouteSet *rs, const EvalConfig *cfg, RouteResult *out, Err *e);

#endif
