/* scn_emergency_util — helpers of the emergency-brake group (see scn_emergency_util.h). */
#include "scenario/scn_emergency_util.h"
#include <math.h>

#define SIDEWALK_SEARCH 3.0f /* m: how far beyond the outermost lane a sidewalk centre may lie */
#define NO_SIDEWALK_GAP 1.5f /* m beyond the outermost lane when there is no sidewalk (source) */

int scn_sidewalk_abreast(const Scenario *s, int lane, float ls, int right, float *x, float *y, float *lat) {
    const Map *m = s->map;
    float px, py, ph;
    map_lane_pose(m, lane, ls, &px, &py, &ph);
    /* walk outwards through the neighbours (driving and parking lanes); crossing to an opposite
     * lane flips which of its sides is "outwards" */
    int cur = lane, go_right = right;
    for (int guard = 0; guard < 16; guard++) {
        const Lane *l = &m->lanes[cur];
        int nb = go_right ? l->right : l->left, opp = go_right ? l->right_opposite : l->left_opposite;
        if (nb < 0 || (m->lanes[nb].kind != LANE_DRIVING && m->lanes[nb].kind != LANE_PARKING)) break;
        if (opp) go_right = !go_right;
        cur = nb;
    }
    LaneProj p;
    map_project(m, cur, px, py, -1, &p);
    float half = 0.5f * m->lanes[cur].width, out = go_right ? -1.0f : 1.0f;
    float ex, ey;
    scn_lane_point(m, cur, p.s, out * (half + 1.0f), &ex, &ey, NULL);
    int walk = -1;
    LaneProj w;
    if (!map_nearest_lane(m, ex, ey, NAN, 1u << LANE_SIDEWALK, SIDEWALK_SEARCH, &w)) {
        walk = w.lane;
        map_project(m, walk, px, py, -1, &w);
        float wh;
        map_lane_pose(m, walk, w.s, &ex, &ey, &wh);
    } else {
        scn_lane_point(m, cur, p.s, out * (half + NO_SIDEWALK_GAP), &ex, &ey, NULL);
    }
    *x = ex;
    *y = ey;
    /* signed offset of the point from (lane, ls), + = left of the lane's direction */
    if (lat) *lat = -(ex - px) * sinf(ph) + (ey - py) * cosf(ph);
    return walk;
}

int scn_line_intersection(float x0, float y0, float h0, float x1, float y1, float h1, float *x, float *y) {
    float c0 = cosf(h0), s0 = sinf(h0), c1 = cosf(h1), s1 = sinf(h1);
    float den = c0 * s1 - s0 * c1;
    if (fabsf(den) < 0.1f) return -1; /* within ~6 degrees of parallel */
    float t = ((x1 - x0) * s1 - (y1 - y0) * c1) / den;
    *x = x0 + t * c0;
    *y = y0 + t * s0;
    return 0;
}

int scn_add_standing_walker(Scenario *s, ActorType type, float x, float y, float heading, int hidden) {
    int idx = scn_add_walker(s, &x, &y, 1, 0.0f, hidden);
    if (idx < 0) return -1;
    Actor *a = &world_state(s->world)->actors[idx];
    a->k.heading = heading;
    /* static until released: a walker (DRIVER_WALKER) at the kerb counts as stepping into the
     * nearest lane, and traffic would wait for one that stands there for good */
    a->driver = DRIVER_STATIC;
    if (type == ACTOR_BICYCLE) { /* moved like a walker, collides as the vehicle it is */
        a->type = ACTOR_BICYCLE;
        a->length = 1.8f;
        a->width = 0.7f;
    }
    return idx;
}

void scn_walker_go(Scenario *s, int idx, float dist, float speed) {
    Actor *a = &world_state(s->world)->actors[idx];
    a->wx[0] = a->k.x;
    a->wy[0] = a->k.y;
    a->wx[1] = a->k.x + dist * cosf(a->k.heading);
    a->wy[1] = a->k.y + dist * sinf(a->k.heading);
    a->wn = 2;
    a->wi = 1;
    a->driver = DRIVER_WALKER;
    a->walk_speed = speed;
    a->k.speed = speed;
}

int scn_walker_arrived(const Scenario *s, int idx) {
    const Actor *a = &world_state_const(s->world)->actors[idx];
    return a->wn == 2 && a->wi >= a->wn;
}

int scn_pick5(Scenario *s, const char *name, const int table[5]) {
    int v = table[rng_below(&s->build_rng, 5)];
    return (int)lroundf(scn_param(s, name, (float)v, (float)v));
}

void scn_hide_scripted(Scenario *s) {
    for (int k = 0; k < s->st.n_actors; k++) scn_hide(s, s->st.actors[k]);
}
