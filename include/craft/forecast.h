/* forecast — where every other actor will be over the scorer's 4 s horizon (41 states, 0.1 s).
 * A forecaster reads the current world (read-only) and writes a Forecast: per time index the box
 * of each actor and the colour of each traffic light; the scorer tests ego rollouts against it. */
#ifndef CRAFT_FORECAST_H
#define CRAFT_FORECAST_H
#include <stdint.h>
#include "craft/traj.h"
#include "craft/world.h"

#define FORECAST_STEPS 41      /* t = 0, 0.1, ..., 4.0 s */
#define FORECAST_DT 0.1f

typedef enum {
    FORECAST_CONST_VEL,        /* speed along the box heading, heading fixed (PDM-Closed online) */
    FORECAST_CONST_TURN,       /* speed and yaw rate held */
    FORECAST_IDM,              /* IDM along each vehicle's lane path, blind to the ego (non-reactive) */
    FORECAST_ORACLE,           /* the real simulator branched from a snapshot, ego tracking the candidate */
    FORECAST_KIND_COUNT
} ForecastKind;

/* Box centre (the actor's footprint, incl. an open door), heading and speed at one time index. */
typedef struct { float x, y, heading, speed; } ForecastPose;

typedef struct {
    int n_agents;                              /* forecast actors: every visible actor but the ego */
    int actor[WORLD_MAX_ACTORS];               /* world actor index of agent i */
    uint8_t type[WORLD_MAX_ACTORS];            /* ActorType */
    uint8_t stopped[WORLD_MAX_ACTORS];         /* static driver or speed <= 0.005 m/s at t = 0 (PDM "first seen") */
    float half_len[WORLD_MAX_ACTORS], half_wid[WORLD_MAX_ACTORS];
    ForecastPose pose[FORECAST_STEPS][WORLD_MAX_ACTORS];   /* time-major: one time index is contiguous */
    uint8_t light[FORECAST_STEPS][MAP_MAX_LIGHTS];         /* LightColor per time index */
    int has_ego;                               /* oracle only: the ego states the simulator produced */
    KinState ego[FORECAST_STEPS];
} Forecast;

ForecastKind forecast_kind_from_name(const char *name, Err *e); /* "constant_velocity", ...; -1 on error */
const char *forecast_kind_name(ForecastKind k);

/* Proxy forecasts (const-vel, const-turn, IDM) from the current world; lights held at their
 * current colours. Returns 0, or -1 for FORECAST_ORACLE (use forecast_oracle) or bad input. */
int forecast_build(ForecastKind kind, const World *w, Forecast *out, Err *e);

/* Oracle: restores `snap` into `scratch` (a private World on the same map and route), gives the
 * ego the candidate `cand` (NULL: keep the snapshot's plan) and steps the real simulator 40
 * times, recording every actor, every light and the ego. `scratch` is clobbered. */
void forecast_oracle(World *scratch, const WorldSnapshot *snap, const Traj *cand, Forecast *out);

#endif
