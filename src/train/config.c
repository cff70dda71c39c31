/* config — typed key/value configuration over a table of keys (include/craft/config.h).
 * Every setter parses into a staging copy of the struct and copies it back only when all values
 * were accepted, so a bad file or a bad --set never leaves a half-applied configuration. */
#include "craft/config.h"
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "craft/atomic_file.h"

#define NAME_MAX_LEN 128

/* ---- A growable string (dumps and canonical text) ------------------------------------------ */
typedef struct { char *s; size_t len, cap; int oom; } StrBuf;

static void sb_put(StrBuf *b, const char *text, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(StrBuf *b, const char *text) { sb_put(b, text, strlen(text)); }

static void sb_json_string(StrBuf *b, const char *s) {
    sb_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, esc[2] = '\0';
            sb_puts(b, esc);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_puts(b, esc);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_puts(b, "\"");
}

static char *sb_finish(StrBuf *b) {
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}

/* ---- Fields ------------------------------------------------------------------------------- */
static void *field(void *obj, const ConfigKey *k) { return (char *)obj + k->offset; }
static const void *cfield(const void *obj, const ConfigKey *k) { return (const char *)obj + k->offset; }

static const char *type_name(ConfigType t) {
    switch (t) {
    case CFG_TYPE_INT: return "int";
    case CFG_TYPE_FLOAT: return "float";
    case CFG_TYPE_DOUBLE: return "double";
    case CFG_TYPE_BOOL: return "bool";
    case CFG_TYPE_STRING: return "string";
    default: return "enum";
    }
}

static int n_choices(const ConfigKey *k) {
    int n = 0;
    while (k->choices && k->choices[n]) n++;
    return n;
}

/* Shortest decimal text that reads back as the same value (stable, human-friendly dumps). */
static void format_float(char *buf, size_t size, float v) {
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, size, "%.*g", p, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

static void format_double(char *buf, size_t size, double v) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void format_value(const ConfigKey *k, const void *obj, char *buf, size_t size) {
    const void *p = cfield(obj, k);
    switch (k->type) {
    case CFG_TYPE_INT: snprintf(buf, size, "%d", *(const int *)p); break;
    case CFG_TYPE_FLOAT: format_float(buf, size, *(const float *)p); break;
    case CFG_TYPE_DOUBLE: format_double(buf, size, *(const double *)p); break;
    case CFG_TYPE_BOOL: snprintf(buf, size, "%s", *(const int *)p ? "true" : "false"); break;
    case CFG_TYPE_STRING: snprintf(buf, size, "%.*s", (int)k->size, (const char *)p); break;
    case CFG_TYPE_ENUM: {
        int i = *(const int *)p;
        snprintf(buf, size, "%s", i >= 0 && i < n_choices(k) ? k->choices[i] : "?");
        break;
    }
    }
}

static void sb_json_value(StrBuf *b, const ConfigKey *k, const void *obj) {
    char buf[64];
    const void *p = cfield(obj, k);
    switch (k->type) {
    case CFG_TYPE_STRING: {
        /* Bounded by the field's capacity even if a caller forgot the terminator. */
        size_t n = strnlen((const char *)p, k->size);
        char *tmp = malloc(n + 1);
        if (!tmp) {
            b->oom = 1;
            return;
        }
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        sb_json_string(b, tmp);
        free(tmp);
        return;
    }
    case CFG_TYPE_ENUM:
        format_value(k, obj, buf, sizeof buf);
        sb_json_string(b, buf);
        return;
    case CFG_TYPE_FLOAT:
    case CFG_TYPE_DOUBLE: {
        double v = k->type == CFG_TYPE_FLOAT ? *(const float *)p : *(const double *)p;
        if (!isfinite(v)) {
            sb_puts(b, "null"); /* JSON has no inf/nan; setters never produce them */
            return;
        }
        break;
    }
    default: break;
    }
    format_value(k, obj, buf, sizeof buf);
    sb_puts(b, buf);
}

static int ranged(const ConfigKey *k) { return k->min < k->max; }

static int range_error(const ConfigSchema *s, const ConfigKey *k, const char *got, Err *e) {
    return err_set(e, "%s: %s must be in [%g, %g], got %s", s->name, k->name, k->min, k->max, got);
}

/* Parses text into the key's field of obj. */
static int parse_value(const ConfigSchema *s, const ConfigKey *k, const char *text, void *obj, Err *e) {
    void *p = field(obj, k);
    char *end = NULL;
    switch (k->type) {
    case CFG_TYPE_INT: {
        errno = 0;
        long v = strtol(text, &end, 10);
        if (end == text || *end || errno == ERANGE || v < INT_MIN || v > INT_MAX)
            return err_set(e, "%s: %s expects an integer, got '%s'", s->name, k->name, text);
        if (ranged(k) && (v < k->min || v > k->max)) return range_error(s, k, text, e);
        *(int *)p = (int)v;
        return 0;
    }
    case CFG_TYPE_FLOAT:
    case CFG_TYPE_DOUBLE: {
        double v = strtod(text, &end);
        int is_float = k->type == CFG_TYPE_FLOAT;
        if (end == text || *end || !isfinite(v) || (is_float && !isfinite((float)v)))
            return err_set(e, "%s: %s expects a finite number, got '%s'", s->name, k->name, text);
        if (ranged(k) && (v < k->min || v > k->max)) return range_error(s, k, text, e);
        if (is_float) *(float *)p = (float)v;
        else *(double *)p = v;
        return 0;
    }
    case CFG_TYPE_BOOL: {
        static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
        for (int i = 0; i < 4; i++) {
            if (!strcasecmp(text, yes[i])) return *(int *)p = 1, 0;
            if (!strcasecmp(text, no[i])) return *(int *)p = 0, 0;
        }
        return err_set(e, "%s: %s expects true or false, got '%s'", s->name, k->name, text);
    }
    case CFG_TYPE_STRING: {
        size_t n = strlen(text);
        if (n >= k->size)
            return err_set(e, "%s: %s is at most %zu characters, got %zu", s->name, k->name, k->size - 1, n);
        memset(p, 0, k->size); /* no stale bytes after the terminator: dumps and copies are clean */
        memcpy(p, text, n);
        return 0;
    }
    case CFG_TYPE_ENUM: {
        int n = n_choices(k);
        for (int i = 0; i < n; i++)
            if (!strcmp(text, k->choices[i])) return *(int *)p = i, 0;
        char list[256] = "";
        for (int i = 0; i < n; i++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", k->choices[i]);
        }
        return err_set(e, "%s: %s must be one of {%s}, got '%s'", s->name, k->name, list, text);
    }
    }
    return err_set(e, "%s: %s has an unknown type", s->name, k->name);
}

/* ---- Unknown keys: suggestions ------------------------------------------------------------- */
static int edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > NAME_MAX_LEN || nb > NAME_MAX_LEN) return INT_MAX / 2;
    int row[NAME_MAX_LEN + 1];
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* How close a known key is to what was typed: edit distance, but a key that differs only by its
 * group ("lr" for "optim.lr") counts as distance 1. */
static int closeness(const char *typed, const char *key) {
    int d = edit_distance(typed, key);
    const char *kdot = strrchr(key, '.'), *tdot = strrchr(typed, '.');
    const char *klast = kdot ? kdot + 1 : key, *tlast = tdot ? tdot + 1 : typed;
    if (!strcmp(klast, tlast) && d > 1) d = 1;
    return d;
}

static int unknown_key(const ConfigSchema *s, const char *origin, const char *name, Err *e) {
    enum { MAX_SUGGEST = 4 };
    int best[MAX_SUGGEST], dist[MAX_SUGGEST], n = 0;
    int limit = (int)strlen(name) / 3;
    if (limit < 2) limit = 2;
    for (int i = 0; i < s->n_keys; i++) {
        int d = closeness(name, s->keys[i].name);
        if (d > limit) continue;
        int pos = n < MAX_SUGGEST ? n++ : MAX_SUGGEST;  /* insertion sort, stable by table order */
        while (pos > 0 && dist[pos - 1] > d) {
            if (pos < MAX_SUGGEST) best[pos] = best[pos - 1], dist[pos] = dist[pos - 1];
            pos--;
        }
        if (pos < MAX_SUGGEST) best[pos] = i, dist[pos] = d;
    }
    char list[384] = "";
    for (int i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", s->keys[best[i]].name);
    }
    if (n)
        return err_set(e, "%s%s%s: unknown key '%s' (did you mean: %s?)", origin ? origin : "",
                       origin ? ": " : "", s->name, name, list);
    return err_set(e, "%s%s%s: unknown key '%s' (no similar key among the %d known ones)", origin ? origin : "",
                   origin ? ": " : "", s->name, name, s->n_keys);
}

/* ---- Schema -------------------------------------------------------------------------------- */
static int valid_name(const char *n) {
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN || n[0] == '.' || n[len - 1] == '.') return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (c == '.' && n[i + 1] == '.') return 0;
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_' || c == '.')) return 0;
    }
    return 1;
}

