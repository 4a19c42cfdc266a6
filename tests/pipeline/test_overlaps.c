/* SPDX-License-Identifier: MIT */
/** @file test_overlaps.c Overlapping communities end to end: found, tolerated or refused. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "core/context.h"
#include "core/memory.h"
#include "geometry/overlaps.h"
#include "pipeline/plan.h"

#include "plan_check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Hand-made inputs in UTM 50N (EPSG:32650), local metres from 500000 E, 4000000 N. Every
 * community is a rectangle [x0, x1] x [0, 200]; one street runs along y = 100 through all of
 * them, so each community has two blocks.
 */

static char tmpdir[256];
static gp_context *ctx;
static gp_options *opts;
static GEOSContextHandle_t geos;

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_overlaps_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    geos = gp_ctx_geos(ctx);
    cr_assert_not_null(geos);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(overlaps, .init = setup, .fini = teardown);

#define X0 500000.0
#define Y0 4000000.0

static const char *write_layer(const char *name, const char *features)
{
    static char paths[4][512];
    static int slot;
    char *path = paths[slot++ % 4];
    snprintf(path, 512, "%s/%s.geojson", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
            "{\"name\":\"urn:ogc:def:crs:EPSG::32650\"}},\"features\":[%s]}\n",
            features);
    fclose(f);
    return path;
}

/* Communities ids[0], ids[1], ... (NULL: C1, C2, ...) as rectangles [x[2i], x[2i+1]] x [0, 200],
 * in that order in the layer. */
static const char *communities_named(const double *x, int n, const char *const *ids)
{
    char buf[4096] = "";
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        double a = X0 + x[2 * i], b = X0 + x[2 * i + 1];
        at += (size_t)snprintf(buf + at, sizeof buf - at,
                               "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\"},"
                               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.3f,%.3f],"
                               "[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f]]]}}",
                               i ? "," : "", ids ? ids[i] : (const char *[]){"C1", "C2", "C3"}[i],
                               a, Y0, b, Y0, b, Y0 + 200, a, Y0 + 200, a, Y0);
    }
    return write_layer("communities", buf);
}

static const char *communities(const double *x, int n)
{
    return communities_named(x, n, NULL);
}

static const char *street(double x0, double x1)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"type\":\"Feature\",\"properties\":{\"class\":\"residential\"},\"geometry\":"
             "{\"type\":\"LineString\",\"coordinates\":[[%.3f,%.3f],[%.3f,%.3f]]}}",
             X0 + x0, Y0 + 100, X0 + x1, Y0 + 100);
    return write_layer("streets", buf);
}

/* Household points "x y count; x y count; ..." in local metres. */
static const char *households(const char *list)
{
    char buf[4096] = "";
    size_t at = 0;
    const char *p = list;
    double x, y;
    long n;
    int k = 0;
    while (sscanf(p, " %lf %lf %ld%n", &x, &y, &n, &k) == 3) {
        at += (size_t)snprintf(buf + at, sizeof buf - at,
                               "%s{\"type\":\"Feature\",\"properties\":{\"households\":%ld},"
                               "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.3f,%.3f]}}",
                               at ? "," : "", n, X0 + x, Y0 + y);
        p += k;
        while (*p == ';' || *p == ' ') {
            p++;
        }
    }
    return write_layer("households", buf);
}

static gp_status run(const char *comm, const char *streets, const char *hh, gp_plan **plan)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, comm, "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, hh, "households"), GP_OK);
    gp_status st = gp_run(ctx, in, opts, plan);
    gp_inputs_free(in);
    return st;
}

#define ASSERT_MESSAGE_HAS(...)                                                                    \
    do {                                                                                           \
        const char *want_[] = {__VA_ARGS__};                                                       \
        for (size_t i_ = 0; i_ < sizeof want_ / sizeof want_[0]; i_++) {                           \
            cr_assert_not_null(strstr(gp_context_last_error(ctx), want_[i_]),                      \
                               "message '%s' lacks '%s'", gp_context_last_error(ctx), want_[i_]);  \
        }                                                                                          \
    } while (0)

