/* routes — route sets: the canonical eval220 / val220 sets (44 types × 5), the unlimited train
 * generator, route files (JSON list of {id, type, seed, params}) and the --routes argument.
 *
 * Seeds carry their split in bits 45-46 (train 1, val 2, eval 3; 0 = custom), so the splits are
 * disjoint by construction and every seed stays below 2^53 (exact as a JSON number). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "craft/atomic_file.h"
#include "scenario/scn_internal.h"

#define SEED_SPLIT_SHIFT 45
#define SEED_LOW_MASK ((1ULL << SEED_SPLIT_SHIFT) - 1)
#define ROUTES_PER_TYPE 5
#define MAX_ROUTES 1000000

static uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t split_tag(RouteSplit s) { return s == SPLIT_TRAIN ? 1 : s == SPLIT_VAL ? 2 : s == SPLIT_EVAL ? 3 : 0; }

uint64_t route_seed(RouteSplit split, int type, uint64_t k) {
    uint64_t h = splitmix(splitmix(split_tag(split) * 1000003ULL + (uint64_t)type) ^ k);
    return (split_tag(split) << SEED_SPLIT_SHIFT) | (h & SEED_LOW_MASK);
}

RouteSplit route_seed_split(uint64_t seed) {
    switch (seed >> SEED_SPLIT_SHIFT) {
    case 1: return SPLIT_TRAIN;
    case 2: return SPLIT_VAL;
    case 3: return SPLIT_EVAL;
    default: return SPLIT_CUSTOM;
    }
}

void routeset_free(RouteSet *rs) {
    free(rs->routes);
    rs->routes = NULL;
    rs->n = 0;
}

static int rs_alloc(RouteSet *rs, int n, Err *e) {
    rs->n = 0;
    rs->routes = calloc((size_t)(n > 0 ? n : 1), sizeof *rs->routes);
    if (!rs->routes) return err_set(e, "route set: out of memory for %d routes", n);
    rs->n = n;
    return 0;
}

static void fill(RouteSpec *r, const char *id, const char *type, uint64_t seed) {
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->type, sizeof r->type, "%s", type);
    r->seed = seed;
}

int routeset_canonical(RouteSet *out, RouteSplit split, Err *e) {
    if (split != SPLIT_EVAL && split != SPLIT_VAL) return err_set(e, "only eval220 and val220 are canonical sets");
    if (rs_alloc(out, SCN_TYPE_COUNT * ROUTES_PER_TYPE, e)) return -1;
    const char *prefix = split == SPLIT_EVAL ? "eval220" : "val220";
    for (int t = 0; t < SCN_TYPE_COUNT; t++)
        for (int k = 0; k < ROUTES_PER_TYPE; k++) {
            char id[ROUTE_NAME_MAX];
            int i = t * ROUTES_PER_TYPE + k;
            snprintf(id, sizeof id, "%s-%03d", prefix, i);
            fill(&out->routes[i], id, scn_catalogue_name(t), route_seed(split, t, (uint64_t)k));
        }
    return 0;
}

int routeset_train(RouteSet *out, uint64_t first, int n, Err *e) {
    if (n < 1 || n > MAX_ROUTES) return err_set(e, "train routes: count %d outside 1..%d", n, MAX_ROUTES);
    if (rs_alloc(out, n, e)) return -1;
    for (int i = 0; i < n; i++) {
        uint64_t g = first + (uint64_t)i;
        int t = (int)(g % SCN_TYPE_COUNT);
        char id[ROUTE_NAME_MAX];
        snprintf(id, sizeof id, "train-%llu", (unsigned long long)g);
        fill(&out->routes[i], id, scn_catalogue_name(t), route_seed(SPLIT_TRAIN, t, g / SCN_TYPE_COUNT));
    }
    return 0;
}

/* ---- route files ---------------------------------------------------------------------------- */
static int read_text(const char *path, char **out, Err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "cannot read route file %s: %m", path);
    long sz = -1;
    if (!fseek(f, 0, SEEK_END)) sz = ftell(f);
    if (sz < 0 || sz > (64L << 20) || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return err_set(e, "route file %s: unreadable or larger than 64 MB", path);
    }
    char *buf = malloc((size_t)sz + 1);
    if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        fclose(f);
        return err_set(e, "route file %s: read failed", path);
    }
    fclose(f);
    buf[sz] = 0;
    *out = buf;
    return 0;
}

