/* SPDX-License-Identifier: MIT */
/**
 * @file test_mapsheets.c The maps of a whole city (issue #14): gp_plan_write_map_sheets and
 * gp_outputs_set_map_sheets write overview.svg and one sheet per community, all or nothing;
 * gp_outputs_set_map_colour chooses what the fills tell apart.
 */

#define _GNU_SOURCE /* mkdtemp, strcasestr */
#define _LARGEFILE64_SOURCE

#include "gridpart.h"

#include "demo_fixture.h"

#include <cpl_vsi.h>
#include <gdal.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gp_context *ctx;
static gp_inputs *in;
static gp_plan *plan;
static char tmp[256];

/* The demo's 12 communities, in plan order. */
static const char *const IDS[] = {"640106003001", "640106003002", "640106003003", "640106003004",
                                  "640106003005", "640106003007", "640106003008", "640106003009",
                                  "640106003010", "640106003011", "640106003012", "640106003013"};
enum { N_IDS = 12 };

static void setup(void)
{
    demo_run(&ctx, &in, &plan);
    snprintf(tmp, sizeof tmp, "/tmp/gp-mapsheets-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    GDALAllRegister();
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_context_free(ctx);
}

TestSuite(mapsheets, .init = setup, .fini = teardown, .timeout = 300);

/* A file's content (malloc'd), or NULL when absent. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Entries of a folder (not . and ..), -1 when it does not exist. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

/* The distinct fills of the grid paths of an SVG (at most 16 counted). */
static int grid_fills(const char *svg)
{
    const char *g = strstr(svg, "<g id=\"grids\"");
    const char *end = g ? strstr(g, "</g>") : NULL;
    cr_assert(g != NULL && end != NULL);
    char seen[16][8];
    int n = 0;
    for (const char *p = g; (p = strstr(p, "<path fill=\"")) != NULL && p < end; p++) {
        char c[8];
        memcpy(c, p + 12, 7);
        c[7] = '\0';
        int k = 0;
        while (k < n && strcmp(seen[k], c) != 0) {
            k++;
        }
        if (k == n && n < 16) {
            strcpy(seen[n++], c);
        }
    }
    return n;
}

Test(mapsheets, overview_and_one_sheet_per_community)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/maps", tmp);
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, dir), GP_OK, "%s",
                 gp_context_last_error(ctx));
    cr_assert_eq(entries(dir), N_IDS + 1, "overview.svg and 12 sheets, no temporaries");
    snprintf(path, sizeof path, "%s/overview.svg", dir);
    char *overview = slurp(path);
    cr_assert_not_null(overview);
    cr_assert_not_null(strstr(overview, "Service grids of 12 communities: overview"));
    cr_assert_not_null(strstr(overview, "id=\"legend\""));
    cr_assert_not_null(strstr(overview, "id=\"scale-bar\""));
    cr_assert_not_null(strstr(overview, "id=\"north-arrow\""));
    for (int i = 0; i < N_IDS; i++) {
        char want[128];
        snprintf(want, sizeof want, "<a href=\"%s.svg\"", IDS[i]);
        cr_assert_not_null(strstr(overview, want), "overview links %s", IDS[i]);
        snprintf(path, sizeof path, "%s/%s.svg", dir, IDS[i]);
        char *sheet = slurp(path);
        cr_assert_not_null(sheet, "%s", path);
        snprintf(want, sizeof want, "Service grids of community %s</text>", IDS[i]);
        cr_assert_not_null(strstr(sheet, want), "%s", path);
        snprintf(want, sizeof want, "Sheet %d of 12", i + 1);
        cr_assert_not_null(strstr(sheet, want), "%s", path);
        /* the sheet draws its community's grids only */
        int n = 0;
        for (const char *p = sheet; (p = strstr(p, "<title>")) != NULL; p++) {
            n += strncmp(p + 7, "gridpart", 8) != 0;
        }
        cr_assert_eq(n, gp_plan_community_grids(plan, i), "%s: %d grids", IDS[i], n);
        free(sheet);
    }
    free(overview);
    /* a second write without overwrite changes nothing */
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, dir), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "overview.svg"), "%s",
                       gp_context_last_error(ctx));
}

Test(mapsheets, missing_parent_is_an_io_error_naming_the_folder)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/absent/maps", tmp);
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, dir), GP_ERR_IO);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), dir), "%s",
                       gp_context_last_error(ctx));
    cr_assert_eq(entries(tmp), 0, "nothing written");
}

