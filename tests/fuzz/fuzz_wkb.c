/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_wkb.c libFuzzer target for the layers given as arrays (gp_inputs_set_*_wkb, issue
 * #14): the bytes become WKB features of one layer, the other layers are a small valid fixture,
 * and the whole pipeline runs on them; the plan's results are read back into buffers.
 *
 * Input: the first byte picks the layer and the fixture, the rest is a list of features.
 *   byte % 4:       the layer given as arrays: 0 communities, 1 streets, 2 households,
 *                   3 barriers (besides the fixture's layers, which have none).
 *   (byte / 4) % 2: the fixed layers: 0 tests/pipeline/fixtures/leaftrap, 1 .../oversize.
 *   Then features, each a 2-byte little-endian length and that many bytes of WKB (the last one
 *   takes what is left when its length runs past the end), at most 4096 of them. Ids are
 *   1 .. n; a community's id is "F<id>"; a household holds 1 + id % 5; the CRS is EPSG:32650,
 *   the fixtures'. corpus/fuzz_wkb holds the fixtures' own layers in this layout
 *   (make_corpus.sh).
 *
 * Contract checked (the target aborts when it breaks): a rejected layer (WKB that does not
 * parse) or a failed run has a message, no plan and is neither GP_ERR_INTERNAL nor
 * GP_ERR_NOMEM; a plan conserves households, every grid's and block's WKB is copied whole at
 * its size, a buffer one byte short is refused, and every household feature's grid is -1 or a
 * grid, its households adding up to the grids' when the households are the fuzzed layer.
 */

#include "gridpart.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GP_FUZZ_FIXTURES
#error "define GP_FUZZ_FIXTURES as the directory holding the pipeline fixtures"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { GP_MAX_FEATURES = 4096 };

static const char *const FIXTURE_NAME[2] = {"leaftrap", "oversize"};

static void gp_fail(const char *what, gp_status st, const char *message)
{
    fprintf(stderr, "fuzz_wkb: contract broken: %s (status %d %s: %s)\n", what, (int)st,
            gp_status_string(st), message != NULL ? message : "");
    abort();
}

/* Copy a shape out at its size, and check that one byte less is refused. */
static void gp_check_wkb(gp_context *ctx, size_t size,
                         gp_status (*fill)(gp_context *, const gp_plan *, int32_t, uint8_t *,
                                           size_t),
                         const gp_plan *plan, int32_t i)
{
    if (size < 9) {
        gp_fail("a shape's WKB is shorter than a header", GP_OK, NULL);
    }
    uint8_t *buf = malloc(size);
    if (buf == NULL) {
        abort();
    }
    gp_status st = fill(ctx, plan, i, buf, size);
    if (st != GP_OK || (buf[0] != 0 && buf[0] != 1)) {
        gp_fail("a shape's WKB was not copied", st, gp_context_last_error(ctx));
    }
    if (fill(ctx, plan, i, buf, size - 1) != GP_ERR_ARG) {
        gp_fail("a buffer one byte short was accepted", GP_OK, NULL);
    }
    free(buf);
}

static void gp_check_plan(gp_context *ctx, const gp_plan *plan, int households_fuzzed,
                          const int64_t *counts, int64_t n)
{
    int32_t ng = gp_plan_grid_count(plan);
    int64_t in_grids = 0;
    for (int32_t g = 0; g < ng; g++) {
        in_grids += gp_plan_grid_households(plan, g);
        gp_check_wkb(ctx, gp_plan_grid_wkb_size(plan, g), gp_plan_grid_wkb, plan, g);
    }
    if (in_grids + gp_plan_households_outside(plan) != gp_plan_households_read(plan)) {
        gp_fail("households not conserved", GP_OK, NULL);
    }
    for (int32_t b = 0; b < gp_plan_block_count(plan); b++) {
        int32_t g = gp_plan_block_grid(plan, b);
        if (g < 0 || g >= ng) {
            gp_fail("a block outside every grid", GP_OK, NULL);
        }
        gp_check_wkb(ctx, gp_plan_block_wkb_size(plan, b), gp_plan_block_wkb, plan, b);
    }
    int64_t nh = gp_plan_household_count(plan);
    int64_t *fids = calloc((size_t)nh + 1, sizeof *fids);
    int32_t *grids = calloc((size_t)nh + 1, sizeof *grids);
    int64_t *sum = calloc((size_t)ng + 1, sizeof *sum);
    if (fids == NULL || grids == NULL || sum == NULL) {
        abort();
    }
    gp_status st = gp_plan_household_grids(ctx, plan, fids, grids, nh);
    if (st != GP_OK) {
        gp_fail("the household features' grids not given", st, gp_context_last_error(ctx));
    }
    for (int64_t i = 0; i < nh; i++) {
        int32_t one = -2;
        if (grids[i] < -1 || grids[i] >= ng || (i > 0 && fids[i] < fids[i - 1]) ||
            gp_plan_household_grid(ctx, plan, fids[i], &one) != GP_OK || one < -1) {
            gp_fail("a household feature's grid is wrong", GP_OK, NULL);
        }
        if (households_fuzzed && grids[i] >= 0) {
            if (fids[i] < 1 || fids[i] > n) {
                gp_fail("a household feature id that was never given", GP_OK, NULL);
            }
            sum[grids[i]] += counts[fids[i] - 1];
        }
    }
    for (int32_t g = 0; households_fuzzed && g < ng; g++) {
        if (sum[g] != gp_plan_grid_households(plan, g)) {
            gp_fail("household features' counts differ from their grid's households", GP_OK,
                    gp_plan_grid_code(plan, g));
        }
    }
    free(fids);
    free(grids);
    free(sum);
}

static void gp_fuzz_init(void)
{
    static int ready = 0;
    if (!ready) {
        ready = 1;
        CPLSetErrorHandler(CPLQuietErrorHandler);
        GDALAllRegister();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gp_fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_fuzz_init();
    if (size < 1) {
        return 0;
    }
    int layer = data[0] % 4;
    const char *fixture = FIXTURE_NAME[(data[0] / 4) % 2];
    const uint8_t *wkb[GP_MAX_FEATURES];
    size_t wkb_size[GP_MAX_FEATURES];
    int64_t counts[GP_MAX_FEATURES];
    char id_text[GP_MAX_FEATURES][16];
    const char *ids[GP_MAX_FEATURES];
    int64_t n = 0;
    for (size_t at = 1; at < size && n < GP_MAX_FEATURES; n++) {
        size_t len = at + 1 < size ? (size_t)data[at] | (size_t)data[at + 1] << 8 : 0;
        at += 2;
        if (at > size) {
            at = size;
        }
        if (len > size - at) {
            len = size - at;
        }
        wkb[n] = data + at;
        wkb_size[n] = len;
        counts[n] = 1 + (n + 1) % 5;
        snprintf(id_text[n], sizeof id_text[n], "F%lld", (long long)(n + 1));
        ids[n] = id_text[n];
        at += len;
    }
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    if (gp_context_new(&ctx) != GP_OK || gp_options_new(&opts) != GP_OK ||
        gp_inputs_new(&in) != GP_OK) {
        gp_fail("cannot create a context, options or inputs", GP_ERR_NOMEM, NULL);
    }
    gp_status st = GP_OK;
    if ((st = gp_options_set_threads(ctx, opts, 1)) != GP_OK ||
        (st = gp_options_set_effort(ctx, opts, 0.01)) != GP_OK) {
        gp_fail("valid options rejected", st, gp_context_last_error(ctx));
    }
    char path[4096];
    static const char *const NAME[3] = {"communities", "streets", "households"};
    static const char *const FIELD[3] = {"code", "class", "households"};
    for (int l = 0; l < 3; l++) {
        snprintf(path, sizeof path, "%s/%s/%s.geojson", GP_FUZZ_FIXTURES, fixture, NAME[l]);
        st = l == 0   ? gp_inputs_set_communities(ctx, in, path, FIELD[l])
             : l == 1 ? gp_inputs_set_streets(ctx, in, path, FIELD[l])
                      : gp_inputs_set_households(ctx, in, path, FIELD[l]);
        if (st != GP_OK) {
            gp_fail("valid inputs rejected", st, gp_context_last_error(ctx));
        }
    }
    switch (layer) {
    case 0:
        st = gp_inputs_set_communities_wkb(ctx, in, n, wkb, wkb_size, NULL, ids, "EPSG:32650");
        break;
    case 1:
        st = gp_inputs_set_streets_wkb(ctx, in, n, wkb, wkb_size, NULL, NULL, "EPSG:32650");
        break;
    case 2:
        st = gp_inputs_set_households_wkb(ctx, in, n, wkb, wkb_size, NULL, counts, "EPSG:32650");
        break;
    default:
        st = gp_inputs_set_barriers_wkb(ctx, in, n, wkb, wkb_size, NULL, "EPSG:32650");
        break;
    }
    if (st != GP_OK && (st != GP_ERR_INPUT || gp_context_last_error(ctx)[0] == '\0')) {
        gp_fail("arrays refused other than as unusable input", st, gp_context_last_error(ctx));
    }
    if (st == GP_OK) {
        st = gp_run(ctx, in, opts, &plan);
        if (getenv("GP_FUZZ_VERBOSE") != NULL) {
            fprintf(stderr, "fuzz_wkb: layer %d, %lld features: %s: %s\n", layer, (long long)n,
                    gp_status_string(st), st == GP_OK ? "a plan" : gp_context_last_error(ctx));
        }
        if (st == GP_OK) {
            if (plan == NULL) {
                gp_fail("success without a plan", st, NULL);
            }
            gp_check_plan(ctx, plan, layer == 2, counts, n);
        } else {
            const char *msg = gp_context_last_error(ctx);
            if (plan != NULL || msg == NULL || msg[0] == '\0') {
                gp_fail("an error without message, or a plan with an error", st, msg);
            }
            if (st <= GP_OK || st >= GP_STATUS_COUNT || st == GP_ERR_INTERNAL ||
                st == GP_ERR_NOMEM) {
                gp_fail("gp_run failed with a status bad input must not give", st, msg);
            }
        }
    }
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    return 0;
}
