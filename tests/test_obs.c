/* Observation tests: invariance of the whole Obs to a rigid motion of the world, agent ordering and
 * features against hand-placed actors, route points and map polylines on a straight road, the
 * navigation command on junction and lane-change routes, the BEV raster and the instruction. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/demo.h"
#include "craft/geom.h"
#include "craft/obs.h"

static Map *build(const char *name) {
    MapParams p;
    Err e;
    cr_assert_eq(map_params_from_name(name, &p, &e), 0, "%s", e.msg);
    Map *m = map_build(&p, &e);
    cr_assert(m, "%s", e.msg);
    return m;
}

/* ---- rigid motion of a whole scene ----------------------------------------------------------- */
typedef struct { float c, s, tx, ty, th; } Rigid;

static void rigid_pt(const Rigid *g, float *x, float *y) {
    float nx = g->c * *x - g->s * *y + g->tx, ny = g->s * *x + g->c * *y + g->ty;
    *x = nx, *y = ny;
}

/* A copy of the map with every coordinate moved (no spatial grid: obs_encode_state needs none). */
static Map map_moved(const Map *m, const Rigid *g) {
    Map c = *m;
    c.grid = NULL;
    c.points = malloc((size_t)m->n_points * sizeof *c.points);
    memcpy(c.points, m->points, (size_t)m->n_points * sizeof *c.points);
    for (int i = 0; i < m->n_points; i++) {
        rigid_pt(g, &c.points[i].x, &c.points[i].y);
        c.points[i].heading = wrap_angle(c.points[i].heading + g->th);
    }
    c.crosswalks = malloc((size_t)(m->n_crosswalks + 1) * sizeof *c.crosswalks);
    if (m->n_crosswalks) memcpy(c.crosswalks, m->crosswalks, (size_t)m->n_crosswalks * sizeof *c.crosswalks);
    for (int i = 0; i < m->n_crosswalks; i++)
        for (int k = 0; k < 4; k++) rigid_pt(g, &c.crosswalks[i].x[k], &c.crosswalks[i].y[k]);
    for (int i = 0; i < m->n_lights; i++) rigid_pt(g, &c.lights[i].x, &c.lights[i].y);
    return c;
}

static Route route_moved(const Route *r, const Rigid *g) {
    Route c = *r;
    c.pts = malloc((size_t)r->n * sizeof *c.pts);
    memcpy(c.pts, r->pts, (size_t)r->n * sizeof *c.pts);
    for (int i = 0; i < r->n; i++) {
        rigid_pt(g, &c.pts[i].x, &c.pts[i].y);
        c.pts[i].heading = wrap_angle(c.pts[i].heading + g->th);
    }
    return c;
}

static void state_move(WorldState *st, const Rigid *g) {
    for (int i = 0; i < st->n_actors; i++) {
        Actor *a = &st->actors[i];
        rigid_pt(g, &a->k.x, &a->k.y);
        a->k.heading = wrap_angle(a->k.heading + g->th);
    }
}

static void assert_close(const float *a, const float *b, int n, float tol, const char *what) {
    for (int i = 0; i < n; i++)
        cr_assert(fabsf(a[i] - b[i]) <= tol, "%s[%d]: %g vs %g", what, i, (double)a[i], (double)b[i]);
}

