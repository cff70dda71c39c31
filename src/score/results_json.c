/* results_json — writer, reader and summary table of the benchmark results file (layout in
 * include/craft/results_json.h). The writer goes through a temp file + fsync + rename so that a
 * crash never leaves a half-written results file behind. */
#include "craft/results_json.h"
#include "craft/atomic_file.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "craft/world.h"

/* ---- Messages ------------------------------------------------------------------------------- */
/* CARLA-style type ids: the leaderboard classifies collisions by "vehicle" / "walker" / "static". */
static const char *const TYPE_IDS[ACTOR_TYPE_COUNT] = {
    "vehicle.car", "vehicle.van", "vehicle.truck", "vehicle.bus", "vehicle.emergency",
    "vehicle.bicycle", "walker.pedestrian", "static.prop"};
static const char *const TYPE_NAMES[ACTOR_TYPE_COUNT] = {
    "car", "van", "truck", "bus", "emergency", "bicycle", "pedestrian", "static"};

static const char *collision_type_id(const Infraction *f) {
    if (f->kind == INF_COLLISION_LAYOUT && f->other_id < 0) return "static.layout";
    return f->other_type < ACTOR_TYPE_COUNT ? TYPE_IDS[f->other_type] : "unknown";
}

int infraction_message(const Infraction *f, char *buf, size_t size) {
    char body[256];
    switch (f->kind) {
    case INF_COLLISION_LAYOUT:
    case INF_COLLISION_PEDESTRIAN:
    case INF_COLLISION_VEHICLE:
        snprintf(body, sizeof body, "Agent collided against object with type=%s and id=%d at (x=%.3f, y=%.3f, z=0.000)",
                 collision_type_id(f), f->other_id, f->x, f->y);
        break;
    case INF_RED_LIGHT:
        snprintf(body, sizeof body, "Agent ran a red light %d at (x=%.3f, y=%.3f, z=0.000)", f->other_id, f->x, f->y);
        break;
    case INF_STOP:
        snprintf(body, sizeof body, "Agent ran a stop with id=%d at (x=%.3f, y=%.3f, z=0.000)", f->other_id, f->x, f->y);
        break;
    case INF_OUTSIDE_LANES:
        snprintf(body, sizeof body, "Agent went outside its route lanes for about %.3f meters (%.2f%% of the completed route)",
                 f->value2, f->value);
        break;
    case INF_MIN_SPEED:
        snprintf(body, sizeof body, "Average speed is %.2f%% of the surrounding traffic's one", f->value);
        break;
    case INF_YIELD_EMERGENCY:
        snprintf(body, sizeof body, "Agent failed to yield to an emergency vehicle");
        break;
    case INF_SCENARIO_TIMEOUT:
        snprintf(body, sizeof body, "Agent timed out a scenario");
        break;
    case INF_ROUTE_DEV:
        snprintf(body, sizeof body, "Agent deviated from the route at (x=%.3f, y=%.3f, z=0.000)", f->x, f->y);
        break;
    case INF_BLOCKED:
        snprintf(body, sizeof body, "Agent got blocked at (x=%.3f, y=%.3f, z=0.000)", f->x, f->y);
        break;
    case INF_ROUTE_TIMEOUT:
        snprintf(body, sizeof body, "Route timeout.");
        break;
    default:
        snprintf(body, sizeof body, "Unknown infraction");
        break;
    }
    return snprintf(buf, size, "%s [t=%.2f s]", body, f->time);
}

/* ---- Writer --------------------------------------------------------------------------------- */
static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static void add_num(cJSON *o, const char *key, double v) { cJSON_AddItemToObject(o, key, num_or_null(v)); }

