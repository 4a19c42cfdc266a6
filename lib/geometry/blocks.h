/* SPDX-License-Identifier: MIT */
/** @file blocks.h Street blocks of one community, their households and their adjacency graph. */

#ifndef GP_GEOMETRY_BLOCKS_H
#define GP_GEOMETRY_BLOCKS_H

#include "gridpart.h"

#include "dataset.h"
#include "hits.h"

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

/*
 * One community's street blocks. Blocks are numbered 0..n-1; every array below is owned by the
 * struct and freed by gp_blocks_free. `geom` holds GEOS polygons in the working CRS created with
 * the GEOS handle of the context that computed them (`h`): use them only on that context's
 * thread, and free the blocks before that context.
 *
 * The graph is plain METIS CSR, ready for gp_graph_new / gp_graph_set_households /
 * gp_graph_set_edges: the neighbours of block v are adjncy[xadj[v] .. xadj[v+1]-1] (ascending,
 * symmetric, no self loops); border_length, edge_cost and edge_class are laid out like adjncy
 * and equal in both directions.
 */
typedef struct gp_blocks {
    int32_t community;     /**< index of the community in the dataset. */
    int32_t n;             /**< number of blocks. */
    GEOSContextHandle_t h; /**< the GEOS handle that owns geom (borrowed from the context). */
    GEOSGeometry **geom;   /**< n valid polygons (or multipolygons) tiling the community. */
    double *area;          /**< n areas, m^2. */
    double *perimeter;     /**< n perimeters, m. */
    int64_t *households;   /**< n household counts. */
    int32_t *hh_start;     /**< n + 1 offsets into hh_list. */
    int64_t *hh_list;      /**< dataset household indices (into ds->hh_*) per block. */
    double *workload;      /**< n workloads: households weighted plus extra loads (loads.h);
                                NULL without weights or extra loads (then the households). */
    int32_t *load_start;   /**< n + 1 offsets into load_list (NULL in pieces). */
    int64_t *load_list;    /**< dataset extra-load indices (into ds->load_*) per block. */
    int32_t *xadj;         /**< n + 1 offsets. */
    int32_t *adjncy;       /**< xadj[n] neighbours. */
    double *border_length; /**< shared border length per adjacency entry, m (> 0). */
    int32_t *edge_class;   /**< dominant street class on the border (ds class index or
                                GP_CLASS_NONE). */
    double *edge_cost;     /**< cut cost of that class (ds->class_cost / cost_none). */
    /* What happened, for reporting. */
    int32_t n_faces;              /**< faces polygonized before merging. */
    int32_t n_welded;             /**< face vertices welded into a near-coincident one. */
    int32_t n_slivers;            /**< merges of a sliver into a neighbour (islands included). */
    int32_t n_islands;            /**< uninhabited small islands among them. */
    int32_t n_leftovers;          /**< pieces of the community no face covered (normally 0). */
    int32_t n_border_edges;       /**< street edges dropped for lying along the border. */
    int32_t n_joins;              /**< short lines added to join a node to the border. */
    int32_t n_barrier_edges;      /**< adjacencies removed because a barrier runs along them. */
    int32_t n_isolated;           /**< blocks without any neighbour. */
    int64_t households_assigned;  /**< sum of households over the blocks. */
    int64_t n_households_nearest; /**< household features in no block, given to the nearest. */
    double community_area;        /**< area of the community, m^2. */
    double seconds_blocks;        /**< time spent building blocks (clip .. tiling check), s. */
    double seconds_graph;         /**< time spent building the CSR graph, s. */
    double seconds_households;    /**< time spent placing households, s. */
    double area_error;            /**< |sum of block areas - community area|, m^2. */
    double symdiff_area; /**< area of (union of blocks) xor community, m^2 (< 0: unchecked). */
} gp_blocks;

/**
 * Default island area, m^2: an uninhabited face enclosed by a single other face (a roundabout
 * centre, a traffic island, the middle of a cul-de-sac loop) merges into it below this area.
 * Roundabout centres and channelising islands are tens to a few hundred m^2; the smallest
 * enclosed blocks holding homes are larger, and an inhabited island never merges.
 */
