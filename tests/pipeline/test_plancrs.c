/* SPDX-License-Identifier: MIT */
/**
 * @file test_plancrs.c The output CRS read from the plan (issue #14, for the Python binding's
 * GeoDataFrames): gp_plan_crs_wkt gives the communities' CRS, the one gp_plan_write gives its
 * layers, by "ask the size, then fill".
 */

#include "gridpart.h"

#include "demo_fixture.h"

#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;
static gp_inputs *in;
static gp_plan *plan;

static void setup(void)
{
    demo_run(&ctx, &in, &plan);
    GDALAllRegister();
}

static void teardown(void)
{
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_context_free(ctx);
}

TestSuite(plancrs, .init = setup, .fini = teardown, .timeout = 300);

/* The SRS of a layer of a dataset (the caller destroys it). */
static OGRSpatialReferenceH layer_srs(const char *path, const char *name)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH layer = name ? GDALDatasetGetLayerByName(ds, name) : GDALDatasetGetLayer(ds, 0);
    cr_assert_not_null(layer, "%s", path);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    cr_assert_not_null(srs, "%s has no CRS", path);
    OGRSpatialReferenceH copy = OSRClone(srs);
    GDALClose(ds);
    return copy;
}

/* The WKT is the communities' CRS and the CRS of the written grids layer. */
Test(plancrs, wkt_is_the_communities_and_the_written_crs)
{
    size_t n = gp_plan_crs_wkt_size(plan);
    cr_assert_gt(n, 20);
    char *wkt = malloc(n);
    cr_assert_eq(gp_plan_crs_wkt(ctx, plan, wkt, n), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(strlen(wkt) + 1, n);
    OGRSpatialReferenceH mine = OSRNewSpatialReference(wkt);
    cr_assert_not_null(mine, "%s", wkt);
    /* Layers read with GDAL use the GIS axis order: compare the CRS, not the axis mapping. */
    OSRSetAxisMappingStrategy(mine, OAMS_TRADITIONAL_GIS_ORDER);
    char path[4096];
    snprintf(path, sizeof path, "%s/communities.gpkg", getenv("GP_DEMO"));
    OGRSpatialReferenceH comm = layer_srs(path, NULL);
    cr_assert(OSRIsSame(mine, comm), "plan CRS %s", wkt);
    cr_assert_eq(gp_plan_write(ctx, plan, "/vsimem/plancrs.gpkg", NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    OGRSpatialReferenceH written = layer_srs("/vsimem/plancrs.gpkg", "grids");
    cr_assert(OSRIsSame(mine, written));
    /* A metric working CRS is not the output CRS: the demo is in degrees. */
    cr_assert(OSRIsGeographic(mine), "%s", wkt);
    VSIUnlink("/vsimem/plancrs.gpkg");
    OSRDestroySpatialReference(written);
    OSRDestroySpatialReference(comm);
    OSRDestroySpatialReference(mine);
    free(wkt);
}

/* Too small a buffer, NULL buffer or plan: GP_ERR_ARG and nothing written. */
Test(plancrs, size_then_fill)
{
    size_t n = gp_plan_crs_wkt_size(plan);
    char *buf = malloc(n + 8);
    memset(buf, 0x5A, n + 8);
    cr_assert_eq(gp_plan_crs_wkt(ctx, plan, buf, n - 1), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "needs"), "%s",
                       gp_context_last_error(ctx));
    for (size_t i = 0; i < n + 8; i++) {
        cr_assert_eq(buf[i], 0x5A);
    }
    cr_assert_eq(gp_plan_crs_wkt(ctx, plan, NULL, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_crs_wkt(ctx, NULL, buf, n), GP_ERR_ARG);
    cr_assert_eq(gp_plan_crs_wkt_size(NULL), 0);
    cr_assert_eq(gp_plan_crs_wkt(ctx, plan, buf, n + 8), GP_OK);
    cr_assert_eq(buf[n - 1], '\0');
    cr_assert_eq(buf[n], 0x5A);
    free(buf);
}
