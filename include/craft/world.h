/* world — one closed-loop driving world: the map (shared, read-only), the ego's route, and the
 * dynamic state of every actor, signal and monitor. world_step advances it by one 0.1 s tick:
 * traffic control → background behaviour (IDM/MOBIL, junction gap acceptance, yielding) → ego
 * control (direct or via the tracker) → dynamics → collisions → events.
 *
 * All dynamic state lives in WorldState, a plain struct with no pointers, so a snapshot is one
 * copy and restoring it replays bit-identically. world_step allocates nothing. The caller owns
 * the Map and Route and must keep them alive while the World exists. Actor 0 is the ego when
 * the world has one (WorldConfig.has_ego). Scenario scripts steer actors between steps by
 * writing their behaviour fields (target_speed, flags, path, lane change requests). */
#ifndef CRAFT_WORLD_H
#define CRAFT_WORLD_H
#include <stdint.h>
#include "craft/err.h"
#include "craft/geom.h"
#include "craft/idm.h"
#include "craft/map.h"
#include "craft/rng.h"
#include "craft/route.h"
#include "craft/tracker.h"
#include "craft/vehicle.h"

#define WORLD_MAX_ACTORS 128
#define WORLD_MAX_EVENTS 64
#define ACTOR_PATH_MAX 4
#define WALKER_PATH_MAX 4

typedef enum {
    ACTOR_CAR, ACTOR_VAN, ACTOR_TRUCK, ACTOR_BUS, ACTOR_EMERGENCY, ACTOR_BICYCLE,
    ACTOR_PEDESTRIAN, ACTOR_STATIC, ACTOR_TYPE_COUNT
} ActorType;

typedef enum {
    DRIVER_EGO,     /* driven by the caller's control or trajectory */
    DRIVER_TRAFFIC, /* lane following with IDM + MOBIL, reacting to lights, signs, conflicts */
    DRIVER_WALKER,  /* follows its walker path at walk_speed */
    DRIVER_STATIC   /* never moves (parked cars, cones, debris) */
} DriverKind;

/* Behaviour flags (Actor.flags); scenario scripts set them. */
enum {
    AF_IGNORE_LIGHTS   = 1 << 0,
    AF_IGNORE_SIGNS    = 1 << 1,
    AF_IGNORE_VEHICLES = 1 << 2,  /* no car following at all (constant-velocity flows) */
    AF_IGNORE_EGO      = 1 << 3,  /* car following ignores the ego */
    AF_NO_LANE_CHANGE  = 1 << 4,
    AF_SIREN           = 1 << 5,  /* emergency vehicle with siren on: others yield */
    AF_HIDDEN          = 1 << 6,  /* not yet in the world: no dynamics, no collisions */
    AF_BACKGROUND      = 1 << 7,  /* counts as background traffic (min-speed reference) */
    AF_IGNORE_JUNCTION = 1 << 8,  /* no gap acceptance at junctions */
    AF_DOOR_OPEN       = 1 << 9,  /* static vehicle with its door open: footprint widened on the left */
    AF_RESPAWN         = 1 << 10, /* random traffic: re-enters the map at an entry lane when its path ends */
    AF_CRASHED         = 1 << 11  /* took part in a collision: traffic actors stop and stay stopped */
};

