/* SPDX-License-Identifier: MIT */
/** @file dataset.c Read the input layers with OGR, project them, repair geometries, index them. */

#include "dataset.h"
#include "canonical.h"
#include "featgeom.h"
#include "hits.h"
#include "wkbbox.h"
#include "loads.h"
#include "overlaps.h"
#include "select.h"

#include "crs.h"
#include "io/layer.h"
#include "graph/graph.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { KIND_POLY, KIND_LINE, KIND_HOUSE };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Default cut costs by OSM highway class: arterials are cheap grid borders, alleys dear. */
static const char *const DEFAULT_CLASS[] = {
    "motorway",     "trunk",         "primary", "secondary",  "tertiary", "residential",
    "unclassified", "living_street", "service", "pedestrian", "footway",  "path"};
static const double DEFAULT_COST[] = {0.2, 0.2, 0.2, 0.4, 0.6, 1.0, 1.0, 1.2, 1.5, 1.8, 2.0, 2.0};

/* Reading state shared by the layer readers. */
typedef struct reader {
    gp_context *ctx;
    GEOSContextHandle_t h;
    GEOSWKBReader *wkb_in;
    GEOSWKBWriter *wkb_out;
    gp_dataset *ds;
    const gp_dataset_inputs *in;
    gp_layer_notes *notes; /* of the layer being read */
    int64_t ticks, total;  /* features handled so far, and expected in all (progress) */
    const gp_selection *part; /* a part of the input: what is read near it; NULL: the whole */
} reader;

/* One more feature handled: every 256, progress (read is the first 5% of a run), which lets
 * a cancel (Ctrl-C in the CLI) stop reading a large layer within a fraction of a second. */
static gp_status read_tick(reader *r)
{
    if (++r->ticks % 256 != 0) {
        return GP_OK;
    }
    double f = r->total > 0 ? (double)r->ticks / (double)r->total : 0.0;
    return gp_progress(r->ctx, 0.05 * (f < 1.0 ? f : 1.0), "read");
}

static gp_status grow(gp_context *ctx, void **p, size_t need, size_t *cap, size_t elem)
{
    if (need <= *cap) {
        return GP_OK;
    }
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need) {
        n *= 2;
    }
    void *q = gp_reallocarray(*p, n, elem);
    if (q == NULL) {
        return gp_error_nomem(ctx, "feature arrays");
    }
    *p = q;
    return GP_OK;
}

static gp_status add_fid(gp_context *ctx, int64_t **list, int64_t *n, int64_t fid)
{
    int64_t *q = gp_reallocarray(*list, (size_t)*n + 1, sizeof *q);
    if (q == NULL) {
        return gp_error_nomem(ctx, "a feature id list");
    }
    q[(*n)++] = fid;
    *list = q;
    return GP_OK;
}

/* A message about layer l without its leading "label: " (the summary names the layer once). */
static const char *without_label(const char *message, const gp_layer *l)
{
    size_t n = strlen(l->label);
    return strncmp(message, l->label, n) == 0 && message[n] == ':' && message[n + 1] == ' '
               ? message + n + 2
               : message;
}

/* Count a feature in a notes list, keeping the first GP_FID_KEEP ids and the first reason. */
static gp_status note_fid(gp_context *ctx, int64_t **list, int64_t *n, char *why, size_t why_size,
                          int64_t fid, const char *reason)
{
    if (*n == 0) {
        size_t len = strlen(reason) < why_size - 1 ? strlen(reason) : why_size - 1;
        memcpy(why, reason, len); /* the start of a message names the feature at fault */
        why[len] = '\0';
    }
    if (*n >= GP_FID_KEEP) {
        (*n)++;
        return GP_OK;
    }
    return add_fid(ctx, list, n, fid);
}

/* How the features of layer l, of kind `kind` (KIND_*), are read (featgeom.h). */
static gp_feature_source feature_source(const gp_layer *l, int kind,
                                        OGRCoordinateTransformationH ct)
{
    gp_feature_source src = {l->label, ct, GP_GEOM_POLYGONAL, "polygon"};
    if (kind == KIND_LINE) {
        src.types = GP_GEOM_LINEAL;
        src.expected = "line";
    } else if (kind == KIND_HOUSE) {
        src.types = GP_GEOM_POLYGONAL | GP_GEOM_PUNTAL;
        src.expected = "point or polygon";
    }
    return src;
}

/*
 * The feature's geometry in the working CRS as a valid GEOS geometry of the kind wanted
 * (gp_feature_geometry), a repair counted in the layer's notes. On GP_ERR_INPUT the message
 * names the feature; the caller decides to fail or to skip it.
 */
static gp_status feature_geometry(reader *r, const gp_layer *l, OGRFeatureH f, int kind,
                                  OGRCoordinateTransformationH ct, GEOSGeometry **out)
{
    gp_feature_source src = feature_source(l, kind, ct);
    gp_layer_notes *nt = r->notes;
    char why[sizeof nt->repaired_why];
    gp_status st = gp_feature_geometry(r->ctx, r->h, r->wkb_in, &src, f, out, why, sizeof why);
    if (st == GP_OK && why[0] != '\0') {
        r->ds->n_repaired++;
        st = note_fid(r->ctx, &nt->repaired_fid, &nt->n_repaired, nt->repaired_why,
                      sizeof nt->repaired_why, (int64_t)OGR_F_GetFID(f), why);
    }
    if (st != GP_OK && *out != NULL) {
        GEOSGeom_destroy_r(r->h, *out);
        *out = NULL;
    }
    return st;
}

static gp_status to_wkb(reader *r, const GEOSGeometry *g, gp_wkb *out)
{
    return gp_geos_to_wkb(r->ctx, r->h, r->wkb_out, g, &out->data, &out->size, "a WKB geometry");
}

/* Whether OGR alone can vouch for a line: a line string of two points or more, or a
 * multi line string none of whose parts has exactly one (GEOS refuses those). */
static int plain_lines(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbLineString) {
        return OGR_G_GetPointCount(g) >= 2;
    }
    if (t != wkbMultiLineString) {
        return 0;
    }
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        if (OGR_G_GetPointCount(OGR_G_GetGeometryRef(g, i)) == 1) {
            return 0;
        }
    }
    return 1;
}

/*
 * A street or barrier line as feature_geometry and to_wkb make it, but straight from OGR's
 * WKB (2D, little-endian: the bytes GEOS writes) when plain_lines vouches for it: the GEOS
 * round trip, a third of reading a street layer, only for curves, one-point parts and other
 * types, which then fail or pass with feature_geometry's messages.
 */
static gp_status line_wkb(reader *r, const gp_layer *l, OGRFeatureH f,
                          OGRCoordinateTransformationH ct, gp_wkb *out)
{
    out->data = NULL;
    out->size = 0;
    OGRGeometryH from = OGR_F_GetGeometryRef(f);
    if (from == NULL || OGR_G_IsEmpty(from) || !plain_lines(from)) {
        GEOSGeometry *g = NULL;
        gp_status st = feature_geometry(r, l, f, KIND_LINE, ct, &g);
        if (st == GP_OK) {
            st = to_wkb(r, g, out);
        }
        if (g != NULL) {
            GEOSGeom_destroy_r(r->h, g);
        }
        return st;
    }
    OGRGeometryH g = OGR_F_StealGeometry(f); /* the feature is dropped next: no copy */
    if (g == NULL) {
        return gp_error_nomem(r->ctx, "a feature geometry");
    }
    gp_feature_source line = feature_source(l, KIND_LINE, ct);
    gp_status st = gp_feature_flat_projected(r->ctx, &line, (int64_t)OGR_F_GetFID(f), g);
    size_t n = st == GP_OK ? (size_t)OGR_G_WkbSize(g) : 0;
    out->data = st == GP_OK ? gp_malloc(n) : NULL;
    if (st == GP_OK && out->data == NULL) {
        st = gp_error_nomem(r->ctx, "a WKB geometry");
    }
    if (st == GP_OK) {
        OGR_G_ExportToWkb(g, wkbNDR, out->data);
        out->size = n;
    }
    OGR_G_DestroyGeometry(g);
    return st;
}

static int32_t class_index(gp_dataset *ds, const char *name, gp_status *st, gp_context *ctx)
{
    for (int32_t i = 0; i < ds->n_classes; i++) {
        if (strcmp(ds->class_name[i], name) == 0) {
            return i;
        }
    }
    char **names = gp_reallocarray(ds->class_name, (size_t)ds->n_classes + 1, sizeof *names);
    if (names == NULL) {
        *st = gp_error_nomem(ctx, "street classes");
        return GP_CLASS_NONE;
    }
    ds->class_name = names;
    names[ds->n_classes] = gp_strdup(name);
    if (names[ds->n_classes] == NULL) {
        *st = gp_error_nomem(ctx, "street classes");
        return GP_CLASS_NONE;
    }
    return ds->n_classes++;
}

/* A household count: a whole number in [0, GP_HOUSEHOLDS_LIMIT]; otherwise GP_ERR_INPUT (or
 * GP_ERR_LIMIT above the limit) naming the layer, feature, field and what is wrong. */
