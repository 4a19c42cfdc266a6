/* SPDX-License-Identifier: MIT */
/** @file status.c Status code descriptions and the library version. */

#include "gridpart.h"

static const char *const STATUS_STRINGS[GP_STATUS_COUNT] = {
    [GP_OK] = "success",
    [GP_ERR_ARG] = "invalid argument",
    [GP_ERR_NOMEM] = "out of memory",
    [GP_ERR_IO] = "input/output error",
    [GP_ERR_INPUT] = "unusable input data",
    [GP_ERR_CRS] = "coordinate reference system error",
    [GP_ERR_GEOMETRY] = "geometry error",
    [GP_ERR_INFEASIBLE] = "bounds cannot be met",
    [GP_ERR_CANCELED] = "canceled",
    [GP_ERR_INTERNAL] = "internal error",
    [GP_ERR_LIMIT] = "input too large",
};

const char *gp_status_string(gp_status status)
{
    if (status < 0 || status >= GP_STATUS_COUNT || STATUS_STRINGS[status] == NULL) {
        return "unknown status";
    }
    return STATUS_STRINGS[status];
}

const char *gp_version(void)
{
    return GP_VERSION_STRING;
}

int32_t gp_version_number(void)
{
    return GP_VERSION_NUMBER;
}

static const char *const KIND_NAMES[] = {
    [GP_PROBLEM_VERTEX_OVER_MAX] = "vertex_over_max",
    [GP_PROBLEM_COMPONENT_INFEASIBLE] = "component_infeasible",
    [GP_PROBLEM_GRID_COUNT] = "grid_count",
    [GP_PROBLEM_BOUNDS_UNMET] = "bounds_unmet",
    [GP_PROBLEM_JOINED_OVER_MAX] = "joined_over_max",
    [GP_PROBLEM_HOUSEHOLDS_OUTSIDE] = "households_outside",
    [GP_PROBLEM_FEATURES_SKIPPED] = "features_skipped",
    [GP_PROBLEM_GEOMETRY_REPAIRED] = "geometry_repaired",
    [GP_PROBLEM_BLOCKS_MERGED] = "blocks_merged",
    [GP_PROBLEM_BLOCK_CUT] = "block_cut",
    [GP_PROBLEM_COUNT_FIELD] = "count_field",
    [GP_PROBLEM_COMMUNITY_OVERLAP] = "community_overlap",
    [GP_PROBLEM_OUTPUT_REPAIRED] = "output_repaired",
    [GP_PROBLEM_NO_STREETS] = "no_streets",
    [GP_PROBLEM_DUPLICATE_FEATURES] = "duplicate_features",
    [GP_PROBLEM_WORKLOAD_OVER_MAX] = "workload_over_max",
    [GP_PROBLEM_GRID_CHANGED] = "grid_changed",
    [GP_PROBLEM_PREVIOUS_FIT] = "previous_fit",
    [GP_PROBLEM_NO_WORKER] = "no_worker",
    [GP_PROBLEM_STAFFING] = "staffing",
    [GP_PROBLEM_GRIDS_GAP] = "grids_gap",
    [GP_PROBLEM_GRIDS_OVERLAP] = "grids_overlap",
    [GP_PROBLEM_GRID_NOT_CONTIGUOUS] = "grid_not_contiguous",
    [GP_PROBLEM_GRID_OFF_STREETS] = "grid_off_streets",
    [GP_PROBLEM_GRID_CROSSES_COMMUNITY] = "grid_crosses_community",
    [GP_PROBLEM_LOAD_OUTSIDE] = "load_outside",
};

const char *gp_problem_kind_name(int32_t kind)
{
    if (kind < 0 || kind >= (int32_t)(sizeof KIND_NAMES / sizeof KIND_NAMES[0]) ||
        KIND_NAMES[kind] == NULL) {
        return "unknown";
    }
    return KIND_NAMES[kind];
}
