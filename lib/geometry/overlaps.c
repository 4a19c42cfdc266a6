/* SPDX-License-Identifier: MIT */
/**
 * @file overlaps.c Communities whose interiors overlap: find them, class them, resolve them.
 *
 * The method: the communities go into a GEOS STRtree (Leutenegger et al.'s Sort-Tile-Recursive
 * packing); each community queries it with its own envelope, and each candidate that comes
 * before it and really intersects it (prepared geometry) is intersected exactly (GEOS
 * OverlayNG). Communities that only share a border intersect in lines: no area, no overlap.
 * A city's communities each touch a handful of neighbours, so the work grows with the number
 * of communities, not with its square.
 *
 * An overlap is classed by its polygons, with the rule of sliver blocks (blocks.c): a polygon
 * in which no circle as wide as the snapping tolerance fits (width.c), or smaller than the
 * sliver area, is what two tracings of one border leave, each within the tolerance of the
 * true line; a pair whose overlap holds any wider and larger polygon overlaps for real.
 *
 * Resolving gives the overlap to the community whose id comes first (byte order), the rule
 * by which a household on the border of two communities is placed, so that the result does
 * not depend on the order of the features in the layer: the other becomes itself minus every
 * community it loses an overlap to, each taken as read, so neither does it depend on the order
 * of the work.
 */

#include "overlaps.h"
#include "hits.h"
#include "width.h"

#include "core/context.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whether one polygon of an overlap is a sliver by `rule`. */
static gp_status part_is_sliver(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *p,
                                const gp_overlap_rule *rule, double area, int *sliver)
{
    double perimeter = 0;
    GEOSLength_r(h, p, &perimeter);
    *sliver = area < rule->area;
    /* 2A/P is a lower bound of the widest inscribed circle's diameter: at or above the
     * width, a circle that wide fits and the erosion is not needed. */
    if (*sliver || !(rule->width > 0) || !(perimeter > 0) || 2 * area / perimeter >= rule->width) {
        return GP_OK;
    }
    int fits = 1;
    gp_status st = gp_circle_fits(ctx, h, p, rule->width, &fits);
    *sliver = !fits;
    return st;
}

/* The area of g's polygons and whether each of them is a sliver (1 when it has none). */
static gp_status measure_parts(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *g,
                               const gp_overlap_rule *rule, double *area, int *sliver)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            gp_status st = measure_parts(ctx, h, GEOSGetGeometryN_r(h, g, i), rule, area, sliver);
            if (st != GP_OK) {
                return st;
            }
        }
        return GP_OK;
    }
    double a = 0;
    if (t != GEOS_POLYGON || !GEOSArea_r(h, g, &a) || !(a > 0)) {
        return GP_OK; /* a shared border or corner: lines and points have no area */
    }
    *area += a;
    int s = 1;
    gp_status st = part_is_sliver(ctx, h, g, rule, a, &s);
    *sliver = *sliver && s;
    return st;
}

static gp_status add_pair(gp_context *ctx, gp_overlap **pairs, size_t *n, size_t *cap,
                          gp_overlap pair)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        gp_overlap *q = gp_reallocarray(*pairs, c, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(ctx, "community overlaps");
        }
        *pairs = q;
        *cap = c;
    }
    (*pairs)[(*n)++] = pair;
    return GP_OK;
}

/* A pair with its sort key: the ranks of (second, first). */
typedef struct keyed_pair {
    int32_t k0, k1;
    gp_overlap pair;
} keyed_pair;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed_pair *a = pa, *b = pb;
    if (a->k0 != b->k0) {
        return a->k0 < b->k0 ? -1 : 1;
    }
    return (a->k1 > b->k1) - (a->k1 < b->k1);
}

