/* SPDX-License-Identifier: MIT */
/** @file map.c A printable SVG map of a plan: title, coloured grids, streets, flags, labels sized
 * to their grid and never overlapping, north arrow, scale bar and legend. */

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
#include <time.h>

/* A qualitative palette (ColorBrewer Set3 and Pastel1, colour-blind tolerable, light enough
 * for dark labels). Adjacent grids get different colours by greedy colouring. Set3's red
 * (#fb8072) is replaced by Pastel1's beige: on the map red means a broken bound only. */
static const char *const PALETTE[] = {"#8dd3c7", "#ffffb3", "#bebada", "#e5d8bd",
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
    int n = p[0] < 0x80             ? 1
            : (p[0] & 0xE0) == 0xC0 ? 2
            : (p[0] & 0xF0) == 0xE0 ? 3
            : (p[0] & 0xF8) == 0xF0 ? 4
                                    : 0;
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
    if (n == 4 &&
        ((p[0] == 0xF0 && p[1] < 0x90) || p[0] > 0xF4 || (p[0] == 0xF4 && p[1] >= 0x90))) {
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
static void emit_shape(FILE *f, GEOSContextHandle_t h, GEOSWKBReader *r, const gp_plan_shape *shape,
                       const view *v)
{
    GEOSGeometry *s = read_shape(h, r, shape);
    if (s != NULL) {
        fputs("<path d=\"", f);
        emit_path(f, h, s, v);
        fputs("\"/>\n", f);
        GEOSGeom_destroy_r(h, s);
    }
}

/* Layout of the page, in SVG pixels: a title band on top, the map below it, a panel on its
 * right with the north arrow, the scale bar and the legend. The map's longer side is MAP_SPAN
 * pixels whatever the city's size, so the panel and the title read the same on every city. */
enum { MAP_SPAN = 1600, MARGIN = 20, TITLE_H = 100, PANEL_GAP = 30, PANEL_W = 400 };

/* Label sizes (pixels): the font grows with the grid's side on the map (place_labels), between
 * LABEL_MIN and LABEL_MAX. A label's box is estimated from DejaVu Sans / Helvetica
 * metrics: digits advance 0.64 em at most; the box spans 0.86 em above the baseline and 0.14 em
 * below (cap height 0.73 em plus room). tests/pipeline/map_check.py reads boxes the same way. */
#define LABEL_MIN 8.0
#define LABEL_MAX 22.0
#define LABEL_PER_SIDE 4.5 /* the font is the grid's side on the map over this */
#define DIGIT_EM 0.64
#define BOX_UP_EM 0.86
#define BOX_DOWN_EM 0.14

/* Colour each grid: each takes the first colour none of its touching predecessors has. With a
 * roster, a worker's grids are one unit (one colour for all of them, unlike the colours of the
 * units touching any of them), so the map shows who serves where. */
static gp_status colour_grids(gp_context *ctx, GEOSContextHandle_t h, const gp_plan *plan,
                              GEOSGeometry *const *grids, int *colour)
{
    uint8_t *coloured = gp_calloc((size_t)plan->n_grids + 1, 1);
    if (coloured == NULL) {
        return gp_error_nomem(ctx, "the map");
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        if (coloured[i]) {
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
                if (coloured[j] && grids[j] != NULL &&
                    GEOSIntersects_r(h, grids[k], grids[j]) == 1) {
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
                coloured[k] = 1;
            }
        }
    }
    gp_free(coloured);
    return GP_OK;
}

/* The map's extent: the grids' bounding box, scaled so that its longer side is MAP_SPAN. */
static view map_view(GEOSContextHandle_t h, const gp_plan *plan, GEOSGeometry *const *grids)
{
    view v = {INFINITY, INFINITY, -INFINITY, -INFINITY, 1, 0, 0};
    for (int32_t i = 0; i < plan->n_grids; i++) {
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
    v.scale = MAP_SPAN / fmax(v.maxx - v.minx, v.maxy - v.miny);
    v.width = (v.maxx - v.minx) * v.scale;
    v.height = (v.maxy - v.miny) * v.scale;
    return v;
}

/* What the map shows that its legend must explain. */
typedef struct {
    int32_t over, under;     /* grids above the maximum, below the minimum */
    int32_t changed, added;  /* adjust: changed and new grids */
    int32_t cut_pieces;      /* pieces of cut street blocks */
    int32_t placed, dropped; /* grid labels drawn, left out */
    int64_t households;      /* in all grids */
} map_facts;

/* A grid label: where, how big, and whether it is drawn. */
typedef struct {
    double x, y, font; /* baseline centre and font size, map pixels */
    double x0, y0, x1, y1;
    int placed;
} label_box;

/* Labels are placed greedily, larger grids first; a label whose box meets a placed one is left
 * out (its grid keeps its code and households in the hover <title>). O(n^2) in the grids drawn,
 * a few thousand at most on a city. */
static gp_status place_labels(gp_context *ctx, const gp_plan *plan, const view *v, label_box *box,
                              map_facts *facts)
{
    int32_t *order = gp_calloc((size_t)plan->n_grids + 1, sizeof *order);
    if (order == NULL) {
        return gp_error_nomem(ctx, "the map");
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        const gp_plan_grid *g = &plan->grids[i];
        char text[32];
        int n = snprintf(text, sizeof text, "%" PRId64, g->households);
        /* The grid's side: sqrt(area) for a compact grid, 4 area / perimeter (twice the width)
         * for a long thin one, so that a strip's label does not spill across its neighbours. */
        double side = sqrt(fmax(g->area, 0));
        if (g->perimeter > 0) {
            side = fmin(side, 4 * g->area / g->perimeter);
        }
        side *= v->scale;
        double font = fmin(LABEL_MAX, fmax(LABEL_MIN, side / LABEL_PER_SIDE));
        font = floor(font * 2) / 2; /* half pixels: stable text in the file */
        label_box *b = &box[i];
        b->x = (g->label_x - v->minx) * v->scale;
        /* label_x/y is a point inside the grid; centre the digits' cap height on it */
        b->y = (v->maxy - g->label_y) * v->scale + 0.36 * font;
        b->font = font;
        double half = 0.5 * n * DIGIT_EM * font;
        b->x0 = b->x - half;
        b->x1 = b->x + half;
        b->y0 = b->y - BOX_UP_EM * font;
        b->y1 = b->y + BOX_DOWN_EM * font;
        b->placed = 0;
        /* insertion by area, larger first; ties by index keep the map reproducible */
        int32_t k = i;
        while (k > 0 && plan->grids[order[k - 1]].area < g->area) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (int32_t r = 0; r < plan->n_grids; r++) {
        label_box *b = &box[order[r]];
        int clear = 1;
        for (int32_t q = 0; q < r && clear; q++) {
            const label_box *p = &box[order[q]];
            clear =
                !p->placed || b->x1 <= p->x0 || p->x1 <= b->x0 || b->y1 <= p->y0 || p->y1 <= b->y0;
        }
        b->placed = clear;
        if (clear) {
            facts->placed++;
        } else {
            facts->dropped++;
        }
    }
    gp_free(order);
    return GP_OK;
}

/* The run's date (UTC), or SOURCE_DATE_EPOCH's for reproducible files. */
static void map_date(char *out, size_t size)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long e = epoch != NULL ? strtoll(epoch, &end, 10) : 0;
    time_t t = (epoch != NULL && end != epoch && *end == '\0') ? (time_t)e : time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d", &tm) == 0) {
        snprintf(out, size, "date unknown");
    }
}

/* The title band: what the map is, how many grids and households, the bounds, the date, and
 * the communities' ids as far as they fit on one line. */
static void emit_title(FILE *f, const gp_plan *plan, const map_facts *facts, double width)
{
    char date[32];
    map_date(date, sizeof date);
    fprintf(f,
            "<g id=\"map-title\" fill=\"#111\">\n<text x=\"%d\" y=\"%d\" font-size=\"28\" "
            "font-weight=\"bold\">Service grids of %" PRId32 " communit%s%s</text>\n",
            MARGIN, MARGIN + 28, plan->n_communities, plan->n_communities == 1 ? "y" : "ies",
            plan->check_grids != NULL ? " (audit)"
            : plan->adjust            ? " (adjusted)"
                                      : "");
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"17\">%" PRId32 " grids, %" PRId64
            " households; %" PRId64 " to %" PRId64 " households per grid; %s</text>\n",
            MARGIN, MARGIN + 56, plan->n_grids, facts->households, plan->min_households,
            plan->max_households, date);
    /* Ids are estimated at 0.6 em per byte (wide for CJK, whose 3 bytes take 1 em): the line
     * stops before the page's edge and says how many ids it left out. */
    double budget = (width - 2 * MARGIN) / (0.6 * 14) - 16;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#444\">Communities: ", MARGIN,
            MARGIN + 80);
    double used = 13;
    int32_t shown = 0;
    for (; shown < plan->n_communities; shown++) {
        const char *id = plan->communities[shown].id ? plan->communities[shown].id : "";
        double need = (double)strlen(id) + (shown ? 2 : 0);
        if (used + need > budget) {
            break;
        }
        fputs(shown ? ", " : "", f);
        xml_text(f, id);
        used += need;
    }
    if (shown < plan->n_communities) {
        fprintf(f, " and %" PRId32 " more", plan->n_communities - shown);
    }
    fputs("</text>\n</g>\n", f);
}