const ConfigKey *config_find(const ConfigSchema *s, const char *name) {
    for (int i = 0; i < s->n_keys; i++)
        if (!strcmp(s->keys[i].name, name)) return &s->keys[i];
    return NULL;
}

static size_t expected_size(ConfigType t) {
    switch (t) {
    case CFG_TYPE_FLOAT: return sizeof(float);
    case CFG_TYPE_DOUBLE: return sizeof(double);
    case CFG_TYPE_STRING: return 0;
    default: return sizeof(int);
    }
}

int config_check_schema(const ConfigSchema *s, Err *e) {
    void *scratch = calloc(1, s->struct_size ? s->struct_size : 1);
    if (!scratch) return err_set(e, "%s: out of memory", s->name);
    int rc = 0;
    for (int i = 0; i < s->n_keys && !rc; i++) {
        const ConfigKey *k = &s->keys[i];
        if (!k->name || !valid_name(k->name)) {
            rc = err_set(e, "%s: key %d has a malformed name '%s'", s->name, i, k->name ? k->name : "(null)");
            break;
        }
        size_t want = expected_size(k->type);
        if ((want && k->size != want) || (!want && k->size < 2) || k->offset + k->size > s->struct_size) {
            rc = err_set(e, "%s: %s: field of %zu bytes at offset %zu does not fit type %s", s->name, k->name,
                         k->size, k->offset, type_name(k->type));
            break;
        }
        if (k->type == CFG_TYPE_ENUM && n_choices(k) == 0) {
            rc = err_set(e, "%s: %s: enum without choices", s->name, k->name);
            break;
        }
        for (int j = 0; j < i && !rc; j++) {
            const char *a = s->keys[j].name, *b = k->name;
            size_t la = strlen(a), lb = strlen(b);
            if (!strcmp(a, b))
                rc = err_set(e, "%s: key '%s' defined twice", s->name, b);
            else if ((la < lb && !strncmp(a, b, la) && b[la] == '.') || (lb < la && !strncmp(a, b, lb) && a[lb] == '.'))
                rc = err_set(e, "%s: '%s' and '%s': a key cannot also be a group", s->name, a, b);
        }
        if (!rc && (!k->def || parse_value(s, k, k->def, scratch, e)))
            rc = k->def ? -1 : err_set(e, "%s: %s has no default", s->name, k->name);
    }
    free(scratch);
    return rc;
}

