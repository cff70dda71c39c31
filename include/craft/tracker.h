/* tracker — turns a planned trajectory into low-level control, as end-to-end driving stacks do on
 * Bench2Drive: lateral pure pursuit on the waypoint polyline, longitudinal PID on the speed the
 * waypoints imply. State (the PID integrator) lives in TrackerState so snapshots capture it. */
#ifndef CRAFT_TRACKER_H
#define CRAFT_TRACKER_H
#include "craft/traj.h"
#include "craft/vehicle.h"

typedef struct {
    float lookahead_min, lookahead_gain; /* pure-pursuit lookahead = max(min, gain · speed) */
    float kp, ki, kd;                    /* speed PID */
    float brake_speed;                   /* below this target speed the tracker brakes to stop */
} TrackerParams;

typedef struct { float integral, prev_error; } TrackerState;

TrackerParams tracker_default_params(void);
/* t_since_plan: seconds since the trajectory was frozen; dt: control period. */
Control tracker_control(const TrackerParams *p, TrackerState *st, const KinState *ego, const VehicleParams *vp,
                        const TrajWorld *plan, float t_since_plan, float dt);
/* Target speed implied by the plan at time t (finite differences of waypoints). */
float tracker_target_speed(const TrajWorld *plan, float t);

#endif
