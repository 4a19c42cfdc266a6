/* SPDX-License-Identifier: MIT */
/** @file map.h Internal view of the SVG maps: the printable map of a plan or of one community,
 * the whole-city overview, and what they share (drawing, label placement, colouring). */

#ifndef GP_PIPELINE_MAP_H
#define GP_PIPELINE_MAP_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "gridpart.h"

#include "atomic.h"
#include "plan.h"

#include <stdint.h>
#include <stdio.h>

/* Layout of a page, in SVG pixels: a title band on top, the map below it, a panel on its
 * right with the north arrow, the scale bar and the legend. The map's longer side is
 * GP_MAP_SPAN pixels whatever the area's size, so the panel and the title read the same on
 * every map. The north arrow and the scale bar take the panel's first GP_MAP_PANEL_TOP. */
enum {
    GP_MAP_SPAN = 1600,
    GP_MAP_MARGIN = 20,
    GP_MAP_TITLE_H = 100,
    GP_MAP_PANEL_GAP = 30,
    GP_MAP_PANEL_W = 400,
    GP_MAP_PANEL_TOP = 160
};

/* Working-CRS extent and its scale to map pixels (y down). */
typedef struct {
    double minx, miny, maxx, maxy, scale, width, height;
} gp_map_view;

/* A box on the map, pixels (x0 < x1, y0 < y1). */
typedef struct {
    double x0, y0, x1, y1;
} gp_map_box;

/* Label boxes from DejaVu Sans metrics (Helvetica's are within a few per cent): the box spans
 * 0.86 em above the baseline and 0.14 em below; widths from gp_map_text_em.
 * tests/pipeline/map_check.py measures placed labels with the font itself. */
#define GP_MAP_BOX_UP_EM 0.86
#define GP_MAP_BOX_DOWN_EM 0.14

/* A qualitative palette (ColorBrewer Set3 and Pastel1, colour-blind tolerable, light enough for
 * dark labels). Set3's red (#fb8072) is replaced by Pastel1's beige: on a map red means a
 * broken bound only. */
enum { GP_MAP_N_COLOURS = 12 };
extern const char *const GP_MAP_PALETTE[GP_MAP_N_COLOURS];

/* A legend entry: a swatch that repeats how the map draws it, a line of text, a detail line. */
enum {
    GP_SW_FILL,      /* two palette colours side by side */
    GP_SW_SOLID,     /* one colour: the entry's `fill` */
    GP_SW_NUMBER,    /* a grid label */
    GP_SW_LABEL,     /* a community label: id over grid count */
    GP_SW_GRID_LINE,
    GP_SW_COMMUNITY_LINE,
    GP_SW_STREET,
    GP_SW_OVER,
    GP_SW_UNDER,
    GP_SW_OUT,       /* a community with a grid outside the bounds (overview) */
    GP_SW_CUT,
    GP_SW_CHANGED,
    GP_SW_NEW,
    GP_SW_NOTE       /* text only */
};
typedef struct {
    int swatch;
    const char *fill;
    char text[96], detail[96];
} gp_map_legend_item;
enum { GP_MAP_MAX_LEGEND = 20 };

/** How a map marks a grid, a community or a cut piece (SVG attributes; NULL: no mark); the
 * legend's swatches use the same strings. */
const char *gp_map_mark_style(int swatch);

/** The legend's height in pixels. */
double gp_map_legend_height(const gp_map_legend_item *it, int32_t n);

/** The legend (id "legend") from (x, y); `crs` (the working CRS's name) or NULL last. */
void gp_map_emit_legend(FILE *f, const gp_map_legend_item *it, int32_t n, const char *crs,
                        double x, double y);

/** Width of a text in em: DejaVu Sans advances for ASCII, 1 em for any other character (a CJK
 * ideograph's width, more than any accented Latin letter's). */
double gp_map_text_em(const char *s);

/** The extent of `n` geometries (NULL ones skipped), scaled so its longer side is GP_MAP_SPAN. */
gp_map_view gp_map_view_of(GEOSContextHandle_t h, GEOSGeometry *const *g, int32_t n);

/** Path data ("M x y L ... Z") of any geometry in map pixels. */
void gp_map_emit_path(FILE *f, GEOSContextHandle_t h, const GEOSGeometry *g, const gp_map_view *v);

/** Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
int gp_map_utf8_length(const unsigned char *p);

/** Text from the input as XML character data: markup escaped, control characters and invalid
 * UTF-8 shown as U+FFFD, so no input can add elements to a map or make it malformed. */
void gp_map_xml_text(FILE *f, const char *s);

/** The run's date (UTC, YYYY-MM-DD), or SOURCE_DATE_EPOCH's for reproducible files. */
void gp_map_date(char *out, size_t size);

