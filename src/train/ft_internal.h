/* ft_internal — the trainer's pieces shared by finetune.c (iteration loop, update, checkpoints),
 * ft_rollout.c (parallel closed-loop rollouts, candidate groups, proxy scoring, events) and
 * ft_value.c (the PPO baseline's value function). */
#ifndef CRAFT_FT_INTERNAL_H
#define CRAFT_FT_INTERNAL_H
#include "craft/craft_loss.h"
#include "craft/finetune.h"
#include "craft/nn_optim.h"
#include "craft/obs.h"
#include "craft/policy.h"
#include "craft/scenario.h"

#define FT_MAX_EVENTS_PER_EP 256

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
    int ended;
    float ret;                 /* episode return: completion fraction + event rewards */
} FtEpisode;

/* The batch of one iteration (sized once: worlds × horizon states, G + 1 actions each). */
typedef struct {
    int cap_states, A;         /* A = actions per state = G + 1 */
    int n;                     /* states recorded */
    Obs *obs;
    PolicyAction *acts;        /* [cap_states * A] */
    FtStep *steps;
    FtEpisode *eps;            /* [worlds] */
    long sim_steps;            /* executed this iteration (incl. branches) */
} FtBatch;

int ft_batch_alloc(FtBatch *b, int worlds, int horizon, int group, Err *e);
void ft_batch_free(FtBatch *b);

/* Collects one iteration's rollouts with `pol` (sampling from rng) into b. grpo-cl also rolls out
 * every group member from a snapshot (branch_horizon steps) and stores its return as the score. */
int ft_rollout(const FtConfig *cfg, Policy *pol, uint64_t iter, Rng *rng, FtBatch *b, Err *e);

/* The effective KL weight and entropy bonus of the method (see finetune_defaults). */
float ft_effective_beta(const FtConfig *c);
float ft_effective_entropy(const FtConfig *c);

/* PPO value function: a small MLP over a compact slice of the observation. */
typedef struct FtValue FtValue;
FtValue *ft_value_create(uint64_t seed, int max_batch, Err *e);
void ft_value_destroy(FtValue *v);
NnParams *ft_value_params(FtValue *v);
/* values[B] of obs[B]. */
void ft_value_forward(FtValue *v, const Obs *obs, int B, float *values);
NnAdamW *ft_value_opt(FtValue *v);
/* One regression step towards targets (0.5 MSE), AdamW with lr; returns the loss. */
float ft_value_train_step(FtValue *v, const Obs *obs, int B, const float *targets, float lr);

#endif