/* A legend entry: a swatch that repeats how the map draws it, a line of text, a detail line. */
enum {
    SW_FILL,
    SW_NUMBER,
    SW_GRID_LINE,
    SW_COMMUNITY_LINE,
    SW_STREET,
    SW_OVER,
    SW_UNDER,
    SW_CUT,
    SW_CHANGED,
    SW_NEW,
    SW_NOTE
};
typedef struct {
    int swatch;
    char text[96], detail[96];
} legend_item;
enum { MAX_LEGEND = 16, ITEM_H = 30, DETAIL_H = 16 };

/* How the map marks a grid or a cut piece; the legend's swatches use the same strings. */
static const char *mark_style(int swatch)
{
    switch (swatch) {
    case SW_OVER:
        return "fill=\"url(#over-max)\" stroke=\"#d00\" stroke-width=\"3\"";
    case SW_UNDER:
        return "fill=\"url(#under-min)\" stroke=\"#d00\" stroke-width=\"3\" "
               "stroke-dasharray=\"6 3\"";
    case SW_CUT:
        return "fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" stroke-dasharray=\"2 2\"";
    case SW_CHANGED:
        return "fill=\"none\" stroke=\"#06c\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\"";
    case SW_NEW:
        return "fill=\"none\" stroke=\"#909\" stroke-width=\"3\"";
    default:
        return NULL;
    }
}

