/* atomic_file — temp file + fsync + rename (src/train/atomic_file.h). */
#include "craft/atomic_file.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void free_names(AtomicFile *a) {
    free(a->path);
    free(a->tmp_path);
    a->path = a->tmp_path = NULL;
}

int atomic_file_open(AtomicFile *a, const char *path, Err *e) {
    memset(a, 0, sizeof *a);
    size_t len = strlen(path);
    a->path = strdup(path);
    a->tmp_path = malloc(len + 16);
    if (!a->path || !a->tmp_path) {
        free_names(a);
        return err_set(e, "%s: out of memory", path);
    }
    snprintf(a->tmp_path, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp_path);
    if (fd < 0) {
        int er = errno;
        free_names(a);
        return err_set(e, "%s: cannot create a temporary file next to it: %s", path, strerror(er));
    }
    fchmod(fd, 0644);
    a->f = fdopen(fd, "w+b");
    if (!a->f) {
        int er = errno;
        close(fd);
        unlink(a->tmp_path);
        free_names(a);
        return err_set(e, "%s: %s", path, strerror(er));
    }
    return 0;
}

static void fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* best effort: makes the rename itself durable */
        close(fd);
    }
    free(copy);
}

int atomic_file_commit(AtomicFile *a, Err *e) {
    if (!a->f) return err_set(e, "atomic file: not open");
    int bad = 0, er = 0;
    if (fflush(a->f) != 0 || fsync(fileno(a->f)) != 0) bad = 1, er = errno;
    if (fclose(a->f) != 0 && !bad) bad = 1, er = errno;
    a->f = NULL;
    if (bad) {
        err_set(e, "%s: write failed (%s); the previous file, if any, is untouched", a->path, strerror(er));
        unlink(a->tmp_path);
        free_names(a);
        return -1;
    }
    if (rename(a->tmp_path, a->path) != 0) {
        er = errno;
        err_set(e, "%s: cannot rename %s over it: %s", a->path, a->tmp_path, strerror(er));
        unlink(a->tmp_path);
        free_names(a);
        return -1;
    }
    fsync_dir_of(a->path);
    free_names(a);
    return 0;
}

void atomic_file_abort(AtomicFile *a) {
    if (a->f) fclose(a->f);
    a->f = NULL;
    if (a->tmp_path) unlink(a->tmp_path);
    free_names(a);
}

int atomic_write_text(const char *path, const char *text, Err *e) {
    AtomicFile a;
    if (atomic_file_open(&a, path, e)) return -1;
    size_t len = strlen(text);
    if (fwrite(text, 1, len, a.f) != len) {
        int er = errno;
        atomic_file_abort(&a);
        return err_set(e, "%s: write failed: %s", path, strerror(er));
    }
    return atomic_file_commit(&a, e);
}
