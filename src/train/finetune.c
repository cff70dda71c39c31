/* finetune — the trainer's iteration loop (see include/craft/finetune.h): rollouts (ft_rollout.c,
 * this rank's worlds, then the batch on every rank) → advantages of the method (computed redundantly
 * on every rank) → the update (ft_update.c: K epochs, sharded gradients) → metrics line → atomic
 * checkpoint. Rank 0 alone writes the run directory; the others follow its parameters. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <omp.h>
#include "craft/jsonl.h"
#include "craft/nn_safetensors.h"
#include "craft/plot.h"
#include "craft/threads.h"
#include "craft/atomic_file.h"
#include "ft_internal.h"

/* ---- allocation ------------------------------------------------------------------------------ */
#define ALLOC(p, count) ((p) = calloc((count) ? (count) : 1, sizeof *(p)))
/* Worker w's shard scratch (cap states) and, past worker 0, its copies of the student and teacher. */
static int worker_alloc(Trainer *T, FtWorker *W, int w, int cap, Err *e) {
    size_t na = (size_t)cap * (size_t)T->A;
    if (w == 0) {
        W->pol = T->pol;
        W->teacher = T->teacher;
    } else if (!(W->pol = policy_clone(T->pol, e)) || !(W->teacher = policy_clone(T->teacher, e))) {
        return -1;
    }
    if (!ALLOC(W->obs, cap) || !ALLOC(W->acts, na) || !ALLOC(W->adv, na) || !ALLOC(W->old, na) || !ALLOC(W->logp, na) ||
        !ALLOC(W->logp_teacher, na) || !ALLOC(W->dlogp, na) || !ALLOC(W->ent, cap) || !ALLOC(W->dent, cap) ||
        !ALLOC(W->kl_a, cap) || !ALLOC(W->kl_b, cap) || !ALLOC(W->valid, na))
        return err_set(e, "finetune: out of memory");
    return 0;
}

static void worker_free(FtWorker *W, int w) {
    void *bufs[] = {W->obs, W->acts, W->adv, W->old, W->logp, W->logp_teacher, W->dlogp, W->ent, W->dent, W->kl_a, W->kl_b, W->valid};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    if (w > 0) {
        policy_destroy(W->pol);
        policy_destroy(W->teacher);
    }
}

void ft_workers_sync(Trainer *T, int with_teacher) {
    const NnParams *ps = policy_params(T->pol), *pt = policy_params(T->teacher);
    for (int w = 1; w < T->n_workers; w++) {
        memcpy(policy_params(T->workers[w].pol)->values, ps->values, ps->total * sizeof(float));
        if (with_teacher) memcpy(policy_params(T->workers[w].teacher)->values, pt->values, pt->total * sizeof(float));
    }
}

static int trainer_alloc(Trainer *T, Err *e) {
    const FtConfig *c = &T->cfg;
    size_t n = (size_t)c->worlds * (size_t)c->horizon, na;
    T->A = c->group + 1;
    T->M = c->minibatch;
    T->S = c->grad_shards;
    na = n * (size_t)T->A;
    if (ft_batch_alloc(&T->batch, &T->d, c->worlds, c->horizon, c->group, e)) return -1;
    T->stride = ft_shard_stride(policy_params(T->pol)->total, T->S);
    size_t shard_floats = (size_t)dist_my_shards(&T->d, T->S) * T->stride;
    if (!ALLOC(T->adv, na) || !ALLOC(T->logp_old, na) || !ALLOC(T->credit, n) || !ALLOC(T->values, n) ||
        !ALLOC(T->returns, n) || !ALLOC(T->valid, na) || !ALLOC(T->credited, n) || !ALLOC(T->done, n) ||
        !ALLOC(T->order, n) || !ALLOC(T->mb_obs, T->M) || !ALLOC(T->mb_target, T->M) ||
        !ALLOC(T->shard_buf, shard_floats) || !ALLOC(T->reduced, T->stride) || !ALLOC(T->workers, c->threads) ||
        !ALLOC(T->students, c->threads))
        return err_set(e, "finetune: out of memory");
    int cap = (T->M + T->S - 1) / T->S; /* states of the largest shard */
    for (int w = 0; w < c->threads; w++, T->n_workers++) {
        if (worker_alloc(T, &T->workers[w], w, cap, e)) {
            worker_free(&T->workers[w], w);
            return -1;
        }
        T->students[w] = T->workers[w].pol;
    }
    return 0;
}
#undef ALLOC

