/* SPDX-License-Identifier: MIT */
/**
 * @file gridlayer.h An existing grids layer (gridpart's own output, or grids a city drew by
 * hand), read into the working CRS of a dataset: the previous division of `gridpart adjust` and
 * the grids that `gridpart check` audits.
 *
 * Any polygon layer GDAL opens works: any CRS (a layer without one is taken to be in the
 * communities' CRS, and the plan says so), any code strings, no `households` field needed.
 * Each grid belongs to one community: by the community field when one is given, else the
 * community that holds most of its area.
 */

#ifndef GP_GEOMETRY_GRIDLAYER_H
#define GP_GEOMETRY_GRIDLAYER_H

#include "gridpart.h"

#include "dataset.h"

/** The grids of a layer, in canonical order (by community index, then code). */
typedef struct gp_grid_layer {
    char *label;        /**< "path:layer", for messages. */
    int32_t n;          /**< grids. */
    char **code;        /**< n codes (the code field as text), unique in the layer. */
    int64_t *fid;       /**< n OGR feature ids. */
    gp_wkb *wkb;        /**< n valid Polygon/MultiPolygon geometries in the working CRS. */
    /** n community indices into the dataset: the community field's, else the community
     * holding most of the grid's area; -1: in none (such grids come last, from
     * first[n_communities] to n-1). */
    int32_t *community;
    /** CSR by community: grids of community c are first[c] .. first[c+1]-1 (indices above). */
    int32_t *first;
    int32_t assumed_crs; /**< 1: the layer had no CRS and was taken to be the communities'. */
    int64_t n_repaired;  /**< invalid polygons repaired (GEOSMakeValid). */
    int64_t n_outside;   /**< grids meeting no community in area, whatever the community field
                              says (their feature ids, ascending, in outside_fid). */
    int64_t *outside_fid;
} gp_grid_layer;

/** Where the layer is and which fields to read. */
typedef struct gp_grid_layer_source {
    const char *path;            /**< PATH[:LAYER]. */
    const char *code_field;      /**< the grid code field; NULL: "grid_code". */
    const char *community_field; /**< the community id field, or NULL: by area. */
    const struct gp_layer_settings *layers; /**< open options, assumed CRS; NULL: none. */
} gp_grid_layer_source;

/**
 * Read a grids layer into the dataset's working CRS.
 * @return GP_OK; GP_ERR_IO (cannot open: names the path); GP_ERR_INPUT (no such layer, no code
 *         field (the message lists the fields), a null or duplicate code (names both feature
 *         ids), not polygons, a community id that is not in the communities layer);
 *         GP_ERR_CRS; GP_ERR_NOMEM; GP_ERR_CANCELED.
 */
GP_NODISCARD gp_status gp_grid_layer_read(gp_context *ctx, const gp_dataset *ds,
                                          const gp_grid_layer_source *src, gp_grid_layer **out);

void gp_grid_layer_free(gp_grid_layer *layer);

#endif /* GP_GEOMETRY_GRIDLAYER_H */
