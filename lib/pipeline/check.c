/* SPDX-License-Identifier: MIT */
/** @file check.c gp_check: audit an existing grids layer against the rules (gridpart.h). */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "check.h"
#include "inputs.h"
#include "plan.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "geometry/crs.h"
#include "geometry/featgeom.h"
#include "geometry/gridlayer.h"
#include "geometry/hits.h"
#include "geometry/width.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The audit's state: the dataset and the grids layer as GEOS geometries in the working CRS. */
typedef struct audit {
    gp_context *ctx;
    GEOSContextHandle_t h;
    const gp_dataset *ds;
    const gp_grid_layer *gl;
    const gp_options *opts;
    gp_plan *plan;
    GEOSGeometry **comm;               /* n_communities */
    GEOSGeometry **grid;               /* gl->n */
    const GEOSPreparedGeometry **prep; /* gl->n, NULL for grids in no community */
    GEOSSTRtree *tree;                 /* the grids in a community, by gl index */
    int32_t *plan_grid;                /* gl index -> plan grid, -1 when in no community */
    int64_t *no_grid;                  /* per community: households in no grid */
    int64_t *big, *big_fid;            /* per plan grid: its largest household feature, id */
    OGRCoordinateTransformationH ct;   /* working -> output CRS (NULL: the same) */
    int geographic;                    /* the output CRS is in degrees */
    GEOSWKBWriter *w;
    gp_hits hs;
} audit;

/* Parts of a polygonal result that matter (larger than the sliver area, wider than twice the
 * snapping tolerance): their count, area and the place of the largest. */
typedef struct parts {
    int32_t n;
    double area, largest, x, y;
} parts;

static gp_status geos_failed(audit *a, const char *what, const char *code)
{
    return gp_error(a->ctx, GP_ERR_GEOMETRY, "%s: grid '%s': cannot compute %s: %s", a->gl->label,
                    code, what, gp_ctx_engine_error(a->ctx));
}

/* Add the polygons of g that matter to s (g may be any collection). */
static gp_status sum_parts(audit *a, const GEOSGeometry *g, parts *s)
{
    GEOSContextHandle_t h = a->h;
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            gp_status st = sum_parts(a, GEOSGetGeometryN_r(h, g, i), s);
            if (st != GP_OK) {
                return st;
            }
        }
        return GP_OK;
    }
    double area = 0;
    if (t != GEOS_POLYGON || GEOSArea_r(h, g, &area) != 1 || area <= a->opts->sliver_area) {
        return GP_OK;
    }
    int fits = 0;
    gp_status st = gp_circle_fits(a->ctx, h, g, 2.0 * a->opts->snap_tolerance, &fits);
    if (st != GP_OK || !fits) {
        return st;
    }
    s->n++;
    s->area += area;
    if (area > s->largest) {
        GEOSGeometry *p = GEOSPointOnSurface_r(h, g);
        if (p == NULL) {
            return gp_error(a->ctx, GP_ERR_GEOMETRY, "no point inside a polygon: %s",
                            gp_ctx_engine_error(a->ctx));
        }
        s->largest = area;
        GEOSGeomGetX_r(h, p, &s->x);
        GEOSGeomGetY_r(h, p, &s->y);
        GEOSGeom_destroy_r(h, p);
    }
    return GP_OK;
}

/* "(lon, lat)" or "(x, y)" of a working-CRS point in the output CRS, for a message. */
static void place(const audit *a, double x, double y, char *out, size_t size)
{
    double px = x, py = y;
    if (a->ct != NULL && !OCTTransform(a->ct, 1, &px, &py, NULL)) {
        px = x;
        py = y;
    }
    snprintf(out, size, a->geographic ? "(%.6f, %.6f)" : "(%.1f, %.1f)", px, py);
}

static void add_flag(gp_plan_grid *pg, const char *flag)
{
    size_t n = strlen(pg->flags);
    if (strstr(pg->flags, flag) == NULL && n + strlen(flag) + 2 <= sizeof pg->flags) {
        snprintf(pg->flags + n, sizeof pg->flags - n, "%s%s", n ? "," : "", flag);
    }
}

static gp_status problem(audit *a, int32_t severity, int32_t kind, int32_t community,
                         const char *code, const int64_t *fids, int32_t n_fids, const char *msg)
{
    gp_problem_where w = {severity, kind, community, code, NULL, 0, fids, n_fids};
    if (severity == GP_SEVERITY_VIOLATION) {
        a->plan->check_hard_failures++;
    }
    return gp_plan_add_problem(a->ctx, a->plan, &w, "%s", msg);
}

static gp_status to_wkb(audit *a, const GEOSGeometry *g, unsigned char **out, size_t *size)
{
    return gp_geos_to_wkb(a->ctx, a->h, a->w, g, out, size, "WKB");
}