static cJSON *record_json(const RouteResult *r, int index) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", index);
    cJSON_AddStringToObject(o, "route_id", r->route_id);
    cJSON_AddStringToObject(o, "scenario_type", r->scenario_type);
    if (r->seed <= (1ull << 53)) {
        cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    } else { /* not exactly representable as a JSON number read into a double */
        char s[32];
        snprintf(s, sizeof s, "%llu", (unsigned long long)r->seed);
        cJSON_AddStringToObject(o, "seed", s);
    }
    cJSON_AddStringToObject(o, "status", route_status_name(r->status));
    cJSON_AddNumberToObject(o, "num_infractions", route_result_total_infractions(r));
    cJSON *inf = cJSON_AddObjectToObject(o, "infractions");
    cJSON *lists[INF_KIND_COUNT];
    for (int k = 0; k < INF_KIND_COUNT; k++) lists[k] = cJSON_AddArrayToObject(inf, infraction_json_name((InfractionKind)k));
    cJSON *events = cJSON_CreateArray();
    for (int i = 0; i < r->n_infractions; i++) {
        const Infraction *f = &r->infractions[i];
        if (f->kind >= INF_KIND_COUNT) continue;
        char msg[320];
        infraction_message(f, msg, sizeof msg);
        cJSON_AddItemToArray(lists[f->kind], cJSON_CreateString(msg));
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "kind", infraction_json_name((InfractionKind)f->kind));
        cJSON_AddNumberToObject(ev, "t", f->time);
        cJSON_AddNumberToObject(ev, "x", f->x);
        cJSON_AddNumberToObject(ev, "y", f->y);
        cJSON_AddNumberToObject(ev, "value", f->value);
        cJSON_AddNumberToObject(ev, "value2", f->value2);
        cJSON_AddNumberToObject(ev, "other_id", f->other_id);
        cJSON_AddStringToObject(ev, "other_type", f->other_type < ACTOR_TYPE_COUNT ? TYPE_NAMES[f->other_type] : "none");
        cJSON_AddItemToArray(events, ev);
    }
    cJSON *scores = cJSON_AddObjectToObject(o, "scores");
    add_num(scores, "score_route", r->route_completion);
    add_num(scores, "score_penalty", r->penalty);
    add_num(scores, "score_composed", r->driving_score);
    add_num(o, "route_completion", r->route_completion);
    add_num(o, "penalty", r->penalty);
    add_num(o, "driving_score", r->driving_score);
    cJSON *meta = cJSON_AddObjectToObject(o, "meta");
    add_num(meta, "route_length", r->route_length);
    add_num(meta, "duration_game", r->duration_game);
    cJSON_AddStringToObject(meta, "rules", rules_name(r->rules));
    add_num(meta, "travelled", r->travelled);
    add_num(meta, "outside_lanes_pct", r->outside_lanes_pct);
    add_num(meta, "junction_entry_frac", r->junction_entry_frac);
    add_num(meta, "comfort", r->comfort);
    add_num(meta, "comfort_si", r->comfort_si);
    cJSON_AddNumberToObject(meta, "n_samples", r->n_samples);
    cJSON_AddNumberToObject(meta, "infractions_dropped", r->n_dropped);
    cJSON *counts = cJSON_AddObjectToObject(meta, "counts");
    for (int k = 0; k < INF_KIND_COUNT; k++) cJSON_AddNumberToObject(counts, infraction_json_name((InfractionKind)k), r->count[k]);
    cJSON_AddItemToObject(o, "events", events);
    return o;
}

static cJSON *summary_json(const B2dSummary *s, RuleSet rules, double wall_time_s) {
    cJSON *o = cJSON_CreateObject();
    add_num(o, "driving_score", s->driving_score);
    add_num(o, "success_rate", s->success_rate);
    add_num(o, "efficiency", s->efficiency);
    add_num(o, "comfortness", s->comfortness);
    add_num(o, "comfortness_si", s->comfortness_si);
    add_num(o, "route_completion", s->route_completion);
    add_num(o, "penalty", s->penalty);
    cJSON *ab = cJSON_AddObjectToObject(o, "abilities");
    for (int a = 0; a < ABILITY_COUNT; a++) add_num(ab, ability_name((Ability)a), s->ability[a]);
    add_num(ab, "mean", s->ability_mean);
    cJSON_AddNumberToObject(o, "routes", s->n_routes);
    cJSON_AddNumberToObject(o, "successes", s->n_success);
    cJSON_AddStringToObject(o, "rules", rules_name(rules));
    add_num(o, "wall_time_s", wall_time_s);
    return o;
}

