/* Tests of the road network: geometry invariants of every built-in map, links, junction conflicts
 * and control, the spatial queries against brute force, parameter parsing and errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "craft/geom.h"
#include "craft/map.h"
#include "craft/rng.h"

static Map *build_named(const char *name) {
    MapParams p;
    Err e = {{0}};
    cr_assert_eq(map_params_from_name(name, &p, &e), 0, "%s: %s", name, e.msg);
    Map *m = map_build(&p, &e);
    cr_assert_not_null(m, "%s: %s", name, e.msg);
    return m;
}

static const LanePoint *lane_pts(const Map *m, int l) { return &m->points[m->lanes[l].first_point]; }
static const LanePoint *lane_last(const Map *m, int l) { return &lane_pts(m, l)[m->lanes[l].n_points - 1]; }

/* Built-ins plus variants that exercise parking, sidewalks, crosswalks, odd lane counts. */
static const char *const VARIANTS[] = {
    "straight:parking=1,sidewalks=1", "straight_oneway:lanes_fwd=3,sidewalks=1", "curve:lanes_fwd=1,lanes_bwd=3",
    "junction4_light:crosswalks=1,parking=1,sidewalks=1", "junction4_stop:lanes_fwd=1,lanes_bwd=1",
    "junction4_none:lanes_fwd=3,lanes_bwd=2", "tjunction_light:lanes_fwd=3,lanes_bwd=3",
    "tjunction_none:lanes_fwd=1,lanes_bwd=2", "highway:lanes_fwd=2", "highway:lanes_fwd=5,radius=80", NULL};

static void for_every_map(void (*check)(const Map *, const char *)) {
    const char *const *names = map_builtin_names();
    for (int i = 0; names[i]; i++) {
        Map *m = build_named(names[i]);
        check(m, names[i]);
        map_destroy(m);
    }
    for (int i = 0; VARIANTS[i]; i++) {
        Map *m = build_named(VARIANTS[i]);
        check(m, VARIANTS[i]);
        map_destroy(m);
    }
}

static void check_geometry(const Map *m, const char *name) {
    cr_assert_gt(m->n_lanes, 0, "%s", name);
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        const LanePoint *p = lane_pts(m, l);
        cr_assert_geq(ln->n_points, 2, "%s lane %d", name, l);
        cr_assert_leq(ln->first_point + ln->n_points, m->n_points);
        cr_assert_float_eq(p[0].s, 0.0f, 1e-6);
        double sum = 0;
        for (int i = 0; i + 1 < ln->n_points; i++) {
            float dx = p[i + 1].x - p[i].x, dy = p[i + 1].y - p[i].y, ds = hypotf(dx, dy);
            cr_assert_leq(ds, 1.0f, "%s lane %d seg %d: %g m apart", name, l, i, ds);
            cr_assert_gt(ds, 0.05f, "%s lane %d seg %d: duplicate points", name, l, i);
            cr_assert_gt(p[i + 1].s, p[i].s, "%s lane %d: s not increasing", name, l);
            sum += ds;
            cr_assert_float_eq(p[i + 1].s, sum, 1e-4, "%s lane %d: s %g vs summed %g", name, l, p[i + 1].s, sum);
            /* the chord direction is the mean of the end headings to second order */
            float mid = p[i].heading + 0.5f * wrap_angle(p[i + 1].heading - p[i].heading);
            float err = fabsf(wrap_angle(atan2f(dy, dx) - mid));
            cr_assert_lt(err, 0.01f, "%s lane %d seg %d: heading off chord by %g", name, l, i, err);
            /* heading change = integral of curvature (trapezoid; a line-arc joint costs dk*ds/2) */
            float dh = wrap_angle(p[i + 1].heading - p[i].heading);
            float kint = 0.5f * (p[i].curvature + p[i + 1].curvature) * ds;
            cr_assert_lt(fabsf(dh - kint), 0.01f, "%s lane %d seg %d: dh %g vs k ds %g", name, l, i, dh, kint);
        }
        cr_assert_float_eq(ln->length, p[ln->n_points - 1].s, 1e-5f);
        for (int i = 0; i < ln->n_points; i++) {
            cr_assert(p[i].x >= m->min_x && p[i].x <= m->max_x && p[i].y >= m->min_y && p[i].y <= m->max_y,
                      "%s: point outside the map bounds", name);
        }
    }
}

Test(map, geometry_invariants_every_map) { for_every_map(check_geometry); }

