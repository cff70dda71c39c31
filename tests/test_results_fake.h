/* test_results_fake — hand-made RouteResults and scratch directories for the sweep and report
 * tests: a route whose driving score is exactly `ds` (completion ds %, penalty 1, no infraction). */
#ifndef CRAFT_TEST_RESULTS_FAKE_H
#define CRAFT_TEST_RESULTS_FAKE_H
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/criteria.h"

static inline void fake_route(RouteResult *r, const char *id, const char *type, double ds) {
    memset(r, 0, sizeof *r);
    snprintf(r->route_id, sizeof r->route_id, "%s", id);
    snprintf(r->scenario_type, sizeof r->scenario_type, "%s", type);
    r->seed = 7;
    r->rules = RULES_BENCH2DRIVE;
    r->status = ds >= 100.0 ? ROUTE_COMPLETED : ROUTE_FAILED;
    r->route_completion = ds;
    r->penalty = 1.0;
    r->driving_score = ds;
    r->route_length = 100.0;
    r->duration_game = 10.0;
    r->travelled = ds;
    r->junction_entry_frac = NAN;
    r->comfort = NAN;
    r->comfort_si = NAN;
}

static inline int fake_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* rm -rf of a scratch directory made by mkdtemp. */
static inline void fake_rm_tree(const char *dir) { nftw(dir, fake_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

#endif
