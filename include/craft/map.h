/* map — the road network: lanes, their links, junctions, traffic control, crosswalks.
 * A Map is built once (procedurally by map_build, later from OpenDRIVE), is immutable afterwards
 * and is shared read-only by every World that drives on it. Queries (nearest lane, lanes near a
 * point) go through a uniform grid over lane segments so they cost O(1) amortised.
 *
 * Geometry: a lane is a centreline polyline with points ≤ 1 m apart carrying arc length s,
 * heading and curvature; the lane's direction of travel is increasing s. Links: successors and
 * predecessors (lane graph), left/right neighbours (possibly running the opposite way). Lanes
 * inside a junction are connectors; each connector lists the connectors it crosses or merges with. */
#ifndef CRAFT_MAP_H
#define CRAFT_MAP_H
#include <stdint.h>
#include "craft/err.h"

#define MAP_MAX_LINKS 4
#define MAP_MAX_LIGHTS 16
#define MAP_MAX_PHASES 4

typedef enum { LANE_DRIVING, LANE_PARKING, LANE_SIDEWALK, LANE_SHOULDER } LaneKind;
typedef enum { BOUND_NONE, BOUND_BROKEN, BOUND_SOLID, BOUND_EDGE } BoundKind;
typedef enum { TURN_NONE, TURN_STRAIGHT, TURN_LEFT, TURN_RIGHT } TurnKind;
/* Control at the END of a lane (its stop line), for lanes that enter a junction. */
typedef enum { CONTROL_NONE, CONTROL_PRIORITY, CONTROL_YIELD, CONTROL_STOP, CONTROL_LIGHT } ControlKind;
typedef enum { CONFLICT_CROSSING, CONFLICT_MERGING } ConflictKind;

typedef struct { float x, y, s, heading, curvature; } LanePoint;

typedef struct {
    int first_point, n_points;   /* centreline in Map.points[first_point ..] */
    float length, width, speed_limit;
    uint8_t kind, left_bound, right_bound, turn;
    int road;                    /* carriageway id; lanes of one road segment share it */
    int junction;                /* >= 0 for connector lanes inside a junction, else -1 */
    int left, right;             /* neighbour lanes, -1 if none */
    uint8_t left_opposite, right_opposite; /* 1 when that neighbour runs the other way */
    uint8_t is_ramp;             /* highway entry/exit ramp */
    int n_succ, n_pred;
    int succ[MAP_MAX_LINKS], pred[MAP_MAX_LINKS];
    uint8_t control;             /* ControlKind at this lane's end */
    int light;                   /* TrafficLight id when control == CONTROL_LIGHT, else -1 */
    int conflict_first, n_conflicts; /* connectors: Map.conflicts[conflict_first ..] */
} Lane;

/* A connector's conflict with another connector: where along each lane the paths meet. */
typedef struct { int lane, other; uint8_t kind; float s_lane, s_other; } Conflict;

/* A signal head controlling one approach lane; its stop line is that lane's end. */
typedef struct { int junction, group, lane; float x, y; } TrafficLight;

/* Fixed-time phase plan of one signalised junction: phases run in order, each gives green to one
 * light group for green_s, then yellow_s, then all_red_s. Offset shifts the cycle start. */
typedef struct {
    int junction, n_phases;
    int phase_group[MAP_MAX_PHASES];
    float green_s[MAP_MAX_PHASES], yellow_s, all_red_s, offset_s;
} SignalPlan;

typedef struct { int lane; float x, y; } StopSign; /* at the end of `lane` */
typedef struct { float x[4], y[4]; int road; } Crosswalk; /* quad, corners counter-clockwise */
typedef struct { int id; float cx, cy, radius; int n_lanes; } Junction;

typedef struct MapGrid MapGrid; /* spatial index, private to map.c */

