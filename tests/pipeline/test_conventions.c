/* SPDX-License-Identifier: MIT */
/**
 * @file test_conventions.c GDAL's conventions through the C API: open options (for every
 * input, or one layer's |option:), an assumed CRS, QGIS-style PATH|layername= sources, and
 * layer and dataset creation options checked against the driver, on the demo city.
 */

#include "gridpart.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gp_context *ctx;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    GDALAllRegister();
    VSIMkdir("/vsimem/co", 0777);
}

static void teardown(void)
{
    gp_context_free(ctx);
}

TestSuite(open_options, .init = setup, .fini = teardown);
TestSuite(sources, .init = setup, .fini = teardown);
TestSuite(creation_options, .init = setup, .fini = teardown);

static const char *demo(const char *file)
{
    static char path[4][4096];
    static int next;
    const char *dir = getenv("GP_DEMO");
    cr_assert_not_null(dir, "GP_DEMO is not set (run through meson test)");
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, file);
    return p;
}

/*
 * The demo's households as a CSV of points: id, lon, lat, households, every coordinate
 * printed with 17 significant digits so that it reads back as the same double. No CRS: a CSV
 * has none. Returns the file's path.
 */
static const char *households_csv(void)
{
    static char csv[4096];
    snprintf(csv, sizeof csv, "/tmp/gp-conventions-%ld.csv", (long)getpid());
    GDALDatasetH ds = GDALOpenEx(demo("households.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fprintf(f, "id,lon,lat,households\n");
    OGRFeatureH feat;
    int n = 0;
    while ((feat = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        fprintf(
            f, "%lld,%.17g,%.17g,%lld\n", (long long)OGR_F_GetFID(feat), OGR_G_GetX(g, 0),
            OGR_G_GetY(g, 0),
            (long long)OGR_F_GetFieldAsInteger64(feat, OGR_F_GetFieldIndex(feat, "households")));
        OGR_F_Destroy(feat);
        n++;
    }
    cr_assert_eq(fclose(f), 0);
    GDALClose(ds);
    cr_assert_eq(n, 1188, "the demo city has 1188 household features, read %d", n);
    return csv;
}

/* A run on the demo city with these sources for communities, streets and households, and
 * open options (NULL-terminated, or NULL) and assumed CRS for every input. */
static gp_status run(const char *communities, const char *streets, const char *households,
                     const char *const *oo, const char *assume, gp_plan **plan)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, communities, "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, households, "households"), GP_OK);
    for (int i = 0; oo != NULL && oo[i] != NULL; i++) {
        cr_assert_eq(gp_inputs_add_open_option(ctx, in, oo[i]), GP_OK, "%s",
                     gp_context_last_error(ctx));
    }
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, in, assume), GP_OK, "%s",
                 gp_context_last_error(ctx));
    gp_options *opts = NULL;
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, opts, 2), GP_OK);
    gp_status st = gp_run(ctx, in, opts, plan);
    gp_options_free(opts);
    gp_inputs_free(in);
    return st;
}

/* The two plans have the same grids: codes and household counts, one by one. */
static void same_grids(const gp_plan *a, const gp_plan *b, const char *what)
{
    cr_assert_gt(gp_plan_grid_count(a), 0);
    cr_assert_eq(gp_plan_grid_count(b), gp_plan_grid_count(a), "%s: %d grids, expected %d", what,
                 gp_plan_grid_count(b), gp_plan_grid_count(a));
    int64_t total = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(a); g++) {
        cr_assert_str_eq(gp_plan_grid_code(b, g), gp_plan_grid_code(a, g), "%s: grid %d", what, g);
        cr_assert_eq(gp_plan_grid_households(b, g), gp_plan_grid_households(a, g), "%s: grid %s",
                     what, gp_plan_grid_code(a, g));
        total += gp_plan_grid_households(b, g);
    }
    cr_assert_eq(gp_plan_households_read(b), gp_plan_households_read(a), "%s", what);
    cr_assert_eq(gp_plan_households_outside(b), gp_plan_households_outside(a), "%s", what);
    cr_assert_eq(total + gp_plan_households_outside(b), gp_plan_households_read(b), "%s", what);
}

