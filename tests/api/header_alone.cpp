// SPDX-License-Identifier: MIT
/** @file header_alone.cpp The public header compiles alone as C++ and links with C linkage. */

#include "gridpart.h"

#include <cstring>

int main()
{
    gp_context *ctx = nullptr;
    if (gp_context_new(&ctx) != GP_OK) {
        return 1;
    }
    int ok = std::strcmp(gp_status_string(GP_OK), "success") == 0;
    gp_context_free(ctx);
    return ok ? 0 : 1;
}
