/* types_merging — SCENARIOS.md B2 (items 10-25): flows of traffic the ego must cross or merge into,
 * on the 4-way junction and the highway pieces, plus ParkingExit and SequentialLaneChange.
 *
 * Flow types (10-13, 15-20, 23-25) share flows_script; st use:
 *   i[0] junction (-1 none), i[1] ego approach lane, i[2] number of flows (flows 0..i[2]-1 start at
 *   the trigger), i[3] trigger step done, i[4] lights (LIGHTS_*), i[5] end condition (END_*),
 *   i[6] 1 = pre-fill the flows at the trigger (initial_actors), i[7] flow whose sink ends END_PAST_SINK;
 *   f[0] END_PROGRESS: route s that ends the scenario; f[1] flow_speed, f[2]/f[3] source_dist_interval;
 *   f[4] route metres after the trigger cleared of background vehicles (ego entry); f[5] / f[6]
 *   type-specific (sink distance, source s; see the type); sub 0 = lights phase 1 (ego red 5 s), 1 = phase 2.
 * HighwayCutIn, ParkingExit and SequentialLaneChange document their own st use at their section. */
#include <math.h>
#include <string.h>
#include "scenario/scn_merging_util.h"

#define KMH 0.2777778f

enum { LIGHTS_NONE, LIGHTS_FAMILY, LIGHTS_BICYCLE };
enum { END_PROGRESS, END_SINK, END_PAST_SINK };

/* Bicycles of a BicycleFlow: our roads have no bike lane, so they ride 1.1 m right of the centre of
 * the rightmost lane (the flow's lane). */
static void bicycle_flow_fix(Scenario *s) {
    WorldState *ws = world_state(s->world);
    for (int i = 1; i < ws->n_actors; i++) {
        int fi = s->st.flow_of[i];
        if (fi < 0 || s->st.flows[fi].kind != FLOW_BICYCLE || ws->actors[i].lat_target == -1.1f) continue;
        ws->actors[i].lat_target = ws->actors[i].lat_offset = -1.1f; /* a new bicycle */
    }
}

static void flows_trigger(Scenario *s) {
    s->st.i[3] = 1;
    scn_start_timer(s, SCN_TIMEOUT_S);
    if (s->st.f[4] > 0.0f) scn_leave_space_in_front(s, s->st.f[4]);
    for (int f = 0; f < s->st.i[2]; f++) { /* the flows' lanes are taken off background traffic */
        mg_clear_lanes(s, s->st.flows[f].path, s->st.flows[f].path_len);
        if (s->st.i[6]) scn_flow_prefill(s, f);
        scn_flow_start(s, f);
    }
    s->st.acts++;
    if (s->st.i[4] != LIGHTS_NONE) {
        scn_junction_lights(s, s->st.i[0], s->st.i[1], LIGHT_RED, LIGHT_RED, -1.0f);
        if (s->st.i[4] == LIGHTS_FAMILY) /* the flow's source keeps green throughout */
            world_force_light(s->world, scn_light_of(s->map, s->st.flows[0].path[0]), LIGHT_GREEN, -1.0f);
    }
}

static int flows_ended(const Scenario *s) {
    switch (s->st.i[5]) {
    case END_SINK:
        for (int f = 0; f < s->st.i[2]; f++)
            if (mg_ego_at(s, s->st.flows[f].sink_lane, s->st.flows[f].sink_s, 2.0f)) return 1;
        return 0;
    case END_PAST_SINK: {
        const ScnFlow *f = &s->st.flows[s->st.i[7]];
        float x, y, h;
        map_lane_pose(s->map, f->sink_lane, f->sink_s, &x, &y, &h);
        return scn_ego_past(s, x, y, h) && scn_dist_to_ego(s, x, y) < 10.0f;
    }
    default: return scn_ego_progress(s) >= s->st.f[0];
    }
}

static void flows_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[3]) flows_trigger(s);
    bicycle_flow_fix(s);
    if (s->st.i[4] != LIGHTS_NONE && s->st.sub == 0 && scn_sub_elapsed(s) >= 5.0 - 1e-6) {
        scn_set_sub(s, 1);
        world_force_light(s->world, scn_light_of(s->map, s->st.i[1]), LIGHT_GREEN, -1.0f);
    }
    if (flows_ended(s)) {
        if (s->st.i[4] != LIGHTS_NONE) scn_junction_lights(s, s->st.i[0], -1, LIGHT_RED, LIGHT_RED, 0.0f); /* plan resumes */
        scn_end(s);
    }
}

/* Common st set-up of the flow types. */
static void flows_setup(Scenario *s, int junction, int ego_approach, int lights, int end, int prefill) {
    s->st.i[0] = junction;
    s->st.i[1] = ego_approach;
    s->st.i[2] = 0;
    s->st.i[4] = lights;
    s->st.i[5] = end;
    s->st.i[6] = prefill;
}