/** The SVG prologue of a page: XML declaration, <svg> of that size, its <title>, the hatching
 * patterns, a white background. `title` is plain ASCII. */
void gp_map_emit_head(FILE *f, double width, double height, const char *title);

/** The north arrow and the scale bar (a round length: 1, 2 or 5 times a power of ten metres, of
 * 120 to 300 pixels), GP_MAP_PANEL_TOP pixels tall from (x, y). */
void gp_map_emit_north_scale(FILE *f, const gp_map_view *v, double x, double y);

/** Close a memstream opened on (*buf, *len), checking it. With `out`, hand its text out as a
 * gp_malloc'd buffer (`*size` bytes, NUL-terminated) and free *buf; else keep *buf. */
gp_status gp_map_take(gp_context *ctx, FILE *f, char **buf, size_t *len, char **out,
                      size_t *size);

/* Labels placed greedily without overlap. Placed boxes are kept in buckets of a uniform grid
 * of cells over the page, so a placement looks only at boxes in the cells it covers: linear in
 * the labels for boxes of bounded size (a city's thousands of grids), where comparing with
 * every placed box was quadratic. */
typedef struct gp_map_labels gp_map_labels;

/** A placer for boxes within a width x height page (boxes outside are clamped to its cells). */
gp_status gp_map_labels_new(gp_context *ctx, double width, double height, gp_map_labels **out);

/** Place `b` when it meets no placed box: 1 placed, 0 left out, -1 out of memory. */
int gp_map_labels_place(gp_map_labels *l, const gp_map_box *b);

void gp_map_labels_free(gp_map_labels *l);

/**
 * Which of `n` geometries touch or overlap (NULL ones touch none), as CSR arrays (METIS
 * layout: the neighbours of i are adj[xadj[i] .. xadj[i+1]-1], ascending), found with a GEOS
 * STRtree and prepared geometries rather than by testing every pair.
 */
gp_status gp_map_adjacency(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *g,
                           int32_t n, int32_t **xadj, int32_t **adj);

/**
 * Greedy colouring of units: unit[i] is the smallest index of the items of i's unit (i itself
 * for an item on its own). Units are coloured in the order of that index, each with the first
 * of `n_colours` colours no touching unit has yet (the last colour when all are taken).
 * colour[i] receives the colour of i's unit.
 */
gp_status gp_map_colour_units(gp_context *ctx, int32_t n, const int32_t *xadj,
                              const int32_t *adj, const int32_t *unit, int n_colours,
                              int *colour);

/* What a printable map shows: the whole plan (community -1) or one community's sheet. */
typedef struct {
    int32_t community;      /* -1: every community; else its index */
    int32_t sheet, n_sheets; /* a sheet's number (1-based) and how many there are */
    const char *overview;   /* a sheet's link to the overview (a file name), or NULL */
    int32_t colour;         /* gp_map_colour */
    const gp_map_box *street_env; /* the streets' extents (working CRS), or NULL: draw all */
} gp_map_scope;

/** The printable map of a scope, as a gp_malloc'd buffer. */
gp_status gp_map_render_scope(gp_context *ctx, const gp_plan *plan, const gp_map_scope *scope,
                              char **out, size_t *size);

/** The overview page: communities coloured by their grid count, hatched when a grid breaks a
 * bound, each a link to its sheet (`sheet[c]`, a file name beside the overview). */
gp_status gp_map_render_overview(gp_context *ctx, const gp_plan *plan, char *const *sheet,
                                 char **out, size_t *size);

/** Check a colour mode against a plan: GP_ERR_ARG when it names what the plan lacks (worker
 * without a roster, change outside adjust) or is no gp_map_colour value. */
gp_status gp_map_colour_check(gp_context *ctx, const gp_plan *plan, int32_t colour);

/** Render the single map at `path` and stage it. */
gp_status gp_map_stage(gp_context *ctx, const gp_plan *plan, int32_t colour, gp_stage *stage,
                       const char *path);

/** Check, before a run, that the sheets can go to `folder`: it is a writable folder, or absent
 * with a writable parent (GP_ERR_IO naming it otherwise); a file there is GP_ERR_ARG, and so is
 * an existing overview.svg without overwrite. */
gp_status gp_map_sheets_check_folder(gp_context *ctx, const char *folder, int32_t overwrite);

/** Render and stage the overview and one sheet per community into `folder` (made when missing,
 * in the stage); an existing file of those names is an error unless overwrite. */
gp_status gp_map_sheets_stage(gp_context *ctx, const gp_plan *plan, int32_t colour,
                              int32_t overwrite, gp_stage *stage, const char *folder);

#endif /* GP_PIPELINE_MAP_H */
