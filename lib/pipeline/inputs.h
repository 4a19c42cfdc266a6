/* SPDX-License-Identifier: MIT */
/** @file inputs.h Internal view of gp_inputs: the layer sources and field names of a run. */

#ifndef GP_PIPELINE_INPUTS_H
#define GP_PIPELINE_INPUTS_H

#include "gridpart.h"

#include "geometry/dataset.h"
#include "io/layer.h"

struct gp_inputs {
    char *communities, *id_field;
    char *streets, *class_field;
    char *households, *count_field;
    char *barriers;
    /* gp_check: the grids layer audited and its fields (gp_inputs_set_grids). */
    char *grids, *grids_code_field, *grids_community_field;
    /* adjust: the previous division and its fields (gp_inputs_set_previous). */
    char *previous, *previous_code_field, *previous_community_field;
    /* The roster of workers (since 0.3) and the residents field of the households layer. */
    char *workers, *worker_id_field, *worker_community_field, *worker_grid_field;
    char *residents_field;
    /* Workload (0.3): weights on numeric fields of the households layer, and layers of other
     * features adding load (gp_inputs_add_weight, gp_inputs_add_extra_load). */
    int32_t n_weights;
    char **weight_field;
    double *weight;
    int32_t n_loads;
    char **load_source;
    char **load_field; /* NULL entry: each feature adds 1 */
    /* Layers given as arrays (since 0.3, gp_inputs_set_*_wkb): the memory GeoPackages written
     * for communities, streets, households and barriers (io/memlayer.h), removed on free. */
    char *mem_file[4];
    /* GDAL open options for every layer and the CRS assumed for a layer without one
     * (gp_inputs_add_open_option, gp_inputs_set_assume_crs; since 0.3). */
    gp_layer_settings layer_settings;
    /* A part of the input (gp_inputs_set_only, gp_inputs_set_bbox; geometry/select.h). */
    char **only;
    size_t n_only;
    int32_t has_bbox;
    double bbox[4];
};

/**
 * Replace the string *slot with a copy of value (gp_strdup); NULL or "" leaves it NULL. The
 * setters of gp_inputs and gp_outputs share it.
 * @return GP_OK; GP_ERR_NOMEM naming `what` (*slot unchanged).
 */
gp_status gp_text_replace(gp_context *ctx, char **slot, const char *value, const char *what);

/** A copy of inputs for a report: sources with any password masked. NULL when out of memory. */
gp_inputs *gp_inputs_copy_masked(const gp_inputs *in);

/** What the dataset reader reads for these inputs and options (views: nothing is copied). */
gp_dataset_inputs gp_inputs_dataset(const gp_inputs *in, const gp_options *opts);

#endif /* GP_PIPELINE_INPUTS_H */
