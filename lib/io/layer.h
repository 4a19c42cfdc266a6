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
    char *label;     /* "path:layer" for messages (a PG password masked) */
    GDALDatasetH ds; /* owned */
    OGRLayerH layer; /* borrowed from ds */
} gp_layer;

/**
 * Open `spec` = PATH[:LAYER] read-only with any vector driver. Without LAYER the data source must
 * hold exactly one layer. A PostgreSQL source is PG:CONNINFO:TABLE (PG: in any case; TABLE may
 * be schema.table); it must name its table, there or with tables= in CONNINFO, and is given a
 * connect_timeout of 10 s unless CONNINFO or PGCONNECT_TIMEOUT sets one. Messages and the
 * label show a connection string with its password replaced by "***".
 * `role` ("communities", "streets", ...) names the input in messages.
 * @return GP_OK; GP_ERR_ARG (spec NULL or empty); GP_ERR_IO (cannot open: names the file, or
 *         the connection string and GDAL's reason); GP_ERR_INPUT (no such layer or table,
 *         several layers and none named, or a PG source naming no table: the message says how
 *         to name it and lists tables there when it could connect); GP_ERR_NOMEM.
 *         *out is NULL on failure; free with gp_layer_close.
 */
GP_NODISCARD gp_status gp_layer_open(gp_context *ctx, const char *spec, const char *role,
                                     gp_layer **out);

/**
 * Split `spec` into the data source and the layer name (NULL when none is named), as
 * gp_layer_open does. For a PG spec the text after the last ':' is the table only when it is a
 * plausible [schema.]table name (no space, '=', quote, '/', '@', ...; no part starting with a
 * digit), so "PG:dbname=x host=y:communities" names table communities and "PG:dbname=x" or
 * "PG:host=::1" none. Otherwise a spec naming an existing file is a path even if it holds ':';
 * else the text after its last ':' is the layer unless it is empty or holds '/' or '\'.
 * @return GP_OK; GP_ERR_NOMEM. *path and *name (gp_free) are NULL on failure.
 */
GP_NODISCARD gp_status gp_layer_split_spec(gp_context *ctx, const char *spec, char **path,
                                           char **name);

/**
 * `path` as messages show it: a PG connection string with every password (password=VALUE, or
 * the password of a postgresql:// URI's user info or query) replaced by "***"; other paths as
 * they are. NULL when out of memory; free with gp_free.
 */
char *gp_layer_source_label(const char *path);

/** Close a layer and free it; NULL is a no-op. */
void gp_layer_close(gp_layer *layer);

/**
 * Find the attribute field `name` (case-sensitive first, then case-insensitive as OGR does).
 * @return GP_OK with *index_out set; GP_ERR_INPUT when missing (the message names the file,
 *         layer, field and lists the fields there are).
 */
GP_NODISCARD gp_status gp_layer_field(gp_context *ctx, const gp_layer *layer, const char *name,
                                      int *index_out);

/** 1 when every coordinate of g (its parts, rings and points) is a finite number, else 0. */
int gp_ogr_finite(OGRGeometryH g);

#endif /* GP_IO_LAYER_H */
