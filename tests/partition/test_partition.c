/* SPDX-License-Identifier: MIT */
/** @file test_partition.c The optimizer: hard cases, bad input, cancellation, allocation failure.
 */

#include "check.h"
#include "synth_city.h"

#include "core/memory.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

/* A small owned CSR graph built edge by edge. */
typedef struct {
    int32_t n;
    int32_t m;
    int32_t xadj[2048];
    int32_t adjncy[8192];
    int64_t hh[2048];
    int32_t deg[2048];
    int32_t eu[4096];
    int32_t ev[4096];
    int32_t ne;
} gp_small;

static void gp_small_init(gp_small *s, int32_t n, int64_t hh)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    for (int32_t v = 0; v < n; v++) {
        s->hh[v] = hh;
    }
}

static void gp_small_edge(gp_small *s, int32_t u, int32_t v)
{
    s->eu[s->ne] = u;
    s->ev[s->ne++] = v;
}

static void gp_small_build(gp_small *s)
{
    memset(s->deg, 0, sizeof s->deg);
    for (int32_t i = 0; i < s->ne; i++) {
        s->deg[s->eu[i]]++;
        s->deg[s->ev[i]]++;
    }
    s->xadj[0] = 0;
    for (int32_t v = 0; v < s->n; v++) {
        s->xadj[v + 1] = s->xadj[v] + s->deg[v];
        s->deg[v] = s->xadj[v];
    }
    for (int32_t i = 0; i < s->ne; i++) {
        s->adjncy[s->deg[s->eu[i]]++] = s->ev[i];
        s->adjncy[s->deg[s->ev[i]]++] = s->eu[i];
    }
    s->m = s->xadj[s->n];
}

static gp_test_graph gp_small_view(const gp_small *s)
{
    gp_test_graph tg = {s->n, s->xadj, s->adjncy, s->hh, NULL};
    return tg;
}

static gp_options *gp_opts(void)
{
    gp_options *o = NULL;
    cr_assert_eq(gp_options_new(&o), GP_OK);
    return o;
}

static int gp_has_problem(const gp_partition *p, int32_t kind)
{
    for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
        if (gp_partition_problem_kind(p, i) == kind) {
            return 1;
        }
    }
    return 0;
}

Test(partition, path_graph)
{
    static gp_small s;
    gp_small_init(&s, 30, 50);
    for (int32_t v = 0; v + 1 < 30; v++) {
        gp_small_edge(&s, v, v + 1);
    }
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 4); /* 1,500 / 400 rounds to 4 */
    cr_assert_eq(gp_partition_problem_count(p), 0);
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, long_path_with_uneven_households)
{
    static gp_small s;
    gp_small_init(&s, 1500, 0);
    uint64_t r = 7;
    for (int32_t v = 0; v < 1500; v++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        s.hh[v] = (int64_t)((r >> 33) % 120);
        if (v + 1 < 1500) {
            gp_small_edge(&s, v, v + 1);
        }
    }
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_problem_count(p), 0, "%s", gp_partition_problem_message(p, 0));
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, star_is_reported_when_granularity_forbids_bounds)
{
    /* A centre of 50 and ten leaves of 100: 1,050 fits 3 grids by totals, but every grid
     * without the centre is a single leaf of 100. */
    static gp_small s;
    gp_small_init(&s, 11, 100);
    s.hh[0] = 50;
    for (int32_t v = 1; v < 11; v++) {
        gp_small_edge(&s, 0, v);
    }
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert(gp_has_problem(p, GP_PROBLEM_BOUNDS_UNMET));
    gp_partition_free(p);
    gp_options_free(o);
}

static void gp_lattice(gp_small *s, int32_t w, int32_t h, int64_t hh)
{
    gp_small_init(s, w * h, hh);
    for (int32_t y = 0; y < h; y++) {
        for (int32_t x = 0; x < w; x++) {
            int32_t v = y * w + x;
            if (x + 1 < w) {
                gp_small_edge(s, v, v + 1);
            }
            if (y + 1 < h) {
                gp_small_edge(s, v, v + w);
            }
        }
    }
}

Test(partition, lattice_with_one_huge_vertex)
{
    static gp_small s;
    gp_lattice(&s, 6, 6, 100);
    s.hh[14] = 3000;
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_problem_count(p), 1);
    cr_assert_eq(gp_partition_problem_kind(p, 0), GP_PROBLEM_VERTEX_OVER_MAX);
    cr_assert_eq(gp_partition_problem_vertex(p, 0), 14);
    cr_assert_eq(gp_partition_grid_vertices(p, gp_partition_assignment(p)[14]), 1);
    cr_assert_eq(gp_partition_out_of_bounds(p), 1);
    gp_partition_free(p);
    gp_options_free(o);
}

