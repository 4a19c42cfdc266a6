/* SPDX-License-Identifier: MIT */
/** @file select.c A part of the input: filters pushed down to GDAL, and the dataset trimmed. */

#include "select.h"

#include "core/context.h"
#include "core/memory.h"
#include "wkbbox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- attribute filters ------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
    int nomem;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->nomem) {
        return;
    }
    if (t->n + n + 1 > t->cap) {
        size_t cap = (t->n + n + 1) * 2;
        char *p = gp_realloc(t->p, cap);
        if (p == NULL) {
            t->nomem = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* s quoted as `q` quotes it in SQL: every q doubled. */
static void put_quoted(text *t, const char *s, char q)
{
    put(t, &q, 1);
    for (const char *p = s; *p; p++) {
        put(t, p, 1);
        if (*p == q) {
            put(t, p, 1);
        }
    }
    put(t, &q, 1);
}

/* A plain decimal number (what a numeric id field's value looks like as text). */
static int is_number(const char *s)
{
    char *end = NULL;
    if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s)) {
        return 0;
    }
    double v = strtod(s, &end);
    return end != NULL && *end == '\0' && isfinite(v);
}

gp_status gp_select_id_filter(gp_context *ctx, const char *field, int numeric,
                              const char *const *ids, size_t n, char **out)
{
    text t = {0};
    size_t in_batch = 0;
    for (size_t i = 0; i < n; i++) {
        if (numeric && !is_number(ids[i])) {
            continue;
        }
        if (in_batch == GP_SELECT_BATCH) {
            puts_(&t, ")");
            in_batch = 0;
        }
        if (in_batch == 0) {
            puts_(&t, t.n ? " OR " : "");
            put_quoted(&t, field, '"');
            puts_(&t, " IN (");
        }
        puts_(&t, in_batch ? ", " : "");
        if (numeric) {
            puts_(&t, ids[i]);
        } else {
            put_quoted(&t, ids[i], '\'');
        }
        in_batch++;
    }
    puts_(&t, in_batch ? ")" : "1 = 0"); /* no id can match: match nothing */
    if (t.nomem) {
        gp_free(t.p);
        *out = NULL;
        return gp_error_nomem(ctx, "an attribute filter");
    }
    *out = t.p;
    return GP_OK;
}

static int field_numeric(const gp_layer *l, int field)
{
    OGRFieldType type = OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(l->layer), field));
    return type == OFTInteger || type == OFTInteger64 || type == OFTReal;
}

static const char *field_name(const gp_layer *l, int field)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(l->layer), field));
}

/* Set the filter on l: GP_ERR_INPUT naming the layer when GDAL refuses it. */
static gp_status set_filter(gp_context *ctx, const gp_layer *l, const char *filter)
{
    gp_gdal_push_errors(ctx);
    OGRErr err = OGR_L_SetAttributeFilter(l->layer, filter);
    gp_gdal_pop_errors(ctx);
    if (err != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_INPUT, "%s: cannot filter the layer on its ids%s%s", l->label,
                        ctx && ctx->engine_error[0] ? ": " : "", ctx ? ctx->engine_error : "");
    }
    return GP_OK;
}

/* ---- the first pass --------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of in->only, sorted, each once (views). */
static gp_status wanted_ids(gp_context *ctx, const gp_dataset_inputs *in, const char ***out,
                            size_t *n_out)
{
    const char **w = gp_malloc((in->n_only + 1) * sizeof *w);
    if (w == NULL) {
        return gp_error_nomem(ctx, "the selected ids");
    }
    size_t n = 0;
    for (size_t i = 0; i < in->n_only; i++) {
        if (in->only[i] == NULL || in->only[i][0] == '\0') {
            gp_free(w);
            return gp_error(ctx, GP_ERR_ARG, "the selected community ids: id %zu is empty", i + 1);
        }
        w[n++] = in->only[i];
    }
    qsort(w, n, sizeof *w, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || strcmp(w[k - 1], w[i]) != 0) {
            w[k++] = w[i];
        }
    }
    *out = w;
    *n_out = k;
    return GP_OK;
}

