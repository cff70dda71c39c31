/* types_signs — SCENARIOS.md B4 (give way, items 38-39) and B5 (traffic signs, items 40-44). */
#include "scenario/scn_internal.h"

const ScenarioType *const scn_types_giveway_signs[] = {NULL};
