/* GIF, MP4 and plot tests: the fixed palette against hand-computed entries; a 3-frame GIF read
 * back with giflib (frames, size, delay, loop, decoded colours); identical frames → identical
 * bytes; plot pixels where the layout puts known series; JSONL columns; errors on bad input. */
#include <criterion/criterion.h>
#include <gif_lib.h>
#include <math.h>
#include "craft/plot.h"
#include "craft/render.h"
#include "render/mp4_internal.h"
#include "render/render_internal.h"
#include "test_render_util.h"

/* text drawing fills cairo/fontconfig caches: release them so ASan sees no leak */
TestSuite(gif, .fini = render_shutdown);
TestSuite(mp4, .fini = render_shutdown);
TestSuite(plot, .fini = render_shutdown);

Test(gif, palette_hand_computed) {
    /* every cube colour maps to itself */
    for (int i = 0; i < 216; i++) {
        uint32_t c = gif_palette_color(i);
        cr_assert_eq(gif_palette_index((uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c), i, "cube entry %d", i);
    }
    /* (25, 210, 255): cube (0, 4, 5) = index 29, #00CCFF; the nearest grey (162) is far worse */
    cr_assert_eq(gif_palette_index(25, 210, 255), 29);
    cr_assert_eq(gif_palette_color(29), 0x00CCFFu);
    /* mid grey 128: greys are (2k+1)·255/80, k = 20 gives 130 (error 12) vs the cube's 153 (error 1875) */
    cr_assert_eq(gif_palette_index(128, 128, 128), 216 + 20);
    cr_assert_eq(gif_palette_color(216 + 20), 0x828282u);
    cr_assert_eq(gif_palette_color(216 + 39), 0xFBFBFBu);
}

static cairo_surface_t *solid(int w, int h, uint32_t c) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    set_rgb(cr, c);
    cairo_paint(cr);
    cairo_destroy(cr);
    return s;
}

static void write_gif(const char *path, cairo_surface_t **frames, int n) {
    Err e = {{0}};
    GifWriter *g = gif_open(path, 64, 48, 7, &e);
    cr_assert(g, "%s", e.msg);
    for (int i = 0; i < n; i++) cr_assert_eq(gif_add_frame(g, frames[i], &e), 0, "%s", e.msg);
    cr_assert_eq(gif_close(g, &e), 0, "%s", e.msg);
}

