/* policy_vla.c — the token vision-language-action family (MindDrive style, small; POLICIES.md family 3).
 * Tokens (width C = cfg.hidden): 16 "vision" tokens from a conv encoder over the BEV raster
 * (6×64×64 → patchify 8×8 cells (4 m) → 32×8×8 → GELU → 2×2 merge → C×4×4), 8 "language" tokens embedding the instruction (padding
 * masked), one ego-state token (ego features + command one-hot, projected). One small causal
 * transformer (2 layers) is SHARED by two experts, each with its own LoRA adapter set:
 *   decision expert (adapter 0): [scene | query]               → p(decision | s) at the query
 *   action expert   (adapter 1): [scene | decision | a_1..a_H−1] → p(a_t | s, decision, a_<t)
 * The experts switch by position in the plan: the decision position is produced by the decision
 * expert, every action position by the action expert. Each expert runs its own causal pass over the
 * positions it conditions on (MindDrive's experts are two adapted copies of one model), so one
 * transformer call uses one adapter set (act decodes each expert incrementally over a key/value cache
 * of the scene prefix, one new row per plan position; evaluate teacher-forces full passes).
 * log π = log p(decision) + Σ_t log p(a_t | …) (cfg vla_decision_only: the decision term only, and
 * the action expert is then not evaluated at all).
 * Entropy and KL are closed form per token position, along the prefix of the state's first action
 * (teacher forcing): Σ over positions of the categorical entropy / KL of that position's distribution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"
#include "craft/nn_transformer.h"
#include "policy_family_util.h"
#include "policy_internal.h"
#include "policy_vla.h"

#define T_VIS 16
#define T_LANG OBS_INSTR_LEN
#define P_LEN (T_VIS + T_LANG + 1)      /* scene prefix: vision, language, ego */
#define EGO_IN (OBS_EGO_DIM + CMD_COUNT)
#define C1 32                           /* patch features */
#define N_CONV 2
#define NL 2                            /* transformer layers */
#define LORA_RANK 4
#define NV VLA_ACT_VOCAB
#define ND VLA_DEC_COUNT

typedef struct {
    int H, C, T_dec, T_act, maxB, maxBG, dec_only;
    NnConvShape cs[N_CONV];
    int conv_w[N_CONV], conv_b[N_CONV];
    int instr_emb, dec_emb, act_emb, query, pos;
    NnDense ego, dec_head, act_head;
    NnTransformer tf_dec, tf_act;
    /* forward (valid for the last act/evaluate) */
    float *bev, *col, *c1, *g1, *c2;          /* raster copy [B, 6, 64, 64], conv activations */
    float *ego_in, *ego_out;                   /* [B, EGO_IN], [B, C] */
    int32_t *instr_ids;                        /* [B, T_LANG], padding → −1 */
    float *prefix;                             /* [B, P_LEN, C] */
    float *x_dec, *x_act;                      /* transformer inputs [B, T_dec, C], [B·G, T_act, C] */
    uint8_t *mask_dec, *mask_act;
    float *h_dec, *h_act;                      /* head inputs [B, C], [B·G·H, C] */
    float *logp_dec, *logp_act;                /* [B, ND], [B·G, H, NV] */
    int32_t *tok;                              /* tokens of the evaluated actions [B·G, 1 + H] */
    int act_rows;                              /* rows of the last action pass (0: not run) */
    /* backward */
    float *d_logp_dec, *d_logp_act, *d_logits_dec, *d_logits_act, *d_h_dec, *d_h_act;
    float *d_out_dec, *d_out_act, *d_x_dec, *d_x_act, *d_prefix, *d_ego;
    float *d_c2, *d_g1, *d_c1;
} VlaFam;

