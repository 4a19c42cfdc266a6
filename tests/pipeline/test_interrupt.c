/* SPDX-License-Identifier: MIT */
/**
 * @file test_interrupt.c A time limit stops a run inside GEOS (issue #15: honoured within half
 * a second whatever the input), and a GEOS interrupt asked elsewhere in the process never
 * changes a run's grids.
 *
 * One community holding a street lattice is divided in memory. Its street blocks take seconds
 * in single GEOS calls (noding the lattice, polygonizing it): without GEOS operations
 * interrupted (gp_geos_watch), a 0.3 s limit on the 300 x 300 lattice returns after 2.6 s even
 * with a cancel check between the steps of the blocks stage.
 */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "../time_scale.h"
#include "demo_fixture.h"
#include "gridpart.h"

#include <cpl_vsi.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UTM19 "EPSG:32619"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Little-endian WKB writer. */
typedef struct {
    uint8_t *p;
    size_t n;
} wkb_buf;

static void put_u32(wkb_buf *b, uint32_t v)
{
    memcpy(b->p + b->n, &v, 4);
    b->n += 4;
}

static void put_xy(wkb_buf *b, double x, double y)
{
    memcpy(b->p + b->n, &x, 8);
    memcpy(b->p + b->n + 8, &y, 8);
    b->n += 16;
}

static wkb_buf wkb_start(size_t cap, uint32_t type)
{
    wkb_buf b = {malloc(cap), 0};
    cr_assert_not_null(b.p);
    b.p[b.n++] = 1;
    put_u32(&b, type);
    return b;
}

/* One square community of side n * step with an n x n street lattice (n - 1 lines each way,
 * the border closes it) and one household point of 40 households in every cell. */
typedef struct {
    int32_t n_streets, n_cells;
    uint8_t *comm, **street, **cell;
    size_t comm_size, *street_size, *cell_size;
    int64_t *count;
    const char **cls;
} lattice;

static void lattice_make(lattice *l, int32_t n)
{
    const double x0 = 300000, y0 = 4600000, step = 50;
    memset(l, 0, sizeof *l);
    wkb_buf c = wkb_start(9 + 4 + 5 * 16, 3);
    put_u32(&c, 1);
    put_u32(&c, 5);
    double s = n * step;
    put_xy(&c, x0, y0);
    put_xy(&c, x0 + s, y0);
    put_xy(&c, x0 + s, y0 + s);
    put_xy(&c, x0, y0 + s);
    put_xy(&c, x0, y0);
    l->comm = c.p;
    l->comm_size = c.n;
    l->n_streets = 2 * (n - 1);
    l->street = calloc((size_t)l->n_streets, sizeof *l->street);
    l->street_size = calloc((size_t)l->n_streets, sizeof *l->street_size);
    l->cls = calloc((size_t)l->n_streets, sizeof *l->cls);
    for (int32_t i = 0; i < l->n_streets; i++) {
        int32_t k = i / 2 + 1;
        wkb_buf b = wkb_start(9 + (size_t)(n + 1) * 16, 2);
        put_u32(&b, (uint32_t)(n + 1));
        for (int32_t j = 0; j <= n; j++) {
            if (i % 2 == 0) {
                put_xy(&b, x0 + k * step, y0 + j * step);
            } else {
                put_xy(&b, x0 + j * step, y0 + k * step);
            }
        }
        l->street[i] = b.p;
        l->street_size[i] = b.n;
        l->cls[i] = "residential";
    }
    l->n_cells = n * n;
    l->cell = calloc((size_t)l->n_cells, sizeof *l->cell);
    l->cell_size = calloc((size_t)l->n_cells, sizeof *l->cell_size);
    l->count = calloc((size_t)l->n_cells, sizeof *l->count);
    for (int32_t i = 0; i < l->n_cells; i++) {
        wkb_buf b = wkb_start(21, 1);
        put_xy(&b, x0 + (i % n + 0.5) * step, y0 + (i / n + 0.5) * step);
        l->cell[i] = b.p;
        l->cell_size[i] = b.n;
        l->count[i] = 40;
    }
}

static void lattice_free(lattice *l)
{
    free(l->comm);
    for (int32_t i = 0; i < l->n_streets; i++) {
        free(l->street[i]);
    }
    for (int32_t i = 0; i < l->n_cells; i++) {
        free(l->cell[i]);
    }
    free(l->street);
    free(l->street_size);
    free(l->cls);
    free(l->cell);
    free(l->cell_size);
    free(l->count);
}

