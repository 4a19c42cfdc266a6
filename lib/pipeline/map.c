/* SPDX-License-Identifier: MIT */
/** @file map.c The printable SVG map of a plan or of one community (a sheet): title, coloured
 * grids, streets, flags, labels sized to their grid and never overlapping, north arrow, scale
 * bar and legend. */

#include "map.h"
#include "outputs.h"

#include "core/context.h"
#include "core/memory.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fills of the colour mode "change": kept grids grey, changed ones blue, new ones purple, each
 * in CHANGE_TONES tones so that touching grids of one kind still differ (ColorBrewer Greys,
 * Blues, PuRd: light enough for dark labels). Index: kind * CHANGE_TONES + tone. */
enum { CHANGE_TONES = 4 };
static const char *const CHANGE_FILL[] = {
    "#e3e3e3", "#cccccc", "#f2f2f2", "#d6d6d6", /* no change (outside adjust): as kept */
    "#e3e3e3", "#cccccc", "#f2f2f2", "#d6d6d6", /* kept */
    "#9ecae1", "#c6dbef", "#6baed6", "#b3d3ea", /* changed */
    "#d4b9da", "#e7d4e8", "#c994c7", "#dcc6e0"  /* new */
};

/* Label sizes (pixels): the font grows with the grid's side on the map (place_labels), between
 * LABEL_MIN and LABEL_MAX; digits advance 0.64 em at most (DejaVu Sans 0.636). */
#define LABEL_MIN 8.0
#define LABEL_MAX 22.0
#define LABEL_PER_SIDE 4.5 /* the font is the grid's side on the map over this */
#define DIGIT_EM 0.64

/* The part of the plan a map draws: grids [g0, g1), blocks [b0, b1), communities [c0, c1);
 * a community's grids and blocks are contiguous in the plan. */
typedef struct {
    int32_t g0, g1, b0, b1, c0, c1;
    int32_t colour; /* resolved: never GP_MAP_COLOUR_AUTO */
} range;

static range range_of(const gp_plan *plan, const gp_map_scope *s)
{
    range r = {0, plan->n_grids, 0, plan->n_blocks, 0, plan->n_communities, s->colour};
    if (s->community >= 0) {
        const gp_plan_community *c = &plan->communities[s->community];
        r = (range){c->first_grid,  c->first_grid + c->n_grids, c->first_block,
                    c->first_block + c->n_blocks, s->community, s->community + 1, s->colour};
    }
    if (r.colour == GP_MAP_COLOUR_AUTO) {
        r.colour = plan->has_roster ? GP_MAP_COLOUR_WORKER : GP_MAP_COLOUR_GRID;
    }
    return r;
}

gp_status gp_map_colour_check(gp_context *ctx, const gp_plan *plan, int32_t colour)
{
    if (colour < GP_MAP_COLOUR_AUTO || colour > GP_MAP_COLOUR_COMMUNITY) {
        return gp_error(ctx, GP_ERR_ARG, "map colour %d is not a gp_map_colour value",
                        (int)colour);
    }
    if (colour == GP_MAP_COLOUR_WORKER && !plan->has_roster) {
        return gp_error(ctx, GP_ERR_ARG,
                        "the map's colour 'worker' needs a roster of workers (CLI --workers)");
    }
    if (colour == GP_MAP_COLOUR_CHANGE && !plan->adjust) {
        return gp_error(ctx, GP_ERR_ARG,
                        "the map's colour 'change' needs a previous division (gridpart adjust)");
    }
    return GP_OK;
}

typedef struct {
    const char *worker;
    int32_t i;
} worker_item;

static int by_worker(const void *a, const void *b)
{
    const worker_item *x = a, *y = b;
    int c = strcmp(x->worker, y->worker);
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* Each grid's unit (the index of its unit's first grid): itself, its worker's grids, or its
 * community's grids. */
