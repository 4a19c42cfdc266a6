/* SPDX-License-Identifier: MIT */
/** @file featgeom.c An input feature's geometry as the library works with it (featgeom.h). */

#include "featgeom.h"

#include "io/layer.h"

#include "core/memory.h"

#include <inttypes.h>
#include <string.h>

gp_status gp_feature_flat_projected(gp_context *ctx, const gp_feature_source *src, int64_t fid,
                                    OGRGeometryH g)
{
    OGR_G_FlattenTo2D(g);
    /* GEOS 3.11 throws on NaN or infinite coordinates deep inside an overlay and leaks what
     * it had built (fuzz_wkb found it, regressions/fuzz_wkb/nan-street-geos-leak): they never
     * reach it. */
    if (!gp_ogr_finite(g)) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64
                        ": a coordinate is not a finite number (NaN or "
                        "infinite)",
                        src->label, fid);
    }
    if (src->ct != NULL && OGR_G_Transform(g, src->ct) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_CRS, "%s: feature %" PRId64 ": cannot project its geometry%s%s",
                        src->label, fid, ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
    return GP_OK;
}

/* Appends the polygons of g (any type, collections searched) to parts; -1 when out of
 * memory. */
static int collect_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry ***parts,
                            int *n)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        GEOSGeometry **q = gp_reallocarray(*parts, (size_t)*n + 1, sizeof *q);
        if (q == NULL) {
            return -1;
        }
        *parts = q;
        q[*n] = GEOSGeom_clone_r(h, g);
        return q[(*n)++] != NULL ? 0 : -1;
    }
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            if (collect_polygons(h, GEOSGetGeometryN_r(h, g, i), parts, n) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* The polygonal part of a repaired geometry (g is consumed): g itself when it is a Polygon or
 * MultiPolygon, else its polygons as a MultiPolygon; NULL when it has none or memory ran out. */
static GEOSGeometry *polygonal_part(GEOSContextHandle_t h, GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) {
        return g;
    }
    GEOSGeometry **parts = NULL;
    int n = 0;
    int bad = collect_polygons(h, g, &parts, &n);
    GEOSGeom_destroy_r(h, g);
    GEOSGeometry *out = NULL;
    if (!bad && n > 0) {
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    } else {
        for (int i = 0; i < n; i++) {
            GEOSGeom_destroy_r(h, parts[i]);
        }
    }
    gp_free(parts);
    return out;
}

/* A polygonal *g (or a collection, then its polygons) made valid in place, GEOS's reason written to
 * `repaired` when it was not. */
static gp_status valid_polygon(gp_context *ctx, GEOSContextHandle_t h, const gp_feature_source *src,
                               int64_t fid, GEOSGeometry **g, char *repaired, size_t size)
{
    if (GEOSisValid_r(h, *g) == 1) {
        return GP_OK;
    }
    gp_status st = GP_OK;
    char *why = GEOSisValidReason_r(h, *g);
    GEOSGeometry *fixed = GEOSMakeValid_r(h, *g);
    GEOSGeom_destroy_r(h, *g);
    *g = fixed ? polygonal_part(h, fixed) : NULL;
    if (*g == NULL || GEOSisEmpty_r(h, *g)) {
        st = gp_error(ctx, GP_ERR_INPUT,
                      "%s: feature %" PRId64 ": invalid polygon (%s) cannot be repaired",
                      src->label, fid, why ? why : "?");
    } else {
        gp_log(ctx, GP_LOG_DEBUG, "%s: feature %" PRId64 ": invalid polygon (%s) repaired",
               src->label, fid, why ? why : "?");
        if (repaired != NULL && size > 0) {
            const char *text = why != NULL && why[0] != '\0' ? why : "?";
            size_t len = strlen(text) < size - 1 ? strlen(text) : size - 1;
            memcpy(repaired, text, len);
            repaired[len] = '\0';
        }
    }
    GEOSFree_r(h, why);
    return st;
}

/* The GP_GEOM_* class of a GEOS type id (0: none). */
static int geom_class(int t)
{
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON         ? GP_GEOM_POLYGONAL
           : t == GEOS_LINESTRING || t == GEOS_MULTILINESTRING ? GP_GEOM_LINEAL
           : t == GEOS_POINT || t == GEOS_MULTIPOINT           ? GP_GEOM_PUNTAL
           : t == GEOS_GEOMETRYCOLLECTION                      ? GP_GEOM_COLLECTION
                                                               : 0;
}

gp_status gp_feature_geometry(gp_context *ctx, GEOSContextHandle_t h, GEOSWKBReader *in,
                              const gp_feature_source *src, OGRFeatureH f, GEOSGeometry **out,
                              char *repaired, size_t size)
{
    gp_status st = GP_OK;
    unsigned char *wkb = NULL;
    GEOSGeometry *geom = NULL;
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    *out = NULL;
    if (repaired != NULL && size > 0) {
        repaired[0] = '\0';
    }
    OGRGeometryH from = OGR_F_GetGeometryRef(f);
    if (from == NULL || OGR_G_IsEmpty(from)) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": no geometry", src->label, fid);
    }
    OGRGeometryH g = OGR_G_HasCurveGeometry(from, TRUE) ? OGR_G_GetLinearGeometry(from, 0, NULL)
                                                        : OGR_G_Clone(from);
    if (g == NULL) {
        return gp_error_nomem(ctx, "a feature geometry");
    }
    if ((st = gp_feature_flat_projected(ctx, src, fid, g)) != GP_OK) {
        goto done;
    }
    size_t n = (size_t)OGR_G_WkbSize(g);
    if ((wkb = gp_malloc(n)) == NULL) {
        st = gp_error_nomem(ctx, "a feature geometry");
        goto done;
    }
    OGR_G_ExportToWkb(g, wkbNDR, wkb);
    if ((geom = GEOSWKBReader_read_r(h, in, wkb, n)) == NULL) {
        st = gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": unreadable geometry: %s",
                      src->label, fid, ctx->engine_error);
        goto done;
    }
    int kind = geom_class(GEOSGeomTypeId_r(h, geom));
    if ((kind & src->types) == 0) {
        char *type = GEOSGeomType_r(h, geom); /* allocated by GEOS */
        st = gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": geometry is a %s, expected %s",
                      src->label, fid, type ? type : "?", src->expected);
        GEOSFree_r(h, type);
        goto done;
    }
    if (kind == GP_GEOM_POLYGONAL || kind == GP_GEOM_COLLECTION) {
        st = valid_polygon(ctx, h, src, fid, &geom, repaired, size);
    }
done:
    gp_free(wkb);
    OGR_G_DestroyGeometry(g);
    if (st != GP_OK && geom != NULL) {
        GEOSGeom_destroy_r(h, geom);
        geom = NULL;
    }
    *out = geom;
    return st;
}

gp_status gp_geos_to_wkb(gp_context *ctx, GEOSContextHandle_t h, GEOSWKBWriter *w,
                         const GEOSGeometry *g, unsigned char **data, size_t *size,
                         const char *what)
{
    size_t n = 0;
    unsigned char *b = GEOSWKBWriter_write_r(h, w, g, &n);
    *data = b ? gp_malloc(n) : NULL;
    if (*data == NULL) {
        if (b != NULL) {
            GEOSFree_r(h, b);
        }
        return gp_error_nomem(ctx, what);
    }
    memcpy(*data, b, n);
    *size = n;
    GEOSFree_r(h, b);
    return GP_OK;
}
