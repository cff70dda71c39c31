/* criteria tests: hand-built tick sequences (a straight 100 m route along +x, the ego driven by
 * hand, events injected) checked against hand-computed penalties, statuses and completions. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/b2d_metrics.h"
#include "craft/criteria.h"
#include "craft/world.h"

#define DT 0.1
#define ROUTE_LEN 100

typedef struct {
    RoutePoint pts[ROUTE_LEN + 1];
    Route route;
    WorldState ws;
    Criteria c;
    double x, y;        /* ego position */
} Fx;

static Fx *fx_create(RuleSet rules) {
    Fx *f = calloc(1, sizeof *f);
    cr_assert_not_null(f);
    for (int i = 0; i <= ROUTE_LEN; i++)
        f->pts[i] = (RoutePoint){(float)i, 0.0f, 0.0f, (float)i, 0};
    f->route = (Route){.n = ROUTE_LEN + 1, .pts = f->pts, .length = ROUTE_LEN, .n_lanes = 1};
    f->ws.n_actors = 1;
    f->ws.actors[0].type = ACTOR_CAR;
    f->ws.actors[0].driver = DRIVER_EGO;
    Err e = {{0}};
    cr_assert_eq(criteria_init(&f->c, &f->route, NULL, rules, &e), 0, "%s", e.msg);
    criteria_set_meta(&f->c, "route_0", "Accident", 7);
    return f;
}

static void fx_destroy(Fx *f) {
    criteria_free(&f->c);
    free(f);
}

/* Moves the ego to (x, y) at `speed` and feeds one tick; the EgoMonitor is what the world would
 * report for this straight route. Returns criteria_tick's result. */
static int fx_tick(Fx *f, double x, double y, float speed) {
    WorldState *s = &f->ws;
    Actor *ego = &s->actors[0];
    ego->k.x = (float)x;
    ego->k.y = (float)y;
    ego->k.heading = 0.0f;
    ego->k.speed = speed;
    EgoMonitor *m = &s->ego;
    float progress = (float)fmin(fmax(x, 0.0), ROUTE_LEN);
    m->step_advance = progress > m->route_progress ? progress - m->route_progress : 0.0f;
    if (progress > m->route_progress) m->route_progress = progress;
    m->route_idx = (int)lround(m->route_progress);
    m->route_dist = (float)fabs(y);
    s->time += DT;
    s->step++;
    f->x = x;
    f->y = y;
    int r = criteria_tick(&f->c, s, DT);
    s->n_events = 0;
    m->outside_lanes = m->wrong_way = 0;
    return r;
}

/* Drives at constant speed along the route for n ticks (y fixed); stops early if the route ends. */
static int fx_drive(Fx *f, int n, float speed, double y) {
    for (int i = 0; i < n; i++)
        if (fx_tick(f, f->x + speed * DT, y, speed)) return 1;
    return 0;
}

static void fx_event(Fx *f, EventKind kind, int other, int other_id, uint8_t other_type, float value) {
    Event *ev = &f->ws.events[f->ws.n_events++];
    *ev = (Event){.kind = (uint8_t)kind, .other_type = other_type, .actor = 0, .other = other,
                  .other_id = other_id, .x = (float)f->x, .y = 0.0f, .value = value, .time = f->ws.time};
}

/* Drives to the end of the route at 10 m/s (completing it) and returns the result. */
static void fx_complete(Fx *f, RouteResult *r) {
    cr_assert(fx_drive(f, 2000, 10.0f, f->y), "route did not end");
    criteria_finish(&f->c, r);
}

Test(criteria, clean_route_is_perfect) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_complete(f, r);
    /* 10 m/s, 1 m per tick: RC must exceed 99 %, so the target is reached at x = 100 (tick 100) */
    cr_assert_eq(r->status, ROUTE_PERFECT, "%s", route_status_name(r->status));
    cr_assert_float_eq(r->route_completion, 100.0, 1e-9);
    cr_assert_float_eq(r->penalty, 1.0, 1e-12);
    cr_assert_float_eq(r->driving_score, 100.0, 1e-9);
    cr_assert_eq(route_result_total_infractions(r), 0);
    cr_assert_float_eq(r->duration_game, 10.0, 1e-6);
    /* constant speed on a straight: perfectly comfortable */
    cr_assert_float_eq(r->comfort, 1.0, 0.0);
    cr_assert_float_eq(r->comfort_si, 1.0, 0.0);
    cr_assert_eq(r->n_samples, 100);
    cr_assert_str_eq(r->route_id, "route_0");
    cr_assert_eq(r->seed, 7u);
    free(r);
    fx_destroy(f);
}

