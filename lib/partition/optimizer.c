/* SPDX-License-Identifier: MIT */
/**
 * @file optimizer.c gp_graph_partition: components, grid counts, parallel seeded restarts,
 * statistics and problem reports.
 *
 * Vertices above the maximum become grids of their own; the rest split into connected
 * components, each divided on its own (a grid cannot span components). A component whose
 * households no whole number of grids can hold gives a piece too small to be a grid, or all
 * of itself when it holds fewer than the minimum, to the grid of a neighbouring vertex above
 * the maximum (leftover.c): that grid is over the maximum by necessity anyway. A component's grid
 * count is the feasible k (k x min <= households <= k x max) closest to households / target,
 * or, with a fixed count, a share of it given to the components in proportion to their
 * households within their feasible ranges. Each component runs a fixed number of restarts
 * (search.c) with seeds derived from the options' seed; the best by a total order (objective,
 * then restart index) wins, so the result does not depend on the number of threads.
 */

#include "leftover.h"
#include "partition.h"
#include "previous.h"
#include "search.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Restarts per component at effort 1, and work units per vertex-or-edge of a component. */
enum { GP_RESTARTS = 4, GP_MAX_RESTARTS = 64 };
static const double GP_WORK_PER_ELEMENT = 600.0;
static const double GP_PI = 3.14159265358979323846;
/* Weight of compactness against cut cost (search.c, gp_shape): at 6, turning a grid from a
 * 3:1 rectangle (Polsby-Popper 0.59) into a square (0.79) is worth moving more than its whole
 * perimeter from an arterial onto a minor street. On the 10,000-block synthetic cities
 * (tests/bench, six seeds) weights of 2, 4 and 6 give a mean Polsby-Popper of 0.667, 0.676 and
 * 0.682 for +0%, +4.5% and +9% cut cost; the optimizer is held to 0.68. */
static const double GP_SHAPE_WEIGHT = 6.0;

/* Why a vertex is outside every component searched (the search's skip[], any non-zero). */
enum { GP_SKIP_OVER = 1, GP_SKIP_JOINED = 2 };

typedef struct {
    int32_t start; /* into the component vertex list */
    int32_t nv;
    int32_t ne; /* adjacency entries inside */
    int64_t hh;
    double wl;
    int64_t klo; /* feasible grid counts: klo .. khi (empty when klo > khi) */
    int64_t khi;
    int32_t k;
    int32_t host;      /* over-max vertex whose grid takes the last nj vertices, or -1 */
    int32_t nj;        /* vertices joining host (leftover.c), listed after the nv kept */
    int64_t hh_joined; /* their households */
    int touches;       /* some vertex neighbours an over-max vertex */
    int32_t task0;    /* first task, -1 when solved without search */
    int32_t best;     /* winning task */
    int32_t restarts; /* tasks of this component */
    int kept;         /* its previous division holds and is kept (labels in `keep`) */
} gp_comp;

typedef struct {
    gp_context *ctx;
    const gp_search_shared *sh;
    gp_search_task *tasks;
    int32_t ntasks;
    atomic_int next;
    atomic_int done;
    atomic_int cancel;
} gp_runner;

typedef struct {
    gp_runner *run;
    gp_search_work *w;
} gp_worker;

static uint64_t gp_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Only the calling thread reports progress: the context belongs to it. */
static int gp_main_tick(void *user)
{
    gp_runner *run = user;
    double f = run->ntasks > 0 ? (double)atomic_load(&run->done) / run->ntasks : 1.0;
    if (gp_progress(run->ctx, 0.05 + 0.9 * f, "partition") != GP_OK) {
        atomic_store(&run->cancel, 1);
        return 1;
    }
    return 0;
}

static void *gp_worker_main(void *arg)
{
    gp_worker *wk = arg;
    gp_runner *run = wk->run;
    for (;;) {
        if (atomic_load(&run->cancel)) {
            break;
        }
        int i = atomic_fetch_add(&run->next, 1);
        if (i >= run->ntasks) {
            break;
        }
        if (gp_search_run(run->sh, wk->w, &run->tasks[i])) {
            atomic_store(&run->cancel, 1);
        }
        atomic_fetch_add(&run->done, 1);
    }
    return NULL;
}

/* Small components are cheap to search: they get more restarts, which buys exactness where
 * vertex granularity makes the bounds hard to meet. A community-sized one (65-400 blocks) gets
 * one and a half times the base: since pair regions above GP_EXACT_VERTICES (search.c) go to
 * the random trees, most of its restarts end by converging rather than by their budget, and on
 * the 356k-household province 6 of them give lower cut cost, more compact grids and better
 * balance than 8 did before (tests/bench/RESULTS.md). */
static int32_t gp_restarts(int32_t base, int32_t nv)
{
    return nv <= 64 ? 4 * base : (nv <= 400 ? (3 * base + 1) / 2 : base);
}

/* Interval violation of dividing hh households into k grids: 0 when k is feasible. */
static int64_t gp_k_violation(int64_t hh, int64_t k, int64_t mn, int64_t mx)
{
    int64_t v = 0;
    if (hh > k * mx) {
        v += hh - k * mx;
    }
    if (hh < k * mn) {
        v += k * mn - hh;
    }
    return v;
}

/* The grid count for one component: the feasible k closest to hh / target, or the least
 * violating one; never more grids than vertices, never fewer than one. */
