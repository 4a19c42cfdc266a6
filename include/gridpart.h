/* SPDX-License-Identifier: MIT */
/** @file gridpart.h The public C API of gridpart: divide city communities into service grids. */

#ifndef GRIDPART_H
#define GRIDPART_H

#include <stddef.h>
#include <stdint.h>

#include "gridpart_version.h"

/*
 * Conventions (see README "API conventions"):
 * - Every fallible function returns a gp_status; 0 (GP_OK) is success. Outputs come last.
 * - The context comes first. A context is used by one thread at a time; use one per thread.
 * - Constructors write `T **out`; the caller frees the object with exactly one gp_T_free();
 *   gp_T_free(NULL) is a no-op.
 * - Inputs are copied, never adopted. Accessors return borrowed pointers valid until the
 *   owning object is freed.
 * - Memory the library allocates for the caller is freed with gp_free(), never libc free().
 */

/** Marks a symbol exported from the shared library; everything else is hidden. */
#if defined(_WIN32) && defined(GP_BUILDING_SHARED)
#define GP_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(GP_STATIC)
#define GP_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define GP_API __attribute__((visibility("default")))
#else
#define GP_API
#endif

/** Warns when a caller ignores a returned status. */
#if defined(__GNUC__) || defined(__clang__)
#define GP_NODISCARD __attribute__((warn_unused_result))
#else
#define GP_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                               */
/* ------------------------------------------------------------------------------------------ */

/** Result of every fallible function: one of the GP_* codes below. */
typedef int32_t gp_status;

/**
 * Status codes. Values are fixed forever and only ever appended; GP_STATUS_COUNT is a sentinel
 * one past the last code. The context's last error message (gp_context_last_error) says which
 * input was at fault.
 */
enum {
    GP_OK = 0,             /**< Success. */
    GP_ERR_ARG = 1,        /**< An argument or option value is invalid (e.g. min > max). */
    GP_ERR_NOMEM = 2,      /**< Memory allocation failed. */
    GP_ERR_IO = 3,         /**< A file or data source could not be opened, read or written. */
    GP_ERR_INPUT = 4,      /**< Input data is unusable: missing layer or field, bad value. */
    GP_ERR_CRS = 5,        /**< A coordinate reference system is missing or cannot be used. */
    GP_ERR_GEOMETRY = 6,   /**< The geometry engine failed on an input feature. */
    GP_ERR_INFEASIBLE = 7, /**< No division can meet the bounds; the least-violating one is given. */
    GP_ERR_CANCELED = 8,   /**< The progress callback asked to stop. */
    GP_ERR_INTERNAL = 9,   /**< An internal invariant failed: a bug, please report it. */
    GP_ERR_LIMIT = 10,     /**< Input exceeds a size the library supports (e.g. int32 indices). */
    GP_STATUS_COUNT = 11   /**< Sentinel: number of status codes. Not a status. */
};

/**
 * Describe a status code.
 * @param[in] status any value.
 * @return a static, never-NULL string; "unknown status" for values outside the enum.
 * @since 0.1
 */
GP_API const char *gp_status_string(gp_status status);

/* ------------------------------------------------------------------------------------------ */
/* Version                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * The runtime library version as "MAJOR.MINOR.PATCH". Compare with GP_VERSION_STRING to detect
 * a header/library mismatch.
 * @return a static string.
 * @since 0.1
 */
GP_API const char *gp_version(void);

/**
 * The runtime library version as one number: MAJOR * 10000 + MINOR * 100 + PATCH.
 * @return the version number (equals GP_VERSION_NUMBER for a matching build).
 * @since 0.1
 */
GP_API int32_t gp_version_number(void);

/* ------------------------------------------------------------------------------------------ */
/* Memory                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * Free memory that the library allocated for the caller (strings, arrays).
 * @param[in] ptr memory returned by a gridpart function, or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_free(void *ptr);

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Per-thread state: last error message, callbacks, geometry and projection engine handles. */
typedef struct gp_context gp_context;

/** Severity of a log message. */
typedef enum {
    GP_LOG_DEBUG = 0, /**< Detail for developers. */
    GP_LOG_INFO = 1,  /**< Progress of a run: stages, counts, timings. */
    GP_LOG_WARN = 2,  /**< Something was repaired or skipped; the result is still valid. */
    GP_LOG_ERROR = 3  /**< Reserved. Errors are returned as a status with the context's last
                           error message (gp_context_last_error), not logged (since 0.2). */
} gp_log_level;

/**
 * Receives finished log lines. The library never prints by itself.
 * @param[in] level severity.
 * @param[in] message a NUL-terminated line without trailing newline, valid during the call.
 * @param[in] user the pointer given to gp_context_set_log.
 */
typedef void (*gp_log_fn)(gp_log_level level, const char *message, void *user);

/**
 * Receives progress. Return non-zero to cancel: the running call stops soon and returns
 * GP_ERR_CANCELED. A call done again from the start because a GEOS interrupt asked elsewhere
 * in the process was taken by its work (rare: see gp_options_set_time_limit) reports its
 * progress again from 0, and its log messages come again.
 * @param[in] fraction overall progress of the running call in [0, 1].
 * @param[in] stage a short static name of the current stage (e.g. "partition").
 * @param[in] user the pointer given to gp_context_set_progress.
 * @return 0 to continue, non-zero to cancel.
 */
typedef int32_t (*gp_progress_fn)(double fraction, const char *stage, void *user);

/**
 * Create a context. Use one context per thread.
 * @param[out] out receives the new context; set to NULL on failure.
 * @return GP_OK, GP_ERR_ARG (out is NULL), GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_context_new(gp_context **out);

/**
 * Free a context and its engine handles.
 * @param[in] ctx a context or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_context_free(gp_context *ctx);

/**
 * The message of the last error recorded in this context, naming the input at fault,
 * e.g. "households.gpkg: feature 1532: field 'households': count -4 is negative".
 * @param[in] ctx a context, or NULL.
 * @return a borrowed string valid until the next call on ctx; "" when no error was recorded.
 * @since 0.1
 */
GP_API const char *gp_context_last_error(const gp_context *ctx);

/**
 * The status of the last error recorded in this context.
 * @param[in] ctx a context, or NULL.
 * @return the status, GP_OK when none was recorded (or ctx is NULL).
 * @since 0.1
 */
GP_API gp_status gp_context_last_status(const gp_context *ctx);

/**
 * Forget the last error.
 * @param[in,out] ctx a context, or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_context_clear_error(gp_context *ctx);

/**
 * Set the log callback and the lowest level it receives (default: none).
 * @param[in,out] ctx the context.
 * @param[in] fn the callback, or NULL to log nothing.
 * @param[in] min_level messages below this level are not formatted.
 * @param[in] user passed to fn unchanged.
 * @return GP_OK, GP_ERR_ARG (ctx NULL or level out of range).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_context_set_log(gp_context *ctx, gp_log_fn fn,
                                                 gp_log_level min_level, void *user);

/**
 * Set the progress callback (default: none), which can cancel a running call.
 * @param[in,out] ctx the context.
 * @param[in] fn the callback, or NULL.
 * @param[in] user passed to fn unchanged.
 * @return GP_OK, GP_ERR_ARG (ctx NULL).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_context_set_progress(gp_context *ctx, gp_progress_fn fn,
                                                      void *user);

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Parameters of a division. Setters validate and leave the options unchanged on error. */
typedef struct gp_options gp_options;

/**
 * Create options with the defaults: bounds [300, 500] households, target 400, automatic grid
 * count, seed 1, threads 0 (one per core), snapping tolerance 2 m, sliver area 10 m^2,
 * effort 1.0, split GP_SPLIT_NEEDED (since 0.2), overlaps GP_OVERLAPS_ERROR (since 0.2).
 * @param[out] out receives the options; NULL on failure.
 * @return GP_OK, GP_ERR_ARG, GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_new(gp_options **out);

/**
 * Copy options.
 * @param[in] opts the options to copy.
 * @param[out] out receives the copy; NULL on failure.
 * @return GP_OK, GP_ERR_ARG, GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_clone(const gp_options *opts, gp_options **out);

/**
 * Free options.
 * @param[in] opts options or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_options_free(gp_options *opts);

/**
 * Set the household bounds every grid must hold, where the streets allow it.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] min_households lowest households per grid, >= 0.
 * @param[in] max_households highest households per grid, >= max(1, min_households).
 * @return GP_OK; GP_ERR_ARG when min > max, min < 0, max < 1, or an explicitly set target
 *         lies outside the new bounds (the message names the values).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_bounds(gp_context *ctx, gp_options *opts,
                                                    int64_t min_households,
                                                    int64_t max_households);

/**
 * Set the target households per grid, used to choose the grid count (total / target).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] target within the bounds, or 0 for the midpoint of the bounds (the default 400
 *            is the midpoint of the default bounds).
 * @return GP_OK; GP_ERR_ARG when target is negative or outside [min, max].
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_target(gp_context *ctx, gp_options *opts,
                                                    int64_t target);

/**
 * Set the grid-count policy.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] grids 0 for automatic (the feasible count closest to total / target), else the
 *            exact number of grids per region (community).
 * @return GP_OK; GP_ERR_ARG when grids is negative.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_grid_count(gp_context *ctx, gp_options *opts,
                                                        int32_t grids);

/**
 * Set the random seed. The same input, options and seed give the same grids on any thread count.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] seed any value.
 * @return GP_OK; GP_ERR_ARG when opts is NULL.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_seed(gp_context *ctx, gp_options *opts,
                                                  uint64_t seed);

/**
 * Set the number of worker threads.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] threads 0 for one per core, else 1..1024.
 * @return GP_OK; GP_ERR_ARG when out of range.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_threads(gp_context *ctx, gp_options *opts,
                                                     int32_t threads);

/**
 * Set the snapping tolerance: street ends closer than this to another street or to the
 * community border are joined to it.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] metres finite, in [0, 100].
 * @return GP_OK; GP_ERR_ARG when not finite or out of range.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_snap_tolerance(gp_context *ctx, gp_options *opts,
                                                            double metres);

/**
 * Set the sliver area: street blocks smaller than this merge into their longest-border
 * neighbour (default 10 m^2, since 0.2; 50 m^2 before). Two more rules merge a block
 * whatever its area: one in which no circle as wide as the snapping tolerance fits (the thin
 * strips that noisy street lines leave), and an uninhabited island under 500 m^2 (an island's
 * only neighbour is the block around it, so merging it rules out no division).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] square_metres finite, >= 0.
 * @return GP_OK; GP_ERR_ARG when not finite or negative.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_sliver_area(gp_context *ctx, gp_options *opts,
                                                         double square_metres);

/**
 * Set the optimizer's effort: a multiplier of its default work budget, which suits interactive
 * use. The work is bounded whatever the input.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] effort finite, in (0, 100].
 * @return GP_OK; GP_ERR_ARG when out of range.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_options_set_effort(gp_context *ctx, gp_options *opts,
                                                    double effort);

/**
 * Set a time limit on a run (gp_run for partition and adjust, gp_graph_partition): once it
 * has passed, the run stops within half a second, whatever the input, and returns
 * GP_ERR_CANCELED with a message naming the limit; no plan or partition is produced. The
 * limit covers reading, block building, splitting, optimizing and assembling; writing
 * (gp_plan_write) is a separate call, outside it. A run that ends within its limit gives the
 * same result as without one (deterministic); one that hits it gives nothing, so a limit never
 * makes results depend on the machine's speed. The GEOS operations of block building are
 * interrupted too, through GEOS's interrupt, which in GEOS 3.11 is process-wide: gridpart
 * registers a callback with GEOS_interruptRegisterCallback at its first run (calling the one
 * registered before it, if any, and putting that one back when gridpart is unloaded); while
 * a run, a check or a write goes on, its threads clear any interrupt asked elsewhere in the
 * process (taken, it would change a result), and a stopped run asks for one only while none of
 * these goes on. One asked elsewhere can still be taken in the instant between that clearing
 * and GEOS's own test. Where GEOS reports it, the work it hit (a community, the run's reading,
 * a check) is done again from the start, up to three tries, with the same result, and only a
 * process that never stops asking fails the run (GP_ERR_GEOMETRY, a message saying so); one
 * that GEOS's robust overlay absorbs (it starts again with snapping) goes unseen. A run
 * stopped beside another one stops when the GEOS step under way ends (seconds for a community
 * of 60,000 blocks, which alone stops within 0.6 s), and so does a run whose worker threads
 * cannot start (the calling thread then does the work, its limit and progress callback checked
 * between steps).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] seconds finite and > 0, or 0 for none (the default).
 * @return GP_OK; GP_ERR_ARG when negative or not finite.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_options_set_time_limit(gp_context *ctx, gp_options *opts,
                                                        double seconds);

/**
 * When the split stage may cut a street block into pieces (DESIGN step 5). A cut is the only
 * grid border allowed off the streets: grids whose border includes one carry the flag
 * `split_block`, and in the `blocks` layer a piece with a side on a cut between buildings has
 * `on_streets` = 0. Values are fixed and only appended.
 * @since 0.2
 */
