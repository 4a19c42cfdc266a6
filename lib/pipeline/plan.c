/* SPDX-License-Identifier: MIT */
/** @file plan.c gp_plan: construction, merging of per-community plans, and public accessors. */

#include "plan.h"

#include "core/context.h"
#include "core/memory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gp_status gp_plan_new(gp_context *ctx, gp_plan **out)
{
    *out = gp_calloc(1, sizeof **out);
    if (*out == NULL) {
        return gp_error_nomem(ctx, "a plan");
    }
    return GP_OK;
}

void gp_plan_shape_clear(gp_plan_shape *shape)
{
    if (!shape->packed) {
        gp_free(shape->wkb);
        gp_free(shape->wkb_work);
    }
    memset(shape, 0, sizeof *shape);
}


static void problem_clear(gp_problem_record *p)
{
    gp_free(p->grid_code);
    gp_free(p->blocks);
    gp_free(p->features);
    gp_free(p->message);
}

void gp_plan_free(gp_plan *plan)
{
    if (plan == NULL) {
        return;
    }
    for (int32_t i = 0; i < plan->n_communities; i++) {
        gp_plan_community *c = &plan->communities[i];
        gp_free(c->id);
        gp_plan_shape_clear(&c->shape);
        for (int32_t k = 0; k < c->adjusted.retired; k++) {
            gp_free(c->adjusted.retired_code[k]);
        }
        gp_free(c->adjusted.retired_code);
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        gp_free(plan->grids[i].code);
        gp_free(plan->grids[i].worker);
        gp_plan_shape_clear(&plan->grids[i].shape);
    }
    for (int32_t i = 0; i < plan->n_blocks; i++) {
        gp_plan_shape_clear(&plan->blocks[i].shape);
    }
    for (int32_t i = 0; i < plan->n_streets; i++) {
        gp_plan_shape_clear(&plan->streets[i]);
    }
    gp_free(plan->communities);
    gp_free(plan->grids);
    gp_free(plan->blocks);
    gp_free(plan->streets);
    for (int32_t i = 0; i < plan->n_workers; i++) {
        gp_free(plan->workers[i].id);
        gp_free(plan->workers[i].grid_codes);
        gp_plan_shape_clear(&plan->workers[i].shape);
    }
    gp_free(plan->workers);
    gp_free(plan->hh);
    for (int32_t i = 0; i < plan->n_problems; i++) {
        problem_clear(&plan->problems[i]);
    }
    gp_free(plan->problems);
    gp_free(plan->crs_wkt);
    gp_free(plan->work_crs);
    gp_free(plan->check_grids);
    gp_free(plan->previous);
    gp_inputs_free(plan->inputs);
    for (int32_t i = 0; i < plan->n_slabs; i++) {
        gp_free(plan->slabs[i]);
    }
    gp_free(plan->slabs);
    gp_free(plan);
}

/* Make room for `need` items of `size` bytes in *array (capacity *cap, doubling from 16). */
static gp_status reserve(gp_context *ctx, void **array, int32_t *cap, int64_t need, size_t size,
                         const char *what)
{
    if (need <= *cap) {
        return GP_OK;
    }
    int64_t cap2 = *cap ? *cap : 16;
    while (cap2 < need) {
        cap2 *= 2;
    }
    if (cap2 > INT32_MAX) {
        return gp_error(ctx, GP_ERR_LIMIT, "plan too large: %s", what);
    }
    void *p = gp_reallocarray(*array, (size_t)cap2, size);
    if (p == NULL) {
        return gp_error_nomem(ctx, what);
    }
    *array = p;
    *cap = (int32_t)cap2;
    return GP_OK;
}

/* Grow *array (of `size`-byte items, *n used of *cap) by one zeroed item; NULL on failure. */
static void *grow(gp_context *ctx, void **array, int32_t *n, int32_t *cap, size_t size,
                  const char *what)
{
    if (reserve(ctx, array, cap, (int64_t)*n + 1, size, what) != GP_OK) {
        return NULL;
    }
    char *item = (char *)*array + (size_t)*n * size;
    memset(item, 0, size);
    (*n)++;
    return item;
}