static int32_t gp_auto_k(const gp_comp *c, int64_t mn, int64_t mx, int64_t target)
{
    double ideal = (double)c->hh / (double)target;
    int64_t best = 1;
    int64_t best_v = INT64_MAX;
    double best_d = INFINITY;
    int64_t lo = c->klo < 1 ? 1 : c->klo;
    int64_t hi = c->khi < c->nv ? c->khi : c->nv;
    int64_t cands[8];
    int nc = 0;
    if (lo <= hi) {
        int64_t r = (int64_t)llround(ideal);
        cands[nc++] = r < lo ? lo : (r > hi ? hi : r);
    } else {
        int64_t f = mx > 0 ? c->hh / mx : 1;
        int64_t g = mn > 0 ? c->hh / mn : c->nv;
        int64_t raw[6] = {f, f + 1, g, g + 1, (int64_t)llround(ideal), 1};
        for (int i = 0; i < 6; i++) {
            int64_t k = raw[i] < 1 ? 1 : (raw[i] > c->nv ? c->nv : raw[i]);
            cands[nc++] = k;
        }
    }
    for (int i = 0; i < nc; i++) {
        int64_t v = gp_k_violation(c->hh, cands[i], mn, mx);
        double d = fabs((double)cands[i] - ideal);
        if (v < best_v || (v == best_v && (d < best_d || (d == best_d && cands[i] < best)))) {
            best = cands[i];
            best_v = v;
            best_d = d;
        }
    }
    return (int32_t)best;
}

/* With a workload cap: at least as many grids as the cap needs (total workload / cap), as
 * long as each can still hold the minimum of households; the cap is held by the search where
 * that count allows and reported grid by grid where it does not. */
static int32_t gp_cap_k(const gp_comp *c, int64_t mn, double cap)
{
    int64_t need = (int64_t)ceil(c->wl / cap - 1e-9);
    int64_t most = mn > 0 ? c->hh / mn : c->nv;
    most = most > c->nv ? c->nv : (most < 1 ? 1 : most);
    if (need <= c->k) {
        return c->k;
    }
    return (int32_t)(need < most ? need : (most > c->k ? most : c->k));
}

/*
 * Spreads a fixed total of grids over the components: starting from each component's
 * automatic count, one grid at a time goes to the component with the most households per grid
 * (or leaves the one with the fewest), within feasible ranges first. Returns 1 when the
 * total could be met within every component's feasible range.
 */
static int gp_distribute(gp_comp *comps, int32_t ncomp, int64_t want)
{
    int64_t have = 0;
    for (int32_t c = 0; c < ncomp; c++) {
        if (comps[c].nv > 0) {
            have += comps[c].k;
        }
    }
    int ok = 1;
    while (have != want) {
        int32_t pick = -1;
        int relaxed = 0;
        for (int pass = 0; pass < 2 && pick < 0; pass++) {
            double best = 0;
            for (int32_t c = 0; c < ncomp; c++) {
                gp_comp *cp = &comps[c];
                if (cp->nv == 0) {
                    continue;
                }
                double per = (double)cp->hh / cp->k;
                if (have < want) {
                    int64_t lim = pass == 0 ? (cp->khi < cp->nv ? cp->khi : cp->nv) : cp->nv;
                    if (cp->k < lim && (pick < 0 || per > best)) {
                        pick = c;
                        best = per;
                    }
                } else {
                    int64_t lim = pass == 0 ? (cp->klo > 1 ? cp->klo : 1) : 1;
                    if (cp->k > lim && (pick < 0 || per < best)) {
                        pick = c;
                        best = per;
                    }
                }
            }
            relaxed = pass == 1;
        }
        if (pick < 0) {
            return 0; /* more grids than vertices, or fewer than components */
        }
        if (relaxed) {
            ok = 0;
        }
        comps[pick].k += have < want ? 1 : -1;
        have += have < want ? 1 : -1;
    }
    return ok;
}

typedef struct {
    int64_t key;
    int64_t weight;
} gp_overlap;

static int gp_key_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x;
    int64_t b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int gp_overlap_cmp(const void *x, const void *y)
{
    const gp_overlap *a = x;
    const gp_overlap *b = y;
    if (a->weight != b->weight) {
        return a->weight > b->weight ? -1 : 1;
    }
    return (a->key > b->key) - (a->key < b->key);
}

/*
 * Households moved from the previous assignment: grids are matched one to one with previous
 * grids greedily by shared households (heaviest overlap first); households not in their
 * matched grid moved. Vertices without a previous grid do not count.
 */
static gp_status gp_households_moved(gp_context *ctx, const gp_graph *g, gp_partition *p)
{
    gp_status status = GP_OK;
    int32_t n = g->n;
    int64_t *labels = gp_malloc(sizeof *labels * (size_t)n);
    gp_overlap *ov = gp_malloc(sizeof *ov * (size_t)n);
    uint8_t *used = gp_calloc((size_t)n + (size_t)p->grids + 1, 1);
    if (labels == NULL || ov == NULL || used == NULL) {
        status = gp_error_nomem(ctx, "households moved");
        goto done;
    }
    int32_t nl = 0;
    int64_t total = 0;
    for (int32_t v = 0; v < n; v++) {
        if (g->previous[v] >= 0) {
            labels[nl++] = g->previous[v];
            total += g->households[v];
        }
    }
    qsort(labels, (size_t)nl, sizeof *labels, gp_key_cmp);
    int32_t nu = 0;
    for (int32_t i = 0; i < nl; i++) {
        if (nu == 0 || labels[nu - 1] != labels[i]) {
            labels[nu++] = labels[i];
        }
    }
    /* One (grid, previous label) key per vertex; equal keys add up to an overlap. */
    int32_t nk = 0;
    for (int32_t v = 0; v < n; v++) {
        int64_t pv = g->previous[v];
        if (pv < 0) {
            continue;
        }
        const int64_t *hit = bsearch(&pv, labels, (size_t)nu, sizeof *labels, gp_key_cmp);
        ov[nk].key = (int64_t)p->part[v] * (nu + 1) + (hit - labels);
        ov[nk].weight = g->households[v];
        nk++;
    }
    qsort(ov, (size_t)nk, sizeof *ov, gp_key_cmp);
    int32_t no = 0;
    for (int32_t i = 0; i < nk; i++) {
        if (no > 0 && ov[no - 1].key == ov[i].key) {
            ov[no - 1].weight += ov[i].weight;
        } else {
            ov[no++] = ov[i];
        }
    }
    qsort(ov, (size_t)no, sizeof *ov, gp_overlap_cmp);
    int64_t kept = 0;
    for (int32_t i = 0; i < no; i++) {
        int64_t gid = ov[i].key / (nu + 1);
        int64_t lab = ov[i].key % (nu + 1);
        if (!used[gid] && !used[p->grids + lab]) {
            used[gid] = 1;
            used[p->grids + lab] = 1;
            kept += ov[i].weight;
        }
    }
    p->moved = total - kept;
done:
    gp_free(labels);
    gp_free(ov);
    gp_free(used);
    return status;
}

