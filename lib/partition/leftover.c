/* SPDX-License-Identifier: MIT */
/**
 * @file leftover.c The leftover rule: households too few for a grid join the grid of a
 * neighbouring vertex that is above the maximum by itself.
 *
 * A vertex above the maximum is a grid of its own that breaks the maximum by necessity (it is
 * indivisible), and the rest of the graph falls into connected components that are divided on
 * their own. A component whose households no whole number of grids can hold (no k >= 1 with
 * k x min <= households <= k x max) must leave some grid out of bounds, with nothing to excuse
 * it. When the component touches an over-max vertex, a piece of it too small to be a grid
 * joins that vertex's grid instead: the grid was over the maximum anyway, the piece breaks no
 * bound of its own, and what stays is a component that fits a whole number of grids.
 *
 * - Fewer households than the minimum (k = 0; this includes a household-free component): the
 *   whole component joins the over-max neighbour it shares the dearest border with (border
 *   length x cut cost, the cut it saves; ties to the lowest vertex). Nothing stays behind, so
 *   contiguity holds through the shared border and no other grid changes. A component of 250
 *   households next to a vertex of 817 makes one grid of 1,067: the alternative, a grid of
 *   250, breaks the minimum where nothing excuses it, while the 817 grid is over either way.
 * - Just over k x max, short of (k + 1) x min (k >= 1; with the default 300-500 only 501-599
 *   households, k = 1): a connected piece P touching an over-max vertex o joins o's grid when
 *   it holds from households - k x max to households - k x min households and fewer than the
 *   minimum (a piece that could be a grid itself is no leftover), and the rest stays
 *   connected; the rest then fits k grids and is divided as any component. Among such pieces,
 *   over every over-max neighbour o (lowest first), the one with the fewest households wins
 *   (the grid already over the maximum grows least), then the one whose grid borders cost
 *   least after the move, then the lowest o. The pieces are enumerated exactly (pairsplit.c:
 *   every connected set holding o with a connected rest) over o and the component's vertices:
 *   all of them up to 63; beyond that the 62 nearest o (breadth first) and one vertex standing
 *   for all the others, which cannot join, and the rest's connectivity is then checked on the
 *   whole component. The enumeration is capped in work per over-max neighbour, so the rule is
 *   bounded, and it is deterministic (no randomness, hosts in vertex order).
 * - Otherwise (no over-max neighbour, no piece in range, or a rest that is not connected) the
 *   component stays whole and is divided with the least violation, as before.
 *
 * The rule never takes households from a component that fits a whole number of grids: there a
 * division within the bounds may exist, and finding it is the search's job (and the split
 * stage's), not a reason to grow a grid that is over the maximum.
 */

#include "leftover.h"

#include "pairsplit.h"

#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Work (vertices and edges visited) the piece enumeration may spend per over-max neighbour. */
static const double GP_LEFTOVER_CAP = 100000;
/* Region entries: every region vertex has at most GP_PAIRSPLIT_MAX - 1 neighbours in it. */
enum { GP_LEFTOVER_ENTRIES = GP_PAIRSPLIT_MAX * GP_PAIRSPLIT_MAX };

struct gp_leftover_work {
    int32_t n;
    int32_t *pos;   /* region index of a component vertex, -1 outside the region */
    uint8_t *mark;  /* 1: in the component being looked at; 2: it joins the host */
    double *shared; /* cut cost shared with each over-max neighbour */
    int32_t *hosts; /* the component's over-max neighbours */
    int32_t *queue; /* breadth-first order */
    int32_t *piece; /* the best piece's vertices */
    gp_pairsplit_region region;
    int32_t rv[GP_PAIRSPLIT_MAX]; /* vertex of each region index (-1: the rest beyond) */
    int32_t to[GP_LEFTOVER_ENTRIES];
    double cost[GP_LEFTOVER_ENTRIES];
    double border[GP_LEFTOVER_ENTRIES];
};

