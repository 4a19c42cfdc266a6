/* SPDX-License-Identifier: MIT */
/** @file dissolve.h The union of polygons that tile it, as a coverage (internal). */

#ifndef GP_GEOMETRY_DISSOLVE_H
#define GP_GEOMETRY_DISSOLVE_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "gridpart.h"

#include <stdint.h>

/**
 * The union of the polygons of `coll` (which the caller keeps). Polygons that tile their union
 * without overlap and share the vertices of every edge they share (a coverage: the faces of one
 * polygonization, the blocks made of them, the grids made of those) are dissolved by GEOS's
 * coverage union, which drops the edges that occur twice instead of noding and overlaying, in
 * a fraction of the time. GEOS does not promise to detect a bad coverage, so the result is
 * kept only when it is valid (and, with `one_polygon`, one polygon); otherwise the unary union
 * decides.
 * @return a new geometry (GEOSGeom_destroy_r); NULL when GEOS fails.
 */
GEOSGeometry *gp_dissolve(GEOSContextHandle_t h, const GEOSGeometry *coll, int one_polygon);

/**
 * *coll = a collection (GEOSGeom_destroy_r) of copies of g[idx[i]] (g[i] when idx is NULL),
 * i < n, to dissolve.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY (GEOS cannot copy or collect them).
 */
GP_NODISCARD gp_status gp_collect_copies(gp_context *ctx, GEOSContextHandle_t h,
                                         GEOSGeometry *const *g, const int32_t *idx, int32_t n,
                                         GEOSGeometry **coll);

#endif /* GP_GEOMETRY_DISSOLVE_H */