/* A grid's shape in the working CRS and in the output CRS (valid there: repaired, counted). */
static gp_status grid_shape(audit *a, const GEOSGeometry *g, gp_plan_shape *shape)
{
    gp_status st = to_wkb(a, g, &shape->wkb_work, &shape->wkb_work_size);
    GEOSGeometry *o = NULL;
    if (st != GP_OK || (st = gp_transform_geos(a->ctx, a->ct, g, &o)) != GP_OK) {
        return st;
    }
    if (GEOSisValid_r(a->h, o) != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(a->h, o);
        GEOSGeom_destroy_r(a->h, o);
        o = fixed;
        a->plan->output_repaired++;
        if (o == NULL) {
            return gp_error(a->ctx, GP_ERR_GEOMETRY, "cannot repair a grid in the output CRS");
        }
    }
    st = to_wkb(a, o, &shape->wkb, &shape->wkb_size);
    GEOSGeom_destroy_r(a->h, o);
    return st;
}

/* Decode communities and grids, index the grids in a community. */
static gp_status decode(audit *a)
{
    GEOSContextHandle_t h = a->h;
    const gp_dataset *ds = a->ds;
    const gp_grid_layer *gl = a->gl;
    gp_status st = GP_OK;
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    a->comm = gp_calloc((size_t)ds->n_communities + 1, sizeof *a->comm);
    a->grid = gp_calloc((size_t)gl->n + 1, sizeof *a->grid);
    a->prep = gp_calloc((size_t)gl->n + 1, sizeof *a->prep);
    a->plan_grid = gp_malloc(((size_t)gl->n + 1) * sizeof *a->plan_grid);
    a->no_grid = gp_calloc((size_t)ds->n_communities + 1, sizeof *a->no_grid);
    a->big = gp_calloc((size_t)gl->n + 1, sizeof *a->big);
    a->big_fid = gp_calloc((size_t)gl->n + 1, sizeof *a->big_fid);
    a->tree = GEOSSTRtree_create_r(h, 10);
    if (r == NULL || a->comm == NULL || a->grid == NULL || a->prep == NULL ||
        a->plan_grid == NULL || a->no_grid == NULL || a->big == NULL || a->big_fid == NULL ||
        a->tree == NULL) {
        st = gp_error_nomem(a->ctx, "the audit");
        goto done;
    }
    for (int32_t c = 0; c < ds->n_communities; c++) {
        a->comm[c] =
            GEOSWKBReader_read_r(h, r, ds->community_wkb[c].data, ds->community_wkb[c].size);
        if (a->comm[c] == NULL) {
            st = gp_error(a->ctx, GP_ERR_GEOMETRY, "cannot decode community %d", c);
            goto done;
        }
    }
    for (int32_t i = 0; i < gl->n; i++) {
        a->plan_grid[i] = -1;
        a->grid[i] = GEOSWKBReader_read_r(h, r, gl->wkb[i].data, gl->wkb[i].size);
        if (a->grid[i] == NULL) {
            st = gp_error(a->ctx, GP_ERR_GEOMETRY, "cannot decode grid %d", i);
            goto done;
        }
        if (gl->community[i] >= 0) {
            a->prep[i] = GEOSPrepare_r(h, a->grid[i]);
            if (a->prep[i] == NULL) {
                st = gp_error_nomem(a->ctx, "a prepared grid");
                goto done;
            }
            GEOSSTRtree_insert_r(h, a->tree, a->grid[i], (void *)(intptr_t)i);
        }
    }
done:
    if (r != NULL) {
        GEOSWKBReader_destroy_r(h, r);
    }
    return st;
}

/* Communities and their grids into the plan, in the layer's canonical order. */
static gp_status fill_plan(audit *a)
{
    GEOSContextHandle_t h = a->h;
    const gp_dataset *ds = a->ds;
    const gp_grid_layer *gl = a->gl;
    gp_plan *plan = a->plan;
    int64_t lo = a->opts->min_households, hi = a->opts->max_households;
    for (int32_t c = 0; c < ds->n_communities; c++) {
        gp_plan_community *pc = gp_plan_add_community(a->ctx, plan);
        if (pc == NULL || (pc->id = gp_strdup(ds->community_id[c])) == NULL) {
            return gp_error_nomem(a->ctx, "a community");
        }
        for (int64_t k = ds->hh_start[c]; k < ds->hh_start[c + 1]; k++) {
            pc->households += ds->hh_count[ds->hh_list[k]];
        }
        int64_t kmin = pc->households > hi ? (pc->households + hi - 1) / hi : 1;
        pc->feasible = kmin * lo <= pc->households;
        pc->first_grid = plan->n_grids;
        pc->n_grids = gl->first[c + 1] - gl->first[c];
        gp_status st = to_wkb(a, a->comm[c], &pc->shape.wkb_work, &pc->shape.wkb_work_size);
        if (st == GP_OK) {
            st = to_wkb(a, a->comm[c], &pc->shape.wkb, &pc->shape.wkb_size);
        }
        for (int32_t i = gl->first[c]; st == GP_OK && i < gl->first[c + 1]; i++) {
            gp_plan_grid *pg = gp_plan_add_grid(a->ctx, plan);
            if (pg == NULL || (pg->code = gp_strdup(gl->code[i])) == NULL) {
                return gp_error_nomem(a->ctx, "a grid");
            }
            a->plan_grid[i] = plan->n_grids - 1;
            pg->community = c;
            GEOSArea_r(h, a->grid[i], &pg->area);
            GEOSLength_r(h, a->grid[i], &pg->perimeter);
            GEOSGeometry *label = GEOSPointOnSurface_r(h, a->grid[i]);
            if (label != NULL) {
                GEOSGeomGetX_r(h, label, &pg->label_x);
                GEOSGeomGetY_r(h, label, &pg->label_y);
                GEOSGeom_destroy_r(h, label);
            }
            st = grid_shape(a, a->grid[i], &pg->shape);
        }
        if (st != GP_OK) {
            return st;
        }
    }
    return GP_OK;
}

