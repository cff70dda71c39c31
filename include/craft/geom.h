/* geom — small 2-D geometry shared by the simulator, scorer and renderer: angle wrapping,
 * frame changes and oriented boxes (the footprint of every actor). Header-only, inlined. */
#ifndef CRAFT_GEOM_H
#define CRAFT_GEOM_H
#include <math.h>

#define GEOM_PI 3.14159265358979323846f

static inline float wrap_angle(float a) {
    while (a > GEOM_PI) a -= 2.0f * GEOM_PI;
    while (a < -GEOM_PI) a += 2.0f * GEOM_PI;
    return a;
}

/* An oriented box: centre, heading, half extents along its own x (length) and y (width). */
typedef struct { float cx, cy, heading, half_len, half_wid; } Obb;

/* World point -> frame (ox, oy, oh) and back. */
static inline void to_frame(float ox, float oy, float oh, float x, float y, float *fx, float *fy) {
    float c = cosf(oh), s = sinf(oh), dx = x - ox, dy = y - oy;
    *fx = c * dx + s * dy;
    *fy = -s * dx + c * dy;
}
static inline void from_frame(float ox, float oy, float oh, float fx, float fy, float *x, float *y) {
    float c = cosf(oh), s = sinf(oh);
    *x = ox + c * fx - s * fy;
    *y = oy + s * fx + c * fy;
}

#endif
