/* SPDX-License-Identifier: MIT */
/** @file dataset.h Read and project all input layers into one in-memory dataset (read+project). */

#ifndef GP_GEOMETRY_DATASET_H
#define GP_GEOMETRY_DATASET_H

#include "gridpart.h"

/*
 * The dataset is built once (one thread) and is then read-only: it stores geometries as WKB in
 * the working CRS, so that per-community work on several threads parses them with its own
 * context's GEOS handle (GEOS geometries never cross threads). Everything is owned by the
 * dataset and freed by gp_dataset_free.
 */

/** Class index of a border with no street on it (see gp_dataset.cost_none). */
#define GP_CLASS_NONE (-1)

/**
 * Widest and tallest extent of a community, m, beyond which gp_dataset_read reports it as a
 * likely coordinate error (GP_ERR_INPUT) before any work. The largest real ones are rural:
 * pastoral villages (嘎查) of Inner Mongolia and the Tibetan plateau reach about 100 km across,
 * and even the largest townships (乡镇) about 200 km; a city community is a few km. A mistyped
 * degree moves a vertex by about 111 km per degree of latitude (85 km of longitude at 40 N): a
 * wrong tens digit, a swapped longitude and latitude or a lost minus sign make hundreds to
 * thousands of km, which is when the per-community work (blocks, sliver tests, optimizer)
 * would be spent on thousands of km of geometry. A wrong units digit (1 to 3 degrees) may pass
 * here; it no longer makes a run slow, since the sliver test's work does not grow with the
 * extent (width.c).
 */
#define GP_COMMUNITY_MAX_EXTENT 300000.0

/** A geometry as little-endian WKB in the working CRS. */
typedef struct gp_wkb {
    unsigned char *data;
    size_t size;
} gp_wkb;

/**
 * Two communities whose interiors overlap (overlaps.c). The overlap belongs to `first`, the one
 * whose id comes first (strcmp): `second` is stored without it.
 */
typedef struct gp_overlap {
    int32_t first;  /**< community index of the one keeping the overlap. */
    int32_t second; /**< community index of the one losing it. */
    double area;    /**< area of the overlap, m^2. */
    int32_t sliver; /**< 1: a digitising sliver (tolerated), 0: a real overlap (an error, or
                         resolved with GP_OVERLAPS_FIRST). */
} gp_overlap;

/** What to read. Strings are borrowed during gp_dataset_read only. */
typedef struct gp_dataset_inputs {
    const char *communities; /**< PATH[:LAYER], required: polygons. */
    const char *id_field;    /**< community id field, required. */
    const char *streets;     /**< PATH[:LAYER], required: lines. */
    const char *class_field; /**< street class field, or NULL (every street: unknown class). */
    const char *households;  /**< PATH[:LAYER], required: points or polygons. */
    const char *count_field; /**< household count field, or NULL (one household per feature). */
    const char *barriers;    /**< PATH[:LAYER] of rivers, railways..., or NULL. */
    const char *work_crs;    /**< working CRS (e.g. "EPSG:32650"), or NULL to choose. */
    int32_t skip_bad_counts; /**< 0: a bad count is an error; 1: skip the feature, report it. */
    int32_t n_costs;         /**< entries in cost_class/cost_value; 0: the default table. */
    const char *const *cost_class; /**< street class names. */
    const double *cost_value;      /**< cut cost per class name (> 0). */
    double cost_unknown;           /**< cost of an unknown class or no street; <= 0: 3.0. */
    const gp_options *opts;        /**< snapping tolerance and sliver area (what an overlap of
                                        communities may be to count as a sliver); NULL: defaults. */
    /* Workload (0.3, loads.c): weighted numeric fields of the households layer... */
    int32_t n_weights;
    const char *const *weight_field;
    const double *weight;
    /* ...and layers of features adding load: PATH[:LAYER] and field (NULL entry: 1 each). */
    int32_t n_loads;
    const char *const *load_source;
    const char *const *load_field;
    /* How every layer is opened: open options, assumed CRS (io/layer.h); NULL: plainly. */
    const struct gp_layer_settings *layers;
    /* A part of the input (select.h): the community ids to divide (n_only 0: all) and a box
     * in the communities' CRS, minx, miny, maxx, maxy (NULL: none). */
    const char *const *only;
    size_t n_only;
    const double *bbox;
} gp_dataset_inputs;

/** The input layers, in the order of gp_dataset.notes. */
enum { GP_ROLE_COMMUNITIES, GP_ROLE_STREETS, GP_ROLE_HOUSEHOLDS, GP_ROLE_BARRIERS, GP_ROLE_COUNT };

/** At most this many feature ids are kept per list (the counts go on). */
#define GP_FID_KEEP 10000

/** Features of one input layer that were repaired or skipped, summarised for the report. */
typedef struct gp_layer_notes {
    char *label;            /**< "path:layer", NULL when the layer was not read. */
    int64_t n_repaired;     /**< invalid polygons repaired (GEOSMakeValid)... */
    int64_t *repaired_fid;  /**< ...the first GP_FID_KEEP of their ids... */
    char repaired_why[160]; /**< ...and the reason the first one was invalid. */
    int64_t n_skipped;      /**< features skipped as unusable (not a line in the streets)... */
    int64_t *skipped_fid;
    char skipped_why[256]; /**< ...the first one's message. */
} gp_layer_notes;

