/* policy_vocab.c — the vocabulary-scoring family (POLICIES.md §1; SparseDriveV2 / VADv2 / Hydra-MDP
 * style) behind the PolicyOps table.
 *
 * Network (hidden width C):
 *   agents [B,32,16] ─MLP 16→C→C─► max-pool over valid agents ─┐
 *   map    [B,32,30] ─MLP 30→C→C─► max-pool over valid lines ──┤ concat [B,4C] ─MLP 4C→C→C─► z [B,C]
 *   route  [B,80]    ─MLP 80→C→C──────────────────────────────┤
 *   ego + command one-hot [B,14] ─linear 14→C─────────────────┘
 *   vocabulary [V, horizon·4] (x/20, y/20, cos h, sin h) ─MLP→C→C─► emb [V,C]
 *   logits[b,k] = z_b · emb_k / √C + bias_k;  π = softmax over the V entries.
 * The vocabulary itself is the frozen tensor "vocab.traj" (policy_vocab_table.c), so checkpoints and
 * clones carry it. Every forward recomputes emb (V small rows), so evaluate → backward covers the
 * whole network; policy_act and top-G reuse the same buffers and therefore invalidate the batch that
 * policy_evaluate cached. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"
#include "craft/policy_vocab.h"
#include "policy_vocab_internal.h"

#define AGENT_IN OBS_AGENT_DIM
#define MAP_IN (OBS_MAP_PTS * OBS_MAP_PT_DIM + OBS_MAP_META_DIM)
#define ROUTE_IN (OBS_ROUTE_PTS * OBS_ROUTE_DIM)
#define EGO_IN (OBS_EGO_DIM + CMD_COUNT)
#define POS_SCALE 0.05f   /* 1 / 20 m */
#define VEL_SCALE 0.1f    /* 1 / 10 m/s */
#define SIZE_SCALE 0.2f   /* 1 / 5 m */

typedef struct { float logp; int k; } VocabRank;

typedef struct {
    int V, C, T, maxB;
    int bias_id;
    NnMlp agent, map, route, ego, fuse, entry;
    /* forward inputs and activations */
    float *agent_in, *map_in, *route_in, *ego_in, *entry_in;
    uint8_t *agent_mask, *map_mask;
    float *agent_pool, *map_pool, *cat, *zs;
    int32_t *agent_arg, *map_arg;
    const float *emb;
    float *emb_act;        /* [V, C] entry embeddings kept for acting, valid for emb_key */
    uint64_t emb_key;
    int emb_valid;
    float *logits, *logp;
    int32_t *idx;          /* evaluated entries [B*G] */
    /* backward */
    float *dlogp, *dlogits, *dzs, *dz, *demb, *dcat, *dpart, *drows;
    VocabRank *rank;       /* top-G sort [V] */
} VocabFam;

static VocabFam *fam(const Policy *p) { return (VocabFam *)p->fam; }

/* ---- declaration and set-up ------------------------------------------------------------------ */
static int declare(Policy *p, Err *e) {
    const PolicyConfig *c = &p->cfg;
    VocabFam *f = calloc(1, sizeof *f);
    if (!f) return err_set(e, "vocab policy: out of memory");
    p->fam = f;
    int C = c->hidden, V = c->vocab_size, T = c->horizon;
    f->C = C, f->V = V, f->T = T, f->maxB = c->max_batch;
    NnParams *P = &p->params;
    if (nn_params_add_e(P, VOCAB_TABLE_NAME, 3, (int[]){V, T, 3}, NN_INIT_ZEROS, 0.0f, e) < 0) return -1;
    if (nn_mlp_declare(&f->agent, P, "agent_enc", 2, (int[]){AGENT_IN, C, C}, NN_ACT_RELU, e) ||
        nn_mlp_declare(&f->map, P, "map_enc", 2, (int[]){MAP_IN, C, C}, NN_ACT_RELU, e) ||
        nn_mlp_declare(&f->route, P, "route_enc", 2, (int[]){ROUTE_IN, C, C}, NN_ACT_RELU, e) ||
        nn_mlp_declare(&f->ego, P, "ego_enc", 1, (int[]){EGO_IN, C}, NN_ACT_RELU, e) ||
        nn_mlp_declare(&f->fuse, P, "fuse", 2, (int[]){4 * C, C, C}, NN_ACT_RELU, e) ||
        nn_mlp_declare(&f->entry, P, "entry_enc", 2, (int[]){4 * T, C, C}, NN_ACT_RELU, e))
        return -1;
    f->bias_id = nn_params_add_e(P, "head.bias", 1, (int[]){V}, NN_INIT_ZEROS, 0.0f, e);
    if (f->bias_id < 0) return -1;
    nn_params_set_frozen(P, VOCAB_TABLE_NAME, 1);
    return 0;
}

