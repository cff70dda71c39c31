/* scn_emergency_util — geometry and actor helpers of the emergency-brake group (types_emergency.c):
 * sidewalks beside a road, conflict points of two approach lines, walkers that stand still until
 * released (and bicycles that move like them), and picking a value from the 5 routes' XML table. */
#ifndef CRAFT_SCN_EMERGENCY_UTIL_H
#define CRAFT_SCN_EMERGENCY_UTIL_H
#include "scenario/scn_internal.h"

/* The sidewalk beside the carriageway of `lane`, abreast its arc length ls, on the lane's right
 * (right = 1) or left side (walking across opposite lanes). Writes the sidewalk's centre point
 * and its lateral distance from (lane, ls) (positive = left). Returns the sidewalk lane, or -1
 * when there is none; the point then lies 1.5 m beyond the outermost lane (as the source does). */
int scn_sidewalk_abreast(const Scenario *s, int lane, float ls, int right, float *x, float *y, float *lat);

/* Intersection of the lines through (x0, y0) heading h0 and (x1, y1) heading h1; returns -1
 * (and leaves the outputs) when they are (near-)parallel. */
int scn_line_intersection(float x0, float y0, float h0, float x1, float y1, float h1, float *x, float *y);

/* A walker (or, with type ACTOR_BICYCLE, a bicycle moved the same way) standing at (x, y) facing
 * heading; hidden until scn_show when hidden = 1. It stands (as a static actor) until scn_walker_go. */
int scn_add_standing_walker(Scenario *s, ActorType type, float x, float y, float heading, int hidden);
/* Releases a standing walker: it walks `dist` metres straight along its heading at `speed`
 * (reached at once: the source forces the velocity), then stands at the end point. */
void scn_walker_go(Scenario *s, int idx, float dist, float speed);
/* 1 once a released walker reached the end of its path. */
int scn_walker_arrived(const Scenario *s, int idx);

/* One of the 5 Bench2Drive routes' values of a parameter: table[k] for a uniformly drawn route k;
 * an override of `name` replaces it. */
int scn_pick5(Scenario *s, const char *name, const int table[5]);

/* Hides every visible scripted actor (the source destroys its actors when the scenario ends). */
void scn_hide_scripted(Scenario *s);

#endif
