/* SPDX-License-Identifier: MIT */
/** @file test_adjust.c gp_adjust through the C API on the demo city: its own output kept. */

#include "gridpart.h"

#include "demo_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];
static char old_path[512];
static gp_context *ctx;
static gp_options *opts;
static gp_inputs *in;

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_adjust_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, opts, 2), GP_OK);
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    demo_set_inputs(ctx, in, 1);
    snprintf(old_path, sizeof old_path, "%s/old.gpkg", tmpdir);
}

static void teardown(void)
{
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(adjust, .init = setup, .fini = teardown, .timeout = 300);

Test(adjust, own_output_is_kept_exactly)
{
    gp_plan *old = NULL, *again = NULL;
    cr_assert_eq(gp_run(ctx, in, opts, &old), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_is_adjust(old), 0);
    cr_assert_str_eq(gp_plan_grid_change(old, 0), "");
    cr_assert_eq(gp_plan_write(ctx, old, old_path, NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    char prev[600];
    snprintf(prev, sizeof prev, "%s:grids", old_path);
    cr_assert_eq(gp_inputs_set_previous(ctx, in, prev, NULL, NULL), GP_OK);
    /* gp_run does not take previous grids; gp_adjust does. */
    cr_assert_eq(gp_run(ctx, in, opts, &again), GP_ERR_ARG);
    cr_assert_null(again);
    cr_assert_eq(gp_adjust(ctx, in, opts, &again), GP_OK, "%s", gp_context_last_error(ctx));
    int32_t n = gp_plan_grid_count(old);
    cr_assert_eq(gp_plan_is_adjust(again), 1);
    cr_assert_eq(gp_plan_grid_count(again), n);
    cr_assert_eq(gp_plan_households_moved(again), 0);
    cr_assert_eq(gp_plan_community_grid_changes(again, -1, GP_GRID_KEPT), n);
    cr_assert_eq(gp_plan_community_grid_changes(again, -1, GP_GRID_CHANGED), 0);
    cr_assert_eq(gp_plan_community_grid_changes(again, -1, GP_GRID_NEW), 0);
    cr_assert_eq(gp_plan_retired_count(again), 0);
    cr_assert_null(gp_plan_retired_code(again, 0));
    /* The demo city has blocks the split stage cut: each lies across two previous grids, so
     * the fit is below 1 (98.5%); every other block lies inside its grid. */
    int32_t cut = 0;
    for (int32_t c = 0; c < gp_plan_community_count(again); c++) {
        cut += gp_plan_community_split_blocks(again, c);
    }
    cr_assert_gt(cut, 0);
    cr_assert(gp_plan_previous_fit(again, -1) > 0.98 && gp_plan_previous_fit(again, -1) < 1.0,
              "fit %g", gp_plan_previous_fit(again, -1));
    for (int32_t g = 0; g < n; g++) {
        cr_assert_str_eq(gp_plan_grid_code(again, g), gp_plan_grid_code(old, g));
        cr_assert_eq(gp_plan_grid_households(again, g), gp_plan_grid_households(old, g));
        cr_assert_eq(gp_plan_grid_blocks(again, g), gp_plan_grid_blocks(old, g));
        cr_assert_str_eq(gp_plan_grid_change(again, g), "kept");
    }
    cr_assert_null(gp_plan_grid_change(again, n));
    gp_plan_free(again);
    gp_plan_free(old);
}

Test(adjust, needs_previous_grids)
{
    gp_plan *plan = (gp_plan *)1;
    cr_assert_eq(gp_adjust(ctx, in, opts, &plan), GP_ERR_ARG);
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx), "gp_inputs_set_previous") != NULL);
    cr_assert_eq(gp_inputs_set_previous(ctx, NULL, "x", NULL, NULL), GP_ERR_ARG);
}

Test(adjust, unreadable_previous_layer_names_it)
{
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_set_previous(ctx, in, "/nonexistent/old.gpkg:grids", NULL, NULL),
                 GP_OK);
    cr_assert_eq(gp_adjust(ctx, in, opts, &plan), GP_ERR_IO);
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx), "/nonexistent/old.gpkg") != NULL, "%s",
              gp_context_last_error(ctx));
}
