/* SPDX-License-Identifier: MIT */
/** @file memory.h Internal allocation functions with a test-only allocation-failure hook. */

#ifndef GP_CORE_MEMORY_H
#define GP_CORE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/*
 * All library allocations go through these so that tests can make the n-th allocation fail
 * (H3's and tg's "chaos" allocators). Memory from gp_malloc/gp_calloc/gp_realloc is released
 * with gp_free (public). Overflowing size products return NULL instead of wrapping.
 */
void *gp_malloc(size_t size);
void *gp_calloc(size_t count, size_t size);
void *gp_realloc(void *ptr, size_t size);
/** Like gp_realloc for count * size bytes, NULL on overflow. */
void *gp_reallocarray(void *ptr, size_t count, size_t size);
/** Duplicate a string with gp_malloc; NULL on failure or when s is NULL. */
char *gp_strdup(const char *s);

/**
 * Test hook: make the allocation `n` calls from now fail (n = 0: the next one), and every
 * later one too when `sticky` is non-zero; n < 0 disables failures. The countdown is per thread.
 * Exported from the static library only (tests link it); not part of the public API.
 */
void gp_test_alloc_fail_after(int64_t n, int sticky);
/** Test hook: how many allocations this thread made since the last gp_test_alloc_fail_after. */
int64_t gp_test_alloc_count(void);
/**
 * Test hook: blocks allocated minus blocks freed on this thread. A scenario that frees what it
 * made leaves it unchanged. Only meaningful while one thread allocates and frees.
 */
int64_t gp_test_alloc_live(void);

#endif /* GP_CORE_MEMORY_H */
