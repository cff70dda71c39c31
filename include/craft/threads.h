/* threads — the process's OpenMP width. craft parallelises at the outer level (worlds, routes,
 * gradient shards); everything inside one of those regions (nn ops, OpenBLAS's OpenMP build) then
 * runs on the calling thread. Outside them, BLAS may use the same `threads`. Entry points that take a
 * thread count (eval, finetune, pretrain, collect) call craft_threads_set with it first, so a run
 * with --threads 1 never starts a second thread and --threads T never more than T. */
#ifndef CRAFT_THREADS_H
#define CRAFT_THREADS_H

/* Sets OpenMP's default team size to threads (>= 1) and allows no nested parallel teams. */
void craft_threads_set(int threads);

#endif
