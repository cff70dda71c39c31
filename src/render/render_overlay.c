/* render_overlay — what render_frame draws over the scene: the route, the ego's plan, scored
 * candidate trajectories, event markers (world units) and the text box (pixels). */
#include <math.h>
#include <stdio.h>
#include "render_internal.h"

uint32_t render_score_color(float t) {
    if (!(t >= 0.0f)) t = 0.0f; /* NaN → worst */
    if (t > 1.0f) t = 1.0f;
    /* red (0) → yellow (0.5) → green (1) */
    uint32_t r = t < 0.5f ? 230u : (uint32_t)(230.0f * (1.0f - t) * 2.0f + 0.5f);
    uint32_t g = t < 0.5f ? (uint32_t)(40.0f + 380.0f * t + 0.5f) : 230u;
    return (r << 16) | (g << 8) | 40u;
}

void render_route(cairo_t *cr, const Route *r, float px) {
    if (r->n < 2) return;
    for (int i = 0; i < r->n; i++) {
        if (i == 0) cairo_move_to(cr, r->pts[i].x, r->pts[i].y);
        else cairo_line_to(cr, r->pts[i].x, r->pts[i].y);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, 2.5f * px);
    /* drawn opaque into a group, then blended once: overlaps don't darken */
    cairo_push_group(cr);
    set_rgb(cr, RENDER_COLOR_ROUTE);
    cairo_stroke(cr);
    cairo_arc(cr, r->pts[r->n - 1].x, r->pts[r->n - 1].y, 4.0f * px, 0.0, 2.0 * M_PI); /* destination */
    cairo_fill(cr);
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, 0.8);
}

static void polyline_with_dots(cairo_t *cr, float x0, float y0, const float *x, const float *y, int n,
                               float width, float dot) {
    cairo_move_to(cr, x0, y0);
    for (int i = 0; i < n; i++) cairo_line_to(cr, x[i], y[i]);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
    for (int i = 0; i < n && dot > 0.0f; i++) {
        cairo_arc(cr, x[i], y[i], dot, 0.0, 2.0 * M_PI);
        cairo_fill(cr);
    }
}

void render_plan(cairo_t *cr, const TrajWorld *p, float px) {
    int n = p->n < TRAJ_MAX ? p->n : TRAJ_MAX;
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_push_group(cr);
    set_rgb(cr, RENDER_COLOR_PLAN);
    polyline_with_dots(cr, p->x0, p->y0, p->x, p->y, n, 2.0f * px, 2.5f * px);
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, 0.9);
}

static void candidate_path(cairo_t *cr, const Actor *ego, const Traj *t, float width, float dot) {
    float x[TRAJ_MAX], y[TRAJ_MAX];
    int n = t->n < 0 ? 0 : t->n < TRAJ_MAX ? t->n : TRAJ_MAX;
    for (int i = 0; i < n; i++) from_frame(ego->k.x, ego->k.y, ego->k.heading, t->x[i], t->y[i], &x[i], &y[i]);
    polyline_with_dots(cr, ego->k.x, ego->k.y, x, y, n, width, dot);
}

void render_candidates(cairo_t *cr, const Actor *ego, const RenderOverlay *ov, float px) {
    float lo = ov->score_lo, hi = ov->score_hi;
    int best = -1;
    if (ov->scores) {
        float smin = INFINITY, smax = -INFINITY;
        for (int i = 0; i < ov->n_candidates; i++) {
            float s = ov->scores[i];
            if (!isfinite(s)) continue;
            if (s < smin) smin = s;
            if (s > smax) smax = s;
            if (best < 0 || s > ov->scores[best]) best = i;
        }
        if (!(lo < hi)) { lo = smin; hi = smax; }
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int i = 0; i < ov->n_candidates; i++) {
        if (i == best) continue;
        uint32_t c = 0xA0A0A0u;
        if (ov->scores) c = render_score_color(hi > lo ? (ov->scores[i] - lo) / (hi - lo) : 1.0f);
        set_rgba(cr, c, 0.55);
        candidate_path(cr, ego, &ov->candidates[i], 1.2f * px, 0.0f);
    }
    if (best >= 0) {
        set_rgb(cr, render_score_color(hi > lo ? (ov->scores[best] - lo) / (hi - lo) : 1.0f));
        candidate_path(cr, ego, &ov->candidates[best], 3.0f * px, 3.0f * px);
    }
}

