/* World-level tests: traffic rules, car following, events, snapshot replay, determinism across
 * thread counts, and long random-traffic runs on every map piece. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/collision.h"
#include "craft/demo.h"

static Map *build(const char *name) {
    MapParams p;
    Err e;
    cr_assert_eq(map_params_from_name(name, &p, &e), 0, "%s", e.msg);
    Map *m = map_build(&p, &e);
    cr_assert(m, "%s", e.msg);
    return m;
}

/* The approach lane controlled by a light, with a connector after it. */
static int find_light_approach(const Map *m, int *light) {
    for (int l = 0; l < m->n_lights; l++) {
        const Lane *ln = &m->lanes[m->lights[l].lane];
        if (ln->n_succ > 0 && ln->length > 40.0f) { *light = l; return m->lights[l].lane; }
    }
    return -1;
}

Test(world, vehicle_stops_at_red_light) {
    Map *m = build("junction4_light");
    WorldConfig cfg = world_default_config();
    cfg.has_ego = 0;
    Err e;
    World *w = world_create(m, NULL, &cfg, 3, &e);
    int light, lane = find_light_approach(m, &light);
    cr_assert_geq(lane, 0);
    world_force_light(w, light, LIGHT_RED, -1.0f);
    Actor a = actor_make_vehicle(w, ACTOR_CAR, lane, 5.0f, 12.0f, NULL);
    int i = world_add_actor(w, &a);
    for (int k = 0; k < 400; k++) world_step(w, NULL);
    const Actor *v = &world_state(w)->actors[i];
    cr_assert_eq(v->path[0], lane, "crossed into the junction on red");
    float front = v->s + 0.5f * v->length;
    cr_assert_lt(front, m->lanes[lane].length, "front bumper %.2f past the stop line %.2f", front, m->lanes[lane].length);
    cr_assert_gt(front, m->lanes[lane].length - 6.0f, "stopped far too early: %.2f", front);
    cr_assert_lt(v->k.speed, 0.05f);
    /* and drives on when it turns green */
    world_force_light(w, light, LIGHT_GREEN, -1.0f);
    for (int k = 0; k < 200; k++) world_step(w, NULL);
    cr_assert_neq(world_state(w)->actors[i].path[0], lane, "did not proceed on green");
    world_destroy(w);
    map_destroy(m);
}

/* The ego (actor 0) brakes at full force in front of an IDM follower: no collision, for several
 * speeds and initial gaps at or above the IDM equilibrium gap. */
Test(world, idm_follower_never_hits_braking_leader) {
    Map *m = build("straight:length=400,lanes_bwd=0,lanes_fwd=1");
    float speeds[] = {8.0f, 14.0f, 20.0f};
    for (int si = 0; si < 3; si++)
        for (int gi = 0; gi < 3; gi++) {
            float v = speeds[si];
            Route r;
            Err e;
            int lane = 0;
            cr_assert_eq(route_build(m, &lane, 1, 60.0f, -1.0f, 1.0f, &r, &e), 0, "%s", e.msg);
            World *w = world_create(m, &r, NULL, 5, &e);
            world_add_ego(w, v);
            Actor f = actor_make_vehicle(w, ACTOR_CAR, 0, 0.0f, v, NULL);
            f.idm.v0 = f.speed_factor = 0.0f;
            f.target_speed = v;
            float gap = f.idm.s0 + v * f.idm.T + 5.0f * (float)gi;
            float back = 60.0f - 0.5f * (4.9f + f.length) - gap;
            map_lane_pose(m, 0, back, &f.k.x, &f.k.y, &f.k.heading);
            f.s = back;
            world_add_actor(w, &f);
            Control brake = {-8.0f, 0.0f};
            for (int k = 0; k < 150; k++) {
                world_step(w, &brake);
                const WorldState *st = world_state(w);
                for (int q = 0; q < st->n_events; q++)
                    cr_assert_neq(st->events[q].kind, EV_COLLISION, "collision at v=%.0f gap=%.1f", v, gap);
            }
            cr_assert_lt(world_state(w)->actors[1].k.speed, 0.1f);
            world_destroy(w);
            route_free(&r);
        }
    map_destroy(m);
}

Test(world, restore_then_replay_is_bit_identical) {
    DemoScene d;
    Err e;
    cr_assert_eq(demo_scene_create(&d, "junction4_light", 40, 9, &e), 0, "%s", e.msg);
    for (int k = 0; k < 200; k++) { Control c; world_autopilot(d.world, &c); world_step(d.world, &c); }
    static WorldSnapshot snap;
    world_snapshot(d.world, &snap);
    uint64_t h1[300];
    for (int k = 0; k < 300; k++) { Control c; world_autopilot(d.world, &c); world_step(d.world, &c); h1[k] = world_hash(d.world); }
    world_restore(d.world, &snap);
    for (int k = 0; k < 300; k++) {
        Control c;
        world_autopilot(d.world, &c);
        world_step(d.world, &c);
        cr_assert_eq(world_hash(d.world), h1[k], "diverged at replay step %d", k);
    }
    demo_scene_destroy(&d);
}

