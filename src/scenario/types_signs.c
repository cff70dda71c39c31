/* types_signs — SCENARIOS.md B4 (give way: InvadingTurn, YieldToEmergencyVehicle) and B5 (traffic
 * signs only: T_Junction and the four Vanilla junction turns). Give-way types script one
 * adversary (an invading oncoming flow, an emergency vehicle from behind); the sign types have no
 * actors and only force lights or run a timer. st.i[] / st.f[] use is given per section. */
#include <math.h>
#include "craft/geom.h"
#include "scenario/scn_internal.h"

#define KMH 0.2777778f

/* ---- 38. InvadingTurn ----------------------------------------------------------------------------
 * A 1+1 curve (MAP_CURVE, radius 40 m): the ego drives the backward lane, which bends right, so the
 * oncoming cars turn left and cut the corner into the ego lane. F = TP + distance + 30 m on the
 * ego lane; an InvadingActorFlow (reactive, fixed 40 m spacing, ego lane speed limit) runs on the
 * oncoming lane from beside F to beside the TP, every car offset (offset + w/2 - 0.7) m towards the
 * centre line; cones every 5 m over 0.5 x distance from 10 m after the source, hidden until the
 * trigger, on the oncoming lane's right edge. Choice: the source puts them 0.4 w right of the lane
 * centre, but our lane-level traffic treats any static touching a lane as a leader (CARLA's
 * BasicAgent ignores props), so the flow would stop behind them; they sit just outside the edge. The source removes the ego lane and the
 * oncoming side from the background at the trigger (2-14 m after the start): we clear them at build.
 * st: i[0] ego lane, i[1] oncoming lane, i[2] flow, i[3] first cone actor slot (in st.actors),
 *     i[4] cone count, f[0] lane s of F on the ego lane, f[1] lateral offset of flow cars (m). */
#define INVADE_RADIUS 40.0f
#define INVADE_LENGTH 120.0f
#define CONE_HALF 0.2f
#define CONE_OUT (CONE_HALF + 0.05f) /* centre beyond the lane edge: the cone clears the lane */

static int invading_build(Scenario *s, Err *e) {
    s->mp = map_default_params(MAP_CURVE);
    s->mp.lanes_fwd = s->mp.lanes_bwd = 1;
    s->mp.radius = INVADE_RADIUS;
    s->mp.length = INVADE_LENGTH;
    s->mp.sidewalks = 1;
    if (scn_build_map(s, e)) return -1;
    /* the upper straight runs along x = L + R; the backward lane heads down (-y) */
    LaneProj p;
    if (map_nearest_lane(s->map, INVADE_LENGTH + INVADE_RADIUS, INVADE_RADIUS + 0.5f * INVADE_LENGTH,
                         -0.5f * (float)M_PI, 1u << LANE_DRIVING, 6.0f, &p))
        return err_set(e, "route %s: no backward lane on the curve", s->spec.id);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 14.0f);
    float distance = scn_param(s, "distance", 50.0f, 60.0f);
    s->st.f[1] = scn_param(s, "offset", 0.18f, 0.34f);
    s->st.f[2] = distance;
    s->ego_speed0 = 0.0f;
    s->bg_flags &= ~(unsigned)(SCN_BG_FRONT | SCN_BG_BACK | SCN_BG_OPPOSITE);
    /* the TP sits 25 m before the bend */
    float start = INVADE_LENGTH - 25.0f - s->trigger_s;
    return scn_route_along(s, p.lane, start, s->trigger_s + distance + 30.0f + 20.0f, e);
}

