/* SPDX-License-Identifier: MIT */
/** @file roster.c Staffing one community: the workers its rule requires, and the grids of each
 * worker of the roster (一格一员 where there are enough, else contiguous sets of even load). */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "roster.h"

#include "geometry/dissolve.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One community being staffed: its grids (plan indexes first .. first+n-1) and its workers
 * (roster indexes ids[0 .. w-1], in id order). */
typedef struct {
    gp_context *ctx;
    const gp_roster *roster;
    gp_plan *plan;
    int32_t pci;       /* the community in the plan */
    int32_t first, n;  /* its grids */
    const int32_t *ids; /* its workers */
    int32_t w;
    int32_t *held;     /* per worker: the local grid it holds now, or -1 */
    int32_t *owner;    /* per local grid: the worker (local index), or -1 */
} staffing;

static const char *cid(const staffing *s)
{
    return s->plan->communities[s->pci].id;
}

/* Each worker's current grid, by code. A code that is no grid of the worker's community (a
 * grid retired since, a typo, another community's grid) is reported, one warning naming the
 * roster's file, field and features, and the worker is placed as if holding none. */
static gp_status find_held(staffing *s)
{
    const gp_roster *r = s->roster;
    int64_t *fids = gp_malloc(((size_t)s->w + 1) * sizeof *fids);
    if (fids == NULL) {
        return gp_error_nomem(s->ctx, "the workers' grids");
    }
    int32_t bad = 0, first = -1;
    for (int32_t k = 0; k < s->w; k++) {
        const char *code = r->grid_code[s->ids[k]];
        s->held[k] = -1;
        for (int32_t g = 0; code != NULL && g < s->n && s->held[k] < 0; g++) {
            s->held[k] = strcmp(s->plan->grids[s->first + g].code, code) == 0 ? g : -1;
        }
        if (code != NULL && s->held[k] < 0) {
            first = bad == 0 ? k : first;
            fids[bad++] = r->fid[s->ids[k]];
        }
    }
    gp_status st = GP_OK;
    if (bad > 0) {
        gp_problem_where at = {GP_SEVERITY_WARNING, GP_PROBLEM_STAFFING, s->pci, NULL, NULL, 0,
                               fids, bad};
        st = gp_plan_add_problem(
            s->ctx, s->plan, &at,
            "%s: feature %" PRId64 ": field '%s': worker '%s': grid '%s' is not a grid of "
            "community %s (its grids: %s to %s), so the worker is placed as if holding none"
            "%s (%" PRId32 " worker(s) of the community so, by feature id in the record)",
            r->label, r->fid[s->ids[first]], r->grid_field, r->id[s->ids[first]],
            r->grid_code[s->ids[first]], cid(s), s->n ? s->plan->grids[s->first].code : "none",
            s->n ? s->plan->grids[s->first + s->n - 1].code : "none", bad > 1 ? "; and more" : "",
            bad);
    }
    gp_free(fids);
    return st;
}

/* Workers >= grids: one grid each; current holders keep theirs (the first by id when two
 * claim one), the others in id order take the free grids in code order. */
static void one_per_grid(staffing *s)
{
    for (int32_t k = 0; k < s->w; k++) {
        if (s->held[k] >= 0 && s->owner[s->held[k]] < 0) {
            s->owner[s->held[k]] = k;
        }
    }
    int32_t g = 0;
    for (int32_t k = 0; k < s->w; k++) {
        int is_owner = s->held[k] >= 0 && s->owner[s->held[k]] == k;
        if (is_owner) {
            continue;
        }
        while (g < s->n && s->owner[g] >= 0) {
            g++;
        }
        if (g < s->n) {
            s->owner[g] = k;
        }
    }
}

/* Groups of grids -> workers: a current holder takes the group of its grid when that group is
 * still free, the other workers in id order the free groups in the order of their first grid. */
