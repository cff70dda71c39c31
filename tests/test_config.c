/* config: defaults, --set, JSON files (flat and nested), every error class with its message,
 * staging (a failed call changes nothing), the JSON dump round trip and the canonical hash. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "craft/config.h"

typedef struct {
    int epochs;
    float lr;
    double tau;
    int use_kl;
    char run_dir[32];
    int family;
    float clip_eps;
    int threads;
} TestCfg;

static const char *const FAMILIES[] = {"vocab", "hier", "vla", NULL};

static const ConfigKey KEYS[] = {
    CFG_INT(TestCfg, epochs, "epochs", "16", 1, 1000, "epochs per update round"),
    CFG_FLOAT(TestCfg, lr, "optim.lr", "1e-4", 0, 1, "learning rate"),
    CFG_DOUBLE(TestCfg, tau, "teacher.tau", "0.995", 0, 1, "EMA rate"),
    CFG_BOOL(TestCfg, use_kl, "loss.use_kl", "true", "KL to the teacher"),
    CFG_STRING(TestCfg, run_dir, "run_dir", "runs/a", "output directory", | CFG_NO_HASH),
    CFG_ENUM(TestCfg, family, "family", "hier", FAMILIES, "policy family"),
    CFG_FLOAT(TestCfg, clip_eps, "loss.clip_eps", "0.2", 0, 0, "PPO clip (no range)"),
    CFG_INT(TestCfg, threads, "threads", "2", 1, 64, "worker threads", | CFG_NO_HASH),
};
static const ConfigSchema SCHEMA = CFG_SCHEMA(TestCfg, "test config", KEYS);

static TestCfg defaults(void) {
    TestCfg c;
    memset(&c, 0x5a, sizeof c);
    Err e = {{0}};
    cr_assert_eq(config_set_defaults(&SCHEMA, &c, &e), 0, "%s", e.msg);
    return c;
}

Test(config, defaults) {
    TestCfg c = defaults();
    cr_assert_eq(c.epochs, 16);
    cr_assert_eq(c.lr, 1e-4f);
    cr_assert_eq(c.tau, 0.995);
    cr_assert_eq(c.use_kl, 1);
    cr_assert_str_eq(c.run_dir, "runs/a");
    cr_assert_eq(c.family, 1);
    cr_assert_eq(c.clip_eps, 0.2f);
    cr_assert_eq(c.threads, 2);
}

Test(config, set_assignments) {
    TestCfg c = defaults();
    Err e = {{0}};
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "epochs=32", &e), 0, "%s", e.msg);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "optim.lr=3e-5", &e), 0, "%s", e.msg);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "loss.use_kl=off", &e), 0, "%s", e.msg);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "family=vla", &e), 0, "%s", e.msg);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "run_dir=out/x=y", &e), 0, "%s", e.msg);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "loss.clip_eps=-7.5", &e), 0, "%s", e.msg); /* no range */
    cr_assert_eq(c.epochs, 32);
    cr_assert_eq(c.lr, 3e-5f);
    cr_assert_eq(c.use_kl, 0);
    cr_assert_eq(c.family, 2);
    cr_assert_str_eq(c.run_dir, "out/x=y");    /* only the first '=' separates */
    cr_assert_eq(c.clip_eps, -7.5f);
    char buf[64];
    cr_assert_eq(config_get_text(&SCHEMA, &c, "optim.lr", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "3e-05");
    cr_assert_eq(config_get_text(&SCHEMA, &c, "family", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "vla");
    cr_assert_eq(config_get_text(&SCHEMA, &c, "nope", buf, sizeof buf), -1);
}

static void expect_error(const char *assignment, const char *needle1, const char *needle2) {
    TestCfg c = defaults(), before = c;
    Err e = {{0}};
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, assignment, &e), -1, "'%s' was accepted", assignment);
    cr_assert(strstr(e.msg, needle1), "'%s': message '%s' lacks '%s'", assignment, e.msg, needle1);
    if (needle2) cr_assert(strstr(e.msg, needle2), "'%s': message '%s' lacks '%s'", assignment, e.msg, needle2);
    cr_assert_eq(memcmp(&c, &before, sizeof c), 0, "'%s' changed the struct", assignment);
}

