/* report — statistics and markdown over a sweep's result files (include/craft/report.h). Everything
 * is sorted before it is summed or resampled (files by name, routes by id), and the bootstrap draws
 * from a fixed-seed Rng, so the same files always give the same bytes of markdown. */
#include "craft/report.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "craft/plot.h"
#include "craft/results_json.h"
#include "craft/rng.h"

/* ---- Names and loading ---------------------------------------------------------------------- */
int report_parse_name(const char *name, const char *suffix, char *method, size_t size, int *seed) {
    size_t n = strlen(name), sl = strlen(suffix);
    if (n <= sl || strcmp(name + n - sl, suffix) != 0) return 0;
    size_t end = n - sl, d = end;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9') d--;
    if (d == end || end - d > 9 || d < 6 || strncmp(name + d - 5, "-seed", 5) != 0) return 0;
    size_t ml = d - 5;
    if (ml == 0 || ml >= size) return 0;
    memcpy(method, name, ml);
    method[ml] = '\0';
    *seed = atoi(name + d);
    return 1;
}

static const char *const CANONICAL[] = {"il", "ppo", "grpo-cl", "cf", "craft"};

static int method_rank(const char *name) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, CANONICAL[i])) return i;
    return 5;
}

static int cmp_method(const void *a, const void *b) {
    const ReportMethod *x = a, *y = b;
    int rx = method_rank(x->name), ry = method_rank(y->name);
    return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static int cmp_run(const void *a, const void *b) {
    const ReportRun *x = a, *y = b;
    return (x->seed > y->seed) - (x->seed < y->seed);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names of the entries of dir matching <method>-seed<k><suffix>; -1 if dir cannot be read. */
static int list_matching(const char *dir, const char *suffix, char ***names, int *n, Err *e) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return err_set(e, "report: cannot open directory %s: %s", dir, strerror(errno));
    int cap = 0;
    struct dirent *de;
    char method[REPORT_NAME_MAX];
    int seed;
    while ((de = readdir(d))) {
        if (!report_parse_name(de->d_name, suffix, method, sizeof method, &seed)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            char **grown = realloc(*names, sizeof **names * (size_t)cap);
            if (!grown) break;
            *names = grown;
        }
        if (!((*names)[*n] = strdup(de->d_name))) break;
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return 0;
}

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static ReportMethod *find_or_add_method(ReportFamily *f, const char *name, int cap) {
    for (int i = 0; i < f->n_methods; i++)
        if (!strcmp(f->methods[i].name, name)) return &f->methods[i];
    if (f->n_methods == cap) return NULL;
    ReportMethod *m = &f->methods[f->n_methods++];
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static int load_run(ReportRun *run, const char *path, Err *e) {
    RouteResult *rr;
    int n;
    RuleSet rules;
    if (results_read(path, &rr, &n, &rules, e)) return -1;
    if (n == 0) return results_free(rr), err_set(e, "report: %s holds no routes", path);
    b2d_summarize(rr, n, &run->summary);
    run->routes = malloc(sizeof *run->routes * (size_t)n);
    if (!run->routes) return results_free(rr), err_set(e, "report: out of memory");
    for (int i = 0; i < n; i++) {
        snprintf(run->routes[i].route_id, sizeof run->routes[i].route_id, "%s", rr[i].route_id);
        run->routes[i].ds = rr[i].driving_score;
    }
    run->n_routes = n;
    results_free(rr);
    return 0;
}

/* The validation twin of a result file (x-seedk.json → x-seedk.val.json), if the sweep wrote one. */
static int load_val(ReportRun *run, const char *path, Err *e) {
    char vpath[1100];
    size_t l = strlen(path);
    snprintf(vpath, sizeof vpath, "%.*s.val.json", (int)(l - 5), path);
    struct stat st;
    if (stat(vpath, &st) != 0) return 0;
    RouteResult *rr;
    int n;
    RuleSet rules;
    Err re = {{0}};
    if (results_read(vpath, &rr, &n, &rules, &re)) return err_set(e, "report: %s", re.msg);
    if (n > 0) {
        b2d_summarize(rr, n, &run->val);
        run->has_val = 1;
    }
    results_free(rr);
    return 0;
}

static int load_family(ReportFamily *f, const char *dir, Err *e) {
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    char base[512];
    snprintf(base, sizeof base, "%s", dir);
    for (size_t l = strlen(base); l > 1 && base[l - 1] == '/'; l--) base[l - 1] = '\0';
    const char *slash = strrchr(base, '/');
    if (snprintf(f->family, sizeof f->family, "%s", slash ? slash + 1 : base) >= (int)sizeof f->family)
        return err_set(e, "report: %s: family directory name too long", dir);
    char **names;
    int n;
    if (list_matching(dir, ".json", &names, &n, e)) return -1;
    if (n == 0) return err_set(e, "report: %s holds no <method>-seed<k>.json result files", dir);
    int rc = 0;
    f->methods = calloc((size_t)n, sizeof *f->methods);
    for (int i = 0; i < n && !rc && f->methods; i++) {
        char method[REPORT_NAME_MAX], path[1024];
        int seed;
        report_parse_name(names[i], ".json", method, sizeof method, &seed);
        ReportMethod *m = find_or_add_method(f, method, n);
        if (!m->runs && !(m->runs = calloc((size_t)n, sizeof *m->runs))) break;
        ReportRun *run = &m->runs[m->n_runs];
        run->seed = seed;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        Err re = {{0}};
        if (load_run(run, path, &re)) {
            rc = err_set(e, "report: %s", re.msg);
        } else {
            m->n_runs++;
            rc = load_val(run, path, e);
        }
    }
    if (!f->methods || (!rc && f->n_methods == 0)) rc = err_set(e, "report: out of memory");
    for (int i = 0; i < f->n_methods && !rc; i++) {
        ReportMethod *m = &f->methods[i];
        if (!m->runs) rc = err_set(e, "report: out of memory");
        else qsort(m->runs, (size_t)m->n_runs, sizeof *m->runs, cmp_run);
        for (int k = 1; k < m->n_runs && !rc; k++)
            if (m->runs[k].seed == m->runs[k - 1].seed)   /* "-seed1" and "-seed01" */
                rc = err_set(e, "report: %s has two files for %s seed %d", dir, m->name, m->runs[k].seed);
    }
    if (!rc) qsort(f->methods, (size_t)f->n_methods, sizeof *f->methods, cmp_method);
    free_names(names, n);
    return rc;
}

int report_load(Report *r, const char *const *dirs, int n_dirs, Err *e) {
    memset(r, 0, sizeof *r);
    if (n_dirs < 1) return err_set(e, "report: no result directory given");
    r->families = calloc((size_t)n_dirs, sizeof *r->families);
    if (!r->families) return err_set(e, "report: out of memory");
    for (int i = 0; i < n_dirs; i++) {
        r->n_families++;
        if (load_family(&r->families[i], dirs[i], e)) return report_free(r), -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(r->families[j].family, r->families[i].family)) {
                err_set(e, "report: %s and %s are both family '%s' (one directory per family)", dirs[j], dirs[i],
                        r->families[i].family);
                return report_free(r), -1;
            }
    }
    return 0;
}

void report_free(Report *r) {
    for (int i = 0; i < r->n_families; i++) {
        ReportFamily *f = &r->families[i];
        for (int k = 0; f->methods && k < f->n_methods; k++) {
            for (int s = 0; s < f->methods[k].n_runs; s++) free(f->methods[k].runs[s].routes);
            free(f->methods[k].runs);
        }
        free(f->methods);
    }
    free(r->families);
    memset(r, 0, sizeof *r);
}

/* ---- Statistics ----------------------------------------------------------------------------- */
/* Continued fraction of the regularised incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        for (int odd = 0; odd < 2; odd++) {
            double num = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                             : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1.0 + num * d;
            if (fabs(d) < tiny) d = tiny;
            c = 1.0 + num / c;
            if (fabs(c) < tiny) c = tiny;
            d = 1.0 / d;
            h *= d * c;
            if (odd && fabs(d * c - 1.0) < 1e-15) return h;
        }
    }
    return h;
}

static double beta_reg(double a, double b, double x) {
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

static double t_cdf(double t, int dof) {
    double v = dof, tail = 0.5 * beta_reg(0.5 * v, 0.5, v / (v + t * t));
    return t >= 0.0 ? 1.0 - tail : tail;
}

double report_t_quantile(double p, int dof) {
    if (!(p > 0.0 && p < 1.0) || dof < 1) return NAN;
    if (p == 0.5) return 0.0;
    if (p < 0.5) return -report_t_quantile(1.0 - p, dof);
    double lo = 0.0, hi = 1.0;
    while (t_cdf(hi, dof) < p && hi < 1e300) lo = hi, hi *= 2.0;
    for (int i = 0; i < 300 && hi - lo > 1e-13 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (t_cdf(mid, dof) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

int report_mean_ci(const double *x, int n, double *mean, double *half) {
    int k = 0;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) sum += x[i], k++;
    *mean = k ? sum / k : NAN;
    *half = NAN;
    if (k < 2) return k;
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *half = report_t_quantile(0.975, k - 1) * sqrt(ss / (k - 1)) / sqrt((double)k);
    return k;
}

static int cmp_route(const void *a, const void *b) {
    return strcmp(((const ReportRoute *)a)->route_id, ((const ReportRoute *)b)->route_id);
}

/* Per-route means over a method's runs, sorted by route id. */
static int route_means(const ReportMethod *m, ReportRoute **out, int *n) {
    int total = 0;
    for (int s = 0; s < m->n_runs; s++) total += m->runs[s].n_routes;
    ReportRoute *all = malloc(sizeof *all * (size_t)(total + 1));
    if (!all) return -1;
    int k = 0;
    for (int s = 0; s < m->n_runs; s++)
        for (int i = 0; i < m->runs[s].n_routes; i++) all[k++] = m->runs[s].routes[i];
    qsort(all, (size_t)total, sizeof *all, cmp_route);
    int u = 0;
    for (int i = 0; i < total;) {
        int j = i;
        double sum = 0.0;
        while (j < total && !strcmp(all[j].route_id, all[i].route_id)) sum += all[j++].ds;
        all[u] = all[i];
        all[u++].ds = sum / (j - i);
        i = j;
    }
    *out = all;
    *n = u;
    return 0;
}

int report_paired_diff(const ReportMethod *a, const ReportMethod *b, double **diff, int *n, int *unmatched, Err *e) {
    *diff = NULL;
    *n = *unmatched = 0;
    ReportRoute *ra = NULL, *rb = NULL;
    int na = 0, nb = 0;
    if (route_means(a, &ra, &na) || route_means(b, &rb, &nb)) {
        free(ra);
        return err_set(e, "report: out of memory");
    }
    double *d = malloc(sizeof *d * (size_t)(na + 1));
    int i = 0, j = 0, k = 0;
    while (d && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(ra[i].route_id, rb[j].route_id);
        if (c == 0) d[k++] = ra[i++].ds - rb[j++].ds;
        else if (c < 0) i++, (*unmatched)++;
        else j++, (*unmatched)++;
    }
    free(ra);
    free(rb);
    if (!d) return err_set(e, "report: out of memory");
    if (k == 0) {
        free(d);
        return err_set(e, "report: %s and %s have no route_id in common", a->name, b->name);
    }
    *diff = d;
    *n = k;
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, int n, double q) {
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]);
}

