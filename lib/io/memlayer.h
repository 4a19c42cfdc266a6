/* SPDX-License-Identifier: MIT */
/** @file memlayer.h A layer given as arrays (WKB, ids, one field) written to GDAL's memory. */

#ifndef GP_IO_MEMLAYER_H
#define GP_IO_MEMLAYER_H

#include "gridpart.h"

#include <stddef.h>
#include <stdint.h>

/** The kind of the one attribute field of a memory layer. */
typedef enum { GP_MEMFIELD_NONE, GP_MEMFIELD_TEXT, GP_MEMFIELD_INT64 } gp_memfield_kind;

/** A layer given as arrays; everything is borrowed for the call. */
typedef struct gp_memlayer {
    const char *role;          /**< "communities", ... for messages; also the layer name. */
    int64_t n;                 /**< features. */
    const uint8_t *const *wkb; /**< n geometries as WKB (ISO or extended). */
    const size_t *wkb_size;    /**< n sizes in bytes. */
    const int64_t *fids;       /**< n feature ids, or NULL: 1 .. n. */
    const char *field;         /**< the field's name (NULL when kind is NONE). */
    gp_memfield_kind kind;     /**< what `values` holds. */
    const void *values;        /**< n strings (const char *const *) or int64_t, or NULL. */
    const char *crs;           /**< any text OSRSetFromUserInput takes, or NULL: none. */
    int32_t n_reals;           /**< more fields, real numbers (since 0.3, issue #14). */
    const char *const *real_names;   /**< their n_reals names. */
    const double *const *real_values; /**< n_reals arrays of n values (NaN: null). */
} gp_memlayer;

/**
 * Write the layer as a GeoPackage in GDAL's memory file system (nothing touches the disk), at a
 * new path "/vsimem/gridpart-input-PID-N/ROLE.gpkg" that the layer reader opens like a file.
 * @param[out] path receives the path (gp_malloc'd; remove the file with gp_memlayer_remove).
 * @return GP_OK; GP_ERR_ARG (n < 0, arrays NULL); GP_ERR_CRS (crs unusable); GP_ERR_INPUT (a
 *         WKB that does not parse, a duplicate id: naming the index and id); GP_ERR_IO (GDAL
 *         failed); GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_memlayer_write(gp_context *ctx, const gp_memlayer *layer, char **path);

/** Remove a layer written by gp_memlayer_write (its folder too); NULL is a no-op. */
void gp_memlayer_remove(const char *path);

#endif /* GP_IO_MEMLAYER_H */
