/* SPDX-License-Identifier: MIT */
/**
 * @file test_weld.c Near-coincident face vertices welded alike in every face (weld.c), and
 * shapes projected to the output CRS on the community's border and valid (reproject.c).
 */

#include "core/context.h"
#include "core/memory.h"
#include "geometry/blocks.h"
#include "geometry/crs.h"
#include "geometry/reproject.h"

#include <cpl_conv.h>
#include <criterion/criterion.h>
#include <math.h>
#include <ogr_srs_api.h>
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
TestSuite(reproject, .init = setup, .fini = teardown);

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

/* ---- reproject ---- */

static char *epsg_wkt(int code)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    cr_assert_eq(OSRImportFromEPSG(s, code), OGRERR_NONE);
    char *w = NULL;
    cr_assert_eq(OSRExportToWkt(s, &w), OGRERR_NONE);
    OSRDestroySpatialReference(s);
    return w; /* CPLFree */
}

/* Distance from (x, y) to the segment (ax, ay)-(bx, by). */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    return hypot(ax + t * dx - x, ay + t * dy - y);
}

static void point_n(const GEOSGeometry *poly, unsigned int i, double *x, double *y)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, poly));
    cr_assert_eq(GEOSCoordSeq_getXY_r(h, cs, i, x, y), 1);
}

Test(reproject, a_vertex_on_the_border_lands_on_the_projected_border)
{
    /* A 3 km square in UTM 19N, 200 km west of its central meridian (where Providence is),
     * split into a west and an east block at the middle of its south and north edges. In
     * WGS 84 the middle of the south edge projects off the straight line between the
     * projected corners; through the border it lies on it, and so the blocks keep tiling the
     * community there. */
    char *utm = epsg_wkt(32619), *wgs = epsg_wkt(4326);
    OGRCoordinateTransformationH ct = NULL;
    cr_assert_eq(gp_transform_new(ctx, utm, wgs, &ct), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_not_null(ct);
    GEOSGeometry *comm =
        wkt("POLYGON ((300000 4630000, 303000 4630000, 303000 4633000, "
            "300000 4633000, 300000 4630000))");
    GEOSGeometry *west =
        wkt("POLYGON ((300000 4630000, 301500 4630000, 301500 4633000, "
            "300000 4633000, 300000 4630000))");
    gp_border *border = NULL;
    cr_assert_eq(gp_border_new(ctx, comm, ct, &border), GP_OK, "%s", gp_context_last_error(ctx));
    GEOSGeometry *pc = NULL, *pw = NULL, *plain = NULL;
    int64_t repaired = 0;
    cr_assert_eq(gp_border_project(ctx, border, comm, &pc, &repaired), GP_OK);
    cr_assert_eq(gp_border_project(ctx, border, west, &pw, &repaired), GP_OK);
    cr_assert_eq(gp_transform_geos(ctx, ct, west, &plain), GP_OK);
    cr_assert_eq(repaired, 0);
    double ax, ay, bx, by, x, y, px, py;
    point_n(pc, 0, &ax, &ay); /* south-west corner */
    point_n(pc, 1, &bx, &by); /* south-east corner */
    point_n(pw, 1, &x, &y);   /* the middle of the south edge */
    point_n(plain, 1, &px, &py);
    double off_plain = seg_dist(px, py, ax, ay, bx, by);
    double off = seg_dist(x, y, ax, ay, bx, by);
    cr_assert_gt(off_plain, 1e-10, "a plain projection is off the edge by %g degree", off_plain);
    cr_expect_lt(off, 1e-14, "the border vertex is off the projected edge by %g degree", off);
    /* The corners themselves project as they are. */
    double cx, cy;
    point_n(pw, 0, &cx, &cy);
    cr_expect(cx == ax && cy == ay);
    GEOSGeom_destroy_r(h, pc);
    GEOSGeom_destroy_r(h, pw);
    GEOSGeom_destroy_r(h, plain);
    GEOSGeom_destroy_r(h, comm);
    GEOSGeom_destroy_r(h, west);
    gp_border_free(border);
    OCTDestroyCoordinateTransformation(ct);
    CPLFree(utm);
    CPLFree(wgs);
}

Test(reproject, an_invalid_result_is_repaired_and_counted)
{
    GEOSGeometry *comm = wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
    GEOSGeometry *bowtie = wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))");
    gp_border *border = NULL;
    cr_assert_eq(gp_border_new(ctx, comm, NULL, &border), GP_OK);
    GEOSGeometry *out = NULL;
    int64_t repaired = 0;
    cr_assert_eq(gp_border_project(ctx, border, comm, &out, &repaired), GP_OK);
    cr_expect_eq(repaired, 0);
    cr_expect(same(out, "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", 0));
    GEOSGeom_destroy_r(h, out);
    cr_assert_eq(gp_border_project(ctx, border, bowtie, &out, &repaired), GP_OK);
    cr_expect_eq(repaired, 1);
    cr_expect_eq(GEOSisValid_r(h, out), 1);
    cr_expect_float_eq(area(out), 50.0, 1e-9); /* both triangles kept */
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, comm);
    GEOSGeom_destroy_r(h, bowtie);
    gp_border_free(border);
}
