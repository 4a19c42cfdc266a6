/* SPDX-License-Identifier: MIT */
/**
 * @file blocks.c Street blocks of a community: clip, snap, node, polygonize, merge slivers.
 *
 * The method (cf. PostGIS ST_Polygonize / GEOS Polygonizer on a noded network, with
 * endpoint snapping as in GRASS v.clean "snap" and "rmdangle"):
 * 1. Streets and barriers are clipped to the community shrunk by the tolerance, so lines that
 *    run along the border (on it, beside it, just outside) vanish and lines that cross it end
 *    one tolerance inside.
 * 2. Line ends closer than 1.5 tolerances are clustered (single linkage) and moved to their
 *    centroid: a junction whose noisy ends missed each other becomes one node.
 * 3. A remaining free end within the tolerance of another line (1.5 tolerances of the border)
 *    is extended to its nearest point there and a centimetre beyond, so that noding surely
 *    creates the junction; the centimetre overshoot is a dangle that polygonization drops.
 * 4. Lines and the community border are noded (unary union) and polygonized; faces inside
 *    the community are kept; any uncovered rest becomes extra faces.
 * 5. Slivers merge into the neighbour sharing the longest border (adjacency.c).
 */

#include "blocks.h"
#include "hits.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct net {
    gp_context *ctx;
    GEOSContextHandle_t h;
    gp_piece *p;
    int32_t n, cap;
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

static void free_pieces(net *nt)
{
    for (int32_t i = 0; i < nt->n; i++) {
        gp_free(nt->p[i].xy);
    }
    gp_free(nt->p);
    nt->p = NULL;
    nt->n = nt->cap = 0;
}

