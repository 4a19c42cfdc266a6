/* SPDX-License-Identifier: MIT */
/**
 * @file test_blocks.c Street blocks: reading, CRS, snapping fixtures, household points and
 * polygons, graph, Providence data (census block counts, noise, threads).
 */

#include "census.h"
#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "geometry/blocks.h"
#include "geometry/dataset.h"

#define GEOS_USE_ONLY_R_API
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------- */
/* Fixture helpers                                                                          */
/* ---------------------------------------------------------------------------------------- */

static char tmpdir[256];
static gp_context *ctx;
static gp_options *opts;

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_blocks_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(fixture, .init = setup, .fini = teardown);
TestSuite(bad_input, .init = setup, .fini = teardown);

/* Origin of the fixtures, in UTM 50N (EPSG:32650) metres. */
#define X0 500000.0
#define Y0 4000000.0

/* Write a GeoJSON file `name` in tmpdir with `features` (the JSON array body) and a CRS
 * ("EPSG:32650") or none; returns the path in a static buffer slot. */
static const char *write_geojson(const char *name, const char *crs, const char *features)
{
    static char paths[8][512];
    static int slot;
    char *path = paths[slot++ % 8];
    snprintf(path, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"type\":\"FeatureCollection\",");
    if (crs != NULL) {
        fprintf(f, "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"%s\"}},", crs);
    }
    fprintf(f, "\"features\":[%s]}\n", features);
    fclose(f);
    return path;
}

/* A square community [0,s]^2 (offset by X0,Y0) as a GeoJSON feature with id. */
static void square_feature(char *out, size_t n, const char *id, double x, double y, double s)
{
    snprintf(out, n,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f],"
             "[%.3f,%.3f]]]}}",
             id, X0 + x, Y0 + y, X0 + x + s, Y0 + y, X0 + x + s, Y0 + y + s, X0 + x, Y0 + y + s,
             X0 + x, Y0 + y);
}

/* Append a line feature "x1 y1, x2 y2, ..." (local metres) with a class to buf. */
static void add_line(char *buf, size_t n, const char *cls, const char *coords)
{
    char json[2048] = "";
    size_t used = 0;
    const char *p = coords;
    while (*p != '\0') {
        double x, y;
        int k = 0;
        if (sscanf(p, " %lf %lf%n", &x, &y, &k) != 2) {
            break;
        }
        used += (size_t)snprintf(json + used, sizeof json - used, "%s[%.4f,%.4f]", used ? "," : "",
                                 X0 + x, Y0 + y);
        p += k;
        while (*p == ',' || *p == ' ') {
            p++;
        }
    }
    size_t len = strlen(buf);
    snprintf(buf + len, n - len,
             "%s{\"type\":\"Feature\",\"properties\":{\"class\":\"%s\"},\"geometry\":{\"type\":"
             "\"LineString\",\"coordinates\":[%s]}}",
             len ? "," : "", cls, json);
}

/* Append a household polygon with a count (NULL: no properties) to buf: `rings` is GeoJSON
 * polygon coordinates in local metres, e.g. "[[[0,0],[1,0],[1,1],[0,0]]]", shifted by X0,Y0
 * here; `type` is "Polygon" or "MultiPolygon". */
static void add_polygon(char *buf, size_t n, const char *count, const char *type, const char *rings)
{
    char json[4096] = "";
    size_t used = 0;
    for (const char *p = rings; *p != '\0';) {
        double x, y;
        int k = 0;
        if (*p == '[' && sscanf(p, "[%lf,%lf]%n", &x, &y, &k) == 2) {
            used +=
                (size_t)snprintf(json + used, sizeof json - used, "[%.4f,%.4f]", X0 + x, Y0 + y);
            p += k;
        } else {
            json[used++] = *p++;
            json[used] = '\0';
        }
    }
    size_t len = strlen(buf);
    char props[64] = "{}";
    if (count != NULL) {
        snprintf(props, sizeof props, "{\"households\":%s}", count);
    }
    snprintf(buf + len, n - len,
             "%s{\"type\":\"Feature\",\"properties\":%s,\"geometry\":{\"type\":\"%s\","
             "\"coordinates\":%s}}",
             len ? "," : "", props, type, json);
}

/* Append a household point with a count (local metres) to buf. */
static void add_point(char *buf, size_t n, double x, double y, const char *count)
{
    size_t len = strlen(buf);
    snprintf(buf + len, n - len,
             "%s{\"type\":\"Feature\",\"properties\":{\"households\":%s},\"geometry\":{\"type\":"
             "\"Point\",\"coordinates\":[%.4f,%.4f]}}",
             len ? "," : "", count, X0 + x, Y0 + y);
}

#define CRS "urn:ogc:def:crs:EPSG::32650"

typedef struct fixture {
    gp_dataset *ds;
    gp_blocks *b;
} fixture;

/* Read a one-community fixture and build its blocks; checks the tiling invariant. */
static fixture run_counted(const char *communities, const char *streets, const char *households,
                           const char *barriers, const char *count_field)
{
    fixture fx = {0};
    gp_dataset_inputs in = {.communities = communities,
                            .id_field = "code",
                            .streets = streets,
                            .class_field = "class",
                            .households = households,
                            .count_field = count_field,
                            .barriers = barriers};
    cr_assert_eq(gp_dataset_read(ctx, &in, &fx.ds), GP_OK, "%s", gp_context_last_error(ctx));
    gp_blocks_params params = {.verify_symdiff = 1};
    cr_assert_eq(gp_community_blocks(ctx, fx.ds, 0, opts, &params, &fx.b), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_lt(fx.b->area_error, 1e-6 * fx.b->community_area);
    cr_assert_lt(fx.b->symdiff_area, 1e-6 * fx.b->community_area);
    for (int32_t k = 0; k < fx.b->n; k++) {
        cr_assert_geq(fx.b->area[k], gp_options_get_sliver_area(opts), "block %d is a sliver", k);
        /* A block dissolved from several faces is one valid polygon, no edge left inside. */
        cr_assert_eq(GEOSisValid_r(fx.b->h, fx.b->geom[k]), 1, "block %d is not valid", k);
    }
    return fx;
}

static fixture run(const char *communities, const char *streets, const char *households,
                   const char *barriers)
{
    return run_counted(communities, streets, households, barriers, "households");
}

/* The block containing local point (x, y), or -1. */
static int32_t block_at(const gp_blocks *b, double x, double y)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(b->h, X0 + x, Y0 + y);
    int32_t found = -1;
    for (int32_t k = 0; k < b->n && found < 0; k++) {
        if (GEOSContains_r(b->h, b->geom[k], pt) == 1) {
            found = k;
        }
    }
    GEOSGeom_destroy_r(b->h, pt);
    return found;
}

static void done(fixture *fx)
{
    gp_blocks_free(fx->b);
    gp_dataset_free(fx->ds);
}

/* The default fixture: a 200 m square community and one household in its middle. */
static const char *square200(void)
{
    char f[1024];
    square_feature(f, sizeof f, "C1", 0, 0, 200);
    return write_geojson("communities.geojson", CRS, f);
}