int results_write(const char *path, const RouteResult *routes, int n, RuleSet rules, double wall_time_s, Err *e) {
    if (!path || n < 0 || (n > 0 && !routes)) return err_set(e, "results_write: bad arguments");
    B2dSummary s;
    b2d_summarize(routes, n, &s);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", RESULTS_FORMAT);
    cJSON_AddNumberToObject(root, "version", RESULTS_VERSION);
    cJSON_AddItemToObject(root, "summary", summary_json(&s, rules, wall_time_s));
    cJSON *records = cJSON_AddArrayToObject(root, "records");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(records, record_json(&routes[i], i));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return err_set(e, "results: out of memory while formatting %s", path);
    int rc = atomic_write_text(path, text, e);
    cJSON_free(text);
    return rc;
}

/* ---- Reader --------------------------------------------------------------------------------- */
static char *read_file(const char *path, Err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, "results: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        err_set(e, "results: cannot read %s", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Field accessors: `where` names the record for the message. Null numbers read as NaN when allowed. */
static int get_number(const cJSON *o, const char *key, int nullable, double *out, const char *where, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 0;
    }
    if (v && nullable && cJSON_IsNull(v)) {
        *out = NAN;
        return 0;
    }
    return err_set(e, "results: %s: field '%s' %s", where, key, v ? "is not a number" : "is missing");
}

static int get_int(const cJSON *o, const char *key, int lo, int hi, int *out, const char *where, Err *e) {
    double d;
    if (get_number(o, key, 0, &d, where, e)) return -1;
    if (d != floor(d) || d < lo || d > hi)
        return err_set(e, "results: %s: field '%s' = %g is not an integer in [%d, %d]", where, key, d, lo, hi);
    *out = (int)d;
    return 0;
}

static int get_string(const cJSON *o, const char *key, char *out, size_t size, const char *where, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v)) return err_set(e, "results: %s: field '%s' %s", where, key, v ? "is not a string" : "is missing");
    if (strlen(v->valuestring) >= size)
        return err_set(e, "results: %s: field '%s' is longer than %zu characters", where, key, size - 1);
    snprintf(out, size, "%s", v->valuestring);
    return 0;
}

static const cJSON *get_object(const cJSON *o, const char *key, const char *where, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsObject(v)) err_set(e, "results: %s: field '%s' %s", where, key, v ? "is not an object" : "is missing");
    return cJSON_IsObject(v) ? v : NULL;
}

static const cJSON *get_array(const cJSON *o, const char *key, const char *where, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(v)) err_set(e, "results: %s: field '%s' %s", where, key, v ? "is not an array" : "is missing");
    return cJSON_IsArray(v) ? v : NULL;
}

static int parse_rules(const cJSON *o, RuleSet *out, const char *where, Err *e) {
    char name[32];
    if (get_string(o, "rules", name, sizeof name, where, e)) return -1;
    if (rules_from_name(name, out, NULL)) return err_set(e, "results: %s: unknown rule set '%s'", where, name);
    return 0;
}

static int parse_seed(const cJSON *o, uint64_t *out, const char *where, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (cJSON_IsString(v)) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v->valuestring, &end, 10);
        if (errno || *end || end == v->valuestring) return err_set(e, "results: %s: bad seed '%s'", where, v->valuestring);
        *out = s;
        return 0;
    }
    double d;
    if (get_number(o, "seed", 0, &d, where, e)) return -1;
    if (d < 0 || d != floor(d) || d > 9007199254740992.0) return err_set(e, "results: %s: bad seed %g", where, d);
    *out = (uint64_t)d;
    return 0;
}

static int parse_event(const cJSON *ev, Infraction *f, const char *where, Err *e) {
    char kind[48], type[32];
    if (!cJSON_IsObject(ev)) return err_set(e, "results: %s: an event is not an object", where);
    if (get_string(ev, "kind", kind, sizeof kind, where, e)) return -1;
    int k = infraction_from_json_name(kind);
    if (k < 0) return err_set(e, "results: %s: unknown infraction kind '%s'", where, kind);
    double t, x, y, v, v2;
    int other_id;
    if (get_number(ev, "t", 0, &t, where, e) || get_number(ev, "x", 0, &x, where, e) ||
        get_number(ev, "y", 0, &y, where, e) || get_number(ev, "value", 0, &v, where, e) ||
        get_number(ev, "value2", 0, &v2, where, e) || get_int(ev, "other_id", -1, 2147483647, &other_id, where, e) ||
        get_string(ev, "other_type", type, sizeof type, where, e))
        return -1;
    int ot = 0xff;
    for (int i = 0; i < ACTOR_TYPE_COUNT; i++)
        if (strcmp(type, TYPE_NAMES[i]) == 0) ot = i;
    if (ot == 0xff && strcmp(type, "none") != 0) return err_set(e, "results: %s: unknown actor type '%s'", where, type);
    *f = (Infraction){(uint8_t)k, (uint8_t)ot, other_id, t, (float)x, (float)y, (float)v, (float)v2};
    return 0;
}

