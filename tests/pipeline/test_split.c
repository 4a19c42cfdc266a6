/* SPDX-License-Identifier: MIT */
/** @file test_split.c The split stage end to end: hand-made fixtures through gp_run. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "core/context.h"
#include "core/memory.h"
#include "geometry/blocks.h"
#include "pipeline/divide.h"
#include "pipeline/plan.h"

#include "demo_fixture.h"
#include "plan_check.h"

#include <criterion/criterion.h>
#include <ogr_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Fixtures (tests/pipeline/fixtures, EPSG:32650, local metres from 500000 E, 4000000 N):
 * - oversize: community C1 = [0,400] x [0,200], a street at x = 250; its west block holds three
 *   buildings of 300 households at x = 50, 125, 200 (900 > 500; with target 300, three grids).
 *   Community C2 = [0,400] x [300,500], one block of four buildings of 200 (x = 60, 140, 260,
 *   340), a dead-end footway at x = 195 from the south border to 20 m short of the north one.
 * - leaftrap: community T1 = [0,300] x [0,200]; a street at x = 100; A (west, 300 households);
 *   hub H (208, point at 280,60) holding two blocks enclosed by ring streets: the leaf L
 *   ([200,260] x [120,180], 284) and B ([120,160] x [20,60], 43). L and B touch only H, so
 *   L's grid holds H, B must join it too: 535 > 500, although the total 835 admits 2 grids.
 * - leftover: community L1 = [0,500] x [0,200], streets at x = 100, 200, 300, 400: five blocks
 *   west to east holding 22 (two addresses, 10 and 12), 0, 817 (one address), 481 (four) and
 *   694 (one). The 22 and 0 blocks touch only the 817 one; the total 2,014 admits 5 or 6 grids.
 */

static gp_context *ctx;
static gp_options *opts;
static GEOSContextHandle_t geos;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    geos = gp_ctx_geos(ctx);
    cr_assert_not_null(geos);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
}

TestSuite(split, .init = setup, .fini = teardown);

static const char *fixture(const char *name, const char *layer)
{
    static char paths[4][1024];
    static int slot;
    const char *dir = getenv("GP_FIXTURES");
    cr_assert_not_null(dir, "GP_FIXTURES is not set (run through meson test)");
    char *p = paths[slot++ % 4];
    snprintf(p, 1024, "%s/%s/%s.geojson", dir, name, layer);
    return p;
}

static gp_plan *run(const char *name, int32_t split, int64_t target)
{
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, fixture(name, "communities"), "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, fixture(name, "streets"), "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, fixture(name, "households"), "households"),
                 GP_OK);
    cr_assert_eq(gp_options_set_split(ctx, opts, split), GP_OK);
    cr_assert_eq(gp_options_set_target(ctx, opts, target), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    return plan;
}

/* The properties every division must have: grids are single polygons that tile the
 * community, blocks tile it too and each sits in one grid, households add up. */
