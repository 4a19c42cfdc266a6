/* SPDX-License-Identifier: MIT */
/**
 * @file previous.c `adjust`: the previous division of a run, and per community which previous
 * grid each street block, cell and household feature lay in (by area, and by point in polygon).
 */

#include "previous.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/layer.h"

#include <gdal.h>
#include <ogr_api.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t fid;
    int32_t index;
} fid_key;

static int cmp_fid(const void *pa, const void *pb)
{
    const fid_key *a = pa, *b = pb;
    return (a->fid > b->fid) - (a->fid < b->fid);
}

/* The optional `households` and `blocks` fields of a grids layer gridpart wrote: what each
 * previous grid held then, to tell a grid whose households or blocks changed from one kept. A
 * layer without them (drawn by hand) leaves -1. */
static gp_status read_recorded(gp_context *ctx, const gp_grid_layer_source *src, gp_previous *p)
{
    const gp_grid_layer *g = p->layer;
    for (int32_t i = 0; i < g->n; i++) {
        p->recorded_households[i] = -1;
        p->recorded_blocks[i] = -1;
    }
    gp_layer *l = NULL;
    gp_status st = gp_layer_open_with(ctx, src->path, "previous grids", src->layers, &l);
    if (st != GP_OK) {
        return st;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l->layer);
    int fh = OGR_FD_GetFieldIndex(defn, "households");
    int fb = OGR_FD_GetFieldIndex(defn, "blocks");
    fid_key *keys = gp_malloc(((size_t)g->n + 1) * sizeof *keys);
    if (keys == NULL) {
        gp_layer_close(l);
        return gp_error_nomem(ctx, "the previous grids");
    }
    for (int32_t i = 0; i < g->n; i++) {
        keys[i] = (fid_key){g->fid[i], i};
    }
    qsort(keys, (size_t)g->n, sizeof *keys, cmp_fid);
    if (fh >= 0 || fb >= 0) {
        OGR_L_ResetReading(l->layer);
        OGRFeatureH f;
        while ((f = OGR_L_GetNextFeature(l->layer)) != NULL) {
            fid_key key = {OGR_F_GetFID(f), 0};
            const fid_key *hit = bsearch(&key, keys, (size_t)g->n, sizeof *keys, cmp_fid);
            if (hit != NULL && fh >= 0 && OGR_F_IsFieldSetAndNotNull(f, fh)) {
                p->recorded_households[hit->index] = OGR_F_GetFieldAsInteger64(f, fh);
            }
            if (hit != NULL && fb >= 0 && OGR_F_IsFieldSetAndNotNull(f, fb)) {
                p->recorded_blocks[hit->index] = OGR_F_GetFieldAsInteger(f, fb);
            }
            OGR_F_Destroy(f);
        }
    }
    gp_free(keys);
    gp_layer_close(l);
    return GP_OK;
}

gp_status gp_previous_read(gp_context *ctx, const gp_dataset *ds, const gp_grid_layer_source *src,
                           gp_previous **out)
{
    *out = NULL;
    gp_previous *p = gp_calloc(1, sizeof *p);
    if (p == NULL) {
        return gp_error_nomem(ctx, "the previous grids");
    }
    gp_status st = gp_grid_layer_read(ctx, ds, src, &p->layer);
    if (st == GP_OK) {
        size_t n = (size_t)p->layer->n + 1;
        p->recorded_households = gp_malloc(n * sizeof *p->recorded_households);
        p->recorded_blocks = gp_malloc(n * sizeof *p->recorded_blocks);
        st = p->recorded_households && p->recorded_blocks
                 ? read_recorded(ctx, src, p)
                 : gp_error_nomem(ctx, "the previous grids");
    }
    if (st != GP_OK) {
        gp_previous_free(p);
        return st;
    }
    *out = p;
    return GP_OK;
}

void gp_previous_free(gp_previous *prev)
{
    if (prev == NULL) {
        return;
    }
    gp_grid_layer_free(prev->layer);
    gp_free(prev->recorded_households);
    gp_free(prev->recorded_blocks);
    gp_free(prev);
}