static int invading_populate(Scenario *s, Err *e) {
    const Map *m = s->map;
    int lane;
    float ls, xf, yf, hf, xt, yt, ht;
    scn_route_pose(s, s->trigger_s + s->st.f[2] + 30.0f, &xf, &yf, &hf, &lane, &ls);
    scn_route_pose(s, s->trigger_s, &xt, &yt, &ht, NULL, NULL);
    const Lane *l = &m->lanes[lane];
    if (l->left < 0 || !l->left_opposite) return err_set(e, "route %s: no oncoming lane", s->spec.id);
    int opp = l->left;
    LaneProj pf, pt;
    map_project(m, opp, xf, yf, -1, &pf);
    map_project(m, opp, xt, yt, -1, &pt);
    s->st.i[0] = lane;
    s->st.i[1] = opp;
    s->st.f[0] = ls;
    int path[1] = {opp};
    s->st.i[2] = scn_flow_add(s, FLOW_REACTIVE, ACTOR_CAR, path, 1, pf.s, opp, pt.s, l->speed_limit, 40.0f, 40.0f);
    if (s->st.i[2] < 0) return err_set(e, "route %s: no flow slot", s->spec.id);
    float w = m->lanes[opp].width;
    s->st.i[3] = s->st.n_actors;
    for (float d = 0.0f; d < 0.5f * s->st.f[2]; d += 5.0f) {
        int c = scn_add_prop(s, opp, pf.s + 10.0f + d, -(0.5f * w + CONE_OUT), 2.0f * CONE_HALF, 2.0f * CONE_HALF);
        if (c < 0) return err_set(e, "route %s: world full", s->spec.id);
        scn_hide(s, c);
    }
    s->st.i[4] = s->st.n_actors - s->st.i[3];
    return 0;
}

static void invading_script(Scenario *s) {
    ScnState *st = &s->st;
    if (st->phase != SCN_RUNNING) {
        if (st->phase == SCN_DONE && st->sub == 1) { /* cones destroyed */
            for (int k = 0; k < st->i[4]; k++) scn_hide(s, st->actors[st->i[3] + k]);
            scn_set_sub(s, 2);
        }
        return;
    }
    WorldState *ws = world_state(s->world);
    if (st->sub == 0) {
        scn_set_sub(s, 1);
        for (int k = 0; k < st->i[4]; k++) scn_show(s, st->actors[st->i[3] + k]);
        scn_flow_start(s, st->i[2]);
        scn_start_timer(s, SCN_TIMEOUT_S);
        st->acts++;
    }
    /* InvadingActorFlow: every car of the flow keeps its offset towards the centre line (+ = left) */
    float lat = st->f[1] + 0.5f * s->map->lanes[st->i[1]].width - 0.7f;
    for (int i = 1; i < ws->n_actors; i++)
        if (st->flow_of[i] == st->i[2] && !(ws->actors[i].flags & AF_HIDDEN))
            ws->actors[i].lat_offset = ws->actors[i].lat_target = lat;
    float x, y, h;
    map_lane_pose(s->map, st->i[0], st->f[0], &x, &y, &h);
    if (scn_ego_past(s, x, y, h) && scn_dist_to_ego(s, x, y) < 50.0f) scn_end(s);
}

/* ---- 39. YieldToEmergencyVehicle -----------------------------------------------------------------
 * Straight 2+2 road; the ego drives the LEFT forward lane so that yielding means pulling right (as
 * traffic does for sirens). The EV (AF_SIREN) waits hidden `distance` m behind the TP in the ego
 * lane. From the trigger it is a ConstantVelocityAgent: its speed is SET every tick to ego speed +
 * 25 m/s, or to the speed of a vehicle ahead in its path within 10 + 0.15 v m (bounding boxes), so
 * the world's IDM does not drive it (AF_IGNORE_VEHICLES). End (first of): EV within 50 m of the
 * ego, then 10 s; EV ahead of the ego by both half lengths, then 50 m driven; or the route about to
 * complete (the route's end terminates the scenario in the source too). At the end the EV is
 * removed and, if it is still behind the ego, one yield_emergency_vehicle infraction is recorded.
 * st: i[0] EV actor, i[1] ego lane, f[0] distance, f[1..2] EV position when it got ahead (f[3] = 1),
 *     sub 0 = not yet within 50 m, 1 = within 50 m (10 s clock). */
#define EV_EXTRA_SPEED 25.0f

static int yield_build(Scenario *s, Err *e) {
    s->mp = map_default_params(MAP_STRAIGHT);
    s->mp.length = 320.0f;
    s->mp.sidewalks = 1;
    if (scn_build_map(s, e)) return -1;
    LaneProj p;
    if (map_nearest_lane(s->map, 60.0f, 0.0f, 0.0f, 1u << LANE_DRIVING, 20.0f, &p))
        return err_set(e, "route %s: no forward lane", s->spec.id);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 14.0f);
    s->st.f[0] = scn_param(s, "distance", 26.0f, 30.0f);
    s->ego_speed0 = 0.0f;
    return scn_route_along(s, scn_outer_lane(s->map, p.lane, 1), 60.0f, s->trigger_s + 100.0f, e);
}