static gp_status units_of(gp_context *ctx, const gp_plan *plan, const range *r, int32_t *unit)
{
    int32_t n = r->g1 - r->g0;
    const gp_plan_grid *g = plan->grids + r->g0;
    for (int32_t i = 0; i < n; i++) {
        unit[i] = i;
    }
    if (r->colour == GP_MAP_COLOUR_COMMUNITY) {
        for (int32_t i = 1; i < n; i++) {
            unit[i] = g[i].community == g[i - 1].community ? unit[i - 1] : i;
        }
    } else if (r->colour == GP_MAP_COLOUR_WORKER) {
        worker_item *order = gp_calloc((size_t)n + 1, sizeof *order);
        int32_t m = 0;
        if (order == NULL) {
            return gp_error_nomem(ctx, "the map");
        }
        for (int32_t i = 0; i < n; i++) {
            if (g[i].worker != NULL) {
                order[m++] = (worker_item){g[i].worker, i};
            }
        }
        qsort(order, (size_t)m, sizeof *order, by_worker);
        for (int32_t k = 1; k < m; k++) {
            if (strcmp(order[k].worker, order[k - 1].worker) == 0) {
                unit[order[k].i] = unit[order[k - 1].i];
            }
        }
        gp_free(order);
    }
    return GP_OK;
}

/* Colour each grid: by its change in that mode, else greedily on the grids' adjacency, a unit
 * (grid, worker's grids, community's grids) at a time, so touching units differ. */
static gp_status colour_grids(gp_context *ctx, GEOSContextHandle_t h, const gp_plan *plan,
                              const range *r, GEOSGeometry *const *grids, int *colour)
{
    int32_t n = r->g1 - r->g0;
    int change = r->colour == GP_MAP_COLOUR_CHANGE;
    int32_t *xadj = NULL, *adj = NULL;
    int32_t *unit = gp_calloc((size_t)n + 1, sizeof *unit);
    gp_status st = unit == NULL ? gp_error_nomem(ctx, "the map") : GP_OK;
    if (st == GP_OK && (st = units_of(ctx, plan, r, unit)) == GP_OK &&
        (st = gp_map_adjacency(ctx, h, grids, n, &xadj, &adj)) == GP_OK) {
        st = gp_map_colour_units(ctx, n, xadj, adj, unit,
                                 change ? CHANGE_TONES : GP_MAP_N_COLOURS, colour);
    }
    for (int32_t i = 0; change && i < n; i++) {
        int32_t c = plan->grids[r->g0 + i].change;
        colour[i] += (c >= 0 && c <= 3 ? c : 0) * CHANGE_TONES;
    }
    gp_free(unit);
    gp_free(xadj);
    gp_free(adj);
    return st;
}

static const char *fill_of(const range *r, int colour)
{
    return r->colour == GP_MAP_COLOUR_CHANGE ? CHANGE_FILL[colour] : GP_MAP_PALETTE[colour];
}

/* What the map shows that its legend must explain. */
typedef struct {
    int32_t over, under;          /* grids above the maximum, below the minimum */
    int32_t kept, changed, added; /* adjust: kept, changed and new grids */
    int32_t cut_pieces;           /* pieces of cut street blocks */
    int32_t placed, dropped;      /* grid labels drawn, left out */
    int64_t households;           /* in the grids drawn */
} map_facts;

/* A grid label: where, how big, and whether it is drawn. */
typedef struct {
    double x, y, font; /* baseline centre and font size, map pixels */
    gp_map_box box;
    int placed;
} label_box;

typedef struct {
    double area;
    int32_t i;
} by_area_item;

static int by_area(const void *a, const void *b)
{
    const by_area_item *x = a, *y = b;
    if (x->area != y->area) {
        return x->area < y->area ? 1 : -1; /* larger first */
    }
    return (x->i > y->i) - (x->i < y->i); /* ties by index keep the map reproducible */
}

/* Size each label to its grid. */
static void size_label(const gp_plan_grid *g, const gp_map_view *v, label_box *b)
{
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
    b->x = (g->label_x - v->minx) * v->scale;
    /* label_x/y is a point inside the grid; centre the digits' cap height on it */
    b->y = (v->maxy - g->label_y) * v->scale + 0.36 * font;
    b->font = font;
    double half = 0.5 * n * DIGIT_EM * font;
    b->box = (gp_map_box){b->x - half, b->y - GP_MAP_BOX_UP_EM * font, b->x + half,
                          b->y + GP_MAP_BOX_DOWN_EM * font};
    b->placed = 0;
}

/* Labels are placed greedily, larger grids first; a label whose box meets a placed one is left
 * out (its grid keeps its code and households in the hover <title>). */