static int add_junction_flow(Scenario *s, const JunctionFlowSpec *fs, Err *e) {
    int f = mg_junction_flow(s, s->st.i[1], fs);
    if (f < 0) return err_set(e, "route %s: no lane for the flow", s->spec.id);
    s->st.i[2] = f + 1;
    return 0;
}

static void draw_flow_params(Scenario *s, float v_lo, float v_hi, float from_lo, float from_hi, float to_lo, float to_hi) {
    s->st.f[1] = scn_param(s, "flow_speed", v_lo, v_hi);
    s->st.f[2] = scn_param(s, "source_dist_interval_from", from_lo, from_hi);
    s->st.f[3] = scn_param(s, "source_dist_interval_to", to_lo, to_hi);
}

/* Route metres from the trigger to the junction stop line (ego entry cleared of background). */
static float entry_clearance(const Scenario *s) { return fmaxf(0.0f, scn_route_junction_s(s) - s->trigger_s); }

/* ---- junction-flow family: 18-20, 23-25 ---------------------------------------------------------- */

/* LeftTurn: oncoming straight, source 4 v back, sink 2.5 v; RightTurn: from the left, rightmost lane,
 * straight, 5 v / 3 v, pre-filled; LeftTurnEnterFlow: oncoming turning right into the ego's exit
 * road (one lane per direction so that the two movements end in the same lane and merge). */
static JunctionFlowSpec family_flow(const Scenario *s) {
    float v = s->st.f[1];
    JunctionFlowSpec fs = {APPROACH_OPPOSITE, TURN_STRAIGHT, -1, FLOW_CONSTANT, ACTOR_CAR, 4.0f * v, 2.5f * v, v,
                           s->st.f[2], s->st.f[3]};
    if (strstr(s->type->name, "RightTurn")) {
        fs.side = APPROACH_LEFT;
        fs.back = 5.0f * v;
        fs.sink_after = 3.0f * v;
    }
    if (strstr(s->type->name, "EnterFlow")) fs.move = TURN_RIGHT;
    return fs;
}

static int family_build(Scenario *s, Err *e) {
    const char *n = s->type->name;
    int sig = !strncmp(n, "Signalized", 10), right = strstr(n, "RightTurn") != NULL, enter = strstr(n, "EnterFlow") != NULL;
    int appr = mg_junction_route(s, sig ? CONTROL_LIGHT : CONTROL_PRIORITY, enter ? 1 : 2, right ? TURN_RIGHT : TURN_LEFT,
                                 30.0f, e);
    if (appr < 0) return -1;
    /* XML ranges over the 5 routes (SCENARIOS.md 18-20, 23-25) */
    if (sig && right) draw_flow_params(s, 10.0f, 14.0f, 19.0f, 24.0f, 26.0f, 38.0f);
    else if (sig && enter) draw_flow_params(s, 8.0f, 10.0f, 16.0f, 24.0f, 25.0f, 30.0f);
    else if (sig) draw_flow_params(s, 9.0f, 11.0f, 15.0f, 24.0f, 25.0f, 28.0f);
    else if (right) draw_flow_params(s, 8.0f, 14.0f, 16.0f, 22.0f, 25.0f, 30.0f);
    else if (enter) draw_flow_params(s, 8.0f, 10.0f, 15.0f, 19.0f, 26.0f, 30.0f);
    else draw_flow_params(s, 8.0f, 11.0f, 15.0f, 24.0f, 25.0f, 30.0f);
    flows_setup(s, 0, appr, sig ? LIGHTS_FAMILY : LIGHTS_NONE, END_PROGRESS, right);
    /* junction cleared (and, unsignalised, the other entries stopped): no junction sources; left
     * variants also switch background oncoming traffic off */
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION;
    if (!right) s->bg_flags &= ~(unsigned)SCN_BG_OPPOSITE;
    return 0;
}

static int family_populate(Scenario *s, Err *e) {
    JunctionFlowSpec fs = family_flow(s);
    s->st.f[0] = scn_route_junction_exit_s(s) + 10.0f;
    s->st.f[4] = entry_clearance(s);
    return add_junction_flow(s, &fs, e);
}

/* ---- 10. CrossingBicycleFlow --------------------------------------------------------------------
 * Left turn across an oncoming bicycle flow that goes straight through the junction and on for 40 m
 * past it; no bike lane in our maps (see bicycle_flow_fix). The 5 routes' junctions may or may not be
 * signalised: drawn ("signalized" 0/1). Source 40 m before the opposite stop line (start_actor_flow
 * is a world point in the XML; 40 m is our choice). End: the ego leaves the junction. */
