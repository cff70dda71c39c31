/* agent_policy — a policy checkpoint as an evaluation agent: observation → greedy action →
 * the world's plan. Each agent owns a private clone of the policy (policies are not thread-safe). */
#ifndef CRAFT_AGENT_POLICY_H
#define CRAFT_AGENT_POLICY_H
#include "craft/eval.h"
#include "craft/world.h"

typedef struct PolicyAgent PolicyAgent;
PolicyAgent *policy_agent_create(const AgentSpec *spec, const struct Policy *shared, Err *e);
void policy_agent_destroy(PolicyAgent *p);
int policy_agent_plan(PolicyAgent *p, World *w, Err *e);

#endif
