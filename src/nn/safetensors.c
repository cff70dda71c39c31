/* safetensors save/load. The file is read whole (checkpoints are megabytes) and validated in full
 * before a single value is copied, so a bad file never leaves a half-loaded model. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "craft/nn_safetensors.h"
#include "craft/atomic_file.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; add byte swapping for this host"
#endif

#define MAX_HEADER_BYTES (100u << 20) /* the Python package's limit */

int nn_meta_set(NnMeta *m, const char *key, const char *val) {
    if (strlen(key) >= NN_META_KEY || strlen(val) >= NN_META_VAL) return -1;
    int i = 0;
    while (i < m->n && strcmp(m->key[i], key)) i++;
    if (i == m->n) {
        if (m->n == NN_META_MAX) return -1;
        m->n++;
    }
    snprintf(m->key[i], NN_META_KEY, "%s", key);
    snprintf(m->val[i], NN_META_VAL, "%s", val);
    return 0;
}

const char *nn_meta_get(const NnMeta *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->key[i], key)) return m->val[i];
    return NULL;
}

/* ------------------------------------------------------------------ save */

static int cmp_by_name(const void *a, const void *b, void *ctx) {
    const NnParams *p = ctx;
    return strcmp(p->tensors[*(const int *)a].name, p->tensors[*(const int *)b].name);
}

static char *build_header(const NnParams *p, const int *order, const NnMeta *meta, size_t *len) {
    cJSON *root = cJSON_CreateObject();
    if (meta && meta->n > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < meta->n; i++) cJSON_AddStringToObject(m, meta->key[i], meta->val[i]);
    }
    size_t off = 0;
    for (int k = 0; k < p->n; k++) {
        const NnTensor *t = &p->tensors[order[k]];
        cJSON *o = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(o, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber(t->shape[d]));
        cJSON *offs = cJSON_AddArrayToObject(o, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += t->numel * sizeof(float);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return NULL;
    size_t n = strlen(json), padded = n + (8 - n % 8) % 8; /* data then starts 8-byte aligned */
    char *h = realloc(json, padded + 1);
    if (!h) {
        free(json);
        return NULL;
    }
    memset(h + n, ' ', padded - n);
    h[padded] = '\0';
    *len = padded;
    return h;
}

static int write_all(FILE *f, const NnParams *p, const int *order, const char *header, size_t hlen) {
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(header, 1, hlen, f) != hlen) return -1;
    for (int k = 0; k < p->n; k++) {
        const NnTensor *t = &p->tensors[order[k]];
        if (fwrite(nn_w(p, order[k]), sizeof(float), t->numel, f) != t->numel) return -1;
    }
    return 0;
}

int nn_safetensors_save(const char *path, const NnParams *p, const NnMeta *meta, Err *e) {
    if (!p->values) return err_set(e, "save %s: parameter store not allocated", path);
    int *order = malloc((size_t)p->n * sizeof *order);
    if (!order) return err_set(e, "save %s: out of memory", path);
    for (int i = 0; i < p->n; i++) order[i] = i;
    qsort_r(order, (size_t)p->n, sizeof *order, cmp_by_name, (void *)p);
    size_t hlen = 0;
    char *header = build_header(p, order, meta, &hlen);
    if (!header) {
        free(order);
        return err_set(e, "save %s: out of memory building the header", path);
    }
    AtomicFile af;
    int rc = atomic_file_open(&af, path, e);
    if (!rc && write_all(af.f, p, order, header, hlen)) {
        atomic_file_abort(&af);
        rc = err_set(e, "save %s: write failed (%m); the previous checkpoint, if any, is untouched", path);
    } else if (!rc) {
        rc = atomic_file_commit(&af, e);
    }
    free(header);
    free(order);
    return rc;
}

/* ------------------------------------------------------------------ load */

/* Problems found in a file: all are counted, as many as fit are spelled out in the message. */
typedef struct {
    char text[440];
    size_t len;
    int n, shown;
} Problems;

