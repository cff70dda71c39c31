/* conv2d as im2col + one sgemm per image, and masked max/mean pooling over entity sets. */
#include <cblas.h>
#include <string.h>
#include "craft/nn_ops.h"

int nn_conv2d_out_h(NnConvShape s) { return (s.H + 2 * s.pad - s.KH) / s.stride + 1; }
int nn_conv2d_out_w(NnConvShape s) { return (s.W + 2 * s.pad - s.KW) / s.stride + 1; }
size_t nn_conv2d_col_floats(NnConvShape s) {
    return (size_t)s.Cin * s.KH * s.KW * nn_conv2d_out_h(s) * nn_conv2d_out_w(s);
}

/* col[(c, ki, kj)][(oy, ox)] = image[c][oy*stride - pad + ki][ox*stride - pad + kj] (0 outside). */
static void im2col(float *col, const float *img, NnConvShape s, int OH, int OW) {
    for (int c = 0; c < s.Cin; c++)
        for (int ki = 0; ki < s.KH; ki++)
            for (int kj = 0; kj < s.KW; kj++) {
                float *row = col + ((size_t)(c * s.KH + ki) * s.KW + kj) * OH * OW;
                for (int oy = 0; oy < OH; oy++) {
                    int y = oy * s.stride - s.pad + ki;
                    for (int ox = 0; ox < OW; ox++) {
                        int x = ox * s.stride - s.pad + kj;
                        row[oy * OW + ox] = (y >= 0 && y < s.H && x >= 0 && x < s.W)
                                                ? img[((size_t)c * s.H + y) * s.W + x] : 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: every column entry flows back to the pixel it was copied from. */
static void col2im_add(float *img, const float *col, NnConvShape s, int OH, int OW) {
    for (int c = 0; c < s.Cin; c++)
        for (int ki = 0; ki < s.KH; ki++)
            for (int kj = 0; kj < s.KW; kj++) {
                const float *row = col + ((size_t)(c * s.KH + ki) * s.KW + kj) * OH * OW;
                for (int oy = 0; oy < OH; oy++) {
                    int y = oy * s.stride - s.pad + ki;
                    if (y < 0 || y >= s.H) continue;
                    for (int ox = 0; ox < OW; ox++) {
                        int x = ox * s.stride - s.pad + kj;
                        if (x >= 0 && x < s.W) img[((size_t)c * s.H + y) * s.W + x] += row[oy * OW + ox];
                    }
                }
            }
}

void nn_conv2d_forward(float *out, float *col, const float *inp, const float *w, const float *b, NnConvShape s) {
    int OH = nn_conv2d_out_h(s), OW = nn_conv2d_out_w(s), P = OH * OW, K = s.Cin * s.KH * s.KW;
    for (int n = 0; n < s.B; n++) {
        float *o = out + (size_t)n * s.Cout * P;
        im2col(col, inp + (size_t)n * s.Cin * s.H * s.W, s, OH, OW);
        for (int c = 0; c < s.Cout; c++)
            for (int p = 0; p < P; p++) o[(size_t)c * P + p] = b ? b[c] : 0.0f;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.Cout, P, K, 1.0f, w, K, col, P, 1.0f, o, P);
    }
}

void nn_conv2d_backward(float *dinp, float *dw, float *db, float *col, const float *dout, const float *inp,
                        const float *w, NnConvShape s) {
    int OH = nn_conv2d_out_h(s), OW = nn_conv2d_out_w(s), P = OH * OW, K = s.Cin * s.KH * s.KW;
    for (int n = 0; n < s.B; n++) {
        const float *g = dout + (size_t)n * s.Cout * P;
        if (db)
            for (int c = 0; c < s.Cout; c++)
                for (int p = 0; p < P; p++) db[c] += g[(size_t)c * P + p];
        if (dw) { /* dw[Cout,K] += dout_n[Cout,P] · col^T */
            im2col(col, inp + (size_t)n * s.Cin * s.H * s.W, s, OH, OW);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.Cout, K, P, 1.0f, g, P, col, P, 1.0f, dw, K);
        }
        if (dinp) { /* dcol[K,P] = w^T · dout_n, reusing col, then scattered back */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, s.Cout, 1.0f, w, K, g, P, 0.0f, col, P);
            col2im_add(dinp + (size_t)n * s.Cin * s.H * s.W, col, s, OH, OW);
        }
    }
}

static int present(const uint8_t *mask, size_t be) { return !mask || mask[be]; }

void nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, const uint8_t *mask, int B, int E, int C) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            int best = -1;
            float bv = 0.0f;
            for (int e = 0; e < E; e++) {
                if (!present(mask, (size_t)b * E + e)) continue;
                float x = inp[((size_t)b * E + e) * C + c];
                if (best < 0 || x > bv) {
                    best = e;
                    bv = x;
                }
            }
            out[(size_t)b * C + c] = bv;
            argmax[(size_t)b * C + c] = best;
        }
}

void nn_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int E, int C) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            int e = argmax[(size_t)b * C + c];
            if (e >= 0) dinp[((size_t)b * E + e) * C + c] += dout[(size_t)b * C + c];
        }
}

static int count_present(const uint8_t *mask, int b, int E) {
    int n = 0;
    for (int e = 0; e < E; e++) n += present(mask, (size_t)b * E + e);
    return n;
}

void nn_meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int E, int C) {
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * C;
        memset(o, 0, (size_t)C * sizeof *o);
        int n = count_present(mask, b, E);
        if (!n) continue;
        for (int e = 0; e < E; e++)
            if (present(mask, (size_t)b * E + e))
                for (int c = 0; c < C; c++) o[c] += inp[((size_t)b * E + e) * C + c];
        for (int c = 0; c < C; c++) o[c] /= (float)n;
    }
}

void nn_meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int E, int C) {
    for (int b = 0; b < B; b++) {
        int n = count_present(mask, b, E);
        if (!n) continue;
        float inv = 1.0f / (float)n;
        for (int e = 0; e < E; e++)
            if (present(mask, (size_t)b * E + e))
                for (int c = 0; c < C; c++) dinp[((size_t)b * E + e) * C + c] += dout[(size_t)b * C + c] * inv;
    }
}
