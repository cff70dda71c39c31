/* expert — privileged PDM-Closed-style planner (craft/expert.h).
 *
 * Per plan: a snapshot of the world is restored into a private World; there the traffic rules
 * give the ego's junction leader (world_ego_junction_leader: gap acceptance at the entry, merging
 * and crossing connectors, exactly as background traffic decides), then the real simulator is
 * branched for the oracle-lite forecast (the ego keeps executing its current plan; one branch per
 * plan instead of the full oracle's one per candidate; FORECAST_IDM / CONST_VEL may be chosen).
 * Every forecast actor is projected once into route coordinates. Candidates = lateral paths
 * (expert_paths.c) × IDM target speeds 0, 0.2 .. 1.0 × the limit (expert_profile.c).
 *
 * Selection: the scorer's sub-metrics with the pdms_b2d aggregate, except that a pass through
 * the oncoming lane (offered only when the oncoming gap is long enough) is not multiplied by DDC:
 * Bench2Drive expects that manoeuvre. PDM's ±1 m nudges pay a small penalty so that they are
 * taken only when they help. While the ego is still in a parking lane (pulling out) DAC is
 * waived: the scorer counts parking lanes as off the drivable area. In the last END_ZONE_M of the route DAC is waived (the route ends at
 * the map's edge, the bumper may leave it before the episode ends), and on the centre path a DAC
 * failure costs only a factor CENTRE_DAC_FACTOR (see selection_scores). Ties go to the larger progress (near the route's end every
 * candidate's EP is 1), then to the lowest index; when every candidate fails, the one whose
 * at-fault collision comes latest, then the lowest index (a hard stop on the centreline). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef EXPERT_TRACE
#include <stdio.h>
#endif
#include "craft/geom.h"
#include "expert_internal.h"

#define OFFSET_PENALTY 0.03f
#define SCORE_TIE 1e-4f
#define EP_FLOOR_M 5.0f
#define END_ZONE_M 12.0f
#define CENTRE_DAC_FACTOR 0.9f
#define STATIC_SPEED 0.5f      /* a crashed vehicle slower than this is an obstacle */
#define EV_BLOCK_FACTOR 0.7f   /* staying in an emergency vehicle's way: Bench2Drive's yield penalty */
#define COMMIT_HOLD_S 3.0f     /* a chosen commit keeps the smaller gap margin this long */
#define MERGE_IN_M 1.0f        /* this near the neighbour's centreline the ego is in its flow: smaller margins */

static int is_centre_path(const LatPath *p) { return p->d1 == 0.0f && p->d2 == 0.0f && !p->oncoming && !p->tab; }

ExpertConfig expert_default_config(void) {
    return (ExpertConfig){.replan_every = 2, .aggregate = SCORE_PDMS_B2D, .forecast = FORECAST_ORACLE};
}

Expert *expert_create(const World *w, const ExpertConfig *cfg, Err *e) {
    if (!w || !world_route(w)) { err_set(e, "expert_create: the world needs an ego route"); return NULL; }
    if (!world_config(w)->has_ego || world_state_const(w)->n_actors < 1) {
        err_set(e, "expert_create: the world has no ego");
        return NULL;
    }
    Expert *x = calloc(1, sizeof *x);
    if (!x) { err_set(e, "expert_create: out of memory"); return NULL; }
    x->cfg = cfg ? *cfg : expert_default_config();
    if (x->cfg.replan_every < 1) x->cfg.replan_every = 1;
    x->map = world_map(w);
    x->route = world_route(w);
    ScorerConfig sc = scorer_default_config();
    sc.aggregate = x->cfg.aggregate;
    sc.early_exit = 0; /* the selection recombines the sub-metrics (oncoming passes) */
    x->scorer = scorer_create(x->map, &sc, e);
    x->branch = world_create(x->map, x->route, world_config(w), 1, e);
    if (!x->scorer || !x->branch) { expert_destroy(x); return NULL; }
    x->since_plan = x->cfg.replan_every; /* plan on the first call */
    return x;
}

