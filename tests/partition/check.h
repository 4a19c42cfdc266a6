/* SPDX-License-Identifier: MIT */
/** @file check.h Property checks applied to every partition the tests produce. */

#ifndef GP_TEST_CHECK_H
#define GP_TEST_CHECK_H

#include "gridpart.h"

/* A plain CSR graph as the tests build it. */
typedef struct {
    int32_t n;
    const int32_t *xadj;
    const int32_t *adjncy;
    const int64_t *households;
    const double *edge_cost; /* may be NULL */
} gp_test_graph;

/*
 * Partitions tg with opts (threads forced to 1 and then 2, same seed) and checks: every vertex
 * in a grid, grids non-empty and connected, households conserved and per-grid statistics right,
 * every out-of-bounds grid reported by a problem, identical results for both thread counts.
 * Returns the partition of the threads = 1 run (caller frees) or fails the test.
 */
gp_partition *gp_check_partition(const gp_test_graph *tg, const gp_options *opts);

#endif /* GP_TEST_CHECK_H */
