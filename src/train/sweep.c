/* sweep — the family × method × seed grid of fine-tuning runs and their evaluations
 * (include/craft/sweep.h). Kill-safety comes from two facts: result files are written atomically
 * and record the hash of what produced them, and the trainer resumes a run directory from its last
 * checkpoint; so the state of every cell can be recomputed from the files alone at any moment. */
#include "craft/sweep.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "craft/b2d_metrics.h"
#include "craft/eval.h"
#include "craft/results_json.h"
#include "craft/atomic_file.h"

int sweep_trainer_default(SweepTrainer *t, Err *e) {
    (void)e;
    t->schema = finetune_schema();
    t->defaults = finetune_defaults;
    return 0;
}

/* ---- Small file helpers --------------------------------------------------------------------- */
static int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int mkdir_p(const char *dir, Err *e) {
    char buf[SWEEP_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) return err_set(e, "sweep: path too long: %s", dir);
    for (char *q = buf + 1;; q++) {
        if (*q != '/' && *q != '\0') continue;
        char c = *q;
        *q = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return err_set(e, "sweep: cannot create %s: %s", buf, strerror(errno));
        *q = c;
        if (!c) return 0;
    }
}

static int parent_dir(const char *path, char *out, size_t size) {
    snprintf(out, size, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash) return snprintf(out, size, "."), 0;
    *slash = '\0';
    return 0;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) buf[len] = '\0';
    else free(buf), buf = NULL;
    fclose(f);
    return buf;
}

/* ---- Plan ----------------------------------------------------------------------------------- */
static const char *const BASE_METHODS[] = {"il", "ppo", "grpo-cl", "cf", "craft"};
static const FtMethod BASE_METHOD_ENUM[] = {METHOD_CRAFT, METHOD_PPO, METHOD_GRPO_CL, METHOD_CF, METHOD_CRAFT};
#define N_BASE_METHODS 5

static const char *const PLAN_KEYS[] = {"families", "methods", "seeds", "set", "pretrained", "eval_routes",
                                        "val_routes", "runs_dir", "out_dir", "data_dir", "threads"};
#define N_PLAN_KEYS (int)(sizeof PLAN_KEYS / sizeof PLAN_KEYS[0])

static int name_ok(const char *s, const char *extra) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
            return 0;
    return 1;
}

static int plan_string(const cJSON *root, const char *key, char *out, size_t size, const char *def,
                       const char *origin, Err *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return snprintf(out, size, "%s", def), 0;
    if (!cJSON_IsString(v) || !v->valuestring[0]) return err_set(e, "%s: \"%s\" must be a non-empty string", origin, key);
    if (strlen(v->valuestring) >= size) return err_set(e, "%s: \"%s\" is too long", origin, key);
    snprintf(out, size, "%s", v->valuestring);
    return 0;
}

static int base_method(const char *name, int *index) {
    for (int i = 0; i < N_BASE_METHODS; i++)
        if (!strcmp(name, BASE_METHODS[i])) return *index = i, 0;
    return -1;
}

static int method_error(const char *origin, const char *name, Err *e) {
    return err_set(e, "%s: unknown method '%s' (known: il, ppo, grpo-cl, cf, craft; ablations as craft:key=value;...)",
                   origin, name);
}

/* "craft:residual=0; kl_alpha=0.5" → base craft, assignments "residual=0;kl_alpha=0.5",
 * name "craft+residual=0+kl_alpha=0.5". */
