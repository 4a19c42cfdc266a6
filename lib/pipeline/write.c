/* SPDX-License-Identifier: MIT */
/**
 * @file write.c The layers `grids` and `blocks` into any GDAL vector target, touching nothing
 * else there.
 *
 * The format comes from the user or from GDAL's own driver metadata (a connection prefix such
 * as "PG:", else the file extension). Three ways to a target (outputs.h, gp_target_kind):
 * an existing dataset with transactions (GeoPackage, SQLite, PostGIS) has our layers replaced
 * in one transaction, so other layers stay and a kill leaves the old ones; a new dataset, or a
 * one-layer-per-file format, is built in GDAL's memory file system and its files are staged
 * (atomic.c), which checks every write, so a full disk is an error and never a truncated file.
 */

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_minixml.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "outputs.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/fs.h"
#include "io/layer.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const GP_LAYER_NAME[GP_LAYER_COUNT] = {"grids", "blocks", "workers"};

static atomic_int vsi_counter;

/* ---- naming the target ------------------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The extension of a path's last component, without the dot ("" when none). */
static const char *extension(const char *path)
{
    const char *base = base_name(path);
    const char *dot = strrchr(base, '.');
    return dot != NULL && dot != base ? dot + 1 : "";
}

static int driver_is(GDALDriverH d, const char *item)
{
    const char *v = GDALGetMetadataItem(d, item, NULL);
    return v != NULL && EQUAL(v, "YES");
}

/* Does the space-separated list hold word (case-insensitive)? */
static int list_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p != NULL && *p;) {
        while (*p == ' ') {
            p++;
        }
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncasecmp(p, word, n) == 0) {
            return 1;
        }
        p = end;
    }
    return 0;
}

static const char FORMATS_HINT[] =
    "e.g. GPKG, GeoJSON, FlatGeobuf, \"ESRI Shapefile\", PostgreSQL, SQLite, CSV";

/* The driver named by `format`, or chosen for `target`: a connection prefix ("PG:"), else the
 * extension among the writable vector drivers, else (no extension) a folder of shapefiles. */
static gp_status pick_driver(gp_context *ctx, const char *label, const char *target,
                             const char *format, GDALDriverH *out)
{
    *out = NULL;
    if (format != NULL) {
        GDALDriverH d = GDALGetDriverByName(format);
        if (d == NULL || !driver_is(d, GDAL_DCAP_VECTOR)) {
            return gp_error(ctx, GP_ERR_ARG, "%s: no GDAL vector format named '%s' (%s)", label,
                            format, FORMATS_HINT);
        }
        if (!driver_is(d, GDAL_DCAP_CREATE)) {
            return gp_error(ctx, GP_ERR_ARG, "%s: GDAL's '%s' format can be read but not written",
                            label, format);
        }
        *out = d;
        return GP_OK;
    }
    int n = GDALGetDriverCount();
    for (int i = 0; i < n; i++) {
        GDALDriverH d = GDALGetDriver(i);
        const char *prefix = GDALGetMetadataItem(d, GDAL_DMD_CONNECTION_PREFIX, NULL);
        if (prefix != NULL && *prefix && strncasecmp(target, prefix, strlen(prefix)) == 0 &&
            driver_is(d, GDAL_DCAP_VECTOR)) {
            if (!driver_is(d, GDAL_DCAP_CREATE)) {
                return gp_error(ctx, GP_ERR_ARG, "%s: GDAL's '%s' format cannot be written", label,
                                GDALGetDriverShortName(d));
            }
            *out = d;
            return GP_OK;
        }
    }
    const char *ext = extension(target);
    if (*ext == '\0') {
        *out = GDALGetDriverByName("ESRI Shapefile");
        return *out ? GP_OK
                    : gp_error(ctx, GP_ERR_ARG, "%s: GDAL has no Shapefile driver", label);
    }
    char names[256] = "";
    int found = 0;
    for (int i = 0; i < n; i++) {
        GDALDriverH d = GDALGetDriver(i);
        const char *exts = GDALGetMetadataItem(d, GDAL_DMD_EXTENSIONS, NULL);
        if (!driver_is(d, GDAL_DCAP_VECTOR) || !driver_is(d, GDAL_DCAP_CREATE) ||
            !list_has(exts, ext)) {
            continue;
        }
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", found ? ", " : "",
                 GDALGetDriverShortName(d));
        if (found++ == 0) {
            *out = d;
        }
    }
    if (found == 1) {
        return GP_OK;
    }
    /* Several: the one named like the extension (KML for .kml, before LIBKML), if any. */
    GDALDriverH named = GDALGetDriverByName(ext);
    if (found > 1 && named != NULL && driver_is(named, GDAL_DCAP_VECTOR) &&
        driver_is(named, GDAL_DCAP_CREATE) &&
        list_has(GDALGetMetadataItem(named, GDAL_DMD_EXTENSIONS, NULL), ext)) {
        *out = named;
        return GP_OK;
    }
    *out = NULL;
    if (found == 0) {
        return gp_error(ctx, GP_ERR_ARG,
                        "%s: no GDAL vector format writes '.%s' files; choose a format (%s)",
                        label, ext, FORMATS_HINT);
    }
    return gp_error(ctx, GP_ERR_ARG,
                    "%s: '.%s' fits several GDAL formats (%s); choose one of them as the format",
                    label, ext, names);
}

