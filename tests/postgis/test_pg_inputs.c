/* SPDX-License-Identifier: MIT */
/** @file test_pg_inputs.c The C API reading its inputs from PostGIS (GP_PG, set by pgserver.sh). */

#include "core/context.h"
#include "gridpart.h"
#include "io/layer.h"

#include <criterion/criterion.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Run by check_postgis.sh inside `pgserver.sh with`: GP_PG is the GDAL connection string of a
 * database holding the demo (examples/data) as tables communities, streets and households;
 * GP_DEMO is the folder of the demo's GeoPackage files.
 */

static gp_context *ctx;
static gp_options *opts;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
}

TestSuite(pg, .init = setup, .fini = teardown);

static const char *env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v != NULL && v[0] != '\0', "%s is not set: run me through tests/postgis/pgserver.sh",
              name);
    return v;
}

/* "GP_PG:table" (pg != 0) or "GP_DEMO/table.gpkg". */
static const char *source(int pg, const char *table)
{
    static char specs[4][1024];
    static int slot;
    char *s = specs[slot++ % 4];
    if (pg) {
        snprintf(s, 1024, "%s:%s", env("GP_PG"), table);
    } else {
        snprintf(s, 1024, "%s/%s.gpkg", env("GP_DEMO"), table);
    }
    return s;
}

static gp_status run(const char *communities, const char *streets, const char *households,
                     gp_plan **plan)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, communities, "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, households, "households"), GP_OK);
    gp_status st = gp_run(ctx, in, opts, plan);
    gp_inputs_free(in);
    return st;
}

static int64_t grid_households(const gp_plan *plan)
{
    int64_t sum = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        sum += gp_plan_grid_households(plan, g);
    }
    return sum;
}