static int bicycle_build(Scenario *s, Err *e) {
    int sig = scn_choice(s, "signalized", 0, 1);
    draw_flow_params(s, 8.0f, 12.0f, 5.0f, 15.0f, 25.0f, 30.0f);
    int appr = mg_junction_route(s, sig ? CONTROL_LIGHT : CONTROL_PRIORITY, 2, TURN_LEFT, 30.0f, e);
    if (appr < 0) return -1;
    flows_setup(s, 0, appr, sig ? LIGHTS_BICYCLE : LIGHTS_NONE, END_PROGRESS, 1);
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION;
    return 0;
}

static int bicycle_populate(Scenario *s, Err *e) {
    JunctionFlowSpec fs = {APPROACH_OPPOSITE, TURN_STRAIGHT, -1, FLOW_BICYCLE, ACTOR_BICYCLE, 40.0f, 40.0f,
                           s->st.f[1], s->st.f[2], s->st.f[3]};
    s->st.f[0] = scn_route_junction_exit_s(s);
    s->st.f[4] = entry_clearance(s);
    return add_junction_flow(s, &fs, e);
}

/* ---- 11. EnterActorFlow ---------------------------------------------------------------------------
 * The 5 routes: 2 turn onto the flow road, 3 go straight while the flow joins. Drawn "layout":
 * 0 = ego turns right, flows from the left going straight (one per lane of that entry);
 * 1 = ego turns left, flows from the right going straight; 2 = ego straight, flow from the right
 * turning right into the ego's exit lane. Unsignalised junction. Sources 15 m before their stop line,
 * sinks 15 m past the junction exit (source->sink 29-57 m in the XML); the route ends 15-20 m past
 * the sink. Pre-filled at the trigger (our pre-fill skips junction points). End: ego within 2 m of a sink.
 * i[7] holds the layout. */
static int enter_flow_build(Scenario *s, Err *e) {
    int layout = scn_choice(s, "layout", 0, 2);
    draw_flow_params(s, 12.0f, 19.0f, 17.0f, 30.0f, 30.0f, 39.0f);
    float tail = scn_param(s, "end_after_sink", 15.0f, 20.0f);
    TurnKind turn = layout == 0 ? TURN_RIGHT : layout == 1 ? TURN_LEFT : TURN_STRAIGHT;
    int appr = mg_junction_route(s, CONTROL_PRIORITY, 2, turn, 15.0f + tail, e);
    if (appr < 0) return -1;
    flows_setup(s, 0, appr, LIGHTS_NONE, END_SINK, 1);
    s->st.i[7] = layout;
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION;
    return 0;
}

static int enter_flow_populate(Scenario *s, Err *e) {
    int layout = s->st.i[7];
    JunctionFlowSpec fs = {layout == 0 ? APPROACH_LEFT : APPROACH_RIGHT, layout == 2 ? TURN_RIGHT : TURN_STRAIGHT,
                           0, FLOW_CONSTANT, ACTOR_CAR, 15.0f, 15.0f, s->st.f[1], s->st.f[2], s->st.f[3]};
    int lanes = layout == 2 ? 1 : s->mp.lanes_fwd;
    for (int k = 0; k < lanes; k++) {
        fs.rank = layout == 2 ? -1 : k;
        if (add_junction_flow(s, &fs, e)) return -1;
    }
    s->st.f[4] = entry_clearance(s);
    return 0;
}

/* ---- 12. HighwayExit -------------------------------------------------------------------------------
 * Highway piece: the ego starts in the second lane from the right of the section before the exit,
 * its route changes right into the rightmost lane (centred "lane_change_at" 70-100 m into the
 * section, our choice) and leaves by the exit ramp. The flow runs the rightmost lane from the start
 * of that section straight on past the exit (sink 20-40 m into the next section), pre-filled at the
 * trigger. Our exit ramp has no junction: the end is the ego 10 m into the exit ramp. */
static int highway_exit_build(Scenario *s, Err *e) {
    HighwayLanes h;
    if (mg_highway(s, &h, e)) return -1;
    int n = h.n;
    draw_flow_params(s, 10.0f, 15.0f, 11.0f, 20.0f, 33.0f, 46.0f);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    float change = scn_param(s, "lane_change_at", 70.0f, 100.0f), end = scn_param(s, "exit_length", 50.0f, 75.0f);
    s->st.f[5] = scn_param(s, "sink_dist", 20.0f, 40.0f);
    int lanes[3] = {h.mid[n - 2], h.mid[n - 1], h.off};
    float centres[3] = {change, 0.0f, 0.0f};
    if (mg_route_changes(s, lanes, 3, 10.0f, centres, 15.0f, end, e)) return -1;
    flows_setup(s, -1, -1, LIGHTS_NONE, END_PROGRESS, 1);
    return 0;
}

