/* SPDX-License-Identifier: MIT */
/** @file map_sheets.c The maps of a whole city in a folder: overview.svg and one sheet per
 * community named by its id, staged together so that they are written all or nothing. */

#include "map.h"
#include "outputs.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/fs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { NAME_MAX_BYTES = 180 };
static const char OVERVIEW[] = "overview.svg";

/* A file name from an id: letters, digits, '-', '_', '.' and characters outside ASCII (valid
 * UTF-8: a Chinese id stays readable) are kept, anything else (a '/', a space, a control or
 * invalid byte, a leading '.') becomes '_'; at most NAME_MAX_BYTES, cut at a character. */
static void base_name(const char *id, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(id ? id : ""); *p;) {
        int len = gp_map_utf8_length(p);
        int keep = (len == 1 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                                 (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' ||
                                 (*p == '.' && n > 0))) ||
                   len > 1;
        size_t take = keep ? (size_t)len : 1;
        if (n + take >= size || n + take > NAME_MAX_BYTES) {
            break;
        }
        if (keep) {
            memcpy(out + n, p, take);
        } else {
            out[n] = '_';
        }
        n += take;
        p += len > 0 ? len : 1;
    }
    if (n == 0) {
        out[n++] = '_';
    }
    out[n] = '\0';
}

/* The sheets' file names, in community order: unique ignoring ASCII case (a case-insensitive
 * file system), none "overview.svg". */
static gp_status sheet_names(gp_context *ctx, const gp_plan *plan, char **name)
{
    for (int32_t c = 0; c < plan->n_communities; c++) {
        char base[NAME_MAX_BYTES + 8], file[NAME_MAX_BYTES + 32];
        base_name(plan->communities[c].id, base, sizeof base);
        for (int32_t k = 1;; k++) {
            if (k == 1) {
                snprintf(file, sizeof file, "%s.svg", base);
            } else {
                snprintf(file, sizeof file, "%s~%" PRId32 ".svg", base, k);
            }
            int taken = strcasecmp(file, OVERVIEW) == 0;
            for (int32_t d = 0; d < c && !taken; d++) {
                taken = strcasecmp(file, name[d]) == 0;
            }
            if (!taken) {
                break;
            }
        }
        if ((name[c] = gp_strdup(file)) == NULL) {
            return gp_error_nomem(ctx, "the map sheets' names");
        }
    }
    return GP_OK;
}

/* folder "/" file, into a new string (NULL: no memory). */
static char *join(const char *folder, const char *file)
{
    size_t n = strlen(folder);
    while (n > 1 && folder[n - 1] == '/') {
        n--;
    }
    size_t size = n + 1 + strlen(file) + 1;
    char *p = gp_malloc(size);
    if (p != NULL) {
        snprintf(p, size, "%.*s/%s", (int)n, folder, file);
    }
    return p;
}

static gp_status check_folder(gp_context *ctx, const char *folder, int32_t overwrite);

/* The folder without trailing slashes (a new string; NULL: no memory). */
static char *trimmed(const char *folder)
{
    size_t n = strlen(folder);
    while (n > 1 && folder[n - 1] == '/') {
        n--;
    }
    char *p = gp_malloc(n + 1);
    if (p != NULL) {
        memcpy(p, folder, n);
        p[n] = '\0';
    }
    return p;
}

gp_status gp_map_sheets_check_folder(gp_context *ctx, const char *folder_in, int32_t overwrite)
{
    char *folder = trimmed(folder_in);
    if (folder == NULL) {
        return gp_error_nomem(ctx, "the map sheets' folder");
    }
    gp_status st = check_folder(ctx, folder, overwrite);
    gp_free(folder);
    return st;
}

static gp_status check_folder(gp_context *ctx, const char *folder, int32_t overwrite)
{
    gp_fs_kind kind = gp_fs_kind_of(folder);
    if (kind == GP_FS_FILE) {
        return gp_error(ctx, GP_ERR_ARG, "%s: the map sheets' folder names a file", folder);
    }
    if (kind == GP_FS_NONE) {
        char parent[4096];
        if (!gp_path_folder(folder, parent, sizeof parent)) {
            return gp_error(ctx, GP_ERR_ARG, "%s: the map sheets' folder: path too long", folder);
        }
        if (gp_fs_kind_of(parent) != GP_FS_FOLDER || !gp_fs_folder_writable(parent)) {
            return gp_error(ctx, GP_ERR_IO,
                            "%s: cannot make the map sheets' folder: %s is not a writable folder",
                            folder, parent);
        }
        return GP_OK;
    }
    if (!gp_fs_folder_writable(folder)) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot write the map sheets: the folder is not "
                        "writable", folder);
    }
    char *overview = join(folder, OVERVIEW);
    if (overview == NULL) {
        return gp_error_nomem(ctx, "the map sheets' folder");
    }
    gp_status st = GP_OK;
    if (!overwrite && gp_fs_kind_of(overview) != GP_FS_NONE) {
        st = gp_error(ctx, GP_ERR_ARG,
                      "%s: the overview map already exists; set overwrite to replace it "
                      "(CLI --overwrite)",
                      overview);
    }
    gp_free(overview);
    return st;
}

