/* Tests of the merging-group scenario types (SCENARIOS.md B2, items 10-25, types_merging.c).
 * White-box where the public API has no view: flows and the scenario timer are read from the
 * Scenario struct (scn_internal.h). Expected values are hand-derived from the item's numbers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "scenario/scn_internal.h"
#include "test_scn_util.h"

/* A blind route follower: pure pursuit 4 m ahead on the route, P control on speed. It ignores
 * every other road user, so it reaches the end conditions whatever the flows do. */
static Control pursuit(Scenario *s, float v_des) {
    const WorldState *ws = world_state_const(scenario_world(s));
    const Route *r = scenario_route(s);
    const Actor *ego = &ws->actors[0];
    int i = ws->ego.route_idx;
    while (i < r->n - 1 && r->pts[i].s < r->pts[ws->ego.route_idx].s + 4.0f) i++;
    float dx = r->pts[i].x - ego->k.x, dy = r->pts[i].y - ego->k.y;
    float alpha = atan2f(dy, dx) - ego->k.heading, ld = fmaxf(hypotf(dx, dy), 1.0f);
    alpha = atan2f(sinf(alpha), cosf(alpha));
    Control c = {2.0f * (v_des - ego->k.speed), atanf(2.0f * ego->veh.wheelbase * sinf(alpha) / ld)};
    return c;
}

static float route_junction_exit(const Scenario *s) {
    const Route *r = scenario_route(s);
    const Map *m = scenario_map(s);
    int inside = 0;
    for (int i = 0; i < r->n; i++) {
        int j = m->lanes[r->pts[i].lane].junction >= 0;
        if (j) inside = 1;
        else if (inside) return r->pts[i].s;
    }
    return -1.0f;
}

/* Drives with pursuit at v until the scenario is DONE; returns the route progress at that step. */
static float progress_at_end(Scenario *s, float v, int max_steps) {
    for (int t = 0; t < max_steps; t++) {
        Control c = pursuit(s, v);
        scenario_step(s, &c);
        if (scenario_phase(s) == SCN_DONE) return world_state_const(scenario_world(s))->ego.route_progress;
    }
    return -1.0f;
}

/* ---- every type: creation, route length, trigger, determinism -------------------------------- */
typedef struct { const char *type; float len_lo, len_hi, trig_lo, trig_hi; } TypeRange;

/* Route lengths: junction types ~62-105 m (arms of our junction piece: 27-57 m of approach plus the
 * turn plus 30 m), highway types 170-222 m, ParkingExit 100-120 m + the pull-out, SequentialLaneChange
 * 117-122 m + the two blends. */
static const TypeRange RANGES[] = {
    {"CrossingBicycleFlow", 60, 110, 2, 12},          {"EnterActorFlow", 60, 110, 2, 12},
    {"HighwayExit", 160, 222, 2, 12},                 {"InterurbanActorFlow", 95, 125, 2, 12},
    {"HighwayCutIn", 199, 201, 2, 12},                {"InterurbanAdvancedActorFlow", 60, 115, 2, 12},
    {"MergerIntoSlowTrafficV2", 195, 215, 2, 12},     {"MergerIntoSlowTraffic", 205, 225, 2, 12},
    {"NonSignalizedJunctionLeftTurn", 60, 110, 2, 12}, {"NonSignalizedJunctionRightTurn", 60, 110, 2, 12},
    {"NonSignalizedJunctionLeftTurnEnterFlow", 60, 110, 2, 12},
    {"ParkingExit", 100, 122, 0, 0},                  {"SequentialLaneChange", 117, 123, 0, 0},
    {"SignalizedJunctionLeftTurn", 60, 110, 2, 12},   {"SignalizedJunctionRightTurn", 60, 110, 2, 12},
    {"SignalizedJunctionLeftTurnEnterFlow", 60, 110, 2, 12},
};
#define N_TYPES ((int)(sizeof RANGES / sizeof RANGES[0]))

