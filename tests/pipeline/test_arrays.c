/* SPDX-License-Identifier: MIT */
/**
 * @file test_arrays.c Results read from the plan into caller buffers (issue #14): grid and
 * block geometries as WKB in the output CRS, the same shapes gp_plan_write writes, and the
 * grid of each household feature by feature id, on the demo city.
 */

#include "gridpart.h"

#include "demo_fixture.h"

#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <ogr_api.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;
static gp_inputs *in;
static gp_plan *plan;
static char households_path[4096];

static void setup(void)
{
    demo_path(households_path, sizeof households_path, "households");
    demo_run(&ctx, &in, &plan);
    GDALAllRegister();
}

static void teardown(void)
{
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_context_free(ctx);
}

TestSuite(arrays, .init = setup, .fini = teardown, .timeout = 300);

static OGRGeometryH grid_geometry(int32_t g)
{
    size_t n = gp_plan_grid_wkb_size(plan, g);
    cr_assert_gt(n, 9, "grid %d", (int)g);
    uint8_t *buf = malloc(n);
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, g, buf, n), GP_OK, "%s", gp_context_last_error(ctx));
    OGRGeometryH geom = NULL;
    cr_assert_eq(OGR_G_CreateFromWkbEx(buf, NULL, &geom, n), OGRERR_NONE, "grid %d", (int)g);
    free(buf);
    return geom;
}

/* Each grid's WKB is the polygon gp_plan_write puts in the grids layer, in the same CRS. */
Test(arrays, grid_wkb_is_the_written_geometry)
{
    cr_assert_eq(gp_plan_write(ctx, plan, "/vsimem/arrays.gpkg", NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    GDALDatasetH ds = GDALOpenEx("/vsimem/arrays.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH grids = GDALDatasetGetLayerByName(ds, "grids");
    cr_assert_eq(OGR_L_GetFeatureCount(grids, TRUE), gp_plan_grid_count(plan));
    OGRFeatureH f;
    int32_t g = 0;
    OGR_L_ResetReading(grids);
    while ((f = OGR_L_GetNextFeature(grids)) != NULL) {
        cr_assert_str_eq(OGR_F_GetFieldAsString(f, 0), gp_plan_grid_code(plan, g));
        OGRGeometryH mine = grid_geometry(g);
        int type = wkbFlatten(OGR_G_GetGeometryType(mine));
        cr_assert(type == wkbPolygon || type == wkbMultiPolygon);
        cr_assert_eq(type == wkbMultiPolygon,
                     strstr(gp_plan_grid_flags(plan, g), "multipart") != NULL);
        cr_assert(OGR_G_Equals(mine, OGR_F_GetGeometryRef(f)), "grid %s",
                  gp_plan_grid_code(plan, g));
        OGR_G_DestroyGeometry(mine);
        OGR_F_Destroy(f);
        g++;
    }
    cr_assert_eq(g, gp_plan_grid_count(plan));
    /* The same CRS as the layer: the communities' (EPSG:4490, degrees). */
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(grids);
    cr_assert_not_null(srs);
    cr_assert_str_eq(OSRGetAuthorityCode(srs, NULL), "4490");
    GDALClose(ds);
    VSIUnlink("/vsimem/arrays.gpkg");
}

/* The convention: too small a buffer or an index out of range writes nothing. */
Test(arrays, size_then_fill)
{
    size_t n = gp_plan_grid_wkb_size(plan, 0);
    uint8_t *buf = malloc(n + 8);
    memset(buf, 0xAB, n + 8);
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, 0, buf, n - 1), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "needs"), "%s",
                       gp_context_last_error(ctx));
    for (size_t i = 0; i < n + 8; i++) {
        cr_assert_eq(buf[i], 0xAB);
    }
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, 0, NULL, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, -1, buf, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, gp_plan_grid_count(plan), buf, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_grid_wkb_size(plan, gp_plan_grid_count(plan)), 0);
    cr_assert_eq(gp_plan_grid_wkb_size(NULL, 0), 0);
    cr_assert_eq(gp_plan_block_wkb_size(plan, -1), 0);
    cr_assert_eq(gp_plan_block_wkb(ctx, plan, gp_plan_block_count(plan), buf, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_block_id(plan, -1), -1);
    cr_assert_eq(gp_plan_block_grid(plan, gp_plan_block_count(plan)), -1);
    cr_assert_eq(gp_plan_block_on_streets(NULL, 0), -1);
    /* A buffer larger than needed is fine; the bytes after the WKB stay. */
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, 0, buf, n + 8), GP_OK);
    cr_assert(buf[0] == 0 || buf[0] == 1, "byte order flag %d", buf[0]);
    cr_assert_eq(buf[n], 0xAB);
    free(buf);
    int64_t fid = 0;
    int32_t grid = 0;
    cr_assert_eq(gp_plan_household_grids(ctx, plan, &fid, &grid, 1), GP_ERR_ARG);
    cr_assert_eq(fid, 0);
    cr_assert_eq(gp_plan_household_grids(ctx, plan, NULL, NULL, 0), GP_OK);
    cr_assert_eq(gp_plan_household_grid(ctx, plan, 1, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_plan_household_count(NULL), 0);
}

