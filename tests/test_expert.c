/* The expert drives built-in demo scenes (several map pieces and seeds) with no collision, red
 * light or stop-sign infraction of the ego (counted from world events) and makes progress. */
#include <criterion/criterion.h>
#include "craft/demo.h"
#include "craft/expert.h"

static void drive(const char *map, uint64_t seed, int agents, int steps) {
    Err e = {{0}};
    DemoScene d;
    cr_assert_eq(demo_scene_create(&d, map, agents, seed, &e), 0, "%s", e.msg);
    Expert *x = expert_create(d.world, NULL, &e);
    cr_assert_not_null(x, "%s", e.msg);
    int counts[EV_KIND_COUNT] = {0};
    for (int k = 0; k < steps; k++) {
        cr_assert_eq(expert_act(x, d.world, &e), 0, "%s", e.msg);
        world_step(d.world, NULL);
        const WorldState *st = world_state_const(d.world);
        for (int i = 0; i < st->n_events; i++)
            if (st->events[i].actor == 0) counts[st->events[i].kind]++;
        if (st->ego.route_done) break;
    }
    const WorldState *st = world_state_const(d.world);
    cr_expect_eq(counts[EV_COLLISION], 0, "%s seed %llu: %d ego collisions", map, (unsigned long long)seed, counts[EV_COLLISION]);
    cr_expect_eq(counts[EV_RED_LIGHT], 0, "%s seed %llu: red lights", map, (unsigned long long)seed);
    cr_expect_eq(counts[EV_STOP_SIGN], 0, "%s seed %llu: stop signs", map, (unsigned long long)seed);
    cr_expect_eq(counts[EV_OFF_ROAD], 0, "%s seed %llu: off road", map, (unsigned long long)seed);
    cr_expect(st->ego.route_done || st->ego.route_progress > 40.0f, "%s seed %llu: progress %.1f m of %.1f",
              map, (unsigned long long)seed, st->ego.route_progress, d.route.length);
    expert_destroy(x);
    demo_scene_destroy(&d);
}

/* KNOWN FAILURE (disabled, see the report): in junction scenes the expert still rear-ends slow or
 * stopped vehicles in the junction (e.g. junction4_light seed 2, junction4_stop seed 3 at ~3.5 m/s). */
Test(expert, junction_with_lights) { drive("junction4_light", 1, 24, 300); drive("junction4_light", 2, 24, 300); }
Test(expert, stop_signs) { drive("junction4_stop", 3, 16, 300); drive("tjunction_stop", 4, 16, 300); }
Test(expert, straight_and_highway) { drive("straight", 5, 16, 200); drive("highway", 6, 24, 200); }
