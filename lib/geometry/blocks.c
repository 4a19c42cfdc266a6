/* SPDX-License-Identifier: MIT */
/**
 * @file blocks.c Street blocks of a community: clip, snap, drop border strips, node, polygonize,
 * merge slivers.
 *
 * The method (cf. PostGIS ST_Polygonize / GEOS Polygonizer on a noded network, with endpoint
 * snapping as in GRASS v.clean "snap" and "rmdangle"). Its rule: what is already exact stays
 * exact, so that clean data gives exactly its blocks; only what noise can explain moves.
 * 1. Streets and barriers are clipped to the community grown by CLIP_MARGIN (1 cm), so a line
 *    that crosses the border crosses it by a clear margin and the noder cannot miss it.
 * 2. Line ends. An end is fixed when it coincides with another end or lies on the border (in
 *    clean data every end is fixed and nothing moves); it lies on a line when it touches the
 *    inside of another line (a T junction). The other ends are free: noise that under- or
 *    overshoots a junction. Free ends are clustered by complete linkage, so that a cluster
 *    spans at most two tolerances (ends within a tolerance of one junction) and ends of two
 *    junctions a few metres apart do not chain up; the two ends of a short line never join.
 *    A cluster moves to its centroid, which is joined to the border when within a tolerance
 *    of it. A lone free end moves to the nearest fixed end within 1.5 tolerances; failing
 *    that it is extended, like an end on a line, to the nearest point of another line within
 *    the tolerance or of the border within 1.5 tolerances: exactly onto it when that is a
 *    vertex, else CLIP_MARGIN across it, so that noding surely makes the junction (the
 *    overshoot is a dangle, which polygonization drops).
 * 3. The lines are noded. Every edge lying wholly within one tolerance of the border is
 *    dropped: a street along the border (noisy, or exactly on it) bounds no block, the border
 *    does. A node that lost such an edge but keeps others is joined to the nearest point of
 *    the border, so that a street that reached the border through it still does. Edges that
 *    reach deeper, such as a short street from a junction near the border to the border, stay.
 * 4. Lines, joins and the community border are noded and polygonized; faces inside the
 *    community are kept; any uncovered rest becomes extra faces. Face vertices within a
 *    micrometre of another are welded into one, in every face alike (weld.c): inputs in
 *    different CRSs leave such pairs, and their nanometre edges scramble when the blocks are
 *    projected to an output CRS in degrees.
 * 5. Slivers merge into the neighbour sharing the longest border (adjacency.c). A face is a
 *    sliver when it is smaller than the sliver area, or so narrow that no circle of the sliver
 *    width (default: the snapping tolerance) fits in it (its erosion is empty: width.c), or an
 *    uninhabited island (a face whose whole boundary it shares with one other face: a
 *    roundabout centre, a traffic island) smaller than the island area (default
 *    GP_ISLAND_AREA). Width rather than area is what tells noise from a small real block: the
 *    noise is at most a tolerance wide, while a real traffic triangle of 12 m^2 still holds a
 *    2.5 m circle. An island has one neighbour only, so merging it never removes a division.
 */

#include "blocks.h"
#include "dissolve.h"
#include "loads.h"
#include "hits.h"
#include "planar.h"
#include "width.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/unionfind.h"
#include "core/options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lines are clipped to the community grown by this, and extended ends overshoot by this. */
#define CLIP_MARGIN 0.01
/* An end this close to another line lies on it (the noder may still miss it: it is extended). */
#define ON_LINE 1e-6
/* Most free line ends clustered together (see complete_linkage). */
#define MAX_COMPONENT 256
/* Face vertices closer than this are one (weld.c): rounding between CRSs, not geometry. */
#define WELD_EPS 1e-6

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Short joins added in steps 2-3 (two points each: x0 y0 x1 y1), noded in step 4 only. */
typedef struct joins {
    double *v;
    int32_t n, cap;
} joins;

typedef struct net {
    gp_context *ctx;
    GEOSContextHandle_t h;
    gp_piece *p;
    int32_t n, cap;
    joins jn;
    double *bv; /* the border's vertices (x, y), sorted, built on first use */
    int32_t n_bv;
} net;

static gp_status add_piece(net *nt, const GEOSGeometry *line, int32_t cls, int32_t kind)
{
    GEOSContextHandle_t h = nt->h;
    int t = GEOSGeomTypeId_r(h, line);
    if (t == GEOS_MULTILINESTRING || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, line);
        for (int i = 0; i < n; i++) {
            gp_status st = add_piece(nt, GEOSGetGeometryN_r(h, line, i), cls, kind);
            if (st != GP_OK) {
                return st;
            }
        }
        return GP_OK;
    }
    if (t != GEOS_LINESTRING && t != GEOS_LINEARRING) {
        return GP_OK; /* points from clipping touch the border only */
    }
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, line);
    unsigned int m = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m) || m < 2) {
        return GP_OK;
    }
    if (nt->n == nt->cap) {
        int32_t c = nt->cap ? nt->cap * 2 : 256;
        gp_piece *q = gp_reallocarray(nt->p, (size_t)c, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(nt->ctx, "street pieces");
        }
        nt->p = q;
        nt->cap = c;
    }
    /* Room for two more vertices: an extended end gets its target point and the overshoot. */
    double *xy = gp_malloc((2 * (size_t)m + 8) * sizeof *xy);
    if (xy == NULL) {
        return gp_error_nomem(nt->ctx, "street pieces");
    }
    GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0);
    gp_piece pc = {xy, (int32_t)m, cls, kind};
    nt->p[nt->n++] = pc;
    return GP_OK;
}

/* Add the join (x0,y0)-(x1,y1), extended by CLIP_MARGIN beyond (x1,y1) unless `exact` (the
 * end is a vertex of the line it joins, which the noder matches exactly). */
static gp_status add_join(net *nt, double x0, double y0, double x1, double y1, int exact)
{
    double dx = x1 - x0, dy = y1 - y0, len = hypot(dx, dy);
    if (len <= 0) {
        return GP_OK;
    }
    if (nt->jn.n == nt->jn.cap) {
        int32_t c = nt->jn.cap ? nt->jn.cap * 2 : 64;
        double *q = gp_reallocarray(nt->jn.v, 4 * (size_t)c, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(nt->ctx, "border joins");
        }
        nt->jn.v = q;
        nt->jn.cap = c;
    }
    double *v = nt->jn.v + 4 * (size_t)nt->jn.n++;
    v[0] = x0;
    v[1] = y0;
    v[2] = exact ? x1 : x1 + CLIP_MARGIN * dx / len;
    v[3] = exact ? y1 : y1 + CLIP_MARGIN * dy / len;
    return GP_OK;
}

static void free_pieces(net *nt)
{
    for (int32_t i = 0; i < nt->n; i++) {
        gp_free(nt->p[i].xy);
    }
    gp_free(nt->p);
    gp_free(nt->jn.v);
    gp_free(nt->bv);
    nt->bv = NULL;
    nt->n_bv = 0;
    nt->p = NULL;
    nt->jn.v = NULL;
    nt->n = nt->cap = 0;
    nt->jn.n = nt->jn.cap = 0;
}

/*
 * The part of `outer` that line `g` can meet: `outer` clipped to g's envelope widened on every
 * side by a quarter of its longer side and one unit (NULL when it cannot be made; then use
 * `outer` itself). As g lies inside that rectangle, g's intersection with the part is its
 * intersection with `outer`, and the overlay walks the few vertices of `outer` near g rather
 * than all of them (a buffered community border has thousands).
 */
static GEOSGeometry *outer_near(GEOSContextHandle_t h, const GEOSGeometry *outer,
                                const GEOSGeometry *g)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(h, g, &x0) || !GEOSGeom_getYMin_r(h, g, &y0) ||
        !GEOSGeom_getXMax_r(h, g, &x1) || !GEOSGeom_getYMax_r(h, g, &y1)) {
        return NULL;
    }
    double m = 0.25 * fmax(x1 - x0, y1 - y0) + 1.0;
    return GEOSClipByRect_r(h, outer, x0 - m, y0 - m, x1 + m, y1 + m);
}

