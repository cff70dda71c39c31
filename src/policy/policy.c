/* policy.c — the family-independent half of the Policy interface: names and defaults, creation
 * (declare → allocate from the seed → setup), cloning, checkpoints (config in the safetensors
 * metadata) and argument checks before dispatching to the family's operations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/nn_safetensors.h"
#include "policy_internal.h"

static const char *const FAMILY_NAMES[POLICY_FAMILY_COUNT] = {"vocab", "hier", "vla"};

static const PolicyOps *family_ops(PolicyFamily f) {
    switch (f) {
    case POLICY_VOCAB: return &policy_vocab_ops;
    case POLICY_HIER: return &policy_hier_ops;
    case POLICY_VLA: return &policy_vla_ops;
    default: return NULL;
    }
}

const char *policy_family_name(PolicyFamily f) {
    return (unsigned)f < POLICY_FAMILY_COUNT ? FAMILY_NAMES[f] : "?";
}

int policy_family_from_name(const char *name, PolicyFamily *out, Err *e) {
    for (int f = 0; f < POLICY_FAMILY_COUNT; f++)
        if (name && !strcmp(name, FAMILY_NAMES[f])) return *out = (PolicyFamily)f, 0;
    return err_set(e, "unknown policy family '%s' (expected vocab, hier or vla)", name ? name : "(null)");
}

PolicyConfig policy_default_config(PolicyFamily f) {
    PolicyConfig c = {
        .family = f, .horizon = TRAJ_MAX, .hidden = 128, .max_batch = 64, .max_group = 1,
        .vocab_size = 256, .vla_decision_only = 0, .min_std = 0.05f,
    };
    return c;
}

static int check_config(const PolicyConfig *c, Err *e) {
    if (!family_ops(c->family)) return err_set(e, "policy config: unknown family %d", (int)c->family);
    if (c->horizon < 1 || c->horizon > TRAJ_MAX)
        return err_set(e, "policy config: horizon %d outside 1..%d", c->horizon, TRAJ_MAX);
    if (c->hidden < 8 || c->hidden > 4096) return err_set(e, "policy config: hidden %d outside 8..4096", c->hidden);
    if (c->max_batch < 1 || c->max_group < 1 || (long)c->max_batch * c->max_group > (1L << 20))
        return err_set(e, "policy config: max_batch %d x max_group %d out of range", c->max_batch, c->max_group);
    if (c->family == POLICY_VOCAB && (c->vocab_size < 2 || c->vocab_size > 65536))
        return err_set(e, "policy config: vocab_size %d outside 2..65536", c->vocab_size);
    if (!(c->min_std > 0.0f) || !isfinite(c->min_std)) return err_set(e, "policy config: min_std must be > 0");
    return 0;
}

Policy *policy_create(const PolicyConfig *cfg, uint64_t seed, Err *e) {
    if (check_config(cfg, e)) return NULL;
    Policy *p = calloc(1, sizeof *p);
    if (!p) return err_set(e, "policy_create: out of memory"), NULL;
    p->cfg = *cfg;
    p->ops = family_ops(cfg->family);
    nn_params_init(&p->params);
    if (p->ops->declare(p, e) || nn_params_alloc(&p->params, seed, e) || p->ops->setup(p, seed, e)) {
        policy_destroy(p);
        return NULL;
    }
    return p;
}

void policy_destroy(Policy *p) {
    if (!p) return;
    if (p->ops && p->ops->free_fam) p->ops->free_fam(p);
    nn_params_destroy(&p->params);
    free(p);
}

Policy *policy_clone(const Policy *p, Err *e) {
    Policy *q = policy_create(&p->cfg, 0, e);
    if (q) nn_params_copy_values(&q->params, &p->params);
    return q;
}

const PolicyConfig *policy_config(const Policy *p) { return &p->cfg; }
NnParams *policy_params(Policy *p) { return &p->params; }
const NnParams *policy_params_const(const Policy *p) { return &p->params; }
int policy_needs_bev(const Policy *p) { return p->ops->needs_bev; }

/* ---- checkpoints --------------------------------------------------------------------------- */
static void meta_int(NnMeta *m, const char *k, long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    nn_meta_set(m, k, buf);
}

int policy_save(const Policy *p, const char *path, Err *e) {
    NnMeta m = {0};
    nn_meta_set(&m, "format", "craft-policy-1");
    nn_meta_set(&m, "family", policy_family_name(p->cfg.family));
    meta_int(&m, "horizon", p->cfg.horizon);
    meta_int(&m, "hidden", p->cfg.hidden);
    meta_int(&m, "vocab_size", p->cfg.vocab_size);
    meta_int(&m, "vla_decision_only", p->cfg.vla_decision_only);
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", (double)p->cfg.min_std);
    nn_meta_set(&m, "min_std", buf);
    return nn_safetensors_save(path, &p->params, &m, e);
}

static int meta_get_long(const NnMeta *m, const char *path, const char *k, long *out, Err *e) {
    const char *v = nn_meta_get(m, k);
    char *end = NULL;
    if (!v) return err_set(e, "load %s: not a craft policy checkpoint (no '%s' in its metadata)", path, k);
    *out = strtol(v, &end, 10);
    if (end == v || *end) return err_set(e, "load %s: metadata '%s' = '%s' is not an integer", path, k, v);
    return 0;
}