static const char *one_household(void)
{
    char h[512] = "";
    add_point(h, sizeof h, 30, 30, "7");
    return write_geojson("households.geojson", CRS, h);
}

static int32_t degree(const gp_blocks *b, int32_t v)
{
    return b->xadj[v + 1] - b->xadj[v];
}

/* ---------------------------------------------------------------------------------------- */
/* Fixtures                                                                                 */
/* ---------------------------------------------------------------------------------------- */

Test(fixture, cross_gives_four_blocks_and_no_corner_adjacency)
{
    char s[4096] = "";
    add_line(s, sizeof s, "primary", "-5 100, 205 100");
    add_line(s, sizeof s, "residential", "100 -5, 100 205");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 4);
    /* Diagonal blocks touch only at the centre point: each block has exactly 2 neighbours. */
    for (int32_t v = 0; v < 4; v++) {
        cr_assert_eq(degree(fx.b, v), 2, "block %d has %d neighbours", v, degree(fx.b, v));
        cr_assert_float_eq(fx.b->area[v], 10000.0, 1e-3);
    }
    int primary = 0, residential = 0;
    for (int32_t e = 0; e < fx.b->xadj[4]; e++) {
        cr_assert_float_eq(fx.b->border_length[e], 100.0, 1e-6);
        const char *cls = fx.ds->class_name[fx.b->edge_class[e]];
        if (strcmp(cls, "primary") == 0) {
            primary++;
            cr_assert_float_eq(fx.b->edge_cost[e], 0.2, 1e-12);
        } else {
            residential++;
            cr_assert_str_eq(cls, "residential");
            cr_assert_float_eq(fx.b->edge_cost[e], 1.0, 1e-12);
        }
    }
    cr_assert_eq(primary, 4);
    cr_assert_eq(residential, 4);
    cr_assert_eq(fx.b->households_assigned, 7);
    done(&fx);
}

Test(fixture, t_junction_gives_three_blocks)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "100 100, 100 200");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    cr_assert_eq(fx.b->xadj[3], 6); /* every pair is adjacent */
    done(&fx);
}

Test(fixture, dead_end_splits_nothing)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "service", "100 100, 100 160");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 2);
    done(&fx);
}

Test(fixture, undershoot_of_one_and_a_half_metres_is_closed)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "1.5 100, 198.5 100");
    add_line(s, sizeof s, "residential", "100 101.5, 100 198.5");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    done(&fx);
}

Test(fixture, overshoot_leaves_no_sliver)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "-3 100, 203 100");
    add_line(s, sizeof s, "residential", "100 97, 100 203");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    done(&fx);
}

Test(fixture, street_along_the_border_inside_is_ignored)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "1 -3, 1 203");     /* 1 m inside the west border */
    add_line(s, sizeof s, "residential", "-3 199, 203 199"); /* 1 m inside the north border */
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 2);
    cr_assert_float_eq(fx.b->area[0] + fx.b->area[1], 40000.0, 1e-3);
    done(&fx);
}

Test(fixture, noisy_junction_is_joined)
{
    char s[4096] = "";
    /* Four streets meeting at (100,100), each end moved by about a metre. */
    add_line(s, sizeof s, "residential", "0 100, 99.2 100.6");
    add_line(s, sizeof s, "residential", "200 100, 100.9 99.5");
    add_line(s, sizeof s, "residential", "100 0, 99.4 99.1");
    add_line(s, sizeof s, "residential", "100 200, 100.7 101.2");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 4);
    done(&fx);
}

Test(fixture, community_with_a_hole)
{
    char c[1024];
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"H\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]],"
             "[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}",
             X0, Y0, X0 + 200, Y0, X0 + 200, Y0 + 200, X0, Y0 + 200, X0, Y0, X0 + 75, Y0 + 75,
             X0 + 75, Y0 + 125, X0 + 125, Y0 + 125, X0 + 125, Y0 + 75, X0 + 75, Y0 + 75);
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100"); /* crosses the hole */
    fixture fx = run(write_geojson("c.geojson", CRS, c), write_geojson("s.geojson", CRS, s),
                     one_household(), NULL);
    cr_assert_eq(fx.b->n, 2);
    cr_assert_float_eq(fx.b->community_area, 40000.0 - 2500.0, 1e-6);
    done(&fx);
}

Test(fixture, two_part_community)
{
    char c[2048];
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"M\"},\"geometry\":{\"type\":"
             "\"MultiPolygon\",\"coordinates\":[[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]],"
             "[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]]}}",
             X0, Y0, X0 + 200, Y0, X0 + 200, Y0 + 200, X0, Y0 + 200, X0, Y0, X0 + 300, Y0, X0 + 400,
             Y0, X0 + 400, Y0 + 100, X0 + 300, Y0 + 100, X0 + 300, Y0);
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    fixture fx = run(write_geojson("c.geojson", CRS, c), write_geojson("s.geojson", CRS, s),
                     one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    cr_assert_eq(fx.b->n_isolated, 1); /* the second part touches nothing */
    done(&fx);
}

Test(fixture, barrier_splits_and_removes_adjacency)
{
    char s[4096] = "", r[1024] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(r, sizeof r, "river", "100 -10, 100 210");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(),
                     write_geojson("r.geojson", CRS, r));
    cr_assert_eq(fx.b->n, 4);
    cr_assert_eq(fx.b->n_barrier_edges, 2);
    for (int32_t v = 0; v < 4; v++) {
        cr_assert_eq(degree(fx.b, v), 1, "block %d: only the street side is adjacent", v);
    }
    done(&fx);
}

Test(fixture, households_on_a_shared_border_go_to_one_block)
{
    char s[4096] = "", h[2048] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_point(h, sizeof h, 50, 100, "5"); /* exactly on the street between the blocks */
    add_point(h, sizeof h, 50, 50, "3");
    add_point(h, sizeof h, 50, 150, "2");
    add_point(h, sizeof h, 500, 500, "4"); /* outside every community */
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s),
                     write_geojson("h.geojson", CRS, h), NULL);
    cr_assert_eq(fx.b->n, 2);
    cr_assert_eq(fx.b->households[0] + fx.b->households[1], 10);
    cr_assert_eq(fx.ds->households_read, 14);
    cr_assert_eq(fx.ds->households_outside, 4);
    cr_assert_eq(fx.ds->n_outside, 1);
    cr_assert_eq(fx.ds->outside_fid[0], 3);
    /* The lowest block id takes the border point. */
    int32_t low = fx.b->households[0] == 8 || fx.b->households[0] == 7 ? 0 : 1;
    cr_assert_eq(low, 0, "households per block: %lld %lld", (long long)fx.b->households[0],
                 (long long)fx.b->households[1]);
    done(&fx);
}

Test(fixture, junction_near_the_border_keeps_its_link_to_it)
{
    /* A V of two streets whose apex J lies 3 m inside the south border, joined to the border
     * by a 3 m street: the V's two sides stay separate blocks (clipping at the tolerance and
     * clustering ends used to lose the short street). */
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "40 100, 60 3");
    add_line(s, sizeof s, "residential", "60 3, 80 100");
    add_line(s, sizeof s, "residential", "60 3, 60 0");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 4);
    int32_t west = block_at(fx.b, 10, 50), east = block_at(fx.b, 150, 50);
    cr_assert(west >= 0 && east >= 0 && west != east, "west %d east %d", west, east);
    done(&fx);
}

