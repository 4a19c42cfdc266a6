/* SPDX-License-Identifier: MIT */
/** @file pairsplit.h Exact division of a small region into two connected parts (internal). */

#ifndef GP_PARTITION_PAIRSPLIT_H
#define GP_PARTITION_PAIRSPLIT_H

#include "objective.h"

#include <stdint.h>

/* Regions of at most this many vertices are split exactly: vertex sets are bit sets. Scores
 * have as many terms as the optimizer's objective (search.h). */
enum { GP_PAIRSPLIT_MAX = 64, GP_PAIRSPLIT_TERMS = 5 };

/* One split: both sides' households, workloads, perimeters (border length of the cut
 * included) and areas, the cut cost between them, and the households that change grid when
 * the two sides are labelled with the pair's two grids in the better of the two ways. */
typedef struct {
    int64_t hh[2];
    double wl[2];
    double cut;
    double perimeter[2];
    double area[2];
    int64_t moved;
} gp_pairsplit_sides;

/*
 * The objective of a split as GP_PAIRSPLIT_TERMS lexicographic terms, smaller better. Returns
 * non-zero when the split beats `bound`, the best so far, which lets the caller keep its own
 * comparison rule, and then writes the terms to `out` (left as is otherwise, so that scoring
 * may stop at the first term that decides).
 */
typedef int (*gp_pairsplit_score_fn)(void *user, const gp_pairsplit_sides *sides,
                                     const double bound[GP_PAIRSPLIT_TERMS],
                                     double out[GP_PAIRSPLIT_TERMS]);

/* A region: vertices 0 .. n-1, each with its neighbours in the region as a bit set and its
 * edges to them (adjacency lists by xadj, with the cut cost and border length of each). With
 * a previous division, home_a / home_b / home_any hold a vertex's households when it started
 * in the pair's first grid / second grid / any grid (all 0 without one). */
typedef struct {
    int32_t n;
    uint64_t adj[GP_PAIRSPLIT_MAX];
    int64_t hh[GP_PAIRSPLIT_MAX];
    double wl[GP_PAIRSPLIT_MAX];
    double open[GP_PAIRSPLIT_MAX]; /* perimeter not shared with other region vertices */
    double area[GP_PAIRSPLIT_MAX];
    int64_t home_a[GP_PAIRSPLIT_MAX];
    int64_t home_b[GP_PAIRSPLIT_MAX];
    int64_t home_any[GP_PAIRSPLIT_MAX];
    int32_t xadj[GP_PAIRSPLIT_MAX + 1];
    const int32_t *to;    /* region vertex at the other end of each edge */
    const double *cost;   /* cut cost of each edge */
    const double *border; /* border length of each edge */
} gp_pairsplit_region;

typedef struct {
    int found;     /* a split beating the initial bound was found */
    int complete;  /* every connected split within the household range was seen */
    uint64_t side; /* the best split's side holding vertex 0 */
    double score[GP_PAIRSPLIT_TERMS];
    double perimeter[2]; /* of the side with vertex 0, and of the rest */
    double work;         /* vertices and edges visited */
} gp_pairsplit_result;

/*
 * Enumerates every set S holding vertex 0 such that S and the rest are both non-empty and
 * connected and S holds lo to hi households (households are >= 0, so a set above hi is not
 * grown further), scoring each by `score` against the best so far, starting from `bound`.
 * Stops after `cap` work units, and then says the result is not complete. Never allocates.
 */
void gp_pairsplit(const gp_pairsplit_region *r, int64_t lo, int64_t hi, double cap,
                  gp_pairsplit_score_fn score, void *user, const double bound[GP_PAIRSPLIT_TERMS],
                  gp_pairsplit_result *out);

/*
 * gp_pairsplit scoring each split by the optimizer's objective `obj` (objective.h: the two
 * sides as two grids, terms in gp_score_put's order, compared as gp_score_cmp compares them
 * but stopping at the first term that decides) inside the enumeration: no call, no struct per
 * split. The same splits, result and work as gp_pairsplit with a callback scoring that way.
 */
void gp_pairsplit_by_objective(const gp_pairsplit_region *r, int64_t lo, int64_t hi, double cap,
                               const gp_objective *obj, const double bound[GP_PAIRSPLIT_TERMS],
                               gp_pairsplit_result *out);

#endif /* GP_PARTITION_PAIRSPLIT_H */
