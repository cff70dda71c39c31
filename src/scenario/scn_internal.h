/* scn_internal — what a scenario type is made of, and the toolkit type files build from.
 *
 * A type (one ScenarioType in a types_*.c file) has three hooks:
 *   build(s, e)    : choose the map piece (s->mp), then call scn_build_map; pick the route
 *                    (scn_route_* helpers) and the trigger point (s->trigger_s); draw the type's
 *                    parameters with scn_param (XML ranges of SCENARIOS.md, overridable). No World yet.
 *   populate(s, e) : the World exists (ego placed): add scripted actors (hidden until the trigger
 *                    where the source keeps them underground), flows, light plans.
 *   script(s)      : called before every world_step. s->st.phase tells WAITING / RUNNING / DONE;
 *                    the framework flips WAITING → RUNNING when the ego reaches the trigger point
 *                    (route point within 2 m, SCENARIOS.md A1) and calls script right after.
 * Framework duties (scenario.c): trigger, ScenarioTimeout timer (scn_start_timer / scn_end),
 * flows (scn_flow_*), background traffic (A6), criteria switches, the flow-collision switch.
 *
 * State: everything that changes at run time lives in ScnState (plain data, snapshotted). Type
 * scratch goes in st.f[] / st.i[] with the meaning documented in the type file. */
#ifndef CRAFT_SCN_INTERNAL_H
#define CRAFT_SCN_INTERNAL_H
#include <stddef.h>
#include "craft/scenario.h"
#include "craft/map.h"
#include "craft/route.h"

#define SCN_MAX_ACTORS 24
#define SCN_MAX_FLOWS 3
#define SCN_MAX_PARAMS 12
#define SCN_TIMEOUT_S 240.0f        /* ScenarioTimeout default (SCENARIOS.md B1) */
#define SCN_TRIGGER_DIST 2.0f       /* A1: trigger when the ego's route point is < 2 m from the TP */

typedef enum { FLOW_CONSTANT, FLOW_REACTIVE, FLOW_BICYCLE } FlowKind;

/* ActorFlow / OppositeActorFlow / BicycleFlow (SCENARIOS.md A7). */
typedef struct {
    uint8_t active, kind, actor_type, constant;  /* constant: ignore everything (until a collision) */
    int path[ACTOR_PATH_MAX], path_len;          /* source lane first */
    float src_s;                                 /* spawn point: arc length on path[0] */
    int sink_lane;
    float sink_s;                                /* removed within 2 m of (sink_lane, sink_s) */
    float speed, gap_lo, gap_hi, next_gap;
    int last;                                    /* actor index of the last spawn, -1 */
    int spawned;
} ScnFlow;

typedef struct {
    int phase;                                   /* ScenarioPhase */
    double t_trigger;                            /* -1 before */
    int sub;                                     /* type-specific sub-phase */
    double t_sub;                                /* time the sub-phase started */
    int timer_on;
    double timer_end;                            /* simulated time the ScenarioTimeout fires */
    int acts;                                    /* see scenario_acts */
    int n_actors;
    int actors[SCN_MAX_ACTORS];                  /* scripted actor indices */
    int n_flows;
    ScnFlow flows[SCN_MAX_FLOWS];
    int8_t flow_of[WORLD_MAX_ACTORS];            /* flow index of an actor, -1 */
    uint8_t wrong_dir_off;                       /* TwoWays: wrong-direction check off */
    float bg_speed_cap;                          /* m/s cap on background traffic, 0 = none */
    float f[8];
    int i[8];
    Rng rng;                                     /* run-time draws (flow spacing ...) */
} ScnState;

typedef struct Scenario Scenario;

typedef struct ScenarioType {
    const char *name;
    int (*build)(Scenario *s, Err *e);
    int (*populate)(Scenario *s, Err *e);
    void (*script)(Scenario *s);
} ScenarioType;

typedef struct { char name[24]; float value; int used; } ScnParam;

