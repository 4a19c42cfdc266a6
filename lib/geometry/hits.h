/* SPDX-License-Identifier: MIT */
/** @file hits.h A growing list of integer ids, filled by GEOS STRtree query callbacks. */

#ifndef GP_GEOMETRY_HITS_H
#define GP_GEOMETRY_HITS_H

#include <geos_c.h>

#include <stddef.h>
#include <stdint.h>

/* Items are inserted into the trees as (void *)(intptr_t)id. `failed` is set when growing the
 * list ran out of memory; the caller checks it after the query and frees `v` with gp_free. */
typedef struct gp_hits {
    int32_t *v;
    size_t n, cap;
    int failed;
} gp_hits;

/** Sort n ids in increasing order. */
void gp_ids_sort(int32_t *v, size_t n);

/** GEOSQueryCallback appending the item's id to the gp_hits passed as user data. */
void gp_hits_collect(void *item, void *user);

/** Sorts the ids increasingly. */
void gp_hits_sort(gp_hits *hs);

/**
 * The first id among the items of `tree` whose prepared geometry prep[id] intersects point p
 * (on a shared border, the first takes it), or -1 for none: first by rank[id], or by id when
 * rank is NULL. hs is the scratch list; the caller checks hs->failed afterwards.
 */
int32_t gp_hits_first_intersecting(GEOSContextHandle_t h, GEOSSTRtree *tree,
                                   const GEOSPreparedGeometry *const *prep, const int32_t *rank,
                                   const GEOSGeometry *p, gp_hits *hs);

#endif /* GP_GEOMETRY_HITS_H */