#define GP_ISLAND_AREA 500.0

/**
 * Recommended sliver area, m^2, for gp_options_set_sliver_area. Real street blocks can be
 * small: Providence has census blocks (traffic triangles) of 12, 20 and 29 m^2, all wider than
 * the snapping tolerance. Noise slivers are told apart by width (see gp_blocks_params), so the
 * area floor only needs to remove specks. (The options' default is 50 m^2.)
 */
#define GP_SLIVER_AREA_RECOMMENDED 10.0

/** Extra knobs of gp_community_blocks (zeroed: defaults). */
typedef struct gp_blocks_params {
    int32_t verify_symdiff; /**< 1: also compute symdiff_area (a union of all blocks; slower). */
    double sliver_width;    /**< a face in which no circle of this diameter fits is a sliver;
                                 0: the snapping tolerance; < 0: no width rule. */
    double island_area;     /**< uninhabited islands below this merge; 0: GP_ISLAND_AREA;
                                 < 0: islands stay. */
} gp_blocks_params;

/**
 * Build the street blocks of community `c`: clip streets and barriers to it, snap their ends to
 * each other and to the border (opts->snap_tolerance), drop streets running along the border,
 * node, polygonize, merge slivers (smaller than opts->sliver_area, narrower than the sliver
 * width, or small uninhabited islands: see blocks.c), place households, build the graph.
 * Clean input (lines meeting exactly at junctions and on the border) gives exactly its faces.
 * Verifies that the blocks tile the community (GP_ERR_INTERNAL when they do not).
 * @param[in] params NULL for defaults.
 * @param[out] out the blocks, NULL on failure; free with gp_blocks_free.
 * @return GP_OK; GP_ERR_ARG; GP_ERR_NOMEM; GP_ERR_GEOMETRY (names the community); GP_ERR_INTERNAL.
 */
GP_NODISCARD gp_status gp_community_blocks(gp_context *ctx, const gp_dataset *ds, int32_t c,
                                           const gp_options *opts, const gp_blocks_params *params,
                                           gp_blocks **out);

/** Free blocks (before the context that made them); NULL is a no-op. */
void gp_blocks_free(gp_blocks *blocks);

/* ---- internal steps, shared between blocks.c, adjacency.c and households.c ---- */

/** A border segment shared by faces a < b, with the street class and barrier flag on it. */
typedef struct gp_shared_seg {
    int32_t a, b;
    int32_t cls;
    int32_t barrier;
    double length;
} gp_shared_seg;

/** A line piece of the street network inside the community, as a coordinate array. */
typedef struct gp_piece {
    double *xy;   /* 2 * n doubles */
    int32_t n;    /* vertices */
    int32_t cls;  /* class index, GP_CLASS_NONE */
    int32_t kind; /* 0 street, 1 barrier, 2 community border */
} gp_piece;

/**
 * Line pieces indexed by their bounding boxes in a GEOS STRtree (item: the piece's index):
 * env[i] is piece i's box (NULL for a piece left out), hs the ids a query found.
 */
typedef struct gp_piece_index {
    GEOSSTRtree *tree;
    GEOSGeometry **env;
    int32_t n;
    gp_hits hs;
} gp_piece_index;

/**
 * Index pieces[0 .. n) by their bounding boxes widened by `margin`; with `streets_only`, the
 * community border's pieces (kind 2) and pieces of fewer than two points are left out.
 * `ix` is zeroed by the caller and freed with gp_piece_index_free, also after an error.
 * @return GP_OK; GP_ERR_NOMEM naming `what`.
 */
GP_NODISCARD gp_status gp_piece_index_new(gp_context *ctx, GEOSContextHandle_t h,
                                          const gp_piece *pieces, int32_t n, double margin,
                                          int streets_only, const char *what, gp_piece_index *ix);

/** The pieces whose boxes meet the rectangle [x0, x1] x [y0, y1], into ix->hs (tree order).
 * @return GP_OK; GP_ERR_NOMEM naming `what`. */