static void problem(Problems *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(Problems *pr, const char *fmt, ...) {
    char one[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    pr->n++;
    size_t need = strlen(one) + 2;
    if (pr->shown == pr->n - 1 && pr->len + need < sizeof pr->text) {
        pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, "%s%s", pr->len ? "; " : "", one);
        pr->shown++;
    }
}

static void shape_str(char *buf, size_t cap, const int64_t *shape, int ndim) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && n < cap; d++) n += (size_t)snprintf(buf + n, cap - n, d ? ",%lld" : "%lld", (long long)shape[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static int as_u64(const cJSON *x, uint64_t *out) {
    if (!cJSON_IsNumber(x)) return -1;
    double d = x->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) return -1;
    *out = (uint64_t)d;
    return 0;
}

typedef struct { uint64_t begin, end; int id; } Entry; /* id: tensor in store, -1 if none */

static int cmp_entry(const void *a, const void *b) {
    const Entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* Checks one tensor entry; returns 0 and fills en when its offsets are usable. */
static int check_entry(Problems *pr, const NnParams *p, const cJSON *item, uint64_t data_size, Entry *en, int *seen) {
    const char *name = item->string;
    en->id = -1;
    en->begin = 1; /* begin > end marks "offsets unusable" for the contiguity check */
    en->end = 0;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsObject(item) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2) {
        problem(pr, "tensor '%s': entry needs \"dtype\" (string), \"shape\" (array), \"data_offsets\" ([begin,end])", name);
        return -1;
    }
    int ndim = cJSON_GetArraySize(shape);
    int64_t dims[16];
    uint64_t numel = 1;
    if (ndim > 16) {
        problem(pr, "tensor '%s': %d dimensions", name, ndim);
        return -1;
    }
    for (int d = 0; d < ndim; d++) {
        uint64_t v;
        if (as_u64(cJSON_GetArrayItem(shape, d), &v) || v > (1u << 31)) {
            problem(pr, "tensor '%s': shape entry %d is not a non-negative integer", name, d);
            return -1;
        }
        dims[d] = (int64_t)v;
        numel *= v;
    }
    char sh[96];
    shape_str(sh, sizeof sh, dims, ndim);
    uint64_t b, e;
    if (as_u64(cJSON_GetArrayItem(offs, 0), &b) || as_u64(cJSON_GetArrayItem(offs, 1), &e)) {
        problem(pr, "tensor '%s': data_offsets are not non-negative integers", name);
        return -1;
    }
    int ok = 1;
    if (b > e || e > data_size) {
        problem(pr, "tensor '%s': data_offsets [%llu,%llu] out of range (data section is %llu bytes; file truncated?)",
                name, (unsigned long long)b, (unsigned long long)e, (unsigned long long)data_size);
        ok = 0;
    }
    if (strcmp(dtype->valuestring, "F32")) {
        problem(pr, "tensor '%s': dtype %s, expected F32", name, dtype->valuestring);
        ok = 0;
    } else if (ok && e - b != numel * 4) {
        problem(pr, "tensor '%s': data_offsets span %llu bytes but F32 %s needs %llu", name,
                (unsigned long long)(e - b), sh, (unsigned long long)(numel * 4));
        ok = 0;
    }
    int id = nn_params_find(p, name);
    if (id < 0) {
        problem(pr, "unexpected tensor '%s' %s (not in the model)", name, sh);
    } else if (seen[id]++) {
        problem(pr, "tensor '%s' appears twice", name);
        id = -1;
    } else {
        const NnTensor *t = &p->tensors[id];
        int same = ndim == t->ndim;
        for (int d = 0; same && d < ndim; d++) same = dims[d] == t->shape[d];
        if (!same) {
            int64_t want[NN_MAX_DIMS];
            char ws[96];
            for (int d = 0; d < t->ndim; d++) want[d] = t->shape[d];
            shape_str(ws, sizeof ws, want, t->ndim);
            problem(pr, "tensor '%s': shape %s in file, %s in model", name, sh, ws);
            ok = 0;
        }
    }
    if (b <= e && e <= data_size) {
        en->begin = b;
        en->end = e;
    }
    en->id = ok ? id : -1;
    return ok ? 0 : -1;
}

static unsigned char *read_file(const char *path, size_t *size, Err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "load %s: %m", path), NULL;
    unsigned char *buf = NULL;
    long sz = -1;
    if (!fseek(f, 0, SEEK_END)) sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return err_set(e, "load %s: cannot determine the file size", path), NULL;
    }
    buf = malloc((size_t)sz + 1);
    if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        fclose(f);
        return err_set(e, "load %s: read failed", path), NULL;
    }
    fclose(f);
    *size = (size_t)sz;
    return buf;
}

