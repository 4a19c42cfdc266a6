/* SPDX-License-Identifier: MIT */
/**
 * @file bench_metis.c gridpart's optimizer beside METIS (`gpmetis -contig`, Debian metis) on the
 * same synthetic block graphs (issue #15): time as a ratio, and the quality each leaves.
 *
 * For each size the graph is written in METIS's format (vertex weights: households; edge
 * weights: shared street length x cut cost, rounded, at least 1) and divided into
 * k = round(households / 400) parts with -ufactor=250 (no part above 1.25 x the mean, i.e. 500)
 * and -contig. The two runs alternate, three times each, and the medians are compared: gridpart's
 * gp_graph_partition (the solver alone, GP_BENCH_THREADS threads, default 2) against METIS's own
 * "Partitioning" time (its I/O excluded, to METIS's advantage). Both divisions are scored the
 * same way: parts outside [300, 500] that no block above 500 forces ("avoidable"), parts not
 * contiguous, mean Polsby-Popper.
 *
 * usage: bench_metis [SIZE ...]   (default 10000 50000)
 * Exits 1 when gpmetis is missing (it is in .ci/packages) or a run fails.
 */

#include "synth_city.h"

#include "gridpart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 3
#define PI 3.14159265358979323846

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* What a division leaves, scored the same way for both tools. */
typedef struct {
    int32_t parts;
    int32_t avoidable;     /* outside [300, 500], no block above 500 in it */
    int32_t discontiguous; /* parts in more than one piece */
    double mean_pp;        /* mean Polsby-Popper over the parts */
} score;

/* Connected pieces of part p's vertices (BFS inside the part). */
static int32_t pieces(const gp_synth_city *c, const int32_t *asg, int32_t *seen, int32_t *queue,
                      int32_t p, const int32_t *members, int32_t count)
{
    int32_t found = 0;
    for (int32_t i = 0; i < count; i++) {
        int32_t s = members[i];
        if (seen[s]) {
            continue;
        }
        found++;
        int32_t head = 0, tail = 0;
        queue[tail++] = s;
        seen[s] = 1;
        while (head < tail) {
            int32_t v = queue[head++];
            for (int32_t e = c->xadj[v]; e < c->xadj[v + 1]; e++) {
                int32_t u = c->adjncy[e];
                if (asg[u] == p && !seen[u]) {
                    seen[u] = 1;
                    queue[tail++] = u;
                }
            }
        }
    }
    return found;
}

static int score_division(const gp_synth_city *c, const int32_t *asg, int32_t k, score *out)
{
    int64_t *hh = calloc((size_t)k, sizeof *hh);
    double *area = calloc((size_t)k, sizeof *area), *perim = calloc((size_t)k, sizeof *perim);
    unsigned char *over = calloc((size_t)k, 1);
    int32_t *start = calloc((size_t)k + 1, sizeof *start);
    int32_t *members = malloc((size_t)c->n * sizeof *members);
    int32_t *seen = calloc((size_t)c->n, sizeof *seen), *queue = malloc((size_t)c->n * 4);
    int ok = hh && area && perim && over && start && members && seen && queue;
    if (ok) {
        for (int32_t v = 0; v < c->n; v++) {
            int32_t p = asg[v];
            hh[p] += c->households[v];
            area[p] += c->area[v];
            perim[p] += c->perimeter[v];
            over[p] |= c->households[v] > 500;
            start[p + 1]++;
            for (int32_t e = c->xadj[v]; e < c->xadj[v + 1]; e++) {
                if (asg[c->adjncy[e]] == p) {
                    perim[p] -= c->border[e]; /* each shared border seen from both sides */
                }
            }
        }
        for (int32_t p = 0; p < k; p++) {
            start[p + 1] += start[p];
        }
        int32_t *fill = calloc((size_t)k, sizeof *fill);
        ok = fill != NULL;
        for (int32_t v = 0; ok && v < c->n; v++) {
            members[start[asg[v]] + fill[asg[v]]++] = v;
        }
        free(fill);
    }
    if (ok) {
        memset(out, 0, sizeof *out);
        double pp = 0;
        for (int32_t p = 0; p < k; p++) {
            if (start[p + 1] == start[p]) {
                continue; /* METIS may leave a part empty */
            }
            out->parts++;
            out->avoidable += (hh[p] < 300 || hh[p] > 500) && !over[p];
            out->discontiguous +=
                pieces(c, asg, seen, queue, p, members + start[p], start[p + 1] - start[p]) > 1;
            pp += perim[p] > 0 ? 4.0 * PI * area[p] / (perim[p] * perim[p]) : 0.0;
        }
        out->mean_pp = out->parts ? pp / out->parts : 0.0;
    }
    free(hh);
    free(area);
    free(perim);
    free(over);
    free(start);
    free(members);
    free(seen);
    free(queue);
    return ok ? 0 : -1;
}