gp_leftover_work *gp_leftover_work_new(int32_t n)
{
    gp_leftover_work *w = gp_calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    size_t nn = (size_t)(n > 0 ? n : 1);
    w->n = n;
    w->pos = gp_malloc(sizeof *w->pos * nn);
    w->mark = gp_calloc(nn, 1);
    w->shared = gp_calloc(nn, sizeof *w->shared);
    w->hosts = gp_malloc(sizeof *w->hosts * nn);
    w->queue = gp_malloc(sizeof *w->queue * nn);
    w->piece = gp_malloc(sizeof *w->piece * nn);
    if (w->pos == NULL || w->mark == NULL || w->shared == NULL || w->hosts == NULL ||
        w->queue == NULL || w->piece == NULL) {
        gp_leftover_work_free(w);
        return NULL;
    }
    for (int32_t v = 0; v < n; v++) {
        w->pos[v] = -1;
    }
    w->region.to = w->to;
    w->region.cost = w->cost;
    w->region.border = w->border;
    return w;
}

void gp_leftover_work_free(gp_leftover_work *w)
{
    if (w == NULL) {
        return;
    }
    gp_free(w->pos);
    gp_free(w->mark);
    gp_free(w->shared);
    gp_free(w->hosts);
    gp_free(w->queue);
    gp_free(w->piece);
    gp_free(w);
}

static double gp_leftover_border(const gp_graph *g, int32_t e)
{
    return g->border != NULL ? g->border[e] : 1.0;
}

static int gp_int32_cmp(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x;
    int32_t b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* Tiers of a piece: its households, then the change in cut cost (`user`: the cost the host
 * shares with the whole component, which the region's cut counts as if nothing joined). */
static int gp_leftover_score(void *user, const gp_pairsplit_sides *sd,
                             const double bound[GP_PAIRSPLIT_TERMS],
                             double out[GP_PAIRSPLIT_TERMS])
{
    const double *base = user;
    out[0] = (double)sd->hh[0];
    out[1] = sd->cut - *base;
    for (int i = 2; i < GP_PAIRSPLIT_TERMS; i++) {
        out[i] = 0.0;
    }
    if (out[0] != bound[0]) {
        return out[0] < bound[0];
    }
    return out[1] < bound[1] - 1e-9 * (1.0 + fabs(bound[1]));
}

/* Adds entry y -> t (cost, border) to the region being built; entries of a row are
 * contiguous, so rows are filled one after another. */
static void gp_region_entry(gp_leftover_work *w, int32_t *ne, int32_t y, int32_t t, double cost,
                            double border)
{
    w->region.adj[y] |= (uint64_t)1 << t;
    w->to[*ne] = t;
    w->cost[*ne] = cost;
    w->border[*ne] = border;
    (*ne)++;
}

/*
 * The region for host o: index 0 is o (no households), then the component's vertices in
 * breadth-first order from o, at most GP_PAIRSPLIT_MAX - 1; when the component is larger, the
 * last index stands for all the vertices beyond (households above `hi`, so it never joins).
 * Returns the number of region vertices, and leaves pos[] set for the caller to clear.
 */
static int32_t gp_leftover_region(gp_leftover_work *w, const gp_graph *g, const int64_t *hh,
                                  int32_t o, int32_t nv, int64_t hi)
{
    gp_pairsplit_region *r = &w->region;
    /* No previous division counts here: which pieces join a host is decided by size and cut. */
    memset(r->home_a, 0, sizeof r->home_a);
    memset(r->home_b, 0, sizeof r->home_b);
    memset(r->home_any, 0, sizeof r->home_any);
    int32_t room = nv <= GP_PAIRSPLIT_MAX - 1 ? nv : GP_PAIRSPLIT_MAX - 2;
    int32_t m = 0;
    int32_t head = 0;
    for (int32_t e = g->xadj[o]; e < g->xadj[o + 1] && m < room; e++) {
        int32_t u = g->adjncy[e];
        if (w->mark[u] == 1 && w->pos[u] < 0) {
            w->pos[u] = ++m;
            w->rv[m] = u;
        }
    }
    while (head < m && m < room) {
        int32_t v = w->rv[++head];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1] && m < room; e++) {
            int32_t u = g->adjncy[e];
            if (w->mark[u] == 1 && w->pos[u] < 0) {
                w->pos[u] = ++m;
                w->rv[m] = u;
            }
        }
    }
    int32_t beyond = m < nv ? m + 1 : -1;
    int32_t nr = m + 1 + (beyond > 0);
    double xcost[GP_PAIRSPLIT_MAX];
    double xborder[GP_PAIRSPLIT_MAX];
    uint8_t xany[GP_PAIRSPLIT_MAX];
    w->rv[0] = o;
    r->n = nr;
    int32_t ne = 0;
    for (int32_t y = 0; y < nr; y++) {
        r->adj[y] = 0;
        r->wl[y] = 0;
        r->open[y] = 0;
        r->area[y] = 0;
    }
    for (int32_t y = 0; y <= m; y++) {
        int32_t v = w->rv[y];
        r->hh[y] = y == 0 ? 0 : hh[v];
        r->xadj[y] = ne;
        xcost[y] = 0;
        xborder[y] = 0;
        xany[y] = 0;
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            int32_t t = u == o ? 0 : (w->mark[u] == 1 ? w->pos[u] : -2);
            if (t == -2) {
                continue; /* another over-max vertex: that border is cut either way */
            }
            if (t < 0) {
                xcost[y] += g->ecost[e];
                xborder[y] += gp_leftover_border(g, e);
                xany[y] = 1;
                continue;
            }
            gp_region_entry(w, &ne, y, t, g->ecost[e], gp_leftover_border(g, e));
        }
        if (xany[y]) {
            gp_region_entry(w, &ne, y, beyond, xcost[y], xborder[y]);
        }
    }
    if (beyond > 0) {
        r->hh[beyond] = hi + 1;
        r->xadj[beyond] = ne;
        w->rv[beyond] = -1;
        for (int32_t y = 0; y <= m; y++) {
            if (xany[y]) {
                gp_region_entry(w, &ne, beyond, y, xcost[y], xborder[y]);
            }
        }
    }
    r->xadj[nr] = ne;
    return nr;
}