/* Clip the dataset lines listed for community c to `outer` and add them as pieces. */
static gp_status clip_lines(net *nt, GEOSWKBReader *rd, const gp_wkb *wkb, const int32_t *list,
                            int32_t n_list, const int32_t *cls, int32_t kind,
                            const GEOSGeometry *outer, const GEOSPreparedGeometry *outer_prep)
{
    GEOSContextHandle_t h = nt->h;
    gp_status st = GP_OK;
    for (int32_t k = 0; k < n_list && st == GP_OK; k++) {
        int32_t i = list[k];
        GEOSGeometry *g = GEOSWKBReader_read_r(h, rd, wkb[i].data, wkb[i].size);
        if (g == NULL) {
            return gp_error(nt->ctx, GP_ERR_GEOMETRY, "cannot decode line %d", i);
        }
        int32_t c = cls ? cls[i] : GP_CLASS_NONE;
        if (GEOSPreparedContains_r(h, outer_prep, g) == 1) {
            st = add_piece(nt, g, c, kind);
        } else if (GEOSPreparedIntersects_r(h, outer_prep, g) == 1) {
            GEOSGeometry *near = outer_near(h, outer, g);
            GEOSGeometry *x = GEOSIntersection_r(h, g, near != NULL ? near : outer);
            if (near != NULL) {
                GEOSGeom_destroy_r(h, near);
            }
            if (x == NULL) {
                st = gp_error(nt->ctx, GP_ERR_GEOMETRY, "cannot clip line %d: %s", i,
                              gp_ctx_engine_error(nt->ctx));
            } else {
                st = add_piece(nt, x, c, kind);
                GEOSGeom_destroy_r(h, x);
            }
        }
        GEOSGeom_destroy_r(h, g);
    }
    return st;
}

typedef struct endpt {
    double x, y;
    int32_t piece, end; /* end 0: first vertex, 1: last */
} endpt;

static int cmp_endpt(const void *pa, const void *pb)
{
    const endpt *a = pa, *b = pb;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    if (a->y != b->y) {
        return a->y < b->y ? -1 : 1;
    }
    if (a->piece != b->piece) {
        return a->piece < b->piece ? -1 : 1;
    }
    return a->end - b->end;
}

/* What a line end is (step 2). */
enum {
    END_NONE = 0,  /* no end: a border piece or a closed ring */
    END_FIXED = 1, /* coincides with another end, or lies on the border: never moves */
    END_ON = 2,    /* on another line: extended across it */
    END_FREE = 3,  /* noise: clustered with others, or extended when alone */
    END_LONE = 4,  /* a free end with no other nearby: extended */
    END_MOVED = 5  /* a free end moved to a cluster's point */
};

static double *end_xy(const gp_piece *p, int32_t end)
{
    return end == 0 ? p->xy : p->xy + 2 * (p->n - 1);
}

static void piece_bbox(const gp_piece *p, double *x0, double *y0, double *x1, double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int32_t i = 0; i < p->n; i++) {
        *x0 = fmin(*x0, p->xy[2 * i]);
        *y0 = fmin(*y0, p->xy[2 * i + 1]);
        *x1 = fmax(*x1, p->xy[2 * i]);
        *y1 = fmax(*y1, p->xy[2 * i + 1]);
    }
}

/* Nearest point to (ex,ey) on piece t: distance, and the point (a vertex of t itself when the
 * projection lands on one, so the noder sees identical coordinates; then *at_vertex = 1). */
static double nearest_on_piece(const gp_piece *t, double ex, double ey, double *bx, double *by,
                               int *at_vertex)
{
    double best = INFINITY;
    for (int32_t j = 0; j + 1 < t->n; j++) {
        double ax = t->xy[2 * j], ay = t->xy[2 * j + 1];
        double dx = t->xy[2 * j + 2] - ax, dy = t->xy[2 * j + 3] - ay;
        double s = gp_seg_param(ex, ey, ax, ay, t->xy[2 * j + 2], t->xy[2 * j + 3]);
        double px = ax + s * dx, py = ay + s * dy;
        double d = hypot(px - ex, py - ey);
        if (d < best) {
            best = d;
            *bx = s == 0 ? ax : (s == 1 ? t->xy[2 * j + 2] : px);
            *by = s == 0 ? ay : (s == 1 ? t->xy[2 * j + 3] : py);
            *at_vertex = s == 0 || s == 1;
        }
    }
    return best;
}

gp_status gp_piece_index_new(gp_context *ctx, GEOSContextHandle_t h, const gp_piece *pieces,
                             int32_t n, double margin, int streets_only, const char *what,
                             gp_piece_index *ix)
{
    ix->n = n;
    ix->env = gp_calloc((size_t)n + 1, sizeof *ix->env);
    ix->tree = GEOSSTRtree_create_r(h, 10);
    if (ix->env == NULL || ix->tree == NULL) {
        return gp_error_nomem(ctx, what);
    }
    for (int32_t i = 0; i < n; i++) {
        if (streets_only && (pieces[i].kind == 2 || pieces[i].n < 2)) {
            continue;
        }
        double x0, y0, x1, y1;
        piece_bbox(&pieces[i], &x0, &y0, &x1, &y1);
        ix->env[i] =
            GEOSGeom_createRectangle_r(h, x0 - margin, y0 - margin, x1 + margin, y1 + margin);
        if (ix->env[i] == NULL) {
            return gp_error_nomem(ctx, what);
        }
        GEOSSTRtree_insert_r(h, ix->tree, ix->env[i], (void *)(intptr_t)i);
    }
    return GP_OK;
}

void gp_piece_index_free(GEOSContextHandle_t h, gp_piece_index *ix)
{
    if (ix->tree != NULL) {
        GEOSSTRtree_destroy_r(h, ix->tree);
    }
    for (int32_t i = 0; ix->env != NULL && i < ix->n; i++) {
        if (ix->env[i] != NULL) {
            GEOSGeom_destroy_r(h, ix->env[i]);
        }
    }
    gp_free(ix->env);
    gp_free(ix->hs.v);
}

gp_status gp_piece_index_query(gp_context *ctx, GEOSContextHandle_t h, gp_piece_index *ix,
                               double x0, double y0, double x1, double y1, const char *what)
{
    GEOSGeometry *q = GEOSGeom_createRectangle_r(h, x0, y0, x1, y1);
    if (q == NULL) {
        return gp_error_nomem(ctx, what);
    }
    ix->hs.n = 0;
    GEOSSTRtree_query_r(h, ix->tree, q, gp_hits_collect, &ix->hs);
    GEOSGeom_destroy_r(h, q);
    return ix->hs.failed ? gp_error_nomem(ctx, what) : GP_OK;
}

/* The pieces whose boxes meet the square of half-side r around (x,y), into ix->hs. */
static gp_status query_pieces(net *nt, gp_piece_index *ix, double x, double y, double r)
{
    return gp_piece_index_query(nt->ctx, nt->h, ix, x - r, y - r, x + r, y + r, "a line query");
}

