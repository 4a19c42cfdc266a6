/* SPDX-License-Identifier: MIT */
/**
 * @file divide.c One community's division: which street blocks the split stage cuts, and the
 * partitions on the resulting graph.
 *
 * Rule 1 (GP_SPLIT_OVERSIZE): a block holding more than the maximum in two household sites or
 * more is cut into cells between buildings and along its internal paths (split.c); the
 * optimizer groups the cells, and since a cut costs more than any street, it cuts such a
 * block only as the bounds require.
 *
 * Rule 2 (GP_SPLIT_NEEDED): when the community's total fits a whole number of grids but the
 * best division still breaks a bound (not counting a grid that holds a single household site
 * above the maximum), a bounded greedy search cuts blocks one at a time. Each round takes the
 * blocks in the grids that break a bound and their neighbours, articulation points of the
 * block graph first (a leaf block reachable only through a hub is the usual trap), then more
 * households, then larger area; cuts each of the first few into open cells (empty corridors
 * between household sites) on top of the cuts already made, re-partitions, and keeps the trial
 * that leaves the least violation, then the fewest blocks cut, then the shortest cut off
 * streets. It stops when the bounds hold, when no trial improves, or after a few rounds; cuts
 * that turn out unnecessary are then undone. Every step is deterministic.
 */

#include "divide.h"
#include "keep.h"
#include "previous.h"
#include "tried.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on the search of rule 2: rounds, and blocks tried per round. */
enum { MAX_ROUNDS = 3, MAX_CANDIDATES = 8 };

/* A division tried: the cells (NULL: the whole blocks), its partition and its score. */
typedef struct trial {
    gp_cells *cells;
    gp_partition *part;
    int64_t viol;       /* households outside the bounds, a grid holding an indivisible feature
                         * above the maximum excused */
    int32_t blocks_cut; /* blocks with a grid border inside */
    double off_street;  /* metres of grid border inside blocks, off streets */
    double on_path;     /* metres of grid border along internal paths */
} trial;

static void trial_clear(trial *t)
{
    gp_partition_free(t->part);
    gp_cells_free(t->cells);
    memset(t, 0, sizeof *t);
}

/* Lexicographic: less violation, fewer blocks cut, less cut off streets. */
static int trial_better(const trial *a, const trial *b)
{
    if (b->part == NULL) {
        return a->part != NULL;
    }
    if (a->viol != b->viol) {
        return a->viol < b->viol;
    }
    if (a->blocks_cut != b->blocks_cut) {
        return a->blocks_cut < b->blocks_cut;
    }
    return a->off_street < b->off_street - 1e-6;
}

void gp_divided_clear(gp_divided *d)
{
    gp_partition_free(d->part);
    gp_pieces_free(d->pieces);
    gp_free(d->reason);
    memset(d, 0, sizeof *d);
}

/* The graph the optimizer sees, as plain arrays. */
typedef struct graph_view {
    int32_t n;
    const int32_t *xadj, *adjncy;
    const int64_t *households;
    const double *border, *cost, *area, *perimeter;
    const int32_t *sites;   /* NULL: vertex v is block v (sites from the splitter) */
    const double *workload; /* NULL: the households (no weights or extra loads given) */
} graph_view;

static graph_view view_of(const gp_blocks *b, const gp_cells *c)
{
    /* Blocks carry a workload only when weights or extra loads were given (loads.c). */
    const double *wl = b->workload == NULL ? NULL : c ? c->workload : b->workload;
    if (c != NULL) {
        return (graph_view){c->n,         c->xadj, c->adjncy,    c->households, c->border_length,
                            c->edge_cost, c->area, c->perimeter, c->sites,      wl};
    }
    return (graph_view){b->n,         b->xadj, b->adjncy,    b->households, b->border_length,
                        b->edge_cost, b->area, b->perimeter, NULL,          wl};
}

/* `adjust`: the previous grid of every vertex of a view: a block's own label; a cell holding
 * households the grid of most of them, an empty cell the grid covering most of its area (so
 * that the cells of a block the previous division cut fall on the sides they were on). */