/* Whether the envelope's centre lies in the half-open box [minx, maxx) x [miny, maxy). */
static int centred_in(const OGREnvelope *e, const double *box)
{
    double cx = 0.5 * (e->MinX + e->MaxX), cy = 0.5 * (e->MinY + e->MaxY);
    return cx >= box[0] && cx < box[2] && cy >= box[1] && cy < box[3];
}

static void merge(OGREnvelope *into, const OGREnvelope *e, int first)
{
    if (first) {
        *into = *e;
        return;
    }
    into->MinX = fmin(into->MinX, e->MinX);
    into->MinY = fmin(into->MinY, e->MinY);
    into->MaxX = fmax(into->MaxX, e->MaxX);
    into->MaxY = fmax(into->MaxY, e->MaxY);
}

/* One feature of the first pass: its id selected when wanted and centred in the box. */
static gp_status take(gp_context *ctx, OGRFeatureH f, int field, const gp_dataset_inputs *in,
                      const char **want, size_t n_want, unsigned char *found, gp_selection *s)
{
    const char *id = OGR_F_IsFieldSetAndNotNull(f, field) ? OGR_F_GetFieldAsString(f, field) : NULL;
    if (id == NULL) {
        return GP_OK; /* the second pass reports a null id */
    }
    if (want != NULL) {
        const char **hit = bsearch(&id, want, n_want, sizeof *want, cmp_str);
        if (hit == NULL) {
            return GP_OK;
        }
        found[hit - want] = 1;
    }
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    OGREnvelope e;
    if (g == NULL || OGR_G_IsEmpty(g)) {
        return GP_OK;
    }
    OGR_G_GetEnvelope(g, &e);
    if (in->bbox != NULL && !centred_in(&e, in->bbox)) {
        return GP_OK;
    }
    char **ids = gp_reallocarray(s->ids, s->n + 1, sizeof *ids);
    if (ids != NULL) {
        s->ids = ids;
    }
    OGREnvelope *each = ids ? gp_reallocarray(s->each, s->n + 1, sizeof *each) : NULL;
    if (each == NULL) {
        return gp_error_nomem(ctx, "the selected ids");
    }
    s->each = each;
    if ((s->ids[s->n] = gp_strdup(id)) == NULL) {
        return gp_error_nomem(ctx, "the selected ids");
    }
    s->each[s->n] = e;
    merge(&s->env, &e, s->n == 0);
    s->n++;
    return GP_OK;
}

/* After the pass: every wanted id found, and something selected. */
static gp_status found_all(gp_context *ctx, const gp_layer *l, int field,
                           const gp_dataset_inputs *in, const char **want, size_t n_want,
                           const unsigned char *found, const gp_selection *s)
{
    size_t missing = 0, first = 0;
    for (size_t i = n_want; i-- > 0;) {
        if (!found[i]) {
            missing++;
            first = i;
        }
    }
    if (missing > 0) {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: field '%s': no community has id '%s' (%zu of the %zu ids selected "
                        "match none)",
                        l->label, field_name(l, field), want[first], missing, n_want);
    }
    if (s->n == 0) {
        const double *b = in->bbox;
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: no %scommunity has the centre of its envelope in the box %g,%g,%g,%g "
                        "(minx,miny,maxx,maxy in the layer's CRS)",
                        l->label, want ? "selected " : "", b[0], b[1], b[2], b[3]);
    }
    return GP_OK;
}

gp_status gp_select_find(gp_context *ctx, const gp_layer *l, int field, const gp_dataset_inputs *in,
                         gp_selection *out)
{
    memset(out, 0, sizeof *out);
    const char **want = NULL;
    size_t n_want = 0;
    unsigned char *found = NULL;
    char *filter = NULL;
    gp_status st = GP_OK;
    if (in->n_only > 0) {
        if ((st = wanted_ids(ctx, in, &want, &n_want)) != GP_OK) {
            return st;
        }
        found = gp_calloc(n_want + 1, 1);
        st = found ? gp_select_id_filter(ctx, field_name(l, field), field_numeric(l, field), want,
                                         n_want, &filter)
                   : gp_error_nomem(ctx, "the selected ids");
        if (st == GP_OK) {
            st = set_filter(ctx, l, filter);
        }
    }
    if (st == GP_OK && in->bbox != NULL) {
        OGR_L_SetSpatialFilterRect(l->layer, in->bbox[0], in->bbox[1], in->bbox[2], in->bbox[3]);
    }
    gp_gdal_push_errors(ctx);
    OGR_L_ResetReading(l->layer);
    OGRFeatureH f = NULL;
    while (st == GP_OK && (f = OGR_L_GetNextFeature(l->layer)) != NULL) {
        out->n_read++;
        st = take(ctx, f, field, in, want, n_want, found, out);
        OGR_F_Destroy(f);
    }
    gp_gdal_pop_errors(ctx);
    OGR_L_SetAttributeFilter(l->layer, NULL);
    OGR_L_SetSpatialFilter(l->layer, NULL);
    if (st == GP_OK) {
        st = found_all(ctx, l, field, in, want, n_want, found, out);
    }
    if (st == GP_OK) {
        qsort(out->ids, out->n, sizeof *out->ids, cmp_str);
    } else {
        gp_selection_clear(out);
    }
    gp_free(want);
    gp_free(found);
    gp_free(filter);
    return st;
}

