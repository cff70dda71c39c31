/* `craft sweep plan.json`: the results grid (family × method × seed) of CRAFT and its baselines —
 * train or resume each cell, evaluate it, write its results JSON; safe to kill and rerun. Under
 * `mpirun -np N` rank r runs the cells i (plan order) with i mod N == r; rank 0 prints the totals. */
#include <stdio.h>
#include "commands.h"
#include "craft/dist.h"
#include "craft/sweep.h"
#include "opts.h"

int cmd_sweep(int argc, char **argv) {
    const char *only = NULL;
    int dry_run = 0, quiet = 0;
    Opt opts[] = {
        {"dry-run", OPT_FLAG, &dry_run, "list the cells and their status (done, eval, resume, train, retrain); run nothing"},
        {"only", OPT_STR, &only, "comma list of FAMILY | FAMILY/CELL | FAMILY/CELL-seedK (FAMILY may be *)"},
        {"quiet", OPT_FLAG, &quiet, "no progress lines"},
    };
    char *pos[2];
    int npos = 0;
    Err e = {{0}};
    int rc = opts_parse("usage: craft sweep PLAN.json [options]\n"
                        "Trains and evaluates every family × method × seed cell of the plan (see include/craft/sweep.h);\n"
                        "cells whose results already record their configuration are skipped, unfinished runs resume.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, pos, &npos, 2, &e);
    if (rc == 1) return 0;
    if (rc < 0) return fprintf(stderr, "craft sweep: %s\n", e.msg), 2;
    if (npos != 1) return fprintf(stderr, "craft sweep: expected one plan file (craft sweep PLAN.json)\n"), 2;
    SweepTrainer tr;
    if (sweep_trainer_default(&tr, &e)) return fprintf(stderr, "craft sweep: %s\n", e.msg), 1;
    SweepPlan plan;
    if (sweep_plan_load(&plan, pos[0], &tr, &e)) return fprintf(stderr, "craft sweep: %s\n", e.msg), 2;
    Dist d;
    if (dist_init(&d, NULL, NULL, &e)) return fprintf(stderr, "craft sweep: %s\n", e.msg), 1;
    int root = dist_is_root(&d);
    SweepOptions o = {.dry_run = dry_run, .only = only, .log = quiet && !dry_run ? NULL : stdout,
                      .rank = dry_run ? 0 : d.rank, .ranks = dry_run ? 1 : d.size};
    SweepSummary s = {0};
    rc = dry_run && !root ? 0 : sweep_run(&plan, &o, &s, &e); /* a dry run lists every cell once */
    if (rc && d.size > 1) {
        char msg[sizeof e.msg + 64];
        snprintf(msg, sizeof msg, "craft sweep: %s (run again to continue)", e.msg);
        dist_abort(&d, msg);
    }
    if (!dry_run && d.size > 1) { /* totals over the ranks */
        int *fields[] = {&s.selected, &s.skipped, &s.ran, &s.copied};
        for (int i = 0; i < 4; i++) {
            double v = *fields[i];
            if (dist_sum_double(&d, &v, &e)) dist_abort(&d, e.msg);
            *fields[i] = (int)v;
        }
    }
    dist_finalize(&d);
    if (rc) fprintf(stderr, "craft sweep: %s (run again to continue)\n", e.msg);
    else if (root && dry_run) printf("craft sweep: %d cells, %d selected, %d done\n", s.cells, s.selected, s.skipped);
    else if (root) printf("craft sweep: %d cells, %d selected: %d already done, %d run, %d copied -> %s\n", s.cells, s.selected,
                s.skipped, s.ran, s.copied, plan.out_dir);
    if (!rc && root && s.selected == 0) fprintf(stderr, "craft sweep: --only '%s' matches no cell\n", only ? only : "");
    sweep_plan_free(&plan);
    return rc ? 1 : 0;
}
