/* SPDX-License-Identifier: MIT */
/**
 * @file search.c One restart on one component: seeded region growing, then recombination and
 * boundary-move local search under a lexicographic objective.
 *
 * Method. (1) Region growing in the style of greedy graph growing (Karypis and Kumar, "A fast
 * and high quality multilevel scheme for partitioning irregular graphs", SIAM J. Sci. Comput.
 * 1998): grids are grown one after another from the front of a breadth-first sweep that starts
 * at a pseudo-peripheral vertex, each absorbing the frontier vertex most enclosed by it (by cut
 * cost) until it holds its share of the remaining households. (2) Repair: stray pieces rejoin a
 * neighbour, and grids merge or split until there are exactly k. (3) Recombination ("ReCom",
 * DeFord, Duchin and Solomon, "Recombination: a family of Markov chains for redistricting",
 * 2021): two adjacent grids are merged and re-split along an edge of a random spanning tree,
 * keeping the best split, which fixes bounds and cut cost across a pair at once; both sides of a
 * tree edge are connected, so contiguity holds by construction. A pair of at most
 * GP_EXACT_VERTICES vertices is instead split exactly: every connected split within bounds is
 * enumerated (pairsplit.c), and the trees are drawn only when that enumeration hits its cap.
 * (4) Boundary moves (as in Fiduccia-Mattheyses refinement) of single vertices to a neighbouring
 * grid when that improves the objective and the grid left behind stays connected (checked by a
 * search limited to it). The objective is lexicographic: households outside [min, max], then
 * workload outside a band around the mean, then cut cost plus a compactness penalty. (5) Grids
 * still out of bounds are repaired exactly: on a community-sized component by cutting random
 * spanning trees of the whole component (treedp.c), else by re-dividing each such grid's
 * neighbourhood of grids. All work is counted and bounded by the task's budget, plus a reserve
 * for the repair.
 */

#include "search.h"

#include "pairsplit.h"
#include "splitmemo.h"
#include "treedp.h"

#include "core/memory.h"
#include "core/unionfind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trees tried per recombination and candidate splits costed per tree: enough to find the good
 * splits of the small merged regions that grids of a few hundred households make. */
enum { GP_RECOM_TREES = 3, GP_RECOM_CANDIDATES = 8, GP_MAX_ROUNDS = 12 };
/* Work (vertices and edges visited) allowed to the exact splitting of one pair (pairsplit.c). */
static const double GP_ENUM_CAP = 20000;
/*
 * The largest pair region split exactly; a larger one goes straight to the random trees. The
 * connected splits of a region grow exponentially with its size, and an enumeration stopped by
 * its cap has seen only the sets that take the lowest-numbered vertices first, a corner of them.
 * On the 356k-household province (tests/bench, make_province.py), within the cap every region
 * of up to 15 vertices was enumerated to the end, 35-80% of those of 16-20, under 4% of those of
 * 21-26 and none larger; yet the capped ones, 80% of all, spent 94% of the search's work. Sent
 * to the trees instead, they give lower cut cost and as compact grids (tests/bench/RESULTS.md).
 */
enum { GP_EXACT_VERTICES = 20 };
_Static_assert((int)GP_EXACT_VERTICES <= (int)GP_PAIRSPLIT_MAX,
               "an exact region fits the pair splitter");
/* Random spanning trees the exact fallback tries before it gives up; rings of neighbouring
 * grids and vertices at most in a region that a local repair re-divides. */
enum { GP_FALLBACK_TREES = 64, GP_REPAIR_RINGS = 3, GP_REPAIR_VERTICES = 2000 };
/* Share of the budget added for the fallback when the search spent all of it. */
static const double GP_REPAIR_RESERVE = 0.25;
/* The starting grid of a vertex whose previous grid was dissolved into its neighbours: no grid
 * has this id, so the vertex counts as moved wherever it ends. */
static const int32_t GP_HOME_DISSOLVED = INT32_MAX;

typedef struct {
    double key;
    int32_t v;
    int32_t aux;
} gp_heap_item;

struct gp_search_work {
    int32_t n;
    int32_t m;
    int32_t *part;
    uint32_t *seen;
    uint32_t stamp;
    uint32_t *seen2;
    uint32_t stamp2;
    int32_t *queue;
    int32_t *ord;
    int32_t *dist;
    int32_t *ver;
    int32_t *loc;
    double *conn;
    double *tot;
    double *gtmp;
    uint8_t *inq;
    uint8_t *bestin;
    uint8_t *gmark;
    int32_t *sv;
    int32_t *tp;
    int32_t *tin;
    int32_t *tout;
    int32_t *head;
    int32_t *next;
    int32_t *stack;
    int32_t *cand;
    int64_t *shh;
    double *swl;
    gp_heap_item *heap;
    int32_t hsize;
    int64_t *ghh;
    double *gwl;
    int32_t *gnv;
    int32_t *grep;
    int32_t *glab;
    int64_t *pairs;
    int32_t *gtmp_label; /* part ids from the exact fallback, by vertex */
    int32_t *vpos;       /* position of each component vertex in t->verts */
    /* Shape: per grid perimeter and area; per position of a recombined region the length of
     * its boundary not shared with the region, and that length and the area summed over a
     * subtree; per grid a border scratch of the move pass. */
    double *gper;
    double *gar;
    double *qb;
    double *sq;
    double *sar;
    double *gbt;
    /* With a previous assignment (has_home): per vertex the grid it started in (its previous
     * grid, made connected), -1 for a vertex without one; per position of a recombined region
     * the households that started in the pair's first grid, second grid or any grid, summed
     * over a subtree. */
    int32_t *home;
    int has_home;
    int64_t *sha;
    int64_t *shb;
    int64_t *shk;
    /* Exact pair splitting: the region, and its edges' far ends, cut costs and lengths. */
    gp_pairsplit_region region;
    uint64_t rkey[GP_PAIRSPLIT_MAX]; /* the region's key in the split memo */
    gp_splitmemo *splits;            /* exact splits already made in this component */
    int32_t *pxadj;  /* the region's edges by position (gp_region_edges): CSR rows */
    int32_t *pto;    /* ... the position at the other end */
    double *pcost;   /* ... cut cost */
    double *pborder; /* ... border length */
    gp_treedp *dp; /* the exact fallback; NULL when the bounds are too large for it */
    /* Pairs known exhausted (gp_recombine_memo): per grid the clock of its last change; per
     * slot of an open-addressing table an ordered pair a << 32 | b, the clock when its
     * recombination last came out unchanged without a random draw, and the generation it
     * belongs to (older generations are empty slots). */
    uint64_t *gclock;
    uint64_t now;
    int64_t *mkey;
    uint64_t *mtried;
    double *mwork; /* the work the pair's recombination counted */
    uint32_t *mgen;
    uint32_t gen;
    int32_t mslots; /* a power of two */
    int32_t mfill;
    int exhausted; /* set by gp_recombine: it changed nothing, and would not again */
    int exact;     /* set by gp_recombine: it split exactly, without a random draw */
    int64_t skips; /* recombinations the memo skipped in the running task */
    gp_search_tick_fn tick;
    void *tick_user;
    /* State of the running task. */
    const gp_search_shared *sh;
    gp_search_task *t;
    int32_t k;
    gp_objective obj; /* the running task's per-grid terms */
    double work;
    double next_tick;
    uint64_t rng;
    int stop;
};

gp_search_work *gp_search_work_new(int32_t n, int32_t m, int64_t max)
{
    gp_search_work *w = gp_calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    size_t nn = (size_t)n + 1;
    size_t mm = (size_t)m + 1;
    w->n = n;
    w->m = m;
    int ok = 1;
#define GP_ALLOC(field, count)                                                                     \
    do {                                                                                           \
        w->field = gp_calloc((count), sizeof *w->field);                                           \
        ok = ok && w->field != NULL;                                                               \
    } while (0)
    GP_ALLOC(part, nn);
    GP_ALLOC(seen, nn);
    GP_ALLOC(seen2, nn);
    GP_ALLOC(queue, nn);
    GP_ALLOC(ord, nn);
    GP_ALLOC(dist, nn);
    GP_ALLOC(ver, nn);
    GP_ALLOC(loc, nn);
    GP_ALLOC(conn, nn);
    GP_ALLOC(tot, nn);
    GP_ALLOC(gtmp, nn);
    GP_ALLOC(inq, nn);
    GP_ALLOC(bestin, nn);
    GP_ALLOC(gmark, nn);
    GP_ALLOC(sv, nn);
    GP_ALLOC(tp, nn);
    GP_ALLOC(tin, nn);
    GP_ALLOC(tout, nn);
    GP_ALLOC(head, nn);
    GP_ALLOC(next, nn);
    GP_ALLOC(stack, 2 * nn);
    GP_ALLOC(cand, nn);
    GP_ALLOC(shh, nn);
    GP_ALLOC(swl, nn);
    GP_ALLOC(heap, mm + nn);
    GP_ALLOC(ghh, nn);
    GP_ALLOC(gwl, nn);
    GP_ALLOC(gnv, nn);
    GP_ALLOC(grep, nn);
    GP_ALLOC(glab, nn);
    GP_ALLOC(pairs, mm + nn);
    GP_ALLOC(gtmp_label, nn);
    GP_ALLOC(vpos, nn);
    GP_ALLOC(gper, nn);
    GP_ALLOC(gar, nn);
    GP_ALLOC(qb, nn);
    GP_ALLOC(sq, nn);
    GP_ALLOC(sar, nn);
    GP_ALLOC(gbt, nn);
    GP_ALLOC(home, nn);
    GP_ALLOC(sha, nn);
    GP_ALLOC(shb, nn);
    GP_ALLOC(shk, nn);
    GP_ALLOC(pxadj, nn + 1);
    GP_ALLOC(pto, mm);
    GP_ALLOC(pcost, mm);
    GP_ALLOC(pborder, mm);
    GP_ALLOC(gclock, nn);
    w->mslots = 1024;
    while (w->mslots < 4 * n && w->mslots < (1 << 30)) {
        w->mslots *= 2;
    }
    GP_ALLOC(mkey, (size_t)w->mslots);
    GP_ALLOC(mtried, (size_t)w->mslots);
    GP_ALLOC(mgen, (size_t)w->mslots);
    GP_ALLOC(mwork, (size_t)w->mslots);
#undef GP_ALLOC
    w->splits = gp_splitmemo_new();
    ok = ok && w->splits != NULL;
    w->region.to = w->pto;
    w->region.cost = w->pcost;
    w->region.border = w->pborder;
    if (gp_treedp_fits(n, max)) {
        w->dp = gp_treedp_new(n, m, max);
        ok = ok && w->dp != NULL;
    }
    if (!ok) {
        gp_search_work_free(w);
        return NULL;
    }
    return w;
}

