/* The scenario framework and route sets: catalogue errors, overrides, determinism, exact
 * snapshots, split-disjoint seeds, the shipped eval220/val220 files, route-file errors, and the
 * evaluator (weak agent through a parked car = one vehicle collision; thread-count independence). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "craft/eval.h"
#include "craft/scenario.h"

static RouteSpec spec(const char *type, uint64_t seed, const char *overrides) {
    RouteSpec r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "t-%s-%llu", type, (unsigned long long)seed);
    snprintf(r.type, sizeof r.type, "%s", type);
    snprintf(r.overrides, sizeof r.overrides, "%s", overrides);
    r.seed = seed;
    return r;
}

Test(scenario, unknown_type_and_parameter_errors) {
    Err e = {{0}};
    RouteSpec r = spec("NoSuchScenario", 1, "");
    cr_assert_null(scenario_create(&r, NULL, &e));
    cr_assert(strstr(e.msg, "unknown scenario type 'NoSuchScenario'"), "%s", e.msg);
    r = spec("ParkedObstacle", 1, "bogus=3");
    cr_assert_null(scenario_create(&r, NULL, &e));
    cr_assert(strstr(e.msg, "unknown parameter 'bogus'"), "%s", e.msg);
    r = spec("ParkedObstacle", 1, "distance=abc");
    cr_assert_null(scenario_create(&r, NULL, &e));
    cr_assert(strstr(e.msg, "not a number"), "%s", e.msg);
    r = spec("ParkedObstacle", 1, "distance");
    cr_assert_null(scenario_create(&r, NULL, &e));
    cr_assert(strstr(e.msg, "key=value"), "%s", e.msg);
}

/* The parked car stands `distance` metres after the trigger point along the route. */
Test(scenario, override_places_the_obstacle) {
    Err e = {{0}};
    RouteSpec r = spec("ParkedObstacle", 7, "distance=43,trigger=5");
    Scenario *s = scenario_create(&r, NULL, &e);
    cr_assert_not_null(s, "%s", e.msg);
    cr_assert_float_eq(scenario_trigger_s(s), 5.0f, 1e-6);
    const int *idx;
    int n = scenario_actors(s, &idx);
    cr_assert_geq(n, 2);
    const Actor *car = &world_state(scenario_world(s))->actors[idx[1]];
    const Route *rt = scenario_route(s);
    float d;
    int k = route_nearest(rt, car->k.x, car->k.y, 0, -1, &d);
    cr_assert_float_eq(rt->pts[k].s, 48.0f, 1.01f);
    scenario_destroy(s);
}

static uint64_t run_hash(const char *type, uint64_t seed, int steps) {
    Err e = {{0}};
    RouteSpec r = spec(type, seed, "");
    Scenario *s = scenario_create(&r, NULL, &e);
    cr_assert_not_null(s, "%s", e.msg);
    for (int t = 0; t < steps; t++) {
        Control c;
        world_autopilot(scenario_world(s), &c);
        scenario_step(s, &c);
    }
    uint64_t h = world_hash(scenario_world(s));
    scenario_destroy(s);
    return h;
}

Test(scenario, same_seed_same_episode) {
    cr_assert_eq(run_hash("SignalizedJunctionLeftTurn", 3, 120), run_hash("SignalizedJunctionLeftTurn", 3, 120));
    cr_assert_neq(run_hash("SignalizedJunctionLeftTurn", 3, 120), run_hash("SignalizedJunctionLeftTurn", 4, 120));
}

/* Save mid-episode, run on, restore, run again: the same world, script state and criteria. */
Test(scenario, snapshot_replays_exactly) {
    Err e = {{0}};
    RouteSpec r = spec("ParkedObstacleTwoWays", 2, "");
    Scenario *s = scenario_create(&r, NULL, &e);
    cr_assert_not_null(s, "%s", e.msg);
    ScenarioSnapshot *snap = scenario_snapshot_create(s, &e);
    cr_assert_not_null(snap);
    for (int t = 0; t < 100; t++) {
        Control c;
        world_autopilot(scenario_world(s), &c);
        scenario_step(s, &c);
    }
    cr_assert_eq(scenario_save(s, snap, &e), 0, "%s", e.msg);
    uint64_t h[2];
    RouteResult res[2];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) cr_assert_eq(scenario_load(s, snap, &e), 0, "%s", e.msg);
        for (int t = 0; t < 400; t++) {
            Control c;
            world_autopilot(scenario_world(s), &c);
            scenario_step(s, &c);
        }
        h[pass] = world_hash(scenario_world(s));
        Criteria tmp;
        cr_assert_eq(criteria_init(&tmp, scenario_route(s), scenario_map(s), RULES_BENCH2DRIVE, &e), 0);
        cr_assert_eq(criteria_copy(&tmp, scenario_criteria(s), &e), 0);
        criteria_finish(&tmp, &res[pass]);
        criteria_free(&tmp);
    }
    cr_assert_eq(h[0], h[1]);
    cr_assert_eq(scenario_phase(s), SCN_RUNNING);
    cr_assert_eq(res[0].route_completion, res[1].route_completion);
    scenario_snapshot_destroy(snap);
    scenario_destroy(s);
}

