/* safetensors: exact byte layout, round trip, every kind of corrupt or mismatching file rejected
 * with a clear message, and atomic saves that never leave a partial file behind. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "craft/nn.h"
#include "craft/nn_safetensors.h"
#include "craft/rng.h"

static char g_dir[64];
static char g_path[128];

static void setup(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/craft_nn_st_XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(g_path, sizeof g_path, "%s/model.safetensors", g_dir);
}

static void teardown(void) {
    DIR *d = opendir(g_dir);
    struct dirent *ent;
    char p[400];
    while (d && (ent = readdir(d)))
        if (ent->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", g_dir, ent->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(g_dir);
}

/* Tensors declared out of name order on purpose: the file stores them sorted by name. */
static void make_store(NnParams *p, int variant) {
    nn_params_init(p);
    nn_params_add(p, "head.weight", 2, (int[]){3, variant == 1 ? 5 : 4}, NN_INIT_NORMAL, 1.0f);
    nn_params_add(p, "head.bias", 1, (int[]){3}, NN_INIT_NORMAL, 1.0f);
    if (variant != 2) nn_params_add(p, "blocks.0.ln.weight", 1, (int[]){4}, NN_INIT_NORMAL, 1.0f);
    if (variant == 2) nn_params_add(p, "extra", 1, (int[]){2}, NN_INIT_NORMAL, 1.0f);
    cr_assert_eq(nn_params_alloc(p, 11, NULL), 0);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Writes a file from a header string (padded to 8 as the format wants) and n_floats data floats. */
static void write_custom(const char *header, size_t n_floats) {
    size_t hl = strlen(header), padded = hl + (8 - hl % 8) % 8, total = 8 + padded + 4 * n_floats;
    unsigned char *b = calloc(1, total);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(b + 8, header, hl);
    memset(b + 8 + hl, ' ', padded - hl);
    spit(g_path, b, total);
    free(b);
}

TestSuite(nn_safetensors, .init = setup, .fini = teardown);

Test(nn_safetensors, exact_byte_layout) {
    NnParams p;
    make_store(&p, 0);
    NnMeta meta = {0};
    nn_meta_set(&meta, "format", "pt");
    nn_meta_set(&meta, "step", "42");
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &p, &meta, &e), 0, "%s", e.msg);
    size_t n;
    unsigned char *b = slurp(g_path, &n);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)b[i] << (8 * i);
    cr_assert_eq(hl % 8, 0, "data start 8 + N must be 8-byte aligned");
    cr_assert_eq(n, 8 + hl + 4 * (12 + 3 + 4));
    cr_assert_eq(b[8], '{');
    size_t end = 8 + hl;
    while (b[end - 1] == ' ') end--;
    cr_assert_eq(b[end - 1], '}', "header = JSON then only spaces");
    cr_assert_lt(8 + hl - end, 8);
    cJSON *root = cJSON_ParseWithLength((const char *)b + 8, hl);
    cr_assert_not_null(root);
    /* __metadata__ first, then tensors in name order with contiguous offsets from 0 */
    const char *order[] = {"__metadata__", "blocks.0.ln.weight", "head.bias", "head.weight"};
    const int sizes[] = {0, 4, 3, 12};
    const int shapes[][2] = {{0, 0}, {4, -1}, {3, -1}, {3, 4}};
    int k = 0;
    double at = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        cr_assert_str_eq(it->string, order[k]);
        if (k == 0) {
            cr_assert_str_eq(cJSON_GetObjectItem(it, "format")->valuestring, "pt");
            cr_assert_str_eq(cJSON_GetObjectItem(it, "step")->valuestring, "42");
        } else {
            cr_assert_str_eq(cJSON_GetObjectItem(it, "dtype")->valuestring, "F32");
            const cJSON *shape = cJSON_GetObjectItem(it, "shape"), *offs = cJSON_GetObjectItem(it, "data_offsets");
            cr_assert_eq(cJSON_GetArraySize(shape), shapes[k][1] < 0 ? 1 : 2);
            cr_assert_eq(cJSON_GetArrayItem(shape, 0)->valuedouble, shapes[k][0]);
            cr_assert_eq(cJSON_GetArrayItem(offs, 0)->valuedouble, at);
            at += 4.0 * sizes[k];
            cr_assert_eq(cJSON_GetArrayItem(offs, 1)->valuedouble, at);
            /* raw little-endian float32 bytes at the offset equal the parameter values */
            int id = nn_params_find(&p, it->string);
            cr_assert_eq(memcmp(b + 8 + hl + (size_t)cJSON_GetArrayItem(offs, 0)->valuedouble, nn_w(&p, id),
                                4 * (size_t)sizes[k]), 0);
        }
        k++;
    }
    cr_assert_eq(k, 4);
    cr_assert_eq(8 + hl + at, n, "tensors end exactly at the end of the file");
    /* compact JSON, exactly as the Python package writes it */
    cr_assert(strstr((const char *)b + 8, "\"head.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}"));
    cJSON_Delete(root);
    free(b);
    nn_params_destroy(&p);
}

