/* sweep tests: plan parsing (cells, overrides, clear errors), cell hashes, and kill-safety with a fake
 * cell runner that writes a results file without training: a sweep killed at cell 3 and restarted
 * redoes nothing finished, a changed config key reruns exactly the affected cells, il seeds share
 * one evaluation, and run-directory states map to resume / eval / retrain. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include "craft/eval.h"
#include "craft/policy.h"
#include "craft/results_json.h"
#include "craft/sweep.h"
#include "test_results_fake.h"

/* A small stand-in for finetune_schema(): enough keys over FtConfig to exercise the sweep. */
static const char *const METHODS[] = {"craft", "ppo", "grpo-cl", "cf", NULL};
static const char *const TEACHERS[] = {"ema", "frozen", NULL};
static const ConfigKey KEYS[] = {
    CFG_ENUM(FtConfig, method, "method", "craft", METHODS, "method"),
    CFG_STRING(FtConfig, policy, "policy", "", "checkpoint"),
    CFG_INT(FtConfig, seed, "seed", "0", 0, 1000000, "seed"),
    CFG_INT(FtConfig, steps, "steps", "1000", 1, 1000000000, "budget"),
    CFG_INT(FtConfig, threads, "threads", "1", 1, 256, "threads", | CFG_NO_HASH),
    CFG_INT(FtConfig, replan, "replan", "5", 1, 100, "replan"),
    CFG_BOOL(FtConfig, residual, "residual", "true", "residual stream"),
    CFG_FLOAT(FtConfig, lr, "lr", "1e-4", 0, 1, "learning rate"),
    CFG_FLOAT(FtConfig, kl_alpha, "kl_alpha", "0.8", 0, 1, "KL asymmetry"),
    CFG_ENUM(FtConfig, teacher, "teacher", "ema", TEACHERS, "teacher"),
    CFG_STRING(FtConfig, run_dir, "run_dir", "runs/x", "run dir", | CFG_NO_HASH),
};
static const ConfigSchema SCHEMA = CFG_SCHEMA(FtConfig, "test finetune", KEYS);

static int test_defaults(FtConfig *c, FtMethod m, Err *e) {
    if (config_set_defaults(&SCHEMA, c, e)) return -1;
    c->method = m;
    return 0;
}
static const SweepTrainer TRAINER = {&SCHEMA, test_defaults};

/* A scratch directory with a 3-route eval file and a 2-route val file. */
typedef struct { char dir[64], eval[128], val[128]; } Scratch;

static void scratch_make(Scratch *s) {
    snprintf(s->dir, sizeof s->dir, "/tmp/craft_sweep_XXXXXX");
    cr_assert_not_null(mkdtemp(s->dir));
    snprintf(s->eval, sizeof s->eval, "%s/eval.json", s->dir);
    snprintf(s->val, sizeof s->val, "%s/val.json", s->dir);
    RouteSet rs;
    Err e = {{0}};
    cr_assert_eq(routeset_train(&rs, 0, 3, &e), 0, "%s", e.msg);
    cr_assert_eq(routeset_write_file(&rs, s->eval, &e), 0, "%s", e.msg);
    rs.n = 2;
    cr_assert_eq(routeset_write_file(&rs, s->val, &e), 0, "%s", e.msg);
    rs.n = 3;
    routeset_free(&rs);
}

/* The plan text with `extra` spliced in as further top-level members. */
static char *plan_text(const Scratch *s, const char *methods, const char *extra) {
    char *t = malloc(4096);
    snprintf(t, 4096,
             "{\"families\": [\"vocab\", \"hier\"], \"methods\": %s, \"seeds\": [1, 2],"
             " \"pretrained\": {\"vocab\": \"%s/vocab.safetensors\", \"hier\": \"%s/hier.safetensors\"},"
             " \"eval_routes\": \"%s\", \"runs_dir\": \"%s/runs\", \"out_dir\": \"%s/results\"%s%s}",
             methods, s->dir, s->dir, s->eval, s->dir, s->dir, extra[0] ? ", " : "", extra);
    return t;
}

static int parse(SweepPlan *p, const Scratch *s, const char *methods, const char *extra, Err *e) {
    char *t = plan_text(s, methods, extra);
    int rc = sweep_plan_parse(p, t, "plan.json", &TRAINER, e);
    free(t);
    return rc;
}

