/* gif — animated GIF output with giflib. Every frame is quantised to one fixed global palette (a
 * 6×6×6 colour cube, then 40 greys) by nearest colour, without dithering, so the file depends
 * only on the pixels. The NETSCAPE2.0 extension makes it loop; each frame carries its delay. */
#include <errno.h>
#include <fcntl.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render_internal.h"

#define GIF_CUBE 216
#define GIF_GREYS 40

struct GifWriter {
    GifFileType *gif;
    int width, height, delay_cs, frames, failed;
    GifByteType *row;
};

static uint8_t grey_level(int k) { return (uint8_t)((2 * k + 1) * 255 / (2 * GIF_GREYS)); }

uint32_t gif_palette_color(int i) {
    if (i < 0 || i >= GIF_CUBE + GIF_GREYS) return 0;
    if (i < GIF_CUBE) {
        uint32_t r = (uint32_t)(i / 36) * 51u, g = (uint32_t)(i / 6 % 6) * 51u, b = (uint32_t)(i % 6) * 51u;
        return (r << 16) | (g << 8) | b;
    }
    uint32_t v = grey_level(i - GIF_CUBE);
    return (v << 16) | (v << 8) | v;
}

static int sq(int x) { return x * x; }

int gif_palette_index(uint8_t r, uint8_t g, uint8_t b) {
    /* nearest cube entry per channel (levels 0, 51, ..., 255) */
    int ri = (r + 25) / 51, gi = (g + 25) / 51, bi = (b + 25) / 51;
    int cube = ri * 36 + gi * 6 + bi;
    int dc = sq(r - ri * 51) + sq(g - gi * 51) + sq(b - bi * 51);
    /* nearest grey to the mean; it wins only when strictly closer (ties keep the cube entry) */
    int mean = (r + g + b + 1) / 3;
    int k = mean * GIF_GREYS / 256;
    if (k >= GIF_GREYS) k = GIF_GREYS - 1;
    int best_k = k, best_d = -1;
    for (int j = k - 1; j <= k + 1; j++) {
        if (j < 0 || j >= GIF_GREYS) continue;
        int v = grey_level(j), d = sq(r - v) + sq(g - v) + sq(b - v);
        if (best_d < 0 || d < best_d) { best_d = d; best_k = j; }
    }
    return best_d < dc ? GIF_CUBE + best_k : cube;
}

static int gif_fail(GifWriter *g, Err *e, const char *what, int code) {
    g->failed = 1;
    return err_set(e, "gif: %s failed: %s", what, GifErrorString(code) ? GifErrorString(code) : "unknown error");
}

GifWriter *gif_open(const char *path, int width, int height, int delay_cs, Err *e) {
    if (!path || !*path) { err_set(e, "gif: empty output path"); return NULL; }
    if (width < 1 || height < 1 || width > 65535 || height > 65535) {
        err_set(e, "gif: frame size %dx%d out of range (1..65535)", width, height);
        return NULL;
    }
    if (delay_cs < 0 || delay_cs > 65535) { err_set(e, "gif: frame delay %d cs out of range (0..65535)", delay_cs); return NULL; }
    /* opened here rather than by EGifOpenFileName, which creates files readable only by their owner */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) { err_set(e, "cannot write %s: %s", path, strerror(errno)); return NULL; }
    int code = 0;
    GifFileType *gif = EGifOpenFileHandle(fd, &code); /* owns fd from here on */
    if (!gif) {
        close(fd);
        err_set(e, "cannot write %s: %s", path, GifErrorString(code) ? GifErrorString(code) : "open failed");
        return NULL;
    }
    GifWriter *g = calloc(1, sizeof *g);
    GifColorType colors[256];
    memset(colors, 0, sizeof colors);
    for (int i = 0; i < GIF_CUBE + GIF_GREYS; i++) {
        uint32_t c = gif_palette_color(i);
        colors[i] = (GifColorType){(GifByteType)(c >> 16), (GifByteType)(c >> 8), (GifByteType)c};
    }
    ColorMapObject *cmap = GifMakeMapObject(256, colors);
    if (g) g->row = malloc((size_t)width);
    if (!g || !g->row || !cmap) {
        GifFreeMapObject(cmap);
        EGifCloseFile(gif, &code);
        if (g) free(g->row);
        free(g);
        err_set(e, "gif: out of memory");
        return NULL;
    }
    g->gif = gif;
    g->width = width;
    g->height = height;
    g->delay_cs = delay_cs;
    EGifSetGifVersion(gif, true);
    int rc = EGifPutScreenDesc(gif, width, height, 8, 0, cmap);
    GifFreeMapObject(cmap);
    if (rc != GIF_OK) { gif_fail(g, e, "screen descriptor", gif->Error); gif_close(g, NULL); return NULL; }
    /* loop forever: application extension NETSCAPE2.0, sub-block {1, loop count 0 (LE)} */
    static const GifByteType loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) != GIF_OK ||
        EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") != GIF_OK || EGifPutExtensionBlock(gif, 3, loop) != GIF_OK ||
        EGifPutExtensionTrailer(gif) != GIF_OK) {
        gif_fail(g, e, "loop extension", gif->Error);
        gif_close(g, NULL);
        return NULL;
    }
    return g;
}