/* RANGES lists the types in Part B order (items 10-25): the catalogue must keep that order. */
Test(scn_merging, catalogue_order) {
    int prev = -1;
    for (int k = 0; k < N_TYPES; k++) {
        int idx = scenario_type_find(RANGES[k].type);
        cr_assert(idx > prev, "%s out of order (%d after %d)", RANGES[k].type, idx, prev);
        prev = idx;
    }
}

Test(scn_merging, create_length_trigger_determinism) {
    for (int k = 0; k < N_TYPES; k++)
        for (uint64_t seed = 0; seed < 5; seed++) {
            const TypeRange *tr = &RANGES[k];
            Scenario *a = scn_make(tr->type, seed, NULL, 1), *b = scn_make(tr->type, seed, NULL, 1);
            float len = scenario_route(a)->length, trig = scenario_trigger_s(a);
            cr_expect(len >= tr->len_lo && len <= tr->len_hi, "%s seed %llu: route %.1f m outside [%g, %g]", tr->type,
                      (unsigned long long)seed, len, tr->len_lo, tr->len_hi);
            cr_expect(trig >= tr->trig_lo - 1e-4f && trig <= tr->trig_hi + 1e-4f, "%s: trigger %.2f", tr->type, trig);
            for (int t = 0; t < 50; t++) {
                scn_step_auto(a);
                scn_step_auto(b);
            }
            cr_expect_eq(world_hash(scenario_world(a)), world_hash(scenario_world(b)), "%s seed %llu: not deterministic",
                         tr->type, (unsigned long long)seed);
            scenario_destroy(a);
            scenario_destroy(b);
        }
}

Test(scn_merging, unknown_parameter_rejected) {
    RouteSpec rs = {.seed = 1};
    snprintf(rs.id, sizeof rs.id, "bad");
    snprintf(rs.type, sizeof rs.type, "HighwayExit");
    snprintf(rs.overrides, sizeof rs.overrides, "distance=40");
    Err e = {0};
    cr_assert_null(scenario_create(&rs, NULL, &e));
    cr_assert(strstr(e.msg, "distance"), "%s", e.msg);
}

/* ---- flows: trigger, spawns at flow_speed, lights, end conditions ------------------------------- */
/* Drives pursuit at 3 m/s to the trigger, then stands; over the next `secs` checks that the flows
 * started at the trigger, that >= 3 flow vehicles were spawned, and that every visible flow vehicle
 * on a non-junction lane moves at flow_speed (constant-velocity flows). Flows that turn right slow
 * down for the bend (the world's curve speed), so only straight-through flows are checked for speed. */
static void check_flow(const char *type, const char *ov, float flow_speed, float secs, int turning) {
    Scenario *s = scn_make(type, 3, ov, 0);
    int guard = 0;
    while (scenario_phase(s) == SCN_WAITING && guard++ < 400) {
        for (int f = 0; f < s->st.n_flows; f++) cr_assert_eq(s->st.flows[f].spawned, 0, "%s: flow before the trigger", type);
        Control c = pursuit(s, 3.0f);
        scenario_step(s, &c);
    }
    cr_assert_eq(scenario_phase(s), SCN_RUNNING, "%s: no trigger", type);
    cr_assert_eq(scenario_acts(s), 1, "%s: flow start not counted", type);
    cr_assert(s->st.timer_on, "%s: ScenarioTimeout not started", type);
    cr_assert_float_eq(s->st.timer_end - scenario_trigger_time(s), 240.0, 0.11, "%s", type);
    for (int f = 0; f < s->st.n_flows; f++) cr_assert(s->st.flows[f].active, "%s: flow %d idle", type, f);
    const World *w = scenario_world(s);
    const Map *m = scenario_map(s);
    int checked = 0;
    for (int t = 0; t < (int)(secs * 10.0f); t++) {
        Control stop = {-8.0f, 0.0f};
        scenario_step(s, &stop);
        const WorldState *ws = world_state_const(w);
        for (int i = 1; i < ws->n_actors; i++) {
            const Actor *a = &ws->actors[i];
            int fi = s->st.flow_of[i];
            if (fi < 0 || (a->flags & AF_HIDDEN) || m->lanes[a->path[0]].junction >= 0) continue;
            if (turning) { /* slows for the bend (curve speed), never faster than the flow */
                cr_expect(a->k.speed <= flow_speed + 1e-3f, "%s: flow vehicle %d at %.2f m/s", type, i, a->k.speed);
                continue;
            }
            cr_expect_float_eq(a->k.speed, flow_speed, 0.05f, "%s: flow vehicle %d at %.2f m/s", type, i, a->k.speed);
            checked++;
        }
    }
    int spawned = 0;
    for (int f = 0; f < s->st.n_flows; f++) spawned += s->st.flows[f].spawned;
    cr_expect(spawned >= 3, "%s: %d flow vehicles", type, spawned);
    cr_expect(turning || checked > 20, "%s: only %d flow samples", type, checked);
    scenario_destroy(s);
}

