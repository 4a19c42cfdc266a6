/* SPDX-License-Identifier: MIT */
/**
 * @file adjacency.c Face adjacency by shared segments, sliver merging, and the CSR block graph.
 *
 * Faces come from one polygonization of one noded line network, so two faces that share a
 * border share exactly the same segments (same vertex coordinates). Sorting all ring segments
 * by their normalized end points therefore finds every shared border without any geometric
 * overlay, and faces that touch only at a point share no segment and are not adjacent.
 */

#include "blocks.h"
#include "hits.h"
#include "planar.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/unionfind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct seg {
    double x1, y1, x2, y2;
    int32_t face;
} seg;

static int cmp_seg(const void *pa, const void *pb)
{
    const seg *a = pa, *b = pb;
    if (a->x1 != b->x1) {
        return a->x1 < b->x1 ? -1 : 1;
    }
    if (a->y1 != b->y1) {
        return a->y1 < b->y1 ? -1 : 1;
    }
    if (a->x2 != b->x2) {
        return a->x2 < b->x2 ? -1 : 1;
    }
    if (a->y2 != b->y2) {
        return a->y2 < b->y2 ? -1 : 1;
    }
    return (a->face > b->face) - (a->face < b->face);
}

static int cmp_shared(const void *pa, const void *pb)
{
    const gp_shared_seg *a = pa, *b = pb;
    if (a->a != b->a) {
        return a->a < b->a ? -1 : 1;
    }
    if (a->b != b->b) {
        return a->b < b->b ? -1 : 1;
    }
    return (a->cls > b->cls) - (a->cls < b->cls);
}

static gp_status ring_segments(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *ring,
                               int32_t face, seg **v, size_t *n, size_t *cap)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int m = 0;
    if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m)) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot read a face ring: %s", ctx->engine_error);
    }
    if (m < 2) {
        return GP_OK;
    }
    double *xy = gp_malloc(2 * (size_t)m * sizeof *xy);
    if (xy == NULL) {
        return gp_error_nomem(ctx, "face coordinates");
    }
    GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0);
    if (*n + m > *cap) {
        size_t c = (*cap ? *cap : 1024);
        while (c < *n + m) {
            c *= 2;
        }
        seg *q = gp_reallocarray(*v, c, sizeof *q);
        if (q == NULL) {
            gp_free(xy);
            return gp_error_nomem(ctx, "face segments");
        }
        *v = q;
        *cap = c;
    }
    for (unsigned int i = 0; i + 1 < m; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        if (ax == bx && ay == by) {
            continue;
        }
        int swap = ax > bx || (ax == bx && ay > by);
        seg s = {swap ? bx : ax, swap ? by : ay, swap ? ax : bx, swap ? ay : by, face};
        (*v)[(*n)++] = s;
    }
    gp_free(xy);
    return GP_OK;
}

/* The segments of every ring of the n_faces faces (see ring_segments), appended to *v. */
static gp_status face_segments(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *faces,
                               int32_t n_faces, seg **v, size_t *n, size_t *cap)
{
    gp_status st = GP_OK;
    for (int32_t f = 0; f < n_faces && st == GP_OK; f++) {
        st = ring_segments(ctx, h, GEOSGetExteriorRing_r(h, faces[f]), f, v, n, cap);
        int nh = GEOSGetNumInteriorRings_r(h, faces[f]);
        for (int k = 0; k < nh && st == GP_OK; k++) {
            st = ring_segments(ctx, h, GEOSGetInteriorRingN_r(h, faces[f], k), f, v, n, cap);
        }
    }
    return st;
}

/* What the steps of gp_faces_shared_segments share: the pieces, and the streets and barriers
 * among them indexed by their bounding boxes (1 mm wider). */
typedef struct shared_work {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_dataset *ds;
    const gp_piece *pieces;
    gp_piece_index idx;
} shared_work;

/* The border faces s->face and t->face share along segment s (== t): its length, barrier when
 * a barrier lies on its midpoint, and the class of the major street lying on it. */
