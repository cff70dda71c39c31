/* plot — line charts to PNG for learning curves and other logs: named (x, y) series, ticked and
 * labelled axes, a legend, a title, optional log-y. Non-finite points are skipped (the line breaks
 * there). plot_jsonl_* read a JSONL log (one JSON object per line) and plot chosen keys against an x key. */
#ifndef CRAFT_PLOT_H
#define CRAFT_PLOT_H
#include <stdint.h>
#include "craft/err.h"

typedef struct {
    const char *name;
    const double *x, *y;
    int n;
} PlotSeries;

typedef struct {
    const char *title, *x_label, *y_label;  /* may be NULL */
    const PlotSeries *series;
    int n_series;
    int width, height;       /* pixels; 0 → 800 × 500 */
    int log_y;               /* log10 y axis: points with y ≤ 0 are skipped too */
    /* fixed axis ranges when lo < hi, else from the data (rounded out to tick steps) */
    double x_lo, x_hi, y_lo, y_hi;
} PlotSpec;

/* Where the data lands: the plot area in pixels and the axis ranges it spans (y in log10 units
 * when log_y). Data (x, y) maps to px = left + (x - x_lo)/(x_hi - x_lo)·(right - left),
 * py = bottom - (y' - y_lo)/(y_hi - y_lo)·(bottom - top). */
typedef struct {
    double left, right, top, bottom;
    double x_lo, x_hi, y_lo, y_hi;
    int width, height;
} PlotLayout;

/* Series i is drawn in this colour (0xRRGGBB; a fixed 10-colour cycle). */
uint32_t plot_series_color(int i);
/* Checks the spec and computes the layout; -1 with e set on bad input (no series, no finite point,
 * a series without arrays, size out of range ...). */
int plot_layout(const PlotSpec *spec, PlotLayout *out, Err *e);
int plot_lines_png(const char *path, const PlotSpec *spec, Err *e);

/* Columns read from a JSONL log: x and one y array per key, NaN where a line lacks the key or its
 * value is not a number. Lines without the x key are skipped; blank lines are ignored; a line
 * that is not a JSON object is an error (with its line number). Keys may name nested members
 * with dots ("loss.policy") when no member has the literal dotted name. */
typedef struct {
    int n, n_keys;
    double *x;
    double **y;       /* y[k][i] */
    char **names;     /* the y keys */
} PlotData;

int plot_jsonl_load(const char *jsonl, const char *x_key, const char **y_keys, int n, PlotData *out, Err *e);
void plot_data_free(PlotData *d);
/* Loads and plots (title: the log's file name, x label: x_key). */
int plot_jsonl_png(const char *jsonl, const char *x_key, const char **y_keys, int n, const char *out, Err *e);

#endif
