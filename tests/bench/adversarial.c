/* SPDX-License-Identifier: MIT */
/** @file adversarial.c Adversarial graphs for the optimizer (see adversarial.h). */

#include "adversarial.h"

#include <math.h>
#include <stdlib.h>

/* Edges are collected as pairs, then laid out in CSR order of their first vertex. */
typedef struct {
    int32_t *a;
    int32_t *b;
    int64_t m;
} gp_adv_edges;

static void gp_adv_edge(gp_adv_edges *ed, int32_t a, int32_t b)
{
    ed->a[ed->m] = a;
    ed->b[ed->m++] = b;
}

static int gp_adv_csr(gp_adv_graph *g, const gp_adv_edges *ed)
{
    g->xadj = calloc((size_t)g->n + 1, sizeof *g->xadj);
    g->adjncy = malloc(sizeof *g->adjncy * (size_t)(2 * ed->m + 1));
    if (g->xadj == NULL || g->adjncy == NULL) {
        return -1;
    }
    for (int64_t i = 0; i < ed->m; i++) {
        g->xadj[ed->a[i] + 1]++;
        g->xadj[ed->b[i] + 1]++;
    }
    for (int32_t v = 0; v < g->n; v++) {
        g->xadj[v + 1] += g->xadj[v];
    }
    int32_t *fill = malloc(sizeof *fill * ((size_t)g->n + 1));
    if (fill == NULL) {
        return -1;
    }
    for (int32_t v = 0; v <= g->n; v++) {
        fill[v] = g->xadj[v];
    }
    for (int64_t i = 0; i < ed->m; i++) {
        g->adjncy[fill[ed->a[i]]++] = ed->b[i];
        g->adjncy[fill[ed->b[i]]++] = ed->a[i];
    }
    free(fill);
    return 0;
}

static void gp_adv_lattice(gp_adv_edges *ed, int32_t side)
{
    for (int32_t r = 0; r < side; r++) {
        for (int32_t c = 0; c < side; c++) {
            int32_t v = r * side + c;
            if (c + 1 < side) {
                gp_adv_edge(ed, v, v + 1);
            }
            if (r + 1 < side) {
                gp_adv_edge(ed, v, v + side);
            }
        }
    }
}

int gp_adv_new(gp_adv_shape shape, int32_t n, int64_t hh, gp_adv_graph *out)
{
    static const char *names[] = {"path", "star", "lattice", "ladder", "huge"};
    gp_adv_graph g = {names[shape], n, NULL, NULL, NULL};
    int32_t side = (int32_t)lround(sqrt((double)n));
    if (shape == GP_ADV_LATTICE || shape == GP_ADV_HUGE) {
        g.n = side * side;
    } else if (shape == GP_ADV_LADDER) {
        g.n = n / 2 * 2;
    }
    gp_adv_edges ed = {malloc(sizeof(int32_t) * 2 * (size_t)g.n), malloc(sizeof(int32_t) * 2 * (size_t)g.n), 0};
    g.households = malloc(sizeof *g.households * (size_t)g.n);
    int rc = -1;
    if (ed.a == NULL || ed.b == NULL || g.households == NULL) {
        goto done;
    }
    for (int32_t v = 0; v < g.n; v++) {
        g.households[v] = hh;
    }
    switch (shape) {
    case GP_ADV_PATH:
        for (int32_t v = 0; v + 1 < g.n; v++) {
            gp_adv_edge(&ed, v, v + 1);
        }
        break;
    case GP_ADV_STAR:
        for (int32_t v = 1; v < g.n; v++) {
            gp_adv_edge(&ed, 0, v);
        }
        break;
    case GP_ADV_LATTICE:
        gp_adv_lattice(&ed, side);
        break;
    case GP_ADV_LADDER:
        for (int32_t i = 0; i < g.n / 2; i++) {
            gp_adv_edge(&ed, 2 * i, 2 * i + 1);
            if (2 * i + 2 < g.n) {
                gp_adv_edge(&ed, 2 * i, 2 * i + 2);
                gp_adv_edge(&ed, 2 * i + 1, 2 * i + 3);
            }
        }
        break;
    case GP_ADV_HUGE:
        gp_adv_lattice(&ed, side);
        g.households[(side / 2) * side + side / 2] = 100 * 500;
        break;
    }
    rc = gp_adv_csr(&g, &ed);
done:
    free(ed.a);
    free(ed.b);
    if (rc != 0) {
        gp_adv_free(&g);
        return rc;
    }
    *out = g;
    return 0;
}

void gp_adv_free(gp_adv_graph *g)
{
    free(g->xadj);
    free(g->adjncy);
    free(g->households);
    g->xadj = NULL;
    g->adjncy = NULL;
    g->households = NULL;
}
