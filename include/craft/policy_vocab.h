/* policy_vocab — extras of the vocabulary-scoring family (POLICY_VOCAB) beyond craft/policy.h: the
 * fixed trajectory vocabulary (a frozen tensor "vocab.traj" [V, horizon, 3] = x, y, heading in the
 * ego frame, carried by checkpoints), its procedural default, its replacement by k-means centres of
 * expert trajectories, and the top-G entries of a state (the default CRAFT group for this family). */
#ifndef CRAFT_POLICY_VOCAB_H
#define CRAFT_POLICY_VOCAB_H
#include "craft/policy.h"

/* The default vocabulary, written into table[V * horizon * 3]: a grid of speed profiles (linear speed
 * ramps v0 -> v1 over the horizon, v0, v1 in [0, 18] m/s) × lateral shapes (constant-curvature turns
 * whose total heading change runs from -90° to +90°, finer near straight, plus four lane changes of
 * ±1.75 / ±3.5 m). Entry i = profile (i / n_shapes), shape (i % n_shapes), n_shapes = ceil(sqrt(V)).
 * Deterministic from (V, horizon) alone. */
void vocab_build_default(float *table, int V, int horizon);

/* Replaces p's vocabulary with k-means centres of n expert trajectories (squared Euclidean distance
 * over the flattened (x, y) waypoints; headings of a centre are the circular mean of its members'):
 * k-means++ initialisation drawing from rng, then up to `iters` Lloyd iterations (an empty cluster
 * keeps its centre). Deterministic for a given rng state. Needs n >= V and trajectories of at least
 * `horizon` waypoints. The rest of the network is unchanged (retrain after replacing). */
int policy_vocab_fit_kmeans(Policy *p, const Traj *trajs, int n, int iters, Rng *rng, Err *e);

int policy_vocab_size(const Policy *p);
/* Entry k as a trajectory of `horizon` waypoints. */
void policy_vocab_entry(const Policy *p, int k, Traj *out);
/* The entry nearest t (mean L2 distance over the waypoints' (x, y); ties to the lowest index). */
int policy_vocab_nearest(const Policy *p, const Traj *t, float *dist);

/* The G most probable entries at each of B states (descending logit, ties to the lowest index):
 * out[b * G + g]; logp (optional, B * G) receives their log π. Runs a forward pass (invalidates the
 * batch cached by policy_evaluate, as policy_act does). */
int policy_vocab_top_entries(Policy *p, const Obs *obs, int B, int G, PolicyAction *out, float *logp, Err *e);
/* policy_act (one state, sampled from rng) and policy_vocab_top_entries of the same state with one
 * forward pass: the same action, the same draws and the same group as the two calls. */
int policy_vocab_act_and_top(Policy *p, const Obs *obs, Rng *rng, PolicyAction *executed, int G, PolicyAction *top,
                             Err *e);

#endif
