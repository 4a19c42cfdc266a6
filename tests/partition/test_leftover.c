/* SPDX-License-Identifier: MIT */
/**
 * @file test_leftover.c The leftover rule: households too few for a grid join the grid of a
 * neighbouring vertex above the maximum (lib/partition/leftover.c).
 */

#include "check.h"

#include "core/memory.h"
#include "core/options.h"

#include <criterion/criterion.h>
#include <string.h>

/* A small CSR graph built edge by edge, with a cut cost per edge. */
enum { GP_LN = 256, GP_LE = 1024 };
typedef struct {
    int32_t n;
    int32_t ne;
    int32_t eu[GP_LE];
    int32_t ev[GP_LE];
    double ec[GP_LE];
    int32_t xadj[GP_LN + 1];
    int32_t adjncy[2 * GP_LE];
    double cost[2 * GP_LE];
    int64_t hh[GP_LN];
} gp_lg;

static void gp_lg_init(gp_lg *s, int32_t n, const int64_t *hh)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    for (int32_t v = 0; v < n; v++) {
        s->hh[v] = hh != NULL ? hh[v] : 0;
    }
}

static void gp_lg_edge(gp_lg *s, int32_t u, int32_t v, double cost)
{
    s->eu[s->ne] = u;
    s->ev[s->ne] = v;
    s->ec[s->ne++] = cost;
}

static gp_test_graph gp_lg_build(gp_lg *s)
{
    int32_t deg[GP_LN] = {0};
    for (int32_t i = 0; i < s->ne; i++) {
        deg[s->eu[i]]++;
        deg[s->ev[i]]++;
    }
    s->xadj[0] = 0;
    for (int32_t v = 0; v < s->n; v++) {
        s->xadj[v + 1] = s->xadj[v] + deg[v];
        deg[v] = s->xadj[v];
    }
    for (int32_t i = 0; i < s->ne; i++) {
        int32_t a = deg[s->eu[i]]++;
        int32_t b = deg[s->ev[i]]++;
        s->adjncy[a] = s->ev[i];
        s->adjncy[b] = s->eu[i];
        s->cost[a] = s->cost[b] = s->ec[i];
    }
    gp_test_graph tg = {s->n, s->xadj, s->adjncy, s->hh, s->cost};
    return tg;
}

static gp_options *gp_opts(void)
{
    gp_options *o = NULL;
    cr_assert_eq(gp_options_new(&o), GP_OK);
    return o;
}

/* Problem kinds in order, as a string of digits ("115": two over-max vertices, one join). */
static void gp_expect_kinds(const gp_partition *p, const char *kinds)
{
    char got[64] = {0};
    int32_t np = gp_partition_problem_count(p);
    for (int32_t i = 0; i < np && i < 63; i++) {
        got[i] = (char)('0' + gp_partition_problem_kind(p, i));
    }
    cr_assert_str_eq(got, kinds, "problem kinds %s, expected %s; first: %s", got, kinds,
                     gp_partition_problem_message(p, 0));
}

static int32_t gp_grid_of(const gp_partition *p, int32_t v)
{
    return gp_partition_assignment(p)[v];
}

static int64_t gp_hh_of(const gp_partition *p, int32_t v)
{
    return gp_partition_grid_households(p, gp_grid_of(p, v));
}

static void gp_expect_message(const gp_partition *p, int32_t i, const char *needle)
{
    const char *m = gp_partition_problem_message(p, i);
    cr_assert(strstr(m, needle) != NULL, "problem %d '%s' lacks '%s'", i, m, needle);
}

/*
 * The reported community: five street blocks in a row holding 22, 0, 817, 481 and 694
 * households, 817 and 694 single addresses. The blocks of 22 and 0 touch only the 817 one:
 * they join its grid (839), where before they were a grid of 22.
 */
