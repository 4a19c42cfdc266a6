/* SPDX-License-Identifier: MIT */
/** @file assemble.c Grids from blocks: exact unions, codes, statistics, and the checks on them. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "assemble.h"
#include "codes.h"

#include "geometry/dissolve.h"
#include "geometry/reproject.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Geometry as WKB into a gp_malloc'd buffer (so that plans are plain data). */
static gp_status to_wkb(gp_context *ctx, GEOSWKBWriter *w, const GEOSGeometry *g,
                        unsigned char **out, size_t *size)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    unsigned char *buf = GEOSWKBWriter_write_r(h, w, g, size);
    if (buf == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot encode a geometry as WKB: %s",
                        gp_ctx_engine_error(ctx));
    }
    *out = gp_malloc(*size);
    if (*out == NULL) {
        GEOSFree_r(h, buf);
        return gp_error_nomem(ctx, "WKB");
    }
    memcpy(*out, buf, *size);
    GEOSFree_r(h, buf);
    return GP_OK;
}

/* Shape in both CRSs: working as given, output through the community's border (NULL: the
 * same CRS, as it is), valid there (a repair is counted in plan->output_repaired). */
static gp_status store_shape(gp_context *ctx, GEOSWKBWriter *w, const gp_border *border,
                             const GEOSGeometry *g, gp_plan_shape *shape, gp_plan *plan)
{
    gp_status st = to_wkb(ctx, w, g, &shape->wkb_work, &shape->wkb_work_size);
    if (st != GP_OK) {
        return st;
    }
    if (border == NULL) {
        return to_wkb(ctx, w, g, &shape->wkb, &shape->wkb_size);
    }
    GEOSGeometry *out = NULL;
    st = gp_border_project(ctx, border, g, &out, &plan->output_repaired);
    if (st == GP_OK) {
        st = to_wkb(ctx, w, out, &shape->wkb, &shape->wkb_size);
        GEOSGeom_destroy_r(gp_ctx_geos(ctx), out);
    }
    return st;
}

/* *out = the exact union of a grid's blocks: they tile it as a coverage (gp_dissolve), kept
 * only as one polygon (a grid in parts is left to the unary union). */
static gp_status grid_union(gp_context *ctx, GEOSContextHandle_t h, const gp_blocks *b,
                            const int32_t *members, int32_t n, GEOSGeometry **out)
{
    GEOSGeometry *coll = NULL;
    gp_status st = gp_collect_copies(ctx, h, b->geom, members, n, &coll);
    *out = st == GP_OK ? gp_dissolve(h, coll, 1) : NULL;
    if (coll != NULL) {
        GEOSGeom_destroy_r(h, coll);
    }
    return st != GP_OK || *out != NULL
               ? st
               : gp_error(ctx, GP_ERR_GEOMETRY, "cannot union the blocks of a grid: %s",
                          gp_ctx_engine_error(ctx));
}

/* One community's grids as assembled, for its problem records. */
typedef struct {
    gp_plan *plan;
    int32_t pci;              /* the community in the plan */
    const int32_t *members;   /* blocks of partition grid g from start[g] */
    const int32_t *start;
    const int32_t *grid_index; /* partition grid -> plan grid */
    const gp_blocks *b;
    int64_t lo, hi;
} grid_view;

/*
 * A record about partition grid g, of one of the per-grid kinds (over the maximum, in an
 * infeasible part, joined, search failed): the grid by its code and its blocks by their ids,
 * never the optimizer's vertex or grid indexes.
 */