struct Scenario {
    const ScenarioType *type;
    RouteSpec spec;
    ScenarioOptions opt;
    Rng build_rng;                   /* build-time draws (parameters, placement) */
    int n_params;
    ScnParam params[SCN_MAX_PARAMS]; /* overrides parsed from spec.overrides */
    MapParams mp;
    Map *map;
    Route route;
    int route_built;
    World *world;
    Criteria crit;
    int crit_ready;
    float trigger_s;                 /* route arc length of the trigger point */
    float ego_speed0;                /* ego speed at the start (0 = standing) */
    unsigned bg_flags;               /* SCN_BG_* for background traffic */
    ScnState st;
};

/* Background traffic parts (SCENARIOS.md A6); types clear the ones their source removes. */
enum { SCN_BG_FRONT = 1, SCN_BG_BACK = 2, SCN_BG_OPPOSITE = 4, SCN_BG_JUNCTION = 8, SCN_BG_ALL = 15 };

/* The registry: one array per group file, concatenated by scenario.c in Part B order. */
extern const ScenarioType *const scn_types_overtaking[];    /* 1-9   types_overtaking.c */
extern const ScenarioType *const scn_types_merging[];       /* 10-25 types_merging.c   */
extern const ScenarioType *const scn_types_emergency[];     /* 26-37 types_emergency.c */
extern const ScenarioType *const scn_types_giveway_signs[]; /* 38-44 types_signs.c     */

/* The i-th of the 44 catalogue names (Part B order), registered or not; NULL outside 0..43. */
const char *scn_catalogue_name(int i);
/* 0 when name is one of the 44 catalogue names (built or not), else -1. */
int scn_type_known(const char *name);

/* ---- parameters ------------------------------------------------------------------------- */
/* The type's parameter `name`: the override when the RouteSpec has one, else a uniform draw from
 * [lo, hi] (lo == hi: fixed) with the build Rng. Every override must be consumed by a type. */
float scn_param(Scenario *s, const char *name, float lo, float hi);
/* A uniform integer draw in [lo, hi] (for choices such as which lane / which arm). */
int scn_choice(Scenario *s, const char *name, int lo, int hi);

/* ---- map and route -------------------------------------------------------------------------- */
int scn_build_map(Scenario *s, Err *e);              /* map_build(s->mp) */
/* Route along `lane` and its successors from s0 for `length` metres (first successor at forks). */
int scn_route_along(Scenario *s, int lane, float s0, float length, Err *e);
/* Route through junction `junction` from approach lane `approach` taking its `turn` connector:
 * starts `before` m before the stop line (walking back through predecessors), ends `after` m
 * beyond the junction exit. */
int scn_route_turn(Scenario *s, int approach, TurnKind turn, float before, float after, Err *e);
/* Route from an explicit lane list (successors / same-direction neighbours). */
int scn_route_lanes(Scenario *s, const int *lanes, int n, float s0, float s_end, Err *e);

/* Approach lanes of a junction (lanes whose successors are its connectors); returns the count. */
int scn_junction_approaches(const Map *m, int junction, int *out, int max);
/* Classifies `other` relative to the ego's approach by yaw difference (SCENARIOS.md junction
 * family): 'opposite' 135-225°, 'left' 30-135°, 'right' 225-330°, else 'same'. */
typedef enum { APPROACH_SAME, APPROACH_OPPOSITE, APPROACH_LEFT, APPROACH_RIGHT } ApproachSide;
ApproachSide scn_approach_side(const Map *m, int ego_approach, int other);
/* The connector of `approach` with the given turn, -1 if none; its exit lane. */
int scn_connector(const Map *m, int approach, TurnKind turn);
int scn_exit_lane(const Map *m, int connector);
/* The leftmost / rightmost same-direction driving lane of the carriageway of `lane`. */
int scn_outer_lane(const Map *m, int lane, int leftmost);
/* First approach lane of a junction on the route, and that junction; -1 if the route has none. */
int scn_route_junction(const Scenario *s, int *approach, int *connector);
/* Route arc length where the route first enters a junction connector (its stop line), and where
 * it leaves that junction again; -1 if none. */
float scn_route_junction_s(const Scenario *s);
float scn_route_junction_exit_s(const Scenario *s);
/* The approach lane of `junction` whose stop line lies nearest the bearing (degrees, from the
 * junction centre; arms of the procedural junctions sit at 0/90/180/270), leftmost or rightmost. */
