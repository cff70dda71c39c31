/* types_overtaking — SCENARIOS.md B1: an obstacle blocks the ego lane on a straight road; the
 * ego passes it through the adjacent same-direction lane or, for the *TwoWays variants, through
 * the oncoming lane while an OppositeActorFlow runs there (wrong-direction check switched off).
 *
 * Shared script (obstacle_script), st.i[] / st.f[] use for all nine types:
 *   i[OB_LANE] ego/obstacle lane, i[OB_TWO] 1 = TwoWays (flow + wrong-direction switch) else speed cap,
 *   i[OB_FLOW] oncoming flow index (-1), i[OB_STEP] 0 before the trigger step, 1 running, 2 actors
 *   removed after the end, i[OB_REF] actor whose position is the approach reference (-1: the static
 *   point f[0]), i[OB_MODE] OBM_* bits, i[6] / i[7] type-specific (bicycle indices, parked car);
 *   f[0] lane s of the approach reference (first obstacle / construction point / door point),
 *   f[1] lane s of the end point (OBM_CUSTOM_END: odometer when the ego got ahead of bicycle #2, -1),
 *   f[2] background speed cap (m/s), f[3..6] the type's XML parameters, f[7] route s of the last
 *   obstacle (LeaveSpaceInFront);
 *   sub 0 = triggered, 1 = ego within the approach distance (5 s wait), 2 = cap / flow active. */
#include <math.h>
#include <string.h>
#include "scenario/scn_internal.h"

#define KMH 0.2777778f

enum { OB_LANE, OB_TWO, OB_FLOW, OB_STEP, OB_REF, OB_MODE };
enum { OBM_CUSTOM_END = 1, OBM_KEEP_WRONG_DIR_OFF = 2 };
enum { OBST_TRIGGERED = 1, OBST_APPROACHED = 2, OBST_ACTIVATED = 4 };
enum { ROAD_PARKING = 1, ROAD_NO_SIDEWALK = 2 };

/* A straight road with the ego in the rightmost lane of `fwd` forward lanes; the trigger point
 * 2-14 m after the route start; the route ends `tail` = 65 m after the obstacle span (the end
 * point lies 50 m past the last obstacle). */
static int straight_route(Scenario *s, int fwd, int bwd, float obstacle_span, unsigned road, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.lanes_fwd = fwd;
    s->mp.lanes_bwd = bwd;
    s->mp.length = 320.0f;
    s->mp.sidewalks = !(road & ROAD_NO_SIDEWALK);
    s->mp.parking = (road & ROAD_PARKING) != 0;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, 60.0f, 0.0f, 0.0f, 1u << LANE_DRIVING, 20.0f, &p))
        return err_set(e, "route %s: no forward lane", s->spec.id);
    int lane = scn_outer_lane(s->map, p.lane, 0);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 14.0f);
    float start = 60.0f;
    s->ego_speed0 = 0.0f;
    return scn_route_along(s, lane, start, s->trigger_s + obstacle_span + 50.0f + 15.0f, e);
}

/* Resolves the obstacle lane and the approach reference (route s trigger + distance + ahead). */
static void obstacle_setup(Scenario *s, float distance, float speed_kmh, int two_ways) {
    int lane;
    float ls;
    scn_route_pose(s, s->trigger_s + distance, NULL, NULL, NULL, &lane, &ls);
    s->st.i[OB_LANE] = lane;
    s->st.f[0] = ls;
    s->st.f[2] = speed_kmh * KMH;
    s->st.i[OB_TWO] = two_ways;
    s->st.i[OB_FLOW] = -1;
    s->st.i[OB_REF] = -1;
}

/* Warning prop at the trigger point on the shoulder: the road edge of the rightmost lane, pushed
 * out by 0.3 lane widths (our roads have no shoulder lane; the sidewalk kerb lies beyond). */
static int warning_prop(Scenario *s) {
    int lane;
    float ls;
    scn_route_pose(s, s->trigger_s, NULL, NULL, NULL, &lane, &ls);
    int outer = scn_outer_lane(s->map, lane, 0);
    float w = s->map->lanes[outer].width;
    return scn_add_prop(s, outer, ls, -(0.5f * w + 0.3f * w + 0.4f), 0.6f, 0.6f);
}

