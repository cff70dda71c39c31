/* `craft collect` (expert demonstrations on train routes → dataset file) and `craft pretrain`
 * (open-loop imitation of a policy family on such a file → checkpoint, JSONL log, PNG curves). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "craft/pretrain.h"
#include "craft/render.h"
#include "opts.h"
#include "wallclock.h"

static void collect_progress(int done, int total, long records, void *ctx) {
    (void)ctx;
    fprintf(stderr, "\r[collect] %d/%d routes, %ld records   ", done, total, records);
    if (done == total) fputc('\n', stderr);
}

int cmd_collect(int argc, char **argv) {
    const char *routes = "train:220", *out = "demos.ds", *data = "data/routes";
    int threads = 2, replan = 5, no_bev = 0, no_bg = 0;
    Opt opts[] = {
        {"routes", OPT_STR, &routes, "route selection (default train:220; must not be eval220)"},
        {"out", OPT_STR, &out, "dataset file (default demos.ds)"},
        {"threads", OPT_INT, &threads, "routes in parallel (default 2)"},
        {"replan", OPT_INT, &replan, "world steps between planning steps (default 5 = 0.5 s)"},
        {"no-bev", OPT_FLAG, &no_bev, "do not record the BEV raster (not usable by the VLA family)"},
        {"no-background", OPT_FLAG, &no_bg, "no background traffic"},
        {"data", OPT_STR, &data, "directory of the route files (default data/routes)"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft collect [options]\nRecords the expert's planning steps on training routes into a dataset file.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) return fprintf(stderr, "craft collect: %s\n", e.msg), 2;
    if (threads < 1 || replan < 1) return fprintf(stderr, "craft collect: --threads and --replan must be >= 1\n"), 2;
    RouteSet rs;
    if (routeset_load(&rs, routes, data, &e)) return fprintf(stderr, "craft collect: %s\n", e.msg), 2;
    for (int i = 0; i < rs.n; i++)
        if (route_seed_split(rs.routes[i].seed) == SPLIT_EVAL) {
            fprintf(stderr, "craft collect: route %s is an eval220 route: demonstrations never come from eval220\n",
                    rs.routes[i].id);
            routeset_free(&rs);
            return 2;
        }
    CollectConfig cfg = collect_default_config();
    cfg.threads = threads;
    cfg.replan_every = replan;
    cfg.with_bev = !no_bev;
    cfg.background = !no_bg;
    if (isatty(2)) cfg.progress = collect_progress;
    long n = 0;
    double t0 = now_s();
    rc = collect_demonstrations(&rs, &cfg, out, &n, &e);
    if (rc) fprintf(stderr, "craft collect: %s\n", e.msg);
    else printf("craft collect: %ld records from %d routes in %.1f s -> %s\n", n, rs.n, now_s() - t0, out);
    routeset_free(&rs);
    return rc ? 1 : 0;
}

static void pretrain_progress(int epoch, int epochs, int step, int steps, float loss, void *ctx) {
    (void)ctx;
    if (step % 10 && step != steps - 1) return;
    int w = 30, filled = steps > 0 ? (step + 1) * w / steps : w;
    fprintf(stderr, "\r[pretrain] epoch %d/%d [%.*s%*s] loss %.4f   ", epoch + 1, epochs, filled,
            "##############################", w - filled, "", loss);
    if (step == steps - 1) fputc('\n', stderr);
}

int cmd_pretrain(int argc, char **argv) {
    const char *family = "vocab", *data = "demos.ds", *out = "pretrained.safetensors", *log = NULL, *plot = NULL;
    PretrainConfig cfg = pretrain_default_config();
    int hidden = 128, vocab = 256;
    Opt opts[] = {
        {"policy", OPT_STR, &family, "family: vocab | hier | vla (default vocab)"},
        {"data", OPT_STR, &data, "dataset file from craft collect (default demos.ds)"},
        {"out", OPT_STR, &out, "checkpoint (best validation NLL; default pretrained.safetensors)"},
        {"log", OPT_STR, &log, "JSONL log, one line per epoch (default <out>.jsonl)"},
        {"plot", OPT_STR, &plot, "PNG of the loss curves (default <out>.png)"},
        {"epochs", OPT_INT, &cfg.epochs, "epochs (default 10)"},
        {"batch", OPT_INT, &cfg.batch, "mini-batch size (default 64)"},
        {"lr", OPT_FLOAT, &cfg.lr, "peak learning rate, cosine decay (default 1e-3)"},
        {"val-frac", OPT_FLOAT, &cfg.val_frac, "share of routes held out (default 0.1)"},
        {"kmeans-iters", OPT_INT, &cfg.kmeans_iters, "vocab: k-means iterations to fit the vocabulary (default 30; 0 keeps the default one)"},
        {"hidden", OPT_INT, &hidden, "network width (default 128)"},
        {"vocab-size", OPT_INT, &vocab, "vocab: entries (default 256)"},
        {"seed", OPT_U64, &cfg.seed, "seed (default 1)"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft pretrain [options]\nImitation pre-training of a policy family on expert demonstrations.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    PolicyConfig pc;
    if (rc < 0 || policy_family_from_name(family, &pc.family, &e)) return fprintf(stderr, "craft pretrain: %s\n", e.msg), 2;
    pc = policy_default_config(pc.family);
    pc.hidden = hidden;
    pc.vocab_size = vocab;
    pc.max_batch = cfg.batch > 0 ? cfg.batch : 1;
    char log_buf[4096], plot_buf[4096];
    snprintf(log_buf, sizeof log_buf, "%s.jsonl", out);
    snprintf(plot_buf, sizeof plot_buf, "%s.png", out);
    cfg.log_path = log ? log : log_buf;
    cfg.plot_path = plot ? plot : plot_buf;
    if (isatty(2)) cfg.progress = pretrain_progress;
    Policy *p = policy_create(&pc, cfg.seed, &e);
    if (!p) return fprintf(stderr, "craft pretrain: %s\n", e.msg), 2;
    PretrainReport rep;
    rc = pretrain_run(p, data, &cfg, out, &rep, &e);
    if (rc) {
        fprintf(stderr, "craft pretrain: %s\n", e.msg);
    } else {
        printf("craft pretrain: %s, %ld train / %ld val records, %d epochs in %.1f s\n", family, rep.train_records,
               rep.val_records, rep.epochs_run, rep.wall_s);
        printf("  best epoch %d: train NLL %.4f, val NLL %.4f, val ADE %.3f m, val FDE %.3f m -> %s\n",
               rep.best_epoch + 1, rep.train_nll, rep.val_nll, rep.val_ade, rep.val_fde, out);
    }
    policy_destroy(p);
    render_shutdown();
    return rc ? 1 : 0;
}
