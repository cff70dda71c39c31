/* dataset — demonstration files: header + one zstd frame of raw records + checksums
 * (include/craft/dataset.h has the byte layout). The writer streams records through one zstd
 * context into a temporary file and patches the header in place when it closes; the reader checks
 * the header before touching the payload and the payload checksum once the last record is out. */
#include "craft/dataset.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <zstd.h>
#include "craft/policy.h"
#include "craft/atomic_file.h"

_Static_assert(sizeof(DatasetRecord) == sizeof(Obs) + sizeof(Traj) + 4 * sizeof(int32_t),
               "DatasetRecord must have no padding: its bytes are written as they are");

#define ENDIAN_MARK 0x01020304u
#define MAX_META (1u << 20)

static const char *const LAYOUT_NAMES[DATASET_N_LAYOUT] = {
    "OBS_EGO_DIM", "OBS_ROUTE_PTS", "OBS_ROUTE_DIM", "OBS_AGENTS", "OBS_AGENT_DIM", "OBS_MAP_POLYS",
    "OBS_MAP_PTS", "OBS_MAP_PT_DIM", "OBS_MAP_META_DIM", "OBS_BEV", "OBS_BEV_CH", "OBS_INSTR_LEN",
    "TRAJ_MAX", "CMD_COUNT", "BEHAVIOUR_COUNT", "sizeof(Obs)",
};

const char *const *dataset_layout_names(void) { return LAYOUT_NAMES; }

void dataset_layout_current(uint32_t layout[DATASET_N_LAYOUT]) {
    const uint32_t v[DATASET_N_LAYOUT] = {
        OBS_EGO_DIM, OBS_ROUTE_PTS, OBS_ROUTE_DIM, OBS_AGENTS, OBS_AGENT_DIM, OBS_MAP_POLYS,
        OBS_MAP_PTS, OBS_MAP_PT_DIM, OBS_MAP_META_DIM, OBS_BEV, OBS_BEV_CH, OBS_INSTR_LEN,
        TRAJ_MAX, CMD_COUNT, BEHAVIOUR_COUNT, (uint32_t)sizeof(Obs),
    };
    memcpy(layout, v, sizeof v);
}

/* ---- Header --------------------------------------------------------------------------------- */
typedef struct {
    uint32_t version, header_len, record_size;
    uint64_t count, payload_size, compressed_size, payload_xxh64;
    uint32_t layout[DATASET_N_LAYOUT];
    uint32_t meta_len;
} Header;