Test(leftover, five_blocks_leftover_joins_the_over_max_grid)
{
    static gp_lg s;
    const int64_t hh[5] = {22, 0, 817, 481, 694};
    gp_lg_init(&s, 5, hh);
    for (int32_t v = 0; v + 1 < 5; v++) {
        gp_lg_edge(&s, v, v + 1, 1.0);
    }
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 3);
    cr_assert_eq(gp_grid_of(p, 0), gp_grid_of(p, 2));
    cr_assert_eq(gp_grid_of(p, 1), gp_grid_of(p, 2));
    cr_assert_eq(gp_hh_of(p, 2), 839);
    cr_assert_eq(gp_partition_grid_vertices(p, gp_grid_of(p, 3)), 1);
    cr_assert_eq(gp_hh_of(p, 3), 481);
    cr_assert_eq(gp_partition_grid_vertices(p, gp_grid_of(p, 4)), 1);
    cr_assert_eq(gp_hh_of(p, 4), 694);
    cr_assert_eq(gp_partition_out_of_bounds(p), 2);
    gp_expect_kinds(p, "115");
    cr_assert_eq(gp_partition_problem_vertex(p, 0), 2);
    gp_expect_message(p, 0,
                      "vertex 2 holds 817 households, above the maximum 500: it forms "
                      "grid 0 of 3 vertices, 839 households in all");
    cr_assert_eq(gp_partition_problem_vertex(p, 1), 4);
    gp_expect_message(p, 1, "it forms grid 2 alone");
    cr_assert_eq(gp_partition_problem_vertex(p, 2), 0);
    gp_expect_message(p, 2,
                      "component from vertex 0 holds 22 households in 2 vertices, fewer "
                      "than the minimum 300: it joins grid 0 of vertex 2");
    gp_expect_message(p, 2, "839 households in all");

    /* The fixed count the rule leaves (the two over-max grids and the 481) is met exactly. */
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_set_grid_count(ctx, o, 3), GP_OK);
    gp_partition *q = gp_check_partition(&tg, o);
    cr_assert_eq(
        memcmp(gp_partition_assignment(p), gp_partition_assignment(q), sizeof(int32_t) * 5), 0);
    gp_expect_kinds(q, "115");
    gp_partition_free(q);
    gp_context_free(ctx);
    gp_partition_free(p);
    gp_options_free(o);
}

/* A leftover touching two over-max vertices joins the one it shares the dearer border with;
 * on equal borders, the lower vertex. */
Test(leftover, host_is_the_dearest_shared_border_then_the_lowest_vertex)
{
    static gp_lg s;
    const int64_t hh[5] = {22, 0, 817, 481, 694};
    for (int pass = 0; pass < 3; pass++) {
        gp_lg_init(&s, 5, hh);
        gp_lg_edge(&s, 0, 1, 1.0);
        gp_lg_edge(&s, 1, 2, 1.0);
        gp_lg_edge(&s, 2, 3, 1.0);
        gp_lg_edge(&s, 3, 4, 1.0);
        /* pass 0: 0-4 dearer than 1-2; pass 1: cheaper; pass 2: equal. */
        gp_lg_edge(&s, 0, 4, pass == 0 ? 3.0 : (pass == 1 ? 0.5 : 1.0));
        gp_test_graph tg = gp_lg_build(&s);
        gp_options *o = gp_opts();
        gp_partition *p = gp_check_partition(&tg, o);
        int32_t host = pass == 0 ? 4 : 2;
        cr_assert_eq(gp_grid_of(p, 0), gp_grid_of(p, host), "pass %d", pass);
        cr_assert_eq(gp_grid_of(p, 1), gp_grid_of(p, host), "pass %d", pass);
        cr_assert_eq(gp_hh_of(p, host), hh[host] + 22, "pass %d", pass);
        cr_assert_eq(gp_partition_grid_vertices(p, gp_grid_of(p, 6 - host)), 1);
        cr_assert_eq(gp_hh_of(p, 3), 481);
        gp_expect_kinds(p, "115");
        gp_partition_free(p);
        gp_options_free(o);
    }
}

/*
 * The 22 and 0 blocks also touch the 481 one: that component holds 503, which no whole number
 * of grids fits. Its piece {22, 0} joins the 817 grid and the 481 block stays a grid within
 * the bounds. The 22 block alone cannot go: the 0 block would be cut off from the 481.
 */