/* SignalizedJunctionLeftTurn: ego light red during the first 5 s after the trigger, then green;
 * the oncoming flow runs at flow_speed. */
Test(scenario, signalized_left_turn_lights_and_flow) {
    Err e = {{0}};
    RouteSpec r = spec("SignalizedJunctionLeftTurn", 5, "flow_speed=10");
    Scenario *s = scenario_create(&r, NULL, &e);
    cr_assert_not_null(s, "%s", e.msg);
    World *w = scenario_world(s);
    const Route *rt = scenario_route(s);
    int light = scenario_map(s)->lanes[rt->lanes[0]].light;
    for (int k = 1; light < 0 && k < rt->n_lanes; k++) light = scenario_map(s)->lanes[rt->lanes[k]].light;
    cr_assert_geq(light, 0);
    double t_red = -1, t_green = -1;
    for (int t = 0; t < 400; t++) {
        Control c;
        world_autopilot(w, &c);
        scenario_step(s, &c);
        double tt = scenario_trigger_time(s);
        if (tt >= 0 && t_red < 0 && world_state(w)->time > tt + 1.0) {
            cr_assert_eq(world_light(w, light), LIGHT_RED);
            t_red = world_state(w)->time;
        }
        if (tt >= 0 && t_green < 0 && world_state(w)->time > tt + 5.5) {
            cr_assert_eq(world_light(w, light), LIGHT_GREEN);
            t_green = world_state(w)->time;
        }
    }
    cr_assert(t_red > 0 && t_green > 0);
    cr_assert_eq(scenario_acts(s), 1);
    int flow_cars = 0;
    const WorldState *ws = world_state(w);
    for (int i = 1; i < ws->n_actors; i++)
        if (!(ws->actors[i].flags & (AF_HIDDEN | AF_BACKGROUND)) && ws->actors[i].driver == DRIVER_TRAFFIC &&
            fabsf(ws->actors[i].k.speed - 10.0f) < 0.3f)
            flow_cars++;
    cr_assert_geq(flow_cars, 1);
    scenario_destroy(s);
}

Test(routes, split_seeds_are_disjoint_and_tagged) {
    for (int t = 0; t < SCN_TYPE_COUNT; t++)
        for (uint64_t k = 0; k < 50; k++) {
            cr_assert_eq(route_seed_split(route_seed(SPLIT_EVAL, t, k)), SPLIT_EVAL);
            cr_assert_eq(route_seed_split(route_seed(SPLIT_VAL, t, k)), SPLIT_VAL);
            cr_assert_eq(route_seed_split(route_seed(SPLIT_TRAIN, t, k)), SPLIT_TRAIN);
            cr_assert_lt(route_seed(SPLIT_EVAL, t, k), 1ULL << 53);
        }
    cr_assert_eq(route_seed_split(12345), SPLIT_CUSTOM);
}

Test(routes, shipped_files_are_canonical) {
    Err e = {{0}};
    for (int split = 0; split < 2; split++) {
        RouteSet canon, file;
        cr_assert_eq(routeset_canonical(&canon, split ? SPLIT_VAL : SPLIT_EVAL, &e), 0);
        cr_assert_eq(routeset_load(&file, split ? "val220" : "eval220", "data/routes", &e), 0, "%s", e.msg);
        cr_assert_eq(file.n, 220);
        for (int i = 0; i < 220; i++) {
            cr_assert_str_eq(file.routes[i].id, canon.routes[i].id);
            cr_assert_str_eq(file.routes[i].type, canon.routes[i].type);
            cr_assert_eq(file.routes[i].seed, canon.routes[i].seed);
        }
        routeset_free(&canon);
        routeset_free(&file);
    }
}