/* Clip the dataset lines listed for community c to `inner` and add them as pieces. */
static gp_status clip_lines(net *nt, GEOSWKBReader *rd, const gp_wkb *wkb, const int32_t *list,
                            int32_t n_list, const int32_t *cls, int32_t kind,
                            const GEOSGeometry *inner, const GEOSPreparedGeometry *inner_prep)
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
        if (GEOSPreparedContains_r(h, inner_prep, g) == 1) {
            st = add_piece(nt, g, c, kind);
        } else if (GEOSPreparedIntersects_r(h, inner_prep, g) == 1) {
            GEOSGeometry *x = GEOSIntersection_r(h, g, inner);
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

static int32_t find(int32_t *parent, int32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Kinds of line ends. */
enum { END_NONE = 0, END_JOINED = 1, END_FREE = 2 };

/* Step 2: cluster line ends within `radius` and move them to the cluster centroid.
 * free_end[2 * piece + end] says whether the end joined others, is free, or is no end. */
static gp_status cluster_ends(net *nt, double radius, uint8_t *free_end)
{
    gp_status st = GP_OK;
    size_t n = 0;
    endpt *e = gp_malloc(2 * ((size_t)nt->n + 1) * sizeof *e);
    int32_t *parent = gp_malloc(2 * ((size_t)nt->n + 1) * sizeof *parent);
    double *sx = gp_calloc(2 * ((size_t)nt->n + 1), sizeof *sx);
    double *sy = gp_calloc(2 * ((size_t)nt->n + 1), sizeof *sy);
    int32_t *cnt = gp_calloc(2 * ((size_t)nt->n + 1), sizeof *cnt);
    uint8_t *mixed = gp_calloc(2 * ((size_t)nt->n + 1), 1);
    if (e == NULL || parent == NULL || sx == NULL || sy == NULL || cnt == NULL || mixed == NULL) {
        st = gp_error_nomem(nt->ctx, "line ends");
        goto done;
    }
    memset(free_end, END_NONE, 2 * (size_t)nt->n);
    for (int32_t i = 0; i < nt->n; i++) {
        const gp_piece *p = &nt->p[i];
        if (p->kind == 2) {
            continue;
        }
        double *a = p->xy, *b = p->xy + 2 * (p->n - 1);
        if (a[0] == b[0] && a[1] == b[1]) {
            continue; /* a closed ring has no end */
        }
        free_end[2 * i] = free_end[2 * i + 1] = END_JOINED;
        endpt ea = {a[0], a[1], i, 0}, eb = {b[0], b[1], i, 1};
        e[n++] = ea;
        e[n++] = eb;
    }
    if (n > 1) {
        qsort(e, n, sizeof *e, cmp_endpt);
    }
    for (size_t i = 0; i < n; i++) {
        parent[i] = (int32_t)i;
    }
    double r2 = radius * radius;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n && e[j].x - e[i].x <= radius; j++) {
            double dx = e[j].x - e[i].x, dy = e[j].y - e[i].y;
            if (dx * dx + dy * dy <= r2) {
                int32_t a = find(parent, (int32_t)i), b = find(parent, (int32_t)j);
                if (a != b) {
                    parent[a < b ? b : a] = a < b ? a : b;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        int32_t r = find(parent, (int32_t)i);
        sx[r] += e[i].x;
        sy[r] += e[i].y;
        cnt[r]++;
        /* The root is the member with the lowest index, so e[r] is one of its ends. */
        if (e[i].x != e[r].x || e[i].y != e[r].y) {
            mixed[r] = 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int32_t r = find(parent, (int32_t)i);
        gp_piece *p = &nt->p[e[i].piece];
        if (cnt[r] < 2) {
            free_end[2 * e[i].piece + e[i].end] = END_FREE;
            continue;
        }
        /* Ends that already coincide keep their exact coordinates (clean data stays exact). */
        if (mixed[r]) {
            double *v = e[i].end == 0 ? p->xy : p->xy + 2 * (p->n - 1);
            v[0] = sx[r] / cnt[r];
            v[1] = sy[r] / cnt[r];
        }
    }
done:
    gp_free(e);
    gp_free(parent);
    gp_free(sx);
    gp_free(sy);
    gp_free(cnt);
    gp_free(mixed);
    return st;
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

/*
 * Step 3: extend free ends to the nearest other line (within tol) or border (within 1.5 tol).
 * Joined ends (junctions) go to the border too when near it: clipping cut every line one
 * tolerance inside, so a junction that lay on the border now lies just inside it. All ends
 * of a junction have the same coordinates, hence the same target.
 */
static gp_status extend_ends(net *nt, const uint8_t *free_end, double tol, int32_t *n_snapped)
{
    gp_status st = GP_OK;
    GEOSContextHandle_t h = nt->h;
    int32_t n = nt->n;
    GEOSGeometry **env = gp_calloc((size_t)n + 1, sizeof *env);
    double(*ext)[4] = gp_malloc(2 * ((size_t)n + 1) * sizeof *ext);
    uint8_t *has_ext = gp_calloc(2 * ((size_t)n + 1), 1);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    gp_hits hs = {0};
    const double overshoot = 0.01;
    double border_tol = 1.5 * tol;
    *n_snapped = 0;
    if (env == NULL || ext == NULL || has_ext == NULL || tree == NULL) {
        st = gp_error_nomem(nt->ctx, "end snapping");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        double x0, y0, x1, y1;
        piece_bbox(&nt->p[i], &x0, &y0, &x1, &y1);
        env[i] = GEOSGeom_createRectangle_r(h, x0, y0, x1, y1);
        if (env[i] == NULL) {
            st = gp_error_nomem(nt->ctx, "end snapping");
            goto done;
        }
        GEOSSTRtree_insert_r(h, tree, env[i], (void *)(intptr_t)i);
    }
    /* Targets are found on the unextended network, then all extensions are applied, so the
     * result does not depend on the order of the pieces. */
    for (int32_t i = 0; i < n; i++) {
        for (int end = 0; end < 2; end++) {
            if (free_end[2 * i + end] == END_NONE) {
                continue;
            }
            int border_only = free_end[2 * i + end] == END_JOINED;
            const gp_piece *p = &nt->p[i];
            const double *v = end == 0 ? p->xy : p->xy + 2 * (p->n - 1);
            const double *w = end == 0 ? p->xy + 2 : p->xy + 2 * (p->n - 2);
            double ex = v[0], ey = v[1];
            GEOSGeometry *q = GEOSGeom_createRectangle_r(h, ex - border_tol, ey - border_tol,
                                                         ex + border_tol, ey + border_tol);
            if (q == NULL) {
                st = gp_error_nomem(nt->ctx, "end snapping");
                goto done;
            }
            hs.n = 0;
            GEOSSTRtree_query_r(h, tree, q, gp_hits_collect, &hs);
            GEOSGeom_destroy_r(h, q);
            if (hs.failed) {
                st = gp_error_nomem(nt->ctx, "end snapping");
                goto done;
            }
            double best = INFINITY, bx = 0, by = 0;
            for (size_t k = 0; k < hs.n; k++) {
                const gp_piece *t = &nt->p[hs.v[k]];
                if (hs.v[k] == i || (border_only && t->kind != 2)) {
                    continue;
                }
                double lim = t->kind == 2 ? border_tol : tol;
                for (int32_t j = 0; j + 1 < t->n; j++) {
                    double ax = t->xy[2 * j], ay = t->xy[2 * j + 1];
                    double dx = t->xy[2 * j + 2] - ax, dy = t->xy[2 * j + 3] - ay;
                    double len2 = dx * dx + dy * dy;
                    double s = len2 > 0 ? ((ex - ax) * dx + (ey - ay) * dy) / len2 : 0.0;
                    s = s < 0 ? 0 : (s > 1 ? 1 : s);
                    double px = ax + s * dx, py = ay + s * dy;
                    double d = hypot(px - ex, py - ey);
                    if (d <= lim && d < best) {
                        best = d;
                        /* Snap to the vertex itself when the projection lands on one, so the
                         * noder sees identical coordinates. */
                        bx = s == 0 ? ax : (s == 1 ? t->xy[2 * j + 2] : px);
                        by = s == 0 ? ay : (s == 1 ? t->xy[2 * j + 3] : py);
                    }
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
            double *x = ext[2 * i + end];
            x[0] = bx;
            x[1] = by;
            x[2] = bx + overshoot * ux;
            x[3] = by + overshoot * uy;
            has_ext[2 * i + end] = 1;
            (*n_snapped)++;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        gp_piece *p = &nt->p[i];
        if (has_ext[2 * i]) {
            memmove(p->xy + 4, p->xy, 2 * (size_t)p->n * sizeof *p->xy);
            p->xy[0] = ext[2 * i][2];
            p->xy[1] = ext[2 * i][3];
            p->xy[2] = ext[2 * i][0];
            p->xy[3] = ext[2 * i][1];
            p->n += 2;
        }
        if (has_ext[2 * i + 1]) {
            double *t = p->xy + 2 * p->n;
            t[0] = ext[2 * i + 1][0];
            t[1] = ext[2 * i + 1][1];
            t[2] = ext[2 * i + 1][2];
            t[3] = ext[2 * i + 1][3];
            p->n += 2;
        }
    }
done:
    if (tree != NULL) {
        GEOSSTRtree_destroy_r(h, tree);
    }
    for (int32_t i = 0; env != NULL && i < n; i++) {
        if (env[i] != NULL) {
            GEOSGeom_destroy_r(h, env[i]);
        }
    }
    gp_free(env);
    gp_free(ext);
    gp_free(has_ext);
    gp_free(hs.v);
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

/* Union of polygons (cloned), or NULL on failure. */
static GEOSGeometry *union_of(GEOSContextHandle_t h, GEOSGeometry *const *g, const int32_t *idx,
                              int32_t n)
{
    GEOSGeometry **parts = gp_malloc(((size_t)n + 1) * sizeof *parts);
    if (parts == NULL) {
        return NULL;
    }
    for (int32_t i = 0; i < n; i++) {
        parts[i] = GEOSGeom_clone_r(h, g[idx ? idx[i] : i]);
    }
    GEOSGeometry *coll =
        GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    gp_free(parts);
    if (coll == NULL) {
        return NULL;
    }
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return u;
}

gp_status gp_community_blocks(gp_context *ctx, const gp_dataset *ds, int32_t c,
                              const gp_options *opts, const gp_blocks_params *params,
                              gp_blocks **out)
{
    gp_status st = GP_OK;
    GEOSContextHandle_t h = NULL;
    GEOSWKBReader *rd = NULL;
    GEOSGeometry *comm = NULL, *border = NULL, *inner = NULL, *network = NULL, *noded = NULL;
    GEOSGeometry *polys = NULL, **lines = NULL, **faces = NULL;
    const GEOSPreparedGeometry *inner_prep = NULL, *comm_prep = NULL;
    int32_t n_lines = 0, n_faces = 0, cap_faces = 0;
    uint8_t *free_end = NULL;
    gp_shared_seg *segs = NULL;
    int64_t n_segs = 0;
    double *farea = NULL, *fper = NULL;
    int32_t *group = NULL, *block_of = NULL, *members = NULL;
    gp_blocks *b = NULL;
    net nt = {0};
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_community_blocks: out is NULL");
    }
    *out = NULL;
    if (ds == NULL || opts == NULL || c < 0 || c >= ds->n_communities) {
        return gp_error(ctx, GP_ERR_ARG, "gp_community_blocks: bad community %d", c);
    }
    h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return GP_ERR_NOMEM;
    }
    double t0 = now();
    double tol = opts->snap_tolerance;
    const char *cid = ds->community_id[c];
    nt.ctx = ctx;
    nt.h = h;
    b = gp_calloc(1, sizeof *b);
    rd = GEOSWKBReader_create_r(h);
    if (b == NULL || rd == NULL) {
        st = gp_error_nomem(ctx, "blocks");
        goto done;
    }
    b->community = c;
    b->h = h;
    b->symdiff_area = -1;
    comm = GEOSWKBReader_read_r(h, rd, ds->community_wkb[c].data, ds->community_wkb[c].size);
    border = comm ? GEOSBoundary_r(h, comm) : NULL;
    inner = comm ? (tol > 0 ? GEOSBuffer_r(h, comm, -tol, 8) : GEOSGeom_clone_r(h, comm)) : NULL;
    inner_prep = inner ? GEOSPrepare_r(h, inner) : NULL;
    comm_prep = comm ? GEOSPrepare_r(h, comm) : NULL;
    if (comm == NULL || border == NULL || inner == NULL || inner_prep == NULL ||
        comm_prep == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': cannot prepare its geometry: %s", cid,
                      gp_ctx_engine_error(ctx));
        goto done;
    }
    b->community_area = 0;
    GEOSArea_r(h, comm, &b->community_area);
    /* 1. Clip. */
    int32_t s0 = ds->street_start[c], s1 = ds->street_start[c + 1];
    st = clip_lines(&nt, rd, ds->street_wkb, ds->street_list + s0, s1 - s0, ds->street_class, 0,
                    inner, inner_prep);
    if (st == GP_OK && ds->n_barriers > 0) {
        int32_t b0 = ds->barrier_start[c], b1 = ds->barrier_start[c + 1];
        st = clip_lines(&nt, rd, ds->barrier_wkb, ds->barrier_list + b0, b1 - b0, NULL, 1, inner,
                        inner_prep);
    }
    if (st == GP_OK) {
        st = add_piece(&nt, border, GP_CLASS_NONE, 2);
    }
    if (st != GP_OK) {
        goto done;
    }
    /* 2-3. Snap ends. */
    free_end = gp_malloc(2 * ((size_t)nt.n + 1));
    if (free_end == NULL) {
        st = gp_error_nomem(ctx, "line ends");
        goto done;
    }
    if (tol > 0) {
        int32_t snapped = 0;
        st = cluster_ends(&nt, 1.5 * tol, free_end);
        if (st == GP_OK) {
            st = extend_ends(&nt, free_end, tol, &snapped);
        }
        if (st != GP_OK) {
            goto done;
        }
    }
    /* 4. Node and polygonize. */
    lines = gp_calloc((size_t)nt.n + 1, sizeof *lines);
    if (lines == NULL) {
        st = gp_error_nomem(ctx, "lines");
        goto done;
    }
    for (int32_t i = 0; i < nt.n; i++) {
        const gp_piece *p = &nt.p[i];
        if (p->n == 2 && p->xy[0] == p->xy[2] && p->xy[1] == p->xy[3]) {
            continue; /* collapsed into a junction */
        }
        lines[n_lines] = piece_line(h, p);
        if (lines[n_lines] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': bad line: %s", cid,
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        n_lines++;
    }
    network = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, lines, (unsigned)n_lines);
    if (network == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': cannot collect lines", cid);
        goto done;
    }
    gp_free(lines); /* the collection took the lines */
    lines = NULL;
    n_lines = 0;
    noded = GEOSUnaryUnion_r(h, network);
    const GEOSGeometry *noded_c = noded;
    polys = noded ? GEOSPolygonize_r(h, &noded_c, 1) : NULL;
    if (polys == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': noding/polygonizing failed: %s", cid,
                      gp_ctx_engine_error(ctx));
        goto done;
    }
    for (int i = 0; i < GEOSGetNumGeometries_r(h, polys); i++) {
        const GEOSGeometry *f = GEOSGetGeometryN_r(h, polys, i);
        GEOSGeometry *pt = GEOSPointOnSurface_r(h, f);
        int inside = pt ? GEOSPreparedContains_r(h, comm_prep, pt) : 0;
        if (pt != NULL) {
            GEOSGeom_destroy_r(h, pt);
        }
        if (inside == 1) {
            int32_t added = 0;
            st = add_faces(ctx, h, f, &faces, &n_faces, &cap_faces, &added);
            if (st != GP_OK) {
                goto done;
            }
        }
    }
    /* Whatever the faces miss (normally nothing) becomes extra faces, merged like slivers. */
    {
        double sum = 0;
        for (int32_t f = 0; f < n_faces; f++) {
            double a = 0;
            GEOSArea_r(h, faces[f], &a);
            sum += a;
        }
        if (fabs(sum - b->community_area) > 1e-9 * b->community_area || n_faces == 0) {
            GEOSGeometry *u = n_faces ? union_of(h, faces, NULL, n_faces) : NULL;
            GEOSGeometry *rest = u ? GEOSDifference_r(h, comm, u) : GEOSGeom_clone_r(h, comm);
            if (u != NULL) {
                GEOSGeom_destroy_r(h, u);
            }
            if (rest == NULL) {
                st = gp_error(ctx, GP_ERR_GEOMETRY,
                              "community '%s': cannot find uncovered "
                              "parts: %s",
                              cid, gp_ctx_engine_error(ctx));
                goto done;
            }
            st = add_faces(ctx, h, rest, &faces, &n_faces, &cap_faces, &b->n_leftovers);
            GEOSGeom_destroy_r(h, rest);
            if (st != GP_OK) {
                goto done;
            }
        }
    }
    b->n_faces = n_faces;
    /* 5. Adjacency of faces and sliver merging. */
    st = gp_faces_shared_segments(ctx, ds, faces, n_faces, nt.p, nt.n, &segs, &n_segs);
    if (st != GP_OK) {
        goto done;
    }
    farea = gp_malloc(((size_t)n_faces + 1) * sizeof *farea);
    fper = gp_malloc(((size_t)n_faces + 1) * sizeof *fper);
    group = gp_malloc(((size_t)n_faces + 1) * sizeof *group);
    block_of = gp_malloc(((size_t)n_faces + 1) * sizeof *block_of);
    members = gp_malloc(((size_t)n_faces + 1) * sizeof *members);
    if (farea == NULL || fper == NULL || group == NULL || block_of == NULL || members == NULL) {
        st = gp_error_nomem(ctx, "faces");
        goto done;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        farea[f] = fper[f] = 0;
        GEOSArea_r(h, faces[f], &farea[f]);
        GEOSLength_r(h, faces[f], &fper[f]);
        group[f] = f;
    }
    st = gp_merge_slivers(ctx, n_faces, farea, fper, segs, n_segs, opts->sliver_area, tol, group,
                          &b->n_slivers);
    if (st != GP_OK) {
        goto done;
    }
    /* Blocks are numbered by their lowest face: deterministic for a given input. */
    int32_t nb = 0;
    for (int32_t f = 0; f < n_faces; f++) {
        block_of[f] = gp_group_find(group, f) == f ? nb++ : -1;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        block_of[f] = block_of[gp_group_find(group, f)];
    }
    b->n = nb;
    b->geom = gp_calloc((size_t)nb + 1, sizeof *b->geom);
    b->area = gp_calloc((size_t)nb + 1, sizeof *b->area);
    b->perimeter = gp_calloc((size_t)nb + 1, sizeof *b->perimeter);
    if (b->geom == NULL || b->area == NULL || b->perimeter == NULL) {
        st = gp_error_nomem(ctx, "blocks");
        goto done;
    }
    for (int32_t k = 0, f0 = 0; k < nb; k++) {
        int32_t m = 0;
        while (block_of[f0] != k) {
            f0++;
        }
        for (int32_t f = f0; f < n_faces; f++) {
            if (block_of[f] == k) {
                members[m++] = f;
            }
        }
        b->geom[k] =
            m == 1 ? GEOSGeom_clone_r(h, faces[members[0]]) : union_of(h, faces, members, m);
        if (b->geom[k] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "community '%s': cannot merge faces: %s", cid,
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        GEOSArea_r(h, b->geom[k], &b->area[k]);
        GEOSLength_r(h, b->geom[k], &b->perimeter[k]);
    }
    /* The tiling invariant: blocks cover the community exactly, without overlap. */
    double sum = 0;
    for (int32_t k = 0; k < nb; k++) {
        sum += b->area[k];
    }
    b->area_error = fabs(sum - b->community_area);
    if (params != NULL && params->verify_symdiff) {
        GEOSGeometry *u = union_of(h, b->geom, NULL, nb);
        GEOSGeometry *x = u ? GEOSSymDifference_r(h, u, comm) : NULL;
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
        st = gp_error(ctx, GP_ERR_INTERNAL,
                      "community '%s': blocks do not tile it (area %.3f "
                      "m^2 vs %.3f m^2, symmetric difference %.3f m^2)",
                      cid, sum, b->community_area, b->symdiff_area);
        goto done;
    }
    double t1 = now();
    b->seconds_blocks = t1 - t0;
    st = gp_block_graph(ctx, ds, b, segs, n_segs, block_of);
    double t2 = now();
    b->seconds_graph = t2 - t1;
    if (st == GP_OK) {
        st = gp_blocks_place_households(ctx, ds, b);
    }
    b->seconds_households = now() - t2;
    if (st == GP_OK && b->n_slivers + b->n_leftovers > 0) {
        gp_log(ctx, GP_LOG_DEBUG,
               "community '%s': %d faces, %d slivers merged, %d leftovers, "
               "%d blocks",
               cid, n_faces, b->n_slivers, b->n_leftovers, nb);
    }
done:
    free_pieces(&nt);
    gp_free(free_end);
    gp_free(segs);
    gp_free(farea);
    gp_free(fper);
    gp_free(group);
    gp_free(block_of);
    gp_free(members);
    destroy_all(h, lines, n_lines);
    destroy_all(h, faces, n_faces);
    if (h != NULL) {
        if (inner_prep != NULL) {
            GEOSPreparedGeom_destroy_r(h, inner_prep);
        }
        if (comm_prep != NULL) {
            GEOSPreparedGeom_destroy_r(h, comm_prep);
        }
        GEOSGeometry *gs[] = {comm, border, inner, network, noded, polys};
        for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
            if (gs[i] != NULL) {
                GEOSGeom_destroy_r(h, gs[i]);
            }
        }
        if (rd != NULL) {
            GEOSWKBReader_destroy_r(h, rd);
        }
    }
    if (st != GP_OK) {
        gp_blocks_free(b);
        b = NULL;
    }
    *out = b;
    return st;
}

void gp_blocks_free(gp_blocks *b)
{
    if (b == NULL) {
        return;
    }
    destroy_all(b->h, b->geom, b->n);
    void *arrays[] = {b->area, b->perimeter, b->households,    b->hh_start,   b->hh_list,
                      b->xadj, b->adjncy,    b->border_length, b->edge_class, b->edge_cost};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        gp_free(arrays[i]);
    }
    gp_free(b);
}
