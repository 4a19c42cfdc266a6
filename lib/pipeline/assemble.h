/* SPDX-License-Identifier: MIT */
/** @file assemble.h Turn one community's blocks and partition into plan grids and blocks. */

#ifndef GP_PIPELINE_ASSEMBLE_H
#define GP_PIPELINE_ASSEMBLE_H

#include "gridpart.h"

#include "geometry/blocks.h"
#include "geometry/crs.h"
#include "geometry/dataset.h"
#include "geometry/split.h"
#include "plan.h"

struct gp_grid_codes;

/**
 * Append community b->community to `plan`: each grid is the exact union of its blocks, coded
 * "<community id><3-digit serial>" numbered in rows north to south and west to east within a
 * row; statistics; flags; problems. Verifies that the grids cover the community's area and
 * that households add up (GP_ERR_INTERNAL otherwise). `ct` projects working-CRS geometries to
 * the output CRS (NULL: the same CRS). `pieces`, when some block was cut, gives the grid of
 * each of b's blocks (then b is pieces->blocks and `part` divides the cells they came from),
 * the blocks' `on_streets` and the grids that get the flag `split_block`; NULL: b's blocks
 * are the partition's vertices. `codes` (adjust, codes.h), when not NULL, gives each
 * partition grid its code and change instead.
 */
GP_NODISCARD gp_status gp_assemble_community(gp_context *ctx, const gp_dataset *ds,
                                             const gp_blocks *b, const gp_partition *part,
                                             const gp_pieces *pieces, const gp_options *opts,
                                             OGRCoordinateTransformationH ct,
                                             const struct gp_grid_codes *codes, gp_plan *plan);

#endif /* GP_PIPELINE_ASSEMBLE_H */