Test(fixture, noisy_street_along_the_border_is_dropped_and_its_junction_kept)
{
    /* A street 1 m inside the south border, and a street from the north that stops 1 m short
     * of it: the border strip is no block, and the street still divides the south half. */
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "-3 1, 80 1.4, 203 0.8");
    add_line(s, sizeof s, "residential", "100.5 100, 99.6 2.4");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    cr_assert_geq(fx.b->n_border_edges, 1);
    int32_t west = block_at(fx.b, 50, 0.5), east = block_at(fx.b, 150, 0.5);
    cr_assert(west >= 0 && east >= 0 && west != east, "west %d east %d", west, east);
    done(&fx);
}

Test(fixture, small_real_block_stays_and_a_sliver_merges)
{
    cr_assert_eq(gp_options_set_sliver_area(ctx, opts, GP_SLIVER_AREA_RECOMMENDED), GP_OK);
    /* A slip road cutting a 12.5 m^2 triangle (it holds a 2.9 m circle): a block. */
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "100 100, 100 200");
    add_line(s, sizeof s, "residential", "95 100, 100 105");
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 4);
    int32_t tri = block_at(fx.b, 98.5, 101.5);
    cr_assert_geq(tri, 0);
    cr_assert_float_eq(fx.b->area[tri], 12.5, 1e-6);
    cr_assert_eq(fx.b->n_slivers, 0);
    done(&fx);
    /* A 20 m by 1.5 m wedge of 15 m^2: larger, but no 2 m circle fits in it: a sliver. */
    char t[4096] = "";
    add_line(t, sizeof t, "residential", "0 100, 200 100");
    add_line(t, sizeof t, "residential", "100 100, 100 200");
    add_line(t, sizeof t, "residential", "80 100, 100 101.5");
    fx = run(square200(), write_geojson("t.geojson", CRS, t), one_household(), NULL);
    cr_assert_eq(fx.b->n, 3);
    cr_assert_eq(fx.b->n_slivers, 1);
    done(&fx);
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A rural community 50 km across (plausible: pastoral villages reach 100 km) split along its
 * diagonal by a dual carriageway: the median between the carriageways is a face 70.7 km long
 * and at most 1.7 m wide, a sliver. Its width test was a maximum inscribed circle, whose work
 * grows with the face's length (seconds here, minutes at 5,000 km); the erosion that replaced
 * it takes milliseconds. CPU time, so that a busy machine does not fail the test. */
Test(fixture, long_narrow_face_of_a_large_community_is_a_sliver_found_fast)
{
    char c[1024], s[4096] = "";
    square_feature(c, sizeof c, "R1", 0, 0, 50000);
    add_line(s, sizeof s, "primary", "0 0, 50000 50000");
    add_line(s, sizeof s, "primary", "0 0, 49998.3 50000");
    char h[512] = "";
    add_point(h, sizeof h, 30000, 10000, "40");
    add_point(h, sizeof h, 10000, 30000, "60");
    double t0 = cpu_seconds();
    fixture fx = run(write_geojson("c.geojson", CRS, c), write_geojson("s.geojson", CRS, s),
                     write_geojson("h.geojson", CRS, h), NULL);
    double seconds = cpu_seconds() - t0;
    cr_assert_eq(fx.b->n_faces, 3);
    cr_assert_eq(fx.b->n, 2);
    cr_assert_eq(fx.b->n_slivers, 1);
    cr_assert_eq(fx.b->households_assigned, 100);
    cr_assert_lt(seconds, 0.25, "blocks of a 50 km community took %.2f s of CPU", seconds);
    done(&fx);
}

Test(fixture, uninhabited_traffic_island_merges_and_an_inhabited_one_stays)
{
    char s[4096] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "40 140, 60 140, 60 160, 40 160, 40 140"); /* 400 m^2 */
    fixture fx = run(square200(), write_geojson("s.geojson", CRS, s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 2);
    cr_assert_eq(fx.b->n_islands, 1);
    done(&fx);
    char h[512] = "";
    add_point(h, sizeof h, 50, 150, "3");
    fx = run(square200(), write_geojson("s.geojson", CRS, s), write_geojson("h.geojson", CRS, h),
             NULL);
    cr_assert_eq(fx.b->n, 3);
    cr_assert_eq(fx.b->n_islands, 0);
    int32_t island = block_at(fx.b, 50, 150);
    cr_assert_float_eq(fx.b->area[island], 400.0, 1e-6);
    cr_assert_eq(fx.b->households[island], 3);
    done(&fx);
}

/* Building polygons in the four blocks of the cross, and one outside every community. */
static const char *buildings(int with_counts)
{
    char h[8192] = "";
    /* SW: a plain rectangle. */
    add_polygon(h, sizeof h, with_counts ? "5" : NULL, "Polygon",
                "[[[20,20],[40,20],[40,40],[20,40],[20,20]]]");
    /* Across the north-south street, 30 m west of it and 10 m east: its representative point
     * (the middle of its widest horizontal section, x = 90) is in NW. */
    add_polygon(h, sizeof h, with_counts ? "7" : NULL, "Polygon",
                "[[[70,140],[110,140],[110,160],[70,160],[70,140]]]");
    /* SE: an L whose corner region holds no interior point at its centroid's height. */
    add_polygon(h, sizeof h, with_counts ? "3" : NULL, "Polygon",
                "[[[120,20],[190,20],[190,90],[180,90],[180,30],[120,30],[120,20]]]");
    /* NE: a courtyard building (a polygon with a hole). */
    add_polygon(h, sizeof h, with_counts ? "4" : NULL, "Polygon",
                "[[[130,130],[190,130],[190,190],[130,190],[130,130]],"
                "[[140,140],[140,180],[180,180],[180,140],[140,140]]]");
    /* Two buildings as one feature, the wider one in NW: the feature goes there. */
    add_polygon(h, sizeof h, with_counts ? "2" : NULL, "MultiPolygon",
                "[[[[10,60],[15,60],[15,65],[10,65],[10,60]]],"
                "[[[10,150],[30,150],[30,160],[10,160],[10,150]]]]");
    /* Outside. */
    add_polygon(h, sizeof h, with_counts ? "6" : NULL, "Polygon",
                "[[[300,300],[310,300],[310,310],[300,310],[300,300]]]");
    return write_geojson(with_counts ? "buildings.geojson" : "buildings1.geojson", CRS, h);
}

static const char *cross(void)
{
    char s[4096] = "";
    add_line(s, sizeof s, "primary", "-5 100, 205 100");
    add_line(s, sizeof s, "residential", "100 -5, 100 205");
    return write_geojson("cross.geojson", CRS, s);
}

