#include <criterion/criterion.h>
#include <math.h>
#include "craft/rng.h"

Test(rng, same_seed_same_stream) {
    Rng a, b;
    rng_seed(&a, 42, 7);
    rng_seed(&b, 42, 7);
    for (int i = 0; i < 1000; i++) cr_assert_eq(rng_u32(&a), rng_u32(&b));
}

Test(rng, streams_differ) {
    Rng a, b;
    rng_seed(&a, 42, 1);
    rng_seed(&b, 42, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++) same += rng_u32(&a) == rng_u32(&b);
    cr_assert_lt(same, 5);
}

Test(rng, uniform_moments_and_range) {
    Rng r;
    rng_seed(&r, 1, 0);
    double sum = 0, sq = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&r);
        cr_assert(u >= 0.0f && u < 1.0f);
        sum += u;
        sq += u * u;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    cr_assert_float_eq(mean, 0.5, 0.005);
    cr_assert_float_eq(var, 1.0 / 12.0, 0.002);
}

Test(rng, below_is_unbiased_and_in_range) {
    Rng r;
    rng_seed(&r, 3, 0);
    int counts[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint32_t x = rng_below(&r, 3);
        cr_assert_lt(x, 3u);
        counts[x]++;
    }
    for (int k = 0; k < 3; k++) cr_assert(abs(counts[k] - 10000) < 400);
}

Test(rng, normal_moments) {
    Rng r;
    rng_seed(&r, 9, 0);
    double sum = 0, sq = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        float x = rng_normal(&r);
        cr_assert(isfinite(x));
        sum += x;
        sq += (double)x * x;
    }
    cr_assert_float_eq(sum / n, 0.0, 0.01);
    cr_assert_float_eq(sq / n, 1.0, 0.02);
}
