/* SPDX-License-Identifier: MIT */
/** @file write.c Writes a plan's `grids` and `blocks` layers through OGR, atomically. */

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "atomic.h"
#include "plan.h"

#include "core/context.h"
#include "core/memory.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Drivers that hold one layer per file: the blocks layer goes to a sibling file. */
static int single_layer(const char *driver)
{
    static const char *const one[] = {"GeoJSON", "GeoJSONSeq", "FlatGeobuf", "CSV", "GPX"};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        if (strcasecmp(driver, one[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *driver_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        return "ESRI Shapefile"; /* no extension: a directory of shapefiles */
    }
    if (strcasecmp(dot, ".geojson") == 0 || strcasecmp(dot, ".json") == 0) {
        return "GeoJSON";
    }
    if (strcasecmp(dot, ".fgb") == 0) {
        return "FlatGeobuf";
    }
    if (strcasecmp(dot, ".sqlite") == 0) {
        return "SQLite";
    }
    return "GPKG";
}

/* "dir/name.ext" -> "dir/name.blocks.ext" */
static int sibling(const char *path, char *out, size_t size)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        dot = path + strlen(path);
    }
    int n = snprintf(out, size, "%.*s.blocks%s", (int)(dot - path), path, dot);
    return n > 0 && (size_t)n < size;
}

typedef struct {
    const char *name;
    OGRFieldType type;
} field_def;

static gp_status make_layer(gp_context *ctx, GDALDatasetH ds, const char *path, const char *name,
                            OGRSpatialReferenceH srs, const field_def *fields, int n_fields,
                            OGRLayerH *out)
{
    char **lco = NULL;
    *out = GDALDatasetCreateLayer(ds, name, srs, wkbPolygon, lco);
    if (*out == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot create layer '%s': %s", path, name,
                        gp_ctx_engine_error(ctx));
    }
    for (int i = 0; i < n_fields; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, fields[i].type);
        OGRErr err = OGR_L_CreateField(*out, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: layer '%s': cannot create field '%s': %s", path,
                            name, fields[i].name, gp_ctx_engine_error(ctx));
        }
    }
    return GP_OK;
}

static gp_status put_geometry(gp_context *ctx, OGRFeatureH feat, const gp_plan_shape *shape,
                              const char *path, const char *what)
{
    OGRGeometryH geom = NULL;
    if (shape->wkb == NULL ||
        OGR_G_CreateFromWkbEx(shape->wkb, NULL, &geom, shape->wkb_size) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_INTERNAL, "%s: %s: unreadable geometry", path, what);
    }
    OGR_F_SetGeometryDirectly(feat, geom);
    return GP_OK;
}

static gp_status write_grids(gp_context *ctx, const gp_plan *plan, GDALDatasetH ds,
                             const char *path, OGRSpatialReferenceH srs)
{
    static const field_def fields[] = {
        {"grid_code", OFTString}, {"community", OFTString}, {"households", OFTInteger64},
        {"workload", OFTReal},    {"blocks", OFTInteger},   {"worker", OFTString},
        {"flags", OFTString},
    };
    OGRLayerH layer;
    gp_status st = make_layer(ctx, ds, path, "grids", srs, fields, 7, &layer);
    if (st != GP_OK) {
        return st;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (int32_t i = 0; i < plan->n_grids && st == GP_OK; i++) {
        const gp_plan_grid *g = &plan->grids[i];
        OGRFeatureH feat = OGR_F_Create(defn);
        OGR_F_SetFieldString(feat, 0, g->code);
        OGR_F_SetFieldString(feat, 1, plan->communities[g->community].id);
        OGR_F_SetFieldInteger64(feat, 2, g->households);
        OGR_F_SetFieldDouble(feat, 3, g->workload);
        OGR_F_SetFieldInteger(feat, 4, g->blocks);
        OGR_F_SetFieldString(feat, 5, "");
        OGR_F_SetFieldString(feat, 6, g->flags);
        st = put_geometry(ctx, feat, &g->shape, path, g->code);
        if (st == GP_OK && OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
            st = gp_error(ctx, GP_ERR_IO, "%s: layer 'grids': cannot write grid %s: %s", path,
                          g->code, gp_ctx_engine_error(ctx));
        }
        OGR_F_Destroy(feat);
    }
    return st;
}

static gp_status write_blocks(gp_context *ctx, const gp_plan *plan, GDALDatasetH ds,
                              const char *path, OGRSpatialReferenceH srs)
{
    static const field_def fields[] = {
        {"block_id", OFTInteger64},   {"community", OFTString},   {"grid_code", OFTString},
        {"households", OFTInteger64}, {"on_streets", OFTInteger},
    };
    OGRLayerH layer;
    gp_status st = make_layer(ctx, ds, path, "blocks", srs, fields, 5, &layer);
    if (st != GP_OK) {
        return st;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (int32_t i = 0; i < plan->n_blocks && st == GP_OK; i++) {
        const gp_plan_block *b = &plan->blocks[i];
        OGRFeatureH feat = OGR_F_Create(defn);
        OGR_F_SetFieldInteger64(feat, 0, b->block_id);
        OGR_F_SetFieldString(feat, 1, plan->communities[b->community].id);
        OGR_F_SetFieldString(feat, 2, plan->grids[b->grid].code);
        OGR_F_SetFieldInteger64(feat, 3, b->households);
        OGR_F_SetFieldInteger(feat, 4, b->on_streets);
        st = put_geometry(ctx, feat, &b->shape, path, "block");
        if (st == GP_OK && OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
            st = gp_error(ctx, GP_ERR_IO, "%s: layer 'blocks': cannot write block %lld: %s", path,
                          (long long)b->block_id, gp_ctx_engine_error(ctx));
        }
        OGR_F_Destroy(feat);
    }
    return st;
}

/* Create one dataset at tmp and write the given layers into it. */
static gp_status write_dataset(gp_context *ctx, const gp_plan *plan, GDALDriverH drv,
                               const char *tmp, const char *path, OGRSpatialReferenceH srs,
                               int grids, int blocks)
{
    GDALDatasetH ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (ds == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot create the output: %s", path,
                        gp_ctx_engine_error(ctx));
    }
    int tx = GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
    gp_status st = grids ? write_grids(ctx, plan, ds, path, srs) : GP_OK;
    if (st == GP_OK && blocks) {
        st = write_blocks(ctx, plan, ds, path, srs);
    }
    if (st == GP_OK && tx && GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot commit the output: %s", path,
                      gp_ctx_engine_error(ctx));
    }
    /* GDAL 3.6's GDALClose returns nothing: a failed flush shows as a CPL error. */
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() >= CE_Failure && st == GP_OK) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot finish the output: %s", path,
                      gp_ctx_engine_error(ctx));
    }
    return st;
}

