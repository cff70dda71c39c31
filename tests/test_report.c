/* report tests: Student-t quantiles against closed forms and tables, mean ± CI by hand, the paired
 * per-route bootstrap (constant difference, exact two-point case, an enumerated small case, route
 * order), markdown on a hand-made result set, seed-mean learning curves, and clear load errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include "craft/render.h"
#include "craft/report.h"
#include "craft/results_json.h"
#include "test_results_fake.h"

Test(report, t_quantiles) {
    /* dof 1: tan(π(p − ½)); dof 2: (2p − 1) / sqrt(2p(1 − p)) */
    cr_assert_float_eq(report_t_quantile(0.975, 1), tan(M_PI * 0.475), 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 2), 0.95 / sqrt(2 * 0.975 * 0.025), 1e-9);
    cr_assert_float_eq(report_t_quantile(0.9, 1), tan(M_PI * 0.4), 1e-9);
    /* tables (R: qt(0.975, df)) */
    cr_assert_float_eq(report_t_quantile(0.975, 3), 3.182446305, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 4), 2.776445105, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 5), 2.570581836, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 10), 2.228138852, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 29), 2.045229642, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.975, 1000), 1.962339081, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.025, 3), -3.182446305, 1e-8);
    cr_assert_float_eq(report_t_quantile(0.5, 7), 0.0, 0);
    cr_assert(isnan(report_t_quantile(1.0, 3)) && isnan(report_t_quantile(0.9, 0)));
}

Test(report, mean_ci_by_hand) {
    double mean, half;
    double a[] = {1, 2, 3};   /* s = 1 */
    cr_assert_eq(report_mean_ci(a, 3, &mean, &half), 3);
    cr_assert_float_eq(mean, 2.0, 1e-15);
    cr_assert_float_eq(half, 4.302652730 / sqrt(3.0), 1e-8);
    double b[] = {50, NAN, 70};   /* k = 2, s = sqrt(200) */
    cr_assert_eq(report_mean_ci(b, 3, &mean, &half), 2);
    cr_assert_float_eq(mean, 60.0, 1e-15);
    cr_assert_float_eq(half, tan(M_PI * 0.475) * sqrt(200.0) / sqrt(2.0), 1e-7);
    double c[] = {42.5};
    cr_assert_eq(report_mean_ci(c, 1, &mean, &half), 1);
    cr_assert_float_eq(mean, 42.5, 0);
    cr_assert(isnan(half));
    double d[] = {NAN};
    cr_assert_eq(report_mean_ci(d, 1, &mean, &half), 0);
    cr_assert(isnan(mean));
}

Test(report, bootstrap) {
    Err e = {{0}};
    double mean, lo, hi;
    double k[7] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    cr_assert_eq(report_bootstrap_ci(k, 7, 10000, 1, &mean, &lo, &hi, &e), 0);
    cr_assert_float_eq(mean, 0.1, 1e-15);
    cr_assert_float_eq(lo, 0.1, 1e-15);
    cr_assert_float_eq(hi, 0.1, 1e-15);
    /* two points: resample means 0, ½, 1 with probabilities ¼, ½, ¼ → the 2.5 % and 97.5 % points are 0 and 1 */
    double two[2] = {0.0, 1.0};
    cr_assert_eq(report_bootstrap_ci(two, 2, 10000, REPORT_BOOTSTRAP_SEED, &mean, &lo, &hi, &e), 0);
    cr_assert_float_eq(lo, 0.0, 0);
    cr_assert_float_eq(hi, 1.0, 0);
    /* {1,2,3,4}: the exact bootstrap distribution of the mean over all 4^4 resamples */
    double four[4] = {1, 2, 3, 4};
    int count[17] = {0};
    for (int i = 0; i < 256; i++) count[(i & 3) + (i >> 2 & 3) + (i >> 4 & 3) + (i >> 6 & 3) + 4]++;
    double exact_lo = 0, exact_hi = 0, cum = 0;
    for (int s = 4; s <= 16; s++) {
        double before = cum;
        cum += count[s] / 256.0;
        if (before < 0.025 && cum >= 0.025) exact_lo = s / 4.0;
        if (before < 0.975 && cum >= 0.975) exact_hi = s / 4.0;
    }
    cr_assert_eq(report_bootstrap_ci(four, 4, 10000, REPORT_BOOTSTRAP_SEED, &mean, &lo, &hi, &e), 0);
    cr_assert_float_eq(mean, 2.5, 1e-15);
    cr_assert(fabs(lo - exact_lo) <= 0.25 && fabs(hi - exact_hi) <= 0.25, "lo %g hi %g vs exact %g %g", lo, hi, exact_lo,
              exact_hi);
    double lo2, hi2;
    cr_assert_eq(report_bootstrap_ci(four, 4, 10000, REPORT_BOOTSTRAP_SEED, &mean, &lo2, &hi2, &e), 0);
    cr_assert(lo2 == lo && hi2 == hi, "deterministic");
    cr_assert_eq(report_bootstrap_ci(four, 0, 10000, 1, &mean, &lo, &hi, &e), -1);
}