static int yield_populate(Scenario *s, Err *e) {
    int lane;
    float ls;
    scn_route_pose(s, s->trigger_s, NULL, NULL, NULL, &lane, &ls);
    s->st.i[1] = lane;
    uint16_t fl = AF_SIREN | AF_HIDDEN | AF_NO_LANE_CHANGE | AF_IGNORE_VEHICLES | AF_IGNORE_LIGHTS | AF_IGNORE_SIGNS;
    int ev = scn_add_vehicle(s, ACTOR_EMERGENCY, lane, ls - s->st.f[0], 0.0f, fl);
    if (ev < 0) return err_set(e, "route %s: world full", s->spec.id);
    s->st.i[0] = ev;
    return 0;
}

/* ConstantVelocityAgent: hazard speed of the nearest vehicle ahead within detection, else target. */
static float ev_speed(const Scenario *s, const Actor *ev, float target) {
    const WorldState *ws = world_state_const(s->world);
    float reach = 10.0f + 0.15f * ev->k.speed, best = 1e9f, speed = target;
    for (int j = 0; j < ws->n_actors; j++) {
        const Actor *b = &ws->actors[j];
        if (b == ev || (b->flags & AF_HIDDEN) || b->type == ACTOR_PEDESTRIAN) continue;
        float fx, fy;
        to_frame(ev->k.x, ev->k.y, ev->k.heading, b->k.x, b->k.y, &fx, &fy);
        float gap = fx - 0.5f * (ev->length + b->length);
        if (fx <= 0.0f || gap > reach || fabsf(fy) > 0.5f * (ev->width + b->width) || gap >= best) continue;
        best = gap;
        speed = fmaxf(0.0f, b->k.speed * cosf(wrap_angle(b->k.heading - ev->k.heading)));
    }
    return speed;
}

static void yield_finish(Scenario *s) {
    const Actor *ev = &world_state_const(s->world)->actors[s->st.i[0]], *ego = scn_ego(s);
    /* YieldToEmergencyVehicleTest: failure while the ego is ahead of the EV along its heading */
    if ((ego->k.x - ev->k.x) * cosf(ev->k.heading) + (ego->k.y - ev->k.y) * sinf(ev->k.heading) > 0.0f)
        criteria_add_yield_failure(&s->crit);
    scn_hide(s, s->st.i[0]);
    scn_end(s);
}

static void yield_script(Scenario *s) {
    ScnState *st = &s->st;
    if (st->phase != SCN_RUNNING) return;
    WorldState *ws = world_state(s->world);
    Actor *ev = &ws->actors[st->i[0]];
    const Actor *ego = &ws->actors[0];
    if (ev->flags & AF_HIDDEN) { /* the trigger step: the ego lane is cleared, the EV appears */
        for (int i = 1; i < ws->n_actors; i++) {
            Actor *a = &ws->actors[i];
            if ((a->flags & AF_BACKGROUND) && st->flow_of[i] < 0 && a->path[0] == st->i[1]) a->flags |= AF_HIDDEN;
        }
        scn_clear_area(s, ev->k.x, ev->k.y, 10.0f); /* no background car under the EV (lane changers) */
        scn_show(s, st->i[0]);
        st->acts++;
    }
    float v = ev_speed(s, ev, ego->k.speed + EV_EXTRA_SPEED);
    ev->k.speed = v;
    ev->target_speed = v;
    ev->idm.v0 = v;
    float d = hypotf(ev->k.x - ego->k.x, ev->k.y - ego->k.y);
    if (st->sub == 0 && d < 50.0f) scn_set_sub(s, 1);
    if (st->f[3] == 0.0f) {
        float ahead = 0.5f * (ev->length + ego->length);
        float px = ego->k.x + cosf(ego->k.heading) * ahead, py = ego->k.y + sinf(ego->k.heading) * ahead;
        if ((ev->k.x - px) * cosf(ego->k.heading) + (ev->k.y - py) * sinf(ego->k.heading) > 0.0f && d < 10.0f + ahead) {
            st->f[1] = ev->k.x, st->f[2] = ev->k.y, st->f[3] = 1.0f;
        }
    }
    int passed = st->f[3] != 0.0f && hypotf(ev->k.x - st->f[1], ev->k.y - st->f[2]) >= 50.0f;
    int waited = st->sub == 1 && scn_sub_elapsed(s) >= 10.0 - 1e-6;
    int route_ending = scn_ego_progress(s) >= 0.99f * s->route.length - 1.0f;
    if (passed || waited || route_ending) yield_finish(s);
}

