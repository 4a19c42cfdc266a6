/* SPDX-License-Identifier: MIT */
/** @file test_check.c gp_check: gridpart's own grids audited, and grids spoiled on purpose. */

#include "gridpart.h"

#include "core/memory.h"

#include <criterion/criterion.h>
#include <gdal_utils.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The demo city (examples/data, EPSG:4490) is divided with gp_run; its grids are written and
 * then copied, edited with OGR (a grid deleted, two merged, vertices moved...) and audited.
 */

static char tmpdir[256];
static char own[300]; /* the run's grids and blocks */
static gp_context *ctx;
static gp_plan *run;   /* the partition */
static gp_plan *audit; /* the check of a test */

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

static gp_inputs *demo_inputs(const char *grids, const char *code, const char *comm)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, demo("communities.gpkg"), "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, demo("streets.gpkg"), "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, demo("households.gpkg"), "households"),
                 GP_OK);
    if (grids != NULL) {
        cr_assert_eq(gp_inputs_set_grids(ctx, in, grids, code, comm), GP_OK);
    }
    return in;
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_check_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    gp_inputs *in = demo_inputs(NULL, NULL, NULL);
    cr_assert_eq(gp_run(ctx, in, NULL, &run), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    snprintf(own, sizeof own, "%s/own.gpkg", tmpdir);
    cr_assert_eq(gp_plan_write(ctx, run, own, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    audit = NULL;
}

static void teardown(void)
{
    gp_plan_free(audit);
    gp_plan_free(run);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(check, .init = setup, .fini = teardown);

/* ogr2ogr the run's grids layer into tmpdir/name with these options (NULL-terminated). */
static const char *translate(const char *name, const char *const *args)
{
    static char path[4][400];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 400, "%s/%s", tmpdir, name);
    GDALAllRegister();
    GDALDatasetH src = GDALOpenEx(own, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(src);
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew((char **)args, NULL);
    cr_assert_not_null(o);
    int bad = 0;
    GDALDatasetH dst = GDALVectorTranslate(p, NULL, 1, &src, o, &bad);
    cr_assert_not_null(dst, "ogr2ogr into %s failed", p);
    GDALClose(dst);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(src);
    return p;
}

/* A plain copy of the grids layer (same feature ids), open for update: close with GDALClose. */
static GDALDatasetH copy_grids(const char *name, const char **path)
{
    const char *args[] = {"-preserve_fid", "grids", NULL};
    *path = translate(name, args);
    GDALDatasetH ds = GDALOpenEx(*path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    return ds;
}

static gp_status check(const char *grids, const char *code, const char *comm)
{
    gp_inputs *in = demo_inputs(grids, code, comm);
    gp_plan_free(audit);
    audit = NULL;
    gp_status st = gp_check(ctx, in, NULL, &audit);
    gp_inputs_free(in);
    return st;
}

/* The plan's grid with this code, or -1. */
static int32_t grid_of(const gp_plan *plan, const char *code)
{
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        if (strcmp(gp_plan_grid_code(plan, g), code) == 0) {
            return g;
        }
    }
    return -1;
}

/* Problems of a kind, and the first one's index. */
static int32_t count_kind(int32_t kind, int32_t *first)
{
    int32_t n = 0;
    *first = -1;
    for (int32_t i = 0; i < gp_plan_problem_count(audit); i++) {
        if (gp_plan_problem_kind(audit, i) == kind) {
            *first = n++ == 0 ? i : *first;
        }
    }
    return n;
}

/* No household is lost: in grids + in no grid + outside every community = read. */
static void assert_conserved(void)
{
    int64_t in_grids = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(audit); g++) {
        in_grids += gp_plan_grid_households(audit, g);
    }
    cr_assert_eq(in_grids + gp_plan_households_no_grid(audit) +
                     gp_plan_households_outside(audit),
                 gp_plan_households_read(audit));
    cr_assert_eq(gp_plan_households_read(audit), 34532);
}

/* The run's grid code of layer feature fid (written in plan order from 1). */
static const char *code_of_fid(int64_t fid)
{
    return gp_plan_grid_code(run, (int32_t)fid - 1);
}

Test(check, own_output_is_clean)
{
    char spec[400];
    snprintf(spec, sizeof spec, "%s:grids", own);
    cr_assert_eq(check(spec, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_hard_failures(audit), 0);
    cr_assert_eq(gp_plan_grid_count(audit), 84);
    cr_assert_eq(gp_plan_grid_count(audit), gp_plan_grid_count(run));
    for (int32_t g = 0; g < gp_plan_grid_count(run); g++) {
        int32_t a = grid_of(audit, gp_plan_grid_code(run, g));
        cr_assert_geq(a, 0);
        cr_assert_eq(gp_plan_grid_households(audit, a), gp_plan_grid_households(run, g),
                     "grid %s", gp_plan_grid_code(run, g));
        cr_assert_eq(gp_plan_grid_community(audit, a), gp_plan_grid_community(run, g));
    }
    cr_assert_eq(gp_plan_households_no_grid(audit), 0);
    assert_conserved();
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_GAP, &first), 0);
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_OVERLAP, &first), 0);
    cr_assert_eq(count_kind(GP_PROBLEM_GRID_NOT_CONTIGUOUS, &first), 0);
    cr_assert_eq(count_kind(GP_PROBLEM_GRID_CROSSES_COMMUNITY, &first), 0);
    /* The one grid over the maximum is one household feature of 560: a warning. */
    cr_assert_eq(count_kind(GP_PROBLEM_VERTEX_OVER_MAX, &first), 1);
    cr_assert_eq(gp_plan_problem_severity(audit, first), GP_SEVERITY_WARNING);
    cr_assert_str_eq(gp_plan_problem_grid_code(audit, first), "640106003001002");
    /* Borders off streets: only where the run cut a block between buildings. */
    for (int32_t g = 0; g < gp_plan_grid_count(audit); g++) {
        int32_t r = grid_of(run, gp_plan_grid_code(audit, g));
        int split = strstr(gp_plan_grid_flags(run, r), "split_block") != NULL;
        if (!split) {
            cr_assert_lt(gp_plan_grid_off_streets(audit, g), 2.0, "grid %s: %g m",
                         gp_plan_grid_code(audit, g), gp_plan_grid_off_streets(audit, g));
        }
    }
    /* The report says it is an audit. */
    char *json = NULL;
    cr_assert_eq(gp_plan_report_json(ctx, audit, &json), GP_OK);
    cr_assert(strstr(json, "\"check\": {\"grids\": ") &&
                  strstr(json, "\"households_in_no_grid\": 0, \"hard_failures\": 0"),
              "%s", json);
    gp_free(json);
}