static gp_status read_count(gp_context *ctx, const gp_layer *l, OGRFeatureH f, int field,
                            const char *name, int64_t *out)
{
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    if (field < 0) {
        *out = 1;
        return GP_OK;
    }
    if (!OGR_F_IsFieldSetAndNotNull(f, field)) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": field '%s': count is null",
                        l->label, fid, name);
    }
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field));
    const char *text = OGR_F_GetFieldAsString(f, field);
    int64_t n = 0;
    if (t == OFTInteger || t == OFTInteger64) {
        n = (int64_t)OGR_F_GetFieldAsInteger64(f, field);
    } else {
        char *end = NULL;
        double v = strtod(text, &end);
        if (end == text || *end != '\0' || isnan(v)) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: feature %" PRId64 ": field '%s': count '%s' is not a number",
                            l->label, fid, name, text);
        }
        if (isinf(v)) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: feature %" PRId64 ": field '%s': count '%s' is not finite",
                            l->label, fid, name, text);
        }
        if (v != floor(v)) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: feature %" PRId64 ": field '%s': count %s is not a whole number",
                            l->label, fid, name, text);
        }
        if (v < 0 || v > (double)GP_HOUSEHOLDS_LIMIT) {
            n = v < 0 ? -1 : GP_HOUSEHOLDS_LIMIT + 1; /* reported below, with the text */
        } else {
            n = (int64_t)v;
        }
    }
    if (n < 0) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64 ": field '%s': count %s is negative", l->label, fid,
                        name, text);
    }
    if (n > GP_HOUSEHOLDS_LIMIT) {
        return gp_error(ctx, GP_ERR_LIMIT,
                        "%s: feature %" PRId64
                        ": field '%s': count %s is above the limit of "
                        "%" PRId64 " households per feature (a wrong field or unit?)",
                        l->label, fid, name, text, GP_HOUSEHOLDS_LIMIT);
    }
    *out = n;
    return GP_OK;
}

/* Without a count field every household feature counts as one. When the layer has a field
 * whose name says it holds households, that was probably meant: its name, for a warning. */
static gp_status find_count_hint(gp_context *ctx, const gp_layer *l, gp_dataset *ds)
{
    static const char *const contains[] = {"househ", "count", "\xe6\x88\xb7"}; /* 户 */
    static const char *const exact[] = {"hh", "n_hh", "num_hh", "hh_count", "hu", "units",
                                        "dwellings", "pop_hh"};
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l->layer);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        OGRFieldType t = OGR_Fld_GetType(fd);
        if (t != OFTInteger && t != OFTInteger64 && t != OFTReal && t != OFTString) {
            continue;
        }
        char lower[128];
        const char *name = OGR_Fld_GetNameRef(fd);
        size_t n = 0;
        for (; name[n] && n + 1 < sizeof lower; n++) {
            lower[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] - 'A' + 'a' : name[n]);
        }
        lower[n] = '\0';
        int hit = 0;
        for (size_t k = 0; k < sizeof contains / sizeof contains[0]; k++) {
            hit |= strstr(lower, contains[k]) != NULL;
        }
        for (size_t k = 0; k < sizeof exact / sizeof exact[0]; k++) {
            hit |= strcmp(lower, exact[k]) == 0;
        }
        if (hit) {
            ds->count_field_hint = gp_strdup(name);
            return ds->count_field_hint ? GP_OK : gp_error_nomem(ctx, "a field name");
        }
    }
    return GP_OK;
}

/* Household features that repeat another exactly (same point, same count): a layer loaded
 * twice, or in part, counts households twice. Canonical order puts them side by side; in each
 * run of equals the lowest feature id is the original, the others its repeats. */
static gp_status find_duplicates(gp_context *ctx, gp_dataset *ds)
{
    int64_t n = ds->n_households;
    for (int64_t a = 0; a < n;) {
        int64_t b = a + 1, low = a;
        while (b < n && ds->hh_x[b] == ds->hh_x[a] && ds->hh_y[b] == ds->hh_y[a] &&
               ds->hh_count[b] == ds->hh_count[a]) {
            low = ds->hh_fid[b] < ds->hh_fid[low] ? b : low;
            b++;
        }
        for (int64_t i = a; i < b; i++) {
            if (i == low) {
                continue;
            }
            if (ds->n_duplicates == 0) {
                ds->duplicate_of[0] = ds->hh_fid[i];
                ds->duplicate_of[1] = ds->hh_fid[low];
            }
            if (ds->n_duplicates >= GP_FID_KEEP) {
                ds->n_duplicates++;
            } else if (add_fid(ctx, &ds->duplicate_fid, &ds->n_duplicates, ds->hh_fid[i]) !=
                       GP_OK) {
                return GP_ERR_NOMEM;
            }
        }
        a = b;
    }
    gp_fid_sort(ds->duplicate_fid, ds->n_duplicates < GP_FID_KEEP ? ds->n_duplicates : GP_FID_KEEP);
    return GP_OK;
}

/*
 * A community wider or taller than GP_COMMUNITY_MAX_EXTENT (dataset.h says why that bound) is a
 * coordinate error, reported before any work is spent on it: GP_ERR_INPUT naming the layer,
 * feature, community and extent. g is in the working CRS (metres).
 */
static gp_status check_community_extent(reader *r, const gp_layer *l, int64_t fid, const char *id,
                                        const GEOSGeometry *g)
{
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    if (!GEOSGeom_getXMin_r(r->h, g, &x0) || !GEOSGeom_getYMin_r(r->h, g, &y0) ||
        !GEOSGeom_getXMax_r(r->h, g, &x1) || !GEOSGeom_getYMax_r(r->h, g, &y1)) {
        return gp_error(r->ctx, GP_ERR_GEOMETRY, "%s: feature %" PRId64 ": no extent: %s", l->label,
                        fid, r->ctx->engine_error);
    }
    double w = x1 - x0, hgt = y1 - y0;
    if (w <= GP_COMMUNITY_MAX_EXTENT && hgt <= GP_COMMUNITY_MAX_EXTENT) {
        return GP_OK;
    }
    return gp_error(r->ctx, GP_ERR_INPUT,
                    "%s: feature %" PRId64
                    ": community '%s' spans %.0f x %.0f km, more than any community "
                    "(%.0f km): likely coordinate error (a mistyped or swapped "
                    "coordinate, a lost minus sign, or a wrong CRS)",
                    l->label, fid, id, w / 1000.0, hgt / 1000.0, GP_COMMUNITY_MAX_EXTENT / 1000.0);
}

/*
 * Communities in a geographic CRS lie within the degrees gp_crs_check_extent accepts
 * (longitude -180 to 360, latitude -90 to 90). When some do and others do not, the layer's CRS
 * is right and those others hold a coordinate error: the first is named here (layer, feature,
 * community id, extent) before the working CRS is chosen from the layer's extent, which it
 * would spoil. When none does, the CRS itself is wrong: gp_crs_check_extent says so.
 */
static gp_status check_lonlat_extent(reader *r, const gp_layer *l)
{
    int field = -1;
    int64_t n_in = 0, bad_fid = -1;
    char bad_id[128] = "";
    OGREnvelope bad = {0};
    const double eps = 1e-6;
    gp_status st = gp_layer_field(r->ctx, l, r->in->id_field, &field);
    if (st != GP_OK) {
        return st;
    }
    gp_gdal_push_errors(r->ctx);
    OGR_L_ResetReading(l->layer);
    for (OGRFeatureH f; (f = OGR_L_GetNextFeature(l->layer)) != NULL;) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGREnvelope e;
        if (g != NULL && !OGR_G_IsEmpty(g)) {
            OGR_G_GetEnvelope(g, &e);
            if (e.MinX >= -180.0 - eps && e.MaxX <= 360.0 + eps && e.MinY >= -90.0 - eps &&
                e.MaxY <= 90.0 + eps) {
                n_in++;
            } else if (bad_fid < 0) {
                bad_fid = (int64_t)OGR_F_GetFID(f);
                bad = e;
                const char *id =
                    OGR_F_IsFieldSetAndNotNull(f, field) ? OGR_F_GetFieldAsString(f, field) : "";
                snprintf(bad_id, sizeof bad_id, "%s", id);
            }
        }
        OGR_F_Destroy(f);
    }
    gp_gdal_pop_errors(r->ctx);
    if (bad_fid < 0 || n_in == 0) {
        return GP_OK;
    }
    return gp_error(r->ctx, GP_ERR_INPUT,
                    "%s: feature %" PRId64
                    ": community '%s' spans longitude %g to %g and latitude %g to %g, beyond the "
                    "degrees of the layer's CRS that the other communities keep: likely "
                    "coordinate error (a mistyped or swapped coordinate)",
                    l->label, bad_fid, bad_id, bad.MinX, bad.MaxX, bad.MinY, bad.MaxY);
}

/* Whether the inputs select a part of the communities (select.h). */
static int in_part(const gp_dataset_inputs *in)
{
    return in->n_only > 0 || in->bbox != NULL;
}

