/* SPDX-License-Identifier: MIT */
/**
 * @file test_meminputs.c Layers given as arrays of WKB, ids and a field (issue #14): the demo
 * city read into memory and given that way divides exactly as from its files.
 */

/* stat64, which GDAL's VSIStatBufL is on glibc */
#define _LARGEFILE64_SOURCE

#include "gridpart.h"
#include "pipeline/inputs.h"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One layer as arrays. */
typedef struct {
    int64_t n;
    uint8_t **wkb;
    size_t *size;
    int64_t *fid;
    char **text;    /* the text field, or NULL */
    int64_t *count; /* the integer field, or NULL */
    char *crs;      /* WKT */
} arrays;

static void load(const char *file, const char *text_field, const char *int_field, arrays *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", getenv("GP_DEMO"), file);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    memset(a, 0, sizeof *a);
    int64_t cap = OGR_L_GetFeatureCount(l, TRUE);
    a->wkb = calloc((size_t)cap, sizeof *a->wkb);
    a->size = calloc((size_t)cap, sizeof *a->size);
    a->fid = calloc((size_t)cap, sizeof *a->fid);
    a->text = text_field ? calloc((size_t)cap, sizeof *a->text) : NULL;
    a->count = int_field ? calloc((size_t)cap, sizeof *a->count) : NULL;
    char *wkt = NULL;
    OSRExportToWkt(OGR_L_GetSpatialRef(l), &wkt);
    a->crs = strdup(wkt);
    CPLFree(wkt);
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        int64_t i = a->n++;
        a->size[i] = (size_t)OGR_G_WkbSize(g);
        a->wkb[i] = malloc(a->size[i]);
        OGR_G_ExportToIsoWkb(g, wkbNDR, a->wkb[i]);
        a->fid[i] = OGR_F_GetFID(f);
        if (text_field) {
            a->text[i] = strdup(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, text_field)));
        }
        if (int_field) {
            a->count[i] = OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, int_field));
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

static void unload(arrays *a)
{
    for (int64_t i = 0; i < a->n; i++) {
        free(a->wkb[i]);
        if (a->text) {
            free(a->text[i]);
        }
    }
    free(a->wkb);
    free(a->size);
    free(a->fid);
    free(a->text);
    free(a->count);
    free(a->crs);
}

static gp_context *ctx;
static arrays comm, streets, hh;

static void setup(void)
{
    cr_assert_not_null(getenv("GP_DEMO"), "GP_DEMO (examples/data) is not set");
    GDALAllRegister();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    load("communities.gpkg", "code", NULL, &comm);
    load("streets.gpkg", "class", NULL, &streets);
    load("households.gpkg", NULL, "households", &hh);
}

static void teardown(void)
{
    unload(&comm);
    unload(&streets);
    unload(&hh);
    gp_context_free(ctx);
}

TestSuite(meminputs, .init = setup, .fini = teardown, .timeout = 300);

/* The memory GeoPackages the inputs hold (internal view: pipeline/inputs.h), remembered so that
 * their removal can be checked after the inputs are freed. */
static char seen[8][256];
static int n_seen;

static int memory_layers(const gp_inputs *in)
{
    int n = 0;
    for (int i = 0; in != NULL && i < 4; i++) {
        int known = 0;
        for (int k = 0; in->mem_file[i] != NULL && k < n_seen; k++) {
            known |= strcmp(seen[k], in->mem_file[i]) == 0;
        }
        if (in->mem_file[i] != NULL && !known) {
            cr_assert_lt(n_seen, 8);
            snprintf(seen[n_seen++], sizeof seen[0], "%s", in->mem_file[i]);
        }
    }
    for (int i = 0; i < n_seen; i++) {
        VSIStatBufL st;
        n += VSIStatL(seen[i], &st) == 0;
    }
    return n;
}

static gp_inputs *memory_inputs(void)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(
        gp_inputs_set_communities_wkb(ctx, in, comm.n, (const uint8_t *const *)comm.wkb, comm.size,
                                      comm.fid, (const char *const *)comm.text, comm.crs),
        GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_streets_wkb(ctx, in, streets.n, (const uint8_t *const *)streets.wkb,
                                           streets.size, streets.fid,
                                           (const char *const *)streets.text, streets.crs),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_households_wkb(ctx, in, hh.n, (const uint8_t *const *)hh.wkb,
                                              hh.size, hh.fid, hh.count, hh.crs),
                 GP_OK, "%s", gp_context_last_error(ctx));
    return in;
}

