/* SPDX-License-Identifier: MIT */
/** @file keep.h `adjust`: keep a community's previous division as it was, when it holds. */

#ifndef GP_PIPELINE_KEEP_H
#define GP_PIPELINE_KEEP_H

#include "gridpart.h"

#include "geometry/blocks.h"
#include "previous.h"

/** A graph (blocks or cells) with the previous grid of every vertex. */
typedef struct gp_keep_view {
    int32_t n;
    const int32_t *xadj, *adjncy;
    const int64_t *households;
    const double *workload;      /**< per vertex, or NULL: the households (no weights given). */
    const double *border, *cost; /**< per adjacency entry, or NULL for 1. */
    const int32_t *label;        /**< per vertex: its previous grid; -1: none (no keeping). */
    const uint8_t *indivisible;  /**< per vertex: one household site above the maximum. */
    int32_t n_labels;            /**< labels are below this. */
} gp_keep_view;

/**
 * The labels of a view as a partition, with the optimizer's statistics, when they hold (see
 * keep.c); *out NULL when they do not.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_keep_labels(gp_context *ctx, const gp_keep_view *view,
                                      const gp_options *opts, gp_partition **out);

/**
 * The previous division of community b->community as a partition of its blocks, when it still
 * holds (see keep.c); *out NULL when it does not.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_keep_previous(gp_context *ctx, const gp_blocks *b,
                                        const gp_prev_community *pc, const gp_options *opts,
                                        gp_partition **out);

#endif /* GP_PIPELINE_KEEP_H */
