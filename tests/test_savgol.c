/* savgol tests: the C filter against scipy's savgol_filter(mode='interp') reference vectors
 * (tests/data/savgol_vectors.txt, made once by tests/data/gen_savgol.py), plus closed forms. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/savgol.h"

#define VEC_PATH "tests/data/savgol_vectors.txt"
#define MAX_N 128

/* Reads the next "<tag> v0 v1 ..." line into v; returns the count read. */
static int read_values(FILE *f, const char *tag, double *v, int n) {
    char word[32];
    cr_assert_eq(fscanf(f, "%31s", word), 1);
    cr_assert_str_eq(word, tag);
    for (int i = 0; i < n; i++) cr_assert_eq(fscanf(f, "%lf", &v[i]), 1, "short %s line", tag);
    return n;
}

Test(savgol, matches_scipy_vectors) {
    FILE *f = fopen(VEC_PATH, "r");
    cr_assert_not_null(f, "cannot open %s (run the tests from the repository root)", VEC_PATH);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header comment */
    int cases = 0;
    char name[64];
    int n, window, order, deriv;
    double delta;
    while (fscanf(f, " case %63s %d %d %d %d %lf", name, &n, &window, &order, &deriv, &delta) == 6) {
        cr_assert(n > 0 && n <= MAX_N);
        double x[MAX_N], y_ref[MAX_N], y[MAX_N];
        read_values(f, "x", x, n);
        read_values(f, "y", y_ref, n);
        Err e = {{0}};
        cr_assert_eq(savgol_filter(x, n, window, order, deriv, delta, y, &e), 0, "%s: %s", name, e.msg);
        for (int i = 0; i < n; i++) {
            /* 1e-5 relative, with a 1e-9 absolute floor for reference values that are ~0 */
            double tol = 1e-5 * fabs(y_ref[i]) + 1e-9;
            cr_assert(fabs(y[i] - y_ref[i]) <= tol, "%s[%d]: C %.12g vs scipy %.12g", name, i, y[i], y_ref[i]);
        }
        cases++;
    }
    fclose(f);
    cr_assert_eq(cases, 17, "expected 17 reference cases, read %d", cases);
}

/* A quadratic is reproduced exactly by an order-2 fit, and so are its derivatives, everywhere
 * including the edges: x(t) = 3 - 2t + 0.5t² sampled at t = 0.1 i. */
Test(savgol, quadratic_is_exact) {
    enum { N = 15 };
    double x[N], y[N], dy[N], d2y[N];
    for (int i = 0; i < N; i++) {
        double t = 0.1 * i;
        x[i] = 3.0 - 2.0 * t + 0.5 * t * t;
    }
    cr_assert_eq(savgol_filter(x, N, 7, 2, 0, 0.1, y, NULL), 0);
    cr_assert_eq(savgol_filter(x, N, 7, 2, 1, 0.1, dy, NULL), 0);
    cr_assert_eq(savgol_filter(x, N, 6, 2, 2, 0.1, d2y, NULL), 0);
    for (int i = 0; i < N; i++) {
        double t = 0.1 * i;
        cr_assert_float_eq(y[i], x[i], 1e-12);
        cr_assert_float_eq(dy[i], -2.0 + t, 1e-10);
        cr_assert_float_eq(d2y[i], 1.0, 1e-8);
    }
}

/* Interior weights of window 5, order 2 are the textbook (-3, 12, 17, 12, -3) / 35. */
Test(savgol, textbook_weights) {
    double w[5];
    cr_assert_eq(savgol_weights(5, 2, 0, 1.0, 2.0, w, NULL), 0);
    const double ref[5] = {-3, 12, 17, 12, -3};
    for (int k = 0; k < 5; k++) cr_assert_float_eq(w[k], ref[k] / 35.0, 1e-14);
    /* first derivative, delta 0.1: (-2, -1, 0, 1, 2) / (10 * 0.1) */
    cr_assert_eq(savgol_weights(5, 2, 1, 0.1, 2.0, w, NULL), 0);
    for (int k = 0; k < 5; k++) cr_assert_float_eq(w[k], (k - 2) / 1.0, 1e-12);
}

Test(savgol, rejects_bad_parameters) {
    double x[8] = {0}, y[8];
    Err e = {{0}};
    cr_assert_eq(savgol_filter(x, 8, 9, 2, 0, 0.1, y, &e), -1);
    cr_assert(strstr(e.msg, "longer than the signal") != NULL, "%s", e.msg);
    cr_assert_eq(savgol_filter(x, 8, 3, 3, 0, 0.1, y, &e), -1);
    cr_assert(strstr(e.msg, "less than the window") != NULL, "%s", e.msg);
    cr_assert_eq(savgol_filter(x, 8, 5, 2, 0, 0.0, y, &e), -1);
    cr_assert_eq(savgol_filter(x, 8, 5, 2, -1, 0.1, y, &e), -1);
    cr_assert_eq(savgol_weights(5, 2, 0, 0.1, 4.5, y, &e), -1);
}

/* The matrix form multiplies to exactly the filter's outputs (same terms, same order, zeros added). */
Test(savgol, matrix_equals_filter_bit_for_bit) {
    static const int cases[][4] = {{41, 41, 2, 0}, {41, 8, 2, 0}, {45, 15, 2, 1}, {40, 5, 3, 2}, {12, 5, 2, 1}, {9, 9, 4, 0}};
    double x[64], y[64], F[64 * 64];
    unsigned s = 12345;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int n = cases[c][0], w = cases[c][1], order = cases[c][2], d = cases[c][3];
        for (int i = 0; i < n; i++) x[i] = (double)((s = s * 1103515245u + 12345u) >> 8) / (1u << 24) - 0.5;
        Err e;
        cr_assert_eq(savgol_filter(x, n, w, order, d, 0.1, y, &e), 0, "%s", e.msg);
        cr_assert_eq(savgol_matrix(n, w, order, d, 0.1, F, &e), 0, "%s", e.msg);
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int q = 0; q < n; q++) acc += F[i * n + q] * x[q];
            cr_assert_eq(acc, y[i], "case %zu, sample %d: %.17g vs %.17g", c, i, acc, y[i]);
        }
    }
    Err e;
    cr_assert_eq(savgol_matrix(4, 5, 2, 0, 0.1, F, &e), -1);
    cr_assert(strstr(e.msg, "longer than the signal"), "%s", e.msg);
}
