/* SPDX-License-Identifier: MIT */
/**
 * @file test_pairsplit.c Exact two-way splitting of small regions against brute force.
 *
 * Random connected regions of 2 to 18 vertices; every subset holding vertex 0 is tried by
 * brute force (both sides connected, the first side's households within [lo, hi]) and scored
 * by the same three-tier objective; gp_pairsplit must report the same best score, a side that
 * has it, and the perimeters of both sides. The split memo (splitmemo.h) must give back
 * exactly what a call gave, and only for exactly the same call. gp_pairsplit_by_objective,
 * which scores by the optimizer's objective in line, must find the brute-force optimum of
 * that objective and give exactly what gp_pairsplit gives with a callback scoring alike.
 */

#include "partition/pairsplit.h"
#include "partition/splitmemo.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

enum { N_MAX = 18, T = GP_PAIRSPLIT_TERMS };

typedef struct {
    gp_pairsplit_region r;
    int32_t to[N_MAX * N_MAX];
    double cost[N_MAX * N_MAX];
    double border[N_MAX * N_MAX];
    double c[N_MAX][N_MAX]; /* cut cost between two vertices, 0: not adjacent */
    double b[N_MAX][N_MAX]; /* border length */
} region;

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void region_random(region *x, uint64_t seed, int32_t nmin, int32_t nmax)
{
    memset(x, 0, sizeof *x);
    uint64_t s = seed;
    int32_t n = nmin + (int32_t)(rng(&s) % (uint64_t)(nmax - nmin + 1));
    x->r.n = n;
    for (int32_t v = 1; v < n; v++) {
        int32_t u = (int32_t)(rng(&s) % (uint64_t)v);
        x->c[u][v] = x->c[v][u] = 0.2 + (double)(rng(&s) % 5);
        x->b[u][v] = x->b[v][u] = 10 + (double)(rng(&s) % 90);
    }
    int32_t chords = (int32_t)(rng(&s) % (uint64_t)(n + 1));
    for (int32_t i = 0; i < chords; i++) {
        int32_t u = (int32_t)(rng(&s) % (uint64_t)n);
        int32_t v = (int32_t)(rng(&s) % (uint64_t)n);
        if (u != v) {
            x->c[u][v] = x->c[v][u] = 0.2 + (double)(rng(&s) % 5);
            x->b[u][v] = x->b[v][u] = 10 + (double)(rng(&s) % 90);
        }
    }
    int32_t e = 0;
    for (int32_t v = 0; v < n; v++) {
        x->r.xadj[v] = e;
        for (int32_t u = 0; u < n; u++) {
            if (x->c[v][u] > 0) {
                x->r.adj[v] |= (uint64_t)1 << u;
                x->to[e] = u;
                x->cost[e] = x->c[v][u];
                x->border[e++] = x->b[v][u];
            }
        }
        x->r.hh[v] = rng(&s) % 7 == 0 ? 0 : (int64_t)(rng(&s) % 120);
        x->r.wl[v] = (double)(rng(&s) % 50);
        x->r.open[v] = (double)(rng(&s) % 200);
        x->r.area[v] = 100 + (double)(rng(&s) % 900);
        /* A previous division: a third each started in the first grid, the second, or none
         * (or another grid, which counts as moved whichever side it lands on). */
        uint64_t home = rng(&s) % 4;
        x->r.home_a[v] = home == 0 ? x->r.hh[v] : 0;
        x->r.home_b[v] = home == 1 ? x->r.hh[v] : 0;
        x->r.home_any[v] = home <= 2 ? x->r.hh[v] : 0;
    }
    x->r.xadj[n] = e;
    x->r.to = x->to;
    x->r.cost = x->cost;
    x->r.border = x->border;
}

/* Terms: households of the two sides apart, 0, households moved, workload apart, cut plus a
 * shape-like term. */
static void objective(const gp_pairsplit_sides *sd, double out[T])
{
    out[0] = floor((double)llabs(sd->hh[0] - sd->hh[1]) / 10.0);
    out[1] = 0;
    out[2] = (double)(sd->moved / 50); /* coarse, so the later terms still decide ties */
    out[3] = fabs(sd->wl[0] - sd->wl[1]);
    out[4] = sd->cut + 0.01 * (sd->perimeter[0] * sd->perimeter[0] / (sd->area[0] + 1) +
                               sd->perimeter[1] * sd->perimeter[1] / (sd->area[1] + 1));
}

