/* SPDX-License-Identifier: MIT */
/** @file run.c gp_run: the whole pipeline, communities in parallel, one context per thread. */

#include "adjust.h"
#include "assemble.h"
#include "check.h"
#include "loadfacts.h"
#include "divide.h"
#include "inputs.h"
#include "plan.h"
#include "roster.h"
#include "schedule.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "geometry/crs.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Shared by the workers of one run. Each community's result lands in its own slot, so the
 * merged plan is in community order whatever the thread count. */
typedef struct {
    const gp_dataset *ds;
    const gp_options *opts; /* per-community options: threads = 1 */
    const int32_t *order;   /* the communities longest first (schedule.c) */
    gp_plan **partial;      /* one plan per community */
    gp_status *status;      /* one status per community */
    char (*message)[GP_MESSAGE_MAX];
    atomic_int next;
    atomic_int done;
    atomic_int cancel;
    int32_t n;
    int streetless; /* no street line reaches any community: one run-wide warning says so */
    const gp_previous *prev; /* adjust: the previous division, else NULL */
    const gp_roster *roster; /* workers and residents, or NULL (roster.c) */
    /* The run's thread waits on `finished` (with `lock`) for the last community, between its
     * progress reports. */
    pthread_mutex_t lock;
    pthread_cond_t finished;
    /* When no worker thread could start, the run's own thread does the work: its context (the
     * time limit, the host's progress callback), which the work's progress checks relay to at
     * the run's poll interval, at relay_next; else NULL. */
    gp_context *relay;
    double relay_next;
    int waiting; /* lock and finished are made */
} shared_work;

/* Seconds between the run's progress reports (and checks of its time limit and cancel) while
 * the communities are worked on. */
static const double GP_POLL_SECONDS = 0.02;

/* The run's progress while the communities are worked on. */
static double run_fraction(shared_work *w)
{
    return 0.05 + 0.9 * atomic_load(&w->done) / (w->n ? w->n : 1);
}

/* Stop the run's workers (a cancel, the time limit or a failed community): once, so that the
 * run counts as going no more for GEOS interrupts (gp_geos_run_end). */
static void stop_workers(shared_work *w)
{
    if (atomic_exchange(&w->cancel, 1) == 0) {
        gp_geos_run_end();
    }
}

/* The worker contexts' progress callback: cancellation requested by the main thread, or, when
 * the run's thread does the work itself, its own progress check (relayed at the poll
 * interval: the host's callback is not called more often than with workers). */
static int32_t worker_cancel(double fraction, const char *stage, void *user)
{
    shared_work *w = user;
    (void)fraction;
    (void)stage;
    double t = w->relay != NULL ? now() : 0.0;
    if (w->relay != NULL && !atomic_load(&w->cancel) && t >= w->relay_next) {
        w->relay_next = t + GP_POLL_SECONDS;
        if (gp_progress(w->relay, run_fraction(w), "partition") != GP_OK) {
            stop_workers(w);
        }
    }
    return atomic_load(&w->cancel);
}

/* Makes the lock and condition the run's thread waits on (on the monotonic clock, as the time
 * limit): 0, or -1 when they cannot be made. */
