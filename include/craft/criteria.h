/* criteria — the closed-loop rules of one route (CARLA leaderboard 2.0, as Bench2Drive runs it):
 * criteria_init once per route, criteria_tick with the WorldState after every world_step (it reads
 * the ego = actor 0, its EgoMonitor and the step's events), criteria_finish → a RouteResult.
 *
 * The rules follow shared/spec/SCENARIOS.md A2–A4 (thresholds, order of checks, de-duplication,
 * penalty table, statuses). Per tick, in this order:
 *   1. an ego sample for the comfort metric (body-frame acceleration, yaw rate, speed);
 *   2. the step's ego events: collisions (counted only when the ego moves >= 0.1 m/s; a hit on the
 *      same actor id within 5 s, or with the ego within 5 m of the last counted collision, is
 *      ignored), red lights (one per light: the same light twice in a row counts once), stop signs
 *      (likewise); then the collision memory expires (ego > 5 m away; > 5 s elapsed);
 *   3. route completion (success when > 99 % and the ego < 10 m from the last route point);
 *   4. outside route lanes / wrong way: route metres gained while flagged, as % of metres gained;
 *   5. minimum-speed checkpoints (ego mean speed / mean background speed × 100);
 *   6. route deviation (>= 30 m from the route, or > 30 % of the route covered while >= 15 m away);
 *   7. blocked (< 0.1 m/s for more than 60 s / 180 s; suspendable while a scenario timer runs);
 *   8. route timeout (300 s + route metres gained / (0.1 × speed limit));
 *   9. the Bench2Drive cap (200 s of simulated time, 'Failed - TickRuntime').
 * Deviation, blocked, timeout and the cap end the route; route completion is kept as reached.
 *
 * Memory: criteria_init allocates the comfort sample buffer once (sized by the episode's maximum
 * duration); criteria_tick allocates nothing; criteria_free releases it. A Criteria can be copied
 * into another of the same capacity with criteria_copy (world snapshots / branching rollouts). */
#ifndef CRAFT_CRITERIA_H
#define CRAFT_CRITERIA_H
#include <stdint.h>
#include "craft/err.h"
#include "craft/map.h"
#include "craft/route.h"

struct WorldState;

/* ---- Rule sets ------------------------------------------------------------------------------ */
typedef enum { RULES_BENCH2DRIVE, RULES_LEADERBOARD2, RULES_COUNT } RuleSet;

typedef struct {
    double max_time_s;            /* episode cap: 200 s (Bench2Drive's 4000 ticks at 20 Hz), 0 = none */
    double blocked_time_s;        /* 60 s (Bench2Drive) / 180 s (leaderboard 2.0) */
    int min_speed_checkpoints;    /* 20 / 4 */
    int min_speed_record_all;     /* 1: every checkpoint is recorded (Bench2Drive); 0: only < 100 % */
    double min_speed_weight;      /* leaderboard 2.0: 0.7 → factor 1 - 0.3 (1 - pct/100) per event;
                                   * <= 0: recorded, not penalised ('unused' in Bench2Drive) */
    int scenario_timeouts_live;   /* for the scenario layer: run ScenarioTimeout timers (leaderboard 2.0) */
} RuleParams;

RuleParams rules_params(RuleSet r);
const char *rules_name(RuleSet r);                    /* "bench2drive", "leaderboard2" */
int rules_from_name(const char *name, RuleSet *out, Err *e);

