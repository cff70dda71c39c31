/* forecast — the pluggable forecasters of other actors (craft/forecast.h). The proxies read the
 * world and extrapolate: constant velocity (PDM-Closed online: speed along the box heading, heading
 * fixed), constant turn rate, and non-reactive IDM (each vehicle follows its lane path with its own
 * IDM parameters, reacting to the forecast vehicles ahead on that path, to parked obstacles in its
 * lane and to red/yellow lights held at their current colour, but blind to the ego). The oracle
 * branches the real simulator. Lights are held constant by every proxy. */
#include <math.h>
#include <string.h>
#include "craft/forecast.h"
#include "craft/geom.h"

#define STOPPED_TRACK_SPEED 0.005f   /* nuPlan is_track_stopped */
#define FAR_AWAY 1.0e6f              /* where hidden actors are parked in a forecast */

static const char *const KIND_NAMES[FORECAST_KIND_COUNT] = {"constant_velocity", "constant_turn_rate",
                                                            "idm_nonreactive", "oracle"};

const char *forecast_kind_name(ForecastKind k) { return (unsigned)k < FORECAST_KIND_COUNT ? KIND_NAMES[k] : "?"; }

ForecastKind forecast_kind_from_name(const char *name, Err *e) {
    for (int i = 0; i < FORECAST_KIND_COUNT; i++)
        if (name && !strcmp(name, KIND_NAMES[i])) return (ForecastKind)i;
    err_set(e, "unknown forecaster '%s' (constant_velocity, constant_turn_rate, idm_nonreactive, oracle)", name ? name : "");
    return (ForecastKind)-1;
}

static ForecastPose pose_of(const Actor *a) {
    Obb b = actor_obb(a);
    return (ForecastPose){b.cx, b.cy, b.heading, a->k.speed};
}

/* The t = 0 record of every visible non-ego actor ("first seen" in PDM's terms). */
static void forecast_init(const WorldState *st, int first, Forecast *f) {
    f->n_agents = 0;
    f->has_ego = 0;
    for (int i = first; i < st->n_actors; i++) {
        const Actor *a = &st->actors[i];
        if (a->flags & AF_HIDDEN) continue;
        int n = f->n_agents++;
        Obb b = actor_obb(a);
        f->actor[n] = i;
        f->type[n] = a->type;
        f->stopped[n] = a->driver == DRIVER_STATIC || a->k.speed <= STOPPED_TRACK_SPEED;
        f->half_len[n] = b.half_len;
        f->half_wid[n] = b.half_wid;
        f->pose[0][n] = pose_of(a);
    }
    for (int t = 0; t < FORECAST_STEPS; t++) memcpy(f->light[t], st->light_color, sizeof f->light[t]);
}

static void extrapolate(Forecast *f, int turn, const WorldState *st) {
    for (int n = 0; n < f->n_agents; n++) {
        const Actor *a = &st->actors[f->actor[n]];
        ForecastPose p = f->pose[0][n];
        float v = a->driver == DRIVER_STATIC ? 0.0f : p.speed;
        float w = turn && a->driver != DRIVER_STATIC ? a->k.yaw_rate : 0.0f;
        p.speed = v;
        for (int t = 1; t < FORECAST_STEPS; t++) {
            float hm = p.heading + 0.5f * w * FORECAST_DT; /* midpoint heading: exact for a circle's chord direction */
            p.x += v * FORECAST_DT * cosf(hm);
            p.y += v * FORECAST_DT * sinf(hm);
            p.heading = wrap_angle(p.heading + w * FORECAST_DT);
            f->pose[t][n] = p;
        }
    }
}

/* ---- non-reactive IDM ---------------------------------------------------------------------- */
typedef struct {
    int idm;                        /* 1: follows its path with IDM */
    int idx;                        /* current index into the path */
    float s, v, d;                  /* arc length on path[idx], speed, lateral offset */
    float cum[ACTOR_PATH_MAX];      /* path arc length at the start of path lane k, relative */
    float obst_dist;                /* distance along the path to the nearest static obstacle/red line */
} IdmAgent;

