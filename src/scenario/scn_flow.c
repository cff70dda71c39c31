/* scn_flow — ActorFlow, OppositeActorFlow and BicycleFlow (SCENARIOS.md A7): a source spawns a
 * vehicle whenever the last one is farther than a gap drawn from [gap_lo, gap_hi]; vehicles are
 * removed within 2 m of the sink. Constant flows drive at exactly their speed and ignore vehicles,
 * lights and signs until any flow vehicle collides; then they all start reacting to vehicles
 * (still ignoring lights and signs). Reactive flows (OppositeActorFlow) follow traffic rules for
 * vehicles from the start. Actor slots of removed flow vehicles are reused (fresh stable id). */
#include <math.h>
#include <string.h>
#include "scenario/scn_internal.h"

#define SINK_RADIUS 2.0f

int scn_flow_add(Scenario *s, FlowKind kind, ActorType type, const int *path, int path_len, float src_s,
                 int sink_lane, float sink_s, float speed, float gap_lo, float gap_hi) {
    if (s->st.n_flows >= SCN_MAX_FLOWS || path_len < 1 || path_len > ACTOR_PATH_MAX) return -1;
    ScnFlow *f = &s->st.flows[s->st.n_flows];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->actor_type = (uint8_t)type;
    f->constant = kind != FLOW_REACTIVE;
    for (int k = 0; k < ACTOR_PATH_MAX; k++) f->path[k] = k < path_len ? path[k] : -1;
    f->path_len = path_len;
    f->src_s = src_s;
    f->sink_lane = sink_lane;
    f->sink_s = sink_s;
    f->speed = speed;
    f->gap_lo = gap_lo;
    f->gap_hi = gap_hi > gap_lo ? gap_hi : gap_lo;
    f->next_gap = rng_range(&s->st.rng, f->gap_lo, f->gap_hi);
    f->last = -1;
    return s->st.n_flows++;
}

void scn_flow_start(Scenario *s, int flow) { s->st.flows[flow].active = 1; }
void scn_flow_stop(Scenario *s, int flow) { s->st.flows[flow].active = 0; }

static uint16_t flow_flags(const ScnFlow *f) {
    uint16_t fl = AF_NO_LANE_CHANGE | AF_IGNORE_LIGHTS | AF_IGNORE_SIGNS;
    if (f->kind == FLOW_BICYCLE) fl |= AF_IGNORE_VEHICLES | AF_IGNORE_JUNCTION;
    else if (f->constant) fl |= AF_IGNORE_VEHICLES | AF_IGNORE_JUNCTION;
    if (f->kind == FLOW_REACTIVE) fl = AF_NO_LANE_CHANGE; /* a BasicAgent obeys lights and vehicles */
    return fl;
}

/* Places a flow vehicle at arc length ls along the flow's path (lane path[k]). */
static int flow_spawn_at(Scenario *s, int fi, int k, float ls) {
    ScnFlow *f = &s->st.flows[fi];
    WorldState *ws = world_state(s->world);
    Actor a = actor_make_vehicle(s->world, (ActorType)f->actor_type, f->path[k], ls, f->speed, &s->st.rng);
    for (int j = 0; j < ACTOR_PATH_MAX; j++) a.path[j] = j + k < f->path_len ? f->path[j + k] : -1;
    a.path_len = f->path_len - k;
    a.flags = flow_flags(f);
    a.target_speed = f->speed;
    a.idm.v0 = f->speed;
    /* BicycleFlow speeds (8-12 m/s) exceed the generic bicycle top speed: a flow drives at its speed */
    if (a.veh.max_speed < f->speed) a.veh.max_speed = f->speed;
    /* reuse a removed flow vehicle's slot, else append */
    int idx = -1;
    for (int i = 1; i < ws->n_actors; i++)
        if (s->st.flow_of[i] >= 0 && (ws->actors[i].flags & AF_HIDDEN)) {
            idx = i;
            break;
        }
    if (idx >= 0) {
        a.id = ws->next_id++;
        ws->actors[idx] = a;
    } else {
        idx = world_add_actor(s->world, &a);
        if (idx < 0) return -1;
    }
    s->st.flow_of[idx] = (int8_t)fi;
    f->spawned++;
    return idx;
}