static void check_invariance(const char *map_name, uint64_t seed, float angle) {
    DemoScene d;
    Err e;
    cr_assert_eq(demo_scene_create(&d, map_name, 40, seed, &e), 0, "%s", e.msg);
    for (int k = 0; k < 60; k++) { Control c; world_autopilot(d.world, &c); world_step(d.world, &c); }
    Rigid g = {cosf(angle), sinf(angle), 123.4f, -56.7f, angle};
    Map mm = map_moved(d.map, &g);
    Route rm = route_moved(&d.route, &g);
    static WorldState sm;
    sm = *world_state_const(d.world);
    state_move(&sm, &g);
    static Obs a, b;
    ObsConfig cfg = obs_default_config();
    cfg.with_bev = 1;
    cr_assert_eq(obs_encode(d.world, &cfg, &a, &e), 0, "%s", e.msg);
    cr_assert_eq(obs_encode_state(&mm, &rm, &sm, &cfg, &b, &e), 0, "%s", e.msg);
    /* float32 rotation of coordinates ~100 m from the origin: errors ~1e-5 m; 2e-3 is generous yet
     * any frame mistake (world instead of ego coordinates, wrong sign) is off by metres. */
    assert_close(a.ego, b.ego, OBS_EGO_DIM, 1e-4f, "ego");
    assert_close(a.route, b.route, OBS_ROUTE_PTS * OBS_ROUTE_DIM, 2e-3f, "route");
    assert_close(a.agents, b.agents, OBS_AGENTS * OBS_AGENT_DIM, 2e-3f, "agents");
    assert_close(a.map_pts, b.map_pts, OBS_MAP_POLYS * OBS_MAP_PTS * OBS_MAP_PT_DIM, 2e-3f, "map_pts");
    assert_close(a.map_meta, b.map_meta, OBS_MAP_POLYS * OBS_MAP_META_DIM, 1e-6f, "map_meta");
    cr_assert_eq(a.command, b.command);
    cr_assert_eq(memcmp(a.instr, b.instr, sizeof a.instr), 0);
    /* Raster cells whose centre sits within float error of an edge may flip; allow 0.5 % of cells. */
    int differ = 0, set = 0;
    for (int i = 0; i < OBS_BEV_CH * OBS_BEV * OBS_BEV; i++) differ += a.bev[i] != b.bev[i], set += a.bev[i] > 0;
    cr_assert_leq(differ, OBS_BEV_CH * OBS_BEV * OBS_BEV / 200, "%d raster cells differ", differ);
    cr_assert_gt(set, 200, "raster nearly empty (%d cells)", set);
    int n_agents = 0;
    for (int k = 0; k < OBS_AGENTS; k++) n_agents += a.agents[k * OBS_AGENT_DIM + 15] > 0;
    cr_assert_gt(n_agents, 0, "the scene should have agents near the ego");
    free(mm.points);
    free(mm.crosswalks);
    free(rm.pts);
    demo_scene_destroy(&d);
}

Test(obs, invariant_to_rigid_motion_of_the_world) {
    check_invariance("junction4_light", 7, 0.7f);
    check_invariance("highway", 3, -2.3f);
    check_invariance("tjunction_stop", 11, 2.9f);
}

/* ---- a straight one-way road with hand-placed actors ---------------------------------------- */
typedef struct { Map *m; Route r; World *w; int lane; } Straight;

static void straight_create(Straight *s, float s_start) {
    s->m = build("straight:length=300,lanes_fwd=2,lanes_bwd=0");
    s->lane = -1;
    for (int l = 0; l < s->m->n_lanes && s->lane < 0; l++)
        if (s->m->lanes[l].kind == LANE_DRIVING && s->m->lanes[l].left >= 0 && !s->m->lanes[l].left_opposite) s->lane = l;
    cr_assert_geq(s->lane, 0);
    Err e;
    cr_assert_eq(route_build(s->m, &s->lane, 1, s_start, -1.0f, 1.0f, &s->r, &e), 0, "%s", e.msg);
    WorldConfig cfg = world_default_config();
    s->w = world_create(s->m, &s->r, &cfg, 1, &e);
    cr_assert(s->w, "%s", e.msg);
    cr_assert_geq(world_add_ego(s->w, 5.0f), 0);
}

static void straight_destroy(Straight *s) {
    world_destroy(s->w);
    route_free(&s->r);
    map_destroy(s->m);
}

static int add_at(Straight *s, ActorType type, float fx, float fy, float dh, float speed) {
    const KinState *ego = &world_state(s->w)->actors[0].k;
    float x, y;
    from_frame(ego->x, ego->y, ego->heading, fx, fy, &x, &y);
    Actor a = actor_make_static(type, x, y, ego->heading + dh, 4.5f, 2.0f);
    a.k.speed = speed;
    return world_add_actor(s->w, &a);
}

