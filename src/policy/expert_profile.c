/* expert_profile — one candidate: an IDM speed profile along a lateral path (expert_internal.h),
 * turned into waypoints that the world's tracker will actually follow.
 *
 * The IDM leader at each step is the nearest of: a forecast actor whose footprint (its extent
 * across the route given its heading) overlaps the path's corridor ahead, also looking 1 s ahead
 * for actors crossing the route and for walkers; a wall at a red light, at a yellow light the ego
 * can still stop for, at a stop sign not yet served, at the route's end; and the junction leader
 * that the traffic rules give (gap acceptance, conflicting connectors; world_ego_junction_leader).
 *
 * Waypoints: the tracker's speed loop lags (it interpolates from the current speed toward the
 * first segment, and the plan is replaced every 0.2 s), so waypoint spacing encodes not the IDM
 * speeds but the speeds that make the tracker reproduce them: segment by segment, bisection on
 * the segment speed against an exact copy of the tracker's speed loop (tracker.c). */
#include <math.h>
#include "craft/geom.h"
#include "craft/idm.h"
#include "expert_internal.h"
#ifdef EXPERT_TRACE
#include <stdio.h>
#include <stdlib.h>
#endif

#define IDM_A 1.5f
#define IDM_B 3.0f
#define IDM_T 1.5f
#define IDM_S0 2.0f
#define IDM_DELTA 10.0f
#define IDM_MIN_ACC (-6.0f)        /* the profile's hardest braking (the vehicle can do 8) */
#define HARD_STOP_ACC (-8.0f)      /* the target-0 candidate: stop as hard as possible */
#define VEHICLE_MARGIN 0.5f        /* lateral clearance wanted from vehicles, m */
#define WALKER_MARGIN 1.2f         /* ... from walkers and bicycles */
#define ANTICIPATE_STEPS 10        /* crossing actors and walkers: also where they will be in 1 s */
#define CURVE_LAT_ACC 2.5f
#define COMFORT_DECEL 3.0f
/* The route is complete once the centre's nearest route point is past 99 % of its length: a wall
 * that stops the centre just short of the end makes IDM creep there (below the blocked speed on
 * short routes, where 1 % is under a metre). The wall stands beyond the end so that the centre
 * crosses the end still moving; the episode ends there. */
#define ROUTE_END_OVERSHOOT 1.5f
#define COMMIT_A 3.5f              /* a commit profile's acceleration: flows that ignore the ego leave
                                    * gaps that only a brisk start uses (the vehicle can do 4) */
#define COMMIT_T 1.0f              /* ... and its IDM time headway behind the car it slots in after */
#define COMMIT_ALONG_COS 0.7f
#define COMMIT_NEAR_M 15.0f        /* a commit matters when what it ignores is this near */      /* movers heading within ~45° of the route are leaders even then */

/* The tabulated offset of path p (p->tab set) ds route metres ahead of s0. */
static float tab_at(const LatPath *p, float ds) {
    float f = fminf(EXPERT_LOOK_M, fmaxf(0.0f, ds));
    int m = (int)f;
    if (m >= (int)EXPERT_LOOK_M) m = (int)EXPERT_LOOK_M - 1;
    return p->tab[m] + (p->tab[m + 1] - p->tab[m]) * (f - (float)m);
}

float expert_lat_at(const LatPath *p, float ds) {
    float from, to, u;
    if (p->tab) { /* from d0 onto the tabulated chain */
        float tab = tab_at(p, ds), tab0 = p->tab[0];
        u = p->blend1 > 0.0f ? fminf(1.0f, fmaxf(0.0f, ds / p->blend1)) : 1.0f;
        return tab + (p->d0 - tab0) * (1.0f - u * u * (3.0f - 2.0f * u));
    }
    if (ds < p->hold_end) {
        from = p->d0; to = p->d1;
        u = p->blend1 > 0.0f ? ds / p->blend1 : 1.0f;
    } else {
        from = p->d1; to = p->d2;
        u = p->blend2 > 0.0f ? (ds - p->hold_end) / p->blend2 : 1.0f;
    }
    u = fminf(1.0f, fmaxf(0.0f, u));
    return from + (to - from) * u * u * (3.0f - 2.0f * u);
}