static int32_t legend_items(const gp_plan *plan, const map_facts *m, legend_item *it)
{
    int32_t n = 0;
    it[n++] = (legend_item){SW_FILL, "Grid", "colours only tell neighbouring grids apart"};
    if (plan->has_roster) {
        it[n - 1] = (legend_item){SW_FILL, "Grids of one worker", "one colour per worker"};
    }
    it[n++] = (legend_item){SW_NUMBER, "Households in the grid", ""};
    it[n++] = (legend_item){SW_GRID_LINE, "Grid border", ""};
    it[n++] = (legend_item){SW_COMMUNITY_LINE, "Community border", ""};
    it[n++] = (legend_item){SW_STREET, "Street", ""};
    if (m->over > 0) {
        it[n] = (legend_item){SW_OVER, "", ""};
        snprintf(it[n].text, sizeof it[n].text, "Over the maximum of %" PRId64,
                 plan->max_households);
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " grid%s", m->over,
                 m->over == 1 ? "" : "s");
    }
    if (m->under > 0) {
        it[n] = (legend_item){SW_UNDER, "", ""};
        snprintf(it[n].text, sizeof it[n].text, "Under the minimum of %" PRId64,
                 plan->min_households);
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " grid%s", m->under,
                 m->under == 1 ? "" : "s");
    }
    if (m->cut_pieces > 0) {
        it[n] = (legend_item){SW_CUT, "Piece of a cut street block", ""};
        snprintf(it[n++].detail, sizeof it[0].detail,
                 "%" PRId32 " pieces, cut between buildings or along paths", m->cut_pieces);
    }
    if (m->changed > 0) {
        it[n] = (legend_item){SW_CHANGED, "Changed grid", ""};
        snprintf(it[n++].detail, sizeof it[0].detail,
                 "%" PRId32 " changed since the previous division", m->changed);
    }
    if (m->added > 0) {
        it[n] = (legend_item){SW_NEW, "New grid", ""};
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " with a new code", m->added);
    }
    if (m->dropped > 0) {
        it[n] = (legend_item){SW_NOTE, "", "every grid's code: hover it, or see the grids layer"};
        snprintf(it[n++].text, sizeof it[0].text, "%" PRId32 " small grid%s not labelled",
                 m->dropped, m->dropped == 1 ? "" : "s");
    }
    return n;
}