void gp_prev_community_free(gp_prev_community *pc)
{
    if (pc == NULL) {
        return;
    }
    for (int32_t i = 0; i < pc->n; i++) {
        if (pc->prep && pc->prep[i]) {
            GEOSPreparedGeom_destroy_r(pc->h, pc->prep[i]);
        }
        if (pc->geom && pc->geom[i]) {
            GEOSGeom_destroy_r(pc->h, pc->geom[i]);
        }
    }
    gp_free(pc->geom);
    gp_free(pc->prep);
    gp_free(pc->area);
    gp_free(pc->area_inside);
    gp_free(pc->block_label);
    gp_free(pc->block_share);
    gp_free(pc->block_split);
    gp_free(pc->block_second);
    gp_free(pc->block_hh_split);
    gp_free(pc->hh_label);
    gp_free(pc);
}

const char *gp_prev_code(const gp_prev_community *pc, int32_t p)
{
    return pc->prev->layer->code[pc->first + p];
}

/* Area of previous grid p ∩ g, 0 when they do not meet or only touch. */
static gp_status overlap_area(gp_context *ctx, const gp_prev_community *pc, int32_t p,
                              const GEOSGeometry *g, double *out)
{
    *out = 0.0;
    if (GEOSPreparedIntersects_r(pc->h, pc->prep[p], g) != 1 ||
        GEOSPreparedTouches_r(pc->h, pc->prep[p], g) == 1) {
        return GP_OK;
    }
    GEOSGeometry *x = GEOSIntersection_r(pc->h, pc->geom[p], g);
    if (x == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY,
                        "community %s: previous grid %s: cannot intersect it with a street "
                        "block: %s",
                        pc->ds->community_id[pc->c], gp_prev_code(pc, p),
                        gp_ctx_engine_error(ctx));
    }
    GEOSArea_r(pc->h, x, out);
    GEOSGeom_destroy_r(pc->h, x);
    return GP_OK;
}

/* The previous grid holding all of g, or -1 (the usual case for gridpart's own grids). */
static int32_t whole_in(const gp_prev_community *pc, const GEOSGeometry *g)
{
    for (int32_t p = 0; p < pc->n; p++) {
        if (GEOSPreparedContains_r(pc->h, pc->prep[p], g) == 1) {
            return p;
        }
    }
    return -1;
}

gp_status gp_prev_label_geoms(gp_context *ctx, const gp_prev_community *pc,
                              GEOSGeometry *const *geom, int32_t n, int32_t *label, double *share,
                              double *second_share)
{
    for (int32_t i = 0; i < n; i++) {
        double area = 0.0, best = 0.0, second = 0.0, covered = 0.0;
        int32_t at = whole_in(pc, geom[i]);
        int whole = at >= 0;
        GEOSArea_r(pc->h, geom[i], &area);
        if (whole) {
            best = covered = area;
        }
        for (int32_t p = 0; p < pc->n && !whole; p++) {
            double a = 0.0;
            gp_status st = overlap_area(ctx, pc, p, geom[i], &a);
            if (st != GP_OK) {
                return st;
            }
            covered += a;
            if (a > best) {
                second = best;
                best = a;
                at = p;
            } else if (a > second) {
                second = a;
            }
        }
        int ok = area > 0 ? covered >= 0.5 * area : at >= 0;
        label[i] = ok ? at : -1;
        if (share != NULL) {
            share[i] = area > 0 && ok ? best / area : 0.0;
        }
        if (second_share != NULL) {
            second_share[i] = area > 0 ? second / area : 0.0;
        }
    }
    return GP_OK;
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

int32_t gp_prev_hh_label(const gp_prev_community *pc, int64_t hh)
{
    const int64_t *hit = bsearch(&hh, pc->hh_index, (size_t)pc->n_hh, sizeof hh, cmp_i64);
    return hit ? pc->hh_label[hit - pc->hh_index] : -1;
}

int32_t gp_prev_majority(const gp_prev_community *pc, const int64_t *hh, int32_t n)
{
    /* Few features and few grids: count in place, ties to the lower grid. */
    int32_t best = -1;
    int64_t best_count = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t p = gp_prev_hh_label(pc, hh[i]);
        if (p < 0 || p == best) {
            continue;
        }
        int64_t count = 0;
        for (int32_t j = 0; j < n; j++) {
            if (gp_prev_hh_label(pc, hh[j]) == p) {
                count += pc->ds->hh_count[hh[j]];
            }
        }
        if (count > best_count || (count == best_count && count > 0 && p < best)) {
            best = p;
            best_count = count;
        }
    }
    return best;
}

