/* expert_gap — the gap check of a commit profile (expert_internal.h): the crossing or merge it
 * plans must keep a time margin from every mover of the forecast, not just avoid contact.
 *
 * Flow cars ignore the ego (SCENARIOS.md A7), so the forecast is exact for them and the scorer's
 * NC would accept a crossing that misses the next car by centimetres. Here the ego's box (grown by
 * GAP_LON_M / GAP_LAT_M) along the profile left in x->prof_s must not overlap where any mover will
 * be within the next GAP_TIME_S (FOLLOW_TIME_S for a mover going the ego's way, GAP_HELD_TIME_S
 * once the commit is under way: turning back then is worse than going on), and the check runs EXTRA_S past the forecast with both sides at
 * constant velocity, which catches a follower still closing in after a merge. */
#include <math.h>
#include "craft/collision.h"
#include "expert_internal.h"
#ifdef EXPERT_TRACE
#include <stdio.h>
#include <stdlib.h>
#endif

#define GAP_LON_M 0.8f
#define GAP_LAT_M 0.4f
#define GAP_TIME_S 1.2f           /* crossing and oncoming movers */
#define FOLLOW_TIME_S 0.5f        /* movers going our way (a follower after a merge): a flow gives no more */
#define GAP_HELD_TIME_S 0.3f
#define ALONG_COS 0.7f
#define EXTRA_S 2.0f
#define CONTACT_SPEED 0.1f        /* the benchmark's collision test ignores a slower ego */
#define CONTACT_MARGIN_M 0.1f
#define NEAR_M 90.0f              /* movers farther than this at t = 0 cannot matter within 6 s */

/* Forecast pose of agent a at step t, extrapolated at constant velocity past the horizon. */
static ForecastPose agent_pose(const Forecast *fc, int a, int t) {
    int last = FORECAST_STEPS - 1;
    if (t <= last) return fc->pose[t][a];
    ForecastPose p = fc->pose[last][a];
    float d = p.speed * (float)(t - last) * FORECAST_DT;
    p.x += d * cosf(p.heading);
    p.y += d * sinf(p.heading);
    return p;
}

int expert_gap_clear(const Expert *x, const World *w, const LatPath *p, int held) {
    const Actor *ego = &world_state_const(w)->actors[0];
    const Forecast *fc = &x->fc;
    int last = FORECAST_STEPS - 1, extra = (int)(EXTRA_S / FORECAST_DT + 0.5f);
    int sweep_cross = (int)((held ? GAP_HELD_TIME_S : GAP_TIME_S) / FORECAST_DT + 0.5f);
    int sweep_along = (int)((held ? GAP_HELD_TIME_S : FOLLOW_TIME_S) / FORECAST_DT + 0.5f);
    float v_end = (x->prof_s[last] - x->prof_s[last - 1]) / FORECAST_DT;
    for (int t = 0; t <= last + extra; t += 2) {
        float s = t <= last ? x->prof_s[t] : x->prof_s[last] + v_end * (float)(t - last) * FORECAST_DT;
        Obb eb;
        expert_route_pose(x->route, s, expert_lat_at(p, s - x->s0), &eb.cx, &eb.cy, &eb.heading);
        eb.half_len = 0.5f * ego->length + GAP_LON_M;
        eb.half_wid = 0.5f * ego->width + GAP_LAT_M;
        for (int a = 0; a < fc->n_agents; a++) {
            if (x->agent_static[a]) continue;
            const ForecastPose *p0 = &fc->pose[0][a];
            if (hypotf(p0->x - ego->k.x, p0->y - ego->k.y) > NEAR_M) continue;
            /* going the route's way where it is (the route's, not the turning ego's heading) */
            int sweep = x->proj_ch[t < last ? t : last][a] > ALONG_COS ? sweep_along : sweep_cross;
            for (int k = 0; k <= sweep; k += sweep > 3 ? 3 : 1) {
                ForecastPose ap = agent_pose(fc, a, t + k);
                Obb ab = {ap.x, ap.y, ap.heading, fc->half_len[a], fc->half_wid[a]};
                if (obb_overlap(&eb, &ab)) {
#ifdef EXPERT_TRACE
                    if (getenv("EXPERT_DEBUG")) fprintf(stderr, "  gapfail t=%d s=%.1f agent=%d k=%d sweep=%d ego=(%.1f,%.1f) ag=(%.1f,%.1f)\n", t, s, a, k, sweep, eb.cx, eb.cy, ap.x, ap.y);
#endif
                    return 0;
                }
            }
        }
    }
    return 1;
}

/* Bench2Drive counts every collision of a moving ego, whoever is at fault (SCENARIOS.md A3),
 * while the scorer's NC forgives the ones it is not at fault for (a car running a red light into
 * a turning ego). Followers closing in from behind are left out: the forecast has them react to
 * the plan in force, not to the candidate, and braking for what is ahead is right anyway. */
int expert_contact_step(const Expert *x, const World *w, const EgoRollout *r) {
    const Actor *ego = &world_state_const(w)->actors[0];
    const Forecast *fc = &x->fc;
    int n = r->n < FORECAST_STEPS ? r->n : FORECAST_STEPS;
    for (int t = 1; t < n; t++) {
        const KinState *k = &r->k[t];
        if (k->speed < CONTACT_SPEED) continue;
        Obb eb = {k->x, k->y, k->heading, 0.5f * ego->length + CONTACT_MARGIN_M, 0.5f * ego->width + CONTACT_MARGIN_M};
        float ch = cosf(k->heading), sh = sinf(k->heading);
        for (int a = 0; a < fc->n_agents; a++) {
            if (x->agent_static[a]) continue;
            const ForecastPose *ap = &fc->pose[t][a];
            float dx = ap->x - k->x, dy = ap->y - k->y;
            if (dx * dx + dy * dy > 100.0f) continue;
            if (dx * ch + dy * sh < 0.0f && cosf(ap->heading - k->heading) > ALONG_COS) continue; /* a follower */
            Obb ab = {ap->x, ap->y, ap->heading, fc->half_len[a], fc->half_wid[a]};
            if (obb_overlap(&eb, &ab)) return t;
        }
    }
    return -1;
}
