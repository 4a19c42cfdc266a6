/* SPDX-License-Identifier: MIT */
/**
 * @file test_select.c A part of the input (issue #16 item 1): gp_inputs_set_only and
 * gp_inputs_set_bbox on the demo city divide exactly the communities selected, into the grids
 * a whole run gives them (same codes, households, geometry), reading fewer features of every
 * layer (the filters reach GDAL); an id that matches nothing is an error naming it.
 */

#include "gridpart.h"

#include "demo_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;
static gp_inputs *in;
static gp_plan *whole;

static void setup(void)
{
    demo_run(&ctx, &in, &whole);
}

static void teardown(void)
{
    gp_plan_free(whole);
    gp_inputs_free(in);
    gp_context_free(ctx);
}

TestSuite(select, .init = setup, .fini = teardown, .timeout = 300);

/* A new run of the demo with `only` (n ids) and, unless NULL, the box. */
static gp_plan *run_part(const char *const *only, size_t n, const double *box)
{
    gp_inputs *part = NULL;
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_new(&part), GP_OK);
    demo_set_inputs(ctx, part, 1);
    cr_assert_eq(gp_inputs_set_only(ctx, part, only, n), GP_OK, "%s", gp_context_last_error(ctx));
    if (box != NULL) {
        cr_assert_eq(gp_inputs_set_bbox(ctx, part, box[0], box[1], box[2], box[3]), GP_OK, "%s",
                     gp_context_last_error(ctx));
    }
    cr_assert_eq(gp_run(ctx, part, NULL, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(part);
    return plan;
}

/* The whole run's grid with this code, or -1. */
static int32_t whole_grid(const char *code)
{
    for (int32_t g = 0; g < gp_plan_grid_count(whole); g++) {
        if (strcmp(gp_plan_grid_code(whole, g), code) == 0) {
            return g;
        }
    }
    return -1;
}

static unsigned char *grid_wkb(const gp_plan *plan, int32_t g, size_t *size)
{
    *size = gp_plan_grid_wkb_size(plan, g);
    unsigned char *buf = malloc(*size + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(gp_plan_grid_wkb(ctx, plan, g, buf, *size), GP_OK, "%s",
                 gp_context_last_error(ctx));
    return buf;
}

/* Every grid of `part` is the whole run's grid of that code: community, households, WKB. */
static int32_t assert_grids_as_whole(const gp_plan *part)
{
    for (int32_t g = 0; g < gp_plan_grid_count(part); g++) {
        const char *code = gp_plan_grid_code(part, g);
        int32_t w = whole_grid(code);
        cr_assert_geq(w, 0, "grid %s is not in the whole run", code);
        cr_assert_str_eq(gp_plan_community_id(part, gp_plan_grid_community(part, g)),
                         gp_plan_community_id(whole, gp_plan_grid_community(whole, w)));
        cr_assert_eq(gp_plan_grid_households(part, g), gp_plan_grid_households(whole, w),
                     "grid %s", code);
        size_t a_size = 0, b_size = 0;
        unsigned char *a = grid_wkb(part, g, &a_size), *b = grid_wkb(whole, w, &b_size);
        cr_assert(a_size == b_size && memcmp(a, b, a_size) == 0, "grid %s: geometry differs",
                  code);
        free(a);
        free(b);
    }
    return gp_plan_grid_count(part);
}

/* Grids of community c in the whole run. */
static int32_t whole_grids_of(int32_t c)
{
    int32_t n = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(whole); g++) {
        n += gp_plan_grid_community(whole, g) == c;
    }
    return n;
}

Test(select, one_community_equals_its_part_of_the_whole_run)
{
    cr_assert_eq(gp_plan_community_count(whole), 12);
    cr_assert_eq(gp_plan_features_read(whole, GP_READ_COMMUNITIES), 12);
    cr_assert_eq(gp_plan_features_read(whole, GP_READ_STREETS), 254);
    cr_assert_eq(gp_plan_features_read(whole, GP_READ_HOUSEHOLDS), 1188);
    cr_assert_eq(gp_plan_features_read(whole, 4), -1);
    for (int32_t c = 0; c < gp_plan_community_count(whole); c++) {
        const char *id = gp_plan_community_id(whole, c);
        gp_plan *part = run_part(&id, 1, NULL);
        cr_assert_eq(gp_plan_community_count(part), 1);
        cr_assert_str_eq(gp_plan_community_id(part, 0), id);
        cr_assert_eq(gp_plan_community_households(part, 0),
                     gp_plan_community_households(whole, c));
        cr_assert_eq(assert_grids_as_whole(part), whole_grids_of(c), "community %s", id);
        for (int32_t k = GP_READ_COMMUNITIES; k <= GP_READ_HOUSEHOLDS; k++) {
            cr_assert_lt(gp_plan_features_read(part, k), gp_plan_features_read(whole, k),
                         "community %s: layer %d read whole", id, k);
        }
        gp_plan_free(part);
    }
}

Test(select, parts_together_are_the_whole_run)
{
    int32_t n = gp_plan_community_count(whole), grids = 0;
    for (int32_t k = 0; k < 3; k++) {
        const char *ids[12];
        size_t m = 0;
        for (int32_t c = k; c < n; c += 3) {
            ids[m++] = gp_plan_community_id(whole, c);
        }
        gp_plan *part = run_part(ids, m, NULL);
        cr_assert_eq(gp_plan_community_count(part), (int32_t)m);
        grids += assert_grids_as_whole(part);
        gp_plan_free(part);
    }
    cr_assert_eq(grids, gp_plan_grid_count(whole));
}

/* The demo's two communities whose envelopes' centres lie farthest apart, at opposite corners:
 * the rectangle around them holds the whole city, so reading what meets it reads everything.
 * Read by their own boxes, a part of the two reads each one's neighbourhood: the 8 neighbours
 * within 100 m (and the 2 communities of the first pass), 86 streets (85 read by the two
 * alone, and one whose envelope meets a box its line misses, which GDAL's rectangle test on
 * the line drops) and 257 = 140 + 117 household features. */
Test(select, communities_far_apart_read_only_what_lies_near_each)
{
    const char *ids[] = {"640106003004", "640106003010"};
    gp_plan *part = run_part(ids, 2, NULL);
    cr_assert_eq(gp_plan_community_count(part), 2);
    int32_t grids = 0;
    for (int32_t c = 0; c < gp_plan_community_count(whole); c++) {
        const char *id = gp_plan_community_id(whole, c);
        grids += strcmp(id, ids[0]) == 0 || strcmp(id, ids[1]) == 0 ? whole_grids_of(c) : 0;
    }
    cr_assert_gt(grids, 0);
    cr_assert_eq(assert_grids_as_whole(part), grids);
    cr_assert_eq(gp_plan_features_read(part, GP_READ_COMMUNITIES), 10);
    cr_assert_eq(gp_plan_features_read(part, GP_READ_STREETS), 86);
    cr_assert_eq(gp_plan_features_read(part, GP_READ_HOUSEHOLDS), 257);
    gp_plan_free(part);
}

Test(select, a_box_selects_by_envelope_centre)
{
    /* The demo (EPSG:4490) lies near 106.2 E 38.5 N: a box holding all, then a box west of
     * every community. */
    const double all[4] = {100, 30, 110, 45}, none[4] = {0, 0, 1, 1};
    gp_plan *part = run_part(NULL, 0, all);
    cr_assert_eq(gp_plan_community_count(part), 12);
    cr_assert_eq(assert_grids_as_whole(part), gp_plan_grid_count(whole));
    gp_plan_free(part);
    gp_inputs *bad = NULL;
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_new(&bad), GP_OK);
    demo_set_inputs(ctx, bad, 1);
    cr_assert_eq(gp_inputs_set_bbox(ctx, bad, none[0], none[1], none[2], none[3]), GP_OK);
    cr_assert_eq(gp_run(ctx, bad, NULL, &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    cr_assert(strstr(gp_context_last_error(ctx), "no community has the centre") != NULL, "%s",
              gp_context_last_error(ctx));
    /* Cleared by NaN: the whole city again. */
    cr_assert_eq(gp_inputs_set_bbox(ctx, bad, NAN, NAN, NAN, NAN), GP_OK);
    cr_assert_eq(gp_run(ctx, bad, NULL, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_plan_community_count(plan), 12);
    gp_plan_free(plan);
    cr_assert_eq(gp_inputs_set_bbox(ctx, bad, 1, 0, 1, 1), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_bbox(ctx, bad, 0, 0, INFINITY, 1), GP_ERR_ARG);
    gp_inputs_free(bad);
}

Test(select, an_unknown_id_is_an_error_naming_it)
{
    const char *ids[] = {gp_plan_community_id(whole, 0), "640106999999", "x'); DROP TABLE t;--"};
    gp_inputs *part = NULL;
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_new(&part), GP_OK);
    demo_set_inputs(ctx, part, 1);
    cr_assert_eq(gp_inputs_set_only(ctx, part, ids, 3), GP_OK);
    cr_assert_eq(gp_run(ctx, part, NULL, &plan), GP_ERR_INPUT);
    cr_assert_null(plan);
    const char *msg = gp_context_last_error(ctx);
    cr_assert(strstr(msg, "no community has id '640106999999'") != NULL, "%s", msg);
    cr_assert(strstr(msg, "2 of the 3 ids") != NULL, "%s", msg);
    const char *empty[] = {""};
    cr_assert_eq(gp_inputs_set_only(ctx, part, empty, 1), GP_ERR_ARG);
    cr_assert_eq(gp_inputs_set_only(ctx, part, NULL, 1), GP_ERR_ARG);
    gp_inputs_free(part);
}