Test(scn_merging, flows_spawn_at_flow_speed) {
    check_flow("CrossingBicycleFlow", "flow_speed=10,signalized=0", 10.0f, 6.0f, 0);
    check_flow("EnterActorFlow", "flow_speed=14,layout=0", 14.0f, 6.0f, 0);
    check_flow("EnterActorFlow", "flow_speed=14,layout=2", 14.0f, 6.0f, 1);
    check_flow("HighwayExit", "flow_speed=13", 13.0f, 6.0f, 0);
    check_flow("InterurbanActorFlow", "flow_speed=15", 15.0f, 10.0f, 0);
    check_flow("InterurbanAdvancedActorFlow", "flow_speed=17", 17.0f, 8.0f, 0);
    check_flow("MergerIntoSlowTrafficV2", "flow_speed=10", 10.0f, 6.0f, 0);
    check_flow("MergerIntoSlowTraffic", "flow_speed=9", 9.0f, 6.0f, 0);
    check_flow("NonSignalizedJunctionLeftTurn", "flow_speed=10", 10.0f, 8.0f, 0);
    check_flow("NonSignalizedJunctionRightTurn", "flow_speed=9", 9.0f, 6.0f, 0);
    check_flow("NonSignalizedJunctionLeftTurnEnterFlow", "flow_speed=9", 9.0f, 8.0f, 1);
    check_flow("SignalizedJunctionLeftTurn", "flow_speed=10", 10.0f, 8.0f, 0);
    check_flow("SignalizedJunctionRightTurn", "flow_speed=12", 12.0f, 6.0f, 0);
    check_flow("SignalizedJunctionLeftTurnEnterFlow", "flow_speed=9", 9.0f, 8.0f, 1);
}

/* EnterActorFlow: one flow per lane of the entry for the straight layouts, each ending in a lane of
 * the ego's exit road; the route passes through one sink (within 1 m) and ends end_after_sink later. */
Test(scn_merging, enter_actor_flow_lanes) {
    for (int layout = 0; layout < 3; layout++) {
        char ov[64];
        snprintf(ov, sizeof ov, "layout=%d,end_after_sink=18", layout);
        Scenario *s = scn_make("EnterActorFlow", 5, ov, 0);
        cr_assert_eq(s->st.n_flows, layout == 2 ? 1 : 2, "layout %d", layout);
        const Route *r = scenario_route(s);
        float best = 1e9f, x, y, h;
        for (int f = 0; f < s->st.n_flows; f++) {
            map_lane_pose(scenario_map(s), s->st.flows[f].sink_lane, s->st.flows[f].sink_s, &x, &y, &h);
            float d;
            int i = route_nearest(r, x, y, 0, -1, &d);
            if (d < best) {
                best = d;
                cr_expect_float_eq(r->length - r->pts[i].s, 18.0f, 1.0f, "layout %d", layout);
            }
        }
        cr_expect(best < 1.0f, "layout %d: the route misses every sink by %.2f m", layout, best);
        scenario_destroy(s);
    }
}

/* Flow geometry of the junction family (SCENARIOS.md): source 4 v (left) / 5 v (right) before the
 * stop line, sink 2.5 v / 3 v past the exit; right turn from the left entry's rightmost lane. */
