/* SPDX-License-Identifier: MIT */
/**
 * @file test_conventions_cli.c GDAL's conventions on the command line: --oo and --assume-crs
 * (a CSV of lon/lat households gives the GeoPackage's grids), --format, --lco and --dsco
 * (read back whole; an option the driver lacks refused before any work), and QGIS-style
 * PATH|layername= sources for every input, --previous, --grids and --extra-load.
 */

#include "cli_shell.h"

#include <criterion/criterion.h>

#include <gdal.h>
#include <ogr_api.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void setup(void)
{
    GDALAllRegister();
}

TestSuite(conventions, .init = setup);

#define STREETS "--streets \"$GP_DEMO/streets.gpkg\" --class-field class "
#define COMMUNITIES "--communities \"$GP_DEMO/communities.gpkg\" --id-field code "
#define DEMO_INPUTS                                                                                \
    COMMUNITIES STREETS "--households \"$GP_DEMO/households.gpkg\" --count-field households"
/* The demo exits 1: it holds one building of 560 households, above the maximum. */
enum { DEMO_EXIT = 1 };

static int exists_in(const char *dir, const char *name)
{
    char path[8192];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* "code households" lines of a grids layer, in its order (gridpart writes grids sorted),
 * into buf; returns the feature count. */
static int64_t grid_lines(const char *dir, const char *source, char *buf, size_t size)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, source);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s does not open", path);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "grids");
    l = l != NULL ? l : GDALDatasetGetLayer(ds, 0);
    size_t used = 0;
    int64_t n = 0;
    OGRFeatureH f;
    buf[0] = '\0';
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        int w =
            snprintf(buf + used, size - used, "%s %lld\n",
                     OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "grid_code")),
                     (long long)OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "households")));
        cr_assert(w > 0 && (size_t)w < size - used, "grid list too long");
        used += (size_t)w;
        n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return n;
}

/* Features of layer `layer` (NULL: the first) of dir/file. */
static int64_t feature_count(const char *dir, const char *file, const char *layer)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s does not open", path);
    OGRLayerH l = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    cr_assert_not_null(l, "%s: no layer %s", path, layer ? layer : "");
    int64_t n = OGR_L_GetFeatureCount(l, TRUE);
    GDALClose(ds);
    return n;
}

/* The demo's households as pts.csv in dir: id, lon, lat, households, coordinates with 17
 * significant digits (read back as the same doubles); a CSV has no CRS. */
static void households_csv(const char *dir)
{
    char path[8192], csv[8192];
    snprintf(path, sizeof path, "%s/households.gpkg", cli_env("GP_DEMO"));
    snprintf(csv, sizeof csv, "%s/pts.csv", dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    FILE *out = fopen(csv, "w");
    cr_assert_not_null(out);
    fprintf(out, "id,lon,lat,households\n");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        fprintf(out, "%lld,%.17g,%.17g,%lld\n", (long long)OGR_F_GetFID(f), OGR_G_GetX(g, 0),
                OGR_G_GetY(g, 0),
                (long long)OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "households")));
        OGR_F_Destroy(f);
    }
    cr_assert_eq(fclose(out), 0);
    GDALClose(ds);
}

static char base_lines[1 << 16], lines[1 << 16], out[1 << 16];

/* The plain GeoPackage run into dir/base.gpkg; its grid lines in base_lines. */
static int64_t baseline(const char *dir)
{
    cr_assert_eq(cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " -o base.gpkg"),
                 DEMO_EXIT, "%s", out);
    int64_t n = grid_lines(dir, "base.gpkg", base_lines, sizeof base_lines);
    cr_assert_gt(n, 0);
    return n;
}

