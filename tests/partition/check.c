/* SPDX-License-Identifier: MIT */
/** @file check.c Property checks applied to every partition the tests produce. */

#include "check.h"

#include "core/options.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static gp_partition *gp_check_run(const gp_test_graph *tg, const gp_options *base, int32_t threads)
{
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_graph *g = NULL;
    gp_partition *p = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_clone(base, &opts), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, opts, threads), GP_OK);
    cr_assert_eq(gp_graph_new(ctx, tg->n, tg->xadj, tg->adjncy, &g), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(gp_graph_set_households(ctx, g, tg->households), GP_OK);
    if (tg->edge_cost != NULL) {
        cr_assert_eq(gp_graph_set_edges(ctx, g, tg->edge_cost, NULL), GP_OK);
    }
    gp_status st = gp_graph_partition(ctx, g, opts, &p);
    cr_assert_eq(st, GP_OK, "partition failed: %s", gp_context_last_error(ctx));
    gp_graph_free(g);
    gp_options_free(opts);
    gp_context_free(ctx);
    return p;
}

gp_partition *gp_check_partition(const gp_test_graph *tg, const gp_options *opts)
{
    gp_partition *p = gp_check_run(tg, opts, 1);
    gp_partition *q = gp_check_run(tg, opts, 2);
    int32_t n = tg->n;
    int32_t k = gp_partition_grid_count(p);
    const int32_t *a = gp_partition_assignment(p);
    cr_assert_eq(gp_partition_vertex_count(p), n);
    cr_assert_eq(gp_partition_grid_count(q), k, "grid count differs between 1 and 2 threads");
    cr_assert(n == 0 || memcmp(a, gp_partition_assignment(q), sizeof *a * (size_t)n) == 0,
              "assignment differs between 1 and 2 threads");
    cr_assert_eq(gp_partition_cut_cost(p), gp_partition_cut_cost(q));
    gp_partition_free(q);

    int64_t *hh = calloc((size_t)k + 1, sizeof *hh);
    int32_t *nv = calloc((size_t)k + 1, sizeof *nv);
    int32_t *first = malloc(sizeof *first * ((size_t)k + 1));
    uint8_t *seen = calloc((size_t)n + 1, 1);
    int32_t *queue = malloc(sizeof *queue * ((size_t)n + 1));
    int64_t total = 0;
    for (int32_t gi = 0; gi < k; gi++) {
        first[gi] = -1;
    }
    for (int32_t v = 0; v < n; v++) {
        cr_assert(a[v] >= 0 && a[v] < k, "vertex %d has grid %d of %d", v, a[v], k);
        hh[a[v]] += tg->households[v];
        nv[a[v]]++;
        total += tg->households[v];
        if (first[a[v]] < 0) {
            first[a[v]] = v;
        }
    }
    int64_t sum = 0;
    int64_t mn = opts->min_households;
    int64_t mx = opts->max_households;
    int32_t oob = 0;
    for (int32_t gi = 0; gi < k; gi++) {
        cr_assert_gt(nv[gi], 0, "grid %d is empty", gi);
        cr_assert_eq(gp_partition_grid_households(p, gi), hh[gi]);
        cr_assert_eq(gp_partition_grid_vertices(p, gi), nv[gi]);
        sum += hh[gi];
        /* Contiguity: a search inside the grid from its first vertex reaches all of it. */
        int32_t h = 0;
        int32_t t = 0;
        queue[t++] = first[gi];
        seen[first[gi]] = 1;
        while (h < t) {
            int32_t v = queue[h++];
            for (int32_t e = tg->xadj[v]; e < tg->xadj[v + 1]; e++) {
                int32_t u = tg->adjncy[e];
                if (a[u] == gi && !seen[u]) {
                    seen[u] = 1;
                    queue[t++] = u;
                }
            }
        }
        cr_assert_eq(t, nv[gi], "grid %d is not connected (%d of %d vertices reached)", gi, t,
                     nv[gi]);
        if (hh[gi] < mn || hh[gi] > mx) {
            oob++;
        }
    }
    cr_assert_eq(sum, total, "households not conserved");
    cr_assert_eq(gp_partition_out_of_bounds(p), oob);
    /* Never a silent violation: an out-of-bounds grid comes with at least one problem. */
    if (oob > 0) {
        cr_assert_gt(gp_partition_problem_count(p), 0, "%d grids out of bounds, no problem", oob);
    }
    for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
        cr_assert_gt(strlen(gp_partition_problem_message(p, i)), 0);
        int32_t pv = gp_partition_problem_vertex(p, i);
        cr_assert(pv >= 0 && pv < (n > 0 ? n : 1));
    }
    free(hh);
    free(nv);
    free(first);
    free(seen);
    free(queue);
    return p;
}