Test(leftover, piece_of_a_component_just_over_the_maximum_joins)
{
    static gp_lg s;
    const int64_t hh[5] = {22, 0, 817, 481, 694};
    gp_lg_init(&s, 5, hh);
    gp_lg_edge(&s, 0, 1, 1.0);
    gp_lg_edge(&s, 0, 3, 1.0);
    gp_lg_edge(&s, 1, 2, 1.0);
    gp_lg_edge(&s, 0, 2, 1.0);
    gp_lg_edge(&s, 2, 3, 1.0);
    gp_lg_edge(&s, 3, 4, 1.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 3);
    cr_assert_eq(gp_grid_of(p, 0), gp_grid_of(p, 2));
    cr_assert_eq(gp_grid_of(p, 1), gp_grid_of(p, 2));
    cr_assert_eq(gp_hh_of(p, 2), 839);
    cr_assert_eq(gp_hh_of(p, 3), 481);
    cr_assert_eq(gp_partition_grid_vertices(p, gp_grid_of(p, 3)), 1);
    cr_assert_eq(gp_hh_of(p, 4), 694);
    gp_expect_kinds(p, "115");
    gp_expect_message(p, 2,
                      "component from vertex 0 holds 503 households in 3 vertices, which "
                      "no whole number of grids in [300, 500] fits: 2 vertices from "
                      "vertex 0 (22 households) join grid 0 of vertex 2");
    gp_partition_free(p);
    gp_options_free(o);
}

/*
 * A component of 550 (60, 40, 200, 250 in a path) whose ends both touch a vertex of 900: the
 * piece holding the fewest households goes (60: the 900 grid grows least), although giving
 * the 250 would cut a cheaper border (0.2).
 */
Test(leftover, fewest_households_first)
{
    static gp_lg s;
    const int64_t hh[5] = {60, 40, 200, 250, 900};
    gp_lg_init(&s, 5, hh);
    gp_lg_edge(&s, 0, 1, 1.0);
    gp_lg_edge(&s, 1, 2, 1.0);
    gp_lg_edge(&s, 2, 3, 0.2);
    gp_lg_edge(&s, 4, 0, 1.0);
    gp_lg_edge(&s, 4, 3, 1.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 2);
    cr_assert_eq(gp_grid_of(p, 0), gp_grid_of(p, 4));
    cr_assert_eq(gp_hh_of(p, 4), 960);
    cr_assert_eq(gp_hh_of(p, 1), 490);
    gp_expect_kinds(p, "15");
    cr_assert_eq(gp_partition_problem_vertex(p, 1), 0);
    gp_partition_free(p);
    gp_options_free(o);
}

/* 560 in a path 60, 200, 240, 60, both ends touching a vertex of 900: either 60 may go; the
 * one behind the cheap border (0.2 against 1) goes, and the dear border stays inside the rest. */
Test(leftover, then_the_cheapest_border)
{
    static gp_lg s;
    const int64_t hh[5] = {60, 200, 240, 60, 900};
    for (int pass = 0; pass < 2; pass++) {
        gp_lg_init(&s, 5, hh);
        gp_lg_edge(&s, 0, 1, pass == 0 ? 0.2 : 1.0);
        gp_lg_edge(&s, 1, 2, 1.0);
        gp_lg_edge(&s, 2, 3, pass == 0 ? 1.0 : 0.2);
        gp_lg_edge(&s, 4, 0, 1.0);
        gp_lg_edge(&s, 4, 3, 1.0);
        gp_test_graph tg = gp_lg_build(&s);
        gp_options *o = gp_opts();
        gp_partition *p = gp_check_partition(&tg, o);
        int32_t joined = pass == 0 ? 0 : 3;
        cr_assert_eq(gp_grid_of(p, joined), gp_grid_of(p, 4), "pass %d", pass);
        cr_assert_neq(gp_grid_of(p, 3 - joined), gp_grid_of(p, 4), "pass %d", pass);
        cr_assert_eq(gp_hh_of(p, 4), 960);
        cr_assert_eq(gp_hh_of(p, 1), 500);
        gp_expect_kinds(p, "15");
        cr_assert_eq(gp_partition_problem_vertex(p, 1), joined);
        gp_partition_free(p);
        gp_options_free(o);
    }
}