Policy *policy_load(const char *path, int max_batch, int max_group, Err *e) {
    NnMeta m;
    if (nn_safetensors_read_meta(path, &m, e)) return NULL;
    const char *fmt = nn_meta_get(&m, "format");
    if (!fmt || strcmp(fmt, "craft-policy-1"))
        return err_set(e, "load %s: not a craft policy checkpoint (metadata format '%s')", path, fmt ? fmt : "none"), NULL;
    PolicyConfig c;
    if (policy_family_from_name(nn_meta_get(&m, "family"), &c.family, e)) return NULL;
    c = policy_default_config(c.family);
    long horizon, hidden, vocab, dec_only;
    if (meta_get_long(&m, path, "horizon", &horizon, e) || meta_get_long(&m, path, "hidden", &hidden, e) ||
        meta_get_long(&m, path, "vocab_size", &vocab, e) || meta_get_long(&m, path, "vla_decision_only", &dec_only, e))
        return NULL;
    const char *ms = nn_meta_get(&m, "min_std");
    c.horizon = (int)horizon;
    c.hidden = (int)hidden;
    c.vocab_size = (int)vocab;
    c.vla_decision_only = (int)dec_only;
    c.min_std = ms ? strtof(ms, NULL) : c.min_std;
    c.max_batch = max_batch;
    c.max_group = max_group;
    Policy *p = policy_create(&c, 0, e);
    if (!p) return NULL;
    if (nn_safetensors_load(path, &p->params, NULL, e)) {
        policy_destroy(p);
        return NULL;
    }
    return p;
}

/* ---- dispatch with argument checks --------------------------------------------------------- */
int policy_act(Policy *p, const Obs *obs, int B, Rng *rng, int greedy, PolicyAction *out, float *logp, Err *e) {
    if (B < 1 || B > p->cfg.max_batch) return err_set(e, "policy_act: batch %d outside 1..%d", B, p->cfg.max_batch);
    if (!greedy && !rng) return err_set(e, "policy_act: sampling needs an Rng");
    return p->ops->act(p, obs, B, rng, greedy, out, logp, e);
}

int policy_action_from_traj(const Policy *p, const Obs *obs, const Traj *expert, int behaviour, PolicyAction *out,
                            Err *e) {
    if (behaviour < 0 || behaviour >= BEHAVIOUR_COUNT)
        return err_set(e, "policy_action_from_traj: behaviour %d outside 0..%d", behaviour, BEHAVIOUR_COUNT - 1);
    if (expert->n < p->cfg.horizon)
        return err_set(e, "policy_action_from_traj: trajectory has %d waypoints, the policy needs %d", expert->n,
                       p->cfg.horizon);
    for (int i = 0; i < p->cfg.horizon; i++)
        if (!isfinite(expert->x[i]) || !isfinite(expert->y[i]) || !isfinite(expert->heading[i]))
            return err_set(e, "policy_action_from_traj: waypoint %d is not finite", i);
    return p->ops->action_from_traj(p, obs, expert, behaviour, out, e);
}

int policy_evaluate(Policy *p, const Obs *obs, int B, const PolicyAction *acts, int G, float *logp, float *entropy,
                    Err *e) {
    p->cached_B = p->cached_G = 0;
    if (B < 1 || B > p->cfg.max_batch) return err_set(e, "policy_evaluate: batch %d outside 1..%d", B, p->cfg.max_batch);
    if (G < 1 || G > p->cfg.max_group) return err_set(e, "policy_evaluate: group %d outside 1..%d", G, p->cfg.max_group);
    if (p->ops->evaluate(p, obs, B, acts, G, logp, entropy, e)) return -1;
    p->cached_B = B;
    p->cached_G = G;
    return 0;
}

static int same_batch(const Policy *p, const Policy *q, const char *what, Err *e) {
    if (!p->cached_B) return err_set(e, "%s: policy_evaluate has not run on this policy", what);
    if (q->cfg.family != p->cfg.family || !nn_params_same_layout(&p->params, &q->params))
        return err_set(e, "%s: the two policies differ in family or shape", what);
    if (q->cached_B != p->cached_B || q->cached_G != p->cached_G)
        return err_set(e, "%s: the two policies were evaluated on different batches (%dx%d vs %dx%d)", what,
                       p->cached_B, p->cached_G, q->cached_B, q->cached_G);
    return 0;
}

int policy_kl(const Policy *p, const Policy *q, float *out, Err *e) {
    if (same_batch(p, q, "policy_kl", e)) return -1;
    return p->ops->kl(p, q, out, e);
}

int policy_backward(Policy *p, const PolicyLossGrad *g, Err *e) {
    if (!p->cached_B) return err_set(e, "policy_backward: policy_evaluate has not run");
    if (g->teacher && same_batch(p, g->teacher, "policy_backward", e)) return -1;
    return p->ops->backward(p, g, e);
}
