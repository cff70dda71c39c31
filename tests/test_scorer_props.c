/* Scorer properties: any candidate whose simulated box overlaps a parked car while moving scores
 * NC = 0 (random candidates), and batch scoring is bit-identical with 1 and 2 threads. */
#include "test_scorer_fixture.h"
#include "craft/demo.h"

static const int LANE0[] = {0};

Test(scorer_props, any_trajectory_through_a_parked_car_has_nc_zero) {
    Fix f;
    fix_open(&f, "straight", LANE0, 1, cfg_full());
    fix_ego(&f, 20.0f, -1.75f, 0.0f, 8.0f);
    Actor car = actor_make_static(ACTOR_CAR, 42.0f, -1.75f, 0.0f, 4.6f, 1.9f);
    world_add_actor(f.world, &car);
    Forecast *fc = fix_cv(&f);
    Obb parked = actor_obb(&world_state(f.world)->actors[1]);
    Rng r;
    rng_seed(&r, 42, 7);
    int hits = 0, misses = 0;
    for (int trial = 0; trial < 200; trial++) {
        Traj t = traj_profile(rng_range(&r, 0.0f, 14.0f), rng_range(&r, -4.0f, 2.0f), rng_range(&r, -4.0f, 4.0f),
                              rng_range(&r, 0.5f, 4.0f));
        EgoRollout roll;
        CandScore s = fix_score1(&f, fc, t, &roll);
        int through = 0;
        for (int k = 0; k < SCORE_STEPS; k++) {
            Obb e = {roll.k[k].x, roll.k[k].y, roll.k[k].heading, 2.45f, 1.05f};
            through |= roll.k[k].speed > 0.05f && obb_overlap(&e, &parked);
        }
        hits += through;
        misses += !through;
        if (through) cr_expect_eq(s.nc, 0.0f, "trial %d goes through the parked car but NC = %.1f", trial, s.nc);
        else cr_expect_eq(s.nc, 1.0f, "trial %d misses the car but NC = %.1f", trial, s.nc);
    }
    cr_expect_gt(hits, 20, "the sample must contain collisions (%d)", hits);
    cr_expect_gt(misses, 20, "and misses (%d)", misses);
    fix_close(&f);
}

static void batch_run(int threads, CandScore *out, int B, int G) {
    Err e = {{0}};
    DemoScene d;
    cr_assert_eq(demo_scene_create(&d, "junction4_light", 24, 5, &e), 0, "%s", e.msg);
    ScorerConfig cfg = scorer_default_config();
    cfg.threads = threads;
    Scorer *s = scorer_create(d.map, &cfg, &e);
    cr_assert_not_null(s, "%s", e.msg);
    World *worlds[4];
    Forecast *fc = malloc(sizeof(Forecast) * (size_t)B);
    ScoreInput in[4];
    Traj *c = malloc(sizeof(Traj) * (size_t)(B * G));
    WorldConfig wc = world_default_config();
    for (int b = 0; b < B; b++) { /* B states: the demo world advanced 10 b steps on the autopilot */
        worlds[b] = world_create(d.map, &d.route, &wc, 5, &e);
        WorldSnapshot snap;
        world_snapshot(d.world, &snap);
        world_restore(worlds[b], &snap);
        for (int k = 0; k < 10 * b; k++) { Control u; world_autopilot(worlds[b], &u); world_step(worlds[b], &u); }
        cr_assert_eq(forecast_build(FORECAST_CONST_VEL, worlds[b], &fc[b], &e), 0);
        in[b] = (ScoreInput){.world = worlds[b], .fc = &fc[b], .ep_reference = -1.0f};
        float v = world_state(worlds[b])->actors[0].k.speed;
        for (int g = 0; g < G; g++) c[b * G + g] = traj_profile(v, -3.0f + 0.25f * (float)g, 0.3f * (float)(g % 5 - 2), 2.0f);
    }
    cr_assert_eq(scorer_score_batch(s, in, B, c, G, out, &e), 0, "%s", e.msg);
    for (int b = 0; b < B; b++) world_destroy(worlds[b]);
    free(fc); free(c);
    scorer_destroy(s);
    demo_scene_destroy(&d);
}

Test(scorer_props, batch_is_identical_with_one_and_two_threads) {
    enum { B = 4, G = 16 };
    CandScore a[B * G], b[B * G];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    batch_run(1, a, B, G);
    batch_run(2, b, B, G);
    for (int i = 0; i < B * G; i++) {
        cr_expect_eq(memcmp(&a[i], &b[i], sizeof a[i]), 0, "candidate %d: %.6f vs %.6f", i, a[i].score, b[i].score);
        cr_expect(a[i].score >= 0.0f && a[i].score <= 1.0f);
    }
}
