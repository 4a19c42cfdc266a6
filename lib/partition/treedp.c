/* SPDX-License-Identifier: MIT */
/**
 * @file treedp.c Exact division of a random spanning tree into parts within household bounds.
 *
 * Every division of a tree into connected parts cuts some of its edges, and whether one exists
 * with every part in [min, max] is decided by a dynamic program over the tree (in the spirit of
 * the tree-partitioning DPs of Kundu and Misra, 1977, and of the spanning-tree recombination
 * of DeFord, Duchin and Solomon, 2021): for each vertex v, S(v) is the set of household sums
 * the part still open at v can have, given that every part closed below v is within bounds.
 * With bounds of a few hundred households the sets are small bitsets, so a tree costs
 * O(n x popcount x words). Trying a few random spanning trees makes a strong exact fallback
 * for the graphs where greedy growing and local search leave a grid out of bounds.
 */

#include "treedp.h"

#include "core/memory.h"
#include "core/unionfind.h"

#include <stdlib.h>
#include <string.h>

enum { GP_TREEDP_MAX_BITS = 1 << 14 };
/* Bit tests and bitset words per work unit of the search (a unit is about one edge visited
 * there), and vertices of the bottom-up pass between two polls. */
static const double GP_TREEDP_OPS_PER_UNIT = 4.0;
enum { GP_TREEDP_POLL_VERTICES = 32 };

struct gp_treedp {
    int32_t n, m, words;
    uint64_t *set;   /* S(v): n x words */
    uint64_t *after; /* the parent's prefix set right after merging child v: n x words */
    uint64_t *cur;   /* one bitset of scratch */
    int32_t *uf;     /* union-find parents */
    uint64_t *keys;  /* random key << 32 | edge index, for Kruskal */
    int32_t *thead, *tnext, *tto; /* tree adjacency */
    int32_t *order, *parent, *stack, *ssum;
    int32_t *child_head, *child_next; /* children in order, to walk them backwards */
    double ops;    /* bit tests and words handled by the running call */
    double polled; /* ops already passed to the poll */
    gp_treedp_poll_fn poll;
    void *poll_user;
};

void gp_treedp_set_poll(gp_treedp *dp, gp_treedp_poll_fn fn, void *user)
{
    dp->poll = fn;
    dp->poll_user = user;
}

double gp_treedp_unpolled(const gp_treedp *dp)
{
    return (dp->ops - dp->polled) / GP_TREEDP_OPS_PER_UNIT;
}

/* Hands the work done since the last poll to the poll; non-zero: stop now. */
static int poll_now(gp_treedp *dp)
{
    if (dp->poll == NULL) {
        return 0;
    }
    double units = (dp->ops - dp->polled) / GP_TREEDP_OPS_PER_UNIT;
    dp->polled = dp->ops;
    return dp->poll(dp->poll_user, units);
}

static int64_t words_for(int64_t max)
{
    return (max + 1 + 63) / 64;
}

int gp_treedp_fits(int32_t n, int64_t max)
{
    return max >= 0 && max < GP_TREEDP_MAX_BITS &&
           ((int64_t)n + 1) * words_for(max) * 2 * 8 <= (int64_t)64 << 20;
}