static int cmp_xy(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    if (a[0] != b[0]) {
        return a[0] < b[0] ? -1 : 1;
    }
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Nearest point of the border to (x,y): distance and point; *at_vertex = 1 when that point is a
 * vertex of the border (then its exact coordinates are returned). */
static gp_status nearest_on_border(net *nt, const GEOSPreparedGeometry *border_prep, double x,
                                   double y, double *d, double *bx, double *by, int *at_vertex)
{
    GEOSContextHandle_t h = nt->h;
    if (nt->bv == NULL) {
        size_t n = 0;
        for (int32_t i = 0; i < nt->n; i++) {
            n += nt->p[i].kind == 2 ? (size_t)nt->p[i].n : 0;
        }
        nt->bv = gp_malloc(2 * (n + 1) * sizeof *nt->bv);
        if (nt->bv == NULL) {
            return gp_error_nomem(nt->ctx, "border vertices");
        }
        for (int32_t i = 0; i < nt->n; i++) {
            if (nt->p[i].kind == 2) {
                memcpy(nt->bv + 2 * (size_t)nt->n_bv, nt->p[i].xy,
                       2 * (size_t)nt->p[i].n * sizeof *nt->bv);
                nt->n_bv += nt->p[i].n;
            }
        }
        qsort(nt->bv, (size_t)nt->n_bv, 2 * sizeof *nt->bv, cmp_xy);
    }
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    GEOSCoordSequence *cs = pt ? GEOSPreparedNearestPoints_r(h, border_prep, pt) : NULL;
    if (pt != NULL) {
        GEOSGeom_destroy_r(h, pt);
    }
    if (cs == NULL || !GEOSCoordSeq_getXY_r(h, cs, 0, bx, by)) {
        if (cs != NULL) {
            GEOSCoordSeq_destroy_r(h, cs);
        }
        return gp_error(nt->ctx, GP_ERR_GEOMETRY, "cannot find the nearest border point: %s",
                        gp_ctx_engine_error(nt->ctx));
    }
    GEOSCoordSeq_destroy_r(h, cs);
    /* A border vertex within a micrometre: take it exactly. */
    const double eps = 1e-6;
    int32_t lo = 0, hi = nt->n_bv;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (nt->bv[2 * mid] < *bx - eps) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *at_vertex = 0;
    for (int32_t k = lo; k < nt->n_bv && nt->bv[2 * k] <= *bx + eps && !*at_vertex; k++) {
        if (fabs(nt->bv[2 * k + 1] - *by) <= eps) {
            *bx = nt->bv[2 * k];
            *by = nt->bv[2 * k + 1];
            *at_vertex = 1;
        }
    }
    *d = hypot(*bx - x, *by - y);
    return GP_OK;
}

/* Step 2a: the kind of every end (status[2 * piece + end]). */
static gp_status classify_ends(net *nt, gp_piece_index *ix, const GEOSPreparedGeometry *comm_prep,
                               uint8_t *status)
{
    GEOSContextHandle_t h = nt->h;
    gp_status st = GP_OK;
    size_t n = 0;
    endpt *e = gp_malloc(2 * ((size_t)nt->n + 1) * sizeof *e);
    if (e == NULL) {
        return gp_error_nomem(nt->ctx, "line ends");
    }
    memset(status, END_NONE, 2 * (size_t)nt->n);
    for (int32_t i = 0; i < nt->n; i++) {
        const gp_piece *p = &nt->p[i];
        double *a = end_xy(p, 0), *b = end_xy(p, 1);
        if (p->kind == 2 || (a[0] == b[0] && a[1] == b[1])) {
            continue; /* the border, or a closed ring: no end */
        }
        status[2 * i] = status[2 * i + 1] = END_FREE;
        endpt ea = {a[0], a[1], i, 0}, eb = {b[0], b[1], i, 1};
        e[n++] = ea;
        e[n++] = eb;
    }
    if (n > 1) {
        qsort(e, n, sizeof *e, cmp_endpt);
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (e[i].x == e[i + 1].x && e[i].y == e[i + 1].y) {
            status[2 * e[i].piece + e[i].end] = END_FIXED;
            status[2 * e[i + 1].piece + e[i + 1].end] = END_FIXED;
        }
    }
    for (size_t k = 0; k < n && st == GP_OK; k++) {
        int32_t i = e[k].piece, end = e[k].end;
        if (status[2 * i + end] != END_FREE) {
            continue;
        }
        st = query_pieces(nt, ix, e[k].x, e[k].y, 2 * CLIP_MARGIN);
        double d_border = INFINITY, d_line = INFINITY, bx, by;
        int at_vertex;
        for (size_t q = 0; q < ix->hs.n && st == GP_OK; q++) {
            const gp_piece *t = &nt->p[ix->hs.v[q]];
            if (ix->hs.v[q] == i) {
                continue;
            }
            double d = nearest_on_piece(t, e[k].x, e[k].y, &bx, &by, &at_vertex);
            if (t->kind == 2) {
                d_border = fmin(d_border, d);
            } else {
                d_line = fmin(d_line, d);
            }
        }
        if (st != GP_OK) {
            break;
        }
        if (d_border <= 2 * CLIP_MARGIN) {
            /* On the border or just outside (clipped there): fixed. Just inside, the noder
             * could miss the border: then it is extended like a free end. */
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, e[k].x, e[k].y);
            if (pt == NULL) {
                st = gp_error_nomem(nt->ctx, "a point");
                break;
            }
            int inside = GEOSPreparedContains_r(h, comm_prep, pt);
            GEOSGeom_destroy_r(h, pt);
            if (inside == 2) {
                st = gp_error(nt->ctx, GP_ERR_GEOMETRY, "cannot place a line end: %s",
                              gp_ctx_engine_error(nt->ctx));
                break;
            }
            status[2 * i + end] = inside == 1 ? END_LONE : END_FIXED;
        } else if (d_line <= ON_LINE) {
            status[2 * i + end] = END_ON;
        }
    }
    gp_free(e);
    return st;
}

static double piece_length(const gp_piece *p)
{
    double len = 0;
    for (int32_t i = 0; i + 1 < p->n; i++) {
        len += hypot(p->xy[2 * i + 2] - p->xy[2 * i], p->xy[2 * i + 3] - p->xy[2 * i + 1]);
    }
    return len;
}

/*
 * Complete-linkage clustering of the k free ends idx[0..k-1] (one single-linkage component):
 * repeatedly join the two clusters whose union has the smallest diameter, while it is at most
 * `diameter`. Ends of two junctions a few metres apart then stay apart even when their noisy
 * ends chain up. label[i] receives the cluster (the lowest member position) of idx[i]. Work is
 * cubic in k: a component larger than MAX_COMPONENT (which real junctions never make) is left
 * unclustered, its ends then being extended one by one.
 */
static gp_status complete_linkage(net *nt, const endpt *fr, const int32_t *idx, int32_t k,
                                  double diameter, int32_t *label)
{
    for (int32_t i = 0; i < k; i++) {
        label[i] = i;
    }
    if (k < 2 || k > MAX_COMPONENT) {
        return GP_OK;
    }
    double *d = gp_malloc((size_t)k * (size_t)k * sizeof *d);
    if (d == NULL) {
        return gp_error_nomem(nt->ctx, "line end clusters");
    }
    for (int32_t i = 0; i < k; i++) {
        for (int32_t j = 0; j < k; j++) {
            double dij = hypot(fr[idx[i]].x - fr[idx[j]].x, fr[idx[i]].y - fr[idx[j]].y);
            /* The two ends of one line join only when it is a loop (longer than twice the gap
             * between them): joining the ends of a short straight line would collapse it. */
            if (i != j && fr[idx[i]].piece == fr[idx[j]].piece &&
                piece_length(&nt->p[fr[idx[i]].piece]) <= 2 * dij) {
                dij = INFINITY;
            }
            d[(size_t)i * k + j] = dij;
        }
    }
    /* d[a][b] between cluster representatives a, b: the largest distance of their members. */
    for (;;) {
        int32_t ba = -1, bb = -1;
        double best = INFINITY;
        for (int32_t a = 0; a < k; a++) {
            if (label[a] != a) {
                continue;
            }
            for (int32_t b = a + 1; b < k; b++) {
                if (label[b] == b && d[(size_t)a * k + b] < best) {
                    best = d[(size_t)a * k + b];
                    ba = a;
                    bb = b;
                }
            }
        }
        if (ba < 0 || best > diameter) {
            break;
        }
        for (int32_t x = 0; x < k; x++) {
            double m = fmax(d[(size_t)ba * k + x], d[(size_t)bb * k + x]);
            d[(size_t)ba * k + x] = d[(size_t)x * k + ba] = m;
        }
        for (int32_t i = 0; i < k; i++) {
            if (label[i] == bb) {
                label[i] = ba;
            }
        }
    }
    gp_free(d);
    return GP_OK;
}

/* What the steps of cluster_ends share: the free and fixed ends (sorted by cmp_endpt) and the
 * single-linkage components of the free ends, whose members lie contiguous in
 * order[start[r] .. start[r + 1]); cap entries each (start cap + 1). */
typedef struct end_clusters {
    net *nt;
    const GEOSPreparedGeometry *border_prep;
    uint8_t *status;
    double tol, radius, diameter;
    endpt *fr, *fx;
    size_t n_free, n_fixed;
    int32_t *parent, *order, *label, *start;
} end_clusters;

/* The free and fixed ends of the pieces into ec->fr and ec->fx, each sorted. */
static void collect_ends(end_clusters *ec)
{
    const net *nt = ec->nt;
    for (int32_t i = 0; i < nt->n; i++) {
        for (int32_t end = 0; end < 2; end++) {
            const double *v = end_xy(&nt->p[i], end);
            endpt x = {v[0], v[1], i, end};
            if (ec->status[2 * i + end] == END_FREE) {
                ec->fr[ec->n_free++] = x;
            } else if (ec->status[2 * i + end] == END_FIXED) {
                ec->fx[ec->n_fixed++] = x;
            }
        }
    }
    if (ec->n_free > 1) {
        qsort(ec->fr, ec->n_free, sizeof *ec->fr, cmp_endpt);
    }
    if (ec->n_fixed > 1) {
        qsort(ec->fx, ec->n_fixed, sizeof *ec->fx, cmp_endpt);
    }
}

/* Single-linkage components of the free ends within the diameter of each other, each rooted at
 * its lowest end, their members listed by component in ec->order from ec->start. */
static void link_components(end_clusters *ec)
{
    const endpt *fr = ec->fr;
    size_t n_free = ec->n_free;
    int32_t *parent = ec->parent, *start = ec->start;
    double diameter = ec->diameter, r2 = diameter * diameter;
    for (size_t i = 0; i < n_free; i++) {
        parent[i] = (int32_t)i;
    }
    for (size_t i = 0; i < n_free; i++) {
        for (size_t j = i + 1; j < n_free && fr[j].x - fr[i].x <= diameter; j++) {
            double dx = fr[j].x - fr[i].x, dy = fr[j].y - fr[i].y;
            if (dx * dx + dy * dy <= r2) {
                int32_t a = gp_uf_find(parent, (int32_t)i), b = gp_uf_find(parent, (int32_t)j);
                if (a != b) {
                    parent[a < b ? b : a] = a < b ? a : b;
                }
            }
        }
    }
    /* Members of each single-linkage component, contiguous in `order` (counting sort). */
    for (size_t i = 0; i < n_free; i++) {
        start[gp_uf_find(parent, (int32_t)i) + 1]++;
    }
    for (size_t i = 0; i < n_free; i++) {
        start[i + 1] += start[i];
    }
    for (size_t i = 0; i < n_free; i++) {
        ec->order[start[gp_uf_find(parent, (int32_t)i)]++] = (int32_t)i;
    }
    for (size_t i = n_free; i > 0; i--) {
        start[i] = start[i - 1];
    }
    start[0] = 0;
}