int gp_select_has(const gp_selection *sel, const char *id)
{
    return sel->n > 0 && bsearch(&id, sel->ids, sel->n, sizeof *sel->ids, cmp_str) != NULL;
}

void gp_selection_clear(gp_selection *sel)
{
    for (size_t i = 0; i < sel->n; i++) {
        gp_free(sel->ids[i]);
    }
    gp_free(sel->ids);
    gp_free(sel->each);
    for (int i = 0; i < GP_ROLE_COUNT; i++) {
        gp_boxgrid_free(sel->keep[i].grid);
        gp_free(sel->keep[i].box);
    }
    memset(sel, 0, sizeof *sel);
}

/* ---- spatial filters -------------------------------------------------------------------- */

/* *out: the transformation from CRS `from` to CRS `to`, NULL when they are the same. */
static gp_status transform_for(gp_context *ctx, OGRSpatialReferenceH from, OGRSpatialReferenceH to,
                               OGRCoordinateTransformationH *out)
{
    *out = NULL;
    OGRSpatialReferenceH a = OSRClone(from), b = OSRClone(to);
    gp_status st = GP_OK;
    if (a == NULL || b == NULL) {
        st = gp_error_nomem(ctx, "a CRS");
    } else {
        OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
        if (!OSRIsSame(a, b)) {
            gp_gdal_push_errors(ctx);
            *out = OCTNewCoordinateTransformation(a, b);
            gp_gdal_pop_errors(ctx);
            st = *out != NULL ? GP_OK : GP_ERR_CRS;
        }
    }
    OSRRelease(a);
    OSRRelease(b);
    return st;
}

/* The envelope of rectangle `in` through `ct` (densified edges; NULL: `in` itself). */
static gp_status bounds(gp_context *ctx, OGRCoordinateTransformationH ct, const OGREnvelope *in,
                        OGREnvelope *out)
{
    if (ct == NULL) {
        *out = *in;
        return GP_OK;
    }
    gp_gdal_push_errors(ctx);
    int ok = OCTTransformBounds(ct, in->MinX, in->MinY, in->MaxX, in->MaxY, &out->MinX, &out->MinY,
                                &out->MaxX, &out->MaxY, 21);
    gp_gdal_pop_errors(ctx);
    return ok ? GP_OK : GP_ERR_CRS;
}

/* st, with the message of a rectangle (`what`) that cannot be taken into another CRS when it
 * is GP_ERR_CRS. */
static gp_status crs_message(gp_context *ctx, gp_status st, const char *what)
{
    return st != GP_ERR_CRS
               ? st
               : gp_error(ctx, GP_ERR_CRS, "cannot take %s into another layer's CRS%s%s", what,
                          ctx && ctx->engine_error[0] ? ": " : "", ctx ? ctx->engine_error : "");
}

/* The envelope of rectangle `in` of CRS `from` in CRS `to`. */
static gp_status bounds_between(gp_context *ctx, OGRSpatialReferenceH from, OGRSpatialReferenceH to,
                                const OGREnvelope *in, OGREnvelope *out)
{
    OGRCoordinateTransformationH ct = NULL;
    gp_status st = transform_for(ctx, from, to, &ct);
    if (st == GP_OK) {
        st = bounds(ctx, ct, in, out);
    }
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    return crs_message(ctx, st, "the selected communities' envelope");
}