/* Fake runner: writes results whose route i has DS = 10·seed + i (+ 50 for craft), records its calls,
 * and fails (like a kill) on call number fail_at. */
typedef struct { int calls, fail_at, n_ran; char ran[64][SWEEP_NAME_MAX + 48]; } Fake;

static int write_fake(const SweepPlan *p, const SweepCell *c, const RouteSet *rs, const char *arg, const char *path, Err *e) {
    RouteResult *r = calloc((size_t)rs->n, sizeof *r);
    double base = 10.0 * c->seed + (strcmp(p->methods[c->method].name, "craft") ? 0.0 : 50.0);
    for (int i = 0; i < rs->n; i++) fake_route(&r[i], rs->routes[i].id, rs->routes[i].type, base + i);
    int rc = sweep_write_results(c, path, arg, r, rs->n, RULES_BENCH2DRIVE, 1.0, e);
    free(r);
    return rc;
}

static int fake_runner(const SweepPlan *p, const SweepCell *c, const SweepCellState *st, void *ctx, Err *e) {
    Fake *f = ctx;
    if (++f->calls == f->fail_at) return err_set(e, "killed");
    snprintf(f->ran[f->n_ran++], sizeof f->ran[0], "%s", c->id);
    if (c->val_path[0] && !st->val_done && write_fake(p, c, &p->val_set, p->val_routes, c->val_path, e)) return -1;
    if (!st->eval_done && write_fake(p, c, &p->eval_set, p->eval_routes, c->result_path, e)) return -1;
    return 0;
}

static int sweep(const SweepPlan *p, Fake *f, const char *only, SweepSummary *s, Err *e) {
    SweepOptions o = {.only = only, .runner = fake_runner, .runner_ctx = f};
    return sweep_run(p, &o, s, e);
}

static int ran(const Fake *f, const char *id) {
    for (int i = 0; i < f->n_ran; i++)
        if (!strcmp(f->ran[i], id)) return 1;
    return 0;
}

Test(sweep, plan_cells_and_overrides) {
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\", \"craft: residual=0; kl_alpha=0.5\","
                               " {\"name\": \"craft-frozen\", \"method\": \"craft\", \"set\": {\"teacher\": \"frozen\"}}, \"ppo\"]",
                       "\"set\": {\"steps\": 5000, \"lr\": 3e-4}, \"threads\": 3", &e), 0, "%s", e.msg);
    cr_assert_eq(p.n_methods, 5);
    cr_assert_str_eq(p.methods[2].name, "craft+residual=0+kl_alpha=0.5");
    cr_assert(p.methods[0].il && !p.methods[1].il);
    SweepCell *c;
    int n;
    cr_assert_eq(sweep_cells(&p, &c, &n, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 2 * 5 * 2);
    /* family-major, then method, then seed */
    cr_assert_str_eq(c[0].id, "vocab/il-seed1");
    cr_assert_str_eq(c[5].id, "vocab/craft+residual=0+kl_alpha=0.5-seed2");
    cr_assert_str_eq(c[10].id, "hier/il-seed1");
    const FtConfig *a = &c[5].cfg;
    cr_assert_eq(a->residual, 0);
    cr_assert_float_eq(a->kl_alpha, 0.5f, 0);
    cr_assert_float_eq(a->lr, 3e-4f, 0);
    cr_assert_eq(a->steps, 5000);
    cr_assert_eq(a->seed, 2);
    cr_assert_eq(a->threads, 3);
    cr_assert_eq(a->method, METHOD_CRAFT);
    cr_assert_eq(c[3].cfg.residual, 1, "plain craft keeps the default");
    cr_assert_eq(c[7].cfg.teacher, TEACHER_FROZEN);
    cr_assert_eq(c[8].cfg.method, METHOD_PPO);
    char want[256];
    snprintf(want, sizeof want, "%s/vocab.safetensors", s.dir);
    cr_assert_str_eq(a->policy, want);
    snprintf(want, sizeof want, "%s/runs/vocab/craft+residual=0+kl_alpha=0.5-seed2", s.dir);
    cr_assert_str_eq(a->run_dir, want);
    snprintf(want, sizeof want, "%s/results/hier/ppo-seed1.json", s.dir);
    cr_assert_str_eq(c[18].result_path, want);
    cr_assert_eq(c[18].val_path[0], '\0');
    /* hashes: seeds differ for trained cells, il seeds share one evaluation, families differ by checkpoint */
    cr_assert_neq(c[2].cell_hash, c[3].cell_hash);
    cr_assert_eq(c[0].cell_hash, c[1].cell_hash);
    cr_assert_neq(c[0].cell_hash, c[10].cell_hash);
    cr_assert_eq(c[2].config_hash, config_hash(&SCHEMA, &c[2].cfg));
    /* threads is not part of any hash */
    SweepPlan q;
    cr_assert_eq(parse(&q, &s, "[\"il\", \"craft\"]", "\"set\": {\"steps\": 5000, \"lr\": 3e-4}, \"threads\": 1", &e), 0);
    SweepCell *d;
    cr_assert_eq(sweep_cells(&q, &d, &n, &e), 0);
    cr_assert_eq(d[2].cell_hash, c[2].cell_hash);
    free(d);
    free(c);
    sweep_plan_free(&q);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

static void expect_error(const Scratch *s, const char *methods, const char *extra, const char *needle) {
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, s, methods, extra, &e), -1, "plan with %s %s should fail", methods, extra);
    cr_assert(strstr(e.msg, needle), "error '%s' should mention '%s'", e.msg, needle);
    cr_assert(strstr(e.msg, "plan") || strstr(e.msg, "method"), "error '%s' should name its origin", e.msg);
}