static int less(const double a[T], const double b[T])
{
    for (int i = 0; i < T; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i];
        }
    }
    return 0;
}

static int score_fn(void *user, const gp_pairsplit_sides *sd, const double bound[T], double out[T])
{
    int *calls = user;
    ++*calls;
    objective(sd, out);
    return less(out, bound);
}

static int connected(const gp_pairsplit_region *r, uint64_t set)
{
    if (set == 0) {
        return 0;
    }
    uint64_t reach = set & (~set + 1);
    for (int changed = 1; changed;) {
        changed = 0;
        for (int32_t v = 0; v < r->n; v++) {
            if ((reach >> v) & 1) {
                uint64_t add = r->adj[v] & set & ~reach;
                changed |= add != 0;
                reach |= add;
            }
        }
    }
    return reach == set;
}

/* The side's and the rest's totals, the cut and the households moved, from scratch. */
static gp_pairsplit_sides totals(const region *x, uint64_t side)
{
    const gp_pairsplit_region *r = &x->r;
    gp_pairsplit_sides sd;
    memset(&sd, 0, sizeof sd);
    double cutb = 0;
    int64_t moved[2] = {0, 0}; /* side labelled a, or b */
    for (int32_t v = 0; v < r->n; v++) {
        int in = (int)((side >> v) & 1);
        int k = in ? 0 : 1;
        sd.hh[k] += r->hh[v];
        sd.wl[k] += r->wl[v];
        sd.perimeter[k] += r->open[v];
        sd.area[k] += r->area[v];
        int64_t left_a = r->home_any[v] - r->home_a[v]; /* moved when it ends in grid a */
        int64_t left_b = r->home_any[v] - r->home_b[v];
        moved[0] += in ? left_a : left_b;
        moved[1] += in ? left_b : left_a;
        for (int32_t u = v + 1; u < r->n; u++) {
            if (x->c[v][u] > 0 && in != (int)((side >> u) & 1)) {
                sd.cut += x->c[v][u];
                cutb += x->b[v][u];
            }
        }
    }
    sd.perimeter[0] += cutb;
    sd.perimeter[1] += cutb;
    sd.moved = moved[0] < moved[1] ? moved[0] : moved[1];
    return sd;
}

/* The brute force's next split after *m (start at 0): both sides connected, the side with
 * vertex 0 holding lo to hi households; its side and totals. 0 when none is left. */
static int next_split(const region *x, int64_t lo, int64_t hi, uint64_t *m, uint64_t *side,
                      gp_pairsplit_sides *sd)
{
    const gp_pairsplit_region *r = &x->r;
    uint64_t full = ((uint64_t)1 << r->n) - 1;
    for (; *m < ((uint64_t)1 << (r->n - 1)); ++*m) {
        *side = (*m << 1) | 1;
        if (*side == full || !connected(r, *side) || !connected(r, full & ~*side)) {
            continue;
        }
        *sd = totals(x, *side);
        if (sd->hh[0] >= lo && sd->hh[0] <= hi) {
            ++*m;
            return 1;
        }
    }
    return 0;
}

