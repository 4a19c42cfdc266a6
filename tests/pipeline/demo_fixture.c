/* SPDX-License-Identifier: MIT */
/** @file demo_fixture.c The bundled demo city as test input (see demo_fixture.h). */

#include "demo_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

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