static gp_status place_labels(gp_context *ctx, const gp_plan *plan, const range *r,
                              const gp_map_view *v, label_box *box, map_facts *facts)
{
    int32_t n = r->g1 - r->g0;
    by_area_item *order = gp_calloc((size_t)n + 1, sizeof *order);
    gp_map_labels *placer = NULL;
    gp_status st = order == NULL ? gp_error_nomem(ctx, "the map")
                                 : gp_map_labels_new(ctx, v->width, v->height, &placer);
    for (int32_t i = 0; st == GP_OK && i < n; i++) {
        size_label(&plan->grids[r->g0 + i], v, &box[i]);
        order[i] = (by_area_item){plan->grids[r->g0 + i].area, i};
    }
    if (st == GP_OK) {
        qsort(order, (size_t)n, sizeof *order, by_area);
    }
    for (int32_t k = 0; st == GP_OK && k < n; k++) {
        label_box *b = &box[order[k].i];
        int placed = gp_map_labels_place(placer, &b->box);
        if (placed < 0) {
            st = gp_error_nomem(ctx, "the map's labels");
        }
        b->placed = placed > 0;
        facts->placed += placed > 0;
        facts->dropped += placed == 0;
    }
    gp_map_labels_free(placer);
    gp_free(order);
    return st;
}

static void emit_tagline(FILE *f, const gp_plan *plan, const range *r, const map_facts *facts)
{
    char date[32];
    gp_map_date(date, sizeof date);
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"17\">%" PRId32 " grids, %" PRId64
            " households; %" PRId64 " to %" PRId64 " households per grid; %s</text>\n",
            GP_MAP_MARGIN, GP_MAP_MARGIN + 56, r->g1 - r->g0, facts->households,
            plan->min_households, plan->max_households, date);
}

static const char *kind_of(const gp_plan *plan)
{
    return plan->check_grids != NULL ? " (audit)" : plan->adjust ? " (adjusted)" : "";
}

/* The title band: what the map is, how many grids and households, the bounds, the date, and
 * the communities' ids as far as they fit on one line; a sheet names its community and links
 * to the overview. */
static void emit_title(FILE *f, const gp_plan *plan, const range *r, const gp_map_scope *s,
                       const map_facts *facts, double width)
{
    fprintf(f, "<g id=\"map-title\" fill=\"#111\">\n<text x=\"%d\" y=\"%d\" font-size=\"28\" "
               "font-weight=\"bold\">", GP_MAP_MARGIN, GP_MAP_MARGIN + 28);
    if (s->community >= 0) {
        fputs("Service grids of community ", f);
        gp_map_xml_text(f, plan->communities[s->community].id ? plan->communities[s->community].id
                                                              : "");
        fprintf(f, "%s</text>\n", kind_of(plan));
        emit_tagline(f, plan, r, facts);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#444\">Sheet %" PRId32
                   " of %" PRId32, GP_MAP_MARGIN, GP_MAP_MARGIN + 80, s->sheet, s->n_sheets);
        if (s->overview != NULL) {
            fputs("; the whole city: <a href=\"", f);
            gp_map_xml_text(f, s->overview);
            fputs("\" xlink:href=\"", f);
            gp_map_xml_text(f, s->overview);
            fputs("\"><tspan fill=\"#06c\" text-decoration=\"underline\">", f);
            gp_map_xml_text(f, s->overview);
            fputs("</tspan></a>", f);
        }
        fputs("</text>\n</g>\n", f);
        return;
    }
    fprintf(f, "Service grids of %" PRId32 " communit%s%s</text>\n", plan->n_communities,
            plan->n_communities == 1 ? "y" : "ies", kind_of(plan));
    emit_tagline(f, plan, r, facts);
    /* Ids are estimated at 0.6 em per byte (wide for CJK, whose 3 bytes take 1 em): the line
     * stops before the page's edge and says how many ids it left out. */
    double budget = (width - 2 * GP_MAP_MARGIN) / (0.6 * 14) - 16;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#444\">Communities: ",
            GP_MAP_MARGIN, GP_MAP_MARGIN + 80);
    double used = 13;
    int32_t shown = 0;
    for (; shown < plan->n_communities; shown++) {
        const char *id = plan->communities[shown].id ? plan->communities[shown].id : "";
        double need = (double)strlen(id) + (shown ? 2 : 0);
        if (used + need > budget) {
            break;
        }
        fputs(shown ? ", " : "", f);
        gp_map_xml_text(f, id);
        used += need;
    }
    if (shown < plan->n_communities) {
        fprintf(f, " and %" PRId32 " more", plan->n_communities - shown);
    }
    fputs("</text>\n</g>\n", f);
}