static int highway_exit_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int flow_lane = s->route.lanes[1], off = s->route.lanes[2], down = -1;
    for (int k = 0; k < m->lanes[flow_lane].n_succ; k++)
        if (m->lanes[flow_lane].succ[k] != off) down = m->lanes[flow_lane].succ[k];
    if (down < 0) return err_set(e, "route %s: the flow lane does not continue past the exit", s->spec.id);
    int path[2] = {flow_lane, down};
    int f = scn_flow_add(s, FLOW_CONSTANT, ACTOR_CAR, path, 2, 0.5f, path[1], s->st.f[5], s->st.f[1], s->st.f[2],
                         s->st.f[3]);
    if (f < 0) return err_set(e, "route %s: cannot add the flow", s->spec.id);
    s->st.i[2] = 1;
    s->st.f[0] = mg_route_s_on(s, off) + 10.0f;
    return 0;
}

/* ---- 13. InterurbanActorFlow ------------------------------------------------------------------------
 * Exact lane layout unverified (SCENARIOS.md). Ours: 2 lanes per direction, unsignalised; the ego starts
 * in the right lane, the flow runs straight through the junction in the lane immediately left of it
 * (same direction, not pre-filled, source 21-30 m behind the trigger, sink 40 m past the junction);
 * the ego's route changes left into the flow lane (a left turn only leaves from the leftmost lane
 * here) 30 m before the stop line and turns left. Oncoming background off. End: ego leaves the junction. */
static int interurban_build(Scenario *s, Err *e) {
    s->mp = map_default_params(MAP_JUNCTION4);
    s->mp.control = CONTROL_PRIORITY;
    s->mp.length = 90.0f;
    if (scn_build_map(s, e)) return -1;
    const Map *m = s->map;
    int left = scn_approach_at(m, 0, 270.0f, 1), right = scn_approach_at(m, 0, 270.0f, 0);
    int conn = left >= 0 ? scn_connector(m, left, TURN_LEFT) : -1;
    if (conn < 0 || right == left) return err_set(e, "route %s: no two-lane southern approach", s->spec.id);
    draw_flow_params(s, 15.0f, 16.0f, 42.0f, 53.0f, 78.0f, 98.0f);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    float behind = scn_param(s, "source_behind_trigger", 21.0f, 30.0f);
    float len = m->lanes[left].length, s0 = len - s->trigger_s - scn_param(s, "approach", 45.0f, 55.0f);
    int lanes[4] = {right, left, conn, scn_exit_lane(m, conn)};
    float centres[4] = {len - 30.0f, 0.0f, 0.0f, 0.0f};
    if (mg_route_changes(s, lanes, 4, s0, centres, 12.0f, 30.0f, e)) return -1;
    s->st.f[5] = fmaxf(1.0f, s0 + s->trigger_s - behind);
    flows_setup(s, 0, left, LIGHTS_NONE, END_PROGRESS, 0);
    s->bg_flags &= ~(unsigned)(SCN_BG_JUNCTION | SCN_BG_OPPOSITE);
    return 0;
}

static int interurban_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int src = s->st.i[1], conn = scn_connector(m, src, TURN_STRAIGHT), exit = scn_exit_lane(m, conn);
    int path[3] = {src, conn, exit};
    if (scn_flow_add(s, FLOW_CONSTANT, ACTOR_CAR, path, 3, s->st.f[5], exit, 40.0f, s->st.f[1], s->st.f[2], s->st.f[3]) < 0)
        return err_set(e, "route %s: cannot add the flow", s->spec.id);
    s->st.i[2] = 1;
    s->st.f[0] = scn_route_junction_exit_s(s);
    s->st.f[4] = entry_clearance(s);
    return 0;
}

/* ---- 15. InterurbanAdvancedActorFlow ------------------------------------------------------------------
 * The flows' lanes in the 5 routes are unverified. Ours: the ego comes up a side road (south arm) and
 * turns left onto the main road (east-west), first crossing flow 1 (from the left, straight, its
 * rightmost lane) and then merging into flow 2 (from the right, straight, into the ego's exit lane).
 * Both not pre-filled, sources 60 m before their stop lines, sinks 25 m past the junction; the route
 * ends 10 m past flow 2's sink. End: ego past flow 2's sink and within 10 m of it. */
static int interurban_adv_build(Scenario *s, Err *e) {
    draw_flow_params(s, 16.0f, 18.0f, 36.0f, 42.0f, 84.0f, 94.0f);
    int appr = mg_junction_route(s, CONTROL_PRIORITY, 2, TURN_LEFT, 35.0f, e);
    if (appr < 0) return -1;
    flows_setup(s, 0, appr, LIGHTS_NONE, END_PAST_SINK, 0);
    s->st.i[7] = 1;
    s->bg_flags &= ~(unsigned)(SCN_BG_JUNCTION | SCN_BG_OPPOSITE);
    return 0;
}