Test(pairsplit, matches_brute_force)
{
    int with_split = 0;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        region x;
        region_random(&x, seed, 2, N_MAX);
        const gp_pairsplit_region *r = &x.r;
        int64_t total = 0;
        for (int32_t v = 0; v < r->n; v++) {
            total += r->hh[v];
        }
        int64_t lo = total / 4;
        int64_t hi = total - total / 5;
        double inf[T] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
        double best[T] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
        int any = 0;
        uint64_t full = ((uint64_t)1 << r->n) - 1;
        uint64_t m = 0, side = 0;
        gp_pairsplit_sides sd;
        while (next_split(&x, lo, hi, &m, &side, &sd)) {
            double sc[T];
            objective(&sd, sc);
            if (less(sc, best)) {
                memcpy(best, sc, sizeof best);
            }
            any = 1;
        }
        int calls = 0;
        gp_pairsplit_result res;
        gp_pairsplit(r, lo, hi, 1e12, score_fn, &calls, inf, &res);
        cr_assert(res.complete, "seed %llu: not complete", (unsigned long long)seed);
        cr_assert_eq(res.found, any, "seed %llu (n=%d): found %d, brute force %d",
                     (unsigned long long)seed, r->n, res.found, any);
        if (!any) {
            continue;
        }
        with_split++;
        for (int i = 0; i < T; i++) {
            cr_assert(fabs(res.score[i] - best[i]) <= 1e-9 * fmax(1.0, fabs(best[i])),
                      "seed %llu (n=%d): tier %d is %.12g, brute force %.12g",
                      (unsigned long long)seed, r->n, i, res.score[i], best[i]);
        }
        /* The reported side has that score, and its perimeters are right. */
        cr_assert(res.side & 1);
        cr_assert(connected(r, res.side) && connected(r, full & ~res.side));
        sd = totals(&x, res.side);
        double sc[T];
        objective(&sd, sc);
        cr_assert(fabs(sc[4] - best[4]) <= 1e-9 * fmax(1.0, best[4]));
        cr_assert_eq(sc[2], best[2], "seed %llu: moved term", (unsigned long long)seed);
        cr_assert(fabs(res.perimeter[0] - sd.perimeter[0]) < 1e-9 &&
                  fabs(res.perimeter[1] - sd.perimeter[1]) < 1e-9);
        /* Starting from the best as the bound, nothing beats it (beyond rounding). */
        best[4] -= 1e-9 * fmax(1.0, fabs(best[4]));
        gp_pairsplit(r, lo, hi, 1e12, score_fn, &calls, best, &res);
        cr_assert_not(res.found, "seed %llu: beat the optimum", (unsigned long long)seed);
    }
    cr_assert_gt(with_split, 200);
}

Test(pairsplit, cap_and_bounds)
{
    region x;
    region_random(&x, 77, N_MAX, N_MAX);
    double inf[T] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    gp_pairsplit_result res;
    int calls = 0;
    gp_pairsplit(&x.r, 0, INT64_MAX / 2, 50, score_fn, &calls, inf, &res);
    cr_assert_not(res.complete, "a cap of 50 units cannot see every split of %d vertices", x.r.n);
    cr_assert_lt(res.work, 50 + 4 * N_MAX);
    /* No split can hold a negative number of households; nor can an empty range. */
    gp_pairsplit(&x.r, 5, 4, 1e12, score_fn, &calls, inf, &res);
    cr_assert_not(res.found);
    cr_assert(res.complete);
    /* A single vertex: nothing to split. */
    x.r.n = 1;
    gp_pairsplit(&x.r, 0, INT64_MAX / 2, 1e12, score_fn, &calls, inf, &res);
    cr_assert_not(res.found);
}

/* The optimizer's objective over a region: bounds, cap, band and shape drawn around the
 * region's totals, so that every term decides somewhere. */
static gp_objective objective_random(const region *x, uint64_t seed)
{
    uint64_t s = seed * 7919;
    int64_t h = 0;
    double w = 0;
    double a = 0;
    for (int32_t v = 0; v < x->r.n; v++) {
        h += x->r.hh[v];
        w += x->r.wl[v];
        a += x->r.area[v];
    }
    gp_objective ob;
    ob.min = h / 2 - h / 5 + (int64_t)(rng(&s) % 5);
    ob.max = h / 2 + h / 5 - (int64_t)(rng(&s) % 5);
    ob.cap = rng(&s) % 3 == 0 ? 0 : w / 2 + (double)(rng(&s) % 20);
    ob.lo_w = w / 2 * 0.8;
    ob.hi_w = w / 2 * 1.2;
    ob.shape_weight = rng(&s) % 4 == 0 ? 0 : 0.5 + (double)(rng(&s) % 3);
    ob.shape_scale = 2.0 * sqrt(GP_OBJECTIVE_PI * a / 2);
    return ob;
}