static int parse_method_string(SweepMethod *m, const char *text, const char *origin, Err *e) {
    char base[32];
    const char *colon = strchr(text, ':');
    size_t blen = colon ? (size_t)(colon - text) : strlen(text);
    if (blen >= sizeof base) return method_error(origin, text, e);
    memcpy(base, text, blen);
    base[blen] = '\0';
    int bi;
    if (base_method(base, &bi)) return method_error(origin, base, e);
    m->il = bi == 0;
    m->method = BASE_METHOD_ENUM[bi];
    size_t used = (size_t)snprintf(m->name, sizeof m->name, "%s", base);
    if (!colon) return 0;
    size_t cap = strlen(colon) + 1;
    m->assignments = calloc(cap, 1);
    if (!m->assignments) return err_set(e, "%s: out of memory", origin);
    size_t alen = 0;
    for (const char *seg = colon + 1;;) {
        size_t seglen = strcspn(seg, ";"), n = seglen;
        const char *q = seg;
        while (n && (*q == ' ' || *q == '\t')) q++, n--;
        while (n && (q[n - 1] == ' ' || q[n - 1] == '\t')) n--;
        if (n) {
            const char *eq = memchr(q, '=', n);
            if (!eq || eq == q || eq == q + n - 1)
                return err_set(e, "%s: method '%s': override '%.*s' is not key=value", origin, text, (int)n, q);
            if (alen) m->assignments[alen++] = ';';
            memcpy(m->assignments + alen, q, n);
            alen += n;
            used += (size_t)snprintf(m->name + used, used < sizeof m->name ? sizeof m->name - used : 0, "+%.*s", (int)n, q);
        }
        if (!seg[seglen]) break;
        seg += seglen + 1;
    }
    if (!alen) return err_set(e, "%s: method '%s' has ':' but no overrides", origin, text);
    if (used >= sizeof m->name) return err_set(e, "%s: method '%s' gives a cell name that is too long", origin, text);
    if (!name_ok(m->name, "._+=-")) return err_set(e, "%s: method '%s': overrides may only use [A-Za-z0-9._-]", origin, text);
    return 0;
}

static int parse_method_object(SweepMethod *m, const cJSON *o, const char *origin, Err *e) {
    const cJSON *it;
    cJSON_ArrayForEach(it, o) if (strcmp(it->string, "name") && strcmp(it->string, "method") && strcmp(it->string, "set"))
        return err_set(e, "%s: method object: unknown key '%s' (known: name, method, set)", origin, it->string);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name"), *base = cJSON_GetObjectItemCaseSensitive(o, "method");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(o, "set");
    if (!cJSON_IsString(base)) return err_set(e, "%s: method object needs \"method\": one of il, ppo, grpo-cl, cf, craft", origin);
    int bi;
    if (base_method(base->valuestring, &bi)) return method_error(origin, base->valuestring, e);
    if (name && !cJSON_IsString(name)) return err_set(e, "%s: method object: \"name\" must be a string", origin);
    const char *nm = name ? name->valuestring : base->valuestring;
    if (strlen(nm) >= sizeof m->name || !name_ok(nm, "._+=-"))
        return err_set(e, "%s: method name '%s' must be 1-%d characters of [A-Za-z0-9._+=-]", origin, nm,
                       (int)sizeof m->name - 1);
    snprintf(m->name, sizeof m->name, "%s", nm);
    m->il = bi == 0;
    m->method = BASE_METHOD_ENUM[bi];
    if (set) {
        if (!cJSON_IsObject(set)) return err_set(e, "%s: method '%s': \"set\" must be an object", origin, nm);
        m->set_json = cJSON_PrintUnformatted(set);
        if (!m->set_json) return err_set(e, "%s: out of memory", origin);
    }
    return 0;
}

static int parse_families(SweepPlan *p, const cJSON *root, const char *origin, Err *e) {
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(root, "families"), *it;
    if (!cJSON_IsArray(fam) || cJSON_GetArraySize(fam) == 0)
        return err_set(e, "%s: \"families\" must be a non-empty array of names", origin);
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pretrained");
    if (pre && !cJSON_IsObject(pre)) return err_set(e, "%s: \"pretrained\" must be an object {family: checkpoint}", origin);
    cJSON_ArrayForEach(it, fam) {
        if (p->n_families == SWEEP_MAX_FAMILIES) return err_set(e, "%s: more than %d families", origin, SWEEP_MAX_FAMILIES);
        if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof p->families[0] || !name_ok(it->valuestring, "_-"))
            return err_set(e, "%s: a family must be a name of [A-Za-z0-9_-] (at most 31 characters)", origin);
        for (int i = 0; i < p->n_families; i++)
            if (!strcmp(p->families[i], it->valuestring)) return err_set(e, "%s: family '%s' is listed twice", origin, it->valuestring);
        const cJSON *ck = pre ? cJSON_GetObjectItemCaseSensitive(pre, it->valuestring) : NULL;
        if (!cJSON_IsString(ck) || !ck->valuestring[0] || strlen(ck->valuestring) >= sizeof p->pretrained[0])
            return err_set(e, "%s: no pre-trained checkpoint for family '%s' (\"pretrained\": {\"%s\": \"PATH\"})", origin,
                           it->valuestring, it->valuestring);
        snprintf(p->families[p->n_families], sizeof p->families[0], "%s", it->valuestring);
        snprintf(p->pretrained[p->n_families++], sizeof p->pretrained[0], "%s", ck->valuestring);
    }
    if (pre) cJSON_ArrayForEach(it, pre) {
        int found = 0;
        for (int i = 0; i < p->n_families; i++) found |= !strcmp(p->families[i], it->string);
        if (!found) return err_set(e, "%s: \"pretrained\" names '%s', which is not in \"families\"", origin, it->string);
    }
    return 0;
}