static int interurban_adv_populate(Scenario *s, Err *e) {
    JunctionFlowSpec f1 = {APPROACH_LEFT, TURN_STRAIGHT, -1, FLOW_CONSTANT, ACTOR_CAR, 60.0f, 25.0f,
                           s->st.f[1], s->st.f[2], s->st.f[3]};
    JunctionFlowSpec f2 = f1;
    f2.side = APPROACH_RIGHT;
    f2.rank = 0; /* straight from the leftmost lane ends in the exit lane of the ego's left turn */
    if (add_junction_flow(s, &f1, e) || add_junction_flow(s, &f2, e)) return -1;
    s->st.f[4] = entry_clearance(s);
    return 0;
}

/* ---- 16. MergerIntoSlowTrafficV2 / 17. MergerIntoSlowTraffic ------------------------------------------
 * Highway piece. V2: the ego keeps the rightmost main lane; the slow flow comes down the entry ramp,
 * tapers into the ego's lane and runs through it. V1: the ego comes down the ramp and merges into the
 * slow flow that runs the rightmost main lane. Flow pre-filled at the trigger (our pre-fill skips the
 * merge-zone points); sink 5-10 m past the merge zone, the route ends 6-8 m (V2) / 16-18 m (V1) past it.
 * End: ego within 2 m of the sink. */
static int merger_build(Scenario *s, Err *e) {
    int v2 = strstr(s->type->name, "V2") != NULL;
    HighwayLanes h;
    if (mg_highway(s, &h, e)) return -1;
    int n = h.n;
    if (v2) draw_flow_params(s, 10.0f, 10.0f, 11.0f, 14.0f, 30.0f, 34.0f);
    else draw_flow_params(s, 9.0f, 10.0f, 14.0f, 16.0f, 33.0f, 42.0f);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    s->st.f[5] = scn_param(s, "sink_dist", 5.0f, 10.0f);
    float tail = v2 ? scn_param(s, "end_after_sink", 6.0f, 8.0f) : scn_param(s, "end_after_sink", 16.0f, 18.0f);
    int ego[4] = {h.up[n - 1], h.acc_road[n - 1], h.merge_conn, h.mid[n - 1]};
    int ramp[4] = {h.on, h.acc, h.taper, h.mid[n - 1]};
    const int *route = v2 ? ego : ramp, *flow = v2 ? ramp : ego;
    /* V2: ego from 50 m before the acceleration section; V1: ego 55 m before the ramp's end */
    float s0 = v2 ? s->map->lanes[h.up[n - 1]].length - 50.0f : s->map->lanes[h.on].length - 55.0f;
    if (scn_route_lanes(s, route, 4, s0, s->st.f[5] + tail, e)) return -1;
    /* flow source: V2 on the ramp 12 m before its end; V1 on the main lane beside the ego's start */
    float x, y;
    scn_route_pose(s, 0.0f, &x, &y, NULL, NULL, NULL);
    LaneProj p;
    map_project(s->map, flow[0], x, y, -1, &p);
    s->st.f[6] = v2 ? s->map->lanes[flow[0]].length - 12.0f : p.s;
    flows_setup(s, -1, -1, LIGHTS_NONE, END_SINK, 1);
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION;
    return 0;
}

static int merger_populate(Scenario *s, Err *e) {
    int ego_last = s->route.lanes[s->route.n_lanes - 1];
    int path[4];
    /* the flow runs the other branch of the merge: rebuild it from the route's lanes */
    const Map *m = s->map;
    int conn = s->route.lanes[2];
    int other_conn = -1;
    for (int k = 0; k < m->lanes[ego_last].n_pred; k++)
        if (m->lanes[ego_last].pred[k] != conn) other_conn = m->lanes[ego_last].pred[k];
    if (other_conn < 0 || m->lanes[other_conn].n_pred < 1) return err_set(e, "route %s: no merging branch", s->spec.id);
    int before = m->lanes[other_conn].pred[0];
    if (m->lanes[before].n_pred < 1) return err_set(e, "route %s: merging branch too short", s->spec.id);
    path[0] = m->lanes[before].pred[0];
    path[1] = before;
    path[2] = other_conn;
    path[3] = ego_last;
    if (scn_flow_add(s, FLOW_CONSTANT, ACTOR_CAR, path, 4, s->st.f[6], ego_last, s->st.f[5], s->st.f[1], s->st.f[2],
                     s->st.f[3]) < 0)
        return err_set(e, "route %s: cannot add the flow", s->spec.id);
    s->st.i[2] = 1;
    return 0;
}