/* ---- resolving the target ---------------------------------------------------------------- */

void gp_target_clear(gp_target *t)
{
    gp_free(t->label);
    gp_free(t->dataset);
    gp_free(t->folder);
    for (int i = 0; i < GP_LAYER_COUNT; i++) {
        gp_free(t->file[i]);
    }
    for (int32_t i = 0; i < t->n_replaced; i++) {
        gp_free(t->replaced[i]);
    }
    gp_free(t->replaced);
    memset(t, 0, sizeof *t);
}

static gp_status add_replaced(gp_context *ctx, gp_target *t, const char *path)
{
    char **grown = gp_reallocarray(t->replaced, (size_t)t->n_replaced + 1, sizeof *grown);
    char *copy = grown ? gp_strdup(path) : NULL;
    if (copy == NULL) {
        if (grown != NULL) {
            t->replaced = grown;
        }
        return gp_error_nomem(ctx, "an output path");
    }
    t->replaced = grown;
    grown[t->n_replaced++] = copy;
    return GP_OK;
}

/* The folder that will hold `path` must exist and be writable. */
static gp_status check_folder(gp_context *ctx, const char *label, const char *path)
{
    char dir[4096];
    if (!gp_path_folder(path, dir, sizeof dir)) {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path too long", label);
    }
    if (gp_fs_kind_of(dir) != GP_FS_FOLDER) {
        return gp_error(ctx, GP_ERR_IO, "%s: the folder %s does not exist", label, dir);
    }
    if (!gp_fs_folder_writable(dir)) {
        return gp_error(ctx, GP_ERR_IO, "%s: the folder %s is not writable%s%s", label, dir,
                        gp_fs_is_virtual(dir) ? "" : ": ",
                        gp_fs_is_virtual(dir) ? "" : strerror(errno));
    }
    return GP_OK;
}

static GDALDatasetH open_with(GDALDriverH drv, const char *path, unsigned flags)
{
    const char *const allowed[] = {GDALGetDriverShortName(drv), NULL};
    return GDALOpenEx(path, GDAL_OF_VECTOR | flags, allowed, NULL, NULL);
}

static int is_ours(const char *layer)
{
    for (int i = 0; i < GP_LAYER_COUNT; i++) {
        if (EQUAL(layer, GP_LAYER_NAME[i])) {
            return 1;
        }
    }
    return 0;
}

static const char OVERWRITE_HINT[] =
    "set overwrite to replace it (CLI --overwrite; only gridpart's layers are replaced)";

/* An existing multi-layer dataset: in place when it has transactions, else rebuilt when it
 * holds only our layers and overwrite is set. */
static gp_status resolve_existing_dataset(gp_context *ctx, GDALDriverH drv, int32_t overwrite,
                                          gp_target *t)
{
    gp_status st = GP_OK;
    GDALDatasetH ds = open_with(drv, t->dataset, GDAL_OF_UPDATE);
    if (ds == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot open it for update as %s%s%s", t->label,
                        GDALGetDriverShortName(drv), ctx->engine_error[0] ? ": " : "",
                        ctx->engine_error);
    }
    int transactions = GDALDatasetTestCapability(ds, ODsCTransactions);
    int others = 0;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && st == GP_OK; i++) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        if (!is_ours(name)) {
            others++;
        } else if (!overwrite) {
            st = gp_error(ctx, GP_ERR_ARG, "%s: layer '%s' already exists; %s", t->label, name,
                          OVERWRITE_HINT);
        }
    }
    if (st == GP_OK) {
        if (transactions) {
            t->kind = GP_TARGET_IN_PLACE;
        } else if (others > 0) {
            st = gp_error(ctx, GP_ERR_ARG,
                          "%s: holds %d other layer(s), and GDAL cannot add layers to a %s "
                          "dataset safely (no transactions); write to a new file or a GeoPackage",
                          t->label, others, GDALGetDriverShortName(drv));
        } else {
            t->kind = GP_TARGET_NEW_DATASET;
            char **files = GDALGetFileList(ds);
            for (int i = 0; files != NULL && files[i] != NULL && st == GP_OK; i++) {
                st = add_replaced(ctx, t, files[i]);
            }
            CSLDestroy(files);
        }
    }
    GDALClose(ds);
    return st;
}