/* Households of the block containing local point (x, y), and its feature ids (sorted). */
static int64_t households_at(const fixture *fx, double x, double y, int64_t *fids, int *n_fids)
{
    int32_t k = block_at(fx->b, x, y);
    cr_assert_geq(k, 0);
    *n_fids = 0;
    for (int32_t i = fx->b->hh_start[k]; i < fx->b->hh_start[k + 1]; i++) {
        fids[(*n_fids)++] = fx->ds->hh_fid[fx->b->hh_list[i]];
    }
    for (int i = 1; i < *n_fids; i++) {
        for (int j = i; j > 0 && fids[j - 1] > fids[j]; j--) {
            int64_t t = fids[j];
            fids[j] = fids[j - 1];
            fids[j - 1] = t;
        }
    }
    return fx->b->households[k];
}

Test(fixture, building_polygons_go_to_the_block_of_their_representative_point)
{
    fixture fx = run(square200(), cross(), buildings(1), NULL);
    cr_assert_eq(fx.b->n, 4);
    int64_t f[8];
    int nf = 0;
    cr_assert_eq(households_at(&fx, 50, 50, f, &nf), 5);
    cr_assert(nf == 1 && f[0] == 0, "SW holds %d features", nf);
    cr_assert_eq(households_at(&fx, 50, 150, f, &nf), 7 + 2);
    cr_assert(nf == 2 && f[0] == 1 && f[1] == 4, "NW holds %d features", nf);
    cr_assert_eq(households_at(&fx, 150, 50, f, &nf), 3);
    cr_assert(nf == 1 && f[0] == 2, "SE holds %d features", nf);
    cr_assert_eq(households_at(&fx, 150, 150, f, &nf), 4);
    cr_assert(nf == 1 && f[0] == 3, "NE holds %d features", nf);
    /* Conserved: what is read is assigned or reported outside. */
    cr_assert_eq(fx.ds->households_read, 27);
    cr_assert_eq(fx.b->households_assigned, 21);
    cr_assert_eq(fx.ds->households_outside, 6);
    cr_assert_eq(fx.ds->n_outside, 1);
    cr_assert_eq(fx.ds->outside_fid[0], 5);
    cr_assert_eq(fx.b->n_households_nearest, 0);
    done(&fx);
}

Test(fixture, building_polygons_without_a_count_are_one_household_each)
{
    fixture fx = run_counted(square200(), cross(), buildings(0), NULL, NULL);
    int64_t f[8];
    int nf = 0;
    cr_assert_eq(households_at(&fx, 50, 50, f, &nf), 1);
    cr_assert_eq(households_at(&fx, 50, 150, f, &nf), 2);
    cr_assert_eq(households_at(&fx, 150, 50, f, &nf), 1);
    cr_assert_eq(households_at(&fx, 150, 150, f, &nf), 1);
    cr_assert_eq(fx.ds->households_read, 6);
    cr_assert_eq(fx.b->households_assigned, 5);
    cr_assert_eq(fx.ds->households_outside, 1);
    done(&fx);
}

Test(fixture, streets_in_another_crs_are_reprojected)
{
    /* The cross again, with the streets written in WGS 84 longitude/latitude. */
    char s[4096];
    snprintf(
        s, sizeof s,
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"primary\"},\"geometry\":{\"type\":"
        "\"LineString\",\"coordinates\":[[116.99988884,36.14471810],[117.00233430,36.14471808]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"primary\"},\"geometry\":{\"type\":"
        "\"LineString\",\"coordinates\":[[117.00111156,36.14372636],[117.00111159,36.14570982]]}}");
    char c[1024];
    /* A community around those lines: a 200 m square in UTM 50N. */
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"R\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[500000,3999900],[500200,3999900],[500200,4000100],"
             "[500000,4000100],[500000,3999900]]]}}");
    fixture fx =
        run(write_geojson("c.geojson", CRS, c),
            write_geojson("s.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84", s), one_household(), NULL);
    cr_assert_eq(fx.b->n, 4, "streets reprojected into the community: %d blocks", fx.b->n);
    done(&fx);
}

Test(fixture, cgcs2000_data_gets_a_gauss_kruger_zone)
{
    char c[1024], s[2048] = "", h[512];
    /* Yinchuan, about 106.25E 38.47N. */
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"640104001001\"},\"geometry\":{"
             "\"type\":\"Polygon\",\"coordinates\":[[[106.25,38.47],[106.26,38.47],[106.26,38.48],"
             "[106.25,38.48],[106.25,38.47]]]}}");
    snprintf(s, sizeof s,
             "{\"type\":\"Feature\",\"properties\":{\"class\":\"secondary\"},\"geometry\":{"
             "\"type\":\"LineString\",\"coordinates\":[[106.249,38.475],[106.261,38.475]]}}");
    snprintf(h, sizeof h,
             "{\"type\":\"Feature\",\"properties\":{\"households\":12},\"geometry\":{\"type\":"
             "\"Point\",\"coordinates\":[106.255,38.472]}}");
    const char *cgcs = "urn:ogc:def:crs:EPSG::4490";
    fixture fx = run(write_geojson("c.geojson", cgcs, c), write_geojson("s.geojson", cgcs, s),
                     write_geojson("h.geojson", cgcs, h), NULL);
    cr_assert_eq(fx.b->n, 2);
    /* CGCS2000 / 3-degree Gauss-Kruger CM 105E. */
    cr_assert_not_null(strstr(fx.ds->work_wkt, "4544"), "%s", fx.ds->work_wkt);
    cr_assert_eq(fx.b->households_assigned, 12);
    done(&fx);
}

Test(fixture, bowtie_community_is_repaired_and_reported)
{
    char c[1024], s[512] = "";
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"B\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}",
             X0, Y0, X0 + 200, Y0 + 200, X0 + 200, Y0, X0, Y0 + 200, X0, Y0);
    add_line(s, sizeof s, "residential", "-10 -10, -20 -20");
    fixture fx = run(write_geojson("c.geojson", CRS, c), write_geojson("s.geojson", CRS, s),
                     one_household(), NULL);
    cr_assert_eq(fx.ds->n_repaired, 1);
    cr_assert_eq(fx.b->n, 2); /* the two triangles */
    cr_assert_float_eq(fx.b->community_area, 20000.0, 1e-6);
    done(&fx);
}

/* ---------------------------------------------------------------------------------------- */
/* Bad input                                                                                */
/* ---------------------------------------------------------------------------------------- */

static gp_status try_read(const char *communities, const char *id_field, const char *streets,
                          const char *households)
{
    gp_dataset *ds = NULL;
    gp_dataset_inputs in = {.communities = communities,
                            .id_field = id_field,
                            .streets = streets,
                            .class_field = "class",
                            .households = households,
                            .count_field = "households"};
    gp_status st = gp_dataset_read(ctx, &in, &ds);
    if (st == GP_OK) {
        gp_dataset_free(ds);
    } else {
        cr_assert_null(ds);
    }
    return st;
}

static const char *some_streets(void)
{
    char s[1024] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    return write_geojson("streets.geojson", CRS, s);
}

#define ASSERT_ERROR(call, status, ...)                                                            \
    do {                                                                                           \
        cr_assert_eq((call), (status), "%s", gp_context_last_error(ctx));                          \
        const char *want_[] = {__VA_ARGS__};                                                       \
        for (size_t i_ = 0; i_ < sizeof want_ / sizeof want_[0]; i_++) {                           \
            cr_assert_not_null(strstr(gp_context_last_error(ctx), want_[i_]),                      \
                               "message '%s' lacks '%s'", gp_context_last_error(ctx), want_[i_]);  \
        }                                                                                          \
    } while (0)