static void check_tiling(const gp_plan *plan, const gp_plan_community *pc)
{
    GEOSGeometry *comm = plan_shape(geos, &pc->shape);
    double area = 0.0;
    GEOSArea_r(geos, comm, &area);
    for (int pass = 0; pass < 2; pass++) {
        int32_t first = pass ? pc->first_block : pc->first_grid;
        int32_t n = pass ? pc->n_blocks : pc->n_grids;
        GEOSGeometry **parts = calloc((size_t)n, sizeof *parts);
        double sum = 0.0;
        int64_t households = 0;
        for (int32_t i = 0; i < n; i++) {
            const gp_plan_shape *s =
                pass ? &plan->blocks[first + i].shape : &plan->grids[first + i].shape;
            parts[i] = plan_shape(geos, s);
            double a = 0.0;
            GEOSArea_r(geos, parts[i], &a);
            sum += a;
            households +=
                pass ? plan->blocks[first + i].households : plan->grids[first + i].households;
            if (!pass) {
                cr_expect_eq(GEOSGeomTypeId_r(geos, parts[i]), GEOS_POLYGON,
                             "grid %s is not one polygon", plan->grids[first + i].code);
            }
        }
        GEOSGeometry *coll =
            GEOSGeom_createCollection_r(geos, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
        GEOSGeometry *u = GEOSUnaryUnion_r(geos, coll);
        GEOSGeometry *x = GEOSSymDifference_r(geos, u, comm);
        double gap = 0.0;
        GEOSArea_r(geos, x, &gap);
        cr_expect_lt(fabs(sum - area), 1e-6 * area, "%s: %s areas %.6f, community %.6f", pc->id,
                     pass ? "block" : "grid", sum, area);
        cr_expect_lt(gap, 1e-6 * area, "%s: %s union differs from the community by %.6f m^2",
                     pc->id, pass ? "block" : "grid", gap);
        cr_expect_eq(households, pc->households, "%s: %s hold %lld households, not %lld", pc->id,
                     pass ? "blocks" : "grids", (long long)households, (long long)pc->households);
        GEOSGeom_destroy_r(geos, x);
        GEOSGeom_destroy_r(geos, u);
        GEOSGeom_destroy_r(geos, coll);
        free(parts);
    }
    for (int32_t i = pc->first_block; i < pc->first_block + pc->n_blocks; i++) {
        int32_t g = plan->blocks[i].grid;
        cr_expect(g >= pc->first_grid && g < pc->first_grid + pc->n_grids);
    }
    GEOSGeom_destroy_r(geos, comm);
}

/* The block (piece) of community pc holding local point (x, y), at least `clear` metres
 * inside it: a cut never passes through a household feature. */
static const gp_plan_block *block_at(const gp_plan *plan, const gp_plan_community *pc, double x,
                                     double y, double clear)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(geos, 500000.0 + x, 4000000.0 + y);
    const gp_plan_block *found = NULL;
    for (int32_t i = pc->first_block; i < pc->first_block + pc->n_blocks; i++) {
        GEOSGeometry *g = plan_shape(geos, &plan->blocks[i].shape);
        if (GEOSContains_r(geos, g, pt) == 1) {
            cr_expect_null(found, "point %.0f %.0f lies in two blocks", x, y);
            found = &plan->blocks[i];
            GEOSGeometry *ring = GEOSBoundary_r(geos, g);
            double d = 0.0;
            GEOSDistance_r(geos, ring, pt, &d);
            cr_expect_geq(d, clear, "point %.0f %.0f is %.2f m from its block's border", x, y, d);
            GEOSGeom_destroy_r(geos, ring);
        }
        GEOSGeom_destroy_r(geos, g);
    }
    GEOSGeom_destroy_r(geos, pt);
    cr_assert_not_null(found, "no block holds point %.0f %.0f", x, y);
    return found;
}

static int has_flag(const gp_plan_grid *g, const char *flag)
{
    return strstr(g->flags, flag) != NULL;
}

