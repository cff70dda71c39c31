/* finetune — closed-loop post-training of a pre-trained policy: CRAFT and its baselines through
 * one trainer (CRAFT.md). One iteration: roll out B worlds on `train`-split routes with the current
 * policy → score a group of candidates at every visited state with the counterfactual scorer
 * (proxy) → credit the executed rollouts' interaction-critical events (residual) → K epochs of the
 * method's update → EMA teacher. Methods: craft, cf (proxy only), ppo (value function + GAE on a
 * dense shaped reward), grpo-cl (G closed-loop rollouts branched from the same snapshot); every
 * ablation of the spec is a config key (--set residual=0, kl_alpha=0.5, teacher=frozen, ...).
 *
 * A run directory holds config.json, metrics.jsonl (one line per iteration), curves.png,
 * checkpoints (ckpt-<iter>/ + LATEST, written atomically) and final.safetensors. --resume continues
 * from LATEST and reaches bit-identical parameters to an uninterrupted run: iterations start
 * episodes afresh, so a checkpoint is just parameters, teacher, optimiser moments and counters.
 * Budget: simulator steps executed, counting branched rollouts, excluding forecast-only scoring.
 *
 * Scale-out (`mpirun -np N craft finetune`): world w of an iteration is rolled out by rank w mod N
 * and the batch is gathered onto every rank; each minibatch is cut into S = grad_shards fixed shards,
 * shard k's gradient computed by rank k mod N, and the shards summed in shard order (dist.h) also for
 * N = 1: the same seed gives bit-identical parameters for any N. Rank 0 alone writes the run
 * directory; every rank starts from rank 0's parameters, so a run resumes under a different N. */
#ifndef CRAFT_FINETUNE_H
#define CRAFT_FINETUNE_H
#include <stdint.h>
#include "craft/config.h"
#include "craft/err.h"

typedef enum { METHOD_CRAFT, METHOD_PPO, METHOD_GRPO_CL, METHOD_CF, METHOD_COUNT } FtMethod;
typedef enum { TEACHER_EMA, TEACHER_FROZEN } FtTeacher;

typedef struct {
    int method;                /* FtMethod */
    char policy[512];          /* pre-trained checkpoint */
    int seed;
    int steps;                 /* simulator-step budget */
    int threads;               /* worlds stepped in parallel (not part of the config hash) */
    int worlds;                /* B rollouts per iteration */
    int horizon;               /* planning steps per rollout (episodes are truncated there) */
    int replan;                /* world steps per planning step */
    int group;                 /* G candidates per state */
    int proxy, residual;       /* the two advantage streams (ablations switch one off) */
    int proxy_forecaster;      /* ForecastKind of the proxy scorer */
    float lambda_res, kl_beta, kl_alpha, ema_tau, entropy_coef;
    int teacher;               /* FtTeacher */
    float clip_eps, dual_c, std_threshold;
    float lr, lr_min, grad_clip, weight_decay;
    int epochs, minibatch;
    int grad_shards;           /* S: each minibatch's gradient is the sum of S shards, in shard order */
    float credit_window, credit_gamma;
    float ppo_gamma, ppo_lambda, ppo_value_lr, ppo_entropy;
    float grpo_kl;
    int branch_horizon;        /* grpo-cl: world steps of each branched rollout */
    int branch_every;          /* grpo-cl: branch the group at every k-th planning step */
    int checkpoint_every;      /* iterations */
    char run_dir[512];
} FtConfig;

const ConfigSchema *finetune_schema(void);
const char *ft_method_name(FtMethod m);
/* Defaults for a method (the schema's defaults with method set). */
int finetune_defaults(FtConfig *c, FtMethod m, Err *e);

typedef struct {
    int iter, iters;
    long sim_steps, budget;
    double wall_s, steps_per_s;
    float mean_return, kl;
    int events;
} FtProgress;
typedef void (*FtProgressFn)(const FtProgress *p, void *ctx);

typedef struct {
    int iterations;
    long sim_steps;
    double wall_s;
    char final_path[600];
    /* where the time of this process went (this session only, not counting resumed iterations) */
    int ranks;
    long updates;              /* optimiser steps */
    double rollout_s;          /* rolling out this rank's worlds */
    double gather_s;           /* gathering the batch onto every rank */
    double compute_s;          /* advantages, log π_old, shard gradients, optimiser */
    double reduce_s;           /* reducing the gradient shards */
    double grad_bytes_per_update;  /* gradient bytes moved between ranks per update (0 for one rank) */
    double batch_bytes_per_iter;   /* rollout bytes moved between ranks per iteration */
    size_t params;             /* trainable floats of the policy */
} FtReport;

typedef struct Dist Dist;
/* Runs (or, with resume, continues) a fine-tuning run into cfg->run_dir, as one process. */
int finetune_run(const FtConfig *cfg, int resume, FtProgressFn progress, void *ctx, FtReport *rep, Err *e);
/* The same as one rank of `mpirun -np N` (d from dist_init; every rank calls it with the same cfg).
 * Errors are local: the caller ends the job (dist_abort) when a rank fails. */
int finetune_run_dist(const FtConfig *cfg, const Dist *d, int resume, FtProgressFn progress, void *ctx, FtReport *rep,
                      Err *e);

#endif