/* One layer's file in a one-layer-per-file format: absent, or replaced with overwrite. */
static gp_status resolve_layer_file(gp_context *ctx, GDALDriverH drv, int32_t overwrite,
                                    gp_target *t, int layer)
{
    const char *path = t->file[layer];
    gp_fs_kind kind = gp_fs_kind_of(path);
    if (kind == GP_FS_NONE) {
        return t->folder ? GP_OK : check_folder(ctx, t->label, path);
    }
    if (kind == GP_FS_FOLDER) {
        return gp_error(ctx, GP_ERR_ARG, "%s: %s is a folder, not a %s file", t->label, path,
                        GDALGetDriverShortName(drv));
    }
    if (!overwrite) {
        return gp_error(ctx, GP_ERR_ARG, "%s: the %s layer's file %s already exists; %s",
                        t->label, GP_LAYER_NAME[layer], path, OVERWRITE_HINT);
    }
    gp_status s = check_folder(ctx, t->label, path);
    /* The old dataset's own files (a shapefile's .shx, .dbf, ...) go with it. */
    GDALDatasetH old = open_with(drv, path, GDAL_OF_READONLY);
    char **files = old ? GDALGetFileList(old) : NULL;
    for (int i = 0; files != NULL && files[i] != NULL && s == GP_OK; i++) {
        s = add_replaced(ctx, t, files[i]);
    }
    CSLDestroy(files);
    if (old != NULL) {
        GDALClose(old);
    }
    return s;
}

/* "dir/name.ext" -> "dir/name.blocks.ext" */
static char *sibling(const char *path, const char *layer)
{
    const char *ext = extension(path);
    size_t stem = *ext ? (size_t)(ext - 1 - path) : strlen(path);
    size_t n = strlen(path) + strlen(layer) + 2;
    char *out = gp_malloc(n);
    if (out != NULL) {
        snprintf(out, n, "%.*s.%s%s%s", (int)stem, path, layer, *ext ? "." : "", ext);
    }
    return out;
}

static char *join_path(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 3;
    char *out = gp_malloc(n);
    if (out != NULL) {
        snprintf(out, n, "%s/%s.%s", dir, name, ext);
    }
    return out;
}

static gp_status resolve_layer_files(gp_context *ctx, GDALDriverH drv, const char *target,
                                     int32_t overwrite, gp_target *t)
{
    t->kind = GP_TARGET_LAYER_FILES;
    gp_fs_kind kind = gp_fs_kind_of(target);
    int is_dir = kind == GP_FS_FOLDER;
    if (*extension(target) == '\0' || is_dir) {
        /* A folder: grids.EXT and blocks.EXT inside it. */
        const char *ext = GDALGetMetadataItem(drv, GDAL_DMD_EXTENSION, NULL);
        if (ext == NULL || *ext == '\0') {
            return gp_error(ctx, GP_ERR_ARG, "%s: GDAL's %s format has no file extension to "
                            "name the layers' files in a folder", t->label,
                            GDALGetDriverShortName(drv));
        }
        if (kind == GP_FS_FILE) {
            return gp_error(ctx, GP_ERR_ARG,
                            "%s: is a file; a path without an extension names a folder of %s "
                            "files: give the file's extension or choose a format",
                            t->label, GDALGetDriverShortName(drv));
        }
        if (!is_dir) {
            gp_status s = check_folder(ctx, t->label, target);
            if (s != GP_OK) {
                return s;
            }
            t->folder = gp_strdup(target);
            if (t->folder == NULL) {
                return gp_error_nomem(ctx, "an output path");
            }
        } else if (!gp_fs_folder_writable(target)) {
            return gp_error(ctx, GP_ERR_IO, "%s: the folder is not writable%s%s", t->label,
                            gp_fs_is_virtual(target) ? "" : ": ",
                            gp_fs_is_virtual(target) ? "" : strerror(errno));
        }
        for (int i = 0; i < GP_LAYER_COUNT; i++) {
            t->file[i] = join_path(target, GP_LAYER_NAME[i], ext);
        }
    } else {
        t->file[GP_LAYER_GRIDS] = gp_strdup(target);
        for (int i = 1; i < GP_LAYER_COUNT; i++) {
            t->file[i] = sibling(target, GP_LAYER_NAME[i]);
        }
    }
    for (int i = 0; i < GP_LAYER_COUNT; i++) {
        if (t->file[i] == NULL) {
            return gp_error_nomem(ctx, "an output path");
        }
    }
    for (int i = 0; i < GP_LAYER_COUNT; i++) {
        gp_status s = resolve_layer_file(ctx, drv, overwrite, t, i);
        if (s != GP_OK) {
            return s;
        }
    }
    return GP_OK;
}

