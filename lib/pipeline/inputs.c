/* SPDX-License-Identifier: MIT */
/** @file inputs.c gp_inputs: which layers and fields a run reads. */

#include "inputs.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"
#include "io/layer.h"
#include "io/memlayer.h"

#include <cpl_string.h>
#include <ogr_srs_api.h>

#include <math.h>
#include <string.h>

gp_status gp_inputs_new(gp_inputs **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = gp_calloc(1, sizeof **out);
    return *out ? GP_OK : GP_ERR_NOMEM;
}

static void free_only(gp_inputs *in)
{
    for (size_t i = 0; i < in->n_only; i++) {
        gp_free(in->only[i]);
    }
    gp_free(in->only);
    in->only = NULL;
    in->n_only = 0;
}

void gp_inputs_free(gp_inputs *in)
{
    if (in == NULL) {
        return;
    }
    gp_free(in->communities);
    gp_free(in->id_field);
    gp_free(in->streets);
    gp_free(in->class_field);
    gp_free(in->households);
    gp_free(in->count_field);
    gp_free(in->barriers);
    gp_free(in->grids);
    gp_free(in->grids_code_field);
    gp_free(in->grids_community_field);
    gp_free(in->previous);
    gp_free(in->previous_code_field);
    gp_free(in->previous_community_field);
    gp_free(in->workers);
    gp_free(in->worker_id_field);
    gp_free(in->worker_community_field);
    gp_free(in->worker_grid_field);
    gp_free(in->residents_field);
    for (int32_t i = 0; i < in->n_weights; i++) {
        gp_free(in->weight_field[i]);
    }
    for (int32_t i = 0; i < in->n_loads; i++) {
        gp_free(in->load_source[i]);
        gp_free(in->load_field[i]);
    }
    gp_free(in->weight_field);
    gp_free(in->weight);
    gp_free(in->load_source);
    gp_free(in->load_field);
    for (int i = 0; i < 4; i++) {
        gp_memlayer_remove(in->mem_file[i]);
        gp_free(in->mem_file[i]);
    }
    CSLDestroy(in->layer_settings.open_options);
    gp_free(in->layer_settings.assume_crs);
    free_only(in);
    gp_free(in);
}

gp_status gp_text_replace(gp_context *ctx, char **slot, const char *value, const char *what)
{
    char *copy = NULL;
    if (value != NULL && *value != '\0' && (copy = gp_strdup(value)) == NULL) {
        return gp_error_nomem(ctx, what);
    }
    gp_free(*slot);
    *slot = copy;
    return GP_OK;
}

/* Replace *slot with a copy of value (NULL allowed when optional). */
static gp_status set(gp_context *ctx, char **slot, const char *value, const char *what,
                     int required)
{
    if (required && (value == NULL || *value == '\0')) {
        return gp_error(ctx, GP_ERR_ARG, "%s is required and must not be empty", what);
    }
    return gp_text_replace(ctx, slot, value, what);
}

gp_status gp_inputs_set_communities(gp_context *ctx, gp_inputs *in, const char *source,
                                    const char *id_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_communities: inputs are NULL");
    }
    gp_status st = set(ctx, &in->communities, source, "the communities source", 1);
    return st ? st : set(ctx, &in->id_field, id_field, "the community id field", 1);
}

gp_status gp_inputs_set_streets(gp_context *ctx, gp_inputs *in, const char *source,
                                const char *class_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_streets: inputs are NULL");
    }
    gp_status st = set(ctx, &in->streets, source, "the streets source", 1);
    return st ? st : set(ctx, &in->class_field, class_field, "the street class field", 0);
}

gp_status gp_inputs_set_households(gp_context *ctx, gp_inputs *in, const char *source,
                                   const char *count_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_households: inputs are NULL");
    }
    gp_status st = set(ctx, &in->households, source, "the households source", 1);
    return st ? st : set(ctx, &in->count_field, count_field, "the household count field", 0);
}

/* ---- layers given as arrays (since 0.3) --------------------------------------------------- */

enum { MEM_COMMUNITIES, MEM_STREETS, MEM_HOUSEHOLDS, MEM_BARRIERS };

