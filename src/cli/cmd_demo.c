/* `craft demo` — the main job on built-in defaults (`make run`): a short CRAFT fine-tuning of the
 * shipped small pre-trained policy, then closed-loop evaluation of the policy before and after on a
 * route subset (one val220 route per scenario type), printed as a before/after table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "craft/b2d_metrics.h"
#include "craft/eval.h"
#include "craft/finetune.h"
#include "craft/render.h"
#include "opts.h"
#include "wallclock.h"

static void demo_progress(const FtProgress *p, void *ctx) {
    (void)ctx;
    fprintf(stderr, "\r[demo] fine-tuning: iteration %d, %ld/%ld simulator steps, return %.3f   ", p->iter, p->sim_steps,
            p->budget, p->mean_return);
    if (p->sim_steps >= p->budget) fputc('\n', stderr);
}

static int evaluate(const char *ckpt, const RouteSet *rs, int threads, B2dSummary *out, Err *e) {
    EvalConfig ec = eval_default_config();
    if (agent_spec_parse(ckpt, &ec.agent, e)) return -1;
    ec.threads = threads;
    RouteResult *res = calloc((size_t)rs->n, sizeof *res);
    if (!res) return err_set(e, "demo: out of memory");
    int rc = eval_run(rs, &ec, res, e);
    if (!rc) b2d_summarize(res, rs->n, out);
    free(res);
    return rc;
}

static void row(const char *name, double a, double b) {
    printf("  %-22s %10.2f %10.2f %+10.2f\n", name, a, b, b - a);
}

int cmd_demo(int argc, char **argv) {
    const char *policy = "data/policies/vocab_small.safetensors", *out = "runs/demo", *data = "data/routes";
    int steps = 30000, threads = 2;
    uint64_t seed = 1;
    Opt opts[] = {
        {"policy", OPT_STR, &policy, "pre-trained checkpoint (default: the shipped small vocabulary policy)"},
        {"steps", OPT_INT, &steps, "fine-tuning budget in simulator steps (default 30000)"},
        {"threads", OPT_INT, &threads, "threads (default 2)"},
        {"seed", OPT_U64, &seed, "seed (default 1)"},
        {"out", OPT_STR, &out, "run directory (default runs/demo)"},
        {"data", OPT_STR, &data, "directory of the route files (default data/routes)"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft demo [options]\nFine-tunes the shipped policy with CRAFT and compares it before/after in closed loop.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0 || steps < 1 || threads < 1) return fprintf(stderr, "craft demo: %s\n", rc < 0 ? e.msg : "--steps and --threads must be >= 1"), 2;
    /* one val220 route per type: val220-000, -005, ... */
    RouteSet all, rs = {0};
    if (routeset_load(&all, "val220", data, &e)) return fprintf(stderr, "craft demo: %s\n", e.msg), 1;
    rs.routes = calloc(SCN_TYPE_COUNT, sizeof *rs.routes);
    for (int i = 0; i < all.n && rs.routes; i += 5) rs.routes[rs.n++] = all.routes[i];
    routeset_free(&all);
    FtConfig cfg;
    if (!rs.routes || finetune_defaults(&cfg, METHOD_CRAFT, &e)) return fprintf(stderr, "craft demo: %s\n", e.msg), 1;
    snprintf(cfg.policy, sizeof cfg.policy, "%s", policy);
    snprintf(cfg.run_dir, sizeof cfg.run_dir, "%s", out);
    cfg.steps = steps;
    cfg.threads = threads;
    cfg.seed = (int)seed;
    double t0 = now_s();
    B2dSummary before, after;
    FtReport rep;
    printf("craft demo: CRAFT fine-tuning of %s for %d simulator steps, then %d val220 routes before/after\n", policy,
           steps, rs.n);
    fflush(stdout);
    rc = evaluate(policy, &rs, threads, &before, &e);
    if (!rc) rc = finetune_run(&cfg, 0, isatty(2) ? demo_progress : NULL, NULL, &rep, &e);
    if (!rc) rc = evaluate(rep.final_path, &rs, threads, &after, &e);
    free(rs.routes);
    render_shutdown();
    if (rc) return fprintf(stderr, "craft demo: %s\n", e.msg), 1;
    printf("\n  %-22s %10s %10s %10s\n", "metric", "before", "after", "change");
    row("Driving Score", before.driving_score, after.driving_score);
    row("Success Rate (%)", before.success_rate, after.success_rate);
    row("Route completion (%)", before.route_completion, after.route_completion);
    row("Infraction penalty", before.penalty, after.penalty);
    row("Comfortness (%)", before.comfortness, after.comfortness);
    for (int a = 0; a < ABILITY_COUNT; a++) row(ability_name((Ability)a), before.ability[a], after.ability[a]);
    printf("\n  fine-tuning: %d iterations, %ld simulator steps; total %.1f s; run directory %s\n", rep.iterations,
           rep.sim_steps, now_s() - t0, out);
    return 0;
}
