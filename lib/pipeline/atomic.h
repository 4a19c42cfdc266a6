/* SPDX-License-Identifier: MIT */
/** @file atomic.h Whole-or-nothing outputs: write under a temporary name, then rename. */

#ifndef GP_PIPELINE_ATOMIC_H
#define GP_PIPELINE_ATOMIC_H

#include "gridpart.h"

#include <stddef.h>

/**
 * Make a temporary path beside `path` (same directory, so rename(2) is atomic), e.g.
 * "dir/.out.gpkg.tmp-1234-7". The file does not exist yet.
 */
gp_status gp_atomic_temp(gp_context *ctx, const char *path, char *tmp, size_t size);

/**
 * Move `tmp` into place at `path`, replacing what was there only once tmp is complete. For a
 * directory (Shapefile output) the old directory is moved aside first and removed after.
 */
gp_status gp_atomic_commit(gp_context *ctx, const char *tmp, const char *path);

/** Remove a temporary file or directory tree after a failure (best effort). */
void gp_atomic_abort(const char *tmp);

#endif /* GP_PIPELINE_ATOMIC_H */