static double legend_height(const legend_item *it, int32_t n)
{
    double hgt = 36;
    for (int32_t i = 0; i < n; i++) {
        hgt += ITEM_H + (it[i].detail[0] ? DETAIL_H : 0);
    }
    return hgt;
}

/* The swatch of one legend entry in a 40 x 20 box at (x, y). */
static void emit_swatch(FILE *f, int swatch, double x, double y)
{
    switch (swatch) {
    case SW_FILL:
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"19\" height=\"20\" fill=\"%s\" "
                "stroke=\"#666\" stroke-width=\"0.6\"/><rect x=\"%.0f\" y=\"%.0f\" "
                "width=\"19\" height=\"20\" fill=\"%s\" stroke=\"#666\" stroke-width=\"0.6\"/>",
                x, y, PALETTE[0], x + 19, y, PALETTE[1]);
        break;
    case SW_NUMBER:
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.0f\" font-size=\"15\" text-anchor=\"middle\" "
                "fill=\"#222\">470</text>",
                x + 20, y + 16);
        break;
    case SW_GRID_LINE:
    case SW_COMMUNITY_LINE:
    case SW_STREET:
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" %s/>", x, y + 10, x + 40,
                y + 10,
                swatch == SW_GRID_LINE        ? "stroke=\"#666\" stroke-width=\"0.6\""
                : swatch == SW_COMMUNITY_LINE ? "stroke=\"#000\" stroke-width=\"2.5\""
                                              : "stroke=\"#999\" stroke-width=\"0.5\"");
        break;
    case SW_OVER:
    case SW_UNDER:
    case SW_CUT:
    case SW_CHANGED:
    case SW_NEW:
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"40\" height=\"20\" fill=\"%s\"/>"
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"40\" height=\"20\" %s/>",
                x, y, PALETTE[1], x, y, mark_style(swatch));
        break;
    default:
        break;
    }
}

/* The north arrow, the scale bar and the legend, top to bottom, from (x, y). */
static void emit_panel(FILE *f, const gp_plan *plan, const view *v, const legend_item *it,
                       int32_t n, double x, double y)
{
    /* The working CRS is projected (metres), so up is its grid north; within a city grid
     * north and true north differ by well under a degree (meridian convergence). */
    fprintf(f,
            "<g id=\"north-arrow\" transform=\"translate(%.0f %.0f)\">"
            "<path d=\"M0 -30L14 16L0 6L-14 16Z\" fill=\"#111\"/>"
            "<path d=\"M0 -30L0 6L-14 16Z\" fill=\"white\" stroke=\"#111\"/>"
            "<text x=\"0\" y=\"38\" font-size=\"18\" font-weight=\"bold\" "
            "text-anchor=\"middle\">N</text></g>\n",
            x + 30, y + 36);
    /* A round length (1, 2 or 5 times a power of ten metres) of 120 to 300 pixels. */
    double target = 300.0 / v->scale;
    double p = pow(10, floor(log10(target)));
    double len = target / p >= 5 ? 5 * p : target / p >= 2 ? 2 * p : p;
    double px = len * v->scale;
    int km = len >= 1000;
    double unit = km ? 1000 : 1;
    double sy = y + 100;
    fprintf(f,
            "<g id=\"scale-bar\" font-size=\"13\" text-anchor=\"middle\" fill=\"#111\">"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" fill=\"#111\"/>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" fill=\"white\" "
            "stroke=\"#111\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">0</text><text x=\"%.1f\" y=\"%.1f\">%g</text>"
            "<text x=\"%.1f\" y=\"%.1f\">%g %s</text></g>\n",
            x + 10, sy, px / 2, x + 10 + px / 2, sy, px / 2, x + 10, sy + 24, x + 10 + px / 2,
            sy + 24, len / 2 / unit, x + 10 + px, sy + 24, len / unit, km ? "km" : "m");
    double ly = y + 160;
    fprintf(f,
            "<g id=\"legend\" font-size=\"15\" fill=\"#111\">"
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"18\" font-weight=\"bold\">Legend</text>\n",
            x, ly + 18);
    ly += 36;
    for (int32_t i = 0; i < n; i++) {
        emit_swatch(f, it[i].swatch, x, ly);
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>", x + (it[i].swatch == SW_NOTE ? 0 : 52),
                ly + 15, it[i].text);
        if (it[i].detail[0]) {
            fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">%s</text>",
                    x + (it[i].swatch == SW_NOTE ? 0 : 52), ly + 31, it[i].detail);
        }
        fputc('\n', f);
        ly += ITEM_H + (it[i].detail[0] ? DETAIL_H : 0);
    }
    if (plan->work_crs != NULL) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">Drawn in ", x,
                ly + 14);
        xml_text(f, plan->work_crs);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}

