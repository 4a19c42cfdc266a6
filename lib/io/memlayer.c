/* SPDX-License-Identifier: MIT */
/**
 * @file memlayer.c A layer given as arrays (WKB, ids, one field) written as a GeoPackage in
 * GDAL's memory file system, so that the ordinary reader (layer.c, dataset.c) reads it with
 * every check it makes of a file, and a program holding its data in memory touches no disk.
 */

#include "memlayer.h"

#include "layer.h"

#include "core/context.h"
#include "core/memory.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int counter;

/* Feature i's real fields (after the one field, when there is one); NaN is null. */
static void set_reals(const gp_memlayer *m, OGRFeatureH f, int64_t i)
{
    int first = m->kind != GP_MEMFIELD_NONE ? 1 : 0;
    for (int32_t k = 0; k < m->n_reals; k++) {
        double v = m->real_values[k][i];
        if (isnan(v)) {
            OGR_F_SetFieldNull(f, first + k);
        } else {
            OGR_F_SetFieldDouble(f, first + k, v);
        }
    }
}

/* Write the features inside one transaction (a GeoPackage commits each insert otherwise). */
static gp_status write_features(gp_context *ctx, const gp_memlayer *m, GDALDatasetH ds,
                                OGRLayerH layer)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    gp_status st = GP_OK;
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot start writing the memory layer: %s", m->role,
                        gp_ctx_engine_error(ctx));
    }
    for (int64_t i = 0; i < m->n && st == GP_OK; i++) {
        int64_t fid = m->fids ? m->fids[i] : i + 1;
        OGRGeometryH geom = NULL;
        if (m->wkb[i] == NULL ||
            OGR_G_CreateFromWkbEx(m->wkb[i], NULL, &geom, m->wkb_size[i]) != OGRERR_NONE) {
            st = gp_error(ctx, GP_ERR_INPUT,
                          "%s: feature %" PRId64 " (id %" PRId64
                          "): its WKB (%zu bytes) does "
                          "not parse",
                          m->role, i, fid, m->wkb[i] ? m->wkb_size[i] : (size_t)0);
            break;
        }
        if (!gp_ogr_finite(geom)) {
            /* GeoPackage writes NaN into its SQL (and fails); GEOS would throw and leak. */
            OGR_G_DestroyGeometry(geom);
            st = gp_error(ctx, GP_ERR_INPUT,
                          "%s: feature %" PRId64 " (id %" PRId64 "): a coordinate is not a "
                          "finite number (NaN or infinite)",
                          m->role, i, fid);
            break;
        }
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFID(f, fid);
        OGR_F_SetGeometryDirectly(f, geom);
        if (m->kind == GP_MEMFIELD_TEXT && m->values != NULL) {
            const char *v = ((const char *const *)m->values)[i];
            if (v != NULL) {
                OGR_F_SetFieldString(f, 0, v);
            } else {
                OGR_F_SetFieldNull(f, 0);
            }
        } else if (m->kind == GP_MEMFIELD_INT64 && m->values != NULL) {
            OGR_F_SetFieldInteger64(f, 0, ((const int64_t *)m->values)[i]);
        }
        set_reals(m, f, i);
        if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE) {
            st = gp_error(ctx, GP_ERR_INPUT,
                          "%s: feature %" PRId64 " (id %" PRId64
                          "): cannot be stored (a "
                          "repeated id?): %s",
                          m->role, i, fid, gp_ctx_engine_error(ctx));
        }
        OGR_F_Destroy(f);
    }
    if (st == GP_OK && GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot finish the memory layer: %s", m->role,
                      gp_ctx_engine_error(ctx));
    } else if (st != GP_OK) {
        GDALDatasetRollbackTransaction(ds);
    }
    return st;
}

