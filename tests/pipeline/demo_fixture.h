/* SPDX-License-Identifier: MIT */
/** @file demo_fixture.h The bundled demo city (examples/data, found through GP_DEMO) as test input. */

#ifndef GP_TESTS_DEMO_FIXTURE_H
#define GP_TESTS_DEMO_FIXTURE_H

#include <stddef.h>

#include "gridpart.h"

/** The path of the demo's LAYER.gpkg ("communities", "streets", "households") in buf. */
const char *demo_path(char *buf, size_t size, const char *layer);

/** Give `in` the demo's communities (code), streets (class) and, unless with_households is 0,
 *  households (households). The test fails when GP_DEMO is unset or a setter fails. */
void demo_set_inputs(gp_context *ctx, gp_inputs *in, int with_households);

/** A new context and inputs holding the whole demo city, run with default options into *plan. */
void demo_run(gp_context **ctx, gp_inputs **in, gp_plan **plan);

/** A plan's grids as one comparable string of bytes: each grid's code, community, households,
 *  flags and geometry (WKB); its length in *size. Free it with free(). */
char *plan_digest(gp_context *ctx, const gp_plan *plan, size_t *size);

/** Threads of this process get stacks too big to map (64 TiB), so pthread_create fails, as on
 *  a host out of threads or memory. Returns whether it does: a test that relies on it fails
 *  when it does not. */
int threads_cannot_start(void);

#endif /* GP_TESTS_DEMO_FIXTURE_H */
