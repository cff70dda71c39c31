/* pretrain — open-loop imitation of the expert's demonstrations (see include/craft/pretrain.h).
 * Loss: −mean log π(a_expert | s) over mini-batches; the expert action is encoded once per record
 * in the family's action space. Validation is on whole held-out routes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "craft/dataset.h"
#include "craft/jsonl.h"
#include "craft/nn_optim.h"
#include "craft/plot.h"
#include "craft/policy_vocab.h"
#include "craft/pretrain.h"
#include "craft/threads.h"

PretrainConfig pretrain_default_config(void) {
    PretrainConfig c;
    memset(&c, 0, sizeof c);
    c.epochs = 10;
    c.batch = 64;
    c.lr = 1e-3f;
    c.lr_min = 5e-5f;
    c.weight_decay = 1e-4f;
    c.grad_clip = 1.0f;
    c.val_frac = 0.1f;
    c.kmeans_iters = 30;
    c.seed = 1;
    c.threads = 1;
    return c;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

typedef struct {
    Obs *obs;                 /* batch buffers */
    PolicyAction *acts;
    float *logp, *dlogp;
} Batch;

static int batch_alloc(Batch *b, int n) {
    b->obs = malloc((size_t)n * sizeof *b->obs);
    b->acts = malloc((size_t)n * sizeof *b->acts);
    b->logp = malloc((size_t)n * sizeof *b->logp);
    b->dlogp = malloc((size_t)n * sizeof *b->dlogp);
    return b->obs && b->acts && b->logp && b->dlogp ? 0 : -1;
}

static void batch_free(Batch *b) {
    free(b->obs);
    free(b->acts);
    free(b->logp);
    free(b->dlogp);
}

static float traj_dist(const Traj *a, const Traj *b, int n, float *final) {
    float sum = 0.0f, d = 0.0f;
    for (int i = 0; i < n; i++) {
        d = hypotf(a->x[i] - b->x[i], a->y[i] - b->y[i]);
        sum += d;
    }
    *final = d;
    return sum / (float)n;
}

int pretrain_validate(Policy *p, const DatasetRecord *recs, const long *idx, long n, float *nll, float *ade,
                      float *fde, Err *e) {
    int B = policy_config(p)->max_batch, H = policy_config(p)->horizon;
    Batch b;
    double s_nll = 0.0, s_ade = 0.0, s_fde = 0.0;
    if (batch_alloc(&b, B)) return batch_free(&b), err_set(e, "pretrain: out of memory");
    PolicyAction *greedy = malloc((size_t)B * sizeof *greedy);
    int rc = greedy ? 0 : err_set(e, "pretrain: out of memory");
    for (long at = 0; !rc && at < n; at += B) {
        int nb = (int)(n - at < B ? n - at : B);
        for (int k = 0; k < nb && !rc; k++) {
            const DatasetRecord *r = &recs[idx[at + k]];
            b.obs[k] = r->obs;
            rc = policy_action_from_traj(p, &r->obs, &r->expert, r->behaviour, &b.acts[k], e);
        }
        if (rc || policy_evaluate(p, b.obs, nb, b.acts, 1, b.logp, NULL, e) ||
            policy_act(p, b.obs, nb, NULL, 1, greedy, NULL, e)) {
            rc = -1;
            break;
        }
        for (int k = 0; k < nb; k++) {
            float f, a = traj_dist(&greedy[k].traj, &recs[idx[at + k]].expert, H, &f);
            s_nll -= b.logp[k];
            s_ade += a;
            s_fde += f;
        }
    }
    free(greedy);
    batch_free(&b);
    if (rc) return -1;
    double m = n > 0 ? (double)n : 1.0;
    *nll = (float)(s_nll / m);
    *ade = (float)(s_ade / m);
    *fde = (float)(s_fde / m);
    return 0;
}

static int fit_vocabulary(Policy *p, const DatasetRecord *recs, const long *idx, long n, const PretrainConfig *cfg,
                          Err *e) {
    int V = policy_vocab_size(p);
    if (cfg->kmeans_iters <= 0) return 0;
    if (n < V) return err_set(e, "pretrain: %ld training records, the vocabulary needs at least %d for k-means", n, V);
    Traj *t = malloc((size_t)n * sizeof *t);
    if (!t) return err_set(e, "pretrain: out of memory");
    for (long i = 0; i < n; i++) t[i] = recs[idx[i]].expert;
    Rng r;
    rng_seed(&r, cfg->seed, 0x4b4d);
    int rc = policy_vocab_fit_kmeans(p, t, (int)n, cfg->kmeans_iters, &r, e);
    free(t);
    return rc;
}

static void log_epoch(JsonlLog *log, int epoch, long step, float train, float vn, float va, float vf, float lr,
                      double wall) {
    if (!log) return;
    char line[512];
    snprintf(line, sizeof line,
             "{\"epoch\": %d, \"step\": %ld, \"train_nll\": %.6g, \"val_nll\": %.6g, \"val_ade\": %.6g, "
             "\"val_fde\": %.6g, \"lr\": %.6g, \"wall_s\": %.3f}",
             epoch, step, train, vn, va, vf, lr, wall);
    jsonl_write_text(log, line, NULL);
}