static int parse_seed(const cJSON *v, uint64_t *out) {
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d) return -1;
        *out = (uint64_t)d;
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end = NULL;
        for (const char *c = v->valuestring; *c; c++)
            if (!isdigit((unsigned char)*c)) return -1;
        *out = strtoull(v->valuestring, &end, 10);
        return *end ? -1 : 0;
    }
    return -1;
}

/* params: "k=v,k=v" or {"k": number, ...} */
static int parse_params(const cJSON *v, char *out, size_t cap) {
    out[0] = 0;
    if (!v) return 0;
    if (cJSON_IsString(v)) return (size_t)snprintf(out, cap, "%s", v->valuestring) < cap ? 0 : -1;
    if (!cJSON_IsObject(v)) return -1;
    size_t at = 0;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, v) {
        if (!cJSON_IsNumber(kv)) return -1;
        int n = snprintf(out + at, cap - at, "%s%s=%.9g", at ? "," : "", kv->string, kv->valuedouble);
        if (n < 0 || (size_t)n >= cap - at) return -1;
        at += (size_t)n;
    }
    return 0;
}

static int parse_routes_json(RouteSet *out, const char *text, const char *path, Err *e) {
    cJSON *root = cJSON_Parse(text);
    if (!root || !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return err_set(e, "route file %s: not a JSON list of routes", path);
    }
    int n = cJSON_GetArraySize(root), i = 0;
    if (n < 1 || n > MAX_ROUTES || rs_alloc(out, n, e)) {
        cJSON_Delete(root);
        if (n < 1 || n > MAX_ROUTES) err_set(e, "route file %s: %d routes (need 1..%d)", path, n, MAX_ROUTES);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        RouteSpec *r = &out->routes[i];
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(item, "seed");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(item, "params");
        uint64_t sd = 0;
        const char *why = NULL;
        if (!cJSON_IsObject(item)) why = "is not an object";
        else if (!cJSON_IsString(type) || scn_type_known(type->valuestring)) why = "has a missing or unknown \"type\"";
        else if (!seed || parse_seed(seed, &sd)) why = "has a missing or invalid \"seed\" (an integer below 2^53)";
        else if (id && (!cJSON_IsString(id) || strlen(id->valuestring) >= ROUTE_NAME_MAX)) why = "has an invalid \"id\"";
        if (why) {
            cJSON_Delete(root);
            routeset_free(out);
            return err_set(e, "route file %s: route %d %s", path, i, why);
        }
        char idbuf[ROUTE_NAME_MAX];
        snprintf(idbuf, sizeof idbuf, "route-%03d", i);
        fill(r, id ? id->valuestring : idbuf, type->valuestring, sd);
        if (parse_params(params, r->overrides, sizeof r->overrides)) {
            cJSON_Delete(root);
            routeset_free(out);
            return err_set(e, "route file %s: route %d: \"params\" must be \"k=v,...\" or an object of numbers", path, i);
        }
        i++;
    }
    cJSON_Delete(root);
    return 0;
}

int routeset_read_file(RouteSet *out, const char *path, Err *e) {
    char *text = NULL;
    memset(out, 0, sizeof *out);
    if (read_text(path, &text, e)) return -1;
    int rc = parse_routes_json(out, text, path, e);
    free(text);
    return rc;
}

