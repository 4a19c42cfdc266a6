/* SPDX-License-Identifier: MIT */
/** @file planar.h Small planar helpers shared by the geometry stages (internal). */

#ifndef GP_GEOMETRY_PLANAR_H
#define GP_GEOMETRY_PLANAR_H

/* Where (px,py) projects onto segment (ax,ay)-(bx,by), as a parameter clamped to [0, 1]
 * (0 for a degenerate segment). */
static inline double gp_seg_param(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0;
    return t < 0 ? 0 : (t > 1 ? 1 : t);
}

/* Squared distance from (px,py) to segment (ax,ay)-(bx,by). */
static inline double gp_seg_dist2(double px, double py, double ax, double ay, double bx, double by)
{
    double t = gp_seg_param(px, py, ax, ay, bx, by);
    double qx = ax + t * (bx - ax) - px, qy = ay + t * (by - ay) - py;
    return qx * qx + qy * qy;
}

#endif /* GP_GEOMETRY_PLANAR_H */
