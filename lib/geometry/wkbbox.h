/* SPDX-License-Identifier: MIT */
/** @file wkbbox.h Bounding boxes straight from WKB, and boxes matched against boxes (internal). */

#ifndef GP_GEOMETRY_WKBBOX_H
#define GP_GEOMETRY_WKBBOX_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bounding box {xmin, ymin, xmax, ymax} of a WKB geometry (ISO or extended WKB, either
 * byte order, any of XY, XYZ, XYM, XYZM; points, lines, polygons, their multis and
 * collections), read without building the geometry. Returns 1 with the box, 0 for an empty
 * geometry (box untouched), -1 for bytes it cannot read (truncated, another type, nesting
 * deeper than 8): the caller then asks GEOS.
 */
int gp_wkb_box(const unsigned char *wkb, size_t size, double box[4]);

/*
 * Boxes bucketed on a uniform grid over their extent, for finding every box that meets a query
 * box (closed intervals: touching counts, as for GEOS envelopes). Built once, queried from one
 * thread; NULL when out of memory.
 */
typedef struct gp_boxgrid gp_boxgrid;
gp_boxgrid *gp_boxgrid_new(const double (*boxes)[4], int32_t n);
void gp_boxgrid_free(gp_boxgrid *g);

/* The boxes meeting `q`, each once, in increasing index order, into out (room for n); returns
 * their count. */
int32_t gp_boxgrid_query(gp_boxgrid *g, const double q[4], int32_t *out);

/* Whether some box meets `q` (as gp_boxgrid_query counts them, without listing them). */
int gp_boxgrid_any(const gp_boxgrid *g, const double q[4]);

#endif /* GP_GEOMETRY_WKBBOX_H */