static int wait_init(shared_work *w)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        return -1;
    }
    int bad = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
              pthread_cond_init(&w->finished, &attr) != 0;
    pthread_condattr_destroy(&attr);
    if (!bad && pthread_mutex_init(&w->lock, NULL) != 0) {
        pthread_cond_destroy(&w->finished);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* One more community done; the run's thread wakes for the last one. */
static void community_done(shared_work *w)
{
    if (atomic_fetch_add(&w->done, 1) + 1 == w->n) {
        pthread_mutex_lock(&w->lock);
        pthread_cond_broadcast(&w->finished);
        pthread_mutex_unlock(&w->lock);
    }
}

/* Waits until every community is done, or at most `seconds`. */
static void wait_done(shared_work *w, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = until.tv_nsec + (long)(seconds * 1e9);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&w->lock);
    if (atomic_load(&w->done) < w->n) {
        pthread_cond_timedwait(&w->finished, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
}

/* The problems that say which blocks the split stage cut, how and why. */
static gp_status report_cuts(gp_context *ctx, const gp_dataset *ds, const gp_blocks *blocks,
                             const gp_divided *dv, const gp_options *opts, gp_plan *plan)
{
    const gp_pieces *ps = dv->pieces;
    int32_t pci = plan->n_communities - 1;
    const char *cid = ds->community_id[blocks->community];
    gp_status st = GP_OK;
    for (int32_t i = 0; ps != NULL && i < ps->n_cut && st == GP_OK; i++) {
        int32_t v = ps->cut_block[i];
        char ids[256] = "";
        size_t at = 0;
        for (int32_t k = ps->cut_first[i]; k < ps->cut_first[i + 1] && at < sizeof ids - 16; k++) {
            at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%" PRId32,
                                   k > ps->cut_first[i] ? ", " : "", ps->cut_piece[k]);
        }
        char why[160];
        if (dv->reason[v] == GP_CUT_OVERSIZE) {
            snprintf(why, sizeof why, "it holds more than the maximum %" PRId64,
                     opts->max_households);
        } else if (dv->reason[v] == GP_CUT_PREVIOUS) {
            snprintf(why, sizeof why, "the previous grids divided its households");
        } else {
            snprintf(why, sizeof why,
                     "no division of whole blocks meets the bounds, although the community's "
                     "%" PRId64 " households allow it",
                     blocks->households_assigned);
        }
        int32_t np = ps->cut_first[i + 1] - ps->cut_first[i];
        int64_t *pieces = gp_malloc((size_t)np * sizeof *pieces);
        if (pieces == NULL) {
            return gp_error_nomem(ctx, "a problem record");
        }
        for (int32_t k = 0; k < np; k++) {
            pieces[k] = ps->cut_piece[ps->cut_first[i] + k];
        }
        gp_problem_where w = {
            GP_SEVERITY_NOTE, GP_PROBLEM_BLOCK_CUT, pci, NULL, pieces, np, NULL, 0};
        st = gp_plan_add_problem(
            ctx, plan, &w,
            "community %s: block %" PRId32 " (%" PRId64 " households) split into %" PRId32
            " pieces (block ids %s) by a cut of %.0f m between buildings "
            "and %.0f m along internal paths, because %s",
            cid, v, blocks->households[v], np, ids, ps->cut_off[i], ps->cut_path[i], why);
        gp_free(pieces);
    }
    return st;
}

/* Record the grid of each household feature of the community just assembled: the plan's blocks
 * of the community are `out`'s blocks in order, and each block lists its household features. */
static gp_status record_households(gp_context *ctx, const gp_dataset *ds, const gp_blocks *out,
                                   gp_plan *plan)
{
    const gp_plan_community *pc = &plan->communities[plan->n_communities - 1];
    if (pc->n_blocks != out->n) {
        return gp_error(ctx, GP_ERR_INTERNAL, "community %s: %d plan blocks for %d blocks", pc->id,
                        (int)pc->n_blocks, (int)out->n);
    }
    gp_status st = GP_OK;
    for (int32_t v = 0; v < out->n && st == GP_OK; v++) {
        int32_t grid = plan->blocks[pc->first_block + v].grid;
        for (int32_t k = out->hh_start[v]; k < out->hh_start[v + 1] && st == GP_OK; k++) {
            st = gp_plan_add_household(ctx, plan, ds->hh_fid[out->hh_list[k]], grid);
        }
    }
    return st;
}

static gp_status one_community(gp_context *ctx, const shared_work *w, int32_t c,
                               OGRCoordinateTransformationH ct, gp_plan *plan)
{
    gp_blocks *blocks = NULL;
    gp_divided dv = {0};
    gp_prev_community *pc = NULL;
    gp_grid_codes codes = {0};
    double t0 = now();
    gp_status st = gp_community_blocks(ctx, w->ds, c, w->opts, NULL, &blocks);
    if (st != GP_OK ||
        (w->prev && (st = gp_prev_community_new(ctx, w->ds, w->prev, blocks, &pc)) != GP_OK)) {
        goto done;
    }
    double t1 = now();
    /* Between stages, a cancel asked by the main thread stops the community (the worker's
     * progress callback reads it). Split stage and optimizer: the blocks, or the pieces of cut
     * blocks, in grids. */
    if ((st = gp_progress(ctx, 0.0, "partition")) != GP_OK ||
        (st = gp_divide_adjust(ctx, w->ds, blocks, w->opts, pc, &dv)) != GP_OK ||
        (st = gp_progress(ctx, 0.0, "assemble")) != GP_OK) {
        goto done;
    }
    double t2 = now();
    const gp_blocks *out_blocks = dv.pieces ? dv.pieces->blocks : blocks;
    if (pc != NULL &&
        (st = gp_grid_codes_make(ctx, pc, out_blocks,
                                 dv.pieces ? dv.pieces->assign : gp_partition_assignment(dv.part),
                                 gp_partition_grid_count(dv.part), w->opts, dv.pieces == NULL,
                                 &codes)) != GP_OK) {
        goto done;
    }
    st = gp_assemble_community(ctx, w->ds, out_blocks, dv.part, dv.pieces, w->opts, ct,
                               pc ? &codes : NULL, plan);
    if (st != GP_OK || (st = record_households(ctx, w->ds, out_blocks, plan)) != GP_OK || (pc && (st = gp_adjust_record(ctx, pc, &codes, plan)) != GP_OK) ||
        (st = report_cuts(ctx, w->ds, blocks, &dv, w->opts, plan)) != GP_OK) {
        goto done;
    }
    if (blocks->n_slivers > 0 || blocks->n_leftovers > 0 || blocks->n_households_nearest > 0) {
        gp_problem_where at = {GP_SEVERITY_NOTE,
                               GP_PROBLEM_BLOCKS_MERGED,
                               plan->n_communities - 1,
                               NULL,
                               NULL,
                               0,
                               NULL,
                               0};
        st = gp_plan_add_problem(ctx, plan, &at,
                                 "community %s: %" PRId32 " sliver(s) and %" PRId32
                                 " leftover piece(s) merged into neighbouring blocks; %" PRId64
                                 " household feature(s) on no block given to the nearest",
                                 w->ds->community_id[c], blocks->n_slivers, blocks->n_leftovers,
                                 blocks->n_households_nearest);
    }
    if (st == GP_OK && !w->streetless && w->ds->street_start[c + 1] == w->ds->street_start[c]) {
        gp_problem_where at = {GP_SEVERITY_WARNING, GP_PROBLEM_NO_STREETS,
                               plan->n_communities - 1, NULL, NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &at,
                                 "community %s: no street line of %s reaches it: it is one street "
                                 "block, so its grids are cut between buildings%s",
                                 w->ds->community_id[c], w->ds->notes[GP_ROLE_STREETS].label,
                                 w->opts->split == GP_SPLIT_NEVER ? " (cutting is off: one grid)"
                                                                  : "");
    }
    if (st == GP_OK) {
        st = gp_roster_staff(ctx, w->roster, w->opts, c, plan);
    }
    if (st == GP_OK) {
        st = gp_plan_pack(ctx, plan); /* what is kept, out of the thread's heap */
    }
    plan->seconds[GP_STAGE_BLOCKS] += t1 - t0;
    plan->seconds[GP_STAGE_PARTITION] += t2 - t1;
    plan->seconds[GP_STAGE_ASSEMBLE] += now() - t2;
done:
    gp_grid_codes_clear(&codes);
    gp_prev_community_free(pc);
    gp_divided_clear(&dv);
    gp_blocks_free(blocks);
    return st;
}

/*
 * One community into a new plan *out. An interrupted GEOS operation of this thread means this
 * run's own stop (the run then fails for its cause), or an interrupt asked elsewhere in the
 * process in the instant gp_geos_watch cannot guard (between our GEOS callback clearing it and
 * GEOS testing it): what the community made may then rest on a predicate that read false, so
 * nothing of it is kept, and the community is worked on again from the start. Its work is
 * deterministic, so a try that is not interrupted gives the undisturbed run's grids.
 */
static gp_status community(gp_context *ctx, const shared_work *w, int32_t c,
                           OGRCoordinateTransformationH ct, gp_plan **out)
{
    for (int tries = 0; tries < GP_FOREIGN_INTERRUPT_TRIES; tries++) {
        ctx->geos_interrupted = 0;
        gp_status st = gp_plan_new(ctx, out);
        if (st == GP_OK) {
            st = one_community(ctx, w, c, ct, *out);
        }
        if (!ctx->geos_interrupted) {
            return st;
        }
        gp_plan_free(*out);
        *out = NULL;
        gp_context_clear_error(ctx);
        if (atomic_load(&w->cancel)) {
            return GP_ERR_CANCELED;
        }
    }
    char what[GP_MESSAGE_MAX];
    snprintf(what, sizeof what, "community %s (%d tries)", w->ds->community_id[c],
             GP_FOREIGN_INTERRUPT_TRIES);
    return gp_geos_check_interrupted(ctx, ctx, what);
}

static void *worker(void *arg)
{
    shared_work *w = arg;
    gp_context *ctx = NULL;
    OGRCoordinateTransformationH ct = NULL;
    /* A cancel or the time limit stops this thread's GEOS calls too, not only our loops. */
    const atomic_int *watched = gp_geos_watch(&w->cancel);
    gp_status st = gp_context_new(&ctx);
    if (st == GP_OK) {
        st = gp_context_set_progress(ctx, worker_cancel, w);
    }
    if (st == GP_OK) {
        /* PROJ transformations are not thread-safe: one per worker. */
        st = gp_transform_new(ctx, w->ds->work_wkt, w->ds->output_wkt, &ct);
    }
    for (;;) {
        int32_t i = atomic_fetch_add(&w->next, 1);
        if (i >= w->n) {
            break;
        }
        int32_t c = w->order[i];
        if (st == GP_OK && !atomic_load(&w->cancel)) {
            w->status[c] = community(ctx, w, c, ct, &w->partial[c]);
        } else {
            w->status[c] = st != GP_OK ? st : GP_ERR_CANCELED;
        }
        if (w->status[c] != GP_OK) {
            snprintf(w->message[c], GP_MESSAGE_MAX, "%s",
                     ctx && *gp_context_last_error(ctx) ? gp_context_last_error(ctx)
                                                        : gp_status_string(w->status[c]));
            gp_context_clear_error(ctx);
            if (w->status[c] != GP_ERR_INFEASIBLE) {
                stop_workers(w); /* no use going on: the run fails */
            }
        }
        community_done(w);
    }
    if (ct != NULL) {
        OCTDestroyCoordinateTransformation(ct);
    }
    gp_context_free(ctx);
    gp_geos_watch(watched);
    return NULL;
}

static int32_t thread_count(const gp_options *opts, int32_t n)
{
    long t = opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) {
        t = 1;
    }
    return (int32_t)(t < n ? t : (n > 0 ? n : 1));
}