void gp_search_work_free(gp_search_work *w)
{
    if (w == NULL) {
        return;
    }
    void *fields[] = {
        w->part, w->seen,   w->seen2, w->queue,  w->ord,        w->dist, w->ver,  w->loc, w->conn,
        w->tot,  w->gtmp,   w->inq,   w->bestin, w->gmark,      w->sv,   w->tp,   w->tin, w->tout,
        w->head, w->next,   w->stack, w->cand,   w->shh,        w->swl,  w->heap, w->ghh, w->gwl,
        w->gnv,  w->grep,   w->glab,  w->pairs,  w->gtmp_label, w->gper, w->gar,  w->qb,  w->sq,
        w->sar,  w->gbt,    w->pto,   w->pcost,  w->pborder,    w->home, w->sha,  w->shb, w->shk,
        w->vpos, w->gclock, w->mkey,  w->mtried, w->mgen,       w->mwork, w->pxadj};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        gp_free(fields[i]);
    }
    gp_treedp_free(w->dp);
    gp_splitmemo_free(w->splits);
    gp_free(w);
}

void gp_search_work_set_tick(gp_search_work *w, gp_search_tick_fn fn, void *user)
{
    w->tick = fn;
    w->tick_user = user;
}

int gp_score_cmp(gp_score a, gp_score b)
{
    if (a.viol != b.viol) {
        return a.viol < b.viol ? -1 : 1;
    }
    int c = gp_real_cmp(a.cap, b.cap);
    if (c != 0) {
        return c;
    }
    if (a.moved != b.moved) {
        return a.moved < b.moved ? -1 : 1;
    }
    c = gp_real_cmp(a.excess, b.excess);
    return c != 0 ? c : gp_real_cmp(a.cost, b.cost);
}

/* splitmix64 on the state *rng: small, fast and good enough to drive the randomised choices.
 * A loop that draws often keeps the state in a local and puts it back (gp_random_tree). */
static inline uint64_t gp_rand_next(uint64_t *rng)
{
    uint64_t z = (*rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A draw in [0, 1) from the state *rng. */
static inline double gp_rand_unit(uint64_t *rng)
{
    return (double)(gp_rand_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t gp_rand(gp_search_work *w)
{
    return gp_rand_next(&w->rng);
}

static double gp_rand01(gp_search_work *w)
{
    return gp_rand_unit(&w->rng);
}

static int32_t gp_rand_below(gp_search_work *w, int32_t bound)
{
    return bound <= 1 ? 0 : (int32_t)(gp_rand(w) % (uint64_t)bound);
}

/* Counts work and says when to stop: budget spent or cancelled. Cheap enough to call often. */
static int gp_spent(gp_search_work *w, double units)
{
    w->work += units;
    if (w->stop) {
        return 1;
    }
    if (w->work >= w->next_tick) {
        w->next_tick = w->work + 2e5;
        if (atomic_load_explicit(w->sh->cancel, memory_order_relaxed)) {
            w->stop = 2;
        } else if (w->tick != NULL && w->tick(w->tick_user)) {
            w->stop = 2;
        }
    }
    if (w->work > w->t->budget && w->stop == 0) {
        w->stop = 1;
    }
    return w->stop;
}

/* The tree DP's poll (treedp.h): its work counts like any other; stop only when cancelled. */
static int gp_treedp_spend(void *user, double units)
{
    return gp_spent(user, units) == 2;
}

/* Places `it` at slot i of `heap` and sifts it up to its place; with `pos`, keeps pos[v] the
 * slot of every item v it moves. */
static inline __attribute__((always_inline)) void gp_heap_sift_up(gp_heap_item *heap, int32_t i,
                                                                  gp_heap_item it, int32_t *pos)
{
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (heap[p].key <= it.key) {
            break;
        }
        heap[i] = heap[p];
        if (pos != NULL) {
            pos[heap[i].v] = i;
        }
        i = p;
    }
    heap[i] = it;
    if (pos != NULL) {
        pos[it.v] = i;
    }
}

static void gp_heap_push(gp_search_work *w, double key, int32_t v, int32_t aux)
{
    gp_heap_sift_up(w->heap, w->hsize++, (gp_heap_item){key, v, aux}, NULL);
}

/* The least item of `heap` (*size items, one fewer after), removed (the last item sifted down
 * from the top); with `pos`, as gp_heap_sift_up keeps it. */
static inline __attribute__((always_inline)) gp_heap_item gp_heap_pop_at(gp_heap_item *heap,
                                                                         int32_t *size,
                                                                         int32_t *pos)
{
    gp_heap_item top = heap[0];
    int32_t n = --*size;
    gp_heap_item last = heap[n];
    int32_t i = 0;
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && heap[c + 1].key < heap[c].key) {
            c++;
        }
        if (heap[c].key >= last.key) {
            break;
        }
        heap[i] = heap[c];
        if (pos != NULL) {
            pos[heap[i].v] = i;
        }
        i = c;
    }
    if (n > 0) {
        heap[i] = last;
        if (pos != NULL) {
            pos[last.v] = i;
        }
    }
    return top;
}

static gp_heap_item gp_heap_pop(gp_search_work *w)
{
    return gp_heap_pop_at(w->heap, &w->hsize, NULL);
}

static int64_t gp_viol(const gp_search_work *w, int64_t h)
{
    return gp_objective_viol(&w->obj, h);
}

static double gp_cap(const gp_search_work *w, double x)
{
    return gp_objective_cap(&w->obj, x);
}

static double gp_excess(const gp_search_work *w, double x)
{
    return gp_objective_excess(&w->obj, x);
}

static double gp_border(const gp_graph *g, int32_t e)
{
    return g->border != NULL ? g->border[e] : 1.0;
}

static double gp_shape(const gp_search_work *w, double perimeter, double area)
{
    return gp_objective_shape(&w->obj, perimeter, area);
}

static uint32_t gp_next_stamp(uint32_t *stamp, uint32_t *arr, int32_t n)
{
    if (++*stamp == 0) {
        memset(arr, 0, sizeof *arr * ((size_t)n + 1));
        *stamp = 1;
    }
    return *stamp;
}

/* Breadth-first order of the component from src into w->ord; returns the count. */
static int32_t gp_bfs(gp_search_work *w, int32_t src)
{
    const gp_graph *g = w->sh->g;
    uint32_t s = gp_next_stamp(&w->stamp, w->seen, w->n);
    int32_t h = 0;
    int32_t tl = 0;
    w->ord[tl++] = src;
    w->seen[src] = s;
    while (h < tl) {
        int32_t v = w->ord[h++];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!w->sh->skip[u] && w->seen[u] != s) {
                w->seen[u] = s;
                w->ord[tl++] = u;
            }
        }
    }
    w->work += (double)tl * 4;
    return tl;
}

static void gp_grid_reset(gp_search_work *w, int32_t gid)
{
    w->gclock[gid] = ++w->now;
    w->ghh[gid] = 0;
    w->gwl[gid] = 0;
    w->gnv[gid] = 0;
    w->grep[gid] = -1;
    w->gper[gid] = 0;
    w->gar[gid] = 0;
}

static void gp_assign(gp_search_work *w, int32_t v, int32_t gid)
{
    w->part[v] = gid;
    w->ghh[gid] += w->sh->hh[v];
    w->gwl[gid] += w->sh->wl[v];
    w->gnv[gid]++;
    if (w->sh->shape_weight != 0) {
        w->gar[gid] += w->sh->g->area[v];
    }
    if (w->grep[gid] < 0) {
        w->grep[gid] = v;
    }
}

/* Recomputes every grid's totals, perimeter and representative from w->part. */
static void gp_grid_totals(gp_search_work *w)
{
    const gp_graph *g = w->sh->g;
    for (int32_t gid = 0; gid < w->k; gid++) {
        gp_grid_reset(w, gid);
    }
    for (int32_t i = 0; i < w->t->nv; i++) {
        int32_t v = w->t->verts[i];
        gp_assign(w, v, w->part[v]);
    }
    if (w->sh->shape_weight == 0) {
        return;
    }
    for (int32_t i = 0; i < w->t->nv; i++) {
        int32_t v = w->t->verts[i];
        double p = g->perimeter[v];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!w->sh->skip[u] && w->part[u] == w->part[v]) {
                p -= gp_border(g, e);
            }
        }
        w->gper[w->part[v]] += p;
    }
    w->work += (double)w->t->nv * 2;
}

/* Greedy growing of the grids along a breadth-first sweep (see the file comment). */
static void gp_grow(gp_search_work *w)
{
    const gp_graph *g = w->sh->g;
    gp_search_task *t = w->t;
    int32_t nv = t->nv;
    double jitter = t->restart == 0 ? 0.0 : 0.3;
    for (int32_t i = 0; i < nv; i++) {
        w->part[t->verts[i]] = -1;
    }
    int32_t x = t->restart == 0 ? t->verts[0] : t->verts[gp_rand_below(w, nv)];
    gp_bfs(w, x);
    gp_bfs(w, w->ord[nv - 1]);
    int32_t ptr = 0;
    double assigned = 0; /* balanced quantity handed out so far */
    int32_t made = 0;
    /* Grids grow to an even share of the balanced quantity (the workload, or households), never
     * above the household maximum nor stopping below the minimum. */
    double avg = t->workload / (double)t->k;
    for (int32_t gid = 0;; gid++) {
        while (ptr < nv && w->part[w->ord[ptr]] >= 0) {
            ptr++;
        }
        if (ptr == nv) {
            break;
        }
        gp_grid_reset(w, gid);
        made = gid + 1;
        /* Pockets the sweep left behind become grids of their own rather than swelling a
         * neighbour; surplus grids are merged away afterwards. */
        double goal = gid < t->k ? (t->workload - assigned) / (double)(t->k - gid) : avg;
        if (goal < avg * 0.5) {
            goal = avg * 0.5;
        }
        uint32_t s = gp_next_stamp(&w->stamp2, w->seen2, w->n);
        w->hsize = 0;
        int32_t v = w->ord[ptr];
        w->dist[v] = 0;
        for (;;) {
            gp_assign(w, v, gid);
            assigned += w->sh->wl[v];
            for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
                int32_t u = g->adjncy[e];
                if (w->sh->skip[u] || w->part[u] >= 0) {
                    continue;
                }
                if (w->seen2[u] != s) {
                    w->seen2[u] = s;
                    w->conn[u] = 0;
                    w->dist[u] = w->dist[v] + 1;
                }
                w->conn[u] += g->ecost[e];
                double frac = w->tot[u] > 0 ? w->conn[u] / w->tot[u] : 1.0;
                double key = -frac + 0.1 * w->dist[u] + jitter * gp_rand01(w);
                gp_heap_push(w, key, u, ++w->ver[u]);
            }
            w->work += (double)(g->xadj[v + 1] - g->xadj[v]) * 3 + 4;
            v = -1;
            while (w->hsize > 0 && (w->gwl[gid] < goal || w->ghh[gid] < w->sh->min)) {
                gp_heap_item it = gp_heap_pop(w);
                int32_t u = it.v;
                if (w->part[u] >= 0 || it.aux != w->ver[u]) {
                    continue;
                }
                double after = w->gwl[gid] + w->sh->wl[u];
                if (w->ghh[gid] + w->sh->hh[u] > w->sh->max ||
                    (w->sh->cap > 0 && after > w->sh->cap && w->ghh[gid] >= w->sh->min)) {
                    continue;
                }
                if (w->ghh[gid] >= w->sh->min && after - goal > goal - w->gwl[gid]) {
                    break;
                }
                v = u;
                break;
            }
            if (v < 0) {
                break;
            }
        }
    }
    w->k = made;
}