static gp_status view_labels(gp_context *ctx, const gp_prev_community *pc, const gp_cells *c,
                             int32_t **out)
{
    *out = NULL;
    if (c == NULL) {
        return GP_OK;
    }
    int32_t *label = gp_malloc(((size_t)c->n + 1) * sizeof *label);
    if (label == NULL) {
        return gp_error_nomem(ctx, "the previous grids of cells");
    }
    gp_status st = GP_OK;
    for (int32_t v = 0; v < c->n && st == GP_OK; v++) {
        label[v] = pc->block_label[c->block[v]];
        if (!c->is_cell[v]) {
            continue;
        }
        int32_t by_hh =
            gp_prev_majority(pc, c->hh_list + c->hh_start[v], c->hh_start[v + 1] - c->hh_start[v]);
        if (by_hh >= 0) {
            label[v] = by_hh;
        } else if (c->geom[v] != NULL) {
            int32_t by_area = -1;
            st = gp_prev_label_geoms(ctx, pc, &c->geom[v], 1, &by_area, NULL, NULL);
            label[v] = by_area >= 0 ? by_area : label[v];
        }
    }
    if (st != GP_OK) {
        gp_free(label);
        return st;
    }
    *out = label;
    return GP_OK;
}

/* adjust: the view's labels as they are, when they hold (keep.c): the cells of the blocks the
 * previous division cut falling on their sides again. *out NULL when they do not. */
static gp_status keep_view(gp_context *ctx, const graph_view *g, const gp_options *opts,
                           const gp_prev_community *pc, const gp_cells *cells,
                           const gp_splitter *sp, const int32_t *labels, gp_partition **out)
{
    int32_t *label = gp_malloc(((size_t)g->n + 1) * sizeof *label);
    uint8_t *indivisible = gp_malloc((size_t)g->n + 1);
    if (label == NULL || indivisible == NULL) {
        gp_free(label);
        gp_free(indivisible);
        return gp_error_nomem(ctx, "the previous division");
    }
    for (int32_t v = 0; v < g->n; v++) {
        int32_t blk = cells ? cells->block[v] : v;
        int whole = cells == NULL || !cells->is_cell[v];
        int ok =
            !whole || (pc->block_share[blk] >= GP_PREV_MATCH_SHARE && !pc->block_hh_split[blk]);
        label[v] = ok ? (labels ? labels[v] : pc->block_label[v]) : -1;
        int32_t sites = g->sites ? g->sites[v] : sp ? gp_splitter_sites(sp, v) : 2;
        indivisible[v] = g->households[v] > opts->max_households && sites <= 1;
    }
    gp_keep_view kv = {g->n,      g->xadj, g->adjncy, g->households, g->workload,
                       g->border, g->cost, label,     indivisible,   pc->n};
    gp_status st = gp_keep_labels(ctx, &kv, opts, out);
    gp_free(label);
    gp_free(indivisible);
    return st;
}

/*
 * adjust: when the previous grid count no longer fits the households (grids grew over the
 * maximum, or fell under the minimum), the fewest households move with the feasible count
 * nearest to it: every grid added or dissolved moves a grid's worth of households. When the
 * optimizer's own choice of count differs, the counts from that one towards the optimizer's
 * are tried too, and the first with no more grids out of bounds and fewer households moved is
 * kept (a count the user fixed stays).
 */
static gp_status fewest_grids_added(gp_context *ctx, const gp_graph *graph, const graph_view *g,
                                    const gp_options *opts, const int32_t *labels,
                                    gp_partition **best)
{
    int64_t total = 0;
    int32_t had = 0, top = -1;
    for (int32_t v = 0; v < g->n; v++) {
        total += g->households[v];
        top = labels[v] > top ? labels[v] : top;
    }
    uint8_t *seen = gp_calloc((size_t)top + 2, 1);
    if (seen == NULL) {
        return gp_error_nomem(ctx, "the previous grid count");
    }
    for (int32_t v = 0; v < g->n; v++) {
        had += labels[v] >= 0 && !seen[labels[v]];
        if (labels[v] >= 0) {
            seen[labels[v]] = 1;
        }
    }
    gp_free(seen);
    int64_t lo = (total + opts->max_households - 1) / opts->max_households;
    int64_t hi = opts->min_households > 0 ? total / opts->min_households : g->n;
    lo = lo < 1 ? 1 : lo;
    hi = hi > g->n ? g->n : hi;
    if (opts->grid_count > 0 || had < 1 || lo > hi) {
        return GP_OK;
    }
    /* Counts from the nearest feasible one to the previous count towards the optimizer's: the
     * first as good on the bounds and moving fewer households wins. */
    int64_t k = had < lo ? lo : (had > hi ? hi : had);
    int64_t chosen = gp_partition_grid_count(*best);
    int64_t step = chosen > k ? 1 : -1;
    gp_status st = GP_OK;
    for (; k != chosen && k != had && st == GP_OK; k += step) {
        gp_options *fixed = NULL;
        gp_partition *other = NULL;
        st = gp_options_clone(opts, &fixed);
        if (st == GP_OK && (st = gp_options_set_grid_count(ctx, fixed, (int32_t)k)) == GP_OK) {
            st = gp_graph_partition(ctx, graph, fixed, &other);
        }
        int better = st == GP_OK && other != NULL &&
                     gp_partition_out_of_bounds(other) <= gp_partition_out_of_bounds(*best) &&
                     gp_partition_households_moved(other) < gp_partition_households_moved(*best);
        if (better) {
            gp_partition_free(*best);
            *best = other;
            other = NULL;
        }
        gp_partition_free(other);
        gp_options_free(fixed);
        if (better) {
            break;
        }
    }
    return st;
}

