/* route_pick — random ego routes for demos, benchmarks and tests: start on an entry lane, follow
 * random successors. Scenario generators build their own routes; this is for plain map pieces. */
#include "craft/route.h"

int route_pick_random(const Map *m, Rng *r, float min_length, Route *out, Err *e) {
    int entries[256], n_entries = 0;
    for (int l = 0; l < m->n_lanes && n_entries < 256; l++) {
        const Lane *ln = &m->lanes[l];
        if (ln->n_pred == 0 && ln->kind == LANE_DRIVING && ln->junction < 0) entries[n_entries++] = l;
    }
    if (n_entries == 0) return err_set(e, "map '%s' has no entry lane for a route", m->name);
    int lanes[ROUTE_MAX_LANES], n = 0;
    lanes[n++] = entries[rng_below(r, (uint32_t)n_entries)];
    float length = m->lanes[lanes[0]].length;
    while (length < min_length && n < ROUTE_MAX_LANES) {
        const Lane *last = &m->lanes[lanes[n - 1]];
        if (last->n_succ == 0) break;
        lanes[n] = last->succ[rng_below(r, (uint32_t)last->n_succ)];
        length += m->lanes[lanes[n++]].length;
    }
    return route_build(m, lanes, n, 1.0f, -1.0f, 1.0f, out, e);
}
