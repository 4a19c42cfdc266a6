/* SPDX-License-Identifier: MIT */
/**
 * @file test_wkbbox.c Boxes read straight from WKB against GEOS's envelopes, in every WKB
 * flavour GEOS writes; the box grid against a brute-force scan.
 */

#include "geometry/wkbbox.h"

#include <criterion/criterion.h>
#include <geos_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s)
{
    return (double)(next(s) >> 11) / 9007199254740992.0;
}

/* A random line string, multi line string, polygon or collection, 2D or 3D. */
static GEOSGeometry *random_geometry(GEOSContextHandle_t h, uint64_t *s, int depth)
{
    int kind = (int)(next(s) % (depth < 2 ? 5 : 3));
    int dims = next(s) % 2 ? 3 : 2;
    if (kind <= 1) {
        unsigned n = 2 + (unsigned)(next(s) % 6);
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, n, (unsigned)dims);
        for (unsigned i = 0; i < n; i++) {
            GEOSCoordSeq_setXY_r(h, cs, i, -5e5 + 1e6 * unit(s), 3e6 + 1e5 * unit(s));
            if (dims == 3) {
                GEOSCoordSeq_setZ_r(h, cs, i, 100 * unit(s));
            }
        }
        return GEOSGeom_createLineString_r(h, cs);
    }
    if (kind == 2) {
        double x = 1e5 * unit(s), y = 1e5 * unit(s), d = 1 + 50 * unit(s);
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
        double xs[5] = {x, x + d, x + d, x, x}, ys[5] = {y, y, y + d, y + d, y};
        for (unsigned i = 0; i < 5; i++) {
            GEOSCoordSeq_setXY_r(h, cs, i, xs[i], ys[i]);
        }
        return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
    }
    unsigned n = 1 + (unsigned)(next(s) % 3);
    GEOSGeometry *parts[3];
    for (unsigned i = 0; i < n; i++) {
        parts[i] = random_geometry(h, s, depth + 1);
    }
    int all_lines = 1;
    for (unsigned i = 0; i < n; i++) {
        all_lines = all_lines && GEOSGeomTypeId_r(h, parts[i]) == GEOS_LINESTRING;
    }
    return GEOSGeom_createCollection_r(
        h, kind == 3 && all_lines ? GEOS_MULTILINESTRING : GEOS_GEOMETRYCOLLECTION, parts, n);
}

Test(wkbbox, matches_geos_in_every_flavour)
{
    GEOSContextHandle_t h = GEOS_init_r();
    uint64_t s = 7;
    int checked = 0;
    for (int i = 0; i < 400; i++) {
        GEOSGeometry *g = random_geometry(h, &s, 0);
        cr_assert_not_null(g);
        double want[4];
        cr_assert(GEOSGeom_getXMin_r(h, g, &want[0]) && GEOSGeom_getYMin_r(h, g, &want[1]) &&
                  GEOSGeom_getXMax_r(h, g, &want[2]) && GEOSGeom_getYMax_r(h, g, &want[3]));
        for (int flavour = 0; flavour < 8; flavour++) {
            GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
            GEOSWKBWriter_setByteOrder_r(h, w, flavour & 1 ? GEOS_WKB_XDR : GEOS_WKB_NDR);
            GEOSWKBWriter_setOutputDimension_r(h, w, flavour & 2 ? 3 : 2);
            GEOSWKBWriter_setFlavor_r(h, w, flavour & 4 ? GEOS_WKB_ISO : GEOS_WKB_EXTENDED);
            if (flavour == 6) {
                GEOSSetSRID_r(h, g, 4490);
                GEOSWKBWriter_setFlavor_r(h, w, GEOS_WKB_EXTENDED);
                GEOSWKBWriter_setIncludeSRID_r(h, w, 1);
            }
            size_t n = 0;
            unsigned char *wkb = GEOSWKBWriter_write_r(h, w, g, &n);
            cr_assert_not_null(wkb);
            double got[4];
            cr_assert_eq(gp_wkb_box(wkb, n, got), 1, "geometry %d flavour %d", i, flavour);
            cr_assert(memcmp(got, want, sizeof got) == 0, "geometry %d flavour %d", i, flavour);
            /* Every truncation is refused, never read past the end. */
            for (size_t cut = 0; cut < n; cut += 1 + n / 16) {
                unsigned char *part = malloc(cut + 1);
                memcpy(part, wkb, cut);
                cr_assert_eq(gp_wkb_box(part, cut, got), -1, "geometry %d cut at %zu", i, cut);
                free(part);
            }
            GEOSFree_r(h, wkb);
            GEOSWKBWriter_destroy_r(h, w);
            checked++;
        }
        GEOSGeom_destroy_r(h, g);
    }
    cr_assert_eq(checked, 3200);
    GEOS_finish_r(h);
}

