/* SPDX-License-Identifier: MIT */
/** @file gridgroups.c The adjacency of a community's grids, and its division into contiguous
 * groups of even workload for fewer workers than grids (a second-level partition with the
 * optimizer of lib/partition). */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "roster.h"

#include "core/context.h"
#include "core/memory.h"

#include <stdlib.h>
#include <string.h>

/* Do two grids share a stretch of border? Their boundaries meet in a line (DE-9IM
 * boundary/boundary of dimension 1); touching at a point does not join two grids. */
static int shares_border(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b)
{
    char *m = GEOSRelate_r(h, a, b);
    int yes = m != NULL && m[4] == '1';
    if (m != NULL) {
        GEOSFree_r(h, m);
    }
    return yes;
}

/* Grid shapes in the working CRS, parsed from the plan. */
static gp_status read_shapes(gp_context *ctx, const gp_plan *plan, int32_t first, int32_t n,
                             GEOSGeometry **geom)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSWKBReader *r = h ? GEOSWKBReader_create_r(h) : NULL;
    if (r == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot read grid shapes");
    }
    gp_status st = GP_OK;
    for (int32_t i = 0; i < n && st == GP_OK; i++) {
        const gp_plan_shape *s = &plan->grids[first + i].shape;
        geom[i] = GEOSWKBReader_read_r(h, r, s->wkb_work, s->wkb_work_size);
        if (geom[i] == NULL) {
            st = gp_error(ctx, GP_ERR_GEOMETRY, "grid %s: unreadable shape",
                          plan->grids[first + i].code);
        }
    }
    GEOSWKBReader_destroy_r(h, r);
    return st;
}

gp_status gp_grid_adjacency(gp_context *ctx, const gp_plan *plan, int32_t first, int32_t n,
                            int32_t **xadj_out, int32_t **adjncy_out)
{
    *xadj_out = NULL;
    *adjncy_out = NULL;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSGeometry **geom = gp_calloc((size_t)n + 1, sizeof *geom);
    uint8_t *adj = gp_calloc((size_t)n * (size_t)n + 1, 1);
    int32_t *xadj = gp_calloc((size_t)n + 1, sizeof *xadj);
    int32_t *adjncy = NULL;
    double *box = gp_calloc((size_t)n * 4 + 1, sizeof *box);
    gp_status st = GP_OK;
    if (h == NULL || !geom || !adj || !xadj || !box) {
        st = gp_error_nomem(ctx, "the grid adjacency");
        goto done;
    }
    if ((st = read_shapes(ctx, plan, first, n, geom)) != GP_OK) {
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        GEOSGeom_getXMin_r(h, geom[i], &box[4 * i]);
        GEOSGeom_getYMin_r(h, geom[i], &box[4 * i + 1]);
        GEOSGeom_getXMax_r(h, geom[i], &box[4 * i + 2]);
        GEOSGeom_getYMax_r(h, geom[i], &box[4 * i + 3]);
    }
    int64_t edges = 0;
    for (int32_t i = 0; i < n; i++) {
        for (int32_t j = i + 1; j < n; j++) {
            const double *a = &box[4 * i], *b = &box[4 * j];
            if (a[0] > b[2] || b[0] > a[2] || a[1] > b[3] || b[1] > a[3] ||
                !shares_border(h, geom[i], geom[j])) {
                continue;
            }
            adj[(size_t)i * n + j] = adj[(size_t)j * n + i] = 1;
            edges += 2;
        }
    }
    adjncy = gp_malloc((size_t)edges * sizeof *adjncy + 1);
    if (adjncy == NULL) {
        st = gp_error_nomem(ctx, "the grid adjacency");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        xadj[i + 1] = xadj[i];
        for (int32_t j = 0; j < n; j++) {
            if (adj[(size_t)i * n + j]) {
                adjncy[xadj[i + 1]++] = j;
            }
        }
    }
done:
    for (int32_t i = 0; geom != NULL && i < n; i++) {
        if (geom[i] != NULL) {
            GEOSGeom_destroy_r(h, geom[i]);
        }
    }
    gp_free(geom);
    gp_free(adj);
    gp_free(box);
    if (st == GP_OK) {
        *xadj_out = xadj;
        *adjncy_out = adjncy;
    } else {
        gp_free(xadj);
        gp_free(adjncy);
    }
    return st;
}

/* Connected parts (BFS in index order): comp[v], returns the number of parts. */
static int32_t components(int32_t n, const int32_t *xadj, const int32_t *adjncy, int32_t *comp,
                          int32_t *queue)
{
    int32_t nc = 0;
    for (int32_t v = 0; v < n; v++) {
        comp[v] = -1;
    }
    for (int32_t s = 0; s < n; s++) {
        if (comp[s] >= 0) {
            continue;
        }
        int32_t head = 0, tail = 0;
        queue[tail++] = s;
        comp[s] = nc;
        while (head < tail) {
            int32_t v = queue[head++];
            for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
                if (comp[adjncy[e]] < 0) {
                    comp[adjncy[e]] = nc;
                    queue[tail++] = adjncy[e];
                }
            }
        }
        nc++;
    }
    return nc;
}