int report_bootstrap_ci(const double *d, int n, int resamples, uint64_t seed, double *mean, double *lo, double *hi,
                        Err *e) {
    if (n < 1 || resamples < 2) return err_set(e, "report: bootstrap needs at least one value and two resamples");
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += d[i];
    *mean = sum / n;
    double *means = malloc(sizeof *means * (size_t)resamples);
    if (!means) return err_set(e, "report: out of memory");
    Rng rng;
    rng_seed(&rng, seed, 0);
    for (int b = 0; b < resamples; b++) {
        double s = 0.0;
        for (int i = 0; i < n; i++) s += d[rng_below(&rng, (uint32_t)n)];
        means[b] = s / n;
    }
    qsort(means, (size_t)resamples, sizeof *means, cmp_double);
    *lo = percentile(means, resamples, 0.025);
    *hi = percentile(means, resamples, 0.975);
    free(means);
    return 0;
}

/* ---- Markdown ------------------------------------------------------------------------------- */
#define N_METRICS (4 + ABILITY_COUNT)

static double metric(const B2dSummary *s, int k) {
    switch (k) {
    case 0: return s->driving_score;
    case 1: return s->success_rate;
    case 2: return s->efficiency;
    case 3: return s->comfortness;
    default: return s->ability[k - 4];
    }
}

