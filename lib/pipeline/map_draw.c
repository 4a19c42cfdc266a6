/* SPDX-License-Identifier: MIT */
/** @file map_draw.c What the SVG maps share: paths, escaped text, text widths, the page's head,
 * north arrow and scale bar, label placement in buckets, and greedy colouring on adjacency. */

#include "map.h"

#include "core/context.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* DejaVu Sans advance widths of ASCII 32..126, in 1/2048 em (its hmtx table). */
static const uint16_t ADVANCE[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};

double gp_map_text_em(const char *s)
{
    double em = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 32 && *p < 127) {
            em += ADVANCE[*p - 32] / 2048.0;
        } else if ((*p & 0xC0) != 0x80) {
            em += 1.0; /* the lead byte of a character outside ASCII, or a control byte */
        }
    }
    return em;
}

gp_map_view gp_map_view_of(GEOSContextHandle_t h, GEOSGeometry *const *g, int32_t n)
{
    gp_map_view v = {INFINITY, INFINITY, -INFINITY, -INFINITY, 1, 0, 0};
    for (int32_t i = 0; i < n; i++) {
        double x0, y0, x1, y1;
        if (g[i] != NULL && GEOSGeom_getXMin_r(h, g[i], &x0) && GEOSGeom_getYMin_r(h, g[i], &y0) &&
            GEOSGeom_getXMax_r(h, g[i], &x1) && GEOSGeom_getYMax_r(h, g[i], &y1)) {
            v.minx = fmin(v.minx, x0);
            v.miny = fmin(v.miny, y0);
            v.maxx = fmax(v.maxx, x1);
            v.maxy = fmax(v.maxy, y1);
        }
    }
    if (!(v.maxx > v.minx && v.maxy > v.miny)) {
        v = (gp_map_view){0, 0, 1, 1, 1, 0, 0};
    }
    v.scale = GP_MAP_SPAN / fmax(v.maxx - v.minx, v.maxy - v.miny);
    v.width = (v.maxx - v.minx) * v.scale;
    v.height = (v.maxy - v.miny) * v.scale;
    return v;
}

static void emit_ring(FILE *f, GEOSContextHandle_t h, const GEOSGeometry *ring,
                      const gp_map_view *v)
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

void gp_map_emit_path(FILE *f, GEOSContextHandle_t h, const GEOSGeometry *g, const gp_map_view *v)
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
            gp_map_emit_path(f, h, GEOSGetGeometryN_r(h, g, i), v);
        }
    }
}

int gp_map_utf8_length(const unsigned char *p)
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

void gp_map_xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = gp_map_utf8_length(p);
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

void gp_map_date(char *out, size_t size)
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

/* Hatching for what breaks a bound, drawn over the fill. */
static const char DEFS[] =
    "<defs>"
    "<pattern id=\"over-max\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
    "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"8\" fill=\"#d00\" "
    "fill-opacity=\"0.55\"/></pattern>"
    "<pattern id=\"under-min\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
    "patternTransform=\"rotate(-45)\"><rect width=\"2\" height=\"8\" fill=\"#d00\" "
    "fill-opacity=\"0.45\"/></pattern>"
    "</defs>\n";

void gp_map_emit_head(FILE *f, double width, double height, const char *title)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
            "sans-serif\">\n<title>%s</title>\n%s"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            ceil(width), ceil(height), ceil(width), ceil(height), title, DEFS);
}

void gp_map_emit_north_scale(FILE *f, const gp_map_view *v, double x, double y)
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
}

gp_status gp_map_take(gp_context *ctx, FILE *f, char **buf, size_t *len, char **out,
                      size_t *size)
{
    /* open_memstream sets the buffer and its length on fclose */
    int bad = ferror(f);
    int closed = fclose(f);
    gp_status st = GP_OK;
    if (bad || closed != 0 || *buf == NULL) {
        st = gp_error_nomem(ctx, "the map");
    } else if (out != NULL) {
        /* hand out memory that gp_free releases */
        *out = gp_malloc(*len + 1);
        if (*out == NULL) {
            st = gp_error_nomem(ctx, "the map");
        } else {
            memcpy(*out, *buf, *len + 1);
            *size = *len;
        }
    }
    if (out != NULL) {
        free(*buf);
        *buf = NULL;
    }
    return st;
}

/* ---- label placement in buckets ------------------------------------------------------------ */

enum { CELL = 48 }; /* pixels: about a 3-digit label at the largest font */