/* "1, 2, 3, ..." : the first ids of a list, for a message. */
static void list_ids(char *out, size_t size, const int64_t *ids, int64_t n, int64_t total)
{
    size_t at = 0;
    out[0] = '\0';
    for (int64_t i = 0; i < n && i < 20 && at + 24 < size; i++) {
        at += (size_t)snprintf(out + at, size - at, "%s%" PRId64, i ? ", " : "", ids[i]);
    }
    if (total > 20 && at + 6 < size) {
        snprintf(out + at, size - at, ", ...");
    }
}

static int32_t kept(int64_t n)
{
    return (int32_t)(n < GP_FID_KEEP ? n : GP_FID_KEEP);
}

/* The communities of repaired community features, by id, for the message. */
static void community_ids(char *out, size_t size, const gp_dataset *ds, const gp_layer_notes *nt)
{
    size_t at = 0;
    out[0] = '\0';
    for (int64_t i = 0; i < nt->n_repaired && i < 20 && i < GP_FID_KEEP && at + 8 < size; i++) {
        for (int32_t c = 0; c < ds->n_communities; c++) {
            if (ds->community_fid[c] == nt->repaired_fid[i]) {
                at += (size_t)snprintf(out + at, size - at, "%s%s", at ? ", " : "",
                                       ds->community_id[c]);
                break;
            }
        }
    }
}

