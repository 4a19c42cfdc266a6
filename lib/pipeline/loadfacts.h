/* SPDX-License-Identifier: MIT */
/** @file loadfacts.h A run's workload facts: extra loads outside, and the workload conserved. */

#ifndef GP_PIPELINE_LOADFACTS_H
#define GP_PIPELINE_LOADFACTS_H

#include "geometry/dataset.h"
#include "plan.h"

/**
 * Copy the dataset's workload totals into the plan (extra load read and outside, the workload
 * inside communities) and report the extra-load features outside every community: one warning
 * (GP_PROBLEM_LOAD_OUTSIDE) per layer, naming the layer, the load and the feature ids.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_run_load_facts(gp_context *ctx, const gp_dataset *ds, gp_plan *plan);

/**
 * Conservation of workload: the grids' workloads add up to the workload inside communities
 * (households weighted plus extra loads placed), up to rounding.
 * @return GP_OK; GP_ERR_INTERNAL naming both sums.
 */
GP_NODISCARD gp_status gp_run_check_workload(gp_context *ctx, const gp_plan *plan);

#endif /* GP_PIPELINE_LOADFACTS_H */
