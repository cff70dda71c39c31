/* render_scene — the scene part of a frame: road surface by lane kind, junction areas, markings,
 * crosswalks, stop lines, traffic lights, stop signs and the actors; render_frame then adds the
 * overlay passes (render_overlay.c). Everything is drawn in world metres through the view matrix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

uint32_t render_actor_color(ActorType t) {
    switch (t) {
    case ACTOR_CAR: return 0xF2C14Eu;
    case ACTOR_VAN: return 0xE0963Cu;
    case ACTOR_TRUCK: return 0xB4783Cu;
    case ACTOR_BUS: return 0xA070DCu;
    case ACTOR_EMERGENCY: return 0xFF3C3Cu;
    case ACTOR_BICYCLE: return 0x64D264u;
    case ACTOR_PEDESTRIAN: return 0xFF82D2u;
    case ACTOR_STATIC: return 0x9C7450u;
    default: return 0xFFFFFFu;
    }
}

static uint32_t lane_color(const Lane *l) {
    switch (l->kind) {
    case LANE_PARKING: return RENDER_COLOR_PARKING;
    case LANE_SIDEWALK: return RENDER_COLOR_SIDEWALK;
    case LANE_SHOULDER: return RENDER_COLOR_SHOULDER;
    default: return l->junction >= 0 ? RENDER_COLOR_JUNCTION : RENDER_COLOR_DRIVING;
    }
}

/* The centreline as a path, extended 5 cm past both ends so consecutive lanes overlap instead of
 * leaving an anti-aliased seam. offset shifts it sideways (+ = left). */
static void lane_path(cairo_t *cr, const Map *m, const Lane *l, float offset, float extend) {
    const LanePoint *p = &m->points[l->first_point];
    for (int i = 0; i < l->n_points; i++) {
        float nx = -sinf(p[i].heading), ny = cosf(p[i].heading);
        float x = p[i].x + offset * nx, y = p[i].y + offset * ny;
        float ext = i == 0 ? -extend : i == l->n_points - 1 ? extend : 0.0f;
        x += ext * cosf(p[i].heading);
        y += ext * sinf(p[i].heading);
        if (i == 0) cairo_move_to(cr, x, y);
        else cairo_line_to(cr, x, y);
    }
}

static int cmp_xy(const void *a, const void *b) {
    const float *p = a, *q = b;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    if (p[1] != q[1]) return p[1] < q[1] ? -1 : 1;
    return 0;
}
static float cross3(const float *o, const float *a, const float *b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* A junction with turning connectors is filled as the convex hull of its connectors' edges (a
 * crossing is convex), which closes the gaps that stroking each curved connector would leave.
 * Merge zones (straight connectors only) are drawn as lanes. */
static void draw_junction_area(cairo_t *cr, const Map *m, int junction) {
    int npts = 0, turning = 0;
    for (int i = 0; i < m->n_lanes; i++) {
        const Lane *l = &m->lanes[i];
        if (l->junction != junction) continue;
        npts += 2 * l->n_points;
        turning |= l->turn == TURN_LEFT || l->turn == TURN_RIGHT;
    }
    if (!turning || npts < 3) return;
    float *pts = malloc(sizeof(float) * 2 * (size_t)npts), *hull = malloc(sizeof(float) * 2 * (size_t)(npts + 1));
    if (!pts || !hull) { free(pts); free(hull); return; }
    int k = 0;
    for (int i = 0; i < m->n_lanes; i++) {
        const Lane *l = &m->lanes[i];
        if (l->junction != junction) continue;
        for (int j = 0; j < l->n_points; j++) {
            const LanePoint *p = &m->points[l->first_point + j];
            float nx = -sinf(p->heading) * 0.5f * l->width, ny = cosf(p->heading) * 0.5f * l->width;
            pts[2 * k] = p->x + nx; pts[2 * k + 1] = p->y + ny; k++;
            pts[2 * k] = p->x - nx; pts[2 * k + 1] = p->y - ny; k++;
        }
    }
    qsort(pts, (size_t)npts, 2 * sizeof(float), cmp_xy);
    int h = 0; /* Andrew's monotone chain */
    for (int i = 0; i < npts; i++) {
        while (h >= 2 && cross3(&hull[2 * (h - 2)], &hull[2 * (h - 1)], &pts[2 * i]) <= 0) h--;
        hull[2 * h] = pts[2 * i]; hull[2 * h + 1] = pts[2 * i + 1]; h++;
    }
    for (int i = npts - 2, lo = h + 1; i >= 0; i--) {
        while (h >= lo && cross3(&hull[2 * (h - 2)], &hull[2 * (h - 1)], &pts[2 * i]) <= 0) h--;
        hull[2 * h] = pts[2 * i]; hull[2 * h + 1] = pts[2 * i + 1]; h++;
    }
    for (int i = 0; i < h - 1; i++) {
        if (i == 0) cairo_move_to(cr, hull[0], hull[1]);
        else cairo_line_to(cr, hull[2 * i], hull[2 * i + 1]);
    }
    cairo_close_path(cr);
    set_rgb(cr, RENDER_COLOR_JUNCTION);
    cairo_fill(cr);
    free(pts);
    free(hull);
}