/** Everything read, in the working CRS. Arrays are indexed as documented; all owned. */
typedef struct gp_dataset {
    /* Communities, in layer order. */
    int32_t n_communities;
    char **community_id;    /**< id strings (the id field as text). */
    int64_t *community_fid; /**< OGR feature ids. */
    gp_wkb *community_wkb;  /**< valid Polygon/MultiPolygon. */
    /* Streets (and barriers) in canonical order (canonical.h: by geometry, then class; never
     * by layer order); multi-lines stay one feature. */
    int32_t n_streets;
    gp_wkb *street_wkb;
    int64_t *street_fid;
    int32_t *street_class; /**< index into class_name, or GP_CLASS_NONE when the field is null. */
    int32_t n_barriers;
    gp_wkb *barrier_wkb;
    int64_t *barrier_fid;
    /* Street classes met in the data (in the order of their names) and their cut costs. */
    int32_t n_classes;
    char **class_name;
    double *class_cost;
    double cost_none; /**< cost of a border with no (or an unknown) street. */
    /** The dearest cost a street can have: the greatest of the cost table and cost_none, read
     *  from the costs alone, so that a part of the input (which reads only the streets near it)
     *  prices a cut through a block as a whole run does. */
    double cost_dearest;
    /* Candidates per community (envelope test): streets street_list[street_start[c] ..
     * street_start[c+1]-1], same for barriers. */
    int32_t *street_start, *street_list;
    int32_t *barrier_start, *barrier_list;
    /* Households: one entry per usable feature, with its representative point, in canonical
     * order (by point, then count). */
    int64_t n_households;
    int64_t *hh_fid;
    int64_t *hh_count;
    double *hh_x, *hh_y;   /**< representative point (GEOSPointOnSurface) in the working CRS. */
    int32_t *hh_community; /**< community index, or -1 when outside every community (on a
                                shared border: the community with the lowest id). */
    int32_t *hh_start;     /**< CSR per community into hh_list (household indices, ascending). */
    int64_t *hh_list;
    /* Workload (loads.c). `weighted`: weights or extra loads were given, so vertices carry a
     * workload of their own; otherwise the workload is the households. */
    int32_t weighted;
    double *hh_workload; /**< per household feature: count + sum of weight x field. */
    int32_t n_load_layers;
    char **load_label;     /**< per extra-load layer: "path:layer" for messages. */
    int64_t n_loads;       /**< extra-load features, in canonical order (point, then value). */
    int64_t *load_fid;
    int32_t *load_layer;   /**< index into load_label. */
    double *load_value;    /**< its load (the field's value, or 1). */
    double *load_x, *load_y; /**< representative point in the working CRS. */
    int32_t *load_community; /**< community index, or -1 outside every one. */
    int32_t *load_start;     /**< CSR per community into load_list (ascending). */
    int64_t *load_list;
    double load_read;        /**< sum of all loads read. */
    double load_outside;     /**< sum of loads outside every community. */
    /* Reporting. */
    int64_t households_read;    /**< sum of counts over usable features. */
    int64_t households_outside; /**< sum of counts of features outside every community. */
    int64_t n_outside;          /**< features outside every community... */
    int64_t *outside_fid;       /**< ...and their FIDs. */
    int64_t n_skipped;          /**< household features skipped (bad count/geometry)... */
    int64_t *skipped_fid;       /**< ...and their FIDs, ascending. */
    int64_t n_repaired;         /**< features whose invalid geometry was repaired. */
    int64_t n_streets_unused;   /**< street/barrier features without usable line geometry. */
    gp_layer_notes notes[GP_ROLE_COUNT]; /**< per input layer: repaired and skipped features. */
    char *count_field_hint; /**< without a count field: a households field there is, or NULL. */
    int64_t n_duplicates;   /**< household features repeating another (same point and count)... */
    int64_t *duplicate_fid; /**< ...the first GP_FID_KEEP of their ids, ascending... */
    int64_t duplicate_of[2]; /**< ...and one example: feature [0] repeats feature [1]. */
    int64_t n_overlaps;     /**< pairs of communities overlapping (slivers included)... */
    gp_overlap *overlaps;   /**< ...by the id order of (second, first); community_wkb is
                                 stored without them. */
    /* CRSs as WKT: the communities' (output) CRS and the working CRS. Make a transform with
     * gp_transform_new(ctx, work_wkt, output_wkt, &ct) per thread to project results back. */
    char *output_wkt;
    char *work_wkt;
    /* Seconds spent reading features and projecting/validating them. */
    double seconds_read, seconds_project;
    /* Features read from each input layer (GP_ROLE_*), and whether only a part of the
     * communities was kept (select.h: gp_inputs_set_only, gp_inputs_set_bbox). */
    int64_t features_read[GP_ROLE_COUNT];
    int32_t partial;
    /* While reading a part: the rectangle read, in the working CRS (minx, miny, maxx, maxy),
     * which extra-load layers are filtered by too. */
    int32_t has_part_env;
    double part_env[4];
} gp_dataset;

/**
 * Read the layers, project them into the working CRS, validate (repair and report) geometries,
 * find overlapping communities (overlaps.c: a sliver goes to the community whose id comes
 * first, and so does a real overlap with GP_OVERLAPS_FIRST, else it is an error), place
 * households in communities.
 * @param[out] out the dataset, NULL on failure; free with gp_dataset_free.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_IO (file); GP_ERR_INPUT (layer, field, empty layer, bad
 *         feature: the message names file, layer, feature id and field; a community spanning
 *         more than GP_COMMUNITY_MAX_EXTENT: "likely coordinate error", with its id and extent
 *         in km; two communities overlapping by more than a sliver: both ids and feature ids
 *         and the area); GP_ERR_CRS; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_dataset_read(gp_context *ctx, const gp_dataset_inputs *in,
                                       gp_dataset **out);

/** Free a dataset; NULL is a no-op. */
void gp_dataset_free(gp_dataset *ds);

/** The cut cost of a class index (GP_CLASS_NONE: cost_none). */
double gp_dataset_class_cost(const gp_dataset *ds, int32_t cls);

#endif /* GP_GEOMETRY_DATASET_H */