static int parse_methods_seeds(SweepPlan *p, const cJSON *root, const char *origin, Err *e) {
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(root, "methods"), *it;
    if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) == 0)
        return err_set(e, "%s: \"methods\" must be a non-empty array (e.g. [\"il\", \"craft\"])", origin);
    cJSON_ArrayForEach(it, ms) {
        if (p->n_methods == SWEEP_MAX_METHODS) return err_set(e, "%s: more than %d methods", origin, SWEEP_MAX_METHODS);
        SweepMethod *m = &p->methods[p->n_methods++];
        if (cJSON_IsString(it) ? parse_method_string(m, it->valuestring, origin, e)
            : cJSON_IsObject(it) ? parse_method_object(m, it, origin, e)
                                 : err_set(e, "%s: a method must be a string or an object", origin))
            return -1;
        for (int i = 0; i < p->n_methods - 1; i++)
            if (!strcmp(p->methods[i].name, m->name))
                return err_set(e, "%s: two methods have the cell name '%s'", origin, m->name);
    }
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
    if (!cJSON_IsArray(seeds) || cJSON_GetArraySize(seeds) == 0)
        return err_set(e, "%s: \"seeds\" must be a non-empty array of integers", origin);
    cJSON_ArrayForEach(it, seeds) {
        if (p->n_seeds == SWEEP_MAX_SEEDS) return err_set(e, "%s: more than %d seeds", origin, SWEEP_MAX_SEEDS);
        if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int)it->valuedouble || it->valuedouble < 0)
            return err_set(e, "%s: seeds must be non-negative integers", origin);
        for (int i = 0; i < p->n_seeds; i++)
            if (p->seeds[i] == it->valueint) return err_set(e, "%s: seed %d is listed twice", origin, it->valueint);
        p->seeds[p->n_seeds++] = it->valueint;
    }
    return 0;
}

static uint64_t routeset_hash(const RouteSet *rs) {
    XXH64_state_t *st = XXH64_createState();
    if (!st) return 0;
    XXH64_reset(st, 0);
    for (int i = 0; i < rs->n; i++) {
        const RouteSpec *r = &rs->routes[i];
        char seed[24];
        snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
        const char *parts[] = {r->id, "\x1f", r->type, "\x1f", seed, "\x1f", r->overrides, "\x1e"};
        for (int k = 0; k < 8; k++) XXH64_update(st, parts[k], strlen(parts[k]));
    }
    uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

static int parse_plan_root(SweepPlan *p, const cJSON *root, const char *origin, Err *e) {
    if (!cJSON_IsObject(root)) return err_set(e, "%s: a plan must be a JSON object", origin);
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        int known = 0;
        for (int k = 0; k < N_PLAN_KEYS; k++) known |= !strcmp(it->string, PLAN_KEYS[k]);
        if (!known)
            return err_set(e, "%s: unknown key '%s' (known: families, methods, seeds, set, pretrained, eval_routes, "
                           "val_routes, runs_dir, out_dir, data_dir, threads)", origin, it->string);
    }
    if (parse_families(p, root, origin, e) || parse_methods_seeds(p, root, origin, e)) return -1;
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(root, "set");
    if (set && !cJSON_IsObject(set)) return err_set(e, "%s: \"set\" must be an object of config keys", origin);
    if (set && !(p->set_json = cJSON_PrintUnformatted(set))) return err_set(e, "%s: out of memory", origin);
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "threads");
    p->threads = 2;
    if (th) {
        if (!cJSON_IsNumber(th) || th->valuedouble != (double)(int)th->valuedouble || th->valueint < 1 || th->valueint > 256)
            return err_set(e, "%s: \"threads\" must be an integer in 1..256", origin);
        p->threads = th->valueint;
    }
    if (plan_string(root, "eval_routes", p->eval_routes, sizeof p->eval_routes, "eval220", origin, e) ||
        plan_string(root, "val_routes", p->val_routes, sizeof p->val_routes, "", origin, e) ||
        plan_string(root, "runs_dir", p->runs_dir, sizeof p->runs_dir, "runs", origin, e) ||
        plan_string(root, "out_dir", p->out_dir, sizeof p->out_dir, "results/finetune", origin, e) ||
        plan_string(root, "data_dir", p->data_dir, sizeof p->data_dir, "data/routes", origin, e))
        return -1;
    Err re = {{0}};
    if (routeset_load(&p->eval_set, p->eval_routes, p->data_dir, &re))
        return err_set(e, "%s: eval_routes: %s", origin, re.msg);
    if (p->val_routes[0] && routeset_load(&p->val_set, p->val_routes, p->data_dir, &re))
        return err_set(e, "%s: val_routes: %s", origin, re.msg);
    p->eval_hash = routeset_hash(&p->eval_set);
    p->val_hash = p->val_routes[0] ? routeset_hash(&p->val_set) : 0;
    return 0;
}

