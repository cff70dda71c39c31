/* ft_rollout — one iteration's closed-loop rollouts: B fresh `train` routes stepped in lockstep by
 * planning step. At every visited state: the observation, the executed action (a sample of π_old),
 * the proxy group (top-G vocabulary entries or G samples), the counterfactual score of every action
 * against the configured forecast (or, for grpo-cl, the return of a closed-loop rollout branched
 * from the state's snapshot), then the executed plan for `replan` world steps and its events.
 * Worlds are independent: each rank steps its share in parallel (OpenMP), each world draws from its
 * own stream and acts on one world at a time with the thread's copy of the policy (a batched GEMM's
 * rows could depend on the batch's composition); the batch is then gathered onto every rank in
 * world order. */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "craft/forecast.h"
#include "craft/policy_vocab.h"
#include "craft/scorer.h"
#include "ft_internal.h"

#define COLLISION_MEMORY_S 5.0f
#define NEAR_MISS_MEMORY_S 2.0f
#define PROGRESS_REWARD 0.1f /* per metre of route progress (ppo's dense reward, grpo-cl's branch return) */

int ft_batch_alloc(FtBatch *b, const Dist *d, int worlds, int horizon, int group, Err *e) {
    memset(b, 0, sizeof *b);
    if (group + 1 > 257) return err_set(e, "finetune: group %d too large (max 256)", group);
    b->worlds = worlds;
    b->H = horizon;
    b->cap_states = worlds * horizon;
    b->A = group + 1;
    b->n_local = dist_my_shards(d, worlds);
    size_t nl = (size_t)(b->n_local ? b->n_local : 1) * (size_t)horizon;
    b->obs = malloc((size_t)b->cap_states * sizeof *b->obs);
    b->acts = malloc((size_t)b->cap_states * (size_t)b->A * sizeof *b->acts);
    b->steps = calloc((size_t)b->cap_states, sizeof *b->steps);
    b->eps = calloc((size_t)worlds, sizeof *b->eps);
    b->lobs = malloc(nl * sizeof *b->lobs);
    b->lacts = malloc(nl * (size_t)b->A * sizeof *b->lacts);
    b->lsteps = calloc(nl, sizeof *b->lsteps);
    b->leps = calloc((size_t)(b->n_local ? b->n_local : 1), sizeof *b->leps);
    if (!b->obs || !b->acts || !b->steps || !b->eps || !b->lobs || !b->lacts || !b->lsteps || !b->leps) {
        ft_batch_free(b);
        return err_set(e, "finetune: out of memory for a batch of %d states", b->cap_states);
    }
    return 0;
}

void ft_batch_free(FtBatch *b) {
    void *bufs[] = {b->obs, b->acts, b->steps, b->eps, b->lobs, b->lacts, b->lsteps, b->leps};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    memset(b, 0, sizeof *b);
}

void ft_first_error(int *rc, Err *e, const Err *failed) {
#pragma omp critical(ft_first_error)
    {
        if (!*rc) *e = *failed;
        *rc = -1;
    }
}

float ft_effective_beta(const FtConfig *c) {
    return c->method == METHOD_GRPO_CL ? c->grpo_kl : c->method == METHOD_PPO ? 0.0f : c->kl_beta;
}

float ft_effective_entropy(const FtConfig *c) { return c->method == METHOD_PPO ? c->ppo_entropy : c->entropy_coef; }

/* Per-world rollout state. */
typedef struct {
    Scenario *s;
    Scorer *scorer;
    Forecast *fc;              /* one shared forecast, or A per-candidate (oracle) */
    World *scratch;            /* oracle forecasts */
    WorldSnapshot *snap;
    ScenarioSnapshot *ssnap;   /* grpo-cl branches */
    int active;
    uint8_t prev_off_road, prev_wrong_way, deviated, blocked, done_route;
    int last_coll_id, last_near_id;
    float last_coll_t, last_near_t;
} FtWorld;