gp_status gp_target_resolve(gp_context *ctx, const char *target, const char *format,
                            int32_t overwrite, gp_target *t)
{
    memset(t, 0, sizeof *t);
    if (target == NULL || *target == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "no output given for the layers");
    }
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    ctx->engine_error[0] = '\0';
    gp_status st = GP_OK;
    GDALDriverH drv = NULL;
    t->label = gp_layer_source_label(target);
    if (t->label == NULL) {
        st = gp_error_nomem(ctx, "an output path");
        goto done;
    }
    if ((st = pick_driver(ctx, t->label, target, format, &drv)) != GP_OK) {
        goto done;
    }
    snprintf(t->driver, sizeof t->driver, "%s", GDALGetDriverShortName(drv));
    const char *prefix = GDALGetMetadataItem(drv, GDAL_DMD_CONNECTION_PREFIX, NULL);
    int connection = prefix != NULL && *prefix;
    if (!driver_is(drv, GDAL_DCAP_MULTIPLE_VECTOR_LAYERS) && !connection) {
        st = resolve_layer_files(ctx, drv, target, overwrite, t);
        goto done;
    }
    t->dataset = gp_strdup(target);
    if (t->dataset == NULL) {
        st = gp_error_nomem(ctx, "an output path");
        goto done;
    }
    gp_fs_kind kind = gp_fs_kind_of(target);
    if (connection) {
        st = resolve_existing_dataset(ctx, drv, overwrite, t);
        if (st == GP_OK && t->kind != GP_TARGET_IN_PLACE) {
            st = gp_error(ctx, GP_ERR_ARG, "%s: GDAL's %s driver has no transactions here: "
                          "gridpart cannot write to it safely", t->label, t->driver);
        }
    } else if (kind != GP_FS_NONE) {
        st = kind == GP_FS_FOLDER
                 ? gp_error(ctx, GP_ERR_ARG, "%s: is a folder, not a %s file", t->label, t->driver)
                 : check_folder(ctx, t->label, target);
        if (st == GP_OK) {
            st = resolve_existing_dataset(ctx, drv, overwrite, t);
        }
    } else {
        t->kind = GP_TARGET_NEW_DATASET;
        st = check_folder(ctx, t->label, target);
    }
done:
    gp_gdal_pop_errors(ctx);
    if (st != GP_OK) {
        gp_target_clear(t);
    }
    return st;
}

/* ---- creation options (-lco, -dsco) ------------------------------------------------------ */

/* "A, B, C" for the option names of GDAL's option list `xml`. */
static void option_names(const char *xml, char *buf, size_t size)
{
    buf[0] = '\0';
    CPLXMLNode *root = xml != NULL ? CPLParseXMLString(xml) : NULL;
    size_t used = 0;
    for (const CPLXMLNode *n = root ? root->psChild : NULL; n != NULL && used + 1 < size;
         n = n->psNext) {
        const char *name = n->eType == CXT_Element && EQUAL(n->pszValue, "Option")
                               ? CPLGetXMLValue(n, "name", NULL)
                               : NULL;
        if (name != NULL) {
            int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (root != NULL) {
        CPLDestroyXMLNode(root);
    }
}

/* Every option of `list` must be one the driver lists under `item`: GDAL only warns about an
 * unknown one and writes the file without it, unlike what was asked for. */
static gp_status check_option_list(gp_context *ctx, const gp_target *t, GDALDriverH drv,
                                   char *const *list, const char *item, const char *what,
                                   const char *flag)
{
    if (list == NULL || list[0] == NULL) {
        return GP_OK; /* nothing to check, and the list is dear (create_checked) */
    }
    const char *xml = GDALGetMetadataItem(drv, item, NULL);
    char why[512];
    for (int i = 0; list[i] != NULL; i++) {
        if (gp_gdal_option_check(xml, list[i], why, sizeof why) != 0) {
            continue;
        }
        int key_len = (int)strcspn(list[i], "=");
        if (strcmp(why, "no such option") != 0) {
            return gp_error(ctx, GP_ERR_ARG,
                            "%s: GDAL's %s driver's %s creation option %.*s takes %s (CLI %s %s)",
                            t->label, t->driver, what, key_len, list[i], why, flag, list[i]);
        }
        char names[1024];
        option_names(xml, names, sizeof names);
        return gp_error(ctx, GP_ERR_ARG,
                        "%s: GDAL's %s driver has no %s creation option '%.*s' (CLI %s %s; it has: "
                        "%s)",
                        t->label, t->driver, what, key_len, list[i], flag, list[i],
                        names[0] ? names : "none");
    }
    return GP_OK;
}

gp_status gp_target_check_options(gp_context *ctx, const gp_target *t)
{
    GDALDriverH drv = GDALGetDriverByName(t->driver);
    if (drv == NULL) {
        return gp_error(ctx, GP_ERR_INTERNAL, "%s: driver %s vanished", t->label, t->driver);
    }
    gp_status st = check_option_list(ctx, t, drv, t->layer_options,
                                     GDAL_DS_LAYER_CREATIONOPTIONLIST, "layer", "--lco");
    return st != GP_OK ? st
                       : check_option_list(ctx, t, drv, t->dataset_options,
                                           GDAL_DMD_CREATIONOPTIONLIST, "dataset", "--dsco");
}

/* ---- writing features --------------------------------------------------------------------- */

typedef struct {
    const char *name;
    OGRFieldType type;
} field_def;

/* WKB geometry type of a shape (little or big endian), 0 when unreadable. */
static uint32_t wkb_type(const gp_plan_shape *s)
{
    if (s->wkb == NULL || s->wkb_size < 5) {
        return 0;
    }
    const unsigned char *b = s->wkb;
    return b[0] == 1 ? (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16 |
                           (uint32_t)b[4] << 24
                     : (uint32_t)b[4] | (uint32_t)b[3] << 8 | (uint32_t)b[2] << 16 |
                           (uint32_t)b[1] << 24;
}

typedef struct {
    gp_context *ctx;
    const gp_plan *plan;
    const char *label;
    OGRSpatialReferenceH srs;
    const char *driver;
    int64_t written, total;        /* features, for progress */
    char *const *layer_options;    /* the user's -lco, or NULL */
    char *const *dataset_options;  /* the user's -dsco, or NULL */
} layer_writer;

static gp_status make_layer(layer_writer *lw, GDALDatasetH ds, const char *name, int multi,
                            const field_def *fields, int n_fields, OGRLayerH *out)
{
    gp_context *ctx = lw->ctx;
    char **lco = CSLDuplicate((CSLConstList)lw->layer_options);
    if (EQUAL(lw->driver, "CSV") && CSLFetchNameValue(lco, "GEOMETRY") == NULL) {
        lco = CSLSetNameValue(lco, "GEOMETRY", "AS_WKT");
    }
    *out = GDALDatasetCreateLayer(ds, name, lw->srs, multi ? wkbMultiPolygon : wkbPolygon, lco);
    CSLDestroy(lco);
    if (*out == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot create layer '%s': %s", lw->label, name,
                        gp_ctx_engine_error(ctx));
    }
    for (int i = 0; i < n_fields; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, fields[i].type);
        OGRErr err = OGR_L_CreateField(*out, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: layer '%s': cannot create field '%s': %s",
                            lw->label, name, fields[i].name, gp_ctx_engine_error(ctx));
        }
    }
    return GP_OK;
}

