/* SPDX-License-Identifier: MIT */
/**
 * @file weld.c Weld near-coincident vertices of a community's faces into one, the same way in
 * every face.
 *
 * Inputs in different CRSs meet in the working CRS with rounding: a street end and the border
 * vertex it was digitised on arrive a nanometre apart, so snapping extends the end onto the
 * vertex and noding keeps both, leaving a nanometre edge in two faces. That is harmless in the
 * working CRS, but once projected to an output CRS in degrees (1e-14 degree is about a
 * nanometre) the direction of such an edge is noise and the face may cross itself. Welding
 * treats every vertex closer than `eps` to another as one point (single linkage, the lowest
 * coordinate of the cluster standing for it), a map from coordinates to coordinates applied
 * to every ring of every face: the faces of one polygonization share their vertices exactly,
 * so a shared edge stays shared, and the faces still tile what they tiled. Clean data, which
 * has no such vertices, is left untouched.
 */

#include "blocks.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/unionfind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct vtx {
    double x, y;
} vtx;

static int cmp_vtx(const void *pa, const void *pb)
{
    const vtx *a = pa, *b = pb;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    return (a->y > b->y) - (a->y < b->y);
}

/* The ring's vertices appended to v (no closing duplicate needed: rings repeat their start). */
static gp_status ring_vertices(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *ring,
                               vtx **v, size_t *n, size_t *cap)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int m = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m)) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot read a face ring: %s",
                        gp_ctx_engine_error(ctx));
    }
    if (*n + m > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < *n + m) {
            c *= 2;
        }
        vtx *q = gp_reallocarray(*v, c, sizeof *q);
        if (q == NULL) {
            return gp_error_nomem(ctx, "face vertices");
        }
        *v = q;
        *cap = c;
    }
    GEOSCoordSeq_copyToBuffer_r(h, cs, (double *)(*v + *n), 0, 0);
    *n += m;
    return GP_OK;
}

/* Index of (x, y) among the n sorted distinct vertices u (it is there). */
static size_t lookup(const vtx *u, size_t n, double x, double y)
{
    vtx key = {x, y};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_vtx(&u[mid], &key) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int same(const vtx *a, const vtx *b)
{
    return a->x == b->x && a->y == b->y;
}

/*
 * In the cyclic sequence p[0..n-1] (a ring without its closing vertex), drop repeated
 * vertices and spikes (a, b, a: welding the tip of a needle to its base leaves one) until
 * none is left; returns the new length. A shared edge has the same spike in both faces, so
 * both lose it.
 */
static unsigned int drop_repeats_and_spikes(vtx *p, unsigned int n)
{
    int changed = 1;
    while (changed && n >= 3) {
        changed = 0;
        for (unsigned int i = 0; i < n && n >= 3; i++) {
            unsigned int next = (i + 1) % n, prev = (i + n - 1) % n;
            unsigned int cut = 0, at = 0; /* remove `cut` vertices from `at` on (cyclic) */
            if (same(&p[i], &p[next])) {
                cut = 1;
                at = next;
            } else if (same(&p[prev], &p[next])) {
                cut = 2; /* the tip p[i] and the repeated base p[next] */
                at = i;
            }
            for (unsigned int c = 0; c < cut; c++) {
                unsigned int j = at < n ? at : 0;
                memmove(p + j, p + j + 1, (size_t)(n - j - 1) * sizeof *p);
                n--;
                at = j;
                changed = 1;
            }
        }
    }
    return n;
}

/* Why welding a face failed. */
enum { WELD_OK = 0, WELD_ENGINE = 1, WELD_NOMEM = 2 };

/* The ring with every vertex replaced by its cluster's and repeats dropped, or NULL when it
 * collapses (fewer than 3 distinct vertices); *moved when some vertex did; *failed set to
 * WELD_ENGINE or WELD_NOMEM on failure. */
static GEOSGeometry *weld_ring(GEOSContextHandle_t h, const GEOSGeometry *ring, const vtx *u,
                               size_t n_u, const int32_t *parent, int *moved, int *failed)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int m = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m)) {
        *failed = WELD_ENGINE;
        return NULL;
    }
    double *xy = gp_malloc(2 * ((size_t)m + 1) * sizeof *xy);
    if (xy == NULL) {
        *failed = WELD_NOMEM;
        return NULL;
    }
    GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0);
    unsigned int k = 0;
    for (unsigned int i = 0; i + 1 < m; i++) { /* the closing vertex is added back below */
        size_t at = lookup(u, n_u, xy[2 * i], xy[2 * i + 1]);
        const vtx *w = &u[parent[at]];
        *moved |= (size_t)parent[at] != at;
        xy[2 * k] = w->x;
        xy[2 * k + 1] = w->y;
        k++;
    }
    k = drop_repeats_and_spikes((vtx *)xy, k);
    xy[2 * k] = xy[0];
    xy[2 * k + 1] = xy[1];
    k++;
    GEOSGeometry *out = NULL;
    if (k >= 4) { /* closed: the first vertex repeats at the end, 3 distinct at least */
        GEOSCoordSequence *c2 = GEOSCoordSeq_copyFromBuffer_r(h, xy, k, 0, 0);
        out = c2 ? GEOSGeom_createLinearRing_r(h, c2) : NULL;
        if (out == NULL) {
            *failed = WELD_ENGINE;
        }
    }
    gp_free(xy);
    return out;
}

/* Face f welded: a polygon, or NULL when its shell collapses; *moved when a vertex did;
 * *failed as for weld_ring. */