/* The highest grid label among the task's vertices, -1 when none is assigned. */
static int32_t gp_top_label(const gp_search_work *w)
{
    const gp_search_task *t = w->t;
    int32_t nv = t->nv;
    int32_t maxlab = -1;
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = t->verts[i];
        if (w->part[v] > maxlab) {
            maxlab = w->part[v];
        }
    }
    return maxlab;
}

/*
 * Numbers the connected pieces of every grid (w->loc, with households in w->shh and sizes in
 * w->tp, by the stamp `s`) and leaves in w->glab the heaviest piece of each label, the larger
 * one on a tie; -1 for labels 0 .. maxlab that have none.
 */
static void gp_heaviest_pieces(gp_search_work *w, uint32_t s, int32_t maxlab)
{
    const gp_graph *g = w->sh->g;
    const gp_search_task *t = w->t;
    int32_t nv = t->nv;
    int32_t pieces = 0;
    for (int32_t l = 0; l <= maxlab; l++) {
        w->glab[l] = -1;
    }
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = t->verts[i];
        if (w->part[v] < 0 || w->seen[v] == s) {
            continue;
        }
        int32_t lab = w->part[v];
        int32_t pid = pieces++;
        int64_t ph = 0;
        int32_t h = 0;
        int32_t tl = 0;
        w->queue[tl++] = v;
        w->seen[v] = s;
        while (h < tl) {
            int32_t x = w->queue[h++];
            w->loc[x] = pid;
            ph += w->sh->hh[x];
            for (int32_t e = g->xadj[x]; e < g->xadj[x + 1]; e++) {
                int32_t u = g->adjncy[e];
                if (!w->sh->skip[u] && w->part[u] == lab && w->seen[u] != s) {
                    w->seen[u] = s;
                    w->queue[tl++] = u;
                }
            }
        }
        w->work += (double)tl * 4;
        w->shh[pid] = ph;
        w->tp[pid] = tl;
        int32_t best = w->glab[lab];
        if (best < 0 || ph > w->shh[best] || (ph == w->shh[best] && tl > w->tp[best])) {
            w->glab[lab] = pid;
        }
    }
}

/*
 * Unassigns every vertex outside its grid's heaviest piece (w->glab) and lists these orphans
 * in w->queue; w->ghh becomes the households left in each label 0 .. maxlab. Returns the
 * orphan count.
 */
static int32_t gp_orphan_pieces(gp_search_work *w, int32_t maxlab)
{
    const gp_search_task *t = w->t;
    int32_t nv = t->nv;
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = t->verts[i];
        if (w->part[v] >= 0 && w->glab[w->part[v]] != w->loc[v]) {
            w->part[v] = -1;
        }
    }
    for (int32_t l = 0; l <= maxlab; l++) {
        w->ghh[l] = 0;
    }
    int32_t left = 0;
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = t->verts[i];
        if (w->part[v] >= 0) {
            w->ghh[w->part[v]] += w->sh->hh[v];
        } else {
            w->queue[left++] = v;
        }
    }
    return left;
}

/* Orphans join their lightest neighbouring grid, pass after pass from the assigned side. */
static void gp_adopt_orphans(gp_search_work *w, int32_t left)
{
    const gp_graph *g = w->sh->g;
    while (left > 0) {
        int32_t keep = 0;
        for (int32_t i = 0; i < left; i++) {
            int32_t v = w->queue[i];
            int32_t best = -1;
            for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
                int32_t u = g->adjncy[e];
                int32_t lu = w->sh->skip[u] ? -1 : w->part[u];
                if (lu >= 0 && (best < 0 || w->ghh[lu] < w->ghh[best])) {
                    best = lu;
                }
            }
            if (best < 0) {
                w->queue[keep++] = v;
                continue;
            }
            w->part[v] = best;
            w->ghh[best] += w->sh->hh[v];
        }
        w->work += (double)left * 8;
        left = keep;
    }
}

/*
 * Renumbers labels 0 .. maxlab to grids 0 .. k-1 with no gaps, in the order of the task's
 * vertices (the new number of each label in w->glab), and the starting grids with them;
 * returns k.
 */
static int32_t gp_renumber_grids(gp_search_work *w, int32_t maxlab)
{
    const gp_search_task *t = w->t;
    int32_t nv = t->nv;
    for (int32_t l = 0; l <= maxlab; l++) {
        w->glab[l] = -1;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = t->verts[i];
        int32_t lab = w->part[v];
        if (w->glab[lab] < 0) {
            w->glab[lab] = k++;
        }
        w->part[v] = w->glab[lab];
    }
    /* Starting grids follow the renumbering: every label keeps its largest piece, so each has
     * a new number; the vertices of its other pieces, now in other grids, count as moved. */
    for (int32_t i = 0; w->has_home && i < nv; i++) {
        int32_t v = t->verts[i];
        if (w->home[v] >= 0) {
            w->home[v] = w->glab[w->home[v]];
        }
    }
    return k;
}

/*
 * Keeps the heaviest connected piece of every grid and hands every other vertex to a
 * neighbouring grid by a multi-source search; then renumbers grids 0 .. k-1 with no gaps.
 * Handing a vertex to the grid of an already assigned neighbour keeps that grid connected.
 */
static void gp_make_connected(gp_search_work *w)
{
    uint32_t s = gp_next_stamp(&w->stamp, w->seen, w->n);
    int32_t maxlab = gp_top_label(w);
    gp_heaviest_pieces(w, s, maxlab);
    int32_t left = gp_orphan_pieces(w, maxlab);
    gp_adopt_orphans(w, left);
    w->k = gp_renumber_grids(w, maxlab);
    gp_grid_totals(w);
}

/*
 * The edges between the region's positions 0 .. ns-1 (w->sv, w->loc and the stamp `s` of
 * gp_recombine) as rows by position, in the graph's edge order: w->pxadj, pto, pcost, pborder.
 * The random trees and the pair splitter walk them instead of the graph's edges.
 */
static void gp_region_edges(gp_search_work *w, int32_t ns, uint32_t s)
{
    const gp_graph *g = w->sh->g;
    int32_t ne = 0;
    for (int32_t y = 0; y < ns; y++) {
        int32_t v = w->sv[y];
        w->pxadj[y] = ne;
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (w->seen[u] == s) {
                w->pto[ne] = w->loc[u];
                w->pcost[ne] = g->ecost[e];
                w->pborder[ne++] = gp_border(g, e);
            }
        }
    }
    w->pxadj[ns] = ne;
}

/*
 * The region of positions 0 .. ns-1 (w->sv, w->qb and its edges, gp_region_edges) as
 * gp_pairsplit takes it: per position its households, workload, open perimeter, area,
 * where it started relative to the pair (a, b), and its edges inside the region.
 */
static void gp_pair_region(gp_search_work *w, int32_t ns, int32_t a, int32_t b)
{
    const gp_graph *g = w->sh->g;
    int shape = w->sh->shape_weight != 0;
    gp_pairsplit_region *r = &w->region;
    r->n = ns;
    for (int32_t y = 0; y < ns; y++) {
        int32_t v = w->sv[y];
        r->adj[y] = 0;
        r->hh[y] = w->sh->hh[v];
        r->wl[y] = w->sh->wl[v];
        r->open[y] = w->qb[y];
        r->area[y] = shape ? g->area[v] : 0;
        int64_t hv = w->has_home ? w->sh->hh[v] : 0;
        r->home_a[y] = w->has_home && w->home[v] == a ? hv : 0;
        r->home_b[y] = w->has_home && w->home[v] == b ? hv : 0;
        r->home_any[y] = w->has_home && w->home[v] >= 0 ? hv : 0;
        r->xadj[y] = w->pxadj[y];
        for (int32_t e = w->pxadj[y]; e < w->pxadj[y + 1]; e++) {
            r->adj[y] |= (uint64_t)1 << w->pto[e];
        }
    }
    r->xadj[ns] = w->pxadj[ns];
}

/* A recombined pair's region, w->sv[0 .. n), and its totals (gp_recombine). */
typedef struct {
    int32_t n;
    int64_t hh;      /* households */
    double wl;       /* balanced quantity */
    double es;       /* edge entries visited */
    double qs;       /* perimeter of the region */
    double as;       /* area of the region */
    int64_t home[3]; /* households that started in the pair's first grid, its second, any */
} gp_recom_region;

/* The best split of a region found so far: its score, the perimeters of its two sides, and
 * whether it beats the pair as it is (then w->bestin holds the side). */
typedef struct {
    gp_score score;
    double px;
    double pr;
    int found;
} gp_recom_best;

/*
 * A random spanning tree of the region by Prim's algorithm on random keys scaled by cost: dear
 * edges tend to stay inside the tree, so the tree's cut edges, and with them the grid borders,
 * fall on cheap streets. Parents in w->tp (the root's -1), vertices in joining order in
 * w->queue (the root first); returns how many joined.
 *
 * The heap holds each waiting position once, with the least key drawn for it so far and the
 * tree vertex that key leads from (w->tin gives its slot while it waits): a key drawn for an
 * edge is the same draw, in the same order, as when every edge had its own heap item, and
 * the least of a position's keys is the one that decides when, and from where, it joins. So
 * the tree is the one of the keys (their minimum spanning tree), with the heap holding
 * at most the region instead of one item per edge.
 */
static int32_t gp_random_tree(gp_search_work *w, int32_t ns)
{
    for (int32_t i = 0; i < ns; i++) {
        w->tp[i] = -2;
        w->tin[i] = -1;
    }
    int32_t root = gp_rand_below(w, ns);
    /* The random state and the heap's size live in locals while the tree grows (a store to
     * the heap could otherwise alias them and force a reload at every edge). */
    uint64_t rng = w->rng;
    gp_heap_item *heap = w->heap;
    int32_t hsize = 0;
    int32_t *tp = w->tp;
    int32_t *tin = w->tin;
    int32_t cnt = 0;
    tp[root] = -1;
    w->queue[cnt++] = root;
    int32_t x = root;
    for (;;) {
        for (int32_t e = w->pxadj[x]; e < w->pxadj[x + 1]; e++) {
            int32_t lu = w->pto[e];
            if (tp[lu] != -2) {
                continue;
            }
            double key = gp_rand_unit(&rng) / (w->pcost[e] + 1e-9);
            int32_t slot = tin[lu];
            if (slot < 0) {
                gp_heap_sift_up(heap, hsize++, (gp_heap_item){key, lu, x}, tin);
            } else if (key < heap[slot].key) {
                gp_heap_sift_up(heap, slot, (gp_heap_item){key, lu, x}, tin);
            }
        }
        if (hsize == 0) {
            w->rng = rng;
            w->hsize = 0;
            return cnt;
        }
        gp_heap_item it = gp_heap_pop_at(heap, &hsize, tin);
        x = it.v;
        tp[x] = it.aux;
        w->queue[cnt++] = x;
    }
}