static void lattice_inputs(gp_context *ctx, gp_inputs *in, const lattice *l)
{
    const uint8_t *comm[1] = {l->comm};
    const char *ids[1] = {"LATTICE"};
    cr_assert_eq(gp_inputs_set_communities_wkb(ctx, in, 1, comm, &l->comm_size, NULL, ids, UTM19),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_streets_wkb(ctx, in, l->n_streets, (const uint8_t *const *)l->street,
                                           l->street_size, NULL, l->cls, UTM19),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_households_wkb(ctx, in, l->n_cells, (const uint8_t *const *)l->cell,
                                              l->cell_size, NULL, l->count, UTM19),
                 GP_OK, "%s", gp_context_last_error(ctx));
}

/* A run of a lattice under a time limit (run_limited, on any thread): its status, message,
 * whether it gave a plan, and how long gp_run took. */
typedef struct {
    lattice l;
    double limit;
    gp_status st;
    int planned;
    double took;
    char message[1024];
} limited_run;

static void *run_limited(void *arg)
{
    limited_run *r = arg;
    gp_context *ctx = NULL;
    gp_inputs *in = NULL;
    gp_options *opts = NULL;
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    lattice_inputs(ctx, in, &r->l);
    cr_assert_eq(gp_options_set_time_limit(ctx, opts, r->limit), GP_OK);
    gp_plan *plan = NULL;
    double t0 = now();
    r->st = gp_run(ctx, in, opts, &plan);
    r->took = now() - t0;
    r->planned = plan != NULL;
    snprintf(r->message, sizeof r->message, "%s", gp_context_last_error(ctx));
    gp_plan_free(plan);
    gp_options_free(opts);
    gp_inputs_free(in);
    gp_context_free(ctx);
    return NULL;
}

/* A run of a side x side lattice under `limit` stops within `within` seconds, with no plan and
 * an error naming the limit; `how` names the case in the messages. */
static void expect_limit_held(int32_t side, double limit, double within, const char *how)
{
    limited_run r = {.limit = limit};
    lattice_make(&r.l, side);
    run_limited(&r);
    cr_expect_eq(r.st, GP_ERR_CANCELED, "%s: status %d: %s", how, r.st, r.message);
    cr_expect(!r.planned, "%s: a plan", how);
    char want[64];
    snprintf(want, sizeof want, "time limit of %g s reached", limit);
    cr_expect(strstr(r.message, want) != NULL, "%s: %s", how, r.message);
    cr_expect_lt(r.took, within, "%s: a %g s limit returned after %.2f s", how, limit, r.took);
    printf("%s: a %g s limit returned after %.2f s\n", how, limit, r.took);
    lattice_free(&r.l);
}

/* A 0.3 s limit on a community whose street blocks alone take seconds (300 x 300 lattice,
 * 90,000 blocks): the run stops inside GEOS, within half a second of the limit. 0.3-0.4 s on
 * a quiet machine (every GEOS call interrupted, ours checked between steps); the bound is loose
 * for a loaded CI machine, far below the 2.6 s it takes when GEOS runs on. */
Test(interrupt, time_limit_stops_inside_street_blocks, .timeout = 600)
{
    expect_limit_held(300, 0.3, 1.5 * TIME_SCALE, "street blocks");
}

/* Asks GEOS for an interrupt (process-wide) at every progress report of the partition stage,
 * while the workers are dividing the communities (street blocks, overlays, predicates). */
static int32_t interrupt_often(double fraction, const char *stage, void *user)
{
    (void)fraction;
    int *asked = user;
    if (strcmp(stage, "partition") == 0) {
        GEOS_interruptRequest();
        (*asked)++;
    }
    return 0;
}

/* The demo city divided undisturbed: its context and inputs, and its grids as plan_digest
 * (demo_fixture.h) bytes to compare other runs' with. */
typedef struct {
    gp_context *ctx;
    gp_inputs *in;
    char *digest;
    size_t size;
} calm_demo;

static void calm_begin(calm_demo *d)
{
    gp_plan *calm = NULL;
    demo_run(&d->ctx, &d->in, &calm);
    d->digest = plan_digest(d->ctx, calm, &d->size);
    gp_plan_free(calm);
}

/* Whether `plan` has the undisturbed run's grids. */
static int calm_same(const calm_demo *d, const gp_plan *plan)
{
    size_t n = 0;
    char *digest = plan_digest(d->ctx, plan, &n);
    int same = n == d->size && memcmp(digest, d->digest, n) == 0;
    free(digest);
    return same;
}

static void calm_end(calm_demo *d)
{
    free(d->digest);
    gp_inputs_free(d->in);
    gp_context_free(d->ctx);
}