/* ---- 14. HighwayCutIn ---------------------------------------------------------------------------------
 * Highway piece; the ego keeps the rightmost main lane past the entry. st use: i[0] cut-in car,
 * i[1] the ego's lane beside the acceleration lane (the cut-in target), f[0..1] T_car, f[2..3] T_ego,
 * f[4] the car's lateral offset when its lane change starts, f[5] other_actor_lateral; sub 1 = SyncArrivalWithAgent, 2 = CutIn,
 * 3 = done. The car waits hidden on the entry ramp "other_actor_lateral" 14-17 m from the ego's lane.
 * Our ramp tapers into the ego's lane inside the merge zone, so the synchronisation points sit on
 * the acceleration lane beside the ego's lane: T_car 45 m along it, T_ego 10 m behind T_car on the
 * ego's lane (the source's "junction end + 10 m" lead); the cut-in changes left from there. */
#define CUTIN_T_CAR_S 45.0f
#define CUTIN_LEAD 10.0f

static int cut_in_build(Scenario *s, Err *e) {
    HighwayLanes h;
    if (mg_highway(s, &h, e)) return -1;
    int n = h.n;
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    s->st.f[5] = scn_param(s, "other_actor_lateral", 14.0f, 17.0f);
    int lanes[4] = {h.up[n - 1], h.acc_road[n - 1], h.merge_conn, h.mid[n - 1]};
    if (scn_route_lanes(s, lanes, 4, s->map->lanes[h.up[n - 1]].length - 50.0f, 10.0f, e)) return -1;
    s->bg_flags &= ~(unsigned)SCN_BG_JUNCTION; /* junction cleared, ramp entry removed */
    return 0;
}

static int cut_in_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int target = s->route.lanes[1], acc = m->lanes[target].right, on = m->lanes[acc].pred[0];
    /* the ramp point whose lateral distance from the ego's lane is closest to the drawn one */
    float y_lane = m->points[m->lanes[target].first_point].y, best = 1e9f, best_s = 0.0f;
    const Lane *l = &m->lanes[on];
    for (int k = 0; k < l->n_points; k++) {
        const LanePoint *p = &m->points[l->first_point + k];
        float d = fabsf(fabsf(p->y - y_lane) - s->st.f[5]);
        if (d < best) best = d, best_s = p->s;
    }
    Actor a = actor_make_vehicle(s->world, ACTOR_CAR, on, best_s, 0.0f, &s->build_rng);
    a.flags |= AF_HIDDEN | AF_IGNORE_VEHICLES | AF_IGNORE_JUNCTION | AF_NO_LANE_CHANGE | AF_IGNORE_SIGNS | AF_IGNORE_LIGHTS;
    s->st.i[0] = scn_add_actor(s, &a);
    if (s->st.i[0] < 0) return err_set(e, "route %s: world full", s->spec.id);
    s->st.i[1] = target;
    float h;
    map_lane_pose(m, acc, CUTIN_T_CAR_S, &s->st.f[0], &s->st.f[1], &h);
    LaneProj p;
    map_project(m, target, s->st.f[0], s->st.f[1], -1, &p);
    map_lane_pose(m, target, p.s - CUTIN_LEAD, &s->st.f[2], &s->st.f[3], &h);
    return 0;
}

static void cut_in_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    Actor *car = &world_state(s->world)->actors[s->st.i[0]];
    const Actor *ego = scn_ego(s);
    if (s->st.sub == 0) {
        scn_show(s, s->st.i[0]);
        scn_set_sub(s, 1);
    }
    if (s->st.sub == 1) {
        /* ConstantVelocityAgent at (its distance to T_car) / (the ego's time to T_ego) */
        float d_car = hypotf(car->k.x - s->st.f[0], car->k.y - s->st.f[1]);
        float tta = scn_dist_to_ego(s, s->st.f[2], s->st.f[3]) / fmaxf(ego->k.speed, 0.1f);
        float v = fminf(d_car / fmaxf(tta, 0.1f), 40.0f);
        car->k.speed = car->target_speed = car->idm.v0 = v;
        if (d_car < 5.0f) {
            scn_set_sub(s, 2);
            s->st.acts++;
            car->flags &= (uint16_t)~(AF_IGNORE_VEHICLES | AF_IGNORE_JUNCTION); /* a BasicAgent from here on */
        }
    }
    if (s->st.sub == 2) {
        double t = scn_sub_elapsed(s);
        car->target_speed = car->idm.v0 = 0.8f * ego->k.speed;
        if (t >= 0.3 - 1e-6 && car->path[0] != s->st.i[1]) {
            scn_lane_change(s, s->st.i[0], s->st.i[1]);
            s->st.f[4] = car->lat_offset;
        }
        /* 2 s lateral change (the world's own lane-change rate is 1 m/s) */
        if (car->path[0] == s->st.i[1]) car->lat_offset = s->st.f[4] * fmaxf(0.0f, 1.0f - (float)(t - 0.3) / 2.0f);
        if (t >= 5.3 - 1e-6) {
            scn_hide(s, s->st.i[0]);
            scn_set_sub(s, 3);
            scn_end(s);
        }
    }
}

