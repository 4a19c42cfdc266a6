/* SPDX-License-Identifier: MIT */
/** @file synth_city.h A seeded synthetic city: street blocks on a perturbed lattice as a graph. */

#ifndef GP_SYNTH_CITY_H
#define GP_SYNTH_CITY_H

#include <stdint.h>

/* A CSR graph of street blocks with everything gp_graph takes. Free with gp_synth_city_free. */
typedef struct {
    int32_t n;
    int32_t *xadj;
    int32_t *adjncy;
    double *border;   /* shared street length per adjacency entry, metres */
    double *cut_cost; /* per metre: 0.2 on arterials, 1 on minor streets, 3 on alleys */
    int64_t *households;
    double *area;      /* square metres */
    double *perimeter; /* metres */
} gp_synth_city;

/*
 * Generates about n blocks (a near-square lattice of columns x rows of varied widths), with
 * arterials every few rows and columns, some dead ends removed from the lattice, blocks of 20 to
 * 200 households skewed towards small ones, about 3% empty blocks (parks) and one gated compound
 * of 600 to 2,000 households per 2,500 blocks. Returns 0, or -1 when out of memory.
 */
int gp_synth_city_new(int32_t n, uint64_t seed, gp_synth_city *out);
void gp_synth_city_free(gp_synth_city *city);

#endif /* GP_SYNTH_CITY_H */