static void trainer_free(Trainer *T) {
    ft_batch_free(&T->batch);
    for (int w = 0; w < T->n_workers; w++) worker_free(&T->workers[w], w);
    void *bufs[] = {T->adv, T->logp_old, T->credit, T->values, T->returns, T->valid, T->credited, T->done,
                    T->order, T->mb_obs, T->mb_target, T->shard_buf, T->reduced, T->workers, T->students};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    nn_adamw_destroy(&T->opt);
    ft_value_destroy(T->value);
    policy_destroy(T->pol);
    policy_destroy(T->teacher);
}

/* ---- advantages -------------------------------------------------------------------------------- */
/* Proxy stream: the group members' scores normalised within their group. */
static int proxy_advantages(Trainer *T) {
    const FtBatch *b = &T->batch;
    int G = T->cfg.group, n_valid = 0;
    for (int s = 0; s < b->n; s++) {
        float *adv = &T->adv[(size_t)s * T->A];
        uint8_t *valid = &T->valid[(size_t)s * T->A], ok = 0;
        craft_group_normalise(&b->steps[s].score[1], 1, G, CRAFT_STD_EPS, T->cfg.std_threshold, adv + 1, &ok);
        for (int g = 1; g <= G; g++) valid[g] = ok;
        n_valid += ok;
    }
    return n_valid;
}

/* Residual stream: events credited to the decisions before them, per episode, batch-normalised. */
static int residual_advantages(Trainer *T, double *corr) {
    const FtBatch *b = &T->batch;
    CreditParams cp = credit_default_params();
    cp.window_s = T->cfg.credit_window;
    cp.gamma = T->cfg.credit_gamma;
    EventRewardTable tab = event_reward_table_default();
    float times[4000], cred[4000];
    uint8_t crd[4000];
    int idx[4000];
    for (int w = 0; w < T->cfg.worlds; w++) {
        int m = 0;
        for (int s = 0; s < b->n && m < 4000; s++)
            if (b->steps[s].world == w) idx[m] = s, times[m++] = b->steps[s].time;
        craft_credit_episode(times, m, b->eps[w].events, b->eps[w].n_events, &tab, &cp, cred, crd);
        for (int k = 0; k < m; k++) T->credit[idx[k]] = cred[k], T->credited[idx[k]] = crd[k];
    }
    float *res = T->values; /* scratch: the residual advantage per state */
    int n = craft_residual_advantage(T->credit, T->credited, b->n, RESIDUAL_NORM_RMS, CRAFT_STD_EPS, res);
    /* proxy–residual correlation: the executed action's score, standardised in its group, vs its credit */
    float *z = T->returns;
    for (int s = 0; s < b->n; s++) {
        const float *sc = b->steps[s].score;
        double mean = 0, var = 0;
        for (int g = 1; g <= T->cfg.group; g++) mean += sc[g];
        mean /= T->cfg.group;
        for (int g = 1; g <= T->cfg.group; g++) var += (sc[g] - mean) * (sc[g] - mean);
        z[s] = (float)((sc[0] - mean) / (sqrt(var / T->cfg.group) + CRAFT_STD_EPS));
        T->adv[(size_t)s * T->A] = res[s];
        T->valid[(size_t)s * T->A] = T->credited[s];
    }
    *corr = craft_correlation(z, T->credit, T->credited, b->n);
    return n;
}

/* PPO: GAE over each rollout's dense rewards with the value function; advantages standardised. */
static void ppo_advantages(Trainer *T) {
    const FtBatch *b = &T->batch;
    ft_value_forward(T->value, b->obs, b->n, T->values);
    float rew[4000], val[4000], adv[4000], ret[4000];
    uint8_t dn[4000];
    int idx[4000];
    for (int w = 0; w < T->cfg.worlds; w++) {
        int m = 0;
        for (int s = 0; s < b->n && m < 4000; s++)
            if (b->steps[s].world == w) idx[m] = s, rew[m] = b->steps[s].reward, val[m] = T->values[s], dn[m] = b->steps[s].done, m++;
        if (!m) continue;
        float last = dn[m - 1] ? 0.0f : val[m - 1]; /* truncated: bootstrap from the last visited state */
        craft_gae(rew, val, dn, &last, m, 1, T->cfg.ppo_gamma, T->cfg.ppo_lambda, adv, ret);
        for (int k = 0; k < m; k++) T->adv[(size_t)idx[k] * T->A] = adv[k], T->returns[idx[k]] = ret[k];
    }
    double mean = 0, var = 0;
    for (int s = 0; s < b->n; s++) mean += T->adv[(size_t)s * T->A];
    mean /= b->n > 0 ? b->n : 1;
    for (int s = 0; s < b->n; s++) var += pow(T->adv[(size_t)s * T->A] - mean, 2);
    float sd = (float)sqrt(var / (b->n > 0 ? b->n : 1)) + CRAFT_STD_EPS;
    for (int s = 0; s < b->n; s++) {
        T->adv[(size_t)s * T->A] = (float)((T->adv[(size_t)s * T->A] - mean) / sd);
        T->valid[(size_t)s * T->A] = 1;
    }
}

