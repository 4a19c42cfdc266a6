/* SPDX-License-Identifier: MIT */
/** @file options.c gp_options: defaults and validating setters. */

#include "options.h"

#include "context.h"
#include "memory.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static const gp_options DEFAULTS = {
    .min_households = 300,
    .max_households = 500,
    .target = 0,
    .grid_count = 0,
    .seed = 1,
    .threads = 0,
    .snap_tolerance = 2.0,
    .sliver_area = 10.0,
    .effort = 1.0,
    .time_limit = 0.0, /* none */
    .split = GP_SPLIT_NEEDED,
    .overlaps = GP_OVERLAPS_ERROR,
    .balance = GP_BALANCE_AUTO,
    .max_workload = 0.0,
    .work_crs = "",
    /* Staffing rule parameters, used when a rule names no value: Zhejiang 2021 (6 workers up
     * to 2,000 households, one more per 300-400 above: 350), 2.6 persons per household. */
    .staffing = {.rule = GP_STAFFING_NONE, .base = 6, .above = 2000, .per = 350,
                 .per10k = 0.0, .persons = 2.6},
};

const gp_options *gp_options_defaults(void)
{
    return &DEFAULTS;
}

gp_status gp_options_new(gp_options **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = gp_malloc(sizeof **out);
    if (*out == NULL) {
        return GP_ERR_NOMEM;
    }
    **out = DEFAULTS;
    return GP_OK;
}

gp_status gp_options_clone(const gp_options *opts, gp_options **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = NULL;
    if (opts == NULL) {
        return GP_ERR_ARG;
    }
    *out = gp_malloc(sizeof **out);
    if (*out == NULL) {
        return GP_ERR_NOMEM;
    }
    **out = *opts;
    return GP_OK;
}

void gp_options_free(gp_options *opts)
{
    gp_free(opts);
}

int64_t gp_options_target(const gp_options *opts)
{
    return opts->target != 0 ? opts->target : (opts->min_households + opts->max_households) / 2;
}

#define NEED_OPTS(ctx, opts, fn)                                                                   \
    do {                                                                                           \
        if ((opts) == NULL) {                                                                      \
            return gp_error((ctx), GP_ERR_ARG, "%s: options are NULL", (fn));                      \
        }                                                                                          \
    } while (0)

gp_status gp_options_set_bounds(gp_context *ctx, gp_options *opts, int64_t min_households,
                                int64_t max_households)
{
    NEED_OPTS(ctx, opts, "gp_options_set_bounds");
    if (min_households < 0) {
        return gp_error(ctx, GP_ERR_ARG, "min households %" PRId64 " is negative", min_households);
    }
    if (max_households < 1) {
        return gp_error(ctx, GP_ERR_ARG, "max households %" PRId64 " must be at least 1",
                        max_households);
    }
    if (min_households > max_households) {
        return gp_error(ctx, GP_ERR_ARG,
                        "min households %" PRId64 " is greater than max households %" PRId64,
                        min_households, max_households);
    }
    if (opts->target != 0 && (opts->target < min_households || opts->target > max_households)) {
        return gp_error(ctx, GP_ERR_ARG,
                        "target households %" PRId64 " lies outside the new bounds [%" PRId64
                        ", %" PRId64 "]; set the target first or to 0",
                        opts->target, min_households, max_households);
    }
    opts->min_households = min_households;
    opts->max_households = max_households;
    return GP_OK;
}

gp_status gp_options_set_target(gp_context *ctx, gp_options *opts, int64_t target)
{
    NEED_OPTS(ctx, opts, "gp_options_set_target");
    if (target != 0 && (target < opts->min_households || target > opts->max_households)) {
        return gp_error(ctx, GP_ERR_ARG,
                        "target households %" PRId64 " lies outside the bounds [%" PRId64
                        ", %" PRId64 "]",
                        target, opts->min_households, opts->max_households);
    }
    opts->target = target;
    return GP_OK;
}

gp_status gp_options_set_grid_count(gp_context *ctx, gp_options *opts, int32_t grids)
{
    NEED_OPTS(ctx, opts, "gp_options_set_grid_count");
    if (grids < 0) {
        return gp_error(ctx, GP_ERR_ARG, "grid count %" PRId32 " is negative (0 means automatic)",
                        grids);
    }
    opts->grid_count = grids;
    return GP_OK;
}

gp_status gp_options_set_seed(gp_context *ctx, gp_options *opts, uint64_t seed)
{
    NEED_OPTS(ctx, opts, "gp_options_set_seed");
    opts->seed = seed;
    return GP_OK;
}

gp_status gp_options_set_threads(gp_context *ctx, gp_options *opts, int32_t threads)
{
    NEED_OPTS(ctx, opts, "gp_options_set_threads");
    if (threads < 0 || threads > 1024) {
        return gp_error(ctx, GP_ERR_ARG, "threads %" PRId32 " is not in [0, 1024] (0: one per core)",
                        threads);
    }
    opts->threads = threads;
    return GP_OK;
}

gp_status gp_options_set_snap_tolerance(gp_context *ctx, gp_options *opts, double metres)
{
    NEED_OPTS(ctx, opts, "gp_options_set_snap_tolerance");
    if (!isfinite(metres) || metres < 0.0 || metres > 100.0) {
        return gp_error(ctx, GP_ERR_ARG, "snapping tolerance %g m is not in [0, 100]", metres);
    }
    opts->snap_tolerance = metres;
    return GP_OK;
}

