/* SPDX-License-Identifier: MIT */
/**
 * @file test_vsimem.c Outputs on GDAL's memory file system (/vsimem/): layers, report and map
 * written there, all or nothing, without touching the disk (issue #14, "C in memory").
 */

/* stat64, which GDAL's VSIStatBufL is on glibc */
#define _LARGEFILE64_SOURCE

#include "gridpart.h"

#include "demo_fixture.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

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

TestSuite(vsimem, .init = setup, .fini = teardown, .timeout = 300);

/* A memory file's content as a NUL-terminated string (borrowed), or NULL when absent. */
static const char *memfile(const char *path, size_t *size)
{
    vsi_l_offset n = 0;
    const GByte *data = VSIGetMemFileBuffer(path, &n, FALSE);
    if (size != NULL) {
        *size = (size_t)n;
    }
    return (const char *)data;
}

static int exists(const char *path)
{
    VSIStatBufL st;
    return VSIStatL(path, &st) == 0;
}

static void put_memfile(const char *path, const char *text)
{
    VSILFILE *f = VSIFOpenL(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(VSIFWriteL(text, 1, strlen(text), f), strlen(text));
    cr_assert_eq(VSIFCloseL(f), 0);
}

/* Temporaries of our naming anywhere in the memory file system. */
static int temporaries(void)
{
    char **names = VSIReadDirRecursive("/vsimem");
    int n = 0;
    for (int i = 0; names != NULL && names[i] != NULL; i++) {
        n += strstr(names[i], ".gridpart-tmp-") != NULL;
    }
    CSLDestroy(names);
    return n;
}

/* Features in layer `name` of a dataset, -1 when it does not open or has no such layer. */
static int64_t features(const char *dataset, const char *name)
{
    GDALDatasetH ds = GDALOpenEx(dataset, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ds == NULL) {
        return -1;
    }
    OGRLayerH l = name ? GDALDatasetGetLayerByName(ds, name) : GDALDatasetGetLayer(ds, 0);
    int64_t n = l ? OGR_L_GetFeatureCount(l, TRUE) : -1;
    GDALClose(ds);
    return n;
}

static gp_outputs *outputs(const char *layers, const char *report, const char *map,
                           int32_t overwrite)
{
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_set_layers(ctx, o, layers, NULL), GP_OK);
    cr_assert_eq(gp_outputs_set_report(ctx, o, report), GP_OK);
    cr_assert_eq(gp_outputs_set_map(ctx, o, map), GP_OK);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, o, overwrite), GP_OK);
    return o;
}

