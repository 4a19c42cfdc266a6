/* SPDX-License-Identifier: MIT */
/**
 * @file split.c Cut street blocks into cells between buildings and along internal paths.
 *
 * The method:
 * 1. Cut lines of a block: the edges of the Voronoi diagram (GEOS, after Guibas & Stolfi's
 *    Delaunay triangulation) of its household sites (feature points merged within 0.5 m;
 *    GP_CELLS_OPEN adds a hexagonal lattice of empty sites, none closer than half the lattice
 *    spacing to a household site), clipped to the block; and its internal paths: street lines
 *    inside the block shrunk by the snapping tolerance (dead ends that bound nothing), each
 *    end that was clipped there joined to the nearest point of the block border, and each
 *    dead end continued straight to the border unless a household site lies within
 *    CLEARANCE of that way (so that a path can bound a piece on its own). Every line
 *    end on the border runs a centimetre past it, so that noding surely makes the junction
 *    (the same device as blocks.c's end snapping); the overshoot is a dangle that
 *    polygonization drops.
 * 2. Cells: the borders of the cut blocks and of every block touching them, plus the cut
 *    lines, are noded in one union and polygonized (as blocks.c does for the street network),
 *    so cells and the re-noded neighbours share exact vertices and the grids stay exact
 *    coverage unions. Each face goes to the block holding its interior point; the faces of a
 *    cut block must add up to its area.
 * 3. The graph: shared segments between faces (adjacency.c) give border lengths; a border
 *    inside a block costs its path's class where it runs along an internal path and the cut
 *    cost (three times the dearest street) elsewhere; borders to other blocks keep the cost
 *    of the block border they lie on.
 */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "dissolve.h"
#include "split.h"
#include "planar.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "core/unionfind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A cut line runs this far past the border it ends on (m). */
static const double OVERSHOOT = 0.01;
/* Household features closer than this (m) are one site: no cut can pass between them. */
static const double SITE_MERGE = 0.5;
/* GP_CELLS_OPEN: about this many cells per block, and never more lattice sites than this. */
static const double OPEN_CELLS = 24.0;
enum { OPEN_MAX_LATTICE = 96 };
/* Internal paths shorter than this inside the shrunk block are noise (m). */
static const double MIN_PATH = 1.0;
/* A dead-end path continues straight to the block border only this far from every household
 * site (m): about half a building. */
static const double CLEARANCE = 5.0;

enum { N_MODES = 3 };

struct gp_splitter {
    const gp_dataset *ds;
    const gp_blocks *b;
    const gp_options *opts;
    GEOSContextHandle_t h;
    int32_t *site_start; /* n + 1 offsets into site_xy (pairs) */
    double *site_xy;
    uint8_t *lines_done[N_MODES];
    GEOSGeometry **lines[N_MODES]; /* per block: MultiLineString of cut lines, or NULL */
    uint8_t *paths_done;
    gp_piece **paths; /* per block: internal paths with their street class */
    int32_t *n_paths;
    gp_piece **ext; /* per block: dead ends of paths continued straight to the border */
    int32_t *n_ext;
    double cut_cost; /* per metre of a cut between buildings */
};

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                            */
/* ---------------------------------------------------------------------------------------- */

static void destroy(GEOSContextHandle_t h, GEOSGeometry *g)
{
    if (g != NULL) {
        GEOSGeom_destroy_r(h, g);
    }
}

static void destroy_prep(GEOSContextHandle_t h, const GEOSPreparedGeometry *p)
{
    if (p != NULL) {
        GEOSPreparedGeom_destroy_r(h, p);
    }
}

/* A growing array of geometries (owned until handed over). */
typedef struct geom_list {
    GEOSGeometry **g;
    int32_t n, cap;
} geom_list;

static int list_push(geom_list *l, GEOSGeometry *g)
{
    if (g == NULL) {
        return -1;
    }
    if (l->n == l->cap) {
        int32_t c = l->cap ? 2 * l->cap : 32;
        GEOSGeometry **q = gp_reallocarray(l->g, (size_t)c, sizeof *q);
        if (q == NULL) {
            return -1;
        }
        l->g = q;
        l->cap = c;
    }
    l->g[l->n++] = g;
    return 0;
}

static void list_clear(GEOSContextHandle_t h, geom_list *l)
{
    for (int32_t i = 0; i < l->n; i++) {
        destroy(h, l->g[i]);
    }
    gp_free(l->g);
    l->g = NULL;
    l->n = l->cap = 0;
}

/* Hand the list's geometries to a new collection of `type` (the list is emptied either way). */
static GEOSGeometry *list_collect(GEOSContextHandle_t h, geom_list *l, int type)
{
    GEOSGeometry *c = GEOSGeom_createCollection_r(h, type, l->g, (unsigned)l->n);
    if (c == NULL) {
        list_clear(h, l);
        return NULL;
    }
    gp_free(l->g);
    l->g = NULL;
    l->n = l->cap = 0;
    return c;
}

static GEOSGeometry *line_from(GEOSContextHandle_t h, const double *xy, int32_t n)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)n, 0, 0);
    return cs ? GEOSGeom_createLineString_r(h, cs) : NULL;
}

/* The coordinates of a LineString into a gp_malloc'd buffer with room for `extra` vertices.
 * NULL with *n_out 0 for a line of fewer than two vertices, -1 when out of memory. */
static double *line_coords(GEOSContextHandle_t h, const GEOSGeometry *g, int32_t extra,
                           int32_t *n_out)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int m = 0;
    *n_out = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m) || m < 2) {
        return NULL;
    }
    double *xy = gp_malloc(2 * ((size_t)m + (size_t)extra) * sizeof *xy);
    if (xy != NULL) {
        GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0);
    }
    *n_out = xy != NULL ? (int32_t)m : -1;
    return xy;
}

static GEOSGeometry *point(GEOSContextHandle_t h, double x, double y)
{
    return GEOSGeom_createPointFromXY_r(h, x, y);
}

/* Distance from (x, y) to a prepared geometry; +inf on failure. */
static double prep_distance(GEOSContextHandle_t h, const GEOSPreparedGeometry *p, double x,
                            double y)
{
    GEOSGeometry *pt = point(h, x, y);
    double d = INFINITY;
    if (pt == NULL || !GEOSPreparedDistance_r(h, p, pt, &d)) {
        d = INFINITY;
    }
    destroy(h, pt);
    return d;
}

/* Call fn on every LineString inside g (any collection depth). */
typedef gp_status (*line_fn)(void *user, const GEOSGeometry *line);
static gp_status each_line(GEOSContextHandle_t h, const GEOSGeometry *g, line_fn fn, void *user)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_LINESTRING) {
        return fn(user, g);
    }
    if (t == GEOS_MULTILINESTRING || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            gp_status st = each_line(h, GEOSGetGeometryN_r(h, g, i), fn, user);
            if (st != GP_OK) {
                return st;
            }
        }
    }
    return GP_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Splitter: sites and cut lines per block                                                  */
/* ---------------------------------------------------------------------------------------- */

typedef struct xy_pt {
    double x, y;
} xy_pt;

static int cmp_xy(const void *pa, const void *pb)
{
    const xy_pt *a = pa, *b = pb;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    return (a->y > b->y) - (a->y < b->y);
}