Test(gif, three_frames_read_back) {
    char dir[64], a[128], b[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.gif", dir);
    snprintf(b, sizeof b, "%s/b.gif", dir);
    static const uint32_t colors[3] = {0x19D2FFu, 0x808080u, 0xFF0000u};
    static const uint32_t decoded[3] = {0x00CCFFu, 0x828282u, 0xFF0000u}; /* see palette_hand_computed */
    cairo_surface_t *frames[3];
    for (int i = 0; i < 3; i++) frames[i] = solid(64, 48, colors[i]);
    write_gif(a, frames, 3);
    write_gif(b, frames, 3);
    int err = 0;
    GifFileType *g = DGifOpenFileName(a, &err);
    cr_assert(g, "DGifOpenFileName: %s", GifErrorString(err));
    cr_assert_eq(DGifSlurp(g), GIF_OK, "DGifSlurp: %s", GifErrorString(g->Error));
    cr_assert_eq(g->ImageCount, 3);
    cr_assert_eq(g->SWidth, 64);
    cr_assert_eq(g->SHeight, 48);
    int loop = 0;
    for (int i = 0; i < 3; i++) {
        SavedImage *im = &g->SavedImages[i];
        cr_assert_eq(im->ImageDesc.Width, 64);
        cr_assert_eq(im->ImageDesc.Height, 48);
        GraphicsControlBlock gcb;
        cr_assert_eq(DGifSavedExtensionToGCB(g, i, &gcb), GIF_OK);
        cr_assert_eq(gcb.DelayTime, 7);
        GifColorType c = g->SColorMap->Colors[im->RasterBits[10 * 64 + 20]];
        uint32_t rgb = ((uint32_t)c.Red << 16) | ((uint32_t)c.Green << 8) | c.Blue;
        cr_assert_eq(rgb, decoded[i], "frame %d decodes to #%06X, want #%06X", i, rgb, decoded[i]);
        for (int k = 0; k < im->ExtensionBlockCount; k++) {
            ExtensionBlock *eb = &im->ExtensionBlocks[k];
            if (eb->Function == APPLICATION_EXT_FUNC_CODE && eb->ByteCount == 11 && !memcmp(eb->Bytes, "NETSCAPE2.0", 11))
                loop = 1;
        }
    }
    cr_assert(loop, "no NETSCAPE2.0 loop extension");
    DGifCloseFile(g, &err);
    size_t na, nb;
    unsigned char *pa = test_read_file(a, &na), *pb = test_read_file(b, &nb);
    cr_assert(na == nb && !memcmp(pa, pb, na), "same frames, different GIF bytes");
    free(pa);
    free(pb);
    for (int i = 0; i < 3; i++) cairo_surface_destroy(frames[i]);
    test_rm_dir(dir);
}

Test(gif, bad_input) {
    Err e = {{0}};
    cr_assert_null(gif_open("/nonexistent-dir/x.gif", 64, 48, 5, &e));
    cr_assert(strstr(e.msg, "cannot write /nonexistent-dir/x.gif"), "%s", e.msg);
    cr_assert_null(gif_open("/tmp/never.gif", 0, 48, 5, &e));
    cr_assert(strstr(e.msg, "size"), "%s", e.msg);
    char dir[64], path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.gif", dir);
    GifWriter *g = gif_open(path, 64, 48, 5, &e);
    cr_assert(g, "%s", e.msg);
    cairo_surface_t *wrong = solid(32, 48, 0);
    cr_assert_eq(gif_add_frame(g, wrong, &e), -1);
    cr_assert(strstr(e.msg, "32x48"), "%s", e.msg);
    cr_assert_eq(gif_close(g, &e), -1); /* no frames */
    cairo_surface_destroy(wrong);
    test_rm_dir(dir);
}

Test(mp4, missing_encoder_is_a_clear_error) {
    char dir[64], path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.mp4", dir);
    Err e = {{0}};
    cr_assert_null(mp4_open_program("craft-no-such-encoder", path, 64, 48, 10, &e));
    cr_assert(strstr(e.msg, "not found on PATH"), "%s", e.msg);
    cr_assert_null(mp4_open(path, 63, 48, 10, &e)); /* odd width */
    cr_assert(strstr(e.msg, "even"), "%s", e.msg);
    test_rm_dir(dir);
}

/* Plot area pixel of data point (x, y) on a linear layout. */
static void data_px(const PlotLayout *L, double x, double y, double *px, double *py) {
    *px = L->left + (x - L->x_lo) / (L->x_hi - L->x_lo) * (L->right - L->left);
    *py = L->bottom - (y - L->y_lo) / (L->y_hi - L->y_lo) * (L->bottom - L->top);
}

Test(plot, series_pixels_where_expected) {
    char dir[64], path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.png", dir);
    /* a horizontal line at y = 5 with a NaN gap over x in (0, 2), and a vertical line at x = 7.5 */
    double hx[4] = {0, 1, 2, 10}, hy[4] = {5, NAN, 5, 5};
    double vx[2] = {7.5, 7.5}, vy[2] = {0, 10};
    PlotSeries series[2] = {{"flat", hx, hy, 4}, {"upright", vx, vy, 2}};
    PlotSpec spec = {.title = "t", .x_label = "x", .y_label = "y", .series = series, .n_series = 2,
                     .x_lo = 0, .x_hi = 10, .y_lo = 0, .y_hi = 10};
    PlotLayout L;
    Err e = {{0}};
    cr_assert_eq(plot_layout(&spec, &L, &e), 0, "%s", e.msg);
    cr_assert_eq(L.width, 800);
    cr_assert_eq(L.height, 500);
    cr_assert(L.left > 0 && L.right < 800 && L.top > 0 && L.bottom < 500 && L.left < L.right && L.top < L.bottom);
    cr_assert_eq(plot_lines_png(path, &spec, &e), 0, "%s", e.msg);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    cr_assert_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    double px, py;
    /* a 2 px line fully covers the pixel row (column) containing its centre */
    data_px(&L, 5.0, 5.0, &px, &py);
    assert_color(test_pixel(s, px, py), plot_series_color(0), 0, "flat series at x = 5");
    data_px(&L, 7.5, 2.5, &px, &py);
    assert_color(test_pixel(s, px, py), plot_series_color(1), 0, "upright series at y = 2.5");
    data_px(&L, 1.0, 5.0, &px, &py);
    assert_color(test_pixel(s, px, py), 0xFFFFFFu, 0, "the NaN gap");
    data_px(&L, 3.0, 3.0, &px, &py);
    assert_color(test_pixel(s, px, py), 0xFFFFFFu, 0, "empty plot area");
    cairo_surface_destroy(s);
    test_rm_dir(dir);
}

Test(plot, log_y_and_auto_range) {
    double x[3] = {0, 1, 2}, y[3] = {2, 30, 900};
    PlotSeries series[1] = {{"s", x, y, 3}};
    PlotSpec spec = {.series = series, .n_series = 1, .log_y = 1};
    PlotLayout L;
    Err e = {{0}};
    cr_assert_eq(plot_layout(&spec, &L, &e), 0, "%s", e.msg);
    /* log10 y in [0.30, 2.95] rounds out to whole decades [0, 3]; x [0, 2] at a nice step of 0.5 */
    cr_assert_float_eq(L.y_lo, 0.0, 1e-12);
    cr_assert_float_eq(L.y_hi, 3.0, 1e-12);
    cr_assert_float_eq(L.x_lo, 0.0, 1e-12);
    cr_assert_float_eq(L.x_hi, 2.0, 1e-12);
    double ly[3] = {-1, 0, 5}; /* y ≤ 0 skipped on a log axis: only 5 remains, a band of ±0.5 decade */
    series[0].y = ly;
    cr_assert_eq(plot_layout(&spec, &L, &e), 0, "%s", e.msg);
    cr_assert_float_eq(L.y_lo, 0.0, 1e-12);
    cr_assert_float_eq(L.y_hi, 2.0, 1e-12);
    double lin[3] = {0.13, 0.47, 0.95}; /* step nice(0.82/6) = 0.2 → [0, 1] */
    series[0].y = lin;
    spec.log_y = 0;
    cr_assert_eq(plot_layout(&spec, &L, &e), 0, "%s", e.msg);
    cr_assert_float_eq(L.y_lo, 0.0, 1e-12);
    cr_assert_float_eq(L.y_hi, 1.0, 1e-12);
}

Test(plot, bad_input) {
    Err e = {{0}};
    double x[2] = {NAN, 1}, y[2] = {1, NAN};
    PlotSeries series[1] = {{"nan", x, y, 2}};
    PlotSpec spec = {.series = series, .n_series = 1};
    cr_assert_eq(plot_lines_png("/tmp/never.png", &spec, &e), -1);
    cr_assert(strstr(e.msg, "no finite"), "%s", e.msg);
    double gx[2] = {0, 1}, gy[2] = {0, 1};
    series[0] = (PlotSeries){"ok", gx, gy, 2};
    spec.width = 10;
    spec.height = 10;
    cr_assert_eq(plot_lines_png("/tmp/never.png", &spec, &e), -1);
    cr_assert(strstr(e.msg, "size"), "%s", e.msg);
    spec.width = spec.height = 0;
    cr_assert_eq(plot_lines_png("/nonexistent-dir/p.png", &spec, &e), -1);
    cr_assert(strstr(e.msg, "cannot write"), "%s", e.msg);
    series[0].x = NULL;
    cr_assert_eq(plot_lines_png("/tmp/never.png", &spec, &e), -1);
    spec.n_series = 0;
    cr_assert_eq(plot_lines_png("/tmp/never.png", &spec, &e), -1);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

Test(plot, jsonl_columns) {
    char dir[64], log[128], bad[128], out[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s/log.jsonl", dir);
    snprintf(bad, sizeof bad, "%s/bad.jsonl", dir);
    snprintf(out, sizeof out, "%s/log.png", dir);
    write_text(log, "{\"iter\": 0, \"loss\": 1.0, \"m\": {\"a\": 2}}\n"
                    "\n"
                    "{\"iter\": 1, \"loss\": \"x\"}\n"
                    "{\"other\": 3}\n"
                    "{\"iter\": 2, \"loss\": 0.5, \"m\": {\"a\": 4}}\n");
    const char *keys[2] = {"loss", "m.a"};
    PlotData d;
    Err e = {{0}};
    cr_assert_eq(plot_jsonl_load(log, "iter", keys, 2, &d, &e), 0, "%s", e.msg);
    cr_assert_eq(d.n, 3);
    double want_x[3] = {0, 1, 2}, want_loss[3] = {1.0, NAN, 0.5}, want_a[3] = {2, NAN, 4};
    for (int i = 0; i < 3; i++) {
        cr_assert_float_eq(d.x[i], want_x[i], 0.0);
        cr_assert(isnan(want_loss[i]) ? isnan(d.y[0][i]) : d.y[0][i] == want_loss[i], "loss[%d] = %g", i, d.y[0][i]);
        cr_assert(isnan(want_a[i]) ? isnan(d.y[1][i]) : d.y[1][i] == want_a[i], "m.a[%d] = %g", i, d.y[1][i]);
    }
    plot_data_free(&d);
    cr_assert_eq(plot_jsonl_png(log, "iter", keys, 2, out, &e), 0, "%s", e.msg);
    size_t n;
    unsigned char *png = test_read_file(out, &n);
    cr_assert(n > 8 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8));
    free(png);
    write_text(bad, "{\"iter\": 0}\n[1, 2]\n");
    cr_assert_eq(plot_jsonl_load(bad, "iter", keys, 1, &d, &e), -1);
    cr_assert(strstr(e.msg, ":2: not a JSON object"), "%s", e.msg);
    cr_assert_eq(plot_jsonl_load(log, "step", keys, 1, &d, &e), -1);
    cr_assert(strstr(e.msg, "no line has a numeric 'step'"), "%s", e.msg);
    cr_assert_eq(plot_jsonl_load("/nonexistent-dir/l.jsonl", "iter", keys, 1, &d, &e), -1);
    cr_assert(strstr(e.msg, "cannot read"), "%s", e.msg);
    test_rm_dir(dir);
}