/* ---- 40. T_Junction -------------------------------------------------------------------------------
 * MAP_TJUNCTION, control drawn per route ("control": 0 lights, 1 stop signs, 2 priority; the source
 * takes it from the CARLA junction, unverified per route), approach and turn drawn ("approach":
 * 0 stem left, 1 stem right, 2 east arm left into the stem, 3 west arm right into the stem). TP
 * 20-26 m after the start. From the trigger: ScenarioTimeout 240 s (act) in parallel with "ego
 * drove 200 m" (longer than the route). st: f[0] odometer at the trigger, i[0] trigger step done. */
static int tjunction_build(Scenario *s, Err *e) {
    static const uint8_t controls[3] = {CONTROL_LIGHT, CONTROL_STOP, CONTROL_PRIORITY};
    static const float bearing[4] = {270.0f, 270.0f, 0.0f, 180.0f};
    static const TurnKind turn[4] = {TURN_LEFT, TURN_RIGHT, TURN_LEFT, TURN_RIGHT};
    int c = scn_choice(s, "control", 0, 2), a = scn_choice(s, "approach", 0, 3);
    s->mp = map_default_params(MAP_TJUNCTION);
    s->mp.control = controls[c];
    s->mp.length = 100.0f;
    if (scn_build_map(s, e)) return -1;
    int appr = scn_approach_at(s->map, 0, bearing[a], turn[a] == TURN_LEFT);
    if (appr < 0) return err_set(e, "route %s: no approach", s->spec.id);
    s->trigger_s = scn_param(s, "trigger", 20.0f, 26.0f);
    s->ego_speed0 = 0.0f;
    float before = s->trigger_s + scn_param(s, "approach_length", 15.0f, 40.0f);
    return scn_route_turn(s, appr, turn[a], before, scn_param(s, "exit_length", 30.0f, 50.0f), e);
}

static void tjunction_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    const WorldState *ws = world_state_const(s->world);
    if (!s->st.i[0]) {
        s->st.i[0] = 1;
        s->st.f[0] = ws->ego.travelled;
        scn_start_timer(s, SCN_TIMEOUT_S);
        s->st.acts++;
    }
    if (ws->ego.travelled - s->st.f[0] > 200.0f) scn_end(s);
}

/* ---- 41-44. Vanilla junction turns ---------------------------------------------------------------
 * MAP_JUNCTION4, ego from the south, TP 4 m after the start, route 49-62 m: 4 m + an approach of
 * 18-24 m before the stop line, the connector, then 14 m (left) / 22 m (right) beyond the exit.
 * End: ego leaves the junction + 10 m. Lights (42, 43) from the trigger via scn_junction_lights;
 * released (the plan resumes) when the scenario ends.
 * st: i[0] ego approach lane, i[1] junction, i[2] light mode (0 none, 1 green-then-red, 2 red-then-
 *     green), i[3] trigger step done, f[0] route s of the junction exit; sub 0 = first 5 s,
 *     1 = second phase, 2 = (green light) sequence over. */
enum { VAN_NONE, VAN_GREEN_FIRST, VAN_RED_FIRST };

static int vanilla_route(Scenario *s, uint8_t control, TurnKind turn, int lights, Err *e) {
    s->mp = map_default_params(MAP_JUNCTION4);
    s->mp.control = control;
    s->mp.length = 80.0f;
    if (scn_build_map(s, e)) return -1;
    int appr = scn_approach_at(s->map, 0, 270.0f, turn == TURN_LEFT);
    if (appr < 0) return err_set(e, "route %s: no southern approach", s->spec.id);
    s->trigger_s = 4.0f;
    s->ego_speed0 = 0.0f;
    s->st.i[0] = appr;
    s->st.i[2] = lights;
    float before = s->trigger_s + scn_param(s, "approach_length", 18.0f, 24.0f);
    return scn_route_turn(s, appr, turn, before, turn == TURN_LEFT ? 14.0f : 22.0f, e);
}