/* The totals of every subtree of the tree (w->shh, swl, sq, sar, and with a previous
 * division sha, shb, shk) and its child lists (w->head, w->next). */
static void gp_subtree_totals(gp_search_work *w, int32_t ns, int32_t cnt, int32_t a, int32_t b)
{
    const gp_graph *g = w->sh->g;
    int shape = w->sh->shape_weight != 0;
    for (int32_t i = 0; i < ns; i++) {
        w->shh[i] = w->sh->hh[w->sv[i]];
        w->swl[i] = w->sh->wl[w->sv[i]];
        w->sq[i] = w->qb[i];
        w->sar[i] = shape ? g->area[w->sv[i]] : 0;
        w->head[i] = -1;
        if (w->has_home) {
            int32_t v = w->sv[i];
            int64_t hv = w->sh->hh[v];
            w->sha[i] = w->home[v] == a ? hv : 0;
            w->shb[i] = w->home[v] == b ? hv : 0;
            w->shk[i] = w->home[v] >= 0 ? hv : 0;
        }
    }
    for (int32_t j = cnt - 1; j > 0; j--) {
        int32_t i = w->queue[j];
        int32_t p = w->tp[i];
        w->shh[p] += w->shh[i];
        w->swl[p] += w->swl[i];
        w->sq[p] += w->sq[i];
        w->sar[p] += w->sar[i];
        if (w->has_home) {
            w->sha[p] += w->sha[i];
            w->shb[p] += w->shb[i];
            w->shk[p] += w->shk[i];
        }
        w->next[i] = w->head[p];
        w->head[p] = i;
    }
}

/* Candidates (w->cand, returns how many): the tree edges whose split reaches the best tier
 * of every term but cost, that tier in *tier_out. */
static int32_t gp_tree_candidates(gp_search_work *w, const gp_recom_region *rg, int32_t cnt,
                                  gp_score *tier_out)
{
    int32_t nc = 0;
    gp_score tier = {INT64_MAX, INFINITY, INT64_MAX, INFINITY, 0};
    for (int32_t j = 1; j < cnt; j++) {
        int32_t i = w->queue[j];
        int64_t moved = w->has_home ? gp_objective_moved(w->sha[i], w->shb[i], w->shk[i],
                                                         rg->home[0], rg->home[1], rg->home[2])
                                    : 0;
        gp_score sc = {gp_viol(w, w->shh[i]) + gp_viol(w, rg->hh - w->shh[i]),
                       gp_cap(w, w->swl[i]) + gp_cap(w, rg->wl - w->swl[i]), moved,
                       gp_excess(w, w->swl[i]) + gp_excess(w, rg->wl - w->swl[i]), 0};
        int c = gp_score_cmp(sc, tier);
        if (c < 0) {
            tier = sc;
            nc = 0;
        }
        if (c <= 0 && nc < GP_RECOM_CANDIDATES) {
            w->cand[nc++] = i;
        }
    }
    *tier_out = tier;
    return nc;
}

/* Pre-order numbers from `root` (w->tin, w->tout) make "in the subtree of i" an interval
 * test. */
static void gp_tree_preorder(gp_search_work *w, int32_t root)
{
    int32_t sp = 0;
    int32_t clock = 0;
    w->stack[sp++] = root;
    while (sp > 0) {
        int32_t i = w->stack[--sp];
        if (i < 0) {
            w->tout[-i - 1] = clock - 1;
            continue;
        }
        w->tin[i] = clock++;
        w->stack[sp++] = -i - 1;
        for (int32_t c = w->head[i]; c >= 0; c = w->next[c]) {
            w->stack[sp++] = c;
        }
    }
}

/* Each of the nc candidates' splits scored in full (its cut and shapes on the tier); one that
 * beats *best replaces it, its side in w->bestin. */
static void gp_score_candidates(gp_search_work *w, const gp_recom_region *rg, int32_t nc,
                                gp_score tier, gp_recom_best *best)
{
    int32_t ns = rg->n;
    for (int32_t ci = 0; ci < nc; ci++) {
        int32_t i = w->cand[ci];
        int32_t lo = w->tin[i];
        int32_t hi = w->tout[i];
        double cut = 0;
        double cutb = 0;
        for (int32_t y = 0; y < ns; y++) {
            int in_y = w->tin[y] >= lo && w->tin[y] <= hi;
            if (!in_y) {
                continue;
            }
            for (int32_t e = w->pxadj[y]; e < w->pxadj[y + 1]; e++) {
                int32_t tu = w->tin[w->pto[e]];
                if (tu < lo || tu > hi) {
                    cut += w->pcost[e];
                    cutb += w->pborder[e];
                }
            }
        }
        /* Perimeter of a side: its boundary not shared with the region, plus the cut. */
        double px = w->sq[i] + cutb;
        double pr = rg->qs - w->sq[i] + cutb;
        gp_score sc = tier;
        sc.cost = cut + gp_shape(w, px, w->sar[i]) + gp_shape(w, pr, rg->as - w->sar[i]);
        if (gp_score_cmp(sc, best->score) < 0) {
            best->score = sc;
            best->px = px;
            best->pr = pr;
            best->found = 1;
            for (int32_t y = 0; y < ns; y++) {
                w->bestin[y] = w->tin[y] >= lo && w->tin[y] <= hi;
            }
        }
    }
}

/* `trees` random spanning trees of the region, each edge's split a candidate; 0, or -1 when
 * the budget says stop. */
static int gp_tree_splits(gp_search_work *w, const gp_recom_region *rg, int32_t a, int32_t b,
                          int trees, gp_recom_best *best)
{
    int32_t ns = rg->n;
    for (int tree = 0; tree < trees; tree++) {
        int32_t cnt = gp_random_tree(w, ns);
        gp_subtree_totals(w, ns, cnt, a, b);
        gp_score tier;
        int32_t nc = gp_tree_candidates(w, rg, cnt, &tier);
        gp_score tier_best = best->score;
        tier_best.cost = 0;
        if (nc == 0 || gp_score_cmp(tier, tier_best) > 0) {
            if (gp_spent(w, (double)ns * 8) == 2) {
                return -1;
            }
            continue;
        }
        gp_tree_preorder(w, w->queue[0]);
        gp_score_candidates(w, rg, nc, tier, best);
        if (gp_spent(w, (double)ns * 8 + rg->es * (1 + nc)) == 2) {
            return -1;
        }
    }
    return 0;
}

/* One recombination of grids a and b (gp_recombine): the pair, the stamp that marks its region
 * in w->seen, the region and the cut between a and b, the pair's score as it is, the best split
 * found so far, the trees to draw and whether the region's edges are made (gp_region_edges). */
typedef struct {
    int32_t a;
    int32_t b;
    int split;
    uint32_t s;
    gp_recom_region rg;
    double cut_ab; /* cut cost between a and b, each edge counted from both ends */
    gp_score cur;
    gp_recom_best best;
    int trees;
    int edges;
} gp_recom;

/* The region of the pair (of grid a alone when splitting) by a search from a's representative:
 * w->sv in search order, w->loc their positions, w->qb their open perimeters, its totals in
 * r->rg (but the households by where they started) and the cut between a and b. */
