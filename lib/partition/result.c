/* SPDX-License-Identifier: MIT */
/** @file result.c gp_partition: storage, accessors and the problem list. */

#include "partition.h"

#include "core/memory.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

gp_partition *gp_partition_alloc(int32_t n, int32_t grids)
{
    gp_partition *p = gp_calloc(1, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    size_t nn = (size_t)(n > 0 ? n : 1);
    size_t ng = (size_t)(grids > 0 ? grids : 1);
    p->n = n;
    p->grids = grids;
    p->part = gp_calloc(nn, sizeof *p->part);
    p->households = gp_calloc(ng, sizeof *p->households);
    p->workload = gp_calloc(ng, sizeof *p->workload);
    p->vertices = gp_calloc(ng, sizeof *p->vertices);
    p->pp = gp_calloc(ng, sizeof *p->pp);
    if (p->part == NULL || p->households == NULL || p->workload == NULL || p->vertices == NULL ||
        p->pp == NULL) {
        gp_partition_free(p);
        return NULL;
    }
    p->mean_pp = NAN;
    return p;
}

void gp_partition_free(gp_partition *part)
{
    if (part == NULL) {
        return;
    }
    gp_free(part->part);
    gp_free(part->households);
    gp_free(part->workload);
    gp_free(part->vertices);
    gp_free(part->pp);
    gp_free(part->problems);
    gp_free(part);
}

gp_status gp_partition_add_problem(gp_partition *part, int32_t kind, int32_t vertex,
                                   const char *fmt, ...)
{
    if (part->problem_count == part->problem_cap) {
        int32_t cap = part->problem_cap ? part->problem_cap * 2 : 8;
        gp_problem *grown = gp_reallocarray(part->problems, (size_t)cap, sizeof *grown);
        if (grown == NULL) {
            return GP_ERR_NOMEM;
        }
        part->problems = grown;
        part->problem_cap = cap;
    }
    gp_problem *pr = &part->problems[part->problem_count++];
    pr->kind = kind;
    pr->vertex = vertex;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pr->message, sizeof pr->message, fmt, ap);
    va_end(ap);
    return GP_OK;
}

int32_t gp_partition_vertex_count(const gp_partition *part)
{
    return part ? part->n : 0;
}

int32_t gp_partition_grid_count(const gp_partition *part)
{
    return part ? part->grids : 0;
}

const int32_t *gp_partition_assignment(const gp_partition *part)
{
    return part ? part->part : NULL;
}

static int gp_grid_ok(const gp_partition *part, int32_t grid)
{
    return part != NULL && grid >= 0 && grid < part->grids;
}

int64_t gp_partition_grid_households(const gp_partition *part, int32_t grid)
{
    return gp_grid_ok(part, grid) ? part->households[grid] : 0;
}

double gp_partition_grid_workload(const gp_partition *part, int32_t grid)
{
    return gp_grid_ok(part, grid) ? part->workload[grid] : 0.0;
}

int32_t gp_partition_grid_vertices(const gp_partition *part, int32_t grid)
{
    return gp_grid_ok(part, grid) ? part->vertices[grid] : 0;
}

double gp_partition_grid_polsby_popper(const gp_partition *part, int32_t grid)
{
    return gp_grid_ok(part, grid) ? part->pp[grid] : NAN;
}

double gp_partition_cut_cost(const gp_partition *part)
{
    return part ? part->cut : 0.0;
}

double gp_partition_workload_ratio(const gp_partition *part)
{
    return part ? part->workload_ratio : 0.0;
}

double gp_partition_mean_polsby_popper(const gp_partition *part)
{
    return part ? part->mean_pp : NAN;
}

int64_t gp_partition_households_moved(const gp_partition *part)
{
    return part ? part->moved : 0;
}

int32_t gp_partition_out_of_bounds(const gp_partition *part)
{
    return part ? part->out_of_bounds : 0;
}

int32_t gp_partition_problem_count(const gp_partition *part)
{
    return part ? part->problem_count : 0;
}

static const gp_problem *gp_problem_at(const gp_partition *part, int32_t i)
{
    return (part != NULL && i >= 0 && i < part->problem_count) ? &part->problems[i] : NULL;
}

int32_t gp_partition_problem_kind(const gp_partition *part, int32_t i)
{
    const gp_problem *pr = gp_problem_at(part, i);
    return pr ? pr->kind : 0;
}

int32_t gp_partition_problem_vertex(const gp_partition *part, int32_t i)
{
    const gp_problem *pr = gp_problem_at(part, i);
    return pr ? pr->vertex : -1;
}

const char *gp_partition_problem_message(const gp_partition *part, int32_t i)
{
    const gp_problem *pr = gp_problem_at(part, i);
    return pr ? pr->message : "";
}
