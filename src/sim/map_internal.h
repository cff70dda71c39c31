/* map_internal — what the map builder files and the query files share, private to src/sim.
 * The builder appends lanes, points, links and junction records into a Map through growable
 * arrays (MapBuilder); geometry comes from reference paths (lines and arcs) offset sideways, or from
 * cubic Béziers for junction connectors. The finished Map gets a uniform grid (MapGrid) for queries. */
#ifndef CRAFT_MAP_INTERNAL_H
#define CRAFT_MAP_INTERNAL_H
#include "craft/map.h"

#define MAP_POINT_STEP 0.9      /* target centreline spacing (the contract is <= 1 m) */
#define MAP_PARKING_WIDTH 2.5f
#define MAP_SIDEWALK_WIDTH 2.0f
#define MAP_CROSSWALK_WIDTH 3.0f
#define MAP_LAT_ACCEL 3.0       /* m/s^2: speed limit of connectors and ramps is sqrt(a * radius) */
#define MAP_GRID_CELL 4.0f      /* m; lane segments are <= 1 m, so each is listed in at most 4 cells */
#define MAP_PATH_MAX_PIECES 4

/* ---- Reference paths: lines and arcs joined with continuous heading ------------------------- */
typedef struct { double x, y, h, k, s0, len; } PathPiece; /* start pose, curvature, start s, length */
typedef struct { PathPiece p[MAP_PATH_MAX_PIECES]; int n; double length; } RefPath;

void path_start(RefPath *path, double x, double y, double heading);
void path_line(RefPath *path, double len);
void path_arc(RefPath *path, double curvature, double len); /* curvature > 0 turns left */
/* Pose and curvature at arc length s (clamped to the path). */
void path_eval(const RefPath *path, double s, double *x, double *y, double *h, double *k);

/* ---- Builder ----------------------------------------------------------------------------- */
typedef struct {
    uint8_t kind, left_bound, right_bound, turn, is_ramp;
    float width, speed_limit;
    int road, junction;
} LaneSpec;

typedef struct {
    Map *m;
    int cap_lanes, cap_points, cap_conflicts, cap_stops, cap_crosswalks, cap_junctions;
    int n_roads;
    Err *e;
    int failed;  /* sticky: set with the first error, later calls become no-ops */
} MapBuilder;

/* Records the first error; returns -1. */
int mb_fail(MapBuilder *b, const char *msg);
int mb_new_road(MapBuilder *b);
/* Adds a lane sampled from `path` shifted sideways by `offset` (+ = left of the path); reverse = 1
 * makes the lane run against the path. Returns the lane id or -1. */
int mb_lane_offset(MapBuilder *b, const LaneSpec *spec, const RefPath *path, double offset, int reverse);
/* Adds a lane along the cubic Bézier from (x0, y0) heading h0 to (x3, y3) heading h3 whose inner
 * control points lie k0 ahead of the start and k3 behind the end. */
int mb_lane_bezier(MapBuilder *b, const LaneSpec *spec, double x0, double y0, double h0, double k0,
                   double x3, double y3, double h3, double k3);
void mb_link(MapBuilder *b, int from, int to);        /* `to` succeeds `from` */
/* Sets a.left = c (or a.right = c when left == 0) and the matching back link on c. */
void mb_neighbours(MapBuilder *b, int a, int c, int left, int opposite);
int mb_add_conflict(MapBuilder *b, const Conflict *c);
int mb_add_stop(MapBuilder *b, int lane);
int mb_add_crosswalk(MapBuilder *b, const Crosswalk *cw);
int mb_add_junction(MapBuilder *b, float cx, float cy, float radius);
int mb_add_light(MapBuilder *b, int junction, int group, int lane);
const LanePoint *mb_lane_end(const MapBuilder *b, int lane);   /* last centreline point */
const LanePoint *mb_lane_start(const MapBuilder *b, int lane); /* first centreline point */

/* A road's lanes across its section. fwd[i]: lanes along the path, i = 0 nearest the centre line;
 * bwd[i]: lanes against it (two-way roads). -1 where absent. */
typedef struct {
    int nf, nb;
    int fwd[6], bwd[6];
    int park_fwd, park_bwd, walk_fwd, walk_bwd;
    float right_extent, left_extent; /* carriageway (driving + parking) edges from the path */
} RoadLanes;

/* Builds one road along `path`: nf lanes with it, nb against it (nb = 0: one-way, centred on the
 * path), optional parking lanes and sidewalks (from p). Sets bounds and neighbours. */
int mb_road(MapBuilder *b, const MapParams *p, const RefPath *path, int nf, int nb, float speed,
            RoadLanes *out);

/* A connector lane inside a junction from the end of `from` to the start of `to` (a Bézier: a
 * quarter ellipse for TURN_LEFT/RIGHT, otherwise an S-curve or straight line), linked to both. */
int mb_connector(MapBuilder *b, int junction, int road, uint8_t turn, float width, float speed, int from, int to);
/* min(limit, sqrt(MAP_LAT_ACCEL / max |curvature|)) over the lane. */
float mb_curve_speed(const Map *m, int lane, float limit);

/* Connector conflicts of one junction: every pair of connector lanes in [first, first + n) that
 * cross or merge. Appends Conflict records and sets the lanes' conflict ranges. */
int mb_junction_conflicts(MapBuilder *b, int first, int n);

int map_build_straight(MapBuilder *b, const MapParams *p);
int map_build_curve(MapBuilder *b, const MapParams *p);
int map_build_junction(MapBuilder *b, const MapParams *p);
int map_build_highway(MapBuilder *b, const MapParams *p);

/* ---- Spatial grid ------------------------------------------------------------------------- */
typedef struct { int lane, seg; } GridItem; /* segment seg (relative point index) of a lane */

struct MapGrid {
    float x0, y0, cell, max_half_width;
    int nx, ny;
    int *cell_start;   /* nx * ny + 1 offsets into items */
    GridItem *items;
};

MapGrid *map_grid_build(const Map *m, Err *e);
void map_grid_free(MapGrid *g);

/* Projection of (x, y) on segment seg of a lane: fills out and returns the squared distance. */
float map_project_segment(const Map *m, int lane, int seg, float x, float y, LaneProj *out);

#endif