/* The blocks tile their grids: per grid, the blocks' households add up to the grid's and their
 * areas to its area; block ids and on_streets are the blocks layer's. */
Test(arrays, blocks_tile_their_grids)
{
    int32_t ng = gp_plan_grid_count(plan), nb = gp_plan_block_count(plan);
    cr_assert_gt(nb, ng);
    int64_t *hh = calloc((size_t)ng, sizeof *hh);
    double *area = calloc((size_t)ng, sizeof *area);
    int32_t *blocks = calloc((size_t)ng, sizeof *blocks);
    int cut = 0;
    for (int32_t b = 0; b < nb; b++) {
        int32_t g = gp_plan_block_grid(plan, b);
        cr_assert(g >= 0 && g < ng);
        cr_assert_eq(gp_plan_block_community(plan, b), gp_plan_grid_community(plan, g));
        cr_assert_geq(gp_plan_block_id(plan, b), 0);
        cut += gp_plan_block_on_streets(plan, b) == 0;
        hh[g] += gp_plan_block_households(plan, b);
        blocks[g]++;
        size_t n = gp_plan_block_wkb_size(plan, b);
        uint8_t *buf = malloc(n);
        cr_assert_eq(gp_plan_block_wkb(ctx, plan, b, buf, n), GP_OK);
        OGRGeometryH geom = NULL;
        cr_assert_eq(OGR_G_CreateFromWkbEx(buf, NULL, &geom, n), OGRERR_NONE);
        area[g] += OGR_G_Area(geom);
        OGR_G_DestroyGeometry(geom);
        free(buf);
    }
    cr_assert_gt(cut, 0, "the demo city has cut blocks");
    for (int32_t g = 0; g < ng; g++) {
        cr_assert_eq(hh[g], gp_plan_grid_households(plan, g), "grid %s",
                     gp_plan_grid_code(plan, g));
        cr_assert_eq(blocks[g], gp_plan_grid_blocks(plan, g), "grid %s",
                     gp_plan_grid_code(plan, g));
        OGRGeometryH geom = grid_geometry(g);
        double a = OGR_G_Area(geom);
        cr_assert_lt(a - area[g] > 0 ? a - area[g] : area[g] - a, 1e-9 * a + 1e-14, "grid %s",
                     gp_plan_grid_code(plan, g));
        OGR_G_DestroyGeometry(geom);
    }
    free(hh);
    free(area);
    free(blocks);
}

/* Every household feature of the layer has its grid: its point lies in that grid's polygon,
 * the counts add up to each grid's households, and the features outside every community
 * (1186 to 1188 in the demo) have none. */
