/* SPDX-License-Identifier: MIT */
/** @file map_overview.c The whole-city overview: communities coloured by their grid count
 * (equal-interval classes), grid borders thin, the grids that break a bound hatched, community
 * labels (id and grid count) sized to the community and left out where they would collide, each
 * community a link to its sheet; title, north arrow, scale bar and legend as on every map. */

#include "map.h"

#include "core/context.h"
#include "core/memory.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ColorBrewer YlGnBu, light to mid-dark: dark labels with a white halo read on every class. */
static const char *const CLASS_FILL[] = {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8"};
enum { MAX_CLASSES = 5 };
static const char NO_GRIDS_FILL[] = "#f0f0f0";

#define LABEL_MIN 9.0
#define LABEL_MAX 20.0
#define LABEL_PER_SIDE 9.0 /* the font is the community's side on the map over this */
#define LINE2 0.8          /* the grid count's font, relative to the id's */

/* Classes of grid counts: one per count when there are few, else equal intervals. */
typedef struct {
    int32_t lo, width, n;
} classes;

static classes classes_of(const gp_plan *plan)
{
    int32_t lo = INT32_MAX, hi = 0;
    for (int32_t c = 0; c < plan->n_communities; c++) {
        int32_t g = plan->communities[c].n_grids;
        if (g > 0) {
            lo = g < lo ? g : lo;
            hi = g > hi ? g : hi;
        }
    }
    if (hi == 0) {
        return (classes){1, 1, 0};
    }
    int32_t span = hi - lo + 1;
    int32_t width = (span + MAX_CLASSES - 1) / MAX_CLASSES;
    return (classes){lo, width, (span + width - 1) / width};
}

static int32_t class_of(const classes *k, int32_t grids)
{
    return grids <= 0 ? -1 : (grids - k->lo) / k->width;
}

/* Spread n classes over the palette: 1 class the middle colour, 5 all of them. */
static const char *class_fill(const classes *k, int32_t cls)
{
    if (cls < 0) {
        return NO_GRIDS_FILL;
    }
    int idx = k->n <= 1 ? 2 : (int)lround(cls * (MAX_CLASSES - 1.0) / (k->n - 1));
    return CLASS_FILL[idx];
}

/* A community's facts and label. */
typedef struct {
    GEOSGeometry *shape;
    int32_t out; /* grids outside the bounds */
    int64_t households;
    double x, y, font; /* the id's baseline centre and font */
    gp_map_box box;    /* both lines */
    double area;
    int placed;
} community_item;

/* Size the label of community c: its id over "N grids", centred on a point inside it. */
static void size_label(GEOSContextHandle_t h, const gp_plan *plan, int32_t c,
                       const gp_map_view *v, community_item *it)
{
    double area = 0, length = 0, px = 0, py = 0;
    GEOSArea_r(h, it->shape, &area);
    GEOSLength_r(h, it->shape, &length);
    it->area = area;
    GEOSGeometry *p = GEOSPointOnSurface_r(h, it->shape);
    if (p == NULL || GEOSGeomGetX_r(h, p, &px) != 1 || GEOSGeomGetY_r(h, p, &py) != 1) {
        if (p != NULL) {
            GEOSGeom_destroy_r(h, p);
        }
        it->font = 0;
        return;
    }
    GEOSGeom_destroy_r(h, p);
    double side = sqrt(fmax(area, 0));
    if (length > 0) {
        side = fmin(side, 4 * area / length);
    }
    double font = fmin(LABEL_MAX, fmax(LABEL_MIN, side * v->scale / LABEL_PER_SIDE));
    font = floor(font * 2) / 2;
    char line2[48];
    snprintf(line2, sizeof line2, "%" PRId32 " grid%s", plan->communities[c].n_grids,
             plan->communities[c].n_grids == 1 ? "" : "s");
    const char *id = plan->communities[c].id ? plan->communities[c].id : "";
    double w = fmax(gp_map_text_em(id) * font, gp_map_text_em(line2) * font * LINE2);
    /* the two lines' baselines are 0.14 em + 0.86 x 0.8 em + a gap of 0.1 em apart, so their
     * boxes never overlap each other */
    double gap = GP_MAP_BOX_DOWN_EM * font + GP_MAP_BOX_UP_EM * LINE2 * font + 0.1 * font;
    it->font = font;
    it->x = (px - v->minx) * v->scale;
    it->y = (v->maxy - py) * v->scale - 0.5 * gap + 0.36 * font;
    it->box = (gp_map_box){it->x - w / 2, it->y - GP_MAP_BOX_UP_EM * font, it->x + w / 2,
                           it->y + gap + GP_MAP_BOX_DOWN_EM * LINE2 * font};
}

typedef struct {
    double area;
    int32_t c;
} by_area_item;

static int by_area(const void *a, const void *b)
{
    const by_area_item *x = a, *y = b;
    if (x->area != y->area) {
        return x->area < y->area ? 1 : -1;
    }
    return (x->c > y->c) - (x->c < y->c);
}

/* Place the labels, larger communities first; counts in *placed and *dropped. */
static gp_status place_labels(gp_context *ctx, GEOSContextHandle_t h, const gp_plan *plan,
                              const gp_map_view *v, community_item *it, int32_t *placed,
                              int32_t *dropped)
{
    int32_t n = plan->n_communities;
    by_area_item *order = gp_calloc((size_t)n + 1, sizeof *order);
    gp_map_labels *placer = NULL;
    gp_status st = order == NULL ? gp_error_nomem(ctx, "the overview")
                                 : gp_map_labels_new(ctx, v->width, v->height, &placer);
    int32_t m = 0;
    for (int32_t c = 0; st == GP_OK && c < n; c++) {
        if (it[c].shape != NULL) {
            size_label(h, plan, c, v, &it[c]);
            order[m++] = (by_area_item){it[c].area, c};
        }
    }
    if (st == GP_OK) {
        qsort(order, (size_t)m, sizeof *order, by_area);
    }
    for (int32_t k = 0; st == GP_OK && k < m; k++) {
        community_item *c = &it[order[k].c];
        int ok = c->font > 0 ? gp_map_labels_place(placer, &c->box) : 0;
        if (ok < 0) {
            st = gp_error_nomem(ctx, "the overview's labels");
        }
        c->placed = ok > 0;
        *placed += ok > 0;
        *dropped += ok == 0;
    }
    gp_map_labels_free(placer);
    gp_free(order);
    return st;
}

static void emit_communities(FILE *f, GEOSContextHandle_t h, const gp_plan *plan,
                             const classes *k, const community_item *it, char *const *sheet,
                             const gp_map_view *v)
{
    fputs("<g id=\"community-fills\" stroke=\"none\">\n", f);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        const gp_plan_community *pc = &plan->communities[c];
        if (it[c].shape == NULL) {
            continue;
        }
        fputs("<a href=\"", f);
        gp_map_xml_text(f, sheet[c]);
        fputs("\" xlink:href=\"", f);
        gp_map_xml_text(f, sheet[c]);
        fprintf(f, "\"><path fill=\"%s\" fill-rule=\"evenodd\" d=\"",
                class_fill(k, class_of(k, pc->n_grids)));
        gp_map_emit_path(f, h, it[c].shape, v);
        fputs("\"><title>", f);
        gp_map_xml_text(f, pc->id ? pc->id : "");
        fprintf(f, ": %" PRId32 " grid%s, %" PRId64 " households", pc->n_grids,
                pc->n_grids == 1 ? "" : "s", it[c].households);
        if (it[c].out > 0) {
            fprintf(f, ", %" PRId32 " outside the bounds", it[c].out);
        }
        fputs("; sheet ", f);
        gp_map_xml_text(f, sheet[c]);
        fputs("</title></path></a>\n", f);
    }
    fputs("</g>\n", f);
}