Test(obs, agents_sorted_with_hand_computed_features) {
    Straight s;
    straight_create(&s, 50.0f);
    add_at(&s, ACTOR_CAR, 20.0f, 0.0f, 0.0f, 0.0f);          /* d = 20   */
    add_at(&s, ACTOR_PEDESTRIAN, 5.0f, 3.5f, 1.2f, 1.5f);    /* d = 6.10 */
    add_at(&s, ACTOR_TRUCK, -10.0f, -3.5f, 0.3f, 3.0f);      /* d = 10.6 */
    add_at(&s, ACTOR_CAR, 70.0f, 0.0f, 0.0f, 0.0f);          /* beyond the 60 m radius */
    int hid = add_at(&s, ACTOR_CAR, 8.0f, 0.0f, 0.0f, 0.0f);
    world_state(s.w)->actors[hid].flags |= AF_HIDDEN;        /* not in the world yet */
    static Obs o;
    Err e;
    cr_assert_eq(obs_encode(s.w, NULL, &o, &e), 0, "%s", e.msg);
    const float want[3][9] = {
        /* x, y, dh, speed, type slot */
        {5.0f, 3.5f, 1.2f, 1.5f, 5}, {-10.0f, -3.5f, 0.3f, 3.0f, 2}, {20.0f, 0.0f, 0.0f, 0.0f, 0}};
    for (int k = 0; k < 3; k++) {
        const float *a = &o.agents[k * OBS_AGENT_DIM];
        float dh = want[k][2], v = want[k][3];
        float exp[OBS_AGENT_DIM] = {want[k][0], want[k][1], cosf(dh), sinf(dh), v * cosf(dh), v * sinf(dh), 4.5f, 2.0f};
        exp[8 + (int)want[k][4]] = 1.0f;
        exp[15] = 1.0f;
        assert_close(a, exp, OBS_AGENT_DIM, 1e-4f, "agent");
    }
    for (int i = 3 * OBS_AGENT_DIM; i < OBS_AGENTS * OBS_AGENT_DIM; i++) cr_assert_eq(o.agents[i], 0.0f, "slot %d", i);
    /* ego: speed 5, static, on a non-junction lane, 250 m of route left */
    cr_assert_float_eq(o.ego[0], 5.0f, 1e-6f);
    cr_assert_float_eq(o.ego[5], s.m->lanes[s.lane].speed_limit, 1e-6f);
    cr_assert_float_eq(o.ego[6], 2.5f, 1e-3f);
    cr_assert_eq(o.ego[7], 0.0f);
    /* route: straight ahead every 2 m */
    for (int k = 0; k < OBS_ROUTE_PTS; k++) {
        const float *q = &o.route[k * OBS_ROUTE_DIM];
        cr_assert_float_eq(q[0], 2.0f * (k + 1), 2e-3f);
        cr_assert_float_eq(q[1], 0.0f, 2e-3f);
        cr_assert_float_eq(q[2], 1.0f, 1e-5f);
    }
    cr_assert_eq(o.command, CMD_FOLLOW);
    cr_assert_eq(o.has_bev, 0);
    straight_destroy(&s);
}

Test(obs, map_polylines_on_a_straight_road) {
    Straight s;
    straight_create(&s, 53.0f);
    static Obs o;
    Err e;
    cr_assert_eq(obs_encode(s.w, NULL, &o, &e), 0, "%s", e.msg);
    float hw = 0.5f * s.m->lanes[s.lane].width, lw = s.m->lanes[s.lane].width;
    int n_valid = 0, n_centre = 0, n_bound = 0;
    float prev_key = -1.0f;
    for (int i = 0; i < OBS_MAP_POLYS; i++) {
        const float *meta = &o.map_meta[i * OBS_MAP_META_DIM], *p = &o.map_pts[i * OBS_MAP_PTS * 2];
        if (meta[9] == 0.0f) {
            for (int j = 0; j < OBS_MAP_PTS * 2; j++) cr_assert_eq(p[j], 0.0f);
            for (int j = 0; j < OBS_MAP_META_DIM; j++) cr_assert_eq(meta[j], 0.0f);
            continue;
        }
        n_valid++;
        cr_assert_eq(meta[0] + meta[1] + meta[2] + meta[3], 1.0f);
        cr_assert_eq(meta[7], 1.0f, "no lights on this road");
        /* every polyline is parallel to the road: constant y, 20 m pieces sampled every 20/9 m */
        float key = 0.0f; /* ranking key: mean distance of the points (+10 m for boundaries) */
        for (int j = 0; j < OBS_MAP_PTS; j++) {
            cr_assert_float_eq(p[2 * j + 1], p[1], 1e-3f);
            key += hypotf(p[2 * j], p[2 * j + 1]) / OBS_MAP_PTS;
            if (j) cr_assert_float_eq(p[2 * j] - p[2 * j - 2], 20.0f / 9.0f, 1e-3f);
        }
        float y = p[1];
        if (meta[0] == 1.0f) {  /* centrelines at y = 0 (ego lane) or y = +lane width (left lane) */
            n_centre++;
            cr_assert(fabsf(y) < 1e-3f || fabsf(y - lw) < 1e-3f, "centreline at y = %g", (double)y);
        } else {
            cr_assert_eq(meta[1], 1.0f);
            n_bound++;
            key += 10.0f;
            cr_assert(fabsf(y + hw) < 1e-3f || fabsf(y - hw) < 1e-3f || fabsf(y - hw - lw) < 1e-3f,
                      "boundary at y = %g", (double)y);
        }
        cr_assert_geq(key, prev_key - 0.011f, "polylines not sorted by distance (1 cm bins)");
        prev_key = key;
        cr_assert_float_eq(meta[8], s.m->lanes[s.lane].speed_limit / 20.0f, 1e-6f);
    }
    /* ego at s = 53 on a 300 m lane: a line at lateral offset y is listed where |s - 53| <= sqrt(50² - y²)
     * (>= 49.7 m for |y| <= 5.25), i.e. s in [3.3, 102.7]: the pieces [0,20] .. [100,120] (6 of them,
     * samples every 20/9 m reach s = 20 and s = 100, 102.2) of 5 lines (2 centrelines, 3 boundaries) */
    cr_assert_float_eq(s.m->lanes[s.lane].length, 300.0f, 1e-2f);
    cr_assert_eq(n_valid, 30);
    cr_assert_eq(n_centre, 12);
    cr_assert_eq(n_bound, 18);
    straight_destroy(&s);
}