/* ---- checkpoints ------------------------------------------------------------------------------ */
/* A parameter store whose values are an optimiser moment (same layout), for saving and loading. */
static NnParams moment_view(const NnParams *p, float *moment) {
    NnParams v = *p;
    v.values = moment;
    return v;
}

static int save_store(const char *dir, const char *name, const NnParams *p, Err *e) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    return nn_safetensors_save(path, p, NULL, e);
}

static int load_store(const char *dir, const char *name, NnParams *p, Err *e) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    return nn_safetensors_load(path, p, NULL, e);
}

static int io_stores(Trainer *T, const char *dir, int save, Err *e) {
    NnParams *pp = policy_params(T->pol), mv = moment_view(pp, T->opt.m), vv = moment_view(pp, T->opt.v);
    int (*io)(const char *, const char *, NnParams *, Err *) = save ? (int (*)(const char *, const char *, NnParams *, Err *))save_store : load_store;
    if (io(dir, "policy", pp, e) || io(dir, "teacher", policy_params(T->teacher), e) || io(dir, "adam_m", &mv, e) ||
        io(dir, "adam_v", &vv, e))
        return -1;
    if (T->value) {
        NnParams *vp = ft_value_params(T->value);
        NnAdamW *vo = ft_value_opt(T->value);
        NnParams m2 = moment_view(vp, vo->m), v2 = moment_view(vp, vo->v);
        if (io(dir, "value", vp, e) || io(dir, "value_m", &m2, e) || io(dir, "value_v", &v2, e)) return -1;
    }
    return 0;
}

static int write_checkpoint(Trainer *T, uint64_t hash, Err *e) {
    char dir[1100], path[1200], text[512];
    snprintf(dir, sizeof dir, "%s/ckpt-%06d", T->cfg.run_dir, T->iter);
    if (mkdir(dir, 0755) && errno != EEXIST) return err_set(e, "cannot create %s: %m", dir);
    if (io_stores(T, dir, 1, e)) return -1;
    snprintf(text, sizeof text,
             "{\"iter\": %d, \"sim_steps\": %ld, \"wall_s\": %.6f, \"adam_step\": %ld, \"value_adam_step\": %ld, "
             "\"config_hash\": \"%016llx\"}\n",
             T->iter, T->sim_steps, T->wall_s, T->opt.step, T->value ? ft_value_opt(T->value)->step : 0L,
             (unsigned long long)hash);
    snprintf(path, sizeof path, "%s/state.json", dir);
    if (atomic_write_text(path, text, e)) return -1;
    snprintf(path, sizeof path, "%s/LATEST", T->cfg.run_dir);
    snprintf(text, sizeof text, "ckpt-%06d\n", T->iter);
    if (atomic_write_text(path, text, e)) return -1;
    /* keep the previous checkpoint too; older ones go */
    if (T->iter >= 2 * T->cfg.checkpoint_every) {
        char old[1100];
        snprintf(old, sizeof old, "%s/ckpt-%06d", T->cfg.run_dir, T->iter - 2 * T->cfg.checkpoint_every);
        const char *names[] = {"policy", "teacher", "adam_m", "adam_v", "value", "value_m", "value_v"};
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            snprintf(path, sizeof path, "%s/%s.safetensors", old, names[k]);
            remove(path);
        }
        snprintf(path, sizeof path, "%s/state.json", old);
        remove(path);
        rmdir(old);
    }
    return 0;
}

static int read_text_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return 0;
}

