/* plot — line charts with cairo: layout (margins, data ranges rounded out to "nice" tick steps),
 * grid, ticks, labels, series lines broken at non-finite points, a legend and a title. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "craft/plot.h"
#include "render_internal.h"

#define PLOT_MARGIN_LEFT 72.0
#define PLOT_MARGIN_RIGHT 24.0
#define PLOT_MARGIN_TOP 40.0
#define PLOT_MARGIN_BOTTOM 56.0
#define PLOT_FONT 13.0

uint32_t plot_series_color(int i) {
    static const uint32_t cycle[10] = {0x1F77B4u, 0xFF7F0Eu, 0x2CA02Cu, 0xD62728u, 0x9467BDu,
                                       0x8C564Bu, 0xE377C2u, 0x7F7F7Fu, 0xBCBD22u, 0x17BECFu};
    return cycle[((i % 10) + 10) % 10];
}

/* 1, 2 or 5 × 10^k, the smallest at least raw */
static double nice_step(double raw) {
    double p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * p;
}

/* y as plotted: log10 on a log axis, NaN when not plottable */
static double y_value(const PlotSpec *s, double y) {
    if (!isfinite(y)) return NAN;
    if (s->log_y) return y > 0.0 ? log10(y) : NAN;
    return y;
}

static void auto_range(double mn, double mx, int log_axis, double *lo, double *hi) {
    if (mx - mn < 1e-12 * fmax(1.0, fabs(mx))) { /* one value: a band around it */
        double d = log_axis ? 0.5 : (mn != 0.0 ? 0.1 * fabs(mn) : 1.0);
        mn -= d;
        mx += d;
    }
    if (log_axis) { *lo = floor(mn); *hi = ceil(mx); return; }
    double step = nice_step((mx - mn) / 6.0);
    *lo = floor(mn / step) * step;
    *hi = ceil(mx / step) * step;
}

int plot_layout(const PlotSpec *s, PlotLayout *o, Err *e) {
    if (!s || !o) return err_set(e, "plot: NULL spec");
    int W = s->width ? s->width : 800, H = s->height ? s->height : 500;
    if (W < 160 || H < 120 || W > 8192 || H > 8192)
        return err_set(e, "plot: image size %dx%d out of range (160x120 .. 8192x8192)", W, H);
    if (s->n_series < 1 || !s->series) return err_set(e, "plot: no series to plot");
    double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
    for (int k = 0; k < s->n_series; k++) {
        const PlotSeries *p = &s->series[k];
        if (p->n < 0 || (p->n > 0 && (!p->x || !p->y)))
            return err_set(e, "plot: series %d ('%s') has %d points but no data", k, p->name ? p->name : "", p->n);
        for (int i = 0; i < p->n; i++) {
            double y = y_value(s, p->y[i]);
            if (!isfinite(p->x[i]) || isnan(y)) continue;
            xmn = fmin(xmn, p->x[i]); xmx = fmax(xmx, p->x[i]);
            ymn = fmin(ymn, y); ymx = fmax(ymx, y);
        }
    }
    if (!(xmn <= xmx)) return err_set(e, "plot: no finite data point%s to plot", s->log_y ? " (with y > 0 for log-y)" : "");
    auto_range(xmn, xmx, 0, &o->x_lo, &o->x_hi);
    auto_range(ymn, ymx, s->log_y, &o->y_lo, &o->y_hi);
    if (s->x_lo < s->x_hi) {
        if (!isfinite(s->x_lo) || !isfinite(s->x_hi)) return err_set(e, "plot: x range is not finite");
        o->x_lo = s->x_lo; o->x_hi = s->x_hi;
    }
    if (s->y_lo < s->y_hi) {
        double lo = y_value(s, s->y_lo), hi = y_value(s, s->y_hi);
        if (!isfinite(lo) || !isfinite(hi)) return err_set(e, "plot: y range [%g, %g] is not usable%s", s->y_lo, s->y_hi,
                                                         s->log_y ? " on a log axis" : "");
        o->y_lo = lo; o->y_hi = hi;
    }
    o->width = W;
    o->height = H;
    o->left = PLOT_MARGIN_LEFT;
    o->right = W - PLOT_MARGIN_RIGHT;
    o->top = PLOT_MARGIN_TOP;
    o->bottom = H - PLOT_MARGIN_BOTTOM;
    return 0;
}

static double to_px(const PlotLayout *L, double x) { return L->left + (x - L->x_lo) / (L->x_hi - L->x_lo) * (L->right - L->left); }
static double to_py(const PlotLayout *L, double y) { return L->bottom - (y - L->y_lo) / (L->y_hi - L->y_lo) * (L->bottom - L->top); }

static void text_at(cairo_t *cr, const char *t, double x, double y, double ax, double ay) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, t, &te);
    cairo_move_to(cr, x - ax * te.x_advance, y + ay * te.height);
    cairo_show_text(cr, t);
}

static void tick_label(char *buf, size_t n, double v, double step, int log_axis) {
    if (log_axis) { snprintf(buf, n, "%g", pow(10.0, v)); return; }
    if (fabs(v) < 1e-9 * step) v = 0.0;
    snprintf(buf, n, "%.6g", v);
}

