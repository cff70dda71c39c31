/* jsonl — the trainers' append-only metrics log: one JSON object per line (per iteration: returns,
 * event counts, clip fractions, KL, timings ...), written with a single write and flushed per line so
 * a crash loses at most the line being written. Resuming a run reopens the log keeping only the lines
 * up to the checkpoint's iteration, so the resumed run's log has no duplicated or orphaned lines. */
#ifndef CRAFT_JSONL_H
#define CRAFT_JSONL_H
#include <cjson/cJSON.h>
#include "craft/err.h"

typedef struct JsonlLog JsonlLog;

/* Opens path for appending. iter_key names the iteration field ("iter").
 *   keep_through < 0: a fresh run; the file is created or emptied.
 *   keep_through >= 0: a resume; the file (created if missing) is cut just before the first line
 *     whose iter_key exceeds keep_through; a torn last line (no final newline, from a crash) is cut
 *     too. Lines without iter_key are kept until the cut. A complete line that is not a JSON object,
 *     or whose iter_key is not a number, is an error naming the line (nothing is truncated then). */
JsonlLog *jsonl_open(const char *path, const char *iter_key, long long keep_through, Err *e);
/* Appends obj (must be an object) as one line and flushes. Refuses an iter_key smaller than the
 * last one logged: that would be a duplicate of an earlier iteration. */
int jsonl_write(JsonlLog *l, const cJSON *obj, Err *e);
/* The same for an already serialised object (validated; may not contain a newline). */
int jsonl_write_text(JsonlLog *l, const char *json, Err *e);
long jsonl_line_count(const JsonlLog *l);       /* lines in the file (kept + written) */
int jsonl_has_iter(const JsonlLog *l);          /* any line with iter_key so far */
double jsonl_last_iter(const JsonlLog *l);      /* the last iter_key value (valid if jsonl_has_iter) */
void jsonl_close(JsonlLog *l);

#endif
