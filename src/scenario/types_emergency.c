/* types_emergency — SCENARIOS.md B3: the emergency-brake group (items 26-37). Something appears
 * in or crosses the ego's path (a blocker behind a junction, walkers, a cyclist, cut-in cars, an
 * emergency vehicle ignoring priority, braking traffic, loss of control) and the ego must brake.
 *
 * Adversaries start on the source's "time-to-arrival < T or within d" condition (scn_ego_near).
 * Turn and side choices are drawn from the 5 Bench2Drive routes' values (scn_pick5): "turn" is a
 * TurnKind (1 straight, 2 left, 3 right); "direction" is DIR_* below. Each section documents its
 * st.i[] / st.f[] use; st.sub is the type's sub-phase. Only BlockedIntersection has a
 * ScenarioTimeout (the other types add no scenario criteria in route mode). */
#include <math.h>
#include "scenario/scn_emergency_util.h"
#include "scenario/scn_internal.h"

#define KMH 0.2777778f
#define DEG 0.017453293f
#define HALF_PI 1.5707964f
#define STRAIGHT_START 60.0f /* route start on the straight road (m along the road) */

enum { DIR_RIGHT, DIR_LEFT, DIR_OPPOSITE };

/* ---- shared road setups ------------------------------------------------------------------- */

static float odometer(const Scenario *s) { return world_state_const(s->world)->ego.travelled; }
static Actor *actor(Scenario *s, int idx) { return &world_state(s->world)->actors[idx]; }

/* A straight two-way road with sidewalks; the ego in the rightmost (or leftmost) forward lane;
 * the trigger point 2-14 m after the route start; the route covers trigger + span metres. */
static int straight_route(Scenario *s, int fwd, int bwd, int parking, int leftmost, float span, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.lanes_fwd = fwd;
    s->mp.lanes_bwd = bwd;
    s->mp.length = 320.0f;
    s->mp.sidewalks = 1;
    s->mp.parking = (uint8_t)parking;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, STRAIGHT_START, 0.0f, 0.0f, 1u << LANE_DRIVING, 20.0f, &p))
        return err_set(e, "route %s: no forward lane", s->spec.id);
    int lane = scn_outer_lane(s->map, p.lane, leftmost);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 14.0f);
    return scn_route_along(s, lane, STRAIGHT_START, s->trigger_s + span, e);
}

/* A 4-way junction; the ego approaches from the arm at `bearing` (degrees) and takes `turn`,
 * starting trigger (2-12 m) + 20-30 m before the stop line and ending 25 m past the junction. */
static int junction_route(Scenario *s, uint8_t control, int crosswalks, float bearing, TurnKind turn, Err *e) {
    s->mp = map_default_params(MAP_JUNCTION4);
    s->mp.control = control;
    s->mp.length = 90.0f;
    s->mp.sidewalks = 1;
    s->mp.crosswalks = (uint8_t)crosswalks;
    if (scn_build_map(s, e)) return -1;
    int appr = scn_approach_at(s->map, 0, bearing, turn == TURN_LEFT);
    if (appr < 0) return err_set(e, "route %s: no approach at bearing %g", s->spec.id, bearing);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    float before = s->trigger_s + scn_param(s, "approach", 20.0f, 30.0f);
    return scn_route_turn(s, appr, turn, before, 25.0f, e);
}

/* Pose of the route at arc length rs shifted lat metres left; its lane and lane arc length. */
static void route_point(const Scenario *s, float rs, float lat, float *x, float *y, float *h, int *lane, float *ls) {
    int l;
    float q;
    scn_route_pose(s, rs, NULL, NULL, NULL, &l, &q);
    scn_lane_point(s->map, l, q, lat, x, y, h);
    if (lane) *lane = l;
    if (ls) *ls = q;
}

/* ---- 26. BlockedIntersection -------------------------------------------------------------------
 * Unsignalised junction (our choice: the Town 12/04/11 junctions vary; with background junction
 * sources removed the control does not matter). Ego from the south, turning as the routes do.
 * i[0] blocker, i[1] trigger step done; f[0..1] blocker x, y.
 * sub 0 = blocker placed, 1 = ego within 13 m (10 s wait). acts: 1 placed, 2 removed. */
static int blocked_build(Scenario *s, Err *e) {
    static const int turns[5] = {TURN_RIGHT, TURN_RIGHT, TURN_RIGHT, TURN_RIGHT, TURN_LEFT};
    TurnKind turn = (TurnKind)scn_pick5(s, "turn", turns);
    if (turn != TURN_LEFT && turn != TURN_RIGHT && turn != TURN_STRAIGHT)
        return err_set(e, "route %s: turn must be 1 (straight), 2 (left) or 3 (right)", s->spec.id);
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION; /* junction cleared, other entries stopped */
    return junction_route(s, CONTROL_PRIORITY, 0, 270.0f, turn, e);
}

static int blocked_populate(Scenario *s, Err *e) {
    int lane;
    float ls, x, y;
    route_point(s, scn_route_junction_exit_s(s) + 5.0f, 0.0f, &x, &y, NULL, &lane, &ls);
    s->st.i[0] = scn_add_parked(s, ACTOR_CAR, lane, ls, 0.0f, AF_HIDDEN);
    if (s->st.i[0] < 0) return err_set(e, "route %s: world full", s->spec.id);
    s->st.f[0] = x;
    s->st.f[1] = y;
    return 0;
}

