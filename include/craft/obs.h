/* obs — the ego-centric observation every policy family reads (POLICIES.md "Observation"):
 * obs_encode(world) → Obs, a fixed-layout struct of float arrays in the ego frame (x forward,
 * y left): ego state, the next route points, the K nearest agents, M nearby map polylines with
 * their control state, the navigation command and, when asked for, a BEV raster and instruction
 * tokens for the VLA family. Rotating or translating the whole world leaves an Obs unchanged.
 * Obs is plain data (no pointers): batches are arrays of Obs. */
#ifndef CRAFT_OBS_H
#define CRAFT_OBS_H
#include <stdint.h>
#include "craft/err.h"
#include "craft/world.h"

#define OBS_EGO_DIM 8          /* speed, lon acc, lat acc, yaw rate, steer, speed limit, dist to route end/100, in junction */
#define OBS_ROUTE_PTS 20       /* next route points, every 2 m */
#define OBS_ROUTE_DIM 4        /* x, y, cos h, sin h */
#define OBS_AGENTS 32          /* K nearest agents */
#define OBS_AGENT_DIM 16       /* x, y, cos h, sin h, vx, vy, length, width, type one-hot (7), valid */
#define OBS_MAP_POLYS 32       /* M nearby map polylines */
#define OBS_MAP_PTS 10
#define OBS_MAP_PT_DIM 2       /* x, y per point */
#define OBS_MAP_META_DIM 10    /* kind one-hot (centreline, boundary, stop line, crosswalk), light one-hot
                                * (red, yellow, green, none), speed limit/20, valid */
#define OBS_BEV 64             /* BEV raster side (cells); 0.5 m/cell, ego at (16, 32) facing +x */
#define OBS_BEV_CH 6           /* drivable, lane lines, route, vehicles, pedestrians, red lights */
#define OBS_INSTR_LEN 8        /* instruction tokens */

typedef enum {
    CMD_FOLLOW, CMD_LEFT, CMD_RIGHT, CMD_STRAIGHT, CMD_CHANGE_LEFT, CMD_CHANGE_RIGHT, CMD_COUNT
} NavCommand;

typedef struct {
    float ego[OBS_EGO_DIM];
    float route[OBS_ROUTE_PTS * OBS_ROUTE_DIM];
    float agents[OBS_AGENTS * OBS_AGENT_DIM];
    float map_pts[OBS_MAP_POLYS * OBS_MAP_PTS * OBS_MAP_PT_DIM];
    float map_meta[OBS_MAP_POLYS * OBS_MAP_META_DIM];
    int32_t command;           /* NavCommand */
    int32_t has_bev;           /* bev/instr filled (VLA family) */
    float bev[OBS_BEV_CH * OBS_BEV * OBS_BEV];     /* channel-major */
    int32_t instr[OBS_INSTR_LEN];                  /* token ids, 0 = padding */
} Obs;

typedef struct {
    int with_bev;              /* also render the BEV raster and the instruction tokens */
    float agent_radius;        /* m: agents farther away are not listed (60) */
    float map_radius;          /* m: polylines farther away are not listed (50) */
} ObsConfig;

ObsConfig obs_default_config(void);
/* Encodes the world as seen from the ego (actor 0). Returns -1 when the world has no ego/route. */
int obs_encode(const World *w, const ObsConfig *cfg, Obs *out, Err *e);
/* The navigation command at the ego's current route position (Bench2Drive's high-level command). */
NavCommand obs_command(const World *w);
const char *nav_command_name(NavCommand c);

#endif
