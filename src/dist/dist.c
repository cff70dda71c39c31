/* dist — see include/craft/dist.h. Built with -DCRAFT_MPI when the MPI headers are present (the
 * Makefile asks pkg-config for ompi-c); without them every function works for one process. */
#include "craft/dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef CRAFT_MPI
#include <mpi.h>
#endif

static int launched_by_mpirun(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int dist_init(Dist *d, int *argc, char ***argv, Err *e) {
    d->rank = 0;
    d->size = 1;
    d->mpi = 0;
    if (!launched_by_mpirun()) return 0;
#ifdef CRAFT_MPI
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return err_set(e, "MPI_Init_thread failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    d->mpi = 1;
    return 0;
#else
    (void)argc, (void)argv;
    return err_set(e, "started by mpirun, but this craft was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

void dist_finalize(Dist *d) {
#ifdef CRAFT_MPI
    if (d->mpi) MPI_Finalize();
#endif
    d->mpi = 0;
}

int dist_my_shards(const Dist *d, int S) { return S > d->rank ? (S - d->rank + d->size - 1) / d->size : 0; }

void dist_barrier(const Dist *d) {
#ifdef CRAFT_MPI
    if (d->mpi) MPI_Barrier(MPI_COMM_WORLD);
#else
    (void)d;
#endif
}

#ifdef CRAFT_MPI
/* MPI counts are ints: move large buffers in chunks. */
#define CHUNK (1 << 28)
static int bcast_bytes(void *buf, size_t bytes, int root) {
    for (size_t at = 0; at < bytes; at += CHUNK) {
        int n = (int)(bytes - at < CHUNK ? bytes - at : CHUNK);
        if (MPI_Bcast((char *)buf + at, n, MPI_BYTE, root, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    }
    return 0;
}
#endif

int dist_bcast(const Dist *d, void *buf, size_t bytes, int root, Err *e) {
#ifdef CRAFT_MPI
    if (d->mpi && bcast_bytes(buf, bytes, root)) return err_set(e, "MPI broadcast failed");
#else
    (void)d, (void)buf, (void)bytes, (void)root, (void)e;
#endif
    return 0;
}

/* Root collects every shard (in shard order) from its owner, sums in order, broadcasts. */
int dist_reduce_shards(const Dist *d, const float *mine, int S, size_t n, float *out, Err *e) {
    double *acc = calloc(n ? n : 1, sizeof *acc);
    float *recv = NULL;
    if (!acc) return err_set(e, "dist_reduce_shards: out of memory");
    int rc = 0;
    if (!d->mpi || d->size == 1) {
        for (int k = 0; k < S; k++)
            for (size_t i = 0; i < n; i++) acc[i] += (double)mine[(size_t)k * n + i];
    } else {
#ifdef CRAFT_MPI
        if (n > (size_t)CHUNK / sizeof(float)) {
            free(acc);
            return err_set(e, "dist_reduce_shards: %zu floats per shard is too many", n);
        }
        if (d->rank == 0 && !(recv = malloc(n * sizeof *recv))) rc = -1;
        for (int k = 0; k < S && !rc; k++) {
            int owner = dist_shard_owner(d, k), local = k / d->size;
            if (d->rank == 0) {
                const float *src = mine + (size_t)local * n;
                if (owner != 0) {
                    if (MPI_Recv(recv, (int)n, MPI_FLOAT, owner, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) rc = -1;
                    src = recv;
                }
                for (size_t i = 0; i < n; i++) acc[i] += (double)src[i];
            } else if (owner == d->rank) {
                if (MPI_Send(mine + (size_t)local * n, (int)n, MPI_FLOAT, 0, k, MPI_COMM_WORLD) != MPI_SUCCESS) rc = -1;
            }
        }
#endif
    }
    for (size_t i = 0; i < n; i++) out[i] = (float)acc[i];
    free(acc);
    free(recv);
    if (rc) return err_set(e, "dist_reduce_shards: MPI transfer failed");
    return dist_bcast(d, out, n * sizeof *out, 0, e);
}

int dist_gather_dealt(const Dist *d, const void *mine, int n, size_t item_size, void *all, Err *e) {
    if (!d->mpi || d->size == 1) {
        if (all != mine) memcpy(all, mine, (size_t)n * item_size);
        return 0;
    }
#ifdef CRAFT_MPI
    for (int i = 0; i < n; i++) {
        int owner = i % d->size, local = i / d->size;
        if (owner == 0 && d->rank == 0) {
            memcpy((char *)all + (size_t)i * item_size, (const char *)mine + (size_t)local * item_size, item_size);
        } else if (d->rank == 0) {
            if (MPI_Recv((char *)all + (size_t)i * item_size, (int)item_size, MPI_BYTE, owner, i, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE) != MPI_SUCCESS)
                return err_set(e, "dist_gather_dealt: receive of item %d from rank %d failed", i, owner);
        } else if (owner == d->rank) {
            if (MPI_Send((const char *)mine + (size_t)local * item_size, (int)item_size, MPI_BYTE, 0, i,
                         MPI_COMM_WORLD) != MPI_SUCCESS)
                return err_set(e, "dist_gather_dealt: send of item %d failed", i);
        }
    }
#else
    (void)e;
#endif
    return 0;
}

int dist_sum_double(const Dist *d, double *v, Err *e) {
#ifdef CRAFT_MPI
    if (d->mpi && d->size > 1) {
        double in = *v;
        /* fixed-order sum: gather to root, add in rank order, broadcast */
        double *all = d->rank == 0 ? malloc((size_t)d->size * sizeof *all) : NULL;
        if (MPI_Gather(&in, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
            free(all);
            return err_set(e, "dist_sum_double: MPI gather failed");
        }
        if (d->rank == 0) {
            *v = 0.0;
            for (int r = 0; r < d->size; r++) *v += all[r];
        }
        free(all);
        return dist_bcast(d, v, sizeof *v, 0, e);
    }
#else
    (void)d, (void)v, (void)e;
#endif
    return 0;
}

_Noreturn void dist_abort(const Dist *d, const char *msg) {
    fprintf(stderr, "craft: rank %d: %s\n", d->rank, msg);
    fflush(stderr);
#ifdef CRAFT_MPI
    if (d->mpi) MPI_Abort(MPI_COMM_WORLD, 1);
#endif
    exit(1);
}