/* ---- declaration and setup ------------------------------------------------------------------ */
static int vla_declare(Policy *p, Err *e) {
    VlaFam *f = calloc(1, sizeof *f);
    if (!f) return err_set(e, "vla: out of memory");
    p->fam = f;
    NnParams *ps = &p->params;
    int C = p->cfg.hidden;
    f->H = p->cfg.horizon, f->C = C, f->dec_only = p->cfg.vla_decision_only;
    f->T_dec = P_LEN + 1, f->T_act = P_LEN + f->H;
    f->maxB = p->cfg.max_batch, f->maxBG = p->cfg.max_batch * p->cfg.max_group;
    /* 64 → 8 (k8 s8: one feature vector per 4 m patch) → 4 (k2 s2) */
    f->cs[0] = (NnConvShape){1, OBS_BEV_CH, OBS_BEV, OBS_BEV, C1, 8, 8, 8, 0};
    f->cs[1] = (NnConvShape){1, C1, 8, 8, C, 2, 2, 2, 0};
    char name[64];
    for (int l = 0; l < N_CONV; l++) {
        NnConvShape s = f->cs[l];
        snprintf(name, sizeof name, "vla.conv%d.weight", l + 1);
        if ((f->conv_w[l] = nn_params_add_e(ps, name, 4, (int[]){s.Cout, s.Cin, s.KH, s.KW}, NN_INIT_KAIMING, 0, e)) < 0)
            return -1;
        snprintf(name, sizeof name, "vla.conv%d.bias", l + 1);
        if ((f->conv_b[l] = nn_params_add_e(ps, name, 1, (int[]){s.Cout}, NN_INIT_ZEROS, 0, e)) < 0) return -1;
    }
    if ((f->instr_emb = nn_params_add_e(ps, "vla.instr_embed", 2, (int[]){VLA_INSTR_VOCAB, C}, NN_INIT_NORMAL, 0.1f, e)) < 0 ||
        (f->dec_emb = nn_params_add_e(ps, "vla.decision_embed", 2, (int[]){ND, C}, NN_INIT_NORMAL, 0.1f, e)) < 0 ||
        (f->act_emb = nn_params_add_e(ps, "vla.action_embed", 2, (int[]){NV, C}, NN_INIT_NORMAL, 0.1f, e)) < 0 ||
        (f->query = nn_params_add_e(ps, "vla.query", 2, (int[]){1, C}, NN_INIT_NORMAL, 0.1f, e)) < 0 ||
        (f->pos = nn_params_add_e(ps, "vla.pos_embed", 2, (int[]){f->T_act > f->T_dec ? f->T_act : f->T_dec, C},
                                  NN_INIT_NORMAL, 0.1f, e)) < 0)
        return -1;
    if (nn_dense_declare(&f->ego, ps, "vla.ego", EGO_IN, C, 1, 0, 0, 0.0f, e) ||
        nn_dense_declare(&f->dec_head, ps, "vla.decision_head", C, ND, 1, 0, 0, 0.0f, e) ||
        nn_dense_declare(&f->act_head, ps, "vla.action_head", C, NV, 1, 0, 0, 0.0f, e))
        return -1;
    int n_head = C >= 32 && C % 16 == 0 ? C / 16 : 1;
    NnTransformerConfig tc = {.n_layer = NL, .C = C, .n_head = n_head, .max_B = f->maxB, .max_T = f->T_dec,
                              .causal = 1, .n_adapters = 2, .lora_rank = LORA_RANK, .lora_alpha = 2.0f * LORA_RANK};
    if (nn_transformer_declare(&f->tf_dec, ps, "vla.tf", tc, e)) return -1;
    /* the action expert: the same tensors, its own activation buffers sized for B·G rows */
    f->tf_act = f->tf_dec;
    f->tf_act.cfg.max_B = f->maxBG, f->tf_act.cfg.max_T = f->T_act;
    return 0;
}

static void vla_free(Policy *p) {
    VlaFam *f = p->fam;
    if (!f) return;
    nn_transformer_destroy(&f->tf_dec);
    nn_transformer_destroy(&f->tf_act);
    void *bufs[] = {f->bev, f->col, f->c1, f->g1, f->c2, f->ego_in, f->ego_out, f->instr_ids, f->prefix,
                    f->x_dec, f->x_act, f->mask_dec, f->mask_act, f->h_dec, f->h_act, f->logp_dec, f->logp_act,
                    f->tok, f->d_logp_dec, f->d_logp_act, f->d_logits_dec, f->d_logits_act, f->d_h_dec, f->d_h_act,
                    f->d_out_dec, f->d_out_act, f->d_x_dec, f->d_x_act, f->d_prefix, f->d_ego, f->d_c2, f->d_g1,
                    f->d_c1};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(f);
    p->fam = NULL;
}