/* The input layers' repaired and skipped features: one warning per layer and kind. */
static gp_status report_layer_notes(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    gp_status st = GP_OK;
    char ids[512], names[512];
    for (int i = 0; i < GP_ROLE_COUNT && st == GP_OK; i++) {
        const gp_layer_notes *nt = &ds->notes[i];
        if (nt->n_repaired > 0) {
            gp_problem_where w = {
                GP_SEVERITY_WARNING, GP_PROBLEM_GEOMETRY_REPAIRED, -1, NULL, NULL, 0,
                nt->repaired_fid,    kept(nt->n_repaired)};
            list_ids(ids, sizeof ids, nt->repaired_fid, kept(nt->n_repaired), nt->n_repaired);
            names[0] = '\0';
            if (i == GP_ROLE_COMMUNITIES) {
                community_ids(names, sizeof names, ds, nt);
            }
            st = gp_plan_add_problem(ctx, plan, &w,
                                     "%s: %" PRId64
                                     " invalid polygon(s) repaired (feature ids "
                                     "%s%s%s%s; the first: %s)",
                                     nt->label, nt->n_repaired, ids,
                                     names[0] ? "; communities " : "", names, names[0] ? "" : "",
                                     nt->repaired_why);
        }
        if (st == GP_OK && nt->n_skipped > 0) {
            gp_problem_where w = {
                GP_SEVERITY_WARNING, GP_PROBLEM_FEATURES_SKIPPED, -1, NULL, NULL, 0,
                nt->skipped_fid,     kept(nt->n_skipped)};
            list_ids(ids, sizeof ids, nt->skipped_fid, kept(nt->n_skipped), nt->n_skipped);
            st = gp_plan_add_problem(ctx, plan, &w,
                                     "%s: %" PRId64
                                     " feature(s) skipped as unusable (feature ids "
                                     "%s; the first: %s)",
                                     nt->label, nt->n_skipped, ids, nt->skipped_why);
        }
    }
    return st;
}

/* The community feature ids of the overlaps `sliver` (1) or not (0), each once, in order, at
 * most GP_FID_KEEP; fids has room for two per overlap. */
static int32_t overlap_fids(const gp_dataset *ds, int sliver, int64_t *fids)
{
    int32_t n = 0;
    for (int64_t i = 0; i < ds->n_overlaps && n + 2 <= GP_FID_KEEP; i++) {
        const gp_overlap *o = &ds->overlaps[i];
        int64_t two[2] = {ds->community_fid[o->first], ds->community_fid[o->second]};
        for (int k = 0; k < 2 && o->sliver == sliver; k++) {
            int32_t j = 0;
            while (j < n && fids[j] != two[k]) {
                j++;
            }
            if (j == n) {
                fids[n++] = two[k];
            }
        }
    }
    return n;
}

/* The overlaps between communities, each given to the community whose id comes first: one note
 * for all the digitising slivers (pairs and area), one warning for each real overlap (resolved
 * so with GP_OVERLAPS_FIRST). */