Test(scn_merging, junction_family_flow_geometry) {
    const char *types[3] = {"SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn",
                            "SignalizedJunctionLeftTurnEnterFlow"};
    const float back[3] = {40.0f, 50.0f, 40.0f}, sink[3] = {25.0f, 30.0f, 25.0f};
    const TurnKind move[3] = {TURN_STRAIGHT, TURN_STRAIGHT, TURN_RIGHT};
    for (int k = 0; k < 3; k++) {
        Scenario *s = scn_make(types[k], 2, "flow_speed=10", 0);
        const Map *m = scenario_map(s);
        const ScnFlow *f = &s->st.flows[0];
        cr_assert_float_eq(m->lanes[f->path[0]].length - f->src_s, back[k], 1e-3f, "%s", types[k]);
        cr_assert_float_eq(f->sink_s, sink[k], 1e-3f, "%s", types[k]);
        cr_assert_eq(m->lanes[f->path[1]].turn, move[k], "%s", types[k]);
        /* the source entry's side: opposite (heading differs by 180°) or from the left (-90°) */
        const Route *r = scenario_route(s);
        float h_ego = r->pts[0].heading, h_src = m->points[m->lanes[f->path[0]].first_point].heading;
        float d = remainderf(h_src - h_ego, 2.0f * (float)M_PI);
        cr_assert_float_eq(fabsf(d), k == 1 ? (float)M_PI_2 : (float)M_PI, 0.02f, "%s: source heading %.2f", types[k], d);
        if (k == 1) cr_assert(d < 0.0f, "right turn: the flow must come from the ego's left (heading -90°)");
        scenario_destroy(s);
    }
}

static int ego_light(const Scenario *s) {
    const Route *r = scenario_route(s);
    const Map *m = scenario_map(s);
    for (int k = 1; k < r->n_lanes; k++)
        if (m->lanes[r->lanes[k]].junction >= 0) return m->lanes[r->lanes[k - 1]].light;
    return -1;
}

/* Signalised junction types: ego red 1 s after the trigger and green 6 s after; the flow's source
 * green throughout (CrossingBicycleFlow: all red, then only the ego green). */
static void check_lights(const char *type, const char *ov, int source_green) {
    Scenario *s = scn_make(type, 4, ov, 0);
    const World *w = scenario_world(s);
    while (scenario_phase(s) == SCN_WAITING) {
        Control c = pursuit(s, 3.0f);
        scenario_step(s, &c);
    }
    int mine = ego_light(s), src = s->map->lanes[s->st.flows[0].path[0]].light;
    cr_assert(mine >= 0 && src >= 0 && mine != src, "%s: lights %d %d", type, mine, src);
    double t0 = scenario_trigger_time(s);
    Control stop = {-8.0f, 0.0f};
    while (world_state_const(w)->time < t0 + 1.0 - 1e-6) scenario_step(s, &stop);
    cr_expect_eq(world_light(w, mine), LIGHT_RED, "%s: ego light not red 1 s after the trigger", type);
    cr_expect_eq(world_light(w, src), source_green ? LIGHT_GREEN : LIGHT_RED, "%s: source light", type);
    while (world_state_const(w)->time < t0 + 6.0 - 1e-6) scenario_step(s, &stop);
    cr_expect_eq(world_light(w, mine), LIGHT_GREEN, "%s: ego light not green 6 s after the trigger", type);
    cr_expect_eq(world_light(w, src), source_green ? LIGHT_GREEN : LIGHT_RED, "%s: source light", type);
    for (int l = 0; l < s->map->n_lights; l++)
        if (l != mine && l != src) cr_expect_eq(world_light(w, l), LIGHT_RED, "%s: light %d", type, l);
    scenario_destroy(s);
}

Test(scn_merging, signalised_lights) {
    check_lights("SignalizedJunctionLeftTurn", NULL, 1);
    check_lights("SignalizedJunctionRightTurn", NULL, 1);
    check_lights("SignalizedJunctionLeftTurnEnterFlow", NULL, 1);
    check_lights("CrossingBicycleFlow", "signalized=1", 0);
}