/* The required real-input check: a CSV of lon/lat points read through open options divides
 * the city exactly as the GeoPackage does. */
Test(open_options, csv_of_lon_lat_households_gives_the_geopackage_grids)
{
    const char *csv = households_csv();
    gp_plan *gpkg = NULL, *by_all = NULL, *by_layer = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), demo("households.gpkg"), NULL,
                     NULL, &gpkg),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_households_read(gpkg), 34532);
    /* --oo for every input: the GeoPackages ignore the CSV driver's options. */
    static const char *const oo[] = {"X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat", NULL};
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), csv, oo, "EPSG:4490", &by_all),
                 GP_OK, "%s", gp_context_last_error(ctx));
    same_grids(gpkg, by_all, "CSV with open options for every input");
    /* The same options given to the CSV alone, QGIS style. */
    char spec[4200];
    snprintf(spec, sizeof spec, "%s|option:X_POSSIBLE_NAMES=lon|option:Y_POSSIBLE_NAMES=lat", csv);
    cr_assert_eq(
        run(demo("communities.gpkg"), demo("streets.gpkg"), spec, NULL, "EPSG:4490", &by_layer),
        GP_OK, "%s", gp_context_last_error(ctx));
    same_grids(gpkg, by_layer, "CSV with its own |option: parts");
    gp_plan_free(gpkg);
    gp_plan_free(by_all);
    gp_plan_free(by_layer);
    unlink(csv);
}

Test(open_options, csv_without_a_crs_needs_one_assumed)
{
    const char *csv = households_csv();
    static const char *const oo[] = {"X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat", NULL};
    gp_plan *plan = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), csv, oo, NULL, &plan),
                 GP_ERR_CRS);
    cr_assert_null(plan);
    const char *msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, csv), "%s", msg);
    cr_assert_not_null(strstr(msg, "has no CRS"), "%s", msg);
    cr_assert_not_null(strstr(msg, "--assume-crs"), "%s", msg);
    unlink(csv);
}

Test(open_options, csv_without_its_coordinate_columns_named_is_an_input_error_saying_how)
{
    const char *csv = households_csv();
    gp_plan *plan = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), csv, NULL, "EPSG:4490", &plan),
                 GP_ERR_INPUT);
    const char *msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, "households: "), "%s", msg);
    cr_assert_not_null(strstr(msg, "has no geometry column"), "%s", msg);
    cr_assert_not_null(strstr(msg, "X_POSSIBLE_NAMES=lon"), "%s", msg);
    unlink(csv);
}

Test(open_options, an_assumed_crs_leaves_layers_with_one_alone)
{
    gp_plan *plain = NULL, *assumed = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), demo("households.gpkg"), NULL,
                     NULL, &plain),
                 GP_OK);
    /* EPSG:3857 is metres: were it applied to the demo's degrees, nothing would match. */
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), demo("households.gpkg"), NULL,
                     "EPSG:3857", &assumed),
                 GP_OK, "%s", gp_context_last_error(ctx));
    same_grids(plain, assumed, "assumed CRS on layers that have one");
    gp_plan_free(plain);
    gp_plan_free(assumed);
}

Test(open_options, a_layers_own_option_its_driver_lacks_is_an_argument_error)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s|option:X_POSSIBLE_NAMES=lon", demo("households.gpkg"));
    gp_plan *plan = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), spec, NULL, NULL, &plan),
                 GP_ERR_ARG);
    const char *msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, "households: "), "%s", msg);
    cr_assert_not_null(strstr(msg, "GPKG driver has no open option 'X_POSSIBLE_NAMES'"), "%s", msg);
    snprintf(spec, sizeof spec, "%s|option:LIST_ALL_TABLES=PERHAPS", demo("households.gpkg"));
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), spec, NULL, NULL, &plan),
                 GP_ERR_ARG);
    msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, "LIST_ALL_TABLES"), "%s", msg);
    cr_assert_not_null(strstr(msg, "one of AUTO, YES, NO"), "%s", msg);
}