/* The rest (mark 1) is connected: breadth-first from its lowest vertex into queue[]; returns
 * how many vertices it reached. */
static int32_t gp_leftover_rest(gp_leftover_work *w, const gp_graph *g, const int32_t *verts,
                                int32_t nv)
{
    int32_t s = -1;
    for (int32_t i = 0; i < nv; i++) {
        if (w->mark[verts[i]] == 1 && (s < 0 || verts[i] < s)) {
            s = verts[i];
        }
    }
    if (s < 0) {
        return 0;
    }
    int32_t t = 0;
    w->queue[t++] = s;
    w->mark[s] = 3;
    for (int32_t h = 0; h < t; h++) {
        int32_t v = w->queue[h];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (w->mark[u] == 1) {
                w->mark[u] = 3;
                w->queue[t++] = u;
            }
        }
    }
    for (int32_t i = 0; i < t; i++) {
        w->mark[w->queue[i]] = 1;
    }
    return t;
}

/* Marks the component (mark 1) and lists in hosts[], lowest first, the over-max vertices it
 * touches (pos -2), with the cut cost each shares with it in shared[]; returns their count. */
static int32_t gp_leftover_hosts(gp_leftover_work *w, const gp_graph *g, const uint8_t *over,
                                 const int32_t *verts, int32_t nv)
{
    int32_t nh = 0;
    for (int32_t i = 0; i < nv; i++) {
        w->mark[verts[i]] = 1;
    }
    for (int32_t i = 0; i < nv; i++) {
        int32_t v = verts[i];
        for (int32_t e = g->xadj[v]; e < g->xadj[v + 1]; e++) {
            int32_t u = g->adjncy[e];
            if (!over[u]) {
                continue;
            }
            if (w->pos[u] != -2) {
                w->pos[u] = -2; /* listed (pos is not otherwise used for over-max vertices) */
                w->hosts[nh++] = u;
            }
            w->shared[u] += g->ecost[e];
        }
    }
    qsort(w->hosts, (size_t)nh, sizeof *w->hosts, gp_int32_cmp);
    return nh;
}

/* The host the component shares the dearest border with, the lowest on a tie. */
static int32_t gp_leftover_dearest(const gp_leftover_work *w, int32_t nh)
{
    int32_t best = w->hosts[0];
    for (int32_t i = 1; i < nh; i++) {
        if (w->shared[w->hosts[i]] > w->shared[best]) {
            best = w->hosts[i];
        }
    }
    return best;
}

/*
 * The best piece of lo .. hi households over every host, lowest host first: returns its host
 * (-1 when none) and leaves its vertices in piece[0 .. *np - 1].
 */
