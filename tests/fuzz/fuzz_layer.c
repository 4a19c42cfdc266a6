/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_layer.c libFuzzer target for one input layer of the pipeline: the bytes become the
 * content of that layer (communities, streets, households or barriers: GP_FUZZ_LAYER, fixed at
 * build time), the other layers are a small valid fixture, and the whole pipeline runs on them.
 *
 * Input: the first byte picks the format and the fixture, the rest is the file.
 *   byte % 4:       0 GeoJSON; 1 CSV with a WKT column, in EPSG:32650; 2 the same in EPSG:4326
 *                   (a VRT gives the CSV its CRS); 3 GML.
 *   (byte / 4) % 2: the fixed layers: 0 tests/pipeline/fixtures/leaftrap (one community, the
 *                   split stage cuts a block), 1 .../oversize (two communities, an oversize block).
 * so a corpus file starts with '0' to '7' and reads as text. The fields read are the fixtures'
 * ones: communities "code", streets "class", households "households".
 *
 * Contract checked (the target aborts when it breaks): an error has a message, no plan and is
 * neither GP_ERR_INTERNAL (a verification in gp_run failed) nor GP_ERR_NOMEM (a few KB of input
 * must not exhaust memory); a plan conserves households (in grids + outside = read, overall and
 * per community), its accessors answer in range and NULL out of range, and its JSON report is
 * made. Time and memory are bounded by libFuzzer's -timeout and -rss_limit_mb (.ci/fuzz).
 * `replay.c` runs this target without libFuzzer in every test run. With GP_FUZZ_VERBOSE set,
 * the target prints each input's outcome (grids made, or the error).
 */

#include "gridpart.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GP_FUZZ_LAYER
#error "define GP_FUZZ_LAYER as \"communities\", \"streets\", \"households\" or \"barriers\""
#endif
#ifndef GP_FUZZ_FIXTURES
#error "define GP_FUZZ_FIXTURES as the directory holding the pipeline fixtures"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { GP_LAYER_COMM, GP_LAYER_STREETS, GP_LAYER_HOUSE, GP_LAYER_BARRIERS, GP_LAYER_N };
enum { GP_FORMAT_GEOJSON, GP_FORMAT_CSV_UTM, GP_FORMAT_CSV_LONLAT, GP_FORMAT_GML, GP_FORMAT_N };
enum { GP_FIXTURE_N = 2 };

static const char *const LAYER_NAME[GP_LAYER_N] = {"communities", "streets", "households",
                                                   "barriers"};
static const char *const FIXTURE_NAME[GP_FIXTURE_N] = {"leaftrap", "oversize"};
/* The fuzzed file lives alone in this directory, emptied after every input: GDAL may write
 * sidecars beside it (the GML reader's .gfs schema), which must not carry over. */
#define GP_FUZZ_DIR "/vsimem/gp_fuzz"
#define GP_FUZZ_IN GP_FUZZ_DIR "/in"

static void gp_fail(const char *what, gp_status st, const char *message)
{
    fprintf(stderr, "fuzz_%s: contract broken: %s (status %d %s: %s)\n", GP_FUZZ_LAYER, what,
            (int)st, gp_status_string(st), message != NULL ? message : "");
    abort();
}

static int gp_fuzzed_layer(void)
{
    for (int i = 0; i < GP_LAYER_N; i++) {
        if (strcmp(GP_FUZZ_LAYER, LAYER_NAME[i]) == 0) {
            return i;
        }
    }
    fprintf(stderr, "fuzz_layer: GP_FUZZ_LAYER \"%s\" is not a layer\n", GP_FUZZ_LAYER);
    abort();
}

