/* mp4 — MP4 output through the external `ffmpeg` program: raw BGRA frames are streamed to its
 * stdin and it encodes H.264. A socket pair stands in for a pipe so that a dead ffmpeg gives
 * EPIPE (send with MSG_NOSIGNAL) instead of killing the process with SIGPIPE. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mp4_internal.h"

extern char **environ;

struct Mp4Writer {
    pid_t pid;
    int fd;
    int width, height, failed;
};

Mp4Writer *mp4_open_program(const char *program, const char *path, int width, int height, int fps, Err *e) {
    if (!path || !*path) { err_set(e, "mp4: empty output path"); return NULL; }
    if (width < 2 || height < 2 || width % 2 || height % 2 || width > 16384 || height > 16384) {
        err_set(e, "mp4: frame size %dx%d must be even and within 2..16384", width, height);
        return NULL;
    }
    if (fps < 1 || fps > 240) { err_set(e, "mp4: fps %d out of range (1..240)", fps); return NULL; }
    FILE *probe = fopen(path, "wb"); /* report an unwritable path here rather than from ffmpeg's log */
    if (!probe) { err_set(e, "cannot write %s: %s", path, strerror(errno)); return NULL; }
    fclose(probe);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
        err_set(e, "mp4: socketpair: %s", strerror(errno));
        unlink(path);
        return NULL;
    }
    char size[32], rate[16];
    snprintf(size, sizeof size, "%dx%d", width, height);
    snprintf(rate, sizeof rate, "%d", fps);
    char *argv[] = {(char *)program, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                    "-pix_fmt", "bgra", "-s", size, "-r", rate, "-i", "-", "-an", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", (char *)path, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&fa, sv[0]);
    posix_spawn_file_actions_addclose(&fa, sv[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (rc) {
        close(sv[0]);
        unlink(path); /* the empty probe file */
        err_set(e, "mp4 output needs the `%s` program: %s (install ffmpeg or write a .gif)", program,
                rc == ENOENT ? "not found on PATH" : strerror(rc));
        return NULL;
    }
    shutdown(sv[0], SHUT_RD);
    Mp4Writer *m = calloc(1, sizeof *m);
    if (!m) {
        close(sv[0]);
        waitpid(pid, NULL, 0);
        err_set(e, "mp4: out of memory");
        return NULL;
    }
    *m = (Mp4Writer){.pid = pid, .fd = sv[0], .width = width, .height = height};
    return m;
}

Mp4Writer *mp4_open(const char *path, int width, int height, int fps, Err *e) {
    return mp4_open_program("ffmpeg", path, width, height, fps, e);
}

static int send_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int mp4_add_frame(Mp4Writer *m, cairo_surface_t *s, Err *e) {
    if (!m || !s) return err_set(e, "mp4: NULL writer or surface");
    if (m->failed) return err_set(e, "mp4: writer is in an error state");
    if (cairo_surface_get_type(s) != CAIRO_SURFACE_TYPE_IMAGE ||
        (cairo_image_surface_get_format(s) != CAIRO_FORMAT_ARGB32 && cairo_image_surface_get_format(s) != CAIRO_FORMAT_RGB24))
        return err_set(e, "mp4: surface must be an ARGB32 or RGB24 image");
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    if (w != m->width || h != m->height)
        return err_set(e, "mp4: frame is %dx%d but the video is %dx%d", w, h, m->width, m->height);
    cairo_surface_flush(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    /* cairo's native-endian ARGB words are B, G, R, A bytes on little-endian machines: ffmpeg's bgra */
    for (int y = 0; y < h; y++)
        if (send_all(m->fd, data + (size_t)y * stride, (size_t)w * 4)) {
            m->failed = 1;
            return err_set(e, "mp4: ffmpeg stopped reading: %s", strerror(errno));
        }
    return 0;
}

int mp4_close(Mp4Writer *m, Err *e) {
    if (!m) return 0;
    close(m->fd);
    int status = 0, rc = 0;
    while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = err_set(e, "mp4: ffmpeg failed (exit status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else if (m->failed)
        rc = err_set(e, "mp4: the video is incomplete after an earlier error");
    free(m);
    return rc;
}
