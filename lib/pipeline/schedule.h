/* SPDX-License-Identifier: MIT */
/**
 * @file schedule.h The order in which the workers take communities: longest processing time
 * first (LPT), so that the last community a thread takes is a short one and two threads finish
 * together. Results still land in community order (run.c), so the plan does not depend on it.
 */
#ifndef GP_PIPELINE_SCHEDULE_H
#define GP_PIPELINE_SCHEDULE_H

#include "core/context.h"
#include "geometry/dataset.h"

#include <stdint.h>

/** A community holding a household feature above the maximum has a block over the maximum: the
 * split stage cuts it, which costs this many times a community of the same households. */
#define GP_SCHEDULE_CUT_FACTOR 8.0

/** The estimated cost of one community: its households, times GP_SCHEDULE_CUT_FACTOR when
 * `needs_cut`. */
double gp_schedule_cost(int64_t households, int needs_cut);

/** `order` (n entries): the indices 0..n-1 by decreasing cost, ties by index (deterministic). */
GP_NODISCARD gp_status gp_schedule_lpt(gp_context *ctx, const double *cost, int32_t n,
                                       int32_t *order);

/** `order` (ds->n_communities entries): the communities of `ds` in LPT order, their costs
 * estimated from their household features (gp_schedule_cost, bound `max_households`). */
GP_NODISCARD gp_status gp_schedule_communities(gp_context *ctx, const gp_dataset *ds,
                                               int64_t max_households, int32_t *order);

#endif
