/* results_json tests: write → read round trip (every field, NaN, large seeds), Bench2Drive-style
 * messages, the summary block, rejection of corrupt or inconsistent files, the summary table. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "craft/results_json.h"
#include "craft/world.h"

static void tmp_path(char *buf, size_t n, const char *tag) {
    snprintf(buf, n, "/tmp/craft_results_%s_%ld.json", tag, (long)getpid());
}

static void add(RouteResult *r, InfractionKind k, double t, float x, float y, float v, float v2, int id, int type) {
    r->count[k]++;
    r->infractions[r->n_infractions++] = (Infraction){(uint8_t)k, (uint8_t)type, id, t, x, y, v, v2};
}

static RouteResult *make_routes(void) {
    RouteResult *rs = calloc(3, sizeof *rs);
    RouteResult *a = &rs[0], *b = &rs[1], *c = &rs[2];
    snprintf(a->route_id, sizeof a->route_id, "RouteScenario_1711");
    snprintf(a->scenario_type, sizeof a->scenario_type, "PedestrianCrossing");
    a->seed = 1711;
    a->rules = RULES_BENCH2DRIVE;
    a->status = ROUTE_COMPLETED;
    a->route_completion = 100.0;
    a->penalty = 0.6 * 0.9;
    a->driving_score = 54.0;
    a->route_length = 101.25;
    a->duration_game = 23.4;
    a->travelled = 100.5;
    a->outside_lanes_pct = 10.0;
    a->junction_entry_frac = 39.0 / 61.0;
    a->comfort = 0.75;
    a->comfort_si = 1.0;
    a->n_samples = 234;
    add(a, INF_COLLISION_VEHICLE, 12.3, 41.5f, -2.25f, 6.5f, 0.0f, 17, ACTOR_BICYCLE);
    add(a, INF_MIN_SPEED, 5.1, 20.0f, 0.0f, 89.21f, 0.0f, -1, 0xff);
    add(a, INF_OUTSIDE_LANES, 8.0, 30.0f, 1.0f, 10.0f, 10.05f, -1, 0xff);
    snprintf(b->route_id, sizeof b->route_id, "RouteScenario_2");
    snprintf(b->scenario_type, sizeof b->scenario_type, "T_Junction");
    b->seed = (1ull << 60) + 3; /* not representable as a double: written as a string */
    b->rules = RULES_BENCH2DRIVE;
    b->status = ROUTE_FAILED_TICKRUNTIME;
    b->route_completion = 33.36;
    b->penalty = 0.7;
    b->driving_score = 23.352;
    b->route_length = 132.062;
    b->duration_game = 200.0;
    b->junction_entry_frac = NAN;
    b->comfort = NAN;
    b->comfort_si = NAN;
    b->n_dropped = 2; /* two red lights counted and penalised but not stored */
    add(b, INF_RED_LIGHT, 50.0, 10.0f, 5.0f, 0.0f, 0.0f, 3, 0xff);
    b->count[INF_RED_LIGHT] += 2;
    snprintf(c->route_id, sizeof c->route_id, "RouteScenario_3");
    snprintf(c->scenario_type, sizeof c->scenario_type, "Accident");
    c->rules = RULES_BENCH2DRIVE;
    c->status = ROUTE_PERFECT;
    c->route_completion = 100.0;
    c->penalty = 1.0;
    c->driving_score = 100.0;
    c->junction_entry_frac = NAN;
    c->comfort = 1.0;
    c->comfort_si = 1.0;
    return rs;
}

static int same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

