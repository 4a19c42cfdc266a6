/* SPDX-License-Identifier: MIT */
/** @file graph.c gp_graph: copies and validates a METIS-style CSR graph and its weights. */

#include "graph.h"

#include "core/context.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One adjacency entry while checking symmetry: sorted by neighbour, remembering its index. */
typedef struct {
    int32_t nbr;
    int32_t entry;
} gp_entry;

static int gp_entry_cmp(const void *a, const void *b)
{
    const gp_entry *x = a;
    const gp_entry *y = b;
    return (x->nbr > y->nbr) - (x->nbr < y->nbr);
}

/* Finds the entry of u's sorted row that points at v, or -1. */
static int32_t gp_find_entry(const gp_entry *sorted, const int32_t *xadj, int32_t u, int32_t v)
{
    int32_t lo = xadj[u];
    int32_t hi = xadj[u + 1];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid].nbr < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < xadj[u + 1] && sorted[lo].nbr == v) ? sorted[lo].entry : -1;
}

/*
 * Checks offsets and ranges, then sorts a copy of every row to find repeated neighbours and
 * the reverse entry of every edge in O(m log d); a missing reverse entry is an asymmetric edge.
 */
static gp_status gp_graph_check(gp_context *ctx, gp_graph *g, const int32_t *xadj,
                                const int32_t *adjncy)
{
    gp_status status = GP_OK;
    gp_entry *sorted = NULL;
    int32_t n = g->n;
    if (xadj[0] != 0) {
        status = gp_error(ctx, GP_ERR_ARG, "graph: xadj[0] is %d, expected 0", (int)xadj[0]);
        goto done;
    }
    for (int32_t v = 0; v < n; v++) {
        if (xadj[v + 1] < xadj[v]) {
            status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: xadj decreases (%d then %d)",
                              (int)v, (int)xadj[v], (int)xadj[v + 1]);
            goto done;
        }
    }
    int32_t m = xadj[n];
    if (m > 0 && adjncy == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "graph: adjncy is NULL but xadj[n] is %d", (int)m);
        goto done;
    }
    for (int32_t v = 0; v < n; v++) {
        for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
            int32_t u = adjncy[e];
            if (u < 0 || u >= n) {
                status = gp_error(ctx, GP_ERR_ARG,
                                  "graph: vertex %d: neighbour %d is out of range [0, %d)", (int)v,
                                  (int)u, (int)n);
                goto done;
            }
            if (u == v) {
                status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: self-loop", (int)v);
                goto done;
            }
        }
    }
    sorted = gp_malloc(sizeof *sorted * (size_t)(m > 0 ? m : 1));
    if (sorted == NULL) {
        status = gp_error_nomem(ctx, "graph adjacency check");
        goto done;
    }
    for (int32_t e = 0; e < m; e++) {
        sorted[e].nbr = adjncy[e];
        sorted[e].entry = e;
    }
    for (int32_t v = 0; v < n; v++) {
        int32_t d = xadj[v + 1] - xadj[v];
        qsort(sorted + xadj[v], (size_t)d, sizeof *sorted, gp_entry_cmp);
        for (int32_t e = xadj[v] + 1; e < xadj[v + 1]; e++) {
            if (sorted[e].nbr == sorted[e - 1].nbr) {
                status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: neighbour %d is repeated",
                                  (int)v, (int)sorted[e].nbr);
                goto done;
            }
        }
    }
    for (int32_t v = 0; v < n; v++) {
        for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
            int32_t u = adjncy[e];
            int32_t r = gp_find_entry(sorted, xadj, u, v);
            if (r < 0) {
                status = gp_error(ctx, GP_ERR_ARG,
                                  "graph: vertex %d lists neighbour %d but vertex %d does not "
                                  "list %d (asymmetric edge)",
                                  (int)v, (int)u, (int)u, (int)v);
                goto done;
            }
            g->rev[e] = r;
        }
    }
done:
    gp_free(sorted);
    return status;
}

