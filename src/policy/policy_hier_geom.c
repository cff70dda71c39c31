/* policy_hier_geom.c — the geometry of the hierarchical family's actions: behaviour templates,
 * the spatial/temporal → executed trajectory decoding, and the expert → action encoding. */
#include <math.h>
#include "policy_hier.h"

static const float STYLE_SPEED[STYLE_COUNT] = {0.0f, 4.0f, 8.0f, 12.0f}; /* m/s: stop, cautious, normal, assertive */

static float template_lateral(int lateral, float s) {
    if (lateral == LAT_KEEP) return 0.0f;
    float u = s >= HIER_LC_LEN ? 1.0f : s <= 0.0f ? 0.0f : s / HIER_LC_LEN;
    float y = HIER_LANE_W * 0.5f * (1.0f - cosf((float)M_PI * u));
    return lateral == LAT_LEFT ? y : -y;
}

void hier_template(int behaviour, int H, float *out) {
    int lateral = behaviour / STYLE_COUNT, style = behaviour % STYLE_COUNT;
    for (int k = 0; k < HIER_NS; k++) {
        float s = HIER_DS * (float)(k + 1);
        out[2 * k] = s;
        out[2 * k + 1] = template_lateral(lateral, s);
    }
    float *tp = out + 2 * HIER_NS;
    for (int i = 0; i < H; i++) {
        float s = STYLE_SPEED[style] * TRAJ_DT * (float)(i + 1);
        tp[2 * i] = s;
        tp[2 * i + 1] = template_lateral(lateral, s);
    }
}

/* A polyline from the origin with its cumulative arc lengths; degenerate segments are skipped. */
typedef struct {
    int n;                                    /* points incl. the origin */
    float x[HIER_NS + TRAJ_MAX + 1], y[HIER_NS + TRAJ_MAX + 1], s[HIER_NS + TRAJ_MAX + 1];
    float end_heading;                        /* direction of the straight extension past the end */
} Path;

static void path_build(Path *p, const float *xy, int n, float fallback_heading) {
    p->n = 1;
    p->x[0] = p->y[0] = p->s[0] = 0.0f;
    p->end_heading = fallback_heading;
    for (int k = 0; k < n; k++) {
        float dx = xy[2 * k] - p->x[p->n - 1], dy = xy[2 * k + 1] - p->y[p->n - 1], l = hypotf(dx, dy);
        if (l < 1e-4f) continue;
        p->x[p->n] = xy[2 * k], p->y[p->n] = xy[2 * k + 1], p->s[p->n] = p->s[p->n - 1] + l;
        p->end_heading = atan2f(dy, dx);
        p->n++;
    }
}

/* Pose at arc length s (s past the end: straight along end_heading). */
static void path_at(const Path *p, float s, float *x, float *y, float *h) {
    for (int k = 1; k < p->n; k++)
        if (s <= p->s[k]) {
            float l = p->s[k] - p->s[k - 1], t = (s - p->s[k - 1]) / l;
            float dx = p->x[k] - p->x[k - 1], dy = p->y[k] - p->y[k - 1];
            *x = p->x[k - 1] + t * dx, *y = p->y[k - 1] + t * dy, *h = atan2f(dy, dx);
            return;
        }
    float r = s - p->s[p->n - 1];
    *h = p->end_heading;
    *x = p->x[p->n - 1] + r * cosf(*h), *y = p->y[p->n - 1] + r * sinf(*h);
}

/* Arc length of the point of the path (with its straight extension) closest to (qx, qy); >= 0. */
static float path_project(const Path *p, float qx, float qy) {
    float best_d = INFINITY, best_s = 0.0f;
    for (int k = 1; k <= p->n; k++) {
        float ax = p->x[k - 1], ay = p->y[k - 1], dx, dy, len;
        if (k < p->n) {
            dx = p->x[k] - ax, dy = p->y[k] - ay, len = p->s[k] - p->s[k - 1];
            dx /= len, dy /= len;
        } else { /* the extension: an unbounded ray */
            dx = cosf(p->end_heading), dy = sinf(p->end_heading), len = INFINITY;
        }
        float t = (qx - ax) * dx + (qy - ay) * dy;
        t = t < 0.0f ? 0.0f : t > len ? len : t;
        float ex = ax + t * dx - qx, ey = ay + t * dy - qy, d = ex * ex + ey * ey;
        if (d < best_d) best_d = d, best_s = p->s[k - 1] + t;
    }
    return best_s;
}

void hier_decode(const float *cont, int H, Traj *out) {
    Path path;
    path_build(&path, cont, HIER_NS, 0.0f);
    const float *tp = cont + 2 * HIER_NS;
    float s_prev = 0.0f, s_end = path.s[path.n - 1];
    out->n = H;
    for (int i = 0; i < H; i++) {
        float s = path_project(&path, tp[2 * i], tp[2 * i + 1]);
        if (s < s_prev) s = s_prev; /* no reversing: progress is monotone */
        s_prev = s;
        if (s <= s_end || path.n < 2) {
            path_at(&path, s, &out->x[i], &out->y[i], &out->heading[i]);
            continue;
        }
        /* past the spatial horizon the temporal waypoint is the pose; heading along the motion */
        float px = i ? out->x[i - 1] : 0.0f, py = i ? out->y[i - 1] : 0.0f;
        float dx = tp[2 * i] - px, dy = tp[2 * i + 1] - py;
        out->x[i] = tp[2 * i], out->y[i] = tp[2 * i + 1];
        out->heading[i] = hypotf(dx, dy) > 1e-3f ? atan2f(dy, dx) : i ? out->heading[i - 1] : path.end_heading;
    }
}

void hier_encode(const Traj *expert, int H, float *cont) {
    float xy[2 * TRAJ_MAX];
    int n = expert->n < TRAJ_MAX ? expert->n : TRAJ_MAX;
    for (int i = 0; i < n; i++) xy[2 * i] = expert->x[i], xy[2 * i + 1] = expert->y[i];
    Path path;
    path_build(&path, xy, n, 0.0f);
    path.end_heading = expert->heading[n - 1]; /* extrapolate along the final heading, not the last chord */
    float h;
    for (int k = 0; k < HIER_NS; k++) path_at(&path, HIER_DS * (float)(k + 1), &cont[2 * k], &cont[2 * k + 1], &h);
    for (int i = 0; i < H; i++) cont[2 * HIER_NS + 2 * i] = expert->x[i], cont[2 * HIER_NS + 2 * i + 1] = expert->y[i];
}