GP_NODISCARD gp_status gp_piece_index_query(gp_context *ctx, GEOSContextHandle_t h,
                                            gp_piece_index *ix, double x0, double y0, double x1,
                                            double y1, const char *what);

void gp_piece_index_free(GEOSContextHandle_t h, gp_piece_index *ix);

/**
 * Shared border segments between faces (polygons from one polygonization, so shared borders
 * have identical vertices), attributed with the class/barrier of the pieces lying on them.
 * @param[out] segs_out array (gp_free) of *n_out segments, sorted by (a, b).
 */
GP_NODISCARD gp_status gp_faces_shared_segments(gp_context *ctx, const gp_dataset *ds,
                                                GEOSGeometry *const *faces, int32_t n_faces,
                                                const gp_piece *pieces, int32_t n_pieces,
                                                gp_shared_seg **segs_out, int64_t *n_out);

/** When a face (or a group of merged faces) is a sliver. */
typedef struct gp_sliver_rule {
    double min_area;  /**< smaller than this, m^2. */
    double min_width; /**< narrower than this, m (see gp_merge_slivers). */
} gp_sliver_rule;

/**
 * Merge slivers, smallest first, each into the neighbour it shares the longest border with
 * (not across a barrier when avoidable). A group is a sliver when its area < min_area, or its
 * width < min_width, or it is a single face with force[f] set. The width of a group is the
 * largest of its faces' widths and its own mean width 2A/P (both lower bounds of the diameter
 * of its largest inscribed circle).
 * @param[in] width per face: the diameter of its largest inscribed circle (or any lower bound
 *            of it that is >= min_width when the face is not narrow).
 * @param[in] force per face: 1 to merge it whatever its size (NULL: none).
 * @param[in,out] group union-find parents over faces (group[f] == f initially).
 * @param[out] merged_out number of merges done.
 */
GP_NODISCARD gp_status gp_merge_slivers(gp_context *ctx, int32_t n_faces, const double *area,
                                        const double *perimeter, const double *width,
                                        const uint8_t *force, const gp_shared_seg *segs,
                                        int64_t n_segs, const gp_sliver_rule *rule, int32_t *group,
                                        int32_t *merged_out);

/**
 * Weld the faces' vertices closer than eps (m) to another into one point, the same map for
 * every ring of every face (see weld.c), so that shared edges stay shared; spikes left by it
 * are removed. Faces that collapse are dropped (*n_faces shrinks); a face that welding would
 * make invalid stays as it was; the others are replaced by welded copies. Nothing changes
 * when no two vertices are that close.
 * @param[out] n_welded number of vertices merged into another.
 */
GP_NODISCARD gp_status gp_faces_weld(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry **faces,
                                     int32_t *n_faces, double eps, int32_t *n_welded);

/**
 * The block graph from shared segments relabelled to blocks (face -> block map `block_of`):
 * CSR with border lengths, dominant class and its cost; barrier borders removed.
 */
GP_NODISCARD gp_status gp_block_graph(gp_context *ctx, const gp_dataset *ds, gp_blocks *b,
                                      const gp_shared_seg *segs, int64_t n_segs,
                                      const int32_t *block_of);

/**
 * The block holding each of n points (x[list[i]], y[list[i]]) in where[i]: the lowest block id
 * covering it (a point on a shared border), else the nearest block (a point within rounding
 * outside them all, counted in *nearest); -1 only when no block has a distance to it.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY (a block GEOS cannot prepare).
 */
GP_NODISCARD gp_status gp_blocks_locate_points(gp_context *ctx, const gp_blocks *b, int32_t n,
                                               const int64_t *list, const double *x,
                                               const double *y, int32_t *where, int32_t *nearest);

/** Put the community's households into blocks (lowest block id on shared borders). */
GP_NODISCARD gp_status gp_blocks_place_households(gp_context *ctx, const gp_dataset *ds,
                                                  gp_blocks *b);

#endif /* GP_GEOMETRY_BLOCKS_H */