gp_status gp_plan_write(gp_context *ctx, const gp_plan *plan, const char *path, const char *driver)
{
    if (plan == NULL || path == NULL || *path == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write: plan and path are required");
    }
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    gp_status st = GP_OK;
    char tmp[4096] = "", tmp2[4096] = "", path2[4096] = "";
    OGRSpatialReferenceH srs = NULL;
    const char *dname = driver != NULL ? driver : driver_for(path);
    GDALDriverH drv = GDALGetDriverByName(dname);
    if (drv == NULL || GDALGetMetadataItem(drv, GDAL_DCAP_VECTOR, NULL) == NULL) {
        st = gp_error(ctx, GP_ERR_ARG, "%s: no OGR vector driver named '%s'", path, dname);
        goto done;
    }
    if (strcasecmp(dname, "ESRI Shapefile") == 0) {
        const char *dot = strrchr(path, '.');
        if (dot != NULL && strcasecmp(dot, ".shp") == 0) {
            st = gp_error(ctx, GP_ERR_ARG,
                          "%s: Shapefile output is a directory (it holds grids.shp and "
                          "blocks.shp): give a path without .shp",
                          path);
            goto done;
        }
    }
    if (plan->crs_wkt != NULL) {
        srs = OSRNewSpatialReference(plan->crs_wkt);
        if (srs == NULL) {
            st = gp_error(ctx, GP_ERR_CRS, "%s: the output CRS is unusable", path);
            goto done;
        }
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    st = gp_atomic_temp(ctx, path, tmp, sizeof tmp);
    if (st != GP_OK) {
        tmp[0] = '\0';
        goto done;
    }
    if (single_layer(dname)) {
        if (!sibling(path, path2, sizeof path2)) {
            st = gp_error(ctx, GP_ERR_ARG, "%s: output path too long", path);
            goto done;
        }
        st = gp_atomic_temp(ctx, path2, tmp2, sizeof tmp2);
        if (st != GP_OK) {
            tmp2[0] = '\0';
            goto done;
        }
        st = write_dataset(ctx, plan, drv, tmp, path, srs, 1, 0);
        if (st == GP_OK) {
            st = write_dataset(ctx, plan, drv, tmp2, path2, srs, 0, 1);
        }
        if (st == GP_OK) {
            st = gp_atomic_commit(ctx, tmp2, path2);
            tmp2[0] = '\0';
        }
    } else {
        st = write_dataset(ctx, plan, drv, tmp, path, srs, 1, 1);
    }
    if (st == GP_OK) {
        st = gp_atomic_commit(ctx, tmp, path);
        tmp[0] = '\0';
    }
done:
    if (tmp[0] != '\0') {
        gp_atomic_abort(tmp);
    }
    if (tmp2[0] != '\0') {
        gp_atomic_abort(tmp2);
    }
    if (srs != NULL) {
        OSRDestroySpatialReference(srs);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}