/* Interrupts asked by someone else (the host application) while a run's workers are in GEOS
 * are cleared by them, never taken: taken, one would fail a predicate into "false", make a
 * robust overlay start again with snapping, or fail a community. The grids are those of an
 * undisturbed run. */
Test(interrupt, foreign_interrupts_leave_the_grids_unchanged, .timeout = 600)
{
    calm_demo d;
    calm_begin(&d);
    for (int round = 0; round < 3; round++) {
        int asked = 0;
        cr_assert_eq(gp_context_set_progress(d.ctx, interrupt_often, &asked), GP_OK);
        gp_plan *hit = NULL;
        cr_assert_eq(gp_run(d.ctx, d.in, NULL, &hit), GP_OK, "%s", gp_context_last_error(d.ctx));
        cr_assert_gt(asked, 0, "no interrupt was asked");
        GEOS_interruptCancel(); /* the last one may have come after the workers' last check */
        cr_expect(calm_same(&d, hit), "round %d: %d interrupts from elsewhere changed the grids",
                  round, asked);
        gp_plan_free(hit);
    }
    calm_end(&d);
}

/* A host's GEOS interrupt callback, registered after the library's: it calls the library's,
 * then asks for an interrupt while it has some to ask (-1: at every check). GEOS then takes
 * the interrupt on the thread that called it (a run's worker, its own thread, or its
 * community-overlap job): what an interrupt asked elsewhere does when it comes in the instant
 * between the library's callback clearing it and GEOS testing it, which a test cannot aim at
 * otherwise. */
static GEOSInterruptCallback *host_chained;
static atomic_int host_to_ask;
static atomic_int host_asked;
/* When set, the host asks only on threads other than host_main (the test's, which calls the
 * library): while a run reads its layers, the one such thread in GEOS is the community-overlap
 * job's. */
static atomic_int host_off_main;
static pthread_t host_main;

static void host_interrupts(void)
{
    if (host_chained != NULL) {
        host_chained();
    }
    if (atomic_load(&host_off_main) && pthread_equal(pthread_self(), host_main)) {
        return;
    }
    int left = atomic_load(&host_to_ask);
    while (left > 0 && !atomic_compare_exchange_weak(&host_to_ask, &left, left - 1)) {
    }
    if (left != 0) {
        GEOS_interruptRequest();
        atomic_fetch_add(&host_asked, 1);
    }
}

/* The host's interrupts to arm, and at which progress stage (NULL: the first report). */
typedef struct {
    int arm;
    const char *stage;
} host_arm;

/* The progress callback that arms them: at the first report of `stage` ("partition": once a
 * run's workers run, so that the interrupts hit communities; NULL: the first report of all,
 * so that they hit the reading). */
static int32_t arm_host(double fraction, const char *stage, void *user)
{
    (void)fraction;
    host_arm *a = user;
    if (a->arm != 0 && (a->stage == NULL || strcmp(stage, a->stage) == 0)) {
        atomic_store(&host_to_ask, a->arm);
        a->arm = 0;
    }
    return 0;
}

/* The host's callback installed and armed for one call of fn (gp_run or gp_check); its
 * status. */
static gp_status with_host(gp_context *ctx, host_arm arm,
                           gp_status (*fn)(gp_context *, const gp_inputs *, const gp_options *,
                                           gp_plan **),
                           const gp_inputs *in, const gp_options *opts, gp_plan **out)
{
    cr_assert_eq(gp_context_set_progress(ctx, arm_host, &arm), GP_OK);
    atomic_store(&host_to_ask, 0);
    atomic_store(&host_asked, 0);
    host_main = pthread_self();
    host_chained = GEOS_interruptRegisterCallback(host_interrupts);
    gp_status st = fn(ctx, in, opts, out);
    atomic_store(&host_to_ask, 0);
    GEOS_interruptRegisterCallback(host_chained);
    GEOS_interruptCancel();
    cr_assert_eq(gp_context_set_progress(ctx, NULL, NULL), GP_OK);
    return st;
}

/* One run of the demo city with `arm` interrupts from the host's callback, armed at `stage`;
 * its status. */
static gp_status run_with_host(calm_demo *d, int arm, const char *stage, int32_t threads,
                               gp_plan **out)
{
    gp_options *opts = NULL;
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    cr_assert_eq(gp_options_set_threads(d->ctx, opts, threads), GP_OK);
    gp_status st = with_host(d->ctx, (host_arm){arm, stage}, gp_run, d->in, opts, out);
    gp_options_free(opts);
    return st;
}

