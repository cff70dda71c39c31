/* ft_update — the trainer's update (see include/craft/finetune.h): K epochs over one fixed partition
 * of the batch into minibatches. Each minibatch is cut into S contiguous shards; rank k mod N
 * evaluates shard k on its own (the same states in the same batch for any N), computes its loss
 * terms with the minibatch's normalisers and its gradient; dist_reduce_shards sums the S shard
 * vectors in shard order (also for one process), and every rank takes the same optimiser step.
 * Within a rank, the shards are spread over the OpenMP workers (ft_internal.h), each with its own
 * copy of the policies, so a rank's threads and its processes divide the same fixed shards.
 * log π_old is computed with the same shards before the first step, so ρ = 1 exactly there. */
#include <math.h>
#include <omp.h>
#include <string.h>
#include "ft_internal.h"

/* Loss statistics after the gradient in each shard vector (summed with it). */
enum { ST_LOSS, ST_KL_TS, ST_KL_ST, ST_ENT, ST_N, ST_CLIPPED, ST_ZERO, ST_DUAL, ST_RATIO, ST_APPROX_KL, ST_RHO };

size_t ft_shard_stride(size_t params, int S) { return params + ST_RHO + (size_t)S; }

/* The minibatch's states states[0..mb) into a worker's scratch. */
static void gather(const Trainer *T, FtWorker *W, const int *states, int mb) {
    const FtBatch *b = &T->batch;
    size_t A = (size_t)T->A;
    for (int k = 0; k < mb; k++) {
        size_t s = (size_t)states[k];
        W->obs[k] = b->obs[s];
        memcpy(&W->acts[k * A], &b->acts[s * A], A * sizeof *W->acts);
        memcpy(&W->adv[k * A], &T->adv[s * A], A * sizeof *W->adv);
        memcpy(&W->valid[k * A], &T->valid[s * A], A);
        memcpy(&W->old[k * A], &T->logp_old[s * A], A * sizeof *W->old);
    }
}

/* Shard k of the minibatch at[0..mb): states at[lo..hi). */
static void shard_range(int mb, int S, int k, int *lo, int *hi) {
    *lo = (int)((long)k * mb / S);
    *hi = (int)((long)(k + 1) * mb / S);
}

typedef struct {
    int use_proxy, use_exec;
    float exec_weight, beta, eta;
    SurrogateParams sp;
} LossSetup;

static LossSetup loss_setup(const FtConfig *c) {
    LossSetup L = {.sp = {.clip_eps = c->clip_eps, .dual_c = c->dual_c}};
    L.use_proxy = c->method == METHOD_GRPO_CL || (c->proxy && (c->method == METHOD_CRAFT || c->method == METHOD_CF));
    L.use_exec = c->method == METHOD_PPO || (c->residual && c->method == METHOD_CRAFT);
    L.exec_weight = c->method == METHOD_PPO ? 1.0f : c->lambda_res;
    L.beta = ft_effective_beta(c);
    L.eta = ft_effective_entropy(c);
    return L;
}

/* The loss of shard k (states[0..sb) of a minibatch of mb states with nv valid group entries) and its
 * gradient, into out[stride]: the gradient, then the statistics. */
