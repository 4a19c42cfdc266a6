/* SPDX-License-Identifier: MIT */
/** @file loads.c Workload inputs: weighted household fields, extra loads and where they lie. */

#include "loads.h"

#include "canonical.h"
#include "featgeom.h"
#include "hits.h"
#include "select.h"

#include "core/context.h"
#include "core/memory.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <ogr_api.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int numeric(OGRFieldType t)
{
    return t == OFTInteger || t == OFTInteger64 || t == OFTReal;
}

/* "a, b, c": the numeric fields of layer l, for messages. */
static void numeric_fields(const gp_layer *l, char *list, size_t size)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l->layer);
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < OGR_FD_GetFieldCount(defn) && used + 1 < size; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        if (!numeric(OGR_Fld_GetType(fd))) {
            continue;
        }
        int w =
            snprintf(list + used, size - used, "%s%s", used ? ", " : "", OGR_Fld_GetNameRef(fd));
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    if (used == 0) {
        snprintf(list, size, "none");
    }
}

/* The index of numeric field `name` of l; `what` says what it is for ("weight", "load"). */
static gp_status numeric_field(gp_context *ctx, const gp_layer *l, const char *name,
                               const char *what, int *index)
{
    char list[512];
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l->layer);
    int i = OGR_FD_GetFieldIndex(defn, name);
    *index = i;
    if (i >= 0 && numeric(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)))) {
        return GP_OK;
    }
    numeric_fields(l, list, sizeof list);
    if (i < 0) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: %s field '%s': no such field (numeric fields: %s)",
                        l->label, what, name, list);
    }
    return gp_error(ctx, GP_ERR_INPUT,
                    "%s: %s field '%s' is not numeric (it holds %s; numeric fields: %s)", l->label,
                    what, name, OGR_GetFieldTypeName(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i))),
                    list);
}

/* Feature f's value of numeric field i: set, finite, >= 0; else GP_ERR_INPUT naming it. */
static gp_status field_value(gp_context *ctx, const gp_layer *l, OGRFeatureH f, int i,
                             const char *name, const char *what, double *out)
{
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    if (!OGR_F_IsFieldSetAndNotNull(f, i)) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64
                        ": %s field '%s' is null (give it a value, 0 "
                        "when there is none)",
                        l->label, fid, what, name);
    }
    double v = OGR_F_GetFieldAsDouble(f, i);
    if (!isfinite(v) || v < 0) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": %s field '%s': %g is %s",
                        l->label, fid, what, name, v, isfinite(v) ? "negative" : "not finite");
    }
    *out = v;
    return GP_OK;
}

gp_status gp_weights_fields(gp_context *ctx, const gp_layer *l, const gp_dataset_inputs *in,
                            int **widx)
{
    *widx = NULL;
    if (in->n_weights <= 0) {
        return GP_OK;
    }
    int *idx = gp_malloc((size_t)in->n_weights * sizeof *idx);
    if (idx == NULL) {
        return gp_error_nomem(ctx, "the weight fields");
    }
    for (int32_t k = 0; k < in->n_weights; k++) {
        gp_status st = numeric_field(ctx, l, in->weight_field[k], "weight", &idx[k]);
        if (st != GP_OK) {
            gp_free(idx);
            return st;
        }
    }
    *widx = idx;
    return GP_OK;
}

gp_status gp_weights_value(gp_context *ctx, const gp_layer *l, OGRFeatureH f,
                           const gp_dataset_inputs *in, const int *widx, double *out)
{
    double sum = 0;
    for (int32_t k = 0; k < in->n_weights; k++) {
        double v = 0;
        gp_status st = field_value(ctx, l, f, widx[k], in->weight_field[k], "weight", &v);
        if (st != GP_OK) {
            return st;
        }
        sum += in->weight[k] * v;
    }
    if (!isfinite(sum)) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64
                        ": its weighted fields add up to more than a "
                        "number can hold",
                        l->label, (int64_t)OGR_F_GetFID(f));
    }
    *out = sum;
    return GP_OK;
}

/* The representative point of feature f in the working CRS (gp_feature_geometry, then
 * GEOSPointOnSurface: for a polygon a point inside, after repairing an invalid one). */