static gp_status grid_problem(gp_context *ctx, const grid_view *gv, int32_t kind, int32_t g)
{
    gp_plan *plan = gv->plan;
    const gp_blocks *b = gv->b;
    const char *cid = plan->communities[gv->pci].id;
    const gp_plan_grid *pg = &plan->grids[gv->grid_index[g]];
    int32_t n = gv->start[g + 1] - gv->start[g];
    int64_t *ids = gp_malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
    if (ids == NULL) {
        return gp_error_nomem(ctx, "a problem record");
    }
    int32_t big = gv->members[gv->start[g]];
    for (int32_t k = 0; k < n; k++) {
        ids[k] = gv->members[gv->start[g] + k];
        big = b->households[ids[k]] > b->households[big] ? (int32_t)ids[k] : big;
    }
    gp_problem_where w = {GP_SEVERITY_VIOLATION, kind, gv->pci, pg->code, ids, n, NULL, 0};
    gp_status st;
    if (kind == GP_PROBLEM_VERTEX_OVER_MAX) {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s holds %" PRId64
                                 " households, above the maximum %" PRId64 ": block %" PRId32
                                 " holds %" PRId64 " of them and is not cut (one household "
                                 "feature, or cutting is off)",
                                 cid, pg->code, pg->households, gv->hi, big, b->households[big]);
    } else if (kind == GP_PROBLEM_COMPONENT_INFEASIBLE) {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s holds %" PRId64
                                 " households, outside [%" PRId64 ", %" PRId64
                                 "]: it lies in a part of the community (walled off by blocks "
                                 "above the maximum, barriers or its border) whose households no "
                                 "number of grids within the bounds can hold; the division "
                                 "there has the least violation",
                                 cid, pg->code, pg->households, gv->lo, gv->hi);
    } else if (kind == GP_PROBLEM_JOINED_OVER_MAX) {
        /* The blocks that joined: the grid's blocks but those above the maximum. */
        int32_t k = 0;
        int64_t joined = 0;
        for (int32_t j = 0; j < n; j++) {
            if (b->households[ids[j]] <= gv->hi) {
                joined += b->households[ids[j]];
                ids[k++] = ids[j];
            }
        }
        w.severity = GP_SEVERITY_NOTE;
        w.n_blocks = k;
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: %" PRId32 " block(s) holding %" PRId64
                                 " households, too few for a grid of their own, joined grid "
                                 "%s, which is above the maximum anyway: block %" PRId32
                                 " holds %" PRId64 " households and is not cut",
                                 cid, k, joined, pg->code, big, b->households[big]);
    } else {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s holds %" PRId64
                                 " households, outside [%" PRId64 ", %" PRId64
                                 "]: the search found no division of its part of the "
                                 "community within the bounds",
                                 cid, pg->code, pg->households, gv->lo, gv->hi);
    }
    gp_free(ids);
    return st;
}

/*
 * The partition's problems as records a user can act on, and one violation for every grid out
 * of bounds: the partition reports an infeasible part once, by its lowest vertex, so its other
 * grids out of bounds get a record of that kind here.
 */
static gp_status report_problems(gp_context *ctx, const grid_view *gv, const gp_partition *part)
{
    int32_t ng = gp_partition_grid_count(part);
    uint8_t *covered = gp_calloc((size_t)ng + 1, 1);
    if (covered == NULL) {
        return gp_error_nomem(ctx, "problem records");
    }
    gp_status st = GP_OK;
    int infeasible = 0;
    for (int32_t i = 0; i < gp_partition_problem_count(part) && st == GP_OK; i++) {
        int32_t kind = gp_partition_problem_kind(part, i);
        if (kind == GP_PROBLEM_GRID_COUNT) {
            gp_problem_where w = {GP_SEVERITY_VIOLATION, kind, gv->pci, NULL, NULL, 0, NULL, 0};
            st = gp_plan_add_problem(ctx, gv->plan, &w,
                                     "community %s: the fixed grid count cannot be met within "
                                     "[%" PRId64 ", %" PRId64 "] households: %" PRId32
                                     " grids made",
                                     gv->plan->communities[gv->pci].id, gv->lo, gv->hi, ng);
            continue;
        }
        if (kind == GP_PROBLEM_WORKLOAD_OVER_MAX) {
            continue; /* one record per grid above the cap, with the reason: report_workload_cap */
        }
        int32_t g = gp_partition_assignment(part)[gp_partition_problem_vertex(part, i)];
        int64_t h = gv->plan->grids[gv->grid_index[g]].households;
        infeasible |= kind == GP_PROBLEM_COMPONENT_INFEASIBLE;
        if (kind != GP_PROBLEM_JOINED_OVER_MAX && h >= gv->lo && h <= gv->hi) {
            continue; /* an infeasible part named by a vertex whose own grid is in bounds */
        }
        covered[g] |= kind != GP_PROBLEM_JOINED_OVER_MAX;
        st = grid_problem(ctx, gv, kind, g);
    }
    for (int32_t g = 0; g < ng && st == GP_OK; g++) {
        int64_t h = gv->plan->grids[gv->grid_index[g]].households;
        if (!covered[g] && (h < gv->lo || h > gv->hi)) {
            st = grid_problem(ctx, gv,
                              infeasible ? GP_PROBLEM_COMPONENT_INFEASIBLE : GP_PROBLEM_BOUNDS_UNMET,
                              g);
        }
    }
    gp_free(covered);
    return st;
}

