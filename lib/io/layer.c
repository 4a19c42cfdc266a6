/* SPDX-License-Identifier: MIT */
/** @file layer.c Open OGR layers given as PATH[:LAYER] with errors that name file and layer. */

#include "layer.h"

#include "core/context.h"
#include "core/memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Split PATH[:LAYER]. A spec naming an existing file is a path even if it contains ':' (so that
 * "C:\x.gpkg" or "a:b.gpkg" work); otherwise the text after the last ':' is the layer name. */
static gp_status split_spec(gp_context *ctx, const char *spec, char **path, char **name)
{
    gp_status st = GP_OK;
    struct stat sb;
    *path = NULL;
    *name = NULL;
    const char *colon = strrchr(spec, ':');
    if (stat(spec, &sb) == 0 || colon == NULL || colon == spec || colon[1] == '\0' ||
        strchr(colon, '/') != NULL || strchr(colon, '\\') != NULL) {
        *path = gp_strdup(spec);
        if (*path == NULL) {
            st = gp_error_nomem(ctx, "a layer path");
        }
        goto done;
    }
    size_t n = (size_t)(colon - spec);
    *path = gp_malloc(n + 1);
    *name = gp_strdup(colon + 1);
    if (*path == NULL || *name == NULL) {
        st = gp_error_nomem(ctx, "a layer path");
        goto done;
    }
    memcpy(*path, spec, n);
    (*path)[n] = '\0';
done:
    if (st != GP_OK) {
        gp_free(*path);
        gp_free(*name);
        *path = NULL;
        *name = NULL;
    }
    return st;
}

gp_status gp_layer_open(gp_context *ctx, const char *spec, const char *role, gp_layer **out)
{
    gp_status st = GP_OK;
    gp_layer *l = NULL;
    char *layer_name = NULL;
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_layer_open: out is NULL");
    }
    *out = NULL;
    if (spec == NULL || spec[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "%s: no layer given (expected PATH[:LAYER])", role);
    }
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    l = gp_calloc(1, sizeof *l);
    if (l == NULL) {
        st = gp_error_nomem(ctx, "a layer");
        goto done;
    }
    st = split_spec(ctx, spec, &l->path, &layer_name);
    if (st != GP_OK) {
        goto done;
    }
    ctx->engine_error[0] = '\0';
    l->ds = GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (l->ds == NULL) {
        struct stat sb;
        if (stat(l->path, &sb) != 0) {
            st = gp_error(ctx, GP_ERR_IO, "%s: %s: no such file", role, l->path);
        } else {
            st = gp_error(ctx, GP_ERR_IO, "%s: %s: cannot open as a vector data source%s%s", role,
                          l->path, ctx->engine_error[0] ? ": " : "", ctx->engine_error);
        }
        goto done;
    }
    int n_layers = GDALDatasetGetLayerCount(l->ds);
    if (layer_name != NULL) {
        l->layer = GDALDatasetGetLayerByName(l->ds, layer_name);
        if (l->layer == NULL) {
            st = gp_error(ctx, GP_ERR_INPUT, "%s: %s: no layer named '%s' (it has %d layer%s)",
                          role, l->path, layer_name, n_layers, n_layers == 1 ? "" : "s");
            goto done;
        }
    } else if (n_layers == 1) {
        l->layer = GDALDatasetGetLayer(l->ds, 0);
    } else {
        st = gp_error(ctx, GP_ERR_INPUT, "%s: %s: has %d layers; name one as PATH:LAYER", role,
                      l->path, n_layers);
        goto done;
    }
    l->name = gp_strdup(OGR_L_GetName(l->layer));
    size_t n = strlen(l->path) + strlen(l->name ? l->name : "") + 2;
    l->label = gp_malloc(n);
    if (l->name == NULL || l->label == NULL) {
        st = gp_error_nomem(ctx, "a layer name");
        goto done;
    }
    snprintf(l->label, n, "%s:%s", l->path, l->name);
done:
    gp_gdal_pop_errors(ctx);
    gp_free(layer_name);
    if (st != GP_OK) {
        gp_layer_close(l);
        l = NULL;
    }
    *out = l;
    return st;
}

void gp_layer_close(gp_layer *layer)
{
    if (layer == NULL) {
        return;
    }
    if (layer->ds != NULL) {
        GDALClose(layer->ds);
    }
    gp_free(layer->path);
    gp_free(layer->name);
    gp_free(layer->label);
    gp_free(layer);
}

gp_status gp_layer_field(gp_context *ctx, const gp_layer *layer, const char *name, int *index_out)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer->layer);
    int idx = name != NULL ? OGR_FD_GetFieldIndex(defn, name) : -1;
    *index_out = idx;
    if (idx >= 0) {
        return GP_OK;
    }
    char list[512] = "";
    size_t used = 0;
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    return gp_error(ctx, GP_ERR_INPUT, "%s: no field '%s' (fields: %s)", layer->label,
                    name ? name : "(null)", n ? list : "none");
}