Test(results_json, round_trip) {
    char path[256];
    tmp_path(path, sizeof path, "rt");
    RouteResult *rs = make_routes();
    Err e = {{0}};
    cr_assert_eq(results_write(path, rs, 3, RULES_BENCH2DRIVE, 12.5, &e), 0, "%s", e.msg);
    RouteResult *back = NULL;
    int n = 0;
    RuleSet rules = RULES_LEADERBOARD2;
    cr_assert_eq(results_read(path, &back, &n, &rules, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(rules, RULES_BENCH2DRIVE);
    for (int i = 0; i < 3; i++) {
        const RouteResult *a = &rs[i], *b = &back[i];
        cr_assert_str_eq(a->route_id, b->route_id);
        cr_assert_str_eq(a->scenario_type, b->scenario_type);
        cr_assert_eq(a->seed, b->seed, "seed %d", i);
        cr_assert_eq(a->rules, b->rules);
        cr_assert_eq(a->status, b->status);
        cr_assert(same_double(a->route_completion, b->route_completion));
        cr_assert(same_double(a->penalty, b->penalty));
        cr_assert(same_double(a->driving_score, b->driving_score));
        cr_assert(same_double(a->route_length, b->route_length));
        cr_assert(same_double(a->duration_game, b->duration_game));
        cr_assert(same_double(a->travelled, b->travelled));
        cr_assert(same_double(a->outside_lanes_pct, b->outside_lanes_pct));
        cr_assert(same_double(a->junction_entry_frac, b->junction_entry_frac), "%d: %g %g", i, a->junction_entry_frac, b->junction_entry_frac);
        cr_assert(same_double(a->comfort, b->comfort));
        cr_assert(same_double(a->comfort_si, b->comfort_si));
        cr_assert_eq(a->n_samples, b->n_samples);
        cr_assert_eq(a->n_dropped, b->n_dropped);
        cr_assert_eq(a->n_infractions, b->n_infractions);
        for (int k = 0; k < INF_KIND_COUNT; k++) cr_assert_eq(a->count[k], b->count[k]);
        for (int j = 0; j < a->n_infractions; j++) {
            const Infraction *p = &a->infractions[j], *q = &b->infractions[j];
            cr_assert(p->kind == q->kind && p->other_type == q->other_type && p->other_id == q->other_id);
            cr_assert(p->time == q->time && p->x == q->x && p->y == q->y && p->value == q->value && p->value2 == q->value2);
        }
    }
    /* the summary of the file equals the summary of the originals */
    B2dSummary s1, s2;
    b2d_summarize(rs, 3, &s1);
    b2d_summarize(back, n, &s2);
    cr_assert_float_eq(s1.driving_score, s2.driving_score, 0.0);
    cr_assert_float_eq(s1.ability_mean, s2.ability_mean, 0.0);
    results_free(back);
    free(rs);
    unlink(path);
}

static cJSON *load_json(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    cr_assert_not_null(j);
    return j;
}

/* Messages keep Bench2Drive's wording (its tools parse them) plus a timestamp; summary fields. */
Test(results_json, messages_and_summary) {
    char path[256];
    tmp_path(path, sizeof path, "msg");
    RouteResult *rs = make_routes();
    cr_assert_eq(results_write(path, rs, 3, RULES_BENCH2DRIVE, 12.5, NULL), 0);
    cJSON *j = load_json(path);
    cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "records"), 0);
    cJSON *inf = cJSON_GetObjectItem(rec, "infractions");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(inf, "collisions_vehicle"), 0)->valuestring,
                     "Agent collided against object with type=vehicle.bicycle and id=17 at (x=41.500, y=-2.250, z=0.000) [t=12.30 s]");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(inf, "min_speed_infractions"), 0)->valuestring,
                     "Average speed is 89.21% of the surrounding traffic's one [t=5.10 s]");
    const char *out = cJSON_GetArrayItem(cJSON_GetObjectItem(inf, "outside_route_lanes"), 0)->valuestring;
    cr_assert_str_eq(out, "Agent went outside its route lanes for about 10.050 meters (10.00% of the completed route) [t=8.00 s]");
    /* the leaderboard reads the metres as the 9th space-separated word */
    char words[16][64];
    int nw = sscanf(out, "%63s %63s %63s %63s %63s %63s %63s %63s %63s", words[0], words[1], words[2], words[3],
                    words[4], words[5], words[6], words[7], words[8]);
    cr_assert_eq(nw, 9);
    cr_assert_str_eq(words[8], "10.050");
    cr_assert_str_eq(cJSON_GetObjectItem(rec, "status")->valuestring, "Completed");
    cJSON *scores = cJSON_GetObjectItem(rec, "scores");
    cr_assert_float_eq(cJSON_GetObjectItem(scores, "score_composed")->valuedouble, 54.0, 0.0);
    cJSON *rec2 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "records"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(rec2, "status")->valuestring, "Failed - TickRuntime");
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(rec2, "seed")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(rec2, "meta"), "comfort")));
    cr_assert_eq(cJSON_GetObjectItem(rec2, "num_infractions")->valueint, 3);
    cJSON *sum = cJSON_GetObjectItem(j, "summary");
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "driving_score")->valuedouble, (54.0 + 23.352 + 100.0) / 3, 1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "success_rate")->valuedouble, 100.0 / 3, 1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "efficiency")->valuedouble, 89.21, 1e-4);
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "comfortness")->valuedouble, 87.5, 1e-9);   /* (0.75 + 1) / 2 */
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "comfortness_si")->valuedouble, 100.0, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(sum, "rules")->valuestring, "bench2drive");
    cr_assert_float_eq(cJSON_GetObjectItem(sum, "wall_time_s")->valuedouble, 12.5, 0.0);
    cJSON *ab = cJSON_GetObjectItem(sum, "abilities");
    /* Overtaking: Accident 1/1; Emergency_Brake: PedestrianCrossing 0/1 (collision); Traffic_Signs:
     * PedestrianCrossing 0 (collision) + 1 (100 % > 0.639, no light or stop infraction), T_Junction
     * 0 + 0 (red lights) → 1/4; Merging and Give_Way have no routes (null); mean over the 3 others. */
    cr_assert_float_eq(cJSON_GetObjectItem(ab, "Overtaking")->valuedouble, 100.0, 1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(ab, "Emergency_Brake")->valuedouble, 0.0, 1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(ab, "Traffic_Signs")->valuedouble, 25.0, 1e-9);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(ab, "Merging")));
    cr_assert_float_eq(cJSON_GetObjectItem(ab, "mean")->valuedouble, 125.0 / 3, 1e-9);
    cJSON_Delete(j);
    free(rs);
    unlink(path);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Reads path and expects failure with `needle` in the message. */