/* A grid's workload per block: the pieces' own, or the households without weights. */
static double block_workload(const gp_blocks *b, int32_t v)
{
    return b->workload ? b->workload[v] : (double)b->households[v];
}

/* Why grid g of workload w is above the cap: one block alone, the community's totals, or the
 * search. */
static gp_status cap_problem(gp_context *ctx, const grid_view *gv, int32_t g, double cap,
                             double total)
{
    gp_plan *plan = gv->plan;
    const gp_plan_community *pc = &plan->communities[gv->pci];
    const gp_plan_grid *pg = &plan->grids[gv->grid_index[g]];
    int32_t n = gv->start[g + 1] - gv->start[g];
    int64_t *ids = gp_malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
    if (ids == NULL) {
        return gp_error_nomem(ctx, "a problem record");
    }
    int32_t big = gv->members[gv->start[g]];
    for (int32_t k = 0; k < n; k++) {
        ids[k] = gv->members[gv->start[g] + k];
        if (block_workload(gv->b, (int32_t)ids[k]) > block_workload(gv->b, big)) {
            big = (int32_t)ids[k];
        }
    }
    /* Grids the household bounds allow at most, and grids the cap needs at least. */
    int64_t kmax = gv->lo > 0 ? pc->households / gv->lo : (int64_t)gv->b->n;
    double kneed = ceil(total / cap - 1e-9);
    gp_problem_where w = {GP_SEVERITY_VIOLATION, GP_PROBLEM_WORKLOAD_OVER_MAX, gv->pci, pg->code,
                          ids, n, NULL, 0};
    gp_status st;
    if (block_workload(gv->b, big) > cap) {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s has a workload of %.1f, above the cap "
                                 "%g: block %" PRId32 " alone has %.1f and is not cut",
                                 pc->id, pg->code, pg->workload, cap, big,
                                 block_workload(gv->b, big));
    } else if (kneed > (double)kmax) {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s has a workload of %.1f, above the cap "
                                 "%g: the community's workload %.1f needs at least %.0f grids, "
                                 "and its %" PRId64 " households allow at most %" PRId64
                                 " grids of %" PRId64 " or more",
                                 pc->id, pg->code, pg->workload, cap, total, kneed,
                                 pc->households, kmax, gv->lo);
    } else {
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "community %s: grid %s has a workload of %.1f, above the cap "
                                 "%g: the search found no division within [%" PRId64 ", %" PRId64
                                 "] households that keeps every grid at or below it",
                                 pc->id, pg->code, pg->workload, cap, gv->lo, gv->hi);
    }
    gp_free(ids);
    return st;
}

/* Every grid above the workload cap (gp_options_set_max_workload): flagged over_workload and
 * a violation saying why. */
