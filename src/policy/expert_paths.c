/* expert_paths — the lateral paths of one plan (expert_internal.h): the route centreline, PDM's
 * ±1 m nudges, and, when a static obstacle (parked car, cones, crashed vehicle) blocks the ego's
 * lane, a pass: out into a same-direction neighbour lane, or into the oncoming lane of a two-way
 * road when the oncoming traffic leaves a long enough gap, held past the obstacle, then back. A
 * pass once chosen is remembered (expert.c) and offered again, from the current offset, until
 * it is complete. */
#include <math.h>
#include <stddef.h>
#include "craft/geom.h"
#include "expert_internal.h"

#define BLOCK_LOOK_M 60.0f        /* static obstacles this far ahead are considered for a pass */
#define PASS_CLEARANCE 0.8f       /* lateral clearance from the obstacle when passing, m */
#define PASS_TAIL_M 5.0f          /* stay out this far beyond the obstacle before returning */
#define RUN_GAP_M 12.0f           /* obstacles closer than this are one run: no room to return between them */
#define ONCOMING_MARGIN_S 3.0f    /* the oncoming lane must stay free this much longer than the pass */
#define ONCOMING_MARGIN_M 15.0f
#define ONCOMING_EXTRA_M 0.3f    /* an oncoming-lane pass may sit this far beyond the lane centre for clearance */
#define EV_LANE_M 2.0f            /* an emergency vehicle this near the route's centreline is on its lane */
#define EV_LOOK_BACK_M 80.0f
#define PULL_OUT_HOLD_M 10.0f     /* a pull-out from a parking lane holds its swing this far */
#define PULL_OUT_BLEND_M 8.0f   /* ... and oncoming vehicles must still be this far beyond its end */

/* Footprint extents of forecast agent a at time index t: across and along the route. */
static void extents(const Expert *x, int a, int t, float *lat, float *lon) {
    float ch = fabsf(x->proj_ch[t][a]), sh = x->proj_sh[t][a];
    *lat = sh * x->fc.half_len[a] + ch * x->fc.half_wid[a];
    *lon = ch * x->fc.half_len[a] + sh * x->fc.half_wid[a];
}

/* The nearest run of static obstacles in the ego's lane ahead (obstacles less than RUN_GAP_M apart are
 * one run, as a line of cones is). */
static int in_lane_obstacle(const Expert *x, int a, float hw, float *sb, float *se, float *dl, float *dr) {
    float sa = x->proj_s[0][a], da = x->proj_d[0][a];
    if (!isfinite(sa) || sa <= x->s0 || sa > x->s0 + BLOCK_LOOK_M || !x->agent_static[a]) return 0;
    float lat, lon;
    extents(x, a, 0, &lat, &lon);
    if (fabsf(da) > hw + lat + 0.3f) return 0; /* not in the ego's lane */
    *sb = sa - lon; *se = sa + lon; *dl = da + lat; *dr = da - lat;
    return 1;
}

static Blocker find_blocker(const Expert *x, float hw) {
    Blocker b = {0, INFINITY, -INFINITY, -INFINITY, INFINITY};
    float sb, se, dl, dr;
    for (int a = 0; a < x->fc.n_agents; a++)
        if (in_lane_obstacle(x, a, hw, &sb, &se, &dl, &dr) && sb < b.s_begin) b = (Blocker){1, sb, se, dl, dr};
    for (int grew = b.found; grew;) {
        grew = 0;
        for (int a = 0; a < x->fc.n_agents; a++) {
            if (!in_lane_obstacle(x, a, hw, &sb, &se, &dl, &dr) || sb > b.s_end + RUN_GAP_M) continue;
            b.d_left = fmaxf(b.d_left, dl);
            b.d_right = fminf(b.d_right, dr);
            if (se > b.s_end) { b.s_end = se; grew = 1; }
        }
    }
    return b;
}

