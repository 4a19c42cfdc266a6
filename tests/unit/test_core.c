/* SPDX-License-Identifier: MIT */
/** @file test_core.c Core: status strings, context, options validation, free(NULL), chaos alloc. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "core/context.h"
#include "core/memory.h"
#include "gridpart.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

Test(status, every_code_has_a_distinct_string)
{
    for (gp_status s = 0; s < GP_STATUS_COUNT; s++) {
        const char *str = gp_status_string(s);
        cr_assert_not_null(str);
        cr_assert_str_neq(str, "unknown status", "status %d has no string", s);
        for (gp_status t = 0; t < s; t++) {
            cr_assert_str_neq(str, gp_status_string(t), "statuses %d and %d share a string", s, t);
        }
    }
    cr_assert_str_eq(gp_status_string(GP_STATUS_COUNT), "unknown status");
    cr_assert_str_eq(gp_status_string(-1), "unknown status");
    cr_assert_str_eq(gp_status_string(INT32_MAX), "unknown status");
}

Test(status, codes_are_fixed)
{
    /* Values are part of the ABI: appending is allowed, renumbering is not. */
    cr_assert_eq(GP_OK, 0);
    cr_assert_eq(GP_ERR_ARG, 1);
    cr_assert_eq(GP_ERR_NOMEM, 2);
    cr_assert_eq(GP_ERR_IO, 3);
    cr_assert_eq(GP_ERR_INPUT, 4);
    cr_assert_eq(GP_ERR_CRS, 5);
    cr_assert_eq(GP_ERR_GEOMETRY, 6);
    cr_assert_eq(GP_ERR_INFEASIBLE, 7);
    cr_assert_eq(GP_ERR_CANCELED, 8);
    cr_assert_eq(GP_ERR_INTERNAL, 9);
    cr_assert_eq(GP_ERR_LIMIT, 10);
}

Test(version, runtime_matches_header)
{
    cr_assert_str_eq(gp_version(), GP_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", GP_VERSION_MAJOR, GP_VERSION_MINOR,
             GP_VERSION_PATCH);
    cr_assert_str_eq(gp_version(), expect);
    cr_assert_eq(gp_version_number(), GP_VERSION_NUMBER);
}

Test(status, every_problem_kind_has_a_distinct_name)
{
    /* Names are part of the report's contract: fixed, distinct, one per kind. */
    const char *names[GP_PROBLEM_LOAD_OUTSIDE + 1] = {0};
    for (int32_t k = GP_PROBLEM_VERTEX_OVER_MAX; k <= GP_PROBLEM_LOAD_OUTSIDE; k++) {
        names[k] = gp_problem_kind_name(k);
        cr_assert_str_neq(names[k], "unknown", "kind %d has no name", k);
        for (int32_t j = GP_PROBLEM_VERTEX_OVER_MAX; j < k; j++) {
            cr_assert_str_neq(names[k], names[j], "kinds %d and %d share a name", k, j);
        }
    }
    cr_assert_str_eq(gp_problem_kind_name(GP_PROBLEM_VERTEX_OVER_MAX), "vertex_over_max");
    cr_assert_str_eq(gp_problem_kind_name(GP_PROBLEM_BLOCK_CUT), "block_cut");
    cr_assert_str_eq(gp_problem_kind_name(0), "unknown");
    cr_assert_str_eq(gp_problem_kind_name(GP_PROBLEM_LOAD_OUTSIDE + 1), "unknown");
    cr_assert_str_eq(gp_problem_kind_name(-5), "unknown");
    cr_assert_eq(GP_SEVERITY_VIOLATION, 0);
    cr_assert_eq(GP_SEVERITY_WARNING, 1);
    cr_assert_eq(GP_SEVERITY_NOTE, 2);
}

Test(version, the_header_is_the_library_it_describes)
{
    /* Items are marked @since 0.2: the version must say so. */
#if !GP_AT_LEAST_VERSION(0, 2, 0)
    cr_assert_fail("GP_AT_LEAST_VERSION(0, 2, 0) is false for %s", GP_VERSION_STRING);
#endif
    cr_assert(GP_AT_LEAST_VERSION(0, 1, 9));
    cr_assert(!GP_AT_LEAST_VERSION(99, 0, 0));
}

