/* SPDX-License-Identifier: MIT */
/** @file plan.h Internal view of gp_plan: the grids, blocks and statistics of a finished run. */

#ifndef GP_PIPELINE_PLAN_H
#define GP_PIPELINE_PLAN_H

#include "gridpart.h"

#include "core/options.h"
#include "inputs.h"

#include <stddef.h>
#include <stdint.h>

/* Geometries are kept as WKB so that a plan is plain data: immutable, free of engine handles,
 * readable from any thread. `wkb` is in the output CRS, `wkb_work` in the metric working CRS. */
typedef struct {
    unsigned char *wkb;
    size_t wkb_size;
    unsigned char *wkb_work;
    size_t wkb_work_size;
    int packed; /* both WKB lie in one of the plan's slabs (gp_plan_pack): not freed alone */
} gp_plan_shape;

typedef struct {
    char *code;
    int32_t community; /* index into communities */
    int64_t households;
    double workload;
    int32_t blocks;
    char flags[64];          /* comma-separated: split_block, over_max, under_min */
    double label_x, label_y; /* a point inside the grid, working CRS */
    double area, perimeter;  /* working CRS, m^2 and m */
    gp_plan_shape shape;
    double off_streets_m; /* gp_check: border farther than the tolerance from streets (m) */
    int32_t change;          /* adjust: GP_CHANGE_* (codes.h); 0 outside adjust */
    char *worker; /* the worker's id (roster.c), NULL when none */
} gp_plan_grid;

typedef struct {
    int64_t block_id; /* 1-based within its community, stable for the same input */
    int32_t community;
    int32_t grid; /* index into grids */
    int64_t households;
    int32_t on_streets; /* 0 when a side is a split cut */
    gp_plan_shape shape;
} gp_plan_block;

/* adjust: what became of one community's previous grids, and how they fit its blocks. */
typedef struct {
    int32_t previous;   /* previous grids of the community */
    int32_t kept, changed, added, retired;
    char **retired_code; /* `retired` codes (owned) */
    int64_t moved;       /* households whose grid code is not the one they had */
    int64_t labelled;    /* households that had a previous grid */
    double block_area;   /* its street blocks' area, m^2... */
    double matched_area; /* ...inside the previous grid each belongs to */
    int32_t split;       /* blocks split between two previous grids (by area) */
    int32_t unlabelled;  /* blocks in no previous grid */
} gp_plan_adjusted;

typedef struct {
    char *id;
    int64_t households;
    int32_t first_grid, n_grids;
    int32_t first_block, n_blocks;
    int32_t out_of_bounds;
    int32_t feasible; /* some whole number of grids can hold its households */
    double workload_ratio;
    double cut_cost;
    int32_t split_blocks; /* street blocks cut into pieces */
    double split_off_m;   /* metres of cut between buildings (grid border off streets) */
    double split_path_m;  /* metres of cut along internal paths */
    gp_plan_shape shape; /* the community itself (for the map) */
    gp_plan_adjusted adjusted; /* adjust: what became of its previous grids */
    /* Staffing (roster.c): workers the rule requires, workers on the roster, of them given no
     * grid, and the residents the per10k rule counted. */
    int64_t staffing_required;
    int32_t staffing_roster;
    int32_t staffing_unassigned;
    double residents;
} gp_plan_community;

/* A worker of the roster and the grids given to them (roster.c). */
typedef struct {
    char *id;
    int32_t community; /* index into communities */
    int64_t fid;       /* the roster's feature id */
    char *grid_codes;  /* comma-separated, in code order; "" for a surplus worker */
    int32_t grids;
    int64_t households;
    double workload;
    gp_plan_shape shape; /* the union of the worker's grids; empty for a surplus worker */
} gp_plan_worker;

/* A household feature of the input and the grid it went to (since 0.3): gp_run and gp_adjust
 * record one per usable feature (grid -1: outside every community), in ascending fid order
 * once the run is complete (gp_plan_sort_households). */
typedef struct {
    int64_t fid;
    int32_t grid; /* index into grids, or -1 */
} gp_plan_household;

/* A problem a user sees: a record, never internal ids (graph vertices, grid indexes). */
typedef struct {
    int32_t severity;   /* gp_severity */
    int32_t kind;       /* gp_problem_kind */
    int32_t community;  /* index into communities, or -1 for the whole run */
    char *grid_code;    /* the grid at fault, or NULL */
    int64_t *blocks;    /* block ids within the community (as in the blocks layer) */
    int32_t n_blocks;
    int64_t *features;  /* input feature ids */
    int32_t n_features;
    char *message;
} gp_problem_record;

/* Where a problem is, for gp_plan_add_problem; pointers are copied. */
typedef struct {
    int32_t severity, kind, community;
    const char *grid_code;
    const int64_t *blocks;
    int32_t n_blocks;
    const int64_t *features;
    int32_t n_features;
} gp_problem_where;