gp_treedp *gp_treedp_new(int32_t n, int32_t m, int64_t max)
{
    if (!gp_treedp_fits(n, max)) {
        return NULL;
    }
    int64_t words = words_for(max);
    gp_treedp *dp = gp_calloc(1, sizeof *dp);
    if (dp == NULL) {
        return NULL;
    }
    size_t nn = (size_t)n + 1, mm = (size_t)m + 1;
    dp->n = n;
    dp->m = m;
    dp->words = (int32_t)words;
    dp->set = gp_calloc(nn * (size_t)words, sizeof *dp->set);
    dp->after = gp_calloc(nn * (size_t)words, sizeof *dp->after);
    dp->cur = gp_calloc((size_t)words, sizeof *dp->cur);
    dp->uf = gp_calloc(nn, sizeof *dp->uf);
    dp->keys = gp_calloc(mm, sizeof *dp->keys);
    dp->thead = gp_calloc(nn, sizeof *dp->thead);
    dp->tnext = gp_calloc(2 * nn, sizeof *dp->tnext);
    dp->tto = gp_calloc(2 * nn, sizeof *dp->tto);
    dp->order = gp_calloc(nn, sizeof *dp->order);
    dp->parent = gp_calloc(nn, sizeof *dp->parent);
    dp->stack = gp_calloc(nn, sizeof *dp->stack);
    dp->ssum = gp_calloc(nn, sizeof *dp->ssum);
    dp->child_head = gp_calloc(nn, sizeof *dp->child_head);
    dp->child_next = gp_calloc(nn, sizeof *dp->child_next);
    if (!dp->set || !dp->after || !dp->cur || !dp->uf || !dp->keys || !dp->thead || !dp->tnext ||
        !dp->tto || !dp->order || !dp->parent || !dp->stack || !dp->ssum || !dp->child_head ||
        !dp->child_next) {
        gp_treedp_free(dp);
        return NULL;
    }
    return dp;
}

void gp_treedp_free(gp_treedp *dp)
{
    if (dp == NULL) {
        return;
    }
    void *fields[] = {dp->set,   dp->after, dp->cur,        dp->uf,        dp->keys,
                      dp->thead, dp->tnext, dp->tto,        dp->order,     dp->parent,
                      dp->stack, dp->ssum,  dp->child_head, dp->child_next};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        gp_free(fields[i]);
    }
    gp_free(dp);
}

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64: small, fast, and good enough to draw spanning trees */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int test_bit(const uint64_t *b, int64_t i)
{
    return (int)((b[i >> 6] >> (i & 63)) & 1u);
}

static int any_in(const uint64_t *b, int64_t lo, int64_t hi)
{
    for (int64_t i = lo; i <= hi; i++) {
        if (test_bit(b, i)) {
            return 1;
        }
    }
    return 0;
}

/* out |= (a << shift), truncated to `words` words. */
static void or_shifted(uint64_t *out, const uint64_t *a, int64_t shift, int32_t words)
{
    int64_t ws = shift >> 6;
    int bs = (int)(shift & 63);
    for (int64_t i = words - 1; i >= ws; i--) {
        uint64_t v = a[i - ws] << bs;
        if (bs != 0 && i - ws - 1 >= 0) {
            v |= a[i - ws - 1] >> (64 - bs);
        }
        out[i] |= v;
    }
}

/* Clear the bits above max in the last word. */
static void trim(uint64_t *b, int32_t words, int64_t max)
{
    int64_t top = max + 1;
    int64_t last = top & 63;
    if (last != 0) {
        b[words - 1] &= (~0ULL) >> (64 - last);
    }
}

/* The value in b within [lo, hi] closest to target, or -1. */
static int64_t closest(const uint64_t *b, int64_t lo, int64_t hi, int64_t target)
{
    int64_t best = -1;
    for (int64_t i = lo; i <= hi; i++) {
        if (test_bit(b, i) && (best < 0 || llabs(i - target) < llabs(best - target))) {
            best = i;
        }
    }
    return best;
}

/* One call of gp_treedp_split: the component (the vertices v with in[v] == stamp, listed in
 * verts), households by vertex, the bounds and target of a part, the random state and the
 * labels it gives. */
typedef struct {
    const gp_graph *g;
    const int64_t *hh;
    const uint32_t *in;
    uint32_t stamp;
    const int32_t *verts;
    int32_t nv;
    int64_t min, max, target;
    uint64_t *rng;
    int32_t *label;
} split_args;

