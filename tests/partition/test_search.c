/* SPDX-License-Identifier: MIT */
/** @file test_search.c One restart of the search (search.c) run directly: where it ends. */

#include "synth_city.h"

#include "graph/graph.h"
#include "partition/search.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

/* The search stops only when a whole round (every pair of adjacent grids recombined, then
 * boundary moves) changes nothing; the memo of exhausted pairs skips a pair whose last exact
 * recombination found nothing until one of its grids changes. So where the search ends, one
 * more exact recombination of any pair finds nothing better: had the memo skipped a pair that
 * could still improve, it would show here. */
Test(partition, search_ends_on_its_optimum)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(2000, 7, &c), 0);
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_graph_new(ctx, c.n, c.xadj, c.adjncy, &g), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, g, c.households), GP_OK);
    cr_assert_eq(gp_graph_set_edges(ctx, g, c.border, c.cut_cost), GP_OK);
    cr_assert_eq(gp_graph_set_shape(ctx, g, c.area, c.perimeter), GP_OK);
    const int64_t max = 500;
    double *wl = malloc(sizeof *wl * (size_t)c.n);
    uint8_t *skip = calloc((size_t)c.n, 1);
    int32_t *verts = malloc(sizeof *verts * (size_t)c.n);
    int32_t *out = malloc(sizeof *out * (size_t)c.n);
    uint8_t *seen = calloc((size_t)c.n, 1);
    cr_assert(wl != NULL && skip != NULL && verts != NULL && out != NULL && seen != NULL);
    for (int32_t v = 0; v < c.n; v++) {
        wl[v] = (double)c.households[v];
        skip[v] = c.households[v] > max;
    }
    /* The component of the first vertex searchable, lowest id first (as the optimizer). */
    int32_t nv = 0;
    int32_t src = 0;
    while (skip[src]) {
        src++;
    }
    verts[nv++] = src;
    seen[src] = 1;
    for (int32_t h = 0; h < nv; h++) {
        for (int32_t e = c.xadj[verts[h]]; e < c.xadj[verts[h] + 1]; e++) {
            int32_t u = c.adjncy[e];
            if (!skip[u] && !seen[u]) {
                seen[u] = 1;
                verts[nv++] = u;
            }
        }
    }
    cr_assert_gt(nv, c.n * 9 / 10, "component of %d of %d blocks", nv, c.n);
    nv = 0;
    for (int32_t v = 0; v < c.n; v++) {
        if (seen[v]) {
            verts[nv++] = v;
        }
    }
    int64_t households = 0;
    for (int32_t i = 0; i < nv; i++) {
        households += c.households[verts[i]];
    }
    atomic_int cancel = 0;
    gp_search_shared sh = {g, g->households, wl, skip, 300, max, GP_WORKLOAD_BAND, &cancel,
                           0, 6.0,           0};
    int32_t k = (int32_t)llround((double)households / 400.0);
    gp_search_task t = {verts,           nv, k, households, (double)households, 1, 0, 1e12, out,
                        {0, 0, 0, 0, 0}, 0};
    gp_search_work *w = gp_search_work_new(c.n, c.xadj[c.n], max);
    cr_assert(w != NULL);
    cr_assert_eq(gp_search_run(&sh, w, &t), 0);
    cr_assert_eq(t.score.viol, 0);
    /* The memo was used, and skipped only pairs with nothing left to find. */
    cr_assert_gt(gp_search_memo_skips(w), 100, "skips %lld", (long long)gp_search_memo_skips(w));
    int64_t exact = 0;
    int64_t better = gp_search_improvable_pairs(w, &exact);
    cr_assert_gt(exact, 3 * k / 2, "%lld pairs split exactly, %d grids", (long long)exact, k);
    cr_assert_eq(better, 0, "%lld of %lld pairs still improve", (long long)better,
                 (long long)exact);
    gp_search_work_free(w);
    free(seen);
    free(out);
    free(verts);
    free(skip);
    free(wl);
    gp_graph_free(g);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}