/* ---- 21. ParkingExit -------------------------------------------------------------------------------
 * A one-lane-per-direction street with parking lanes; the route starts in the right parking lane
 * (TP = route start) and pulls out into the driving lane over 8 m centred 5 m ahead. The ego and the
 * parked cars sit (lane width - half width) / 4 outwards. st use: i[0] passing car, i[1] trigger
 * step done, f[0..1] passing car start, f[2] ego odometer that ends the scenario (front distance + 15);
 * f[5] / f[6] front / behind parked-car distances. The passing car is removed after 50 m, every
 * scripted actor at the end.
 * Background road spacing stays 15 m (flow_distance 25 m has no hook in our background traffic). */
#define PARK_START 40.0f

static int parking_exit_build(Scenario *s, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.lanes_fwd = s->mp.lanes_bwd = 1;
    s->mp.parking = 1;
    s->mp.sidewalks = 1;
    s->mp.length = 200.0f;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, 100.0f, -0.5f * s->mp.lane_width, 0.0f, 1u << LANE_DRIVING, 1.0f, &p))
        return err_set(e, "route %s: no driving lane", s->spec.id);
    int park = s->map->lanes[p.lane].right;
    if (park < 0 || s->map->lanes[park].kind != LANE_PARKING) return err_set(e, "route %s: no parking lane", s->spec.id);
    s->st.f[5] = scn_param(s, "front_vehicle_distance", 9.0f, 9.0f);
    s->st.f[6] = scn_param(s, "behind_vehicle_distance", 9.0f, 9.0f);
    (void)scn_param(s, "speed", 60.0f, 60.0f); /* read but unused by the source */
    s->trigger_s = 0.0f;
    int lanes[2] = {park, p.lane};
    float centres[2] = {PARK_START + 5.0f, 0.0f};
    return mg_route_changes(s, lanes, 2, PARK_START, centres, 5.0f, PARK_START + scn_param(s, "route_length", 100.0f, 120.0f),
                            e);
}

static int parking_exit_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int park = s->route.lanes[0], drv = s->route.lanes[1];
    float w = m->lanes[park].width;
    Actor *ego = &world_state(s->world)->actors[0];
    float out = (w - 0.5f * ego->width) / 4.0f; /* towards the kerb = to the right */
    ego->k.x += sinf(ego->k.heading) * out;
    ego->k.y -= cosf(ego->k.heading) * out;
    float lat = -(w - 0.5f * 1.95f) / 4.0f;
    if (scn_add_parked(s, ACTOR_CAR, park, PARK_START + s->st.f[5], lat, 0) < 0 ||
        scn_add_parked(s, ACTOR_CAR, park, PARK_START - s->st.f[6], lat, 0) < 0)
        return err_set(e, "route %s: world full", s->spec.id);
    s->st.i[0] = scn_add_vehicle(s, ACTOR_CAR, drv, PARK_START, 0.0f, 0);
    if (s->st.i[0] < 0) return err_set(e, "route %s: world full", s->spec.id);
    const Actor *car = &world_state(s->world)->actors[s->st.i[0]];
    s->st.f[0] = car->k.x;
    s->st.f[1] = car->k.y;
    s->st.f[2] = s->st.f[5] + 15.0f;
    return 0;
}

static void parking_exit_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[1]) {
        s->st.i[1] = 1;
        scn_start_timer(s, SCN_TIMEOUT_S);
        s->st.acts++;
    }
    const Actor *car = &world_state(s->world)->actors[s->st.i[0]];
    if (!(car->flags & AF_HIDDEN) && hypotf(car->k.x - s->st.f[0], car->k.y - s->st.f[1]) > 50.0f) scn_hide(s, s->st.i[0]);
    if (world_state_const(s->world)->ego.travelled >= s->st.f[2]) { /* then the source destroys its actors */
        for (int k = 0; k < s->st.n_actors; k++) scn_hide(s, s->st.actors[k]);
        scn_end(s);
    }
}

/* ---- 22. SequentialLaneChange ------------------------------------------------------------------------
 * A straight road with 3 lanes our way (2 back); the route starts in the rightmost lane and changes
 * left twice, centred "first_change" 30-45 m and "second_change" 75-90 m after its start (24 m
 * blends), 117-122 m long. TP = route start. st use: i[0] trigger step done, f[0] ego odometer at
 * the trigger; the scenario ends after 200 m driven (unreachable on this route, as in the source). */