/* Every household into the first grid (canonical order) covering its point; the others are in
 * no grid, of a community or of none. Verifies that none is lost. */
static gp_status recount(audit *a)
{
    GEOSContextHandle_t h = a->h;
    const gp_dataset *ds = a->ds;
    int64_t in_grids = 0, no_grid = 0, outside = 0;
    for (int64_t i = 0; i < ds->n_households; i++) {
        if (i % 4096 == 0 && gp_progress(a->ctx, 0.5, "check") != GP_OK) {
            return GP_ERR_CANCELED;
        }
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, ds->hh_x[i], ds->hh_y[i]);
        if (p == NULL) {
            return gp_error_nomem(a->ctx, "a household point");
        }
        int32_t g = gp_hits_first_intersecting(h, a->tree, a->prep, NULL, p, &a->hs);
        GEOSGeom_destroy_r(h, p);
        if (a->hs.failed) {
            return gp_error_nomem(a->ctx, "a spatial index query");
        }
        int64_t n = ds->hh_count[i];
        if (g >= 0) {
            int32_t pg = a->plan_grid[g];
            a->plan->grids[pg].households += n;
            in_grids += n;
            if (n > a->big[pg] || (n == a->big[pg] && ds->hh_fid[i] < a->big_fid[pg])) {
                a->big[pg] = n;
                a->big_fid[pg] = ds->hh_fid[i];
            }
        } else if (ds->hh_community[i] >= 0) {
            a->no_grid[ds->hh_community[i]] += n;
            no_grid += n;
        } else {
            outside += n;
        }
    }
    for (int32_t g = 0; g < a->plan->n_grids; g++) {
        a->plan->grids[g].workload = (double)a->plan->grids[g].households;
    }
    a->plan->check_households_no_grid = no_grid;
    if (in_grids + no_grid + outside != ds->households_read) {
        return gp_error(a->ctx, GP_ERR_INTERNAL,
                        "households not conserved: %" PRId64 " read, %" PRId64 " in grids, %" PRId64
                        " in no grid, %" PRId64 " outside every community and grid",
                        ds->households_read, in_grids, no_grid, outside);
    }
    return GP_OK;
}

/* Grids meeting no community: each a violation (not in the plan's grids). */
static gp_status report_outside_grids(audit *a)
{
    const gp_grid_layer *gl = a->gl;
    gp_status st = GP_OK;
    char msg[GP_MESSAGE_MAX];
    for (int32_t i = gl->first[a->ds->n_communities]; i < gl->n && st == GP_OK; i++) {
        snprintf(msg, sizeof msg,
                 "%s: grid '%s' (feature %" PRId64
                 ") lies outside every community: it is not "
                 "audited",
                 gl->label, gl->code[i], gl->fid[i]);
        st = problem(a, GP_SEVERITY_VIOLATION, GP_PROBLEM_GRID_CROSSES_COMMUNITY, -1, gl->code[i],
                     &gl->fid[i], 1, msg);
    }
    if (st == GP_OK && gl->n_repaired > 0) {
        snprintf(msg, sizeof msg, "%s: %" PRId64 " invalid grid polygon(s) repaired", gl->label,
                 gl->n_repaired);
        st = problem(a, GP_SEVERITY_WARNING, GP_PROBLEM_GEOMETRY_REPAIRED, -1, NULL, NULL, 0, msg);
    }
    return st;
}

/* The part of community `comm` that none of the grids `hs` lists covers, or NULL when GEOS
 * fails. The grids are subtracted one at a time: subtracting their union in one overlay, as
 * before, returned the whole community for two of Providence's (GEOS 3.11 OverlayNG, noisy
 * borders: the union held the community's points, yet their intersection had zero area). */
static GEOSGeometry *uncovered(GEOSContextHandle_t h, const GEOSGeometry *comm,
                               GEOSGeometry *const *grid, const gp_hits *hs)
{
    GEOSGeometry *left = GEOSGeom_clone_r(h, comm);
    for (size_t k = 0; k < hs->n && left != NULL; k++) {
        if (GEOSisEmpty_r(h, left) == 1) {
            break;
        }
        char meets = GEOSIntersects_r(h, left, grid[hs->v[k]]);
        if (meets == 0) {
            continue;
        }
        GEOSGeometry *next = meets == 1 ? GEOSDifference_r(h, left, grid[hs->v[k]]) : NULL;
        GEOSGeom_destroy_r(h, left);
        left = next;
    }
    return left;
}

