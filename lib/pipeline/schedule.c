/* SPDX-License-Identifier: MIT */
/** @file schedule.c Communities handed to the workers longest first (schedule.h). */

#include "schedule.h"

#include "core/memory.h"

#include <stdlib.h>

double gp_schedule_cost(int64_t households, int needs_cut)
{
    return (double)households * (needs_cut ? GP_SCHEDULE_CUT_FACTOR : 1.0);
}

typedef struct {
    double cost;
    int32_t index;
} costed;

static int cmp_costed(const void *pa, const void *pb)
{
    const costed *a = pa, *b = pb;
    if (a->cost != b->cost) {
        return a->cost > b->cost ? -1 : 1;
    }
    return (a->index > b->index) - (a->index < b->index);
}

gp_status gp_schedule_lpt(gp_context *ctx, const double *cost, int32_t n, int32_t *order)
{
    costed *c = gp_malloc(((size_t)n + 1) * sizeof *c);
    if (c == NULL) {
        return gp_error_nomem(ctx, "the community schedule");
    }
    for (int32_t i = 0; i < n; i++) {
        c[i] = (costed){cost[i], i};
    }
    qsort(c, (size_t)n, sizeof *c, cmp_costed);
    for (int32_t i = 0; i < n; i++) {
        order[i] = c[i].index;
    }
    gp_free(c);
    return GP_OK;
}

gp_status gp_schedule_communities(gp_context *ctx, const gp_dataset *ds, int64_t max_households,
                                  int32_t *order)
{
    int32_t n = ds->n_communities;
    double *cost = gp_malloc(((size_t)n + 1) * sizeof *cost);
    if (cost == NULL) {
        return gp_error_nomem(ctx, "the community schedule");
    }
    for (int32_t c = 0; c < n; c++) {
        int64_t total = 0;
        int big = 0;
        for (int32_t k = ds->hh_start[c]; k < ds->hh_start[c + 1]; k++) {
            int64_t h = ds->hh_count[ds->hh_list[k]];
            total += h;
            big |= h > max_households;
        }
        cost[c] = gp_schedule_cost(total, big);
    }
    gp_status st = gp_schedule_lpt(ctx, cost, n, order);
    gp_free(cost);
    return st;
}
