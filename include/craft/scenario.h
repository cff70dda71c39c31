/* scenario — the 44 Bench2Drive scenario types as seeded generators, and the episode each runs in.
 * A RouteSpec (type + seed + optional parameter overrides) is all it takes to rebuild a route
 * exactly: scenario_create builds the map piece, the ego route, the scripted actors and the
 * background traffic (SCENARIOS.md Part A6 / Part B), plus the route's Criteria.
 *
 * Per tick, scenario_step runs: the type's script (triggers, scripted actors, flows, lights) →
 * world_step with the caller's ego control → scenario checks (timers, end conditions, flow
 * collision switch) → criteria_tick. The Scenario owns its Map, Route, World and Criteria.
 * Runtime script state is plain data, so scenario_save/scenario_load give exact branching.
 *
 * Route sets (routes.c): `eval220` and `val220` (44 × 5, shipped as data/routes/eval220.json and val220.json), the
 * `train` generator (unlimited), route files (JSON list of {type, seed[, id][, params]}), single
 * types and id lists. Their seeds live in disjoint ranges (top byte), so no split sees another's. */
#ifndef CRAFT_SCENARIO_H
#define CRAFT_SCENARIO_H
#include <stdint.h>
#include "craft/criteria.h"
#include "craft/err.h"
#include "craft/world.h"

#define SCN_TYPE_COUNT 44
#define SCN_OVERRIDES_MAX 192

/* One route of a route set. */
typedef struct {
    char id[ROUTE_NAME_MAX];              /* e.g. "eval220-017" */
    char type[ROUTE_NAME_MAX];            /* Bench2Drive spelling, e.g. "ParkedObstacleTwoWays" */
    uint64_t seed;
    char overrides[SCN_OVERRIDES_MAX];    /* "distance=40,speed=55" (type parameters), or "" */
} RouteSpec;

/* ---- the catalogue ----------------------------------------------------------------------- */
int scenario_type_count(void);                 /* types registered (44 when complete) */
const char *scenario_type_name(int i);         /* i-th type, in SCENARIOS.md Part B order */
int scenario_type_find(const char *name);      /* index or -1 */
/* Lists the catalogue when a name is unknown ("unknown scenario type 'X'; known: ..."). */
int scenario_type_check(const char *name, Err *e);

/* ---- one episode -------------------------------------------------------------------------- */
typedef struct {
    RuleSet rules;          /* criteria rule set */
    int background;         /* 1: background traffic (SCENARIOS.md A6) */
    WorldConfig world;      /* world_default_config() */
} ScenarioOptions;

typedef struct Scenario Scenario;

ScenarioOptions scenario_default_options(void);
Scenario *scenario_create(const RouteSpec *spec, const ScenarioOptions *opt, Err *e);
void scenario_destroy(Scenario *s);

World *scenario_world(Scenario *s);
const World *scenario_world_const(const Scenario *s);
const Map *scenario_map(const Scenario *s);
const Route *scenario_route(const Scenario *s);
const RouteSpec *scenario_spec(const Scenario *s);
Criteria *scenario_criteria(Scenario *s);

/* One tick. ego = low-level control, or NULL to track the world's current plan (world_set_plan).
 * Returns 1 once the route has ended (criteria ended), 0 otherwise. */
int scenario_step(Scenario *s, const Control *ego);
int scenario_ended(const Scenario *s);
/* Finalises the criteria into a RouteResult (id, type, seed filled). */
void scenario_finish(Scenario *s, RouteResult *out);

/* Scenario progress, for tests, rendering and logs. */
typedef enum { SCN_WAITING, SCN_RUNNING, SCN_DONE } ScenarioPhase;
ScenarioPhase scenario_phase(const Scenario *s);
double scenario_trigger_time(const Scenario *s);   /* s of simulated time, < 0 before the trigger */
float scenario_trigger_s(const Scenario *s);       /* route arc length of the trigger point */
/* Indices of the scripted actors (not background traffic); returns the count. */
int scenario_actors(const Scenario *s, const int **idx);
/* Number of times the type's key act happened (cut-in started, door opened, walker started ...):
 * tests assert on it; 0 until the act. */
int scenario_acts(const Scenario *s);

/* Exact branching: the world, the script state and the criteria. */
typedef struct ScenarioSnapshot ScenarioSnapshot;
ScenarioSnapshot *scenario_snapshot_create(const Scenario *s, Err *e);
void scenario_snapshot_destroy(ScenarioSnapshot *snap);
int scenario_save(const Scenario *s, ScenarioSnapshot *snap, Err *e);
int scenario_load(Scenario *s, const ScenarioSnapshot *snap, Err *e);

/* ---- route sets ---------------------------------------------------------------------------- */
typedef enum { SPLIT_EVAL, SPLIT_VAL, SPLIT_TRAIN, SPLIT_CUSTOM } RouteSplit;
typedef struct {
    int n;
    RouteSpec *routes;
} RouteSet;

/* Seeds: split s, scenario type t, k-th route → a seed in that split's range. */
uint64_t route_seed(RouteSplit split, int type, uint64_t k);
RouteSplit route_seed_split(uint64_t seed);
/* n training routes starting at index `first`, cycling over the types (unlimited, reproducible). */
int routeset_train(RouteSet *out, uint64_t first, int n, Err *e);
/* Parses a --routes argument: "eval220", "val220", "train:N[:FIRST]", a route file path (.json),
 * "scenario:TYPE[:N]" (N val-split seeds of one type), or a comma list of route ids from eval220 /
 * val220 ("eval220-003,eval220-017"). data_dir is where eval220.json / val220.json live. */
int routeset_load(RouteSet *out, const char *arg, const char *data_dir, Err *e);
int routeset_read_file(RouteSet *out, const char *path, Err *e);
int routeset_write_file(const RouteSet *rs, const char *path, Err *e);
/* The canonical 44 × 5 set of a split (what data/routes/<split>.json holds). */
int routeset_canonical(RouteSet *out, RouteSplit split, Err *e);
void routeset_free(RouteSet *rs);

#endif
