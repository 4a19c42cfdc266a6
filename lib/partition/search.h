/* SPDX-License-Identifier: MIT */
/** @file search.h One restart of the optimizer on one connected component (internal). */

#ifndef GP_PARTITION_SEARCH_H
#define GP_PARTITION_SEARCH_H

#include "graph/graph.h"
#include "objective.h"

#include <stdatomic.h>
#include <stdint.h>

/* Workload band around the mean grid workload inside which only cost matters: grids within
 * it have a workload max/mean of at most 1.24, under the 1.25 the optimizer is held to, and
 * between the grids it leaves room for compact shapes and cheap borders. */
static const double GP_WORKLOAD_BAND = 0.24;

/* The band when the weighted workload is balanced (weights or extra loads given, balance not
 * households): the user has asked for even work, so grids are held to max/mean 1.10 at the
 * price of shape. On Providence with the issue #13 inputs (elderly 5-40% by community, 240
 * clustered shops), the mean over communities of (max/mean workload - 1) is 0.089 against
 * 0.173 balancing households (0.162 with the band above), mean Polsby-Popper 0.600 against
 * 0.633, cut cost +8%. */
static const double GP_WORKLOAD_BAND_WEIGHTED = 0.10;

/* The objective (gp_score, five named terms) is objective.h's. */

/* What every restart shares: read-only after setup. */
typedef struct {
    const gp_graph *g;
    const int64_t *hh;   /* households per vertex */
    const double *wl;    /* balanced quantity per vertex: workload or households */
    const uint8_t *skip; /* vertices outside every component searched (over max) */
    int64_t min;
    int64_t max;
    double band;         /* workload band: mean x (1 +- band) */
    atomic_int *cancel;  /* set when the caller cancelled: stop soon */
    int fixed_k;         /* the grid count is fixed: a restart must not change it */
    double shape_weight; /* cost per metre of perimeter beyond a circle's; 0: no shape data */
    double cap;          /* workload cap per grid (on wl); 0: none */
} gp_search_shared;

/* Scratch of one worker, sized for the whole graph and reused by every task it runs. */
typedef struct gp_search_work gp_search_work;

/* A checkpoint hook the main thread uses to report progress; returns non-zero to stop. */
typedef int (*gp_search_tick_fn)(void *user);

/* One task: one restart on one component. */
typedef struct {
    const int32_t *verts; /* the component's vertices, lowest id first */
    int32_t nv;
    int32_t k;          /* grids wanted */
    int64_t households; /* component total */
    double workload;    /* component total */
    uint64_t seed;      /* per-task seed derived from the options' seed */
    int32_t restart;    /* index among the component's restarts (0: no jitter in growing) */
    double budget;      /* work units allowed */
    int32_t *out;       /* receives a grid id in [0, k) per component vertex, by position */
    gp_score score;     /* result */
    int32_t k_out;      /* grids produced */
} gp_search_task;

/* Allocates scratch for graphs of n vertices and m entries and bounds up to max households;
 * NULL when out of memory. */
gp_search_work *gp_search_work_new(int32_t n, int32_t m, int64_t max);
void gp_search_work_free(gp_search_work *w);
void gp_search_work_set_tick(gp_search_work *w, gp_search_tick_fn fn, void *user);

/* Runs the task; never allocates. Returns 0, or non-zero when cancelled. */
int gp_search_run(const gp_search_shared *sh, gp_search_work *w, gp_search_task *t);

/* For tests, after gp_search_run on w: the recombinations its memo of exhausted pairs skipped;
 * and how many pairs of adjacent grids of the final division one more exact recombination
 * (every split of the pair enumerated, no random trees) would improve, with *exact the pairs
 * so recombined. Changes the division in w (the task's output is already written). */
int64_t gp_search_memo_skips(const gp_search_work *w);
int64_t gp_search_improvable_pairs(gp_search_work *w, int64_t *exact);

/* Lexicographic comparison with a relative tolerance on the real-valued terms: <0 when a is
 * better than b. */
int gp_score_cmp(gp_score a, gp_score b);

#endif /* GP_PARTITION_SEARCH_H */