Test(check, deleted_grid_is_a_gap)
{
    const char *p = NULL;
    GDALDatasetH ds = copy_grids("deleted.gpkg", &p);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(OGR_L_DeleteFeature(l, 10), OGRERR_NONE);
    GDALClose(ds);
    const char *gone = code_of_fid(10);
    int64_t hh = gp_plan_grid_households(run, 9);
    const char *cid = gp_plan_community_id(run, gp_plan_grid_community(run, 9));
    cr_assert_eq(check(p, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_grid_count(audit), 83);
    cr_assert_eq(grid_of(audit, gone), -1);
    cr_assert_eq(gp_plan_households_no_grid(audit), hh);
    assert_conserved();
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_GAP, &first), 1);
    cr_assert_eq(gp_plan_problem_severity(audit, first), GP_SEVERITY_VIOLATION);
    cr_assert_str_eq(gp_plan_community_id(audit, gp_plan_problem_community(audit, first)), cid);
    char want[200];
    snprintf(want, sizeof want, "community %s: ", cid);
    const char *m = gp_plan_problem(audit, first);
    char holding[64];
    snprintf(holding, sizeof holding, "holding %lld household(s)", (long long)hh);
    cr_assert(strstr(m, want) == m && strstr(m, holding) && strstr(m, "at (106."), "%s", m);
    cr_assert_eq(gp_plan_hard_failures(audit), 1);
}

