/* `craft render`: drive the built-in demo scene with the autopilot and draw it top-down — an
 * animated GIF or MP4, the last frame as PNG, or one PNG per frame. Drawing lives in src/render/;
 * this file only parses options, steps the world and hands frames to the writers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "craft/demo.h"
#include "craft/render.h"
#include "opts.h"

#define PAST_EVENTS_MAX 256

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* "640x480" or "512" (square) */
static int parse_size(const char *s, int *w, int *h, Err *e) {
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end != s && (*end == 'x' || *end == 'X')) {
        const char *t = end + 1;
        b = strtol(t, &end, 10);
        if (end == t) b = -1;
    }
    if (end == s || *end || a < 16 || b < 16 || a > 4096 || b > 4096)
        return err_set(e, "--size must be N or WxH with 16..4096 pixels per side, got '%s'", s);
    *w = (int)a;
    *h = (int)b;
    return 0;
}

typedef struct {
    GifWriter *gif;
    Mp4Writer *mp4;
    const char *png, *frames_dir;
    int n_written;
} FrameSink;

static int sink_add(FrameSink *k, cairo_surface_t *s, Err *e) {
    if (k->gif && gif_add_frame(k->gif, s, e)) return -1;
    if (k->mp4 && mp4_add_frame(k->mp4, s, e)) return -1;
    if (k->frames_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame_%05d.png", k->frames_dir, k->n_written);
        if (render_write_png(s, path, e)) return -1;
    }
    k->n_written++;
    return 0;
}

static void collect_events(const WorldState *st, Event *past, int *n_past) {
    for (int i = 0; i < st->n_events && *n_past < PAST_EVENTS_MAX; i++) {
        const Event *ev = &st->events[i];
        /* keep what matters afterwards; per-step conditions (off road, ...) would pile up */
        if (ev->actor == 0 && (ev->kind == EV_COLLISION || ev->kind == EV_RED_LIGHT || ev->kind == EV_STOP_SIGN))
            past[(*n_past)++] = *ev;
    }
}

int cmd_render(int argc, char **argv) {
    const char *map_name = "junction4_light", *out = NULL, *frames_dir = NULL, *size = "512";
    int steps = 300, agents = 24, every = 2, whole_map = 0;
    float metres = 80.0f;
    uint64_t seed = 1;
    Opt opts[] = {
        {"map", OPT_STR, &map_name, "map piece (as for craft sim; default junction4_light)"},
        {"steps", OPT_INT, &steps, "ticks of 0.1 s to simulate (default 300)"},
        {"agents", OPT_INT, &agents, "actors including the ego (default 24)"},
        {"seed", OPT_U64, &seed, "random seed (default 1)"},
        {"out", OPT_STR, &out, "output file: .gif (animation), .mp4 (needs ffmpeg) or .png (last frame)"},
        {"frames", OPT_STR, &frames_dir, "directory (must exist) to write frame_NNNNN.png into"},
        {"size", OPT_STR, &size, "image size in pixels, N or WxH (default 512)"},
        {"every", OPT_INT, &every, "draw a frame every K ticks (default 2)"},
        {"metres", OPT_FLOAT, &metres, "metres across the image when following the ego (default 80)"},
        {"whole-map", OPT_FLAG, &whole_map, "show the whole map instead of following the ego"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft render [options] (--out FILE and/or --frames DIR)\n"
                        "Drives the ego on its autopilot through the demo scene and draws it top-down.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft render: %s\n", e.msg); return 2; }
    int W = 0, H = 0;
    if (parse_size(size, &W, &H, &e)) { fprintf(stderr, "craft render: %s\n", e.msg); return 2; }
    if (steps < 1) { fprintf(stderr, "craft render: --steps must be >= 1\n"); return 2; }
    if (every < 1) { fprintf(stderr, "craft render: --every must be >= 1\n"); return 2; }
    if (!(metres >= 1.0f && metres <= 100000.0f)) { fprintf(stderr, "craft render: --metres must be in 1..100000\n"); return 2; }
    if (!out && !frames_dir) { fprintf(stderr, "craft render: give --out FILE (.gif, .mp4, .png) or --frames DIR\n"); return 2; }
    if (out && !ends_with(out, ".gif") && !ends_with(out, ".png") && !ends_with(out, ".mp4")) {
        fprintf(stderr, "craft render: --out must end in .gif, .mp4 or .png, got '%s'\n", out);
        return 2;
    }
    DemoScene d;
    if (demo_scene_create(&d, map_name, agents, seed, &e)) { fprintf(stderr, "craft render: %s\n", e.msg); return 1; }
    World *w = d.world;
    const WorldState *st = world_state_const(w);
    float dt = world_config(w)->dt;
    FrameSink sink = {.frames_dir = frames_dir};
    if (out && ends_with(out, ".png")) sink.png = out;
    else if (out && ends_with(out, ".gif")) sink.gif = gif_open(out, W, H, (int)(every * dt * 100.0f + 0.5f), &e);
    else if (out) {
        int fps = (int)(1.0f / (every * dt) + 0.5f);
        sink.mp4 = mp4_open(out, W, H, fps > 0 ? fps : 1, &e);
    }
    int failed = out && !sink.png && !sink.gif && !sink.mp4;
    Event past[PAST_EVENTS_MAX];
    int n_past = 0;
    char caption[128];
    snprintf(caption, sizeof caption, "%s  seed %" PRIu64 "  %d actors", d.map->name, seed, st->n_actors);
    const char *lines[1] = {caption};
    RenderOverlay ov = {.caption = lines, .n_caption = 1, .past_events = past};
    int streaming = sink.gif || sink.mp4 || sink.frames_dir;
    for (int step = 0; !failed && step <= steps; step++) {
        int last = step == steps || st->ego.route_done;
        if ((streaming && step % every == 0) || last) {
            RenderView v = whole_map ? render_view_whole_map(d.map, W, H, 5.0f) : render_view_follow_ego(w, W, H, metres);
            ov.n_past_events = n_past;
            cairo_surface_t *s = render_surface(w, &v, &ov, &e);
            if (!s) { failed = 1; break; }
            if ((streaming && (step % every == 0 || last) && sink_add(&sink, s, &e)) ||
                (last && sink.png && render_write_png(s, sink.png, &e)))
                failed = 1;
            cairo_surface_destroy(s);
        }
        if (last) break;
        Control c;
        world_autopilot(w, &c);
        world_step(w, &c);
        collect_events(st, past, &n_past);
    }
    Err ce = {{0}};
    if (gif_close(sink.gif, &ce) && !failed) { failed = 1; e = ce; }
    if (mp4_close(sink.mp4, &ce) && !failed) { failed = 1; e = ce; }
    if (!failed)
        printf("craft render: %.1f s simulated, %d frame%s written%s%s\n", st->time, sink.n_written + (sink.png != NULL),
               sink.n_written + (sink.png != NULL) == 1 ? "" : "s", out ? " to " : "", out ? out : "");
    demo_scene_destroy(&d);
    render_shutdown();
    if (failed) { fprintf(stderr, "craft render: %s\n", e.msg); return 1; }
    return 0;
}