/* The real fields of a layer; a name given twice (or the one field's) is GP_ERR_ARG. */
static gp_status make_reals(gp_context *ctx, const gp_memlayer *m, OGRLayerH layer)
{
    for (int32_t k = 0; k < m->n_reals; k++) {
        const char *name = m->real_names[k];
        if (name == NULL || *name == '\0' || m->real_values[k] == NULL) {
            return gp_error(ctx, GP_ERR_ARG, "%s: field %d needs a name and %" PRId64 " values",
                            m->role, (int)k, m->n);
        }
        int taken = m->kind != GP_MEMFIELD_NONE && strcmp(name, m->field) == 0;
        for (int32_t j = 0; j < k && !taken; j++) {
            taken = strcmp(name, m->real_names[j]) == 0;
        }
        if (taken) {
            return gp_error(ctx, GP_ERR_ARG, "%s: the field '%s' is given twice", m->role, name);
        }
        OGRFieldDefnH fd = OGR_Fld_Create(name, OFTReal);
        OGRErr err = OGR_L_CreateField(layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: cannot make the field '%s': %s", m->role, name,
                            gp_ctx_engine_error(ctx));
        }
    }
    return GP_OK;
}

static gp_status make_layer(gp_context *ctx, const gp_memlayer *m, GDALDatasetH ds, OGRLayerH *out)
{
    OGRSpatialReferenceH srs = NULL;
    if (m->crs != NULL && *m->crs != '\0') {
        srs = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(srs, m->crs) != OGRERR_NONE) {
            OSRDestroySpatialReference(srs);
            return gp_error(ctx, GP_ERR_CRS, "%s: the CRS '%s' is not one GDAL knows", m->role,
                            m->crs);
        }
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    char **lco = CSLSetNameValue(NULL, "SPATIAL_INDEX", "NO");
    *out = GDALDatasetCreateLayer(ds, m->role, srs, wkbUnknown, lco);
    CSLDestroy(lco);
    if (srs != NULL) {
        OSRDestroySpatialReference(srs);
    }
    if (*out == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot make the memory layer: %s", m->role,
                        gp_ctx_engine_error(ctx));
    }
    if (m->kind != GP_MEMFIELD_NONE) {
        OGRFieldDefnH fd =
            OGR_Fld_Create(m->field, m->kind == GP_MEMFIELD_TEXT ? OFTString : OFTInteger64);
        OGRErr err = OGR_L_CreateField(*out, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: cannot make the field '%s': %s", m->role, m->field,
                            gp_ctx_engine_error(ctx));
        }
    }
    return make_reals(ctx, m, *out);
}

gp_status gp_memlayer_write(gp_context *ctx, const gp_memlayer *m, char **path)
{
    *path = NULL;
    if (m->n < 0 || (m->n > 0 && (m->wkb == NULL || m->wkb_size == NULL)) ||
        (m->kind != GP_MEMFIELD_NONE && m->field == NULL) || m->n_reals < 0 ||
        (m->n_reals > 0 && (m->real_names == NULL || m->real_values == NULL))) {
        return gp_error(ctx, GP_ERR_ARG,
                        "%s: %" PRId64 " features need their WKB and sizes (arrays of n)", m->role,
                        m->n);
    }
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    ctx->engine_error[0] = '\0';
    gp_status st = GP_OK;
    char name[256];
    snprintf(name, sizeof name, "/vsimem/gridpart-input-%ld-%d/%s.gpkg", (long)getpid(),
             atomic_fetch_add(&counter, 1), m->role);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = drv ? GDALCreate(drv, name, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRLayerH layer = NULL;
    if (ds == NULL) {
        st = gp_error(ctx, GP_ERR_IO, "%s: GDAL cannot make a GeoPackage in memory: %s", m->role,
                      gp_ctx_engine_error(ctx));
        goto done;
    }
    if ((st = make_layer(ctx, m, ds, &layer)) == GP_OK) {
        st = write_features(ctx, m, ds, layer);
    }
    CPLErrorReset();
    GDALClose(ds);
    if (st == GP_OK && CPLGetLastErrorType() >= CE_Failure) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot finish the memory layer: %s", m->role,
                      CPLGetLastErrorMsg());
    }
    if (st == GP_OK && (*path = gp_strdup(name)) == NULL) {
        st = gp_error_nomem(ctx, "a memory layer's path");
    }
done:
    if (st != GP_OK) {
        gp_memlayer_remove(name);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}

void gp_memlayer_remove(const char *path)
{
    if (path == NULL) {
        return;
    }
    const char *slash = strrchr(path, '/');
    if (slash != NULL && strncmp(path, "/vsimem/gridpart-input-", 23) == 0) {
        char dir[256];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        VSIRmdirRecursive(dir);
    }
}