/* Hatching for grids outside the bounds, drawn over their colour. */
static const char DEFS[] =
    "<defs>"
    "<pattern id=\"over-max\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
    "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"8\" fill=\"#d00\" "
    "fill-opacity=\"0.55\"/></pattern>"
    "<pattern id=\"under-min\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
    "patternTransform=\"rotate(-45)\"><rect width=\"2\" height=\"8\" fill=\"#d00\" "
    "fill-opacity=\"0.45\"/></pattern>"
    "</defs>\n";

/* The grids: their colour, their hover title (code, households, change, worker). */
static void emit_grids(FILE *f, GEOSContextHandle_t h, const gp_plan *plan,
                       GEOSGeometry *const *grids, const int *colour, const view *v)
{
    fputs("<g id=\"grids\" stroke=\"#666\" stroke-width=\"0.6\">\n", f);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        if (grids[i] == NULL) {
            continue;
        }
        const gp_plan_grid *g = &plan->grids[i];
        fprintf(f, "<path fill=\"%s\" fill-rule=\"evenodd\"%s%s%s d=\"", PALETTE[colour[i]],
                g->change > 0 ? " class=\"" : "", g->change > 0 ? gp_plan_grid_change(plan, i) : "",
                g->change > 0 ? "\"" : "");
        emit_path(f, h, grids[i], v);
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
    fputs("</g>\n", f);
}

/* Marks over the grids, above streets so that nothing hides them: outside the bounds (red,
 * hatched), changed (dashed blue) and new (purple) after adjust; a broken bound wins. */
