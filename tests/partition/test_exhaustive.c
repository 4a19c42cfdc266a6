/* SPDX-License-Identifier: MIT */
/**
 * @file test_exhaustive.c The optimizer against exhaustive enumeration on small random graphs.
 *
 * Every partition of a graph of up to 10 vertices into the optimizer's number of connected
 * grids is enumerated (restricted growth strings) and scored with the optimizer's own
 * lexicographic objective: households outside [min, max]; then workload outside the band
 * (GP_WORKLOAD_BAND) around the mean grid workload; then cut cost. The comparison is fair because both
 * sides rank by the same objective: the optimizer must reach the best violation (in particular
 * a feasible division whenever one with that grid count exists), the best band excess, and,
 * within that tier, a cut cost within 5% of the best. A weaker search fails this test.
 */

#include "check.h"

#include "core/options.h"
#include "partition/search.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

enum { GP_NMAX = 20 };

typedef struct {
    int32_t n;
    int32_t xadj[GP_NMAX + 1];
    int32_t adjncy[GP_NMAX * GP_NMAX];
    double cost[GP_NMAX * GP_NMAX];
    int64_t hh[GP_NMAX];
    double w[GP_NMAX][GP_NMAX];
} gp_tiny;

typedef struct {
    int64_t viol;
    double excess;
    double cut;
} gp_obj;

static uint64_t gp_rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A random connected graph of nmin to nmax vertices, each of hlo to hhi households. */
static void gp_tiny_random(gp_tiny *t, uint64_t seed, int32_t nmin, int32_t nmax, int64_t hlo,
                           int64_t hhi)
{
    memset(t, 0, sizeof *t);
    uint64_t s = seed;
    t->n = nmin + (int32_t)(gp_rng(&s) % (uint64_t)(nmax - nmin + 1));
    int32_t n = t->n;
    /* A random spanning tree plus a few chords keeps it connected and varied. */
    for (int32_t v = 1; v < n; v++) {
        int32_t u = (int32_t)(gp_rng(&s) % (uint64_t)v);
        t->w[u][v] = t->w[v][u] = 0.5 + (double)(gp_rng(&s) % 6) * 0.5;
    }
    int32_t chords = (int32_t)(gp_rng(&s) % (uint64_t)n);
    for (int32_t i = 0; i < chords; i++) {
        int32_t u = (int32_t)(gp_rng(&s) % (uint64_t)n);
        int32_t v = (int32_t)(gp_rng(&s) % (uint64_t)n);
        if (u != v) {
            t->w[u][v] = t->w[v][u] = 0.5 + (double)(gp_rng(&s) % 6) * 0.5;
        }
    }
    int32_t e = 0;
    for (int32_t v = 0; v < n; v++) {
        t->xadj[v] = e;
        for (int32_t u = 0; u < n; u++) {
            if (t->w[v][u] > 0) {
                t->adjncy[e] = u;
                t->cost[e++] = t->w[v][u];
            }
        }
        t->hh[v] = hlo + (int64_t)(gp_rng(&s) % (uint64_t)(hhi - hlo + 1));
    }
    t->xadj[n] = e;
}

static gp_obj gp_tiny_score(const gp_tiny *t, const int32_t *a, int32_t k, int64_t mn, int64_t mx)
{
    int64_t hh[GP_NMAX] = {0};
    int64_t total = 0;
    for (int32_t v = 0; v < t->n; v++) {
        hh[a[v]] += t->hh[v];
        total += t->hh[v];
    }
    double mean = (double)total / k;
    gp_obj o = {0, 0, 0};
    for (int32_t g = 0; g < k; g++) {
        o.viol += (hh[g] < mn ? mn - hh[g] : 0) + (hh[g] > mx ? hh[g] - mx : 0);
        double x = (double)hh[g];
        double hi = (1 + GP_WORKLOAD_BAND) * mean;
        double lo = (1 - GP_WORKLOAD_BAND) * mean;
        o.excess += (x > hi ? x - hi : 0) + (x < lo ? lo - x : 0);
    }
    for (int32_t v = 0; v < t->n; v++) {
        for (int32_t u = v + 1; u < t->n; u++) {
            if (t->w[v][u] > 0 && a[u] != a[v]) {
                o.cut += t->w[v][u];
            }
        }
    }
    return o;
}

