/* criteria — leaderboard 2.0 / Bench2Drive route criteria over a sequence of world ticks.
 * The order of checks inside criteria_tick is documented in include/craft/criteria.h; every
 * threshold is a named constant there. Sources: shared/spec/SCENARIOS.md A2–A4. */
#include "craft/criteria.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/b2d_metrics.h"
#include "craft/world.h"

/* Times are sums of float-valued ticks: compare with a tolerance so that e.g. 600 ticks of 0.1 s
 * count as 60 s, not 60.0000000001 s. */
#define TIME_EPS 1e-6

/* ---- Rule sets ------------------------------------------------------------------------------ */
RuleParams rules_params(RuleSet r) {
    RuleParams p;
    if (r == RULES_LEADERBOARD2) {
        p.max_time_s = 0.0;
        p.blocked_time_s = 180.0;
        p.min_speed_checkpoints = 4;
        p.min_speed_record_all = 0;
        p.min_speed_weight = 0.7;
        p.scenario_timeouts_live = 1;
    } else {
        p.max_time_s = 200.0;
        p.blocked_time_s = 60.0;
        p.min_speed_checkpoints = 20;
        p.min_speed_record_all = 1;
        p.min_speed_weight = 0.0;
        p.scenario_timeouts_live = 0;
    }
    return p;
}

static const char *const RULE_NAMES[RULES_COUNT] = {"bench2drive", "leaderboard2"};

const char *rules_name(RuleSet r) { return (r >= 0 && r < RULES_COUNT) ? RULE_NAMES[r] : "unknown"; }

int rules_from_name(const char *name, RuleSet *out, Err *e) {
    for (int i = 0; i < RULES_COUNT; i++)
        if (name && strcmp(name, RULE_NAMES[i]) == 0) {
            *out = (RuleSet)i;
            return 0;
        }
    return err_set(e, "unknown rule set '%s' (expected bench2drive or leaderboard2)", name ? name : "(null)");
}

/* ---- Infractions and statuses ------------------------------------------------------------- */
static const char *const INF_NAMES[INF_KIND_COUNT] = {
    "collisions_layout", "collisions_pedestrian", "collisions_vehicle", "red_light", "stop_infraction",
    "outside_route_lanes", "min_speed_infractions", "yield_emergency_vehicle_infractions",
    "scenario_timeouts", "route_dev", "vehicle_blocked", "route_timeout"};

/* PENALTY_VALUE_DICT of the leaderboard 2.0 statistics manager; the percentage kinds are applied
 * where they are recorded; deviation, blocked and timeout carry no factor. */
static const double INF_FIXED_PENALTY[INF_KIND_COUNT] = {
    0.65, 0.50, 0.60, 0.70, 0.80, 1.0, 1.0, 0.70, 0.70, 1.0, 1.0, 1.0};

const char *infraction_json_name(InfractionKind k) {
    return (k >= 0 && k < INF_KIND_COUNT) ? INF_NAMES[k] : "unknown";
}

int infraction_from_json_name(const char *name) {
    for (int i = 0; i < INF_KIND_COUNT; i++)
        if (name && strcmp(name, INF_NAMES[i]) == 0) return i;
    return -1;
}

double infraction_fixed_penalty(InfractionKind k) {
    return (k >= 0 && k < INF_KIND_COUNT) ? INF_FIXED_PENALTY[k] : 1.0;
}

static const char *const STATUS_NAMES[ROUTE_STATUS_COUNT] = {
    "Perfect", "Completed", "Failed", "Failed - Agent deviated from the route",
    "Failed - Agent got blocked", "Failed - Agent timed out", "Failed - TickRuntime"};

const char *route_status_name(RouteStatus s) {
    return (s >= 0 && s < ROUTE_STATUS_COUNT) ? STATUS_NAMES[s] : "unknown";
}

int route_status_from_name(const char *name) {
    for (int i = 0; i < ROUTE_STATUS_COUNT; i++)
        if (name && strcmp(name, STATUS_NAMES[i]) == 0) return i;
    return -1;
}

int route_result_total_infractions(const RouteResult *r) {
    int n = 0;
    for (int k = 0; k < INF_KIND_COUNT; k++) n += r->count[k];
    return n;
}

