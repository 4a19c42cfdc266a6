/* SPDX-License-Identifier: MIT */
/** @file adjust.h `adjust`: what a plan records about the previous division it repaired. */

#ifndef GP_PIPELINE_ADJUST_H
#define GP_PIPELINE_ADJUST_H

#include "gridpart.h"

#include "codes.h"
#include "plan.h"
#include "previous.h"

/**
 * Record in the plan's last community what became of its previous grids (counts, retired
 * codes, households moved, fit) and a note (GP_PROBLEM_GRID_CHANGED) for each grid changed,
 * new or retired with its reasons, and one about the fit (GP_PROBLEM_PREVIOUS_FIT) when
 * blocks lie outside or across the previous grids.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_adjust_record(gp_context *ctx, const gp_prev_community *pc,
                                        const gp_grid_codes *codes, gp_plan *plan);

/**
 * Record the run-wide facts of the previous layer: its label, a layer without a CRS taken to
 * be the communities', grids in no community, polygons repaired.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_adjust_run_facts(gp_context *ctx, const gp_previous *prev,
                                           gp_plan *plan);

#endif /* GP_PIPELINE_ADJUST_H */