static int gp_connected_parts(const gp_tiny *t, const int32_t *a, int32_t k)
{
    for (int32_t g = 0; g < k; g++) {
        int32_t first = -1;
        int32_t size = 0;
        for (int32_t v = 0; v < t->n; v++) {
            if (a[v] == g) {
                size++;
                if (first < 0) {
                    first = v;
                }
            }
        }
        int32_t queue[GP_NMAX];
        uint8_t seen[GP_NMAX] = {0};
        int32_t h = 0;
        int32_t tl = 0;
        queue[tl++] = first;
        seen[first] = 1;
        while (h < tl) {
            int32_t v = queue[h++];
            for (int32_t u = 0; u < t->n; u++) {
                if (t->w[v][u] > 0 && a[u] == g && !seen[u]) {
                    seen[u] = 1;
                    queue[tl++] = u;
                }
            }
        }
        if (tl != size) {
            return 0;
        }
    }
    return 1;
}

static int gp_tier_cmp(gp_obj a, gp_obj b)
{
    if (a.viol != b.viol) {
        return a.viol < b.viol ? -1 : 1;
    }
    if (fabs(a.excess - b.excess) > 1e-6) {
        return a.excess < b.excess ? -1 : 1;
    }
    return 0;
}

/* Best objective over all partitions into exactly k connected grids. */
static gp_obj gp_enumerate(const gp_tiny *t, int32_t k, int64_t mn, int64_t mx, int *any)
{
    int32_t a[GP_NMAX] = {0};
    int32_t maxl[GP_NMAX] = {0};
    gp_obj best = {INT64_MAX, INFINITY, INFINITY};
    *any = 0;
    int32_t n = t->n;
    /* Iterate restricted growth strings a[0] = 0, a[i] <= max(a[0..i-1]) + 1, labels < k. */
    for (;;) {
        int32_t used = 0;
        for (int32_t v = 0; v < n; v++) {
            used = a[v] + 1 > used ? a[v] + 1 : used;
        }
        if (used == k && gp_connected_parts(t, a, k)) {
            gp_obj o = gp_tiny_score(t, a, k, mn, mx);
            *any = 1;
            int c = gp_tier_cmp(o, best);
            if (c < 0 || (c == 0 && o.cut < best.cut)) {
                best = o;
            }
        }
        int32_t i = n - 1;
        while (i > 0) {
            maxl[i] = 0;
            for (int32_t j = 0; j < i; j++) {
                maxl[i] = a[j] > maxl[i] ? a[j] : maxl[i];
            }
            if (a[i] <= maxl[i] && a[i] + 1 < k) {
                break;
            }
            i--;
        }
        if (i == 0) {
            break;
        }
        a[i]++;
        for (int32_t j = i + 1; j < n; j++) {
            a[j] = 0;
        }
    }
    return best;
}

Test(exhaustive, optimizer_matches_enumeration)
{
    int graphs = 0;
    int feasible = 0;
    int worse_cut = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        gp_tiny t;
        gp_tiny_random(&t, seed, 5, 10, 40, 250);
        gp_options *o = NULL;
        cr_assert_eq(gp_options_new(&o), GP_OK);
        o->seed = seed;
        gp_test_graph tg = {t.n, t.xadj, t.adjncy, t.hh, t.cost};
        gp_partition *p = gp_check_partition(&tg, o);
        int32_t k = gp_partition_grid_count(p);
        if (k < 2) {
            gp_partition_free(p);
            gp_options_free(o);
            continue; /* one grid: nothing to choose */
        }
        int any = 0;
        gp_obj best = gp_enumerate(&t, k, o->min_households, o->max_households, &any);
        cr_assert(any);
        gp_obj got =
            gp_tiny_score(&t, gp_partition_assignment(p), k, o->min_households, o->max_households);
        cr_assert(fabs(got.cut - gp_partition_cut_cost(p)) < 1e-9, "seed %llu: cut %g vs %g",
                  (unsigned long long)seed, got.cut, gp_partition_cut_cost(p));
        cr_assert_eq(got.viol, best.viol, "seed %llu (n=%d, k=%d): violation %lld, best %lld",
                     (unsigned long long)seed, t.n, k, (long long)got.viol, (long long)best.viol);
        cr_assert(got.excess <= best.excess + 1e-6, "seed %llu: excess %g, best %g",
                  (unsigned long long)seed, got.excess, best.excess);
        cr_assert(got.cut <= 1.05 * best.cut + 1e-9, "seed %llu (n=%d, k=%d): cut %g, best %g",
                  (unsigned long long)seed, t.n, k, got.cut, best.cut);
        worse_cut += got.cut > best.cut + 1e-9;
        if (best.viol == 0) {
            feasible++;
            cr_assert_eq(gp_partition_problem_count(p), 0);
        }
        graphs++;
        gp_partition_free(p);
        gp_options_free(o);
    }
    cr_log_info("%d graphs compared, %d feasible, %d with a cut above the optimum", graphs,
                feasible, worse_cut);
    cr_assert_gt(graphs, 30);
}

