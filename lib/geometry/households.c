/* SPDX-License-Identifier: MIT */
/** @file households.c Put households into the block holding their representative point. */

#include "blocks.h"
#include "hits.h"

#include "core/context.h"
#include "core/memory.h"

#include <string.h>

/* The block nearest to (x, y) (the first of equals), for a point GEOS finds in none. */
static int32_t nearest_block(const gp_blocks *b, double x, double y)
{
    GEOSContextHandle_t h = b->h;
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, x, y);
    int32_t where = -1;
    double best = 0;
    for (int32_t k = 0; p != NULL && k < b->n; k++) {
        double d = 0;
        if (GEOSDistance_r(h, b->geom[k], p, &d) == 1 && (where < 0 || d < best)) {
            best = d;
            where = k;
        }
    }
    if (p != NULL) {
        GEOSGeom_destroy_r(h, p);
    }
    return p != NULL ? where : -2;
}

gp_status gp_blocks_locate_points(gp_context *ctx, const gp_blocks *b, int32_t n,
                                  const int64_t *list, const double *x, const double *y,
                                  int32_t *where, int32_t *nearest)
{
    gp_status st = GP_OK;
    gp_locator loc = {0};
    *nearest = 0;
    if (gp_locator_init(&loc, b->h, b->n, NULL) != 0) {
        st = gp_error_nomem(ctx, "locating points in blocks");
    }
    for (int32_t k = 0; k < b->n && st == GP_OK; k++) {
        if (gp_locator_add(&loc, k, b->geom[k]) != 0) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare block %d", k);
        }
    }
    for (int32_t i = 0; i < n && st == GP_OK; i++) {
        /* A point on a shared border is covered by both blocks: the lowest id takes it. */
        double px = x[list[i]], py = y[list[i]];
        where[i] = gp_locator_find(&loc, px, py);
        if (where[i] == -1) {
            /* Inside the community but in no block (only possible within rounding of the
             * border): the nearest block takes it, and the caller counts it. */
            where[i] = nearest_block(b, px, py);
            ++*nearest;
        }
        if (where[i] == -2) {
            st = gp_error_nomem(ctx, "a spatial query");
        }
    }
    gp_locator_free(&loc);
    return st;
}

gp_status gp_blocks_place_households(gp_context *ctx, const gp_dataset *ds, gp_blocks *b)
{
    int32_t c = b->community;
    int32_t first = ds->hh_start[c], count = ds->hh_start[c + 1] - first;
    int32_t *where = gp_malloc(((size_t)count + 1) * sizeof *where);
    int32_t *fill = gp_malloc(((size_t)b->n + 1) * sizeof *fill);
    b->households = gp_calloc((size_t)b->n + 1, sizeof *b->households);
    b->hh_start = gp_calloc((size_t)b->n + 1, sizeof *b->hh_start);
    b->hh_list = gp_malloc(((size_t)count + 1) * sizeof *b->hh_list);
    gp_status st = GP_OK;
    int32_t nearest = 0;
    if (where == NULL || fill == NULL || b->households == NULL || b->hh_start == NULL ||
        b->hh_list == NULL) {
        st = gp_error_nomem(ctx, "household placement");
        goto done;
    }
    st = gp_blocks_locate_points(ctx, b, count, ds->hh_list + first, ds->hh_x, ds->hh_y, where,
                                 &nearest);
    if (st != GP_OK) {
        goto done;
    }
    b->n_households_nearest += nearest;
    for (int32_t i = 0; i < count; i++) {
        int64_t hh = ds->hh_list[first + i];
        if (where[i] < 0) {
            st = gp_error(ctx, GP_ERR_INTERNAL, "household feature %lld: no block",
                          (long long)ds->hh_fid[hh]);
            goto done;
        }
        b->hh_start[where[i] + 1]++;
        b->households[where[i]] += ds->hh_count[hh];
        b->households_assigned += ds->hh_count[hh];
    }
    for (int32_t k = 0; k < b->n; k++) {
        b->hh_start[k + 1] += b->hh_start[k];
    }
    memcpy(fill, b->hh_start, (size_t)b->n * sizeof *fill);
    for (int32_t i = 0; i < count; i++) {
        b->hh_list[fill[where[i]]++] = ds->hh_list[first + i];
    }
done:
    gp_free(where);
    gp_free(fill);
    return st;
}