/* Fills the per-grid statistics and the summary values from p->part; wl is the workload. */
static void gp_statistics(const gp_graph *g, const double *wl, int64_t mn, int64_t mx,
                          gp_partition *p, double *area, double *perim)
{
    int32_t n = g->n;
    double cut = 0;
    for (int32_t v = 0; v < n; v++) {
        int32_t gv = p->part[v];
        p->households[gv] += g->households[v];
        p->workload[gv] += wl[v];
        p->vertices[gv]++;
        if (area != NULL) {
            area[gv] += g->area[v];
            perim[gv] += g->perimeter[v];
        }
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            if (p->part[g->adjncy[e]] != gv) {
                cut += g->ecost[e];
            } else if (area != NULL) {
                perim[gv] -= g->border ? g->border[e] : 1.0;
            }
        }
    }
    p->cut = cut / 2;
    double wmax = 0;
    double wsum = 0;
    double ppsum = 0;
    int32_t ppn = 0;
    for (int32_t gid = 0; gid < p->grids; gid++) {
        wsum += p->workload[gid];
        wmax = fmax(wmax, p->workload[gid]);
        if (p->households[gid] < mn || p->households[gid] > mx) {
            p->out_of_bounds++;
        }
        p->pp[gid] = NAN;
        if (area != NULL && perim[gid] > 0) {
            p->pp[gid] = 4.0 * GP_PI * area[gid] / (perim[gid] * perim[gid]);
            ppsum += p->pp[gid];
            ppn++;
        }
    }
    double mean = p->grids > 0 ? wsum / p->grids : 0;
    p->workload_ratio = p->grids == 0 ? 0.0 : (mean > 0 ? wmax / mean : 1.0);
    p->mean_pp = ppn > 0 ? ppsum / ppn : NAN;
}

/* Households, workload and inner adjacency entries of a component's nv kept vertices, and its
 * feasible grid counts klo .. khi (empty when no whole number of grids fits). */
static void gp_comp_totals(const gp_graph *g, const double *wl, const uint8_t *skip,
                           const int32_t *cverts, int64_t mn, int64_t mx, gp_comp *c)
{
    c->hh = 0;
    c->wl = 0;
    c->ne = 0;
    for (int32_t i = c->start; i < c->start + c->nv; i++) {
        int32_t v = cverts[i];
        c->hh += g->households[v];
        c->wl += wl[v];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            c->ne += !skip[g->adjncy[e]];
        }
    }
    c->klo = (c->hh + mx - 1) / mx;
    c->khi = mn > 0 ? c->hh / mn : c->nv;
    if (c->khi > c->nv) {
        c->khi = c->nv;
    }
    if (c->klo < 1) {
        c->klo = 1;
    }
}

/* The leftover rule (leftover.c) for a component no whole number of grids fits: the vertices
 * that join an over-max vertex's grid leave the component (marked GP_SKIP_JOINED, so no search
 * touches them) and its totals become those of the vertices kept. `*lw` is made on first use. */
static gp_status gp_comp_leftover(gp_context *ctx, const gp_graph *g, const double *wl,
                                  uint8_t *skip, int64_t mn, int64_t mx, int32_t *cverts,
                                  gp_leftover_work **lw, gp_comp *c)
{
    if (!c->touches || c->klo <= c->khi) {
        return GP_OK;
    }
    if (*lw == NULL && (*lw = gp_leftover_work_new(g->n)) == NULL) {
        return gp_error_nomem(ctx, "leftover households");
    }
    gp_leftover lo =
        gp_leftover_find(*lw, g, g->households, skip, mn, mx, cverts + c->start, c->nv, c->hh);
    if (lo.host < 0) {
        return GP_OK;
    }
    c->host = lo.host;
    c->nj = lo.nj;
    c->hh_joined = lo.hh;
    c->nv -= lo.nj;
    for (int32_t i = c->nv; i < c->nv + c->nj; i++) {
        skip[cverts[c->start + i]] = GP_SKIP_JOINED;
    }
    gp_comp_totals(g, wl, skip, cverts, mn, mx, c);
    return GP_OK;
}

/* Lowest vertex among cverts[from .. to). */
static int32_t gp_lowest(const int32_t *cverts, int32_t from, int32_t to)
{
    int32_t low = cverts[from];
    for (int32_t i = from + 1; i < to; i++) {
        low = cverts[i] < low ? cverts[i] : low;
    }
    return low;
}

/*
 * The problems of the grids over the maximum by necessity: one per over-max vertex, saying
 * what its grid holds in all, and one per piece with households that joined such a grid (a
 * household-free piece joins silently: it changes no count). GP_ERR_NOMEM when the list
 * cannot grow.
 */