/* A 40 x 40 lattice of 40 households per vertex: 64,000 households, 160 grids of exactly 400
 * are there for the taking (2 x 5 rectangles, say). The search left 4 grids outside [300, 500]
 * while it enumerated every pair region of up to 64 vertices to its work cap; regions above 20
 * now go to the random trees, and it leaves none. */
Test(partition, lattice_of_equal_blocks_divides_within_bounds)
{
    static gp_small s;
    gp_lattice(&s, 40, 40, 40);
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 160);
    cr_assert_eq(gp_partition_out_of_bounds(p), 0, "%d grids out of bounds",
                 gp_partition_out_of_bounds(p));
    cr_assert_eq(gp_partition_problem_count(p), 0, "%s", gp_partition_problem_message(p, 0));
    for (int32_t k = 0; k < 160; k++) {
        int64_t h = gp_partition_grid_households(p, k);
        cr_assert(h >= 300 && h <= 500, "grid %d holds %lld", k, (long long)h);
    }
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, two_components)
{
    static gp_small s;
    gp_small_init(&s, 16, 100);
    for (int32_t v = 0; v + 1 < 8; v++) {
        gp_small_edge(&s, v, v + 1);
        gp_small_edge(&s, v + 8, v + 9);
    }
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 4);
    cr_assert_eq(gp_partition_problem_count(p), 0);
    const int32_t *a = gp_partition_assignment(p);
    for (int32_t v = 0; v < 8; v++) {
        cr_assert_neq(a[v], a[v + 8], "a grid spans two components");
    }
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, component_of_520_is_infeasible_and_reported)
{
    static gp_small s;
    gp_small_init(&s, 4, 130);
    for (int32_t v = 0; v + 1 < 4; v++) {
        gp_small_edge(&s, v, v + 1);
    }
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_problem_count(p), 1);
    cr_assert_eq(gp_partition_problem_kind(p, 0), GP_PROBLEM_COMPONENT_INFEASIBLE);
    cr_assert_eq(gp_partition_problem_vertex(p, 0), 0);
    cr_assert(strstr(gp_partition_problem_message(p, 0), "520") != NULL);
    cr_assert_eq(gp_partition_grid_count(p), 1); /* 20 over beats 2 x 40 under */
    gp_partition_free(p);

    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    int32_t part[4];
    int32_t k = 0;
    cr_assert_eq(gp_partition_graph(ctx, 4, s.xadj, s.adjncy, NULL, s.hh, o, part, &k),
                 GP_ERR_INFEASIBLE);
    cr_assert_eq(k, 1);
    cr_assert(strstr(gp_context_last_error(ctx), "vertex 0") != NULL, "%s",
              gp_context_last_error(ctx));
    gp_context_free(ctx);
    gp_options_free(o);
}

Test(partition, all_zero_households)
{
    static gp_small s;
    gp_lattice(&s, 3, 3, 0);
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 1);
    cr_assert(gp_has_problem(p, GP_PROBLEM_COMPONENT_INFEASIBLE));
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, zero_household_vertices_join_a_grid)
{
    static gp_small s;
    gp_lattice(&s, 5, 4, 100);
    s.hh[0] = s.hh[7] = s.hh[19] = 0;
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_problem_count(p), 0);
    gp_partition_free(p);
    gp_options_free(o);
}

Test(partition, empty_graph)
{
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    gp_partition *p = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    int32_t xadj[1] = {0};
    cr_assert_eq(gp_graph_new(ctx, 0, xadj, NULL, &g), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, g, NULL), GP_OK);
    cr_assert_eq(gp_graph_partition(ctx, g, NULL, &p), GP_OK);
    cr_assert_eq(gp_partition_grid_count(p), 0);
    cr_assert_eq(gp_partition_workload_ratio(p), 0.0);
    int32_t k = -1;
    cr_assert_eq(gp_partition_graph(ctx, 0, xadj, NULL, NULL, NULL, NULL, NULL, &k), GP_OK);
    cr_assert_eq(k, 0);
    gp_partition_free(p);
    gp_graph_free(g);
    gp_context_free(ctx);
}