static int vla_setup(Policy *p, uint64_t seed, Err *e) {
    (void)seed;
    VlaFam *f = p->fam;
    if (nn_transformer_alloc(&f->tf_dec, e) || nn_transformer_alloc(&f->tf_act, e) ||
        nn_transformer_alloc_decode(&f->tf_dec, f->maxB, e) || nn_transformer_alloc_decode(&f->tf_act, f->maxB, e))
        return -1;
    size_t B = (size_t)f->maxB, BG = (size_t)f->maxBG, C = (size_t)f->C, H = (size_t)f->H, col = 0;
    for (int l = 0; l < N_CONV; l++) {
        size_t n = nn_conv2d_col_floats(f->cs[l]);
        col = n > col ? n : col;
    }
    size_t n1 = B * C1 * 8 * 8, n2 = B * C * T_VIS;
#define ALLOC(ptr, n) ((ptr) = calloc((n), sizeof *(ptr)))
    int ok = ALLOC(f->bev, B * OBS_BEV_CH * OBS_BEV * OBS_BEV) && ALLOC(f->col, col) && ALLOC(f->c1, n1) && ALLOC(f->g1, n1) && ALLOC(f->c2, n2) && ALLOC(f->ego_in, B * EGO_IN) && ALLOC(f->ego_out, B * C) &&
             ALLOC(f->instr_ids, B * T_LANG) && ALLOC(f->prefix, B * P_LEN * C) &&
             ALLOC(f->x_dec, B * f->T_dec * C) && ALLOC(f->x_act, BG * f->T_act * C) &&
             ALLOC(f->mask_dec, B * f->T_dec) && ALLOC(f->mask_act, BG * f->T_act) && ALLOC(f->h_dec, B * C) &&
             ALLOC(f->h_act, BG * H * C) && ALLOC(f->logp_dec, B * ND) && ALLOC(f->logp_act, BG * H * NV) &&
             ALLOC(f->tok, BG * (1 + H)) && ALLOC(f->d_logp_dec, B * ND) && ALLOC(f->d_logp_act, BG * H * NV) &&
             ALLOC(f->d_logits_dec, B * ND) && ALLOC(f->d_logits_act, BG * H * NV) && ALLOC(f->d_h_dec, B * C) &&
             ALLOC(f->d_h_act, BG * H * C) && ALLOC(f->d_out_dec, B * f->T_dec * C) &&
             ALLOC(f->d_out_act, BG * f->T_act * C) && ALLOC(f->d_x_dec, B * f->T_dec * C) &&
             ALLOC(f->d_x_act, BG * f->T_act * C) && ALLOC(f->d_prefix, B * P_LEN * C) && ALLOC(f->d_ego, B * C) &&
             ALLOC(f->d_c2, n2) && ALLOC(f->d_g1, n1) && ALLOC(f->d_c1, n1);
#undef ALLOC
    if (!ok) return err_set(e, "vla: out of memory for batch caches (max_batch %d x max_group %d)", f->maxB, f->maxBG / f->maxB);
    return 0;
}

/* Conv layer l with its buffers (one image per call: im2col workspace is per image). */
typedef struct {
    NnConvShape s;
    size_t in_n, out_n;                 /* floats per image */
    float *in, *out, *act;              /* input, pre-activation, GELU output (NULL: last layer) */
    float *d_in, *d_out, *d_act;        /* their gradients (d_in NULL for the raster) */
} ConvLayer;

static ConvLayer conv_layer(VlaFam *f, int l) {
    ConvLayer L = {.s = f->cs[l]};
    L.in_n = (size_t)L.s.Cin * L.s.H * L.s.W;
    L.out_n = (size_t)L.s.Cout * nn_conv2d_out_h(L.s) * nn_conv2d_out_w(L.s);
    float *in[N_CONV] = {f->bev, f->g1}, *out[N_CONV] = {f->c1, f->c2}, *act[N_CONV] = {f->g1, NULL};
    float *d_in[N_CONV] = {NULL, f->d_g1}, *d_out[N_CONV] = {f->d_c1, f->d_c2}, *d_act[N_CONV] = {f->d_g1, NULL};
    L.in = in[l], L.out = out[l], L.act = act[l], L.d_in = d_in[l], L.d_out = d_out[l], L.d_act = d_act[l];
    return L;
}

/* ---- forward -------------------------------------------------------------------------------- */
static int check_obs(const Obs *obs, int B, Err *e) {
    for (int b = 0; b < B; b++) {
        if (!obs[b].has_bev)
            return err_set(e, "vla: observation %d has no BEV raster (encode with ObsConfig.with_bev = 1)", b);
        if (obs[b].command < 0 || obs[b].command >= CMD_COUNT)
            return err_set(e, "vla: observation %d has navigation command %d outside 0..%d", b, obs[b].command,
                           CMD_COUNT - 1);
        for (int i = 0; i < T_LANG; i++)
            if (obs[b].instr[i] < 0 || obs[b].instr[i] >= VLA_INSTR_VOCAB)
                return err_set(e, "vla: observation %d instruction token %d = %d outside 0..%d", b, i, obs[b].instr[i],
                               VLA_INSTR_VOCAB - 1);
    }
    return 0;
}

