/* traj — freezes an ego-frame trajectory into the world frame (see craft/traj.h). */
#include "craft/traj.h"
#include "craft/geom.h"
#include <math.h>

void traj_to_world(const Traj *t, float ego_x, float ego_y, float ego_heading, float ego_speed, TrajWorld *out) {
    int n = t->n < 0 ? 0 : (t->n > TRAJ_MAX ? TRAJ_MAX : t->n);
    out->n = n;
    out->x0 = ego_x;
    out->y0 = ego_y;
    out->h0 = ego_heading;
    out->v0 = ego_speed;
    float s, c;
    sincosf(ego_heading, &s, &c);   /* one rotation for all waypoints */
    for (int i = 0; i < n; i++) {
        out->x[i] = ego_x + c * t->x[i] - s * t->y[i];
        out->y[i] = ego_y + s * t->x[i] + c * t->y[i];
        /* remainderf first: wrap_angle's loop would spin on a huge heading from a broken policy. */
        out->heading[i] = wrap_angle(ego_heading + remainderf(t->heading[i], 2.0f * GEOM_PI));
    }
    for (int i = n; i < TRAJ_MAX; i++) out->x[i] = out->y[i] = out->heading[i] = 0.0f; /* snapshots hash clean */
}
