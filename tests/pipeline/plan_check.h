/* SPDX-License-Identifier: MIT */
/** @file plan_check.h Reading a plan back in the pipeline tests: shapes and communities. */

#ifndef GP_TESTS_PLAN_CHECK_H
#define GP_TESTS_PLAN_CHECK_H

#include <geos_c.h>

#include "pipeline/plan.h"

/** A plan shape in the working CRS as a GEOS geometry of handle h (the test fails if unreadable). */
GEOSGeometry *plan_shape(GEOSContextHandle_t h, const gp_plan_shape *s);

/** The community of the plan with this id (the test fails when there is none). */
const gp_plan_community *plan_community(const gp_plan *plan, const char *id);

#endif /* GP_TESTS_PLAN_CHECK_H */