static void emit_marks(FILE *f, GEOSContextHandle_t h, const gp_plan *plan,
                       GEOSGeometry *const *grids, const view *v, map_facts *m)
{
    fputs("<g id=\"marks\" fill=\"none\" pointer-events=\"none\">\n", f);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        const gp_plan_grid *g = &plan->grids[i];
        int over = g->households > plan->max_households;
        int under = g->households < plan->min_households;
        m->over += over;
        m->under += under;
        m->changed += !over && !under && g->change == GP_GRID_CHANGED;
        m->added += !over && !under && g->change == GP_GRID_NEW;
        const char *mark = mark_style(over                           ? SW_OVER
                                      : under                        ? SW_UNDER
                                      : g->change == GP_GRID_CHANGED ? SW_CHANGED
                                      : g->change == GP_GRID_NEW     ? SW_NEW
                                                                     : SW_NOTE);
        if (mark == NULL || grids[i] == NULL) {
            continue;
        }
        fprintf(f, "<path %s fill-rule=\"evenodd\" d=\"", mark);
        emit_path(f, h, grids[i], v);
        fputs("\"/>\n", f);
    }
    fputs("</g>\n", f);
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
    label_box *box = gp_calloc((size_t)plan->n_grids + 1, sizeof *box);
    FILE *f = NULL, *body = NULL;
    char *buf = NULL, *body_buf = NULL;
    size_t len = 0, body_len = 0;
    if (reader == NULL || grids == NULL || colour == NULL || box == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    for (int32_t i = 0; i < plan->n_grids; i++) {
        grids[i] = read_shape(h, reader, &plan->grids[i].shape);
    }
    view v = map_view(h, plan, grids);
    map_facts facts = {0};
    for (int32_t i = 0; i < plan->n_grids; i++) {
        facts.households += plan->grids[i].households;
    }
    if ((st = colour_grids(ctx, h, plan, grids, colour)) != GP_OK ||
        (st = place_labels(ctx, plan, &v, box, &facts)) != GP_OK) {
        goto done;
    }
    /* The map itself goes to its own buffer first: the legend lists what it drew, and the
     * page's size depends on the legend's. */
    body = open_memstream(&body_buf, &body_len);
    if (body == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    emit_grids(body, h, plan, grids, colour, &v);
    fputs("<g id=\"streets\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.5\">\n", body);
    for (int32_t i = 0; i < plan->n_streets; i++) {
        emit_shape(body, h, reader, &plan->streets[i], &v);
    }
    fprintf(body, "</g>\n<g id=\"cut-blocks\" %s pointer-events=\"none\">\n", mark_style(SW_CUT));
    for (int32_t i = 0; i < plan->n_blocks; i++) {
        if (!plan->blocks[i].on_streets) {
            emit_shape(body, h, reader, &plan->blocks[i].shape, &v);
            facts.cut_pieces++;
        }
    }
    fputs("</g>\n", body);
    emit_marks(body, h, plan, grids, &v, &facts);
    fputs("<g id=\"communities\" fill=\"none\" stroke=\"#000\" stroke-width=\"2.5\">\n", body);
    for (int32_t i = 0; i < plan->n_communities; i++) {
        emit_shape(body, h, reader, &plan->communities[i].shape, &v);
    }
    /* A white halo (paint-order stroke) keeps labels legible on any fill and over lines. */
    fprintf(body,
            "</g>\n<g id=\"labels\" text-anchor=\"middle\" fill=\"#111\" stroke=\"white\" "
            "stroke-width=\"2.5\" stroke-opacity=\"0.8\" paint-order=\"stroke\" "
            "pointer-events=\"none\" data-placed=\"%" PRId32 "\" data-dropped=\"%" PRId32 "\">\n",
            facts.placed, facts.dropped);
    for (int32_t i = 0; i < plan->n_grids; i++) {
        if (box[i].placed) {
            fprintf(body, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">%" PRId64 "</text>\n",
                    box[i].x, box[i].y, box[i].font, plan->grids[i].households);
        }
    }
    fputs("</g>\n", body);
    int body_bad = ferror(body);
    int body_closed = fclose(body);
    body = NULL;
    if (body_bad || body_closed != 0 || body_buf == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }

    legend_item items[MAX_LEGEND];
    int32_t n_items = legend_items(plan, &facts, items);
    double map_x = MARGIN, map_y = MARGIN + TITLE_H;
    double panel_x = map_x + v.width + PANEL_GAP;
    double panel_h = 160 + legend_height(items, n_items) + 30;
    double width = panel_x + PANEL_W + MARGIN;
    double height = map_y + fmax(v.height, panel_h) + MARGIN;
    f = open_memstream(&buf, &len);
    if (f == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
            "sans-serif\">\n"
            "<title>gridpart: %" PRId32 " grids in %" PRId32
            " communities</title>\n%s"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            ceil(width), ceil(height), ceil(width), ceil(height), plan->n_grids,
            plan->n_communities, DEFS);
    emit_title(f, plan, &facts, width);
    /* Streets reach past the grids: the map is clipped to its frame, off the title and panel. */
    fprintf(f,
            "<clipPath id=\"map-frame\"><rect x=\"-4\" y=\"-4\" width=\"%.0f\" "
            "height=\"%.0f\"/></clipPath>\n<g id=\"map\" transform=\"translate(%.0f %.0f)\" "
            "clip-path=\"url(#map-frame)\">\n",
            v.width + 8, v.height + 8, map_x, map_y);
    fwrite(body_buf, 1, body_len, f);
    fputs("</g>\n", f);
    emit_panel(f, plan, &v, items, n_items, panel_x, map_y);
    fputs("</svg>\n", f);
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
    if (body != NULL) {
        fclose(body);
    }
    if (f != NULL) {
        fclose(f);
    }
    free(body_buf);
    free(buf);
    for (int32_t i = 0; grids != NULL && i < plan->n_grids; i++) {
        if (grids[i] != NULL) {
            GEOSGeom_destroy_r(h, grids[i]);
        }
    }
    gp_free(grids);
    gp_free(colour);
    gp_free(box);
    if (reader != NULL) {
        GEOSWKBReader_destroy_r(h, reader);
    }
    return st;
}