gp_status gp_splitter_new(gp_context *ctx, const gp_dataset *ds, const gp_blocks *blocks,
                          const gp_options *opts, gp_splitter **out)
{
    *out = NULL;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    int32_t n = blocks->n;
    gp_splitter *sp = gp_calloc(1, sizeof *sp);
    xy_pt *tmp = NULL;
    gp_status st = GP_OK;
    if (sp == NULL) {
        return gp_error_nomem(ctx, "the split stage");
    }
    sp->ds = ds;
    sp->b = blocks;
    sp->opts = opts;
    sp->h = h;
    int64_t n_hh = blocks->hh_start[n];
    sp->site_start = gp_calloc((size_t)n + 1, sizeof *sp->site_start);
    sp->site_xy = gp_malloc(2 * ((size_t)n_hh + 1) * sizeof *sp->site_xy);
    tmp = gp_malloc(((size_t)n_hh + 1) * sizeof *tmp);
    for (int m = 0; m < N_MODES; m++) {
        sp->lines_done[m] = gp_calloc((size_t)n + 1, 1);
        sp->lines[m] = gp_calloc((size_t)n + 1, sizeof *sp->lines[m]);
        if (sp->lines_done[m] == NULL || sp->lines[m] == NULL) {
            st = gp_error_nomem(ctx, "the split stage");
        }
    }
    sp->paths_done = gp_calloc((size_t)n + 1, 1);
    sp->paths = gp_calloc((size_t)n + 1, sizeof *sp->paths);
    sp->n_paths = gp_calloc((size_t)n + 1, sizeof *sp->n_paths);
    sp->ext = gp_calloc((size_t)n + 1, sizeof *sp->ext);
    sp->n_ext = gp_calloc((size_t)n + 1, sizeof *sp->n_ext);
    if (st != GP_OK || sp->site_start == NULL || sp->site_xy == NULL || tmp == NULL ||
        sp->paths_done == NULL || sp->paths == NULL || sp->n_paths == NULL || sp->ext == NULL ||
        sp->n_ext == NULL) {
        st = gp_error_nomem(ctx, "the split stage");
        goto done;
    }
    /* Three times the dearest street, so that a cut through a block costs more than any street
     * border. */
    sp->cut_cost = 3.0 * ds->cost_dearest;
    /* Sites: household points with households, merged within SITE_MERGE (sorted by x, so
     * a point only needs comparing with the kept sites up to SITE_MERGE to its left). */
    int32_t at = 0;
    for (int32_t v = 0; v < n; v++) {
        sp->site_start[v] = at;
        int32_t m = 0;
        for (int32_t i = blocks->hh_start[v]; i < blocks->hh_start[v + 1]; i++) {
            int64_t k = blocks->hh_list[i];
            if (ds->hh_count[k] > 0) {
                tmp[m++] = (xy_pt){ds->hh_x[k], ds->hh_y[k]};
            }
        }
        qsort(tmp, (size_t)m, sizeof *tmp, cmp_xy);
        int32_t first = at;
        for (int32_t i = 0; i < m; i++) {
            int dup = 0;
            for (int32_t j = at - 1; j >= first && !dup; j--) {
                double dx = tmp[i].x - sp->site_xy[2 * j];
                if (dx > SITE_MERGE) {
                    break;
                }
                dup = hypot(dx, tmp[i].y - sp->site_xy[2 * j + 1]) <= SITE_MERGE;
            }
            if (!dup) {
                sp->site_xy[2 * at] = tmp[i].x;
                sp->site_xy[2 * at + 1] = tmp[i].y;
                at++;
            }
        }
    }
    sp->site_start[n] = at;
done:
    gp_free(tmp);
    if (st != GP_OK) {
        gp_splitter_free(sp);
        sp = NULL;
    }
    *out = sp;
    return st;
}

void gp_splitter_free(gp_splitter *sp)
{
    if (sp == NULL) {
        return;
    }
    int32_t n = sp->b->n;
    for (int m = 0; m < N_MODES; m++) {
        for (int32_t v = 0; sp->lines[m] != NULL && v < n; v++) {
            destroy(sp->h, sp->lines[m][v]);
        }
        gp_free(sp->lines[m]);
        gp_free(sp->lines_done[m]);
    }
    for (int32_t v = 0; sp->paths != NULL && sp->n_paths != NULL && v < n; v++) {
        for (int32_t i = 0; i < sp->n_paths[v]; i++) {
            gp_free(sp->paths[v][i].xy);
        }
        gp_free(sp->paths[v]);
    }
    for (int32_t v = 0; sp->ext != NULL && sp->n_ext != NULL && v < n; v++) {
        for (int32_t i = 0; i < sp->n_ext[v]; i++) {
            gp_free(sp->ext[v][i].xy);
        }
        gp_free(sp->ext[v]);
    }
    gp_free(sp->paths);
    gp_free(sp->n_paths);
    gp_free(sp->ext);
    gp_free(sp->n_ext);
    gp_free(sp->paths_done);
    gp_free(sp->site_start);
    gp_free(sp->site_xy);
    gp_free(sp);
}

int32_t gp_splitter_sites(const gp_splitter *sp, int32_t b)
{
    return sp->site_start[b + 1] - sp->site_start[b];
}

/* State of collecting the internal paths of one block. */
typedef struct path_work {
    gp_context *ctx;
    gp_splitter *sp;
    int32_t block, cls;
    const GEOSGeometry *border; /* the block's boundary */
    const GEOSPreparedGeometry *inner_border;
} path_work;

static gp_status push_piece(gp_context *ctx, gp_piece **list, int32_t *n, gp_piece p)
{
    gp_piece *q = gp_reallocarray(*list, (size_t)*n + 1, sizeof *q);
    if (q == NULL) {
        gp_free(p.xy);
        return gp_error_nomem(ctx, "internal paths");
    }
    *list = q;
    q[(*n)++] = p;
    return GP_OK;
}

/* A dead end (e, reached from f) continues straight to the block border, so that the path
 * can bound a piece, unless that way passes within CLEARANCE of a household site. */
static gp_status extend_dead_end(path_work *pw, const double *e, const double *f)
{
    gp_splitter *sp = pw->sp;
    GEOSContextHandle_t h = sp->h;
    int32_t b = pw->block;
    double ux = e[0] - f[0], uy = e[1] - f[1], d = hypot(ux, uy);
    if (!(d > 1e-9)) {
        return GP_OK;
    }
    ux /= d;
    uy /= d;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getXMin_r(h, sp->b->geom[b], &x0);
    GEOSGeom_getYMin_r(h, sp->b->geom[b], &y0);
    GEOSGeom_getXMax_r(h, sp->b->geom[b], &x1);
    GEOSGeom_getYMax_r(h, sp->b->geom[b], &y1);
    double reach = hypot(x1 - x0, y1 - y0) + 1.0;
    double ray_xy[4] = {e[0], e[1], e[0] + reach * ux, e[1] + reach * uy};
    GEOSGeometry *ray = line_from(h, ray_xy, 2);
    GEOSGeometry *hit = ray ? GEOSIntersection_r(h, ray, pw->border) : NULL;
    GEOSGeometry *pts = hit ? GEOSGeom_extractUniquePoints_r(h, hit) : NULL;
    destroy(h, ray);
    destroy(h, hit);
    if (pts == NULL) {
        return gp_error(pw->ctx, GP_ERR_GEOMETRY, "cannot continue a dead-end path: %s",
                        gp_ctx_engine_error(pw->ctx));
    }
    double best = INFINITY, qx = 0, qy = 0;
    for (int i = 0; i < GEOSGetNumGeometries_r(h, pts); i++) {
        double px = 0, py = 0;
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, pts, i);
        if (GEOSGeomGetX_r(h, p, &px) && GEOSGeomGetY_r(h, p, &py)) {
            double dist = hypot(px - e[0], py - e[1]);
            if (dist > 1e-9 && dist < best) {
                best = dist;
                qx = px;
                qy = py;
            }
        }
    }
    destroy(h, pts);
    if (!isfinite(best)) {
        return GP_OK;
    }
    const double *site = sp->site_xy + 2 * sp->site_start[b];
    for (int32_t i = 0; i < gp_splitter_sites(sp, b); i++) {
        if (gp_seg_dist2(site[2 * i], site[2 * i + 1], e[0], e[1], qx, qy) < CLEARANCE * CLEARANCE) {
            return GP_OK;
        }
    }
    double *xy = gp_malloc(6 * sizeof *xy);
    if (xy == NULL) {
        return gp_error_nomem(pw->ctx, "internal paths");
    }
    double ext[6] = {e[0], e[1], qx, qy, qx + OVERSHOOT * ux, qy + OVERSHOOT * uy};
    memcpy(xy, ext, sizeof ext);
    return push_piece(pw->ctx, &sp->ext[b], &sp->n_ext[b], (gp_piece){xy, 3, GP_CLASS_NONE, 0});
}

static gp_status add_path(void *user, const GEOSGeometry *line)
{
    path_work *pw = user;
    gp_splitter *sp = pw->sp;
    GEOSContextHandle_t h = sp->h;
    double len = 0.0;
    GEOSLength_r(h, line, &len);
    if (len < MIN_PATH) {
        return GP_OK;
    }
    int32_t m = 0;
    double *xy = line_coords(h, line, 4, &m);
    if (xy == NULL) {
        return m < 0 ? gp_error_nomem(pw->ctx, "an internal path") : GP_OK;
    }
    /* An end on the shrunk block's border was clipped there: the path came from the block
     * border, so join it back to the nearest border point (and a centimetre past it). Any
     * other end is a dead end. */
    gp_status st = GP_OK;
    for (int end = 0; end < 2; end++) {
        double *e = end == 0 ? xy : xy + 2 * (m - 1);
        if (prep_distance(h, pw->inner_border, e[0], e[1]) > 1e-6) {
            const double *f = end == 0 ? xy + 2 : xy + 2 * (m - 2);
            if ((st = extend_dead_end(pw, e, f)) != GP_OK) {
                gp_free(xy);
                return st;
            }
            continue;
        }
        GEOSGeometry *pt = point(h, e[0], e[1]);
        GEOSCoordSequence *near = pt ? GEOSNearestPoints_r(h, pw->border, pt) : NULL;
        destroy(h, pt);
        double qx = 0, qy = 0;
        if (near == NULL || !GEOSCoordSeq_getXY_r(h, near, 0, &qx, &qy)) {
            if (near != NULL) {
                GEOSCoordSeq_destroy_r(h, near);
            }
            gp_free(xy);
            return gp_error(pw->ctx, GP_ERR_GEOMETRY, "cannot join an internal path: %s",
                            gp_ctx_engine_error(pw->ctx));
        }
        GEOSCoordSeq_destroy_r(h, near);
        double ux = qx - e[0], uy = qy - e[1], d = hypot(ux, uy);
        if (!(d > 1e-9)) {
            continue;
        }
        ux /= d;
        uy /= d;
        double add[4] = {qx, qy, qx + OVERSHOOT * ux, qy + OVERSHOOT * uy};
        if (end == 0) {
            memmove(xy + 4, xy, 2 * (size_t)m * sizeof *xy);
            xy[0] = add[2];
            xy[1] = add[3];
            xy[2] = add[0];
            xy[3] = add[1];
        } else {
            memcpy(xy + 2 * m, add, sizeof add);
        }
        m += 2;
    }
    int32_t b = pw->block;
    return push_piece(pw->ctx, &sp->paths[b], &sp->n_paths[b], (gp_piece){xy, m, pw->cls, 0});
}