/* The graph in METIS's format: "n m 011", then per vertex its weight and (neighbour, weight)
 * pairs, 1-based. */
static int write_metis(const gp_synth_city *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f, "%d %d 011\n", (int)c->n, (int)(c->xadj[c->n] / 2));
    for (int32_t v = 0; v < c->n; v++) {
        fprintf(f, "%lld", (long long)c->households[v]);
        for (int32_t e = c->xadj[v]; e < c->xadj[v + 1]; e++) {
            long w = lround(c->border[e] * c->cut_cost[e]);
            fprintf(f, " %d %ld", (int)c->adjncy[e] + 1, w < 1 ? 1 : w);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Run gpmetis; its "Partitioning:" time in *secs, its division in asg. */
static int run_metis(const char *graph, int32_t n, int32_t k, double *secs, int32_t *asg)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gpmetis -contig -ptype=kway -ufactor=250 -seed=1 %s %d 2>&1", graph,
             (int)k);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return -1;
    }
    char line[512];
    *secs = -1;
    while (fgets(line, sizeof line, p) != NULL) {
        const char *t = strstr(line, "Partitioning:");
        if (t != NULL) {
            *secs = atof(t + strlen("Partitioning:"));
        }
    }
    if (pclose(p) != 0 || *secs < 0) {
        fprintf(stderr, "bench_metis: `%s` failed or printed no time\n", cmd);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "%s.part.%d", graph, (int)k);
    FILE *f = fopen(cmd, "r");
    if (f == NULL) {
        return -1;
    }
    int ok = 1;
    for (int32_t v = 0; v < n && ok; v++) {
        int part;
        ok = fscanf(f, "%d", &part) == 1 && part >= 0 && part < k;
        asg[v] = part;
    }
    fclose(f);
    remove(cmd);
    return ok ? 0 : -1;
}

static int run_gridpart(gp_context *ctx, const gp_options *opts, const gp_synth_city *c,
                        double *secs, int32_t *asg, int32_t *k)
{
    gp_graph *g = NULL;
    gp_partition *p = NULL;
    gp_status st = gp_graph_new(ctx, c->n, c->xadj, c->adjncy, &g);
    if (st == GP_OK) {
        st = gp_graph_set_households(ctx, g, c->households);
    }
    if (st == GP_OK) {
        st = gp_graph_set_edges(ctx, g, c->border, c->cut_cost);
    }
    if (st == GP_OK) {
        st = gp_graph_set_shape(ctx, g, c->area, c->perimeter);
    }
    double t0 = now();
    if (st == GP_OK) {
        st = gp_graph_partition(ctx, g, opts, &p);
    }
    *secs = now() - t0;
    if (st == GP_OK) {
        memcpy(asg, gp_partition_assignment(p), (size_t)c->n * sizeof *asg);
        *k = gp_partition_grid_count(p);
    } else {
        fprintf(stderr, "bench_metis: gridpart: %s: %s\n", gp_status_string(st),
                gp_context_last_error(ctx));
    }
    gp_partition_free(p);
    gp_graph_free(g);
    return st == GP_OK ? 0 : -1;
}