static void blocked_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    float bx = s->st.f[0], by = s->st.f[1];
    if (!s->st.i[1]) {
        s->st.i[1] = 1;
        const Junction *j = &s->map->junctions[0];
        scn_clear_area(s, j->cx, j->cy, j->radius);
        scn_clear_area(s, bx, by, 10.0f);
        float rs = scn_route_junction_exit_s(s) + 5.0f;
        scn_leave_space_in_front(s, rs - scn_ego_progress(s) + 10.0f);
        scn_show(s, s->st.i[0]);
        scn_start_timer(s, SCN_TIMEOUT_S);
        s->st.acts++;
    }
    if (s->st.sub == 0 && scn_dist_to_ego(s, bx, by) < 13.0f) scn_set_sub(s, 1);
    if (s->st.sub == 1 && scn_sub_elapsed(s) >= 10.0 - 1e-6) {
        scn_hide(s, s->st.i[0]);
        s->st.acts++;
        scn_end(s);
    }
}

/* ---- 27. DynamicObjectCrossing -----------------------------------------------------------------
 * One lane each way, sidewalks. Blocker prop on the right sidewalk abreast the conflict point W
 * (ego lane, trigger + distance), broad side to the road: blocker_model 0-2 = advertisement
 * (2.0 x 0.4 m), 3-4 = container (6.0 x 1.6 m: narrowed from 2.4 m so that it stays on our 2 m
 * sidewalk and clear of the lane). Walker just past it, facing the road turned crossing_angle
 * towards the ego; walks 2 x |W - start| at 2 m/s.
 * i[0] walker, i[1] blocker, i[2] trigger step done; f[0..1] W, f[2] TTA threshold, f[3] walk
 * distance, f[4] odometer when the walk ended, f[5] distance (for LeaveSpaceInFront).
 * sub 0 = waiting, 1 = walking, 2 = walker gone (ego drives 40 m). */
static int dynamic_build(Scenario *s, Err *e) {
    float distance = scn_param(s, "distance", 40.0f, 50.0f);
    float angle = scn_param(s, "crossing_angle", 0.0f, 11.0f);
    int model = scn_choice(s, "blocker_model", 0, 4);
    if (fabsf(angle) > 90.0f) return err_set(e, "route %s: |crossing_angle| must be <= 90", s->spec.id);
    s->st.f[5] = distance;
    s->st.f[6] = angle;
    s->st.i[3] = model >= 3;
    return straight_route(s, 1, 1, 0, 0, distance + 70.0f, e);
}

static int dynamic_populate(Scenario *s, Err *e) {
    float wx, wy, h, sx, sy;
    int lane;
    float ls;
    route_point(s, s->trigger_s + s->st.f[5], 0.0f, &wx, &wy, &h, &lane, &ls);
    scn_sidewalk_abreast(s, lane, ls, 1, &sx, &sy, NULL);
    float blen = s->st.i[3] ? 6.0f : 2.0f, bwid = s->st.i[3] ? 1.6f : 0.4f;
    Actor b = actor_make_static(ACTOR_STATIC, sx, sy, h, blen, bwid);
    s->st.i[1] = scn_add_actor(s, &b);
    float along = 0.5f * blen + 0.5f, px = sx + along * cosf(h), py = sy + along * sinf(h);
    s->st.i[0] = scn_add_standing_walker(s, ACTOR_PEDESTRIAN, px, py, h + HALF_PI + s->st.f[6] * DEG, 1);
    if (s->st.i[0] < 0 || s->st.i[1] < 0) return err_set(e, "route %s: world full", s->spec.id);
    s->st.f[0] = wx;
    s->st.f[1] = wy;
    s->st.f[2] = 2.1f + 0.1f * floorf(s->st.f[6] / 5.0f);
    s->st.f[3] = 2.0f * hypotf(px - wx, py - wy);
    return 0;
}

/* Shared by 27 and 33: trigger step, release of the walker, removal, end 40 m later.
 * i[0] walker, i[2] trigger step done; f[0..1] conflict point, f[2] TTA, f[3] walk distance,
 * f[4] odometer at removal, f[5] leave-space distance, f[7] the release distance d_min. */
static void crossing_walker_script(Scenario *s, float speed) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[2]) {
        s->st.i[2] = 1;
        scn_leave_space_in_front(s, s->st.f[5]);
        scn_show(s, s->st.i[0]);
    }
    if (s->st.sub == 0 && scn_ego_near(s, s->st.f[0], s->st.f[1], s->st.f[7], s->st.f[2])) {
        scn_walker_go(s, s->st.i[0], s->st.f[3], speed);
        scn_clear_area(s, s->st.f[0], s->st.f[1], 20.0f); /* LeaveCrossingSpace */
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1 && (scn_walker_arrived(s, s->st.i[0]) || scn_sub_elapsed(s) >= s->st.f[3] / speed + 0.5)) {
        scn_hide_scripted(s); /* walker and blocker destroyed */
        s->st.f[4] = odometer(s);
        scn_set_sub(s, 2);
    }
    if (s->st.sub == 2 && odometer(s) - s->st.f[4] >= 40.0f) scn_end(s);
}

static void dynamic_script(Scenario *s) {
    s->st.f[7] = 6.0f;
    crossing_walker_script(s, 2.0f);
}

/* ---- 28. HardBreakRoute -----------------------------------------------------------------------
 * Two forward lanes, one back; the ego in either forward lane. The background vehicles ahead
 * in the ego's direction get a desired speed of 0 (speed_factor 0: the background speed cap
 * rewrites target_speed every tick, speed_factor is left alone) and brake at their comfortable
 * IDM deceleration (the TM profile is unverified); after 10 s they get 100 % again.
 * i[0] vehicles stopped; f[0] odometer at the release. sub 0 = braking, 1 = released.
 * acts: 1 at the brake, 2 at the release. */