Test(sweep, plan_errors_are_clear) {
    Scratch s;
    scratch_make(&s);
    expect_error(&s, "[\"crafty\"]", "", "unknown method 'crafty'");
    expect_error(&s, "[\"craft:residual\"]", "", "'residual' is not key=value");
    expect_error(&s, "[\"craft:\"]", "", "no overrides");
    expect_error(&s, "[\"craft:residul=0\"]", "", "residul");
    expect_error(&s, "[\"craft:lr=banana\"]", "", "lr");
    expect_error(&s, "[\"craft\"]", "\"set\": {\"lr\": 7}", "lr");
    expect_error(&s, "[\"craft\", \"craft\"]", "", "two methods have the cell name 'craft'");
    expect_error(&s, "[\"craft\"]", "\"famlies\": []", "unknown key 'famlies'");
    expect_error(&s, "[\"craft\"]", "\"set\": {\"seed\": 4}", "'seed'");
    expect_error(&s, "[\"craft\"]", "\"set\": {\"method\": \"ppo\"}", "'method'");
    expect_error(&s, "[]", "", "\"methods\" must be a non-empty array");
    expect_error(&s, "[{\"method\": \"craft\", \"nme\": \"x\"}]", "", "unknown key 'nme'");
    expect_error(&s, "[{\"name\": \"a/b\", \"method\": \"craft\"}]", "", "method name 'a/b'");
    expect_error(&s, "[\"craft\"]", "\"threads\": 0", "threads");
    expect_error(&s, "[\"craft\"]", "\"val_routes\": \"nowhere.json\"", "val_routes");
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(sweep_plan_parse(&p, "{\"families\": [\"vocab\"], \"methods\": [\"il\"], \"seeds\": [1]}", "plan.json",
                                  &TRAINER, &e), -1);
    cr_assert(strstr(e.msg, "no pre-trained checkpoint for family 'vocab'"), "%s", e.msg);
    cr_assert_eq(sweep_plan_parse(&p, "{\"families\": [\"vocab\"],\n \"methods\": [il]}", "plan.json", &TRAINER, &e), -1);
    cr_assert(strstr(e.msg, "plan.json: not valid JSON (near line 2)"), "%s", e.msg);
    cr_assert_eq(sweep_plan_load(&p, "/nonexistent/plan.json", &TRAINER, &e), -1);
    cr_assert(strstr(e.msg, "cannot read plan /nonexistent/plan.json"), "%s", e.msg);
    fake_rm_tree(s.dir);
}

