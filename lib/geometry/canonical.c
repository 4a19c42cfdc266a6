/* SPDX-License-Identifier: MIT */
/** @file canonical.c Sort the features read into an order given by their content (see .h). */

#include "canonical.h"

#include "core/context.h"
#include "core/memory.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include <stdlib.h>
#include <string.h>

/* A line's sort key; wkb and cls point into the dataset. */
typedef struct line_key {
    double env[4]; /* xmin, ymin, xmax, ymax */
    const gp_wkb *wkb;
    const char *cls; /* class name, NULL for none (sorts first) */
    int32_t index;   /* position before sorting */
} line_key;

static int cmp_double(double a, double b)
{
    return (a > b) - (a < b);
}

static int cmp_line(const void *pa, const void *pb)
{
    const line_key *a = pa, *b = pb;
    for (int k = 0; k < 4; k++) {
        int c = cmp_double(a->env[k], b->env[k]);
        if (c != 0) {
            return c;
        }
    }
    if (a->wkb->size != b->wkb->size) {
        return a->wkb->size < b->wkb->size ? -1 : 1;
    }
    int c = memcmp(a->wkb->data, b->wkb->data, a->wkb->size);
    if (c != 0) {
        return c;
    }
    if (a->cls == NULL || b->cls == NULL) {
        return (a->cls != NULL) - (b->cls != NULL);
    }
    return strcmp(a->cls, b->cls);
}

typedef struct house_key {
    double x, y;
    int64_t count;
    double work; /* workload (count plus weighted fields) */
    int32_t index;
} house_key;