static GEOSGeometry *weld_face(GEOSContextHandle_t h, const GEOSGeometry *face, const vtx *u,
                               size_t n_u, const int32_t *parent, int *moved, int *failed)
{
    GEOSGeometry *shell =
        weld_ring(h, GEOSGetExteriorRing_r(h, face), u, n_u, parent, moved, failed);
    if (shell == NULL) {
        return NULL;
    }
    int nh = GEOSGetNumInteriorRings_r(h, face);
    GEOSGeometry **holes = gp_calloc((size_t)(nh > 0 ? nh : 1), sizeof *holes);
    unsigned int k = 0;
    for (int i = 0; holes != NULL && i < nh && !*failed; i++) {
        holes[k] = weld_ring(h, GEOSGetInteriorRingN_r(h, face, i), u, n_u, parent, moved, failed);
        k += holes[k] != NULL; /* a collapsed hole is gone */
    }
    GEOSGeometry *out = NULL;
    if (holes == NULL) {
        *failed = WELD_NOMEM;
    } else if (!*failed) {
        out = GEOSGeom_createPolygon_r(h, shell, holes, k); /* takes shell and holes */
        shell = NULL;
        k = 0;
        if (out == NULL) {
            *failed = WELD_ENGINE;
        }
    }
    if (shell != NULL) {
        GEOSGeom_destroy_r(h, shell);
    }
    for (unsigned int i = 0; holes != NULL && i < k; i++) {
        GEOSGeom_destroy_r(h, holes[i]);
    }
    gp_free(holes);
    return out;
}

gp_status gp_faces_weld(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry **faces,
                        int32_t *n_faces, double eps, int32_t *n_welded)
{
    gp_status st = GP_OK;
    vtx *v = NULL;
    size_t n = 0, cap = 0, n_u = 0;
    int32_t *parent = NULL;
    *n_welded = 0;
    for (int32_t f = 0; f < *n_faces && st == GP_OK; f++) {
        st = ring_vertices(ctx, h, GEOSGetExteriorRing_r(h, faces[f]), &v, &n, &cap);
        int nh = GEOSGetNumInteriorRings_r(h, faces[f]);
        for (int k = 0; k < nh && st == GP_OK; k++) {
            st = ring_vertices(ctx, h, GEOSGetInteriorRingN_r(h, faces[f], k), &v, &n, &cap);
        }
    }
    if (st != GP_OK || n == 0) {
        goto done;
    }
    if (n > INT32_MAX) {
        st = gp_error(ctx, GP_ERR_LIMIT, "too many face vertices");
        goto done;
    }
    qsort(v, n, sizeof *v, cmp_vtx);
    for (size_t i = 0; i < n; i++) {
        if (n_u == 0 || cmp_vtx(&v[n_u - 1], &v[i]) != 0) {
            v[n_u++] = v[i];
        }
    }
    parent = gp_malloc(n_u * sizeof *parent);
    if (parent == NULL) {
        st = gp_error_nomem(ctx, "face vertices");
        goto done;
    }
    for (size_t i = 0; i < n_u; i++) {
        parent[i] = (int32_t)i;
    }
    /* Single linkage within eps; the lowest index (lowest x, then y) roots each cluster. */
    for (size_t i = 0; i < n_u; i++) {
        for (size_t j = i + 1; j < n_u && v[j].x - v[i].x <= eps; j++) {
            if (hypot(v[j].x - v[i].x, v[j].y - v[i].y) <= eps) {
                int32_t a = gp_uf_find(parent, (int32_t)i), b = gp_uf_find(parent, (int32_t)j);
                if (a != b) {
                    parent[a < b ? b : a] = a < b ? a : b;
                    (*n_welded)++;
                }
            }
        }
    }
    if (*n_welded == 0) {
        goto done; /* the usual case: nothing moves */
    }
    for (size_t i = 0; i < n_u; i++) {
        parent[i] = gp_uf_find(parent, (int32_t)i);
    }
    int32_t kept = 0;
    for (int32_t f = 0; f < *n_faces; f++) {
        int moved = 0, failed = 0;
        GEOSGeometry *w = weld_face(h, faces[f], v, n_u, parent, &moved, &failed);
        int valid = w != NULL && !failed ? GEOSisValid_r(h, w) : 1;
        if (valid == 2) {
            failed = WELD_ENGINE;
        }
        if (!failed && (!moved || valid == 0)) {
            /* Untouched, or welding pinched it (two of its own vertices met): it stays as it
             * was, valid, a micrometre off its neighbours at most. */
            if (w != NULL) {
                GEOSGeom_destroy_r(h, w);
            }
            faces[kept++] = faces[f];
            continue;
        }
        if (failed) {
            if (w != NULL) {
                GEOSGeom_destroy_r(h, w);
            }
            /* Faces [kept, f) were destroyed or moved: keep the array consistent. */
            for (int32_t g = f; g < *n_faces; g++) {
                faces[kept++] = faces[g];
            }
            *n_faces = kept;
            st = failed == WELD_NOMEM
                     ? gp_error_nomem(ctx, "welding face vertices")
                     : gp_error(ctx, GP_ERR_GEOMETRY, "cannot weld the vertices of a face: %s",
                                gp_ctx_engine_error(ctx));
            goto done;
        }
        GEOSGeom_destroy_r(h, faces[f]);
        if (w != NULL) {
            faces[kept++] = w; /* a collapsed face (no area) is dropped */
        }
    }
    *n_faces = kept;
done:
    gp_free(v);
    gp_free(parent);
    return st;
}