int config_set_defaults(const ConfigSchema *s, void *obj, Err *e) {
    if (config_check_schema(s, e)) return -1;
    for (int i = 0; i < s->n_keys; i++)
        if (parse_value(s, &s->keys[i], s->keys[i].def, obj, e)) return -1;
    return 0;
}

/* ---- Setters ------------------------------------------------------------------------------- */
/* Runs fn on a copy of obj and commits it only on success. */
typedef int (*StagedFn)(const ConfigSchema *s, void *stage, const void *arg, Err *e);

static int staged(const ConfigSchema *s, void *obj, StagedFn fn, const void *arg, Err *e) {
    void *stage = malloc(s->struct_size ? s->struct_size : 1);
    if (!stage) return err_set(e, "%s: out of memory", s->name);
    memcpy(stage, obj, s->struct_size);
    int rc = fn(s, stage, arg, e);
    if (rc == 0) memcpy(obj, stage, s->struct_size);
    free(stage);
    return rc;
}

int config_set(const ConfigSchema *s, void *obj, const char *name, const char *value, Err *e) {
    const ConfigKey *k = config_find(s, name);
    if (!k) return unknown_key(s, NULL, name, e);
    return parse_value(s, k, value, obj, e); /* a single value: parse_value writes only on success */
}

int config_set_assignment(const ConfigSchema *s, void *obj, const char *assignment, Err *e) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return err_set(e, "%s: --set expects key=value, got '%s'", s->name, assignment);
    size_t n = (size_t)(eq - assignment);
    char name[NAME_MAX_LEN + 1];
    if (n > NAME_MAX_LEN) return err_set(e, "%s: key too long in '%s'", s->name, assignment);
    memcpy(name, assignment, n);
    name[n] = '\0';
    while (n > 0 && isspace((unsigned char)name[n - 1])) name[--n] = '\0';
    return config_set(s, obj, name, eq + 1, e);
}

