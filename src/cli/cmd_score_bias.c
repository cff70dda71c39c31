/* `craft score-bias`: how biased is the constant-velocity proxy? Over states visited by the ego on
 * the autopilot in demo scenes on several map pieces, the same candidates are scored with the
 * constant-velocity forecast and with the oracle (the real simulator branched per candidate); the
 * report is the Spearman rank correlation (per state, averaged; and pooled) and the mean absolute
 * difference of the two scores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "craft/demo.h"
#include "craft/scorer.h"
#include "opts.h"

#define G_BIAS 16

static void ranks(const float *v, int n, double *r) {
    for (int i = 0; i < n; i++) {
        int less = 0, eq = 0;
        for (int j = 0; j < n; j++) { less += v[j] < v[i]; eq += v[j] == v[i]; }
        r[i] = less + 0.5 * (eq - 1); /* average rank for ties */
    }
}

static double spearman(const float *a, const float *b, int n) {
    double *ra = malloc(sizeof(double) * (size_t)n), *rb = malloc(sizeof(double) * (size_t)n);
    ranks(a, n, ra);
    ranks(b, n, rb);
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) { ma += ra[i]; mb += rb[i]; }
    ma /= n; mb /= n;
    for (int i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb); saa += (ra[i] - ma) * (ra[i] - ma); sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra); free(rb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

static void candidates(float v, float limit, Traj *c) {
    for (int g = 0; g < G_BIAS; g++) {
        float target = limit * (float)(g % 8) / 7.0f, lat = (g / 8) ? 1.0f : 0.0f;
        Traj t = {.n = 8};
        float x = 0.0f, vv = v;
        for (int i = 0; i < 8; i++) {
            float a = fmaxf(-4.0f, fminf(2.0f, (target - vv) / 1.5f)), v1 = fmaxf(0.0f, vv + a * TRAJ_DT);
            x += 0.5f * (vv + v1) * TRAJ_DT;
            vv = v1;
            float u = fminf(1.0f, (float)(i + 1) / 6.0f);
            t.x[i] = x; t.y[i] = lat * u * u * (3.0f - 2.0f * u); t.heading[i] = 0.0f;
        }
        c[g] = t;
    }
}

int cmd_score_bias(int argc, char **argv) {
    int states = 60, json = 0;
    uint64_t seed = 1;
    Opt opts[] = {
        {"states", OPT_INT, &states, "states sampled (default 60), spread over 3 map pieces"},
        {"seed", OPT_U64, &seed, "seed (default 1)"},
        {"json", OPT_FLAG, &json, "print one JSON object"},
    };
    Err e = {{0}};
    int rc = opts_parse("usage: craft score-bias [options]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL,
                        NULL, 0, &e);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "craft score-bias: %s\n", e.msg); return 2; }
    if (states < 3) { fprintf(stderr, "craft score-bias: need --states >= 3\n"); return 2; }
    static const char *const MAPS[] = {"junction4_light", "straight", "tjunction_stop"};
    Forecast *oracle = malloc(sizeof(Forecast) * G_BIAS), *cv = malloc(sizeof(Forecast));
    float *pa = malloc(sizeof(float) * (size_t)states * G_BIAS), *pb = malloc(sizeof(float) * (size_t)states * G_BIAS);
    double rho_sum = 0.0, mad = 0.0;
    int rho_n = 0, n = 0;
    for (int m = 0; m < 3 && !rc; m++) {
        DemoScene d;
        if (demo_scene_create(&d, MAPS[m], 32, seed + (uint64_t)m, &e)) { rc = 1; break; }
        Scorer *s = scorer_create(d.map, NULL, &e);
        World *branch = world_create(d.map, &d.route, world_config(d.world), 1, &e);
        int per = states / 3 + (m < states % 3);
        for (int k = 0; k < per && s && branch; k++) {
            for (int j = 0; j < 5; j++) { Control u; world_autopilot(d.world, &u); world_step(d.world, &u); }
            const Actor *ego = &world_state(d.world)->actors[0];
            Traj c[G_BIAS];
            CandScore a[G_BIAS], b[G_BIAS];
            candidates(ego->k.speed, d.map->lanes[d.route.pts[0].lane].speed_limit, c);
            WorldSnapshot snap;
            world_snapshot(d.world, &snap);
            for (int g = 0; g < G_BIAS; g++) forecast_oracle(branch, &snap, &c[g], &oracle[g]);
            forecast_build(FORECAST_CONST_VEL, d.world, cv, &e);
            ScoreInput in = {.world = d.world, .fc = cv, .ep_reference = -1.0f};
            ScoreInput io = {.world = d.world, .fc = oracle, .fc_per_candidate = 1, .ep_reference = -1.0f};
            if (scorer_score(s, 0, &in, c, G_BIAS, a, NULL, &e) || scorer_score(s, 0, &io, c, G_BIAS, b, NULL, &e)) { rc = 1; break; }
            float sa[G_BIAS], sb[G_BIAS];
            for (int g = 0; g < G_BIAS; g++) {
                sa[g] = a[g].score; sb[g] = b[g].score;
                pa[n] = sa[g]; pb[n] = sb[g]; n++;
                mad += fabs((double)sa[g] - (double)sb[g]);
            }
            double r = spearman(sa, sb, G_BIAS);
            if (isfinite(r)) { rho_sum += r; rho_n++; }
        }
        if (!s || !branch) rc = 1;
        world_destroy(branch);
        scorer_destroy(s);
        demo_scene_destroy(&d);
    }
    if (rc) { fprintf(stderr, "craft score-bias: %s\n", e.msg); free(oracle); free(cv); free(pa); free(pb); return 1; }
    double pooled = spearman(pa, pb, n), per_state = rho_n ? rho_sum / rho_n : NAN;
    mad /= n;
    if (json)
        printf("{\"spearman_pooled\": %.4f, \"spearman_per_state_mean\": %.4f, \"mad\": %.4f, \"candidates\": %d, "
               "\"states\": %d, \"proxy\": \"constant_velocity\", \"aggregate\": \"pdms_b2d\"}\n", pooled, per_state, mad, n, n / G_BIAS);
    else
        printf("craft score-bias: %d states x %d candidates (autopilot states on junction4_light, straight, tjunction_stop)\n"
               "  Spearman (pooled) %.4f   Spearman (per state, mean over %d) %.4f   MAD %.4f\n",
               n / G_BIAS, G_BIAS, pooled, rho_n, per_state, mad);
    free(oracle); free(cv); free(pa); free(pb);
    return 0;
}
