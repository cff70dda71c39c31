/* policy_hier.c — the hierarchical planning family (HiP-AD style, POLICIES.md family 2).
 * Scene encoder: per-entity MLPs over agents and map polylines (masked max-pool), an MLP over the
 * route, fused with the ego state and the navigation command. High level: a categorical over the 12
 * behaviours. Low level: for EVERY behaviour the Gaussian mean of the continuous action (spatial +
 * temporal waypoints, policy_hier.h) as an offset from the behaviour's template, with a learned
 * state-independent std per (behaviour, coordinate): σ = min_std + exp(θ) (smooth floor).
 *   log π(b, x | s) = log π_hi(b | s) + log N(x | μ_b(s), σ_b)
 *   H = H(π_hi) + Σ_b π_hi(b) H(N_b)            KL(p‖q) = KL(p_hi‖q_hi) + Σ_b p_hi(b) KL(N_p,b ‖ N_q,b)
 * all exact. Because every behaviour's Gaussian is computed for every state, entropy and KL need no
 * sampling, and backward flows through both heads into the whole encoder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"
#include "policy_family_util.h"
#include "policy_hier.h"
#include "policy_internal.h"

#define NB BEHAVIOUR_COUNT
#define AG_IN OBS_AGENT_DIM
#define MAP_IN (OBS_MAP_PTS * OBS_MAP_PT_DIM + OBS_MAP_META_DIM)
#define ROUTE_IN (OBS_ROUTE_PTS * OBS_ROUTE_DIM)
#define EGO_IN (OBS_EGO_DIM + CMD_COUNT)
#define HALF_LOG_2PI 0.91893853320467274f

typedef struct {
    int H, D, h, maxB, maxBG;
    NnMlp agent_mlp, map_mlp, route_mlp, fuse_mlp, hi_head, lo_head;
    int log_std_id, template_id;
    /* forward (valid for the last act/evaluate) */
    float *agent_in, *map_in, *route_in;       /* scaled features [B·K, AG_IN], [B·M, MAP_IN], [B, ROUTE_IN] */
    uint8_t *agent_mask, *map_mask;
    float *agent_pool, *map_pool;              /* [B, h] */
    int32_t *agent_arg, *map_arg;
    float *cat;                                /* [B, 3h + EGO_IN] */
    float *fused;                              /* gelu(fuse output) [B, h] */
    float *logp_hi;                            /* [B, NB] */
    float *mean;                               /* [B, NB, D] */
    float *log_std;                            /* [NB, D] (state-independent) */
    float *ent_gauss;                          /* [NB]: entropy of each behaviour's Gaussian */
    int *act_idx;                              /* cached actions of evaluate [B·G] */
    float *act_cont;                           /* [B·G, D] */
    /* backward */
    float *d_logp_hi, *d_logits, *d_mean, *d_log_std, *d_fused, *d_fuse_out, *d_cat, *d_part, *d_entity;
} HierFam;

/* ---- declaration and setup ------------------------------------------------------------------ */
static int hier_declare(Policy *p, Err *e) {
    HierFam *f = calloc(1, sizeof *f);
    if (!f) return err_set(e, "hier: out of memory");
    p->fam = f;
    int h = p->cfg.hidden;
    f->H = p->cfg.horizon, f->D = hier_cont_dim(f->H), f->h = h;
    f->maxB = p->cfg.max_batch, f->maxBG = p->cfg.max_batch * p->cfg.max_group;
    NnParams *ps = &p->params;
    if (nn_mlp_declare(&f->agent_mlp, ps, "hier.agent", 2, (int[]){AG_IN, h, h}, NN_ACT_GELU, e) ||
        nn_mlp_declare(&f->map_mlp, ps, "hier.map", 2, (int[]){MAP_IN, h, h}, NN_ACT_GELU, e) ||
        nn_mlp_declare(&f->route_mlp, ps, "hier.route", 2, (int[]){ROUTE_IN, h, h}, NN_ACT_GELU, e) ||
        nn_mlp_declare(&f->fuse_mlp, ps, "hier.fuse", 2, (int[]){3 * h + EGO_IN, h, h}, NN_ACT_GELU, e) ||
        nn_mlp_declare(&f->hi_head, ps, "hier.high", 2, (int[]){h, h, NB}, NN_ACT_GELU, e) ||
        nn_mlp_declare(&f->lo_head, ps, "hier.low", 2, (int[]){h, h, NB * f->D}, NN_ACT_GELU, e))
        return -1;
    /* σ0 = min_std + 0.45 m: wide enough for imitation to find the expert, narrow next to a lane width */
    f->log_std_id = nn_params_add_e(ps, "hier.log_std", 2, (int[]){NB, f->D}, NN_INIT_CONST, logf(0.45f), e);
    f->template_id = nn_params_add_e(ps, "hier.template", 2, (int[]){NB, f->D}, NN_INIT_ZEROS, 0, e);
    if (f->log_std_id < 0 || f->template_id < 0) return -1;
    ps->tensors[f->log_std_id].decay = 0;
    pfu_freeze(ps, f->template_id);
    return 0;
}