/* Set the geometry (promoted to a multipolygon in a multipolygon layer) and write the feature;
 * every 256 features, report progress, which may cancel. */
static gp_status put_feature(layer_writer *lw, OGRLayerH layer, OGRFeatureH feat,
                             const gp_plan_shape *shape, int multi, const char *layer_name,
                             const char *what)
{
    gp_context *ctx = lw->ctx;
    OGRGeometryH geom = NULL;
    if (shape->wkb == NULL ||
        OGR_G_CreateFromWkbEx(shape->wkb, NULL, &geom, shape->wkb_size) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_INTERNAL, "%s: layer '%s': %s: unreadable geometry",
                        lw->label, layer_name, what);
    }
    if (multi) {
        geom = OGR_G_ForceToMultiPolygon(geom);
    }
    OGR_F_SetGeometryDirectly(feat, geom);
    if (OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_IO, "%s: layer '%s': cannot write %s: %s", lw->label,
                        layer_name, what, gp_ctx_engine_error(ctx));
    }
    if (++lw->written % 256 == 0) {
        return gp_progress(ctx, (double)lw->written / (double)(lw->total + 1), "write");
    }
    return GP_OK;
}

static gp_status write_grids(layer_writer *lw, GDALDatasetH ds)
{
    static const field_def fields[] = {
        {"grid_code", OFTString}, {"community", OFTString}, {"households", OFTInteger64},
        {"workload", OFTReal},    {"blocks", OFTInteger},   {"worker", OFTString},
        {"flags", OFTString},     {"change", OFTString},
    };
    const gp_plan *plan = lw->plan;
    /* `change` only after adjust (DESIGN: the grids layer's fields). */
    int n_fields = (int)(sizeof fields / sizeof fields[0]) - (plan->adjust ? 0 : 1);
    int multi = 0;
    for (int32_t i = 0; i < plan->n_grids; i++) {
        multi |= wkb_type(&plan->grids[i].shape) % 1000 == 6;
    }
    OGRLayerH layer;
    gp_status st =
        make_layer(lw, ds, GP_LAYER_NAME[GP_LAYER_GRIDS], multi, fields, n_fields, &layer);
    OGRFeatureDefnH defn = st == GP_OK ? OGR_L_GetLayerDefn(layer) : NULL;
    for (int32_t i = 0; i < plan->n_grids && st == GP_OK; i++) {
        const gp_plan_grid *g = &plan->grids[i];
        OGRFeatureH feat = OGR_F_Create(defn);
        OGR_F_SetFieldString(feat, 0, g->code);
        OGR_F_SetFieldString(feat, 1, plan->communities[g->community].id);
        OGR_F_SetFieldInteger64(feat, 2, g->households);
        OGR_F_SetFieldDouble(feat, 3, g->workload);
        OGR_F_SetFieldInteger(feat, 4, g->blocks);
        OGR_F_SetFieldString(feat, 5, g->worker ? g->worker : "");
        OGR_F_SetFieldString(feat, 6, g->flags);
        if (plan->adjust) {
            OGR_F_SetFieldString(feat, 7, gp_plan_grid_change(plan, i));
        }
        char what[300];
        snprintf(what, sizeof what, "grid %s", g->code);
        st = put_feature(lw, layer, feat, &g->shape, multi, GP_LAYER_NAME[GP_LAYER_GRIDS], what);
        OGR_F_Destroy(feat);
    }
    return st;
}

