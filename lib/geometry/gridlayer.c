/* SPDX-License-Identifier: MIT */
/** @file gridlayer.c Read an existing grids layer into a dataset's working CRS (gridlayer.h). */

#include "gridlayer.h"
#include "canonical.h"
#include "featgeom.h"
#include "crs.h"
#include "hits.h"
#include "select.h"

#include "io/layer.h"

#include "core/context.h"
#include "core/memory.h"

#define GEOS_USE_ONLY_R_API
#include <cpl_conv.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Reading state. */
typedef struct greader {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_dataset *ds;
    const gp_layer *l;
    gp_grid_layer *g;
    GEOSWKBReader *wkb_in;
    GEOSWKBWriter *wkb_out;
    int64_t ticks;
    size_t cap;
} greader;

/* Every 256 features: a chance to cancel (the read stage of a run, as dataset.c). */
static gp_status tick(greader *r)
{
    return ++r->ticks % 256 == 0 ? gp_progress(r->ctx, 0.05, "read grids") : GP_OK;
}

/* The feature's polygon in the working CRS, valid (repaired and counted when it was not). */
static gp_status feature_polygon(greader *r, OGRFeatureH f, OGRCoordinateTransformationH ct,
                                 GEOSGeometry **out)
{
    gp_feature_source src = {r->l->label, ct, GP_GEOM_POLYGONAL, "a polygon (a grid)"};
    char why[2]; /* only whether it was repaired: the reason is not kept for grids */
    gp_status st = gp_feature_geometry(r->ctx, r->h, r->wkb_in, &src, f, out, why, sizeof why);
    if (st == GP_OK && why[0] != '\0') {
        r->g->n_repaired++;
    }
    return st;
}

static gp_status to_wkb(greader *r, const GEOSGeometry *g, gp_wkb *out)
{
    return gp_geos_to_wkb(r->ctx, r->h, r->wkb_out, g, &out->data, &out->size, "a grid geometry");
}

/* Room for grid i in every array. */
static gp_status grow(greader *r, size_t i)
{
    if (i < r->cap) {
        return GP_OK;
    }
    size_t cap = r->cap ? r->cap * 2 : 64;
    gp_grid_layer *g = r->g;
    char **code = gp_reallocarray(g->code, cap, sizeof *code);
    if (code != NULL) {
        g->code = code;
    }
    int64_t *fid = gp_reallocarray(g->fid, cap, sizeof *fid);
    if (fid != NULL) {
        g->fid = fid;
    }
    gp_wkb *wkb = gp_reallocarray(g->wkb, cap, sizeof *wkb);
    if (wkb != NULL) {
        g->wkb = wkb;
    }
    int32_t *comm = gp_reallocarray(g->community, cap, sizeof *comm);
    if (comm != NULL) {
        g->community = comm;
    }
    if (code == NULL || fid == NULL || wkb == NULL || comm == NULL) {
        return gp_error_nomem(r->ctx, "grids");
    }
    r->cap = cap;
    return GP_OK;
}

/* Community index whose id is `id` (order: the communities by id), or -1. */
static int32_t find_community(const gp_dataset *ds, const int32_t *by_id, const char *id)
{
    int32_t lo = 0, hi = ds->n_communities - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ds->community_id[by_id[mid]], id);
        if (c == 0) {
            return by_id[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

/* The code of feature f (never null or blank), copied; the community named by its community
 * field (or -1 when there is no such field). */
static gp_status feature_fields(greader *r, OGRFeatureH f, const gp_grid_layer_source *src,
                                int code_field, int comm_field, const int32_t *by_id,
                                char **code, int32_t *comm)
{
    gp_context *ctx = r->ctx;
    const char *label = r->l->label;
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    const char *cname = src->code_field ? src->code_field : "grid_code";
    const char *text = OGR_F_IsFieldSetAndNotNull(f, code_field)
                           ? OGR_F_GetFieldAsString(f, code_field)
                           : NULL;
    if (text == NULL || text[strspn(text, " \t\r\n")] == '\0') {
        return gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": field '%s': grid code is %s",
                        label, fid, cname,
                        text == NULL ? "null" : text[0] ? "blank (spaces only)" : "empty");
    }
    *comm = -1;
    if (comm_field >= 0) {
        const char *id = OGR_F_IsFieldSetAndNotNull(f, comm_field)
                             ? OGR_F_GetFieldAsString(f, comm_field)
                             : NULL;
        *comm = id ? find_community(r->ds, by_id, id) : -1;
        if (*comm < 0) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: feature %" PRId64 ": field '%s': %s%s%s is not a community id "
                            "of the communities layer",
                            label, fid, src->community_field, id ? "'" : "", id ? id : "null",
                            id ? "'" : "");
        }
    }
    *code = gp_strdup(text);
    return *code ? GP_OK : gp_error_nomem(ctx, "a grid code");
}

