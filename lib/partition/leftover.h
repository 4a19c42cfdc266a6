/* SPDX-License-Identifier: MIT */
/** @file leftover.h Households too few for a grid join the grid of an over-max vertex. */

#ifndef GP_PARTITION_LEFTOVER_H
#define GP_PARTITION_LEFTOVER_H

#include "graph/graph.h"

#include <stdint.h>

/* Scratch of the leftover rule, sized for a graph of n vertices. */
typedef struct gp_leftover_work gp_leftover_work;

/* What a component gives to the grid of an over-max vertex. */
typedef struct {
    int32_t host; /* the over-max vertex whose grid the piece joins; -1: nothing joins */
    int32_t nj;   /* vertices joining: the last nj of the component's list (all of it or a part) */
    int64_t hh;   /* their households */
} gp_leftover;

/* Allocates scratch for graphs of n vertices; NULL when out of memory. */
gp_leftover_work *gp_leftover_work_new(int32_t n);
void gp_leftover_work_free(gp_leftover_work *w);

/*
 * The leftover rule (leftover.c) for one connected component verts[0 .. nv) of the graph
 * without its vertices above the maximum, holding `total` households; over[u] != 0 marks the
 * vertices outside every component (only vertices above the maximum neighbour a component).
 * When a part of the component joins, verts is reordered: the rest first, listed by a
 * breadth-first search from its lowest vertex, then the part that joins. Bounded work, no
 * allocation, deterministic.
 */
gp_leftover gp_leftover_find(gp_leftover_work *w, const gp_graph *g, const int64_t *hh,
                             const uint8_t *over, int64_t min, int64_t max, int32_t *verts,
                             int32_t nv, int64_t total);

#endif /* GP_PARTITION_LEFTOVER_H */