static void run_parallel(int threads, uint64_t *hashes) {
    DemoScene d[4];
    World *ws[4];
    Err e;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(demo_scene_create(&d[i], i % 2 ? "tjunction_stop" : "highway", 30, 100 + (uint64_t)i, &e), 0, "%s", e.msg);
        ws[i] = d[i].world;
    }
    for (int k = 0; k < 300; k++) worlds_step_parallel(ws, 4, NULL, threads);
    for (int i = 0; i < 4; i++) { hashes[i] = world_hash(ws[i]); demo_scene_destroy(&d[i]); }
}

Test(world, same_seed_same_run_with_1_and_2_threads) {
    uint64_t a[4], b[4], c[4];
    run_parallel(1, a);
    run_parallel(2, b);
    run_parallel(2, c);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(a[i], b[i], "world %d differs between 1 and 2 threads", i);
        cr_assert_eq(b[i], c[i], "world %d differs between two runs", i);
    }
}

static int actors_finite(const WorldState *st) {
    for (int i = 0; i < st->n_actors; i++) {
        const KinState *k = &st->actors[i].k;
        if (!isfinite(k->x) || !isfinite(k->y) || !isfinite(k->heading) || !isfinite(k->speed) ||
            !isfinite(st->actors[i].s))
            return 0;
    }
    return 1;
}

Test(world, random_traffic_every_map_10000_steps, .timeout = 240) {
    for (const char *const *name = map_builtin_names(); *name; name++) {
        DemoScene d;
        Err e;
        cr_assert_eq(demo_scene_create(&d, *name, 40, 21, &e), 0, "%s: %s", *name, e.msg);
        const WorldState *st = world_state(d.world);
        cr_assert_geq(d.background, 4, "%s: only %d vehicles spawned", *name, d.background);
        for (int i = 0; i < st->n_actors; i++)
            for (int j = i + 1; j < st->n_actors; j++) {
                Obb a = actor_obb(&st->actors[i]), b = actor_obb(&st->actors[j]);
                cr_assert(!obb_overlap(&a, &b), "%s: actors %d and %d overlap at spawn", *name, i, j);
            }
        for (int k = 0; k < 10000; k++) {
            Control c;
            world_autopilot(d.world, &c);
            world_step(d.world, &c);
            if (k % 100 == 0) cr_assert(actors_finite(st), "%s: NaN at step %d", *name, k);
        }
        cr_assert(actors_finite(st), "%s: NaN at the end", *name);
        demo_scene_destroy(&d);
    }
}

/* ---- ego events ------------------------------------------------------------------------------ */

typedef struct { Map *m; Route r; World *w; } Rig;

static void rig_straight(Rig *g, const char *map, float v) {
    Err e;
    g->m = build(map);
    cr_assert_eq(route_pick_random(g->m, &(Rng){0, 1}, 50.0f, &g->r, &e), 0, "%s", e.msg);
    g->w = world_create(g->m, &g->r, NULL, 1, &e);
    cr_assert(g->w, "%s", e.msg);
    world_add_ego(g->w, v);
}

/* A parked car centred on route point `idx`, aligned with the route. */
static void rig_park_car(Rig *g, int idx) {
    const RoutePoint *p = &g->r.pts[idx];
    Actor parked = actor_make_static(ACTOR_CAR, p->x, p->y, p->heading, 4.5f, 1.9f);
    world_add_actor(g->w, &parked);
}

static void rig_free(Rig *g) { world_destroy(g->w); route_free(&g->r); map_destroy(g->m); }

static int count_events(World *w, EventKind kind, int steps, const Control *c) {
    int n = 0;
    for (int k = 0; k < steps; k++) {
        if (c) world_step(w, c);
        else { Control a; world_autopilot(w, &a); world_step(w, &a); }
        const WorldState *st = world_state(w);
        for (int q = 0; q < st->n_events; q++) n += st->events[q].kind == kind && st->events[q].actor == 0;
    }
    return n;
}

Test(world, ego_hits_parked_car_collision_event) {
    Rig g;
    rig_straight(&g, "straight:length=200", 10.0f);
    rig_park_car(&g, 30);
    Control straight = {0.0f, 0.0f};
    int n = count_events(g.w, EV_COLLISION, 60, &straight);
    cr_assert_geq(n, 1, "driving through a parked car produced no collision event");
    rig_free(&g);
}

