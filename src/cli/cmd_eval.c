/* `craft eval`: run an agent (expert, weak, autopilot or a policy checkpoint) on a route set in
 * closed loop, show progress, write the Bench2Drive-style results JSON and print the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "commands.h"
#include "craft/dist.h"
#include "craft/eval.h"
#include "craft/results_json.h"
#include "opts.h"
#include "wallclock.h"

static void show_progress(const EvalProgress *p, void *ctx) {
    (void)ctx;
    double eta = p->done ? p->wall_s / p->done * (p->total - p->done) : 0.0;
    fprintf(stderr, "\r[eval] %d/%d routes  DS %.1f  elapsed %.0fs  ETA %.0fs   ", p->done, p->total,
            p->done ? p->ds_sum / p->done : 0.0, p->wall_s, eta);
    if (p->done == p->total) fputc('\n', stderr);
    fflush(stderr);
}

int cmd_eval(int argc, char **argv) {
    const char *policy = "expert", *routes = "eval220", *rules = "bench2drive", *out = "eval_results.json";
    const char *data = "data/routes";
    int threads = 2, no_bg = 0, quiet = 0, replan = 5;
    Opt opts[] = {
        {"policy", OPT_STR, &policy, "expert | weak | autopilot | CHECKPOINT.safetensors (default expert)"},
        {"routes", OPT_STR, &routes, "eval220 | val220 | train:N[:FIRST] | scenario:TYPE[:eval220|val220] | FILE.json | id,id,... (default eval220)"},
        {"rules", OPT_STR, &rules, "bench2drive (default) | leaderboard2"},
        {"threads", OPT_INT, &threads, "routes run in parallel (default 2)"},
        {"out", OPT_STR, &out, "results JSON (default eval_results.json)"},
        {"data", OPT_STR, &data, "directory of eval220.json / val220.json (default data/routes)"},
        {"replan", OPT_INT, &replan, "world steps between plans of a policy / the weak agent (default 5)"},
        {"no-background", OPT_FLAG, &no_bg, "no background traffic"},
        {"quiet", OPT_FLAG, &quiet, "no progress line"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft eval [options]\nRuns an agent on a route set in closed loop and writes the results JSON.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    EvalConfig cfg = eval_default_config();
    if (rc < 0 || agent_spec_parse(policy, &cfg.agent, &e) || rules_from_name(rules, &cfg.scenario.rules, &e)) {
        fprintf(stderr, "craft eval: %s\n", e.msg);
        return 2;
    }
    if (threads < 1 || threads > 256 || replan < 1 || replan > 100) {
        fprintf(stderr, "craft eval: --threads must be 1..256 and --replan 1..100\n");
        return 2;
    }
    cfg.agent.replan_every = replan;
    cfg.threads = threads;
    cfg.scenario.background = !no_bg;
    if (!quiet && isatty(2)) cfg.progress = show_progress;
    RouteSet rs;
    if (routeset_load(&rs, routes, data, &e)) {
        fprintf(stderr, "craft eval: %s\n", e.msg);
        return 2;
    }
    /* Under mpirun, route i runs on rank i mod N and rank 0 gathers the results in route order. */
    Dist d;
    if (dist_init(&d, NULL, NULL, &e)) {
        fprintf(stderr, "craft eval: %s\n", e.msg);
        routeset_free(&rs);
        return 1;
    }
    if (!dist_is_root(&d)) cfg.progress = NULL;
    RouteSet mine = {.n = 0, .routes = calloc((size_t)rs.n + 1, sizeof(RouteSpec))};
    RouteResult *res = calloc((size_t)rs.n + 1, sizeof *res), *part = calloc((size_t)rs.n + 1, sizeof *part);
    if (!res || !part || !mine.routes) {
        fprintf(stderr, "craft eval: out of memory\n");
        dist_abort(&d, "out of memory");
    }
    for (int i = d.rank; i < rs.n; i += d.size) mine.routes[mine.n++] = rs.routes[i];
    double t0 = now_s();
    rc = mine.n ? eval_run(&mine, &cfg, part, &e) : 0;
    if (rc) dist_abort(&d, e.msg); /* one failed route stops every rank */
    if (dist_gather_dealt(&d, part, rs.n, sizeof *part, res, &e)) dist_abort(&d, e.msg);
    double wall = now_s() - t0;
    if (dist_is_root(&d) && results_write(out, res, rs.n, cfg.scenario.rules, wall, &e)) rc = -1;
    if (!dist_is_root(&d)) {
    } else if (!rc) {
        B2dSummary sum;
        b2d_summarize(res, rs.n, &sum);
        printf("craft eval: %s on %s (%d routes, rules %s) in %.1f s -> %s\n", policy, routes, rs.n, rules, wall, out);
        results_print_summary(stdout, &sum, res, rs.n, cfg.scenario.rules);
    } else {
        fprintf(stderr, "craft eval: %s\n", e.msg);
    }
    free(res);
    free(part);
    free(mine.routes);
    routeset_free(&rs);
    dist_finalize(&d);
    return rc ? 1 : 0;
}