/* End conditions, reached by the blind follower at 6 m/s (0.6 m per step): the junction family ends
 * 10 m past the junction exit, CrossingBicycleFlow / InterurbanActorFlow at the exit, the sink types
 * 2 m before the sink (route end - end_after_sink), InterurbanAdvancedActorFlow past flow 2's sink
 * (25 m past the exit), HighwayExit 10 m into the exit ramp. */
static void check_end(const char *type, const char *ov, float expected_from_exit, float expected_from_end) {
    Scenario *s = scn_make(type, 1, ov, 0);
    float want = expected_from_end > -1e8f ? scenario_route(s)->length - expected_from_end
                                            : route_junction_exit(s) + expected_from_exit;
    float got = progress_at_end(s, 6.0f, 1200);
    /* route_progress moves in 1-m route points and the follower 0.6 m per step: +-1.6 m */
    cr_expect(got > want - 1.6f && got < want + 1.6f, "%s: ended at %.1f m, expected %.1f", type, got, want);
    cr_expect(!s->st.timer_on, "%s: timer still on", type);
    scenario_destroy(s);
}

Test(scn_merging, end_conditions) {
    const float no = -1e9f;
    check_end("SignalizedJunctionLeftTurn", NULL, 10.0f, no);
    check_end("SignalizedJunctionRightTurn", NULL, 10.0f, no);
    check_end("SignalizedJunctionLeftTurnEnterFlow", NULL, 10.0f, no);
    check_end("NonSignalizedJunctionLeftTurn", NULL, 10.0f, no);
    check_end("NonSignalizedJunctionRightTurn", NULL, 10.0f, no);
    check_end("NonSignalizedJunctionLeftTurnEnterFlow", NULL, 10.0f, no);
    check_end("CrossingBicycleFlow", NULL, 0.0f, no);
    check_end("InterurbanActorFlow", NULL, 0.0f, no);
    check_end("InterurbanAdvancedActorFlow", NULL, 25.0f, no);
    check_end("EnterActorFlow", "end_after_sink=17", 0.0f, 17.0f + 2.0f);
    check_end("MergerIntoSlowTrafficV2", "end_after_sink=7", 0.0f, 7.0f + 2.0f);
    check_end("MergerIntoSlowTraffic", "end_after_sink=17", 0.0f, 17.0f + 2.0f);
    /* HighwayExit: route = 10..lane_change_at+15 on the section, exit ramp 0..exit_length */
    Scenario *s = scn_make("HighwayExit", 1, "exit_length=60", 0);
    const Route *r = scenario_route(s);
    const Map *m = scenario_map(s);
    float ramp_s = -1.0f;
    for (int i = 0; i < r->n && ramp_s < 0.0f; i++)
        if (m->lanes[r->pts[i].lane].is_ramp) ramp_s = r->pts[i].s;
    cr_assert_float_eq(r->length - ramp_s, 60.0f, 1.0f);
    float got = progress_at_end(s, 6.0f, 1200);
    cr_expect(fabsf(got - (ramp_s + 10.0f)) < 1.6f, "HighwayExit ended at %.1f, expected %.1f", got, ramp_s + 10.0f);
    scenario_destroy(s);
}