/* Part of community c in no grid (beyond slivers), or households of c in no grid. */
static gp_status check_gap(audit *a, int32_t c)
{
    GEOSContextHandle_t h = a->h;
    const char *cid = a->ds->community_id[c];
    a->hs.n = 0;
    GEOSSTRtree_query_r(h, a->tree, a->comm[c], gp_hits_collect, &a->hs);
    gp_hits_sort(&a->hs);
    if (a->hs.failed) {
        return gp_error_nomem(a->ctx, "a community's grids");
    }
    GEOSGeometry *gap = uncovered(h, a->comm[c], a->grid, &a->hs);
    parts s = {0};
    gp_status st = gap ? sum_parts(a, gap, &s) : geos_failed(a, "the gaps", cid);
    if (gap != NULL) {
        GEOSGeom_destroy_r(h, gap);
    }
    if (st != GP_OK || (s.n == 0 && a->no_grid[c] == 0)) {
        return st;
    }
    char where[64] = "", msg[GP_MESSAGE_MAX];
    if (s.n > 0) {
        place(a, s.x, s.y, where, sizeof where);
        snprintf(msg, sizeof msg,
                 "community %s: %.0f m^2 in %" PRId32 " part(s) is in no grid, holding %" PRId64
                 " household(s); the largest part, %.0f m^2, at %s",
                 cid, s.area, s.n, a->no_grid[c], s.largest, where);
    } else {
        snprintf(msg, sizeof msg,
                 "community %s: %" PRId64
                 " household(s) lie in slivers between its grids, in no "
                 "grid",
                 cid, a->no_grid[c]);
    }
    return problem(a, GP_SEVERITY_VIOLATION, GP_PROBLEM_GRIDS_GAP, c, NULL, NULL, 0, msg);
}

/* Grid i (gl index) against the bounds: a violation where the community's households allow
 * grids within them, unless one household feature alone holds more than the maximum and the
 * grid's other households are too few for a grid of their own (no division does better). */
static gp_status check_bounds(audit *a, int32_t c, int32_t i)
{
    int32_t g = a->plan_grid[i];
    gp_plan_grid *pg = &a->plan->grids[g];
    gp_plan_community *pc = &a->plan->communities[c];
    int64_t lo = a->opts->min_households, hi = a->opts->max_households;
    if (pg->households >= lo && pg->households <= hi) {
        return GP_OK;
    }
    int over = pg->households > hi;
    int indivisible = over && a->big[g] > hi && pg->households - a->big[g] < lo;
    add_flag(pg, over ? "over_max" : "under_min");
    pc->out_of_bounds++;
    char msg[GP_MESSAGE_MAX], why[200] = "";
    if (indivisible) {
        snprintf(why, sizeof why,
                 ": household feature %" PRId64 " alone holds %" PRId64
                 ", which no grid can "
                 "divide, and its other %" PRId64 " are too few for a grid of their own",
                 a->big_fid[g], a->big[g], pg->households - a->big[g]);
    } else if (!pc->feasible) {
        snprintf(why, sizeof why,
                 " (no whole number of grids within the bounds can hold the "
                 "community's %" PRId64 " households)",
                 pc->households);
    }
    snprintf(msg, sizeof msg,
             "community %s: grid %s holds %" PRId64 " households, %s %" PRId64 "%s", pc->id,
             pg->code, pg->households, over ? "above the maximum" : "below the minimum",
             over ? hi : lo, why);
    int hard = pc->feasible && !indivisible;
    return problem(a, hard ? GP_SEVERITY_VIOLATION : GP_SEVERITY_WARNING,
                   indivisible    ? GP_PROBLEM_VERTEX_OVER_MAX
                   : pc->feasible ? GP_PROBLEM_BOUNDS_UNMET
                                  : GP_PROBLEM_COMPONENT_INFEASIBLE,
                   c, pg->code, &a->gl->fid[i], 1, msg);
}

/* Grid i in several pieces larger than slivers. */
static gp_status check_contiguous(audit *a, int32_t c, int32_t i)
{
    parts s = {0};
    gp_status st = sum_parts(a, a->grid[i], &s);
    if (st != GP_OK || s.n <= 1) {
        return st;
    }
    gp_plan_grid *pg = &a->plan->grids[a->plan_grid[i]];
    add_flag(pg, "not_contiguous");
    char msg[GP_MESSAGE_MAX], where[64];
    place(a, pg->label_x, pg->label_y, where, sizeof where);
    snprintf(msg, sizeof msg,
             "community %s: grid %s (feature %" PRId64 ") is in %" PRId32
             " separate pieces, "
             "%.0f m^2 in all; one at %s",
             a->ds->community_id[c], pg->code, a->gl->fid[i], s.n, s.area, where);
    return problem(a, GP_SEVERITY_VIOLATION, GP_PROBLEM_GRID_NOT_CONTIGUOUS, c, pg->code,
                   &a->gl->fid[i], 1, msg);
}

/* The community holding most of `g` other than `c`, or -1. */
static int32_t other_community(audit *a, const GEOSGeometry *g, int32_t c)
{
    int32_t best = -1;
    double best_area = 0;
    for (int32_t o = 0; o < a->ds->n_communities; o++) {
        if (o == c || GEOSIntersects_r(a->h, a->comm[o], g) != 1) {
            continue;
        }
        GEOSGeometry *x = GEOSIntersection_r(a->h, a->comm[o], g);
        double area = 0;
        if (x != NULL) {
            GEOSArea_r(a->h, x, &area);
            GEOSGeom_destroy_r(a->h, x);
        }
        if (area > best_area) {
            best_area = area;
            best = o;
        }
    }
    return best;
}