Test(check, overlapping_grids)
{
    const char *p = NULL;
    GDALDatasetH ds = copy_grids("overlap.gpkg", &p);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    /* Grid 1 grows over all of grid 2 (both of the first community). */
    OGRFeatureH f1 = OGR_L_GetFeature(l, 1), f2 = OGR_L_GetFeature(l, 2);
    OGRGeometryH u = OGR_G_Union(OGR_F_GetGeometryRef(f1), OGR_F_GetGeometryRef(f2));
    cr_assert_not_null(u);
    OGR_F_SetGeometryDirectly(f1, u);
    cr_assert_eq(OGR_L_SetFeature(l, f1), OGRERR_NONE);
    OGR_F_Destroy(f1);
    OGR_F_Destroy(f2);
    GDALClose(ds);
    cr_assert_eq(check(p, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    assert_conserved();
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_OVERLAP, &first), 1);
    cr_assert_eq(gp_plan_problem_severity(audit, first), GP_SEVERITY_VIOLATION);
    const char *m = gp_plan_problem(audit, first);
    char want[200];
    snprintf(want, sizeof want, "grids %s (feature 1) and %s (feature 2) overlap by",
             code_of_fid(1), code_of_fid(2));
    cr_assert(strstr(m, want) != NULL, "%s (wanted %s)", m, want);
    int32_t features = 0;
    const int64_t *fids = gp_plan_problem_features(audit, first, &features);
    cr_assert_eq(features, 2);
    cr_assert(fids[0] == 1 && fids[1] == 2);
    /* Households there count once, in the first grid. */
    int32_t g1 = grid_of(audit, code_of_fid(1)), g2 = grid_of(audit, code_of_fid(2));
    cr_assert_eq(gp_plan_grid_households(audit, g1),
                 gp_plan_grid_households(run, 0) + gp_plan_grid_households(run, 1));
    cr_assert_eq(gp_plan_grid_households(audit, g2), 0);
    cr_assert(strstr(gp_plan_grid_flags(audit, g2), "overlaps") &&
              strstr(gp_plan_grid_flags(audit, g2), "under_min"));
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_GAP, &first), 0);
}

/* Grid a takes grid b of its community that it does not touch: a grid in two pieces. */
Test(check, multipart_grid_not_contiguous)
{
    const char *p = NULL;
    GDALDatasetH ds = copy_grids("multi.gpkg", &p);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    int64_t a = -1, b = -1;
    for (int64_t i = 1; i <= 84 && b < 0; i++) {
        for (int64_t j = i + 1; j <= 84 && b < 0; j++) {
            OGRFeatureH fi = OGR_L_GetFeature(l, i), fj = OGR_L_GetFeature(l, j);
            if (strcmp(OGR_F_GetFieldAsString(fi, 1), OGR_F_GetFieldAsString(fj, 1)) == 0 &&
                !OGR_G_Intersects(OGR_F_GetGeometryRef(fi), OGR_F_GetGeometryRef(fj))) {
                a = i;
                b = j;
            }
            OGR_F_Destroy(fi);
            OGR_F_Destroy(fj);
        }
    }
    cr_assert_geq(b, 0);
    OGRFeatureH fa = OGR_L_GetFeature(l, a), fb = OGR_L_GetFeature(l, b);
    OGR_F_SetGeometryDirectly(fa, OGR_G_Union(OGR_F_GetGeometryRef(fa), OGR_F_GetGeometryRef(fb)));
    cr_assert_eq(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(fa)), wkbMultiPolygon);
    cr_assert_eq(OGR_L_SetFeature(l, fa), OGRERR_NONE);
    cr_assert_eq(OGR_L_DeleteFeature(l, b), OGRERR_NONE);
    OGR_F_Destroy(fa);
    OGR_F_Destroy(fb);
    GDALClose(ds);
    cr_assert_eq(check(p, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    assert_conserved();
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_GRID_NOT_CONTIGUOUS, &first), 1);
    cr_assert_eq(gp_plan_problem_severity(audit, first), GP_SEVERITY_VIOLATION);
    cr_assert_str_eq(gp_plan_problem_grid_code(audit, first), code_of_fid(a));
    cr_assert(strstr(gp_plan_problem(audit, first), "is in 2 separate pieces"), "%s",
              gp_plan_problem(audit, first));
    int32_t g = grid_of(audit, code_of_fid(a));
    cr_assert(strstr(gp_plan_grid_flags(audit, g), "not_contiguous"));
    cr_assert_eq(gp_plan_grid_households(audit, g),
                 gp_plan_grid_households(run, (int32_t)a - 1) +
                     gp_plan_grid_households(run, (int32_t)b - 1));
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_GAP, &first), 0);
}