static int hardbreak_build(Scenario *s, Err *e) {
    int leftmost = scn_choice(s, "lane", 0, 1);
    return straight_route(s, 2, 1, 0, leftmost, 120.0f, e);
}

/* Background road vehicles ahead of the ego driving its way (not flows, not hidden). */
static int front_vehicle(const Scenario *s, int i) {
    const Actor *a = &world_state_const(s->world)->actors[i], *ego = scn_ego(s);
    if (!(a->flags & AF_BACKGROUND) || (a->flags & AF_HIDDEN) || a->driver != DRIVER_TRAFFIC || s->st.flow_of[i] >= 0)
        return 0;
    float dx = a->k.x - ego->k.x, dy = a->k.y - ego->k.y;
    return dx * cosf(ego->k.heading) + dy * sinf(ego->k.heading) > 0.0f &&
           fabsf(wrap_angle(a->k.heading - ego->k.heading)) < 1.0f;
}

static void hardbreak_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    WorldState *ws = world_state(s->world);
    if (s->st.acts == 0) {
        for (int i = 1; i < ws->n_actors; i++)
            if (front_vehicle(s, i)) {
                ws->actors[i].speed_factor = 0.0f;
                s->st.i[0]++;
            }
        s->st.acts++;
    }
    if (s->st.sub == 0 && scn_sub_elapsed(s) >= 10.0 - 1e-6) {
        for (int i = 1; i < ws->n_actors; i++)
            if ((ws->actors[i].flags & AF_BACKGROUND) && ws->actors[i].speed_factor == 0.0f)
                ws->actors[i].speed_factor = 1.0f;
        s->st.acts++;
        s->st.f[0] = odometer(s);
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1 && odometer(s) - s->st.f[0] >= 15.0f) scn_end(s);
}

/* ---- 29. OppositeVehicleTakingPriority / 30. OppositeVehicleRunningRedLight ----------------------
 * An emergency vehicle 30 m before the junction on the entry at `direction` crosses straight at a
 * constant 60 km/h ignoring vehicles, lights and signs when the ego's time-to-arrival at the
 * conflict point C < 2.2 s or the ego is within 12 m of it; it is removed after spawn->sink
 * distance / speed. 29: unsignalised junction, the ego on the priority road (west arm) so the
 * adversary really takes priority; background junction entries stopped (removed). 30: signalised,
 * ego from the south, its light GREEN and all others RED from the trigger until it ends.
 * direction = opposite (one route of 30): the entry lines are parallel and C is undefined in the
 * source; we take the junction centre as C (our choice).
 * i[0] adversary, i[1] trigger step done, i[2] 1 = signalised, i[3] ego approach;
 * f[0..1] C, f[2] drive time limit, f[3] route s where the ego leaves the junction.
 * sub 0 = waiting, 1 = driving, 2 = removed. */
#define OPPOSITE_SPEED (60.0f * KMH)

static int opposite_build(Scenario *s, int signalised, const int turns[5], const int dirs[5], Err *e) {
    TurnKind turn = (TurnKind)scn_pick5(s, "turn", turns);
    int dir = scn_pick5(s, "direction", dirs);
    if (turn < TURN_STRAIGHT || turn > TURN_RIGHT || dir < DIR_RIGHT || dir > DIR_OPPOSITE)
        return err_set(e, "route %s: turn must be 1-3 and direction 0 (right), 1 (left) or 2 (opposite)", s->spec.id);
    float bearing = signalised ? 270.0f : 180.0f;
    s->st.i[2] = signalised;
    s->st.i[4] = dir;
    if (!signalised) s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION;
    return junction_route(s, signalised ? CONTROL_LIGHT : CONTROL_PRIORITY, 0, bearing, turn, e);
}

static int opposite_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int ego_appr;
    scn_route_junction(s, &ego_appr, NULL);
    float eb = s->st.i[2] ? 270.0f : 180.0f;
    float rel = s->st.i[4] == DIR_RIGHT ? 90.0f : s->st.i[4] == DIR_LEFT ? 270.0f : 180.0f;
    int src = scn_approach_at(m, 0, fmodf(eb + rel, 360.0f), 0);
    int conn = src >= 0 ? scn_connector(m, src, TURN_STRAIGHT) : -1;
    if (conn < 0) return err_set(e, "route %s: no straight crossing for the adversary", s->spec.id);
    int exit = scn_exit_lane(m, conn);
    float src_s = fmaxf(1.0f, m->lanes[src].length - 30.0f);
    int idx = scn_add_vehicle(s, ACTOR_EMERGENCY, src, src_s, 0.0f,
                              AF_HIDDEN | AF_SIREN | AF_IGNORE_VEHICLES | AF_IGNORE_LIGHTS | AF_IGNORE_SIGNS |
                                  AF_IGNORE_JUNCTION | AF_NO_LANE_CHANGE);
    if (idx < 0) return err_set(e, "route %s: world full", s->spec.id);
    Actor *a = actor(s, idx);
    a->path[1] = conn;
    a->path[2] = exit;
    a->path_len = 3;
    a->target_speed = 0.0f;
    /* C: the ego-lane and adversary-lane lines at their stop lines */
    float ex, ey, eh, ax, ay, ah, cx, cy;
    map_lane_pose(m, ego_appr, m->lanes[ego_appr].length, &ex, &ey, &eh);
    map_lane_pose(m, src, m->lanes[src].length, &ax, &ay, &ah);
    if (scn_line_intersection(ex, ey, eh, ax, ay, ah, &cx, &cy)) cx = m->junctions[0].cx, cy = m->junctions[0].cy;
    float kx, ky, kh;
    map_lane_pose(m, exit, fminf(10.0f, m->lanes[exit].length), &kx, &ky, &kh);
    s->st.i[0] = idx;
    s->st.i[3] = ego_appr;
    s->st.f[0] = cx;
    s->st.f[1] = cy;
    s->st.f[2] = hypotf(kx - a->k.x, ky - a->k.y) / OPPOSITE_SPEED;
    s->st.f[3] = scn_route_junction_exit_s(s);
    return 0;
}

