/* SPDX-License-Identifier: MIT */
/** @file synth_city.c A seeded synthetic city graph for benchmarks and tests. */

#include "synth_city.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t gp_synth_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double gp_synth_unit(uint64_t *s)
{
    return (double)(gp_synth_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

void gp_synth_city_free(gp_synth_city *c)
{
    if (c == NULL) {
        return;
    }
    free(c->xadj);
    free(c->adjncy);
    free(c->border);
    free(c->cut_cost);
    free(c->households);
    free(c->area);
    free(c->perimeter);
    memset(c, 0, sizeof *c);
}

int gp_synth_city_new(int32_t n_want, uint64_t seed, gp_synth_city *c)
{
    memset(c, 0, sizeof *c);
    uint64_t s = seed * 0x2545F4914F6CDD1DULL + 7;
    int32_t cols = (int32_t)ceil(sqrt((double)(n_want > 1 ? n_want : 1)));
    int32_t rows = (n_want + cols - 1) / cols;
    if (rows < 1) {
        rows = 1;
    }
    int32_t n = cols * rows;
    double *colw = malloc(sizeof *colw * (size_t)cols);
    double *rowh = malloc(sizeof *rowh * (size_t)rows);
    uint8_t *art_col = calloc((size_t)cols + 1, 1);
    uint8_t *art_row = calloc((size_t)rows + 1, 1);
    /* Right and down edges of each block: 0 absent (the city's edge), else the street class (1
     * arterial, 2 minor, 3 alley, 4 no street). */
    uint8_t *right = calloc((size_t)n, 1);
    uint8_t *down = calloc((size_t)n, 1);
    c->n = n;
    c->xadj = calloc((size_t)n + 1, sizeof *c->xadj);
    c->households = malloc(sizeof *c->households * (size_t)n);
    c->area = malloc(sizeof *c->area * (size_t)n);
    c->perimeter = malloc(sizeof *c->perimeter * (size_t)n);
    int rc = -1;
    if (!colw || !rowh || !art_col || !art_row || !right || !down || !c->xadj || !c->households ||
        !c->area || !c->perimeter) {
        goto done;
    }
    for (int32_t i = 0; i < cols; i++) {
        colw[i] = 70 + 60 * gp_synth_unit(&s);
    }
    for (int32_t j = 0; j < rows; j++) {
        rowh[j] = 70 + 60 * gp_synth_unit(&s);
    }
    /* Arterials run between columns/rows every 6 to 10 blocks. */
    for (int32_t i = 3 + (int32_t)(gp_synth_next(&s) % 4); i < cols;
         i += 6 + (int32_t)(gp_synth_next(&s) % 5)) {
        art_col[i] = 1;
    }
    for (int32_t j = 3 + (int32_t)(gp_synth_next(&s) % 4); j < rows;
         j += 6 + (int32_t)(gp_synth_next(&s) % 5)) {
        art_row[j] = 1;
    }
    int32_t m = 0;
    for (int32_t j = 0; j < rows; j++) {
        for (int32_t i = 0; i < cols; i++) {
            int32_t v = j * cols + i;
            double u = gp_synth_unit(&s);
            if (i + 1 < cols) {
                int cls = art_col[i + 1] ? 1 : (u < 0.1 ? 3 : 2);
                /* A few minor streets are missing (unmapped or never built); arterials never are.
                 * The two blocks then touch with no street between them: a border there would
                 * cut through a block, which the dearest cost (class 4) discourages. */
                right[v] = (cls != 1 && gp_synth_unit(&s) < 0.04) ? 4 : (uint8_t)cls;
                m += right[v] ? 2 : 0;
            }
            u = gp_synth_unit(&s);
            if (j + 1 < rows) {
                int cls = art_row[j + 1] ? 1 : (u < 0.1 ? 3 : 2);
                down[v] = (cls != 1 && gp_synth_unit(&s) < 0.04) ? 4 : (uint8_t)cls;
                m += down[v] ? 2 : 0;
            }
            double w = colw[i] * (0.9 + 0.2 * gp_synth_unit(&s));
            double h = rowh[j] * (0.9 + 0.2 * gp_synth_unit(&s));
            c->area[v] = w * h;
            c->perimeter[v] = 2 * (w + h);
            double r = gp_synth_unit(&s);
            if (r < 0.03) {
                c->households[v] = 0; /* park */
            } else {
                double q = gp_synth_unit(&s);
                c->households[v] = 20 + (int64_t)(180 * q * q);
            }
        }
    }
    int32_t compounds = n / 2500 + (n >= 500 ? 1 : 0);
    for (int32_t k = 0; k < compounds; k++) {
        int32_t v = (int32_t)(gp_synth_next(&s) % (uint64_t)n);
        c->households[v] = 600 + (int64_t)(gp_synth_next(&s) % 1401);
    }
    c->adjncy = malloc(sizeof *c->adjncy * (size_t)(m + 1));
    c->border = malloc(sizeof *c->border * (size_t)(m + 1));
    c->cut_cost = malloc(sizeof *c->cut_cost * (size_t)(m + 1));
    if (!c->adjncy || !c->border || !c->cut_cost) {
        goto done;
    }
    static const double cost_of[5] = {0, 0.2, 1.0, 3.0, 10.0};
    int32_t e = 0;
    for (int32_t j = 0; j < rows; j++) {
        for (int32_t i = 0; i < cols; i++) {
            int32_t v = j * cols + i;
            c->xadj[v] = e;
            /* Neighbours in a fixed order: up, left, right, down. */
            if (j > 0 && down[v - cols]) {
                c->adjncy[e] = v - cols;
                c->border[e] = colw[i];
                c->cut_cost[e++] = cost_of[down[v - cols]];
            }
            if (i > 0 && right[v - 1]) {
                c->adjncy[e] = v - 1;
                c->border[e] = rowh[j];
                c->cut_cost[e++] = cost_of[right[v - 1]];
            }
            if (i + 1 < cols && right[v]) {
                c->adjncy[e] = v + 1;
                c->border[e] = rowh[j];
                c->cut_cost[e++] = cost_of[right[v]];
            }
            if (j + 1 < rows && down[v]) {
                c->adjncy[e] = v + cols;
                c->border[e] = colw[i];
                c->cut_cost[e++] = cost_of[down[v]];
            }
        }
    }
    c->xadj[n] = e;
    rc = 0;
done:
    free(colw);
    free(rowh);
    free(art_col);
    free(art_row);
    free(right);
    free(down);
    if (rc != 0) {
        gp_synth_city_free(c);
    }
    return rc;
}
