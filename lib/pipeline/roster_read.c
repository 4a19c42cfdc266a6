/* SPDX-License-Identifier: MIT */
/** @file roster_read.c Read the roster of workers and the residents field, checked against the
 * communities, before any community is divided. */

#include "roster.h"

#include "core/context.h"
#include "core/memory.h"
#include "geometry/select.h"
#include "io/layer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gp_roster_free(gp_roster *r)
{
    if (r == NULL) {
        return;
    }
    for (int32_t i = 0; i < r->n; i++) {
        gp_free(r->id[i]);
        gp_free(r->grid_code[i]);
    }
    gp_free(r->id);
    gp_free(r->grid_code);
    gp_free(r->fid);
    gp_free(r->start);
    gp_free(r->list);
    gp_free(r->residents);
    gp_free(r->label);
    gp_free(r);
}

/* A field's text with leading and trailing blanks removed (gp_strdup), "" for null. */
static char *field_text(OGRFeatureH f, int field)
{
    const char *s = field >= 0 && OGR_F_IsFieldSetAndNotNull(f, field)
                        ? OGR_F_GetFieldAsString(f, field)
                        : "";
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        n--;
    }
    char *out = gp_malloc(n + 1);
    if (out != NULL) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* A text key and what it belongs to, sorted by key (then fid) for lookups without globals. */
typedef struct {
    const char *key;
    int64_t fid;
    int32_t index;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->fid > y->fid) - (x->fid < y->fid);
}

