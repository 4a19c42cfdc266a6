/* SPDX-License-Identifier: MIT */
/**
 * @file keep.c `adjust`: a community whose previous division still holds keeps it as it was,
 * without the split stage or a search.
 *
 * It holds when every street block lies in one previous grid (GP_PREV_MATCH_SHARE of its area,
 * its households all in that grid), and the blocks of each previous grid are connected and hold
 * [min, max] households, or more only by necessity: a grid above the maximum holds a block of
 * a single household feature above it, and besides it fewer households than the minimum (what
 * the optimizer itself does with such a block, partition/leftover.c). A fixed grid count must
 * be met as well. The partition is then the labels, with the optimizer's statistics.
 */

#include "keep.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "partition/partition.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Dense grid ids in order of each grid's lowest vertex (as the optimizer numbers them); -1
 * when some vertex has no label. */
static int32_t dense_ids(const gp_keep_view *b, int32_t *id, int32_t *remap)
{
    int32_t k = 0;
    for (int32_t p = 0; p < b->n_labels; p++) {
        remap[p] = -1;
    }
    for (int32_t v = 0; v < b->n; v++) {
        int32_t p = b->label[v];
        if (p < 0 || p >= b->n_labels) {
            return -1;
        }
        if (remap[p] < 0) {
            remap[p] = k++;
        }
        id[v] = remap[p];
    }
    return k;
}

/* Every grid's vertices connected (one search per grid over the graph). */
static int connected(const gp_keep_view *b, const int32_t *id, int32_t k, int32_t *stack,
                     uint8_t *seen)
{
    memset(seen, 0, (size_t)b->n);
    int32_t found = 0;
    for (int32_t v = 0; v < b->n; v++) {
        if (seen[v]) {
            continue;
        }
        if (++found > k) {
            return 0; /* a second piece of some grid */
        }
        int32_t top = 0;
        stack[top++] = v;
        seen[v] = 1;
        while (top > 0) {
            int32_t u = stack[--top];
            for (int32_t e = b->xadj[u]; e < b->xadj[u + 1]; e++) {
                int32_t w = b->adjncy[e];
                if (!seen[w] && id[w] == id[u]) {
                    seen[w] = 1;
                    stack[top++] = w;
                }
            }
        }
    }
    return found == k;
}

/* Within the bounds and the workload cap, or above the maximum only by an indivisible block;
 * problems for those. */
static int bounds_hold(const gp_keep_view *b, const gp_options *opts, gp_partition *p)
{
    for (int32_t g = 0; g < p->grids; g++) {
        if (p->households[g] < opts->min_households ||
            (opts->max_workload > 0 && p->workload[g] > opts->max_workload)) {
            return 0;
        }
        if (p->households[g] <= opts->max_households) {
            continue;
        }
        int32_t big = -1;
        for (int32_t v = 0; v < b->n; v++) {
            if (p->part[v] == g && b->indivisible[v]) {
                big = big < 0 || b->households[v] > b->households[big] ? v : big;
            }
        }
        if (big < 0 || p->households[g] - b->households[big] >= opts->min_households) {
            return 0;
        }
        p->out_of_bounds++;
        if (gp_partition_add_problem(p, GP_PROBLEM_VERTEX_OVER_MAX, big,
                                     "vertex %d holds %" PRId64 " households, above the maximum "
                                     "%" PRId64 ": it forms grid %d of %d vertices, %" PRId64
                                     " households in all (kept from the previous division)",
                                     (int)big, b->households[big], opts->max_households, (int)g,
                                     (int)p->vertices[g], p->households[g]) != GP_OK) {
            return -1;
        }
    }
    return 1;
}