/* The problem whose message contains `words`, or NULL. */
static const gp_problem_record *record_with(const gp_plan *plan, const char *words)
{
    for (int32_t i = 0; i < plan->n_problems; i++) {
        if (strstr(plan->problems[i].message, words) != NULL) {
            return &plan->problems[i];
        }
    }
    return NULL;
}

/* Its message, checked to be a run-wide community_overlap record of `severity` naming the
 * community features `fids` (n of them). */
static const char *overlap_record(const gp_plan *plan, const char *words, int32_t severity,
                                  const int64_t *fids, int32_t n)
{
    const gp_problem_record *r = record_with(plan, words);
    cr_assert_not_null(r, "no problem says '%s'", words);
    cr_assert_eq(r->kind, GP_PROBLEM_COMMUNITY_OVERLAP);
    cr_assert_eq(r->severity, severity);
    cr_assert_eq(r->community, -1);
    cr_assert_eq(r->n_features, n);
    for (int32_t i = 0; i < n; i++) {
        cr_assert_eq(r->features[i], fids[i]);
    }
    return r->message;
}

static const char *problem_with(const gp_plan *plan, const char *words)
{
    const gp_problem_record *r = record_with(plan, words);
    return r ? r->message : NULL;
}

/*
 * What every plan must hold however the communities overlapped: households conserved (read ==
 * in grids + outside), every grid's count the households whose points it holds (so none is in
 * two grids), grids of different communities meeting at most along borders, and the grids
 * covering exactly the union of the communities read (`area`, m^2).
 */
static void check_no_overlap(const gp_plan *plan, const char *hh_list, double area)
{
    int64_t in_grids = 0;
    double sum = 0.0;
    GEOSGeometry **g = calloc((size_t)plan->n_grids, sizeof *g);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        in_grids += plan->grids[i].households;
        g[i] = plan_shape(geos, &plan->grids[i].shape);
        double a = 0.0;
        GEOSArea_r(geos, g[i], &a);
        sum += a;
    }
    cr_assert_eq(in_grids + plan->households_outside, plan->households_read,
                 "%lld in grids + %lld outside != %lld read", (long long)in_grids,
                 (long long)plan->households_outside, (long long)plan->households_read);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        for (int32_t j = i + 1; j < plan->n_grids; j++) {
            GEOSGeometry *x = GEOSIntersection_r(geos, g[i], g[j]);
            double a = 0.0;
            GEOSArea_r(geos, x, &a);
            GEOSGeom_destroy_r(geos, x);
            cr_assert_lt(a, 1e-6, "grids %s and %s overlap by %g m^2", plan->grids[i].code,
                         plan->grids[j].code, a);
        }
    }
    cr_assert_float_eq(sum, area, 1e-6 * area, "grid areas %.6f, communities' union %.6f", sum,
                       area);
    /* Each grid's count is what its points add up to. */
    double x, y;
    long n;
    int k = 0;
    int64_t *held = calloc((size_t)plan->n_grids, sizeof *held);
    for (const char *p = hh_list; sscanf(p, " %lf %lf %ld%n", &x, &y, &n, &k) == 3;) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(geos, X0 + x, Y0 + y);
        int32_t inside = 0, owner = -1;
        for (int32_t i = 0; i < plan->n_grids; i++) {
            if (GEOSContains_r(geos, g[i], pt) == 1) {
                inside++;
                owner = i;
            }
        }
        /* On a border between grids: the first grid, as households go to the first community. */
        for (int32_t i = 0; i < plan->n_grids && owner < 0; i++) {
            owner = GEOSIntersects_r(geos, g[i], pt) == 1 ? i : -1;
        }
        cr_assert_leq(inside, 1, "household at %.1f %.1f lies inside %d grids", x, y, inside);
        cr_assert_geq(owner, 0, "household at %.1f %.1f lies in no grid", x, y);
        held[owner] += n;
        GEOSGeom_destroy_r(geos, pt);
        p += k;
        while (*p == ';' || *p == ' ') {
            p++;
        }
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        cr_assert_eq(held[i], plan->grids[i].households, "grid %s holds %lld, counts %lld",
                     plan->grids[i].code, (long long)held[i], (long long)plan->grids[i].households);
        GEOSGeom_destroy_r(geos, g[i]);
    }
    free(held);
    free(g);
}