enum { GP_STAGE_READ, GP_STAGE_BLOCKS, GP_STAGE_PARTITION, GP_STAGE_ASSEMBLE, GP_STAGE_COUNT };

struct gp_plan {
    gp_plan_community *communities;
    int32_t n_communities, cap_communities;
    gp_plan_grid *grids;
    int32_t n_grids, cap_grids;
    gp_plan_block *blocks;
    int32_t n_blocks, cap_blocks;
    char *crs_wkt;              /* output CRS (the communities') */
    int64_t households_read;    /* in every household feature */
    int64_t features_read[4];   /* per input layer (gp_read_layer), each pass counted */
    int64_t households_outside; /* in features outside every community */
    int64_t features_outside;
    double extra_load_read;    /* extra loads of every extra-load feature (0.3) */
    double extra_load_outside; /* of features outside every community */
    double workload_in;        /* workload inside communities: what the grids must add up to */
    int64_t output_repaired; /* output geometries invalid in the output CRS, repaired */
    gp_problem_record *problems; /* run-wide ones first, then each community's, in order */
    int32_t n_problems, cap_problems;
    /* Street lines in the working CRS, for the map (WKB), and the working-CRS bounds. */
    gp_plan_shape *streets;
    int32_t n_streets, cap_streets;
    double seconds[GP_STAGE_COUNT]; /* read: wall clock; the others summed over threads */
    double wall_seconds;            /* the whole gp_run, wall clock */
    int32_t threads;                /* worker threads used */
    int64_t min_households, max_households;
    /* What the run was given, for the report: the inputs (passwords masked), the options and
     * the working CRS chosen ("EPSG:32619: WGS 84 / UTM zone 19N"). */
    gp_inputs *inputs;
    gp_options options;
    char *work_crs;
    /* gp_check only (check.c): the audit's own facts; check_grids NULL for a run. */
    char *check_grids;               /* the audited layer, "path:layer" */
    int32_t check_assumed_crs;       /* it had no CRS: taken to be the communities' */
    int64_t check_households_no_grid; /* households in a community but in no grid */
    int32_t check_hard_failures;     /* violations of hard rules */
    /* adjust: 1 when the plan repairs a previous division; its label ("path:layer"); its
     * grids in no community. */
    int32_t adjust;
    char *previous;
    int64_t previous_outside;
    /* Workers of the roster (since 0.3), in community order, then id order. has_staffing: a
     * staffing rule or a roster was given; has_roster: a roster was given. */
    gp_plan_worker *workers;
    int32_t n_workers, cap_workers;
    int32_t has_staffing, has_roster;
    /* Household features and their grids (since 0.3; empty for gp_check). */
    gp_plan_household *hh;
    int64_t n_hh, cap_hh;
    /* Slabs holding packed shapes (gp_plan_pack), freed with the plan. */
    unsigned char **slabs;
    int32_t n_slabs, cap_slabs;
};

/** Create an empty plan. */
gp_status gp_plan_new(gp_context *ctx, gp_plan **out);

/** Append entries; each returns a pointer to the zeroed new entry or NULL (GP_ERR_NOMEM set). */
gp_plan_community *gp_plan_add_community(gp_context *ctx, gp_plan *plan);
gp_plan_grid *gp_plan_add_grid(gp_context *ctx, gp_plan *plan);
gp_plan_block *gp_plan_add_block(gp_context *ctx, gp_plan *plan);
gp_plan_shape *gp_plan_add_street(gp_context *ctx, gp_plan *plan);
gp_plan_worker *gp_plan_add_worker(gp_context *ctx, gp_plan *plan);

/** Append household feature `fid`, in grid `grid` (-1: outside every community). */
gp_status gp_plan_add_household(gp_context *ctx, gp_plan *plan, int64_t fid, int32_t grid);

/** Sort the household features by fid (a complete plan, before it is returned). */
void gp_plan_sort_households(gp_plan *plan);

/** Append a problem record with a formatted message. */
gp_status gp_plan_add_problem(gp_context *ctx, gp_plan *plan, const gp_problem_where *where,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Move the WKB of every shape of `plan` into one slab it owns, freeing the pieces: a worker
 * thread packs each finished community, so that what the run keeps does not lie scattered
 * among its temporaries (glibc's per-thread heaps then stay compact: unpacked, its malloc grew
 * 60% slower in the blocks stage over a 2,000-community run). The shapes are unchanged. */
gp_status gp_plan_pack(gp_context *ctx, gp_plan *plan);

/** Append a plan's content (a per-community partial plan) to another, moving ownership. */
gp_status gp_plan_absorb(gp_context *ctx, gp_plan *into, gp_plan *from);

/** Release a shape's buffers. */
void gp_plan_shape_clear(gp_plan_shape *shape);

#endif /* GP_PIPELINE_PLAN_H */