/* OppositeActorFlow next to lane s `ls` of the ego lane (the lane left of it, running the other
 * way): source L = 1.5 v_kmh + 30 m beyond, sink L m before, spacing U[gap_lo, gap_hi]. */
static void opposite_flow(Scenario *s, float ls, float gap_lo, float gap_hi) {
    int ego_lane = s->st.i[OB_LANE];
    const Lane *l = &s->map->lanes[ego_lane];
    if (l->left < 0 || !l->left_opposite) return;
    int opp = l->left;
    float x, y, h;
    map_lane_pose(s->map, ego_lane, ls, &x, &y, &h);
    LaneProj p;
    map_project(s->map, opp, x, y, -1, &p);
    float v = l->speed_limit, len = 1.5f * v / KMH + 30.0f, olen = s->map->lanes[opp].length;
    float src = fmaxf(1.0f, p.s - len), sink = fminf(olen - 1.0f, p.s + len);
    int path[1] = {opp};
    s->st.i[OB_FLOW] = scn_flow_add(s, FLOW_REACTIVE, ACTOR_CAR, path, 1, src, opp, sink, v, gap_lo, gap_hi);
}

/* RemoveRoadLane: background vehicles driving on `lane` are taken out of the world. */
static void clear_lane_background(Scenario *s, int lane) {
    WorldState *ws = world_state(s->world);
    for (int i = 1; i < ws->n_actors; i++) {
        Actor *a = &ws->actors[i];
        if ((a->flags & AF_BACKGROUND) && s->st.flow_of[i] < 0 && a->path[0] == lane) a->flags |= AF_HIDDEN;
    }
}

static void hide_scripted(Scenario *s) {
    for (int k = 0; k < s->st.n_actors; k++) scn_hide(s, s->st.actors[k]);
}

/* The common obstacle behaviour; returns OBST_* bits of what happened this tick so that types
 * add their own act (show props, start bicycles, open the door). approach_tta > 0 also fires
 * the approach on time-to-arrival. */
static int obstacle_script(Scenario *s, float approach_dist, float approach_tta) {
    ScnState *st = &s->st;
    if (st->phase == SCN_DONE && st->i[OB_STEP] == 1) { /* end or ScenarioTimeout: actors destroyed */
        st->i[OB_STEP] = 2;
        hide_scripted(s);
        if (st->i[OB_MODE] & OBM_KEEP_WRONG_DIR_OFF) criteria_set_wrong_direction_check(&s->crit, 0);
    }
    if (st->phase != SCN_RUNNING) return 0;
    const Map *m = s->map;
    int lane = st->i[OB_LANE], ev = 0;
    float x0, y0, h0;
    if (st->i[OB_REF] >= 0) {
        const Actor *r = &world_state_const(s->world)->actors[st->i[OB_REF]];
        x0 = r->k.x, y0 = r->k.y;
    } else {
        map_lane_pose(m, lane, st->f[0], &x0, &y0, &h0);
    }
    if (!st->i[OB_STEP]) { /* the trigger step */
        st->i[OB_STEP] = 1;
        scn_leave_space_in_front(s, st->f[7] - scn_ego_progress(s) + 20.0f);
        scn_start_timer(s, SCN_TIMEOUT_S);
        ev |= OBST_TRIGGERED;
    }
    if (st->sub == 0 && scn_ego_near(s, x0, y0, approach_dist, approach_tta)) {
        scn_set_sub(s, 1);
        ev |= OBST_APPROACHED;
    }
    if (st->sub == 1 && scn_sub_elapsed(s) >= 5.0 - 1e-6) {
        scn_set_sub(s, 2);
        st->acts++;
        ev |= OBST_ACTIVATED;
        if (st->i[OB_TWO]) {
            scn_set_wrong_direction_off(s, 1);
            if (st->i[OB_FLOW] >= 0) scn_flow_start(s, st->i[OB_FLOW]);
        } else {
            st->bg_speed_cap = st->f[2];
        }
    }
    if (!(st->i[OB_MODE] & OBM_CUSTOM_END)) {
        float xe, ye, he;
        map_lane_pose(m, lane, fminf(st->f[1], m->lanes[lane].length), &xe, &ye, &he);
        if (scn_ego_past(s, xe, ye, he)) scn_end(s);
    }
    return ev;
}

