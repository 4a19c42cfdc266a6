/* SPDX-License-Identifier: MIT */
/** @file crs.c Working-CRS choice (UTM or CGCS2000 Gauss-Kruger zone) and transformations. */

#include "crs.h"

#include "core/context.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

static OGRSpatialReferenceH srs_epsg(int code)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (s != NULL && OSRImportFromEPSG(s, code) != OGRERR_NONE) {
        OSRRelease(s);
        return NULL;
    }
    if (s != NULL) {
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    }
    return s;
}

static int is_cgcs2000(OGRSpatialReferenceH srs)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth != NULL && code != NULL && strcmp(auth, "EPSG") == 0 && strcmp(code, "4490") == 0) {
        return 1;
    }
    const char *datum = OSRGetAttrValue(srs, "DATUM", 0);
    return datum != NULL && strstr(datum, "China_2000") != NULL;
}

/* The error for coordinates a layer's CRS cannot hold: most often metres labelled as degrees. */
static gp_status crs_mismatch(gp_context *ctx, const char *label, OGRSpatialReferenceH srs,
                              const char *what, double x, double y)
{
    return gp_error(ctx, GP_ERR_CRS,
                    "%s: the layer's CRS '%s' says its coordinates are %s, but %s is (%g, %g): "
                    "is the CRS the layer's own? (assign the right one, e.g. ogr2ogr -a_srs "
                    "EPSG:32650)",
                    label, OSRGetName(srs) ? OSRGetName(srs) : "?",
                    OSRIsGeographic(srs) ? "longitude/latitude degrees"
                                         : "metres convertible to longitude/latitude",
                    what, x, y);
}

gp_status gp_crs_check_extent(gp_context *ctx, const char *label, OGRSpatialReferenceH srs,
                              double minx, double miny, double maxx, double maxy)
{
    /* Degrees: longitudes within [-180, 360] (some data counts east from 0), latitudes within
     * [-90, 90], a little rounding allowed. A projected CRS is checked by projecting. */
    if (!OSRIsGeographic(srs)) {
        return GP_OK;
    }
    const double e = 1e-6;
    if (!(minx >= -180.0 - e && maxx <= 360.0 + e)) {
        return crs_mismatch(ctx, label, srs, "its extent in x", minx, maxx);
    }
    if (!(miny >= -90.0 - e && maxy <= 90.0 + e)) {
        return crs_mismatch(ctx, label, srs, "its extent in y", miny, maxy);
    }
    return GP_OK;
}

gp_status gp_crs_choose(gp_context *ctx, const char *label, OGRSpatialReferenceH srs,
                        double minx, double miny, double maxx, double maxy, const char *user,
                        OGRSpatialReferenceH *out)
{
    gp_status st = GP_OK;
    OGRSpatialReferenceH work = NULL, wgs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    *out = NULL;
    gp_gdal_push_errors(ctx);
    if (user != NULL && user[0] != '\0') {
        work = OSRNewSpatialReference(NULL);
        if (work == NULL || OSRSetFromUserInput(work, user) != OGRERR_NONE) {
            st = gp_error(ctx, GP_ERR_CRS, "working CRS '%s' is not a CRS GDAL knows", user);
            goto done;
        }
        if (!OSRIsProjected(work) || fabs(OSRGetLinearUnits(work, NULL) - 1.0) > 1e-9) {
            st = gp_error(ctx, GP_ERR_CRS, "working CRS '%s' is not projected in metres", user);
            goto done;
        }
        goto done;
    }
    if (OSRIsProjected(srs) && fabs(OSRGetLinearUnits(srs, NULL) - 1.0) < 1e-9) {
        work = OSRClone(srs);
        goto done;
    }
    /* Centre of the data in longitude/latitude picks the zone. */
    double cx = 0.5 * (minx + maxx), cy = 0.5 * (miny + maxy);
    double lon = cx, lat = cy;
    int cgcs = OSRIsGeographic(srs) && is_cgcs2000(srs);
    if (!OSRIsGeographic(srs)) {
        wgs = srs_epsg(4326);
        OGRSpatialReferenceH src = OSRClone(srs);
        if (src != NULL) {
            OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        }
        ct = wgs && src ? OCTNewCoordinateTransformation(src, wgs) : NULL;
        OSRRelease(src);
        if (ct == NULL || !OCTTransform(ct, 1, &lon, &lat, NULL)) {
            st = gp_error(ctx, GP_ERR_CRS,
                          "%s: cannot find the longitude/latitude of the layer's centre in its "
                          "CRS '%s'%s%s",
                          label, OSRGetName(srs) ? OSRGetName(srs) : "?",
                          ctx->engine_error[0] ? ": " : "", ctx->engine_error);
            goto done;
        }
    }
    if (!(lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0)) {
        st = crs_mismatch(ctx, label, srs, "the centre of its extent", cx, cy);
        goto done;
    }
    int code;
    if (cgcs && lon >= 73.5 && lon <= 136.5) {
        /* CGCS2000 / 3-degree Gauss-Kruger CM 75E .. 135E are EPSG:4534 .. 4554. */
        int k = (int)lround((lon - 75.0) / 3.0);
        k = k < 0 ? 0 : (k > 20 ? 20 : k);
        code = 4534 + k;
    } else {
        int zone = (int)floor((lon + 180.0) / 6.0) + 1;
        zone = zone < 1 ? 1 : (zone > 60 ? 60 : zone);
        code = (lat >= 0 ? 32600 : 32700) + zone;
    }
    work = srs_epsg(code);
    if (work == NULL) {
        st = gp_error(ctx, GP_ERR_CRS, "cannot create working CRS EPSG:%d%s%s", code,
                      ctx->engine_error[0] ? ": " : "", ctx->engine_error);
        goto done;
    }
done:
    gp_gdal_pop_errors(ctx);
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    if (wgs != NULL) {
        OSRRelease(wgs);
    }
    if (st != GP_OK && work != NULL) {
        OSRRelease(work);
        work = NULL;
    }
    if (work != NULL) {
        OSRSetAxisMappingStrategy(work, OAMS_TRADITIONAL_GIS_ORDER);
    }
    *out = work;
    return st;
}