Test(overlaps, real_overlap_is_an_error_naming_both_communities_and_the_area)
{
    /* C1 [0,400] and C2 [300,700] share 100 x 200 m. */
    const double x[] = {0, 400, 300, 700};
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 2), street(0, 700), households("50 50 400; 650 50 400"), &plan),
                 GP_ERR_INPUT);
    cr_assert_null(plan);
    ASSERT_MESSAGE_HAS(
        "communities.geojson:communities: communities 'C1' (feature 0) and 'C2' "
        "(feature 1) overlap by 20000.0 m^2, more than a digitising sliver");
}

Test(overlaps, every_real_overlap_is_counted_in_the_message)
{
    /* C2 overlaps C1 by 100 x 200 m, C3 overlaps C2 by 50 x 200 m; C3 only touches C1. */
    const double x[] = {0, 400, 300, 700, 650, 1000};
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 3), street(0, 1000),
                     households("50 50 400; 500 50 400; 900 50 400"), &plan),
                 GP_ERR_INPUT);
    ASSERT_MESSAGE_HAS("'C1' (feature 0) and 'C2' (feature 1) overlap by 20000.0 m^2",
                       "(2 pairs overlap so, 30000.0 m^2 in all)");
}

Test(overlaps, sliver_is_tolerated_and_kept_by_the_community_whose_id_comes_first)
{
    /* C2 starts 1.5 m inside C1: a 1.5 x 200 m sliver, no 2 m circle fits; a household of 7
     * stands in it. */
    const double x[] = {0, 400, 398.5, 800};
    const char *hh = "50 50 350; 399.2 50 7; 650 50 400";
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 2), street(0, 800), households(hh), &plan), GP_OK, "%s",
                 gp_context_last_error(ctx));
    const int64_t fids[] = {0, 1};
    const char *p =
        overlap_record(plan, "overlap in digitising slivers", GP_SEVERITY_NOTE, fids, 2);
    cr_assert_not_null(strstr(p, "1 pair(s) of communities overlap in digitising slivers"), "%s",
                       p);
    cr_assert_not_null(strstr(p, "300.0 m^2 in all"), "%s", p);
    cr_assert_not_null(strstr(p, "'C1' (feature 0) and 'C2' (feature 1)"), "%s", p);
    cr_assert_eq(plan_community(plan, "C1")->households, 357, "the sliver's household is C1's");
    cr_assert_eq(plan_community(plan, "C2")->households, 400);
    check_no_overlap(plan, hh, 800.0 * 200.0);
    gp_plan_free(plan);
}

/* The sliver goes by id, not by layer order (so a shuffled copy of the layer gives the same
 * grids): C1 keeps it though it comes second in the layer. */
Test(overlaps, sliver_goes_by_id_not_by_layer_order)
{
    const double x[] = {398.5, 800, 0, 400};
    const char *ids[] = {"C2", "C1"};
    const char *hh = "50 50 350; 399.2 50 7; 650 50 400";
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities_named(x, 2, ids), street(0, 800), households(hh), &plan), GP_OK,
                 "%s", gp_context_last_error(ctx));
    const char *p = problem_with(plan, "overlap in digitising slivers");
    cr_assert_not_null(p);
    cr_assert_not_null(strstr(p, "'C1' (feature 1) and 'C2' (feature 0)"), "%s", p);
    cr_assert_eq(plan_community(plan, "C1")->households, 357, "the sliver's household is C1's");
    cr_assert_eq(plan_community(plan, "C2")->households, 400);
    check_no_overlap(plan, hh, 800.0 * 200.0);
    gp_plan_free(plan);
}

