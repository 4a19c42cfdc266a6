/* SPDX-License-Identifier: MIT */
/** @file report.c The JSON report of a plan: per community statistics, problems, totals, timings.
 */

#include "outputs.h"
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

static const char *const SEVERITY[] = {"violation", "warning", "note"};

static void json_ids(FILE *f, const int64_t *ids, int32_t n)
{
    fputc('[', f);
    for (int32_t i = 0; i < n; i++) {
        fprintf(f, "%s%" PRId64, i ? ", " : "", ids[i]);
    }
    fputc(']', f);
}

/* The problems of community c (-1: the run-wide ones) as an array of records. */
static void json_problems(FILE *f, const gp_plan *plan, int32_t c, const char *indent)
{
    int n = 0;
    fputc('[', f);
    for (int32_t i = 0; i < plan->n_problems; i++) {
        const gp_problem_record *p = &plan->problems[i];
        if (p->community != c) {
            continue;
        }
        fprintf(f, "%s\n%s  {\"severity\": \"%s\", \"kind\": \"%s\", \"community\": ",
                n++ ? "," : "", indent,
                p->severity >= 0 && p->severity <= 2 ? SEVERITY[p->severity] : "unknown",
                gp_problem_kind_name(p->kind));
        if (p->community >= 0) {
            json_string(f, plan->communities[p->community].id);
        } else {
            fputs("null", f);
        }
        fputs(", \"grid_code\": ", f);
        if (p->grid_code != NULL) {
            json_string(f, p->grid_code);
        } else {
            fputs("null", f);
        }
        fputs(", \"blocks\": ", f);
        json_ids(f, p->blocks, p->n_blocks);
        fputs(", \"features\": ", f);
        json_ids(f, p->features, p->n_features);
        fputs(", \"message\": ", f);
        json_string(f, p->message);
        fputc('}', f);
    }
    if (n > 0) {
        fprintf(f, "\n%s", indent);
    }
    fputc(']', f);
}

/* adjust: what became of the previous grids of community c (-1: of all), as an object. */
static void json_adjusted(FILE *f, const gp_plan *plan, int32_t c)
{
    gp_plan_adjusted a = {0};
    for (int32_t i = 0; i < plan->n_communities; i++) {
        const gp_plan_adjusted *one = &plan->communities[i].adjusted;
        if (c >= 0 && i != c) {
            continue;
        }
        a.previous += one->previous;
        a.kept += one->kept;
        a.changed += one->changed;
        a.added += one->added;
        a.retired += one->retired;
        a.moved += one->moved;
        a.labelled += one->labelled;
        a.block_area += one->block_area;
        a.matched_area += one->matched_area;
        a.split += one->split;
        a.unlabelled += one->unlabelled;
    }
    fprintf(f,
            "{\"previous_grids\": %" PRId32 ", \"kept\": %" PRId32 ", \"changed\": %" PRId32
            ", \"new\": %" PRId32 ", \"retired\": %" PRId32 ", \"households_moved\": %" PRId64
            ", \"households_with_previous_grid\": %" PRId64
            ", \"fit\": {\"area_matched\": %.4f, \"blocks_split\": %" PRId32
            ", \"blocks_unmatched\": %" PRId32 "}",
            a.previous, a.kept, a.changed, a.added, a.retired, a.moved, a.labelled,
            a.block_area > 0 ? a.matched_area / a.block_area : 1.0, a.split, a.unlabelled);
    if (c < 0) {
        fputs(", \"previous\": ", f);
        json_string(f, plan->previous);
        fprintf(f, ", \"previous_grids_outside\": %" PRId64, plan->previous_outside);
    }
    fputs(", \"retired_codes\": [", f);
    int n = 0;
    for (int32_t i = 0; i < plan->n_communities; i++) {
        const gp_plan_adjusted *one = &plan->communities[i].adjusted;
        for (int32_t k = 0; (c < 0 || i == c) && k < one->retired; k++) {
            fputs(n++ ? ", " : "", f);
            json_string(f, one->retired_code[k]);
        }
    }
    fputs("]}", f);
}

/* ---- staffing (since 0.3) ---------------------------------------------------------------- */

/* Workers of community c (-1: all) given no grid, as a JSON array of ids. */
static void json_surplus_ids(FILE *f, const gp_plan *plan, int32_t c)
{
    int n = 0;
    fputc('[', f);
    for (int32_t i = 0; i < plan->n_workers; i++) {
        const gp_plan_worker *w = &plan->workers[i];
        if ((c < 0 || w->community == c) && w->grids == 0) {
            fputs(n++ ? ", " : "", f);
            json_string(f, w->id);
        }
    }
    fputc(']', f);
}

