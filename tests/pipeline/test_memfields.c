/* SPDX-License-Identifier: MIT */
/**
 * @file test_memfields.c Households given as arrays with numeric fields besides the count
 * (gp_inputs_set_households_wkb_fields, issue #14): the fields weights read, so a workload run
 * needs no file; every grid's workload is its households + weight x field of its features.
 */

#include "gridpart.h"

#include "demo_fixture.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;
static int64_t n;
static uint8_t **wkb;
static size_t *size;
static int64_t *count;
static double *elderly;
static char *crs;

/* The demo households as arrays, elderly = feature index mod 3. */
static void setup(void)
{
    GDALAllRegister();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    char path[4096];
    demo_path(path, sizeof path, "households");
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    int64_t cap = OGR_L_GetFeatureCount(l, TRUE);
    wkb = calloc((size_t)cap, sizeof *wkb);
    size = calloc((size_t)cap, sizeof *size);
    count = calloc((size_t)cap, sizeof *count);
    elderly = calloc((size_t)cap, sizeof *elderly);
    char *wkt = NULL;
    OSRExportToWkt(OGR_L_GetSpatialRef(l), &wkt);
    crs = strdup(wkt);
    CPLFree(wkt);
    OGRFeatureH f;
    n = 0;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        size[n] = (size_t)OGR_G_WkbSize(g);
        wkb[n] = malloc(size[n]);
        OGR_G_ExportToIsoWkb(g, wkbNDR, wkb[n]);
        count[n] = OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "households"));
        elderly[n] = (double)(n % 3);
        n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

static void teardown(void)
{
    for (int64_t i = 0; i < n; i++) {
        free(wkb[i]);
    }
    free(wkb);
    free(size);
    free(count);
    free(elderly);
    free(crs);
    gp_context_free(ctx);
}

TestSuite(memfields, .init = setup, .fini = teardown, .timeout = 300);

/* Inputs: communities and streets from the demo files, households from the arrays. */
static gp_inputs *inputs(int32_t n_fields, const char *const *names, const double *const *values,
                         gp_status want)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    demo_set_inputs(ctx, in, 0);
    gp_status st = gp_inputs_set_households_wkb_fields(
        ctx, in, n, (const uint8_t *const *)wkb, size, NULL, count, n_fields, names, values, crs);
    cr_assert_eq(st, want, "%s", gp_context_last_error(ctx));
    return in;
}

Test(memfields, weights_read_from_the_arrays)
{
    const char *names[] = {"elderly"};
    const double *values[] = {elderly};
    gp_inputs *in = inputs(1, names, values, GP_OK);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", 0.5), GP_OK);
    gp_plan *plan = NULL;
    cr_assert_eq(gp_run(ctx, in, NULL, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    int32_t ng = gp_plan_grid_count(plan);
    double *extra = calloc((size_t)ng, sizeof *extra);
    int64_t nh = gp_plan_household_count(plan);
    cr_assert_eq(nh, n);
    int64_t *fids = malloc((size_t)nh * sizeof *fids);
    int32_t *grids = malloc((size_t)nh * sizeof *grids);
    cr_assert_eq(gp_plan_household_grids(ctx, plan, fids, grids, nh), GP_OK);
    double total = 0;
    for (int64_t k = 0; k < nh; k++) {
        if (grids[k] >= 0) {
            extra[grids[k]] += 0.5 * elderly[fids[k] - 1]; /* fids 1 .. n: index + 1 */
        }
    }
    for (int32_t g = 0; g < ng; g++) {
        double want = (double)gp_plan_grid_households(plan, g) + extra[g];
        cr_assert_float_eq(gp_plan_grid_workload(plan, g), want, 1e-9, "grid %s: %g, want %g",
                           gp_plan_grid_code(plan, g), gp_plan_grid_workload(plan, g), want);
        total += extra[g];
    }
    cr_assert_gt(total, 100.0); /* the weights did count */
    free(fids);
    free(grids);
    free(extra);
    gp_plan_free(plan);
    gp_inputs_free(in);
}

Test(memfields, bad_fields)
{
    const char *twice[] = {"elderly", "elderly"};
    const double *values2[] = {elderly, elderly};
    gp_inputs_free(inputs(2, twice, values2, GP_ERR_ARG));
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "'elderly' is given twice"), "%s",
                       gp_context_last_error(ctx));
    const char *count_name[] = {"households"};
    const double *values1[] = {elderly};
    gp_inputs_free(inputs(1, count_name, values1, GP_ERR_ARG));
    const char *no_name[] = {NULL};
    gp_inputs_free(inputs(1, no_name, values1, GP_ERR_ARG));
    const char *names[] = {"elderly"};
    const double *no_values[] = {NULL};
    gp_inputs_free(inputs(1, names, no_values, GP_ERR_ARG));
    gp_inputs_free(inputs(-1, NULL, NULL, GP_ERR_ARG));
    /* A NaN is a null field: the weight refuses it, naming the feature. */
    double keep = elderly[4];
    elderly[4] = NAN;
    gp_inputs *in = inputs(1, names, values1, GP_OK);
    elderly[4] = keep;
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", 0.5), GP_OK);
    gp_plan *plan = NULL;
    cr_assert_eq(gp_run(ctx, in, NULL, &plan), GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx),
                              "feature 5: weight field 'elderly' is "
                              "null"),
                       "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    /* A weight on a field not given: the reader says there is no such field. */
    in = inputs(0, NULL, NULL, GP_OK);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", 0.5), GP_OK);
    cr_assert_eq(gp_run(ctx, in, NULL, &plan), GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "no such field"), "%s",
                       gp_context_last_error(ctx));
    gp_inputs_free(in);
}