static void hier_free(Policy *p) {
    HierFam *f = p->fam;
    if (!f) return;
    NnMlp *m[] = {&f->agent_mlp, &f->map_mlp, &f->route_mlp, &f->fuse_mlp, &f->hi_head, &f->lo_head};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) nn_mlp_destroy(m[i]);
    void *bufs[] = {f->agent_in, f->map_in, f->route_in, f->agent_mask, f->map_mask, f->agent_pool, f->map_pool,
                    f->agent_arg, f->map_arg, f->cat, f->fused, f->logp_hi, f->mean, f->log_std, f->ent_gauss,
                    f->act_idx, f->act_cont, f->d_logp_hi, f->d_logits, f->d_mean, f->d_log_std, f->d_fused,
                    f->d_fuse_out, f->d_cat, f->d_part, f->d_entity};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(f);
    p->fam = NULL;
}

static int hier_setup(Policy *p, uint64_t seed, Err *e) {
    (void)seed;
    HierFam *f = p->fam;
    int B = f->maxB, BG = f->maxBG, h = f->h, D = f->D, CAT = 3 * h + EGO_IN;
    if (nn_mlp_alloc(&f->agent_mlp, B * OBS_AGENTS, e) || nn_mlp_alloc(&f->map_mlp, B * OBS_MAP_POLYS, e) ||
        nn_mlp_alloc(&f->route_mlp, B, e) || nn_mlp_alloc(&f->fuse_mlp, B, e) || nn_mlp_alloc(&f->hi_head, B, e) ||
        nn_mlp_alloc(&f->lo_head, B, e))
        return -1;
#define ALLOC(ptr, n) ((ptr) = calloc((size_t)(n), sizeof *(ptr)))
    int ok = ALLOC(f->agent_in, B * OBS_AGENTS * AG_IN) && ALLOC(f->map_in, B * OBS_MAP_POLYS * MAP_IN) &&
             ALLOC(f->route_in, B * ROUTE_IN) && ALLOC(f->agent_mask, B * OBS_AGENTS) &&
             ALLOC(f->map_mask, B * OBS_MAP_POLYS) && ALLOC(f->agent_pool, B * h) && ALLOC(f->map_pool, B * h) &&
             ALLOC(f->agent_arg, B * h) && ALLOC(f->map_arg, B * h) && ALLOC(f->cat, B * CAT) &&
             ALLOC(f->fused, B * h) && ALLOC(f->logp_hi, B * NB) && ALLOC(f->mean, B * NB * D) &&
             ALLOC(f->log_std, NB * D) && ALLOC(f->ent_gauss, NB) && ALLOC(f->act_idx, BG) &&
             ALLOC(f->act_cont, BG * D) && ALLOC(f->d_logp_hi, B * NB) && ALLOC(f->d_logits, B * NB) &&
             ALLOC(f->d_mean, B * NB * D) && ALLOC(f->d_log_std, NB * D) && ALLOC(f->d_fused, B * h) &&
             ALLOC(f->d_fuse_out, B * h) && ALLOC(f->d_cat, B * CAT) && ALLOC(f->d_part, B * h) &&
             ALLOC(f->d_entity, B * (OBS_AGENTS > OBS_MAP_POLYS ? OBS_AGENTS : OBS_MAP_POLYS) * h);
#undef ALLOC
    if (!ok) return err_set(e, "hier: out of memory for batch caches (max_batch %d)", B);
    for (int b = 0; b < NB; b++) hier_template(b, f->H, nn_w(&p->params, f->template_id) + (size_t)b * D);
    /* start every behaviour near its template: the low head's last layer begins 10x smaller */
    const NnDense *last = &f->lo_head.layer[f->lo_head.n_layers - 1];
    float *w = nn_w(&p->params, last->w);
    for (size_t i = 0; i < (size_t)last->in * last->out; i++) w[i] *= 0.1f;
    return 0;
}

