/* traj — the action every policy emits: H waypoints (x, y, heading) in the ego frame, 0.5 s apart
 * (waypoint i is the pose planned for t = (i+1)·0.5 s). The world freezes it into the world frame
 * at planning time (traj_to_world) so the tracker can follow it while the ego moves. */
#ifndef CRAFT_TRAJ_H
#define CRAFT_TRAJ_H

#define TRAJ_MAX 8
#define TRAJ_DT 0.5f

typedef struct { int n; float x[TRAJ_MAX], y[TRAJ_MAX], heading[TRAJ_MAX]; } Traj;

/* A trajectory frozen in the world frame: the start pose and speed at planning time, then the
 * n waypoints; t_since_plan advances as the world steps. */
typedef struct {
    int n;
    float x0, y0, h0, v0;
    float x[TRAJ_MAX], y[TRAJ_MAX], heading[TRAJ_MAX];
} TrajWorld;

void traj_to_world(const Traj *t, float ego_x, float ego_y, float ego_heading, float ego_speed, TrajWorld *out);

#endif