static void put_stat(FILE *f, const double *x, int n) {
    double mean, half;
    int k = report_mean_ci(x, n, &mean, &half);
    if (k == 0) fprintf(f, " n/a |");
    else if (k == 1) fprintf(f, " %.2f (n=1) |", mean);
    else if (k < n) fprintf(f, " %.2f ± %.2f (n=%d) |", mean, half, k);
    else fprintf(f, " %.2f ± %.2f |", mean, half);
}

static int put_comparisons(FILE *f, const ReportFamily *fam, const char *ref, Err *e) {
    const ReportMethod *r = NULL;
    for (int i = 0; i < fam->n_methods; i++)
        if (!strcmp(fam->methods[i].name, ref)) r = &fam->methods[i];
    if (!r) return fprintf(f, "\nNo '%s' results in %s: no paired comparison.\n", ref, fam->dir), 0;
    if (fam->n_methods == 1) return 0;
    fprintf(f, "\nPaired per-route difference in DS, %s − other (each route's DS averaged over seeds, routes matched "
               "by route_id; 95%% CI: percentile bootstrap, %d resamples of routes):\n\n", ref, REPORT_BOOTSTRAP_RESAMPLES);
    fprintf(f, "| comparison | routes | ΔDS | 95%% CI |\n|---|---:|---:|---|\n");
    for (int i = 0; i < fam->n_methods; i++) {
        const ReportMethod *m = &fam->methods[i];
        if (m == r) continue;
        double *d, mean, lo, hi;
        int n, unmatched;
        if (report_paired_diff(r, m, &d, &n, &unmatched, e)) return -1;
        int rc = report_bootstrap_ci(d, n, REPORT_BOOTSTRAP_RESAMPLES, REPORT_BOOTSTRAP_SEED, &mean, &lo, &hi, e);
        free(d);
        if (rc) return -1;
        fprintf(f, "| %s − %s | %d", ref, m->name, n);
        if (unmatched) fprintf(f, " (%d unmatched left out)", unmatched);
        fprintf(f, " | %+.2f | [%+.2f, %+.2f]%s |\n", mean, lo, hi, lo > 0.0 || hi < 0.0 ? " *" : "");
    }
    return 0;
}