gp_status gp_transform_new(gp_context *ctx, const char *from_wkt, const char *to_wkt,
                           OGRCoordinateTransformationH *out)
{
    gp_status st = GP_OK;
    OGRSpatialReferenceH a = NULL, b = NULL;
    *out = NULL;
    gp_gdal_push_errors(ctx);
    a = OSRNewSpatialReference(from_wkt);
    b = OSRNewSpatialReference(to_wkt);
    if (a == NULL || b == NULL) {
        st = gp_error(ctx, GP_ERR_CRS, "cannot read a CRS definition");
        goto done;
    }
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
    if (OSRIsSame(a, b)) {
        goto done;
    }
    *out = OCTNewCoordinateTransformation(a, b);
    if (*out == NULL) {
        st = gp_error(ctx, GP_ERR_CRS, "no transformation between the CRSs%s%s",
                      ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
done:
    gp_gdal_pop_errors(ctx);
    if (a != NULL) {
        OSRRelease(a);
    }
    if (b != NULL) {
        OSRRelease(b);
    }
    return st;
}

gp_status gp_transform_geos(gp_context *ctx, OGRCoordinateTransformationH ct,
                            const GEOSGeometry *in, GEOSGeometry **out)
{
    gp_status st = GP_OK;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    unsigned char *wkb = NULL, *wkb2 = NULL;
    GEOSWKBWriter *w = NULL;
    GEOSWKBReader *r = NULL;
    OGRGeometryH g = NULL;
    *out = NULL;
    if (h == NULL) {
        return GP_ERR_NOMEM;
    }
    if (ct == NULL) {
        *out = GEOSGeom_clone_r(h, in);
        return *out ? GP_OK : gp_error(ctx, GP_ERR_GEOMETRY, "cannot copy a geometry");
    }
    gp_gdal_push_errors(ctx);
    size_t n = 0;
    w = GEOSWKBWriter_create_r(h);
    r = GEOSWKBReader_create_r(h);
    wkb = w ? GEOSWKBWriter_write_r(h, w, in, &n) : NULL;
    if (wkb == NULL || r == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot encode a geometry");
        goto done;
    }
    if (OGR_G_CreateFromWkb(wkb, NULL, &g, (int)n) != OGRERR_NONE ||
        OGR_G_Transform(g, ct) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_CRS, "cannot transform a geometry%s%s",
                      ctx->engine_error[0] ? ": " : "", ctx->engine_error);
        goto done;
    }
    size_t n2 = (size_t)OGR_G_WkbSize(g);
    wkb2 = gp_malloc(n2);
    if (wkb2 == NULL) {
        st = gp_error_nomem(ctx, "a geometry");
        goto done;
    }
    OGR_G_ExportToWkb(g, wkbNDR, wkb2);
    *out = GEOSWKBReader_read_r(h, r, wkb2, n2);
    if (*out == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot decode a transformed geometry");
    }
done:
    gp_gdal_pop_errors(ctx);
    if (g != NULL) {
        OGR_G_DestroyGeometry(g);
    }
    gp_free(wkb2);
    if (wkb != NULL) {
        GEOSFree_r(h, wkb);
    }
    if (w != NULL) {
        GEOSWKBWriter_destroy_r(h, w);
    }
    if (r != NULL) {
        GEOSWKBReader_destroy_r(h, r);
    }
    return st;
}

char *gp_crs_describe(const char *wkt)
{
    OGRSpatialReferenceH s = wkt ? OSRNewSpatialReference(wkt) : NULL;
    if (s == NULL) {
        return NULL;
    }
    const char *name = OSRGetName(s);
    const char *auth = OSRGetAuthorityName(s, NULL);
    const char *code = OSRGetAuthorityCode(s, NULL);
    char text[512];
    if (auth != NULL && code != NULL) {
        snprintf(text, sizeof text, "%s:%s (%s)", auth, code, name ? name : "unnamed");
    } else {
        snprintf(text, sizeof text, "%s", name ? name : "unnamed");
    }
    OSRRelease(s);
    return gp_strdup(text);
}
