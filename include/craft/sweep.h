/* sweep — the results grid of CRAFT.md: every (family × method × seed) cell fine-tuned with one
 * trainer config (or, for `il`, not at all) and evaluated on the eval route set into one results JSON.
 * plan.json → SweepPlan → SweepCell[] (effective FtConfig, its hash, run dir, result files) → for each
 * cell not yet done, a cell runner (default: finetune_run, resuming, then eval_run) → results files
 * that record the cell's hash, so a killed sweep restarted later skips what is finished and redoes
 * exactly the cells whose configuration changed.
 *
 * Plan (JSON object; unknown keys are errors):
 *   families     ["vocab", "hier", "vla"]             names of policy families (directory names)
 *   methods      ["il", "ppo", "grpo-cl", "cf", "craft", "craft:residual=0;kl_alpha=0.5",
 *                 {"name": "craft-frozen", "method": "craft", "set": {"teacher": "frozen"}}]
 *                a string is METHOD[:k=v;k=v...] (its cell name is METHOD[+k=v+k=v...]);
 *                `il` evaluates the pre-trained checkpoint without fine-tuning
 *   seeds        [1, 2, 3]
 *   set          {FtConfig overrides for every cell}   (optional)
 *   pretrained   {"vocab": "ckpt/vocab.safetensors", ...}   one per family
 *   eval_routes  "eval220"  (routeset_load argument; default eval220)
 *   val_routes   "val220"   (optional: also written to <cell>-seed<k>.val.json)
 *   runs_dir     "runs"            run dirs:     <runs_dir>/<family>/<cell>-seed<k>
 *   out_dir      "results/finetune" result files: <out_dir>/<family>/<cell>-seed<k>.json
 *   data_dir     "data/routes"     where eval220.json / val220.json live
 *   threads      2                 trainer worlds / eval routes in parallel (not in any hash)
 * Per cell the config is: the method's defaults → plan `set` → the cell's own overrides → seed,
 * policy (= pretrained[family]), run_dir and threads, which the sweep owns (a `set` that changes
 * method, seed, policy or run_dir is an error). */
#ifndef CRAFT_SWEEP_H
#define CRAFT_SWEEP_H
#include <stdint.h>
#include <stdio.h>
#include "craft/config.h"
#include "craft/criteria.h"
#include "craft/err.h"
#include "craft/finetune.h"
#include "craft/scenario.h"

#define SWEEP_NAME_MAX 96
#define SWEEP_MAX_FAMILIES 16
#define SWEEP_MAX_METHODS 64
#define SWEEP_MAX_SEEDS 64
#define SWEEP_PATH_MAX 640

/* The trainer's config schema and per-method defaults. Injected so the sweep can be tested with a
 * small schema over FtConfig; sweep_trainer_default gives finetune_schema / finetune_defaults. */
typedef struct {
    const ConfigSchema *schema;
    int (*defaults)(FtConfig *c, FtMethod m, Err *e);
} SweepTrainer;

int sweep_trainer_default(SweepTrainer *t, Err *e);

typedef struct {
    char name[SWEEP_NAME_MAX];   /* cell name in file names: "craft", "craft+residual=0" */
    int il;                      /* 1: no fine-tuning, evaluate the pre-trained checkpoint */
    FtMethod method;             /* base method (METHOD_CRAFT for il: only its replan is used) */
    char *assignments;           /* "k=v;k=v" (string form) or NULL */
    char *set_json;              /* JSON object text (object form) or NULL */
} SweepMethod;

typedef struct {
    SweepTrainer trainer;
    int n_families;
    char families[SWEEP_MAX_FAMILIES][32];
    char pretrained[SWEEP_MAX_FAMILIES][512];
    int n_methods;
    SweepMethod methods[SWEEP_MAX_METHODS];
    int n_seeds;
    int seeds[SWEEP_MAX_SEEDS];
    char *set_json;              /* global overrides, or NULL */
    char eval_routes[512], val_routes[512];   /* val_routes "" when absent */
    RouteSet eval_set, val_set;  /* loaded at parse time (bad routes fail before any training) */
    uint64_t eval_hash, val_hash;/* of the route sets' contents (ids, types, seeds, overrides) */
    char runs_dir[256], out_dir[256], data_dir[256];
    int threads;
} SweepPlan;

