/* SPDX-License-Identifier: MIT */
/** @file memory.c Allocation wrappers and the per-thread allocation-failure hook for tests. */

#include "memory.h"

#include "gridpart.h"

#include <stdlib.h>
#include <string.h>

/* Per-thread countdown so that parallel tests do not disturb each other; -1 means never fail. */
static _Thread_local int64_t fail_countdown = -1;
static _Thread_local int fail_sticky = 0;
static _Thread_local int64_t alloc_count = 0;
/* Live blocks allocated minus freed on this thread: a leak check that works without ASan. */
static _Thread_local int64_t alloc_live = 0;

void gp_test_alloc_fail_after(int64_t n, int sticky)
{
    fail_countdown = n < 0 ? -1 : n;
    fail_sticky = sticky;
    alloc_count = 0;
}

int64_t gp_test_alloc_count(void)
{
    return alloc_count;
}

int64_t gp_test_alloc_live(void)
{
    return alloc_live;
}

static void *counted(void *p)
{
    if (p != NULL) {
        alloc_live++;
    }
    return p;
}

/* Returns non-zero when this allocation must fail. */
static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown < 0) {
        return 0;
    }
    if (fail_countdown == 0) {
        if (!fail_sticky) {
            fail_countdown = -1;
        }
        return 1;
    }
    fail_countdown--;
    return 0;
}

void *gp_malloc(size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return counted(malloc(size ? size : 1));
}

void *gp_calloc(size_t count, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    if (count == 0 || size == 0) {
        return counted(calloc(1, 1));
    }
    return counted(calloc(count, size));
}

void *gp_realloc(void *ptr, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    void *p = realloc(ptr, size ? size : 1);
    return ptr == NULL ? counted(p) : p;
}

void *gp_reallocarray(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    return gp_realloc(ptr, count * size);
}

char *gp_strdup(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = gp_malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}

void gp_free(void *ptr)
{
    if (ptr != NULL) {
        alloc_live--;
    }
    free(ptr);
}
