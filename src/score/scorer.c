/* scorer — public entry points of the counterfactual scorer: lifecycle, one state's G candidates
 * (context, per-candidate evaluation in pdm_eval.c, then the group's EP normalisation and the
 * aggregate), and the batch over B states with OpenMP (one scratch slot per thread). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "pdm_internal.h"

#define RASTER_CELL 0.2f

static const char *const AGG_NAMES[SCORE_AGG_COUNT] = {"pdms", "epdms", "pdms_b2d"};

const char *score_aggregate_name(ScoreAggregate a) { return (unsigned)a < SCORE_AGG_COUNT ? AGG_NAMES[a] : "?"; }

int score_aggregate_from_name(const char *name, ScoreAggregate *out, Err *e) {
    for (int i = 0; i < SCORE_AGG_COUNT; i++)
        if (name && !strcmp(name, AGG_NAMES[i])) { *out = (ScoreAggregate)i; return 0; }
    return err_set(e, "unknown score aggregate '%s' (pdms, epdms, pdms_b2d)", name ? name : "");
}

ScorerConfig scorer_default_config(void) {
    return (ScorerConfig){.aggregate = SCORE_PDMS_B2D, .early_exit = 1, .threads = 1, .ep_floor = 5.0f};
}

static void scratch_free(ScoreScratch *sc) {
    free(sc->lane_on_route);
    free(sc->set_on_route);
    free(sc->agent_box);
}

void scorer_destroy(Scorer *s) {
    if (!s) return;
    if (s->scratch)
        for (int i = 0; i < s->cfg.threads; i++) scratch_free(&s->scratch[i]);
    free(s->scratch);
    lane_raster_free(&s->raster);
    comfort_tables_free(&s->comfort);
    free(s);
}

Scorer *scorer_create(const Map *map, const ScorerConfig *cfg, Err *e) {
    if (!map) { err_set(e, "scorer_create: no map"); return NULL; }
    ScorerConfig c = cfg ? *cfg : scorer_default_config();
    if (c.threads < 1 || c.threads > 256) { err_set(e, "scorer_create: threads must be in 1..256"); return NULL; }
    if ((unsigned)c.aggregate >= SCORE_AGG_COUNT) { err_set(e, "scorer_create: bad aggregate"); return NULL; }
    if (!(c.ep_floor >= 0.0f)) { err_set(e, "scorer_create: ep_floor must be >= 0"); return NULL; }
    Scorer *s = calloc(1, sizeof *s);
    if (!s) { err_set(e, "scorer_create: out of memory"); return NULL; }
    s->map = map;
    s->cfg = c;
    if (lane_raster_build(&s->raster, map, RASTER_CELL, e) || comfort_tables_build(&s->comfort, e)) {
        scorer_destroy(s);
        return NULL;
    }
    s->scratch = calloc((size_t)c.threads, sizeof *s->scratch);
    if (!s->scratch) { err_set(e, "scorer_create: out of memory"); scorer_destroy(s); return NULL; }
    for (int i = 0; i < c.threads; i++) {
        ScoreScratch *sc = &s->scratch[i];
        sc->lane_on_route = malloc((size_t)(map->n_lanes > 0 ? map->n_lanes : 1));
        sc->set_on_route = malloc((size_t)s->raster.n_sets);
        sc->agent_box = malloc(sizeof(float) * WORLD_MAX_ACTORS * 4 * 4);
        if (!sc->lane_on_route || !sc->set_on_route || !sc->agent_box) {
            err_set(e, "scorer_create: out of memory");
            scorer_destroy(s);
            return NULL;
        }
    }
    return s;
}

const ScorerConfig *scorer_config(const Scorer *s) { return &s->cfg; }

static float multiplier_product(ScoreAggregate agg, const CandScore *o) {
    float m = o->nc * o->dac;
    return agg == SCORE_PDMS ? m : m * o->ddc * o->tlc;
}

/* EP over the group (PDM-NOTES §1.4): v1 masks the numerator by the multipliers and gives 0 to a
 * zero-multiplier proposal below the floor; v2 (epdms, pdms_b2d) does not mask. Then the total. */