/* Write `m` to memory and make it the source of role `slot`, with its field (none: NULL). */
static gp_status set_memory(gp_context *ctx, gp_inputs *in, const char *fn, int slot,
                            const gp_memlayer *m)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "%s: inputs are NULL", fn);
    }
    char **sources[] = {&in->communities, &in->streets, &in->households, &in->barriers};
    char **fields[] = {&in->id_field, &in->class_field, &in->count_field, NULL};
    char **source = sources[slot], **field = fields[slot];
    char *path = NULL;
    gp_status st = gp_memlayer_write(ctx, m, &path);
    if (st == GP_OK) {
        st = gp_text_replace(ctx, source, path, "a memory layer's path");
    }
    if (st == GP_OK && field != NULL) {
        st = gp_text_replace(ctx, field, m->kind != GP_MEMFIELD_NONE && m->values ? m->field : NULL,
                             "a memory layer's field");
    }
    if (st != GP_OK) {
        gp_memlayer_remove(path);
        gp_free(path);
        return st;
    }
    gp_memlayer_remove(in->mem_file[slot]);
    gp_free(in->mem_file[slot]);
    in->mem_file[slot] = path;
    return GP_OK;
}

gp_status gp_inputs_set_communities_wkb(gp_context *ctx, gp_inputs *in, int64_t n,
                                        const uint8_t *const *wkb, const size_t *wkb_size,
                                        const int64_t *fids, const char *const *ids,
                                        const char *crs)
{
    if (ids == NULL && n > 0) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_communities_wkb: the ids are required");
    }
    gp_memlayer m = {.role = "communities",
                     .n = n,
                     .wkb = wkb,
                     .wkb_size = wkb_size,
                     .fids = fids,
                     .field = "id",
                     .kind = GP_MEMFIELD_TEXT,
                     .values = ids,
                     .crs = crs};
    return set_memory(ctx, in, "gp_inputs_set_communities_wkb", MEM_COMMUNITIES, &m);
}

gp_status gp_inputs_set_streets_wkb(gp_context *ctx, gp_inputs *in, int64_t n,
                                    const uint8_t *const *wkb, const size_t *wkb_size,
                                    const int64_t *fids, const char *const *classes,
                                    const char *crs)
{
    gp_memlayer m = {.role = "streets",
                     .n = n,
                     .wkb = wkb,
                     .wkb_size = wkb_size,
                     .fids = fids,
                     .field = "class",
                     .kind = classes ? GP_MEMFIELD_TEXT : GP_MEMFIELD_NONE,
                     .values = classes,
                     .crs = crs};
    return set_memory(ctx, in, "gp_inputs_set_streets_wkb", MEM_STREETS, &m);
}

gp_status gp_inputs_set_households_wkb(gp_context *ctx, gp_inputs *in, int64_t n,
                                       const uint8_t *const *wkb, const size_t *wkb_size,
                                       const int64_t *fids, const int64_t *counts, const char *crs)
{
    gp_memlayer m = {.role = "households",
                     .n = n,
                     .wkb = wkb,
                     .wkb_size = wkb_size,
                     .fids = fids,
                     .field = "households",
                     .kind = counts ? GP_MEMFIELD_INT64 : GP_MEMFIELD_NONE,
                     .values = counts,
                     .crs = crs};
    return set_memory(ctx, in, "gp_inputs_set_households_wkb", MEM_HOUSEHOLDS, &m);
}

gp_status gp_inputs_set_households_wkb_fields(gp_context *ctx, gp_inputs *in, int64_t n,
                                              const uint8_t *const *wkb, const size_t *wkb_size,
                                              const int64_t *fids, const int64_t *counts,
                                              int32_t n_fields, const char *const *names,
                                              const double *const *values, const char *crs)
{
    gp_memlayer m = {.role = "households",
                     .n = n,
                     .wkb = wkb,
                     .wkb_size = wkb_size,
                     .fids = fids,
                     .field = "households",
                     .kind = counts ? GP_MEMFIELD_INT64 : GP_MEMFIELD_NONE,
                     .values = counts,
                     .crs = crs,
                     .n_reals = n_fields,
                     .real_names = names,
                     .real_values = values};
    return set_memory(ctx, in, "gp_inputs_set_households_wkb_fields", MEM_HOUSEHOLDS, &m);
}

gp_status gp_inputs_set_barriers_wkb(gp_context *ctx, gp_inputs *in, int64_t n,
                                     const uint8_t *const *wkb, const size_t *wkb_size,
                                     const int64_t *fids, const char *crs)
{
    gp_memlayer m = {.role = "barriers",
                     .n = n,
                     .wkb = wkb,
                     .wkb_size = wkb_size,
                     .fids = fids,
                     .kind = GP_MEMFIELD_NONE,
                     .crs = crs};
    return set_memory(ctx, in, "gp_inputs_set_barriers_wkb", MEM_BARRIERS, &m);
}

