/* route — the ego's route: a chain of lanes resampled into a dense polyline (1 m spacing) with
 * arc length. Routes are built once per episode and read by the world (progress, deviation) and
 * by observation encoding (the next route points). */
#ifndef CRAFT_ROUTE_H
#define CRAFT_ROUTE_H
#include "craft/map.h"
#include "craft/rng.h"

#define ROUTE_MAX_LANES 32

typedef struct { float x, y, heading, s; int lane; } RoutePoint;

typedef struct {
    int n;                 /* points */
    RoutePoint *pts;
    float length;
    int n_lanes;
    int lanes[ROUTE_MAX_LANES];
} Route;

/* Builds the route along lanes[0..n) (each a successor of the previous, or a same-direction
 * neighbour for a lane change), starting s_start along the first and ending s_end along the last
 * (negative s_end: the last lane's end). Points every `spacing` metres. */
int route_build(const Map *m, const int *lanes, int n, float s_start, float s_end, float spacing, Route *out, Err *e);
void route_free(Route *r);
/* Index of the route point nearest (x, y) within [from, from + window] (window < 0: whole route);
 * writes the distance to it. */
int route_nearest(const Route *r, float x, float y, int from, int window, float *dist);

/* A random drivable route: from a random entry lane (no predecessors) through random successors
 * until min_length is covered or the lane graph ends (route_pick.c). */
int route_pick_random(const Map *m, Rng *r, float min_length, Route *out, Err *e);

#endif