static gp_status report_overlaps(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    gp_status st = GP_OK;
    int64_t n_sliver = 0;
    double sliver_area = 0;
    const gp_overlap *first = NULL;
    for (int64_t i = 0; i < ds->n_overlaps; i++) {
        if (ds->overlaps[i].sliver) {
            first = first ? first : &ds->overlaps[i];
            n_sliver++;
            sliver_area += ds->overlaps[i].area;
        }
    }
    int64_t *fids = gp_malloc(((size_t)ds->n_overlaps * 2 + 1) * sizeof *fids);
    if (fids == NULL) {
        return gp_error_nomem(ctx, "overlap records");
    }
    if (n_sliver > 0) {
        gp_problem_where w = {
            GP_SEVERITY_NOTE,         GP_PROBLEM_COMMUNITY_OVERLAP, -1, NULL, NULL, 0, fids,
            overlap_fids(ds, 1, fids)};
        st = gp_plan_add_problem(
            ctx, plan, &w,
            "%s: %" PRId64
            " pair(s) of communities overlap in digitising slivers (narrower than the "
            "snapping tolerance or smaller than the sliver area), %.1f m^2 in all, each kept by "
            "the community whose id comes first (first pair: '%s' (feature %" PRId64
            ") and '%s' (feature %" PRId64 "), %.1f m^2)",
            ds->notes[GP_ROLE_COMMUNITIES].label, n_sliver, sliver_area,
            ds->community_id[first->first], ds->community_fid[first->first],
            ds->community_id[first->second], ds->community_fid[first->second], first->area);
    }
    for (int64_t i = 0; st == GP_OK && i < ds->n_overlaps; i++) {
        const gp_overlap *o = &ds->overlaps[i];
        if (!o->sliver) {
            int64_t pair[2] = {ds->community_fid[o->first], ds->community_fid[o->second]};
            gp_problem_where w = {
                GP_SEVERITY_WARNING, GP_PROBLEM_COMMUNITY_OVERLAP, -1, NULL, NULL, 0, pair, 2};
            st = gp_plan_add_problem(
                ctx, plan, &w,
                "%s: communities '%s' (feature %" PRId64 ") and '%s' (feature %" PRId64
                ") overlap by %.1f m^2: the overlap is kept by '%s', whose id comes first; "
                "'%s' is divided without it",
                ds->notes[GP_ROLE_COMMUNITIES].label, ds->community_id[o->first],
                ds->community_fid[o->first], ds->community_id[o->second],
                ds->community_fid[o->second], o->area, ds->community_id[o->first],
                ds->community_id[o->second]);
        }
    }
    gp_free(fids);
    return st;
}

/* Copy the dataset's run-wide facts (outside households, skipped features) into the plan. */
static gp_status run_facts(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    plan->households_read = ds->households_read;
    memcpy(plan->features_read, ds->features_read, sizeof plan->features_read);
    plan->households_outside = ds->households_outside;
    plan->features_outside = ds->n_outside;
    gp_status st = GP_OK;
    if (ds->n_outside > 0) {
        char ids[512];
        int32_t n = kept(ds->n_outside);
        list_ids(ids, sizeof ids, ds->outside_fid, n, ds->n_outside);
        gp_problem_where w = {GP_SEVERITY_WARNING,
                              GP_PROBLEM_HOUSEHOLDS_OUTSIDE,
                              -1,
                              NULL,
                              NULL,
                              0,
                              ds->outside_fid,
                              n};
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "%s: %" PRId64 " household(s) in %" PRId64
                                 " feature(s) lie outside every community, so in no grid "
                                 "(feature ids %s)",
                                 ds->notes[GP_ROLE_HOUSEHOLDS].label, ds->households_outside,
                                 ds->n_outside, ids);
    }
    if (st == GP_OK && ds->count_field_hint != NULL) {
        gp_problem_where w = {
            GP_SEVERITY_WARNING, GP_PROBLEM_COUNT_FIELD, -1, NULL, NULL, 0, NULL, 0};
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "%s: no household count field was given, so each of its %" PRId64
                                 " features counts as one household; it has a field '%s': was "
                                 "that meant (CLI --count-field %s)?",
                                 ds->notes[GP_ROLE_HOUSEHOLDS].label, ds->n_households,
                                 ds->count_field_hint, ds->count_field_hint);
    }
    if (st == GP_OK && ds->n_duplicates > 0) {
        char ids[512];
        int32_t n = kept(ds->n_duplicates);
        list_ids(ids, sizeof ids, ds->duplicate_fid, n, ds->n_duplicates);
        gp_problem_where w = {GP_SEVERITY_WARNING, GP_PROBLEM_DUPLICATE_FEATURES, -1, NULL, NULL,
                              0, ds->duplicate_fid, n};
        st = gp_plan_add_problem(ctx, plan, &w,
                                 "%s: %" PRId64 " household feature(s) duplicate another at the "
                                 "same point with the same count, so their households count "
                                 "twice (feature %" PRId64 " repeats feature %" PRId64
                                 "; ids %s): a layer loaded twice?",
                                 ds->notes[GP_ROLE_HOUSEHOLDS].label, ds->n_duplicates,
                                 ds->duplicate_of[0], ds->duplicate_of[1], ids);
    }
    if (st == GP_OK) {
        st = report_overlaps(ctx, ds, plan);
    }
    return st == GP_OK ? report_layer_notes(ctx, ds, plan) : st;
}

/* A run-wide note when some output geometry was invalid once projected and had to be repaired
 * (gp_border_project): its border may differ from its neighbour's by rounding. */
static gp_status run_repairs(gp_context *ctx, gp_plan *plan)
{
    if (plan->output_repaired == 0) {
        return GP_OK;
    }
    gp_problem_where w = {
        GP_SEVERITY_WARNING, GP_PROBLEM_OUTPUT_REPAIRED, -1, NULL, NULL, 0, NULL, 0};
    return gp_plan_add_problem(ctx, plan, &w,
                               "%" PRId64
                               " output geometr%s (grids, blocks) became invalid when "
                               "projected to the output CRS and %s repaired; %s border%s may "
                               "differ from the neighbours' by rounding",
                               plan->output_repaired, plan->output_repaired == 1 ? "y" : "ies",
                               plan->output_repaired == 1 ? "was" : "were",
                               plan->output_repaired == 1 ? "its" : "their",
                               plan->output_repaired == 1 ? "" : "s");
}