static gp_status shared_border(shared_work *w, const seg *s, const seg *t, gp_shared_seg *out)
{
    const double on_line2 = 1e-3 * 1e-3; /* 1 mm: the noder moves nodes far less than this */
    gp_shared_seg o = {s->face < t->face ? s->face : t->face, s->face < t->face ? t->face : s->face,
                       GP_CLASS_NONE, 0, hypot(s->x2 - s->x1, s->y2 - s->y1)};
    double mx = 0.5 * (s->x1 + s->x2), my = 0.5 * (s->y1 + s->y2);
    gp_status st = gp_piece_index_query(w->ctx, w->h, &w->idx, mx, my, mx, my, "a spatial query");
    if (st != GP_OK) {
        return st;
    }
    const gp_hits *hs = &w->idx.hs;
    double best_cost = INFINITY;
    for (size_t k = 0; k < hs->n; k++) {
        const gp_piece *pc = &w->pieces[hs->v[k]];
        int on = 0;
        for (int32_t j = 0; j + 1 < pc->n && !on; j++) {
            on = gp_seg_dist2(mx, my, pc->xy[2 * j], pc->xy[2 * j + 1], pc->xy[2 * j + 2],
                              pc->xy[2 * j + 3]) <= on_line2;
        }
        if (!on) {
            continue;
        }
        if (pc->kind == 1) {
            o.barrier = 1;
        } else {
            /* Two streets on one border: the major one (cheapest cut) names it. */
            double c = gp_dataset_class_cost(w->ds, pc->cls);
            if (c < best_cost) {
                best_cost = c;
                o.cls = pc->cls;
            }
        }
    }
    *out = o;
    return GP_OK;
}

gp_status gp_faces_shared_segments(gp_context *ctx, const gp_dataset *ds,
                                   GEOSGeometry *const *faces, int32_t n_faces,
                                   const gp_piece *pieces, int32_t n_pieces,
                                   gp_shared_seg **segs_out, int64_t *n_out)
{
    gp_status st = GP_OK;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    seg *v = NULL;
    size_t n = 0, cap = 0;
    gp_shared_seg *out = NULL;
    size_t n_shared = 0;
    shared_work w = {ctx, h, ds, pieces, {0}};
    *segs_out = NULL;
    *n_out = 0;
    if (h == NULL) {
        return GP_ERR_NOMEM;
    }
    if ((st = face_segments(ctx, h, faces, n_faces, &v, &n, &cap)) != GP_OK) {
        goto done;
    }
    if (n > 1) {
        qsort(v, n, sizeof *v, cmp_seg);
    }
    out = gp_malloc((n / 2 + 1) * sizeof *out);
    if (out == NULL) {
        st = gp_error_nomem(ctx, "shared segments");
        goto done;
    }
    /* To find which street lies on a shared segment. */
    if ((st = gp_piece_index_new(ctx, h, pieces, n_pieces, 1e-3, 1, "shared segments", &w.idx)) !=
        GP_OK) {
        goto done;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        seg *s = &v[i], *t = &v[i + 1];
        if (s->x1 != t->x1 || s->y1 != t->y1 || s->x2 != t->x2 || s->y2 != t->y2 ||
            s->face == t->face) {
            continue;
        }
        if ((st = shared_border(&w, s, t, &out[n_shared])) != GP_OK) {
            goto done;
        }
        n_shared++;
        i++; /* a segment is shared by two faces at most */
    }
    if (n_shared > 1) {
        qsort(out, n_shared, sizeof *out, cmp_shared);
    }
done:
    gp_piece_index_free(h, &w.idx);
    gp_free(v);
    if (st != GP_OK) {
        gp_free(out);
        out = NULL;
        n_shared = 0;
    }
    *segs_out = out;
    *n_out = (int64_t)n_shared;
    return st;
}