/* Move every vertex by 1 to 2 m, the same for the same point (shared borders stay shared). */
static void jitter(OGRGeometryH g)
{
    int parts = OGR_G_GetGeometryCount(g);
    if (parts > 0) {
        for (int i = 0; i < parts; i++) {
            jitter(OGR_G_GetGeometryRef(g, i));
        }
        return;
    }
    for (int k = 0; k < OGR_G_GetPointCount(g); k++) {
        double x = OGR_G_GetX(g, k), y = OGR_G_GetY(g, k);
        double t = fmod(fabs(x * 7.31e5 + y * 3.17e5), 2 * M_PI);
        double r = 1.0 + fmod(fabs(x * 1.3e6 + y * 0.7e6), 1.0); /* metres */
        double dx = r * cos(t) / (111320.0 * cos(y * M_PI / 180)), dy = r * sin(t) / 110540.0;
        OGR_G_SetPoint_2D(g, k, x + dx, y + dy);
    }
}

/* A city's copy: in EPSG:4326 (WGS 84), codes renamed, vertices moved 1-2 m. */
Test(check, hand_drawn_copy)
{
    const char *args[] = {"-t_srs", "EPSG:4326", "-dialect", "SQLite", "-sql",
                          "SELECT 'W' || substr(grid_code, 10) AS name, geom FROM grids",
                          "-nln", "drawn", NULL};
    const char *p = translate("drawn.gpkg", args);
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGR_L_ResetReading(l);
    for (OGRFeatureH f; (f = OGR_L_GetNextFeature(l)) != NULL; OGR_F_Destroy(f)) {
        jitter(OGR_F_GetGeometryRef(f));
        cr_assert_eq(OGR_L_SetFeature(l, f), OGRERR_NONE);
    }
    GDALClose(ds);
    cr_assert_eq(check(p, "name", NULL), GP_OK, "%s", gp_context_last_error(ctx));
    assert_conserved();
    cr_assert_eq(gp_plan_grid_count(audit), 84);
    cr_assert_eq(gp_plan_hard_failures(audit), 0);
    int32_t first = -1;
    for (int32_t kind = GP_PROBLEM_GRIDS_GAP; kind <= GP_PROBLEM_GRID_CROSSES_COMMUNITY; kind++) {
        if (kind != GP_PROBLEM_GRID_OFF_STREETS) {
            cr_assert_eq(count_kind(kind, &first), 0, "%s: %s", gp_problem_kind_name(kind),
                         first >= 0 ? gp_plan_problem(audit, first) : "");
        }
    }
    double off = 0, off_run = 0;
    int64_t households = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(audit); g++) {
        /* W + community serial + grid serial: the run's code ends the same. */
        const char *code = gp_plan_grid_code(audit, g);
        cr_assert_eq(code[0], 'W');
        int32_t r = -1;
        for (int32_t k = 0; k < gp_plan_grid_count(run); k++) {
            if (strcmp(gp_plan_grid_code(run, k) + 9, code + 1) == 0) {
                r = k;
            }
        }
        cr_assert_geq(r, 0, "%s", code);
        cr_assert_eq(gp_plan_grid_community(audit, g), gp_plan_grid_community(run, r));
        households += gp_plan_grid_households(audit, g);
        off += gp_plan_grid_off_streets(audit, g);
        if (strstr(gp_plan_grid_flags(run, r), "split_block") == NULL) {
            off_run += gp_plan_grid_off_streets(audit, g);
        }
    }
    cr_assert_eq(households, 34460);
    /* Off streets: the run's cuts between buildings (about 300 m on both sides), and a few
     * metres where a moved vertex lands just beyond the tolerance. */
    cr_assert_lt(off_run, 20.0, "%g m off streets outside cut blocks", off_run);
    cr_assert_lt(off, 1000.0, "%g m", off);
}