/* origin names the plan in errors. The plan owns heap memory: sweep_plan_free. */
int sweep_plan_parse(SweepPlan *p, const char *json_text, const char *origin, const SweepTrainer *t, Err *e);
int sweep_plan_load(SweepPlan *p, const char *path, const SweepTrainer *t, Err *e);
void sweep_plan_free(SweepPlan *p);

typedef struct {
    int index;                   /* position in plan order: family-major, then method, then seed */
    int family, method, seed;    /* family / method indices into the plan; seed value */
    char id[SWEEP_NAME_MAX + 48];/* "vocab/craft+residual=0-seed1" */
    FtConfig cfg;                /* effective trainer config (cfg.run_dir is the cell's run dir) */
    uint64_t config_hash;        /* config_hash(schema, &cfg) */
    uint64_t cell_hash;          /* recorded in the result files: config (il: checkpoint + replan) + route sets */
    char result_path[SWEEP_PATH_MAX], val_path[SWEEP_PATH_MAX];   /* val_path "" without val_routes */
} SweepCell;

/* Every cell of the plan, in plan order; *cells is malloc'ed (free it). */
int sweep_cells(const SweepPlan *p, SweepCell **cells, int *n, Err *e);

typedef enum {
    SWEEP_DONE,      /* result file(s) record this cell's hash: skipped */
    SWEEP_EVAL,      /* trained (final checkpoint of this config) or il: evaluation only */
    SWEEP_RESUME,    /* run dir of this config with a checkpoint: training continues */
    SWEEP_TRAIN,     /* nothing usable yet */
    SWEEP_RETRAIN    /* the run dir holds another config: it is moved aside, training starts afresh */
} SweepStatus;
const char *sweep_status_name(SweepStatus s);

typedef struct {
    SweepStatus status;
    int stale_results;           /* a result file exists with another hash (it will be replaced) */
    int eval_done, val_done;     /* which result files are already current */
} SweepCellState;
int sweep_cell_state(const SweepPlan *p, const SweepCell *c, SweepCellState *st);

/* The hash a result file records (0), or -1 if it has none / is missing or unreadable. */
int sweep_result_hash(const char *path, uint64_t *hash);
/* results_write plus a top-level "sweep" object (cell id, method, seed, cell_hash, config_hash,
 * routes); results_read ignores it. Atomic: the file is complete or absent. */
int sweep_write_results(const SweepCell *c, const char *path, const char *routes_arg, const RouteResult *routes,
                        int n, RuleSet rules, double wall_s, Err *e);

/* Does the work of one cell that is not done: must leave result_path (and val_path when the plan
 * has val routes) current, or fail. ctx is SweepOptions.runner_ctx. */
typedef int (*SweepCellRunner)(const SweepPlan *p, const SweepCell *c, const SweepCellState *st, void *ctx, Err *e);
/* The real runner: moves a stale run dir aside, finetune_run (resume=1 when the run dir has a
 * checkpoint; skipped for il and trained cells), then eval_run on val and eval routes with the
 * trained policy (agent replan = cfg.replan). ctx: FILE* for progress lines, or NULL. */
int sweep_run_cell(const SweepPlan *p, const SweepCell *c, const SweepCellState *st, void *ctx, Err *e);

typedef struct {
    int dry_run;                 /* list cells and their status, run nothing */
    const char *only;            /* comma list of FAMILY | FAMILY/CELL | FAMILY/CELL-seedK (FAMILY may be *) */
    FILE *log;                   /* progress lines; NULL: silent */
    SweepCellRunner runner;      /* NULL: sweep_run_cell */
    void *runner_ctx;
    int rank, ranks;             /* MPI hand-out: run only the cells i (plan order) with i mod ranks == rank (ranks 0: all) */
} SweepOptions;

typedef struct {
    int cells, selected;         /* in the plan / passing --only */
    int skipped;                 /* already done */
    int ran;                     /* runner calls that succeeded */
    int copied;                  /* results copied from an identical cell (same cell hash, e.g. il seeds) */
} SweepSummary;

/* Runs every selected cell that is not done, in plan order; stops at the first failing cell
 * (its id in the message). Results already written stay valid, so running again continues. */
int sweep_run(const SweepPlan *p, const SweepOptions *o, SweepSummary *s, Err *e);

/* 1 if cell id "family/cell-seedK" passes the --only filter (NULL or "" passes everything). */
int sweep_only_match(const char *only, const char *family, const char *cell, int seed);

#endif
