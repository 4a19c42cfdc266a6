/* SPDX-License-Identifier: MIT */
/**
 * @file featgeom.h An input feature's geometry as the library works with it (internal): linear,
 * 2D, finite, in the working CRS, read into GEOS, of the type the layer holds and, for a
 * polygon, valid. One set of rules and messages for every layer read (dataset.c, gridlayer.c,
 * loads.c).
 */

#ifndef GP_GEOMETRY_FEATGEOM_H
#define GP_GEOMETRY_FEATGEOM_H

#include "dataset.h"

#include "core/context.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <ogr_api.h>

#include <stdint.h>

/** Geometry types a layer may hold (a mask). */
enum { GP_GEOM_POLYGONAL = 1, GP_GEOM_LINEAL = 2, GP_GEOM_PUNTAL = 4, GP_GEOM_COLLECTION = 8 };

/** How a layer's features are read: messages name the layer and the feature at fault. */
typedef struct gp_feature_source {
    const char *label;               /**< the layer, as messages name it ("file:layer") */
    OGRCoordinateTransformationH ct; /**< into the working CRS; NULL: already in it */
    int types;                       /**< GP_GEOM_* accepted */
    const char *expected;            /**< names `types` in a message ("polygon") */
} gp_feature_source;

/**
 * Makes `g` (the feature fid's own geometry) 2D, checks every coordinate finite (GEOS 3.11
 * throws on NaN or infinite coordinates deep inside an overlay and leaks what it had built)
 * and projects it by src->ct.
 */
GP_NODISCARD gp_status gp_feature_flat_projected(gp_context *ctx, const gp_feature_source *src,
                                                 int64_t fid, OGRGeometryH g);

/**
 * The feature's geometry as a GEOS geometry (in *out, the caller's), read through `in`: curves
 * stroked, flat, finite and projected (gp_feature_flat_projected), of a type in src->types.
 * A polygonal geometry or a collection that is not valid is repaired (GEOSMakeValid, its
 * polygonal part kept);
 * then GEOS's reason for it is written to `repaired` (room for `size` bytes; may be NULL), else
 * "" there. On GP_ERR_INPUT or GP_ERR_CRS the message names the feature, and the caller decides
 * to fail or to skip it.
 */
GP_NODISCARD gp_status gp_feature_geometry(gp_context *ctx, GEOSContextHandle_t h,
                                           GEOSWKBReader *in, const gp_feature_source *src,
                                           OGRFeatureH f, GEOSGeometry **out, char *repaired,
                                           size_t size);

/** `g` as the WKB `w` writes, into *data (gp_malloc'd, so that it outlives the GEOS context)
 * and *size; `what` names it when that fails (*data is then NULL). */
GP_NODISCARD gp_status gp_geos_to_wkb(gp_context *ctx, GEOSContextHandle_t h, GEOSWKBWriter *w,
                                      const GEOSGeometry *g, unsigned char **data, size_t *size,
                                      const char *what);

#endif /* GP_GEOMETRY_FEATGEOM_H */
