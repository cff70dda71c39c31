/* finetune_config — the trainer's configuration keys: every knob of CRAFT.md, its baselines and
 * ablations, with the defaults the spec and RIFT fix (see include/craft/finetune.h). */
#include <string.h>
#include "craft/finetune.h"

static const char *const METHODS[] = {"craft", "ppo", "grpo-cl", "cf", NULL};
static const char *const TEACHERS[] = {"ema", "frozen", NULL};
static const char *const FORECASTERS[] = {"constant_velocity", "constant_turn", "idm", "oracle", NULL};

static const ConfigKey KEYS[] = {
    CFG_ENUM(FtConfig, method, "method", "craft", METHODS, "craft | ppo | grpo-cl | cf"),
    CFG_STRING(FtConfig, policy, "policy", "data/policies/vocab_small.safetensors", "pre-trained checkpoint to fine-tune"),
    CFG_INT(FtConfig, seed, "seed", "1", 0, 1000000000, "run seed (routes, sampling, shuffles)"),
    CFG_INT(FtConfig, steps, "steps", "60000", 1, 2000000000, "budget: simulator steps executed (incl. branched rollouts)"),
    CFG_INT(FtConfig, threads, "threads", "2", 1, 256, "worlds stepped in parallel", | CFG_NO_HASH),
    CFG_INT(FtConfig, worlds, "worlds", "8", 1, 256, "B: rollouts per iteration"),
    CFG_INT(FtConfig, horizon, "horizon", "60", 1, 4000, "planning steps per rollout (episode truncated there)"),
    CFG_INT(FtConfig, replan, "replan", "5", 1, 50, "world steps per planning step"),
    CFG_INT(FtConfig, group, "group", "8", 2, 256, "G: candidates per state (top-G entries for vocab, else samples)"),
    CFG_BOOL(FtConfig, proxy, "proxy", "1", "use the counterfactual proxy advantage stream"),
    CFG_BOOL(FtConfig, residual, "residual", "1", "use the grounded residual advantage stream"),
    CFG_ENUM(FtConfig, proxy_forecaster, "proxy_forecaster", "constant_velocity", FORECASTERS, "forecast of others in the proxy scorer"),
    CFG_FLOAT(FtConfig, lambda_res, "lambda_res", "1", 0, 100, "weight of the residual stream"),
    CFG_FLOAT(FtConfig, kl_beta, "kl_beta", "0.05", 0, 100, "beta: weight of the KL to the teacher"),
    CFG_FLOAT(FtConfig, kl_alpha, "kl_alpha", "0.8", 0, 1, "alpha: share of KL(teacher||student) in the asymmetric KL"),
    CFG_FLOAT(FtConfig, ema_tau, "ema_tau", "0.995", 0, 1, "tau of the EMA teacher"),
    CFG_FLOAT(FtConfig, entropy_coef, "entropy_coef", "0", 0, 10, "eta: entropy bonus"),
    CFG_ENUM(FtConfig, teacher, "teacher", "ema", TEACHERS, "ema | frozen (the pre-trained policy)"),
    CFG_FLOAT(FtConfig, clip_eps, "clip_eps", "0.2", 0, 1, "PPO clip range epsilon"),
    CFG_FLOAT(FtConfig, dual_c, "dual_c", "3", 0, 100, "dual clip c for A < 0 (0: off)"),
    CFG_FLOAT(FtConfig, std_threshold, "std_threshold", "0.001", 0, 10, "groups with a smaller score std are skipped"),
    CFG_FLOAT(FtConfig, lr, "lr", "0.0001", 0, 1, "learning rate"),
    CFG_FLOAT(FtConfig, lr_min, "lr_min", "0.000001", 0, 1, "learning-rate floor"),
    CFG_FLOAT(FtConfig, grad_clip, "grad_clip", "0.5", 0, 1000, "global gradient-norm clip"),
    CFG_FLOAT(FtConfig, weight_decay, "weight_decay", "0.00001", 0, 1, "AdamW weight decay"),
    CFG_INT(FtConfig, epochs, "epochs", "4", 1, 100, "K: epochs per iteration"),
    CFG_INT(FtConfig, minibatch, "minibatch", "64", 1, 65536, "states per minibatch"),
    CFG_INT(FtConfig, grad_shards, "grad_shards", "4", 1, 64, "S: gradient shards per minibatch, summed in order (results independent of MPI ranks)"),
    CFG_FLOAT(FtConfig, credit_window, "credit_window", "3", 0, 60, "s: an event credits the decisions this long before it"),
    CFG_FLOAT(FtConfig, credit_gamma, "credit_gamma", "0.9", 0, 1, "discount per second of the credit"),
    CFG_FLOAT(FtConfig, ppo_gamma, "ppo_gamma", "0.98", 0, 1, "ppo: discount per planning step"),
    CFG_FLOAT(FtConfig, ppo_lambda, "ppo_lambda", "0.98", 0, 1, "ppo: GAE lambda"),
    CFG_FLOAT(FtConfig, ppo_value_lr, "ppo_value_lr", "0.001", 0, 1, "ppo: value-function learning rate"),
    CFG_FLOAT(FtConfig, ppo_entropy, "ppo_entropy", "0.01", 0, 10, "ppo: entropy bonus"),
    CFG_FLOAT(FtConfig, grpo_kl, "grpo_kl", "0.2", 0, 100, "grpo-cl: KL(reference||policy) weight"),
    CFG_INT(FtConfig, branch_horizon, "branch_horizon", "20", 1, 1000, "grpo-cl: world steps of each branched rollout"),
    CFG_INT(FtConfig, branch_every, "branch_every", "4", 1, 1000, "grpo-cl: branch at every k-th planning step (the budget counts every branched step)"),
    CFG_INT(FtConfig, checkpoint_every, "checkpoint_every", "1", 1, 100000, "iterations between checkpoints", | CFG_NO_HASH),
    CFG_STRING(FtConfig, run_dir, "run_dir", "runs/craft", "output directory", | CFG_NO_HASH),
};
static const ConfigSchema SCHEMA = CFG_SCHEMA(FtConfig, "finetune", KEYS);

const ConfigSchema *finetune_schema(void) { return &SCHEMA; }

const char *ft_method_name(FtMethod m) { return (unsigned)m < METHOD_COUNT ? METHODS[m] : "?"; }

int finetune_defaults(FtConfig *c, FtMethod m, Err *e) {
    if (config_set_defaults(&SCHEMA, c, e)) return -1;
    c->method = (int)m;
    switch (m) {
    case METHOD_CF: /* RIFT-style: proxy advantages with the dual clip, nothing else */
        c->residual = 0;
        c->kl_beta = 0.0f;
        break;
    case METHOD_GRPO_CL: /* RIFT's GRPO: no dual clip, KL(reference || policy) to the frozen pre-trained policy */
        c->dual_c = 0.0f;
        c->teacher = TEACHER_FROZEN;
        c->kl_alpha = 1.0f; /* beta comes from grpo_kl (ft_effective_beta) */
        c->group = 4;       /* branched returns cost G x branch_horizon world steps per branched state: */
                            /* a smaller group leaves grpo-cl several updates within the common budget */
        break;
    case METHOD_PPO: /* executed action only, value function + GAE, plain clip, entropy bonus, no teacher */
        c->dual_c = 0.0f; /* no teacher KL; entropy from ppo_entropy (ft_effective_*) */
        break;
    default:
        break;
    }
    return 0;
}
