/* SPDX-License-Identifier: MIT */
/** @file crs.h Choose the local metric working CRS and transform geometries between CRSs. */

#ifndef GP_GEOMETRY_CRS_H
#define GP_GEOMETRY_CRS_H

#include "gridpart.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <ogr_srs_api.h>

/**
 * Choose the working CRS for the layer `label` (named in messages) in `srs`, whose extent (in srs units) is [minx,maxx]x[miny,maxy].
 * `user` (any OSRSetFromUserInput text, e.g. "EPSG:32619") wins when given. A projected CRS in
 * metres is used as it is; CGCS2000 (EPSG:4490) data gets its 3-degree Gauss-Kruger zone
 * (EPSG:4534..4554); anything else the WGS 84 UTM zone of the extent's centre.
 * @param[out] out a new SRS with traditional GIS axis order; release with OSRRelease.
 * @return GP_OK; GP_ERR_CRS (the message says why).
 */
GP_NODISCARD gp_status gp_crs_choose(gp_context *ctx, const char *label,
                                     OGRSpatialReferenceH srs, double minx,
                                     double miny, double maxx, double maxy, const char *user,
                                     OGRSpatialReferenceH *out);

/**
 * Check that the extent of layer `label` fits its CRS `srs`: degrees within the globe for a
 * geographic CRS (metres labelled as degrees are the common mistake).
 * @return GP_OK; GP_ERR_CRS naming the layer, its CRS and the extent.
 */
GP_NODISCARD gp_status gp_crs_check_extent(gp_context *ctx, const char *label,
                                           OGRSpatialReferenceH srs, double minx, double miny,
                                           double maxx, double maxy);

/**
 * A coordinate transformation between two CRSs given as WKT. Not thread-safe: make one per thread.
 * @param[out] out the transformation, or NULL when both are the same CRS (no transform needed);
 *             release with OCTDestroyCoordinateTransformation.
 * @return GP_OK; GP_ERR_CRS.
 */
GP_NODISCARD gp_status gp_transform_new(gp_context *ctx, const char *from_wkt, const char *to_wkt,
                                        OGRCoordinateTransformationH *out);

/**
 * Transform a GEOS geometry (of ctx's GEOS handle) with `ct` (NULL: copy).
 * @param[out] out a new geometry owned by the caller (GEOSGeom_destroy_r with gp_ctx_geos(ctx)).
 * @return GP_OK; GP_ERR_CRS; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_transform_geos(gp_context *ctx, OGRCoordinateTransformationH ct,
                                         const GEOSGeometry *in, GEOSGeometry **out);

/**
 * A CRS given as WKT, for people: "EPSG:32619 (WGS 84 / UTM zone 19N)", or its name alone.
 * @return a gp_malloc'd string, NULL when out of memory or unreadable.
 */
char *gp_crs_describe(const char *wkt);

#endif /* GP_GEOMETRY_CRS_H */
