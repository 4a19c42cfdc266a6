/* SPDX-License-Identifier: MIT */
/** @file test_gridlayer.c Reading an existing grids layer (gp_grid_layer_read) back. */

#include "core/context.h"
#include "geometry/dataset.h"
#include "geometry/gridlayer.h"

#include <criterion/criterion.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * One partition of the demo city (examples/data, EPSG:4490) is written once per process with
 * gp_run; each test derives its grids layer from it with GDALVectorTranslate (ogr2ogr).
 */

static char tmpdir[256];
static char own[300];      /* the plan's grids and blocks, as gp_plan_write writes them */
static char own_grids[320]; /* its grids layer */
static gp_context *ctx;
static gp_dataset *ds;
static gp_plan *plan;

static const char *demo(const char *file)
{
    static char buf[4][512];
    static int slot;
    char *b = buf[slot++ % 4];
    const char *dir = getenv("GP_DEMO");
    cr_assert_not_null(dir, "GP_DEMO is not set");
    snprintf(b, 512, "%s/%s", dir, file);
    return b;
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_gridlayer_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, demo("communities.gpkg"), "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, demo("streets.gpkg"), "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, demo("households.gpkg"), "households"),
                 GP_OK);
    cr_assert_eq(gp_run(ctx, in, NULL, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    snprintf(own, sizeof own, "%s/own.gpkg", tmpdir);
    snprintf(own_grids, sizeof own_grids, "%s:grids", own);
    cr_assert_eq(gp_plan_write(ctx, plan, own, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    gp_dataset_inputs di = {.communities = demo("communities.gpkg"),
                            .id_field = "code",
                            .streets = demo("streets.gpkg"),
                            .class_field = "class",
                            .households = demo("households.gpkg"),
                            .count_field = "households"};
    cr_assert_eq(gp_dataset_read(ctx, &di, &ds), GP_OK, "%s", gp_context_last_error(ctx));
}

static void teardown(void)
{
    gp_dataset_free(ds);
    gp_plan_free(plan);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(gridlayer, .init = setup, .fini = teardown);

/* ogr2ogr `from` into tmpdir/name with the given options (NULL-terminated). */
static const char *translate_from(const char *from, const char *name, const char *const *args)
{
    static char path[4][400];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 400, "%s/%s", tmpdir, name);
    GDALAllRegister();
    GDALDatasetH src = GDALOpenEx(from, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(src);
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew((char **)args, NULL);
    cr_assert_not_null(o);
    int bad = 0;
    GDALDatasetH dst = GDALVectorTranslate(p, NULL, 1, &src, o, &bad);
    cr_assert_not_null(dst, "ogr2ogr into %s failed", p);
    cr_assert_eq(bad, 0);
    GDALClose(dst);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(src);
    return p;
}

/* ogr2ogr own.gpkg into tmpdir/name with the given options (NULL-terminated). */
static const char *translate(const char *name, const char *const *args)
{
    return translate_from(own, name, args);
}

static const char *without_crs(const char *name, const char *const *args);

static gp_status read_grids(const char *path, const char *code, const char *comm,
                            gp_grid_layer **out)
{
    gp_grid_layer_source src = {.path = path, .code_field = code, .community_field = comm};
    return gp_grid_layer_read(ctx, ds, &src, out);
}

/* The plan's grid with this code, or -1. */
static int32_t plan_grid(const char *code)
{
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        if (strcmp(gp_plan_grid_code(plan, g), code) == 0) {
            return g;
        }
    }
    return -1;
}

/* Every grid of the layer is the plan's grid whose code is prefix + the layer's code minus
 * nothing, in the community the plan put it in; canonical order; first[] right. */
static void assert_same_as_plan(const gp_grid_layer *gl, const char *prefix)
{
    cr_assert_eq(gl->n, gp_plan_grid_count(plan));
    cr_assert_eq(gl->n_outside, 0);
    cr_assert_eq(gl->first[0], 0);
    cr_assert_eq(gl->first[ds->n_communities], gl->n);
    size_t np = strlen(prefix);
    for (int32_t i = 0; i < gl->n; i++) {
        cr_assert_eq(strncmp(gl->code[i], prefix, np), 0, "code %s", gl->code[i]);
        int32_t g = plan_grid(gl->code[i] + np);
        cr_assert_geq(g, 0, "code %s is no grid of the plan", gl->code[i]);
        const char *want = gp_plan_community_id(plan, gp_plan_grid_community(plan, g));
        cr_assert_str_eq(ds->community_id[gl->community[i]], want, "grid %s", gl->code[i]);
        cr_assert(gl->first[gl->community[i]] <= i && i < gl->first[gl->community[i] + 1]);
        if (i > 0 && gl->community[i] == gl->community[i - 1]) {
            cr_assert_lt(strcmp(gl->code[i - 1], gl->code[i]), 0);
        } else if (i > 0) {
            cr_assert_lt(gl->community[i - 1], gl->community[i]);
        }
    }
}

Test(gridlayer, reads_own_output_back)
{
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(own_grids, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->n, 84);
    cr_assert_eq(gl->assumed_crs, 0);
    cr_assert_str_eq(gl->label, own_grids);
    assert_same_as_plan(gl, "");
    gp_grid_layer_free(gl);
    /* The community field gives the same answer. */
    cr_assert_eq(read_grids(own_grids, "grid_code", "community", &gl), GP_OK, "%s",
                 gp_context_last_error(ctx));
    assert_same_as_plan(gl, "");
    gp_grid_layer_free(gl);
}

/* Hand-drawn-like: in another CRS, codes renamed, in reverse order, each grid 20 m wider than
 * it was (so overlapping the neighbouring communities a little): same grids, same communities. */
Test(gridlayer, other_crs_and_renamed_codes)
{
    const char *args[] = {"-t_srs", "EPSG:4326", "-dialect", "SQLite", "-sql",
                          "SELECT 'X-' || grid_code AS code, ST_Buffer(geom, 0.0002) AS geom FROM grids "
                          "ORDER BY grid_code DESC",
                          "-unsetFid", "-nln", "drawn",
                          NULL};
    const char *p = translate("drawn.gpkg", args);
    char spec[500];
    snprintf(spec, sizeof spec, "%s:drawn", p);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(spec, "code", NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->assumed_crs, 0);
    assert_same_as_plan(gl, "X-");
    gp_grid_layer_free(gl);
}

Test(gridlayer, missing_code_field)
{
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(own_grids, "zone", NULL, &gl), GP_ERR_INPUT);
    cr_assert_null(gl);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "own.gpkg:grids") && strstr(m, "'zone'") && strstr(m, "grid_code") &&
                  strstr(m, "households"),
              "%s", m);
}

