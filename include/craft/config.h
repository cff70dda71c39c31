/* config — typed key/value configuration of the trainers, generic over any plain struct.
 * A ConfigSchema (a table of keys: name, type, offset, default, range, help) drives everything:
 * defaults → JSON file (config_load_json) → `--set key=value` (config_set_assignment) → the struct;
 * the struct → a JSON dump for the run directory and a stable 64-bit hash of the effective values
 * (XXH64 of a canonical JSON text) that identifies a sweep cell. Errors are one line and name the
 * key: unknown keys come with the closest known names, wrong types and out-of-range values with
 * what was expected. A failed call leaves the struct unchanged (values are staged in a copy).
 *
 * Example:
 *   typedef struct { int epochs; float lr; char run_dir[256]; int family; } TrainCfg;
 *   static const char *const FAMILIES[] = {"vocab", "hier", "vla", NULL};
 *   static const ConfigKey KEYS[] = {
 *       CFG_INT(TrainCfg, epochs, "epochs", "16", 1, 1000, "epochs per update round"),
 *       CFG_FLOAT(TrainCfg, lr, "optim.lr", "1e-4", 0, 1, "learning rate"),
 *       CFG_STRING(TrainCfg, run_dir, "run_dir", "runs/x", "output directory", | CFG_NO_HASH),
 *       CFG_ENUM(TrainCfg, family, "family", "vocab", FAMILIES, "policy family"),
 *   };
 *   static const ConfigSchema SCHEMA = CFG_SCHEMA(TrainCfg, "train", KEYS);
 * Dotted names group keys: a JSON file may give "optim.lr": 1e-4 or "optim": {"lr": 1e-4}. */
#ifndef CRAFT_CONFIG_H
#define CRAFT_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "craft/err.h"

typedef enum { CFG_TYPE_INT, CFG_TYPE_FLOAT, CFG_TYPE_DOUBLE, CFG_TYPE_BOOL, CFG_TYPE_STRING, CFG_TYPE_ENUM } ConfigType;

#define CFG_NO_HASH 1u     /* key does not change results (paths, thread counts): left out of the hash */

typedef struct {
    const char *name;            /* [a-z0-9_] words joined by '.' */
    ConfigType type;             /* stored as int (INT, BOOL 0/1, ENUM index), float, double, char[size] */
    size_t offset;               /* offsetof(struct, field) */
    size_t size;                 /* sizeof the field (checked against the type; a string's capacity) */
    const char *def;             /* default, written as on the command line ("1e-4", "true", "vla") */
    const char *help;
    double min, max;             /* INT/FLOAT/DOUBLE: inclusive range, checked when min < max */
    const char *const *choices;  /* ENUM: names, NULL-terminated */
    unsigned flags;              /* CFG_NO_HASH */
} ConfigKey;

typedef struct {
    const char *name;            /* for messages ("train config") */
    size_t struct_size;
    const ConfigKey *keys;
    int n_keys;
} ConfigSchema;

#define CFG_FIELD_(S, f) offsetof(S, f), sizeof(((S *)0)->f)
#define CFG_INT(S, f, name, def, lo, hi, help, ...) {name, CFG_TYPE_INT, CFG_FIELD_(S, f), def, help, lo, hi, NULL, 0 __VA_ARGS__}
#define CFG_FLOAT(S, f, name, def, lo, hi, help, ...) {name, CFG_TYPE_FLOAT, CFG_FIELD_(S, f), def, help, lo, hi, NULL, 0 __VA_ARGS__}
#define CFG_DOUBLE(S, f, name, def, lo, hi, help, ...) {name, CFG_TYPE_DOUBLE, CFG_FIELD_(S, f), def, help, lo, hi, NULL, 0 __VA_ARGS__}
#define CFG_BOOL(S, f, name, def, help, ...) {name, CFG_TYPE_BOOL, CFG_FIELD_(S, f), def, help, 0, 0, NULL, 0 __VA_ARGS__}
#define CFG_STRING(S, f, name, def, help, ...) {name, CFG_TYPE_STRING, CFG_FIELD_(S, f), def, help, 0, 0, NULL, 0 __VA_ARGS__}
#define CFG_ENUM(S, f, name, def, choices, help, ...) {name, CFG_TYPE_ENUM, CFG_FIELD_(S, f), def, help, 0, 0, choices, 0 __VA_ARGS__}
/* The optional last argument of the CFG_* macros is `| flags`, e.g. `| CFG_NO_HASH`. */
#define CFG_SCHEMA(S, name, keys) {name, sizeof(S), keys, (int)(sizeof(keys) / sizeof((keys)[0]))}

/* Checks the table (unique well-formed names, field sizes, defaults that parse and are in range). */
int config_check_schema(const ConfigSchema *s, Err *e);
/* Checks the table, then writes every default into obj. */
int config_set_defaults(const ConfigSchema *s, void *obj, Err *e);

const ConfigKey *config_find(const ConfigSchema *s, const char *name);
/* One value from text, as on the command line. */
int config_set(const ConfigSchema *s, void *obj, const char *name, const char *value, Err *e);
/* "key=value" (the argument of --set). */
int config_set_assignment(const ConfigSchema *s, void *obj, const char *assignment, Err *e);
/* A JSON object of values (flat dotted names and/or nested objects); origin names it in errors. */
int config_apply_json(const ConfigSchema *s, void *obj, const char *json_text, const char *origin, Err *e);
int config_load_json(const ConfigSchema *s, void *obj, const char *path, Err *e);

/* The value of one key as text in the form config_set accepts back (buf is always terminated).
 * Returns -1 for an unknown key. */
int config_get_text(const ConfigSchema *s, const void *obj, const char *name, char *buf, size_t size);
/* Every key in table order, pretty-printed, one per line; malloc'ed (free it). NULL if out of memory. */
char *config_to_json(const ConfigSchema *s, const void *obj);
/* config_to_json into path, atomically (temp file + fsync + rename). */
int config_write_json(const ConfigSchema *s, const void *obj, const char *path, Err *e);
/* Canonical form: hashed keys only, sorted by name, no whitespace, floats in their shortest
 * round-trip decimal form, enums by name. Independent of the table's order; malloc'ed. */
char *config_canonical_json(const ConfigSchema *s, const void *obj);
/* XXH64 (seed 0) of config_canonical_json. */
uint64_t config_hash(const ConfigSchema *s, const void *obj);

/* One line per key: name, type, current value, range or choices, help. */
void config_print_help(FILE *f, const ConfigSchema *s, const void *obj);

#endif
