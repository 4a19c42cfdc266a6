/* SPDX-License-Identifier: MIT */
/** @file outputs.h Internal view of gp_outputs and of the targets the layers are written to. */

#ifndef GP_PIPELINE_OUTPUTS_H
#define GP_PIPELINE_OUTPUTS_H

#include "gridpart.h"

#include "atomic.h"
#include "plan.h"

#include <gdal.h>

struct gp_outputs {
    char *layers;  /* target of the layers: a path or a connection string, or NULL */
    char *format;  /* GDAL driver short name, or NULL: from the target */
    char *report;  /* JSON report path, or NULL */
    char *map;     /* SVG map path, or NULL */
    char *map_sheets; /* folder of the overview and the community sheets, or NULL */
    int32_t map_colour; /* gp_map_colour */
    int32_t overwrite;
    char **layer_options;   /* GDAL layer creation options (CPL string list), or NULL */
    char **dataset_options; /* GDAL dataset creation options, or NULL */
};

/** The layers gridpart owns in a target; nothing else there is ever touched. `workers` is
 * written only when the run had a roster (and removed from a dataset in place otherwise). */
enum { GP_LAYER_GRIDS, GP_LAYER_BLOCKS, GP_LAYER_WORKERS, GP_LAYER_COUNT };
extern const char *const GP_LAYER_NAME[GP_LAYER_COUNT];

/** How the layers reach a target. */
typedef enum {
    /** An existing dataset that holds other layers and has transactions (GeoPackage, SQLite,
     * PostgreSQL): our layers are replaced in place, in one transaction. */
    GP_TARGET_IN_PLACE,
    /** A new dataset (or one holding only our layers, replaced with overwrite): built in
     * memory, then its files staged. */
    GP_TARGET_NEW_DATASET,
    /** A format holding one layer per file: each layer its own file, built and staged. */
    GP_TARGET_LAYER_FILES
} gp_target_kind;

typedef struct {
    char driver[64];
    gp_target_kind kind;
    char *label;                    /* the target for messages (passwords masked) */
    char *dataset;                  /* IN_PLACE / NEW_DATASET: the dataset's path */
    char *file[GP_LAYER_COUNT];     /* LAYER_FILES: each layer's file */
    char *folder;                   /* LAYER_FILES into a folder that does not exist yet */
    char **replaced;                /* files of replaced datasets, removed after the commit */
    int32_t n_replaced;
    char *const *layer_options;     /* borrowed from gp_outputs: -lco, -dsco */
    char *const *dataset_options;
} gp_target;

/**
 * Decide how the layers reach `target` in `format` (NULL: from the target, by GDAL's driver
 * metadata) and check that they can: the folder is writable, the dataset opens, our layers are
 * absent or overwrite is set. Nothing is written.
 * @return GP_OK; GP_ERR_ARG (unknown or ambiguous format, layers exist, path is a folder);
 *         GP_ERR_IO (cannot open or write there); GP_ERR_NOMEM.
 */
gp_status gp_target_resolve(gp_context *ctx, const char *target, const char *format,
                            int32_t overwrite, gp_target *out);
void gp_target_clear(gp_target *t);

/**
 * Check the target's layer and dataset creation options against its driver's lists.
 * @return GP_OK; GP_ERR_ARG naming the option, the driver and the options it has.
 */
gp_status gp_target_check_options(gp_context *ctx, const gp_target *t);

/**
 * Write the plan's layers to a resolved target: staged files, or for GP_TARGET_IN_PLACE the
 * open dataset in `*held`, its transaction not yet committed (commit with gp_target_commit).
 */
gp_status gp_layers_stage(gp_context *ctx, const gp_plan *plan, const gp_target *t,
                          gp_stage *stage, GDALDatasetH *held);

/** Commit the transaction of an in-place target and close it; roll back on failure. */
gp_status gp_target_commit(gp_context *ctx, const gp_target *t, GDALDatasetH ds);

/** Roll back and close an in-place target (NULL: nothing). */
void gp_target_abandon(GDALDatasetH ds);

/** The JSON report and the SVG map, rendered into a gp_malloc'd buffer. */
gp_status gp_report_render(gp_context *ctx, const gp_plan *plan, char **out, size_t *size);
gp_status gp_map_render(gp_context *ctx, const gp_plan *plan, char **out, size_t *size);

#endif /* GP_PIPELINE_OUTPUTS_H */