Test(overlaps, communities_sharing_a_border_do_not_overlap)
{
    const double x[] = {0, 400, 400, 800};
    const char *hh = "50 50 350; 400 50 7; 650 50 400";
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 2), street(0, 800), households(hh), &plan), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_null(problem_with(plan, "overlap"));
    cr_assert_eq(plan_community(plan, "C1")->households, 357, "on the shared border: the first");
    check_no_overlap(plan, hh, 800.0 * 200.0);
    gp_plan_free(plan);
}

Test(overlaps, first_option_gives_a_real_overlap_to_the_first_community)
{
    /* C1 [0,400] and C2 [300,700] share 100 x 200 m, where a household of 9 stands. */
    const double x[] = {0, 400, 300, 700};
    const char *hh = "50 50 350; 350 50 9; 650 50 400";
    cr_assert_eq(gp_options_set_overlaps(ctx, opts, GP_OVERLAPS_FIRST), GP_OK);
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 2), street(0, 700), households(hh), &plan), GP_OK, "%s",
                 gp_context_last_error(ctx));
    const int64_t fids[] = {0, 1};
    const char *p = overlap_record(plan, "overlap by", GP_SEVERITY_WARNING, fids, 2);
    cr_assert_not_null(strstr(p,
                              "communities 'C1' (feature 0) and 'C2' (feature 1) overlap by "
                              "20000.0 m^2: the overlap is kept by 'C1'"),
                       "%s", p);
    cr_assert_eq(plan_community(plan, "C1")->households, 359, "the overlap's household is C1's");
    cr_assert_eq(plan_community(plan, "C2")->households, 400);
    GEOSGeometry *c2 = plan_shape(geos, &plan_community(plan, "C2")->shape);
    double a = 0;
    GEOSArea_r(geos, c2, &a);
    GEOSGeom_destroy_r(geos, c2);
    cr_assert_float_eq(a, 300.0 * 200.0, 1e-6, "C2 is divided without the overlap: %g m^2", a);
    check_no_overlap(plan, hh, 700.0 * 200.0);
    gp_plan_free(plan);
}

Test(overlaps, first_option_refuses_a_community_left_with_nothing)
{
    const double x[] = {0, 400, 100, 300};
    cr_assert_eq(gp_options_set_overlaps(ctx, opts, GP_OVERLAPS_FIRST), GP_OK);
    gp_plan *plan = NULL;
    cr_assert_eq(run(communities(x, 2), street(0, 400), households("50 50 350"), &plan),
                 GP_ERR_INPUT);
    ASSERT_MESSAGE_HAS(
        "communities.geojson:communities: feature 1: community 'C2' lies wholly "
        "inside communities whose ids come before its own");
}

/* Find and resolve the overlaps of three rectangles [x0, x1] x [0, 200] (a sliver and a
 * real overlap, both resolved); returns the status and the number of pairs found. */
static gp_status find_and_resolve(GEOSGeometry **comm, int64_t *n_pairs)
{
    gp_overlap_rule rule = {2.0, 10.0};
    gp_overlap *pairs = NULL;
    uint8_t changed[3] = {0};
    int32_t emptied = -1;
    gp_status st = gp_overlaps_find(ctx, geos, 3, comm, NULL, &rule, NULL, NULL, &pairs, n_pairs);
    if (st == GP_OK) {
        st = gp_overlaps_resolve(ctx, geos, 3, comm, pairs, *n_pairs, 1, changed, &emptied);
    }
    gp_free(pairs);
    return st;
}

