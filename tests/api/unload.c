/* SPDX-License-Identifier: MIT */
/**
 * @file unload.c A host that loads gridpart with dlopen, divides the demo city and unloads it:
 * GEOS's interrupt callback, which gridpart registers at its first run (GEOS 3.11 has one per
 * process), is the host's own again, so GEOS never calls into unloaded code.
 *
 * usage: unload LIBGRIDPART.so DEMO_DIR (exit 0 when it holds)
 */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "gridpart.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static int host_calls;

static void host_callback(void)
{
    host_calls++;
}

static void *need(void *lib, const char *name)
{
    void *f = dlsym(lib, name);
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", name, dlerror());
        exit(2);
    }
    return f;
}

/* A disc through GEOS, whose buffer checks for interrupts (and calls the callback). */
static int disc_ok(void)
{
    GEOSContextHandle_t h = GEOS_init_r();
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, 0, 0);
    GEOSGeometry *d = GEOSBuffer_r(h, pt, 10, 8);
    int ok = d != NULL;
    GEOSGeom_destroy_r(h, pt);
    if (d != NULL) {
        GEOSGeom_destroy_r(h, d);
    }
    GEOS_finish_r(h);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: unload LIBGRIDPART.so DEMO_DIR\n");
        return 2;
    }
    GEOS_interruptRegisterCallback(host_callback);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    gp_status (*context_new)(gp_context **) = need(lib, "gp_context_new");
    void (*context_free)(gp_context *) = need(lib, "gp_context_free");
    gp_status (*inputs_new)(gp_inputs **) = need(lib, "gp_inputs_new");
    void (*inputs_free)(gp_inputs *) = need(lib, "gp_inputs_free");
    gp_status (*set_communities)(gp_context *, gp_inputs *, const char *, const char *) =
        need(lib, "gp_inputs_set_communities");
    gp_status (*set_streets)(gp_context *, gp_inputs *, const char *, const char *) =
        need(lib, "gp_inputs_set_streets");
    gp_status (*set_households)(gp_context *, gp_inputs *, const char *, const char *) =
        need(lib, "gp_inputs_set_households");
    gp_status (*run)(gp_context *, const gp_inputs *, const gp_options *, gp_plan **) =
        need(lib, "gp_run");
    int32_t (*grid_count)(const gp_plan *) = need(lib, "gp_plan_grid_count");
    void (*plan_free)(gp_plan *) = need(lib, "gp_plan_free");
    const char *(*last_error)(const gp_context *) = need(lib, "gp_context_last_error");
    char c[4096], s[4096], hh[4096];
    snprintf(c, sizeof c, "%s/communities.gpkg", argv[2]);
    snprintf(s, sizeof s, "%s/streets.gpkg", argv[2]);
    snprintf(hh, sizeof hh, "%s/households.gpkg", argv[2]);
    gp_context *ctx = NULL;
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    if (context_new(&ctx) != GP_OK || inputs_new(&in) != GP_OK ||
        set_communities(ctx, in, c, "code") != GP_OK || set_streets(ctx, in, s, "class") != GP_OK ||
        set_households(ctx, in, hh, "households") != GP_OK || run(ctx, in, NULL, &plan) != GP_OK) {
        fprintf(stderr, "the demo run failed: %s\n", ctx ? last_error(ctx) : "no context");
        return 1;
    }
    int32_t grids = grid_count(plan);
    plan_free(plan);
    inputs_free(in);
    context_free(ctx);
    int before = host_calls;
    if (!disc_ok() || host_calls == before) {
        fprintf(stderr, "while loaded, gridpart's callback did not call the host's\n");
        return 1;
    }
    if (dlclose(lib) != 0) {
        fprintf(stderr, "dlclose: %s\n", dlerror());
        return 2;
    }
    /* Unloaded: the host's callback is GEOS's again (a disc runs, and calls it). */
    GEOSInterruptCallback *current = GEOS_interruptRegisterCallback(host_callback);
    if (current != host_callback) {
        fprintf(stderr, "after dlclose GEOS's interrupt callback is %p, not the host's %p\n",
                (void *)current, (void *)host_callback);
        return 1;
    }
    before = host_calls;
    if (!disc_ok() || host_calls == before) {
        fprintf(stderr, "after dlclose GEOS no longer calls the host's callback\n");
        return 1;
    }
    printf("%d grids; after dlclose GEOS calls the host's interrupt callback again\n", grids);
    return 0;
}
