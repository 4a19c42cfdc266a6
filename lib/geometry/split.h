/* SPDX-License-Identifier: MIT */
/** @file split.h Cutting street blocks into cells and pieces (DESIGN step 5, geometry side). */

#ifndef GP_GEOMETRY_SPLIT_H
#define GP_GEOMETRY_SPLIT_H

#include "gridpart.h"

#include "blocks.h"
#include "dataset.h"

/*
 * A block chosen for cutting is divided into cells: the faces of its polygon cut by its
 * internal paths (street lines inside it that bound nothing, e.g. dead-end service roads and
 * footways, joined to the block border where they came from) and by the edges of a Voronoi
 * diagram whose sites are its household features' points, so that every cut runs midway
 * between buildings and no household feature is divided. GP_CELLS_OPEN adds a lattice of
 * empty sites, kept well away from every household point, so that a block holding one
 * feature can still give up empty corridors. The optimizer then groups cells (cuts are dear,
 * so it cuts only where the bounds need it), and the cells of one block that end up in one
 * grid, connected, become one piece: the pieces are the blocks of the output.
 *
 * Every geometry here lives on the GEOS handle of the context that made the blocks.
 */

/** How a block is divided into cells. */
enum {
    GP_CELLS_NONE = 0,      /**< the block stays one vertex. */
    GP_CELLS_BUILDINGS = 1, /**< between household features and along internal paths. */
    GP_CELLS_OPEN = 2       /**< as BUILDINGS, plus empty cells for corridors. */
};

/** The cut lines of one community's blocks, computed on demand and cached per block and mode. */
typedef struct gp_splitter gp_splitter;

/**
 * Cells of a community: the graph the optimizer divides when some block is cut. Vertex v < n
 * of the blocks is block v itself when the block is not cut (mode NONE), else its first cell;
 * the other cells of cut blocks follow as n, n + 1, ... in block order. CSR as in gp_blocks.
 */
typedef struct gp_cells {
    GEOSContextHandle_t h; /**< the GEOS handle that owns geom. */
    int32_t n;             /**< vertices. */
    int32_t n_blocks;      /**< blocks of the community (vertices 0 .. n_blocks-1). */
    int32_t *block;        /**< n: the block each vertex lies in. */
    uint8_t *is_cell;      /**< n: 1 when the vertex is a cell of a cut block. */
    GEOSGeometry **geom;   /**< n: owned polygon, or NULL: the block's own geometry. */
    double *area;          /**< n, m^2. */
    double *perimeter;     /**< n, m. */
    int64_t *households;   /**< n. */
    double *workload;      /**< n: households weighted plus extra loads (loads.h). */
    int32_t *sites;        /**< n: distinct household locations inside (0, 1, ...). */
    int32_t *hh_start;     /**< n + 1 offsets into hh_list. */
    int64_t *hh_list;      /**< dataset household indices per vertex. */
    int32_t *xadj;         /**< n + 1. */
    int32_t *adjncy;       /**< xadj[n]. */
    double *border_length; /**< per entry, m. */
    double *edge_cost;     /**< per entry, cut cost per metre. */
    double *off_street;    /**< per entry: metres of the border inside a block, off streets. */
    double *on_path;       /**< per entry: metres of the border inside a block, along a path. */
} gp_cells;

/** The pieces of a community after grouping cells: the output's blocks. */
typedef struct gp_pieces {
    gp_blocks *blocks;   /**< n pieces: geom, area, perimeter, households, hh lists (no graph). */
    int32_t *assign;     /**< n: grid per piece. */
    int32_t *origin;     /**< n: the block each piece came from. */
    uint8_t *on_streets; /**< n: 0 when a side is a cut between buildings. */
    uint8_t *grid_split; /**< per grid: its border includes a cut through a block. */
    int32_t n_grids;
    /* The blocks that were cut, in block order. */
    int32_t n_cut;      /**< blocks cut into two pieces or more. */
    int32_t *cut_block; /**< n_cut block ids. */
    int32_t *cut_first; /**< n_cut + 1 offsets into cut_piece. */
    int32_t *cut_piece; /**< the piece ids of each cut block, its own id first. */
    double *cut_off;    /**< n_cut: metres of cut between buildings. */
    double *cut_path;   /**< n_cut: metres of cut along internal paths. */
} gp_pieces;

/**
 * Start cutting community `blocks->community`. Borrows ds, blocks and opts until freed.
 * @param[out] out the splitter; free with gp_splitter_free (before the blocks).
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_splitter_new(gp_context *ctx, const gp_dataset *ds,
                                       const gp_blocks *blocks, const gp_options *opts,
                                       gp_splitter **out);

/** Free a splitter; NULL is a no-op. */
void gp_splitter_free(gp_splitter *sp);

/** Distinct household locations (features with households, 0.5 m apart) in block b. */
int32_t gp_splitter_sites(const gp_splitter *sp, int32_t b);

/**
 * Whether block b can be cut in `mode`: it has cut lines (at least two sites, or internal
 * paths, or for GP_CELLS_OPEN room for empty cells). Computes and caches the lines.
 * @param[out] can 1 or 0.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_splitter_can_cut(gp_context *ctx, gp_splitter *sp, int32_t b,
                                           int32_t mode, int32_t *can);

/**
 * The cells of the community with block b cut in mode[b] (GP_CELLS_*).
 * @param[out] out the cells; free with gp_cells_free.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY when the cells do not tile a cut block (the
 *         caller may go on without cutting it).
 */
GP_NODISCARD gp_status gp_splitter_cells(gp_context *ctx, gp_splitter *sp, const uint8_t *mode,
                                         gp_cells **out);

/** Free cells; NULL is a no-op. */
void gp_cells_free(gp_cells *cells);

/**
 * What an assignment of cells to grids cuts: blocks with a grid border inside them, and metres
 * of grid border inside blocks off streets and along internal paths.
 * @return GP_OK; GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_cells_cut_stats(gp_context *ctx, const gp_cells *cells,
                                          const int32_t *assign, int32_t *blocks_cut,
                                          double *off_street, double *on_path);

/**
 * Group cells into pieces: the cells of a block in one grid, connected inside the block, form
 * one piece (the exact union of the cells). A block not cut keeps its id; of a cut block, the
 * piece holding its first cell keeps the block's id and the others are numbered after the
 * last block.
 * @param[in] assign grid per cell vertex, in [0, n_grids).
 * @param[out] out the pieces; free with gp_pieces_free.
 * @return GP_OK; GP_ERR_NOMEM; GP_ERR_GEOMETRY.
 */
GP_NODISCARD gp_status gp_splitter_pieces(gp_context *ctx, gp_splitter *sp, const gp_cells *cells,
                                          const int32_t *assign, int32_t n_grids, gp_pieces **out);

/** Free pieces; NULL is a no-op. */
void gp_pieces_free(gp_pieces *pieces);

#endif /* GP_GEOMETRY_SPLIT_H */