/* The region's households. */
static int64_t households_of(const region *x)
{
    int64_t total = 0;
    for (int32_t v = 0; v < x->r.n; v++) {
        total += x->r.hh[v];
    }
    return total;
}

/* The objective's terms of a split, both sides as grids (pairsplit.h's sides). */
static gp_score objective_terms(const gp_objective *ob, const gp_pairsplit_sides *sd)
{
    gp_score sc;
    sc.viol = gp_objective_viol(ob, sd->hh[0]) + gp_objective_viol(ob, sd->hh[1]);
    sc.cap = gp_objective_cap(ob, sd->wl[0]) + gp_objective_cap(ob, sd->wl[1]);
    sc.moved = sd->moved;
    sc.excess = gp_objective_excess(ob, sd->wl[0]) + gp_objective_excess(ob, sd->wl[1]);
    sc.cost = sd->cut + gp_objective_shape(ob, sd->perimeter[0], sd->area[0]) +
              gp_objective_shape(ob, sd->perimeter[1], sd->area[1]);
    return sc;
}

/* Lexicographic, real terms with gp_real_cmp's tolerance: as the optimizer compares. */
static int score_cmp(gp_score a, gp_score b)
{
    if (a.viol != b.viol) {
        return a.viol < b.viol ? -1 : 1;
    }
    int c = gp_real_cmp(a.cap, b.cap);
    if (c == 0 && a.moved != b.moved) {
        c = a.moved < b.moved ? -1 : 1;
    }
    c = c != 0 ? c : gp_real_cmp(a.excess, b.excess);
    return c != 0 ? c : gp_real_cmp(a.cost, b.cost);
}

/* A callback scoring by the objective: gp_pairsplit with it is the reference. */
static int objective_fn(void *user, const gp_pairsplit_sides *sd, const double bound[T],
                        double out[T])
{
    gp_score sc = objective_terms(user, sd);
    if (score_cmp(sc, gp_score_get(bound)) >= 0) {
        return 0;
    }
    gp_score_put(sc, out);
    return 1;
}

static void assert_same_result(const gp_pairsplit_result *a, const gp_pairsplit_result *b,
                               uint64_t seed, double cap)
{
    cr_assert(a->found == b->found && a->complete == b->complete && a->side == b->side &&
                  a->work == b->work,
              "seed %llu cap %g: found %d/%d complete %d/%d side %llx/%llx work %g/%g",
              (unsigned long long)seed, cap, a->found, b->found, a->complete, b->complete,
              (unsigned long long)a->side, (unsigned long long)b->side, a->work, b->work);
    cr_assert(memcmp(a->score, b->score, sizeof a->score) == 0 &&
                  memcmp(a->perimeter, b->perimeter, sizeof a->perimeter) == 0,
              "seed %llu cap %g: scores or perimeters differ", (unsigned long long)seed, cap);
}

Test(pairsplit, objective_matches_brute_force)
{
    int with_split = 0;
    int viol_decided = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        region x;
        region_random(&x, seed, 2, 16);
        const gp_pairsplit_region *r = &x.r;
        gp_objective ob = objective_random(&x, seed);
        int64_t total = 0;
        for (int32_t v = 0; v < r->n; v++) {
            total += r->hh[v];
        }
        int64_t lo = total / 5;
        int64_t hi = total - total / 5;
        gp_score none = {INT64_MAX, INFINITY, INT64_MAX, INFINITY, INFINITY};
        gp_score best = none;
        uint64_t full = ((uint64_t)1 << r->n) - 1;
        uint64_t m = 0, side = 0;
        gp_pairsplit_sides sd;
        while (next_split(&x, lo, hi, &m, &side, &sd)) {
            gp_score sc = objective_terms(&ob, &sd);
            if (score_cmp(sc, best) < 0) {
                best = sc;
            }
        }
        double bound[T];
        gp_score_put(none, bound);
        gp_pairsplit_result res;
        gp_pairsplit_by_objective(r, lo, hi, 1e12, &ob, bound, &res);
        int any = best.viol != INT64_MAX;
        cr_assert(res.complete);
        cr_assert_eq(res.found, any, "seed %llu (n=%d): found %d, brute force %d",
                     (unsigned long long)seed, r->n, res.found, any);
        if (!any) {
            continue;
        }
        with_split++;
        viol_decided += best.viol > 0;
        gp_score got = gp_score_get(res.score);
        cr_assert_eq(score_cmp(got, best), 0, "seed %llu (n=%d): not the optimum",
                     (unsigned long long)seed, r->n);
        /* The side reported has the score reported, and its perimeters. */
        sd = totals(&x, res.side);
        cr_assert(connected(r, res.side) && connected(r, full & ~res.side) && (res.side & 1));
        cr_assert_eq(score_cmp(objective_terms(&ob, &sd), got), 0, "seed %llu",
                     (unsigned long long)seed);
        cr_assert(fabs(res.perimeter[0] - sd.perimeter[0]) < 1e-9 &&
                  fabs(res.perimeter[1] - sd.perimeter[1]) < 1e-9);
    }
    cr_assert_gt(with_split, 150);
    cr_assert_gt(viol_decided, 5, "the bounds never decided: the test would not see them");
}

