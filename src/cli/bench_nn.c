/* `craft bench nn`: throughput of the neural-network core. GEMM efficiency of the model's own linear
 * layers (forward + backward, with bias handling) relative to bare cblas_sgemm calls of the same
 * shapes measured in the same run, the machine's sgemm peak, and forward+backward samples/s of a
 * reference ~1M-parameter MLP and a 4-layer 128-wide causal transformer (T = 64). */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "craft/nn.h"
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"
#include "craft/nn_transformer.h"
#include "craft/rng.h"
#include "opts.h"
#include "wallclock.h"

static float *randn(Rng *r, size_t n) {
    float *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "craft bench nn: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * rng_normal(r);
    return x;
}

typedef struct { const char *model; int N, IC, OC; double linear_gflops, sgemm_gflops; } GemmRow;

/* One training-step worth of a layer's matmuls: forward, dinp, dw (6·N·IC·OC flops). */
static void run_linear(float *out, float *dinp, float *dw, float *db, const float *x, const float *w, const float *b,
                       const float *dout, int N, int IC, int OC) {
    nn_linear_forward(out, x, w, b, N, IC, OC);
    nn_linear_backward(dinp, dw, db, dout, x, w, N, IC, OC);
}

static void run_sgemm(float *out, float *dinp, float *dw, const float *x, const float *w, const float *dout, int N,
                      int IC, int OC) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, x, IC, w, IC, 0.0f, out, OC);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, w, IC, 1.0f, dinp, IC);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, x, IC, 1.0f, dw, IC);
}

/* Best of `reps` timings, alternating the two variants so that both see the same machine state
 * (other processes, frequency). Each timing runs at least `iters` calls and at least ~1 GFLOP, so
 * that small shapes are not timed over a fraction of a millisecond. */
static void measure_gemm(GemmRow *row, int iters, int reps, Rng *r) {
    int N = row->N, IC = row->IC, OC = row->OC;
    double per_call = 6.0 * N * IC * OC;
    if (iters < 1e9 / per_call) iters = (int)(1e9 / per_call) + 1;
    float *x = randn(r, (size_t)N * IC), *w = randn(r, (size_t)OC * IC), *b = randn(r, (size_t)OC);
    float *dout = randn(r, (size_t)N * OC), *out = randn(r, (size_t)N * OC);
    float *dinp = calloc((size_t)N * IC, 4), *dw = calloc((size_t)OC * IC, 4), *db = calloc((size_t)OC, 4);
    double best_l = 1e30, best_s = 1e30, flops = per_call * iters;
    run_linear(out, dinp, dw, db, x, w, b, dout, N, IC, OC); /* warm-up */
    run_sgemm(out, dinp, dw, x, w, dout, N, IC, OC);
    for (int k = 0; k < reps; k++) {
        double t0 = now_s();
        for (int i = 0; i < iters; i++) run_linear(out, dinp, dw, db, x, w, b, dout, N, IC, OC);
        double t1 = now_s();
        for (int i = 0; i < iters; i++) run_sgemm(out, dinp, dw, x, w, dout, N, IC, OC);
        double t2 = now_s();
        best_l = t1 - t0 < best_l ? t1 - t0 : best_l;
        best_s = t2 - t1 < best_s ? t2 - t1 : best_s;
    }
    row->linear_gflops = flops / best_l * 1e-9;
    row->sgemm_gflops = flops / best_s * 1e-9;
    free(x), free(w), free(b), free(dout), free(out), free(dinp), free(dw), free(db);
}

static double sgemm_peak(int n, int reps, Rng *r) {
    float *a = randn(r, (size_t)n * n), *b = randn(r, (size_t)n * n), *c = calloc((size_t)n * n, 4);
    double best = 1e30;
    for (int k = 0; k < reps + 1; k++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = now_s() - t0;
        if (k) best = t < best ? t : best; /* first call is warm-up */
    }
    free(a), free(b), free(c);
    return 2.0 * n * n * n / best * 1e-9;
}

