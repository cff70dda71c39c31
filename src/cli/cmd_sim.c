/* `craft sim`: drive the ego with the built-in lane-following autopilot through random traffic on
 * a built-in map piece and print what happened. The main job until scenarios and policies land. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include "commands.h"
#include "craft/demo.h"
#include "opts.h"
#include "wallclock.h"

int cmd_sim(int argc, char **argv) {
    const char *map_name = "junction4_light";
    int steps = 900, agents = 32;
    uint64_t seed = 1;
    Opt opts[] = {
        {"map", OPT_STR, &map_name, "map piece: straight, straight_oneway, curve, junction4_light|stop|none, tjunction_light|stop|none, highway (':key=value,...' overrides)"},
        {"steps", OPT_INT, &steps, "ticks of 0.1 s to simulate (default 900 = 90 s)"},
        {"agents", OPT_INT, &agents, "actors including the ego (default 32)"},
        {"seed", OPT_U64, &seed, "random seed (default 1)"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft sim [options]\nSimulates the ego on its lane-following autopilot in random traffic and prints a summary.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft sim: %s\n", e.msg); return 2; }
    if (steps < 1) { fprintf(stderr, "craft sim: --steps must be >= 1\n"); return 2; }
    DemoScene d;
    if (demo_scene_create(&d, map_name, agents, seed, &e)) { fprintf(stderr, "craft sim: %s\n", e.msg); return 1; }
    World *w = d.world;
    const WorldState *st = world_state_const(w);
    int counts[EV_KIND_COUNT] = {0}, bg_collisions = 0;
    double speed_sum = 0.0, t0 = now_s();
    int step;
    for (step = 0; step < steps; step++) {
        Control c;
        world_autopilot(w, &c);
        world_step(w, &c);
        speed_sum += st->actors[0].k.speed;
        for (int k = 0; k < st->n_events; k++) {
            const Event *ev = &st->events[k];
            if (ev->actor == 0) counts[ev->kind]++;
            else if (ev->kind == EV_COLLISION && ev->actor < ev->other) bg_collisions++;
        }
        if (st->ego.route_done) { step++; break; }
    }
    double wall = now_s() - t0;
    const EgoMonitor *mon = &st->ego;
    printf("craft sim: map %s, seed %" PRIu64 ", %d actors (ego + %d background)\n", d.map->name, seed,
           st->n_actors, d.background);
    printf("  simulated        %.1f s in %d ticks (%.0f ticks/s wall, %.2f ms total)\n", st->time, step,
           step / fmax(wall, 1e-9), wall * 1e3);
    printf("  route            %.1f m, completed %.1f %%%s\n", d.route.length,
           100.0 * mon->route_progress / fmax(d.route.length, 1e-6), mon->route_done ? " (done)" : "");
    printf("  ego              travelled %.1f m, mean speed %.2f m/s\n", mon->travelled, speed_sum / step);
    printf("  ego events      ");
    for (int k = 0; k < EV_KIND_COUNT; k++) printf(" %s=%d", event_kind_name((EventKind)k), counts[k]);
    printf("\n  background       %d collisions between background actors\n", bg_collisions);
    demo_scene_destroy(&d);
    return 0;
}
