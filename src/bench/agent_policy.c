/* agent_policy — see agent_policy.h. */
#include <stdlib.h>
#include "bench/agent_policy.h"
#include "craft/obs.h"
#include "craft/policy.h"

struct PolicyAgent {
    Policy *policy;
    ObsConfig ocfg;
    Obs obs;
};

PolicyAgent *policy_agent_create(const AgentSpec *spec, const struct Policy *shared, Err *e) {
    PolicyAgent *p = calloc(1, sizeof *p);
    if (!p) return err_set(e, "policy agent: out of memory"), NULL;
    p->policy = shared ? policy_clone(shared, e) : policy_load(spec->checkpoint, 1, 1, e);
    if (!p->policy) return free(p), NULL;
    p->ocfg = obs_default_config();
    p->ocfg.with_bev = policy_needs_bev(p->policy);
    return p;
}

void policy_agent_destroy(PolicyAgent *p) {
    if (!p) return;
    policy_destroy(p->policy);
    free(p);
}

int policy_agent_plan(PolicyAgent *p, World *w, Err *e) {
    PolicyAction act;
    if (obs_encode(w, &p->ocfg, &p->obs, e) || policy_act(p->policy, &p->obs, 1, NULL, 1, &act, NULL, e)) return -1;
    world_set_plan(w, &act.traj);
    return 0;
}