gp_status gp_graph_new(gp_context *ctx, int32_t n, const int32_t *xadj, const int32_t *adjncy,
                       gp_graph **out)
{
    gp_status status = GP_OK;
    gp_graph *g = NULL;
    if (out == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_new: out is NULL");
        goto done;
    }
    *out = NULL;
    if (n < 0 || n == INT32_MAX) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_new: vertex count %d is out of range", (int)n);
        goto done;
    }
    if (n > 0 && xadj == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_new: xadj is NULL for %d vertices", (int)n);
        goto done;
    }
    g = gp_calloc(1, sizeof *g);
    if (g == NULL) {
        status = gp_error_nomem(ctx, "graph");
        goto done;
    }
    g->n = n;
    g->xadj = gp_calloc((size_t)n + 1, sizeof *g->xadj);
    if (g->xadj == NULL) {
        status = gp_error_nomem(ctx, "graph offsets");
        goto done;
    }
    if (n == 0) {
        /* An empty graph has nothing to validate: xadj may even be NULL. */
        g->adjncy = gp_calloc(1, sizeof *g->adjncy);
        g->rev = gp_calloc(1, sizeof *g->rev);
        g->ecost = gp_calloc(1, sizeof *g->ecost);
        if (g->adjncy == NULL || g->rev == NULL || g->ecost == NULL) {
            status = gp_error_nomem(ctx, "graph edges");
            goto done;
        }
        *out = g;
        g = NULL;
        goto done;
    }
    if (xadj[0] != 0 || xadj[n] < 0) {
        status = gp_error(ctx, GP_ERR_ARG, "graph: xadj[0] is %d and xadj[n] is %d", (int)xadj[0],
                          (int)xadj[n]);
        goto done;
    }
    size_t m = (size_t)xadj[n];
    g->adjncy = gp_malloc(sizeof *g->adjncy * (m ? m : 1));
    g->rev = gp_malloc(sizeof *g->rev * (m ? m : 1));
    g->ecost = gp_malloc(sizeof *g->ecost * (m ? m : 1));
    if (g->adjncy == NULL || g->rev == NULL || g->ecost == NULL) {
        status = gp_error_nomem(ctx, "graph edges");
        goto done;
    }
    status = gp_graph_check(ctx, g, xadj, adjncy);
    if (status != GP_OK) {
        goto done;
    }
    memcpy(g->xadj, xadj, sizeof *g->xadj * ((size_t)n + 1));
    if (m > 0) {
        memcpy(g->adjncy, adjncy, sizeof *g->adjncy * m);
    }
    for (size_t e = 0; e < m; e++) {
        g->ecost[e] = 1.0;
    }
    *out = g;
    g = NULL;
done:
    gp_graph_free(g);
    return status;
}

void gp_graph_free(gp_graph *graph)
{
    if (graph == NULL) {
        return;
    }
    gp_free(graph->xadj);
    gp_free(graph->adjncy);
    gp_free(graph->rev);
    gp_free(graph->households);
    gp_free(graph->workload);
    gp_free(graph->border);
    gp_free(graph->ecost);
    gp_free(graph->area);
    gp_free(graph->perimeter);
    gp_free(graph->previous);
    gp_free(graph);
}

/* Copies n doubles after checking each is finite and >= 0; `what` names the array. */
static gp_status gp_copy_nonneg(gp_context *ctx, const char *what, const double *in, int32_t n,
                                double **out)
{
    gp_status status = GP_OK;
    double *copy = NULL;
    for (int32_t v = 0; v < n; v++) {
        if (!isfinite(in[v]) || in[v] < 0) {
            status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: %s %g is not finite and >= 0",
                              (int)v, what, in[v]);
            goto done;
        }
    }
    copy = gp_malloc(sizeof *copy * (size_t)(n > 0 ? n : 1));
    if (copy == NULL) {
        status = gp_error_nomem(ctx, what);
        goto done;
    }
    if (n > 0) {
        memcpy(copy, in, sizeof *copy * (size_t)n);
    }
    gp_free(*out);
    *out = copy;
done:
    return status;
}

gp_status gp_graph_set_households(gp_context *ctx, gp_graph *graph, const int64_t *households)
{
    gp_status status = GP_OK;
    int64_t *copy = NULL;
    if (graph == NULL || (households == NULL && graph->n > 0)) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_set_households: graph or households is NULL");
        goto done;
    }
    for (int32_t v = 0; v < graph->n; v++) {
        if (households[v] < 0) {
            status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: households %lld is negative",
                              (int)v, (long long)households[v]);
            goto done;
        }
        if (households[v] > GP_HOUSEHOLDS_LIMIT) {
            status = gp_error(ctx, GP_ERR_LIMIT,
                              "graph: vertex %d: households %lld is above the limit of %lld per "
                              "vertex",
                              (int)v, (long long)households[v], (long long)GP_HOUSEHOLDS_LIMIT);
            goto done;
        }
    }
    copy = gp_malloc(sizeof *copy * (size_t)(graph->n > 0 ? graph->n : 1));
    if (copy == NULL) {
        status = gp_error_nomem(ctx, "households");
        goto done;
    }
    if (graph->n > 0) {
        memcpy(copy, households, sizeof *copy * (size_t)graph->n);
    }
    gp_free(graph->households);
    graph->households = copy;
done:
    return status;
}