Test(bad_input, missing_file)
{
    ASSERT_ERROR(try_read("/nonexistent/communities.gpkg", "code", some_streets(), one_household()),
                 GP_ERR_IO, "/nonexistent/communities.gpkg");
}

Test(bad_input, missing_layer)
{
    char spec[600];
    snprintf(spec, sizeof spec, "%s:nolayer", square200());
    ASSERT_ERROR(try_read(spec, "code", some_streets(), one_household()), GP_ERR_INPUT,
                 "communities.geojson", "nolayer");
}

Test(bad_input, missing_field)
{
    ASSERT_ERROR(try_read(square200(), "nope", some_streets(), one_household()), GP_ERR_INPUT,
                 "communities.geojson", "'nope'");
}

Test(bad_input, empty_layer)
{
    ASSERT_ERROR(
        try_read(square200(), "code", write_geojson("empty.geojson", CRS, ""), one_household()),
        GP_ERR_INPUT, "empty.geojson", "empty");
}

Test(bad_input, negative_fractional_and_null_counts)
{
    const char *bad[] = {"-4", "2.5", "null"};
    const char *why[] = {"negative", "whole number", "null"};
    for (int i = 0; i < 3; i++) {
        char h[512] = "";
        add_point(h, sizeof h, 10, 10, "1");
        add_point(h, sizeof h, 20, 20, bad[i]);
        ASSERT_ERROR(
            try_read(square200(), "code", some_streets(), write_geojson("hh.geojson", CRS, h)),
            GP_ERR_INPUT, "hh.geojson", "feature 1", "'households'", why[i]);
    }
}

Test(bad_input, bad_counts_skipped_on_request)
{
    char h[512] = "";
    add_point(h, sizeof h, 10, 10, "1");
    add_point(h, sizeof h, 20, 20, "-4");
    gp_dataset *ds = NULL;
    gp_dataset_inputs in = {.communities = square200(),
                            .id_field = "code",
                            .streets = some_streets(),
                            .households = write_geojson("hh.geojson", CRS, h),
                            .count_field = "households",
                            .skip_bad_counts = 1};
    cr_assert_eq(gp_dataset_read(ctx, &in, &ds), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(ds->n_skipped, 1);
    cr_assert_eq(ds->skipped_fid[0], 1);
    cr_assert_eq(ds->households_read, 1);
    gp_dataset_free(ds);
}

/* A CSV layer with a WKT column has no CRS. */
static const char *csv_streets(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/streets.csv", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "WKT,class\n\"LINESTRING (%f %f,%f %f)\",residential\n", X0, Y0 + 100, X0 + 200,
            Y0 + 100);
    fclose(f);
    return path;
}

Test(bad_input, layer_without_crs_among_others_with_one)
{
    ASSERT_ERROR(try_read(square200(), "code", csv_streets(), one_household()), GP_ERR_CRS,
                 "streets.csv", "no CRS");
}

Test(bad_input, no_crs_at_all)
{
    static char c[512], h[512];
    snprintf(c, sizeof c, "%s/c.csv", tmpdir);
    snprintf(h, sizeof h, "%s/h.csv", tmpdir);
    FILE *f = fopen(c, "w");
    fprintf(f, "WKT,code\n\"POLYGON ((0 0,200 0,200 200,0 200,0 0))\",A\n");
    fclose(f);
    f = fopen(h, "w");
    fprintf(f, "WKT,households\n\"POINT (10 10)\",3\n");
    fclose(f);
    ASSERT_ERROR(try_read(c, "code", csv_streets(), h), GP_ERR_CRS, "c.csv", "no CRS");
}

Test(bad_input, wrong_geometry_type)
{
    /* Points as communities. */
    ASSERT_ERROR(try_read(one_household(), "households", some_streets(), one_household()),
                 GP_ERR_INPUT, "households.geojson", "feature 0", "polygon");
}

/* Two 400 m communities in Providence as longitude/latitude, side by side, the second with one
 * vertex (-71.432330, 41.8236) mistyped: `typo` 0 none, 1 longitude -7.143233, 2 latitude
 * 418.236. */
static const char *lonlat_communities(int typo)
{
    char f[2048];
    snprintf(f, sizeof f,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"C1\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[-71.4372,41.8200],[-71.4324,41.8200],"
             "[-71.4324,41.8236],[-71.4372,41.8236],[-71.4372,41.8200]]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"C2\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[-71.4324,41.8200],[-71.4276,41.8200],"
             "[-71.4276,41.8236],[%s,%s],[-71.4324,41.8218],[-71.4324,41.8200]]]}}",
             typo == 1 ? "-7.143233" : "-71.432330", typo == 2 ? "418.236" : "41.8236");
    return write_geojson("c.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84", f);
}

static const char *lonlat_streets(void)
{
    char s[1024];
    snprintf(s, sizeof s,
             "{\"type\":\"Feature\",\"properties\":{\"class\":\"primary\"},\"geometry\":{"
             "\"type\":\"LineString\",\"coordinates\":[[-71.4372,41.8218],[-71.4276,41.8218]]}}");
    return write_geojson("s.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84", s);
}

static const char *lonlat_households(void)
{
    char h[1024];
    snprintf(h, sizeof h,
             "{\"type\":\"Feature\",\"properties\":{\"households\":7},\"geometry\":{"
             "\"type\":\"Point\",\"coordinates\":[-71.4300,41.8210]}}");
    return write_geojson("h.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84", h);
}

Test(bad_input, mistyped_longitude_is_a_likely_coordinate_error_found_at_once)
{
    const char *streets = lonlat_streets(), *hh = lonlat_households();
    cr_assert_eq(try_read(lonlat_communities(0), "code", streets, hh), GP_OK, "%s",
                 gp_context_last_error(ctx));
    double t0 = cpu_seconds();
    ASSERT_ERROR(try_read(lonlat_communities(1), "code", streets, hh), GP_ERR_INPUT,
                 "c.geojson:c: feature 1: community 'C2' spans 5357 x 20 km",
                 "likely coordinate error");
    cr_assert_lt(cpu_seconds() - t0, 1.0);
}

/* A latitude beyond 90 in one community of several is that community's coordinate error, not
 * a wrong CRS of the layer (which gp_crs_check_extent would report, naming no feature). */
Test(bad_input, latitude_beyond_90_is_a_likely_coordinate_error_naming_the_feature)
{
    ASSERT_ERROR(try_read(lonlat_communities(2), "code", lonlat_streets(), lonlat_households()),
                 GP_ERR_INPUT,
                 "c.geojson:c: feature 1: community 'C2' spans longitude -71.4324 to -71.4276 "
                 "and latitude 41.82 to 418.236, beyond the degrees of the layer's CRS that "
                 "the other communities keep: likely coordinate error");
}

/* The bound is GP_COMMUNITY_MAX_EXTENT (300 km): a rural community 290 km across is read, one
 * 310 km tall is not. */