static void expect_reject(const char *path, const char *needle) {
    RouteResult *rs = (RouteResult *)0x1;
    int n = -1;
    RuleSet rules;
    Err e = {{0}};
    cr_assert_eq(results_read(path, &rs, &n, &rules, &e), -1, "accepted a bad file (expected: %s)", needle);
    cr_assert_null(rs);
    cr_assert_eq(n, 0);
    cr_assert(strstr(e.msg, needle) != NULL, "message '%s' lacks '%s'", e.msg, needle);
}

/* Replaces the first occurrence of `from` in the file by `to`. */
static void corrupt(const char *src, const char *dst, const char *from, const char *to) {
    FILE *f = fopen(src, "rb");
    static char buf[1 << 16], out[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = 0;
    fclose(f);
    char *p = strstr(buf, from);
    cr_assert_not_null(p, "'%s' not in the file", from);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(p - buf), buf, to, p + strlen(from));
    write_text(dst, out);
}

Test(results_json, corrupt_files_are_rejected) {
    char good[256], bad[256];
    tmp_path(good, sizeof good, "good");
    tmp_path(bad, sizeof bad, "bad");
    RouteResult *rs = make_routes();
    cr_assert_eq(results_write(good, rs, 3, RULES_BENCH2DRIVE, 1.0, NULL), 0);
    expect_reject("/nonexistent/dir/results.json", "cannot open");
    write_text(bad, "{\"format\": \"craft-results\", \"version\": 1, \"records\": [");
    expect_reject(bad, "not valid JSON");
    write_text(bad, "{\"_checkpoint\": {\"records\": []}}");
    expect_reject(bad, "not a craft results file");
    corrupt(good, bad, "\"version\":\t1", "\"version\":\t7");
    expect_reject(bad, "unsupported version");
    corrupt(good, bad, "\"status\":\t\"Completed\"", "\"state\":\t\"Completed\"");
    expect_reject(bad, "record 0: field 'status' is missing");
    corrupt(good, bad, "\"Failed - TickRuntime\"", "\"Failed - Tired\"");
    expect_reject(bad, "record 1: unknown status 'Failed - Tired'");
    corrupt(good, bad, "\"score_penalty\":\t0.54", "\"score_penalty\":\t1.54");
    expect_reject(bad, "score_penalty 1.54 outside [0, 1]");
    corrupt(good, bad, "\"score_route\":\t100", "\"score_route\":\t\"100\"");
    expect_reject(bad, "field 'score_route' is not a number");
    corrupt(good, bad, "\"kind\":\t\"collisions_vehicle\"", "\"kind\":\t\"collisions_layout\"");
    expect_reject(bad, "messages but");
    corrupt(good, bad, "\"infractions_dropped\":\t2", "\"infractions_dropped\":\t0");
    expect_reject(bad, "infractions_dropped is 0");
    corrupt(good, bad, "\"rules\":\t\"bench2drive\"", "\"rules\":\t\"carla\"");
    expect_reject(bad, "unknown rule set 'carla'");
    free(rs);
    unlink(good);
    unlink(bad);
}

/* A failed write leaves no temp file and the previous results intact; a good one replaces them. */
Test(results_json, atomic_write) {
    char path[256];
    tmp_path(path, sizeof path, "atomic");
    RouteResult *rs = make_routes();
    Err e = {{0}};
    cr_assert_eq(results_write("/nonexistent/dir/r.json", rs, 3, RULES_BENCH2DRIVE, 1.0, &e), -1);
    cr_assert(strstr(e.msg, "cannot create") != NULL, "%s", e.msg);
    cr_assert_eq(results_write(path, rs, 3, RULES_BENCH2DRIVE, 1.0, &e), 0, "%s", e.msg);
    cr_assert_eq(results_write(path, rs, 1, RULES_BENCH2DRIVE, 2.0, &e), 0, "%s", e.msg);
    RouteResult *back;
    int n;
    RuleSet rules;
    cr_assert_eq(results_read(path, &back, &n, &rules, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 1);
    results_free(back);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    cr_assert_neq(access(tmp, F_OK), 0, "temp file left behind");
    free(rs);
    unlink(path);
}

Test(results_json, summary_table) {
    RouteResult *rs = make_routes();
    B2dSummary s;
    b2d_summarize(rs, 3, &s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    results_print_summary(f, &s, rs, 3, RULES_BENCH2DRIVE);
    fclose(f);
    cr_assert(strstr(text, "Bench2Drive metrics: 3 routes, rules bench2drive") != NULL, "%s", text);
    cr_assert(strstr(text, "Driving Score              59.12") != NULL, "%s", text);
    cr_assert(strstr(text, "Success Rate               33.33 %") != NULL, "%s", text);
    cr_assert(strstr(text, "Merging (0/0)              n/a") != NULL, "%s", text);
    cr_assert(strstr(text, "Failed - TickRuntime") != NULL, "%s", text);
    cr_assert(strstr(text, "red_light                                     3") != NULL, "%s", text);
    free(text);
    free(rs);
}