/* Sort pairs by the ranks of (second, first): the order of the ids, not of the layer. */
static gp_status sort_pairs(gp_context *ctx, gp_overlap *pairs, size_t n, const int32_t *rank)
{
    keyed_pair *k = gp_malloc((n + 1) * sizeof *k);
    if (k == NULL) {
        return gp_error_nomem(ctx, "community overlaps");
    }
    for (size_t i = 0; i < n; i++) {
        int32_t s = pairs[i].second, f = pairs[i].first;
        k[i] = (keyed_pair){rank ? rank[s] : s, rank ? rank[f] : f, pairs[i]};
    }
    if (n > 1) {
        qsort(k, n, sizeof *k, cmp_keyed);
    }
    for (size_t i = 0; i < n; i++) {
        pairs[i] = k[i].pair;
    }
    gp_free(k);
    return GP_OK;
}

gp_status gp_overlaps_find(gp_context *ctx, GEOSContextHandle_t h, int32_t n,
                           GEOSGeometry *const *comm, const int32_t *rank,
                           const gp_overlap_rule *rule, gp_overlaps_tick tick, void *user,
                           gp_overlap **pairs_out, int64_t *n_out)
{
    gp_status st = GP_OK;
    const GEOSPreparedGeometry **prep = gp_calloc((size_t)n + 1, sizeof *prep);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    gp_hits hs = {0};
    gp_overlap *pairs = NULL;
    size_t n_pairs = 0, cap = 0;
    *pairs_out = NULL;
    *n_out = 0;
    if (prep == NULL || tree == NULL) {
        st = gp_error_nomem(ctx, "the community index");
        goto done;
    }
    for (int32_t c = 0; c < n; c++) {
        prep[c] = GEOSPrepare_r(h, comm[c]);
        if (prep[c] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare community %d: %s", c,
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        GEOSSTRtree_insert_r(h, tree, comm[c], (void *)(intptr_t)c);
    }
    for (int32_t c = 0; c < n; c++) {
        if (tick != NULL && (st = tick(user)) != GP_OK) {
            goto done;
        }
        hs.n = 0;
        GEOSSTRtree_query_r(h, tree, comm[c], gp_hits_collect, &hs);
        if (hs.failed) {
            st = gp_error_nomem(ctx, "a community index query");
            goto done;
        }
        gp_hits_sort(&hs);
        for (size_t k = 0; k < hs.n && hs.v[k] < c; k++) {
            int32_t d = hs.v[k];
            char hit = GEOSPreparedIntersects_r(h, prep[d], comm[c]);
            GEOSGeometry *x = hit == 1 ? GEOSIntersection_r(h, comm[d], comm[c]) : NULL;
            if (hit == 2 || (hit == 1 && x == NULL)) {
                st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot intersect communities %d and %d: %s", d,
                              c, gp_ctx_engine_error(ctx));
                goto done;
            }
            if (x == NULL) {
                continue;
            }
            int d_first = rank == NULL || rank[d] < rank[c];
            gp_overlap pair = {d_first ? d : c, d_first ? c : d, 0.0, 1};
            int sliver = 1;
            st = measure_parts(ctx, h, x, rule, &pair.area, &sliver);
            GEOSGeom_destroy_r(h, x);
            pair.sliver = sliver;
            if (st == GP_OK && pair.area > 0) {
                st = add_pair(ctx, &pairs, &n_pairs, &cap, pair);
            }
            if (st != GP_OK) {
                goto done;
            }
        }
    }
    st = sort_pairs(ctx, pairs, n_pairs, rank);
done:
    if (tree != NULL) {
        GEOSSTRtree_destroy_r(h, tree);
    }
    for (int32_t c = 0; prep != NULL && c < n; c++) {
        if (prep[c] != NULL) {
            GEOSPreparedGeom_destroy_r(h, prep[c]);
        }
    }
    gp_free(prep);
    gp_free(hs.v);
    if (st != GP_OK) {
        gp_free(pairs);
        pairs = NULL;
        n_pairs = 0;
    }
    *pairs_out = pairs;
    *n_out = (int64_t)n_pairs;
    return st;
}

static int count_polygons(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g), n = 0;
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            n += count_polygons(h, GEOSGetGeometryN_r(h, g, i));
        }
        return n;
    }
    return t == GEOS_POLYGON && GEOSisEmpty_r(h, g) == 0;
}

