/* dist — MPI for scaling out: ranks, deterministic reductions, gathers and the fault stop. One
 * process without `mpirun` (MPI is then never initialised and every call is a local no-op), the
 * same binary under `mpirun -np N`.
 *
 * Determinism across N: work is cut into a fixed number of shards S that does not depend on N
 * (shard k belongs to rank k mod N); dist_reduce_shards sums shard vectors in shard order on one
 * rank and broadcasts the result, so N = 1, 2, 4 give bit-identical sums.
 * Faults: MPI's default error handler and mpirun stop the whole job when a rank dies (mpirun
 * names the rank and exits non-zero); dist_abort ends the job from one rank with a message. */
#ifndef CRAFT_DIST_H
#define CRAFT_DIST_H
#include <stddef.h>
#include "craft/err.h"

typedef struct Dist {
    int rank, size;
    int mpi;          /* 1 when MPI was initialised (launched by mpirun) */
} Dist;
/* One process, no MPI (what dist_init gives without mpirun). */
static inline Dist dist_single(void) { return (Dist){.rank = 0, .size = 1, .mpi = 0}; }

/* Initialises MPI when the process was started by mpirun (and craft was built with MPI). */
int dist_init(Dist *d, int *argc, char ***argv, Err *e);
void dist_finalize(Dist *d);
static inline int dist_is_root(const Dist *d) { return d->rank == 0; }
/* Owner of shard k. */
static inline int dist_shard_owner(const Dist *d, int shard) { return shard % d->size; }
/* Shards this rank owns among S: k = rank, rank + size, ... */
int dist_my_shards(const Dist *d, int S);
void dist_barrier(const Dist *d);
int dist_bcast(const Dist *d, void *buf, size_t bytes, int root, Err *e);
/* mine = this rank's shards (dist_my_shards of them, in increasing shard order), each n floats.
 * out (n floats, on every rank) = shard 0 + shard 1 + ... + shard S-1, summed in that order in
 * double precision, independent of the number of ranks. */
int dist_reduce_shards(const Dist *d, const float *mine, int S, size_t n, float *out, Err *e);
/* Items 0..n-1 of item_size bytes are dealt round-robin (item i on rank i mod size); `mine` holds
 * this rank's items in increasing order. On root, all (n items) receives them in item order. */
int dist_gather_dealt(const Dist *d, const void *mine, int n, size_t item_size, void *all, Err *e);
/* Sum of one double over ranks (on every rank). */
int dist_sum_double(const Dist *d, double *v, Err *e);
/* Ends the whole job: prints "craft: rank R: msg" and aborts all ranks (exit code 1 without MPI). */
_Noreturn void dist_abort(const Dist *d, const char *msg);

#endif