gp_status gp_options_set_sliver_area(gp_context *ctx, gp_options *opts, double square_metres)
{
    NEED_OPTS(ctx, opts, "gp_options_set_sliver_area");
    if (!isfinite(square_metres) || square_metres < 0.0) {
        return gp_error(ctx, GP_ERR_ARG, "sliver area %g m^2 must be finite and >= 0",
                        square_metres);
    }
    opts->sliver_area = square_metres;
    return GP_OK;
}

gp_status gp_options_set_effort(gp_context *ctx, gp_options *opts, double effort)
{
    NEED_OPTS(ctx, opts, "gp_options_set_effort");
    if (!isfinite(effort) || effort <= 0.0 || effort > 100.0) {
        return gp_error(ctx, GP_ERR_ARG, "effort %g is not in (0, 100]", effort);
    }
    opts->effort = effort;
    return GP_OK;
}

gp_status gp_options_set_time_limit(gp_context *ctx, gp_options *opts, double seconds)
{
    NEED_OPTS(ctx, opts, "gp_options_set_time_limit");
    if (!isfinite(seconds) || seconds < 0.0) {
        return gp_error(ctx, GP_ERR_ARG, "time limit %g s is not a finite number >= 0", seconds);
    }
    opts->time_limit = seconds;
    return GP_OK;
}

gp_status gp_options_set_split(gp_context *ctx, gp_options *opts, int32_t mode)
{
    NEED_OPTS(ctx, opts, "gp_options_set_split");
    if (mode < GP_SPLIT_NEVER || mode > GP_SPLIT_NEEDED) {
        return gp_error(ctx, GP_ERR_ARG,
                        "split mode %" PRId32 " is not one of 0 (never), 1 (oversize), 2 (needed)",
                        mode);
    }
    opts->split = mode;
    return GP_OK;
}

gp_status gp_options_set_work_crs(gp_context *ctx, gp_options *opts, const char *crs)
{
    NEED_OPTS(ctx, opts, "gp_options_set_work_crs");
    size_t n = crs ? strlen(crs) : 0;
    if (n >= sizeof opts->work_crs) {
        return gp_error(ctx, GP_ERR_ARG, "working CRS '%.40s...' is longer than %zu characters",
                        crs, sizeof opts->work_crs - 1);
    }
    memcpy(opts->work_crs, n ? crs : "", n + 1);
    return GP_OK;
}

gp_status gp_options_set_overlaps(gp_context *ctx, gp_options *opts, int32_t mode)
{
    NEED_OPTS(ctx, opts, "gp_options_set_overlaps");
    if (mode != GP_OVERLAPS_ERROR && mode != GP_OVERLAPS_FIRST) {
        return gp_error(ctx, GP_ERR_ARG,
                        "overlaps mode %" PRId32 " is not one of 0 (error), 1 (first)", mode);
    }
    opts->overlaps = mode;
    return GP_OK;
}

gp_status gp_options_set_balance(gp_context *ctx, gp_options *opts, int32_t mode)
{
    NEED_OPTS(ctx, opts, "gp_options_set_balance");
    if (mode != GP_BALANCE_AUTO && mode != GP_BALANCE_WORKLOAD && mode != GP_BALANCE_HOUSEHOLDS) {
        return gp_error(ctx, GP_ERR_ARG,
                        "balance mode %" PRId32
                        " is not one of 0 (auto), 1 (workload), 2 (households)",
                        mode);
    }
    opts->balance = mode;
    return GP_OK;
}

int32_t gp_options_get_balance(const gp_options *opts)
{
    return opts ? opts->balance : 0;
}

gp_status gp_options_set_max_workload(gp_context *ctx, gp_options *opts, double max_workload)
{
    NEED_OPTS(ctx, opts, "gp_options_set_max_workload");
    if (!isfinite(max_workload) || max_workload < 0) {
        return gp_error(ctx, GP_ERR_ARG,
                        "maximum workload %g is not a finite number >= 0 (0: no cap)",
                        max_workload);
    }
    opts->max_workload = max_workload;
    return GP_OK;
}

double gp_options_get_max_workload(const gp_options *opts)
{
    return opts ? opts->max_workload : 0.0;
}

int32_t gp_options_get_overlaps(const gp_options *opts)
{
    return opts ? opts->overlaps : 0;
}

const char *gp_options_get_work_crs(const gp_options *opts)
{
    return opts ? opts->work_crs : "";
}

int64_t gp_options_get_min(const gp_options *opts)
{
    return opts ? opts->min_households : 0;
}
int64_t gp_options_get_max(const gp_options *opts)
{
    return opts ? opts->max_households : 0;
}
int64_t gp_options_get_target(const gp_options *opts)
{
    return opts ? gp_options_target(opts) : 0;
}
int32_t gp_options_get_grid_count(const gp_options *opts)
{
    return opts ? opts->grid_count : 0;
}
uint64_t gp_options_get_seed(const gp_options *opts)
{
    return opts ? opts->seed : 0;
}
int32_t gp_options_get_threads(const gp_options *opts)
{
    return opts ? opts->threads : 0;
}
double gp_options_get_snap_tolerance(const gp_options *opts)
{
    return opts ? opts->snap_tolerance : 0.0;
}
double gp_options_get_sliver_area(const gp_options *opts)
{
    return opts ? opts->sliver_area : 0.0;
}
double gp_options_get_effort(const gp_options *opts)
{
    return opts ? opts->effort : 0.0;
}
double gp_options_get_time_limit(const gp_options *opts)
{
    return opts ? opts->time_limit : 0.0;
}
int32_t gp_options_get_split(const gp_options *opts)
{
    return opts ? opts->split : 0;
}
