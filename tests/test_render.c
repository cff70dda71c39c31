/* Render tests: the view transform against its closed form; pixels of a known scene (ego, a far
 * lane, off-road, hidden and door-open actors, plan, best candidate, event marker) against the
 * colours the renderer documents; bad input; byte-identical PNGs for identical scenes. */
#include <criterion/criterion.h>
#include <math.h>
#include "craft/demo.h"
#include "craft/render.h"
#include "render/render_internal.h"
#include "test_render_util.h"

/* text drawing fills cairo/fontconfig caches: release them so ASan sees no leak */
TestSuite(render, .fini = render_shutdown);

typedef struct {
    Map *m;
    Route r;
    World *w;
    int far_lane;          /* the driving lane farthest to the side of the ego's */
    float far_x, far_y;    /* its centreline abreast of the ego */
    float nx, ny;          /* unit normal to the ego's lane (left) */
} Scene;

/* A 2+2-lane straight road, the ego standing on a forward lane 60 m in, nothing else. */
static void scene_make(Scene *sc) {
    Err e = {{0}};
    MapParams mp;
    cr_assert_eq(map_params_from_name("straight:length=200", &mp, &e), 0, "%s", e.msg);
    sc->m = map_build(&mp, &e);
    cr_assert(sc->m, "%s", e.msg);
    int lane = -1;
    for (int i = 0; i < sc->m->n_lanes && lane < 0; i++)
        if (sc->m->lanes[i].kind == LANE_DRIVING && sc->m->lanes[i].n_pred == 0) lane = i;
    cr_assert_geq(lane, 0);
    cr_assert_eq(route_build(sc->m, &lane, 1, 60.0f, -1.0f, 1.0f, &sc->r, &e), 0, "%s", e.msg);
    sc->w = world_create(sc->m, &sc->r, NULL, 1, &e);
    cr_assert(sc->w, "%s", e.msg);
    cr_assert_eq(world_add_ego(sc->w, 0.0f), 0);
    const Actor *ego = &world_state_const(sc->w)->actors[0];
    sc->nx = -sinf(ego->k.heading);
    sc->ny = cosf(ego->k.heading);
    float best = 0.0f;
    sc->far_lane = -1;
    for (int i = 0; i < sc->m->n_lanes; i++) {
        if (sc->m->lanes[i].kind != LANE_DRIVING) continue;
        LaneProj p;
        map_project(sc->m, i, ego->k.x, ego->k.y, -1, &p);
        if (fabsf(p.d) > best) {
            best = fabsf(p.d);
            sc->far_lane = i;
            map_lane_pose(sc->m, i, p.s, &sc->far_x, &sc->far_y, &(float){0});
        }
    }
    /* 2+2 lanes of 3.5 m: the outermost lane on the other side is 2 (ego on the inner lane) or 3
     * (outer lane) lane widths away */
    cr_assert(fabsf(best - 7.0f) < 0.05f || fabsf(best - 10.5f) < 0.05f, "far lane at %g m, want 7 or 10.5 m", best);
}

static void scene_free(Scene *sc) {
    world_destroy(sc->w);
    route_free(&sc->r);
    map_destroy(sc->m);
}

static cairo_surface_t *draw(const Scene *sc, const RenderView *v, const RenderOverlay *ov) {
    Err e = {{0}};
    cairo_surface_t *s = render_surface(sc->w, v, ov, &e);
    cr_assert(s, "%s", e.msg);
    return s;
}

static uint32_t pixel_at_world(cairo_surface_t *s, const RenderView *v, float x, float y) {
    float px, py;
    render_world_to_px(v, x, y, &px, &py);
    return test_pixel(s, px, py);
}

Test(render, view_transform_closed_form) {
    RenderView v = render_view_at(10.0f, 20.0f, 200, 100, 40.0f);
    cr_assert_float_eq(v.scale, 5.0f, 1e-6f);
    float px, py;
    render_world_to_px(&v, 14.0f, 18.0f, &px, &py); /* 4 m right, 2 m down of the centre */
    cr_assert_float_eq(px, 100.0f + 20.0f, 1e-3f);
    cr_assert_float_eq(py, 50.0f + 10.0f, 1e-3f);
    v.rotation = (float)M_PI / 2; /* world +y points right: u = dy = -2, v = -dx = -4 */
    render_world_to_px(&v, 14.0f, 18.0f, &px, &py);
    cr_assert_float_eq(px, 100.0f - 10.0f, 1e-3f);
    cr_assert_float_eq(py, 50.0f + 20.0f, 1e-3f);
}