/* The civil-affairs table's row: households, grids, workers the rule requires, workers on the
 * roster, shortfall and surplus against the rule, and the workers given no grid (surplus over
 * the grids) by id. Community c, or the totals for c = -1. */
static void json_staffing(FILE *f, const gp_plan *plan, int32_t c)
{
    int64_t households = 0, required = 0, roster = 0, unassigned = 0, grids = 0;
    double residents = 0.0;
    for (int32_t i = c < 0 ? 0 : c; i < (c < 0 ? plan->n_communities : c + 1); i++) {
        const gp_plan_community *pc = &plan->communities[i];
        households += pc->households;
        grids += pc->n_grids;
        required += pc->staffing_required;
        roster += pc->staffing_roster;
        unassigned += pc->staffing_unassigned;
        residents += pc->residents;
    }
    char rule[160];
    gp_options_staffing_text(&plan->options, rule, sizeof rule);
    int has_rule = plan->options.staffing.rule != GP_STAFFING_NONE;
    fputs("{\"rule\": ", f);
    json_string(f, rule);
    fprintf(f, ", \"households\": %" PRId64, households);
    if (plan->options.staffing.rule == GP_STAFFING_PER10K) {
        fprintf(f, ", \"residents\": %.1f", residents);
    }
    fprintf(f, ", \"grids\": %" PRId64, grids);
    if (has_rule) {
        fprintf(f, ", \"required\": %" PRId64, required);
    } else {
        fputs(", \"required\": null", f);
    }
    if (plan->has_roster) {
        fprintf(f, ", \"roster\": %" PRId64, roster);
    } else {
        fputs(", \"roster\": null", f);
    }
    if (has_rule && plan->has_roster) {
        fprintf(f, ", \"shortfall\": %" PRId64 ", \"surplus\": %" PRId64,
                required > roster ? required - roster : 0, roster > required ? roster - required : 0);
    } else {
        fputs(", \"shortfall\": null, \"surplus\": null", f);
    }
    fprintf(f, ", \"without_grid\": %" PRId64 ", \"surplus_ids\": ", unassigned);
    json_surplus_ids(f, plan, c);
    fputc('}', f);
}

/* The workers table: each worker's community, grids, households and workload. */
static void json_workers(FILE *f, const gp_plan *plan)
{
    fputs("  \"workers\": [", f);
    for (int32_t i = 0; i < plan->n_workers; i++) {
        const gp_plan_worker *w = &plan->workers[i];
        fputs(i ? ",\n    {\"worker_id\": " : "\n    {\"worker_id\": ", f);
        json_string(f, w->id);
        fputs(", \"community\": ", f);
        json_string(f, plan->communities[w->community].id);
        fputs(", \"grid_codes\": ", f);
        json_string(f, w->grid_codes);
        fprintf(f, ", \"grids\": %" PRId32 ", \"households\": %" PRId64 ", \"workload\": %.2f}",
                w->grids, w->households, w->workload);
    }
    fputs(plan->n_workers ? "\n  ],\n" : "],\n", f);
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
            ", \"mean_households\": %.1f, \"workload\": %.3f, \"max_workload\": %.3f"
            ", \"mean_workload\": %.3f, \"workload_max_over_mean\": %.4f"
            ", \"cut_cost\": %.1f, \"grids_out_of_bounds\": %" PRId32
            ", \"feasible\": %s, \"split_blocks\": %" PRId32
            ", \"split_cut_m\": {\"between_buildings\": %.1f, \"along_paths\": %.1f}",
            c->households, c->n_blocks, c->n_grids, lo, hi, mean, wsum, wmax, wmean,
            wmean > 0 ? wmax / wmean : 0.0,
            c->cut_cost, c->out_of_bounds, c->feasible ? "true" : "false", c->split_blocks,
            c->split_off_m, c->split_path_m);
    if (plan->has_staffing) {
        fputs(", \"staffing\": ", f);
        json_staffing(f, plan, (int32_t)(c - plan->communities));
    }
    fputs(", \"problems\": ", f);
    json_problems(f, plan, (int32_t)(c - plan->communities), "    ");
    if (plan->adjust) {
        fputs(", \"adjust\": ", f);
        json_adjusted(f, plan, (int32_t)(c - plan->communities));
    }
    fputc('}', f);
}

/* "key": "text" (or null), with a leading comma unless first. */
static void json_member(FILE *f, const char *key, const char *value, int first)
{
    fprintf(f, "%s\"%s\": ", first ? "" : ", ", key);
    if (value != NULL) {
        json_string(f, value);
    } else {
        fputs("null", f);
    }
}