static int shard_gradient(const Trainer *T, FtWorker *W, const LossSetup *L, const int *states, int sb, int mb, int nv, int first, int k,
                          float *out, Err *e) {
    int A = T->A;
    memset(out, 0, T->stride * sizeof *out);
    if (sb == 0) return 0;
    gather(T, W, states, sb);
    if (policy_evaluate(W->pol, W->obs, sb, W->acts, A, W->logp, W->ent, e)) return -1;
    if (first) {
        double dev = 0.0;
        for (int i = 0; i < sb * A; i++) dev = fmax(dev, fabs(exp((double)W->logp[i] - W->old[i]) - 1.0));
        out[T->stride - (size_t)T->S + (size_t)k] = (float)dev;
    }
    memset(W->dlogp, 0, (size_t)sb * A * sizeof *W->dlogp);
    SurrogateStats st = {0};
    double loss = 0.0;
    if (L->use_proxy && nv) {
        for (int i = 0; i < sb; i++) W->valid[(size_t)i * A] = 0; /* the executed slot is not a group member */
        loss += craft_surrogate_batch(W->logp, W->old, W->adv, W->valid, sb * A, &L->sp, 1.0f / nv, W->dlogp, &st);
        for (int i = 0; i < sb; i++) W->valid[(size_t)i * A] = T->valid[(size_t)states[i] * A];
    }
    if (L->use_exec)
        for (int i = 0; i < sb; i++) { /* the executed action: credited (or, for ppo, every) state */
            size_t j = (size_t)i * A;
            if (W->valid[j])
                loss += craft_surrogate_batch(&W->logp[j], &W->old[j], &W->adv[j], NULL, 1, &L->sp,
                                              L->exec_weight / mb, &W->dlogp[j], &st);
        }
    for (int i = 0; i < sb; i++) W->dent[i] = -L->eta / (float)mb;
    const Policy *teacher = NULL;
    float w_ts = 0.0f, w_st = 0.0f;
    double kl_ts = 0.0, kl_st = 0.0, ent = 0.0;
    if (L->beta > 0.0f) {
        if (policy_evaluate(W->teacher, W->obs, sb, W->acts, A, W->logp_teacher, NULL, e) ||
            policy_kl(W->teacher, W->pol, W->kl_a, e) || policy_kl(W->pol, W->teacher, W->kl_b, e))
            return -1;
        craft_kl_weights(T->cfg.kl_alpha, L->beta, 1.0f / (float)mb, &w_ts, &w_st);
        loss += craft_kl_asym(T->cfg.kl_alpha, L->beta, W->kl_a, W->kl_b, sb) * sb / mb;
        for (int i = 0; i < sb; i++) kl_ts += W->kl_a[i] / mb, kl_st += W->kl_b[i] / mb;
        teacher = W->teacher;
    }
    for (int i = 0; i < sb; i++) ent += W->ent[i] / mb;
    loss -= L->eta * ent;
    NnParams *pp = policy_params(W->pol);
    nn_params_zero_grad(pp);
    PolicyLossGrad g = {.dlogp = W->dlogp, .dentropy = L->eta > 0.0f ? W->dent : NULL, .teacher = teacher,
                        .w_kl_teacher_student = w_ts, .w_kl_student_teacher = w_st};
    if (policy_backward(W->pol, &g, e)) return -1;
    memcpy(out, pp->grads, pp->total * sizeof *out);
    float *tail = out + pp->total;
    tail[ST_LOSS] = (float)loss;
    tail[ST_KL_TS] = (float)kl_ts;
    tail[ST_KL_ST] = (float)kl_st;
    tail[ST_ENT] = (float)ent;
    tail[ST_N] = (float)st.n;
    tail[ST_CLIPPED] = (float)st.n_clipped;
    tail[ST_ZERO] = (float)st.n_zero_grad;
    tail[ST_DUAL] = (float)st.n_dual;
    tail[ST_RATIO] = (float)st.sum_ratio;
    tail[ST_APPROX_KL] = (float)st.sum_approx_kl;
    return 0;
}

/* The shards of this rank, k = rank, rank + N, ..., each computed by one worker (any worker gives
 * the same result). Returns -1 with the first failing shard's error. */
typedef int (*ShardFn)(Trainer *T, FtWorker *W, int k, int j, void *ctx, Err *e);

static int for_my_shards(Trainer *T, ShardFn fn, void *ctx, Err *e) {
    int mine = dist_my_shards(&T->d, T->S), rc = 0;
#pragma omp parallel for num_threads(T->n_workers) schedule(static, 1) if (T->n_workers > 1)
    for (int j = 0; j < mine; j++) {
        Err le;
        if (fn(T, &T->workers[omp_get_thread_num()], T->d.rank + j * T->d.size, j, ctx, &le)) ft_first_error(&rc, e, &le);
    }
    return rc;
}

typedef struct {
    int at, mb;
} OldCtx;

static int old_log_probs_shard(Trainer *T, FtWorker *W, int k, int j, void *ctx, Err *e) {
    (void)j;
    const OldCtx *c = ctx;
    int lo, hi, A = T->A;
    shard_range(c->mb, T->S, k, &lo, &hi);
    if (hi == lo) return 0;
    const int *states = &T->order[c->at + lo];
    gather(T, W, states, hi - lo);
    if (policy_evaluate(W->pol, W->obs, hi - lo, W->acts, A, W->logp, NULL, e)) return -1;
    for (int i = 0; i < hi - lo; i++) /* distinct states per shard: no two workers write the same slot */
        memcpy(&T->logp_old[(size_t)states[i] * A], &W->logp[(size_t)i * A], (size_t)A * sizeof(float));
    return 0;
}

