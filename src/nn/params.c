/* The parameter store: declarations first, then one aligned block for values and one for grads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn.h"
#include "craft/rng.h"

#define NN_ALIGN_FLOATS 16 /* 64 bytes: every tensor starts on a cache line */

void nn_params_init(NnParams *p) { memset(p, 0, sizeof *p); }

int nn_params_add_e(NnParams *p, const char *name, int ndim, const int *shape, NnInit init,
                    float init_scale, Err *e) {
    if (p->values) return err_set(e, "nn_params_add '%s': store already allocated", name);
    if (!name || !name[0] || strlen(name) >= NN_NAME_MAX)
        return err_set(e, "nn_params_add: tensor name empty or longer than %d", NN_NAME_MAX - 1);
    if (ndim < 1 || ndim > NN_MAX_DIMS) return err_set(e, "nn_params_add '%s': ndim %d not in 1..%d", name, ndim, NN_MAX_DIMS);
    if (nn_params_find(p, name) >= 0) return err_set(e, "nn_params_add: duplicate tensor name '%s'", name);
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0) return err_set(e, "nn_params_add '%s': dim %d is %d", name, d, shape[d]);
        numel *= (size_t)shape[d];
    }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        NnTensor *t = realloc(p->tensors, (size_t)cap * sizeof *t);
        if (!t) return err_set(e, "nn_params_add: out of memory");
        p->tensors = t;
        p->cap = cap;
    }
    NnTensor *t = &p->tensors[p->n];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->numel = numel;
    t->offset = p->total;
    t->init = init;
    t->init_scale = init_scale;
    t->decay = ndim >= 2;
    p->total += (numel + NN_ALIGN_FLOATS - 1) / NN_ALIGN_FLOATS * NN_ALIGN_FLOATS;
    return p->n++;
}

int nn_params_add(NnParams *p, const char *name, int ndim, const int *shape, NnInit init, float init_scale) {
    Err e;
    int id = nn_params_add_e(p, name, ndim, shape, init, init_scale, &e);
    if (id < 0) {
        fprintf(stderr, "craft: %s\n", e.msg);
        abort();
    }
    return id;
}

static void init_tensor(float *x, const NnTensor *t, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 0);
    size_t fan_in = t->numel / (size_t)t->shape[0]; /* [out, in, ...] layouts: everything but dim 0 */
    float s = t->init_scale;
    switch (t->init) {
    case NN_INIT_ZEROS: memset(x, 0, t->numel * sizeof *x); break;
    case NN_INIT_ONES: for (size_t i = 0; i < t->numel; i++) x[i] = 1.0f; break;
    case NN_INIT_CONST: for (size_t i = 0; i < t->numel; i++) x[i] = s; break;
    case NN_INIT_NORMAL: for (size_t i = 0; i < t->numel; i++) x[i] = s * rng_normal(&r); break;
    case NN_INIT_UNIFORM: for (size_t i = 0; i < t->numel; i++) x[i] = rng_range(&r, -s, s); break;
    case NN_INIT_KAIMING: {
        float bound = (s != 0.0f ? s : 1.0f) * sqrtf(3.0f / (float)(fan_in ? fan_in : 1));
        for (size_t i = 0; i < t->numel; i++) x[i] = rng_range(&r, -bound, bound);
        break;
    }
    }
}

void nn_params_reinit(NnParams *p, uint64_t seed) {
    for (int i = 0; i < p->n; i++) init_tensor(nn_w(p, i), &p->tensors[i], rng_derive(seed, (uint64_t)i));
}

int nn_params_alloc(NnParams *p, uint64_t seed, Err *e) {
    if (p->values) return err_set(e, "nn_params_alloc: already allocated");
    if (p->total == 0) return err_set(e, "nn_params_alloc: no tensors declared");
    size_t bytes = p->total * sizeof(float);
    p->values = aligned_alloc(64, bytes);
    p->grads = aligned_alloc(64, bytes);
    if (!p->values || !p->grads) {
        free(p->values);
        free(p->grads);
        p->values = p->grads = NULL;
        return err_set(e, "nn_params_alloc: out of memory (%zu floats)", p->total);
    }
    memset(p->values, 0, bytes); /* alignment padding stays 0 */
    memset(p->grads, 0, bytes);
    nn_params_reinit(p, seed);
    return 0;
}

void nn_params_destroy(NnParams *p) {
    free(p->tensors);
    free(p->values);
    free(p->grads);
    memset(p, 0, sizeof *p);
}

int nn_params_find(const NnParams *p, const char *name) {
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->tensors[i].name, name)) return i;
    return -1;
}

size_t nn_params_count(const NnParams *p) {
    size_t c = 0;
    for (int i = 0; i < p->n; i++) c += p->tensors[i].numel;
    return c;
}

int nn_params_set_frozen(NnParams *p, const char *prefix, int frozen) {
    int n = 0;
    for (int i = 0; i < p->n; i++)
        if (!strncmp(p->tensors[i].name, prefix, strlen(prefix))) {
            p->tensors[i].frozen = frozen;
            n++;
        }
    return n;
}

void nn_params_zero_grad(NnParams *p) { memset(p->grads, 0, p->total * sizeof(float)); }

int nn_params_same_layout(const NnParams *a, const NnParams *b) {
    if (a->n != b->n || a->total != b->total) return 0;
    for (int i = 0; i < a->n; i++) {
        const NnTensor *x = &a->tensors[i], *y = &b->tensors[i];
        if (strcmp(x->name, y->name) || x->ndim != y->ndim || x->offset != y->offset) return 0;
        for (int d = 0; d < x->ndim; d++)
            if (x->shape[d] != y->shape[d]) return 0;
    }
    return 1;
}

int nn_params_clone(NnParams *dst, const NnParams *src, Err *e) {
    nn_params_init(dst);
    if (!src->values) return err_set(e, "nn_params_clone: source not allocated");
    dst->tensors = malloc((size_t)src->n * sizeof *dst->tensors);
    if (!dst->tensors) return err_set(e, "nn_params_clone: out of memory");
    memcpy(dst->tensors, src->tensors, (size_t)src->n * sizeof *dst->tensors);
    dst->n = dst->cap = src->n;
    dst->total = src->total;
    size_t bytes = src->total * sizeof(float);
    dst->values = aligned_alloc(64, bytes);
    dst->grads = aligned_alloc(64, bytes);
    if (!dst->values || !dst->grads) {
        nn_params_destroy(dst);
        return err_set(e, "nn_params_clone: out of memory");
    }
    memcpy(dst->values, src->values, bytes);
    memset(dst->grads, 0, bytes);
    return 0;
}

void nn_params_copy_values(NnParams *dst, const NnParams *src) {
    memcpy(dst->values, src->values, src->total * sizeof(float));
}