/* The required real-input check, on the command line. */
Test(conventions, csv_households_through_oo_give_the_geopackage_grids)
{
    const char *dir = cli_fresh("conventions", "csv");
    households_csv(dir);
    int64_t n = baseline(dir);
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition " COMMUNITIES STREETS
                    "--households pts.csv --count-field households "
                    "--oo X_POSSIBLE_NAMES=lon --oo Y_POSSIBLE_NAMES=lat --assume-crs EPSG:4490 "
                    "-o csv.gpkg --report csv.json; rc=$?; cat csv.json; (exit $rc)"),
                 DEMO_EXIT, "%s", out);
    /* the report says how the inputs were read */
    cr_assert_not_null(strstr(out,
                              "\"open_options\": [\"X_POSSIBLE_NAMES=lon\", "
                              "\"Y_POSSIBLE_NAMES=lat\"], \"assume_crs\": \"EPSG:4490\""),
                       "%s", out);
    cr_assert_eq(grid_lines(dir, "csv.gpkg", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines, "grid codes and households differ");
    /* Without --assume-crs the CSV has no CRS: refused, saying how to give one. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition " COMMUNITIES STREETS
                    "--households pts.csv --count-field households "
                    "--oo X_POSSIBLE_NAMES=lon --oo Y_POSSIBLE_NAMES=lat -o nocrs.gpkg"),
                 2, "%s", out);
    cr_assert_not_null(strstr(out, "pts.csv:pts has no CRS"), "%s", out);
    cr_assert_not_null(strstr(out, "--assume-crs"), "%s", out);
    /* Without --oo it has no geometry: refused, saying which options name the columns. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition " COMMUNITIES STREETS
                    "--households pts.csv --count-field households --assume-crs EPSG:4490 "
                    "-o nogeom.gpkg"),
                 2, "%s", out);
    cr_assert_not_null(strstr(out, "has no geometry column"), "%s", out);
    cr_assert_not_null(strstr(out, "--oo"), "%s", out);
    cr_assert(!exists_in(dir, "nocrs.gpkg") && !exists_in(dir, "nogeom.gpkg"));
}

Test(conventions, format_lco_write_geojson_and_utf8_shapefiles_read_back_whole)
{
    const char *dir = cli_fresh("conventions", "formats");
    int64_t n = baseline(dir);
    /* ".geo" is no GDAL extension: --format decides. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition " DEMO_INPUTS " -o city.geo --format GeoJSON "
                    "--lco RFC7946=YES"),
                 DEMO_EXIT, "%s", out);
    cr_assert_eq(grid_lines(dir, "city.geo", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines);
    int64_t blocks = feature_count(dir, "base.gpkg", "blocks");
    cr_assert_gt(blocks, n);
    cr_assert_eq(feature_count(dir, "city.blocks.geo", NULL), blocks);
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition " DEMO_INPUTS " -o shp --lco ENCODING=UTF-8"),
                 DEMO_EXIT, "%s", out);
    cr_assert_eq(grid_lines(dir, "shp/grids.shp", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines);
    cr_assert_eq(feature_count(dir, "shp/blocks.shp", NULL), blocks);
    char cpg[64] = "";
    char path[8192];
    snprintf(path, sizeof path, "%s/shp/grids.cpg", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s is missing", path);
    cr_assert_not_null(fgets(cpg, sizeof cpg, f));
    fclose(f);
    cr_assert_str_eq(cpg, "UTF-8");
}

/* Bad GDAL options: exit 2, a message naming the option, nothing written. */
Test(conventions, bad_gdal_options_are_refused_before_any_work)
{
    static const struct {
        const char *args;
        const char *message;
    } cases[] = {
        {"-o x.shp --lco ENCODNG=UTF-8",
         "ESRI Shapefile driver has no layer creation option 'ENCODNG' (CLI --lco ENCODNG=UTF-8; "
         "it has: "},
        {"-o x.shp --lco SPATIAL_INDEX=MAYBE", "SPATIAL_INDEX takes YES or NO"},
        {"-o x.shp --lco ENCODING", "--lco needs KEY=VALUE, not 'ENCODING'"},
        {"-o x.gpkg --dsco VERSION=9", "dataset creation option VERSION takes one of AUTO, 1.0"},
        {"-o x.gpkg --dsco VERSIO=1.2", "GPKG driver has no dataset creation option 'VERSIO'"},
        {"-o x.gpkg --format NoSuchDriver", "no GDAL vector format named 'NoSuchDriver'"},
        {"-o x.gpkg --oo X_POSIBLE_NAMES=lon",
         "no GDAL vector driver has an open option 'X_POSIBLE_NAMES'"},
        {"-o x.gpkg --oo X_POSSIBLE_NAMES", "--oo needs KEY=VALUE, not 'X_POSSIBLE_NAMES'"},
        {"-o x.gpkg --assume-crs EPSG:99999999",
         "the CRS assumed for inputs without one, 'EPSG:99999999', is not one GDAL knows"},
    };
    const char *dir = cli_fresh("conventions", "bad");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(
            cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " %s", cases[i].args), 2,
            "%s: %s", cases[i].args, out);
        cr_assert_not_null(strstr(out, cases[i].message), "%s: %s", cases[i].args, out);
        cr_assert(!exists_in(dir, "x.shp") && !exists_in(dir, "x.gpkg"), "%s wrote", cases[i].args);
    }
    /* The same holds for check's outputs. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" check --grids \"$GP_DEMO/communities.gpkg\" "
                    "--grids-code-field code " DEMO_INPUTS " -o x.shp --lco ENCODNG=UTF-8"),
                 2, "%s", out);
    cr_assert_not_null(strstr(out, "no layer creation option 'ENCODNG'"), "%s", out);
}

/* PATH|layername=NAME reads what PATH:NAME reads, for every option taking a layer. */
Test(conventions, qgis_layername_equals_path_colon_layer_everywhere)
{
    const char *dir = cli_fresh("conventions", "qgis");
    int64_t n = baseline(dir);
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "\"$GP_CLI\" partition "
                    "--communities \"$GP_DEMO/communities.gpkg|layername=communities\" "
                    "--id-field code --streets \"$GP_DEMO/streets.gpkg|layerid=0\" "
                    "--class-field class "
                    "--households \"$GP_DEMO/households.gpkg|layername=households\" "
                    "--count-field households -o q.gpkg"),
                 DEMO_EXIT, "%s", out);
    cr_assert_eq(grid_lines(dir, "q.gpkg", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines);
    /* --extra-load: "|layername=NAME" is the source, "=FIELD" after it the field. */
    static char with_colon[1 << 16], with_bar[1 << 16];
    cr_assert_eq(cli_sh(dir, with_colon, sizeof with_colon,
                    "\"$GP_CLI\" partition " DEMO_INPUTS
                    " --extra-load \"$GP_DEMO/households.gpkg:households=households\""
                    " --report colon.json -o l1.gpkg; rc=$?; grep -o '\"extra_load[^,]*' "
                    "colon.json; (exit $rc)"),
                 DEMO_EXIT, "%s", with_colon);
    cr_assert_eq(cli_sh(dir, with_bar, sizeof with_bar,
                    "\"$GP_CLI\" partition " DEMO_INPUTS
                    " --extra-load \"$GP_DEMO/households.gpkg|layername=households=households\""
                    " --report bar.json -o l2.gpkg; rc=$?; grep -o '\"extra_load[^,]*' bar.json; "
                    "(exit $rc)"),
                 DEMO_EXIT, "%s", with_bar);
    /* the field was taken: each feature's households as its load (34532 in all) */
    cr_assert_not_null(strstr(with_colon, "\"extra_load_read\": 34532.000"), "%s", with_colon);
    cr_assert_not_null(strstr(with_bar, "\"extra_load_read\": 34532.000"), "%s", with_bar);
    cr_assert_not_null(strstr(with_bar, "households.gpkg|layername=households\""), "%s", with_bar);
    cr_assert_eq(grid_lines(dir, "l1.gpkg", base_lines, sizeof base_lines), n);
    cr_assert_eq(grid_lines(dir, "l2.gpkg", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines);
    /* --previous (adjust) and --grids (check) in both forms: the same summaries. */
    static char a[1 << 16], b[1 << 16];
    cr_assert_eq(cli_sh(dir, a, sizeof a,
                    "\"$GP_CLI\" adjust --previous base.gpkg:grids " DEMO_INPUTS " -o adj1.gpkg"),
                 DEMO_EXIT, "%s", a);
    cr_assert_eq(cli_sh(dir, b, sizeof b,
                    "\"$GP_CLI\" adjust --previous \"base.gpkg|layername=grids\" " DEMO_INPUTS
                    " -o adj2.gpkg"),
                 DEMO_EXIT, "%s", b);
    cr_assert_eq(grid_lines(dir, "adj1.gpkg", base_lines, sizeof base_lines), n);
    cr_assert_eq(grid_lines(dir, "adj2.gpkg", lines, sizeof lines), n);
    cr_assert_str_eq(lines, base_lines);
    cr_assert_eq(cli_sh(dir, a, sizeof a, "\"$GP_CLI\" check --grids base.gpkg:grids " DEMO_INPUTS), 0,
                 "%s", a);
    cr_assert_eq(cli_sh(dir, b, sizeof b,
                    "\"$GP_CLI\" check --grids \"base.gpkg|layername=grids\" " DEMO_INPUTS),
                 0, "%s", b);
    cr_assert_not_null(strstr(a, " grids checked in "), "%s", a);
    cr_assert_str_eq(b, a);
    /* An input is never replaced, whichever form names it (|layerid= by place: any layer). */
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(cli_sh(dir, out, sizeof out,
                        "\"$GP_CLI\" adjust --previous \"base.gpkg|%s\" " DEMO_INPUTS
                        " -o base.gpkg --overwrite",
                        k ? "layerid=0" : "layername=grids"),
                     2, "%s", out);
        cr_assert_not_null(strstr(out,
                                  "is the previous grids input; gridpart never replaces an "
                                  "input"),
                           "%s", out);
    }
    cr_assert_eq(grid_lines(dir, "base.gpkg", lines, sizeof lines), n);
    /* The roster too: a CSV table named QGIS style. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                    "printf 'worker_id,community\\nw1,640106003001\\n' > roster.csv && "
                    "\"$GP_CLI\" partition " DEMO_INPUTS
                    " --workers \"roster.csv|layername=roster\" -o w.gpkg"),
                 DEMO_EXIT, "%s", out);
    cr_assert_eq(feature_count(dir, "w.gpkg", "workers"), 1);
}