/* Fixed thresholds of SCENARIOS.md A3 (same in both rule sets). */
#define CRIT_COLLISION_MIN_SPEED   0.1   /* m/s: a slower ego is never at fault */
#define CRIT_COLLISION_RADIUS      5.0   /* m */
#define CRIT_COLLISION_ID_TIME     5.0   /* s */
#define CRIT_COMPLETION_PCT        99.0  /* % (strictly above) */
#define CRIT_COMPLETION_DIST       10.0  /* m from the last route point (strictly below) */
#define CRIT_DEVIATION_MAX         30.0  /* m: deviation at once */
#define CRIT_DEVIATION_MIN         15.0  /* m: route covered this far away accumulates */
#define CRIT_DEVIATION_ROUTE_PCT   30.0  /* % of the route length */
#define CRIT_BLOCKED_SPEED         0.1   /* m/s */
#define CRIT_ROUTE_TIMEOUT_BASE    300.0 /* s */
#define CRIT_ROUTE_TIMEOUT_PERC    10.0  /* timeout += metres / (10 % of the speed limit) */
#define CRIT_DEFAULT_SPEED_LIMIT   13.9  /* m/s, used for the route timeout when no Map is given */
#define CRIT_MIN_SPEED_LAST_FRAC   0.95  /* last partial checkpoint recorded above this progress */

/* ---- Infractions -------------------------------------------------------------------------- */
/* In the order of the leaderboard's results JSON lists. */
typedef enum {
    INF_COLLISION_LAYOUT, INF_COLLISION_PEDESTRIAN, INF_COLLISION_VEHICLE, INF_RED_LIGHT,
    INF_STOP, INF_OUTSIDE_LANES, INF_MIN_SPEED, INF_YIELD_EMERGENCY, INF_SCENARIO_TIMEOUT,
    INF_ROUTE_DEV, INF_BLOCKED, INF_ROUTE_TIMEOUT, INF_KIND_COUNT
} InfractionKind;

const char *infraction_json_name(InfractionKind k);   /* "collisions_layout", ... "route_timeout" */
int infraction_from_json_name(const char *name);      /* InfractionKind or -1 */
/* Fixed multiplicative factor of a kind (0.50 ... 0.80), 1 for kinds without one. */
double infraction_fixed_penalty(InfractionKind k);

typedef struct {
    uint8_t kind;          /* InfractionKind */
    uint8_t other_type;    /* ActorType of the other actor (collisions), else 0xff */
    int other_id;          /* stable actor id / light id / stop sign id, -1 if none */
    double time;           /* s since the route started */
    float x, y;            /* ego position (collisions, deviation, blocked...) or the light / sign */
    float value;           /* collisions: ego speed m/s; min speed and outside lanes: % */
    float value2;          /* outside lanes: metres driven outside */
} Infraction;

typedef enum {
    ROUTE_PERFECT, ROUTE_COMPLETED, ROUTE_FAILED, ROUTE_FAILED_DEVIATED, ROUTE_FAILED_BLOCKED,
    ROUTE_FAILED_TIMEOUT, ROUTE_FAILED_TICKRUNTIME, ROUTE_STATUS_COUNT
} RouteStatus;

/* 'Perfect', 'Completed', 'Failed', 'Failed - Agent deviated from the route',
 * 'Failed - Agent got blocked', 'Failed - Agent timed out', 'Failed - TickRuntime' */
const char *route_status_name(RouteStatus s);
int route_status_from_name(const char *name);          /* RouteStatus or -1 */

/* One comfort sample per tick (0.1 s): body frame, x forward, y left; yaw rate in rad/s. */
typedef struct { float lon_acc, lat_acc, yaw_rate, speed; } EgoSample;

#define ROUTE_MAX_INFRACTIONS 256
#define ROUTE_NAME_MAX 64

/* Everything the metrics need from one driven route. Plain data (no pointers): copy freely.
 * Fractions/percentages that are undefined are NaN (written as null in JSON). */