/* Streets in the working CRS, for the map. */
static gp_status run_streets(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    for (int32_t i = 0; i < ds->n_streets; i++) {
        gp_plan_shape *s = gp_plan_add_street(ctx, plan);
        if (s == NULL) {
            return GP_ERR_NOMEM;
        }
        s->wkb_work = gp_malloc(ds->street_wkb[i].size);
        if (s->wkb_work == NULL) {
            return gp_error_nomem(ctx, "street geometry");
        }
        memcpy(s->wkb_work, ds->street_wkb[i].data, ds->street_wkb[i].size);
        s->wkb_work_size = ds->street_wkb[i].size;
    }
    return GP_OK;
}

/* One run's state (run_stages): what it read, the plan it builds and the work its threads
 * share; run_state_free frees all of it but the plan. */
typedef struct {
    gp_options *opts; /* the run's copy: per-community options once the communities start */
    gp_dataset *ds;
    gp_previous *prev; /* adjust: the previous division, else NULL */
    gp_roster *roster;
    gp_plan *plan;
    shared_work w;
    pthread_t *threads;
    int32_t *order;
    double t0; /* when reading began */
} run_state;

static void run_state_free(run_state *rs)
{
    shared_work *w = &rs->w;
    if (w->waiting) {
        pthread_cond_destroy(&w->finished);
        pthread_mutex_destroy(&w->lock);
    }
    if (w->partial != NULL) {
        for (int32_t c = 0; c < w->n; c++) {
            gp_plan_free(w->partial[c]);
        }
    }
    gp_free(w->partial);
    gp_free(w->status);
    gp_free(w->message);
    gp_free(rs->threads);
    gp_free(rs->order);
    gp_previous_free(rs->prev);
    gp_roster_free(rs->roster);
    gp_dataset_free(rs->ds);
    gp_options_free(rs->opts);
}

/* The run's settings in the plan: bounds, options, inputs (passwords masked) and CRSs. */
static gp_status run_settings(gp_context *ctx, const gp_inputs *in, run_state *rs)
{
    gp_plan *plan = rs->plan;
    plan->min_households = rs->opts->min_households;
    plan->max_households = rs->opts->max_households;
    plan->options = *rs->opts;
    plan->inputs = gp_inputs_copy_masked(in);
    plan->work_crs = gp_crs_describe(rs->ds->work_wkt);
    if (plan->inputs == NULL || plan->work_crs == NULL) {
        return gp_error_nomem(ctx, "the run's settings");
    }
    plan->crs_wkt = gp_strdup(rs->ds->output_wkt);
    if (rs->ds->output_wkt != NULL && plan->crs_wkt == NULL) {
        return gp_error_nomem(ctx, "the output CRS");
    }
    return GP_OK;
}

/* Reading: the layers, the previous division (adjust) and the roster; then the plan with the
 * run's settings and the facts of its inputs. */
static gp_status run_read(gp_context *ctx, const gp_inputs *in, int adjust, run_state *rs)
{
    gp_status st = gp_progress(ctx, 0.0, "read");
    if (st != GP_OK) {
        return st;
    }
    rs->t0 = now();
    gp_dataset_inputs din = gp_inputs_dataset(in, rs->opts);
    gp_grid_layer_source psrc = {in->previous, in->previous_code_field,
                                 in->previous_community_field, &in->layer_settings};
    if ((st = gp_dataset_read(ctx, &din, &rs->ds)) != GP_OK ||
        (adjust && (st = gp_previous_read(ctx, rs->ds, &psrc, &rs->prev)) != GP_OK) ||
        (st = gp_plan_new(ctx, &rs->plan)) != GP_OK ||
        (st = gp_roster_read(ctx, in, rs->ds, &rs->roster)) != GP_OK) {
        return st;
    }
    gp_plan *plan = rs->plan;
    plan->has_roster = rs->roster != NULL && rs->roster->has_workers;
    plan->has_staffing = plan->has_roster || rs->opts->staffing.rule != GP_STAFFING_NONE;
    rs->w.roster = rs->roster;
    plan->seconds[GP_STAGE_READ] = now() - rs->t0;
    if ((st = run_settings(ctx, in, rs)) != GP_OK || (st = run_facts(ctx, rs->ds, plan)) != GP_OK ||
        (st = run_streets(ctx, rs->ds, plan)) != GP_OK ||
        (rs->prev && (st = gp_adjust_run_facts(ctx, rs->prev, plan)) != GP_OK)) {
        return st;
    }
    return gp_run_load_facts(ctx, rs->ds, plan);
}

/* When no street line reaches any community, one warning for the run says so (the workers
 * then leave it out of each community's problems). */
static gp_status run_streetless(gp_context *ctx, run_state *rs)
{
    const gp_dataset *ds = rs->ds;
    int32_t n = ds->n_communities;
    rs->w.streetless = n > 0 && ds->street_start[n] == 0;
    if (!rs->w.streetless) {
        return GP_OK;
    }
    gp_problem_where at = {GP_SEVERITY_WARNING, GP_PROBLEM_NO_STREETS, -1, NULL, NULL, 0, NULL, 0};
    return gp_plan_add_problem(ctx, rs->plan, &at,
                               "%s: no street line reaches any community of %s: is either "
                               "layer's CRS wrong? Every community is one street block, so its "
                               "grids are cut between buildings",
                               ds->notes[GP_ROLE_STREETS].label,
                               ds->notes[GP_ROLE_COMMUNITIES].label);
}