static double one_collision_penalty(int other, int other_id, uint8_t type, InfractionKind *kind_out) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 20, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, other, other_id, type, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0);
    fx_complete(f, r);
    cr_assert_eq(r->status, ROUTE_COMPLETED);
    int total = 0;
    for (int k = 0; k < INF_KIND_COUNT; k++)
        if (k != INF_MIN_SPEED) total += r->count[k];
    cr_assert_eq(total, 1);
    for (int i = 0; i < r->n_infractions; i++)
        if (r->infractions[i].kind != INF_MIN_SPEED) {
            *kind_out = (InfractionKind)r->infractions[i].kind;
            cr_assert_float_eq(r->infractions[i].time, 2.1, 1e-6);
            cr_assert_float_eq(r->infractions[i].x, 21.0, 1e-4);
        }
    double p = r->penalty;
    free(r);
    fx_destroy(f);
    return p;
}

Test(criteria, each_collision_kind_gives_its_coefficient) {
    InfractionKind k;
    cr_assert_float_eq(one_collision_penalty(3, 11, ACTOR_PEDESTRIAN, &k), 0.50, 1e-12);
    cr_assert_eq(k, INF_COLLISION_PEDESTRIAN);
    cr_assert_float_eq(one_collision_penalty(3, 11, ACTOR_CAR, &k), 0.60, 1e-12);
    cr_assert_eq(k, INF_COLLISION_VEHICLE);
    cr_assert_float_eq(one_collision_penalty(3, 11, ACTOR_BICYCLE, &k), 0.60, 1e-12);
    cr_assert_eq(k, INF_COLLISION_VEHICLE);
    cr_assert_float_eq(one_collision_penalty(3, 11, ACTOR_TRUCK, &k), 0.60, 1e-12);
    cr_assert_eq(k, INF_COLLISION_VEHICLE);
    cr_assert_float_eq(one_collision_penalty(3, 11, ACTOR_STATIC, &k), 0.65, 1e-12);
    cr_assert_eq(k, INF_COLLISION_LAYOUT);
    cr_assert_float_eq(one_collision_penalty(-1, -1, ACTOR_CAR, &k), 0.65, 1e-12); /* map layout */
    cr_assert_eq(k, INF_COLLISION_LAYOUT);
}

/* Same actor: hit at t = 1.0 s (x = 10), again at t = 3.0 s (x = 30, > 5 m away but < 5 s):
 * ignored; again at t = 7.0 s (x = 70, > 5 s): counted. 0.6² = 0.36. */
Test(criteria, same_actor_within_5s_counts_once) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 9, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 4, 42, ACTOR_CAR, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* t = 1.0 */
    fx_drive(f, 19, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 4, 42, ACTOR_CAR, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* t = 3.0 */
    fx_drive(f, 39, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 4, 42, ACTOR_CAR, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* t = 7.0 */
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_COLLISION_VEHICLE], 2);
    cr_assert_float_eq(r->penalty, 0.36, 1e-12);
    cr_assert_float_eq(r->driving_score, 36.0, 1e-9);
    cr_assert_float_eq(r->infractions[0].time, 1.0, 1e-6);
    cr_assert_float_eq(r->infractions[1].time, 7.0, 1e-6);
    free(r);
    fx_destroy(f);
}

/* Different actors: hit at x = 10; another at x = 13 (3 m from the last counted location):
 * ignored; a third at x = 16 (6 m): counted. */
Test(criteria, hit_within_5m_of_last_counted_is_ignored) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 9, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 4, 40, ACTOR_CAR, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* x = 10 */
    fx_drive(f, 2, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 5, 50, ACTOR_PEDESTRIAN, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* x = 13 */
    fx_drive(f, 2, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 6, 60, ACTOR_STATIC, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0); /* x = 16 */
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_COLLISION_VEHICLE], 1);
    cr_assert_eq(r->count[INF_COLLISION_PEDESTRIAN], 0);
    cr_assert_eq(r->count[INF_COLLISION_LAYOUT], 1);
    cr_assert_float_eq(r->penalty, 0.6 * 0.65, 1e-12);
    free(r);
    fx_destroy(f);
}