/* Grid i reaching beyond its community c. */
static gp_status check_crossing(audit *a, int32_t c, int32_t i)
{
    gp_plan_grid *pg = &a->plan->grids[a->plan_grid[i]];
    GEOSGeometry *out = GEOSDifference_r(a->h, a->grid[i], a->comm[c]);
    if (out == NULL) {
        return geos_failed(a, "its part outside its community", pg->code);
    }
    parts s = {0};
    gp_status st = sum_parts(a, out, &s);
    int32_t other = st == GP_OK && s.n > 0 ? other_community(a, out, c) : -1;
    GEOSGeom_destroy_r(a->h, out);
    if (st != GP_OK || s.n == 0) {
        return st;
    }
    add_flag(pg, "crosses_community");
    char msg[GP_MESSAGE_MAX], where[64], into[200];
    place(a, s.x, s.y, where, sizeof where);
    if (other >= 0) {
        snprintf(into, sizeof into, "into community %s", a->ds->community_id[other]);
    } else {
        snprintf(into, sizeof into, "outside every community");
    }
    snprintf(msg, sizeof msg,
             "community %s: grid %s (feature %" PRId64
             ") reaches %.0f m^2 beyond the community, "
             "%s; the largest part at %s",
             a->ds->community_id[c], pg->code, a->gl->fid[i], s.area, into, where);
    return problem(a, GP_SEVERITY_VIOLATION, GP_PROBLEM_GRID_CROSSES_COMMUNITY, c, pg->code,
                   &a->gl->fid[i], 1, msg);
}

/* Grid i overlapping grids after it (each pair once). */
static gp_status check_overlaps(audit *a, int32_t c, int32_t i)
{
    GEOSContextHandle_t h = a->h;
    a->hs.n = 0;
    GEOSSTRtree_query_r(h, a->tree, a->grid[i], gp_hits_collect, &a->hs);
    if (a->hs.failed) {
        return gp_error_nomem(a->ctx, "a spatial index query");
    }
    gp_hits_sort(&a->hs);
    int32_t *hits = gp_malloc((a->hs.n + 1) * sizeof *hits);
    if (hits == NULL) {
        return gp_error_nomem(a->ctx, "a spatial index query");
    }
    size_t n = a->hs.n;
    memcpy(hits, a->hs.v, n * sizeof *hits);
    gp_status st = GP_OK;
    for (size_t k = 0; k < n && st == GP_OK; k++) {
        int32_t j = hits[k];
        if (j <= i || GEOSPreparedIntersects_r(h, a->prep[i], a->grid[j]) != 1) {
            continue;
        }
        gp_plan_grid *pi = &a->plan->grids[a->plan_grid[i]];
        gp_plan_grid *pj = &a->plan->grids[a->plan_grid[j]];
        GEOSGeometry *x = GEOSIntersection_r(h, a->grid[i], a->grid[j]);
        if (x == NULL) {
            st = geos_failed(a, "its overlaps", pi->code);
            break;
        }
        parts s = {0};
        st = sum_parts(a, x, &s);
        GEOSGeom_destroy_r(h, x);
        if (st != GP_OK || s.n == 0) {
            continue;
        }
        add_flag(pi, "overlaps");
        add_flag(pj, "overlaps");
        char msg[GP_MESSAGE_MAX], where[64];
        place(a, s.x, s.y, where, sizeof where);
        snprintf(msg, sizeof msg,
                 "community %s: grids %s (feature %" PRId64 ") and %s (feature %" PRId64
                 ") overlap by %.0f m^2 at %s; households there count in %s",
                 a->ds->community_id[c], pi->code, a->gl->fid[i], pj->code, a->gl->fid[j], s.area,
                 where, pi->code);
        int64_t fids[2] = {a->gl->fid[i], a->gl->fid[j]};
        st = problem(a, GP_SEVERITY_VIOLATION, GP_PROBLEM_GRIDS_OVERLAP, c, pi->code, fids, 2, msg);
    }
    gp_free(hits);
    return st;
}

/* The lines grid borders may follow near community c: its streets, barriers and border,
 * indexed. */
typedef struct lines {
    GEOSGeometry **g;
    int32_t n;
    GEOSSTRtree *tree;
} lines;

static void lines_clear(GEOSContextHandle_t h, lines *l)
{
    if (l->tree != NULL) {
        GEOSSTRtree_destroy_r(h, l->tree);
    }
    for (int32_t k = 0; k < l->n; k++) {
        GEOSGeom_destroy_r(h, l->g[k]);
    }
    gp_free(l->g);
    *l = (lines){0};
}

