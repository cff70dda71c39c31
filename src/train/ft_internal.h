/* ft_internal — the trainer's pieces shared by finetune.c (iteration loop, advantages, checkpoints),
 * ft_update.c (the update, its gradient cut into a fixed number of shards), ft_rollout.c (parallel
 * closed-loop rollouts, candidate groups, proxy scoring, events; each rank rolls out its share of the
 * worlds, then the batch is gathered onto every rank) and ft_value.c (the PPO value function). */
#ifndef CRAFT_FT_INTERNAL_H
#define CRAFT_FT_INTERNAL_H
#include "craft/craft_loss.h"
#include "craft/dist.h"
#include "craft/finetune.h"
#include "craft/nn_optim.h"
#include "craft/obs.h"
#include "craft/policy.h"
#include "craft/scenario.h"

#define FT_MAX_EVENTS_PER_EP 256

/* PPO value function: a small MLP over a compact slice of the observation. */
typedef struct FtValue FtValue;

/* One visited state (planning step) of a rollout. acts[0] is the executed action; acts[1..G] the
 * proxy group (top-G vocabulary entries, or G samples of π_old). */
typedef struct {
    int world;                 /* rollout index in the batch */
    int t;                     /* planning step within the rollout */
    float time;                /* s since the rollout started */
    float score[1 + 256];      /* proxy score of each action (index 0 = executed) */
    float reward;              /* ppo: dense reward of the step (progress + events) */
    uint8_t done;              /* the episode ended during this step */
} FtStep;

typedef struct {
    int n_events;
    CreditEvent events[FT_MAX_EVENTS_PER_EP];
    int counts[CEV_KIND_COUNT];
    float progress;            /* route metres covered */
    float route_length;
    int steps;                 /* planning steps recorded */
    long sim_steps;            /* world steps executed (incl. branches) */
    int ended;
    float ret;                 /* episode return: completion fraction + event rewards */
} FtEpisode;

/* The batch of one iteration. World w is rolled out by rank w mod N into this rank's staging slots
 * (H per world); ft_rollout then gathers every world onto every rank and packs the states world by
 * world (world 0's planning steps, then world 1's, ...): the same batch, in the same order, for any N. */
typedef struct {
    int cap_states, A, H, worlds;  /* A = actions per state = G + 1; H = horizon */
    int n;                     /* states recorded */
    Obs *obs;                  /* [cap_states] */
    PolicyAction *acts;        /* [cap_states * A] */
    FtStep *steps;
    FtEpisode *eps;            /* [worlds] */
    long sim_steps;            /* executed this iteration (incl. branches) */
    /* this rank's worlds (w = rank, rank + N, ...), H slots each */
    int n_local;
    Obs *lobs;
    PolicyAction *lacts;
    FtStep *lsteps;
    FtEpisode *leps;
    double comm_s;             /* s spent gathering the batch (this iteration) */
    double comm_bytes;         /* bytes of rollout data moved between ranks (this iteration) */
} FtBatch;

int ft_batch_alloc(FtBatch *b, const Dist *d, int worlds, int horizon, int group, Err *e);
void ft_batch_free(FtBatch *b);

/* Rolls out this rank's worlds of iteration `iter` with `pol`, then gathers the whole batch onto
 * every rank. World w samples from its own stream (seed, iter, w) and the policy acts on it alone
 * (batch of 1), so its rollout does not depend on which worlds share a rank. grpo-cl also rolls out
 * every group member from a snapshot (branch_horizon steps) and stores its return as the score. */
int ft_rollout(const FtConfig *cfg, const Dist *d, Policy *const *pols, int n_pols, uint64_t iter, FtBatch *b, Err *e);

/* One OpenMP thread's share of acting and of the update: copies of the student and the teacher
 * (worker 0's are the trainer's own) and the scratch of one gradient shard. Every worker holds the
 * same parameters (re-synced after each optimiser step), and a shard's gradient depends only on its
 * states, so which worker computes which shard changes nothing: results do not depend on threads.
 * The policy pols handed to ft_rollout are the workers' students (world w acts on one of them). */
typedef struct {
    Policy *pol, *teacher;
    Obs *obs;                    /* [shard capacity] */
    PolicyAction *acts;          /* [capacity * A] */
    float *adv, *old, *logp, *logp_teacher, *dlogp, *ent, *dent, *kl_a, *kl_b;
    uint8_t *valid;
} FtWorker;

/* The trainer's state (finetune.c owns it; ft_update.c runs the update on it). */
typedef struct {
    FtConfig cfg;
    Dist d;
    Policy *pol, *teacher;
    NnAdamW opt;
    FtValue *value;
    FtBatch batch;
    int A, M, S;                 /* actions per state; minibatch capacity; gradient shards */
    /* per-iteration arrays, sized for the batch */
    float *adv, *logp_old, *credit, *values, *returns;
    uint8_t *valid, *credited, *done;
    int *order;
    Obs *mb_obs;                 /* the whole minibatch, for the PPO value step */
    float *mb_target;
    FtWorker *workers;           /* cfg.threads of them; worker 0 holds pol and teacher */
    int n_workers;
    Policy **students;           /* the workers' students, for ft_rollout */
    /* gradient shards: this rank's (stride floats each: gradient, then loss statistics), their sum */
    size_t stride;
    float *shard_buf, *reduced;
    /* counters */
    int iter;
    long sim_steps;
    double wall_s;
    FtReport *rep;               /* timings accumulate here */
} Trainer;

typedef struct {
    SurrogateStats stats;
    double loss, kl_ts, kl_st, entropy, rho_dev_first, value_loss;
    int minibatches;
} UpdateStats;

/* Inside a parallel loop: records a failing iteration's error in *e unless one is there already
 * (*rc = -1 marks it), so the caller reports the first failure it saw. */
void ft_first_error(int *rc, Err *e, const Err *failed);

/* Copies the student's (teacher's) parameters into every other worker. */
void ft_workers_sync(Trainer *T, int with_teacher);

/* Floats per gradient shard for a policy of `params` floats and S shards. */
size_t ft_shard_stride(size_t params, int S);
/* K epochs over one fixed partition of the batch into minibatches (drawn from rng), each minibatch's
 * gradient the ordered sum of S shards; then the EMA teacher. */
int ft_update(Trainer *T, Rng *rng, float lr, UpdateStats *us, Err *e);

/* The effective KL weight and entropy bonus of the method (see finetune_defaults). */
float ft_effective_beta(const FtConfig *c);
float ft_effective_entropy(const FtConfig *c);

FtValue *ft_value_create(uint64_t seed, int max_batch, Err *e);
void ft_value_destroy(FtValue *v);
NnParams *ft_value_params(FtValue *v);
/* values[B] of obs[B]. */
void ft_value_forward(FtValue *v, const Obs *obs, int B, float *values);
NnAdamW *ft_value_opt(FtValue *v);
/* One regression step towards targets (0.5 MSE), AdamW with lr; returns the loss. */
float ft_value_train_step(FtValue *v, const Obs *obs, int B, const float *targets, float lr);

#endif
