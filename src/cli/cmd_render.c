/* `craft render`: draw an episode top-down — an animated GIF or MP4, the last frame as PNG, or one
 * PNG per frame. The episode is a route (--route, driven by --policy) or the demo scene on its
 * autopilot; --catalogue draws one frame per scenario type at its critical moment into a contact
 * sheet. Drawing lives in src/render/; this file parses options, steps and hands frames on. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "craft/demo.h"
#include "craft/eval.h"
#include "craft/scenario.h"
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

/* An episode to draw: a Scenario driven by an Agent, or the demo scene on its autopilot. */
typedef struct {
    DemoScene demo;
    Scenario *scn;
    Agent *agent;
    World *w;
    const Map *map;
    char caption[160];
} Episode;

static int episode_open_route(Episode *ep, const char *routes, const char *data, const char *policy, Err *e) {
    RouteSet rs;
    AgentSpec as;
    if (agent_spec_parse(policy, &as, e) || routeset_load(&rs, routes, data, e)) return -1;
    ScenarioOptions so = scenario_default_options();
    ep->scn = scenario_create(&rs.routes[0], &so, e);
    if (ep->scn) {
        snprintf(ep->caption, sizeof ep->caption, "%s  %s  seed %llu  %s", rs.routes[0].id, rs.routes[0].type,
                 (unsigned long long)rs.routes[0].seed, policy);
        ep->agent = agent_create(&as, ep->scn, NULL, e);
    }
    routeset_free(&rs);
    if (!ep->scn || !ep->agent) return -1;
    ep->w = scenario_world(ep->scn);
    ep->map = scenario_map(ep->scn);
    return 0;
}

static void episode_close(Episode *ep) {
    agent_destroy(ep->agent);
    scenario_destroy(ep->scn);
    if (ep->demo.world) demo_scene_destroy(&ep->demo);
}

/* One tick; returns 1 when the episode is over. */
static int episode_step(Episode *ep, Err *e) {
    if (!ep->scn) {
        Control c;
        world_autopilot(ep->w, &c);
        world_step(ep->w, &c);
        return world_state_const(ep->w)->ego.route_done;
    }
    Control c;
    int use;
    if (agent_act(ep->agent, ep->scn, &c, &use, e)) return -1;
    return scenario_step(ep->scn, use ? &c : NULL);
}

/* The catalogue: every built type's first val220 route, driven by the expert until its key act
 * (or the trigger) plus 1.5 s, drawn around the ego and the first scripted actor. */
static int render_catalogue(const char *out, const char *data, const char *policy, int tile, Err *e) {
    int n = scenario_type_count(), rc = 0;
    cairo_surface_t **tiles = calloc((size_t)n + 1, sizeof *tiles);
    const char **labels = calloc((size_t)n + 1, sizeof *labels);
    if (!tiles || !labels) return free(tiles), free(labels), err_set(e, "catalogue: out of memory");
    for (int t = 0; t < n && !rc; t++) {
        char sel[160];
        snprintf(sel, sizeof sel, "scenario:%s:val220", scenario_type_name(t));
        Episode ep = {0};
        if (episode_open_route(&ep, sel, data, policy, e)) {
            episode_close(&ep);
            rc = -1;
            break;
        }
        double t_moment = -1.0;
        for (int k = 0; k < 1200; k++) {
            double now = world_state_const(ep.w)->time;
            int key = scenario_acts(ep.scn) > 0 || (scenario_phase(ep.scn) != SCN_WAITING && k > 0 &&
                                                     now > scenario_trigger_time(ep.scn) + 4.0);
            if (key && t_moment < 0) t_moment = now + 1.5;
            if (t_moment >= 0 && now >= t_moment) break;
            if (episode_step(&ep, e)) break;
        }
        const int *idx;
        int na = scenario_actors(ep.scn, &idx);
        const WorldState *ws = world_state_const(ep.w);
        float cx = ws->actors[0].k.x, cy = ws->actors[0].k.y;
        for (int a = 0; a < na; a++)
            if (!(ws->actors[idx[a]].flags & AF_HIDDEN)) {
                cx = 0.5f * (cx + ws->actors[idx[a]].k.x);
                cy = 0.5f * (cy + ws->actors[idx[a]].k.y);
                break;
            }
        RenderView v = render_view_at(cx, cy, tile, tile, 70.0f);
        RenderOverlay ov = {.hide_text = 1};
        tiles[t] = render_surface(ep.w, &v, &ov, e);
        labels[t] = scenario_type_name(t);
        episode_close(&ep);
        if (!tiles[t]) rc = -1;
    }
    if (!rc) rc = render_contact_sheet(out, tiles, labels, n, 8, e);
    for (int t = 0; t < n; t++)
        if (tiles[t]) cairo_surface_destroy(tiles[t]);
    free(tiles);
    free(labels);
    return rc;
}