static void opposite_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[1]) {
        s->st.i[1] = 1;
        const Junction *j = &s->map->junctions[0];
        scn_clear_area(s, j->cx, j->cy, j->radius);
        scn_clear_area(s, actor(s, s->st.i[0])->k.x, actor(s, s->st.i[0])->k.y, 7.0f);
        scn_show(s, s->st.i[0]);
        if (s->st.i[2]) scn_junction_lights(s, 0, s->st.i[3], LIGHT_GREEN, LIGHT_RED, -1.0f);
    }
    if (s->st.sub == 0 && scn_ego_near(s, s->st.f[0], s->st.f[1], 12.0f, 2.2f)) {
        Actor *a = actor(s, s->st.i[0]);
        a->target_speed = OPPOSITE_SPEED;
        a->k.speed = OPPOSITE_SPEED; /* constant-velocity mode: no acceleration phase */
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1 && scn_sub_elapsed(s) >= s->st.f[2]) {
        scn_hide(s, s->st.i[0]);
        scn_set_sub(s, 2);
    }
    if (scn_ego_progress(s) >= s->st.f[3]) {
        if (s->st.i[2]) scn_junction_lights(s, 0, -1, LIGHT_RED, LIGHT_RED, 0.0f); /* the plan resumes */
        scn_end(s);
    }
}

static int taking_priority_build(Scenario *s, Err *e) {
    static const int turns[5] = {TURN_LEFT, TURN_LEFT, TURN_LEFT, TURN_LEFT, TURN_RIGHT};
    static const int dirs[5] = {DIR_RIGHT, DIR_RIGHT, DIR_RIGHT, DIR_RIGHT, DIR_LEFT};
    return opposite_build(s, 0, turns, dirs, e);
}

static int red_light_build(Scenario *s, Err *e) {
    static const int turns[5] = {TURN_LEFT, TURN_STRAIGHT, TURN_STRAIGHT, TURN_STRAIGHT, TURN_RIGHT};
    static const int dirs[5] = {DIR_OPPOSITE, DIR_LEFT, DIR_LEFT, DIR_RIGHT, DIR_RIGHT};
    return opposite_build(s, 1, turns, dirs, e);
}

/* ---- 31. ParkingCutIn ------------------------------------------------------------------------
 * One lane each way with parking lanes. Our maps have the parking lane on the right of each
 * carriageway only, so the one left-side route is built on the right (our choice). Both cars
 * sit in the parking lane pushed out by (lane width - car half width) / 4: a static blocker
 * abreast trigger + 28 m and the cut-in car abreast trigger + 35 m (C = ego lane there). The
 * cut-in steers into the ego lane at 20 km/h; after 30 m both cars go and the scenario ends.
 * (The source's extra background space of +20 m is not modelled: LeaveSpaceInFront 45 m is.)
 * i[0] cut-in car, i[1] blocker, i[2] trigger step done, i[3] ego lane; f[0..1] C, f[2..3] the
 * cut-in car's start. sub 0 = parked, 1 = cutting in. */
static int parking_cutin_build(Scenario *s, Err *e) { return straight_route(s, 1, 1, 1, 0, 110.0f, e); }

/* Parking-lane spot abreast route s rs, pushed out towards the kerb. */
static void parking_spot(Scenario *s, float rs, float car_half_width, int *park, float *ls, float *lat) {
    int lane;
    float x, y;
    route_point(s, rs, 0.0f, &x, &y, NULL, &lane, NULL);
    *park = s->map->lanes[lane].right;
    LaneProj p;
    map_project(s->map, *park, x, y, -1, &p);
    *ls = p.s;
    *lat = -(s->map->lanes[*park].width - car_half_width) / 4.0f;
}

static int parking_cutin_populate(Scenario *s, Err *e) {
    int park, lane;
    float ls, lat;
    scn_route_pose(s, s->trigger_s, NULL, NULL, NULL, &lane, NULL);
    if (s->map->lanes[lane].right < 0 || s->map->lanes[s->map->lanes[lane].right].kind != LANE_PARKING)
        return err_set(e, "route %s: no parking lane beside the ego lane", s->spec.id);
    parking_spot(s, s->trigger_s + 28.0f, 0.975f, &park, &ls, &lat);
    s->st.i[1] = scn_add_parked(s, ACTOR_CAR, park, ls, lat, 0);
    parking_spot(s, s->trigger_s + 35.0f, 0.975f, &park, &ls, &lat);
    int idx = scn_add_vehicle(s, ACTOR_CAR, park, ls, 0.0f, AF_NO_LANE_CHANGE | AF_IGNORE_LIGHTS);
    if (idx < 0 || s->st.i[1] < 0) return err_set(e, "route %s: world full", s->spec.id);
    Actor *a = actor(s, idx);
    scn_lane_point(s->map, park, ls, lat, &a->k.x, &a->k.y, NULL);
    a->lat_offset = a->lat_target = lat;
    a->target_speed = 0.0f;
    s->st.i[0] = idx;
    s->st.i[3] = lane;
    route_point(s, s->trigger_s + 35.0f, 0.0f, &s->st.f[0], &s->st.f[1], NULL, NULL, NULL);
    return 0;
}