static void gp_recom_gather(gp_search_work *w, gp_recom *r)
{
    const gp_graph *g = w->sh->g;
    int32_t a = r->a;
    int32_t src = w->grep[a];
    uint32_t s = gp_next_stamp(&w->stamp, w->seen, w->n);
    int32_t ns = 0;
    int32_t h = 0;
    int32_t other = r->split ? a : r->b;
    w->sv[ns++] = src;
    w->seen[src] = s;
    double cut_ab = 0;
    int64_t hs = 0;
    double ws = 0;
    double es = 0;
    double qs = 0; /* perimeter of the region */
    double as = 0; /* area of the region */
    int shape = w->sh->shape_weight != 0;
    while (h < ns) {
        int32_t x = w->sv[h];
        w->loc[x] = h;
        hs += w->sh->hh[x];
        ws += w->sh->wl[x];
        double open = shape ? g->perimeter[x] : 0;
        for (int32_t e = g->xadj[x]; e < g->xadj[x + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (w->sh->skip[u] || (w->part[u] != a && w->part[u] != other)) {
                continue;
            }
            if (shape) {
                open -= gp_border(g, e);
            }
            es += 1;
            if (w->part[u] != w->part[x]) {
                cut_ab += g->ecost[e];
            }
            if (w->seen[u] != s) {
                w->seen[u] = s;
                w->sv[ns++] = u;
            }
        }
        w->qb[h++] = open;
        qs += open;
        as += shape ? g->area[x] : 0;
    }
    r->s = s;
    r->cut_ab = cut_ab;
    r->rg.n = ns;
    r->rg.hh = hs;
    r->rg.wl = ws;
    r->rg.es = es;
    r->rg.qs = qs;
    r->rg.as = as;
}

/* With a previous division, the region's households by where they started (the pair's first
 * grid, its second, any) into r->rg.home; the pair's score as it is into r->cur (its moved
 * term: the households not where they started now), the worst score when splitting. */
static void gp_recom_current(gp_search_work *w, gp_recom *r)
{
    int32_t a = r->a;
    int32_t b = r->b;
    int32_t ns = r->rg.n;
    int64_t home_tot[3] = {0, 0, 0};
    int64_t moved_now = 0;
    for (int32_t y = 0; w->has_home && y < ns; y++) {
        int32_t v = w->sv[y];
        int64_t hv = w->sh->hh[v];
        home_tot[0] += w->home[v] == a ? hv : 0;
        home_tot[1] += w->home[v] == b ? hv : 0;
        home_tot[2] += w->home[v] >= 0 ? hv : 0;
        moved_now += w->home[v] >= 0 && w->part[v] != w->home[v] ? hv : 0;
    }
    r->rg.home[0] = home_tot[0];
    r->rg.home[1] = home_tot[1];
    r->rg.home[2] = home_tot[2];
    gp_score cur = {INT64_MAX, INFINITY, INT64_MAX, INFINITY, INFINITY};
    if (!r->split) {
        cur.viol = gp_viol(w, w->ghh[a]) + gp_viol(w, w->ghh[b]);
        cur.cap = gp_cap(w, w->gwl[a]) + gp_cap(w, w->gwl[b]);
        cur.moved = moved_now;
        cur.excess = gp_excess(w, w->gwl[a]) + gp_excess(w, w->gwl[b]);
        cur.cost =
            r->cut_ab / 2 + gp_shape(w, w->gper[a], w->gar[a]) + gp_shape(w, w->gper[b], w->gar[b]);
    }
    r->cur = cur;
}

/* A region of at most GP_EXACT_VERTICES vertices that can split within bounds is split exactly
 * (pairsplit.c, or the split memo), a split found into r->best; when that saw every split
 * worth having, no tree is drawn (r->trees 0). Returns -1 when the budget says stop, else 0. */
static int gp_recom_exact(gp_search_work *w, gp_recom *r)
{
    int32_t a = r->a;
    int32_t b = r->b;
    int32_t ns = r->rg.n;
    int64_t hs = r->rg.hh;
    int64_t lo = hs - w->sh->max > w->sh->min ? hs - w->sh->max : w->sh->min;
    int64_t hi = hs - w->sh->min < w->sh->max ? hs - w->sh->min : w->sh->max;
    if (ns > GP_EXACT_VERTICES || lo > hi) {
        return 0;
    }
    /* The memo's key first: the region itself is built only when the memo lacks it. */
    for (int32_t y = 0; y < ns; y++) {
        int32_t v = w->sv[y];
        w->rkey[y] =
            gp_splitmemo_vertex(v, w->has_home && w->home[v] == a, w->has_home && w->home[v] == b,
                                w->has_home && w->home[v] >= 0);
    }
    double bound[GP_PAIRSPLIT_TERMS];
    gp_score_put(r->cur, bound);
    gp_pairsplit_result res;
    if (!gp_splitmemo_get(w->splits, w->rkey, ns, lo, hi, bound, &res)) {
        if (!r->edges) {
            gp_region_edges(w, ns, r->s);
            r->edges = 1;
        }
        gp_pair_region(w, ns, a, b);
        gp_pairsplit_by_objective(&w->region, lo, hi, GP_ENUM_CAP, &w->obj, bound, &res);
        gp_splitmemo_put(w->splits, w->rkey, ns, lo, hi, bound, &res);
    }
    if (gp_spent(w, res.work + r->rg.es) == 2) {
        return -1;
    }
    if (res.found) {
        r->best.score = gp_score_get(res.score);
        r->best.px = res.perimeter[0];
        r->best.pr = res.perimeter[1];
        r->best.found = 1;
        for (int32_t y = 0; y < ns; y++) {
            w->bestin[y] = (res.side >> y) & 1;
        }
    }
    /* Complete: every split within bounds was seen, so trees can only find worse; and with
     * nothing found, the same pair would again find nothing, without a random draw. */
    if (res.complete && (r->best.found || r->cur.viol == 0)) {
        r->trees = 0;
        w->exact = 1;
        w->exhausted = !r->best.found;
    }
    return 0;
}

/* The best split (w->bestin) made the division of the pair: its side labelled where most
 * vertices already are, so fewer vertices change grid, or with a previous division the
 * labelling that moves fewer households (the one scored); the two grids' totals remade. */
static void gp_recom_apply(gp_search_work *w, const gp_recom *r)
{
    int32_t a = r->a;
    int32_t b = r->b;
    int32_t ns = r->rg.n;
    int32_t in_x = 0;
    int32_t a_in_x = 0;
    int64_t as_is = 0;   /* households moved with the best side labelled a */
    int64_t swapped = 0; /* ... labelled b */
    for (int32_t y = 0; y < ns; y++) {
        int32_t v = w->sv[y];
        if (w->bestin[y]) {
            in_x++;
            a_in_x += w->part[v] == a;
        }
        if (w->has_home && w->home[v] >= 0) {
            int64_t hv = w->sh->hh[v];
            as_is += (w->bestin[y] ? a : b) != w->home[v] ? hv : 0;
            swapped += (w->bestin[y] ? b : a) != w->home[v] ? hv : 0;
        }
    }
    int32_t lx = b;
    int32_t lr = a;
    if (w->has_home && as_is != swapped) {
        lx = as_is < swapped ? a : b;
        lr = lx == a ? b : a;
    } else if (!r->split && 2 * a_in_x >= in_x) {
        lx = a;
        lr = b;
    }
    gp_grid_reset(w, a);
    gp_grid_reset(w, b);
    for (int32_t y = 0; y < ns; y++) {
        gp_assign(w, w->sv[y], w->bestin[y] ? lx : lr);
    }
    w->gper[lx] = r->best.px;
    w->gper[lr] = r->best.pr;
}

/*
 * Merges grids a and b (adjacent, or b == a to split a into a and the new grid b) and re-splits
 * the union along the best edge of a few random spanning trees. Returns 1 when it changed the
 * division: always when splitting, else only for a strictly better objective on the pair.
 */
static int gp_recombine(gp_search_work *w, int32_t a, int32_t b, int split)
{
    gp_recom r;
    r.a = a;
    r.b = b;
    r.split = split;
    gp_recom_gather(w, &r);
    int32_t ns = r.rg.n;
    if (gp_spent(w, (double)ns * 4 + r.rg.es) == 2) {
        return 0;
    }
    int32_t expect = split ? w->gnv[a] : w->gnv[a] + w->gnv[b];
    if (ns != expect || ns < 2) {
        w->exhausted = 1;
        return 0; /* not adjacent any more, or nothing to split */
    }
    gp_recom_current(w, &r);
    r.best = (gp_recom_best){r.cur, 0, 0, 0};
    r.edges = 0;
    /* A pair out of bounds is worth a wider look: more trees find the rare feasible splits. */
    r.trees = r.cur.viol > 0 ? 4 * GP_RECOM_TREES : GP_RECOM_TREES;
    if (gp_recom_exact(w, &r) != 0) {
        return 0;
    }
    if (r.trees > 0 && !r.edges) {
        gp_region_edges(w, ns, r.s);
        r.edges = 1;
    }
    if (gp_tree_splits(w, &r.rg, a, b, r.trees, &r.best) != 0) {
        return 0;
    }
    if (!r.best.found) {
        return 0;
    }
    gp_recom_apply(w, &r);
    return 1;
}

/*
 * Grid merging (gp_fix_count) in near-linear time. A node is a grid as numbered when merging
 * starts; scratch by node: tp its union-find parent (live nodes are roots), tin its current
 * grid id, shh its households, head and next the first and last entry of its list of
 * neighbouring nodes; tout the node of each grid id; by entry, pto the neighbour node and
 * pairs the next entry. Candidates wait in a heap ordered by (households, id) whose stale
 * items are skipped when popped (tp's roots: gp_uf_find).
 */

/* Whether heap item x comes before y: fewer households, then the lower grid id. */
static int gp_merge_before(gp_heap_item x, gp_heap_item y)
{
    return x.key < y.key || (x.key == y.key && x.v < y.v);
}

static void gp_merge_push(gp_search_work *w, int32_t node)
{
    gp_heap_item it = {(double)w->shh[node], w->tin[node], node};
    int32_t i = w->hsize++;
    while (i > 0 && gp_merge_before(it, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = it;
}

/* The live node of fewest households, lowest id on ties; -1 when none is left. */
static int32_t gp_merge_pop(gp_search_work *w)
{
    while (w->hsize > 0) {
        gp_heap_item top = w->heap[0];
        gp_heap_item last = w->heap[--w->hsize];
        int32_t i = 0;
        for (;;) {
            int32_t c = 2 * i + 1;
            if (c >= w->hsize) {
                break;
            }
            if (c + 1 < w->hsize && gp_merge_before(w->heap[c + 1], w->heap[c])) {
                c++;
            }
            if (!gp_merge_before(w->heap[c], last)) {
                break;
            }
            w->heap[i] = w->heap[c];
            i = c;
        }
        if (w->hsize > 0) {
            w->heap[i] = last;
        }
        int32_t x = top.aux;
        if (w->tp[x] == x && top.v == w->tin[x] && top.key == (double)w->shh[x]) {
            return x;
        }
    }
    return -1;
}

/* Pushes the current item of a node whose households or id changed; when the heap is full of
 * stale items, rebuilds it from the live nodes. */
static void gp_merge_update(gp_search_work *w, int32_t node)
{
    if (w->hsize >= w->m + w->n) {
        w->hsize = 0;
        for (int32_t id = 0; id < w->k; id++) {
            gp_merge_push(w, w->tout[id]);
        }
        return;
    }
    gp_merge_push(w, node);
}

/* Lists every node's neighbouring nodes (with repeats) and fills the heap. */
static void gp_merge_setup(gp_search_work *w)
{
    const gp_graph *g = w->sh->g;
    gp_search_task *t = w->t;
    for (int32_t x = 0; x < w->k; x++) {
        w->tp[x] = x;
        w->tin[x] = x;
        w->tout[x] = x;
        w->shh[x] = w->ghh[x];
        w->head[x] = -1;
        w->next[x] = -1;
    }
    int32_t ne = 0;
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        int32_t a = w->part[v];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (w->sh->skip[u] || w->part[u] == a) {
                continue;
            }
            w->pto[ne] = w->part[u];
            w->pairs[ne] = -1;
            if (w->head[a] < 0) {
                w->head[a] = ne;
            } else {
                w->pairs[w->next[a]] = ne;
            }
            w->next[a] = ne++;
        }
    }
    w->hsize = 0;
    for (int32_t x = 0; x < w->k; x++) {
        gp_merge_push(w, x);
    }
    w->work += (double)t->nv * 2 + ne;
}

/* The neighbour of node a of fewest households, lowest id on ties (-1 when none); rewrites
 * a's list without repeats and without entries that now point into a. */
static int32_t gp_merge_partner(gp_search_work *w, int32_t a, double *scanned)
{
    uint32_t s = gp_next_stamp(&w->stamp2, w->seen2, w->n);
    w->seen2[a] = s;
    int32_t b = -1;
    int32_t kept = -1;
    for (int64_t e = w->head[a]; e >= 0; e = w->pairs[e]) {
        int32_t x = gp_uf_find(w->tp, w->pto[e]);
        *scanned += 1;
        if (w->seen2[x] == s) {
            continue;
        }
        w->seen2[x] = s;
        w->pto[e] = x;
        if (kept < 0) {
            w->head[a] = (int32_t)e;
        } else {
            w->pairs[kept] = e;
        }
        kept = (int32_t)e;
        if (b < 0 || w->shh[x] < w->shh[b] || (w->shh[x] == w->shh[b] && w->tin[x] < w->tin[b])) {
            b = x;
        }
    }
    if (kept < 0) {
        w->head[a] = -1;
    } else {
        w->pairs[kept] = -1;
    }
    w->next[a] = kept;
    return b;
}

/* Merges node a into node b (b keeps its id unless it is the last, which takes a's). */
static void gp_merge_nodes(gp_search_work *w, int32_t a, int32_t b)
{
    int32_t ida = w->tin[a];
    int32_t last = w->tout[w->k - 1];
    w->tp[a] = b;
    w->shh[b] += w->shh[a];
    if (w->head[a] >= 0) {
        if (w->head[b] < 0) {
            w->head[b] = w->head[a];
        } else {
            w->pairs[w->next[b]] = w->head[a];
        }
        w->next[b] = w->next[a];
    }
    w->k--;
    if (last != a) {
        w->tin[last] = ida;
        w->tout[ida] = last;
        if (last != b) {
            gp_merge_update(w, last);
        }
    }
    gp_merge_update(w, b);
}

/*
 * Merges grids until there are t->k: each time the grid of fewest households (lowest id on
 * ties) into its neighbour of fewest households (lowest id on ties), the last grid taking the
 * freed id; a vertex that started in a merged-away grid counts as moved. Stops early only when
 * cancelled.
 */
static void gp_merge_grids(gp_search_work *w)
{
    gp_search_task *t = w->t;
    gp_merge_setup(w);
    while (w->k > t->k) {
        int32_t a = gp_merge_pop(w);
        double scanned = 0;
        int32_t b = a < 0 ? -1 : gp_merge_partner(w, a, &scanned);
        if (b < 0) {
            break; /* cannot happen: the component is connected */
        }
        gp_merge_nodes(w, a, b);
        if (gp_spent(w, scanned + 20) == 2) {
            break;
        }
    }
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        w->part[v] = w->tin[gp_uf_find(w->tp, w->part[v])];
        int32_t h = w->has_home ? w->home[v] : -1;
        if (h >= 0 && h != GP_HOME_DISSOLVED) {
            w->home[v] = w->tp[h] != h ? GP_HOME_DISSOLVED : w->tin[h];
        }
    }
    gp_grid_totals(w);
}