int routeset_write_file(const RouteSet *rs, const char *path, Err *e) {
    AtomicFile af;
    if (atomic_file_open(&af, path, e)) return -1;
    fprintf(af.f, "[\n");
    for (int i = 0; i < rs->n; i++) {
        const RouteSpec *r = &rs->routes[i];
        fprintf(af.f, "  {\"id\": \"%s\", \"type\": \"%s\", \"seed\": %llu%s%s%s}%s\n", r->id, r->type,
                (unsigned long long)r->seed, r->overrides[0] ? ", \"params\": \"" : "", r->overrides,
                r->overrides[0] ? "\"" : "", i + 1 < rs->n ? "," : "");
    }
    fprintf(af.f, "]\n");
    if (ferror(af.f)) {
        atomic_file_abort(&af);
        return err_set(e, "cannot write %s", path);
    }
    return atomic_file_commit(&af, e);
}

/* ---- the --routes argument ---------------------------------------------------------------- */
static int load_named(RouteSet *out, const char *name, const char *data_dir, Err *e) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", data_dir ? data_dir : "data/routes", name);
    if (routeset_read_file(out, path, e)) {
        Err inner = *e;
        return err_set(e, "%s (run from the repository root or pass --data DIR)", inner.msg);
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int select_ids(RouteSet *out, const char *arg, const char *data_dir, Err *e) {
    RouteSet pools[2] = {{0}};
    int rc = -1, count = 1;
    for (const char *c = arg; *c; c++) count += *c == ',';
    if (load_named(&pools[0], "eval220", data_dir, e) || load_named(&pools[1], "val220", data_dir, e) ||
        rs_alloc(out, count, e))
        goto done;
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", arg);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const RouteSpec *hit = NULL;
        for (int p = 0; p < 2 && !hit; p++)
            for (int i = 0; i < pools[p].n && !hit; i++)
                if (!strcmp(pools[p].routes[i].id, tok)) hit = &pools[p].routes[i];
        if (!hit) {
            routeset_free(out);
            err_set(e, "--routes: unknown route id '%s' (ids look like eval220-017 or val220-003)", tok);
            goto done;
        }
        out->routes[n++] = *hit;
    }
    out->n = n;
    rc = 0;
done:
    routeset_free(&pools[0]);
    routeset_free(&pools[1]);
    return rc;
}

int routeset_load(RouteSet *out, const char *arg, const char *data_dir, Err *e) {
    memset(out, 0, sizeof *out);
    if (!arg || !*arg) return err_set(e, "--routes: empty");
    if (!strcmp(arg, "eval220") || !strcmp(arg, "val220")) return load_named(out, arg, data_dir, e);
    if (ends_with(arg, ".json")) return routeset_read_file(out, arg, e);
    if (!strncmp(arg, "train:", 6)) {
        char *end = NULL;
        long n = strtol(arg + 6, &end, 10);
        unsigned long long first = 0;
        if (*end == ':') first = strtoull(end + 1, &end, 10);
        if (*end || n < 1) return err_set(e, "--routes %s: expected train:N or train:N:FIRST", arg);
        return routeset_train(out, first, (int)(n > MAX_ROUTES ? MAX_ROUTES + 1 : n), e);
    }
    if (!strncmp(arg, "scenario:", 9)) {
        char type[ROUTE_NAME_MAX];
        const char *colon = strchr(arg + 9, ':');
        const char *split = colon ? colon + 1 : "eval220";
        size_t len = colon ? (size_t)(colon - arg - 9) : strlen(arg + 9);
        if (len >= sizeof type) return err_set(e, "--routes %s: type name too long", arg);
        memcpy(type, arg + 9, len);
        type[len] = 0;
        if (scn_type_known(type)) return scenario_type_check(type, e);
        if (strcmp(split, "eval220") && strcmp(split, "val220"))
            return err_set(e, "--routes %s: split must be eval220 or val220", arg);
        RouteSet all;
        if (load_named(&all, split, data_dir, e)) return -1;
        int n = 0;
        for (int i = 0; i < all.n; i++) n += !strcmp(all.routes[i].type, type);
        if (rs_alloc(out, n, e)) return routeset_free(&all), -1;
        n = 0;
        for (int i = 0; i < all.n; i++)
            if (!strcmp(all.routes[i].type, type)) out->routes[n++] = all.routes[i];
        routeset_free(&all);
        return 0;
    }
    return select_ids(out, arg, data_dir, e);
}
