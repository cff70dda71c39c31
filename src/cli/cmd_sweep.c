/* `craft sweep plan.json`: the results grid (family × method × seed) of CRAFT and its baselines —
 * train or resume each cell, evaluate it, write its results JSON; safe to kill and rerun. */
#include <stdio.h>
#include "commands.h"
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
    SweepOptions o = {.dry_run = dry_run, .only = only, .log = quiet && !dry_run ? NULL : stdout};
    SweepSummary s;
    rc = sweep_run(&plan, &o, &s, &e);
    if (rc) fprintf(stderr, "craft sweep: %s (run again to continue)\n", e.msg);
    else if (dry_run) printf("craft sweep: %d cells, %d selected, %d done\n", s.cells, s.selected, s.skipped);
    else printf("craft sweep: %d cells, %d selected: %d already done, %d run, %d copied -> %s\n", s.cells, s.selected,
                s.skipped, s.ran, s.copied, plan.out_dir);
    if (!rc && s.selected == 0) fprintf(stderr, "craft sweep: --only '%s' matches no cell\n", only ? only : "");
    sweep_plan_free(&plan);
    return rc ? 1 : 0;
}
