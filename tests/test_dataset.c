/* dataset: bit-identical round trip (load and iterate), the empty dataset, atomic replace/abort,
 * and one test per corruption class, each checked for its specific one-line message. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "craft/dataset.h"
#include "craft/rng.h"

#define N_REC 5

static char dir[64];

static void make_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/craft_ds_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') snprintf(p, sizeof p, "%s/%s", dir, de->d_name), unlink(p);
        closedir(d);
    }
    rmdir(dir);
}

static int count_entries(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void fill_floats(Rng *r, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(r);
}

/* Deterministic, non-trivial records; record 2 carries a BEV raster. */
static DatasetRecord *make_records(int n) {
    DatasetRecord *recs = calloc((size_t)n, sizeof *recs);
    Rng r;
    rng_seed(&r, 7, 1);
    for (int i = 0; i < n; i++) {
        DatasetRecord *d = &recs[i];
        fill_floats(&r, d->obs.ego, OBS_EGO_DIM);
        fill_floats(&r, d->obs.route, sizeof d->obs.route / sizeof(float));
        fill_floats(&r, d->obs.agents, sizeof d->obs.agents / sizeof(float));
        fill_floats(&r, d->obs.map_pts, sizeof d->obs.map_pts / sizeof(float));
        fill_floats(&r, d->obs.map_meta, sizeof d->obs.map_meta / sizeof(float));
        d->obs.command = i % CMD_COUNT;
        if (i == 2) {
            d->obs.has_bev = 1;
            for (size_t k = 0; k < sizeof d->obs.bev; k++) d->obs.bev[k] = (uint8_t)(rng_u32(&r) & 1);
            for (int k = 0; k < OBS_INSTR_LEN; k++) d->obs.instr[k] = (int32_t)rng_below(&r, 50);
        }
        d->expert.n = TRAJ_MAX;
        fill_floats(&r, d->expert.x, TRAJ_MAX);
        fill_floats(&r, d->expert.y, TRAJ_MAX);
        fill_floats(&r, d->expert.heading, TRAJ_MAX);
        d->behaviour = (i * 5) % 12;
        d->command = d->obs.command;
        d->route_id = 100 + i / 2;
        d->step = i;
    }
    return recs;
}

static void write_file(const char *path, const DatasetRecord *recs, int n, const char *meta) {
    Err e = {{0}};
    DatasetWriter *w = dataset_writer_create(path, meta, 0, &e);
    cr_assert_not_null(w, "%s", e.msg);
    for (int i = 0; i < n; i++) cr_assert_eq(dataset_writer_append(w, &recs[i], &e), 0, "%s", e.msg);
    cr_assert_eq(dataset_writer_count(w), (uint64_t)n);
    cr_assert_eq(dataset_writer_close(w, &e), 0, "%s", e.msg);
}

Test(dataset, roundtrip_bit_identical, .init = make_dir, .fini = remove_dir) {
    char path[128];
    snprintf(path, sizeof path, "%s/demo.ds", dir);
    DatasetRecord *recs = make_records(N_REC);
    const char *meta = "{\"expert\": \"pdm\", \"seed\": 7}";
    write_file(path, recs, N_REC, meta);
    cr_assert_eq(count_entries(), 1, "the temporary file was left behind");

    Dataset ds;
    Err e = {{0}};
    cr_assert_eq(dataset_load(path, &ds, &e), 0, "%s", e.msg);
    cr_assert_eq(ds.count, (size_t)N_REC);
    cr_assert_str_eq(ds.meta, meta);
    cr_assert_eq(memcmp(ds.records, recs, N_REC * sizeof *recs), 0, "records differ after the round trip");
    dataset_free(&ds);

    DatasetReader *r = dataset_reader_open(path, &e);
    cr_assert_not_null(r, "%s", e.msg);
    const DatasetInfo *info = dataset_reader_info(r);
    cr_assert_eq(info->count, (uint64_t)N_REC);
    cr_assert_eq(info->record_size, sizeof(DatasetRecord));
    cr_assert_eq(info->payload_xxh64, (uint64_t)XXH64(recs, N_REC * sizeof *recs, 0));
    /* Compact: four records without a raster compress their zero BEV planes away. */
    cr_assert_lt(info->compressed_size, (uint64_t)(2 * sizeof(DatasetRecord)));
    DatasetRecord *one = malloc(sizeof *one);
    for (int i = 0; i < N_REC; i++) {
        cr_assert_eq(dataset_reader_next(r, one, &e), 1, "%s", e.msg);
        cr_assert_eq(memcmp(one, &recs[i], sizeof *one), 0, "record %d differs", i);
    }
    cr_assert_eq(dataset_reader_next(r, one, &e), 0, "%s", e.msg);
    cr_assert_eq(dataset_reader_next(r, one, &e), 0);
    dataset_reader_close(r);
    free(one);
    free(recs);
}

