/* `craft bench policy`: throughput of the observation encoder (states per second, one core) and
 * of the vocabulary policy: forward passes (policy_act, greedy) and evaluate + backward on a batch of
 * real observations, in states per second; and the VLA family's act (width 64 as the shipped
 * vla_small), one state per call as in closed-loop rollouts and the whole batch in one call. */
#include <stdio.h>
#include <stdlib.h>
#include "commands.h"
#include "craft/demo.h"
#include "craft/policy.h"
#include "opts.h"
#include "wallclock.h"

int bench_policy_main(int argc, char **argv) {
    int batch = 64, hidden = 128, vocab = 256, reps = 50, json = 0;
    Opt opts[] = {
        {"batch", OPT_INT, &batch, "states per forward (default 64)"},
        {"hidden", OPT_INT, &hidden, "encoder width (default 128)"},
        {"vocab", OPT_INT, &vocab, "vocabulary size (default 256)"},
        {"reps", OPT_INT, &reps, "timed repetitions (default 50)"},
        {"json", OPT_FLAG, &json, "print one JSON object"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft bench policy [options]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv,
                        NULL, NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft bench policy: %s\n", e.msg); return 2; }
    if (batch < 1 || reps < 1) { fprintf(stderr, "craft bench policy: need --batch >= 1 and --reps >= 1\n"); return 2; }

    DemoScene d;
    if (demo_scene_create(&d, "junction4_light", 40, 7, &e)) { fprintf(stderr, "craft bench policy: %s\n", e.msg); return 1; }
    Obs *obs = malloc((size_t)batch * sizeof *obs);
    PolicyAction *acts = malloc((size_t)batch * sizeof *acts);
    float *logp = malloc((size_t)batch * sizeof *logp), *dlogp = malloc((size_t)batch * sizeof *dlogp);
    PolicyConfig c = policy_default_config(POLICY_VOCAB);
    c.hidden = hidden, c.vocab_size = vocab, c.max_batch = batch;
    Policy *p = obs && acts && logp && dlogp ? policy_create(&c, 1, &e) : NULL;
    if (!p) {
        fprintf(stderr, "craft bench policy: %s\n", obs && acts && logp && dlogp ? e.msg : "out of memory");
        free(obs), free(acts), free(logp), free(dlogp), demo_scene_destroy(&d);
        return 1;
    }
    /* encoder timing (one state, repeatedly), then the batch: one state per autopilot step */
    double t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < batch; i++) obs_encode(d.world, NULL, &obs[i], &e);
    double enc_rate = (double)reps * batch / (now_s() - t0);
    ObsConfig bev_cfg = obs_default_config();
    bev_cfg.with_bev = 1;
    for (int i = 0; i < batch; i++) {
        Control u;
        world_autopilot(d.world, &u);
        world_step(d.world, &u);
        obs_encode(d.world, &bev_cfg, &obs[i], &e); /* with the raster: the VLA family reads it */
    }

    policy_act(p, obs, batch, NULL, 1, acts, logp, &e); /* warm-up */
    t0 = now_s();
    for (int r = 0; r < reps; r++) policy_act(p, obs, batch, NULL, 1, acts, logp, &e);
    double fwd_rate = (double)reps * batch / (now_s() - t0);
    for (int i = 0; i < batch; i++) dlogp[i] = -1.0f / (float)batch;
    t0 = now_s();
    for (int r = 0; r < reps; r++) {
        policy_evaluate(p, obs, batch, acts, 1, logp, NULL, &e);
        nn_params_zero_grad(policy_params(p));
        policy_backward(p, &(PolicyLossGrad){.dlogp = dlogp}, &e);
    }
    double train_rate = (double)reps * batch / (now_s() - t0);
    double vla_rate1 = 0.0, vla_rate = 0.0;
    PolicyConfig cv = policy_default_config(POLICY_VLA);
    cv.hidden = 64, cv.max_batch = batch;
    Policy *v = policy_create(&cv, 1, &e);
    if (v) {
        policy_act(v, obs, batch, NULL, 1, acts, logp, &e); /* warm-up */
        t0 = now_s();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < batch; i++) policy_act(v, &obs[i], 1, NULL, 1, &acts[i], &logp[i], &e);
        vla_rate1 = (double)reps * batch / (now_s() - t0);
        t0 = now_s();
        for (int r = 0; r < reps; r++) policy_act(v, obs, batch, NULL, 1, acts, logp, &e);
        vla_rate = (double)reps * batch / (now_s() - t0);
        policy_destroy(v);
    } else fprintf(stderr, "craft bench policy: vla: %s\n", e.msg);
    if (json)
        printf("{\"obs_encode_states_per_s\": %.0f, \"vocab_forward_states_per_s\": %.0f, "
               "\"vocab_train_states_per_s\": %.0f, \"vla_act_b1_states_per_s\": %.0f, "
               "\"vla_act_batch_states_per_s\": %.0f, \"batch\": %d, \"hidden\": %d, \"vocab\": %d}\n",
               enc_rate, fwd_rate, train_rate, vla_rate1, vla_rate, batch, hidden, vocab);
    else {
        printf("craft bench policy (vocab family, batch %d, hidden %d, V %d; junction4_light, 40 agents)\n", batch,
               hidden, vocab);
        printf("  obs_encode:                 %10.0f states/s\n", enc_rate);
        printf("  vocab forward (act):        %10.0f states/s\n", fwd_rate);
        printf("  vocab evaluate + backward:  %10.0f states/s\n", train_rate);
        printf("  vla act (hidden 64), 1/call:%10.0f states/s\n", vla_rate1);
        printf("  vla act (hidden 64), batch: %10.0f states/s\n", vla_rate);
    }
    policy_destroy(p);
    free(obs), free(acts), free(logp), free(dlogp);
    demo_scene_destroy(&d);
    return 0;
}