static void world_free(FtWorld *w) {
    scenario_snapshot_destroy(w->ssnap);
    free(w->snap);
    world_destroy(w->scratch);
    free(w->fc);
    scorer_destroy(w->scorer);
    scenario_destroy(w->s);
}

static int world_open(FtWorld *w, const RouteSpec *spec, const FtConfig *cfg, Err *e) {
    memset(w, 0, sizeof *w);
    ScenarioOptions so = scenario_default_options();
    if (!(w->s = scenario_create(spec, &so, e))) return -1;
    ScorerConfig sc = scorer_default_config();
    sc.threads = 1;
    int A = cfg->group + 1, oracle = cfg->proxy_forecaster == FORECAST_ORACLE;
    if (!(w->scorer = scorer_create(scenario_map(w->s), &sc, e))) return -1;
    if (!(w->fc = malloc((size_t)(oracle ? A : 1) * sizeof *w->fc))) return err_set(e, "finetune: out of memory");
    if (oracle) {
        WorldConfig wc = *world_config(scenario_world(w->s));
        if (!(w->scratch = world_create(scenario_map(w->s), scenario_route(w->s), &wc, spec->seed, e))) return -1;
        if (!(w->snap = malloc(sizeof *w->snap))) return err_set(e, "finetune: out of memory");
    }
    if (cfg->method == METHOD_GRPO_CL && !(w->ssnap = scenario_snapshot_create(w->s, e))) return -1;
    w->active = 1;
    w->last_coll_id = w->last_near_id = -1;
    w->last_coll_t = w->last_near_t = -1e9f;
    return 0;
}

static void add_event(FtEpisode *ep, float t, CreditEventKind k) {
    ep->counts[k]++;
    if (ep->n_events < FT_MAX_EVENTS_PER_EP) ep->events[ep->n_events++] = (CreditEvent){.time = t, .kind = (int)k};
}

/* Maps the tick's ego events onto the credit classes, once per onset (see craft_loss.h). Returns
 * the reward of the events recorded this tick. */
static float harvest_events(FtWorld *fw, FtEpisode *ep, const EventRewardTable *tab) {
    const WorldState *ws = world_state_const(scenario_world(fw->s));
    float t = (float)ws->time, r = 0.0f;
    int off = 0, wrong = 0, near = 0, hard = 0;
    for (int k = 0; k < ws->n_events; k++) {
        const Event *ev = &ws->events[k];
        if (ev->actor != 0) continue;
        CreditEventKind ck = CEV_KIND_COUNT;
        switch (ev->kind) {
        case EV_COLLISION:
            if (ev->value < 0.1f) break; /* a standing ego is never at fault */
            if (ev->other_id == fw->last_coll_id && t - fw->last_coll_t < COLLISION_MEMORY_S) break;
            fw->last_coll_id = ev->other_id;
            fw->last_coll_t = t;
            ck = ev->other_type == ACTOR_PEDESTRIAN ? CEV_COLLISION_PEDESTRIAN
                 : ev->other_type == ACTOR_STATIC   ? CEV_COLLISION_STATIC
                                                    : CEV_COLLISION_VEHICLE;
            break;
        case EV_RED_LIGHT: ck = CEV_RED_LIGHT; break;
        case EV_STOP_SIGN: ck = CEV_STOP_SIGN; break;
        case EV_NEAR_MISS:
            near = 1;
            if (ev->other_id == fw->last_near_id && t - fw->last_near_t < NEAR_MISS_MEMORY_S) break;
            fw->last_near_id = ev->other_id;
            fw->last_near_t = t;
            ck = CEV_NEAR_MISS;
            break;
        case EV_OFF_ROAD: off = 1; break;
        case EV_WRONG_WAY: wrong = 1; break;
        case EV_OFF_ROUTE:
            if (!fw->deviated) ck = CEV_ROUTE_DEVIATION;
            fw->deviated = 1;
            break;
        case EV_BLOCKED:
            if (!fw->blocked) ck = CEV_BLOCKED;
            fw->blocked = 1;
            break;
        case EV_HARD_BRAKE: hard = 1; break;
        case EV_ROUTE_DONE:
            if (!fw->done_route) ck = CEV_ROUTE_COMPLETED;
            fw->done_route = 1;
            break;
        default: break;
        }
        if (ck != CEV_KIND_COUNT) {
            add_event(ep, t, ck);
            r += tab->reward[ck];
        }
    }
    if (off && !fw->prev_off_road) add_event(ep, t, CEV_OFF_ROAD), r += tab->reward[CEV_OFF_ROAD];
    if (wrong && !fw->prev_wrong_way) add_event(ep, t, CEV_WRONG_WAY), r += tab->reward[CEV_WRONG_WAY];
    /* a hard brake counts as forced by others when it comes with a near miss (within 1 s) */
    if (hard && (near || t - fw->last_near_t < 1.0f)) add_event(ep, t, CEV_FORCED_HARD_BRAKE), r += tab->reward[CEV_FORCED_HARD_BRAKE];
    fw->prev_off_road = (uint8_t)off;
    fw->prev_wrong_way = (uint8_t)wrong;
    return r;
}