static int load_parsed(const char *path, NnParams *p, const cJSON *root, const unsigned char *data,
                       uint64_t data_size, NnMeta *meta_out, Err *e) {
    Problems pr = {0};
    NnMeta meta = {0};
    int nent = cJSON_GetArraySize(root), ne = 0, rc = -1;
    Entry *ents = calloc((size_t)nent + 1, sizeof *ents);
    int *seen = calloc((size_t)p->n + 1, sizeof *seen);
    if (!ents || !seen) {
        err_set(e, "load %s: out of memory", path);
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (!strcmp(item->string, "__metadata__")) {
            const cJSON *kv;
            if (!cJSON_IsObject(item)) problem(&pr, "__metadata__ is not an object");
            else
                cJSON_ArrayForEach(kv, item) {
                    if (!cJSON_IsString(kv)) problem(&pr, "__metadata__ value '%s' is not a string", kv->string);
                    else if (nn_meta_set(&meta, kv->string, kv->valuestring))
                        problem(&pr, "__metadata__ '%s': too many or too long entries", kv->string);
                }
            continue;
        }
        check_entry(&pr, p, item, data_size, &ents[ne], seen);
        if (ents[ne].begin <= ents[ne].end) ne++; /* offsets usable: part of the contiguity check */
    }
    for (int i = 0; i < p->n; i++)
        if (!seen[i]) {
            const NnTensor *t = &p->tensors[i];
            int64_t d[NN_MAX_DIMS];
            char sh[96];
            for (int k = 0; k < t->ndim; k++) d[k] = t->shape[k];
            shape_str(sh, sizeof sh, d, t->ndim);
            problem(&pr, "missing tensor '%s' %s", t->name, sh);
        }
    /* The format stores tensors back to back: sorted by offset, each starts where the last ended
     * and the last ends at the end of the file. */
    qsort(ents, (size_t)ne, sizeof *ents, cmp_entry);
    uint64_t at = 0;
    for (int i = 0; i < ne; i++) {
        if (ents[i].begin != at) {
            problem(&pr, "data_offsets not contiguous: a tensor starts at byte %llu, expected %llu",
                    (unsigned long long)ents[i].begin, (unsigned long long)at);
            break;
        }
        at = ents[i].end;
    }
    if (pr.n == 0 && at != data_size)
        problem(&pr, "data section is %llu bytes but tensors cover %llu", (unsigned long long)data_size,
                (unsigned long long)at);
    if (pr.n) {
        if (pr.shown < pr.n) err_set(e, "load %s: %d problem(s): %s; ... and %d more", path, pr.n, pr.text, pr.n - pr.shown);
        else err_set(e, "load %s: %d problem(s): %s", path, pr.n, pr.text);
        goto done;
    }
    for (int i = 0; i < ne; i++) memcpy(nn_w(p, ents[i].id), data + ents[i].begin, ents[i].end - ents[i].begin);
    if (meta_out) *meta_out = meta;
    rc = 0;
done:
    free(ents);
    free(seen);
    return rc;
}

int nn_safetensors_load(const char *path, NnParams *p, NnMeta *meta_out, Err *e) {
    if (!p->values) return err_set(e, "load %s: parameter store not allocated", path);
    size_t size = 0;
    unsigned char *buf = read_file(path, &size, e);
    if (!buf) return -1;
    int rc = -1;
    uint64_t hlen = 0;
    if (size < 8) {
        err_set(e, "load %s: truncated: %zu bytes, shorter than the 8-byte header length", path, size);
        goto done;
    }
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen > size - 8 || hlen > MAX_HEADER_BYTES) {
        err_set(e, "load %s: header length %llu exceeds the file (%zu bytes): truncated or not safetensors", path,
                (unsigned long long)hlen, size);
        goto done;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    if (!root || !cJSON_IsObject(root)) {
        err_set(e, "load %s: malformed JSON header (%llu bytes)", path, (unsigned long long)hlen);
        cJSON_Delete(root);
        goto done;
    }
    rc = load_parsed(path, p, root, buf + 8 + hlen, size - 8 - hlen, meta_out, e);
    cJSON_Delete(root);
done:
    free(buf);
    return rc;
}

int nn_safetensors_read_meta(const char *path, NnMeta *meta_out, Err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "load %s: %m", path);
    unsigned char lenb[8];
    uint64_t hlen = 0;
    int rc = -1;
    char *hdr = NULL;
    cJSON *root = NULL;
    if (fread(lenb, 1, 8, f) != 8) {
        err_set(e, "load %s: truncated: shorter than the 8-byte header length", path);
        goto done;
    }
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)lenb[i] << (8 * i);
    if (hlen > MAX_HEADER_BYTES || !(hdr = malloc((size_t)hlen + 1)) || fread(hdr, 1, (size_t)hlen, f) != hlen) {
        err_set(e, "load %s: header length %llu: truncated or not safetensors", path, (unsigned long long)hlen);
        goto done;
    }
    root = cJSON_ParseWithLength(hdr, (size_t)hlen);
    if (!root || !cJSON_IsObject(root)) {
        err_set(e, "load %s: malformed JSON header (%llu bytes)", path, (unsigned long long)hlen);
        goto done;
    }
    NnMeta meta = {0};
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__"), *kv;
    if (md && !cJSON_IsObject(md)) {
        err_set(e, "load %s: __metadata__ is not an object", path);
        goto done;
    }
    if (md)
        cJSON_ArrayForEach(kv, md) {
            if (!cJSON_IsString(kv) || nn_meta_set(&meta, kv->string, kv->valuestring)) {
                err_set(e, "load %s: __metadata__ '%s' is not a short string", path, kv->string);
                goto done;
            }
        }
    *meta_out = meta;
    rc = 0;
done:
    cJSON_Delete(root);
    free(hdr);
    fclose(f);
    return rc;
}