int sweep_plan_parse(SweepPlan *p, const char *json_text, const char *origin, const SweepTrainer *t, Err *e) {
    memset(p, 0, sizeof *p);
    if (!t || !t->schema || !t->defaults) return err_set(e, "sweep: no trainer schema");
    p->trainer = *t;
    cJSON *root = cJSON_Parse(json_text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *q = json_text; at && q < at && *q; q++) line += *q == '\n';
        return err_set(e, "%s: not valid JSON (near line %d)", origin, line);
    }
    int rc = parse_plan_root(p, root, origin, e);
    cJSON_Delete(root);
    if (!rc) { /* build every cell once so that a bad override fails now, not after hours of training */
        SweepCell *cells = NULL;
        int n = 0;
        rc = sweep_cells(p, &cells, &n, e);
        free(cells);
    }
    if (rc) sweep_plan_free(p);
    return rc;
}

int sweep_plan_load(SweepPlan *p, const char *path, const SweepTrainer *t, Err *e) {
    memset(p, 0, sizeof *p);
    char *text = read_text(path);
    if (!text) return err_set(e, "sweep: cannot read plan %s: %s", path, strerror(errno));
    int rc = sweep_plan_parse(p, text, path, t, e);
    free(text);
    return rc;
}

void sweep_plan_free(SweepPlan *p) {
    for (int i = 0; i < p->n_methods; i++) {
        free(p->methods[i].assignments);
        cJSON_free(p->methods[i].set_json);
    }
    cJSON_free(p->set_json);
    if (p->eval_set.routes) routeset_free(&p->eval_set);
    if (p->val_set.routes) routeset_free(&p->val_set);
    memset(p, 0, sizeof *p);
}

/* ---- Cells ---------------------------------------------------------------------------------- */
/* Fields the sweep sets per cell; a `set` that changes one of them would be silently overwritten. */
static int check_owned(const FtConfig *before, const FtConfig *after, const char *where, Err *e) {
    const char *field = before->method != after->method ? "method"
                        : before->seed != after->seed ? "seed"
                        : strcmp(before->policy, after->policy) ? "policy"
                        : strcmp(before->run_dir, after->run_dir) ? "run_dir" : NULL;
    if (!field) return 0;
    return err_set(e, "%s sets '%s', which the sweep sets per cell (use \"methods\", \"seeds\", \"pretrained\" or "
                   "\"runs_dir\")", where, field);
}

static int cell_config(const SweepPlan *p, int fi, int mi, int seed, FtConfig *c, Err *e) {
    const SweepMethod *m = &p->methods[mi];
    const ConfigSchema *s = p->trainer.schema;
    memset(c, 0, sizeof *c);
    char where[SWEEP_NAME_MAX + 64];
    snprintf(where, sizeof where, "method '%s'", m->name);
    Err ce = {{0}};
    if (p->trainer.defaults(c, m->method, &ce)) return err_set(e, "%s: %s", where, ce.msg);
    FtConfig before = *c;
    if (p->set_json && config_apply_json(s, c, p->set_json, "plan \"set\"", e)) return -1;
    if (check_owned(&before, c, "plan \"set\"", e)) return -1;
    if (m->set_json && config_apply_json(s, c, m->set_json, where, e)) return -1;
    if (m->assignments) {
        char buf[1024];
        for (const char *q = m->assignments; *q;) {
            size_t n = strcspn(q, ";");
            if (n >= sizeof buf) return err_set(e, "%s: override too long", where);
            memcpy(buf, q, n);
            buf[n] = '\0';
            if (config_set_assignment(s, c, buf, &ce)) return err_set(e, "%s: %s", where, ce.msg);
            q += n + (q[n] == ';');
        }
    }
    if (check_owned(&before, c, where, e)) return -1;
    c->seed = seed;
    c->threads = p->threads;
    snprintf(c->policy, sizeof c->policy, "%s", p->pretrained[fi]);
    if (snprintf(c->run_dir, sizeof c->run_dir, "%s/%s/%s-seed%d", p->runs_dir, p->families[fi], m->name, seed) >=
        (int)sizeof c->run_dir)
        return err_set(e, "%s: run directory path too long", where);
    return 0;
}