int expert_oncoming_clear(const Expert *x, const LatPath *p, float v_pass) {
    float dist = p->hold_end + p->blend2, T = dist / fmaxf(v_pass, 3.0f) + ONCOMING_MARGIN_S;
    for (int a = 0; a < x->fc.n_agents; a++) {
        float sa = x->proj_s[0][a];
        if (!isfinite(sa) || sa < x->s0 - 5.0f || x->proj_ch[0][a] > -0.5f) continue; /* only oncoming */
        if (fabsf(x->proj_d[0][a] - p->d1) > 3.0f) continue;
        float v = x->fc.pose[0][a].speed;
        if (sa - v * T < x->s0 + dist + ONCOMING_MARGIN_M) return 0;
    }
    return 1;
}

/* The pass of blocker b on `side` (0 left, 1 right) of lane ln, in route metres from x->s0; 0 if
 * there is no lane there or the obstacle reaches into it too. */
static int pass_path(const Expert *x, const Lane *ln, const Blocker *b, int side, LatPath *out) {
    const Actor *ego = &x->snap.actors[0];
    float hw = 0.5f * ego->width, hl = 0.5f * ego->length, lc_blend = fmaxf(12.0f, 2.0f * x->v0);
    int nb = side == 0 ? ln->left : ln->right;
    if (nb < 0 || x->map->lanes[nb].kind != LANE_DRIVING) return 0;
    int opposite = side == 0 ? ln->left_opposite : ln->right_opposite;
    if (opposite && side == 1) return 0; /* never pass on the right through oncoming traffic */
    float full = 0.5f * (ln->width + x->map->lanes[nb].width);
    float need = side == 0 ? b->d_left + hw + PASS_CLEARANCE : -(b->d_right - hw - PASS_CLEARANCE);
    if (need > full + 0.6f) return 0; /* the obstacle reaches into that lane too */
    float off = opposite ? fminf(full + ONCOMING_EXTRA_M, fmaxf(need, 1.2f)) : full;
    /* out before the obstacle's rear (the ego waits EXPERT_STATIC_STANDOFF further back) */
    float out_blend = fminf(lc_blend, fmaxf(5.0f, b->s_begin - x->s0 - hl - 1.0f));
    *out = (LatPath){x->d0, side == 0 ? off : -off, 0.0f, out_blend, 0.0f, lc_blend, (uint8_t)opposite, 0, 0, 0, NULL};
    out->hold_end = fmaxf(b->s_end - x->s0 + hl + PASS_TAIL_M, lc_blend);
    return 1;
}

/* The lane of L's neighbour chain: N on `side` of L (same direction) whose junction connector
 * ends in the same lane S as the route's connector C1 after L, L yielding to it (an acceleration
 * lane, a lane drop): 1 and the connector C2 of N, else 0. */
static int merge_partner(const Map *m, int L, int C1, int side, int *N, int *C2) {
    const Lane *l = &m->lanes[L], *c1 = &m->lanes[C1];
    int nb = side == 0 ? l->left : l->right;
    if (nb < 0 || (side == 0 ? l->left_opposite : l->right_opposite) || m->lanes[nb].kind != LANE_DRIVING) return 0;
    if (l->control != CONTROL_YIELD && l->control != CONTROL_STOP) return 0;
    if (c1->junction < 0 || c1->n_succ != 1) return 0;
    const Lane *n = &m->lanes[nb];
    for (int k = 0; k < n->n_succ; k++) {
        const Lane *c2 = &m->lanes[n->succ[k]];
        if (n->succ[k] == C1 || c2->junction < 0) continue;
        for (int j = 0; j < c2->n_succ; j++)
            if (c2->succ[j] == c1->succ[0]) { *N = nb; *C2 = n->succ[k]; return 1; }
    }
    return 0;
}

/* Finds the merge of the route's lane into a neighbour's flow around the ego (the ego on L or on
 * C1) and tabulates that neighbour chain's offset from the route per metre ahead (0 from the
 * common lane on). Sets x->merge_found. */
