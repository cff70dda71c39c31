/* signals — traffic-light colours from each junction's fixed-time plan, unless a scenario has
 * forced a light (e.g. "the ego's light stays red for the first 5 s"). Pure function of the
 * world time and the override state, so snapshots need only the overrides. */
#include "world_internal.h"
#include <math.h>

static LightColor plan_color(const SignalPlan *p, int group, double time) {
    float cycle = 0.0f;
    for (int i = 0; i < p->n_phases; i++) cycle += p->green_s[i] + p->yellow_s + p->all_red_s;
    if (cycle <= 0.0f) return LIGHT_OFF;
    float t = (float)fmod(time + (double)p->offset_s, (double)cycle);
    for (int i = 0; i < p->n_phases; i++) {
        float g = p->green_s[i], y = p->yellow_s, r = p->all_red_s;
        if (t < g + y + r) {
            if (p->phase_group[i] != group) return LIGHT_RED;
            return t < g ? LIGHT_GREEN : t < g + y ? LIGHT_YELLOW : LIGHT_RED;
        }
        t -= g + y + r;
    }
    return LIGHT_RED;
}

void signals_update(World *w) {
    WorldState *st = &w->st;
    const Map *m = w->map;
    for (int l = 0; l < m->n_lights; l++) {
        LightOverride *o = &st->light_override[l];
        if (o->active) {
            st->light_color[l] = o->forced;
            if (o->timer > 0.0f) {
                o->timer -= w->cfg.dt;
                if (o->timer <= 1e-6f) o->active = 0;
            }
            continue;
        }
        int p = w->light_plan[l];
        st->light_color[l] = (uint8_t)(p < 0 ? LIGHT_OFF : plan_color(&m->plans[p], m->lights[l].group, st->time));
    }
}

LightColor world_light(const World *w, int light) {
    if (light < 0 || light >= w->map->n_lights) return LIGHT_OFF;
    return (LightColor)w->st.light_color[light];
}

void world_force_light(World *w, int light, LightColor c, float seconds) {
    if (light < 0 || light >= w->map->n_lights) return;
    LightOverride *o = &w->st.light_override[light];
    if (seconds == 0.0f) { o->active = 0; return; }
    o->active = 1;
    o->forced = (uint8_t)c;
    o->timer = seconds;
    w->st.light_color[light] = (uint8_t)c;
}
