/* SPDX-License-Identifier: MIT */
/** @file reproject.c Project finished shapes to the output CRS, valid and on the border. */

#include "reproject.h"
#include "hits.h"
#include "planar.h"

#include "core/context.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A vertex this close to a community edge (m, working CRS) lies on it: noded there. */
#define ON_BORDER 1e-6
/* Vertices closer than this to the border are warped with it (project_ring), m; more along an
 * edge whose projection bends a lot (WARP_SAGITTA times its bend), so that the warp stays a
 * small fraction of the distance over which it fades and folds nothing over. */
#define WARP_RADIUS 1.0
#define WARP_SAGITTA 8.0

struct gp_border {
    GEOSContextHandle_t h;
    OGRCoordinateTransformationH ct; /* borrowed; NULL: the same CRS */
    int32_t n;                       /* edges */
    double *work;                    /* 4 per edge: ax ay bx by, working CRS */
    double *out;                     /* the same ends in the output CRS */
    double *radius;                  /* warp radius per edge, m */
    double max_radius;
    GEOSSTRtree *tree; /* edges by bounding box */
    GEOSGeometry **env;
};

/* Project n interleaved points in place. */
static gp_status transform_xy(gp_context *ctx, OGRCoordinateTransformationH ct, double *xy,
                              size_t n)
{
    if (ct == NULL || n == 0) {
        return GP_OK;
    }
    double *x = gp_malloc(2 * n * sizeof *x);
    if (x == NULL) {
        return gp_error_nomem(ctx, "projecting a shape");
    }
    double *y = x + n;
    for (size_t i = 0; i < n; i++) {
        x[i] = xy[2 * i];
        y[i] = xy[2 * i + 1];
    }
    gp_gdal_push_errors(ctx);
    int ok = OCTTransform(ct, (int)n, x, y, NULL);
    gp_gdal_pop_errors(ctx);
    for (size_t i = 0; ok && i < n; i++) {
        ok = isfinite(x[i]) && isfinite(y[i]);
        xy[2 * i] = x[i];
        xy[2 * i + 1] = y[i];
    }
    gp_free(x);
    return ok ? GP_OK
              : gp_error(ctx, GP_ERR_CRS, "cannot project a shape to the output CRS%s%s",
                         ctx->engine_error[0] ? ": " : "", ctx->engine_error);
}

/* A ring's coordinates into a new gp_malloc'd buffer (*m vertices). */
static double *ring_xy(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *ring,
                       unsigned int *m)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    *m = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, m)) {
        gp_error(ctx, GP_ERR_GEOMETRY, "cannot read a ring: %s", gp_ctx_engine_error(ctx));
        return NULL;
    }
    double *xy = gp_malloc(2 * ((size_t)*m + 1) * sizeof *xy);
    if (xy == NULL) {
        gp_error_nomem(ctx, "a ring");
        return NULL;
    }
    GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0);
    return xy;
}

/* Every ring of a polygon or multipolygon, in order: shell, holes, next polygon... */
static int32_t ring_count(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int32_t n = 0;
    for (int p = 0; p < GEOSGetNumGeometries_r(h, g); p++) {
        n += 1 + GEOSGetNumInteriorRings_r(h, GEOSGetGeometryN_r(h, g, p));
    }
    return n;
}

static const GEOSGeometry *ring_at(GEOSContextHandle_t h, const GEOSGeometry *poly, int k)
{
    return k == 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, k - 1);
}