static void draw_surface(cairo_t *cr, const Map *m) {
    /* painter's order: sidewalks and shoulders under parking under driving lanes under junctions */
    static const int order[] = {LANE_SIDEWALK, LANE_SHOULDER, LANE_PARKING, LANE_DRIVING};
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int pass = 0; pass < 5; pass++) {
        if (pass == 4) {
            for (int j = 0; j < m->n_junctions; j++) draw_junction_area(cr, m, j);
        }
        for (int i = 0; i < m->n_lanes; i++) {
            const Lane *l = &m->lanes[i];
            int in_junction = l->junction >= 0;
            if (pass < 4 ? (l->kind != order[pass] || (l->kind == LANE_DRIVING && in_junction)) : !in_junction) continue;
            if (l->n_points < 2) continue;
            lane_path(cr, m, l, 0.0f, 0.05f);
            cairo_set_line_width(cr, l->width);
            set_rgb(cr, lane_color(l));
            cairo_stroke(cr);
        }
    }
}

static void draw_bound(cairo_t *cr, const Map *m, const Lane *l, uint8_t kind, float side, uint32_t color, float px) {
    if (kind == BOUND_NONE) return;
    lane_path(cr, m, l, side * 0.5f * l->width, 0.0f);
    cairo_set_line_width(cr, fmaxf(0.15f, 1.0f * px));
    set_rgb(cr, color);
    if (kind == BOUND_BROKEN) {
        double dash[2] = {3.0, 6.0};
        cairo_set_dash(cr, dash, 2, 0.0);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0.0);
}

/* Each physical line is drawn once: a lane draws its right bound, and its left bound only when
 * nothing on the left draws it (no neighbour, or an opposite neighbour with a higher id). */
static void draw_markings(cairo_t *cr, const Map *m, float px) {
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    for (int i = 0; i < m->n_lanes; i++) {
        const Lane *l = &m->lanes[i];
        if (l->n_points < 2 || l->junction >= 0) continue;
        draw_bound(cr, m, l, l->right_bound, -1.0f, RENDER_COLOR_MARKING, px);
        if (l->left < 0 || (l->left_opposite && l->left > i)) {
            uint32_t c = l->left_opposite && l->left_bound == BOUND_SOLID ? RENDER_COLOR_CENTRE : RENDER_COLOR_MARKING;
            draw_bound(cr, m, l, l->left_bound, 1.0f, c, px);
        }
    }
}

static void lerp2(const float *x, const float *y, int a, int b, float t, float *ox, float *oy) {
    *ox = x[a] + t * (x[b] - x[a]);
    *oy = y[a] + t * (y[b] - y[a]);
}

/* Zebra stripes 0.5 m wide every 1 m across the crosswalk's long side, spanning its short side. */
static void draw_crosswalks(cairo_t *cr, const Map *m) {
    set_rgba(cr, RENDER_COLOR_MARKING, 0.85);
    for (int c = 0; c < m->n_crosswalks; c++) {
        const Crosswalk *cw = &m->crosswalks[c];
        float e01 = hypotf(cw->x[1] - cw->x[0], cw->y[1] - cw->y[0]);
        float e12 = hypotf(cw->x[2] - cw->x[1], cw->y[2] - cw->y[1]);
        /* long side a0→a1 with the opposite side b0→b1 running the same way */
        int a0 = 0, a1 = 1, b0 = 3, b1 = 2;
        float len = e01;
        if (e12 > e01) { a0 = 1; a1 = 2; b0 = 0; b1 = 3; len = e12; }
        if (len < 0.5f) continue;
        int n = (int)(len / 1.0f);
        float margin = 0.5f * (len - (n - 0.5f) * 1.0f) / len;
        for (int k = 0; k < n; k++) {
            float t0 = margin + k * 1.0f / len, t1 = t0 + 0.5f / len, x, y;
            lerp2(cw->x, cw->y, a0, a1, t0, &x, &y); cairo_move_to(cr, x, y);
            lerp2(cw->x, cw->y, a0, a1, t1, &x, &y); cairo_line_to(cr, x, y);
            lerp2(cw->x, cw->y, b0, b1, t1, &x, &y); cairo_line_to(cr, x, y);
            lerp2(cw->x, cw->y, b0, b1, t0, &x, &y); cairo_line_to(cr, x, y);
            cairo_close_path(cr);
        }
        cairo_fill(cr);
    }
}

