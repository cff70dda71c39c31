/* test_scn_util — helpers shared by the scenario suites (tests/test_scn_*.c): create a
 * scenario of a type/seed (with overrides), the per-type creation/length/trigger/determinism check,
 * and stepping with the built-in autopilot, a brake or a scripted speed. Tests read the script
 * state through scn_internal.h (struct Scenario) to check timers and switches. */
#ifndef TEST_SCN_UTIL_H
#define TEST_SCN_UTIL_H
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "scenario/scn_internal.h"

static inline Scenario *scn_make(const char *type, uint64_t seed, const char *overrides, int background) {
    RouteSpec rs;
    memset(&rs, 0, sizeof rs);
    snprintf(rs.id, sizeof rs.id, "t-%s-%llu", type, (unsigned long long)seed);
    snprintf(rs.type, sizeof rs.type, "%s", type);
    snprintf(rs.overrides, sizeof rs.overrides, "%s", overrides ? overrides : "");
    rs.seed = seed;
    ScenarioOptions o = scenario_default_options();
    o.background = background;
    Err e = {0};
    Scenario *s = scenario_create(&rs, &o, &e);
    cr_assert(s, "%s seed %llu: %s", type, (unsigned long long)seed, e.msg);
    return s;
}

/* One step driven by the built-in autopilot; returns scenario_step's result. */
static inline int scn_step_auto(Scenario *s) {
    Control c;
    world_autopilot(scenario_world(s), &c);
    return scenario_step(s, &c);
}

/* One step holding the ego at a speed (P control on accel, autopilot steering). */
static inline int scn_step_speed(Scenario *s, float v) {
    Control c;
    world_autopilot(scenario_world(s), &c);
    c.accel = 2.0f * (v - scn_ego(s)->k.speed);
    return scenario_step(s, &c);
}

/* Autopilot until the trigger fires (asserts it does within max_steps). */
static inline void scn_run_to_trigger(Scenario *s, int max_steps) {
    for (int k = 0; k < max_steps && scenario_phase(s) == SCN_WAITING; k++) scn_step_auto(s);
    cr_assert_neq(scenario_phase(s), SCN_WAITING, "%s: trigger never fired", s->spec.type);
}

/* Seeds 0..4: creation, route length in [len_lo, len_hi], trigger arc length in [trig_lo, trig_hi]
 * and, after triggering, within 2 m of where the ego's route progress was; identical world hash
 * after 50 steps for two creations with the same seed. */
static inline void scn_check_basic(const char *type, float len_lo, float len_hi, float trig_lo, float trig_hi) {
    for (uint64_t seed = 0; seed < 5; seed++) {
        Scenario *a = scn_make(type, seed, NULL, 1), *b = scn_make(type, seed, NULL, 1);
        float len = scenario_route(a)->length, ts = scenario_trigger_s(a);
        cr_assert(len >= len_lo && len <= len_hi, "%s seed %llu: route length %.1f not in [%.0f, %.0f]", type,
                  (unsigned long long)seed, len, len_lo, len_hi);
        cr_assert(ts >= trig_lo && ts <= trig_hi, "%s seed %llu: trigger at %.1f m not in [%.0f, %.0f]", type,
                  (unsigned long long)seed, ts, trig_lo, trig_hi);
        float p_trig = -1.0f;
        for (int k = 0; k < 600 && (k < 50 || p_trig < 0.0f); k++) {
            float p = world_state_const(scenario_world(a))->ego.route_progress;
            int waiting = scenario_phase(a) == SCN_WAITING;
            scn_step_auto(a);
            if (waiting && scenario_phase(a) != SCN_WAITING) p_trig = p;
            if (k < 50) scn_step_auto(b);
            if (k == 49)
                cr_assert_eq(world_hash(scenario_world(a)), world_hash(scenario_world(b)),
                             "%s seed %llu: not deterministic", type, (unsigned long long)seed);
        }
        cr_assert_geq(p_trig, 0.0f, "%s: no trigger", type);
        /* the trigger fires when the ego's route point is within 2 m of the TP (or past it) */
        cr_assert(p_trig > ts - 2.0f - 1.0f && p_trig <= ts + 1.0f, "%s: triggered at progress %.1f, TP %.1f", type,
                  p_trig, ts);
        scenario_destroy(a);
        scenario_destroy(b);
    }
}

static inline const Actor *scn_actor(Scenario *s, int i) { return &world_state(scenario_world(s))->actors[i]; }

/* Lateral offset of (x, y) from `lane` (+ = left) and its arc length. */
static inline float scn_lat(const Scenario *s, int lane, float x, float y, float *ls) {
    LaneProj p;
    map_project(s->map, lane, x, y, -1, &p);
    if (ls) *ls = p.s;
    return p.d;
}

static inline int scn_count(const RouteResult *r, InfractionKind k) { return r->count[k]; }

#endif
