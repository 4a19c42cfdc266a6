/* SPDX-License-Identifier: MIT */
/**
 * @file outputs.c gp_outputs: where a plan goes (layers, report, map), checked before a run and
 * written all or nothing after it.
 */

#include "outputs.h"
#include "inputs.h"
#include "map.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/fs.h"
#include "io/layer.h"

#include <cpl_string.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

gp_status gp_outputs_new(gp_outputs **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = gp_calloc(1, sizeof **out);
    return *out ? GP_OK : GP_ERR_NOMEM;
}

void gp_outputs_free(gp_outputs *o)
{
    if (o == NULL) {
        return;
    }
    gp_free(o->layers);
    gp_free(o->format);
    gp_free(o->report);
    gp_free(o->map);
    CSLDestroy(o->layer_options);
    CSLDestroy(o->dataset_options);
    gp_free(o->map_sheets);
    gp_free(o);
}

gp_status gp_outputs_set_layers(gp_context *ctx, gp_outputs *o, const char *target,
                                const char *format)
{
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_outputs_set_layers: outputs are NULL");
    }
    gp_status st = gp_text_replace(ctx, &o->layers, target, "the layers' output");
    return st != GP_OK ? st : gp_text_replace(ctx, &o->format, format, "the output format");
}

gp_status gp_outputs_set_report(gp_context *ctx, gp_outputs *o, const char *path)
{
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_outputs_set_report: outputs are NULL");
    }
    return gp_text_replace(ctx, &o->report, path, "the report's path");
}

gp_status gp_outputs_set_map(gp_context *ctx, gp_outputs *o, const char *path)
{
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_outputs_set_map: outputs are NULL");
    }
    return gp_text_replace(ctx, &o->map, path, "the map's path");
}

gp_status gp_outputs_set_map_sheets(gp_context *ctx, gp_outputs *o, const char *folder)
{
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_outputs_set_map_sheets: outputs are NULL");
    }
    return gp_text_replace(ctx, &o->map_sheets, folder, "the map sheets' folder");
}

gp_status gp_outputs_set_map_colour(gp_context *ctx, gp_outputs *o, int32_t colour)
{
    if (o == NULL || colour < GP_MAP_COLOUR_AUTO || colour > GP_MAP_COLOUR_COMMUNITY) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_outputs_set_map_colour: %s (grid, worker, change or community)",
                        o == NULL ? "outputs are NULL" : "not a gp_map_colour value");
    }
    o->map_colour = colour;
    return GP_OK;
}

/* The maps' colour against the run's inputs: worker needs a roster, change a previous
 * division. */
static gp_status check_map_colour(gp_context *ctx, const gp_outputs *o, const gp_inputs *in)
{
    if (o->map == NULL && o->map_sheets == NULL) {
        return GP_OK;
    }
    if (o->map_colour == GP_MAP_COLOUR_WORKER && in->workers == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "the map's colour 'worker' needs a roster of workers (CLI --workers)");
    }
    if (o->map_colour == GP_MAP_COLOUR_CHANGE && in->previous == NULL) {
        return gp_error(ctx, GP_ERR_ARG,
                        "the map's colour 'change' needs a previous division (gridpart adjust)");
    }
    return GP_OK;
}

gp_status gp_outputs_set_overwrite(gp_context *ctx, gp_outputs *o, int32_t overwrite)
{
    if (o == NULL || (overwrite != 0 && overwrite != 1)) {
        return gp_error(ctx, GP_ERR_ARG, "gp_outputs_set_overwrite: overwrite %d is not 0 or 1",
                        (int)overwrite);
    }
    o->overwrite = overwrite;
    return GP_OK;
}

/* Append "KEY=VALUE" to a creation option list. */
static gp_status add_option(gp_context *ctx, gp_outputs *o, char ***list, const char *option,
                            const char *fn)
{
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "%s: outputs are NULL", fn);
    }
    const char *eq = option != NULL ? strchr(option, '=') : NULL;
    if (eq == NULL || eq == option) {
        return gp_error(ctx, GP_ERR_ARG, "creation option '%s': expected KEY=VALUE",
                        option ? option : "(null)");
    }
    char **grown = CSLAddString(*list, option);
    if (grown == NULL) {
        return gp_error_nomem(ctx, "a creation option");
    }
    *list = grown;
    return GP_OK;
}

