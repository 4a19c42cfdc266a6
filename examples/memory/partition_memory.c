/* SPDX-License-Identifier: MIT */
/**
 * @file partition_memory.c Divide a community held in memory into grids and print each grid's
 * code, households and WKB (hex): geometries in as WKB arrays, results out as WKB buffers, no
 * file written or read by the program (issue #14, "C in memory").
 *
 * The community is a square of ROWS x COLS street blocks of 100 m in UTM zone 50N (EPSG:32650),
 * streets on every block border, and four buildings of 10 households in each block.
 * Usage: partition_memory [ROWS COLS]   (default 10 10; each 1 to 50)
 */

#include "gridpart.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_M 100.0
#define X0 500000.0
#define Y0 4000000.0

/* ---- little-endian WKB, written by hand: the program needs no geometry library ------------ */

typedef struct {
    uint8_t *data;
    size_t size, cap;
} wkb_buf;

static int put(wkb_buf *b, const void *bytes, size_t n)
{
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        while (cap < b->size + n) {
            cap *= 2;
        }
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            return 0;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->size, bytes, n);
    b->size += n;
    return 1;
}

/* x86 and ARM hosts are little-endian, as the byte-order flag 1 says. */
static int put_u32(wkb_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return put(b, le, 4);
}

static int put_xy(wkb_buf *b, double x, double y)
{
    uint64_t bits[2];
    memcpy(&bits[0], &x, 8);
    memcpy(&bits[1], &y, 8);
    for (int k = 0; k < 2; k++) {
        uint8_t le[8];
        for (int i = 0; i < 8; i++) {
            le[i] = (uint8_t)(bits[k] >> (8 * i));
        }
        if (!put(b, le, 8)) {
            return 0;
        }
    }
    return 1;
}

static int put_header(wkb_buf *b, uint32_t type)
{
    uint8_t order = 1;
    return put(b, &order, 1) && put_u32(b, type);
}

static int point(wkb_buf *b, double x, double y)
{
    return put_header(b, 1) && put_xy(b, x, y);
}

static int line(wkb_buf *b, double x0, double y0, double x1, double y1)
{
    return put_header(b, 2) && put_u32(b, 2) && put_xy(b, x0, y0) && put_xy(b, x1, y1);
}

static int rectangle(wkb_buf *b, double x0, double y0, double x1, double y1)
{
    return put_header(b, 3) && put_u32(b, 1) && put_u32(b, 5) && put_xy(b, x0, y0) &&
           put_xy(b, x1, y0) && put_xy(b, x1, y1) && put_xy(b, x0, y1) && put_xy(b, x0, y0);
}

/* A layer as the gp_inputs_set_*_wkb functions take it. */
typedef struct {
    int64_t n;
    wkb_buf *geom;
    const uint8_t **wkb;
    size_t *size;
    int64_t *fid;
} layer;

static int layer_new(layer *l, int64_t n)
{
    memset(l, 0, sizeof *l);
    l->geom = calloc((size_t)n, sizeof *l->geom);
    l->wkb = calloc((size_t)n, sizeof *l->wkb);
    l->size = calloc((size_t)n, sizeof *l->size);
    l->fid = calloc((size_t)n, sizeof *l->fid);
    return l->geom && l->wkb && l->size && l->fid;
}

/* Point wkb/size at the finished buffers; ids 1 .. n. */
static void layer_finish(layer *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        l->wkb[i] = l->geom[i].data;
        l->size[i] = l->geom[i].size;
        l->fid[i] = i + 1;
    }
}

static void layer_free(layer *l)
{
    for (int64_t i = 0; l->geom != NULL && i < l->n; i++) {
        free(l->geom[i].data);
    }
    free(l->geom);
    free(l->wkb);
    free(l->size);
    free(l->fid);
}

/* ---- the synthetic community ---------------------------------------------------------------- */

static int make_city(int rows, int cols, layer *community, layer *streets, layer *households,
                     int64_t *counts)
{
    double w = cols * BLOCK_M, h = rows * BLOCK_M;
    if (!layer_new(community, 1) || !layer_new(streets, rows + cols + 2) ||
        !layer_new(households, (int64_t)rows * cols * 4)) {
        return 0;
    }
    community->n = 1;
    if (!rectangle(&community->geom[0], X0, Y0, X0 + w, Y0 + h)) {
        return 0;
    }
    for (int i = 0; i <= cols; i++) {
        double x = X0 + i * BLOCK_M;
        if (!line(&streets->geom[streets->n++], x, Y0, x, Y0 + h)) {
            return 0;
        }
    }
    for (int j = 0; j <= rows; j++) {
        double y = Y0 + j * BLOCK_M;
        if (!line(&streets->geom[streets->n++], X0, y, X0 + w, y)) {
            return 0;
        }
    }
    static const double at[4][2] = {{25, 25}, {75, 25}, {25, 75}, {75, 75}};
    for (int j = 0; j < rows; j++) {
        for (int i = 0; i < cols; i++) {
            for (int k = 0; k < 4; k++) {
                counts[households->n] = 10;
                if (!point(&households->geom[households->n++], X0 + i * BLOCK_M + at[k][0],
                           Y0 + j * BLOCK_M + at[k][1])) {
                    return 0;
                }
            }
        }
    }
    layer_finish(community);
    layer_finish(streets);
    layer_finish(households);
    return 1;
}