Test(split, oversized_block_is_cut_between_buildings_into_grids_within_bounds)
{
    gp_plan *plan = run("oversize", GP_SPLIT_NEEDED, 300);
    cr_expect_eq(gp_plan_out_of_bounds(plan), 0);
    const gp_plan_community *c1 = plan_community(plan, "C1");
    check_tiling(plan, c1);
    cr_expect_eq(c1->split_blocks, 1);
    cr_expect_eq(c1->n_grids, 3);
    cr_expect_eq(c1->n_blocks, 4, "the empty east block and three pieces of the west one");
    for (int32_t g = c1->first_grid; g < c1->first_grid + c1->n_grids; g++) {
        cr_expect_eq(plan->grids[g].households, 300);
        cr_expect(has_flag(&plan->grids[g], "split_block"), "grid %s flags '%s'",
                  plan->grids[g].code, plan->grids[g].flags);
    }
    /* Each building alone in its piece, 37.5 m from the cuts midway between them. */
    const double xs[3] = {50, 125, 200};
    const gp_plan_block *piece[3];
    for (int k = 0; k < 3; k++) {
        piece[k] = block_at(plan, c1, xs[k], 100, 30.0);
        cr_expect_eq(piece[k]->households, 300);
        cr_expect_eq(piece[k]->on_streets, 0, "a piece with a cut side");
        for (int j = 0; j < k; j++) {
            cr_expect_neq(piece[k], piece[j]);
            cr_expect_neq(piece[k]->grid, piece[j]->grid);
        }
    }
    const gp_plan_block *east = block_at(plan, c1, 320, 100, 1.0);
    cr_expect_eq(east->on_streets, 1, "the east block was not cut");
    /* C2: the cut follows the dead-end footway, then runs on straight to the street. */
    const gp_plan_community *c2 = plan_community(plan, "C2");
    check_tiling(plan, c2);
    cr_expect_eq(c2->split_blocks, 1);
    cr_expect_eq(c2->n_grids, 2);
    cr_expect_gt(c2->split_path_m, 170.0, "%.1f m along the footway", c2->split_path_m);
    cr_expect_lt(c2->split_off_m, 25.0, "%.1f m between buildings", c2->split_off_m);
    cr_expect_eq(block_at(plan, c2, 60, 400, 40.0)->grid, block_at(plan, c2, 140, 400, 40.0)->grid);
    cr_expect_eq(block_at(plan, c2, 260, 400, 40.0)->grid,
                 block_at(plan, c2, 340, 400, 40.0)->grid);
    cr_expect_neq(block_at(plan, c2, 60, 400, 40.0)->grid,
                  block_at(plan, c2, 260, 400, 40.0)->grid);
    /* Every cut block is reported with its community, block id and reason. */
    int reported = 0;
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        const char *p = gp_plan_problem(plan, i);
        if (strstr(p, "community C1: block 1 (900 households) split into 3 pieces") != NULL &&
            strstr(p, "more than the maximum 500") != NULL) {
            reported++;
        }
    }
    cr_expect_eq(reported, 1);
    gp_plan_free(plan);
}

Test(split, never_keeps_whole_blocks_and_reports_the_grid_over_max)
{
    gp_plan *plan = run("oversize", GP_SPLIT_NEVER, 300);
    const gp_plan_community *c1 = plan_community(plan, "C1");
    check_tiling(plan, c1);
    cr_expect_eq(gp_plan_out_of_bounds(plan), 2);
    cr_expect_eq(c1->split_blocks, 0);
    cr_expect_eq(c1->n_blocks, 2);
    int over = 0;
    for (int32_t g = 0; g < plan->n_grids; g++) {
        over += has_flag(&plan->grids[g], "over_max");
        cr_expect(!has_flag(&plan->grids[g], "split_block"));
    }
    cr_expect_eq(over, 2);
    for (int32_t i = 0; i < plan->n_blocks; i++) {
        cr_expect_eq(plan->blocks[i].on_streets, 1);
    }
    gp_plan_free(plan);
}

Test(split, leaf_trap_is_fixed_by_cutting_the_hub_between_buildings)
{
    gp_plan *plan = run("leaftrap", GP_SPLIT_NEEDED, 0);
    const gp_plan_community *t1 = plan_community(plan, "T1");
    check_tiling(plan, t1);
    cr_expect_eq(gp_plan_out_of_bounds(plan), 0, "grids out of bounds: %d",
                 gp_plan_out_of_bounds(plan));
    cr_expect_eq(t1->split_blocks, 1, "only the hub is cut");
    cr_expect_eq(t1->n_grids, 2);
    const gp_plan_block *hub = block_at(plan, t1, 280, 60, 5.0);
    const gp_plan_block *leaf = block_at(plan, t1, 230, 150, 5.0);
    const gp_plan_block *b = block_at(plan, t1, 140, 40, 5.0);
    const gp_plan_block *a = block_at(plan, t1, 50, 100, 5.0);
    cr_expect_eq(hub->households, 208, "the hub's point is whole in one piece");
    cr_expect_eq(hub->on_streets, 0);
    cr_expect_eq(leaf->on_streets, 1);
    cr_expect_eq(hub->grid, leaf->grid);
    cr_expect_eq(a->grid, b->grid);
    cr_expect_neq(a->grid, hub->grid);
    cr_expect_eq(plan->grids[hub->grid].households, 492);
    cr_expect_eq(plan->grids[a->grid].households, 343);
    cr_expect(has_flag(&plan->grids[a->grid], "split_block"));
    cr_expect(has_flag(&plan->grids[hub->grid], "split_block"));
    gp_plan_free(plan);
}