static void parking_cutin_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[2]) {
        s->st.i[2] = 1;
        scn_leave_space_in_front(s, 45.0f);
    }
    Actor *a = actor(s, s->st.i[0]);
    if (s->st.sub == 0 && scn_ego_near(s, s->st.f[0], s->st.f[1], 10.0f, 2.35f)) {
        scn_lane_change(s, s->st.i[0], s->st.i[3]);
        a->target_speed = 20.0f * KMH;
        s->st.f[2] = a->k.x;
        s->st.f[3] = a->k.y;
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1 && hypotf(a->k.x - s->st.f[2], a->k.y - s->st.f[3]) >= 30.0f) {
        scn_hide_scripted(s);
        scn_end(s);
    }
}

/* ---- 32. PedestrianCrossing ---------------------------------------------------------------------
 * Signalised junction with crosswalks (our choice for the urban towns). C = the ego lane's stop
 * line; S = the right sidewalk abreast C; 3 walkers at (forward, right) offsets from S facing
 * across the road, each with an idle delay U[0, 1.5] s and speed U[1.3, 2.0] m/s, walking
 * 2.3 x their distance to C, then gone. The scenario never ends by itself (as in the source).
 * i[0..2] walkers, i[3] trigger step done, i[4] bits: walker started, i[5] bits: walker gone;
 * f[0..1] C, f[2..4] delays, f[5] route s of C. sub 0 = waiting, 1 = released. */
static int pedestrian_build(Scenario *s, Err *e) {
    static const int turns[5] = {TURN_STRAIGHT, TURN_STRAIGHT, TURN_RIGHT, TURN_RIGHT, TURN_RIGHT};
    TurnKind turn = (TurnKind)scn_pick5(s, "turn", turns);
    if (turn < TURN_STRAIGHT || turn > TURN_RIGHT) return err_set(e, "route %s: turn must be 1-3", s->spec.id);
    return junction_route(s, CONTROL_LIGHT, 1, 270.0f, turn, e);
}

static int pedestrian_populate(Scenario *s, Err *e) {
    static const float fwd[3] = {0.4f, 1.0f, 1.6f}, right[3] = {1.5f, 2.5f, 0.5f};
    int appr;
    scn_route_junction(s, &appr, NULL);
    const Lane *l = &s->map->lanes[appr];
    float cx, cy, h, sx, sy;
    map_lane_pose(s->map, appr, l->length, &cx, &cy, &h);
    scn_sidewalk_abreast(s, appr, l->length, 1, &sx, &sy, NULL);
    for (int k = 0; k < 3; k++) {
        float x = sx + fwd[k] * cosf(h) + right[k] * sinf(h), y = sy + fwd[k] * sinf(h) - right[k] * cosf(h);
        s->st.i[k] = scn_add_standing_walker(s, ACTOR_PEDESTRIAN, x, y, h + HALF_PI, 1);
        if (s->st.i[k] < 0) return err_set(e, "route %s: world full", s->spec.id);
        s->st.f[2 + k] = rng_range(&s->build_rng, 0.0f, 1.5f);
        actor(s, s->st.i[k])->walk_speed = rng_range(&s->build_rng, 1.3f, 2.0f);
    }
    s->st.f[0] = cx;
    s->st.f[1] = cy;
    s->st.f[5] = scn_route_junction_s(s);
    return 0;
}

static void pedestrian_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    float cx = s->st.f[0], cy = s->st.f[1];
    if (!s->st.i[3]) {
        s->st.i[3] = 1;
        scn_leave_space_in_front(s, s->st.f[5] - scn_ego_progress(s)); /* the ego's entry cleared */
        for (int k = 0; k < 3; k++) scn_show(s, s->st.i[k]);
    }
    if (s->st.sub == 0 && scn_ego_near(s, cx, cy, 12.0f, 3.5f)) {
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub != 1) return;
    for (int k = 0; k < 3; k++) {
        int bit = 1 << k, idx = s->st.i[k];
        if (!(s->st.i[4] & bit) && scn_sub_elapsed(s) >= s->st.f[2 + k]) {
            const Actor *a = actor(s, idx);
            scn_walker_go(s, idx, 2.3f * hypotf(a->k.x - cx, a->k.y - cy), a->walk_speed);
            s->st.i[4] |= bit;
        }
        if ((s->st.i[4] & bit) && !(s->st.i[5] & bit) && scn_walker_arrived(s, idx)) {
            scn_hide(s, idx);
            s->st.i[5] |= bit;
        }
    }
}

/* ---- 33. ParkingCrossingPedestrian --------------------------------------------------------------
 * One lane each way with a parking lane on the right. Parked car one lane width right of the ego
 * lane at trigger + distance; walker (car half length + 0.5 m) beyond it, also one lane width
 * right, facing the road turned crossing_angle towards the ego; walks 8 m at 2 m/s.
 * st as crossing_walker_script (27), plus i[1] the parked car. */