static void widen(OGREnvelope *e)
{
    e->MinX -= GP_SELECT_MARGIN;
    e->MinY -= GP_SELECT_MARGIN;
    e->MaxX += GP_SELECT_MARGIN;
    e->MaxY += GP_SELECT_MARGIN;
}

/* Points sampled along each side of a box taken into another CRS (corners included). */
enum { BOX_SIDE_POINTS = 5, BOX_POINTS = 4 * (BOX_SIDE_POINTS - 1) };

/*
 * The envelopes of the n rectangles `in` through `ct` (NULL: as they are) into `out`: the
 * bounds of BOX_POINTS points along each one's sides, all taken in one call. A community's box
 * is small and widened by GP_SELECT_MARGIN, so the sides' curvature between the points is far
 * inside that margin; one call for every box, where OCTTransformBounds per box costs more than
 * the reading it saves on a part of thousands of communities.
 */
static gp_status boxes_through(gp_context *ctx, OGRCoordinateTransformationH ct,
                               const OGREnvelope *in, size_t n, OGREnvelope *out)
{
    if (ct == NULL) {
        memcpy(out, in, n * sizeof *out);
        return GP_OK;
    }
    double *x = gp_calloc(n * BOX_POINTS + 1, sizeof *x);
    double *y = gp_calloc(n * BOX_POINTS + 1, sizeof *y);
    int *ok = gp_calloc(n * BOX_POINTS + 1, sizeof *ok);
    gp_status st = x && y && ok ? GP_OK : gp_error_nomem(ctx, "the selected communities' boxes");
    for (size_t i = 0; i < n && st == GP_OK; i++) {
        const OGREnvelope *e = &in[i];
        double *bx = x + i * BOX_POINTS, *by = y + i * BOX_POINTS;
        for (int k = 0; k < BOX_SIDE_POINTS - 1; k++) {
            double t = (double)k / (BOX_SIDE_POINTS - 1);
            double sx = e->MinX + t * (e->MaxX - e->MinX), sy = e->MinY + t * (e->MaxY - e->MinY);
            double rx = e->MaxX - t * (e->MaxX - e->MinX), ry = e->MaxY - t * (e->MaxY - e->MinY);
            int j = 4 * k;
            bx[j] = sx, by[j] = e->MinY;         /* bottom, west to east */
            bx[j + 1] = e->MaxX, by[j + 1] = sy; /* east, south to north */
            bx[j + 2] = rx, by[j + 2] = e->MaxY; /* top, east to west */
            bx[j + 3] = e->MinX, by[j + 3] = ry; /* west, north to south */
        }
    }
    if (st == GP_OK) {
        gp_gdal_push_errors(ctx);
        int all = OCTTransformEx(ct, (int)(n * BOX_POINTS), x, y, NULL, ok);
        gp_gdal_pop_errors(ctx);
        for (size_t i = 0; all && i < n * BOX_POINTS; i++) {
            all = ok[i] && isfinite(x[i]) && isfinite(y[i]);
        }
        st = all ? GP_OK : GP_ERR_CRS;
    }
    for (size_t i = 0; i < n && st == GP_OK; i++) {
        OGREnvelope *o = &out[i];
        o->MinX = o->MinY = INFINITY;
        o->MaxX = o->MaxY = -INFINITY;
        for (int k = 0; k < BOX_POINTS; k++) {
            size_t j = i * BOX_POINTS + (size_t)k;
            o->MinX = fmin(o->MinX, x[j]);
            o->MinY = fmin(o->MinY, y[j]);
            o->MaxX = fmax(o->MaxX, x[j]);
            o->MaxY = fmax(o->MaxY, y[j]);
        }
    }
    gp_free(x);
    gp_free(y);
    gp_free(ok);
    return st;
}

/* Each selected community's envelope, in the working CRS and widened, into `out` (sel->n). */
static gp_status boxes_in_work(gp_context *ctx, const gp_selection *sel,
                               OGRSpatialReferenceH comm_srs, OGRSpatialReferenceH work,
                               OGREnvelope *out)
{
    OGRCoordinateTransformationH ct = NULL;
    gp_status st = transform_for(ctx, comm_srs, work, &ct);
    if (st == GP_OK && (st = boxes_through(ctx, ct, sel->each, sel->n, out)) == GP_OK) {
        for (size_t i = 0; i < sel->n; i++) {
            widen(&out[i]);
        }
    }
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    return crs_message(ctx, st, "a selected community's envelope");
}