Test(arrays, household_features_by_id)
{
    int64_t n = gp_plan_household_count(plan);
    GDALDatasetH ds = GDALOpenEx(households_path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(n, OGR_L_GetFeatureCount(layer, TRUE));
    int64_t *fids = malloc((size_t)n * sizeof *fids);
    int32_t *grids = malloc((size_t)n * sizeof *grids);
    cr_assert_eq(gp_plan_household_grids(ctx, plan, fids, grids, n), GP_OK, "%s",
                 gp_context_last_error(ctx));
    int32_t ng = gp_plan_grid_count(plan);
    int64_t *hh = calloc((size_t)ng, sizeof *hh);
    OGRGeometryH *shape = calloc((size_t)ng, sizeof *shape);
    int outside = 0;
    int field = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "households");
    for (int64_t i = 0; i < n; i++) {
        cr_assert(i == 0 || fids[i - 1] < fids[i], "ascending ids");
        int32_t one = -2;
        cr_assert_eq(gp_plan_household_grid(ctx, plan, fids[i], &one), GP_OK);
        cr_assert_eq(one, grids[i]);
        OGRFeatureH f = OGR_L_GetFeature(layer, fids[i]);
        cr_assert_not_null(f, "feature %lld", (long long)fids[i]);
        if (grids[i] < 0) {
            outside++;
            cr_assert(fids[i] >= 1186 && fids[i] <= 1188, "feature %lld", (long long)fids[i]);
        } else {
            cr_assert_lt(grids[i], ng);
            hh[grids[i]] += OGR_F_GetFieldAsInteger64(f, field);
            if (shape[grids[i]] == NULL) {
                shape[grids[i]] = grid_geometry(grids[i]);
            }
            /* In degrees: 1e-7 is about a centimetre (a point on a grid border). */
            cr_assert_lt(OGR_G_Distance(shape[grids[i]], OGR_F_GetGeometryRef(f)), 1e-7,
                         "feature %lld, grid %s", (long long)fids[i],
                         gp_plan_grid_code(plan, grids[i]));
        }
        OGR_F_Destroy(f);
    }
    cr_assert_eq(outside, 3);
    for (int32_t g = 0; g < ng; g++) {
        cr_assert_eq(hh[g], gp_plan_grid_households(plan, g), "grid %s",
                     gp_plan_grid_code(plan, g));
        OGR_G_DestroyGeometry(shape[g]);
    }
    int32_t grid = 0;
    cr_assert_eq(gp_plan_household_grid(ctx, plan, 999999, &grid), GP_ERR_ARG);
    cr_assert_eq(grid, -1);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "999999"));
    GDALClose(ds);
    free(fids);
    free(grids);
    free(hh);
    free(shape);
}

/* gp_adjust records the household features too. */
Test(arrays, adjust_records_households)
{
    cr_assert_eq(gp_plan_write(ctx, plan, "/vsimem/previous.gpkg", NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_previous(ctx, in, "/vsimem/previous.gpkg:grids", NULL, NULL), GP_OK);
    gp_plan *again = NULL;
    cr_assert_eq(gp_adjust(ctx, in, NULL, &again), GP_OK, "%s", gp_context_last_error(ctx));
    int64_t n = gp_plan_household_count(again);
    cr_assert_eq(n, gp_plan_household_count(plan));
    /* Nothing moved: each feature is in the grid of the same code. */
    int64_t *fids = malloc((size_t)n * sizeof *fids);
    int32_t *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    cr_assert_eq(gp_plan_household_grids(ctx, plan, fids, a, n), GP_OK);
    cr_assert_eq(gp_plan_household_grids(ctx, again, NULL, b, n), GP_OK);
    for (int64_t i = 0; i < n; i++) {
        cr_assert_eq(a[i] < 0, b[i] < 0);
        if (a[i] >= 0) {
            cr_assert_str_eq(gp_plan_grid_code(plan, a[i]), gp_plan_grid_code(again, b[i]),
                             "feature %lld", (long long)fids[i]);
        }
    }
    free(fids);
    free(a);
    free(b);
    gp_plan_free(again);
    VSIUnlink("/vsimem/previous.gpkg");
}