static gp_status groups_to_workers(staffing *s, const int32_t *group)
{
    int32_t *worker_of = gp_malloc((size_t)s->w * sizeof *worker_of);
    uint8_t *busy = gp_calloc((size_t)s->w + 1, 1);
    if (worker_of == NULL || busy == NULL) {
        gp_free(worker_of);
        gp_free(busy);
        return gp_error_nomem(s->ctx, "the workers' grids");
    }
    for (int32_t q = 0; q < s->w; q++) {
        worker_of[q] = -1;
    }
    for (int32_t k = 0; k < s->w; k++) {
        if (s->held[k] >= 0 && worker_of[group[s->held[k]]] < 0) {
            worker_of[group[s->held[k]]] = k;
            busy[k] = 1;
        }
    }
    int32_t next = 0;
    for (int32_t g = 0; g < s->n; g++) {
        int32_t q = group[g];
        if (worker_of[q] < 0) {
            while (busy[next]) {
                next++;
            }
            worker_of[q] = next;
            busy[next] = 1;
        }
        s->owner[g] = worker_of[q];
    }
    gp_free(worker_of);
    gp_free(busy);
    return GP_OK;
}

/* Workers < grids: a contiguous set of grids of even workload for each. */
static gp_status sets_of_grids(staffing *s, const gp_options *opts)
{
    int32_t *xadj = NULL, *adjncy = NULL;
    int32_t *group = gp_malloc((size_t)s->n * sizeof *group);
    int64_t *hh = gp_malloc((size_t)s->n * sizeof *hh);
    double *wl = gp_malloc((size_t)s->n * sizeof *wl);
    int pooled = 0;
    gp_status st = GP_OK;
    if (group == NULL || hh == NULL || wl == NULL) {
        st = gp_error_nomem(s->ctx, "the workers' grids");
        goto done;
    }
    for (int32_t g = 0; g < s->n; g++) {
        hh[g] = s->plan->grids[s->first + g].households;
        wl[g] = s->plan->grids[s->first + g].workload;
    }
    if ((st = gp_grid_adjacency(s->ctx, s->plan, s->first, s->n, &xadj, &adjncy)) != GP_OK ||
        (st = gp_grid_groups(s->ctx, s->n, xadj, adjncy, hh, wl, s->w, opts->seed, group,
                             &pooled)) != GP_OK ||
        (st = groups_to_workers(s, group)) != GP_OK) {
        goto done;
    }
    if (pooled) {
        gp_problem_where at = {GP_SEVERITY_WARNING, GP_PROBLEM_STAFFING, s->pci, NULL, NULL, 0,
                               NULL, 0};
        st = gp_plan_add_problem(s->ctx, s->plan, &at,
                                 "community %s: its grids lie in more parts that share no border "
                                 "than its %" PRId32 " worker(s): some worker's grids do not "
                                 "touch each other",
                                 cid(s), s->w);
    }
done:
    gp_free(xadj);
    gp_free(adjncy);
    gp_free(group);
    gp_free(hh);
    gp_free(wl);
    return st;
}

/* The union of some grids' shapes (output CRS, or working CRS with `work`) as WKB. */
static gp_status union_shapes(gp_context *ctx, const gp_plan *plan, const int32_t *grids,
                              int32_t n, int work, unsigned char **out, size_t *size)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
    GEOSGeometry **parts = gp_calloc((size_t)n + 1, sizeof *parts);
    GEOSGeometry *coll = NULL, *u = NULL;
    gp_status st = GP_OK;
    if (r == NULL || w == NULL || parts == NULL) {
        st = gp_error_nomem(ctx, "a worker's shape");
        goto done;
    }
    GEOSWKBWriter_setOutputDimension_r(h, w, 2);
    for (int32_t i = 0; i < n && st == GP_OK; i++) {
        const gp_plan_shape *s = &plan->grids[grids[i]].shape;
        parts[i] = work ? GEOSWKBReader_read_r(h, r, s->wkb_work, s->wkb_work_size)
                        : GEOSWKBReader_read_r(h, r, s->wkb, s->wkb_size);
        st = parts[i] ? GP_OK
                      : gp_error(ctx, GP_ERR_GEOMETRY, "grid %s: unreadable shape",
                                 plan->grids[grids[i]].code);
    }
    if (st == GP_OK) {
        coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
        memset(parts, 0, (size_t)n * sizeof *parts); /* owned by coll now */
        u = coll ? gp_dissolve(h, coll, 0) : NULL;
        unsigned char *buf = u ? GEOSWKBWriter_write_r(h, w, u, size) : NULL;
        *out = buf ? gp_malloc(*size) : NULL;
        if (*out != NULL) {
            memcpy(*out, buf, *size);
        }
        if (buf != NULL) {
            GEOSFree_r(h, buf);
        }
        st = *out ? GP_OK
                  : gp_error(ctx, GP_ERR_GEOMETRY, "cannot union a worker's grids: %s",
                             gp_ctx_engine_error(ctx));
    }