static float path_dist(const Actor *a, const IdmAgent *g, int lane, float s) {
    for (int k = g->idx; k < a->path_len; k++)
        if (a->path[k] == lane) {
            float d = g->cum[k] + s - (g->cum[g->idx] + g->s);
            return d;
        }
    return INFINITY;
}

static void idm_pose(const Map *m, const Actor *a, const IdmAgent *g, ForecastPose *p) {
    int lane = a->path[g->idx < a->path_len ? g->idx : a->path_len - 1];
    float len = m->lanes[lane].length, over = g->s > len ? g->s - len : 0.0f, x, y, h;
    map_lane_pose(m, lane, g->s, &x, &y, &h);
    x += -sinf(h) * g->d + cosf(h) * over;
    y += cosf(h) * g->d + sinf(h) * over;
    p->x = x; p->y = y; p->heading = h; p->speed = g->v;
}

static void idm_forecast(const World *w, Forecast *f) {
    const Map *m = world_map(w);
    const WorldState *st = world_state_const(w);
    IdmAgent g[WORLD_MAX_ACTORS];
    for (int n = 0; n < f->n_agents; n++) {
        const Actor *a = &st->actors[f->actor[n]];
        IdmAgent *q = &g[n];
        memset(q, 0, sizeof *q);
        q->obst_dist = INFINITY;
        q->idm = a->driver == DRIVER_TRAFFIC && a->path_len > 0 && !(a->flags & AF_CRASHED);
        q->v = a->driver == DRIVER_STATIC || (a->flags & AF_CRASHED) ? 0.0f : a->k.speed;
        if (!q->idm) continue;
        q->s = a->s;
        LaneProj pr;
        map_project(m, a->path[0], a->k.x, a->k.y, a->seg, &pr);
        q->d = pr.d;
        float acc = 0.0f;
        for (int k = 0; k < a->path_len; k++) { q->cum[k] = acc; acc += m->lanes[a->path[k]].length; }
        /* red / yellow lights (held) and unserved stop signs at the end of a path lane act as a wall */
        for (int k = 0; k < a->path_len; k++) {
            const Lane *ln = &m->lanes[a->path[k]];
            int wall = 0;
            if (ln->control == CONTROL_LIGHT && ln->light >= 0 && !(a->flags & AF_IGNORE_LIGHTS))
                wall = st->light_color[ln->light] == LIGHT_RED || st->light_color[ln->light] == LIGHT_YELLOW;
            if (ln->control == CONTROL_STOP && !(a->flags & AF_IGNORE_SIGNS)) wall = a->stop_cleared_lane != a->path[k];
            float dist = q->cum[k] + ln->length - q->s;
            if (wall && dist > 0.0f) { q->obst_dist = fminf(q->obst_dist, dist); break; }
        }
        /* static obstacles lying in a path lane */
        for (int o = 0; o < f->n_agents; o++) {
            const Actor *b = &st->actors[f->actor[o]];
            if (b->driver != DRIVER_STATIC) continue;
            for (int k = 0; k < a->path_len && k < 2; k++) {
                map_project(m, a->path[k], b->k.x, b->k.y, -1, &pr);
                if (pr.dist > 0.5f * m->lanes[a->path[k]].width) continue;
                float dist = q->cum[k] + pr.s - q->s - f->half_len[o];
                if (dist > 0.0f) q->obst_dist = fminf(q->obst_dist, dist);
            }
        }
    }
    IdmAgent prev[WORLD_MAX_ACTORS];
    for (int t = 1; t < FORECAST_STEPS; t++) {
        memcpy(prev, g, sizeof(IdmAgent) * (size_t)f->n_agents);
        for (int n = 0; n < f->n_agents; n++) {
            const Actor *a = &st->actors[f->actor[n]];
            IdmAgent *q = &g[n];
            if (!q->idm) {
                if (a->driver == DRIVER_WALKER) { /* walkers: constant velocity */
                    ForecastPose p = f->pose[t - 1][n];
                    p.x += p.speed * FORECAST_DT * cosf(p.heading);
                    p.y += p.speed * FORECAST_DT * sinf(p.heading);
                    f->pose[t][n] = p;
                } else f->pose[t][n] = f->pose[t - 1][n];
                continue;
            }
            const IdmAgent *me = &prev[n];
            float gap = me->obst_dist - (me->cum[me->idx] + me->s - (me->cum[0] + a->s)) - f->half_len[n], v_lead = 0.0f;
            for (int o = 0; o < f->n_agents; o++) {
                if (o == n || !prev[o].idm) continue;
                const Actor *b = &st->actors[f->actor[o]];
                int lane_o = b->path[prev[o].idx < b->path_len ? prev[o].idx : b->path_len - 1];
                float dd = path_dist(a, me, lane_o, prev[o].s);
                if (!(dd > 0.0f)) continue;
                float gp = dd - f->half_len[n] - f->half_len[o];
                if (gp < gap) { gap = gp; v_lead = prev[o].v; }
            }
            IdmParams p = a->idm;
            int lane = a->path[me->idx];
            p.v0 = a->target_speed >= 0.0f ? a->target_speed : a->speed_factor * m->lanes[lane].speed_limit;
            float acc = idm_accel(&p, me->v, gap, v_lead);
            if (acc < -a->veh.max_decel) acc = -a->veh.max_decel;
            if (acc > a->veh.max_accel) acc = a->veh.max_accel;
            float v1 = me->v + acc * FORECAST_DT;
            if (v1 < 0.0f) v1 = 0.0f;
            float ds = 0.5f * (me->v + v1) * FORECAST_DT;
            q->v = v1;
            q->s += ds;
            while (q->idx + 1 < a->path_len && q->s > m->lanes[a->path[q->idx]].length) {
                q->s -= m->lanes[a->path[q->idx]].length;
                q->idx++;
            }
            idm_pose(m, a, q, &f->pose[t][n]);
        }
    }
}