gp_status gp_merge_slivers(gp_context *ctx, int32_t n_faces, const double *area,
                           const double *perimeter, const double *width, const uint8_t *force,
                           const gp_shared_seg *segs, int64_t n_segs, const gp_sliver_rule *rule,
                           int32_t *group, int32_t *merged_out)
{
    gp_status st = GP_OK;
    double *ga = gp_malloc(((size_t)n_faces + 1) * sizeof *ga);
    double *gper = gp_malloc(((size_t)n_faces + 1) * sizeof *gper);
    double *gw = gp_malloc(((size_t)n_faces + 1) * sizeof *gw);
    uint8_t *gforce = gp_calloc((size_t)n_faces + 1, 1);
    double *len_to = gp_calloc((size_t)n_faces + 1, sizeof *len_to);
    double *open_to = gp_calloc((size_t)n_faces + 1, sizeof *open_to);
    uint8_t *stuck = gp_calloc((size_t)n_faces + 1, 1);
    int32_t *touched = gp_malloc(((size_t)n_faces + 1) * sizeof *touched);
    int32_t merged = 0;
    if (ga == NULL || gper == NULL || gw == NULL || gforce == NULL || len_to == NULL ||
        open_to == NULL || stuck == NULL || touched == NULL) {
        st = gp_error_nomem(ctx, "sliver merging");
        goto done;
    }
    for (int32_t f = 0; f < n_faces; f++) {
        ga[f] = area[f];
        gper[f] = perimeter[f];
        gw[f] = width[f];
        gforce[f] = force != NULL && force[f];
    }
    for (;;) {
        /* The smallest sliver first: it is the least trustworthy face. */
        int32_t g = -1;
        for (int32_t f = 0; f < n_faces; f++) {
            if (group[f] != f || stuck[f]) {
                continue;
            }
            int sliver = ga[f] < rule->min_area || gw[f] < rule->min_width || gforce[f];
            if (sliver && (g < 0 || ga[f] < ga[g])) {
                g = f;
            }
        }
        if (g < 0) {
            break;
        }
        int32_t n_touched = 0;
        for (int64_t i = 0; i < n_segs; i++) {
            int32_t ra = gp_uf_find(group, segs[i].a), rb = gp_uf_find(group, segs[i].b);
            if (ra == rb || (ra != g && rb != g)) {
                continue;
            }
            int32_t other = ra == g ? rb : ra;
            if (len_to[other] == 0 && open_to[other] == 0) {
                touched[n_touched++] = other;
            }
            len_to[other] += segs[i].length;
            if (!segs[i].barrier) {
                open_to[other] += segs[i].length;
            }
        }
        /* Longest border not along a barrier; across a barrier only when there is no other. */
        int32_t best = -1;
        int use_open = 0;
        for (int32_t k = 0; k < n_touched; k++) {
            use_open |= open_to[touched[k]] > 0;
        }
        for (int32_t k = 0; k < n_touched; k++) {
            int32_t o = touched[k];
            double l = use_open ? open_to[o] : len_to[o];
            double lb = best < 0 ? -1 : (use_open ? open_to[best] : len_to[best]);
            if (l > lb || (l == lb && o < best)) {
                best = o;
            }
        }
        double shared = best >= 0 ? len_to[best] : 0;
        for (int32_t k = 0; k < n_touched; k++) {
            len_to[touched[k]] = 0;
            open_to[touched[k]] = 0;
        }
        if (best < 0) {
            stuck[g] = 1; /* no neighbour at all: it stays a block of its own */
            continue;
        }
        int32_t keep = g < best ? g : best, gone = g < best ? best : g;
        group[gone] = keep;
        ga[keep] = ga[g] + ga[best];
        gper[keep] = gper[g] + gper[best] - 2.0 * shared;
        gw[keep] = fmax(fmax(gw[g], gw[best]), gper[keep] > 0 ? 2.0 * ga[keep] / gper[keep] : 0);
        gforce[keep] = 0;
        stuck[keep] = 0;
        merged++;
    }
done:
    gp_free(ga);
    gp_free(gper);
    gp_free(gw);
    gp_free(gforce);
    gp_free(len_to);
    gp_free(open_to);
    gp_free(stuck);
    gp_free(touched);
    *merged_out = merged;
    return st;
}

typedef struct bedge {
    int32_t a, b, cls;
    double length;
    int32_t barrier;
} bedge;

static int cmp_bedge(const void *pa, const void *pb)
{
    const bedge *a = pa, *b = pb;
    if (a->a != b->a) {
        return a->a < b->a ? -1 : 1;
    }
    if (a->b != b->b) {
        return a->b < b->b ? -1 : 1;
    }
    return (a->cls > b->cls) - (a->cls < b->cls);
}

/* The shared segments between faces of different blocks as block pairs (a < b) in e, sorted;
 * returns their number. */
static size_t block_pairs(const gp_shared_seg *segs, int64_t n_segs, const int32_t *block_of,
                          bedge *e)
{
    size_t ne = 0;
    for (int64_t i = 0; i < n_segs; i++) {
        int32_t a = block_of[segs[i].a], c = block_of[segs[i].b];
        if (a == c) {
            continue;
        }
        bedge x = {a < c ? a : c, a < c ? c : a, segs[i].cls, segs[i].length, segs[i].barrier};
        e[ne++] = x;
    }
    if (ne > 1) {
        qsort(e, ne, sizeof *e, cmp_bedge);
    }
    return ne;
}

/* One edge per block pair of the sorted e into edges: total length, barrier length, and the
 * class covering most of the border (ties: the cheaper cut); a border mostly along a barrier
 * is counted in b->n_barrier_edges instead. Returns the number of edges. */
static size_t pair_edges(const gp_dataset *ds, gp_blocks *b, const bedge *e, size_t ne,
                         bedge *edges)
{
    size_t n_edges = 0;
    for (size_t i = 0; i < ne;) {
        size_t j = i;
        double total = 0, barrier = 0, best_len = -1;
        int32_t best_cls = GP_CLASS_NONE;
        while (j < ne && e[j].a == e[i].a && e[j].b == e[i].b) {
            size_t k = j;
            double l = 0;
            while (k < ne && e[k].a == e[j].a && e[k].b == e[j].b && e[k].cls == e[j].cls) {
                l += e[k].length;
                barrier += e[k].barrier ? e[k].length : 0;
                k++;
            }
            total += l;
            if (l > best_len || (l == best_len && gp_dataset_class_cost(ds, e[j].cls) <
                                                      gp_dataset_class_cost(ds, best_cls))) {
                best_len = l;
                best_cls = e[j].cls;
            }
            j = k;
        }
        if (barrier >= 0.5 * total) {
            b->n_barrier_edges++; /* a river or railway runs along it: no adjacency */
        } else if (total > 0) {
            bedge x = {e[i].a, e[i].b, best_cls, total, 0};
            edges[n_edges++] = x;
        }
        i = j;
    }
    return n_edges;
}

