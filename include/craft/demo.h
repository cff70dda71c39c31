/* demo — a ready-made world on a built-in map piece: the map, a random ego route, the ego and
 * random background traffic. Used by `craft sim`, `craft bench sim` and the simulator tests, so
 * that all three exercise exactly the same set-up. */
#ifndef CRAFT_DEMO_H
#define CRAFT_DEMO_H
#include "craft/world.h"

typedef struct {
    Map *map;
    Route route;
    World *world;
    int background;   /* background vehicles placed */
} DemoScene;

/* map_name as accepted by map_params_from_name; agents counts the ego. */
int demo_scene_create(DemoScene *d, const char *map_name, int agents, uint64_t seed, Err *e);
void demo_scene_destroy(DemoScene *d);

#endif