/* Read every feature: code, community field, geometry in the working CRS. */
static gp_status read_features(greader *r, const gp_grid_layer_source *src,
                               OGRCoordinateTransformationH ct)
{
    gp_context *ctx = r->ctx;
    gp_grid_layer *g = r->g;
    int code_field = -1, comm_field = -1;
    int32_t *rank = NULL, *by_id = NULL;
    GEOSGeometry *geom = NULL;
    OGRFeatureH f = NULL;
    gp_status st = gp_layer_field(ctx, r->l, src->code_field ? src->code_field : "grid_code",
                                  &code_field);
    if (st == GP_OK && src->community_field != NULL) {
        st = gp_layer_field(ctx, r->l, src->community_field, &comm_field);
    }
    if (st == GP_OK) { /* a part of the input: its communities' grids alone */
        st = gp_select_filter_by_community(ctx, r->ds, r->l, comm_field);
    }
    if (st == GP_OK && (st = gp_dataset_community_rank(ctx, r->ds, &rank)) == GP_OK) {
        by_id = gp_malloc(((size_t)r->ds->n_communities + 1) * sizeof *by_id);
        if (by_id == NULL) {
            st = gp_error_nomem(ctx, "community ids");
        }
        for (int32_t c = 0; by_id != NULL && c < r->ds->n_communities; c++) {
            by_id[rank[c]] = c;
        }
    }
    OGR_L_ResetReading(r->l->layer);
    while (st == GP_OK && (f = OGR_L_GetNextFeature(r->l->layer)) != NULL) {
        size_t i = (size_t)g->n;
        char *code = NULL;
        int32_t comm = -1;
        if ((st = tick(r)) != GP_OK || (st = grow(r, i)) != GP_OK ||
            (st = feature_fields(r, f, src, code_field, comm_field, by_id, &code, &comm)) !=
                GP_OK) {
            break;
        }
        g->code[i] = code;
        g->fid[i] = (int64_t)OGR_F_GetFID(f);
        g->community[i] = comm;
        g->wkb[i].data = NULL;
        g->n++;
        if ((st = feature_polygon(r, f, ct, &geom)) != GP_OK ||
            (st = to_wkb(r, geom, &g->wkb[i])) != GP_OK) {
            break;
        }
        GEOSGeom_destroy_r(r->h, geom);
        geom = NULL;
        OGR_F_Destroy(f);
        f = NULL;
    }
    if (st == GP_OK && g->n == 0) {
        st = gp_error(ctx, GP_ERR_INPUT, "%s: the layer is empty: no grids", r->l->label);
    }
    if (geom != NULL) {
        GEOSGeom_destroy_r(r->h, geom);
    }
    if (f != NULL) {
        OGR_F_Destroy(f);
    }
    gp_free(rank);
    gp_free(by_id);
    return st;
}

typedef struct code_key {
    const char *code;
    int64_t fid;
    int32_t comm; /* community index; in no community: INT32_MAX (last) */
    int32_t index;
} code_key;

static int by_code(const void *a, const void *b)
{
    const code_key *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c != 0 ? c : (x->fid > y->fid) - (x->fid < y->fid);
}

static int by_community_code(const void *a, const void *b)
{
    const code_key *x = a, *y = b;
    if (x->comm != y->comm) {
        return x->comm < y->comm ? -1 : 1;
    }
    return strcmp(x->code, y->code);
}

static code_key *make_keys(const gp_grid_layer *g)
{
    code_key *k = gp_malloc(((size_t)g->n + 1) * sizeof *k);
    for (int32_t i = 0; k != NULL && i < g->n; i++) {
        k[i] = (code_key){g->code[i], g->fid[i], g->community[i] >= 0 ? g->community[i] : INT32_MAX,
                          i};
    }
    return k;
}