static uint32_t light_rgb(LightColor c) {
    switch (c) {
    case LIGHT_RED: return 0xFF2828u;
    case LIGHT_YELLOW: return 0xFFD21Eu;
    case LIGHT_GREEN: return 0x28E650u;
    default: return 0x606060u;
    }
}

/* Stop lines at the end of controlled lanes, then the signal heads and stop signs. */
static void draw_control(cairo_t *cr, const World *w, float px) {
    const Map *m = world_map(w);
    for (int i = 0; i < m->n_lanes; i++) {
        const Lane *l = &m->lanes[i];
        if (l->n_points < 2 || (l->control != CONTROL_STOP && l->control != CONTROL_LIGHT && l->control != CONTROL_YIELD))
            continue;
        const LanePoint *e = &m->points[l->first_point + l->n_points - 1];
        float nx = -sinf(e->heading) * 0.5f * l->width, ny = cosf(e->heading) * 0.5f * l->width;
        float bx = -cosf(e->heading) * 0.3f, by = -sinf(e->heading) * 0.3f; /* line centre 0.3 m before the end */
        cairo_move_to(cr, e->x + bx + nx, e->y + by + ny);
        cairo_line_to(cr, e->x + bx - nx, e->y + by - ny);
        cairo_set_line_width(cr, fmaxf(0.4f, 1.5f * px));
        set_rgb(cr, RENDER_COLOR_MARKING);
        if (l->control == CONTROL_YIELD) {
            double dash[2] = {0.6, 0.6};
            cairo_set_dash(cr, dash, 2, 0.0);
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0.0);
    }
    for (int k = 0; k < m->n_lights; k++) {
        const TrafficLight *t = &m->lights[k];
        cairo_arc(cr, t->x, t->y, fmaxf(0.9f, 3.0f * px), 0.0, 2.0 * M_PI);
        set_rgb(cr, light_rgb(world_light(w, k)));
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, fmaxf(0.15f, px));
        set_rgb(cr, 0x101010u);
        cairo_stroke(cr);
    }
    for (int k = 0; k < m->n_stop_signs; k++) {
        const StopSign *s = &m->stop_signs[k];
        float h = 0.0f, off = 0.0f;
        if (s->lane >= 0 && s->lane < m->n_lanes) { /* beside the lane end, on the right */
            const Lane *l = &m->lanes[s->lane];
            h = m->points[l->first_point + l->n_points - 1].heading;
            off = 0.5f * l->width + 1.0f;
        }
        float cx = s->x + sinf(h) * off, cy = s->y - cosf(h) * off, r = fmaxf(0.8f, 3.0f * px);
        for (int j = 0; j < 8; j++) {
            double a = (j + 0.5) * M_PI / 4.0;
            if (j == 0) cairo_move_to(cr, cx + r * cos(a), cy + r * sin(a));
            else cairo_line_to(cr, cx + r * cos(a), cy + r * sin(a));
        }
        cairo_close_path(cr);
        set_rgb(cr, 0xD21E1Eu);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, fmaxf(0.12f, 0.8f * px));
        set_rgb(cr, 0xFFFFFFu);
        cairo_stroke(cr);
    }
}

/* An oriented rectangle in box coordinates [x0, x1] × [y0, y1] (x forward, y left). */
static void box_path(cairo_t *cr, const Obb *b, float x0, float x1, float y0, float y1) {
    float xs[4] = {x0, x1, x1, x0}, ys[4] = {y0, y0, y1, y1};
    for (int i = 0; i < 4; i++) {
        float x, y;
        from_frame(b->cx, b->cy, b->heading, xs[i], ys[i], &x, &y);
        if (i == 0) cairo_move_to(cr, x, y);
        else cairo_line_to(cr, x, y);
    }
    cairo_close_path(cr);
}

