/* SPDX-License-Identifier: MIT */
/** @file test_workload.c Workload inputs through the C API: setters, and a run's exact sums. */

#include "gridpart.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GP_DEMO_DIR
#error "GP_DEMO_DIR must name examples/data"
#endif

static gp_context *ctx;
static gp_inputs *in;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
}

static void teardown(void)
{
    gp_inputs_free(in);
    gp_context_free(ctx);
}

TestSuite(workload_inputs, .init = setup, .fini = teardown);

Test(workload_inputs, weight_must_be_finite_and_not_negative)
{
    const double bad[] = {-0.5, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", bad[i]), GP_ERR_ARG);
        cr_assert(strstr(gp_context_last_error(ctx), "weight of field 'elderly'") != NULL, "%s",
                  gp_context_last_error(ctx));
    }
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", 0.0), GP_OK);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "disabled", 1.0), GP_OK);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "elderly", 0.5), GP_ERR_ARG);
    cr_assert_str_eq(gp_context_last_error(ctx),
                     "weight of field 'elderly' given twice (0 and 0.5)");
}

Test(workload_inputs, null_and_empty_arguments)
{
    cr_assert_eq(gp_inputs_add_weight(ctx, NULL, "elderly", 1), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, NULL, 1), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_weight(ctx, in, "", 1), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, NULL, "shops.gpkg", NULL), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, in, NULL, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, in, "", "load"), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, in, "shops.gpkg", NULL), GP_OK);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, in, "shops.gpkg:shops", "load"), GP_OK);
    cr_assert_eq(gp_plan_extra_load_read(NULL), 0.0);
    cr_assert_eq(gp_plan_extra_load_outside(NULL), 0.0);
}

/* The demo city; its households layer weighted by its own count field and added again as
 * extra load by the same field. */
static gp_status demo_run(double weight, int extra, const char *field, gp_plan **plan)
{
    gp_options *o = NULL;
    gp_status st = gp_options_new(&o);
    cr_assert_eq(st, GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, o, 2), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, GP_DEMO_DIR "/communities.gpkg", "code"),
                 GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, GP_DEMO_DIR "/streets.gpkg", "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, GP_DEMO_DIR "/households.gpkg", "households"),
                 GP_OK);
    if (weight >= 0) {
        cr_assert_eq(gp_inputs_add_weight(ctx, in, field, weight), GP_OK);
    }
    if (extra) {
        cr_assert_eq(gp_inputs_add_extra_load(ctx, in, GP_DEMO_DIR "/households.gpkg", field),
                     GP_OK);
    }
    st = gp_run(ctx, in, o, plan);
    gp_options_free(o);
    return st;
}

Test(workload_inputs, weight_and_extra_load_add_exactly)
{
    /* Each household feature weighs 1 + 0.5 x households, and the same layer as extra load
     * adds its households again to the grid holding it: 2.5 x households per grid, exactly. */
    gp_plan *plan = NULL;
    cr_assert_eq(demo_run(0.5, 1, "households", &plan), GP_OK, "%s", gp_context_last_error(ctx));
    int32_t ng = gp_plan_grid_count(plan);
    cr_assert_gt(ng, 80);
    double total = 0;
    for (int32_t g = 0; g < ng; g++) {
        double h = (double)gp_plan_grid_households(plan, g);
        cr_assert_float_eq(gp_plan_grid_workload(plan, g), 2.5 * h, 1e-9, "grid %s: %g vs %g",
                           gp_plan_grid_code(plan, g), gp_plan_grid_workload(plan, g), h);
        total += h;
    }
    cr_assert_float_eq(gp_plan_extra_load_read(plan), (double)gp_plan_households_read(plan), 1e-9);
    cr_assert_float_eq(gp_plan_extra_load_outside(plan), (double)gp_plan_households_outside(plan),
                       1e-9);
    cr_assert_float_eq(total + (double)gp_plan_households_outside(plan),
                       (double)gp_plan_households_read(plan), 1e-9);
    /* The features outside every community: a warning listing them, in both layers. */
    int found = 0;
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        if (gp_plan_problem_kind(plan, i) == GP_PROBLEM_LOAD_OUTSIDE) {
            int32_t n = 0;
            const int64_t *fid = gp_plan_problem_features(plan, i, &n);
            cr_assert_eq(gp_plan_problem_severity(plan, i), GP_SEVERITY_WARNING);
            cr_assert_eq(n, 3);
            cr_assert_eq(fid[0], 1186);
            cr_assert_eq(fid[2], 1188);
            found++;
        }
    }
    cr_assert_eq(found, 1);
    gp_plan_free(plan);
}

Test(workload_inputs, unknown_weight_field_lists_numeric_fields)
{
    gp_plan *plan = NULL;
    cr_assert_eq(demo_run(0.5, 0, "elderly", &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx),
                     "households.gpkg:households: weight field 'elderly': no such field "
                     "(numeric fields: households)") != NULL,
              "%s", gp_context_last_error(ctx));
}

Test(workload_inputs, unknown_load_field_names_the_layer)
{
    gp_plan *plan = NULL;
    cr_assert_eq(demo_run(-1, 1, "shops", &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx),
                     "households.gpkg:households: load field 'shops': no such field") != NULL,
              "%s", gp_context_last_error(ctx));
}

/* An extra load at an infinite coordinate is refused by name, as in every input layer
 * (featgeom.c), rather than by projection or GEOS. */
Test(workload_inputs, extra_load_coordinate_must_be_finite)
{
    char dir[] = "/tmp/gp_loads_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/shops.geojson", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0);
    const char *json =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[106.24,38.48]}},"
        "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[1e999,38.48]}}]}";
    cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, GP_DEMO_DIR "/communities.gpkg", "code"),
                 GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, GP_DEMO_DIR "/streets.gpkg", "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, GP_DEMO_DIR "/households.gpkg", "households"),
                 GP_OK);
    cr_assert_eq(gp_inputs_add_extra_load(ctx, in, path, NULL), GP_OK);
    gp_plan *plan = NULL;
    gp_status st = gp_run(ctx, in, NULL, &plan);
    unlink(path);
    rmdir(dir);
    cr_assert_eq(st, GP_ERR_INPUT, "%s", gp_context_last_error(ctx));
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx),
                     ": feature 1: a coordinate is not a finite number (NaN or infinite)") != NULL,
              "%s", gp_context_last_error(ctx));
}