Test(overlaps, every_failing_allocation_while_resolving_is_reported_without_leak)
{
    const char *wkt[3] = {"POLYGON ((0 0, 400 0, 400 200, 0 200, 0 0))",
                          "POLYGON ((398.5 0, 800 0, 800 200, 398.5 200, 398.5 0))",
                          "POLYGON ((700 0, 1200 0, 1200 200, 700 200, 700 0))"};
    GEOSWKTReader *rd = GEOSWKTReader_create_r(geos);
    GEOSGeometry *comm[3];
    int64_t total = -1;
    int failed = 0;
    int64_t base = gp_test_alloc_live();
    for (int64_t n = -1; n < total || total < 0; n++) {
        for (int i = 0; i < 3; i++) {
            comm[i] = GEOSWKTReader_read_r(geos, rd, wkt[i]);
        }
        int64_t n_pairs = 0;
        gp_test_alloc_fail_after(n, 0);
        gp_status st = find_and_resolve(comm, &n_pairs);
        if (n < 0) {
            total = gp_test_alloc_count();
            cr_assert_eq(st, GP_OK, "%s", gp_context_last_error(ctx));
            cr_assert_eq(n_pairs, 2);
            double a = 0;
            GEOSArea_r(geos, comm[2], &a);
            cr_assert_float_eq(a, 400.0 * 200.0, 1e-6, "C3 keeps [800, 1200]: %g m^2", a);
        }
        gp_test_alloc_fail_after(-1, 0);
        cr_assert(st == GP_OK || st == GP_ERR_NOMEM, "allocation %lld failing gave %d: %s",
                  (long long)n, st, gp_context_last_error(ctx));
        failed += st == GP_ERR_NOMEM;
        gp_context_clear_error(ctx);
        for (int i = 0; i < 3; i++) {
            GEOSGeom_destroy_r(geos, comm[i]);
        }
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
    }
    cr_assert_gt(total, 0);
    cr_assert_eq(failed, total, "every allocation is checked");
    GEOSWKTReader_destroy_r(geos, rd);
}

static gp_status stop_at_second(void *user)
{
    int *calls = user;
    return ++*calls >= 2 ? GP_ERR_CANCELED : GP_OK;
}

Test(overlaps, the_search_stops_when_its_tick_says_so)
{
    GEOSWKTReader *rd = GEOSWKTReader_create_r(geos);
    GEOSGeometry *comm[3] = {
        GEOSWKTReader_read_r(geos, rd, "POLYGON ((0 0, 400 0, 400 200, 0 200, 0 0))"),
        GEOSWKTReader_read_r(geos, rd, "POLYGON ((300 0, 800 0, 800 200, 300 200, 300 0))"),
        GEOSWKTReader_read_r(geos, rd, "POLYGON ((700 0, 1200 0, 1200 200, 700 200, 700 0))")};
    gp_overlap_rule rule = {2.0, 10.0};
    gp_overlap *pairs = NULL;
    int64_t n_pairs = -1;
    int calls = 0;
    int64_t base = gp_test_alloc_live();
    cr_assert_eq(
        gp_overlaps_find(ctx, geos, 3, comm, NULL, &rule, stop_at_second, &calls, &pairs, &n_pairs),
        GP_ERR_CANCELED);
    cr_assert_eq(calls, 2);
    cr_assert_null(pairs);
    cr_assert_eq(n_pairs, 0);
    cr_assert_eq(gp_test_alloc_live(), base);
    for (int i = 0; i < 3; i++) {
        GEOSGeom_destroy_r(geos, comm[i]);
    }
    GEOSWKTReader_destroy_r(geos, rd);
}

/* With more than one thread the overlaps are settled beside the reading of the other layers
 * (dataset.c, overlap_job): the same messages, records and grids as on one thread. */