typedef struct {
    char route_id[ROUTE_NAME_MAX];
    char scenario_type[ROUTE_NAME_MAX];   /* Bench2Drive route-file spelling, e.g. "ParkedObstacle" */
    uint64_t seed;
    RuleSet rules;
    RouteStatus status;
    double route_completion;              /* score_route, % (100 when completed) */
    double penalty;                       /* score_penalty, product of all factors */
    double driving_score;                 /* score_composed = route_completion × penalty */
    double route_length;                  /* m */
    double duration_game;                 /* s of simulated time */
    double travelled;                     /* route metres gained (outside-lanes denominator) */
    double outside_lanes_pct;             /* % of `travelled` spent outside lanes / wrong way */
    double junction_entry_frac;           /* Traffic_Signs partial credit threshold, NaN if none */
    double comfort;                       /* per-route smoothness in [0,1], Bench2Drive's way; NaN if < 3 samples */
    double comfort_si;                    /* the same with rad/s and a true yaw-acceleration derivative */
    int n_samples;
    int count[INF_KIND_COUNT];            /* exact number of each kind */
    int n_infractions;                    /* stored records (<= ROUTE_MAX_INFRACTIONS) */
    int n_dropped;                        /* records beyond the capacity (counted, penalised, not stored) */
    Infraction infractions[ROUTE_MAX_INFRACTIONS];
} RouteResult;

int route_result_total_infractions(const RouteResult *r);   /* sum of count[] (num_infractions) */

/* ---- The per-route accumulator -------------------------------------------------------------- */
typedef struct {
    RuleSet rules;
    RuleParams p;
    const Route *route;
    const Map *map;                       /* may be NULL: default speed limit, no junction data */
    RouteResult res;                      /* filled as the route runs; finalised by criteria_finish */
    double elapsed;                       /* s since the route started */
    int ticks, ended;
    RouteStatus end_status;               /* ROUTE_COMPLETED when the target was reached */
    float ego_x, ego_y;
    double progress;                      /* route metres covered (max over time) */
    /* collisions */
    int coll_last_id;                     /* -1: none remembered */
    double coll_last_time;
    int coll_has_loc;
    float coll_loc_x, coll_loc_y;
    int last_red_light, last_stop;        /* -1: none */
    /* outside lanes / wrong way */
    int wrong_direction_on;
    double wrong_dist, out_first_time;
    float out_first_x, out_first_y;
    /* minimum speed */
    double cp_dist, cp_current, ms_ego_sum, ms_bg_sum;
    int ms_points;
    /* deviation */
    double out_route_dist;
    int in_safe_route;
    /* blocked */
    int blocked_on, blocked_have_valid;
    double blocked_last_valid;
    /* route timeout */
    double timeout;
    /* comfort samples */
    EgoSample *samples;
    int n_samples, cap_samples;
    int have_prev_vel;
    float prev_vx, prev_vy;
} Criteria;

/* route must stay alive until criteria_finish; map may be NULL. Allocates the sample buffer. */
int criteria_init(Criteria *c, const Route *route, const Map *map, RuleSet rules, Err *e);
void criteria_free(Criteria *c);
/* Route id, scenario type (Bench2Drive spelling) and seed, copied into the result. */
void criteria_set_meta(Criteria *c, const char *route_id, const char *scenario_type, uint64_t seed);
/* Copies the whole state (including samples) into dst, which must have been initialised with
 * the same route and rules (same capacity). Allocation-free. Returns 0 or -1. */
int criteria_copy(Criteria *dst, const Criteria *src, Err *e);

/* Feeds one tick (the state after world_step, dt = that step's length). Returns 1 once the route
 * has ended (completed, deviated, blocked, timed out, capped); later ticks are ignored. */
int criteria_tick(Criteria *c, const struct WorldState *s, double dt);
int criteria_ended(const Criteria *c);

/* Scenario-layer switches (SCENARIOS.md A3): the *TwoWays scenarios turn the wrong-direction part
 * of outside_route_lanes off; a running ScenarioTimeout suspends (and on re-enable resets) the
 * blocked test. */
void criteria_set_wrong_direction_check(Criteria *c, int on);
void criteria_set_blocked_check(Criteria *c, int on);
/* Scenario-level infractions, recorded at the current time and ego position (factor 0.7 each). */
void criteria_add_scenario_timeout(Criteria *c);
void criteria_add_yield_failure(Criteria *c);

/* Final checkpoints / outside-lanes event, status, scores and per-route comfort → out. */
void criteria_finish(Criteria *c, RouteResult *out);

#endif