/* The quantity the optimizer balanced: AUTO resolves to workload when any weight or extra
 * load was given. */
static const char *balance_name(const gp_options *o, const gp_inputs *in)
{
    int weighted = in != NULL && (in->n_weights > 0 || in->n_loads > 0);
    return o->balance == GP_BALANCE_HOUSEHOLDS                      ? "households"
           : o->balance == GP_BALANCE_WORKLOAD || weighted ? "workload"
                                                            : "households";
}

/* The workload inputs: "weights": {"FIELD": W, ...}, "extra_loads": [{"source", "field"}]. */
static void write_workload_inputs(FILE *f, const gp_inputs *in)
{
    fputs(", \"weights\": {", f);
    for (int32_t i = 0; in != NULL && i < in->n_weights; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, in->weight_field[i]);
        fprintf(f, ": %.17g", in->weight[i]);
    }
    fputs("}, \"extra_loads\": [", f);
    for (int32_t i = 0; in != NULL && i < in->n_loads; i++) {
        fputs(i ? ", {" : "{", f);
        json_member(f, "source", in->load_source[i], 1);
        json_member(f, "field", in->load_field[i], 0);
        fputc('}', f);
    }
    fputc(']', f);
}

/* What the run was given: inputs, options, the working CRS. */
static void write_settings(FILE *f, const gp_plan *plan)
{
    const gp_inputs *in = plan->inputs;
    fputs("  \"inputs\": {", f);
    json_member(f, "communities", in ? in->communities : NULL, 1);
    json_member(f, "id_field", in ? in->id_field : NULL, 0);
    json_member(f, "streets", in ? in->streets : NULL, 0);
    json_member(f, "class_field", in ? in->class_field : NULL, 0);
    json_member(f, "households", in ? in->households : NULL, 0);
    json_member(f, "count_field", in ? in->count_field : NULL, 0);
    json_member(f, "barriers", in ? in->barriers : NULL, 0);
    if (in != NULL && in->grids != NULL) { /* gp_check */
        json_member(f, "grids", in->grids, 0);
        json_member(f, "grids_code_field", in->grids_code_field, 0);
        json_member(f, "grids_community_field", in->grids_community_field, 0);
    }
    if (in != NULL && in->workers != NULL) {
        json_member(f, "workers", in->workers, 0);
    }
    if (in != NULL && in->residents_field != NULL) {
        json_member(f, "residents_field", in->residents_field, 0);
    }
    write_workload_inputs(f, in);
    /* GDAL conventions (0.3): open options for every input, the CRS assumed where none. */
    char *const *oo = in != NULL ? in->layer_settings.open_options : NULL;
    if (oo != NULL) {
        fputs(", \"open_options\": [", f);
        for (int i = 0; oo[i] != NULL; i++) {
            fputs(i ? ", " : "", f);
            json_string(f, oo[i]);
        }
        fputs("]", f);
    }
    if (in != NULL && in->layer_settings.assume_crs != NULL) {
        json_member(f, "assume_crs", in->layer_settings.assume_crs, 0);
    }
    fputs("},\n", f);
    static const char *const split[] = {"never", "oversize", "needed"};
    const gp_options *o = &plan->options;
    fprintf(f,
            "  \"options\": {\"min\": %" PRId64 ", \"max\": %" PRId64 ", \"target\": %" PRId64
            ", \"grids\": ",
            o->min_households, o->max_households, gp_options_target(o));
    if (o->grid_count > 0) {
        fprintf(f, "%" PRId32, o->grid_count);
    } else {
        fputs("\"auto\"", f);
    }
    fprintf(f,
            ", \"seed\": %" PRIu64 ", \"threads\": %" PRId32 ", \"split\": \"%s\""
            ", \"overlaps\": \"%s\", \"effort\": %g, \"snap_tolerance_m\": %g"
            ", \"sliver_area_m2\": %g, \"balance\": \"%s\", \"max_workload\": %g},\n",
            o->seed, o->threads, o->split >= 0 && o->split <= 2 ? split[o->split] : "?",
            o->overlaps == GP_OVERLAPS_FIRST ? "first" : "error", o->effort, o->snap_tolerance,
            o->sliver_area, balance_name(o, plan->inputs), o->max_workload);
    fputs("  \"working_crs\": ", f);
    if (plan->work_crs != NULL) {
        json_string(f, plan->work_crs);
    } else {
        fputs("null", f);
    }
    fputs(",\n", f);
}