typedef enum {
    /** Never cut: grids are unions of whole street blocks (the behaviour of 0.1). */
    GP_SPLIT_NEVER = 0,
    /**
     * Cut a block holding more than the maximum households in more than one household feature
     * into pieces that fit: along its internal paths (street lines inside it that bound
     * nothing, such as dead-end service roads and footways) where it has them, else midway
     * between its household features. A single feature above the maximum stays whole, a grid
     * of its own.
     */
    GP_SPLIT_OVERSIZE = 1,
    /**
     * As GP_SPLIT_OVERSIZE; and when a community's total admits a whole number of grids
     * within the bounds but no division of its whole blocks does, cut the fewest blocks
     * needed (chosen among the blocks in and around the grids that break a bound; a cut never
     * passes through a household feature and may leave a piece empty), and divide again.
     * The default.
     */
    GP_SPLIT_NEEDED = 2
} gp_split_mode;

/**
 * Set when blocks may be cut (default GP_SPLIT_NEEDED).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] mode a gp_split_mode value.
 * @return GP_OK; GP_ERR_ARG when mode is not a gp_split_mode value.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_options_set_split(gp_context *ctx, gp_options *opts,
                                                   int32_t mode);

/**
 * Set the working CRS: the metric projected CRS all geometry work happens in (default: the
 * communities' own CRS when it is projected in metres, else the CGCS2000 3-degree
 * Gauss-Kruger zone for CGCS2000 data, else the UTM zone of the data's centre). The report
 * names the one used. It is checked when a run starts (GP_ERR_CRS when GDAL does not know it
 * or it is not projected in metres).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] crs any text GDAL's OSRSetFromUserInput reads ("EPSG:4547", a WKT, a PROJ
 *            string), or NULL or "" to choose it from the data.
 * @return GP_OK; GP_ERR_ARG when longer than 255 characters.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_options_set_work_crs(gp_context *ctx, gp_options *opts,
                                                      const char *crs);

/**
 * What a run does when two communities overlap (their interiors share area), which would put
 * some households and street blocks in both. Every overlapping pair is found before any other
 * work; the overlap is classed by its parts: a part narrower than the snapping tolerance (no
 * circle that wide fits in it) or smaller than the sliver area is a digitising sliver (two
 * tracings of one border); any other part makes it a real overlap. Slivers are always
 * tolerated: each goes to the community whose id comes first (byte order, as a household on
 * the border of two communities does, so the order of the features does not matter), which
 * keeps its households; the other loses it; the plan reports them in one note
 * (GP_PROBLEM_COMMUNITY_OVERLAP: pairs, total area, feature ids). Values are fixed and only
 * appended.
 * @since 0.2
 */
typedef enum {
    /**
     * A real overlap is an error: gp_run returns GP_ERR_INPUT naming both communities (ids and
     * feature ids) and the overlap's area in m^2. The default.
     */
    GP_OVERLAPS_ERROR = 0,
    /**
     * A real overlap goes, like a sliver, to the community whose id comes first: the other is
     * divided without it, so no two grids overlap and each household is counted in exactly one
     * grid. Each resolved pair is a warning of the plan (GP_PROBLEM_COMMUNITY_OVERLAP, naming
     * both communities and the area) and of the log. A community left with no area is still
     * an error (GP_ERR_INPUT).
     */
    GP_OVERLAPS_FIRST = 1
} gp_overlaps_mode;

/**
 * Set what a run does when communities overlap (default GP_OVERLAPS_ERROR).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] mode a gp_overlaps_mode value.
 * @return GP_OK; GP_ERR_ARG when opts is NULL or mode is not a gp_overlaps_mode value (the
 *         message names the value).
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_options_set_overlaps(gp_context *ctx, gp_options *opts,
                                                      int32_t mode);

/**
 * What the optimizer evens out between the grids of a community, within the household bounds
 * (which stay hard). Values are fixed and only appended.
 * @since 0.3
 */
typedef enum {
    /** The workload when one is given (gp_graph_set_workload; in a run: any weight or extra
     * load), else households. The default. */
    GP_BALANCE_AUTO = 0,
    GP_BALANCE_WORKLOAD = 1,   /**< The workload (households when none is given). */
    GP_BALANCE_HOUSEHOLDS = 2  /**< Households, whatever the workload. */
} gp_balance_mode;

/**
 * Set what the optimizer balances (default GP_BALANCE_AUTO).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] mode a gp_balance_mode value.
 * @return GP_OK; GP_ERR_ARG (opts NULL, or mode not a gp_balance_mode value: names it).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_options_set_balance(gp_context *ctx, gp_options *opts,
                                                     int32_t mode);

/**
 * Set a hard cap on a grid's workload, beside the household bounds: the optimizer keeps every
 * grid's workload at or below it where any division allows, and reports each grid above it as
 * a violation (GP_PROBLEM_WORKLOAD_OVER_MAX) otherwise.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] max_workload > 0, or 0 for no cap (the default).
 * @return GP_OK; GP_ERR_ARG (negative, NaN or infinite).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_options_set_max_workload(gp_context *ctx, gp_options *opts,
                                                          double max_workload);

/** @return lowest households per grid. @since 0.1 */
GP_API int64_t gp_options_get_min(const gp_options *opts);
/** @return highest households per grid. @since 0.1 */
GP_API int64_t gp_options_get_max(const gp_options *opts);
/** @return target households per grid (the effective value, never 0). @since 0.1 */
GP_API int64_t gp_options_get_target(const gp_options *opts);
/** @return grid count policy: 0 automatic, else the fixed count. @since 0.1 */
GP_API int32_t gp_options_get_grid_count(const gp_options *opts);
/** @return the seed. @since 0.1 */
GP_API uint64_t gp_options_get_seed(const gp_options *opts);
/** @return the thread setting (0 means one per core). @since 0.1 */
GP_API int32_t gp_options_get_threads(const gp_options *opts);
/** @return the snapping tolerance in metres. @since 0.1 */
GP_API double gp_options_get_snap_tolerance(const gp_options *opts);
/** @return the sliver area in square metres. @since 0.1 */
GP_API double gp_options_get_sliver_area(const gp_options *opts);
/** @return the effort multiplier. @since 0.1 */
GP_API double gp_options_get_effort(const gp_options *opts);
/** @return the time limit in seconds; 0 for none. @since 0.3 */
GP_API double gp_options_get_time_limit(const gp_options *opts);
/** @return the split mode (a gp_split_mode value). @since 0.2 */
GP_API int32_t gp_options_get_split(const gp_options *opts);
/** @return the working CRS set (borrowed), "" when it is chosen from the data. @since 0.2 */
GP_API const char *gp_options_get_work_crs(const gp_options *opts);
/** @return the overlaps mode (a gp_overlaps_mode value). @since 0.2 */
GP_API int32_t gp_options_get_overlaps(const gp_options *opts);
/** @return the balance mode (a gp_balance_mode value). @since 0.3 */
GP_API int32_t gp_options_get_balance(const gp_options *opts);
/** @return the workload cap, 0 when there is none. @since 0.3 */
GP_API double gp_options_get_max_workload(const gp_options *opts);

/* ---- Staffing rules (since 0.3) ---------------------------------------------------------- */

/**
 * How many full-time community workers a community needs. Values are fixed and only appended.
 * @since 0.3
 */
typedef enum {
    GP_STAFFING_NONE = 0,     /**< No rule: the report has no required workers. The default. */
    /** Zhejiang 2021: `base` workers up to `above` households, then one more per `per`
     * households or part of them above: base + ceil((households - above) / per). */
    GP_STAFFING_ZHEJIANG = 1,
    /** N workers per 10,000 residents, rounded up: ceil(N x residents / 10,000); residents
     * from the residents field (gp_inputs_set_residents_field) or households x persons. */
    GP_STAFFING_PER10K = 2,
    GP_STAFFING_GRID = 3      /**< One worker per grid (一格一员). */
} gp_staffing_rule;

/**
 * Set the staffing rule from its text, as the CLI's --staffing takes it:
 * "zhejiang[:base=6,above=2000,per=350]", "per10k:N[,persons=2.6]" (N > 0, a real number),
 * "grid", or "" / "none" / NULL for none. Parameters not named keep the defaults shown.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] opts the options.
 * @param[in] rule the rule text.
 * @return GP_OK; GP_ERR_ARG (unknown rule or parameter, a value not a number or out of range:
 *         base >= 0, above >= 0, per >= 1, N > 0, persons > 0; the message names it).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_options_set_staffing(gp_context *ctx, gp_options *opts,
                                                      const char *rule);

/** @return the staffing rule (a gp_staffing_rule value). @since 0.3 */
GP_API int32_t gp_options_get_staffing(const gp_options *opts);