enum { MLP_B = 256, TF_B = 16, TF_T = 64, TF_C = 128 };
static const int MLP_DIMS[] = {256, 1024, 512, 256, 64};

static double bench_mlp(int iters, Rng *r, size_t *nparams) {
    NnParams p;
    NnMlp m;
    Err e;
    nn_params_init(&p);
    if (nn_mlp_declare(&m, &p, "mlp", 4, MLP_DIMS, NN_ACT_RELU, &e) || nn_params_alloc(&p, 1, &e) ||
        nn_mlp_alloc(&m, MLP_B, &e)) {
        fprintf(stderr, "craft bench nn: %s\n", e.msg);
        exit(1);
    }
    float *x = randn(r, (size_t)MLP_B * MLP_DIMS[0]), *dy = randn(r, (size_t)MLP_B * MLP_DIMS[4]);
    nn_mlp_forward(&m, &p, x, MLP_B);
    nn_mlp_backward(&m, &p, dy, NULL, MLP_B);
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        nn_mlp_forward(&m, &p, x, MLP_B);
        nn_params_zero_grad(&p);
        nn_mlp_backward(&m, &p, dy, NULL, MLP_B);
    }
    double sps = (double)MLP_B * iters / (now_s() - t0);
    *nparams = nn_params_count(&p);
    free(x), free(dy);
    nn_mlp_destroy(&m);
    nn_params_destroy(&p);
    return sps;
}

static double bench_transformer(int iters, Rng *r, size_t *nparams) {
    NnParams p;
    NnTransformer tf;
    Err e;
    nn_params_init(&p);
    NnTransformerConfig cfg = {.n_layer = 4, .C = TF_C, .n_head = 4, .max_B = TF_B, .max_T = TF_T, .causal = 1};
    if (nn_transformer_declare(&tf, &p, "tf", cfg, &e) || nn_params_alloc(&p, 1, &e) || nn_transformer_alloc(&tf, &e)) {
        fprintf(stderr, "craft bench nn: %s\n", e.msg);
        exit(1);
    }
    size_t n = (size_t)TF_B * TF_T * TF_C;
    float *x = randn(r, n), *dy = randn(r, n);
    nn_transformer_forward(&tf, &p, x, NULL, TF_B, TF_T, -1);
    nn_transformer_backward(&tf, &p, dy, NULL);
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        nn_transformer_forward(&tf, &p, x, NULL, TF_B, TF_T, -1);
        nn_params_zero_grad(&p);
        nn_transformer_backward(&tf, &p, dy, NULL);
    }
    double sps = (double)TF_B * iters / (now_s() - t0);
    *nparams = nn_params_count(&p);
    free(x), free(dy);
    nn_transformer_destroy(&tf);
    nn_params_destroy(&p);
    return sps;
}

