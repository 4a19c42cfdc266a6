/* SPDX-License-Identifier: MIT */
/** @file partition.h Internal view of gp_partition: assignment, grid statistics, problems. */

#ifndef GP_PARTITION_PARTITION_H
#define GP_PARTITION_PARTITION_H

#include "gridpart.h"

#define GP_PROBLEM_MESSAGE_MAX 256

typedef struct {
    int32_t kind;
    int32_t vertex;
    char message[GP_PROBLEM_MESSAGE_MAX];
} gp_problem;

struct gp_partition {
    int32_t n;
    int32_t grids;
    int32_t *part;       /* n grid ids */
    int64_t *households; /* per grid */
    double *workload;    /* per grid */
    int32_t *vertices;   /* per grid */
    double *pp;          /* per grid Polsby-Popper, NaN without shape data */
    double cut;
    double workload_ratio;
    double mean_pp;
    int64_t moved;
    int32_t out_of_bounds;
    int32_t problem_count;
    int32_t problem_cap;
    gp_problem *problems;
};

/* Allocates a partition of n vertices and `grids` grids with zeroed statistics. */
gp_partition *gp_partition_alloc(int32_t n, int32_t grids);

/* Appends a problem; returns GP_ERR_NOMEM when the list cannot grow. */
gp_status gp_partition_add_problem(gp_partition *part, int32_t kind, int32_t vertex,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* GP_PARTITION_PARTITION_H */
