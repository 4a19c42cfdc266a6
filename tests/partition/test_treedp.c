/* SPDX-License-Identifier: MIT */
/** @file test_treedp.c The exact spanning-tree division: valid parts, found whenever a path allows.
 */

#include "graph/graph.h"
#include "partition/treedp.h"

#include "gridpart.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* A path 0-1-...-(n-1): its only spanning tree is itself, so the DP is exact on it. */
static gp_graph *path_graph(gp_context *ctx, int32_t n, const int64_t *hh)
{
    int32_t *xadj = calloc((size_t)n + 1, sizeof *xadj);
    int32_t *adj = calloc(2 * (size_t)n, sizeof *adj);
    int32_t m = 0;
    for (int32_t v = 0; v < n; v++) {
        xadj[v] = m;
        if (v > 0) {
            adj[m++] = v - 1;
        }
        if (v + 1 < n) {
            adj[m++] = v + 1;
        }
    }
    xadj[n] = m;
    gp_graph *g = NULL;
    cr_assert_eq(gp_graph_new(ctx, n, xadj, adj, &g), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, g, hh), GP_OK);
    free(xadj);
    free(adj);
    return g;
}

/* Brute force over the 2^(n-1) ways to cut a path: does any leave every part in bounds? */
static int path_feasible(const int64_t *hh, int32_t n, int64_t lo, int64_t hi)
{
    for (uint32_t cuts = 0; cuts < (1u << (n - 1)); cuts++) {
        int64_t sum = 0;
        int ok = 1;
        for (int32_t v = 0; v < n && ok; v++) {
            sum += hh[v];
            if (v == n - 1 || (cuts >> v) & 1u) {
                ok = sum >= lo && sum <= hi;
                sum = 0;
            }
        }
        if (ok) {
            return 1;
        }
    }
    return 0;
}

Test(treedp, exact_on_paths_and_parts_are_valid)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    enum { N = 12 };
    gp_treedp *dp = gp_treedp_new(N, 2 * N, 500);
    cr_assert_not_null(dp);
    uint32_t in[N];
    int32_t verts[N], label[N];
    for (int32_t i = 0; i < N; i++) {
        verts[i] = i;
    }
    uint64_t rng = 42;
    srand(7);
    int feasible_seen = 0;
    for (int trial = 0; trial < 300; trial++) {
        int64_t hh[N], total = 0;
        for (int32_t v = 0; v < N; v++) {
            hh[v] = rand() % 5 == 0 ? 0 : 20 + rand() % 280;
            total += hh[v];
        }
        gp_graph *g = path_graph(ctx, N, hh);
        for (int32_t v = 0; v < N; v++) {
            in[v] = 1;
        }
        int32_t parts = gp_treedp_split(dp, g, hh, in, 1, verts, N, 300, 500, 400, &rng, label);
        int expect = path_feasible(hh, N, 300, 500);
        cr_assert_eq(parts > 0, expect, "trial %d: DP says %d, brute force %d", trial, parts,
                     expect);
        feasible_seen += expect;
        if (parts > 0) {
            /* labels: contiguous runs on a path, each run's sum in bounds, ids 0..parts-1 */
            int64_t sums[N] = {0};
            for (int32_t v = 0; v < N; v++) {
                cr_assert(label[v] >= 0 && label[v] < parts);
                sums[label[v]] += hh[v];
                if (v > 0 && label[v] != label[v - 1]) {
                    for (int32_t u = 0; u < v - 1; u++) {
                        cr_assert_neq(label[u], label[v], "part %d is not connected", label[v]);
                    }
                }
            }
            int64_t check = 0;
            for (int32_t p = 0; p < parts; p++) {
                cr_assert(sums[p] >= 300 && sums[p] <= 500, "part %d holds %lld", p,
                          (long long)sums[p]);
                check += sums[p];
            }
            cr_assert_eq(check, total);
        }
        gp_graph_free(g);
    }
    cr_assert_geq(feasible_seen, 30, "the trials must include feasible paths");
    cr_assert_lt(feasible_seen, 300, "the trials must include infeasible paths");
    gp_treedp_free(dp);
    gp_context_free(ctx);
}

Test(treedp, too_large_bounds_are_declined)
{
    cr_assert(!gp_treedp_fits(1000, 1 << 20));
    cr_assert_null(gp_treedp_new(1000, 4000, 1 << 20));
    cr_assert(gp_treedp_fits(1000, 500));
}

/* The poll sees the work a tree really costs, and stops it when asked (issue #15). */
typedef struct {
    double units;
    int calls;
    int stop_at; /* stop on this call; 0: never */
} poll_log;

static int log_poll(void *user, double units)
{
    poll_log *pl = user;
    pl->units += units;
    pl->calls++;
    return pl->stop_at > 0 && pl->calls >= pl->stop_at;
}

Test(treedp, work_is_charged_and_polled)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    enum { N = 200 };
    int64_t hh[N];
    uint32_t in[N];
    int32_t verts[N], label[N];
    for (int32_t v = 0; v < N; v++) {
        hh[v] = 100;
        in[v] = 1;
        verts[v] = v;
    }
    gp_graph *g = path_graph(ctx, N, hh);
    gp_treedp *dp = gp_treedp_new(N, 2 * N, 500);
    cr_assert_not_null(dp);
    poll_log pl = {0, 0, 0};
    gp_treedp_set_poll(dp, log_poll, &pl);
    uint64_t rng = 5;
    int32_t parts = gp_treedp_split(dp, g, hh, in, 1, verts, N, 300, 500, 400, &rng, label);
    cr_expect_gt(parts, 0);
    double total = pl.units + gp_treedp_unpolled(dp);
    /* Every child merge scans the max + 1 = 501 sums (and the top-down pass as many again), in
     * units of 4 bit tests: at least (N - 1) x 501 / 4; the old charge was 40 per vertex. */
    cr_expect_geq(total, (N - 1) * 501.0 / 4, "charged %.0f units", total);
    cr_expect_geq(pl.calls, N / 32, "polled %d times", pl.calls);
    /* A poll that says stop ends the split at once, without a division. */
    poll_log stop = {0, 0, 2};
    gp_treedp_set_poll(dp, log_poll, &stop);
    cr_expect_eq(gp_treedp_split(dp, g, hh, in, 1, verts, N, 300, 500, 400, &rng, label), 0);
    cr_expect_eq(stop.calls, 2);
    gp_treedp_free(dp);
    gp_graph_free(g);
    gp_context_free(ctx);
}
