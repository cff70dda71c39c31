/* Demonstration collection and imitation pre-training: behaviour labels on hand-made plans, a
 * collected dataset's shape and determinism across thread counts, and a short pre-training run
 * that must lower the validation NLL and write a loadable checkpoint. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "craft/dataset.h"
#include "craft/pretrain.h"

static Scenario *make(const char *type, uint64_t seed) {
    RouteSpec r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "t");
    snprintf(r.type, sizeof r.type, "%s", type);
    r.seed = seed;
    ScenarioOptions o = scenario_default_options();
    o.background = 0;
    Err e = {{0}};
    Scenario *s = scenario_create(&r, &o, &e);
    cr_assert_not_null(s, "%s", e.msg);
    return s;
}

/* A plan of n waypoints at constant speed v, shifted laterally by `lat` at the end. */
static Traj plan(float v, float lat) {
    Traj t = {.n = TRAJ_MAX};
    for (int i = 0; i < TRAJ_MAX; i++) {
        float u = (float)(i + 1) / TRAJ_MAX;
        t.x[i] = v * TRAJ_DT * (float)(i + 1);
        t.y[i] = lat * u;
        t.heading[i] = 0.0f;
    }
    return t;
}

Test(pretrain, behaviour_labels) {
    Scenario *s = make("ParkedObstacle", 3);
    const World *w = scenario_world(s);
    float limit = scenario_map(s)->lanes[scenario_route(s)->pts[0].lane].speed_limit;
    Traj t = plan(0.0f, 0.0f);
    cr_assert_eq(behaviour_label(w, &t), behaviour_id(LAT_KEEP, STYLE_STOP));
    t = plan(0.3f * limit, 0.0f);
    cr_assert_eq(behaviour_label(w, &t), behaviour_id(LAT_KEEP, STYLE_CAUTIOUS));
    t = plan(0.7f * limit, 3.5f);
    cr_assert_eq(behaviour_label(w, &t), behaviour_id(LAT_LEFT, STYLE_NORMAL));
    t = plan(1.0f * limit, -3.5f);
    cr_assert_eq(behaviour_label(w, &t), behaviour_id(LAT_RIGHT, STYLE_ASSERTIVE));
    scenario_destroy(s);
}

static RouteSet small_set(void) {
    RouteSet rs;
    Err e = {{0}};
    cr_assert_eq(routeset_train(&rs, 2, 2, &e), 0, "%s", e.msg); /* train-2 ParkedObstacle, train-3 ...TwoWays */
    return rs;
}

Test(pretrain, collect_is_thread_count_independent, .timeout = 120) {
    RouteSet rs = small_set();
    CollectConfig cfg = collect_default_config();
    cfg.with_bev = 0;
    cfg.background = 0;
    char p1[] = "/tmp/craft_ds1_XXXXXX", p2[] = "/tmp/craft_ds2_XXXXXX";
    close(mkstemp(p1));
    close(mkstemp(p2));
    Err e = {{0}};
    long n1 = 0, n2 = 0;
    cfg.threads = 1;
    cr_assert_eq(collect_demonstrations(&rs, &cfg, p1, &n1, &e), 0, "%s", e.msg);
    cfg.threads = 2;
    cr_assert_eq(collect_demonstrations(&rs, &cfg, p2, &n2, &e), 0, "%s", e.msg);
    cr_assert_eq(n1, n2);
    Dataset a, b;
    cr_assert_eq(dataset_load(p1, &a, &e), 0, "%s", e.msg);
    cr_assert_eq(dataset_load(p2, &b, &e), 0, "%s", e.msg);
    cr_assert_eq(a.count, (size_t)n1);
    cr_assert_gt(a.count, 20);
    cr_assert_eq(memcmp(a.records, b.records, a.count * sizeof *a.records), 0);
    /* records of route 0 come first, steps consecutive */
    for (size_t i = 1; i < a.count; i++)
        if (a.records[i].route_id == a.records[i - 1].route_id)
            cr_assert_eq(a.records[i].step, a.records[i - 1].step + 1);
        else
            cr_assert_gt(a.records[i].route_id, a.records[i - 1].route_id);
    dataset_free(&a);
    dataset_free(&b);
    remove(p1);
    remove(p2);
    routeset_free(&rs);
}

Test(pretrain, vocab_imitation_lowers_nll, .timeout = 240) {
    RouteSet rs = small_set();
    CollectConfig cc = collect_default_config();
    cc.with_bev = 0;
    cc.background = 0;
    char ds[] = "/tmp/craft_pt_XXXXXX", ck[] = "/tmp/craft_ck_XXXXXX.safetensors";
    close(mkstemp(ds));
    close(mkstemps(ck, 12));
    Err e = {{0}};
    long n = 0;
    cr_assert_eq(collect_demonstrations(&rs, &cc, ds, &n, &e), 0, "%s", e.msg);
    PolicyConfig pc = policy_default_config(POLICY_VOCAB);
    pc.hidden = 32;
    pc.vocab_size = 16;
    pc.max_batch = 16;
    Policy *p = policy_create(&pc, 5, &e);
    cr_assert_not_null(p, "%s", e.msg);
    PretrainConfig cfg = pretrain_default_config();
    cfg.epochs = 1;
    cfg.batch = 16;
    cfg.val_frac = 0.0f;
    cfg.kmeans_iters = 5;
    PretrainReport r1, r2;
    cr_assert_eq(pretrain_run(p, ds, &cfg, ck, &r1, &e), 0, "%s", e.msg);
    cfg.epochs = 30;
    cfg.kmeans_iters = 0; /* keep the fitted vocabulary */
    cr_assert_eq(pretrain_run(p, ds, &cfg, ck, &r2, &e), 0, "%s", e.msg);
    cr_assert_lt(r2.train_nll, 0.8f * r1.train_nll, "NLL %.4f -> %.4f", r1.train_nll, r2.train_nll);
    Policy *q = policy_load(ck, 16, 1, &e);
    cr_assert_not_null(q, "%s", e.msg);
    policy_destroy(q);
    policy_destroy(p);
    remove(ds);
    remove(ck);
    routeset_free(&rs);
}

Test(pretrain, bad_inputs) {
    Err e = {{0}};
    PolicyConfig pc = policy_default_config(POLICY_VOCAB);
    pc.hidden = 16;
    pc.vocab_size = 8;
    pc.max_batch = 8;
    Policy *p = policy_create(&pc, 1, &e);
    PretrainConfig cfg = pretrain_default_config();
    PretrainReport r;
    cfg.batch = 64;
    cr_assert_eq(pretrain_run(p, "/nonexistent.ds", &cfg, "/tmp/x.safetensors", &r, &e), -1);
    cr_assert(strstr(e.msg, "max_batch"), "%s", e.msg);
    cfg.batch = 8;
    cr_assert_eq(pretrain_run(p, "/nonexistent.ds", &cfg, "/tmp/x.safetensors", &r, &e), -1);
    cr_assert(strstr(e.msg, "nonexistent"), "%s", e.msg);
    policy_destroy(p);
}