static int parking_ped_build(Scenario *s, Err *e) {
    float distance = scn_param(s, "distance", 36.0f, 45.0f);
    float angle = scn_param(s, "crossing_angle", 0.0f, 12.0f);
    if (fabsf(angle) > 90.0f) return err_set(e, "route %s: |crossing_angle| must be <= 90", s->spec.id);
    s->st.f[5] = distance;
    s->st.f[6] = angle;
    return straight_route(s, 1, 1, 1, 0, distance + 70.0f, e);
}

static int parking_ped_populate(Scenario *s, Err *e) {
    float distance = s->st.f[5], angle = s->st.f[6], x, y, h;
    int lane;
    float ls;
    route_point(s, s->trigger_s + distance, 0.0f, &x, &y, &h, &lane, &ls);
    float w = s->map->lanes[lane].width;
    s->st.i[1] = scn_add_parked(s, ACTOR_CAR, lane, ls, -w, 0);
    if (s->st.i[1] < 0) return err_set(e, "route %s: world full", s->spec.id);
    float along = 0.5f * actor(s, s->st.i[1])->length + 0.5f, px, py;
    scn_lane_point(s->map, lane, ls + along, -w, &px, &py, NULL);
    s->st.i[0] = scn_add_standing_walker(s, ACTOR_PEDESTRIAN, px, py, h + HALF_PI + angle * DEG, 1);
    if (s->st.i[0] < 0) return err_set(e, "route %s: world full", s->spec.id);
    scn_lane_point(s->map, lane, ls + along, 0.0f, &s->st.f[0], &s->st.f[1], NULL);
    s->st.f[2] = 2.15f + 0.1f * floorf(angle / 5.0f);
    s->st.f[3] = 8.0f;
    s->st.f[5] = distance + 15.0f;
    return 0;
}

static void parking_ped_script(Scenario *s) {
    s->st.f[7] = 6.0f;
    crossing_walker_script(s, 2.0f);
}

/* ---- 34. StaticCutIn ------------------------------------------------------------------------------
 * Two forward lanes, the ego in the left one; a queue of 6 stopped cars in the right lane from
 * B = trigger + distance, 11 m apart, the third (B + 22 m) cuts in. Cut-in: 3 s lateral move
 * into the ego lane at the ego's speed of that instant (the lateral offset is driven linearly by
 * the script, as a BasicAgent's lane-change plan, ignoring the queue car ahead; our traffic
 * model's own lane changes stall behind it from standstill), 2 s more, then 60 km/h along the ego lane for 70 m; at most 30 s.
 * i[0] cut-in car, i[1] trigger step done, i[2] ego lane, i[3] queue lane, i[4] 1 = moved to
 * the ego lane (after the 3 s lateral move); f[0..1] C, f[2] lateral distance queue -> ego lane, f[3..4] position at the start of the 70 m, f[5] time the cut-in
 * started, f[6] distance. sub 0 = waiting, 1 = lateral (3 s) + 2 s, 2 = 70 m at 60 km/h. */
static int static_cutin_build(Scenario *s, Err *e) {
    s->st.f[6] = scn_param(s, "distance", 40.0f, 45.0f);
    return straight_route(s, 2, 1, 0, 1, s->st.f[6] + 55.0f + 40.0f, e);
}

static int static_cutin_populate(Scenario *s, Err *e) {
    int lane;
    scn_route_pose(s, s->trigger_s, NULL, NULL, NULL, &lane, NULL);
    int queue = s->map->lanes[lane].right;
    if (queue < 0 || s->map->lanes[lane].right_opposite) return err_set(e, "route %s: no lane on the right", s->spec.id);
    for (int k = 0; k < 6; k++) {
        float x, y;
        route_point(s, s->trigger_s + s->st.f[6] + 11.0f * (float)k, 0.0f, &x, &y, NULL, NULL, NULL);
        LaneProj p;
        map_project(s->map, queue, x, y, -1, &p);
        int idx = k == 2 ? scn_add_vehicle(s, ACTOR_CAR, queue, p.s, 0.0f, AF_HIDDEN | AF_NO_LANE_CHANGE)
                         : scn_add_parked(s, ACTOR_CAR, queue, p.s, 0.0f, AF_HIDDEN);
        if (idx < 0) return err_set(e, "route %s: world full", s->spec.id);
        if (k == 2) {
            s->st.i[0] = idx;
            actor(s, idx)->target_speed = 0.0f;
            s->st.f[0] = x;
            s->st.f[1] = y;
        }
    }
    s->st.i[2] = lane;
    s->st.i[3] = queue;
    return 0;
}