static gp_status partition_view(gp_context *ctx, const graph_view *g, const gp_options *opts,
                                const gp_prev_community *pc, const gp_cells *cells,
                                const gp_splitter *sp, gp_partition **out)
{
    gp_graph *graph = NULL;
    int32_t *labels = NULL;
    gp_status st = GP_OK;
    *out = NULL;
    if (pc != NULL &&
        ((st = view_labels(ctx, pc, cells, &labels)) != GP_OK ||
         (st = keep_view(ctx, g, opts, pc, cells, sp, labels, out)) != GP_OK || *out != NULL)) {
        gp_free(labels);
        return st;
    }
    if ((st = gp_graph_new(ctx, g->n, g->xadj, g->adjncy, &graph)) == GP_OK &&
        (st = gp_graph_set_households(ctx, graph, g->households)) == GP_OK &&
        (g->workload == NULL || (st = gp_graph_set_workload(ctx, graph, g->workload)) == GP_OK) &&
        (st = gp_graph_set_edges(ctx, graph, g->border, g->cost)) == GP_OK &&
        (st = gp_graph_set_shape(ctx, graph, g->area, g->perimeter)) == GP_OK &&
        (pc == NULL ||
         (st = gp_graph_set_previous(ctx, graph, labels ? labels : pc->block_label)) == GP_OK)) {
        st = gp_graph_partition(ctx, graph, opts, out);
    }
    if (st == GP_OK && pc != NULL) {
        st = fewest_grids_added(ctx, graph, g, opts, labels ? labels : pc->block_label, out);
    }
    gp_free(labels);
    gp_graph_free(graph);
    return st;
}

/* Households outside [min, max] summed over grids; a grid over the maximum that holds a vertex
 * of one household site above the maximum is excused: nothing can divide that vertex, and the
 * optimizer lets households too few for a grid join it (partition/leftover.c). */
static gp_status violation(gp_context *ctx, const gp_splitter *sp, const graph_view *g,
                           const gp_partition *part, const gp_options *opts, int64_t *out)
{
    int32_t ng = gp_partition_grid_count(part);
    const int32_t *assign = gp_partition_assignment(part);
    uint8_t *indivisible = gp_calloc((size_t)ng + 1, 1);
    if (indivisible == NULL) {
        return gp_error_nomem(ctx, "bound violations");
    }
    for (int32_t v = 0; v < g->n; v++) {
        if (g->households[v] > opts->max_households &&
            (g->sites ? g->sites[v] : gp_splitter_sites(sp, v)) <= 1) {
            indivisible[assign[v]] = 1;
        }
    }
    int64_t viol = 0;
    for (int32_t k = 0; k < ng; k++) {
        int64_t h = gp_partition_grid_households(part, k);
        if (h > opts->max_households && !indivisible[k]) {
            viol += h - opts->max_households;
        } else if (h < opts->min_households) {
            viol += opts->min_households - h;
        }
    }
    gp_free(indivisible);
    *out = viol;
    return GP_OK;
}

