/* SPDX-License-Identifier: MIT */
/** @file map.c An SVG map of a plan: coloured grids, streets, bold community borders, labels. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "outputs.h"
#include "plan.h"

#include "core/context.h"
#include "core/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A qualitative palette (ColorBrewer Set3 and Pastel1, colour-blind tolerable, light enough
 * for dark labels). Adjacent grids get different colours by greedy colouring. */
static const char *const PALETTE[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072",
                                      "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
                                      "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};
enum { N_COLOURS = sizeof PALETTE / sizeof PALETTE[0] };

typedef struct {
    double minx, miny, maxx, maxy, scale, width, height;
} view;

static void emit_ring(FILE *f, GEOSContextHandle_t h, const GEOSGeometry *ring, const view *v)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n = 0;
    if (seq == NULL || !GEOSCoordSeq_getSize_r(h, seq, &n) || n == 0) {
        return;
    }
    for (unsigned int i = 0; i < n; i++) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
        fprintf(f, "%c%.1f %.1f", i ? 'L' : 'M', (x - v->minx) * v->scale,
                (v->maxy - y) * v->scale);
    }
}

/* Write the path data of any geometry: polygons as closed rings, lines as open paths. */
static void emit_path(FILE *f, GEOSContextHandle_t h, const GEOSGeometry *g, const view *v)
{
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        emit_ring(f, h, GEOSGetExteriorRing_r(h, g), v);
        fputc('Z', f);
        int holes = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < holes; i++) {
            emit_ring(f, h, GEOSGetInteriorRingN_r(h, g, i), v);
            fputc('Z', f);
        }
    } else if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        emit_ring(f, h, g, v);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING ||
               type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++) {
            emit_path(f, h, GEOSGetGeometryN_r(h, g, i), v);
        }
    }
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
static int utf8_length(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
                          : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && p[0] < 0xC2) {
        return 0; /* overlong */
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0))) {
        return 0; /* overlong, or a UTF-16 surrogate */
    }
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || p[0] > 0xF4 || (p[0] == 0xF4 && p[1] >= 0x90))) {
        return 0;
    }
    return n;
}

/* Text from the input (community and grid codes) as XML character data: markup characters
 * escaped, and what XML 1.0 cannot hold (control characters, invalid UTF-8) shown as U+FFFD,
 * so that no input can add elements to the map or make it malformed. */
static void xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = utf8_length(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')) {
            fputs("\xEF\xBF\xBD", f);
            p += n ? n : 1;
            continue;
        }
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            fwrite(p, 1, (size_t)n, f);
        }
        p += n;
    }
}

static GEOSGeometry *read_shape(GEOSContextHandle_t h, GEOSWKBReader *r, const gp_plan_shape *s)
{
    return s->wkb_work ? GEOSWKBReader_read_r(h, r, s->wkb_work, s->wkb_work_size) : NULL;
}

/* A stored shape as a <path> element of its own; nothing when it cannot be read. */
static void emit_shape(FILE *f, GEOSContextHandle_t h, GEOSWKBReader *r,
                       const gp_plan_shape *shape, const view *v)
{
    GEOSGeometry *s = read_shape(h, r, shape);
    if (s != NULL) {
        fputs("<path d=\"", f);
        emit_path(f, h, s, v);
        fputs("\"/>\n", f);
        GEOSGeom_destroy_r(h, s);
    }
}

