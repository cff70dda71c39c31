/* world_internal — the World struct and the hand-offs between the step's phases (world.c runs
 * them in order; traffic.c decides background behaviour; world_monitor.c finds collisions and
 * ego events; signals.c evaluates lights). Everything here except WorldState is derived scratch
 * that each step rebuilds, so it is not part of a snapshot. */
#ifndef CRAFT_SIM_WORLD_INTERNAL_H
#define CRAFT_SIM_WORLD_INTERNAL_H
#include "craft/collision.h"
#include "craft/world.h"

#define LANE_OCC_MAX (WORLD_MAX_ACTORS * 4)
#define MAX_PAIRS (WORLD_MAX_ACTORS * 8)

/* One actor's presence on one lane: who, where along the lane, how fast along it. */
typedef struct { int actor; float s, v_along; int next; } LaneOcc;

struct World {
    const Map *map;
    const Route *route;
    WorldConfig cfg;
    WorldState st;
    /* derived per-step scratch (allocated once in world_create) */
    int *lane_head;            /* map->n_lanes heads of LaneOcc lists, -1 = empty */
    LaneOcc occ[LANE_OCC_MAX];
    int n_occ;
    int grid_head[256];        /* spatial hash of actor centres (8 m cells) for the forward safety check */
    int grid_next[WORLD_MAX_ACTORS];
    int n_sirens;              /* actors with AF_SIREN this step: others check for them only if > 0 */
    int *light_plan;           /* light id -> SignalPlan index, or -1 */
    float *lane_max_curvature; /* per lane: max |curvature|, for the bend speed limit */
    int *entry_lanes;          /* lanes without predecessors (respawn points) */
    int n_entry_lanes;
    int *ego_route_lane_pos;   /* lane id -> index in route->lanes, -1 if not on the route */
    Obb prev_box[WORLD_MAX_ACTORS], box[WORLD_MAX_ACTORS];
    int bp_order[WORLD_MAX_ACTORS];
    int pairs[2 * MAX_PAIRS];
    Control cmd[WORLD_MAX_ACTORS];
};

/* signals.c */
void signals_update(World *w);

/* traffic.c: fills lane occupancy, then decides every traffic actor's command */
void traffic_index_lanes(World *w);
void traffic_decide(World *w);
void traffic_advance_lanes(World *w);
/* Control that drives actor `i` along `path` like background traffic (used by the autopilot). */
Control traffic_control_along(World *w, int i, const int *path, int path_len, float s, int seg);

/* world_monitor.c */
void monitor_collisions(World *w);
void monitor_ego(World *w);
void world_emit(World *w, EventKind kind, int actor, int other, float x, float y, float value);

#endif