/* A component of 250 touching a vertex of 817: too few for a grid, it joins (1,067). */
Test(leftover, component_of_250_joins)
{
    static gp_lg s;
    const int64_t hh[4] = {100, 150, 817, 400};
    gp_lg_init(&s, 4, hh);
    gp_lg_edge(&s, 0, 1, 1.0);
    gp_lg_edge(&s, 1, 2, 1.0);
    gp_lg_edge(&s, 2, 3, 1.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 2);
    cr_assert_eq(gp_hh_of(p, 0), 1067);
    cr_assert_eq(gp_hh_of(p, 3), 400);
    gp_expect_kinds(p, "15");
    gp_expect_message(p, 0, "grid 0 of 3 vertices, 1067 households in all");
    gp_partition_free(p);
    gp_options_free(o);
}

/* Where no piece can go, the component stays as before: 481 and 22 in a path from the 817,
 * 503 in all; the 481 touches the 817 but would be no leftover, and the 22 cannot go without
 * it. One grid of 503, reported as infeasible. */
Test(leftover, no_piece_in_range_keeps_the_component)
{
    static gp_lg s;
    const int64_t hh[3] = {817, 481, 22};
    gp_lg_init(&s, 3, hh);
    gp_lg_edge(&s, 0, 1, 1.0);
    gp_lg_edge(&s, 1, 2, 1.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 2);
    cr_assert_eq(gp_hh_of(p, 0), 817);
    cr_assert_eq(gp_hh_of(p, 1), 503);
    gp_expect_kinds(p, "12");
    gp_partition_free(p);
    gp_options_free(o);
}

/* Without a vertex above the maximum nothing joins anything: 22 and 481 apart stay grids. */
Test(leftover, nothing_joins_without_an_over_max_neighbour)
{
    static gp_lg s;
    const int64_t hh[3] = {22, 481, 400};
    gp_lg_init(&s, 3, hh);
    gp_lg_edge(&s, 1, 2, 1.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 3);
    cr_assert_eq(gp_hh_of(p, 0), 22);
    gp_expect_kinds(p, "2");
    gp_partition_free(p);
    gp_options_free(o);
}

/*
 * Bounds 450-500: 1,020 fits neither 2 grids (<= 1,000) nor 3 (>= 1,350). A path of a 30
 * and ten blocks of 99, the 30 touching a vertex of 600: the 30 joins (630) and the ten make
 * two grids of 495, found by the search.
 */
Test(leftover, piece_leaves_a_rest_of_two_grids)
{
    static gp_lg s;
    int64_t hh[12];
    hh[0] = 600;
    hh[1] = 30;
    for (int32_t v = 2; v < 12; v++) {
        hh[v] = 99;
    }
    gp_lg_init(&s, 12, hh);
    for (int32_t v = 0; v + 1 < 12; v++) {
        gp_lg_edge(&s, v, v + 1, 1.0);
    }
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_set_bounds(ctx, o, 450, 500), GP_OK);
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 3);
    cr_assert_eq(gp_hh_of(p, 0), 630);
    cr_assert_eq(gp_hh_of(p, 2), 495);
    cr_assert_eq(gp_hh_of(p, 11), 495);
    gp_expect_kinds(p, "15");
    gp_partition_free(p);
    gp_context_free(ctx);
    gp_options_free(o);
}

/* A component of 70 vertices (more than the exact enumeration holds) still gives its piece:
 * a 30 touching the vertex of 900, then 69 blocks of 7 (513 in all): the 30 goes. */
Test(leftover, large_component_gives_its_piece)
{
    static gp_lg s;
    int64_t hh[71];
    hh[0] = 900;
    hh[1] = 30;
    for (int32_t v = 2; v < 71; v++) {
        hh[v] = 7;
    }
    gp_lg_init(&s, 71, hh);
    for (int32_t v = 0; v + 1 < 71; v++) {
        gp_lg_edge(&s, v, v + 1, 1.0);
    }
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 2);
    cr_assert_eq(gp_hh_of(p, 0), 930);
    cr_assert_eq(gp_hh_of(p, 2), 483);
    gp_expect_kinds(p, "15");
    gp_partition_free(p);
    gp_options_free(o);
}