int forecast_build(ForecastKind kind, const World *w, Forecast *out, Err *e) {
    if (!w || !out) return err_set(e, "forecast_build: NULL argument");
    const WorldState *st = world_state_const(w);
    forecast_init(st, world_config(w)->has_ego ? 1 : 0, out);
    switch (kind) {
    case FORECAST_CONST_VEL: extrapolate(out, 0, st); return 0;
    case FORECAST_CONST_TURN: extrapolate(out, 1, st); return 0;
    case FORECAST_IDM: idm_forecast(w, out); return 0;
    case FORECAST_ORACLE: return err_set(e, "forecast_build: the oracle needs a snapshot and a candidate (forecast_oracle)");
    default: return err_set(e, "forecast_build: unknown forecaster %d", (int)kind);
    }
}

void forecast_oracle(World *scratch, const WorldSnapshot *snap, const Traj *cand, Forecast *out) {
    world_restore(scratch, snap);
    if (cand) world_set_plan(scratch, cand);
    const WorldState *st = world_state_const(scratch);
    int first = world_config(scratch)->has_ego ? 1 : 0;
    forecast_init(st, first, out);
    out->has_ego = first;
    if (first) out->ego[0] = st->actors[0].k;
    for (int t = 1; t < FORECAST_STEPS; t++) {
        world_step(scratch, NULL);
        for (int n = 0; n < out->n_agents; n++) {
            const Actor *a = &st->actors[out->actor[n]];
            out->pose[t][n] = pose_of(a);
            if (a->flags & AF_HIDDEN) out->pose[t][n].x = out->pose[t][n].y = FAR_AWAY;
        }
        memcpy(out->light[t], st->light_color, sizeof out->light[t]);
        if (first) out->ego[t] = st->actors[0].k;
    }
}
