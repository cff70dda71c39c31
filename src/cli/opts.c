#include "opts.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *usage, const Opt *opts, int n) {
    printf("%s\n\noptions:\n", usage);
    for (int i = 0; i < n; i++) {
        const char *arg = opts[i].kind == OPT_FLAG ? "" : opts[i].kind == OPT_STR ? " S" :
                          opts[i].kind == OPT_FLOAT ? " X" : " N";
        char left[64];
        snprintf(left, sizeof left, "--%s%s", opts[i].name, arg);
        printf("  %-22s %s\n", left, opts[i].help);
    }
    printf("  %-22s %s\n", "--help", "show this help");
}

static int parse_value(const Opt *o, const char *v, Err *e) {
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case OPT_INT: {
        long x = strtol(v, &end, 10);
        if (errno || *end || end == v || x < -2147483647L || x > 2147483647L)
            return err_set(e, "--%s expects an integer, got '%s'", o->name, v);
        *(int *)o->dst = (int)x;
        return 0;
    }
    case OPT_U64: {
        if (v[0] == '-') return err_set(e, "--%s expects a non-negative integer, got '%s'", o->name, v);
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end || end == v) return err_set(e, "--%s expects a non-negative integer, got '%s'", o->name, v);
        *(uint64_t *)o->dst = (uint64_t)x;
        return 0;
    }
    case OPT_FLOAT: {
        float x = strtof(v, &end);
        if (errno || *end || end == v || !isfinite(x))
            return err_set(e, "--%s expects a finite number, got '%s'", o->name, v);
        *(float *)o->dst = x;
        return 0;
    }
    case OPT_STR: *(const char **)o->dst = v; return 0;
    case OPT_FLAG: *(int *)o->dst = 1; return 0;
    }
    return err_set(e, "internal: bad option kind");
}

int opts_parse(const char *usage, const Opt *opts, int nopts, int argc, char **argv,
               char **pos, int *npos, int maxpos, Err *e) {
    if (npos) *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(usage, opts, nopts);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (!pos || *npos >= maxpos) return err_set(e, "unexpected argument '%s' (see --help)", a);
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const Opt *o = NULL;
        for (int k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0) o = &opts[k];
        if (!o) return err_set(e, "unknown option '--%.*s' (see --help)", (int)len, name);
        if (o->kind == OPT_FLAG) {
            if (eq) return err_set(e, "--%s takes no value", o->name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) return err_set(e, "--%s needs a value", o->name);
        if (parse_value(o, v, e)) return -1;
    }
    return 0;
}