static void gp_expect_bad(int32_t n, const int32_t *xadj, const int32_t *adj, const char *needle)
{
    gp_context *ctx = NULL;
    gp_graph *g = (gp_graph *)1;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_graph_new(ctx, n, xadj, adj, &g), GP_ERR_ARG);
    cr_assert_null(g);
    cr_assert(strstr(gp_context_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'",
              gp_context_last_error(ctx), needle);
    gp_context_free(ctx);
}

Test(graph, bad_csr_names_the_vertex)
{
    int32_t xadj[4] = {0, 1, 2, 2};
    int32_t asym[2] = {1, 2};
    gp_expect_bad(3, xadj, asym, "vertex 0 lists neighbour 1");
    int32_t self[2] = {1, 1};
    gp_expect_bad(3, xadj, self, "vertex 1: self-loop");
    int32_t range[2] = {1, 7};
    gp_expect_bad(3, xadj, range, "vertex 1: neighbour 7 is out of range");
    int32_t xdup[3] = {0, 2, 4};
    int32_t dup[4] = {1, 1, 0, 0};
    gp_expect_bad(2, xdup, dup, "vertex 0: neighbour 1 is repeated");
    int32_t xdec[3] = {0, 2, 1};
    gp_expect_bad(2, xdec, dup, "vertex 1: xadj decreases");
}

Test(graph, negative_households_and_bad_edges)
{
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    int32_t xadj[3] = {0, 1, 2};
    int32_t adj[2] = {1, 0};
    cr_assert_eq(gp_graph_new(ctx, 2, xadj, adj, &g), GP_OK);
    int64_t hh[2] = {10, -4};
    cr_assert_eq(gp_graph_set_households(ctx, g, hh), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "vertex 1: households -4") != NULL);
    double asym[2] = {1.0, 2.0};
    cr_assert_eq(gp_graph_set_edges(ctx, g, asym, NULL), GP_ERR_ARG);
    double zero[2] = {0.0, 0.0};
    cr_assert_eq(gp_graph_set_edges(ctx, g, NULL, zero), GP_ERR_ARG);
    gp_partition *p = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, NULL, &p), GP_ERR_ARG); /* households unset */
    cr_assert_null(p);
    gp_graph_free(g);
    gp_graph_free(NULL);
    gp_partition_free(NULL);
    gp_context_free(ctx);
}

static void gp_city_graph(const gp_synth_city *c, gp_graph **g, gp_context *ctx)
{
    cr_assert_eq(gp_graph_new(ctx, c->n, c->xadj, c->adjncy, g), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, *g, c->households), GP_OK);
    cr_assert_eq(gp_graph_set_edges(ctx, *g, c->border, c->cut_cost), GP_OK);
    cr_assert_eq(gp_graph_set_shape(ctx, *g, c->area, c->perimeter), GP_OK);
}

static int32_t gp_same_grids(int32_t n, const int32_t *a, const int32_t *b, int32_t kb);

Test(partition, synthetic_city_properties)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(900, 3, &c), 0);
    double *cost = malloc(sizeof *cost * (size_t)c.xadj[c.n]);
    for (int32_t e = 0; e < c.xadj[c.n]; e++) {
        cost[e] = c.border[e] * c.cut_cost[e];
    }
    gp_test_graph tg = {c.n, c.xadj, c.adjncy, c.households, cost};
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
        cr_assert_eq(gp_partition_problem_kind(p, i), GP_PROBLEM_VERTEX_OVER_MAX, "%s",
                     gp_partition_problem_message(p, i));
    }
    gp_partition_free(p);

    /* Statistics with shapes, and a previous assignment. */
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    gp_city_graph(&c, &g, ctx);
    cr_assert_eq(gp_graph_partition(ctx, g, o, &p), GP_OK);
    double pp = gp_partition_mean_polsby_popper(p);
    cr_assert(pp > 0.3 && pp <= 1.0, "mean Polsby-Popper %g", pp);
    cr_assert_eq(gp_partition_households_moved(p), 0);
    cr_assert_eq(gp_graph_set_previous(ctx, g, gp_partition_assignment(p)), GP_OK);
    gp_partition *q = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &q), GP_OK);
    int64_t total = 0;
    for (int32_t v = 0; v < c.n; v++) {
        total += c.households[v];
    }
    /* Its own result as the previous division: kept exactly, grid for grid. */
    cr_assert_eq(gp_partition_households_moved(q), 0, "moved %lld of %lld",
                 (long long)gp_partition_households_moved(q), (long long)total);
    cr_assert_eq(gp_partition_grid_count(q), gp_partition_grid_count(p));
    cr_assert_eq(gp_same_grids(c.n, gp_partition_assignment(p), gp_partition_assignment(q),
                               gp_partition_grid_count(q)),
                 gp_partition_grid_count(q));
    gp_partition_free(q);
    gp_partition_free(p);
    gp_graph_free(g);
    gp_context_free(ctx);
    gp_options_free(o);
    free(cost);
    gp_synth_city_free(&c);
}

