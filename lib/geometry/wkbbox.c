/* SPDX-License-Identifier: MIT */
/**
 * @file wkbbox.c Bounding boxes straight from WKB, and a bucket grid of boxes.
 *
 * Indexing 100,000 street lines by community used to decode each line into a GEOS geometry,
 * build its envelope as another geometry and insert that into an STRtree: three allocations
 * per line for four numbers. Here the numbers are read from the WKB, and the few hundred
 * community boxes go on a grid that each line's box looks up.
 */

#include "wkbbox.h"

#include "core/memory.h"
#include "hits.h"
#include "gridpart.h"

#include <math.h>
#include <string.h>

enum { GP_WKB_DEPTH = 8 };

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} gp_wkb_cursor;

static int gp_wkb_u32(gp_wkb_cursor *c, int little, uint32_t *v)
{
    if (c->end - c->p < 4) {
        return 0;
    }
    const unsigned char *b = c->p;
    *v = little ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                      (uint32_t)b[3] << 24
                : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 |
                      (uint32_t)b[0] << 24;
    c->p += 4;
    return 1;
}

static double gp_wkb_f64(const unsigned char *b, int little)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)b[little ? i : 7 - i] << (8 * i);
    }
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* `n` points of `dims` ordinates: their x and y widen the box. 0 when truncated. */
static int gp_wkb_points(gp_wkb_cursor *c, int little, uint32_t n, int dims, double box[4],
                         int *any)
{
    size_t stride = 8 * (size_t)dims;
    if ((size_t)(c->end - c->p) / stride < n) {
        return 0;
    }
    for (uint32_t i = 0; i < n; i++, c->p += stride) {
        double x = gp_wkb_f64(c->p, little);
        double y = gp_wkb_f64(c->p + 8, little);
        if (isnan(x) || isnan(y)) {
            continue; /* an empty point is written as NaN, NaN */
        }
        if (!*any) {
            box[0] = box[2] = x;
            box[1] = box[3] = y;
            *any = 1;
        } else {
            box[0] = x < box[0] ? x : box[0];
            box[1] = y < box[1] ? y : box[1];
            box[2] = x > box[2] ? x : box[2];
            box[3] = y > box[3] ? y : box[3];
        }
    }
    return 1;
}

/* One geometry at the cursor; 0 when unreadable. */
static int gp_wkb_geometry(gp_wkb_cursor *c, int depth, double box[4], int *any)
{
    if (depth > GP_WKB_DEPTH || c->p >= c->end || *c->p > 1) {
        return 0;
    }
    int little = *c->p++ == 1;
    uint32_t type;
    if (!gp_wkb_u32(c, little, &type)) {
        return 0;
    }
    /* Extended WKB: flags in the high bits; ISO: thousands. */
    int z = (type & 0x80000000u) != 0;
    int m = (type & 0x40000000u) != 0;
    if (type & 0x20000000u) {
        uint32_t srid;
        if (!gp_wkb_u32(c, little, &srid)) {
            return 0;
        }
    }
    type &= 0x0FFFFFFFu;
    if (type >= 1000 && type < 4000) {
        z = z || type / 1000 == 1 || type / 1000 == 3;
        m = m || type / 1000 == 2 || type / 1000 == 3;
        type %= 1000;
    }
    int dims = 2 + z + m;
    uint32_t n;
    switch (type) {
    case 1: /* point */
        return gp_wkb_points(c, little, 1, dims, box, any);
    case 2: /* line string */
        return gp_wkb_u32(c, little, &n) && gp_wkb_points(c, little, n, dims, box, any);
    case 3: /* polygon: rings */
        if (!gp_wkb_u32(c, little, &n)) {
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k;
            if (!gp_wkb_u32(c, little, &k) || !gp_wkb_points(c, little, k, dims, box, any)) {
                return 0;
            }
        }
        return 1;
    case 4: /* multi point, multi line string, multi polygon, collection */
    case 5:
    case 6:
    case 7:
        if (!gp_wkb_u32(c, little, &n)) {
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (!gp_wkb_geometry(c, depth + 1, box, any)) {
                return 0;
            }
        }
        return 1;
    default:
        return 0;
    }
}

int gp_wkb_box(const unsigned char *wkb, size_t size, double box[4])
{
    gp_wkb_cursor c = {wkb, wkb + size};
    double b[4] = {0, 0, 0, 0};
    int any = 0;
    if (wkb == NULL || !gp_wkb_geometry(&c, 0, b, &any)) {
        return -1;
    }
    if (!any) {
        return 0;
    }
    memcpy(box, b, sizeof b);
    return 1;
}

/* ---- the bucket grid ------------------------------------------------------------------- */

struct gp_boxgrid {
    const double (*box)[4];
    int32_t n;
    int32_t nx, ny;
    double x0, y0, x1, y1; /* extent */
    double cw, ch;         /* cell size */
    int32_t *start;        /* per cell, its first entry in `item` (nx * ny + 1) */
    int32_t *item;         /* box indices, increasing within a cell */
    uint32_t *seen;        /* per box, the query that last reported it */
    uint32_t stamp;
};

