/* SPDX-License-Identifier: MIT */
/** @file reproject.h Project finished shapes to the output CRS, valid and on the border. */

#ifndef GP_GEOMETRY_REPROJECT_H
#define GP_GEOMETRY_REPROJECT_H

#include "gridpart.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <ogr_srs_api.h>

/*
 * Results are built in the metric working CRS and written in the communities' CRS. Two things
 * go wrong when the latter is another CRS, in degrees say:
 * - a vertex the pipeline put on a community edge (where a street or a cut meets the border)
 *   lies on the straight edge of the working CRS, which projects to a curve: in the output
 *   CRS it sits off the community's straight edge, and the grids stick out of (or fall short
 *   of) the community by up to 1e-7 of its area. So a vertex on the border is placed on the
 *   projected edge at the same fraction of its length: the grids keep the community's border.
 * - rounding in the output CRS can make a valid polygon invalid (an edge of a few nanometres
 *   has no reliable direction in degrees). Blocks are welded against that (gp_faces_weld);
 *   whatever is still invalid is repaired here and counted.
 * Both rules depend on a vertex's coordinates only, so a vertex shared by two blocks or grids
 * lands on the same output point in both.
 */

/** A community's border, in the working and the output CRS. */
typedef struct gp_border gp_border;

/**
 * The border of `community` (a polygon or multipolygon in the working CRS) for projecting
 * shapes inside it with `ct` (working -> output; NULL: the same CRS).
 * @param[out] out free with gp_border_free (before the context).
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_CRS; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_border_new(gp_context *ctx, const GEOSGeometry *community,
                                     OGRCoordinateTransformationH ct, gp_border **out);

/** Free a border; NULL is a no-op. */
void gp_border_free(gp_border *border);

/**
 * Project a polygonal shape inside the border's community to the output CRS: vertices within
 * a micrometre of the border go onto the projected border (see above); an invalid result is
 * repaired (GEOSMakeValid, structure method) and *n_repaired incremented.
 * @param[out] out a new valid geometry (GEOSGeom_destroy_r with gp_ctx_geos(ctx)).
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_CRS; GP_ERR_GEOMETRY (also: not polygonal, or nothing
 *         left after a repair).
 */
GP_NODISCARD gp_status gp_border_project(gp_context *ctx, const gp_border *border,
                                         const GEOSGeometry *in, GEOSGeometry **out,
                                         int64_t *n_repaired);

#endif /* GP_GEOMETRY_REPROJECT_H */