/* Scene prefix tokens [B, P_LEN, C] (vision, language, ego), without positions. */
static void encode_scene(VlaFam *f, const NnParams *ps, const Obs *obs, int B) {
    static const float EGO_SCALE[OBS_EGO_DIM] = {0.1f, 0.3f, 0.3f, 1, 1, 0.1f, 1, 1};
    int C = f->C;
    size_t bev_n = (size_t)OBS_BEV_CH * OBS_BEV * OBS_BEV;
    for (int b = 0; b < B; b++) /* occupancy bytes -> the conv encoder's floats */
        for (size_t i = 0; i < bev_n; i++) f->bev[b * bev_n + i] = (float)obs[b].bev[i];
    for (int l = 0; l < N_CONV; l++) {
        ConvLayer L = conv_layer(f, l);
        for (int b = 0; b < B; b++)
            nn_conv2d_forward(L.out + b * L.out_n, f->col, L.in + b * L.in_n, nn_w(ps, f->conv_w[l]),
                              nn_w(ps, f->conv_b[l]), L.s);
        if (L.act) nn_gelu_forward(L.act, L.out, (size_t)B * L.out_n);
    }
    for (int b = 0; b < B; b++) {
        float *pre = f->prefix + (size_t)b * P_LEN * C;
        nn_transpose_forward(pre, f->c2 + (size_t)b * C * T_VIS, 1, C, T_VIS);
        int32_t *ids = f->instr_ids + b * T_LANG;
        for (int i = 0; i < T_LANG; i++) ids[i] = obs[b].instr[i] ? obs[b].instr[i] : -1;
        nn_embedding_forward(pre + T_VIS * C, ids, nn_w(ps, f->instr_emb), T_LANG, C);
        float *eg = f->ego_in + b * EGO_IN;
        for (int d = 0; d < OBS_EGO_DIM; d++) eg[d] = obs[b].ego[d] * EGO_SCALE[d];
        for (int c = 0; c < CMD_COUNT; c++) eg[OBS_EGO_DIM + c] = obs[b].command == c ? 1.0f : 0.0f;
    }
    nn_dense_forward(&f->ego, ps, f->ego_out, NULL, f->ego_in, B, -1);
    for (int b = 0; b < B; b++)
        memcpy(f->prefix + ((size_t)b * P_LEN + P_LEN - 1) * C, f->ego_out + (size_t)b * C, C * sizeof(float));
}

/* Completes one transformer input row whose tokens after the prefix are already in place: copies the
 * state's scene prefix in front, adds the position embeddings, sets the key mask (instruction padding). */
static void build_row(const VlaFam *f, const NnParams *ps, float *x, uint8_t *mask, int b, int T) {
    int C = f->C;
    memcpy(x, f->prefix + (size_t)b * P_LEN * C, (size_t)P_LEN * C * sizeof(float));
    const float *pos = nn_w(ps, f->pos);
    for (size_t i = 0; i < (size_t)T * C; i++) x[i] += pos[i];
    for (int t = 0; t < T; t++) mask[t] = t < T_VIS || t >= T_VIS + T_LANG || f->instr_ids[b * T_LANG + t - T_VIS] >= 0;
}

/* Token log-probabilities logp [N, V] of head inputs h [N, C]; logits is scratch [N, V]. */
static void head_logp(const NnDense *head, const NnParams *ps, float *logp, float *logits, const float *h, int N, int V) {
    nn_dense_forward(head, ps, logits, NULL, h, N, -1);
    nn_log_softmax_forward(logp, logits, N, V);
}

/* Decision expert over B states: logp_dec. */
static void decision_pass(VlaFam *f, const NnParams *ps, int B) {
    int C = f->C, T = f->T_dec;
    for (int b = 0; b < B; b++) {
        float *x = f->x_dec + (size_t)b * T * C;
        memcpy(x + (size_t)P_LEN * C, nn_w(ps, f->query), C * sizeof(float));
        build_row(f, ps, x, f->mask_dec + b * T, b, T);
    }
    const float *y = nn_transformer_forward(&f->tf_dec, ps, f->x_dec, f->mask_dec, B, T, 0);
    for (int b = 0; b < B; b++) memcpy(f->h_dec + (size_t)b * C, y + ((size_t)b * T + P_LEN) * C, C * sizeof(float));
    head_logp(&f->dec_head, ps, f->logp_dec, f->d_logits_dec, f->h_dec, B, ND);
}

/* Action expert (teacher forcing) over R rows (row i: state i / G, tokens f->tok[i]), all H action
 * positions: fills logp_act [R, H, NV]. */