static void draw_axes(cairo_t *cr, const PlotSpec *s, const PlotLayout *L) {
    char buf[48];
    cairo_set_line_width(cr, 1.0);
    cairo_set_font_size(cr, PLOT_FONT);
    /* x ticks */
    double xs = nice_step((L->x_hi - L->x_lo) / 7.0);
    for (double v = ceil(L->x_lo / xs - 1e-9) * xs; v <= L->x_hi + 1e-9 * xs; v += xs) {
        double px = round(to_px(L, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, px, L->top); cairo_line_to(cr, px, L->bottom); cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, px, L->bottom); cairo_line_to(cr, px, L->bottom + 5); cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, xs, 0);
        text_at(cr, buf, px, L->bottom + 8, 0.5, 1.0);
    }
    /* y ticks: decades on a log axis, nice steps otherwise */
    double ys = s->log_y ? fmax(1.0, ceil((L->y_hi - L->y_lo) / 8.0)) : nice_step((L->y_hi - L->y_lo) / 6.0);
    for (double v = ceil(L->y_lo / ys - 1e-9) * ys; v <= L->y_hi + 1e-9 * ys; v += ys) {
        double py = round(to_py(L, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, L->left, py); cairo_line_to(cr, L->right, py); cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, L->left - 5, py); cairo_line_to(cr, L->left, py); cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, ys, s->log_y);
        text_at(cr, buf, L->left - 8, py, 1.0, 0.5);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, L->left + 0.5, L->top + 0.5, L->right - L->left - 1, L->bottom - L->top - 1);
    cairo_stroke(cr);
    if (s->x_label) text_at(cr, s->x_label, 0.5 * (L->left + L->right), L->height - 10, 0.5, 0.0);
    if (s->y_label) {
        cairo_save(cr);
        cairo_translate(cr, 16, 0.5 * (L->top + L->bottom));
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, s->y_label, 0, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
    if (s->title) {
        cairo_set_font_size(cr, PLOT_FONT * 1.3);
        text_at(cr, s->title, 0.5 * (L->left + L->right), 0.5 * L->top, 0.5, 0.5);
        cairo_set_font_size(cr, PLOT_FONT);
    }
}

static void draw_series(cairo_t *cr, const PlotSpec *s, const PlotLayout *L, int k) {
    const PlotSeries *p = &s->series[k];
    set_rgb(cr, plot_series_color(k));
    cairo_set_line_width(cr, 2.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    int run = 0; /* points in the current unbroken piece */
    for (int i = 0; i <= p->n; i++) {
        double y = i < p->n ? y_value(s, p->y[i]) : NAN;
        int ok = i < p->n && isfinite(p->x[i]) && !isnan(y);
        if (ok) {
            double px = to_px(L, p->x[i]), py = to_py(L, y);
            if (run == 0) cairo_move_to(cr, px, py);
            else cairo_line_to(cr, px, py);
            run++;
            continue;
        }
        if (run == 1) { /* an isolated point has no segment: mark it with a dot */
            double px, py;
            cairo_get_current_point(cr, &px, &py);
            cairo_new_path(cr);
            cairo_arc(cr, px, py, 2.5, 0.0, 2.0 * M_PI);
            cairo_fill(cr);
        } else if (run > 1) {
            cairo_stroke(cr);
        }
        run = 0;
    }
}

static void draw_legend(cairo_t *cr, const PlotSpec *s, const PlotLayout *L) {
    double wmax = 0.0, line_h = 1.4 * PLOT_FONT;
    int n = 0;
    for (int k = 0; k < s->n_series; k++) {
        if (!s->series[k].name) continue;
        cairo_text_extents_t te;
        cairo_text_extents(cr, s->series[k].name, &te);
        wmax = fmax(wmax, te.x_advance);
        n++;
    }
    if (n == 0) return;
    double bw = wmax + 40.0, bh = n * line_h + 8.0, x = L->right - bw - 8.0, y = L->top + 8.0;
    cairo_rectangle(cr, x, y, bw, bh);
    cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.85);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    int row = 0;
    for (int k = 0; k < s->n_series; k++) {
        if (!s->series[k].name) continue;
        double cy = y + 4.0 + (row + 0.5) * line_h;
        set_rgb(cr, plot_series_color(k));
        cairo_set_line_width(cr, 2.0);
        cairo_move_to(cr, x + 6.0, cy); cairo_line_to(cr, x + 28.0, cy); cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, s->series[k].name, x + 34.0, cy, 0.0, 0.4);
        row++;
    }
}

int plot_lines_png(const char *path, const PlotSpec *s, Err *e) {
    if (!path || !*path) return err_set(e, "plot: empty output path");
    PlotLayout L;
    if (plot_layout(s, &L, e)) return -1;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, L.width, L.height);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    draw_axes(cr, s, &L);
    cairo_save(cr);
    cairo_rectangle(cr, L.left, L.top, L.right - L.left, L.bottom - L.top);
    cairo_clip(cr);
    for (int k = 0; k < s->n_series; k++) draw_series(cr, s, &L, k);
    cairo_restore(cr);
    draw_legend(cr, s, &L);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    int rc = cs == CAIRO_STATUS_SUCCESS ? render_write_png(surf, path, e)
                                        : err_set(e, "plot: cairo: %s", cairo_status_to_string(cs));
    cairo_surface_destroy(surf);
    return rc;
}