/* The work list the workers share: per-community options, a slot per community, the lock the
 * run's thread waits on, and the communities in schedule order. */
static gp_status run_work_list(gp_context *ctx, run_state *rs, int32_t n_threads)
{
    shared_work *w = &rs->w;
    int32_t n = rs->ds->n_communities;
    /* Parallelism is across communities; each optimizer call runs single-threaded. */
    rs->opts->threads = 1;
    rs->opts->time_limit = 0.0; /* the run's limit is held by this thread (run_all) */
    w->ds = rs->ds;
    w->opts = rs->opts;
    w->n = n;
    w->prev = rs->prev;
    if (wait_init(w) != 0) {
        return gp_error(ctx, GP_ERR_NOMEM, "cannot make the lock the workers report to");
    }
    w->waiting = 1;
    w->partial = gp_calloc((size_t)n + 1, sizeof *w->partial);
    w->status = gp_calloc((size_t)n + 1, sizeof *w->status);
    w->message = gp_calloc((size_t)n + 1, sizeof *w->message);
    rs->order = gp_malloc(((size_t)n + 1) * sizeof *rs->order);
    rs->threads = gp_calloc((size_t)n_threads, sizeof *rs->threads);
    if (w->partial == NULL || w->status == NULL || w->message == NULL || rs->threads == NULL ||
        rs->order == NULL) {
        return gp_error_nomem(ctx, "the community work list");
    }
    gp_status st = gp_schedule_communities(ctx, rs->ds, rs->opts->max_households, rs->order);
    w->order = rs->order;
    return st;
}

/* Every community divided, on worker threads while this one reports progress and relays a
 * cancel (or here, when no thread can start); then the first failure, in community order so
 * that the message is deterministic: one that stopped the others before those it stopped. */
static gp_status run_communities(gp_context *ctx, run_state *rs)
{
    shared_work *w = &rs->w;
    int32_t n_threads = thread_count(rs->opts, rs->ds->n_communities);
    rs->plan->threads = n_threads;
    gp_status st = run_work_list(ctx, rs, n_threads);
    if (st != GP_OK) {
        return st;
    }
    int32_t started = 0;
    for (; started < n_threads; started++) {
        if (pthread_create(&rs->threads[started], NULL, worker, w) != 0) {
            break;
        }
    }
    if (started == 0) {
        /* No thread could start: work here, with this thread's checks relayed. A single GEOS
         * operation then runs to its end: nothing stops it from outside. */
        w->relay = ctx;
        w->relay_next = now() + GP_POLL_SECONDS;
        worker(w);
    }
    /* The run's thread reports progress and relays cancellation while the workers run. */
    while (started > 0 && atomic_load(&w->done) < w->n) {
        if (gp_progress(ctx, run_fraction(w), "partition") != GP_OK) {
            stop_workers(w);
        }
        wait_done(w, GP_POLL_SECONDS);
    }
    for (int32_t i = 0; i < started; i++) {
        pthread_join(rs->threads[i], NULL);
    }
    if (ctx != NULL && ctx->canceled) {
        return GP_ERR_CANCELED;
    }
    for (int32_t c = 0; c < w->n; c++) {
        if (w->status[c] != GP_OK && w->status[c] != GP_ERR_CANCELED) {
            return gp_error(ctx, w->status[c], "%s", w->message[c]);
        }
    }
    for (int32_t c = 0; c < w->n; c++) {
        if (w->status[c] != GP_OK) {
            return gp_error(ctx, w->status[c], "%s", w->message[c]);
        }
    }
    return GP_OK;
}

/* The communities' plans merged into the run's in community order, with the households
 * outside every community; then the checks that every household read is in exactly one grid
 * or none. */
static gp_status run_gather(gp_context *ctx, run_state *rs)
{
    const shared_work *w = &rs->w;
    const gp_dataset *ds = rs->ds;
    gp_plan *plan = rs->plan;
    gp_status st = GP_OK;
    for (int32_t c = 0; c < w->n && st == GP_OK; c++) {
        st = gp_plan_absorb(ctx, plan, w->partial[c]);
    }
    for (int64_t i = 0; i < ds->n_households && st == GP_OK; i++) {
        if (ds->hh_community[i] < 0) {
            st = gp_plan_add_household(ctx, plan, ds->hh_fid[i], -1);
        }
    }
    if (st == GP_OK && plan->n_hh != ds->n_households) {
        st = gp_error(ctx, GP_ERR_INTERNAL,
                      "%" PRId64 " household features read, %" PRId64 " given a grid or none",
                      ds->n_households, plan->n_hh);
    }
    if (st != GP_OK || (st = run_repairs(ctx, plan)) != GP_OK) {
        return st;
    }
    gp_plan_sort_households(plan);
    /* Conservation: every household in a community is in exactly one grid. */
    int64_t in_grids = 0;
    for (int32_t g = 0; g < plan->n_grids; g++) {
        in_grids += plan->grids[g].households;
    }
    if (in_grids + plan->households_outside != plan->households_read) {
        return gp_error(ctx, GP_ERR_INTERNAL,
                        "households not conserved: %" PRId64 " read, %" PRId64 " in grids, %" PRId64
                        " outside every community",
                        plan->households_read, in_grids, plan->households_outside);
    }
    return gp_run_check_workload(ctx, plan);
}