/* The CSR arrays of b (allocated, xadj zeroed) filled from the edges, each edge in the lists
 * of both its ends; fill is scratch for b->n vertices. */
static void fill_csr(const gp_dataset *ds, gp_blocks *b, const bedge *edges, size_t n_edges,
                     int32_t *fill)
{
    for (size_t i = 0; i < n_edges; i++) {
        b->xadj[edges[i].a + 1]++;
        b->xadj[edges[i].b + 1]++;
    }
    for (int32_t v = 0; v < b->n; v++) {
        b->xadj[v + 1] += b->xadj[v];
    }
    memcpy(fill, b->xadj, (size_t)b->n * sizeof *fill);
    /* Edges are sorted by (a, b), so a's lists fill in ascending order; b's lists may not,
     * hence sort_neighbours. */
    for (size_t i = 0; i < n_edges; i++) {
        int32_t ends[2] = {edges[i].a, edges[i].b};
        for (int k = 0; k < 2; k++) {
            int32_t p = fill[ends[k]]++;
            b->adjncy[p] = ends[1 - k];
            b->border_length[p] = edges[i].length;
            b->edge_class[p] = edges[i].cls;
            b->edge_cost[p] = gp_dataset_class_cost(ds, edges[i].cls);
        }
    }
}

/* Sort each neighbour list (insertion sort: lists are short and nearly sorted) and count the
 * blocks without neighbours in b->n_isolated. */
static void sort_neighbours(gp_blocks *b)
{
    for (int32_t v = 0; v < b->n; v++) {
        for (int32_t p = b->xadj[v] + 1; p < b->xadj[v + 1]; p++) {
            for (int32_t q = p; q > b->xadj[v] && b->adjncy[q - 1] > b->adjncy[q]; q--) {
                int32_t ti = b->adjncy[q];
                b->adjncy[q] = b->adjncy[q - 1];
                b->adjncy[q - 1] = ti;
                double td = b->border_length[q];
                b->border_length[q] = b->border_length[q - 1];
                b->border_length[q - 1] = td;
                ti = b->edge_class[q];
                b->edge_class[q] = b->edge_class[q - 1];
                b->edge_class[q - 1] = ti;
                td = b->edge_cost[q];
                b->edge_cost[q] = b->edge_cost[q - 1];
                b->edge_cost[q - 1] = td;
            }
        }
        if (b->xadj[v + 1] == b->xadj[v]) {
            b->n_isolated++;
        }
    }
}

gp_status gp_block_graph(gp_context *ctx, const gp_dataset *ds, gp_blocks *b,
                         const gp_shared_seg *segs, int64_t n_segs, const int32_t *block_of)
{
    gp_status st = GP_OK;
    bedge *e = gp_malloc(((size_t)n_segs + 1) * sizeof *e);
    bedge *edges = gp_malloc(((size_t)n_segs + 1) * sizeof *edges);
    size_t ne = 0, n_edges = 0;
    int32_t *fill = NULL;
    if (e == NULL || edges == NULL) {
        st = gp_error_nomem(ctx, "the block graph");
        goto done;
    }
    ne = block_pairs(segs, n_segs, block_of, e);
    n_edges = pair_edges(ds, b, e, ne, edges);
    if (2 * n_edges > INT32_MAX) {
        st = gp_error(ctx, GP_ERR_LIMIT, "too many block adjacencies");
        goto done;
    }
    b->xadj = gp_calloc((size_t)b->n + 1, sizeof *b->xadj);
    b->adjncy = gp_malloc((2 * n_edges + 1) * sizeof *b->adjncy);
    b->border_length = gp_malloc((2 * n_edges + 1) * sizeof *b->border_length);
    b->edge_class = gp_malloc((2 * n_edges + 1) * sizeof *b->edge_class);
    b->edge_cost = gp_malloc((2 * n_edges + 1) * sizeof *b->edge_cost);
    fill = gp_malloc(((size_t)b->n + 1) * sizeof *fill);
    if (b->xadj == NULL || b->adjncy == NULL || b->border_length == NULL || b->edge_class == NULL ||
        b->edge_cost == NULL || fill == NULL) {
        st = gp_error_nomem(ctx, "the block graph");
        goto done;
    }
    fill_csr(ds, b, edges, n_edges, fill);
    sort_neighbours(b);
done:
    gp_free(e);
    gp_free(edges);
    gp_free(fill);
    return st;
}
