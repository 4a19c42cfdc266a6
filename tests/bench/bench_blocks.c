/* SPDX-License-Identifier: MIT */
/** @file bench_blocks.c Time the street-block stages (read, project, blocks, households, graph). */

#include "census.h"
#include "core/context.h"
#include "core/options.h"
#include "geometry/blocks.h"
#include "geometry/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : getenv("GP_TEST_DATA");
    const char *variant = argc > 2 ? argv[2] : "noisy";
    int verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
    double tol = argc > 4 ? atof(argv[4]) : 2.0;
    double sliver = argc > 5 ? atof(argv[5]) : 50.0;
    if (root == NULL) {
        fprintf(stderr,
                "usage: bench_blocks DATA_DIR [clean|noisy] [-v|-q] [TOLERANCE] [SLIVER_AREA]\n");
        return 2;
    }
    char comm[1024], streets[1024], hh[1024], csv[1024];
    snprintf(comm, sizeof comm, "%s/providence/%s/communities.gpkg", root, variant);
    snprintf(streets, sizeof streets, "%s/providence/%s/streets.gpkg", root, variant);
    snprintf(hh, sizeof hh, "%s/providence/%s/households.gpkg", root, variant);
    snprintf(csv, sizeof csv, "%s/providence/census_blocks_per_community.csv", root);
    FILE *probe = fopen(comm, "r");
    if (probe == NULL) {
        printf("SKIP: %s not found\n", comm);
        return 77;
    }
    fclose(probe);
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_dataset *ds = NULL;
    int rc = 1;
    if (gp_context_new(&ctx) != GP_OK || gp_options_new(&opts) != GP_OK) {
        goto done;
    }
    if (gp_options_set_snap_tolerance(ctx, opts, tol) != GP_OK ||
        gp_options_set_sliver_area(ctx, opts, sliver) != GP_OK) {
        goto done;
    }
    gp_dataset_inputs in = {.communities = comm,
                            .id_field = "code",
                            .streets = streets,
                            .class_field = "class",
                            .households = hh,
                            .count_field = "households"};
    double t0 = now();
    if (gp_dataset_read(ctx, &in, &ds) != GP_OK) {
        fprintf(stderr, "read: %s\n", gp_context_last_error(ctx));
        goto done;
    }
    double t_read_all = now() - t0;
    double t_blocks = 0, s_blocks = 0, s_graph = 0, s_hh = 0;
    int total = 0, census_total = 0, within1 = 0, within3 = 0, slivers = 0;
    int64_t assigned = 0;
    for (int32_t c = 0; c < ds->n_communities; c++) {
        gp_blocks *b = NULL;
        double t1 = now();
        if (gp_community_blocks(ctx, ds, c, opts, NULL, &b) != GP_OK) {
            fprintf(stderr, "blocks: %s\n", gp_context_last_error(ctx));
            goto done;
        }
        t_blocks += now() - t1;
        s_blocks += b->seconds_blocks;
        s_graph += b->seconds_graph;
        s_hh += b->seconds_households;
        int census = gp_test_census_blocks(csv, ds->community_id[c]);
        double rel = census > 0 ? (double)abs(b->n - census) / census : 1.0;
        within1 += rel <= 0.01;
        within3 += rel <= 0.03;
        total += b->n;
        census_total += census;
        slivers += b->n_slivers;
        assigned += b->households_assigned;
        if (verbose) {
            printf(
                "%s blocks %d census %d faces %d slivers %d leftovers %d edges %d barrier %d "
                "isolated %d\n",
                ds->community_id[c], b->n, census, b->n_faces, b->n_slivers, b->n_leftovers,
                b->xadj[b->n] / 2, b->n_barrier_edges, b->n_isolated);
        }
        if (argc > 6 && strcmp(argv[6], ds->community_id[c]) == 0) {
            GEOSWKTWriter *w = GEOSWKTWriter_create_r(b->h);
            FILE *f = fopen(argv[7], "w");
            for (int32_t k = 0; f != NULL && k < b->n; k++) {
                char *t = GEOSWKTWriter_write_r(b->h, w, b->geom[k]);
                fprintf(f, "%s\n", t);
                GEOSFree_r(b->h, t);
            }
            if (f != NULL) {
                fclose(f);
            }
            GEOSWKTWriter_destroy_r(b->h, w);
        }
        gp_blocks_free(b);
    }
    printf(
        "%s: %d communities, %d blocks (census %d), within 1%%: %d, within 3%%: %d, "
        "slivers merged %d\n",
        variant, ds->n_communities, total, census_total, within1, within3, slivers);
    printf("households read %lld, assigned %lld, outside %lld\n", (long long)ds->households_read,
           (long long)assigned, (long long)ds->households_outside);
    printf(
        "time: read %.3f s, project %.3f s (read+project wall %.3f s), blocks+households+graph "
        "%.3f s, total %.3f s\n",
        ds->seconds_read, ds->seconds_project, t_read_all, t_blocks, now() - t0);
    printf("stages: read %.3f s, project %.3f s, blocks %.3f s, households %.3f s, graph %.3f s\n",
           ds->seconds_read, ds->seconds_project, s_blocks, s_hh, s_graph);
    rc = 0;
done:
    gp_dataset_free(ds);
    gp_options_free(opts);
    gp_context_free(ctx);
    return rc;
}