Test(split, leaf_trap_without_the_fallback_breaks_a_bound)
{
    gp_plan *plan = run("leaftrap", GP_SPLIT_OVERSIZE, 0);
    const gp_plan_community *t1 = plan_community(plan, "T1");
    check_tiling(plan, t1);
    cr_expect_geq(gp_plan_out_of_bounds(plan), 1);
    cr_expect_eq(t1->split_blocks, 0);
    gp_plan_free(plan);
}

/* Households too few for a grid (the 22 and 0 blocks) join the grid of the single address of
 * 817 (839 in all) instead of making a grid of 22; nothing is cut. */
Test(split, leftover_joins_the_grid_of_a_single_address_over_the_maximum)
{
    gp_plan *plan = run("leftover", GP_SPLIT_NEEDED, 0);
    const gp_plan_community *l1 = plan_community(plan, "L1");
    check_tiling(plan, l1);
    cr_expect_eq(l1->n_blocks, 5);
    cr_expect_eq(l1->n_grids, 3);
    cr_expect_eq(l1->split_blocks, 0);
    cr_expect_eq(gp_plan_out_of_bounds(plan), 2, "the 839 and the 694, both over by necessity");
    const gp_plan_block *b22 = block_at(plan, l1, 50, 100, 5.0);
    const gp_plan_block *b0 = block_at(plan, l1, 150, 100, 5.0);
    const gp_plan_block *b817 = block_at(plan, l1, 250, 100, 5.0);
    const gp_plan_block *b481 = block_at(plan, l1, 350, 100, 5.0);
    const gp_plan_block *b694 = block_at(plan, l1, 450, 100, 5.0);
    cr_expect_eq(b22->households, 22);
    cr_expect_eq(b0->households, 0);
    cr_expect_eq(b22->grid, b817->grid);
    cr_expect_eq(b0->grid, b817->grid);
    cr_expect_eq(plan->grids[b817->grid].households, 839);
    cr_expect(has_flag(&plan->grids[b817->grid], "over_max"));
    cr_expect_eq(plan->grids[b481->grid].households, 481);
    cr_expect_eq(plan->grids[b481->grid].flags[0], '\0', "flags '%s'",
                 plan->grids[b481->grid].flags);
    cr_expect_eq(plan->grids[b694->grid].households, 694);
    cr_expect_neq(b481->grid, b694->grid);
    /* As records a user reads: grid codes and block ids, never the optimizer's vertices. */
    const char *code = plan->grids[b817->grid].code;
    int joined = 0, total = 0;
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        const char *p = gp_plan_problem(plan, i);
        int32_t nb = 0;
        const int64_t *ids = gp_plan_problem_blocks(plan, i, &nb);
        const char *g = gp_plan_problem_grid_code(plan, i);
        if (gp_plan_problem_kind(plan, i) == GP_PROBLEM_JOINED_OVER_MAX) {
            joined++;
            cr_expect_eq(gp_plan_problem_severity(plan, i), GP_SEVERITY_NOTE);
            cr_expect_str_eq(g, code);
            cr_expect(nb == 2 && ((ids[0] == b22->block_id && ids[1] == b0->block_id) ||
                                  (ids[1] == b22->block_id && ids[0] == b0->block_id)),
                      "blocks %d: %s", nb, p);
            cr_expect(strstr(p, "2 block(s) holding 22 households, too few for a grid of their "
                                "own, joined grid") != NULL,
                      "%s", p);
            cr_expect(strstr(p, "vertex") == NULL, "%s", p);
        }
        if (gp_plan_problem_kind(plan, i) == GP_PROBLEM_VERTEX_OVER_MAX && g != NULL &&
            strcmp(g, code) == 0) {
            total++;
            cr_expect_eq(gp_plan_problem_severity(plan, i), GP_SEVERITY_VIOLATION);
            cr_expect(strstr(p, "holds 839 households, above the maximum 500") != NULL, "%s", p);
        }
    }
    cr_expect_eq(joined, 1);
    cr_expect_eq(total, 1);
    gp_plan_free(plan);
}