static uint64_t cell_hash(const SweepPlan *p, const SweepMethod *m, const FtConfig *c) {
    char *canon = m->il ? NULL : config_canonical_json(p->trainer.schema, c);
    char head[1024 + 160];
    /* il: the evaluation depends on the checkpoint and the replanning interval only (the greedy
     * policy on seeded routes is deterministic), so its seeds share one hash and one evaluation. */
    snprintf(head, sizeof head, "craft-sweep 1\n%s\npolicy=%s\nreplan=%d\neval=%016" PRIx64 "\nval=%016" PRIx64 "\n",
             m->il ? "il" : "finetune", c->policy, c->replan, p->eval_hash, p->val_hash);
    XXH64_state_t *st = XXH64_createState();
    if (!st) return free(canon), 0;
    XXH64_reset(st, 0);
    XXH64_update(st, head, strlen(head));
    if (canon) XXH64_update(st, canon, strlen(canon));
    uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    free(canon);
    return h;
}

int sweep_cells(const SweepPlan *p, SweepCell **cells, int *n, Err *e) {
    *cells = NULL;
    *n = 0;
    int total = p->n_families * p->n_methods * p->n_seeds;
    SweepCell *out = calloc((size_t)total + 1, sizeof *out);
    if (!out) return err_set(e, "sweep: out of memory for %d cells", total);
    int k = 0;
    for (int fi = 0; fi < p->n_families; fi++)
        for (int mi = 0; mi < p->n_methods; mi++)
            for (int si = 0; si < p->n_seeds; si++, k++) {
                SweepCell *c = &out[k];
                c->index = k, c->family = fi, c->method = mi, c->seed = p->seeds[si];
                const char *fam = p->families[fi], *name = p->methods[mi].name;
                snprintf(c->id, sizeof c->id, "%s/%s-seed%d", fam, name, c->seed);
                if (cell_config(p, fi, mi, c->seed, &c->cfg, e)) return free(out), -1;
                c->config_hash = config_hash(p->trainer.schema, &c->cfg);
                c->cell_hash = cell_hash(p, &p->methods[mi], &c->cfg);
                if (snprintf(c->result_path, sizeof c->result_path, "%s/%s/%s-seed%d.json", p->out_dir, fam, name,
                             c->seed) >= (int)sizeof c->result_path)
                    return free(out), err_set(e, "sweep: result path too long for %s", c->id);
                if (p->val_routes[0])
                    snprintf(c->val_path, sizeof c->val_path, "%s/%s/%s-seed%d.val.json", p->out_dir, fam, name, c->seed);
            }
    *cells = out;
    *n = total;
    return 0;
}

/* ---- Result files --------------------------------------------------------------------------- */
int sweep_result_hash(const char *path, uint64_t *hash) {
    char *text = read_text(path);
    if (!text) return -1;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "sweep");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(sw, "cell_hash");
    int rc = -1;
    if (cJSON_IsString(h) && strlen(h->valuestring) == 16) {
        char *end;
        *hash = strtoull(h->valuestring, &end, 16);
        rc = *end ? -1 : 0;
    }
    cJSON_Delete(root);
    return rc;
}