/* The same division as from the files: codes, households and each feature's grid. */
Test(meminputs, same_plan_as_the_files)
{
    gp_inputs *mem = memory_inputs();
    cr_assert_eq(memory_layers(mem), 3);
    gp_plan *a = NULL, *b = NULL;
    cr_assert_eq(gp_run(ctx, mem, NULL, &a), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs *files = NULL;
    char path[4096];
    cr_assert_eq(gp_inputs_new(&files), GP_OK);
    snprintf(path, sizeof path, "%s/communities.gpkg", getenv("GP_DEMO"));
    cr_assert_eq(gp_inputs_set_communities(ctx, files, path, "code"), GP_OK);
    snprintf(path, sizeof path, "%s/streets.gpkg", getenv("GP_DEMO"));
    cr_assert_eq(gp_inputs_set_streets(ctx, files, path, "class"), GP_OK);
    snprintf(path, sizeof path, "%s/households.gpkg", getenv("GP_DEMO"));
    cr_assert_eq(gp_inputs_set_households(ctx, files, path, "households"), GP_OK);
    cr_assert_eq(gp_run(ctx, files, NULL, &b), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_grid_count(a), gp_plan_grid_count(b));
    for (int32_t g = 0; g < gp_plan_grid_count(a); g++) {
        cr_assert_str_eq(gp_plan_grid_code(a, g), gp_plan_grid_code(b, g));
        cr_assert_eq(gp_plan_grid_households(a, g), gp_plan_grid_households(b, g));
        cr_assert_eq(gp_plan_grid_wkb_size(a, g), gp_plan_grid_wkb_size(b, g));
    }
    cr_assert_eq(gp_plan_household_count(a), hh.n);
    for (int64_t i = 0; i < hh.n; i++) {
        int32_t ga = -2, gb = -3;
        cr_assert_eq(gp_plan_household_grid(ctx, a, hh.fid[i], &ga), GP_OK);
        cr_assert_eq(gp_plan_household_grid(ctx, b, hh.fid[i], &gb), GP_OK);
        cr_assert_eq(ga, gb, "feature %lld", (long long)hh.fid[i]);
    }
    /* Problems name the ids given (the three households outside every community). */
    int found = 0;
    for (int32_t p = 0; p < gp_plan_problem_count(a); p++) {
        found |= strstr(gp_plan_problem(a, p), "1186, 1187, 1188") != NULL;
    }
    cr_assert(found);
    gp_plan_free(a);
    gp_plan_free(b);
    gp_inputs_free(files);
    gp_inputs_free(mem);
    cr_assert_eq(memory_layers(NULL), 0, "freeing the inputs removes their memory layers");
}

/* Ids of our choosing: the plan answers by them. Setting a layer again replaces its copy. */
Test(meminputs, own_ids_and_replacing)
{
    gp_inputs *in = memory_inputs();
    cr_assert_eq(memory_layers(in), 3);
    int64_t *ids = malloc((size_t)hh.n * sizeof *ids);
    for (int64_t i = 0; i < hh.n; i++) {
        ids[i] = 1000000 + 7 * hh.fid[i];
    }
    cr_assert_eq(gp_inputs_set_households_wkb(ctx, in, hh.n, (const uint8_t *const *)hh.wkb,
                                              hh.size, ids, hh.count, hh.crs),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(memory_layers(in), 3, "the households' first copy is gone, the new one there");
    gp_plan *plan = NULL;
    cr_assert_eq(gp_run(ctx, in, NULL, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    int32_t g = -2;
    cr_assert_eq(gp_plan_household_grid(ctx, plan, ids[0], &g), GP_OK);
    cr_assert_eq(gp_plan_household_grid(ctx, plan, hh.fid[0], &g), GP_ERR_ARG);
    gp_plan_free(plan);
    free(ids);
    gp_inputs_free(in);
    cr_assert_eq(memory_layers(NULL), 0);
}

/* Bad arrays are refused with the index and id; nothing is left in memory. */
Test(meminputs, bad_arrays)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    uint8_t junk[9] = {1, 3, 0, 0, 0, 9, 9, 9, 9};
    const uint8_t *wkb[2] = {comm.wkb[0], junk};
    size_t size[2] = {comm.size[0], sizeof junk};
    int64_t fid[2] = {5, 6};
    const char *ids[2] = {"a", "b"};
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, 2, wkb, size, fid, ids, comm.crs),
                 GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "id 6"), "%s",
                       gp_context_last_error(ctx));
    fid[1] = 5;
    wkb[1] = comm.wkb[1];
    size[1] = comm.size[1];
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, 2, wkb, size, fid, ids, comm.crs),
                 GP_ERR_INPUT, "a repeated id");
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, 2, wkb, size, NULL, ids, "EPSG:nope"),
                 GP_ERR_CRS);
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, 2, wkb, size, NULL, NULL, comm.crs),
                 GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, -1, wkb, size, NULL, ids, comm.crs),
                 GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_streets_wkb(ctx, NULL, 2, wkb, size, NULL, NULL, comm.crs),
                 GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_households_wkb(ctx, in, 2, NULL, size, NULL, NULL, comm.crs),
                 GP_ERR_ARG);
    /* A NaN coordinate: unusable input, never stored (fuzz_wkb, nan-street-geos-leak). */
    uint8_t nan_point[21] = {1, 1, 0, 0, 0};
    double xy[2] = {500100.0, NAN};
    memcpy(nan_point + 5, xy, sizeof xy);
    const uint8_t *one[1] = {nan_point};
    size_t one_size[1] = {sizeof nan_point};
    cr_assert_eq(gp_inputs_set_households_wkb(ctx, in, 1, one, one_size, NULL, NULL, comm.crs),
                 GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "not a finite number"), "%s",
                       gp_context_last_error(ctx));
    cr_assert_eq(memory_layers(in), 0);
    gp_inputs_free(in);
}