static gp_status write_blocks(layer_writer *lw, GDALDatasetH ds)
{
    static const field_def fields[] = {
        {"block_id", OFTInteger64},   {"community", OFTString},   {"grid_code", OFTString},
        {"households", OFTInteger64}, {"on_streets", OFTInteger},
    };
    const gp_plan *plan = lw->plan;
    int multi = 0;
    for (int32_t i = 0; i < plan->n_blocks; i++) {
        multi |= wkb_type(&plan->blocks[i].shape) % 1000 == 6;
    }
    OGRLayerH layer;
    gp_status st = make_layer(lw, ds, GP_LAYER_NAME[GP_LAYER_BLOCKS], multi, fields,
                              (int)(sizeof fields / sizeof fields[0]), &layer);
    OGRFeatureDefnH defn = st == GP_OK ? OGR_L_GetLayerDefn(layer) : NULL;
    for (int32_t i = 0; i < plan->n_blocks && st == GP_OK; i++) {
        const gp_plan_block *b = &plan->blocks[i];
        OGRFeatureH feat = OGR_F_Create(defn);
        OGR_F_SetFieldInteger64(feat, 0, b->block_id);
        OGR_F_SetFieldString(feat, 1, plan->communities[b->community].id);
        OGR_F_SetFieldString(feat, 2, plan->grids[b->grid].code);
        OGR_F_SetFieldInteger64(feat, 3, b->households);
        OGR_F_SetFieldInteger(feat, 4, b->on_streets);
        char what[400];
        snprintf(what, sizeof what, "block %lld of community %s", (long long)b->block_id,
                 plan->communities[b->community].id);
        st = put_feature(lw, layer, feat, &b->shape, multi, GP_LAYER_NAME[GP_LAYER_BLOCKS], what);
        OGR_F_Destroy(feat);
    }
    return st;
}

/* The roster's workers and their grids; a surplus worker (no grid) has no geometry. */
static gp_status write_workers(layer_writer *lw, GDALDatasetH ds)
{
    static const field_def fields[] = {
        {"worker_id", OFTString},     {"community", OFTString}, {"grid_codes", OFTString},
        {"grids", OFTInteger},        {"households", OFTInteger64},
        {"workload", OFTReal},
    };
    const gp_plan *plan = lw->plan;
    OGRLayerH layer;
    gp_status st = make_layer(lw, ds, GP_LAYER_NAME[GP_LAYER_WORKERS], 1, fields,
                              (int)(sizeof fields / sizeof fields[0]), &layer);
    OGRFeatureDefnH defn = st == GP_OK ? OGR_L_GetLayerDefn(layer) : NULL;
    for (int32_t i = 0; i < plan->n_workers && st == GP_OK; i++) {
        const gp_plan_worker *w = &plan->workers[i];
        OGRFeatureH feat = OGR_F_Create(defn);
        OGR_F_SetFieldString(feat, 0, w->id);
        OGR_F_SetFieldString(feat, 1, plan->communities[w->community].id);
        OGR_F_SetFieldString(feat, 2, w->grid_codes);
        OGR_F_SetFieldInteger(feat, 3, w->grids);
        OGR_F_SetFieldInteger64(feat, 4, w->households);
        OGR_F_SetFieldDouble(feat, 5, w->workload);
        char what[300];
        snprintf(what, sizeof what, "worker %s", w->id);
        if (w->grids > 0) {
            st = put_feature(lw, layer, feat, &w->shape, 1, GP_LAYER_NAME[GP_LAYER_WORKERS], what);
        } else if (OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
            st = gp_error(lw->ctx, GP_ERR_IO, "%s: layer '%s': cannot write %s: %s", lw->label,
                          GP_LAYER_NAME[GP_LAYER_WORKERS], what, gp_ctx_engine_error(lw->ctx));
        }
        OGR_F_Destroy(feat);
    }
    return st;
}