static void check_links(const Map *m, const char *name) {
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        for (int k = 0; k < ln->n_succ; k++) {
            int s = ln->succ[k];
            const LanePoint *a = lane_last(m, l), *b = lane_pts(m, s);
            float gap = hypotf(a->x - b->x, a->y - b->y);
            cr_assert_lt(gap, 0.05f, "%s: lane %d -> %d gap %g m", name, l, s, gap);
            cr_assert_lt(fabsf(wrap_angle(a->heading - b->heading)), 0.01f, "%s: heading jump %d -> %d", name, l, s);
            int back = 0;
            for (int j = 0; j < m->lanes[s].n_pred; j++) back |= m->lanes[s].pred[j] == l;
            cr_assert(back, "%s: %d is a successor of %d but not the reverse", name, s, l);
        }
        for (int k = 0; k < ln->n_pred; k++) {
            int q = ln->pred[k], back = 0;
            for (int j = 0; j < m->lanes[q].n_succ; j++) back |= m->lanes[q].succ[j] == l;
            cr_assert(back, "%s: pred link %d <- %d not mirrored", name, l, q);
        }
        /* neighbours: same direction -> the other side points back; opposite -> the same side */
        int sides[2] = {ln->left, ln->right};
        uint8_t opp[2] = {ln->left_opposite, ln->right_opposite};
        for (int sd = 0; sd < 2; sd++) {
            int nb = sides[sd];
            if (nb < 0) continue;
            const Lane *o = &m->lanes[nb];
            int back_left = opp[sd] ? sd == 0 : sd == 1;
            cr_assert_eq(back_left ? o->left : o->right, l, "%s: neighbour %d of %d does not point back", name, nb, l);
            cr_assert_eq(back_left ? o->left_opposite : o->right_opposite, opp[sd]);
            /* the neighbour is one half-width-sum to the stated side, running the stated way */
            const LanePoint *p = &lane_pts(m, l)[ln->n_points / 2];
            LaneProj pr;
            map_project(m, nb, p->x, p->y, -1, &pr);
            float want = 0.5f * (ln->width + o->width);
            cr_assert_float_eq(fabsf(pr.d), want, 0.05f, "%s: neighbours %d,%d %g apart", name, l, nb, pr.d);
            float qx, qy, qh;
            map_lane_pose(m, nb, pr.s, &qx, &qy, &qh);
            float lat = -sinf(p->heading) * (qx - p->x) + cosf(p->heading) * (qy - p->y);
            cr_assert_gt(sd == 0 ? lat : -lat, 0.0f, "%s: neighbour %d of %d on the wrong side", name, nb, l);
            float dh = fabsf(wrap_angle(pr.heading - p->heading));
            cr_assert(opp[sd] ? dh > 3.0f : dh < 0.1f, "%s: neighbour direction flag wrong (%d,%d)", name, l, nb);
        }
    }
}

Test(map, links_continuous_and_symmetric) { for_every_map(check_links); }

Test(map, straight_layout_closed_form) {
    Map *m = build_named("straight:parking=1,sidewalks=1");
    /* 2+2 lanes at y = -1.75, -5.25 (eastbound), +1.75, +5.25 (westbound); parking at -/+8.25;
     * sidewalks at -/+10.5 */
    float ys[] = {-1.75f, -5.25f, 1.75f, 5.25f, -8.25f, 8.25f, -10.5f, 10.5f};
    int kinds[] = {LANE_DRIVING, LANE_DRIVING, LANE_DRIVING, LANE_DRIVING, LANE_PARKING, LANE_PARKING,
                   LANE_SIDEWALK, LANE_SIDEWALK};
    cr_assert_eq(m->n_lanes, 8);
    for (int k = 0; k < 8; k++) {
        int hit = -1;
        for (int l = 0; l < m->n_lanes; l++)
            if (fabsf(lane_pts(m, l)[0].y - ys[k]) < 1e-4f) hit = l;
        cr_assert_geq(hit, 0, "no lane at y = %g", ys[k]);
        const Lane *ln = &m->lanes[hit];
        cr_assert_eq(ln->kind, kinds[k]);
        cr_assert_float_eq(ln->length, 120.0f, 1e-3f);
        float h = ys[k] < 0 ? 0.0f : GEOM_PI;
        cr_assert_lt(fabsf(wrap_angle(lane_pts(m, hit)[0].heading - h)), 1e-5f);
        cr_assert_eq(ln->junction, -1);
    }
    /* lane at -1.75: left is the opposite lane at +1.75, bounded by the solid centre line */
    LaneProj pr;
    cr_assert_eq(map_nearest_lane(m, 10, -1.75f, 0, 1u << LANE_DRIVING, 1, &pr), 0);
    const Lane *in = &m->lanes[pr.lane];
    cr_assert_eq(in->left_bound, BOUND_SOLID);
    cr_assert_eq(in->right_bound, BOUND_BROKEN);
    cr_assert(in->left_opposite && in->left >= 0);
    cr_assert_float_eq(lane_pts(m, in->left)[0].y, 1.75f, 1e-4f);
    cr_assert_float_eq(lane_pts(m, in->right)[0].y, -5.25f, 1e-4f);
    cr_assert_eq(m->lanes[in->right].right_bound, BOUND_SOLID); /* parking beyond */
    cr_assert_str_eq(m->name, "straight");
    map_destroy(m);
}