typedef struct Map {
    char name[48];
    int n_lanes, n_points, n_conflicts, n_lights, n_plans, n_stop_signs, n_crosswalks, n_junctions;
    Lane *lanes;
    LanePoint *points;
    Conflict *conflicts;
    TrafficLight lights[MAP_MAX_LIGHTS];
    SignalPlan plans[MAP_MAX_LIGHTS];
    StopSign *stop_signs;
    Crosswalk *crosswalks;
    Junction *junctions;
    float min_x, min_y, max_x, max_y;
    MapGrid *grid;
} Map;

/* Projection of a point onto a lane centreline. */
typedef struct {
    int lane;
    int seg;          /* index of the segment's first point, relative to the lane */
    float s;          /* arc length of the projection */
    float d;          /* signed lateral offset, + = left of the direction of travel */
    float heading;    /* lane heading at the projection */
    float dist;       /* |d| clipped to the lane extent (distance to the centreline polyline) */
} LaneProj;

/* ---- Procedural map pieces ------------------------------------------------------------- */
typedef enum {
    MAP_STRAIGHT,       /* straight road */
    MAP_CURVE,          /* constant-radius bend between two straights */
    MAP_JUNCTION4,      /* 4-way crossing */
    MAP_TJUNCTION,      /* T junction (the stem meets a through road) */
    MAP_HIGHWAY,        /* multi-lane one-way carriageway with an entry and an exit ramp */
    MAP_KIND_COUNT
} MapKind;

typedef struct {
    MapKind kind;
    int lanes_fwd, lanes_bwd;   /* lanes per direction; lanes_bwd = 0 makes a one-way road */
    float lane_width, speed_limit, length, radius; /* length of each arm / road; radius of bends */
    uint8_t control;            /* junctions: CONTROL_LIGHT, CONTROL_STOP or CONTROL_PRIORITY (unsignalised) */
    uint8_t parking;            /* 1: a parking lane beside the outermost lanes */
    uint8_t sidewalks;          /* 1: sidewalks beside the road edges */
    uint8_t crosswalks;         /* junctions: 1 adds a crosswalk on every arm */
    float green_s, yellow_s, all_red_s;
} MapParams;

/* Sensible defaults for a kind (two-way, 2+2 lanes, 3.5 m, 13.9 m/s, ...). */
MapParams map_default_params(MapKind kind);
/* Parses "straight", "straight_oneway", "curve", "junction4_light", "junction4_stop",
 * "junction4_none", "tjunction_light", "tjunction_stop", "tjunction_none", "highway" (optionally
 * followed by ":key=value,..." overrides, e.g. "straight:lanes_fwd=3,parking=1").
 * On an unknown name or bad override returns -1 with a one-line message. */
int map_params_from_name(const char *name, MapParams *out, Err *e);
/* Lists the built-in names (NULL-terminated). */
const char *const *map_builtin_names(void);

Map *map_build(const MapParams *p, Err *e);
void map_destroy(Map *m);

/* ---- Queries ------------------------------------------------------------------------------ */
/* Nearest lane centreline to (x, y) among lanes of the given kinds (bitmask of 1<<LaneKind);
 * if heading_hint is finite, lanes whose heading differs by more than 90° are skipped.
 * Returns 0 and fills *out, or -1 if no lane is within max_dist. */
int map_nearest_lane(const Map *m, float x, float y, float heading_hint, unsigned kinds,
                     float max_dist, LaneProj *out);
/* Projects onto one given lane; hint_seg (or -1) speeds up the search near a previous result. */
void map_project(const Map *m, int lane, float x, float y, int hint_seg, LaneProj *out);
/* Point and heading at arc length s along a lane (s clamped to [0, length]). */
void map_lane_pose(const Map *m, int lane, float s, float *x, float *y, float *heading);
/* Lanes with any centreline point within r of (x, y); returns the count written (≤ max). */
int map_lanes_near(const Map *m, float x, float y, float r, int *out, int max);
/* 1 if (x, y) lies on the drivable surface (a driving or parking lane, or a junction connector). */
int map_is_drivable(const Map *m, float x, float y);
/* Shortest lane path from `from` to `to` through successors (lane changes not allowed).
 * Writes up to max lane ids, returns their count or -1 if unreachable. */
int map_lane_path(const Map *m, int from, int to, int *out, int max);

#endif
