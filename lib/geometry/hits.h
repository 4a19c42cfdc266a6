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

/*
 * Polygons prepared and indexed, to find the one covering a point: on a border they share, the
 * first by rank (by number without ranks). Zero it, then gp_locator_init; add any of the n
 * polygons with gp_locator_add; free it with gp_locator_free, also after a failure. `tree`
 * holds the polygons added, each by its number, for other queries too.
 */
typedef struct gp_locator {
    GEOSContextHandle_t h;
    int32_t n;
    const GEOSPreparedGeometry **prep; /* polygon i prepared; NULL: not added */
    GEOSSTRtree *tree;
    const int32_t *rank; /* borrowed; NULL: by number */
    gp_hits hs;          /* the polygons a query hits */
} gp_locator;

/** For n polygons, ranked by rank[i] (borrowed; NULL: by number): 0, or -1 out of memory. */
int gp_locator_init(gp_locator *loc, GEOSContextHandle_t h, int32_t n, const int32_t *rank);

/** Polygon i is g (borrowed, kept alive by the caller), prepared and indexed: 0, or -1 when GEOS
 *  cannot prepare it. */
int gp_locator_add(gp_locator *loc, int32_t i, const GEOSGeometry *g);

/** The polygon covering point (x, y), -1 for none, -2 when out of memory. */
int32_t gp_locator_find(gp_locator *loc, double x, double y);

void gp_locator_free(gp_locator *loc);

#endif /* GP_GEOMETRY_HITS_H */
