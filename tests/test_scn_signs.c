/* Give-way and traffic-sign groups (SCENARIOS.md B4/B5, items 38-44): creation, lengths, triggers
 * and determinism, then each type's act: invading cars crossing the centre line by the expected
 * depth, the emergency vehicle at ego speed + 25 m/s and the yield verdict, the T_Junction timer,
 * the Vanilla light sequences, the stop sign and the junction-exit + 10 m end. */
#include "test_scn_util.h"

Test(scn_signs, basic_all_types) {
    scn_check_basic("InvadingTurn", 80.0f, 130.0f, 2.0f, 14.0f);
    scn_check_basic("YieldToEmergencyVehicle", 100.0f, 116.0f, 2.0f, 14.0f);
    scn_check_basic("T_Junction", 73.0f, 155.0f, 20.0f, 26.0f);
    scn_check_basic("VanillaNonSignalizedTurn", 49.0f, 62.0f, 4.0f, 4.0f);
    scn_check_basic("VanillaSignalizedTurnEncounterGreenLight", 49.0f, 62.0f, 4.0f, 4.0f);
    scn_check_basic("VanillaSignalizedTurnEncounterRedLight", 49.0f, 62.0f, 4.0f, 4.0f);
    scn_check_basic("VanillaNonSignalizedTurnEncounterStopsign", 49.0f, 62.0f, 4.0f, 4.0f);
}

Test(scn_signs, invading_cars_cross_the_centre_line) {
    Scenario *s = scn_make("InvadingTurn", 1, "offset=0.3", 1);
    const int *idx;
    int n = scenario_actors(s, &idx);
    cr_assert(n >= 5 && n <= 6, "5-6 cones for distance 50-60, got %d", n);
    for (int j = 0; j < n; j++) cr_assert(scn_actor(s, idx[j])->flags & AF_HIDDEN);
    scn_run_to_trigger(s, 300);
    for (int j = 0; j < n; j++) cr_assert_eq(scn_actor(s, idx[j])->flags & AF_HIDDEN, 0, "cones placed at the trigger");
    cr_assert_eq(scenario_acts(s), 1);
    cr_assert(s->st.timer_on);
    int ego_lane = s->st.i[0], checked = 0;
    float w = s->map->lanes[ego_lane].width;
    for (int k = 0; k < 120; k++) {
        scn_step_auto(s);
        const WorldState *ws = world_state_const(scenario_world(s));
        for (int i = 1; i < ws->n_actors; i++) {
            const Actor *a = &ws->actors[i];
            if (s->st.flow_of[i] != s->st.i[2] || (a->flags & AF_HIDDEN) || a->k.speed < 1.0f) continue;
            /* settled cars (body at the commanded offset from their lane): the edge reaches into the
             * ego lane by offset + half width - 0.7 (the source's formula); the oncoming lane is left */
            float own = scn_lat(s, s->st.i[1], a->k.x, a->k.y, NULL), want = 0.3f + 0.5f * w - 0.7f;
            if (fabsf(a->lat_offset - want) > 1e-5f || fabsf(own - want) > 0.1f) continue;
            float d = scn_lat(s, ego_lane, a->k.x, a->k.y, NULL), depth = 0.5f * w - (d - 0.5f * a->width);
            cr_assert_float_eq(depth, 0.3f + 0.5f * a->width - 0.7f, 0.1f, "invasion depth %.3f", depth);
            checked++;
        }
    }
    cr_assert_gt(checked, 10, "the flow ran with invading cars");
    scenario_destroy(s);
}