static int is_two_ways(const Scenario *s) { return strstr(s->type->name, "TwoWays") != NULL; }

static int world_full(Scenario *s, Err *e) { return err_set(e, "route %s: world full", s->spec.id); }

/* The XML ranges of a static-obstacle type (SCENARIOS.md B1): distance, the span the obstacles
 * occupy beyond it, the background speed cap (km/h, non-TwoWays) and the oncoming flow's spacing
 * (TwoWays). */
typedef struct {
    float dist_lo, dist_hi, span, speed_lo, speed_hi, from_lo, from_hi, to_lo, to_hi;
} ObstacleRanges;

/* Shared build of Accident, ParkedObstacle and ConstructionObstacle (and their TwoWays variants):
 * draws in this order distance, the route's trigger, then the speed cap or the flow spacing, into
 * st.f[3..6]. */
static int obstacle_build(Scenario *s, const ObstacleRanges *r, Err *e) {
    int two = is_two_ways(s);
    float distance = scn_param(s, "distance", r->dist_lo, r->dist_hi);
    if (straight_route(s, two ? 1 : 2, 1, distance + r->span, 0, e)) return -1;
    s->st.f[3] = distance;
    s->st.f[4] = two ? 0.0f : scn_param(s, "speed", r->speed_lo, r->speed_hi);
    s->st.f[5] = two ? scn_param(s, "frequency_from", r->from_lo, r->from_hi) : 0.0f;
    s->st.f[6] = two ? scn_param(s, "frequency_to", r->to_lo, r->to_hi) : 0.0f;
    return 0;
}

/* ---- 1. Accident / 2. AccidentTwoWays ----------------------------------------------------------
 * Police car at TP + distance, crashed car #1 10 m beyond, #2 6 m beyond #1, all offset 0.3 lane
 * widths to the right (direction = right in every route). The police car's siren is not modelled
 * as AF_SIREN: a standing car with a siren would make passing traffic pull over. Approach
 * reference: crashed car #1 (50 m); end 50 m past car #2. */
static int accident_build(Scenario *s, Err *e) {
    static const ObstacleRanges R = {40.0f, 44.0f, 16.0f, 53.0f, 57.0f, 32.0f, 63.0f, 109.0f, 184.0f};
    return obstacle_build(s, &R, e);
}

static int accident_populate(Scenario *s, Err *e) {
    int two = is_two_ways(s);
    obstacle_setup(s, s->st.f[3], s->st.f[4], two);
    warning_prop(s);
    int lane = s->st.i[OB_LANE];
    float w = s->map->lanes[lane].width, police = s->st.f[0];
    if (scn_add_parked(s, ACTOR_EMERGENCY, lane, police, -0.3f * w, 0) < 0 ||
        scn_add_parked(s, ACTOR_CAR, lane, police + 10.0f, -0.3f * w, 0) < 0 ||
        scn_add_parked(s, ACTOR_CAR, lane, police + 16.0f, -0.3f * w, 0) < 0)
        return world_full(s, e);
    s->st.f[0] = police + 10.0f; /* approach: crashed car #1 */
    s->st.f[1] = police + 16.0f + 50.0f;
    s->st.f[7] = s->trigger_s + s->st.f[3] + 16.0f;
    if (two) opposite_flow(s, police + 16.0f, s->st.f[5], s->st.f[6]);
    return 0;
}

static void accident_script(Scenario *s) { obstacle_script(s, 50.0f, 0.0f); }

/* ---- 3. ParkedObstacle / 4. ParkedObstacleTwoWays ----------------------------------------------- */
static int parked_build(Scenario *s, Err *e) {
    static const ObstacleRanges R = {40.0f, 44.0f, 0.0f, 40.0f, 59.0f, 31.0f, 56.0f, 106.0f, 151.0f};
    return obstacle_build(s, &R, e);
}