static gp_status report_workload_cap(gp_context *ctx, const grid_view *gv, int32_t ng, double cap)
{
    if (!(cap > 0)) {
        return GP_OK;
    }
    gp_plan *plan = gv->plan;
    double total = 0;
    for (int32_t g = 0; g < ng; g++) {
        total += plan->grids[gv->grid_index[g]].workload;
    }
    gp_status st = GP_OK;
    for (int32_t g = 0; g < ng && st == GP_OK; g++) {
        gp_plan_grid *pg = &plan->grids[gv->grid_index[g]];
        if (pg->workload <= cap) {
            continue;
        }
        if (pg->households >= gv->lo && pg->households <= gv->hi) {
            plan->communities[gv->pci].out_of_bounds++;
        }
        strcat(pg->flags, pg->flags[0] ? ",over_workload" : "over_workload");
        st = cap_problem(ctx, gv, g, cap, total);
    }
    return st;
}

typedef struct {
    int32_t grid;
    int64_t band;
    double x;
} order_key;

static int cmp_order(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    if (a->band != b->band) {
        return a->band < b->band ? -1 : 1;
    }
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    return (a->grid > b->grid) - (a->grid < b->grid);
}

/* One community's assembly (gp_assemble_community): its inputs, its blocks by grid, the
 * grids' shapes and reading order; assembly_free frees it. */
typedef struct {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_blocks *b;
    const gp_partition *part;
    const gp_pieces *pieces; /* the cut blocks' pieces, or NULL */
    const int32_t *assign;   /* grid of each block (or piece) */
    int32_t ng;
    const char *cid;
    int64_t lo, hi; /* the household bounds */
    GEOSWKBWriter *w;
    GEOSWKBReader *r;
    int32_t *start;   /* grid g's blocks: members[start[g] .. start[g + 1]) */
    int32_t *members; /* blocks by grid, in block order */
    int32_t *fill;    /* scratch by grid; then each grid's index in the plan */
    GEOSGeometry **shape;
    order_key *order;
    int32_t *serial; /* each grid's number in reading order, from 1 */
    GEOSGeometry *community;
    gp_border *border; /* working to output CRS through the community's border */
} assembly;

static void assembly_free(assembly *a)
{
    GEOSContextHandle_t h = a->h;
    gp_border_free(a->border);
    for (int32_t g = 0; a->shape != NULL && g < a->ng; g++) {
        if (a->shape[g] != NULL) {
            GEOSGeom_destroy_r(h, a->shape[g]);
        }
    }
    if (a->community != NULL) {
        GEOSGeom_destroy_r(h, a->community);
    }
    if (a->w != NULL) {
        GEOSWKBWriter_destroy_r(h, a->w);
    }
    if (a->r != NULL) {
        GEOSWKBReader_destroy_r(h, a->r);
    }
    gp_free(a->start);
    gp_free(a->members);
    gp_free(a->fill);
    gp_free(a->shape);
    gp_free(a->order);
    gp_free(a->serial);
}

/* The scratch, the WKB writer and reader, the community's geometry and its border. */
static gp_status assembly_open(assembly *a, const gp_dataset *ds, OGRCoordinateTransformationH ct)
{
    gp_context *ctx = a->ctx;
    GEOSContextHandle_t h = a->h;
    size_t ng = (size_t)a->ng;
    a->w = GEOSWKBWriter_create_r(h);
    a->r = GEOSWKBReader_create_r(h);
    a->start = gp_calloc(ng + 1, sizeof *a->start);
    a->members = gp_calloc((size_t)a->b->n + 1, sizeof *a->members);
    a->fill = gp_calloc(ng + 1, sizeof *a->fill);
    a->shape = gp_calloc(ng + 1, sizeof *a->shape);
    a->order = gp_calloc(ng + 1, sizeof *a->order);
    a->serial = gp_calloc(ng + 1, sizeof *a->serial);
    if (a->w == NULL || a->r == NULL || !a->start || !a->members || !a->fill || !a->shape ||
        !a->order || !a->serial) {
        return gp_error_nomem(ctx, "assembling grids");
    }
    GEOSWKBWriter_setOutputDimension_r(h, a->w, 2);
    const gp_wkb *wkb = &ds->community_wkb[a->b->community];
    a->community = GEOSWKBReader_read_r(h, a->r, wkb->data, wkb->size);
    if (a->community == NULL) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "community %s: unreadable geometry", a->cid);
    }
    gp_status st = gp_border_new(ctx, a->community, ct, &a->border);
    if (st != GP_OK) {
        gp_error_prefix(ctx, "community %s", a->cid);
    }
    return st;
}