/* The fixed end nearest to the free end e within the radius into (*tx, *ty); 0 when none. */
static int nearest_fixed(const end_clusters *ec, const endpt *e, double *tx, double *ty)
{
    const endpt *fx = ec->fx;
    double radius = ec->radius;
    size_t lo = 0, hi = ec->n_fixed;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fx[mid].x < e->x - radius) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    double best = INFINITY;
    for (size_t q = lo; q < ec->n_fixed && fx[q].x <= e->x + radius; q++) {
        double d = hypot(fx[q].x - e->x, fx[q].y - e->y);
        if (d <= radius && d < best) {
            best = d;
            *tx = fx[q].x;
            *ty = fx[q].y;
        }
    }
    return isfinite(best);
}

/* The cluster a of the component idx[0..k-1] (labelled by complete_linkage) to its point: a
 * lone end to the nearest fixed end (else it is marked END_LONE), two or more ends to their
 * centroid, joined to the border when within a tolerance of it. */
static gp_status move_cluster(end_clusters *ec, const int32_t *idx, int32_t k, int32_t a)
{
    net *nt = ec->nt;
    const endpt *fr = ec->fr;
    const int32_t *label = ec->label;
    gp_status st = GP_OK;
    int32_t m = 0;
    double tx = 0, ty = 0;
    for (int32_t i = 0; i < k; i++) {
        if (label[i] == a) {
            tx += fr[idx[i]].x;
            ty += fr[idx[i]].y;
            m++;
        }
    }
    tx /= m;
    ty /= m;
    if (m == 1) {
        /* A lone end: to the nearest fixed end within the radius, if any. */
        const endpt *e = &fr[idx[a]];
        if (!nearest_fixed(ec, e, &tx, &ty)) {
            ec->status[2 * e->piece + e->end] = END_LONE;
            return GP_OK;
        }
    } else {
        /* A junction of noisy ends within a tolerance of the border is on it. */
        double d, bx, by;
        int at_vertex;
        st = nearest_on_border(nt, ec->border_prep, tx, ty, &d, &bx, &by, &at_vertex);
        if (st == GP_OK && d <= ec->tol && d > 0) {
            st = add_join(nt, tx, ty, bx, by, at_vertex);
        }
    }
    for (int32_t i = 0; i < k; i++) {
        if (label[i] == a) {
            const endpt *e = &fr[idx[i]];
            double *v = end_xy(&nt->p[e->piece], e->end);
            v[0] = tx;
            v[1] = ty;
            ec->status[2 * e->piece + e->end] = END_MOVED;
        }
    }
    return st;
}

/*
 * Step 2b: cluster free ends. A cluster of two or more moves to its centroid (joined to the
 * border when within a tolerance of it); a lone end moves to the nearest fixed end within 1.5
 * tolerances, or is left for extend_ends (status END_LONE).
 */
static gp_status cluster_ends(net *nt, const GEOSPreparedGeometry *border_prep, double tol,
                              uint8_t *status)
{
    gp_status st = GP_OK;
    size_t cap = 2 * ((size_t)nt->n + 1);
    end_clusters ec = {.nt = nt,
                       .border_prep = border_prep,
                       .status = status,
                       .tol = tol,
                       .radius = 1.5 * tol,
                       .diameter = 2 * tol};
    ec.fr = gp_malloc(cap * sizeof *ec.fr);
    ec.fx = gp_malloc(cap * sizeof *ec.fx);
    ec.parent = gp_malloc(cap * sizeof *ec.parent);
    ec.order = gp_malloc(cap * sizeof *ec.order);
    ec.label = gp_malloc(cap * sizeof *ec.label);
    ec.start = gp_calloc(cap + 1, sizeof *ec.start);
    if (ec.fr == NULL || ec.fx == NULL || ec.parent == NULL || ec.order == NULL ||
        ec.label == NULL || ec.start == NULL) {
        st = gp_error_nomem(nt->ctx, "line ends");
        goto done;
    }
    collect_ends(&ec);
    link_components(&ec);
    for (size_t r = 0; r < ec.n_free && st == GP_OK; r++) {
        int32_t *idx = ec.order + ec.start[r], k = ec.start[r + 1] - ec.start[r];
        if (k == 0) {
            continue;
        }
        st = complete_linkage(nt, ec.fr, idx, k, ec.diameter, ec.label);
        for (int32_t a = 0; a < k && st == GP_OK; a++) {
            if (ec.label[a] == a) {
                st = move_cluster(&ec, idx, k, a);
            }
        }
    }
done:
    gp_free(ec.fr);
    gp_free(ec.fx);
    gp_free(ec.parent);
    gp_free(ec.order);
    gp_free(ec.label);
    gp_free(ec.start);
    return st;
}

/*
 * Step 2c: extend lone free ends and ends on a line to the nearest other line (within tol) or
 * the border (within 1.5 tol): onto it when that point is a vertex, else CLIP_MARGIN across
 * it. Targets are found on the unextended network, then all extensions are applied, so the
 * result does not depend on piece order.
 */
static gp_status extend_ends(net *nt, gp_piece_index *ix, const uint8_t *status, double tol,
                             int32_t *n_snapped)
{
    gp_status st = GP_OK;
    int32_t n = nt->n;
    double(*ext)[4] = gp_malloc(2 * ((size_t)n + 1) * sizeof *ext);
    uint8_t *has_ext = gp_calloc(2 * ((size_t)n + 1), 1);
    double border_tol = 1.5 * tol;
    *n_snapped = 0;
    if (ext == NULL || has_ext == NULL) {
        st = gp_error_nomem(nt->ctx, "end snapping");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        for (int end = 0; end < 2; end++) {
            if (status[2 * i + end] != END_LONE && status[2 * i + end] != END_ON) {
                continue;
            }
            const gp_piece *p = &nt->p[i];
            const double *v = end_xy(p, end);
            const double *w = end == 0 ? p->xy + 2 : p->xy + 2 * (p->n - 2);
            double ex = v[0], ey = v[1];
            st = query_pieces(nt, ix, ex, ey, border_tol);
            if (st != GP_OK) {
                goto done;
            }
            double best = INFINITY, bx = 0, by = 0;
            int exact = 0;
            for (size_t k = 0; k < ix->hs.n; k++) {
                const gp_piece *t = &nt->p[ix->hs.v[k]];
                if (ix->hs.v[k] == i) {
                    continue;
                }
                double lim = t->kind == 2 ? border_tol : tol, px, py;
                int at_vertex;
                double d = nearest_on_piece(t, ex, ey, &px, &py, &at_vertex);
                if (d <= lim && d < best) {
                    best = d;
                    bx = px;
                    by = py;
                    exact = at_vertex;
                }
            }
            if (!isfinite(best)) {
                continue; /* a dead end: it stays a dangle and splits nothing */
            }
            double ux = bx - ex, uy = by - ey, len = hypot(ux, uy);
            if (len < 1e-9) {
                ux = v[0] - w[0];
                uy = v[1] - w[1];
                len = hypot(ux, uy);
            }
            if (len > 0) {
                ux /= len;
                uy /= len;
            }
            /* To a vertex: exactly onto it (the noder matches it); else a little across. */
            double *x = ext[2 * i + end];
            x[0] = bx;
            x[1] = by;
            x[2] = bx + CLIP_MARGIN * ux;
            x[3] = by + CLIP_MARGIN * uy;
            has_ext[2 * i + end] = exact ? 1 : 2;
            (*n_snapped)++;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        gp_piece *p = &nt->p[i];
        int32_t m0 = has_ext[2 * i], m1 = has_ext[2 * i + 1]; /* vertices to add */
        if (m0 > 0) {
            memmove(p->xy + 2 * m0, p->xy, 2 * (size_t)p->n * sizeof *p->xy);
            p->xy[2 * m0 - 2] = ext[2 * i][0];
            p->xy[2 * m0 - 1] = ext[2 * i][1];
            if (m0 == 2) {
                p->xy[0] = ext[2 * i][2];
                p->xy[1] = ext[2 * i][3];
            }
            p->n += m0;
        }
        if (m1 > 0) {
            double *t = p->xy + 2 * p->n;
            memcpy(t, ext[2 * i + 1], 2 * (size_t)m1 * sizeof *t);
            p->n += m1;
        }
    }
done:
    gp_free(ext);
    gp_free(has_ext);
    return st;
}

/* Step 2. */
static gp_status snap_ends(net *nt, const GEOSPreparedGeometry *comm_prep,
                           const GEOSPreparedGeometry *border_prep, double tol, int32_t *n_snapped)
{
    /* Every piece, the border included, by its bounding box. */
    gp_piece_index ix = {0};
    uint8_t *status = gp_malloc(2 * ((size_t)nt->n + 1));
    gp_status st = status
                       ? gp_piece_index_new(nt->ctx, nt->h, nt->p, nt->n, 0, 0, "a line index", &ix)
                       : gp_error_nomem(nt->ctx, "line ends");
    if (st == GP_OK) {
        st = classify_ends(nt, &ix, comm_prep, status);
    }
    if (st == GP_OK) {
        st = cluster_ends(nt, border_prep, tol, status);
    }
    if (st == GP_OK) {
        st = extend_ends(nt, &ix, status, tol, n_snapped);
    }
    gp_piece_index_free(nt->h, &ix);
    gp_free(status);
    return st;
}

static GEOSGeometry *piece_line(GEOSContextHandle_t h, const gp_piece *p)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(h, p->xy, (unsigned)p->n, 0, 0);
    return cs ? GEOSGeom_createLineString_r(h, cs) : NULL;
}