/* Executes `plan` for n world steps (or until the route ends); returns the reward collected
 * (events + progress) and adds the steps executed to *steps. */
static float execute(FtWorld *fw, FtEpisode *ep, const Traj *plan, int n, const EventRewardTable *tab, long *steps,
                     int *ended) {
    World *w = scenario_world(fw->s);
    float p0 = world_state_const(w)->ego.route_progress, r = 0.0f;
    world_set_plan(w, plan);
    *ended = 0;
    for (int k = 0; k < n && !*ended; k++) {
        *ended = scenario_step(fw->s, NULL);
        (*steps)++;
        r += harvest_events(fw, ep, tab);
    }
    return r + PROGRESS_REWARD * (world_state_const(w)->ego.route_progress - p0);
}

/* grpo-cl: the return of each group member, each rolled out from the same snapshot. */
static void branch_returns(FtWorld *fw, const FtConfig *cfg, const PolicyAction *acts, int A, float *score,
                           const EventRewardTable *tab, long *steps) {
    Err e;
    scenario_save(fw->s, fw->ssnap, &e);
    FtWorld saved = *fw;
    for (int g = 1; g < A; g++) {
        FtEpisode scratch = {0};
        int ended;
        score[g] = execute(fw, &scratch, &acts[g].traj, cfg->branch_horizon, tab, steps, &ended);
        scenario_load(fw->s, fw->ssnap, &e);
        *fw = saved;
    }
    score[0] = 0.0f;
}

static void proxy_scores(FtWorld *fw, const FtConfig *cfg, const PolicyAction *acts, int A, float *score) {
    const World *w = scenario_world_const(fw->s);
    Traj cands[257];
    for (int g = 0; g < A; g++) cands[g] = acts[g].traj;
    Err e;
    ScoreInput in = {.world = w, .fc = fw->fc, .ep_reference = -1.0f};
    if (cfg->proxy_forecaster == FORECAST_ORACLE) {
        world_snapshot(w, fw->snap);
        for (int g = 0; g < A; g++) forecast_oracle(fw->scratch, fw->snap, &cands[g], &fw->fc[g]);
        in.fc_per_candidate = 1;
    } else {
        forecast_build((ForecastKind)cfg->proxy_forecaster, w, fw->fc, &e);
    }
    CandScore out[257];
    if (scorer_score(fw->scorer, 0, &in, cands, A, out, NULL, &e))
        for (int g = 0; g < A; g++) out[g].score = 0.0f;
    for (int g = 0; g < A; g++) score[g] = out[g].score;
}