Test(bad_input, community_extent_bound_is_300_km)
{
    char c[1024];
    square_feature(c, sizeof c, "R1", 0, 0, 290000);
    char s[1024] = "";
    add_line(s, sizeof s, "residential", "0 100, 200 100");
    cr_assert_eq(try_read(write_geojson("c.geojson", CRS, c), "code",
                          write_geojson("s.geojson", CRS, s), one_household()),
                 GP_OK, "%s", gp_context_last_error(ctx));
    snprintf(c, sizeof c,
             "{\"type\":\"Feature\",\"properties\":{\"code\":\"R2\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f]]]}}",
             X0, Y0, X0 + 1000, Y0, X0, Y0 + 310000, X0, Y0);
    ASSERT_ERROR(try_read(write_geojson("c.geojson", CRS, c), "code",
                          write_geojson("s.geojson", CRS, s), one_household()),
                 GP_ERR_INPUT,
                 "feature 0: community 'R2' spans 1 x 310 km, more than any "
                 "community (300 km): likely coordinate error");
}

TestSuite(alloc_failure, .init = setup, .fini = teardown);

Test(alloc_failure, every_failing_allocation_in_blocks_is_reported_without_leak)
{
    /* A scenario through every step: a noisy junction, a street along the border with a
     * street stopping short of it, a small island, building polygons and points. */
    char s[8192] = "", h[4096] = "";
    add_line(s, sizeof s, "primary", "0 100, 200 100");
    add_line(s, sizeof s, "residential", "-3 1, 80 1.4, 203 0.8");
    add_line(s, sizeof s, "residential", "100.5 100, 99.6 2.4");
    add_line(s, sizeof s, "residential", "0 150, 99.2 150.6");
    add_line(s, sizeof s, "residential", "200 150, 100.9 149.5");
    add_line(s, sizeof s, "residential", "100.3 100, 99.4 149.1");
    add_line(s, sizeof s, "residential", "100 200, 100.7 151.2");
    add_line(s, sizeof s, "service", "30 160, 45 160, 45 175, 30 175, 30 160");
    add_polygon(h, sizeof h, "4", "Polygon", "[[[20,20],[40,20],[40,40],[20,40],[20,20]]]");
    add_point(h, sizeof h, 150, 50, "9");
    add_point(h, sizeof h, 150, 180, "2");
    gp_dataset *ds = NULL;
    gp_dataset_inputs in = {.communities = square200(),
                            .id_field = "code",
                            .streets = write_geojson("s.geojson", CRS, s),
                            .class_field = "class",
                            .households = write_geojson("h.geojson", CRS, h),
                            .count_field = "households"};
    cr_assert_eq(gp_dataset_read(ctx, &in, &ds), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_options_set_sliver_area(ctx, opts, GP_SLIVER_AREA_RECOMMENDED), GP_OK);
    gp_blocks_params params = {.verify_symdiff = 1};
    int64_t base = gp_test_alloc_live();
    gp_test_alloc_fail_after(-1, 0);
    gp_blocks *b = NULL;
    cr_assert_eq(gp_community_blocks(ctx, ds, 0, opts, &params, &b), GP_OK, "%s",
                 gp_context_last_error(ctx));
    int64_t total = gp_test_alloc_count();
    cr_assert_eq(b->n, 6, "%d blocks", b->n);
    cr_assert_eq(b->n_islands, 1);
    cr_assert_geq(b->n_border_edges, 1);
    cr_assert_eq(b->households_assigned, 15);
    gp_blocks_free(b);
    cr_assert_eq(gp_test_alloc_live(), base);
    int failed = 0;
    for (int64_t n = 0; n < total; n++) {
        gp_test_alloc_fail_after(n, 0);
        gp_status st = gp_community_blocks(ctx, ds, 0, opts, &params, &b);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert(st == GP_OK || st == GP_ERR_NOMEM, "allocation %lld failing gave %d: %s",
                  (long long)n, st, gp_context_last_error(ctx));
        failed += st == GP_ERR_NOMEM;
        if (st != GP_OK) {
            cr_assert_null(b);
        }
        gp_blocks_free(b);
        b = NULL;
        gp_context_clear_error(ctx);
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
    }
    cr_assert_eq(failed, total, "every allocation is checked");
    gp_dataset_free(ds);
}

/* ---------------------------------------------------------------------------------------- */
/* Providence (real census blocks)                                                          */
/* ---------------------------------------------------------------------------------------- */

typedef struct providence {
    gp_dataset *ds;
    int32_t *blocks; /* blocks per community */
    int32_t *census; /* census blocks per community */
    int32_t *multi;  /* blocks holding two or more household points */
    int64_t assigned;
    int32_t min_degree_violations;
} providence;

static int read_census(const char *root, const char *id)
{
    char path[600];
    snprintf(path, sizeof path, "%s/providence/census_blocks_per_community.csv", root);
    return gp_test_census_blocks(path, id);
}

/* Read Providence `variant` (clean or noisy); the test fails, saying where it looked, when the
 * data is absent (meson option shared_dir). */
static gp_dataset *read_providence(const char *variant)
{
    const char *root = getenv("GP_TEST_DATA");
    char comm[600], streets[600], hh[600];
    snprintf(comm, sizeof comm, "%s/providence/%s/communities.gpkg", root ? root : "", variant);
    if (root == NULL || access(comm, R_OK) != 0) {
        cr_assert_fail("Providence data not found at %s: put the shared data beside the repository "
                       "(../shared) or configure with -Dshared_dir=PATH",
                       comm);
    }
    snprintf(streets, sizeof streets, "%s/providence/%s/streets.gpkg", root, variant);
    snprintf(hh, sizeof hh, "%s/providence/%s/households.gpkg", root, variant);
    gp_dataset_inputs in = {.communities = comm,
                            .id_field = "code",
                            .streets = streets,
                            .class_field = "class",
                            .households = hh,
                            .count_field = "households"};
    gp_dataset *ds = NULL;
    cr_assert_eq(gp_dataset_read(ctx, &in, &ds), GP_OK, "%s", gp_context_last_error(ctx));
    return ds;
}