Test(pairsplit, objective_in_line_is_the_callback_exactly)
{
    double caps[] = {1e12, 20, 60, 200, 1000};
    for (uint64_t seed = 1; seed <= 200; seed++) {
        region x;
        region_random(&x, seed + 1000, 2, N_MAX);
        gp_objective ob = objective_random(&x, seed);
        int64_t total = households_of(&x);
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            gp_score start = {INT64_MAX, INFINITY, INT64_MAX, INFINITY, INFINITY};
            if (seed % 3 == 0) {
                /* A bound to beat, as the optimizer gives the pair's present split. */
                start = (gp_score){(int64_t)(seed % 7), 0, (int64_t)(seed % 11) * 10, 1.5,
                                   50.0 * (double)(seed % 5)};
            }
            double bound[T];
            gp_score_put(start, bound);
            gp_pairsplit_result in_line, called;
            gp_pairsplit_by_objective(&x.r, total / 6, total - total / 6, caps[k], &ob, bound,
                                      &in_line);
            gp_pairsplit(&x.r, total / 6, total - total / 6, caps[k], objective_fn, &ob, bound,
                         &called);
            assert_same_result(&in_line, &called, seed, caps[k]);
        }
    }
}

/*
 * As the optimizer calls it on a fresh division: no vertex with a previous grid, no workload
 * cap, and the household range the bounds leave for the first side (so that both sides are
 * within them). The pair splitter then skips the terms that tie; its result must still be
 * exactly the callback's, from no bound, from the pair's present split out of bounds, and
 * from one within them; and so with a cap or a wider range, where no term may be skipped.
 */
Test(pairsplit, objective_in_line_is_the_callback_exactly_on_a_fresh_division)
{
    double caps[] = {1e12, 20, 60, 200, 1000};
    int found = 0;
    int runs = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        region x;
        region_random(&x, seed + 5000, 2, N_MAX);
        int64_t total = 0;
        for (int32_t y = 0; y < x.r.n; y++) {
            x.r.home_a[y] = x.r.home_b[y] = x.r.home_any[y] = 0;
            total += x.r.hh[y];
        }
        /* Also a workload cap, or a range wider than the bounds leave: then no term ties. */
        gp_objective ob = objective_random(&x, seed);
        ob.cap = seed % 4 == 1 ? ob.cap : 0;
        int64_t lo = total - ob.max > ob.min ? total - ob.max : ob.min;
        int64_t hi = total - ob.min < ob.max ? total - ob.min : ob.max;
        if (seed % 4 == 2) {
            lo = total / 6;
            hi = total - total / 6;
        }
        if (lo > hi) {
            continue;
        }
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            gp_score start = {INT64_MAX, INFINITY, INT64_MAX, INFINITY, INFINITY};
            if (seed % 3 == 1) {
                start = (gp_score){(int64_t)(seed % 7) + 1, 0, 0, 1.5, 50.0 * (double)(seed % 5)};
            } else if (seed % 3 == 2) {
                start = (gp_score){0, 0, 0, (double)(seed % 4), 40.0 * (double)(seed % 6)};
            }
            double bound[T];
            gp_score_put(start, bound);
            gp_pairsplit_result in_line, called;
            gp_pairsplit_by_objective(&x.r, lo, hi, caps[k], &ob, bound, &in_line);
            gp_pairsplit(&x.r, lo, hi, caps[k], objective_fn, &ob, bound, &called);
            assert_same_result(&in_line, &called, seed, caps[k]);
            found += in_line.found;
            runs++;
        }
    }
    cr_assert_gt(found, runs / 4, "%d of %d runs found a split: too few to compare", found, runs);
}