/* The internal paths of block b: street lines inside it, more than the snapping tolerance
 * from its border (nearer, a street line is one of the block's own border streets). */
static gp_status compute_paths(gp_context *ctx, gp_splitter *sp, int32_t b)
{
    if (sp->paths_done[b]) {
        return GP_OK;
    }
    GEOSContextHandle_t h = sp->h;
    const gp_dataset *ds = sp->ds;
    const GEOSGeometry *poly = sp->b->geom[b];
    int32_t c = sp->b->community;
    double d = fmax(sp->opts->snap_tolerance, 0.5) + 0.5;
    gp_status st = GP_OK;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSGeometry *inner = GEOSBuffer_r(h, poly, -d, 8);
    GEOSGeometry *border = GEOSBoundary_r(h, poly);
    GEOSGeometry *inner_border = NULL;
    const GEOSPreparedGeometry *inner_prep = NULL, *inner_border_prep = NULL;
    if (rd == NULL || inner == NULL || border == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot shrink a block to find its paths: %s",
                      gp_ctx_engine_error(ctx));
        goto done;
    }
    if (GEOSisEmpty_r(h, inner) == 1) {
        goto done;
    }
    inner_border = GEOSBoundary_r(h, inner);
    inner_prep = GEOSPrepare_r(h, inner);
    inner_border_prep = inner_border ? GEOSPrepare_r(h, inner_border) : NULL;
    if (inner_prep == NULL || inner_border_prep == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare a block: %s", gp_ctx_engine_error(ctx));
        goto done;
    }
    for (int32_t k = ds->street_start[c]; k < ds->street_start[c + 1] && st == GP_OK; k++) {
        int32_t i = ds->street_list[k];
        GEOSGeometry *g =
            GEOSWKBReader_read_r(h, rd, ds->street_wkb[i].data, ds->street_wkb[i].size);
        if (g == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot decode street %d", i);
            break;
        }
        if (GEOSPreparedIntersects_r(h, inner_prep, g) == 1) {
            GEOSGeometry *x = GEOSIntersection_r(h, g, inner);
            if (x == NULL) {
                st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot clip street %d to a block: %s", i,
                              gp_ctx_engine_error(ctx));
            } else {
                path_work pw = {ctx, sp, b, ds->street_class[i], border, inner_border_prep};
                st = each_line(h, x, add_path, &pw);
                destroy(h, x);
            }
        }
        destroy(h, g);
    }
done:
    destroy_prep(h, inner_prep);
    destroy_prep(h, inner_border_prep);
    destroy(h, inner_border);
    destroy(h, inner);
    destroy(h, border);
    if (rd != NULL) {
        GEOSWKBReader_destroy_r(h, rd);
    }
    if (st == GP_OK) {
        sp->paths_done[b] = 1;
    }
    return st;
}

/* Lattice sites for GP_CELLS_OPEN: hexagonal, about OPEN_CELLS cells over the block, none
 * within half a spacing of a household site (so cuts stay that far from households). */
static gp_status open_lattice(gp_context *ctx, gp_splitter *sp, int32_t b, xy_pt **pts,
                              int32_t *n_pts)
{
    GEOSContextHandle_t h = sp->h;
    const GEOSGeometry *poly = sp->b->geom[b];
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getXMin_r(h, poly, &x0);
    GEOSGeom_getYMin_r(h, poly, &y0);
    GEOSGeom_getXMax_r(h, poly, &x1);
    GEOSGeom_getYMax_r(h, poly, &y1);
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, poly);
    if (prep == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare a block: %s",
                        gp_ctx_engine_error(ctx));
    }
    const double *site = sp->site_xy + 2 * sp->site_start[b];
    int32_t n_site = gp_splitter_sites(sp, b);
    double s = sqrt(fmax(sp->b->area[b], 1.0) / OPEN_CELLS);
    gp_status st = GP_OK;
    for (int attempt = 0; attempt < 8; attempt++, s *= 1.25) {
        int32_t n = 0;
        int full = 0;
        double dy = s * 0.8660254037844386;
        int32_t row = 0;
        for (double y = y0 + 0.5 * dy; y < y1 && !full; y += dy, row++) {
            for (double x = x0 + (row % 2 ? s : 0.5 * s); x < x1 && !full; x += s) {
                int far = 1;
                for (int32_t i = 0; i < n_site && far; i++) {
                    far = hypot(x - site[2 * i], y - site[2 * i + 1]) >= 0.5 * s;
                }
                if (!far) {
                    continue;
                }
                GEOSGeometry *pt = point(h, x, y);
                if (pt == NULL) {
                    st = gp_error_nomem(ctx, "lattice sites");
                    goto done;
                }
                int in = GEOSPreparedContainsProperly_r(h, prep, pt) == 1;
                destroy(h, pt);
                if (!in) {
                    continue;
                }
                if (n == OPEN_MAX_LATTICE) {
                    full = 1;
                    break;
                }
                (*pts)[n_site + n] = (xy_pt){x, y};
                n++;
            }
        }
        if (!full) {
            *n_pts = n_site + n;
            goto done;
        }
    }
    *n_pts = n_site; /* a block too odd for a lattice: its household sites only */
done:
    destroy_prep(h, prep);
    return st;
}

/* State of clipping Voronoi edges to a block. */
typedef struct clip_work {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const GEOSPreparedGeometry *border;
    geom_list *out;
} clip_work;

/* A clipped Voronoi edge, each end on the block border extended a centimetre past it. */
static gp_status add_cut(void *user, const GEOSGeometry *line)
{
    clip_work *cw = user;
    GEOSContextHandle_t h = cw->h;
    int32_t m = 0;
    double *xy = line_coords(h, line, 2, &m);
    if (xy == NULL) {
        return m < 0 ? gp_error_nomem(cw->ctx, "cut lines") : GP_OK;
    }
    for (int end = 0; end < 2; end++) {
        double *e = end == 0 ? xy : xy + 2 * (m - 1);
        const double *f = end == 0 ? xy + 2 : xy + 2 * (m - 2);
        if (prep_distance(h, cw->border, e[0], e[1]) > 1e-6) {
            continue;
        }
        double ux = e[0] - f[0], uy = e[1] - f[1], d = hypot(ux, uy);
        if (!(d > 0)) {
            continue;
        }
        double ex = e[0] + OVERSHOOT * ux / d, ey = e[1] + OVERSHOOT * uy / d;
        if (end == 0) {
            memmove(xy + 2, xy, 2 * (size_t)m * sizeof *xy);
            xy[0] = ex;
            xy[1] = ey;
        } else {
            xy[2 * m] = ex;
            xy[2 * m + 1] = ey;
        }
        m++;
    }
    GEOSGeometry *g = line_from(h, xy, m);
    gp_free(xy);
    if (list_push(cw->out, g) != 0) {
        destroy(h, g);
        return gp_error_nomem(cw->ctx, "cut lines");
    }
    return GP_OK;
}