static gp_status lines_of(audit *a, int32_t c, lines *l)
{
    GEOSContextHandle_t h = a->h;
    const gp_dataset *ds = a->ds;
    int32_t ns = ds->street_start[c + 1] - ds->street_start[c];
    int32_t nb = ds->barrier_start[c + 1] - ds->barrier_start[c];
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    l->g = gp_calloc((size_t)(ns + nb + 1), sizeof *l->g);
    l->tree = GEOSSTRtree_create_r(h, 10);
    if (l->g == NULL) {
        if (r != NULL) {
            GEOSWKBReader_destroy_r(h, r);
        }
        lines_clear(h, l);
        return gp_error_nomem(a->ctx, "the streets of a community");
    }
    int ok = r != NULL && l->tree != NULL;
    for (int32_t k = 0; ok && k <= ns + nb; k++) {
        const gp_wkb *w = k < ns ? &ds->street_wkb[ds->street_list[ds->street_start[c] + k]]
                          : k < ns + nb
                              ? &ds->barrier_wkb[ds->barrier_list[ds->barrier_start[c] + k - ns]]
                              : NULL;
        GEOSGeometry *g =
            w ? GEOSWKBReader_read_r(h, r, w->data, w->size) : GEOSBoundary_r(h, a->comm[c]);
        if ((ok = g != NULL) != 0) {
            l->g[l->n++] = g;
            GEOSSTRtree_insert_r(h, l->tree, g, (void *)(intptr_t)k);
        }
    }
    if (r != NULL) {
        GEOSWKBReader_destroy_r(h, r);
    }
    if (!ok) {
        lines_clear(h, l);
        return gp_error(a->ctx, GP_ERR_GEOMETRY, "community %s: cannot read its streets: %s",
                        ds->community_id[c], gp_ctx_engine_error(a->ctx));
    }
    return GP_OK;
}

/* The lines near the border of grid g (within the tolerance of it; clipped to its extent plus a
 * margin), widened by the tolerance: where its border may lie. *zone NULL when GEOS fails;
 * GP_ERR_NOMEM when our memory does. */
static gp_status street_zone(audit *a, const lines *l, const GEOSGeometry *g,
                             const GEOSGeometry *border, GEOSGeometry **zone)
{
    *zone = NULL;
    GEOSContextHandle_t h = a->h;
    double tol = a->opts->snap_tolerance > 0.01 ? a->opts->snap_tolerance : 0.01;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getXMin_r(h, g, &x0);
    GEOSGeom_getYMin_r(h, g, &y0);
    GEOSGeom_getXMax_r(h, g, &x1);
    GEOSGeom_getYMax_r(h, g, &y1);
    double m = 2 * tol;
    GEOSGeometry *rect = GEOSGeom_createRectangle_r(h, x0 - m, y0 - m, x1 + m, y1 + m);
    if (rect == NULL) {
        return GP_OK;
    }
    a->hs.n = 0;
    GEOSSTRtree_query_r(h, l->tree, rect, gp_hits_collect, &a->hs);
    GEOSGeom_destroy_r(h, rect);
    gp_hits_sort(&a->hs);
    GEOSGeometry **near = gp_calloc(a->hs.n + 1, sizeof *near);
    if (near == NULL || a->hs.failed) {
        gp_free(near);
        return gp_error_nomem(a->ctx, "the streets near a grid");
    }
    const GEOSPreparedGeometry *pb = GEOSPrepare_r(h, border);
    unsigned n = 0;
    for (size_t k = 0; pb != NULL && k < a->hs.n; k++) {
        if (GEOSPreparedDistanceWithin_r(h, pb, l->g[a->hs.v[k]], tol) != 1) {
            continue; /* inside the grid, or beside it: no border of it follows that line */
        }
        GEOSGeometry *clip = GEOSClipByRect_r(h, l->g[a->hs.v[k]], x0 - m, y0 - m, x1 + m, y1 + m);
        if (clip != NULL && GEOSisEmpty_r(h, clip) == 0) {
            near[n++] = clip;
        } else if (clip != NULL) {
            GEOSGeom_destroy_r(h, clip);
        }
    }
    if (pb != NULL) {
        GEOSPreparedGeom_destroy_r(h, pb);
    }
    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, near, n);
    gp_free(near);
    *zone = all ? GEOSBuffer_r(h, all, tol, 2) : NULL;
    if (all != NULL) {
        GEOSGeom_destroy_r(h, all);
    }
    return GP_OK;
}

/* The longest line of g (after merging) and its middle. */
static double longest_line(GEOSContextHandle_t h, const GEOSGeometry *g, double *x, double *y)
{
    double best = 0;
    for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
        const GEOSGeometry *l = GEOSGetGeometryN_r(h, g, i);
        double len = 0;
        if (GEOSGeomTypeId_r(h, l) != GEOS_LINESTRING || GEOSLength_r(h, l, &len) != 1 ||
            len <= best) {
            continue;
        }
        GEOSGeometry *mid = GEOSInterpolate_r(h, l, len / 2);
        if (mid != NULL) {
            best = len;
            GEOSGeomGetX_r(h, mid, x);
            GEOSGeomGetY_r(h, mid, y);
            GEOSGeom_destroy_r(h, mid);
        }
    }
    return best;
}

/* Metres of grid i's border farther than the tolerance from the lines of its community: a
 * warning. */