/* Grid borders, one path per community, thin: the texture of the city's division. */
static void emit_grid_borders(FILE *f, GEOSContextHandle_t h, GEOSWKBReader *rd,
                              const gp_plan *plan, const gp_map_view *v)
{
    fputs("<g id=\"grid-borders\" fill=\"none\" stroke=\"#555\" stroke-width=\"0.4\" "
          "pointer-events=\"none\">\n",
          f);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        const gp_plan_community *pc = &plan->communities[c];
        if (pc->n_grids == 0) {
            continue;
        }
        fputs("<path d=\"", f);
        for (int32_t g = pc->first_grid; g < pc->first_grid + pc->n_grids; g++) {
            const gp_plan_shape *s = &plan->grids[g].shape;
            GEOSGeometry *geom =
                s->wkb_work ? GEOSWKBReader_read_r(h, rd, s->wkb_work, s->wkb_work_size) : NULL;
            if (geom != NULL) {
                gp_map_emit_path(f, h, geom, v);
                GEOSGeom_destroy_r(h, geom);
            }
        }
        fputs("\"/>\n", f);
    }
    fputs("</g>\n", f);
}

static void emit_labels(FILE *f, const gp_plan *plan, const community_item *it, int32_t placed,
                        int32_t dropped)
{
    fprintf(f,
            "<g id=\"labels\" text-anchor=\"middle\" fill=\"#111\" stroke=\"white\" "
            "stroke-width=\"2.5\" stroke-opacity=\"0.8\" paint-order=\"stroke\" "
            "pointer-events=\"none\" data-placed=\"%" PRId32 "\" data-dropped=\"%" PRId32 "\">\n",
            placed, dropped);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        const community_item *ci = &it[c];
        if (!ci->placed) {
            continue;
        }
        double gap = GP_MAP_BOX_DOWN_EM * ci->font + GP_MAP_BOX_UP_EM * LINE2 * ci->font +
                     0.1 * ci->font;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">", ci->x, ci->y, ci->font);
        gp_map_xml_text(f, plan->communities[c].id ? plan->communities[c].id : "");
        fprintf(f,
                "</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">%" PRId32
                " grid%s</text>\n",
                ci->x, ci->y + gap, ci->font * LINE2, plan->communities[c].n_grids,
                plan->communities[c].n_grids == 1 ? "" : "s");
    }
    fputs("</g>\n", f);
}