static void find_merge(Expert *x) {
    const Route *r = x->route;
    const Map *m = x->map;
    x->merge_found = 0;
    int here = r->pts[x->hint].lane, L = -1, C1 = -1, N = -1, C2 = -1;
    float s_end = 0.0f; /* route arc of C1's end */
    int lo = x->hint > 0 ? x->hint : 1;
    while (lo > 1 && r->pts[lo - 1].lane == here) lo--; /* back to the start of the ego's lane */
    if (m->lanes[here].junction >= 0) while (lo > 1 && r->pts[lo - 1].lane != here) lo--; /* ... of L when on C1 */
    lo = lo > 1 ? lo - 1 : 1;
    for (int i = lo; i < r->n && r->pts[i].s < x->s0 + EXPERT_LOOK_M; i++) {
        if (r->pts[i].lane == r->pts[i - 1].lane) continue;
        int a = r->pts[i - 1].lane, b = r->pts[i].lane;
        if (a != here && b != here) continue; /* only the merge the ego is at */
        for (int side = 0; side < 2 && L < 0; side++)
            if (merge_partner(m, a, b, side, &N, &C2)) { L = a; C1 = b; s_end = r->pts[i].s + m->lanes[b].length; }
        if (L >= 0) break;
    }
    if (L < 0 || s_end < x->s0) return;
    int hn = -1, hc = -1, i = x->hint;
    for (int k = 0; k <= (int)EXPERT_LOOK_M; k++) {
        float s = x->s0 + (float)k, px, py, ph;
        x->merge_tab[k] = 0.0f;
        if (s >= s_end) continue;
        expert_route_pose(r, s, 0.0f, &px, &py, &ph);
        while (i + 1 < r->n && r->pts[i + 1].s <= s) i++;
        int lane = r->pts[i].lane; /* the route's lane at s */
        LaneProj pr;
        if (lane == L) { map_project(m, N, px, py, hn, &pr); hn = pr.seg; }
        else if (lane == C1) { map_project(m, C2, px, py, hc, &pr); hc = pr.seg; }
        else return; /* the route leaves L some other way */
        x->merge_tab[k] = -pr.d;
    }
    x->merge_found = 1;
}

static void add_path(Expert *x, LatPath p) {
    if (x->n_paths < EXPERT_MAX_PATHS) x->paths[x->n_paths++] = p;
}

int expert_ev_behind(const Expert *x) {
    const WorldState *st = &x->snap;
    const Actor *ego = &st->actors[0];
    for (int a = 0; a < x->fc.n_agents; a++) {
        const Actor *b = &st->actors[x->fc.actor[a]];
        if (b->type != ACTOR_EMERGENCY || !(b->flags & AF_SIREN) || (b->flags & AF_HIDDEN)) continue;
        float sa = x->proj_s[0][a];
        if (!isfinite(sa) || x->proj_ch[0][a] < 0.7f || fabsf(x->proj_d[0][a]) > EV_LANE_M) continue;
        /* behind until its front is past the ego's front */
        if (sa + x->fc.half_len[a] < x->s0 + 0.5f * ego->length && sa > x->s0 - EV_LOOK_BACK_M) return 1;
    }
    return 0;
}

/* Out of the route's lane for an emergency vehicle: into a same-direction neighbour (the right
 * one first), held until the vehicle is past (the paths are rebuilt every plan). */
static void add_yield_paths(Expert *x, const Lane *ln, float lc_blend) {
    for (int side = 1; side >= 0; side--) {
        int nb = side == 0 ? ln->left : ln->right;
        if (nb < 0 || x->map->lanes[nb].kind != LANE_DRIVING || (side == 0 ? ln->left_opposite : ln->right_opposite)) continue;
        float full = 0.5f * (ln->width + x->map->lanes[nb].width);
        LatPath p = {x->d0, side == 0 ? full : -full, side == 0 ? full : -full, lc_blend, INFINITY, 0.0f, 0, 0, 1, 0, NULL};
        add_path(x, p);
    }
}