int sweep_write_results(const SweepCell *c, const char *path, const char *routes_arg, const RouteResult *routes,
                        int n, RuleSet rules, double wall_s, Err *e) {
    /* results_write owns the file format; the "sweep" object is spliced in after its opening brace
     * and the whole text then replaces `path` in one atomic rename. */
    char partial[SWEEP_PATH_MAX + 16];
    snprintf(partial, sizeof partial, "%s.partial", path);
    if (results_write(partial, routes, n, rules, wall_s, e)) return -1;
    char *text = read_text(partial);
    unlink(partial);
    if (!text || text[0] != '{') return free(text), err_set(e, "sweep: cannot read back %s", partial);
    cJSON *sw = cJSON_CreateObject();
    char hex[2][17];
    snprintf(hex[0], sizeof hex[0], "%016" PRIx64, c->cell_hash);
    snprintf(hex[1], sizeof hex[1], "%016" PRIx64, c->config_hash);
    cJSON_AddStringToObject(sw, "cell", c->id);
    cJSON_AddNumberToObject(sw, "seed", c->seed);
    cJSON_AddStringToObject(sw, "routes", routes_arg);
    cJSON_AddStringToObject(sw, "cell_hash", hex[0]);
    cJSON_AddStringToObject(sw, "config_hash", hex[1]);
    char *swtext = cJSON_PrintUnformatted(sw);
    cJSON_Delete(sw);
    size_t len = strlen(text) + (swtext ? strlen(swtext) : 0) + 32;
    char *out = swtext ? malloc(len) : NULL;
    int rc = -1;
    if (out) {
        snprintf(out, len, "{\n\t\"sweep\":\t%s,%s", swtext, text + 1);
        rc = atomic_write_text(path, out, e);
    } else {
        err_set(e, "sweep: out of memory");
    }
    free(out);
    cJSON_free(swtext);
    free(text);
    return rc;
}

/* ---- Cell state ----------------------------------------------------------------------------- */
const char *sweep_status_name(SweepStatus s) {
    static const char *const NAMES[] = {"done", "eval", "resume", "train", "retrain"};
    return (unsigned)s < 5 ? NAMES[s] : "?";
}

static int result_current(const char *path, uint64_t want, int *stale) {
    uint64_t h;
    if (sweep_result_hash(path, &h) == 0 && h == want) return 1;
    if (path_exists(path)) *stale = 1;
    return 0;
}

