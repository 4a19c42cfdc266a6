/* SPDX-License-Identifier: MIT */
/** @file context.c gp_context: creation, error recording, logging and cancellable progress. */

#include "context.h"

#include "memory.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Engine handles are released in engines.c, which holds the GIS headers. */
void gp_ctx_release_engines(gp_context *ctx);

gp_status gp_context_new(gp_context **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = NULL;
    gp_context *ctx = gp_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return GP_ERR_NOMEM;
    }
    ctx->log_level = GP_LOG_INFO;
    *out = ctx;
    return GP_OK;
}

void gp_context_free(gp_context *ctx)
{
    if (ctx == NULL) {
        return;
    }
    gp_ctx_release_engines(ctx);
    gp_free(ctx);
}

const char *gp_context_last_error(const gp_context *ctx)
{
    return ctx == NULL ? "" : ctx->last_error;
}

gp_status gp_context_last_status(const gp_context *ctx)
{
    return ctx == NULL ? GP_OK : ctx->last_status;
}

void gp_context_clear_error(gp_context *ctx)
{
    if (ctx == NULL) {
        return;
    }
    ctx->last_status = GP_OK;
    ctx->last_error[0] = '\0';
    ctx->engine_error[0] = '\0';
    ctx->canceled = 0;
}

gp_status gp_context_set_log(gp_context *ctx, gp_log_fn fn, gp_log_level min_level, void *user)
{
    if (ctx == NULL || (int)min_level < GP_LOG_DEBUG || (int)min_level > GP_LOG_ERROR) {
        return gp_error(ctx, GP_ERR_ARG, "gp_context_set_log: log level %d is not in [%d, %d]",
                        (int)min_level, GP_LOG_DEBUG, GP_LOG_ERROR);
    }
    ctx->log_fn = fn;
    ctx->log_level = min_level;
    ctx->log_user = user;
    return GP_OK;
}

gp_status gp_context_set_progress(gp_context *ctx, gp_progress_fn fn, void *user)
{
    if (ctx == NULL) {
        return GP_ERR_ARG;
    }
    ctx->progress_fn = fn;
    ctx->progress_user = user;
    ctx->canceled = 0;
    return GP_OK;
}

gp_status gp_verror(gp_context *ctx, gp_status status, const char *fmt, va_list ap)
{
    if (ctx == NULL) {
        return status;
    }
    ctx->last_status = status;
    vsnprintf(ctx->last_error, sizeof ctx->last_error, fmt, ap);
    return status;
}

gp_status gp_error(gp_context *ctx, gp_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_verror(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

gp_status gp_error_nomem(gp_context *ctx, const char *what)
{
    return gp_error(ctx, GP_ERR_NOMEM, "out of memory allocating %s", what);
}

gp_status gp_error_prefix(gp_context *ctx, const char *fmt, ...)
{
    if (ctx == NULL) {
        return GP_ERR_INTERNAL;
    }
    char prefix[GP_MESSAGE_MAX];
    char joined[GP_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncation is acceptable: the start of the message names the input at fault. */
    size_t np = strlen(prefix);
    size_t nm = strlen(ctx->last_error);
    size_t at = 0;
    const char *pieces[3] = {prefix, ": ", ctx->last_error};
    size_t lens[3] = {np, 2, nm};
    for (int i = 0; i < 3; i++) {
        size_t take = lens[i] < sizeof joined - 1 - at ? lens[i] : sizeof joined - 1 - at;
        memcpy(joined + at, pieces[i], take);
        at += take;
    }
    joined[at] = '\0';
    memcpy(ctx->last_error, joined, at + 1);
    return ctx->last_status;
}

void gp_log(gp_context *ctx, gp_log_level level, const char *fmt, ...)
{
    if (ctx == NULL || ctx->log_fn == NULL || level < ctx->log_level) {
        return;
    }
    char line[GP_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ctx->log_fn(level, line, ctx->log_user);
}

static double gp_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

gp_deadline gp_deadline_begin(gp_context *ctx, double seconds)
{
    gp_deadline prev = {0, 0};
    if (ctx == NULL) {
        return prev;
    }
    prev.deadline = ctx->deadline;
    prev.time_limit = ctx->time_limit;
    double end = gp_monotonic() + seconds;
    if (seconds > 0 && (ctx->deadline <= 0 || end < ctx->deadline)) {
        ctx->deadline = end;
        ctx->time_limit = seconds;
    }
    return prev;
}

void gp_deadline_end(gp_context *ctx, gp_deadline previous)
{
    if (ctx == NULL) {
        return;
    }
    ctx->deadline = previous.deadline;
    ctx->time_limit = previous.time_limit;
    if (ctx->timed_out && previous.deadline <= 0) {
        ctx->timed_out = 0;
        ctx->canceled = 0;
    }
}

gp_status gp_progress(gp_context *ctx, double fraction, const char *stage)
{
    if (ctx == NULL) {
        return GP_OK;
    }
    if (ctx->canceled) {
        return GP_ERR_CANCELED;
    }
    if (ctx->deadline > 0 && gp_monotonic() >= ctx->deadline) {
        ctx->canceled = 1;
        ctx->timed_out = 1;
        return gp_error(ctx, GP_ERR_CANCELED,
                        "time limit of %g s reached during %s: no result (raise the limit or "
                        "lower the effort)",
                        ctx->time_limit, stage != NULL ? stage : "the run");
    }
    if (ctx->progress_fn == NULL) {
        return GP_OK;
    }
    if (fraction < 0.0) {
        fraction = 0.0;
    } else if (fraction > 1.0) {
        fraction = 1.0;
    }
    if (ctx->progress_fn(fraction, stage, ctx->progress_user) != 0) {
        ctx->canceled = 1;
        return gp_error(ctx, GP_ERR_CANCELED, "canceled by the progress callback during %s",
                        stage != NULL ? stage : "the run");
    }
    return GP_OK;
}

const char *gp_ctx_engine_error(const gp_context *ctx)
{
    return ctx == NULL ? "" : ctx->engine_error;
}