/* Households outside their grid's matched grid of `from`: grids matched one to one, heaviest
 * overlap first (an independent count of what gp_partition_households_moved reports). */
static int64_t gp_moved_between(int32_t n, const int64_t *hh, const int32_t *from, int32_t kf,
                                const int32_t *to, int32_t kt)
{
    int64_t *ov = calloc((size_t)kf * (size_t)kt, sizeof *ov);
    uint8_t *uf = calloc((size_t)kf, 1);
    uint8_t *ut = calloc((size_t)kt, 1);
    cr_assert(ov && uf && ut);
    int64_t total = 0;
    for (int32_t v = 0; v < n; v++) {
        ov[(size_t)from[v] * (size_t)kt + (size_t)to[v]] += hh[v];
        total += hh[v];
    }
    int64_t kept = 0;
    for (;;) {
        int64_t best = 0;
        int32_t bi = -1, bj = -1;
        for (int32_t i = 0; i < kf; i++) {
            for (int32_t j = 0; j < kt && !uf[i]; j++) {
                if (!ut[j] && ov[(size_t)i * (size_t)kt + (size_t)j] > best) {
                    best = ov[(size_t)i * (size_t)kt + (size_t)j];
                    bi = i;
                    bj = j;
                }
            }
        }
        if (bi < 0) {
            break;
        }
        uf[bi] = ut[bj] = 1;
        kept += best;
    }
    free(ov);
    free(uf);
    free(ut);
    return total - kept;
}

/* Grids of b whose vertex set is exactly a grid of a. */
static int32_t gp_same_grids(int32_t n, const int32_t *a, const int32_t *b, int32_t kb)
{
    int32_t same = 0;
    for (int32_t g = 0; g < kb; g++) {
        int32_t match = -1;
        int ok = 1;
        for (int32_t v = 0; v < n && ok; v++) {
            if (b[v] == g) {
                match = match < 0 ? a[v] : match;
                ok = a[v] == match;
            }
        }
        for (int32_t v = 0; v < n && ok; v++) {
            ok = (a[v] == match) == (b[v] == g);
        }
        same += ok && match >= 0;
    }
    return same;
}

/*
 * Households change in one block (+250, pushing its grid over the maximum): partitioning again
 * with the previous assignment repairs the bounds and moves few households, far fewer than
 * partitioning afresh, and leaves most grids exactly as they were.
 */