/* Records one infraction and applies `factor` to the route's penalty. */
static void result_add(RouteResult *r, InfractionKind kind, double time, float x, float y, float value,
                       float value2, int other_id, int other_type, double factor) {
    r->count[kind]++;
    r->penalty *= factor;
    if (r->n_infractions >= ROUTE_MAX_INFRACTIONS) {
        r->n_dropped++;
        return;
    }
    Infraction *f = &r->infractions[r->n_infractions++];
    f->kind = (uint8_t)kind;
    f->other_type = (uint8_t)other_type;
    f->other_id = other_id;
    f->time = time;
    f->x = x;
    f->y = y;
    f->value = value;
    f->value2 = value2;
}

static double round_to(double x, int digits) {
    double s = pow(10.0, digits);
    return round(x * s) / s;
}

/* ---- Setup ---------------------------------------------------------------------------------- */
static float lane_speed_limit(const Map *m, int lane) {
    if (!m || lane < 0 || lane >= m->n_lanes || !(m->lanes[lane].speed_limit > 0.0f))
        return (float)CRIT_DEFAULT_SPEED_LIMIT;
    return m->lanes[lane].speed_limit;
}

/* Longest a route can run: the cap, or (no cap) the route timeout reached at the slowest speed
 * limit on the route. Sizes the comfort sample buffer. */
static double max_route_seconds(const Route *route, const Map *map, const RuleParams *p) {
    if (p->max_time_s > 0.0) return p->max_time_s;
    float vmin = (float)CRIT_DEFAULT_SPEED_LIMIT;
    if (map) {
        vmin = 1e9f;
        for (int i = 0; i < route->n; i++) {
            float v = lane_speed_limit(map, route->pts[i].lane);
            if (v < vmin) vmin = v;
        }
    }
    return CRIT_ROUTE_TIMEOUT_BASE + route->length / (CRIT_ROUTE_TIMEOUT_PERC / 100.0 * vmin);
}

int criteria_init(Criteria *c, const Route *route, const Map *map, RuleSet rules, Err *e) {
    memset(c, 0, sizeof *c);
    if (!route || route->n < 2 || !(route->length > 0.0f))
        return err_set(e, "criteria: the route needs at least 2 points and a positive length");
    if (rules < 0 || rules >= RULES_COUNT) return err_set(e, "criteria: unknown rule set %d", (int)rules);
    c->rules = rules;
    c->p = rules_params(rules);
    c->route = route;
    c->map = map;
    c->cap_samples = (int)ceil(max_route_seconds(route, map, &c->p) / 0.1) + 16;
    c->samples = malloc(sizeof *c->samples * (size_t)c->cap_samples);
    if (!c->samples) return err_set(e, "criteria: out of memory for %d comfort samples", c->cap_samples);
    c->coll_last_id = -1;
    c->last_red_light = -1;
    c->last_stop = -1;
    c->wrong_direction_on = 1;
    c->cp_dist = route->length / c->p.min_speed_checkpoints;
    c->in_safe_route = 1;
    c->blocked_on = 1;
    c->timeout = CRIT_ROUTE_TIMEOUT_BASE;
    c->ego_x = route->pts[0].x;
    c->ego_y = route->pts[0].y;
    RouteResult *r = &c->res;
    r->rules = rules;
    r->penalty = 1.0;
    r->route_length = route->length;
    r->junction_entry_frac = map ? route_junction_entry_frac(route, map) : NAN;
    r->comfort = r->comfort_si = NAN;
    return 0;
}

void criteria_free(Criteria *c) {
    if (!c) return;
    free(c->samples);
    c->samples = NULL;
    c->cap_samples = c->n_samples = 0;
}

static void copy_name(char *dst, const char *src) {
    snprintf(dst, ROUTE_NAME_MAX, "%s", src ? src : "");
}

void criteria_set_meta(Criteria *c, const char *route_id, const char *scenario_type, uint64_t seed) {
    copy_name(c->res.route_id, route_id);
    copy_name(c->res.scenario_type, scenario_type);
    c->res.seed = seed;
}

int criteria_copy(Criteria *dst, const Criteria *src, Err *e) {
    if (dst == src) return 0;
    if (!dst->samples || dst->cap_samples != src->cap_samples)
        return err_set(e, "criteria_copy: destination has capacity %d, source %d", dst->cap_samples,
                       src->cap_samples);
    EgoSample *buf = dst->samples;
    *dst = *src;
    dst->samples = buf;
    memcpy(buf, src->samples, sizeof *buf * (size_t)src->n_samples);
    return 0;
}

