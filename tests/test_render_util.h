/* test_render_util — helpers for the render and plot tests: pixel reads as 0xRRGGBB, colour
 * comparison with a per-channel tolerance, temporary directories and whole-file reads. */
#ifndef TEST_RENDER_UTIL_H
#define TEST_RENDER_UTIL_H
#include <cairo/cairo.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pixel containing the continuous image point (x, y); opaque surfaces only. */
static inline uint32_t test_pixel(cairo_surface_t *s, double x, double y) {
    cairo_surface_flush(s);
    int ix = (int)floor(x), iy = (int)floor(y);
    cr_assert(ix >= 0 && iy >= 0 && ix < cairo_image_surface_get_width(s) && iy < cairo_image_surface_get_height(s),
              "pixel (%d, %d) outside the image", ix, iy);
    const uint32_t *row = (const uint32_t *)(cairo_image_surface_get_data(s) + (size_t)iy * cairo_image_surface_get_stride(s));
    return row[ix] & 0xFFFFFFu;
}

static inline int test_channel_diff(uint32_t a, uint32_t b) {
    int d = 0;
    for (int sh = 0; sh <= 16; sh += 8) {
        int x = abs((int)((a >> sh) & 255) - (int)((b >> sh) & 255));
        if (x > d) d = x;
    }
    return d;
}

#define assert_color(got, want, tol, what)                                                                    \
    cr_assert_leq(test_channel_diff((got), (want)), (tol), "%s: pixel #%06X, want #%06X (tolerance %d)", (what), \
                  (unsigned)(got), (unsigned)(want), (tol))

/* a + t·(b - a) per channel, rounded: the result of drawing b with alpha t over a */
static inline uint32_t test_blend(uint32_t a, uint32_t b, double t) {
    uint32_t out = 0;
    for (int sh = 0; sh <= 16; sh += 8) {
        double x = ((a >> sh) & 255) + t * ((double)((b >> sh) & 255) - ((a >> sh) & 255));
        out |= (uint32_t)lround(x) << sh;
    }
    return out;
}

/* A fresh directory under /tmp (tests run in parallel processes). */
static inline void test_tmpdir(char *buf, size_t n) {
    snprintf(buf, n, "/tmp/craft_render_XXXXXX");
    cr_assert(mkdtemp(buf), "mkdtemp failed");
}

/* Whole file into a malloc'd buffer; *len its size. */
static inline unsigned char *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline void test_rm_dir(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