static int resume_checkpoint(Trainer *T, uint64_t hash, Err *e) {
    char path[1200], name[64], text[512], dir[1100];
    snprintf(path, sizeof path, "%s/LATEST", T->cfg.run_dir);
    if (read_text_file(path, name, sizeof name)) return 1; /* nothing to resume: fresh start */
    name[strcspn(name, "\n")] = 0;
    snprintf(dir, sizeof dir, "%s/%s", T->cfg.run_dir, name);
    snprintf(path, sizeof path, "%s/state.json", dir);
    unsigned long long h = 0;
    long astep = 0, vstep = 0;
    if (read_text_file(path, text, sizeof text) ||
        sscanf(text, "{\"iter\": %d, \"sim_steps\": %ld, \"wall_s\": %lf, \"adam_step\": %ld, \"value_adam_step\": %ld, \"config_hash\": \"%llx\"",
               &T->iter, &T->sim_steps, &T->wall_s, &astep, &vstep, &h) != 6)
        return err_set(e, "resume: %s is missing or malformed", path);
    if (h != hash)
        return err_set(e, "resume: %s was written with a different configuration (hash %016llx, now %016llx)", dir, h,
                       (unsigned long long)hash);
    if (io_stores(T, dir, 0, e)) return -1;
    T->opt.step = astep;
    if (T->value) ft_value_opt(T->value)->step = vstep;
    return 0;
}

/* ---- the loop --------------------------------------------------------------------------------- */
static void metrics_line(Trainer *T, const UpdateStats *us, double corr, int n_res, int n_groups, float lr,
                         double roll_s, JsonlLog *log) {
    const FtBatch *b = &T->batch;
    int counts[CEV_KIND_COUNT] = {0}, events = 0;
    double ret = 0.0, abs_res = 0.0;
    for (int w = 0; w < T->cfg.worlds; w++) {
        ret += b->eps[w].ret / T->cfg.worlds;
        for (int k = 0; k < CEV_KIND_COUNT; k++) counts[k] += b->eps[w].counts[k], events += b->eps[w].counts[k];
    }
    for (int s = 0; s < b->n; s++) abs_res += T->credited[s] ? fabs(T->adv[(size_t)s * T->A]) : 0.0;
    double mbs = us->minibatches ? us->minibatches : 1;
    char buf[4096];
    char corr_s[32] = "null"; /* no correlation this iteration (fewer than 2 credited states, or no residual) */
    if (isfinite(corr)) snprintf(corr_s, sizeof corr_s, "%.6g", corr);
    int at = snprintf(buf, sizeof buf,
                      "{\"iter\": %d, \"sim_steps\": %ld, \"wall_s\": %.3f, \"steps_per_s\": %.1f, \"states\": %d, "
                      "\"mean_return\": %.6g, \"events\": %d, \"proxy_residual_corr\": %s, \"credited\": %d, "
                      "\"mean_abs_adv_res\": %.6g, \"valid_groups\": %d, \"kl_teacher_student\": %.6g, "
                      "\"kl_student_teacher\": %.6g, \"clip_frac\": %.6g, \"dual_clip_frac\": %.6g, \"entropy\": %.6g, "
                      "\"loss\": %.6g, \"lr\": %.6g, \"rho_dev_first\": %.3g, \"value_loss\": %.6g",
                      T->iter, T->sim_steps, T->wall_s, b->sim_steps / fmax(roll_s, 1e-9), b->n, ret, events,
                      corr_s, n_res, n_res ? abs_res / n_res : 0.0, n_groups, us->kl_ts / mbs,
                      us->kl_st / mbs, us->stats.n ? (double)us->stats.n_clipped / us->stats.n : 0.0,
                      us->stats.n ? (double)us->stats.n_dual / us->stats.n : 0.0, us->entropy / mbs, us->loss / mbs,
                      lr, us->rho_dev_first, us->value_loss / mbs);
    for (int k = 0; k < CEV_KIND_COUNT && at < (int)sizeof buf - 64; k++)
        at += snprintf(buf + at, sizeof buf - (size_t)at, ", \"ev_%s\": %d", credit_event_name((CreditEventKind)k), counts[k]);
    snprintf(buf + at, sizeof buf - (size_t)at, "}");
    jsonl_write_text(log, buf, NULL);
}

/* Every rank takes rank 0's parameters, teacher, optimiser state and counters (after loading the
 * pre-trained policy or resuming): the ranks start identical whatever the file system shows them. */