/* 1 if the run dir's config.json is this cell's config (NO_HASH keys such as threads may differ). */
static int run_dir_matches(const SweepPlan *p, const SweepCell *c) {
    char path[SWEEP_PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", c->cfg.run_dir);
    FtConfig loaded = c->cfg;
    return config_load_json(p->trainer.schema, &loaded, path, NULL) == 0 &&
           config_hash(p->trainer.schema, &loaded) == c->config_hash;
}

static int run_file(const SweepCell *c, const char *name) {
    char path[SWEEP_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->cfg.run_dir, name);
    return path_exists(path);
}

int sweep_cell_state(const SweepPlan *p, const SweepCell *c, SweepCellState *st) {
    memset(st, 0, sizeof *st);
    st->eval_done = result_current(c->result_path, c->cell_hash, &st->stale_results);
    st->val_done = c->val_path[0] ? result_current(c->val_path, c->cell_hash, &st->stale_results) : 1;
    if (st->eval_done && st->val_done) st->status = SWEEP_DONE;
    else if (p->methods[c->method].il) st->status = SWEEP_EVAL;
    else if (run_file(c, "config.json"))
        st->status = !run_dir_matches(p, c) ? SWEEP_RETRAIN
                     : run_file(c, "final.safetensors") ? SWEEP_EVAL
                     : run_file(c, "LATEST") ? SWEEP_RESUME : SWEEP_TRAIN;
    else st->status = run_file(c, "LATEST") || run_file(c, "final.safetensors") ? SWEEP_RETRAIN : SWEEP_TRAIN;
    return 0;
}

/* ---- The real cell runner ------------------------------------------------------------------- */
static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct { FILE *log; const char *id; } TrainLog;

static void train_progress(const FtProgress *q, void *ctx) {
    const TrainLog *t = ctx;
    if (!t->log) return;
    fprintf(t->log, "[sweep] %s  iter %d/%d  steps %ld/%ld  return %.4f  KL %.4g  events %d  %.0f steps/s  %.0f s\n", t->id,
            q->iter, q->iters, q->sim_steps, q->budget, q->mean_return, q->kl, q->events, q->steps_per_s, q->wall_s);
    fflush(t->log);
}

/* Renames a run dir of another configuration to <dir>.stale-<n> rather than deleting anybody's work. */
static int move_aside(const char *dir, FILE *log, Err *e) {
    char dst[SWEEP_PATH_MAX + 32];
    for (int k = 1; k < 10000; k++) {
        snprintf(dst, sizeof dst, "%s.stale-%d", dir, k);
        if (path_exists(dst)) continue;
        if (rename(dir, dst) != 0) return err_set(e, "sweep: cannot move %s aside: %s", dir, strerror(errno));
        if (log) fprintf(log, "[sweep] %s holds another configuration: moved to %s\n", dir, dst);
        return 0;
    }
    return err_set(e, "sweep: too many stale copies of %s", dir);
}

static int eval_into(const SweepCell *c, const RouteSet *rs, const char *routes_arg, const char *ckpt,
                     const char *path, Err *e) {
    EvalConfig ec = eval_default_config();
    if (agent_spec_parse(ckpt, &ec.agent, e)) return -1;
    ec.agent.replan_every = c->cfg.replan > 0 ? c->cfg.replan : ec.agent.replan_every;
    ec.threads = c->cfg.threads;
    RouteResult *res = calloc((size_t)rs->n + 1, sizeof *res);
    if (!res) return err_set(e, "sweep: out of memory for %d route results", rs->n);
    double t0 = wall_now();
    int rc = eval_run(rs, &ec, res, e);
    if (!rc) rc = sweep_write_results(c, path, routes_arg, res, rs->n, ec.scenario.rules, wall_now() - t0, e);
    free(res);
    return rc;
}

int sweep_run_cell(const SweepPlan *p, const SweepCell *c, const SweepCellState *st, void *ctx, Err *e) {
    FILE *log = ctx;
    char ckpt[SWEEP_PATH_MAX + 32];
    if (p->methods[c->method].il) {
        snprintf(ckpt, sizeof ckpt, "%s", c->cfg.policy);
    } else {
        if (st->status == SWEEP_RETRAIN && move_aside(c->cfg.run_dir, log, e)) return -1;
        FtReport rep = {0};
        if (st->status != SWEEP_EVAL) {
            TrainLog tl = {log, c->id};
            if (finetune_run(&c->cfg, st->status == SWEEP_RESUME, train_progress, &tl, &rep, e)) return -1;
        }
        if (rep.final_path[0]) snprintf(ckpt, sizeof ckpt, "%s", rep.final_path);
        else snprintf(ckpt, sizeof ckpt, "%s/final.safetensors", c->cfg.run_dir);
    }
    /* val first: the eval file is what marks a cell finished in listings */
    if (c->val_path[0] && !st->val_done && eval_into(c, &p->val_set, p->val_routes, ckpt, c->val_path, e)) return -1;
    if (!st->eval_done && eval_into(c, &p->eval_set, p->eval_routes, ckpt, c->result_path, e)) return -1;
    return 0;
}

/* ---- The sweep ------------------------------------------------------------------------------ */
int sweep_only_match(const char *only, const char *family, const char *cell, int seed) {
    if (!only || !*only) return 1;
    char full[SWEEP_NAME_MAX + 32];
    snprintf(full, sizeof full, "%s-seed%d", cell, seed);
    for (const char *q = only; *q;) {
        size_t n = strcspn(q, ",");
        const char *slash = memchr(q, '/', n);
        size_t fl = slash ? (size_t)(slash - q) : n;
        int fam_ok = (fl == 1 && q[0] == '*') || (fl == strlen(family) && !strncmp(q, family, fl));
        if (fam_ok) {
            if (!slash) return 1;
            size_t rl = n - fl - 1;
            const char *r = slash + 1;
            if ((rl == strlen(cell) && !strncmp(r, cell, rl)) || (rl == strlen(full) && !strncmp(r, full, rl))) return 1;
        }
        q += n + (q[n] == ',');
    }
    return 0;
}

/* A finished cell with the same hash (il's seeds): its results are this cell's results. */
static int copy_results(const SweepPlan *p, const SweepCell *src, const SweepCell *dst, Err *e) {
    const char *from[2] = {src->result_path, src->val_path}, *to[2] = {dst->result_path, dst->val_path};
    const char *routes[2] = {p->eval_routes, p->val_routes};
    for (int k = 0; k < 2; k++) {
        if (!to[k][0]) continue;
        RouteResult *r;
        int n;
        RuleSet rules;
        if (results_read(from[k], &r, &n, &rules, e)) return -1;
        int rc = sweep_write_results(dst, to[k], routes[k], r, n, rules, 0.0, e);
        results_free(r);
        if (rc) return -1;
    }
    return 0;
}

static void log_done(FILE *log, const char *head, const SweepCell *c, const char *how, double secs) {
    if (!log) return;
    RouteResult *r;
    int n;
    RuleSet rules;
    if (results_read(c->result_path, &r, &n, &rules, NULL) == 0) {
        B2dSummary s;
        b2d_summarize(r, n, &s);
        fprintf(log, "%s %s: %s in %.1f s, DS %.2f SR %.2f over %d routes\n", head, c->id, how, secs, s.driving_score,
                s.success_rate, n);
        results_free(r);
    }
    fflush(log);
}

int sweep_run(const SweepPlan *p, const SweepOptions *o, SweepSummary *sum, Err *e) {
    SweepSummary s = {0};
    SweepCell *cells;
    if (sweep_cells(p, &cells, &s.cells, e)) return -1;
    SweepCellRunner runner = o->runner ? o->runner : sweep_run_cell;
    void *rctx = o->runner ? o->runner_ctx : (void *)o->log;
    int rc = 0;
    for (int i = 0; i < s.cells; i++) {
        const SweepCell *c = &cells[i];
        if (!sweep_only_match(o->only, p->families[c->family], p->methods[c->method].name, c->seed)) continue;
        s.selected++;
    }
    int k = 0, ranks = o->ranks > 1 ? o->ranks : 1;
    if (ranks > 1) s.selected = 0; /* this rank's share of the selected cells */
    for (int i = o->rank % ranks; i < s.cells && ranks > 1; i += ranks)
        s.selected += sweep_only_match(o->only, p->families[cells[i].family], p->methods[cells[i].method].name, cells[i].seed);
    for (int i = o->rank % ranks; i < s.cells && !rc; i += ranks) { /* cells are independent: rank r takes i mod N == r */
        const SweepCell *c = &cells[i];
        if (!sweep_only_match(o->only, p->families[c->family], p->methods[c->method].name, c->seed)) continue;
        char head[48];
        if (ranks > 1) snprintf(head, sizeof head, "[sweep rank %d: %d/%d]", o->rank, ++k, s.selected);
        else snprintf(head, sizeof head, "[sweep %d/%d]", ++k, s.selected);
        SweepCellState st;
        sweep_cell_state(p, c, &st);
        const SweepCell *twin = NULL;   /* an earlier finished cell with the same hash */
        for (int j = 0; j < i && st.status != SWEEP_DONE && !twin; j++) {
            SweepCellState sj;
            if (cells[j].cell_hash == c->cell_hash && sweep_cell_state(p, &cells[j], &sj) == 0 && sj.status == SWEEP_DONE)
                twin = &cells[j];
        }
        if (o->dry_run) {
            if (o->log)
                fprintf(o->log, "%s %-40s %s%s%s%s\n", head, c->id, sweep_status_name(st.status),
                        twin ? " (copy of " : "", twin ? twin->id : "", twin ? ")" : st.stale_results ? " (stale results)" : "");
            if (st.status == SWEEP_DONE) s.skipped++;
            continue;
        }
        if (st.status == SWEEP_DONE) {
            s.skipped++;
            if (o->log) fprintf(o->log, "%s %s: done, skipped\n", head, c->id);
            continue;
        }
        char dir[SWEEP_PATH_MAX];
        parent_dir(c->result_path, dir, sizeof dir);
        if (mkdir_p(dir, e)) { rc = -1; break; }
        if (!p->methods[c->method].il) {
            parent_dir(c->cfg.run_dir, dir, sizeof dir);
            if (mkdir_p(dir, e)) { rc = -1; break; }
        }
        if (o->log) fprintf(o->log, "%s %s: %s\n", head, c->id, twin ? "copying results" : sweep_status_name(st.status));
        if (o->log) fflush(o->log);
        double t0 = wall_now();
        Err ce = {{0}};
        if (twin ? copy_results(p, twin, c, &ce) : runner(p, c, &st, rctx, &ce)) {
            rc = err_set(e, "sweep: cell %s: %s", c->id, ce.msg);
            break;
        }
        SweepCellState after;
        sweep_cell_state(p, c, &after);
        if (after.status != SWEEP_DONE) {
            rc = err_set(e, "sweep: cell %s: the runner returned without writing current results to %s", c->id,
                         c->result_path);
            break;
        }
        twin ? s.copied++ : s.ran++;
        log_done(o->log, head, c, twin ? "copied" : "finished", wall_now() - t0);
    }
    free(cells);
    if (sum) *sum = s;
    return rc;
}