/* The source of adjacency entry e: the vertex whose adjacency range holds it. */
static inline int32_t edge_source(const gp_graph *g, int32_t e)
{
    int32_t lo = 0, hi = g->n - 1;
    while (lo < hi) {
        int32_t mid = (lo + hi + 1) / 2;
        if (g->xadj[mid] <= e) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

/* 1. A random spanning tree: Kruskal over the component's edges with random keys, into the
 * tree adjacency (thead, tnext, tto). 0 when a vertex holds more than max households. */
static int random_tree(gp_treedp *dp, const split_args *args)
{
    const gp_graph *g = args->g;
    const int32_t *verts = args->verts;
    int32_t nv = args->nv;
    int32_t ne = 0;
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = verts[i];
        dp->uf[v] = v;
        dp->thead[v] = -1;
        if (args->hh[v] > args->max) {
            return 0; /* such vertices are grids of their own, never in a searched component */
        }
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (u > v && args->in[u] == args->stamp && ne < dp->m) {
                dp->keys[ne++] = (next_rand(args->rng) & 0xFFFFFFFF00000000ULL) | (uint64_t)e;
            }
        }
    }
    qsort(dp->keys, (size_t)ne, sizeof *dp->keys, cmp_u64);
    dp->ops += (double)ne * 48 + (double)nv * 4; /* sort, and a search of the edge's source */
    int32_t tn = 0;
    for (int32_t i = 0; i < ne; i++) {
        int32_t e = (int32_t)(dp->keys[i] & 0xFFFFFFFFu);
        int32_t v = edge_source(g, e), u = g->adjncy[e];
        int32_t rv = gp_uf_find(dp->uf, v), ru = gp_uf_find(dp->uf, u);
        if (rv == ru) {
            continue;
        }
        dp->uf[rv] = ru;
        dp->tto[tn] = u;
        dp->tnext[tn] = dp->thead[v];
        dp->thead[v] = tn++;
        dp->tto[tn] = v;
        dp->tnext[tn] = dp->thead[u];
        dp->thead[u] = tn++;
    }
    return 1;
}

/* 2. Root the tree at a random vertex; BFS order, parents and child lists. Returns the root,
 * or -1 when the tree does not reach every vertex. */
static int32_t root_tree(gp_treedp *dp, const split_args *args)
{
    const int32_t *verts = args->verts;
    int32_t nv = args->nv;
    int32_t root = verts[next_rand(args->rng) % (uint64_t)nv];
    int32_t head = 0, tail = 0;
    dp->order[tail++] = root;
    dp->parent[root] = -1;
    for (int32_t i = 0; i < nv; i++) {
        dp->child_head[verts[i]] = -1;
    }
    while (head < tail) {
        int32_t v = dp->order[head++];
        for (int32_t e = dp->thead[v]; e >= 0; e = dp->tnext[e]) {
            int32_t u = dp->tto[e];
            if (u != dp->parent[v]) {
                dp->parent[u] = v;
                dp->child_next[u] = dp->child_head[v];
                dp->child_head[v] = u;
                dp->order[tail++] = u;
            }
        }
    }
    if (tail != nv) {
        return -1; /* not connected: the caller searches components */
    }
    return root;
}

/* 3. Bottom-up: S(v) from {hh[v]} merging each child (close it, or join its open sum), and
 * `after` of each child. Non-zero when the poll says stop. */
static int bottom_up(gp_treedp *dp, const split_args *args)
{
    const int32_t W = dp->words;
    const int64_t *hh = args->hh;
    int64_t min = args->min, max = args->max;
    for (int32_t i = args->nv - 1; i >= 0; i--) {
        if (i % GP_TREEDP_POLL_VERTICES == 0 && poll_now(dp)) {
            return 1;
        }
        int32_t v = dp->order[i];
        uint64_t *cur = dp->set + (size_t)v * W;
        dp->ops += W + 2;
        memset(cur, 0, (size_t)W * sizeof *cur);
        cur[hh[v] >> 6] |= 1ULL << (hh[v] & 63);
        for (int32_t c = dp->child_head[v]; c >= 0; c = dp->child_next[c]) {
            const uint64_t *sc = dp->set + (size_t)c * W;
            int closable = any_in(sc, min, max);
            memset(dp->cur, 0, (size_t)W * sizeof *dp->cur);
            if (closable) {
                memcpy(dp->cur, cur, (size_t)W * sizeof *cur);
            }
            dp->ops += (double)(max + 1) + (double)(max - min + 1) + 5.0 * W;
            for (int64_t t = 0; t <= max; t++) {
                if (test_bit(sc, t)) {
                    or_shifted(dp->cur, cur, t, W);
                    dp->ops += (double)(W - (t >> 6));
                }
            }
            trim(dp->cur, W, max);
            memcpy(cur, dp->cur, (size_t)W * sizeof *cur);
            memcpy(dp->after + (size_t)c * W, cur, (size_t)W * sizeof *cur);
        }
    }
    return 0;
}