Test(map, curve_curvature_is_one_over_radius) {
    Map *m = build_named("curve:radius=50,length=40");
    /* left bend of radius 50 after a 40 m straight from the origin: centre (40, 50) */
    int checked = 0;
    for (int l = 0; l < m->n_lanes; l++) {
        const LanePoint *p = lane_pts(m, l);
        for (int i = 0; i < m->lanes[l].n_points; i++) {
            float r = hypotf(p[i].x - 40.0f, p[i].y - 50.0f);
            float ang = atan2f(p[i].y - 50.0f, p[i].x - 40.0f); /* inside the bend: -90..0 deg */
            if (!(ang > -GEOM_PI / 2 + 0.05f && ang < -0.05f)) continue;
            int eastish = cosf(p[i].heading - (ang + GEOM_PI / 2)) > 0; /* travelling counter-clockwise */
            float want = eastish ? 1.0f / r : -1.0f / r;
            cr_assert_float_eq(p[i].curvature, want, 1e-4f, "lane %d: k %g, 1/r %g", l, p[i].curvature, want);
            checked++;
        }
    }
    cr_assert_gt(checked, 200);
    /* lane lengths: 2 * 40 + (pi/2) * (50 -+ offset) */
    for (int l = 0; l < m->n_lanes; l++) {
        const LanePoint *mid = &lane_pts(m, l)[m->lanes[l].n_points / 2];
        float r = hypotf(mid->x - 40.0f, mid->y - 50.0f);
        float want = 80.0f + 0.5f * GEOM_PI * r;
        cr_assert_float_eq(m->lanes[l].length, want, 0.01f, "lane %d: %g vs %g", l, m->lanes[l].length, want);
    }
    map_destroy(m);
}

/* ---- Junctions ------------------------------------------------------------------------------- */
static int is_approach(const Map *m, int l) {
    return m->lanes[l].junction < 0 && m->lanes[l].n_succ > 0 && m->lanes[m->lanes[l].succ[0]].junction >= 0;
}

static void check_conflicts(const Map *m, const char *name) {
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        if (ln->junction < 0) {
            cr_assert_eq(ln->n_conflicts, 0);
            continue;
        }
        for (int k = 0; k < ln->n_conflicts; k++) {
            const Conflict *c = &m->conflicts[ln->conflict_first + k];
            cr_assert_eq(c->lane, l);
            cr_assert_eq(m->lanes[c->other].junction, ln->junction);
            if (k > 0) cr_assert_geq(c->s_lane, c[-1].s_lane, "%s: conflicts not sorted by s", name);
            /* the mirror record exists with swapped positions */
            const Lane *o = &m->lanes[c->other];
            int found = 0;
            for (int j = 0; j < o->n_conflicts; j++) {
                const Conflict *d = &m->conflicts[o->conflict_first + j];
                if (d->other != l) continue;
                found = 1;
                cr_assert_eq(d->kind, c->kind);
                cr_assert_float_eq(d->s_lane, c->s_other, 1e-5f);
                cr_assert_float_eq(d->s_other, c->s_lane, 1e-5f);
            }
            cr_assert(found, "%s: conflict %d-%d not mirrored", name, l, c->other);
            float x0, y0, h0, x1, y1, h1;
            map_lane_pose(m, l, c->s_lane, &x0, &y0, &h0);
            map_lane_pose(m, c->other, c->s_other, &x1, &y1, &h1);
            if (c->kind == CONFLICT_CROSSING) {
                cr_assert_lt(hypotf(x1 - x0, y1 - y0), 0.1f, "%s: crossing %d-%d at different points", name, l, c->other);
            } else {
                cr_assert_eq(ln->succ[0], o->succ[0], "%s: merging lanes without a common successor", name);
                cr_assert_lt(hypotf(x1 - x0, y1 - y0), ln->width, "%s: merge point too far apart", name);
            }
        }
    }
    /* brute force: connectors whose polylines come within 5 cm of each other away from a shared
     * start point are listed as conflicting */
    for (int a = 0; a < m->n_lanes; a++) {
        if (m->lanes[a].junction < 0) continue;
        for (int b = a + 1; b < m->n_lanes; b++) {
            if (m->lanes[b].junction != m->lanes[a].junction) continue;
            if (m->lanes[a].pred[0] == m->lanes[b].pred[0]) continue; /* diverging from one lane */
            int touch = 0;
            for (int i = 0; i < m->lanes[a].n_points && !touch; i++) {
                LaneProj pr;
                const LanePoint *p = &lane_pts(m, a)[i];
                map_project(m, b, p->x, p->y, -1, &pr);
                touch = pr.dist < 0.05f;
            }
            if (!touch) continue;
            int listed = 0;
            for (int k = 0; k < m->lanes[a].n_conflicts; k++) listed |= m->conflicts[m->lanes[a].conflict_first + k].other == b;
            cr_assert(listed, "%s: connectors %d and %d touch but no conflict", name, a, b);
        }
    }
}

Test(map, conflicts_consistent_every_map) { for_every_map(check_conflicts); }