static void draw_actor(cairo_t *cr, const Actor *a, int is_ego, float px) {
    uint32_t fill = is_ego ? RENDER_COLOR_EGO : render_actor_color((ActorType)a->type);
    uint32_t edge = (a->flags & AF_CRASHED) ? 0xFF0000u : shade(fill, 0.45f);
    float lw = fmaxf(0.12f, 1.0f * px);
    if (a->type == ACTOR_PEDESTRIAN) {
        float r = fmaxf(0.5f * fmaxf(a->length, a->width), 3.0f * px);
        cairo_arc(cr, a->k.x, a->k.y, r, 0.0, 2.0 * M_PI);
        set_rgb(cr, fill);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, lw);
        set_rgb(cr, edge);
        cairo_stroke(cr);
        return;
    }
    /* the body without the door widening actor_obb adds; the door is drawn as its own panel */
    Obb b = {a->k.x, a->k.y, a->k.heading, 0.5f * a->length, 0.5f * a->width};
    float hl = b.half_len, hw = b.half_wid;
    if (a->flags & AF_DOOR_OPEN) {
        Obb full = actor_obb(a);
        float door_out = 2.0f * full.half_wid - a->width; /* how far the footprint grows on the left */
        box_path(cr, &b, 0.1f * hl, 0.1f * hl + 0.8f, hw, hw + door_out); /* a 0.8 m door, hinged near the middle */
        set_rgb(cr, shade(fill, 0.8f));
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, lw);
        set_rgb(cr, edge);
        cairo_stroke(cr);
    }
    box_path(cr, &b, -hl, hl, -hw, hw);
    set_rgb(cr, fill);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, lw);
    set_rgb(cr, edge);
    cairo_stroke(cr);
    if (a->type != ACTOR_STATIC) { /* windscreen: shows which way it faces */
        box_path(cr, &b, 0.45f * hl, 0.7f * hl, -0.8f * hw, 0.8f * hw);
        set_rgb(cr, shade(fill, 0.55f));
        cairo_fill(cr);
    }
    if (a->flags & AF_SIREN) {
        box_path(cr, &b, -0.1f * hl, 0.1f * hl, -0.8f * hw, 0.8f * hw);
        set_rgb(cr, 0x3C64FFu);
        cairo_fill(cr);
    }
}

int render_frame(cairo_t *cr, const World *w, const RenderView *v, const RenderOverlay *ov, Err *e) {
    if (!cr || !w || !v) return err_set(e, "render_frame: NULL argument");
    if (render_view_check(v, e)) return -1;
    static const RenderOverlay none;
    if (!ov) ov = &none;
    if (ov->n_candidates < 0 || (ov->n_candidates > 0 && !ov->candidates))
        return err_set(e, "render_frame: %d candidates but no trajectories", ov->n_candidates);
    if (ov->n_past_events < 0 || (ov->n_past_events > 0 && !ov->past_events))
        return err_set(e, "render_frame: %d past events but no array", ov->n_past_events);
    if (ov->n_caption < 0 || (ov->n_caption > 0 && !ov->caption))
        return err_set(e, "render_frame: %d caption lines but no array", ov->n_caption);
    const Map *m = world_map(w);
    const WorldState *st = world_state_const(w);
    const Route *route = world_route(w);
    int has_ego = world_config(w)->has_ego && st->n_actors > 0;
    float px = 1.0f / v->scale; /* one pixel in metres */

    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, v->width, v->height);
    cairo_clip(cr);
    set_rgb(cr, RENDER_COLOR_BACKGROUND);
    cairo_paint(cr);
    cairo_save(cr);
    render_apply_view(cr, v);
    draw_surface(cr, m);
    draw_markings(cr, m, px);
    draw_crosswalks(cr, m);
    draw_control(cr, w, px);
    if (route && !ov->hide_route) render_route(cr, route, px);
    if (has_ego && !ov->hide_plan && st->plan.n > 0) render_plan(cr, &st->plan, px);
    if (has_ego && ov->n_candidates > 0) render_candidates(cr, &st->actors[0], ov, px);
    /* background actors first so the ego is always on top */
    for (int i = has_ego ? 1 : 0; i < st->n_actors; i++)
        if (!(st->actors[i].flags & AF_HIDDEN)) draw_actor(cr, &st->actors[i], 0, px);
    if (has_ego && !(st->actors[0].flags & AF_HIDDEN)) draw_actor(cr, &st->actors[0], 1, px);
    if (!ov->hide_events) {
        render_events(cr, ov->past_events, ov->n_past_events, px);
        render_events(cr, st->events, st->n_events, px);
    }
    cairo_restore(cr);
    if (!ov->hide_text) render_text(cr, w, v, ov);
    cairo_restore(cr);
    cairo_status_t cs = cairo_status(cr);
    if (cs != CAIRO_STATUS_SUCCESS) return err_set(e, "render_frame: cairo: %s", cairo_status_to_string(cs));
    return 0;
}
