/* `craft finetune`: closed-loop post-training of a pre-trained policy with CRAFT or a baseline
 * (include/craft/finetune.h). Config: defaults of the method, then --config FILE.json, then every
 * --set key=value (repeatable), then the explicit options. --resume continues a killed run.
 * Under `mpirun -np N` every rank runs this with the same options (finetune.h: scale-out); a rank
 * that fails ends the whole job with a message naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "craft/dist.h"
#include "craft/finetune.h"
#include "craft/render.h"
#include "opts.h"

static void ft_progress(const FtProgress *p, void *ctx) {
    (void)ctx;
    double frac = p->budget > 0 ? (double)p->sim_steps / p->budget : 1.0;
    double eta = frac > 0 ? p->wall_s * (1.0 - frac) / frac : 0.0;
    fprintf(stderr, "\r[finetune] iter %d  %ld/%ld sim steps  %.0f steps/s  return %.3f  events %d  KL %.4f  ETA %.0fs   ",
            p->iter, p->sim_steps, p->budget, p->steps_per_s, p->mean_return, p->events, p->kl, eta > 0 ? eta : 0.0);
    if (p->sim_steps >= p->budget) fputc('\n', stderr);
    fflush(stderr);
}

int cmd_finetune(int argc, char **argv) {
    /* pull out the repeatable --set pairs first */
    char *sets[128];
    int n_sets = 0, n_rest = 0;
    char **rest = malloc((size_t)(argc + 1) * sizeof *rest);
    if (!rest) return 1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc || n_sets == 128) {
                fprintf(stderr, "craft finetune: --set needs key=value (at most 128)\n");
                free(rest);
                return 2;
            }
            sets[n_sets++] = argv[++i];
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    const char *method = "craft", *policy = NULL, *config = NULL, *out = "runs/craft";
    uint64_t seed = 0;
    int steps = 0, threads = 0, resume = 0, quiet = 0, show_config = 0;
    Opt opts[] = {
        {"method", OPT_STR, &method, "craft | ppo | grpo-cl | cf (default craft)"},
        {"policy", OPT_STR, &policy, "pre-trained checkpoint (default: the shipped small vocabulary policy)"},
        {"config", OPT_STR, &config, "JSON file of config keys (see --show-config)"},
        {"seed", OPT_U64, &seed, "run seed (default 1)"},
        {"steps", OPT_INT, &steps, "budget in simulator steps (default 60000)"},
        {"threads", OPT_INT, &threads, "worlds stepped in parallel (default 2)"},
        {"out", OPT_STR, &out, "run directory (default runs/craft)"},
        {"resume", OPT_FLAG, &resume, "continue the run in --out from its last checkpoint"},
        {"quiet", OPT_FLAG, &quiet, "no progress line"},
        {"show-config", OPT_FLAG, &show_config, "print every config key with its value and exit"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft finetune [options] [--set key=value ...]\n"
                        "Closed-loop fine-tuning of a pre-trained policy with CRAFT or a baseline.",
                        opts, (int)(sizeof opts / sizeof opts[0]), n_rest, rest, NULL, NULL, 0, &e);
    free(rest);
    if (rc == 1) return 0;
    if (rc < 0) return fprintf(stderr, "craft finetune: %s\n", e.msg), 2;
    FtConfig cfg;
    const ConfigSchema *sch = finetune_schema();
    int m = -1;
    for (int k = 0; k < METHOD_COUNT; k++)
        if (!strcmp(method, ft_method_name((FtMethod)k))) m = k;
    if (m < 0) return fprintf(stderr, "craft finetune: unknown --method '%s' (craft, ppo, grpo-cl, cf)\n", method), 2;
    if (finetune_defaults(&cfg, (FtMethod)m, &e) || (config && config_load_json(sch, &cfg, config, &e))) {
        fprintf(stderr, "craft finetune: %s\n", e.msg);
        return 2;
    }
    for (int i = 0; i < n_sets; i++)
        if (config_set_assignment(sch, &cfg, sets[i], &e)) return fprintf(stderr, "craft finetune: --set %s: %s\n", sets[i], e.msg), 2;
    if (policy) snprintf(cfg.policy, sizeof cfg.policy, "%s", policy);
    if (seed) cfg.seed = (int)seed;
    if (steps) cfg.steps = steps;
    if (threads) cfg.threads = threads;
    snprintf(cfg.run_dir, sizeof cfg.run_dir, "%s", out);
    if (cfg.steps < 1 || cfg.threads < 1) return fprintf(stderr, "craft finetune: --steps and --threads must be >= 1\n"), 2;
    if (show_config) {
        config_print_help(stdout, sch, &cfg);
        return 0;
    }
    Dist d;
    if (dist_init(&d, NULL, NULL, &e)) return fprintf(stderr, "craft finetune: %s\n", e.msg), 1;
    FtReport rep;
    rc = finetune_run_dist(&cfg, &d, resume, quiet || !isatty(2) || !dist_is_root(&d) ? NULL : ft_progress, NULL, &rep, &e);
    render_shutdown();
    if (rc && d.size > 1) {
        char msg[sizeof e.msg + 32];
        snprintf(msg, sizeof msg, "craft finetune: %s", e.msg);
        dist_abort(&d, msg); /* the other ranks may wait on this one: stop them all */
    }
    int root = dist_is_root(&d);
    dist_finalize(&d);
    if (rc) return fprintf(stderr, "craft finetune: %s\n", e.msg), 1;
    if (!root) return 0;
    printf("craft finetune: %s, %d iterations, %ld simulator steps in %.1f s -> %s\n", ft_method_name((FtMethod)cfg.method),
           rep.iterations, rep.sim_steps, rep.wall_s, rep.final_path);
    return 0;
}
