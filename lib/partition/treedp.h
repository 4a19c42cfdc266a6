/* SPDX-License-Identifier: MIT */
/** @file treedp.h Exact division of a spanning tree into parts within household bounds. */

#ifndef GP_PARTITION_TREEDP_H
#define GP_PARTITION_TREEDP_H

#include "graph/graph.h"

#include <stdint.h>

/* Scratch for graphs of up to n vertices and m adjacency entries, bounds up to max. */
typedef struct gp_treedp gp_treedp;

/**
 * Allocate scratch. Returns NULL when out of memory, and also (deliberately) when the bitsets
 * would be too large (max beyond GP_TREEDP_MAX_BITS or n x bitset beyond 64 MB): the caller
 * then simply goes without the exact fallback.
 */
gp_treedp *gp_treedp_new(int32_t n, int32_t m, int64_t max);

/** Whether scratch for n vertices and bound max is within the limits (so NULL from
 * gp_treedp_new then means out of memory). */
int gp_treedp_fits(int32_t n, int64_t max);
void gp_treedp_free(gp_treedp *dp);

/**
 * Draw a random spanning tree of the connected region `verts` (random-key Kruskal over the
 * edges between vertices u with in[u] == stamp, which must hold exactly for `verts`) and decide
 * exactly whether cutting some of its edges leaves parts of [min, max] households each; if
 * so, write a part id per component vertex into label[] (indexed by vertex id) and return the
 * number of parts, else return 0. Parts are steered towards `target` households. Never
 * allocates. `*rng` is the caller's random state.
 */
int32_t gp_treedp_split(gp_treedp *dp, const gp_graph *g, const int64_t *hh, const uint32_t *in,
                        uint32_t stamp, const int32_t *verts, int32_t nv, int64_t min, int64_t max,
                        int64_t target, uint64_t *rng, int32_t *label);

/* Called during gp_treedp_split with the work done since the last call, in the search's
 * work units; returns non-zero to stop the split at once (it then returns 0). */
typedef int (*gp_treedp_poll_fn)(void *user, double units);

/** Set the poll (NULL: none). */
void gp_treedp_set_poll(gp_treedp *dp, gp_treedp_poll_fn fn, void *user);

/** Work of the last gp_treedp_split not yet handed to the poll, in the same units: bit tests
 * and bitset words, O(nv x (max + popcount x words)), what a tree really costs. */
double gp_treedp_unpolled(const gp_treedp *dp);

#endif /* GP_PARTITION_TREEDP_H */
