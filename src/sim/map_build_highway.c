/* map_build_highway — a one-way multi-lane carriageway along +x with an entry ramp and an exit ramp.
 * Entry: the ramp bends onto an acceleration lane that runs beside the rightmost lane (its right
 * neighbour) and then tapers into it inside a short merge "junction" whose two connectors merge
 * (a CONFLICT_MERGING pair); the ramp side yields. Exit: the exit ramp leaves the rightmost lane
 * as a second successor and bends away to the right. */
#include <math.h>
#include "sim/map_internal.h"

#define ACCEL_LANE_LEN 80.0 /* acceleration lane beside the rightmost lane */
#define TAPER_LEN 60.0      /* where the acceleration lane merges (a 3.5 m shift: about 3.5 m/s^2 at 25 m/s) */
#define RAMP_ANGLE 0.35     /* rad: ramps meet the carriageway at about 20 degrees */
#define RAMP_STRAIGHT 80.0  /* straight part of each ramp beyond its bend */

static int main_road(MapBuilder *b, const MapParams *p, double x0, double x1, RoadLanes *r) {
    RefPath path;
    path_start(&path, x0, 0, 0);
    path_line(&path, x1 - x0);
    return mb_road(b, p, &path, p->lanes_fwd, 0, p->speed_limit, r);
}

int map_build_highway(MapBuilder *b, const MapParams *p) {
    int n = p->lanes_fwd;
    double w = p->lane_width, len = p->length, radius = p->radius;
    double x_acc = 0.25 * len, x_taper = x_acc + ACCEL_LANE_LEN, x_merged = x_taper + TAPER_LEN;
    double x_exit = 0.7 * len;
    double y_acc = -0.5 * n * w - 0.5 * w; /* acceleration lane centre, right of the rightmost lane */
    float ramp_speed = (float)fmin(p->speed_limit, sqrt(MAP_LAT_ACCEL * radius));
    RoadLanes up, acc_road, mid, down;
    if (main_road(b, p, 0, x_acc, &up)) return -1;

    /* the acceleration section: the main lanes plus the acceleration lane */
    RefPath acc_path;
    path_start(&acc_path, x_acc, 0, 0);
    path_line(&acc_path, ACCEL_LANE_LEN);
    if (mb_road(b, p, &acc_path, n, 0, p->speed_limit, &acc_road)) return -1;
    LaneSpec ramp = {.kind = LANE_DRIVING, .width = (float)w, .speed_limit = p->speed_limit,
                     .road = b->m->lanes[acc_road.fwd[0]].road, .junction = -1, .is_ramp = 1,
                     .left_bound = BOUND_BROKEN, .right_bound = BOUND_EDGE};
    int acc = mb_lane_offset(b, &ramp, &acc_path, y_acc, 0);
    if (acc < 0) return -1;
    b->m->lanes[acc_road.fwd[n - 1]].right_bound = BOUND_BROKEN;
    mb_neighbours(b, acc_road.fwd[n - 1], acc, 0, 0);
    for (int i = 0; i < n; i++) mb_link(b, up.fwd[i], acc_road.fwd[i]);

    if (main_road(b, p, x_merged, x_exit, &mid) || main_road(b, p, x_exit, len, &down)) return -1;

    /* the merge zone: one straight connector per main lane, plus the taper from the acceleration lane */
    double half_w = 0.5 * n * w + w;
    int junction = mb_add_junction(b, (float)(0.5 * (x_taper + x_merged)), (float)(-0.5 * w),
                                   (float)hypot(0.5 * TAPER_LEN, half_w));
    int first = b->m->n_lanes, road = mb_new_road(b);
    for (int i = 0; i < n; i++) {
        int from = acc_road.fwd[i];
        if (mb_connector(b, junction, road, TURN_STRAIGHT, (float)w, p->speed_limit, from, mid.fwd[i]) < 0) return -1;
        b->m->lanes[from].control = CONTROL_PRIORITY;
    }
    int taper = mb_connector(b, junction, mb_new_road(b), TURN_STRAIGHT, (float)w, p->speed_limit, acc, mid.fwd[n - 1]);
    if (taper < 0) return -1;
    b->m->lanes[taper].is_ramp = 1;
    b->m->lanes[taper].speed_limit = p->speed_limit; /* a gentle lane shift, not a bend to slow for */
    b->m->lanes[acc].control = CONTROL_YIELD;
    b->m->junctions[junction].n_lanes = n + 1;
    if (mb_junction_conflicts(b, first, n + 1)) return -1;
    for (int i = 0; i < n; i++) mb_link(b, mid.fwd[i], down.fwd[i]);

    /* entry ramp: a straight at RAMP_ANGLE, then a right bend ending on the acceleration lane */
    RefPath probe, entry;
    path_start(&probe, 0, 0, RAMP_ANGLE);
    path_line(&probe, RAMP_STRAIGHT);
    path_arc(&probe, -1.0 / radius, RAMP_ANGLE * radius);
    double ex, ey, eh, ek;
    path_eval(&probe, probe.length, &ex, &ey, &eh, &ek);
    path_start(&entry, x_acc - ex, y_acc - ey, RAMP_ANGLE);
    path_line(&entry, RAMP_STRAIGHT);
    path_arc(&entry, -1.0 / radius, RAMP_ANGLE * radius);
    ramp.road = mb_new_road(b);
    ramp.speed_limit = ramp_speed;
    ramp.left_bound = BOUND_EDGE;
    int on = mb_lane_offset(b, &ramp, &entry, 0, 0);
    mb_link(b, on, acc);

    /* exit ramp: a right bend leaving the end of the rightmost lane, then a straight */
    const LanePoint *split = mb_lane_end(b, mid.fwd[n - 1]);
    RefPath exit_path;
    path_start(&exit_path, split->x, split->y, 0);
    path_arc(&exit_path, -1.0 / radius, RAMP_ANGLE * radius);
    path_line(&exit_path, RAMP_STRAIGHT);
    ramp.road = mb_new_road(b);
    int off = mb_lane_offset(b, &ramp, &exit_path, 0, 0);
    mb_link(b, mid.fwd[n - 1], off);
    return b->failed ? -1 : 0;
}
