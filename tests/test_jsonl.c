/* jsonl: exact file contents after fresh writes, resume truncation (later iterations, torn last
 * line, lines without an iteration), refused duplicates and malformed input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "craft/jsonl.h"

static char path[64];

static void setup(void) {
    snprintf(path, sizeof path, "/tmp/craft_jsonl_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

static void teardown(void) { unlink(path); }

static void put_file(const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char *get_file(void) {
    FILE *f = fopen(path, "rb");
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void log_iter(JsonlLog *l, int iter, double loss) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "iter", iter);
    cJSON_AddNumberToObject(o, "loss", loss);
    Err e = {{0}};
    cr_assert_eq(jsonl_write(l, o, &e), 0, "%s", e.msg);
    cJSON_Delete(o);
}

Test(jsonl, fresh_run_writes_one_flushed_line_each, .init = setup, .fini = teardown) {
    put_file("{\"iter\":7}\n"); /* a fresh run empties whatever was there */
    Err e = {{0}};
    JsonlLog *l = jsonl_open(path, "iter", -1, &e);
    cr_assert_not_null(l, "%s", e.msg);
    cr_assert_str_eq(get_file(), "");
    log_iter(l, 0, 0.5);
    cr_assert_str_eq(get_file(), "{\"iter\":0,\"loss\":0.5}\n"); /* visible before close: flushed */
    log_iter(l, 1, 0.25);
    cr_assert_eq(jsonl_write_text(l, "{\"iter\": 2, \"note\": \"eval\"}", &e), 0, "%s", e.msg);
    cr_assert_str_eq(get_file(), "{\"iter\":0,\"loss\":0.5}\n{\"iter\":1,\"loss\":0.25}\n{\"iter\": 2, \"note\": \"eval\"}\n");
    cr_assert_eq(jsonl_line_count(l), 3);
    cr_assert_eq(jsonl_last_iter(l), 2.0);
    jsonl_close(l);
}

Test(jsonl, resume_truncates_later_iterations_and_torn_line, .init = setup, .fini = teardown) {
    put_file("{\"run\":\"x\"}\n"
             "{\"iter\":0,\"loss\":1}\n"
             "{\"iter\":1,\"loss\":2}\n"
             "{\"iter\":1,\"eval\":3}\n"
             "{\"iter\":2,\"loss\":4}\n"
             "{\"run\":\"y\"}\n"
             "{\"iter\":3,\"lo");
    Err e = {{0}};
    JsonlLog *l = jsonl_open(path, "iter", 1, &e);
    cr_assert_not_null(l, "%s", e.msg);
    cr_assert_eq(jsonl_line_count(l), 4);
    cr_assert(jsonl_has_iter(l));
    cr_assert_eq(jsonl_last_iter(l), 1.0);
    log_iter(l, 2, 9.0);
    cr_assert_str_eq(get_file(), "{\"run\":\"x\"}\n{\"iter\":0,\"loss\":1}\n{\"iter\":1,\"loss\":2}\n"
                                 "{\"iter\":1,\"eval\":3}\n{\"iter\":2,\"loss\":9}\n");
    /* Going back to an earlier iteration would duplicate it. */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "iter", 1);
    cr_assert_eq(jsonl_write(l, o, &e), -1);
    cr_assert(strstr(e.msg, "would duplicate an earlier iteration"), "%s", e.msg);
    cJSON_Delete(o);
    jsonl_close(l);
    /* Resuming beyond everything only drops a torn line. */
    put_file("{\"iter\":0}\n{\"iter\":1}\n{\"it");
    l = jsonl_open(path, "iter", 100, &e);
    cr_assert_not_null(l, "%s", e.msg);
    cr_assert_eq(jsonl_line_count(l), 2);
    jsonl_close(l);
    cr_assert_str_eq(get_file(), "{\"iter\":0}\n{\"iter\":1}\n");
    /* Resuming at iteration 0 of a missing file creates it. */
    unlink(path);
    l = jsonl_open(path, "iter", 0, &e);
    cr_assert_not_null(l, "%s", e.msg);
    cr_assert_eq(jsonl_line_count(l), 0);
    cr_assert_not(jsonl_has_iter(l));
    jsonl_close(l);
    cr_assert_str_eq(get_file(), "");
}

Test(jsonl, malformed_lines_are_errors, .init = setup, .fini = teardown) {
    const char *text = "{\"iter\":0}\nnot json\n{\"iter\":1}\n";
    put_file(text);
    Err e = {{0}};
    cr_assert_null(jsonl_open(path, "iter", 0, &e));
    cr_assert(strstr(e.msg, "line 2 is not a JSON object"), "%s", e.msg);
    cr_assert_str_eq(get_file(), text); /* nothing truncated */
    put_file("{\"iter\":\"one\"}\n");
    cr_assert_null(jsonl_open(path, "iter", 0, &e));
    cr_assert(strstr(e.msg, "line 1: \"iter\" is not a number"), "%s", e.msg);
    JsonlLog *l = jsonl_open(path, "iter", -1, &e);
    cr_assert_not_null(l);
    cr_assert_eq(jsonl_write_text(l, "{\"a\":1}\n{\"b\":2}", &e), -1);
    cr_assert(strstr(e.msg, "newline"), "%s", e.msg);
    cr_assert_eq(jsonl_write_text(l, "[1,2]", &e), -1);
    cr_assert(strstr(e.msg, "must be a JSON object"), "%s", e.msg);
    cr_assert_eq(jsonl_write_text(l, "{\"iter\": true}", &e), -1);
    cr_assert(strstr(e.msg, "must be a number"), "%s", e.msg);
    cr_assert_eq(jsonl_write_text(l, "{oops", &e), -1);
    cr_assert(strstr(e.msg, "not valid JSON"), "%s", e.msg);
    cr_assert_eq(jsonl_line_count(l), 0);
    jsonl_close(l);
    cr_assert_str_eq(get_file(), "");
}