/* An interrupt from elsewhere that GEOS takes in a worker costs that community another try,
 * not the run: the grids are those of an undisturbed run. A host that never stops asking fails
 * the run after three tries of a community, with a message saying why. */
Test(interrupt, a_community_hit_by_a_foreign_interrupt_is_worked_on_again, .timeout = 600)
{
    calm_demo d;
    calm_begin(&d);
    for (int32_t threads = 1; threads <= 2; threads++) {
        gp_plan *hit = NULL;
        gp_status st = run_with_host(&d, 2, "partition", threads, &hit);
        cr_assert_eq(st, GP_OK, "%d thread(s): %s", threads, gp_context_last_error(d.ctx));
        cr_assert_eq(atomic_load(&host_asked), 2, "%d thread(s): %d interrupts taken", threads,
                     atomic_load(&host_asked));
        cr_expect(calm_same(&d, hit), "%d thread(s): the communities tried again differ", threads);
        gp_plan_free(hit);
    }
    gp_plan *failed = NULL;
    cr_assert_eq(run_with_host(&d, -1, "partition", 1, &failed), GP_ERR_GEOMETRY);
    cr_assert_null(failed);
    const char *msg = gp_context_last_error(d.ctx);
    cr_assert_not_null(strstr(msg,
                              "(3 tries): a GEOS operation was interrupted from another "
                              "thread of this process"),
                       "%s", msg);
    /* The community's tries, not the run's: a community out of tries is not done again. */
    cr_assert_eq(strncmp(msg, "community ", 10), 0, "%s", msg);
    calm_end(&d);
}

/* The same for the run's own thread: an interrupt from elsewhere taken while it reads the
 * layers and settles the communities' overlaps (armed at the first progress report, before any
 * worker starts) costs the run another try from the start, not the run: the grids are those of
 * an undisturbed run. A host that never stops asking fails the run after three tries. */
Test(interrupt, a_run_hit_by_a_foreign_interrupt_while_reading_is_done_again, .timeout = 600)
{
    calm_demo d;
    calm_begin(&d);
    for (int32_t threads = 1; threads <= 2; threads++) {
        gp_plan *hit = NULL;
        gp_status st = run_with_host(&d, 2, NULL, threads, &hit);
        cr_assert_eq(st, GP_OK, "%d thread(s): %s", threads, gp_context_last_error(d.ctx));
        cr_assert_eq(atomic_load(&host_asked), 2, "%d thread(s): %d interrupts taken", threads,
                     atomic_load(&host_asked));
        cr_expect(calm_same(&d, hit), "%d thread(s): the run done again differs", threads);
        gp_plan_free(hit);
    }
    for (int32_t threads = 1; threads <= 2; threads++) {
        gp_plan *failed = NULL;
        cr_assert_eq(run_with_host(&d, -1, NULL, threads, &failed), GP_ERR_GEOMETRY);
        cr_assert_null(failed);
        const char *msg = gp_context_last_error(d.ctx);
        cr_assert_not_null(strstr(msg,
                                  "gp_run (3 tries): a GEOS operation was interrupted from "
                                  "another thread of this process"),
                           "%d thread(s): %s", threads, msg);
    }
    /* On 2 threads the communities' overlaps are settled on a thread of their own while the
     * streets and households are read. Interrupts taken only off this thread hit that job
     * before any worker starts: one at every check fails each of the three tries there alike
     * (the job is deterministic), so a third of them fails exactly the first try, and the run
     * done again gives the undisturbed grids. */
    atomic_store(&host_off_main, 1);
    gp_plan *failed = NULL;
    gp_status st = run_with_host(&d, -1, NULL, 2, &failed);
    int all = atomic_load(&host_asked);
    cr_assert_eq(st, GP_ERR_GEOMETRY, "%s", gp_context_last_error(d.ctx));
    cr_assert_null(failed);
    const char *msg = gp_context_last_error(d.ctx);
    cr_assert_not_null(strstr(msg, "gp_run (3 tries): a GEOS operation was interrupted"), "%s",
                       msg);
    cr_assert(all > 0 && all % 3 == 0, "%d interrupts taken in three tries", all);
    gp_plan *hit = NULL;
    st = run_with_host(&d, all / 3, NULL, 2, &hit);
    atomic_store(&host_off_main, 0);
    cr_assert_eq(st, GP_OK, "%s", gp_context_last_error(d.ctx));
    cr_assert_eq(atomic_load(&host_asked), all / 3);
    cr_expect(calm_same(&d, hit), "the run done again after the overlap job's try differs");
    gp_plan_free(hit);
    calm_end(&d);
}