gp_status gp_outputs_add_layer_option(gp_context *ctx, gp_outputs *o, const char *option)
{
    return add_option(ctx, o, o ? &o->layer_options : NULL, option,
                      "gp_outputs_add_layer_option");
}

gp_status gp_outputs_add_dataset_option(gp_context *ctx, gp_outputs *o, const char *option)
{
    return add_option(ctx, o, o ? &o->dataset_options : NULL, option,
                      "gp_outputs_add_dataset_option");
}

/* A plain output file (report, map): its folder exists and is writable, and it is absent or
 * overwrite is set. */
static gp_status check_file(gp_context *ctx, const char *path, const char *what, int32_t overwrite)
{
    char dir[4096];
    if (!gp_path_folder(path, dir, sizeof dir)) {
        return gp_error(ctx, GP_ERR_ARG, "%s: %s path too long", path, what);
    }
    gp_fs_kind kind = gp_fs_kind_of(path);
    if (kind != GP_FS_NONE) {
        if (kind == GP_FS_FOLDER) {
            return gp_error(ctx, GP_ERR_ARG, "%s: the %s path names a folder, not a file", path,
                            what);
        }
        if (!overwrite) {
            return gp_error(ctx, GP_ERR_ARG,
                            "%s: the %s file already exists; set overwrite to replace it "
                            "(CLI --overwrite)",
                            path, what);
        }
    }
    if (gp_fs_kind_of(dir) != GP_FS_FOLDER) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot write the %s: the folder %s does not exist",
                        path, what, dir);
    }
    if (!gp_fs_folder_writable(dir)) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot write the %s: the folder %s is not writable",
                        path, what, dir);
    }
    return GP_OK;
}

/* The files this output set would write: two outputs must never be the same file. */
static gp_status check_distinct(gp_context *ctx, const gp_outputs *o, const gp_target *t)
{
    char overview[4096 + 16];
    const char *paths[3 + GP_LAYER_COUNT + 1] = {o->report, o->map};
    int n = 2;
    if (o->map_sheets != NULL) {
        /* the one file of the sheets' folder whose name is known before the run */
        snprintf(overview, sizeof overview, "%s/overview.svg", o->map_sheets);
        paths[n++] = overview;
    }
    if (t != NULL && t->kind == GP_TARGET_LAYER_FILES) {
        for (int i = 0; i < GP_LAYER_COUNT; i++) {
            paths[n++] = t->file[i];
        }
    } else if (t != NULL) {
        paths[n++] = t->dataset;
    }
    char a[4096 + 256], b[4096 + 256];
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n && paths[i] != NULL; j++) {
            if (paths[j] == NULL) {
                continue;
            }
            gp_fs_canonical(paths[i], a, sizeof a);
            gp_fs_canonical(paths[j], b, sizeof b);
            if (strcmp(a, b) == 0) {
                return gp_error(ctx, GP_ERR_ARG, "%s: two outputs would be the same file",
                                paths[i]);
            }
        }
    }
    return GP_OK;
}