/* The community's previous grids as GEOS geometries, prepared, with their areas. */
static gp_status load_grids(gp_context *ctx, gp_prev_community *pc)
{
    const gp_grid_layer *g = pc->prev->layer;
    size_t n = (size_t)pc->n + 1;
    pc->geom = gp_calloc(n, sizeof *pc->geom);
    pc->prep = gp_calloc(n, sizeof *pc->prep);
    pc->area = gp_calloc(n, sizeof *pc->area);
    pc->area_inside = gp_calloc(n, sizeof *pc->area_inside);
    GEOSWKBReader *r = GEOSWKBReader_create_r(pc->h);
    GEOSGeometry *community = NULL;
    gp_status st = GP_OK;
    if (!pc->geom || !pc->prep || !pc->area || !pc->area_inside || r == NULL) {
        st = gp_error_nomem(ctx, "the previous grids");
        goto done;
    }
    const gp_wkb *cw = &pc->ds->community_wkb[pc->c];
    community = GEOSWKBReader_read_r(pc->h, r, cw->data, cw->size);
    for (int32_t i = 0; i < pc->n && st == GP_OK; i++) {
        const gp_wkb *w = &g->wkb[pc->first + i];
        pc->geom[i] = GEOSWKBReader_read_r(pc->h, r, w->data, w->size);
        if (pc->geom[i] == NULL || (pc->prep[i] = GEOSPrepare_r(pc->h, pc->geom[i])) == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "%s: grid %s: unreadable geometry", g->label,
                          g->code[pc->first + i]);
            break;
        }
        GEOSArea_r(pc->h, pc->geom[i], &pc->area[i]);
        pc->area_inside[i] = pc->area[i];
        GEOSGeometry *x = community ? GEOSIntersection_r(pc->h, pc->geom[i], community) : NULL;
        if (x != NULL) {
            GEOSArea_r(pc->h, x, &pc->area_inside[i]);
            GEOSGeom_destroy_r(pc->h, x);
        }
    }
done:
    if (community != NULL) {
        GEOSGeom_destroy_r(pc->h, community);
    }
    if (r != NULL) {
        GEOSWKBReader_destroy_r(pc->h, r);
    }
    return st;
}

/* Each household feature: the previous grid holding its point (its block's grid first, so a
 * point on a shared border goes with its block), else its block's grid. */
static gp_status label_households(gp_context *ctx, gp_prev_community *pc, const gp_blocks *b)
{
    const gp_dataset *ds = pc->ds;
    int32_t c = pc->c;
    pc->n_hh = ds->hh_start[c + 1] - ds->hh_start[c];
    pc->hh_index = ds->hh_list + ds->hh_start[c];
    pc->hh_label = gp_malloc(((size_t)pc->n_hh + 1) * sizeof *pc->hh_label);
    if (pc->hh_label == NULL) {
        return gp_error_nomem(ctx, "the previous grids of households");
    }
    for (int64_t k = 0; k < pc->n_hh; k++) {
        pc->hh_label[k] = -1;
    }
    for (int32_t v = 0; v < b->n; v++) {
        int32_t own = pc->block_label[v];
        for (int32_t k = b->hh_start[v]; k < b->hh_start[v + 1]; k++) {
            int64_t hh = b->hh_list[k];
            const int64_t *hit =
                bsearch(&hh, pc->hh_index, (size_t)pc->n_hh, sizeof hh, cmp_i64);
            if (hit == NULL) {
                continue;
            }
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(pc->h, ds->hh_x[hh], ds->hh_y[hh]);
            if (pt == NULL) {
                return gp_error(ctx, GP_ERR_GEOMETRY, "a household point: %s",
                                gp_ctx_engine_error(ctx));
            }
            int32_t label = -1;
            if (own >= 0 && GEOSPreparedCovers_r(pc->h, pc->prep[own], pt) == 1) {
                label = own;
            }
            for (int32_t p = 0; p < pc->n && label < 0; p++) {
                if (GEOSPreparedCovers_r(pc->h, pc->prep[p], pt) == 1) {
                    label = p;
                }
            }
            GEOSGeom_destroy_r(pc->h, pt);
            pc->hh_label[hit - pc->hh_index] = label >= 0 ? label : own;
        }
    }
    return GP_OK;
}