/* Whether two audits found the same: the grids (plan_digest: codes, households, flags, shapes),
 * each grid's border off streets, and the failures, problems and households in no grid. */
static int same_audit(gp_context *ctx, const gp_plan *a, const gp_plan *b)
{
    size_t na = 0, nb = 0;
    char *da = plan_digest(ctx, a, &na);
    char *db = plan_digest(ctx, b, &nb);
    int same = na == nb && memcmp(da, db, na) == 0 &&
               gp_plan_hard_failures(a) == gp_plan_hard_failures(b) &&
               gp_plan_households_no_grid(a) == gp_plan_households_no_grid(b) &&
               gp_plan_problem_count(a) == gp_plan_problem_count(b);
    for (int32_t g = 0; same && g < gp_plan_grid_count(a); g++) {
        same = gp_plan_grid_off_streets(a, g) == gp_plan_grid_off_streets(b, g);
    }
    free(da);
    free(db);
    return same;
}

/* The same for gp_check: an audit hit by interrupts from elsewhere is done again and finds
 * what an undisturbed one finds; a host that never stops asking fails it after three tries. */
Test(interrupt, a_check_hit_by_a_foreign_interrupt_is_done_again, .timeout = 600)
{
    gp_context *ctx = NULL;
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    demo_run(&ctx, &in, &plan);
    /* The grids in GDAL's memory file system: nothing to clean from disk. */
    const char *path = "/vsimem/gp_interrupt_check/grids.gpkg";
    const char *spec = "/vsimem/gp_interrupt_check/grids.gpkg:grids";
    VSIMkdir("/vsimem/gp_interrupt_check", 0777);
    cr_assert_eq(gp_plan_write(ctx, plan, path, NULL), GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_grids(ctx, in, spec, NULL, NULL), GP_OK);
    gp_plan *calm = NULL;
    cr_assert_eq(gp_check(ctx, in, NULL, &calm), GP_OK, "%s", gp_context_last_error(ctx));

    gp_plan *hit = NULL;
    gp_status st = with_host(ctx, (host_arm){2, NULL}, gp_check, in, NULL, &hit);
    cr_assert_eq(st, GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(atomic_load(&host_asked), 2, "%d interrupts taken", atomic_load(&host_asked));
    cr_expect(same_audit(ctx, hit, calm), "the audit done again differs");
    gp_plan_free(hit);

    gp_plan *failed = NULL;
    cr_assert_eq(with_host(ctx, (host_arm){-1, NULL}, gp_check, in, NULL, &failed),
                 GP_ERR_GEOMETRY);
    cr_assert_null(failed);
    const char *msg = gp_context_last_error(ctx);
    cr_assert_not_null(strstr(msg, "gp_check (3 tries): a GEOS operation was interrupted"), "%s",
                       msg);

    gp_plan_free(calm);
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_context_free(ctx);
    VSIRmdirRecursive("/vsimem/gp_interrupt_check");
}

/* Two runs in one process: one stopped by its time limit inside GEOS (the lattice), one going
 * on (the demo city). The stopped one asks for no interrupt while the other goes on, so the
 * other's grids are those of an undisturbed run; it still stops, at its next step. */
Test(interrupt, a_stopped_run_leaves_another_run_alone, .timeout = 600)
{
    calm_demo d;
    calm_begin(&d);
    for (int round = 0; round < 3; round++) {
        limited_run r = {.limit = 0.2};
        lattice_make(&r.l, 120);
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, run_limited, &r), 0);
        gp_plan *beside = NULL;
        cr_assert_eq(gp_run(d.ctx, d.in, NULL, &beside), GP_OK, "%s", gp_context_last_error(d.ctx));
        pthread_join(t, NULL);
        cr_expect_eq(r.st, GP_ERR_CANCELED, "the limited run: status %d: %s", r.st, r.message);
        cr_expect(calm_same(&d, beside), "round %d: a run stopped beside it changed the grids",
                  round);
        gp_plan_free(beside);
        lattice_free(&r.l);
    }
    calm_end(&d);
}

/* When no worker thread can start, the run's own thread divides the communities: its time
 * limit still holds (the work's progress checks relay to it). An 80 x 80 lattice takes about
 * 3 s; before the relay, a 0.3 s limit returned after all of it. */
Test(interrupt, time_limit_holds_without_worker_threads, .timeout = 600)
{
    cr_assert(threads_cannot_start(), "a thread with a 64 TiB stack started: the test cannot work");
    expect_limit_held(80, 0.3, 0.8 * TIME_SCALE, "without worker threads");
}