static int parked_populate(Scenario *s, Err *e) {
    int two = is_two_ways(s);
    obstacle_setup(s, s->st.f[3], s->st.f[4], two);
    warning_prop(s);
    float w = s->map->lanes[s->st.i[OB_LANE]].width;
    if (scn_add_parked(s, ACTOR_CAR, s->st.i[OB_LANE], s->st.f[0], -0.35f * w, 0) < 0) return world_full(s, e);
    s->st.f[1] = s->st.f[0] + 50.0f;
    s->st.f[7] = s->trigger_s + s->st.f[3];
    if (two) opposite_flow(s, s->st.f[0], s->st.f[5], s->st.f[6]);
    return 0;
}

static void parked_script(Scenario *s) { obstacle_script(s, 50.0f, 0.0f); }

/* ---- 5. HazardAtSideLane / 6. HazardAtSideLaneTwoWays ------------------------------------------
 * Two bicycles 0.275 lane widths right of the ego-lane centre, #1 at TP + distance, #2 9 m beyond;
 * from the trigger each rides at bicycle_speed km/h for bicycle_drive_distance m, then stops for
 * good. Roads without sidewalks (source comment). End: the ego ahead of bicycle #2 by both half
 * lengths, then 50 m driven. TwoWays: the source only sets the background oncoming spacing to
 * `frequency`; our background has no oncoming sources, so an OppositeActorFlow with the fixed
 * spacing `frequency` stands in for it. The source's bug of leaving the wrong-direction check OFF
 * after the end is reproduced (B2D parity). The "30 m extra space" of background front vehicles
 * has no counterpart here (LeaveSpaceInFront covers the bicycles). */
static int hazard_build(Scenario *s, Err *e) {
    int two = is_two_ways(s);
    float distance = scn_param(s, "distance", 41.0f, 45.0f);
    if (straight_route(s, two ? 1 : 2, 1, distance + 9.0f + 20.0f, ROAD_NO_SIDEWALK, e)) return -1;
    s->st.f[3] = distance;
    s->st.f[4] = two ? scn_param(s, "frequency", 75.0f, 100.0f) : scn_param(s, "speed", 32.0f, 59.0f);
    s->st.f[5] = two ? scn_param(s, "bicycle_speed", 7.0f, 11.0f) : scn_param(s, "bicycle_speed", 6.0f, 12.0f);
    s->st.f[6] = two ? scn_param(s, "bicycle_drive_distance", 80.0f, 116.0f)
                     : scn_param(s, "bicycle_drive_distance", 40.0f, 101.0f);
    return 0;
}

static int hazard_populate(Scenario *s, Err *e) {
    int two = is_two_ways(s);
    obstacle_setup(s, s->st.f[3], two ? 0.0f : s->st.f[4], two);
    int lane = s->st.i[OB_LANE];
    float w = s->map->lanes[lane].width;
    for (int k = 0; k < 2; k++) {
        int b = scn_add_vehicle(s, ACTOR_BICYCLE, lane, s->st.f[0] + 9.0f * (float)k, 0.0f, AF_NO_LANE_CHANGE);
        if (b < 0) return world_full(s, e);
        Actor *a = &world_state(s->world)->actors[b];
        a->lat_offset = a->lat_target = -0.275f * w;
        scn_lane_point(s->map, lane, s->st.f[0] + 9.0f * (float)k, a->lat_offset, &a->k.x, &a->k.y, NULL);
        a->target_speed = 0.0f; /* hand brake until the trigger */
        s->st.i[6 + k] = b;
    }
    s->st.i[OB_REF] = s->st.i[6];
    s->st.i[OB_MODE] = OBM_CUSTOM_END | (two ? OBM_KEEP_WRONG_DIR_OFF : 0);
    s->st.f[1] = -1.0f;
    s->st.f[7] = s->trigger_s + s->st.f[3] + 9.0f;
    if (two) opposite_flow(s, s->st.f[0] + 9.0f, s->st.f[4], s->st.f[4]);
    return 0;
}