static void static_cutin_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[1]) {
        s->st.i[1] = 1;
        scn_leave_space_in_front(s, s->st.f[6] + 66.0f);
        for (int k = 0; k < s->st.n_actors; k++) { /* placed where no background car stands */
            const Actor *q = actor(s, s->st.actors[k]);
            scn_clear_area(s, q->k.x, q->k.y, 7.0f);
            scn_show(s, s->st.actors[k]);
        }
    }
    Actor *a = actor(s, s->st.i[0]);
    if (s->st.sub == 0 && scn_ego_near(s, s->st.f[0], s->st.f[1], 15.0f, 2.7f)) {
        WorldState *ws = world_state(s->world);
        for (int i = 1; i < ws->n_actors; i++) /* the queue lane is cleared of background traffic */
            if ((ws->actors[i].flags & AF_BACKGROUND) && ws->actors[i].driver == DRIVER_TRAFFIC &&
                ws->actors[i].path[0] == s->st.i[3] && s->st.flow_of[i] < 0)
                ws->actors[i].flags |= AF_HIDDEN;
        a->target_speed = scn_ego(s)->k.speed;
        a->idm.a = 2.0f;
        a->flags |= AF_IGNORE_VEHICLES;
        LaneProj p;
        map_project(s->map, s->st.i[2], a->k.x, a->k.y, -1, &p);
        s->st.f[2] = -p.d; /* lateral distance to the ego lane */
        s->st.f[5] = (float)scn_time(s);
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1) {
        float t = (float)scn_sub_elapsed(s) + world_config(s->world)->dt; /* offset after this step */
        if (!s->st.i[4]) {
            /* the lateral move runs as an offset (the whole lane width at once: our kinematic
             * bicycle must steer out hard to clear the queue car 6 m ahead) from the queue lane;
             * the traffic model then looks for leaders in the ego lane it enters */
            a->lat_offset = a->lat_target = s->st.f[2];
            if (t >= 3.0f) {
                s->st.i[4] = 1;
                scn_lane_change(s, s->st.i[0], s->st.i[2]);
                a->flags &= (uint16_t)~AF_IGNORE_VEHICLES;
            }
        }
        if (t >= 5.0f) {
            a->target_speed = 60.0f * KMH;
            s->st.f[3] = a->k.x;
            s->st.f[4] = a->k.y;
            scn_set_sub(s, 2);
        }
    }
    if (s->st.sub == 2 && (hypotf(a->k.x - s->st.f[3], a->k.y - s->st.f[4]) >= 70.0f ||
                           scn_time(s) - s->st.f[5] >= 30.0 - 1e-6)) {
        scn_hide_scripted(s);
        scn_end(s);
    }
}

/* ---- 35. VehicleTurningRoute / 36. VehicleTurningRoutePedestrian ---------------------------------
 * Signalised junction with sidewalks (our choice), ego from the south. 35: a bicycle on the right
 * sidewalk of the exit road abreast C = junction exit + 11 m crosses at a forced 1.8 m/s for
 * 2 x |start - C| (TTA 1.8 s / 6 m). 36: C = exit + 0.5 m; a walker on the right sidewalk (ego
 * turns left) or the far one (ego turns right) crosses the whole road at 1.8 m/s (TTA 2.2 s /
 * 6 m). The source's second CollisionTest of 36 (collisions counted twice) is not modelled: the
 * criteria have no hook for it. Both end 40 m (odometer) after the crosser is gone.
 * i[0] crosser, i[1] trigger step done; f[0..1] C, f[2] TTA, f[3] crossing distance, f[4]
 * odometer when gone. sub 0 = waiting, 1 = crossing, 2 = gone. */
static int turning_build(Scenario *s, Err *e) {
    static const int turns[5] = {TURN_LEFT, TURN_LEFT, TURN_LEFT, TURN_LEFT, TURN_RIGHT};
    TurnKind turn = (TurnKind)scn_pick5(s, "turn", turns);
    if (turn != TURN_LEFT && turn != TURN_RIGHT) return err_set(e, "route %s: turn must be 2 (left) or 3 (right)", s->spec.id);
    return junction_route(s, CONTROL_LIGHT, 0, 270.0f, turn, e);
}

static int turning_populate(Scenario *s, Err *e) {
    int pedestrian = s->type->name[19] == 'P'; /* "VehicleTurningRoutePedestrian" */
    float rs = scn_route_junction_exit_s(s) + (pedestrian ? 0.5f : 11.0f), cx, cy, h, sx, sy, lat;
    int lane, conn;
    float ls;
    route_point(s, rs, 0.0f, &cx, &cy, &h, &lane, &ls);
    scn_route_junction(s, NULL, &conn);
    /* 35: always the right sidewalk; 36: the right one when the ego turns left, else the far one */
    int right_side = !pedestrian || s->map->lanes[conn].turn == TURN_LEFT;
    scn_sidewalk_abreast(s, lane, ls, right_side, &sx, &sy, &lat);
    float dist = 2.0f * fabsf(lat);
    if (pedestrian) {
        float ox, oy, olat;
        scn_sidewalk_abreast(s, lane, ls, !right_side, &ox, &oy, &olat);
        dist = fabsf(lat) + fabsf(olat);
    }
    float heading = h + (right_side ? HALF_PI : -HALF_PI);
    s->st.i[0] = scn_add_standing_walker(s, pedestrian ? ACTOR_PEDESTRIAN : ACTOR_BICYCLE, sx, sy, heading, pedestrian);
    if (s->st.i[0] < 0) return err_set(e, "route %s: world full", s->spec.id);
    s->st.f[0] = cx;
    s->st.f[1] = cy;
    s->st.f[2] = pedestrian ? 2.2f : 1.8f;
    s->st.f[3] = dist;
    return 0;
}

static void turning_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[1]) {
        s->st.i[1] = 1;
        scn_show(s, s->st.i[0]);
    }
    if (s->st.sub == 0 && scn_ego_near(s, s->st.f[0], s->st.f[1], 6.0f, s->st.f[2])) {
        scn_walker_go(s, s->st.i[0], s->st.f[3], 1.8f);
        scn_clear_area(s, s->st.f[0], s->st.f[1], 20.0f); /* opposite background near C */
        s->st.acts++;
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1 && (scn_walker_arrived(s, s->st.i[0]) || scn_sub_elapsed(s) >= s->st.f[3] / 1.8f + 0.5)) {
        scn_hide(s, s->st.i[0]);
        s->st.f[4] = odometer(s);
        scn_set_sub(s, 2);
    }
    if (s->st.sub == 2 && odometer(s) - s->st.f[4] >= 40.0f) scn_end(s);
}

