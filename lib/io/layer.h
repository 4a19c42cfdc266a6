/* SPDX-License-Identifier: MIT */
/** @file layer.h Open an OGR vector layer given as PATH[:LAYER] and look up its fields. */

#ifndef GP_IO_LAYER_H
#define GP_IO_LAYER_H

#include "gridpart.h"

#include <gdal.h>
#include <ogr_api.h>

/*
 * A layer opened read-only. `label` ("file.gpkg:layer") starts every error message about it.
 * The struct is internal to lib/io and lib/geometry; OGR handles never reach the public API.
 */
typedef struct gp_layer {
    char *path;      /* the data source path */
    char *name;      /* the layer name */
    char *label;     /* "path:layer" for messages */
    GDALDatasetH ds; /* owned */
    OGRLayerH layer; /* borrowed from ds */
} gp_layer;

/**
 * Open `spec` = PATH[:LAYER] read-only with any vector driver. Without LAYER the data source must
 * hold exactly one layer. `role` ("communities", "streets", ...) names the input in messages.
 * @return GP_OK; GP_ERR_ARG (spec NULL or empty); GP_ERR_IO (cannot open: names the file);
 *         GP_ERR_INPUT (no such layer, or several layers and none named); GP_ERR_NOMEM.
 *         *out is NULL on failure; free with gp_layer_close.
 */
GP_NODISCARD gp_status gp_layer_open(gp_context *ctx, const char *spec, const char *role,
                                     gp_layer **out);

/** Close a layer and free it; NULL is a no-op. */
void gp_layer_close(gp_layer *layer);

/**
 * Find the attribute field `name` (case-sensitive first, then case-insensitive as OGR does).
 * @return GP_OK with *index_out set; GP_ERR_INPUT when missing (the message names the file,
 *         layer, field and lists the fields there are).
 */
GP_NODISCARD gp_status gp_layer_field(gp_context *ctx, const gp_layer *layer, const char *name,
                                      int *index_out);

#endif /* GP_IO_LAYER_H */