static int vanilla_populate(Scenario *s, Err *e) {
    (void)e;
    s->st.i[1] = 0;
    s->st.f[0] = scn_route_junction_exit_s(s);
    return 0;
}

static void vanilla_script(Scenario *s) {
    ScnState *st = &s->st;
    if (st->phase != SCN_RUNNING) return;
    int j = st->i[1], appr = st->i[0], mode = st->i[2];
    if (!st->i[3]) {
        st->i[3] = 1;
        if (mode != VAN_NONE) {
            scn_junction_lights(s, j, appr, mode == VAN_GREEN_FIRST ? LIGHT_GREEN : LIGHT_RED, LIGHT_RED, -1.0f);
            st->acts++;
        }
    }
    if (mode != VAN_NONE && st->sub == 0 && scn_sub_elapsed(s) >= 5.0 - 1e-6) {
        scn_set_sub(s, 1);
        scn_junction_lights(s, j, appr, mode == VAN_GREEN_FIRST ? LIGHT_RED : LIGHT_GREEN, LIGHT_RED, -1.0f);
    }
    int sequence_over = mode == VAN_GREEN_FIRST && st->sub == 1 && scn_sub_elapsed(s) >= 5.0 - 1e-6;
    if (sequence_over || scn_ego_progress(s) >= st->f[0] + 10.0f) {
        if (mode != VAN_NONE) scn_junction_lights(s, j, -1, LIGHT_RED, LIGHT_RED, 0.0f); /* the plan resumes */
        scn_end(s);
    }
}

/* 41: unsignalised (priority junction; the southern approach yields), right turn. */
static int vanilla_nonsig_build(Scenario *s, Err *e) { return vanilla_route(s, CONTROL_PRIORITY, TURN_RIGHT, VAN_NONE, e); }
/* 42 / 43: signalised; "turn" 0-2 left, 3-4 right (3 of the 5 routes turn left in 42; 2 in 43). */
static int vanilla_green_build(Scenario *s, Err *e) {
    TurnKind t = scn_choice(s, "turn", 0, 4) < 3 ? TURN_LEFT : TURN_RIGHT;
    return vanilla_route(s, CONTROL_LIGHT, t, VAN_GREEN_FIRST, e);
}
static int vanilla_red_build(Scenario *s, Err *e) {
    TurnKind t = scn_choice(s, "turn", 0, 4) < 2 ? TURN_LEFT : TURN_RIGHT;
    return vanilla_route(s, CONTROL_LIGHT, t, VAN_RED_FIRST, e);
}
/* 44: all-way stop (junction4_stop), left turn; the stop sign is the map's. */
static int vanilla_stop_build(Scenario *s, Err *e) { return vanilla_route(s, CONTROL_STOP, TURN_LEFT, VAN_NONE, e); }

static const ScenarioType INVADING_TURN = {"InvadingTurn", invading_build, invading_populate, invading_script};
static const ScenarioType YIELD_TO_EMERGENCY_VEHICLE = {"YieldToEmergencyVehicle", yield_build, yield_populate,
                                                        yield_script};
static const ScenarioType T_JUNCTION = {"T_Junction", tjunction_build, NULL, tjunction_script};
static const ScenarioType VANILLA_NON_SIGNALIZED_TURN = {"VanillaNonSignalizedTurn", vanilla_nonsig_build,
                                                         vanilla_populate, vanilla_script};
static const ScenarioType VANILLA_GREEN = {"VanillaSignalizedTurnEncounterGreenLight", vanilla_green_build,
                                           vanilla_populate, vanilla_script};
static const ScenarioType VANILLA_RED = {"VanillaSignalizedTurnEncounterRedLight", vanilla_red_build,
                                         vanilla_populate, vanilla_script};
static const ScenarioType VANILLA_STOP = {"VanillaNonSignalizedTurnEncounterStopsign", vanilla_stop_build,
                                          vanilla_populate, vanilla_script};

const ScenarioType *const scn_types_giveway_signs[] = {
    &INVADING_TURN, &YIELD_TO_EMERGENCY_VEHICLE, &T_JUNCTION, &VANILLA_NON_SIGNALIZED_TURN, &VANILLA_GREEN,
    &VANILLA_RED, &VANILLA_STOP, NULL};
