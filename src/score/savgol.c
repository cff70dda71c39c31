/* savgol — Savitzky–Golay filter equal to scipy.signal.savgol_filter(mode='interp').
 *
 * Every output sample is w · x[window] for a weight vector w that evaluates (a derivative of) the
 * least-squares polynomial through the window at some position. We get w from the normal
 * equations: with the design matrix A[k][j] = u_k^j (u = abscissa centred on the window and scaled
 * to [-1, 1] so the small (order+1)² system stays well conditioned), the fit's value at u_q is
 * g(u_q)ᵀ (AᵀA)⁻¹ Aᵀ x, hence w = A z with (AᵀA) z = g. AᵀA is factorised once per call. */
#include "craft/savgol.h"
#include <math.h>
#include <string.h>

typedef struct {
    int window, order, deriv;
    double center, scale;         /* u = (t - center) / scale, t = 0 .. window-1 */
    double deriv_scale;           /* 1 / (scale * delta)^deriv: d/dt = d/du / scale, per delta */
    double chol[(SAVGOL_MAX_ORDER + 1) * (SAVGOL_MAX_ORDER + 1)]; /* lower factor of AᵀA */
} SgBasis;

static int check_params(int window, int order, int deriv, double delta, Err *e) {
    if (window < 1 || window > SAVGOL_MAX_WINDOW)
        return err_set(e, "savgol: window %d out of range [1, %d]", window, SAVGOL_MAX_WINDOW);
    if (order < 0 || order > SAVGOL_MAX_ORDER)
        return err_set(e, "savgol: polynomial order %d out of range [0, %d]", order, SAVGOL_MAX_ORDER);
    if (order >= window)
        return err_set(e, "savgol: polynomial order %d must be less than the window %d", order, window);
    if (deriv < 0)
        return err_set(e, "savgol: derivative order %d must be >= 0", deriv);
    if (!(delta > 0.0) || !isfinite(delta))
        return err_set(e, "savgol: delta must be a positive finite number");
    return 0;
}

static double ipow(double x, int p) {
    double r = 1.0;
    for (int i = 0; i < p; i++) r *= x;
    return r;
}

static void basis_init(SgBasis *b, int window, int order, int deriv, double delta) {
    int m = order + 1;
    b->window = window;
    b->order = order;
    b->deriv = deriv;
    b->center = (window - 1) / 2.0;
    b->scale = window > 1 ? (window - 1) / 2.0 : 1.0;
    b->deriv_scale = 1.0 / ipow(b->scale * delta, deriv);
    double M[(SAVGOL_MAX_ORDER + 1) * (SAVGOL_MAX_ORDER + 1)] = {0};
    for (int k = 0; k < window; k++) {
        double u = (k - b->center) / b->scale;
        for (int i = 0; i < m; i++)
            for (int j = 0; j <= i; j++) M[i * m + j] += ipow(u, i + j);
    }
    /* Cholesky, lower triangle; AᵀA is SPD because window > order distinct abscissae. */
    double *L = b->chol;
    memset(L, 0, sizeof b->chol);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
            double s = M[i * m + j];
            for (int k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
            L[i * m + j] = (i == j) ? sqrt(s) : s / L[j * m + j];
        }
    }
}

/* Weights evaluating the fit's deriv-th derivative at window position pos. */
static void basis_weights(const SgBasis *b, double pos, double *w) {
    int m = b->order + 1, d = b->deriv;
    double uq = (pos - b->center) / b->scale;
    double z[SAVGOL_MAX_ORDER + 1];
    /* g_j = d^d/du^d u^j at uq = j!/(j-d)! uq^(j-d) */
    for (int j = 0; j < m; j++) {
        if (j < d) { z[j] = 0.0; continue; }
        double f = 1.0;
        for (int t = j - d + 1; t <= j; t++) f *= t;
        z[j] = f * ipow(uq, j - d);
    }
    const double *L = b->chol;
    for (int i = 0; i < m; i++) {          /* L y = g */
        double s = z[i];
        for (int k = 0; k < i; k++) s -= L[i * m + k] * z[k];
        z[i] = s / L[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {     /* Lᵀ z = y */
        double s = z[i];
        for (int k = i + 1; k < m; k++) s -= L[k * m + i] * z[k];
        z[i] = s / L[i * m + i];
    }
    for (int k = 0; k < b->window; k++) {
        double u = (k - b->center) / b->scale, s = 0.0, p = 1.0;
        for (int j = 0; j < m; j++) { s += p * z[j]; p *= u; }
        w[k] = s * b->deriv_scale;
    }
}

int savgol_weights(int window, int order, int deriv, double delta, double pos, double *w, Err *e) {
    if (check_params(window, order, deriv, delta, e)) return -1;
    if (!(pos >= 0.0 && pos <= window - 1))
        return err_set(e, "savgol: evaluation position %g outside the window [0, %d]", pos, window - 1);
    SgBasis b;
    basis_init(&b, window, order, deriv, delta);
    basis_weights(&b, pos, w);
    return 0;
}

static double dot(const double *w, const double *x, int n) {
    double s = 0.0;
    for (int k = 0; k < n; k++) s += w[k] * x[k];
    return s;
}

/* Checks a filter of n samples and factorises its basis. */
static int prepare(SgBasis *b, int n, int window, int order, int deriv, double delta, Err *e) {
    if (check_params(window, order, deriv, delta, e)) return -1;
    if (n < window)
        return err_set(e, "savgol: window %d is longer than the signal (%d samples); mode 'interp' needs window <= n",
                       window, n);
    basis_init(b, window, order, deriv, delta);
    return 0;
}

int savgol_filter(const double *x, int n, int window, int order, int deriv, double delta,
                  double *out, Err *e) {
    SgBasis b;
    if (prepare(&b, n, window, order, deriv, delta, e)) return -1;
    double w[SAVGOL_MAX_WINDOW];
    int halflen = window / 2;
    int back = (window - 1) / 2; /* interior window of output i starts at i - back */
    basis_weights(&b, b.center, w);
    for (int i = halflen; i < n - halflen; i++) out[i] = dot(w, x + i - back, window);
    /* Edges: one polynomial through the first / last `window` samples, evaluated at each of them. */
    for (int i = 0; i < halflen; i++) {
        basis_weights(&b, (double)i, w);
        out[i] = dot(w, x, window);
    }
    for (int i = n - halflen; i < n; i++) {
        basis_weights(&b, (double)(i - (n - window)), w);
        out[i] = dot(w, x + n - window, window);
    }
    return 0;
}

int savgol_matrix(int n, int window, int order, int deriv, double delta, double *F, Err *e) {
    SgBasis b;
    if (prepare(&b, n, window, order, deriv, delta, e)) return -1;
    double w[SAVGOL_MAX_WINDOW];
    int halflen = window / 2, back = (window - 1) / 2;
    memset(F, 0, sizeof(double) * (size_t)n * (size_t)n);
    basis_weights(&b, b.center, w);
    for (int i = halflen; i < n - halflen; i++) memcpy(&F[(size_t)i * n + (size_t)(i - back)], w, sizeof(double) * (size_t)window);
    for (int i = 0; i < halflen; i++) basis_weights(&b, (double)i, &F[(size_t)i * n]);
    for (int i = n - halflen; i < n; i++) basis_weights(&b, (double)(i - (n - window)), &F[(size_t)i * n + (size_t)(n - window)]);
    return 0;
}