/* Room for `need` household features (64-bit counts: a city may have millions). */
static gp_status reserve_households(gp_context *ctx, gp_plan *plan, int64_t need)
{
    if (need <= plan->cap_hh) {
        return GP_OK;
    }
    int64_t cap = plan->cap_hh ? plan->cap_hh : 256;
    while (cap < need) {
        cap *= 2;
    }
    gp_plan_household *p = gp_reallocarray(plan->hh, (size_t)cap, sizeof *p);
    if (p == NULL) {
        return gp_error_nomem(ctx, "the household features' grids");
    }
    plan->hh = p;
    plan->cap_hh = cap;
    return GP_OK;
}

gp_status gp_plan_add_household(gp_context *ctx, gp_plan *plan, int64_t fid, int32_t grid)
{
    gp_status st = reserve_households(ctx, plan, plan->n_hh + 1);
    if (st == GP_OK) {
        plan->hh[plan->n_hh++] = (gp_plan_household){fid, grid};
    }
    return st;
}

static int by_fid(const void *a, const void *b)
{
    const gp_plan_household *x = a, *y = b;
    return x->fid < y->fid ? -1 : x->fid > y->fid ? 1 : (x->grid > y->grid) - (x->grid < y->grid);
}

void gp_plan_sort_households(gp_plan *plan)
{
    if (plan->n_hh > 1) {
        qsort(plan->hh, (size_t)plan->n_hh, sizeof *plan->hh, by_fid);
    }
}

gp_plan_community *gp_plan_add_community(gp_context *ctx, gp_plan *plan)
{
    return grow(ctx, (void **)&plan->communities, &plan->n_communities, &plan->cap_communities,
                sizeof *plan->communities, "a plan community");
}

gp_plan_grid *gp_plan_add_grid(gp_context *ctx, gp_plan *plan)
{
    return grow(ctx, (void **)&plan->grids, &plan->n_grids, &plan->cap_grids, sizeof *plan->grids,
                "a plan grid");
}

gp_plan_block *gp_plan_add_block(gp_context *ctx, gp_plan *plan)
{
    return grow(ctx, (void **)&plan->blocks, &plan->n_blocks, &plan->cap_blocks,
                sizeof *plan->blocks, "a plan block");
}

gp_plan_shape *gp_plan_add_street(gp_context *ctx, gp_plan *plan)
{
    return grow(ctx, (void **)&plan->streets, &plan->n_streets, &plan->cap_streets,
                sizeof *plan->streets, "a plan street");
}

gp_plan_worker *gp_plan_add_worker(gp_context *ctx, gp_plan *plan)
{
    return grow(ctx, (void **)&plan->workers, &plan->n_workers, &plan->cap_workers,
                sizeof *plan->workers, "a plan worker");
}

/* A gp_malloc'd copy of n ids, or NULL for none; *failed set when out of memory. */
static int64_t *copy_ids(const int64_t *ids, int32_t n, int *failed)
{
    if (ids == NULL || n <= 0) {
        return NULL;
    }
    int64_t *out = gp_malloc((size_t)n * sizeof *out);
    if (out == NULL) {
        *failed = 1;
        return NULL;
    }
    memcpy(out, ids, (size_t)n * sizeof *out);
    return out;
}