/* keep: the n boxes `in` (working CRS) through `ct` into a layer's CRS (NULL: the same), and the
 * grid over them. */
static gp_status keep_boxes(gp_context *ctx, OGRCoordinateTransformationH ct, const OGREnvelope *in,
                            size_t n, gp_select_boxes *keep)
{
    keep->box = gp_calloc(n + 1, sizeof *keep->box);
    if (keep->box == NULL) {
        return gp_error_nomem(ctx, "the selected communities' boxes");
    }
    OGREnvelope *e = gp_calloc(n + 1, sizeof *e);
    if (e == NULL) {
        return gp_error_nomem(ctx, "the selected communities' boxes");
    }
    gp_status st = boxes_through(ctx, ct, in, n, e);
    for (size_t i = 0; i < n && st == GP_OK; i++) {
        double *b = keep->box[i];
        b[0] = e[i].MinX;
        b[1] = e[i].MinY;
        b[2] = e[i].MaxX;
        b[3] = e[i].MaxY;
    }
    gp_free(e);
    st = crs_message(ctx, st, "a selected community's envelope");
    if (st == GP_OK) {
        keep->n = (int32_t)n;
        keep->grid = gp_boxgrid_new((const double(*)[4])keep->box, keep->n);
        st = keep->grid != NULL ? GP_OK : gp_error_nomem(ctx, "the selected communities' boxes");
    }
    return st;
}

int gp_select_boxes_meet(const gp_select_boxes *b, const OGREnvelope *e)
{
    if (b == NULL || b->box == NULL) {
        return 1;
    }
    double q[4] = {e->MinX, e->MinY, e->MaxX, e->MaxY};
    return gp_boxgrid_any(b->grid, q);
}

gp_status gp_select_filter_layers(gp_context *ctx, gp_selection *sel, OGRSpatialReferenceH comm_srs,
                                  OGRSpatialReferenceH work, gp_layer *const *layer,
                                  const OGRSpatialReferenceH *srs, int n_layers, double work_env[4])
{
    OGREnvelope w;
    gp_status st = bounds_between(ctx, comm_srs, work, &sel->env, &w);
    if (st != GP_OK) {
        return st;
    }
    widen(&w);
    work_env[0] = w.MinX;
    work_env[1] = w.MinY;
    work_env[2] = w.MaxX;
    work_env[3] = w.MaxY;
    OGREnvelope *each = gp_calloc(sel->n + 1, sizeof *each);
    if (each == NULL) {
        return gp_error_nomem(ctx, "the selected communities' boxes");
    }
    st = boxes_in_work(ctx, sel, comm_srs, work, each);
    for (int i = 0; i < n_layers && i < GP_ROLE_COUNT && st == GP_OK; i++) {
        if (layer[i] == NULL) {
            continue;
        }
        /* One transformation into the layer's CRS for the rectangle and the boxes. */
        OGRCoordinateTransformationH ct = NULL;
        OGREnvelope e;
        st = transform_for(ctx, work, srs[i], &ct);
        if (st == GP_OK) {
            st = bounds(ctx, ct, &w, &e);
        }
        st = crs_message(ctx, st, "the selected communities' envelope");
        if (st == GP_OK) {
            OGR_L_SetSpatialFilterRect(layer[i]->layer, e.MinX, e.MinY, e.MaxX, e.MaxY);
            st = keep_boxes(ctx, ct, each, sel->n, &sel->keep[i]);
        }
        if (ct != NULL) {
            OCTDestroyCoordinateTransformation(ct);
        }
    }
    gp_free(each);
    return st;
}

gp_status gp_select_filter_layer(gp_context *ctx, const double work_env[4],
                                 OGRSpatialReferenceH work, gp_layer *l)
{
    OGRSpatialReferenceH srs = gp_layer_srs(l, NULL);
    OGREnvelope w = {work_env[0], work_env[2], work_env[1], work_env[3]}, e;
    gp_status st = srs != NULL ? bounds_between(ctx, work, srs, &w, &e) : GP_OK;
    if (srs != NULL && st == GP_OK) {
        OGR_L_SetSpatialFilterRect(l->layer, e.MinX, e.MinY, e.MaxX, e.MaxY);
    }
    return st;
}