Test(sweep, killed_sweep_restarts_without_redoing_cells) {
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, &s, "[\"craft\", \"ppo\"]", "", &e), 0, "%s", e.msg);   /* 8 cells */
    Fake f = {.fail_at = 3};
    SweepSummary sum;
    cr_assert_eq(sweep(&p, &f, NULL, &sum, &e), -1);
    cr_assert(strstr(e.msg, "cell vocab/ppo-seed1: killed"), "%s", e.msg);
    cr_assert_eq(sum.ran, 2);
    /* the results of the two finished cells are valid results files */
    RouteResult *r;
    int n;
    RuleSet rules;
    char path[256];
    snprintf(path, sizeof path, "%s/results/vocab/craft-seed2.json", s.dir);
    cr_assert_eq(results_read(path, &r, &n, &rules, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 3);
    cr_assert_float_eq(r[2].driving_score, 10.0 * 2 + 50.0 + 2.0, 1e-12);
    results_free(r);
    Fake g = {0};
    cr_assert_eq(sweep(&p, &g, NULL, &sum, &e), 0, "%s", e.msg);
    cr_assert_eq(g.n_ran, 6);
    cr_assert_eq(sum.skipped, 2);
    cr_assert(!ran(&g, "vocab/craft-seed1") && !ran(&g, "vocab/craft-seed2"));
    cr_assert(ran(&g, "vocab/ppo-seed1") && ran(&g, "hier/ppo-seed2"));
    /* and a third run does nothing */
    Fake h = {0};
    cr_assert_eq(sweep(&p, &h, NULL, &sum, &e), 0, "%s", e.msg);
    cr_assert_eq(h.calls, 0);
    cr_assert_eq(sum.skipped, 8);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

Test(sweep, changed_config_reruns_exactly_the_affected_cells) {
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    Fake f = {0};
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\", \"craft:residual=0\"]", "\"set\": {\"steps\": 100}", &e), 0, "%s", e.msg);
    SweepSummary first;
    cr_assert_eq(sweep(&p, &f, NULL, &first, &e), 0, "%s", e.msg);
    cr_assert_eq(f.n_ran, 2 * (1 + 2 + 2), "il: one evaluation per family, its second seed copied");
    cr_assert_eq(first.copied, 2);
    cr_assert(!ran(&f, "vocab/il-seed2") && ran(&f, "vocab/il-seed1"));
    sweep_plan_free(&p);
    /* one method's override changes: only its 4 cells rerun */
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\", \"craft:residual=0\"]", "\"set\": {\"steps\": 100, \"threads\": 4}", &e), 0);
    Fake g = {0};
    cr_assert_eq(sweep(&p, &g, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(g.calls, 0, "threads does not change results");
    sweep_plan_free(&p);
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\", {\"name\": \"craft+residual=0\", \"method\": \"craft\", \"set\": "
                               "{\"residual\": false, \"lr\": 5e-4}}]", "\"set\": {\"steps\": 100}", &e), 0, "%s", e.msg);
    SweepCellState st;
    SweepCell *c;
    int n;
    cr_assert_eq(sweep_cells(&p, &c, &n, &e), 0);
    sweep_cell_state(&p, &c[4], &st);
    cr_assert_eq(st.status, SWEEP_TRAIN);
    cr_assert_eq(st.stale_results, 1);
    free(c);
    cr_assert_eq(sweep(&p, &g, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(g.n_ran, 4);
    cr_assert(ran(&g, "vocab/craft+residual=0-seed1") && ran(&g, "hier/craft+residual=0-seed2"));
    sweep_plan_free(&p);
    /* a global key changes every trained cell but not il (which does not train) */
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\"]", "\"set\": {\"steps\": 200}", &e), 0);
    Fake h = {0};
    cr_assert_eq(sweep(&p, &h, NULL, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(h.n_ran, 4);
    cr_assert(!ran(&h, "vocab/il-seed1"));
    sweep_plan_free(&p);
    /* adding val routes reruns everything (il once per family again) and writes the .val.json files */
    char extra[256];
    snprintf(extra, sizeof extra, "\"set\": {\"steps\": 200}, \"val_routes\": \"%s\"", s.val);
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\"]", extra, &e), 0, "%s", e.msg);
    Fake k = {0};
    SweepSummary sum;
    cr_assert_eq(sweep(&p, &k, NULL, &sum, &e), 0, "%s", e.msg);
    cr_assert_eq(k.n_ran, 6);
    cr_assert_eq(sum.copied, 2);
    char path[256];
    snprintf(path, sizeof path, "%s/results/hier/il-seed2.val.json", s.dir);
    RouteResult *r;
    RuleSet rules;
    cr_assert_eq(results_read(path, &r, &n, &rules, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_assert_float_eq(r[1].driving_score, 10.0 * 1 + 1.0, 1e-12, "copied from seed 1's evaluation");
    results_free(r);
    uint64_t h1;
    cr_assert_eq(sweep_result_hash(path, &h1), 0);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

Test(sweep, only_filter_and_dry_run) {
    cr_assert(sweep_only_match(NULL, "vocab", "craft", 1));
    cr_assert(sweep_only_match("vocab", "vocab", "craft", 1));
    cr_assert(!sweep_only_match("hier", "vocab", "craft", 1));
    cr_assert(sweep_only_match("hier,vocab/craft", "vocab", "craft", 3));
    cr_assert(!sweep_only_match("vocab/craft", "vocab", "craft+residual=0", 1));
    cr_assert(sweep_only_match("*/craft-seed2", "vla", "craft", 2));
    cr_assert(!sweep_only_match("*/craft-seed2", "vla", "craft", 1));
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, &s, "[\"il\", \"craft\"]", "", &e), 0, "%s", e.msg);
    Fake f = {0};
    SweepSummary sum;
    cr_assert_eq(sweep(&p, &f, "hier/craft-seed2", &sum, &e), 0, "%s", e.msg);
    cr_assert_eq(sum.selected, 1);
    cr_assert_eq(f.n_ran, 1);
    cr_assert_str_eq(f.ran[0], "hier/craft-seed2");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    SweepOptions o = {.dry_run = 1, .log = mem, .runner = fake_runner, .runner_ctx = &f};
    cr_assert_eq(sweep_run(&p, &o, &sum, &e), 0);
    fclose(mem);
    cr_assert_eq(f.calls, 1, "a dry run runs nothing");
    cr_assert_eq(sum.skipped, 1);
    cr_assert(strstr(buf, "[sweep 8/8] hier/craft-seed2"), "%s", buf);
    cr_assert(strstr(buf, "hier/craft-seed2                         done"), "%s", buf);
    cr_assert(strstr(buf, "vocab/il-seed1                           eval"), "%s", buf);
    cr_assert(strstr(buf, "vocab/craft-seed1                        train"), "%s", buf);
    free(buf);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

static void touch(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(sweep, run_dir_states) {
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, &s, "[\"craft\"]", "", &e), 0, "%s", e.msg);
    SweepCell *c;
    int n;
    cr_assert_eq(sweep_cells(&p, &c, &n, &e), 0);
    const char *dir = c[0].cfg.run_dir;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s/runs", s.dir);
    mkdir(buf, 0755);
    snprintf(buf, sizeof buf, "%s/runs/vocab", s.dir);
    mkdir(buf, 0755);
    mkdir(dir, 0755);
    SweepCellState st;
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_TRAIN, "empty run dir");
    FtConfig same = c[0].cfg;
    same.threads = 7;   /* not hashed: still the same run */
    snprintf(buf, sizeof buf, "%s/config.json", dir);
    cr_assert_eq(config_write_json(&SCHEMA, &same, buf, &e), 0, "%s", e.msg);
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_TRAIN, "config but no checkpoint yet");
    touch(dir, "LATEST", "ckpt-3\n");
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_RESUME);
    touch(dir, "final.safetensors", "x");
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_EVAL);
    FtConfig other = c[0].cfg;
    other.lr = 1e-3f;
    cr_assert_eq(config_write_json(&SCHEMA, &other, buf, &e), 0);
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_RETRAIN, "run dir of another config");
    touch(dir, "config.json", "{\"lr\": ");
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_RETRAIN, "unreadable config.json");
    cr_assert_eq(st.eval_done, 0);
    cr_assert_eq(st.stale_results, 0);
    /* a result file of the right hash makes it done whatever the run dir holds */
    RouteResult r;
    fake_route(&r, "a", "Accident", 30.0);
    cr_assert_eq(mkdir(s.dir, 0755) == 0 || errno == EEXIST, 1);
    snprintf(buf, sizeof buf, "%s/results", s.dir);
    mkdir(buf, 0755);
    snprintf(buf, sizeof buf, "%s/results/vocab", s.dir);
    mkdir(buf, 0755);
    cr_assert_eq(sweep_write_results(&c[0], c[0].result_path, "x", &r, 1, RULES_BENCH2DRIVE, 0, &e), 0, "%s", e.msg);
    sweep_cell_state(&p, &c[0], &st);
    cr_assert_eq(st.status, SWEEP_DONE);
    uint64_t h;
    cr_assert_eq(sweep_result_hash(c[0].result_path, &h), 0);
    cr_assert_eq(h, c[0].cell_hash);
    cr_assert_eq(sweep_result_hash(c[1].result_path, &h), -1, "missing file");
    free(c);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