static void action_pass(VlaFam *f, const NnParams *ps, int R, int G) {
    int C = f->C, H = f->H, T = P_LEN + H;
    const float *de = nn_w(ps, f->dec_emb), *ae = nn_w(ps, f->act_emb);
    for (int i = 0; i < R; i++) {
        float *x = f->x_act + (size_t)i * T * C;
        const int32_t *tk = f->tok + (size_t)i * (1 + H);
        memcpy(x + (size_t)P_LEN * C, de + (size_t)tk[0] * C, C * sizeof(float));
        for (int j = 1; j < H; j++) memcpy(x + (size_t)(P_LEN + j) * C, ae + (size_t)tk[j] * C, C * sizeof(float));
        build_row(f, ps, x, f->mask_act + (size_t)i * T, i / G, T);
    }
    const float *y = nn_transformer_forward(&f->tf_act, ps, f->x_act, f->mask_act, R, T, 1);
    for (int i = 0; i < R; i++)
        memcpy(f->h_act + (size_t)i * H * C, y + ((size_t)i * T + P_LEN) * C, (size_t)H * C * sizeof(float));
    head_logp(&f->act_head, ps, f->logp_act, f->d_logits_act, f->h_act, R * H, NV);
    f->act_rows = R;
}

/* Picks token column `col` of every state's plan from rows lp [B, V] (greedy or sampled, states in
 * order) and adds its log-probability to logp (when given and add_logp). */
static void pick_tokens(VlaFam *f, const float *lp, int V, int B, int col, Rng *rng, int greedy, float *logp,
                        int add_logp) {
    for (int b = 0; b < B; b++) {
        const float *row = lp + (size_t)b * V;
        int k = greedy ? pfu_argmax(row, V) : pfu_sample_categorical(row, V, rng);
        f->tok[(size_t)b * (1 + f->H) + col] = k;
        if (logp && add_logp) logp[b] += row[k];
    }
}

/* Incremental decoding for act (inference only). Each expert caches the keys/values of the scene
 * prefix (inputs built in x_act/mask_act), then appends one row per plan position and reads only
 * that row: the decision expert the query (predicting the decision), the action expert the decision
 * and then a_1..a_{H−1} (row P_LEN + t − 1 predicts a_t). Same tokens and distributions as full causal
 * passes up to float rounding, and the same draws in the same order (per position, states in order). */
/* The appended rows x [B, C] at `position`: per state the embedding of its token in column `col` of
 * f->tok (col < 0: the one row `table`, the query), plus the position embedding. */
static void position_rows(const VlaFam *f, const NnParams *ps, float *x, const float *table, int col, int position,
                          int B) {
    int C = f->C;
    const float *pe = nn_w(ps, f->pos) + (size_t)position * C;
    for (int b = 0; b < B; b++) {
        const float *emb = col < 0 ? table : table + (size_t)f->tok[(size_t)b * (1 + f->H) + col] * C;
        for (int c = 0; c < C; c++) x[(size_t)b * C + c] = emb[c] + pe[c];
    }
}

/* One expert during act's decode: its transformer (with a decode cache), LoRA set, head, and where
 * the head's rows go ([B, V]); and how tokens are picked. */
typedef struct {
    NnTransformer *tf;
    int adapter;
    const NnDense *head;
    float *logp_rows, *logits;
    int V;
} DecodeExpert;

typedef struct {
    Rng *rng;
    int greedy;
    float *logp; /* per state, accumulates log π (may be NULL) */
} Picker;

/* Appends the rows of `position` (tokens of column col_in, see position_rows) to the expert's decode
 * and picks plan column `col` from its head; add_logp: the token counts towards log π. */
static int decode_step(VlaFam *f, const NnParams *ps, const DecodeExpert *x, const float *table, int col_in,
                       int position, int col, int B, const Picker *pk, int add_logp, Err *e) {
    position_rows(f, ps, f->h_act, table, col_in, position, B); /* h_act: scratch for the new rows */
    const float *h = nn_transformer_extend(x->tf, ps, f->h_act, NULL, e);
    if (!h) return -1;
    head_logp(x->head, ps, x->logp_rows, x->logits, h, B, x->V);
    pick_tokens(f, x->logp_rows, x->V, B, col, pk->rng, pk->greedy, pk->logp, add_logp);
    return 0;
}

static int decode_plan(VlaFam *f, const NnParams *ps, int B, const Picker *pk, Err *e) {
    DecodeExpert dec = {&f->tf_dec, 0, &f->dec_head, f->logp_dec, f->d_logits_dec, ND};
    DecodeExpert act = {&f->tf_act, 1, &f->act_head, f->logp_act, f->d_logits_act, NV}; /* logp_act: [B, NV] */
    for (int b = 0; b < B; b++)
        build_row(f, ps, f->x_act + (size_t)b * P_LEN * f->C, f->mask_act + (size_t)b * P_LEN, b, P_LEN);
    if (nn_transformer_prefill_keys(dec.tf, ps, f->x_act, f->mask_act, B, P_LEN, dec.adapter, e) ||
        decode_step(f, ps, &dec, nn_w(ps, f->query), -1, P_LEN, 0, B, pk, 1, e) ||
        nn_transformer_prefill_keys(act.tf, ps, f->x_act, f->mask_act, B, P_LEN, act.adapter, e))
        return -1;
    for (int t = 1; t <= f->H; t++)
        if (decode_step(f, ps, &act, nn_w(ps, t == 1 ? f->dec_emb : f->act_emb), t - 1, P_LEN + t - 1, t, B, pk,
                        !f->dec_only, e))
            return -1;
    return 0;
}

