/* SPDX-License-Identifier: MIT */
/** @file divide.h One community's division: the split stage's choices and the optimizer. */

#ifndef GP_PIPELINE_DIVIDE_H
#define GP_PIPELINE_DIVIDE_H

#include "gridpart.h"

#include "geometry/blocks.h"
#include "geometry/dataset.h"
#include "geometry/split.h"

/** Why a block was cut (GP_CUT_PREVIOUS: `adjust`, the previous division had cut it). */
enum { GP_CUT_NONE = 0, GP_CUT_OVERSIZE = 1, GP_CUT_BOUNDS = 2, GP_CUT_PREVIOUS = 3 };

struct gp_prev_community;

/** A community's division. Free with gp_divided_clear. */
typedef struct gp_divided {
    gp_partition *part; /**< over the blocks, or over the cells when pieces is not NULL. */
    gp_pieces *pieces;  /**< the output's blocks when some block was cut into cells, or NULL. */
    uint8_t *reason;    /**< per block: GP_CUT_* (NULL when pieces is NULL). */
    int32_t trials;     /**< re-partitions tried to meet the bounds. */
} gp_divided;

/**
 * Divide community `blocks->community` into grids: cut the blocks that the split stage
 * chooses (opts->split: oversized blocks; then, when the community's total is feasible but
 * the division of its blocks breaks a bound, the fewest blocks found to fix it) and partition
 * the result.
 * @param[out] out the division; zeroed on failure.
 * @return GP_OK; any status of gp_graph_partition; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_divide_community(gp_context *ctx, const gp_dataset *ds,
                                           const gp_blocks *blocks, const gp_options *opts,
                                           gp_divided *out);

/**
 * As gp_divide_community, against a previous division (`adjust`, previous.h; NULL: none): every
 * graph the optimizer divides carries each vertex's previous grid (gp_graph_set_previous), and
 * the blocks whose households the previous division put in two grids are opened into cells
 * first, so that a division that still holds can be kept as it was.
 */
GP_NODISCARD gp_status gp_divide_adjust(gp_context *ctx, const gp_dataset *ds,
                                        const gp_blocks *blocks, const gp_options *opts,
                                        const struct gp_prev_community *prev, gp_divided *out);

/** Release a division's contents (not the struct). */
void gp_divided_clear(gp_divided *d);

#endif /* GP_PIPELINE_DIVIDE_H */