Test(free_null, every_free_accepts_null)
{
    gp_free(NULL);
    gp_context_free(NULL);
    gp_options_free(NULL);
    gp_outputs_free(NULL);
    gp_inputs_free(NULL);
    gp_plan_free(NULL);
    gp_graph_free(NULL);
    gp_partition_free(NULL);
    /* Accessors of a NULL plan: empty, never a crash. */
    cr_assert_eq(gp_plan_problem_count(NULL), 0);
    cr_assert_null(gp_plan_problem(NULL, 0));
    cr_assert_eq(gp_plan_problem_severity(NULL, 0), -1);
    cr_assert_eq(gp_plan_problem_kind(NULL, 0), 0);
    cr_assert_eq(gp_plan_problem_community(NULL, 0), -1);
    cr_assert_null(gp_plan_problem_grid_code(NULL, 0));
    int32_t n = 7;
    cr_assert_null(gp_plan_problem_blocks(NULL, 0, &n));
    cr_assert_eq(n, 0);
    n = 7;
    cr_assert_null(gp_plan_problem_features(NULL, 3, &n));
    cr_assert_eq(n, 0);
    cr_assert_null(gp_plan_problem_blocks(NULL, 0, NULL));
    cr_assert_str_eq(gp_context_last_error(NULL), "");
    cr_assert_eq(gp_context_last_status(NULL), GP_OK);
    gp_context_clear_error(NULL);
}

Test(context, new_rejects_null_out)
{
    cr_assert_eq(gp_context_new(NULL), GP_ERR_ARG);
    cr_assert_eq(gp_options_new(NULL), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_new(NULL), GP_ERR_ARG);
}

Test(outputs, setters_and_check_validate)
{
    gp_context *ctx = NULL;
    gp_outputs *out = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_outputs_new(&out), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_ERR_ARG);
    cr_assert_str_eq(gp_context_last_error(ctx), "no output given (layers, report or map)");
    cr_assert_eq(gp_outputs_check(ctx, NULL, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, out, 2), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_layers(ctx, NULL, "x.gpkg", NULL), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_layers(ctx, out, "/nonexistent-folder/x.gpkg", NULL), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_ERR_IO);
    cr_assert(strstr(gp_context_last_error(ctx), "the folder /nonexistent-folder does not exist"),
              "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_outputs_set_layers(ctx, out, "x.unknownext", NULL), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "no GDAL vector format writes '.unknownext'"),
              "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_outputs_set_layers(ctx, out, "x.gpkg", "NotADriver"), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_layers(ctx, out, NULL, NULL), GP_OK); /* clears */
    cr_assert_eq(gp_outputs_set_map(ctx, out, "/nonexistent-folder/m.svg"), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, out, NULL), GP_ERR_IO);
    cr_assert_eq(gp_plan_write_outputs(ctx, NULL, out), GP_ERR_ARG);
    gp_outputs_free(out);
    gp_context_free(ctx);
}

struct log_capture {
    int calls;
    gp_log_level level;
    char last[GP_MESSAGE_MAX];
};

static void capture_log(gp_log_level level, const char *message, void *user)
{
    struct log_capture *cap = user;
    cap->calls++;
    cap->level = level;
    snprintf(cap->last, sizeof cap->last, "%s", message);
}

Test(context, errors_are_recorded_not_logged_and_cleared)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_str_eq(gp_context_last_error(ctx), "");
    struct log_capture cap = {0};
    cr_assert_eq(gp_context_set_log(ctx, capture_log, GP_LOG_WARN, &cap), GP_OK);
    gp_log(ctx, GP_LOG_INFO, "below the level %d", 1);
    cr_assert_eq(cap.calls, 0);
    gp_log(ctx, GP_LOG_WARN, "repaired feature %d", 7);
    cr_assert_eq(cap.calls, 1);
    cr_assert_str_eq(cap.last, "repaired feature 7");
    cr_assert_eq(gp_error(ctx, GP_ERR_INPUT, "feature %d: bad", 3), GP_ERR_INPUT);
    cr_assert_eq(gp_error_prefix(ctx, "households.gpkg"), GP_ERR_INPUT);
    cr_assert_str_eq(gp_context_last_error(ctx), "households.gpkg: feature 3: bad");
    cr_assert_eq(gp_context_last_status(ctx), GP_ERR_INPUT);
    /* An error is returned, not logged: a caller that recovers from it shows nothing, and one
     * that reports it shows it once. */
    cr_assert_eq(cap.calls, 1);
    cr_assert_eq(cap.level, GP_LOG_WARN);
    cr_assert_eq(gp_context_set_log(ctx, capture_log, (gp_log_level)9, &cap), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "9") != NULL);
    gp_context_clear_error(ctx);
    cr_assert_str_eq(gp_context_last_error(ctx), "");
    cr_assert_eq(gp_context_last_status(ctx), GP_OK);
    gp_context_free(ctx);
}

static int32_t cancel_at_half(double fraction, const char *stage, void *user)
{
    (void)stage;
    int *calls = user;
    (*calls)++;
    return fraction >= 0.5;
}