/* The community whose id is `id` (communities sorted by id), or -1. */
static int32_t find_community(const keyed *sorted, int32_t n, const char *id)
{
    keyed k = {id, 0, 0};
    int32_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sorted[mid].key, k.key);
        if (c == 0) {
            return sorted[mid].index;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

typedef struct {
    gp_roster *r;
    int32_t *community; /* per worker */
    int32_t cap;
} roster_build;

static gp_status grow_roster(gp_context *ctx, roster_build *b)
{
    if (b->r->n < b->cap) {
        return GP_OK;
    }
    int32_t cap = b->cap ? b->cap * 2 : 64;
    gp_roster *r = b->r;
    char **id = gp_reallocarray(r->id, (size_t)cap, sizeof *id);
    r->id = id ? id : r->id;
    char **gc = gp_reallocarray(r->grid_code, (size_t)cap, sizeof *gc);
    r->grid_code = gc ? gc : r->grid_code;
    int64_t *fid = gp_reallocarray(r->fid, (size_t)cap, sizeof *fid);
    r->fid = fid ? fid : r->fid;
    int32_t *com = gp_reallocarray(b->community, (size_t)cap, sizeof *com);
    b->community = com ? com : b->community;
    if (!id || !gc || !fid || !com) {
        return gp_error_nomem(ctx, "the roster");
    }
    b->cap = cap;
    return GP_OK;
}

/* One roster row: its id, community (checked) and grid code. */
static gp_status read_worker(gp_context *ctx, const gp_layer *l, OGRFeatureH f, const int fields[3],
                             const char *const names[3], const gp_dataset *ds,
                             const keyed *sorted, roster_build *b)
{
    gp_roster *r = b->r;
    int64_t fid = (int64_t)OGR_F_GetFID(f);
    gp_status st = grow_roster(ctx, b);
    if (st != GP_OK) {
        return st;
    }
    char *id = field_text(f, fields[0]);
    char *com = field_text(f, fields[1]);
    char *grid = field_text(f, fields[2]);
    int32_t k = r->n;
    int nomem = id == NULL || com == NULL || grid == NULL;
    if (grid != NULL && *grid == '\0') {
        gp_free(grid);
        grid = NULL;
    }
    r->id[k] = id;
    r->grid_code[k] = grid;
    r->fid[k] = fid;
    r->n++;
    if (nomem) {
        st = gp_error_nomem(ctx, "the roster");
    } else if (*id == '\0') {
        st = gp_error(ctx, GP_ERR_INPUT, "%s: feature %" PRId64 ": field '%s': worker id is empty",
                      l->label, fid, names[0]);
    } else if (*com == '\0') {
        st = gp_error(ctx, GP_ERR_INPUT,
                      "%s: feature %" PRId64 ": field '%s': worker '%s' has no community",
                      l->label, fid, names[1], id);
    } else if ((b->community[k] = find_community(sorted, ds->n_communities, com)) < 0) {
        st = gp_error(ctx, GP_ERR_INPUT,
                      "%s: feature %" PRId64 ": field '%s': worker '%s': community '%s' is not "
                      "in %s",
                      l->label, fid, names[1], id, com, ds->notes[GP_ROLE_COMMUNITIES].label);
    }
    gp_free(com);
    return st;
}

/* Workers in id order: a repeated id is an error; then grouped by community (CSR). */
static gp_status index_workers(gp_context *ctx, const gp_layer *l, const char *id_field,
                               const gp_dataset *ds, roster_build *b)
{
    gp_roster *r = b->r;
    keyed *order = gp_malloc(((size_t)r->n + 1) * sizeof *order);
    r->start = gp_calloc((size_t)ds->n_communities + 1, sizeof *r->start);
    r->list = gp_malloc(((size_t)r->n + 1) * sizeof *r->list);
    int32_t *fill = gp_calloc((size_t)ds->n_communities + 1, sizeof *fill);
    gp_status st = GP_OK;
    if (order == NULL || r->start == NULL || r->list == NULL || fill == NULL) {
        st = gp_error_nomem(ctx, "the roster");
        goto done;
    }
    for (int32_t i = 0; i < r->n; i++) {
        order[i] = (keyed){r->id[i], r->fid[i], i};
    }
    qsort(order, (size_t)r->n, sizeof *order, cmp_keyed);
    for (int32_t k = 1; k < r->n; k++) {
        int32_t i = order[k - 1].index, j = order[k].index;
        if (strcmp(r->id[i], r->id[j]) == 0) {
            st = gp_error(ctx, GP_ERR_INPUT,
                          "%s: feature %" PRId64 ": field '%s': worker id '%s' repeats feature "
                          "%" PRId64,
                          l->label, r->fid[j], id_field, r->id[j], r->fid[i]);
            goto done;
        }
    }
    for (int32_t i = 0; i < r->n; i++) {
        r->start[b->community[i] + 1]++;
    }
    for (int32_t c = 0; c < ds->n_communities; c++) {
        r->start[c + 1] += r->start[c];
    }
    for (int32_t k = 0; k < r->n; k++) {
        int32_t c = b->community[order[k].index];
        r->list[r->start[c] + fill[c]++] = order[k].index;
    }
done:
    gp_free(order);
    gp_free(fill);
    return st;
}

/* The roster table: fields, rows, checks. */
static gp_status read_roster(gp_context *ctx, const gp_inputs *in, const gp_dataset *ds,
                             gp_roster *r)
{
    gp_layer *l = NULL;
    roster_build b = {r, NULL, 0};
    keyed *sorted = gp_malloc(((size_t)ds->n_communities + 1) * sizeof *sorted);
    const char *names[3] = {in->worker_id_field ? in->worker_id_field : "worker_id",
                            in->worker_community_field ? in->worker_community_field : "community",
                            in->worker_grid_field ? in->worker_grid_field : "grid_code"};
    int fields[3] = {-1, -1, -1};
    gp_status st = sorted ? gp_layer_open_with(ctx, in->workers, "workers", &in->layer_settings, &l)
                          : gp_error_nomem(ctx, "the roster");
    if (st != GP_OK) {
        goto done;
    }
    r->has_workers = 1;
    r->label = gp_strdup(l->label);
    if (r->label == NULL) {
        st = gp_error_nomem(ctx, "the roster");
        goto done;
    }
    for (int i = 0; i < 3 && st == GP_OK; i++) {
        if (i == 2 && in->worker_grid_field == NULL) {
            fields[2] = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l->layer), names[2]);
        } else {
            st = gp_layer_field(ctx, l, names[i], &fields[i]);
        }
    }
    if (st != GP_OK) {
        goto done;
    }
    if (fields[2] >= 0) {
        snprintf(r->grid_field, sizeof r->grid_field, "%s", names[2]);
    }
    /* A part of the input: the workers of its communities alone (geometry/select.h). */
    if ((st = gp_select_filter_by_community(ctx, ds, l, fields[1])) != GP_OK) {
        goto done;
    }
    for (int32_t c = 0; c < ds->n_communities; c++) {
        sorted[c] = (keyed){ds->community_id[c], c, c};
    }
    qsort(sorted, (size_t)ds->n_communities, sizeof *sorted, cmp_keyed);
    OGR_L_ResetReading(l->layer);
    OGRFeatureH f = NULL;
    while (st == GP_OK && (f = OGR_L_GetNextFeature(l->layer)) != NULL) {
        st = read_worker(ctx, l, f, fields, names, ds, sorted, &b);
        OGR_F_Destroy(f);
    }
    if (st == GP_OK) {
        st = index_workers(ctx, l, names[0], ds, &b);
    }