/* ---- forward -------------------------------------------------------------------------------- */
static void scale_features(HierFam *f, const Obs *obs, int B) {
    static const float AG_SCALE[AG_IN] = {0.05f, 0.05f, 1, 1, 0.1f, 0.1f, 0.2f, 0.2f, 1, 1, 1, 1, 1, 1, 1, 1};
    static const float EGO_SCALE[OBS_EGO_DIM] = {0.1f, 0.3f, 0.3f, 1, 1, 0.1f, 1, 1};
    int h = f->h, CAT = 3 * h + EGO_IN;
    for (int b = 0; b < B; b++) {
        const Obs *o = &obs[b];
        for (int k = 0; k < OBS_AGENTS; k++) {
            const float *a = o->agents + k * AG_IN;
            float *x = f->agent_in + ((size_t)b * OBS_AGENTS + k) * AG_IN;
            for (int d = 0; d < AG_IN; d++) x[d] = a[d] * AG_SCALE[d];
            f->agent_mask[b * OBS_AGENTS + k] = a[AG_IN - 1] > 0.5f;
        }
        for (int m = 0; m < OBS_MAP_POLYS; m++) {
            float *x = f->map_in + ((size_t)b * OBS_MAP_POLYS + m) * MAP_IN;
            const float *pts = o->map_pts + m * OBS_MAP_PTS * OBS_MAP_PT_DIM, *meta = o->map_meta + m * OBS_MAP_META_DIM;
            for (int d = 0; d < OBS_MAP_PTS * OBS_MAP_PT_DIM; d++) x[d] = 0.05f * pts[d];
            memcpy(x + OBS_MAP_PTS * OBS_MAP_PT_DIM, meta, OBS_MAP_META_DIM * sizeof(float));
            f->map_mask[b * OBS_MAP_POLYS + m] = meta[OBS_MAP_META_DIM - 1] > 0.5f;
        }
        for (int i = 0; i < OBS_ROUTE_PTS; i++) {
            const float *r = o->route + i * OBS_ROUTE_DIM;
            float *x = f->route_in + (size_t)b * ROUTE_IN + i * OBS_ROUTE_DIM;
            x[0] = 0.05f * r[0], x[1] = 0.05f * r[1], x[2] = r[2], x[3] = r[3];
        }
        float *ego = f->cat + (size_t)b * CAT + 3 * h;
        for (int d = 0; d < OBS_EGO_DIM; d++) ego[d] = o->ego[d] * EGO_SCALE[d];
        for (int c = 0; c < CMD_COUNT; c++) ego[OBS_EGO_DIM + c] = o->command == c ? 1.0f : 0.0f;
    }
}

/* Encoder + both heads for B states: logp_hi, mean, log_std, ent_gauss. */
static int hier_forward(Policy *p, const Obs *obs, int B, Err *e) {
    HierFam *f = p->fam;
    const NnParams *ps = &p->params;
    int h = f->h, D = f->D, CAT = 3 * h + EGO_IN;
    for (int b = 0; b < B; b++)
        if (obs[b].command < 0 || obs[b].command >= CMD_COUNT)
            return err_set(e, "hier: observation %d has navigation command %d outside 0..%d", b, obs[b].command,
                           CMD_COUNT - 1);
    scale_features(f, obs, B);
    const float *ya = nn_mlp_forward(&f->agent_mlp, ps, f->agent_in, B * OBS_AGENTS);
    nn_maxpool_forward(f->agent_pool, f->agent_arg, ya, f->agent_mask, B, OBS_AGENTS, h);
    const float *ym = nn_mlp_forward(&f->map_mlp, ps, f->map_in, B * OBS_MAP_POLYS);
    nn_maxpool_forward(f->map_pool, f->map_arg, ym, f->map_mask, B, OBS_MAP_POLYS, h);
    const float *yr = nn_mlp_forward(&f->route_mlp, ps, f->route_in, B);
    for (int b = 0; b < B; b++) {
        float *c = f->cat + (size_t)b * CAT;
        memcpy(c, f->agent_pool + (size_t)b * h, h * sizeof(float));
        memcpy(c + h, f->map_pool + (size_t)b * h, h * sizeof(float));
        memcpy(c + 2 * h, yr + (size_t)b * h, h * sizeof(float));
    }
    const float *yf = nn_mlp_forward(&f->fuse_mlp, ps, f->cat, B);
    nn_gelu_forward(f->fused, yf, (size_t)B * h);
    nn_log_softmax_forward(f->logp_hi, nn_mlp_forward(&f->hi_head, ps, f->fused, B), B, NB);
    const float *lo = nn_mlp_forward(&f->lo_head, ps, f->fused, B);
    const float *tmpl = nn_w(ps, f->template_id), *theta = nn_w(ps, f->log_std_id);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < NB * D; j++) f->mean[(size_t)b * NB * D + j] = tmpl[j] + lo[(size_t)b * NB * D + j];
    for (int k = 0; k < NB; k++) {
        float s = 0.0f;
        for (int d = 0; d < D; d++) {
            float ls = logf(p->cfg.min_std + expf(theta[k * D + d]));
            f->log_std[k * D + d] = ls;
            s += 0.5f + HALF_LOG_2PI + ls;
        }
        f->ent_gauss[k] = s;
    }
    return 0;
}