/* Does a layer name ("grids", "public.grids") name one of the layers gridpart replaces? */
static int names_ours(const char *layer)
{
    const char *dot = layer ? strrchr(layer, '.') : NULL;
    const char *name = dot ? dot + 1 : layer;
    for (int i = 0; name != NULL && i < GP_LAYER_COUNT; i++) {
        if (strcasecmp(name, GP_LAYER_NAME[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* No output may replace an input: a file written is none of the input files, and a layer
 * replaced in place is none of the input layers. */
static gp_status check_not_inputs(gp_context *ctx, const gp_outputs *o, const gp_target *t,
                                  const gp_inputs *in)
{
    const char *role[] = {"communities", "streets", "households",    "barriers",
                          "previous grids", "workers", "audited grids"};
    const char *spec[] = {in->communities, in->streets, in->households, in->barriers,
                          in->previous,    in->workers, in->grids};
    const char *files[2 + GP_LAYER_COUNT + 1] = {o->report, o->map};
    int n = 2;
    for (int i = 0; t != NULL && t->kind == GP_TARGET_LAYER_FILES && i < GP_LAYER_COUNT; i++) {
        files[n++] = t->file[i];
    }
    if (t != NULL && t->kind == GP_TARGET_NEW_DATASET) {
        files[n++] = t->dataset;
    }
    gp_status st = GP_OK;
    for (size_t r = 0; r < sizeof spec / sizeof spec[0] && st == GP_OK; r++) {
        if (spec[r] == NULL) {
            continue;
        }
        gp_layer_spec parts;
        if ((st = gp_layer_parse_spec(ctx, spec[r], &parts)) != GP_OK) {
            break;
        }
        const char *path = parts.path, *layer = parts.name;
        /* |layerid=N names a layer only by its place: any layer might be ours. */
        int ours = parts.index >= 0 || names_ours(layer);
        for (int k = 0; k < n && st == GP_OK; k++) {
            if (gp_fs_same_file(files[k], path)) {
                st = gp_error(ctx, GP_ERR_ARG,
                              "%s: is the %s input; gridpart never replaces an input, not even "
                              "with overwrite",
                              files[k], role[r]);
            }
        }
        if (st == GP_OK && t != NULL && t->kind == GP_TARGET_IN_PLACE && ours &&
            (gp_fs_same_file(t->dataset, path) || strcmp(t->dataset, path) == 0)) {
            st = gp_error(ctx, GP_ERR_ARG,
                          "%s: its layer '%s' is the %s input; gridpart never replaces an input, "
                          "not even with overwrite",
                          t->label, layer ? layer : spec[r], role[r]);
        }
        gp_layer_spec_clear(&parts);
    }
    return st;
}

/* Everything gp_outputs_check checks; the resolved layer target in *t when layers are set. */
static gp_status check_all(gp_context *ctx, const gp_outputs *o, const gp_inputs *in,
                           gp_target *t, int *has_target)
{
    *has_target = 0;
    if (o == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "outputs are NULL");
    }
    if (o->layers == NULL && o->report == NULL && o->map == NULL && o->map_sheets == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "no output given (layers, report or map)");
    }
    gp_status st = GP_OK;
    if (o->layers != NULL) {
        st = gp_target_resolve(ctx, o->layers, o->format, o->overwrite, t);
        *has_target = st == GP_OK;
        if (st == GP_OK) {
            t->layer_options = o->layer_options;
            t->dataset_options = o->dataset_options;
            st = gp_target_check_options(ctx, t);
        }
    }
    if (st == GP_OK && o->report != NULL) {
        st = check_file(ctx, o->report, "report", o->overwrite);
    }
    if (st == GP_OK && o->map != NULL) {
        st = check_file(ctx, o->map, "map", o->overwrite);
    }
    if (st == GP_OK && o->map_sheets != NULL) {
        st = gp_map_sheets_check_folder(ctx, o->map_sheets, o->overwrite);
    }
    if (st == GP_OK && in != NULL) {
        st = check_map_colour(ctx, o, in);
    }
    if (st == GP_OK) {
        st = check_distinct(ctx, o, *has_target ? t : NULL);
    }
    if (st == GP_OK && in != NULL) {
        st = check_not_inputs(ctx, o, *has_target ? t : NULL, in);
    }
    if (st != GP_OK && *has_target) {
        gp_target_clear(t);
        *has_target = 0;
    }
    return st;
}

gp_status gp_outputs_check(gp_context *ctx, const gp_outputs *o, const gp_inputs *in)
{
    gp_target t;
    int has_target = 0;
    gp_status st = check_all(ctx, o, in, &t, &has_target);
    if (has_target) {
        gp_target_clear(&t);
    }
    return st;
}

/* Render one plain output and stage it. */
static gp_status stage_rendered(gp_context *ctx, const gp_plan *plan, gp_stage *stage,
                                const char *path,
                                gp_status (*render)(gp_context *, const gp_plan *, char **, size_t *))
{
    char *buf = NULL;
    size_t size = 0;
    gp_status st = render(ctx, plan, &buf, &size);
    if (st == GP_OK) {
        st = gp_stage_file(ctx, stage, path, buf, size);
    }
    gp_free(buf);
    return st;
}

static void clean_folder_of(const char *path)
{
    char dir[4096];
    if (path != NULL && gp_path_folder(path, dir, sizeof dir)) {
        gp_stage_clean_stale(dir);
    }
}

/* gp_plan_write_outputs for a plan. */
static gp_status write_outputs(gp_context *ctx, const gp_plan *plan, const gp_outputs *o)
{
    gp_target t;
    int has_target = 0;
    gp_stage *stage = NULL;
    GDALDatasetH held = NULL;
    /* Virtual paths (/vsimem/...) report through GDAL's error handler: route it to ctx. */
    gp_gdal_push_errors(ctx);
    gp_status st = check_all(ctx, o, plan->inputs, &t, &has_target);
    if (st != GP_OK || (st = gp_stage_new(ctx, &stage)) != GP_OK) {
        goto done;
    }
    clean_folder_of(o->report);
    clean_folder_of(o->map);
    if (o->map_sheets != NULL && gp_fs_kind_of(o->map_sheets) == GP_FS_FOLDER) {
        gp_stage_clean_stale(o->map_sheets);
    }
    if (has_target) {
        for (int i = 0; i < GP_LAYER_COUNT; i++) {
            clean_folder_of(t.file[i]);
        }
        clean_folder_of(t.kind == GP_TARGET_NEW_DATASET ? t.dataset : NULL);
    }
    if (o->report != NULL &&
        (st = stage_rendered(ctx, plan, stage, o->report, gp_report_render)) != GP_OK) {
        goto done;
    }
    if (o->map != NULL && (st = gp_map_stage(ctx, plan, o->map_colour, stage, o->map)) != GP_OK) {
        goto done;
    }
    if (o->map_sheets != NULL &&
        (st = gp_map_sheets_stage(ctx, plan, o->map_colour, o->overwrite, stage,
                                  o->map_sheets)) != GP_OK) {
        goto done;
    }
    if (has_target && (st = gp_layers_stage(ctx, plan, &t, stage, &held)) != GP_OK) {
        goto done;
    }
    /* Everything is written: the transaction first (the likelier to fail), then the renames. */
    if (held != NULL) {
        st = gp_target_commit(ctx, &t, held);
        held = NULL;
        if (st != GP_OK) {
            goto done;
        }
    }
    st = gp_stage_commit(ctx, stage);
done:
    gp_target_abandon(held);
    gp_stage_free(stage);
    if (has_target) {
        gp_target_clear(&t);
    }
    gp_gdal_pop_errors(ctx);
    return st;
}

gp_status gp_plan_write_outputs(gp_context *ctx, const gp_plan *plan, const gp_outputs *o)
{
    if (plan == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write_outputs: plan is NULL");
    }
    /* The map's GEOS work is guarded from interrupts asked elsewhere (gp_geos_guard). */
    gp_geos_guard guard = gp_geos_guard_begin();
    gp_status st = write_outputs(ctx, plan, o);
    gp_geos_guard_end(guard);
    return st;
}

/* One output on its own, never replacing an existing one. */
static gp_status write_one(gp_context *ctx, const gp_plan *plan, const char *layers,
                           const char *format, const char *report, const char *map)
{
    gp_outputs o = {.layers = (char *)layers, .format = (char *)format, .report = (char *)report,
                    .map = (char *)map};
    return gp_plan_write_outputs(ctx, plan, &o);
}

gp_status gp_plan_write(gp_context *ctx, const gp_plan *plan, const char *path, const char *driver)
{
    if (path == NULL || *path == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write: path is required");
    }
    return write_one(ctx, plan, path, driver, NULL, NULL);
}

gp_status gp_plan_write_report(gp_context *ctx, const gp_plan *plan, const char *path)
{
    if (path == NULL || *path == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write_report: path is required");
    }
    return write_one(ctx, plan, NULL, NULL, path, NULL);
}

gp_status gp_plan_write_map(gp_context *ctx, const gp_plan *plan, const char *path)
{
    if (path == NULL || *path == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write_map: path is required");
    }
    return write_one(ctx, plan, NULL, NULL, NULL, path);
}

gp_status gp_plan_write_map_sheets(gp_context *ctx, const gp_plan *plan, const char *folder)
{
    if (folder == NULL || *folder == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_write_map_sheets: folder is required");
    }
    gp_outputs o = {.map_sheets = (char *)folder};
    return gp_plan_write_outputs(ctx, plan, &o);
}