Test(partition, previous_assignment_keeps_households_in_place)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(900, 5, &c), 0);
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    gp_options *o = gp_opts();
    gp_graph *g0 = NULL;
    gp_partition *p0 = NULL;
    gp_city_graph(&c, &g0, ctx);
    cr_assert_eq(gp_graph_partition(ctx, g0, o, &p0), GP_OK);
    const int32_t *a0 = gp_partition_assignment(p0);
    int32_t k0 = gp_partition_grid_count(p0);
    /* The first block under max whose grid holds 250 fewer than the maximum or more. */
    int32_t hot = -1;
    for (int32_t v = 0; v < c.n && hot < 0; v++) {
        int64_t gh = gp_partition_grid_households(p0, a0[v]);
        if (c.households[v] > 0 && c.households[v] + 250 <= 500 && gh + 250 > 500) {
            hot = v;
        }
    }
    cr_assert_geq(hot, 0);
    /* Households that must leave the hot grid at least. */
    int64_t need = gp_partition_grid_households(p0, a0[hot]) + 250 - 500;
    c.households[hot] += 250;
    int64_t total = 0;
    for (int32_t v = 0; v < c.n; v++) {
        total += c.households[v];
    }

    gp_graph *g1 = NULL;
    gp_partition *p1 = NULL;
    gp_city_graph(&c, &g1, ctx);
    cr_assert_eq(gp_graph_set_previous(ctx, g1, a0), GP_OK);
    cr_assert_eq(gp_graph_partition(ctx, g1, o, &p1), GP_OK);
    gp_partition *p2 = NULL;
    cr_assert_eq(gp_graph_set_previous(ctx, g1, NULL), GP_OK);
    cr_assert_eq(gp_graph_partition(ctx, g1, o, &p2), GP_OK);

    for (int32_t i = 0; i < gp_partition_problem_count(p1); i++) {
        cr_assert_neq(gp_partition_problem_kind(p1, i), GP_PROBLEM_BOUNDS_UNMET, "%s",
                      gp_partition_problem_message(p1, i));
    }
    int32_t k1 = gp_partition_grid_count(p1);
    int32_t k2 = gp_partition_grid_count(p2);
    const int32_t *a1 = gp_partition_assignment(p1);
    const int32_t *a2 = gp_partition_assignment(p2);
    int64_t moved1 = gp_moved_between(c.n, c.households, a0, k0, a1, k1);
    int64_t moved2 = gp_moved_between(c.n, c.households, a0, k0, a2, k2);
    cr_assert_eq(gp_partition_households_moved(p1), moved1);
    int32_t same1 = gp_same_grids(c.n, a0, a1, k1);
    int32_t same2 = gp_same_grids(c.n, a0, a2, k2);
    cr_log_info("moved %lld (%lld must) with the previous assignment, %lld afresh, of %lld; grids "
                "unchanged %d and %d of %d",
                (long long)moved1, (long long)need, (long long)moved2, (long long)total, same1,
                same2, k1);
    cr_assert_lt(moved1 * 4, moved2, "moved %lld with the previous assignment, %lld afresh",
                 (long long)moved1, (long long)moved2);
    /* Moving whole blocks cannot match the excess exactly, but with households moved right
     * after the bounds in the objective the search moves little more than it (194 where 134
     * must, on this city) and changes only the grids around the hot one. */
    cr_assert_leq(moved1, need + need / 2, "moved %lld where %lld must move",
                  (long long)moved1, (long long)need);
    cr_assert_geq(same1, k1 - 3, "only %d of %d grids unchanged", same1, k1);
    cr_assert_eq(k1, k0, "a grid count that still fits is kept: %d, then %d", k0, k1);
    gp_partition_free(p0);
    gp_partition_free(p1);
    gp_partition_free(p2);
    gp_graph_free(g0);
    gp_graph_free(g1);
    gp_options_free(o);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}

/* Mean Polsby-Popper of an assignment, from the city's block shapes. */
static double gp_city_mean_pp(const gp_synth_city *c, const int32_t *part, int32_t grids)
{
    double *area = calloc((size_t)grids, sizeof *area);
    double *perim = calloc((size_t)grids, sizeof *perim);
    cr_assert(area != NULL && perim != NULL);
    for (int32_t v = 0; v < c->n; v++) {
        area[part[v]] += c->area[v];
        perim[part[v]] += c->perimeter[v];
        for (int32_t e = c->xadj[v]; e < c->xadj[v + 1]; e++) {
            if (part[c->adjncy[e]] == part[v]) {
                perim[part[v]] -= c->border[e];
            }
        }
    }
    double sum = 0;
    for (int32_t gid = 0; gid < grids; gid++) {
        sum += 4.0 * 3.14159265358979323846 * area[gid] / (perim[gid] * perim[gid]);
    }
    free(area);
    free(perim);
    return sum / grids;
}

/* With block areas and perimeters, compactness is part of the objective: the grids must come
 * out clearly rounder than those of the same graph without shape data, at a cut cost no more
 * than a little higher. */
Test(partition, compactness_objective)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(2000, 11, &c), 0);
    gp_context *ctx = NULL;
    gp_options *o = gp_opts();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    gp_graph *blind = NULL;
    cr_assert_eq(gp_graph_new(ctx, c.n, c.xadj, c.adjncy, &blind), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, blind, c.households), GP_OK);
    cr_assert_eq(gp_graph_set_edges(ctx, blind, c.border, c.cut_cost), GP_OK);
    gp_graph *shaped = NULL;
    gp_city_graph(&c, &shaped, ctx);
    gp_partition *pb = NULL;
    gp_partition *ps = NULL;
    cr_assert_eq(gp_graph_partition(ctx, blind, o, &pb), GP_OK);
    cr_assert_eq(gp_graph_partition(ctx, shaped, o, &ps), GP_OK);
    double pp_blind = gp_city_mean_pp(&c, gp_partition_assignment(pb), gp_partition_grid_count(pb));
    double pp_shaped = gp_partition_mean_polsby_popper(ps);
    double pp_check = gp_city_mean_pp(&c, gp_partition_assignment(ps), gp_partition_grid_count(ps));
    cr_assert_float_eq(pp_shaped, pp_check, 1e-9, "reported %g, recomputed %g", pp_shaped, pp_check);
    cr_assert(pp_shaped >= pp_blind + 0.02, "mean Polsby-Popper %g with shapes, %g without",
              pp_shaped, pp_blind);
    cr_assert(gp_partition_cut_cost(ps) <= 1.15 * gp_partition_cut_cost(pb),
              "cut cost %g with shapes, %g without", gp_partition_cut_cost(ps),
              gp_partition_cut_cost(pb));
    cr_assert_eq(gp_partition_out_of_bounds(ps), gp_partition_out_of_bounds(pb));
    gp_partition_free(pb);
    gp_partition_free(ps);
    gp_graph_free(blind);
    gp_graph_free(shaped);
    gp_options_free(o);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}