gp_status gp_plan_add_problem(gp_context *ctx, gp_plan *plan, const gp_problem_where *w,
                              const char *fmt, ...)
{
    char line[GP_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    gp_problem_record p = {.severity = w->severity, .kind = w->kind, .community = w->community};
    int failed = 0;
    p.message = gp_strdup(line);
    p.grid_code = w->grid_code ? gp_strdup(w->grid_code) : NULL;
    p.blocks = copy_ids(w->blocks, w->n_blocks, &failed);
    p.n_blocks = p.blocks ? w->n_blocks : 0;
    p.features = copy_ids(w->features, w->n_features, &failed);
    p.n_features = p.features ? w->n_features : 0;
    gp_problem_record *slot = NULL;
    if (failed || p.message == NULL || (w->grid_code != NULL && p.grid_code == NULL) ||
        (slot = grow(ctx, (void **)&plan->problems, &plan->n_problems, &plan->cap_problems,
                     sizeof *plan->problems, "a problem list")) == NULL) {
        problem_clear(&p);
        return gp_error_nomem(ctx, "a problem record");
    }
    *slot = p;
    return GP_OK;
}

/* Every shape of a plan, in a fixed order: calls f(shape, arg) on each. */
static void each_shape(gp_plan *plan, void (*f)(gp_plan_shape *, void *), void *arg)
{
    for (int32_t i = 0; i < plan->n_communities; i++) {
        f(&plan->communities[i].shape, arg);
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        f(&plan->grids[i].shape, arg);
    }
    for (int32_t i = 0; i < plan->n_blocks; i++) {
        f(&plan->blocks[i].shape, arg);
    }
    for (int32_t i = 0; i < plan->n_streets; i++) {
        f(&plan->streets[i], arg);
    }
    for (int32_t i = 0; i < plan->n_workers; i++) {
        f(&plan->workers[i].shape, arg);
    }
}

typedef struct {
    size_t size;         /* bytes of the loose (unpacked) WKB */
    unsigned char *slab; /* where the next one is copied */
} pack_state;

static void count_loose(gp_plan_shape *s, void *arg)
{
    if (!s->packed) {
        ((pack_state *)arg)->size += s->wkb_size + s->wkb_work_size;
    }
}

static unsigned char *move_into(pack_state *ps, unsigned char *wkb, size_t size)
{
    if (wkb == NULL) {
        return NULL;
    }
    unsigned char *at = ps->slab;
    memcpy(at, wkb, size);
    ps->slab += size;
    gp_free(wkb);
    return at;
}

static void move_loose(gp_plan_shape *s, void *arg)
{
    if (!s->packed) {
        s->wkb = move_into(arg, s->wkb, s->wkb_size);
        s->wkb_work = move_into(arg, s->wkb_work, s->wkb_work_size);
        s->packed = 1;
    }
}

gp_status gp_plan_pack(gp_context *ctx, gp_plan *plan)
{
    pack_state ps = {0, NULL};
    each_shape(plan, count_loose, &ps);
    if (ps.size == 0) {
        return GP_OK;
    }
    unsigned char *slab = gp_malloc(ps.size);
    if (slab == NULL) {
        return gp_error_nomem(ctx, "a plan's slab");
    }
    gp_status st = reserve(ctx, (void **)&plan->slabs, &plan->cap_slabs,
                           (int64_t)plan->n_slabs + 1, sizeof *plan->slabs, "a plan's slabs");
    if (st != GP_OK) {
        gp_free(slab);
        return st;
    }
    plan->slabs[plan->n_slabs++] = slab;
    ps.slab = slab;
    each_shape(plan, move_loose, &ps);
    return GP_OK;
}

gp_status gp_plan_absorb(gp_context *ctx, gp_plan *into, gp_plan *from)
{
    /* Reserve everything first so that a failure leaves both plans consistent. */
    int32_t c0 = into->n_communities, g0 = into->n_grids, b0 = into->n_blocks;
    struct {
        void **array;
        int32_t *n, *cap, add;
        size_t size;
    } parts[] = {
        {(void **)&into->communities, &into->n_communities, &into->cap_communities,
         from->n_communities, sizeof *into->communities},
        {(void **)&into->grids, &into->n_grids, &into->cap_grids, from->n_grids,
         sizeof *into->grids},
        {(void **)&into->blocks, &into->n_blocks, &into->cap_blocks, from->n_blocks,
         sizeof *into->blocks},
        {(void **)&into->problems, &into->n_problems, &into->cap_problems, from->n_problems,
         sizeof *into->problems},
        {(void **)&into->streets, &into->n_streets, &into->cap_streets, from->n_streets,
         sizeof *into->streets},
        {(void **)&into->workers, &into->n_workers, &into->cap_workers, from->n_workers,
         sizeof *into->workers},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        gp_status st = reserve(ctx, parts[i].array, parts[i].cap,
                               (int64_t)*parts[i].n + parts[i].add, parts[i].size, "merging plans");
        if (st != GP_OK) {
            return st;
        }
    }
    gp_status hst = reserve_households(ctx, into, into->n_hh + from->n_hh);
    if (hst != GP_OK) {
        return hst;
    }
    hst = reserve(ctx, (void **)&into->slabs, &into->cap_slabs,
                  (int64_t)into->n_slabs + from->n_slabs, sizeof *into->slabs, "merging plans");
    if (hst != GP_OK) {
        return hst;
    }
    for (int32_t i = 0; i < from->n_slabs; i++) {
        into->slabs[into->n_slabs++] = from->slabs[i];
    }
    from->n_slabs = 0;
    for (int64_t i = 0; i < from->n_hh; i++) {
        gp_plan_household h = from->hh[i];
        h.grid += h.grid >= 0 ? g0 : 0;
        into->hh[into->n_hh++] = h;
    }
    from->n_hh = 0;
    for (int32_t i = 0; i < from->n_communities; i++) {
        gp_plan_community c = from->communities[i];
        c.first_grid += g0;
        c.first_block += b0;
        into->communities[into->n_communities++] = c;
    }
    for (int32_t i = 0; i < from->n_grids; i++) {
        gp_plan_grid g = from->grids[i];
        g.community += c0;
        into->grids[into->n_grids++] = g;
    }
    for (int32_t i = 0; i < from->n_blocks; i++) {
        gp_plan_block b = from->blocks[i];
        b.community += c0;
        b.grid += g0;
        into->blocks[into->n_blocks++] = b;
    }
    for (int32_t i = 0; i < from->n_problems; i++) {
        gp_problem_record p = from->problems[i];
        p.community += p.community >= 0 ? c0 : 0;
        into->problems[into->n_problems++] = p;
    }
    for (int32_t i = 0; i < from->n_workers; i++) {
        gp_plan_worker wk = from->workers[i];
        wk.community += c0;
        into->workers[into->n_workers++] = wk;
    }
    if (from->n_streets > 0) {
        memcpy(into->streets + into->n_streets, from->streets,
               (size_t)from->n_streets * sizeof *from->streets);
    }
    into->n_streets += from->n_streets;
    into->households_read += from->households_read;
    into->households_outside += from->households_outside;
    into->features_outside += from->features_outside;
    into->output_repaired += from->output_repaired;
    for (int s = 0; s < GP_STAGE_COUNT; s++) {
        into->seconds[s] += from->seconds[s];
    }
    /* Ownership moved: leave `from` empty. */
    from->n_communities = from->n_grids = from->n_blocks = from->n_problems = 0;
    from->n_streets = from->n_workers = 0;
    return GP_OK;
}

/* ---- public accessors ------------------------------------------------------------------- */

static const gp_plan_community *community(const gp_plan *plan, int32_t c)
{
    return plan != NULL && c >= 0 && c < plan->n_communities ? &plan->communities[c] : NULL;
}

static const gp_plan_grid *grid(const gp_plan *plan, int32_t g)
{
    return plan != NULL && g >= 0 && g < plan->n_grids ? &plan->grids[g] : NULL;
}

int32_t gp_plan_community_count(const gp_plan *plan)
{
    return plan ? plan->n_communities : 0;
}

const char *gp_plan_community_id(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->id : NULL;
}

int64_t gp_plan_community_households(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->households : 0;
}

int32_t gp_plan_community_grids(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->n_grids : 0;
}

int32_t gp_plan_community_blocks(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->n_blocks : 0;
}

int32_t gp_plan_community_split_blocks(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->split_blocks : 0;
}

double gp_plan_community_workload_ratio(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->workload_ratio : 0.0;
}

int32_t gp_plan_grid_count(const gp_plan *plan)
{
    return plan ? plan->n_grids : 0;
}

const char *gp_plan_grid_code(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->code : NULL;
}

int32_t gp_plan_grid_community(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->community : -1;
}

int64_t gp_plan_grid_households(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->households : 0;
}

double gp_plan_grid_workload(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->workload : 0.0;
}

int32_t gp_plan_grid_blocks(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->blocks : 0;
}

const char *gp_plan_grid_flags(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->flags : NULL;
}

int32_t gp_plan_out_of_bounds(const gp_plan *plan)
{
    int32_t n = 0;
    for (int32_t g = 0; plan != NULL && g < plan->n_grids; g++) {
        n += plan->grids[g].households < plan->min_households ||
             plan->grids[g].households > plan->max_households ||
             (plan->options.max_workload > 0 &&
              plan->grids[g].workload > plan->options.max_workload);
    }
    return n;
}

int64_t gp_plan_features_read(const gp_plan *plan, int32_t layer)
{
    return plan != NULL && layer >= 0 && layer < 4 ? plan->features_read[layer] : -1;
}

int64_t gp_plan_households_read(const gp_plan *plan)
{
    return plan ? plan->households_read : 0;
}

double gp_plan_extra_load_read(const gp_plan *plan)
{
    return plan ? plan->extra_load_read : 0.0;
}

double gp_plan_extra_load_outside(const gp_plan *plan)
{
    return plan ? plan->extra_load_outside : 0.0;
}

int64_t gp_plan_households_outside(const gp_plan *plan)
{
    return plan ? plan->households_outside : 0;
}

static const gp_problem_record *problem(const gp_plan *plan, int32_t i)
{
    return plan != NULL && i >= 0 && i < plan->n_problems ? &plan->problems[i] : NULL;
}

int32_t gp_plan_problem_count(const gp_plan *plan)
{
    return plan ? plan->n_problems : 0;
}

const char *gp_plan_problem(const gp_plan *plan, int32_t i)
{
    const gp_problem_record *p = problem(plan, i);
    return p ? p->message : NULL;
}

int32_t gp_plan_problem_severity(const gp_plan *plan, int32_t i)
{
    const gp_problem_record *p = problem(plan, i);
    return p ? p->severity : -1;
}

int32_t gp_plan_problem_kind(const gp_plan *plan, int32_t i)
{
    const gp_problem_record *p = problem(plan, i);
    return p ? p->kind : 0;
}

int32_t gp_plan_problem_community(const gp_plan *plan, int32_t i)
{
    const gp_problem_record *p = problem(plan, i);
    return p ? p->community : -1;
}

const char *gp_plan_problem_grid_code(const gp_plan *plan, int32_t i)
{
    const gp_problem_record *p = problem(plan, i);
    return p ? p->grid_code : NULL;
}

const int64_t *gp_plan_problem_blocks(const gp_plan *plan, int32_t i, int32_t *count)
{
    const gp_problem_record *p = problem(plan, i);
    if (count != NULL) {
        *count = p ? p->n_blocks : 0;
    }
    return p ? p->blocks : NULL;
}

const int64_t *gp_plan_problem_features(const gp_plan *plan, int32_t i, int32_t *count)
{
    const gp_problem_record *p = problem(plan, i);
    if (count != NULL) {
        *count = p ? p->n_features : 0;
    }
    return p ? p->features : NULL;
}

/* ---- adjust ------------------------------------------------------------------------------ */

const char *gp_plan_grid_change(const gp_plan *plan, int32_t g)
{
    static const char *const name[] = {"", "kept", "changed", "new"};
    const gp_plan_grid *p = grid(plan, g);
    return p == NULL ? NULL : p->change >= 0 && p->change <= 3 ? name[p->change] : "";
}

int32_t gp_plan_is_adjust(const gp_plan *plan)
{
    return plan != NULL && plan->adjust;
}

int64_t gp_plan_community_households_moved(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->adjusted.moved : 0;
}

int64_t gp_plan_households_moved(const gp_plan *plan)
{
    int64_t moved = 0;
    for (int32_t c = 0; plan != NULL && c < plan->n_communities; c++) {
        moved += plan->communities[c].adjusted.moved;
    }
    return moved;
}

static int32_t changes_of(const gp_plan_adjusted *a, int32_t change)
{
    switch (change) {
    case GP_GRID_KEPT:
        return a->kept;
    case GP_GRID_CHANGED:
        return a->changed;
    case GP_GRID_NEW:
        return a->added;
    case GP_GRID_RETIRED:
        return a->retired;
    default:
        return 0;
    }
}

int32_t gp_plan_community_grid_changes(const gp_plan *plan, int32_t c, int32_t change)
{
    if (c >= 0) {
        const gp_plan_community *p = community(plan, c);
        return p ? changes_of(&p->adjusted, change) : 0;
    }
    int32_t n = 0;
    for (int32_t i = 0; plan != NULL && c == -1 && i < plan->n_communities; i++) {
        n += changes_of(&plan->communities[i].adjusted, change);
    }
    return n;
}

int32_t gp_plan_retired_count(const gp_plan *plan)
{
    return gp_plan_community_grid_changes(plan, -1, GP_GRID_RETIRED);
}

const char *gp_plan_retired_code(const gp_plan *plan, int32_t i)
{
    for (int32_t c = 0; plan != NULL && i >= 0 && c < plan->n_communities; c++) {
        const gp_plan_adjusted *a = &plan->communities[c].adjusted;
        if (i < a->retired) {
            return a->retired_code[i];
        }
        i -= a->retired;
    }
    return NULL;
}

double gp_plan_previous_fit(const gp_plan *plan, int32_t c)
{
    double area = 0.0, matched = 0.0;
    for (int32_t i = 0; plan != NULL && plan->adjust && i < plan->n_communities; i++) {
        if (c == -1 || c == i) {
            area += plan->communities[i].adjusted.block_area;
            matched += plan->communities[i].adjusted.matched_area;
        }
    }
    return area > 0 ? matched / area : 1.0;
}

/* ---- staffing and workers ------------------------------------------------------------- */

static const gp_plan_worker *worker(const gp_plan *plan, int32_t w)
{
    return plan != NULL && w >= 0 && w < plan->n_workers ? &plan->workers[w] : NULL;
}

const char *gp_plan_grid_worker(const gp_plan *plan, int32_t g)
{
    const gp_plan_grid *p = grid(plan, g);
    return p ? p->worker : NULL;
}

int32_t gp_plan_has_staffing(const gp_plan *plan)
{
    return plan ? plan->has_staffing : 0;
}

int64_t gp_plan_community_staffing_required(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->staffing_required : 0;
}

int32_t gp_plan_community_staffing_roster(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->staffing_roster : 0;
}

double gp_plan_community_residents(const gp_plan *plan, int32_t c)
{
    const gp_plan_community *p = community(plan, c);
    return p ? p->residents : 0.0;
}

int32_t gp_plan_worker_count(const gp_plan *plan)
{
    return plan ? plan->n_workers : 0;
}

const char *gp_plan_worker_id(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->id : NULL;
}

int32_t gp_plan_worker_community(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->community : -1;
}

int32_t gp_plan_worker_grids(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->grids : 0;
}

const char *gp_plan_worker_grid_codes(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->grid_codes : NULL;
}

int64_t gp_plan_worker_households(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->households : 0;
}

double gp_plan_worker_workload(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->workload : 0.0;
}

int64_t gp_plan_worker_feature(const gp_plan *plan, int32_t w)
{
    const gp_plan_worker *p = worker(plan, w);
    return p ? p->fid : -1;
}