/* Households, workload (weighted, or the households), cut cost, balance. */
static void statistics(const gp_keep_view *b, gp_partition *p)
{
    double cut = 0.0;
    for (int32_t v = 0; v < b->n; v++) {
        int32_t g = p->part[v];
        p->households[g] += b->households[v];
        p->workload[g] += b->workload ? b->workload[v] : (double)b->households[v];
        p->vertices[g]++;
        for (int32_t e = b->xadj[v]; e < b->xadj[v + 1]; e++) {
            if (p->part[b->adjncy[e]] != g) {
                cut += (b->border ? b->border[e] : 1.0) * (b->cost ? b->cost[e] : 1.0);
            }
        }
    }
    p->cut = cut / 2;
    double wmax = 0.0, wsum = 0.0;
    for (int32_t g = 0; g < p->grids; g++) {
        wsum += p->workload[g];
        wmax = fmax(wmax, p->workload[g]);
        p->pp[g] = NAN;
    }
    double mean = p->grids > 0 ? wsum / p->grids : 0.0;
    p->workload_ratio = p->grids == 0 ? 0.0 : (mean > 0 ? wmax / mean : 1.0);
}

gp_status gp_keep_labels(gp_context *ctx, const gp_keep_view *b, const gp_options *opts,
                         gp_partition **out)
{
    *out = NULL;
    if (b->n == 0 || b->n_labels == 0) {
        return GP_OK;
    }
    int32_t *id = gp_malloc((size_t)b->n * sizeof *id);
    int32_t *remap = gp_malloc((size_t)b->n_labels * sizeof *remap);
    int32_t *stack = gp_malloc((size_t)b->n * sizeof *stack);
    uint8_t *seen = gp_malloc((size_t)b->n);
    gp_partition *p = NULL;
    gp_status st = GP_OK;
    if (id == NULL || remap == NULL || stack == NULL || seen == NULL) {
        st = gp_error_nomem(ctx, "the previous division");
        goto done;
    }
    int32_t k = dense_ids(b, id, remap);
    if (k <= 0 || (opts->grid_count > 0 && k != opts->grid_count) ||
        !connected(b, id, k, stack, seen)) {
        goto done;
    }
    if ((p = gp_partition_alloc(b->n, k)) == NULL) {
        st = gp_error_nomem(ctx, "the previous division");
        goto done;
    }
    memcpy(p->part, id, (size_t)b->n * sizeof *id);
    p->mean_pp = NAN;
    statistics(b, p);
    int holds = bounds_hold(b, opts, p);
    if (holds < 0) {
        st = gp_error_nomem(ctx, "the previous division");
    } else if (holds > 0) {
        *out = p;
        p = NULL;
    }
done:
    gp_partition_free(p);
    gp_free(id);
    gp_free(remap);
    gp_free(stack);
    gp_free(seen);
    return st;
}

gp_status gp_keep_previous(gp_context *ctx, const gp_blocks *b, const gp_prev_community *pc,
                           const gp_options *opts, gp_partition **out)
{
    *out = NULL;
    int32_t *label = gp_malloc(((size_t)b->n + 1) * sizeof *label);
    uint8_t *indivisible = gp_malloc((size_t)b->n + 1);
    if (label == NULL || indivisible == NULL) {
        gp_free(label);
        gp_free(indivisible);
        return gp_error_nomem(ctx, "the previous division");
    }
    for (int32_t v = 0; v < b->n; v++) {
        int ok = pc->block_share[v] >= GP_PREV_MATCH_SHARE && !pc->block_hh_split[v];
        label[v] = ok ? pc->block_label[v] : -1;
        /* One household feature: nothing divides the block. */
        indivisible[v] =
            b->households[v] > opts->max_households && b->hh_start[v + 1] - b->hh_start[v] <= 1;
    }
    gp_keep_view kv = {
        b->n,         b->xadj, b->adjncy,   b->households, b->workload, b->border_length,
        b->edge_cost, label,   indivisible, pc->n};
    gp_status st = gp_keep_labels(ctx, &kv, opts, out);
    gp_free(label);
    gp_free(indivisible);
    return st;
}