gp_status gp_select_filter_by_community(gp_context *ctx, const gp_dataset *ds, const gp_layer *l,
                                        int field)
{
    if (!ds->partial) {
        return GP_OK;
    }
    if (field < 0) {
        return gp_error(ctx, GP_ERR_ARG,
                        "%s: a part of the input is selected, so the grids need their community "
                        "field (CLI --previous-community-field / --grids-community-field): a grid "
                        "placed by area needs the neighbouring communities, which a part leaves "
                        "out",
                        l->label);
    }
    char *filter = NULL;
    gp_status st = gp_select_id_filter(ctx, field_name(l, field), field_numeric(l, field),
                                       (const char *const *)ds->community_id,
                                       (size_t)ds->n_communities, &filter);
    if (st == GP_OK) {
        st = set_filter(ctx, l, filter);
    }
    gp_free(filter);
    return st;
}

/* ---- trimming the dataset --------------------------------------------------------------- */

/* Keep entry i of arr (n entries of elem bytes) at map[i] when map[i] >= 0. */
static void compact(void *arr, size_t elem, const int64_t *map, int64_t n)
{
    unsigned char *a = arr;
    for (int64_t i = 0; a != NULL && i < n; i++) {
        if (map[i] >= 0 && map[i] != i) {
            memmove(a + (size_t)map[i] * elem, a + (size_t)i * elem, elem);
        }
    }
}

/* A CSR of int32 entries per community, for the kept communities (cmap: old -> new or -1). */
static void keep_csr32(int32_t *start, int32_t *list, const int32_t *cmap, int32_t nc)
{
    if (start == NULL) {
        return;
    }
    int32_t w = 0, s = start[0];
    start[0] = 0;
    for (int32_t c = 0; c < nc; c++) {
        int32_t e = start[c + 1];
        if (cmap[c] >= 0) {
            memmove(list + w, list + s, (size_t)(e - s) * sizeof *list);
            w += e - s;
            start[cmap[c] + 1] = w;
        }
        s = e;
    }
}

/* A CSR per community of the items owned (owner[i] >= 0), ascending; start has nc+1 entries. */
static void rebuild_csr(const int32_t *owner, int64_t n, int32_t nc, int32_t *start, int64_t *list)
{
    memset(start, 0, ((size_t)nc + 1) * sizeof *start);
    for (int64_t i = 0; i < n; i++) {
        if (owner[i] >= 0) {
            start[owner[i] + 1]++;
        }
    }
    for (int32_t c = 0; c < nc; c++) {
        start[c + 1] += start[c];
    }
    for (int64_t i = 0; i < n; i++) {
        if (owner[i] >= 0) {
            list[start[owner[i]]++] = i;
        }
    }
    for (int32_t c = nc; c > 0; c--) {
        start[c] = start[c - 1];
    }
    start[0] = 0;
}

/* Map of items (owner[i]: community) kept: the new index, or -1 (outside, or a neighbour's). */
static int64_t item_map(const int32_t *owner, int64_t n, const int32_t *cmap, int64_t *map)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        map[i] = owner[i] >= 0 && cmap[owner[i]] >= 0 ? k++ : -1;
    }
    return k;
}

/* The items (owner[i]: community) of the kept communities: *map their new index or -1 (freed
 * by the caller), owner[] renumbered by cmap for the kept ones; *k how many are kept. */
static gp_status select_items(gp_context *ctx, int32_t *owner, int64_t n, const int32_t *cmap,
                              const char *what, int64_t **map, int64_t *k)
{
    *map = gp_malloc(((size_t)n + 1) * sizeof **map);
    if (*map == NULL) {
        return gp_error_nomem(ctx, what);
    }
    *k = item_map(owner, n, cmap, *map);
    for (int64_t i = 0; i < n; i++) {
        if ((*map)[i] >= 0) {
            owner[i] = cmap[owner[i]];
        }
    }
    return GP_OK;
}