static float action_logp(const HierFam *f, int b, int idx, const float *x) {
    const float *mu = f->mean + ((size_t)b * NB + idx) * f->D, *ls = f->log_std + (size_t)idx * f->D;
    float s = f->logp_hi[b * NB + idx];
    for (int d = 0; d < f->D; d++) {
        float z = (x[d] - mu[d]) * expf(-ls[d]);
        s += -0.5f * z * z - ls[d] - HALF_LOG_2PI;
    }
    return s;
}

/* ---- operations ----------------------------------------------------------------------------- */
static int hier_act(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e) {
    HierFam *f = p->fam;
    p->cached_B = p->cached_G = 0; /* act reuses the forward buffers: the evaluated batch is gone */
    if (hier_forward(p, obs, B, e)) return -1;
    int D = f->D;
    for (int b = 0; b < B; b++) {
        PolicyAction *a = &out[b];
        memset(a, 0, sizeof *a);
        const float *lp = f->logp_hi + b * NB;
        a->index = greedy ? pfu_argmax(lp, NB) : pfu_sample_categorical(lp, NB, rng);
        const float *mu = f->mean + ((size_t)b * NB + a->index) * D, *ls = f->log_std + (size_t)a->index * D;
        a->n_cont = D;
        for (int d = 0; d < D; d++) a->cont[d] = greedy ? mu[d] : mu[d] + expf(ls[d]) * rng_normal(rng);
        hier_decode(a->cont, f->H, &a->traj);
        if (logp) logp[b] = action_logp(f, b, a->index, a->cont);
    }
    return 0;
}

static int hier_action_from_traj(const Policy *p, const Obs *obs, const Traj *expert, int behaviour,
                                 PolicyAction *out, Err *e) {
    (void)obs, (void)e;
    const HierFam *f = p->fam;
    memset(out, 0, sizeof *out);
    out->index = behaviour;
    out->n_cont = f->D;
    hier_encode(expert, f->H, out->cont);
    hier_decode(out->cont, f->H, &out->traj);
    return 0;
}

static int hier_evaluate(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G, float *logp,
                         float *entropy, Err *e) {
    HierFam *f = p->fam;
    int D = f->D;
    for (int i = 0; i < B * G; i++) {
        if (acts[i].index < 0 || acts[i].index >= NB)
            return err_set(e, "hier evaluate: action %d has behaviour %d outside 0..%d", i, acts[i].index, NB - 1);
        if (acts[i].n_cont != D)
            return err_set(e, "hier evaluate: action %d has %d waypoint coordinates, the policy needs %d", i,
                           acts[i].n_cont, D);
        for (int d = 0; d < D; d++)
            if (!isfinite(acts[i].cont[d])) return err_set(e, "hier evaluate: action %d coordinate %d is not finite", i, d);
    }
    if (hier_forward(p, obs, B, e)) return -1;
    for (int i = 0; i < B * G; i++) {
        f->act_idx[i] = acts[i].index;
        memcpy(f->act_cont + (size_t)i * D, acts[i].cont, D * sizeof(float));
        if (logp) logp[i] = action_logp(f, i / G, acts[i].index, acts[i].cont);
    }
    if (entropy) {
        nn_categorical_entropy_forward(entropy, f->logp_hi, B, NB);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < NB; k++) entropy[b] += expf(f->logp_hi[b * NB + k]) * f->ent_gauss[k];
    }
    return 0;
}

