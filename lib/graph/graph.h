/* SPDX-License-Identifier: MIT */
/** @file graph.h Internal view of gp_graph: a validated CSR graph with vertex and edge weights. */

#ifndef GP_GRAPH_GRAPH_H
#define GP_GRAPH_GRAPH_H

#include "gridpart.h"

/* The most households one vertex (one input feature) may hold: 2^40 keeps every sum over a
 * graph, or over millions of features, far from int64 overflow. */
#define GP_HOUSEHOLDS_LIMIT ((int64_t)1 << 40)

/*
 * Every array is owned by the graph and indexed like the caller's input: vertex arrays by
 * vertex, edge arrays by adjacency entry. Optional arrays are NULL until set; `ecost` is always
 * present and holds border length x cut cost per entry, the quantity the optimizer minimises.
 */
struct gp_graph {
    int32_t n;
    int32_t *xadj;       /* n + 1 offsets */
    int32_t *adjncy;     /* xadj[n] neighbours */
    int32_t *rev;        /* rev[e]: the entry of the opposite direction of edge e */
    int64_t *households; /* NULL until gp_graph_set_households */
    double *workload;    /* NULL: the households */
    double *border;      /* NULL: 1 per entry */
    double *ecost;       /* border x cut cost per entry; 1 by default */
    double *area;        /* NULL: no shape data */
    double *perimeter;   /* NULL: no shape data */
    int32_t *previous;   /* NULL: no previous assignment */
};

#endif /* GP_GRAPH_GRAPH_H */
