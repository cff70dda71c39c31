/* savgol — Savitzky–Golay smoothing and differentiation, numerically equal to scipy's
 * savgol_filter(x, window, order, deriv, delta, mode='interp'): caller-owned input and output
 * arrays in, no allocation; used by the comfort metrics (Bench2Drive) and the trajectory scorer.
 *
 * What mode='interp' means, and what this module does:
 *  - interior samples (halflen <= i < n - halflen, halflen = window / 2) are a fixed convolution:
 *    a least-squares polynomial of degree `order` fitted to the window around i, evaluated (or
 *    its deriv-th derivative, divided by delta^deriv) at the window's centre. For an even window
 *    scipy centres the window at i + 0.5 (samples i - window/2 + 1 .. i + window/2), so the output
 *    is the fit half a step late; this module reproduces that.
 *  - the first and last halflen samples are the values (or derivatives) at those samples of ONE
 *    polynomial fitted to the first (last) `window` samples.
 *  - window must satisfy order < window <= n, as scipy requires for mode='interp'. Callers that
 *    want "the window capped at the sequence length" (PDM / Bench2Drive comfort) pass
 *    min(window, n) themselves. */
#ifndef CRAFT_SAVGOL_H
#define CRAFT_SAVGOL_H
#include "craft/err.h"

#define SAVGOL_MAX_WINDOW 101
#define SAVGOL_MAX_ORDER 8

/* out[0..n) = filtered x; out must not overlap x.
 * Returns 0, or -1 with a message on bad parameters (window, order, deriv, delta, n). */
int savgol_filter(const double *x, int n, int window, int order, int deriv, double delta,
                  double *out, Err *e);

/* Weights w[0..window) such that sum_k w[k] * x[start + k] is the deriv-th derivative (divided
 * by delta^deriv) at window position `pos` (0 <= pos <= window - 1, fractional allowed) of the
 * degree-`order` least-squares polynomial through x[start .. start + window). Exposed for tests
 * and for callers that filter many equal-length signals. Returns 0 or -1 on bad parameters. */
int savgol_weights(int window, int order, int deriv, double delta, double pos, double *w, Err *e);

/* The filter as an n x n row-major matrix F (out = F x, zero outside each row's window): row i holds
 * exactly the weights savgol_filter uses for out[i], so F x summed in column order equals
 * savgol_filter(x) bit for bit. For callers that pre-multiply filter chains. Returns 0 or -1. */
int savgol_matrix(int n, int window, int order, int deriv, double delta, double *F, Err *e);

#endif
