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
 * a bit-set flood only for a set that would beat the best so far. A split is scored by a
 * callback, or (gp_pairsplit_by_objective) by the optimizer's objective in line.
 */

#include "pairsplit.h"

#include <math.h>
#include <stddef.h>

/* Totals of a set, kept incrementally as vertices join it. */
typedef struct {
    int64_t h;   /* households */
    double wl;   /* workload */
    double cut;  /* cut cost to the rest */
    double cutb; /* cut length to the rest */
    double q;    /* open perimeter */
    double ar;   /* area */
    int64_t sa;  /* households that started in the pair's first grid */
    int64_t sb;  /* ... in its second grid */
    int64_t sk;  /* ... in any grid */
} gp_ps_sums;

typedef struct {
    const gp_pairsplit_region *r;
    uint64_t full;
    int64_t lo;
    int64_t hi;
    gp_ps_sums all; /* region totals (cut fields unused) */
    int64_t cap;    /* the cap in whole units: work >= cap exactly when (double)work >= the cap */
    int complete;
    gp_pairsplit_score_fn score;
    void *user;
    const gp_objective *obj; /* scores in line when set (then score and user are unused) */
    gp_score best;           /* with obj: the best so far, as the objective's terms */
    int plain; /* with obj: the bounds, cap and moved terms are 0 for every split scored */
    gp_pairsplit_result *out;
} gp_ps;

_Static_assert((int)GP_PAIRSPLIT_TERMS == (int)GP_SCORE_TERMS,
               "a pair split is scored by the optimizer's terms");

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

/* Households that change grid when the set takes the first grid's label, or the second's:
 * the better of the two. */
static int64_t gp_ps_moved(const gp_ps *c, const gp_ps_sums *s)
{
    return gp_objective_moved(s->sa, s->sb, s->sk, c->all.sa, c->all.sb, c->all.sk);
}

static int64_t gp_ps_visit(gp_ps *c, uint64_t set, const gp_ps_sums *s, int64_t work)
{
    gp_pairsplit_result *o = c->out;
    gp_pairsplit_sides sides = {{s->h, c->all.h - s->h},
                                {s->wl, c->all.wl - s->wl},
                                s->cut,
                                {s->q + s->cutb, c->all.q - s->q + s->cutb},
                                {s->ar, c->all.ar - s->ar},
                                gp_ps_moved(c, s)};
    double sc[GP_PAIRSPLIT_TERMS];
    work += 4;
    if (c->score(c->user, &sides, o->score, sc) && gp_ps_rest_connected(c, set)) {
        o->found = 1;
        o->side = set;
        for (int i = 0; i < GP_PAIRSPLIT_TERMS; i++) {
            o->score[i] = sc[i];
        }
        o->perimeter[0] = sides.perimeter[0];
        o->perimeter[1] = sides.perimeter[1];
        work += c->r->n;
    }
    return work;
}

/* The split of `set` scored by the optimizer's objective, term by term, stopping at the first
 * that decides against it (gp_score_cmp's order); kept when it beats the best so far. */
static inline __attribute__((always_inline)) int64_t gp_ps_visit_objective(gp_ps *c, uint64_t set,
                                                                           const gp_ps_sums *s,
                                                                           int64_t work, int homes)
{
    const gp_objective *ob = c->obj;
    const gp_score *lim = &c->best;
    work += 4;
    gp_score sc;
    int cmp = 0;
    double wl_rest = c->all.wl - s->wl;
    if (c->plain && lim->viol == 0) {
        /* The first three terms are 0 here and in the best so far: they tie. */
        sc.viol = 0;
        sc.cap = 0;
        sc.moved = 0;
    } else {
        sc.viol = gp_objective_viol(ob, s->h) + gp_objective_viol(ob, c->all.h - s->h);
        if (sc.viol > lim->viol) {
            return work;
        }
        cmp = sc.viol < lim->viol ? -1 : 0;
        sc.cap = gp_objective_cap(ob, s->wl) + gp_objective_cap(ob, wl_rest);
        cmp = cmp != 0 ? cmp : gp_real_cmp(sc.cap, lim->cap);
        if (cmp > 0) {
            return work;
        }
        sc.moved = homes ? gp_ps_moved(c, s) : 0;
        cmp = cmp != 0 ? cmp : (sc.moved > lim->moved) - (sc.moved < lim->moved);
        if (cmp > 0) {
            return work;
        }
    }
    sc.excess = gp_objective_excess(ob, s->wl) + gp_objective_excess(ob, wl_rest);
    /* Equal terms compare equal without the tolerance's arithmetic (often both are 0). */
    cmp = cmp != 0 || sc.excess == lim->excess ? cmp : gp_real_cmp(sc.excess, lim->excess);
    if (cmp > 0) {
        return work;
    }
    double per_set = s->q + s->cutb;
    double per_rest = c->all.q - s->q + s->cutb;
    sc.cost = s->cut + gp_objective_shape(ob, per_set, s->ar) +
              gp_objective_shape(ob, per_rest, c->all.ar - s->ar);
    cmp = cmp != 0 ? cmp : gp_real_cmp(sc.cost, lim->cost);
    if (cmp >= 0 || !gp_ps_rest_connected(c, set)) {
        return work;
    }
    c->best = sc;
    c->out->found = 1;
    c->out->side = set;
    c->out->perimeter[0] = per_set;
    c->out->perimeter[1] = per_rest;
    return work + c->r->n;
}