static void free_fam(Policy *p) {
    VocabFam *f = fam(p);
    if (!f) return;
    NnMlp *mlps[] = {&f->agent, &f->map, &f->route, &f->ego, &f->fuse, &f->entry};
    for (int i = 0; i < 6; i++) nn_mlp_destroy(mlps[i]);
    void *bufs[] = {f->agent_in, f->map_in, f->route_in, f->ego_in, f->entry_in, f->agent_mask, f->map_mask,
                    f->agent_pool, f->map_pool, f->cat, f->zs, f->agent_arg, f->map_arg, f->logits, f->logp,
                    f->idx, f->dlogp, f->dlogits, f->dzs, f->dz, f->demb, f->dcat, f->dpart, f->drows, f->rank,
                    f->emb_act};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(f);
    p->fam = NULL;
}

static int setup(Policy *p, uint64_t seed, Err *e) {
    (void)seed; /* the default vocabulary depends on the config only */
    VocabFam *f = fam(p);
    size_t B = (size_t)f->maxB, C = (size_t)f->C, V = (size_t)f->V, E = OBS_AGENTS > OBS_MAP_POLYS ? OBS_AGENTS : OBS_MAP_POLYS;
    vocab_build_default(vocab_table(p), f->V, f->T);
    if (nn_mlp_alloc(&f->agent, f->maxB * OBS_AGENTS, e) || nn_mlp_alloc(&f->map, f->maxB * OBS_MAP_POLYS, e) ||
        nn_mlp_alloc(&f->route, f->maxB, e) || nn_mlp_alloc(&f->ego, f->maxB, e) ||
        nn_mlp_alloc(&f->fuse, f->maxB, e) || nn_mlp_alloc(&f->entry, f->V, e))
        return -1;
    int ok = (f->agent_in = malloc(B * OBS_AGENTS * AGENT_IN * sizeof(float))) &&
             (f->map_in = malloc(B * OBS_MAP_POLYS * MAP_IN * sizeof(float))) &&
             (f->route_in = malloc(B * ROUTE_IN * sizeof(float))) && (f->ego_in = malloc(B * EGO_IN * sizeof(float))) &&
             (f->entry_in = malloc(V * 4 * (size_t)f->T * sizeof(float))) &&
             (f->agent_mask = malloc(B * OBS_AGENTS)) && (f->map_mask = malloc(B * OBS_MAP_POLYS)) &&
             (f->agent_pool = malloc(B * C * sizeof(float))) && (f->map_pool = malloc(B * C * sizeof(float))) &&
             (f->cat = malloc(B * 4 * C * sizeof(float))) && (f->zs = malloc(B * C * sizeof(float))) &&
             (f->agent_arg = malloc(B * C * sizeof(int32_t))) && (f->map_arg = malloc(B * C * sizeof(int32_t))) &&
             (f->logits = malloc(B * V * sizeof(float))) && (f->logp = malloc(B * V * sizeof(float))) &&
             (f->idx = malloc(B * (size_t)p->cfg.max_group * sizeof(int32_t))) &&
             (f->dlogp = malloc(B * V * sizeof(float))) && (f->dlogits = malloc(B * V * sizeof(float))) &&
             (f->dzs = malloc(B * C * sizeof(float))) && (f->dz = malloc(B * C * sizeof(float))) &&
             (f->demb = malloc(V * C * sizeof(float))) && (f->dcat = malloc(B * 4 * C * sizeof(float))) &&
             (f->dpart = malloc(B * C * sizeof(float))) && (f->drows = malloc(B * E * C * sizeof(float))) &&
             (f->rank = malloc(V * sizeof(VocabRank))) && (f->emb_act = malloc(V * C * sizeof(float)));
    return ok ? 0 : err_set(e, "vocab policy: out of memory for batch buffers (max_batch %d)", f->maxB);
}