static int cmp_house(const void *pa, const void *pb)
{
    const house_key *a = pa, *b = pb;
    int c = cmp_double(a->x, b->x);
    if (c == 0) {
        c = cmp_double(a->y, b->y);
    }
    if (c == 0) {
        c = (a->count > b->count) - (a->count < b->count);
    }
    if (c == 0) {
        c = cmp_double(a->work, b->work);
    }
    return c;
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

typedef struct name_key {
    const char *name;
    int32_t index;
} name_key;

static int cmp_name(const void *pa, const void *pb)
{
    const name_key *a = pa, *b = pb;
    return strcmp(a->name, b->name);
}

/* Reorder n elements of `size` bytes: out[k] = in[order[k]], through a scratch buffer. */
static gp_status permute(gp_context *ctx, void *array, size_t size, const int32_t *order, int64_t n)
{
    if (array == NULL || n < 2) {
        return GP_OK;
    }
    unsigned char *tmp = gp_malloc((size_t)n * size);
    if (tmp == NULL) {
        return gp_error_nomem(ctx, "sorting features");
    }
    const unsigned char *in = array;
    for (int64_t k = 0; k < n; k++) {
        memcpy(tmp + (size_t)k * size, in + (size_t)order[k] * size, size);
    }
    memcpy(array, tmp, (size_t)n * size);
    gp_free(tmp);
    return GP_OK;
}

/* Number the street classes in the order of their names. */
static gp_status sort_classes(gp_context *ctx, gp_dataset *ds)
{
    int32_t n = ds->n_classes;
    if (n < 2) {
        return GP_OK;
    }
    name_key *key = gp_malloc((size_t)n * sizeof *key);
    int32_t *new_index = gp_malloc((size_t)n * sizeof *new_index);
    char **names = gp_malloc((size_t)n * sizeof *names);
    gp_status st = GP_OK;
    if (key == NULL || new_index == NULL || names == NULL) {
        st = gp_error_nomem(ctx, "street classes");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        key[i] = (name_key){ds->class_name[i], i};
    }
    qsort(key, (size_t)n, sizeof *key, cmp_name); /* names are distinct: no ties */
    for (int32_t k = 0; k < n; k++) {
        names[k] = ds->class_name[key[k].index];
        new_index[key[k].index] = k;
    }
    memcpy(ds->class_name, names, (size_t)n * sizeof *names);
    for (int32_t i = 0; i < ds->n_streets; i++) {
        if (ds->street_class[i] != GP_CLASS_NONE) {
            ds->street_class[i] = new_index[ds->street_class[i]];
        }
    }
done:
    gp_free(key);
    gp_free(new_index);
    gp_free(names);
    return st;
}

/* Sort n lines (wkb, fid and, for streets, class) by line_key. */
static gp_status sort_lines(gp_context *ctx, const gp_dataset *ds, gp_wkb *wkb, int64_t *fid,
                            int32_t *cls, int32_t n)
{
    if (n < 2) {
        return GP_OK;
    }
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    gp_status st = GP_OK;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    line_key *key = gp_malloc((size_t)n * sizeof *key);
    int32_t *order = gp_malloc((size_t)n * sizeof *order);
    if (rd == NULL || key == NULL || order == NULL) {
        st = gp_error_nomem(ctx, "sorting lines");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        GEOSGeometry *g = GEOSWKBReader_read_r(h, rd, wkb[i].data, wkb[i].size);
        line_key k = {{0, 0, 0, 0}, &wkb[i], NULL, i};
        if (g == NULL || !GEOSGeom_getXMin_r(h, g, &k.env[0]) ||
            !GEOSGeom_getYMin_r(h, g, &k.env[1]) || !GEOSGeom_getXMax_r(h, g, &k.env[2]) ||
            !GEOSGeom_getYMax_r(h, g, &k.env[3])) {
            if (g != NULL) {
                GEOSGeom_destroy_r(h, g);
            }
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot decode line %d: %s", i,
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        GEOSGeom_destroy_r(h, g);
        if (cls != NULL && cls[i] != GP_CLASS_NONE) {
            k.cls = ds->class_name[cls[i]];
        }
        key[i] = k;
    }
    qsort(key, (size_t)n, sizeof *key, cmp_line);
    for (int32_t k = 0; k < n; k++) {
        order[k] = key[k].index;
    }
    if ((st = permute(ctx, wkb, sizeof *wkb, order, n)) != GP_OK ||
        (st = permute(ctx, fid, sizeof *fid, order, n)) != GP_OK) {
        goto done;
    }
    if (cls != NULL) {
        st = permute(ctx, cls, sizeof *cls, order, n);
    }
done:
    if (rd != NULL) {
        GEOSWKBReader_destroy_r(h, rd);
    }
    gp_free(key);
    gp_free(order);
    return st;
}

static gp_status sort_households(gp_context *ctx, gp_dataset *ds)
{
    int64_t n = ds->n_households;
    if (n < 2) {
        return GP_OK;
    }
    if (n > INT32_MAX) {
        return gp_error(ctx, GP_ERR_LIMIT, "too many household features");
    }
    gp_status st = GP_OK;
    house_key *key = gp_malloc((size_t)n * sizeof *key);
    int32_t *order = gp_malloc((size_t)n * sizeof *order);
    if (key == NULL || order == NULL) {
        st = gp_error_nomem(ctx, "sorting households");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        key[i] = (house_key){ds->hh_x[i], ds->hh_y[i], ds->hh_count[i],
                             ds->hh_workload ? ds->hh_workload[i] : 0, (int32_t)i};
    }
    qsort(key, (size_t)n, sizeof *key, cmp_house);
    for (int64_t k = 0; k < n; k++) {
        order[k] = key[k].index;
    }
    if ((st = permute(ctx, ds->hh_fid, sizeof *ds->hh_fid, order, n)) != GP_OK ||
        (st = permute(ctx, ds->hh_count, sizeof *ds->hh_count, order, n)) != GP_OK ||
        (st = permute(ctx, ds->hh_x, sizeof *ds->hh_x, order, n)) != GP_OK) {
        goto done;
    }
    st = permute(ctx, ds->hh_y, sizeof *ds->hh_y, order, n);
    if (st == GP_OK && ds->hh_workload != NULL) {
        st = permute(ctx, ds->hh_workload, sizeof *ds->hh_workload, order, n);
    }
done:
    gp_free(key);
    gp_free(order);
    return st;
}

gp_status gp_dataset_canonical_order(gp_context *ctx, gp_dataset *ds)
{
    if (ds == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_dataset_canonical_order: NULL dataset");
    }
    gp_status st = sort_classes(ctx, ds);
    if (st == GP_OK) {
        st = sort_lines(ctx, ds, ds->street_wkb, ds->street_fid, ds->street_class, ds->n_streets);
    }
    if (st == GP_OK) {
        st = sort_lines(ctx, ds, ds->barrier_wkb, ds->barrier_fid, NULL, ds->n_barriers);
    }
    if (st == GP_OK) {
        st = sort_households(ctx, ds);
    }
    if (st == GP_OK) {
        gp_fid_sort(ds->skipped_fid, ds->n_skipped);
    }
    return st;
}

void gp_fid_sort(int64_t *fid, int64_t n)
{
    if (n > 1) {
        qsort(fid, (size_t)n, sizeof *fid, cmp_i64);
    }
}

gp_status gp_dataset_community_rank(gp_context *ctx, const gp_dataset *ds, int32_t **rank_out)
{
    int32_t n = ds->n_communities;
    name_key *key = gp_malloc(((size_t)n + 1) * sizeof *key);
    int32_t *rank = gp_malloc(((size_t)n + 1) * sizeof *rank);
    *rank_out = NULL;
    if (key == NULL || rank == NULL) {
        gp_free(key);
        gp_free(rank);
        return gp_error_nomem(ctx, "community ranks");
    }
    for (int32_t c = 0; c < n; c++) {
        key[c] = (name_key){ds->community_id[c], c};
    }
    if (n > 1) {
        qsort(key, (size_t)n, sizeof *key, cmp_name);
    }
    for (int32_t k = 0; k < n; k++) {
        rank[key[k].index] = k;
    }
    gp_free(key);
    *rank_out = rank;
    return GP_OK;
}

gp_status gp_community_locator_new(gp_context *ctx, const gp_dataset *ds, GEOSGeometry *const *comm,
                                   const char *what, gp_community_locator *loc)
{
    int32_t n = ds->n_communities;
    gp_status st = gp_dataset_community_rank(ctx, ds, &loc->rank);
    if (st != GP_OK) {
        return st;
    }
    if (gp_locator_init(&loc->loc, gp_ctx_geos(ctx), n, loc->rank) != 0) {
        return gp_error_nomem(ctx, what);
    }
    for (int32_t c = 0; c < n; c++) {
        if (gp_locator_add(&loc->loc, c, comm[c]) != 0) {
            return gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare community %s",
                            ds->community_id[c]);
        }
    }
    return GP_OK;
}

gp_status gp_community_locator_find(gp_context *ctx, gp_community_locator *loc, double x, double y,
                                    int32_t *c)
{
    *c = gp_locator_find(&loc->loc, x, y);
    return *c != -2 ? GP_OK : gp_error_nomem(ctx, "a spatial index query");
}

void gp_community_locator_free(gp_community_locator *loc)
{
    gp_locator_free(&loc->loc);
    gp_free(loc->rank);
}