/* read_layer's state: the layer, the field it reads, and the feature being read. */
typedef struct layer_read {
    reader *r;
    const gp_layer *l;
    int kind, is_barrier;
    OGRCoordinateTransformationH ct; /* into the working CRS (NULL: already in it) */
    const char *fname;               /* the id, count or class field; NULL: none */
    int field;                       /* its index, -1 without it */
    int *widx;                       /* households: the weight fields' indices */
    size_t cap;                      /* of the dataset's arrays this layer grows */
    OGRFeatureH f;                   /* the feature being read */
    int64_t fid;                     /* its id */
    GEOSGeometry *g;                 /* its geometry (communities, households) */
    gp_wkb line;                     /* a line read, until the dataset holds it */
} layer_read;

/* The feature and its geometry, destroyed (where there are any). */
static void drop_feature(layer_read *lr)
{
    if (lr->g != NULL) {
        GEOSGeom_destroy_r(lr->r->h, lr->g);
        lr->g = NULL;
    }
    if (lr->f != NULL) {
        OGR_F_Destroy(lr->f);
        lr->f = NULL;
    }
}

/* The field of the layer's kind (the id, the count or the class), or without a count field
 * the households' count hint; and the households' weight fields. */
static gp_status layer_fields(layer_read *lr)
{
    reader *r = lr->r;
    gp_status st = GP_OK;
    if (lr->fname != NULL) {
        st = gp_layer_field(r->ctx, lr->l, lr->fname, &lr->field);
        if (st != GP_OK) {
            return st;
        }
    } else if (lr->kind == KIND_HOUSE && (st = find_count_hint(r->ctx, lr->l, r->ds)) != GP_OK) {
        return st;
    }
    if (lr->kind == KIND_HOUSE &&
        (st = gp_weights_fields(r->ctx, lr->l, r->in, &lr->widx)) != GP_OK) {
        return st;
    }
    return GP_OK;
}

/* Unusable lines and (on request) households are skipped and reported, not fatal: one summary
 * per layer (gp_layer_notes), not a line per feature. The context's error says why; the
 * feature is dropped. */
static gp_status skip_feature(layer_read *lr)
{
    gp_context *ctx = lr->r->ctx;
    gp_dataset *ds = lr->r->ds;
    char reason[GP_MESSAGE_MAX];
    snprintf(reason, sizeof reason, "%s", without_label(gp_context_last_error(ctx), lr->l));
    gp_log(ctx, GP_LOG_DEBUG, "%s (skipped)", reason);
    gp_context_clear_error(ctx);
    gp_layer_notes *nt = lr->r->notes;
    gp_status st = note_fid(ctx, &nt->skipped_fid, &nt->n_skipped, nt->skipped_why,
                            sizeof nt->skipped_why, lr->fid, reason);
    if (lr->kind == KIND_LINE) {
        ds->n_streets_unused++;
    } else if (st == GP_OK) {
        st = add_fid(ctx, &ds->skipped_fid, &ds->n_skipped, lr->fid);
    }
    drop_feature(lr);
    return st;
}

/* A community: its id (set, not blank, not repeated), its extent, its geometry as WKB. */
static gp_status store_community(layer_read *lr)
{
    gp_context *ctx = lr->r->ctx;
    gp_dataset *ds = lr->r->ds;
    const gp_layer *l = lr->l;
    int64_t fid = lr->fid;
    gp_status st = GP_OK;
    size_t i = (size_t)ds->n_communities;
    size_t c0 = lr->cap;
    if ((st = grow(ctx, (void **)&ds->community_id, i + 1, &c0, sizeof(char *))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->community_fid, i + 1, &c0, sizeof(int64_t))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->community_wkb, i + 1, &c0, sizeof(gp_wkb)))) {
        return st;
    }
    lr->cap = c0;
    ds->community_id[i] = NULL;
    ds->community_wkb[i].data = NULL;
    ds->n_communities++;
    ds->community_fid[i] = fid;
    if (!OGR_F_IsFieldSetAndNotNull(lr->f, lr->field)) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": field '%s': id is null",
                        l->label, fid, lr->fname);
    }
    ds->community_id[i] = gp_strdup(OGR_F_GetFieldAsString(lr->f, lr->field));
    if (ds->community_id[i] == NULL) {
        return gp_error_nomem(ctx, "a community id");
    }
    /* The id starts every grid code of the community: it must say something. */
    const char *id = ds->community_id[i];
    size_t blanks = strspn(id, " \t\r\n");
    if (id[blanks] == '\0') {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64 ": field '%s': id is %s; grid codes start with it",
                        l->label, fid, lr->fname, *id ? "blank (spaces only)" : "empty");
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(ds->community_id[j], ds->community_id[i]) == 0) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: feature %" PRId64 ": field '%s': id '%s' repeats feature %" PRId64,
                            l->label, fid, lr->fname, ds->community_id[i], ds->community_fid[j]);
        }
    }
    st = check_community_extent(lr->r, l, fid, ds->community_id[i], lr->g);
    if (st != GP_OK) {
        return st;
    }
    return to_wkb(lr->r, lr->g, &ds->community_wkb[i]);
}

/* A street (with its class) or a barrier line, its WKB handed to the dataset. */
static gp_status store_line(layer_read *lr)
{
    gp_context *ctx = lr->r->ctx;
    gp_dataset *ds = lr->r->ds;
    int is_barrier = lr->is_barrier;
    gp_status st = GP_OK;
    int32_t *n = is_barrier ? &ds->n_barriers : &ds->n_streets;
    gp_wkb **w = is_barrier ? &ds->barrier_wkb : &ds->street_wkb;
    int64_t **fids = is_barrier ? &ds->barrier_fid : &ds->street_fid;
    size_t i = (size_t)*n, c0 = lr->cap;
    if ((st = grow(ctx, (void **)w, i + 1, &c0, sizeof(gp_wkb))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)fids, i + 1, &c0, sizeof(int64_t))) ||
        (!is_barrier &&
         (c0 = lr->cap, st = grow(ctx, (void **)&ds->street_class, i + 1, &c0, sizeof(int32_t))))) {
        return st;
    }
    lr->cap = c0;
    (*w)[i].data = NULL;
    (*n)++;
    (*fids)[i] = lr->fid;
    if (!is_barrier) {
        ds->street_class[i] = GP_CLASS_NONE;
        if (lr->field >= 0 && OGR_F_IsFieldSetAndNotNull(lr->f, lr->field)) {
            ds->street_class[i] =
                class_index(ds, OGR_F_GetFieldAsString(lr->f, lr->field), &st, ctx);
            if (st != GP_OK) {
                return st;
            }
        }
    }
    (*w)[i] = lr->line;
    lr->line.data = NULL;
    return GP_OK;
}

/* A household feature: its count (skipped when bad, on request), workload and representative
 * point; the layer's households must stay countable. */
static gp_status store_household(layer_read *lr)
{
    reader *r = lr->r;
    gp_context *ctx = r->ctx;
    gp_dataset *ds = r->ds;
    GEOSContextHandle_t h = r->h;
    const gp_layer *l = lr->l;
    int64_t fid = lr->fid;
    int64_t count = 0;
    gp_status st = read_count(ctx, l, lr->f, lr->field, lr->fname, &count);
    if (st != GP_OK && r->in->skip_bad_counts) {
        return skip_feature(lr);
    }
    double work = 0;
    if (st != GP_OK || (st = gp_weights_value(ctx, l, lr->f, r->in, lr->widx, &work)) != GP_OK) {
        return st;
    }
    GEOSGeometry *p = GEOSPointOnSurface_r(h, lr->g);
    double x = 0, y = 0;
    if (p == NULL || GEOSGeomGetX_r(h, p, &x) != 1 || GEOSGeomGetY_r(h, p, &y) != 1) {
        if (p != NULL) {
            GEOSGeom_destroy_r(h, p);
        }
        return gp_error(ctx, GP_ERR_GEOMETRY,
                        "%s: feature %" PRId64 ": no representative point: %s", l->label, fid,
                        ctx->engine_error);
    }
    GEOSGeom_destroy_r(h, p);
    size_t i = (size_t)ds->n_households, c0 = lr->cap;
    if ((st = grow(ctx, (void **)&ds->hh_fid, i + 1, &c0, sizeof(int64_t))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->hh_count, i + 1, &c0, sizeof(int64_t))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->hh_x, i + 1, &c0, sizeof(double))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->hh_y, i + 1, &c0, sizeof(double))) ||
        (c0 = lr->cap, st = grow(ctx, (void **)&ds->hh_workload, i + 1, &c0, sizeof(double)))) {
        return st;
    }
    lr->cap = c0;
    ds->hh_workload[i] = (double)count + work;
    ds->hh_fid[i] = fid;
    ds->hh_count[i] = count;
    ds->hh_x[i] = x;
    ds->hh_y[i] = y;
    ds->n_households++;
    if (ds->households_read > (int64_t)1 << 62) {
        return gp_error(ctx, GP_ERR_LIMIT,
                        "%s: feature %" PRId64
                        ": the households of the layer add up to more than "
                        "%" PRId64 ", more than gridpart can count",
                        l->label, fid, (int64_t)1 << 62);
    }
    ds->households_read += count;
    return GP_OK;
}

/* One feature: progress, its geometry in the working CRS, then what its kind stores; GP_OK
 * also when it is skipped (and then dropped). */