/* Cut the blocks of `mode`, partition, score. GP_ERR_GEOMETRY: the cells could not be made. */
static gp_status run_trial(gp_context *ctx, gp_splitter *sp, const gp_blocks *b,
                           const uint8_t *mode, const gp_options *opts, const gp_prev_community *pc,
                           trial *t)
{
    memset(t, 0, sizeof *t);
    gp_status st = GP_OK;
    int any = 0;
    for (int32_t v = 0; v < b->n && !any; v++) {
        any = mode[v] != GP_CELLS_NONE;
    }
    if (any && (st = gp_splitter_cells(ctx, sp, mode, &t->cells)) != GP_OK) {
        return st;
    }
    graph_view g = view_of(b, t->cells);
    if ((st = partition_view(ctx, &g, opts, pc, t->cells, sp, &t->part)) != GP_OK ||
        (st = violation(ctx, sp, &g, t->part, opts, &t->viol)) != GP_OK) {
        trial_clear(t);
        return st;
    }
    if (t->cells != NULL) {
        st = gp_cells_cut_stats(ctx, t->cells, gp_partition_assignment(t->part), &t->blocks_cut,
                                &t->off_street, &t->on_path);
    }
    if (st != GP_OK) {
        trial_clear(t);
    }
    return st;
}

/* Articulation points of the block graph (iterative Hopcroft-Tarjan). */
static gp_status articulation(gp_context *ctx, const gp_blocks *b, uint8_t *cut_vertex)
{
    int32_t n = b->n;
    int32_t *disc = gp_calloc((size_t)n + 1, sizeof *disc);
    int32_t *low = gp_malloc(((size_t)n + 1) * sizeof *low);
    int32_t *parent = gp_malloc(((size_t)n + 1) * sizeof *parent);
    int32_t *edge = gp_malloc(((size_t)n + 1) * sizeof *edge);
    int32_t *stack = gp_malloc(((size_t)n + 1) * sizeof *stack);
    int32_t *children = gp_calloc((size_t)n + 1, sizeof *children);
    if (!disc || !low || !parent || !edge || !stack || !children) {
        gp_free(disc), gp_free(low), gp_free(parent), gp_free(edge), gp_free(stack);
        gp_free(children);
        return gp_error_nomem(ctx, "articulation points");
    }
    memset(cut_vertex, 0, (size_t)n);
    int32_t time = 0;
    for (int32_t r = 0; r < n; r++) {
        if (disc[r]) {
            continue;
        }
        int32_t top = 0;
        stack[top++] = r;
        parent[r] = -1;
        disc[r] = low[r] = ++time;
        edge[r] = b->xadj[r];
        while (top > 0) {
            int32_t v = stack[top - 1];
            if (edge[v] < b->xadj[v + 1]) {
                int32_t w = b->adjncy[edge[v]++];
                if (!disc[w]) {
                    parent[w] = v;
                    children[v]++;
                    disc[w] = low[w] = ++time;
                    edge[w] = b->xadj[w];
                    stack[top++] = w;
                } else if (w != parent[v] && disc[w] < low[v]) {
                    low[v] = disc[w];
                }
                continue;
            }
            top--;
            int32_t p = parent[v];
            if (p >= 0) {
                if (low[v] < low[p]) {
                    low[p] = low[v];
                }
                if (parent[p] >= 0 && low[v] >= disc[p]) {
                    cut_vertex[p] = 1;
                }
            }
        }
        cut_vertex[r] = children[r] > 1;
    }
    gp_free(disc), gp_free(low), gp_free(parent), gp_free(edge), gp_free(stack);
    gp_free(children);
    return GP_OK;
}

typedef struct cand {
    int32_t block;
    uint8_t art;
    int64_t households;
    double area;
} cand;

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->art != b->art) {
        return a->art > b->art ? -1 : 1;
    }
    if (a->households != b->households) {
        return a->households > b->households ? -1 : 1;
    }
    if (a->area != b->area) {
        return a->area > b->area ? -1 : 1;
    }
    return (a->block > b->block) - (a->block < b->block);
}

/* Some whole k has k * min <= total <= k * max (the referee's test, from the total alone). */
static int feasible_total(int64_t total, const gp_options *opts)
{
    int64_t lo = opts->min_households, hi = opts->max_households;
    if (total <= 0) {
        return 1;
    }
    int64_t k = (total + hi - 1) / hi;
    return k * lo <= total;
}

