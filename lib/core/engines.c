/* SPDX-License-Identifier: MIT */
/** @file engines.c Per-context GEOS and PROJ handles and GDAL setup, errors routed to the context. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include <cpl_error.h>
#include <gdal.h>
#include <proj.h>

#include "context.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gp_ctx_release_engines(gp_context *ctx);

static void geos_message(const char *message, void *user)
{
    gp_context *ctx = user;
    if (strstr(message, "InterruptedException") != NULL) {
        ctx->geos_interrupted = 1;
    }
    snprintf(ctx->engine_error, sizeof ctx->engine_error, "GEOS: %s", message);
}

/* The flag this thread's GEOS operations watch (gp_geos_watch), the callback registered before
 * ours (the host's, if any), which ours calls first, and the runs of this process going on. */
static _Thread_local const atomic_int *geos_stop;
static _Atomic(GEOSInterruptCallback *) geos_chained;
static atomic_int geos_going;
static pthread_once_t geos_once = PTHREAD_ONCE_INIT;

/*
 * Called by GEOS at its check points, on the thread doing the work. GEOS then stops the
 * operation if an interrupt is pending, whoever asked for it. A thread of a run going on
 * clears any pending one: taken there, it would fail a predicate into "false" or make a
 * robust overlay start again with snapping, silently changing a result. A stopped thread asks
 * for one only when no run of the process is going on, so none of them can be hit.
 */
static void geos_check(void)
{
    GEOSInterruptCallback *chained = atomic_load(&geos_chained);
    if (chained != NULL) {
        chained();
    }
    const atomic_int *stop = geos_stop;
    if (stop == NULL) {
        return;
    }
    if (atomic_load_explicit(stop, memory_order_relaxed) == 0) {
        GEOS_interruptCancel();
    } else if (atomic_load_explicit(&geos_going, memory_order_relaxed) == 0) {
        GEOS_interruptRequest();
    }
}

static atomic_int geos_installed;

static void geos_install(void)
{
    atomic_store(&geos_chained, GEOS_interruptRegisterCallback(geos_check));
    atomic_store(&geos_installed, 1);
}

/* When the library is unloaded (dlclose by a host), the callback registered before ours is put
 * back, so that GEOS never calls into code that is gone; one registered after ours is left. */
__attribute__((destructor)) static void geos_uninstall(void)
{
    if (atomic_load(&geos_installed)) {
        GEOSInterruptCallback *current = GEOS_interruptRegisterCallback(atomic_load(&geos_chained));
        if (current != geos_check) {
            GEOS_interruptRegisterCallback(current);
        }
    }
}

void gp_geos_run_begin(void)
{
    atomic_fetch_add(&geos_going, 1);
}

void gp_geos_run_end(void)
{
    atomic_fetch_sub(&geos_going, 1);
}

gp_status gp_geos_check_interrupted(gp_context *ctx, const gp_context *worked, const char *what)
{
    if (worked == NULL || !worked->geos_interrupted) {
        return GP_OK;
    }
    return gp_error(ctx, GP_ERR_GEOMETRY,
                    "%s: a GEOS operation was interrupted from another thread of this process "
                    "(GEOS interrupts are process-wide): nothing of it was kept; run again",
                    what);
}

/* Never set: a thread watching it clears every interrupt asked elsewhere (gp_geos_guard). */
static const atomic_int geos_never = 0;

gp_geos_guard gp_geos_guard_begin(void)
{
    gp_geos_guard g = {gp_geos_watch(&geos_never)};
    gp_geos_run_begin();
    return g;
}

void gp_geos_guard_end(gp_geos_guard g)
{
    gp_geos_run_end();
    gp_geos_watch(g.watched);
}

const atomic_int *gp_geos_watch(const atomic_int *stop)
{
    pthread_once(&geos_once, geos_install);
    const atomic_int *before = geos_stop;
    geos_stop = stop;
    return before;
}

static void geos_notice(const char *message, void *user)
{
    gp_log(user, GP_LOG_DEBUG, "GEOS notice: %s", message);
}

struct GEOSContextHandle_HS *gp_ctx_geos(gp_context *ctx)
{
    if (ctx->geos == NULL) {
        GEOSContextHandle_t h = GEOS_init_r();
        if (h == NULL) {
            gp_error_nomem(ctx, "a GEOS context");
            return NULL;
        }
        GEOSContext_setErrorMessageHandler_r(h, geos_message, ctx);
        GEOSContext_setNoticeMessageHandler_r(h, geos_notice, ctx);
        ctx->geos = h;
    }
    return ctx->geos;
}

static void proj_message(void *user, int level, const char *message)
{
    gp_context *ctx = user;
    if (level == PJ_LOG_ERROR) {
        snprintf(ctx->engine_error, sizeof ctx->engine_error, "PROJ: %s", message);
    } else {
        gp_log(ctx, GP_LOG_DEBUG, "PROJ: %s", message);
    }
}

struct pj_ctx *gp_ctx_proj(gp_context *ctx)
{
    if (ctx->proj == NULL) {
        PJ_CONTEXT *p = proj_context_create();
        if (p == NULL) {
            gp_error_nomem(ctx, "a PROJ context");
            return NULL;
        }
        proj_log_func(p, ctx, proj_message);
        proj_log_level(p, PJ_LOG_ERROR);
        ctx->proj = p;
    }
    return ctx->proj;
}

void gp_ctx_release_engines(gp_context *ctx)
{
    if (ctx->geos != NULL) {
        GEOS_finish_r(ctx->geos);
        ctx->geos = NULL;
    }
    if (ctx->proj != NULL) {
        proj_context_destroy(ctx->proj);
        ctx->proj = NULL;
    }
}

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

static void gdal_register(void)
{
    GDALAllRegister();
}

void gp_gdal_register_once(void)
{
    pthread_once(&gdal_once, gdal_register);
}

static void CPL_STDCALL gdal_message(CPLErr level, CPLErrorNum code, const char *message)
{
    gp_context *ctx = CPLGetErrorHandlerUserData();
    if (ctx == NULL) {
        return;
    }
    if (level >= CE_Failure) {
        snprintf(ctx->engine_error, sizeof ctx->engine_error, "GDAL: %s", message);
    } else if (level == CE_Warning) {
        gp_log(ctx, GP_LOG_DEBUG, "GDAL warning %d: %s", (int)code, message);
    }
}

void gp_gdal_push_errors(gp_context *ctx)
{
    if (ctx != NULL) {
        /* CPL's handler stack is thread-local, so each worker thread routes its own errors. */
        CPLPushErrorHandlerEx(gdal_message, ctx);
    }
}

void gp_gdal_pop_errors(gp_context *ctx)
{
    if (ctx != NULL) {
        CPLPopErrorHandler();
    }
}
