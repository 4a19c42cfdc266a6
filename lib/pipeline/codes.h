/* SPDX-License-Identifier: MIT */
/** @file codes.h `adjust`: the codes of a community's new grids, matched to its previous ones. */

#ifndef GP_PIPELINE_CODES_H
#define GP_PIPELINE_CODES_H

#include "gridpart.h"

#include "previous.h"

/** What became of a grid (gp_plan_grid.change). */
enum {
    GP_CHANGE_NONE = 0,
    GP_CHANGE_KEPT = GP_GRID_KEPT,
    GP_CHANGE_CHANGED = GP_GRID_CHANGED,
    GP_CHANGE_NEW = GP_GRID_NEW
};

/** The names of GP_CHANGE_*: "", "kept", "changed", "new". */
const char *gp_change_name(int32_t change);

/** A community's grids after `adjust`, by partition grid id. Free with gp_grid_codes_clear. */
typedef struct gp_grid_codes {
    int32_t n_grids;
    char **code;      /**< n_grids codes (owned). */
    uint8_t *change;  /**< n_grids GP_CHANGE_* values. */
    int32_t *matched; /**< n_grids: the previous grid whose code it keeps, or -1. */
    char **why;       /**< n_grids: why it changed or is new (owned), NULL when kept. */
    int32_t n_retired;
    int32_t *retired;  /**< previous grids whose code is retired... */
    char **retired_why; /**< ...and why (owned). */
    int64_t moved;     /**< households whose grid code is not the one they had. */
    int64_t labelled;  /**< households that had a previous grid. */
    int32_t kept, changed, added;
} gp_grid_codes;

/**
 * Match the grids of a division to the previous grids: greedily, most households shared first
 * (area for a previous grid that held none), then code order, each code and grid at most once,
 * a grid keeps the code of a previous grid of which it holds a quarter at least. A grid keeping its
 * code is `kept` when it holds exactly the household features and the street blocks (each
 * GP_PREV_MATCH_SHARE inside) of that grid, the same households and blocks as the layer
 * recorded when it has the fields, and about the same area (1%); `changed` otherwise. Other
 * grids are `new` and get "<community id><3-digit serial>", serials following the highest of
 * the community's previous codes of that form and never a code of the previous layer.
 * @param[in] b the output blocks (the pieces when some block was cut).
 * @param[in] assign the partition grid of each output block.
 * @param[in] blocks_labelled 1 when b are the community's blocks that pc labelled (no block was
 *            cut), 0 to label them here.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_grid_codes_make(gp_context *ctx, const gp_prev_community *pc,
                                          const gp_blocks *b, const int32_t *assign,
                                          int32_t n_grids, const gp_options *opts,
                                          int blocks_labelled, gp_grid_codes *out);

/** Release the codes' contents (not the struct). */
void gp_grid_codes_clear(gp_grid_codes *codes);

#endif /* GP_PIPELINE_CODES_H */