static gp_status read_feature(layer_read *lr)
{
    reader *r = lr->r;
    lr->fid = (int64_t)OGR_F_GetFID(lr->f);
    gp_status st = read_tick(r);
    if (st != GP_OK) {
        return st;
    }
    double t0 = now();
    st = lr->kind == KIND_LINE ? line_wkb(r, lr->l, lr->f, lr->ct, &lr->line)
                               : feature_geometry(r, lr->l, lr->f, lr->kind, lr->ct, &lr->g);
    r->ds->seconds_project += now() - t0;
    if (st == GP_ERR_INPUT &&
        (lr->kind == KIND_LINE || (lr->kind == KIND_HOUSE && r->in->skip_bad_counts))) {
        return skip_feature(lr);
    }
    if (st != GP_OK) {
        return st;
    }
    return lr->kind == KIND_POLY   ? store_community(lr)
           : lr->kind == KIND_LINE ? store_line(lr)
                                   : store_household(lr);
}

/* Whether feature f lies near a selected community of a part run (select.h): its envelope
 * meets one of their boxes; a feature without a geometry is left to read_feature to judge. */
static int near_part(const gp_select_boxes *keep, OGRFeatureH f)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (keep == NULL || g == NULL || OGR_G_IsEmpty(g)) {
        return 1;
    }
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    return gp_select_boxes_meet(keep, &e);
}

/* Read one layer of the given kind into the dataset. */
static gp_status read_layer(reader *r, const gp_layer *l, int kind, int is_barrier,
                            OGRCoordinateTransformationH ct)
{
    int role = kind == KIND_POLY    ? GP_ROLE_COMMUNITIES
               : kind == KIND_HOUSE ? GP_ROLE_HOUSEHOLDS
               : is_barrier         ? GP_ROLE_BARRIERS
                                    : GP_ROLE_STREETS;
    r->notes = &r->ds->notes[role];
    const gp_select_boxes *keep = r->part != NULL ? &r->part->keep[role] : NULL;
    gp_dataset *ds = r->ds;
    layer_read lr = {.r = r, .l = l, .kind = kind, .is_barrier = is_barrier, .ct = ct};
    lr.fname = kind == KIND_POLY    ? r->in->id_field
               : kind == KIND_HOUSE ? r->in->count_field
               : is_barrier         ? NULL
                                    : r->in->class_field;
    lr.field = -1;
    int64_t n_features = 0;
    gp_status st = layer_fields(&lr);
    if (st != GP_OK) {
        goto done;
    }
    OGR_L_ResetReading(l->layer);
    for (;;) {
        double t0 = now();
        lr.f = OGR_L_GetNextFeature(l->layer);
        ds->seconds_read += now() - t0;
        if (lr.f == NULL) {
            break;
        }
        if (!near_part(keep, lr.f)) {
            drop_feature(&lr);
            if ((st = read_tick(r)) != GP_OK) {
                goto done;
            }
            continue;
        }
        n_features++;
        if ((st = read_feature(&lr)) != GP_OK) {
            goto done;
        }
        drop_feature(&lr); /* a skipped one is dropped already */
    }
    /* A part of the input (select.h) may hold no street or household near its communities. */
    if (n_features == 0 && !is_barrier && (kind == KIND_POLY || !in_part(r->in))) {
        st = gp_error(r->ctx, GP_ERR_INPUT, "%s: the layer is empty", l->label);
    }
done:
    ds->features_read[r->notes - ds->notes] += n_features;
    gp_free(lr.line.data);
    gp_free(lr.widx);
    drop_feature(&lr);
    return st;
}

/* What the steps of index_lines share: the communities' envelopes and their grid, the
 * (community, line) pairs found, and the CSR lists made of them. */
typedef struct line_index {
    reader *r;
    int32_t nc;        /* communities */
    double (*cbox)[4]; /* each community's envelope, NaN when it meets nothing */
    int32_t *hits;     /* the communities one line meets */
    int32_t *start;    /* nc + 2: lines by community counted at c + 2, then CSR starts */
    int32_t *pair;     /* (community, line) per match, in line order */
    size_t n_pair, cap_pair;
    int32_t *list;    /* the lines of each community, from start[c] */
    gp_boxgrid *grid; /* over cbox */
} line_index;

/* The envelope of g into b (xmin, ymin, xmax, ymax): 1, or 0 when g is empty, -1 when GEOS
 * cannot tell. */
static int geos_box(GEOSContextHandle_t h, const GEOSGeometry *g, double b[4])
{
    int empty = GEOSisEmpty_r(h, g);
    if (empty != 0) {
        return empty == 1 ? 0 : -1;
    }
    return GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) &&
                   GEOSGeom_getXMax_r(h, g, &b[2]) && GEOSGeom_getYMax_r(h, g, &b[3])
               ? 1
               : -1;
}

/* The communities' envelopes and the grid over them. Envelopes meet as closed boxes, as GEOS
 * envelopes do; an empty community meets none. */
static gp_status community_grid(line_index *x, GEOSGeometry *const *comm)
{
    for (int32_t c = 0; c < x->nc; c++) {
        double *b = x->cbox[c];
        if (geos_box(x->r->h, comm[c], b) != 1) {
            b[0] = b[1] = b[2] = b[3] = NAN;
        }
    }
    x->grid = gp_boxgrid_new((const double(*)[4])x->cbox, x->nc);
    if (x->grid == NULL) {
        return gp_error_nomem(x->r->ctx, "a spatial index");
    }
    return GP_OK;
}

/* A line's envelope into b: 1, or 0 when the line is empty, -1 when it cannot be read. */
static int line_box(reader *r, const gp_wkb *line, double b[4])
{
    GEOSContextHandle_t h = r->h;
    int got = gp_wkb_box(line->data, line->size, b);
    if (got < 0) {
        /* Bytes the reader does not know: GEOS decodes them. */
        GEOSGeometry *g = GEOSWKBReader_read_r(h, r->wkb_in, line->data, line->size);
        got = g == NULL ? -1 : geos_box(h, g, b);
        if (g != NULL) {
            GEOSGeom_destroy_r(h, g);
        }
    }
    return got;
}

/* The pairs of line i with the k communities in x->hits, appended, and counted by community. */
static gp_status add_pairs(line_index *x, int32_t i, int32_t k)
{
    if (x->n_pair + 2 * (size_t)k > x->cap_pair) {
        size_t want = x->cap_pair ? 2 * x->cap_pair : 1024;
        while (want < x->n_pair + 2 * (size_t)k) {
            want *= 2;
        }
        int32_t *q = gp_reallocarray(x->pair, want, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(x->r->ctx, "street lists");
        }
        x->pair = q;
        x->cap_pair = want;
    }
    for (int32_t j = 0; j < k; j++) {
        x->pair[x->n_pair++] = x->hits[j];
        x->pair[x->n_pair++] = i;
        x->start[x->hits[j] + 2]++;
    }
    return GP_OK;
}

/* The communities each line's envelope meets, as pairs in line order (progress per line). */
static gp_status find_pairs(line_index *x, const gp_wkb *lines, int32_t n_lines)
{
    gp_status st = GP_OK;
    for (int32_t i = 0; i < n_lines; i++) {
        if ((st = read_tick(x->r)) != GP_OK) {
            return st;
        }
        double b[4];
        int got = line_box(x->r, &lines[i], b);
        if (got < 0) {
            return gp_error(x->r->ctx, GP_ERR_GEOMETRY, "cannot index line %d", i);
        }
        int32_t k = got ? gp_boxgrid_query(x->grid, b, x->hits) : 0;
        if ((st = add_pairs(x, i, k)) != GP_OK) {
            return st;
        }
    }
    return st;
}

/* The pairs as CSR lists: a counting sort by community, stable, so that each community's
 * lines stay in increasing order. */
static gp_status pairs_to_lists(line_index *x)
{
    if (x->n_pair / 2 > INT32_MAX) {
        return gp_error(x->r->ctx, GP_ERR_LIMIT, "too many streets per community");
    }
    int32_t *start = x->start;
    for (int32_t c = 0; c < x->nc; c++) {
        start[c + 2] += start[c + 1];
    }
    x->list = gp_malloc((x->n_pair / 2 + 1) * sizeof *x->list);
    if (x->list == NULL) {
        return gp_error_nomem(x->r->ctx, "street lists");
    }
    for (size_t j = 0; j < x->n_pair; j += 2) {
        x->list[start[x->pair[j] + 1]++] = x->pair[j + 1];
    }
    return GP_OK;
}

