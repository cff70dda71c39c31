/* `craft report DIR...`: the comparison tables of a sweep (one result directory per family) as
 * markdown, and optionally the learning curves of its runs overlaid in one PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "craft/render.h"
#include "craft/report.h"
#include "opts.h"
#include "craft/atomic_file.h"

int cmd_report(int argc, char **argv) {
    const char *out = NULL, *ref = "craft", *curves = NULL, *png = NULL, *metric = "mean_return", *x_key = "sim_steps",
               *runs = NULL;
    Opt opts[] = {
        {"out", OPT_STR, &out, "also write the markdown to this file"},
        {"ref", OPT_STR, &ref, "method compared with every other one (default craft)"},
        {"runs", OPT_STR, &runs, "RUNS_DIR: add the training diagnostics of RUNS_DIR/<family>/<cell>-seed<k>/metrics.jsonl"},
        {"curves", OPT_STR, &curves, "RUNS_DIR: plot learning curves from RUNS_DIR/<family>/<cell>-seed<k>/metrics.jsonl"},
        {"out-png", OPT_STR, &png, "PNG file of the curves (with --curves)"},
        {"metric", OPT_STR, &metric, "y key of the curves (default mean_return)"},
        {"x", OPT_STR, &x_key, "x key of the curves (default sim_steps)"},
    };
    enum { MAX_DIRS = 16 };
    char *dirs[MAX_DIRS];
    int ndirs = 0;
    Err e = {{0}};
    int rc = opts_parse("usage: craft report RESULT_DIR... [options]\n"
                        "Tables of mean ± 95% CI over seeds per method and paired bootstrap comparisons against --ref,\n"
                        "from <method>-seed<k>.json files (one directory per policy family, e.g. results/finetune/vocab).",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, dirs, &ndirs, MAX_DIRS, &e);
    if (rc == 1) return 0;
    if (rc < 0) return fprintf(stderr, "craft report: %s\n", e.msg), 2;
    if (ndirs < 1) return fprintf(stderr, "craft report: give at least one result directory\n"), 2;
    if (!curves != !png) return fprintf(stderr, "craft report: --curves RUNS_DIR and --out-png FILE go together\n"), 2;
    Report r;
    if (report_load(&r, (const char *const *)dirs, ndirs, &e)) return fprintf(stderr, "craft report: %s\n", e.msg), 1;
    char *md = report_markdown(&r, ref, runs ? runs : curves, &e);
    rc = md ? 0 : -1;
    if (md) fputs(md, stdout);
    if (md && out) rc = atomic_write_text(out, md, &e);
    if (!rc && curves) {
        rc = report_curves_png(&r, curves, metric, x_key, png, &e);
        render_shutdown();
        if (!rc) fprintf(stderr, "craft report: curves of %s -> %s\n", metric, png);
    }
    if (rc) fprintf(stderr, "craft report: %s\n", e.msg);
    free(md);
    report_free(&r);
    return rc ? 1 : 0;
}