/**
 * The staffing rule in its canonical text with every parameter, e.g.
 * "zhejiang:base=6,above=2000,per=350", "per10k:16,persons=2.6", "grid", "none".
 * @param[in] opts the options.
 * @param[out] buf receives the NUL-terminated text (cut to size); may be NULL when size is 0.
 * @param[in] size bytes in buf.
 * @return the length of the whole text (as snprintf).
 * @since 0.3
 */
GP_API int32_t gp_options_staffing_text(const gp_options *opts, char *buf, size_t size);

/**
 * Workers a community needs under the options' staffing rule.
 * @param[in] opts the options (NULL: no rule).
 * @param[in] households the community's households (>= 0).
 * @param[in] residents its residents, or a negative value for households x persons.
 * @param[in] grids its grids (for GP_STAFFING_GRID).
 * @return the workers required; 0 without a rule.
 * @since 0.3
 */
GP_API int64_t gp_staffing_required(const gp_options *opts, int64_t households,
                                    double residents, int32_t grids);


/* ------------------------------------------------------------------------------------------ */
/* The optimizer on plain graphs                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * A graph of street blocks in METIS CSR form: the neighbours of vertex v are
 * adjncy[xadj[v] .. xadj[v+1]-1]. Adjacency must be symmetric, without self-loops or repeated
 * neighbours. Per vertex: households (required before partitioning), optional workload, area
 * and perimeter. Per adjacency entry (same layout as adjncy, both directions equal): optional
 * shared border length and cut cost. Immutable once passed to the optimizer.
 */
typedef struct gp_graph gp_graph;

/**
 * Create a graph, copying and validating the CSR arrays.
 * @param[in,out] ctx receives the error message.
 * @param[in] n number of vertices, >= 0.
 * @param[in] xadj n + 1 offsets, xadj[0] == 0, non-decreasing.
 * @param[in] adjncy xadj[n] neighbour ids in [0, n); may be NULL when xadj[n] == 0.
 * @param[out] out receives the graph; NULL on failure.
 * @return GP_OK; GP_ERR_ARG (bad CSR: the message names the vertex and neighbour, e.g. an
 *         asymmetric or self edge); GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_new(gp_context *ctx, int32_t n, const int32_t *xadj,
                                           const int32_t *adjncy, gp_graph **out);

/**
 * Free a graph.
 * @param[in] graph a graph or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_graph_free(gp_graph *graph);

/**
 * Set the households of every vertex (copied).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] graph the graph.
 * @param[in] households n values, each in [0, 2^40] (1,099,511,627,776).
 * @return GP_OK; GP_ERR_ARG (a negative value: the message names the vertex); GP_ERR_LIMIT
 *         (a value above 2^40; GP_ERR_ARG before 0.2).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_set_households(gp_context *ctx, gp_graph *graph,
                                                      const int64_t *households);

/**
 * Set the workload of every vertex (copied); by default a vertex's workload is its households.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] graph the graph.
 * @param[in] workload n finite values >= 0, or NULL to return to the default.
 * @return GP_OK; GP_ERR_ARG.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_set_workload(gp_context *ctx, gp_graph *graph,
                                                    const double *workload);

/**
 * Set per-edge weights (copied), laid out like adjncy; the two directions of an edge must agree.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] graph the graph.
 * @param[in] border_length shared border length per adjacency entry (>= 0), or NULL for 1.
 * @param[in] cut_cost cost per unit length of putting a grid border on that edge (> 0; cheap
 *            on arterials, dear on alleys), or NULL for 1.
 * @return GP_OK; GP_ERR_ARG (negative, non-finite or asymmetric value: names the edge).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_set_edges(gp_context *ctx, gp_graph *graph,
                                                 const double *border_length,
                                                 const double *cut_cost);

/**
 * Set vertex areas and perimeters (copied), used for compactness (Polsby-Popper) statistics
 * and objectives. A grid's perimeter is the sum of its vertices' perimeters minus twice the
 * internal border lengths.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] graph the graph.
 * @param[in] area n finite values >= 0.
 * @param[in] perimeter n finite values >= 0.
 * @return GP_OK; GP_ERR_ARG.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_set_shape(gp_context *ctx, gp_graph *graph,
                                                 const double *area, const double *perimeter);

/**
 * Set a previous assignment (copied) that the optimizer should change as little as possible,
 * in households moved. A component whose previous division still holds (every vertex has a
 * previous grid, each grid connected, within the bounds and under the workload cap, as many
 * grids as the component gets) is kept exactly, without a search: partitioning again with a
 * partition's own assignment moves nothing and returns the same grids. Otherwise a component
 * keeps its previous grid count when that count is feasible, every restart starts from the
 * previous division (made connected, brought to the grid count by dissolving the smallest
 * grids or splitting the largest) and the objective counts the households that end in
 * another grid right after the hard rules (see gp_graph_partition): the bounds are repaired
 * first, with as few moves as they allow, before balance, borders and shapes. A vertex without
 * a previous grid never counts as moved. gp_partition_households_moved reports the result.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] graph the graph.
 * @param[in] previous n grid ids, -1 for a vertex that had no grid; or NULL to clear.
 * @return GP_OK; GP_ERR_ARG.
 * @since 0.1 (kept exactly when it holds, and moves counted before balance: 0.3)
 */
GP_API GP_NODISCARD gp_status gp_graph_set_previous(gp_context *ctx, gp_graph *graph,
                                                    const int32_t *previous);

/** A division of a graph into grids, with statistics and problems. Immutable. */
typedef struct gp_partition gp_partition;

/**
 * What a problem is about: in a partition, why a grid or vertex could not meet the bounds
 * (1-5); in a plan also the facts of a run a user should know (6 and up). Values are fixed and
 * only appended; gp_problem_kind_name gives each a stable name (used in the JSON report).
 */
typedef enum {
    GP_PROBLEM_VERTEX_OVER_MAX = 1,  /**< One vertex (block) alone holds more than max: its own grid. */
    GP_PROBLEM_COMPONENT_INFEASIBLE = 2, /**< A connected part no set of grids can fit. */
    GP_PROBLEM_GRID_COUNT = 3,       /**< The fixed grid count cannot be met within the bounds. */
    GP_PROBLEM_BOUNDS_UNMET = 4,     /**< The search ended with a grid out of bounds. */
    /** Households too few for a grid joined the grid of an indivisible vertex above the
     * maximum: a component (or a piece of one, when no whole number of grids fits its
     * households) that touches such a vertex. The joined grid is still over the maximum only
     * by necessity; its GP_PROBLEM_VERTEX_OVER_MAX problem gives its households in all, and
     * this one the piece's lowest vertex. A household-free piece joins without a problem.
     * @since 0.2 */
    GP_PROBLEM_JOINED_OVER_MAX = 5,
    GP_PROBLEM_HOUSEHOLDS_OUTSIDE = 6, /**< Household features outside every community (0.2). */
    GP_PROBLEM_FEATURES_SKIPPED = 7,   /**< Input features skipped, by id (0.2). */
    GP_PROBLEM_GEOMETRY_REPAIRED = 8,  /**< Invalid input polygons repaired, by id (0.2). */
    GP_PROBLEM_BLOCKS_MERGED = 9,      /**< Slivers and leftover pieces merged into blocks (0.2). */
    GP_PROBLEM_BLOCK_CUT = 10,         /**< A street block cut into pieces by the split stage (0.2). */
    GP_PROBLEM_COUNT_FIELD = 11,       /**< No household count field chosen, while one seems to exist (0.2). */
    GP_PROBLEM_COMMUNITY_OVERLAP = 12, /**< Communities overlap: tolerated sliver or resolved (0.2). */
    GP_PROBLEM_OUTPUT_REPAIRED = 13,   /**< Output geometries repaired after reprojection (0.2). */
    GP_PROBLEM_NO_STREETS = 14,        /**< No street line reaches a community (0.2). */
    GP_PROBLEM_DUPLICATE_FEATURES = 15, /**< Household features repeated exactly (0.2). */
    /** A grid's workload above the cap (gp_options_set_max_workload) that no division within
     * the household bounds avoids (0.3). */
    GP_PROBLEM_WORKLOAD_OVER_MAX = 16,
    GP_PROBLEM_GRID_CHANGED = 17,     /**< adjust: a grid changed, new or retired, and why (0.3). */
    GP_PROBLEM_PREVIOUS_FIT = 18,     /**< adjust: how the previous grids fit the blocks (0.3). */
    GP_PROBLEM_NO_WORKER = 19,        /**< A community's grids have no worker on the roster (0.3). */
    GP_PROBLEM_STAFFING = 20,         /**< Workers short of a staffing rule, or surplus (0.3). */
    GP_PROBLEM_GRIDS_GAP = 21,        /**< check: part of a community in no grid (0.3). */
    GP_PROBLEM_GRIDS_OVERLAP = 22,    /**< check: two grids overlap (0.3). */
    GP_PROBLEM_GRID_NOT_CONTIGUOUS = 23, /**< check: a grid in several pieces (0.3). */
    GP_PROBLEM_GRID_OFF_STREETS = 24, /**< check: a grid border off streets and borders (0.3). */
    GP_PROBLEM_GRID_CROSSES_COMMUNITY = 25, /**< check: a grid outside its community (0.3). */
    GP_PROBLEM_LOAD_OUTSIDE = 26      /**< Extra-load features outside every community (0.3). */
} gp_problem_kind;

/**
 * A stable lower-case name of a problem kind, e.g. "vertex_over_max", "block_cut".
 * @param[in] kind any value.
 * @return a static string; "unknown" outside the enum.
 * @since 0.2
 */
GP_API const char *gp_problem_kind_name(int32_t kind);

/**
 * Divide the graph into contiguous grids of [min, max] households (options). One objective
 * with five named terms, compared in order (each smaller better):
 *   1. viol   (hard) households outside [min, max], summed over grids;
 *   2. cap    (hard) workload above gp_options_set_max_workload, summed over grids;
 *   3. moved  households in another grid than their previous one (gp_graph_set_previous);
 *   4. excess the balanced quantity (workload or households, gp_options_set_balance) outside
 *             a band of +-24% around the mean grid, summed over grids;
 *   5. cost   street cut cost (border length x cut cost) plus a compactness penalty.
 * Hard terms are met wherever any division meets them; what cannot be met is reported per
 * grid (problems). A vertex above the maximum is a grid of its own; households too few for a
 * grid that touch it join its grid (GP_PROBLEM_JOINED_OVER_MAX). With a workload cap a
 * component gets at least as many grids as the cap needs while each can hold the minimum.
 * Deterministic for the same graph, options and seed on any thread count. Work is bounded
 * (options' effort); the context's progress callback can cancel.
 * @param[in,out] ctx receives errors, progress and log.
 * @param[in] graph the graph, with households set.
 * @param[in] opts options, or NULL for the defaults.
 * @param[out] out receives the partition; NULL on failure. A partition is returned whenever a
 *             division exists, even when some bound cannot be met: check
 *             gp_partition_problem_count.
 * @return GP_OK; GP_ERR_ARG (households not set, bad options, a workload cap while households
 *         are balanced against a workload that is set); GP_ERR_CANCELED; GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_graph_partition(gp_context *ctx, const gp_graph *graph,
                                                 const gp_options *opts, gp_partition **out);

/**
 * Free a partition.
 * @param[in] part a partition or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_partition_free(gp_partition *part);

/** @return the number of vertices. @since 0.1 */
GP_API int32_t gp_partition_vertex_count(const gp_partition *part);
/** @return the number of grids (ids 0 .. count-1). @since 0.1 */
GP_API int32_t gp_partition_grid_count(const gp_partition *part);
/**
 * The grid of every vertex.
 * @return a borrowed array of gp_partition_vertex_count values, valid until the partition is
 *         freed. @since 0.1
 */