/* Lines whose envelope meets each community's envelope, as CSR lists (sorted: deterministic). */
static gp_status index_lines(reader *r, const gp_wkb *lines, int32_t n_lines,
                             GEOSGeometry *const *comm, int32_t **start_out, int32_t **list_out)
{
    gp_status st = GP_OK;
    int32_t nc = r->ds->n_communities;
    line_index x = {.r = r, .nc = nc};
    x.cbox = gp_calloc((size_t)nc + 1, sizeof *x.cbox);
    x.hits = gp_malloc(((size_t)nc + 1) * sizeof *x.hits);
    x.start = gp_calloc((size_t)nc + 2, sizeof *x.start);
    if (x.cbox == NULL || x.hits == NULL || x.start == NULL) {
        st = gp_error_nomem(r->ctx, "a spatial index");
        goto done;
    }
    if ((st = community_grid(&x, comm)) != GP_OK ||
        (st = find_pairs(&x, lines, n_lines)) != GP_OK) {
        goto done;
    }
    st = pairs_to_lists(&x);
done:
    gp_boxgrid_free(x.grid);
    gp_free(x.cbox);
    gp_free(x.hits);
    gp_free(x.pair);
    if (st != GP_OK) {
        gp_free(x.start);
        gp_free(x.list);
        x.start = NULL;
        x.list = NULL;
    }
    *start_out = x.start;
    *list_out = x.list;
    return st;
}

/* Each household's community (-1: none) and the households of each counted at hh_start[c + 1];
 * the households outside every community added up and their feature ids kept (progress per
 * household). */
static gp_status locate_households(reader *r, gp_community_locator *loc)
{
    gp_context *ctx = r->ctx;
    gp_dataset *ds = r->ds;
    gp_status st = GP_OK;
    for (size_t i = 0; i < (size_t)ds->n_households; i++) {
        if ((st = read_tick(r)) != GP_OK ||
            (st = gp_community_locator_find(ctx, loc, ds->hh_x[i], ds->hh_y[i],
                                            &ds->hh_community[i])) != GP_OK) {
            return st;
        }
        if (ds->hh_community[i] < 0) {
            ds->households_outside += ds->hh_count[i];
            st = add_fid(ctx, &ds->outside_fid, &ds->n_outside, ds->hh_fid[i]);
            if (st != GP_OK) {
                return st;
            }
        } else {
            ds->hh_start[ds->hh_community[i] + 1]++;
        }
    }
    return st;
}

/* The households of each community as CSR lists (hh_start, hh_list), in feature order. */
static gp_status list_households(gp_context *ctx, gp_dataset *ds)
{
    int32_t nc = ds->n_communities;
    size_t nh = (size_t)ds->n_households;
    for (int32_t c = 0; c < nc; c++) {
        ds->hh_start[c + 1] += ds->hh_start[c];
    }
    int32_t *fill = gp_malloc(((size_t)nc + 1) * sizeof *fill);
    if (fill == NULL) {
        return gp_error_nomem(ctx, "the household index");
    }
    memcpy(fill, ds->hh_start, (size_t)nc * sizeof *fill);
    for (size_t i = 0; i < nh; i++) {
        if (ds->hh_community[i] >= 0) {
            ds->hh_list[fill[ds->hh_community[i]]++] = (int64_t)i;
        }
    }
    gp_free(fill);
    return GP_OK;
}

/* The feature ids of the households outside every community sorted; an error when that is all
 * of them, else a debug note of how many. */
static gp_status report_outside(gp_context *ctx, gp_dataset *ds)
{
    size_t nh = (size_t)ds->n_households;
    gp_fid_sort(ds->outside_fid, ds->n_outside);
    if (ds->n_outside == (int64_t)nh && nh > 0) {
        /* Not one household in any community: the layers do not meet (a wrong CRS, most
         * often), and every grid would be empty. */
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: none of its %" PRId64
                        " household features lies in any community "
                        "of %s: is either layer's CRS wrong, or are they of different places?",
                        ds->notes[GP_ROLE_HOUSEHOLDS].label, (int64_t)nh,
                        ds->notes[GP_ROLE_COMMUNITIES].label);
    }
    if (ds->n_outside > 0) {
        gp_log(ctx, GP_LOG_DEBUG,
               "%" PRId64 " household feature(s) holding %" PRId64
               " households lie outside "
               "every community (first: feature %" PRId64 ")",
               ds->n_outside, ds->households_outside, ds->outside_fid[0]);
    }
    return GP_OK;
}

/* Place every household point in the community that covers it; on the border of two, the one
 * with the lower id (not the earlier in the layer: feature order must not matter). */
static gp_status place_households(reader *r, GEOSGeometry *const *comm)
{
    gp_context *ctx = r->ctx;
    gp_dataset *ds = r->ds;
    gp_status st = GP_OK;
    int32_t nc = ds->n_communities;
    size_t nh = (size_t)ds->n_households;
    gp_community_locator loc = {0};
    ds->hh_community = gp_malloc((nh + 1) * sizeof *ds->hh_community);
    ds->hh_start = gp_calloc((size_t)nc + 1, sizeof *ds->hh_start);
    ds->hh_list = gp_malloc((nh + 1) * sizeof *ds->hh_list);
    if (ds->hh_community == NULL || ds->hh_start == NULL || ds->hh_list == NULL) {
        st = gp_error_nomem(ctx, "the household index");
        goto done;
    }
    if ((st = gp_community_locator_new(ctx, ds, comm, "the household index", &loc)) != GP_OK ||
        (st = locate_households(r, &loc)) != GP_OK || (st = list_households(ctx, ds)) != GP_OK) {
        goto done;
    }
    st = report_outside(ctx, ds);
done:
    gp_community_locator_free(&loc);
    return st;
}

/* read_tick for gp_overlaps_find: cancellation while communities are compared. */
static gp_status overlaps_tick(void *user)
{
    return read_tick(user);
}

/*
 * Find the communities that overlap (overlaps.c) and give each overlap to the one whose id
 * comes first (as a household on the border of two goes to it: the order of the features does
 * not matter): a sliver always; a real overlap when the options say GP_OVERLAPS_FIRST, else
 * nothing is resolved and overlaps_report says why the input is refused. The communities that
 * lost an overlap are stored again (community_wkb and comm), so that households, blocks and
 * grids are built from what is left of them. Neither logs nor reports progress itself (`tick`
 * says when to stop), so it may run beside the reading of the other layers (overlap_job).
 */
static gp_status overlaps_settle(reader *r, const gp_layer *l, GEOSGeometry **comm,
                                 gp_overlaps_tick tick, void *tick_user)
{
    gp_context *ctx = r->ctx;
    gp_dataset *ds = r->ds;
    const gp_options *opts = r->in->opts != NULL ? r->in->opts : gp_options_defaults();
    gp_overlap_rule rule = {opts->snap_tolerance, opts->sliver_area};
    uint8_t *changed = NULL;
    int32_t *rank = NULL;
    gp_status st = gp_dataset_community_rank(ctx, ds, &rank);
    if (st == GP_OK) {
        st = gp_overlaps_find(ctx, r->h, ds->n_communities, comm, rank, &rule, tick, tick_user,
                              &ds->overlaps, &ds->n_overlaps);
    }
    if (st != GP_OK || ds->n_overlaps == 0) {
        goto done;
    }
    int resolve_real = opts->overlaps == GP_OVERLAPS_FIRST;
    for (int64_t i = 0; i < ds->n_overlaps && !resolve_real; i++) {
        if (!ds->overlaps[i].sliver) {
            goto done; /* refused: overlaps_report says so */
        }
    }
    changed = gp_calloc((size_t)ds->n_communities + 1, 1);
    if (changed == NULL) {
        st = gp_error_nomem(ctx, "community overlaps");
        goto done;
    }
    int32_t emptied = -1;
    st = gp_overlaps_resolve(ctx, r->h, ds->n_communities, comm, ds->overlaps, ds->n_overlaps,
                             resolve_real, changed, &emptied);
    if (st == GP_ERR_INPUT && emptied >= 0) {
        st = gp_error(ctx, GP_ERR_INPUT,
                      "%s: feature %" PRId64
                      ": community '%s' lies wholly inside communities whose ids come before "
                      "its own, which keep their overlaps: nothing is left of it",
                      l->label, ds->community_fid[emptied], ds->community_id[emptied]);
    }
    for (int32_t c = 0; st == GP_OK && c < ds->n_communities; c++) {
        if (changed[c]) {
            gp_free(ds->community_wkb[c].data);
            ds->community_wkb[c].data = NULL;
            st = to_wkb(r, comm[c], &ds->community_wkb[c]);
        }
    }
done:
    gp_free(changed);
    gp_free(rank);
    return st;
}

/* What overlaps_settle found, told: GP_ERR_INPUT naming the first real overlap when the
 * options do not let the first community keep it; else a warning for each real overlap kept
 * and one summing the slivers. */