/* ---- 14. HighwayCutIn ------------------------------------------------------------------------------ */
Test(scn_merging, highway_cut_in) {
    Scenario *s = scn_make("HighwayCutIn", 1, "other_actor_lateral=15", 0);
    const World *w = scenario_world(s);
    const int *idx;
    cr_assert_eq(scenario_actors(s, &idx), 1);
    int car = idx[0];
    const WorldState *ws = world_state_const(w);
    const Actor *a = &ws->actors[car];
    const Map *m = scenario_map(s);
    cr_assert(a->flags & AF_HIDDEN, "the car waits hidden until the trigger");
    cr_assert(m->lanes[a->path[0]].is_ramp, "the car starts on the entry ramp");
    cr_assert_float_eq(fabsf(a->k.y - scenario_route(s)->pts[0].y), 15.0f, 0.6f, "lateral distance from the ego lane");
    int ego_lane = scenario_route(s)->lanes[1];
    double t_cut = -1.0;
    int changed = 0;
    float lat_at_1s = 1e9f;
    for (int t = 0; t < 600 && scenario_phase(s) != SCN_DONE; t++) {
        scn_step_auto(s);
        if (scenario_phase(s) == SCN_RUNNING && t_cut < 0.0) cr_assert(!(a->flags & AF_HIDDEN) || scenario_acts(s) > 0);
        if (t_cut < 0.0 && scenario_acts(s) == 1) {
            t_cut = ws->time;
            /* synchronised: the car within 5 m of T_car, 45 m along the acceleration lane */
            float tx, ty, th;
            map_lane_pose(m, m->lanes[ego_lane].right, 45.0f, &tx, &ty, &th);
            cr_expect(hypotf(a->k.x - tx, a->k.y - ty) < 5.5f, "car %.1f m from T_car", hypotf(a->k.x - tx, a->k.y - ty));
        }
        if (t_cut >= 0.0 && !changed && a->path[0] == ego_lane) {
            changed = 1;
            cr_expect(ws->time - t_cut < 0.45, "lane change started %.2f s after the cut-in", ws->time - t_cut);
        }
        if (t_cut >= 0.0 && ws->time - t_cut > 0.35 && ws->time - t_cut < 3.0)
            cr_expect_float_eq(a->target_speed, 0.8f * ws->actors[0].k.speed, 0.35f, "cut-in at 80 %% of the ego speed");
        if (t_cut >= 0.0 && fabs(ws->time - t_cut - 1.3) < 0.05) lat_at_1s = a->lat_offset;
    }
    cr_assert(t_cut > 0.0, "no cut-in");
    cr_assert(changed, "the car never moved into the ego's lane");
    /* halfway through the 2 s lateral change: about half of the 3.5 m offset left */
    cr_expect(fabsf(lat_at_1s) > 1.0f && fabsf(lat_at_1s) < 2.2f, "lateral offset %.2f 1 s into the change", lat_at_1s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    cr_expect_float_eq(ws->time - t_cut, 5.3 + 0.1, 0.11, "ends 0.3 + 2 + 3 s after the cut-in starts");
    cr_expect(a->flags & AF_HIDDEN, "the car is removed at the end");
    scenario_destroy(s);
}

/* ---- 21. ParkingExit ---------------------------------------------------------------------------------- */
Test(scn_merging, parking_exit) {
    Scenario *s = scn_make("ParkingExit", 2, NULL, 0);
    const Map *m = scenario_map(s);
    const Route *r = scenario_route(s);
    const WorldState *ws = world_state_const(scenario_world(s));
    int park = r->lanes[0];
    cr_assert_eq(m->lanes[park].kind, LANE_PARKING, "the route starts in the parking lane");
    cr_assert_eq(m->lanes[r->lanes[1]].kind, LANE_DRIVING);
    /* ego shifted towards the kerb by (2.5 - 2.1 / 2) / 4 = 0.3625 m */
    LaneProj p;
    map_project(m, park, ws->actors[0].k.x, ws->actors[0].k.y, -1, &p);
    cr_assert_float_eq(p.d, -0.3625f, 0.01f);
    const int *idx;
    cr_assert_eq(scenario_actors(s, &idx), 3);
    for (int k = 0; k < 2; k++) { /* parked cars 9 m ahead / behind, same kerb shift (2.5 - 0.975) / 4 */
        const Actor *a = &ws->actors[idx[k]];
        LaneProj q;
        map_project(m, park, a->k.x, a->k.y, -1, &q);
        cr_assert_float_eq(q.s - p.s, k == 0 ? 9.0f : -9.0f, 0.05f);
        cr_assert_float_eq(q.d, -0.38125f, 0.01f);
    }
    const Actor *car = &ws->actors[idx[2]];
    cr_assert_eq(car->path[0], r->lanes[1], "the passing car starts in the driving lane beside the ego");
    Control c = pursuit(s, 3.0f);
    scenario_step(s, &c);
    cr_assert_eq(scenario_phase(s), SCN_RUNNING, "TP = route start");
    cr_assert_eq(scenario_acts(s), 1);
    cr_assert(s->st.timer_on, "ScenarioTimeout runs");
    float odo_end = -1.0f;
    for (int t = 0; t < 400 && odo_end < 0.0f; t++) {
        c = pursuit(s, 3.0f);
        scenario_step(s, &c);
        if (scenario_phase(s) == SCN_DONE) odo_end = ws->ego.travelled;
    }
    cr_expect(odo_end >= 24.0f && odo_end < 24.4f, "ended after %.2f m driven, expected 9 + 15", odo_end);
    for (int k = 0; k < 3; k++) cr_expect(ws->actors[idx[k]].flags & AF_HIDDEN, "scripted actor %d not removed at the end", k);
    cr_expect_eq(ws->ego.lane, r->lanes[1], "the ego left the parking lane");
    scenario_destroy(s);

    /* with the ego staying parked, the passing car drives off and is removed after 50 m */
    s = scn_make("ParkingExit", 2, NULL, 0);
    ws = world_state_const(scenario_world(s));
    scenario_actors(s, &idx);
    car = &ws->actors[idx[2]];
    float cx = car->k.x, cy = car->k.y, last = 0.0f, gone = -1.0f;
    Control stop = {-8.0f, 0.0f};
    for (int t = 0; t < 400 && gone < 0.0f; t++) {
        scenario_step(s, &stop);
        if (car->flags & AF_HIDDEN) gone = last;
        last = hypotf(car->k.x - cx, car->k.y - cy);
    }
    /* the script runs before each world step: the car goes at the first step it is beyond 50 m */
    cr_expect(gone > 50.0f && gone < 51.5f, "passing car removed after %.1f m", gone);
    cr_expect_eq(scenario_phase(s), SCN_RUNNING);
    scenario_destroy(s);
}

/* ---- 22. SequentialLaneChange ------------------------------------------------------------------------- */
Test(scn_merging, sequential_lane_change) {
    Scenario *s = scn_make("SequentialLaneChange", 0, "first_change=35,second_change=80,route_length=120", 1);
    const Map *m = scenario_map(s);
    const Route *r = scenario_route(s);
    cr_assert_eq(r->n_lanes, 3);
    cr_assert_eq(m->lanes[r->lanes[0]].left, r->lanes[1]);
    cr_assert_eq(m->lanes[r->lanes[1]].left, r->lanes[2]);
    cr_assert_eq(m->lanes[r->lanes[0]].right, -1, "starts in the rightmost lane");
    /* lane switches at the blend centres; each 24 m blend of 3.5 m adds sqrt(24^2+3.5^2)-24 ~ 0.25 m */
    float sw[2] = {-1.0f, -1.0f};
    for (int i = 1, k = 0; i < r->n && k < 2; i++)
        if (r->pts[i].lane != r->pts[i - 1].lane) sw[k++] = r->pts[i].s;
    cr_expect_float_eq(sw[0], 35.0f, 1.0f);
    cr_expect_float_eq(sw[1], 80.0f, 1.2f);
    cr_expect_float_eq(r->length, 120.0f + 0.5f, 0.5f);
    cr_expect_float_eq(r->pts[r->n - 1].y - r->pts[0].y, 7.0f, 0.01f, "two lanes to the left");
    int collided = 0;
    while (!scenario_ended(s)) {
        scn_step_auto(s);
        const WorldState *ws = world_state_const(scenario_world(s));
        for (int k = 0; k < ws->n_events; k++) collided |= ws->events[k].kind == EV_COLLISION && ws->events[k].actor == 0;
        if (ws->time > 60.0) break;
    }
    cr_assert_eq(scenario_acts(s), 1);
    cr_expect(s->st.timer_on, "the 200 m end is unreachable: the timer still runs at route end");
    cr_expect_eq(world_state_const(scenario_world(s))->ego.lane, r->lanes[2], "the ego ends in the leftmost lane");
    cr_expect(world_state_const(scenario_world(s))->ego.route_done);
    (void)collided;
    scenario_destroy(s);
}