/* ---- Per-tick checks ------------------------------------------------------------------------ */
static void record_sample(Criteria *c, const Actor *ego, double dt) {
    const KinState *k = &ego->k;
    float ch = cosf(k->heading), sh = sinf(k->heading);
    float vx = k->speed * ch, vy = k->speed * sh;
    float lon, lat;
    if (c->have_prev_vel && dt > 0.0) {
        /* acceleration = change of the velocity vector over the tick (what CARLA reports),
         * projected on the current forward (x) and left (y) axes */
        float ax = (float)((vx - c->prev_vx) / dt), ay = (float)((vy - c->prev_vy) / dt);
        lon = ax * ch + ay * sh;
        lat = -ax * sh + ay * ch;
    } else {
        /* first tick: no previous velocity; the applied acceleration and the centripetal term */
        lon = k->accel;
        lat = k->speed * k->yaw_rate;
    }
    c->prev_vx = vx;
    c->prev_vy = vy;
    c->have_prev_vel = 1;
    if (c->n_samples < c->cap_samples)
        c->samples[c->n_samples++] = (EgoSample){lon, lat, k->yaw_rate, k->speed};
}

static InfractionKind collision_kind(const Event *ev) {
    if (ev->other < 0 || ev->other_type == ACTOR_STATIC) return INF_COLLISION_LAYOUT;
    if (ev->other_type == ACTOR_PEDESTRIAN) return INF_COLLISION_PEDESTRIAN;
    return INF_COLLISION_VEHICLE; /* cars, vans, trucks, buses, emergency vehicles, bicycles */
}

static float dist2d(float ax, float ay, float bx, float by) { return hypotf(ax - bx, ay - by); }

static void on_collision(Criteria *c, const Event *ev) {
    if (ev->other_id >= 0 && ev->other_id == c->coll_last_id) return;
    if (c->coll_has_loc && dist2d(c->ego_x, c->ego_y, c->coll_loc_x, c->coll_loc_y) <= CRIT_COLLISION_RADIUS)
        return;
    if (ev->value < CRIT_COLLISION_MIN_SPEED) return; /* a standing ego is never at fault */
    InfractionKind k = collision_kind(ev);
    c->coll_last_time = c->elapsed;
    c->coll_has_loc = 1;
    c->coll_loc_x = c->ego_x;
    c->coll_loc_y = c->ego_y;
    if (ev->other_id >= 0) c->coll_last_id = ev->other_id; /* map layout has no id to remember */
    result_add(&c->res, k, c->elapsed, c->ego_x, c->ego_y, ev->value, 0.0f, ev->other_id,
               ev->other >= 0 ? ev->other_type : ACTOR_STATIC, infraction_fixed_penalty(k));
}

static void process_events(Criteria *c, const WorldState *s) {
    for (int i = 0; i < s->n_events && i < WORLD_MAX_EVENTS; i++) {
        const Event *ev = &s->events[i];
        if (ev->actor != 0) continue; /* only the ego's infractions count */
        switch (ev->kind) {
        case EV_COLLISION:
            on_collision(c, ev);
            break;
        case EV_RED_LIGHT:
            if (ev->other == c->last_red_light) break;
            c->last_red_light = ev->other;
            result_add(&c->res, INF_RED_LIGHT, c->elapsed, ev->x, ev->y, 0.0f, 0.0f, ev->other, 0xff,
                       infraction_fixed_penalty(INF_RED_LIGHT));
            break;
        case EV_STOP_SIGN:
            if (ev->other == c->last_stop) break;
            c->last_stop = ev->other;
            result_add(&c->res, INF_STOP, c->elapsed, ev->x, ev->y, 0.0f, 0.0f, ev->other, 0xff,
                       infraction_fixed_penalty(INF_STOP));
            break;
        default:
            break; /* off-road / wrong-way / route / blocked come from the EgoMonitor and own timers */
        }
    }
    /* Expire the collision memory (after this tick's events, as the leaderboard's update does). */
    if (c->coll_has_loc && dist2d(c->ego_x, c->ego_y, c->coll_loc_x, c->coll_loc_y) > CRIT_COLLISION_RADIUS)
        c->coll_has_loc = 0;
    if (c->coll_last_id >= 0 && c->elapsed - c->coll_last_time > CRIT_COLLISION_ID_TIME + TIME_EPS) c->coll_last_id = -1;
}

static double completion_pct(const Criteria *c) {
    double pct = round_to(100.0 * c->progress / c->route->length, 2);
    return pct < 0.0 ? 0.0 : (pct > 100.0 ? 100.0 : pct);
}