static gp_status check_off_streets(audit *a, int32_t c, int32_t i, const lines *l)
{
    GEOSContextHandle_t h = a->h;
    gp_plan_grid *pg = &a->plan->grids[a->plan_grid[i]];
    GEOSGeometry *border = GEOSBoundary_r(h, a->grid[i]);
    GEOSGeometry *zone = NULL;
    gp_status st = border ? street_zone(a, l, a->grid[i], border, &zone) : GP_OK;
    if (zone == NULL) {
        if (border != NULL) {
            GEOSGeom_destroy_r(h, border);
        }
        return st != GP_OK ? st : geos_failed(a, "the streets near it", pg->code);
    }
    GEOSGeometry *off = GEOSDifference_r(h, border, zone);
    GEOSGeometry *merged = off ? GEOSLineMerge_r(h, off) : NULL;
    GEOSGeom_destroy_r(h, zone);
    GEOSGeom_destroy_r(h, border);
    if (merged == NULL) {
        if (off != NULL) {
            GEOSGeom_destroy_r(h, off);
        }
        return geos_failed(a, "its border off streets", pg->code);
    }
    double len = 0, x = 0, y = 0;
    GEOSLength_r(h, off, &len);
    double longest = longest_line(h, merged, &x, &y);
    GEOSGeom_destroy_r(h, off);
    GEOSGeom_destroy_r(h, merged);
    pg->off_streets_m = len;
    if (len <= a->opts->snap_tolerance || len <= 0.01) {
        return GP_OK;
    }
    add_flag(pg, "off_streets");
    char msg[GP_MESSAGE_MAX], where[64];
    place(a, x, y, where, sizeof where);
    snprintf(msg, sizeof msg,
             "community %s: grid %s: %.0f m of its border lie farther than %g m from every "
             "street, barrier and community border; the longest stretch, %.0f m, at %s",
             a->ds->community_id[c], pg->code, len, a->opts->snap_tolerance, longest, where);
    return problem(a, GP_SEVERITY_WARNING, GP_PROBLEM_GRID_OFF_STREETS, c, pg->code, &a->gl->fid[i],
                   1, msg);
}

/* Every rule on community c and its grids. */
static gp_status check_community(audit *a, int32_t c)
{
    lines l = {0};
    gp_status st = check_gap(a, c);
    if (st == GP_OK && a->gl->first[c + 1] > a->gl->first[c]) {
        st = lines_of(a, c, &l);
    }
    for (int32_t i = a->gl->first[c]; st == GP_OK && i < a->gl->first[c + 1]; i++) {
        if ((st = check_bounds(a, c, i)) == GP_OK && (st = check_contiguous(a, c, i)) == GP_OK &&
            (st = check_crossing(a, c, i)) == GP_OK && (st = check_overlaps(a, c, i)) == GP_OK) {
            st = check_off_streets(a, c, i, &l);
        }
    }
    lines_clear(a->h, &l);
    return st;
}

static void audit_clear(audit *a)
{
    GEOSContextHandle_t h = a->h;
    if (a->tree != NULL) {
        GEOSSTRtree_destroy_r(h, a->tree);
    }
    for (int32_t c = 0; a->comm != NULL && c < a->ds->n_communities; c++) {
        if (a->comm[c] != NULL) {
            GEOSGeom_destroy_r(h, a->comm[c]);
        }
    }
    for (int32_t i = 0; a->grid != NULL && i < a->gl->n; i++) {
        if (a->prep != NULL && a->prep[i] != NULL) {
            GEOSPreparedGeom_destroy_r(h, a->prep[i]);
        }
        if (a->grid[i] != NULL) {
            GEOSGeom_destroy_r(h, a->grid[i]);
        }
    }
    if (a->w != NULL) {
        GEOSWKBWriter_destroy_r(h, a->w);
    }
    if (a->ct != NULL) {
        OCTDestroyCoordinateTransformation(a->ct);
    }
    gp_free(a->comm);
    gp_free(a->grid);
    gp_free(a->prep);
    gp_free(a->plan_grid);
    gp_free(a->no_grid);
    gp_free(a->big);
    gp_free(a->big_fid);
    gp_free(a->hs.v);
}

/* The audit proper, on a dataset and grids layer read. */
static gp_status audit_grids(audit *a)
{
    gp_status st = gp_transform_new(a->ctx, a->ds->work_wkt, a->ds->output_wkt, &a->ct);
    if (st != GP_OK) {
        return st;
    }
    OGRSpatialReferenceH out = OSRNewSpatialReference(a->ds->output_wkt);
    a->geographic = out != NULL && OSRIsGeographic(out);
    if (out != NULL) {
        OSRRelease(out);
    }
    a->w = GEOSWKBWriter_create_r(a->h);
    if (a->w == NULL) {
        return gp_error_nomem(a->ctx, "a WKB writer");
    }
    if ((st = decode(a)) != GP_OK || (st = fill_plan(a)) != GP_OK || (st = recount(a)) != GP_OK ||
        (st = report_outside_grids(a)) != GP_OK) {
        return st;
    }
    for (int32_t c = 0; c < a->ds->n_communities && st == GP_OK; c++) {
        double f = 0.5 + 0.45 * c / (a->ds->n_communities ? a->ds->n_communities : 1);
        if ((st = gp_progress(a->ctx, f, "check")) == GP_OK) {
            st = check_community(a, c);
        }
    }
    return st;
}

