/* SPDX-License-Identifier: MIT */
/** @file map_legend.c The maps' legend: each entry's swatch drawn as the map draws it. */

#include "map.h"

#include <stdio.h>

const char *const GP_MAP_PALETTE[GP_MAP_N_COLOURS] = {
    "#8dd3c7", "#ffffb3", "#bebada", "#e5d8bd", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};

enum { ITEM_H = 30, DETAIL_H = 16 };

const char *gp_map_mark_style(int swatch)
{
    switch (swatch) {
    case GP_SW_OVER:
    case GP_SW_OUT:
        return "fill=\"url(#over-max)\" stroke=\"#d00\" stroke-width=\"3\"";
    case GP_SW_UNDER:
        return "fill=\"url(#under-min)\" stroke=\"#d00\" stroke-width=\"3\" "
               "stroke-dasharray=\"6 3\"";
    case GP_SW_CUT:
        return "fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" stroke-dasharray=\"2 2\"";
    case GP_SW_CHANGED:
        return "fill=\"none\" stroke=\"#06c\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\"";
    case GP_SW_NEW:
        return "fill=\"none\" stroke=\"#909\" stroke-width=\"3\"";
    default:
        return NULL;
    }
}

double gp_map_legend_height(const gp_map_legend_item *it, int32_t n)
{
    double hgt = 36;
    for (int32_t i = 0; i < n; i++) {
        hgt += ITEM_H + (it[i].detail[0] ? DETAIL_H : 0);
    }
    return hgt;
}

/* The swatch of one legend entry in a 40 x 20 box at (x, y). */
static void emit_swatch(FILE *f, const gp_map_legend_item *it, double x, double y)
{
    switch (it->swatch) {
    case GP_SW_FILL:
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"19\" height=\"20\" fill=\"%s\" "
                "stroke=\"#666\" stroke-width=\"0.6\"/><rect x=\"%.0f\" y=\"%.0f\" "
                "width=\"19\" height=\"20\" fill=\"%s\" stroke=\"#666\" stroke-width=\"0.6\"/>",
                x, y, GP_MAP_PALETTE[0], x + 19, y, GP_MAP_PALETTE[1]);
        break;
    case GP_SW_SOLID:
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"40\" height=\"20\" fill=\"%s\" "
                "stroke=\"#666\" stroke-width=\"0.6\"/>",
                x, y, it->fill);
        break;
    case GP_SW_NUMBER:
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.0f\" font-size=\"15\" text-anchor=\"middle\" "
                "fill=\"#222\">470</text>",
                x + 20, y + 16);
        break;
    case GP_SW_LABEL:
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
                "fill=\"#222\">ID</text><text x=\"%.0f\" y=\"%.0f\" font-size=\"9\" "
                "text-anchor=\"middle\" fill=\"#222\">n grids</text>",
                x + 20, y + 8, x + 20, y + 19);
        break;
    case GP_SW_GRID_LINE:
    case GP_SW_COMMUNITY_LINE:
    case GP_SW_STREET:
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" %s/>", x, y + 10,
                x + 40, y + 10,
                it->swatch == GP_SW_GRID_LINE        ? "stroke=\"#666\" stroke-width=\"0.6\""
                : it->swatch == GP_SW_COMMUNITY_LINE ? "stroke=\"#000\" stroke-width=\"2.5\""
                                                     : "stroke=\"#999\" stroke-width=\"0.5\"");
        break;
    case GP_SW_OVER:
    case GP_SW_UNDER:
    case GP_SW_OUT:
    case GP_SW_CUT:
    case GP_SW_CHANGED:
    case GP_SW_NEW:
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"40\" height=\"20\" fill=\"%s\"/>"
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"40\" height=\"20\" %s/>",
                x, y, it->fill != NULL ? it->fill : GP_MAP_PALETTE[1], x, y,
                gp_map_mark_style(it->swatch));
        break;
    default:
        break;
    }
}

void gp_map_emit_legend(FILE *f, const gp_map_legend_item *it, int32_t n, const char *crs,
                        double x, double y)
{
    fprintf(f,
            "<g id=\"legend\" font-size=\"15\" fill=\"#111\">"
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"18\" font-weight=\"bold\">Legend</text>\n",
            x, y + 18);
    y += 36;
    for (int32_t i = 0; i < n; i++) {
        double tx = x + (it[i].swatch == GP_SW_NOTE ? 0 : 52);
        emit_swatch(f, &it[i], x, y);
        /* entries are plain ASCII the library wrote, apart from ids it escapes beforehand */
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>", tx, y + 15, it[i].text);
        if (it[i].detail[0]) {
            fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">%s</text>",
                    tx, y + 31, it[i].detail);
        }
        fputc('\n', f);
        y += ITEM_H + (it[i].detail[0] ? DETAIL_H : 0);
    }
    if (crs != NULL) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">Drawn in ", x,
                y + 14);
        gp_map_xml_text(f, crs);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}