Test(open_options, setters_refuse_what_gdal_would_silently_ignore)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_add_open_option(ctx, NULL, "X_POSSIBLE_NAMES=lon"), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_open_option(ctx, in, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_open_option(ctx, in, "X_POSSIBLE_NAMES"), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "expected KEY=VALUE"));
    cr_assert_eq(gp_inputs_add_open_option(ctx, in, "=lon"), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_open_option(ctx, in, "X_POSIBLE_NAMES=lon"), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx),
                              "no GDAL vector driver has an open option 'X_POSIBLE_NAMES'"),
                       "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_add_open_option(ctx, in, "x_possible_names=lon"), GP_OK);
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, NULL, "EPSG:4326"), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, in, "EPSG:99999999"), GP_ERR_CRS);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "'EPSG:99999999'"));
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, in, "EPSG:4490"), GP_OK);
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, in, NULL), GP_OK);
    cr_assert_eq(gp_inputs_set_assume_crs(ctx, in, ""), GP_OK);
    gp_inputs_free(in);
}

/* QGIS's PATH|layername=NAME and PATH|layerid=N read what PATH:NAME reads. */
Test(sources, qgis_layername_and_layerid_equal_path_colon_layer)
{
    char c[4200], s[4200], h[4200];
    gp_plan *colon = NULL, *qgis = NULL;
    snprintf(c, sizeof c, "%s:communities", demo("communities.gpkg"));
    snprintf(s, sizeof s, "%s:streets", demo("streets.gpkg"));
    snprintf(h, sizeof h, "%s:households", demo("households.gpkg"));
    cr_assert_eq(run(c, s, h, NULL, NULL, &colon), GP_OK, "%s", gp_context_last_error(ctx));
    snprintf(c, sizeof c, "%s|layername=communities", demo("communities.gpkg"));
    snprintf(s, sizeof s, "%s|layerid=0", demo("streets.gpkg"));
    snprintf(h, sizeof h, "%s|layername=households|option:LIST_ALL_TABLES=NO",
             demo("households.gpkg"));
    cr_assert_eq(run(c, s, h, NULL, NULL, &qgis), GP_OK, "%s", gp_context_last_error(ctx));
    same_grids(colon, qgis, "QGIS-style sources");
    gp_plan_free(colon);
    gp_plan_free(qgis);
}

Test(sources, a_missing_layer_is_named_in_either_form)
{
    char c[4200];
    gp_plan *plan = NULL;
    snprintf(c, sizeof c, "%s|layername=nosuch", demo("communities.gpkg"));
    cr_assert_eq(run(c, demo("streets.gpkg"), demo("households.gpkg"), NULL, NULL, &plan),
                 GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "no layer named 'nosuch'"));
    snprintf(c, sizeof c, "%s|layerid=1", demo("communities.gpkg"));
    cr_assert_eq(run(c, demo("streets.gpkg"), demo("households.gpkg"), NULL, NULL, &plan),
                 GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "no layer 1 (|layerid= counts from 0"),
                       "%s", gp_context_last_error(ctx));
    snprintf(c, sizeof c, "%s|subset=code='x'", demo("communities.gpkg"));
    cr_assert_eq(run(c, demo("streets.gpkg"), demo("households.gpkg"), NULL, NULL, &plan),
                 GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "'|subset=code='x''"), "%s",
                       gp_context_last_error(ctx));
}

/* ---- creation options ---- */