Test(map, junction4_connectors_and_crossing_points) {
    Map *m = build_named("junction4_light");
    /* 2 approach lanes per arm: lane 0 left + straight, lane 1 straight + right -> 16 connectors */
    cr_assert_eq(m->n_junctions, 1);
    cr_assert_eq(m->junctions[0].n_lanes, 16);
    int n_conn = 0, turns[4] = {0};
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].junction == 0) n_conn++, turns[m->lanes[l].turn]++;
    cr_assert_eq(n_conn, 16);
    cr_assert_eq(turns[TURN_STRAIGHT], 8);
    cr_assert_eq(turns[TURN_LEFT], 4);
    cr_assert_eq(turns[TURN_RIGHT], 4);
    /* junction half-size: 2 * 3.5 + 4 = 11 m. Westbound straight on lane i runs at y = (i + .5) * 3.5
     * from x = 11; southbound straight on lane j at x = -(j + .5) * 3.5 from y = 11: they cross at
     * s = 11 + (j + .5) * 3.5 on the westbound one */
    float half = 11.0f, w = 3.5f;
    int checked = 0;
    for (int a = 0; a < m->n_lanes; a++) {
        const Lane *la = &m->lanes[a];
        const LanePoint *pa = lane_pts(m, a);
        if (la->junction != 0 || la->turn != TURN_STRAIGHT || fabsf(wrap_angle(pa->heading - GEOM_PI)) > 1e-3f) continue;
        cr_assert_float_eq(pa->x, half, 1e-4f);
        cr_assert_float_eq(la->length, 2 * half, 1e-3f);
        for (int k = 0; k < la->n_conflicts; k++) {
            const Conflict *c = &m->conflicts[la->conflict_first + k];
            const LanePoint *pb = lane_pts(m, c->other);
            if (m->lanes[c->other].turn != TURN_STRAIGHT || fabsf(wrap_angle(pb->heading + GEOM_PI / 2)) > 1e-3f) continue;
            cr_assert_eq(c->kind, CONFLICT_CROSSING);
            float j = -pb->x / w - 0.5f, i = pa->y / w - 0.5f;
            cr_assert_float_eq(c->s_lane, half + (j + 0.5f) * w, 1e-3f);
            cr_assert_float_eq(c->s_other, half - (i + 0.5f) * w, 1e-3f);
            checked++;
        }
    }
    cr_assert_eq(checked, 4); /* 2 westbound x 2 southbound straights */
    map_destroy(m);
}

static int arm_of(const Map *m, int approach) { /* 0..3 from the approach's travel direction */
    float h = lane_last(m, approach)->heading;
    return ((int)lroundf(wrap_angle(h) / (GEOM_PI / 2)) + 4) % 4;
}

static void check_signalised(const char *name, int n_arms) {
    Map *m = build_named(name);
    cr_assert_eq(m->n_plans, 1);
    const SignalPlan *sp = &m->plans[0];
    cr_assert_eq(sp->n_phases, 2);
    cr_assert_float_eq(sp->green_s[0], 15.0f, 1e-6f);
    cr_assert_float_eq(sp->yellow_s, 3.0f, 1e-6f);
    cr_assert_float_eq(sp->all_red_s, 1.0f, 1e-6f);
    int approaches = 0;
    for (int l = 0; l < m->n_lanes; l++) {
        if (!is_approach(m, l)) continue;
        approaches++;
        const Lane *ln = &m->lanes[l];
        cr_assert_eq(ln->control, CONTROL_LIGHT, "%s: approach %d without a light", name, l);
        cr_assert(ln->light >= 0 && ln->light < m->n_lights);
        const TrafficLight *tl = &m->lights[ln->light];
        cr_assert_eq(tl->lane, l);
        cr_assert(tl->x == lane_last(m, l)->x && tl->y == lane_last(m, l)->y);
        cr_assert(tl->group == sp->phase_group[0] || tl->group == sp->phase_group[1]);
    }
    cr_assert_eq(approaches, 2 * n_arms);
    cr_assert_eq(m->n_lights, approaches);
    /* in each phase, green movements never come from perpendicular approaches; the only
     * conflicts inside a phase are permitted left turns against the opposing stream */
    for (int ph = 0; ph < sp->n_phases; ph++) {
        for (int a = 0; a < m->n_lanes; a++) {
            if (m->lanes[a].junction < 0) continue;
            int pa = m->lanes[a].pred[0];
            if (m->lights[m->lanes[pa].light].group != sp->phase_group[ph]) continue;
            for (int k = 0; k < m->lanes[a].n_conflicts; k++) {
                int b = m->conflicts[m->lanes[a].conflict_first + k].other, pb = m->lanes[b].pred[0];
                if (m->lights[m->lanes[pb].light].group != sp->phase_group[ph]) continue;
                int da = arm_of(m, pa), db = arm_of(m, pb);
                cr_assert_eq((da + 2) % 4, db, "%s: phase %d gives green to crossing approaches", name, ph);
                cr_assert(m->lanes[a].turn == TURN_LEFT || m->lanes[b].turn == TURN_LEFT,
                          "%s: same-phase conflict without a left turn", name);
            }
        }
    }
    map_destroy(m);
}

Test(map, signalised_junctions) {
    check_signalised("junction4_light", 4);
    check_signalised("tjunction_light", 3);
}