Test(nn_safetensors, round_trip_with_metadata) {
    NnParams p, q;
    make_store(&p, 0);
    make_store(&q, 0);
    nn_params_reinit(&q, 999);
    NnMeta meta = {0}, got = {0};
    nn_meta_set(&meta, "family", "vocab");
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &p, &meta, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_safetensors_load(g_path, &q, &got, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(p.values, q.values, p.total * sizeof(float)), 0);
    cr_assert_str_eq(nn_meta_get(&got, "family"), "vocab");
    cr_assert_null(nn_meta_get(&got, "nope"));
    /* saving over an existing checkpoint replaces it */
    nn_params_reinit(&p, 5);
    cr_assert_eq(nn_safetensors_save(g_path, &p, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_safetensors_load(g_path, &q, &got, &e), 0, "%s", e.msg);
    cr_assert_eq(memcmp(p.values, q.values, p.total * sizeof(float)), 0);
    cr_assert_eq(got.n, 0);
    nn_params_destroy(&p);
    nn_params_destroy(&q);
}

static void expect_load_error(NnParams *q, const char *const *needles) {
    float *before = malloc(q->total * sizeof(float));
    memcpy(before, q->values, q->total * sizeof(float));
    Err e = {{0}};
    cr_assert_eq(nn_safetensors_load(g_path, q, NULL, &e), -1);
    for (int i = 0; needles[i]; i++) cr_assert(strstr(e.msg, needles[i]), "'%s' not in: %s", needles[i], e.msg);
    cr_assert_eq(memcmp(before, q->values, q->total * sizeof(float)), 0, "failed load modified the model");
    free(before);
}

Test(nn_safetensors, mismatches_all_reported) {
    NnParams p, wrong_shape, other;
    make_store(&p, 0);
    make_store(&wrong_shape, 1);
    make_store(&other, 2);
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &p, NULL, &e), 0, "%s", e.msg);
    expect_load_error(&wrong_shape, (const char *[]){"1 problem", "'head.weight': shape [3,4] in file, [3,5] in model", NULL});
    expect_load_error(&other, (const char *[]){"2 problem", "unexpected tensor 'blocks.0.ln.weight' [4]",
                                               "missing tensor 'extra' [2]", NULL});
    nn_params_destroy(&p);
    nn_params_destroy(&wrong_shape);
    nn_params_destroy(&other);
}

Test(nn_safetensors, truncated_files_rejected) {
    NnParams p;
    make_store(&p, 0);
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &p, NULL, &e), 0, "%s", e.msg);
    size_t n;
    unsigned char *b = slurp(g_path, &n);
    size_t cuts[] = {0, 5, 8, 20, n - 4, n - 1};
    for (int i = 0; i < 6; i++) {
        spit(g_path, b, cuts[i]);
        const char *want = cuts[i] < 8 ? "truncated" : cuts[i] < n - 76 ? "header length" : "out of range";
        expect_load_error(&p, (const char *[]){want, NULL});
    }
    free(b);
    nn_params_destroy(&p);
}