/* The first legend entries: what the fills mean in the colour mode. */
static int32_t fill_items(const range *r, const map_facts *m, gp_map_legend_item *it)
{
    int32_t n = 0;
    switch (r->colour) {
    case GP_MAP_COLOUR_WORKER:
        it[n++] = (gp_map_legend_item){GP_SW_FILL, NULL, "Grids of one worker",
                                       "one colour per worker"};
        break;
    case GP_MAP_COLOUR_COMMUNITY:
        it[n++] = (gp_map_legend_item){GP_SW_FILL, NULL, "Grids of one community",
                                       "colours only tell neighbouring communities apart"};
        break;
    case GP_MAP_COLOUR_CHANGE: {
        static const char *const what[] = {"Kept grid", "Changed grid", "New grid"};
        const int32_t count[] = {m->kept, m->changed, m->added};
        for (int k = 0; k < 3; k++) {
            it[n] = (gp_map_legend_item){GP_SW_SOLID, CHANGE_FILL[(k + 1) * CHANGE_TONES], "",
                                         ""};
            snprintf(it[n].text, sizeof it[n].text, "%s", what[k]);
            snprintf(it[n++].detail, sizeof it[0].detail,
                     "%" PRId32 " grids; tones tell touching ones apart",
                     count[k]);
        }
        break;
    }
    default:
        it[n++] = (gp_map_legend_item){GP_SW_FILL, NULL, "Grid",
                                       "colours only tell neighbouring grids apart"};
    }
    return n;
}

static int32_t legend_items(const gp_plan *plan, const range *r, const map_facts *m,
                            gp_map_legend_item *it)
{
    int32_t n = fill_items(r, m, it);
    it[n++] = (gp_map_legend_item){GP_SW_NUMBER, NULL, "Households in the grid", ""};
    it[n++] = (gp_map_legend_item){GP_SW_GRID_LINE, NULL, "Grid border", ""};
    it[n++] = (gp_map_legend_item){GP_SW_COMMUNITY_LINE, NULL, "Community border", ""};
    it[n++] = (gp_map_legend_item){GP_SW_STREET, NULL, "Street", ""};
    if (m->over > 0) {
        it[n] = (gp_map_legend_item){GP_SW_OVER, NULL, "", ""};
        snprintf(it[n].text, sizeof it[n].text, "Over the maximum of %" PRId64,
                 plan->max_households);
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " grid%s", m->over,
                 m->over == 1 ? "" : "s");
    }
    if (m->under > 0) {
        it[n] = (gp_map_legend_item){GP_SW_UNDER, NULL, "", ""};
        snprintf(it[n].text, sizeof it[n].text, "Under the minimum of %" PRId64,
                 plan->min_households);
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " grid%s", m->under,
                 m->under == 1 ? "" : "s");
    }
    if (m->cut_pieces > 0) {
        it[n] = (gp_map_legend_item){GP_SW_CUT, NULL, "Piece of a cut street block", ""};
        snprintf(it[n++].detail, sizeof it[0].detail,
                 "%" PRId32 " pieces, cut between buildings or along paths", m->cut_pieces);
    }
    if (r->colour != GP_MAP_COLOUR_CHANGE && m->changed > 0) {
        it[n] = (gp_map_legend_item){GP_SW_CHANGED, NULL, "Changed grid", ""};
        snprintf(it[n++].detail, sizeof it[0].detail,
                 "%" PRId32 " changed since the previous division", m->changed);
    }
    if (r->colour != GP_MAP_COLOUR_CHANGE && m->added > 0) {
        it[n] = (gp_map_legend_item){GP_SW_NEW, NULL, "New grid", ""};
        snprintf(it[n++].detail, sizeof it[0].detail, "%" PRId32 " with a new code", m->added);
    }
    if (m->dropped > 0) {
        it[n] = (gp_map_legend_item){GP_SW_NOTE, NULL, "",
                                     "every grid's code: hover it, or see the grids layer"};
        snprintf(it[n++].text, sizeof it[0].text, "%" PRId32 " small grid%s not labelled",
                 m->dropped, m->dropped == 1 ? "" : "s");
    }
    return n;
}