static int lazy_runner(const SweepPlan *p, const SweepCell *c, const SweepCellState *st, void *ctx, Err *e) {
    (void)p, (void)c, (void)st, (void)ctx, (void)e;
    return 0;
}

Test(sweep, runner_that_writes_nothing_is_an_error) {
    Scratch s;
    scratch_make(&s);
    SweepPlan p;
    Err e = {{0}};
    cr_assert_eq(parse(&p, &s, "[\"craft\"]", "", &e), 0, "%s", e.msg);
    SweepOptions o = {.runner = lazy_runner};
    SweepSummary sum;
    cr_assert_eq(sweep_run(&p, &o, &sum, &e), -1);
    cr_assert(strstr(e.msg, "cell vocab/craft-seed1: the runner returned without writing current results"), "%s", e.msg);
    cr_assert_eq(sum.ran, 0);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}

/* The real runner on `il` cells: evaluates the pre-trained checkpoint on the eval routes (no trainer
 * involved), the second seed is a copy, and the file holds what eval_run gives directly. */
Test(sweep, real_runner_evaluates_il) {
    Scratch s;
    scratch_make(&s);
    Err e = {{0}};
    PolicyConfig pc = policy_default_config(POLICY_VOCAB);
    Policy *pol = policy_create(&pc, 3, &e);
    cr_assert_not_null(pol, "%s", e.msg);
    char ckpt[128], text[1024];
    snprintf(ckpt, sizeof ckpt, "%s/vocab.safetensors", s.dir);
    cr_assert_eq(policy_save(pol, ckpt, &e), 0, "%s", e.msg);
    policy_destroy(pol);
    RouteSet one;
    cr_assert_eq(routeset_train(&one, 5, 1, &e), 0, "%s", e.msg);
    cr_assert_eq(routeset_write_file(&one, s.eval, &e), 0, "%s", e.msg);
    snprintf(text, sizeof text,
             "{\"families\": [\"vocab\"], \"methods\": [\"il\"], \"seeds\": [1, 2], \"pretrained\": {\"vocab\": \"%s\"},"
             " \"eval_routes\": \"%s\", \"runs_dir\": \"%s/runs\", \"out_dir\": \"%s/results\", \"threads\": 1,"
             " \"set\": {\"replan\": 5}}", ckpt, s.eval, s.dir, s.dir);
    SweepPlan p;
    cr_assert_eq(sweep_plan_parse(&p, text, "plan.json", &TRAINER, &e), 0, "%s", e.msg);
    SweepOptions o = {0};
    SweepSummary sum;
    cr_assert_eq(sweep_run(&p, &o, &sum, &e), 0, "%s", e.msg);
    cr_assert_eq(sum.ran, 1);
    cr_assert_eq(sum.copied, 1);
    EvalConfig ec = eval_default_config();
    cr_assert_eq(agent_spec_parse(ckpt, &ec.agent, &e), 0, "%s", e.msg);
    ec.agent.replan_every = 5;
    ec.threads = 1;
    RouteResult direct;
    cr_assert_eq(eval_run(&one, &ec, &direct, &e), 0, "%s", e.msg);
    for (int seed = 1; seed <= 2; seed++) {
        char path[256];
        snprintf(path, sizeof path, "%s/results/vocab/il-seed%d.json", s.dir, seed);
        RouteResult *r;
        int n;
        RuleSet rules;
        cr_assert_eq(results_read(path, &r, &n, &rules, &e), 0, "%s", e.msg);
        cr_assert_eq(n, 1);
        cr_assert_str_eq(r[0].route_id, one.routes[0].id);
        cr_assert_float_eq(r[0].driving_score, direct.driving_score, 1e-12);
        cr_assert_float_eq(r[0].route_completion, direct.route_completion, 1e-12);
        results_free(r);
    }
    routeset_free(&one);
    sweep_plan_free(&p);
    fake_rm_tree(s.dir);
}
