/* SPDX-License-Identifier: MIT */
/**
 * @file test_nomem.c gp_run and gp_adjust with their allocations failing in turn: each failure
 * is GP_ERR_NOMEM with a message and no plan, or is absorbed and changes nothing; nothing leaks.
 *
 * The allocation hook counts per thread, so worker threads are made unable to start (stacks too
 * big to map, as on a host out of threads or memory): the calling thread then reads, divides
 * every community (street blocks, the optimizer, the split stage, assembly) and gathers them,
 * and every allocation of the run is one the hook can fail.
 */

#include "demo_fixture.h"
#include "gridpart.h"

#include "core/memory.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gp_context *ctx;

static gp_inputs *demo_inputs(void)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    demo_set_inputs(ctx, in, 1);
    return in;
}

typedef gp_status (*run_fn)(gp_context *, const gp_inputs *, const gp_options *, gp_plan **);

/*
 * `run` with allocation n failing, for `samples` values of n spread over all of its
 * allocations: each returns GP_ERR_NOMEM with a message and no plan, or GP_OK with exactly the
 * grids of the undisturbed run (a failure absorbed, such as a memo left out); nothing leaks.
 * Returns how many failed with GP_ERR_NOMEM.
 */
static int64_t fail_in_turn(run_fn run, const gp_inputs *in, const gp_options *opts,
                            const char *what, int64_t samples, int64_t *tried)
{
    gp_plan *plan = NULL;
    int64_t base = gp_test_alloc_live();
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_eq(run(ctx, in, opts, &plan), GP_OK, "%s: %s", what, gp_context_last_error(ctx));
    int64_t total = gp_test_alloc_count();
    size_t want_size = 0;
    char *want = plan_digest(ctx, plan, &want_size);
    cr_assert_gt(gp_plan_grid_count(plan), 10, "%s: the demo city makes its grids", what);
    gp_plan_free(plan);
    cr_assert_eq(gp_test_alloc_live(), base, "%s: the undisturbed run leaks", what);
    cr_assert_gt(total, 1000, "%s: %lld allocations: the run is not on this thread", what,
                 (long long)total);
    int64_t stride = total / samples + 1, failed = 0;
    *tried = 0;
    for (int64_t n = 0; n < total; n += stride, (*tried)++) {
        gp_context_clear_error(ctx);
        plan = NULL;
        gp_test_alloc_fail_after(n, 0);
        gp_status st = run(ctx, in, opts, &plan);
        gp_test_alloc_fail_after(-1, 0);
        if (st == GP_ERR_NOMEM) {
            failed++;
            cr_assert_null(plan, "%s: allocation %lld failing left a plan", what, (long long)n);
            cr_assert_neq(gp_context_last_error(ctx)[0], '\0',
                          "%s: allocation %lld failing gave no message", what, (long long)n);
        } else {
            cr_assert_eq(st, GP_OK, "%s: allocation %lld failing gave %d: %s", what, (long long)n,
                         st, gp_context_last_error(ctx));
            size_t got_size = 0;
            char *got = plan_digest(ctx, plan, &got_size);
            cr_assert(got_size == want_size && memcmp(got, want, got_size) == 0,
                      "%s: allocation %lld failing changed the grids", what, (long long)n);
            free(got);
        }
        gp_plan_free(plan);
        cr_assert_eq(gp_test_alloc_live(), base, "%s: leak when allocation %lld of %lld fails",
                     what, (long long)n, (long long)total);
    }
    free(want);
    cr_log_info("%s: %lld allocations, %lld failed in turn: %lld GP_ERR_NOMEM, the rest absorbed",
                what, (long long)total, (long long)*tried, (long long)failed);
    return failed;
}

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert(threads_cannot_start(), "a thread with a 64 TiB stack started: the test cannot work");
}

static void teardown(void)
{
    gp_context_free(ctx);
}

TestSuite(nomem, .init = setup, .fini = teardown);

Test(nomem, a_run_reports_every_failing_allocation_without_leak, .timeout = 900)
{
    gp_inputs *in = demo_inputs();
    int64_t tried = 0;
    int64_t failed = fail_in_turn(gp_run, in, NULL, "gp_run", 120, &tried);
    /* Nearly every allocation is one the run cannot do without. */
    cr_assert_geq(failed * 10, tried * 9, "gp_run: only %lld of %lld failing allocations failed",
                  (long long)failed, (long long)tried);
    gp_inputs_free(in);
}

Test(nomem, an_adjustment_reports_every_failing_allocation_without_leak, .timeout = 900)
{
    gp_inputs *in = demo_inputs();
    gp_plan *old = NULL;
    cr_assert_eq(gp_run(ctx, in, NULL, &old), GP_OK, "%s", gp_context_last_error(ctx));
    char path[] = "/tmp/gp_nomem_XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char grids[600];
    snprintf(grids, sizeof grids, "%s/old.gpkg", path);
    cr_assert_eq(gp_plan_write(ctx, old, grids, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    gp_plan_free(old);
    char spec[700];
    snprintf(spec, sizeof spec, "%s:grids", grids);
    cr_assert_eq(gp_inputs_set_previous(ctx, in, spec, NULL, NULL), GP_OK, "%s",
                 gp_context_last_error(ctx));
    int64_t tried = 0;
    int64_t failed = fail_in_turn(gp_adjust, in, NULL, "gp_adjust", 60, &tried);
    cr_assert_geq(failed * 10, tried * 9, "gp_adjust: only %lld of %lld failing allocations failed",
                  (long long)failed, (long long)tried);
    gp_inputs_free(in);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    cr_assert_eq(system(cmd), 0);
}