Test(split, same_plan_on_any_thread_count)
{
    gp_plan *plans[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(gp_options_set_threads(ctx, opts, k + 1), GP_OK);
        plans[k] = run("leaftrap", GP_SPLIT_NEEDED, 0);
    }
    cr_assert_eq(plans[0]->n_grids, plans[1]->n_grids);
    cr_assert_eq(plans[0]->n_blocks, plans[1]->n_blocks);
    for (int32_t i = 0; i < plans[0]->n_blocks; i++) {
        const gp_plan_block *x = &plans[0]->blocks[i], *y = &plans[1]->blocks[i];
        cr_expect_eq(x->block_id, y->block_id);
        cr_expect_eq(x->grid, y->grid);
        cr_expect_eq(x->households, y->households);
        cr_expect_eq(x->shape.wkb_work_size, y->shape.wkb_work_size);
        cr_expect(memcmp(x->shape.wkb_work, y->shape.wkb_work, x->shape.wkb_work_size) == 0);
    }
    gp_plan_free(plans[0]);
    gp_plan_free(plans[1]);
}

Test(split, written_layers_carry_the_flag_and_on_streets)
{
    gp_plan *plan = run("oversize", GP_SPLIT_NEEDED, 300);
    char dir[] = "/tmp/gp_split_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    cr_assert_eq(gp_plan_write(ctx, plan, path, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    OGRDataSourceH ds = OGROpen(path, 0, NULL);
    cr_assert_not_null(ds);
    OGRLayerH blocks = OGR_DS_GetLayerByName(ds, "blocks");
    OGRLayerH grids = OGR_DS_GetLayerByName(ds, "grids");
    cr_assert(blocks != NULL && grids != NULL);
    int off = 0, flagged = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(blocks);
    while ((f = OGR_L_GetNextFeature(blocks)) != NULL) {
        off += OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "on_streets")) == 0;
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(grids);
    while ((f = OGR_L_GetNextFeature(grids)) != NULL) {
        flagged += strstr(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "flags")),
                          "split_block") != NULL;
        OGR_F_Destroy(f);
    }
    OGR_DS_Destroy(ds);
    cr_expect_eq(off, 5, "three pieces in C1, two in C2 have a side off streets");
    cr_expect_eq(flagged, 5);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    gp_plan_free(plan);
}

Test(split, bad_mode_is_refused)
{
    cr_expect_eq(gp_options_set_split(ctx, opts, 3), GP_ERR_ARG);
    cr_expect(strstr(gp_context_last_error(ctx), "split mode 3") != NULL);
    cr_expect_eq(gp_options_set_split(ctx, opts, -1), GP_ERR_ARG);
    cr_expect_eq(gp_options_get_split(opts), GP_SPLIT_NEEDED, "unchanged after a refusal");
    cr_expect_eq(gp_options_set_split(NULL, NULL, 0), GP_ERR_ARG);
    cr_expect_eq(gp_options_get_split(NULL), 0);
}

/* The dearest street of the oversize fixture's dataset read with the cost table (n entries;
 * 0: the default) and the cost of an unknown class. */
static double dearest_read(const char *const *cls, const double *cost, int32_t n, double unknown)
{
    gp_dataset *ds = NULL;
    gp_dataset_inputs in = {.communities = fixture("oversize", "communities"),
                            .id_field = "code",
                            .streets = fixture("oversize", "streets"),
                            .class_field = "class",
                            .households = fixture("oversize", "households"),
                            .count_field = "households",
                            .n_costs = n,
                            .cost_class = cls,
                            .cost_value = cost,
                            .cost_unknown = unknown};
    cr_assert_eq(gp_dataset_read(ctx, &in, &ds), GP_OK, "%s", gp_context_last_error(ctx));
    double dearest = ds->cost_dearest;
    gp_dataset_free(ds);
    return dearest;
}