static gp_status gp_report_over_max(gp_partition *p, const gp_graph *g, const uint8_t *skip,
                                    const gp_comp *comps, int32_t ncomp, const int32_t *cverts,
                                    int64_t mn, int64_t mx)
{
    gp_status status = GP_OK;
    for (int32_t v = 0; v < g->n && status == GP_OK; v++) {
        int32_t gid = p->part[v];
        if (skip[v] != GP_SKIP_OVER) {
            continue;
        }
        if (p->vertices[gid] == 1) {
            status = gp_partition_add_problem(p, GP_PROBLEM_VERTEX_OVER_MAX, v,
                                              "vertex %d holds %" PRId64
                                              " households, above the maximum %" PRId64
                                              ": it forms grid %d alone",
                                              (int)v, g->households[v], mx, (int)gid);
        } else {
            status = gp_partition_add_problem(
                p, GP_PROBLEM_VERTEX_OVER_MAX, v,
                "vertex %d holds %" PRId64 " households, above the maximum %" PRId64
                ": it forms grid %d of %d vertices, %" PRId64 " households in all",
                (int)v, g->households[v], mx, (int)gid, (int)p->vertices[gid], p->households[gid]);
        }
    }
    for (int32_t c = 0; c < ncomp && status == GP_OK; c++) {
        const gp_comp *cp = &comps[c];
        if (cp->host < 0 || cp->hh_joined == 0) {
            continue;
        }
        int32_t end = cp->start + cp->nv + cp->nj;
        int32_t low = gp_lowest(cverts, cp->start, end);
        int32_t from = gp_lowest(cverts, cp->start + cp->nv, end);
        int32_t gid = p->part[cp->host];
        int64_t total = cp->hh + cp->hh_joined;
        if (cp->nv == 0) {
            status = gp_partition_add_problem(p, GP_PROBLEM_JOINED_OVER_MAX, from,
                                              "component from vertex %d holds %" PRId64
                                              " households in %d vertices, fewer "
                                              "than the minimum %" PRId64
                                              ": it joins grid %d of vertex %d, above the maximum "
                                              "alone; %" PRId64 " households in all",
                                              (int)low, total, (int)cp->nj, mn, (int)gid,
                                              (int)cp->host, p->households[gid]);
        } else {
            status = gp_partition_add_problem(p, GP_PROBLEM_JOINED_OVER_MAX, from,
                                              "component from vertex %d holds %" PRId64
                                              " households in %d vertices, which "
                                              "no whole number of grids in [%" PRId64 ", %" PRId64
                                              "] fits: %d vertices from "
                                              "vertex %d (%" PRId64
                                              " households) join grid %d of vertex %d, above the "
                                              "maximum alone; %" PRId64 " households in all",
                                              (int)low, total, (int)(cp->nv + cp->nj), mn, mx,
                                              (int)cp->nj, (int)from, cp->hh_joined, (int)gid,
                                              (int)cp->host, p->households[gid]);
        }
    }
    return status;
}

/*
 * With a previous division: the component keeps its previous grid count when that count is
 * feasible (the nearest feasible count otherwise), and keeps the previous division itself,
 * without a search, when it still holds (previous.c).
 */
static void gp_comp_previous(gp_previous_work *pw, const gp_graph *g, const int32_t *cverts,
                             const gp_previous_rules *base, int fixed, int32_t *keep, gp_comp *c)
{
    const int32_t *vs = cverts + c->start;
    int32_t had = gp_previous_count(pw, g, vs, c->nv);
    if (had < 1) {
        return;
    }
    int64_t lo = c->klo < 1 ? 1 : c->klo;
    int64_t hi = c->khi < c->nv ? c->khi : c->nv;
    if (!fixed && lo <= hi) {
        c->k = (int32_t)(had < lo ? lo : (had > hi ? hi : had));
    }
    gp_previous_rules rules = *base;
    rules.k = c->k;
    c->kept = gp_previous_holds(pw, g, vs, c->nv, &rules, keep + c->start);
}

/* One violation per grid whose workload is above the cap. GP_ERR_NOMEM when the list cannot
 * grow. */
static gp_status gp_report_over_cap(gp_partition *p, double cap, int64_t mn, int64_t mx)
{
    gp_status status = GP_OK;
    for (int32_t gid = 0; cap > 0 && gid < p->grids && status == GP_OK; gid++) {
        if (!(p->workload[gid] > cap * (1 + 1e-12))) {
            continue;
        }
        int32_t v = 0;
        while (p->part[v] != gid) {
            v++;
        }
        status = gp_partition_add_problem(
            p, GP_PROBLEM_WORKLOAD_OVER_MAX, v,
            "grid %d (lowest vertex %d, %d vertices) has workload %.1f above the cap %.1f: no "
            "division of its component within [%" PRId64 ", %" PRId64 "] households found "
            "keeps every grid under it",
            (int)gid, (int)v, (int)p->vertices[gid], p->workload[gid], cap, mn, mx);
    }
    return status;
}

/* One run of the optimizer (gp_graph_partition_run): its settings and what its stages hand on
 * to the next, freed together by gp_opt_free. */
typedef struct {
    gp_context *ctx;
    const gp_graph *g;
    const gp_options *opts;
    int64_t mn, mx;     /* the household bounds */
    int64_t fixed;      /* the fixed grid count, or 0 */
    size_t nn;          /* vertices, at least 1: the size of the arrays by vertex */
    int by_households;  /* households are the balanced quantity */
    double *wl_own;     /* households as the balanced quantity, or NULL */
    const double *wl;   /* the balanced quantity by vertex */
    const double *load; /* the reported workload by vertex */
    uint8_t *skip;      /* by vertex: why it is outside every component searched, or 0 */
    int32_t *cid;       /* by vertex: its component, or -1 */
    int32_t *cverts;    /* the components' vertices, each component's from its start */
    gp_comp *comps;
    int32_t ncomp;
    int32_t n_over;        /* vertices above the maximum */
    int count_ok;          /* the fixed grid count could be shared out */
    int32_t *keep;         /* kept previous labels, by position in cverts (previous only) */
    gp_previous_work *pw;  /* previous only */
    gp_leftover_work *lw;  /* made on first use */
    gp_search_task *tasks; /* the seeded restarts of the components searched */
    int32_t ntasks;
    int32_t *res;   /* the tasks' labels */
    int32_t *label; /* by vertex, before grids are numbered */
    int32_t n_labels;
} gp_opt_run;