Test(render, ego_far_lane_and_off_road_pixels) {
    Scene sc;
    scene_make(&sc);
    RenderView v = render_view_follow_ego(sc.w, 200, 200, 40.0f); /* 5 px/m */
    cr_assert_float_eq(v.scale, 5.0f, 1e-6f);
    cairo_surface_t *s = draw(&sc, &v, NULL);
    const Actor *ego = &world_state_const(sc.w)->actors[0];
    float px, py;
    render_world_to_px(&v, ego->k.x, ego->k.y, &px, &py);
    cr_assert_float_eq(px, 100.0f, 1e-3f);
    cr_assert_float_eq(py, 100.0f, 1e-3f);
    assert_color(test_pixel(s, px, py), RENDER_COLOR_EGO, 0, "ego centre");
    assert_color(pixel_at_world(s, &v, sc.far_x, sc.far_y), RENDER_COLOR_DRIVING, 0, "far lane centre");
    /* 14 m beside the ego's lane: past the 7 m half-width of the road on either side */
    for (int side = -1; side <= 1; side += 2) {
        float d = 14.0f * side;
        assert_color(pixel_at_world(s, &v, ego->k.x + 4.0f * sc.ny + d * sc.nx, ego->k.y - 4.0f * sc.nx + d * sc.ny),
                     RENDER_COLOR_BACKGROUND, 0, "off road");
    }
    cairo_surface_destroy(s);
    scene_free(&sc);
}

Test(render, hidden_actor_not_drawn) {
    Scene sc;
    scene_make(&sc);
    float h = world_state_const(sc.w)->actors[0].k.heading;
    Actor box = actor_make_static(ACTOR_STATIC, sc.far_x, sc.far_y, h, 4.0f, 2.0f);
    box.flags |= AF_HIDDEN;
    int idx = world_add_actor(sc.w, &box);
    cr_assert_geq(idx, 1);
    RenderView v = render_view_follow_ego(sc.w, 200, 200, 40.0f);
    cairo_surface_t *s = draw(&sc, &v, NULL);
    assert_color(pixel_at_world(s, &v, sc.far_x, sc.far_y), RENDER_COLOR_DRIVING, 0, "hidden actor");
    cairo_surface_destroy(s);
    world_state(sc.w)->actors[idx].flags &= (uint16_t)~AF_HIDDEN;
    s = draw(&sc, &v, NULL);
    assert_color(pixel_at_world(s, &v, sc.far_x, sc.far_y), render_actor_color(ACTOR_STATIC), 0, "visible actor");
    cairo_surface_destroy(s);
    scene_free(&sc);
}

Test(render, door_open_panel) {
    Scene sc;
    scene_make(&sc);
    float h = world_state_const(sc.w)->actors[0].k.heading;
    Actor car = actor_make_static(ACTOR_CAR, sc.far_x, sc.far_y, h, 4.4f, 1.8f);
    int idx = world_add_actor(sc.w, &car);
    RenderView v = render_view_at(sc.far_x, sc.far_y, 200, 200, 20.0f); /* 10 px/m */
    /* door panel: box x in [0.1·hl, 0.1·hl + 0.8], y from the left side outwards by 1 m
     * (actor_obb widens the footprint by 0.5 m on each half-width) */
    float hl = 2.2f, bx = 0.1f * hl + 0.4f, by = 0.9f + 0.5f, x, y;
    from_frame(sc.far_x, sc.far_y, h, bx, by, &x, &y);
    cairo_surface_t *s = draw(&sc, &v, NULL);
    uint32_t closed = pixel_at_world(s, &v, x, y);
    cairo_surface_destroy(s);
    world_state(sc.w)->actors[idx].flags |= AF_DOOR_OPEN;
    s = draw(&sc, &v, NULL);
    uint32_t open = pixel_at_world(s, &v, x, y);
    cairo_surface_destroy(s);
    cr_assert_neq(closed, shade(render_actor_color(ACTOR_CAR), 0.8f), "door colour without a door");
    assert_color(open, shade(render_actor_color(ACTOR_CAR), 0.8f), 1, "open door");
    scene_free(&sc);
}

