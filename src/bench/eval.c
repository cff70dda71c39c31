/* eval — see include/craft/eval.h. Routes are independent episodes: each gets its own Scenario
 * and Agent, built from the RouteSpec alone, so the results do not depend on which thread ran
 * them or in which order; OpenMP hands routes out dynamically (routes differ a lot in length). */
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "craft/eval.h"
#include "craft/threads.h"
#include "craft/policy.h"

#define EVAL_MAX_STEPS 100000 /* a hard stop far beyond every rule set's own end (route timeout) */

EvalConfig eval_default_config(void) {
    EvalConfig c;
    memset(&c, 0, sizeof c);
    agent_spec_parse("expert", &c.agent, NULL);
    c.scenario = scenario_default_options();
    c.threads = 1;
    return c;
}

int eval_route(const RouteSpec *spec, const EvalConfig *cfg, const Policy *shared_policy, RouteResult *out, Err *e) {
    Scenario *s = scenario_create(spec, &cfg->scenario, e);
    if (!s) return -1;
    Agent *a = agent_create(&cfg->agent, s, shared_policy, e);
    int rc = a ? 0 : -1;
    for (long t = 0; !rc && t < EVAL_MAX_STEPS; t++) {
        Control c;
        int use_ctrl;
        if (agent_act(a, s, &c, &use_ctrl, e)) {
            rc = -1;
            break;
        }
        if (scenario_step(s, use_ctrl ? &c : NULL)) break;
    }
    if (!rc) scenario_finish(s, out);
    agent_destroy(a);
    scenario_destroy(s);
    if (rc) {
        Err inner = *e;
        err_set(e, "route %s (%s, seed %llu): %s", spec->id, spec->type, (unsigned long long)spec->seed, inner.msg);
    }
    return rc;
}

int eval_run(const RouteSet *rs, const EvalConfig *cfg, RouteResult *out, Err *e) {
    Policy *shared = NULL;
    if (cfg->agent.kind == AGENT_POLICY && !(shared = policy_load(cfg->agent.checkpoint, 1, 1, e))) return -1;
    int threads = cfg->threads > 0 ? cfg->threads : 1, failed = -1;
    craft_threads_set(threads);
    char *errs = calloc((size_t)rs->n, sizeof(Err));
    if (!errs) return policy_destroy(shared), err_set(e, "eval: out of memory");
    EvalProgress prog = {.total = rs->n};
    double t0 = omp_get_wtime();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int i = 0; i < rs->n; i++) {
        Err *ei = (Err *)(errs + (size_t)i * sizeof(Err));
        int rc = eval_route(&rs->routes[i], cfg, shared, &out[i], ei);
#pragma omp critical(eval_progress)
        {
            if (rc && (failed < 0 || i < failed)) failed = i;
            prog.done++;
            if (!rc) prog.ds_sum += out[i].driving_score;
            prog.wall_s = omp_get_wtime() - t0;
            if (cfg->progress) cfg->progress(&prog, cfg->progress_ctx);
        }
    }
    if (failed >= 0) *e = *(Err *)(errs + (size_t)failed * sizeof(Err));
    free(errs);
    policy_destroy(shared);
    return failed >= 0 ? -1 : 0;
}