static gp_status add_edges(gp_context *ctx, gp_border *b, const GEOSGeometry *ring)
{
    unsigned int m = 0;
    double *xy = ring_xy(ctx, b->h, ring, &m);
    double *proj = xy ? gp_malloc(4 * ((size_t)m + 1) * sizeof *proj) : NULL;
    double *mid = proj ? proj + 2 * ((size_t)m + 1) : NULL; /* edge midpoints */
    gp_status st = GP_OK;
    if (proj == NULL) {
        st = xy ? gp_error_nomem(ctx, "a community border") : gp_context_last_status(ctx);
        goto done;
    }
    memcpy(proj, xy, 2 * (size_t)m * sizeof *proj);
    for (unsigned int i = 0; i + 1 < m; i++) {
        mid[2 * i] = 0.5 * (xy[2 * i] + xy[2 * i + 2]);
        mid[2 * i + 1] = 0.5 * (xy[2 * i + 1] + xy[2 * i + 3]);
    }
    if ((st = transform_xy(ctx, b->ct, proj, m)) != GP_OK ||
        (st = transform_xy(ctx, b->ct, mid, m > 0 ? m - 1 : 0)) != GP_OK) {
        goto done;
    }
    for (unsigned int i = 0; i + 1 < m; i++) {
        int32_t e = b->n++;
        memcpy(b->work + 4 * (size_t)e, xy + 2 * i, 4 * sizeof *xy);
        memcpy(b->out + 4 * (size_t)e, proj + 2 * i, 4 * sizeof *proj);
        const double *w = b->work + 4 * (size_t)e, *o = b->out + 4 * (size_t)e;
        /* The bend: how far the projected middle lies off the projected edge, in metres
         * (output units scaled by the edge's own ratio, doubled for unequal axes such as
         * degrees of longitude and latitude). */
        double len_w = hypot(w[2] - w[0], w[3] - w[1]), len_o = hypot(o[2] - o[0], o[3] - o[1]);
        double bend = hypot(0.5 * (o[0] + o[2]) - mid[2 * i], 0.5 * (o[1] + o[3]) - mid[2 * i + 1]);
        double sagitta = len_o > 0 ? 2.0 * bend * len_w / len_o : 0.0;
        b->radius[e] = fmax(WARP_RADIUS, WARP_SAGITTA * sagitta);
        b->max_radius = fmax(b->max_radius, b->radius[e]);
        b->env[e] = GEOSGeom_createRectangle_r(b->h, fmin(w[0], w[2]), fmin(w[1], w[3]),
                                               fmax(w[0], w[2]), fmax(w[1], w[3]));
        if (b->env[e] == NULL) {
            st = gp_error_nomem(ctx, "a community border");
            goto done;
        }
        GEOSSTRtree_insert_r(b->h, b->tree, b->env[e], (void *)(intptr_t)e);
    }
done:
    gp_free(xy);
    gp_free(proj);
    return st;
}

gp_status gp_border_new(gp_context *ctx, const GEOSGeometry *community,
                        OGRCoordinateTransformationH ct, gp_border **out)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    *out = NULL;
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    int t = GEOSGeomTypeId_r(h, community);
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "a community border must be polygonal");
    }
    gp_border *b = gp_calloc(1, sizeof *b);
    if (b == NULL) {
        return gp_error_nomem(ctx, "a community border");
    }
    b->h = h;
    b->ct = ct;
    gp_status st = GP_OK;
    if (ct == NULL) {
        *out = b; /* nothing to keep: output coordinates are the working ones */
        return GP_OK;
    }
    size_t n_vertices = 0;
    for (int p = 0; p < GEOSGetNumGeometries_r(h, community); p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, community, p);
        for (int k = 0; k <= GEOSGetNumInteriorRings_r(h, poly); k++) {
            n_vertices += (size_t)GEOSGeomGetNumPoints_r(h, ring_at(h, poly, k));
        }
    }
    b->work = gp_malloc(4 * (n_vertices + 1) * sizeof *b->work);
    b->out = gp_malloc(4 * (n_vertices + 1) * sizeof *b->out);
    b->radius = gp_malloc((n_vertices + 1) * sizeof *b->radius);
    b->env = gp_calloc(n_vertices + 1, sizeof *b->env);
    b->tree = GEOSSTRtree_create_r(h, 10);
    if (b->work == NULL || b->out == NULL || b->radius == NULL || b->env == NULL ||
        b->tree == NULL) {
        st = gp_error_nomem(ctx, "a community border");
    }
    for (int p = 0; st == GP_OK && p < GEOSGetNumGeometries_r(h, community); p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, community, p);
        for (int k = 0; st == GP_OK && k <= GEOSGetNumInteriorRings_r(h, poly); k++) {
            st = add_edges(ctx, b, ring_at(h, poly, k));
        }
    }
    if (st != GP_OK) {
        gp_border_free(b);
        return st;
    }
    *out = b;
    return GP_OK;
}

void gp_border_free(gp_border *b)
{
    if (b == NULL) {
        return;
    }
    if (b->tree != NULL) {
        GEOSSTRtree_destroy_r(b->h, b->tree);
    }
    for (int32_t e = 0; b->env != NULL && e < b->n; e++) {
        if (b->env[e] != NULL) {
            GEOSGeom_destroy_r(b->h, b->env[e]);
        }
    }
    gp_free(b->env);
    gp_free(b->work);
    gp_free(b->out);
    gp_free(b->radius);
    gp_free(b);
}

/* Where a vertex near the border goes (see warp_ring). */
typedef struct near_edge {
    int32_t edge; /* -1: beyond the warp radius of the nearest edge */
    double t;     /* where it projects on the edge, in [0, 1] */
    double d;     /* its distance to the edge, m */
} near_edge;

/* The community edge nearest to working vertex (x, y) (the lowest on a tie), when the vertex
 * is within that edge's warp radius: a vertex's own coordinates decide, nothing else. */