/* Merges or splits grids until there are exactly t->k (k <= vertices is guaranteed). */
static void gp_fix_count(gp_search_work *w)
{
    gp_search_task *t = w->t;
    if (w->k > t->k) {
        gp_merge_grids(w);
    }
    while (w->k < t->k) {
        int32_t a = -1;
        for (int32_t gid = 0; gid < w->k; gid++) {
            if (w->gnv[gid] > 1 && (a < 0 || w->ghh[gid] > w->ghh[a] ||
                                    (w->ghh[gid] == w->ghh[a] && w->gnv[gid] > w->gnv[a]))) {
                a = gid;
            }
        }
        if (a < 0) {
            break; /* cannot happen while k <= vertices */
        }
        int32_t b = w->k++;
        gp_grid_reset(w, b);
        if (!gp_recombine(w, a, b, 1)) {
            w->k--;
            break; /* only on cancellation */
        }
    }
}

/* Whether grid a stays connected without v: a search inside a from one of v's neighbours in a
 * that stops as soon as it has reached all of them. */
static int gp_stays_connected(gp_search_work *w, int32_t v, int32_t a)
{
    const gp_graph *g = w->sh->g;
    uint32_t t2 = gp_next_stamp(&w->stamp2, w->seen2, w->n);
    int32_t targets = 0;
    int32_t first = -1;
    for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
        int32_t u = g->adjncy[e];
        if (!w->sh->skip[u] && w->part[u] == a && w->seen2[u] != t2) {
            w->seen2[u] = t2;
            targets++;
            first = u;
        }
    }
    if (targets <= 1) {
        return 1;
    }
    uint32_t s = gp_next_stamp(&w->stamp, w->seen, w->n);
    w->seen[v] = s;
    w->seen[first] = s;
    int32_t found = 1;
    int32_t h = 0;
    int32_t tl = 0;
    double work = 0;
    w->stack[tl++] = first;
    while (h < tl && found < targets) {
        int32_t x = w->stack[h++];
        for (int32_t e = g->xadj[x]; e < g->xadj[x + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (w->part[u] == a && !w->sh->skip[u] && w->seen[u] != s) {
                w->seen[u] = s;
                w->stack[tl++] = u;
                found += w->seen2[u] == t2;
            }
        }
        work += (double)(g->xadj[x + 1] - g->xadj[x]) + 2;
    }
    gp_spent(w, work);
    return found == targets;
}

/* The move pass's queue: the component's vertices in random order in w->ord, each flagged in
 * w->inq. */
static void gp_move_queue(gp_search_work *w)
{
    gp_search_task *t = w->t;
    int32_t nv = t->nv;
    for (int32_t i = 0; i < nv; i++) {
        w->ord[i] = t->verts[i];
    }
    for (int32_t i = nv - 1; i > 0; i--) {
        int32_t j = gp_rand_below(w, i + 1);
        int32_t tmp = w->ord[i];
        w->ord[i] = w->ord[j];
        w->ord[j] = tmp;
    }
    for (int32_t i = 0; i < nv; i++) {
        w->inq[w->ord[i]] = 1;
    }
}

/* A boundary move of vertex v out of its grid a (gp_move_pass): v's edges into a, its
 * households, workload and area, a's perimeter without v, and the best grid to move v to. */
typedef struct {
    int32_t v;
    int32_t a;
    int32_t nb;      /* neighbouring grids, in w->cand */
    double wa;       /* cut cost of v's edges into a */
    double ba;       /* their border length */
    int64_t hv;      /* v's households */
    double wv;       /* ... workload */
    double av;       /* ... area */
    double pa_after; /* perimeter of a without v */
    int32_t bestb;   /* the best grid to move v to, or -1 */
    double best_pb;  /* its perimeter with v */
} gp_move;

/* v's neighbouring grids other than a into w->cand (marked in w->gmark), with the cut cost and
 * border length of v's edges into each (w->gtmp, w->gbt); its edges into a in mv. */
static void gp_move_neighbours(gp_search_work *w, gp_move *mv)
{
    const gp_graph *g = w->sh->g;
    int32_t v = mv->v;
    int32_t a = mv->a;
    double wa = 0;
    double ba = 0;
    int32_t nb = 0;
    for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
        int32_t u = g->adjncy[e];
        if (w->sh->skip[u]) {
            continue;
        }
        int32_t lu = w->part[u];
        if (lu == a) {
            wa += g->ecost[e];
            ba += gp_border(g, e);
            continue;
        }
        if (!w->gmark[lu]) {
            w->cand[nb++] = lu;
            w->gmark[lu] = 1;
        }
        w->gtmp[lu] += g->ecost[e];
        w->gbt[lu] += gp_border(g, e);
    }
    gp_spent(w, (double)(g->xadj[v + 1] - g->xadj[v]) + 2);
    mv->wa = wa;
    mv->ba = ba;
    mv->nb = nb;
}

/* The neighbouring grid (w->cand) whose taking v improves the objective most, if any, into
 * mv->bestb and its perimeter with v into mv->best_pb; the candidates' scratch cleared. */
static void gp_move_best(gp_search_work *w, gp_move *mv)
{
    const gp_graph *g = w->sh->g;
    int32_t v = mv->v;
    int32_t a = mv->a;
    int64_t hv = w->sh->hh[v];
    double wv = w->sh->wl[v];
    double pv = w->sh->shape_weight != 0 ? g->perimeter[v] : 0;
    double av = w->sh->shape_weight != 0 ? g->area[v] : 0;
    /* Perimeter of a without v; of a candidate b with v. */
    double pa_after = w->gper[a] - pv + 2 * mv->ba;
    double shape_a = gp_shape(w, pa_after, w->gar[a] - av) - gp_shape(w, w->gper[a], w->gar[a]);
    gp_score bestd = {0, 0, 0, 0, 0};
    int32_t bestb = -1;
    double best_pb = 0;
    for (int32_t c = 0; c < mv->nb; c++) {
        int32_t b = w->cand[c];
        double pb_after = w->gper[b] + pv - 2 * w->gbt[b];
        double shape_d =
            shape_a + gp_shape(w, pb_after, w->gar[b] + av) - gp_shape(w, w->gper[b], w->gar[b]);
        int64_t moved_d = 0;
        if (w->has_home && w->home[v] >= 0) {
            moved_d = hv * ((b != w->home[v]) - (a != w->home[v]));
        }
        double cap_before = gp_cap(w, w->gwl[a]) + gp_cap(w, w->gwl[b]);
        double excess_before = gp_excess(w, w->gwl[a]) + gp_excess(w, w->gwl[b]);
        gp_score d = {gp_viol(w, w->ghh[a] - hv) + gp_viol(w, w->ghh[b] + hv) -
                          gp_viol(w, w->ghh[a]) - gp_viol(w, w->ghh[b]),
                      gp_cap(w, w->gwl[a] - wv) + gp_cap(w, w->gwl[b] + wv) - cap_before, moved_d,
                      gp_excess(w, w->gwl[a] - wv) + gp_excess(w, w->gwl[b] + wv) - excess_before,
                      mv->wa - w->gtmp[b] + shape_d};
        /* Compare deltas against zero with the same tolerances as whole scores. */
        gp_score zero = {0, 0, 0, 0, 0};
        if (fabs(d.cap) < 1e-9 * fmax(1.0, cap_before)) {
            d.cap = 0;
        }
        if (fabs(d.excess) < 1e-9 * fmax(1.0, excess_before)) {
            d.excess = 0;
        }
        if (gp_score_cmp(d, zero) < 0 && (bestb < 0 || gp_score_cmp(d, bestd) < 0)) {
            bestd = d;
            bestb = b;
            best_pb = pb_after;
        }
    }
    for (int32_t c = 0; c < mv->nb; c++) {
        w->gtmp[w->cand[c]] = 0;
        w->gbt[w->cand[c]] = 0;
        w->gmark[w->cand[c]] = 0;
    }
    mv->hv = hv;
    mv->wv = wv;
    mv->av = av;
    mv->pa_after = pa_after;
    mv->bestb = bestb;
    mv->best_pb = best_pb;
}

/* Moves v from a to mv->bestb: the two grids' totals, clocks and perimeters, and a's
 * representative when it was v. */
static void gp_move_apply(gp_search_work *w, const gp_move *mv)
{
    const gp_graph *g = w->sh->g;
    int32_t v = mv->v;
    int32_t a = mv->a;
    int32_t bestb = mv->bestb;
    w->part[v] = bestb;
    w->gclock[a] = ++w->now;
    w->gclock[bestb] = w->now;
    w->ghh[a] -= mv->hv;
    w->gwl[a] -= mv->wv;
    w->gnv[a]--;
    w->ghh[bestb] += mv->hv;
    w->gwl[bestb] += mv->wv;
    w->gnv[bestb]++;
    w->gper[a] = mv->pa_after;
    w->gar[a] -= mv->av;
    w->gper[bestb] = mv->best_pb;
    w->gar[bestb] += mv->av;
    if (w->grep[a] == v) {
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            if (w->part[g->adjncy[e]] == a && !w->sh->skip[g->adjncy[e]]) {
                w->grep[a] = g->adjncy[e];
                break;
            }
        }
    }
}

/* One pass of boundary moves driven by a work queue; returns the number of moves made. */
static int64_t gp_move_pass(gp_search_work *w)
{
    const gp_graph *g = w->sh->g;
    int32_t nv = w->t->nv;
    int64_t moves = 0;
    /* A ring buffer of capacity nv suffices: a vertex is queued at most once at a time. */
    gp_move_queue(w);
    int32_t qh = 0;
    int32_t qn = nv;
    while (qn > 0) {
        int32_t v = w->ord[qh];
        qh = (qh + 1) % nv;
        qn--;
        w->inq[v] = 0;
        if (w->stop) {
            continue; /* drain the queue flags */
        }
        int32_t a = w->part[v];
        if (w->gnv[a] <= 1) {
            continue;
        }
        gp_move mv;
        mv.v = v;
        mv.a = a;
        gp_move_neighbours(w, &mv);
        gp_move_best(w, &mv);
        if (mv.bestb < 0 || !gp_stays_connected(w, v, a)) {
            continue;
        }
        gp_move_apply(w, &mv);
        moves++;
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!w->sh->skip[u] && !w->inq[u]) {
                w->inq[u] = 1;
                w->ord[(qh + qn) % nv] = u;
                qn++;
            }
        }
    }
    return moves;
}