/* Each street's extent, so that a sheet draws only the streets near its community. */
static gp_status street_extents(gp_context *ctx, const gp_plan *plan, gp_map_box *env)
{
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    GEOSWKBReader *rd = h != NULL ? GEOSWKBReader_create_r(h) : NULL;
    if (rd == NULL) {
        return h == NULL ? gp_context_last_status(ctx) : gp_error_nomem(ctx, "the map sheets");
    }
    for (int32_t i = 0; i < plan->n_streets; i++) {
        const gp_plan_shape *s = &plan->streets[i];
        GEOSGeometry *g =
            s->wkb_work ? GEOSWKBReader_read_r(h, rd, s->wkb_work, s->wkb_work_size) : NULL;
        env[i] = (gp_map_box){1, 1, 0, 0}; /* empty: never drawn */
        if (g != NULL) {
            GEOSGeom_getXMin_r(h, g, &env[i].x0);
            GEOSGeom_getYMin_r(h, g, &env[i].y0);
            GEOSGeom_getXMax_r(h, g, &env[i].x1);
            GEOSGeom_getYMax_r(h, g, &env[i].y1);
            GEOSGeom_destroy_r(h, g);
        }
    }
    GEOSWKBReader_destroy_r(h, rd);
    return GP_OK;
}

/* Every file of the folder: none exists unless overwrite. */
static gp_status check_names(gp_context *ctx, const char *folder, char *const *name, int32_t n,
                             int32_t overwrite)
{
    for (int32_t c = 0; c < n && !overwrite; c++) {
        char *path = join(folder, name[c]);
        if (path == NULL) {
            return gp_error_nomem(ctx, "the map sheets");
        }
        gp_fs_kind kind = gp_fs_kind_of(path);
        gp_status st = kind == GP_FS_NONE
                           ? GP_OK
                           : gp_error(ctx, GP_ERR_ARG,
                                      "%s: the map sheet already exists; set overwrite to "
                                      "replace it (CLI --overwrite)",
                                      path);
        gp_free(path);
        if (st != GP_OK) {
            return st;
        }
    }
    return GP_OK;
}

/* Render one page into the stage at folder/file. */
static gp_status stage_page(gp_context *ctx, gp_stage *stage, const char *folder,
                            const char *file, char *buf, size_t size)
{
    char *path = join(folder, file);
    gp_status st = path == NULL ? gp_error_nomem(ctx, "the map sheets")
                                : gp_stage_file(ctx, stage, path, buf, size);
    gp_free(path);
    gp_free(buf);
    return st;
}

static gp_status stage_all(gp_context *ctx, const gp_plan *plan, int32_t colour,
                           gp_stage *stage, const char *folder, char **name, gp_map_box *env)
{
    char *buf = NULL;
    size_t size = 0;
    gp_status st = gp_map_render_overview(ctx, plan, name, &buf, &size);
    if (st != GP_OK || (st = stage_page(ctx, stage, folder, OVERVIEW, buf, size)) != GP_OK) {
        return st;
    }
    for (int32_t c = 0; c < plan->n_communities; c++) {
        gp_map_scope scope = {c, c + 1, plan->n_communities, OVERVIEW, colour, env};
        if ((st = gp_map_render_scope(ctx, plan, &scope, &buf, &size)) != GP_OK ||
            (st = stage_page(ctx, stage, folder, name[c], buf, size)) != GP_OK) {
            return st;
        }
    }
    return GP_OK;
}

gp_status gp_map_sheets_stage(gp_context *ctx, const gp_plan *plan, int32_t colour,
                              int32_t overwrite, gp_stage *stage, const char *folder_in)
{
    int32_t n = plan->n_communities;
    char *folder = trimmed(folder_in);
    char **name = gp_calloc((size_t)n + 1, sizeof *name);
    gp_map_box *env = gp_calloc((size_t)plan->n_streets + 1, sizeof *env);
    gp_status st = name == NULL || env == NULL || folder == NULL
                       ? gp_error_nomem(ctx, "the map sheets")
                       : GP_OK;
    if (st == GP_OK) {
        st = gp_map_colour_check(ctx, plan, colour);
    }
    if (st == GP_OK) {
        st = check_folder(ctx, folder, overwrite);
    }
    if (st == GP_OK) {
        st = sheet_names(ctx, plan, name);
    }
    if (st == GP_OK) {
        st = check_names(ctx, folder, name, n, overwrite);
    }
    if (st == GP_OK) {
        st = street_extents(ctx, plan, env);
    }
    if (st == GP_OK) {
        st = gp_stage_make_folder(ctx, stage, folder);
    }
    if (st == GP_OK) {
        st = stage_all(ctx, plan, colour, stage, folder, name, env);
    }
    for (int32_t c = 0; name != NULL && c < n; c++) {
        gp_free(name[c]);
    }
    gp_free(name);
    gp_free(env);
    gp_free(folder);
    return st;
}
