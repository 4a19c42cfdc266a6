/* SPDX-License-Identifier: MIT */
/** @file plan_check.c Reading a plan back in the pipeline tests: shapes and communities. */

#include "plan_check.h"

#include <criterion/criterion.h>
#include <string.h>

GEOSGeometry *plan_shape(GEOSContextHandle_t h, const gp_plan_shape *s)
{
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = GEOSWKBReader_read_r(h, r, s->wkb_work, s->wkb_work_size);
    GEOSWKBReader_destroy_r(h, r);
    cr_assert_not_null(g);
    return g;
}

const gp_plan_community *plan_community(const gp_plan *plan, const char *id)
{
    for (int32_t c = 0; c < plan->n_communities; c++) {
        if (strcmp(plan->communities[c].id, id) == 0) {
            return &plan->communities[c];
        }
    }
    cr_assert_fail("community %s is not in the plan", id);
    return NULL;
}