static gp_status feature_point(gp_context *ctx, GEOSContextHandle_t h, GEOSWKBReader *in,
                               const gp_layer *l, OGRFeatureH f, OGRCoordinateTransformationH ct,
                               double *x, double *y)
{
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    gp_feature_source src = {
        l->label, ct, GP_GEOM_POLYGONAL | GP_GEOM_LINEAL | GP_GEOM_PUNTAL | GP_GEOM_COLLECTION,
        "a point, line or polygon"};
    GEOSGeometry *g = NULL, *p = NULL;
    gp_status st = gp_feature_geometry(ctx, h, in, &src, f, &g, NULL, 0);
    if (st != GP_OK) {
        return st;
    }
    p = GEOSPointOnSurface_r(h, g);
    if (p == NULL || GEOSisEmpty_r(h, p) || GEOSGeomGetX_r(h, p, x) != 1 ||
        GEOSGeomGetY_r(h, p, y) != 1) {
        st = gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": no usable geometry%s%s",
                      l->label, fid, ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
    if (p != NULL) {
        GEOSGeom_destroy_r(h, p);
    }
    GEOSGeom_destroy_r(h, g);
    return st;
}

/* Room for load i (arrays grow by doubling). */
static gp_status grow_loads(gp_context *ctx, gp_dataset *ds, size_t *cap)
{
    size_t need = (size_t)ds->n_loads + 1;
    if (need <= *cap) {
        return GP_OK;
    }
    size_t c = *cap ? 2 * *cap : 64;
    void **arr[] = {(void **)&ds->load_fid, (void **)&ds->load_layer, (void **)&ds->load_value,
                    (void **)&ds->load_x, (void **)&ds->load_y};
    size_t size[] = {sizeof(int64_t), sizeof(int32_t), sizeof(double), sizeof(double),
                     sizeof(double)};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) {
        void *p = gp_reallocarray(*arr[k], c, size[k]);
        if (p == NULL) {
            return gp_error_nomem(ctx, "the extra loads");
        }
        *arr[k] = p;
    }
    *cap = c;
    return GP_OK;
}

/* The layer's transform into the working CRS (NULL when it is the same); a layer without a
 * CRS is an error, as for the other inputs. */
