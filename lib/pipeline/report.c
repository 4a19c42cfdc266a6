/* SPDX-License-Identifier: MIT */
/** @file report.c The JSON report of a plan: per community statistics, problems, totals, timings.
 */

#include "atomic.h"
#include "plan.h"

#include "core/context.h"
#include "core/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f); /* UTF-8 passes through */
            }
        }
    }
    fputc('"', f);
}

static void json_problems(FILE *f, char *const *problems, int32_t n)
{
    fputc('[', f);
    for (int32_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, problems[i]);
    }
    fputc(']', f);
}

static void write_community(FILE *f, const gp_plan *plan, const gp_plan_community *c)
{
    int64_t lo = 0, hi = 0, sum = 0;
    double wmax = 0.0, wsum = 0.0;
    for (int32_t g = c->first_grid; g < c->first_grid + c->n_grids; g++) {
        const gp_plan_grid *grid = &plan->grids[g];
        if (g == c->first_grid || grid->households < lo) {
            lo = grid->households;
        }
        if (g == c->first_grid || grid->households > hi) {
            hi = grid->households;
        }
        sum += grid->households;
        wsum += grid->workload;
        if (grid->workload > wmax) {
            wmax = grid->workload;
        }
    }
    double mean = c->n_grids ? (double)sum / c->n_grids : 0.0;
    double wmean = c->n_grids ? wsum / c->n_grids : 0.0;
    fputs("    {\"id\": ", f);
    json_string(f, c->id);
    fprintf(f,
            ", \"households\": %" PRId64 ", \"blocks\": %" PRId32 ", \"grids\": %" PRId32
            ", \"min_households\": %" PRId64 ", \"max_households\": %" PRId64
            ", \"mean_households\": %.1f, \"workload_max_over_mean\": %.4f"
            ", \"cut_cost\": %.1f, \"grids_out_of_bounds\": %" PRId32
            ", \"feasible\": %s, \"split_blocks\": %" PRId32
            ", \"split_cut_m\": {\"between_buildings\": %.1f, \"along_paths\": %.1f}"
            ", \"problems\": ",
            c->households, c->n_blocks, c->n_grids, lo, hi, mean, wmean > 0 ? wmax / wmean : 0.0,
            c->cut_cost, c->out_of_bounds, c->feasible ? "true" : "false", c->split_blocks,
            c->split_off_m, c->split_path_m);
    json_problems(f, c->problems, c->n_problems);
    fputc('}', f);
}

/* The whole report as JSON on f. */
static void write_json(FILE *f, const gp_plan *plan)
{
    int64_t households = 0;
    int32_t split = 0;
    for (int32_t c = 0; c < plan->n_communities; c++) {
        households += plan->communities[c].households;
        split += plan->communities[c].split_blocks;
    }
    static const char *const stages[GP_STAGE_COUNT] = {"read", "blocks", "partition", "assemble"};
    fprintf(f, "{\n  \"gridpart\": \"%s\",\n", gp_version());
    fprintf(f, "  \"bounds\": {\"min\": %" PRId64 ", \"max\": %" PRId64 "},\n",
            plan->min_households, plan->max_households);
    fprintf(f,
            "  \"totals\": {\"communities\": %" PRId32 ", \"grids\": %" PRId32
            ", \"blocks\": %" PRId32 ", \"households\": %" PRId64 ", \"households_read\": %" PRId64
            ", \"households_outside\": %" PRId64 ", \"features_outside\": %" PRId64
            ", \"grids_out_of_bounds\": %" PRId32 ", \"split_blocks\": %" PRId32
            ", \"problems\": %" PRId32 "},\n",
            plan->n_communities, plan->n_grids, plan->n_blocks, households, plan->households_read,
            plan->households_outside, plan->features_outside, gp_plan_out_of_bounds(plan), split,
            gp_plan_problem_count(plan));
    /* Seconds per stage, summed over worker threads (read is single-threaded). */
    fputs("  \"seconds\": {", f);
    for (int s = 0; s < GP_STAGE_COUNT; s++) {
        fprintf(f, "%s\"%s\": %.3f", s ? ", " : "", stages[s], plan->seconds[s]);
    }
    fputs("},\n  \"problems\": ", f);
    json_problems(f, plan->problems, plan->n_problems);
    fputs(",\n  \"communities\": [\n", f);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        write_community(f, plan, &plan->communities[c]);
        fputs(c + 1 < plan->n_communities ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
}

gp_status gp_plan_write_report(gp_context *ctx, const gp_plan *plan, const char *path)
{
    if (plan == NULL || path == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write_report: plan and path are required");
    }
    char tmp[4096];
    gp_status st = gp_atomic_temp(ctx, path, tmp, sizeof tmp);
    if (st != GP_OK) {
        return st;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot write the report: %s", path, strerror(errno));
    }
    write_json(f, plan);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        gp_atomic_abort(tmp);
        return gp_error(ctx, GP_ERR_IO, "%s: writing the report failed", path);
    }
    return gp_atomic_commit(ctx, tmp, path);
}

gp_status gp_plan_report_json(gp_context *ctx, const gp_plan *plan, char **out)
{
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_report_json: out is NULL");
    }
    *out = NULL;
    if (plan == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_report_json: plan is NULL");
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return gp_error_nomem(ctx, "the report");
    }
    write_json(f, plan);
    if (fclose(f) != 0 || buf == NULL) {
        free(buf);
        return gp_error_nomem(ctx, "the report");
    }
    /* Hand out memory that gp_free releases. */
    *out = gp_strdup(buf);
    free(buf);
    return *out ? GP_OK : gp_error_nomem(ctx, "the report");
}