static gp_status write_layer(layer_writer *lw, GDALDatasetH ds, int layer)
{
    if (layer == GP_LAYER_WORKERS) {
        return lw->plan->has_roster ? write_workers(lw, ds) : GP_OK;
    }
    return layer == GP_LAYER_GRIDS ? write_grids(lw, ds) : write_blocks(lw, ds);
}

/* ---- staging ------------------------------------------------------------------------------ */

/* Close a dataset GDAL wrote, catching a failed flush (GDAL 3.6's GDALClose returns nothing). */
static gp_status close_checked(gp_context *ctx, GDALDatasetH ds, const char *label)
{
    CPLErrorReset();
    ctx->engine_error[0] = '\0';
    GDALClose(ds);
    if (CPLGetLastErrorType() >= CE_Failure || ctx->engine_error[0] != '\0') {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot finish the output: %s", label,
                        ctx->engine_error[0] ? ctx->engine_error : CPLGetLastErrorMsg());
    }
    return GP_OK;
}

/* Stage every file under the memory folder `vdir` as a file of the same name in `folder`. */
static gp_status stage_memory_files(gp_context *ctx, const char *label, const char *vdir,
                                    const char *folder, gp_stage *stage)
{
    gp_status st = GP_OK;
    char **names = VSIReadDirRecursive(vdir);
    int n = 0;
    for (int i = 0; names != NULL && names[i] != NULL && st == GP_OK; i++) {
        const char *name = names[i];
        if (strchr(name, '/') != NULL) {
            st = gp_error(ctx, GP_ERR_ARG,
                          "%s: this format writes a folder of files (%s); gridpart writes only "
                          "formats made of plain files",
                          label, name);
            break;
        }
        char vpath[4096], path[4096];
        snprintf(vpath, sizeof vpath, "%s/%s", vdir, name);
        if (snprintf(path, sizeof path, "%s/%s", folder, name) >= (int)sizeof path) {
            st = gp_error(ctx, GP_ERR_ARG, "%s: output path too long", label);
            break;
        }
        vsi_l_offset size = 0;
        const GByte *data = VSIGetMemFileBuffer(vpath, &size, FALSE);
        st = gp_stage_file(ctx, stage, path, data, (size_t)size);
        n++;
    }
    CSLDestroy(names);
    if (st == GP_OK && n == 0) {
        st = gp_error(ctx, GP_ERR_IO, "%s: GDAL wrote no file", label);
    }
    return st;
}

/* GDALCreate without GDAL's own check of the options: gp_target_check_options has checked them
 * before the run (it rejects what GDAL only warns about), and GDAL's check asks the driver for
 * its option list even when there are none; GeoPackage's parses every tiling scheme GDAL ships
 * (6e6 instructions, 1.5% of a one-community job). */
static GDALDatasetH create_checked(GDALDriverH drv, const char *path, char *const *options)
{
    static const char KEY[] = "GDAL_VALIDATE_CREATION_OPTIONS";
    const char *was = CPLGetThreadLocalConfigOption(KEY, NULL);
    char *saved = was != NULL ? CPLStrdup(was) : NULL;
    CPLSetThreadLocalConfigOption(KEY, "NO");
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, (CSLConstList)options);
    CPLSetThreadLocalConfigOption(KEY, saved);
    CPLFree(saved);
    return ds;
}

/* Build `layers` (a bit set of GP_LAYER_*) as a new dataset named like `path` in memory, and
 * stage its files beside `path`. */
static gp_status stage_new_dataset(layer_writer *lw, GDALDriverH drv, const char *path,
                                   unsigned layers, gp_stage *stage)
{
    gp_context *ctx = lw->ctx;
    char vdir[128], vpath[4096], folder[4096];
    snprintf(vdir, sizeof vdir, "/vsimem/gridpart-%ld-%d", (long)getpid(),
             atomic_fetch_add(&vsi_counter, 1));
    if (snprintf(vpath, sizeof vpath, "%s/%s", vdir, base_name(path)) >= (int)sizeof vpath ||
        !gp_path_folder(path, folder, sizeof folder)) {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path too long", lw->label);
    }
    gp_status st = GP_OK;
    VSIMkdir(vdir, 0777); /* some drivers (CSV) want the folder to exist */
    GDALDatasetH ds = create_checked(drv, vpath, lw->dataset_options);
    if (ds == NULL) {
        st = gp_error(ctx, GP_ERR_IO, "%s: GDAL cannot create a %s dataset: %s", lw->label,
                      GDALGetDriverShortName(drv), gp_ctx_engine_error(ctx));
        goto done;
    }
    /* One transaction for all features where the driver has them (GeoPackage, SQLite):
     * without one, each feature is its own transaction. */
    int in_tx = GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
    for (int i = 0; i < GP_LAYER_COUNT && st == GP_OK; i++) {
        if (layers & (1u << i)) {
            st = write_layer(lw, ds, i);
        }
    }
    if (in_tx && st == GP_OK && GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot commit the layers: %s", lw->label,
                      gp_ctx_engine_error(ctx));
    }
    gp_status closed = close_checked(ctx, ds, lw->label);
    st = st != GP_OK ? st : closed;
    if (st == GP_OK) {
        st = stage_memory_files(ctx, lw->label, vdir, folder, stage);
    }
