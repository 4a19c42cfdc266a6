/* SPDX-License-Identifier: MIT */
/** @file adjust.c `adjust`: the plan's record of a repaired previous division. */

#include "adjust.h"

#include "core/context.h"
#include "core/memory.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The fit of the previous grids to the community's blocks: a note when some block lies
 * outside every previous grid or across two, a warning when less than 90% of the blocks'
 * area lies in the grid each belongs to. */
static gp_status record_fit(gp_context *ctx, const gp_prev_community *pc, gp_plan *plan,
                            int32_t pci)
{
    const gp_plan_adjusted *a = &plan->communities[pci].adjusted;
    double share = a->block_area > 0 ? a->matched_area / a->block_area : 1.0;
    if (a->split == 0 && a->unlabelled == 0 && share >= 0.99) {
        return GP_OK;
    }
    gp_problem_where w = {share < 0.9 ? GP_SEVERITY_WARNING : GP_SEVERITY_NOTE,
                          GP_PROBLEM_PREVIOUS_FIT, pci, NULL, NULL, 0, NULL, 0};
    return gp_plan_add_problem(
        ctx, plan, &w,
        "community %s: the previous grids of %s fit its %" PRId32 " street blocks for %.1f%% of "
        "their area; %" PRId32 " block(s) lie across two previous grids, %" PRId32
        " in none (their grids are new unless they join a previous one)",
        plan->communities[pci].id, pc->prev->layer->label, pc->n_blocks, 100.0 * share, a->split,
        a->unlabelled);
}

/* One note per grid changed or new, and per code retired, with the reasons. */
static gp_status record_changes(gp_context *ctx, const gp_prev_community *pc,
                                const gp_grid_codes *codes, gp_plan *plan, int32_t pci)
{
    const gp_plan_community *c = &plan->communities[pci];
    gp_status st = GP_OK;
    for (int32_t g = c->first_grid; g < c->first_grid + c->n_grids && st == GP_OK; g++) {
        const gp_plan_grid *pg = &plan->grids[g];
        if (pg->change != GP_CHANGE_CHANGED && pg->change != GP_CHANGE_NEW) {
            continue;
        }
        const char *why = "";
        for (int32_t k = 0; k < codes->n_grids; k++) {
            if (strcmp(codes->code[k], pg->code) == 0) {
                why = codes->why[k] ? codes->why[k] : "";
            }
        }
        gp_problem_where w = {GP_SEVERITY_NOTE, GP_PROBLEM_GRID_CHANGED, pci, pg->code,
                              NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &w, "community %s: grid %s %s (%" PRId64
                                 " households): %s",
                                 c->id, pg->code,
                                 pg->change == GP_CHANGE_NEW ? "is new" : "changed",
                                 pg->households, why);
    }
    for (int32_t i = 0; i < codes->n_retired && st == GP_OK; i++) {
        const char *code = gp_prev_code(pc, codes->retired[i]);
        gp_problem_where w = {GP_SEVERITY_NOTE, GP_PROBLEM_GRID_CHANGED, pci, code,
                              NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &w, "community %s: grid %s is retired: %s", c->id,
                                 code, codes->retired_why[i]);
    }
    return st;
}

gp_status gp_adjust_record(gp_context *ctx, const gp_prev_community *pc,
                           const gp_grid_codes *codes, gp_plan *plan)
{
    int32_t pci = plan->n_communities - 1;
    gp_plan_adjusted *a = &plan->communities[pci].adjusted;
    a->previous = pc->n;
    a->kept = codes->kept;
    a->changed = codes->changed;
    a->added = codes->added;
    a->moved = codes->moved;
    a->labelled = codes->labelled;
    a->block_area = pc->block_area;
    a->matched_area = pc->matched_area;
    a->split = pc->n_split;
    a->unlabelled = pc->n_unlabelled;
    if (codes->n_retired > 0) {
        a->retired_code = gp_calloc((size_t)codes->n_retired, sizeof *a->retired_code);
        if (a->retired_code == NULL) {
            return gp_error_nomem(ctx, "retired codes");
        }
        for (int32_t i = 0; i < codes->n_retired; i++) {
            a->retired_code[i] = gp_strdup(gp_prev_code(pc, codes->retired[i]));
            if (a->retired_code[i] == NULL) {
                return gp_error_nomem(ctx, "retired codes");
            }
            a->retired++;
        }
    }
    gp_status st = record_fit(ctx, pc, plan, pci);
    return st == GP_OK ? record_changes(ctx, pc, codes, plan, pci) : st;
}

gp_status gp_adjust_run_facts(gp_context *ctx, const gp_previous *prev, gp_plan *plan)
{
    const gp_grid_layer *l = prev->layer;
    plan->adjust = 1;
    plan->previous_outside = l->n_outside;
    if ((plan->previous = gp_strdup(l->label)) == NULL) {
        return gp_error_nomem(ctx, "the previous grids");
    }
    gp_status st = GP_OK;
    if (l->assumed_crs) {
        gp_problem_where w = {GP_SEVERITY_WARNING, GP_PROBLEM_PREVIOUS_FIT, -1, NULL,
                              NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "%s: the layer has no CRS; it was taken to be in the "
                                 "communities' CRS",
                                 l->label);
    }
    if (st == GP_OK && l->n_outside > 0) {
        int32_t n = (int32_t)(l->n_outside < GP_FID_KEEP ? l->n_outside : GP_FID_KEEP);
        gp_problem_where w = {GP_SEVERITY_WARNING, GP_PROBLEM_PREVIOUS_FIT, -1, NULL,
                              NULL, 0, l->outside_fid, n};
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "%s: %" PRId64 " grid(s) lie in no community and are ignored "
                                 "(first feature id %" PRId64 ")",
                                 l->label, l->n_outside, l->outside_fid[0]);
    }
    if (st == GP_OK && l->n_repaired > 0) {
        gp_problem_where w = {GP_SEVERITY_WARNING, GP_PROBLEM_GEOMETRY_REPAIRED, -1, NULL,
                              NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &w, "%s: %" PRId64 " invalid polygon(s) repaired",
                                 l->label, l->n_repaired);
    }
    return st;
}
