/* SPDX-License-Identifier: MIT */
/**
 * @file splitmemo.c Remembered exact pair splits: an open-addressing table of entries whose
 * keys live in one pool. When either fills, everything is forgotten at once (a new
 * generation), which bounds memory whatever the component's size.
 */

#include "splitmemo.h"

#include <math.h>
#include <string.h>

#include "core/memory.h"
#include "gridpart.h"

enum {
    GP_SPLITMEMO_SLOTS = 1 << 12, /* table slots, a power of two */
    GP_SPLITMEMO_FILL = 1 << 11,  /* entries before a new generation: half the slots */
    GP_SPLITMEMO_POOL = 1 << 17,  /* key words (vertices) before a new generation */
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
    int64_t derived; /* hits answered by a search that found nothing under a looser bound */
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

/* The hash of a call without its bound: the calls on one region and range, whatever their
 * bounds, share a probe sequence, so a lookup meets them all (gp_splitmemo_get). */
static uint64_t gp_splitmemo_hash(const uint64_t *key, int32_t n, int64_t lo, int64_t hi)
{
    uint64_t h = gp_splitmemo_mix((uint64_t)n, (uint64_t)lo);
    h = gp_splitmemo_mix(h, (uint64_t)hi);
    for (int32_t i = 0; i < n; i++) {
        h = gp_splitmemo_mix(h, key[i]);
    }
    return h ^ (h >> 29);
}

/* Whether entry e is a call on this region and household range (any bound). */
static int gp_splitmemo_same_call(const gp_splitmemo *m, const gp_splitmemo_entry *e, uint64_t h,
                                  const uint64_t *key, int32_t n, int64_t lo, int64_t hi)
{
    return e->hash == h && e->n == n && e->lo == lo && e->hi == hi &&
           memcmp(m->pool + e->off, key, sizeof *key * (size_t)n) == 0;
}

/*
 * Whether every split that beats `tight` also beats `loose`, both compared as the pair
 * splitter compares (gp_score_cmp's order: households out of bounds and households moved
 * exactly, the other terms with gp_real_cmp's relative tolerance of 1e-9). At the first term
 * where the two differ, `tight` must be lower: for a count, by any amount (a split that ties
 * or beats `tight` there beats `loose` there); for the last term, cost, by any amount too
 * (x - 1e-9 max(|s|, |x|, 1) does not decrease with x, so a split below `tight` by more than
 * the tolerance is below `loose` by more than it); for cap and excess, by more than four
 * tolerances, so that a split tying `tight` there is still below `loose`. Terms must be
 * finite where they decide: against an infinite term gp_real_cmp sees a tie.
 */
static int gp_splitmemo_implies(const double tight[GP_PAIRSPLIT_TERMS],
                                const double loose[GP_PAIRSPLIT_TERMS])
{
    for (int k = 0; k < GP_PAIRSPLIT_TERMS; k++) {
        double t = tight[k];
        double l = loose[k];
        if (t == l) {
            continue;
        }
        if (k == 0 || k == 2) {
            return t < l; /* counts (1e19: none yet) */
        }
        if (!isfinite(t) || !isfinite(l) || !(t < l)) {
            return 0;
        }
        if (k == GP_PAIRSPLIT_TERMS - 1) {
            return 1;
        }
        double m = fmax(1.0, fmax(fabs(t), fabs(l)));
        return l - t > 4e-9 * m;
    }
    return 1;
}

/* The slot holding this call, or the empty slot where it would go; when `looser` is given, it
 * gets the first entry met on the way (NULL when none) for the same region and range whose
 * search found nothing under a bound that this call's implies (gp_splitmemo_implies). */
static uint32_t gp_splitmemo_find(const gp_splitmemo *m, uint64_t h, const uint64_t *key, int32_t n,
                                  int64_t lo, int64_t hi, const double bound[GP_PAIRSPLIT_TERMS],
                                  const gp_splitmemo_entry **looser)
{
    uint32_t mask = GP_SPLITMEMO_SLOTS - 1;
    uint32_t i = (uint32_t)(h >> 32) & mask;
    if (looser != NULL) {
        *looser = NULL;
    }
    for (;; i = (i + 1) & mask) {
        const gp_splitmemo_entry *e = &m->slot[i];
        if (e->gen != m->gen) {
            return i;
        }
        if (!gp_splitmemo_same_call(m, e, h, key, n, lo, hi)) {
            continue;
        }
        if (memcmp(e->bound, bound, sizeof e->bound) == 0) {
            return i;
        }
        if (looser != NULL && *looser == NULL && !e->res.found &&
            gp_splitmemo_implies(bound, e->bound)) {
            *looser = e;
        }
    }
}

/*
 * The result of the call with this key, when remembered: the call itself, or a call on the
 * same region and range whose search found nothing under a bound that every split beating
 * this one would also beat. A search that finds nothing charges the same work at every set
 * it visits whatever its bound (only a new best adds to it), so it visits the same sets and
 * stops at the same point; none of them beat the looser bound, so none beats this one: the
 * result is that search's, with this bound as its score.
 */
int gp_splitmemo_get(gp_splitmemo *m, const uint64_t *key, int32_t n, int64_t lo, int64_t hi,
                     const double bound[GP_PAIRSPLIT_TERMS], gp_pairsplit_result *out)
{
    if (m->slot == NULL || m->fill == 0) {
        return 0;
    }
    uint64_t h = gp_splitmemo_hash(key, n, lo, hi);
    const gp_splitmemo_entry *looser;
    const gp_splitmemo_entry *e = &m->slot[gp_splitmemo_find(m, h, key, n, lo, hi, bound, &looser)];
    if (e->gen == m->gen) {
        *out = e->res;
        m->hits++;
        return 1;
    }
    if (looser == NULL) {
        return 0;
    }
    *out = looser->res;
    for (int k = 0; k < GP_PAIRSPLIT_TERMS; k++) {
        out->score[k] = bound[k];
    }
    m->hits++;
    m->derived++;
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
    uint64_t h = gp_splitmemo_hash(key, n, lo, hi);
    gp_splitmemo_entry *e = &m->slot[gp_splitmemo_find(m, h, key, n, lo, hi, bound, NULL)];
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

int64_t gp_splitmemo_derived(const gp_splitmemo *m)
{
    return m->derived;
}