/* A standing ego (0.05 m/s at contact) rear-ended: never at fault. */
Test(criteria, standing_ego_hit_from_behind_is_not_counted) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 10, 10.0f, 0.0);
    fx_event(f, EV_COLLISION, 2, 20, ACTOR_CAR, 0.05f);
    fx_tick(f, f->x, 0.0, 0.05f);
    fx_event(f, EV_COLLISION, 2, 20, ACTOR_CAR, 0.0999f);
    fx_tick(f, f->x, 0.0, 0.0999f);
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_COLLISION_VEHICLE], 0);
    cr_assert_float_eq(r->penalty, 1.0, 1e-12);
    free(r);
    fx_destroy(f);
}

/* Light 3 reported on three consecutive ticks counts once; light 4 once more; penalties multiply,
 * with a vehicle collision: 0.7 × 0.7 × 0.6 = 0.294; vehicle + one red light = 0.42. */
Test(criteria, red_light_once_per_light_and_penalties_multiply) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 10, 10.0f, 0.0);
    for (int i = 0; i < 3; i++) {
        fx_event(f, EV_RED_LIGHT, 3, -1, 0, 0.0f);
        fx_drive(f, 1, 10.0f, 0.0);
    }
    fx_event(f, EV_COLLISION, 7, 70, ACTOR_VAN, 10.0f);
    fx_drive(f, 1, 10.0f, 0.0);
    RouteResult mid;
    criteria_finish(&f->c, &mid); /* finish is a read-only snapshot of the route so far */
    cr_assert_eq(mid.count[INF_RED_LIGHT], 1);
    cr_assert_float_eq(mid.penalty, 0.42, 1e-12);
    cr_assert_eq(mid.status, ROUTE_FAILED);
    fx_event(f, EV_RED_LIGHT, 4, -1, 0, 0.0f);
    fx_drive(f, 1, 10.0f, 0.0);
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_RED_LIGHT], 2);
    cr_assert_float_eq(r->penalty, 0.294, 1e-12);
    const Infraction *first = NULL;
    for (int i = 0; i < r->n_infractions && !first; i++)
        if (r->infractions[i].kind == INF_RED_LIGHT) first = &r->infractions[i];
    cr_assert_not_null(first);
    cr_assert_eq(first->other_id, 3);
    cr_assert_float_eq(first->time, 1.1, 1e-6);
    free(r);
    fx_destroy(f);
}

Test(criteria, stop_sign_counts_once_per_sign) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 10, 10.0f, 0.0);
    fx_event(f, EV_STOP_SIGN, 1, -1, 0, 0.0f);
    fx_drive(f, 1, 10.0f, 0.0);
    fx_event(f, EV_STOP_SIGN, 1, -1, 0, 0.0f);
    fx_drive(f, 1, 10.0f, 0.0);
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_STOP], 1);
    cr_assert_float_eq(r->penalty, 0.8, 1e-12);
    free(r);
    fx_destroy(f);
}

/* 10 of the 100 route metres driven outside lanes → 10 % → factor 0.9; wrong-way metres count
 * too unless the wrong-direction check is switched off. */