Test(check, bad_grids_layers)
{
    /* No code field: the fields are listed. */
    char spec[400];
    snprintf(spec, sizeof spec, "%s:grids", own);
    cr_assert_eq(check(spec, "zone", NULL), GP_ERR_INPUT);
    cr_assert_null(audit);
    const char *m = gp_context_last_error(ctx);
    cr_assert(strstr(m, "'zone'") && strstr(m, "grid_code"), "%s", m);
    /* Duplicate codes. */
    const char *dup[] = {"-dialect", "SQLite", "-sql",
                         "SELECT CASE WHEN fid = 5 THEN (SELECT grid_code FROM grids WHERE fid = "
                         "4) ELSE grid_code END AS grid_code, geom FROM grids",
                         "-nln", "grids", NULL};
    cr_assert_eq(check(translate("dup.gpkg", dup), NULL, NULL), GP_ERR_INPUT);
    cr_assert(strstr(gp_context_last_error(ctx), "is used by features 4 and 5"), "%s",
              gp_context_last_error(ctx));
    /* An unknown community in the community field. */
    const char *comm[] = {"-dialect", "SQLite", "-sql",
                          "SELECT grid_code, CASE WHEN fid = 3 THEN 'x' ELSE community END AS "
                          "community, geom FROM grids",
                          "-nln", "grids", NULL};
    cr_assert_eq(check(translate("comm.gpkg", comm), NULL, "community"), GP_ERR_INPUT);
    cr_assert(strstr(gp_context_last_error(ctx), "feature 3: field 'community': 'x' is not"),
              "%s", gp_context_last_error(ctx));
    /* Without a layer at all. */
    gp_inputs *in = demo_inputs(NULL, NULL, NULL);
    cr_assert_eq(gp_check(ctx, in, NULL, &audit), GP_ERR_ARG);
    gp_inputs_free(in);
    cr_assert_eq(gp_inputs_set_grids(ctx, NULL, spec, NULL, NULL), GP_ERR_ARG);
}

/* Half the grids of a community: a gap, its households in no grid, none lost. */
Test(check, partial_cover)
{
    const char *p = NULL;
    GDALDatasetH ds = copy_grids("part.gpkg", &p);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    int32_t c = gp_plan_grid_community(run, 0);
    int64_t lost = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(run); g++) {
        if (gp_plan_grid_community(run, g) == c && g % 2 == 1) {
            cr_assert_eq(OGR_L_DeleteFeature(l, g + 1), OGRERR_NONE);
            lost += gp_plan_grid_households(run, g);
        }
    }
    GDALClose(ds);
    cr_assert_gt(lost, 0);
    cr_assert_eq(check(p, NULL, "community"), GP_OK, "%s", gp_context_last_error(ctx));
    assert_conserved();
    cr_assert_eq(gp_plan_households_no_grid(audit), lost);
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_GRIDS_GAP, &first), 1);
    cr_assert_eq(gp_plan_problem_community(audit, first), c);
}