/* ---- forward ------------------------------------------------------------------------------- */
static void build_inputs(VocabFam *f, const Obs *obs, int B) {
    for (int b = 0; b < B; b++) {
        const Obs *o = &obs[b];
        for (int k = 0; k < OBS_AGENTS; k++) {
            const float *a = &o->agents[k * OBS_AGENT_DIM];
            float *x = &f->agent_in[((size_t)b * OBS_AGENTS + k) * AGENT_IN];
            x[0] = a[0] * POS_SCALE, x[1] = a[1] * POS_SCALE, x[2] = a[2], x[3] = a[3];
            x[4] = a[4] * VEL_SCALE, x[5] = a[5] * VEL_SCALE, x[6] = a[6] * SIZE_SCALE, x[7] = a[7] * SIZE_SCALE;
            memcpy(x + 8, a + 8, (OBS_AGENT_DIM - 8) * sizeof(float));
            f->agent_mask[b * OBS_AGENTS + k] = a[OBS_AGENT_DIM - 1] > 0.5f;
        }
        for (int k = 0; k < OBS_MAP_POLYS; k++) {
            float *x = &f->map_in[((size_t)b * OBS_MAP_POLYS + k) * MAP_IN];
            const float *pts = &o->map_pts[k * OBS_MAP_PTS * OBS_MAP_PT_DIM], *meta = &o->map_meta[k * OBS_MAP_META_DIM];
            for (int j = 0; j < OBS_MAP_PTS * OBS_MAP_PT_DIM; j++) x[j] = pts[j] * POS_SCALE;
            memcpy(x + OBS_MAP_PTS * OBS_MAP_PT_DIM, meta, OBS_MAP_META_DIM * sizeof(float));
            f->map_mask[b * OBS_MAP_POLYS + k] = meta[OBS_MAP_META_DIM - 1] > 0.5f;
        }
        float *r = &f->route_in[(size_t)b * ROUTE_IN];
        for (int k = 0; k < OBS_ROUTE_PTS; k++) {
            const float *q = &o->route[k * OBS_ROUTE_DIM];
            r[4 * k] = q[0] * POS_SCALE, r[4 * k + 1] = q[1] * POS_SCALE, r[4 * k + 2] = q[2], r[4 * k + 3] = q[3];
        }
        float *g = &f->ego_in[(size_t)b * EGO_IN];
        const float *eg = o->ego;
        float v[OBS_EGO_DIM] = {eg[0] * VEL_SCALE, eg[1] * 0.25f, eg[2] * 0.25f, eg[3], eg[4], eg[5] * VEL_SCALE, eg[6], eg[7]};
        memcpy(g, v, sizeof v);
        for (int c = 0; c < CMD_COUNT; c++) g[OBS_EGO_DIM + c] = o->command == c ? 1.0f : 0.0f;
    }
}

static void build_entry_inputs(const Policy *p, VocabFam *f) {
    const float *tab = vocab_table(p);
    for (int k = 0; k < f->V; k++)
        for (int w = 0; w < f->T; w++) {
            const float *e = &tab[((size_t)k * f->T + w) * 3];
            float *x = &f->entry_in[((size_t)k * f->T + w) * 4];
            x[0] = e[0] * POS_SCALE, x[1] = e[1] * POS_SCALE, x[2] = cosf(e[2]), x[3] = sinf(e[2]);
        }
}

/* Copies a [B, C] block into (or out of) column block `slot` of the [B, 4C] concatenation. */
static void cat_put(float *cat, const float *x, int B, int C, int slot) {
    for (int b = 0; b < B; b++) memcpy(&cat[((size_t)b * 4 + slot) * C], &x[(size_t)b * C], (size_t)C * sizeof(float));
}
static void cat_get(float *x, const float *cat, int B, int C, int slot) {
    for (int b = 0; b < B; b++) memcpy(&x[(size_t)b * C], &cat[((size_t)b * 4 + slot) * C], (size_t)C * sizeof(float));
}