typedef struct {
    KinState k;
    VehicleParams veh;
    float length, width;
    uint8_t type, driver;
    uint16_t flags;
    int id;                          /* stable id (never reused in a world): event de-duplication */
    /* lane following (DRIVER_TRAFFIC) */
    int path[ACTOR_PATH_MAX];        /* path[0] = current lane, then the lanes it will take */
    int path_len;
    float s;                         /* arc length along path[0] */
    int seg;                         /* projection hint on path[0] */
    float lat_offset;                /* current lateral offset from the centreline (lane changes) */
    float lat_target;                /* offset it steers toward */
    float lane_dh;                   /* heading relative to the lane at s (how far the body sticks out) */
    IdmParams idm;
    MobilParams mobil;
    float speed_factor;              /* desired speed = speed_factor x lane speed limit (idm.v0 is set from it) */
    float target_speed;              /* script override of the desired speed when >= 0 */
    float lc_cooldown;               /* seconds until the next lane-change decision */
    float stop_timer;                /* time spent stopped at the current stop sign */
    int stop_cleared_lane;           /* approach lane whose stop sign it has already served */
    /* walkers */
    float wx[WALKER_PATH_MAX], wy[WALKER_PATH_MAX];
    int wn, wi;
    float walk_speed;
} Actor;

typedef enum { LIGHT_RED, LIGHT_YELLOW, LIGHT_GREEN, LIGHT_OFF } LightColor;

typedef enum {
    EV_COLLISION,     /* other = actor index hit; value = ego speed at contact */
    EV_RED_LIGHT,     /* ego crossed a stop line on red; other = light id */
    EV_STOP_SIGN,     /* ego left a stop sign's area without stopping; other = stop sign id */
    EV_OFF_ROAD,      /* ego footprint centre left the drivable surface this step */
    EV_WRONG_WAY,     /* ego drove against the lane direction this step */
    EV_OFF_ROUTE,     /* ego is farther than the deviation threshold from its route */
    EV_BLOCKED,       /* ego below 0.1 m/s for longer than the blocked threshold */
    EV_NEAR_MISS,     /* time to collision with `other` below cfg.near_miss_ttc */
    EV_HARD_BRAKE,    /* ego decelerated harder than cfg.hard_brake */
    EV_ROUTE_DONE,    /* ego reached the end of its route */
    EV_KIND_COUNT
} EventKind;

typedef struct {
    uint8_t kind;
    uint8_t other_type;   /* ActorType of `other` for collisions / near misses */
    int actor;            /* who it happened to (0 = ego for ego events) */
    int other;            /* other actor index / light id / stop sign id, or -1 */
    int other_id;         /* stable id of the other actor, or -1 */
    float x, y;           /* where */
    float value;          /* kind-specific: speed at contact, TTC, deceleration ... */
    double time;
} Event;

typedef struct {
    float dt;                  /* 0.1 s */
    int has_ego;               /* actor 0 is the ego */
    float near_miss_ttc;       /* s, default 1.0 */
    float hard_brake;          /* m/s², default 4.0 (deceleration magnitude) */
    float route_deviation;     /* m, default 30 */
    float blocked_speed;       /* m/s, default 0.1 */
    float blocked_time;        /* s, default 60 */
    TrackerParams tracker;
} WorldConfig;

/* Per-step view of the ego with respect to its route and the rules (filled by world_step). */
typedef struct {
    int route_idx;             /* nearest route point (monotone window search) */
    float route_progress;      /* metres of route covered (max over time) */
    float route_dist;          /* distance to the nearest route point */
    float travelled;           /* odometer */
    float step_advance;        /* route metres gained this step */
    uint8_t outside_lanes;     /* this step: further than width/2 + 0.5 m from any driving/parking lane */
    uint8_t wrong_way;         /* this step: against the direction of its lane (outside junctions) */
    uint8_t in_junction;
    uint8_t route_done;
    int lane;                  /* nearest same-direction lane, -1 if none */
    float blocked_timer;
    int last_red_light;        /* last light counted, to count each light once */
    int stop_sign;             /* stop sign currently affecting the ego, -1 if none */
    uint8_t stop_served;       /* ego has stopped at that sign */
} EgoMonitor;

typedef struct {
    float timer;               /* seconds left on an override; the plan resumes at 0 */
    uint8_t forced;            /* override colour while timer > 0 (or forever if timer < 0) */
    uint8_t active;
} LightOverride;