/* The cut lines of block b in `mode` (cached): Voronoi edges and internal paths. */
static gp_status compute_lines(gp_context *ctx, gp_splitter *sp, int32_t b, int32_t mode)
{
    if (sp->lines_done[mode][b]) {
        return GP_OK;
    }
    GEOSContextHandle_t h = sp->h;
    const GEOSGeometry *poly = sp->b->geom[b];
    geom_list parts = {0};
    xy_pt *pts = NULL;
    GEOSGeometry *mp = NULL, *env = NULL, *edges = NULL, *clipped = NULL, *border = NULL;
    const GEOSPreparedGeometry *border_prep = NULL;
    gp_status st = compute_paths(ctx, sp, b);
    if (st != GP_OK) {
        goto done;
    }
    int32_t n_site = gp_splitter_sites(sp, b);
    pts = gp_malloc(((size_t)n_site + OPEN_MAX_LATTICE + 1) * sizeof *pts);
    if (pts == NULL) {
        st = gp_error_nomem(ctx, "cut sites");
        goto done;
    }
    for (int32_t i = 0; i < n_site; i++) {
        pts[i] = (xy_pt){sp->site_xy[2 * (sp->site_start[b] + i)],
                         sp->site_xy[2 * (sp->site_start[b] + i) + 1]};
    }
    int32_t n_pts = n_site;
    if (mode == GP_CELLS_OPEN && (st = open_lattice(ctx, sp, b, &pts, &n_pts)) != GP_OK) {
        goto done;
    }
    if (n_pts >= 2) {
        geom_list ps = {0};
        for (int32_t i = 0; i < n_pts; i++) {
            GEOSGeometry *p = point(h, pts[i].x, pts[i].y);
            if (list_push(&ps, p) != 0) {
                destroy(h, p);
                list_clear(h, &ps);
                st = gp_error_nomem(ctx, "cut sites");
                goto done;
            }
        }
        mp = list_collect(h, &ps, GEOS_MULTIPOINT);
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        GEOSGeom_getXMin_r(h, poly, &x0);
        GEOSGeom_getYMin_r(h, poly, &y0);
        GEOSGeom_getXMax_r(h, poly, &x1);
        GEOSGeom_getYMax_r(h, poly, &y1);
        env = GEOSGeom_createRectangle_r(h, x0 - 10, y0 - 10, x1 + 10, y1 + 10);
        edges = mp && env ? GEOSVoronoiDiagram_r(h, mp, env, 0.0, 1) : NULL;
        clipped = edges ? GEOSIntersection_r(h, edges, poly) : NULL;
        border = GEOSBoundary_r(h, poly);
        border_prep = border ? GEOSPrepare_r(h, border) : NULL;
        if (clipped == NULL || border_prep == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot cut a block between buildings: %s",
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        clip_work cw = {ctx, h, border_prep, &parts};
        if ((st = each_line(h, clipped, add_cut, &cw)) != GP_OK) {
            goto done;
        }
    }
    for (int32_t i = 0; i < sp->n_paths[b] + sp->n_ext[b]; i++) {
        const gp_piece *pc =
            i < sp->n_paths[b] ? &sp->paths[b][i] : &sp->ext[b][i - sp->n_paths[b]];
        GEOSGeometry *g = line_from(h, pc->xy, pc->n);
        if (list_push(&parts, g) != 0) {
            destroy(h, g);
            st = gp_error_nomem(ctx, "cut lines");
            goto done;
        }
    }
    if (parts.n > 0) {
        sp->lines[mode][b] = list_collect(h, &parts, GEOS_MULTILINESTRING);
        if (sp->lines[mode][b] == NULL) {
            st = gp_error_nomem(ctx, "cut lines");
            goto done;
        }
    }
    sp->lines_done[mode][b] = 1;
done:
    list_clear(h, &parts);
    destroy_prep(h, border_prep);
    destroy(h, border);
    destroy(h, clipped);
    destroy(h, edges);
    destroy(h, env);
    destroy(h, mp);
    gp_free(pts);
    return st;
}

gp_status gp_splitter_can_cut(gp_context *ctx, gp_splitter *sp, int32_t b, int32_t mode,
                              int32_t *can)
{
    *can = 0;
    if (mode <= GP_CELLS_NONE || mode >= N_MODES) {
        return GP_OK;
    }
    gp_status st = compute_lines(ctx, sp, b, mode);
    *can = st == GP_OK && sp->lines[mode][b] != NULL;
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Cells                                                                                    */
/* ---------------------------------------------------------------------------------------- */

void gp_cells_free(gp_cells *c)
{
    if (c == NULL) {
        return;
    }
    for (int32_t v = 0; c->geom != NULL && v < c->n; v++) {
        destroy(c->h, c->geom[v]);
    }
    void *arrays[] = {c->block,      c->is_cell,       c->geom,      c->area,       c->perimeter,
                      c->households, c->sites,         c->hh_start,  c->hh_list,    c->xadj,
                      c->adjncy,     c->border_length, c->edge_cost, c->off_street, c->on_path,
                      c->workload};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    gp_free(c);
}

/* One direction of an edge of the cell graph while it is being gathered. */
typedef struct edge_rec {
    int32_t u, v;
    double len, cost_len, off, path;
} edge_rec;

static int cmp_edge(const void *pa, const void *pb)
{
    const edge_rec *a = pa, *b = pb;
    if (a->u != b->u) {
        return a->u < b->u ? -1 : 1;
    }
    return (a->v > b->v) - (a->v < b->v);
}

typedef struct edge_list {
    edge_rec *e;
    size_t n, cap;
} edge_list;

static int edge_push(edge_list *l, edge_rec r)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 256;
        edge_rec *q = gp_reallocarray(l->e, c, sizeof *q);
        if (q == NULL) {
            return -1;
        }
        l->e = q;
        l->cap = c;
    }
    l->e[l->n++] = r;
    return 0;
}