Test(context, progress_callback_cancels_and_stays_canceled)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    int calls = 0;
    cr_assert_eq(gp_progress(ctx, 0.1, "blocks"), GP_OK); /* no callback yet */
    cr_assert_eq(gp_context_set_progress(ctx, cancel_at_half, &calls), GP_OK);
    cr_assert_eq(gp_progress(ctx, 0.25, "blocks"), GP_OK);
    cr_assert_eq(gp_progress(ctx, 0.5, "partition"), GP_ERR_CANCELED);
    cr_assert(strstr(gp_context_last_error(ctx), "partition") != NULL);
    cr_assert_eq(gp_progress(ctx, 0.1, "partition"), GP_ERR_CANCELED);
    cr_assert_eq(calls, 2, "a canceled context must not call back again");
    gp_context_free(ctx);
}

Test(context, engines_are_created_and_route_errors)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_not_null(gp_ctx_geos(ctx));
    cr_assert_not_null(gp_ctx_proj(ctx));
    cr_assert_eq(gp_ctx_geos(ctx), gp_ctx_geos(ctx), "the handle is created once");
    gp_gdal_register_once();
    gp_gdal_register_once();
    gp_context_free(ctx);
}

/* ---- options ---------------------------------------------------------------------------- */

struct fixture {
    gp_context *ctx;
    gp_options *opts;
};

static struct fixture fx;

static void setup_opts(void)
{
    cr_assert_eq(gp_context_new(&fx.ctx), GP_OK);
    cr_assert_eq(gp_options_new(&fx.opts), GP_OK);
}

static void teardown_opts(void)
{
    gp_options_free(fx.opts);
    gp_context_free(fx.ctx);
}

TestSuite(options, .init = setup_opts, .fini = teardown_opts);

Test(options, defaults)
{
    cr_assert_eq(gp_options_get_min(fx.opts), 300);
    cr_assert_eq(gp_options_get_max(fx.opts), 500);
    cr_assert_eq(gp_options_get_target(fx.opts), 400);
    cr_assert_eq(gp_options_get_grid_count(fx.opts), 0);
    cr_assert_eq(gp_options_get_threads(fx.opts), 0);
    cr_assert_float_eq(gp_options_get_snap_tolerance(fx.opts), 2.0, 1e-12);
    cr_assert_float_eq(gp_options_get_effort(fx.opts), 1.0, 1e-12);
    cr_assert_eq(gp_options_get_overlaps(fx.opts), GP_OVERLAPS_ERROR);
}

Test(options, min_greater_than_max_names_both_values)
{
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 600, 450), GP_ERR_ARG);
    const char *msg = gp_context_last_error(fx.ctx);
    cr_assert(strstr(msg, "600") != NULL && strstr(msg, "450") != NULL, "message: %s", msg);
    cr_assert_eq(gp_options_get_min(fx.opts), 300, "a failed setter changes nothing");
    cr_assert_eq(gp_options_get_max(fx.opts), 500);
}

Test(options, bounds_validation)
{
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, -1, 500), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(fx.ctx), "-1") != NULL);
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 0, 0), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 200, 200), GP_OK);
    cr_assert_eq(gp_options_get_target(fx.opts), 200, "automatic target follows the bounds");
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 250, 450), GP_OK);
    cr_assert_eq(gp_options_get_target(fx.opts), 350);
    cr_assert_eq(gp_options_set_bounds(fx.ctx, NULL, 250, 450), GP_ERR_ARG);
}

Test(options, target_validation)
{
    cr_assert_eq(gp_options_set_target(fx.ctx, fx.opts, 501), GP_ERR_ARG);
    const char *msg = gp_context_last_error(fx.ctx);
    cr_assert(strstr(msg, "501") != NULL && strstr(msg, "300") != NULL, "message: %s", msg);
    cr_assert_eq(gp_options_set_target(fx.ctx, fx.opts, -5), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_target(fx.ctx, fx.opts, 450), GP_OK);
    cr_assert_eq(gp_options_get_target(fx.opts), 450);
    /* an explicit target outside new bounds is refused and names it */
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 100, 200), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(fx.ctx), "450") != NULL);
    cr_assert_eq(gp_options_set_target(fx.ctx, fx.opts, 0), GP_OK);
    cr_assert_eq(gp_options_set_bounds(fx.ctx, fx.opts, 100, 200), GP_OK);
    cr_assert_eq(gp_options_get_target(fx.opts), 150);
}