/* Clones of the polygons of g into parts[*k...]; -1 when out of memory. */
static int collect_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry **parts,
                            int *k)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            if (collect_polygons(h, GEOSGetGeometryN_r(h, g, i), parts, k) != 0) {
                return -1;
            }
        }
        return 0;
    }
    if (t != GEOS_POLYGON || GEOSisEmpty_r(h, g) != 0) {
        return 0;
    }
    parts[*k] = GEOSGeom_clone_r(h, g);
    return parts[(*k)++] == NULL ? -1 : 0;
}

/* g as a Polygon or MultiPolygon of its polygons only (a difference of polygons is polygonal,
 * but may come as a collection); NULL when out of memory. */
static GEOSGeometry *polygonal(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) {
        return GEOSGeom_clone_r(h, g);
    }
    GEOSGeometry **parts = gp_calloc((size_t)count_polygons(h, g) + 1, sizeof *parts);
    int k = 0;
    GEOSGeometry *out = NULL;
    if (parts != NULL && collect_polygons(h, g, parts, &k) == 0) {
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)k);
        k = out ? 0 : k; /* taken over */
    }
    for (int i = 0; i < k; i++) {
        GEOSGeom_destroy_r(h, parts[i]);
    }
    gp_free(parts);
    return out;
}

/* comm[c] minus every community of pairs[from..to-1] (all with second == c) that it loses to;
 * *out NULL when it loses nothing here. */
static gp_status subtract(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *comm,
                          const gp_overlap *pairs, int64_t from, int64_t to, int32_t real,
                          GEOSGeometry **out)
{
    int32_t c = pairs[from].second;
    GEOSGeometry *cur = NULL;
    *out = NULL;
    for (int64_t k = from; k < to; k++) {
        if (!pairs[k].sliver && !real) {
            continue;
        }
        GEOSGeometry *next = GEOSDifference_r(h, cur ? cur : comm[c], comm[pairs[k].first]);
        if (cur != NULL) {
            GEOSGeom_destroy_r(h, cur);
        }
        cur = next;
        if (cur == NULL) {
            return gp_error(ctx, GP_ERR_GEOMETRY,
                            "cannot take community %d's overlap from community %d: %s",
                            pairs[k].first, c, gp_ctx_engine_error(ctx));
        }
    }
    if (cur == NULL) {
        return GP_OK;
    }
    *out = polygonal(h, cur);
    GEOSGeom_destroy_r(h, cur);
    return *out ? GP_OK : gp_error_nomem(ctx, "a community without its overlaps");
}

gp_status gp_overlaps_resolve(gp_context *ctx, GEOSContextHandle_t h, int32_t n,
                              GEOSGeometry **comm, const gp_overlap *pairs, int64_t n_pairs,
                              int32_t real, uint8_t *changed, int32_t *emptied)
{
    gp_status st = GP_OK;
    GEOSGeometry **next = gp_calloc((size_t)n + 1, sizeof *next);
    *emptied = -1;
    if (next == NULL) {
        return gp_error_nomem(ctx, "communities without their overlaps");
    }
    /* Each community's new geometry from the communities as they were: pairs come grouped by
     * `second`. */
    for (int64_t i = 0; i < n_pairs && st == GP_OK;) {
        int32_t c = pairs[i].second;
        int64_t end = i;
        while (end < n_pairs && pairs[end].second == c) {
            end++;
        }
        st = subtract(ctx, h, comm, pairs, i, end, real, &next[c]);
        double area = 0;
        if (st == GP_OK && next[c] != NULL &&
            (GEOSisEmpty_r(h, next[c]) || !GEOSArea_r(h, next[c], &area) || !(area > 0))) {
            *emptied = c;
            st = GP_ERR_INPUT;
        }
        i = end;
    }
    for (int32_t c = 0; c < n; c++) {
        if (next[c] == NULL) {
            continue;
        }
        if (st == GP_OK) {
            GEOSGeom_destroy_r(h, comm[c]);
            comm[c] = next[c];
            changed[c] = 1;
        } else {
            GEOSGeom_destroy_r(h, next[c]);
        }
    }
    gp_free(next);
    return st;
}