static providence run_providence(const char *variant)
{
    providence pv = {0};
    const char *root = getenv("GP_TEST_DATA");
    pv.ds = read_providence(variant);
    /* Neighbouring communities share their borders exactly: no overlap, not even a sliver. */
    cr_assert_eq(pv.ds->n_overlaps, 0, "%s: %lld overlapping pairs", variant,
                 (long long)pv.ds->n_overlaps);
    int32_t n = pv.ds->n_communities;
    pv.blocks = calloc((size_t)n, sizeof *pv.blocks);
    pv.census = calloc((size_t)n, sizeof *pv.census);
    pv.multi = calloc((size_t)n, sizeof *pv.multi);
    gp_blocks_params params = {.verify_symdiff = 1};
    for (int32_t c = 0; c < n; c++) {
        gp_blocks *b = NULL;
        cr_assert_eq(gp_community_blocks(ctx, pv.ds, c, opts, &params, &b), GP_OK, "%s",
                     gp_context_last_error(ctx));
        double a = b->community_area;
        cr_assert_lt(b->area_error, 1e-6 * a, "community %s: area error %g", pv.ds->community_id[c],
                     b->area_error);
        cr_assert_lt(b->symdiff_area, 1e-6 * a, "community %s: symmetric difference %g",
                     pv.ds->community_id[c], b->symdiff_area);
        for (int32_t k = 0; k < b->n; k++) {
            cr_assert_geq(b->area[k], gp_options_get_sliver_area(opts), "community %s block %d",
                          pv.ds->community_id[c], k);
            cr_assert_eq(GEOSisValid_r(b->h, b->geom[k]), 1, "community %s block %d is not valid",
                         pv.ds->community_id[c], k);
            pv.multi[c] += b->hh_start[k + 1] - b->hh_start[k] > 1;
            /* CSR symmetric and sorted. */
            for (int32_t e = b->xadj[k]; e < b->xadj[k + 1]; e++) {
                int32_t u = b->adjncy[e];
                cr_assert_neq(u, k);
                cr_assert(e == b->xadj[k] || b->adjncy[e - 1] < u);
                cr_assert_gt(b->border_length[e], 0.0);
                int found = 0;
                for (int32_t f = b->xadj[u]; f < b->xadj[u + 1]; f++) {
                    if (b->adjncy[f] == k) {
                        found = 1;
                        cr_assert_float_eq(b->border_length[f], b->border_length[e], 1e-9);
                    }
                }
                cr_assert(found);
            }
        }
        pv.blocks[c] = b->n;
        pv.census[c] = read_census(root, pv.ds->community_id[c]);
        pv.assigned += b->households_assigned;
        gp_blocks_free(b);
    }
    return pv;
}

static void free_providence(providence *pv)
{
    gp_dataset_free(pv->ds);
    free(pv->blocks);
    free(pv->census);
    free(pv->multi);
}

TestSuite(providence, .init = setup, .fini = teardown, .timeout = 120);

Test(providence, clean_blocks_match_census_blocks)
{
    /* Real blocks can be small (traffic triangles of 12 to 29 m^2): the recommended sliver
     * area, with the width rule telling noise from them. */
    cr_assert_eq(gp_options_set_sliver_area(ctx, opts, GP_SLIVER_AREA_RECOMMENDED), GP_OK);
    providence pv = run_providence("clean");
    int32_t n = pv.ds->n_communities, within1 = 0, total = 0, census_total = 0, multi = 0;
    double worst = 0;
    const char *worst_id = "";
    for (int32_t c = 0; c < n; c++) {
        cr_assert_gt(pv.census[c], 0);
        int32_t d = abs(pv.blocks[c] - pv.census[c]);
        if ((double)d / pv.census[c] >= worst) {
            worst = (double)d / pv.census[c];
            worst_id = pv.ds->community_id[c];
        }
        within1 += d <= 0.01 * pv.census[c];
        total += pv.blocks[c];
        census_total += pv.census[c];
        multi += pv.multi[c];
    }
    cr_log_info(
        "clean: %d blocks vs %d census blocks; %d of %d communities within 1%%, worst %s "
        "(%.2f%%)",
        total, census_total, within1, n, worst_id, 100 * worst);
    /* The bar: every community within 1% (for a community under 100 blocks: exact). */
    for (int32_t c = 0; c < n; c++) {
        cr_expect_leq(abs(pv.blocks[c] - pv.census[c]), 0.01 * pv.census[c],
                      "community %s: %d blocks, %d census blocks", pv.ds->community_id[c],
                      pv.blocks[c], pv.census[c]);
    }
    cr_assert_eq(within1, n);
    /* Every household point lies in its own census block: no block merged two of them. */
    cr_assert_eq(multi, 0, "%d blocks hold several household points", multi);
    cr_assert_eq(pv.assigned, pv.ds->households_read);
    cr_assert_eq(pv.ds->households_outside, 0);
    free_providence(&pv);
}

Test(providence, noisy_blocks_are_clean_blocks)
{
    cr_assert_eq(gp_options_set_sliver_area(ctx, opts, GP_SLIVER_AREA_RECOMMENDED), GP_OK);
    providence clean = run_providence("clean");
    providence noisy = run_providence("noisy");
    int32_t n = noisy.ds->n_communities, within3 = 0, tc = 0, tn = 0;
    double worst = 0;
    const char *worst_id = "";
    cr_assert_eq(n, clean.ds->n_communities);
    for (int32_t c = 0; c < n; c++) {
        int32_t d = abs(noisy.blocks[c] - clean.blocks[c]);
        within3 += d <= 0.03 * clean.blocks[c];
        if ((double)d / clean.blocks[c] >= worst) {
            worst = (double)d / clean.blocks[c];
            worst_id = noisy.ds->community_id[c];
        }
        /* 1% of interior segments are missing in noisy/: each one joins two blocks, and in a
         * small community a few of them are more than 3%. */
        cr_expect_leq(d, 0.03 * clean.blocks[c] + 6, "community %s: noisy %d, clean %d",
                      noisy.ds->community_id[c], noisy.blocks[c], clean.blocks[c]);
        /* Noise makes no block of its own (one noisy strip wider than the tolerance may
         * survive, as it would in any method: it is as wide as a real block). */
        cr_expect_leq(noisy.blocks[c], clean.blocks[c] + 1, "community %s: noisy %d, clean %d",
                      noisy.ds->community_id[c], noisy.blocks[c], clean.blocks[c]);
        tc += clean.blocks[c];
        tn += noisy.blocks[c];
    }
    int32_t missing = clean.ds->n_streets - noisy.ds->n_streets;
    cr_log_info(
        "noisy: %d blocks vs %d clean (%d street segments missing); %d of %d communities "
        "within 3%%, worst %s (%.1f%%)",
        tn, tc, missing, within3, n, worst_id, 100 * worst);
    cr_assert_leq(abs(tn - tc), 0.03 * tc);
    /* Noise itself costs no block: only the missing segments do, one block at most each. */
    cr_assert_geq(tn, tc - missing, "noisy %d blocks, clean %d, %d segments missing", tn, tc,
                  missing);
    cr_assert_eq(noisy.assigned, noisy.ds->households_read, "no household lost");
    cr_assert_eq(noisy.ds->households_read, 71188);
    free_providence(&clean);
    free_providence(&noisy);
}

/* What a run over all communities produced, for comparing runs. */
typedef struct snapshot {
    int32_t n_communities;
    int32_t *n;       /* blocks per community */
    int64_t **hh;     /* households per block, per community */
    double **area;    /* area per block, per community */
    gp_status status; /* of the first failure */
    char error[512];
} snapshot;

typedef struct job {
    const gp_dataset *ds;
    const gp_options *opts;
    int reverse; /* 1: communities last to first */
    snapshot out;
} job;

/* Build every community's blocks with a context of this thread's own. No criterion asserts
 * here: they belong to the main thread. */
