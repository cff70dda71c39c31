/* wallclock — monotonic wall time for progress lines and benchmarks (never used by tests). */
#ifndef CRAFT_CLI_WALLCLOCK_H
#define CRAFT_CLI_WALLCLOCK_H
#include <time.h>

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