/* KL(N_p ‖ N_q) of behaviour k at state b (diagonal, closed form). */
static float gauss_kl(const HierFam *fp, const HierFam *fq, int b, int k) {
    int D = fp->D;
    const float *mp = fp->mean + ((size_t)b * NB + k) * D, *mq = fq->mean + ((size_t)b * NB + k) * D;
    const float *lp = fp->log_std + (size_t)k * D, *lq = fq->log_std + (size_t)k * D;
    float s = 0.0f;
    for (int d = 0; d < D; d++) {
        float vq = expf(2.0f * lq[d]), dm = mp[d] - mq[d];
        s += lq[d] - lp[d] + (expf(2.0f * lp[d]) + dm * dm) / (2.0f * vq) - 0.5f;
    }
    return s;
}

static int hier_kl(const Policy *p, const Policy *q, float *out, Err *e) {
    (void)e;
    const HierFam *fp = p->fam, *fq = q->fam;
    int B = p->cached_B;
    nn_categorical_kl_forward(out, fp->logp_hi, fq->logp_hi, B, NB);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NB; k++) out[b] += expf(fp->logp_hi[b * NB + k]) * gauss_kl(fp, fq, b, k);
    return 0;
}

/* Gradients of the loss w.r.t. the heads' outputs: d_logp_hi [B,NB], d_mean [B,NB,D], d_log_std [NB,D]. */
static void head_grads(const Policy *p, const PolicyLossGrad *g) {
    HierFam *f = p->fam;
    int B = p->cached_B, G = p->cached_G, D = f->D;
    pfu_zero(f->d_logp_hi, (size_t)B * NB);
    pfu_zero(f->d_mean, (size_t)B * NB * D);
    pfu_zero(f->d_log_std, (size_t)NB * D);
    if (g->dlogp)
        for (int i = 0; i < B * G; i++) {
            int b = i / G, k = f->act_idx[i];
            float w = g->dlogp[i];
            if (w == 0.0f) continue;
            f->d_logp_hi[b * NB + k] += w;
            const float *x = f->act_cont + (size_t)i * D, *mu = f->mean + ((size_t)b * NB + k) * D;
            const float *ls = f->log_std + (size_t)k * D;
            float *dm = f->d_mean + ((size_t)b * NB + k) * D, *dls = f->d_log_std + (size_t)k * D;
            for (int d = 0; d < D; d++) {
                float is = expf(-ls[d]), z = (x[d] - mu[d]) * is;
                dm[d] += w * z * is;
                dls[d] += w * (z * z - 1.0f);
            }
        }
    if (g->dentropy) {
        nn_categorical_entropy_backward(f->d_logp_hi, g->dentropy, f->logp_hi, B, NB);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < NB; k++) {
                float pk = expf(f->logp_hi[b * NB + k]), w = g->dentropy[b];
                f->d_logp_hi[b * NB + k] += w * pk * f->ent_gauss[k]; /* d/dlogp of p·H_k */
                for (int d = 0; d < D; d++) f->d_log_std[k * D + d] += w * pk;
            }
    }
    const HierFam *ft = g->teacher ? g->teacher->fam : NULL;
    float w_ts = ft ? g->w_kl_teacher_student : 0.0f, w_st = ft ? g->w_kl_student_teacher : 0.0f;
    for (int b = 0; b < B && (w_ts != 0.0f || w_st != 0.0f); b++) {
        const float *lps = f->logp_hi + b * NB, *lpt = ft->logp_hi + b * NB;
        float *dl = f->d_logp_hi + b * NB;
        if (w_ts != 0.0f) nn_categorical_kl_backward(NULL, dl, &w_ts, lpt, lps, 1, NB);
        if (w_st != 0.0f) nn_categorical_kl_backward(dl, NULL, &w_st, lps, lpt, 1, NB);
        for (int k = 0; k < NB; k++) {
            float ps_k = expf(lps[k]), pt_k = expf(lpt[k]);
            if (w_st != 0.0f) dl[k] += w_st * ps_k * gauss_kl(f, ft, b, k); /* d/dlogp of p_k·KL_k */
            const float *ms = f->mean + ((size_t)b * NB + k) * D, *mt = ft->mean + ((size_t)b * NB + k) * D;
            const float *ls = f->log_std + (size_t)k * D, *lt = ft->log_std + (size_t)k * D;
            float *dm = f->d_mean + ((size_t)b * NB + k) * D, *dls = f->d_log_std + (size_t)k * D;
            for (int d = 0; d < D; d++) {
                float vs = expf(2.0f * ls[d]), vt = expf(2.0f * lt[d]), dmu = ms[d] - mt[d];
                /* KL(N_t‖N_s) = ls − lt + (vt + dμ²)/(2 vs) − ½ ;  KL(N_s‖N_t) = lt − ls + (vs + dμ²)/(2 vt) − ½ */
                dm[d] += w_ts * pt_k * dmu / vs + w_st * ps_k * dmu / vt;
                dls[d] += w_ts * pt_k * (1.0f - (vt + dmu * dmu) / vs) + w_st * ps_k * (vs / vt - 1.0f);
            }
        }
    }
}