/* A region's memo key: its vertices (graph indices: here base + position; in a search, the
 * index names the vertex's data) and where each started. */
static void key_of(const region *x, int32_t base, uint64_t *key)
{
    for (int32_t y = 0; y < x->r.n; y++) {
        key[y] = gp_splitmemo_vertex(base + y, x->r.home_a[y] != 0, x->r.home_b[y] != 0,
                                     x->r.home_any[y] != 0);
    }
}

Test(splitmemo, gives_back_exactly_what_the_call_gave)
{
    gp_splitmemo *m = gp_splitmemo_new();
    cr_assert_not_null(m);
    double scope[GP_SPLITMEMO_SCOPE] = {0, 18, 1, 2, 3};
    gp_splitmemo_scope(m, scope);
    double inf[T] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    int calls = 0;
    int found = 0;
    int cut_short = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        region x;
        region_random(&x, seed, 2, N_MAX);
        uint64_t key[N_MAX];
        key_of(&x, (int32_t)seed * N_MAX, key);
        int64_t lo = 60;
        int64_t hi = 400;
        double cap = seed % 3 == 0 ? 200 : 1e12; /* some calls are cut short */
        gp_pairsplit_result first;
        gp_pairsplit_result again;
        gp_pairsplit_result kept;
        memset(&first, 0, sizeof first);
        memset(&again, 0, sizeof again);
        memset(&kept, 0, sizeof kept);
        cr_assert_not(gp_splitmemo_get(m, key, x.r.n, lo, hi, inf, &kept));
        gp_pairsplit(&x.r, lo, hi, cap, score_fn, &calls, inf, &first);
        gp_splitmemo_put(m, key, x.r.n, lo, hi, inf, &first);
        /* The premise: the call is a pure function of its arguments. */
        gp_pairsplit(&x.r, lo, hi, cap, score_fn, &calls, inf, &again);
        cr_assert(memcmp(&first, &again, sizeof first) == 0, "seed %llu: not repeatable",
                  (unsigned long long)seed);
        cr_assert(gp_splitmemo_get(m, key, x.r.n, lo, hi, inf, &kept), "seed %llu: forgotten",
                  (unsigned long long)seed);
        cr_assert(memcmp(&first, &kept, sizeof first) == 0, "seed %llu: changed in the memo",
                  (unsigned long long)seed);
        found += first.found;
        cut_short += !first.complete;
    }
    cr_assert_gt(found, 100);
    cr_assert_gt(cut_short, 10);
    cr_assert_eq(gp_splitmemo_hits(m), 300);
    gp_splitmemo_free(m);
}