/* log π_old of every state this rank evaluates, with the update's own shards. */
static int old_log_probs(Trainer *T, int n, Err *e) {
    for (int at = 0; at < n; at += T->M) {
        OldCtx c = {.at = at, .mb = n - at < T->M ? n - at : T->M};
        if (for_my_shards(T, old_log_probs_shard, &c, e)) return -1;
    }
    return 0;
}

typedef struct {
    const LossSetup *L;
    int at, mb, nv, first;
} GradCtx;

static int gradient_shard(Trainer *T, FtWorker *W, int k, int j, void *ctx, Err *e) {
    const GradCtx *c = ctx;
    int lo, hi;
    shard_range(c->mb, T->S, k, &lo, &hi);
    return shard_gradient(T, W, c->L, &T->order[c->at + lo], hi - lo, c->mb, c->nv, c->first, k,
                          T->shard_buf + (size_t)j * T->stride, e);
}

/* Accumulates the reduced statistics of one minibatch into us. */
static void add_stats(Trainer *T, const float *tail, UpdateStats *us) {
    us->loss += tail[ST_LOSS];
    us->kl_ts += tail[ST_KL_TS];
    us->kl_st += tail[ST_KL_ST];
    us->entropy += tail[ST_ENT];
    us->stats.n += (int)tail[ST_N];
    us->stats.n_clipped += (int)tail[ST_CLIPPED];
    us->stats.n_zero_grad += (int)tail[ST_ZERO];
    us->stats.n_dual += (int)tail[ST_DUAL];
    us->stats.sum_ratio += tail[ST_RATIO];
    us->stats.sum_approx_kl += tail[ST_APPROX_KL];
    for (int k = 0; k < T->S; k++) us->rho_dev_first = fmax(us->rho_dev_first, tail[ST_RHO + k]);
}

int ft_update(Trainer *T, Rng *rng, float lr, UpdateStats *us, Err *e) {
    const FtConfig *c = &T->cfg;
    int n = T->batch.n, A = T->A, M = T->M, S = T->S;
    NnParams *pp = policy_params(T->pol);
    memset(us, 0, sizeof *us);
    for (int s = 0; s < n; s++) T->order[s] = s;
    for (int s = n - 1; s > 0; s--) { /* one fixed partition per iteration */
        int j = (int)rng_below(rng, (uint32_t)(s + 1)), t = T->order[s];
        T->order[s] = T->order[j];
        T->order[j] = t;
    }
    double t0 = omp_get_wtime();
    if (old_log_probs(T, n, e)) return -1;
    LossSetup L = loss_setup(c);
    for (int ep = 0; ep < c->epochs; ep++)
        for (int at = 0; at < n; at += M) {
            int mb = n - at < M ? n - at : M, nv = 0;
            for (int i = 0; i < mb; i++) /* group entries of the whole minibatch (slot 0 is the executed action) */
                for (int g = 1; g < A; g++) nv += T->valid[(size_t)T->order[at + i] * A + g];
            GradCtx gc = {.L = &L, .at = at, .mb = mb, .nv = nv, .first = ep == 0 && at == 0};
            if (for_my_shards(T, gradient_shard, &gc, e)) return -1;
            double t1 = omp_get_wtime();
            if (dist_reduce_shards(&T->d, T->shard_buf, S, T->stride, T->reduced, e)) return -1;
            double t2 = omp_get_wtime();
            T->rep->reduce_s += t2 - t1;
            T->rep->compute_s += t1 - t0;
            t0 = t2;
            const float *tail = T->reduced + pp->total;
            if (!isfinite(tail[ST_LOSS]))
                return err_set(e, "finetune: non-finite loss at iteration %d (diverged or NaN in a batch)", T->iter);
            memcpy(pp->grads, T->reduced, pp->total * sizeof *pp->grads);
            add_stats(T, tail, us);
            nn_clip_grad_norm(pp, c->grad_clip);
            nn_adamw_step(&T->opt, pp, lr);
            ft_workers_sync(T, 0);
            if (T->value) { /* tiny: every rank trains it on the whole minibatch */
                for (int i = 0; i < mb; i++) {
                    T->mb_obs[i] = T->batch.obs[T->order[at + i]];
                    T->mb_target[i] = T->returns[T->order[at + i]];
                }
                us->value_loss += ft_value_train_step(T->value, T->mb_obs, mb, T->mb_target, c->ppo_value_lr);
            }
            us->minibatches++;
            T->rep->updates++;
        }
    if (c->teacher == TEACHER_EMA) nn_ema_update(policy_params(T->teacher), pp, c->ema_tau);
    T->rep->compute_s += omp_get_wtime() - t0;
    return 0;
}
