/* SPDX-License-Identifier: MIT */
/** @file width.h Whether a circle of a given diameter fits in a polygon (the sliver test). */

#ifndef GP_GEOMETRY_WIDTH_H
#define GP_GEOMETRY_WIDTH_H

#include "gridpart.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

/**
 * Whether a circle of `diameter` fits in polygon g (a Polygon or MultiPolygon): whether g
 * eroded by diameter / 2 (a negative buffer) is non-empty. The work depends on g's vertex count
 * only, never on its size: see width.c for why this replaces the maximum inscribed circle.
 * @param[out] fits 1 when such a circle fits, else 0 (also for diameter <= 0: 1).
 * @return GP_OK; GP_ERR_GEOMETRY (the engine's message; the caller names the geometry).
 */
GP_NODISCARD gp_status gp_circle_fits(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *g,
                                      double diameter, int *fits);

#endif /* GP_GEOMETRY_WIDTH_H */
