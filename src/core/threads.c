/* threads — see include/craft/threads.h. */
#include "craft/threads.h"
#include <omp.h>

void craft_threads_set(int threads) {
    omp_set_max_active_levels(1);
    omp_set_num_threads(threads > 0 ? threads : 1);
}