/* +1 for an edge leaving the set, -1 for one into it: a load, not a branch, as which it is
 * is as good as random. */
static const double GP_PS_SIGN[2] = {1.0, -1.0};

/* The set's totals `s` with vertex y added, into `t`; without `homes` (no vertex has a
 * previous grid) the three households-by-start sums are neither read nor written. */
static inline __attribute__((always_inline)) void gp_ps_add(const gp_pairsplit_region *r,
                                                            uint64_t set, const gp_ps_sums *s,
                                                            int y, gp_ps_sums *t, int homes)
{
    double cut = s->cut;
    double cutb = s->cutb;
    for (int32_t e = r->xadj[y]; e < r->xadj[y + 1]; e++) {
        /* An edge into the set stops being cut; an edge out of it starts. */
        double sign = GP_PS_SIGN[(set >> r->to[e]) & 1];
        cut += sign * r->cost[e];
        cutb += sign * r->border[e];
    }
    t->cut = cut;
    t->cutb = cutb;
    t->h = s->h + r->hh[y];
    t->wl = s->wl + r->wl[y];
    t->q = s->q + r->open[y];
    t->ar = s->ar + r->area[y];
    if (homes) {
        t->sa = s->sa + r->home_a[y];
        t->sb = s->sb + r->home_b[y];
        t->sk = s->sk + r->home_any[y];
    }
}

/* How a run scores its splits: by a callback, or by the objective in line, with the
 * households-by-start sums kept (some vertex has a previous grid) or not (none has). */
typedef enum { GP_PS_CALLBACK, GP_PS_OBJECTIVE, GP_PS_OBJECTIVE_NO_HOMES } gp_ps_mode;

static int64_t gp_ps_grow_objective(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                    const gp_ps_sums *s, int64_t work);
static int64_t gp_ps_grow_objective_no_homes(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                             const gp_ps_sums *s, int64_t work);
static int64_t gp_ps_grow_callback(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                   const gp_ps_sums *s, int64_t work);

/*
 * Every connected set that holds `set` and grows from its frontier `nbr` without the banned
 * vertices: the lowest frontier vertex is taken (and the sets holding it enumerated), then
 * banned, in a loop, until the frontier is empty or the work reaches the cap. A set within
 * the household range is scored as `mode` says (a constant in each of the three functions
 * below, so that its scoring and sums are compiled into the loop). The work so far comes in
 * `work` and goes out as the result, in a register rather than through memory at every step.
 */
static inline __attribute__((always_inline)) int64_t gp_ps_grow_with(gp_ps *c, uint64_t set,
                                                                     uint64_t banned, uint64_t nbr,
                                                                     const gp_ps_sums *s,
                                                                     int64_t work, gp_ps_mode mode)
{
    const gp_pairsplit_region *r = c->r;
    int homes = mode != GP_PS_OBJECTIVE_NO_HOMES;
    for (;;) {
        uint64_t front = nbr & ~banned;
        if (front == 0) {
            return work;
        }
        if (work >= c->cap) {
            c->complete = 0;
            return work;
        }
        int y = __builtin_ctzll(front);
        uint64_t bit = (uint64_t)1 << y;
        if (s->h + r->hh[y] <= c->hi) {
            gp_ps_sums t;
            gp_ps_add(r, set, s, y, &t, homes);
            work += 1 + (r->xadj[y + 1] - r->xadj[y]);
            uint64_t grown = set | bit;
            uint64_t next = (nbr | r->adj[y]) & ~grown;
            int scored = t.h >= c->lo && grown != c->full;
            switch (mode) {
            case GP_PS_OBJECTIVE:
                work = scored ? gp_ps_visit_objective(c, grown, &t, work, 1) : work;
                work = gp_ps_grow_objective(c, grown, banned, next, &t, work);
                break;
            case GP_PS_OBJECTIVE_NO_HOMES:
                work = scored ? gp_ps_visit_objective(c, grown, &t, work, 0) : work;
                work = gp_ps_grow_objective_no_homes(c, grown, banned, next, &t, work);
                break;
            case GP_PS_CALLBACK:
                work = scored ? gp_ps_visit(c, grown, &t, work) : work;
                work = gp_ps_grow_callback(c, grown, banned, next, &t, work);
                break;
            }
        }
        work += 1;
        banned |= bit;
    }
}

static int64_t gp_ps_grow_objective(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                    const gp_ps_sums *s, int64_t work)
{
    return gp_ps_grow_with(c, set, banned, nbr, s, work, GP_PS_OBJECTIVE);
}

static int64_t gp_ps_grow_objective_no_homes(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                             const gp_ps_sums *s, int64_t work)
{
    return gp_ps_grow_with(c, set, banned, nbr, s, work, GP_PS_OBJECTIVE_NO_HOMES);
}