/* A cut costs three times the dearest street of the costs, not of the streets read: a part of
 * the input, which reads only the streets near it, prices a cut as the whole run does. The
 * fixture has no motorway. */
Test(split, the_dearest_street_comes_from_the_costs_not_the_streets_read)
{
    const char *cls[] = {"residential", "motorway"};
    const double cost[] = {1.0, 9.0};
    cr_assert_eq(dearest_read(NULL, NULL, 0, 0), 3.0, "the default table's unknown class");
    cr_assert_eq(dearest_read(NULL, NULL, 0, 1.5), 2.0, "the default table's footway and path");
    cr_assert_eq(dearest_read(cls, cost, 2, 0), 9.0, "a motorway no street of the layer has");
    cr_assert_eq(dearest_read(cls, cost, 1, 5.0), 5.0, "an unknown class");
}

/* The split stage with every allocation failing in turn (a stride of them for the larger
 * scenario): it reports GP_ERR_NOMEM, or copes, and never leaks. */
static void alloc_failures(const char *name, int32_t community, int64_t stride)
{
    gp_dataset *ds = NULL;
    gp_blocks *b = NULL;
    gp_dataset_inputs in = {.communities = fixture(name, "communities"),
                            .id_field = "code",
                            .streets = fixture(name, "streets"),
                            .class_field = "class",
                            .households = fixture(name, "households"),
                            .count_field = "households"};
    cr_assert_eq(gp_dataset_read(ctx, &in, &ds), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_community_blocks(ctx, ds, community, opts, NULL, &b), GP_OK);
    cr_assert_eq(gp_options_set_threads(ctx, opts, 1), GP_OK);
    cr_assert_eq(gp_options_set_target(ctx, opts, 300), GP_OK);
    gp_divided dv;
    int64_t base = gp_test_alloc_live();
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_eq(gp_divide_community(ctx, ds, b, opts, &dv), GP_OK);
    int64_t total = gp_test_alloc_count();
    cr_assert_not_null(dv.pieces, "the scenario cuts a block");
    gp_divided_clear(&dv);
    cr_assert_eq(gp_test_alloc_live(), base);
    int failed = 0;
    for (int64_t n = 0; n < total; n += stride) {
        gp_test_alloc_fail_after(n, 0);
        gp_status st = gp_divide_community(ctx, ds, b, opts, &dv);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert(st == GP_OK || st == GP_ERR_NOMEM, "allocation %lld failing gave %d: %s",
                  (long long)n, st, gp_context_last_error(ctx));
        failed += st == GP_ERR_NOMEM;
        if (st != GP_OK) {
            cr_assert_null(dv.part);
            cr_assert_null(dv.pieces);
        }
        gp_divided_clear(&dv);
        gp_context_clear_error(ctx);
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
    }
    cr_expect_gt(failed, 0);
    gp_blocks_free(b);
    gp_dataset_free(ds);
}

Test(split, every_allocation_failing_when_cutting_an_oversized_block)
{
    alloc_failures("oversize", 0, 1);
}

Test(split, allocations_failing_in_the_search_for_cuts)
{
    alloc_failures("leaftrap", 0, 7);
}

/* The bundled demo city (GP_DEMO) as inputs (demo_fixture.c). */
static gp_inputs *demo_inputs(void)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    demo_set_inputs(ctx, in, 1);
    return in;
}

/* Every grid out of bounds has exactly one violation record naming its code and blocks, also
 * where the optimizer reports an infeasible part once, by a vertex whose grid may be in bounds:
 * the demo with bounds of [390, 410] has many communities no number of grids fits. */