/* Blocks in and around the grids of `t` that break a bound, not yet cut open, best first.
 * Only grids that cuts can mend count: the optimizer divides each connected component (its
 * indivisible vertices above the maximum set apart) on its own, and cuts add no adjacency, so
 * a grid in a component whose total fits no whole number of grids is left alone. */
static gp_status candidates(gp_context *ctx, const gp_splitter *sp, const gp_blocks *b,
                            const gp_options *opts, const trial *t, const uint8_t *mode,
                            const uint8_t *art, cand *out, int32_t *n_out)
{
    graph_view g = view_of(b, t->cells);
    const int32_t *assign = gp_partition_assignment(t->part);
    int32_t ng = gp_partition_grid_count(t->part);
    uint8_t *bad = gp_calloc((size_t)ng + 1, 1);
    uint8_t *pick = gp_calloc((size_t)b->n + 1, 1);
    int32_t *comp = gp_malloc(((size_t)g.n + 1) * sizeof *comp);
    int32_t *stack = gp_malloc(((size_t)g.n + 1) * sizeof *stack);
    int64_t *comp_hh = gp_calloc((size_t)g.n + 1, sizeof *comp_hh);
    gp_status st = GP_OK;
    if (!bad || !pick || !comp || !stack || !comp_hh) {
        st = gp_error_nomem(ctx, "split candidates");
        goto done;
    }
    int32_t nc = 0;
    for (int32_t u = 0; u < g.n; u++) {
        int32_t sites = g.sites ? g.sites[u] : gp_splitter_sites(sp, u);
        comp[u] = g.households[u] > opts->max_households && sites <= 1 ? -2 : -1;
    }
    for (int32_t r = 0; r < g.n; r++) {
        if (comp[r] != -1) {
            continue;
        }
        int32_t top = 0;
        stack[top++] = r;
        comp[r] = nc;
        while (top > 0) {
            int32_t u = stack[--top];
            comp_hh[nc] += g.households[u];
            for (int32_t e = g.xadj[u]; e < g.xadj[u + 1]; e++) {
                int32_t w = g.adjncy[e];
                if (comp[w] == -1) {
                    comp[w] = nc;
                    stack[top++] = w;
                }
            }
        }
        nc++;
    }
    for (int32_t u = 0; u < g.n; u++) {
        int64_t h = gp_partition_grid_households(t->part, assign[u]);
        if (comp[u] >= 0 && (h < opts->min_households || h > opts->max_households) &&
            feasible_total(comp_hh[comp[u]], opts)) {
            bad[assign[u]] = 1;
        }
    }
    for (int32_t u = 0; u < g.n; u++) {
        if (!bad[assign[u]]) {
            continue;
        }
        pick[t->cells ? t->cells->block[u] : u] = 1;
        for (int32_t e = g.xadj[u]; e < g.xadj[u + 1]; e++) {
            int32_t w = g.adjncy[e];
            pick[t->cells ? t->cells->block[w] : w] = 1;
        }
    }
    int32_t n = 0;
    for (int32_t v = 0; v < b->n; v++) {
        if (pick[v] && mode[v] != GP_CELLS_OPEN) {
            out[n++] = (cand){v, art[v], b->households[v], b->area[v]};
        }
    }
    qsort(out, (size_t)n, sizeof *out, cmp_cand);
    *n_out = n;
done:
    gp_free(bad);
    gp_free(pick);
    gp_free(comp);
    gp_free(stack);
    gp_free(comp_hh);
    return st;
}

/* A trial whose cells could not be made is skipped (logged), not an error of the run. */
static int skippable(gp_context *ctx, gp_status st)
{
    if (st != GP_ERR_GEOMETRY) {
        return 0;
    }
    gp_log(ctx, GP_LOG_WARN, "split stage: %s; the block stays whole", gp_context_last_error(ctx));
    gp_context_clear_error(ctx);
    return 1;
}

static gp_tried_score score_of(const trial *t)
{
    return (gp_tried_score){t->viol, t->blocks_cut};
}

/* The undo step keeps a division without a cut when it is as good on the bounds and cuts fewer
 * blocks. */
static int undo_wins(gp_tried_score s, const trial *cur)
{
    return s.viol <= cur->viol && s.blocks_cut < cur->blocks_cut;
}