int bench_nn_main(int argc, char **argv) {
    int json = 0, iters = 20, threads = 0;
    Opt opts[] = {
        {"json", OPT_FLAG, &json, "print one JSON object"},
        {"iters", OPT_INT, &iters, "iterations per timing (default 20)"},
        {"threads", OPT_INT, &threads, "OpenMP and OpenBLAS threads (default: as the environment sets)"},
    };
    Err e;
    int rc = opts_parse("usage: craft bench nn [--json] [--iters N] [--threads N]", opts, 3, argc, argv, NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0 || iters < 1 || threads < 0) {
        fprintf(stderr, "craft bench nn: %s\n", rc < 0 ? e.msg : "--iters must be >= 1, --threads >= 0");
        return 2;
    }
    if (threads > 0) {
        omp_set_num_threads(threads);
        openblas_set_num_threads(threads);
    }
    Rng r;
    rng_seed(&r, 1, 0);
    int N_mlp = MLP_B, N_tf = TF_B * TF_T;
    GemmRow rows[] = {
        {"mlp", N_mlp, 256, 1024, 0, 0}, {"mlp", N_mlp, 1024, 512, 0, 0}, {"mlp", N_mlp, 512, 256, 0, 0},
        {"mlp", N_mlp, 256, 64, 0, 0},   {"transformer", N_tf, TF_C, 3 * TF_C, 0, 0},
        {"transformer", N_tf, TF_C, TF_C, 0, 0}, {"transformer", N_tf, TF_C, 4 * TF_C, 0, 0},
        {"transformer", N_tf, 4 * TF_C, TF_C, 0, 0},
    };
    int nrows = (int)(sizeof rows / sizeof rows[0]);
    double worst = 1e30;
    for (int i = 0; i < nrows; i++) {
        measure_gemm(&rows[i], iters, 7, &r);
        double ratio = rows[i].linear_gflops / rows[i].sgemm_gflops;
        worst = ratio < worst ? ratio : worst;
    }
    double peak = sgemm_peak(1024, 5, &r);
    size_t mlp_params, tf_params;
    double mlp_sps = bench_mlp(iters * 5, &r, &mlp_params);
    double tf_sps = bench_transformer(iters, &r, &tf_params);
    int omp_threads = omp_get_max_threads(), blas_threads = openblas_get_num_threads();
    if (json) {
        printf("{\"gemm_ratio\":%.4f,\"sgemm_peak_gflops\":%.2f,\"gemm\":[", worst, peak);
        for (int i = 0; i < nrows; i++)
            printf("%s{\"model\":\"%s\",\"N\":%d,\"in\":%d,\"out\":%d,\"linear_gflops\":%.2f,\"sgemm_gflops\":%.2f,"
                   "\"ratio\":%.4f}", i ? "," : "", rows[i].model, rows[i].N, rows[i].IC, rows[i].OC,
                   rows[i].linear_gflops, rows[i].sgemm_gflops, rows[i].linear_gflops / rows[i].sgemm_gflops);
        printf("],\"mlp_params\":%zu,\"mlp_batch\":%d,\"mlp_samples_per_s\":%.1f,"
               "\"transformer_params\":%zu,\"transformer_batch\":%d,\"transformer_seq_len\":%d,"
               "\"transformer_samples_per_s\":%.1f,\"transformer_tokens_per_s\":%.1f,"
               "\"omp_threads\":%d,\"blas_threads\":%d,\"iters\":%d}\n",
               mlp_params, MLP_B, mlp_sps, tf_params, TF_B, TF_T, tf_sps, tf_sps * TF_T, omp_threads, blas_threads,
               iters);
        return 0;
    }
    printf("nn GEMM (forward + both backward matmuls per layer), linear op vs bare cblas_sgemm:\n");
    printf("  %-12s %6s %6s %6s %12s %12s %7s\n", "model", "N", "in", "out", "linear GF/s", "sgemm GF/s", "ratio");
    for (int i = 0; i < nrows; i++)
        printf("  %-12s %6d %6d %6d %12.2f %12.2f %7.3f\n", rows[i].model, rows[i].N, rows[i].IC, rows[i].OC,
               rows[i].linear_gflops, rows[i].sgemm_gflops, rows[i].linear_gflops / rows[i].sgemm_gflops);
    printf("gemm_ratio (worst)          %.3f\n", worst);
    printf("sgemm peak (1024^3)         %.2f GFLOP/s\n", peak);
    printf("MLP %zu params, batch %d:   %.0f samples/s (forward + backward)\n", mlp_params, MLP_B, mlp_sps);
    printf("transformer %zu params, batch %d x T %d: %.1f samples/s, %.0f tokens/s (forward + backward)\n", tf_params,
           TF_B, TF_T, tf_sps, tf_sps * TF_T);
    printf("threads: OpenMP %d, OpenBLAS %d\n", omp_threads, blas_threads);
    return 0;
}