GP_API const int32_t *gp_partition_assignment(const gp_partition *part);
/** @return households in grid g (0 for an id out of range). @since 0.1 */
GP_API int64_t gp_partition_grid_households(const gp_partition *part, int32_t grid);
/** @return workload of grid g. @since 0.1 */
GP_API double gp_partition_grid_workload(const gp_partition *part, int32_t grid);
/** @return number of vertices in grid g. @since 0.1 */
GP_API int32_t gp_partition_grid_vertices(const gp_partition *part, int32_t grid);
/** @return Polsby-Popper compactness of grid g, or NaN without shape data. @since 0.1 */
GP_API double gp_partition_grid_polsby_popper(const gp_partition *part, int32_t grid);
/** @return total cut cost: sum over cut edges of border length x cut cost. @since 0.1 */
GP_API double gp_partition_cut_cost(const gp_partition *part);
/** @return max over mean of grid workload (1 is perfectly even; 0 with no grids). @since 0.1 */
GP_API double gp_partition_workload_ratio(const gp_partition *part);
/** @return mean Polsby-Popper over grids, or NaN without shape data. @since 0.1 */
GP_API double gp_partition_mean_polsby_popper(const gp_partition *part);
/** @return households moved relative to the previous assignment (0 without one). @since 0.1 */
GP_API int64_t gp_partition_households_moved(const gp_partition *part);
/** @return the number of grids outside [min, max] households. @since 0.1 */
GP_API int32_t gp_partition_out_of_bounds(const gp_partition *part);
/** @return the number of problems reported (0 when every bound is held). @since 0.1 */
GP_API int32_t gp_partition_problem_count(const gp_partition *part);
/** @return the kind of problem i (a gp_problem_kind), 0 for i out of range. @since 0.1 */
GP_API int32_t gp_partition_problem_kind(const gp_partition *part, int32_t i);
/** @return a vertex of problem i (the vertex, or the lowest vertex of the component). @since 0.1 */
GP_API int32_t gp_partition_problem_vertex(const gp_partition *part, int32_t i);
/** @return a borrowed message for problem i naming vertex ids and the reason. @since 0.1 */
GP_API const char *gp_partition_problem_message(const gp_partition *part, int32_t i);

/**
 * The optimizer in one call on plain arrays (the METIS-style shape of the design).
 * @param[in,out] ctx receives errors.
 * @param[in] n number of vertices.
 * @param[in] xadj n + 1 offsets.
 * @param[in] adjncy neighbour ids.
 * @param[in] edge_cost per adjacency entry: border length x cut cost, or NULL for 1.
 * @param[in] households n values >= 0.
 * @param[in] opts options or NULL.
 * @param[out] part_out caller's array of n grid ids.
 * @param[out] n_grids_out receives the number of grids.
 * @return GP_OK; GP_ERR_INFEASIBLE when some bound cannot be met (part_out and n_grids_out are
 *         still filled with the least-violating division, and the message names the vertices);
 *         any error of gp_graph_new and gp_graph_partition.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_partition_graph(gp_context *ctx, int32_t n, const int32_t *xadj,
                                                 const int32_t *adjncy, const double *edge_cost,
                                                 const int64_t *households,
                                                 const gp_options *opts, int32_t *part_out,
                                                 int32_t *n_grids_out);

/* ------------------------------------------------------------------------------------------ */
/* The pipeline: GIS layers in, grids out                                                     */
/* ------------------------------------------------------------------------------------------ */

/** The input layers of a run and their field names. */
typedef struct gp_inputs gp_inputs;

/**
 * Create empty inputs.
 * @param[out] out receives the inputs; NULL on failure.
 * @return GP_OK, GP_ERR_ARG, GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_inputs_new(gp_inputs **out);

/**
 * Free inputs.
 * @param[in] inputs inputs or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_inputs_free(gp_inputs *inputs);

/**
 * Set the communities layer (polygons, any CRS; the output is written in this CRS).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]", any data source GDAL opens (copied).
 * @param[in] id_field the field holding each community's id or code (copied).
 * @return GP_OK; GP_ERR_ARG (NULL or empty strings); GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_communities(gp_context *ctx, gp_inputs *inputs,
                                                        const char *source,
                                                        const char *id_field);

/**
 * Set the streets layer (lines).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied).
 * @param[in] class_field the street class field (OSM highway values), or NULL for none.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_streets(gp_context *ctx, gp_inputs *inputs,
                                                    const char *source,
                                                    const char *class_field);

/**
 * Set the households layer (points or building polygons).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied).
 * @param[in] count_field the households-per-feature field, or NULL for one per feature.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_households(gp_context *ctx, gp_inputs *inputs,
                                                       const char *source,
                                                       const char *count_field);

/* ---- Layers given as arrays, read from memory (since 0.3) -------------------------------- */
/*
 * For a program that holds its geometries in memory: each layer is given as n features, each
 * a WKB geometry with its size and an id, and the one field the run needs. The arrays are
 * copied (into a GeoPackage in GDAL's memory file system, "/vsimem/gridpart-input-...", which
 * the ordinary reader opens: every check a file gets, nothing on disk) and may be freed when
 * the call returns; the copy is removed when the inputs are freed or the layer is set again.
 * Feature ids are what problems name and what gp_plan_household_grid takes; NULL gives 1 .. n.
 * The CRS is any text GDAL's OSRSetFromUserInput takes ("EPSG:4490", WKT, a PROJ string); a
 * run needs one for every layer, as for files (a layer given without one is GP_ERR_CRS there).
 * Each returns GP_OK; GP_ERR_ARG (inputs NULL, n < 0, an array missing); GP_ERR_CRS (a CRS
 * GDAL does not know); GP_ERR_INPUT (a WKB that does not parse or a repeated id: the message
 * gives the index and id); GP_ERR_IO (GDAL failed); GP_ERR_NOMEM.
 */

