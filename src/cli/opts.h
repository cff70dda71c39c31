/* opts — the one option parser every `craft` subcommand uses.
 * A subcommand declares a table of Opt (name, kind, destination, help); opts_parse fills the
 * destinations from argv, rejects unknown or malformed options with a one-line error, and prints
 * the table as the subcommand's --help. */
#ifndef CRAFT_CLI_OPTS_H
#define CRAFT_CLI_OPTS_H
#include <stdint.h>
#include "craft/err.h"

typedef enum { OPT_INT, OPT_U64, OPT_FLOAT, OPT_STR, OPT_FLAG } OptKind;

typedef struct {
    const char *name; /* without the leading "--" */
    OptKind kind;
    void *dst;        /* int*, uint64_t*, float*, const char**, int* (flag) */
    const char *help;
} Opt;

/* Returns 0 when parsed, 1 when --help was printed (caller exits 0), -1 on error (e->msg set).
 * Positional arguments (not starting with "--") are collected into pos[0..*npos) if pos != NULL. */
int opts_parse(const char *usage, const Opt *opts, int nopts, int argc, char **argv,
               char **pos, int *npos, int maxpos, Err *e);

#endif