Test(scn_signs, invading_ends_past_f_and_removes_cones) {
    /* a negative offset keeps the cars in their lane, so the autopilot drives through */
    Scenario *s = scn_make("InvadingTurn", 2, "offset=-0.2", 1);
    float fx, fy, fh;
    map_lane_pose(s->map, s->st.i[0], s->st.f[0], &fx, &fy, &fh);
    int k = 0;
    for (; k < 900 && scenario_phase(s) != SCN_DONE; k++) scn_step_auto(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    const Actor *e = scn_ego(s);
    float along = (e->k.x - fx) * cosf(fh) + (e->k.y - fy) * sinf(fh);
    cr_assert(along > 0.0f && along < 2.0f, "ended %.2f m past F", along);
    scn_step_auto(s);
    const int *idx;
    for (int j = 0; j < scenario_actors(s, &idx); j++) cr_assert(scn_actor(s, idx[j])->flags & AF_HIDDEN);
    scenario_destroy(s);
}

Test(scn_signs, emergency_vehicle_not_yielded_is_an_infraction) {
    Scenario *s = scn_make("YieldToEmergencyVehicle", 3, NULL, 0); /* nothing ahead of the EV but the ego */
    int ev = s->st.i[0];
    cr_assert(scn_actor(s, ev)->flags & AF_HIDDEN);
    cr_assert(scn_actor(s, ev)->flags & AF_SIREN);
    scn_run_to_trigger(s, 300);
    float v_ego = scn_ego(s)->k.speed;
    scn_step_auto(s);
    const Actor *a = scn_actor(s, ev), *e = scn_ego(s);
    float fx = (e->k.x - a->k.x) * cosf(e->k.heading) + (e->k.y - a->k.y) * sinf(e->k.heading);
    cr_assert(!(a->flags & AF_HIDDEN) && fx > 0.0f && fx < 30.0f, "EV %.1f m behind", fx);
    cr_assert_float_eq(a->k.speed, v_ego + 25.0f, 0.3f, "EV at ego speed + 25 m/s: %.2f vs %.2f", a->k.speed, v_ego);
    double t0 = scenario_trigger_time(s);
    while (scenario_phase(s) == SCN_RUNNING && !scenario_ended(s)) scn_step_auto(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    /* the EV is within 50 m from the trigger: the scenario ends 10 s later (or with the route) */
    cr_assert_leq(scn_time(s) - t0, 10.15);
    cr_assert(scn_actor(s, ev)->flags & AF_HIDDEN, "EV removed");
    RouteResult r;
    scenario_finish(s, &r);
    cr_assert_eq(scn_count(&r, INF_YIELD_EMERGENCY), 1, "the autopilot stays in the EV's lane");
    scenario_destroy(s);
}

Test(scn_signs, emergency_vehicle_passes_when_the_ego_moves_over) {
    Scenario *s = scn_make("YieldToEmergencyVehicle", 4, NULL, 0);
    scn_run_to_trigger(s, 300);
    int right = s->map->lanes[s->st.i[1]].right;
    cr_assert_geq(right, 0);
    Actor *e = &world_state(scenario_world(s))->actors[0];
    LaneProj p;
    map_project(s->map, right, e->k.x, e->k.y, -1, &p);
    map_lane_pose(s->map, right, p.s, &e->k.x, &e->k.y, &e->k.heading);
    double t0 = scenario_trigger_time(s);
    for (int k = 0; k < 150 && scenario_phase(s) == SCN_RUNNING; k++) scenario_step(s, &(Control){2.0f * (5.0f - e->k.speed), 0.0f});
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    /* 26-30 m behind, + 25 m/s: passes within ~1.5 s, then 50 m at >= 25 m/s */
    cr_assert_lt(scn_time(s) - t0, 5.0, "ended by the pass, not by the 10 s wait");
    RouteResult r;
    scenario_finish(s, &r);
    cr_assert_eq(scn_count(&r, INF_YIELD_EMERGENCY), 0);
    scenario_destroy(s);
}

Test(scn_signs, t_junction_timer_and_clean_run) {
    for (uint64_t seed = 0; seed < 5; seed++) {
        Scenario *s = scn_make("T_Junction", seed, NULL, 0);
        scn_run_to_trigger(s, 300);
        cr_assert_eq(scenario_acts(s), 1);
        cr_assert(s->st.timer_on);
        cr_assert_float_eq(s->st.timer_end, scenario_trigger_time(s) + 240.0, 1e-6);
        int k = 0;
        for (; k < 1500 && !scenario_ended(s); k++) scn_step_auto(s);
        RouteResult r;
        scenario_finish(s, &r);
        cr_assert_float_eq(r.route_completion, 100.0, 1e-9, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(scn_count(&r, INF_RED_LIGHT) + scn_count(&r, INF_STOP), 0);
        cr_assert_eq(scenario_phase(s), SCN_RUNNING, "the 200 m end lies beyond the route");
        scenario_destroy(s);
    }
}

/* The ego's light colour */
static LightColor ego_light(Scenario *s) { return world_light(scenario_world(s), scn_light_of(s->map, s->st.i[0])); }

static void hold(Scenario *s, double seconds) {
    for (int k = 0; k < (int)lround(seconds / 0.1); k++) scenario_step(s, &(Control){-4.0f, 0.0f});
}

Test(scn_signs, vanilla_green_then_red_then_released) {
    Scenario *s = scn_make("VanillaSignalizedTurnEncounterGreenLight", 0, NULL, 0);
    scn_run_to_trigger(s, 100);
    cr_assert_eq(scenario_acts(s), 1);
    hold(s, 1.0);
    cr_assert_eq(ego_light(s), LIGHT_GREEN);
    for (int l = 0; l < s->map->n_lights; l++)
        if (l != scn_light_of(s->map, s->st.i[0])) cr_assert_eq(world_light(scenario_world(s), l), LIGHT_RED);
    hold(s, 5.0);
    cr_assert_eq(ego_light(s), LIGHT_RED);
    cr_assert_eq(scenario_phase(s), SCN_RUNNING);
    hold(s, 4.2);
    cr_assert_eq(scenario_phase(s), SCN_DONE, "the 10 s light sequence ends the scenario");
    for (int l = 0; l < s->map->n_lights; l++) cr_assert_eq(world_state(scenario_world(s))->light_override[l].active, 0);
    scenario_destroy(s);
}

Test(scn_signs, vanilla_red_then_green_until_exit) {
    Scenario *s = scn_make("VanillaSignalizedTurnEncounterRedLight", 1, NULL, 0);
    scn_run_to_trigger(s, 100);
    hold(s, 1.0);
    cr_assert_eq(ego_light(s), LIGHT_RED);
    hold(s, 5.0);
    cr_assert_eq(ego_light(s), LIGHT_GREEN);
    hold(s, 6.0);
    cr_assert_eq(ego_light(s), LIGHT_GREEN, "green until the ego leaves");
    float exit_s = s->st.f[0];
    while (scenario_phase(s) == SCN_RUNNING && !scenario_ended(s)) scn_step_auto(s);
    cr_assert_eq(scenario_phase(s), SCN_DONE);
    float p = world_state_const(scenario_world(s))->ego.route_progress;
    cr_assert(p >= exit_s + 10.0f && p < exit_s + 11.5f, "ended at progress %.1f, exit %.1f", p, exit_s);
    for (int l = 0; l < s->map->n_lights; l++) cr_assert_eq(world_state(scenario_world(s))->light_override[l].active, 0);
    RouteResult r;
    scenario_finish(s, &r);
    cr_assert_eq(scn_count(&r, INF_RED_LIGHT), 0);
    scenario_destroy(s);
}

Test(scn_signs, vanilla_nonsignalized_right_turn_ends_at_exit) {
    Scenario *s = scn_make("VanillaNonSignalizedTurn", 2, NULL, 1);
    int appr, conn;
    cr_assert_geq(scn_route_junction(s, &appr, &conn), 0);
    cr_assert_eq(s->map->lanes[conn].turn, TURN_RIGHT);
    cr_assert_neq(s->map->lanes[appr].control, CONTROL_LIGHT);
    while (scenario_phase(s) != SCN_DONE && !scenario_ended(s)) scn_step_auto(s);
    float p = world_state_const(scenario_world(s))->ego.route_progress;
    cr_assert(p >= s->st.f[0] + 10.0f && p < s->st.f[0] + 11.5f);
    cr_assert_eq(scenario_acts(s), 0, "no scripted act");
    scenario_destroy(s);
}

/* Drives at a fixed speed along the route (no stop at the sign). */
Test(scn_signs, vanilla_stopsign_needs_a_full_stop) {
    for (int run = 0; run < 2; run++) {
        Scenario *s = scn_make("VanillaNonSignalizedTurnEncounterStopsign", 3, NULL, 0);
        int appr, conn;
        scn_route_junction(s, &appr, &conn);
        cr_assert_eq(s->map->lanes[appr].control, CONTROL_STOP);
        cr_assert_eq(s->map->lanes[conn].turn, TURN_LEFT);
        for (int k = 0; k < 600 && !scenario_ended(s); k++) run ? scn_step_speed(s, 5.0f) : scn_step_auto(s);
        RouteResult r;
        scenario_finish(s, &r);
        cr_assert_eq(scn_count(&r, INF_STOP), run, "run %d: stop infractions", run);
        scenario_destroy(s);
    }
}