/* A VRT giving the fuzzed CSV a CRS: the CSV driver reads none (and no .prj). */
static void gp_write_vrt(const char *path, const char *srs)
{
    char *xml = CPLStrdup(CPLSPrintf(
        "<OGRVRTDataSource><OGRVRTLayer name=\"fuzzed\">"
        "<SrcDataSource relativeToVRT=\"0\" shared=\"0\">" GP_FUZZ_IN "/fuzzed.csv</SrcDataSource>"
        "<SrcLayer>fuzzed</SrcLayer><LayerSRS>%s</LayerSRS>"
        "<GeometryField encoding=\"WKT\" field=\"WKT\"/></OGRVRTLayer></OGRVRTDataSource>",
        srs));
    VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)xml, strlen(xml), TRUE);
    if (f == NULL) {
        abort();
    }
    VSIFCloseL(f);
}

/* Writes the fuzzed bytes as a file of the chosen format; returns the source to read. */
static const char *gp_write_fuzzed(int format, const uint8_t *data, size_t size)
{
    static const char *const FILE_NAME[GP_FORMAT_N] = {"fuzzed.geojson", "fuzzed.csv",
                                                       "fuzzed.csv", "fuzzed.gml"};
    static const char *const SOURCE[GP_FORMAT_N] = {
        GP_FUZZ_IN "/fuzzed.geojson", GP_FUZZ_DIR "/fuzzed_utm.vrt",
        GP_FUZZ_DIR "/fuzzed_lonlat.vrt", GP_FUZZ_IN "/fuzzed.gml"};
    char path[256];
    snprintf(path, sizeof path, GP_FUZZ_IN "/%s", FILE_NAME[format]);
    /* A copy the file owns: GDAL is given a writable buffer, the fuzzer's stays untouched. */
    GByte *copy = VSIMalloc(size + 1);
    if (copy == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    VSILFILE *f = VSIFileFromMemBuffer(path, copy, size, TRUE);
    if (f == NULL) {
        abort();
    }
    VSIFCloseL(f);
    return SOURCE[format];
}

static void gp_clear_fuzzed(void)
{
    char **names = VSIReadDir(GP_FUZZ_IN);
    for (int i = 0; names != NULL && names[i] != NULL; i++) {
        VSIUnlink(CPLFormFilename(GP_FUZZ_IN, names[i], NULL));
    }
    CSLDestroy(names);
}

/* Every accessor of a plan, and the contract between them. */
static void gp_check_plan(gp_context *ctx, const gp_plan *plan)
{
    int32_t nc = gp_plan_community_count(plan);
    int32_t ng = gp_plan_grid_count(plan);
    int64_t read = gp_plan_households_read(plan);
    int64_t outside = gp_plan_households_outside(plan);
    if (nc < 0 || ng < 0 || read < 0 || outside < 0 || outside > read) {
        gp_fail("negative or impossible totals", GP_OK, NULL);
    }
    int64_t *per_comm = calloc((size_t)nc + 1, sizeof *per_comm);
    int32_t *grids_of = calloc((size_t)nc + 1, sizeof *grids_of);
    if (per_comm == NULL || grids_of == NULL) {
        abort();
    }
    int64_t in_grids = 0;
    int32_t oob = 0;
    for (int32_t g = 0; g < ng; g++) {
        const char *code = gp_plan_grid_code(plan, g);
        const char *flags = gp_plan_grid_flags(plan, g);
        int32_t c = gp_plan_grid_community(plan, g);
        int64_t hh = gp_plan_grid_households(plan, g);
        double work = gp_plan_grid_workload(plan, g);
        if (code == NULL || code[0] == '\0' || flags == NULL) {
            gp_fail("grid without code or flags", GP_OK, NULL);
        }
        if (c < 0 || c >= nc) {
            gp_fail("grid outside every community", GP_OK, code);
        }
        if (hh < 0 || !(work >= 0.0) || gp_plan_grid_blocks(plan, g) < 0) {
            gp_fail("negative grid statistics", GP_OK, code);
        }
        in_grids += hh;
        per_comm[c] += hh;
        grids_of[c]++;
        oob += strstr(flags, "over_max") != NULL || strstr(flags, "under_min") != NULL;
    }
    if (in_grids + outside != read) {
        gp_fail("households not conserved: in grids + outside != read", GP_OK, NULL);
    }
    for (int32_t c = 0; c < nc; c++) {
        const char *id = gp_plan_community_id(plan, c);
        if (id == NULL) {
            gp_fail("community without id", GP_OK, NULL);
        }
        if (gp_plan_community_households(plan, c) != per_comm[c]) {
            gp_fail("community households differ from its grids' sum", GP_OK, id);
        }
        if (gp_plan_community_grids(plan, c) != grids_of[c]) {
            gp_fail("community grid count differs from its grids", GP_OK, id);
        }
        if (gp_plan_community_blocks(plan, c) < 0 || gp_plan_community_split_blocks(plan, c) < 0) {
            gp_fail("negative community statistics", GP_OK, id);
        }
        (void)gp_plan_community_workload_ratio(plan, c);
    }
    if (oob != gp_plan_out_of_bounds(plan)) {
        gp_fail("grids flagged out of bounds differ from gp_plan_out_of_bounds", GP_OK, NULL);
    }
    int32_t np = gp_plan_problem_count(plan);
    for (int32_t i = 0; i < np; i++) {
        if (gp_plan_problem(plan, i) == NULL) {
            gp_fail("problem without message", GP_OK, NULL);
        }
    }
    if (gp_plan_community_id(plan, nc) != NULL || gp_plan_grid_code(plan, ng) != NULL ||
        gp_plan_grid_community(plan, -1) != -1 || gp_plan_problem(plan, np) != NULL) {
        gp_fail("an accessor answers out of range", GP_OK, NULL);
    }
    char *json = NULL;
    gp_status st = gp_plan_report_json(ctx, plan, &json);
    if (st != GP_OK || json == NULL || json[0] != '{') {
        gp_fail("no JSON report for a plan", st, gp_context_last_error(ctx));
    }
    gp_free(json);
    free(per_comm);
    free(grids_of);
}

/* The sources of a run: the fixture's layers, the fuzzed one in place of its own. */
static void gp_fixed_sources(const char *fixture, char fixed[GP_LAYER_BARRIERS][256],
                             const char *source[GP_LAYER_N])
{
    for (int l = 0; l < GP_LAYER_BARRIERS; l++) {
        snprintf(fixed[l], sizeof fixed[l], GP_FUZZ_DIR "/%s_%s.geojson", fixture, LAYER_NAME[l]);
        source[l] = fixed[l];
    }
    source[GP_LAYER_BARRIERS] = NULL;
}

/* The pipeline on these sources through the public API, and the contract on its outcome.
 * Returns the status of gp_run. */
static gp_status gp_fuzz_pipeline(const char *const source[GP_LAYER_N], const char *what)
{
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
        (st = gp_options_set_effort(ctx, opts, 0.01)) != GP_OK ||
        (st = gp_options_set_seed(ctx, opts, 1)) != GP_OK) {
        gp_fail("valid options rejected", st, gp_context_last_error(ctx));
    }
    if ((st = gp_inputs_set_communities(ctx, in, source[GP_LAYER_COMM], "code")) != GP_OK ||
        (st = gp_inputs_set_streets(ctx, in, source[GP_LAYER_STREETS], "class")) != GP_OK ||
        (st = gp_inputs_set_households(ctx, in, source[GP_LAYER_HOUSE], "households")) != GP_OK ||
        (st = gp_inputs_set_barriers(ctx, in, source[GP_LAYER_BARRIERS])) != GP_OK) {
        gp_fail("valid inputs rejected", st, gp_context_last_error(ctx));
    }
    st = gp_run(ctx, in, opts, &plan);
    if (getenv("GP_FUZZ_VERBOSE") != NULL) {
        fprintf(stderr, "fuzz_%s: %s: %s: %s\n", GP_FUZZ_LAYER, what, gp_status_string(st),
                st == GP_OK ? CPLSPrintf("%d grid(s)", (int)gp_plan_grid_count(plan))
                            : gp_context_last_error(ctx));
    }
    if (st == GP_OK) {
        if (plan == NULL) {
            gp_fail("success without a plan", st, NULL);
        }
        gp_check_plan(ctx, plan);
    } else {
        const char *msg = gp_context_last_error(ctx);
        if (plan != NULL || msg == NULL || msg[0] == '\0') {
            gp_fail("an error without message, or a plan with an error", st, msg);
        }
        if (st <= GP_OK || st >= GP_STATUS_COUNT || st == GP_ERR_INTERNAL || st == GP_ERR_NOMEM) {
            gp_fail("gp_run failed with a status bad input must not give", st, msg);
        }
    }
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    return st;
}

