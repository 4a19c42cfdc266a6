/* SPDX-License-Identifier: MIT */
/** @file hits.c A growing list of integer ids, filled by GEOS STRtree query callbacks. */

#include "hits.h"

#include "core/memory.h"
#include "gridpart.h"

#include <stdlib.h>

void gp_hits_collect(void *item, void *user)
{
    gp_hits *hs = user;
    if (hs->n == hs->cap) {
        size_t c = hs->cap ? hs->cap * 2 : 16;
        int32_t *q = gp_reallocarray(hs->v, c, sizeof *q);
        if (q == NULL) {
            hs->failed = 1;
            return;
        }
        hs->v = q;
        hs->cap = c;
    }
    hs->v[hs->n++] = (int32_t)(intptr_t)item;
}

static int gp_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void gp_ids_sort(int32_t *v, size_t n)
{
    if (n > 1) {
        qsort(v, n, sizeof *v, gp_cmp_i32);
    }
}

void gp_hits_sort(gp_hits *hs)
{
    gp_ids_sort(hs->v, hs->n);
}

int32_t gp_hits_first_intersecting(GEOSContextHandle_t h, GEOSSTRtree *tree,
                                   const GEOSPreparedGeometry *const *prep, const int32_t *rank,
                                   const GEOSGeometry *p, gp_hits *hs)
{
    hs->n = 0;
    GEOSSTRtree_query_r(h, tree, p, gp_hits_collect, hs);
    gp_hits_sort(hs);
    int32_t best = -1;
    for (size_t k = 0; k < hs->n; k++) {
        int32_t id = hs->v[k];
        if (best >= 0 && (rank == NULL || rank[id] > rank[best])) {
            continue; /* cannot come first: no need to test it */
        }
        if (GEOSPreparedIntersects_r(h, prep[id], p) == 1) {
            best = id;
            if (rank == NULL) {
                break;
            }
        }
    }
    return best;
}

int gp_locator_init(gp_locator *loc, GEOSContextHandle_t h, int32_t n, const int32_t *rank)
{
    loc->h = h;
    loc->n = n;
    loc->rank = rank;
    loc->prep = gp_calloc((size_t)n + 1, sizeof *loc->prep);
    loc->tree = h != NULL ? GEOSSTRtree_create_r(h, 10) : NULL;
    return loc->prep != NULL && loc->tree != NULL ? 0 : -1;
}

int gp_locator_add(gp_locator *loc, int32_t i, const GEOSGeometry *g)
{
    if ((loc->prep[i] = GEOSPrepare_r(loc->h, g)) == NULL) {
        return -1;
    }
    GEOSSTRtree_insert_r(loc->h, loc->tree, g, (void *)(intptr_t)i);
    return 0;
}

int32_t gp_locator_find(gp_locator *loc, double x, double y)
{
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(loc->h, x, y);
    if (p == NULL) {
        return -2;
    }
    int32_t i = gp_hits_first_intersecting(loc->h, loc->tree, loc->prep, loc->rank, p, &loc->hs);
    GEOSGeom_destroy_r(loc->h, p);
    return loc->hs.failed ? -2 : i;
}

void gp_locator_free(gp_locator *loc)
{
    if (loc->tree != NULL) {
        GEOSSTRtree_destroy_r(loc->h, loc->tree);
    }
    for (int32_t i = 0; loc->prep != NULL && i < loc->n; i++) {
        if (loc->prep[i] != NULL) {
            GEOSPreparedGeom_destroy_r(loc->h, loc->prep[i]);
        }
    }
    gp_free(loc->prep);
    gp_free(loc->hs.v);
    loc->prep = NULL;
    loc->tree = NULL;
    loc->hs.v = NULL;
}