void expert_prepare_profile(Expert *x, const World *w) {
    const Route *r = x->route;
    const WorldState *st = world_state_const(w);
    /* stop lines: ends of route lanes entering a junction under a light or a stop sign */
    x->n_lines = 0;
    for (int i = x->hint > 0 ? x->hint : 1; i < r->n && x->n_lines < EXPERT_MAX_LINES; i++) {
        if (r->pts[i].s > x->s0 + EXPERT_LOOK_M) break;
        if (r->pts[i].lane == r->pts[i - 1].lane) continue;
        const Lane *ln = &x->map->lanes[r->pts[i - 1].lane];
        float line = r->pts[i - 1].s + 0.5f * (r->pts[i].s - r->pts[i - 1].s);
        if (ln->control == CONTROL_LIGHT && ln->light >= 0) {
            x->line_s[x->n_lines] = line;
            x->line_light[x->n_lines++] = ln->light;
        } else if (ln->control == CONTROL_STOP) {
            int served = st->ego.stop_sign >= 0 && st->ego.stop_served &&
                         x->map->stop_signs[st->ego.stop_sign].lane == r->pts[i - 1].lane;
            if (!served) { x->line_s[x->n_lines] = line; x->line_light[x->n_lines++] = -1; }
        }
    }
    /* bend speed cap: every bend within 40 m can be taken at CURVE_LAT_ACC, braking comfortably */
    int n = (int)EXPERT_LOOK_M + 1;
    float kappa[(int)EXPERT_LOOK_M + 41];
    for (int m = 0; m < n + 40; m++) {
        float s = x->s0 + (float)m, px, py, h0, h1;
        expert_route_pose(r, s, 0.0f, &px, &py, &h0);
        expert_route_pose(r, s + 1.0f, 0.0f, &px, &py, &h1);
        kappa[m] = fabsf(wrap_angle(h1 - h0));
    }
    for (int m = 0; m < n; m++) {
        float cap = INFINITY;
        for (int j = 0; j < 40; j++)
            if (kappa[m + j] > 1e-3f) cap = fminf(cap, sqrtf(CURVE_LAT_ACC / kappa[m + j] + 2.0f * 2.0f * (float)j));
        x->vcap[m] = cap;
    }
}

/* Bumper gap to the nearest wall at time index t for a front bumper at route arc s_front. */
static float wall_gap(const Expert *x, float s_front, float v, int t) {
    float gap = INFINITY;
    for (int k = 0; k < x->n_lines; k++) {
        float dist = x->line_s[k] - s_front;
        if (dist < -1.0f) continue;
        if (x->line_light[k] < 0) { gap = fminf(gap, dist); break; }
        uint8_t c = x->fc.light[t][x->line_light[k]];
        if (c == LIGHT_RED || (c == LIGHT_YELLOW && dist > v * v / (2.0f * COMFORT_DECEL))) { gap = fminf(gap, dist); break; }
    }
    return gap;
}

typedef struct { float gap, v; int who; } Lead;

static void lead_consider(Lead *l, float gap, float v, int who) {
    if (gap < l->gap) { l->gap = gap; l->v = v; l->who = who; }
}

/* 1 if a commit profile (see expert_build_candidate) leaves forecast agent a at time t to the gap
 * check: a moving vehicle or bicycle crossing or meeting the route (not one driving along it). */
static int commit_ignores(const Expert *x, int a, int t) {
    return !x->agent_static[a] && x->fc.type[a] != ACTOR_PEDESTRIAN && x->proj_ch[t][a] < COMMIT_ALONG_COS;
}

/* Forecast actors in the corridor of path p ahead of an ego centred at route arc s, time t. With
 * `commit`, crossing and oncoming movers go to `ignored` instead of l. */