Test(routes, selections) {
    Err e = {{0}};
    RouteSet rs;
    cr_assert_eq(routeset_load(&rs, "scenario:ParkedObstacle", "data/routes", &e), 0, "%s", e.msg);
    cr_assert_eq(rs.n, 5);
    cr_assert_str_eq(rs.routes[0].id, "eval220-010");
    routeset_free(&rs);
    cr_assert_eq(routeset_load(&rs, "eval220-003,val220-219", "data/routes", &e), 0, "%s", e.msg);
    cr_assert_eq(rs.n, 2);
    cr_assert_str_eq(rs.routes[1].type, "VanillaNonSignalizedTurnEncounterStopsign");
    routeset_free(&rs);
    cr_assert_eq(routeset_load(&rs, "train:100:7", "data/routes", &e), 0, "%s", e.msg);
    cr_assert_eq(rs.n, 100);
    cr_assert_str_eq(rs.routes[0].id, "train-7");
    for (int i = 0; i < rs.n; i++) cr_assert_eq(route_seed_split(rs.routes[i].seed), SPLIT_TRAIN);
    routeset_free(&rs);
    cr_assert_eq(routeset_load(&rs, "eval220-999", "data/routes", &e), -1);
    cr_assert(strstr(e.msg, "unknown route id"), "%s", e.msg);
    cr_assert_eq(routeset_load(&rs, "scenario:Bogus", "data/routes", &e), -1);
    cr_assert_eq(routeset_load(&rs, "train:0", "data/routes", &e), -1);
    cr_assert_eq(routeset_load(&rs, "eval220", "/nonexistent", &e), -1);
    cr_assert(strstr(e.msg, "--data"), "%s", e.msg);
}

static int load_text(const char *text, Err *e) {
    char path[] = "/tmp/craft_routes_XXXXXX.json";
    int fd = mkstemps(path, 5);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    RouteSet rs;
    int rc = routeset_read_file(&rs, path, e);
    if (!rc) {
        cr_assert_eq(rs.n, 1);
        cr_assert_str_eq(rs.routes[0].overrides, "distance=41");
        routeset_free(&rs);
    }
    remove(path);
    return rc;
}

Test(routes, route_file_errors) {
    Err e = {{0}};
    cr_assert_eq(load_text("[{\"type\": \"ParkedObstacle\", \"seed\": 3, \"params\": {\"distance\": 41}}]", &e), 0, "%s", e.msg);
    cr_assert_eq(load_text("[{\"type\": \"ParkedObstacle\", \"seed\": \"3\", \"params\": \"distance=41\"}]", &e), 0, "%s", e.msg);
    cr_assert_eq(load_text("{\"type\": 1}", &e), -1);
    cr_assert(strstr(e.msg, "not a JSON list"), "%s", e.msg);
    cr_assert_eq(load_text("[{\"type\": \"Nope\", \"seed\": 3}]", &e), -1);
    cr_assert(strstr(e.msg, "unknown \"type\""), "%s", e.msg);
    cr_assert_eq(load_text("[{\"type\": \"ParkedObstacle\", \"seed\": -3}]", &e), -1);
    cr_assert(strstr(e.msg, "seed"), "%s", e.msg);
    cr_assert_eq(load_text("[{\"type\": \"ParkedObstacle\", \"seed\": 1.5}]", &e), -1);
    cr_assert_eq(load_text("[{\"type\": \"ParkedObstacle\", \"seed\": 1, \"params\": [1]}]", &e), -1);
    cr_assert_eq(load_text("[", &e), -1);
}

/* The weak agent drives blind through the parked car: route completed, exactly one vehicle
 * collision (the leaderboard de-duplicates the contact), DS = 100 × 0.6. Identical results with
 * one and two evaluation threads. */
Test(eval, weak_agent_hits_the_parked_car) {
    Err e = {{0}};
    RouteSet rs;
    cr_assert_eq(routeset_load(&rs, "scenario:ParkedObstacle", "data/routes", &e), 0, "%s", e.msg);
    EvalConfig cfg = eval_default_config();
    cr_assert_eq(agent_spec_parse("weak", &cfg.agent, &e), 0);
    cfg.scenario.background = 0;
    RouteResult r1[5], r2[5];
    cfg.threads = 1;
    cr_assert_eq(eval_run(&rs, &cfg, r1, &e), 0, "%s", e.msg);
    cfg.threads = 2;
    cr_assert_eq(eval_run(&rs, &cfg, r2, &e), 0, "%s", e.msg);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(r1[i].count[INF_COLLISION_VEHICLE], 1, "route %d: %d", i, r1[i].count[INF_COLLISION_VEHICLE]);
        cr_assert_float_eq(r1[i].driving_score, 60.0, 1e-9);
        cr_assert_eq(r1[i].status, ROUTE_COMPLETED);
        cr_assert_eq(memcmp(&r1[i], &r2[i], sizeof r1[i]), 0);
    }
    routeset_free(&rs);
}

Test(eval, agent_spec_errors) {
    AgentSpec a;
    Err e = {{0}};
    cr_assert_eq(agent_spec_parse("bogus", &a, &e), -1);
    cr_assert(strstr(e.msg, "expected expert, weak"), "%s", e.msg);
    cr_assert_eq(agent_spec_parse("ckpt.safetensors", &a, &e), 0);
    cr_assert_eq(a.kind, AGENT_POLICY);
}
