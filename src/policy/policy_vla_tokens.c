/* policy_vla_tokens.c — the token VLA's vocabularies: decisions from behaviour labels, and the
 * (speed, heading-change) action tokens to and from trajectories. */
#include <math.h>
#include "policy_family_util.h"
#include "policy_vla.h"

static const float SPEED_BIN[VLA_SPEED_BINS] = {0.0f, 1.0f, 2.0f, 3.5f, 5.0f, 6.5f, 8.0f, 9.5f, 11.0f, 13.0f, 15.5f, 18.5f};
static const float HEAD_BIN[VLA_HEAD_BINS] = {-0.4f, -0.2f, -0.1f, -0.04f, 0.0f, 0.04f, 0.1f, 0.2f, 0.4f};
static const char *const DEC_NAMES[VLA_DEC_COUNT] = {"keep-lane", "change-left", "change-right", "yield",
                                                     "stop", "accelerate", "follow"};

const char *vla_decision_name(int d) { return d >= 0 && d < VLA_DEC_COUNT ? DEC_NAMES[d] : "?"; }

static int lead_agent_ahead(const Obs *obs) {
    for (int k = 0; k < OBS_AGENTS; k++) {
        const float *a = obs->agents + k * OBS_AGENT_DIM;
        if (a[OBS_AGENT_DIM - 1] > 0.5f && a[0] > 0.0f && a[0] < 30.0f && fabsf(a[1]) < 2.0f) return 1;
    }
    return 0;
}

int vla_decision_of(int behaviour, const Obs *obs) {
    int lateral = behaviour / STYLE_COUNT, style = behaviour % STYLE_COUNT;
    if (style == STYLE_STOP) return VLA_DEC_STOP;
    if (lateral == LAT_LEFT) return VLA_DEC_CHANGE_LEFT;
    if (lateral == LAT_RIGHT) return VLA_DEC_CHANGE_RIGHT;
    if (style == STYLE_CAUTIOUS) return VLA_DEC_YIELD;
    if (style == STYLE_ASSERTIVE) return VLA_DEC_ACCELERATE;
    return obs && lead_agent_ahead(obs) ? VLA_DEC_FOLLOW : VLA_DEC_KEEP_LANE;
}

static void step_pose(int token, float *x, float *y, float *h) {
    float v = SPEED_BIN[token / VLA_HEAD_BINS], dh = HEAD_BIN[token % VLA_HEAD_BINS], hm = *h + 0.5f * dh;
    *x += v * TRAJ_DT * cosf(hm), *y += v * TRAJ_DT * sinf(hm), *h += dh;
}

void vla_decode_tokens(const int *act_tokens, int H, Traj *out) {
    float x = 0.0f, y = 0.0f, h = 0.0f;
    out->n = H;
    for (int i = 0; i < H; i++) {
        step_pose(act_tokens[i], &x, &y, &h);
        out->x[i] = x, out->y[i] = y, out->heading[i] = h;
    }
}

void vla_quantise_traj(const Traj *expert, int H, int *act_tokens) {
    float x = 0.0f, y = 0.0f, h = 0.0f;
    for (int i = 0; i < H; i++) {
        int best = 0;
        float best_cost = INFINITY;
        for (int tok = 0; tok < VLA_ACT_VOCAB; tok++) {
            float nx = x, ny = y, nh = h;
            step_pose(tok, &nx, &ny, &nh);
            float dx = nx - expert->x[i], dy = ny - expert->y[i], dh = pfu_wrap_angle(nh - expert->heading[i]);
            float cost = dx * dx + dy * dy + 4.0f * dh * dh;
            if (cost < best_cost) best_cost = cost, best = tok;
        }
        act_tokens[i] = best;
        step_pose(best, &x, &y, &h);
    }
}