Test(render, plan_candidates_and_events) {
    Scene sc;
    scene_make(&sc);
    /* plan: straight ahead, waypoints 2, 4, ... m */
    Traj t = {.n = 6};
    for (int i = 0; i < t.n; i++) t.x[i] = 2.0f * (i + 1);
    world_set_plan(sc.w, &t);
    const Actor *ego = &world_state_const(sc.w)->actors[0];
    float ex = ego->k.x, ey = ego->k.y, eh = ego->k.heading;
    /* candidates: one veering right (score 0), one veering left (score 1, the best) */
    Traj cand[2] = {{.n = 4}, {.n = 4}};
    for (int i = 0; i < 4; i++) {
        cand[0].x[i] = cand[1].x[i] = 3.0f * (i + 1);
        cand[0].y[i] = -1.0f * (i + 1);
        cand[1].y[i] = 1.0f * (i + 1);
    }
    float scores[2] = {0.0f, 1.0f};
    Event past = {.kind = EV_COLLISION, .x = sc.far_x, .y = sc.far_y, .actor = 0, .other = -1};
    RenderOverlay ov = {.candidates = cand, .scores = scores, .n_candidates = 2, .past_events = &past, .n_past_events = 1};
    RenderView v = render_view_follow_ego(sc.w, 200, 200, 40.0f);
    cairo_surface_t *s = draw(&sc, &v, &ov);
    float x, y;
    /* the plan's 5th waypoint (10 m ahead, past the ego's 4.5 m body): the plan at alpha 0.9 over
     * the route (alpha 0.8) over the lane */
    uint32_t route_on_lane = test_blend(RENDER_COLOR_DRIVING, RENDER_COLOR_ROUTE, 0.8);
    from_frame(ex, ey, eh, 10.0f, 0.0f, &x, &y);
    assert_color(pixel_at_world(s, &v, x, y), test_blend(route_on_lane, RENDER_COLOR_PLAN, 0.9), 2, "plan waypoint");
    /* best candidate's last waypoint (12, 4): an opaque dot in the top score colour */
    from_frame(ex, ey, eh, 12.0f, 4.0f, &x, &y);
    assert_color(pixel_at_world(s, &v, x, y), render_score_color(1.0f), 0, "best candidate");
    assert_color(render_score_color(1.0f), 0x00E628u, 0, "score 1");
    assert_color(render_score_color(0.5f), 0xE6E628u, 0, "score 0.5");
    assert_color(render_score_color(0.0f), 0xE62828u, 0, "score 0");
    /* the collision marker's centre: both strokes of the X cover it */
    assert_color(pixel_at_world(s, &v, sc.far_x, sc.far_y), 0xFF1E1Eu, 2, "collision marker");
    cairo_surface_destroy(s);
    ov.hide_events = ov.hide_plan = 1;
    s = draw(&sc, &v, &ov);
    assert_color(pixel_at_world(s, &v, sc.far_x, sc.far_y), RENDER_COLOR_DRIVING, 0, "hidden events");
    from_frame(ex, ey, eh, 10.0f, 0.0f, &x, &y);
    assert_color(pixel_at_world(s, &v, x, y), route_on_lane, 2, "hidden plan: the route over the lane");
    cairo_surface_destroy(s);
    scene_free(&sc);
}

Test(render, bad_input_is_an_error) {
    Scene sc;
    scene_make(&sc);
    Err e = {{0}};
    RenderView v = render_view_follow_ego(sc.w, 0, 100, 40.0f);
    cr_assert_eq(render_png("/tmp/craft_never_written.png", sc.w, &v, NULL, &e), -1);
    cr_assert(strstr(e.msg, "size"), "%s", e.msg);
    v = render_view_follow_ego(sc.w, 100, 100, 0.0f); /* infinite scale */
    cr_assert_eq(render_view_check(&v, &e), -1);
    v = render_view_at(NAN, 0.0f, 100, 100, 40.0f);
    cr_assert_eq(render_view_check(&v, &e), -1);
    cr_assert(strstr(e.msg, "finite"), "%s", e.msg);
    v = render_view_follow_ego(sc.w, 64, 64, 40.0f);
    cr_assert_eq(render_png("/nonexistent-dir/x.png", sc.w, &v, NULL, &e), -1);
    cr_assert(strstr(e.msg, "cannot write /nonexistent-dir/x.png"), "%s", e.msg);
    cr_assert_eq(render_png("", sc.w, &v, NULL, &e), -1);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
    cairo_t *cr = cairo_create(s);
    cr_assert_eq(render_frame(cr, NULL, &v, NULL, &e), -1);
    RenderOverlay ov = {.n_candidates = 3};
    cr_assert_eq(render_frame(cr, sc.w, &v, &ov, &e), -1);
    cr_assert(strstr(e.msg, "candidates"), "%s", e.msg);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    scene_free(&sc);
}