/* The legend: the classes, what a label says, the hatching, the lines, the links. */
static int32_t legend_items(const gp_plan *plan, const classes *k, const community_item *it,
                            int32_t dropped, gp_map_legend_item *out)
{
    int32_t n = 0, none = 0, over = 0, under = 0;
    int32_t count[MAX_CLASSES] = {0};
    for (int32_t c = 0; c < plan->n_communities; c++) {
        int32_t cls = class_of(k, plan->communities[c].n_grids);
        none += cls < 0;
        count[cls < 0 ? 0 : cls] += cls >= 0;
    }
    for (int32_t g = 0; g < plan->n_grids; g++) {
        over += plan->grids[g].households > plan->max_households;
        under += plan->grids[g].households < plan->min_households;
    }
    (void)it;
    for (int32_t cls = 0; cls < k->n; cls++) {
        int32_t lo = k->lo + cls * k->width, hi = lo + k->width - 1;
        out[n] = (gp_map_legend_item){GP_SW_SOLID, class_fill(k, cls), "", ""};
        if (lo == hi) {
            snprintf(out[n].text, sizeof out[n].text, "%" PRId32 " grid%s", lo, lo == 1 ? "" : "s");
        } else {
            snprintf(out[n].text, sizeof out[n].text, "%" PRId32 " to %" PRId32 " grids", lo, hi);
        }
        snprintf(out[n++].detail, sizeof out[0].detail, "%" PRId32 " communit%s", count[cls],
                 count[cls] == 1 ? "y" : "ies");
    }
    if (none > 0) {
        out[n] = (gp_map_legend_item){GP_SW_SOLID, NO_GRIDS_FILL, "No grid (no households)", ""};
        snprintf(out[n++].detail, sizeof out[0].detail, "%" PRId32 " communit%s", none,
                 none == 1 ? "y" : "ies");
    }
    out[n++] = (gp_map_legend_item){GP_SW_LABEL, NULL, "Community id, its grid count", ""};
    if (over > 0) {
        out[n] = (gp_map_legend_item){GP_SW_OVER, CLASS_FILL[1], "", ""};
        snprintf(out[n].text, sizeof out[n].text, "Grid over the maximum of %" PRId64,
                 plan->max_households);
        snprintf(out[n++].detail, sizeof out[0].detail, "%" PRId32 " grid%s", over,
                 over == 1 ? "" : "s");
    }
    if (under > 0) {
        out[n] = (gp_map_legend_item){GP_SW_UNDER, CLASS_FILL[1], "", ""};
        snprintf(out[n].text, sizeof out[n].text, "Grid under the minimum of %" PRId64,
                 plan->min_households);
        snprintf(out[n++].detail, sizeof out[0].detail, "%" PRId32 " grid%s", under,
                 under == 1 ? "" : "s");
    }
    out[n++] = (gp_map_legend_item){GP_SW_GRID_LINE, NULL, "Grid border", ""};
    out[n++] = (gp_map_legend_item){GP_SW_COMMUNITY_LINE, NULL, "Community border", ""};
    out[n++] = (gp_map_legend_item){GP_SW_NOTE, NULL, "Click a community for its sheet",
                                    "one map per community in this folder, ID.svg"};
    if (dropped > 0) {
        out[n] = (gp_map_legend_item){GP_SW_NOTE, NULL, "", "its id and grid count: hover it"};
        snprintf(out[n++].text, sizeof out[0].text, "%" PRId32 " small communit%s not labelled",
                 dropped, dropped == 1 ? "y" : "ies");
    }
    return n;
}