/* The adjacency entry of u -> v in the blocks' CSR (ascending neighbours), or -1. */
static int32_t block_edge(const gp_blocks *b, int32_t u, int32_t v)
{
    int32_t lo = b->xadj[u], hi = b->xadj[u + 1] - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (b->adjncy[mid] == v) {
            return mid;
        }
        if (b->adjncy[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

/* The face (among `n` prepared faces) covering (x, y): the first that covers it, else the
 * nearest. */
static int32_t locate(GEOSContextHandle_t h, const GEOSPreparedGeometry *const *prep,
                      GEOSGeometry *const *faces, const int32_t *idx, int32_t n, double x, double y)
{
    GEOSGeometry *pt = point(h, x, y);
    if (pt == NULL) {
        return -1;
    }
    int32_t best = -1;
    double best_d = INFINITY;
    for (int32_t i = 0; i < n && best_d > 0; i++) {
        if (GEOSPreparedCovers_r(h, prep[idx[i]], pt) == 1) {
            best = i;
            best_d = 0;
        }
    }
    for (int32_t i = 0; i < n && best_d > 0; i++) {
        double d = INFINITY;
        if (GEOSDistance_r(h, faces[idx[i]], pt, &d) && d < best_d) {
            best = i;
            best_d = d;
        }
    }
    destroy(h, pt);
    return best;
}

/* *out = the union of faces idx[0..n), which share their vertices (one polygonization):
 * dissolved as a coverage (gp_dissolve); a single face is copied. */
static gp_status faces_union(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *faces,
                             const int32_t *idx, int32_t n, GEOSGeometry **out)
{
    *out = NULL;
    if (n == 1) {
        *out = GEOSGeom_clone_r(h, faces[idx[0]]);
    } else {
        GEOSGeometry *coll = NULL;
        gp_status st = gp_collect_copies(ctx, h, faces, idx, n, &coll);
        if (st != GP_OK) {
            return st;
        }
        *out = gp_dissolve(h, coll, 0);
        GEOSGeom_destroy_r(h, coll);
    }
    return *out ? GP_OK
                : gp_error(ctx, GP_ERR_GEOMETRY, "cannot dissolve %d polygons: %s", (int)n,
                           gp_ctx_engine_error(ctx));
}

/* The work of gp_splitter_cells, stage by stage. */
typedef struct cell_build {
    gp_context *ctx;
    gp_splitter *sp;
    GEOSContextHandle_t h;
    const gp_blocks *b;
    const uint8_t *mode;
    int32_t n0;
    uint8_t *cut;                       /* per block: cut into cells */
    uint8_t *region;                    /* per block: cut, or touching a cut block */
    const GEOSPreparedGeometry **bprep; /* per region block */
    GEOSGeometry **faces;               /* nf faces of the region's polygonization */
    const GEOSPreparedGeometry **fprep; /* per face of a cut block */
    int32_t nf;
    int32_t *owner;      /* per face: its block */
    int32_t *fvert;      /* per face: its vertex */
    int32_t *face_start; /* n0 + 1 offsets into by_block */
    int32_t *by_block;   /* faces grouped by block */
    gp_piece *paths;     /* the cut blocks' internal paths (borrowed pieces) */
    int32_t n_paths;
    gp_cells *cl;
} cell_build;

/* 1. Which blocks are cut (their cut lines computed), and the region: they and every block
 * touching them, whose borders the cut lines may node. */
static gp_status pick_region(cell_build *cb)
{
    GEOSContextHandle_t h = cb->h;
    const gp_blocks *b = cb->b;
    int32_t n0 = cb->n0;
    gp_status st = GP_OK;
    double(*box)[4] = gp_malloc(((size_t)n0 + 1) * sizeof *box);
    if (box == NULL) {
        return gp_error_nomem(cb->ctx, "cells");
    }
    for (int32_t v = 0; v < n0 && st == GP_OK; v++) {
        GEOSGeom_getXMin_r(h, b->geom[v], &box[v][0]);
        GEOSGeom_getYMin_r(h, b->geom[v], &box[v][1]);
        GEOSGeom_getXMax_r(h, b->geom[v], &box[v][2]);
        GEOSGeom_getYMax_r(h, b->geom[v], &box[v][3]);
        if (cb->mode[v] != GP_CELLS_NONE &&
            (st = compute_lines(cb->ctx, cb->sp, v, cb->mode[v])) == GP_OK &&
            cb->sp->lines[cb->mode[v]][v] != NULL) {
            cb->cut[v] = cb->region[v] = 1;
        }
    }
    const double eps = 2 * OVERSHOOT;
    for (int32_t c = 0; c < n0 && st == GP_OK; c++) {
        if (!cb->cut[c]) {
            continue;
        }
        const GEOSPreparedGeometry *p = GEOSPrepare_r(h, b->geom[c]);
        if (p == NULL) {
            st = gp_error(cb->ctx, GP_ERR_GEOMETRY, "cannot prepare block %d: %s", c,
                          gp_ctx_engine_error(cb->ctx));
            break;
        }
        for (int32_t v = 0; v < n0; v++) {
            if (cb->region[v] || box[v][0] > box[c][2] + eps || box[v][2] < box[c][0] - eps ||
                box[v][1] > box[c][3] + eps || box[v][3] < box[c][1] - eps) {
                continue;
            }
            cb->region[v] = GEOSPreparedIntersects_r(h, p, b->geom[v]) == 1;
        }
        destroy_prep(h, p);
    }
    gp_free(box);
    return st;
}

/* What the steps of make_faces share: the region's linework, noded and polygonized, and per
 * block the area of its faces and how many of them are listed. */
typedef struct face_build {
    cell_build *cb;
    geom_list parts; /* the region blocks' borders and the cut blocks' lines */
    GEOSGeometry *linework, *noded, *polys;
    double *farea; /* per block: the area of its faces */
    int32_t *fill; /* per block: its faces listed in by_block so far */
} face_build;

/* The border of every region block and the cut lines of every cut block, into fb->parts; the
 * cut blocks' internal paths into cb->paths; each region block prepared. */
static gp_status region_linework(face_build *fb)
{
    cell_build *cb = fb->cb;
    gp_context *ctx = cb->ctx;
    GEOSContextHandle_t h = cb->h;
    const gp_blocks *b = cb->b;
    gp_splitter *sp = cb->sp;
    for (int32_t v = 0; v < cb->n0; v++) {
        if (!cb->region[v]) {
            continue;
        }
        GEOSGeometry *g = GEOSBoundary_r(h, b->geom[v]);
        if (list_push(&fb->parts, g) != 0 ||
            (cb->cut[v] &&
             list_push(&fb->parts, g = GEOSGeom_clone_r(h, sp->lines[cb->mode[v]][v])) != 0)) {
            destroy(h, g);
            return gp_error_nomem(ctx, "cell linework");
        }
        for (int32_t i = 0; cb->cut[v] && i < sp->n_paths[v]; i++) {
            gp_piece *q = gp_reallocarray(cb->paths, (size_t)cb->n_paths + 1, sizeof *q);
            if (q == NULL) {
                return gp_error_nomem(ctx, "cell linework");
            }
            cb->paths = q;
            cb->paths[cb->n_paths++] = sp->paths[v][i];
        }
        cb->bprep[v] = GEOSPrepare_r(h, b->geom[v]);
        if (cb->bprep[v] == NULL) {
            return gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare block %d: %s", v,
                            gp_ctx_engine_error(ctx));
        }
    }
    return GP_OK;
}

/* The linework collected, noded and polygonized into fb->polys. */
static gp_status polygonize_region(face_build *fb)
{
    cell_build *cb = fb->cb;
    GEOSContextHandle_t h = cb->h;
    fb->linework = list_collect(h, &fb->parts, GEOS_GEOMETRYCOLLECTION);
    fb->noded = fb->linework ? GEOSUnaryUnion_r(h, fb->linework) : NULL;
    const GEOSGeometry *noded_c = fb->noded;
    fb->polys = fb->noded ? GEOSPolygonize_r(h, &noded_c, 1) : NULL;
    if (fb->polys == NULL) {
        return gp_error(cb->ctx, GP_ERR_GEOMETRY, "community %s: cannot polygonize cut blocks: %s",
                        cb->sp->ds->community_id[cb->b->community], gp_ctx_engine_error(cb->ctx));
    }
    return GP_OK;
}

/* The region block holding an interior point of face f; -1 for none. */
static int32_t face_owner(const cell_build *cb, const GEOSGeometry *f)
{
    GEOSContextHandle_t h = cb->h;
    GEOSGeometry *pt = GEOSPointOnSurface_r(h, f);
    int32_t own = -1;
    for (int32_t v = 0; pt != NULL && v < cb->n0 && own < 0; v++) {
        if (cb->region[v] && GEOSPreparedContains_r(h, cb->bprep[v], pt) == 1) {
            own = v;
        }
    }
    destroy(h, pt);
    return own;
}

/* The face arrays, and each polygon of positive area that a region block holds kept as a face
 * of that block (its area added to the block's, counted in face_start[block + 1]). */
static gp_status keep_faces(face_build *fb)
{
    cell_build *cb = fb->cb;
    GEOSContextHandle_t h = cb->h;
    int32_t np = GEOSGetNumGeometries_r(h, fb->polys);
    cb->faces = gp_calloc((size_t)np + 1, sizeof *cb->faces);
    cb->fprep = gp_calloc((size_t)np + 1, sizeof *cb->fprep);
    cb->owner = gp_malloc(((size_t)np + 1) * sizeof *cb->owner);
    cb->fvert = gp_malloc(((size_t)np + 1) * sizeof *cb->fvert);
    cb->by_block = gp_malloc(((size_t)np + 1) * sizeof *cb->by_block);
    if (!cb->faces || !cb->fprep || !cb->owner || !cb->fvert || !cb->by_block) {
        return gp_error_nomem(cb->ctx, "cells");
    }
    for (int32_t i = 0; i < np; i++) {
        const GEOSGeometry *f = GEOSGetGeometryN_r(h, fb->polys, i);
        double a = 0.0;
        if (GEOSGeomTypeId_r(h, f) != GEOS_POLYGON || !GEOSArea_r(h, f, &a) || !(a > 0)) {
            continue;
        }
        int32_t own = face_owner(cb, f);
        if (own < 0) {
            continue;
        }
        if ((cb->faces[cb->nf] = GEOSGeom_clone_r(h, f)) == NULL) {
            return gp_error_nomem(cb->ctx, "cells");
        }
        cb->owner[cb->nf++] = own;
        fb->farea[own] += a;
        cb->face_start[own + 1]++;
    }
    return GP_OK;
}

/* Every region block's faces checked to add up to its area, and listed by block (face_start,
 * by_block). */
static gp_status group_faces(face_build *fb)
{
    cell_build *cb = fb->cb;
    const gp_blocks *b = cb->b;
    for (int32_t v = 0; v < cb->n0; v++) {
        double want = b->area[v];
        if (cb->region[v] && !(fabs(fb->farea[v] - want) <= 1e-7 * fmax(want, 1.0) + 1e-4)) {
            return gp_error(cb->ctx, GP_ERR_GEOMETRY,
                            "community %s: the cells of block %d cover %.4f of its %.4f m^2",
                            cb->sp->ds->community_id[b->community], v, fb->farea[v], want);
        }
        cb->face_start[v + 1] += cb->face_start[v];
    }
    for (int32_t i = 0; i < cb->nf; i++) {
        cb->by_block[cb->face_start[cb->owner[i]] + fb->fill[cb->owner[i]]++] = i;
    }
    return GP_OK;
}

/* 2. Node the region's borders with the cut lines, polygonize, and give each face to the
 * region block holding an interior point of it (faces in none, such as blocks the region
 * encloses, are dropped); the faces of every region block must add up to its area. */
static gp_status make_faces(cell_build *cb)
{
    GEOSContextHandle_t h = cb->h;
    int32_t n0 = cb->n0;
    gp_status st = GP_OK;
    face_build fb = {.cb = cb};
    fb.farea = gp_calloc((size_t)n0 + 1, sizeof *fb.farea);
    fb.fill = gp_calloc((size_t)n0 + 1, sizeof *fb.fill);
    if (fb.farea == NULL || fb.fill == NULL) {
        st = gp_error_nomem(cb->ctx, "cells");
        goto done;
    }
    if ((st = region_linework(&fb)) != GP_OK || (st = polygonize_region(&fb)) != GP_OK ||
        (st = keep_faces(&fb)) != GP_OK) {
        goto done;
    }
    st = group_faces(&fb);
done:
    list_clear(h, &fb.parts);
    destroy(h, fb.polys);
    destroy(h, fb.noded);
    destroy(h, fb.linework);
    gp_free(fb.farea);
    gp_free(fb.fill);
    return st;
}

/* The vertex arrays of the cells, for n vertices. */
static gp_status alloc_vertices(cell_build *cb, int32_t n)
{
    gp_cells *cl = cb->cl;
    cl->n = n;
    cl->block = gp_malloc(((size_t)n + 1) * sizeof *cl->block);
    cl->is_cell = gp_calloc((size_t)n + 1, 1);
    cl->geom = gp_calloc((size_t)n + 1, sizeof *cl->geom);
    cl->area = gp_malloc(((size_t)n + 1) * sizeof *cl->area);
    cl->perimeter = gp_malloc(((size_t)n + 1) * sizeof *cl->perimeter);
    cl->households = gp_calloc((size_t)n + 1, sizeof *cl->households);
    cl->workload = gp_calloc((size_t)n + 1, sizeof *cl->workload);
    cl->sites = gp_calloc((size_t)n + 1, sizeof *cl->sites);
    cl->hh_start = gp_calloc((size_t)n + 2, sizeof *cl->hh_start);
    cl->hh_list = gp_malloc(((size_t)cb->b->hh_start[cb->n0] + 1) * sizeof *cl->hh_list);
    if (!cl->block || !cl->is_cell || !cl->geom || !cl->area || !cl->perimeter || !cl->households ||
        !cl->workload || !cl->sites || !cl->hh_start || !cl->hh_list) {
        return gp_error_nomem(cb->ctx, "cells");
    }
    return GP_OK;
}

/* The cells of cut block v (k faces fs, k > 1): vertex v, then `*next` onwards; its
 * households and sites to the cells holding their points. */
static gp_status make_cells(cell_build *cb, int32_t v, const int32_t *fs, int32_t k, int32_t *next,
                            int32_t *hh_vert)
{
    GEOSContextHandle_t h = cb->h;
    gp_cells *cl = cb->cl;
    const gp_splitter *sp = cb->sp;
    const gp_dataset *ds = sp->ds;
    const gp_blocks *b = cb->b;
    for (int32_t i = 0; i < k; i++) {
        int32_t u = i == 0 ? v : (*next)++;
        const GEOSGeometry *f = cb->faces[fs[i]];
        cb->fvert[fs[i]] = u;
        cl->block[u] = v;
        cl->is_cell[u] = 1;
        cl->geom[u] = GEOSGeom_clone_r(h, f);
        cb->fprep[fs[i]] = cl->geom[u] ? GEOSPrepare_r(h, f) : NULL;
        if (cb->fprep[fs[i]] == NULL) {
            return gp_error_nomem(cb->ctx, "cells");
        }
        GEOSArea_r(h, f, &cl->area[u]);
        GEOSLength_r(h, f, &cl->perimeter[u]);
        cl->households[u] = 0;
        cl->workload[u] = 0;
        cl->sites[u] = 0;
    }
    for (int32_t i = b->hh_start[v]; i < b->hh_start[v + 1]; i++) {
        int64_t q = b->hh_list[i];
        int32_t f = locate(h, cb->fprep, cb->faces, fs, k, ds->hh_x[q], ds->hh_y[q]);
        hh_vert[i] = cb->fvert[fs[f < 0 ? 0 : f]];
        cl->households[hh_vert[i]] += ds->hh_count[q];
        cl->workload[hh_vert[i]] += ds->hh_workload ? ds->hh_workload[q] : (double)ds->hh_count[q];
    }
    /* The block's extra loads go to the cells holding their points, so a load stays in the
     * block it was placed in (loads.c) and every stage counts it once. */
    for (int32_t i = b->load_start ? b->load_start[v] : 0;
         b->load_start && i < b->load_start[v + 1]; i++) {
        int64_t q = b->load_list[i];
        int32_t f = locate(h, cb->fprep, cb->faces, fs, k, ds->load_x[q], ds->load_y[q]);
        cl->workload[cb->fvert[fs[f < 0 ? 0 : f]]] += ds->load_value[q];
    }
    for (int32_t i = sp->site_start[v]; i < sp->site_start[v + 1]; i++) {
        int32_t f =
            locate(h, cb->fprep, cb->faces, fs, k, sp->site_xy[2 * i], sp->site_xy[2 * i + 1]);
        cl->sites[cb->fvert[fs[f < 0 ? 0 : f]]]++;
    }
    return GP_OK;
}

/* 3. Vertices: block v (or its first cell) is v; further cells follow in block order. A
 * region block not cut takes the union of its faces (the same polygon, re-noded). */
static gp_status make_vertices(cell_build *cb)
{
    const gp_blocks *b = cb->b;
    gp_cells *cl = cb->cl;
    int32_t n0 = cb->n0, n = n0;
    for (int32_t v = 0; v < n0; v++) {
        int32_t k = cb->face_start[v + 1] - cb->face_start[v];
        n += cb->cut[v] && k > 1 ? k - 1 : 0;
    }
    gp_status st = alloc_vertices(cb, n);
    int32_t *hh_vert = gp_malloc(((size_t)b->hh_start[n0] + 1) * sizeof *hh_vert);
    int32_t *at = gp_malloc(((size_t)n + 1) * sizeof *at);
    if (st == GP_OK && (hh_vert == NULL || at == NULL)) {
        st = gp_error_nomem(cb->ctx, "cells");
    }
    int32_t next = n0;
    for (int32_t v = 0; v < n0 && st == GP_OK; v++) {
        const int32_t *fs = cb->by_block + cb->face_start[v];
        int32_t k = cb->face_start[v + 1] - cb->face_start[v];
        cl->block[v] = v;
        cl->area[v] = b->area[v];
        cl->perimeter[v] = b->perimeter[v];
        cl->households[v] = b->households[v];
        cl->workload[v] = b->workload ? b->workload[v] : (double)b->households[v];
        cl->sites[v] = gp_splitter_sites(cb->sp, v);
        for (int32_t i = b->hh_start[v]; i < b->hh_start[v + 1]; i++) {
            hh_vert[i] = v;
        }
        if (cb->cut[v] && k > 1) {
            st = make_cells(cb, v, fs, k, &next, hh_vert);
        } else if (cb->region[v]) {
            for (int32_t i = 0; i < k; i++) {
                cb->fvert[fs[i]] = v;
            }
            if ((st = faces_union(cb->ctx, cb->h, cb->faces, fs, k, &cl->geom[v])) != GP_OK) {
                gp_error_prefix(cb->ctx, "the faces of block %d", v);
            }
        }
    }
    if (st == GP_OK) {
        /* Household lists per vertex (CSR, in block order within a vertex). */
        for (int32_t i = 0; i < b->hh_start[n0]; i++) {
            cl->hh_start[hh_vert[i] + 1]++;
        }
        for (int32_t u = 0; u < n; u++) {
            cl->hh_start[u + 1] += cl->hh_start[u];
        }
        memcpy(at, cl->hh_start, (size_t)n * sizeof *at);
        for (int32_t i = 0; i < b->hh_start[n0]; i++) {
            cl->hh_list[at[hh_vert[i]]++] = b->hh_list[i];
        }
    }
    gp_free(hh_vert);
    gp_free(at);
    return st;
}

/* 4. Edges: between blocks not cut, as they were; around cells, from the faces' shared
 * segments (inside a block: the path's class cost where one runs along, else the cut cost;
 * to another block: the cost of the border they lie on; none across a barrier). */
static gp_status make_edges(cell_build *cb)
{
    gp_context *ctx = cb->ctx;
    const gp_blocks *b = cb->b;
    const gp_splitter *sp = cb->sp;
    gp_cells *cl = cb->cl;
    int32_t n = cl->n;
    gp_shared_seg *segs = NULL;
    int64_t n_segs = 0;
    edge_list el = {0};
    gp_status st = GP_OK;
    for (int32_t u = 0; u < cb->n0; u++) {
        for (int32_t e = b->xadj[u]; e < b->xadj[u + 1] && !cb->cut[u]; e++) {
            int32_t w = b->adjncy[e];
            edge_rec r = {u, w, b->border_length[e], b->border_length[e] * b->edge_cost[e], 0, 0};
            if (!cb->cut[w] && edge_push(&el, r) != 0) {
                st = gp_error_nomem(ctx, "cell edges");
                goto done;
            }
        }
    }
    if ((st = gp_faces_shared_segments(ctx, sp->ds, cb->faces, cb->nf, cb->paths, cb->n_paths,
                                       &segs, &n_segs)) != GP_OK) {
        goto done;
    }
    for (int64_t i = 0; i < n_segs; i++) {
        const gp_shared_seg *s = &segs[i];
        int32_t ba = cb->owner[s->a], bb = cb->owner[s->b];
        int32_t va = cb->fvert[s->a], vb = cb->fvert[s->b];
        if ((!cb->cut[ba] && !cb->cut[bb]) || va == vb) {
            continue;
        }
        edge_rec r = {va, vb, s->length, 0, 0, 0};
        if (ba == bb && s->cls != GP_CLASS_NONE && !s->barrier) {
            r.path = s->length;
            r.cost_len = s->length * gp_dataset_class_cost(sp->ds, s->cls);
        } else if (ba == bb) {
            r.off = s->length;
            r.cost_len = s->length * sp->cut_cost;
        } else {
            int32_t e = block_edge(b, ba, bb);
            if (e < 0) {
                continue; /* a barrier runs there: no adjacency */
            }
            r.cost_len = s->length * b->edge_cost[e];
        }
        edge_rec back = {vb, va, r.len, r.cost_len, r.off, r.path};
        if (edge_push(&el, r) != 0 || edge_push(&el, back) != 0) {
            st = gp_error_nomem(ctx, "cell edges");
            goto done;
        }
    }
    if (el.n > 1) {
        qsort(el.e, el.n, sizeof *el.e, cmp_edge);
    }
    size_t m = 0;
    for (size_t i = 0; i < el.n; i++) {
        edge_rec *last = m > 0 ? &el.e[m - 1] : NULL;
        if (last != NULL && last->u == el.e[i].u && last->v == el.e[i].v) {
            last->len += el.e[i].len;
            last->cost_len += el.e[i].cost_len;
            last->off += el.e[i].off;
            last->path += el.e[i].path;
        } else {
            el.e[m++] = el.e[i];
        }
    }
    cl->xadj = gp_calloc((size_t)n + 1, sizeof *cl->xadj);
    cl->adjncy = gp_malloc((m + 1) * sizeof *cl->adjncy);
    cl->border_length = gp_malloc((m + 1) * sizeof *cl->border_length);
    cl->edge_cost = gp_malloc((m + 1) * sizeof *cl->edge_cost);
    cl->off_street = gp_malloc((m + 1) * sizeof *cl->off_street);
    cl->on_path = gp_malloc((m + 1) * sizeof *cl->on_path);
    if (!cl->xadj || !cl->adjncy || !cl->border_length || !cl->edge_cost || !cl->off_street ||
        !cl->on_path) {
        st = gp_error_nomem(ctx, "cell edges");
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        const edge_rec *r = &el.e[i];
        cl->xadj[r->u + 1]++;
        cl->adjncy[i] = r->v;
        cl->border_length[i] = r->len;
        cl->edge_cost[i] = r->len > 0 ? r->cost_len / r->len : sp->cut_cost;
        cl->off_street[i] = r->off;
        cl->on_path[i] = r->path;
    }
    for (int32_t u = 0; u < n; u++) {
        cl->xadj[u + 1] += cl->xadj[u];
    }
done:
    gp_free(segs);
    gp_free(el.e);
    return st;
}

gp_status gp_splitter_cells(gp_context *ctx, gp_splitter *sp, const uint8_t *mode, gp_cells **out)
{
    *out = NULL;
    int32_t n0 = sp->b->n;
    cell_build cb = {.ctx = ctx, .sp = sp, .h = sp->h, .b = sp->b, .mode = mode, .n0 = n0};
    cb.cut = gp_calloc((size_t)n0 + 1, 1);
    cb.region = gp_calloc((size_t)n0 + 1, 1);
    cb.bprep = gp_calloc((size_t)n0 + 1, sizeof *cb.bprep);
    cb.face_start = gp_calloc((size_t)n0 + 2, sizeof *cb.face_start);
    cb.cl = gp_calloc(1, sizeof *cb.cl);
    gp_status st = GP_OK;
    if (!cb.cut || !cb.region || !cb.bprep || !cb.face_start || !cb.cl) {
        st = gp_error_nomem(ctx, "cells");
    } else {
        cb.cl->h = sp->h;
        cb.cl->n_blocks = n0;
        if ((st = pick_region(&cb)) == GP_OK && (st = make_faces(&cb)) == GP_OK &&
            (st = make_vertices(&cb)) == GP_OK) {
            st = make_edges(&cb);
        }
    }
    for (int32_t i = 0; cb.fprep != NULL && i < cb.nf; i++) {
        destroy_prep(sp->h, cb.fprep[i]);
    }
    for (int32_t v = 0; cb.bprep != NULL && v < n0; v++) {
        destroy_prep(sp->h, cb.bprep[v]);
    }
    for (int32_t i = 0; cb.faces != NULL && i < cb.nf; i++) {
        destroy(sp->h, cb.faces[i]);
    }
    void *arrays[] = {cb.cut,   cb.region, cb.bprep, cb.face_start, cb.faces,
                      cb.fprep, cb.owner,  cb.fvert, cb.by_block,   cb.paths};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    if (st != GP_OK) {
        gp_cells_free(cb.cl);
        cb.cl = NULL;
    }
    *out = cb.cl;
    return st;
}

gp_status gp_cells_cut_stats(gp_context *ctx, const gp_cells *c, const int32_t *assign,
                             int32_t *blocks_cut, double *off_street, double *on_path)
{
    *blocks_cut = 0;
    *off_street = 0.0;
    *on_path = 0.0;
    uint8_t *counted = gp_calloc((size_t)c->n_blocks + 1, 1);
    if (counted == NULL) {
        return gp_error_nomem(ctx, "cut statistics");
    }
    for (int32_t u = 0; u < c->n; u++) {
        for (int32_t e = c->xadj[u]; e < c->xadj[u + 1]; e++) {
            int32_t w = c->adjncy[e];
            if (w < u || c->block[w] != c->block[u] || assign[w] == assign[u]) {
                continue;
            }
            *off_street += c->off_street[e];
            *on_path += c->on_path[e];
            if (!counted[c->block[u]]) {
                counted[c->block[u]] = 1;
                (*blocks_cut)++;
            }
        }
    }
    gp_free(counted);
    return GP_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Pieces                                                                                   */
/* ---------------------------------------------------------------------------------------- */

void gp_pieces_free(gp_pieces *p)
{
    if (p == NULL) {
        return;
    }
    gp_blocks_free(p->blocks);
    void *arrays[] = {p->assign,    p->origin,    p->on_streets, p->grid_split, p->cut_block,
                      p->cut_first, p->cut_piece, p->cut_off,    p->cut_path};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    gp_free(p);
}

/* The work of gp_splitter_pieces, stage by stage. */
typedef struct piece_build {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_blocks *b;
    const gp_cells *cells;
    const int32_t *assign; /* grid per cell vertex */
    int32_t n, n0;         /* cell vertices, blocks */
    int32_t np;            /* pieces */
    int32_t *parent;       /* union-find over the vertices; then per cut block, pieces placed */
    int32_t *piece;        /* per vertex: its piece */
    int32_t *n_pieces_of;  /* per block: its pieces */
    int32_t *mstart;       /* np + 1 offsets into members */
    int32_t *members;      /* vertices grouped by piece */
    int32_t *at;           /* scratch per piece; then per block its index among cut blocks, or -1 */
    gp_pieces *ps;
    gp_blocks *pb;
} piece_build;

/* 1. Cells of one block in one grid, adjacent inside the block, are one piece; the root of a
 * group is its lowest vertex, so a block's own vertex roots the piece that keeps its id. */
static void group_cells(piece_build *pw)
{
    const gp_cells *cells = pw->cells;
    const int32_t *assign = pw->assign;
    int32_t *parent = pw->parent;
    int32_t n = pw->n, n0 = pw->n0;
    for (int32_t u = 0; u < n; u++) {
        parent[u] = u;
    }
    for (int32_t u = 0; u < n; u++) {
        for (int32_t e = cells->xadj[u]; e < cells->xadj[u + 1]; e++) {
            int32_t w = cells->adjncy[e];
            if (cells->block[w] != cells->block[u] || assign[w] != assign[u]) {
                continue;
            }
            int32_t ru = gp_uf_find(parent, u), rw = gp_uf_find(parent, w);
            if (ru < rw) {
                parent[rw] = ru;
            } else if (rw < ru) {
                parent[ru] = rw;
            }
        }
    }
    int32_t np = n0;
    for (int32_t u = 0; u < n; u++) {
        int32_t r = gp_uf_find(parent, u);
        pw->piece[u] = r < n0 ? r : (r == u ? np++ : pw->piece[r]);
    }
    for (int32_t u = 0; u < n; u++) {
        if (gp_uf_find(parent, u) == u) {
            pw->n_pieces_of[cells->block[u]]++;
        }
    }
    pw->np = np;
}

/* 2. The pieces' arrays, and the vertices grouped by piece. */
static gp_status alloc_pieces(piece_build *pw)
{
    const gp_cells *cells = pw->cells;
    gp_pieces *ps = pw->ps;
    gp_blocks *pb = pw->pb;
    int32_t n = pw->n, np = pw->np;
    pb->n = np;
    pb->geom = gp_calloc((size_t)np + 1, sizeof *pb->geom);
    pb->area = gp_calloc((size_t)np + 1, sizeof *pb->area);
    pb->perimeter = gp_calloc((size_t)np + 1, sizeof *pb->perimeter);
    pb->households = gp_calloc((size_t)np + 1, sizeof *pb->households);
    pb->workload = gp_calloc((size_t)np + 1, sizeof *pb->workload);
    pb->hh_start = gp_calloc((size_t)np + 2, sizeof *pb->hh_start);
    pb->hh_list = gp_malloc(((size_t)cells->hh_start[n] + 1) * sizeof *pb->hh_list);
    ps->assign = gp_malloc(((size_t)np + 1) * sizeof *ps->assign);
    ps->origin = gp_malloc(((size_t)np + 1) * sizeof *ps->origin);
    ps->on_streets = gp_malloc((size_t)np + 1);
    ps->grid_split = gp_calloc((size_t)ps->n_grids + 1, 1);
    pw->mstart = gp_calloc((size_t)np + 2, sizeof *pw->mstart);
    pw->members = gp_malloc(((size_t)n + 1) * sizeof *pw->members);
    pw->at = gp_malloc(((size_t)np + 1) * sizeof *pw->at);
    if (!pb->geom || !pb->area || !pb->perimeter || !pb->households || !pb->workload ||
        !pb->hh_start || !pb->hh_list || !ps->assign || !ps->origin || !ps->on_streets ||
        !ps->grid_split || !pw->mstart || !pw->members || !pw->at) {
        return gp_error_nomem(pw->ctx, "pieces");
    }
    memset(ps->on_streets, 1, (size_t)np + 1);
    for (int32_t u = 0; u < n; u++) {
        pw->mstart[pw->piece[u] + 1]++;
    }
    for (int32_t p = 0; p < np; p++) {
        pw->mstart[p + 1] += pw->mstart[p];
    }
    memcpy(pw->at, pw->mstart, (size_t)np * sizeof *pw->at);
    for (int32_t u = 0; u < n; u++) {
        pw->members[pw->at[pw->piece[u]]++] = u;
    }
    return GP_OK;
}

/* 3. Each piece's grid, block, totals and households, and its shape: a block not cut keeps
 * its polygon, any other piece is the union of its cells. */
static gp_status fill_pieces(piece_build *pw)
{
    gp_context *ctx = pw->ctx;
    GEOSContextHandle_t h = pw->h;
    const gp_cells *cells = pw->cells;
    gp_pieces *ps = pw->ps;
    gp_blocks *pb = pw->pb;
    int32_t hh_at = 0;
    for (int32_t p = 0; p < pw->np; p++) {
        const int32_t *m = pw->members + pw->mstart[p];
        int32_t k = pw->mstart[p + 1] - pw->mstart[p];
        int32_t u0 = m[0];
        ps->assign[p] = pw->assign[u0];
        ps->origin[p] = cells->block[u0];
        pb->hh_start[p] = hh_at;
        for (int32_t i = 0; i < k; i++) {
            int32_t u = m[i];
            pb->households[p] += cells->households[u];
            pb->workload[p] += cells->workload[u];
            pb->area[p] += cells->area[u];
            for (int32_t j = cells->hh_start[u]; j < cells->hh_start[u + 1]; j++) {
                pb->hh_list[hh_at++] = cells->hh_list[j];
            }
        }
        if (k == 1 && !cells->is_cell[u0]) {
            const GEOSGeometry *g = cells->geom[u0] ? cells->geom[u0] : pw->b->geom[u0];
            pb->geom[p] = GEOSGeom_clone_r(h, g);
            pb->perimeter[p] = cells->perimeter[u0];
        } else {
            gp_status st = faces_union(ctx, h, cells->geom, m, k, &pb->geom[p]);
            if (st != GP_OK) {
                gp_error_prefix(ctx, "the cells of a piece of block %d", ps->origin[p]);
                return st;
            }
            GEOSLength_r(h, pb->geom[p], &pb->perimeter[p]);
        }
        if (pb->geom[p] == NULL) {
            return gp_error(ctx, GP_ERR_GEOMETRY,
                            "cannot union the cells of a piece of block %d: %s", ps->origin[p],
                            gp_ctx_engine_error(ctx));
        }
    }
    pb->hh_start[pw->np] = hh_at;
    return GP_OK;
}

/* 4. The cut blocks and their pieces (own id first). */
static gp_status cut_runs(piece_build *pw)
{
    gp_pieces *ps = pw->ps;
    int32_t n0 = pw->n0, np = pw->np;
    for (int32_t v = 0; v < n0; v++) {
        ps->n_cut += pw->n_pieces_of[v] > 1;
    }
    ps->cut_block = gp_malloc(((size_t)ps->n_cut + 1) * sizeof *ps->cut_block);
    ps->cut_first = gp_calloc((size_t)ps->n_cut + 2, sizeof *ps->cut_first);
    ps->cut_piece = gp_malloc(((size_t)np + 1) * sizeof *ps->cut_piece);
    ps->cut_off = gp_calloc((size_t)ps->n_cut + 1, sizeof *ps->cut_off);
    ps->cut_path = gp_calloc((size_t)ps->n_cut + 1, sizeof *ps->cut_path);
    if (!ps->cut_block || !ps->cut_first || !ps->cut_piece || !ps->cut_off || !ps->cut_path) {
        return gp_error_nomem(pw->ctx, "pieces");
    }
    int32_t *cut_index = pw->at; /* reuse: block -> index among cut blocks, or -1 */
    int32_t k = 0;
    for (int32_t v = 0; v < n0; v++) {
        cut_index[v] = -1;
        if (pw->n_pieces_of[v] <= 1) {
            continue;
        }
        cut_index[v] = k;
        ps->cut_block[k++] = v;
    }
    /* Each cut block's run: its own id first; further pieces were numbered in block order, so
     * appending keeps each run ascending. */
    int32_t *fill = pw->parent; /* reuse: per cut block, pieces placed so far */
    for (int32_t i = 0; i < k; i++) {
        ps->cut_first[i + 1] = ps->cut_first[i] + pw->n_pieces_of[ps->cut_block[i]];
        ps->cut_piece[ps->cut_first[i]] = ps->cut_block[i];
        fill[i] = 1;
    }
    for (int32_t p = n0; p < np; p++) {
        int32_t i = cut_index[ps->origin[p]];
        ps->cut_piece[ps->cut_first[i] + fill[i]++] = p;
    }
    return GP_OK;
}

/* 5. The lengths cut in each cut block, the grids split, and the pieces off the streets. */
static void cut_lengths(piece_build *pw)
{
    const gp_cells *cells = pw->cells;
    const int32_t *assign = pw->assign, *piece = pw->piece, *cut_index = pw->at;
    gp_pieces *ps = pw->ps;
    for (int32_t u = 0; u < pw->n; u++) {
        for (int32_t e = cells->xadj[u]; e < cells->xadj[u + 1]; e++) {
            int32_t w = cells->adjncy[e];
            if (w < u || cells->block[w] != cells->block[u] || piece[w] == piece[u]) {
                continue;
            }
            int32_t i = cut_index[cells->block[u]];
            if (i >= 0) {
                ps->cut_off[i] += cells->off_street[e];
                ps->cut_path[i] += cells->on_path[e];
            }
            ps->grid_split[assign[u]] = ps->grid_split[assign[w]] = 1;
            if (cells->off_street[e] > 0) {
                ps->on_streets[piece[u]] = ps->on_streets[piece[w]] = 0;
            }
        }
    }
}

gp_status gp_splitter_pieces(gp_context *ctx, gp_splitter *sp, const gp_cells *cells,
                             const int32_t *assign, int32_t n_grids, gp_pieces **out)
{
    *out = NULL;
    const gp_blocks *b = sp->b;
    int32_t n = cells->n, n0 = cells->n_blocks;
    piece_build pw = {
        .ctx = ctx, .h = sp->h, .b = b, .cells = cells, .assign = assign, .n = n, .n0 = n0};
    gp_status st = GP_OK;
    pw.parent = gp_malloc(((size_t)n + 1) * sizeof *pw.parent);
    pw.piece = gp_malloc(((size_t)n + 1) * sizeof *pw.piece);
    pw.n_pieces_of = gp_calloc((size_t)n0 + 1, sizeof *pw.n_pieces_of);
    gp_pieces *ps = pw.ps = gp_calloc(1, sizeof *ps);
    gp_blocks *pb = pw.pb = gp_calloc(1, sizeof *pb);
    if (!pw.parent || !pw.piece || !pw.n_pieces_of || !ps || !pb) {
        gp_free(pb);
        st = gp_error_nomem(ctx, "pieces");
        goto done;
    }
    ps->blocks = pb;
    pb->h = sp->h;
    pb->community = b->community;
    pb->households_assigned = b->households_assigned;
    pb->community_area = b->community_area;
    ps->n_grids = n_grids;
    group_cells(&pw);
    if ((st = alloc_pieces(&pw)) == GP_OK && (st = fill_pieces(&pw)) == GP_OK &&
        (st = cut_runs(&pw)) == GP_OK) {
        cut_lengths(&pw);
    }
done:
    gp_free(pw.parent);
    gp_free(pw.piece);
    gp_free(pw.mstart);
    gp_free(pw.members);
    gp_free(pw.at);
    gp_free(pw.n_pieces_of);
    if (st != GP_OK) {
        gp_pieces_free(ps);
        ps = NULL;
    }
    *out = ps;
    return st;
}