/* Rule 2's search (cut_as_needed): its arguments, scratch and the trials in hand. */
typedef struct cut_search {
    /* cut_as_needed's arguments */
    gp_context *ctx;
    gp_splitter *sp;
    const gp_blocks *b;
    const gp_options *opts;
    const gp_prev_community *pc;
    uint8_t *mode;
    trial *cur;
    int32_t *trials;
    /* the search's state */
    int32_t n;          /* blocks */
    uint8_t *art;       /* articulation points of the block graph */
    uint8_t *try_mode;  /* `mode` with one block changed, being tried */
    uint8_t *best_mode; /* the round's best `try_mode` */
    cand *cs;           /* the round's candidates */
    int32_t *opened;    /* the block each round cut open */
    int32_t n_opened;   /* rounds that cut a block open */
    trial best;         /* the round's best trial */
    trial t;            /* the trial being run */
    gp_tried seen;      /* the divisions tried, by mode */
} cut_search;

/* The division of s->try_mode into s->t, counted in *s->trials; *ran is 0 when GEOS could not
 * make its cells (skippable: the try is dropped, GP_OK). */
static gp_status run_try(cut_search *s, int *ran)
{
    gp_status st = run_trial(s->ctx, s->sp, s->b, s->try_mode, s->opts, s->pc, &s->t);
    (*s->trials)++;
    *ran = st == GP_OK;
    return st != GP_OK && skippable(s->ctx, st) ? GP_OK : st;
}

/* One candidate of round `round`: block v cut open on top of the cuts so far, tried when it
 * can be cut (*tried counts it); the round's best trial is kept in s->best. */
static gp_status try_candidate(cut_search *s, int round, int32_t v, int32_t *tried)
{
    gp_context *ctx = s->ctx;
    int32_t n = s->n, can = 0;
    gp_status st = gp_splitter_can_cut(ctx, s->sp, v, GP_CELLS_OPEN, &can);
    if (st != GP_OK && skippable(ctx, st)) {
        return GP_OK;
    }
    if (st != GP_OK || !can) {
        return st;
    }
    (*tried)++;
    memcpy(s->try_mode, s->mode, (size_t)n);
    s->try_mode[v] = GP_CELLS_OPEN;
    int ran = 0;
    if ((st = run_try(s, &ran)) != GP_OK || !ran) {
        return st;
    }
    if ((st = gp_tried_add(ctx, &s->seen, s->try_mode, n, score_of(&s->t))) != GP_OK) {
        return st;
    }
    gp_log(ctx, GP_LOG_DEBUG,
           "split stage: round %d, cutting block %" PRId32 " open: violation %" PRId64
           " (was %" PRId64 "), %" PRId32 " block(s) cut, %.1f m off streets",
           round, v, s->t.viol, s->cur->viol, s->t.blocks_cut, s->t.off_street);
    if (trial_better(&s->t, &s->best)) {
        trial_clear(&s->best);
        s->best = s->t;
        memcpy(s->best_mode, s->try_mode, (size_t)n);
        s->opened[s->n_opened] = v;
    } else {
        trial_clear(&s->t);
    }
    memset(&s->t, 0, sizeof s->t);
    return GP_OK;
}

/* One round: the first MAX_CANDIDATES candidates that can be cut, each tried on its own; the
 * best becomes the current division when it breaks the bounds less (*improved set to 1). */
static gp_status cut_round(cut_search *s, int round, int *improved)
{
    int32_t nc = 0;
    gp_status st = candidates(s->ctx, s->sp, s->b, s->opts, s->cur, s->mode, s->art, s->cs, &nc);
    if (st != GP_OK) {
        return st;
    }
    int32_t tried = 0;
    for (int32_t i = 0; i < nc && tried < MAX_CANDIDATES; i++) {
        if ((st = try_candidate(s, round, s->cs[i].block, &tried)) != GP_OK) {
            return st;
        }
    }
    if (s->best.part == NULL || s->best.viol >= s->cur->viol) {
        return GP_OK;
    }
    trial_clear(s->cur);
    *s->cur = s->best;
    memset(&s->best, 0, sizeof s->best);
    memcpy(s->mode, s->best_mode, (size_t)s->n);
    s->n_opened++;
    *improved = 1;
    return GP_OK;
}

/* Fewest blocks: the division with the block cut open in round i whole again replaces the
 * current one when it is as good (undo_wins); not run when it was tried and would not be. */