Test(map, stop_and_priority_control) {
    Map *m = build_named("junction4_stop");
    int approaches = 0;
    for (int l = 0; l < m->n_lanes; l++) {
        if (!is_approach(m, l)) {
            cr_assert_neq(m->lanes[l].control, CONTROL_STOP);
            continue;
        }
        approaches++;
        cr_assert_eq(m->lanes[l].control, CONTROL_STOP);
        int signs = 0;
        for (int s = 0; s < m->n_stop_signs; s++)
            if (m->stop_signs[s].lane == l) {
                signs++;
                cr_assert_lt(hypotf(m->stop_signs[s].x - lane_last(m, l)->x, m->stop_signs[s].y - lane_last(m, l)->y), 1e-4f);
            }
        cr_assert_eq(signs, 1);
    }
    cr_assert_eq(approaches, 8);
    cr_assert_eq(m->n_stop_signs, 8);
    cr_assert_eq(m->n_lights, 0);
    map_destroy(m);

    const char *unsignalised[] = {"junction4_none", "tjunction_none"};
    for (int i = 0; i < 2; i++) {
        m = build_named(unsignalised[i]);
        int prio = 0, yield = 0;
        for (int l = 0; l < m->n_lanes; l++) {
            if (!is_approach(m, l)) continue;
            int east_west = arm_of(m, l) % 2 == 0;
            cr_assert_eq(m->lanes[l].control, east_west ? CONTROL_PRIORITY : CONTROL_YIELD, "%s lane %d", unsignalised[i], l);
            prio += east_west, yield += !east_west;
        }
        cr_assert_eq(prio, 4);
        cr_assert_eq(yield, i == 0 ? 4 : 2);
        map_destroy(m);
    }
}

Test(map, tjunction_movements) {
    Map *m = build_named("tjunction_stop:lanes_fwd=3,lanes_bwd=3");
    /* through arms: left/right from one lane, straight from 3; stem (3 lanes): 2 left, 1 right */
    int turns[4] = {0};
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].junction >= 0) turns[m->lanes[l].turn]++;
    cr_assert_eq(turns[TURN_STRAIGHT], 6);
    cr_assert_eq(turns[TURN_LEFT], 1 + 2);
    cr_assert_eq(turns[TURN_RIGHT], 1 + 1);
    /* every approach lane has at least one way through */
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].junction < 0 && m->lanes[l].kind == LANE_DRIVING && lane_last(m, l)->x > -60 &&
            hypotf(lane_last(m, l)->x, lane_last(m, l)->y) < m->junctions[0].radius + 0.1f && m->lanes[l].n_pred == 0)
            cr_assert_gt(m->lanes[l].n_succ, 0);
    map_destroy(m);
}

Test(map, crosswalks_span_each_arm) {
    Map *m = build_named("junction4_light:crosswalks=1");
    cr_assert_eq(m->n_crosswalks, 4);
    for (int c = 0; c < 4; c++) {
        const Crosswalk *cw = &m->crosswalks[c];
        float area = 0;
        for (int i = 0; i < 4; i++) area += cw->x[i] * cw->y[(i + 1) % 4] - cw->x[(i + 1) % 4] * cw->y[i];
        /* 3 m deep, across 4 lanes of 3.5 m: 42 m^2, counter-clockwise */
        cr_assert_float_eq(0.5f * area, 3.0f * 14.0f, 1e-2f);
        /* the crosswalk centre is drivable (connectors cross it) */
        float cx = 0.25f * (cw->x[0] + cw->x[1] + cw->x[2] + cw->x[3]), cy = 0.25f * (cw->y[0] + cw->y[1] + cw->y[2] + cw->y[3]);
        cr_assert(map_is_drivable(m, cx, cy));
    }
    map_destroy(m);
}

/* ---- Highway ------------------------------------------------------------------------------- */
Test(map, highway_ramps) {
    Map *m = build_named("highway");
    int entry = -1, exit_ramp = -1, acc = -1, taper = -1;
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        if (!ln->is_ramp) continue;
        if (ln->junction >= 0) taper = l;
        else if (ln->n_pred == 0) entry = l;
        else if (ln->n_succ == 0) exit_ramp = l;
        else acc = l;
    }
    cr_assert(entry >= 0 && exit_ramp >= 0 && acc >= 0 && taper >= 0);
    cr_assert_eq(m->lanes[entry].succ[0], acc);
    /* the acceleration lane runs beside the rightmost main lane for 80 m */
    cr_assert_float_eq(m->lanes[acc].length, 80.0f, 1e-3f);
    int main_right = m->lanes[acc].left;
    cr_assert_geq(main_right, 0);
    cr_assert_eq(m->lanes[acc].left_opposite, 0);
    cr_assert_eq(m->lanes[main_right].right, acc);
    cr_assert_eq(m->lanes[main_right].is_ramp, 0);
    cr_assert_float_eq(lane_pts(m, acc)[0].y, lane_pts(m, main_right)[0].y - 3.5f, 1e-4f);
    cr_assert_eq(m->lanes[acc].control, CONTROL_YIELD);
    /* the taper merges into the rightmost lane downstream, against the main lane's connector */
    cr_assert_eq(m->lanes[acc].succ[0], taper);
    int merged = m->lanes[taper].succ[0];
    cr_assert_eq(m->lanes[taper].n_conflicts, 1);
    const Conflict *c = &m->conflicts[m->lanes[taper].conflict_first];
    cr_assert_eq(c->kind, CONFLICT_MERGING);
    cr_assert_eq(m->lanes[c->other].succ[0], merged);
    cr_assert_eq(m->lanes[c->other].pred[0], main_right);
    /* the exit ramp leaves the rightmost lane and ends off the carriageway */
    int split = m->lanes[exit_ramp].pred[0];
    cr_assert_eq(m->lanes[split].n_succ, 2);
    cr_assert_eq(m->lanes[split].right, -1);
    cr_assert_lt(lane_last(m, exit_ramp)->y, lane_pts(m, split)[0].y - 20.0f);
    /* the ramps are slower: sqrt(3 m/s^2 * 150 m) */
    cr_assert_float_eq(m->lanes[entry].speed_limit, sqrtf(450.0f), 1e-3f);
    /* the ramp reaches the exit through successors only */
    int path[16];
    int n = map_lane_path(m, entry, exit_ramp, path, 16);
    cr_assert_eq(n, 5); /* entry ramp, acceleration lane, taper, rightmost lane, exit ramp */
    cr_assert_eq(path[0], entry);
    cr_assert_eq(path[n - 1], exit_ramp);
    map_destroy(m);
}