static void destroy_all(GEOSContextHandle_t h, GEOSGeometry **g, int32_t n)
{
    for (int32_t i = 0; g != NULL && i < n; i++) {
        if (g[i] != NULL) {
            GEOSGeom_destroy_r(h, g[i]);
        }
    }
    gp_free(g);
}

/* Unary union (noding) of n lines, which it takes over (also on failure). NULL on failure. */
static GEOSGeometry *node_lines(GEOSContextHandle_t h, GEOSGeometry **lines, int32_t n)
{
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, lines, (unsigned)n);
    if (coll == NULL) {
        for (int32_t i = 0; i < n; i++) {
            GEOSGeom_destroy_r(h, lines[i]);
        }
        return NULL;
    }
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return u;
}

typedef struct node_end {
    double x, y;
    int32_t dropped;
} node_end;

static int cmp_node_end(const void *pa, const void *pb)
{
    const node_end *a = pa, *b = pb;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    if (a->y != b->y) {
        return a->y < b->y ? -1 : 1;
    }
    return a->dropped - b->dropped;
}

/* What the steps of build_network share; network_work_free frees it, not the result. */
typedef struct network_work {
    net *nt;
    GEOSContextHandle_t h;
    GEOSGeometry **lines; /* the pieces as lines, until noded */
    int32_t n_lines;
    GEOSGeometry *streets; /* the noded lines, n_edges edges */
    int32_t n_edges;
    uint8_t *drop; /* per edge: 1 along the border, 2 not a line */
    node_end *ne;  /* both ends of every line edge */
    size_t n_ne;
    GEOSGeometry **all; /* kept edges, joins and border, to node together */
    int32_t n_all;
} network_work;

/* Free the scratch of build_network (what was not taken over by noding). */
static void network_work_free(network_work *w)
{
    GEOSContextHandle_t h = w->h;
    destroy_all(h, w->lines, w->n_lines);
    destroy_all(h, w->all, w->n_all);
    if (w->streets != NULL) {
        GEOSGeom_destroy_r(h, w->streets);
    }
    gp_free(w->ne);
    gp_free(w->drop);
}

/* Step 3: the pieces but the border and collapsed ones, noded into w->streets. */
static gp_status node_streets(network_work *w)
{
    net *nt = w->nt;
    GEOSContextHandle_t h = w->h;
    for (int32_t i = 0; i < nt->n; i++) {
        const gp_piece *p = &nt->p[i];
        if (p->kind == 2 || (p->n == 2 && p->xy[0] == p->xy[2] && p->xy[1] == p->xy[3])) {
            continue; /* the border comes in step 4; a piece collapsed into a junction */
        }
        w->lines[w->n_lines] = piece_line(h, p);
        if (w->lines[w->n_lines] == NULL) {
            return gp_error(nt->ctx, GP_ERR_GEOMETRY, "bad line: %s", gp_ctx_engine_error(nt->ctx));
        }
        w->n_lines++;
    }
    if (w->n_lines > 0) {
        w->streets = node_lines(h, w->lines, w->n_lines);
        w->n_lines = 0; /* taken over */
        if (w->streets == NULL) {
            return gp_error(nt->ctx, GP_ERR_GEOMETRY, "noding the streets failed: %s",
                            gp_ctx_engine_error(nt->ctx));
        }
        w->n_edges = GEOSGetNumGeometries_r(h, w->streets);
    }
    return GP_OK;
}

/* Mark the edges outside inner (within the tolerance of the border) dropped, counting them in
 * *n_dropped, and list the ends of every line edge with its mark. */
static void mark_border_edges(network_work *w, const GEOSPreparedGeometry *inner_prep, double tol,
                              int32_t *n_dropped)
{
    GEOSContextHandle_t h = w->h;
    uint8_t *drop = w->drop;
    for (int32_t k = 0; k < w->n_edges; k++) {
        const GEOSGeometry *g = GEOSGetGeometryN_r(h, w->streets, k);
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
        unsigned int m = 0;
        if (GEOSGeomTypeId_r(h, g) != GEOS_LINESTRING || cs == NULL ||
            !GEOSCoordSeq_getSize_r(h, cs, &m) || m < 2) {
            drop[k] = 2; /* not a line (cannot happen): ignored */
            continue;
        }
        if (tol > 0 && GEOSPreparedIntersects_r(h, inner_prep, g) == 0) {
            drop[k] = 1;
            (*n_dropped)++;
        }
        for (unsigned int j = 0; j < 2; j++) {
            node_end x = {0, 0, drop[k]};
            GEOSCoordSeq_getXY_r(h, cs, j == 0 ? 0 : m - 1, &x.x, &x.y);
            w->ne[w->n_ne++] = x;
        }
    }
}

/* Join the node (x, y), which lost a dropped edge and keeps another, to the nearest point of
 * the border, when it lies inside the community. */
static gp_status join_node(net *nt, const GEOSPreparedGeometry *comm_prep,
                           const GEOSPreparedGeometry *border_prep, double x, double y)
{
    GEOSContextHandle_t h = nt->h;
    gp_status st = GP_OK;
    /* Only from inside: a node on the border or beyond it is noded with it. */
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    int inside = pt ? GEOSPreparedContains_r(h, comm_prep, pt) : -1;
    if (pt != NULL) {
        GEOSGeom_destroy_r(h, pt);
    }
    double d, bx, by;
    int at_vertex;
    if (inside < 0) {
        st = gp_error_nomem(nt->ctx, "a point");
    } else if (inside == 2) {
        st = gp_error(nt->ctx, GP_ERR_GEOMETRY, "cannot place a node: %s",
                      gp_ctx_engine_error(nt->ctx));
    } else if (inside == 1) {
        st = nearest_on_border(nt, border_prep, x, y, &d, &bx, &by, &at_vertex);
        if (st == GP_OK) {
            st = add_join(nt, x, y, bx, by, at_vertex);
        }
    }
    return st;
}

/* Join to the border every node with dropped and kept edges (join_node). */
static gp_status join_cut_nodes(network_work *w, const GEOSPreparedGeometry *comm_prep,
                                const GEOSPreparedGeometry *border_prep)
{
    gp_status st = GP_OK;
    node_end *ne = w->ne;
    size_t n_ne = w->n_ne;
    /* A node with dropped and kept edges: the kept ones reached the border through it. */
    qsort(ne, n_ne, sizeof *ne, cmp_node_end);
    for (size_t i = 0; i < n_ne && st == GP_OK;) {
        size_t j = i;
        int kept = 0, dropped = 0;
        while (j < n_ne && ne[j].x == ne[i].x && ne[j].y == ne[i].y) {
            kept |= ne[j].dropped == 0;
            dropped |= ne[j].dropped == 1;
            j++;
        }
        if (kept && dropped) {
            st = join_node(w->nt, comm_prep, border_prep, ne[i].x, ne[i].y);
        }
        i = j;
    }
    return st;
}

/* Step 4's lines into w->all: the kept edges (cloned), the joins and the border. */
static gp_status gather_network(network_work *w)
{
    net *nt = w->nt;
    GEOSContextHandle_t h = w->h;
    for (int32_t k = 0; k < w->n_edges; k++) {
        if (w->drop[k] == 0) {
            w->all[w->n_all] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, w->streets, k));
            if (w->all[w->n_all++] == NULL) {
                return gp_error_nomem(nt->ctx, "the street network");
            }
        }
    }
    for (int32_t k = 0; k < nt->jn.n; k++) {
        GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(h, nt->jn.v + 4 * k, 2, 0, 0);
        w->all[w->n_all] = cs ? GEOSGeom_createLineString_r(h, cs) : NULL;
        if (w->all[w->n_all++] == NULL) {
            return gp_error_nomem(nt->ctx, "the street network");
        }
    }
    for (int32_t i = 0; i < nt->n; i++) {
        if (nt->p[i].kind == 2) {
            w->all[w->n_all] = piece_line(h, &nt->p[i]);
            if (w->all[w->n_all++] == NULL) {
                return gp_error_nomem(nt->ctx, "the street network");
            }
        }
    }
    return GP_OK;
}

