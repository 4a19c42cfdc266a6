/* SPDX-License-Identifier: MIT */
/**
 * @file previous.h `adjust`: a previous division read for a run, and one community's street
 * blocks, cells and households labelled with the previous grid they lay in.
 *
 * A geometry (block, cell, piece) belongs to the previous grid covering most of its area,
 * provided the community's previous grids cover at least half of it; else it has none (-1).
 * A household feature belongs to the previous grid holding its point; one in no previous grid
 * takes its block's. Labels are indexes 0 .. n-1 into the community's previous grids.
 */

#ifndef GP_PIPELINE_PREVIOUS_H
#define GP_PIPELINE_PREVIOUS_H

#include "gridpart.h"

#include "geometry/blocks.h"
#include "geometry/dataset.h"
#include "geometry/gridlayer.h"

/** A geometry split between previous grids: its second grid covers at least this share. */
#define GP_PREV_SPLIT_SHARE 0.05
/** A block the previous division cut: a second grid covers at least this share of it (or its
 * households lay in two grids): a digitising error is narrower. */
#define GP_PREV_CUT_SHARE 0.1
/** A block matched to its previous grid: that grid covers at least this share of it. */
#define GP_PREV_MATCH_SHARE 0.9

/** The previous division of a run: the layer, and what its own fields recorded. */
typedef struct gp_previous {
    gp_grid_layer *layer;
    int64_t *recorded_households; /**< per layer grid: its `households` field, -1: none. */
    int32_t *recorded_blocks;     /**< per layer grid: its `blocks` field, -1: none. */
} gp_previous;

/**
 * Read the previous division into the dataset's working CRS (gp_grid_layer_read), with the
 * `households` and `blocks` fields gridpart writes, when the layer has them.
 * @return as gp_grid_layer_read.
 */
GP_NODISCARD gp_status gp_previous_read(gp_context *ctx, const gp_dataset *ds,
                                        const gp_grid_layer_source *src, gp_previous **out);

/** Free a previous division; NULL is a no-op. */
void gp_previous_free(gp_previous *prev);

/** One community's previous grids and labels, on one context's GEOS handle. */
typedef struct gp_prev_community {
    const gp_previous *prev;
    const gp_dataset *ds;
    int32_t c;          /**< community index. */
    int32_t n;          /**< its previous grids... */
    int32_t first;      /**< ...layer->code[first .. first + n - 1]. */
    GEOSContextHandle_t h;
    GEOSGeometry **geom; /**< n previous grids. */
    const GEOSPreparedGeometry **prep;
    double *area;        /**< n: area of each, m^2. */
    double *area_inside; /**< n: area of each inside the community, m^2. */
    /* Per street block of the community. */
    int32_t n_blocks;
    int32_t *block_label;  /**< previous grid, or -1. */
    double *block_share;   /**< share of the block's area in that grid. */
    uint8_t *block_split;  /**< a second grid covers GP_PREV_SPLIT_SHARE of its area. */
    double *block_second;  /**< share of the block's area in the second grid covering it. */
    uint8_t *block_hh_split; /**< its households lay in two grids or more. */
    /* Per household feature of the community: ds->hh_list[ds->hh_start[c] + k]. */
    int64_t n_hh;
    const int64_t *hh_index;
    int32_t *hh_label; /**< previous grid of the feature, or -1. */
    /* How the previous grids fit the blocks. */
    double block_area;    /**< the blocks' area, m^2. */
    double matched_area;  /**< area of blocks inside their own previous grid, m^2. */
    int32_t n_split;      /**< blocks split between two previous grids. */
    int32_t n_unlabelled; /**< blocks in no previous grid. */
} gp_prev_community;

/**
 * Label the blocks and households of community blocks->community from its previous grids.
 * @param[out] out the labels; free with gp_prev_community_free (before the blocks' context).
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY (names the community and grid code).
 */
GP_NODISCARD gp_status gp_prev_community_new(gp_context *ctx, const gp_dataset *ds,
                                             const gp_previous *prev, const gp_blocks *blocks,
                                             gp_prev_community **out);

/** Free community labels; NULL is a no-op. */
void gp_prev_community_free(gp_prev_community *pc);

/**
 * Label geometries by area: label[i] is the previous grid covering most of geom[i], -1 when
 * the previous grids cover less than half of it; share[i] (optional) that grid's share;
 * second_share[i] (optional) the share of the grid covering the next most of it.
 * @return GP_OK; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_prev_label_geoms(gp_context *ctx, const gp_prev_community *pc,
                                           GEOSGeometry *const *geom, int32_t n, int32_t *label,
                                           double *share, double *second_share);

/** The previous grid of dataset household feature `hh` of the community, or -1. */
int32_t gp_prev_hh_label(const gp_prev_community *pc, int64_t hh);

/**
 * The previous grid holding most of the households of a list of features (weighted by count),
 * or -1 when they hold none with a label.
 */
int32_t gp_prev_majority(const gp_prev_community *pc, const int64_t *hh, int32_t n);

/** The code of previous grid p of the community. */
const char *gp_prev_code(const gp_prev_community *pc, int32_t p);

#endif /* GP_PIPELINE_PREVIOUS_H */