static void hazard_script(Scenario *s) {
    int ev = obstacle_script(s, 50.0f, 0.0f);
    if (s->st.phase != SCN_RUNNING) return;
    WorldState *ws = world_state(s->world);
    for (int k = 0; k < 2; k++) {
        Actor *b = &ws->actors[s->st.i[6 + k]];
        if (ev & OBST_TRIGGERED) b->target_speed = s->st.f[5] * KMH;
        /* drove bicycle_drive_distance: hand brake for good (single straight lane: s is odometry) */
        if (b->path[0] == s->st.i[OB_LANE] && b->s >= s->st.f[0] + 9.0f * (float)k + s->st.f[6]) b->target_speed = 0.0f;
    }
    if (ev & OBST_TRIGGERED) s->st.acts++;
    const Actor *b2 = &ws->actors[s->st.i[7]], *ego = scn_ego(s);
    if (s->st.f[1] < 0.0f) {
        float ahead = 0.5f * (b2->length + ego->length);
        float px = b2->k.x + cosf(b2->k.heading) * ahead, py = b2->k.y + sinf(b2->k.heading) * ahead;
        if (scn_ego_past(s, px, py, b2->k.heading)) s->st.f[1] = ws->ego.travelled;
    } else if (ws->ego.travelled - s->st.f[1] >= 50.0f) {
        if (s->st.i[OB_MODE] & OBM_KEEP_WRONG_DIR_OFF) s->st.wrong_dir_off = 0; /* source bug: stays off */
        scn_end(s);
    }
}

/* ---- 7. ConstructionObstacle / 8. ConstructionObstacleTwoWays ----------------------------------
 * Construction point C = TP + distance on the ego lane; props hidden (underground) until the
 * trigger: warning sign on the shoulder at the TP, a warning board across the lane at C - 5 m,
 * debris at C + 2 m and an L-shaped fence of 7 cones (4 along the left side at 0.425 w, s = 2..8,
 * then 3 across at s = 8, 1/2/3 m further right). At the trigger the ego lane loses its
 * background traffic. Approach: ego within 30 m of C; end 50 m past C. */
#define CONE_SIZE 0.4f
static int construction_build(Scenario *s, Err *e) {
    static const ObstacleRanges R = {40.0f, 45.0f, 8.0f, 47.0f, 55.0f, 43.0f, 70.0f, 129.0f, 200.0f};
    return obstacle_build(s, &R, e);
}

static int construction_populate(Scenario *s, Err *e) {
    int two = is_two_ways(s);
    obstacle_setup(s, s->st.f[3], s->st.f[4], two);
    int lane = s->st.i[OB_LANE];
    float w = s->map->lanes[lane].width, c = s->st.f[0], side = 0.425f * w;
    int ok = warning_prop(s) >= 0;
    ok &= scn_add_prop(s, lane, c - 5.0f, 0.0f, 0.6f, 2.2f) >= 0; /* board across the lane */
    ok &= scn_add_prop(s, lane, c + 2.0f, 0.0f, 1.2f, 1.5f) >= 0; /* debris */
    for (int k = 1; k <= 4; k++) ok &= scn_add_prop(s, lane, c + 2.0f * (float)k, side, CONE_SIZE, CONE_SIZE) >= 0;
    for (int k = 1; k <= 3; k++) ok &= scn_add_prop(s, lane, c + 8.0f, side - (float)k, CONE_SIZE, CONE_SIZE) >= 0;
    if (!ok) return world_full(s, e);
    hide_scripted(s);
    s->st.f[1] = c + 50.0f;
    s->st.f[7] = s->trigger_s + s->st.f[3] + 8.0f;
    if (two) opposite_flow(s, c, s->st.f[5], s->st.f[6]);
    return 0;
}

static void construction_script(Scenario *s) {
    if (obstacle_script(s, 30.0f, 0.0f) & OBST_TRIGGERED) {
        for (int k = 0; k < s->st.n_actors; k++) scn_show(s, s->st.actors[k]);
        clear_lane_background(s, s->st.i[OB_LANE]);
    }
}

/* ---- 9. VehicleOpensDoorTwoWays ------------------------------------------------------------------
 * F = TP + distance on the ego lane; a parked car on the parking lane to the right of F, shifted
 * (parking width - car half width) / 4 towards the ego lane. Door trigger: ego within 10 m of F or
 * time-to-arrival < 3 s -> AF_DOOR_OPEN (driver side = left, into the ego lane; act), 5 s later the
 * wrong-direction check goes off and the oncoming flow starts; end 50 m past F.
 * Choice: the source hands the flow the parked car's left lane (the ego's own lane, SCENARIOS.md
 * notes this as unverified in effect); we run the intended oncoming flow on the opposite lane as in
 * the other TwoWays types. Stopping the background vehicles behind the ego is not modelled (the
 * framework's speed cap owns their target speed). */
