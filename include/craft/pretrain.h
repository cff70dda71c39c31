/* pretrain — open-loop imitation: demonstration collection and pre-training of a policy family.
 *
 * collect: the expert drives `train`-split routes in closed loop; at every planning step (every
 * replan_every world steps) the record (observation, the expert's planned trajectory, its behaviour
 * label, the navigation command, route id, step) goes to a dataset file (dataset.h). Routes run in
 * parallel; records are appended in route order, so the file does not depend on the thread count.
 *
 * pretrain: mini-batch maximum likelihood of the expert's action in the family's action space
 * (policy_action_from_traj: nearest vocabulary entry / behaviour + waypoints / decision + tokens),
 * i.e. L = −mean log π(a_expert | s): cross-entropy for the vocabulary and token families, CE on the
 * behaviour plus Gaussian NLL for the hierarchical one. A validation split (whole routes) reports
 * NLL and open-loop ADE/FDE of the greedy action against the expert; JSONL log + PNG curves; the
 * checkpoint with the best validation NLL is written atomically. */
#ifndef CRAFT_PRETRAIN_H
#define CRAFT_PRETRAIN_H
#include <stdint.h>
#include "craft/dataset.h"
#include "craft/err.h"
#include "craft/policy.h"
#include "craft/scenario.h"
#include "craft/traj.h"

/* ---- demonstrations ------------------------------------------------------------------------- */
typedef struct {
    int replan_every;          /* world steps between planning steps (5 = 0.5 s) */
    int with_bev;              /* record the BEV raster and instruction (needed by the VLA family) */
    int threads;
    int background;            /* background traffic in the routes */
    void (*progress)(int done, int total, long records, void *ctx);
    void *progress_ctx;
} CollectConfig;

CollectConfig collect_default_config(void);
/* Behaviour label of a planned trajectory: lateral intent from the end point's signed offset from
 * the route (beyond ±half a lane width: left / right), style from the mean planned speed relative
 * to the speed limit (stop: < 0.3 m/s at the end and < 2 m travelled; cautious < 45 %; normal
 * < 85 %; assertive above). */
int behaviour_label(const World *w, const Traj *t);
/* Runs the expert on every route and writes the dataset; *n_records receives the count. */
int collect_demonstrations(const RouteSet *rs, const CollectConfig *cfg, const char *out_path, long *n_records,
                           Err *e);

/* ---- pre-training --------------------------------------------------------------------------- */
typedef struct {
    int epochs;
    int batch;
    float lr, lr_min, weight_decay, grad_clip;
    float val_frac;            /* share of routes held out for validation */
    int kmeans_iters;          /* vocab family: fit the vocabulary to the data first (0: keep default) */
    uint64_t seed;
    int threads;               /* OpenMP threads for the network */
    const char *log_path;      /* JSONL (one line per epoch), NULL: none */
    const char *plot_path;     /* PNG of the curves, NULL: none */
    void (*progress)(int epoch, int epochs, int step, int steps, float loss, void *ctx);
    void *progress_ctx;
} PretrainConfig;

typedef struct {
    int epochs_run;
    float train_nll, val_nll, val_ade, val_fde;  /* of the best epoch */
    int best_epoch;
    long train_records, val_records;
    double wall_s;
} PretrainReport;

PretrainConfig pretrain_default_config(void);
/* Trains p (created by the caller with max_batch >= cfg.batch) on the dataset and writes the best
 * checkpoint to out_path. */
int pretrain_run(Policy *p, const char *dataset_path, const PretrainConfig *cfg, const char *out_path,
                 PretrainReport *rep, Err *e);
/* Open-loop validation of a policy on records [0, n): mean NLL of the expert action and greedy
 * ADE / FDE (m) against the expert trajectory. */
int pretrain_validate(Policy *p, const DatasetRecord *recs, const long *idx, long n, float *nll,
                      float *ade, float *fde, Err *e);

#endif