/* ---- 37. ControlLoss ---------------------------------------------------------------------------
 * One lane each way. Three flat debris at trigger + 14 / 48 / 74 m on the ego lane centre. They
 * are not actors: a static actor would be an obstacle to traffic logic and a collision, while the
 * source's debris are flat props one drives over (whether they collide is unverified). While the
 * ego is within 2 m of debris k (in order), its applied control gets throttle N(+-0.03, 0.01) and
 * steer N(+-0.055, 0.015) (signs drawn per debris at creation) through WorldState.ego_noise,
 * converted to our units with the ego's max_accel and max_steer. Ends after 110 m (odometer).
 * i[0] next debris, i[1] 1 = inside debris i[0]'s radius, i[2] sign bits (k: throttle, k + 3:
 * steer, set = negative); f[0..2] route s of the debris, f[3] odometer at the trigger.
 * acts: one per debris reached. */
static int control_loss_build(Scenario *s, Err *e) { return straight_route(s, 1, 1, 0, 0, 125.0f, e); }

static int control_loss_populate(Scenario *s, Err *e) {
    (void)e;
    static const float at[3] = {14.0f, 48.0f, 74.0f};
    for (int k = 0; k < 3; k++) {
        s->st.f[k] = s->trigger_s + at[k];
        if (rng_uniform(&s->build_rng) < 0.5f) s->st.i[2] |= 1 << k;
        if (rng_uniform(&s->build_rng) < 0.5f) s->st.i[2] |= 1 << (k + 3);
    }
    return 0;
}

static void control_loss_script(Scenario *s) {
    WorldState *ws = world_state(s->world);
    ws->ego_noise = (Control){0.0f, 0.0f};
    if (s->st.phase != SCN_RUNNING) return;
    if (s->st.sub == 0) {
        s->st.f[3] = odometer(s);
        scn_set_sub(s, 1);
    }
    int k = s->st.i[0];
    if (k < 3) {
        float x, y;
        scn_route_pose(s, s->st.f[k], &x, &y, NULL, NULL, NULL);
        int inside = scn_dist_to_ego(s, x, y) < 2.0f;
        if (inside) {
            if (!s->st.i[1]) s->st.acts++;
            float mt = (s->st.i[2] >> k & 1) ? -0.03f : 0.03f, ms = (s->st.i[2] >> (k + 3) & 1) ? -0.055f : 0.055f;
            const VehicleParams *vp = &scn_ego(s)->veh;
            ws->ego_noise.accel = (mt + 0.01f * rng_normal(&s->st.rng)) * vp->max_accel;
            ws->ego_noise.steer = (ms + 0.015f * rng_normal(&s->st.rng)) * vp->max_steer;
        } else if (s->st.i[1]) {
            s->st.i[0]++; /* left debris k: on to the next */
        }
        s->st.i[1] = inside;
    }
    if (odometer(s) - s->st.f[3] >= 110.0f) scn_end(s);
}

/* ---- registry ------------------------------------------------------------------------------------ */
static const ScenarioType BLOCKED_INTERSECTION = {"BlockedIntersection", blocked_build, blocked_populate, blocked_script};
static const ScenarioType DYNAMIC_OBJECT_CROSSING = {"DynamicObjectCrossing", dynamic_build, dynamic_populate,
                                                     dynamic_script};
static const ScenarioType HARD_BREAK_ROUTE = {"HardBreakRoute", hardbreak_build, NULL, hardbreak_script};
static const ScenarioType OPPOSITE_TAKING_PRIORITY = {"OppositeVehicleTakingPriority", taking_priority_build,
                                                      opposite_populate, opposite_script};
static const ScenarioType OPPOSITE_RUNNING_RED = {"OppositeVehicleRunningRedLight", red_light_build, opposite_populate,
                                                  opposite_script};
static const ScenarioType PARKING_CUT_IN = {"ParkingCutIn", parking_cutin_build, parking_cutin_populate,
                                            parking_cutin_script};
static const ScenarioType PEDESTRIAN_CROSSING = {"PedestrianCrossing", pedestrian_build, pedestrian_populate,
                                                 pedestrian_script};
static const ScenarioType PARKING_CROSSING_PEDESTRIAN = {"ParkingCrossingPedestrian", parking_ped_build,
                                                         parking_ped_populate, parking_ped_script};
static const ScenarioType STATIC_CUT_IN = {"StaticCutIn", static_cutin_build, static_cutin_populate,
                                           static_cutin_script};
static const ScenarioType VEHICLE_TURNING_ROUTE = {"VehicleTurningRoute", turning_build, turning_populate,
                                                   turning_script};
static const ScenarioType VEHICLE_TURNING_ROUTE_PEDESTRIAN = {"VehicleTurningRoutePedestrian", turning_build,
                                                              turning_populate, turning_script};
static const ScenarioType CONTROL_LOSS = {"ControlLoss", control_loss_build, control_loss_populate,
                                          control_loss_script};

const ScenarioType *const scn_types_emergency[] = {
    &BLOCKED_INTERSECTION, &DYNAMIC_OBJECT_CROSSING, &HARD_BREAK_ROUTE, &OPPOSITE_TAKING_PRIORITY,
    &OPPOSITE_RUNNING_RED, &PARKING_CUT_IN, &PEDESTRIAN_CROSSING, &PARKING_CROSSING_PEDESTRIAN,
    &STATIC_CUT_IN, &VEHICLE_TURNING_ROUTE, &VEHICLE_TURNING_ROUTE_PEDESTRIAN, &CONTROL_LOSS, NULL};