static void put32(unsigned char *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(unsigned char *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static uint32_t get32(const unsigned char *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static uint64_t get64(const unsigned char *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }

/* Serialises the header with its checksum into buf (header_len bytes). */
static void header_encode(const Header *h, const char *meta, unsigned char *buf) {
    memcpy(buf, DATASET_MAGIC, 8);
    put32(buf, 8, h->version);
    put32(buf, 12, ENDIAN_MARK);
    put32(buf, 16, h->header_len);
    put32(buf, 20, h->record_size);
    put64(buf, 24, h->count);
    put64(buf, 32, h->payload_size);
    put64(buf, 40, h->compressed_size);
    put64(buf, 48, h->payload_xxh64);
    put32(buf, 56, DATASET_N_LAYOUT);
    for (int i = 0; i < DATASET_N_LAYOUT; i++) put32(buf, 60 + 4 * (size_t)i, h->layout[i]);
    put32(buf, 124, h->meta_len);
    memcpy(buf + DATASET_FIXED_HEADER, meta, h->meta_len);
    size_t body = DATASET_FIXED_HEADER + h->meta_len;
    put64(buf, body, XXH64(buf, body, 0));
}

/* ---- Writer --------------------------------------------------------------------------------- */
struct DatasetWriter {
    AtomicFile file;
    ZSTD_CCtx *zc;
    XXH64_state_t *xxh;
    unsigned char *out;          /* compressed staging buffer, ZSTD_CStreamOutSize() bytes */
    size_t out_cap;
    Header h;
    char *meta;
    unsigned char *header_buf;   /* header_len bytes */
    int failed;                  /* an append failed: close must not commit */
};

static void writer_free(DatasetWriter *w) {
    ZSTD_freeCCtx(w->zc);
    if (w->xxh) XXH64_freeState(w->xxh);
    free(w->out);
    free(w->meta);
    free(w->header_buf);
    free(w);
}

DatasetWriter *dataset_writer_create(const char *path, const char *meta_json, int zstd_level, Err *e) {
    if (!meta_json) meta_json = "{}";
    size_t meta_len = strlen(meta_json);
    if (meta_len > MAX_META) {
        err_set(e, "%s: metadata of %zu bytes exceeds the %u-byte limit", path, meta_len, MAX_META);
        return NULL;
    }
    cJSON *probe = cJSON_Parse(meta_json);
    if (!probe) {
        err_set(e, "%s: the metadata is not valid JSON", path);
        return NULL;
    }
    cJSON_Delete(probe);
    DatasetWriter *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    w->h.version = DATASET_VERSION;
    w->h.record_size = (uint32_t)sizeof(DatasetRecord);
    w->h.meta_len = (uint32_t)meta_len;
    w->h.header_len = DATASET_FIXED_HEADER + (uint32_t)meta_len + 8;
    dataset_layout_current(w->h.layout);
    w->out_cap = ZSTD_CStreamOutSize();
    w->meta = strdup(meta_json);
    w->header_buf = malloc(w->h.header_len);
    w->out = malloc(w->out_cap);
    w->zc = ZSTD_createCCtx();
    w->xxh = XXH64_createState();
    if (!w->meta || !w->header_buf || !w->out || !w->zc || !w->xxh) {
        err_set(e, "%s: out of memory", path);
        writer_free(w);
        return NULL;
    }
    XXH64_reset(w->xxh, 0);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, zstd_level ? zstd_level : 3);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 0); /* our own XXH64 covers the payload */
    if (atomic_file_open(&w->file, path, e)) {
        writer_free(w);
        return NULL;
    }
    /* Placeholder header: the real one is written at close, once count and sizes are known. */
    header_encode(&w->h, w->meta, w->header_buf);
    if (fwrite(w->header_buf, 1, w->h.header_len, w->file.f) != w->h.header_len) {
        err_set(e, "%s: write failed: %s", path, strerror(errno));
        atomic_file_abort(&w->file);
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Feeds input (possibly empty) to zstd with the given directive and writes what comes out. */
static int writer_compress(DatasetWriter *w, const void *src, size_t n, ZSTD_EndDirective mode, Err *e) {
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        size_t left = ZSTD_compressStream2(w->zc, &out, &in, mode);
        if (ZSTD_isError(left)) return err_set(e, "%s: zstd: %s", w->file.path, ZSTD_getErrorName(left));
        if (out.pos && fwrite(w->out, 1, out.pos, w->file.f) != out.pos)
            return err_set(e, "%s: write failed: %s", w->file.path, strerror(errno));
        w->h.compressed_size += out.pos;
        int done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
        if (done) return 0;
    }
}

int dataset_writer_append(DatasetWriter *w, const DatasetRecord *r, Err *e) {
    if (w->failed) return err_set(e, "%s: an earlier write failed", w->file.path);
    if (writer_compress(w, r, sizeof *r, ZSTD_e_continue, e)) {
        w->failed = 1;
        return -1;
    }
    XXH64_update(w->xxh, r, sizeof *r);
    w->h.count++;
    w->h.payload_size += sizeof *r;
    return 0;
}

uint64_t dataset_writer_count(const DatasetWriter *w) { return w->h.count; }

int dataset_writer_close(DatasetWriter *w, Err *e) {
    if (w->failed) {
        err_set(e, "%s: not written: an earlier append failed", w->file.path);
        dataset_writer_abort(w);
        return -1;
    }
    if (writer_compress(w, NULL, 0, ZSTD_e_end, e)) {
        dataset_writer_abort(w);
        return -1;
    }
    w->h.payload_xxh64 = XXH64_digest(w->xxh);
    header_encode(&w->h, w->meta, w->header_buf);
    if (fseek(w->file.f, 0, SEEK_SET) != 0 || fwrite(w->header_buf, 1, w->h.header_len, w->file.f) != w->h.header_len) {
        err_set(e, "%s: cannot write the header: %s", w->file.path, strerror(errno));
        dataset_writer_abort(w);
        return -1;
    }
    int rc = atomic_file_commit(&w->file, e);
    writer_free(w);
    return rc;
}

void dataset_writer_abort(DatasetWriter *w) {
    if (!w) return;
    atomic_file_abort(&w->file);
    writer_free(w);
}

/* ---- Reader --------------------------------------------------------------------------------- */
struct DatasetReader {
    FILE *f;
    char *path;
    DatasetInfo info;
    ZSTD_DCtx *zd;
    XXH64_state_t *xxh;
    unsigned char *in;           /* compressed input buffer */
    size_t in_cap;
    ZSTD_inBuffer zin;
    uint64_t compressed_left;    /* payload bytes not read from the file yet */
    uint64_t delivered;          /* records returned */
    size_t frame_left;           /* last ZSTD_decompressStream hint: 0 = frame complete */
    int done, failed;
};

void dataset_reader_close(DatasetReader *r) {
    if (!r) return;
    if (r->f) fclose(r->f);
    ZSTD_freeDCtx(r->zd);
    if (r->xxh) XXH64_freeState(r->xxh);
    free(r->in);
    free(r->info.meta);
    free(r->path);
    free(r);
}

static DatasetReader *open_fail(DatasetReader *r) {
    dataset_reader_close(r);
    return NULL;
}

/* Header checks in the order that gives the most telling message: magic and version first (a file
 * of another version may lay its header out differently), then integrity, then compatibility. */
static int read_header(DatasetReader *r, Err *e) {
    const char *p = r->path;
    unsigned char fixed[DATASET_FIXED_HEADER];
    size_t got = fread(fixed, 1, sizeof fixed, r->f);
    if (got >= 8 && memcmp(fixed, DATASET_MAGIC, 8) != 0)
        return err_set(e, "%s: not a craft dataset (bad magic)", p);
    if (got < sizeof fixed) return err_set(e, "%s: truncated header (%zu of %d bytes)", p, got, DATASET_FIXED_HEADER);
    uint32_t version = get32(fixed, 8);
    if (version != DATASET_VERSION)
        return err_set(e, "%s: dataset format version %u, this build reads version %u", p, version, DATASET_VERSION);
    if (get32(fixed, 12) != ENDIAN_MARK) return err_set(e, "%s: written on a machine of the other byte order", p);
    uint32_t meta_len = get32(fixed, 124), header_len = get32(fixed, 16);
    if (meta_len > MAX_META || header_len != DATASET_FIXED_HEADER + meta_len + 8 || get32(fixed, 56) != DATASET_N_LAYOUT)
        return err_set(e, "%s: corrupt header (inconsistent lengths)", p);
    unsigned char *hdr = malloc(header_len);
    r->info.meta = malloc((size_t)meta_len + 1);
    if (!hdr || !r->info.meta) {
        free(hdr);
        return err_set(e, "%s: out of memory", p);
    }
    memcpy(hdr, fixed, sizeof fixed);
    size_t rest = header_len - DATASET_FIXED_HEADER;
    got = fread(hdr + DATASET_FIXED_HEADER, 1, rest, r->f);
    if (got < rest) {
        free(hdr);
        return err_set(e, "%s: truncated header (%zu of %u bytes)", p, DATASET_FIXED_HEADER + got, header_len);
    }
    size_t body = DATASET_FIXED_HEADER + meta_len;
    int bad_sum = XXH64(hdr, body, 0) != get64(hdr, body);
    memcpy(r->info.meta, hdr + DATASET_FIXED_HEADER, meta_len);
    r->info.meta[meta_len] = '\0';
    free(hdr);
    if (bad_sum) return err_set(e, "%s: header checksum mismatch (the header is corrupt)", p);
    uint32_t want[DATASET_N_LAYOUT];
    dataset_layout_current(want);
    for (int i = 0; i < DATASET_N_LAYOUT; i++) {
        uint32_t have = get32(fixed, 60 + 4 * (size_t)i);
        if (have != want[i])
            return err_set(e, "%s: written with %s = %u, this build has %u: re-collect the dataset", p,
                           LAYOUT_NAMES[i], have, want[i]);
    }
    r->info.version = version;
    r->info.record_size = get32(fixed, 20);
    r->info.count = get64(fixed, 24);
    r->info.payload_size = get64(fixed, 32);
    r->info.compressed_size = get64(fixed, 40);
    r->info.payload_xxh64 = get64(fixed, 48);
    if (r->info.record_size != sizeof(DatasetRecord))
        return err_set(e, "%s: records of %u bytes, this build's are %zu", p, r->info.record_size, sizeof(DatasetRecord));
    if (r->info.count > UINT64_MAX / sizeof(DatasetRecord) || r->info.payload_size != r->info.count * sizeof(DatasetRecord))
        return err_set(e, "%s: corrupt header (payload size does not match the record count)", p);
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0) return err_set(e, "%s: %s", p, strerror(errno));
    uint64_t have = (uint64_t)st.st_size - header_len, want_bytes = r->info.compressed_size;
    if (have < want_bytes)
        return err_set(e, "%s: truncated: %llu payload bytes of %llu", p, (unsigned long long)have,
                       (unsigned long long)want_bytes);
    if (have > want_bytes)
        return err_set(e, "%s: %llu unexpected bytes after the payload", p, (unsigned long long)(have - want_bytes));
    r->compressed_left = want_bytes;
    return 0;
}

DatasetReader *dataset_reader_open(const char *path, Err *e) {
    DatasetReader *r = calloc(1, sizeof *r);
    if (!r) {
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    r->path = strdup(path);
    r->in_cap = ZSTD_DStreamInSize();
    r->in = malloc(r->in_cap);
    r->zd = ZSTD_createDCtx();
    r->xxh = XXH64_createState();
    if (!r->path || !r->in || !r->zd || !r->xxh) {
        err_set(e, "%s: out of memory", path);
        return open_fail(r);
    }
    XXH64_reset(r->xxh, 0);
    r->zin = (ZSTD_inBuffer){r->in, 0, 0};
    r->frame_left = 1;
    r->f = fopen(path, "rb");
    if (!r->f) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return open_fail(r);
    }
    if (read_header(r, e)) return open_fail(r);
    return r;
}

const DatasetInfo *dataset_reader_info(const DatasetReader *r) { return &r->info; }

/* Refills the compressed input when it is used up; -1 on a read error. */
static int refill(DatasetReader *r, Err *e) {
    if (r->zin.pos < r->zin.size || r->compressed_left == 0) return 0;
    size_t want = r->compressed_left < r->in_cap ? (size_t)r->compressed_left : r->in_cap;
    size_t got = fread(r->in, 1, want, r->f);
    if (got == 0) return err_set(e, "%s: read failed after %llu payload bytes", r->path,
                                 (unsigned long long)(r->info.compressed_size - r->compressed_left));
    r->compressed_left -= got;
    r->zin = (ZSTD_inBuffer){r->in, got, 0};
    return 0;
}

/* Decompresses exactly n bytes into dst (n = 0: drives the frame to its end). 0 ok, -1 error. */
static int decompress_into(DatasetReader *r, void *dst, size_t n, Err *e) {
    ZSTD_outBuffer out = {dst, n, 0};
    unsigned char sink;
    ZSTD_outBuffer probe = {&sink, 1, 0};
    ZSTD_outBuffer *o = n ? &out : &probe;
    while (n ? out.pos < n : r->frame_left != 0) {
        if (refill(r, e)) return -1;
        if (r->frame_left == 0) /* the frame is complete but more records were promised */
            return err_set(e, "%s: the payload holds fewer records than the header's %llu", r->path,
                           (unsigned long long)r->info.count);
        size_t out_before = o->pos, in_before = r->zin.pos;
        size_t ret = ZSTD_decompressStream(r->zd, o, &r->zin);
        if (ZSTD_isError(ret)) return err_set(e, "%s: corrupt payload (zstd: %s)", r->path, ZSTD_getErrorName(ret));
        r->frame_left = ret;
        if (probe.pos)
            return err_set(e, "%s: the payload holds more records than the header's %llu", r->path,
                           (unsigned long long)r->info.count);
        if (ret != 0 && o->pos == out_before && r->zin.pos == in_before)
            return err_set(e, "%s: truncated or corrupt payload (the compressed frame ends early)", r->path);
    }
    return 0;
}

int dataset_reader_next(DatasetReader *r, DatasetRecord *out, Err *e) {
    if (r->failed) return err_set(e, "%s: reading already failed", r->path);
    if (r->done) return 0;
    if (r->delivered < r->info.count) {
        if (!out) return r->failed = 1, err_set(e, "%s: no record buffer given", r->path);
        if (decompress_into(r, out, sizeof *out, e)) return r->failed = 1, -1;
        XXH64_update(r->xxh, out, sizeof *out);
        r->delivered++;
        return 1;
    }
    /* After the last record: the frame must end exactly here, with no input left, and the
     * checksum of everything delivered must match. */
    if (decompress_into(r, NULL, 0, e)) return r->failed = 1, -1;
    if (r->zin.pos != r->zin.size || r->compressed_left != 0) {
        r->failed = 1;
        return err_set(e, "%s: trailing bytes after the compressed frame", r->path);
    }
    if (XXH64_digest(r->xxh) != r->info.payload_xxh64) {
        r->failed = 1;
        return err_set(e, "%s: payload checksum mismatch (the records are corrupt)", r->path);
    }
    r->done = 1;
    return 0;
}

int dataset_load(const char *path, Dataset *out, Err *e) {
    memset(out, 0, sizeof *out);
    DatasetReader *r = dataset_reader_open(path, e);
    if (!r) return -1;
    uint64_t n = r->info.count;
    if (n > SIZE_MAX / sizeof(DatasetRecord)) {
        dataset_reader_close(r);
        return err_set(e, "%s: %llu records do not fit in memory", path, (unsigned long long)n);
    }
    DatasetRecord *recs = n ? malloc((size_t)n * sizeof *recs) : NULL;
    if (n && !recs) {
        dataset_reader_close(r);
        return err_set(e, "%s: out of memory for %llu records", path, (unsigned long long)n);
    }
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        if (dataset_reader_next(r, &recs[i], e) != 1) rc = -1;
    if (rc == 0 && dataset_reader_next(r, NULL, e) != 0) rc = -1;
    if (rc) {
        free(recs);
        dataset_reader_close(r);
        return -1;
    }
    out->records = recs;
    out->count = (size_t)n;
    out->meta = r->info.meta;
    r->info.meta = NULL; /* ownership moves to the Dataset */
    dataset_reader_close(r);
    return 0;
}

void dataset_free(Dataset *d) {
    free(d->records);
    free(d->meta);
    memset(d, 0, sizeof *d);
}
