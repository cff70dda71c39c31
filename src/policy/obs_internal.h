/* obs_internal — what obs.c (vectors, command) and obs_bev.c (raster, instruction) share: the ego
 * frame of one encoding and route look-ups. Everything works from Map + Route + WorldState so a
 * snapshot or a hand-transformed scene encodes exactly like a live world. */
#ifndef CRAFT_OBS_INTERNAL_H
#define CRAFT_OBS_INTERNAL_H
#include "craft/obs.h"

typedef struct {
    const Map *m;
    const Route *r;
    const WorldState *st;
    float ex, ey, eh;   /* ego pose (world frame) */
    int ri;             /* route point nearest the ego */
    float rs;           /* ego's arc length along the route */
} ObsFrame;

/* Fills the frame from the ego (actor 0); -1 when there is no ego or route. */
int obs_frame_init(ObsFrame *f, const Map *m, const Route *r, const WorldState *st, Err *e);
/* Index of the last route point with s <= target, searching forward from `from`. */
int obs_route_index_at(const Route *r, float s, int from);
/* The first traffic control on the route whose stop line is within `ahead` m: its ControlKind
 * (CONTROL_NONE if none) and, for lights, the light's colour in *light. */
int obs_control_ahead(const ObsFrame *f, float ahead, LightColor *light);
/* Ego-frame transforms. */
void obs_to_ego(const ObsFrame *f, float x, float y, float *ox, float *oy);

void obs_render_bev(const ObsFrame *f, Obs *out);
/* Needs out->ego, route, agents and command already filled. */
void obs_instruction(const ObsFrame *f, Obs *out);

#endif
