/* arena — stack-like scratch memory for hot loops.
 * Allocated once (arena_create), bumped by arena_alloc, released wholesale by arena_reset or
 * back to a mark. Per-step scratch comes from here so that step loops never call malloc. */
#ifndef CRAFT_ARENA_H
#define CRAFT_ARENA_H
#include <stddef.h>

typedef struct {
    unsigned char *base;
    size_t cap, used, peak;
} Arena;

int arena_create(Arena *a, size_t cap);
void arena_destroy(Arena *a);
/* 64-byte aligned; returns NULL when the arena is exhausted (callers size arenas up front). */
void *arena_alloc(Arena *a, size_t bytes);
static inline size_t arena_mark(const Arena *a) { return a->used; }
static inline void arena_release(Arena *a, size_t mark) { a->used = mark; }
static inline void arena_reset(Arena *a) { a->used = 0; }

#endif