static void gp_opt_free(gp_opt_run *r)
{
    gp_leftover_work_free(r->lw);
    gp_free(r->wl_own);
    gp_free(r->keep);
    gp_previous_work_free(r->pw);
    gp_free(r->skip);
    gp_free(r->cid);
    gp_free(r->cverts);
    gp_free(r->comps);
    gp_free(r->tasks);
    gp_free(r->res);
    gp_free(r->label);
}

/* The arguments, and the options (the defaults when NULL) in *opts. */
static gp_status gp_opt_check(gp_context *ctx, const gp_graph *graph, const gp_options **opts,
                              gp_partition **out)
{
    if (out == NULL || graph == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_graph_partition: graph or out is NULL");
    }
    *out = NULL;
    if (graph->households == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_graph_partition: households are not set (gp_graph_set_households)");
    }
    if (*opts == NULL) {
        *opts = gp_options_defaults(); /* the one table of defaults (core/options.c) */
    }
    const gp_options *o = *opts;
    if (o->min_households < 0 || o->max_households < 1 || o->min_households > o->max_households ||
        gp_options_target(o) < 1 || !(o->effort > 0)) {
        return gp_error(ctx, GP_ERR_ARG, "gp_graph_partition: bad options");
    }
    return GP_OK;
}

/* The balanced quantity (the workload, or households when none is set or households are asked
 * for), the reported workload, and the arrays by vertex the components need. */
static gp_status gp_opt_alloc(gp_opt_run *r)
{
    gp_context *ctx = r->ctx;
    const gp_graph *g = r->g;
    int by_households = g->workload == NULL || r->opts->balance == GP_BALANCE_HOUSEHOLDS;
    r->by_households = by_households;
    if (g->workload != NULL && by_households && r->opts->max_workload > 0) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_graph_partition: a workload cap (%g) needs the workload balanced, "
                        "not households",
                        r->opts->max_workload);
    }
    if (by_households) {
        r->wl_own = gp_malloc(sizeof *r->wl_own * r->nn);
        if (r->wl_own == NULL) {
            return gp_error_nomem(ctx, "workload");
        }
        for (int32_t v = 0; v < g->n; v++) {
            r->wl_own[v] = (double)g->households[v];
        }
    }
    r->wl = by_households ? r->wl_own : g->workload;
    r->load = g->workload != NULL ? g->workload : r->wl_own;
    r->skip = gp_calloc(r->nn, 1);
    r->cid = gp_malloc(sizeof *r->cid * r->nn);
    r->cverts = gp_malloc(sizeof *r->cverts * r->nn);
    r->comps = gp_calloc(r->nn, sizeof *r->comps);
    r->label = gp_malloc(sizeof *r->label * r->nn);
    if (g->previous != NULL) {
        r->keep = gp_malloc(sizeof *r->keep * r->nn);
        r->pw = gp_previous_work_new(g->n);
    }
    if (r->skip == NULL || r->cid == NULL || r->cverts == NULL || r->comps == NULL ||
        r->label == NULL || (g->previous != NULL && (r->keep == NULL || r->pw == NULL))) {
        return gp_error_nomem(ctx, "components");
    }
    return GP_OK;
}

/* Component r->ncomp, from vertex s: its vertices (breadth first), totals, leftovers and grid
 * count; `*at` is where the next component's vertices start. */
static gp_status gp_opt_component(gp_opt_run *r, int32_t s, int32_t *at)
{
    const gp_graph *g = r->g;
    gp_comp *c = &r->comps[r->ncomp];
    c->start = *at;
    c->host = -1;
    c->task0 = -1;
    r->cid[s] = r->ncomp;
    r->cverts[(*at)++] = s;
    for (int32_t h = c->start; h < *at; h++) {
        int32_t v = r->cverts[h];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (r->skip[u]) {
                c->touches = 1;
            } else if (r->cid[u] < 0) {
                r->cid[u] = r->ncomp;
                r->cverts[(*at)++] = u;
            }
        }
    }
    c->nv = *at - c->start;
    gp_comp_totals(g, r->wl, r->skip, r->cverts, r->mn, r->mx, c);
    gp_status status =
        gp_comp_leftover(r->ctx, g, r->wl, r->skip, r->mn, r->mx, r->cverts, &r->lw, c);
    if (status != GP_OK) {
        return status;
    }
    c->k = c->nv > 0 ? gp_auto_k(c, r->mn, r->mx, gp_options_target(r->opts)) : 0;
    if (c->nv > 0 && r->opts->max_workload > 0) {
        c->k = gp_cap_k(c, r->mn, r->opts->max_workload);
    }
    r->ncomp++;
    return GP_OK;
}

/* The components of the graph without the vertices over the maximum, each listed from its
 * lowest id, with their grid counts (a fixed count shared out) and, with a previous division,
 * whether it is kept. */
static gp_status gp_opt_components(gp_opt_run *r)
{
    const gp_graph *g = r->g;
    for (int32_t v = 0; v < g->n; v++) {
        r->skip[v] = g->households[v] > r->mx ? GP_SKIP_OVER : 0;
        r->n_over += r->skip[v] == GP_SKIP_OVER;
        r->cid[v] = -1;
    }
    int32_t at = 0;
    for (int32_t s = 0; s < g->n; s++) {
        if (r->skip[s] || r->cid[s] >= 0) {
            continue;
        }
        gp_status status = gp_opt_component(r, s, &at);
        if (status != GP_OK) {
            return status;
        }
    }
    r->count_ok = 1;
    if (r->fixed > 0) {
        r->count_ok = gp_distribute(r->comps, r->ncomp, r->fixed - r->n_over);
    }
    gp_previous_rules rules = {0, r->mn, r->mx, r->opts->max_workload, r->load, r->skip};
    for (int32_t c = 0; g->previous != NULL && c < r->ncomp; c++) {
        if (r->comps[c].nv > 0) {
            gp_comp_previous(r->pw, g, r->cverts, &rules, r->fixed > 0, r->keep, &r->comps[c]);
        }
    }
    return GP_OK;
}