/* ---- navigation command ---------------------------------------------------------------------- */
static void place_ego(World *w, const Map *m, int lane, float s) {
    KinState *k = &world_state(w)->actors[0].k;
    map_lane_pose(m, lane, s, &k->x, &k->y, &k->heading);
}

static void check_turn(const Map *m, int turn, NavCommand want) {
    int conn = -1;
    for (int l = 0; l < m->n_lanes && conn < 0; l++) {
        const Lane *c = &m->lanes[l];
        if (c->junction >= 0 && c->turn == turn && c->n_pred > 0 && c->n_succ > 0 &&
            m->lanes[c->pred[0]].length > 70.0f)
            conn = l;
    }
    cr_assert_geq(conn, 0, "no connector with turn %d", turn);
    int lanes[3] = {m->lanes[conn].pred[0], conn, m->lanes[conn].succ[0]};
    float len = m->lanes[lanes[0]].length;
    Route r;
    Err e;
    cr_assert_eq(route_build(m, lanes, 3, len - 60.0f, -1.0f, 1.0f, &r, &e), 0, "%s", e.msg);
    WorldConfig cfg = world_default_config();
    World *w = world_create(m, &r, &cfg, 1, &e);
    world_add_ego(w, 5.0f);
    cr_assert_eq(obs_command(w), CMD_FOLLOW, "60 m before the junction");
    place_ego(w, m, lanes[0], len - 20.0f);
    cr_assert_eq(obs_command(w), want, "20 m before the junction: %s", nav_command_name(obs_command(w)));
    place_ego(w, m, conn, 0.5f * m->lanes[conn].length);
    cr_assert_eq(obs_command(w), want, "inside the junction");
    static Obs o;
    ObsConfig oc = obs_default_config();
    oc.with_bev = 1;
    cr_assert_eq(obs_encode(w, &oc, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.ego[7], 1.0f, "in junction");
    cr_assert_eq(o.instr[0], TOK_BOS);
    cr_assert_eq(o.instr[1], TOK_FOLLOW + (int)want);
    world_destroy(w);
    route_free(&r);
}

Test(obs, command_left_right_straight_at_a_junction) {
    Map *m = build("junction4_light");
    check_turn(m, TURN_LEFT, CMD_LEFT);
    check_turn(m, TURN_RIGHT, CMD_RIGHT);
    check_turn(m, TURN_STRAIGHT, CMD_STRAIGHT);
    map_destroy(m);
}

Test(obs, command_change_lane) {
    Map *m = build("straight:length=200,lanes_fwd=2,lanes_bwd=0");
    for (int side = 0; side < 2; side++) {
        int from = -1;
        for (int l = 0; l < m->n_lanes && from < 0; l++) {
            const Lane *ln = &m->lanes[l];
            if (side == 0 ? (ln->left >= 0 && !ln->left_opposite) : (ln->right >= 0 && !ln->right_opposite)) from = l;
        }
        cr_assert_geq(from, 0);
        int lanes[2] = {from, side == 0 ? m->lanes[from].left : m->lanes[from].right};
        Route r;
        Err e;
        /* the route blends over 30 m centred at s = 100 (route.c): the switch point is at 100 m */
        cr_assert_eq(route_build(m, lanes, 2, 0.0f, -1.0f, 1.0f, &r, &e), 0, "%s", e.msg);
        WorldConfig cfg = world_default_config();
        World *w = world_create(m, &r, &cfg, 1, &e);
        world_add_ego(w, 5.0f);
        place_ego(w, m, from, 20.0f);
        cr_assert_eq(obs_command(w), CMD_FOLLOW);
        place_ego(w, m, from, 75.0f);
        cr_assert_eq(obs_command(w), side == 0 ? CMD_CHANGE_LEFT : CMD_CHANGE_RIGHT, "got %s",
                     nav_command_name(obs_command(w)));
        world_destroy(w);
        route_free(&r);
    }
    map_destroy(m);
}

/* ---- raster and instruction on the straight road ---------------------------------------------- */
Test(obs, bev_raster_and_instruction) {
    Straight s;
    straight_create(&s, 50.0f);
    /* ego offset 0.2 m left of the centreline so no cell centre sits exactly on a lane edge */
    KinState *k = &world_state(s.w)->actors[0].k;
    k->x -= 0.2f * sinf(k->heading), k->y += 0.2f * cosf(k->heading);
    add_at(&s, ACTOR_CAR, 10.1f, -0.2f, 0.0f, 0.0f);      /* lead vehicle 10 m ahead on the route */
    add_at(&s, ACTOR_PEDESTRIAN, 4.0f, -6.0f, 0.0f, 0.0f);
    world_state(s.w)->actors[2].length = world_state(s.w)->actors[2].width = 0.6f;
    static Obs o;
    ObsConfig cfg = obs_default_config();
    cfg.with_bev = 1;
    Err e;
    cr_assert_eq(obs_encode(s.w, &cfg, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.has_bev, 1);
    float lw = s.m->lanes[s.lane].width;
#define CELL(ch, ix, iy) o.bev[((ch) * OBS_BEV + (ix)) * OBS_BEV + (iy)]
    /* drivable: the two lanes span y in [-lw/2, 1.5 lw] - 0.2 in the ego frame; the cell at y = -3 m is off-road */
    int ix = 16 + 4; /* x in [2, 2.5) */
    for (int iy = 0; iy < OBS_BEV; iy++) {
        float y = (iy - 32 + 0.5f) * 0.5f;
        int on = y >= -0.5f * lw - 0.2f + 0.01f && y <= 1.5f * lw - 0.2f - 0.01f;
        int off = y < -0.5f * lw - 0.2f - 0.01f || y > 1.5f * lw - 0.2f + 0.01f;
        if (on) cr_assert_eq(CELL(0, ix, iy), 1.0f, "drivable at y = %g", (double)y);
        if (off) cr_assert_eq(CELL(0, ix, iy), 0.0f, "not drivable at y = %g", (double)y);
    }
    /* route channel: the cell under the ego path, not 3 m to the side */
    cr_assert_eq(CELL(2, 16 + 20, 32), 1.0f);
    cr_assert_eq(CELL(2, 16 + 20, 32 - 6), 0.0f);
    /* vehicle box: 10.1 m ahead, 4.5 x 2 -> x in [7.85, 12.35], y in [-1.2, 0.8] */
    cr_assert_eq(CELL(3, 16 + 20, 32), 1.0f);         /* x = 10.25, y = 0.25 */
    cr_assert_eq(CELL(3, 16 + 26, 32), 0.0f);         /* x = 13.25 */
    int nveh = 0, nped = 0;
    for (int i = 0; i < OBS_BEV * OBS_BEV; i++) nveh += o.bev[3 * OBS_BEV * OBS_BEV + i] > 0, nped += o.bev[4 * OBS_BEV * OBS_BEV + i] > 0;
    cr_assert_eq(nveh, 9 * 4, "4.5 m x 2 m box covers 9 x 4 cells, got %d", nveh); /* centres 8.25..12.25: 9; -0.75..0.75: 4 */
    cr_assert_geq(nped, 1);
    cr_assert_eq(CELL(4, 16 + 8, 32 - 12), 1.0f);     /* x = 4.25, y = -5.75 */
    /* instruction: BOS follow slow/cruise clear lead-vehicle pedestrian-near EOS */
    float lim = s.m->lanes[s.lane].speed_limit;
    int speed_tok = 5.0f < 0.5f * lim ? TOK_SLOW : TOK_CRUISE;
    int want[8] = {TOK_BOS, TOK_FOLLOW, speed_tok, TOK_CLEAR, TOK_LEAD_VEHICLE, TOK_PEDESTRIAN_NEAR, TOK_EOS, TOK_PAD};
    for (int i = 0; i < OBS_INSTR_LEN; i++)
        cr_assert_eq(o.instr[i], want[i], "token %d: %s vs %s", i, instr_token_name(o.instr[i]), instr_token_name(want[i]));
#undef CELL
    straight_destroy(&s);
}