Test(config, set_errors) {
    expect_error("epoch=3", "unknown key 'epoch'", "did you mean: epochs");
    expect_error("lr=0.1", "unknown key 'lr'", "optim.lr");                  /* same name, other group */
    expect_error("loss.clip_esp=0.1", "unknown key", "loss.clip_eps");
    expect_error("zzzzzzzz=1", "no similar key among the 8 known ones", NULL);
    expect_error("epochs=2.5", "epochs expects an integer", "'2.5'");
    expect_error("epochs=", "epochs expects an integer", NULL);
    expect_error("epochs=99999999999", "epochs expects an integer", NULL);
    expect_error("epochs=0", "epochs must be in [1, 1000]", "got 0");
    expect_error("optim.lr=2", "optim.lr must be in [0, 1]", NULL);
    expect_error("optim.lr=fast", "optim.lr expects a finite number", NULL);
    expect_error("optim.lr=nan", "finite number", NULL);
    expect_error("loss.clip_eps=1e40", "finite number", NULL);                  /* overflows a float */
    expect_error("loss.use_kl=maybe", "expects true or false", NULL);
    expect_error("family=transformer", "must be one of {vocab, hier, vla}", "'transformer'");
    expect_error("run_dir=0123456789012345678901234567890123", "at most 31 characters", NULL);
    expect_error("epochs", "expects key=value", NULL);
    expect_error("=3", "expects key=value", NULL);
}

Test(config, json_flat_nested_and_errors) {
    TestCfg c = defaults();
    Err e = {{0}};
    const char *ok = "{\"epochs\": 8, \"optim\": {\"lr\": 0.001}, \"teacher.tau\": 0.9,\n"
                     " \"loss\": {\"use_kl\": false, \"clip_eps\": 0.1}, \"family\": \"vocab\"}";
    cr_assert_eq(config_apply_json(&SCHEMA, &c, ok, "a.json", &e), 0, "%s", e.msg);
    cr_assert_eq(c.epochs, 8);
    cr_assert_eq(c.lr, 0.001f);
    cr_assert_eq(c.tau, 0.9);
    cr_assert_eq(c.use_kl, 0);
    cr_assert_eq(c.clip_eps, 0.1f);
    cr_assert_eq(c.family, 0);
    struct { const char *json, *needle; } bad[] = {
        {"{\"epochs\": 4, \"optim\": {\"lrr\": 0.1}}", "a.json: test config: unknown key 'optim.lrr' (did you mean: optim.lr"},
        {"{\"epochs\": 4.5}", "epochs expects an integer, got a number"},
        {"{\"epochs\": \"4\"}", "epochs expects an integer, got a string"},
        {"{\"optim.lr\": null}", "optim.lr expects a number, got null"},
        {"{\"loss.use_kl\": 1}", "loss.use_kl expects true or false, got a number"},
        {"{\"family\": 2}", "family expects one of its choices as a string"},
        {"{\"family\": \"big\"}", "a.json: test config: family must be one of"},
        {"{\"epochs\": 4, \"teacher\": {\"tau\": 3}}", "teacher.tau must be in [0, 1], got 3"},
        {"[1, 2]", "expected a JSON object"},
        {"{\n\"epochs\": 4,\n\"x\" 5}", "not valid JSON (near line 3)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TestCfg before = c;
        cr_assert_eq(config_apply_json(&SCHEMA, &c, bad[i].json, "a.json", &e), -1, "%s accepted", bad[i].json);
        cr_assert(strstr(e.msg, bad[i].needle), "%s: message '%s' lacks '%s'", bad[i].json, e.msg, bad[i].needle);
        /* staged: the valid "epochs": 4 before the bad value was not applied either */
        cr_assert_eq(memcmp(&c, &before, sizeof c), 0, "%s changed the struct", bad[i].json);
    }
}

Test(config, dump_roundtrip_and_file_errors) {
    TestCfg c = defaults();
    Err e = {{0}};
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "optim.lr=0.3", &e), 0);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "run_dir=a \"quoted\"\\dir", &e), 0);
    cr_assert_eq(config_set_assignment(&SCHEMA, &c, "teacher.tau=0.1234567890123", &e), 0);
    char path[] = "/tmp/craft_cfg_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(config_write_json(&SCHEMA, &c, path, &e), 0, "%s", e.msg);
    char *text = config_to_json(&SCHEMA, &c);
    cr_assert(strstr(text, "\"optim.lr\": 0.3,"), "%s", text);          /* shortest form, not 0.30000001 */
    cr_assert(strstr(text, "\"run_dir\": \"a \\\"quoted\\\"\\\\dir\""), "%s", text);
    cr_assert(strstr(text, "\"family\": \"hier\""), "%s", text);
    free(text);
    TestCfg d = defaults();
    cr_assert_eq(config_load_json(&SCHEMA, &d, path, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(&c, &d, sizeof c), 0, "the dump does not load back to the same struct");
    unlink(path);
    cr_assert_eq(config_load_json(&SCHEMA, &d, "/nonexistent/cfg.json", &e), -1);
    cr_assert(strstr(e.msg, "/nonexistent/cfg.json: cannot open"), "%s", e.msg);
}