/* The whole report as JSON on f. */
static void write_json(FILE *f, const gp_plan *plan)
{
    int64_t households = 0;
    int32_t split = 0;
    int32_t severity[3] = {0, 0, 0};
    for (int32_t c = 0; c < plan->n_communities; c++) {
        households += plan->communities[c].households;
        split += plan->communities[c].split_blocks;
    }
    double workload = 0;
    for (int32_t g = 0; g < plan->n_grids; g++) {
        workload += plan->grids[g].workload;
    }
    for (int32_t i = 0; i < plan->n_problems; i++) {
        int32_t s = plan->problems[i].severity;
        severity[s >= 0 && s <= 2 ? s : 1]++;
    }
    fprintf(f, "{\n  \"gridpart\": \"%s\",\n", gp_version());
    write_settings(f, plan);
    fprintf(f, "  \"bounds\": {\"min\": %" PRId64 ", \"max\": %" PRId64 "},\n",
            plan->min_households, plan->max_households);
    fprintf(f,
            "  \"totals\": {\"communities\": %" PRId32 ", \"grids\": %" PRId32
            ", \"blocks\": %" PRId32 ", \"households\": %" PRId64 ", \"households_read\": %" PRId64
            ", \"households_outside\": %" PRId64 ", \"features_outside\": %" PRId64
            ", \"grids_out_of_bounds\": %" PRId32 ", \"split_blocks\": %" PRId32
            ", \"problems\": %" PRId32 ", \"violations\": %" PRId32 ", \"warnings\": %" PRId32
            ", \"notes\": %" PRId32 ", \"workload\": %.3f, \"extra_load_read\": %.3f"
            ", \"extra_load_outside\": %.3f},\n",
            plan->n_communities, plan->n_grids, plan->n_blocks, households, plan->households_read,
            plan->households_outside, plan->features_outside, gp_plan_out_of_bounds(plan), split,
            gp_plan_problem_count(plan), severity[0], severity[1], severity[2], workload,
            plan->extra_load_read, plan->extra_load_outside);
    fprintf(f,
            "  \"read\": {\"communities\": %" PRId64 ", \"streets\": %" PRId64
            ", \"households\": %" PRId64 ", \"barriers\": %" PRId64 "},\n",
            plan->features_read[0], plan->features_read[1], plan->features_read[2],
            plan->features_read[3]);
    if (plan->check_grids != NULL) { /* gp_check: the audit's own facts */
        fputs("  \"check\": {\"grids\": ", f);
        json_string(f, plan->check_grids);
        fprintf(f,
                ", \"assumed_crs\": %s, \"households_in_no_grid\": %" PRId64
                ", \"hard_failures\": %" PRId32 "},\n",
                plan->check_assumed_crs ? "true" : "false", plan->check_households_no_grid,
                plan->check_hard_failures);
    }
    /* Reading and the whole run are wall-clock times; the per-community stages run on several
     * threads at once and are summed over them. */
    fprintf(f,
            "  \"seconds\": {\"wall\": {\"read\": %.3f, \"run\": %.3f}, \"threads\": %" PRId32
            ", \"summed_over_threads\": {\"blocks\": %.3f, \"partition\": %.3f"
            ", \"assemble\": %.3f}},\n",
            plan->seconds[GP_STAGE_READ], plan->wall_seconds, plan->threads,
            plan->seconds[GP_STAGE_BLOCKS], plan->seconds[GP_STAGE_PARTITION],
            plan->seconds[GP_STAGE_ASSEMBLE]);
    if (plan->adjust) {
        fputs("  \"adjust\": ", f);
        json_adjusted(f, plan, -1);
        fputs(",\n", f);
    }
    if (plan->has_staffing) {
        fputs("  \"staffing\": ", f);
        json_staffing(f, plan, -1);
        fputs(",\n", f);
    }
    if (plan->has_roster) {
        json_workers(f, plan);
    }
    fputs("  \"problems\": ", f);
    json_problems(f, plan, -1, "  ");
    fputs(",\n  \"communities\": [\n", f);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        write_community(f, plan, &plan->communities[c]);
        fputs(c + 1 < plan->n_communities ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
}

gp_status gp_report_render(gp_context *ctx, const gp_plan *plan, char **out, size_t *size)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    *size = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return gp_error_nomem(ctx, "the report");
    }
    write_json(f, plan);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || buf == NULL) {
        free(buf);
        return gp_error_nomem(ctx, "the report");
    }
    /* Hand out memory that gp_free releases. */
    *out = gp_malloc(len + 1);
    if (*out != NULL) {
        memcpy(*out, buf, len + 1);
        *size = len;
    }
    free(buf);
    return *out ? GP_OK : gp_error_nomem(ctx, "the report");
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
    size_t size = 0;
    return gp_report_render(ctx, plan, out, &size);
}
