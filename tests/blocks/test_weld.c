/* SPDX-License-Identifier: MIT */
/** @file test_weld.c Near-coincident face vertices welded alike in every face (weld.c). */

#include "core/context.h"
#include "core/memory.h"
#include "geometry/blocks.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;
static GEOSContextHandle_t h;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    h = gp_ctx_geos(ctx);
    cr_assert_not_null(h);
}

static void teardown(void)
{
    gp_context_free(ctx);
}

TestSuite(weld, .init = setup, .fini = teardown);

static GEOSGeometry *wkt(const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    cr_assert_not_null(g, "bad WKT %s", text);
    return g;
}

/* Same shape and vertices (within tol) once both are normalized. */
static int same(const GEOSGeometry *a, const char *expected, double tol)
{
    GEOSGeometry *x = GEOSGeom_clone_r(h, a), *y = wkt(expected);
    GEOSNormalize_r(h, x);
    GEOSNormalize_r(h, y);
    int eq = GEOSEqualsExact_r(h, x, y, tol) == 1;
    GEOSGeom_destroy_r(h, x);
    GEOSGeom_destroy_r(h, y);
    return eq;
}

static double area(const GEOSGeometry *g)
{
    double a = 0;
    cr_assert_eq(GEOSArea_r(h, g, &a), 1);
    return a;
}

static void destroy_faces(GEOSGeometry **faces, int32_t n)
{
    for (int32_t f = 0; f < n; f++) {
        GEOSGeom_destroy_r(h, faces[f]);
    }
}

/* Two unit squares side by side whose shared edge has a nanometre kink at y = 0.5: the
 * vertex (1 + 1e-9, 0.5) next to (1, 0.5), in both faces, as one polygonization gives them. */
static const char *const KINKED[2] = {
    "POLYGON ((0 0, 1 0, 1 0.5, 1.000000001 0.5, 1 1, 0 1, 0 0))",
    "POLYGON ((1 0, 2 0, 2 1, 1 1, 1.000000001 0.5, 1 0.5, 1 0))"};

Test(weld, nothing_closer_than_eps_leaves_every_face_as_it_was)
{
    GEOSGeometry *faces[2] = {wkt("POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"),
                              wkt("POLYGON ((1 0, 2 0, 2 1, 1.000002 1, 1 1, 1 0))")};
    GEOSGeometry *before[2] = {faces[0], faces[1]};
    int32_t n = 2, welded = -1;
    cr_assert_eq(gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded), GP_OK);
    cr_assert_eq(welded, 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(faces[0], before[0], "an untouched face is not even copied");
    cr_assert_eq(faces[1], before[1]);
    destroy_faces(faces, n);
}

Test(weld, a_nanometre_edge_goes_from_both_faces_alike)
{
    GEOSGeometry *faces[2] = {wkt(KINKED[0]), wkt(KINKED[1])};
    int32_t n = 2, welded = 0;
    cr_assert_eq(gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(welded, 1);
    cr_assert_eq(n, 2);
    /* The lower coordinate of the two stands for both; the shared edge is still shared. */
    cr_expect(same(faces[0], "POLYGON ((0 0, 1 0, 1 0.5, 1 1, 0 1, 0 0))", 0));
    cr_expect(same(faces[1], "POLYGON ((1 0, 2 0, 2 1, 1 1, 1 0.5, 1 0))", 0));
    for (int f = 0; f < 2; f++) {
        cr_expect_eq(GEOSisValid_r(h, faces[f]), 1);
        cr_expect_float_eq(area(faces[f]), 1.0, 1e-12);
    }
    destroy_faces(faces, n);
}

Test(weld, the_needle_welding_leaves_is_removed)
{
    /* A crack 1e-9 wide into the square from (0,1) to (0.5,1): welding its mouth leaves the
     * spike (0,1) (0.5,1) (0,1), which goes. */
    GEOSGeometry *faces[1] = {
        wkt("POLYGON ((0 0, 2 0, 2 2, 0 2, 0 1.000000001, 0.5 1, 0 1, 0 0))")};
    cr_assert_eq(GEOSisValid_r(h, faces[0]), 1);
    int32_t n = 1, welded = 0;
    cr_assert_eq(gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded), GP_OK);
    cr_assert_eq(welded, 1);
    cr_assert_eq(n, 1);
    cr_expect(same(faces[0], "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 1, 0 0))", 0));
    cr_expect_eq(GEOSisValid_r(h, faces[0]), 1);
    cr_expect_float_eq(area(faces[0]), 4.0, 1e-12);
    destroy_faces(faces, n);
}

Test(weld, a_face_that_collapses_is_dropped)
{
    /* A sliver 1e-9 high between two squares: all its vertices weld into the squares'. */
    GEOSGeometry *faces[3] = {wkt("POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"),
                              wkt("POLYGON ((0 1, 1 1, 1 1.000000001, 0 1.000000001, 0 1))"),
                              wkt("POLYGON ((0 1.000000001, 1 1.000000001, 1 2, 0 2, "
                                  "0 1.000000001))")};
    int32_t n = 3, welded = 0;
    cr_assert_eq(gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded), GP_OK);
    cr_assert_eq(welded, 2);
    cr_assert_eq(n, 2, "the sliver is gone");
    cr_expect(same(faces[0], "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))", 0));
    cr_expect(same(faces[1], "POLYGON ((0 1, 1 1, 1 2, 0 2, 0 1))", 0));
    destroy_faces(faces, n);
}

Test(weld, every_failing_allocation_leaves_consistent_faces_and_no_leak)
{
    GEOSGeometry *faces[2];
    int32_t n = 2, welded = 0;
    faces[0] = wkt(KINKED[0]);
    faces[1] = wkt(KINKED[1]);
    int64_t base = gp_test_alloc_live();
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_eq(gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded), GP_OK);
    int64_t total = gp_test_alloc_count();
    destroy_faces(faces, n);
    cr_assert_eq(gp_test_alloc_live(), base);
    cr_assert_gt(total, 2);
    for (int64_t k = 0; k < total; k++) {
        n = 2;
        faces[0] = wkt(KINKED[0]);
        faces[1] = wkt(KINKED[1]);
        gp_test_alloc_fail_after(k, 0);
        gp_status st = gp_faces_weld(ctx, h, faces, &n, 1e-6, &welded);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert_eq(st, GP_ERR_NOMEM, "allocation %lld failing gave %d: %s", (long long)k, st,
                     gp_context_last_error(ctx));
        cr_assert_geq(n, 0);
        cr_assert_leq(n, 2);
        for (int32_t f = 0; f < n; f++) {
            cr_assert_eq(GEOSisValid_r(h, faces[f]), 1);
        }
        destroy_faces(faces, n); /* each face once: no double free, no loss */
        cr_assert_eq(gp_test_alloc_live(), base, "allocation %lld failing leaks", (long long)k);
    }
}