/* Blocks per grid, in block order (CSR by grid). */
static gp_status blocks_by_grid(assembly *a)
{
    const int32_t *assign = a->assign;
    for (int32_t v = 0; v < a->b->n; v++) {
        if (assign[v] < 0 || assign[v] >= a->ng) {
            return gp_error(a->ctx, GP_ERR_INTERNAL, "community %s: block %" PRId32 " has no grid",
                            a->cid, v);
        }
        a->start[assign[v] + 1]++;
    }
    for (int32_t g = 0; g < a->ng; g++) {
        a->start[g + 1] += a->start[g];
    }
    for (int32_t v = 0; v < a->b->n; v++) {
        a->members[a->start[assign[v]] + a->fill[assign[v]]++] = v;
    }
    return GP_OK;
}

/* Each grid's shape (the union of its blocks), the check that they tile the community, and
 * their reading order: rows about one grid high, numbered north to south, and west to east
 * within a row. */
static gp_status grid_shapes(assembly *a)
{
    gp_context *ctx = a->ctx;
    GEOSContextHandle_t h = a->h;
    int32_t ng = a->ng;
    double community_area = 0.0;
    GEOSArea_r(h, a->community, &community_area);
    double ymax = 0;
    GEOSGeom_getYMax_r(h, a->community, &ymax);
    double band_h = ng > 0 ? sqrt(community_area / ng) : 1.0;
    double grids_area = 0.0;
    for (int32_t g = 0; g < ng; g++) {
        gp_status st = grid_union(ctx, h, a->b, a->members + a->start[g],
                                  a->start[g + 1] - a->start[g], &a->shape[g]);
        if (st != GP_OK) {
            gp_error_prefix(ctx, "community %s", a->cid);
            return st;
        }
        double area = 0.0, cx = 0.0, cy = 0.0;
        GEOSArea_r(h, a->shape[g], &area);
        grids_area += area;
        GEOSGeometry *centroid = GEOSGetCentroid_r(h, a->shape[g]);
        if (centroid != NULL) {
            GEOSGeomGetX_r(h, centroid, &cx);
            GEOSGeomGetY_r(h, centroid, &cy);
            GEOSGeom_destroy_r(h, centroid);
        }
        a->order[g] = (order_key){g, (int64_t)floor((ymax - cy) / band_h), cx};
    }
    /* Invariant: the grids tile the community (areas agree; blocks were checked to tile it). */
    if (fabs(grids_area - community_area) > 1e-6 * fmax(community_area, 1.0)) {
        return gp_error(ctx, GP_ERR_INTERNAL, "community %s: grids cover %.3f m^2 of its %.3f m^2",
                        a->cid, grids_area, community_area);
    }
    qsort(a->order, (size_t)ng, sizeof *a->order, cmp_order);
    for (int32_t k = 0; k < ng; k++) {
        a->serial[a->order[k].grid] = k + 1;
    }
    return GP_OK;
}