/*
 * Steps 3-4: node the lines, drop the edges lying within the tolerance of the border, join each
 * node that lost such an edge (and keeps another) to the border, and node all that with the
 * border. *out: the noded network (free with GEOSGeom_destroy_r).
 */
static gp_status build_network(net *nt, const GEOSPreparedGeometry *comm_prep,
                               const GEOSPreparedGeometry *inner_prep,
                               const GEOSPreparedGeometry *border_prep, double tol,
                               GEOSGeometry **out, int32_t *n_dropped)
{
    network_work w = {.nt = nt, .h = nt->h};
    GEOSContextHandle_t h = nt->h;
    gp_status st = GP_OK;
    w.lines = gp_calloc((size_t)nt->n + 1, sizeof *w.lines);
    *out = NULL;
    *n_dropped = 0;
    if (w.lines == NULL) {
        return gp_error_nomem(nt->ctx, "lines");
    }
    if ((st = node_streets(&w)) != GP_OK) {
        goto done;
    }
    w.drop = gp_calloc((size_t)w.n_edges + 1, 1);
    w.ne = gp_malloc(2 * ((size_t)w.n_edges + 1) * sizeof *w.ne);
    w.all = gp_calloc((size_t)w.n_edges + (size_t)nt->jn.n + (size_t)nt->n + 2, sizeof *w.all);
    if (w.drop == NULL || w.ne == NULL || w.all == NULL) {
        st = gp_error_nomem(nt->ctx, "the street network");
        goto done;
    }
    mark_border_edges(&w, inner_prep, tol, n_dropped);
    if (*n_dropped > 0 && (st = join_cut_nodes(&w, comm_prep, border_prep)) != GP_OK) {
        goto done;
    }
    if ((st = gather_network(&w)) != GP_OK) {
        goto done;
    }
    *out = node_lines(h, w.all, w.n_all);
    w.n_all = 0; /* taken over */
    if (*out == NULL) {
        st = gp_error(nt->ctx, GP_ERR_GEOMETRY, "noding failed: %s", gp_ctx_engine_error(nt->ctx));
    }
done:
    network_work_free(&w);
    return st;
}

/* Add the polygons of g (clones) to the face list. */
static gp_status add_faces(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *g,
                           GEOSGeometry ***faces, int32_t *n, int32_t *cap, int32_t *added)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            gp_status st = add_faces(ctx, h, GEOSGetGeometryN_r(h, g, i), faces, n, cap, added);
            if (st != GP_OK) {
                return st;
            }
        }
        return GP_OK;
    }
    if (t != GEOS_POLYGON || GEOSisEmpty_r(h, g)) {
        return GP_OK;
    }
    if (*n == *cap) {
        int32_t c = *cap ? *cap * 2 : 64;
        GEOSGeometry **q = gp_reallocarray(*faces, (size_t)c, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(ctx, "faces");
        }
        *faces = q;
        *cap = c;
    }
    (*faces)[*n] = GEOSGeom_clone_r(h, g);
    if ((*faces)[*n] == NULL) {
        return gp_error_nomem(ctx, "faces");
    }
    (*n)++;
    (*added)++;
    return GP_OK;
}

/* *out = the union of polygons g[idx[i]] (g[i] when idx is NULL), i < n. */
static gp_status union_of(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *g,
                          const int32_t *idx, int32_t n, GEOSGeometry **out)
{
    GEOSGeometry *coll = NULL;
    gp_status st = gp_collect_copies(ctx, h, g, idx, n, &coll);
    if (st != GP_OK) {
        *out = NULL;
        return st;
    }
    *out = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return *out
               ? GP_OK
               : gp_error(ctx, GP_ERR_GEOMETRY, "cannot unite faces: %s", gp_ctx_engine_error(ctx));
}

/*
 * Width of each face for the sliver rule, as gp_merge_slivers wants it: a lower bound of the
 * diameter of its largest inscribed circle that is >= min_width when such a circle fits. Its
 * mean width 2A/P is a lower bound (every point of a face lies within the inscribed radius of
 * its boundary, so A <= r P); only a face narrower than `min_width` on that measure is tested
 * with gp_circle_fits (an erosion, whose work does not grow with the face's size), and gets
 * min_width when the circle fits.
 */
static gp_status face_widths(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *faces,
                             int32_t n_faces, const double *area, const double *perimeter,
                             double min_width, double *width)
{
    for (int32_t f = 0; f < n_faces; f++) {
        width[f] = perimeter[f] > 0 ? 2.0 * area[f] / perimeter[f] : 0.0;
        if (width[f] >= min_width) {
            continue;
        }
        int fits = 0;
        gp_status st = gp_circle_fits(ctx, h, faces[f], min_width, &fits);
        if (st != GP_OK) {
            return st;
        }
        if (fits) {
            width[f] = min_width;
        }
    }
    return GP_OK;
}

/*
 * Islands to merge: force[f] = 1 for a face that shares its whole boundary with one other face,
 * is smaller than island_area and holds no household of community c.
 */
static gp_status find_islands(gp_context *ctx, GEOSContextHandle_t h, const gp_dataset *ds,
                              int32_t c, GEOSGeometry *const *faces, int32_t n_faces,
                              const double *area, const double *perimeter,
                              const gp_shared_seg *segs, int64_t n_segs, double island_area,
                              uint8_t *force)
{
    gp_status st = GP_OK;
    int32_t *nb = gp_malloc(((size_t)n_faces + 1) * sizeof *nb);
    double *shared = gp_calloc((size_t)n_faces + 1, sizeof *shared);
    if (nb == NULL || shared == NULL) {
        st = gp_error_nomem(ctx, "islands");
        goto done;
    }
    memset(force, 0, (size_t)n_faces);
    for (int32_t f = 0; f < n_faces; f++) {
        nb[f] = -1; /* -1: no neighbour yet, -2: several */
    }
    for (int64_t i = 0; i < n_segs; i++) {
        int32_t ab[2] = {segs[i].a, segs[i].b};
        for (int k = 0; k < 2; k++) {
            int32_t f = ab[k], o = ab[1 - k];
            shared[f] += segs[i].length;
            nb[f] = nb[f] == -1 || nb[f] == o ? o : -2;
        }
    }
    int32_t h0 = ds->hh_start[c], h1 = ds->hh_start[c + 1];
    for (int32_t f = 0; f < n_faces && st == GP_OK; f++) {
        if (nb[f] < 0 || area[f] >= island_area || shared[f] < perimeter[f] * (1 - 1e-9)) {
            continue;
        }
        const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, faces[f]);
        if (prep == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot prepare a face: %s",
                          gp_ctx_engine_error(ctx));
            break;
        }
        int inhabited = 0;
        for (int32_t k = h0; k < h1 && !inhabited; k++) {
            int64_t hh = ds->hh_list[k];
            if (ds->hh_count[hh] <= 0) {
                continue;
            }
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, ds->hh_x[hh], ds->hh_y[hh]);
            if (pt == NULL) {
                st = gp_error_nomem(ctx, "a point");
                break;
            }
            inhabited = GEOSPreparedIntersects_r(h, prep, pt) == 1;
            GEOSGeom_destroy_r(h, pt);
        }
        GEOSPreparedGeom_destroy_r(h, prep);
        force[f] = !inhabited;
    }
done:
    gp_free(nb);
    gp_free(shared);
    return st;
}

/* Between steps of gp_community_blocks: GP_ERR_CANCELED once the run is canceled or out of
 * time (the caller's progress callback says so; GEOS calls are interrupted, gp_geos_watch). */
static gp_status go_on(gp_context *ctx)
{
    return gp_progress(ctx, 0.0, "blocks");
}

/* The community as read from its WKB, its border, the community shrunk by the snapping
 * tolerance (inner: step 3 drops the edges outside it) and grown by CLIP_MARGIN (outer: step 1
 * clips to it), each with its prepared form. */
typedef struct community_shape {
    GEOSGeometry *comm, *border, *inner, *outer;
    const GEOSPreparedGeometry *comm_prep, *border_prep, *inner_prep, *outer_prep;
} community_shape;

/* Per-face arrays of steps 5 and 6, n_faces + 1 each, allocated together. */
typedef struct face_table {
    double *area, *perimeter, *width;
    uint8_t *force;    /* islands to merge */
    int32_t *group;    /* merged faces (gp_uf_find) */
    int32_t *block_of; /* block of each face */
    int32_t *members;  /* faces by block (see group_blocks) */
} face_table;

/* What the steps of gp_community_blocks share; community_work_free frees it, not b. */
typedef struct community_work {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_dataset *ds;
    int32_t c;
    const char *cid; /* the community's id, for messages */
    gp_blocks *b;    /* the result, filled step by step */
    GEOSWKBReader *rd;
    community_shape shape;
    net nt;               /* street, barrier and border pieces, then joins (steps 1-3) */
    GEOSGeometry *noded;  /* the noded network (step 3) */
    GEOSGeometry *polys;  /* its polygonization (step 4) */
    GEOSGeometry **faces; /* faces inside the community, then leftovers (step 4) */
    int32_t n_faces, cap_faces;
    gp_shared_seg *segs; /* borders shared by faces (step 5) */
    int64_t n_segs;
    face_table ft;
} community_work;