/**
 * Set the communities layer from arrays (see above); as gp_inputs_set_communities.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] n the number of communities.
 * @param[in] wkb n polygons or multipolygons as WKB.
 * @param[in] wkb_size n sizes in bytes.
 * @param[in] fids n feature ids, or NULL for 1 .. n.
 * @param[in] ids n community ids (codes such as "640106003001"; the grid codes start with
 *            them), required.
 * @param[in] crs the CRS of the geometries, or NULL for none.
 * @return see above.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_communities_wkb(gp_context *ctx, gp_inputs *inputs,
                                                            int64_t n, const uint8_t *const *wkb,
                                                            const size_t *wkb_size,
                                                            const int64_t *fids,
                                                            const char *const *ids,
                                                            const char *crs);

/**
 * Set the streets layer from arrays (see above); as gp_inputs_set_streets.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] n the number of streets.
 * @param[in] wkb n lines or multilines as WKB.
 * @param[in] wkb_size n sizes in bytes.
 * @param[in] fids n feature ids, or NULL for 1 .. n.
 * @param[in] classes n street classes (NULL entries: unknown), or NULL: no class field.
 * @param[in] crs the CRS of the geometries, or NULL for none.
 * @return see above.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_streets_wkb(gp_context *ctx, gp_inputs *inputs,
                                                        int64_t n, const uint8_t *const *wkb,
                                                        const size_t *wkb_size,
                                                        const int64_t *fids,
                                                        const char *const *classes,
                                                        const char *crs);

/**
 * Set the households layer from arrays (see above); as gp_inputs_set_households.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] n the number of household features.
 * @param[in] wkb n points or polygons as WKB.
 * @param[in] wkb_size n sizes in bytes.
 * @param[in] fids n feature ids (gp_plan_household_grid takes them), or NULL for 1 .. n.
 * @param[in] counts n household counts, or NULL: one household each.
 * @param[in] crs the CRS of the geometries, or NULL for none.
 * @return see above.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_households_wkb(gp_context *ctx, gp_inputs *inputs,
                                                           int64_t n, const uint8_t *const *wkb,
                                                           const size_t *wkb_size,
                                                           const int64_t *fids,
                                                           const int64_t *counts,
                                                           const char *crs);

/**
 * Set the households layer from arrays with numeric fields besides the count: those that
 * gp_inputs_add_weight and gp_inputs_set_residents_field name (as gp_inputs_set_households_wkb
 * otherwise; the count field is named "households", so a field of that name is refused).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] n the number of household features.
 * @param[in] wkb n points or polygons as WKB.
 * @param[in] wkb_size n sizes in bytes.
 * @param[in] fids n feature ids, or NULL for 1 .. n.
 * @param[in] counts n household counts, or NULL: one household each.
 * @param[in] n_fields the number of numeric fields, >= 0.
 * @param[in] names n_fields field names (non-empty, distinct).
 * @param[in] values n_fields arrays of n values each (NaN: no value, as a null field).
 * @param[in] crs the CRS of the geometries, or NULL for none.
 * @return as gp_inputs_set_households_wkb; GP_ERR_ARG also for a field without a name or
 *         values, or named twice.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_households_wkb_fields(
    gp_context *ctx, gp_inputs *inputs, int64_t n, const uint8_t *const *wkb,
    const size_t *wkb_size, const int64_t *fids, const int64_t *counts, int32_t n_fields,
    const char *const *names, const double *const *values, const char *crs);

/**
 * Set the barriers layer from arrays (see above); as gp_inputs_set_barriers.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] n the number of barriers.
 * @param[in] wkb n lines or polygons as WKB.
 * @param[in] wkb_size n sizes in bytes.
 * @param[in] fids n feature ids, or NULL for 1 .. n.
 * @param[in] crs the CRS of the geometries, or NULL for none.
 * @return see above.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_barriers_wkb(gp_context *ctx, gp_inputs *inputs,
                                                         int64_t n, const uint8_t *const *wkb,
                                                         const size_t *wkb_size,
                                                         const int64_t *fids, const char *crs);

/**
 * Set the optional barriers layer (rivers, railways: lines or polygons).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied), or NULL for none.
 * @return GP_OK; GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_barriers(gp_context *ctx, gp_inputs *inputs,
                                                     const char *source);

/**
 * Select a part of the input: only these communities are divided (and, by gp_check, audited).
 * The part reads little: the communities layer is read with an attribute filter on the id field
 * (`"id" IN (...)`, 200 ids a list, pushed down to GDAL: SQL on a GeoPackage or PostGIS), then
 * with a spatial filter 100 m around the selected communities, as are the streets, households,
 * barriers and grids layers, each in its own CRS. Neighbours read within that margin decide, as
 * in a whole run, who gets a household on a shared border or an overlap; they are not divided.
 * The working CRS is chosen from the whole communities layer, so parts run separately give the
 * same grids (codes, households, geometry) as one whole run. Households outside every community
 * are listed by a whole run only. With gp_inputs_set_bbox too, a community must pass both.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] ids `n` community ids, as the id field reads as text (copied; a repeat counts once),
 *            or NULL with n 0 to select every community again.
 * @param[in] n the number of ids.
 * @return GP_OK; GP_ERR_ARG (inputs NULL, ids NULL with n > 0, an empty id); GP_ERR_NOMEM.
 *         An id no community has is found when the run reads the layer: gp_run, gp_adjust and
 *         gp_check then fail with GP_ERR_INPUT naming it (a silently empty part would be a lost
 *         community).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_only(gp_context *ctx, gp_inputs *inputs,
                                                 const char *const *ids, size_t n);

/**
 * Select the communities in a box: those whose envelope's centre lies in
 * [minx, maxx) x [miny, maxy) (half-open, so boxes tiling a plane share no community), in the
 * communities layer's CRS, x first (longitude, easting). Read as gp_inputs_set_only says, with
 * the box as a spatial filter on the communities.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] minx,miny,maxx,maxy the box; all four NaN clears it.
 * @return GP_OK; GP_ERR_ARG (inputs NULL, a coordinate not finite, minx >= maxx or
 *         miny >= maxy). A box holding no community's centre fails the run with GP_ERR_INPUT.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_bbox(gp_context *ctx, gp_inputs *inputs, double minx,
                                                 double miny, double maxx, double maxy);

/**
 * Set the previous division that gp_adjust repairs: a grids layer, gridpart's own output or
 * grids a city drew by hand (any code strings, any CRS; a layer without a CRS is taken to be in
 * the communities' CRS, and the plan warns). Each current street block belongs to the previous
 * grid covering most of its area; each household feature to the previous grid holding its
 * point (else its block's).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" of the previous grids (copied), or NULL to clear.
 * @param[in] code_field the grid code field, or NULL for "grid_code" (codes must be unique).
 * @param[in] community_field the field naming each grid's community, or NULL to place each grid
 *            in the community holding most of its area.
 * @return GP_OK; GP_ERR_ARG (inputs NULL); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_previous(gp_context *ctx, gp_inputs *inputs,
                                                     const char *source, const char *code_field,
                                                     const char *community_field);

/**
 * Set the roster of community workers (a table: any GDAL source, a CSV file included; a
 * geometry is not needed). Each row is a worker: an id (unique, not empty), the id of the
 * community the worker serves (one of the communities layer's ids) and optionally the code of
 * the grid the worker holds now, which the worker keeps where the rules allow. With a roster,
 * a run gives every grid a worker of its own community (gp_plan_grid_worker) and lists the
 * workers (gp_plan_worker_count): one worker per grid when the community has enough (the
 * others are surplus, listed), else each worker one contiguous set of grids of even workload
 * (a second-level partition of the grid adjacency); a community without a worker has its grids
 * flagged `no_worker` (GP_PROBLEM_NO_WORKER).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied), or NULL for none.
 * @param[in] id_field the worker id field, or NULL for "worker_id".
 * @param[in] community_field the community field, or NULL for "community".
 * @param[in] grid_field the current grid field, or NULL for "grid_code" when the table has it
 *            (a field named explicitly must exist).
 * @return GP_OK; GP_ERR_ARG (inputs NULL); GP_ERR_NOMEM. gp_run checks the table: a missing
 *         field, an empty or repeated worker id, or an unknown or empty community is
 *         GP_ERR_INPUT naming file, field, feature and value; a grid code that is no grid of
 *         the worker's community (retired since, say) is a warning of the plan
 *         (GP_PROBLEM_STAFFING, naming the same) and the worker is placed as holding none.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_workers(gp_context *ctx, gp_inputs *inputs,
                                                    const char *source, const char *id_field,
                                                    const char *community_field,
                                                    const char *grid_field);

/**
 * Set the residents field: a numeric field of the households layer giving the residents of
 * each feature, summed per community for the per10k staffing rule (without it: households x
 * persons). A null value counts 0; a negative or non-numeric one is GP_ERR_INPUT in gp_run.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] field the field name (copied), or NULL for none.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_residents_field(gp_context *ctx, gp_inputs *inputs,
                                                            const char *field);

/**
 * Weigh a numeric field of the households layer in the workload: a household feature's
 * workload is its households (the count field, or 1) plus, over the weights given, weight times
 * the field's value (e.g. elderly 0.5, disabled 1). Any weight or extra load makes the run
 * balance workload by default (gp_options_set_balance). When the run reads the layer, a field
 * that is missing or not numeric is GP_ERR_INPUT naming the file, layer and field and listing
 * the numeric fields there are; a feature whose value is null, negative, NaN or infinite is
 * GP_ERR_INPUT naming the feature id (never counted as 0: the household would silently get
 * less work than it makes).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] field the field name (copied); each field at most once.
 * @param[in] weight a finite number >= 0.
 * @return GP_OK; GP_ERR_ARG (NULL or empty field, weight negative, NaN or infinite, the field
 *         given twice: the message names it); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_add_weight(gp_context *ctx, gp_inputs *inputs,
                                                   const char *field, double weight);

/**
 * Add a layer of features that make work beside households (shops, firms, facilities,
 * events): each adds its field's value (or 1) to the workload of the grid holding it (a point,
 * or a polygon or line by its representative point), in any CRS (reprojected as households
 * are). A feature outside every community adds to no grid and is reported (a warning,
 * GP_PROBLEM_LOAD_OUTSIDE, by feature id). When the run reads the layer, a field that is
 * missing or not numeric, or a feature whose value is null, negative or not finite, or whose
 * geometry is empty, is GP_ERR_INPUT naming the file, layer, feature and field.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied); may be given several times.
 * @param[in] field the numeric field holding each feature's load, or NULL for 1 each.
 * @return GP_OK; GP_ERR_ARG (NULL or empty source); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_add_extra_load(gp_context *ctx, gp_inputs *inputs,
                                                       const char *source, const char *field);

/* ---- How input layers are opened (since 0.3) ---------------------------------------------- */
/*
 * A layer source is "PATH[:LAYER]" or, as QGIS writes it, "PATH|layername=LAYER" (the path
 * then taken as it is, ':' and all) or "PATH|layerid=N" (the N-th layer, from 0); either may
 * end in "|option:KEY=VALUE" parts, GDAL open options for that layer alone (an option its
 * driver does not list is GP_ERR_ARG when the run opens it). This holds for every source:
 * communities, streets, households, barriers, previous grids, audited grids, roster, extra
 * loads. A source naming an existing file is always a plain path.
 */

/**
 * Add a GDAL open option given to every input layer the run opens, as ogr2ogr -oo does: e.g.
 * "X_POSSIBLE_NAMES=lon" and "Y_POSSIBLE_NAMES=lat" read a CSV of points without a VRT. A
 * driver ignores options it does not list (GDAL logs a warning at debug level), so options
 * for the CSV households do not disturb a GeoPackage of communities; a layer's own |option:
 * comes first and wins.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] option "KEY=VALUE" (copied); repeatable.
 * @return GP_OK; GP_ERR_ARG (inputs NULL, not KEY=VALUE, or a key that no GDAL vector driver
 *         lists among its open options: a misspelling GDAL would ignore); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_add_open_option(gp_context *ctx, gp_inputs *inputs,
                                                        const char *option);

/**
 * Set the CRS of input layers that have none (a CSV of coordinates, a shapefile without .prj, a
 * GeoPackage layer with an undefined srs_id), as if each had it. Layers with a CRS keep theirs.
 * Without it, such a layer is GP_ERR_CRS in gp_run (a grids or previous-grids layer is taken
 * to be in the communities' CRS, with a warning).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] crs any text GDAL's OSRSetFromUserInput reads ("EPSG:4326", "EPSG:4490", a WKT),
 *            copied; NULL or "" for none.
 * @return GP_OK; GP_ERR_ARG (inputs NULL); GP_ERR_CRS (a CRS GDAL does not know: the message
 *         quotes it); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_assume_crs(gp_context *ctx, gp_inputs *inputs,
                                                       const char *crs);

/** The result of a run: grids and blocks per community, statistics and problems. Immutable. */
typedef struct gp_plan gp_plan;

/**
 * Run the whole pipeline: read, project, street blocks, households, graph, partition, assemble.
 * Communities run in parallel (options' threads), each with its own context; the plan is the
 * same for any thread count. Before returning, the plan is verified: grids tile each
 * community, every household is in exactly one grid, counts are right.
 * @param[in,out] ctx receives errors, progress (cancellable) and log.
 * @param[in] inputs the layers.
 * @param[in] opts options, or NULL for the defaults.
 * @param[out] out receives the plan; NULL on failure. A plan is returned even when some grid
 *             cannot meet the bounds (see gp_plan_problem_count and gp_plan_out_of_bounds).
 * @return GP_OK; GP_ERR_ARG; GP_ERR_IO; GP_ERR_INPUT (unusable input: the message names the
 *         layer, feature, field or community; among them, since 0.2, a community more than
 *         300 km across or, in a geographic CRS, beyond the degrees the others keep within,
 *         "likely coordinate error", and two communities overlapping by more than a sliver, see
 *         gp_options_set_overlaps);
 *         GP_ERR_CRS; GP_ERR_GEOMETRY; GP_ERR_CANCELED; GP_ERR_NOMEM; GP_ERR_INTERNAL (a
 *         verification failed).
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_run(gp_context *ctx, const gp_inputs *inputs,
                                     const gp_options *opts, gp_plan **out);

/**
 * Repair a previous division (gp_inputs_set_previous) for changed inputs, moving as few
 * households as possible: a household moved is one whose grid code is not the one it had (a
 * household in no previous grid, whose block lies in none either, does not count). Every
 * community is divided as gp_run does, with the previous grid of every block (or cell of a cut
 * block) given to the optimizer: a previous division that still holds (contiguous, within the
 * bounds) is kept as it is; otherwise the bounds come first, then the fewest households moved,
 * then the usual objectives. A grid keeps the code of the previous grid it shares most
 * households with (greedily, most shared first, each code at most once, at least a quarter of
 * that grid's households); it is `kept` when it holds exactly that
 * grid's household features and street blocks (and, when the layer records them in the fields
 * `households` and `blocks`, the same counts), else `changed`; other grids are `new`, coded
 * "<community id><3-digit serial>" after the highest serial of the community's previous codes,
 * never a code of the previous layer. Previous codes no grid keeps are retired. The plan records
 * per community the grids kept, changed, new and retired, the households moved, how the
 * previous grids fit the street blocks (GP_PROBLEM_PREVIOUS_FIT), and a note for each change
 * with its reasons (GP_PROBLEM_GRID_CHANGED).
 * @param[in,out] ctx receives errors, progress (cancellable) and log.
 * @param[in] inputs the layers, with the previous grids set.
 * @param[in] opts options, or NULL for the defaults.
 * @param[out] out receives the plan; NULL on failure.
 * @return as gp_run; GP_ERR_ARG also when no previous grids are set; GP_ERR_INPUT also for a
 *         previous layer without the code field, with a null or duplicate code (both feature
 *         ids named), not of polygons, or naming a community that does not exist; GP_ERR_CRS
 *         for a previous layer whose CRS cannot be used.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_adjust(gp_context *ctx, const gp_inputs *inputs,
                                        const gp_options *opts, gp_plan **out);

/** What gp_adjust did with a grid, or with the code of a previous grid. @since 0.3 */
typedef enum {
    GP_GRID_KEPT = 1,    /**< the previous grid as it was: same code, households, blocks. */
    GP_GRID_CHANGED = 2, /**< keeps the code of a previous grid, with other households or blocks. */
    GP_GRID_NEW = 3,     /**< a new code. */
    GP_GRID_RETIRED = 4  /**< a previous code no grid keeps (never given to another grid). */
} gp_grid_change;

