/* render — top-down pictures of a World: road surface, markings, signals, route, actors, the ego's
 * plan, scored candidate trajectories, events and a text overlay, drawn with cairo through a
 * RenderView (world metres → image pixels); frames go to PNG, animated GIF, MP4 or a contact sheet. */
#ifndef CRAFT_RENDER_H
#define CRAFT_RENDER_H
#include <stdint.h>
#include <cairo/cairo.h>
#include "craft/err.h"
#include "craft/traj.h"
#include "craft/world.h"

/* Fixed colours (0xRRGGBB); tests check rendered pixels against them. */
#define RENDER_COLOR_BACKGROUND 0x26302Au
#define RENDER_COLOR_DRIVING    0x4A4C50u
#define RENDER_COLOR_JUNCTION   0x53555Au
#define RENDER_COLOR_PARKING    0x3C3E44u
#define RENDER_COLOR_SHOULDER   0x44464Au
#define RENDER_COLOR_SIDEWALK   0x8C8A84u
#define RENDER_COLOR_MARKING    0xE6E6E6u
#define RENDER_COLOR_CENTRE     0xE8C33Au /* solid line between opposite directions */
#define RENDER_COLOR_ROUTE      0x3C8CFFu
#define RENDER_COLOR_PLAN       0xFF4FE0u
#define RENDER_COLOR_EGO        0x19D2FFu

/* The colour an actor of this type is filled with (the ego has RENDER_COLOR_EGO). */
uint32_t render_actor_color(ActorType t);

/* Where the camera looks. A world point (x, y) maps to pixels by
 *   dx = x - cx, dy = y - cy, u =  cos(rot)·dx + sin(rot)·dy, v = -sin(rot)·dx + cos(rot)·dy,
 *   px = width/2 + scale·u, py = height/2 - scale·v
 * so with rotation 0 world +x points right and +y points up in the image. */
typedef struct {
    int width, height;     /* pixels */
    float cx, cy;          /* world point at the image centre */
    float scale;           /* pixels per metre */
    float rotation;        /* world direction that points right in the image, radians */
} RenderView;

/* Centred on the ego (actor 0; the map centre if the world has no ego), metres_across metres wide. */
RenderView render_view_follow_ego(const World *w, int width_px, int height_px, float metres_across);
/* Centred on (x, y), metres_across metres wide. */
RenderView render_view_at(float x, float y, int width_px, int height_px, float metres_across);
/* The whole map (its bounding box plus margin_m metres) fitted into the image. */
RenderView render_view_whole_map(const Map *m, int width_px, int height_px, float margin_m);
/* 0 if the view is usable (positive size ≤ 16384 px, finite centre, positive finite scale). */
int render_view_check(const RenderView *v, Err *e);
/* World → continuous image coordinates; the point lies in pixel (floor(px), floor(py)). */
void render_world_to_px(const RenderView *v, float x, float y, float *px, float *py);

/* What to draw on top of the scene. A zeroed struct (or NULL) draws route, plan, events and the
 * time/speed line. */
typedef struct {
    const char *const *caption;  /* extra text lines under the time/speed line */
    int n_caption;
    /* candidate trajectories in the ego frame (relative to actor 0's current pose), coloured by
     * score from red (score_lo) through yellow to green (score_hi); the best one is drawn last and
     * thicker. score_lo == score_hi: the range of the given scores. scores may be NULL (all grey). */
    const Traj *candidates;
    const float *scores;
    int n_candidates;
    float score_lo, score_hi;
    /* events from earlier steps to keep marking (e.g. every collision so far), besides the
     * current step's WorldState.events */
    const Event *past_events;
    int n_past_events;
    uint8_t hide_route, hide_plan, hide_events, hide_text;
} RenderOverlay;

/* Draws one frame into cr (the whole view rectangle, from (0, 0) in cr's current user space).
 * Returns -1 with e set on a bad view or NULL arguments. Leaves cr's state as it found it. */
int render_frame(cairo_t *cr, const World *w, const RenderView *v, const RenderOverlay *ov, Err *e);
/* A new ARGB32 surface of the view's size with the frame drawn; NULL with e set on failure. */
cairo_surface_t *render_surface(const World *w, const RenderView *v, const RenderOverlay *ov, Err *e);
/* Renders and writes a PNG. */
int render_png(const char *path, const World *w, const RenderView *v, const RenderOverlay *ov, Err *e);
/* Writes a surface as PNG with a one-line error (unwritable path, ...). */
int render_write_png(cairo_surface_t *s, const char *path, Err *e);

/* Tiles in a grid of `cols` columns, each with its label (labels may be NULL or hold NULLs)
 * centred underneath; tiles may differ in size (cells take the largest). Writes a PNG. */
int render_contact_sheet(const char *path, cairo_surface_t **tiles, const char **labels, int n, int cols, Err *e);

/* Releases the process-wide font caches that cairo's text drawing fills (cairo's static data and
 * fontconfig's configuration), so leak checkers see a clean exit. Call once before exiting, when no
 * cairo object is alive any more; drawing text afterwards re-initialises them. Not thread-safe. */
void render_shutdown(void);

/* ---- Animated GIF: every frame is quantised to a fixed palette (a 6×6×6 colour cube plus 40
 * greys), so the output depends only on the pixels. Loops forever; delay_cs per frame (1/100 s). */
typedef struct GifWriter GifWriter;
GifWriter *gif_open(const char *path, int width, int height, int delay_cs, Err *e);
/* The surface must be ARGB32 or RGB24 of the writer's size. */
int gif_add_frame(GifWriter *g, cairo_surface_t *s, Err *e);
/* Finishes the file and frees g (also after an error); returns -1 if the file could not be completed. */
int gif_close(GifWriter *g, Err *e);
/* Palette index a pixel quantises to, and the palette entry (0xRRGGBB); exposed for tests. */
int gif_palette_index(uint8_t r, uint8_t g, uint8_t b);
uint32_t gif_palette_color(int index);

/* ---- MP4 through the `ffmpeg` program (H.264, yuv420p), fed raw frames over a pipe. Fails with
 * a clear message when ffmpeg is not on PATH. width and height must be even. */
typedef struct Mp4Writer Mp4Writer;
Mp4Writer *mp4_open(const char *path, int width, int height, int fps, Err *e);
int mp4_add_frame(Mp4Writer *m, cairo_surface_t *s, Err *e);
int mp4_close(Mp4Writer *m, Err *e);

#endif
