/* plot_jsonl — columns out of a JSONL log (one JSON object per line, as the trainers write them)
 * for plot_lines_png: an x column and one y column per requested key. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/plot.h"

#define PLOT_MAX_KEYS 16

/* obj[key], or obj[a][b]... for a dotted key that is not itself a member */
static const cJSON *member(const cJSON *obj, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it || !strchr(key, '.')) return it;
    char buf[256];
    if (strlen(key) >= sizeof buf) return NULL;
    strcpy(buf, key);
    it = obj;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && it; part = strtok_r(NULL, ".", &save))
        it = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, part) : NULL;
    return it;
}

static double number_or_nan(const cJSON *it) { return cJSON_IsNumber(it) ? it->valuedouble : NAN; }

void plot_data_free(PlotData *d) {
    if (!d) return;
    free(d->x);
    for (int k = 0; k < d->n_keys; k++) {
        if (d->y) free(d->y[k]);
        if (d->names) free(d->names[k]);
    }
    free(d->y);
    free(d->names);
    memset(d, 0, sizeof *d);
}

/* Makes room for row n (doubling); -1 when out of memory. */
static int grow(PlotData *d, int *cap) {
    if (d->n < *cap) return 0;
    int nc = *cap ? 2 * *cap : 256;
    double *x = realloc(d->x, sizeof(double) * (size_t)nc);
    if (!x) return -1;
    d->x = x;
    for (int k = 0; k < d->n_keys; k++) {
        double *y = realloc(d->y[k], sizeof(double) * (size_t)nc);
        if (!y) return -1;
        d->y[k] = y;
    }
    *cap = nc;
    return 0;
}

static int is_blank(const char *s) {
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

int plot_jsonl_load(const char *jsonl, const char *x_key, const char **y_keys, int n, PlotData *out, Err *e) {
    if (!out) return err_set(e, "plot: NULL output");
    memset(out, 0, sizeof *out);
    if (!jsonl || !x_key || !*x_key) return err_set(e, "plot: need a log file and an x key");
    if (n < 1 || n > PLOT_MAX_KEYS || !y_keys) return err_set(e, "plot: need 1..%d y keys, got %d", PLOT_MAX_KEYS, n);
    for (int k = 0; k < n; k++)
        if (!y_keys[k] || !*y_keys[k]) return err_set(e, "plot: y key %d is empty", k + 1);
    FILE *f = fopen(jsonl, "r");
    if (!f) return err_set(e, "cannot read %s: %s", jsonl, strerror(errno));
    out->y = calloc((size_t)n, sizeof(double *));
    out->names = calloc((size_t)n, sizeof(char *));
    int rc = 0, cap = 0;
    if (!out->y || !out->names) rc = err_set(e, "plot: out of memory");
    out->n_keys = out->y && out->names ? n : 0;
    for (int k = 0; !rc && k < n; k++)
        if (!(out->names[k] = strdup(y_keys[k]))) rc = err_set(e, "plot: out of memory");
    char *line = NULL;
    size_t line_cap = 0;
    long lineno = 0;
    while (!rc && getline(&line, &line_cap, f) >= 0) {
        lineno++;
        if (is_blank(line)) continue;
        cJSON *obj = cJSON_Parse(line);
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            rc = err_set(e, "%s:%ld: not a JSON object", jsonl, lineno);
            break;
        }
        double x = number_or_nan(member(obj, x_key));
        if (isfinite(x)) {
            if (grow(out, &cap)) rc = err_set(e, "plot: out of memory");
            else {
                out->x[out->n] = x;
                for (int k = 0; k < n; k++) out->y[k][out->n] = number_or_nan(member(obj, y_keys[k]));
                out->n++;
            }
        }
        cJSON_Delete(obj);
    }
    free(line);
    if (!rc && ferror(f)) rc = err_set(e, "error reading %s", jsonl);
    fclose(f);
    if (!rc && out->n == 0) rc = err_set(e, "%s: no line has a numeric '%s'", jsonl, x_key);
    if (rc) plot_data_free(out);
    return rc;
}

int plot_jsonl_png(const char *jsonl, const char *x_key, const char **y_keys, int n, const char *out, Err *e) {
    PlotData d;
    if (plot_jsonl_load(jsonl, x_key, y_keys, n, &d, e)) return -1;
    PlotSeries series[PLOT_MAX_KEYS];
    for (int k = 0; k < d.n_keys; k++) series[k] = (PlotSeries){d.names[k], d.x, d.y[k], d.n};
    const char *base = strrchr(jsonl, '/');
    PlotSpec spec = {.title = base ? base + 1 : jsonl, .x_label = x_key, .y_label = n == 1 ? y_keys[0] : NULL,
                     .series = series, .n_series = d.n_keys};
    int rc = plot_lines_png(out, &spec, e);
    plot_data_free(&d);
    return rc;
}
