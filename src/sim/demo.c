#include "craft/demo.h"
#include <string.h>

int demo_scene_create(DemoScene *d, const char *map_name, int agents, uint64_t seed, Err *e) {
    memset(d, 0, sizeof *d);
    if (agents < 1 || agents > WORLD_MAX_ACTORS)
        return err_set(e, "agents must be between 1 and %d, got %d", WORLD_MAX_ACTORS, agents);
    MapParams mp;
    if (map_params_from_name(map_name, &mp, e)) return -1;
    d->map = map_build(&mp, e);
    if (!d->map) return -1;
    Rng r;
    rng_seed(&r, seed, 11);
    if (route_pick_random(d->map, &r, 80.0f, &d->route, e)) { demo_scene_destroy(d); return -1; }
    WorldConfig cfg = world_default_config();
    d->world = world_create(d->map, &d->route, &cfg, seed, e);
    if (!d->world) { demo_scene_destroy(d); return -1; }
    world_add_ego(d->world, 0.6f * d->map->lanes[d->route.pts[0].lane].speed_limit);
    d->background = traffic_spawn_random(d->world, agents - 1, 6.0f, &r);
    return 0;
}

void demo_scene_destroy(DemoScene *d) {
    world_destroy(d->world);
    route_free(&d->route);
    map_destroy(d->map);
    memset(d, 0, sizeof *d);
}