static int sync_state(Trainer *T, Err *e) {
    const Dist *d = &T->d;
    if (d->size == 1) return 0;
    NnParams *pp = policy_params(T->pol);
    size_t bytes = pp->total * sizeof(float);
    long counters[3] = {T->iter, T->sim_steps, T->opt.step};
    if (dist_bcast(d, pp->values, bytes, 0, e) || dist_bcast(d, policy_params(T->teacher)->values, bytes, 0, e) ||
        dist_bcast(d, T->opt.m, bytes, 0, e) || dist_bcast(d, T->opt.v, bytes, 0, e) ||
        dist_bcast(d, counters, sizeof counters, 0, e) || dist_bcast(d, &T->wall_s, sizeof T->wall_s, 0, e))
        return -1;
    T->iter = (int)counters[0];
    T->sim_steps = counters[1];
    T->opt.step = counters[2];
    if (T->value) {
        NnParams *vp = ft_value_params(T->value);
        NnAdamW *vo = ft_value_opt(T->value);
        size_t vb = vp->total * sizeof(float);
        if (dist_bcast(d, vp->values, vb, 0, e) || dist_bcast(d, vo->m, vb, 0, e) || dist_bcast(d, vo->v, vb, 0, e) ||
            dist_bcast(d, &vo->step, sizeof vo->step, 0, e))
            return -1;
    }
    return 0;
}

/* Rank 0 resumes from the run directory and tells the others whether it could. */
static int resume_all(Trainer *T, uint64_t hash, Err *e) {
    int r = dist_is_root(&T->d) ? resume_checkpoint(T, hash, e) : 0;
    if (dist_bcast(&T->d, &r, sizeof r, 0, e)) return -1;
    if (r < 0 && !dist_is_root(&T->d)) return err_set(e, "resume failed on rank 0");
    return r < 0 ? -1 : 0;
}

/* One iteration: rollouts, advantages, update, metrics line, checkpoint. */
static int iteration(Trainer *T, uint64_t hash, JsonlLog *log, FtProgressFn progress, void *ctx, Err *e) {
    const FtConfig *cfg = &T->cfg;
    double t0 = omp_get_wtime();
    ft_workers_sync(T, 1); /* after a resume or broadcast too */
    if (ft_rollout(cfg, &T->d, T->students, T->n_workers, (uint64_t)T->iter, &T->batch, e)) return -1;
    double roll_s = omp_get_wtime() - t0 - T->batch.comm_s;
    T->rep->rollout_s += roll_s;
    T->rep->gather_s += T->batch.comm_s;
    T->rep->batch_bytes_per_iter = T->batch.comm_bytes;
    double t1 = omp_get_wtime();
    memset(T->adv, 0, (size_t)T->batch.n * T->A * sizeof *T->adv);
    memset(T->valid, 0, (size_t)T->batch.n * T->A);
    memset(T->credited, 0, (size_t)T->batch.n);
    int n_groups = 0, n_res = 0;
    double corr = NAN;
    if (cfg->method == METHOD_PPO) {
        ppo_advantages(T);
    } else {
        if (cfg->method == METHOD_GRPO_CL || cfg->proxy) n_groups = proxy_advantages(T);
        if (cfg->method == METHOD_CRAFT) {
            n_res = residual_advantages(T, &corr);
            if (!cfg->residual) /* ablation: credited but not trained on */
                for (int s = 0; s < T->batch.n; s++) T->valid[(size_t)s * T->A] = 0;
        }
    }
    T->rep->compute_s += omp_get_wtime() - t1;
    float lr = fmaxf(cfg->lr_min, cfg->lr * powf(0.9f, (float)T->iter));
    Rng rng; /* the minibatch partition: the same on every rank */
    rng_seed(&rng, (uint64_t)cfg->seed, 0x46540000ULL + (uint64_t)T->iter);
    UpdateStats us = {0};
    if (T->batch.n > 0 && ft_update(T, &rng, lr, &us, e)) return -1;
    T->sim_steps += T->batch.sim_steps;
    T->wall_s += omp_get_wtime() - t0;
    if (log) metrics_line(T, &us, corr, n_res, n_groups, lr, roll_s, log);
    T->iter++;
    if (dist_is_root(&T->d) && T->iter % cfg->checkpoint_every == 0 && write_checkpoint(T, hash, e)) return -1;
    if (progress) {
        FtProgress p = {.iter = T->iter, .sim_steps = T->sim_steps, .budget = cfg->steps, .wall_s = T->wall_s,
                        .steps_per_s = T->batch.sim_steps / fmax(roll_s, 1e-9), .kl = (float)(us.kl_st / fmax(us.minibatches, 1))};
        for (int w = 0; w < cfg->worlds; w++) {
            p.mean_return += T->batch.eps[w].ret / cfg->worlds;
            for (int k = 0; k < CEV_KIND_COUNT; k++) p.events += T->batch.eps[w].counts[k];
        }
        progress(&p, ctx);
    }
    return 0;
}