Test(options, other_setters_validate)
{
    cr_assert_eq(gp_options_set_grid_count(fx.ctx, fx.opts, -2), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_grid_count(fx.ctx, fx.opts, 7), GP_OK);
    cr_assert_eq(gp_options_get_grid_count(fx.opts), 7);
    cr_assert_eq(gp_options_set_threads(fx.ctx, fx.opts, -1), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_threads(fx.ctx, fx.opts, 5000), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_threads(fx.ctx, fx.opts, 2), GP_OK);
    cr_assert_eq(gp_options_get_threads(fx.opts), 2);
    cr_assert_eq(gp_options_set_snap_tolerance(fx.ctx, fx.opts, NAN), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_snap_tolerance(fx.ctx, fx.opts, -0.5), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(fx.ctx), "-0.5") != NULL);
    cr_assert_eq(gp_options_set_snap_tolerance(fx.ctx, fx.opts, 1.5), GP_OK);
    cr_assert_float_eq(gp_options_get_snap_tolerance(fx.opts), 1.5, 1e-12);
    cr_assert_eq(gp_options_set_sliver_area(fx.ctx, fx.opts, INFINITY), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_sliver_area(fx.ctx, fx.opts, 10.0), GP_OK);
    cr_assert_eq(gp_options_set_effort(fx.ctx, fx.opts, 0.0), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_effort(fx.ctx, fx.opts, 3.0), GP_OK);
    cr_assert_eq(gp_options_set_overlaps(fx.ctx, fx.opts, 2), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(fx.ctx), "overlaps mode 2") != NULL);
    cr_assert_eq(gp_options_get_overlaps(fx.opts), GP_OVERLAPS_ERROR);
    cr_assert_eq(gp_options_set_overlaps(fx.ctx, NULL, GP_OVERLAPS_FIRST), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_overlaps(fx.ctx, fx.opts, GP_OVERLAPS_FIRST), GP_OK);
    cr_assert_eq(gp_options_get_overlaps(fx.opts), GP_OVERLAPS_FIRST);
    cr_assert_eq(gp_options_get_overlaps(NULL), GP_OVERLAPS_ERROR);
    cr_assert_eq(gp_options_set_seed(fx.ctx, fx.opts, 42), GP_OK);
    cr_assert_eq(gp_options_get_seed(fx.opts), 42);
    gp_options *copy = NULL;
    cr_assert_eq(gp_options_clone(fx.opts, &copy), GP_OK);
    cr_assert_eq(gp_options_get_seed(copy), 42);
    cr_assert_eq(gp_options_get_grid_count(copy), 7);
    cr_assert_eq(gp_options_get_overlaps(copy), GP_OVERLAPS_FIRST);
    gp_options_free(copy);
}

/* ---- allocation failure ------------------------------------------------------------------ */

/* A scenario touching every allocating core entry point; returns its status. */
static gp_status core_scenario(void)
{
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_options *copy = NULL;
    gp_status st = gp_context_new(&ctx);
    if (st != GP_OK) {
        goto done;
    }
    st = gp_options_new(&opts);
    if (st != GP_OK) {
        goto done;
    }
    st = gp_options_clone(opts, &copy);
    if (st != GP_OK) {
        goto done;
    }
    char *s = gp_strdup("households.gpkg");
    if (s == NULL) {
        st = GP_ERR_NOMEM;
        goto done;
    }
    gp_free(s);
done:
    gp_options_free(copy);
    gp_options_free(opts);
    gp_context_free(ctx);
    return st;
}

Test(alloc_failure, every_allocation_failing_is_reported_without_leak)
{
    int64_t base = gp_test_alloc_live();
    int failures = 0;
    for (int64_t n = 0;; n++) {
        gp_test_alloc_fail_after(n, 0);
        gp_status st = gp_test_alloc_count(), st2 = core_scenario();
        (void)st;
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
        if (st2 == GP_OK) {
            break;
        }
        cr_assert_eq(st2, GP_ERR_NOMEM, "allocation %lld failing gave status %d", (long long)n,
                     st2);
        failures++;
        cr_assert_lt(n, 1000, "the scenario never completes");
    }
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_geq(failures, 4, "each of the scenario's allocations was made to fail");
}