gp_status gp_graph_set_workload(gp_context *ctx, gp_graph *graph, const double *workload)
{
    if (graph == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_graph_set_workload: graph is NULL");
    }
    if (workload == NULL) {
        gp_free(graph->workload);
        graph->workload = NULL;
        return GP_OK;
    }
    return gp_copy_nonneg(ctx, "workload", workload, graph->n, &graph->workload);
}

gp_status gp_graph_set_edges(gp_context *ctx, gp_graph *graph, const double *border_length,
                             const double *cut_cost)
{
    gp_status status = GP_OK;
    double *border = NULL;
    double *ecost = NULL;
    if (graph == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_set_edges: graph is NULL");
        goto done;
    }
    int32_t m = graph->xadj[graph->n];
    for (int32_t v = 0; v < graph->n; v++) {
        for (int32_t e = graph->xadj[v]; e < graph->xadj[v + 1]; e++) {
            int32_t u = graph->adjncy[e];
            int32_t r = graph->rev[e];
            if (border_length != NULL && (!isfinite(border_length[e]) || border_length[e] < 0 ||
                                          border_length[e] != border_length[r])) {
                status = gp_error(ctx, GP_ERR_ARG,
                                  "graph: edge %d-%d: border length %g is negative, not finite "
                                  "or differs from the reverse direction (%g)",
                                  (int)v, (int)u, border_length[e], border_length[r]);
                goto done;
            }
            if (cut_cost != NULL &&
                (!isfinite(cut_cost[e]) || cut_cost[e] <= 0 || cut_cost[e] != cut_cost[r])) {
                status = gp_error(ctx, GP_ERR_ARG,
                                  "graph: edge %d-%d: cut cost %g is not positive and finite or "
                                  "differs from the reverse direction (%g)",
                                  (int)v, (int)u, cut_cost[e], cut_cost[r]);
                goto done;
            }
        }
    }
    size_t sz = (size_t)(m > 0 ? m : 1);
    ecost = gp_malloc(sizeof *ecost * sz);
    if (ecost == NULL) {
        status = gp_error_nomem(ctx, "edge costs");
        goto done;
    }
    if (border_length != NULL) {
        border = gp_malloc(sizeof *border * sz);
        if (border == NULL) {
            status = gp_error_nomem(ctx, "border lengths");
            goto done;
        }
        if (m > 0) {
            memcpy(border, border_length, sizeof *border * (size_t)m);
        }
    }
    for (int32_t e = 0; e < m; e++) {
        ecost[e] = (border_length ? border_length[e] : 1.0) * (cut_cost ? cut_cost[e] : 1.0);
    }
    gp_free(graph->border);
    gp_free(graph->ecost);
    graph->border = border;
    graph->ecost = ecost;
    border = NULL;
    ecost = NULL;
done:
    gp_free(border);
    gp_free(ecost);
    return status;
}

gp_status gp_graph_set_shape(gp_context *ctx, gp_graph *graph, const double *area,
                             const double *perimeter)
{
    gp_status status = GP_OK;
    double *a = NULL;
    double *p = NULL;
    if (graph == NULL || ((area == NULL || perimeter == NULL) && graph->n > 0)) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_set_shape: graph, area or perimeter is NULL");
        goto done;
    }
    status = gp_copy_nonneg(ctx, "area", area, graph->n, &a);
    if (status != GP_OK) {
        goto done;
    }
    status = gp_copy_nonneg(ctx, "perimeter", perimeter, graph->n, &p);
    if (status != GP_OK) {
        goto done;
    }
    gp_free(graph->area);
    gp_free(graph->perimeter);
    graph->area = a;
    graph->perimeter = p;
    a = NULL;
    p = NULL;
done:
    gp_free(a);
    gp_free(p);
    return status;
}

gp_status gp_graph_set_previous(gp_context *ctx, gp_graph *graph, const int32_t *previous)
{
    gp_status status = GP_OK;
    int32_t *copy = NULL;
    if (graph == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_graph_set_previous: graph is NULL");
        goto done;
    }
    if (previous == NULL) {
        gp_free(graph->previous);
        graph->previous = NULL;
        goto done;
    }
    for (int32_t v = 0; v < graph->n; v++) {
        if (previous[v] < -1) {
            status = gp_error(ctx, GP_ERR_ARG, "graph: vertex %d: previous grid %d is below -1",
                              (int)v, (int)previous[v]);
            goto done;
        }
    }
    copy = gp_malloc(sizeof *copy * (size_t)(graph->n > 0 ? graph->n : 1));
    if (copy == NULL) {
        status = gp_error_nomem(ctx, "previous assignment");
        goto done;
    }
    if (graph->n > 0) {
        memcpy(copy, previous, sizeof *copy * (size_t)graph->n);
    }
    gp_free(graph->previous);
    graph->previous = copy;
done:
    return status;
}