Test(criteria, outside_lanes_percentage_is_the_penalty) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 30, 10.0f, 0.0);
    for (int i = 0; i < 10; i++) {
        f->ws.ego.outside_lanes = 1;
        fx_drive(f, 1, 10.0f, 0.0);
    }
    criteria_set_wrong_direction_check(&f->c, 0);
    for (int i = 0; i < 10; i++) { /* ignored: TwoWays scenario switched it off */
        f->ws.ego.wrong_way = 1;
        fx_drive(f, 1, 10.0f, 0.0);
    }
    criteria_set_wrong_direction_check(&f->c, 1);
    fx_complete(f, r);
    cr_assert_eq(r->status, ROUTE_COMPLETED);
    cr_assert_float_eq(r->outside_lanes_pct, 10.0, 1e-4);
    cr_assert_float_eq(r->penalty, 0.9, 1e-6);
    cr_assert_eq(r->count[INF_OUTSIDE_LANES], 1);
    const Infraction *o = &r->infractions[r->n_infractions - 1];
    cr_assert_eq(o->kind, INF_OUTSIDE_LANES);
    cr_assert_float_eq(o->value, 10.0, 1e-4);
    cr_assert_float_eq(o->value2, 10.0, 1e-4);
    cr_assert_float_eq(o->time, 3.1, 1e-6);   /* where it started */
    cr_assert(!route_is_success(r));
    free(r);
    fx_destroy(f);

    f = fx_create(RULES_LEADERBOARD2);
    r = malloc(sizeof *r);
    fx_drive(f, 50, 10.0f, 0.0);
    for (int i = 0; i < 25; i++) {
        f->ws.ego.wrong_way = 1;
        fx_drive(f, 1, 10.0f, 0.0);
    }
    fx_complete(f, r);
    cr_assert_float_eq(r->penalty, 0.75, 1e-6);
    free(r);
    fx_destroy(f);
}

/* 30 m away from the route at x = 40: route deviation, route ends, RC stays 40 %. */
Test(criteria, deviation_at_30m_ends_the_route_and_keeps_completion) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 40, 10.0f, 0.0);
    cr_assert_eq(fx_tick(f, f->x, 29.9, 10.0f), 0);
    cr_assert_eq(fx_tick(f, f->x, 30.0, 10.0f), 1);
    criteria_finish(&f->c, r);
    cr_assert_eq(r->status, ROUTE_FAILED_DEVIATED);
    cr_assert_str_eq(route_status_name(r->status), "Failed - Agent deviated from the route");
    cr_assert_float_eq(r->route_completion, 40.0, 1e-9);
    cr_assert_eq(r->count[INF_ROUTE_DEV], 1);
    cr_assert_float_eq(r->penalty, 1.0, 1e-12);
    cr_assert_float_eq(r->driving_score, 40.0, 1e-9);
    /* ticks after the end are ignored */
    cr_assert_eq(fx_tick(f, f->x + 1, 0.0, 10.0f), 1);
    free(r);
    fx_destroy(f);
}

/* 20 m away (>= 15, < 30) while covering route metres: deviation once > 30 % = 30 m covered. */
Test(criteria, deviation_by_distance_covered_far_from_the_route) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 10, 10.0f, 0.0);
    int ended = 0, ticks = 0;
    while (!ended && ticks < 100) {
        ended = fx_tick(f, f->x + 1.0, 20.0, 10.0f);
        ticks++;
    }
    criteria_finish(&f->c, r);
    cr_assert_eq(ticks, 31, "ended after %d ticks far away", ticks); /* 31 m > 30 % of 100 m */
    cr_assert_eq(r->status, ROUTE_FAILED_DEVIATED);
    cr_assert_float_eq(r->route_completion, 41.0, 1e-9);
    free(r);
    fx_destroy(f);
}

/* Standing ego from the first tick (t = 0.1): blocked once t - 0.1 > T. */
static double time_to_blocked(RuleSet rules, int suspend, RouteStatus *status, double *rc) {
    Fx *f = fx_create(rules);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 30, 10.0f, 0.0);
    if (suspend) criteria_set_blocked_check(&f->c, 0);
    int n = 0;
    while (!fx_tick(f, f->x, 0.0, 0.05f) && n < 100000) n++;
    criteria_finish(&f->c, r);
    *status = r->status;
    *rc = r->route_completion;
    double t = r->duration_game;
    free(r);
    fx_destroy(f);
    return t;
}

Test(criteria, blocked_60s_bench2drive_180s_leaderboard2_and_suspension) {
    RouteStatus st;
    double rc;
    /* drove until 3.0 s (the last tick at >= 0.1 m/s): blocked once elapsed - 3.0 > 60, at 63.1 s */
    double t = time_to_blocked(RULES_BENCH2DRIVE, 0, &st, &rc);
    cr_assert_eq(st, ROUTE_FAILED_BLOCKED);
    cr_assert_float_eq(t, 63.1, 1e-6);
    cr_assert_float_eq(rc, 30.0, 1e-9);
    t = time_to_blocked(RULES_LEADERBOARD2, 0, &st, &rc);
    cr_assert_eq(st, ROUTE_FAILED_BLOCKED);
    cr_assert_float_eq(t, 183.1, 1e-6);
    /* suspended (a scenario timer runs): the 200 s cap ends it instead */
    t = time_to_blocked(RULES_BENCH2DRIVE, 1, &st, &rc);
    cr_assert_eq(st, ROUTE_FAILED_TICKRUNTIME);
    cr_assert_str_eq(route_status_name(st), "Failed - TickRuntime");
    cr_assert_float_eq(t, 200.0, 1e-6);
    cr_assert_float_eq(rc, 30.0, 1e-9);
}

