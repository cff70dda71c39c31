/* test_scorer_fixture — hand-built worlds for the scorer tests: a built-in map piece, a route along
 * given lanes, the ego placed at a chosen pose and speed, and trajectories with a chosen speed
 * profile and lateral shape (ego frame). Static inline so each test file carries its own copy. */
#ifndef TEST_SCORER_FIXTURE_H
#define TEST_SCORER_FIXTURE_H
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/collision.h"
#include "craft/scorer.h"

typedef struct { Map *map; Route route; World *world; Scorer *scorer; } Fix;

static inline void fix_open(Fix *f, const char *map_name, const int *lanes, int n_lanes, ScorerConfig cfg) {
    Err e = {{0}};
    MapParams mp;
    memset(f, 0, sizeof *f);
    cr_assert_eq(map_params_from_name(map_name, &mp, &e), 0, "%s", e.msg);
    f->map = map_build(&mp, &e);
    cr_assert_not_null(f->map, "%s", e.msg);
    cr_assert_eq(route_build(f->map, lanes, n_lanes, 0.0f, -1.0f, 1.0f, &f->route, &e), 0, "%s", e.msg);
    WorldConfig wc = world_default_config();
    f->world = world_create(f->map, &f->route, &wc, 1, &e);
    cr_assert_not_null(f->world, "%s", e.msg);
    cr_assert_eq(world_add_ego(f->world, 0.0f), 0);
    f->scorer = scorer_create(f->map, &cfg, &e);
    cr_assert_not_null(f->scorer, "%s", e.msg);
}

static inline void fix_close(Fix *f) {
    scorer_destroy(f->scorer);
    world_destroy(f->world);
    route_free(&f->route);
    map_destroy(f->map);
}

static inline void fix_ego(Fix *f, float x, float y, float heading, float v) {
    Actor *ego = &world_state(f->world)->actors[0];
    ego->k.x = x; ego->k.y = y; ego->k.heading = heading; ego->k.speed = v;
    ego->k.accel = 0.0f; ego->k.steer = 0.0f; ego->k.yaw_rate = 0.0f;
}

/* Waypoints at t = 0.5 .. 4 s: speed v0 changing at constant accel a (stopping at 0), lateral
 * offset blending from 0 to dy with a smoothstep over the first `lat_t` seconds. */
static inline Traj traj_profile(float v0, float a, float dy, float lat_t) {
    Traj t = {.n = 8};
    for (int i = 0; i < 8; i++) {
        float tt = (float)(i + 1) * TRAJ_DT, ts = tt, x;
        if (a < 0.0f && v0 + a * tt < 0.0f) ts = -v0 / a;
        x = v0 * ts + 0.5f * a * ts * ts;
        float u = lat_t > 0.0f ? fminf(1.0f, tt / lat_t) : 1.0f, sm = u * u * (3.0f - 2.0f * u);
        t.x[i] = x;
        t.y[i] = dy * sm;
        t.heading[i] = 0.0f;
    }
    for (int i = 0; i < 8; i++) { /* heading along the polyline */
        float px = i ? t.x[i - 1] : 0.0f, py = i ? t.y[i - 1] : 0.0f;
        if (hypotf(t.x[i] - px, t.y[i] - py) > 1e-3f) t.heading[i] = atan2f(t.y[i] - py, t.x[i] - px);
        else t.heading[i] = i ? t.heading[i - 1] : 0.0f;
    }
    return t;
}

static inline CandScore fix_score1(Fix *f, const Forecast *fc, Traj t, EgoRollout *roll) {
    ScoreInput in = {.world = f->world, .fc = fc, .ep_reference = -1.0f};
    CandScore out;
    Err e = {{0}};
    cr_assert_eq(scorer_score(f->scorer, 0, &in, &t, 1, &out, roll, &e), 0, "%s", e.msg);
    return out;
}

static inline ScorerConfig cfg_full(void) {
    ScorerConfig c = scorer_default_config();
    c.early_exit = 0; /* every sub-metric evaluated */
    return c;
}

static inline Forecast *fix_cv(Fix *f) {
    static _Thread_local Forecast fc;
    Err e = {{0}};
    cr_assert_eq(forecast_build(FORECAST_CONST_VEL, f->world, &fc, &e), 0, "%s", e.msg);
    return &fc;
}
#endif