/* The grids: their colour, their hover title (code, households, change, worker). */
static void emit_grids(FILE *f, GEOSContextHandle_t h, const gp_plan *plan, const range *r,
                       GEOSGeometry *const *grids, const int *colour, const gp_map_view *v)
{
    fputs("<g id=\"grids\" stroke=\"#666\" stroke-width=\"0.6\">\n", f);
    for (int32_t i = 0; i < r->g1 - r->g0; i++) {
        if (grids[i] == NULL) {
            continue;
        }
        int32_t gi = r->g0 + i;
        const gp_plan_grid *g = &plan->grids[gi];
        fprintf(f, "<path fill=\"%s\" fill-rule=\"evenodd\"%s%s%s d=\"", fill_of(r, colour[i]),
                g->change > 0 ? " class=\"" : "",
                g->change > 0 ? gp_plan_grid_change(plan, gi) : "", g->change > 0 ? "\"" : "");
        gp_map_emit_path(f, h, grids[i], v);
        fputs("\"><title>", f);
        gp_map_xml_text(f, g->code);
        fprintf(f, ": %" PRId64 " households", g->households);
        if (g->change > 0) {
            fprintf(f, ", %s", gp_plan_grid_change(plan, gi));
        }
        if (g->worker != NULL) {
            fputs(", worker ", f);
            gp_map_xml_text(f, g->worker);
        }
        fputs("</title></path>\n", f);
    }
    fputs("</g>\n", f);
}

/* Marks over the grids, above streets so that nothing hides them: outside the bounds (red,
 * hatched), changed (dashed blue) and new (purple) after adjust unless the fills show it; a
 * broken bound wins. */
static void emit_marks(FILE *f, GEOSContextHandle_t h, const gp_plan *plan, const range *r,
                       GEOSGeometry *const *grids, const gp_map_view *v, map_facts *m)
{
    fputs("<g id=\"marks\" fill=\"none\" pointer-events=\"none\">\n", f);
    for (int32_t i = 0; i < r->g1 - r->g0; i++) {
        const gp_plan_grid *g = &plan->grids[r->g0 + i];
        int over = g->households > plan->max_households;
        int under = g->households < plan->min_households;
        m->over += over;
        m->under += under;
        m->kept += g->change == GP_GRID_KEPT;
        int bounds = over || under;
        if (r->colour == GP_MAP_COLOUR_CHANGE) {
            m->changed += g->change == GP_GRID_CHANGED;
            m->added += g->change == GP_GRID_NEW;
        } else {
            m->changed += !bounds && g->change == GP_GRID_CHANGED;
            m->added += !bounds && g->change == GP_GRID_NEW;
        }
        int show_change = r->colour != GP_MAP_COLOUR_CHANGE;
        const char *mark = gp_map_mark_style(over    ? GP_SW_OVER
                                             : under ? GP_SW_UNDER
                                             : show_change && g->change == GP_GRID_CHANGED
                                                 ? GP_SW_CHANGED
                                             : show_change && g->change == GP_GRID_NEW
                                                 ? GP_SW_NEW
                                                 : GP_SW_NOTE);
        if (mark == NULL || grids[i] == NULL) {
            continue;
        }
        fprintf(f, "<path %s fill-rule=\"evenodd\" d=\"", mark);
        gp_map_emit_path(f, h, grids[i], v);
        fputs("\"/>\n", f);
    }
    fputs("</g>\n", f);
}

static GEOSGeometry *read_shape(GEOSContextHandle_t h, GEOSWKBReader *rd, const gp_plan_shape *s)
{
    return s->wkb_work ? GEOSWKBReader_read_r(h, rd, s->wkb_work, s->wkb_work_size) : NULL;
}

/* A stored shape as a <path> element of its own; nothing when it cannot be read. */
static void emit_shape(FILE *f, GEOSContextHandle_t h, GEOSWKBReader *rd,
                       const gp_plan_shape *shape, const gp_map_view *v)
{
    GEOSGeometry *s = read_shape(h, rd, shape);
    if (s != NULL) {
        fputs("<path d=\"", f);
        gp_map_emit_path(f, h, s, v);
        fputs("\"/>\n", f);
        GEOSGeom_destroy_r(h, s);
    }
}

