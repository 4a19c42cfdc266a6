/* SPDX-License-Identifier: MIT */
/** @file check.h gp_check's internal helpers shared with run.c. */

#ifndef GP_PIPELINE_CHECK_H
#define GP_PIPELINE_CHECK_H

#include "gridpart.h"

#include "geometry/dataset.h"
#include "plan.h"

/**
 * The run-wide facts of the inputs (households outside every community, repaired and skipped
 * features, community overlaps, duplicates, a likely count field) as gp_run reports them, and
 * the streets for the map (run.c).
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_plan_dataset_facts(gp_context *ctx, const gp_dataset *ds,
                                             gp_plan *plan);

#endif /* GP_PIPELINE_CHECK_H */
