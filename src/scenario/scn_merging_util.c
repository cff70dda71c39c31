/* scn_merging_util — see scn_merging_util.h. */
#include "scenario/scn_merging_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- junctions -------------------------------------------------------------------------------- */
int mg_junction_route(Scenario *s, uint8_t control, int lanes, TurnKind turn, float after, Err *e) {
    s->mp = map_default_params(MAP_JUNCTION4);
    s->mp.control = control;
    s->mp.lanes_fwd = s->mp.lanes_bwd = lanes;
    s->mp.length = 90.0f;
    if (scn_build_map(s, e)) return -1;
    int appr = scn_approach_at(s->map, 0, 270.0f, turn == TURN_LEFT);
    if (appr < 0) return err_set(e, "route %s: no southern approach", s->spec.id);
    s->trigger_s = scn_param(s, "trigger", 2.0f, 12.0f);
    float before = s->trigger_s + scn_param(s, "approach", 25.0f, 45.0f);
    if (scn_route_turn(s, appr, turn, before, after, e)) return -1;
    return appr;
}

int mg_junction_flow(Scenario *s, int ego_approach, const JunctionFlowSpec *fs) {
    const Map *m = s->map;
    int appr[32], n = scn_junction_approaches(m, 0, appr, 32), src = -1;
    for (int k = 0; k < n && src < 0; k++)
        if (scn_approach_side(m, ego_approach, appr[k]) == fs->side) src = appr[k];
    if (src < 0) return -1;
    src = scn_outer_lane(m, src, fs->rank >= 0);
    for (int k = 0; k < fs->rank; k++) {
        const Lane *l = &m->lanes[src];
        if (l->right < 0 || l->right_opposite || m->lanes[l->right].kind != LANE_DRIVING) break;
        src = l->right;
    }
    int conn = scn_connector(m, src, fs->move);
    if (conn < 0) return -1;
    int exit = scn_exit_lane(m, conn);
    float src_s = fmaxf(1.0f, m->lanes[src].length - fs->back);
    float sink = fminf(m->lanes[exit].length - 1.0f, fs->sink_after);
    int path[3] = {src, conn, exit};
    return scn_flow_add(s, fs->kind, fs->type, path, 3, src_s, exit, sink, fs->speed, fs->gap_lo, fs->gap_hi);
}

/* ---- routes ----------------------------------------------------------------------------------- */
static int is_neighbour(const Map *m, int a, int b) {
    const Lane *l = &m->lanes[a];
    return (l->left == b && !l->left_opposite) || (l->right == b && !l->right_opposite);
}

int mg_route_changes(Scenario *s, const int *lanes, int n, float s0, const float *centres, float half, float s_end,
                     Err *e) {
    Route pieces[2 * ROUTE_MAX_LANES];
    int np = 0, i0 = 0, rc = 0, total = 0;
    float a = s0;
    if (n < 1 || n > ROUTE_MAX_LANES) return err_set(e, "route %s: %d route lanes", s->spec.id, n);
    /* pieces: a plain stretch up to each change, then the change itself over [c - half, c + half]
     * (route_build centres a final lane change in what is left before s_end) */
    for (int k = 0; k + 1 < n && !rc; k++) {
        if (!is_neighbour(s->map, lanes[k], lanes[k + 1])) continue;
        float c0 = centres[k] - half, c1 = centres[k] + half;
        if (k > i0 || c0 - a > 0.5f) {
            rc = route_build(s->map, lanes + i0, k + 1 - i0, a, c0, 1.0f, &pieces[np], e);
            if (!rc) total += pieces[np++].n;
        }
        if (!rc) rc = route_build(s->map, lanes + k, 2, c0, c1, 1.0f, &pieces[np], e);
        if (!rc) total += pieces[np++].n;
        i0 = k + 1;
        a = c1;
    }
    if (!rc && (n - 1 > i0 || s_end - a > 0.5f)) {
        rc = route_build(s->map, lanes + i0, n - i0, a, s_end, 1.0f, &pieces[np], e);
        if (!rc) total += pieces[np++].n;
    }
    Route out = {0};
    if (!rc && !(out.pts = malloc((size_t)total * sizeof *out.pts))) rc = err_set(e, "route %s: out of memory", s->spec.id);
    for (int p = 0; p < np && !rc; p++) {
        for (int i = p > 0; i < pieces[p].n; i++) { /* later pieces start where the previous ended */
            RoutePoint q = pieces[p].pts[i];
            q.s += out.length;
            out.pts[out.n++] = q;
        }
        out.length += pieces[p].length;
    }
    for (int p = 0; p < np; p++) route_free(&pieces[p]);
    if (rc) {
        free(out.pts);
        return -1;
    }
    out.n_lanes = n;
    memcpy(out.lanes, lanes, (size_t)n * sizeof *lanes);
    if (s->route_built) route_free(&s->route);
    s->route = out;
    s->route_built = 1;
    return 0;
}

