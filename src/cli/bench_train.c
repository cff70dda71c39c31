/* `craft bench train`: the trainer's throughput, alone or under `mpirun -np N` — a short CRAFT run
 * with the default CRAFT config on 2 threads, fine-tuning the family's shipped pre-trained policy
 * (closed-loop episodes as in real use), or with --policy random a fresh policy of the family's
 * default config (--hidden / --vocab to shrink it), into a temporary run directory. Reports
 * updates/s and simulator steps/s of the whole job, the gradient bytes moved per update and rank 0's compute time per update (advantages, shard gradients,
 * optimiser), so scaling efficiency and docs/SCALING.md's model can be checked against a measurement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "craft/dist.h"
#include "craft/finetune.h"
#include "craft/policy.h"
#include "opts.h"
#include "wallclock.h"

static void remove_tree(const char *dir) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "craft bench train: could not remove %s\n", dir);
}

int bench_train_main(int argc, char **argv) {
    const char *family = "vocab", *policy = NULL;
    int steps = 12000, worlds = 8, horizon = 0, threads = 2, hidden = 0, vocab = 0, shards = 4, json = 0;
    Opt opts[] = {
        {"family", OPT_STR, &family, "policy family: vocab | hier | vla (default vocab)"},
        {"policy", OPT_STR, &policy, "checkpoint, or 'random' (default: data/policies/<family>_small.safetensors)"},
        {"steps", OPT_INT, &steps, "simulator-step budget (default 12000)"},
        {"worlds", OPT_INT, &worlds, "rollouts per iteration (default 8)"},
        {"horizon", OPT_INT, &horizon, "planning steps per rollout (default: the config's, 60)"},
        {"threads", OPT_INT, &threads, "OpenMP threads per rank (default 2)"},
        {"hidden", OPT_INT, &hidden, "encoder width (default: the family's)"},
        {"vocab", OPT_INT, &vocab, "vocab family: entries (default: the family's)"},
        {"shards", OPT_INT, &shards, "gradient shards per minibatch (default 4)"},
        {"json", OPT_FLAG, &json, "print one JSON object"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft bench train [options]   (also under mpirun -np N)", opts,
                        (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    PolicyFamily fam;
    if (rc < 0 || policy_family_from_name(family, &fam, &e)) return fprintf(stderr, "craft bench train: %s\n", e.msg), 2;
    if (steps < 1 || worlds < 1 || horizon < 0 || threads < 1 || shards < 1 || shards > 64)
        return fprintf(stderr, "craft bench train: --steps, --worlds, --threads >= 1, --horizon >= 0, --shards 1..64\n"), 2;
    char shipped[300];
    snprintf(shipped, sizeof shipped, "data/policies/%s_small.safetensors", family);
    int random_policy = policy && !strcmp(policy, "random");
    if (!policy) policy = shipped;
    Dist d;
    if (dist_init(&d, NULL, NULL, &e)) return fprintf(stderr, "craft bench train: %s\n", e.msg), 1;
    /* rank 0 makes the run directory (and a random policy); the others learn the path */
    char dir[256] = "";
    if (dist_is_root(&d)) {
        snprintf(dir, sizeof dir, "/tmp/craft_bench_train_XXXXXX");
        if (!mkdtemp(dir)) dist_abort(&d, "cannot create a temporary directory");
    }
    if (dist_is_root(&d) && random_policy) {
        PolicyConfig pc = policy_default_config(fam);
        if (hidden > 0) pc.hidden = hidden;
        if (vocab > 0) pc.vocab_size = vocab;
        Policy *p = policy_create(&pc, 1, &e);
        char path[300];
        snprintf(path, sizeof path, "%s/policy.safetensors", dir);
        if (!p || policy_save(p, path, &e)) dist_abort(&d, e.msg);
        policy_destroy(p);
    }
    if (dist_bcast(&d, dir, sizeof dir, 0, &e)) dist_abort(&d, e.msg);
    FtConfig cfg;
    if (finetune_defaults(&cfg, METHOD_CRAFT, &e)) dist_abort(&d, e.msg);
    if (random_policy) snprintf(cfg.policy, sizeof cfg.policy, "%s/policy.safetensors", dir);
    else snprintf(cfg.policy, sizeof cfg.policy, "%s", policy);
    snprintf(cfg.run_dir, sizeof cfg.run_dir, "%s/run", dir);
    cfg.steps = steps, cfg.worlds = worlds, cfg.threads = threads, cfg.grad_shards = shards;
    if (horizon > 0) cfg.horizon = horizon;
    cfg.checkpoint_every = 100000; /* one checkpoint at the end */
    FtReport rep;
    dist_barrier(&d);
    double t0 = now_s();
    if (finetune_run_dist(&cfg, &d, 0, NULL, NULL, &rep, &e)) dist_abort(&d, e.msg);
    dist_barrier(&d);
    double wall = now_s() - t0;
    if (dist_is_root(&d)) {
        remove_tree(dir);
        double ups = rep.updates / wall, sps = rep.sim_steps / wall, cpu = rep.compute_s / (rep.updates ? rep.updates : 1);
        double roll_iter = rep.rollout_s / (rep.iterations ? rep.iterations : 1);
        if (json)
            printf("{\"family\": \"%s\", \"ranks\": %d, \"threads\": %d, \"params\": %zu, \"iterations\": %d, \"updates\": %ld, "
                   "\"sim_steps\": %ld, \"wall_s\": %.3f, \"updates_per_s\": %.3f, \"sim_steps_per_s\": %.1f, "
                   "\"grad_bytes_per_update\": %.0f, \"batch_bytes_per_iter\": %.0f, \"compute_s_per_update\": %.6f, "
                   "\"rollout_s_per_iter\": %.4f, \"gather_s\": %.3f, \"reduce_s\": %.3f}\n",
                   family, d.size, threads, rep.params, rep.iterations, rep.updates, rep.sim_steps, wall, ups, sps,
                   rep.grad_bytes_per_update, rep.batch_bytes_per_iter, cpu, roll_iter, rep.gather_s, rep.reduce_s);
        else
            printf("bench train (%s, %zu params, %d ranks x %d threads): %d iterations, %ld updates, %ld sim steps in %.2f s\n"
                   "  %.2f updates/s, %.0f sim steps/s; per update %.4f s compute, %.0f gradient bytes moved; "
                   "rollout %.3f s/iter (rank 0), gather %.3f s, reduce %.3f s in all\n",
                   family, rep.params, d.size, threads, rep.iterations, rep.updates, rep.sim_steps, wall, ups, sps, cpu,
                   rep.grad_bytes_per_update, roll_iter, rep.gather_s, rep.reduce_s);
    }
    dist_finalize(&d);
    return 0;
}
