/* SPDX-License-Identifier: MIT */
/**
 * @file objective.h The optimizer's objective: its terms and how they compare (internal).
 *
 * One definition, inline, for the two places that score: the search (search.c), which scores
 * whole divisions, recombined pairs and single moves, and the exact pair splitter
 * (pairsplit.c), which scores every connected split of a region inside its enumeration.
 */

#ifndef GP_PARTITION_OBJECTIVE_H
#define GP_PARTITION_OBJECTIVE_H

#include <math.h>
#include <stdint.h>

/*
 * The objective of a division: five named terms compared in this order (lexicographic), each
 * smaller better. Two are hard rules, met whenever any division meets them; three are goals.
 *   viol    households outside [min, max], summed over grids              (hard: bounds)
 *   cap     workload above the cap, summed over grids; 0 without a cap    (hard: workload cap)
 *   moved   households whose grid is not the one they started in, with a previous division
 *           (gp_graph_set_previous); 0 without one                          (goal: stability)
 *   excess  balanced quantity (workload or households, gp_balance_mode) outside the band
 *           around the mean grid, summed over grids                        (goal: balance)
 *   cost    cut cost (border length x street class cost over cut edges) plus, with shape
 *           data, shape_weight x the compactness penalty of every grid     (goal: borders, shape)
 * Fewest households moved thus comes right after the hard rules: a previous division that
 * holds is kept, and one that breaks a rule is repaired with as few moves as the rules allow
 * before balance, borders and shapes are improved. The same struct scores whole divisions,
 * the two grids of a recombination and the change a single move makes.
 */
enum { GP_SCORE_TERMS = 5 };
typedef struct {
    int64_t viol;
    double cap;
    int64_t moved;
    double excess;
    double cost;
} gp_score;

/* What the per-grid terms of one component's search read: the household bounds, the workload
 * cap (0: none), the workload band around the component's mean grid, and the shape weight
 * (0: no shape term) with the scale that turns a grid's compactness penalty into metres. */
typedef struct {
    int64_t min;
    int64_t max;
    double cap;
    double lo_w;
    double hi_w;
    double shape_weight;
    double shape_scale; /* perimeter of the disc of the component's mean grid area */
} gp_objective;

static const double GP_OBJECTIVE_PI = 3.14159265358979323846;

/* Real-valued terms compare with a relative tolerance, so that sums taken in another order
 * (incremental against from scratch) do not decide. */
static inline int gp_real_cmp(double a, double b)
{
    /* fmax without the call: the terms are never NaN. */
    double fa = fabs(a);
    double fb = fabs(b);
    double m = fa > fb ? fa : fb;
    double t = 1e-9 * (m > 1.0 ? m : 1.0);
    return a < b - t ? -1 : (a > b + t ? 1 : 0);
}

/* Households of a grid of `h` outside [min, max]. */
static inline int64_t gp_objective_viol(const gp_objective *o, int64_t h)
{
    return (h < o->min ? o->min - h : 0) + (h > o->max ? h - o->max : 0);
}

/* Workload above the cap (0 without one). */
static inline double gp_objective_cap(const gp_objective *o, double x)
{
    return o->cap > 0 && x > o->cap ? x - o->cap : 0.0;
}

/* Balanced quantity outside the band. */
static inline double gp_objective_excess(const gp_objective *o, double x)
{
    return (x > o->hi_w ? x - o->hi_w : 0.0) + (x < o->lo_w ? o->lo_w - x : 0.0);
}

/*
 * The compactness penalty of a grid: 1 - Polsby-Popper (0 for a disc, near 1 for a sliver),
 * times the perimeter of the disc of the component's mean grid area, so that it is measured in
 * metres like cut cost (border metres x class cost) and weighs alike at every scale; 0 without
 * shape data. A grid's own ratio rather than its perimeter counts, as the reported mean
 * Polsby-Popper does: small grids matter as much as large ones.
 */
static inline double gp_objective_shape(const gp_objective *o, double perimeter, double area)
{
    if (o->shape_weight == 0 || perimeter <= 0) {
        return 0;
    }
    double pp = 4.0 * GP_OBJECTIVE_PI * area / (perimeter * perimeter);
    return o->shape_weight * o->shape_scale * (1.0 - pp);
}

/* The households that change grid when a region split in two is labelled with its pair's two
 * grids the better way: `in_*` of one side and `all_*` of the region, by where they started (a:
 * the pair's first grid, b: its second, k: any grid). */
static inline int64_t gp_objective_moved(int64_t in_a, int64_t in_b, int64_t in_k,
                                         int64_t all_a, int64_t all_b, int64_t all_k)
{
    int64_t rest_k = all_k - in_k;
    int64_t as_a = (in_k - in_a) + (rest_k - (all_b - in_b));
    int64_t as_b = (in_k - in_b) + (rest_k - (all_a - in_a));
    return as_a < as_b ? as_a : as_b;
}

/* A score as an array of GP_SCORE_TERMS doubles (the pair splitter's bound and result), and
 * back: an unbounded count (INT64_MAX) is 1e19 there. */
static inline void gp_score_put(gp_score sc, double out[GP_SCORE_TERMS])
{
    out[0] = sc.viol == INT64_MAX ? 1e19 : (double)sc.viol;
    out[1] = sc.cap;
    out[2] = sc.moved == INT64_MAX ? 1e19 : (double)sc.moved;
    out[3] = sc.excess;
    out[4] = sc.cost;
}

static inline gp_score gp_score_get(const double in[GP_SCORE_TERMS])
{
    gp_score sc = {in[0] >= 9e18 ? INT64_MAX : (int64_t)in[0], in[1],
                   in[2] >= 9e18 ? INT64_MAX : (int64_t)in[2], in[3], in[4]};
    return sc;
}

#endif /* GP_PARTITION_OBJECTIVE_H */
