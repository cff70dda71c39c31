/* jsonl — append-only JSON-lines metrics log with resume truncation (include/craft/jsonl.h).
 * Metrics logs are small (one line per iteration), so a resume reads the whole file, finds the
 * cut and ftruncates it before appending. */
#include "craft/jsonl.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct JsonlLog {
    FILE *f;
    char *path;
    char *iter_key;
    long lines;
    int has_iter;
    double last_iter;
};

/* Whole file into a NUL-terminated buffer; a missing file is empty. */
static char *slurp(const char *path, size_t *len, Err *e) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return calloc(1, 1);
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        size_t got = fread(buf + *len, 1, cap - *len - 1, f);
        *len += got;
        if (got == 0) break;
        if (*len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        err_set(e, "%s: %s", path, buf ? "read failed" : "out of memory");
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* Reads iter_key of an object: 1 and *v if present, 0 if absent, -1 if not a number. */
static int line_iter(const cJSON *obj, const char *key, double *v) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it) return 0;
    if (!cJSON_IsNumber(it)) return -1;
    *v = it->valuedouble;
    return 1;
}

/* Finds where a resumed log must be cut; counts the kept lines and their last iteration. */
static int find_cut(JsonlLog *l, const char *text, size_t len, long long keep_through, size_t *cut, Err *e) {
    size_t pos = 0;
    long line_no = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl) break;                          /* torn last line: cut at its start */
        size_t end = (size_t)(nl - text);
        line_no++;
        cJSON *obj = cJSON_ParseWithLength(text + pos, end - pos);
        double v = 0.0;
        int has = obj && cJSON_IsObject(obj) ? line_iter(obj, l->iter_key, &v) : -2;
        cJSON_Delete(obj);
        if (has == -2) return err_set(e, "%s: line %ld is not a JSON object; not resuming over it", l->path, line_no);
        if (has == -1) return err_set(e, "%s: line %ld: \"%s\" is not a number", l->path, line_no, l->iter_key);
        if (has == 1 && v > (double)keep_through) break;
        if (has == 1) l->has_iter = 1, l->last_iter = v;
        l->lines++;
        pos = end + 1;
    }
    *cut = pos;
    return 0;
}

JsonlLog *jsonl_open(const char *path, const char *iter_key, long long keep_through, Err *e) {
    JsonlLog *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path)) || !(l->iter_key = strdup(iter_key))) {
        err_set(e, "%s: out of memory", path);
        jsonl_close(l);
        return NULL;
    }
    size_t cut = 0;
    if (keep_through >= 0) {
        size_t len;
        char *text = slurp(path, &len, e);
        if (!text) {
            jsonl_close(l);
            return NULL;
        }
        int rc = find_cut(l, text, len, keep_through, &cut, e);
        free(text);
        if (rc) {
            jsonl_close(l);
            return NULL;
        }
    }
    /* "a" creates the file; the cut then drops the tail (everything for a fresh run). */
    l->f = fopen(path, "a");
    if (!l->f || ftruncate(fileno(l->f), (off_t)cut) != 0) {
        err_set(e, "%s: cannot open for appending: %s", path, strerror(errno));
        jsonl_close(l);
        return NULL;
    }
    return l;
}

static int append_line(JsonlLog *l, const char *text, double iter, int has_iter, Err *e) {
    if (has_iter && l->has_iter && iter < l->last_iter)
        return err_set(e, "%s: %s %g after %g would duplicate an earlier iteration", l->path, l->iter_key, iter,
                       l->last_iter);
    size_t n = strlen(text);
    char *line = malloc(n + 2);
    if (!line) return err_set(e, "%s: out of memory", l->path);
    memcpy(line, text, n);
    line[n] = '\n', line[n + 1] = '\0';
    /* One fwrite of the whole line: with "a" mode it lands at the end in one piece. */
    int bad = fwrite(line, 1, n + 1, l->f) != n + 1 || fflush(l->f) != 0;
    free(line);
    if (bad) return err_set(e, "%s: write failed: %s", l->path, strerror(errno));
    l->lines++;
    if (has_iter) l->has_iter = 1, l->last_iter = iter;
    return 0;
}

int jsonl_write(JsonlLog *l, const cJSON *obj, Err *e) {
    if (!cJSON_IsObject(obj)) return err_set(e, "%s: a log line must be a JSON object", l->path);
    double iter = 0.0;
    int has = line_iter(obj, l->iter_key, &iter);
    if (has < 0) return err_set(e, "%s: \"%s\" must be a number", l->path, l->iter_key);
    char *text = cJSON_PrintUnformatted(obj);
    if (!text) return err_set(e, "%s: out of memory", l->path);
    int rc = append_line(l, text, iter, has, e);
    cJSON_free(text);
    return rc;
}

int jsonl_write_text(JsonlLog *l, const char *json, Err *e) {
    if (strchr(json, '\n')) return err_set(e, "%s: a log line may not contain a newline", l->path);
    cJSON *obj = cJSON_Parse(json);
    if (!obj) return err_set(e, "%s: not valid JSON: %.60s", l->path, json);
    int rc;
    double iter = 0.0;
    int has = cJSON_IsObject(obj) ? line_iter(obj, l->iter_key, &iter) : -2;
    if (has == -2) rc = err_set(e, "%s: a log line must be a JSON object", l->path);
    else if (has == -1) rc = err_set(e, "%s: \"%s\" must be a number", l->path, l->iter_key);
    else rc = append_line(l, json, iter, has, e);
    cJSON_Delete(obj);
    return rc;
}

long jsonl_line_count(const JsonlLog *l) { return l->lines; }
int jsonl_has_iter(const JsonlLog *l) { return l->has_iter; }
double jsonl_last_iter(const JsonlLog *l) { return l->last_iter; }

void jsonl_close(JsonlLog *l) {
    if (!l) return;
    if (l->f) fclose(l->f);
    free(l->path);
    free(l->iter_key);
    free(l);
}