/* The demo scene after 20 autopilot ticks, rendered to path. */
static void demo_png(const char *path, uint64_t seed) {
    DemoScene d;
    Err e = {{0}};
    cr_assert_eq(demo_scene_create(&d, "junction4_light", 16, seed, &e), 0, "%s", e.msg);
    for (int i = 0; i < 20; i++) {
        Control c;
        world_autopilot(d.world, &c);
        world_step(d.world, &c);
    }
    const char *lines[1] = {"caption"};
    RenderOverlay ov = {.caption = lines, .n_caption = 1};
    RenderView v = render_view_follow_ego(d.world, 160, 120, 60.0f);
    cr_assert_eq(render_png(path, d.world, &v, &ov, &e), 0, "%s", e.msg);
    demo_scene_destroy(&d);
}

Test(render, deterministic_png_bytes) {
    char dir[64], a[128], b[128], c[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(b, sizeof b, "%s/b.png", dir);
    snprintf(c, sizeof c, "%s/c.png", dir);
    demo_png(a, 5);
    demo_png(b, 5);
    demo_png(c, 6);
    size_t na, nb, nc;
    unsigned char *pa = test_read_file(a, &na), *pb = test_read_file(b, &nb), *pc = test_read_file(c, &nc);
    cr_assert_gt(na, 8);
    cr_assert_eq(memcmp(pa, "\x89PNG\r\n\x1a\n", 8), 0, "not a PNG");
    cr_assert(na == nb && !memcmp(pa, pb, na), "same scene, different PNG bytes");
    cr_assert(na != nc || memcmp(pa, pc, na), "different seeds gave identical images");
    free(pa); free(pb); free(pc);
    test_rm_dir(dir);
}

Test(render, contact_sheet_layout) {
    char dir[64], path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/sheet.png", dir);
    static const uint32_t colors[3] = {0xFF0000u, 0x00FF00u, 0x0000FFu};
    cairo_surface_t *tiles[3];
    for (int i = 0; i < 3; i++) {
        tiles[i] = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 40, 30);
        cairo_t *cr = cairo_create(tiles[i]);
        set_rgb(cr, colors[i]);
        cairo_paint(cr);
        cairo_destroy(cr);
    }
    const char *labels[3] = {"a", "b", NULL};
    Err e = {{0}};
    cr_assert_eq(render_contact_sheet(path, tiles, labels, 3, 2, &e), 0, "%s", e.msg);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    cr_assert_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    /* 2 columns of (40 + 6) plus 6; 2 rows of (30 + 22 label + 6) plus 6 */
    cr_assert_eq(cairo_image_surface_get_width(s), 98);
    cr_assert_eq(cairo_image_surface_get_height(s), 122);
    assert_color(test_pixel(s, 6 + 20, 6 + 15), colors[0], 0, "tile 0");
    assert_color(test_pixel(s, 6 + 46 + 20, 6 + 15), colors[1], 0, "tile 1");
    assert_color(test_pixel(s, 6 + 20, 6 + 58 + 15), colors[2], 0, "tile 2 (second row)");
    cairo_surface_destroy(s);
    cr_assert_eq(render_contact_sheet(path, tiles, labels, 3, 0, &e), -1);
    cr_assert_eq(render_contact_sheet(path, tiles, labels, 0, 2, &e), -1);
    cr_assert_eq(render_contact_sheet("/nonexistent-dir/s.png", tiles, labels, 3, 2, &e), -1);
    cr_assert(strstr(e.msg, "cannot write"), "%s", e.msg);
    for (int i = 0; i < 3; i++) cairo_surface_destroy(tiles[i]);
    test_rm_dir(dir);
}
