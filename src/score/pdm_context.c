/* pdm_context — what one state's scoring needs besides the forecast: which lanes count as "on
 * route" (the route's lanes and their same-direction neighbours, PDM's route roadblocks), the
 * traffic controls on those lanes (lights and stop signs with the connectors behind their stop
 * lines), and the ego's place on the route polyline (progress, lane keeping). */
#include <math.h>
#include <string.h>
#include "pdm_internal.h"

/* Local descent on the 1 m route polyline from *hint, then the projection on the two segments
 * around the nearest point; the route is smooth at that spacing so the nearest point is unique. */
float ctx_route_project(const Route *r, float x, float y, int *hint, float *dist) {
    int i = *hint < 0 ? 0 : (*hint >= r->n ? r->n - 1 : *hint);
#define D2(k) ((r->pts[k].x - x) * (r->pts[k].x - x) + (r->pts[k].y - y) * (r->pts[k].y - y))
    float best = D2(i);
    for (;;) {
        if (i + 1 < r->n && D2(i + 1) < best) { best = D2(i + 1); i++; }
        else if (i > 0 && D2(i - 1) < best) { best = D2(i - 1); i--; }
        else break;
    }
#undef D2
    *hint = i;
    float best_s = r->pts[i].s, best_d2 = INFINITY;
    for (int k = i - 1; k <= i; k++) {
        if (k < 0 || k + 1 >= r->n) continue;
        const RoutePoint *a = &r->pts[k], *b = &r->pts[k + 1];
        float ex = b->x - a->x, ey = b->y - a->y, len2 = ex * ex + ey * ey;
        float t = len2 > 0.0f ? ((x - a->x) * ex + (y - a->y) * ey) / len2 : 0.0f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        float qx = a->x + t * ex - x, qy = a->y + t * ey - y, d2 = qx * qx + qy * qy;
        if (d2 < best_d2) { best_d2 = d2; best_s = a->s + t * (b->s - a->s); }
    }
    if (!isfinite(best_d2)) best_d2 = (r->pts[i].x - x) * (r->pts[i].x - x) + (r->pts[i].y - y) * (r->pts[i].y - y);
    *dist = sqrtf(best_d2);
    return best_s;
}

static void mark_on_route(const Map *m, const Route *r, uint8_t *on) {
    memset(on, 0, (size_t)m->n_lanes);
    for (int i = 0; i < r->n_lanes; i++) {
        int l = r->lanes[i];
        if (l < 0 || l >= m->n_lanes) continue;
        on[l] = 1;
        /* the whole carriageway in the route's direction, as PDM takes every lane of a roadblock */
        for (int side = 0; side < 2; side++) {
            int cur = l;
            for (int guard = 0; guard < 16; guard++) {
                const Lane *ln = &m->lanes[cur];
                int nb = side ? ln->right : ln->left, opp = side ? ln->right_opposite : ln->left_opposite;
                if (nb < 0 || opp || m->lanes[nb].kind != LANE_DRIVING) break;
                on[nb] = 1;
                cur = nb;
            }
        }
    }
}

static void add_control(StateCtx *c, int lane, int light) {
    if (c->n_ctl >= CTX_MAX_CONTROLS) return;
    const Lane *ln = &c->map->lanes[lane];
    CtxControl *k = &c->ctl[c->n_ctl++];
    k->approach = lane;
    k->light = light;
    k->n_succ = ln->n_succ < CTX_MAX_SUCC ? ln->n_succ : CTX_MAX_SUCC;
    for (int i = 0; i < k->n_succ; i++) k->succ[i] = ln->succ[i];
    map_lane_pose(c->map, lane, ln->length, &k->lx, &k->ly, &k->lh);
    k->served = 0;
    if (light < 0 && c->st->ego.stop_sign >= 0 && c->st->ego.stop_served &&
        c->map->stop_signs[c->st->ego.stop_sign].lane == lane)
        k->served = 1;
}

int ctx_prepare(const Scorer *s, ScoreScratch *sc, const ScoreInput *in, StateCtx *ctx, Err *e) {
    const World *w = in->world;
    if (!w) return err_set(e, "scorer: no world");
    if (world_map(w) != s->map) return err_set(e, "scorer: the world is on a different map than the scorer");
    const Route *r = world_route(w);
    if (!r || r->n < 2) return err_set(e, "scorer: the world has no ego route");
    const WorldState *st = world_state_const(w);
    if (!world_config(w)->has_ego || st->n_actors < 1) return err_set(e, "scorer: the world has no ego");
    if (fabsf(world_config(w)->dt - FORECAST_DT) > 1e-6f) return err_set(e, "scorer: world dt must be 0.1 s");
    memset(ctx, 0, sizeof *ctx);
    ctx->map = s->map;
    ctx->route = r;
    ctx->st = st;
    ctx->ego = &st->actors[0];
    if (sc->cached_route != r) { /* on-route tables depend on the route only */
        mark_on_route(s->map, r, sc->lane_on_route);
        const LaneRaster *ras = &s->raster;
        for (int k = 0; k < ras->n_sets; k++) {
            uint8_t on = 0;
            for (int j = 0; j < ras->set_n[k]; j++) on |= sc->lane_on_route[ras->set_lanes[ras->set_first[k] + j]];
            sc->set_on_route[k] = on;
        }
        sc->cached_route = r;
    }
    ctx->lane_on_route = sc->lane_on_route;
    ctx->set_on_route = sc->set_on_route;
    int hint = st->ego.route_idx;
    float d;
    ctx_route_project(r, ctx->ego->k.x, ctx->ego->k.y, &hint, &d);
    ctx->route_hint = hint;
    /* controls on on-route approach lanes within reach of a 4 s horizon */
    float reach = 60.0f + 4.0f * ctx->ego->k.speed;
    for (int l = 0; l < s->map->n_lanes; l++) {
        const Lane *ln = &s->map->lanes[l];
        if (!sc->lane_on_route[l] || ln->n_succ == 0) continue;
        if (ln->control != CONTROL_LIGHT && ln->control != CONTROL_STOP) continue;
        float lx, ly, lh;
        map_lane_pose(s->map, l, ln->length, &lx, &ly, &lh);
        if (hypotf(lx - ctx->ego->k.x, ly - ctx->ego->k.y) > reach) continue;
        add_control(ctx, l, ln->control == CONTROL_LIGHT ? ln->light : -1);
    }
    return 0;
}