/* XXH64 over everything the entry embeddings are a function of: the entry encoder's weights and
 * the vocabulary. */
static uint64_t entry_key(const Policy *p, const VocabFam *f) {
    const NnParams *P = &p->params;
    uint64_t h = XXH64(vocab_table(p), (size_t)f->V * f->T * 3 * sizeof(float), 0);
    for (int l = 0; l < f->entry.n_layers; l++) {
        const NnDense *d = &f->entry.layer[l];
        h = XXH64(nn_w(P, d->w), (size_t)d->in * d->out * sizeof(float), h);
        if (d->b >= 0) h = XXH64(nn_w(P, d->b), (size_t)d->out * sizeof(float), h);
    }
    return h;
}

/* The entry embeddings f->emb. They do not depend on the state, and a rollout acts on one state per
 * call with fixed weights, so acting (for_act) reuses the last ones while entry_key is unchanged: a
 * hit returns exactly what recomputing would. Evaluate always recomputes, as its backward reads the
 * encoder's activations. */
static void entry_embeddings(Policy *p, VocabFam *f, int for_act) {
    uint64_t key = for_act ? entry_key(p, f) : 0;
    if (for_act && f->emb_valid && key == f->emb_key) {
        f->emb = f->emb_act;
        return;
    }
    build_entry_inputs(p, f);
    f->emb = nn_mlp_forward(&f->entry, &p->params, f->entry_in, f->V);
    if (for_act) {
        memcpy(f->emb_act, f->emb, (size_t)f->V * f->C * sizeof(float));
        f->emb_key = key;
        f->emb_valid = 1;
    }
}

/* Fills f->logp [B, V] for B states. */
static void forward(Policy *p, const Obs *obs, int B, int for_act) {
    VocabFam *f = fam(p);
    const NnParams *P = &p->params;
    int C = f->C;
    build_inputs(f, obs, B);
    const float *a = nn_mlp_forward(&f->agent, P, f->agent_in, B * OBS_AGENTS);
    nn_maxpool_forward(f->agent_pool, f->agent_arg, a, f->agent_mask, B, OBS_AGENTS, C);
    const float *m = nn_mlp_forward(&f->map, P, f->map_in, B * OBS_MAP_POLYS);
    nn_maxpool_forward(f->map_pool, f->map_arg, m, f->map_mask, B, OBS_MAP_POLYS, C);
    cat_put(f->cat, f->agent_pool, B, C, 0);
    cat_put(f->cat, f->map_pool, B, C, 1);
    cat_put(f->cat, nn_mlp_forward(&f->route, P, f->route_in, B), B, C, 2);
    cat_put(f->cat, nn_mlp_forward(&f->ego, P, f->ego_in, B), B, C, 3);
    const float *z = nn_mlp_forward(&f->fuse, P, f->cat, B);
    float scale = 1.0f / sqrtf((float)C);
    for (size_t i = 0; i < (size_t)B * C; i++) f->zs[i] = z[i] * scale;
    entry_embeddings(p, f, for_act);
    nn_linear_forward(f->logits, f->zs, f->emb, nn_w(P, f->bias_id), B, C, f->V);
    nn_log_softmax_forward(f->logp, f->logits, B, f->V);
}

static void fill_action(const Policy *p, int k, PolicyAction *out) {
    memset(out, 0, sizeof *out);
    out->index = k;
    policy_vocab_entry(p, k, &out->traj);
}

/* ---- operations ---------------------------------------------------------------------------- */
/* Entry drawn from (or the mode of) one state's log-probabilities lp[V]. */
static int choose_entry(const VocabFam *f, const float *lp, Rng *rng, int greedy) {
    int k = 0;
    if (greedy) {
        for (int j = 1; j < f->V; j++)
            if (lp[j] > lp[k]) k = j;
    } else { /* inverse CDF in double; the last entry takes any rounding remainder */
        double u = (double)rng_uniform(rng), c = 0.0;
        k = f->V - 1;
        for (int j = 0; j < f->V; j++)
            if ((c += exp((double)lp[j])) > u) { k = j; break; }
    }
    return k;
}

