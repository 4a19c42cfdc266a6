/* SPDX-License-Identifier: MIT */
/** @file status.c Status code descriptions and the library version. */

#include "gridpart.h"

static const char *const STATUS_STRINGS[GP_STATUS_COUNT] = {
    [GP_OK] = "success",
    [GP_ERR_ARG] = "invalid argument",
    [GP_ERR_NOMEM] = "out of memory",
    [GP_ERR_IO] = "input/output error",
    [GP_ERR_INPUT] = "unusable input data",
    [GP_ERR_CRS] = "coordinate reference system error",
    [GP_ERR_GEOMETRY] = "geometry error",
    [GP_ERR_INFEASIBLE] = "bounds cannot be met",
    [GP_ERR_CANCELED] = "canceled",
    [GP_ERR_INTERNAL] = "internal error",
    [GP_ERR_LIMIT] = "input too large",
};

const char *gp_status_string(gp_status status)
{
    if (status < 0 || status >= GP_STATUS_COUNT || STATUS_STRINGS[status] == NULL) {
        return "unknown status";
    }
    return STATUS_STRINGS[status];
}

const char *gp_version(void)
{
    return GP_VERSION_STRING;
}

int32_t gp_version_number(void)
{
    return GP_VERSION_NUMBER;
}
