/* The trainer end to end on a tiny policy: every method runs and writes its artefacts; ρ = 1
 * exactly at the start of every update; a run killed at an arbitrary moment and resumed reaches
 * bit-identical final parameters; a resume under a different configuration is refused. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "craft/finetune.h"
#include "craft/policy.h"
#include "craft/render.h"

/* finetune_run draws curves.png: release cairo/fontconfig caches so LeakSanitizer sees a clean exit */
TestSuite(finetune, .fini = render_shutdown);

static void tiny_policy(const char *path) {
    PolicyConfig pc = policy_default_config(POLICY_VOCAB);
    pc.hidden = 32;
    pc.vocab_size = 16;
    Err e = {{0}};
    Policy *p = policy_create(&pc, 3, &e);
    cr_assert_not_null(p, "%s", e.msg);
    cr_assert_eq(policy_save(p, path, &e), 0, "%s", e.msg);
    policy_destroy(p);
}

static FtConfig tiny_config(FtMethod m, const char *policy, const char *dir) {
    FtConfig c;
    Err e = {{0}};
    cr_assert_eq(finetune_defaults(&c, m, &e), 0, "%s", e.msg);
    snprintf(c.policy, sizeof c.policy, "%s", policy);
    snprintf(c.run_dir, sizeof c.run_dir, "%s", dir);
    c.worlds = 2;
    c.horizon = 8;
    c.group = 4;
    c.minibatch = 8;
    c.epochs = 2;
    c.threads = 1;
    c.branch_horizon = 5;
    c.steps = 240; /* three iterations of 2 worlds x 8 planning steps x 5 world steps */
    return c;
}

static char *slurp(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)*n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)*n, f), (size_t)*n);
    buf[*n] = 0;
    fclose(f);
    return buf;
}

static void tmpdir(char *buf, size_t n, const char *tag) {
    snprintf(buf, n, "/tmp/craft_ft_%s_XXXXXX", tag);
    cr_assert_not_null(mkdtemp(buf));
}

Test(finetune, every_method_runs_and_rho_starts_at_one, .timeout = 300) {
    char dir[256], pol[300];
    tmpdir(dir, sizeof dir, "m");
    snprintf(pol, sizeof pol, "%s/p.safetensors", dir);
    tiny_policy(pol);
    for (int m = 0; m < METHOD_COUNT; m++) {
        char run[320];
        snprintf(run, sizeof run, "%s/%s", dir, ft_method_name((FtMethod)m));
        FtConfig c = tiny_config((FtMethod)m, pol, run);
        FtReport rep;
        Err e = {{0}};
        cr_assert_eq(finetune_run(&c, 0, NULL, NULL, &rep, &e), 0, "%s: %s", ft_method_name((FtMethod)m), e.msg);
        cr_assert_geq(rep.sim_steps, c.steps);
        Policy *q = policy_load(rep.final_path, 1, 1, &e);
        cr_assert_not_null(q, "%s", e.msg);
        policy_destroy(q);
        char path[400];
        snprintf(path, sizeof path, "%s/metrics.jsonl", run);
        long n;
        char *log = slurp(path, &n);
        int lines = 0;
        for (char *l = strstr(log, "\"rho_dev_first\": "); l; l = strstr(l + 1, "\"rho_dev_first\": ")) {
            cr_assert_eq(strtod(l + 17, NULL), 0.0, "%s: rho != 1 before the first update step", ft_method_name((FtMethod)m));
            lines++;
        }
        cr_assert_eq(lines, rep.iterations);
        free(log);
    }
}

/* Worlds and gradient shards are spread over the threads, each with its own copy of the policies:
 * the final parameters must not depend on how many threads there are. */