Test(gridlayer, duplicate_codes)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT CASE WHEN fid = 7 THEN (SELECT grid_code FROM grids WHERE "
                          "fid = 3) ELSE grid_code END AS grid_code, geom FROM grids",
                          "-nln", "grids", NULL};
    const char *p = translate("dup.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_INPUT);
    cr_assert_null(gl);
    const char *m = gp_context_last_error(ctx);
    char want[200];
    snprintf(want, sizeof want, "'%s' is used by features 3 and 7", gp_plan_grid_code(plan, 2));
    cr_assert(strstr(m, want) != NULL, "%s (wanted %s)", m, want);
}

Test(gridlayer, null_code)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT CASE WHEN fid = 5 THEN NULL ELSE grid_code END AS grid_code, "
                          "geom FROM grids",
                          "-nln", "grids", NULL};
    const char *p = translate("null.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_INPUT);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "feature 5: field 'grid_code': grid code is null"), "%s", m);
}

/* A layer without a CRS: taken to be the communities' (EPSG:4490 degrees), right here. */
Test(gridlayer, no_crs_assumed)
{
    const char *shp_args[] = {"-f", "ESRI Shapefile", "grids", NULL};
    const char *p = without_crs("nocrs.shp", shp_args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->assumed_crs, 1);
    assert_same_as_plan(gl, "");
    gp_grid_layer_free(gl);
}

/* A copy of the grids as a shapefile without .prj, made with these ogr2ogr options. */
static const char *without_crs(const char *name, const char *const *args)
{
    const char *p = translate(name, args);
    char prj[400];
    snprintf(prj, sizeof prj, "%.*s.prj", (int)(strlen(p) - 4), p);
    cr_assert_eq(unlink(prj), 0, "%s", prj);
    return p;
}

/* Without a CRS and in metres (EPSG:32648 here): not degrees, so not the communities' CRS. */
Test(gridlayer, no_crs_wrong)
{
    const char *args[] = {"-f", "ESRI Shapefile", "-t_srs", "EPSG:32648", "grids", NULL};
    const char *p = without_crs("metres.shp", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_CRS);
    cr_assert_null(gl);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "metres.shp:metres: the layer has no CRS; taken to be in the "
                        "communities' CRS (EPSG:4490") &&
                  strstr(m, "which does not fit its coordinates") && strstr(m, "-a_srs"),
              "%s", m);
}

