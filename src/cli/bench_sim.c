/* `craft bench sim`: simulator throughput in agent-steps per second per core, for (a) one world
 * on one core and (b) 2 x threads worlds stepped in parallel. Each world: the ego on the autopilot
 * plus background traffic; an agent-step is one visible actor advanced by one 0.1 s tick. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "commands.h"
#include "craft/demo.h"
#include "opts.h"
#include "wallclock.h"

static long visible_actors(const World *w) {
    const WorldState *st = world_state_const(w);
    long n = 0;
    for (int i = 0; i < st->n_actors; i++) n += !(st->actors[i].flags & AF_HIDDEN);
    return n;
}

/* Steps one world `steps` times (autopilot + world_step); returns agent-steps done. */
static long run_world(World *w, int steps) {
    long agent_steps = 0;
    for (int s = 0; s < steps; s++) {
        Control c;
        world_autopilot(w, &c);
        world_step(w, &c);
        agent_steps += visible_actors(w);
    }
    return agent_steps;
}

int bench_sim_main(int argc, char **argv) {
    const char *map_name = "junction4_light:length=160";
    int agents = 64, steps = 20000, threads = omp_get_num_procs(), json = 0;
    uint64_t seed = 7;
    Opt opts[] = {
        {"map", OPT_STR, &map_name, "map piece (default junction4_light:length=160)"},
        {"agents", OPT_INT, &agents, "actors per world including the ego (default 64)"},
        {"steps", OPT_INT, &steps, "ticks per world (default 20000)"},
        {"threads", OPT_INT, &threads, "threads for the parallel-worlds figure (default: cores)"},
        {"seed", OPT_U64, &seed, "seed (default 7)"},
        {"json", OPT_FLAG, &json, "print one JSON object"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft bench sim [options]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv,
                        NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft bench sim: %s\n", e.msg); return 2; }
    if (steps < 10 || threads < 1 || threads > 256) { fprintf(stderr, "craft bench sim: need --steps >= 10 and 1 <= --threads <= 256\n"); return 2; }

    /* (a) one world, one core */
    DemoScene one;
    if (demo_scene_create(&one, map_name, agents, seed, &e)) { fprintf(stderr, "craft bench sim: %s\n", e.msg); return 1; }
    run_world(one.world, 100); /* warm-up */
    double t0 = now_s();
    long single_steps = run_world(one.world, steps);
    double single_rate = (double)single_steps / (now_s() - t0);
    demo_scene_destroy(&one);

    /* (b) 2 x threads worlds in parallel */
    int nw = 2 * threads;
    DemoScene *many = calloc((size_t)nw, sizeof *many);
    long *done = calloc((size_t)nw, sizeof *done);
    if (!many || !done) { fprintf(stderr, "craft bench sim: out of memory\n"); free(many); free(done); return 1; }
    for (int i = 0; i < nw; i++)
        if (demo_scene_create(&many[i], map_name, agents, seed + (uint64_t)i, &e)) {
            fprintf(stderr, "craft bench sim: %s\n", e.msg);
            for (int k = 0; k < i; k++) demo_scene_destroy(&many[k]);
            free(many); free(done);
            return 1;
        }
    int par_steps = steps / 2;
    t0 = now_s();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < nw; i++) done[i] = run_world(many[i].world, par_steps);
    double par_wall = now_s() - t0;
    long par_total = 0;
    for (int i = 0; i < nw; i++) { par_total += done[i]; demo_scene_destroy(&many[i]); }
    free(many); free(done);
    double par_rate = (double)par_total / par_wall;

    if (json) {
        printf("{\"agent_steps_per_s_per_core\": %.0f, \"single_world_agents\": %d, \"single_world_steps\": %d, "
               "\"parallel_worlds\": %d, \"parallel_threads\": %d, \"parallel_agent_steps_per_s\": %.0f, "
               "\"parallel_agent_steps_per_s_per_core\": %.0f, \"map\": \"%s\"}\n",
               single_rate, agents, steps, nw, threads, par_rate, par_rate / threads, map_name);
    } else {
        printf("craft bench sim (map %s, %d agents per world incl. the ego on the autopilot)\n", map_name, agents);
        printf("  (a) one world, one core:       %12.0f agent-steps/s/core\n", single_rate);
        printf("  (b) %d worlds on %d threads:    %12.0f agent-steps/s total, %.0f per core\n", nw, threads, par_rate,
               par_rate / threads);
    }
    return 0;
}
