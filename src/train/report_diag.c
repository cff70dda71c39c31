/* report_diag — what a sweep's training runs did, for the analysis beside the results table (see
 * report_diagnostics in include/craft/report.h): each run's metrics.jsonl → per-run figures (last
 * line, means over iterations, event totals per simulator step) → the mean over a method's seeds. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "craft/plot.h"
#include "craft/report.h"

/* The log keys read (after the x key sim_steps). */
enum {
    K_WALL, K_CREDITED, K_CORR, K_KL_ST, K_CLIP, K_COLL_VEH, K_COLL_PED, K_COLL_STATIC, K_NEAR, K_RED, K_STOP, K_OFF_ROAD,
    K_WRONG_WAY, K_BLOCKED, K_COMPLETED, N_KEYS
};
static const char *const KEYS[N_KEYS] = {
    "wall_s", "credited", "proxy_residual_corr", "kl_student_teacher", "clip_frac", "ev_collision_vehicle",
    "ev_collision_pedestrian", "ev_collision_static", "ev_near_miss", "ev_red_light", "ev_stop_sign",
    "ev_off_road", "ev_wrong_way", "ev_blocked", "ev_route_completed"};

/* The table's columns, per run. */
enum { C_ITERS, C_STEPS, C_WALL, C_CORR, C_KL, C_CLIP, C_COLL, C_NEAR, C_SIGNS, C_LANE, C_BLOCKED, C_DONE, N_COLS };
static const char *const HEAD[N_COLS] = {
    "iterations", "sim steps", "wall s", "proxy–residual corr", "KL(s‖t) end", "clip frac end", "collisions",
    "near misses", "red lights + stops", "off-road + wrong-way", "blocked", "completed"};

static double sum_keys(const PlotData *d, const int *keys, int n_keys) {
    double s = 0.0;
    for (int k = 0; k < n_keys; k++)
        for (int i = 0; i < d->n; i++)
            if (isfinite(d->y[keys[k]][i])) s += d->y[keys[k]][i];
    return s;
}

/* The proxy–residual correlation over the iterations that had one (>= 2 credited states; the log
 * holds 0 or null for the others). */
static double mean_correlation(const PlotData *d) {
    double s = 0.0;
    int k = 0;
    for (int i = 0; i < d->n; i++)
        if (d->y[K_CREDITED][i] >= 2.0 && isfinite(d->y[K_CORR][i])) s += d->y[K_CORR][i], k++;
    return k ? s / k : NAN;
}

/* KL is logged as 0 when the method has no KL term (ppo, cf): exactly 0 at every iteration. */
static double last_kl(const PlotData *d) {
    for (int i = 0; i < d->n; i++)
        if (d->y[K_KL_ST][i] != 0.0) return d->y[K_KL_ST][d->n - 1];
    return NAN;
}

/* One run's columns from its log (d->n >= 1). Events are per 1,000 simulator steps of the run. */
static void run_columns(const PlotData *d, double *col) {
    int last = d->n - 1;
    double steps = d->x[last], per = steps > 0.0 ? 1000.0 / steps : NAN;
    col[C_ITERS] = d->n;
    col[C_STEPS] = steps;
    col[C_WALL] = d->y[K_WALL][last];
    col[C_CORR] = mean_correlation(d);
    col[C_KL] = last_kl(d);
    col[C_CLIP] = d->y[K_CLIP][last];
    col[C_COLL] = per * sum_keys(d, (const int[]){K_COLL_VEH, K_COLL_PED, K_COLL_STATIC}, 3);
    col[C_NEAR] = per * sum_keys(d, (const int[]){K_NEAR}, 1);
    col[C_SIGNS] = per * sum_keys(d, (const int[]){K_RED, K_STOP}, 2);
    col[C_LANE] = per * sum_keys(d, (const int[]){K_OFF_ROAD, K_WRONG_WAY}, 2);
    col[C_BLOCKED] = per * sum_keys(d, (const int[]){K_BLOCKED}, 1);
    col[C_DONE] = per * sum_keys(d, (const int[]){K_COMPLETED}, 1);
}

int report_diagnostics(FILE *f, const ReportFamily *fam, const char *runs_dir, Err *e) {
    int header = 0;
    for (int mi = 0; mi < fam->n_methods; mi++) {
        const ReportMethod *m = &fam->methods[mi];
        double sum[N_COLS] = {0};
        int cnt[N_COLS] = {0}, runs = 0;
        for (int s = 0; s < m->n_runs; s++) {
            char path[1200];
            struct stat st;
            if (snprintf(path, sizeof path, "%s/%s/%s-seed%d/metrics.jsonl", runs_dir, fam->family, m->name,
                         m->runs[s].seed) >= (int)sizeof path ||
                stat(path, &st) != 0 || st.st_size == 0)
                continue; /* no training run (il) or not logged yet */
            PlotData d;
            Err le = {{0}};
            if (plot_jsonl_load(path, "sim_steps", (const char **)KEYS, N_KEYS, &d, &le))
                return err_set(e, "report: %s", le.msg);
            if (d.n > 0) {
                double col[N_COLS];
                run_columns(&d, col);
                for (int c = 0; c < N_COLS; c++)
                    if (isfinite(col[c])) sum[c] += col[c], cnt[c]++;
                runs++;
            }
            plot_data_free(&d);
        }
        if (!runs) continue;
        if (!header) {
            fprintf(f, "\nTraining runs (`%s/%s/<method>-seed<k>/metrics.jsonl`; mean over seeds; events per 1,000 "
                       "simulator steps):\n\n| method | runs |", runs_dir, fam->family);
            for (int c = 0; c < N_COLS; c++) fprintf(f, " %s |", HEAD[c]);
            fprintf(f, "\n|---|---:|");
            for (int c = 0; c < N_COLS; c++) fprintf(f, "---:|");
            fputc('\n', f);
            header = 1;
        }
        fprintf(f, "| %s | %d |", m->name, runs);
        for (int c = 0; c < N_COLS; c++) {
            double v = cnt[c] ? sum[c] / cnt[c] : NAN;
            if (!isfinite(v)) fprintf(f, " n/a |");
            else if (c == C_ITERS || c == C_STEPS || c == C_WALL) fprintf(f, " %.0f |", v);
            else fprintf(f, " %.3f |", v);
        }
        fputc('\n', f);
    }
    return 0;
}