Test(partition, fixed_grid_count)
{
    static gp_small s;
    gp_lattice(&s, 8, 8, 50);
    gp_small_build(&s);
    gp_options *o = gp_opts();
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_set_grid_count(ctx, o, 9), GP_OK);
    gp_test_graph tg = gp_small_view(&s);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 9);
    cr_assert_eq(gp_partition_problem_count(p), 0);
    gp_partition_free(p);
    /* 3,200 households cannot make 20 grids of at least 300. */
    cr_assert_eq(gp_options_set_grid_count(ctx, o, 20), GP_OK);
    p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 20);
    cr_assert(gp_has_problem(p, GP_PROBLEM_GRID_COUNT));
    gp_partition_free(p);
    gp_context_free(ctx);
    gp_options_free(o);
}

static int gp_cancel_after;
static int32_t gp_cancel_cb(double fraction, const char *stage, void *user)
{
    (void)fraction;
    (void)stage;
    (void)user;
    return --gp_cancel_after <= 0;
}

Test(partition, cancel_through_progress)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(5000, 5, &c), 0);
    for (int calls = 1; calls <= 3; calls++) {
        gp_context *ctx = NULL;
        gp_graph *g = NULL;
        gp_options *o = gp_opts();
        cr_assert_eq(gp_context_new(&ctx), GP_OK);
        cr_assert_eq(gp_options_set_threads(ctx, o, 1), GP_OK);
        gp_city_graph(&c, &g, ctx);
        int64_t live = gp_test_alloc_live();
        gp_cancel_after = calls;
        cr_assert_eq(gp_context_set_progress(ctx, gp_cancel_cb, NULL), GP_OK);
        gp_partition *p = NULL;
        cr_assert_eq(gp_graph_partition(ctx, g, o, &p), GP_ERR_CANCELED);
        cr_assert_null(p);
        cr_assert_eq(gp_test_alloc_live(), live, "leak after cancel");
        gp_graph_free(g);
        gp_options_free(o);
        gp_context_free(ctx);
    }
    gp_synth_city_free(&c);
}

Test(partition, allocation_failures_return_nomem)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(300, 9, &c), 0);
    gp_context *ctx = NULL;
    gp_options *o = gp_opts();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, o, 1), GP_OK);
    int32_t *part = malloc(sizeof *part * (size_t)c.n);
    int ok = 0;
    for (int64_t i = 0; i < 10000 && !ok; i++) {
        int64_t live = gp_test_alloc_live();
        gp_test_alloc_fail_after(i, 0);
        int32_t k = 0;
        gp_status st =
            gp_partition_graph(ctx, c.n, c.xadj, c.adjncy, c.border, c.households, o, part, &k);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert_eq(gp_test_alloc_live(), live, "leak when allocation %lld fails", (long long)i);
        if (st == GP_ERR_NOMEM) {
            continue;
        }
        cr_assert(st == GP_OK || st == GP_ERR_INFEASIBLE, "allocation %lld: status %d",
                  (long long)i, st);
        ok = 1;
    }
    cr_assert(ok);
    free(part);
    gp_options_free(o);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}

/* A 30 x 30 lattice of 20 to 59 households per vertex (35,590 in all): the graph on which
 * re-partitioning with its own result once moved up to 18,371 households and changed the grid
 * count from 91 to 92. Now the previous division holds, so it is kept exactly, on any seed. */