gp_status gp_map_render(gp_context *ctx, const gp_plan *plan, char **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    gp_status st = GP_OK;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    GEOSWKBReader *reader = GEOSWKBReader_create_r(h);
    GEOSGeometry **grids = gp_calloc((size_t)plan->n_grids + 1, sizeof *grids);
    int *colour = gp_calloc((size_t)plan->n_grids + 1, sizeof *colour);
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0;
    if (reader == NULL || grids == NULL || colour == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    view v = {INFINITY, INFINITY, -INFINITY, -INFINITY, 1, 0, 0};
    for (int32_t i = 0; i < plan->n_grids; i++) {
        grids[i] = read_shape(h, reader, &plan->grids[i].shape);
        double x0, y0, x1, y1;
        if (grids[i] != NULL && GEOSGeom_getXMin_r(h, grids[i], &x0) &&
            GEOSGeom_getYMin_r(h, grids[i], &y0) && GEOSGeom_getXMax_r(h, grids[i], &x1) &&
            GEOSGeom_getYMax_r(h, grids[i], &y1)) {
            v.minx = fmin(v.minx, x0);
            v.miny = fmin(v.miny, y0);
            v.maxx = fmax(v.maxx, x1);
            v.maxy = fmax(v.maxy, y1);
        }
    }
    if (!(v.maxx > v.minx && v.maxy > v.miny)) {
        v = (view){0, 0, 1, 1, 1, 0, 0};
    }
    double span = fmax(v.maxx - v.minx, v.maxy - v.miny);
    v.scale = 1600.0 / span;
    v.width = (v.maxx - v.minx) * v.scale;
    v.height = (v.maxy - v.miny) * v.scale;

    /* Greedy colouring: each grid takes the first colour none of its touching predecessors
     * has. With a roster, a worker's grids are one unit (one colour for all of them, unlike
     * the colours of the units touching any of them), so the map shows who serves where. */
    uint8_t *done_ = gp_calloc((size_t)plan->n_grids + 1, 1);
    if (done_ == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        if (done_[i]) {
            continue;
        }
        const char *wk = plan->has_roster ? plan->grids[i].worker : NULL;
        unsigned used = 0;
        for (int32_t k = i; k < plan->n_grids; k++) {
            if (k != i && (wk == NULL || plan->grids[k].worker == NULL ||
                           strcmp(plan->grids[k].worker, wk) != 0)) {
                continue;
            }
            for (int32_t j = 0; j < plan->n_grids && grids[k] != NULL; j++) {
                if (done_[j] && grids[j] != NULL && GEOSIntersects_r(h, grids[k], grids[j]) == 1) {
                    used |= 1u << colour[j];
                }
            }
        }
        int c = 0;
        while (c < N_COLOURS - 1 && (used & (1u << c))) {
            c++;
        }
        for (int32_t k = i; k < plan->n_grids; k++) {
            if (k == i || (wk != NULL && plan->grids[k].worker != NULL &&
                           strcmp(plan->grids[k].worker, wk) == 0)) {
                colour[k] = c;
                done_[k] = 1;
            }
        }
    }
    gp_free(done_);
    f = open_memstream(&buf, &len);
    if (f == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"-10 -10 %.0f %.0f\" font-family=\"sans-serif\">\n"
            "<title>gridpart: %" PRId32 " grids in %" PRId32
            " communities</title>\n"
            "<rect x=\"-10\" y=\"-10\" width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            v.width + 20, v.height + 20, v.width + 20, v.height + 20, plan->n_grids,
            plan->n_communities);
    fputs("<g id=\"grids\" stroke=\"#666\" stroke-width=\"0.6\">\n", f);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        if (grids[i] == NULL) {
            continue;
        }
        const gp_plan_grid *g = &plan->grids[i];
        int bad = g->households < plan->min_households || g->households > plan->max_households;
        /* adjust: changed grids outlined dashed blue, new ones purple (a bound broken: red). */
        const char *mark = bad                                ? " stroke=\"#d00\" stroke-width=\"2\""
                           : g->change == GP_GRID_CHANGED ? " stroke=\"#06c\" stroke-width=\"2\""
                                                             " stroke-dasharray=\"6 3\""
                           : g->change == GP_GRID_NEW     ? " stroke=\"#909\" stroke-width=\"2.5\""
                                                          : "";
        fprintf(f, "<path fill=\"%s\" fill-rule=\"evenodd\"%s%s%s%s d=\"", PALETTE[colour[i]],
                mark, g->change > 0 ? " class=\"" : "",
                g->change > 0 ? gp_plan_grid_change(plan, i) : "", g->change > 0 ? "\"" : "");
        emit_path(f, h, grids[i], &v);
        fputs("\"><title>", f);
        xml_text(f, g->code);
        fprintf(f, ": %" PRId64 " households", g->households);
        if (g->change > 0) {
            fprintf(f, ", %s", gp_plan_grid_change(plan, i));
        }
        if (g->worker != NULL) {
            fputs(", worker ", f);
            xml_text(f, g->worker);
        }
        fputs("</title></path>\n", f);
    }
    fputs("</g>\n<g id=\"streets\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.5\">\n", f);
    for (int32_t i = 0; i < plan->n_streets; i++) {
        emit_shape(f, h, reader, &plan->streets[i], &v);
    }
    fputs("</g>\n<g id=\"communities\" fill=\"none\" stroke=\"#000\" stroke-width=\"2.5\">\n", f);
    for (int32_t i = 0; i < plan->n_communities; i++) {
        emit_shape(f, h, reader, &plan->communities[i].shape, &v);
    }
    fputs("</g>\n<g id=\"labels\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">\n", f);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        const gp_plan_grid *g = &plan->grids[i];
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%" PRId64 "</text>\n",
                (g->label_x - v.minx) * v.scale, (v.maxy - g->label_y) * v.scale + 4,
                g->households);
    }
    fputs("</g>\n</svg>\n", f);
    int bad = ferror(f);
    int closed = fclose(f);
    f = NULL;
    if (bad || closed != 0 || buf == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    /* Hand out memory that gp_free releases. */
    *out = gp_malloc(len + 1);
    if (*out == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    memcpy(*out, buf, len + 1);
    *size = len;
done:
    if (f != NULL) {
        fclose(f);
    }
    free(buf);
    for (int32_t i = 0; grids != NULL && i < plan->n_grids; i++) {
        if (grids[i] != NULL) {
            GEOSGeom_destroy_r(h, grids[i]);
        }
    }
    gp_free(grids);
    gp_free(colour);
    if (reader != NULL) {
        GEOSWKBReader_destroy_r(h, reader);
    }
    return st;
}