struct gp_map_labels {
    int32_t nx, ny;
    int32_t *head;    /* nx * ny: first entry of each cell, -1 when empty */
    int32_t *next;    /* per entry: the next entry of its cell */
    int32_t *box_of;  /* per entry: index into box */
    int32_t n_entries, cap_entries, cap_box_of;
    gp_map_box *box;
    int32_t n_boxes, cap_boxes;
};

gp_status gp_map_labels_new(gp_context *ctx, double width, double height, gp_map_labels **out)
{
    gp_map_labels *l = gp_calloc(1, sizeof *l);
    if (l != NULL) {
        l->nx = (int32_t)fmin(4096, fmax(1, ceil(width / CELL)));
        l->ny = (int32_t)fmin(4096, fmax(1, ceil(height / CELL)));
        l->head = gp_malloc((size_t)l->nx * (size_t)l->ny * sizeof *l->head);
    }
    if (l == NULL || l->head == NULL) {
        gp_map_labels_free(l);
        *out = NULL;
        return gp_error_nomem(ctx, "the map's labels");
    }
    for (int64_t i = 0; i < (int64_t)l->nx * l->ny; i++) {
        l->head[i] = -1;
    }
    *out = l;
    return GP_OK;
}

void gp_map_labels_free(gp_map_labels *l)
{
    if (l != NULL) {
        gp_free(l->head);
        gp_free(l->next);
        gp_free(l->box_of);
        gp_free(l->box);
        gp_free(l);
    }
}

static int32_t cell_of(double x, int32_t n)
{
    double c = floor(x / CELL);
    return c < 0 ? 0 : c >= n ? n - 1 : (int32_t)c;
}

static int grow(void **p, int32_t *cap, int32_t need, size_t each)
{
    if (need <= *cap) {
        return 1;
    }
    int32_t cap2 = *cap ? *cap * 2 : 256;
    while (cap2 < need) {
        cap2 *= 2;
    }
    void *q = gp_realloc(*p, (size_t)cap2 * each);
    if (q == NULL) {
        return 0;
    }
    *p = q;
    *cap = cap2;
    return 1;
}