static void marker_x(cairo_t *cr, float x, float y, float r) {
    cairo_move_to(cr, x - r, y - r); cairo_line_to(cr, x + r, y + r);
    cairo_move_to(cr, x - r, y + r); cairo_line_to(cr, x + r, y - r);
    cairo_stroke(cr);
}

void render_events(cairo_t *cr, const Event *ev, int n, float px) {
    float r = 6.0f * px;
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, 2.5f * px);
    for (int i = 0; i < n; i++) {
        const Event *e = &ev[i];
        float x = e->x, y = e->y;
        if (!isfinite(x) || !isfinite(y)) continue;
        switch (e->kind) {
        case EV_COLLISION: set_rgb(cr, 0xFF1E1Eu); marker_x(cr, x, y, r); break;
        case EV_RED_LIGHT: /* red ring */
            set_rgb(cr, 0xFF1E1Eu); cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI); cairo_stroke(cr); break;
        case EV_STOP_SIGN: /* white ring on red */
            set_rgb(cr, 0xD21E1Eu); cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI); cairo_fill(cr);
            set_rgb(cr, 0xFFFFFFu); cairo_arc(cr, x, y, 0.5f * r, 0.0, 2.0 * M_PI); cairo_stroke(cr); break;
        case EV_NEAR_MISS: set_rgb(cr, 0xFFD21Eu); marker_x(cr, x, y, 0.6f * r); break;
        case EV_ROUTE_DONE:
            set_rgb(cr, 0x28E650u); cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI); cairo_stroke(cr); break;
        default: /* off road, wrong way, off route, blocked, hard brake: orange diamond */
            set_rgb(cr, 0xFF9628u);
            cairo_move_to(cr, x, y - 0.6f * r); cairo_line_to(cr, x + 0.6f * r, y);
            cairo_line_to(cr, x, y + 0.6f * r); cairo_line_to(cr, x - 0.6f * r, y);
            cairo_close_path(cr); cairo_fill(cr); break;
        }
    }
}

void render_text_box(cairo_t *cr, double x, double y, const char *const *lines, int n, double font_px) {
    if (n <= 0) return;
    cairo_save(cr);
    cairo_select_font_face(cr, "monospace", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font_px);
    double line_h = 1.25 * font_px, wmax = 0.0;
    for (int i = 0; i < n; i++) {
        cairo_text_extents_t te;
        cairo_text_extents(cr, lines[i] ? lines[i] : "", &te);
        if (te.x_advance > wmax) wmax = te.x_advance;
    }
    double pad = 0.4 * font_px;
    cairo_rectangle(cr, x, y, wmax + 2 * pad, n * line_h + 2 * pad);
    cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.55);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
    for (int i = 0; i < n; i++) {
        cairo_move_to(cr, x + pad, y + pad + (i + 0.8) * line_h);
        cairo_show_text(cr, lines[i] ? lines[i] : "");
    }
    cairo_restore(cr);
}

#define TEXT_MAX_LINES 16

void render_text(cairo_t *cr, const World *w, const RenderView *v, const RenderOverlay *ov) {
    const WorldState *st = world_state_const(w);
    char head[128];
    const char *lines[TEXT_MAX_LINES];
    int n = 0;
    if (world_config(w)->has_ego && st->n_actors > 0)
        snprintf(head, sizeof head, "t %6.1f s   v %5.1f m/s   route %3.0f%%", st->time, st->actors[0].k.speed,
                 world_route(w) && world_route(w)->length > 0
                     ? 100.0 * st->ego.route_progress / world_route(w)->length : 0.0);
    else
        snprintf(head, sizeof head, "t %6.1f s", st->time);
    lines[n++] = head;
    for (int i = 0; i < ov->n_caption && n < TEXT_MAX_LINES; i++) lines[n++] = ov->caption[i];
    double font = v->height / 40.0;
    if (font < 9.0) font = 9.0;
    render_text_box(cr, 4.0, 4.0, lines, n, font);
}