Test(splitmemo, any_other_call_misses)
{
    gp_splitmemo *m = gp_splitmemo_new();
    double scope[GP_SPLITMEMO_SCOPE] = {0, 18, 1, 2, 3};
    gp_splitmemo_scope(m, scope);
    region x;
    region_random(&x, 5, N_MAX, N_MAX);
    uint64_t key[N_MAX];
    key_of(&x, 0, key);
    int32_t n = x.r.n;
    double bound[T] = {0, 0, 7, 1.5, 20};
    gp_pairsplit_result res = {0};
    gp_pairsplit_result out;
    int calls = 0;
    gp_pairsplit(&x.r, 10, 500, 1e12, score_fn, &calls, bound, &res);
    gp_splitmemo_put(m, key, n, 10, 500, bound, &res);
    cr_assert(gp_splitmemo_get(m, key, n, 10, 500, bound, &out));
    /* Another range, bound, length, vertex order, or start of one vertex: all other calls. */
    cr_assert_not(gp_splitmemo_get(m, key, n, 11, 500, bound, &out));
    cr_assert_not(gp_splitmemo_get(m, key, n, 10, 499, bound, &out));
    cr_assert_not(gp_splitmemo_get(m, key, n - 1, 10, 500, bound, &out));
    for (int i = 0; i < T; i++) {
        double other[T];
        memcpy(other, bound, sizeof other);
        other[i] = nextafter(other[i], INFINITY);
        cr_assert_not(gp_splitmemo_get(m, key, n, 10, 500, other, &out), "bound term %d", i);
    }
    uint64_t swapped[N_MAX];
    memcpy(swapped, key, sizeof swapped);
    swapped[2] = key[3];
    swapped[3] = key[2];
    cr_assert_not(gp_splitmemo_get(m, swapped, n, 10, 500, bound, &out));
    for (int bit = 0; bit < 3; bit++) {
        uint64_t moved[N_MAX];
        memcpy(moved, key, sizeof moved);
        moved[n - 1] ^= (uint64_t)1 << bit;
        cr_assert_not(gp_splitmemo_get(m, moved, n, 10, 500, bound, &out), "start bit %d", bit);
    }
    /* The same scope keeps what the memo holds; another forgets it. */
    gp_splitmemo_scope(m, scope);
    cr_assert(gp_splitmemo_get(m, key, n, 10, 500, bound, &out));
    scope[3] = 2.5;
    gp_splitmemo_scope(m, scope);
    cr_assert_not(gp_splitmemo_get(m, key, n, 10, 500, bound, &out));
    gp_splitmemo_free(m);
}

Test(splitmemo, bounded_when_full)
{
    /* Far more calls than the memo holds: it forgets in whole generations, and still gives
     * back the most recent call exactly. */
    gp_splitmemo *m = gp_splitmemo_new();
    double scope[GP_SPLITMEMO_SCOPE] = {0, 64, 1, 2, 3};
    gp_splitmemo_scope(m, scope);
    double bound[T] = {0, 0, 0, 0, 0};
    uint64_t key[64];
    gp_pairsplit_result res = {0};
    gp_pairsplit_result out;
    for (int32_t call = 0; call < 20000; call++) {
        for (int32_t y = 0; y < 64; y++) {
            key[y] = gp_splitmemo_vertex(call * 64 + y, 0, 0, y & 1);
        }
        res.work = call;
        gp_splitmemo_put(m, key, 64, 0, 1, bound, &res);
        cr_assert(gp_splitmemo_get(m, key, 64, 0, 1, bound, &out));
        cr_assert_eq(out.work, call);
    }
    for (int32_t y = 0; y < 64; y++) {
        key[y] = gp_splitmemo_vertex(y, 0, 0, y & 1);
    }
    cr_assert_not(gp_splitmemo_get(m, key, 64, 0, 1, bound, &out), "the first call is kept");
    gp_splitmemo_free(m);
}

/* A bound from `b` with term k set to `v` and, when `rest` is not 0, every later term moved
 * by `rest` (so that only term k can decide between the two). */
static void bound_with(const double b[T], int k, double v, double rest, double out[T])
{
    memcpy(out, b, sizeof *out * T);
    out[k] = v;
    for (int i = k + 1; i < T; i++) {
        out[i] += rest;
    }
}

/*
 * A search that found nothing answers the same region and range under any bound that every
 * split beating it would also beat (splitmemo.h): the answer must be exactly what the pair
 * splitter gives under that bound, to the work. Bounds tighter at their first differing term
 * (a count by one, cap or excess by far more than the tolerance, cost by any amount, within
 * the tolerance too) are answered; looser ones, ones tighter only within the tolerance at cap
 * or excess, and any bound after a search that found a split are not.
 */
