/* Dense (linear + LoRA) and MLP layers: composition of nn_ops, no backward code of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_layers.h"
#include "craft/nn_ops.h"

int nn_dense_declare(NnDense *d, NnParams *p, const char *prefix, int in, int out, int bias, int n_adapters,
                     int rank, float alpha, Err *e) {
    memset(d, 0, sizeof *d);
    if (n_adapters < 0 || n_adapters > NN_MAX_ADAPTERS || (n_adapters > 0 && rank <= 0))
        return err_set(e, "%s: need 0..%d adapters of rank > 0", prefix, NN_MAX_ADAPTERS);
    char name[NN_NAME_MAX + 32];
    d->in = in, d->out = out, d->n_adapters = n_adapters, d->rank = rank;
    d->lora_scale = n_adapters ? alpha / (float)rank : 0.0f;
    d->b = -1;
    snprintf(name, sizeof name, "%s.weight", prefix);
    if ((d->w = nn_params_add_e(p, name, 2, (int[]){out, in}, NN_INIT_KAIMING, 0, e)) < 0) return -1;
    if (bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        if ((d->b = nn_params_add_e(p, name, 1, (int[]){out}, NN_INIT_ZEROS, 0, e)) < 0) return -1;
    }
    for (int k = 0; k < n_adapters; k++) {
        snprintf(name, sizeof name, "%s.lora.%d.A", prefix, k);
        if ((d->a[k] = nn_params_add_e(p, name, 2, (int[]){rank, in}, NN_INIT_KAIMING, 0, e)) < 0) return -1;
        snprintf(name, sizeof name, "%s.lora.%d.B", prefix, k);
        if ((d->bm[k] = nn_params_add_e(p, name, 2, (int[]){out, rank}, NN_INIT_ZEROS, 0, e)) < 0) return -1;
    }
    return 0;
}

void nn_dense_forward(const NnDense *d, const NnParams *p, float *out, float *h, const float *inp, int N, int adapter) {
    nn_linear_forward(out, inp, nn_w(p, d->w), d->b >= 0 ? nn_w(p, d->b) : NULL, N, d->in, d->out);
    if (adapter >= 0 && adapter < d->n_adapters)
        nn_lora_forward(out, h, inp, nn_w(p, d->a[adapter]), nn_w(p, d->bm[adapter]), d->lora_scale, N, d->in,
                        d->out, d->rank);
}

static float *grad_unless_frozen(NnParams *p, int id) {
    return id < 0 || p->tensors[id].frozen ? NULL : nn_g(p, id);
}

void nn_dense_backward(const NnDense *d, NnParams *p, float *dinp, float *scratch, const float *dout,
                       const float *inp, const float *h, int N, int adapter) {
    nn_linear_backward(dinp, grad_unless_frozen(p, d->w), grad_unless_frozen(p, d->b), dout, inp, nn_w(p, d->w), N,
                       d->in, d->out);
    if (adapter >= 0 && adapter < d->n_adapters)
        nn_lora_backward(dinp, grad_unless_frozen(p, d->a[adapter]), grad_unless_frozen(p, d->bm[adapter]), scratch,
                         dout, inp, h, nn_w(p, d->a[adapter]), nn_w(p, d->bm[adapter]), d->lora_scale, N, d->in,
                         d->out, d->rank);
}

int nn_mlp_declare(NnMlp *m, NnParams *p, const char *prefix, int n_layers, const int *dims, NnAct act, Err *e) {
    memset(m, 0, sizeof *m);
    if (n_layers < 1 || n_layers > NN_MLP_MAX_LAYERS)
        return err_set(e, "%s: %d layers, need 1..%d", prefix, n_layers, NN_MLP_MAX_LAYERS);
    m->n_layers = n_layers;
    m->act = act;
    char name[NN_NAME_MAX];
    for (int l = 0; l <= n_layers; l++) m->dims[l] = dims[l];
    for (int l = 0; l < n_layers; l++) {
        snprintf(name, sizeof name, "%s.%d", prefix, l);
        if (nn_dense_declare(&m->layer[l], p, name, dims[l], dims[l + 1], 1, 0, 0, 0.0f, e)) return -1;
    }
    return 0;
}

int nn_mlp_alloc(NnMlp *m, int max_batch, Err *e) {
    int maxd = 0;
    for (int l = 0; l <= m->n_layers; l++) maxd = m->dims[l] > maxd ? m->dims[l] : maxd;
    m->max_batch = max_batch;
    int fail = 0;
    for (int l = 0; l < m->n_layers; l++) {
        size_t n = (size_t)max_batch * m->dims[l + 1];
        m->pre[l] = malloc(n * sizeof(float));
        m->post[l] = l + 1 < m->n_layers ? malloc(n * sizeof(float)) : m->pre[l];
        fail |= !m->pre[l] || !m->post[l];
    }
    for (int k = 0; k < 2; k++) fail |= !(m->dbuf[k] = malloc((size_t)max_batch * maxd * sizeof(float)));
    if (fail) {
        nn_mlp_destroy(m);
        return err_set(e, "nn_mlp_alloc: out of memory");
    }
    return 0;
}

void nn_mlp_destroy(NnMlp *m) {
    for (int l = 0; l < m->n_layers; l++) {
        if (m->post[l] != m->pre[l]) free(m->post[l]);
        free(m->pre[l]);
        m->pre[l] = m->post[l] = NULL;
    }
    free(m->dbuf[0]);
    free(m->dbuf[1]);
    m->dbuf[0] = m->dbuf[1] = NULL;
}

const float *nn_mlp_forward(NnMlp *m, const NnParams *p, const float *x, int B) {
    m->input = x;
    const float *in = x;
    for (int l = 0; l < m->n_layers; l++) {
        nn_dense_forward(&m->layer[l], p, m->pre[l], NULL, in, B, -1);
        size_t n = (size_t)B * m->dims[l + 1];
        if (l + 1 < m->n_layers) {
            if (m->act == NN_ACT_RELU) nn_relu_forward(m->post[l], m->pre[l], n);
            else nn_gelu_forward(m->post[l], m->pre[l], n);
        }
        in = m->post[l];
    }
    return m->pre[m->n_layers - 1];
}

void nn_mlp_backward(NnMlp *m, NnParams *p, const float *dout, float *dx, int B) {
    const float *dz = dout;      /* gradient wrt the current layer's pre-activation */
    float *spare = m->dbuf[0];   /* a buffer not holding dz */
    for (int l = m->n_layers - 1; l >= 1; l--) {
        size_t n = (size_t)B * m->dims[l];
        float *da = spare;
        memset(da, 0, n * sizeof(float));
        nn_dense_backward(&m->layer[l], p, da, NULL, dz, m->post[l - 1], NULL, B, -1);
        float *dz_prev = dz == dout ? m->dbuf[1] : (float *)dz; /* dz is consumed: reuse its buffer */
        memset(dz_prev, 0, n * sizeof(float));
        if (m->act == NN_ACT_RELU) nn_relu_backward(dz_prev, m->pre[l - 1], da, n);
        else nn_gelu_backward(dz_prev, m->pre[l - 1], da, n);
        dz = dz_prev;
        spare = da;
    }
    nn_dense_backward(&m->layer[0], p, dx, NULL, dz, m->input, NULL, B, -1);
}