/**
 * Free a plan.
 * @param[in] plan a plan or NULL (a no-op).
 * @since 0.1
 */
GP_API void gp_plan_free(gp_plan *plan);

/** @return the number of communities. @since 0.1 */
GP_API int32_t gp_plan_community_count(const gp_plan *plan);
/** @return community c's id (borrowed), or NULL when out of range. @since 0.1 */
GP_API const char *gp_plan_community_id(const gp_plan *plan, int32_t c);
/** @return households in community c. @since 0.1 */
GP_API int64_t gp_plan_community_households(const gp_plan *plan, int32_t c);
/** @return grids in community c. @since 0.1 */
GP_API int32_t gp_plan_community_grids(const gp_plan *plan, int32_t c);
/** @return street blocks in community c. @since 0.1 */
GP_API int32_t gp_plan_community_blocks(const gp_plan *plan, int32_t c);
/** @return max over mean of grid workload in community c. @since 0.1 */
GP_API double gp_plan_community_workload_ratio(const gp_plan *plan, int32_t c);
/** @return street blocks of community c that the split stage cut into pieces. @since 0.2 */
GP_API int32_t gp_plan_community_split_blocks(const gp_plan *plan, int32_t c);
/** @return the number of grids, all communities together. @since 0.1 */
GP_API int32_t gp_plan_grid_count(const gp_plan *plan);
/** @return grid g's code (borrowed), or NULL when out of range. @since 0.1 */
GP_API const char *gp_plan_grid_code(const gp_plan *plan, int32_t g);
/** @return the index of grid g's community, or -1. @since 0.1 */
GP_API int32_t gp_plan_grid_community(const gp_plan *plan, int32_t g);
/** @return households in grid g. @since 0.1 */
GP_API int64_t gp_plan_grid_households(const gp_plan *plan, int32_t g);
/** @return workload of grid g. @since 0.1 */
GP_API double gp_plan_grid_workload(const gp_plan *plan, int32_t g);
/** @return street blocks in grid g. @since 0.1 */
GP_API int32_t gp_plan_grid_blocks(const gp_plan *plan, int32_t g);
/**
 * @return grid g's flags (borrowed; "" when clean), comma-separated: "split_block" (its
 *         border includes a cut through a street block, since 0.2), "over_max", "under_min",
 *         "multipart". @since 0.1
 */
GP_API const char *gp_plan_grid_flags(const gp_plan *plan, int32_t g);
/** @return grid g's change after gp_adjust: "kept", "changed" or "new"; "" for a plan of
 *          gp_run; NULL when out of range. @since 0.3 */
GP_API const char *gp_plan_grid_change(const gp_plan *plan, int32_t g);
/** @return 1 when the plan is gp_adjust's, else 0. @since 0.3 */
GP_API int32_t gp_plan_is_adjust(const gp_plan *plan);
/** @return households moved in community c (gp_adjust; 0 otherwise). @since 0.3 */
GP_API int64_t gp_plan_community_households_moved(const gp_plan *plan, int32_t c);
/** @return households moved in all communities (gp_adjust; 0 otherwise). @since 0.3 */
GP_API int64_t gp_plan_households_moved(const gp_plan *plan);
/**
 * @return grids of community c with a gp_grid_change value (GP_GRID_RETIRED: previous codes
 *         retired), or, with c = -1, of all communities; 0 outside gp_adjust. @since 0.3
 */
GP_API int32_t gp_plan_community_grid_changes(const gp_plan *plan, int32_t c, int32_t change);
/** @return the number of previous codes retired, all communities. @since 0.3 */
GP_API int32_t gp_plan_retired_count(const gp_plan *plan);
/** @return retired code i (borrowed; in community order), or NULL. @since 0.3 */
GP_API const char *gp_plan_retired_code(const gp_plan *plan, int32_t i);
/**
 * @return the share of community c's street block area lying in the previous grid each block
 *         belongs to (c = -1: all communities); 1 outside gp_adjust. @since 0.3
 */
GP_API double gp_plan_previous_fit(const gp_plan *plan, int32_t c);
/** @return the number of grids outside the bounds. @since 0.1 */
GP_API int32_t gp_plan_out_of_bounds(const gp_plan *plan);
/** @return households in all household features read. @since 0.1 */
GP_API int64_t gp_plan_households_read(const gp_plan *plan);
/** Input layers whose features gp_plan_features_read counts. @since 0.3 */
typedef enum {
    GP_READ_COMMUNITIES = 0,
    GP_READ_STREETS = 1,
    GP_READ_HOUSEHOLDS = 2,
    GP_READ_BARRIERS = 3
} gp_read_layer;
/**
 * @return the features read from an input layer (gp_read_layer), counting each pass: with a
 *         part selected (gp_inputs_set_only), fewer than the layer holds. -1 for another layer.
 * @since 0.3
 */
GP_API int64_t gp_plan_features_read(const gp_plan *plan, int32_t layer);
/** @return households in features outside every community (reported, not lost). @since 0.1 */
GP_API int64_t gp_plan_households_outside(const gp_plan *plan);
/** @return the extra load of every extra-load feature read (0 without any). @since 0.3 */
GP_API double gp_plan_extra_load_read(const gp_plan *plan);
/** @return the extra load of features outside every community (reported). @since 0.3 */
GP_API double gp_plan_extra_load_outside(const gp_plan *plan);
/**
 * How serious a problem is. Values are fixed and only appended.
 * @since 0.2
 */
typedef enum {
    GP_SEVERITY_VIOLATION = 0, /**< A rule is broken: a grid outside the bounds (exit status 1). */
    GP_SEVERITY_WARNING = 1,   /**< Input was skipped, repaired or changed: check it. */
    GP_SEVERITY_NOTE = 2       /**< What the run did that a user may want to know (a sliver merged). */
} gp_severity;

/** @return the number of problems: run-wide ones first, then each community's. @since 0.1 */
GP_API int32_t gp_plan_problem_count(const gp_plan *plan);
/**
 * @return problem i's message (borrowed), naming communities, grid codes, block ids and input
 *         feature ids, never internal indexes; NULL when out of range. @since 0.1
 */
GP_API const char *gp_plan_problem(const gp_plan *plan, int32_t i);
/** @return problem i's severity (a gp_severity), -1 when out of range. @since 0.2 */
GP_API int32_t gp_plan_problem_severity(const gp_plan *plan, int32_t i);
/** @return problem i's kind (a gp_problem_kind), 0 when out of range. @since 0.2 */
GP_API int32_t gp_plan_problem_kind(const gp_plan *plan, int32_t i);
/** @return the index of problem i's community, or -1 for a run-wide problem. @since 0.2 */
GP_API int32_t gp_plan_problem_community(const gp_plan *plan, int32_t i);
/** @return the code of the grid problem i is about (borrowed), or NULL. @since 0.2 */
GP_API const char *gp_plan_problem_grid_code(const gp_plan *plan, int32_t i);
/**
 * The street blocks problem i is about, by block id (as in the `blocks` layer).
 * @param[out] count receives the number of ids (0 when none or out of range); may be NULL.
 * @return a borrowed array valid until the plan is freed, or NULL when there are none.
 * @since 0.2
 */
GP_API const int64_t *gp_plan_problem_blocks(const gp_plan *plan, int32_t i, int32_t *count);
/**
 * The input features problem i is about, by feature id (its layer is named in the message).
 * @param[out] count receives the number of ids (0 when none or out of range); may be NULL.
 * @return a borrowed array valid until the plan is freed, or NULL when there are none.
 * @since 0.2
 */
GP_API const int64_t *gp_plan_problem_features(const gp_plan *plan, int32_t i, int32_t *count);

/* ---- Staffing and workers (since 0.3) ---------------------------------------------------- */

/** @return grid g's worker id (borrowed), or NULL when it has none or no roster was given.
 * @since 0.3 */
GP_API const char *gp_plan_grid_worker(const gp_plan *plan, int32_t g);
/** @return 1 when the run had a staffing rule or a roster, else 0. @since 0.3 */
GP_API int32_t gp_plan_has_staffing(const gp_plan *plan);
/** @return workers community c needs by the staffing rule (0 without a rule). @since 0.3 */
GP_API int64_t gp_plan_community_staffing_required(const gp_plan *plan, int32_t c);
/** @return workers of community c on the roster (0 without a roster). @since 0.3 */
GP_API int32_t gp_plan_community_staffing_roster(const gp_plan *plan, int32_t c);
/** @return residents of community c used by the per10k rule (field sum or households x
 * persons; 0 for other rules). @since 0.3 */
GP_API double gp_plan_community_residents(const gp_plan *plan, int32_t c);
/** @return the number of workers on the roster, in community order, then worker-id order
 * (byte order) within a community. @since 0.3 */
GP_API int32_t gp_plan_worker_count(const gp_plan *plan);
/** @return worker w's id (borrowed), or NULL when out of range. @since 0.3 */
GP_API const char *gp_plan_worker_id(const gp_plan *plan, int32_t w);
/** @return the index of worker w's community, or -1. @since 0.3 */
GP_API int32_t gp_plan_worker_community(const gp_plan *plan, int32_t w);
/** @return grids given to worker w (0 for a surplus worker). @since 0.3 */
GP_API int32_t gp_plan_worker_grids(const gp_plan *plan, int32_t w);
/** @return worker w's grid codes, comma-separated in code order (borrowed; "" for a surplus
 * worker), or NULL when out of range. @since 0.3 */