/* Rank 0's end of the run: last checkpoint, final parameters, curves. */
static int finish(Trainer *T, uint64_t hash, Err *e) {
    const FtConfig *cfg = &T->cfg;
    char path[1200], png[1200];
    if (T->iter % cfg->checkpoint_every && write_checkpoint(T, hash, e)) return -1;
    if (policy_save(T->pol, T->rep->final_path, e)) return -1;
    snprintf(path, sizeof path, "%s/metrics.jsonl", cfg->run_dir);
    snprintf(png, sizeof png, "%s/curves.png", cfg->run_dir);
    const char *keys[] = {"mean_return", "kl_student_teacher", "mean_abs_adv_res"};
    Err pe;
    plot_jsonl_png(path, "sim_steps", keys, 3, png, &pe); /* a plot failure does not fail the run */
    return 0;
}

int finetune_run_dist(const FtConfig *cfg, const Dist *d, int resume, FtProgressFn progress, void *ctx, FtReport *rep,
                      Err *e) {
    Trainer T;
    memset(&T, 0, sizeof T);
    memset(rep, 0, sizeof *rep);
    T.cfg = *cfg;
    T.d = *d;
    T.rep = rep;
    rep->ranks = d->size;
    int root = dist_is_root(d);
    craft_threads_set(cfg->threads);
    if (root && mkdir(cfg->run_dir, 0755) && errno != EEXIST) return err_set(e, "cannot create run directory %s: %m", cfg->run_dir);
    uint64_t hash = config_hash(finetune_schema(), cfg);
    JsonlLog *log = NULL;
    int rc = -1, cap = cfg->worlds > cfg->minibatch ? cfg->worlds : cfg->minibatch;
    char path[1200];
    if (!(T.pol = policy_load(cfg->policy, cap, cfg->group + 1, e)) || !(T.teacher = policy_clone(T.pol, e)) ||
        trainer_alloc(&T, e))
        goto done;
    NnAdamWConfig ac = nn_adamw_defaults();
    ac.weight_decay = cfg->weight_decay;
    if (nn_adamw_create(&T.opt, policy_params(T.pol), ac, e)) goto done;
    if (cfg->method == METHOD_PPO && !(T.value = ft_value_create((uint64_t)cfg->seed * 7919u + 1u, cfg->minibatch, e))) goto done;
    if ((resume && resume_all(&T, hash, e)) || sync_state(&T, e)) goto done;
    rep->params = nn_params_count(policy_params(T.pol));
    /* per update: the shards not on rank 0 go to it, the sum goes to every other rank */
    int on_root = dist_my_shards(&(Dist){.rank = 0, .size = d->size}, T.S);
    rep->grad_bytes_per_update = d->size > 1 ? ((double)(T.S - on_root) + (d->size - 1)) * T.stride * sizeof(float) : 0.0;
    snprintf(rep->final_path, sizeof rep->final_path, "%s/final.safetensors", cfg->run_dir);
    if (root) {
        snprintf(path, sizeof path, "%s/config.json", cfg->run_dir);
        if (config_write_json(finetune_schema(), cfg, path, e)) goto done;
        snprintf(path, sizeof path, "%s/metrics.jsonl", cfg->run_dir);
        if (!(log = jsonl_open(path, "iter", T.iter > 0 ? T.iter - 1 : -1, e))) goto done;
    }
    while (T.sim_steps < cfg->steps)
        if (iteration(&T, hash, log, root ? progress : NULL, ctx, e)) goto done;
    jsonl_close(log);
    log = NULL;
    if (root && finish(&T, hash, e)) goto done;
    rep->iterations = T.iter;
    rep->sim_steps = T.sim_steps;
    rep->wall_s = T.wall_s;
    rc = 0;
done:
    jsonl_close(log);
    trainer_free(&T);
    return rc;
}

int finetune_run(const FtConfig *cfg, int resume, FtProgressFn progress, void *ctx, FtReport *rep, Err *e) {
    Dist one = dist_single();
    return finetune_run_dist(cfg, &one, resume, progress, ctx, rep, e);
}