/* The executed action and the group of one world's state, from its own stream. */
static int choose_actions(const FtConfig *cfg, Policy *pol, const Obs *obs, PolicyAction *acts, Rng *rng,
                          PolicyAction *tmp, Err *e) {
    int G = cfg->group;
    if (policy_config(pol)->family == POLICY_VOCAB) return policy_vocab_act_and_top(pol, obs, rng, &acts[0], G, acts + 1, e);
    if (policy_act(pol, obs, 1, rng, 0, &acts[0], NULL, e)) return -1;
    for (int g = 0; g < G; g++)
        if (policy_act(pol, obs, 1, rng, 0, tmp, NULL, e)) return -1;
        else acts[1 + g] = *tmp;
    return 0;
}

/* One planning step of world l: its observation, the executed action and the group, their scores,
 * then the executed plan's world steps and events. pol is this thread's copy of the policy. */
static int world_step_plan(const FtConfig *cfg, const ObsConfig *oc, const EventRewardTable *tab, Policy *pol,
                           FtWorld *fw, Rng *rng, FtBatch *b, int l, int world, int t, Err *e) {
    int A = b->A;
    size_t slot = (size_t)l * b->H + (size_t)t;
    PolicyAction *acts = &b->lacts[slot * A], tmp;
    if (obs_encode(scenario_world(fw->s), oc, &b->lobs[slot], e) ||
        choose_actions(cfg, pol, &b->lobs[slot], acts, rng, &tmp, e))
        return -1;
    FtStep *st = &b->lsteps[slot];
    FtEpisode *ep = &b->leps[l];
    st->world = world;
    st->t = t;
    st->time = (float)world_state_const(scenario_world(fw->s))->time;
    if (cfg->method == METHOD_GRPO_CL && t % cfg->branch_every == 0) /* other states: no group (scores 0) */
        branch_returns(fw, cfg, acts, A, st->score, tab, &ep->sim_steps);
    else if (cfg->method == METHOD_GRPO_CL) memset(st->score, 0, (size_t)A * sizeof *st->score);
    else if (cfg->method != METHOD_PPO) proxy_scores(fw, cfg, acts, A, st->score);
    int ended;
    st->reward = execute(fw, ep, &acts[0].traj, cfg->replan, tab, &ep->sim_steps, &ended);
    st->done = (uint8_t)ended;
    ep->steps++;
    if (ended) fw->active = 0;
    return 0;
}

/* Rolls out this rank's worlds into the staging slots (world l of this rank: slots l*H ...). */
static int rollout_local(const FtConfig *cfg, const Dist *d, Policy *const *pols, int n_pols, uint64_t iter,
                         FtBatch *b, Err *e) {
    int B = cfg->worlds, H = b->H, nl = b->n_local, rc = 0;
    RouteSet rs;
    if (routeset_train(&rs, (uint64_t)cfg->seed * 1000003ULL + iter * (uint64_t)B, B, e)) return -1;
    FtWorld *fw = calloc((size_t)(nl ? nl : 1), sizeof *fw);
    Rng *rng = malloc((size_t)(nl ? nl : 1) * sizeof *rng);
    int *idx = malloc((size_t)(nl ? nl : 1) * sizeof *idx);
    if (!fw || !rng || !idx) rc = err_set(e, "finetune: out of memory");
    uint64_t iter_seed = rng_derive((uint64_t)cfg->seed, 0x46520000ULL + iter);
#pragma omp parallel for num_threads(n_pols) schedule(dynamic, 1) if (!rc)
    for (int l = 0; l < nl; l++) { /* scenario, scorer raster and tables: worth spreading too */
        int w = d->rank + l * d->size;
        Err le;
        rng_seed(&rng[l], iter_seed, (uint64_t)w);
        if (world_open(&fw[l], &rs.routes[w], cfg, &le)) ft_first_error(&rc, e, &le);
    }
    EventRewardTable tab = event_reward_table_default();
    ObsConfig oc = obs_default_config();
    oc.with_bev = policy_needs_bev(pols[0]);
    memset(b->leps, 0, (size_t)(nl ? nl : 1) * sizeof *b->leps);
    for (int t = 0; t < H && !rc; t++) {
        int na = 0;
        for (int l = 0; l < nl; l++)
            if (fw[l].active) idx[na++] = l;
        if (!na) break;
#pragma omp parallel for num_threads(n_pols) schedule(dynamic, 1)
        for (int k = 0; k < na; k++) {
            int l = idx[k];
            Err le;
            if (world_step_plan(cfg, &oc, &tab, pols[omp_get_thread_num()], &fw[l], &rng[l], b, l, d->rank + l * d->size,
                                t, &le))
                ft_first_error(&rc, e, &le);
        }
    }
    for (int l = 0; l < nl && fw; l++) {
        if (fw[l].s) {
            const World *wd = scenario_world_const(fw[l].s);
            FtEpisode *ep = &b->leps[l];
            ep->progress = world_state_const(wd)->ego.route_progress;
            ep->route_length = scenario_route(fw[l].s)->length;
            ep->ended = !fw[l].active;
            ep->ret = ep->progress / fmaxf(ep->route_length, 1.0f);
            for (int k = 0; k < CEV_KIND_COUNT; k++) ep->ret += (float)ep->counts[k] * tab.reward[k];
        }
        world_free(&fw[l]);
    }
    free(fw);
    free(rng);
    free(idx);
    routeset_free(&rs);
    return rc;
}

