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
#define OBS_AGENT_DIM 16       /* x, y, cos h, sin h, vx, vy, length, width, type one-hot (7), valid;
                                * one-hot slots: car, van, truck/bus, emergency, bicycle, pedestrian, static */
#define OBS_AGENT_TYPES 7
#define OBS_MAP_POLYS 32       /* M nearby map polylines */
#define OBS_MAP_PTS 10
#define OBS_MAP_PT_DIM 2       /* x, y per point */
#define OBS_MAP_META_DIM 10    /* kind one-hot (centreline, boundary, stop line, crosswalk), light one-hot
                                * (red, yellow, green, none), speed limit/20, valid */
#define OBS_BEV 64             /* BEV raster side (cells); 0.5 m/cell, ego at (16, 32) facing +x:
                                * bev[(ch * OBS_BEV + ix) * OBS_BEV + iy], ix = 16 + floor(x / 0.5) (forward),
                                * iy = 32 + floor(y / 0.5) (left), so x in [-8, 24) m, y in [-16, 16) m */
#define OBS_BEV_CELL 0.5f
#define OBS_BEV_CH 6           /* drivable, lane lines, route, vehicles, pedestrians, red lights */
#define OBS_INSTR_LEN 8        /* instruction tokens */

/* Instruction vocabulary (fixed; id 0 is padding). A sentence is BOS, the command, the speed band,
 * the control ahead on the route (within 40 m), up to three hazards in this order, EOS. */
typedef enum {
    TOK_PAD, TOK_BOS, TOK_EOS,
    TOK_FOLLOW, TOK_TURN_LEFT, TOK_TURN_RIGHT, TOK_GO_STRAIGHT, TOK_CHANGE_LEFT, TOK_CHANGE_RIGHT, /* TOK_FOLLOW + NavCommand */
    TOK_STOPPED, TOK_SLOW, TOK_CRUISE, TOK_FAST,             /* < 0.5 m/s, < 0.5 limit, <= 1.05 limit, above */
    TOK_RED_LIGHT, TOK_YELLOW_LIGHT, TOK_GREEN_LIGHT, TOK_STOP_SIGN, TOK_YIELD_SIGN, TOK_CLEAR,
    TOK_LEAD_VEHICLE,                                        /* an agent within 2 m of the next 30 m of route */
    TOK_PEDESTRIAN_NEAR,                                     /* a pedestrian within 15 m */
    TOK_ROUTE_END,                                           /* route ends within 30 m */
    OBS_INSTR_VOCAB
} InstrToken;

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
    uint8_t bev[OBS_BEV_CH * OBS_BEV * OBS_BEV];   /* channel-major occupancy, 0 or 1 (bytes: an Obs stays ~30 KB) */
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
/* Same from the parts of a world (e.g. a snapshot): map and route as given, dynamic state st. It reads
 * the map's lanes, points, lights and crosswalks only (no spatial grid), so a hand-transformed copy of
 * a map works too. */
int obs_encode_state(const Map *m, const Route *r, const WorldState *st, const ObsConfig *cfg, Obs *out, Err *e);
/* The navigation command at the ego's current route position (Bench2Drive's high-level command):
 * the turn of the first junction connector on the route within 30 m ahead (left/right/straight), a
 * lane change where the route moves onto a same-direction neighbour within 30 m, else follow. */
NavCommand obs_command(const World *w);
NavCommand obs_command_state(const Map *m, const Route *r, const WorldState *st);
const char *nav_command_name(NavCommand c);
const char *instr_token_name(int tok);

#endif