/* A map's working state. */
typedef struct {
    GEOSContextHandle_t h;
    GEOSWKBReader *reader;
    GEOSGeometry **grids;
    int *colour;
    label_box *box;
    gp_map_view v;
    map_facts facts;
} map_state;

/* The map under the title: grids, streets, cut pieces, marks, community borders, labels. */
static void emit_body(FILE *f, const gp_plan *plan, const range *r, const gp_map_scope *s,
                      map_state *m)
{
    GEOSContextHandle_t h = m->h;
    const gp_map_view *v = &m->v;
    emit_grids(f, h, plan, r, m->grids, m->colour, v);
    fputs("<g id=\"streets\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.5\">\n", f);
    for (int32_t i = 0; i < plan->n_streets; i++) {
        const gp_map_box *e = s->street_env != NULL ? &s->street_env[i] : NULL;
        if (e == NULL ||
            (e->x0 <= v->maxx && v->minx <= e->x1 && e->y0 <= v->maxy && v->miny <= e->y1)) {
            emit_shape(f, h, m->reader, &plan->streets[i], v);
        }
    }
    fprintf(f, "</g>\n<g id=\"cut-blocks\" %s pointer-events=\"none\">\n",
            gp_map_mark_style(GP_SW_CUT));
    for (int32_t i = r->b0; i < r->b1; i++) {
        if (!plan->blocks[i].on_streets) {
            emit_shape(f, h, m->reader, &plan->blocks[i].shape, v);
            m->facts.cut_pieces++;
        }
    }
    fputs("</g>\n", f);
    emit_marks(f, h, plan, r, m->grids, v, &m->facts);
    fputs("<g id=\"communities\" fill=\"none\" stroke=\"#000\" stroke-width=\"2.5\">\n", f);
    for (int32_t i = r->c0; i < r->c1; i++) {
        emit_shape(f, h, m->reader, &plan->communities[i].shape, v);
    }
    /* A white halo (paint-order stroke) keeps labels legible on any fill and over lines. */
    fprintf(f,
            "</g>\n<g id=\"labels\" text-anchor=\"middle\" fill=\"#111\" stroke=\"white\" "
            "stroke-width=\"2.5\" stroke-opacity=\"0.8\" paint-order=\"stroke\" "
            "pointer-events=\"none\" data-placed=\"%" PRId32 "\" data-dropped=\"%" PRId32 "\">\n",
            m->facts.placed, m->facts.dropped);
    for (int32_t i = 0; i < r->g1 - r->g0; i++) {
        if (m->box[i].placed) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">%" PRId64 "</text>\n",
                    m->box[i].x, m->box[i].y, m->box[i].font, plan->grids[r->g0 + i].households);
        }
    }
    fputs("</g>\n", f);
}

/* The page around the body: head, title, the clipped map, the panel. */
static void emit_page(FILE *f, const gp_plan *plan, const range *r, const gp_map_scope *s,
                      const map_state *m, const char *body, size_t body_len)
{
    gp_map_legend_item items[GP_MAP_MAX_LEGEND];
    int32_t n_items = legend_items(plan, r, &m->facts, items);
    double map_x = GP_MAP_MARGIN, map_y = GP_MAP_MARGIN + GP_MAP_TITLE_H;
    double panel_x = map_x + m->v.width + GP_MAP_PANEL_GAP;
    double panel_h = GP_MAP_PANEL_TOP + gp_map_legend_height(items, n_items) + 30;
    double width = panel_x + GP_MAP_PANEL_W + GP_MAP_MARGIN;
    double height = map_y + fmax(m->v.height, panel_h) + GP_MAP_MARGIN;
    char title[128];
    snprintf(title, sizeof title, "gridpart: %" PRId32 " grids in %" PRId32 " communit%s",
             r->g1 - r->g0, r->c1 - r->c0, r->c1 - r->c0 == 1 ? "y" : "ies");
    gp_map_emit_head(f, width, height, title);
    emit_title(f, plan, r, s, &m->facts, width);
    /* Streets reach past the grids: the map is clipped to its frame, off the title and panel. */
    fprintf(f,
            "<clipPath id=\"map-frame\"><rect x=\"-4\" y=\"-4\" width=\"%.0f\" "
            "height=\"%.0f\"/></clipPath>\n<g id=\"map\" transform=\"translate(%.0f %.0f)\" "
            "clip-path=\"url(#map-frame)\">\n",
            m->v.width + 8, m->v.height + 8, map_x, map_y);
    fwrite(body, 1, body_len, f);
    fputs("</g>\n", f);
    gp_map_emit_north_scale(f, &m->v, panel_x, map_y);
    gp_map_emit_legend(f, items, n_items, plan->work_crs, panel_x, map_y + GP_MAP_PANEL_TOP);
    fputs("</svg>\n", f);
}