static void emit_title(FILE *f, const gp_plan *plan, int64_t households)
{
    char date[32];
    gp_map_date(date, sizeof date);
    fprintf(f,
            "<g id=\"map-title\" fill=\"#111\">\n<text x=\"%d\" y=\"%d\" font-size=\"28\" "
            "font-weight=\"bold\">Service grids of %" PRId32 " communit%s%s: overview</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"17\">%" PRId32 " grids, %" PRId64
            " households; %" PRId64 " to %" PRId64 " households per grid; %s</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#444\">Communities coloured by "
            "their number of grids; each has its own sheet in this folder (click it)</text>\n"
            "</g>\n",
            GP_MAP_MARGIN, GP_MAP_MARGIN + 28, plan->n_communities,
            plan->n_communities == 1 ? "y" : "ies",
            plan->check_grids != NULL ? " (audit)"
            : plan->adjust            ? " (adjusted)"
                                      : "",
            GP_MAP_MARGIN, GP_MAP_MARGIN + 56, plan->n_grids, households, plan->min_households,
            plan->max_households, date, GP_MAP_MARGIN, GP_MAP_MARGIN + 80);
}

/* The map under the title. */
static void emit_body(FILE *f, GEOSContextHandle_t h, GEOSWKBReader *rd, const gp_plan *plan,
                      const classes *k, const community_item *it, char *const *sheet,
                      const gp_map_view *v, int32_t placed, int32_t dropped)
{
    emit_communities(f, h, plan, k, it, sheet, v);
    emit_grid_borders(f, h, rd, plan, v);
    /* The grids themselves, not their community: where a bound breaks, and the community's
     * class colour still shows around them. */
    fputs("<g id=\"marks\" pointer-events=\"none\">\n", f);
    for (int32_t g = 0; g < plan->n_grids; g++) {
        int64_t hh = plan->grids[g].households;
        int over = hh > plan->max_households, under = hh < plan->min_households;
        const gp_plan_shape *s = &plan->grids[g].shape;
        GEOSGeometry *geom = (over || under) && s->wkb_work
                                 ? GEOSWKBReader_read_r(h, rd, s->wkb_work, s->wkb_work_size)
                                 : NULL;
        if (geom != NULL) {
            fprintf(f, "<path %s fill-rule=\"evenodd\" d=\"",
                    gp_map_mark_style(over ? GP_SW_OVER : GP_SW_UNDER));
            gp_map_emit_path(f, h, geom, v);
            fputs("\"/>\n", f);
            GEOSGeom_destroy_r(h, geom);
        }
    }
    fputs("</g>\n<g id=\"communities\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\" "
          "pointer-events=\"none\">\n",
          f);
    for (int32_t c = 0; c < plan->n_communities; c++) {
        if (it[c].shape != NULL) {
            fputs("<path d=\"", f);
            gp_map_emit_path(f, h, it[c].shape, v);
            fputs("\"/>\n", f);
        }
    }
    fputs("</g>\n", f);
    emit_labels(f, plan, it, placed, dropped);
}