gp_status gp_inputs_set_barriers(gp_context *ctx, gp_inputs *in, const char *source)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_barriers: inputs are NULL");
    }
    return set(ctx, &in->barriers, source, "the barriers source", 0);
}

gp_status gp_inputs_set_previous(gp_context *ctx, gp_inputs *in, const char *source,
                                 const char *code_field, const char *community_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_previous: inputs are NULL");
    }
    gp_status st = set(ctx, &in->previous, source, "the previous grids source", 0);
    if (st == GP_OK) {
        st = set(ctx, &in->previous_code_field, code_field, "the previous code field", 0);
    }
    return st ? st
              : set(ctx, &in->previous_community_field, community_field,
                    "the previous community field", 0);
}

gp_status gp_inputs_set_workers(gp_context *ctx, gp_inputs *in, const char *source,
                                const char *id_field, const char *community_field,
                                const char *grid_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_workers: inputs are NULL");
    }
    gp_status st = set(ctx, &in->workers, source, "the workers source", 0);
    if (st == GP_OK) {
        st = set(ctx, &in->worker_id_field, id_field, "the worker id field", 0);
    }
    if (st == GP_OK) {
        st =
            set(ctx, &in->worker_community_field, community_field, "the worker community field", 0);
    }
    return st ? st : set(ctx, &in->worker_grid_field, grid_field, "the worker grid field", 0);
}

gp_status gp_inputs_set_residents_field(gp_context *ctx, gp_inputs *in, const char *field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_residents_field: inputs are NULL");
    }
    return set(ctx, &in->residents_field, field, "the residents field", 0);
}

/* Room for one more weight or extra load (the arrays grow one entry at a time: few inputs). */
static gp_status grow_list(gp_context *ctx, char ***a, char ***b, double **w, int32_t n)
{
    char **na = gp_reallocarray(*a, (size_t)n + 1, sizeof *na);
    if (na != NULL) {
        *a = na;
    }
    char **nb = b ? gp_reallocarray(*b, (size_t)n + 1, sizeof *nb) : NULL;
    if (nb != NULL) {
        *b = nb;
    }
    double *nw = w ? gp_reallocarray(*w, (size_t)n + 1, sizeof *nw) : NULL;
    if (nw != NULL) {
        *w = nw;
    }
    if (na == NULL || (b != NULL && nb == NULL) || (w != NULL && nw == NULL)) {
        return gp_error_nomem(ctx, "the workload inputs");
    }
    return GP_OK;
}

gp_status gp_inputs_add_weight(gp_context *ctx, gp_inputs *in, const char *field, double weight)
{
    if (in == NULL || field == NULL || field[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_add_weight: %s",
                        in == NULL ? "inputs are NULL" : "the weight's field name is empty");
    }
    if (!isfinite(weight) || weight < 0) {
        return gp_error(ctx, GP_ERR_ARG,
                        "weight of field '%s': %g is not a finite number >= 0 (a household's "
                        "workload is 1 plus weight times the field)",
                        field, weight);
    }
    for (int32_t i = 0; i < in->n_weights; i++) {
        if (strcmp(in->weight_field[i], field) == 0) {
            return gp_error(ctx, GP_ERR_ARG, "weight of field '%s' given twice (%g and %g)", field,
                            in->weight[i], weight);
        }
    }
    gp_status st = grow_list(ctx, &in->weight_field, NULL, &in->weight, in->n_weights);
    if (st != GP_OK) {
        return st;
    }
    if ((in->weight_field[in->n_weights] = gp_strdup(field)) == NULL) {
        return gp_error_nomem(ctx, "a weight's field name");
    }
    in->weight[in->n_weights++] = weight;
    return GP_OK;
}

gp_status gp_inputs_add_extra_load(gp_context *ctx, gp_inputs *in, const char *source,
                                   const char *field)
{
    if (in == NULL || source == NULL || source[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_add_extra_load: %s",
                        in == NULL ? "inputs are NULL" : "the extra-load source is empty");
    }
    gp_status st = grow_list(ctx, &in->load_source, &in->load_field, NULL, in->n_loads);
    if (st != GP_OK) {
        return st;
    }
    char *src = gp_strdup(source);
    char *fld = field && *field ? gp_strdup(field) : NULL;
    if (src == NULL || (field && *field && fld == NULL)) {
        gp_free(src);
        gp_free(fld);
        return gp_error_nomem(ctx, "an extra-load source");
    }
    in->load_source[in->n_loads] = src;
    in->load_field[in->n_loads++] = fld;
    return GP_OK;
}

