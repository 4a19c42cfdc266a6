/* SPDX-License-Identifier: MIT */
/** @file bench_adversarial.c The optimizer on adversarial graphs (issue #15): seconds per graph
 * without a time limit, then with a 0.5 s limit (the time until it returns, and its status).
 * Fails when a run without a limit takes over 30 s or a limited one over 1.5 s. */

#include "adversarial.h"

#include "gridpart.h"

#include <stdio.h>
#include <time.h>

static double gp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    gp_adv_shape shape;
    int32_t n;
    int64_t hh;
} gp_adv_case;

/* One run: seconds, and the status; grids and grids within [300, 500] through *grids, *inb. */
static gp_status gp_adv_run(gp_context *ctx, const gp_options *opts, const gp_adv_graph *a,
                            double *secs, int32_t *grids, int32_t *inb)
{
    gp_graph *g = NULL;
    gp_partition *p = NULL;
    double t0 = gp_now();
    gp_status st = gp_graph_new(ctx, a->n, a->xadj, a->adjncy, &g);
    if (st == GP_OK) {
        st = gp_graph_set_households(ctx, g, a->households);
    }
    if (st == GP_OK) {
        st = gp_graph_partition(ctx, g, opts, &p);
    }
    *secs = gp_now() - t0;
    *grids = 0;
    *inb = 0;
    if (st == GP_OK) {
        *grids = gp_partition_grid_count(p);
        for (int32_t i = 0; i < *grids; i++) {
            int64_t h = gp_partition_grid_households(p, i);
            *inb += h >= 300 && h <= 500;
        }
    }
    gp_partition_free(p);
    gp_graph_free(g);
    return st;
}

int main(void)
{
    const gp_adv_case cases[] = {
        {GP_ADV_PATH, 40000, 299},   {GP_ADV_PATH, 80000, 299},   {GP_ADV_PATH, 40000, 37},
        {GP_ADV_STAR, 20001, 10},    {GP_ADV_LATTICE, 90000, 10}, {GP_ADV_LADDER, 40000, 299},
        {GP_ADV_LADDER, 40000, 60},  {GP_ADV_HUGE, 40000, 5},
    };
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_options *limited = NULL;
    if (gp_context_new(&ctx) != GP_OK || gp_options_new(&opts) != GP_OK ||
        gp_options_new(&limited) != GP_OK || gp_options_set_threads(ctx, opts, 1) != GP_OK ||
        gp_options_set_threads(ctx, limited, 1) != GP_OK ||
        gp_options_set_time_limit(ctx, limited, 0.5) != GP_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    int failed = 0;
    printf("%-8s %7s %5s %9s %6s %8s %12s %10s\n", "graph", "n", "hh", "seconds", "grids",
           "inbounds", "limit0.5_s", "status");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_adv_graph a;
        if (gp_adv_new(cases[i].shape, cases[i].n, cases[i].hh, &a) != 0) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        double secs = 0;
        double lsecs = 0;
        int32_t grids = 0;
        int32_t inb = 0;
        int32_t lg = 0;
        int32_t li = 0;
        gp_status st = gp_adv_run(ctx, opts, &a, &secs, &grids, &inb);
        if (st != GP_OK) {
            printf("%s: %s\n", a.name, gp_context_last_error(ctx));
        }
        gp_status lst = gp_adv_run(ctx, limited, &a, &lsecs, &lg, &li);
        printf("%-8s %7d %5d %9.3f %6d %8d %12.3f %10s\n", a.name, (int)a.n, (int)cases[i].hh,
               secs, (int)grids, (int)inb, lsecs, gp_status_string(lst));
        failed |= st != GP_OK || secs > 30 || lsecs > 1.5;
        gp_adv_free(&a);
    }
    gp_options_free(limited);
    gp_options_free(opts);
    gp_context_free(ctx);
    return failed;
}