/* The cell range a box covers, clamped to the grid; 0 when it misses the grid. */
static int gp_boxgrid_cells(const gp_boxgrid *g, const double b[4], int32_t r[4])
{
    if (g->n == 0 || !(b[2] >= g->x0) || !(b[3] >= g->y0) || !(b[0] <= g->x1) ||
        !(b[1] <= g->y1)) {
        return 0;
    }
    double c[4] = {(b[0] - g->x0) / g->cw, (b[1] - g->y0) / g->ch, (b[2] - g->x0) / g->cw,
                   (b[3] - g->y0) / g->ch};
    int32_t lim[4] = {g->nx - 1, g->ny - 1, g->nx - 1, g->ny - 1};
    for (int i = 0; i < 4; i++) {
        double v = floor(c[i]);
        r[i] = v < 0 ? 0 : (v > lim[i] ? lim[i] : (int32_t)v);
    }
    return 1;
}

gp_boxgrid *gp_boxgrid_new(const double (*boxes)[4], int32_t n)
{
    gp_boxgrid *g = gp_calloc(1, sizeof *g);
    if (g == NULL) {
        return NULL;
    }
    g->box = boxes;
    g->n = n;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        x0 = boxes[i][0] < x0 ? boxes[i][0] : x0;
        y0 = boxes[i][1] < y0 ? boxes[i][1] : y0;
        x1 = boxes[i][2] > x1 ? boxes[i][2] : x1;
        y1 = boxes[i][3] > y1 ? boxes[i][3] : y1;
    }
    /* About one box per cell, at most 1024 cells a side. */
    int32_t side = 1;
    while (side < 1024 && (int64_t)side * side < n) {
        side *= 2;
    }
    g->nx = g->ny = side;
    if (!(x0 <= x1 && y0 <= y1)) {
        x0 = y0 = x1 = y1 = 0; /* no box with numbers: nothing is ever found */
    }
    g->x0 = x0;
    g->y0 = y0;
    g->x1 = x1;
    g->y1 = y1;
    g->cw = x1 > x0 ? (x1 - x0) / side : 1.0;
    g->ch = y1 > y0 ? (y1 - y0) / side : 1.0;
    size_t cells = (size_t)side * (size_t)side;
    g->start = gp_calloc(cells + 1, sizeof *g->start);
    g->seen = gp_calloc((size_t)n + 1, sizeof *g->seen);
    if (g->start == NULL || g->seen == NULL) {
        gp_boxgrid_free(g);
        return NULL;
    }
    /* Two passes: count per cell, then place (boxes in index order, so each cell's list is
     * increasing). */
    int64_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t i = 0; i < n; i++) {
            int32_t r[4];
            if (!gp_boxgrid_cells(g, boxes[i], r)) {
                continue;
            }
            for (int32_t y = r[1]; y <= r[3]; y++) {
                for (int32_t x = r[0]; x <= r[2]; x++) {
                    size_t cell = (size_t)y * (size_t)side + (size_t)x;
                    if (pass == 0) {
                        g->start[cell + 1]++;
                        total++;
                    } else {
                        g->item[g->start[cell]++] = i;
                    }
                }
            }
        }
        if (pass == 0) {
            if (total > INT32_MAX) {
                gp_boxgrid_free(g);
                return NULL;
            }
            for (size_t cell = 0; cell < cells; cell++) {
                g->start[cell + 1] += g->start[cell];
            }
            g->item = gp_malloc(sizeof *g->item * (size_t)(total + 1));
            if (g->item == NULL) {
                gp_boxgrid_free(g);
                return NULL;
            }
        }
    }
    /* The placing pass moved each start to the next cell's: shift back. */
    for (size_t cell = cells; cell > 0; cell--) {
        g->start[cell] = g->start[cell - 1];
    }
    g->start[0] = 0;
    return g;
}

void gp_boxgrid_free(gp_boxgrid *g)
{
    if (g == NULL) {
        return;
    }
    gp_free(g->start);
    gp_free(g->item);
    gp_free(g->seen);
    gp_free(g);
}

int gp_boxgrid_any(const gp_boxgrid *g, const double q[4])
{
    int32_t r[4];
    if (!gp_boxgrid_cells(g, q, r)) {
        return 0;
    }
    for (int32_t y = r[1]; y <= r[3]; y++) {
        for (int32_t x = r[0]; x <= r[2]; x++) {
            size_t cell = (size_t)y * (size_t)g->nx + (size_t)x;
            for (int32_t j = g->start[cell]; j < g->start[cell + 1]; j++) {
                const double *b = g->box[g->item[j]];
                if (!(b[0] > q[2] || b[2] < q[0] || b[1] > q[3] || b[3] < q[1])) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

int32_t gp_boxgrid_query(gp_boxgrid *g, const double q[4], int32_t *out)
{
    int32_t r[4];
    if (!gp_boxgrid_cells(g, q, r)) {
        return 0;
    }
    if (++g->stamp == 0) {
        memset(g->seen, 0, sizeof *g->seen * ((size_t)g->n + 1));
        g->stamp = 1;
    }
    int32_t k = 0;
    int sorted = 1;
    for (int32_t y = r[1]; y <= r[3]; y++) {
        for (int32_t x = r[0]; x <= r[2]; x++) {
            size_t cell = (size_t)y * (size_t)g->nx + (size_t)x;
            for (int32_t j = g->start[cell]; j < g->start[cell + 1]; j++) {
                int32_t i = g->item[j];
                const double *b = g->box[i];
                if (g->seen[i] == g->stamp || b[0] > q[2] || b[2] < q[0] || b[1] > q[3] ||
                    b[3] < q[1]) {
                    continue;
                }
                g->seen[i] = g->stamp;
                sorted = sorted && (k == 0 || out[k - 1] < i);
                out[k++] = i;
            }
        }
    }
    if (!sorted) {
        gp_ids_sort(out, (size_t)k);
    }
    return k;
}