/* Print the error of a failed call and say so. */
static int failed(gp_context *ctx, gp_status st, const char *what)
{
    if (st == GP_OK) {
        return 0;
    }
    fprintf(stderr, "partition_memory: %s: %s: %s\n", what, gp_status_string(st),
            ctx ? gp_context_last_error(ctx) : "");
    return 1;
}

static int usage(const char *msg)
{
    fprintf(stderr,
            "%s%susage: partition_memory [ROWS COLS]\n"
            "  divides a square community of ROWS x COLS street blocks (default 10 x 10, each\n"
            "  1 to 50) held in memory and prints each grid's code, households and WKB (hex) as CSV\n",
            msg, *msg ? "\n" : "");
    return 2;
}

int main(int argc, char **argv)
{
    int rows = 10, cols = 10;
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage("");
        return 0;
    }
    if (argc == 3) {
        char *end1 = NULL, *end2 = NULL;
        rows = (int)strtol(argv[1], &end1, 10);
        cols = (int)strtol(argv[2], &end2, 10);
        if (*end1 != '\0' || *end2 != '\0' || rows < 1 || rows > 50 || cols < 1 || cols > 50) {
            return usage("partition_memory: ROWS and COLS are whole numbers from 1 to 50");
        }
    } else if (argc != 1) {
        return usage("partition_memory: give ROWS and COLS, or nothing");
    }
    int code = 1;
    gp_context *ctx = NULL;
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    uint8_t *buf = NULL;
    layer community = {0}, streets = {0}, households = {0};
    int64_t *counts = calloc((size_t)rows * (size_t)cols * 4, sizeof *counts);
    const char *ids[1] = {"640106003001"};
    gp_status st = gp_context_new(&ctx);
    if (failed(ctx, st, "gp_context_new") || failed(ctx, st = gp_inputs_new(&in), "inputs")) {
        goto done;
    }
    if (counts == NULL || !make_city(rows, cols, &community, &streets, &households, counts)) {
        fprintf(stderr, "partition_memory: out of memory\n");
        goto done;
    }
    /* The arrays are copied: they could be freed right after these calls. */
    st = gp_inputs_set_communities_wkb(ctx, in, community.n, community.wkb, community.size,
                                       community.fid, ids, "EPSG:32650");
    if (failed(ctx, st, "communities")) {
        goto done;
    }
    st = gp_inputs_set_streets_wkb(ctx, in, streets.n, streets.wkb, streets.size, streets.fid, NULL,
                                   "EPSG:32650");
    if (failed(ctx, st, "streets")) {
        goto done;
    }
    st = gp_inputs_set_households_wkb(ctx, in, households.n, households.wkb, households.size,
                                      households.fid, counts, "EPSG:32650");
    if (failed(ctx, st, "households")) {
        goto done;
    }
    st = gp_run(ctx, in, NULL, &plan);
    if (st != GP_OK && st != GP_ERR_INFEASIBLE) {
        failed(ctx, st, "gp_run");
        goto done;
    }
    int32_t n = gp_plan_grid_count(plan);
    int64_t total = 0;
    printf("%d grids\n", (int)n);
    /* One CSV row per grid: its code, households and geometry as hex WKB (as PostGIS prints
     * it; ST_GeomFromWKB(decode(wkb, 'hex')) or shapely.from_wkb(bytes.fromhex(wkb)) reads it),
     * in the output CRS: the communities' CRS, here EPSG:32650. */
    printf("grid_code,households,wkb\n");
    for (int32_t g = 0; g < n; g++) {
        /* Ask the size, then fill the buffer (gridpart.h, "Results in memory"). */
        size_t size = gp_plan_grid_wkb_size(plan, g);
        uint8_t *grown = realloc(buf, size);
        if (grown == NULL) {
            fprintf(stderr, "partition_memory: out of memory\n");
            goto done;
        }
        buf = grown;
        if (failed(ctx, gp_plan_grid_wkb(ctx, plan, g, buf, size), "gp_plan_grid_wkb")) {
            goto done;
        }
        printf("%s,%lld,", gp_plan_grid_code(plan, g), (long long)gp_plan_grid_households(plan, g));
        for (size_t i = 0; i < size; i++) {
            printf("%02X", buf[i]);
        }
        putchar('\n');
        total += gp_plan_grid_households(plan, g);
    }
    int32_t first = -1;
    if (failed(ctx, gp_plan_household_grid(ctx, plan, households.fid[0], &first),
               "gp_plan_household_grid")) {
        goto done;
    }
    printf("household feature %lld is in grid %s\n", (long long)households.fid[0],
           first >= 0 ? gp_plan_grid_code(plan, first) : "(none)");
    if (total != households.n * 10) {
        fprintf(stderr, "partition_memory: grids hold %lld households, the input %lld\n",
                (long long)total, (long long)(households.n * 10));
        goto done;
    }
    code = 0;
done:
    free(buf);
    free(counts);
    layer_free(&community);
    layer_free(&streets);
    layer_free(&households);
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_context_free(ctx);
    return code;
}
