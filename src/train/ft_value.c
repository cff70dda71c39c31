/* ft_value — the PPO baseline's value function V(s): an MLP over a compact slice of the observation
 * (ego state, route points, the 8 nearest agents), trained by 0.5·MSE regression to the GAE returns
 * with its own AdamW. Kept separate from the policy: the policy families stay value-free. */
#include <stdlib.h>
#include <string.h>
#include "craft/nn_layers.h"
#include "craft/nn_optim.h"
#include "ft_internal.h"

#define VALUE_AGENTS 8
#define VALUE_IN (OBS_EGO_DIM + OBS_ROUTE_PTS * OBS_ROUTE_DIM + VALUE_AGENTS * OBS_AGENT_DIM)
#define VALUE_HIDDEN 64

struct FtValue {
    NnParams params;
    NnMlp mlp;
    NnAdamW opt;
    int max_batch;
    float *x, *dy;
};

FtValue *ft_value_create(uint64_t seed, int max_batch, Err *e) {
    FtValue *v = calloc(1, sizeof *v);
    if (!v) return err_set(e, "value function: out of memory"), NULL;
    nn_params_init(&v->params);
    v->max_batch = max_batch;
    NnAdamWConfig ac = nn_adamw_defaults();
    ac.weight_decay = 0.0f;
    if (nn_mlp_declare(&v->mlp, &v->params, "value", 3, (int[]){VALUE_IN, VALUE_HIDDEN, VALUE_HIDDEN, 1}, NN_ACT_RELU, e) ||
        nn_params_alloc(&v->params, seed, e) || nn_mlp_alloc(&v->mlp, max_batch, e) ||
        nn_adamw_create(&v->opt, &v->params, ac, e)) {
        ft_value_destroy(v);
        return NULL;
    }
    v->x = malloc((size_t)max_batch * VALUE_IN * sizeof *v->x);
    v->dy = malloc((size_t)max_batch * sizeof *v->dy);
    if (!v->x || !v->dy) {
        ft_value_destroy(v);
        return err_set(e, "value function: out of memory"), NULL;
    }
    return v;
}

void ft_value_destroy(FtValue *v) {
    if (!v) return;
    nn_adamw_destroy(&v->opt);
    nn_mlp_destroy(&v->mlp);
    nn_params_destroy(&v->params);
    free(v->x);
    free(v->dy);
    free(v);
}

NnParams *ft_value_params(FtValue *v) { return &v->params; }
NnAdamW *ft_value_opt(FtValue *v) { return &v->opt; }

static void features(FtValue *v, const Obs *obs, int B) {
    for (int b = 0; b < B; b++) {
        float *x = v->x + (size_t)b * VALUE_IN;
        memcpy(x, obs[b].ego, sizeof obs[b].ego);
        memcpy(x + OBS_EGO_DIM, obs[b].route, sizeof obs[b].route);
        memcpy(x + OBS_EGO_DIM + OBS_ROUTE_PTS * OBS_ROUTE_DIM, obs[b].agents,
               VALUE_AGENTS * OBS_AGENT_DIM * sizeof(float));
    }
}

void ft_value_forward(FtValue *v, const Obs *obs, int B, float *values) {
    for (int at = 0; at < B; at += v->max_batch) {
        int n = B - at < v->max_batch ? B - at : v->max_batch;
        features(v, obs + at, n);
        const float *y = nn_mlp_forward(&v->mlp, &v->params, v->x, n);
        memcpy(values + at, y, (size_t)n * sizeof *values);
    }
}

float ft_value_train_step(FtValue *v, const Obs *obs, int B, const float *targets, float lr) {
    if (B > v->max_batch) B = v->max_batch;
    features(v, obs, B);
    const float *y = nn_mlp_forward(&v->mlp, &v->params, v->x, B);
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        float d = y[b] - targets[b];
        loss += 0.5 * (double)d * d;
        v->dy[b] = d / (float)B;
    }
    nn_params_zero_grad(&v->params);
    nn_mlp_backward(&v->mlp, &v->params, v->dy, NULL, B);
    nn_clip_grad_norm(&v->params, 1.0f);
    nn_adamw_step(&v->opt, &v->params, lr);
    return (float)(loss / B);
}