/* Emits the checkpoint's min-speed infraction into r (B2D: always; leaderboard 2.0: below 100 %). */
static void emit_checkpoint(const Criteria *c, RouteResult *r) {
    double pct = 100.0;
    if (c->ms_points > 0 && c->ms_bg_sum != 0.0)
        pct = round_to(c->ms_ego_sum / c->ms_bg_sum * 100.0, 2); /* both sums over the same ticks */
    if (!c->p.min_speed_record_all && pct >= 100.0) return;
    double factor = 1.0;
    if (c->p.min_speed_weight > 0.0) factor = 1.0 - (1.0 - c->p.min_speed_weight) * (1.0 - pct / 100.0);
    result_add(r, INF_MIN_SPEED, c->elapsed, c->ego_x, c->ego_y, (float)pct, 0.0f, -1, 0xff, factor);
}

static void min_speed_tick(Criteria *c, const WorldState *s, float ego_speed) {
    if (c->progress - c->cp_current > c->cp_dist) {
        emit_checkpoint(c, &c->res);
        c->cp_current = c->progress;
        c->ms_ego_sum = c->ms_bg_sum = 0.0;
        c->ms_points = 0;
    }
    double bg = 0.0;
    int nbg = 0;
    for (int i = 1; i < s->n_actors && i < WORLD_MAX_ACTORS; i++) {
        const Actor *a = &s->actors[i];
        if (!(a->flags & AF_BACKGROUND) || (a->flags & AF_HIDDEN)) continue;
        if (a->type == ACTOR_PEDESTRIAN || a->type == ACTOR_STATIC) continue; /* vehicles only */
        bg += a->k.speed;
        nbg++;
    }
    if (nbg > 0) {
        c->ms_bg_sum += bg / nbg;
        c->ms_ego_sum += ego_speed;
        c->ms_points++;
    }
}

static void outside_lanes_tick(Criteria *c, const EgoMonitor *m, double advance) {
    c->res.travelled += advance;
    int flagged = m->outside_lanes || (c->wrong_direction_on && m->wrong_way);
    if (!flagged || advance <= 0.0) return;
    if (c->wrong_dist <= 0.0) {
        c->out_first_time = c->elapsed;
        c->out_first_x = c->ego_x;
        c->out_first_y = c->ego_y;
    }
    c->wrong_dist += advance;
}

/* Returns 1 when the ego deviated from the route this tick. */
static int deviation_tick(Criteria *c, const EgoMonitor *m, double advance) {
    if (m->route_dist >= CRIT_DEVIATION_MAX) return 1;
    c->in_safe_route = m->route_dist < CRIT_DEVIATION_MIN;
    if (advance > 0.0 && !c->in_safe_route) {
        c->out_route_dist += advance;
        if (100.0 * c->out_route_dist / c->route->length > CRIT_DEVIATION_ROUTE_PCT) return 1;
    }
    return 0;
}

static int blocked_tick(Criteria *c, float speed) {
    if (!c->blocked_on) return 0;
    if (speed < CRIT_BLOCKED_SPEED && c->blocked_have_valid) {
        if (c->elapsed - c->blocked_last_valid > c->p.blocked_time_s + TIME_EPS) return 1;
    } else {
        c->blocked_last_valid = c->elapsed;
        c->blocked_have_valid = 1;
    }
    return 0;
}

static int timeout_tick(Criteria *c, const EgoMonitor *m, double advance) {
    if (advance > 0.0) {
        int idx = m->route_idx;
        if (idx < 0) idx = 0;
        if (idx >= c->route->n) idx = c->route->n - 1;
        float vlim = lane_speed_limit(c->map, c->route->pts[idx].lane);
        c->timeout += advance / (CRIT_ROUTE_TIMEOUT_PERC / 100.0 * vlim);
    }
    return c->elapsed > c->timeout + TIME_EPS;
}