/* Read the grids, frame them, colour them and place their labels. */
static gp_status prepare(gp_context *ctx, const gp_plan *plan, const range *r, map_state *m)
{
    int32_t n = r->g1 - r->g0;
    m->reader = GEOSWKBReader_create_r(m->h);
    m->grids = gp_calloc((size_t)n + 1, sizeof *m->grids);
    m->colour = gp_calloc((size_t)n + 1, sizeof *m->colour);
    m->box = gp_calloc((size_t)n + 1, sizeof *m->box);
    if (m->reader == NULL || m->grids == NULL || m->colour == NULL || m->box == NULL) {
        return gp_error_nomem(ctx, "the map");
    }
    for (int32_t i = 0; i < n; i++) {
        m->grids[i] = read_shape(m->h, m->reader, &plan->grids[r->g0 + i].shape);
        m->facts.households += plan->grids[r->g0 + i].households;
    }
    m->v = gp_map_view_of(m->h, m->grids, n);
    gp_status st = colour_grids(ctx, m->h, plan, r, m->grids, m->colour);
    return st != GP_OK ? st : place_labels(ctx, plan, r, &m->v, m->box, &m->facts);
}

static void release(const range *r, map_state *m)
{
    for (int32_t i = 0; m->grids != NULL && i < r->g1 - r->g0; i++) {
        if (m->grids[i] != NULL) {
            GEOSGeom_destroy_r(m->h, m->grids[i]);
        }
    }
    gp_free(m->grids);
    gp_free(m->colour);
    gp_free(m->box);
    if (m->reader != NULL) {
        GEOSWKBReader_destroy_r(m->h, m->reader);
    }
}

gp_status gp_map_render_scope(gp_context *ctx, const gp_plan *plan, const gp_map_scope *scope,
                              char **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    gp_status st = gp_map_colour_check(ctx, plan, scope->colour);
    if (st != GP_OK) {
        return st;
    }
    range r = range_of(plan, scope);
    map_state m = {.h = gp_ctx_geos(ctx)};
    if (m.h == NULL) {
        return gp_context_last_status(ctx);
    }
    char *body_buf = NULL, *buf = NULL;
    size_t body_len = 0, len = 0;
    if ((st = prepare(ctx, plan, &r, &m)) != GP_OK) {
        goto done;
    }
    /* The map itself goes to its own buffer first: the legend lists what it drew, and the
     * page's size depends on the legend's. */
    FILE *body = open_memstream(&body_buf, &body_len);
    if (body == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    emit_body(body, plan, &r, scope, &m);
    if ((st = gp_map_take(ctx, body, &body_buf, &body_len, NULL, NULL)) != GP_OK) {
        goto done;
    }
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    emit_page(f, plan, &r, scope, &m, body_buf, body_len);
    st = gp_map_take(ctx, f, &buf, &len, out, size);
done:
    free(body_buf);
    free(buf);
    release(&r, &m);
    return st;
}

gp_status gp_map_render(gp_context *ctx, const gp_plan *plan, char **out, size_t *size)
{
    gp_map_scope whole = {-1, 0, 0, NULL, GP_MAP_COLOUR_AUTO, NULL};
    return gp_map_render_scope(ctx, plan, &whole, out, size);
}

gp_status gp_map_stage(gp_context *ctx, const gp_plan *plan, int32_t colour, gp_stage *stage,
                       const char *path)
{
    gp_map_scope whole = {-1, 0, 0, NULL, colour, NULL};
    char *buf = NULL;
    size_t size = 0;
    gp_status st = gp_map_render_scope(ctx, plan, &whole, &buf, &size);
    if (st == GP_OK) {
        st = gp_stage_file(ctx, stage, path, buf, size);
    }
    gp_free(buf);
    return st;
}