Test(config, canonical_hash) {
    TestCfg c = defaults();
    char *canon = config_canonical_json(&SCHEMA, &c);
    /* Sorted names, no whitespace, run_dir and threads (CFG_NO_HASH) left out. */
    const char *want = "{\"epochs\":16,\"family\":\"hier\",\"loss.clip_eps\":0.2,\"loss.use_kl\":true,"
                       "\"optim.lr\":0.0001,\"teacher.tau\":0.995}";
    cr_assert_str_eq(canon, want);
    cr_assert_eq(config_hash(&SCHEMA, &c), (uint64_t)XXH64(want, strlen(want), 0));
    free(canon);
    uint64_t h0 = config_hash(&SCHEMA, &c);
    Err e;
    /* Paths and thread counts do not change the cell; a value does; setting it back restores it. */
    config_set_assignment(&SCHEMA, &c, "run_dir=elsewhere", &e);
    config_set_assignment(&SCHEMA, &c, "threads=8", &e);
    cr_assert_eq(config_hash(&SCHEMA, &c), h0);
    config_set_assignment(&SCHEMA, &c, "optim.lr=0.00011", &e);
    cr_assert_neq(config_hash(&SCHEMA, &c), h0);
    config_set_assignment(&SCHEMA, &c, "optim.lr=1e-4", &e);
    cr_assert_eq(config_hash(&SCHEMA, &c), h0);
    /* Independent of the table order. */
    ConfigKey rev[8];
    for (int i = 0; i < 8; i++) rev[i] = KEYS[7 - i];
    ConfigSchema s2 = {"reversed", sizeof(TestCfg), rev, 8};
    cr_assert_eq(config_hash(&s2, &c), h0);
}

Test(config, schema_errors) {
    Err e = {{0}};
    TestCfg c;
    ConfigKey k[2] = {KEYS[0], KEYS[0]};
    ConfigSchema s = {"bad", sizeof(TestCfg), k, 2};
    cr_assert_eq(config_set_defaults(&s, &c, &e), -1);
    cr_assert(strstr(e.msg, "defined twice"), "%s", e.msg);
    k[1] = KEYS[1];
    k[1].name = "epochs.lr";
    cr_assert_eq(config_check_schema(&s, &e), -1);
    cr_assert(strstr(e.msg, "cannot also be a group"), "%s", e.msg);
    k[1].name = "Optim.LR";
    cr_assert_eq(config_check_schema(&s, &e), -1);
    cr_assert(strstr(e.msg, "malformed name"), "%s", e.msg);
    k[1] = KEYS[1];
    k[1].def = "7";
    cr_assert_eq(config_check_schema(&s, &e), -1);
    cr_assert(strstr(e.msg, "optim.lr must be in [0, 1]"), "%s", e.msg);
    k[1] = KEYS[1];
    k[1].size = sizeof(double);
    cr_assert_eq(config_check_schema(&s, &e), -1);
    cr_assert(strstr(e.msg, "does not fit type float"), "%s", e.msg);
    k[1] = KEYS[1];
    cr_assert_eq(config_check_schema(&s, &e), 0, "%s", e.msg);
}

Test(config, help_lists_every_key) {
    TestCfg c = defaults();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f, &SCHEMA, &c);
    fclose(f);
    for (int i = 0; i < SCHEMA.n_keys; i++) cr_assert(strstr(buf, KEYS[i].name), "%s missing", KEYS[i].name);
    cr_assert(strstr(buf, "{vocab,hier,vla}"), "%s", buf);
    cr_assert(strstr(buf, "[1, 1000]"), "%s", buf);
    free(buf);
}