/* Without a CRS, in degrees 10 degrees east of the city: in the CRS, meeting no community. */
Test(gridlayer, no_crs_elsewhere)
{
    const char *args[] = {"-f", "ESRI Shapefile", "-dialect", "SQLite", "-sql",
                          "SELECT grid_code, ST_Translate(geom, 10, 0, 0) AS geom FROM grids",
                          "-nln", "away", NULL};
    const char *p = without_crs("away.shp", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_CRS);
    cr_assert_null(gl);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "away.shp:away: the layer has no CRS; taken to be in the communities' "
                        "CRS (EPSG:4490") &&
                  strstr(m, "none of its 84 grids meets any community"),
              "%s", m);
}

Test(gridlayer, unknown_community_id)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code, CASE WHEN fid = 4 THEN 'nowhere' ELSE community END "
                          "AS community, geom FROM grids",
                          "-nln", "grids", NULL};
    const char *p = translate("comm.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, "community", &gl), GP_ERR_INPUT);
    cr_assert_null(gl);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "feature 4: field 'community': 'nowhere' is not a community id"), "%s",
              m);
    /* Without the community field the same layer is read (by area). */
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    assert_same_as_plan(gl, "");
    gp_grid_layer_free(gl);
}

Test(gridlayer, not_polygons)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code, CASE WHEN fid = 6 THEN ST_Centroid(geom) ELSE geom "
                          "END AS geom FROM grids",
                          "-nlt", "GEOMETRY", "-nln", "grids", NULL};
    const char *p = translate("point.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_INPUT);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "feature 6: geometry is a Point, expected a polygon"), "%s", m);
}

/* An infinite coordinate is refused by name before it reaches projection or GEOS (which
 * throws on one inside an overlay and leaks), as in every input layer (featgeom.c). The grids
 * are in UTM: in degrees, the layer's extent would be refused first. */
Test(gridlayer, coordinate_not_finite)
{
    const char *utm[] = {"-t_srs", "EPSG:32648", "grids", NULL};
    const char *from = translate("utm.gpkg", utm);
    const char *args[] = {
        "-dialect",
        "SQLite",
        "-sql",
        "SELECT grid_code, CASE WHEN fid = 7 THEN ST_Translate(geom, 9e999, 0, 0) "
        "ELSE geom END AS geom FROM grids",
        "-nln",
        "grids",
        NULL};
    const char *p = translate_from(from, "infinite.gpkg", args);
    gp_grid_layer *gl = NULL;
    gp_status st = read_grids(p, NULL, NULL, &gl);
    cr_assert_eq(st, GP_ERR_INPUT, "%d %s", st, gp_context_last_error(ctx));
    cr_assert_null(gl);
    cr_assert(strstr(gp_context_last_error(ctx),
                     "infinite.gpkg:grids: feature 7: a coordinate is not a finite number"),
              "%s", gp_context_last_error(ctx));
}

/* A grid moved far away is in no community: counted, not an error. */
Test(gridlayer, grid_outside)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code, CASE WHEN fid = 9 THEN ST_Translate(geom, 1, 0, 0) "
                          "ELSE geom END AS geom FROM grids",
                          "-nln", "grids", NULL};
    const char *p = translate("moved.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->n, 84);
    cr_assert_eq(gl->n_outside, 1);
    cr_assert_eq(gl->outside_fid[0], 9);
    cr_assert_eq(gl->community[83], -1);
    cr_assert_eq(gl->fid[83], 9);
    cr_assert_eq(gl->first[ds->n_communities], 83);
    gp_grid_layer_free(gl);
}

Test(gridlayer, repaired_bowtie)
{
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code, CASE WHEN fid = 2 THEN ST_GeomFromText('POLYGON(("
                          "106.24 38.47, 106.241 38.471, 106.241 38.47, 106.24 38.471, 106.24 "
                          "38.47))', 4490) ELSE geom END AS geom FROM grids",
                          "-nln", "grids", NULL};
    const char *p = translate("bowtie.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->n_repaired, 1);
    gp_grid_layer_free(gl);
}

Test(gridlayer, cancel)
{
    /* 336 grids (each four times, codes made unique): the poll at the 256th feature stops. */
    const char *args[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code || '-' || k AS grid_code, geom FROM grids, (SELECT 1 "
                          "AS k UNION SELECT 2 UNION SELECT 3 UNION SELECT 4)",
                          "-nln", "grids", NULL};
    const char *p = translate("many.gpkg", args);
    gp_grid_layer *gl = NULL;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gl->n, 336);
    gp_grid_layer_free(gl);
    ctx->canceled = 1;
    cr_assert_eq(read_grids(p, NULL, NULL, &gl), GP_ERR_CANCELED);
    cr_assert_null(gl);
    ctx->canceled = 0;
}