done:
    for (int32_t i = 0; parts != NULL && i < n; i++) {
        if (parts[i] != NULL) {
            GEOSGeom_destroy_r(h, parts[i]);
        }
    }
    gp_free(parts);
    if (u != NULL) {
        GEOSGeom_destroy_r(h, u);
    }
    if (coll != NULL) {
        GEOSGeom_destroy_r(h, coll);
    }
    if (w != NULL) {
        GEOSWKBWriter_destroy_r(h, w);
    }
    if (r != NULL) {
        GEOSWKBReader_destroy_r(h, r);
    }
    return st;
}

/* Worker k's entry in the plan's workers table, and its id on its grids. */
static gp_status add_worker(staffing *s, int32_t k, int32_t *grids)
{
    const gp_roster *r = s->roster;
    int32_t m = 0;
    size_t len = 1;
    for (int32_t g = 0; g < s->n; g++) {
        if (s->owner[g] == k) {
            grids[m++] = s->first + g;
            len += strlen(s->plan->grids[s->first + g].code) + 1;
        }
    }
    gp_plan_worker *pw = gp_plan_add_worker(s->ctx, s->plan);
    if (pw == NULL) {
        return GP_ERR_NOMEM;
    }
    pw->id = gp_strdup(r->id[s->ids[k]]);
    pw->community = s->pci;
    pw->fid = r->fid[s->ids[k]];
    pw->grids = m;
    pw->grid_codes = gp_calloc(len, 1);
    if (pw->id == NULL || pw->grid_codes == NULL) {
        return gp_error_nomem(s->ctx, "a worker");
    }
    for (int32_t i = 0; i < m; i++) {
        gp_plan_grid *pg = &s->plan->grids[grids[i]];
        strcat(pw->grid_codes, i ? "," : "");
        strcat(pw->grid_codes, pg->code);
        pw->households += pg->households;
        pw->workload += pg->workload;
        if ((pg->worker = gp_strdup(pw->id)) == NULL) {
            return gp_error_nomem(s->ctx, "a worker");
        }
    }
    if (m == 0) {
        return GP_OK;
    }
    gp_status st = union_shapes(s->ctx, s->plan, grids, m, 0, &pw->shape.wkb, &pw->shape.wkb_size);
    return st ? st
              : union_shapes(s->ctx, s->plan, grids, m, 1, &pw->shape.wkb_work,
                             &pw->shape.wkb_work_size);
}

/* A community without a worker: its grids flagged, one warning. */
static gp_status no_worker(staffing *s)
{
    for (int32_t g = 0; g < s->n; g++) {
        char *flags = s->plan->grids[s->first + g].flags;
        strcat(flags, flags[0] ? ",no_worker" : "no_worker");
    }
    gp_problem_where at = {GP_SEVERITY_WARNING, GP_PROBLEM_NO_WORKER, s->pci, NULL, NULL, 0,
                           NULL, 0};
    return gp_plan_add_problem(s->ctx, s->plan, &at,
                               "community %s: no worker of %s serves it: its %" PRId32
                               " grid(s) have no worker (flag no_worker)",
                               cid(s), s->roster->label, s->n);
}

/* The workers given no grid (more workers than grids): one note naming them. */
static gp_status report_surplus(staffing *s)
{
    int64_t *fids = gp_malloc((size_t)s->w * sizeof *fids);
    if (fids == NULL) {
        return gp_error_nomem(s->ctx, "a problem record");
    }
    char ids[600] = "";
    size_t at = 0;
    int32_t m = 0;
    const gp_plan_worker *pw = s->plan->workers + s->plan->n_workers - s->w;
    for (int32_t k = 0; k < s->w; k++) {
        if (pw[k].grids == 0) {
            fids[m++] = pw[k].fid;
            if (at + strlen(pw[k].id) + 8 < sizeof ids) {
                at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%s", m > 1 ? ", " : "",
                                       pw[k].id);
            } else if (at + 5 < sizeof ids && ids[at - 1] != '.') {
                at += (size_t)snprintf(ids + at, sizeof ids - at, ", ...");
            }
        }
    }
    s->plan->communities[s->pci].staffing_unassigned = m;
    gp_status st = GP_OK;
    if (m > 0) {
        gp_problem_where w = {GP_SEVERITY_NOTE, GP_PROBLEM_STAFFING, s->pci, NULL, NULL, 0,
                              fids, m};
        st = gp_plan_add_problem(s->ctx, s->plan, &w,
                                 "community %s: %" PRId32 " worker(s) for %" PRId32
                                 " grid(s): one per grid; %" PRId32
                                 " surplus worker(s) have no grid: %s",
                                 cid(s), s->w, s->n, m, ids);
    }
    gp_free(fids);
    return st;
}