int scn_approach_at(const Map *m, int junction, float bearing_deg, int leftmost);
/* Pose at route arc length rs (clamped); lane and lane arc length of that route point. */
void scn_route_pose(const Scenario *s, float rs, float *x, float *y, float *h, int *lane, float *lane_s);
/* A point at arc length ls on `lane`, shifted `lat` metres to the left (negative: right). */
void scn_lane_point(const Map *m, int lane, float ls, float lat, float *x, float *y, float *h);

/* ---- actors ----------------------------------------------------------------------------- */
/* Registers an actor as scripted (scenario_actors); returns its index or -1 (world full). */
int scn_add_actor(Scenario *s, const Actor *a);
/* A parked / crashed vehicle (static) at lane arc length ls with lateral offset lat. */
int scn_add_parked(Scenario *s, ActorType type, int lane, float ls, float lat, uint16_t flags);
/* A static prop (cone, sign, debris) of the given size. */
int scn_add_prop(Scenario *s, int lane, float ls, float lat, float length, float width);
/* A traffic-driven vehicle on `lane` at ls with speed v and flags; path continues by successors. */
int scn_add_vehicle(Scenario *s, ActorType type, int lane, float ls, float v, uint16_t flags);
/* A walker along up to WALKER_PATH_MAX points at speed; hidden until scn_show. */
int scn_add_walker(Scenario *s, const float *x, const float *y, int n, float speed, int hidden);
void scn_show(Scenario *s, int idx);                 /* clears AF_HIDDEN */
void scn_hide(Scenario *s, int idx);                 /* sets AF_HIDDEN (destroyed) */
/* Starts a lane change of traffic actor idx into `lane` (its lateral offset carries over). */
void scn_lane_change(Scenario *s, int idx, int lane);
/* LeaveSpaceInFront: hides background vehicles on the ego's route within `dist` ahead of the ego. */
void scn_leave_space_in_front(Scenario *s, float dist);
/* Removes background vehicles within r of (x, y) (junction clearing, lane removal). */
void scn_clear_area(Scenario *s, float x, float y, float r);

/* ---- triggers --------------------------------------------------------------------------- */
const Actor *scn_ego(const Scenario *s);
float scn_ego_progress(const Scenario *s);           /* route metres covered */
float scn_dist_to_ego(const Scenario *s, float x, float y);
/* InTriggerDistance or time-to-arrival: ego within dist of (x,y), or dist/speed < tta. */
int scn_ego_near(const Scenario *s, float x, float y, float dist, float tta);
/* WaitUntilInFrontPosition: the ego is past (x, y) along heading h (dot product > 0). */
int scn_ego_past(const Scenario *s, float x, float y, float h);
double scn_time(const Scenario *s);
void scn_set_sub(Scenario *s, int sub);               /* sub-phase + its start time */
double scn_sub_elapsed(const Scenario *s);

/* ---- timers, end, flows, lights ---------------------------------------------------------- */
void scn_start_timer(Scenario *s, float seconds);    /* ScenarioTimeout: suspends the blocked test */
void scn_end(Scenario *s);                           /* scenario succeeded/ended: timer off, checks restored */
void scn_set_wrong_direction_off(Scenario *s, int off);
/* Adds a flow from (path, src_s) to (sink_lane, sink_s); returns its index or -1. */
int scn_flow_add(Scenario *s, FlowKind kind, ActorType type, const int *path, int path_len, float src_s,
                 int sink_lane, float sink_s, float speed, float gap_lo, float gap_hi);
void scn_flow_start(Scenario *s, int flow);
void scn_flow_stop(Scenario *s, int flow);
/* initial_actors: fills the flow's path from source to sink at drawn spacings. */
void scn_flow_prefill(Scenario *s, int flow);
/* The light controlling `approach` (its stop line), -1 if none. */
int scn_light_of(const Map *m, int approach);
/* Forces every light of `junction` to `others`, and the one of `approach` to `mine` (< 0: skip). */
void scn_junction_lights(Scenario *s, int junction, int approach, LightColor mine, LightColor others, float seconds);

#endif
