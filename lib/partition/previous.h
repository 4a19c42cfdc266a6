/* SPDX-License-Identifier: MIT */
/** @file previous.h A previous division of a component: its grid count, and whether it still
 * holds, so that it is kept as it is (internal). */

#ifndef GP_PARTITION_PREVIOUS_H
#define GP_PARTITION_PREVIOUS_H

#include "graph/graph.h"

#include <stdint.h>

/* Scratch for components of up to n vertices; NULL when out of memory. */
typedef struct gp_previous_work gp_previous_work;
gp_previous_work *gp_previous_work_new(int32_t n);
void gp_previous_work_free(gp_previous_work *pw);

/* Distinct previous grids among the component's vertices vs[0 .. nv) (vertices without one
 * ignored). */
int32_t gp_previous_count(gp_previous_work *pw, const gp_graph *g, const int32_t *vs, int32_t nv);

/* What a kept previous division must satisfy. */
typedef struct {
    int32_t k;          /* the component's grid count */
    int64_t min, max;   /* household bounds */
    double cap;         /* workload cap, 0: none */
    const double *load; /* workload per vertex (what the cap applies to) */
    const uint8_t *skip; /* vertices outside every component */
} gp_previous_rules;

/*
 * Whether the previous division of the component still holds: every vertex has a previous
 * grid, there are exactly rules->k of them, each connected within the component, within the
 * household bounds and under the cap. Then it is the best division there is for an objective
 * that puts households moved right after the hard rules (search.h), and `lab` receives each
 * position's grid, numbered 0 .. k-1 in order of their lowest position. Returns 1 or 0.
 */
int gp_previous_holds(gp_previous_work *pw, const gp_graph *g, const int32_t *vs, int32_t nv,
                      const gp_previous_rules *rules, int32_t *lab);

#endif /* GP_PARTITION_PREVIOUS_H */