Test(dataset, empty_dataset, .init = make_dir, .fini = remove_dir) {
    char path[128];
    snprintf(path, sizeof path, "%s/empty.ds", dir);
    write_file(path, NULL, 0, NULL);
    Dataset ds;
    Err e = {{0}};
    cr_assert_eq(dataset_load(path, &ds, &e), 0, "%s", e.msg);
    cr_assert_eq(ds.count, 0);
    cr_assert_null(ds.records);
    cr_assert_str_eq(ds.meta, "{}");
    dataset_free(&ds);
    DatasetReader *r = dataset_reader_open(path, &e);
    DatasetRecord *one = malloc(sizeof *one);
    cr_assert_eq(dataset_reader_next(r, one, &e), 0, "%s", e.msg);
    free(one);
    dataset_reader_close(r);
}

Test(dataset, atomic_replace_and_abort, .init = make_dir, .fini = remove_dir) {
    char path[128];
    snprintf(path, sizeof path, "%s/demo.ds", dir);
    DatasetRecord *recs = make_records(2);
    write_file(path, recs, 2, "{\"v\": 1}");
    Err e = {{0}};
    /* An aborted writer leaves the existing file as it was and no temporary behind. */
    DatasetWriter *w = dataset_writer_create(path, "{\"v\": 2}", 0, &e);
    cr_assert_not_null(w);
    cr_assert_eq(dataset_writer_append(w, &recs[0], &e), 0);
    cr_assert_eq(count_entries(), 2);
    dataset_writer_abort(w);
    cr_assert_eq(count_entries(), 1);
    Dataset ds;
    cr_assert_eq(dataset_load(path, &ds, &e), 0, "%s", e.msg);
    cr_assert_eq(ds.count, 2);
    cr_assert_str_eq(ds.meta, "{\"v\": 1}");
    dataset_free(&ds);
    /* A closed one replaces it. */
    write_file(path, recs, 1, "{\"v\": 3}");
    cr_assert_eq(dataset_load(path, &ds, &e), 0, "%s", e.msg);
    cr_assert_eq(ds.count, 1);
    cr_assert_str_eq(ds.meta, "{\"v\": 3}");
    dataset_free(&ds);
    /* Invalid metadata is refused before anything is created. */
    cr_assert_null(dataset_writer_create(path, "{not json", 0, &e));
    cr_assert(strstr(e.msg, "metadata is not valid JSON"), "%s", e.msg);
    cr_assert_eq(count_entries(), 1);
    free(recs);
}

/* ---- Corruption --------------------------------------------------------------------------- */
static unsigned char *file_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 64);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void put_bytes(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert_eq(fwrite(b, 1, len, f), len);
    fclose(f);
}