static gp_plan *demo_plan(void)
{
    gp_plan *plan = NULL;
    cr_assert_eq(run(demo("communities.gpkg"), demo("streets.gpkg"), demo("households.gpkg"), NULL,
                     NULL, &plan),
                 GP_OK, "%s", gp_context_last_error(ctx));
    return plan;
}

/* gp_outputs_check of layers at `target` in `format` with one option of each kind. */
static gp_status check_with(const char *target, const char *format, const char *lco,
                            const char *dsco)
{
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_set_layers(ctx, o, target, format), GP_OK);
    if (lco != NULL) {
        cr_assert_eq(gp_outputs_add_layer_option(ctx, o, lco), GP_OK);
    }
    if (dsco != NULL) {
        cr_assert_eq(gp_outputs_add_dataset_option(ctx, o, dsco), GP_OK);
    }
    gp_status st = gp_outputs_check(ctx, o, NULL);
    gp_outputs_free(o);
    return st;
}

Test(creation_options, options_the_driver_lacks_are_argument_errors_before_any_work)
{
    cr_assert_eq(check_with("/vsimem/co/x.shp", NULL, "ENCODING=UTF-8", NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(check_with("/vsimem/co/x.shp", NULL, "ENCODNG=UTF-8", NULL), GP_ERR_ARG);
    const char *msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, "ESRI Shapefile driver has no layer creation option 'ENCODNG'"),
                       "%s", msg);
    cr_assert_not_null(strstr(msg, "ENCODING"), "the options it has are listed: %s", msg);
    cr_assert_eq(check_with("/vsimem/co/x.shp", NULL, "SPATIAL_INDEX=MAYBE", NULL), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "takes YES or NO"));
    cr_assert_eq(check_with("/vsimem/co/x.gpkg", NULL, NULL, "VERSION=1.2"), GP_OK);
    cr_assert_eq(check_with("/vsimem/co/x.gpkg", NULL, NULL, "VERSION=9"), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "dataset creation option VERSION"), "%s",
                       gp_context_last_error(ctx));
    cr_assert_eq(check_with("/vsimem/co/x.gpkg", NULL, NULL, "ENCODING=UTF-8"), GP_ERR_ARG);
    cr_assert_eq(check_with("/vsimem/co/x.json", "GeoJSON", "RFC7946=YES", NULL), GP_OK);
    cr_assert_eq(check_with("/vsimem/co/x.json", "NoSuchDriver", NULL, NULL), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx),
                              "no GDAL vector format named "
                              "'NoSuchDriver'"));
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_add_layer_option(ctx, o, "ENCODING"), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_add_layer_option(ctx, o, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_add_dataset_option(ctx, o, "=1.2"), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_add_layer_option(ctx, NULL, "A=B"), GP_ERR_ARG);
    gp_outputs_free(o);
}

/* Features in a dataset GDAL opens. */
static int64_t features(const char *path)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s does not open", path);
    int64_t n = OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), TRUE);
    GDALClose(ds);
    return n;
}

/* The GeoPackage's `PRAGMA name` (user_version, application_id). */
static int64_t gpkg_pragma(const char *path, const char *name)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s does not open", path);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    OGRLayerH rows = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    cr_assert_not_null(rows);
    OGRFeatureH f = OGR_L_GetNextFeature(rows);
    cr_assert_not_null(f);
    int64_t v = OGR_F_GetFieldAsInteger64(f, 0);
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, rows);
    GDALClose(ds);
    return v;
}

/* The writer skips GDAL's own check of creation options (gridpart checks them first, and
 * GDAL's check parses GeoPackage's tiling schemes even without options): the options still
 * apply, and the caller's own setting of that check comes back as it was. */