GP_API const char *gp_plan_worker_grid_codes(const gp_plan *plan, int32_t w);
/** @return households in worker w's grids. @since 0.3 */
GP_API int64_t gp_plan_worker_households(const gp_plan *plan, int32_t w);
/** @return workload of worker w's grids. @since 0.3 */
GP_API double gp_plan_worker_workload(const gp_plan *plan, int32_t w);
/** @return the roster's feature id of worker w, or -1. @since 0.3 */
GP_API int64_t gp_plan_worker_feature(const gp_plan *plan, int32_t w);

/* ---- Results in memory: geometries, blocks, household features (since 0.3) --------------- */
/*
 * What gp_plan_write puts in the layers, read straight from the plan, so that a program holding
 * its data in memory needs no file.
 *
 * One convention for every array here (H3's "ask the size, then fill"): the caller owns the
 * memory. A `_size` or `_count` function says how much room is needed; the filling function
 * takes the caller's buffer and its capacity, fills it and returns GP_OK, or, when the buffer
 * is too small or an index is out of range, writes nothing and returns GP_ERR_ARG with a
 * message. Nothing here allocates, so nothing is to be freed, and numpy or ctypes buffers fit.
 *
 * Geometries are 2D WKB (each starts with its byte-order flag; GEOS writes the machine's) in
 * the output CRS, the communities' (gp_plan_write writes the same shapes): a grid or block is
 * a Polygon, or a MultiPolygon when it is in several parts (a grid flagged "multipart").
 */

/**
 * @return the size in bytes of grid g's geometry as WKB; 0 when g is out of range (or for a
 *         grid of gp_check without a shape).
 * @since 0.3
 */
GP_API size_t gp_plan_grid_wkb_size(const gp_plan *plan, int32_t g);

/**
 * Copy grid g's geometry as WKB in the output CRS into the caller's buffer.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] g the grid, 0 .. gp_plan_grid_count - 1.
 * @param[out] buf receives gp_plan_grid_wkb_size(plan, g) bytes.
 * @param[in] size the capacity of buf in bytes.
 * @return GP_OK; GP_ERR_ARG (plan or buf NULL, g out of range, size too small: nothing
 *         written).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_grid_wkb(gp_context *ctx, const gp_plan *plan, int32_t g,
                                               uint8_t *buf, size_t size);

/** @return the number of street blocks (pieces of cut blocks included), all communities
 *          together, in community order. @since 0.3 */
GP_API int32_t gp_plan_block_count(const gp_plan *plan);
/** @return block b's id within its community (the `block_id` of the blocks layer), or -1
 *          when out of range. @since 0.3 */
GP_API int64_t gp_plan_block_id(const gp_plan *plan, int32_t b);
/** @return the index of block b's community, or -1. @since 0.3 */
GP_API int32_t gp_plan_block_community(const gp_plan *plan, int32_t b);
/** @return the index of block b's grid (for gp_plan_grid_code), or -1. @since 0.3 */
GP_API int32_t gp_plan_block_grid(const gp_plan *plan, int32_t b);
/** @return households in block b (0 when out of range). @since 0.3 */
GP_API int64_t gp_plan_block_households(const gp_plan *plan, int32_t b);
/** @return 1 when every side of block b runs along streets or the community border, 0 when a
 *          side is a cut through a street block (the `on_streets` field), -1 when out of
 *          range. @since 0.3 */
GP_API int32_t gp_plan_block_on_streets(const gp_plan *plan, int32_t b);
/** @return the size in bytes of block b's geometry as WKB; 0 when out of range. @since 0.3 */
GP_API size_t gp_plan_block_wkb_size(const gp_plan *plan, int32_t b);

/**
 * Copy block b's geometry as WKB in the output CRS into the caller's buffer.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] b the block, 0 .. gp_plan_block_count - 1.
 * @param[out] buf receives gp_plan_block_wkb_size(plan, b) bytes.
 * @param[in] size the capacity of buf in bytes.
 * @return GP_OK; GP_ERR_ARG (plan or buf NULL, b out of range, size too small: nothing
 *         written).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_block_wkb(gp_context *ctx, const gp_plan *plan, int32_t b,
                                                uint8_t *buf, size_t size);

/**
 * The output CRS (the communities', the CRS of every geometry above and of gp_plan_write's
 * layers) as WKT, by the same "ask the size, then fill" convention.
 * @return the size in bytes of the WKT including its terminating NUL; 0 when plan is NULL or
 *         the output has no CRS.
 * @since 0.3
 */
GP_API size_t gp_plan_crs_wkt_size(const gp_plan *plan);

/**
 * Copy the output CRS as NUL-terminated WKT into the caller's buffer.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[out] buf receives gp_plan_crs_wkt_size(plan) bytes.
 * @param[in] size the capacity of buf in bytes.
 * @return GP_OK; GP_ERR_ARG (plan or buf NULL, the output has no CRS, size too small: nothing
 *         written).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_crs_wkt(gp_context *ctx, const gp_plan *plan, char *buf,
                                              size_t size);

/**
 * @return the number of household features of the input that the plan assigns: every feature
 *         gp_run or gp_adjust used (those skipped as unusable are problems, not here), inside
 *         a community or not; 0 for gp_check's plan.
 * @since 0.3
 */
GP_API int64_t gp_plan_household_count(const gp_plan *plan);

/**
 * The grid of every household feature, by feature id (the input layer's FID; for a layer given
 * as arrays, the id given with each feature), in ascending id order.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[out] fids receives gp_plan_household_count(plan) feature ids, ascending; may be NULL.
 * @param[out] grids receives the grid index of each (for gp_plan_grid_code), or -1 for a
 *             feature outside every community; may be NULL.
 * @param[in] size the capacity of each non-NULL array, in entries.
 * @return GP_OK; GP_ERR_ARG (plan NULL, size below the count: nothing written).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_household_grids(gp_context *ctx, const gp_plan *plan,
                                                      int64_t *fids, int32_t *grids,
                                                      int64_t size);

/**
 * The grid of one household feature.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] fid the feature's id.
 * @param[out] grid receives its grid index, or -1 when it lies outside every community.
 * @return GP_OK; GP_ERR_ARG (plan or grid NULL, or no feature of that id was used: the
 *         message says so; *grid is -1).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_household_grid(gp_context *ctx, const gp_plan *plan,
                                                     int64_t fid, int32_t *grid);

/**
 * Write the layers `grids` and `blocks` in the communities' CRS, as gp_plan_write_outputs
 * does with only the layers set and overwrite off: an existing layer or file of the same name
 * is an error and is left as it was (since 0.2; 0.1 replaced the whole file).
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] path the target: a file, a folder (for one-layer-per-file formats) or a
 *            connection string such as "PG:dbname=city" (see gp_outputs_set_layers).
 * @param[in] driver a GDAL vector driver name ("GPKG", "GeoJSON", "ESRI Shapefile", ...), or
 *            NULL to choose it from the path.
 * @return as gp_plan_write_outputs.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_plan_write(gp_context *ctx, const gp_plan *plan,
                                            const char *path, const char *driver);

/**
 * Write the JSON report: per community households, grids, min/max/mean households per grid,
 * workload max/mean, problems; totals; seconds per stage. As gp_plan_write_outputs with only
 * the report set: an existing file is an error (since 0.2).
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] path output file.
 * @return as gp_plan_write_outputs.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_plan_write_report(gp_context *ctx, const gp_plan *plan,
                                                   const char *path);

/**
 * The JSON report (as gp_plan_write_report writes it) in memory.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[out] out receives a NUL-terminated UTF-8 string; free it with gp_free. NULL on failure.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_plan_report_json(gp_context *ctx, const gp_plan *plan,
                                                  char **out);

/**
 * Write an SVG map: grids filled in distinct colours, street lines, community borders bold,
 * each grid labelled with its households. As gp_plan_write_outputs with only the map set: an
 * existing file is an error (since 0.2). Text from the input (codes) is escaped.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] path output file.
 * @return as gp_plan_write_outputs.
 * @since 0.1
 */
GP_API GP_NODISCARD gp_status gp_plan_write_map(gp_context *ctx, const gp_plan *plan,
                                                const char *path);

/**
 * What the fills of a map tell apart (since 0.3; gp_outputs_set_map_colour).
 * @since 0.3
 */
typedef enum {
    /** GP_MAP_COLOUR_WORKER when the run had a roster, else GP_MAP_COLOUR_GRID (the default). */
    GP_MAP_COLOUR_AUTO = 0,
    /** Each grid: touching grids get different colours (greedy colouring on adjacency). */
    GP_MAP_COLOUR_GRID = 1,
    /** Each worker's grids one colour, touching workers different (needs a roster). */
    GP_MAP_COLOUR_WORKER = 2,
    /** Kept, changed and new grids (needs an adjust run). */
    GP_MAP_COLOUR_CHANGE = 3,
    /** Each community's grids one colour, touching communities different. */
    GP_MAP_COLOUR_COMMUNITY = 4
} gp_map_colour;

/**
 * Write the maps of a whole city into a folder: `overview.svg` (every community coloured by
 * its grid count, hatched red when one of its grids breaks a bound, labelled with its id and
 * grid count where the label fits, each a link to its sheet) and one sheet per community
 * (the printable map of gp_plan_write_map restricted to that community, at its own scale),
 * named by the community's id: `ID.svg`, where characters other than letters, digits, '-',
 * '_' and '.' (and a leading '.') become '_', and a name taken already (ignoring case, or
 * "overview") gets "~2", "~3", ... in community order. The folder is made when missing (its
 * parent must exist). As gp_plan_write_outputs with only the sheets set: an existing file of
 * those names is an error; other files in the folder are never touched.
 * @param[in,out] ctx receives the error message.
 * @param[in] plan the plan.
 * @param[in] folder the folder (a GDAL virtual path such as "/vsimem/maps" works too).
 * @return as gp_plan_write_outputs; GP_ERR_IO naming the folder when it cannot be made or
 *         written, and then nothing is written.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_plan_write_map_sheets(gp_context *ctx, const gp_plan *plan,
                                                       const char *folder);

/* ------------------------------------------------------------------------------------------ */
/* Outputs: where a plan goes, checked before a run, written all or nothing after it          */
/* ------------------------------------------------------------------------------------------ */

/**
 * Where a run's results go: the layers `grids` and `blocks`, the JSON report and the SVG map.
 * gridpart writes only what it owns: the layers `grids` and `blocks` of the target (other
 * layers of a GeoPackage or database, and other files in a folder, are never touched) and the
 * report and map files. An output that exists already is an error unless overwrite is set.
 * @since 0.2
 */
typedef struct gp_outputs gp_outputs;