/* DS and SR on the validation routes, for the methods whose runs have them. */
static void put_validation(FILE *f, const ReportFamily *fam) {
    int any = 0;
    for (int i = 0; i < fam->n_methods; i++)
        for (int s = 0; s < fam->methods[i].n_runs; s++) any |= fam->methods[i].runs[s].has_val;
    if (!any) return;
    fprintf(f, "\nValidation routes (the sweep's val_routes, `*.val.json`): the split for every choice.\n\n"
               "| method | seeds | DS | SR |\n|---|---:|---:|---:|\n");
    for (int i = 0; i < fam->n_methods; i++) {
        const ReportMethod *m = &fam->methods[i];
        double ds[64], sr[64];
        int n = 0;
        for (int s = 0; s < m->n_runs && n < 64; s++)
            if (m->runs[s].has_val) ds[n] = m->runs[s].val.driving_score, sr[n++] = m->runs[s].val.success_rate;
        if (!n) continue;
        fprintf(f, "| %s | %d |", m->name, n);
        put_stat(f, ds, n);
        put_stat(f, sr, n);
        fputc('\n', f);
    }
}

char *report_markdown(const Report *r, const char *ref, const char *runs_dir, Err *e) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return err_set(e, "report: out of memory"), NULL;
    static const char *const HEAD[4] = {"DS", "SR", "Efficiency", "Comfortness"};
    fprintf(f, "# Results\n\nMean ± 95%% CI over seeds (Student t, n−1 dof; one seed: the value and n=1). All figures "
               "in %%: DS driving score, SR success rate, Comfortness as Bench2Drive computes it. * : the CI excludes 0.\n");
    int rc = 0;
    for (int fi = 0; fi < r->n_families && !rc; fi++) {
        const ReportFamily *fam = &r->families[fi];
        fprintf(f, "\n## %s\n\n| method | seeds |", fam->family);
        for (int k = 0; k < N_METRICS; k++) fprintf(f, " %s |", k < 4 ? HEAD[k] : ability_name((Ability)(k - 4)));
        fprintf(f, "\n|---|---:|");
        for (int k = 0; k < N_METRICS; k++) fprintf(f, "---:|");
        fputc('\n', f);
        for (int mi = 0; mi < fam->n_methods; mi++) {
            const ReportMethod *m = &fam->methods[mi];
            fprintf(f, "| %s | %d |", m->name, m->n_runs);
            double x[64];
            for (int k = 0; k < N_METRICS; k++) {
                int n = m->n_runs < 64 ? m->n_runs : 64;
                for (int s = 0; s < n; s++) x[s] = metric(&m->runs[s].summary, k);
                put_stat(f, x, n);
            }
            fputc('\n', f);
        }
        rc = put_comparisons(f, fam, ref, e);
        if (!rc) put_validation(f, fam);
        if (!rc && runs_dir) rc = report_diagnostics(f, fam, runs_dir, e);
    }
    fclose(f);
    if (rc) return free(buf), NULL;
    return buf;
}

