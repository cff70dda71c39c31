/* types_merging — SCENARIOS.md B2: flows of traffic the ego must merge into or cross.
 *
 * Junction-flow family (items 18-20, 23-25), st use: i[0] junction, i[1] ego approach lane,
 * i[2] flow index, i[3] trigger step done, i[4] 1 = signalised, f[0] route s where the ego leaves
 * the junction; sub 0 = lights phase 1 (ego red 5 s), 1 = phase 2. */
#include <math.h>
#include "scenario/scn_internal.h"

typedef enum { FLOW_FROM_OPPOSITE_STRAIGHT, FLOW_FROM_LEFT_STRAIGHT, FLOW_FROM_OPPOSITE_RIGHT } JunctionFlow;

/* Ego approaches from the south (bearing 270°) and turns; returns the approach lane. */
static int junction_route(Scenario *s, uint8_t control, TurnKind turn, Err *e) {
    s->mp = map_default_params(MAP_JUNCTION4);
    s->mp.control = control;
    s->mp.length = 90.0f;
    if (scn_build_map(s, e)) return -1;
    int appr = scn_approach_at(s->map, 0, 270.0f, turn == TURN_LEFT);
    if (appr < 0) return err_set(e, "route %s: no southern approach", s->spec.id);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    float before = s->trigger_s + scn_param(s, "approach", 25.0f, 45.0f);
    if (scn_route_turn(s, appr, turn, before, 30.0f, e)) return -1;
    return appr;
}

/* The flow's source lane, connector and exit, as the family picks them (SCENARIOS.md). */
static int junction_flow(Scenario *s, int ego_appr, JunctionFlow kind, float speed, float gap_lo, float gap_hi,
                         int prefill) {
    const Map *m = s->map;
    int appr[32], n = scn_junction_approaches(m, 0, appr, 32), src = -1;
    ApproachSide want = kind == FLOW_FROM_LEFT_STRAIGHT ? APPROACH_LEFT : APPROACH_OPPOSITE;
    for (int k = 0; k < n && src < 0; k++)
        if (scn_approach_side(m, ego_appr, appr[k]) == want) src = appr[k];
    if (src < 0) return -1;
    /* RightTurn: rightmost lane of the left entry; left variants: an opposite lane that can do the move */
    TurnKind move = kind == FLOW_FROM_OPPOSITE_RIGHT ? TURN_RIGHT : TURN_STRAIGHT;
    src = scn_outer_lane(m, src, 0);
    int conn = scn_connector(m, src, move);
    if (conn < 0) return -1;
    int exit = scn_exit_lane(m, conn);
    float back = (kind == FLOW_FROM_LEFT_STRAIGHT ? 5.0f : 4.0f) * speed;
    float sink = (kind == FLOW_FROM_LEFT_STRAIGHT ? 3.0f : 2.5f) * speed;
    float src_s = fmaxf(1.0f, m->lanes[src].length - back);
    sink = fminf(m->lanes[exit].length - 1.0f, sink);
    int path[3] = {src, conn, exit};
    int f = scn_flow_add(s, FLOW_CONSTANT, ACTOR_CAR, path, 3, src_s, exit, sink, speed, gap_lo, gap_hi);
    if (f >= 0 && prefill) scn_flow_prefill(s, f);
    return f;
}

static void junction_family_script(Scenario *s) {
    if (s->st.phase != SCN_RUNNING) return;
    if (!s->st.i[3]) {
        s->st.i[3] = 1;
        scn_start_timer(s, SCN_TIMEOUT_S);
        scn_flow_start(s, s->st.i[2]);
        s->st.acts++;
        if (s->st.i[4]) scn_junction_lights(s, s->st.i[0], s->st.i[1], LIGHT_RED, LIGHT_RED, -1.0f);
        if (s->st.i[4]) world_force_light(s->world, scn_light_of(s->map, s->st.flows[s->st.i[2]].path[0]), LIGHT_GREEN, -1.0f);
    }
    if (s->st.i[4] && s->st.sub == 0 && scn_sub_elapsed(s) >= 5.0 - 1e-6) {
        scn_set_sub(s, 1);
        world_force_light(s->world, scn_light_of(s->map, s->st.i[1]), LIGHT_GREEN, -1.0f);
    }
    if (scn_ego_progress(s) >= s->st.f[0] + 10.0f) {
        if (s->st.i[4]) scn_junction_lights(s, s->st.i[0], -1, LIGHT_RED, LIGHT_RED, 0.0f); /* restore the plan */
        scn_end(s);
    }
}

/* ---- 23. SignalizedJunctionLeftTurn ------------------------------------------------------------ */
static int sig_left_build(Scenario *s, Err *e) {
    int appr = junction_route(s, CONTROL_LIGHT, TURN_LEFT, e);
    if (appr < 0) return -1;
    s->st.i[1] = appr;
    s->st.f[1] = scn_param(s, "flow_speed", 9.0f, 11.0f);
    s->st.f[2] = scn_param(s, "source_dist_interval_from", 15.0f, 24.0f);
    s->st.f[3] = scn_param(s, "source_dist_interval_to", 25.0f, 28.0f);
    s->bg_flags &= ~(unsigned)(SCN_BG_JUNCTION | SCN_BG_OPPOSITE);
    return 0;
}

static int sig_left_populate(Scenario *s, Err *e) {
    s->st.i[0] = 0;
    s->st.i[4] = 1;
    s->st.f[0] = scn_route_junction_exit_s(s);
    s->st.i[2] = junction_flow(s, s->st.i[1], FLOW_FROM_OPPOSITE_STRAIGHT, s->st.f[1], s->st.f[2], s->st.f[3], 0);
    if (s->st.i[2] < 0) return err_set(e, "route %s: no oncoming flow lane", s->spec.id);
    return 0;
}

static const ScenarioType SIGNALIZED_JUNCTION_LEFT_TURN = {"SignalizedJunctionLeftTurn", sig_left_build,
                                                           sig_left_populate, junction_family_script};

const ScenarioType *const scn_types_merging[] = {&SIGNALIZED_JUNCTION_LEFT_TURN, NULL};