static void actor_leaders(const Expert *x, const LatPath *p, float s, float hl, float hw, int t, int commit, Lead *l,
                          Lead *ignored) {
    const Forecast *fc = &x->fc;
    for (int a = 0; a < fc->n_agents; a++) {
        int walker = fc->type[a] == ACTOR_PEDESTRIAN || (fc->type[a] == ACTOR_BICYCLE && !x->agent_static[a]);
        float margin = walker ? WALKER_MARGIN : VEHICLE_MARGIN;
        int horizon = walker || x->proj_sh[t][a] > 0.5f ? ANTICIPATE_STEPS : 0;
        if (commit && fc->type[a] != ACTOR_PEDESTRIAN) horizon = 0; /* crossings are the gap check's */
        for (int k = 0; k <= horizon; k += 5) {
            int tt = t + k < FORECAST_STEPS ? t + k : FORECAST_STEPS - 1;
            float sa = x->proj_s[tt][a];
            if (!isfinite(sa) || sa <= s) continue;
            float ch = x->proj_ch[tt][a], sh = x->proj_sh[tt][a];
            float ext_lat = sh * fc->half_len[a] + fabsf(ch) * fc->half_wid[a];
            float ext_lon = fabsf(ch) * fc->half_len[a] + sh * fc->half_wid[a];
            float rel = x->proj_d[tt][a] - expert_lat_at(p, sa - x->s0);
            /* a merge follows what is ahead in the lane it merges into as well: it drops in behind */
            if (p->merge) rel = fminf(fabsf(rel), fabsf(x->proj_d[tt][a] - tab_at(p, sa - x->s0)));
            if (fabsf(rel) > hw + ext_lat + margin) continue;
            float v_along = k == 0 ? fmaxf(0.0f, fc->pose[tt][a].speed * ch) : 0.0f;
            /* room to pull out from behind an obstacle, or from behind a queue stuck at a merge */
            float standoff = x->agent_static[a] || (x->merge_found && x->agent_stopped[a] && !walker) ? EXPERT_STATIC_STANDOFF : 0.0f;
            lead_consider(commit && commit_ignores(x, a, tt) ? ignored : l, sa - ext_lon - (s + hl) - standoff, v_along, a);
        }
    }
}

/* ---- the tracker's speed loop (tracker.c, world.c): the same arithmetic, speeds only ------------- */

typedef struct { float v, integral, prev_error; } SpeedLoop;

static float knot_target(float v0, const float *vseg, float t) {
    float prev_t = 0.0f, prev_v = v0;
    for (int k = 0; k < TRAJ_MAX; k++) {
        float knot_t = ((float)k + 0.5f) * TRAJ_DT;
        if (t <= knot_t) return prev_v + (vseg[k] - prev_v) * (t - prev_t) / (knot_t - prev_t);
        prev_t = knot_t;
        prev_v = vseg[k];
    }
    return prev_v;
}

static void loop_step(SpeedLoop *sl, const TrackerParams *tp, const VehicleParams *vp, float target, float dt) {
    float acc;
    if (!(target >= tp->brake_speed)) {
        acc = -vp->max_decel;
        sl->integral = sl->prev_error = 0.0f;
    } else {
        float err = target - sl->v;
        float deriv = (err - sl->prev_error) / dt;
        sl->prev_error = err;
        float integral = sl->integral + err * dt;
        float out = tp->kp * err + tp->ki * integral + tp->kd * deriv;
        if ((out > vp->max_accel && err > 0.0f) || (out < -vp->max_decel && err < 0.0f)) integral = sl->integral;
        if (tp->ki > 0.0f) {
            float cap = 2.0f / tp->ki; /* TRACKER_MAX_I_ACCEL */
            integral = fminf(cap, fmaxf(-cap, integral));
        }
        sl->integral = integral;
        acc = fminf(vp->max_accel, fmaxf(-vp->max_decel, tp->kp * err + tp->ki * integral + tp->kd * deriv));
    }
    sl->v = fminf(vp->max_speed, fmaxf(0.0f, sl->v + acc * dt));
}

/* Segment speeds vseg[0..TRAJ_MAX) such that the tracker's speed after step 5j+2 (the knot of
 * segment j, t = 0.25 + 0.5 j s) matches v_des there; v_des[k] is the wanted speed at k·dt. */
static void invert_tracker(const World *w, const float *v_des, float *vseg) {
    const WorldConfig *cfg = world_config(w);
    const WorldState *st = world_state_const(w);
    const Actor *ego = &st->actors[0];
    const TrackerParams *tp = &cfg->tracker;
    float dt = cfg->dt, v0 = ego->k.speed;
    SpeedLoop sl = {v0, st->tracker.integral, st->tracker.prev_error};
    int k = 0;
    for (int j = 0; j < TRAJ_MAX; j++) {
        int k_end = 5 * j + 2; /* steps k .. k_end-1 read targets in (knot j-1, knot j] */
        if (j == TRAJ_MAX - 1) k_end = FORECAST_STEPS - 1;
        float lo = 0.0f, hi = 3.0f * v_des[k_end] + 5.0f;
        for (int it = 0; it < 18; it++) {
            float mid = 0.5f * (lo + hi);
            vseg[j] = mid;
            for (int m = j + 1; m < TRAJ_MAX; m++) vseg[m] = mid;
            SpeedLoop trial = sl;
            for (int kk = k; kk < k_end; kk++) loop_step(&trial, tp, &ego->veh, knot_target(v0, vseg, (float)(kk + 1) * dt), dt);
            if (trial.v < v_des[k_end]) lo = mid; else hi = mid;
        }
        vseg[j] = v_des[k_end] < 0.05f && lo < tp->brake_speed ? 0.0f : 0.5f * (lo + hi);
        for (int m = j + 1; m < TRAJ_MAX; m++) vseg[m] = vseg[j];
        for (; k < k_end; k++) loop_step(&sl, tp, &ego->veh, knot_target(v0, vseg, (float)(k + 1) * dt), dt);
    }
}