/* ---- operations ----------------------------------------------------------------------------- */
static int vla_act(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e) {
    VlaFam *f = p->fam;
    const NnParams *ps = &p->params;
    int H = f->H;
    p->cached_B = p->cached_G = 0; /* act reuses the forward buffers: the evaluated batch is gone */
    f->act_rows = 0;
    if (check_obs(obs, B, e)) return -1;
    encode_scene(f, ps, obs, B);
    for (int b = 0; b < B && logp; b++) logp[b] = 0.0f;
    if (decode_plan(f, ps, B, &(Picker){rng, greedy, logp}, e)) return -1;
    for (int b = 0; b < B; b++) {
        PolicyAction *a = &out[b];
        memset(a, 0, sizeof *a);
        a->n_tokens = 1 + H;
        for (int t = 0; t <= H; t++) a->tokens[t] = f->tok[(size_t)b * (1 + H) + t];
        a->index = a->tokens[0];
        vla_decode_tokens(a->tokens + 1, H, &a->traj);
    }
    return 0;
}

static int vla_action_from_traj(const Policy *p, const Obs *obs, const Traj *expert, int behaviour, PolicyAction *out,
                                Err *e) {
    (void)e;
    const VlaFam *f = p->fam;
    memset(out, 0, sizeof *out);
    out->index = out->tokens[0] = vla_decision_of(behaviour, obs);
    out->n_tokens = 1 + f->H;
    vla_quantise_traj(expert, f->H, out->tokens + 1);
    vla_decode_tokens(out->tokens + 1, f->H, &out->traj);
    return 0;
}

static int vla_evaluate(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G, float *logp,
                        float *entropy, Err *e) {
    VlaFam *f = p->fam;
    const NnParams *ps = &p->params;
    int H = f->H;
    for (int i = 0; i < B * G; i++) {
        const PolicyAction *a = &acts[i];
        if (a->n_tokens != 1 + H)
            return err_set(e, "vla evaluate: action %d has %d tokens, the policy needs 1 decision + %d action tokens", i,
                           a->n_tokens, H);
        if (a->tokens[0] < 0 || a->tokens[0] >= ND || a->index != a->tokens[0])
            return err_set(e, "vla evaluate: action %d decision token %d (index %d) invalid (0..%d, index = token)", i,
                           a->tokens[0], a->index, ND - 1);
        for (int t = 1; t <= H; t++)
            if (a->tokens[t] < 0 || a->tokens[t] >= NV)
                return err_set(e, "vla evaluate: action %d token %d = %d outside 0..%d", i, t, a->tokens[t], NV - 1);
    }
    if (check_obs(obs, B, e)) return -1;
    for (int i = 0; i < B * G; i++)
        for (int t = 0; t <= H; t++) f->tok[(size_t)i * (1 + H) + t] = acts[i].tokens[t];
    encode_scene(f, ps, obs, B);
    decision_pass(f, ps, B);
    f->act_rows = 0;
    if (!f->dec_only) action_pass(f, ps, B * G, G);
    for (int i = 0; i < B * G && logp; i++) {
        const int32_t *tk = f->tok + (size_t)i * (1 + H);
        float s = f->logp_dec[(i / G) * ND + tk[0]];
        for (int t = 0; t < H && !f->dec_only; t++) s += f->logp_act[((size_t)i * H + t) * NV + tk[1 + t]];
        logp[i] = s;
    }
    if (entropy) {
        nn_categorical_entropy_forward(entropy, f->logp_dec, B, ND);
        float ht[TRAJ_MAX];
        for (int b = 0; b < B && !f->dec_only; b++) {
            nn_categorical_entropy_forward(ht, f->logp_act + (size_t)b * G * H * NV, H, NV);
            for (int t = 0; t < H; t++) entropy[b] += ht[t];
        }
    }
    return 0;
}

/* Both policies must have the same token factors (a decision-only policy has no action distributions). */
static int same_factors(const Policy *p, const Policy *q, Err *e) {
    if (p->cfg.vla_decision_only != q->cfg.vla_decision_only || p->cfg.horizon != q->cfg.horizon)
        return err_set(e, "vla: the two policies differ in vla_decision_only or horizon");
    return 0;
}

