/* SPDX-License-Identifier: MIT */
/** @file overlaps.h Communities whose interiors overlap: find them, class them, resolve them. */

#ifndef GP_GEOMETRY_OVERLAPS_H
#define GP_GEOMETRY_OVERLAPS_H

#include "gridpart.h"

#include "dataset.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

/** When a part of an overlap is a digitising sliver (the rule of sliver blocks, blocks.c). */
typedef struct gp_overlap_rule {
    double width; /**< no circle this wide fits in it, m (the snapping tolerance; 0: none). */
    double area;  /**< or it is smaller than this, m^2 (the sliver area). */
} gp_overlap_rule;

/** Called once per community while looking for overlaps: GP_OK to go on, else the status to
 * stop with (a progress callback's cancellation). */
typedef gp_status (*gp_overlaps_tick)(void *user);

/**
 * Every pair of communities comm[0..n-1] whose interiors overlap (an overlap of positive area),
 * found through an STRtree of the communities and an exact intersection of each candidate
 * pair, so the work grows with the number of neighbouring pairs, not of all pairs. A pair is a
 * sliver when every polygon of its overlap is one by `rule`. In each pair `first` is the
 * community of lower rank (it keeps the overlap).
 * @param[in] rank n ranks (gp_dataset_community_rank: the order of the ids), or NULL for the
 *            index order.
 * @param[in] tick NULL, or called once per community with `user`: a status other than GP_OK
 *            stops the search and is returned (GP_ERR_CANCELED).
 * @param[out] pairs_out array (free with gp_free) of *n_out pairs, sorted by the ranks of
 *             (second, first); NULL when there is none.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY (names the community indices); what tick
 *         returns.
 */
GP_NODISCARD gp_status gp_overlaps_find(gp_context *ctx, GEOSContextHandle_t h, int32_t n,
                                        GEOSGeometry *const *comm, const int32_t *rank,
                                        const gp_overlap_rule *rule, gp_overlaps_tick tick,
                                        void *user, gp_overlap **pairs_out, int64_t *n_out);

/**
 * Give each overlap of `pairs` (as gp_overlaps_find sorts them) to its `first` community: every
 * `second` community becomes itself minus all the communities it loses an overlap to, taken as
 * they were before this call, so the result does not depend on the order of the work. Only
 * sliver pairs are resolved unless `real` is 1. Each replaced geometry is freed and changed[c]
 * set to 1; on failure comm is left as it was.
 * @param[out] changed n flags, set to 1 for each community replaced (others left as they are).
 * @param[out] emptied the first community left with no area, or -1; then the call returns
 *             GP_ERR_INPUT without a message (the caller names the community).
 * @return GP_OK; GP_ERR_INPUT (see emptied); GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_overlaps_resolve(gp_context *ctx, GEOSContextHandle_t h, int32_t n,
                                           GEOSGeometry **comm, const gp_overlap *pairs,
                                           int64_t n_pairs, int32_t real, uint8_t *changed,
                                           int32_t *emptied);

#endif /* GP_GEOMETRY_OVERLAPS_H */