Test(partition, own_result_as_previous_moves_nothing)
{
    static gp_small s;
    gp_lattice(&s, 30, 30, 0);
    int64_t total = 0;
    for (int32_t v = 0; v < s.n; v++) {
        s.hh[v] = 20 + (int64_t)(((uint64_t)v * 2654435761u >> 7) % 40);
        total += s.hh[v];
    }
    gp_small_build(&s);
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_graph_new(ctx, s.n, s.xadj, s.adjncy, &g), GP_OK);
    cr_assert_eq(gp_graph_set_households(ctx, g, s.hh), GP_OK);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        gp_options *o = gp_opts();
        cr_assert_eq(gp_options_set_seed(ctx, o, seed), GP_OK);
        gp_partition *p = NULL, *q = NULL;
        cr_assert_eq(gp_graph_set_previous(ctx, g, NULL), GP_OK);
        cr_assert_eq(gp_graph_partition(ctx, g, o, &p), GP_OK);
        int32_t k = gp_partition_grid_count(p);
        cr_assert_eq(gp_partition_out_of_bounds(p), 0);
        cr_assert_eq(gp_graph_set_previous(ctx, g, gp_partition_assignment(p)), GP_OK);
        cr_assert_eq(gp_graph_partition(ctx, g, o, &q), GP_OK);
        cr_assert_eq(gp_partition_households_moved(q), 0, "seed %d: moved %lld of %lld",
                     (int)seed, (long long)gp_partition_households_moved(q), (long long)total);
        cr_assert_eq(gp_partition_grid_count(q), k, "seed %d: %d grids, then %d", (int)seed, k,
                     gp_partition_grid_count(q));
        cr_assert_eq(gp_same_grids(s.n, gp_partition_assignment(p), gp_partition_assignment(q), k),
                     k);
        /* Kept grids come back numbered by their lowest vertex, like any result. */
        cr_assert_arr_eq(gp_partition_assignment(p), gp_partition_assignment(q),
                         sizeof(int32_t) * (size_t)s.n);
        gp_partition_free(p);
        gp_partition_free(q);
        gp_options_free(o);
    }
    cr_assert_eq(total, 35591, "the lattice holds %lld", (long long)total);
    gp_graph_free(g);
    gp_context_free(ctx);
}

/* A workload that differs from households: blocks in the west carry 1.8 per household (say,
 * many elderly), in the east 1.0. Blocks are first brought under 250 households, so that no
 * grid is a single block above the maximum and the search alone decides every workload. */
static double *gp_uneven_workload(gp_synth_city *c)
{
    double *wl = malloc(sizeof *wl * (size_t)c->n);
    cr_assert(wl != NULL);
    for (int32_t v = 0; v < c->n; v++) {
        c->households[v] = c->households[v] > 250 ? 250 : c->households[v];
        double west = (v % 30) < 15 ? 0.8 : 0.0;
        wl[v] = (double)c->households[v] * (1.0 + west);
    }
    return wl;
}

static double gp_max_workload(const gp_partition *p)
{
    double m = 0;
    for (int32_t k = 0; k < gp_partition_grid_count(p); k++) {
        m = fmax(m, gp_partition_grid_workload(p, k));
    }
    return m;
}

Test(partition, workload_is_balanced_within_the_household_bounds)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(900, 3, &c), 0);
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    double *wl = gp_uneven_workload(&c);
    gp_city_graph(&c, &g, ctx);
    cr_assert_eq(gp_graph_set_workload(ctx, g, wl), GP_OK);
    gp_options *o = gp_opts();
    gp_partition *by_wl = NULL, *by_hh = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &by_wl), GP_OK); /* auto: the workload */
    cr_assert_eq(gp_options_set_balance(ctx, o, GP_BALANCE_HOUSEHOLDS), GP_OK);
    cr_assert_eq(gp_graph_partition(ctx, g, o, &by_hh), GP_OK);
    /* Both hold the household bounds. */
    cr_assert_eq(gp_partition_problem_count(by_wl), 0, "%s", gp_partition_problem_message(by_wl, 0));
    cr_assert_eq(gp_partition_problem_count(by_hh), 0, "%s", gp_partition_problem_message(by_hh, 0));
    double r_wl = gp_partition_workload_ratio(by_wl);
    double r_hh = gp_partition_workload_ratio(by_hh);
    cr_log_info("workload max/mean: %.3f balancing the workload, %.3f balancing households", r_wl,
                r_hh);
    cr_assert_lt(r_wl - 1, 0.8 * (r_hh - 1), "max/mean %.3f against %.3f", r_wl, r_hh);
    /* The reported workload is the workload, whatever is balanced. */
    double sum = 0, want = 0;
    for (int32_t k = 0; k < gp_partition_grid_count(by_hh); k++) {
        sum += gp_partition_grid_workload(by_hh, k);
    }
    for (int32_t v = 0; v < c.n; v++) {
        want += wl[v];
    }
    cr_assert(fabs(sum - want) < 1e-6 * want, "%g against %g", sum, want);
    /* A cap needs the workload balanced. */
    cr_assert_eq(gp_options_set_max_workload(ctx, o, 900), GP_OK);
    gp_partition *bad = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &bad), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "workload cap") != NULL);
    gp_partition_free(by_wl);
    gp_partition_free(by_hh);
    gp_options_free(o);
    gp_graph_free(g);
    free(wl);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}