Test(options, balance_and_workload_cap_are_validated)
{
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    cr_assert_eq(gp_options_get_balance(opts), GP_BALANCE_AUTO);
    cr_assert_eq(gp_options_get_max_workload(opts), 0.0);
    cr_assert_eq(gp_options_set_balance(ctx, opts, GP_BALANCE_HOUSEHOLDS), GP_OK);
    cr_assert_eq(gp_options_get_balance(opts), GP_BALANCE_HOUSEHOLDS);
    cr_assert_eq(gp_options_set_balance(ctx, opts, 3), GP_ERR_ARG);
    cr_assert(strstr(gp_context_last_error(ctx), "balance mode 3") != NULL, "%s",
              gp_context_last_error(ctx));
    cr_assert_eq(gp_options_get_balance(opts), GP_BALANCE_HOUSEHOLDS, "a refused value changes nothing");
    cr_assert_eq(gp_options_set_max_workload(ctx, opts, 650.5), GP_OK);
    cr_assert_eq(gp_options_get_max_workload(opts), 650.5);
    cr_assert_eq(gp_options_set_max_workload(ctx, opts, -1), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_max_workload(ctx, opts, NAN), GP_ERR_ARG);
    cr_assert_eq(gp_options_set_max_workload(ctx, opts, INFINITY), GP_ERR_ARG);
    cr_assert_eq(gp_options_get_max_workload(opts), 650.5);
    gp_options_free(opts);
    gp_context_free(ctx);
}

/* A disc of radius 10 around the origin through GEOS (a buffer, which checks for interrupts);
 * NULL when the operation was interrupted. */
static GEOSGeometry *disc(GEOSContextHandle_t h)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, 0, 0);
    cr_assert_not_null(pt);
    GEOSGeometry *d = GEOSBuffer_r(h, pt, 10, 8);
    GEOSGeom_destroy_r(h, pt);
    return d;
}

/* gp_geos_watch (issue #15): a stopped thread's GEOS operations are interrupted, but only
 * while no run of the process is going on; a going thread clears an interrupt asked elsewhere
 * instead of taking it; an interruption is recorded in the context. */
Test(geos, interrupts_stop_the_watching_thread_and_spare_runs_going_on)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    cr_assert_not_null(h);
    atomic_int stop = 0;
    const atomic_int *before = gp_geos_watch(&stop);
    gp_geos_run_begin();
    GEOS_interruptRequest(); /* from elsewhere in the process */
    GEOSGeometry *d = disc(h);
    cr_assert_not_null(d, "a going thread took an interrupt asked elsewhere: %s",
                       gp_ctx_engine_error(ctx));
    GEOSGeom_destroy_r(h, d);
    cr_assert_eq(ctx->geos_interrupted, 0);
    /* Stopped, but a run goes on (here this thread's own, counted as another's). */
    atomic_store(&stop, 1);
    d = disc(h);
    cr_assert_not_null(d, "a stopped thread asked for an interrupt while a run went on");
    GEOSGeom_destroy_r(h, d);
    cr_assert_eq(ctx->geos_interrupted, 0);
    cr_assert_eq(gp_geos_check_interrupted(ctx, ctx, "the work"), GP_OK);
    /* Stopped, and no run goes on: interrupted, and the context knows it. */
    gp_geos_run_end();
    cr_assert_null(disc(h), "a stopped thread's GEOS operation ran to its end");
    cr_assert_eq(ctx->geos_interrupted, 1);
    cr_assert(strstr(gp_ctx_engine_error(ctx), "Interrupted") != NULL, "%s",
              gp_ctx_engine_error(ctx));
    cr_assert_eq(gp_geos_check_interrupted(ctx, ctx, "the work"), GP_ERR_GEOMETRY);
    cr_assert(
        strstr(gp_context_last_error(ctx), "the work: a GEOS operation was interrupted") != NULL,
        "%s", gp_context_last_error(ctx));
    /* Watching nothing again: GEOS runs as before. */
    cr_assert_eq(gp_geos_watch(before), &stop);
    d = disc(h);
    cr_assert_not_null(d, "%s", gp_ctx_engine_error(ctx));
    GEOSGeom_destroy_r(h, d);
    gp_context_free(ctx);
}

/* gp_geos_guard: GEOS work that no interrupt may cut short (writing, checking) clears one
 * asked elsewhere, and the thread watches what it watched before once it ends. */
Test(geos, a_guard_clears_interrupts_asked_elsewhere)
{
    gp_context *ctx = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    atomic_int stop = 1;
    const atomic_int *before = gp_geos_watch(&stop);
    gp_geos_guard guard = gp_geos_guard_begin();
    GEOS_interruptRequest();
    GEOSGeometry *d = disc(h);
    cr_assert_not_null(d, "guarded GEOS work was interrupted: %s", gp_ctx_engine_error(ctx));
    GEOSGeom_destroy_r(h, d);
    gp_geos_guard_end(guard);
    /* Back to the stopped flag, with no run going on: interrupted again. */
    cr_assert_null(disc(h));
    cr_assert_eq(gp_geos_watch(before), &stop);
    gp_context_free(ctx);
}