/* Creeping at 0.2 m/s (never blocked): Bench2Drive caps at 200 s with RC = 40 %. */
Test(criteria, bench2drive_cap_ends_the_route_with_its_completion) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    int n = 0;
    while (!fx_drive(f, 1, 0.2f, 0.0)) n++;
    criteria_finish(&f->c, r);
    cr_assert_eq(n + 1, 2000);
    cr_assert_eq(r->status, ROUTE_FAILED_TICKRUNTIME);
    cr_assert_float_eq(r->route_completion, 40.0, 1e-2);
    cr_assert_float_eq(r->duration_game, 200.0, 1e-6);
    cr_assert_eq(r->n_samples, 2000);
    cr_assert(!route_is_success(r));
    free(r);
    fx_destroy(f);
}

/* Leaderboard 2.0 has no cap: creeping at 0.15 m/s the route timeout fires when
 * t > 300 + 0.15 t / (0.1 × 13.9), i.e. t > 336.29 s; RC = 0.15 × t. */
Test(criteria, leaderboard2_route_timeout) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    while (!fx_drive(f, 1, 0.15f, 0.0)) {}
    criteria_finish(&f->c, r);
    double t_ref = 300.0 / (1.0 - 0.15 / 1.39);
    cr_assert_eq(r->status, ROUTE_FAILED_TIMEOUT);
    cr_assert(fabs(r->duration_game - t_ref) < 0.15, "timed out at %f, expected %f", r->duration_game, t_ref);
    cr_assert_float_eq(r->route_completion, 0.15 * r->duration_game, 0.02);
    cr_assert_eq(r->count[INF_ROUTE_TIMEOUT], 1);
    free(r);
    fx_destroy(f);
}

/* Ego at 5 m/s, background vehicles at 10 m/s → every checkpoint is 50 %. 100 m route,
 * 0.5 m per tick; the route completes at 99.5 m. Bench2Drive: checkpoints every 5 m fire when
 * progress exceeds the last one by > 5 m, i.e. at 5.5, 11, ..., 99 (18) plus the final one
 * (> 95 %) = 19 records, no penalty. Leaderboard 2.0: every 25 m → 25.5, 51, 76.5 plus the final
 * = 4 records, each × (1 - 0.3 × 0.5) = 0.85 → 0.85⁴. */
static void min_speed_route(RuleSet rules, RouteResult *r) {
    Fx *f = fx_create(rules);
    f->ws.n_actors = 3;
    for (int i = 1; i < 3; i++) {
        f->ws.actors[i].type = ACTOR_CAR;
        f->ws.actors[i].flags = AF_BACKGROUND;
        f->ws.actors[i].k.speed = 10.0f;
    }
    f->ws.n_actors = 5;
    f->ws.actors[3].type = ACTOR_CAR;      /* a scripted (non-background) vehicle is ignored */
    f->ws.actors[3].k.speed = 30.0f;
    f->ws.actors[4].type = ACTOR_CAR;      /* so is a background vehicle not yet in the world */
    f->ws.actors[4].flags = AF_BACKGROUND | AF_HIDDEN;
    f->ws.actors[4].k.speed = 0.0f;
    while (!fx_drive(f, 1, 5.0f, 0.0)) {}
    criteria_finish(&f->c, r);
    fx_destroy(f);
}