Test(finetune, results_do_not_depend_on_threads, .timeout = 300) {
    char dir[256], pol[300];
    tmpdir(dir, sizeof dir, "t");
    snprintf(pol, sizeof pol, "%s/p.safetensors", dir);
    tiny_policy(pol);
    for (int m = 0; m < METHOD_COUNT; m++) {
        char *params[2];
        long len[2];
        for (int t = 0; t < 2; t++) {
            char run[320];
            snprintf(run, sizeof run, "%s/%s-%d", dir, ft_method_name((FtMethod)m), t + 1);
            FtConfig c = tiny_config((FtMethod)m, pol, run);
            c.threads = t + 1;
            c.worlds = 3; /* odd: the threads get unequal shares */
            FtReport rep;
            Err e = {{0}};
            cr_assert_eq(finetune_run(&c, 0, NULL, NULL, &rep, &e), 0, "%s: %s", ft_method_name((FtMethod)m), e.msg);
            params[t] = slurp(rep.final_path, &len[t]);
        }
        cr_assert_eq(len[0], len[1]);
        cr_assert(memcmp(params[0], params[1], (size_t)len[0]) == 0, "%s: 1 and 2 threads differ",
                  ft_method_name((FtMethod)m));
        free(params[0]);
        free(params[1]);
    }
}

/* Kill the run at a moment that depends on the scheduler (after its first checkpoint appears),
 * resume it, and compare with an uninterrupted run. */
Test(finetune, killed_run_resumes_bit_identically, .timeout = 300) {
    char dir[256], pol[300], a[320], b[320];
    tmpdir(dir, sizeof dir, "r");
    snprintf(pol, sizeof pol, "%s/p.safetensors", dir);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    tiny_policy(pol);
    FtConfig ca = tiny_config(METHOD_CRAFT, pol, a), cb = tiny_config(METHOD_CRAFT, pol, b);
    ca.steps = cb.steps = 3000; /* ~40 iterations: the kill lands mid-run */
    FtReport rep;
    Err e = {{0}};
    cr_assert_eq(finetune_run(&ca, 0, NULL, NULL, &rep, &e), 0, "%s", e.msg);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) _exit(finetune_run(&cb, 0, NULL, NULL, &rep, &e) ? 1 : 0);
    char latest[400];
    snprintf(latest, sizeof latest, "%s/LATEST", b);
    struct stat st;
    for (int i = 0; i < 20000 && stat(latest, &st) != 0; i++) usleep(500);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    char fin[400];
    snprintf(fin, sizeof fin, "%s/final.safetensors", b);
    cr_assert_neq(stat(fin, &st), 0, "the run finished before the kill: the test did not interrupt it");
    cr_assert_eq(finetune_run(&cb, 1, NULL, NULL, &rep, &e), 0, "%s", e.msg);
    char fa[400], fb[400];
    snprintf(fa, sizeof fa, "%s/final.safetensors", a);
    snprintf(fb, sizeof fb, "%s/final.safetensors", b);
    long na, nb;
    char *xa = slurp(fa, &na), *xb = slurp(fb, &nb);
    cr_assert_eq(na, nb);
    cr_assert_eq(memcmp(xa, xb, (size_t)na), 0, "resumed parameters differ");
    free(xa);
    free(xb);
    /* a different configuration does not resume this run */
    cb.kl_alpha = 0.5f;
    cr_assert_eq(finetune_run(&cb, 1, NULL, NULL, &rep, &e), -1);
    cr_assert(strstr(e.msg, "different configuration"), "%s", e.msg);
}

Test(finetune, bad_inputs) {
    FtConfig c;
    Err e = {{0}};
    cr_assert_eq(finetune_defaults(&c, METHOD_CRAFT, &e), 0);
    cr_assert_eq(config_set_assignment(finetune_schema(), &c, "kl_alfa=0.5", &e), -1);
    cr_assert(strstr(e.msg, "kl_alpha"), "%s", e.msg);
    cr_assert_eq(config_set_assignment(finetune_schema(), &c, "method=dqn", &e), -1);
    snprintf(c.policy, sizeof c.policy, "/nonexistent.safetensors");
    snprintf(c.run_dir, sizeof c.run_dir, "/tmp");
    FtReport rep;
    cr_assert_eq(finetune_run(&c, 0, NULL, NULL, &rep, &e), -1);
    cr_assert(strstr(e.msg, "nonexistent"), "%s", e.msg);
}