Test(world, autopilot_stops_behind_parked_car) {
    Rig g;
    rig_straight(&g, "straight:length=200", 10.0f);
    rig_park_car(&g, 60);
    cr_assert_eq(count_events(g.w, EV_COLLISION, 300, NULL), 0);
    cr_assert_lt(world_state(g.w)->actors[0].k.speed, 0.1f);
    rig_free(&g);
}

/* The ego 40 m before the end of an approach lane, routed through its first connector. */
static void rig_approach(Rig *g, int lane, float v) {
    Err e;
    int lanes[2] = {lane, g->m->lanes[lane].succ[0]};
    cr_assert_eq(route_build(g->m, lanes, 2, g->m->lanes[lane].length - 40.0f, -1.0f, 1.0f, &g->r, &e), 0, "%s", e.msg);
    g->w = world_create(g->m, &g->r, NULL, 2, &e);
    cr_assert(g->w, "%s", e.msg);
    world_add_ego(g->w, v);
}

Test(world, red_light_run_and_obeyed) {
    for (int run = 0; run < 2; run++) {
        Rig g = {.m = build("junction4_light")};
        int light, lane = find_light_approach(g.m, &light);
        cr_assert_geq(lane, 0);
        rig_approach(&g, lane, 10.0f);
        world_force_light(g.w, light, LIGHT_RED, -1.0f);
        Control keep = {0.0f, 0.0f};
        int n = count_events(g.w, EV_RED_LIGHT, 80, run == 0 ? &keep : NULL);
        if (run == 0) cr_assert_eq(n, 1, "running a red light gave %d events", n);
        else cr_assert_eq(n, 0, "the autopilot ran a red light");
        rig_free(&g);
    }
}

Test(world, stop_sign_violation_and_compliance) {
    for (int run = 0; run < 2; run++) {
        Rig g = {.m = build("junction4_stop")};
        cr_assert_gt(g.m->n_stop_signs, 0);
        rig_approach(&g, g.m->stop_signs[0].lane, 8.0f);
        Control keep = {0.0f, 0.0f};
        int n = count_events(g.w, EV_STOP_SIGN, 150, run == 0 ? &keep : NULL);
        if (run == 0) cr_assert_eq(n, 1, "rolling through a stop sign gave %d events", n);
        else cr_assert_eq(n, 0, "the autopilot ran a stop sign");
        if (run == 1) cr_assert_gt(world_state(g.w)->ego.route_progress, 45.0f, "autopilot never left the stop sign");
        rig_free(&g);
    }
}

Test(world, blocked_and_off_route_events) {
    Rig g;
    rig_straight(&g, "straight:length=200", 0.0f);
    WorldConfig *cfg = (WorldConfig *)world_config(g.w);
    cfg->blocked_time = 2.0f;
    Control stay = {-1.0f, 0.0f};
    cr_assert_eq(count_events(g.w, EV_BLOCKED, 30, &stay), 1);
    /* steer hard off the road: deviation from the route */
    Control veer = {2.0f, 0.08f};
    cr_assert_geq(count_events(g.w, EV_OFF_ROUTE, 200, &veer), 1);
    rig_free(&g);
}

Test(world, near_miss_before_collision) {
    Rig g;
    rig_straight(&g, "straight:length=200", 12.0f);
    rig_park_car(&g, 40);
    Control straight = {0.0f, 0.0f};
    int near = 0, hit_step = -1;
    for (int k = 0; k < 60 && hit_step < 0; k++) {
        world_step(g.w, &straight);
        const WorldState *st = world_state(g.w);
        for (int q = 0; q < st->n_events; q++) {
            if (st->events[q].kind == EV_NEAR_MISS) { near++; cr_assert_leq(st->events[q].value, 1.0f); }
            if (st->events[q].kind == EV_COLLISION) hit_step = k;
        }
    }
    cr_assert_geq(hit_step, 0);
    cr_assert_geq(near, 5, "expected ~1 s of near-miss warnings before impact, got %d", near);
    rig_free(&g);
}

/* Ego at 40 m/s against a 0.5 m object coming at 40 m/s: 8 m of relative motion per tick, more
 * than both lengths together, so only the swept test can see the hit. */
Test(world, tunnelling_head_on_at_40_mps) {
    Rig g;
    rig_straight(&g, "straight:length=300,lanes_fwd=1,lanes_bwd=0", 40.0f);
    const RoutePoint *p = &g.r.pts[100], *q = &g.r.pts[0];
    float wx[2] = {p->x, q->x}, wy[2] = {p->y, q->y};
    Actor runner = actor_make_walker(wx, wy, 2, 40.0f);
    runner.k.speed = 40.0f;
    world_add_actor(g.w, &runner);
    Control straight = {0.0f, 0.0f};
    cr_assert_geq(count_events(g.w, EV_COLLISION, 30, &straight), 1, "a 40 m/s ego tunnelled through an oncoming object");
    rig_free(&g);
}