int gp_map_labels_place(gp_map_labels *l, const gp_map_box *b)
{
    int32_t cx0 = cell_of(b->x0, l->nx), cx1 = cell_of(b->x1, l->nx);
    int32_t cy0 = cell_of(b->y0, l->ny), cy1 = cell_of(b->y1, l->ny);
    for (int32_t cy = cy0; cy <= cy1; cy++) {
        for (int32_t cx = cx0; cx <= cx1; cx++) {
            for (int32_t e = l->head[cy * l->nx + cx]; e >= 0; e = l->next[e]) {
                const gp_map_box *p = &l->box[l->box_of[e]];
                if (b->x0 < p->x1 && p->x0 < b->x1 && b->y0 < p->y1 && p->y0 < b->y1) {
                    return 0;
                }
            }
        }
    }
    int32_t cells = (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
    if (!grow((void **)&l->box, &l->cap_boxes, l->n_boxes + 1, sizeof *l->box) ||
        !grow((void **)&l->next, &l->cap_entries, l->n_entries + cells, sizeof *l->next)) {
        return -1;
    }
    if (!grow((void **)&l->box_of, &l->cap_box_of, l->n_entries + cells, sizeof *l->box_of)) {
        return -1;
    }
    int32_t id = l->n_boxes++;
    l->box[id] = *b;
    for (int32_t cy = cy0; cy <= cy1; cy++) {
        for (int32_t cx = cx0; cx <= cx1; cx++) {
            int32_t e = l->n_entries++;
            l->box_of[e] = id;
            l->next[e] = l->head[cy * l->nx + cx];
            l->head[cy * l->nx + cx] = e;
        }
    }
    return 1;
}

/* ---- adjacency and colouring ------------------------------------------------------------- */

typedef struct {
    int32_t *items;
    int32_t n, cap;
    int nomem;
} hits;

static void collect(void *item, void *user)
{
    hits *h = user;
    if (!grow((void **)&h->items, &h->cap, h->n + 1, sizeof *h->items)) {
        h->nomem = 1;
        return;
    }
    h->items[h->n++] = *(const int32_t *)item;
}

static int by_value(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

gp_status gp_map_adjacency(gp_context *ctx, GEOSContextHandle_t h, GEOSGeometry *const *g,
                           int32_t n, int32_t **xadj_out, int32_t **adj_out)
{
    gp_status st = GP_OK;
    int32_t *ids = gp_calloc((size_t)n + 1, sizeof *ids);
    int32_t *xadj = gp_calloc((size_t)n + 1, sizeof *xadj);
    int32_t *adj = NULL;
    int32_t n_adj = 0, cap_adj = 0;
    hits found = {0};
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    if (ids == NULL || xadj == NULL || tree == NULL) {
        st = gp_error_nomem(ctx, "the map");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        ids[i] = i;
        if (g[i] != NULL) {
            GEOSSTRtree_insert_r(h, tree, g[i], &ids[i]);
        }
    }
    for (int32_t i = 0; i < n; i++) {
        xadj[i] = n_adj;
        if (g[i] == NULL) {
            continue;
        }
        found.n = 0;
        GEOSSTRtree_query_r(h, tree, g[i], collect, &found);
        if (found.nomem) {
            st = gp_error_nomem(ctx, "the map");
            goto done;
        }
        qsort(found.items, (size_t)found.n, sizeof *found.items, by_value);
        const GEOSPreparedGeometry *pg = found.n > 1 ? GEOSPrepare_r(h, g[i]) : NULL;
        for (int32_t k = 0; k < found.n && pg != NULL; k++) {
            int32_t j = found.items[k];
            if (j != i && GEOSPreparedIntersects_r(h, pg, g[j]) == 1) {
                if (!grow((void **)&adj, &cap_adj, n_adj + 1, sizeof *adj)) {
                    GEOSPreparedGeom_destroy_r(h, pg);
                    st = gp_error_nomem(ctx, "the map");
                    goto done;
                }
                adj[n_adj++] = j;
            }
        }
        if (pg != NULL) {
            GEOSPreparedGeom_destroy_r(h, pg);
        }
    }
    xadj[n] = n_adj;
done:
    if (tree != NULL) {
        GEOSSTRtree_destroy_r(h, tree);
    }
    gp_free(found.items);
    gp_free(ids);
    if (st != GP_OK) {
        gp_free(xadj);
        gp_free(adj);
        xadj = adj = NULL;
    }
    *xadj_out = xadj;
    *adj_out = adj;
    return st;
}

gp_status gp_map_colour_units(gp_context *ctx, int32_t n, const int32_t *xadj,
                              const int32_t *adj, const int32_t *unit, int n_colours,
                              int *colour)
{
    /* The items of each unit, in CSR by the unit's first item (a counting sort). */
    int32_t *first = gp_calloc((size_t)n + 2, sizeof *first);
    int32_t *member = gp_calloc((size_t)n + 1, sizeof *member);
    uint8_t *done = gp_calloc((size_t)n + 1, 1);
    if (first == NULL || member == NULL || done == NULL) {
        gp_free(first);
        gp_free(member);
        gp_free(done);
        return gp_error_nomem(ctx, "the map");
    }
    for (int32_t i = 0; i < n; i++) {
        first[unit[i] + 1]++;
    }
    for (int32_t u = 0; u < n; u++) {
        first[u + 1] += first[u];
    }
    int32_t *fill = gp_calloc((size_t)n + 1, sizeof *fill);
    for (int32_t i = 0; fill != NULL && i < n; i++) {
        member[first[unit[i]] + fill[unit[i]]++] = i;
    }
    gp_free(fill);
    if (n > 0 && fill == NULL) {
        gp_free(first);
        gp_free(member);
        gp_free(done);
        return gp_error_nomem(ctx, "the map");
    }
    for (int32_t u = 0; u < n; u++) {
        if (unit[u] != u) {
            continue;
        }
        uint64_t used = 0;
        for (int32_t m = first[u]; m < first[u + 1]; m++) {
            int32_t i = member[m];
            for (int32_t e = xadj[i]; e < xadj[i + 1]; e++) {
                int32_t v = unit[adj[e]];
                if (v != u && done[v]) {
                    used |= UINT64_C(1) << colour[v];
                }
            }
        }
        int c = 0;
        while (c < n_colours - 1 && (used & (UINT64_C(1) << c))) {
            c++;
        }
        colour[u] = c;
        done[u] = 1;
    }
    for (int32_t i = 0; i < n; i++) {
        colour[i] = colour[unit[i]];
    }
    gp_free(first);
    gp_free(member);
    gp_free(done);
    return GP_OK;
}
