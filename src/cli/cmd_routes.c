/* `craft routes`: the route sets. `list ARG` prints the routes an --routes argument selects;
 * `write DIR` (re)generates the canonical eval220.json and val220.json; `check DIR` verifies that
 * the shipped files are the canonical sets (so results stay comparable across versions). */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "craft/scenario.h"
#include "opts.h"

static int same_set(const RouteSet *a, const RouteSet *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->routes[i].id, b->routes[i].id) || strcmp(a->routes[i].type, b->routes[i].type) ||
            a->routes[i].seed != b->routes[i].seed || strcmp(a->routes[i].overrides, b->routes[i].overrides))
            return 0;
    return 1;
}

int cmd_routes(int argc, char **argv) {
    const char *data = "data/routes";
    Opt opts[] = {{"data", OPT_STR, &data, "directory of eval220.json / val220.json (default data/routes)"}};
    char *pos[3];
    int npos = 0;
    Err e = {{0}};
    int rc = opts_parse("usage: craft routes list ARG | write DIR | check DIR\n"
                        "Lists a route selection, or writes / checks the canonical eval220 and val220 files.",
                        opts, 1, argc, argv, pos, &npos, 3, &e);
    if (rc == 1) return 0;
    if (rc < 0 || npos != 2 || (strcmp(pos[0], "list") && strcmp(pos[0], "write") && strcmp(pos[0], "check"))) {
        fprintf(stderr, "craft routes: %s\n", rc < 0 ? e.msg : "expected: list ARG | write DIR | check DIR");
        return 2;
    }
    if (!strcmp(pos[0], "list")) {
        RouteSet rs;
        if (routeset_load(&rs, pos[1], data, &e)) return fprintf(stderr, "craft routes: %s\n", e.msg), 2;
        for (int i = 0; i < rs.n; i++)
            printf("%-14s %-44s %llu%s%s\n", rs.routes[i].id, rs.routes[i].type, (unsigned long long)rs.routes[i].seed,
                   rs.routes[i].overrides[0] ? " " : "", rs.routes[i].overrides);
        routeset_free(&rs);
        return 0;
    }
    int bad = 0;
    for (int split = 0; split < 2; split++) {
        RouteSet canon, file;
        const char *name = split == 0 ? "eval220" : "val220";
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.json", pos[1], name);
        if (routeset_canonical(&canon, split == 0 ? SPLIT_EVAL : SPLIT_VAL, &e)) return fprintf(stderr, "craft routes: %s\n", e.msg), 1;
        if (!strcmp(pos[0], "write")) {
            if (routeset_write_file(&canon, path, &e)) bad = 1, fprintf(stderr, "craft routes: %s\n", e.msg);
            else printf("wrote %s (%d routes)\n", path, canon.n);
        } else if (routeset_read_file(&file, path, &e)) {
            bad = 1;
            fprintf(stderr, "craft routes: %s\n", e.msg);
        } else {
            int ok = same_set(&canon, &file);
            printf("%s: %s\n", path, ok ? "canonical" : "DIFFERS from the canonical set");
            bad |= !ok;
            routeset_free(&file);
        }
        routeset_free(&canon);
    }
    return bad;
}