/* Everything that changes: copying this struct is a complete snapshot. */
typedef struct WorldState {
    double time;
    int64_t step;
    Rng rng;
    int n_actors, next_id;
    Actor actors[WORLD_MAX_ACTORS];
    uint8_t light_color[MAP_MAX_LIGHTS];
    LightOverride light_override[MAP_MAX_LIGHTS];
    TrackerState tracker;
    TrajWorld plan;            /* ego plan being tracked (when driven by trajectory) */
    float plan_age;
    Control ego_noise;         /* added to the ego's applied control every step, however it is driven
                                  (scripted perturbation, e.g. ControlLoss); zero normally */
    EgoMonitor ego;
    int n_events;
    Event events[WORLD_MAX_EVENTS];
} WorldState;

typedef WorldState WorldSnapshot;

typedef struct World World;

WorldConfig world_default_config(void);
/* route may be NULL (no ego route monitoring). */
World *world_create(const Map *map, const Route *route, const WorldConfig *cfg, uint64_t seed, Err *e);
void world_destroy(World *w);

const Map *world_map(const World *w);
const Route *world_route(const World *w);
const WorldConfig *world_config(const World *w);
WorldState *world_state(World *w);              /* scripts read and write actors through this */
const WorldState *world_state_const(const World *w);

/* Adds an actor (its fields as given; id assigned); returns its index or -1 when full. */
int world_add_actor(World *w, const Actor *a);
/* A vehicle of `type` on `lane` at arc length s, driven by traffic behaviour, speed v. Not added. */
Actor actor_make_vehicle(const World *w, ActorType type, int lane, float s, float v, Rng *rng);
Actor actor_make_static(ActorType type, float x, float y, float heading, float length, float width);
Actor actor_make_walker(const float *wx, const float *wy, int n, float speed);
/* Places the ego (actor 0) at the start of the route at speed v. */
int world_add_ego(World *w, float v);

/* One tick. ego: low-level control for actor 0, or NULL to let the tracker follow the current
 * plan (set by world_set_plan); ignored when the world has no ego. */
void world_step(World *w, const Control *ego);
/* The built-in lane-following controller: drives the ego along its route the way background
 * traffic drives (IDM car following, lights, stop signs, junction gap acceptance). Returns -1
 * when the world has no ego route. */
int world_autopilot(World *w, Control *out);
/* Junction right of way for the ego along its route, decided as background traffic decides it
 * (gap acceptance at the junction entry, merging and crossing connectors; not lights or signs):
 * the bumper gap to where the ego must wait or follow (INFINITY: free) and that leader's speed.
 * Refreshes the lane occupancy, so it needs a mutable World (e.g. a private copy restored from a
 * snapshot). Returns -1 when the world has no ego route. */
int world_ego_junction_leader(World *w, float *gap, float *v_lead);
/* Freezes an ego-frame trajectory into the world frame as the ego's plan. */
void world_set_plan(World *w, const Traj *t);

void world_snapshot(const World *w, WorldSnapshot *s);
void world_restore(World *w, const WorldSnapshot *s);
/* FNV-1a hash of the dynamic state: determinism tests compare it. */
uint64_t world_hash(const World *w);

LightColor world_light(const World *w, int light);
/* Forces a light to a colour for `seconds` (< 0: until released with seconds = 0). */
void world_force_light(World *w, int light, LightColor c, float seconds);

/* Background traffic: spawns up to n vehicles on random driving lanes at least min_gap apart from
 * every actor (bumper to bumper); returns how many were placed. */
int traffic_spawn_random(World *w, int n, float min_gap, Rng *r);
/* Oriented footprint of an actor. */
Obb actor_obb(const Actor *a);

const char *event_kind_name(EventKind k);
const char *actor_type_name(ActorType t);

/* Steps many independent worlds in parallel (OpenMP, one world per task). controls may be NULL. */
void worlds_step_parallel(World **worlds, int n, const Control *controls, int threads);

#endif