void expert_build_paths(Expert *x, const World *w) {
    const Actor *ego = &world_state_const(w)->actors[0];
    float v = x->v0, hw = 0.5f * ego->width;
    float blend = fmaxf(8.0f, 1.0f * v), lc_blend = fmaxf(12.0f, 2.0f * v);
    x->n_paths = 0;
    add_path(x, (LatPath){x->d0, 0.0f, 0.0f, blend, INFINITY, 0.0f, 0, 0, 0, 0, NULL});
    add_path(x, (LatPath){x->d0, 1.0f, 1.0f, blend, INFINITY, 0.0f, 0, 1, 0, 0, NULL});
    add_path(x, (LatPath){x->d0, -1.0f, -1.0f, blend, INFINITY, 0.0f, 0, 1, 0, 0, NULL});
    /* half a metre to the right: room for oncoming cars that cut into the lane, without the full
     * nudge's body over the lane edge */
    add_path(x, (LatPath){x->d0, -0.5f, -0.5f, blend, INFINITY, 0.0f, 0, 1, 0, 0, NULL});
    if (x->map->lanes[x->route->pts[x->hint].lane].kind == LANE_PARKING) {
        /* pulling out of a parking lane between parked cars: the route's own lane change is too
         * gentle to clear the car in front, so swing out early and blend back onto the route */
        for (int k = 0; k < 2; k++)
            add_path(x, (LatPath){x->d0, k ? 2.5f : 1.5f, 0.0f, k ? 4.0f : 3.0f, PULL_OUT_HOLD_M, PULL_OUT_BLEND_M, 0, 0, 0, 0, NULL});
    }
    find_merge(x);
    if (x->merge_found) { /* into the neighbour's flow, its gap chosen by the gap check (expert.c) */
        LatPath p = {x->d0, 0.0f, 0.0f, lc_blend, INFINITY, 0.0f, 0, 0, 0, 1, x->merge_tab};
        add_path(x, p);
    }
    Blocker b = find_blocker(x, hw);
    int lane = x->route->pts[x->hint].lane;
    const Lane *ln = &x->map->lanes[lane];
    x->ev_behind = expert_ev_behind(x);
    if (x->ev_behind && ln->junction < 0) add_yield_paths(x, ln, lc_blend);
    if (x->pass_active) { /* the pass in progress, from where the ego is now */
        /* obstacles seen only on the way (the cones behind a construction's first prop) may need
         * a wider or a longer pass: widen it, never narrow it */
        LatPath q;
        if (b.found && ln->junction < 0 && pass_path(x, ln, &b, x->pass.d1 > 0.0f ? 0 : 1, &q)) {
            if (fabsf(q.d1) > fabsf(x->pass.d1)) x->pass.d1 = q.d1;
            x->pass.hold_end = fmaxf(x->pass.hold_end, x->s0 + q.hold_end);
        }
        LatPath p = x->pass;
        float frac = fabsf(p.d1) > 0.1f ? fminf(1.0f, fabsf(p.d1 - x->d0) / fabsf(p.d1)) : 1.0f;
        p.d0 = x->d0;
        p.blend1 = fmaxf(4.0f, lc_blend * frac);
        /* out before the obstacle's rear: an obstacle that stopped only now (a bicycle at the end
         * of its ride) leaves no room for the full blend */
        if (b.found) p.blend1 = fminf(p.blend1, fmaxf(4.0f, b.s_begin - x->s0 - 0.5f * ego->length - 1.0f));
        p.hold_end = fmaxf(x->pass.hold_end - x->s0, p.blend1);
        add_path(x, p);
        return;
    }
    if (!b.found || ln->junction >= 0) return;
    for (int side = 0; side < 2; side++) {
        LatPath p;
        if (!pass_path(x, ln, &b, side, &p)) continue;
        int opposite = p.oncoming;
        if (opposite && !expert_oncoming_clear(x, &p, fmaxf(v, 0.5f * x->limit))) continue;
        add_path(x, p);
    }
}