static void community_work_free(community_work *w)
{
    GEOSContextHandle_t h = w->h;
    face_table *ft = &w->ft;
    free_pieces(&w->nt);
    gp_free(w->segs);
    void *arrays[] = {ft->area,  ft->perimeter, ft->width,  ft->force,
                      ft->group, ft->block_of,  ft->members};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    destroy_all(h, w->faces, w->n_faces);
    const community_shape *s = &w->shape;
    const GEOSPreparedGeometry *ps[] = {s->inner_prep, s->outer_prep, s->comm_prep, s->border_prep};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        if (ps[i] != NULL) {
            GEOSPreparedGeom_destroy_r(h, ps[i]);
        }
    }
    GEOSGeometry *gs[] = {s->comm, s->border, s->inner, s->outer, w->noded, w->polys};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        if (gs[i] != NULL) {
            GEOSGeom_destroy_r(h, gs[i]);
        }
    }
    if (w->rd != NULL) {
        GEOSWKBReader_destroy_r(h, w->rd);
    }
}

/* The empty result, the WKB reader, and the community's shape and area. */
static gp_status prepare_community(community_work *w, double tol)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    community_shape *s = &w->shape;
    w->b = gp_calloc(1, sizeof *w->b);
    w->rd = GEOSWKBReader_create_r(h);
    if (w->b == NULL || w->rd == NULL) {
        return gp_error_nomem(ctx, "blocks");
    }
    gp_blocks *b = w->b;
    b->community = w->c;
    b->h = h;
    b->symdiff_area = -1;
    const gp_wkb *wkb = &w->ds->community_wkb[w->c];
    s->comm = GEOSWKBReader_read_r(h, w->rd, wkb->data, wkb->size);
    GEOSGeometry *comm = s->comm;
    s->border = comm ? GEOSBoundary_r(h, comm) : NULL;
    s->inner = comm ? (tol > 0 ? GEOSBuffer_r(h, comm, -tol, 8) : GEOSGeom_clone_r(h, comm)) : NULL;
    s->outer = comm ? GEOSBuffer_r(h, comm, CLIP_MARGIN, 8) : NULL;
    s->inner_prep = s->inner ? GEOSPrepare_r(h, s->inner) : NULL;
    s->outer_prep = s->outer ? GEOSPrepare_r(h, s->outer) : NULL;
    s->comm_prep = comm ? GEOSPrepare_r(h, comm) : NULL;
    s->border_prep = s->border ? GEOSPrepare_r(h, s->border) : NULL;
    if (comm == NULL || s->border == NULL || s->inner == NULL || s->inner_prep == NULL ||
        s->outer == NULL || s->outer_prep == NULL || s->comm_prep == NULL ||
        s->border_prep == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': cannot prepare its geometry: %s",
                        w->cid, gp_ctx_engine_error(ctx));
    }
    b->community_area = 0;
    GEOSArea_r(h, comm, &b->community_area);
    return GP_OK;
}

/* Steps 1-3: the community's streets, barriers and border as pieces, clipped, their free ends
 * snapped, then (after a progress check) noded into w->noded without the border strips. A
 * failure, the progress check's included, names the community. */
static gp_status street_network(community_work *w, double tol)
{
    gp_context *ctx = w->ctx;
    const gp_dataset *ds = w->ds;
    const community_shape *s = &w->shape;
    int32_t c = w->c;
    net *nt = &w->nt;
    /* 1. Clip. */
    int32_t s0 = ds->street_start[c], s1 = ds->street_start[c + 1];
    gp_status st = clip_lines(nt, w->rd, ds->street_wkb, ds->street_list + s0, s1 - s0,
                              ds->street_class, 0, s->outer, s->outer_prep);
    if (st == GP_OK && ds->n_barriers > 0) {
        int32_t b0 = ds->barrier_start[c], b1 = ds->barrier_start[c + 1];
        st = clip_lines(nt, w->rd, ds->barrier_wkb, ds->barrier_list + b0, b1 - b0, NULL, 1,
                        s->outer, s->outer_prep);
    }
    if (st == GP_OK) {
        st = add_piece(nt, s->border, GP_CLASS_NONE, 2);
    }
    /* 2. Snap ends. */
    if (st == GP_OK && tol > 0) {
        int32_t snapped = 0;
        st = snap_ends(nt, s->comm_prep, s->border_prep, tol, &snapped);
    }
    /* 3-4. Drop border strips, node (inner_faces polygonizes). */
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = build_network(nt, s->comm_prep, s->inner_prep, s->border_prep, tol, &w->noded,
                           &w->b->n_border_edges);
        w->b->n_joins = nt->jn.n;
    }
    if (st != GP_OK) {
        gp_error_prefix(ctx, "community '%s'", w->cid);
    }
    return st;
}

/* Step 4: polygonize the noded network and keep the faces inside the community. */
static gp_status inner_faces(community_work *w)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    const GEOSGeometry *noded_c = w->noded;
    w->polys = GEOSPolygonize_r(h, &noded_c, 1);
    if (w->polys == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': polygonizing failed: %s", w->cid,
                        gp_ctx_engine_error(ctx));
    }
    for (int i = 0; i < GEOSGetNumGeometries_r(h, w->polys); i++) {
        const GEOSGeometry *f = GEOSGetGeometryN_r(h, w->polys, i);
        GEOSGeometry *pt = GEOSPointOnSurface_r(h, f);
        int inside = pt ? GEOSPreparedContains_r(h, w->shape.comm_prep, pt) : 0;
        if (pt != NULL) {
            GEOSGeom_destroy_r(h, pt);
        }
        if (inside == 1) {
            int32_t added = 0;
            gp_status st = add_faces(ctx, h, f, &w->faces, &w->n_faces, &w->cap_faces, &added);
            if (st != GP_OK) {
                return st;
            }
        }
    }
    return GP_OK;
}

/* Whatever the faces miss (normally nothing) becomes extra faces, merged like slivers. */
static gp_status cover_rest(community_work *w)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    gp_blocks *b = w->b;
    double sum = 0;
    for (int32_t f = 0; f < w->n_faces; f++) {
        double a = 0;
        GEOSArea_r(h, w->faces[f], &a);
        sum += a;
    }
    if (!(fabs(sum - b->community_area) > 1e-9 * b->community_area || w->n_faces == 0)) {
        return GP_OK;
    }
    GEOSGeometry *u = NULL;
    gp_status st = w->n_faces ? union_of(ctx, h, w->faces, NULL, w->n_faces, &u) : GP_OK;
    if (st != GP_OK) {
        gp_error_prefix(ctx, "community '%s'", w->cid);
        return st;
    }
    GEOSGeometry *comm = w->shape.comm;
    GEOSGeometry *rest = u ? GEOSDifference_r(h, comm, u) : GEOSGeom_clone_r(h, comm);
    if (u != NULL) {
        GEOSGeom_destroy_r(h, u);
    }
    if (rest == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY,
                        "community '%s': cannot find uncovered "
                        "parts: %s",
                        w->cid, gp_ctx_engine_error(ctx));
    }
    st = add_faces(ctx, h, rest, &w->faces, &w->n_faces, &w->cap_faces, &b->n_leftovers);
    GEOSGeom_destroy_r(h, rest);
    return st;
}

/* Near-coincident vertices (inputs met from different CRSs) become one, in every face. */
static gp_status weld_faces(community_work *w)
{
    gp_status st = gp_faces_weld(w->ctx, w->h, w->faces, &w->n_faces, WELD_EPS, &w->b->n_welded);
    if (st != GP_OK) {
        gp_error_prefix(w->ctx, "community '%s'", w->cid);
        return st;
    }
    w->b->n_faces = w->n_faces;
    return GP_OK;
}

/* Step 5 (after adjacency): every face's area, perimeter and width, the islands, and the
 * merging of slivers into w->ft.group. */