/* Every world's episode onto every rank; the states onto rank 0, packed world by world there, then
 * broadcast. Without MPI this is a copy. */
static int gather_batch(const Dist *d, FtBatch *b, Err *e) {
    int B = b->worlds, H = b->H, A = b->A;
    double t0 = omp_get_wtime();
    if (dist_gather_dealt(d, b->leps, B, sizeof *b->leps, b->eps, e) || dist_bcast(d, b->eps, (size_t)B * sizeof *b->eps, 0, e) ||
        dist_gather_dealt(d, b->lobs, B, (size_t)H * sizeof *b->obs, b->obs, e) ||
        dist_gather_dealt(d, b->lacts, B, (size_t)H * A * sizeof *b->acts, b->acts, e) ||
        dist_gather_dealt(d, b->lsteps, B, (size_t)H * sizeof *b->steps, b->steps, e))
        return -1;
    int n = 0;
    b->sim_steps = 0;
    for (int w = 0; w < B; w++) {
        b->sim_steps += b->eps[w].sim_steps;
        for (int t = 0; t < b->eps[w].steps; t++, n++) {
            size_t from = (size_t)w * H + (size_t)t;
            if (!dist_is_root(d) || from == (size_t)n) continue; /* in place, moving down only: from >= n */
            b->obs[n] = b->obs[from];
            b->steps[n] = b->steps[from];
            memmove(&b->acts[(size_t)n * A], &b->acts[from * A], (size_t)A * sizeof *b->acts);
        }
    }
    b->n = n;
    if (dist_bcast(d, b->obs, (size_t)n * sizeof *b->obs, 0, e) || dist_bcast(d, b->acts, (size_t)n * A * sizeof *b->acts, 0, e) ||
        dist_bcast(d, b->steps, (size_t)n * sizeof *b->steps, 0, e))
        return -1;
    b->comm_s = omp_get_wtime() - t0;
    /* moved over the network: the items not already on rank 0, then the packed batch to every other rank */
    double per_world = (double)H * (sizeof *b->obs + A * sizeof *b->acts + sizeof *b->steps) + sizeof *b->eps;
    int on_root = dist_my_shards(&(Dist){.rank = 0, .size = d->size}, B);
    b->comm_bytes = d->size > 1 ? (B - on_root) * per_world +
                                      (d->size - 1) * ((double)n * (sizeof *b->obs + A * sizeof *b->acts + sizeof *b->steps) + B * sizeof *b->eps)
                                : 0.0;
    return 0;
}

int ft_rollout(const FtConfig *cfg, const Dist *d, Policy *const *pols, int n_pols, uint64_t iter, FtBatch *b, Err *e) {
    if (rollout_local(cfg, d, pols, n_pols, iter, b, e)) return -1;
    return gather_batch(d, b, e);
}
