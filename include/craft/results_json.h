/* results_json — the benchmark's output file: per-route records in the shape of Bench2Drive's
 * merged results plus a global summary, written atomically; read back into RouteResults (for
 * `craft report`) with one-line errors on malformed files; and the human-readable summary table.
 *
 * Layout (cJSON, numbers printed round-trip exact, undefined values as null):
 *   { "format": "craft-results", "version": 1,
 *     "summary": { driving_score, success_rate, efficiency, comfortness, comfortness_si,
 *                  route_completion, penalty, abilities: {Overtaking, Merging, Emergency_Brake,
 *                  Give_Way, Traffic_Signs, mean}, routes, successes, rules, wall_time_s },
 *     "records": [ { index, route_id, scenario_type, seed, status, num_infractions,
 *                    infractions: { collisions_layout: [msg...], ..., route_timeout: [...] },
 *                    scores: { score_route, score_penalty, score_composed },
 *                    route_completion, penalty, driving_score,
 *                    meta: { route_length, duration_game, rules, travelled, outside_lanes_pct,
 *                            junction_entry_frac, comfort, comfort_si, n_samples,
 *                            infractions_dropped, counts: { <list name>: n, ... } },
 *                    events: [ { kind, t, x, y, value, value2, other_id, other_type } ... ] } ] }
 * The message strings are Bench2Drive's (so its tools' regexes still parse them) followed by
 * " [t=<seconds> s]". `events` is the same information in structured form; the reader uses it and
 * checks that it agrees with the message lists. All percentages in the summary are in %. */
#ifndef CRAFT_RESULTS_JSON_H
#define CRAFT_RESULTS_JSON_H
#include <stdio.h>
#include "craft/b2d_metrics.h"
#include "craft/criteria.h"
#include "craft/err.h"

#define RESULTS_FORMAT "craft-results"
#define RESULTS_VERSION 1

/* Bench2Drive-style message of one infraction, with its timestamp. Returns snprintf's length. */
int infraction_message(const Infraction *f, char *buf, size_t size);

/* Writes the summary (computed here with b2d_summarize) and the records to path: temp file in the
 * same directory, fsync, rename. Returns 0, or -1 with a message (the old file is left intact). */
int results_write(const char *path, const RouteResult *routes, int n, RuleSet rules, double wall_time_s, Err *e);

/* Loads a results file. *routes is malloc'ed (free with results_free); *rules from the summary. */
int results_read(const char *path, RouteResult **routes, int *n, RuleSet *rules, Err *e);
void results_free(RouteResult *routes);

/* The summary table: headline metrics, abilities, and the route statuses. */
void results_print_summary(FILE *f, const B2dSummary *s, const RouteResult *routes, int n, RuleSet rules);

#endif
