/* render_internal — helpers shared by the render/ files (not part of the public API): colours,
 * the view's cairo matrix, and the overlay passes that render_frame calls after the scene.
 * All drawing functions take a cairo_t whose user space is world metres (render_apply_view). */
#ifndef CRAFT_RENDER_INTERNAL_H
#define CRAFT_RENDER_INTERNAL_H
#include <cairo/cairo.h>
#include "craft/render.h"

static inline void set_rgb(cairo_t *cr, uint32_t c) {
    cairo_set_source_rgb(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0);
}
static inline void set_rgba(cairo_t *cr, uint32_t c, double a) {
    cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0, a);
}
/* c scaled towards black (f < 1) */
static inline uint32_t shade(uint32_t c, float f) {
    uint32_t r = (uint32_t)(((c >> 16) & 255) * f), g = (uint32_t)(((c >> 8) & 255) * f), b = (uint32_t)((c & 255) * f);
    return (r << 16) | (g << 8) | b;
}

/* Multiplies cr's matrix by the view transform: afterwards user units are world metres. */
void render_apply_view(cairo_t *cr, const RenderView *v);

/* Overlay passes (render_overlay.c), drawn in world units except render_text (pixels). */
void render_route(cairo_t *cr, const Route *r, float px);
void render_plan(cairo_t *cr, const TrajWorld *p, float px);
void render_candidates(cairo_t *cr, const Actor *ego, const RenderOverlay *ov, float px);
void render_events(cairo_t *cr, const Event *ev, int n, float px);
void render_text(cairo_t *cr, const World *w, const RenderView *v, const RenderOverlay *ov);

/* Red → yellow → green for t in [0, 1] (clamped). */
uint32_t render_score_color(float t);
/* Draws text lines on a translucent dark box at pixel (x, y) (top-left), font size in pixels. */
void render_text_box(cairo_t *cr, double x, double y, const char *const *lines, int n, double font_px);

#endif