/* Codes must be unique: the first repeated one (in code order) names both features. */
static gp_status check_codes(greader *r, const char *field)
{
    code_key *k = make_keys(r->g);
    if (k == NULL) {
        return gp_error_nomem(r->ctx, "grid codes");
    }
    qsort(k, (size_t)r->g->n, sizeof *k, by_code);
    gp_status st = GP_OK;
    for (int32_t i = 1; i < r->g->n; i++) {
        if (strcmp(k[i - 1].code, k[i].code) == 0) {
            st = gp_error(r->ctx, GP_ERR_INPUT,
                          "%s: field '%s': grid code '%s' is used by features %" PRId64
                          " and %" PRId64 "; codes must be unique",
                          r->l->label, field, k[i].code, k[i - 1].fid, k[i].fid);
            break;
        }
    }
    gp_free(k);
    return st;
}

/* The community holding most of grid g's area (ties: the lower id), or -1 when none does. */
static gp_status largest_share(greader *r, GEOSSTRtree *tree, GEOSGeometry *const *comm,
                               const int32_t *rank, const GEOSGeometry *grid, int64_t fid,
                               gp_hits *hs, int32_t *best)
{
    GEOSContextHandle_t h = r->h;
    double best_area = 0.0;
    *best = -1;
    hs->n = 0;
    GEOSSTRtree_query_r(h, tree, grid, gp_hits_collect, hs);
    if (hs->failed) {
        return gp_error_nomem(r->ctx, "a spatial index query");
    }
    gp_hits_sort(hs);
    for (size_t k = 0; k < hs->n; k++) {
        int32_t c = hs->v[k];
        GEOSGeometry *x = GEOSIntersection_r(h, comm[c], grid);
        double area = 0.0;
        if (x == NULL || GEOSArea_r(h, x, &area) != 1) {
            if (x != NULL) {
                GEOSGeom_destroy_r(h, x);
            }
            return gp_error(r->ctx, GP_ERR_GEOMETRY,
                            "%s: feature %" PRId64 ": cannot intersect it with community '%s': %s",
                            r->l->label, fid, r->ds->community_id[c], r->ctx->engine_error);
        }
        GEOSGeom_destroy_r(h, x);
        if (area > best_area || (area == best_area && area > 0 && rank[c] < rank[*best])) {
            best_area = area;
            *best = c;
        }
    }
    return GP_OK;
}

/* Each grid's community (unless the community field named it) by area; grids in none are
 * counted in n_outside. */
static gp_status place_grids(greader *r, int by_field)
{
    gp_context *ctx = r->ctx;
    GEOSContextHandle_t h = r->h;
    const gp_dataset *ds = r->ds;
    gp_grid_layer *g = r->g;
    int32_t nc = ds->n_communities;
    gp_status st = GP_OK;
    gp_hits hs = {0};
    int32_t *rank = NULL;
    GEOSGeometry **comm = gp_calloc((size_t)nc + 1, sizeof *comm);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    if (comm == NULL || tree == NULL) {
        st = gp_error_nomem(ctx, "a spatial index");
        goto done;
    }
    if ((st = gp_dataset_community_rank(ctx, ds, &rank)) != GP_OK) {
        goto done;
    }
    for (int32_t c = 0; c < nc; c++) {
        comm[c] = GEOSWKBReader_read_r(h, r->wkb_in, ds->community_wkb[c].data,
                                       ds->community_wkb[c].size);
        if (comm[c] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot decode community %d", c);
            goto done;
        }
        GEOSSTRtree_insert_r(h, tree, comm[c], (void *)(intptr_t)c);
    }
    for (int32_t i = 0; i < g->n; i++) {
        if ((st = tick(r)) != GP_OK) {
            goto done;
        }
        GEOSGeometry *grid = GEOSWKBReader_read_r(h, r->wkb_in, g->wkb[i].data, g->wkb[i].size);
        if (grid == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot decode grid %d", i);
            goto done;
        }
        int32_t best = -1;
        st = largest_share(r, tree, comm, rank, grid, g->fid[i], &hs, &best);
        GEOSGeom_destroy_r(h, grid);
        if (st != GP_OK) {
            goto done;
        }
        if (best < 0) {
            int64_t *q = gp_reallocarray(g->outside_fid, (size_t)g->n_outside + 1, sizeof *q);
            if (q == NULL) {
                st = gp_error_nomem(ctx, "grid ids");
                goto done;
            }
            g->outside_fid = q;
            q[g->n_outside++] = g->fid[i];
        }
        if (!by_field) {
            g->community[i] = best;
        }
    }
    gp_fid_sort(g->outside_fid, g->n_outside);
done:
    if (tree != NULL) {
        GEOSSTRtree_destroy_r(h, tree);
    }
    for (int32_t c = 0; comm != NULL && c < nc; c++) {
        if (comm[c] != NULL) {
            GEOSGeom_destroy_r(h, comm[c]);
        }
    }
    gp_free(comm);
    gp_free(rank);
    gp_free(hs.v);
    return st;
}

