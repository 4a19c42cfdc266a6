/* SPDX-License-Identifier: MIT */
/** @file loads.h Workload inputs: weighted household fields and extra-load features. */

#ifndef GP_GEOMETRY_LOADS_H
#define GP_GEOMETRY_LOADS_H

#include "gridpart.h"

#include "blocks.h"
#include "dataset.h"
#include "io/layer.h"

#include <ogr_srs_api.h>

/*
 * The workload of a grid is its households, plus weight x field summed over the weighted
 * fields of its household features, plus the load of the extra-load features inside it. The
 * dataset keeps each household feature's workload (hh_workload) and each extra-load feature's
 * point and value; blocks, cells and pieces sum them per vertex (`workload` beside
 * `households`), and the optimizer balances that sum.
 */

/**
 * Find the weight fields of in->weight_field in the households layer `l`, each numeric.
 * @param[out] widx n_weights field indices (gp_free; NULL when there are no weights).
 * @return GP_OK; GP_ERR_INPUT (a field missing or not numeric: names the layer and field and
 *         lists the numeric fields); GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_weights_fields(gp_context *ctx, const gp_layer *l,
                                         const gp_dataset_inputs *in, int **widx);

/**
 * The weighted part of household feature f's workload: sum of weight x field.
 * @return GP_OK; GP_ERR_INPUT (a value null, negative or not finite: names the layer, feature
 *         id and field).
 */
GP_NODISCARD gp_status gp_weights_value(gp_context *ctx, const gp_layer *l, OGRFeatureH f,
                                        const gp_dataset_inputs *in, const int *widx, double *out);

/**
 * Read the extra-load layers, project them into the working CRS `work`, put them in canonical
 * order and place each in the community covering its representative point (on a shared
 * border the one with the lowest id; outside every one: load_community -1, counted in
 * load_outside). Sets ds->weighted when any weight or extra load was given.
 * @return GP_OK; GP_ERR_IO; GP_ERR_INPUT (field missing or not numeric, a value null, negative
 *         or not finite, no geometry: names file, layer, feature and field); GP_ERR_CRS;
 *         GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_dataset_read_loads(gp_context *ctx, const gp_dataset_inputs *in,
                                             gp_dataset *ds, OGRSpatialReferenceH work,
                                             GEOSGeometry *const *comm);

/** Free the extra-load arrays of a dataset. */
void gp_dataset_free_loads(gp_dataset *ds);

/**
 * The workload per block: the workload of its household features (hh_list) plus the extra
 * loads whose point lies in it (the lowest block id on a shared border, the nearest block when
 * in none, as households), with the loads of each block as a CSR list (load_start/load_list).
 * Without weights or extra loads (ds->weighted 0) it leaves them NULL: the workload is the
 * households, and the optimizer is given none.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_blocks_place_loads(gp_context *ctx, const gp_dataset *ds, gp_blocks *b);

#endif /* GP_GEOMETRY_LOADS_H */