static int gp_pair_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x;
    int64_t b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The memo's slot for the ordered pair key: its own, or the empty slot where it would go. */
static int32_t gp_memo_slot(const gp_search_work *w, int64_t key)
{
    uint32_t mask = (uint32_t)w->mslots - 1;
    uint32_t i = (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
    while (w->mgen[i] == w->gen && w->mkey[i] != key) {
        i = (i + 1) & mask;
    }
    return (int32_t)i;
}

/* Forgets every pair (a new generation), as when grids are renumbered or the table fills. */
static void gp_memo_clear(gp_search_work *w)
{
    if (++w->gen == 0) {
        memset(w->mgen, 0, sizeof *w->mgen * (size_t)w->mslots);
        w->gen = 1;
    }
    w->mfill = 0;
}

/*
 * gp_recombine of the adjacent pair (a, b), skipped when the pair is known exhausted: its last
 * recombination changed nothing without drawing a random number (the exact split found no
 * better split, or the grids were no longer adjacent) and neither grid has changed since (its
 * clock has not moved). The skipped call would see the same two grids, visit them in the same
 * order and find nothing again, so the division and the random stream are exactly those of
 * the call. The skip still counts the work the call counted, so that the budget runs out, and
 * the search stops, exactly where it did without the memo: the memo saves time, never changes
 * the grids. Returns what gp_recombine returns.
 */
static int gp_recombine_memo(gp_search_work *w, int32_t a, int32_t b)
{
    int64_t key = (int64_t)a << 32 | (int64_t)b;
    int32_t slot = gp_memo_slot(w, key);
    if (w->mgen[slot] == w->gen && w->gclock[a] <= w->mtried[slot] &&
        w->gclock[b] <= w->mtried[slot]) {
        w->skips++;
        gp_spent(w, w->mwork[slot]);
        return 0;
    }
    w->exhausted = 0;
    double before = w->work;
    int changed = gp_recombine(w, a, b, 0);
    if (changed || !w->exhausted || w->stop == 2) {
        return changed;
    }
    if (w->mgen[slot] != w->gen) {
        if (2 * (w->mfill + 1) > w->mslots) {
            gp_memo_clear(w);
            slot = gp_memo_slot(w, key);
        }
        w->mfill++;
    }
    w->mkey[slot] = key;
    w->mgen[slot] = w->gen;
    w->mtried[slot] = w->now;
    w->mwork[slot] = w->work - before;
    return 0;
}

/*
 * The pairs of adjacent grids (a, b), a < b, into w->pairs as a * k + b in increasing order,
 * each once; returns their count and sets *crossings to the edges from a grid to a higher one.
 * Linear: the component's vertices are bucketed by grid (counting sort), then each grid's
 * higher neighbours are collected once each (a stamp per grid) and the few of them sorted.
 */
static int32_t gp_adjacent_pairs(gp_search_work *w, int32_t *crossings)
{
    const gp_graph *g = w->sh->g;
    gp_search_task *t = w->t;
    int32_t k = w->k;
    int32_t *start = w->tout; /* bucket starts, k + 1 of them */
    for (int32_t gid = 0; gid <= k; gid++) {
        start[gid] = 0;
    }
    for (int32_t i = 0; i < t->nv; i++) {
        start[w->part[t->verts[i]] + 1]++;
    }
    for (int32_t gid = 0; gid < k; gid++) {
        start[gid + 1] += start[gid];
    }
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        w->ord[start[w->part[v]]++] = v;
    }
    int32_t np = 0;
    int32_t nu = 0;
    int32_t from = 0;
    for (int32_t a = 0; a < k; a++) {
        uint32_t s = gp_next_stamp(&w->stamp2, w->seen2, w->n);
        int32_t nb = 0;
        for (int32_t i = from; i < start[a]; i++) {
            int32_t v = w->ord[i];
            for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
                int32_t u = g->adjncy[e];
                int32_t b = w->sh->skip[u] ? -1 : w->part[u];
                if (b <= a) {
                    continue;
                }
                np++;
                if (w->seen2[b] != s) {
                    w->seen2[b] = s;
                    w->cand[nb++] = b;
                }
            }
        }
        from = start[a];
        for (int32_t i = 1; i < nb; i++) { /* insertion sort: a grid has few neighbours */
            int32_t b = w->cand[i];
            int32_t j = i;
            for (; j > 0 && w->cand[j - 1] > b; j--) {
                w->cand[j] = w->cand[j - 1];
            }
            w->cand[j] = b;
        }
        for (int32_t i = 0; i < nb; i++) {
            w->pairs[nu++] = (int64_t)a * k + w->cand[i];
        }
    }
    *crossings = np;
    return nu;
}

/* Recombines every pair of adjacent grids once, in random order; returns the changes made. */
static int64_t gp_recom_pass(gp_search_work *w)
{
    int32_t np = 0;
    int32_t nu = gp_adjacent_pairs(w, &np);
    for (int32_t i = nu - 1; i > 0; i--) {
        int32_t j = gp_rand_below(w, i + 1);
        int64_t tmp = w->pairs[i];
        w->pairs[i] = w->pairs[j];
        w->pairs[j] = tmp;
    }
    if (gp_spent(w, (double)np * 6 + w->t->nv)) {
        return 0;
    }
    int64_t changed = 0;
    for (int32_t i = 0; i < nu && !w->stop; i++) {
        int32_t a = (int32_t)(w->pairs[i] / w->k);
        int32_t b = (int32_t)(w->pairs[i] % w->k);
        changed += gp_recombine_memo(w, a, b);
    }
    return changed;
}

/* Starts from the previous assignment: its labels inside the component, made connected. */
static int gp_start_previous(gp_search_work *w)
{
    const int32_t *prev = w->sh->g->previous;
    gp_search_task *t = w->t;
    int32_t nl = 0;
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t p = prev[t->verts[i]];
        if (p >= 0) {
            w->cand[nl++] = p;
        }
    }
    if (nl == 0) {
        return 0;
    }
    /* Sorting the labels gives a compact numbering without allocating a map. */
    for (int32_t i = 0; i < nl; i++) {
        w->pairs[i] = w->cand[i];
    }
    qsort(w->pairs, (size_t)nl, sizeof *w->pairs, gp_pair_cmp);
    int32_t nu = 0;
    for (int32_t i = 0; i < nl; i++) {
        if (nu == 0 || w->pairs[nu - 1] != w->pairs[i]) {
            w->pairs[nu++] = w->pairs[i];
        }
    }
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        int32_t p = prev[v];
        w->part[v] = -1;
        if (p < 0) {
            continue;
        }
        int32_t lo = 0;
        int32_t hi = nu - 1;
        while (lo < hi) {
            int32_t mid = (lo + hi) / 2;
            if (w->pairs[mid] < p) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        w->part[v] = lo;
    }
    return 1;
}

/* Polishes the division with the usual rounds until they stop improving. */
static void gp_polish(gp_search_work *w, int patience)
{
    int stale = 0;
    for (int round = 0; round < GP_MAX_ROUNDS && !w->stop && stale < patience; round++) {
        int64_t changed = gp_recom_pass(w);
        changed += gp_move_pass(w);
        stale = changed == 0 ? stale + 1 : 0;
    }
}

/* Households outside the bounds, summed over the grids. */
static int64_t gp_total_viol(const gp_search_work *w)
{
    int64_t viol = 0;
    for (int32_t gid = 0; gid < w->k; gid++) {
        viol += gp_viol(w, w->ghh[gid]);
    }
    return viol;
}

static int gp_int_cmp(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x;
    int32_t b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/*
 * The vertices of the region's grids (w->cand[0 .. nr)) marked at most `upto` in w->gmark,
 * into out[] in component order (t->verts), as a scan of the whole component would meet them,
 * at the cost of the region alone: each grid is searched from its representative (grids are
 * connected). Returns the count, or -1 when a grid's search does not reach all of its
 * vertices (the caller then scans the component).
 */
static int32_t gp_region_vertices(gp_search_work *w, int32_t nr, int upto, int32_t *out)
{
    const gp_graph *g = w->sh->g;
    uint32_t s = gp_next_stamp(&w->stamp, w->seen, w->n);
    int32_t cnt = 0;
    double work = 0;
    for (int32_t j = 0; j < nr; j++) {
        int32_t gid = w->cand[j];
        int32_t src = w->grep[gid];
        if (w->gmark[gid] > upto) {
            continue;
        }
        if (src < 0 || w->part[src] != gid) {
            return -1;
        }
        int32_t first = cnt;
        out[cnt++] = src;
        w->seen[src] = s;
        for (int32_t h = first; h < cnt; h++) {
            int32_t x = out[h];
            for (int32_t e = g->xadj[x]; e < g->xadj[x + 1]; e++) {
                int32_t u = g->adjncy[e];
                if (!w->sh->skip[u] && w->part[u] == gid && w->seen[u] != s) {
                    w->seen[u] = s;
                    out[cnt++] = u;
                }
            }
            work += (double)(g->xadj[x + 1] - g->xadj[x]) + 2;
        }
        if (cnt - first != w->gnv[gid]) {
            return -1;
        }
    }
    for (int32_t i = 0; i < cnt; i++) {
        out[i] = w->vpos[out[i]];
    }
    qsort(out, (size_t)cnt, sizeof *out, gp_int_cmp);
    for (int32_t i = 0; i < cnt; i++) {
        out[i] = w->t->verts[out[i]];
    }
    gp_spent(w, work + cnt);
    return cnt;
}

/* The same list from a scan of the whole component (when gp_region_vertices cannot). */
static int32_t gp_region_scan(gp_search_work *w, int upto, int32_t *out)
{
    int32_t cnt = 0;
    for (int32_t i = 0; i < w->t->nv; i++) {
        int32_t v = w->t->verts[i];
        int mark = w->gmark[w->part[v]];
        if (mark > 0 && mark <= upto) {
            out[cnt++] = v;
        }
    }
    gp_spent(w, (double)w->t->nv * 2);
    return cnt;
}

/* gp_grid_totals for the grids `grids` alone, whose vertices are vs[] in component order: the
 * same sums in the same order, at the cost of the region. */
static void gp_region_totals(gp_search_work *w, const int32_t *grids, int32_t ng, const int32_t *vs,
                             int32_t ns)
{
    const gp_graph *g = w->sh->g;
    for (int32_t j = 0; j < ng; j++) {
        gp_grid_reset(w, grids[j]);
    }
    for (int32_t i = 0; i < ns; i++) {
        gp_assign(w, vs[i], w->part[vs[i]]);
    }
    if (w->sh->shape_weight == 0) {
        return;
    }
    for (int32_t i = 0; i < ns; i++) {
        int32_t v = vs[i];
        double p = g->perimeter[v];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!w->sh->skip[u] && w->part[u] == w->part[v]) {
                p -= gp_border(g, e);
            }
        }
        w->gper[w->part[v]] += p;
    }
    w->work += (double)ns * 2;
}