Test(splitmemo, a_search_that_found_nothing_answers_tighter_bounds)
{
    gp_splitmemo *m = gp_splitmemo_new();
    cr_assert_not_null(m);
    double scope[GP_SPLITMEMO_SCOPE] = {0, 18, 1, 2, 3};
    gp_splitmemo_scope(m, scope);
    double caps[] = {1e12, 150};
    double inf[T];
    gp_score_put((gp_score){INT64_MAX, INFINITY, INT64_MAX, INFINITY, INFINITY}, inf);
    int answered = 0;
    int cut_short = 0;
    int missed = 0;
    for (uint64_t seed = 1; seed <= 150; seed++) {
        region x;
        region_random(&x, seed + 9000, 4, N_MAX);
        gp_objective ob = objective_random(&x, seed);
        int64_t total = households_of(&x);
        int64_t lo = total / 6;
        int64_t hi = total - total / 6;
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            uint64_t key[N_MAX];
            key_of(&x, (int32_t)(seed * 2 + c) * N_MAX, key);
            gp_pairsplit_result best;
            gp_pairsplit_by_objective(&x.r, lo, hi, caps[c], &ob, inf, &best);
            if (!best.found) {
                continue;
            }
            /* A search that found a split answers no other bound. */
            gp_splitmemo_put(m, key, x.r.n, lo, hi, inf, &best);
            gp_pairsplit_result out;
            cr_assert_not(gp_splitmemo_get(m, key, x.r.n, lo, hi, best.score, &out),
                          "seed %llu: a search that found a split answered another bound",
                          (unsigned long long)seed);
            /* Under its own best, the search finds nothing. */
            double b1[T];
            memcpy(b1, best.score, sizeof b1);
            gp_pairsplit_result none;
            gp_pairsplit_by_objective(&x.r, lo, hi, caps[c], &ob, b1, &none);
            if (none.found) {
                continue;
            }
            gp_splitmemo_put(m, key, x.r.n, lo, hi, b1, &none);
            double tighter[6][T];
            int nt = 0;
            double tol = 1e-9 * fmax(1.0, fabs(b1[4]));
            bound_with(b1, 4, b1[4] - 0.25 * tol, 0, tighter[nt++]);
            bound_with(b1, 4, b1[4] - 1 - 0.3 * fabs(b1[4]), 0, tighter[nt++]);
            bound_with(b1, 3, b1[3] - 1 - fabs(b1[3]), 1000, tighter[nt++]);
            bound_with(b1, 1, b1[1] - 1 - fabs(b1[1]), 1000, tighter[nt++]);
            bound_with(b1, 2, b1[2] - 1, 1000, tighter[nt++]);
            bound_with(b1, 0, b1[0] - 1, 1000, tighter[nt++]);
            for (int i = 0; i < nt; i++) {
                gp_pairsplit_result direct;
                gp_pairsplit_by_objective(&x.r, lo, hi, caps[c], &ob, tighter[i], &direct);
                cr_assert(gp_splitmemo_get(m, key, x.r.n, lo, hi, tighter[i], &out),
                          "seed %llu bound %d: not answered", (unsigned long long)seed, i);
                assert_same_result(&out, &direct, seed, caps[c]);
                answered++;
                cut_short += !direct.complete;
            }
            double looser[6][T];
            int nl = 0;
            bound_with(b1, 4, b1[4] + 1, 0, looser[nl++]);
            bound_with(b1, 3, b1[3] + 1, 0, looser[nl++]);
            bound_with(b1, 3, b1[3] - 2e-9 * fmax(1.0, fabs(b1[3])), -1000, looser[nl++]);
            bound_with(b1, 1, b1[1] - 2e-9 * fmax(1.0, fabs(b1[1])), -1000, looser[nl++]);
            bound_with(b1, 0, b1[0] + 1, -1000, looser[nl++]);
            bound_with(b1, 2, b1[2] + 1, -1000, looser[nl++]);
            for (int i = 0; i < nl; i++) {
                cr_assert_not(gp_splitmemo_get(m, key, x.r.n, lo, hi, looser[i], &out),
                              "seed %llu bound %d: answered", (unsigned long long)seed, i);
                missed++;
            }
        }
    }
    cr_assert_gt(answered, 600, "%d answered: too few to check the rule", answered);
    cr_assert_gt(cut_short, 50, "%d cut short: the cap never decided", cut_short);
    cr_assert_eq(gp_splitmemo_derived(m), answered);
    cr_assert_gt(missed, 600);
    gp_splitmemo_free(m);
}
