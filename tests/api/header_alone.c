/* SPDX-License-Identifier: MIT */
/** @file header_alone.c The public header compiles alone as C, strictly, and its version agrees. */

#include "gridpart.h"

#if !GP_AT_LEAST_VERSION(0, 1, 0)
#error "GP_AT_LEAST_VERSION(0, 1, 0) must hold for this release"
#endif
#if GP_AT_LEAST_VERSION(GP_VERSION_MAJOR, GP_VERSION_MINOR, GP_VERSION_PATCH + 1)
#error "GP_AT_LEAST_VERSION must be false for a newer version"
#endif

#include <stdio.h>
#include <string.h>

int main(void)
{
    if (strcmp(gp_version(), GP_VERSION_STRING) != 0 || gp_version_number() != GP_VERSION_NUMBER) {
        fprintf(stderr, "header %s does not match library %s\n", GP_VERSION_STRING, gp_version());
        return 1;
    }
    return 0;
}