int pretrain_run(Policy *p, const char *dataset_path, const PretrainConfig *cfg, const char *out_path,
                 PretrainReport *rep, Err *e) {
    memset(rep, 0, sizeof *rep);
    double t0 = omp_get_wtime();
    craft_threads_set(cfg->threads);
    if (cfg->batch < 1 || cfg->batch > policy_config(p)->max_batch)
        return err_set(e, "pretrain: batch %d outside 1..%d (the policy's max_batch)", cfg->batch,
                       policy_config(p)->max_batch);
    if (cfg->epochs < 1 || !(cfg->lr > 0.0f) || !(cfg->val_frac >= 0.0f && cfg->val_frac < 1.0f))
        return err_set(e, "pretrain: need epochs >= 1, lr > 0 and 0 <= val_frac < 1");
    Dataset ds;
    if (dataset_load(dataset_path, &ds, e)) return -1;
    long n = (long)ds.count, n_tr = 0, n_va = 0;
    long *tr = malloc((size_t)(n + 1) * sizeof *tr), *va = malloc((size_t)(n + 1) * sizeof *va);
    Batch b = {0};
    NnAdamW opt = {0};
    JsonlLog *log = NULL;
    int rc = 0;
    if (!tr || !va || batch_alloc(&b, cfg->batch)) {
        rc = err_set(e, "pretrain: out of memory");
        goto done;
    }
    for (long i = 0; i < n; i++) {
        int val = (double)(mix((uint64_t)ds.records[i].route_id ^ (cfg->seed * 0x9e3779b97f4a7c15ULL)) % 10000) <
                  cfg->val_frac * 10000.0;
        if (val) va[n_va++] = i;
        else tr[n_tr++] = i;
    }
    if (n_tr < cfg->batch) {
        rc = err_set(e, "pretrain: %ld training records, fewer than one batch of %d", n_tr, cfg->batch);
        goto done;
    }
    if (policy_config(p)->family == POLICY_VOCAB && (rc = fit_vocabulary(p, ds.records, tr, n_tr, cfg, e))) goto done;
    NnAdamWConfig ac = nn_adamw_defaults();
    ac.weight_decay = cfg->weight_decay;
    if ((rc = nn_adamw_create(&opt, policy_params(p), ac, e))) goto done;
    if (cfg->log_path && !(log = jsonl_open(cfg->log_path, "epoch", -1, e))) {
        rc = -1;
        goto done;
    }
    Rng rng;
    rng_seed(&rng, cfg->seed, 0x5052);
    long steps_per_epoch = n_tr / cfg->batch, total = steps_per_epoch * cfg->epochs, step = 0;
    rep->best_epoch = -1;
    rep->train_records = n_tr;
    rep->val_records = n_va;
    for (int ep = 0; ep < cfg->epochs && !rc; ep++) {
        for (long i = n_tr - 1; i > 0; i--) { /* Fisher-Yates with the run's Rng */
            long j = (long)rng_below(&rng, (uint32_t)(i + 1));
            long t = tr[i];
            tr[i] = tr[j];
            tr[j] = t;
        }
        double sum = 0.0;
        float lr = cfg->lr;
        for (long s = 0; s < steps_per_epoch && !rc; s++, step++) {
            int B = cfg->batch;
            for (int k = 0; k < B && !rc; k++) {
                const DatasetRecord *r = &ds.records[tr[s * B + k]];
                b.obs[k] = r->obs;
                rc = policy_action_from_traj(p, &r->obs, &r->expert, r->behaviour, &b.acts[k], e);
            }
            if (rc || (rc = policy_evaluate(p, b.obs, B, b.acts, 1, b.logp, NULL, e))) break;
            double loss = 0.0;
            for (int k = 0; k < B; k++) {
                loss -= b.logp[k];
                b.dlogp[k] = -1.0f / (float)B;
            }
            loss /= B;
            if (!isfinite(loss)) {
                rc = err_set(e, "pretrain: non-finite loss at epoch %d step %ld (bad data or divergence)", ep, s);
                break;
            }
            nn_params_zero_grad(policy_params(p));
            PolicyLossGrad g = {.dlogp = b.dlogp};
            if ((rc = policy_backward(p, &g, e))) break;
            nn_clip_grad_norm(policy_params(p), cfg->grad_clip);
            lr = nn_lr_cosine(step, total / 50, total, cfg->lr, cfg->lr_min);
            nn_adamw_step(&opt, policy_params(p), lr);
            sum += loss;
            if (cfg->progress) cfg->progress(ep, cfg->epochs, (int)s, (int)steps_per_epoch, (float)loss, cfg->progress_ctx);
        }
        if (rc) break;
        float vn = NAN, va_ade = NAN, va_fde = NAN;
        if (n_va > 0 && (rc = pretrain_validate(p, ds.records, va, n_va, &vn, &va_ade, &va_fde, e))) break;
        float tn = (float)(sum / (double)steps_per_epoch);
        rep->epochs_run = ep + 1;
        log_epoch(log, ep, step, tn, vn, va_ade, va_fde, lr, omp_get_wtime() - t0);
        int better = rep->best_epoch < 0 || (n_va > 0 ? vn < rep->val_nll : tn < rep->train_nll);
        if (better) {
            rep->best_epoch = ep;
            rep->train_nll = tn;
            rep->val_nll = vn;
            rep->val_ade = va_ade;
            rep->val_fde = va_fde;
            if ((rc = policy_save(p, out_path, e))) break;
        }
    }
    if (!rc && log && cfg->plot_path) {
        jsonl_close(log);
        log = NULL;
        const char *keys[2] = {"train_nll", "val_nll"};
        rc = plot_jsonl_png(cfg->log_path, "epoch", keys, n_va > 0 ? 2 : 1, cfg->plot_path, e);
    }
done:
    rep->wall_s = omp_get_wtime() - t0;
    jsonl_close(log);
    nn_adamw_destroy(&opt);
    batch_free(&b);
    free(tr);
    free(va);
    dataset_free(&ds);
    return rc;
}