/* The plan's settings, as gp_run records them. */
static gp_status plan_settings(gp_context *ctx, const gp_dataset *ds, const gp_inputs *in,
                               const gp_options *opts, const gp_grid_layer *gl, gp_plan *plan)
{
    plan->min_households = opts->min_households;
    plan->max_households = opts->max_households;
    plan->options = *opts;
    plan->threads = 1;
    plan->inputs = gp_inputs_copy_masked(in);
    plan->work_crs = gp_crs_describe(ds->work_wkt);
    plan->crs_wkt = gp_strdup(ds->output_wkt);
    plan->check_grids = gp_strdup(gl->label);
    plan->check_assumed_crs = gl->assumed_crs;
    if (plan->inputs == NULL || plan->work_crs == NULL || plan->crs_wkt == NULL ||
        plan->check_grids == NULL) {
        return gp_error_nomem(ctx, "the audit's settings");
    }
    if (gl->assumed_crs) {
        gp_log(ctx, GP_LOG_WARN, "%s: the layer has no CRS; taken to be in the communities' CRS",
               gl->label);
    }
    return GP_OK;
}

/* gp_check, its GEOS work guarded from interrupts asked elsewhere (gp_geos_guard). */
static gp_status check_run(gp_context *ctx, const gp_inputs *in, const gp_options *user_opts,
                           gp_plan **out)
{
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_check: out is NULL");
    }
    *out = NULL;
    if (in == NULL || in->communities == NULL || in->streets == NULL || in->households == NULL ||
        in->grids == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_check: the grids, communities, streets and "
                        "households layers are required");
    }
    gp_options *opts = NULL;
    gp_dataset *ds = NULL;
    gp_grid_layer *gl = NULL;
    gp_plan *plan = NULL;
    audit a = {0};
    double t0 = now();
    gp_status st = user_opts ? gp_options_clone(user_opts, &opts) : gp_options_new(&opts);
    if (st != GP_OK) {
        gp_error(ctx, st, "gp_check: cannot copy the options");
        goto done;
    }
    gp_dataset_inputs din = gp_inputs_dataset(in, opts);
    gp_grid_layer_source src = {in->grids, in->grids_code_field, in->grids_community_field,
                                &in->layer_settings};
    if ((st = gp_progress(ctx, 0.0, "read")) != GP_OK ||
        (st = gp_dataset_read(ctx, &din, &ds)) != GP_OK ||
        (st = gp_grid_layer_read(ctx, ds, &src, &gl)) != GP_OK ||
        (st = gp_plan_new(ctx, &plan)) != GP_OK ||
        (st = plan_settings(ctx, ds, in, opts, gl, plan)) != GP_OK ||
        (st = gp_plan_dataset_facts(ctx, ds, plan)) != GP_OK) {
        goto done;
    }
    plan->seconds[GP_STAGE_READ] = now() - t0;
    a = (audit){.ctx = ctx, .h = gp_ctx_geos(ctx), .ds = ds, .gl = gl, .opts = opts, .plan = plan};
    if ((st = audit_grids(&a)) != GP_OK) {
        goto done;
    }
    plan->wall_seconds = now() - t0;
    plan->seconds[GP_STAGE_ASSEMBLE] = plan->wall_seconds - plan->seconds[GP_STAGE_READ];
    st = gp_progress(ctx, 1.0, "done");
done:
    if (a.h != NULL) {
        audit_clear(&a);
    }
    gp_grid_layer_free(gl);
    gp_dataset_free(ds);
    gp_options_free(opts);
    if (st == GP_OK) {
        *out = plan;
    } else {
        gp_plan_free(plan);
    }
    return st;
}

double gp_plan_grid_off_streets(const gp_plan *plan, int32_t g)
{
    return plan != NULL && g >= 0 && g < plan->n_grids ? plan->grids[g].off_streets_m : 0.0;
}

int64_t gp_plan_households_no_grid(const gp_plan *plan)
{
    return plan != NULL ? plan->check_households_no_grid : 0;
}

int32_t gp_plan_hard_failures(const gp_plan *plan)
{
    return plan != NULL ? plan->check_hard_failures : 0;
}

gp_status gp_check(gp_context *ctx, const gp_inputs *in, const gp_options *user_opts, gp_plan **out)
{
    /* The guard clears every interrupt asked elsewhere; one taken in the instant it cannot
     * cover may have failed a predicate, so nothing of that try is kept and the check is done
     * again (GP_FOREIGN_INTERRUPT_TRIES). */
    for (int tries = 0; tries < GP_FOREIGN_INTERRUPT_TRIES; tries++) {
        gp_geos_guard guard = gp_geos_guard_begin();
        if (ctx != NULL) {
            ctx->geos_interrupted = 0;
        }
        gp_status st = check_run(ctx, in, user_opts, out);
        gp_geos_guard_end(guard);
        if (ctx == NULL || !ctx->geos_interrupted) {
            return st;
        }
        if (out != NULL) {
            gp_plan_free(*out);
            *out = NULL;
        }
        if (ctx->canceled) {
            return st != GP_OK ? st : gp_error(ctx, GP_ERR_CANCELED, "gp_check: canceled");
        }
        gp_context_clear_error(ctx);
    }
    char what[64];
    snprintf(what, sizeof what, "gp_check (%d tries)", GP_FOREIGN_INTERRUPT_TRIES);
    return gp_geos_check_interrupted(ctx, ctx, what);
}
