/* policy_hier — internals of the hierarchical (HiP-AD style) family shared by its files: the action
 * coordinates (spatial waypoints every 2 m, then temporal waypoints every 0.5 s), the behaviour
 * templates they are offsets from, and the decoding of both granularities into the executed Traj. */
#ifndef CRAFT_POLICY_HIER_H
#define CRAFT_POLICY_HIER_H
#include "craft/policy.h"

#define HIER_NS 10             /* spatial waypoints along the path */
#define HIER_DS 2.0f           /* m between spatial waypoints */
#define HIER_LANE_W 3.5f       /* lateral shift of the left/right templates (m) */
#define HIER_LC_LEN 24.0f      /* path length over which the template lane change completes (m) */

/* Continuous coordinates per action: [x1 y1 … x_NS y_NS | temporal x1 y1 … x_H y_H]. */
static inline int hier_cont_dim(int H) { return 2 * HIER_NS + 2 * H; }

/* The fixed template of a behaviour (hier_cont_dim(H) floats): the lateral intent gives the path
 * (straight, or a cosine lane change of HIER_LANE_W over HIER_LC_LEN), the style a constant speed
 * (0, 4, 8, 12 m/s) along it. */
void hier_template(int behaviour, int H, float *out);
/* Executed trajectory of a continuous action: each temporal waypoint is projected onto the spatial
 * path (polyline from the ego through the spatial waypoints); its arc length, kept non-decreasing, is
 * the longitudinal progress and the path point there is the pose (heading = path tangent). So the
 * path fixes the lateral motion, the temporal profile the speed, and noise across the path in the
 * temporal waypoints does not turn into progress. Past the path's end (HIER_NS·HIER_DS = 20 m; fast
 * plans go farther in 4 s) the temporal waypoint itself is the pose, heading along the motion. */
void hier_decode(const float *cont, int H, Traj *out);
/* Continuous coordinates of an expert trajectory: spatial waypoints by resampling the polyline
 * (ego, expert waypoints) every HIER_DS of arc length (straight along the last heading past its
 * end), temporal waypoints = the expert's first H positions. */
void hier_encode(const Traj *expert, int H, float *cont);

/* Introspection of the last act/evaluate (tests): π_hi's log-probabilities at state b [BEHAVIOUR_COUNT],
 * behaviour k's Gaussian mean at state b and its log-std [hier_cont_dim(H)]. */
const float *hier_cached_logp_hi(const Policy *p, int b);
const float *hier_cached_mean(const Policy *p, int b, int k);
const float *hier_cached_log_std(const Policy *p, int k);

#endif