Test(nn_safetensors, corrupt_headers_rejected) {
    NnParams p;
    nn_params_init(&p);
    nn_params_add(&p, "a", 1, (int[]){2}, NN_INIT_ONES, 0);
    nn_params_add(&p, "b", 1, (int[]){1}, NN_INIT_ONES, 0);
    cr_assert_eq(nn_params_alloc(&p, 1, NULL), 0);
    const char *A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char h[512];
    write_custom("{\"a\":{\"dtype\":\"F32\",", 3);
    expect_load_error(&p, (const char *[]){"malformed JSON", NULL});
    write_custom("[1,2,3]", 3);
    expect_load_error(&p, (const char *[]){"malformed JSON", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"'b': dtype F16, expected F32", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4000]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"'b': data_offsets [8,4000] out of range", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"not contiguous", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,16]}}", A);
    write_custom(h, 4);
    expect_load_error(&p, (const char *[]){"'b': data_offsets span 8 bytes but F32 [1] needs 4", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[8,12]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"'b': shape entry 0", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"'b': entry needs", NULL});
    snprintf(h, sizeof h, "{%s,%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", A, A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"'a' appears twice", NULL});
    snprintf(h, sizeof h, "{\"__metadata__\":{\"k\":3},%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", A);
    write_custom(h, 3);
    expect_load_error(&p, (const char *[]){"__metadata__ value 'k' is not a string", NULL});
    snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", A);
    write_custom(h, 4); /* trailing bytes after the last tensor */
    expect_load_error(&p, (const char *[]){"data section is 16 bytes but tensors cover 12", NULL});
    unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    spit(g_path, huge, sizeof huge);
    expect_load_error(&p, (const char *[]){"header length", NULL});
    /* and the well-formed version of the same file loads, with its values */
    write_custom(h, 3);
    Err e;
    nn_w(&p, 0)[0] = 7.0f;
    cr_assert_eq(nn_safetensors_load(g_path, &p, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(nn_w(&p, 0)[0], 0.0f); /* write_custom data is zeros */
    cr_assert_eq(nn_safetensors_load("/nonexistent/x.safetensors", &p, NULL, &e), -1);
    cr_assert(strstr(e.msg, "/nonexistent/x.safetensors"));
    nn_params_destroy(&p);
}

Test(nn_safetensors, many_problems_counted) {
    NnParams p;
    nn_params_init(&p);
    char name[64];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "layer_with_a_long_name.%d.weight", i);
        nn_params_add(&p, name, 1, (int[]){2}, NN_INIT_ONES, 0);
    }
    cr_assert_eq(nn_params_alloc(&p, 1, NULL), 0);
    write_custom("{}", 0);
    Err e;
    cr_assert_eq(nn_safetensors_load(g_path, &p, NULL, &e), -1);
    cr_assert(strstr(e.msg, "40 problem(s)"), "%s", e.msg);
    cr_assert(strstr(e.msg, "more"), "%s", e.msg);
    nn_params_destroy(&p);
}

static int count_files(void) {
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) n += ent->d_name[0] != '.';
    closedir(d);
    return n;
}

Test(nn_safetensors, failed_save_leaves_no_partial_file) {
    NnParams small, big;
    nn_params_init(&small);
    nn_params_add(&small, "a", 1, (int[]){4}, NN_INIT_ONES, 0);
    cr_assert_eq(nn_params_alloc(&small, 1, NULL), 0);
    nn_params_init(&big);
    nn_params_add(&big, "a", 1, (int[]){4}, NN_INIT_ONES, 0);
    nn_params_add(&big, "w", 1, (int[]){10000}, NN_INIT_ONES, 0);
    cr_assert_eq(nn_params_alloc(&big, 1, NULL), 0);
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &small, NULL, &e), 0, "%s", e.msg);
    size_t n0;
    unsigned char *before = slurp(g_path, &n0);
    /* Simulate a full disk: this test process may not write more than 4 KB per file. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {4096, 4096};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert_eq(nn_safetensors_save(g_path, &big, NULL, &e), -1);
    cr_assert(strstr(e.msg, "write failed"), "%s", e.msg);
    cr_assert_eq(count_files(), 1, "temporary file left behind");
    size_t n1;
    unsigned char *after = slurp(g_path, &n1);
    cr_assert(n0 == n1 && !memcmp(before, after, n0), "previous checkpoint damaged");
    Err e2;
    cr_assert_eq(nn_safetensors_save("/nonexistent_dir/x.safetensors", &small, NULL, &e2), -1);
    cr_assert(strstr(e2.msg, "temporary file"), "%s", e2.msg);
    free(before);
    free(after);
    nn_params_destroy(&small);
    nn_params_destroy(&big);
}

Test(nn_safetensors, random_corruption_never_crashes) {
    /* 300 files with 1-4 random bytes overwritten: each load either succeeds (a data byte changed)
     * or fails with a message; under ASan/UBSan any out-of-bounds read would abort the test. */
    NnParams p;
    make_store(&p, 0);
    Err e;
    cr_assert_eq(nn_safetensors_save(g_path, &p, NULL, &e), 0, "%s", e.msg);
    size_t n;
    unsigned char *orig = slurp(g_path, &n), *b = malloc(n);
    Rng r;
    rng_seed(&r, 77, 0);
    int failed = 0, header_hits = 0;
    for (int t = 0; t < 300; t++) {
        memcpy(b, orig, n);
        int k = 1 + (int)rng_below(&r, 4), in_header = 0;
        for (int i = 0; i < k; i++) {
            size_t at = rng_below(&r, (uint32_t)n);
            b[at] = (unsigned char)rng_u32(&r);
            in_header |= at < n - 4 * 19;
        }
        spit(g_path, b, n);
        e.msg[0] = 0;
        int rc = nn_safetensors_load(g_path, &p, NULL, &e);
        cr_assert(rc == 0 || (rc == -1 && e.msg[0]), "rc %d", rc);
        failed += rc != 0;
        header_hits += in_header;
    }
    cr_assert_gt(failed, 0);
    cr_assert_leq(failed, header_hits, "a load failed although only tensor data bytes changed");
    free(orig);
    free(b);
    nn_params_destroy(&p);
}