static int vla_kl(const Policy *p, const Policy *q, float *out, Err *e) {
    if (same_factors(p, q, e)) return -1;
    const VlaFam *fp = p->fam, *fq = q->fam;
    int B = p->cached_B, G = p->cached_G, H = fp->H;
    nn_categorical_kl_forward(out, fp->logp_dec, fq->logp_dec, B, ND);
    float kt[TRAJ_MAX];
    for (int b = 0; b < B && !fp->dec_only; b++) {
        size_t row = (size_t)b * G * H * NV; /* the state's first action */
        nn_categorical_kl_forward(kt, fp->logp_act + row, fq->logp_act + row, H, NV);
        for (int t = 0; t < H; t++) out[b] += kt[t];
    }
    return 0;
}

/* dL/d log-probabilities of every token distribution: d_logp_dec [B, ND], d_logp_act [B·G, H, NV]. */
static void token_grads(const Policy *p, const PolicyLossGrad *g) {
    VlaFam *f = p->fam;
    int B = p->cached_B, G = p->cached_G, H = f->H, dec_only = f->dec_only;
    pfu_zero(f->d_logp_dec, (size_t)B * ND);
    if (!dec_only) pfu_zero(f->d_logp_act, (size_t)B * G * H * NV);
    if (g->dlogp)
        for (int i = 0; i < B * G; i++) {
            const int32_t *tk = f->tok + (size_t)i * (1 + H);
            f->d_logp_dec[(i / G) * ND + tk[0]] += g->dlogp[i];
            for (int t = 0; t < H && !dec_only; t++) f->d_logp_act[((size_t)i * H + t) * NV + tk[1 + t]] += g->dlogp[i];
        }
    if (g->dentropy) {
        nn_categorical_entropy_backward(f->d_logp_dec, g->dentropy, f->logp_dec, B, ND);
        for (int b = 0; b < B && !dec_only; b++) {
            float w[TRAJ_MAX];
            for (int t = 0; t < H; t++) w[t] = g->dentropy[b];
            size_t row = (size_t)b * G * H * NV;
            nn_categorical_entropy_backward(f->d_logp_act + row, w, f->logp_act + row, H, NV);
        }
    }
    const VlaFam *ft = g->teacher ? g->teacher->fam : NULL;
    float w_ts = ft ? g->w_kl_teacher_student : 0.0f, w_st = ft ? g->w_kl_student_teacher : 0.0f;
    if (!ft || (w_ts == 0.0f && w_st == 0.0f)) return;
    float wts[TRAJ_MAX], wst[TRAJ_MAX];
    for (int t = 0; t < TRAJ_MAX; t++) wts[t] = w_ts, wst[t] = w_st;
    for (int b = 0; b < B; b++) {
        const float *ls = f->logp_dec + b * ND, *lt = ft->logp_dec + b * ND;
        nn_categorical_kl_backward(NULL, f->d_logp_dec + b * ND, wts, lt, ls, 1, ND);
        nn_categorical_kl_backward(f->d_logp_dec + b * ND, NULL, wst, ls, lt, 1, ND);
        if (dec_only) continue;
        size_t row = (size_t)b * G * H * NV;
        nn_categorical_kl_backward(NULL, f->d_logp_act + row, wts, ft->logp_act + row, f->logp_act + row, H, NV);
        nn_categorical_kl_backward(f->d_logp_act + row, NULL, wst, f->logp_act + row, ft->logp_act + row, H, NV);
    }
}

static float *grad_of(NnParams *ps, int id) { return ps->tensors[id].frozen ? NULL : nn_g(ps, id); }

/* Gradients of one transformer input [R, T, C] into the positions, and the scene prefix of each row's state. */
static void input_grads(VlaFam *f, NnParams *ps, const float *dx, int R, int G, int T) {
    int C = f->C;
    float *dpos = grad_of(ps, f->pos);
    for (int i = 0; i < R; i++) {
        const float *d = dx + (size_t)i * T * C;
        if (dpos) nn_add_inplace(dpos, d, (size_t)T * C);
        nn_add_inplace(f->d_prefix + (size_t)(i / G) * P_LEN * C, d, (size_t)P_LEN * C);
    }
}