/* Read the communities and count their households and grids outside the bounds. */
static int64_t read_communities(GEOSContextHandle_t h, GEOSWKBReader *rd, const gp_plan *plan,
                                community_item *it)
{
    int64_t total = 0;
    for (int32_t c = 0; c < plan->n_communities; c++) {
        const gp_plan_community *pc = &plan->communities[c];
        const gp_plan_shape *s = &pc->shape;
        it[c].shape =
            s->wkb_work ? GEOSWKBReader_read_r(h, rd, s->wkb_work, s->wkb_work_size) : NULL;
        for (int32_t g = pc->first_grid; g < pc->first_grid + pc->n_grids; g++) {
            int64_t hh = plan->grids[g].households;
            it[c].households += hh;
            it[c].out += hh > plan->max_households || hh < plan->min_households;
        }
        total += it[c].households;
    }
    return total;
}

gp_status gp_map_render_overview(gp_context *ctx, const gp_plan *plan, char *const *sheet,
                                 char **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    GEOSContextHandle_t h = gp_ctx_geos(ctx);
    if (h == NULL) {
        return gp_context_last_status(ctx);
    }
    int32_t n = plan->n_communities;
    gp_status st = GP_OK;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    community_item *it = gp_calloc((size_t)n + 1, sizeof *it);
    GEOSGeometry **shapes = gp_calloc((size_t)n + 1, sizeof *shapes);
    char *body_buf = NULL, *buf = NULL;
    size_t body_len = 0, len = 0;
    int32_t placed = 0, dropped = 0;
    if (rd == NULL || it == NULL || shapes == NULL) {
        st = gp_error_nomem(ctx, "the overview");
        goto done;
    }
    int64_t households = read_communities(h, rd, plan, it);
    for (int32_t c = 0; c < n; c++) {
        shapes[c] = it[c].shape;
    }
    gp_map_view v = gp_map_view_of(h, shapes, n);
    classes k = classes_of(plan);
    if ((st = place_labels(ctx, h, plan, &v, it, &placed, &dropped)) != GP_OK) {
        goto done;
    }
    FILE *body = open_memstream(&body_buf, &body_len);
    if (body == NULL) {
        st = gp_error_nomem(ctx, "the overview");
        goto done;
    }
    emit_body(body, h, rd, plan, &k, it, sheet, &v, placed, dropped);
    if ((st = gp_map_take(ctx, body, &body_buf, &body_len, NULL, NULL)) != GP_OK) {
        goto done;
    }
    gp_map_legend_item items[GP_MAP_MAX_LEGEND];
    int32_t n_items = legend_items(plan, &k, it, dropped, items);
    double map_y = GP_MAP_MARGIN + GP_MAP_TITLE_H;
    double panel_x = GP_MAP_MARGIN + v.width + GP_MAP_PANEL_GAP;
    double panel_h = GP_MAP_PANEL_TOP + gp_map_legend_height(items, n_items) + 30;
    double width = panel_x + GP_MAP_PANEL_W + GP_MAP_MARGIN;
    double height = map_y + fmax(v.height, panel_h) + GP_MAP_MARGIN;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        st = gp_error_nomem(ctx, "the overview");
        goto done;
    }
    char title[96];
    snprintf(title, sizeof title, "gridpart: overview of %" PRId32 " communities", n);
    gp_map_emit_head(f, width, height, title);
    emit_title(f, plan, households);
    fprintf(f,
            "<clipPath id=\"map-frame\"><rect x=\"-4\" y=\"-4\" width=\"%.0f\" "
            "height=\"%.0f\"/></clipPath>\n<g id=\"map\" transform=\"translate(%d %.0f)\" "
            "clip-path=\"url(#map-frame)\">\n",
            v.width + 8, v.height + 8, GP_MAP_MARGIN, map_y);
    fwrite(body_buf, 1, body_len, f);
    fputs("</g>\n", f);
    gp_map_emit_north_scale(f, &v, panel_x, map_y);
    gp_map_emit_legend(f, items, n_items, plan->work_crs, panel_x, map_y + GP_MAP_PANEL_TOP);
    fputs("</svg>\n", f);
    st = gp_map_take(ctx, f, &buf, &len, out, size);
done:
    free(body_buf);
    free(buf);
    for (int32_t c = 0; it != NULL && c < n; c++) {
        if (it[c].shape != NULL) {
            GEOSGeom_destroy_r(h, it[c].shape);
        }
    }
    gp_free(it);
    gp_free(shapes);
    if (rd != NULL) {
        GEOSWKBReader_destroy_r(h, rd);
    }
    return st;
}