static int32_t gp_leftover_piece(gp_leftover_work *w, const gp_graph *g, const int64_t *hh,
                                 int32_t nv, int32_t nh, int64_t lo, int64_t hi, int32_t *np)
{
    double bound[GP_PAIRSPLIT_TERMS] = {INFINITY, INFINITY, 0.0, 0.0, 0.0};
    int32_t host = -1;
    for (int32_t i = 0; i < nh && lo <= hi; i++) {
        int32_t o = w->hosts[i];
        int32_t nr = gp_leftover_region(w, g, hh, o, nv, hi);
        double base = w->shared[o];
        gp_pairsplit_result res;
        gp_pairsplit(&w->region, lo, hi, GP_LEFTOVER_CAP, gp_leftover_score, &base, bound, &res);
        if (res.found) {
            host = o;
            *np = 0;
            for (int32_t y = 1; y < nr; y++) {
                if ((res.side >> y) & 1) {
                    w->piece[(*np)++] = w->rv[y];
                }
            }
            for (int32_t y = 0; y < GP_PAIRSPLIT_TERMS; y++) {
                bound[y] = res.score[y];
            }
        }
        for (int32_t y = 1; y < nr; y++) {
            if (w->rv[y] >= 0) {
                w->pos[w->rv[y]] = -1;
            }
        }
    }
    return host;
}

/*
 * The piece piece[0 .. np - 1] joins `host` (mark 2) when the rest stays connected: then the
 * component's list becomes the rest in breadth-first order followed by the piece in its order
 * in the list. Returns what joins, nothing (host -1) when the rest is not connected.
 */
static gp_leftover gp_leftover_join(gp_leftover_work *w, const gp_graph *g, const int64_t *hh,
                                    int32_t *verts, int32_t nv, int32_t host, int32_t np)
{
    int64_t ph = 0;
    for (int32_t i = 0; i < np; i++) {
        w->mark[w->piece[i]] = 2;
        ph += hh[w->piece[i]];
    }
    /* Beyond the 63 vertices nearest the host, the rest's connectivity was assumed. */
    if (gp_leftover_rest(w, g, verts, nv) != nv - np) {
        return (gp_leftover){-1, 0, 0};
    }
    /* The piece in its order in the component's list, after the rest. */
    int32_t j = 0;
    for (int32_t i = 0; i < nv; i++) {
        if (w->mark[verts[i]] == 2) {
            w->piece[j++] = verts[i];
        }
    }
    for (int32_t i = 0; i < nv - np; i++) {
        verts[i] = w->queue[i];
    }
    for (int32_t i = 0; i < np; i++) {
        verts[nv - np + i] = w->piece[i];
    }
    return (gp_leftover){host, np, ph};
}

gp_leftover gp_leftover_find(gp_leftover_work *w, const gp_graph *g, const int64_t *hh,
                             const uint8_t *over, int64_t min, int64_t max, int32_t *verts,
                             int32_t nv, int64_t total)
{
    gp_leftover out = {-1, 0, 0};
    int64_t kf = (total + max - 1) / max;
    if (nv <= 0 || (kf < 1 ? 1 : kf) * min <= total) {
        return out; /* some whole number of grids fits */
    }
    int32_t nh = gp_leftover_hosts(w, g, over, verts, nv);
    int64_t k = total / max;
    if (nh > 0 && k == 0) {
        /* Too few for one grid: all of it joins the host it shares the dearest border with. */
        out = (gp_leftover){gp_leftover_dearest(w, nh), nv, total};
    } else if (nh > 0) {
        int64_t lo = total - k * max;
        int64_t hi = total - k * min < min - 1 ? total - k * min : min - 1;
        int32_t np = 0;
        int32_t host = gp_leftover_piece(w, g, hh, nv, nh, lo, hi, &np);
        if (host >= 0) {
            out = gp_leftover_join(w, g, hh, verts, nv, host, np);
        }
    }
    for (int32_t i = 0; i < nh; i++) {
        w->shared[w->hosts[i]] = 0;
        w->pos[w->hosts[i]] = -1;
    }
    for (int32_t i = 0; i < nv; i++) {
        w->mark[verts[i]] = 0;
    }
    return out;
}