static int door_build(Scenario *s, Err *e) {
    float distance = scn_param(s, "distance", 37.0f, 59.0f);
    if (straight_route(s, 1, 1, distance, ROAD_PARKING, e)) return -1;
    s->st.f[3] = distance;
    s->st.f[5] = scn_param(s, "frequency_from", 30.0f, 40.0f);
    s->st.f[6] = scn_param(s, "frequency_to", 89.0f, 98.0f);
    return 0;
}

static int door_populate(Scenario *s, Err *e) {
    obstacle_setup(s, s->st.f[3], 0.0f, 1);
    int lane = s->st.i[OB_LANE], park = s->map->lanes[lane].right;
    if (park < 0 || s->map->lanes[park].kind != LANE_PARKING)
        return err_set(e, "route %s: no parking lane right of the ego lane", s->spec.id);
    float x, y, h;
    map_lane_pose(s->map, lane, s->st.f[0], &x, &y, &h);
    LaneProj p;
    map_project(s->map, park, x, y, -1, &p);
    int car = scn_add_parked(s, ACTOR_CAR, park, p.s, 0.0f, 0);
    if (car < 0) return world_full(s, e);
    Actor *a = &world_state(s->world)->actors[car];
    float shift = 0.25f * (s->map->lanes[park].width - 0.5f * a->width);
    scn_lane_point(s->map, park, p.s, shift, &a->k.x, &a->k.y, NULL);
    s->st.i[6] = car;
    s->st.f[1] = s->st.f[0] + 50.0f;
    s->st.f[7] = s->trigger_s + s->st.f[3];
    opposite_flow(s, s->st.f[0], s->st.f[5], s->st.f[6]);
    return 0;
}

static void door_script(Scenario *s) {
    if (obstacle_script(s, 10.0f, 3.0f) & OBST_APPROACHED) {
        world_state(s->world)->actors[s->st.i[6]].flags |= AF_DOOR_OPEN;
        s->st.acts++;
    }
}

static const ScenarioType ACCIDENT = {"Accident", accident_build, accident_populate, accident_script};
static const ScenarioType ACCIDENT_TWO_WAYS = {"AccidentTwoWays", accident_build, accident_populate, accident_script};
static const ScenarioType PARKED_OBSTACLE = {"ParkedObstacle", parked_build, parked_populate, parked_script};
static const ScenarioType PARKED_OBSTACLE_TWO_WAYS = {"ParkedObstacleTwoWays", parked_build, parked_populate,
                                                      parked_script};
static const ScenarioType HAZARD_AT_SIDE_LANE = {"HazardAtSideLane", hazard_build, hazard_populate, hazard_script};
static const ScenarioType HAZARD_AT_SIDE_LANE_TWO_WAYS = {"HazardAtSideLaneTwoWays", hazard_build, hazard_populate,
                                                          hazard_script};
static const ScenarioType CONSTRUCTION_OBSTACLE = {"ConstructionObstacle", construction_build, construction_populate,
                                                   construction_script};
static const ScenarioType CONSTRUCTION_OBSTACLE_TWO_WAYS = {"ConstructionObstacleTwoWays", construction_build,
                                                            construction_populate, construction_script};
static const ScenarioType VEHICLE_OPENS_DOOR_TWO_WAYS = {"VehicleOpensDoorTwoWays", door_build, door_populate,
                                                         door_script};

const ScenarioType *const scn_types_overtaking[] = {
    &ACCIDENT, &ACCIDENT_TWO_WAYS, &PARKED_OBSTACLE, &PARKED_OBSTACLE_TWO_WAYS, &HAZARD_AT_SIDE_LANE,
    &HAZARD_AT_SIDE_LANE_TWO_WAYS, &CONSTRUCTION_OBSTACLE, &CONSTRUCTION_OBSTACLE_TWO_WAYS,
    &VEHICLE_OPENS_DOOR_TWO_WAYS, NULL};
