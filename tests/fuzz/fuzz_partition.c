/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_partition.c libFuzzer target for the optimizer alone: bytes become a small graph
 * (vertices, edges, households, cut costs, optional shapes, workload and previous assignment)
 * and options (balance, workload cap); the result must satisfy the optimizer's contract or the
 * target aborts. Part of the contract: a result within every bound, given back as the previous
 * assignment, is kept exactly (0 households moved, the same grids).
 *
 * Build with `meson setup build-fuzz -Dfuzz=true` under clang (see tests/fuzz/meson.build);
 * `replay.c` runs the same checks on deterministic inputs in every test run.
 */

#include "gridpart.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { GP_FUZZ_MAX_N = 48 };

typedef struct {
    const uint8_t *p;
    size_t left;
} gp_bytes;

static uint8_t gp_take(gp_bytes *b)
{
    if (b->left == 0) {
        return 0;
    }
    b->left--;
    return *b->p++;
}

static void gp_fail(const char *what)
{
    fprintf(stderr, "fuzz_partition: contract broken: %s\n", what);
    abort();
}

/* Partitions with the given thread count; aborts unless the result keeps the contract. */
static gp_partition *gp_fuzz_run(gp_context *ctx, const gp_graph *g, gp_options *o, int32_t threads,
                                 int32_t n, const int32_t *xadj, const int32_t *adj,
                                 const int64_t *hh, int64_t mn, int64_t mx)
{
    if (gp_options_set_threads(ctx, o, threads) != GP_OK) {
        gp_fail("threads rejected");
    }
    gp_partition *p = NULL;
    gp_status st = gp_graph_partition(ctx, g, o, &p);
    if (st != GP_OK) {
        /* A fixed grid count can be impossible (more grids than vertices): an error, not a
         * crash, and with a message. */
        if (p != NULL || gp_context_last_error(ctx)[0] == '\0') {
            gp_fail("error without message, or result on error");
        }
        return NULL;
    }
    int32_t k = gp_partition_grid_count(p);
    const int32_t *part = gp_partition_assignment(p);
    if ((n > 0 && k <= 0) || k > n) {
        gp_fail("grid count out of range");
    }
    int64_t *sum = calloc((size_t)k + 1, sizeof *sum);
    int32_t *seen = calloc((size_t)n + 1, sizeof *seen);
    int32_t *queue = calloc((size_t)n + 1, sizeof *queue);
    int32_t *size = calloc((size_t)k + 1, sizeof *size);
    if (sum == NULL || seen == NULL || queue == NULL || size == NULL) {
        abort();
    }
    int64_t total = 0;
    for (int32_t v = 0; v < n; v++) {
        if (part[v] < 0 || part[v] >= k) {
            gp_fail("vertex without a grid");
        }
        sum[part[v]] += hh[v];
        size[part[v]]++;
        total += hh[v];
    }
    int64_t reported = 0;
    int32_t oob = 0;
    for (int32_t gid = 0; gid < k; gid++) {
        if (size[gid] == 0) {
            gp_fail("empty grid");
        }
        if (gp_partition_grid_households(p, gid) != sum[gid] ||
            gp_partition_grid_vertices(p, gid) != size[gid]) {
            gp_fail("grid statistics wrong");
        }
        reported += gp_partition_grid_households(p, gid);
        oob += sum[gid] < mn || sum[gid] > mx;
    }
    if (reported != total) {
        gp_fail("households not conserved");
    }
    if (oob != gp_partition_out_of_bounds(p) || (oob > 0 && gp_partition_problem_count(p) == 0)) {
        gp_fail("a bound violation is not reported");
    }
    /* Every grid connected: a search from one member inside the grid reaches all of them. */
    for (int32_t v = 0; v < n; v++) {
        if (seen[v] || size[part[v]] < 0) {
            continue;
        }
        int32_t g0 = part[v];
        int32_t h = 0;
        int32_t t = 0;
        queue[t++] = v;
        seen[v] = 1;
        while (h < t) {
            int32_t x = queue[h++];
            for (int32_t e = xadj[x]; e < xadj[x + 1]; e++) {
                int32_t u = adj[e];
                if (!seen[u] && part[u] == g0) {
                    seen[u] = 1;
                    queue[t++] = u;
                }
            }
        }
        if (t != size[g0]) {
            gp_fail("grid not connected");
        }
        size[g0] = -1;
    }
    free(sum);
    free(seen);
    free(queue);
    free(size);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    gp_bytes b = {data, len};
    int32_t n = gp_take(&b) % (GP_FUZZ_MAX_N + 1);
    int64_t mn = 1 + gp_take(&b) % 200;
    int64_t mx = mn + gp_take(&b) % 300;
    uint8_t flags = gp_take(&b);
    int32_t want = flags & 1 ? 1 + gp_take(&b) % 12 : 0;
    uint64_t seed = gp_take(&b);
    int64_t hh[GP_FUZZ_MAX_N + 1];
    for (int32_t v = 0; v < n; v++) {
        uint8_t x = gp_take(&b);
        hh[v] = x >= 250 ? 100 * (int64_t)(x - 245) : x; /* now and then above the maximum */
    }
    /* Edges as an adjacency matrix, then CSR with both directions. */
    static uint8_t mat[GP_FUZZ_MAX_N][GP_FUZZ_MAX_N];
    static double matcost[GP_FUZZ_MAX_N][GP_FUZZ_MAX_N];
    memset(mat, 0, sizeof mat);
    int32_t pairs = n > 1 ? gp_take(&b) % (3 * n + 1) : 0;
    for (int32_t i = 0; i < pairs; i++) {
        int32_t u = gp_take(&b) % n;
        int32_t v = gp_take(&b) % n;
        if (u != v) {
            double c = 0.1 + gp_take(&b) / 16.0;
            mat[u][v] = mat[v][u] = 1;
            matcost[u][v] = matcost[v][u] = c;
        }
    }
    int32_t xadj[GP_FUZZ_MAX_N + 1];
    int32_t adj[GP_FUZZ_MAX_N * GP_FUZZ_MAX_N];
    double cost[GP_FUZZ_MAX_N * GP_FUZZ_MAX_N];
    int32_t m = 0;
    for (int32_t v = 0; v < n; v++) {
        xadj[v] = m;
        for (int32_t u = 0; u < n; u++) {
            if (mat[v][u]) {
                adj[m] = u;
                cost[m++] = matcost[v][u];
            }
        }
    }
    xadj[n] = m;
    gp_context *ctx = NULL;
    gp_options *o = NULL;
    gp_graph *g = NULL;
    if (gp_context_new(&ctx) != GP_OK || gp_options_new(&o) != GP_OK) {
        abort();
    }
    if (gp_options_set_bounds(ctx, o, mn, mx) != GP_OK || gp_options_set_seed(ctx, o, seed) != GP_OK ||
        gp_options_set_grid_count(ctx, o, want) != GP_OK || gp_options_set_effort(ctx, o, 0.25) != GP_OK) {
        gp_fail("valid options rejected");
    }
    if (gp_graph_new(ctx, n, xadj, adj, &g) != GP_OK ||
        gp_graph_set_households(ctx, g, hh) != GP_OK) {
        gp_fail("valid graph rejected");
    }
    if ((flags & 2) && gp_graph_set_edges(ctx, g, NULL, cost) != GP_OK) {
        gp_fail("valid costs rejected");
    }
    if (flags & 4) {
        double area[GP_FUZZ_MAX_N + 1];
        double perim[GP_FUZZ_MAX_N + 1];
        for (int32_t v = 0; v < n; v++) {
            area[v] = 100.0 * (1 + gp_take(&b) % 50);
            perim[v] = 40.0 + gp_take(&b);
        }
        if (gp_graph_set_shape(ctx, g, area, perim) != GP_OK) {
            gp_fail("valid shapes rejected");
        }
    }
    if (flags & 8) {
        int32_t prev[GP_FUZZ_MAX_N + 1];
        for (int32_t v = 0; v < n; v++) {
            prev[v] = (int32_t)(gp_take(&b) % 8) - 1; /* -1: not in the previous division */
        }
        if (gp_graph_set_previous(ctx, g, prev) != GP_OK) {
            gp_fail("valid previous assignment rejected");
        }
    }
    if (flags & 16) {
        double wl[GP_FUZZ_MAX_N + 1];
        for (int32_t v = 0; v < n; v++) {
            wl[v] = (double)hh[v] * (0.5 + gp_take(&b) / 128.0);
        }
        if (gp_graph_set_workload(ctx, g, wl) != GP_OK) {
            gp_fail("valid workload rejected");
        }
    }
    if ((flags & 32) && gp_options_set_balance(ctx, o, GP_BALANCE_HOUSEHOLDS) != GP_OK) {
        gp_fail("valid balance rejected");
    }
    if ((flags & 64) && gp_options_set_max_workload(ctx, o, (double)mx * (0.5 + gp_take(&b) / 128.0)) != GP_OK) {
        gp_fail("valid workload cap rejected");
    }
    gp_partition *p1 = gp_fuzz_run(ctx, g, o, 1, n, xadj, adj, hh, mn, mx);
    gp_partition *p2 = gp_fuzz_run(ctx, g, o, 2, n, xadj, adj, hh, mn, mx);
    if ((p1 == NULL) != (p2 == NULL)) {
        gp_fail("outcome depends on the thread count");
    }
    if (p1 != NULL && (gp_partition_grid_count(p1) != gp_partition_grid_count(p2) ||
                       memcmp(gp_partition_assignment(p1), gp_partition_assignment(p2),
                              sizeof(int32_t) * (size_t)n) != 0)) {
        gp_fail("grids depend on the thread count");
    }
    if (p1 != NULL && want == 0 && gp_partition_problem_count(p1) == 0 && n > 0) {
        /* Within every bound: given back as the previous assignment, it is kept exactly. */
        if (gp_graph_set_previous(ctx, g, gp_partition_assignment(p1)) != GP_OK) {
            gp_fail("a partition's own assignment rejected as previous");
        }
        gp_partition *p3 = gp_fuzz_run(ctx, g, o, 1, n, xadj, adj, hh, mn, mx);
        if (p3 == NULL || gp_partition_households_moved(p3) != 0 ||
            gp_partition_grid_count(p3) != gp_partition_grid_count(p1) ||
            memcmp(gp_partition_assignment(p1), gp_partition_assignment(p3),
                   sizeof(int32_t) * (size_t)n) != 0) {
            gp_fail("a division within every bound, given as previous, was not kept");
        }
        gp_partition_free(p3);
    }
    gp_partition_free(p1);
    gp_partition_free(p2);
    gp_graph_free(g);
    gp_options_free(o);
    gp_context_free(ctx);
    return 0;
}
