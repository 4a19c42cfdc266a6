/* SPDX-License-Identifier: MIT */
/** @file options.h Internal view of gp_options. */

#ifndef GP_CORE_OPTIONS_H
#define GP_CORE_OPTIONS_H

#include "gridpart.h"

/* A staffing rule and its parameters (gp_options_set_staffing). */
typedef struct {
    int32_t rule;        /* gp_staffing_rule */
    int64_t base;        /* zhejiang: workers up to `above` households */
    int64_t above;       /* zhejiang: households covered by the base */
    int64_t per;         /* zhejiang: one more worker per this many households above */
    double per10k;       /* per10k: workers per 10,000 residents */
    double persons;      /* per10k: residents per household when no residents field */
} gp_staffing_rule_params;

struct gp_options {
    int64_t min_households;
    int64_t max_households;
    int64_t target; /* 0: midpoint of the bounds */
    int32_t grid_count; /* 0: automatic */
    uint64_t seed;
    int32_t threads; /* 0: one per core */
    double snap_tolerance;
    double sliver_area;
    double effort;
    double time_limit; /* seconds a run may take; 0: none */
    int32_t split;    /* gp_split_mode */
    int32_t overlaps; /* gp_overlaps_mode */
    int32_t balance;  /* gp_balance_mode */
    double max_workload; /* 0: no cap */
    char work_crs[256]; /* the working CRS the user chose ("EPSG:32650"), or "" to choose */
    gp_staffing_rule_params staffing; /* the staffing rule (core/staffing.c) */
};

/** The defaults (the one DEFAULTS table), for internal callers given no options. */
const gp_options *gp_options_defaults(void);

/** The effective target: opts->target, or the midpoint of the bounds when it is 0. */
int64_t gp_options_target(const gp_options *opts);

#endif /* GP_CORE_OPTIONS_H */
