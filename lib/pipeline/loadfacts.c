/* SPDX-License-Identifier: MIT */
/** @file loadfacts.c A run's workload facts: extra loads outside, and the workload conserved. */

#include "loadfacts.h"

#include "core/context.h"
#include "core/memory.h"
#include "geometry/canonical.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* One warning for the features of extra-load layer k outside every community. */
static gp_status report_outside(gp_context *ctx, const gp_dataset *ds, int32_t k, gp_plan *plan)
{
    int64_t n = 0;
    double load = 0;
    for (int64_t i = 0; i < ds->n_loads; i++) {
        n += ds->load_layer[i] == k && ds->load_community[i] < 0;
    }
    if (n == 0) {
        return GP_OK;
    }
    int64_t *fid = gp_malloc((size_t)n * sizeof *fid);
    if (fid == NULL) {
        return gp_error_nomem(ctx, "extra loads outside");
    }
    int64_t m = 0;
    for (int64_t i = 0; i < ds->n_loads; i++) {
        if (ds->load_layer[i] == k && ds->load_community[i] < 0) {
            fid[m++] = ds->load_fid[i];
            load += ds->load_value[i];
        }
    }
    gp_fid_sort(fid, n);
    char ids[512];
    size_t at = 0;
    ids[0] = '\0';
    for (int64_t i = 0; i < n && i < 20 && at + 24 < sizeof ids; i++) {
        at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%" PRId64, i ? ", " : "", fid[i]);
    }
    int32_t kept = (int32_t)(n < GP_FID_KEEP ? n : GP_FID_KEEP);
    gp_problem_where w = {
        GP_SEVERITY_WARNING, GP_PROBLEM_LOAD_OUTSIDE, -1, NULL, NULL, 0, fid, kept};
    gp_status st = gp_plan_add_problem(ctx, plan, &w,
                                       "%s: %" PRId64
                                       " extra-load feature(s) holding a load of "
                                       "%g lie outside every community, so in no grid (feature "
                                       "ids %s%s)",
                                       ds->load_label[k], n, load, ids, n > 20 ? ", ..." : "");
    gp_free(fid);
    return st;
}

gp_status gp_run_load_facts(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    plan->extra_load_read = ds->load_read;
    plan->extra_load_outside = ds->load_outside;
    double in = ds->load_read - ds->load_outside;
    for (int64_t i = 0; i < ds->n_households; i++) {
        if (ds->hh_community[i] >= 0) {
            in += ds->hh_workload ? ds->hh_workload[i] : (double)ds->hh_count[i];
        }
    }
    plan->workload_in = in;
    gp_status st = GP_OK;
    for (int32_t k = 0; k < ds->n_load_layers && st == GP_OK; k++) {
        st = report_outside(ctx, ds, k, plan);
    }
    return st;
}

gp_status gp_run_check_workload(gp_context *ctx, const gp_plan *plan)
{
    double sum = 0;
    for (int32_t g = 0; g < plan->n_grids; g++) {
        sum += plan->grids[g].workload;
    }
    if (fabs(sum - plan->workload_in) > 1e-9 * fmax(1.0, fabs(plan->workload_in))) {
        return gp_error(ctx, GP_ERR_INTERNAL,
                        "workload not conserved: %.6f inside communities, %.6f in grids",
                        plan->workload_in, sum);
    }
    return GP_OK;
}