/* The rule's count against the roster: a warning when short, a note when above. */
static gp_status report_rule(staffing *s, const gp_options *opts)
{
    const gp_plan_community *pc = &s->plan->communities[s->pci];
    if (opts->staffing.rule == GP_STAFFING_NONE || pc->staffing_required == s->w) {
        return GP_OK;
    }
    char rule[160];
    gp_options_staffing_text(opts, rule, sizeof rule);
    int short_ = s->w < pc->staffing_required;
    gp_problem_where at = {short_ ? GP_SEVERITY_WARNING : GP_SEVERITY_NOTE, GP_PROBLEM_STAFFING,
                           s->pci, NULL, NULL, 0, NULL, 0};
    int64_t gap = short_ ? pc->staffing_required - s->w : s->w - pc->staffing_required;
    return gp_plan_add_problem(s->ctx, s->plan, &at,
                               "community %s: %" PRId32 " worker(s) on the roster, %" PRId64
                               " required by %s for %" PRId64 " households: %" PRId64 " %s",
                               cid(s), s->w, pc->staffing_required, rule, pc->households, gap,
                               short_ ? "short" : "above the rule");
}

/* Give the community's grids to its workers, then record them. */
static gp_status assign(staffing *s, const gp_options *opts)
{
    gp_status st = find_held(s);
    if (st != GP_OK) {
        return st;
    }
    if (s->w == 0) {
        return s->n > 0 ? no_worker(s) : GP_OK;
    }
    if (s->w >= s->n) {
        one_per_grid(s);
    } else if ((st = sets_of_grids(s, opts)) != GP_OK) {
        return st;
    }
    int32_t *grids = gp_malloc(((size_t)s->n + 1) * sizeof *grids);
    if (grids == NULL) {
        return gp_error_nomem(s->ctx, "the workers' grids");
    }
    for (int32_t k = 0; k < s->w && st == GP_OK; k++) {
        st = add_worker(s, k, grids);
    }
    gp_free(grids);
    return st == GP_OK ? report_surplus(s) : st;
}

gp_status gp_roster_staff(gp_context *ctx, const gp_roster *roster, const gp_options *opts,
                          int32_t c, gp_plan *plan)
{
    gp_plan_community *pc = &plan->communities[plan->n_communities - 1];
    const gp_staffing_rule_params *rule = &opts->staffing;
    double residents = roster && roster->residents ? roster->residents[c] : -1.0;
    if (rule->rule == GP_STAFFING_PER10K) {
        pc->residents = residents >= 0 ? residents : (double)pc->households * rule->persons;
    }
    pc->staffing_required = gp_staffing_required(opts, pc->households, residents, pc->n_grids);
    if (roster == NULL || !roster->has_workers) {
        return GP_OK;
    }
    staffing s = {ctx, roster, plan, plan->n_communities - 1, pc->first_grid, pc->n_grids,
                  roster->list + roster->start[c], roster->start[c + 1] - roster->start[c],
                  NULL, NULL};
    pc->staffing_roster = s.w;
    s.held = gp_malloc(((size_t)s.w + 1) * sizeof *s.held);
    s.owner = gp_malloc(((size_t)s.n + 1) * sizeof *s.owner);
    if (s.held == NULL || s.owner == NULL) {
        gp_free(s.held);
        gp_free(s.owner);
        return gp_error_nomem(ctx, "the workers' grids");
    }
    for (int32_t g = 0; g < s.n; g++) {
        s.owner[g] = -1;
    }
    gp_status st = assign(&s, opts);
    if (st == GP_OK) {
        st = report_rule(&s, opts);
    }
    gp_free(s.held);
    gp_free(s.owner);
    return st;
}