static int act(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e) {
    (void)e;
    VocabFam *f = fam(p);
    p->cached_B = p->cached_G = 0; /* the buffers policy_evaluate cached are overwritten */
    forward(p, obs, B, 1);
    for (int b = 0; b < B; b++) {
        const float *lp = &f->logp[(size_t)b * f->V];
        int k = choose_entry(f, lp, rng, greedy);
        fill_action(p, k, &out[b]);
        if (logp) logp[b] = lp[k];
    }
    return 0;
}

static int action_from_traj(const Policy *p, const Obs *obs, const Traj *expert, int behaviour, PolicyAction *out,
                            Err *e) {
    (void)obs, (void)behaviour, (void)e;
    fill_action(p, policy_vocab_nearest(p, expert, NULL), out);
    return 0;
}

static int evaluate(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G, float *logp, float *entropy,
                    Err *e) {
    VocabFam *f = fam(p);
    for (int i = 0; i < B * G; i++)
        if (acts[i].index < 0 || acts[i].index >= f->V)
            return err_set(e, "policy_evaluate: action %d has vocabulary index %d outside 0..%d", i, acts[i].index, f->V - 1);
    forward(p, obs, B, 0);
    for (int b = 0; b < B; b++)
        for (int g = 0; g < G; g++) {
            int i = b * G + g;
            f->idx[i] = acts[i].index;
            if (logp) logp[i] = f->logp[(size_t)b * f->V + acts[i].index];
        }
    if (entropy) nn_categorical_entropy_forward(entropy, f->logp, B, f->V);
    return 0;
}

static int kl(const Policy *p, const Policy *q, float *out, Err *e) {
    (void)e;
    nn_categorical_kl_forward(out, fam(p)->logp, fam(q)->logp, p->cached_B, fam(p)->V);
    return 0;
}

/* Back through the scene encoder from dz [B, C] (in f->dz). */
static void backward_encoder(Policy *p, int B) {
    VocabFam *f = fam(p);
    NnParams *P = &p->params;
    int C = f->C;
    memset(f->dcat, 0, (size_t)B * 4 * C * sizeof(float));
    nn_mlp_backward(&f->fuse, P, f->dz, f->dcat, B);
    struct { NnMlp *mlp; const int32_t *arg; int E; } pooled[2] = {
        {&f->agent, f->agent_arg, OBS_AGENTS}, {&f->map, f->map_arg, OBS_MAP_POLYS}};
    for (int s = 0; s < 2; s++) {
        cat_get(f->dpart, f->dcat, B, C, s);
        memset(f->drows, 0, (size_t)B * pooled[s].E * C * sizeof(float));
        nn_maxpool_backward(f->drows, f->dpart, pooled[s].arg, B, pooled[s].E, C);
        nn_mlp_backward(pooled[s].mlp, P, f->drows, NULL, B * pooled[s].E);
    }
    cat_get(f->dpart, f->dcat, B, C, 2);
    nn_mlp_backward(&f->route, P, f->dpart, NULL, B);
    cat_get(f->dpart, f->dcat, B, C, 3);
    nn_mlp_backward(&f->ego, P, f->dpart, NULL, B);
}