/* A household-free component joins as before, now the host it shares the dearer border with,
 * and without a problem of its own; the host's problem counts it. */
Test(leftover, household_free_piece_joins_silently)
{
    static gp_lg s;
    const int64_t hh[3] = {700, 0, 900};
    gp_lg_init(&s, 3, hh);
    gp_lg_edge(&s, 0, 1, 1.0);
    gp_lg_edge(&s, 1, 2, 2.0);
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    cr_assert_eq(gp_partition_grid_count(p), 2);
    cr_assert_eq(gp_grid_of(p, 1), gp_grid_of(p, 2));
    gp_expect_kinds(p, "11");
    gp_expect_message(p, 1,
                      "vertex 2 holds 900 households, above the maximum 500: it forms "
                      "grid 1 of 2 vertices, 900 households in all");
    gp_partition_free(p);
    gp_options_free(o);
}

/*
 * Many leftovers at once, the same on any thread count: a 12 x 12 lattice whose every third
 * row and column are vertices of 600, walling in 16 pockets of 2 x 2 blocks. Pockets hold
 * about 180 (too few: all join), about 530 (just over the maximum: a piece joins) or 400 (a
 * grid), in turn; threads 1 to 4 give the same assignment and the same problems.
 */
Test(leftover, same_result_on_any_thread_count)
{
    static gp_lg s;
    int64_t hh[144];
    for (int32_t v = 0; v < 144; v++) {
        int32_t x = v % 12;
        int32_t y = v / 12;
        int32_t pocket = x / 3 + 4 * (y / 3);
        int64_t kinds[3] = {40 + (v * 7) % 13, 130 + v % 5, 100};
        hh[v] = (x % 3 == 2 || y % 3 == 2) ? 600 : kinds[pocket % 3];
    }
    gp_lg_init(&s, 144, hh);
    for (int32_t v = 0; v < 144; v++) {
        if (v % 12 + 1 < 12) {
            gp_lg_edge(&s, v, v + 1, 1.0 + (double)(v % 3));
        }
        if (v + 12 < 144) {
            gp_lg_edge(&s, v, v + 12, 1.0);
        }
    }
    gp_test_graph tg = gp_lg_build(&s);
    gp_options *o = gp_opts();
    gp_partition *p = gp_check_partition(&tg, o);
    int joined = 0;
    for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
        joined += gp_partition_problem_kind(p, i) == GP_PROBLEM_JOINED_OVER_MAX;
    }
    /* Pockets 0, 3, ..., 15 (6) join whole, 1, 4, ..., 13 (5) give a piece. */
    cr_assert_eq(joined, 11);
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    for (int32_t threads = 3; threads <= 4; threads++) {
        cr_assert_eq(gp_options_set_threads(ctx, o, threads), GP_OK);
        gp_partition *q = gp_check_partition(&tg, o);
        cr_assert_eq(gp_partition_grid_count(q), gp_partition_grid_count(p));
        cr_assert_eq(
            memcmp(gp_partition_assignment(p), gp_partition_assignment(q), sizeof(int32_t) * 144),
            0, "threads %d", threads);
        cr_assert_eq(gp_partition_problem_count(q), gp_partition_problem_count(p));
        for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
            cr_assert_str_eq(gp_partition_problem_message(q, i),
                             gp_partition_problem_message(p, i));
        }
        gp_partition_free(q);
    }
    gp_context_free(ctx);
    gp_partition_free(p);
    gp_options_free(o);
}

/* Every allocation of a run that joins leftovers failing in turn: GP_ERR_NOMEM or a result,
 * never a leak. */