static near_edge nearest_edge(const gp_border *b, gp_hits *hs, double x, double y)
{
    near_edge ne = {-1, 0, 0};
    double r = b->max_radius;
    GEOSGeometry *q = GEOSGeom_createRectangle_r(b->h, x - r, y - r, x + r, y + r);
    if (q == NULL) {
        hs->failed = 1;
        return ne;
    }
    hs->n = 0;
    GEOSSTRtree_query_r(b->h, b->tree, q, gp_hits_collect, hs);
    GEOSGeom_destroy_r(b->h, q);
    gp_hits_sort(hs);
    double best = r * r;
    for (size_t k = 0; k < hs->n; k++) {
        const double *w = b->work + 4 * (size_t)hs->v[k];
        double d2 = gp_seg_dist2(x, y, w[0], w[1], w[2], w[3]);
        if (d2 < best) {
            best = d2;
            ne.edge = hs->v[k];
            ne.t = gp_seg_param(x, y, w[0], w[1], w[2], w[3]);
        }
    }
    ne.d = sqrt(best);
    if (ne.edge >= 0 && !(ne.d < b->radius[ne.edge])) {
        ne.edge = -1;
    }
    return ne;
}

/*
 * A ring projected to the output CRS, warped near the border so that the border stays the
 * community's. An edge A-B of the community is straight in the working CRS and in the output
 * CRS, but the one does not project onto the other: the point at fraction t of the working
 * edge projects off the output edge by D(t) = lerp(T(A), T(B), t) - T(A + t (B - A)) (zero
 * at the ends, a fraction of a millimetre in between for degrees). A vertex on the edge (within
 * ON_BORDER) goes exactly to lerp(T(A), T(B), t); one at distance d within the edge's warp
 * radius r is moved by D(t) (1 - d / r), so that vertices a few micrometres apart move alike
 * and nothing folds over; farther ones project as they are. NULL on failure (error set).
 */
static GEOSGeometry *project_ring(gp_context *ctx, const gp_border *b, const GEOSGeometry *ring,
                                  gp_hits *hs)
{
    unsigned int m = 0;
    double *xy = ring_xy(ctx, b->h, ring, &m);
    double *foot = xy ? gp_malloc(2 * ((size_t)m + 1) * sizeof *foot) : NULL;
    near_edge *ne = foot ? gp_malloc(((size_t)m + 1) * sizeof *ne) : NULL;
    GEOSGeometry *out = NULL;
    if (ne == NULL) {
        if (xy != NULL) {
            gp_error_nomem(ctx, "projecting a shape");
        }
        goto done;
    }
    /* The feet of the warped vertices on their edges, projected alongside the vertices. */
    for (unsigned int i = 0; i < m; i++) {
        ne[i] = nearest_edge(b, hs, xy[2 * i], xy[2 * i + 1]);
        const double *w = b->work + 4 * (size_t)(ne[i].edge < 0 ? 0 : ne[i].edge);
        foot[2 * i] = ne[i].edge < 0 ? xy[2 * i] : w[0] + ne[i].t * (w[2] - w[0]);
        foot[2 * i + 1] = ne[i].edge < 0 ? xy[2 * i + 1] : w[1] + ne[i].t * (w[3] - w[1]);
    }
    if (hs->failed) {
        gp_error_nomem(ctx, "projecting a shape");
        goto done;
    }
    if (transform_xy(ctx, b->ct, xy, m) != GP_OK || transform_xy(ctx, b->ct, foot, m) != GP_OK) {
        goto done;
    }
    for (unsigned int i = 0; i < m; i++) {
        if (ne[i].edge < 0) {
            continue;
        }
        const double *o = b->out + 4 * (size_t)ne[i].edge;
        double t = ne[i].t;
        /* The output edge's point at t (its very end at t = 0 or 1, bit for bit). */
        double ex = t == 0 ? o[0] : (t == 1 ? o[2] : o[0] + t * (o[2] - o[0]));
        double ey = t == 0 ? o[1] : (t == 1 ? o[3] : o[1] + t * (o[3] - o[1]));
        if (ne[i].d <= ON_BORDER) {
            xy[2 * i] = ex;
            xy[2 * i + 1] = ey;
        } else {
            double f = 1.0 - ne[i].d / b->radius[ne[i].edge];
            xy[2 * i] += f * (ex - foot[2 * i]);
            xy[2 * i + 1] += f * (ey - foot[2 * i + 1]);
        }
    }
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(b->h, xy, m, 0, 0);
    out = cs ? GEOSGeom_createLinearRing_r(b->h, cs) : NULL;
    if (out == NULL) {
        gp_error(ctx, GP_ERR_GEOMETRY, "cannot build a projected ring: %s",
                 gp_ctx_engine_error(ctx));
    }
done:
    gp_free(xy);
    gp_free(foot);
    gp_free(ne);
    return out;
}