static int seq_lane_change_build(Scenario *s, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.lanes_fwd = 3;
    s->mp.lanes_bwd = 2;
    s->mp.sidewalks = 1;
    s->mp.length = 200.0f;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, 100.0f, -0.5f * s->mp.lane_width, 0.0f, 1u << LANE_DRIVING, 1.0f, &p))
        return err_set(e, "route %s: no driving lane", s->spec.id);
    int lanes[3];
    lanes[0] = scn_outer_lane(s->map, p.lane, 0);
    lanes[1] = s->map->lanes[lanes[0]].left;
    lanes[2] = lanes[1] >= 0 ? s->map->lanes[lanes[1]].left : -1;
    if (lanes[2] < 0 || s->map->lanes[lanes[1]].left_opposite) return err_set(e, "route %s: fewer than 3 lanes", s->spec.id);
    float s0 = 20.0f;
    float centres[3] = {s0 + scn_param(s, "first_change", 30.0f, 45.0f), s0 + scn_param(s, "second_change", 75.0f, 90.0f), 0};
    s->trigger_s = 0.0f;
    return mg_route_changes(s, lanes, 3, s0, centres, 15.0f, s0 + scn_param(s, "route_length", 117.0f, 122.0f), e);
}

static void seq_lane_change_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    float odo = world_state_const(s->world)->ego.travelled;
    if (!s->st.i[0]) {
        s->st.i[0] = 1;
        s->st.f[0] = odo;
        scn_start_timer(s, SCN_TIMEOUT_S);
        s->st.acts++;
    }
    if (odo - s->st.f[0] >= 200.0f) scn_end(s);
}

/* ---- registry ------------------------------------------------------------------------------------ */
#define FLOW_TYPE(var, name, build, populate) static const ScenarioType var = {name, build, populate, flows_script}
FLOW_TYPE(CROSSING_BICYCLE_FLOW, "CrossingBicycleFlow", bicycle_build, bicycle_populate);
FLOW_TYPE(ENTER_ACTOR_FLOW, "EnterActorFlow", enter_flow_build, enter_flow_populate);
FLOW_TYPE(HIGHWAY_EXIT, "HighwayExit", highway_exit_build, highway_exit_populate);
FLOW_TYPE(INTERURBAN_ACTOR_FLOW, "InterurbanActorFlow", interurban_build, interurban_populate);
FLOW_TYPE(INTERURBAN_ADVANCED_ACTOR_FLOW, "InterurbanAdvancedActorFlow", interurban_adv_build, interurban_adv_populate);
FLOW_TYPE(MERGER_V2, "MergerIntoSlowTrafficV2", merger_build, merger_populate);
FLOW_TYPE(MERGER, "MergerIntoSlowTraffic", merger_build, merger_populate);
FLOW_TYPE(NONSIG_LEFT, "NonSignalizedJunctionLeftTurn", family_build, family_populate);
FLOW_TYPE(NONSIG_RIGHT, "NonSignalizedJunctionRightTurn", family_build, family_populate);
FLOW_TYPE(NONSIG_LEFT_ENTER, "NonSignalizedJunctionLeftTurnEnterFlow", family_build, family_populate);
FLOW_TYPE(SIG_LEFT, "SignalizedJunctionLeftTurn", family_build, family_populate);
FLOW_TYPE(SIG_RIGHT, "SignalizedJunctionRightTurn", family_build, family_populate);
FLOW_TYPE(SIG_LEFT_ENTER, "SignalizedJunctionLeftTurnEnterFlow", family_build, family_populate);
static const ScenarioType HIGHWAY_CUT_IN = {"HighwayCutIn", cut_in_build, cut_in_populate, cut_in_script};
static const ScenarioType PARKING_EXIT = {"ParkingExit", parking_exit_build, parking_exit_populate, parking_exit_script};
static const ScenarioType SEQUENTIAL_LANE_CHANGE = {"SequentialLaneChange", seq_lane_change_build, NULL,
                                                   seq_lane_change_script};

const ScenarioType *const scn_types_merging[] = {
    &CROSSING_BICYCLE_FLOW, &ENTER_ACTOR_FLOW, &HIGHWAY_EXIT, &INTERURBAN_ACTOR_FLOW, &HIGHWAY_CUT_IN,
    &INTERURBAN_ADVANCED_ACTOR_FLOW, &MERGER_V2, &MERGER, &NONSIG_LEFT, &NONSIG_RIGHT, &NONSIG_LEFT_ENTER,
    &PARKING_EXIT, &SEQUENTIAL_LANE_CHANGE, &SIG_LEFT, &SIG_RIGHT, &SIG_LEFT_ENTER, NULL};
