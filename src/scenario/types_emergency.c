/* types_emergency — SCENARIOS.md B3: the emergency-brake group (items 26-37). */
#include "scenario/scn_internal.h"

const ScenarioType *const scn_types_emergency[] = {NULL};
