/* report — the comparison tables of CRAFT.md from a sweep's result files: one directory per policy
 * family holding <method>-seed<k>.json (results_json) → per method and seed a B2dSummary and the
 * per-route driving scores → markdown: mean ± 95% CI over seeds (Student t, n-1 dof) of DS, SR,
 * Efficiency, Comfortness and the five abilities; then the reference method (CRAFT) against every
 * other one as the paired per-route DS difference (routes matched by route_id, each route's score
 * averaged over seeds) with a percentile bootstrap CI over routes (fixed-seed Rng: deterministic).
 * Learning curves: <runs_dir>/<family>/<cell>-seed<k>/metrics.jsonl, one metric against an x key,
 * averaged over seeds per method, overlaid in one PNG. */
#ifndef CRAFT_REPORT_H
#define CRAFT_REPORT_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "craft/b2d_metrics.h"
#include "craft/criteria.h"
#include "craft/err.h"

#define REPORT_NAME_MAX 96
#define REPORT_BOOTSTRAP_RESAMPLES 10000
#define REPORT_BOOTSTRAP_SEED 0x5eedc0ffee2026ull

typedef struct {
    char route_id[ROUTE_NAME_MAX];
    double ds;
} ReportRoute;

typedef struct {
    int seed;
    B2dSummary summary;
    int n_routes;
    ReportRoute *routes;         /* in file order */
    int has_val;                 /* <method>-seed<k>.val.json beside it (the sweep's validation routes) */
    B2dSummary val;
} ReportRun;

typedef struct {
    char name[REPORT_NAME_MAX];  /* cell name: "craft", "craft+residual=0" */
    int n_runs;
    ReportRun *runs;             /* by increasing seed */
} ReportMethod;

typedef struct {
    char family[64];             /* the directory's base name */
    char dir[512];
    int n_methods;
    ReportMethod *methods;       /* il, ppo, grpo-cl, cf, craft first, then the others by name */
} ReportFamily;

typedef struct {
    int n_families;
    ReportFamily *families;      /* in the order given */
} Report;

/* "craft+residual=0-seed12.json" with suffix ".json" → method "craft+residual=0", seed 12; 1 if the
 * name has that form (the last "-seed<digits>" right before the suffix), else 0. */
int report_parse_name(const char *name, const char *suffix, char *method, size_t size, int *seed);

/* Reads every <method>-seed<k>.json of each directory (sorted, so the result does not depend on the
 * directory's order). Errors: a missing directory, one without result files, a malformed file
 * (named, with results_read's message), two directories of the same family name. */
int report_load(Report *r, const char *const *dirs, int n_dirs, Err *e);
void report_free(Report *r);

/* The p-quantile of Student's t with dof degrees of freedom (0 < p < 1, dof >= 1). */
double report_t_quantile(double p, int dof);
/* Mean and 95% CI half-width t_{0.975, k-1} · s / sqrt(k) of the k finite values of x (s: sample
 * std, k-1 denominator). Returns k; *half is NaN when k < 2 and *mean NaN when k = 0. */
int report_mean_ci(const double *x, int n, double *mean, double *half);

/* Paired per-route differences a − b: each route's DS averaged over a method's runs (a route may be
 * missing from some runs), routes matched by route_id. *diff (malloc'ed) holds one value per route in
 * both, sorted by route_id; *unmatched counts routes in only one of them. -1 if none match. */
int report_paired_diff(const ReportMethod *a, const ReportMethod *b, double **diff, int *n, int *unmatched, Err *e);
/* Percentile bootstrap CI (linear interpolation between order statistics) of the mean of d[0..n):
 * `resamples` resamples of n values drawn with replacement by an Rng seeded with `seed`. */
int report_bootstrap_ci(const double *d, int n, int resamples, uint64_t seed, double *mean, double *lo, double *hi,
                        Err *e);

/* The whole report as markdown (malloc'ed). ref: the method compared with all others ("craft").
 * Per family: the table, the paired comparisons, the validation-route DS and SR where .val.json
 * files exist, and, with runs_dir (may be NULL), report_diagnostics of the training runs. */
char *report_markdown(const Report *r, const char *ref, const char *runs_dir, Err *e);

/* Training diagnostics of one family's runs, <runs_dir>/<family>/<method>-seed<k>/metrics.jsonl, as
 * a markdown table (one row per method with logs; each figure is the mean over its seeds): iterations,
 * simulator steps, wall time, proxy–residual correlation (mean over iterations where finite),
 * KL(student ‖ teacher) and clip fraction at the last iteration, and interaction events per 1,000
 * simulator steps (collisions, near misses, red lights + stop signs, off-road + wrong-way, blocked,
 * completed routes). Methods without logs (il) are left out; no logs at all writes nothing. */
int report_diagnostics(FILE *f, const ReportFamily *fam, const char *runs_dir, Err *e);

/* Learning curves averaged over seeds: per (family, method) the runs' logs are aligned by line
 * (iteration) and cut to the shortest run; x and y are the means over runs (y over the runs where
 * the metric is finite, NaN where none is). */
typedef struct {
    int n;
    char (*names)[REPORT_NAME_MAX + 64];   /* "craft" or, with several families, "vocab/craft" */
    int *len, *n_runs;
    double **x, **y;
} ReportCurves;
int report_curves_load(const Report *r, const char *runs_dir, const char *metric, const char *x_key, ReportCurves *out,
                       Err *e);
void report_curves_free(ReportCurves *c);
int report_curves_png(const Report *r, const char *runs_dir, const char *metric, const char *x_key, const char *png,
                      Err *e);

#endif