Test(overlaps, one_thread_or_two_give_the_same_messages_and_grids)
{
    const double x[] = {0, 400, 300, 700};
    const char *hh = "50 50 350; 350 50 9; 650 50 400";
    char refused[2][GP_MESSAGE_MAX];
    char kept[2][GP_MESSAGE_MAX];
    int64_t c1[2];
    for (int t = 0; t < 2; t++) {
        cr_assert_eq(gp_options_set_threads(ctx, opts, t + 1), GP_OK);
        cr_assert_eq(gp_options_set_overlaps(ctx, opts, GP_OVERLAPS_ERROR), GP_OK);
        gp_plan *plan = NULL;
        cr_assert_eq(run(communities(x, 2), street(0, 700), households(hh), &plan), GP_ERR_INPUT);
        snprintf(refused[t], sizeof refused[t], "%s", gp_context_last_error(ctx));
        cr_assert_eq(gp_options_set_overlaps(ctx, opts, GP_OVERLAPS_FIRST), GP_OK);
        cr_assert_eq(run(communities(x, 2), street(0, 700), households(hh), &plan), GP_OK, "%s",
                     gp_context_last_error(ctx));
        snprintf(kept[t], sizeof kept[t], "%s", problem_with(plan, "overlap by"));
        c1[t] = plan_community(plan, "C1")->households;
        check_no_overlap(plan, hh, 700.0 * 200.0);
        gp_plan_free(plan);
    }
    cr_assert_str_eq(refused[0], refused[1]);
    cr_assert_not_null(strstr(refused[1], "'C1' (feature 0) and 'C2' (feature 1) overlap by"));
    cr_assert_str_eq(kept[0], kept[1]);
    cr_assert_eq(c1[0], 359);
    cr_assert_eq(c1[1], 359);
}

/* Cancels the first time the run reports reading at its end (5%): only the main thread's wait
 * for the overlap check does, the reading itself reports less. */
static int32_t cancel_at_read_end(double fraction, const char *stage, void *user)
{
    int *seen = user;
    if (strcmp(stage, "read") == 0 && fraction >= 0.05) {
        ++*seen;
        return 1;
    }
    return 0;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 300 communities that all overlap one another: 44,850 pairs to measure, which takes far
 * longer than reading one street and one household. A cancel while the main thread waits for
 * that check stops it: the run returns at once, not after the check. */
Test(overlaps, a_cancel_while_the_overlap_check_runs_beside_reading_stops_it)
{
    enum { N = 300 };
    size_t size = (size_t)N * 400;
    char *buf = malloc(size);
    cr_assert_not_null(buf);
    size_t at = 0;
    for (int i = 0; i < N; i++) {
        double a = X0 + 0.01 * i, b = a + 400;
        at += (size_t)snprintf(buf + at, size - at,
                               "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"C%03d\"},"
                               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.3f,%.3f],"
                               "[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f]]]}}",
                               i ? "," : "", i, a, Y0, b, Y0, b, Y0 + 200, a, Y0 + 200, a, Y0);
    }
    const char *comm = write_layer("communities", buf);
    free(buf);
    const char *streets = street(0, 400);
    const char *hh = households("50 50 350");
    /* One thread: the check runs to its end, then the overlaps are refused. */
    cr_assert_eq(gp_options_set_threads(ctx, opts, 1), GP_OK);
    gp_plan *plan = NULL;
    double t0 = seconds_now();
    cr_assert_eq(run(comm, streets, hh, &plan), GP_ERR_INPUT, "%s", gp_context_last_error(ctx));
    double whole = seconds_now() - t0;
    /* Two: canceled while the check runs beside the reading. */
    int seen = 0;
    cr_assert_eq(gp_options_set_threads(ctx, opts, 2), GP_OK);
    cr_assert_eq(gp_context_set_progress(ctx, cancel_at_read_end, &seen), GP_OK);
    t0 = seconds_now();
    cr_assert_eq(run(comm, streets, hh, &plan), GP_ERR_CANCELED, "%s", gp_context_last_error(ctx));
    double canceled = seconds_now() - t0;
    cr_assert_null(plan);
    cr_assert_eq(seen, 1, "the wait for the overlap check reported no progress");
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "canceled by the progress callback"),
                       "%s", gp_context_last_error(ctx));
    cr_assert_lt(canceled, whole / 2, "canceled after %.3f s; the whole check takes %.3f s",
                 canceled, whole);
}