/* Whether the vertices of `set` induce a connected subgraph (adjacency as bit sets). */
static int gp_mask_connected(const uint32_t *adj, uint32_t set)
{
    uint32_t reach = set & (~set + 1);
    uint32_t front = reach;
    while (front != 0) {
        int v = __builtin_ctz(front);
        front &= front - 1;
        uint32_t add = adj[v] & set & ~reach;
        reach |= add;
        front |= add;
    }
    return reach == set;
}

/* Best objective over all divisions into two connected grids, by bit sets: vertex 0 is always
 * in the first grid. An enumeration independent of the optimizer's. */
static gp_obj gp_enumerate_two(const gp_tiny *t, int64_t mn, int64_t mx, int *any)
{
    uint32_t adj[GP_NMAX] = {0};
    for (int32_t v = 0; v < t->n; v++) {
        for (int32_t u = 0; u < t->n; u++) {
            if (t->w[v][u] > 0) {
                adj[v] |= 1u << u;
            }
        }
    }
    uint32_t full = (t->n == 32) ? ~0u : (1u << t->n) - 1;
    gp_obj best = {INT64_MAX, INFINITY, INFINITY};
    int32_t a[GP_NMAX];
    *any = 0;
    for (uint32_t m = 0; m < (1u << (t->n - 1)); m++) {
        uint32_t first = (m << 1) | 1u;
        uint32_t second = full & ~first;
        if (second == 0 || !gp_mask_connected(adj, first) || !gp_mask_connected(adj, second)) {
            continue;
        }
        for (int32_t v = 0; v < t->n; v++) {
            a[v] = (int32_t)((second >> v) & 1u);
        }
        gp_obj o = gp_tiny_score(t, a, 2, mn, mx);
        *any = 1;
        int c = gp_tier_cmp(o, best);
        if (c < 0 || (c == 0 && o.cut < best.cut)) {
            best = o;
        }
    }
    return best;
}

/*
 * Two grids on up to 20 vertices: the optimizer splits a pair of grids by enumerating every
 * connected split within bounds, so on a component of two grids it must find the optimum
 * itself, not merely come within 5% of it. (test_pairsplit.c checks the enumeration itself
 * against brute force; this checks the optimizer trusts it end to end.)
 */
Test(exhaustive, two_grids_are_split_optimally)
{
    int graphs = 0;
    for (uint64_t seed = 1; seed <= 400 && graphs < 40; seed++) {
        gp_tiny t;
        gp_tiny_random(&t, 1000 + seed, 16, GP_NMAX, 10, 70);
        gp_options *o = NULL;
        cr_assert_eq(gp_options_new(&o), GP_OK);
        o->seed = seed;
        gp_test_graph tg = {t.n, t.xadj, t.adjncy, t.hh, t.cost};
        gp_partition *p = gp_check_partition(&tg, o);
        int any = 0;
        gp_obj best = {0, 0, 0};
        if (gp_partition_grid_count(p) == 2) {
            best = gp_enumerate_two(&t, o->min_households, o->max_households, &any);
        }
        if (any && best.viol == 0) {
            gp_obj got = gp_tiny_score(&t, gp_partition_assignment(p), 2, o->min_households,
                                       o->max_households);
            cr_assert_eq(got.viol, 0, "seed %llu: violation %lld", (unsigned long long)seed,
                         (long long)got.viol);
            cr_assert(got.excess <= best.excess + 1e-6, "seed %llu: excess %g, best %g",
                      (unsigned long long)seed, got.excess, best.excess);
            cr_assert(got.cut <= best.cut + 1e-9, "seed %llu (n=%d): cut %g, best %g",
                      (unsigned long long)seed, t.n, got.cut, best.cut);
            graphs++;
        }
        gp_partition_free(p);
        gp_options_free(o);
    }
    cr_assert_geq(graphs, 40, "only %d two-grid graphs generated", graphs);
}
