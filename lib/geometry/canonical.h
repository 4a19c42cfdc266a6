/* SPDX-License-Identifier: MIT */
/** @file canonical.h Put what was read in an order that depends on the data, not on the file. */

#ifndef GP_GEOMETRY_CANONICAL_H
#define GP_GEOMETRY_CANONICAL_H

#include "dataset.h"
#include "hits.h"

#include <geos_c.h>

/*
 * Every later stage works on the dataset's arrays in index order: the street pieces noded and
 * polygonized in that order number the faces, and so the blocks and the graph vertices the
 * seeded optimizer visits; households in that order make the split stage's Voronoi sites and
 * break its ties. So the arrays are sorted here by a key of what they hold (geometry, class,
 * count), never by feature id or layer position: the same set of features in any order (a
 * GeoPackage, its FlatGeobuf copy with a spatial index, a shuffled copy) gives the same grids.
 * Feature ids travel with their features, so reports still name the input's features.
 */

/**
 * Sort streets, barriers and households into their canonical order and number the street
 * classes by name. Call it after reading and before anything indexes the arrays (class costs,
 * community lists, household placement).
 *
 * Streets and barriers sort by their envelope (west, south, east, north), then by their WKB
 * (size, then bytes), then (streets) by class name; households by their representative point
 * (x, then y), then by count. Features equal on the whole key are interchangeable for every
 * stage. skipped_fid is sorted ascending.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY (a stored WKB cannot be decoded).
 */
GP_NODISCARD gp_status gp_dataset_canonical_order(gp_context *ctx, gp_dataset *ds);

/**
 * Rank of each community in the order of its id (strcmp; ids are unique), to break ties
 * between communities (a household on the border of two) by id rather than by layer order.
 * @param[out] rank_out n_communities ranks (gp_free), NULL on failure.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_dataset_community_rank(gp_context *ctx, const gp_dataset *ds,
                                                 int32_t **rank_out);

/**
 * The communities prepared and indexed, to find the community that covers a point: on the
 * border of two, the one whose id comes first (gp_dataset_community_rank), never the earlier
 * in the layer. Zero it before gp_community_locator_new; free it with gp_community_locator_free,
 * also after an error.
 */
typedef struct gp_community_locator {
    gp_locator loc; /* the communities, ranked by rank */
    int32_t *rank;  /* each community's rank by id */
} gp_community_locator;

/**
 * Prepare and index the dataset's communities comm[0 .. n_communities).
 * @return GP_OK; GP_ERR_NOMEM naming `what`; GP_ERR_GEOMETRY (a community that cannot be
 *         prepared, named by its id).
 */
GP_NODISCARD gp_status gp_community_locator_new(gp_context *ctx, const gp_dataset *ds,
                                                GEOSGeometry *const *comm, const char *what,
                                                gp_community_locator *loc);

/**
 * The community covering point (x, y) into *c, -1 for none.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_community_locator_find(gp_context *ctx, gp_community_locator *loc,
                                                 double x, double y, int32_t *c);

void gp_community_locator_free(gp_community_locator *loc);

/** Sort feature ids ascending, so that lists reported to a user read in the file's order. */
void gp_fid_sort(int64_t *fid, int64_t n);

#endif /* GP_GEOMETRY_CANONICAL_H */