done:
    gp_free(b.community);
    gp_free(sorted);
    gp_layer_close(l);
    return st;
}

typedef struct {
    int64_t fid;
    double value;
} fid_value;

static int cmp_fid(const void *a, const void *b)
{
    int64_t x = ((const fid_value *)a)->fid, y = ((const fid_value *)b)->fid;
    return (x > y) - (x < y);
}

/* A residents value: a number >= 0 (null: 0), else GP_ERR_INPUT naming the feature. */
static gp_status residents_value(gp_context *ctx, const gp_layer *l, OGRFeatureH f, int field,
                                 const char *name, double *out)
{
    *out = 0.0;
    if (!OGR_F_IsFieldSetAndNotNull(f, field)) {
        return GP_OK;
    }
    const char *text = OGR_F_GetFieldAsString(f, field);
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v) || v < 0) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: feature %" PRId64 ": field '%s': residents '%s' is not a number >= 0",
                        l->label, (int64_t)OGR_F_GetFID(f), name, text);
    }
    *out = v;
    return GP_OK;
}

/* The residents field of the households layer, summed per community over the features the
 * dataset placed there (by feature id, so skipped and outside features count nowhere). */
static gp_status read_residents(gp_context *ctx, const gp_inputs *in, const gp_dataset *ds,
                                gp_roster *r)
{
    gp_layer *l = NULL;
    fid_value *v = NULL;
    int64_t n = 0, cap = 0;
    int field = -1;
    r->residents = gp_calloc((size_t)ds->n_communities + 1, sizeof *r->residents);
    gp_status st = r->residents ? gp_layer_open_with(ctx, in->households, "households",
                                                     &in->layer_settings, &l)
                                : gp_error_nomem(ctx, "residents");
    if (st == GP_OK) {
        st = gp_layer_field(ctx, l, in->residents_field, &field);
    }
    if (st == GP_OK) {
        const char *ignored[] = {"OGR_GEOMETRY", NULL};
        OGR_L_SetIgnoredFields(l->layer, ignored);
        OGR_L_ResetReading(l->layer);
    }
    OGRFeatureH f = NULL;
    while (st == GP_OK && (f = OGR_L_GetNextFeature(l->layer)) != NULL) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            fid_value *g = gp_reallocarray(v, (size_t)cap, sizeof *v);
            if (g == NULL) {
                st = gp_error_nomem(ctx, "residents");
            }
            v = g ? g : v;
        }
        if (st == GP_OK) {
            v[n].fid = (int64_t)OGR_F_GetFID(f);
            st = residents_value(ctx, l, f, field, in->residents_field, &v[n++].value);
        }
        OGR_F_Destroy(f);
    }
    if (st == GP_OK && n > 0) {
        qsort(v, (size_t)n, sizeof *v, cmp_fid);
        for (int64_t i = 0; i < ds->n_households; i++) {
            fid_value key = {ds->hh_fid[i], 0};
            const fid_value *hit = bsearch(&key, v, (size_t)n, sizeof *v, cmp_fid);
            if (hit != NULL && ds->hh_community[i] >= 0) {
                r->residents[ds->hh_community[i]] += hit->value;
            }
        }
    }
    gp_free(v);
    gp_layer_close(l);
    return st;
}

gp_status gp_roster_read(gp_context *ctx, const gp_inputs *in, const gp_dataset *ds,
                         gp_roster **out)
{
    *out = NULL;
    if (in->workers == NULL && in->residents_field == NULL) {
        return GP_OK;
    }
    gp_roster *r = gp_calloc(1, sizeof *r);
    if (r == NULL) {
        return gp_error_nomem(ctx, "the roster");
    }
    gp_gdal_register_once();
    gp_status st = GP_OK;
    if (in->workers != NULL) {
        st = read_roster(ctx, in, ds, r);
    }
    if (st == GP_OK && in->residents_field != NULL) {
        st = read_residents(ctx, in, ds, r);
    }
    if (st != GP_OK) {
        gp_roster_free(r);
        return st;
    }
    *out = r;
    return GP_OK;
}