static gp_status layer_transform(gp_context *ctx, const gp_layer *l, OGRSpatialReferenceH work,
                                 OGRCoordinateTransformationH *ct)
{
    *ct = NULL;
    OGRSpatialReferenceH srs = gp_layer_srs(l, NULL);
    if (srs == NULL) {
        return gp_error(ctx, GP_ERR_CRS,
                        "extra load: %s has no CRS; assign it one (e.g. ogr2ogr -a_srs) or "
                        "assume one (CLI --assume-crs)",
                        l->label);
    }
    OGRSpatialReferenceH s = OSRClone(srs);
    if (s == NULL) {
        return gp_error_nomem(ctx, "a CRS");
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    gp_status st = GP_OK;
    if (!OSRIsSame(s, work) && (*ct = OCTNewCoordinateTransformation(s, work)) == NULL) {
        st = gp_error(ctx, GP_ERR_CRS, "%s: cannot project into the working CRS%s%s", l->label,
                      ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
    OSRRelease(s);
    return st;
}

/* Read extra-load layer k into the dataset's load arrays. */
static gp_status read_load_layer(gp_context *ctx, const gp_dataset_inputs *in, gp_dataset *ds,
                                 int32_t k, OGRSpatialReferenceH work, size_t *cap)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSWKBReader *wkb_in = NULL;
    gp_layer *l = NULL;
    OGRCoordinateTransformationH ct = NULL;
    OGRFeatureH f = NULL;
    int field = -1;
    const char *fname = in->load_field ? in->load_field[k] : NULL;
    gp_status st = gp_layer_open_with(ctx, in->load_source[k], "extra load", in->layers, &l);
    if (st != GP_OK) {
        return st;
    }
    if ((ds->load_label[k] = gp_strdup(l->label)) == NULL) {
        st = gp_error_nomem(ctx, "a layer name");
        goto done;
    }
    if ((st = gp_layer_need_geometry(ctx, l, "extra load")) != GP_OK) {
        goto done;
    }
    if ((fname != NULL && (st = numeric_field(ctx, l, fname, "load", &field)) != GP_OK) ||
        (st = layer_transform(ctx, l, work, &ct)) != GP_OK ||
        (ds->has_part_env && (st = gp_select_filter_layer(ctx, ds->part_env, work, l)) != GP_OK)) {
        goto done;
    }
    if ((wkb_in = GEOSWKBReader_create_r(h)) == NULL) {
        st = gp_error_nomem(ctx, "a WKB reader");
        goto done;
    }
    OGR_L_ResetReading(l->layer);
    while ((f = OGR_L_GetNextFeature(l->layer)) != NULL) {
        double v = 1, x = 0, y = 0;
        if ((field >= 0 && (st = field_value(ctx, l, f, field, fname, "load", &v)) != GP_OK) ||
            (st = feature_point(ctx, h, wkb_in, l, f, ct, &x, &y)) != GP_OK ||
            (st = grow_loads(ctx, ds, cap)) != GP_OK) {
            goto done;
        }
        int64_t i = ds->n_loads++;
        ds->load_fid[i] = (int64_t)OGR_F_GetFID(f);
        ds->load_layer[i] = k;
        ds->load_value[i] = v;
        ds->load_x[i] = x;
        ds->load_y[i] = y;
        ds->load_read += v;
        OGR_F_Destroy(f);
        f = NULL;
    }
done:
    if (f != NULL) {
        OGR_F_Destroy(f);
    }
    if (wkb_in != NULL) {
        GEOSWKBReader_destroy_r(h, wkb_in);
    }
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    gp_layer_close(l);
    return st;
}

typedef struct load_key {
    double x, y, value;
    int32_t layer;
    int64_t fid;
    int64_t index;
} load_key;

static int cmp_load(const void *pa, const void *pb)
{
    const load_key *a = pa, *b = pb;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    if (a->y != b->y) {
        return a->y < b->y ? -1 : 1;
    }
    if (a->value != b->value) {
        return a->value < b->value ? -1 : 1;
    }
    return (a->layer > b->layer) - (a->layer < b->layer);
}

/* Loads in canonical order (point, value, layer): sums do not depend on the file order. */
static gp_status sort_loads(gp_context *ctx, gp_dataset *ds)
{
    size_t n = (size_t)ds->n_loads;
    load_key *key = gp_malloc((n + 1) * sizeof *key);
    if (key == NULL) {
        return gp_error_nomem(ctx, "sorting extra loads");
    }
    for (size_t i = 0; i < n; i++) {
        key[i] = (load_key){ds->load_x[i],     ds->load_y[i],   ds->load_value[i],
                            ds->load_layer[i], ds->load_fid[i], (int64_t)i};
    }
    qsort(key, n, sizeof *key, cmp_load);
    for (size_t i = 0; i < n; i++) {
        ds->load_x[i] = key[i].x;
        ds->load_y[i] = key[i].y;
        ds->load_value[i] = key[i].value;
        ds->load_layer[i] = key[i].layer;
        ds->load_fid[i] = key[i].fid;
    }
    gp_free(key);
    return GP_OK;
}

/* Each load's community (lowest id on a shared border) and the per-community CSR lists. */
static gp_status place_loads(gp_context *ctx, gp_dataset *ds, GEOSGeometry *const *comm)
{
    int32_t nc = ds->n_communities;
    size_t nl = (size_t)ds->n_loads;
    gp_status st = GP_OK;
    int32_t *fill = NULL;
    gp_community_locator loc = {0};
    ds->load_community = gp_malloc((nl + 1) * sizeof *ds->load_community);
    ds->load_start = gp_calloc((size_t)nc + 1, sizeof *ds->load_start);
    ds->load_list = gp_malloc((nl + 1) * sizeof *ds->load_list);
    fill = gp_malloc(((size_t)nc + 1) * sizeof *fill);
    if (ds->load_community == NULL || ds->load_start == NULL || ds->load_list == NULL ||
        fill == NULL) {
        st = gp_error_nomem(ctx, "the extra-load index");
        goto done;
    }
    if ((st = gp_community_locator_new(ctx, ds, comm, "the extra-load index", &loc)) != GP_OK) {
        goto done;
    }
    for (size_t i = 0; i < nl; i++) {
        int32_t c = -1;
        if ((st = gp_community_locator_find(ctx, &loc, ds->load_x[i], ds->load_y[i], &c)) !=
            GP_OK) {
            goto done;
        }
        ds->load_community[i] = c;
        if (c < 0) {
            ds->load_outside += ds->load_value[i];
        } else {
            ds->load_start[c + 1]++;
        }
    }
    for (int32_t c = 0; c < nc; c++) {
        ds->load_start[c + 1] += ds->load_start[c];
    }
    memcpy(fill, ds->load_start, (size_t)nc * sizeof *fill);
    for (size_t i = 0; i < nl; i++) {
        if (ds->load_community[i] >= 0) {
            ds->load_list[fill[ds->load_community[i]]++] = (int64_t)i;
        }
    }
done:
    gp_community_locator_free(&loc);
    gp_free(fill);
    return st;
}

gp_status gp_dataset_read_loads(gp_context *ctx, const gp_dataset_inputs *in, gp_dataset *ds,
                                OGRSpatialReferenceH work, GEOSGeometry *const *comm)
{
    ds->weighted = in->n_weights > 0 || in->n_loads > 0;
    if (in->n_loads <= 0) {
        return GP_OK;
    }
    if (in->load_source == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "extra loads: no sources given");
    }
    ds->load_label = gp_calloc((size_t)in->n_loads, sizeof *ds->load_label);
    if (ds->load_label == NULL) {
        return gp_error_nomem(ctx, "the extra loads");
    }
    ds->n_load_layers = in->n_loads;
    size_t cap = 0;
    gp_status st = GP_OK;
    for (int32_t k = 0; k < in->n_loads && st == GP_OK; k++) {
        st = read_load_layer(ctx, in, ds, k, work, &cap);
    }
    if (st == GP_OK && !isfinite(ds->load_read)) {
        st = gp_error(ctx, GP_ERR_INPUT, "extra loads add up to more than a number can hold");
    }
    if (st == GP_OK && (st = grow_loads(ctx, ds, &cap)) == GP_OK &&
        (st = sort_loads(ctx, ds)) == GP_OK) {
        st = place_loads(ctx, ds, comm);
    }
    return st;
}

void gp_dataset_free_loads(gp_dataset *ds)
{
    for (int32_t k = 0; ds->load_label != NULL && k < ds->n_load_layers; k++) {
        gp_free(ds->load_label[k]);
    }
    void *arrays[] = {ds->load_label,     ds->load_fid,   ds->load_layer,
                      ds->load_value,     ds->load_x,     ds->load_y,
                      ds->load_community, ds->load_start, ds->load_list};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
}

gp_status gp_blocks_place_loads(gp_context *ctx, const gp_dataset *ds, gp_blocks *b)
{
    int32_t c = b->community;
    if (!ds->weighted) {
        return GP_OK; /* the workload is the households */
    }
    b->workload = gp_calloc((size_t)b->n + 1, sizeof *b->workload);
    b->load_start = gp_calloc((size_t)b->n + 2, sizeof *b->load_start);
    if (b->workload == NULL || b->load_start == NULL) {
        return gp_error_nomem(ctx, "block workloads");
    }
    for (int32_t k = 0; k < b->n; k++) {
        for (int32_t i = b->hh_start[k]; i < b->hh_start[k + 1]; i++) {
            int64_t q = b->hh_list[i];
            b->workload[k] += ds->hh_workload ? ds->hh_workload[q] : (double)ds->hh_count[q];
        }
    }
    int32_t first = ds->load_start ? ds->load_start[c] : 0;
    int32_t count = ds->load_start ? ds->load_start[c + 1] - first : 0;
    b->load_list = gp_malloc(((size_t)count + 1) * sizeof *b->load_list);
    if (b->load_list == NULL) {
        return gp_error_nomem(ctx, "block workloads");
    }
    if (count == 0) {
        return GP_OK;
    }
    int32_t *where = gp_malloc((size_t)count * sizeof *where);
    int32_t *fill = gp_malloc(((size_t)b->n + 1) * sizeof *fill);
    int32_t nearest = 0;
    gp_status st = where && fill ? GP_OK : gp_error_nomem(ctx, "extra-load placement");
    if (st == GP_OK) {
        st = gp_blocks_locate_points(ctx, b, count, ds->load_list + first, ds->load_x, ds->load_y,
                                     where, &nearest);
    }
    for (int32_t i = 0; st == GP_OK && i < count; i++) {
        int64_t q = ds->load_list[first + i];
        if (where[i] < 0) {
            st = gp_error(ctx, GP_ERR_INTERNAL, "%s: feature %" PRId64 ": no block",
                          ds->load_label[ds->load_layer[q]], ds->load_fid[q]);
            break;
        }
        b->load_start[where[i] + 1]++;
        b->workload[where[i]] += ds->load_value[q];
    }
    if (st != GP_OK) {
        goto done;
    }
    for (int32_t k = 0; k < b->n; k++) {
        b->load_start[k + 1] += b->load_start[k];
    }
    memcpy(fill, b->load_start, (size_t)b->n * sizeof *fill);
    for (int32_t i = 0; i < count; i++) {
        b->load_list[fill[where[i]]++] = ds->load_list[first + i];
    }
done:
    gp_free(where);
    gp_free(fill);
    return st;
}