/* Each polygon of `in` projected ring by ring, as a Polygon (one) or a MultiPolygon. */
static gp_status project_polygons(gp_context *ctx, const gp_border *b, const GEOSGeometry *in,
                                  GEOSGeometry **out)
{
    GEOSContextHandle_t h = b->h;
    gp_status st = GP_OK;
    gp_hits hs = {0};
    int n_poly = GEOSGetNumGeometries_r(h, in);
    GEOSGeometry **rings = gp_calloc((size_t)ring_count(h, in) + 1, sizeof *rings);
    GEOSGeometry **polys = gp_calloc((size_t)n_poly + 1, sizeof *polys);
    int32_t n_rings = 0, made = 0;
    *out = NULL;
    if (rings == NULL || polys == NULL) {
        st = gp_error_nomem(ctx, "projecting a shape");
        goto done;
    }
    for (int p = 0; p < n_poly; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, in, p);
        int nh = GEOSGetNumInteriorRings_r(h, poly);
        int32_t first = n_rings;
        for (int k = 0; k <= nh; k++) {
            rings[n_rings] = project_ring(ctx, b, ring_at(h, poly, k), &hs);
            if (rings[n_rings++] == NULL) {
                st = gp_context_last_status(ctx);
                goto done;
            }
        }
        polys[p] = GEOSGeom_createPolygon_r(h, rings[first], rings + first + 1, (unsigned)nh);
        for (int32_t r = first; r < n_rings; r++) {
            rings[r] = NULL; /* taken over by the polygon (never freed twice, even on failure) */
        }
        if (polys[p] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot build a projected polygon: %s",
                          gp_ctx_engine_error(ctx));
            goto done;
        }
        made++;
    }
    if (GEOSGeomTypeId_r(h, in) == GEOS_POLYGON) {
        *out = polys[0];
        polys[0] = NULL;
    } else {
        *out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)made);
        if (*out != NULL) {
            made = 0; /* taken over */
        }
    }
    if (*out == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "cannot build a projected shape: %s",
                      gp_ctx_engine_error(ctx));
    }
done:
    for (int32_t r = 0; rings != NULL && r < n_rings; r++) {
        if (rings[r] != NULL) {
            GEOSGeom_destroy_r(h, rings[r]);
        }
    }
    for (int p = 0; polys != NULL && p < made; p++) {
        if (polys[p] != NULL) {
            GEOSGeom_destroy_r(h, polys[p]);
        }
    }
    gp_free(rings);
    gp_free(polys);
    gp_free(hs.v);
    return st;
}

/* g made valid (structure method: polygons stay polygonal, collapsed parts go), or NULL. */
static GEOSGeometry *repaired(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(h);
    GEOSGeometry *fixed = NULL;
    if (params != NULL && GEOSMakeValidParams_setMethod_r(h, params, GEOS_MAKE_VALID_STRUCTURE) &&
        GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0)) {
        fixed = GEOSMakeValidWithParams_r(h, g, params);
    }
    if (params != NULL) {
        GEOSMakeValidParams_destroy_r(h, params);
    }
    if (fixed != NULL && (GEOSisEmpty_r(h, fixed) != 0 || GEOSisValid_r(h, fixed) != 1)) {
        GEOSGeom_destroy_r(h, fixed);
        fixed = NULL;
    }
    return fixed;
}

gp_status gp_border_project(gp_context *ctx, const gp_border *b, const GEOSGeometry *in,
                            GEOSGeometry **out, int64_t *n_repaired)
{
    GEOSContextHandle_t h = b->h;
    gp_status st = GP_OK;
    GEOSGeometry *g = NULL;
    *out = NULL;
    int t = GEOSGeomTypeId_r(h, in);
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "only polygons are projected to the output CRS");
    }
    if (b->ct == NULL) {
        g = GEOSGeom_clone_r(h, in);
        if (g == NULL) {
            return gp_error_nomem(ctx, "a shape");
        }
    } else if ((st = project_polygons(ctx, b, in, &g)) != GP_OK) {
        return st;
    }
    int valid = GEOSisValid_r(h, g);
    if (valid != 1) {
        GEOSGeometry *fixed = valid == 0 ? repaired(h, g) : NULL;
        GEOSGeom_destroy_r(h, g);
        if (fixed == NULL) {
            return gp_error(ctx, GP_ERR_GEOMETRY,
                            "a shape is invalid in the output CRS and cannot be repaired: %s",
                            gp_ctx_engine_error(ctx));
        }
        g = fixed;
        (*n_repaired)++;
    }
    *out = g;
    return GP_OK;
}
