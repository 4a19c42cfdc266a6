/* SPDX-License-Identifier: MIT */
/** @file demo_fixture.c The bundled demo city as test input (see demo_fixture.h). */

#define _GNU_SOURCE /* pthread_setattr_default_np */

#include "demo_fixture.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *demo_path(char *buf, size_t size, const char *layer)
{
    const char *demo = getenv("GP_DEMO");
    cr_assert_not_null(demo, "GP_DEMO (examples/data) is not set");
    int n = snprintf(buf, size, "%s/%s.gpkg", demo, layer);
    cr_assert(n > 0 && (size_t)n < size, "the demo path does not fit %zu bytes", size);
    return buf;
}

void demo_set_inputs(gp_context *ctx, gp_inputs *in, int with_households)
{
    char path[4096];
    cr_assert_eq(gp_inputs_set_communities(ctx, in, demo_path(path, sizeof path, "communities"),
                                           "code"),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_eq(gp_inputs_set_streets(ctx, in, demo_path(path, sizeof path, "streets"), "class"),
                 GP_OK, "%s", gp_context_last_error(ctx));
    if (with_households) {
        cr_assert_eq(gp_inputs_set_households(ctx, in, demo_path(path, sizeof path, "households"),
                                              "households"),
                     GP_OK, "%s", gp_context_last_error(ctx));
    }
}

void demo_run(gp_context **ctx, gp_inputs **in, gp_plan **plan)
{
    cr_assert_eq(gp_context_new(ctx), GP_OK);
    cr_assert_eq(gp_inputs_new(in), GP_OK);
    demo_set_inputs(*ctx, *in, 1);
    cr_assert_eq(gp_run(*ctx, *in, NULL, plan), GP_OK, "%s", gp_context_last_error(*ctx));
}

char *plan_digest(gp_context *ctx, const gp_plan *plan, size_t *size)
{
    size_t cap = 1 << 16, n = 0;
    char *d = malloc(cap);
    cr_assert_not_null(d);
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        size_t wsize = gp_plan_grid_wkb_size(plan, g);
        const char *flags = gp_plan_grid_flags(plan, g);
        while (n + wsize + strlen(flags) + 256 > cap) {
            cap *= 2;
            d = realloc(d, cap);
            cr_assert_not_null(d);
        }
        n += (size_t)snprintf(d + n, cap - n, "%s %d %lld %s;", gp_plan_grid_code(plan, g),
                              (int)gp_plan_grid_community(plan, g),
                              (long long)gp_plan_grid_households(plan, g), flags);
        cr_assert_eq(gp_plan_grid_wkb(ctx, plan, g, (uint8_t *)d + n, wsize), GP_OK);
        n += wsize;
    }
    *size = n;
    return d;
}

static void *no_work(void *arg)
{
    return arg;
}

int threads_cannot_start(void)
{
    pthread_attr_t attr;
    cr_assert_eq(pthread_getattr_default_np(&attr), 0);
    cr_assert_eq(pthread_attr_setstacksize(&attr, (size_t)1 << 46), 0);
    cr_assert_eq(pthread_setattr_default_np(&attr), 0);
    pthread_attr_destroy(&attr);
    pthread_t t;
    if (pthread_create(&t, NULL, no_work, NULL) == 0) {
        pthread_join(t, NULL);
        return 0;
    }
    return 1;
}
