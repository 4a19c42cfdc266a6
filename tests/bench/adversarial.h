/* SPDX-License-Identifier: MIT */
/** @file adversarial.h Graphs built to make the optimizer slow (issue #15): long paths, stars,
 * large lattices, ladders and one huge vertex among tiny ones, in CSR form. */

#ifndef GP_BENCH_ADVERSARIAL_H
#define GP_BENCH_ADVERSARIAL_H

#include <stdint.h>

typedef struct {
    const char *name;
    int32_t n;
    int32_t *xadj;      /* n + 1 */
    int32_t *adjncy;    /* xadj[n] */
    int64_t *households; /* n */
} gp_adv_graph;

/* The shapes; gp_adv_new builds one. */
typedef enum {
    GP_ADV_PATH,    /* n vertices in a line, `hh` households each */
    GP_ADV_STAR,    /* one centre and n - 1 leaves, `hh` each */
    GP_ADV_LATTICE, /* side x side grid (n = side^2), `hh` each */
    GP_ADV_LADDER,  /* two rails of n / 2 with rungs, `hh` each */
    GP_ADV_HUGE     /* lattice of `hh` each whose centre vertex holds 100 x 500 households */
} gp_adv_shape;

/* Builds the graph of about n vertices; 0, or -1 when out of memory. */
int gp_adv_new(gp_adv_shape shape, int32_t n, int64_t hh, gp_adv_graph *out);
void gp_adv_free(gp_adv_graph *g);

#endif /* GP_BENCH_ADVERSARIAL_H */