Test(creation_options, dataset_options_apply_and_the_callers_gdal_setting_is_restored)
{
    static const char KEY[] = "GDAL_VALIDATE_CREATION_OPTIONS";
    gp_plan *plan = demo_plan();
    const char *versions[] = {"1.1", "1.3", NULL};
    const int64_t user_version[] = {0, 10300, 10200};
    const char *before[] = {"YES", NULL, "NO"};
    for (int i = 0; i < 3; i++) {
        CPLSetThreadLocalConfigOption(KEY, before[i]);
        gp_outputs *o = NULL;
        cr_assert_eq(gp_outputs_new(&o), GP_OK);
        cr_assert_eq(gp_outputs_set_layers(ctx, o, "/vsimem/co/v.gpkg", NULL), GP_OK);
        if (versions[i] != NULL) {
            char opt[32];
            snprintf(opt, sizeof opt, "VERSION=%s", versions[i]);
            cr_assert_eq(gp_outputs_add_dataset_option(ctx, o, opt), GP_OK);
        }
        cr_assert_eq(gp_outputs_set_overwrite(ctx, o, 1), GP_OK);
        cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
        gp_outputs_free(o);
        const char *after = CPLGetThreadLocalConfigOption(KEY, NULL);
        if (before[i] == NULL) {
            cr_assert_null(after, "the check is left set to %s", after);
        } else {
            cr_assert(after != NULL && strcmp(after, before[i]) == 0, "%s became %s", before[i],
                      after ? after : "unset");
        }
        cr_assert_eq(gpkg_pragma("/vsimem/co/v.gpkg", "user_version"), user_version[i],
                     "VERSION=%s", versions[i] ? versions[i] : "(default)");
        cr_assert_eq(features("/vsimem/co/v.gpkg"), gp_plan_grid_count(plan));
        VSIUnlink("/vsimem/co/v.gpkg");
    }
    CPLSetThreadLocalConfigOption(KEY, NULL);
    gp_plan_free(plan);
}

/* The whole of a small file on GDAL's file systems. */
static void slurp(const char *path, char *buf, size_t size)
{
    VSILFILE *f = VSIFOpenL(path, "rb");
    cr_assert_not_null(f, "%s is missing", path);
    size_t n = VSIFReadL(buf, 1, size - 1, f);
    buf[n] = '\0';
    VSIFCloseL(f);
}

Test(creation_options, geojson_and_utf8_shapefiles_read_back_whole)
{
    gp_plan *plan = demo_plan();
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    /* ".out" is no GDAL extension: the format is the one given. */
    cr_assert_eq(gp_outputs_set_layers(ctx, o, "/vsimem/co/city.out", "GeoJSON"), GP_OK);
    cr_assert_eq(gp_outputs_add_layer_option(ctx, o, "RFC7946=YES"), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    gp_outputs_free(o);
    cr_assert_eq(features("/vsimem/co/city.out"), gp_plan_grid_count(plan));
    cr_assert_eq(features("/vsimem/co/city.blocks.out"), gp_plan_block_count(plan));
    /* RFC 7946 output has no "crs" member (GDAL's default GeoJSON names one). */
    static char text[1 << 20];
    slurp("/vsimem/co/city.out", text, sizeof text);
    cr_assert_null(strstr(text, "\"crs\""));
    cr_assert_not_null(strstr(text, "\"grid_code\""));

    VSIMkdir("/vsimem/co/shp", 0777);
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_set_layers(ctx, o, "/vsimem/co/shp/city.shp", NULL), GP_OK);
    cr_assert_eq(gp_outputs_add_layer_option(ctx, o, "ENCODING=UTF-8"), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    gp_outputs_free(o);
    cr_assert_eq(features("/vsimem/co/shp/city.shp"), gp_plan_grid_count(plan));
    cr_assert_eq(features("/vsimem/co/shp/city.blocks.shp"), gp_plan_block_count(plan));
    slurp("/vsimem/co/shp/city.cpg", text, sizeof text);
    cr_assert_str_eq(text, "UTF-8");
    VSIRmdirRecursive("/vsimem/co");
    gp_plan_free(plan);
}