void expert_destroy(Expert *x) {
    if (!x) return;
    scorer_destroy(x->scorer);
    world_destroy(x->branch);
    free(x);
}

void expert_route_sd(const Route *r, float px, float py, int *hint, float *s, float *d) {
    float dist;
    int i = route_nearest(r, px, py, *hint > 20 ? *hint - 20 : 0, (int)EXPERT_LOOK_M + 40, &dist);
    *hint = i;
    float fx, fy;
    to_frame(r->pts[i].x, r->pts[i].y, r->pts[i].heading, px, py, &fx, &fy);
    *s = r->pts[i].s + fx;
    *d = fy;
}

void expert_route_pose(const Route *r, float s, float d, float *px, float *py, float *ph) {
    int lo = 0, hi = r->n - 1;
    if (s <= r->pts[0].s) hi = 1;
    while (hi - lo > 1) { int mid = (lo + hi) / 2; if (r->pts[mid].s <= s) lo = mid; else hi = mid; }
    const RoutePoint *a = &r->pts[lo], *b = &r->pts[hi];
    float seg = b->s - a->s, f = seg > 0.0f ? (s - a->s) / seg : 0.0f;
    float h = a->heading + f * wrap_angle(b->heading - a->heading);
    float x = a->x + f * (b->x - a->x), y = a->y + f * (b->y - a->y);
    if (f > 1.0f || f < 0.0f) { /* beyond either end: straight on */
        const RoutePoint *o = f > 1.0f ? b : a;
        h = o->heading;
        x = o->x + (s - o->s) * cosf(h);
        y = o->y + (s - o->s) * sinf(h);
    }
    *px = x - sinf(h) * d;
    *py = y + cosf(h) * d;
    *ph = h;
}

static int make_forecast(Expert *x, const World *w, Err *e) {
    world_snapshot(w, &x->snap);
    world_restore(x->branch, &x->snap);
    /* the traffic rules decide the entry; once inside, stopping for a crossing actor only blocks
     * the junction (and deadlocks with an actor waiting for the ego): the forecast decides */
    const WorldState *st = world_state_const(w);
    int lane = x->route->pts[st->ego.route_idx].lane;
    x->junction_gap = INFINITY;
    x->junction_v = 0.0f;
    if (x->map->lanes[lane].junction < 0 && world_ego_junction_leader(x->branch, &x->junction_gap, &x->junction_v))
        x->junction_gap = INFINITY;
    if (x->cfg.forecast != FORECAST_ORACLE) return forecast_build(x->cfg.forecast, w, &x->fc, e);
    forecast_oracle(x->branch, &x->snap, NULL, &x->fc);
    return 0;
}

/* Every forecast actor near the route in route coordinates, with its heading relative to it. */
static void project_agents(Expert *x, const Actor *ego) {
    const Route *r = x->route;
    const WorldState *st = &x->snap; /* the current state: the branch has run the forecast */
    for (int a = 0; a < x->fc.n_agents; a++) {
        const Actor *b = &st->actors[x->fc.actor[a]];
        /* by what it does, not only by its driver: a crashed vehicle that a script still drives
         * (an emergency vehicle after a scrape) is a mover; one that a script holds (hand brake:
         * target speed 0, the bicycles at the end of their ride) is an obstacle */
        float vmax = 0.0f;
        for (int t = 0; t < FORECAST_STEPS; t++) vmax = fmaxf(vmax, x->fc.pose[t][a].speed);
        int held = (b->flags & AF_CRASHED) || (b->driver == DRIVER_TRAFFIC && b->target_speed == 0.0f);
        x->agent_static[a] = b->type != ACTOR_PEDESTRIAN && (b->driver == DRIVER_STATIC || (held && vmax < STATIC_SPEED));
        x->agent_stopped[a] = vmax < STATIC_SPEED;
        int h = x->hint;
        for (int t = 0; t < FORECAST_STEPS; t++) {
            const ForecastPose *p = &x->fc.pose[t][a];
            float dx = p->x - ego->k.x, dy = p->y - ego->k.y;
            x->proj_s[t][a] = INFINITY;
            x->proj_d[t][a] = x->proj_ch[t][a] = x->proj_sh[t][a] = 0.0f;
            if (dx * dx + dy * dy > EXPERT_LOOK_M * EXPERT_LOOK_M) continue;
            float dist;
            int lo = t == 0 ? (x->hint > 20 ? x->hint - 20 : 0) : (h > 8 ? h - 8 : 0);
            int i = route_nearest(r, p->x, p->y, lo, t == 0 ? (int)EXPERT_LOOK_M + 40 : 16, &dist);
            h = i;
            if (dist > 20.0f) continue;
            float fx, fy;
            to_frame(r->pts[i].x, r->pts[i].y, r->pts[i].heading, p->x, p->y, &fx, &fy);
            float dh = wrap_angle(p->heading - r->pts[i].heading);
            x->proj_s[t][a] = r->pts[i].s + fx;
            x->proj_d[t][a] = fy;
            x->proj_ch[t][a] = cosf(dh);
            x->proj_sh[t][a] = fabsf(sinf(dh));
        }
    }
}