/*
 * Re-divides the region of grid a and the grids around it (one ring of neighbouring grids,
 * then two, then three, while the region stays below GP_REPAIR_VERTICES) into as many grids as
 * it holds, cutting random spanning trees of the region exactly (treedp.c) until one admits a
 * division within bounds. The rest of the division is untouched, so this repairs one grid of a
 * large component at the cost of its neighbourhood. Returns 1 when the region was re-divided.
 */
static int gp_local_repair(gp_search_work *w, int32_t a)
{
    const gp_graph *g = w->sh->g;
    int32_t nr = 0; /* region grids in w->cand, marked in w->gmark */
    w->cand[nr++] = a;
    w->gmark[a] = 1;
    int done = 0;
    int32_t region_n = 0;
    for (int ring = 1; ring <= GP_REPAIR_RINGS && !done && !w->stop; ring++) {
        int32_t before = nr;
        int32_t cnt = gp_region_vertices(w, nr, ring, w->queue);
        if (cnt < 0) {
            cnt = gp_region_scan(w, ring, w->queue);
        }
        for (int32_t i = 0; i < cnt; i++) {
            int32_t v = w->queue[i];
            for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
                int32_t u = g->adjncy[e];
                if (!w->sh->skip[u] && !w->gmark[w->part[u]]) {
                    w->gmark[w->part[u]] = (uint8_t)(ring + 1);
                    w->cand[nr++] = w->part[u];
                }
            }
        }
        if (nr == before) {
            break; /* the whole component: the global fallback's business */
        }
        int64_t hs = 0;
        int32_t ns = 0;
        for (int32_t j = 0; j < nr; j++) {
            hs += w->ghh[w->cand[j]];
            ns += w->gnv[w->cand[j]];
        }
        if (ns > GP_REPAIR_VERTICES) {
            break;
        }
        if (hs < (int64_t)nr * w->sh->min || hs > (int64_t)nr * w->sh->max) {
            continue;
        }
        ns = gp_region_vertices(w, nr, UINT8_MAX, w->sv);
        if (ns < 0) {
            ns = gp_region_scan(w, UINT8_MAX, w->sv);
        }
        uint32_t s = gp_next_stamp(&w->stamp2, w->seen2, w->n);
        for (int32_t j = 0; j < ns; j++) {
            w->seen2[w->sv[j]] = s;
        }
        region_n = ns;
        for (int32_t tree = 0; tree < GP_FALLBACK_TREES && !w->stop; tree++) {
            int32_t parts = gp_treedp_split(w->dp, g, w->sh->hh, w->seen2, s, w->sv, ns, w->sh->min,
                                            w->sh->max, hs / nr, &w->rng, w->gtmp_label);
            if (gp_spent(w, gp_treedp_unpolled(w->dp)) == 2) {
                break;
            }
            if (parts != nr) {
                continue;
            }
            for (int32_t j = 0; j < ns; j++) {
                int32_t v = w->sv[j];
                w->part[v] = w->cand[w->gtmp_label[v]];
            }
            done = 1;
            break;
        }
    }
    for (int32_t j = 0; j < nr; j++) {
        w->gmark[w->cand[j]] = 0;
    }
    if (!done) {
        return 0;
    }
    gp_region_totals(w, w->cand, nr, w->sv, region_n);
    /* Polish the region alone: recombine its pairs of grids (non-adjacent pairs are refused at
     * once). w->cand is recombination scratch, so the region's grids move to w->glab first. */
    for (int32_t j = 0; j < nr; j++) {
        w->glab[j] = w->cand[j];
    }
    for (int32_t x = 0; x < nr && !w->stop; x++) {
        for (int32_t y = x + 1; y < nr && !w->stop; y++) {
            gp_recombine_memo(w, w->glab[x], w->glab[y]);
        }
    }
    return 1;
}

/*
 * When local search leaves grids out of bounds: on a component of community size, cut random
 * spanning trees of the whole component exactly (treedp.c) until one admits a division within
 * bounds; then, and on larger components, re-divide the neighbourhood of each grid still out
 * of bounds. A division that comes out is polished with the usual passes. With a fixed grid
 * count only a division into exactly k grids is taken.
 */
static void gp_exact_fallback(gp_search_work *w)
{
    gp_search_task *t = w->t;
    if (w->dp == NULL || t->k <= 0) {
        return;
    }
    int64_t target = t->households / t->k;
    /* A tree costs O(nv x bitset): many tries on community-sized components, none on big
     * regions, where re-dividing neighbourhoods is cheaper. */
    int32_t trees = t->nv <= 2000 ? GP_FALLBACK_TREES : 0;
    uint32_t s = gp_next_stamp(&w->stamp2, w->seen2, w->n);
    for (int32_t i = 0; i < t->nv; i++) {
        w->seen2[t->verts[i]] = s;
    }
    for (int32_t i = 0; i < trees && !w->stop; i++) {
        int32_t parts = gp_treedp_split(w->dp, w->sh->g, w->sh->hh, w->seen2, s, t->verts, t->nv,
                                        w->sh->min, w->sh->max, target, &w->rng, w->gtmp_label);
        gp_spent(w, gp_treedp_unpolled(w->dp));
        if (parts <= 0 || (w->sh->fixed_k && parts != t->k)) {
            continue;
        }
        for (int32_t j = 0; j < t->nv; j++) {
            int32_t v = t->verts[j];
            w->part[v] = w->gtmp_label[v];
        }
        w->k = parts;
        gp_grid_totals(w);
        gp_polish(w, 2);
        return;
    }
    for (int32_t gid = 0; gid < w->k && !w->stop; gid++) {
        if (gp_viol(w, w->ghh[gid]) > 0) {
            gp_local_repair(w, gid);
        }
    }
}

/* Makes the current division the task's result and returns its objective, from exact totals
 * (free of the moves' rounding of perimeters). */
static gp_score gp_save(gp_search_work *w)
{
    const gp_graph *g = w->sh->g;
    gp_search_task *t = w->t;
    gp_grid_totals(w);
    gp_score sc = {0, 0, 0, 0, 0};
    double shape = 0;
    for (int32_t gid = 0; gid < w->k; gid++) {
        sc.viol += gp_viol(w, w->ghh[gid]);
        sc.cap += gp_cap(w, w->gwl[gid]);
        sc.excess += gp_excess(w, w->gwl[gid]);
        shape += gp_shape(w, w->gper[gid], w->gar[gid]);
    }
    double cut = 0;
    int64_t moved = 0; /* households out of their starting grid */
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        t->out[i] = w->part[v];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!w->sh->skip[u] && w->part[u] != w->part[v]) {
                cut += g->ecost[e];
            }
        }
        if (w->has_home && w->home[v] >= 0 && w->part[v] != w->home[v]) {
            moved += w->sh->hh[v];
        }
    }
    t->k_out = w->k;
    sc.moved = moved;
    sc.cost = cut / 2 + shape;
    return sc;
}

int gp_search_run(const gp_search_shared *sh, gp_search_work *w, gp_search_task *t)
{
    const gp_graph *g = sh->g;
    w->sh = sh;
    w->t = t;
    w->work = 0;
    w->next_tick = 0;
    w->stop = 0;
    w->rng = t->seed;
    w->skips = 0;
    gp_memo_clear(w);
    double mean = t->k > 0 ? t->workload / t->k : 0;
    gp_objective *ob = &w->obj;
    ob->min = sh->min;
    ob->max = sh->max;
    ob->cap = sh->cap;
    ob->shape_weight = sh->shape_weight;
    ob->shape_scale = 0;
    if (sh->shape_weight != 0) {
        double at = 0;
        for (int32_t i = 0; i < t->nv; i++) {
            at += g->area[t->verts[i]];
        }
        ob->shape_scale = t->k > 0 ? 2.0 * sqrt(GP_OBJECTIVE_PI * at / t->k) : 0;
    }
    ob->lo_w = mean * (1 - sh->band);
    ob->hi_w = mean * (1 + sh->band);
    if (sh->cap > 0 && ob->hi_w > sh->cap) {
        /* The band never reaches above the cap: balancing then works towards it too. */
        ob->hi_w = sh->cap;
    }
    /* The restarts of a component (named by its lowest vertex) share what the pair score
     * reads besides its arguments. */
    double scope[GP_SPLITMEMO_SCOPE] = {t->nv > 0 ? t->verts[0] : -1, t->nv, ob->lo_w, ob->hi_w,
                                        ob->shape_scale};
    gp_splitmemo_scope(w->splits, scope);
    for (int32_t i = 0; i < t->nv; i++) {
        int32_t v = t->verts[i];
        double tot = 0;
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            tot += g->ecost[e];
        }
        w->tot[v] = tot;
    }
    for (int32_t i = 0; i < t->nv; i++) {
        w->vpos[t->verts[i]] = i;
    }
    if (w->dp != NULL) {
        gp_treedp_set_poll(w->dp, gp_treedp_spend, w);
    }
    w->has_home = 0;
    if (g->previous != NULL && gp_start_previous(w)) {
        /* Every restart repairs the previous division rather than starting afresh: they differ
         * in their random choices. Each vertex's starting grid is its previous one; the
         * objective counts the households that end elsewhere (gp_score.moved), right after
         * the hard rules, so grids are made connected, merged or split and then repaired
         * with as few moves as the rules allow. */
        for (int32_t i = 0; i < t->nv; i++) {
            int32_t v = t->verts[i];
            w->home[v] = w->part[v];
        }
        w->has_home = 1;
        w->k = t->nv; /* upper bound for the relabelling below */
        gp_make_connected(w);
        gp_fix_count(w);
    } else {
        gp_grow(w);
        gp_make_connected(w);
        gp_fix_count(w);
    }
    /* Small components, where a round is cheap and new random trees may still find better
     * splits, get a few more rounds without improvement before the search ends. */
    gp_polish(w, t->nv <= 2000 ? 4 : 1);
    if (gp_total_viol(w) > 0 && w->stop != 2) {
        /* A search that spent its budget still gets a reserve to repair the bounds: they come
         * before every other objective. Total work stays bounded. */
        if (w->stop == 1) {
            w->stop = 0;
            t->budget = w->work + GP_REPAIR_RESERVE * t->budget;
        }
        gp_exact_fallback(w);
    }
    t->score = gp_save(w);
    return w->stop == 2;
}

int64_t gp_search_memo_skips(const gp_search_work *w)
{
    return w->skips;
}

int64_t gp_search_improvable_pairs(gp_search_work *w, int64_t *exact)
{
    int32_t np = 0;
    int32_t nu = gp_adjacent_pairs(w, &np);
    int64_t improvable = 0;
    *exact = 0;
    w->stop = 0;
    w->t->budget = INFINITY;
    for (int32_t i = 0; i < nu; i++) {
        w->exact = 0;
        int32_t a = (int32_t)(w->pairs[i] / w->k);
        int32_t b = (int32_t)(w->pairs[i] % w->k);
        int changed = gp_recombine(w, a, b, 0);
        if (w->exact) {
            (*exact)++;
            improvable += changed;
        }
    }
    return improvable;
}