/* The workload inputs of `in` into c, sources masked for a report. */
static gp_status copy_workload(const gp_inputs *in, gp_inputs *c)
{
    for (int32_t i = 0; i < in->n_weights; i++) {
        if (gp_inputs_add_weight(NULL, c, in->weight_field[i], in->weight[i]) != GP_OK) {
            return GP_ERR_NOMEM;
        }
    }
    for (int32_t i = 0; i < in->n_loads; i++) {
        char *label = gp_layer_source_label(in->load_source[i]);
        gp_status st =
            label ? gp_inputs_add_extra_load(NULL, c, label, in->load_field[i]) : GP_ERR_NOMEM;
        gp_free(label);
        if (st != GP_OK) {
            return st;
        }
    }
    return GP_OK;
}

gp_inputs *gp_inputs_copy_masked(const gp_inputs *in)
{
    gp_inputs *c = gp_calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    const char *const from[] = {in->communities,
                                in->id_field,
                                in->streets,
                                in->class_field,
                                in->households,
                                in->count_field,
                                in->barriers,
                                in->grids,
                                in->previous,
                                in->previous_code_field,
                                in->previous_community_field,
                                in->workers,
                                in->worker_id_field,
                                in->worker_community_field,
                                in->worker_grid_field,
                                in->residents_field};
    char **to[] = {&c->communities,
                   &c->id_field,
                   &c->streets,
                   &c->class_field,
                   &c->households,
                   &c->count_field,
                   &c->barriers,
                   &c->grids,
                   &c->previous,
                   &c->previous_code_field,
                   &c->previous_community_field,
                   &c->workers,
                   &c->worker_id_field,
                   &c->worker_community_field,
                   &c->worker_grid_field,
                   &c->residents_field};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        if (from[i] != NULL && (*to[i] = gp_layer_source_label(from[i])) == NULL) {
            gp_inputs_free(c);
            return NULL;
        }
    }
    if ((in->grids_code_field && !(c->grids_code_field = gp_strdup(in->grids_code_field))) ||
        (in->grids_community_field &&
         !(c->grids_community_field = gp_strdup(in->grids_community_field))) ||
        copy_workload(in, c) != GP_OK) {
        gp_inputs_free(c);
        return NULL;
    }
    /* How layers were opened, for the report (open options hold no passwords of ours). */
    c->layer_settings.open_options = CSLDuplicate(in->layer_settings.open_options);
    if ((in->layer_settings.open_options != NULL && c->layer_settings.open_options == NULL) ||
        (in->layer_settings.assume_crs != NULL &&
         (c->layer_settings.assume_crs = gp_strdup(in->layer_settings.assume_crs)) == NULL)) {
        gp_inputs_free(c);
        return NULL;
    }
    return c;
}

gp_status gp_inputs_set_grids(gp_context *ctx, gp_inputs *in, const char *source,
                              const char *code_field, const char *community_field)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_grids: inputs are NULL");
    }
    gp_status st = set(ctx, &in->grids, source, "the grids source", 1);
    if (st == GP_OK) {
        st = set(ctx, &in->grids_code_field, code_field, "the grid code field", 0);
    }
    return st ? st
              : set(ctx, &in->grids_community_field, community_field, "the grids' community field",
                    0);
}

gp_dataset_inputs gp_inputs_dataset(const gp_inputs *in, const gp_options *opts)
{
    return (gp_dataset_inputs){
        .communities = in->communities,
        .id_field = in->id_field,
        .streets = in->streets,
        .class_field = in->class_field,
        .households = in->households,
        .count_field = in->count_field,
        .barriers = in->barriers,
        .work_crs = opts->work_crs[0] ? opts->work_crs : NULL,
        .opts = opts,
        .n_weights = in->n_weights,
        .weight_field = (const char *const *)in->weight_field,
        .weight = in->weight,
        .n_loads = in->n_loads,
        .load_source = (const char *const *)in->load_source,
        .load_field = (const char *const *)in->load_field,
        .layers = &in->layer_settings,
        .only = (const char *const *)in->only,
        .n_only = in->n_only,
        .bbox = in->has_bbox ? in->bbox : NULL,
    };
}

/* ---- a part of the input (since 0.3, geometry/select.h) ----------------------------------- */