/*
 * Workers per part: one each, the rest by largest remainder of workload share (ties to the
 * lower part), never more than a part's grids. Needs nc <= k <= n.
 */
static void share_workers(int32_t nc, const int32_t *size, const double *load, int32_t k,
                          int32_t *kc)
{
    double total = 0.0;
    for (int32_t c = 0; c < nc; c++) {
        kc[c] = 1;
        total += load[c];
    }
    for (int32_t left = k - nc; left > 0; left--) {
        int32_t best = -1;
        double best_gap = 0.0;
        for (int32_t c = 0; c < nc; c++) {
            if (kc[c] >= size[c]) {
                continue;
            }
            /* The part whose load per worker is highest gets the next worker. */
            double gap = (total > 0 ? load[c] : (double)size[c]) / kc[c];
            if (best < 0 || gap > best_gap) {
                best = c;
                best_gap = gap;
            }
        }
        kc[best]++;
    }
}

/* The last vertex a BFS of group q reaches from its lowest vertex: removing it leaves q
 * connected (it is a leaf of the BFS tree). */
static int32_t removable(int32_t n, const int32_t *xadj, const int32_t *adjncy,
                         const int32_t *group, int32_t q, int32_t *queue, uint8_t *seen)
{
    memset(seen, 0, (size_t)n);
    int32_t head = 0, tail = 0;
    for (int32_t v = 0; v < n && tail == 0; v++) {
        if (group[v] == q) {
            queue[tail++] = v;
            seen[v] = 1;
        }
    }
    while (head < tail) {
        int32_t v = queue[head++];
        for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
            int32_t u = adjncy[e];
            if (!seen[u] && group[u] == q) {
                seen[u] = 1;
                queue[tail++] = u;
            }
        }
    }
    return tail > 1 ? queue[tail - 1] : -1;
}

/* The optimizer on one part (vertices `vs`), k groups numbered from `base` into group[]. */
static gp_status divide_part(gp_context *ctx, const int32_t *vs, int32_t m, const int32_t *xadj,
                             const int32_t *adjncy, const int64_t *households,
                             const double *workload, int32_t k, uint64_t seed, int32_t base,
                             int32_t *group, int32_t *local)
{
    if (k <= 1 || k >= m) {
        for (int32_t i = 0; i < m; i++) {
            group[vs[i]] = base + (k <= 1 ? 0 : i);
        }
        return GP_OK;
    }
    int32_t *sx = gp_calloc((size_t)m + 1, sizeof *sx);
    int32_t *sa = gp_malloc(((size_t)xadj[vs[m - 1] + 1] + 1) * sizeof *sa);
    int64_t *hh = gp_malloc((size_t)m * sizeof *hh);
    double *wl = gp_malloc((size_t)m * sizeof *wl);
    gp_graph *g = NULL;
    gp_options *o = NULL;
    gp_partition *part = NULL;
    gp_status st = GP_OK;
    if (!sx || !sa || !hh || !wl || gp_options_new(&o) != GP_OK) {
        st = gp_error_nomem(ctx, "the workers' grid groups");
        goto done;
    }
    int64_t total = 0;
    for (int32_t i = 0; i < m; i++) {
        int32_t v = vs[i];
        sx[i + 1] = sx[i];
        for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
            sa[sx[i + 1]++] = local[adjncy[e]];
        }
        hh[i] = households[v];
        wl[i] = workload[v];
        total += hh[i];
    }
    /* No household bounds: contiguity and even workload are all that matter here. */
    if ((st = gp_options_set_bounds(ctx, o, 0, total > 0 ? total : 1)) != GP_OK ||
        (st = gp_options_set_grid_count(ctx, o, k)) != GP_OK ||
        (st = gp_options_set_seed(ctx, o, seed)) != GP_OK ||
        (st = gp_options_set_threads(ctx, o, 1)) != GP_OK ||
        (st = gp_options_set_balance(ctx, o, GP_BALANCE_WORKLOAD)) != GP_OK ||
        (st = gp_graph_new(ctx, m, sx, sa, &g)) != GP_OK ||
        (st = gp_graph_set_households(ctx, g, hh)) != GP_OK ||
        (st = gp_graph_set_workload(ctx, g, wl)) != GP_OK ||
        (st = gp_graph_partition(ctx, g, o, &part)) != GP_OK) {
        goto done;
    }
    const int32_t *a = gp_partition_assignment(part);
    int32_t got = gp_partition_grid_count(part);
    for (int32_t i = 0; i < m; i++) {
        if (a[i] < 0 || a[i] >= k || got > k) {
            st = gp_error(ctx, GP_ERR_INTERNAL, "the grid groups: %d groups for %d workers", got,
                          k);
            goto done;
        }
        group[vs[i]] = base + a[i];
    }