static ReportRun run_of(int seed, const char *const *ids, const double *ds, int n) {
    ReportRun r = {.seed = seed, .n_routes = n, .routes = calloc((size_t)n, sizeof(ReportRoute))};
    for (int i = 0; i < n; i++) {
        snprintf(r.routes[i].route_id, sizeof r.routes[i].route_id, "%s", ids[i]);
        r.routes[i].ds = ds[i];
    }
    return r;
}

Test(report, paired_matching_ignores_route_order) {
    const char *ida[] = {"r0", "r1", "r2", "r3"}, *idb[] = {"r2", "r0", "r1"};
    double a1[] = {10, 20, 30, 99}, a2[] = {20, 40, 50, 99}, b1[] = {5, 1, 2};
    ReportRun ra[2] = {run_of(1, ida, a1, 4), run_of(2, ida, a2, 3)}, rb[1] = {run_of(1, idb, b1, 3)};
    ReportMethod a = {"craft", 2, ra}, b = {"il", 1, rb};
    double *d;
    int n, unmatched;
    Err e = {{0}};
    cr_assert_eq(report_paired_diff(&a, &b, &d, &n, &unmatched, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(unmatched, 1, "r3 is only in craft");
    /* route means over seeds: craft r0 15, r1 30, r2 40; il r0 1, r1 2, r2 5 */
    cr_assert_float_eq(d[0], 14.0, 1e-12);
    cr_assert_float_eq(d[1], 28.0, 1e-12);
    cr_assert_float_eq(d[2], 35.0, 1e-12);
    free(d);
    const char *idc[] = {"x"};
    double c1[] = {1};
    ReportRun rc[1] = {run_of(1, idc, c1, 1)};
    ReportMethod c = {"ppo", 1, rc};
    cr_assert_eq(report_paired_diff(&a, &c, &d, &n, &unmatched, &e), -1);
    cr_assert(strstr(e.msg, "craft and ppo have no route_id in common"), "%s", e.msg);
    for (int i = 0; i < 2; i++) free(ra[i].routes);
    free(rb[0].routes);
    free(rc[0].routes);
}

Test(report, parse_name) {
    char m[REPORT_NAME_MAX];
    int seed;
    cr_assert_eq(report_parse_name("craft+residual=0-seed12.json", ".json", m, sizeof m, &seed), 1);
    cr_assert_str_eq(m, "craft+residual=0");
    cr_assert_eq(seed, 12);
    cr_assert_eq(report_parse_name("grpo-cl-seed3.json", ".json", m, sizeof m, &seed), 1);
    cr_assert_str_eq(m, "grpo-cl");
    cr_assert_eq(report_parse_name("craft-seed1", "", m, sizeof m, &seed), 1);
    cr_assert_eq(report_parse_name("craft-seed1.val.json", ".json", m, sizeof m, &seed), 0);
    cr_assert_eq(report_parse_name("craft-seed1.json.partial", ".json", m, sizeof m, &seed), 0);
    cr_assert_eq(report_parse_name("craft-seedx.json", ".json", m, sizeof m, &seed), 0);
    cr_assert_eq(report_parse_name("-seed1.json", ".json", m, sizeof m, &seed), 0);
}

/* A result set: vocab/{il,craft}-seed{1,2,3}.json and vocab/ppo-seed1.json over routes r0..r2.
 * craft seed s: route DS = base_s + {-5, 0, +5}, bases 50, 60, 70 (run DS = base);
 * il: 20 + {-5, 0, +5} every seed, written in another route order; ppo: one seed. */
static void write_run(const char *dir, const char *name, const double *ds, const int *order) {
    static const char *const TYPES[] = {"Accident", "HighwayCutIn", "SignalizedJunctionLeftTurn"};
    RouteResult r[3];
    for (int i = 0; i < 3; i++) {
        int k = order[i];
        char id[8];
        snprintf(id, sizeof id, "r%d", k);
        fake_route(&r[i], id, TYPES[k], ds[k]);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    Err e = {{0}};
    cr_assert_eq(results_write(path, r, 3, RULES_BENCH2DRIVE, 1.0, &e), 0, "%s", e.msg);
}

static void make_result_set(char *root, size_t size, char *fam, size_t fsize) {
    snprintf(root, size, "/tmp/craft_report_XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(fam, fsize, "%s/vocab", root);
    mkdir(fam, 0755);
    const int fwd[3] = {0, 1, 2}, rev[3] = {2, 0, 1};
    for (int s = 1; s <= 3; s++) {
        char name[64];
        double base = 40.0 + 10.0 * s, craft[3] = {base - 5, base, base + 5}, il[3] = {15, 20, 25};
        snprintf(name, sizeof name, "craft-seed%d.json", s);
        write_run(fam, name, craft, fwd);
        snprintf(name, sizeof name, "il-seed%d.json", s);
        write_run(fam, name, il, rev);
    }
    double ppo[3] = {30, 30, 30};
    write_run(fam, "ppo-seed1.json", ppo, fwd);
    write_run(fam, "ignored-seed1.val.json", ppo, fwd);   /* val files are not part of the table */
}

Test(report, markdown_of_hand_made_results) {
    char root[64], fam[128];
    make_result_set(root, sizeof root, fam, sizeof fam);
    Report r;
    Err e = {{0}};
    const char *dirs[] = {fam};
    cr_assert_eq(report_load(&r, dirs, 1, &e), 0, "%s", e.msg);
    cr_assert_eq(r.n_families, 1);
    cr_assert_str_eq(r.families[0].family, "vocab");
    cr_assert_eq(r.families[0].n_methods, 3);
    cr_assert_str_eq(r.families[0].methods[0].name, "il");
    cr_assert_str_eq(r.families[0].methods[1].name, "ppo");
    cr_assert_str_eq(r.families[0].methods[2].name, "craft");
    char *md = report_markdown(&r, "craft", NULL, &e);
    cr_assert_not_null(md, "%s", e.msg);
    /* craft DS: 60 ± t(0.975, 2)·10/sqrt(3) = 60 ± 24.84 */
    cr_assert(strstr(md, "| craft | 3 | 60.00 ± 24.84 | 0.00 ± 0.00 |"), "%s", md);
    cr_assert(strstr(md, "| il | 3 | 20.00 ± 0.00 |"), "%s", md);
    cr_assert(strstr(md, "| ppo | 1 | 30.00 (n=1) | 0.00 (n=1) |"), "%s", md);
    cr_assert(strstr(md, "n/a"), "efficiency without checkpoints is n/a: %s", md);
    /* per route craft − il = (60 + o) − (20 + o) = 40 on every route: the CI is the constant */
    cr_assert(strstr(md, "| craft − il | 3 | +40.00 | [+40.00, +40.00] * |"), "%s", md);
    cr_assert(strstr(md, "| craft − ppo | 3 | +30.00 |"), "%s", md);
    char *again = report_markdown(&r, "craft", NULL, &e);
    cr_assert_str_eq(md, again, "deterministic output");
    free(again);
    free(md);
    md = report_markdown(&r, "dagger", NULL, &e);
    cr_assert(strstr(md, "No 'dagger' results"), "%s", md);
    free(md);

    /* learning curves: seed 1 logs 3 iterations, seed 2 two (one without the metric) */
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/runs", root);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/runs/vocab", root);
    mkdir(dir, 0755);
    const char *logs[2] = {"{\"iter\":1,\"sim_steps\":100,\"mean_return\":1.0}\n{\"iter\":2,\"sim_steps\":200,\"mean_return\":2.0}\n"
                           "{\"iter\":3,\"sim_steps\":300,\"mean_return\":4.0}\n",
                           "{\"iter\":1,\"sim_steps\":110,\"mean_return\":3.0}\n{\"iter\":2,\"sim_steps\":210}\n"};
    for (int s = 0; s < 2; s++) {
        snprintf(dir, sizeof dir, "%s/runs/vocab/craft-seed%d", root, s + 1);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
        FILE *f = fopen(path, "w");
        fputs(logs[s], f);
        fclose(f);
    }
    snprintf(dir, sizeof dir, "%s/runs", root);
    ReportCurves c;
    cr_assert_eq(report_curves_load(&r, dir, "mean_return", "sim_steps", &c, &e), 0, "%s", e.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.names[0], "craft");
    cr_assert_eq(c.len[0], 2);
    cr_assert_eq(c.n_runs[0], 2);
    cr_assert_float_eq(c.x[0][0], 105.0, 1e-12);
    cr_assert_float_eq(c.x[0][1], 205.0, 1e-12);
    cr_assert_float_eq(c.y[0][0], 2.0, 1e-12);
    cr_assert_float_eq(c.y[0][1], 2.0, 1e-12, "only seed 1 has the metric at iteration 2");
    report_curves_free(&c);
    snprintf(path, sizeof path, "%s/curves.png", root);
    cr_assert_eq(report_curves_png(&r, dir, "mean_return", "sim_steps", path, &e), 0, "%s", e.msg);
    struct stat st;
    cr_assert(stat(path, &st) == 0 && st.st_size > 1000);
    cr_assert_eq(report_curves_load(&r, dir, "mean_return", "wall_s", &c, &e), -1);
    cr_assert(strstr(e.msg, "craft-seed1/metrics.jsonl: no line has a numeric 'wall_s'"), "%s", e.msg);
    cr_assert_eq(report_curves_load(&r, dir, "kl", "sim_steps", &c, &e), -1);
    cr_assert(strstr(e.msg, "no <cell>-seed<k>/metrics.jsonl with numeric 'kl' against 'sim_steps'"), "%s", e.msg);
    report_free(&r);
    render_shutdown();   /* the PNG's text left fontconfig caches behind */
    fake_rm_tree(root);
}

Test(report, load_errors) {
    char root[64], fam[128];
    make_result_set(root, sizeof root, fam, sizeof fam);
    Report r;
    Err e = {{0}};
    const char *missing[] = {"/nonexistent/vocab"};
    cr_assert_eq(report_load(&r, missing, 1, &e), -1);
    cr_assert(strstr(e.msg, "cannot open directory /nonexistent/vocab"), "%s", e.msg);
    char empty[160];
    snprintf(empty, sizeof empty, "%s/hier", root);
    mkdir(empty, 0755);
    const char *dirs[] = {fam, empty};
    cr_assert_eq(report_load(&r, dirs, 2, &e), -1);
    cr_assert(strstr(e.msg, "holds no <method>-seed<k>.json"), "%s", e.msg);
    char twin[160];
    snprintf(twin, sizeof twin, "%s/", fam);
    const char *same[] = {fam, twin};
    cr_assert_eq(report_load(&r, same, 2, &e), -1);
    cr_assert(strstr(e.msg, "are both family 'vocab'"), "%s", e.msg);
    char path[256];
    snprintf(path, sizeof path, "%s/cf-seed2.json", fam);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"craft-results\", \"version\": 1, \"summary\": {", f);
    fclose(f);
    cr_assert_eq(report_load(&r, dirs, 1, &e), -1);
    cr_assert(strstr(e.msg, "cf-seed2.json is not valid JSON"), "%s", e.msg);
    f = fopen(path, "w");
    fputs("{\"records\": []}", f);
    fclose(f);
    cr_assert_eq(report_load(&r, dirs, 1, &e), -1);
    cr_assert(strstr(e.msg, "cf-seed2.json is not a craft results file"), "%s", e.msg);
    unlink(path);
    snprintf(path, sizeof path, "%s/craft-seed01.json", fam);
    f = fopen(path, "w");
    fputs("{}", f);
    fclose(f);
    cr_assert_eq(report_load(&r, dirs, 1, &e), -1, "malformed file reported before the duplicate");
    fake_rm_tree(root);
}

/* The validation table from *.val.json twins, and the training diagnostics from hand-made logs. */
Test(report, validation_and_diagnostics_by_hand) {
    char root[64], fam[128], dir[300], path[400];
    make_result_set(root, sizeof root, fam, sizeof fam);
    const int fwd[3] = {0, 1, 2};
    double v1[3] = {60, 70, 80}, v2[3] = {70, 80, 90}; /* craft val DS 70 and 80: mean 75 ± 12.706·5/√2·√2 */
    write_run(fam, "craft-seed1.val.json", v1, fwd);
    write_run(fam, "craft-seed2.val.json", v2, fwd);
    /* craft seed 1: 2 iterations, 1000 steps; corr only where >= 2 states were credited (0.5, not the
     * 0.9 of an iteration with 1); KL at the end 0.3; 2 + 1 collisions, 4 near misses, 1 red light.
     * seed 2: 1 iteration, 500 steps, corr null, 1 stop sign, 1 completed route.
     * ppo seed 1: KL logged as 0 throughout (no KL term) → n/a. */
    const char *logs[3][2] = {
        {"craft-seed1", "{\"sim_steps\":400,\"wall_s\":2,\"credited\":5,\"proxy_residual_corr\":0.5,\"kl_student_teacher\":0.1,"
                        "\"clip_frac\":0.2,\"ev_collision_vehicle\":2,\"ev_near_miss\":4}\n"
                        "{\"sim_steps\":1000,\"wall_s\":6,\"credited\":1,\"proxy_residual_corr\":0.9,\"kl_student_teacher\":0.3,"
                        "\"clip_frac\":0.1,\"ev_collision_static\":1,\"ev_red_light\":1}\n"},
        {"craft-seed2", "{\"sim_steps\":500,\"wall_s\":4,\"credited\":0,\"proxy_residual_corr\":null,\"kl_student_teacher\":0.5,"
                        "\"clip_frac\":0.3,\"ev_stop_sign\":1,\"ev_route_completed\":1}\n"},
        {"ppo-seed1", "{\"sim_steps\":300,\"wall_s\":1,\"credited\":0,\"kl_student_teacher\":0,\"clip_frac\":0}\n"}};
    snprintf(dir, sizeof dir, "%s/runs", root);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/runs/vocab", root);
    mkdir(dir, 0755);
    for (int i = 0; i < 3; i++) {
        snprintf(dir, sizeof dir, "%s/runs/vocab/%s", root, logs[i][0]);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
        FILE *f = fopen(path, "w");
        fputs(logs[i][1], f);
        fclose(f);
    }
    Report r;
    Err e = {{0}};
    const char *dirs[] = {fam};
    cr_assert_eq(report_load(&r, dirs, 1, &e), 0, "%s", e.msg);
    snprintf(dir, sizeof dir, "%s/runs", root);
    char *md = report_markdown(&r, "craft", dir, &e);
    cr_assert_not_null(md, "%s", e.msg);
    /* val DS 70, 80: mean 75, s = 7.071, half = 12.706 · 7.071 / √2 = 63.53 */
    cr_assert(strstr(md, "| craft | 2 | 75.00 ± 63.53 |"), "%s", md);
    cr_assert(!strstr(md, "| il | 3 | 20.00 ± 0.00 | 0.00 ± 0.00 |\n| ppo"), "il has no val files: no row");
    /* craft: iterations (2+1)/2, steps 750, wall 5, corr 0.5 (seed 2 has none), KL (0.3+0.5)/2,
     * clip (0.1+0.3)/2, collisions (3/1000·1000 + 0)/2 = 1.5, near misses 2, signs (1 + 2)/2 = 1.5,
     * completed (0 + 2)/2 = 1 */
    cr_assert(strstr(md, "| craft | 2 | 2 | 750 | 5 | 0.500 | 0.400 | 0.200 | 1.500 | 2.000 | 1.500 | 0.000 | 0.000 | 1.000 |"),
              "%s", md);
    cr_assert(strstr(md, "| ppo | 1 | 1 | 300 | 1 | n/a | n/a | 0.000 |"), "%s", md);
    cr_assert(!strstr(md, "| il | 3 | 3 |"), "il has no training logs: no diagnostics row");
    free(md);
    report_free(&r);
    fake_rm_tree(root);
}
