/* SPDX-License-Identifier: MIT */
/**
 * @file pairsplit.c Exact division of a small region into two connected parts.
 *
 * Connected sets holding vertex 0 are enumerated once each by branching on the lowest
 * vertex of the set's frontier: take it, or ban it for the rest of the branch (the binary
 * partition scheme of connected-subgraph enumeration, as in Maxwell et al., "Efficiently
 * enumerating all connected induced subgraphs of a large molecular network", 2014). Cut cost,
 * cut length, households, workload, open perimeter and area change incrementally as a vertex
 * joins, so a set costs the degree of its last vertex; the rest's connectivity is checked by
 * a bit-set flood only for a set that would beat the best so far.
 */

#include "pairsplit.h"

typedef struct {
    const gp_pairsplit_region *r;
    uint64_t full;
    int64_t lo;
    int64_t hi;
    int64_t hs; /* region totals */
    double ws;
    double qs;
    double as;
    double cap;
    gp_pairsplit_score_fn score;
    void *user;
    gp_pairsplit_result *out;
} gp_ps;

/* Whether the region without `set` is connected (and not empty). */
static int gp_ps_rest_connected(const gp_ps *c, uint64_t set)
{
    uint64_t rest = c->full & ~set;
    if (rest == 0) {
        return 0;
    }
    uint64_t reach = rest & (~rest + 1);
    uint64_t front = reach;
    while (front != 0) {
        int y = __builtin_ctzll(front);
        front &= front - 1;
        uint64_t add = c->r->adj[y] & rest & ~reach;
        reach |= add;
        front |= add;
    }
    return reach == rest;
}

static void gp_ps_visit(gp_ps *c, uint64_t set, int64_t h, double wl, double cut, double cutb,
                        double q, double ar)
{
    gp_pairsplit_result *o = c->out;
    int64_t hh[2] = {h, c->hs - h};
    double w[2] = {wl, c->ws - wl};
    double per[2] = {q + cutb, c->qs - q + cutb};
    double area[2] = {ar, c->as - ar};
    double sc[3];
    o->work += 4;
    if (c->score(c->user, hh, w, cut, per, area, o->score, sc) && gp_ps_rest_connected(c, set)) {
        o->found = 1;
        o->side = set;
        o->score[0] = sc[0];
        o->score[1] = sc[1];
        o->score[2] = sc[2];
        o->perimeter[0] = per[0];
        o->perimeter[1] = per[1];
        o->work += c->r->n;
    }
}

static void gp_ps_grow(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr, int64_t h,
                       double wl, double cut, double cutb, double q, double ar)
{
    const gp_pairsplit_region *r = c->r;
    uint64_t front = nbr & ~banned;
    if (front == 0) {
        return;
    }
    if (c->out->work >= c->cap) {
        c->out->complete = 0;
        return;
    }
    int y = __builtin_ctzll(front);
    uint64_t bit = (uint64_t)1 << y;
    if (h + r->hh[y] <= c->hi) {
        double dcut = 0;
        double dcutb = 0;
        for (int32_t e = r->xadj[y]; e < r->xadj[y + 1]; e++) {
            /* An edge into the set stops being cut; an edge out of it starts. */
            double sign = (set >> r->to[e]) & 1 ? -1.0 : 1.0;
            dcut += sign * r->cost[e];
            dcutb += sign * r->border[e];
        }
        c->out->work += 1 + (double)(r->xadj[y + 1] - r->xadj[y]);
        uint64_t grown = set | bit;
        int64_t h2 = h + r->hh[y];
        if (h2 >= c->lo && grown != c->full) {
            gp_ps_visit(c, grown, h2, wl + r->wl[y], cut + dcut, cutb + dcutb, q + r->open[y],
                        ar + r->area[y]);
        }
        gp_ps_grow(c, grown, banned, (nbr | r->adj[y]) & ~grown, h2, wl + r->wl[y], cut + dcut,
                   cutb + dcutb, q + r->open[y], ar + r->area[y]);
    }
    c->out->work += 1;
    gp_ps_grow(c, set, banned | bit, nbr, h, wl, cut, cutb, q, ar);
}

void gp_pairsplit(const gp_pairsplit_region *r, int64_t lo, int64_t hi, double cap,
                  gp_pairsplit_score_fn score, void *user, const double bound[3],
                  gp_pairsplit_result *out)
{
    gp_ps c = {r, 0, lo, hi, 0, 0, 0, 0, cap, score, user, out};
    out->found = 0;
    out->complete = 1;
    out->side = 0;
    out->score[0] = bound[0];
    out->score[1] = bound[1];
    out->score[2] = bound[2];
    out->perimeter[0] = 0;
    out->perimeter[1] = 0;
    out->work = 0;
    if (r->n < 2 || r->n > GP_PAIRSPLIT_MAX || lo > hi) {
        return;
    }
    for (int32_t y = 0; y < r->n; y++) {
        c.full |= (uint64_t)1 << y;
        c.hs += r->hh[y];
        c.ws += r->wl[y];
        c.qs += r->open[y];
        c.as += r->area[y];
    }
    double cut = 0;
    double cutb = 0;
    for (int32_t e = r->xadj[0]; e < r->xadj[1]; e++) {
        cut += r->cost[e];
        cutb += r->border[e];
    }
    if (r->hh[0] >= lo && r->hh[0] <= hi) {
        gp_ps_visit(&c, 1, r->hh[0], r->wl[0], cut, cutb, r->open[0], r->area[0]);
    }
    if (r->hh[0] <= hi) {
        gp_ps_grow(&c, 1, 0, r->adj[0] & ~(uint64_t)1, r->hh[0], r->wl[0], cut, cutb,
                   r->open[0], r->area[0]);
    }
}
