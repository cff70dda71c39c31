/* `craft plot LOG.jsonl --x key --y k1,k2 --out f.png`: a line chart of chosen keys of a JSONL log
 * (learning curves). Reading and drawing live in src/render/plot*.c; this file parses options. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "craft/plot.h"
#include "craft/render.h"
#include "opts.h"

#define PLOT_CLI_MAX_KEYS 16

int cmd_plot(int argc, char **argv) {
    const char *x_key = NULL, *y_list = NULL, *out = NULL, *title = NULL;
    int log_y = 0, width = 800, height = 500;
    Opt opts[] = {
        {"x", OPT_STR, &x_key, "key for the x axis (e.g. iter)"},
        {"y", OPT_STR, &y_list, "comma-separated keys to plot (dots reach nested members: loss.policy)"},
        {"out", OPT_STR, &out, "output PNG"},
        {"log-y", OPT_FLAG, &log_y, "logarithmic y axis"},
        {"title", OPT_STR, &title, "chart title (default: the log's file name)"},
        {"width", OPT_INT, &width, "pixels (default 800)"},
        {"height", OPT_INT, &height, "pixels (default 500)"},
    };
    Err e = {{0}};
    char *pos[2];
    int npos = 0;
    int rc = opts_parse("usage: craft plot LOG.jsonl --x KEY --y K1,K2,... --out FILE.png [options]\n"
                        "Plots keys of a JSONL log (one JSON object per line) against an x key.",
                        opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, pos, &npos, 2, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft plot: %s\n", e.msg); return 2; }
    if (npos != 1) { fprintf(stderr, "craft plot: give exactly one JSONL log (got %d)\n", npos); return 2; }
    if (!x_key || !y_list || !out) { fprintf(stderr, "craft plot: --x, --y and --out are required\n"); return 2; }
    char keys_buf[1024];
    if (strlen(y_list) >= sizeof keys_buf) { fprintf(stderr, "craft plot: --y list too long\n"); return 2; }
    strcpy(keys_buf, y_list);
    const char *keys[PLOT_CLI_MAX_KEYS];
    int n = 0;
    for (char *save = NULL, *k = strtok_r(keys_buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (n == PLOT_CLI_MAX_KEYS) { fprintf(stderr, "craft plot: at most %d --y keys\n", PLOT_CLI_MAX_KEYS); return 2; }
        keys[n++] = k;
    }
    if (n == 0) { fprintf(stderr, "craft plot: --y names no key\n"); return 2; }
    PlotData d;
    if (plot_jsonl_load(pos[0], x_key, keys, n, &d, &e)) { fprintf(stderr, "craft plot: %s\n", e.msg); return 1; }
    PlotSeries series[PLOT_CLI_MAX_KEYS];
    for (int k = 0; k < n; k++) series[k] = (PlotSeries){d.names[k], d.x, d.y[k], d.n};
    const char *base = strrchr(pos[0], '/');
    PlotSpec spec = {.title = title ? title : base ? base + 1 : pos[0], .x_label = x_key,
                     .y_label = n == 1 ? keys[0] : NULL, .series = series, .n_series = n,
                     .width = width, .height = height, .log_y = log_y};
    rc = plot_lines_png(out, &spec, &e);
    if (!rc) printf("craft plot: %d points of %d series written to %s\n", d.n, n, out);
    plot_data_free(&d);
    render_shutdown();
    if (rc) { fprintf(stderr, "craft plot: %s\n", e.msg); return 1; }
    return 0;
}