typedef struct { const cJSON *root; const char *origin; } JsonArg;

static int apply_object(const ConfigSchema *s, void *obj, const cJSON *o, const char *prefix, const char *origin,
                        Err *e) {
    for (const cJSON *it = o->child; it; it = it->next) {
        char name[NAME_MAX_LEN + 1];
        if (snprintf(name, sizeof name, "%s%s", prefix, it->string ? it->string : "") >= (int)sizeof name)
            return err_set(e, "%s: %s: key too long: %s%s", origin, s->name, prefix, it->string);
        if (cJSON_IsObject(it)) {
            char sub[NAME_MAX_LEN + 2];
            snprintf(sub, sizeof sub, "%s.", name);
            if (apply_object(s, obj, it, sub, origin, e)) return -1;
            continue;
        }
        const ConfigKey *k = config_find(s, name);
        if (!k) return unknown_key(s, origin, name, e);
        char text[64];
        const char *value = NULL, *want = NULL;
        switch (k->type) {
        case CFG_TYPE_INT:
            if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble)) want = "an integer";
            else if (fabs(it->valuedouble) > (double)INT_MAX) want = "an integer in the int range";
            else snprintf(text, sizeof text, "%.0f", it->valuedouble), value = text;
            break;
        case CFG_TYPE_FLOAT:
        case CFG_TYPE_DOUBLE:
            if (!cJSON_IsNumber(it)) want = "a number";
            else format_double(text, sizeof text, it->valuedouble), value = text;
            break;
        case CFG_TYPE_BOOL:
            if (!cJSON_IsBool(it)) want = "true or false";
            else value = cJSON_IsTrue(it) ? "true" : "false";
            break;
        case CFG_TYPE_STRING:
        case CFG_TYPE_ENUM:
            if (!cJSON_IsString(it)) want = k->type == CFG_TYPE_ENUM ? "one of its choices as a string" : "a string";
            else value = it->valuestring;
            break;
        }
        if (want) {
            const char *got = cJSON_IsString(it) ? "a string" : cJSON_IsNumber(it) ? "a number"
                            : cJSON_IsBool(it) ? "a boolean" : cJSON_IsNull(it) ? "null"
                            : cJSON_IsArray(it) ? "an array" : "something else";
            return err_set(e, "%s: %s: %s expects %s, got %s", origin, s->name, k->name, want, got);
        }
        if (parse_value(s, k, value, obj, e)) {
            Err inner = *e;
            return err_set(e, "%s: %s", origin, inner.msg);
        }
    }
    return 0;
}

static int apply_json_staged(const ConfigSchema *s, void *stage, const void *arg, Err *e) {
    const JsonArg *a = arg;
    return apply_object(s, stage, a->root, "", a->origin, e);
}

int config_apply_json(const ConfigSchema *s, void *obj, const char *json_text, const char *origin, Err *e) {
    if (!origin) origin = "config";
    Err local;
    if (!e) e = &local;
    cJSON *root = cJSON_Parse(json_text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        if (at)
            for (const char *c = json_text; *c && c < at; c++) line += *c == '\n';
        return err_set(e, "%s: not valid JSON (near line %d)", origin, line);
    }
    int rc;
    if (!cJSON_IsObject(root)) {
        rc = err_set(e, "%s: expected a JSON object of config keys", origin);
    } else {
        JsonArg a = {root, origin};
        rc = staged(s, obj, apply_json_staged, &a, e);
    }
    cJSON_Delete(root);
    return rc;
}

