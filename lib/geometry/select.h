/* SPDX-License-Identifier: MIT */
/**
 * @file select.h A part of the input (gp_inputs_set_only, gp_inputs_set_bbox): which
 * communities a run divides, and the filters that make GDAL read only them and the streets,
 * households and neighbouring communities around them.
 */

#ifndef GP_GEOMETRY_SELECT_H
#define GP_GEOMETRY_SELECT_H

#include "dataset.h"
#include "io/layer.h"

/*
 * A part is read in two passes over the communities layer. The first reads the selected
 * communities alone (an attribute filter on the id field, and the box as a spatial filter) for
 * their ids and envelopes. The second reads every community within GP_SELECT_MARGIN of one of
 * them: the neighbours decide, as in a whole run, which community a household on a shared
 * border belongs to and which of two overlapping communities keeps the overlap. Streets,
 * households and barriers are read alike, in each layer's own CRS: GDAL gets the rectangle
 * around all the selected communities as a spatial filter, and a feature it returns is kept
 * only when its envelope meets the box of one of them (gp_select_boxes_meet): communities
 * selected far apart (a chunk of a Hilbert order can bend) then read only what lies near each.
 * Where it drops nothing (a box of the whole map) the test costs 3-7% of the reading.
 * Once everything is placed, gp_select_keep drops the neighbours and what only they hold.
 */

/** Margin around the selected communities' envelope, in metres of the working CRS. */
#define GP_SELECT_MARGIN 100.0

/** At most this many ids in one `IN (...)` list of an attribute filter (lists are OR-joined). */
#define GP_SELECT_BATCH 200

/** The boxes a layer's features must meet to be read in a part run: each selected community's
 * envelope widened by GP_SELECT_MARGIN in the working CRS, taken into the layer's CRS. */
typedef struct gp_select_boxes {
    double (*box)[4]; /* minx, miny, maxx, maxy; NULL: no test (every feature is kept) */
    int32_t n;
    struct gp_boxgrid *grid; /* over box */
} gp_select_boxes;

/** The selected communities. */
typedef struct gp_selection {
    char **ids; /* selected ids, sorted by strcmp, owned */
    size_t n;
    OGREnvelope env;   /* their envelope in the communities' CRS */
    OGREnvelope *each; /* each one's envelope in the communities' CRS (n; in reading order) */
    int64_t n_read;    /* features the first pass read */
    gp_select_boxes keep[GP_ROLE_COUNT]; /* per input layer (GP_ROLE_*), by
                                            gp_select_filter_layers */
} gp_selection;

/**
 * The first pass: find the communities `in` selects in the communities layer `l` (whose id
 * field is `field`). The layer's filters are left cleared.
 * @return GP_OK; GP_ERR_INPUT (an id of in->only that no community has, named; no community
 *         centred in the box; GDAL refusing the filter); GP_ERR_NOMEM; GP_ERR_CANCELED.
 */
GP_NODISCARD gp_status gp_select_find(gp_context *ctx, const gp_layer *l, int field,
                                      const gp_dataset_inputs *in, gp_selection *out);

/**
 * Give each layer[i] (NULL: skipped; at most GP_ROLE_COUNT) a spatial filter: the selection's
 * envelope, taken into the working CRS `work`, widened by GP_SELECT_MARGIN and taken into
 * srs[i] (the layer's CRS); and sel->keep[i], each selected community's envelope taken and
 * widened alike. `comm_srs` is the CRS of the envelopes. work_env receives the rectangle in the
 * working CRS (minx, miny, maxx, maxy), for gp_select_filter_layer.
 * @return GP_OK; GP_ERR_CRS (a rectangle that cannot be transformed); GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_select_filter_layers(gp_context *ctx, gp_selection *sel,
                                               OGRSpatialReferenceH comm_srs,
                                               OGRSpatialReferenceH work, gp_layer *const *layer,
                                               const OGRSpatialReferenceH *srs, int n_layers,
                                               double work_env[4]);

/**
 * Give layer `l` the spatial filter work_env (a rectangle in the working CRS `work`) in its own
 * CRS; a layer without a CRS is left unfiltered.
 * @return GP_OK; GP_ERR_CRS; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_select_filter_layer(gp_context *ctx, const double work_env[4],
                                              OGRSpatialReferenceH work, gp_layer *l);

/** 1 when the envelope `e` (in the layer's CRS) meets one of the boxes, or there are none. */
int gp_select_boxes_meet(const gp_select_boxes *b, const OGREnvelope *e);

/** 1 when `id` is selected. */
int gp_select_has(const gp_selection *sel, const char *id);

/**
 * Keep only the selected communities in ds, and only the households and extra loads placed in
 * them (households outside every community are left to a whole run). Sets ds->partial.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_select_keep(gp_context *ctx, gp_dataset *ds, const gp_selection *sel);

/**
 * An OGR attribute filter "FIELD" IN (...) OR "FIELD" IN (...) matching the `n` ids (batches of
 * GP_SELECT_BATCH), numbers unquoted when `numeric`, else SQL string literals. An id that is no
 * number is left out of a numeric filter (it matches nothing). *out: gp_free.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_select_id_filter(gp_context *ctx, const char *field, int numeric,
                                           const char *const *ids, size_t n, char **out);

/**
 * For a layer of grids or workers read in a part run (ds->partial): an attribute filter on its
 * community field keeping the features of ds's communities. `field` is the field's index.
 * @return GP_OK (nothing done when !ds->partial); GP_ERR_ARG (a part run placing grids by
 *         area, with no community field: the neighbours that decide are not kept);
 *         GP_ERR_INPUT (GDAL refusing the filter); GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_select_filter_by_community(gp_context *ctx, const gp_dataset *ds,
                                                     const gp_layer *l, int field);

/** Free what sel holds and zero it. */
void gp_selection_clear(gp_selection *sel);

#endif /* GP_GEOMETRY_SELECT_H */
