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
    snprintf(ctx->engine_error, sizeof ctx->engine_error, "GEOS: %s", message);
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