static int vla_backward(Policy *p, const PolicyLossGrad *g, Err *e) {
    if (g->teacher && same_factors(p, g->teacher, e)) return -1;
    VlaFam *f = p->fam;
    NnParams *ps = &p->params;
    int B = p->cached_B, G = p->cached_G, H = f->H, C = f->C;
    token_grads(p, g);
    pfu_zero(f->d_prefix, (size_t)B * P_LEN * C);
    /* decision expert */
    nn_log_softmax_backward(pfu_zero(f->d_logits_dec, (size_t)B * ND), f->d_logp_dec, f->logp_dec, B, ND);
    nn_dense_backward(&f->dec_head, ps, pfu_zero(f->d_h_dec, (size_t)B * C), NULL, f->d_logits_dec, f->h_dec, NULL, B, -1);
    pfu_zero(f->d_out_dec, (size_t)B * f->T_dec * C);
    for (int b = 0; b < B; b++)
        memcpy(f->d_out_dec + ((size_t)b * f->T_dec + P_LEN) * C, f->d_h_dec + (size_t)b * C, C * sizeof(float));
    nn_transformer_backward(&f->tf_dec, ps, f->d_out_dec, pfu_zero(f->d_x_dec, (size_t)B * f->T_dec * C));
    input_grads(f, ps, f->d_x_dec, B, 1, f->T_dec);
    float *dq = grad_of(ps, f->query);
    for (int b = 0; b < B && dq; b++) nn_add_inplace(dq, f->d_x_dec + ((size_t)b * f->T_dec + P_LEN) * C, C);
    /* action expert */
    if (f->act_rows) {
        int R = B * G, T = f->T_act;
        size_t RH = (size_t)R * H;
        nn_log_softmax_backward(pfu_zero(f->d_logits_act, RH * NV), f->d_logp_act, f->logp_act, (int)RH, NV);
        nn_dense_backward(&f->act_head, ps, pfu_zero(f->d_h_act, RH * C), NULL, f->d_logits_act, f->h_act, NULL, (int)RH, -1);
        pfu_zero(f->d_out_act, (size_t)R * T * C);
        for (int i = 0; i < R; i++)
            memcpy(f->d_out_act + ((size_t)i * T + P_LEN) * C, f->d_h_act + (size_t)i * H * C, (size_t)H * C * sizeof(float));
        nn_transformer_backward(&f->tf_act, ps, f->d_out_act, pfu_zero(f->d_x_act, (size_t)R * T * C));
        input_grads(f, ps, f->d_x_act, R, G, T);
        float *dde = grad_of(ps, f->dec_emb), *dae = grad_of(ps, f->act_emb);
        for (int i = 0; i < R; i++) {
            const int32_t *tk = f->tok + (size_t)i * (1 + H);
            const float *d = f->d_x_act + (size_t)i * T * C;
            if (dde) nn_add_inplace(dde + (size_t)tk[0] * C, d + (size_t)P_LEN * C, C);
            for (int j = 1; j < H && dae; j++) nn_add_inplace(dae + (size_t)tk[j] * C, d + (size_t)(P_LEN + j) * C, C);
        }
    }
    /* scene: ego token, language tokens, vision tokens back through the conv stack */
    float *dtab = grad_of(ps, f->instr_emb);
    pfu_zero(f->d_c2, (size_t)B * C * T_VIS);
    for (int b = 0; b < B; b++) {
        const float *dp = f->d_prefix + (size_t)b * P_LEN * C;
        memcpy(f->d_ego + (size_t)b * C, dp + (size_t)(P_LEN - 1) * C, C * sizeof(float));
        if (dtab) nn_embedding_backward(dtab, dp + (size_t)T_VIS * C, f->instr_ids + b * T_LANG, T_LANG, C);
        nn_transpose_backward(f->d_c2 + (size_t)b * C * T_VIS, dp, 1, C, T_VIS);
    }
    nn_dense_backward(&f->ego, ps, NULL, NULL, f->d_ego, f->ego_in, NULL, B, -1);
    for (int l = N_CONV - 1; l >= 0; l--) {
        ConvLayer L = conv_layer(f, l);
        if (L.act) nn_gelu_backward(pfu_zero(L.d_out, (size_t)B * L.out_n), L.out, L.d_act, (size_t)B * L.out_n);
        if (L.d_in) pfu_zero(L.d_in, (size_t)B * L.in_n);
        for (int b = 0; b < B; b++)
            nn_conv2d_backward(L.d_in ? L.d_in + b * L.in_n : NULL, grad_of(ps, f->conv_w[l]), grad_of(ps, f->conv_b[l]),
                               f->col, L.d_out + b * L.out_n, L.in + b * L.in_n, nn_w(ps, f->conv_w[l]), L.s);
    }
    return 0;
}

const float *vla_cached_dec_logp(const Policy *p, int b) { return ((const VlaFam *)p->fam)->logp_dec + b * ND; }
const float *vla_cached_act_logp(const Policy *p, int i, int t) {
    const VlaFam *f = p->fam;
    return f->logp_act + ((size_t)i * f->H + t) * NV;
}

const PolicyOps policy_vla_ops = {
    .needs_bev = 1,
    .declare = vla_declare,
    .setup = vla_setup,
    .free_fam = vla_free,
    .act = vla_act,
    .action_from_traj = vla_action_from_traj,
    .evaluate = vla_evaluate,
    .kl = vla_kl,
    .backward = vla_backward,
};