/**
 * Create an empty output set.
 * @param[out] out receives it; NULL on failure.
 * @return GP_OK, GP_ERR_ARG (out is NULL), GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_new(gp_outputs **out);

/**
 * Free an output set.
 * @param[in] outputs an output set or NULL (a no-op).
 * @since 0.2
 */
GP_API void gp_outputs_free(gp_outputs *outputs);

/**
 * Set where the layers `grids` and `blocks` go, in the communities' CRS (and `workers` when
 * the run had a roster, since 0.3: NAME.workers.EXT or workers.EXT in a one-layer-per-file
 * format; an existing dataset's `workers` layer is replaced, or removed when the run had none).
 * - A dataset that holds several layers (GeoPackage ".gpkg", SQLite, a PostgreSQL/PostGIS
 *   connection "PG:dbname=city host=..."): the two layers are added to it, or replaced in it
 *   with overwrite, inside one transaction, so other layers stay and an interrupted write
 *   leaves the old layers. A new file is made whole, then moved into place.
 * - A format that holds one layer per file (".geojson", ".fgb", ".shp", ".csv", ...): `grids`
 *   goes to the path and `blocks` beside it as NAME.blocks.EXT; a path without an extension
 *   names a folder (made when missing) that gets grids.EXT and blocks.EXT (a folder of
 *   shapefiles by default). Each file is written whole under a temporary name, then renamed.
 * - Since 0.3, any of these paths (and the report's and map's) may be a GDAL virtual path
 *   such as "/vsimem/city.gpkg": a program holding its data in memory never touches the disk.
 *   The same rules hold there (the folder must exist, an existing output is kept unless
 *   overwrite is set, all or nothing); "/vsimem" itself always exists.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] target the path or connection string (copied), or NULL for no layers.
 * @param[in] format a GDAL vector driver short name ("GPKG", "GeoJSON", "FlatGeobuf",
 *            "ESRI Shapefile", "PostgreSQL", ...), or NULL to choose it from GDAL's driver
 *            metadata: the connection prefix, else the extension (an unknown or ambiguous one
 *            is an error when the outputs are checked).
 * @return GP_OK; GP_ERR_ARG (outputs NULL); GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_layers(gp_context *ctx, gp_outputs *outputs,
                                                    const char *target, const char *format);

/**
 * Set the path of the JSON report (see gp_plan_write_report).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] path the file (copied), or NULL for none.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_report(gp_context *ctx, gp_outputs *outputs,
                                                    const char *path);

/**
 * Set the path of the SVG map (see gp_plan_write_map).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] path the file (copied), or NULL for none.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_map(gp_context *ctx, gp_outputs *outputs,
                                                 const char *path);

/**
 * Set the folder of the whole-city maps: an overview and one sheet per community (see
 * gp_plan_write_map_sheets). Existing files of those names are replaced only with overwrite.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] folder the folder (copied), or NULL for none.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_map_sheets(gp_context *ctx, gp_outputs *outputs,
                                                        const char *folder);

/**
 * Set what the fills of the map and of the sheets tell apart (default GP_MAP_COLOUR_AUTO).
 * GP_MAP_COLOUR_WORKER without a roster and GP_MAP_COLOUR_CHANGE outside adjust are errors
 * when the outputs are checked against the inputs, and when written.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] colour a gp_map_colour value.
 * @return GP_OK; GP_ERR_ARG (outputs NULL, not a gp_map_colour value).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_map_colour(gp_context *ctx, gp_outputs *outputs,
                                                        int32_t colour);

/**
 * Allow replacing outputs that exist: the layers `grids` and `blocks` of the target (only
 * those), the files of a one-layer-per-file format, the report and the map. Default 0: an
 * existing one is an error.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] overwrite 0 or 1.
 * @return GP_OK; GP_ERR_ARG.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_set_overwrite(gp_context *ctx, gp_outputs *outputs,
                                                       int32_t overwrite);

/**
 * Add a GDAL layer creation option for the layers written (as ogr2ogr -lco), e.g.
 * "ENCODING=UTF-8" for a shapefile, "RFC7946=YES" for GeoJSON, "SPATIAL_INDEX=NO". Checked
 * with the outputs: a key the output driver does not list among its layer creation options is
 * GP_ERR_ARG naming it (GDAL would only warn and ignore it, leaving a file unlike the one asked
 * for). gridpart's own choices (a CSV's GEOMETRY=AS_WKT) give way to the user's.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] option "KEY=VALUE" (copied); repeatable.
 * @return GP_OK; GP_ERR_ARG (outputs NULL, not KEY=VALUE); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_outputs_add_layer_option(gp_context *ctx, gp_outputs *outputs,
                                                          const char *option);

/**
 * Add a GDAL dataset creation option for a dataset the layers make (as ogr2ogr -dsco), e.g.
 * "VERSION=1.2" for a GeoPackage. Used when a new dataset or file is made, not when the layers
 * go into an existing dataset. Checked with the outputs as gp_outputs_add_layer_option is,
 * against the driver's dataset creation options.
 * @param[in,out] ctx receives the error message.
 * @param[in,out] outputs the output set.
 * @param[in] option "KEY=VALUE" (copied); repeatable.
 * @return GP_OK; GP_ERR_ARG (outputs NULL, not KEY=VALUE); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_outputs_add_dataset_option(gp_context *ctx, gp_outputs *outputs,
                                                            const char *option);

/**
 * Check, before any work, that the outputs can be written: the format is known, folders exist
 * and are writable, a database connects, existing outputs are replaced only with overwrite,
 * no two outputs are the same file, and none is an input (a file read, or a layer read from
 * the dataset the layers go to): an input is never replaced, not even with overwrite.
 * Nothing is written.
 * @param[in,out] ctx receives the error message, naming the output at fault.
 * @param[in] outputs the output set.
 * @param[in] inputs the run's inputs, or NULL to skip that check (gp_plan_write_outputs makes
 *            it with the plan's inputs).
 * @return GP_OK; GP_ERR_ARG (no output, unknown or ambiguous format, an output exists, two are
 *         the same file, an output is an input); GP_ERR_IO (a folder is missing or read-only, a
 *         database does not open); GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_outputs_check(gp_context *ctx, const gp_outputs *outputs,
                                               const gp_inputs *inputs);

/**
 * Write a plan to its outputs, all or nothing: everything is written under temporary names (or
 * inside a database transaction) and checked (every write, flush and close, so a full disk is
 * an error, never a truncated file), then moved into place together; on any failure, or when
 * the progress callback cancels, no output is changed. Temporaries left by a killed process
 * are removed by the next write into the same folder.
 * @param[in,out] ctx receives errors and progress (stage "write", cancellable).
 * @param[in] plan the plan.
 * @param[in] outputs the output set (checked again as gp_outputs_check does, with the inputs
 *            the plan was made from).
 * @return GP_OK; the errors of gp_outputs_check; GP_ERR_IO (naming the output and the
 *         system's or GDAL's reason); GP_ERR_CANCELED; GP_ERR_CRS; GP_ERR_NOMEM.
 * @since 0.2
 */
GP_API GP_NODISCARD gp_status gp_plan_write_outputs(gp_context *ctx, const gp_plan *plan,
                                                    const gp_outputs *outputs);

/* ------------------------------------------------------------------------------------------ */
/* Audit: gp_check judges an existing grids layer against the rules (since 0.3)               */
/* ------------------------------------------------------------------------------------------ */

/**
 * Set the grids layer that gp_check audits: gridpart's own output or grids a city drew, any
 * polygon layer in any CRS (one without a CRS is taken to be in the communities' CRS).
 * @param[in,out] ctx receives the error message.
 * @param[in,out] inputs the inputs.
 * @param[in] source "PATH[:LAYER]" (copied).
 * @param[in] code_field the grid code field, or NULL for "grid_code".
 * @param[in] community_field the field naming each grid's community id, or NULL: each grid
 *            belongs to the community holding most of its area.
 * @return GP_OK; GP_ERR_ARG (source NULL or empty); GP_ERR_NOMEM.
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_inputs_set_grids(gp_context *ctx, gp_inputs *inputs,
                                                  const char *source, const char *code_field,
                                                  const char *community_field);

/**
 * Audit the grids layer of gp_inputs_set_grids against the communities, streets and
 * households (and barriers) of the inputs, and the options' bounds, snapping tolerance and
 * sliver area. The plan holds the audited grids (codes as in the layer, households recounted
 * from the households layer by representative point, a household covered by several grids
 * counted in the first by community and code; blocks 0) with flags over_max, under_min,
 * not_contiguous, crosses_community, overlaps, off_streets; no blocks. Problems:
 * - violations (hard rules): a grid out of bounds where the community's households allow a
 *   division within them (GP_PROBLEM_BOUNDS_UNMET; else GP_PROBLEM_COMPONENT_INFEASIBLE, a
 *   warning), part of a community in no grid or households in no grid (GRIDS_GAP), two grids
 *   overlapping (GRIDS_OVERLAP), a grid in several pieces (GRID_NOT_CONTIGUOUS), a grid
 *   reaching beyond its community or in none (GRID_CROSSES_COMMUNITY). Gaps, overlaps, pieces
 *   and crossings count only when larger than the sliver area and wider than twice the
 *   snapping tolerance (two hand-drawn lines each that far off);
 * - warnings: border farther than the snapping tolerance from every street, barrier and
 *   community border, in metres with the place of its longest stretch (GRID_OFF_STREETS;
 *   gp_plan_grid_off_streets), repaired grid polygons, and the input facts gp_run reports.
 * Every household read is in a grid, in no grid of a community, or outside every community
 * (gp_plan_households_no_grid; the sum is verified).
 * @param[in,out] ctx receives errors, progress (cancellable) and log.
 * @param[in] inputs the layers, grids included.
 * @param[in] opts options, or NULL for the defaults.
 * @param[out] out receives the plan; NULL on failure.
 * @return GP_OK (whatever the audit found: gp_plan_hard_failures); GP_ERR_ARG (no grids
 *         layer); the errors of gp_run's reading; for the grids layer GP_ERR_INPUT (no code
 *         field: the message lists the fields; a null, blank or duplicate code: both feature
 *         ids; not polygons; an unknown community id) and GP_ERR_CRS (no CRS, and not in the
 *         communities' CRS either).
 * @since 0.3
 */
GP_API GP_NODISCARD gp_status gp_check(gp_context *ctx, const gp_inputs *inputs,
                                       const gp_options *opts, gp_plan **out);

/** gp_check: metres of grid g's border off streets, barriers and community borders. @since 0.3 */
GP_API double gp_plan_grid_off_streets(const gp_plan *plan, int32_t g);

/** gp_check: households in a community but in no grid (0 for gp_run). @since 0.3 */
GP_API int64_t gp_plan_households_no_grid(const gp_plan *plan);

/** gp_check: problems breaking a hard rule (the CLI's exit status 1); 0 for gp_run. @since 0.3 */
GP_API int32_t gp_plan_hard_failures(const gp_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* GRIDPART_H */
