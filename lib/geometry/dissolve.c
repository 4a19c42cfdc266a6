/* SPDX-License-Identifier: MIT */
/** @file dissolve.c The union of polygons that tile it, as a coverage. */

#include "dissolve.h"

#include "core/context.h"
#include "core/memory.h"

GEOSGeometry *gp_dissolve(GEOSContextHandle_t h, const GEOSGeometry *coll, int one_polygon)
{
    GEOSGeometry *u = GEOSCoverageUnion_r(h, coll);
    if (u != NULL && (!one_polygon || GEOSGeomTypeId_r(h, u) == GEOS_POLYGON) &&
        GEOSisValid_r(h, u) == 1) {
        return u;
    }
    if (u != NULL) {
        GEOSGeom_destroy_r(h, u);
    }
    return GEOSUnaryUnion_r(h, coll);
}

gp_status gp_collect_copies(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *g,
                            const int32_t *idx, int32_t n, GEOSGeometry **coll)
{
    *coll = NULL;
    GEOSGeometry **parts = gp_malloc(((size_t)n + 1) * sizeof *parts);
    if (parts == NULL) {
        return gp_error_nomem(ctx, "polygons to dissolve");
    }
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        parts[m] = GEOSGeom_clone_r(h, g[idx ? idx[i] : i]);
        m += parts[m] != NULL;
    }
    *coll =
        m == n ? GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n) : NULL;
    if (*coll == NULL) {
        for (int32_t i = 0; i < m; i++) {
            GEOSGeom_destroy_r(h, parts[i]);
        }
    }
    gp_free(parts);
    return *coll ? GP_OK
                 : gp_error(ctx, GP_ERR_GEOMETRY, "cannot collect polygons to dissolve: %s",
                            gp_ctx_engine_error(ctx));
}