/* ---- Learning curves ------------------------------------------------------------------------ */
void report_curves_free(ReportCurves *c) {
    for (int i = 0; i < c->n; i++) free(c->x[i]), free(c->y[i]);
    free(c->x), free(c->y), free(c->names), free(c->len), free(c->n_runs);
    memset(c, 0, sizeof *c);
}

/* One (family, method): the mean curve over its runs' logs. */
static int mean_curve(const char *fdir, const char *method, char **names, int n_names, const char *metric,
                      const char *x_key, double **xo, double **yo, int *len, int *runs, Err *e) {
    PlotData d[64];
    int nd = 0, rc = 0, minlen = 0;
    for (int i = 0; i < n_names && nd < 64 && !rc; i++) {
        char m[REPORT_NAME_MAX], path[1024];
        int seed;
        report_parse_name(names[i], "", m, sizeof m, &seed);
        if (strcmp(m, method)) continue;
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s/metrics.jsonl", fdir, names[i]) >= (int)sizeof path || stat(path, &st) != 0)
            continue;   /* a run dir that has not logged yet */
        Err pe = {{0}};
        if (plot_jsonl_load(path, x_key, &metric, 1, &d[nd], &pe)) rc = err_set(e, "report: %s", pe.msg);
        else minlen = nd == 0 || d[nd].n < minlen ? d[nd].n : minlen, nd++;
    }
    *xo = *yo = NULL;
    *len = *runs = 0;
    if (!rc && nd > 0 && minlen > 0) {
        *xo = malloc(sizeof **xo * (size_t)minlen);
        *yo = malloc(sizeof **yo * (size_t)minlen);
        if (!*xo || !*yo) rc = err_set(e, "report: out of memory");
        for (int i = 0; i < minlen && !rc; i++) {
            double sx = 0.0, sy = 0.0;
            int ky = 0;
            for (int k = 0; k < nd; k++) {
                sx += d[k].x[i];
                if (isfinite(d[k].y[0][i])) sy += d[k].y[0][i], ky++;
            }
            (*xo)[i] = sx / nd;
            (*yo)[i] = ky ? sy / ky : NAN;
        }
        int finite = 0;
        for (int i = 0; i < minlen && !rc; i++) finite |= isfinite((*yo)[i]);
        *len = minlen;
        *runs = nd;
        if (!finite || rc) {   /* a metric the method never logs gives no curve */
            free(*xo), free(*yo);
            *xo = *yo = NULL;
            *len = *runs = 0;
        }
    }
    for (int k = 0; k < nd; k++) plot_data_free(&d[k]);
    return rc;
}