/* Once per process: the fixed layers into /vsimem (so the target runs from any directory without
 * touching the disk again), the CSV wrappers, GDAL quiet and offline, a warm-up run. */
static void gp_fuzz_init(void)
{
    static int ready = 0;
    if (ready) {
        return;
    }
    ready = 1;
    CPLSetErrorHandler(CPLQuietErrorHandler);
    CPLSetConfigOption("GML_DOWNLOAD_WFS_SCHEMA", "NO");
    CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
    /* GDAL 3.6.2 opens a GML file that mentions "NAS-Operationen" with its NAS (German ALKIS)
     * driver, which leaks the layer's SRS (39 KB) on open: plain `ogrinfo` under valgrind shows
     * the same (regressions/fuzz_households/nas-driver-leak). The target fuzzes GML through the
     * GML driver; the NAS driver is skipped, before and after any registration. */
    CPLSetConfigOption("GDAL_SKIP", "NAS");
    GDALAllRegister();
    for (int f = 0; f < GP_FIXTURE_N; f++) {
        for (int l = 0; l < GP_LAYER_BARRIERS; l++) {
            char from[4096];
            char to[256];
            snprintf(from, sizeof from, "%s/%s/%s.geojson", GP_FUZZ_FIXTURES, FIXTURE_NAME[f],
                     LAYER_NAME[l]);
            snprintf(to, sizeof to, GP_FUZZ_DIR "/%s_%s.geojson", FIXTURE_NAME[f], LAYER_NAME[l]);
            if (CPLCopyFile(to, from) != 0) {
                fprintf(stderr, "fuzz_%s: cannot read the fixture %s\n", GP_FUZZ_LAYER, from);
                abort();
            }
        }
    }
    gp_write_vrt(GP_FUZZ_DIR "/fuzzed_utm.vrt", "EPSG:32650");
    gp_write_vrt(GP_FUZZ_DIR "/fuzzed_lonlat.vrt", "EPSG:4326");
    /* A run on each fixture alone: it must succeed, and it pays the one-time costs (GDAL's
     * drivers, PROJ's database) here rather than in the first input's time. */
    for (int f = 0; f < GP_FIXTURE_N; f++) {
        char fixed[GP_LAYER_BARRIERS][256];
        const char *source[GP_LAYER_N];
        gp_fixed_sources(FIXTURE_NAME[f], fixed, source);
        if (gp_fuzz_pipeline(source, FIXTURE_NAME[f]) != GP_OK) {
            gp_fail("a fixture alone gives no plan", GP_OK, FIXTURE_NAME[f]);
        }
    }
}

/* libFuzzer (and replay.c) call this before the first input, so that its time is its own. */
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
    uint8_t pick = size > 0 ? data[0] : 0;
    int format = pick % GP_FORMAT_N;
    const char *fixture = FIXTURE_NAME[(pick / GP_FORMAT_N) % GP_FIXTURE_N];
    char fixed[GP_LAYER_BARRIERS][256];
    const char *source[GP_LAYER_N];
    gp_fixed_sources(fixture, fixed, source);
    source[gp_fuzzed_layer()] =
        gp_write_fuzzed(format, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
    (void)gp_fuzz_pipeline(source, CPLSPrintf("format %d beside %s", format, fixture));
    gp_clear_fuzzed();
    return 0;
}