static int bench_size(gp_context *ctx, const gp_options *opts, int32_t size, uint64_t seed,
                      const char *dir)
{
    gp_synth_city c;
    if (gp_synth_city_new(size, seed, &c) != 0) {
        return -1;
    }
    int64_t total = 0;
    for (int32_t v = 0; v < c.n; v++) {
        total += c.households[v];
    }
    int32_t k = (int32_t)llround((double)total / 400.0);
    char graph[256];
    snprintf(graph, sizeof graph, "%s/city%d.graph", dir, (int)size);
    int32_t *ga = malloc((size_t)c.n * sizeof *ga), *ma = malloc((size_t)c.n * sizeof *ma);
    double gt[RUNS], mt[RUNS];
    int32_t gk = 0;
    int rc = ga && ma ? write_metis(&c, graph) : -1;
    for (int r = 0; r < RUNS && rc == 0; r++) {
        rc = run_gridpart(ctx, opts, &c, &gt[r], ga, &gk);
        if (rc == 0) {
            rc = run_metis(graph, c.n, k, &mt[r], ma);
        }
    }
    score gs, ms;
    if (rc == 0) {
        rc = score_division(&c, ga, gk, &gs) | score_division(&c, ma, k, &ms);
    }
    if (rc == 0) {
        double g = median(gt, RUNS), m = median(mt, RUNS);
        printf("%7d %9lld %8s %8.3f %6d %9d %8d %7.3f\n", (int)c.n, (long long)total, "gridpart", g,
               (int)gs.parts, (int)gs.avoidable, (int)gs.discontiguous, gs.mean_pp);
        printf("%7s %9s %8s %8.3f %6d %9d %8d %7.3f\n", "", "", "metis", m, (int)ms.parts,
               (int)ms.avoidable, (int)ms.discontiguous, ms.mean_pp);
        printf("%7s %9s %8s %7.2fx\n", "", "", "ratio", m > 0 ? g / m : 0.0);
    }
    remove(graph);
    free(ga);
    free(ma);
    gp_synth_city_free(&c);
    return rc;
}

int main(int argc, char **argv)
{
    int32_t sizes[16] = {10000, 50000};
    int n_sizes = 2;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 16; i++) {
            sizes[n_sizes++] = atoi(argv[i]);
        }
    }
    if (system("command -v gpmetis > /dev/null 2>&1") != 0) {
        fprintf(stderr, "bench_metis: gpmetis is not installed (Debian metis, in .ci/packages)\n");
        return 1;
    }
    const char *env = getenv("GP_BENCH_THREADS");
    int32_t threads = env ? atoi(env) : 2;
    char dir[] = "/tmp/gridpart-metis-XXXXXX";
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    if (mkdtemp(dir) == NULL || gp_context_new(&ctx) != GP_OK || gp_options_new(&opts) != GP_OK ||
        gp_options_set_threads(ctx, opts, threads) != GP_OK) {
        fprintf(stderr, "bench_metis: setup failed\n");
        return 1;
    }
    printf(
        "gridpart (%d threads) beside gpmetis -contig; median of %d interleaved runs;\n"
        "seconds: the solver alone (METIS: its Partitioning time, I/O excluded)\n",
        (int)threads, RUNS);
    printf("%7s %9s %8s %8s %6s %9s %8s %7s\n", "blocks", "hholds", "tool", "seconds", "parts",
           "avoidable", "discont", "meanPP");
    int failed = 0;
    for (int i = 0; i < n_sizes; i++) {
        /* The seeds bench_optimizer gives these sizes (42 + its size index). */
        uint64_t seed = sizes[i] == 500     ? 42
                        : sizes[i] == 2000  ? 43
                        : sizes[i] == 10000 ? 44
                        : sizes[i] == 50000 ? 45
                                            : 42 + (uint64_t)sizes[i];
        if (bench_size(ctx, opts, sizes[i], seed, dir) != 0) {
            fprintf(stderr, "bench_metis: %d blocks failed\n", (int)sizes[i]);
            failed = 1;
        }
    }
    printf(
        "ratio: gridpart seconds / METIS seconds (below 1: gridpart faster); avoidable: parts\n"
        "outside [300, 500] holding no block above 500; discont: parts in several pieces\n");
    rmdir(dir);
    gp_options_free(opts);
    gp_context_free(ctx);
    return failed;
}