/* ---- Queries ------------------------------------------------------------------------------- */
static float brute_nearest(const Map *m, float x, float y, unsigned kinds, float hint, int *lane) {
    float best = INFINITY;
    *lane = -1;
    for (int l = 0; l < m->n_lanes; l++) {
        if (!(kinds & (1u << m->lanes[l].kind))) continue;
        for (int s = 0; s + 1 < m->lanes[l].n_points; s++) {
            const LanePoint *a = &lane_pts(m, l)[s], *b = a + 1;
            float ex = b->x - a->x, ey = b->y - a->y;
            float t = ((x - a->x) * ex + (y - a->y) * ey) / (ex * ex + ey * ey);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            float h = a->heading + t * wrap_angle(b->heading - a->heading);
            if (isfinite(hint) && fabsf(wrap_angle(h - hint)) > GEOM_PI / 2) continue;
            float d = hypotf(x - a->x - t * ex, y - a->y - t * ey);
            if (d < best) best = d, *lane = l;
        }
    }
    return best;
}

static void check_nearest(const Map *m, const char *name) {
    Rng r;
    rng_seed(&r, 7, 3);
    unsigned kinds = 1u << LANE_DRIVING;
    int n = strncmp(name, "highway", 7) == 0 ? 300 : 100; /* 1000 points over the built-ins */
    for (int i = 0; i < n; i++) {
        float x = rng_range(&r, m->min_x - 20, m->max_x + 20), y = rng_range(&r, m->min_y - 20, m->max_y + 20);
        float hint = (i % 3 == 0) ? rng_range(&r, -GEOM_PI, GEOM_PI) : NAN;
        int bl;
        float bd = brute_nearest(m, x, y, kinds, hint, &bl);
        LaneProj pr;
        int rc = map_nearest_lane(m, x, y, hint, kinds, 1e9f, &pr);
        cr_assert_eq(rc, bl >= 0 ? 0 : -1, "%s", name);
        if (rc) continue;
        cr_assert_float_eq(pr.dist, bd, 1e-3f, "%s: (%g, %g) grid %g vs brute %g", name, x, y, pr.dist, bd);
        /* with a max distance below the nearest, nothing is found */
        cr_assert_eq(map_nearest_lane(m, x, y, hint, kinds, bd * 0.99f - 1e-3f, &pr), -1);
        /* lanes_near agrees with brute force at r = nearest + 3 m */
        int near[64], nn = map_lanes_near(m, x, y, bd + 3.0f, near, 64);
        for (int l = 0; l < m->n_lanes; l++) {
            LaneProj q;
            map_project(m, l, x, y, -1, &q);
            int listed = 0;
            for (int k = 0; k < nn; k++) listed |= near[k] == l;
            cr_assert_eq(listed, q.dist <= bd + 3.0f, "%s: lanes_near disagrees on lane %d (dist %g)", name, l, q.dist);
        }
    }
}

Test(map, nearest_and_near_agree_with_brute_force) {
    const char *const *names = map_builtin_names();
    for (int i = 0; names[i]; i++) {
        Map *m = build_named(names[i]);
        check_nearest(m, names[i]);
        map_destroy(m);
    }
}

Test(map, project_with_hint_tracks_like_full_search) {
    Map *m = build_named("curve");
    Rng r;
    rng_seed(&r, 11, 0);
    for (int l = 0; l < m->n_lanes; l++) {
        int hint = -1;
        for (float s = 0; s < m->lanes[l].length; s += 0.7f) {
            float x, y, h, off = rng_range(&r, -1.5f, 1.5f);
            map_lane_pose(m, l, s, &x, &y, &h);
            x -= off * sinf(h), y += off * cosf(h);
            LaneProj a, b;
            map_project(m, l, x, y, hint, &a);
            map_project(m, l, x, y, -1, &b);
            cr_assert_float_eq(a.s, b.s, 1e-3f);
            cr_assert_float_eq(a.s, s, 0.02f);
            cr_assert_float_eq(a.d, off, 1e-3f, "lane %d s %g: d %g vs %g", l, s, a.d, off);
            cr_assert_float_eq(a.dist, fabsf(off), 1e-3f);
            hint = a.seg;
        }
    }
    map_destroy(m);
}