int expert_build_candidate(Expert *x, const World *w, const LatPath *p, float target, int commit, Traj *out) {
    const Actor *ego = &world_state_const(w)->actors[0];
    IdmParams idm = {.v0 = target, .a = commit || p->merge ? COMMIT_A : IDM_A, .b = IDM_B, .T = commit ? COMMIT_T : IDM_T, .s0 = IDM_S0, .delta = IDM_DELTA};
    float hl = 0.5f * ego->length, hw = 0.5f * ego->width, s = x->s0, v = x->v0;
    float v_des[FORECAST_STEPS];
    v_des[0] = v;
    x->prof_s[0] = s;
    int differs = 0; /* a commit profile that ignored nothing is an ordinary one */
    float end_gap0 = x->route->length + ROUTE_END_OVERSHOOT; /* where the centre would stop */
    for (int t = 0; t < FORECAST_STEPS - 1; t++) {
        float acc;
        if (target <= 0.0f) acc = v > 0.0f ? HARD_STOP_ACC : 0.0f;
        else {
            int m = (int)(s - x->s0);
            m = m < 0 ? 0 : (m > (int)EXPERT_LOOK_M ? (int)EXPERT_LOOK_M : m);
            idm.v0 = fmaxf(0.5f, fminf(target, x->vcap[m]));
            Lead l = {wall_gap(x, s + hl, v, t), 0.0f, -1}, ignored = {INFINITY, 0.0f, -1};
            lead_consider(&l, end_gap0 - s + IDM_S0, 0.0f, -2);
            if (isfinite(x->junction_gap) && !p->merge) /* a merge enters by the neighbour's right of way */
                lead_consider(commit ? &ignored : &l, x->s0 + x->junction_gap + x->junction_v * (float)t * FORECAST_DT - s,
                              x->junction_v, -3);
            actor_leaders(x, p, s, hl, hw, t, commit, &l, &ignored);
            differs |= ignored.gap < fminf(l.gap, COMMIT_NEAR_M);
#ifdef EXPERT_TRACE
            if ((commit || target == x->limit) && getenv("EXPERT_DEBUG") && (t == 0 || t == 10 || t == 20 || t == 30))
                fprintf(stderr, "  prof c%d d1=%.2f t=%d s=%.1f v=%.2f lead gap=%.1f v=%.1f who=%d wall=%.1f ign=%.1f\n", commit, p->d1, t, s, v, l.gap, l.v, l.who, wall_gap(x, s + hl, v, t), ignored.gap);
#endif
            acc = fmaxf(IDM_MIN_ACC, fminf(idm.a, idm_accel(&idm, v, l.gap, l.v)));
        }
        float v1 = fmaxf(0.0f, v + acc * FORECAST_DT);
        s += 0.5f * (v + v1) * FORECAST_DT;
        v = v1;
        v_des[t + 1] = v;
        x->prof_s[t + 1] = s;
    }
    float vseg[TRAJ_MAX];
    invert_tracker(w, v_des, vseg);
    out->n = TRAJ_MAX;
    float sw = x->s0;
    for (int k = 0; k < TRAJ_MAX; k++) {
        sw += vseg[k] * TRAJ_DT;
        float px, py, ph;
        expert_route_pose(x->route, sw, expert_lat_at(p, sw - x->s0), &px, &py, &ph);
        to_frame(ego->k.x, ego->k.y, ego->k.heading, px, py, &out->x[k], &out->y[k]);
        out->heading[k] = wrap_angle(ph - ego->k.heading);
    }
    return !commit || differs;
}