int cmd_render(int argc, char **argv) {
    const char *map_name = "junction4_light", *out = NULL, *frames_dir = NULL, *size = "512";
    int steps = 300, agents = 24, every = 2, whole_map = 0;
    float metres = 80.0f;
    uint64_t seed = 1;
    const char *route = NULL, *policy = "expert", *data = "data/routes";
    int catalogue = 0;
    Opt opts[] = {
        {"route", OPT_STR, &route, "draw a route instead of the demo scene: an id (eval220-017) or any --routes selection (its first route)"},
        {"policy", OPT_STR, &policy, "who drives the route: expert | weak | autopilot | CHECKPOINT.safetensors (default expert)"},
        {"catalogue", OPT_FLAG, &catalogue, "one frame per scenario type at its critical moment, as a contact sheet PNG (--out)"},
        {"data", OPT_STR, &data, "directory of the route files (default data/routes)"},
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
    if (catalogue) {
        if (!out || !ends_with(out, ".png")) { fprintf(stderr, "craft render: --catalogue needs --out FILE.png\n"); return 2; }
        rc = render_catalogue(out, data, policy, W < 480 ? W : 320, &e);
        render_shutdown();
        if (rc) { fprintf(stderr, "craft render: %s\n", e.msg); return 1; }
        printf("craft render: catalogue of %d scenario types -> %s\n", scenario_type_count(), out);
        return 0;
    }
    if (steps < 1) { fprintf(stderr, "craft render: --steps must be >= 1\n"); return 2; }
    if (every < 1) { fprintf(stderr, "craft render: --every must be >= 1\n"); return 2; }
    if (!(metres >= 1.0f && metres <= 100000.0f)) { fprintf(stderr, "craft render: --metres must be in 1..100000\n"); return 2; }
    if (!out && !frames_dir) { fprintf(stderr, "craft render: give --out FILE (.gif, .mp4, .png) or --frames DIR\n"); return 2; }
    if (out && !ends_with(out, ".gif") && !ends_with(out, ".png") && !ends_with(out, ".mp4")) {
        fprintf(stderr, "craft render: --out must end in .gif, .mp4 or .png, got '%s'\n", out);
        return 2;
    }
    Episode ep = {0};
    if (route ? episode_open_route(&ep, route, data, policy, &e) : demo_scene_create(&ep.demo, map_name, agents, seed, &e)) {
        fprintf(stderr, "craft render: %s\n", e.msg);
        episode_close(&ep);
        render_shutdown();
        return 1;
    }
    if (!route) {
        ep.w = ep.demo.world;
        ep.map = ep.demo.map;
        snprintf(ep.caption, sizeof ep.caption, "%s  seed %" PRIu64 "  %d actors", ep.map->name, seed,
                 world_state_const(ep.w)->n_actors);
    }
    World *w = ep.w;
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
    const char *lines[1] = {ep.caption};
    RenderOverlay ov = {.caption = lines, .n_caption = 1, .past_events = past};
    int streaming = sink.gif || sink.mp4 || sink.frames_dir;
    for (int step = 0; !failed && step <= steps; step++) {
        int last = step == steps || (route ? scenario_ended(ep.scn) : st->ego.route_done);
        if ((streaming && step % every == 0) || last) {
            RenderView v = whole_map ? render_view_whole_map(ep.map, W, H, 5.0f) : render_view_follow_ego(w, W, H, metres);
            ov.n_past_events = n_past;
            cairo_surface_t *s = render_surface(w, &v, &ov, &e);
            if (!s) { failed = 1; break; }
            if ((streaming && (step % every == 0 || last) && sink_add(&sink, s, &e)) ||
                (last && sink.png && render_write_png(s, sink.png, &e)))
                failed = 1;
            cairo_surface_destroy(s);
        }
        if (last) break;
        if (episode_step(&ep, &e) < 0) { failed = 1; break; }
        collect_events(st, past, &n_past);
    }
    Err ce = {{0}};
    if (gif_close(sink.gif, &ce) && !failed) { failed = 1; e = ce; }
    if (mp4_close(sink.mp4, &ce) && !failed) { failed = 1; e = ce; }
    if (!failed)
        printf("craft render: %.1f s simulated, %d frame%s written%s%s\n", st->time, sink.n_written + (sink.png != NULL),
               sink.n_written + (sink.png != NULL) == 1 ? "" : "s", out ? " to " : "", out ? out : "");
    episode_close(&ep);
    render_shutdown();
    if (failed) { fprintf(stderr, "craft render: %s\n", e.msg); return 1; }
    return 0;
}
