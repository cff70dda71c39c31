/* agents — what drives the ego during an evaluation: the expert, the weak reference, the
 * simulator's autopilot, or a policy checkpoint. One Agent per route (agents keep per-route state
 * such as the expert's private forecast world), created after the Scenario. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/eval.h"
#include "craft/expert.h"
#include "bench/agent_policy.h"

struct Agent {
    AgentSpec spec;
    Expert *expert;
    PolicyAgent *policy;
    long steps;
};

static const char *const KIND_NAMES[AGENT_KIND_COUNT] = {"expert", "weak", "autopilot", "policy"};

const char *agent_kind_name(AgentKind k) { return (unsigned)k < AGENT_KIND_COUNT ? KIND_NAMES[k] : "?"; }

int agent_spec_parse(const char *arg, AgentSpec *out, Err *e) {
    memset(out, 0, sizeof *out);
    out->replan_every = 5;
    out->weak_speed = 8.0f;
    if (!arg || !*arg) return err_set(e, "--policy: empty (expected expert, weak, autopilot or a .safetensors file)");
    for (int k = 0; k < AGENT_POLICY; k++)
        if (!strcmp(arg, KIND_NAMES[k])) return out->kind = (AgentKind)k, 0;
    size_t n = strlen(arg);
    if (n < 12 || strcmp(arg + n - 12, ".safetensors"))
        return err_set(e, "--policy '%s': expected expert, weak, autopilot or a .safetensors checkpoint", arg);
    if (n >= sizeof out->checkpoint) return err_set(e, "--policy: path too long");
    out->kind = AGENT_POLICY;
    memcpy(out->checkpoint, arg, n + 1);
    return 0;
}

Agent *agent_create(const AgentSpec *spec, Scenario *s, const struct Policy *shared_policy, Err *e) {
    Agent *a = calloc(1, sizeof *a);
    if (!a) return err_set(e, "agent: out of memory"), NULL;
    a->spec = *spec;
    if (spec->kind == AGENT_EXPERT) {
        ExpertConfig xc = expert_default_config();
        a->expert = expert_create(scenario_world(s), &xc, e);
        if (!a->expert) return free(a), NULL;
    } else if (spec->kind == AGENT_POLICY) {
        a->policy = policy_agent_create(spec, shared_policy, e);
        if (!a->policy) return free(a), NULL;
    }
    return a;
}

void agent_destroy(Agent *a) {
    if (!a) return;
    expert_destroy(a->expert);
    policy_agent_destroy(a->policy);
    free(a);
}

/* The weak reference: a plan along the route at a constant speed, blind to everything else. */
static void weak_plan(const Scenario *s, float v, Traj *t) {
    const Route *r = scenario_route(s);
    const WorldState *ws = world_state_const(scenario_world_const(s));
    const Actor *ego = &ws->actors[0];
    float s0 = r->pts[ws->ego.route_idx].s;
    t->n = TRAJ_MAX;
    float c = cosf(ego->k.heading), sn = sinf(ego->k.heading);
    for (int i = 0; i < TRAJ_MAX; i++) {
        float target = fminf(s0 + v * TRAJ_DT * (float)(i + 1), r->length + 20.0f);
        int k = (int)fminf(target, (float)(r->n - 1));
        while (k + 1 < r->n && r->pts[k + 1].s <= target) k++;
        while (k > 0 && r->pts[k].s > target) k--;
        const RoutePoint *p = &r->pts[k];
        float over = target - p->s; /* past the route end: extrapolate straight */
        float px = p->x + over * cosf(p->heading), py = p->y + over * sinf(p->heading);
        float dx = px - ego->k.x, dy = py - ego->k.y;
        t->x[i] = c * dx + sn * dy;
        t->y[i] = -sn * dx + c * dy;
        t->heading[i] = wrap_angle(p->heading - ego->k.heading);
    }
}

int agent_act(Agent *a, Scenario *s, Control *ctrl, int *use_ctrl, Err *e) {
    World *w = scenario_world(s);
    *use_ctrl = 0;
    int due = a->steps++ % (a->spec.replan_every > 0 ? a->spec.replan_every : 1) == 0;
    switch (a->spec.kind) {
    case AGENT_EXPERT:
        return expert_act(a->expert, w, e);
    case AGENT_AUTOPILOT:
        *use_ctrl = 1;
        return world_autopilot(w, ctrl) ? err_set(e, "autopilot: the world has no ego route") : 0;
    case AGENT_WEAK:
        if (due) {
            Traj t;
            weak_plan(s, a->spec.weak_speed, &t);
            world_set_plan(w, &t);
        }
        return 0;
    case AGENT_POLICY:
        return due ? policy_agent_plan(a->policy, w, e) : 0;
    default:
        return err_set(e, "agent: unknown kind %d", (int)a->spec.kind);
    }
}
