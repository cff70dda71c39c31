/* mp4_internal — the MP4 writer with the encoder program named explicitly, so tests can check the
 * "program not found" path without depending on whether ffmpeg is installed. mp4_open uses
 * "ffmpeg" from PATH. */
#ifndef CRAFT_MP4_INTERNAL_H
#define CRAFT_MP4_INTERNAL_H
#include "craft/render.h"

Mp4Writer *mp4_open_program(const char *program, const char *path, int width, int height, int fps, Err *e);

#endif
