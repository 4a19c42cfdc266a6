/* SPDX-License-Identifier: MIT */
/**
 * @file bench_blocks.c Time the street-block stages (read, project, blocks, households, graph)
 * on Providence, one thread and then two (one context per thread), and count the blocks.
 */

#include "census.h"
#include "core/context.h"
#include "core/options.h"
#include "geometry/blocks.h"
#include "geometry/dataset.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* The two-thread pass: workers take communities from a shared counter. */
typedef struct pool {
    const gp_dataset *ds;
    const gp_options *opts;
    atomic_int next;
    atomic_int failed;
    int32_t *blocks; /* per community, to compare with the one-thread pass */
} pool;

static void *worker(void *arg)
{
    pool *pl = arg;
    gp_context *ctx = NULL;
    if (gp_context_new(&ctx) != GP_OK) {
        atomic_store(&pl->failed, 1);
        return NULL;
    }
    for (int c; (c = atomic_fetch_add(&pl->next, 1)) < pl->ds->n_communities;) {
        gp_blocks *b = NULL;
        if (gp_community_blocks(ctx, pl->ds, c, pl->opts, NULL, &b) != GP_OK) {
            fprintf(stderr, "blocks: %s\n", gp_context_last_error(ctx));
            atomic_store(&pl->failed, 1);
            break;
        }
        pl->blocks[c] = b->n;
        gp_blocks_free(b);
    }
    gp_context_free(ctx);
    return NULL;
}

/* Write the blocks of b as "community;block;WKT" lines. */
static void dump_blocks(const gp_dataset *ds, const gp_blocks *b, FILE *f)
{
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(b->h);
    for (int32_t k = 0; w != NULL && k < b->n; k++) {
        char *t = GEOSWKTWriter_write_r(b->h, w, b->geom[k]);
        fprintf(f, "%s;%d;%s\n", ds->community_id[b->community], k, t ? t : "");
        GEOSFree_r(b->h, t);
    }
    if (w != NULL) {
        GEOSWKTWriter_destroy_r(b->h, w);
    }
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : getenv("GP_TEST_DATA");
    const char *variant = argc > 2 ? argv[2] : "noisy";
    int verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
    double tol = argc > 4 ? atof(argv[4]) : 2.0;
    double sliver = argc > 5 ? atof(argv[5]) : GP_SLIVER_AREA_RECOMMENDED;
    const char *dump_id = argc > 7 ? argv[6] : NULL; /* a community id, or "*" for all */
    const char *dump_path = argc > 7 ? argv[7] : NULL;
    if (root == NULL) {
        fprintf(stderr,
                "usage: bench_blocks DATA_DIR [clean|noisy] [-v|-q] [TOLERANCE] "
                "[SLIVER_AREA] [COMMUNITY|'*' WKT_FILE]\n");
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
    FILE *dump = NULL;
    pool pl = {0};
    int rc = 1;
    if (gp_context_new(&ctx) != GP_OK || gp_options_new(&opts) != GP_OK) {
        goto done;
    }
    if (gp_options_set_snap_tolerance(ctx, opts, tol) != GP_OK ||
        gp_options_set_sliver_area(ctx, opts, sliver) != GP_OK) {
        fprintf(stderr, "options: %s\n", gp_context_last_error(ctx));
        goto done;
    }
    if (dump_path != NULL && (dump = fopen(dump_path, "w")) == NULL) {
        fprintf(stderr, "cannot write %s\n", dump_path);
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
    /* One thread. */
    double t1 = now(), s_blocks = 0, s_graph = 0, s_hh = 0;
    int total = 0, census_total = 0, within1 = 0, within3 = 0, slivers = 0, islands = 0;
    int64_t assigned = 0;
    pl.blocks = calloc((size_t)ds->n_communities + 1, sizeof *pl.blocks);
    int32_t *blocks1 = calloc((size_t)ds->n_communities + 1, sizeof *blocks1);
    if (pl.blocks == NULL || blocks1 == NULL) {
        free(blocks1);
        goto done;
    }
    for (int32_t c = 0; c < ds->n_communities; c++) {
        gp_blocks *b = NULL;
        if (gp_community_blocks(ctx, ds, c, opts, NULL, &b) != GP_OK) {
            fprintf(stderr, "blocks: %s\n", gp_context_last_error(ctx));
            free(blocks1);
            goto done;
        }
        s_blocks += b->seconds_blocks;
        s_graph += b->seconds_graph;
        s_hh += b->seconds_households;
        int census = gp_test_census_blocks(csv, ds->community_id[c]);
        double rel = census > 0 ? (double)abs(b->n - census) / census : 1.0;
        within1 += rel <= 0.01;
        within3 += rel <= 0.03;
        total += b->n;
        blocks1[c] = b->n;
        census_total += census;
        slivers += b->n_slivers;
        islands += b->n_islands;
        assigned += b->households_assigned;
        if (verbose) {
            printf(
                "%s blocks %d census %d faces %d slivers %d (islands %d) leftovers %d "
                "border-edges %d joins %d edges %d barrier %d isolated %d\n",
                ds->community_id[c], b->n, census, b->n_faces, b->n_slivers, b->n_islands,
                b->n_leftovers, b->n_border_edges, b->n_joins, b->xadj[b->n] / 2,
                b->n_barrier_edges, b->n_isolated);
        }
        if (dump != NULL &&
            (strcmp(dump_id, "*") == 0 || strcmp(dump_id, ds->community_id[c]) == 0)) {
            dump_blocks(ds, b, dump);
        }
        gp_blocks_free(b);
    }
    double t_one = now() - t1;
    /* Two threads, one context each. */
    pl.ds = ds;
    pl.opts = opts;
    pthread_t tid[2];
    double t2 = now();
    for (int t = 0; t < 2; t++) {
        if (pthread_create(&tid[t], NULL, worker, &pl) != 0) {
            atomic_store(&pl.failed, 1);
            for (int u = 0; u < t; u++) {
                pthread_join(tid[u], NULL);
            }
            free(blocks1);
            goto done;
        }
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(tid[t], NULL);
    }
    double t_two = now() - t2;
    int same = !atomic_load(&pl.failed) &&
               memcmp(blocks1, pl.blocks, (size_t)ds->n_communities * sizeof *blocks1) == 0;
    free(blocks1);
    printf(
        "%s (tolerance %.2f m, sliver area %.1f m^2): %d communities, %d blocks (census %d), "
        "within 1%%: %d, within 3%%: %d, slivers merged %d (islands %d)\n",
        variant, tol, sliver, ds->n_communities, total, census_total, within1, within3, slivers,
        islands);
    printf("households read %lld, assigned %lld, outside %lld\n", (long long)ds->households_read,
           (long long)assigned, (long long)ds->households_outside);
    printf("stages: read %.3f s, project %.3f s, blocks %.3f s, households %.3f s, graph %.3f s\n",
           ds->seconds_read, ds->seconds_project, s_blocks, s_hh, s_graph);
    printf(
        "wall: read+project %.3f s; blocks+households+graph %.3f s on 1 thread, %.3f s on 2 "
        "threads (%s); total %.3f s with 2 threads\n",
        t_read_all, t_one, t_two, same ? "same blocks" : "DIFFERENT BLOCKS", t_read_all + t_two);
    rc = same ? 0 : 1;
done:
    if (dump != NULL) {
        fclose(dump);
    }
    free(pl.blocks);
    gp_dataset_free(ds);
    gp_options_free(opts);
    gp_context_free(ctx);
    return rc;
}
