/* SPDX-License-Identifier: MIT */
/** @file layer.h Open an OGR vector layer given as PATH[:LAYER] and look up its fields. */

#ifndef GP_IO_LAYER_H
#define GP_IO_LAYER_H

#include "gridpart.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

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
    OGRSpatialReferenceH assumed; /* owned: the settings' assume_crs when the layer has none */
} gp_layer;

/*
 * How every input layer of a run is opened (gp_inputs_add_open_option,
 * gp_inputs_set_assume_crs): GDAL open options given to each layer's driver (as ogr2ogr -oo;
 * a driver ignores options it does not know), and the CRS of a layer that has none (a CSV of
 * lon/lat columns, a GeoJSON without "crs" is WGS 84 anyway). Owned by gp_inputs.
 */
typedef struct gp_layer_settings {
    char **open_options; /* "KEY=VALUE" entries, NULL-terminated (a CPL string list), or NULL */
    char *assume_crs;    /* OSRSetFromUserInput text, or NULL */
} gp_layer_settings;

/* A layer source taken apart: PATH[:LAYER] or, as QGIS writes it, PATH|layername=LAYER or
 * PATH|layerid=N, each optionally followed by |option:KEY=VALUE parts (GDAL open options for
 * this layer alone). */
typedef struct gp_layer_spec {
    char *path;          /* the data source */
    char *name;          /* the layer named, or NULL */
    int32_t index;       /* |layerid=N: the layer's 0-based index, else -1 */
    char **open_options; /* |option:KEY=VALUE entries (CPL string list), or NULL */
} gp_layer_spec;

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
 * As gp_layer_open, with open options and an assumed CRS (`settings` NULL: none). A layer's
 * own |option: parts come before the settings' options, so they win (GDAL takes the first).
 * An |option: key the layer's driver does not list among its open options is GP_ERR_ARG.
 * With settings->assume_crs, a layer without a CRS (or with a GeoPackage's undefined one) is
 * taken to be in it (gp_layer_srs); an unreadable assume_crs is GP_ERR_CRS.
 */
GP_NODISCARD gp_status gp_layer_open_with(gp_context *ctx, const char *spec, const char *role,
                                          const gp_layer_settings *settings, gp_layer **out);

/**
 * The CRS of an open layer: its own, else (none, or a GeoPackage's "Undefined geographic /
 * Cartesian SRS" placeholder, which says nothing about the coordinates) the assumed one, else
 * NULL. *undefined (may be NULL) is 1 when NULL is returned for a placeholder. Borrowed.
 */
OGRSpatialReferenceH gp_layer_srs(const gp_layer *layer, int *undefined);

/**
 * Take `spec` apart (see gp_layer_spec). The |...| parts are recognised when the spec is not
 * PG: and not an existing file, at the first '|' followed by a word and '=' or ':'; the path
 * before it is then taken as it is when a layername= or layerid= part names the layer, else
 * split at ':' as PATH[:LAYER] is (see gp_layer_split_spec).
 * @return GP_OK; GP_ERR_ARG (a part other than layername=NAME, layerid=N (N >= 0) and
 *         option:KEY=VALUE, or the layer named twice: the message quotes the spec and says
 *         what is accepted); GP_ERR_NOMEM. *out is zeroed (index -1) on failure.
 */
GP_NODISCARD gp_status gp_layer_parse_spec(gp_context *ctx, const char *spec, gp_layer_spec *out);

/** Free what a gp_layer_spec holds and zero it (index -1). */
void gp_layer_spec_clear(gp_layer_spec *spec);

/**
 * Split `spec` into the data source and the layer name (NULL when none is named), as
 * gp_layer_open does (QGIS-style |layername= included; |option: parts are dropped). For a PG
 * spec the text after the last ':' is the table only when it is a plausible [schema.]table
 * name (no space, '=', quote, '/', '@', ...; no part starting with a digit), so
 * "PG:dbname=x host=y:communities" names table communities and "PG:dbname=x" or
 * "PG:host=::1" none. Otherwise a spec naming an existing file is a path even if it holds ':';
 * else the text after its last ':' is the layer unless it is empty or holds '/' or '\'.
 * @return GP_OK; GP_ERR_ARG (a bad |part, see gp_layer_parse_spec); GP_ERR_NOMEM. *path and
 *         *name (gp_free) are NULL on failure.
 */
GP_NODISCARD gp_status gp_layer_split_spec(gp_context *ctx, const char *spec, char **path,
                                           char **name);

/**
 * `path` as messages show it: a PG connection string with every password (password=VALUE, or
 * the password of a postgresql:// URI's user info or query) replaced by "***"; other paths as
 * they are. NULL when out of memory; free with gp_free.
 */
char *gp_layer_source_label(const char *path);

/**
 * Whether GDAL's option list `xml` (a driver's GDAL_DMD_OPENOPTIONLIST,
 * GDAL_DMD_CREATIONOPTIONLIST or GDAL_DS_LAYER_CREATIONOPTIONLIST) names the key of `option`
 * ("KEY" or "KEY=VALUE", case-insensitive, aliases included): 1 yes, 0 no, -1 when there is
 * no list to tell (NULL or unreadable).
 */
int gp_gdal_option_listed(const char *xml, const char *option);

/**
 * As gp_gdal_option_listed, and the value of "KEY=VALUE" must fit the option's declared type
 * (one of the listed values of a string-select, YES/NO for a boolean, a whole number for an
 * int): 1 fits, 0 not (`why`, of `size` bytes, says "no such option" or what the option takes),
 * -1 no list to tell.
 */
int gp_gdal_option_check(const char *xml, const char *option, char *why, size_t size);

/**
 * A layer that must hold geometries has a geometry column: a CSV read without naming its
 * coordinate or WKT columns has none, and every feature would be "no geometry".
 * @return GP_OK; GP_ERR_INPUT naming the role and layer and how to name the columns.
 */
GP_NODISCARD gp_status gp_layer_need_geometry(gp_context *ctx, const gp_layer *layer,
                                              const char *role);

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