static int64_t gp_ps_grow_callback(gp_ps *c, uint64_t set, uint64_t banned, uint64_t nbr,
                                   const gp_ps_sums *s, int64_t work)
{
    return gp_ps_grow_with(c, set, banned, nbr, s, work, GP_PS_CALLBACK);
}

/*
 * Whether every split the run scores has 0 households out of bounds, no workload over a cap
 * and none moved, and the bound has 0 cap and moved: no cap; no vertex with a previous grid
 * (`homes` 0); and both sides' households within [min, max] whenever the scored side's is in
 * [lo, hi] (c->all holds the region's totals). Then, once the best so far has no bound
 * violation either, those terms tie and are skipped (the best found keeps them 0, so this
 * stays true).
 */
static int gp_ps_plain(const gp_ps *c, int homes)
{
    const gp_objective *ob = c->obj;
    int64_t all = c->all.h;
    return !homes && ob->cap <= 0 && c->best.cap == 0 && c->best.moved == 0 && c->lo >= ob->min &&
           c->hi <= ob->max && all - c->hi >= ob->min && all - c->lo <= ob->max;
}

/* gp_pairsplit and gp_pairsplit_by_objective: `c` holds the scorer. */
static void gp_ps_run(gp_ps *c, const double bound[GP_PAIRSPLIT_TERMS])
{
    const gp_pairsplit_region *r = c->r;
    gp_pairsplit_result *out = c->out;
    int64_t lo = c->lo;
    int64_t hi = c->hi;
    out->found = 0;
    out->complete = 1;
    out->side = 0;
    for (int i = 0; i < GP_PAIRSPLIT_TERMS; i++) {
        out->score[i] = bound[i];
    }
    out->perimeter[0] = 0;
    out->perimeter[1] = 0;
    out->work = 0;
    if (r->n < 2 || r->n > GP_PAIRSPLIT_MAX || lo > hi) {
        return;
    }
    for (int32_t y = 0; y < r->n; y++) {
        c->full |= (uint64_t)1 << y;
        c->all.h += r->hh[y];
        c->all.wl += r->wl[y];
        c->all.q += r->open[y];
        c->all.ar += r->area[y];
        c->all.sa += r->home_a[y];
        c->all.sb += r->home_b[y];
        c->all.sk += r->home_any[y];
    }
    /* Some vertex has households with a previous grid (households are >= 0, so their sums are
     * 0 exactly when every vertex's are). */
    int homes = c->all.sa != 0 || c->all.sb != 0 || c->all.sk != 0;
    c->plain = c->obj != NULL && gp_ps_plain(c, homes);
    gp_ps_sums none = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    gp_ps_sums first;
    gp_ps_add(r, 0, &none, 0, &first, 1);
    int64_t work = 0;
    if (first.h >= lo && first.h <= hi) {
        if (c->obj != NULL) {
            work = gp_ps_visit_objective(c, 1, &first, work, homes);
        } else {
            work = gp_ps_visit(c, 1, &first, work);
        }
    }
    uint64_t nbr = r->adj[0] & ~(uint64_t)1;
    if (first.h <= hi) {
        if (c->obj == NULL) {
            work = gp_ps_grow_callback(c, 1, 0, nbr, &first, work);
        } else if (homes) {
            work = gp_ps_grow_objective(c, 1, 0, nbr, &first, work);
        } else {
            work = gp_ps_grow_objective_no_homes(c, 1, 0, nbr, &first, work);
        }
    }
    out->work = (double)work;
    out->complete = c->complete;
    if (c->obj != NULL && out->found) {
        gp_score_put(c->best, out->score);
    }
}

/* The cap in whole work units: every charge is a whole number, so a count reaches the cap
 * exactly when it reaches its ceiling; none (never reached) when it is infinite or NaN. */
static int64_t gp_ps_cap_units(double cap)
{
    if (!(cap < 9e18)) {
        return INT64_MAX;
    }
    return cap <= 0 ? 0 : (int64_t)ceil(cap);
}

void gp_pairsplit(const gp_pairsplit_region *r, int64_t lo, int64_t hi, double cap,
                  gp_pairsplit_score_fn score, void *user, const double bound[GP_PAIRSPLIT_TERMS],
                  gp_pairsplit_result *out)
{
    gp_ps c = {.r = r, .lo = lo, .hi = hi, .cap = gp_ps_cap_units(cap), .complete = 1, .out = out};
    c.score = score;
    c.user = user;
    gp_ps_run(&c, bound);
}

void gp_pairsplit_by_objective(const gp_pairsplit_region *r, int64_t lo, int64_t hi, double cap,
                               const gp_objective *obj, const double bound[GP_PAIRSPLIT_TERMS],
                               gp_pairsplit_result *out)
{
    gp_ps c = {.r = r, .lo = lo, .hi = hi, .cap = gp_ps_cap_units(cap), .complete = 1, .out = out};
    c.obj = obj;
    c.best = gp_score_get(bound);
    gp_ps_run(&c, bound);
}