/* Put the grids in canonical order (community index, then code; grids in no community last)
 * and build first[]. */
static gp_status canonical_order(greader *r)
{
    gp_grid_layer *g = r->g;
    size_t n = (size_t)g->n;
    code_key *k = make_keys(g);
    char **code = gp_malloc((n + 1) * sizeof *code);
    int64_t *fid = gp_malloc((n + 1) * sizeof *fid);
    gp_wkb *wkb = gp_malloc((n + 1) * sizeof *wkb);
    int32_t *comm = gp_malloc((n + 1) * sizeof *comm);
    g->first = gp_calloc((size_t)r->ds->n_communities + 1, sizeof *g->first);
    if (k == NULL || code == NULL || fid == NULL || wkb == NULL || comm == NULL ||
        g->first == NULL) {
        gp_free(k);
        gp_free(code);
        gp_free(fid);
        gp_free(wkb);
        gp_free(comm);
        return gp_error_nomem(r->ctx, "grids");
    }
    qsort(k, n, sizeof *k, by_community_code);
    for (size_t i = 0; i < n; i++) {
        code[i] = g->code[k[i].index];
        fid[i] = g->fid[k[i].index];
        wkb[i] = g->wkb[k[i].index];
        comm[i] = g->community[k[i].index];
        if (comm[i] >= 0) {
            g->first[comm[i] + 1]++;
        }
    }
    for (int32_t c = 0; c < r->ds->n_communities; c++) {
        g->first[c + 1] += g->first[c];
    }
    gp_free(g->code);
    gp_free(g->fid);
    gp_free(g->wkb);
    gp_free(g->community);
    g->code = code;
    g->fid = fid;
    g->wkb = wkb;
    g->community = comm;
    gp_free(k);
    return GP_OK;
}

/* The layer's CRS as WKT (NULL and *assumed = 1 when it has none: the communities' is taken),
 * its extent checked against it. */
static gp_status layer_crs(greader *r, char **wkt, int32_t *assumed)
{
    gp_context *ctx = r->ctx;
    *wkt = NULL;
    *assumed = 0;
    OGRSpatialReferenceH srs = gp_layer_srs(r->l, NULL);
    if (srs == NULL) {
        *assumed = 1;
        return GP_OK;
    }
    OGREnvelope env;
    gp_status st = GP_OK;
    gp_gdal_push_errors(ctx);
    if (OGR_L_GetExtent(r->l->layer, &env, TRUE) == OGRERR_NONE) {
        st = gp_crs_check_extent(ctx, r->l->label, srs, env.MinX, env.MinY, env.MaxX, env.MaxY);
    }
    char *w = NULL;
    const char *opts[] = {"FORMAT=WKT2_2019", NULL};
    if (st == GP_OK && OSRExportToWktEx(srs, &w, opts) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_CRS, "%s: cannot describe the layer's CRS", r->l->label);
    }
    gp_gdal_pop_errors(ctx);
    if (st == GP_OK) {
        *wkt = gp_strdup(w);
        st = *wkt ? GP_OK : gp_error_nomem(ctx, "a CRS");
    }
    CPLFree(w);
    return st;
}