/* A component is searched when it needs more than one grid, fewer than one per vertex, and
 * does not keep its previous division. */
static int gp_comp_searched(const gp_comp *cp)
{
    return cp->nv > 0 && cp->k > 1 && cp->k < cp->nv && !cp->kept;
}

/* Tasks: each component searched gets a fixed number of seeded restarts. */
static gp_status gp_opt_tasks(gp_opt_run *r)
{
    const gp_options *opts = r->opts;
    int32_t restarts = (int32_t)lround(GP_RESTARTS * opts->effort);
    restarts = restarts < 1 ? 1 : (restarts > GP_MAX_RESTARTS ? GP_MAX_RESTARTS : restarts);
    for (int32_t c = 0; c < r->ncomp; c++) {
        if (gp_comp_searched(&r->comps[c])) {
            r->ntasks += gp_restarts(restarts, r->comps[c].nv);
        }
    }
    r->tasks = gp_calloc((size_t)r->ntasks + 1, sizeof *r->tasks);
    r->res =
        gp_malloc(sizeof *r->res * r->nn * (size_t)(r->ntasks > 0 ? gp_restarts(restarts, 1) : 1));
    if (r->tasks == NULL || r->res == NULL) {
        return gp_error_nomem(r->ctx, "restarts");
    }
    int32_t ti = 0;
    for (int32_t c = 0; c < r->ncomp; c++) {
        gp_comp *cp = &r->comps[c];
        if (!gp_comp_searched(cp)) {
            continue;
        }
        cp->task0 = ti;
        cp->restarts = gp_restarts(restarts, cp->nv);
        for (int32_t i = 0; i < cp->restarts; i++) {
            gp_search_task *t = &r->tasks[ti++];
            t->verts = r->cverts + cp->start;
            t->nv = cp->nv;
            t->k = cp->k;
            t->households = cp->hh;
            t->workload = cp->wl;
            t->seed =
                gp_mix(opts->seed ^ gp_mix((uint64_t)c * 0x632BE59BD9B4E019ULL + (uint64_t)i + 1));
            t->restart = i;
            t->budget = opts->effort * GP_WORK_PER_ELEMENT * (cp->nv + cp->ne) + 1e5;
            t->out = r->res + (size_t)i * r->nn + cp->start;
        }
    }
    return GP_OK;
}

/* The number of search threads: the options', or one per core, and no more than tasks. */
static int32_t gp_opt_threads(const gp_options *opts, int32_t ntasks)
{
    int32_t nthreads = opts->threads;
    if (nthreads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = cores > 0 ? (int32_t)(cores < 1024 ? cores : 1024) : 1;
    }
    return nthreads > ntasks ? ntasks : nthreads;
}

/* Every task run, on this thread and the ones that start; GP_ERR_CANCELED when the progress
 * callback or the time limit stopped them. */