Test(criteria, min_speed_recorded_in_bench2drive_penalised_in_leaderboard2) {
    RouteResult *r = malloc(sizeof *r);
    min_speed_route(RULES_BENCH2DRIVE, r);
    cr_assert_eq(r->count[INF_MIN_SPEED], 19);
    cr_assert_float_eq(r->penalty, 1.0, 1e-12);
    cr_assert_eq(r->status, ROUTE_COMPLETED);  /* min-speed records make it "Completed", not "Perfect" */
    cr_assert(route_is_success(r));            /* ... but they do not fail it */
    for (int i = 0; i < r->n_infractions; i++) cr_assert_float_eq(r->infractions[i].value, 50.0, 1e-9);
    cr_assert_float_eq(route_efficiency(r), 50.0, 1e-9);
    min_speed_route(RULES_LEADERBOARD2, r);
    cr_assert_eq(r->count[INF_MIN_SPEED], 4);
    cr_assert_float_eq(r->penalty, pow(0.85, 4), 1e-6);
    cr_assert_float_eq(r->driving_score, 100.0 * pow(0.85, 4), 1e-4);
    free(r);
}

/* No background vehicles: every checkpoint is 100 %; leaderboard 2.0 records none. */
Test(criteria, min_speed_without_background_is_100) {
    Fx *f = fx_create(RULES_BENCH2DRIVE);
    RouteResult *r = malloc(sizeof *r);
    fx_complete(f, r);
    cr_assert(r->count[INF_MIN_SPEED] > 0);
    for (int i = 0; i < r->n_infractions; i++) cr_assert_float_eq(r->infractions[i].value, 100.0, 1e-9);
    fx_destroy(f);
    f = fx_create(RULES_LEADERBOARD2);
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_MIN_SPEED], 0);
    cr_assert_eq(r->status, ROUTE_PERFECT);
    free(r);
    fx_destroy(f);
}

Test(criteria, scenario_layer_infractions_and_copy) {
    Fx *f = fx_create(RULES_LEADERBOARD2);
    RouteResult *r = malloc(sizeof *r);
    fx_drive(f, 10, 10.0f, 0.0);
    criteria_add_scenario_timeout(&f->c);
    Criteria snap;
    Err e = {{0}};
    cr_assert_eq(criteria_init(&snap, &f->route, NULL, RULES_LEADERBOARD2, &e), 0);
    cr_assert_eq(criteria_copy(&snap, &f->c, &e), 0, "%s", e.msg);
    criteria_add_yield_failure(&f->c);
    fx_complete(f, r);
    cr_assert_eq(r->count[INF_SCENARIO_TIMEOUT], 1);
    cr_assert_eq(r->count[INF_YIELD_EMERGENCY], 1);
    cr_assert_float_eq(r->penalty, 0.49, 1e-12);
    /* the snapshot taken before the yield failure continues independently */
    cr_assert_eq(snap.n_samples, 10);
    cr_assert_eq(snap.res.count[INF_YIELD_EMERGENCY], 0);
    criteria_free(&snap);
    free(r);
    fx_destroy(f);
}

Test(criteria, names_and_rules) {
    RuleSet rs;
    Err e = {{0}};
    cr_assert_eq(rules_from_name("leaderboard2", &rs, &e), 0);
    cr_assert_eq(rs, RULES_LEADERBOARD2);
    cr_assert_eq(rules_from_name("carla", &rs, &e), -1);
    cr_assert(strstr(e.msg, "carla") != NULL);
    RuleParams b = rules_params(RULES_BENCH2DRIVE), l = rules_params(RULES_LEADERBOARD2);
    cr_assert_float_eq(b.max_time_s, 200.0, 0.0);
    cr_assert_float_eq(l.max_time_s, 0.0, 0.0);
    cr_assert_eq(b.min_speed_checkpoints, 20);
    cr_assert_eq(l.min_speed_checkpoints, 4);
    for (int k = 0; k < INF_KIND_COUNT; k++)
        cr_assert_eq(infraction_from_json_name(infraction_json_name((InfractionKind)k)), k);
    for (int s = 0; s < ROUTE_STATUS_COUNT; s++)
        cr_assert_eq(route_status_from_name(route_status_name((RouteStatus)s)), s);
    cr_assert_str_eq(infraction_json_name(INF_YIELD_EMERGENCY), "yield_emergency_vehicle_infractions");
    Route bad = {0};
    Criteria c;
    cr_assert_eq(criteria_init(&c, &bad, NULL, RULES_BENCH2DRIVE, &e), -1);
}