/* The selection score of every candidate (see the header comment). */
static void selection_scores(Expert *x) {
    float mult[EXPERT_MAX_CANDS], q = 0.0f;
    for (int i = 0; i < x->n_cands; i++) {
        const CandScore *o = &x->scores[i];
        const LatPath *p = &x->paths[x->cand_path[i]];
        /* routes end at the map's edge and the episode ends when the centre gets there: in the
         * last metres the bumper's leaving the map is no drivable-area failure */
        float dac = x->route->length - x->s0 < END_ZONE_M || x->in_parking ? 1.0f : o->dac;
        /* the route's own lanes are drivable: on the centre path a DAC failure is a box corner
         * clipping the painted lane edge in a tight turn (the tracker cuts it slightly), which
         * the simulator does not count (its off-road test is the centre); a mild penalty only */
        if (dac == 0.0f && is_centre_path(p)) dac = CENTRE_DAC_FACTOR;
        mult[i] = o->nc * dac * o->tlc * (p->oncoming ? 1.0f : o->ddc) * (x->contact[i] < 0 && !x->cand_vetoed[i] ? 1.0f : 0.0f);
        if (x->cfg.aggregate == SCORE_PDMS) mult[i] = o->nc * o->dac;
        if (x->ev_behind && !p->yield) mult[i] *= EV_BLOCK_FACTOR;
        q = fmaxf(q, o->progress * mult[i]);
    }
    for (int i = 0; i < x->n_cands; i++) {
        const CandScore *o = &x->scores[i];
        float ep = q > EP_FLOOR_M ? fminf(1.0f, fmaxf(0.0f, o->progress / q)) : 1.0f;
        float sc = mult[i] * (5.0f * ep + 5.0f * o->ttc + 2.0f * o->c) / 12.0f;
        if (x->paths[x->cand_path[i]].offset && sc > 0.0f) sc = fmaxf(1e-3f, sc - OFFSET_PENALTY);
        x->choice[i] = sc;
    }
}

/* First step of an at-fault collision or of any contact while moving, SCORE_STEPS if none. */
static int first_fault(const Expert *x, int i) {
    if (x->cand_vetoed[i]) return -1;
    int f = x->scores[i].fault_step < 0 ? SCORE_STEPS : x->scores[i].fault_step;
    return x->contact[i] >= 0 && x->contact[i] < f ? x->contact[i] : f;
}

static int select_best(const Expert *x) {
    int best = 0;
    for (int i = 1; i < x->n_cands; i++) {
        float d = x->choice[i] - x->choice[best];
        if (d > SCORE_TIE || (d > -SCORE_TIE && x->choice[best] > 0.0f && x->scores[i].progress > x->scores[best].progress + 0.1f))
            best = i;
    }
    if (x->choice[best] > 0.0f) return best;
    /* everything fails: delay the first at-fault collision as long as possible */
    int late = 0;
    for (int i = 0; i < x->n_cands; i++) {
        int fi = first_fault(x, i), fl = first_fault(x, late);
        if (fi > fl) late = i;
    }
    return late;
}