static uint32_t rd32(const unsigned char *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static void wr32(unsigned char *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static uint64_t rd64(const unsigned char *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }
static void wr64(unsigned char *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

/* Re-seals the header checksum after a deliberate edit, so the check under test is the one hit. */
static void reseal(unsigned char *b) {
    size_t body = rd32(b, 16) - 8;
    wr64(b, body, XXH64(b, body, 0));
}

/* Both dataset_load and iterating to the end must fail with the message. */
static void expect_corrupt(const char *path, const char *needle) {
    Dataset ds;
    Err e = {{0}};
    cr_assert_eq(dataset_load(path, &ds, &e), -1, "corrupt file loaded (%s)", needle);
    cr_assert_null(ds.records);
    cr_assert(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
    cr_assert(strstr(e.msg, path), "message '%s' does not name the file", e.msg);
    DatasetReader *r = dataset_reader_open(path, &e);
    if (!r) return;
    DatasetRecord *one = malloc(sizeof *one);
    int rc;
    while ((rc = dataset_reader_next(r, one, &e)) == 1) {}
    cr_assert_eq(rc, -1, "iterating a corrupt file ended cleanly (%s)", needle);
    cr_assert(strstr(e.msg, needle), "iterating: message '%s' lacks '%s'", e.msg, needle);
    free(one);
    dataset_reader_close(r);
}

typedef void (*Patch)(unsigned char *b, size_t *len);

static void check_patch(Patch patch, const char *needle) {
    char good[128], bad[128];
    snprintf(good, sizeof good, "%s/good.ds", dir);
    snprintf(bad, sizeof bad, "%s/bad.ds", dir);
    DatasetRecord *recs = make_records(N_REC);
    write_file(good, recs, N_REC, "{\"k\": \"meta\"}");
    free(recs);
    size_t len;
    unsigned char *b = file_bytes(good, &len);
    patch(b, &len);
    put_bytes(bad, b, len);
    free(b);
    expect_corrupt(bad, needle);
}

static void p_magic(unsigned char *b, size_t *len) { (void)len; b[3] = 'X'; }
static void p_version(unsigned char *b, size_t *len) { (void)len; wr32(b, 8, 2); reseal(b); }
static void p_endian(unsigned char *b, size_t *len) { (void)len; wr32(b, 12, 0x04030201u); }
static void p_header_byte(unsigned char *b, size_t *len) { (void)len; b[DATASET_FIXED_HEADER + 2] ^= 0x20; }
static void p_layout(unsigned char *b, size_t *len) { (void)len; wr32(b, 60 + 4 * 3, 16); reseal(b); }
static void p_record_size(unsigned char *b, size_t *len) { (void)len; wr32(b, 20, rd32(b, 20) + 4); reseal(b); }
static void p_trunc_payload(unsigned char *b, size_t *len) { (void)b; *len -= 10; }
static void p_trunc_header(unsigned char *b, size_t *len) { (void)b; *len = 100; }
static void p_trailing(unsigned char *b, size_t *len) { memset(b + *len, 0, 16); *len += 16; }
static void p_checksum(unsigned char *b, size_t *len) { (void)len; wr64(b, 48, rd64(b, 48) ^ 1); reseal(b); }
static void p_payload_byte(unsigned char *b, size_t *len) { b[rd32(b, 16) + (*len - rd32(b, 16)) / 2] ^= 0xff; }
static void p_count_more(unsigned char *b, size_t *len) {
    (void)len;
    wr64(b, 24, rd64(b, 24) + 1);
    wr64(b, 32, rd64(b, 32) + sizeof(DatasetRecord));
    reseal(b);
}
static void p_count_less(unsigned char *b, size_t *len) {
    (void)len;
    wr64(b, 24, rd64(b, 24) - 1);
    wr64(b, 32, rd64(b, 32) - sizeof(DatasetRecord));
    reseal(b);
}
static void p_count_inconsistent(unsigned char *b, size_t *len) { (void)len; wr64(b, 24, rd64(b, 24) + 1); reseal(b); }

Test(dataset, bad_magic, .init = make_dir, .fini = remove_dir) { check_patch(p_magic, "not a craft dataset (bad magic)"); }
Test(dataset, other_version, .init = make_dir, .fini = remove_dir) {
    check_patch(p_version, "dataset format version 2, this build reads version 1");
}
Test(dataset, other_endianness, .init = make_dir, .fini = remove_dir) { check_patch(p_endian, "other byte order"); }
Test(dataset, header_checksum, .init = make_dir, .fini = remove_dir) { check_patch(p_header_byte, "header checksum mismatch"); }
Test(dataset, layout_differs, .init = make_dir, .fini = remove_dir) {
    check_patch(p_layout, "written with OBS_AGENTS = 16, this build has 32");
}
Test(dataset, record_size_differs, .init = make_dir, .fini = remove_dir) { check_patch(p_record_size, "records of"); }
Test(dataset, truncated_payload, .init = make_dir, .fini = remove_dir) { check_patch(p_trunc_payload, "truncated"); }
Test(dataset, truncated_header, .init = make_dir, .fini = remove_dir) { check_patch(p_trunc_header, "truncated header"); }
Test(dataset, trailing_bytes, .init = make_dir, .fini = remove_dir) { check_patch(p_trailing, "unexpected bytes after the payload"); }
Test(dataset, payload_checksum, .init = make_dir, .fini = remove_dir) { check_patch(p_checksum, "payload checksum mismatch"); }
Test(dataset, corrupt_payload_byte, .init = make_dir, .fini = remove_dir) { check_patch(p_payload_byte, "corrupt"); }
Test(dataset, count_larger_than_payload, .init = make_dir, .fini = remove_dir) { check_patch(p_count_more, "fewer records"); }
Test(dataset, count_smaller_than_payload, .init = make_dir, .fini = remove_dir) { check_patch(p_count_less, "more records"); }
Test(dataset, count_inconsistent, .init = make_dir, .fini = remove_dir) {
    check_patch(p_count_inconsistent, "payload size does not match the record count");
}

Test(dataset, missing_file) {
    Dataset ds;
    Err e = {{0}};
    cr_assert_eq(dataset_load("/nonexistent/x.ds", &ds, &e), -1);
    cr_assert(strstr(e.msg, "/nonexistent/x.ds: cannot open"), "%s", e.msg);
}
