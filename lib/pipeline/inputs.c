/* SPDX-License-Identifier: MIT */
/** @file inputs.c gp_inputs: which layers and fields a run reads. */

#include "inputs.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/layer.h"

gp_status gp_inputs_new(gp_inputs **out)
{
    if (out == NULL) {
        return GP_ERR_ARG;
    }
    *out = gp_calloc(1, sizeof **out);
    return *out ? GP_OK : GP_ERR_NOMEM;
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
        st = set(ctx, &in->worker_community_field, community_field, "the worker community field",
                 0);
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

gp_inputs *gp_inputs_copy_masked(const gp_inputs *in)
{
    gp_inputs *c = gp_calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    const char *const from[] = {in->communities,     in->id_field,
                                in->streets,         in->class_field,
                                in->households,      in->count_field,
                                in->barriers,        in->grids,
                                in->previous,        in->previous_code_field,
                                in->previous_community_field,
                                in->workers,         in->worker_id_field,
                                in->worker_community_field,
                                in->worker_grid_field, in->residents_field};
    char **to[] = {&c->communities,     &c->id_field,
                   &c->streets,         &c->class_field,
                   &c->households,      &c->count_field,
                   &c->barriers,        &c->grids,
                   &c->previous,        &c->previous_code_field,
                   &c->previous_community_field,
                   &c->workers,         &c->worker_id_field,
                   &c->worker_community_field,
                   &c->worker_grid_field, &c->residents_field};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        if (from[i] != NULL && (*to[i] = gp_layer_source_label(from[i])) == NULL) {
            gp_inputs_free(c);
            return NULL;
        }
    }
    if ((in->grids_code_field && !(c->grids_code_field = gp_strdup(in->grids_code_field))) ||
        (in->grids_community_field &&
         !(c->grids_community_field = gp_strdup(in->grids_community_field)))) {
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
    return st ? st : set(ctx, &in->grids_community_field, community_field,
                         "the grids' community field", 0);
}