/* A block whose household features lay in two previous grids or more, the second holding at
 * least 10% of its households: the previous division cut it. */
static void households_split(gp_prev_community *pc, const gp_blocks *b)
{
    const int64_t *count = pc->ds->hh_count;
    for (int32_t v = 0; v < b->n; v++) {
        int32_t major = gp_prev_majority(pc, b->hh_list + b->hh_start[v],
                                         b->hh_start[v + 1] - b->hh_start[v]);
        int64_t other = 0;
        for (int32_t k = b->hh_start[v]; k < b->hh_start[v + 1]; k++) {
            int32_t p = gp_prev_hh_label(pc, b->hh_list[k]);
            other += p >= 0 && p != major ? count[b->hh_list[k]] : 0;
        }
        pc->block_hh_split[v] = other > 0 && other * 10 >= b->households[v];
    }
}

gp_status gp_prev_community_new(gp_context *ctx, const gp_dataset *ds, const gp_previous *prev,
                                const gp_blocks *b, gp_prev_community **out)
{
    *out = NULL;
    gp_prev_community *pc = gp_calloc(1, sizeof *pc);
    if (pc == NULL) {
        return gp_error_nomem(ctx, "the previous grids");
    }
    const gp_grid_layer *g = prev->layer;
    pc->prev = prev;
    pc->ds = ds;
    pc->c = b->community;
    pc->h = b->h;
    pc->first = g->first[pc->c];
    pc->n = g->first[pc->c + 1] - g->first[pc->c];
    pc->n_blocks = b->n;
    size_t nb = (size_t)b->n + 1;
    pc->block_label = gp_malloc(nb * sizeof *pc->block_label);
    pc->block_share = gp_malloc(nb * sizeof *pc->block_share);
    pc->block_split = gp_calloc(nb, 1);
    pc->block_second = gp_calloc(nb, sizeof *pc->block_second);
    pc->block_hh_split = gp_calloc(nb, 1);
    gp_status st = GP_OK;
    if (!pc->block_label || !pc->block_share || !pc->block_split || !pc->block_hh_split ||
        !pc->block_second) {
        st = gp_error_nomem(ctx, "the previous grids");
    }
    if (st == GP_OK) {
        st = load_grids(ctx, pc);
    }
    if (st == GP_OK) {
        st = gp_prev_label_geoms(ctx, pc, b->geom, b->n, pc->block_label, pc->block_share,
                                 pc->block_second);
    }
    if (st == GP_OK) {
        st = label_households(ctx, pc, b);
    }
    if (st != GP_OK) {
        gp_prev_community_free(pc);
        return st;
    }
    households_split(pc, b);
    for (int32_t v = 0; v < b->n; v++) {
        pc->block_split[v] = pc->block_second[v] >= GP_PREV_SPLIT_SHARE;
        pc->block_area += b->area[v];
        pc->matched_area += pc->block_label[v] >= 0 ? pc->block_share[v] * b->area[v] : 0.0;
        pc->n_split += pc->block_split[v];
        pc->n_unlabelled += pc->block_label[v] < 0;
    }
    *out = pc;
    return GP_OK;
}