void scn_flow_prefill(Scenario *s, int fi) {
    ScnFlow *f = &s->st.flows[fi];
    float gap = f->next_gap, ls = f->src_s + gap;
    for (int k = 0; k < f->path_len; k++) {
        const Lane *l = &s->map->lanes[f->path[k]];
        while (ls < l->length - 1.0f) {
            if (f->path[k] == f->sink_lane && ls > f->sink_s - 2.0f * SINK_RADIUS) return;
            if (l->junction < 0) flow_spawn_at(s, fi, k, ls); /* junction points skipped (initial_junction off) */
            gap = rng_range(&s->st.rng, f->gap_lo, f->gap_hi);
            ls += gap;
        }
        ls -= l->length;
        if (f->path[k] == f->sink_lane) return;
    }
}

static float dist_from_source(const Scenario *s, const ScnFlow *f, const Actor *a) {
    float x, y, h;
    map_lane_pose(s->map, f->path[0], f->src_s, &x, &y, &h);
    return hypotf(a->k.x - x, a->k.y - y);
}

void scn_flow_tick(Scenario *s) {
    WorldState *ws = world_state(s->world);
    for (int fi = 0; fi < s->st.n_flows; fi++) {
        ScnFlow *f = &s->st.flows[fi];
        if (!f->active) continue;
        const Actor *last = f->last >= 0 ? &ws->actors[f->last] : NULL;
        if (!last || (last->flags & AF_HIDDEN) || s->st.flow_of[f->last] != fi ||
            dist_from_source(s, f, last) > f->next_gap) {
            float x, y, h;
            map_lane_pose(s->map, f->path[0], f->src_s, &x, &y, &h);
            int clear = 1;
            for (int i = 0; i < ws->n_actors && clear; i++)
                if (!(ws->actors[i].flags & AF_HIDDEN) && hypotf(ws->actors[i].k.x - x, ws->actors[i].k.y - y) < 6.0f)
                    clear = 0;
            if (clear) {
                int idx = flow_spawn_at(s, fi, 0, f->src_s);
                if (idx >= 0) {
                    f->last = idx;
                    f->next_gap = rng_range(&s->st.rng, f->gap_lo, f->gap_hi);
                }
            }
        }
    }
    /* sinks: vehicles within 2 m of their flow's sink are removed */
    for (int i = 1; i < ws->n_actors; i++) {
        int fi = s->st.flow_of[i];
        Actor *a = &ws->actors[i];
        if (fi < 0 || (a->flags & AF_HIDDEN)) continue;
        const ScnFlow *f = &s->st.flows[fi];
        float x, y, h;
        map_lane_pose(s->map, f->sink_lane, f->sink_s, &x, &y, &h);
        if (hypotf(a->k.x - x, a->k.y - y) < SINK_RADIUS || (a->path[0] == f->sink_lane && a->s > f->sink_s))
            a->flags |= AF_HIDDEN;
    }
}

void scn_flow_after_step(Scenario *s) {
    WorldState *ws = world_state(s->world);
    int hit = 0;
    for (int k = 0; k < ws->n_events && !hit; k++) {
        const Event *ev = &ws->events[k];
        if (ev->kind == EV_COLLISION && ev->actor >= 0 && ev->actor < WORLD_MAX_ACTORS && s->st.flow_of[ev->actor] >= 0 &&
            s->st.flows[s->st.flow_of[ev->actor]].kind == FLOW_CONSTANT)
            hit = 1;
    }
    if (!hit) return;
    /* the first collision of any flow vehicle switches constant velocity off for all of them */
    for (int fi = 0; fi < s->st.n_flows; fi++)
        if (s->st.flows[fi].kind == FLOW_CONSTANT) s->st.flows[fi].constant = 0;
    for (int i = 1; i < ws->n_actors; i++) {
        int fi = s->st.flow_of[i];
        if (fi >= 0 && s->st.flows[fi].kind == FLOW_CONSTANT)
            ws->actors[i].flags &= (uint16_t)~(AF_IGNORE_VEHICLES | AF_IGNORE_JUNCTION);
    }
}
