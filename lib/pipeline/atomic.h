/* SPDX-License-Identifier: MIT */
/** @file atomic.h Whole-or-nothing outputs: files staged under temporary names, then renamed. */

#ifndef GP_PIPELINE_ATOMIC_H
#define GP_PIPELINE_ATOMIC_H

#include "gridpart.h"

#include <stddef.h>

/*
 * A stage collects the files of one write: each is written completely (every write, the
 * fsync and the close checked) under a temporary name beside its target, "dir/.NAME.gridpart-
 * tmp-PID-N", and only gp_stage_commit renames them into place. Freeing a stage that was not
 * committed removes its temporaries, so a failed or cancelled write leaves every existing file
 * as it was. A temporary left by a killed process is removed by the next write into the same
 * folder (gp_stage_clean_stale), once no live process owns it.
 * Paths may be real (written with POSIX calls, fsync'd) or GDAL virtual paths such as
 * "/vsimem/out.gpkg" (written with GDAL's VSI calls, io/fs.h).
 */
typedef struct gp_stage gp_stage;

/** A new, empty stage. */
gp_status gp_stage_new(gp_context *ctx, gp_stage **out);

/** Free a stage; what was not committed is removed (temporaries, folders it made). */
void gp_stage_free(gp_stage *stage);

/**
 * Write `size` bytes as the future content of `path`. The folder must exist, unless
 * gp_stage_make_folder made it in this stage.
 * @return GP_OK; GP_ERR_IO naming path and the system's reason (a full disk, say).
 */
gp_status gp_stage_file(gp_context *ctx, gp_stage *stage, const char *path, const void *data,
                        size_t size);

/** Remove `path` after the commit (an old sidecar file of a replaced dataset). */
gp_status gp_stage_remove_after(gp_context *ctx, gp_stage *stage, const char *path);

/** Make the folder `path` now (when missing); it is removed again if the stage is not committed. */
gp_status gp_stage_make_folder(gp_context *ctx, gp_stage *stage, const char *path);

/** Move every staged file into place and remove the files marked for removal. */
gp_status gp_stage_commit(gp_context *ctx, gp_stage *stage);

/** Remove temporaries of our naming in `folder` whose process is gone (best effort). */
void gp_stage_clean_stale(const char *folder);

/** The folder part of a path ("." when it has none), into out. 0 when it does not fit. */
int gp_path_folder(const char *path, char *out, size_t size);

#endif /* GP_PIPELINE_ATOMIC_H */