static gp_status keep_households(gp_context *ctx, gp_dataset *ds, const int32_t *cmap,
                                 int32_t n_kept)
{
    int64_t n = ds->n_households, k = 0, *map = NULL;
    gp_status st = select_items(ctx, ds->hh_community, n, cmap, "the selected households", &map,
                                &k);
    if (st != GP_OK) {
        return st;
    }
    compact(ds->hh_fid, sizeof *ds->hh_fid, map, n);
    compact(ds->hh_count, sizeof *ds->hh_count, map, n);
    compact(ds->hh_x, sizeof *ds->hh_x, map, n);
    compact(ds->hh_y, sizeof *ds->hh_y, map, n);
    compact(ds->hh_workload, sizeof *ds->hh_workload, map, n);
    compact(ds->hh_community, sizeof *ds->hh_community, map, n);
    gp_free(map);
    ds->n_households = k;
    ds->households_read = 0;
    for (int64_t i = 0; i < k; i++) {
        ds->households_read += ds->hh_count[i];
    }
    ds->households_outside = 0;
    ds->n_outside = 0;
    gp_free(ds->outside_fid);
    ds->outside_fid = NULL;
    rebuild_csr(ds->hh_community, k, n_kept, ds->hh_start, ds->hh_list);
    return GP_OK;
}

static gp_status keep_loads(gp_context *ctx, gp_dataset *ds, const int32_t *cmap, int32_t n_kept)
{
    int64_t n = ds->n_loads, k = 0, *map = NULL;
    if (ds->load_community == NULL || ds->load_start == NULL) {
        return GP_OK;
    }
    gp_status st = select_items(ctx, ds->load_community, n, cmap, "the selected extra loads",
                                &map, &k);
    if (st != GP_OK) {
        return st;
    }
    compact(ds->load_fid, sizeof *ds->load_fid, map, n);
    compact(ds->load_layer, sizeof *ds->load_layer, map, n);
    compact(ds->load_value, sizeof *ds->load_value, map, n);
    compact(ds->load_x, sizeof *ds->load_x, map, n);
    compact(ds->load_y, sizeof *ds->load_y, map, n);
    compact(ds->load_community, sizeof *ds->load_community, map, n);
    gp_free(map);
    ds->n_loads = k;
    ds->load_read = 0;
    for (int64_t i = 0; i < k; i++) {
        ds->load_read += ds->load_value[i];
    }
    ds->load_outside = 0;
    rebuild_csr(ds->load_community, k, n_kept, ds->load_start, ds->load_list);
    return GP_OK;
}

static void keep_communities(gp_dataset *ds, const int32_t *cmap, int32_t n_kept)
{
    int32_t k = 0;
    for (int32_t c = 0; c < ds->n_communities; c++) {
        if (cmap[c] < 0) {
            gp_free(ds->community_id[c]);
            gp_free(ds->community_wkb[c].data);
            continue;
        }
        ds->community_id[k] = ds->community_id[c];
        ds->community_fid[k] = ds->community_fid[c];
        ds->community_wkb[k] = ds->community_wkb[c];
        k++;
    }
    int64_t j = 0;
    for (int64_t i = 0; i < ds->n_overlaps; i++) {
        gp_overlap o = ds->overlaps[i];
        if (cmap[o.first] >= 0 && cmap[o.second] >= 0) {
            o.first = cmap[o.first];
            o.second = cmap[o.second];
            ds->overlaps[j++] = o;
        }
    }
    ds->n_overlaps = j;
    ds->n_communities = n_kept;
}

gp_status gp_select_keep(gp_context *ctx, gp_dataset *ds, const gp_selection *sel)
{
    int32_t nc = ds->n_communities, k = 0;
    int32_t *cmap = gp_malloc(((size_t)nc + 1) * sizeof *cmap);
    if (cmap == NULL) {
        return gp_error_nomem(ctx, "the selected communities");
    }
    for (int32_t c = 0; c < nc; c++) {
        cmap[c] = gp_select_has(sel, ds->community_id[c]) ? k++ : -1;
    }
    keep_csr32(ds->street_start, ds->street_list, cmap, nc);
    keep_csr32(ds->barrier_start, ds->barrier_list, cmap, nc);
    gp_status st = keep_households(ctx, ds, cmap, k);
    if (st == GP_OK) {
        st = keep_loads(ctx, ds, cmap, k);
    }
    if (st == GP_OK) {
        keep_communities(ds, cmap, k);
        ds->partial = 1;
    }
    gp_free(cmap);
    return st;
}