done:
    VSIRmdirRecursive(vdir);
    return st;
}

/* Replace our layers in an existing dataset inside a transaction left open in *held. */
static gp_status write_in_place(layer_writer *lw, GDALDriverH drv, const gp_target *t,
                                GDALDatasetH *held)
{
    gp_context *ctx = lw->ctx;
    GDALDatasetH ds = open_with(drv, t->dataset, GDAL_OF_UPDATE);
    if (ds == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot open it for update: %s", t->label,
                        gp_ctx_engine_error(ctx));
    }
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) {
        GDALClose(ds);
        return gp_error(ctx, GP_ERR_IO, "%s: cannot start a transaction: %s", t->label,
                        gp_ctx_engine_error(ctx));
    }
    *held = ds;
    /* Only our layers go, and only when the caller allowed it (checked in resolve). */
    for (int i = GDALDatasetGetLayerCount(ds) - 1; i >= 0; i--) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        if (is_ours(name) && GDALDatasetDeleteLayer(ds, i) != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: cannot replace layer '%s': %s", t->label, name,
                            gp_ctx_engine_error(ctx));
        }
    }
    gp_status st = GP_OK;
    for (int i = 0; i < GP_LAYER_COUNT && st == GP_OK; i++) {
        st = write_layer(lw, ds, i);
    }
    return st;
}

gp_status gp_target_commit(gp_context *ctx, const gp_target *t, GDALDatasetH ds)
{
    gp_gdal_push_errors(ctx);
    gp_status st = GP_OK;
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = gp_error(ctx, GP_ERR_IO, "%s: cannot commit the layers: %s", t->label,
                      gp_ctx_engine_error(ctx));
        GDALDatasetRollbackTransaction(ds);
        GDALClose(ds);
    } else {
        st = close_checked(ctx, ds, t->label);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}

void gp_target_abandon(GDALDatasetH ds)
{
    if (ds != NULL) {
        GDALDatasetRollbackTransaction(ds);
        GDALClose(ds);
    }
}

gp_status gp_layers_stage(gp_context *ctx, const gp_plan *plan, const gp_target *t,
                          gp_stage *stage, GDALDatasetH *held)
{
    *held = NULL;
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    gp_status st = GP_OK;
    layer_writer lw = {ctx, plan, t->label, NULL, t->driver, 0,
                       (int64_t)plan->n_grids + plan->n_blocks + plan->n_workers,
                       t->layer_options, t->dataset_options};
    GDALDriverH drv = GDALGetDriverByName(t->driver);
    if (drv == NULL) {
        st = gp_error(ctx, GP_ERR_INTERNAL, "%s: driver %s vanished", t->label, t->driver);
        goto done;
    }
    if (plan->crs_wkt != NULL) {
        lw.srs = OSRNewSpatialReference(plan->crs_wkt);
        if (lw.srs == NULL) {
            st = gp_error(ctx, GP_ERR_CRS, "%s: the output CRS is unusable", t->label);
            goto done;
        }
        OSRSetAxisMappingStrategy(lw.srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    switch (t->kind) {
    case GP_TARGET_IN_PLACE:
        st = write_in_place(&lw, drv, t, held);
        break;
    case GP_TARGET_NEW_DATASET:
        st = stage_new_dataset(&lw, drv, t->dataset,
                               ((1u << GP_LAYER_COUNT) - 1) &
                                   ~(plan->has_roster ? 0u : 1u << GP_LAYER_WORKERS),
                               stage);
        break;
    case GP_TARGET_LAYER_FILES:
        if (t->folder != NULL) {
            st = gp_stage_make_folder(ctx, stage, t->folder);
        }
        for (int i = 0; i < GP_LAYER_COUNT && st == GP_OK; i++) {
            if (i != GP_LAYER_WORKERS || plan->has_roster) {
                st = stage_new_dataset(&lw, drv, t->file[i], 1u << i, stage);
            }
        }
        break;
    }
    /* Files of replaced datasets that the new ones do not overwrite (an old index, say). */
    for (int32_t i = 0; i < t->n_replaced && st == GP_OK; i++) {
        st = gp_stage_remove_after(ctx, stage, t->replaced[i]);
    }
done:
    if (st != GP_OK && *held != NULL) {
        gp_target_abandon(*held);
        *held = NULL;
    }
    if (lw.srs != NULL) {
        OSRDestroySpatialReference(lw.srs);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}