Test(map, lane_pose_interpolates_points) {
    Map *m = build_named("junction4_none");
    for (int l = 0; l < m->n_lanes; l++) {
        const LanePoint *p = lane_pts(m, l);
        for (int i = 0; i + 1 < m->lanes[l].n_points; i++) {
            float x, y, h, s = 0.5f * (p[i].s + p[i + 1].s);
            map_lane_pose(m, l, p[i].s, &x, &y, &h);
            cr_assert(fabsf(x - p[i].x) < 1e-4f && fabsf(y - p[i].y) < 1e-4f);
            map_lane_pose(m, l, s, &x, &y, &h);
            cr_assert(fabsf(x - 0.5f * (p[i].x + p[i + 1].x)) < 1e-3f && fabsf(y - 0.5f * (p[i].y + p[i + 1].y)) < 1e-3f);
        }
        float x, y, h;
        map_lane_pose(m, l, 1e6f, &x, &y, &h); /* clamped */
        cr_assert(x == lane_last(m, l)->x && y == lane_last(m, l)->y);
    }
    map_destroy(m);
}

/* Within half a width of a driving or parking lane's centreline, between its end lines. */
static int brute_drivable(const Map *m, float x, float y) {
    for (int l = 0; l < m->n_lanes; l++) {
        const Lane *ln = &m->lanes[l];
        if (ln->kind != LANE_DRIVING && ln->kind != LANE_PARKING) continue;
        const LanePoint *p = lane_pts(m, l), *q = lane_last(m, l);
        /* beyond the start or end line: outside this lane */
        if ((x - p->x) * cosf(p->heading) + (y - p->y) * sinf(p->heading) < -1e-3f) continue;
        if ((x - q->x) * cosf(q->heading) + (y - q->y) * sinf(q->heading) > 1e-3f) continue;
        LaneProj pr;
        map_project(m, l, x, y, -1, &pr);
        if (pr.dist <= 0.5f * ln->width) return 1;
    }
    return 0;
}

Test(map, drivable_surface) {
    Map *m = build_named("straight:parking=1,sidewalks=1");
    cr_assert(map_is_drivable(m, 60, 0));
    cr_assert(map_is_drivable(m, 60, 6.9f));
    cr_assert(map_is_drivable(m, 60, 9.4f));    /* parking lane: 7 .. 9.5 */
    cr_assert(!map_is_drivable(m, 60, 9.6f));   /* sidewalk */
    cr_assert(!map_is_drivable(m, 60, -30.0f)); /* 20 m off the road */
    cr_assert(!map_is_drivable(m, -0.5f, 0));   /* before the road starts */
    map_destroy(m);
    m = build_named("junction4_light:parking=1,sidewalks=1,crosswalks=1");
    Rng r;
    rng_seed(&r, 5, 1);
    for (int i = 0; i < 500; i++) { /* random points around the junction box */
        float x = rng_range(&r, -40, 40), y = rng_range(&r, -40, 40);
        cr_assert_eq(map_is_drivable(m, x, y), brute_drivable(m, x, y), "(%g, %g)", x, y);
    }
    map_destroy(m);
    const char *const *names = map_builtin_names();
    for (int i = 0; names[i]; i++) {
        m = build_named(names[i]);
        for (int l = 0; l < m->n_lanes; l++) {
            const Lane *ln = &m->lanes[l];
            if (ln->kind != LANE_DRIVING) continue;
            for (int k = 0; k < ln->n_points; k++) {
                const LanePoint *p = &lane_pts(m, l)[k];
                cr_assert(map_is_drivable(m, p->x, p->y), "%s: centreline of lane %d not drivable", names[i], l);
                /* 20 m to the side: drivable only if some other lane passes there */
                float x = p->x - 20.0f * sinf(p->heading), y = p->y + 20.0f * cosf(p->heading);
                cr_assert_eq(map_is_drivable(m, x, y), brute_drivable(m, x, y), "%s: drivable 20 m off lane %d", names[i], l);
            }
        }
        cr_assert(!map_is_drivable(m, m->max_x + 20, m->max_y + 20));
        map_destroy(m);
    }
}

Test(map, lane_path_bfs) {
    Map *m = build_named("junction4_stop");
    int from = -1, to = -1, conn = -1;
    /* the westbound left-turn connector's approach and exit */
    for (int l = 0; l < m->n_lanes; l++)
        if (m->lanes[l].turn == TURN_LEFT && fabsf(wrap_angle(lane_pts(m, l)->heading - GEOM_PI)) < 1e-3f)
            conn = l, from = m->lanes[l].pred[0], to = m->lanes[l].succ[0];
    cr_assert_geq(conn, 0);
    int path[8];
    cr_assert_eq(map_lane_path(m, from, to, path, 8), 3);
    cr_assert(path[0] == from && path[1] == conn && path[2] == to);
    cr_assert_eq(map_lane_path(m, from, from, path, 8), 1);
    cr_assert_eq(map_lane_path(m, to, from, path, 8), -1); /* exits lead away */
    cr_assert_eq(map_lane_path(m, from, to, path, 2), 2);  /* truncated */
    cr_assert(path[0] == from && path[1] == conn);
    cr_assert_eq(map_lane_path(m, from, m->n_lanes, path, 8), -1);
    map_destroy(m);
}