/* A layer without a CRS: taken to be the communities' and said so. */
Test(check, no_crs)
{
    const char *args[] = {"-f", "ESRI Shapefile", "grids", NULL};
    const char *p = translate("nocrs.shp", args);
    char prj[400];
    snprintf(prj, sizeof prj, "%.*s.prj", (int)(strlen(p) - 4), p);
    cr_assert_eq(unlink(prj), 0);
    cr_assert_eq(check(p, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_hard_failures(audit), 0);
    cr_assert_eq(gp_plan_grid_count(audit), 84);
    char *json = NULL;
    cr_assert_eq(gp_plan_report_json(ctx, audit, &json), GP_OK);
    cr_assert(strstr(json, "\"assumed_crs\": true"), "%s", json);
    gp_free(json);
    const char *metres[] = {"-f", "ESRI Shapefile", "-t_srs", "EPSG:32648", "grids", NULL};
    p = translate("metres.shp", metres);
    snprintf(prj, sizeof prj, "%.*s.prj", (int)(strlen(p) - 4), p);
    cr_assert_eq(unlink(prj), 0);
    cr_assert_eq(check(p, NULL, NULL), GP_ERR_CRS);
    cr_assert(strstr(gp_context_last_error(ctx), "the layer has no CRS"), "%s",
              gp_context_last_error(ctx));
}

/* A grid reaching into the next community. */
Test(check, grid_crossing_community)
{
    const char *p = NULL;
    GDALDatasetH ds = copy_grids("cross.gpkg", &p);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f = OGR_L_GetFeature(l, 1);
    OGRGeometryH grown = OGR_G_Buffer(OGR_F_GetGeometryRef(f), 0.0004, 8); /* about 40 m */
    OGR_F_SetGeometryDirectly(f, grown);
    cr_assert_eq(OGR_L_SetFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    cr_assert_eq(check(p, NULL, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    assert_conserved();
    int32_t first = -1;
    cr_assert_geq(count_kind(GP_PROBLEM_GRID_CROSSES_COMMUNITY, &first), 1);
    cr_assert_str_eq(gp_plan_problem_grid_code(audit, first), code_of_fid(1));
    cr_assert(strstr(gp_plan_problem(audit, first), "beyond the community"), "%s",
              gp_plan_problem(audit, first));
    cr_assert_gt(gp_plan_hard_failures(audit), 0);
}

/* Providence (clean, 39 communities): gridpart's own division audits clean, grid for grid. */
Test(check, providence_own_output_is_clean, .timeout = 600)
{
    const char *dir = getenv("GP_PROVIDENCE");
    cr_assert_not_null(dir, "GP_PROVIDENCE is not set");
    char comm[512], streets[512], hh[512], out[400], spec[420];
    snprintf(comm, sizeof comm, "%s/communities.gpkg", dir);
    snprintf(streets, sizeof streets, "%s/streets.gpkg", dir);
    snprintf(hh, sizeof hh, "%s/households.gpkg", dir);
    struct stat sb;
    cr_assert_eq(stat(comm, &sb), 0, "Providence data not found at %s (../shared)", dir);
    gp_inputs *in = NULL;
    gp_plan *prun = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, comm, "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, hh, "households"), GP_OK);
    cr_assert_eq(gp_run(ctx, in, NULL, &prun), GP_OK, "%s", gp_context_last_error(ctx));
    snprintf(out, sizeof out, "%s/providence.gpkg", tmpdir);
    cr_assert_eq(gp_plan_write(ctx, prun, out, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    snprintf(spec, sizeof spec, "%s:grids", out);
    cr_assert_eq(gp_inputs_set_grids(ctx, in, spec, NULL, NULL), GP_OK);
    cr_assert_eq(gp_check(ctx, in, NULL, &audit), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    cr_assert_eq(gp_plan_grid_count(audit), 177);
    cr_assert_eq(gp_plan_grid_count(audit), gp_plan_grid_count(prun));
    cr_assert_eq(gp_plan_hard_failures(audit), 0);
    for (int32_t g = 0; g < gp_plan_grid_count(prun); g++) {
        cr_assert_str_eq(gp_plan_grid_code(audit, g), gp_plan_grid_code(prun, g));
        cr_assert_eq(gp_plan_grid_households(audit, g), gp_plan_grid_households(prun, g),
                     "grid %s", gp_plan_grid_code(prun, g));
    }
    cr_assert_eq(gp_plan_households_no_grid(audit), 0);
    cr_assert_eq(gp_plan_households_read(audit), 71188);
    /* The two grids over the maximum are single household features of 749 and 549. */
    int32_t first = -1;
    cr_assert_eq(count_kind(GP_PROBLEM_VERTEX_OVER_MAX, &first), 2);
    cr_assert_eq(gp_plan_problem_severity(audit, first), GP_SEVERITY_WARNING);
    gp_plan_free(prun);
}

/* Every allocation of gp_check failing in turn (a sample of them): GP_ERR_NOMEM, nothing
 * leaked, never a crash. */
Test(check, allocation_failures, .timeout = 600)
{
    char spec[400];
    snprintf(spec, sizeof spec, "%s:grids", own);
    gp_inputs *in = demo_inputs(spec, NULL, NULL);
    int64_t base = gp_test_alloc_live();
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_eq(gp_check(ctx, in, NULL, &audit), GP_OK, "%s", gp_context_last_error(ctx));
    int64_t total = gp_test_alloc_count();
    gp_plan_free(audit);
    audit = NULL;
    cr_assert_eq(gp_test_alloc_live(), base);
    int64_t stride = total / 60 + 1, failed = 0, tried = 0;
    for (int64_t n = 0; n < total; n += stride, tried++) {
        gp_test_alloc_fail_after(n, 0);
        gp_status st = gp_check(ctx, in, NULL, &audit);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert(st == GP_OK || st == GP_ERR_NOMEM, "allocation %lld failing gave %d: %s",
                  (long long)n, st, gp_context_last_error(ctx));
        failed += st == GP_ERR_NOMEM;
        if (st != GP_OK) {
            cr_assert_null(audit);
        }
        gp_plan_free(audit);
        audit = NULL;
        gp_context_clear_error(ctx);
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
    }
    cr_assert_eq(failed, tried, "every allocation is checked");
    gp_inputs_free(in);
}