Test(pg, the_demo_from_postgis_gives_the_grids_of_its_files)
{
    gp_plan *from_pg = NULL;
    gp_plan *from_files = NULL;
    cr_assert_eq(
        run(source(1, "communities"), source(1, "streets"), source(1, "households"), &from_pg),
        GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(
        run(source(0, "communities"), source(0, "streets"), source(0, "households"), &from_files),
        GP_OK, "%s", gp_context_last_error(ctx));
    int32_t n = gp_plan_grid_count(from_pg);
    cr_assert_gt(n, 0);
    cr_assert_eq(n, gp_plan_grid_count(from_files));
    cr_assert_eq(gp_plan_community_count(from_pg), 12);
    /* Households are conserved: every one read inside a community is in exactly one grid. */
    cr_assert_gt(gp_plan_households_read(from_pg), 0);
    cr_assert_eq(gp_plan_households_read(from_pg), gp_plan_households_read(from_files));
    cr_assert_eq(grid_households(from_pg),
                 gp_plan_households_read(from_pg) - gp_plan_households_outside(from_pg));
    for (int32_t g = 0; g < n; g++) {
        cr_assert_str_eq(gp_plan_grid_code(from_pg, g), gp_plan_grid_code(from_files, g));
        cr_assert_eq(gp_plan_grid_households(from_pg, g), gp_plan_grid_households(from_files, g),
                     "grid %s", gp_plan_grid_code(from_pg, g));
        cr_assert_str_eq(gp_plan_grid_flags(from_pg, g), gp_plan_grid_flags(from_files, g));
    }
    gp_plan_free(from_pg);
    gp_plan_free(from_files);
}

Test(pg, a_database_without_a_table_says_how_to_name_it_and_lists_tables)
{
    gp_plan *plan = NULL;
    const char *pg = env("GP_PG");
    cr_assert_eq(run(pg, source(1, "streets"), source(1, "households"), &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    char prefix[1024];
    snprintf(prefix, sizeof prefix,
             "communities: %s: name the table to read, as %s:TABLE (tables there: ", pg, pg);
    const char *msg = gp_context_last_error(ctx);
    cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "message: %s", msg);
    cr_assert(strstr(msg, "communities") && strstr(msg, "streets") && strstr(msg, "households"),
              "message: %s", msg);
}

Test(pg, an_unknown_table_lists_the_tables_and_hides_the_password)
{
    gp_plan *plan = NULL;
    char spec[1024];
    /* The test server trusts 127.0.0.1, so it connects whatever the password. */
    snprintf(spec, sizeof spec, "%s password=hunter2:comunities", env("GP_PG"));
    cr_assert_eq(run(source(1, "communities"), source(1, "streets"), spec, &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    char expect[1024];
    snprintf(expect, sizeof expect,
             "households: %s password=***: no table named 'comunities' "
             "(tables there: ",
             env("GP_PG"));
    const char *msg = gp_context_last_error(ctx);
    cr_assert(strncmp(msg, expect, strlen(expect)) == 0, "message: %s", msg);
    cr_assert(strstr(msg, "communities") && strstr(msg, "streets"), "message: %s", msg);
    cr_assert_null(strstr(msg, "hunter2"), "the password shows: %s", msg);
}

Test(pg, schema_qualified_tables_and_any_case_prefix_open)
{
    char spec[1024];
    const char *pg = env("GP_PG");
    cr_assert(strncmp(pg, "PG:", 3) == 0);
    snprintf(spec, sizeof spec, "pg:%s:public.streets", pg + 3);
    gp_layer *l = NULL;
    cr_assert_eq(gp_layer_open(ctx, spec, "streets", &l), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_str_eq(l->name, "streets");
    cr_assert_gt(OGR_L_GetFeatureCount(l->layer, 1), 0);
    gp_layer_close(l);
    /* A single table named with tables= needs no ":TABLE". */
    snprintf(spec, sizeof spec, "%s tables=households", pg);
    cr_assert_eq(gp_layer_open(ctx, spec, "households", &l), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_str_eq(l->name, "households");
    gp_layer_close(l);
}

/* Count the features of `table` and read its EPSG code, through GDAL as any client would. */
static int64_t table_count(const char *table, int *epsg)
{
    gp_layer *l = NULL;
    cr_assert_eq(gp_layer_open(ctx, source(1, table), table, &l), GP_OK, "%s",
                 gp_context_last_error(ctx));
    int64_t n = OGR_L_GetFeatureCount(l->layer, 1);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l->layer);
    const char *code = srs ? OSRGetAuthorityCode(srs, NULL) : NULL;
    *epsg = code ? atoi(code) : 0;
    gp_layer_close(l);
    return n;
}

/* Writing into PostGIS through gp_outputs: the layers land in one transaction with the
 * communities' SRID, other tables stay, an existing layer needs overwrite. */
Test(pg, the_plan_is_written_into_postgis_with_its_srid)
{
    gp_plan *plan = NULL;
    gp_outputs *out = NULL;
    int epsg = 0;
    int64_t streets = table_count("streets", &epsg);
    cr_assert_eq(run(source(1, "communities"), source(1, "streets"), source(1, "households"), &plan),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_outputs_new(&out), GP_OK);
    cr_assert_eq(gp_outputs_set_layers(ctx, out, env("GP_PG"), NULL), GP_OK);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, out, 1), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, out), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(table_count("grids", &epsg), gp_plan_grid_count(plan));
    cr_assert_eq(epsg, 4490, "the grids table has EPSG %d", epsg);
    int64_t blocks = table_count("blocks", &epsg);
    cr_assert_eq(epsg, 4490);
    cr_assert_gt(blocks, gp_plan_grid_count(plan));
    cr_assert_eq(table_count("streets", &epsg), streets, "an input table changed");
    /* Without overwrite, an existing layer is an error, and nothing changes. */
    cr_assert_eq(gp_outputs_set_overwrite(ctx, out, 0), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, out), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "layer 'grids' already exists") != NULL, "%s",
              gp_context_last_error(ctx));
    cr_assert_eq(table_count("grids", &epsg), gp_plan_grid_count(plan));
    gp_outputs_free(out);
    gp_plan_free(plan);
}