Test(partition, workload_cap_is_held_or_reported_grid_by_grid)
{
    gp_synth_city c;
    cr_assert_eq(gp_synth_city_new(900, 3, &c), 0);
    gp_context *ctx = NULL;
    gp_graph *g = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    double *wl = gp_uneven_workload(&c);
    gp_city_graph(&c, &g, ctx);
    cr_assert_eq(gp_graph_set_workload(ctx, g, wl), GP_OK);
    gp_options *o = gp_opts();
    gp_partition *free_p = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &free_p), GP_OK);
    double top = gp_max_workload(free_p);
    /* A cap 7% under the highest grid's workload: the workload above it shrinks, the bounds
     * still hold, and every grid left above it is a violation of its own. (The search does not
     * always reach such a cap: on this city it leaves about 27 grids of 180 above it.) */
    double cap = 0.93 * top;
    cr_assert_eq(gp_options_set_max_workload(ctx, o, cap), GP_OK);
    gp_partition *capped = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &capped), GP_OK);
    double above_free = 0, above_capped = 0;
    for (int32_t k = 0; k < gp_partition_grid_count(free_p); k++) {
        above_free += fmax(0, gp_partition_grid_workload(free_p, k) - cap);
    }
    int32_t over = 0;
    for (int32_t k = 0; k < gp_partition_grid_count(capped); k++) {
        int64_t h = gp_partition_grid_households(capped, k);
        cr_assert(h >= 300 && h <= 500, "grid %d holds %lld households", k, (long long)h);
        over += gp_partition_grid_workload(capped, k) > cap;
        above_capped += fmax(0, gp_partition_grid_workload(capped, k) - cap);
    }
    int32_t reported = 0;
    for (int32_t i = 0; i < gp_partition_problem_count(capped); i++) {
        int32_t kind = gp_partition_problem_kind(capped, i);
        reported += kind == GP_PROBLEM_WORKLOAD_OVER_MAX;
        cr_assert_eq(kind, GP_PROBLEM_WORKLOAD_OVER_MAX, "%s",
                     gp_partition_problem_message(capped, i));
    }
    cr_log_info("cap %.0f (highest grid was %.0f): %d grid(s) above it, workload above it %.0f "
                "(%.0f without the cap)",
                cap, top, over, above_capped, above_free);
    cr_assert_eq(reported, over, "%d grids above the cap, %d reported", over, reported);
    cr_assert_lt(above_capped, 0.8 * above_free, "workload above the cap %.0f, %.0f without it",
                 above_capped, above_free);
    /* A cap nothing can meet: every grid above it is a violation of its own. */
    cr_assert_eq(gp_options_set_max_workload(ctx, o, 100), GP_OK);
    gp_partition *hopeless = NULL;
    cr_assert_eq(gp_graph_partition(ctx, g, o, &hopeless), GP_OK);
    reported = 0;
    for (int32_t i = 0; i < gp_partition_problem_count(hopeless); i++) {
        reported += gp_partition_problem_kind(hopeless, i) == GP_PROBLEM_WORKLOAD_OVER_MAX;
    }
    over = 0;
    for (int32_t k = 0; k < gp_partition_grid_count(hopeless); k++) {
        over += gp_partition_grid_workload(hopeless, k) > 100;
    }
    cr_assert_eq(reported, over);
    cr_assert_eq(over, gp_partition_grid_count(hopeless), "every grid of >= 300 households is over 100");
    gp_partition_free(free_p);
    gp_partition_free(capped);
    gp_partition_free(hopeless);
    gp_options_free(o);
    gp_graph_free(g);
    free(wl);
    gp_context_free(ctx);
    gp_synth_city_free(&c);
}