static void aggregate(const ScorerConfig *cfg, const ScoreInput *in, CandScore *out, int G) {
    float q = in->ep_reference > 0.0f ? in->ep_reference : 0.0f;
    for (int i = 0; i < G; i++) q = fmaxf(q, out[i].progress * multiplier_product(cfg->aggregate, &out[i]));
    for (int i = 0; i < G; i++) {
        CandScore *o = &out[i];
        float mult = multiplier_product(cfg->aggregate, o);
        if (o->exit_step < SCORE_STEPS) { o->score = 0.0f; continue; } /* a multiplier is 0 */
        if (cfg->aggregate == SCORE_PDMS) o->ep = q > cfg->ep_floor ? o->progress * mult / q : (mult == 0.0f ? 0.0f : 1.0f);
        else o->ep = q > cfg->ep_floor ? fminf(1.0f, fmaxf(0.0f, o->progress / q)) : 1.0f;
        switch (cfg->aggregate) {
        case SCORE_PDMS: o->score = mult * (5.0f * o->ep + 5.0f * o->ttc + 2.0f * o->c) / 12.0f; break;
        case SCORE_PDMS_B2D: o->score = mult * (5.0f * o->ep + 5.0f * o->ttc + 2.0f * o->c) / 12.0f; break;
        default: { /* EC is unknown without a previous rollout: weight 0, as NAVSIM's one-stage run */
            float wec = in->prev ? 2.0f : 0.0f;
            o->score = mult * (5.0f * o->ep + 5.0f * o->ttc + 2.0f * o->lk + 2.0f * o->hc + wec * o->ec) / (14.0f + wec);
        }
        }
    }
}

int scorer_score(Scorer *s, int thread, const ScoreInput *in, const Traj *cands, int G, CandScore *out,
                 EgoRollout *rollouts, Err *e) {
    if (!s || !in || (!cands && G > 0) || (!out && G > 0)) return err_set(e, "scorer_score: NULL argument");
    if (thread < 0 || thread >= s->cfg.threads) return err_set(e, "scorer_score: thread slot %d out of range", thread);
    if (G < 0) return err_set(e, "scorer_score: negative candidate count");
    if (!in->fc) return err_set(e, "scorer_score: no forecast");
    if (in->hist_n < 0 || in->hist_n > SCORE_HIST_MAX) return err_set(e, "scorer_score: hist_n must be 0..%d", SCORE_HIST_MAX);
    if (in->prev && (in->prev_offset < 1 || in->prev_offset > 5)) return err_set(e, "scorer_score: prev_offset must be 1..5");
    for (int i = 0; i < G; i++)
        if (cands[i].n < 1 || cands[i].n > TRAJ_MAX) return err_set(e, "scorer_score: candidate %d has %d waypoints", i, cands[i].n);
    ScoreScratch *sc = &s->scratch[thread];
    StateCtx ctx;
    if (ctx_prepare(s, sc, in, &ctx, e)) return -1;
    if (!in->fc_per_candidate) eval_index_forecast(sc, in->fc);
    for (int i = 0; i < G; i++) {
        const Forecast *fc = in->fc_per_candidate ? &in->fc[i] : in->fc;
        if (in->fc_per_candidate) eval_index_forecast(sc, fc);
        eval_candidate(s, sc, &ctx, in, fc, &cands[i], &out[i]);
        if (rollouts) rollouts[i] = sc->roll; /* past an early exit the tail is not simulated */
    }
    aggregate(&s->cfg, in, out, G);
    return 0;
}

int scorer_score_batch(Scorer *s, const ScoreInput *in, int B, const Traj *cands, int G, CandScore *out, Err *e) {
    if (!s || (B > 0 && (!in || !cands || !out))) return err_set(e, "scorer_score_batch: NULL argument");
    int failed = -1;
    Err first = {{0}};
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->cfg.threads)
    for (int b = 0; b < B; b++) {
        Err le = {{0}};
        if (scorer_score(s, omp_get_thread_num(), &in[b], cands + (size_t)b * (size_t)G, G, out + (size_t)b * (size_t)G,
                         NULL, &le)) {
#pragma omp critical(scorer_batch_err)
            if (failed < 0 || b < failed) { failed = b; first = le; }
        }
    }
    if (failed >= 0) return err_set(e, "state %d: %s", failed, first.msg);
    return 0;
}