/* The community's record in the plan (*out), its totals and its shape. */
static gp_status add_community(assembly *a, gp_plan *plan, gp_plan_community **out)
{
    gp_context *ctx = a->ctx;
    const gp_blocks *b = a->b;
    gp_plan_community *pc = gp_plan_add_community(ctx, plan);
    if (pc == NULL) {
        return GP_ERR_NOMEM;
    }
    *out = pc;
    pc->id = gp_strdup(a->cid);
    if (pc->id == NULL) {
        return gp_error_nomem(ctx, "a community id");
    }
    pc->first_grid = plan->n_grids;
    pc->n_grids = a->ng;
    pc->first_block = plan->n_blocks;
    pc->n_blocks = b->n;
    pc->households = b->households_assigned;
    pc->workload_ratio = gp_partition_workload_ratio(a->part);
    pc->cut_cost = gp_partition_cut_cost(a->part);
    if (a->pieces != NULL) {
        pc->split_blocks = a->pieces->n_cut;
        for (int32_t i = 0; i < a->pieces->n_cut; i++) {
            pc->split_off_m += a->pieces->cut_off[i];
            pc->split_path_m += a->pieces->cut_path[i];
        }
    }
    int64_t lo = a->lo, hi = a->hi;
    /* Some k >= 1 has k * lo <= H <= k * hi iff the smallest k with k * hi >= H does. */
    int64_t kmin = pc->households > hi ? (pc->households + hi - 1) / hi : 1;
    pc->feasible = lo == 0 ? pc->households <= hi * (int64_t)b->n : kmin * lo <= pc->households;
    return store_shape(ctx, a->w, NULL, a->community, &pc->shape, plan);
}

/* Grid g's households and workload summed over its blocks must be the optimizer's (the
 * workload up to rounding of the sums). */
static gp_status check_grid_totals(const assembly *a, int32_t g, const gp_plan_grid *pg,
                                   const char *code)
{
    const gp_blocks *b = a->b;
    int64_t check = 0;
    double work = 0;
    for (int32_t i = a->start[g]; i < a->start[g + 1]; i++) {
        check += b->households[a->members[i]];
        work += b->workload ? b->workload[a->members[i]] : (double)b->households[a->members[i]];
    }
    if (check != pg->households) {
        return gp_error(a->ctx, GP_ERR_INTERNAL,
                        "community %s: grid %s holds %" PRId64 " households, reported %" PRId64,
                        a->cid, pg->code, check, pg->households);
    }
    if (fabs(work - pg->workload) > 1e-9 * fmax(1.0, fabs(work))) {
        return gp_error(a->ctx, GP_ERR_INTERNAL,
                        "community %s: grid %s holds a workload of %.6f, reported %.6f", a->cid,
                        code, work, pg->workload);
    }
    return GP_OK;
}

/* Grid g's flags (split_block, over_max or under_min, multipart), counting it out of bounds
 * in its community. */
static void grid_flags(const assembly *a, int32_t g, gp_plan_grid *pg, gp_plan_community *pc)
{
    if (a->pieces != NULL && a->pieces->grid_split[g]) {
        strcat(pg->flags, "split_block");
    }
    if (pg->households > a->hi) {
        strcat(pg->flags, pg->flags[0] ? ",over_max" : "over_max");
        pc->out_of_bounds++;
    } else if (pg->households < a->lo) {
        strcat(pg->flags, pg->flags[0] ? ",under_min" : "under_min");
        pc->out_of_bounds++;
    }
    if (GEOSGeomTypeId_r(a->h, a->shape[g]) != GEOS_POLYGON) {
        strcat(pg->flags, pg->flags[0] ? ",multipart" : "multipart");
    }
}

/* Grid g's record in the plan, as the pci-th community's (its code: the previous one, or the
 * community's id and its number in reading order); *total gains its households. */
static gp_status add_grid(assembly *a, int32_t g, const gp_grid_codes *codes, int32_t pci,
                          gp_plan_community *pc, gp_plan *plan, int64_t *total)
{
    gp_context *ctx = a->ctx;
    GEOSContextHandle_t h = a->h;
    gp_plan_grid *pg = gp_plan_add_grid(ctx, plan);
    if (pg == NULL) {
        return GP_ERR_NOMEM;
    }
    a->fill[g] = plan->n_grids - 1; /* fill now maps grid id -> plan index */
    char code[256];
    snprintf(code, sizeof code, "%s%03" PRId32, a->cid, a->serial[g]);
    pg->change = codes != NULL ? codes->change[g] : 0;
    pg->code = gp_strdup(codes != NULL ? codes->code[g] : code);
    if (pg->code == NULL) {
        return gp_error_nomem(ctx, "a grid code");
    }
    pg->community = pci;
    pg->households = gp_partition_grid_households(a->part, g);
    pg->workload = gp_partition_grid_workload(a->part, g);
    pg->blocks = a->start[g + 1] - a->start[g];
    *total += pg->households;
    gp_status st = check_grid_totals(a, g, pg, code);
    if (st != GP_OK) {
        return st;
    }
    grid_flags(a, g, pg, pc);
    GEOSArea_r(h, a->shape[g], &pg->area);
    GEOSLength_r(h, a->shape[g], &pg->perimeter);
    GEOSGeometry *label = GEOSPointOnSurface_r(h, a->shape[g]);
    if (label != NULL) {
        GEOSGeomGetX_r(h, label, &pg->label_x);
        GEOSGeomGetY_r(h, label, &pg->label_y);
        GEOSGeom_destroy_r(h, label);
    }
    return store_shape(ctx, a->w, a->border, a->shape[g], &pg->shape, plan);
}