static int backward(Policy *p, const PolicyLossGrad *g, Err *e) {
    (void)e;
    VocabFam *f = fam(p);
    NnParams *P = &p->params;
    int B = p->cached_B, G = p->cached_G, V = f->V, C = f->C;
    size_t BV = (size_t)B * V;
    memset(f->dlogp, 0, BV * sizeof(float));
    if (g->dlogp)
        for (int i = 0; i < B * G; i++) f->dlogp[(size_t)(i / G) * V + f->idx[i]] += g->dlogp[i];
    if (g->dentropy) nn_categorical_entropy_backward(f->dlogp, g->dentropy, f->logp, B, V);
    if (g->teacher && (g->w_kl_teacher_student != 0.0f || g->w_kl_student_teacher != 0.0f)) {
        const float *lt = fam(g->teacher)->logp;
        float *w = f->dpart; /* [B] weights: dpart is free until backward_encoder */
        if (g->w_kl_teacher_student != 0.0f) { /* KL(teacher ‖ p): p is the second argument */
            for (int b = 0; b < B; b++) w[b] = g->w_kl_teacher_student;
            nn_categorical_kl_backward(NULL, f->dlogp, w, lt, f->logp, B, V);
        }
        if (g->w_kl_student_teacher != 0.0f) { /* KL(p ‖ teacher) */
            for (int b = 0; b < B; b++) w[b] = g->w_kl_student_teacher;
            nn_categorical_kl_backward(f->dlogp, NULL, w, f->logp, lt, B, V);
        }
    }
    memset(f->dlogits, 0, BV * sizeof(float));
    nn_log_softmax_backward(f->dlogits, f->dlogp, f->logp, B, V);
    memset(f->dzs, 0, (size_t)B * C * sizeof(float));
    memset(f->demb, 0, (size_t)V * C * sizeof(float));
    nn_linear_backward(f->dzs, f->demb, nn_g(P, f->bias_id), f->dlogits, f->zs, f->emb, B, C, V);
    nn_mlp_backward(&f->entry, P, f->demb, NULL, V);
    float scale = 1.0f / sqrtf((float)C);
    for (size_t i = 0; i < (size_t)B * C; i++) f->dz[i] = f->dzs[i] * scale;
    backward_encoder(p, B);
    return 0;
}

/* ---- top-G entries ------------------------------------------------------------------------- */
static int cmp_rank(const void *a, const void *b) {
    const VocabRank *x = a, *y = b;
    if (x->logp != y->logp) return x->logp > y->logp ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* The G most probable entries of one state, best first. */
static void top_of(Policy *p, const float *lp, int G, PolicyAction *out, float *logp) {
    VocabFam *f = fam(p);
    for (int k = 0; k < f->V; k++) f->rank[k] = (VocabRank){lp[k], k};
    qsort(f->rank, (size_t)f->V, sizeof *f->rank, cmp_rank);
    for (int g = 0; g < G; g++) {
        fill_action(p, f->rank[g].k, &out[g]);
        if (logp) logp[g] = f->rank[g].logp;
    }
}

static int check_top(const Policy *p, const char *what, int B, int G, Err *e) {
    if (p->cfg.family != POLICY_VOCAB) return err_set(e, "%s: not a vocab policy", what);
    if (B < 1 || B > p->cfg.max_batch) return err_set(e, "%s: batch %d outside 1..%d", what, B, p->cfg.max_batch);
    if (G < 1 || G > p->cfg.vocab_size) return err_set(e, "%s: G %d outside 1..%d", what, G, p->cfg.vocab_size);
    return 0;
}

int policy_vocab_top_entries(Policy *p, const Obs *obs, int B, int G, PolicyAction *out, float *logp, Err *e) {
    if (check_top(p, "policy_vocab_top_entries", B, G, e)) return -1;
    VocabFam *f = fam(p);
    p->cached_B = p->cached_G = 0;
    forward(p, obs, B, 1);
    for (int b = 0; b < B; b++) top_of(p, &f->logp[(size_t)b * f->V], G, &out[b * G], logp ? &logp[b * G] : NULL);
    return 0;
}

int policy_vocab_act_and_top(Policy *p, const Obs *obs, Rng *rng, PolicyAction *executed, int G, PolicyAction *top,
                             Err *e) {
    if (check_top(p, "policy_vocab_act_and_top", 1, G, e)) return -1;
    if (!rng) return err_set(e, "policy_vocab_act_and_top: sampling needs an Rng");
    VocabFam *f = fam(p);
    p->cached_B = p->cached_G = 0;
    forward(p, obs, 1, 1);
    fill_action(p, choose_entry(f, f->logp, rng, 0), executed);
    top_of(p, f->logp, G, top, NULL);
    return 0;
}

const PolicyOps policy_vocab_ops = {
    .needs_bev = 0,
    .declare = declare,
    .setup = setup,
    .free_fam = free_fam,
    .act = act,
    .action_from_traj = action_from_traj,
    .evaluate = evaluate,
    .kl = kl,
    .backward = backward,
};
