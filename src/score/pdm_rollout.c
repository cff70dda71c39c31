/* pdm_rollout — a candidate driven exactly as the world drives its ego (world.c step_ego): the
 * trajectory is frozen at the ego's pose, the simulator's tracker (with the world's current PID
 * state) turns it into controls, and the kinematic bicycle integrates them for 40 steps. The
 * scorer thus judges what the ego would really do, as PDM's LQR + bicycle does (PDM-NOTES §3.2). */
#include <math.h>
#include "pdm_internal.h"

void rollout_begin(RolloutSim *r, const World *w, const Traj *cand) {
    const WorldState *st = world_state_const(w);
    const Actor *ego = &st->actors[0];
    r->tp = world_config(w)->tracker;
    r->ts = st->tracker;
    r->vp = ego->veh;
    r->k = ego->k;
    r->dt = world_config(w)->dt;
    r->age = 0.0f;
    traj_to_world(cand, ego->k.x, ego->k.y, ego->k.heading, ego->k.speed, &r->plan);
}

void rollout_step(RolloutSim *r) {
    Control c;
    if (r->plan.n > 0) {
        c = tracker_control(&r->tp, &r->ts, &r->k, &r->vp, &r->plan, r->age, r->dt);
        r->age += r->dt;
    } else c = (Control){-r->vp.max_decel, 0.0f};
    if (!isfinite(c.accel) || !isfinite(c.steer)) c = (Control){-r->vp.max_decel, r->k.steer};
    vehicle_step(&r->k, &r->vp, c, r->dt);
}

void scorer_rollout(const World *w, const Traj *cand, EgoRollout *out) {
    RolloutSim r;
    rollout_begin(&r, w, cand);
    out->k[0] = r.k;
    for (int t = 1; t < SCORE_STEPS; t++) {
        rollout_step(&r);
        out->k[t] = r.k;
    }
    out->n = SCORE_STEPS;
}