done:
    gp_partition_free(part);
    gp_graph_free(g);
    gp_options_free(o);
    gp_free(sx);
    gp_free(sa);
    gp_free(hh);
    gp_free(wl);
    return st;
}

/* Until every group in [0, k) has a grid: a vertex that leaves the largest group (by grids)
 * connected starts the next empty group. */
static void fill_empty_groups(int32_t n, const int32_t *xadj, const int32_t *adjncy,
                              int32_t *group, int32_t k, int32_t *queue, uint8_t *seen,
                              int32_t *count)
{
    for (;;) {
        memset(count, 0, (size_t)k * sizeof *count);
        for (int32_t v = 0; v < n; v++) {
            count[group[v]]++;
        }
        int32_t empty = -1, big = 0;
        for (int32_t q = 0; q < k; q++) {
            empty = empty < 0 && count[q] == 0 ? q : empty;
            big = count[q] > count[big] ? q : big;
        }
        if (empty < 0 || count[big] < 2) {
            return;
        }
        group[removable(n, xadj, adjncy, group, big, queue, seen)] = empty;
    }
}

gp_status gp_grid_groups(gp_context *ctx, int32_t n, const int32_t *xadj, const int32_t *adjncy,
                         const int64_t *households, const double *workload, int32_t k,
                         uint64_t seed, int32_t *group, int *pooled)
{
    *pooled = 0;
    int32_t *comp = gp_malloc(((size_t)n + 1) * sizeof *comp);
    int32_t *queue = gp_malloc(((size_t)n + 1) * sizeof *queue);
    int32_t *local = gp_malloc(((size_t)n + 1) * sizeof *local);
    int32_t *size = gp_calloc((size_t)n + 1, sizeof *size);
    int32_t *kc = gp_calloc((size_t)n + 1, sizeof *kc);
    int32_t *vs = gp_malloc(((size_t)n + 1) * sizeof *vs);
    double *load = gp_calloc((size_t)n + 1, sizeof *load);
    uint8_t *seen = gp_malloc((size_t)n + 1);
    gp_status st = GP_OK;
    if (!comp || !queue || !local || !size || !kc || !vs || !load || !seen) {
        st = gp_error_nomem(ctx, "the workers' grid groups");
        goto done;
    }
    int32_t nc = components(n, xadj, adjncy, comp, queue);
    for (int32_t v = 0; v < n; v++) {
        local[v] = size[comp[v]]++;
        load[comp[v]] += workload[v];
    }
    if (nc > k) {
        /* More parts than workers: pool whole parts, heaviest first, onto the least loaded
         * worker; some worker then holds grids that do not touch. */
        *pooled = 1;
        double *held = gp_calloc((size_t)k, sizeof *held);
        if (held == NULL) {
            st = gp_error_nomem(ctx, "the workers' grid groups");
            goto done;
        }
        for (int32_t done_parts = 0; done_parts < nc; done_parts++) {
            int32_t c = -1;
            for (int32_t x = 0; x < nc; x++) {
                c = kc[x] == 0 && (c < 0 || load[x] > load[c]) ? x : c;
            }
            int32_t q = done_parts < k ? done_parts : 0; /* every worker gets a part */
            for (int32_t y = 1; done_parts >= k && y < k; y++) {
                q = held[y] < held[q] ? y : q;
            }
            kc[c] = 1;
            held[q] += load[c];
            for (int32_t v = 0; v < n; v++) {
                group[v] = comp[v] == c ? q : group[v];
            }
        }
        gp_free(held);
        goto done;
    }
    share_workers(nc, size, load, k, kc);
    for (int32_t c = 0, base = 0; c < nc && st == GP_OK; base += kc[c], c++) {
        int32_t m = 0;
        for (int32_t v = 0; v < n; v++) {
            if (comp[v] == c) {
                vs[m++] = v;
            }
        }
        st = divide_part(ctx, vs, m, xadj, adjncy, households, workload, kc[c], seed, base,
                         group, local);
    }
    if (st == GP_OK) {
        fill_empty_groups(n, xadj, adjncy, group, k, queue, seen, size);
    }
done:
    gp_free(comp);
    gp_free(queue);
    gp_free(local);
    gp_free(size);
    gp_free(kc);
    gp_free(vs);
    gp_free(load);
    gp_free(seen);
    return st;
}