int criteria_tick(Criteria *c, const WorldState *s, double dt) {
    if (c->ended) return 1;
    if (!s || s->n_actors < 1) return 0;
    const Actor *ego = &s->actors[0];
    const EgoMonitor *m = &s->ego;
    c->elapsed += dt;
    c->ticks++;
    c->ego_x = ego->k.x;
    c->ego_y = ego->k.y;
    float speed = ego->k.speed;
    double advance = m->step_advance > 0.0f ? m->step_advance : 0.0;
    if (m->route_progress > c->progress) c->progress = m->route_progress;

    record_sample(c, ego, dt);
    process_events(c, s);

    const RoutePoint *last = &c->route->pts[c->route->n - 1];
    int target = completion_pct(c) > CRIT_COMPLETION_PCT &&
                 dist2d(c->ego_x, c->ego_y, last->x, last->y) < CRIT_COMPLETION_DIST;
    outside_lanes_tick(c, m, advance);
    min_speed_tick(c, s, speed);
    int deviated = deviation_tick(c, m, advance);
    int blocked = blocked_tick(c, speed);
    int timed_out = timeout_tick(c, m, advance);
    int capped = c->p.max_time_s > 0.0 && c->elapsed + TIME_EPS >= c->p.max_time_s;

    InfractionKind ended_by = INF_KIND_COUNT;
    if (target) {
        c->end_status = ROUTE_COMPLETED;
    } else if (blocked) {
        c->end_status = ROUTE_FAILED_BLOCKED;
        ended_by = INF_BLOCKED;
    } else if (deviated) {
        c->end_status = ROUTE_FAILED_DEVIATED;
        ended_by = INF_ROUTE_DEV;
    } else if (timed_out) {
        c->end_status = ROUTE_FAILED_TIMEOUT;
        ended_by = INF_ROUTE_TIMEOUT;
    } else if (capped) {
        c->end_status = ROUTE_FAILED_TICKRUNTIME;
    } else {
        return 0;
    }
    if (ended_by != INF_KIND_COUNT)
        result_add(&c->res, ended_by, c->elapsed, c->ego_x, c->ego_y, 0.0f, 0.0f, -1, 0xff, 1.0);
    c->ended = 1;
    return 1;
}

int criteria_ended(const Criteria *c) { return c->ended; }

void criteria_set_wrong_direction_check(Criteria *c, int on) { c->wrong_direction_on = on != 0; }

void criteria_set_blocked_check(Criteria *c, int on) {
    /* as ActorBlockedTest: every switch restarts the "last time it was moving" clock */
    c->blocked_on = on != 0;
    c->blocked_last_valid = c->elapsed;
    c->blocked_have_valid = 1;
}

void criteria_add_scenario_timeout(Criteria *c) {
    result_add(&c->res, INF_SCENARIO_TIMEOUT, c->elapsed, c->ego_x, c->ego_y, 0.0f, 0.0f, -1, 0xff,
               infraction_fixed_penalty(INF_SCENARIO_TIMEOUT));
}

void criteria_add_yield_failure(Criteria *c) {
    result_add(&c->res, INF_YIELD_EMERGENCY, c->elapsed, c->ego_x, c->ego_y, 0.0f, 0.0f, -1, 0xff,
               infraction_fixed_penalty(INF_YIELD_EMERGENCY));
}

/* ---- Finish --------------------------------------------------------------------------------- */
void criteria_finish(Criteria *c, RouteResult *out) {
    *out = c->res;
    /* MinimumSpeedRouteTest.terminate: the last partial checkpoint once the route is nearly done */
    if (c->progress / c->route->length > CRIT_MIN_SPEED_LAST_FRAC) emit_checkpoint(c, out);
    /* OutsideRouteLanesTest: one event with the final percentage, factor 1 - pct/100 */
    double total = out->travelled;
    out->outside_lanes_pct = (total > 0.0) ? c->wrong_dist / total * 100.0 : 0.0;
    if (c->wrong_dist > 0.0 && total > 0.0) {
        double pct = out->outside_lanes_pct;
        result_add(out, INF_OUTSIDE_LANES, c->out_first_time, c->out_first_x, c->out_first_y, (float)pct,
                   (float)c->wrong_dist, -1, 0xff, 1.0 - pct / 100.0);
    }
    int target = c->ended && c->end_status == ROUTE_COMPLETED;
    out->route_completion = target ? 100.0 : completion_pct(c);
    if (target)
        out->status = route_result_total_infractions(out) > 0 ? ROUTE_COMPLETED : ROUTE_PERFECT;
    else
        out->status = c->ended ? c->end_status : ROUTE_FAILED;
    double penalty = out->penalty;
    out->penalty = round_to(penalty, 6);
    double ds = out->route_completion * penalty;
    out->driving_score = round_to(ds > 0.0 ? ds : 0.0, 6);
    out->duration_game = c->elapsed;
    out->n_samples = c->n_samples;
    out->comfort = comfort_route(c->samples, c->n_samples, COMFORT_B2D);
    out->comfort_si = comfort_route(c->samples, c->n_samples, COMFORT_SI);
}