/* The blocks' records in the plan, as the pci-th community's. */
static gp_status add_blocks(assembly *a, int32_t pci, gp_plan *plan)
{
    const gp_blocks *b = a->b;
    for (int32_t v = 0; v < b->n; v++) {
        gp_plan_block *pb = gp_plan_add_block(a->ctx, plan);
        if (pb == NULL) {
            return GP_ERR_NOMEM;
        }
        /* A whole block keeps the optimizer's vertex id, as problem messages name it; the
         * first piece of a cut block keeps the block's id, further pieces follow the last. */
        pb->block_id = v;
        pb->community = pci;
        pb->grid = a->fill[a->assign[v]];
        pb->households = b->households[v];
        pb->on_streets = a->pieces ? a->pieces->on_streets[v] : 1;
        gp_status st = store_shape(a->ctx, a->w, a->border, b->geom[v], &pb->shape, plan);
        if (st != GP_OK) {
            return st;
        }
    }
    return GP_OK;
}

/* The community's grids and blocks into the plan, grids in code order (so that plan order is
 * the reading order of the codes), then the problems of its grids. */
gp_status gp_assemble_community(gp_context *ctx, const gp_dataset *ds, const gp_blocks *b,
                                const gp_partition *part, const gp_pieces *pieces,
                                const gp_options *opts, OGRCoordinateTransformationH ct,
                                const gp_grid_codes *codes, gp_plan *plan)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    assembly a = {.ctx = ctx,
                  .h = h,
                  .b = b,
                  .part = part,
                  .pieces = pieces,
                  .assign = pieces ? pieces->assign : gp_partition_assignment(part),
                  .ng = gp_partition_grid_count(part),
                  .cid = ds->community_id[b->community],
                  .lo = opts->min_households,
                  .hi = opts->max_households};
    gp_plan_community *pc = NULL;
    gp_status st = assembly_open(&a, ds, ct);
    if (st == GP_OK) {
        st = blocks_by_grid(&a);
    }
    if (st == GP_OK) {
        st = grid_shapes(&a);
    }
    if (st == GP_OK) {
        st = add_community(&a, plan, &pc);
    }
    int32_t pci = plan->n_communities - 1;
    int64_t total = 0;
    for (int32_t k = 0; k < a.ng && st == GP_OK; k++) {
        st = add_grid(&a, a.order[k].grid, codes, pci, pc, plan, &total);
    }
    if (st == GP_OK && total != pc->households) {
        st = gp_error(ctx, GP_ERR_INTERNAL,
                      "community %s: grids hold %" PRId64 " households, its blocks %" PRId64, a.cid,
                      total, pc->households);
    }
    if (st == GP_OK) {
        st = add_blocks(&a, pci, plan);
    }
    if (st == GP_OK) {
        grid_view gv = {plan, pci, a.members, a.start, a.fill, b, a.lo, a.hi};
        st = report_problems(ctx, &gv, part);
        if (st == GP_OK) {
            st = report_workload_cap(ctx, &gv, a.ng, opts->max_workload);
        }
    }
    assembly_free(&a);
    return st;
}
