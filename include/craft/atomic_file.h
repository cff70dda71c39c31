/* atomic_file — files that must never be seen half-written (checkpoints, datasets, results, configs,
 * route files): written to <path>.tmp.XXXXXX next to the target, then flush + fsync + rename + fsync of
 * the directory on commit; abort (or any failure) unlinks the temporary and leaves <path> intact. */
#ifndef CRAFT_ATOMIC_FILE_H
#define CRAFT_ATOMIC_FILE_H
#include <stdio.h>
#include "craft/err.h"

typedef struct {
    FILE *f;           /* write here (binary) */
    char *path;        /* final name */
    char *tmp_path;    /* temporary name */
} AtomicFile;

int atomic_file_open(AtomicFile *a, const char *path, Err *e);
/* Flushes, fsyncs, closes and renames; frees a's strings whatever happens. */
int atomic_file_commit(AtomicFile *a, Err *e);
/* Closes and unlinks the temporary; safe on a zeroed or already committed AtomicFile. */
void atomic_file_abort(AtomicFile *a);
/* Whole text in one go. */
int atomic_write_text(const char *path, const char *text, Err *e);

#endif