int gif_add_frame(GifWriter *g, cairo_surface_t *s, Err *e) {
    if (!g || !s) return err_set(e, "gif: NULL writer or surface");
    if (g->failed) return err_set(e, "gif: writer is in an error state");
    if (cairo_surface_get_type(s) != CAIRO_SURFACE_TYPE_IMAGE) return err_set(e, "gif: not an image surface");
    cairo_format_t fmt = cairo_image_surface_get_format(s);
    if (fmt != CAIRO_FORMAT_ARGB32 && fmt != CAIRO_FORMAT_RGB24) return err_set(e, "gif: surface must be ARGB32 or RGB24");
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    if (w != g->width || h != g->height)
        return err_set(e, "gif: frame is %dx%d but the animation is %dx%d", w, h, g->width, g->height);
    cairo_surface_flush(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    GraphicsControlBlock gcb = {.DisposalMode = DISPOSAL_UNSPECIFIED, .UserInputFlag = false,
                                .DelayTime = g->delay_cs, .TransparentColor = NO_TRANSPARENT_COLOR};
    GifByteType ext[4];
    size_t n = EGifGCBToExtension(&gcb, ext);
    if (EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, (int)n, ext) != GIF_OK)
        return gif_fail(g, e, "graphics control block", g->gif->Error);
    if (EGifPutImageDesc(g->gif, 0, 0, w, h, false, NULL) != GIF_OK)
        return gif_fail(g, e, "image descriptor", g->gif->Error);
    for (int y = 0; y < h; y++) {
        /* native-endian 0xAARRGGBB words, premultiplied: the colour over black, which is what a
         * viewer without transparency shows */
        const uint32_t *px = (const uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            uint32_t p = px[x];
            if (fmt == CAIRO_FORMAT_RGB24) p |= 0xFF000000u;
            g->row[x] = (GifByteType)gif_palette_index((uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p);
        }
        if (EGifPutLine(g->gif, g->row, w) != GIF_OK) return gif_fail(g, e, "writing pixels", g->gif->Error);
    }
    g->frames++;
    return 0;
}

int gif_close(GifWriter *g, Err *e) {
    if (!g) return 0;
    int code = 0, rc = 0;
    if (g->gif && EGifCloseFile(g->gif, &code) != GIF_OK)
        rc = err_set(e, "gif: closing the file failed: %s", GifErrorString(code) ? GifErrorString(code) : "?");
    else if (g->failed)
        rc = err_set(e, "gif: the file is incomplete after an earlier error");
    else if (g->frames == 0)
        rc = err_set(e, "gif: no frames were added");
    free(g->row);
    free(g);
    return rc;
}