Test(mapsheets, a_file_is_no_folder)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/maps", tmp);
    put(dir, "a file");
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, dir), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), dir));
    char *s = slurp(dir);
    cr_assert_str_eq(s, "a file");
    free(s);
}

/* One existing sheet stops the whole write before anything is written: no overview, no other
 * sheet, the layers of the same output set neither; with overwrite every sheet is replaced and
 * a file of the folder gridpart does not own stays. */
Test(mapsheets, an_existing_sheet_keeps_everything_as_it_was)
{
    char dir[512], path[600], layers[600];
    snprintf(dir, sizeof dir, "%s/maps", tmp);
    cr_assert_eq(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/640106003009.svg", dir);
    put(path, "old sheet");
    char notes[600];
    snprintf(notes, sizeof notes, "%s/notes.txt", dir);
    put(notes, "mine");
    snprintf(layers, sizeof layers, "%s/grids.gpkg", tmp);
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_set_layers(ctx, o, layers, NULL), GP_OK);
    cr_assert_eq(gp_outputs_set_map_sheets(ctx, o, dir), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), path), "%s",
                       gp_context_last_error(ctx));
    cr_assert_eq(entries(dir), 2, "only the two files that were there");
    cr_assert_eq(access(layers, F_OK), -1, "the layers were not written either");
    char *s = slurp(path);
    cr_assert_str_eq(s, "old sheet");
    free(s);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, o, 1), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    s = slurp(path);
    cr_assert_not_null(strstr(s, "Service grids of community 640106003009"));
    free(s);
    s = slurp(notes);
    cr_assert_str_eq(s, "mine");
    free(s);
    cr_assert_eq(entries(dir), N_IDS + 2);
    gp_outputs_free(o);
}

Test(mapsheets, colour_modes)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/maps", tmp);
    gp_outputs *o = NULL;
    cr_assert_eq(gp_outputs_new(&o), GP_OK);
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, 5), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, -1), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_map_colour(NULL, NULL, 1), GP_ERR_ARG);
    cr_assert_eq(gp_outputs_set_map_sheets(ctx, o, dir), GP_OK);
    /* what the plan lacks: checked before a run against the inputs, and when written */
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, GP_MAP_COLOUR_WORKER), GP_OK);
    cr_assert_eq(gp_outputs_check(ctx, o, in), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "roster"));
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "roster"));
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, GP_MAP_COLOUR_CHANGE), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_ERR_ARG);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "adjust"));
    cr_assert_eq(entries(dir), -1, "the folder was not made");
    /* community: a sheet (one community) has one fill; grid: touching grids differ */
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, GP_MAP_COLOUR_COMMUNITY), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    snprintf(path, sizeof path, "%s/%s.svg", dir, IDS[1]);
    char *s = slurp(path);
    cr_assert_eq(grid_fills(s), 1);
    cr_assert_not_null(strstr(s, "Grids of one community"));
    free(s);
    cr_assert_eq(gp_outputs_set_map_colour(ctx, o, GP_MAP_COLOUR_GRID), GP_OK);
    cr_assert_eq(gp_outputs_set_overwrite(ctx, o, 1), GP_OK);
    cr_assert_eq(gp_plan_write_outputs(ctx, plan, o), GP_OK, "%s", gp_context_last_error(ctx));
    s = slurp(path);
    cr_assert_geq(gp_plan_community_grids(plan, 1), 2);
    cr_assert_geq(grid_fills(s), 2);
    free(s);
    gp_outputs_free(o);
}

Test(mapsheets, in_memory)
{
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, "/vsimem/gp-sheets/"), GP_OK, "%s",
                 gp_context_last_error(ctx));
    VSIStatBufL st;
    cr_assert_eq(VSIStatL("/vsimem/gp-sheets/overview.svg", &st), 0);
    cr_assert_eq(VSIStatL("/vsimem/gp-sheets/640106003013.svg", &st), 0);
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, "/vsimem/gp-sheets"), GP_ERR_ARG);
    VSIRmdirRecursive("/vsimem/gp-sheets");
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, NULL), GP_ERR_ARG);
    cr_assert_eq(gp_plan_write_map_sheets(ctx, plan, ""), GP_ERR_ARG);
}