/* ---- Parameters ------------------------------------------------------------------------------ */
Test(map, params_defaults_and_overrides) {
    MapParams p = map_default_params(MAP_STRAIGHT);
    cr_assert(p.lanes_fwd == 2 && p.lanes_bwd == 2);
    cr_assert_float_eq(p.lane_width, 3.5f, 1e-6f);
    cr_assert_float_eq(p.speed_limit, 13.9f, 1e-6f);
    cr_assert_float_eq(p.length, 120.0f, 1e-6f);
    cr_assert_float_eq(p.radius, 60.0f, 1e-6f);
    p = map_default_params(MAP_HIGHWAY);
    cr_assert(p.lanes_fwd == 3 && p.lanes_bwd == 0);
    cr_assert_float_eq(p.speed_limit, 25.0f, 1e-6f);
    Err e = {{0}};
    cr_assert_eq(map_params_from_name("straight_oneway", &p, &e), 0);
    cr_assert_eq(p.lanes_bwd, 0);
    cr_assert_eq(map_params_from_name("junction4_stop", &p, &e), 0);
    cr_assert_eq(p.control, CONTROL_STOP);
    cr_assert_eq(map_params_from_name("tjunction_none", &p, &e), 0);
    cr_assert_eq(p.control, CONTROL_PRIORITY);
    cr_assert_eq(map_params_from_name("straight:lanes_fwd=3,lanes_bwd=1,lane_width=3.25,speed_limit=8.5,length=200,"
                                      "parking=1,sidewalks=1", &p, &e), 0, "%s", e.msg);
    cr_assert(p.lanes_fwd == 3 && p.lanes_bwd == 1 && p.parking == 1 && p.sidewalks == 1);
    cr_assert_float_eq(p.lane_width, 3.25f, 1e-6f);
    cr_assert_float_eq(p.speed_limit, 8.5f, 1e-6f);
    cr_assert_float_eq(p.length, 200.0f, 1e-6f);
    cr_assert_eq(map_params_from_name("junction4_light:control=stop,green_s=20,yellow_s=4,all_red_s=2,crosswalks=1,radius=30",
                                      &p, &e), 0, "%s", e.msg);
    cr_assert(p.control == CONTROL_STOP && p.crosswalks == 1);
    cr_assert_float_eq(p.green_s, 20.0f, 1e-6f);
    cr_assert_float_eq(p.yellow_s, 4.0f, 1e-6f);
    cr_assert_float_eq(p.all_red_s, 2.0f, 1e-6f);
    cr_assert_float_eq(p.radius, 30.0f, 1e-6f);
    Map *m = build_named("straight:lanes_fwd=3,lanes_bwd=1,lane_width=3.25");
    cr_assert_eq(m->n_lanes, 4);
    cr_assert_float_eq(m->max_y - m->min_y, 4 * 3.25f, 1e-3f);
    map_destroy(m);
}

Test(map, params_errors) {
    struct { const char *name, *needle; } bad[] = {
        {"roundabout", "unknown map"},
        {"straight:foo=1", "unknown override key 'foo'"},
        {"straight:lanes_fwd", "malformed"},
        {"straight:", "empty"},
        {"straight:lanes_fwd=0", "lanes_fwd"},
        {"straight:lanes_fwd=7", "lanes_fwd"},
        {"straight:lanes_bwd=-1", "lanes_bwd"},
        {"straight:lane_width=-3", "lane_width"},
        {"straight:lane_width=abc", "lane_width"},
        {"straight:length=10", "length"},
        {"straight:speed_limit=0", "speed_limit"},
        {"straight:parking=2", "parking"},
        {"curve:radius=5", "radius"},
        {"junction4_light:control=blink", "control"},
        {"junction4_light:lanes_fwd=5,lanes_bwd=5", "traffic lights"},
        {"junction4_none:lanes_bwd=0", "lanes_bwd"},
        {"junction4_none:lanes_fwd=4,lanes_bwd=1", "lanes_fwd"},
        {"highway:lanes_bwd=1", "one-way"},
        {"highway:length=200", "length"},
        {"straight:crosswalks=1", "crosswalks"},
        {"junction4_light:green_s=0", "green_s"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        MapParams p;
        Err e = {{0}};
        cr_assert_eq(map_params_from_name(bad[i].name, &p, &e), -1, "'%s' accepted", bad[i].name);
        cr_assert(strstr(e.msg, bad[i].needle), "'%s': message '%s' lacks '%s'", bad[i].name, e.msg, bad[i].needle);
        cr_assert_null(strchr(e.msg, '\n'));
    }
    /* map_build validates parameters built in code too */
    MapParams p = map_default_params(MAP_JUNCTION4);
    p.lanes_fwd = 0;
    Err e = {{0}};
    cr_assert_null(map_build(&p, &e));
    cr_assert(strstr(e.msg, "lanes_fwd"));
}

Test(map, build_is_deterministic) {
    Map *a = build_named("junction4_light:crosswalks=1"), *b = build_named("junction4_light:crosswalks=1");
    cr_assert_eq(a->n_points, b->n_points);
    cr_assert_eq(memcmp(a->points, b->points, (size_t)a->n_points * sizeof *a->points), 0);
    cr_assert_eq(a->n_conflicts, b->n_conflicts);
    for (int i = 0; i < a->n_conflicts; i++) {
        const Conflict *x = &a->conflicts[i], *y = &b->conflicts[i];
        cr_assert(x->lane == y->lane && x->other == y->other && x->kind == y->kind && x->s_lane == y->s_lane &&
                  x->s_other == y->s_other);
    }
    map_destroy(a);
    map_destroy(b);
}
