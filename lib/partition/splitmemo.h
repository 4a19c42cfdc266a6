/* SPDX-License-Identifier: MIT */
/** @file splitmemo.h Remembered exact pair splits (internal). */

#ifndef GP_PARTITION_SPLITMEMO_H
#define GP_PARTITION_SPLITMEMO_H

#include <stdint.h>

#include "pairsplit.h"

/*
 * gp_pairsplit is a pure function of its region, household range and bound (the score reads
 * only what stays fixed within one component's search): the same call gives the same split
 * after the same work. A search makes the same call again and again: a pair that nothing
 * improved is recombined in every round (with fresh random trees when the enumeration was
 * cut short, so gp_recombine_memo cannot skip it), and the restarts of one component meet the
 * same pairs. The memo keeps each call's result under its whole key, compared in full, never
 * by hash alone: the region's vertices in order, where each started (the pair's first grid,
 * its second, any), the range and the bound. A hit returns exactly what the call would.
 *
 * A pair comes back with another bound when its grids were split another way in between. A
 * search that found nothing under one bound answers the same region and range under any bound
 * that every split beating it would also beat (compared as gp_pairsplit_by_objective
 * compares): with no new best, its work grows the same way whatever the bound, so it visits
 * the same sets, stops at the same point and again finds nothing; the answer is that search's
 * result with the new bound as its score (gp_splitmemo_get, tested in test_pairsplit.c).
 */
typedef struct gp_splitmemo gp_splitmemo;

/* Values in a memo's scope: component (lowest vertex, size), workload band, shape scale. */
enum { GP_SPLITMEMO_SCOPE = 5 };

/* An empty memo; NULL when out of memory. Its tables are allocated at the first store. */
gp_splitmemo *gp_splitmemo_new(void);
void gp_splitmemo_free(gp_splitmemo *m);

/* Starts a component's search: the memo forgets everything unless `scope` (the values, other
 * than the call's arguments, that the score reads) equals the scope of what it holds. */
void gp_splitmemo_scope(gp_splitmemo *m, const double scope[GP_SPLITMEMO_SCOPE]);

/* One vertex of a key: its graph index and where it started (bits: 1 the pair's first grid,
 * 2 its second, 4 any grid). */
static inline uint64_t gp_splitmemo_vertex(int32_t v, int first, int second, int any)
{
    return (uint64_t)(uint32_t)v << 3 | (uint64_t)(first ? 1 : 0) | (uint64_t)(second ? 2 : 0) |
           (uint64_t)(any ? 4 : 0);
}

/* The result of the call with this key, when remembered: returns 1 and fills *out. */
int gp_splitmemo_get(gp_splitmemo *m, const uint64_t *key, int32_t n, int64_t lo, int64_t hi,
                     const double bound[GP_PAIRSPLIT_TERMS], gp_pairsplit_result *out);

/* Remembers the result of the call with this key (silently not when out of memory). */
void gp_splitmemo_put(gp_splitmemo *m, const uint64_t *key, int32_t n, int64_t lo, int64_t hi,
                      const double bound[GP_PAIRSPLIT_TERMS], const gp_pairsplit_result *res);

/* Lookups answered since the memo was made (for tests and benchmarks), and of them those
 * answered by a search that found nothing under a looser bound. */
int64_t gp_splitmemo_hits(const gp_splitmemo *m);
int64_t gp_splitmemo_derived(const gp_splitmemo *m);

#endif /* GP_PARTITION_SPLITMEMO_H */
