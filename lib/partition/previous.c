/* SPDX-License-Identifier: MIT */
/**
 * @file previous.c A previous division of one component: how many grids it had and whether it
 * still holds. A division that holds is kept exactly, without a search: a year in which
 * nothing changed gives the same grids, and `adjust` on its own output moves nothing.
 */

#include "previous.h"

#include "core/memory.h"

#include <stdlib.h>

struct gp_previous_work {
    int64_t *key;  /* (previous grid, position) pairs, sorted */
    int32_t *pos;  /* per vertex: position in the component, or -1 */
    int32_t *queue;
    int64_t *hh;   /* per grid */
    double *load;  /* per grid */
    int32_t *size; /* per grid: vertices */
    uint8_t *seen; /* per position */
    int32_t n;
};

gp_previous_work *gp_previous_work_new(int32_t n)
{
    gp_previous_work *pw = gp_calloc(1, sizeof *pw);
    if (pw == NULL) {
        return NULL;
    }
    size_t nn = (size_t)n + 1;
    pw->n = n;
    pw->key = gp_malloc(nn * sizeof *pw->key);
    pw->pos = gp_malloc(nn * sizeof *pw->pos);
    pw->queue = gp_malloc(nn * sizeof *pw->queue);
    pw->hh = gp_malloc(nn * sizeof *pw->hh);
    pw->load = gp_malloc(nn * sizeof *pw->load);
    pw->size = gp_malloc(nn * sizeof *pw->size);
    pw->seen = gp_malloc(nn);
    if (!pw->key || !pw->pos || !pw->queue || !pw->hh || !pw->load || !pw->size || !pw->seen) {
        gp_previous_work_free(pw);
        return NULL;
    }
    for (int32_t v = 0; v < n; v++) {
        pw->pos[v] = -1;
    }
    return pw;
}

void gp_previous_work_free(gp_previous_work *pw)
{
    if (pw == NULL) {
        return;
    }
    gp_free(pw->key);
    gp_free(pw->pos);
    gp_free(pw->queue);
    gp_free(pw->hh);
    gp_free(pw->load);
    gp_free(pw->size);
    gp_free(pw->seen);
    gp_free(pw);
}

static int gp_key_order(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x;
    int64_t b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Sorts the (previous grid, position) pairs of the labelled vertices; returns their count. */
static int32_t gp_sorted_keys(gp_previous_work *pw, const gp_graph *g, const int32_t *vs,
                              int32_t nv)
{
    int32_t nk = 0;
    for (int32_t i = 0; i < nv; i++) {
        int32_t p = g->previous[vs[i]];
        if (p >= 0) {
            pw->key[nk++] = ((int64_t)p << 32) | (int64_t)i;
        }
    }
    qsort(pw->key, (size_t)nk, sizeof *pw->key, gp_key_order);
    return nk;
}

int32_t gp_previous_count(gp_previous_work *pw, const gp_graph *g, const int32_t *vs, int32_t nv)
{
    int32_t nk = gp_sorted_keys(pw, g, vs, nv);
    int32_t count = 0;
    for (int32_t j = 0; j < nk; j++) {
        count += j == 0 || (pw->key[j] >> 32) != (pw->key[j - 1] >> 32);
    }
    return count;
}

/* Whether every grid of `lab` is connected in the component: one search per grid. */
static int gp_grids_connected(gp_previous_work *pw, const gp_graph *g, const int32_t *vs,
                              int32_t nv, const uint8_t *skip, const int32_t *lab, int32_t k)
{
    for (int32_t i = 0; i < nv; i++) {
        pw->pos[vs[i]] = i;
    }
    int ok = 1;
    uint8_t *seen = pw->seen;
    for (int32_t i = 0; i < nv; i++) {
        seen[i] = 0;
    }
    int32_t *size = pw->size;
    for (int32_t c = 0; c < k; c++) {
        size[c] = 0;
    }
    for (int32_t i = 0; i < nv; i++) {
        size[lab[i]]++;
    }
    for (int32_t i = 0; i < nv && ok; i++) {
        if (seen[i]) {
            continue;
        }
        int32_t c = lab[i];
        int32_t h = 0, t = 0;
        pw->queue[t++] = i;
        seen[i] = 1;
        while (h < t) {
            int32_t v = vs[pw->queue[h++]];
            for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
                int32_t u = g->adjncy[e];
                int32_t j = skip[u] ? -1 : pw->pos[u];
                if (j >= 0 && !seen[j] && lab[j] == c) {
                    seen[j] = 1;
                    pw->queue[t++] = j;
                }
            }
        }
        ok = t == size[c]; /* the first piece of a grid must be all of it */
    }
    for (int32_t i = 0; i < nv; i++) {
        pw->pos[vs[i]] = -1;
    }
    return ok;
}

int gp_previous_holds(gp_previous_work *pw, const gp_graph *g, const int32_t *vs, int32_t nv,
                      const gp_previous_rules *rules, int32_t *lab)
{
    int32_t nk = gp_sorted_keys(pw, g, vs, nv);
    if (nk != nv || nv == 0) {
        return 0; /* some vertex had no grid */
    }
    /* Grids numbered in order of their previous ids first, then renumbered by lowest position
     * below, so that the numbering does not depend on the previous ids. */
    int32_t k = 0;
    for (int32_t j = 0; j < nk; j++) {
        if (j > 0 && (pw->key[j] >> 32) != (pw->key[j - 1] >> 32)) {
            k++;
        }
        lab[pw->key[j] & 0xffffffff] = k;
    }
    k++;
    if (k != rules->k) {
        return 0;
    }
    for (int32_t c = 0; c < k; c++) {
        pw->hh[c] = 0;
        pw->load[c] = 0;
    }
    for (int32_t i = 0; i < nv; i++) {
        pw->hh[lab[i]] += g->households[vs[i]];
        pw->load[lab[i]] += rules->load[vs[i]];
    }
    for (int32_t c = 0; c < k; c++) {
        if (pw->hh[c] < rules->min || pw->hh[c] > rules->max ||
            (rules->cap > 0 && pw->load[c] > rules->cap)) {
            return 0;
        }
    }
    if (!gp_grids_connected(pw, g, vs, nv, rules->skip, lab, k)) {
        return 0;
    }
    /* Renumber by lowest position. */
    int32_t *map = pw->queue;
    for (int32_t c = 0; c < k; c++) {
        map[c] = -1;
    }
    int32_t next = 0;
    for (int32_t i = 0; i < nv; i++) {
        if (map[lab[i]] < 0) {
            map[lab[i]] = next++;
        }
        lab[i] = map[lab[i]];
    }
    return 1;
}