/* gp_run, and gp_adjust when `adjust` is set (the previous division in the inputs): read,
 * divide every community, gather their plans. */
static gp_status run_stages(gp_context *ctx, const gp_inputs *in, const gp_options *user_opts,
                            int adjust, gp_plan **out)
{
    const char *fn = adjust ? "gp_adjust" : "gp_run";
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "%s: out is NULL", fn);
    }
    *out = NULL;
    if (in == NULL || in->communities == NULL || in->streets == NULL || in->households == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "%s: the communities, streets and households layers are required", fn);
    }
    if (adjust && in->previous == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_adjust: no previous grids: set them with gp_inputs_set_previous");
    }
    run_state rs;
    memset(&rs, 0, sizeof rs);
    /* The whole run counts as going on for GEOS interrupts (stop_workers, or the end), and
     * this thread's GEOS work, reading included, clears interrupts asked elsewhere. */
    const atomic_int *watched = gp_geos_watch(&rs.w.cancel);
    gp_geos_run_begin();
    if (ctx != NULL) {
        ctx->geos_interrupted = 0;
    }
    gp_status st = user_opts ? gp_options_clone(user_opts, &rs.opts) : gp_options_new(&rs.opts);
    if (st != GP_OK) {
        gp_error(ctx, st, "gp_run: cannot copy the options");
    }
    if (st == GP_OK) {
        st = run_read(ctx, in, adjust, &rs);
    }
    if (st == GP_OK) {
        st = run_streetless(ctx, &rs);
    }
    if (st == GP_OK) {
        st = run_communities(ctx, &rs);
    }
    if (st == GP_OK) {
        st = run_gather(ctx, &rs);
    }
    if (st == GP_OK) {
        rs.plan->wall_seconds = now() - rs.t0;
        st = gp_geos_check_interrupted(ctx, ctx, fn);
    }
    if (st == GP_OK) {
        st = gp_progress(ctx, 1.0, "done");
    }
    if (!atomic_load(&rs.w.cancel)) {
        gp_geos_run_end();
    }
    gp_geos_watch(watched);
    run_state_free(&rs);
    if (st == GP_OK) {
        *out = rs.plan;
    } else {
        gp_plan_free(rs.plan);
    }
    return st;
}

/*
 * run_stages under the options' time limit: this thread's progress checks hold the deadline
 * and relay its cancel to the workers (whose options carry no limit of their own). A try whose
 * own GEOS work (this thread's reading, repairs and facts, and the community-overlap job's,
 * which gp_dataset_read reports here) was hit by an interrupt asked elsewhere keeps nothing, and
 * the run is done again from the start, as a community is (community()), up to
 * GP_FOREIGN_INTERRUPT_TRIES tries under the same time limit; progress then starts again at 0.
 * A community's own tries are its own: when they run out the run fails, not tried again.
 */
static gp_status run_all(gp_context *ctx, const gp_inputs *in, const gp_options *user_opts,
                         int adjust, gp_plan **out)
{
    gp_deadline prev = gp_deadline_begin(ctx, user_opts != NULL ? user_opts->time_limit : 0.0);
    gp_status st = GP_OK;
    int tries = 0;
    for (; tries < GP_FOREIGN_INTERRUPT_TRIES; tries++) {
        st = run_stages(ctx, in, user_opts, adjust, out);
        if (st == GP_OK || st == GP_ERR_CANCELED || ctx == NULL || !ctx->geos_interrupted ||
            ctx->canceled) {
            break;
        }
        gp_context_clear_error(ctx);
    }
    if (tries == GP_FOREIGN_INTERRUPT_TRIES) {
        char what[64];
        snprintf(what, sizeof what, "%s (%d tries)", adjust ? "gp_adjust" : "gp_run",
                 GP_FOREIGN_INTERRUPT_TRIES);
        st = gp_geos_check_interrupted(ctx, ctx, what);
    }
    gp_deadline_end(ctx, prev);
    return st;
}

/* gp_check (check.c) reports the same run-wide facts of the inputs and draws the same streets. */
gp_status gp_plan_dataset_facts(gp_context *ctx, const gp_dataset *ds, gp_plan *plan)
{
    gp_status st = run_facts(ctx, ds, plan);
    return st == GP_OK ? run_streets(ctx, ds, plan) : st;
}

gp_status gp_run(gp_context *ctx, const gp_inputs *in, const gp_options *opts, gp_plan **out)
{
    if (in != NULL && in->previous != NULL) {
        if (out != NULL) {
            *out = NULL;
        }
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_run: the inputs hold previous grids (%s): repair them with gp_adjust",
                        in->previous);
    }
    return run_all(ctx, in, opts, 0, out);
}

gp_status gp_adjust(gp_context *ctx, const gp_inputs *in, const gp_options *opts, gp_plan **out)
{
    return run_all(ctx, in, opts, 1, out);
}