static void *run_job(void *arg)
{
    job *jb = arg;
    snapshot *sn = &jb->out;
    gp_context *own = NULL;
    int32_t nc = jb->ds->n_communities;
    sn->n_communities = nc;
    sn->n = calloc((size_t)nc, sizeof *sn->n);
    sn->hh = calloc((size_t)nc, sizeof *sn->hh);
    sn->area = calloc((size_t)nc, sizeof *sn->area);
    sn->status = gp_context_new(&own);
    for (int32_t i = 0; i < nc && sn->status == GP_OK; i++) {
        int32_t c = jb->reverse ? nc - 1 - i : i;
        gp_blocks *b = NULL;
        sn->status = gp_community_blocks(own, jb->ds, c, jb->opts, NULL, &b);
        if (sn->status != GP_OK) {
            snprintf(sn->error, sizeof sn->error, "%s", gp_context_last_error(own));
            break;
        }
        sn->n[c] = b->n;
        sn->hh[c] = malloc(((size_t)b->n + 1) * sizeof **sn->hh);
        sn->area[c] = malloc(((size_t)b->n + 1) * sizeof **sn->area);
        memcpy(sn->hh[c], b->households, (size_t)b->n * sizeof **sn->hh);
        memcpy(sn->area[c], b->area, (size_t)b->n * sizeof **sn->area);
        gp_blocks_free(b);
    }
    gp_context_free(own);
    return NULL;
}

static void free_snapshot(snapshot *sn)
{
    for (int32_t c = 0; c < sn->n_communities; c++) {
        free(sn->hh[c]);
        free(sn->area[c]);
    }
    free(sn->n);
    free(sn->hh);
    free(sn->area);
}

static void assert_same(const gp_dataset *ds, const snapshot *want, const snapshot *got,
                        const char *who)
{
    cr_assert_eq(got->status, GP_OK, "%s: %s", who, got->error);
    for (int32_t c = 0; c < want->n_communities; c++) {
        const char *id = ds->community_id[c];
        cr_assert_eq(got->n[c], want->n[c], "%s: community %s: %d blocks, single thread %d", who,
                     id, got->n[c], want->n[c]);
        for (int32_t k = 0; k < want->n[c]; k++) {
            cr_assert_eq(got->hh[c][k], want->hh[c][k], "%s: community %s block %d households", who,
                         id, k);
            cr_assert_eq(got->area[c][k], want->area[c][k], "%s: community %s block %d area", who,
                         id, k);
        }
    }
}

Test(providence, two_threads_give_the_single_threaded_blocks)
{
    /* One dataset (read-only once read), one context per thread: the contract. */
    gp_dataset *ds = read_providence("noisy");
    job ref = {ds, opts, 0, {0}};
    run_job(&ref);
    cr_assert_eq(ref.out.status, GP_OK, "%s", ref.out.error);
    job jobs[2] = {{ds, opts, 0, {0}}, {ds, opts, 1, {0}}};
    pthread_t tid[2];
    for (int t = 0; t < 2; t++) {
        cr_assert_eq(pthread_create(&tid[t], NULL, run_job, &jobs[t]), 0);
    }
    for (int t = 0; t < 2; t++) {
        cr_assert_eq(pthread_join(tid[t], NULL), 0);
    }
    assert_same(ds, &ref.out, &jobs[0].out, "thread 0");
    assert_same(ds, &ref.out, &jobs[1].out, "thread 1 (reverse order)");
    for (int t = 0; t < 2; t++) {
        free_snapshot(&jobs[t].out);
    }
    free_snapshot(&ref.out);
    gp_dataset_free(ds);
}

/* The bytes GEOS writes for feature `fid` of the GeoJSON layer at `path`: what the dataset
 * stored for lines before it took them straight from OGR (dataset.c, line_wkb). */
static void geos_round_trip(const char *path, int64_t fid, unsigned char **out, size_t *n)
{
    GDALDatasetH d = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(d);
    OGRFeatureH f = OGR_L_GetFeature(GDALDatasetGetLayer(d, 0), (GIntBig)fid);
    cr_assert_not_null(f);
    OGRGeometryH g = OGR_G_Clone(OGR_F_GetGeometryRef(f));
    OGR_G_FlattenTo2D(g);
    size_t size = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = malloc(size);
    OGR_G_ExportToWkb(g, wkbNDR, wkb);
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(h);
    GEOSGeometry *geom = GEOSWKBReader_read_r(h, rd, wkb, size);
    cr_assert_not_null(geom);
    unsigned char *b = GEOSWKBWriter_write_r(h, wr, geom, n);
    *out = malloc(*n);
    memcpy(*out, b, *n);
    GEOSFree_r(h, b);
    GEOSGeom_destroy_r(h, geom);
    GEOSWKBWriter_destroy_r(h, wr);
    GEOSWKBReader_destroy_r(h, rd);
    free(wkb);
    OGR_G_DestroyGeometry(g);
    OGR_F_Destroy(f);
    GDALClose(d);
}

/* Lines are stored as GEOS would write them, whether OGR alone vouches for them (2D, Z,
 * multi-part) or GEOS decides (a part of one point: the feature is skipped with its reason;
 * a point where a line should be). */
Test(fixture, street_lines_are_stored_as_geos_writes_them)
{
    const char *s =
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"residential\"},\"geometry\":{\"type\":"
        "\"LineString\",\"coordinates\":[[500000,4000100],[500200,4000100]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"residential\"},\"geometry\":{\"type\":"
        "\"LineString\",\"coordinates\":[[500100,4000000,7.5],[500100,4000200,9]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"service\"},\"geometry\":{\"type\":"
        "\"MultiLineString\",\"coordinates\":[[[500020,4000020],[500040,4000040],[500060,"
        "4000030]],[[500150,4000150],[500160,4000190]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"service\"},\"geometry\":{\"type\":"
        "\"LineString\",\"coordinates\":[[500010,4000010]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"service\"},\"geometry\":{\"type\":"
        "\"MultiLineString\",\"coordinates\":[[[500010,4000010],[500020,4000020]],[[500030,"
        "4000030]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"class\":\"service\"},\"geometry\":{\"type\":"
        "\"Point\",\"coordinates\":[500050,4000050]}}";
    const char *path = write_geojson("s.geojson", CRS, s);
    fixture fx = run(square200(), path, one_household(), NULL);
    const gp_dataset *ds = fx.ds;
    cr_assert_eq(ds->n_streets, 3, "%d lines kept", ds->n_streets);
    cr_assert_eq(ds->n_streets_unused, 3);
    const gp_layer_notes *nt = &ds->notes[GP_ROLE_STREETS];
    cr_assert_eq(nt->n_skipped, 3);
    cr_assert_eq(nt->skipped_fid[0], 3);
    cr_assert_not_null(strstr(nt->skipped_why, "feature 3: unreadable geometry"), "%s",
                       nt->skipped_why);
    int seen[3] = {0, 0, 0};
    for (int32_t i = 0; i < ds->n_streets; i++) {
        int64_t fid = ds->street_fid[i];
        cr_assert(fid >= 0 && fid <= 2, "feature %lld kept", (long long)fid);
        seen[fid]++;
        unsigned char *want = NULL;
        size_t n = 0;
        geos_round_trip(path, fid, &want, &n);
        cr_assert_eq(ds->street_wkb[i].size, n, "feature %lld: %zu bytes, GEOS writes %zu",
                     (long long)fid, ds->street_wkb[i].size, n);
        cr_assert_eq(memcmp(ds->street_wkb[i].data, want, n), 0, "feature %lld: other bytes",
                     (long long)fid);
        free(want);
    }
    cr_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    done(&fx);
}