Test(wkbbox, empty_unknown_and_nan)
{
    /* An empty line string (little endian, type 2, 0 points), an empty collection. */
    unsigned char empty_line[] = {1, 2, 0, 0, 0, 0, 0, 0, 0};
    unsigned char empty_coll[] = {1, 7, 0, 0, 0, 0, 0, 0, 0};
    double box[4] = {1, 2, 3, 4};
    cr_assert_eq(gp_wkb_box(empty_line, sizeof empty_line, box), 0);
    cr_assert_eq(gp_wkb_box(empty_coll, sizeof empty_coll, box), 0);
    cr_assert_eq(box[0], 1, "an empty geometry leaves the box alone");
    /* A type it does not read (a triangle, 17), a bad byte order mark, nothing at all. */
    unsigned char tri[] = {1, 17, 0, 0, 0, 0, 0, 0, 0};
    unsigned char bad[] = {2, 2, 0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(gp_wkb_box(tri, sizeof tri, box), -1);
    cr_assert_eq(gp_wkb_box(bad, sizeof bad, box), -1);
    cr_assert_eq(gp_wkb_box(NULL, 0, box), -1);
    /* A point count far beyond the bytes: refused without reading them. */
    unsigned char liar[] = {1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
    cr_assert_eq(gp_wkb_box(liar, sizeof liar, box), -1);
}

Test(boxgrid, matches_brute_force)
{
    uint64_t s = 11;
    enum { N = 300, Q = 3000 };
    static double box[N][4];
    for (int i = 0; i < N; i++) {
        double x = 1000 * unit(&s), y = 1000 * unit(&s);
        double w = i % 17 == 0 ? 0 : 80 * unit(&s), v = i % 13 == 0 ? 0 : 80 * unit(&s);
        box[i][0] = x;
        box[i][1] = y;
        box[i][2] = x + w;
        box[i][3] = y + v;
    }
    box[5][0] = box[5][1] = box[5][2] = box[5][3] = NAN; /* an empty community */
    gp_boxgrid *g = gp_boxgrid_new((const double(*)[4])box, N);
    cr_assert_not_null(g);
    int32_t got[N];
    int64_t found = 0, empty = 0;
    for (int q = 0; q < Q; q++) {
        double x = -100 + 1200 * unit(&s), y = -100 + 1200 * unit(&s);
        double b[4] = {x, y, x + 60 * unit(&s), y + 60 * unit(&s)};
        if (q % 10 == 0) { /* touching a box's edge exactly counts */
            int k = (int)(next(&s) % N);
            b[0] = box[k][2];
            b[2] = box[k][2] + 5;
        }
        int32_t k = gp_boxgrid_query(g, b, got);
        int32_t want = 0;
        for (int32_t i = 0; i < N; i++) {
            int meets = box[i][0] <= b[2] && box[i][2] >= b[0] && box[i][1] <= b[3] &&
                        box[i][3] >= b[1];
            if (meets) {
                cr_assert(want < k && got[want] == i, "query %d: box %d missing or out of order",
                          q, i);
                want++;
            }
        }
        cr_assert_eq(k, want, "query %d", q);
        cr_assert_eq(gp_boxgrid_any(g, b), k > 0, "query %d: any", q);
        empty += k == 0;
        found += k;
    }
    cr_assert_gt(empty, Q / 10, "queries meeting no box test gp_boxgrid_any too");
    cr_assert_gt(found, Q / 2);
    /* The whole extent finds every box but the empty one. */
    double all[4] = {-1e9, -1e9, 1e9, 1e9};
    cr_assert_eq(gp_boxgrid_query(g, all, got), N - 1);
    gp_boxgrid_free(g);
    gp_boxgrid *none = gp_boxgrid_new((const double(*)[4])box, 0);
    cr_assert_not_null(none);
    cr_assert_eq(gp_boxgrid_query(none, all, got), 0);
    cr_assert_eq(gp_boxgrid_any(none, all), 0);
    gp_boxgrid_free(none);
}
