/* collect — demonstrations for imitation: the expert drives routes, every planning step becomes a
 * DatasetRecord. See include/craft/pretrain.h. Routes run in parallel; each route's records are
 * buffered and appended in route order (an OpenMP ordered section), so the dataset is the same
 * for any thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "craft/dataset.h"
#include "craft/threads.h"
#include "craft/expert.h"
#include "craft/obs.h"
#include "craft/pretrain.h"

CollectConfig collect_default_config(void) {
    CollectConfig c;
    memset(&c, 0, sizeof c);
    c.replan_every = 5;
    c.with_bev = 1;
    c.threads = 1;
    c.background = 1;
    return c;
}

int behaviour_label(const World *w, const Traj *t) {
    const WorldState *ws = world_state_const(w);
    const Actor *ego = &ws->actors[0];
    const Route *r = world_route(w);
    int last = t->n - 1;
    float c = cosf(ego->k.heading), s = sinf(ego->k.heading);
    float ex = ego->k.x + c * t->x[last] - s * t->y[last], ey = ego->k.y + s * t->x[last] + c * t->y[last];
    float d;
    int k = route_nearest(r, ex, ey, ws->ego.route_idx, 80, &d);
    const RoutePoint *p = &r->pts[k];
    float lat = -sinf(p->heading) * (ex - p->x) + cosf(p->heading) * (ey - p->y);
    const Map *m = world_map(w);
    float half = 0.5f * m->lanes[p->lane].width, limit = m->lanes[p->lane].speed_limit;
    LateralIntent li = lat > half ? LAT_LEFT : lat < -half ? LAT_RIGHT : LAT_KEEP;
    float travelled = 0.0f, px = 0.0f, py = 0.0f;
    for (int i = 0; i < t->n; i++) {
        travelled += hypotf(t->x[i] - px, t->y[i] - py);
        px = t->x[i];
        py = t->y[i];
    }
    float v_end = last > 0 ? hypotf(t->x[last] - t->x[last - 1], t->y[last] - t->y[last - 1]) / TRAJ_DT : 0.0f;
    float v_mean = travelled / (TRAJ_DT * (float)t->n);
    DrivingStyle st = (v_end < 0.3f && travelled < 2.0f) ? STYLE_STOP
                      : v_mean < 0.45f * limit          ? STYLE_CAUTIOUS
                      : v_mean < 0.85f * limit          ? STYLE_NORMAL
                                                        : STYLE_ASSERTIVE;
    return behaviour_id(li, st);
}

typedef struct {
    DatasetRecord *recs;
    int n, cap;
    int failed;
    Err err;
} RouteRecords;

static int push(RouteRecords *rr, const DatasetRecord *r) {
    if (rr->n == rr->cap) {
        int cap = rr->cap ? 2 * rr->cap : 64;
        DatasetRecord *p = realloc(rr->recs, (size_t)cap * sizeof *p);
        if (!p) return -1;
        rr->recs = p;
        rr->cap = cap;
    }
    rr->recs[rr->n++] = *r;
    return 0;
}

/* One route driven by the expert; every planning step recorded. */
static int collect_route(const RouteSpec *spec, int route_id, const CollectConfig *cfg, RouteRecords *rr, Err *e) {
    ScenarioOptions so = scenario_default_options();
    so.background = cfg->background;
    Scenario *s = scenario_create(spec, &so, e);
    if (!s) return -1;
    World *w = scenario_world(s);
    ExpertConfig xc = expert_default_config();
    Expert *x = expert_create(w, &xc, e);
    int rc = x ? 0 : -1;
    ObsConfig oc = obs_default_config();
    oc.with_bev = cfg->with_bev;
    DatasetRecord *rec = malloc(sizeof *rec);
    if (!rec && !rc) rc = err_set(e, "collect: out of memory");
    for (int t = 0, step = 0; !rc && t < 100000; t++) {
        if (t % cfg->replan_every == 0) {
            memset(rec, 0, sizeof *rec);
            if (obs_encode(w, &oc, &rec->obs, e) || expert_plan(x, w, &rec->expert, NULL, e)) {
                rc = -1;
                break;
            }
            world_set_plan(w, &rec->expert);
            rec->behaviour = behaviour_label(w, &rec->expert);
            rec->command = rec->obs.command;
            rec->route_id = route_id;
            rec->step = step++;
            if (push(rr, rec)) rc = err_set(e, "collect: out of memory");
        }
        if (!rc && scenario_step(s, NULL)) break;
    }
    free(rec);
    expert_destroy(x);
    scenario_destroy(s);
    return rc;
}

int collect_demonstrations(const RouteSet *rs, const CollectConfig *cfg, const char *out_path, long *n_records,
                           Err *e) {
    if (cfg->replan_every < 1) return err_set(e, "collect: replan_every must be >= 1");
    craft_threads_set(cfg->threads);
    char meta[512];
    snprintf(meta, sizeof meta, "{\"routes\": %d, \"replan_every\": %d, \"with_bev\": %d, \"background\": %d}", rs->n,
             cfg->replan_every, cfg->with_bev, cfg->background);
    DatasetWriter *dw = dataset_writer_create(out_path, meta, 0, e);
    if (!dw) return -1;
    int failed = 0, done = 0;
    long total = 0;
    Err first = {{0}};
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(cfg->threads > 0 ? cfg->threads : 1)
    for (int i = 0; i < rs->n; i++) {
        RouteRecords rr = {0};
        int rc = collect_route(&rs->routes[i], i, cfg, &rr, &rr.err);
#pragma omp ordered
        {
            if (rc && !failed) {
                failed = 1;
                first = rr.err;
            }
            for (int k = 0; !failed && k < rr.n; k++)
                if (dataset_writer_append(dw, &rr.recs[k], &first)) failed = 1;
            total += rr.n;
            done++;
            if (cfg->progress) cfg->progress(done, rs->n, total, cfg->progress_ctx);
        }
        free(rr.recs);
    }
    if (failed) {
        dataset_writer_abort(dw);
        *e = first;
        return -1;
    }
    if (n_records) *n_records = total;
    return dataset_writer_close(dw, e);
}