int report_curves_load(const Report *r, const char *runs_dir, const char *metric, const char *x_key, ReportCurves *out,
                       Err *e) {
    memset(out, 0, sizeof *out);
    int cap = 0;
    for (int fi = 0; fi < r->n_families; fi++) cap += r->families[fi].n_methods;
    out->names = calloc((size_t)cap + 1, sizeof *out->names);
    out->len = calloc((size_t)cap + 1, sizeof *out->len);
    out->n_runs = calloc((size_t)cap + 1, sizeof *out->n_runs);
    out->x = calloc((size_t)cap + 1, sizeof *out->x);
    out->y = calloc((size_t)cap + 1, sizeof *out->y);
    if (!out->names || !out->len || !out->n_runs || !out->x || !out->y) return report_curves_free(out), err_set(e, "report: out of memory");
    for (int fi = 0; fi < r->n_families; fi++) {
        const ReportFamily *fam = &r->families[fi];
        char fdir[1024];
        snprintf(fdir, sizeof fdir, "%s/%s", runs_dir, fam->family);
        char **names;
        int n;
        Err le = {{0}};
        if (list_matching(fdir, "", &names, &n, &le)) continue;   /* a family that was not trained (il only) */
        int rc = 0;
        for (int mi = 0; mi < fam->n_methods && !rc; mi++) {
            int k = out->n;
            rc = mean_curve(fdir, fam->methods[mi].name, names, n, metric, x_key, &out->x[k], &out->y[k], &out->len[k],
                            &out->n_runs[k], e);
            if (!rc && out->len[k] > 0) {
                if (r->n_families > 1) snprintf(out->names[k], sizeof out->names[k], "%s/%s", fam->family, fam->methods[mi].name);
                else snprintf(out->names[k], sizeof out->names[k], "%s", fam->methods[mi].name);
                out->n++;
            }
        }
        free_names(names, n);
        if (rc) return report_curves_free(out), -1;
    }
    if (out->n == 0) {
        report_curves_free(out);
        return err_set(e, "report: no <cell>-seed<k>/metrics.jsonl with numeric '%s' against '%s' for the reported methods "
                       "under %s/<family>", metric, x_key, runs_dir);
    }
    return 0;
}

int report_curves_png(const Report *r, const char *runs_dir, const char *metric, const char *x_key, const char *png,
                      Err *e) {
    ReportCurves c;
    if (report_curves_load(r, runs_dir, metric, x_key, &c, e)) return -1;
    PlotSeries *s = calloc((size_t)c.n, sizeof *s);
    if (!s) return report_curves_free(&c), err_set(e, "report: out of memory");
    for (int i = 0; i < c.n; i++) s[i] = (PlotSeries){c.names[i], c.x[i], c.y[i], c.len[i]};
    char title[256];
    snprintf(title, sizeof title, "%s (mean over seeds)", metric);
    PlotSpec spec = {.title = title, .x_label = x_key, .y_label = metric, .series = s, .n_series = c.n};
    int rc = plot_lines_png(png, &spec, e);
    free(s);
    report_curves_free(&c);
    return rc;
}
