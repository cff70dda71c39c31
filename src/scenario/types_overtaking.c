/* types_overtaking — SCENARIOS.md B1: an obstacle blocks the ego lane on a straight road; the
 * ego passes it through the adjacent same-direction lane or, for the *TwoWays variants, through
 * the oncoming lane while an OppositeActorFlow runs there (wrong-direction check switched off).
 *
 * Shared script (obstacle_script), st.i[] / st.f[] use:
 *   i[0] obstacle lane, f[0] obstacle lane s of the first obstacle, f[1] end point (lane s),
 *   f[2] speed cap (m/s), i[1] 1 = TwoWays, i[2] oncoming flow index, i[3] trigger step done,
 *   f[7] route s of the last obstacle,
 *   sub 0 = triggered, 1 = ego within the approach distance (5 s wait), 2 = cap / flow active. */
#include <math.h>
#include "scenario/scn_internal.h"

#define KMH 0.2777778f

/* A straight road with the ego in the rightmost lane of `fwd` forward lanes; the trigger point
 * 2-14 m after the route start; the route ends `tail` metres after the obstacle end point. */
static int straight_route(Scenario *s, int fwd, int bwd, float obstacle_span, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.lanes_fwd = fwd;
    s->mp.lanes_bwd = bwd;
    s->mp.length = 320.0f;
    s->mp.sidewalks = 1;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, 60.0f, 0.0f, 0.0f, 1u << LANE_DRIVING, 20.0f, &p))
        return err_set(e, "route %s: no forward lane", s->spec.id);
    int lane = scn_outer_lane(s->map, p.lane, 0);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 14.0f);
    float start = 60.0f;
    return scn_route_along(s, lane, start, s->trigger_s + obstacle_span + 50.0f + 15.0f, e);
}

static void obstacle_setup(Scenario *s, float distance, float speed_kmh, int two_ways) {
    int lane;
    float ls;
    scn_route_pose(s, s->trigger_s + distance, NULL, NULL, NULL, &lane, &ls);
    s->st.i[0] = lane;
    s->st.f[0] = ls;
    s->st.f[2] = speed_kmh * KMH;
    s->st.i[1] = two_ways;
    s->st.i[2] = -1;
}

/* Warning prop at the trigger point on the shoulder: the road edge of the rightmost lane, pushed
 * out by 0.3 lane widths (our roads have no shoulder lane; the sidewalk kerb lies beyond). */
static void warning_prop(Scenario *s) {
    int lane;
    float ls;
    scn_route_pose(s, s->trigger_s, NULL, NULL, NULL, &lane, &ls);
    int outer = scn_outer_lane(s->map, lane, 0);
    float w = s->map->lanes[outer].width;
    scn_add_prop(s, outer, ls, -(0.5f * w + 0.3f * w + 0.4f), 0.6f, 0.6f);
}

/* OppositeActorFlow next to the last obstacle (lane s `ls` on the ego lane). */
static void opposite_flow(Scenario *s, float ls, float gap_lo, float gap_hi) {
    int ego_lane = s->st.i[0];
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
    s->st.i[2] = scn_flow_add(s, FLOW_REACTIVE, ACTOR_CAR, path, 1, src, opp, sink, v, gap_lo, gap_hi);
}

static void obstacle_script(Scenario *s, float last_obstacle_ls, float approach_dist) {
    if (s->st.phase != SCN_RUNNING) return;
    const Map *m = s->map;
    int lane = s->st.i[0];
    float x0, y0, h0, xe, ye, he;
    map_lane_pose(m, lane, s->st.f[0], &x0, &y0, &h0);
    map_lane_pose(m, lane, fminf(last_obstacle_ls + 50.0f, m->lanes[lane].length), &xe, &ye, &he);
    if (!s->st.i[3]) { /* the trigger step */
        s->st.i[3] = 1;
        scn_leave_space_in_front(s, s->st.f[7] - scn_ego_progress(s) + 20.0f);
        scn_start_timer(s, SCN_TIMEOUT_S);
    }
    if (s->st.sub == 0 && scn_dist_to_ego(s, x0, y0) < approach_dist) scn_set_sub(s, 1);
    if (s->st.sub == 1 && scn_sub_elapsed(s) >= 5.0 - 1e-6) {
        scn_set_sub(s, 2);
        s->st.acts++;
        if (s->st.i[1]) {
            scn_set_wrong_direction_off(s, 1);
            if (s->st.i[2] >= 0) scn_flow_start(s, s->st.i[2]);
        } else {
            s->st.bg_speed_cap = s->st.f[2];
        }
    }
    if (scn_ego_past(s, xe, ye, he)) scn_end(s);
}

/* ---- 3. ParkedObstacle / 4. ParkedObstacleTwoWays ----------------------------------------------- */
static int parked_build(Scenario *s, Err *e) {
    int two = s->type->name[14] == 'T'; /* "ParkedObstacleTwoWays" */
    float distance = scn_param(s, "distance", 40.0f, 44.0f);
    if (straight_route(s, two ? 1 : 2, 1, distance, e)) return -1;
    s->ego_speed0 = 0.0f;
    s->st.f[3] = distance;
    s->st.f[4] = two ? 0.0f : scn_param(s, "speed", 40.0f, 59.0f);
    s->st.f[5] = two ? scn_param(s, "frequency_from", 31.0f, 56.0f) : 0.0f;
    s->st.f[6] = two ? scn_param(s, "frequency_to", 106.0f, 151.0f) : 0.0f;
    return 0;
}

static int parked_populate(Scenario *s, Err *e) {
    int two = s->type->name[14] == 'T';
    obstacle_setup(s, s->st.f[3], s->st.f[4], two);
    warning_prop(s);
    float w = s->map->lanes[s->st.i[0]].width;
    if (scn_add_parked(s, ACTOR_CAR, s->st.i[0], s->st.f[0], -0.35f * w, 0) < 0)
        return err_set(e, "route %s: world full", s->spec.id);
    s->st.f[1] = s->st.f[0];
    s->st.f[7] = s->trigger_s + s->st.f[3];
    if (two) opposite_flow(s, s->st.f[0], s->st.f[5], s->st.f[6]);
    return 0;
}

static void parked_script(Scenario *s) { obstacle_script(s, s->st.f[1], 50.0f); }

static const ScenarioType PARKED_OBSTACLE = {"ParkedObstacle", parked_build, parked_populate, parked_script};
static const ScenarioType PARKED_OBSTACLE_TWO_WAYS = {"ParkedObstacleTwoWays", parked_build, parked_populate,
                                                      parked_script};

const ScenarioType *const scn_types_overtaking[] = {&PARKED_OBSTACLE, &PARKED_OBSTACLE_TWO_WAYS, NULL};
