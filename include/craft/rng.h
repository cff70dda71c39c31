/* rng — the only source of randomness in craft.
 * A PCG32 generator (O'Neill 2014) is a 16-byte value owned by whoever draws from it: worlds,
 * scenarios, trainers. There is no global generator; seeds are derived with rng_derive so that
 * (run seed, route id, stream) always gives the same independent stream. */
#ifndef CRAFT_RNG_H
#define CRAFT_RNG_H
#include <stdint.h>

typedef struct { uint64_t state, inc; } Rng;

/* Seeds a generator from a 64-bit seed and a stream id (different streams never overlap). */
void rng_seed(Rng *r, uint64_t seed, uint64_t stream);
/* Mixes a seed with an id into a new seed (splitmix64): seeds for sub-tasks. */
uint64_t rng_derive(uint64_t seed, uint64_t id);
uint32_t rng_u32(Rng *r);
/* Uniform integer in [0, n), unbiased. n must be > 0. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float rng_uniform(Rng *r);
/* Uniform float in [lo, hi). */
float rng_range(Rng *r, float lo, float hi);
/* Standard normal (Box–Muller; draws two uniforms, returns one). */
float rng_normal(Rng *r);

#endif