static gp_status undo_cut(cut_search *s, int32_t i)
{
    gp_context *ctx = s->ctx;
    int32_t n = s->n;
    memcpy(s->try_mode, s->mode, (size_t)n);
    s->try_mode[s->opened[i]] = GP_CELLS_NONE;
    gp_tried_score known;
    if (gp_tried_find(&s->seen, s->try_mode, n, &known) && !undo_wins(known, s->cur)) {
        /* An earlier state, already partitioned: it would not be kept. */
        gp_log(ctx, GP_LOG_DEBUG,
               "split stage: undoing block %" PRId32 " gives a division already tried",
               s->opened[i]);
        return GP_OK;
    }
    int ran = 0;
    gp_status st = run_try(s, &ran);
    if (st != GP_OK || !ran) {
        return st;
    }
    if (undo_wins(score_of(&s->t), s->cur)) {
        trial_clear(s->cur);
        *s->cur = s->t;
        memcpy(s->mode, s->try_mode, (size_t)n);
    } else {
        trial_clear(&s->t);
    }
    memset(&s->t, 0, sizeof s->t);
    return GP_OK;
}

/* Rule 2: the bounded greedy search described at the top of the file. */
static gp_status cut_as_needed(gp_context *ctx, gp_splitter *sp, const gp_blocks *b,
                               const gp_options *opts, const gp_prev_community *pc, uint8_t *mode,
                               trial *cur, int32_t *trials)
{
    int32_t n = b->n;
    cut_search s = {.ctx = ctx,
                    .sp = sp,
                    .b = b,
                    .opts = opts,
                    .pc = pc,
                    .mode = mode,
                    .cur = cur,
                    .trials = trials,
                    .n = n};
    gp_status st = GP_OK;
    s.art = gp_malloc((size_t)n + 1);
    s.try_mode = gp_malloc((size_t)n + 1);
    s.best_mode = gp_malloc((size_t)n + 1);
    s.cs = gp_malloc(((size_t)n + 1) * sizeof *s.cs);
    s.opened = gp_malloc(((size_t)MAX_ROUNDS + 1) * sizeof *s.opened);
    if (!s.art || !s.try_mode || !s.best_mode || !s.cs || !s.opened) {
        st = gp_error_nomem(ctx, "the split stage");
        goto done;
    }
    if ((st = articulation(ctx, b, s.art)) != GP_OK ||
        (st = gp_tried_add(ctx, &s.seen, mode, n, score_of(cur))) != GP_OK) {
        goto done;
    }
    for (int round = 0; round < MAX_ROUNDS && cur->viol > 0; round++) {
        int improved = 0;
        if ((st = cut_round(&s, round, &improved)) != GP_OK) {
            goto done;
        }
        if (!improved) {
            break;
        }
    }
    for (int32_t i = 0; s.n_opened > 1 && i < s.n_opened; i++) {
        if ((st = undo_cut(&s, i)) != GP_OK) {
            goto done;
        }
    }
done:
    gp_tried_clear(&s.seen);
    trial_clear(&s.best);
    trial_clear(&s.t);
    gp_free(s.art);
    gp_free(s.try_mode);
    gp_free(s.best_mode);
    gp_free(s.cs);
    gp_free(s.opened);
    return st;
}

gp_status gp_divide_community(gp_context *ctx, const gp_dataset *ds, const gp_blocks *b,
                              const gp_options *opts, gp_divided *out)
{
    return gp_divide_adjust(ctx, ds, b, opts, NULL, out);
}

/* `adjust`: open the blocks the previous division cut (their households in two grids, or
 * GP_PREV_CUT_SHARE of their area in a second one), so that their cells can fall on the sides they
 * were on (GP_CUT_PREVIOUS). */
static gp_status open_previous_cuts(gp_context *ctx, gp_splitter *sp, const gp_blocks *b,
                                    const gp_prev_community *pc, uint8_t *mode)
{
    for (int32_t v = 0; v < b->n; v++) {
        int32_t can = 0;
        if (mode[v] != GP_CELLS_NONE ||
            (!pc->block_hh_split[v] && pc->block_second[v] < GP_PREV_CUT_SHARE)) {
            continue;
        }
        gp_status st = gp_splitter_can_cut(ctx, sp, v, GP_CELLS_OPEN, &can);
        if (st != GP_OK && !skippable(ctx, st)) {
            return st;
        }
        mode[v] = st == GP_OK && can ? GP_CELLS_OPEN : GP_CELLS_NONE;
    }
    return GP_OK;
}