int config_load_json(const ConfigSchema *s, void *obj, const char *path, Err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: cannot open: %s", path, strerror(errno));
    StrBuf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sb_put(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    char *text = sb_finish(&b);
    if (bad || !text) {
        free(text);
        return err_set(e, "%s: read failed", path);
    }
    int rc = config_apply_json(s, obj, text, path, e);
    free(text);
    return rc;
}

/* ---- Output -------------------------------------------------------------------------------- */
int config_get_text(const ConfigSchema *s, const void *obj, const char *name, char *buf, size_t size) {
    const ConfigKey *k = config_find(s, name);
    if (!k) {
        if (size) buf[0] = '\0';
        return -1;
    }
    format_value(k, obj, buf, size);
    return 0;
}

char *config_to_json(const ConfigSchema *s, const void *obj) {
    StrBuf b = {0};
    sb_puts(&b, "{\n");
    for (int i = 0; i < s->n_keys; i++) {
        sb_puts(&b, "  ");
        sb_json_string(&b, s->keys[i].name);
        sb_puts(&b, ": ");
        sb_json_value(&b, &s->keys[i], obj);
        sb_puts(&b, i + 1 < s->n_keys ? ",\n" : "\n");
    }
    sb_puts(&b, "}\n");
    return sb_finish(&b);
}

int config_write_json(const ConfigSchema *s, const void *obj, const char *path, Err *e) {
    char *text = config_to_json(s, obj);
    if (!text) return err_set(e, "%s: out of memory", path);
    int rc = atomic_write_text(path, text, e);
    free(text);
    return rc;
}

static int cmp_key_names(const void *a, const void *b) {
    return strcmp((*(const ConfigKey *const *)a)->name, (*(const ConfigKey *const *)b)->name);
}

char *config_canonical_json(const ConfigSchema *s, const void *obj) {
    const ConfigKey **order = malloc(((size_t)s->n_keys + 1) * sizeof *order);
    if (!order) return NULL;
    int n = 0;
    for (int i = 0; i < s->n_keys; i++)
        if (!(s->keys[i].flags & CFG_NO_HASH)) order[n++] = &s->keys[i];
    qsort(order, (size_t)n, sizeof *order, cmp_key_names);
    StrBuf b = {0};
    sb_puts(&b, "{");
    for (int i = 0; i < n; i++) {
        if (i) sb_puts(&b, ",");
        sb_json_string(&b, order[i]->name);
        sb_puts(&b, ":");
        sb_json_value(&b, order[i], obj);
    }
    sb_puts(&b, "}");
    free(order);
    return sb_finish(&b);
}

uint64_t config_hash(const ConfigSchema *s, const void *obj) {
    char *text = config_canonical_json(s, obj);
    if (!text) return 0;
    uint64_t h = XXH64(text, strlen(text), 0);
    free(text);
    return h;
}

void config_print_help(FILE *f, const ConfigSchema *s, const void *obj) {
    int w = 4;
    for (int i = 0; i < s->n_keys; i++)
        if ((int)strlen(s->keys[i].name) > w) w = (int)strlen(s->keys[i].name);
    for (int i = 0; i < s->n_keys; i++) {
        const ConfigKey *k = &s->keys[i];
        char value[96], range[160] = "";
        format_value(k, obj, value, sizeof value);
        if (ranged(k)) {
            snprintf(range, sizeof range, " [%g, %g]", k->min, k->max);
        } else if (k->type == CFG_TYPE_ENUM) {
            size_t len = (size_t)snprintf(range, sizeof range, " {");
            for (int c = 0; k->choices[c] && len < sizeof range; c++)
                len += (size_t)snprintf(range + len, sizeof range - len, "%s%s", c ? "," : "", k->choices[c]);
            if (len < sizeof range) snprintf(range + len, sizeof range - len, "}");
        }
        fprintf(f, "  %-*s  %-6s = %s%s%s  %s\n", w, k->name, type_name(k->type), value, range,
                k->flags & CFG_NO_HASH ? " (not hashed)" : "", k->help ? k->help : "");
    }
}
