/* vehicle — actor dynamics: a kinematic bicycle for vehicles and bicycles, a point mass with a
 * heading for pedestrians. KinState is the hot per-actor state the step loop streams through.
 * The reference point (x, y) is the centre of the footprint; the rear axle sits wheelbase/2
 * behind it, so a constant steer δ drives the rear axle on a circle of radius wheelbase/tan δ. */
#ifndef CRAFT_VEHICLE_H
#define CRAFT_VEHICLE_H

typedef struct {
    float x, y, heading, speed;   /* centre of the footprint, rad, m/s (>= 0) */
    float accel, steer, yaw_rate; /* last applied longitudinal accel, steering angle, yaw rate */
} KinState;

typedef struct {
    float wheelbase;
    float max_accel, max_decel;   /* m/s², both positive (≈ 4 and 8) */
    float max_steer, max_steer_rate; /* rad, rad/s */
    float max_speed;              /* m/s */
} VehicleParams;

/* Low-level command: desired longitudinal acceleration and steering angle (clamped by limits). */
typedef struct { float accel, steer; } Control;

/* Default limits for a vehicle of the given length (wheelbase ≈ 0.6 × length). */
VehicleParams vehicle_default_params(float length);
/* One explicit step of the kinematic bicycle (speed clamped to [0, max_speed], no reversing). */
void vehicle_step(KinState *k, const VehicleParams *p, Control c, float dt);
/* Pedestrian: moves toward heading_cmd at speed_cmd with bounded turn rate and acceleration. */
void walker_step(KinState *k, float speed_cmd, float heading_cmd, float dt);

#endif