gp_status gp_divide_adjust(gp_context *ctx, const gp_dataset *ds, const gp_blocks *b,
                           const gp_options *opts, const gp_prev_community *pc, gp_divided *out)
{
    memset(out, 0, sizeof *out);
    int32_t n = b->n;
    gp_splitter *sp = NULL;
    uint8_t *mode = NULL, *first_mode = NULL;
    trial cur = {0};
    gp_status st = GP_OK;
    /* adjust: a previous division that still holds is kept as it was (keep.c). */
    if (pc != NULL &&
        ((st = gp_keep_previous(ctx, b, pc, opts, &out->part)) != GP_OK || out->part != NULL)) {
        return st;
    }
    if (opts->split == GP_SPLIT_NEVER) {
        graph_view g = view_of(b, NULL);
        return partition_view(ctx, &g, opts, pc, NULL, NULL, &out->part);
    }
    mode = gp_calloc((size_t)n + 1, 1);
    if (mode == NULL) {
        return gp_error_nomem(ctx, "the split stage");
    }
    if ((st = gp_splitter_new(ctx, ds, b, opts, &sp)) != GP_OK) {
        goto done;
    }
    /* Rule 1: blocks above the maximum with more than one household site. */
    for (int32_t v = 0; v < n; v++) {
        int32_t can = 0;
        if (b->households[v] <= opts->max_households || gp_splitter_sites(sp, v) < 2) {
            continue;
        }
        st = gp_splitter_can_cut(ctx, sp, v, GP_CELLS_BUILDINGS, &can);
        if (st != GP_OK && !skippable(ctx, st)) {
            goto done;
        }
        st = GP_OK;
        mode[v] = can ? GP_CELLS_BUILDINGS : GP_CELLS_NONE;
    }
    if (pc != NULL) {
        if ((first_mode = gp_malloc((size_t)n + 1)) == NULL) {
            st = gp_error_nomem(ctx, "the split stage");
            goto done;
        }
        memcpy(first_mode, mode, (size_t)n);
        if ((st = open_previous_cuts(ctx, sp, b, pc, mode)) != GP_OK) {
            goto done;
        }
    }
    st = run_trial(ctx, sp, b, mode, opts, pc, &cur);
    if (st != GP_OK && skippable(ctx, st)) {
        memset(mode, 0, (size_t)n);
        st = run_trial(ctx, sp, b, mode, opts, pc, &cur);
    }
    if (st != GP_OK) {
        goto done;
    }
    /* Rule 2. */
    if (opts->split == GP_SPLIT_NEEDED && cur.viol > 0 &&
        feasible_total(b->households_assigned, opts) &&
        (st = cut_as_needed(ctx, sp, b, opts, pc, mode, &cur, &out->trials)) != GP_OK) {
        goto done;
    }
    if (cur.cells != NULL) {
        st = gp_splitter_pieces(ctx, sp, cur.cells, gp_partition_assignment(cur.part),
                                gp_partition_grid_count(cur.part), &out->pieces);
        if (st != GP_OK) {
            goto done;
        }
        out->reason = gp_calloc((size_t)n + 1, 1);
        if (out->reason == NULL) {
            st = gp_error_nomem(ctx, "the split stage");
            goto done;
        }
        for (int32_t v = 0; v < n; v++) {
            out->reason[v] = mode[v] == GP_CELLS_OPEN        ? GP_CUT_BOUNDS
                             : mode[v] == GP_CELLS_BUILDINGS ? GP_CUT_OVERSIZE
                                                             : GP_CUT_NONE;
            if (first_mode != NULL && mode[v] == GP_CELLS_OPEN && first_mode[v] == GP_CELLS_NONE &&
                (pc->block_hh_split[v] || pc->block_second[v] >= GP_PREV_CUT_SHARE)) {
                out->reason[v] = GP_CUT_PREVIOUS;
            }
        }
    }
    out->part = cur.part;
    cur.part = NULL;
done:
    gp_free(first_mode);
    trial_clear(&cur);
    gp_splitter_free(sp);
    gp_free(mode);
    if (st != GP_OK) {
        gp_divided_clear(out);
    }
    return st;
}
