/* SPDX-License-Identifier: MIT */
/** @file context.h Internal view of gp_context: error recording, logging, progress, engines. */

#ifndef GP_CORE_CONTEXT_H
#define GP_CORE_CONTEXT_H

#include "gridpart.h"

#include <stdarg.h>
#include <stdatomic.h>

/*
 * Deliberately free of GIS headers: graph/ and partition/ include this file. The engine
 * handles are declared through their opaque struct tags; geometry code includes geos_c.h and
 * proj.h itself and calls gp_ctx_geos / gp_ctx_proj.
 */
struct GEOSContextHandle_HS;
struct pj_ctx;

#define GP_MESSAGE_MAX 1024

struct gp_context {
    gp_status last_status;
    char last_error[GP_MESSAGE_MAX];
    gp_log_fn log_fn;
    gp_log_level log_level;
    void *log_user;
    gp_progress_fn progress_fn;
    void *progress_user;
    int canceled;                      /* sticky once the progress callback said stop */
    double deadline;   /* CLOCK_MONOTONIC seconds when the running call's time limit ends; 0 */
    double time_limit; /* that limit in seconds, for the message */
    int timed_out;     /* canceled by the deadline, not the callback: cleared at its end */
    struct GEOSContextHandle_HS *geos; /* created on first use */
    struct pj_ctx *proj;               /* created on first use */
    char engine_error[GP_MESSAGE_MAX]; /* last message from GEOS/PROJ/GDAL handlers */
    /* Set when a GEOS operation of this context was interrupted (gp_geos_watch), or of a
     * helper thread's context whose work this one waited for (the community-overlap job of
     * gp_dataset_read); cleared by the caller that must then discard what was made since. */
    int geos_interrupted;
};

/**
 * Record an error: sets the status and formats the message into the context. It is not
 * logged: the caller may recover from it (a skipped feature), and the one it returns reaches
 * the user once, through gp_context_last_error. ctx may be NULL. Returns `status` so that callers
 * can write `return gp_error(ctx, GP_ERR_ARG, "...")`.
 */
gp_status gp_error(gp_context *ctx, gp_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
gp_status gp_verror(gp_context *ctx, gp_status status, const char *fmt, va_list ap);

/** Record an out-of-memory error naming what was being allocated. */
gp_status gp_error_nomem(gp_context *ctx, const char *what);

/**
 * Prefix the current message with "prefix: " (to add the file or community at fault as an
 * error travels up). Returns the current status.
 */
gp_status gp_error_prefix(gp_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Log a formatted line when the context has a log callback at or below `level`. */
void gp_log(gp_context *ctx, gp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Report progress. Returns GP_OK to go on, or records and returns GP_ERR_CANCELED when the
 * callback asks to stop (and every later call returns GP_ERR_CANCELED too).
 */
gp_status gp_progress(gp_context *ctx, double fraction, const char *stage);

/** A context's deadline, saved by gp_deadline_begin and put back by gp_deadline_end. */
typedef struct {
    double deadline;
    double time_limit;
} gp_deadline;

/**
 * Start a call's time limit (gp_options_set_time_limit): from now on gp_progress cancels
 * (GP_ERR_CANCELED, naming the limit) once `seconds` have passed; 0 sets none. A limit already
 * running that ends sooner is kept. Returns the previous deadline for gp_deadline_end.
 */
gp_deadline gp_deadline_begin(gp_context *ctx, double seconds);

/** End the call's time limit: the previous one is back, and a cancel it caused is lifted. */
void gp_deadline_end(gp_context *ctx, gp_deadline previous);

/**
 * The context's GEOS handle, created on first use with its error and notice handlers routed
 * into ctx->engine_error. NULL (with GP_ERR_NOMEM recorded) when it cannot be created.
 */
struct GEOSContextHandle_HS *gp_ctx_geos(gp_context *ctx);

/**
 * Interrupt this thread's GEOS operations once *stop is nonzero (NULL: never); returns the
 * flag watched before, to put back. GEOS 3.11 stops an operation only through one
 * process-wide request (GEOS_interruptRequest, which has no _r variant), taken by whichever
 * thread checks first: a callback GEOS calls at its check points asks for it on a stopped
 * thread, so a long noding or polygonizing call ends within milliseconds of a cancel or time
 * limit. So that no run is hit by another's request, a stopped thread asks only while no run
 * of the process is going on (gp_geos_run_begin .. gp_geos_run_end: until it is stopped or
 * done), and a thread whose flag is 0 clears any request pending when GEOS checks. Should one
 * still be taken (a request made between the two), the context records it
 * (geos_interrupted, from the error handler) and the caller must discard what that thread made.
 * The host's own interrupt callback, if it had one, is still called.
 */
const atomic_int *gp_geos_watch(const atomic_int *stop);

/**
 * GP_OK unless a GEOS operation of `worked` (the context of the thread that did some work) was
 * interrupted since its geos_interrupted was cleared: an interrupt asked elsewhere was taken in
 * the instant gp_geos_watch cannot guard, and a predicate may have read false. Then an error
 * naming `what` is recorded in ctx, saying that nothing of the work was kept.
 */
gp_status gp_geos_check_interrupted(gp_context *ctx, const gp_context *worked, const char *what);

/** Times a piece of work hit that way is done again from the start before it fails with
 *  gp_geos_check_interrupted's error: the work is deterministic, so a try not hit gives the
 *  undisturbed result, and only a host asking for interrupts without pause fails it. */
enum { GP_FOREIGN_INTERRUPT_TRIES = 3 };

/** A run whose threads watch a stop flag begins; gp_geos_run_end when it is stopped or done. */
void gp_geos_run_begin(void);
void gp_geos_run_end(void);

/** GEOS work of this thread that no interrupt may cut short (writing, checking): it counts as
 *  a run going on, and watches a flag never set. */
typedef struct {
    const atomic_int *watched; /* what the thread watched before */
} gp_geos_guard;
gp_geos_guard gp_geos_guard_begin(void);
void gp_geos_guard_end(gp_geos_guard g);

/** The context's PROJ context, created on first use with logging routed into the context. */
struct pj_ctx *gp_ctx_proj(gp_context *ctx);

/** Register GDAL drivers once per process (thread-safe). */
void gp_gdal_register_once(void);

/**
 * Route GDAL/CPL errors raised on this thread into ctx->engine_error until the matching pop.
 * Pairs must nest. Both are no-ops for ctx NULL.
 */
void gp_gdal_push_errors(gp_context *ctx);
void gp_gdal_pop_errors(gp_context *ctx);

/** The last message a geometry/projection/GDAL engine reported, or "" . */
const char *gp_ctx_engine_error(const gp_context *ctx);

#endif /* GP_CORE_CONTEXT_H */