static int parse_record(const cJSON *rec, int index, RouteResult *r, Err *e) {
    char where[48], status[64];
    snprintf(where, sizeof where, "record %d", index);
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(rec)) return err_set(e, "results: %s is not an object", where);
    if (get_string(rec, "route_id", r->route_id, sizeof r->route_id, where, e) ||
        get_string(rec, "scenario_type", r->scenario_type, sizeof r->scenario_type, where, e) ||
        parse_seed(rec, &r->seed, where, e) || get_string(rec, "status", status, sizeof status, where, e))
        return -1;
    int st = route_status_from_name(status);
    if (st < 0) return err_set(e, "results: %s: unknown status '%s'", where, status);
    r->status = (RouteStatus)st;
    const cJSON *scores = get_object(rec, "scores", where, e), *meta = get_object(rec, "meta", where, e);
    const cJSON *inf = get_object(rec, "infractions", where, e), *events = get_array(rec, "events", where, e);
    if (!scores || !meta || !inf || !events) return -1;
    if (get_number(scores, "score_route", 0, &r->route_completion, where, e) ||
        get_number(scores, "score_penalty", 0, &r->penalty, where, e) ||
        get_number(scores, "score_composed", 0, &r->driving_score, where, e) ||
        get_number(meta, "route_length", 0, &r->route_length, where, e) ||
        get_number(meta, "duration_game", 0, &r->duration_game, where, e) || parse_rules(meta, &r->rules, where, e) ||
        get_number(meta, "travelled", 0, &r->travelled, where, e) ||
        get_number(meta, "outside_lanes_pct", 0, &r->outside_lanes_pct, where, e) ||
        get_number(meta, "junction_entry_frac", 1, &r->junction_entry_frac, where, e) ||
        get_number(meta, "comfort", 1, &r->comfort, where, e) || get_number(meta, "comfort_si", 1, &r->comfort_si, where, e) ||
        get_int(meta, "n_samples", 0, 1 << 30, &r->n_samples, where, e) ||
        get_int(meta, "infractions_dropped", 0, 1 << 30, &r->n_dropped, where, e))
        return -1;
    if (!(r->route_completion >= 0.0 && r->route_completion <= 100.0))
        return err_set(e, "results: %s: score_route %g outside [0, 100]", where, r->route_completion);
    if (!(r->penalty >= 0.0 && r->penalty <= 1.0))
        return err_set(e, "results: %s: score_penalty %g outside [0, 1]", where, r->penalty);
    const cJSON *counts = get_object(meta, "counts", where, e);
    if (!counts) return -1;
    int n_events = cJSON_GetArraySize(events);
    if (n_events > ROUTE_MAX_INFRACTIONS)
        return err_set(e, "results: %s: %d events, more than the %d a route stores", where, n_events, ROUTE_MAX_INFRACTIONS);
    int per_kind[INF_KIND_COUNT] = {0}, i = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) {
        if (parse_event(ev, &r->infractions[i], where, e)) return -1;
        per_kind[r->infractions[i].kind]++;
        i++;
    }
    r->n_infractions = i;
    int stored = 0;
    for (int k = 0; k < INF_KIND_COUNT; k++) {
        const char *name = infraction_json_name((InfractionKind)k);
        const cJSON *list = get_array(inf, name, where, e);
        if (!list || get_int(counts, name, 0, 1 << 30, &r->count[k], where, e)) return -1;
        if (cJSON_GetArraySize(list) != per_kind[k])
            return err_set(e, "results: %s: %d '%s' messages but %d such events", where, cJSON_GetArraySize(list), name, per_kind[k]);
        if (r->count[k] < per_kind[k])
            return err_set(e, "results: %s: count of '%s' (%d) below its %d events", where, name, r->count[k], per_kind[k]);
        stored += r->count[k] - per_kind[k];
    }
    if (stored != r->n_dropped)
        return err_set(e, "results: %s: counts exceed the stored events by %d, but infractions_dropped is %d", where, stored, r->n_dropped);
    return 0;
}

