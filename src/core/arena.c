#include "craft/arena.h"
#include <stdlib.h>

int arena_create(Arena *a, size_t cap) {
    a->base = aligned_alloc(64, (cap + 63) & ~(size_t)63);
    a->cap = a->base ? cap : 0;
    a->used = a->peak = 0;
    return a->base ? 0 : -1;
}

void arena_destroy(Arena *a) {
    free(a->base);
    a->base = NULL;
    a->cap = a->used = 0;
}

void *arena_alloc(Arena *a, size_t bytes) {
    size_t start = (a->used + 63) & ~(size_t)63;
    if (start + bytes > a->cap) return NULL;
    a->used = start + bytes;
    if (a->used > a->peak) a->peak = a->used;
    return a->base + start;
}