gp_status gp_inputs_set_only(gp_context *ctx, gp_inputs *in, const char *const *ids, size_t n)
{
    if (in == NULL || (ids == NULL && n > 0)) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_only: %s",
                        in == NULL ? "inputs are NULL" : "ids are NULL");
    }
    char **copy = gp_calloc(n + 1, sizeof *copy);
    if (copy == NULL) {
        return gp_error_nomem(ctx, "the selected community ids");
    }
    gp_status st = GP_OK;
    for (size_t i = 0; i < n && st == GP_OK; i++) {
        if (ids[i] == NULL || ids[i][0] == '\0') {
            st = gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_only: id %zu of %zu is %s", i + 1, n,
                          ids[i] == NULL ? "NULL" : "empty");
        } else if ((copy[i] = gp_strdup(ids[i])) == NULL) {
            st = gp_error_nomem(ctx, "the selected community ids");
        }
    }
    if (st != GP_OK) {
        for (size_t i = 0; i < n; i++) {
            gp_free(copy[i]);
        }
        gp_free(copy);
        return st;
    }
    free_only(in);
    in->only = copy;
    in->n_only = n;
    return GP_OK;
}

gp_status gp_inputs_set_bbox(gp_context *ctx, gp_inputs *in, double minx, double miny, double maxx,
                             double maxy)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_bbox: inputs are NULL");
    }
    if (isnan(minx) && isnan(miny) && isnan(maxx) && isnan(maxy)) {
        in->has_bbox = 0;
        return GP_OK;
    }
    if (!isfinite(minx) || !isfinite(miny) || !isfinite(maxx) || !isfinite(maxy) ||
        !(minx < maxx) || !(miny < maxy)) {
        return gp_error(ctx, GP_ERR_ARG,
                        "box %g,%g,%g,%g: expected finite minx,miny,maxx,maxy with minx < maxx "
                        "and miny < maxy",
                        minx, miny, maxx, maxy);
    }
    in->bbox[0] = minx;
    in->bbox[1] = miny;
    in->bbox[2] = maxx;
    in->bbox[3] = maxy;
    in->has_bbox = 1;
    return GP_OK;
}

/* ---- how layers are opened: GDAL open options, an assumed CRS (since 0.3) ----------------- */

/* Whether some GDAL vector driver lists the key of `option` among its open options. */
static int known_open_option(const char *option)
{
    gp_gdal_register_once();
    for (int i = 0; i < GDALGetDriverCount(); i++) {
        GDALDriverH d = GDALGetDriver(i);
        if (GDALGetMetadataItem(d, GDAL_DCAP_VECTOR, NULL) != NULL &&
            gp_gdal_option_listed(GDALGetMetadataItem(d, GDAL_DMD_OPENOPTIONLIST, NULL), option) ==
                1) {
            return 1;
        }
    }
    return 0;
}

gp_status gp_inputs_add_open_option(gp_context *ctx, gp_inputs *in, const char *option)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_add_open_option: inputs are NULL");
    }
    const char *eq = option != NULL ? strchr(option, '=') : NULL;
    if (eq == NULL || eq == option) {
        return gp_error(ctx, GP_ERR_ARG, "open option '%s': expected KEY=VALUE",
                        option ? option : "(null)");
    }
    if (!known_open_option(option)) {
        return gp_error(ctx, GP_ERR_ARG,
                        "open option '%s': no GDAL vector driver has an open option '%.*s' "
                        "(see ogrinfo --format DRIVER)",
                        option, (int)(eq - option), option);
    }
    char **grown = CSLAddString(in->layer_settings.open_options, option);
    if (grown == NULL) {
        return gp_error_nomem(ctx, "an open option");
    }
    in->layer_settings.open_options = grown;
    return GP_OK;
}

gp_status gp_inputs_set_assume_crs(gp_context *ctx, gp_inputs *in, const char *crs)
{
    if (in == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_inputs_set_assume_crs: inputs are NULL");
    }
    if (crs != NULL && *crs != '\0') {
        gp_gdal_register_once();
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        if (srs == NULL) {
            return gp_error_nomem(ctx, "a CRS");
        }
        gp_gdal_push_errors(ctx);
        OGRErr err = OSRSetFromUserInput(srs, crs);
        gp_gdal_pop_errors(ctx);
        OSRDestroySpatialReference(srs);
        if (err != OGRERR_NONE) {
            return gp_error(ctx, GP_ERR_CRS,
                            "the CRS assumed for inputs without one, '%s', is not one GDAL knows "
                            "(e.g. EPSG:4326, EPSG:4490, a WKT or PROJ string)",
                            crs);
        }
    }
    return gp_text_replace(ctx, &in->layer_settings.assume_crs, crs, "the assumed CRS");
}
