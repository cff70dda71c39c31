/* collision — exact oriented-box tests and the broad phase in front of them.
 * The world builds one Obb per actor each step, the broad phase (sort-and-sweep on x) proposes
 * pairs whose bounding boxes overlap, and the separating-axis test confirms them. Touching boxes
 * count as colliding (as shapely's `intersects` does in the PDM scorer). Fast movers are handled
 * by sub-stepping in the world (see world.c), so no pair tunnels at 10 Hz up to 40 m/s. */
#ifndef CRAFT_COLLISION_H
#define CRAFT_COLLISION_H
#include "craft/geom.h"

/* 1 if the boxes overlap or touch (separating-axis theorem on the 4 face normals). */
int obb_overlap(const Obb *a, const Obb *b);
/* Axis-aligned bounds of a box. */
void obb_aabb(const Obb *b, float *min_x, float *min_y, float *max_x, float *max_y);
/* The four corners, counter-clockwise starting front-left. */
void obb_corners(const Obb *b, float cx[4], float cy[4]);

/* Broad phase over n boxes (order[] is caller scratch of n ints, kept between calls so the
 * insertion sort is near-linear on coherent motion; initialise it once with obb_broadphase_init).
 * Writes candidate pairs (i, j), i < j, into pairs[2k], pairs[2k+1]; returns the number of pairs
 * (at most max_pairs). */
void obb_broadphase_init(int *order, int n);
int obb_broadphase(const Obb *boxes, int n, int *order, int *pairs, int max_pairs);

/* Time to collision of two boxes moving at constant velocity (vx, vy each), sampled every dt up to
 * horizon; returns INFINITY when they do not meet, 0 when they already overlap. */
float obb_time_to_collision(const Obb *a, float avx, float avy, const Obb *b, float bvx, float bvy,
                            float horizon, float dt);

#endif