static gp_status overlaps_report(gp_context *ctx, const gp_dataset *ds, const gp_layer *l,
                                 const gp_options *opts)
{
    gp_overlap_rule rule = {opts->snap_tolerance, opts->sliver_area};
    const gp_overlap *first_real = NULL, *first_sliver = NULL;
    int64_t n_real = 0, n_sliver = 0;
    double real_area = 0, sliver_area = 0;
    for (int64_t i = 0; i < ds->n_overlaps; i++) {
        const gp_overlap *o = &ds->overlaps[i];
        if (o->sliver) {
            first_sliver = first_sliver ? first_sliver : o;
            n_sliver++;
            sliver_area += o->area;
        } else {
            first_real = first_real ? first_real : o;
            n_real++;
            real_area += o->area;
        }
    }
    if (first_real != NULL && opts->overlaps != GP_OVERLAPS_FIRST) {
        char more[160] = "";
        if (n_real > 1) {
            snprintf(more, sizeof more, " (%" PRId64 " pairs overlap so, %.1f m^2 in all)", n_real,
                     real_area);
        }
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: communities '%s' (feature %" PRId64 ") and '%s' (feature %" PRId64
                        ") overlap by %.1f m^2, more than a digitising sliver (narrower than the "
                        "%g m snapping tolerance or smaller than %g m^2)%s; correct their "
                        "borders, or let the community whose id comes first keep each overlap "
                        "(overlaps option 'first')",
                        l->label, ds->community_id[first_real->first],
                        ds->community_fid[first_real->first],
                        ds->community_id[first_real->second],
                        ds->community_fid[first_real->second], first_real->area, rule.width,
                        rule.area, more);
    }
    for (int64_t i = 0; i < ds->n_overlaps; i++) {
        const gp_overlap *o = &ds->overlaps[i];
        if (!o->sliver) {
            gp_log(ctx, GP_LOG_WARN,
                   "%s: communities '%s' (feature %" PRId64 ") and '%s' (feature %" PRId64
                   ") overlap by %.1f m^2: kept by '%s', whose id comes first",
                   l->label, ds->community_id[o->first], ds->community_fid[o->first],
                   ds->community_id[o->second], ds->community_fid[o->second], o->area,
                   ds->community_id[o->first]);
        }
    }
    if (n_sliver > 0) {
        gp_log(ctx, GP_LOG_WARN,
               "%s: %" PRId64
               " pair(s) of communities overlap in digitising slivers, %.1f m^2 in all (first: "
               "'%s' and '%s'): each kept by the community whose id comes first",
               l->label, n_sliver, sliver_area, ds->community_id[first_sliver->first],
               ds->community_id[first_sliver->second]);
    }
    return GP_OK;
}

/*
 * overlaps_settle on a thread of its own, beside the reading of streets and households (the
 * communities are read first and nothing else reads or writes what it touches: the overlaps,
 * the stored communities, their geometries). Its own context and GEOS handle; the main thread
 * relays cancellation and the time limit through `stop`, and its error after joining.
 */
typedef struct {
    reader r; /* ctx, h, wkb_out: the job's own */
    const gp_layer *l;
    GEOSGeometry **comm;
    gp_status st;
    atomic_int stop;
    atomic_int done;
    pthread_t thread;
    int running; /* started and not yet joined */
} overlap_job;

static gp_status overlap_job_tick(void *user)
{
    overlap_job *j = user;
    return atomic_load(&j->stop) ? gp_error(j->r.ctx, GP_ERR_CANCELED, "canceled") : GP_OK;
}

static void *overlap_job_main(void *arg)
{
    overlap_job *j = arg;
    /* Its GEOS predicates decide overlaps: no interrupt asked elsewhere may fail one. */
    gp_geos_guard guard = gp_geos_guard_begin();
    j->st = overlaps_settle(&j->r, j->l, j->comm, overlap_job_tick, j);
    gp_geos_guard_end(guard);
    atomic_store(&j->done, 1);
    return NULL;
}

/* Starts the job; GP_OK without starting it (j->running 0) when no thread can be had, and the
 * caller settles the overlaps itself. */
static gp_status overlap_job_start(overlap_job *j, const reader *main, const gp_layer *l,
                                   GEOSGeometry **comm)
{
    j->r = *main;
    j->r.ctx = NULL;
    j->r.wkb_in = NULL;
    j->r.wkb_out = NULL;
    j->l = l;
    j->comm = comm;
    j->st = GP_OK;
    atomic_init(&j->stop, 0);
    atomic_init(&j->done, 0);
    j->running = 0;
    if (gp_context_new(&j->r.ctx) != GP_OK || (j->r.h = gp_ctx_geos(j->r.ctx)) == NULL ||
        (j->r.wkb_out = GEOSWKBWriter_create_r(j->r.h)) == NULL) {
        return gp_error_nomem(main->ctx, "the community overlap check");
    }
    j->running = pthread_create(&j->thread, NULL, overlap_job_main, j) == 0;
    return GP_OK;
}

/* Waits for the job, relaying the run's progress, cancellation and time limit (every 10 ms)
 * unless `st`, the main thread's status, already failed; then its status and message. */
static gp_status overlap_job_finish(gp_context *ctx, overlap_job *j, gp_status st)
{
    while (j->running && st == GP_OK && !atomic_load(&j->done)) {
        st = gp_progress(ctx, 0.05, "read");
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (j->running) {
        atomic_store(&j->stop, 1);
        pthread_join(j->thread, NULL);
        j->running = 0;
        if (ctx != NULL && j->r.ctx->geos_interrupted) {
            /* The caller's context records it too: gp_run and gp_check do their work again. */
            ctx->geos_interrupted = 1;
        }
        if (st == GP_OK && j->st != GP_OK) {
            st = gp_error(ctx, j->st, "%s", gp_context_last_error(j->r.ctx));
        } else if (st == GP_OK) {
            st = gp_geos_check_interrupted(ctx, j->r.ctx, "community overlaps");
        }
    }
    return st;
}

static void overlap_job_free(overlap_job *j)
{
    if (j->r.wkb_out != NULL) {
        GEOSWKBWriter_destroy_r(j->r.h, j->r.wkb_out);
    }
    gp_context_free(j->r.ctx);
}

/* The CRS as WKT2 in our allocator's memory: GP_ERR_CRS when GDAL cannot describe it. */
static gp_status srs_wkt(gp_context *ctx, OGRSpatialReferenceH s, char **out)
{
    char *w = NULL;
    const char *opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(s, &w, opts) != OGRERR_NONE) {
        CPLFree(w);
        return gp_error(ctx, GP_ERR_CRS, "cannot describe the CRS as WKT");
    }
    *out = gp_strdup(w);
    CPLFree(w);
    return *out ? GP_OK : gp_error_nomem(ctx, "a CRS description");
}

static gp_status setup_costs(gp_context *ctx, const gp_dataset_inputs *in, gp_dataset *ds)
{
    const char *const *names = in->n_costs > 0 ? in->cost_class : DEFAULT_CLASS;
    const double *costs = in->n_costs > 0 ? in->cost_value : DEFAULT_COST;
    int32_t n = in->n_costs > 0 ? in->n_costs : (int32_t)(sizeof DEFAULT_COST / sizeof(double));
    ds->cost_none = in->cost_unknown > 0 ? in->cost_unknown : 3.0;
    ds->cost_dearest = ds->cost_none;
    for (int32_t j = 0; j < n; j++) {
        ds->cost_dearest = fmax(ds->cost_dearest, costs[j]);
    }
    ds->class_cost = gp_malloc(((size_t)ds->n_classes + 1) * sizeof *ds->class_cost);
    if (ds->class_cost == NULL) {
        return gp_error_nomem(ctx, "class costs");
    }
    for (int32_t k = 0; k < ds->n_classes; k++) {
        ds->class_cost[k] = ds->cost_none;
        for (int32_t j = 0; j < n; j++) {
            if (names[j] != NULL && strcmp(names[j], ds->class_name[k]) == 0) {
                ds->class_cost[k] = costs[j];
            }
        }
    }
    return GP_OK;
}

double gp_dataset_class_cost(const gp_dataset *ds, int32_t cls)
{
    return cls >= 0 && cls < ds->n_classes ? ds->class_cost[cls] : ds->cost_none;
}

/* A part of the input: the selected communities (first pass), then spatial filters on every
 * layer around them (select.h). The working CRS is already chosen from the whole layer. */
static gp_status select_part(gp_context *ctx, const gp_dataset_inputs *in, gp_layer *const *layer,
                             const OGRSpatialReferenceH *srs, OGRSpatialReferenceH work,
                             gp_selection *sel, gp_dataset *ds)
{
    int field = -1;
    gp_status st = gp_layer_field(ctx, layer[GP_ROLE_COMMUNITIES], in->id_field, &field);
    if (st == GP_OK) {
        st = gp_select_find(ctx, layer[GP_ROLE_COMMUNITIES], field, in, sel);
    }
    return st != GP_OK ? st
                       : gp_select_filter_layers(ctx, sel, srs[GP_ROLE_COMMUNITIES], work, layer,
                                                 srs, GP_ROLE_COUNT, ds->part_env);
}

/* The communities read, as GEOS geometries (*n_out of them, to destroy even on failure). */
static gp_status decode_communities(reader *r, GEOSGeometry ***out, int32_t *n_out)
{
    const gp_dataset *ds = r->ds;
    GEOSGeometry **comm = gp_calloc((size_t)ds->n_communities + 1, sizeof *comm);
    *out = comm;
    if (comm == NULL) {
        return gp_error_nomem(r->ctx, "communities");
    }
    *n_out = ds->n_communities;
    for (int32_t c = 0; c < ds->n_communities; c++) {
        comm[c] = GEOSWKBReader_read_r(r->h, r->wkb_in, ds->community_wkb[c].data,
                                       ds->community_wkb[c].size);
        if (comm[c] == NULL) {
            return gp_error(r->ctx, GP_ERR_GEOMETRY, "cannot decode community %d", c);
        }
    }
    return GP_OK;
}

