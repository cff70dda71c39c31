/* render_view — the camera (RenderView: constructors, validation, the world → pixel transform) and
 * the image outputs built on render_frame: a surface, a PNG file, a contact sheet of tiles. */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "render_internal.h"

#define RENDER_MAX_PX 16384

static RenderView view_make(float x, float y, int wpx, int hpx, float scale) {
    return (RenderView){.width = wpx, .height = hpx, .cx = x, .cy = y, .scale = scale, .rotation = 0.0f};
}

RenderView render_view_at(float x, float y, int width_px, int height_px, float metres_across) {
    /* a non-positive width gives scale ≤ 0 or NaN, which render_view_check then reports */
    return view_make(x, y, width_px, height_px, (float)width_px / metres_across);
}

static void map_centre(const Map *m, float *x, float *y) {
    *x = 0.5f * (m->min_x + m->max_x);
    *y = 0.5f * (m->min_y + m->max_y);
}

RenderView render_view_follow_ego(const World *w, int width_px, int height_px, float metres_across) {
    const WorldState *st = world_state_const(w);
    float x, y;
    if (world_config(w)->has_ego && st->n_actors > 0) { x = st->actors[0].k.x; y = st->actors[0].k.y; }
    else map_centre(world_map(w), &x, &y);
    return render_view_at(x, y, width_px, height_px, metres_across);
}

RenderView render_view_whole_map(const Map *m, int width_px, int height_px, float margin_m) {
    float x, y;
    map_centre(m, &x, &y);
    float mw = m->max_x - m->min_x + 2.0f * margin_m, mh = m->max_y - m->min_y + 2.0f * margin_m;
    float sx = width_px / fmaxf(mw, 1e-3f), sy = height_px / fmaxf(mh, 1e-3f);
    return view_make(x, y, width_px, height_px, fminf(sx, sy));
}

int render_view_check(const RenderView *v, Err *e) {
    if (!v) return err_set(e, "render: no view");
    if (v->width < 1 || v->height < 1 || v->width > RENDER_MAX_PX || v->height > RENDER_MAX_PX)
        return err_set(e, "render: image size %dx%d out of range (1..%d pixels per side)", v->width, v->height,
                       RENDER_MAX_PX);
    if (!isfinite(v->cx) || !isfinite(v->cy) || !isfinite(v->rotation))
        return err_set(e, "render: view centre (%g, %g) or rotation %g is not finite", v->cx, v->cy, v->rotation);
    if (!(v->scale > 0.0f) || !isfinite(v->scale))
        return err_set(e, "render: view scale %g px/m must be positive and finite", v->scale);
    return 0;
}

static void view_matrix(const RenderView *v, cairo_matrix_t *m) {
    double c = cos(v->rotation), s = sin(v->rotation), k = v->scale;
    double xx = k * c, xy = k * s, yx = k * s, yy = -k * c;
    cairo_matrix_init(m, xx, yx, xy, yy, 0.5 * v->width - (xx * v->cx + xy * v->cy),
                      0.5 * v->height - (yx * v->cx + yy * v->cy));
}

void render_apply_view(cairo_t *cr, const RenderView *v) {
    cairo_matrix_t m;
    view_matrix(v, &m);
    cairo_transform(cr, &m);
}

void render_world_to_px(const RenderView *v, float x, float y, float *px, float *py) {
    cairo_matrix_t m;
    view_matrix(v, &m);
    double dx = x, dy = y;
    cairo_matrix_transform_point(&m, &dx, &dy);
    *px = (float)dx;
    *py = (float)dy;
}

cairo_surface_t *render_surface(const World *w, const RenderView *v, const RenderOverlay *ov, Err *e) {
    if (render_view_check(v, e)) return NULL;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, v->width, v->height);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        err_set(e, "render: cannot create a %dx%d image: %s", v->width, v->height,
                cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_t *cr = cairo_create(s);
    int rc = render_frame(cr, w, v, ov, e);
    cairo_destroy(cr);
    if (rc) { cairo_surface_destroy(s); return NULL; }
    cairo_surface_flush(s);
    return s;
}

int render_write_png(cairo_surface_t *s, const char *path, Err *e) {
    if (!s || !path || !*path) return err_set(e, "render: no surface or empty output path");
    /* cairo reports only "error while writing to output stream": probe the path for errno's reason */
    FILE *f = fopen(path, "wb");
    if (!f) return err_set(e, "cannot write %s: %s", path, strerror(errno));
    fclose(f);
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    if (st != CAIRO_STATUS_SUCCESS) return err_set(e, "cannot write %s: %s", path, cairo_status_to_string(st));
    return 0;
}

int render_png(const char *path, const World *w, const RenderView *v, const RenderOverlay *ov, Err *e) {
    if (!path || !*path) return err_set(e, "render: empty output path");
    if (!w) return err_set(e, "render: no world");
    cairo_surface_t *s = render_surface(w, v, ov, e);
    if (!s) return -1;
    int rc = render_write_png(s, path, e);
    cairo_surface_destroy(s);
    return rc;
}

int render_contact_sheet(const char *path, cairo_surface_t **tiles, const char **labels, int n, int cols, Err *e) {
    if (!path || !*path) return err_set(e, "contact sheet: empty output path");
    if (n < 1 || !tiles) return err_set(e, "contact sheet: need at least one tile, got %d", n);
    if (cols < 1) return err_set(e, "contact sheet: columns must be >= 1, got %d", cols);
    int cw = 0, ch = 0;
    for (int i = 0; i < n; i++) {
        if (!tiles[i] || cairo_surface_get_type(tiles[i]) != CAIRO_SURFACE_TYPE_IMAGE)
            return err_set(e, "contact sheet: tile %d is not an image surface", i);
        int tw = cairo_image_surface_get_width(tiles[i]), th = cairo_image_surface_get_height(tiles[i]);
        if (tw > cw) cw = tw;
        if (th > ch) ch = th;
    }
    if (cols > n) cols = n;
    int rows = (n + cols - 1) / cols, pad = 6;
    double font = 14.0;
    int label_h = (int)(1.6 * font);
    long W = (long)cols * (cw + pad) + pad, H = (long)rows * (ch + label_h + pad) + pad;
    if (W > RENDER_MAX_PX || H > RENDER_MAX_PX)
        return err_set(e, "contact sheet: %ldx%ld pixels is too large (max %d per side)", W, H, RENDER_MAX_PX);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)W, (int)H);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.12, 0.12, 0.12);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font);
    for (int i = 0; i < n; i++) {
        int x = pad + (i % cols) * (cw + pad), y = pad + (i / cols) * (ch + label_h + pad);
        int tw = cairo_image_surface_get_width(tiles[i]);
        cairo_set_source_surface(cr, tiles[i], x + (cw - tw) / 2, y);
        cairo_paint(cr);
        const char *label = labels ? labels[i] : NULL;
        if (label && *label) {
            cairo_text_extents_t te;
            cairo_text_extents(cr, label, &te);
            cairo_move_to(cr, x + 0.5 * (cw - te.x_advance), y + ch + 1.15 * font);
            cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
            cairo_show_text(cr, label);
        }
    }
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    int rc = cs == CAIRO_STATUS_SUCCESS ? render_write_png(s, path, e)
                                        : err_set(e, "contact sheet: cairo: %s", cairo_status_to_string(cs));
    cairo_surface_destroy(s);
    return rc;
}

void render_shutdown(void) {
    cairo_debug_reset_static_data();
    FcFini();
}
