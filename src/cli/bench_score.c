/* `craft bench score`: counterfactual scorer throughput — candidate evaluations per second on one
 * core, G = 32 candidates × 40 steps against 64 agents (demo scene, constant-velocity forecast),
 * over states visited by the ego on the autopilot. */
#include <stdio.h>
#include <time.h>
#include "commands.h"
#include "craft/demo.h"
#include "craft/scorer.h"
#include "opts.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* PDM-Closed-like set: 8 target-speed ratios × 4 lateral offsets, constant accel toward the target. */
static void make_candidates(float v, float limit, Traj *c, int G) {
    static const float LAT[4] = {0.0f, 1.0f, -1.0f, 3.5f};
    for (int g = 0; g < G; g++) {
        float target = limit * (float)(g % 8) / 7.0f, lat = LAT[(g / 8) % 4];
        Traj t = {.n = 8};
        float x = 0.0f, vv = v;
        for (int i = 0; i < 8; i++) {
            float a = (target - vv) / 1.5f;
            a = a > 2.0f ? 2.0f : (a < -4.0f ? -4.0f : a);
            float v1 = vv + a * TRAJ_DT;
            if (v1 < 0.0f) v1 = 0.0f;
            x += 0.5f * (vv + v1) * TRAJ_DT;
            vv = v1;
            float u = (float)(i + 1) / 6.0f;
            u = u > 1.0f ? 1.0f : u;
            t.x[i] = x;
            t.y[i] = lat * u * u * (3.0f - 2.0f * u);
            t.heading[i] = 0.0f;
        }
        c[g] = t;
    }
}

int bench_score_main(int argc, char **argv) {
    const char *map_name = "junction4_light:length=160";
    int agents = 64, G = 32, states = 200, json = 0, early = 1;
    uint64_t seed = 7;
    Opt opts[] = {
        {"map", OPT_STR, &map_name, "map piece (default junction4_light:length=160)"},
        {"agents", OPT_INT, &agents, "actors incl. the ego (default 64)"},
        {"candidates", OPT_INT, &G, "candidates per state (default 32)"},
        {"states", OPT_INT, &states, "states scored (default 200)"},
        {"early-exit", OPT_INT, &early, "1: stop a candidate once a multiplier is 0 (default 1)"},
        {"seed", OPT_U64, &seed, "seed (default 7)"},
        {"json", OPT_FLAG, &json, "print one JSON object"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft bench score [options]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL,
                        NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft bench score: %s\n", e.msg); return 2; }
    if (G < 1 || G > 256 || states < 1) { fprintf(stderr, "craft bench score: need 1 <= --candidates <= 256, --states >= 1\n"); return 2; }
    DemoScene d;
    if (demo_scene_create(&d, map_name, agents, seed, &e)) { fprintf(stderr, "craft bench score: %s\n", e.msg); return 1; }
    ScorerConfig cfg = scorer_default_config();
    cfg.early_exit = early;
    Scorer *s = scorer_create(d.map, &cfg, &e);
    static Forecast fc;
    Traj c[256];
    CandScore out[256];
    if (!s) { fprintf(stderr, "craft bench score: %s\n", e.msg); demo_scene_destroy(&d); return 1; }
    double busy = 0.0, sum = 0.0;
    long evals = 0;
    int n_agents = 0;
    for (int k = 0; k < states; k++) {
        Control u;
        world_autopilot(d.world, &u);
        world_step(d.world, &u);
        const Actor *ego = &world_state(d.world)->actors[0];
        make_candidates(ego->k.speed, d.map->lanes[d.route.pts[0].lane].speed_limit, c, G);
        double t0 = now_s();
        forecast_build(FORECAST_CONST_VEL, d.world, &fc, &e);
        ScoreInput in = {.world = d.world, .fc = &fc, .ep_reference = -1.0f};
        if (scorer_score(s, 0, &in, c, G, out, NULL, &e)) { fprintf(stderr, "craft bench score: %s\n", e.msg); break; }
        busy += now_s() - t0;
        evals += G;
        n_agents += fc.n_agents;
        for (int g = 0; g < G; g++) sum += out[g].score;
    }
    double rate = evals / busy;
    if (json)
        printf("{\"candidates_per_s_per_core\": %.0f, \"candidates\": %d, \"steps\": 40, \"agents\": %.1f, \"states\": %d, "
               "\"us_per_state\": %.1f, \"early_exit\": %d, \"mean_score\": %.4f, \"map\": \"%s\"}\n",
               rate, G, (double)n_agents / states, states, 1e6 * busy / states, early, sum / (double)evals, map_name);
    else {
        printf("craft bench score (map %s, G = %d candidates x 40 steps, %.1f agents, %d states)\n", map_name, G,
               (double)n_agents / states, states);
        printf("  %12.0f candidate evaluations/s/core   (%.1f us per state incl. the forecast, mean score %.3f)\n", rate,
               1e6 * busy / states, sum / (double)evals);
    }
    scorer_destroy(s);
    demo_scene_destroy(&d);
    return 0;
}