static int hier_backward(Policy *p, const PolicyLossGrad *g, Err *e) {
    (void)e;
    HierFam *f = p->fam;
    NnParams *ps = &p->params;
    int B = p->cached_B, h = f->h, D = f->D, CAT = 3 * h + EGO_IN;
    head_grads(p, g);
    /* σ = min_std + exp(θ): d log σ / dθ = exp(θ) / σ */
    if (!ps->tensors[f->log_std_id].frozen) {
        const float *theta = nn_w(ps, f->log_std_id);
        float *gt = nn_g(ps, f->log_std_id);
        for (int j = 0; j < NB * D; j++) {
            float et = expf(theta[j]);
            gt[j] += f->d_log_std[j] * et / (p->cfg.min_std + et);
        }
    }
    nn_log_softmax_backward(pfu_zero(f->d_logits, (size_t)B * NB), f->d_logp_hi, f->logp_hi, B, NB);
    pfu_zero(f->d_fused, (size_t)B * h);
    nn_mlp_backward(&f->hi_head, ps, f->d_logits, f->d_fused, B);
    nn_mlp_backward(&f->lo_head, ps, f->d_mean, f->d_fused, B); /* mean = template + low-head output */
    nn_gelu_backward(pfu_zero(f->d_fuse_out, (size_t)B * h), f->fuse_mlp.pre[f->fuse_mlp.n_layers - 1], f->d_fused,
                     (size_t)B * h);
    nn_mlp_backward(&f->fuse_mlp, ps, f->d_fuse_out, pfu_zero(f->d_cat, (size_t)B * CAT), B);
    struct { NnMlp *mlp; int32_t *arg; int E; } pooled[2] = {{&f->agent_mlp, f->agent_arg, OBS_AGENTS},
                                                              {&f->map_mlp, f->map_arg, OBS_MAP_POLYS}};
    for (int part = 0; part < 3; part++) {
        for (int b = 0; b < B; b++)
            memcpy(f->d_part + (size_t)b * h, f->d_cat + (size_t)b * CAT + part * h, h * sizeof(float));
        if (part == 2) {
            nn_mlp_backward(&f->route_mlp, ps, f->d_part, NULL, B);
            break;
        }
        int E = pooled[part].E;
        nn_maxpool_backward(pfu_zero(f->d_entity, (size_t)B * E * h), f->d_part, pooled[part].arg, B, E, h);
        nn_mlp_backward(pooled[part].mlp, ps, f->d_entity, NULL, B * E);
    }
    return 0;
}

const float *hier_cached_logp_hi(const Policy *p, int b) { return ((const HierFam *)p->fam)->logp_hi + b * NB; }
const float *hier_cached_mean(const Policy *p, int b, int k) {
    const HierFam *f = p->fam;
    return f->mean + ((size_t)b * NB + k) * f->D;
}
const float *hier_cached_log_std(const Policy *p, int k) {
    const HierFam *f = p->fam;
    return f->log_std + (size_t)k * f->D;
}

const PolicyOps policy_hier_ops = {
    .needs_bev = 0,
    .declare = hier_declare,
    .setup = hier_setup,
    .free_fam = hier_free,
    .act = hier_act,
    .action_from_traj = hier_action_from_traj,
    .evaluate = hier_evaluate,
    .kl = hier_kl,
    .backward = hier_backward,
};