Test(leftover, allocation_failures_return_nomem)
{
    static gp_lg s;
    const int64_t hh[5] = {22, 0, 817, 481, 694};
    gp_lg_init(&s, 5, hh);
    for (int32_t v = 0; v + 1 < 5; v++) {
        gp_lg_edge(&s, v, v + 1, 1.0);
    }
    gp_lg_build(&s);
    gp_context *ctx = NULL;
    gp_options *o = gp_opts();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, o, 1), GP_OK);
    int32_t part[5];
    int nomem = 0;
    int ok = 0;
    for (int64_t i = 0; i < 1000 && !ok; i++) {
        int64_t live = gp_test_alloc_live();
        gp_test_alloc_fail_after(i, 0);
        int32_t k = 0;
        gp_status st = gp_partition_graph(ctx, 5, s.xadj, s.adjncy, s.cost, s.hh, o, part, &k);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert_eq(gp_test_alloc_live(), live, "leak when allocation %lld fails", (long long)i);
        if (st == GP_ERR_NOMEM) {
            nomem++;
            continue;
        }
        cr_assert_eq(st, GP_ERR_INFEASIBLE, "allocation %lld: status %d", (long long)i, st);
        cr_assert_eq(k, 3);
        cr_assert(part[0] == part[2] && part[1] == part[2]);
        ok = 1;
    }
    cr_assert(ok);
    cr_assert_gt(nomem, 0);
    gp_options_free(o);
    gp_context_free(ctx);
}

static uint64_t gp_rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/*
 * Random graphs of 5 to 94 vertices, a fifth of them above the maximum: every property of
 * gp_check_partition holds (contiguity, households, the same result on 1 and 2 threads), and
 * every group of fewer than the minimum walled in by over-max vertices (checked here by its
 * own search) has joined a grid over the maximum.
 */
Test(leftover, random_graphs_leave_no_small_pocket_alone)
{
    static gp_lg s;
    static uint8_t adj[GP_LN][GP_LN];
    int joins = 0;
    for (uint64_t seed = 1; seed <= 150; seed++) {
        uint64_t r = seed * 7919;
        int32_t n = 5 + (int32_t)(gp_rng(&r) % 90);
        int64_t hh[GP_LN];
        for (int32_t v = 0; v < n; v++) {
            uint64_t x = gp_rng(&r) % 100;
            hh[v] = x < 20   ? 501 + (int64_t)(gp_rng(&r) % 1000)
                    : x < 30 ? 0
                             : (int64_t)(gp_rng(&r) % (x < 60 ? 40 : 200));
        }
        gp_lg_init(&s, n, hh);
        memset(adj, 0, sizeof adj);
        for (int32_t v = 1; v < n + n / 3; v++) {
            int32_t a = v < n ? v : (int32_t)(gp_rng(&r) % (uint64_t)n);
            int32_t b = (int32_t)(gp_rng(&r) % (uint64_t)(v < n ? v : n));
            if (a != b && !adj[a][b]) {
                adj[a][b] = adj[b][a] = 1;
                gp_lg_edge(&s, a, b, 0.5 + (double)(gp_rng(&r) % 5));
            }
        }
        gp_test_graph tg = gp_lg_build(&s);
        gp_options *o = gp_opts();
        o->seed = seed;
        gp_partition *p = gp_check_partition(&tg, o);
        const int32_t *part = gp_partition_assignment(p);
        for (int32_t i = 0; i < gp_partition_problem_count(p); i++) {
            joins += gp_partition_problem_kind(p, i) == GP_PROBLEM_JOINED_OVER_MAX;
        }
        uint8_t seen[GP_LN] = {0};
        for (int32_t s0 = 0; s0 < n; s0++) {
            if (hh[s0] > 500 || seen[s0]) {
                continue;
            }
            int32_t q[GP_LN];
            int32_t t = 0;
            int64_t total = 0;
            int touch = 0;
            q[t++] = s0;
            seen[s0] = 1;
            for (int32_t h = 0; h < t; h++) {
                total += hh[q[h]];
                for (int32_t u = 0; u < n; u++) {
                    if (!adj[q[h]][u]) {
                        continue;
                    }
                    touch |= hh[u] > 500;
                    if (hh[u] <= 500 && !seen[u]) {
                        seen[u] = 1;
                        q[t++] = u;
                    }
                }
            }
            for (int32_t h = 0; touch && total < 300 && h < t; h++) {
                cr_assert_gt(gp_partition_grid_households(p, part[q[h]]), 500,
                             "seed %llu: a pocket of %lld households from vertex %d stayed alone",
                             (unsigned long long)seed, (long long)total, s0);
            }
        }
        gp_partition_free(p);
        gp_options_free(o);
    }
    cr_assert_gt(joins, 100, "%d joins", joins);
}
