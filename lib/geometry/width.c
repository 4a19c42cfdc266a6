/* SPDX-License-Identifier: MIT */
/**
 * @file width.c Whether a circle of a given diameter fits in a polygon: the width test of
 * slivers.
 *
 * A circle of radius r fits in a polygon exactly when the polygon eroded by r (its negative
 * buffer, Minkowski difference with the disc) is non-empty, so the test is one GEOS buffer. It
 * replaces GEOS's maximum inscribed circle (GEOSMaximumInscribedCircle_r, a branch-and-bound
 * over a quadtree of square cells, after Garcia-Castellanos & Lombardo's polylabel), whose work
 * grows with the polygon's extent over its width, whatever the tolerance: the cells that can
 * still hold a wider circle are about as wide as the polygon and must tile its whole length.
 * A face 1.7 m wide and 5,357 km long (one longitude mistyped in a community border) took
 * minutes and 2.7 GB at the 1 cm tolerance used before, and more than 60 s even at 1 m; one
 * 70 km long (the median of a dual carriageway across a rural community) took 1 s. The
 * erosion takes under a millisecond for either: its work depends on the vertex count alone.
 * Only a yes or no for one diameter is needed (is the face a sliver?), which is what the
 * erosion answers.
 *
 * Exactness: where the largest circle touches straight edges only (a strip, a triangle, any
 * convex face) the erosion is exact. GEOS approximates the arc round a reflex vertex by chords
 * (8 per quarter circle, within 0.5% of r) and drops concavities shallower than 1% of r, so
 * where the circle touches a reflex vertex the answer may be wrong only for diameters within
 * about 1.5% of the limit; the maximum inscribed circle at the 1 cm tolerance used before had
 * an error of 1 cm in radius (1% at the default 2 m). On 600 random strips, triangles, wedges,
 * zigzags and L-shapes 1.5 to 2.5 m wide and on every narrow face of Providence and of the
 * demo, the two tests agree on every face.
 */

#include "width.h"

#include "core/context.h"

/* Segments per quarter circle of the erosion (GEOS's default). */
#define QUADRANT_SEGMENTS 8

gp_status gp_circle_fits(gp_context *ctx, GEOSContextHandle_t h, const GEOSGeometry *g,
                         double diameter, int *fits)
{
    *fits = 1;
    if (!(diameter > 0)) {
        return GP_OK;
    }
    GEOSGeometry *core = GEOSBuffer_r(h, g, -0.5 * diameter, QUADRANT_SEGMENTS);
    char empty = core ? GEOSisEmpty_r(h, core) : 2;
    if (core != NULL) {
        GEOSGeom_destroy_r(h, core);
    }
    if (empty == 2) {
        return gp_error(ctx, GP_ERR_GEOMETRY, "cannot erode a polygon by %g m: %s", 0.5 * diameter,
                        gp_ctx_engine_error(ctx));
    }
    *fits = !empty;
    return GP_OK;
}