/* The input layers, in the order of GP_ROLE_*, and their roles as messages name them. */
enum { L_COMM, L_STREET, L_HOUSE, L_BARRIER, N_LAYERS };
static const char *const ROLE[N_LAYERS] = {"communities", "streets", "households", "barriers"};

/* What the steps of gp_dataset_read share; dataset_read_end frees it. */
typedef struct dataset_read {
    reader r;                                  /* ctx, inputs, GEOS handle, the dataset */
    gp_layer *layer[N_LAYERS];                 /* NULL: not given (barriers) */
    OGRSpatialReferenceH srs[N_LAYERS];        /* each layer's CRS, borrowed */
    OGRCoordinateTransformationH ct[N_LAYERS]; /* into the working CRS; NULL: in it already */
    OGRSpatialReferenceH work;                 /* the working CRS */
    GEOSGeometry **comm;
    int32_t n_comm; /* comm's length: a part run then drops the neighbours it read */
    gp_selection sel;
    overlap_job job;
} dataset_read;

/* The inputs gp_dataset_read checks before it opens anything. */
static gp_status check_inputs(gp_context *ctx, const gp_dataset_inputs *in)
{
    if (in->id_field == NULL || in->id_field[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "communities: no id field given");
    }
    if (in->n_costs < 0 ||
        (in->n_costs > 0 && (in->cost_class == NULL || in->cost_value == NULL))) {
        return gp_error(ctx, GP_ERR_ARG, "street class cost table is incomplete");
    }
    for (int32_t j = 0; j < in->n_costs; j++) {
        if (!(in->cost_value[j] > 0) || !isfinite(in->cost_value[j])) {
            return gp_error(ctx, GP_ERR_ARG, "cut cost %g of class '%s' must be positive",
                            in->cost_value[j], in->cost_class[j] ? in->cost_class[j] : "?");
        }
    }
    return GP_OK;
}

/* The empty dataset and the WKB reader and writer. */
static gp_status start_dataset(dataset_read *d)
{
    reader *r = &d->r;
    r->ds = gp_calloc(1, sizeof *r->ds);
    r->wkb_in = GEOSWKBReader_create_r(r->h);
    r->wkb_out = GEOSWKBWriter_create_r(r->h);
    if (r->ds == NULL || r->wkb_in == NULL || r->wkb_out == NULL) {
        return gp_error_nomem(r->ctx, "a dataset");
    }
    return GP_OK;
}

/* Every layer given opened, with geometries; its label kept in the dataset's notes. */
static gp_status open_layers(dataset_read *d)
{
    gp_context *ctx = d->r.ctx;
    const gp_dataset_inputs *in = d->r.in;
    gp_dataset *ds = d->r.ds;
    gp_status st = GP_OK;
    const char *spec[N_LAYERS] = {in->communities, in->streets, in->households, in->barriers};
    double t0 = now();
    for (int i = 0; i < N_LAYERS; i++) {
        if (i == L_BARRIER && (spec[i] == NULL || spec[i][0] == '\0')) {
            continue;
        }
        st = gp_layer_open_with(ctx, spec[i], ROLE[i], in->layers, &d->layer[i]);
        if (st != GP_OK) {
            return st;
        }
        if ((st = gp_layer_need_geometry(ctx, d->layer[i], ROLE[i])) != GP_OK) {
            return st;
        }
        /* L_* and GP_ROLE_* list the layers in the same order. */
        ds->notes[i].label = gp_strdup(d->layer[i]->label); /* masked already */
        if (ds->notes[i].label == NULL) {
            return gp_error_nomem(ctx, "a layer name");
        }
    }
    ds->seconds_read += now() - t0;
    return GP_OK;
}

/* Each layer's CRS: every layer must have one. */
static gp_status layer_crs(dataset_read *d)
{
    gp_context *ctx = d->r.ctx;
    gp_status st = GP_OK;
    gp_gdal_push_errors(ctx);
    int first_with = -1, first_without = -1;
    int undefined[N_LAYERS] = {0};
    for (int i = 0; i < N_LAYERS; i++) {
        if (d->layer[i] == NULL) {
            continue;
        }
        /* A GeoPackage layer with srs_id 0 or -1 has a placeholder CRS: it says nothing
         * about the coordinates, so it counts as none (unless a CRS is assumed). */
        d->srs[i] = gp_layer_srs(d->layer[i], &undefined[i]);
        if (d->srs[i] != NULL && first_with < 0) {
            first_with = i;
        }
        if (d->srs[i] == NULL && first_without < 0) {
            first_without = i;
        }
    }
    const char *none = first_without >= 0 && undefined[first_without]
                           ? "has an undefined CRS (a GeoPackage srs_id of 0 or -1)"
                           : "has no CRS";
    if (first_without >= 0 && first_with >= 0) {
        st = gp_error(ctx, GP_ERR_CRS,
                      "%s: %s %s while %s has one; assign it one "
                      "(e.g. ogr2ogr -a_srs) or assume one (CLI --assume-crs)",
                      ROLE[first_without], d->layer[first_without]->label, none,
                      d->layer[first_with]->label);
    } else if (first_without >= 0) {
        st = gp_error(ctx, GP_ERR_CRS,
                      "%s: %s %s, and no other input has one; "
                      "assign one (e.g. ogr2ogr -a_srs EPSG:4490) or assume one "
                      "(CLI --assume-crs EPSG:4490)",
                      ROLE[first_without], d->layer[first_without]->label, none);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}

/* The working CRS, chosen from the communities' extent once every layer's extent is found to
 * fit its CRS; it and the communities' CRS (the output's) as WKT in the dataset. */
static gp_status choose_work_crs(dataset_read *d)
{
    gp_context *ctx = d->r.ctx;
    gp_layer *const *layer = d->layer;
    gp_status st = GP_OK;
    if (OSRIsGeographic(d->srs[L_COMM]) &&
        (st = check_lonlat_extent(&d->r, layer[L_COMM])) != GP_OK) {
        return st;
    }
    OGREnvelope env;
    for (int i = N_LAYERS - 1; i >= 0 && st == GP_OK; i--) {
        /* Every layer's extent must fit its CRS; the communities' (last) is used below. */
        if (layer[i] == NULL || OGR_L_GetExtent(layer[i]->layer, &env, TRUE) != OGRERR_NONE) {
            if (i == L_COMM) {
                st = gp_error(ctx, GP_ERR_INPUT, "%s: the layer is empty", layer[L_COMM]->label);
            }
            continue;
        }
        st = gp_crs_check_extent(ctx, layer[i]->label, d->srs[i], env.MinX, env.MinY, env.MaxX,
                                 env.MaxY);
    }
    if (st != GP_OK) {
        return st;
    }
    st = gp_crs_choose(ctx, layer[L_COMM]->label, d->srs[L_COMM], env.MinX, env.MinY, env.MaxX,
                       env.MaxY, d->r.in->work_crs, &d->work);
    if (st != GP_OK) {
        return st;
    }
    if ((st = srs_wkt(ctx, d->work, &d->r.ds->work_wkt)) != GP_OK ||
        (st = srs_wkt(ctx, d->srs[L_COMM], &d->r.ds->output_wkt)) != GP_OK) {
        return st;
    }
    return GP_OK;
}

/* A transformation into the working CRS for each layer not already in it. */
static gp_status make_transforms(dataset_read *d)
{
    gp_context *ctx = d->r.ctx;
    gp_status st = GP_OK;
    gp_gdal_push_errors(ctx);
    for (int i = 0; i < N_LAYERS; i++) {
        if (d->layer[i] == NULL) {
            continue;
        }
        OGRSpatialReferenceH s = OSRClone(d->srs[i]);
        if (s == NULL) {
            st = gp_error_nomem(ctx, "a CRS");
            break;
        }
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
        if (!OSRIsSame(s, d->work)) {
            d->ct[i] = OCTNewCoordinateTransformation(s, d->work);
            if (d->ct[i] == NULL) {
                st = gp_error(ctx, GP_ERR_CRS, "%s: cannot project into the working CRS%s%s",
                              d->layer[i]->label, ctx->engine_error[0] ? ": " : "",
                              ctx->engine_error);
            }
        }
        OSRRelease(s);
        if (st != GP_OK) {
            break;
        }
    }
    gp_gdal_pop_errors(ctx);
    return st;
}

/* CRS: every layer must have one; each is reprojected into the working CRS. */
static gp_status working_crs(dataset_read *d)
{
    double t0 = now();
    gp_status st = layer_crs(d);
    if (st == GP_OK) {
        st = choose_work_crs(d);
    }
    if (st == GP_OK) {
        st = make_transforms(d);
        d->r.ds->seconds_project += now() - t0;
    }
    return st;
}

/* The part of the input selected, if any, and the progress total of what is to be read. */
static gp_status select_and_count(dataset_read *d)
{
    const gp_dataset_inputs *in = d->r.in;
    gp_dataset *ds = d->r.ds;
    gp_status st = GP_OK;
    ds->has_part_env = in_part(in);
    if (in_part(in)) {
        if ((st = select_part(d->r.ctx, in, d->layer, d->srs, d->work, &d->sel, ds)) != GP_OK) {
            return st;
        }
        d->r.part = &d->sel;
    }
    for (int i = 0; i < N_LAYERS; i++) {
        /* Each feature is read, then indexed or placed: twice its count. */
        GIntBig n = d->layer[i] ? OGR_L_GetFeatureCount(d->layer[i]->layer, FALSE) : 0;
        d->r.total += n > 0 ? 2 * (int64_t)n : 0;
    }
    return GP_OK;
}

/* The layers read: communities first, then streets, barriers and households while (with more
 * than one thread) the overlap job settles the communities' overlaps. */
static gp_status read_layers(dataset_read *d)
{
    reader *r = &d->r;
    const gp_dataset_inputs *in = r->in;
    gp_status st = GP_OK;
    gp_gdal_push_errors(r->ctx);
    st = read_layer(r, d->layer[L_COMM], KIND_POLY, 0, d->ct[L_COMM]);
    if (st == GP_OK) {
        st = decode_communities(r, &d->comm, &d->n_comm);
    }
    /* With more than one thread, the communities' overlaps are settled while the other
     * layers are read. */
    if (st == GP_OK && (in->opts ? in->opts : gp_options_defaults())->threads != 1) {
        st = overlap_job_start(&d->job, r, d->layer[L_COMM], d->comm);
    }
    if (st == GP_OK) {
        st = read_layer(r, d->layer[L_STREET], KIND_LINE, 0, d->ct[L_STREET]);
    }
    if (st == GP_OK && d->layer[L_BARRIER] != NULL) {
        st = read_layer(r, d->layer[L_BARRIER], KIND_LINE, 1, d->ct[L_BARRIER]);
    }
    if (st == GP_OK) {
        st = read_layer(r, d->layer[L_HOUSE], KIND_HOUSE, 0, d->ct[L_HOUSE]);
    }
    gp_gdal_pop_errors(r->ctx);
    return st;
}

/* A whole input must hold a usable street and household; then the dataset in content order,
 * its repeated households found, and the street class costs. */
static gp_status check_and_order(dataset_read *d)
{
    gp_context *ctx = d->r.ctx;
    gp_dataset *ds = d->r.ds;
    gp_status st = GP_OK;
    if (ds->n_streets == 0 && !in_part(d->r.in)) {
        const gp_layer_notes *nt = &ds->notes[GP_ROLE_STREETS];
        return nt->n_skipped > 0
                   ? gp_error(ctx, GP_ERR_INPUT,
                              "%s: no usable street line: all %" PRId64
                              " features were skipped; the first: %s",
                              d->layer[L_STREET]->label, nt->n_skipped, nt->skipped_why)
                   : gp_error(ctx, GP_ERR_INPUT, "%s: no usable street line",
                              d->layer[L_STREET]->label);
    }
    if (ds->n_households == 0 && !in_part(d->r.in)) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: no usable household feature",
                        d->layer[L_HOUSE]->label);
    }
    /* From here on, index order is content order (canonical.h), not layer order. */
    st = gp_dataset_canonical_order(ctx, ds);
    if (st != GP_OK || (st = find_duplicates(ctx, ds)) != GP_OK) {
        return st;
    }
    return setup_costs(ctx, d->r.in, ds);
}