/* -o /vsimem/city.gpkg --report /vsimem/report.json --map /vsimem/map.svg */
Test(vsimem, layers_report_and_map)
{
    gp_outputs *o = outputs("/vsimem/city.gpkg", "/vsimem/report.json", "/vsimem/map.svg", 0);
    cr_assert_eq(gp_outputs_check(ctx, o, in), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/city.gpkg", "grids"), gp_plan_grid_count(plan));
    cr_assert_gt(features("/vsimem/city.gpkg", "blocks"), gp_plan_grid_count(plan));
    size_t n = 0;
    const char *report = memfile("/vsimem/report.json", &n);
    cr_assert_not_null(report);
    cr_assert_gt(n, 100);
    cr_assert_eq(report[0], '{');
    cr_assert_not_null(strstr(report, "\"totals\""));
    const char *map = memfile("/vsimem/map.svg", &n);
    cr_assert_not_null(map);
    cr_assert_not_null(strstr(map, "<svg"));
    cr_assert_eq(temporaries(), 0);
    /* Written once: again without overwrite is an error that changes nothing. */
    char *before = CPLStrdup(memfile("/vsimem/report.json", NULL));
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "already exists"), "%s",
                       gp_context_last_error(ctx));
    cr_assert_str_eq(memfile("/vsimem/report.json", NULL), before);
    CPLFree(before);
    gp_outputs_free(o);
    /* The single-output functions too. */
    cr_assert_eq(gp_plan_write_report(ctx, plan, "/vsimem/again.json"), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_write_map(ctx, plan, "/vsimem/again.svg"), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_write(ctx, plan, "/vsimem/again.fgb", NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/again.fgb", NULL), gp_plan_grid_count(plan));
    cr_assert(exists("/vsimem/again.blocks.fgb"));
    cr_assert_eq(temporaries(), 0);
}

/* One layer per file: NAME.EXT and NAME.blocks.EXT, or a folder made for them. */
Test(vsimem, one_layer_per_file)
{
    cr_assert_eq(VSIMkdir("/vsimem/out", 0777), 0);
    gp_outputs *o = outputs("/vsimem/out/grids.geojson", NULL, NULL, 0);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/out/grids.geojson", NULL), gp_plan_grid_count(plan));
    cr_assert_gt(features("/vsimem/out/grids.blocks.geojson", NULL), 0);
    gp_outputs_free(o);
    /* A folder of shapefiles, made because it is missing. */
    o = outputs("/vsimem/out/shapes", NULL, NULL, 0);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/out/shapes/grids.shp", NULL), gp_plan_grid_count(plan));
    cr_assert(exists("/vsimem/out/shapes/blocks.dbf"));
    gp_outputs_free(o);
    cr_assert_eq(temporaries(), 0);
}

/* An existing memory GeoPackage gets our layers in one transaction; its other layer stays. */
Test(vsimem, geopackage_in_place)
{
    GDALDriverH gpkg = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = GDALCreate(gpkg, "/vsimem/project.gpkg", 0, 0, 0, GDT_Unknown, NULL);
    cr_assert_not_null(ds);
    OGRLayerH notes = GDALDatasetCreateLayer(ds, "notes", NULL, wkbNone, NULL);
    cr_assert_not_null(notes);
    OGRFieldDefnH fd = OGR_Fld_Create("text", OFTString);
    cr_assert_eq(OGR_L_CreateField(notes, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(notes));
    OGR_F_SetFieldString(f, 0, "keep me");
    cr_assert_eq(OGR_L_CreateFeature(notes, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    gp_outputs *o = outputs("/vsimem/project.gpkg", NULL, NULL, 0);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/project.gpkg", "notes"), 1);
    cr_assert_eq(features("/vsimem/project.gpkg", "grids"), gp_plan_grid_count(plan));
    /* Again: our layers exist now; only overwrite replaces them. */
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, o, 1), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(features("/vsimem/project.gpkg", "notes"), 1);
    cr_assert_eq(features("/vsimem/project.gpkg", "grids"), gp_plan_grid_count(plan));
    gp_outputs_free(o);
}

static int32_t cancel_on_write(double fraction, const char *stage, void *user)
{
    (void)fraction;
    (void)user;
    return strcmp(stage, "write") == 0;
}

/* A write canceled half way (the report and map staged, the layers under way) changes nothing:
 * the old report stays byte for byte, no layer file appears, no temporary is left. */
Test(vsimem, canceled_write_changes_nothing)
{
    put_memfile("/vsimem/old.json", "old report");
    gp_context *wctx = NULL;
    cr_assert_eq(gp_context_new(&wctx), GP_OK);
    cr_assert_eq(gp_context_set_progress(wctx, cancel_on_write, NULL), GP_OK);
    gp_outputs *o = outputs("/vsimem/canceled.gpkg", "/vsimem/old.json", "/vsimem/new.svg", 1);
    cr_assert_eq(gp_plan_write_outputs(wctx, plan, o), GP_ERR_CANCELED, "%s",
                 gp_context_last_error(wctx));
    cr_assert_str_eq(memfile("/vsimem/old.json", NULL), "old report");
    cr_assert(!exists("/vsimem/canceled.gpkg"));
    cr_assert(!exists("/vsimem/new.svg"));
    cr_assert_eq(temporaries(), 0);
    gp_outputs_free(o);
    gp_context_free(wctx);
}

/* Checked before any work, as on disk: a missing folder, a folder named as a file, two outputs
 * the same file. */
Test(vsimem, checked_like_files)
{
    gp_outputs *o = outputs(NULL, "/vsimem/no/such/folder/report.json", NULL, 0);
    cr_assert_eq(gp_outputs_check(ctx, o, in), GP_ERR_IO);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "does not exist"), "%s",
                       gp_context_last_error(ctx));
    gp_outputs_free(o);
    cr_assert_eq(VSIMkdir("/vsimem/dir", 0777), 0);
    o = outputs(NULL, "/vsimem/dir", NULL, 0);
    cr_assert_eq(gp_outputs_check(ctx, o, in), GP_ERR_ARG);
    gp_outputs_free(o);
    o = outputs(NULL, "/vsimem/same", "/vsimem/same", 0);
    cr_assert_eq(gp_outputs_check(ctx, o, in), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "same file"), "%s",
                       gp_context_last_error(ctx));
    gp_outputs_free(o);
    /* A folder that holds only files nobody made explicitly exists too. */
    put_memfile("/vsimem/implicit/a.txt", "a");
    o = outputs(NULL, "/vsimem/implicit/report.json", NULL, 0);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert(exists("/vsimem/implicit/report.json"));
    gp_outputs_free(o);
}