/* 4. Top-down: give each vertex its part, the root's open sum s0. Children are walked in
 * reverse merge order; the set before child c is the `after` of the child merged just before
 * it, or {hh[v]}. Returns the number of parts, or 0 (fail safe) when the sets disagree. */
static int32_t top_down(gp_treedp *dp, const split_args *args, int32_t root, int64_t s0)
{
    const int32_t W = dp->words;
    const int64_t *hh = args->hh;
    int64_t min = args->min, max = args->max, target = args->target;
    uint64_t *rng = args->rng;
    int32_t *label = args->label;
    int32_t parts = 0, sp = 0;
    dp->stack[sp] = root;
    dp->ssum[sp++] = (int32_t)s0;
    label[root] = parts++;
    while (sp > 0) {
        int32_t v = dp->stack[--sp];
        int64_t s = dp->ssum[sp];
        /* children in merge order are the child list order; collect them to walk backwards */
        int32_t nc = 0;
        for (int32_t c = dp->child_head[v]; c >= 0; c = dp->child_next[c]) {
            dp->uf[nc++] = c; /* uf is free now: reuse as a small list */
        }
        for (int32_t j = nc - 1; j >= 0; j--) {
            int32_t c = dp->uf[j];
            const uint64_t *sc = dp->set + (size_t)c * W;
            const uint64_t *prev = j > 0 ? dp->after + (size_t)dp->uf[j - 1] * W : NULL;
            int64_t base = hh[v];
#define IN_PREV(x) ((x) >= 0 && ((prev != NULL) ? test_bit(prev, (x)) : (x) == base))
            int can_close = IN_PREV(s) && any_in(sc, min, max);
            dp->ops += (double)(s + 1) + 2.0 * (double)(max - min + 1);
            /* a joining share t of the child's open sum, chosen at random among those that work */
            int64_t join = -1, seen = 0;
            for (int64_t t = 0; t <= s; t++) {
                if (test_bit(sc, t) && IN_PREV(s - t)) {
                    seen++;
                    if (next_rand(rng) % (uint64_t)seen == 0) {
                        join = t;
                    }
                }
            }
#undef IN_PREV
            int close = can_close && (join < 0 || (next_rand(rng) & 1));
            if (close) {
                int64_t t = closest(sc, min, max, target);
                label[c] = parts++;
                dp->stack[sp] = c;
                dp->ssum[sp++] = (int32_t)t;
            } else if (join >= 0) {
                label[c] = label[v];
                dp->stack[sp] = c;
                dp->ssum[sp++] = (int32_t)join;
                s -= join;
            } else {
                return 0; /* cannot happen when the sets are right: fail safe */
            }
        }
        if (s != hh[v]) {
            return 0;
        }
    }
    return parts;
}

int32_t gp_treedp_split(gp_treedp *dp, const gp_graph *g, const int64_t *hh, const uint32_t *in,
                        uint32_t stamp, const int32_t *verts, int32_t nv, int64_t min, int64_t max,
                        int64_t target, uint64_t *rng, int32_t *label)
{
    dp->ops = 0;
    dp->polled = 0;
    if (nv <= 0 || max >= (int64_t)dp->words * 64) {
        return 0;
    }
    split_args args = {g, hh, in, stamp, verts, nv, min, max, target, rng, label};
    if (!random_tree(dp, &args)) {
        return 0;
    }
    int32_t root = root_tree(dp, &args);
    if (root < 0) {
        return 0;
    }
    if (bottom_up(dp, &args)) {
        return 0;
    }
    int64_t s0 = closest(dp->set + (size_t)root * dp->words, min, max, target);
    if (s0 < 0) {
        return 0;
    }
    return top_down(dp, &args, root, s0);
}
