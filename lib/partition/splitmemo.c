/* SPDX-License-Identifier: MIT */
/**
 * @file splitmemo.c Remembered exact pair splits: an open-addressing table of entries whose
 * keys live in one pool. When either fills, everything is forgotten at once (a new
 * generation), which bounds memory whatever the component's size.
 */

#include "splitmemo.h"

#include <string.h>

#include "core/memory.h"
#include "gridpart.h"

enum {
    GP_SPLITMEMO_SLOTS = 1 << 12,  /* table slots, a power of two */
    GP_SPLITMEMO_FILL = 1 << 11,   /* entries before a new generation: half the slots */
    GP_SPLITMEMO_POOL = 1 << 17,   /* key words (vertices) before a new generation */
};

typedef struct {
    uint64_t hash;
    uint32_t gen; /* the generation it belongs to; older entries are empty slots */
    int32_t n;
    int64_t off; /* its key in the pool */
    int64_t lo;
    int64_t hi;
    double bound[GP_PAIRSPLIT_TERMS];
    gp_pairsplit_result res;
} gp_splitmemo_entry;

struct gp_splitmemo {
    gp_splitmemo_entry *slot;
    uint64_t *pool;
    int64_t used; /* pool words in use */
    int32_t fill; /* entries of the running generation */
    uint32_t gen;
    int alloc_failed;
    double scope[GP_SPLITMEMO_SCOPE];
    int64_t hits;
};

gp_splitmemo *gp_splitmemo_new(void)
{
    gp_splitmemo *m = gp_calloc(1, sizeof *m);
    if (m != NULL) {
        m->gen = 1;
    }
    return m;
}

void gp_splitmemo_free(gp_splitmemo *m)
{
    if (m == NULL) {
        return;
    }
    gp_free(m->slot);
    gp_free(m->pool);
    gp_free(m);
}

static void gp_splitmemo_forget(gp_splitmemo *m)
{
    m->used = 0;
    m->fill = 0;
    if (++m->gen == 0) {
        if (m->slot != NULL) {
            memset(m->slot, 0, sizeof *m->slot * GP_SPLITMEMO_SLOTS);
        }
        m->gen = 1;
    }
}

void gp_splitmemo_scope(gp_splitmemo *m, const double scope[GP_SPLITMEMO_SCOPE])
{
    if (memcmp(m->scope, scope, sizeof m->scope) != 0) {
        memcpy(m->scope, scope, sizeof m->scope);
        gp_splitmemo_forget(m);
    }
}

static uint64_t gp_splitmemo_mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ULL;
}

static uint64_t gp_splitmemo_hash(const uint64_t *key, int32_t n, int64_t lo, int64_t hi,
                                  const double bound[GP_PAIRSPLIT_TERMS])
{
    uint64_t h = gp_splitmemo_mix((uint64_t)n, (uint64_t)lo);
    h = gp_splitmemo_mix(h, (uint64_t)hi);
    for (int i = 0; i < GP_PAIRSPLIT_TERMS; i++) {
        uint64_t b;
        memcpy(&b, &bound[i], sizeof b);
        h = gp_splitmemo_mix(h, b);
    }
    for (int32_t i = 0; i < n; i++) {
        h = gp_splitmemo_mix(h, key[i]);
    }
    return h ^ (h >> 29);
}

/* The slot holding this key, or the empty slot where it would go. */
static uint32_t gp_splitmemo_find(const gp_splitmemo *m, uint64_t h, const uint64_t *key,
                                  int32_t n, int64_t lo, int64_t hi,
                                  const double bound[GP_PAIRSPLIT_TERMS])
{
    uint32_t mask = GP_SPLITMEMO_SLOTS - 1;
    uint32_t i = (uint32_t)(h >> 32) & mask;
    for (;; i = (i + 1) & mask) {
        const gp_splitmemo_entry *e = &m->slot[i];
        if (e->gen != m->gen) {
            return i;
        }
        if (e->hash == h && e->n == n && e->lo == lo && e->hi == hi &&
            memcmp(e->bound, bound, sizeof e->bound) == 0 &&
            memcmp(m->pool + e->off, key, sizeof *key * (size_t)n) == 0) {
            return i;
        }
    }
}

int gp_splitmemo_get(gp_splitmemo *m, const uint64_t *key, int32_t n, int64_t lo,
                     int64_t hi, const double bound[GP_PAIRSPLIT_TERMS],
                     gp_pairsplit_result *out)
{
    if (m->slot == NULL || m->fill == 0) {
        return 0;
    }
    uint64_t h = gp_splitmemo_hash(key, n, lo, hi, bound);
    const gp_splitmemo_entry *e = &m->slot[gp_splitmemo_find(m, h, key, n, lo, hi, bound)];
    if (e->gen != m->gen) {
        return 0;
    }
    *out = e->res;
    m->hits++;
    return 1;
}

void gp_splitmemo_put(gp_splitmemo *m, const uint64_t *key, int32_t n, int64_t lo, int64_t hi,
                      const double bound[GP_PAIRSPLIT_TERMS], const gp_pairsplit_result *res)
{
    if (m->slot == NULL && !m->alloc_failed) {
        m->slot = gp_calloc(GP_SPLITMEMO_SLOTS, sizeof *m->slot);
        m->pool = gp_malloc(sizeof *m->pool * GP_SPLITMEMO_POOL);
        if (m->slot == NULL || m->pool == NULL) {
            gp_free(m->slot);
            gp_free(m->pool);
            m->slot = NULL;
            m->pool = NULL;
            m->alloc_failed = 1;
        }
    }
    if (m->slot == NULL || n <= 0 || n > GP_SPLITMEMO_POOL) {
        return;
    }
    if (m->fill + 1 > GP_SPLITMEMO_FILL || m->used + n > GP_SPLITMEMO_POOL) {
        gp_splitmemo_forget(m);
    }
    uint64_t h = gp_splitmemo_hash(key, n, lo, hi, bound);
    gp_splitmemo_entry *e = &m->slot[gp_splitmemo_find(m, h, key, n, lo, hi, bound)];
    if (e->gen == m->gen) {
        return; /* already there */
    }
    memcpy(m->pool + m->used, key, sizeof *key * (size_t)n);
    e->hash = h;
    e->gen = m->gen;
    e->n = n;
    e->off = m->used;
    e->lo = lo;
    e->hi = hi;
    memcpy(e->bound, bound, sizeof e->bound);
    e->res = *res;
    m->used += n;
    m->fill++;
}

int64_t gp_splitmemo_hits(const gp_splitmemo *m)
{
    return m->hits;
}