Test(split, every_grid_out_of_bounds_has_one_violation_record)
{
    cr_assert_eq(gp_options_set_bounds(ctx, opts, 390, 410), GP_OK);
    gp_inputs *in = demo_inputs();
    gp_plan *plan = NULL;
    cr_assert_eq(gp_options_set_split(ctx, opts, GP_SPLIT_NEVER), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    int32_t oob = gp_plan_out_of_bounds(plan);
    cr_assert_geq(oob, 20, "the test needs many grids out of bounds");
    int32_t violations = 0;
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        if (gp_plan_problem_severity(plan, i) != GP_SEVERITY_VIOLATION) {
            continue;
        }
        violations++;
        const char *code = gp_plan_problem_grid_code(plan, i);
        cr_assert_not_null(code, "%s", gp_plan_problem(plan, i));
        int32_t kind = gp_plan_problem_kind(plan, i);
        cr_assert(kind == GP_PROBLEM_COMPONENT_INFEASIBLE || kind == GP_PROBLEM_BOUNDS_UNMET ||
                      kind == GP_PROBLEM_VERTEX_OVER_MAX,
                  "kind %d", kind);
        cr_assert_geq(gp_plan_problem_community(plan, i), 0);
        int32_t nb = 0;
        cr_assert_not_null(gp_plan_problem_blocks(plan, i, &nb));
        cr_assert_gt(nb, 0);
        cr_assert(strstr(gp_plan_problem(plan, i), code) != NULL);
        cr_assert(strstr(gp_plan_problem(plan, i), "vertex") == NULL, "%s",
                  gp_plan_problem(plan, i));
        for (int32_t j = 0; j < i; j++) {
            const char *other = gp_plan_problem_grid_code(plan, j);
            cr_assert(gp_plan_problem_severity(plan, j) != GP_SEVERITY_VIOLATION ||
                          strcmp(other, code) != 0,
                      "grid %s has two violation records", code);
        }
    }
    cr_assert_eq(violations, oob);
    cr_assert_eq(gp_plan_problem_severity(plan, gp_plan_problem_count(plan)), -1);
    cr_assert_null(gp_plan_problem(plan, -1));
    gp_plan_free(plan);
}

/* The demo city on one thread and on two (communities taken longest first, schedule.c): the same
 * grids (codes, households, shapes), merged in community order. */
static gp_plan *run_demo(int32_t threads)
{
    gp_inputs *in = demo_inputs();
    gp_plan *plan = NULL;
    cr_assert_eq(gp_options_set_threads(ctx, opts, threads), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    return plan;
}

Test(split, demo_same_grids_in_community_order_on_one_and_two_threads)
{
    gp_plan *one = run_demo(1), *two = run_demo(2);
    cr_assert_eq(one->threads, 1);
    cr_assert_eq(two->threads, 2);
    cr_assert_eq(one->n_communities, 12);
    cr_assert_eq(two->n_communities, one->n_communities);
    for (int32_t i = 0; i < one->n_communities; i++) {
        cr_assert_str_eq(one->communities[i].id, two->communities[i].id);
        cr_assert(i == 0 || strcmp(one->communities[i - 1].id, one->communities[i].id) != 0);
    }
    cr_assert_eq(one->n_grids, two->n_grids);
    cr_assert_gt(one->n_grids, 12);
    for (int32_t g = 0; g < one->n_grids; g++) {
        const gp_plan_grid *x = &one->grids[g], *y = &two->grids[g];
        cr_assert(g == 0 || x->community >= one->grids[g - 1].community,
                  "grid %d of community %d after one of community %d", g, x->community,
                  one->grids[g - 1].community);
        cr_assert_str_eq(x->code, y->code);
        cr_assert_eq(x->community, y->community);
        cr_assert_eq(x->households, y->households);
        cr_assert_eq(x->shape.wkb_work_size, y->shape.wkb_work_size);
        cr_assert(memcmp(x->shape.wkb_work, y->shape.wkb_work, x->shape.wkb_work_size) == 0);
    }
    gp_plan_free(one);
    gp_plan_free(two);
}