/* ---- highway ------------------------------------------------------------------------------------ */
static int lane_at(const Map *m, float x, float y) {
    LaneProj p;
    return map_nearest_lane(m, x, y, 0.0f, 1u << LANE_DRIVING, 1.0f, &p) ? -1 : p.lane;
}

int mg_highway(Scenario *s, HighwayLanes *h, Err *e) {
    s->mp = map_default_params(MAP_HIGHWAY);
    if (scn_build_map(s, e)) return -1;
    const Map *m = s->map;
    /* section x ranges of map_build_highway: up [0, L/4], acceleration [L/4, L/4 + 80],
     * merge zone 60 m, mid up to 0.7 L, down to L; lanes centred on y = 0 */
    float len = s->mp.length, w = s->mp.lane_width, xa = 0.25f * len, xm = xa + 140.0f, xe = 0.7f * len;
    int n = s->mp.lanes_fwd;
    memset(h, -1, sizeof *h);
    h->n = n;
    for (int i = 0; i < n; i++) {
        float y = 0.5f * (float)(n - 1) * w - (float)i * w;
        h->up[i] = lane_at(m, 0.5f * xa, y);
        h->acc_road[i] = lane_at(m, xa + 40.0f, y);
        h->mid[i] = lane_at(m, 0.5f * (xm + xe), y);
        h->down[i] = lane_at(m, 0.5f * (xe + len), y);
        if (h->up[i] < 0 || h->acc_road[i] < 0 || h->mid[i] < 0 || h->down[i] < 0)
            return err_set(e, "route %s: highway lane %d not found", s->spec.id, i);
    }
    h->acc = lane_at(m, xa + 40.0f, -0.5f * (float)n * w - 0.5f * w);
    if (h->acc < 0 || m->lanes[h->acc].n_pred < 1 || m->lanes[h->acc].n_succ < 1)
        return err_set(e, "route %s: no acceleration lane", s->spec.id);
    h->on = m->lanes[h->acc].pred[0];
    h->taper = m->lanes[h->acc].succ[0];
    h->merge_conn = m->lanes[h->acc_road[n - 1]].succ[0];
    const Lane *r = &m->lanes[h->mid[n - 1]];
    for (int k = 0; k < r->n_succ; k++)
        if (m->lanes[r->succ[k]].is_ramp) h->off = r->succ[k];
    if (h->off < 0) return err_set(e, "route %s: no exit ramp", s->spec.id);
    return 0;
}

/* ---- run time ----------------------------------------------------------------------------------- */
void mg_clear_lanes(Scenario *s, const int *lanes, int n) {
    WorldState *ws = world_state(s->world);
    for (int i = 1; i < ws->n_actors; i++) {
        Actor *a = &ws->actors[i];
        if (!(a->flags & AF_BACKGROUND) || (a->flags & AF_HIDDEN) || s->st.flow_of[i] >= 0) continue;
        for (int k = 0; k < n; k++)
            if (a->path[0] == lanes[k]) a->flags |= AF_HIDDEN;
    }
}

float mg_route_s_on(const Scenario *s, int lane) {
    for (int i = 0; i < s->route.n; i++)
        if (s->route.pts[i].lane == lane) return s->route.pts[i].s;
    return -1.0f;
}

int mg_ego_at(const Scenario *s, int lane, float ls, float radius) {
    const Actor *ego = scn_ego(s);
    LaneProj p;
    map_project(s->map, lane, ego->k.x, ego->k.y, -1, &p);
    return fabsf(p.s - ls) < radius && p.dist < 0.5f * s->map->lanes[lane].width;
}