/* Remembers a chosen pass until the ego is back on the centreline beyond the obstacle. */
static void update_pass(Expert *x, const LatPath *chosen) {
    int is_pass = fabsf(chosen->d1) > 1.05f && isfinite(chosen->hold_end) && chosen->d2 == 0.0f;
    if (is_pass && !x->pass_active) {
        x->pass = *chosen;
        x->pass.hold_end = x->s0 + chosen->hold_end;
        x->pass_active = 1;
    } else if (x->pass_active && (!is_pass || x->s0 > x->pass.hold_end + x->pass.blend2)) {
        x->pass_active = 0; /* done, or abandoned for the centreline */
    }
}

int expert_plan(Expert *x, const World *w, Traj *out, CandScore *chosen, Err *e) {
    if (!x || !w || !out) return err_set(e, "expert_plan: NULL argument");
    if (make_forecast(x, w, e)) return -1;
    const WorldState *st = world_state_const(w);
    const Actor *ego = &st->actors[0];
    x->hint = st->ego.route_idx;
    expert_route_sd(x->route, ego->k.x, ego->k.y, &x->hint, &x->s0, &x->d0);
    x->v0 = ego->k.speed;
    if (isfinite(x->junction_gap)) x->junction_gap += 0.5f * ego->length; /* bumper gap → from the centre */
    const Lane *ln = &x->map->lanes[x->route->pts[x->hint].lane];
    x->limit = ln->speed_limit > 0.0f ? ln->speed_limit : 15.0f;
    x->in_parking = ln->kind == LANE_PARKING;
    project_agents(x, ego);
    expert_prepare_profile(x, w);
    expert_build_paths(x, w);
    x->n_cands = 0;
    /* a merge into a neighbour's flow: flow cars ignore the ego, so every merge candidate must keep
     * the gap check's margins (the smaller ones once the ego is in the neighbour's lane) */
    int merge_in = x->merge_found && fabsf(x->d0 - x->merge_tab[0]) < MERGE_IN_M;
    for (int p = 0; p < x->n_paths; p++)
        for (int k = 0; k < EXPERT_N_SPEEDS; k++) {
            int i = x->n_cands++;
            x->cand_path[i] = p;
            x->cand_commit[i] = 0;
            expert_build_candidate(x, w, &x->paths[p], x->limit * 0.2f * (float)k, 0, &x->cands[i]);
            x->cand_vetoed[i] = x->paths[p].merge && !expert_gap_clear(x, w, &x->paths[p], merge_in);
        }
    /* the commit through a gap of a flow, on the centre path (path 0), when the gap is clear */
    int held = st->time < x->commit_until;
    int cdiff = expert_build_candidate(x, w, &x->paths[0], x->limit, 1, &x->cands[x->n_cands]);
    int cclear = cdiff && expert_gap_clear(x, w, &x->paths[0], held);
#ifdef EXPERT_TRACE
    if (getenv("EXPERT_DEBUG")) fprintf(stderr, "commit: t=%.1f differs=%d clear=%d held=%d s40=%.1f\n", st->time, cdiff, cclear, held, x->prof_s[40]);
#endif
    if (cclear) {
        x->cand_path[x->n_cands] = 0;
        x->cand_vetoed[x->n_cands] = 0;
        x->cand_commit[x->n_cands++] = 1;
    }
    ScoreInput in = {.world = w, .fc = &x->fc, .ep_reference = -1.0f};
    if (scorer_score(x->scorer, 0, &in, x->cands, x->n_cands, x->scores, x->rollouts, e)) return -1;
    for (int i = 0; i < x->n_cands; i++) x->contact[i] = expert_contact_step(x, w, &x->rollouts[i]);
    selection_scores(x);
    int best = select_best(x);
#ifdef EXPERT_TRACE /* make CFLAGS+=-DEXPERT_TRACE: per-plan dump on stderr when EXPERT_DEBUG is set */
    if (getenv("EXPERT_DEBUG")) {
        fprintf(stderr, "t=%.1f s0=%.2f/%.2f d0=%.2f v=%.2f best=%d np=%d jg=%.1f bestpath d1=%.2f d2=%.2f on=%d y=%d hold=%.1f ev=%d pass=%d\n", world_state_const(w)->time, x->s0, x->route->length, x->d0, x->v0, best, x->n_paths, x->junction_gap, x->paths[x->cand_path[best]].d1, x->paths[x->cand_path[best]].d2, x->paths[x->cand_path[best]].oncoming, x->paths[x->cand_path[best]].yield, x->paths[x->cand_path[best]].hold_end, x->ev_behind, x->pass_active);
        for (int i = 0; i < x->n_cands; i++) { const CandScore *o = &x->scores[i];
            if (i >= 6 && atoi(getenv("EXPERT_DEBUG")) < 2) break;
            fprintf(stderr, "  c%d p%d k%d ch=%.3f nc=%.2f dac=%.2f ddc=%.2f tlc=%.2f ep=%.2f prog=%.1f ttc=%.2f c=%.2f end=(%.1f,%.1f,%.1f) wp7=(%.1f,%.1f)\n", i, x->cand_path[i], x->contact[i], x->choice[i], o->nc, o->dac, o->ddc, o->tlc, o->ep, o->progress, o->ttc, o->c, x->rollouts[i].k[40].x, x->rollouts[i].k[40].y, x->rollouts[i].k[40].speed, x->cands[i].x[7], x->cands[i].y[7]); }
    }
    if (getenv("EXPERT_DEBUG")) for (int a = 0; a < x->fc.n_agents; a++) if (isfinite(x->proj_s[0][a]) && fabsf(x->proj_s[0][a] - x->s0) < 25.0f)
        fprintf(stderr, "  ag%d id%d type%d s=%.2f d=%.2f ch=%.2f sh=%.2f v=%.2f hl=%.2f hw=%.2f s20=%.2f d20=%.2f\n", a, x->fc.actor[a], x->fc.type[a], x->proj_s[0][a], x->proj_d[0][a], x->proj_ch[0][a], x->proj_sh[0][a], x->fc.pose[0][a].speed, x->fc.half_len[a], x->fc.half_wid[a], x->proj_s[20][a], x->proj_d[20][a]);
#endif
    if (x->cand_commit[best] && !held) x->commit_until = st->time + COMMIT_HOLD_S;
    update_pass(x, &x->paths[x->cand_path[best]]);
    *out = x->cands[best];
    if (chosen) { *chosen = x->scores[best]; chosen->score = x->choice[best]; }
    return 0;
}

/* A plan that stops at once and stays: every waypoint is (almost) where the ego is. */
static int is_stop_plan(const Traj *t) {
    for (int k = 0; k < t->n; k++)
        if (hypotf(t->x[k], t->y[k]) > 0.1f) return 0;
    return t->n > 0;
}

int expert_act(Expert *x, World *w, Err *e) {
    if (++x->since_plan < x->cfg.replan_every) return 0;
    Traj t;
    if (expert_plan(x, w, &t, NULL, e)) return -1;
    x->since_plan = 0;
    /* The tracker starts every new plan from the current speed, so a stop plan brakes weakly for
     * its first 0.25 s (tracker_target_speed interpolates from v0); replaced every 0.2 s it would
     * never brake hard. A stop plan therefore stays in force while the expert keeps choosing to
     * stop: it then brakes at the vehicle's limit, harder than the scorer assumed (safe side). */
    int stop = is_stop_plan(&t);
    if (!(stop && x->holding_stop)) world_set_plan(w, &t);
    x->holding_stop = stop;
    return 0;
}

int expert_candidates(const Expert *x, const Traj **cands, const CandScore **scores) {
    if (cands) *cands = x->cands;
    if (scores) *scores = x->scores;
    return x->n_cands;
}