static gp_status gp_opt_search(gp_opt_run *r)
{
    if (r->ntasks == 0) {
        return GP_OK;
    }
    gp_context *ctx = r->ctx;
    const gp_graph *g = r->g;
    gp_status status = GP_OK;
    gp_runner run;
    memset(&run, 0, sizeof run);
    double shape_weight = g->area != NULL && g->perimeter != NULL ? GP_SHAPE_WEIGHT : 0.0;
    double band = r->by_households ? GP_WORKLOAD_BAND : GP_WORKLOAD_BAND_WEIGHTED;
    gp_search_shared sh = {g,
                           g->households,
                           r->wl,
                           r->skip,
                           r->mn,
                           r->mx,
                           band,
                           &run.cancel,
                           r->fixed > 0,
                           shape_weight,
                           r->opts->max_workload};
    run.ctx = ctx;
    run.sh = &sh;
    run.tasks = r->tasks;
    run.ntasks = r->ntasks;
    int32_t nthreads = gp_opt_threads(r->opts, r->ntasks);
    int32_t started = 0;
    gp_worker *workers = gp_calloc((size_t)nthreads, sizeof *workers);
    pthread_t *threads = gp_calloc((size_t)nthreads, sizeof *threads);
    if (workers == NULL || threads == NULL) {
        status = gp_error_nomem(ctx, "workers");
        goto done;
    }
    for (int32_t i = 0; i < nthreads; i++) {
        workers[i].run = &run;
        workers[i].w = gp_search_work_new(g->n, g->xadj[g->n], r->mx);
        if (workers[i].w == NULL) {
            status = gp_error_nomem(ctx, "search scratch");
            goto done;
        }
    }
    gp_search_work_set_tick(workers[0].w, gp_main_tick, &run);
    /* Worker 0 is this thread; a thread that fails to start only costs parallelism. */
    for (int32_t i = 1; i < nthreads; i++) {
        if (pthread_create(&threads[i], NULL, gp_worker_main, &workers[i]) != 0) {
            break;
        }
        started = i;
    }
    gp_worker_main(&workers[0]);
    /* While other threads finish their tasks this one still reports progress, so a cancel or
     * the time limit reaches them within a tick. */
    while (started > 0 && atomic_load(&run.done) < r->ntasks && !atomic_load(&run.cancel)) {
        gp_main_tick(&run);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    for (int32_t i = 1; i <= started; i++) {
        pthread_join(threads[i], NULL);
    }
    started = 0;
    if (atomic_load(&run.cancel)) {
        /* gp_progress recorded why (the callback, or the time limit) when it was here. */
        status =
            ctx != NULL && ctx->canceled
                ? GP_ERR_CANCELED
                : gp_error(ctx, GP_ERR_CANCELED, "partition: canceled by the progress callback");
    }
done:
    for (int32_t i = 1; i <= started; i++) {
        pthread_join(threads[i], NULL);
    }
    for (int32_t i = 0; workers != NULL && i < nthreads; i++) {
        gp_search_work_free(workers[i].w);
    }
    gp_free(workers);
    gp_free(threads);
    return status;
}

/* A label per vertex: per component its kept previous division, its one grid or one grid per
 * vertex, or its best restart (objective first, then the lowest restart index); a grid per
 * vertex over the maximum; a leftover vertex its host's. */
static void gp_opt_labels(gp_opt_run *r)
{
    int32_t next = 0;
    for (int32_t c = 0; c < r->ncomp; c++) {
        gp_comp *cp = &r->comps[c];
        const int32_t *vs = r->cverts + cp->start;
        if (cp->nv == 0) {
            continue;
        }
        if (cp->kept) {
            for (int32_t i = 0; i < cp->nv; i++) {
                r->label[vs[i]] = next + r->keep[cp->start + i];
            }
            next += cp->k;
            continue;
        }
        if (cp->task0 < 0) {
            for (int32_t i = 0; i < cp->nv; i++) {
                r->label[vs[i]] = next + (cp->k == 1 ? 0 : i);
            }
            next += cp->k == 1 ? 1 : cp->nv;
            continue;
        }
        int32_t best = cp->task0;
        for (int32_t i = 1; i < cp->restarts; i++) {
            if (gp_score_cmp(r->tasks[cp->task0 + i].score, r->tasks[best].score) < 0) {
                best = cp->task0 + i;
            }
        }
        cp->best = best;
        const int32_t *o = r->tasks[best].out;
        for (int32_t i = 0; i < cp->nv; i++) {
            r->label[vs[i]] = next + o[i];
        }
        next += r->tasks[best].k_out;
    }
    for (int32_t v = 0; v < r->g->n; v++) {
        if (r->skip[v] == GP_SKIP_OVER) {
            r->label[v] = next++;
        }
    }
    for (int32_t c = 0; c < r->ncomp; c++) {
        const gp_comp *cp = &r->comps[c];
        for (int32_t i = cp->nv; cp->host >= 0 && i < cp->nv + cp->nj; i++) {
            r->label[r->cverts[cp->start + i]] = r->label[cp->host];
        }
    }
    r->n_labels = next;
}

/* The partition: grid ids in order of each grid's lowest vertex (independent of search
 * internals), its statistics and, with a previous division, the households moved. */
static gp_status gp_opt_grids(gp_opt_run *r, gp_partition **out)
{
    gp_context *ctx = r->ctx;
    const gp_graph *g = r->g;
    int32_t n = g->n;
    int32_t *remap = gp_malloc(sizeof *remap * (size_t)(r->n_labels > 0 ? r->n_labels : 1));
    if (remap == NULL) {
        return gp_error_nomem(ctx, "grid ids");
    }
    for (int32_t i = 0; i < r->n_labels; i++) {
        remap[i] = -1;
    }
    int32_t grids = 0;
    for (int32_t v = 0; v < n; v++) {
        if (remap[r->label[v]] < 0) {
            remap[r->label[v]] = grids++;
        }
    }
    gp_partition *p = gp_partition_alloc(n, grids);
    if (p != NULL) {
        for (int32_t v = 0; v < n; v++) {
            p->part[v] = remap[r->label[v]];
        }
    }
    gp_free(remap);
    if (p == NULL) {
        return gp_error_nomem(ctx, "partition");
    }
    *out = p;
    double *shape = NULL; /* by grid: perimeter, then area */
    if (g->area != NULL) {
        shape = gp_calloc(2 * (size_t)(grids > 0 ? grids : 1), sizeof *shape);
        if (shape == NULL) {
            return gp_error_nomem(ctx, "grid shapes");
        }
    }
    gp_statistics(g, r->load, r->mn, r->mx, p, shape, shape ? shape + grids : NULL);
    gp_free(shape);
    return g->previous != NULL && n > 0 ? gp_households_moved(ctx, g, p) : GP_OK;
}

/* One problem per component no whole number of grids fits, and one when a fixed grid count
 * is not met. */
static gp_status gp_report_count_unmet(const gp_opt_run *r, gp_partition *p)
{
    gp_status status = GP_OK;
    for (int32_t c = 0; c < r->ncomp && status == GP_OK; c++) {
        const gp_comp *cp = &r->comps[c];
        int32_t v0 = r->cverts[cp->start];
        if (cp->nv == 0 || cp->klo <= cp->khi) {
            continue;
        }
        status = gp_partition_add_problem(
            p, GP_PROBLEM_COMPONENT_INFEASIBLE, v0,
            "component of %d vertices from vertex %d holds %" PRId64
            " households: no grid count k has k x %" PRId64 " <= %" PRId64 " <= k x %" PRId64
            "; divided into %d grid(s) with the least violation",
            (int)cp->nv, (int)v0, cp->hh, r->mn, cp->hh, r->mx, (int)cp->k);
    }
    if (r->fixed > 0 && status == GP_OK && (!r->count_ok || p->grids != r->fixed)) {
        status = gp_partition_add_problem(p, GP_PROBLEM_GRID_COUNT, 0,
                                          "the fixed grid count %" PRId64
                                          " cannot be met within the bounds [%" PRId64 ", %" PRId64
                                          "]: %d grids made",
                                          r->fixed, r->mn, r->mx, (int)p->grids);
    }
    return status;
}

/* One problem per grid of a feasible component outside the bounds, reported by the grid's
 * lowest vertex. */
static gp_status gp_report_bounds_unmet(const gp_opt_run *r, gp_partition *p)
{
    int32_t n = r->g->n;
    int32_t *firstv = gp_malloc(sizeof *firstv * ((size_t)p->grids + 1));
    if (firstv == NULL) {
        return gp_error_nomem(r->ctx, "grid problems");
    }
    for (int32_t gid = 0; gid < p->grids; gid++) {
        firstv[gid] = -1;
    }
    for (int32_t v = n - 1; v >= 0; v--) {
        firstv[p->part[v]] = v;
    }
    gp_status status = GP_OK;
    for (int32_t v = 0; v < n && status == GP_OK; v++) {
        int32_t gid = p->part[v];
        if (r->skip[v] || r->cid[v] < 0) {
            continue;
        }
        const gp_comp *cp = &r->comps[r->cid[v]];
        int64_t h = p->households[gid];
        /* Only the first vertex of each grid reports, and only for feasible components. */
        if (cp->klo > cp->khi || (h >= r->mn && h <= r->mx) || firstv[gid] != v) {
            continue;
        }
        status = gp_partition_add_problem(p, GP_PROBLEM_BOUNDS_UNMET, v,
                                          "grid %d (lowest vertex %d, %d vertices) holds %" PRId64
                                          " households, outside [%" PRId64 ", %" PRId64
                                          "]: the search found no division "
                                          "of its component within the bounds",
                                          (int)gid, (int)v, (int)p->vertices[gid], h, r->mn, r->mx);
    }
    gp_free(firstv);
    return status;
}

/* Problems: every bound that is not held is reported with its vertices and reason. */
static gp_status gp_opt_problems(const gp_opt_run *r, gp_partition *p)
{
    gp_status status =
        gp_report_over_max(p, r->g, r->skip, r->comps, r->ncomp, r->cverts, r->mn, r->mx);
    if (status == GP_OK) {
        status = gp_report_over_cap(p, r->opts->max_workload, r->mn, r->mx);
    }
    if (status == GP_OK) {
        status = gp_report_count_unmet(r, p);
    }
    if (status == GP_OK) {
        status = gp_report_bounds_unmet(r, p);
    }
    return status != GP_OK ? gp_error_nomem(r->ctx, "problem list") : GP_OK;
}

/* The optimizer's stages, in order: components, their tasks, the search, the best restarts'
 * labels, the partition, its problems. */
static gp_status gp_graph_partition_run(gp_context *ctx, const gp_graph *graph,
                                        const gp_options *opts, gp_partition **out)
{
    gp_opt_run r;
    memset(&r, 0, sizeof r);
    gp_partition *p = NULL;
    gp_status status = gp_opt_check(ctx, graph, &opts, out);
    if (status == GP_OK) {
        r.ctx = ctx;
        r.g = graph;
        r.opts = opts;
        r.mn = opts->min_households;
        r.mx = opts->max_households;
        r.fixed = opts->grid_count;
        r.nn = (size_t)(graph->n > 0 ? graph->n : 1);
        status = gp_progress(ctx, 0.0, "partition");
    }
    if (status == GP_OK) {
        status = gp_opt_alloc(&r);
    }
    if (status == GP_OK) {
        status = gp_opt_components(&r);
    }
    if (status == GP_OK) {
        status = gp_opt_tasks(&r);
    }
    if (status == GP_OK) {
        status = gp_opt_search(&r);
    }
    if (status == GP_OK) {
        gp_opt_labels(&r);
        status = gp_opt_grids(&r, &p);
    }
    if (status == GP_OK) {
        status = gp_opt_problems(&r, p);
    }
    if (status == GP_OK) {
        status = gp_progress(ctx, 1.0, "partition");
    }
    if (status == GP_OK) {
        *out = p;
        p = NULL;
    }
    gp_partition_free(p);
    gp_opt_free(&r);
    return status;
}

/* The optimizer under the options' time limit, if any (and any limit already running). */
gp_status gp_graph_partition(gp_context *ctx, const gp_graph *graph, const gp_options *opts,
                             gp_partition **out)
{
    gp_deadline prev = gp_deadline_begin(ctx, opts != NULL ? opts->time_limit : 0.0);
    gp_status status = gp_graph_partition_run(ctx, graph, opts, out);
    gp_deadline_end(ctx, prev);
    return status;
}

gp_status gp_partition_graph(gp_context *ctx, int32_t n, const int32_t *xadj, const int32_t *adjncy,
                             const double *edge_cost, const int64_t *households,
                             const gp_options *opts, int32_t *part_out, int32_t *n_grids_out)
{
    gp_status status = GP_OK;
    gp_graph *g = NULL;
    gp_partition *p = NULL;
    if ((part_out == NULL && n > 0) || n_grids_out == NULL) {
        status = gp_error(ctx, GP_ERR_ARG, "gp_partition_graph: part_out or n_grids_out is NULL");
        goto done;
    }
    *n_grids_out = 0;
    status = gp_graph_new(ctx, n, xadj, adjncy, &g);
    if (status != GP_OK) {
        goto done;
    }
    status = gp_graph_set_households(ctx, g, households);
    if (status != GP_OK) {
        goto done;
    }
    if (edge_cost != NULL) {
        /* The combined cost is a border length with unit cost per length. */
        status = gp_graph_set_edges(ctx, g, edge_cost, NULL);
        if (status != GP_OK) {
            goto done;
        }
    }
    status = gp_graph_partition(ctx, g, opts, &p);
    if (status != GP_OK) {
        goto done;
    }
    if (n > 0) {
        memcpy(part_out, p->part, sizeof *part_out * (size_t)n);
    }
    *n_grids_out = p->grids;
    if (p->problem_count > 0) {
        status = gp_error(ctx, GP_ERR_INFEASIBLE, "%s%s", p->problems[0].message,
                          p->problem_count > 1 ? " (and more problems)" : "");
    }
done:
    gp_partition_free(p);
    gp_graph_free(g);
    return status;
}