int results_read(const char *path, RouteResult **routes, int *n, RuleSet *rules, Err *e) {
    *routes = NULL;
    *n = 0;
    char *text = read_file(path, e);
    if (!text) return -1;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return err_set(e, "results: %s is not valid JSON", path);
    int rc = -1;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(root, "summary");
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(root, "records");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, RESULTS_FORMAT) != 0) {
        err_set(e, "results: %s is not a craft results file (no \"format\": \"%s\")", path, RESULTS_FORMAT);
    } else if (!cJSON_IsNumber(ver) || ver->valuedouble != RESULTS_VERSION) {
        err_set(e, "results: %s has an unsupported version (expected %d)", path, RESULTS_VERSION);
    } else if (!cJSON_IsObject(summary) || !cJSON_IsArray(records)) {
        err_set(e, "results: %s lacks a 'summary' object or a 'records' array", path);
    } else if (parse_rules(summary, rules, "summary", e) == 0) {
        int count = cJSON_GetArraySize(records);
        RouteResult *out = count > 0 ? malloc(sizeof *out * (size_t)count) : NULL;
        if (count > 0 && !out) {
            err_set(e, "results: out of memory for %d records", count);
        } else {
            int i = 0;
            const cJSON *rec;
            rc = 0;
            cJSON_ArrayForEach(rec, records) {
                if (parse_record(rec, i, &out[i], e)) {
                    rc = -1;
                    break;
                }
                i++;
            }
            if (rc == 0) {
                *routes = out;
                *n = count;
            } else {
                free(out);
            }
        }
    }
    cJSON_Delete(root);
    return rc;
}

void results_free(RouteResult *routes) { free(routes); }

/* ---- Summary table -------------------------------------------------------------------------- */
static void print_value(FILE *f, const char *label, double v, const char *unit) {
    if (isnan(v)) fprintf(f, "  %-22s %9s\n", label, "n/a");
    else fprintf(f, "  %-22s %9.2f%s\n", label, v, unit);
}

void results_print_summary(FILE *f, const B2dSummary *s, const RouteResult *routes, int n, RuleSet rules) {
    fprintf(f, "Bench2Drive metrics: %d routes, rules %s\n", s->n_routes, rules_name(rules));
    print_value(f, "Driving Score", s->driving_score, "");
    print_value(f, "Success Rate", s->success_rate, " %");
    print_value(f, "Efficiency", s->efficiency, " %");
    print_value(f, "Comfortness", s->comfortness, " %");
    print_value(f, "Comfortness (SI)", s->comfortness_si, " %");
    print_value(f, "Route completion", s->route_completion, " %");
    print_value(f, "Infraction penalty", s->penalty, "");
    fprintf(f, "  Multi-ability (%%):\n");
    for (int a = 0; a < ABILITY_COUNT; a++) {
        char label[64];
        snprintf(label, sizeof label, "  %s (%d/%d)", ability_name((Ability)a), s->ability_success[a], s->ability_total[a]);
        print_value(f, label, s->ability[a], "");
    }
    print_value(f, "  mean", s->ability_mean, "");
    int by_status[ROUTE_STATUS_COUNT] = {0}, by_kind[INF_KIND_COUNT] = {0};
    for (int i = 0; i < n; i++) {
        if (routes[i].status < ROUTE_STATUS_COUNT) by_status[routes[i].status]++;
        for (int k = 0; k < INF_KIND_COUNT; k++) by_kind[k] += routes[i].count[k];
    }
    fprintf(f, "  Route status:\n");
    for (int st = 0; st < ROUTE_STATUS_COUNT; st++)
        if (by_status[st]) fprintf(f, "    %-40s %6d\n", route_status_name((RouteStatus)st), by_status[st]);
    fprintf(f, "  Infractions (total):\n");
    for (int k = 0; k < INF_KIND_COUNT; k++)
        if (by_kind[k]) fprintf(f, "    %-40s %6d\n", infraction_json_name((InfractionKind)k), by_kind[k]);
}