/* A layer without a CRS was taken to be in the communities' CRS, which does not fit it: `why`. */
static gp_status assumed_crs_error(greader *r, const char *why)
{
    char *crs = gp_crs_describe(r->ds->output_wkt);
    gp_status st = gp_error(r->ctx, GP_ERR_CRS,
                            "%s: the layer has no CRS; taken to be in the communities' CRS (%s), "
                            "%s: assign it its CRS (e.g. ogr2ogr -a_srs EPSG:4326)",
                            r->l->label, crs ? crs : "?", why);
    gp_free(crs);
    return st;
}

/* A layer without a CRS was taken to be in the communities' CRS: when no grid then meets any
 * community (or its coordinates cannot be in that CRS), it was not. */
static gp_status check_assumed_crs(greader *r, gp_status st)
{
    char why[GP_MESSAGE_MAX + 64];
    if (!r->g->assumed_crs) {
        return st;
    }
    if (st == GP_ERR_CRS) {
        snprintf(why, sizeof why, "which does not fit its coordinates (%s)",
                 gp_context_last_error(r->ctx));
        return assumed_crs_error(r, why);
    }
    if (st == GP_OK && r->g->n_outside == r->g->n) {
        snprintf(why, sizeof why, "none of its %d grids meets any community", r->g->n);
        return assumed_crs_error(r, why);
    }
    return st;
}

gp_status gp_grid_layer_read(gp_context *ctx, const gp_dataset *ds,
                             const gp_grid_layer_source *src, gp_grid_layer **out)
{
    if (out == NULL || ds == NULL || src == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_grid_layer_read: NULL argument");
    }
    *out = NULL;
    if (src->path == NULL || src->path[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "grids: no layer given");
    }
    greader r = {.ctx = ctx, .ds = ds, .h = gp_ctx_geos(ctx)};
    if (r.h == NULL) {
        return gp_error_nomem(ctx, "a GEOS context");
    }
    gp_layer *l = NULL;
    OGRCoordinateTransformationH ct = NULL;
    char *wkt = NULL;
    gp_status st = gp_layer_open_with(ctx, src->path, "grids", src->layers, &l);
    if (st != GP_OK) {
        return st;
    }
    r.l = l;
    r.g = gp_calloc(1, sizeof *r.g);
    r.wkb_in = GEOSWKBReader_create_r(r.h);
    r.wkb_out = GEOSWKBWriter_create_r(r.h);
    if (r.g == NULL || r.wkb_in == NULL || r.wkb_out == NULL ||
        (r.g->label = gp_strdup(l->label)) == NULL) {
        st = gp_error_nomem(ctx, "a grids layer");
        goto done;
    }
    if ((st = layer_crs(&r, &wkt, &r.g->assumed_crs)) != GP_OK) {
        goto done;
    }
    st = gp_transform_new(ctx, wkt ? wkt : ds->output_wkt, ds->work_wkt, &ct);
    if (st != GP_OK) {
        st = gp_error_prefix(ctx, "%s", l->label);
        goto done;
    }
    gp_gdal_push_errors(ctx);
    st = read_features(&r, src, ct);
    gp_gdal_pop_errors(ctx);
    if (st == GP_OK) {
        st = check_codes(&r, src->code_field ? src->code_field : "grid_code");
    }
    if (st == GP_OK) {
        st = place_grids(&r, src->community_field != NULL);
    }
    st = check_assumed_crs(&r, st);
    if (st == GP_OK) {
        st = canonical_order(&r);
    }
done:
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    if (r.wkb_in != NULL) {
        GEOSWKBReader_destroy_r(r.h, r.wkb_in);
    }
    if (r.wkb_out != NULL) {
        GEOSWKBWriter_destroy_r(r.h, r.wkb_out);
    }
    gp_free(wkt);
    gp_layer_close(l);
    if (st != GP_OK) {
        gp_grid_layer_free(r.g);
        r.g = NULL;
    }
    *out = r.g;
    return st;
}

void gp_grid_layer_free(gp_grid_layer *layer)
{
    if (layer == NULL) {
        return;
    }
    for (int32_t i = 0; i < layer->n; i++) {
        gp_free(layer->code[i]);
        gp_free(layer->wkb[i].data);
    }
    gp_free(layer->label);
    gp_free(layer->code);
    gp_free(layer->fid);
    gp_free(layer->wkb);
    gp_free(layer->community);
    gp_free(layer->first);
    gp_free(layer->outside_fid);
    gp_free(layer);
}