static gp_status merge_slivers(community_work *w, const gp_options *opts,
                               const gp_blocks_params *params)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    face_table *ft = &w->ft;
    int32_t n_faces = w->n_faces;
    double tol = opts->snap_tolerance;
    double min_width = params != NULL && params->sliver_width != 0 ? params->sliver_width : tol;
    double island_area =
        params != NULL && params->island_area != 0 ? params->island_area : GP_ISLAND_AREA;
    ft->area = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->area);
    ft->perimeter = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->perimeter);
    ft->width = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->width);
    ft->force = gp_calloc((size_t)n_faces + 1, 1);
    ft->group = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->group);
    ft->block_of = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->block_of);
    ft->members = gp_malloc(((size_t)n_faces + 1) * sizeof *ft->members);
    if (ft->area == NULL || ft->perimeter == NULL || ft->width == NULL || ft->force == NULL ||
        ft->group == NULL || ft->block_of == NULL || ft->members == NULL) {
        return gp_error_nomem(ctx, "faces");
    }
    for (int32_t f = 0; f < n_faces; f++) {
        ft->area[f] = ft->perimeter[f] = 0;
        GEOSArea_r(h, w->faces[f], &ft->area[f]);
        GEOSLength_r(h, w->faces[f], &ft->perimeter[f]);
        ft->group[f] = f;
    }
    gp_status st =
        face_widths(ctx, h, w->faces, n_faces, ft->area, ft->perimeter, min_width, ft->width);
    if (st == GP_OK && island_area > 0) {
        st = find_islands(ctx, h, w->ds, w->c, w->faces, n_faces, ft->area, ft->perimeter, w->segs,
                          w->n_segs, island_area, ft->force);
    }
    if (st == GP_OK) {
        gp_sliver_rule rule = {opts->sliver_area, min_width};
        st = gp_merge_slivers(ctx, n_faces, ft->area, ft->perimeter, ft->width, ft->force, w->segs,
                              w->n_segs, &rule, ft->group, &w->b->n_slivers);
    }
    if (st != GP_OK) {
        gp_error_prefix(ctx, "community '%s'", w->cid);
        return st;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        w->b->n_islands += ft->force[f];
    }
    return GP_OK;
}

/* The blocks: each group of merged faces, numbered, with its union, area and perimeter. */
static gp_status group_blocks(community_work *w)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    gp_blocks *b = w->b;
    int32_t n_faces = w->n_faces;
    int32_t *group = w->ft.group, *block_of = w->ft.block_of, *members = w->ft.members;
    gp_status st = GP_OK;
    int32_t *start = NULL;
    /* Blocks are numbered by their lowest face: deterministic for a given input. */
    int32_t nb = 0;
    for (int32_t f = 0; f < n_faces; f++) {
        block_of[f] = gp_uf_find(group, f) == f ? nb++ : -1;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        block_of[f] = block_of[gp_uf_find(group, f)];
    }
    b->n = nb;
    b->geom = gp_calloc((size_t)nb + 1, sizeof *b->geom);
    b->area = gp_calloc((size_t)nb + 1, sizeof *b->area);
    b->perimeter = gp_calloc((size_t)nb + 1, sizeof *b->perimeter);
    if (b->geom == NULL || b->area == NULL || b->perimeter == NULL) {
        st = gp_error_nomem(ctx, "blocks");
        goto done;
    }
    /* Block k's faces in face order: members[start[k] .. start[k + 1]) (a counting sort). */
    start = gp_calloc((size_t)nb + 2, sizeof *start);
    if (start == NULL) {
        st = gp_error_nomem(ctx, "blocks");
        goto done;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        start[block_of[f] + 2]++;
    }
    for (int32_t k = 0; k < nb; k++) {
        start[k + 2] += start[k + 1];
    }
    for (int32_t f = 0; f < n_faces; f++) {
        members[start[block_of[f] + 1]++] = f;
    }
    for (int32_t k = 0; k < nb; k++) {
        const int32_t *own = members + start[k];
        int32_t m = start[k + 1] - start[k];
        if (m == 1) {
            b->geom[k] = GEOSGeom_clone_r(h, w->faces[own[0]]);
            st = b->geom[k] ? GP_OK
                            : gp_error(ctx, GP_ERR_GEOMETRY, "cannot copy a face: %s",
                                       gp_ctx_engine_error(ctx));
        } else {
            st = union_of(ctx, h, w->faces, own, m, &b->geom[k]);
        }
        if (st != GP_OK) {
            gp_error_prefix(ctx, "community '%s'", w->cid);
            goto done;
        }
        GEOSArea_r(h, b->geom[k], &b->area[k]);
        GEOSLength_r(h, b->geom[k], &b->perimeter[k]);
    }
done:
    gp_free(start);
    return st;
}

/* The tiling invariant: blocks cover the community exactly, without overlap. */
static gp_status check_tiling(community_work *w, const gp_blocks_params *params)
{
    gp_context *ctx = w->ctx;
    GEOSContextHandle_t h = w->h;
    gp_blocks *b = w->b;
    double sum = 0;
    for (int32_t k = 0; k < b->n; k++) {
        sum += b->area[k];
    }
    b->area_error = fabs(sum - b->community_area);
    if (params != NULL && params->verify_symdiff) {
        GEOSGeometry *u = NULL;
        gp_status st = union_of(ctx, h, b->geom, NULL, b->n, &u);
        if (st != GP_OK) {
            gp_error_prefix(ctx, "community '%s'", w->cid);
            return st;
        }
        GEOSGeometry *x = GEOSSymDifference_r(h, u, w->shape.comm);
        b->symdiff_area = 0;
        if (x == NULL || !GEOSArea_r(h, x, &b->symdiff_area)) {
            b->symdiff_area = INFINITY;
        }
        if (u != NULL) {
            GEOSGeom_destroy_r(h, u);
        }
        if (x != NULL) {
            GEOSGeom_destroy_r(h, x);
        }
    }
    if (b->area_error > 1e-6 * b->community_area || (b->symdiff_area > 1e-6 * b->community_area)) {
        return gp_error(ctx, GP_ERR_INTERNAL,
                        "community '%s': blocks do not tile it (area %.3f "
                        "m^2 vs %.3f m^2, symmetric difference %.3f m^2)",
                        w->cid, sum, b->community_area, b->symdiff_area);
    }
    return GP_OK;
}

/* The block graph, the households and extra loads in the blocks, and the time of each part
 * (the blocks' since t0). */
static gp_status graph_and_households(community_work *w, double t0)
{
    gp_context *ctx = w->ctx;
    gp_blocks *b = w->b;
    double t1 = now();
    b->seconds_blocks = t1 - t0;
    gp_status st = gp_block_graph(ctx, w->ds, b, w->segs, w->n_segs, w->ft.block_of);
    double t2 = now();
    b->seconds_graph = t2 - t1;
    if (st == GP_OK) {
        st = gp_blocks_place_households(ctx, w->ds, b);
    }
    if (st == GP_OK) {
        st = gp_blocks_place_loads(ctx, w->ds, b);
    }
    b->seconds_households = now() - t2;
    if (st == GP_OK && b->n_slivers + b->n_leftovers > 0) {
        gp_log(ctx, GP_LOG_DEBUG,
               "community '%s': %d faces, %d slivers merged, %d leftovers, "
               "%d blocks",
               w->cid, w->n_faces, b->n_slivers, b->n_leftovers, b->n);
    }
    return st;
}

/* The steps in order, with a progress check (go_on) between them; the first failure ends it. */
gp_status gp_community_blocks(gp_context *ctx, const gp_dataset *ds, int32_t c,
                              const gp_options *opts, const gp_blocks_params *params,
                              gp_blocks **out)
{
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_community_blocks: out is NULL");
    }
    *out = NULL;
    if (ds == NULL || opts == NULL || c < 0 || c >= ds->n_communities) {
        return gp_error(ctx, GP_ERR_ARG, "gp_community_blocks: bad community %d", c);
    }
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return GP_ERR_NOMEM;
    }
    double t0 = now();
    double tol = opts->snap_tolerance;
    community_work w = {.ctx = ctx,
                        .h = h,
                        .ds = ds,
                        .c = c,
                        .cid = ds->community_id[c],
                        .nt = {.ctx = ctx, .h = h}};
    gp_status st = prepare_community(&w, tol);
    if (st == GP_OK) {
        st = street_network(&w, tol);
    }
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = inner_faces(&w);
    }
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = cover_rest(&w);
    }
    if (st == GP_OK) {
        st = weld_faces(&w);
    }
    /* 5. Adjacency of faces and sliver merging. */
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = gp_faces_shared_segments(ctx, ds, w.faces, w.n_faces, w.nt.p, w.nt.n, &w.segs,
                                      &w.n_segs);
    }
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = merge_slivers(&w, opts, params);
    }
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = group_blocks(&w);
    }
    if (st == GP_OK && (st = go_on(ctx)) == GP_OK) {
        st = check_tiling(&w, params);
    }
    if (st == GP_OK) {
        st = graph_and_households(&w, t0);
    }
    community_work_free(&w);
    if (st != GP_OK) {
        gp_blocks_free(w.b);
        w.b = NULL;
    }
    *out = w.b;
    return st;
}

void gp_blocks_free(gp_blocks *b)
{
    if (b == NULL) {
        return;
    }
    destroy_all(b->h, b->geom, b->n);
    void *arrays[] = {b->area,         b->perimeter,  b->households, b->hh_start,
                      b->hh_list,      b->xadj,       b->adjncy,     b->border_length,
                      b->edge_class,   b->edge_cost,  b->workload,   b->load_start,
                      b->load_list};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    gp_free(b);
}