/* The communities' overlaps settled (the overlap job joined, or settled here) and told. */
static gp_status settle_overlaps(dataset_read *d)
{
    reader *r = &d->r;
    gp_status st = d->job.running ? overlap_job_finish(r->ctx, &d->job, GP_OK)
                                  : overlaps_settle(r, d->layer[L_COMM], d->comm, overlaps_tick, r);
    if (st == GP_OK) {
        st = overlaps_report(r->ctx, r->ds, d->layer[L_COMM],
                             r->in->opts != NULL ? r->in->opts : gp_options_defaults());
    }
    return st;
}

/* Streets and barriers indexed by community, households placed, loads read, and a part of the
 * input narrowed to the communities selected. */
static gp_status build_indexes(dataset_read *d)
{
    reader *r = &d->r;
    gp_dataset *ds = r->ds;
    gp_status st =
        index_lines(r, ds->street_wkb, ds->n_streets, d->comm, &ds->street_start, &ds->street_list);
    if (st == GP_OK) {
        st = index_lines(r, ds->barrier_wkb, ds->n_barriers, d->comm, &ds->barrier_start,
                         &ds->barrier_list);
    }
    if (st == GP_OK) {
        st = place_households(r, d->comm);
    }
    if (st == GP_OK) {
        gp_gdal_push_errors(r->ctx);
        st = gp_dataset_read_loads(r->ctx, r->in, ds, d->work, d->comm);
        gp_gdal_pop_errors(r->ctx);
    }
    if (st == GP_OK && in_part(r->in)) {
        ds->features_read[GP_ROLE_COMMUNITIES] += d->sel.n_read;
        st = gp_select_keep(r->ctx, ds, &d->sel);
    }
    return st;
}

/* The overlap job joined (if still running) and freed, and everything gp_dataset_read made
 * but the dataset freed; the dataset too when `st` failed. */
static void dataset_read_end(dataset_read *d, gp_status st)
{
    reader *r = &d->r;
    (void)overlap_job_finish(r->ctx, &d->job, st != GP_OK ? st : GP_ERR_INTERNAL); /* joined */
    overlap_job_free(&d->job);
    for (int32_t c = 0; c < d->n_comm; c++) {
        if (d->comm[c] != NULL) {
            GEOSGeom_destroy_r(r->h, d->comm[c]);
        }
    }
    gp_free(d->comm);
    gp_selection_clear(&d->sel);
    for (int i = 0; i < N_LAYERS; i++) {
        if (d->ct[i] != NULL) {
            OCTDestroyCoordinateTransformation(d->ct[i]);
        }
        gp_layer_close(d->layer[i]);
    }
    if (d->work != NULL) {
        OSRRelease(d->work);
    }
    if (r->wkb_in != NULL) {
        GEOSWKBReader_destroy_r(r->h, r->wkb_in);
    }
    if (r->wkb_out != NULL) {
        GEOSWKBWriter_destroy_r(r->h, r->wkb_out);
    }
    if (st != GP_OK) {
        gp_dataset_free(r->ds);
        r->ds = NULL;
    }
}

gp_status gp_dataset_read(gp_context *ctx, const gp_dataset_inputs *in, gp_dataset **out)
{
    if (out == NULL || in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_dataset_read: NULL argument");
    }
    *out = NULL;
    gp_status st = check_inputs(ctx, in);
    if (st != GP_OK) {
        return st;
    }
    dataset_read d = {0};
    d.r.ctx = ctx;
    d.r.in = in;
    d.r.h = gp_ctx_geos(ctx);
    if (d.r.h == NULL) {
        return GP_ERR_NOMEM;
    }
    st = start_dataset(&d);
    if (st == GP_OK) {
        st = open_layers(&d);
    }
    if (st == GP_OK) {
        st = working_crs(&d);
    }
    if (st == GP_OK) {
        st = select_and_count(&d);
    }
    if (st == GP_OK) {
        st = read_layers(&d);
    }
    if (st == GP_OK) {
        st = check_and_order(&d);
    }
    if (st == GP_OK) {
        double t0 = now();
        st = settle_overlaps(&d);
        if (st == GP_OK) {
            st = build_indexes(&d);
        }
        d.r.ds->seconds_project += now() - t0;
    }
    dataset_read_end(&d, st);
    *out = d.r.ds;
    return st;
}

void gp_dataset_free(gp_dataset *ds)
{
    if (ds == NULL) {
        return;
    }
    for (int32_t i = 0; i < ds->n_communities; i++) {
        gp_free(ds->community_id[i]);
        gp_free(ds->community_wkb[i].data);
    }
    for (int32_t i = 0; i < ds->n_streets; i++) {
        gp_free(ds->street_wkb[i].data);
    }
    for (int32_t i = 0; i < ds->n_barriers; i++) {
        gp_free(ds->barrier_wkb[i].data);
    }
    for (int32_t i = 0; i < ds->n_classes; i++) {
        gp_free(ds->class_name[i]);
    }
    for (int i = 0; i < GP_ROLE_COUNT; i++) {
        gp_free(ds->notes[i].label);
        gp_free(ds->notes[i].repaired_fid);
        gp_free(ds->notes[i].skipped_fid);
    }
    gp_free(ds->overlaps);
    gp_dataset_free_loads(ds);
    void *arrays[] = {
        ds->community_id, ds->community_fid, ds->community_wkb, ds->street_wkb,   ds->street_fid,
        ds->street_class, ds->barrier_wkb,   ds->barrier_fid,   ds->class_name,   ds->class_cost,
        ds->street_start, ds->street_list,   ds->barrier_start, ds->barrier_list, ds->hh_fid,
        ds->hh_count,     ds->hh_x,          ds->hh_y,          ds->hh_community, ds->hh_start,
        ds->hh_list,      ds->outside_fid,   ds->skipped_fid,   ds->output_wkt,   ds->work_wkt,
        ds->count_field_hint, ds->duplicate_fid, ds->hh_workload};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    gp_free(ds);
}
