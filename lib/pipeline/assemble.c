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

gp_status gp_assemble_community(gp_context *ctx, const gp_dataset *ds, const gp_blocks *b,
                                const gp_partition *part, const gp_pieces *pieces,
                                const gp_options *opts, OGRCoordinateTransformationH ct,
                                const gp_grid_codes *codes, gp_plan *plan)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    gp_status st = GP_OK;
    const int32_t *assign = pieces ? pieces->assign : gp_partition_assignment(part);
    int32_t ng = gp_partition_grid_count(part);
    int32_t c = b->community;
    const char *cid = ds->community_id[c];
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    int32_t *start = gp_calloc((size_t)ng + 1, sizeof *start);
    int32_t *members = gp_calloc((size_t)b->n + 1, sizeof *members);
    int32_t *fill = gp_calloc((size_t)ng + 1, sizeof *fill);
    GEOSGeometry **shape = gp_calloc((size_t)ng + 1, sizeof *shape);
    order_key *order = gp_calloc((size_t)ng + 1, sizeof *order);
    int32_t *serial = gp_calloc((size_t)ng + 1, sizeof *serial);
    GEOSGeometry *community = NULL;
    gp_border *border = NULL;
    if (w == NULL || r == NULL || !start || !members || !fill || !shape || !order || !serial) {
        st = gp_error_nomem(ctx, "assembling grids");
        goto done;
    }
    GEOSWKBWriter_setOutputDimension_r(h, w, 2);
    community = GEOSWKBReader_read_r(h, r, ds->community_wkb[c].data, ds->community_wkb[c].size);
    if (community == NULL) {
        st = gp_error(ctx, GP_ERR_GEOMETRY, "community %s: unreadable geometry", cid);
        goto done;
    }
    if ((st = gp_border_new(ctx, community, ct, &border)) != GP_OK) {
        gp_error_prefix(ctx, "community %s", cid);
        goto done;
    }
    /* Blocks per grid, in block order (CSR by grid). */
    for (int32_t v = 0; v < b->n; v++) {
        if (assign[v] < 0 || assign[v] >= ng) {
            st = gp_error(ctx, GP_ERR_INTERNAL, "community %s: block %" PRId32 " has no grid", cid,
                          v);
            goto done;
        }
        start[assign[v] + 1]++;
    }
    for (int32_t g = 0; g < ng; g++) {
        start[g + 1] += start[g];
    }
    for (int32_t v = 0; v < b->n; v++) {
        members[start[assign[v]] + fill[assign[v]]++] = v;
    }
    double community_area = 0.0;
    GEOSArea_r(h, community, &community_area);
    double xmin = 0, ymax = 0;
    GEOSGeom_getXMin_r(h, community, &xmin);
    GEOSGeom_getYMax_r(h, community, &ymax);
    /* Rows about one grid high, numbered north to south, and west to east within a row. */
    double band_h = ng > 0 ? sqrt(community_area / ng) : 1.0;
    double grids_area = 0.0;
    for (int32_t g = 0; g < ng; g++) {
        st = grid_union(ctx, h, b, members + start[g], start[g + 1] - start[g], &shape[g]);
        if (st != GP_OK) {
            gp_error_prefix(ctx, "community %s", cid);
            goto done;
        }
        double a = 0.0, cx = 0.0, cy = 0.0;
        GEOSArea_r(h, shape[g], &a);
        grids_area += a;
        GEOSGeometry *centroid = GEOSGetCentroid_r(h, shape[g]);
        if (centroid != NULL) {
            GEOSGeomGetX_r(h, centroid, &cx);
            GEOSGeomGetY_r(h, centroid, &cy);
            GEOSGeom_destroy_r(h, centroid);
        }
        order[g] = (order_key){g, (int64_t)floor((ymax - cy) / band_h), cx};
    }
    /* Invariant: the grids tile the community (areas agree; blocks were checked to tile it). */
    if (fabs(grids_area - community_area) > 1e-6 * fmax(community_area, 1.0)) {
        st = gp_error(ctx, GP_ERR_INTERNAL, "community %s: grids cover %.3f m^2 of its %.3f m^2",
                      cid, grids_area, community_area);
        goto done;
    }
    qsort(order, (size_t)ng, sizeof *order, cmp_order);
    for (int32_t k = 0; k < ng; k++) {
        serial[order[k].grid] = k + 1;
    }

    gp_plan_community *pc = gp_plan_add_community(ctx, plan);
    if (pc == NULL) {
        st = GP_ERR_NOMEM;
        goto done;
    }
    int32_t pci = plan->n_communities - 1;
    pc->id = gp_strdup(cid);
    if (pc->id == NULL) {
        st = gp_error_nomem(ctx, "a community id");
        goto done;
    }
    pc->first_grid = plan->n_grids;
    pc->n_grids = ng;
    pc->first_block = plan->n_blocks;
    pc->n_blocks = b->n;
    pc->households = b->households_assigned;
    pc->workload_ratio = gp_partition_workload_ratio(part);
    pc->cut_cost = gp_partition_cut_cost(part);
    if (pieces != NULL) {
        pc->split_blocks = pieces->n_cut;
        for (int32_t i = 0; i < pieces->n_cut; i++) {
            pc->split_off_m += pieces->cut_off[i];
            pc->split_path_m += pieces->cut_path[i];
        }
    }
    int64_t lo = opts->min_households, hi = opts->max_households;
    /* Some k >= 1 has k * lo <= H <= k * hi iff the smallest k with k * hi >= H does. */
    int64_t kmin = pc->households > hi ? (pc->households + hi - 1) / hi : 1;
    pc->feasible = lo == 0 ? pc->households <= hi * (int64_t)b->n : kmin * lo <= pc->households;
    if ((st = store_shape(ctx, w, NULL, community, &pc->shape, plan)) != GP_OK) {
        goto done;
    }
    /* Grids in code order, so that plan order is the reading order of the codes. */
    int64_t total = 0;
    int32_t *grid_index = fill; /* reuse: grid id -> plan index */
    for (int32_t k = 0; k < ng; k++) {
        int32_t g = order[k].grid;
        gp_plan_grid *pg = gp_plan_add_grid(ctx, plan);
        if (pg == NULL) {
            st = GP_ERR_NOMEM;
            goto done;
        }
        grid_index[g] = plan->n_grids - 1;
        char code[256];
        snprintf(code, sizeof code, "%s%03" PRId32, cid, serial[g]);
        pg->change = codes != NULL ? codes->change[g] : 0;
        pg->code = gp_strdup(codes != NULL ? codes->code[g] : code);
        if (pg->code == NULL) {
            st = gp_error_nomem(ctx, "a grid code");
            goto done;
        }
        pg->community = pci;
        pg->households = gp_partition_grid_households(part, g);
        pg->workload = gp_partition_grid_workload(part, g);
        pg->blocks = start[g + 1] - start[g];
        total += pg->households;
        int64_t check = 0;
        double work = 0;
        for (int32_t i = start[g]; i < start[g + 1]; i++) {
            check += b->households[members[i]];
            work += b->workload ? b->workload[members[i]] : (double)b->households[members[i]];
        }
        if (check != pg->households) {
            st = gp_error(ctx, GP_ERR_INTERNAL,
                          "community %s: grid %s holds %" PRId64 " households, reported %" PRId64,
                          cid, pg->code, check, pg->households);
            goto done;
        }
        /* The workload written is the optimizer's sum over its vertices; the blocks (pieces)
         * of the grid must give the same, up to rounding of the sums. */
        if (fabs(work - pg->workload) > 1e-9 * fmax(1.0, fabs(work))) {
            st = gp_error(ctx, GP_ERR_INTERNAL,
                          "community %s: grid %s holds a workload of %.6f, reported %.6f", cid,
                          code, work, pg->workload);
            goto done;
        }
        if (pieces != NULL && pieces->grid_split[g]) {
            strcat(pg->flags, "split_block");
        }
        if (pg->households > hi) {
            strcat(pg->flags, pg->flags[0] ? ",over_max" : "over_max");
            pc->out_of_bounds++;
        } else if (pg->households < lo) {
            strcat(pg->flags, pg->flags[0] ? ",under_min" : "under_min");
            pc->out_of_bounds++;
        }
        if (GEOSGeomTypeId_r(h, shape[g]) != GEOS_POLYGON) {
            strcat(pg->flags, pg->flags[0] ? ",multipart" : "multipart");
        }
        GEOSArea_r(h, shape[g], &pg->area);
        GEOSLength_r(h, shape[g], &pg->perimeter);
        GEOSGeometry *label = GEOSPointOnSurface_r(h, shape[g]);
        if (label != NULL) {
            GEOSGeomGetX_r(h, label, &pg->label_x);
            GEOSGeomGetY_r(h, label, &pg->label_y);
            GEOSGeom_destroy_r(h, label);
        }
        if ((st = store_shape(ctx, w, border, shape[g], &pg->shape, plan)) != GP_OK) {
            goto done;
        }
    }
    if (total != pc->households) {
        st = gp_error(ctx, GP_ERR_INTERNAL,
                      "community %s: grids hold %" PRId64 " households, its blocks %" PRId64, cid,
                      total, pc->households);
        goto done;
    }
    for (int32_t v = 0; v < b->n; v++) {
        gp_plan_block *pb = gp_plan_add_block(ctx, plan);
        if (pb == NULL) {
            st = GP_ERR_NOMEM;
            goto done;
        }
        /* A whole block keeps the optimizer's vertex id, as problem messages name it; the
         * first piece of a cut block keeps the block's id, further pieces follow the last. */
        pb->block_id = v;
        pb->community = pci;
        pb->grid = grid_index[assign[v]];
        pb->households = b->households[v];
        pb->on_streets = pieces ? pieces->on_streets[v] : 1;
        if ((st = store_shape(ctx, w, border, b->geom[v], &pb->shape, plan)) != GP_OK) {
            goto done;
        }
    }
    grid_view gv = {plan, pci, members, start, grid_index, b, lo, hi};
    st = report_problems(ctx, &gv, part);
    if (st == GP_OK) {
        st = report_workload_cap(ctx, &gv, ng, opts->max_workload);
    }
done:
    gp_border_free(border);
    for (int32_t g = 0; shape != NULL && g < ng; g++) {
        if (shape[g] != NULL) {
            GEOSGeom_destroy_r(h, shape[g]);
        }
    }
    if (community != NULL) {
        GEOSGeom_destroy_r(h, community);
    }
    if (w != NULL) {
        GEOSWKBWriter_destroy_r(h, w);
    }
    if (r != NULL) {
        GEOSWKBReader_destroy_r(h, r);
    }
    gp_free(start);
    gp_free(members);
    gp_free(fill);
    gp_free(shape);
    gp_free(order);
    gp_free(serial);
    return st;
}
