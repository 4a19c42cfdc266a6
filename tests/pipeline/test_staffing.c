/* SPDX-License-Identifier: MIT */
/** @file test_staffing.c Staffing rules, the grid groups of fewer workers than grids, and the
 * roster through gp_run on the demo data: assignment, holders, no_worker, bad rosters. */

#include "core/context.h"
#include "core/memory.h"
#include "pipeline/plan.h"
#include "pipeline/roster.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gp_context *ctx;
static gp_options *opts;
static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_staffing_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(staffing, .init = setup, .fini = teardown);

/* ---- the rules ------------------------------------------------------------------------------ */

Test(staffing, zhejiang_default_at_the_thresholds)
{
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "zhejiang"), GP_OK);
    cr_assert_eq(gp_options_get_staffing(opts), GP_STAFFING_ZHEJIANG);
    cr_assert_eq(gp_staffing_required(opts, 0, -1, 0), 6);
    cr_assert_eq(gp_staffing_required(opts, 1999, -1, 5), 6);
    cr_assert_eq(gp_staffing_required(opts, 2000, -1, 5), 6);
    cr_assert_eq(gp_staffing_required(opts, 2001, -1, 5), 7);
    cr_assert_eq(gp_staffing_required(opts, 2350, -1, 5), 7);
    cr_assert_eq(gp_staffing_required(opts, 2351, -1, 5), 8);
    cr_assert_eq(gp_staffing_required(opts, 4170, -1, 5), 13); /* 6 + ceil(2170 / 350) */
    char text[128];
    gp_options_staffing_text(opts, text, sizeof text);
    cr_assert_str_eq(text, "zhejiang:base=6,above=2000,per=350");
}

Test(staffing, zhejiang_parameters)
{
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "zhejiang:base=8,above=1500,per=300"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 1500, -1, 1), 8);
    cr_assert_eq(gp_staffing_required(opts, 1800, -1, 1), 9);
    cr_assert_eq(gp_staffing_required(opts, 1801, -1, 1), 10);
    /* A parameter not named keeps its default. */
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "zhejiang:per=400"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 2400, -1, 1), 7);
    cr_assert_eq(gp_staffing_required(opts, 2401, -1, 1), 8);
}

Test(staffing, per10k_residents_and_persons)
{
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "per10k:16"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 0, 10000, 0), 16);
    cr_assert_eq(gp_staffing_required(opts, 0, 10001, 0), 17);
    cr_assert_eq(gp_staffing_required(opts, 0, 625, 0), 1);
    cr_assert_eq(gp_staffing_required(opts, 0, 0, 0), 0);
    /* Without residents: households x 2.6 = 26,000 residents: ceil(41.6). */
    cr_assert_eq(gp_staffing_required(opts, 10000, -1, 0), 42);
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "per10k:18,persons=3"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 1000, -1, 0), 6); /* ceil(5.4) */
    char text[128];
    gp_options_staffing_text(opts, text, sizeof text);
    cr_assert_str_eq(text, "per10k:18,persons=3");
}

Test(staffing, grid_and_none)
{
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "grid"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 5000, -1, 7), 7);
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "none"), GP_OK);
    cr_assert_eq(gp_staffing_required(opts, 5000, -1, 7), 0);
    cr_assert_eq(gp_options_set_staffing(ctx, opts, NULL), GP_OK);
    cr_assert_eq(gp_options_get_staffing(opts), GP_STAFFING_NONE);
}

Test(staffing, bad_rules_are_refused_by_name)
{
    static const char *const bad[][2] = {
        {"bogus", "bogus"},           {"zhejiang:per=0", "per=0"},
        {"zhejiang:base=-1", "base=-1"}, {"zhejiang:foo=1", "foo"},
        {"per10k", "per10k needs N"}, {"per10k:abc", "N=abc"},
        {"per10k:16,persons=0", "persons=0"}, {"grid:3", "grid:3"},
        {"zhejiang:base", "base"},
    };
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "zhejiang:base=7"), GP_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(gp_options_set_staffing(ctx, opts, bad[i][0]), GP_ERR_ARG, "%s", bad[i][0]);
        cr_assert_not_null(strstr(gp_context_last_error(ctx), bad[i][1]), "%s: %s", bad[i][0],
                           gp_context_last_error(ctx));
    }
    /* Unchanged by the refused ones. */
    cr_assert_eq(gp_staffing_required(opts, 0, -1, 0), 7);
}

/* ---- grid groups -------------------------------------------------------------------------- */

/* Are the vertices of group q connected within the group? */
static int group_connected(int32_t n, const int32_t *xadj, const int32_t *adjncy,
                           const int32_t *group, int32_t q)
{
    int32_t queue[64], seen[64] = {0}, head = 0, tail = 0, members = 0;
    for (int32_t v = 0; v < n; v++) {
        members += group[v] == q;
        if (tail == 0 && group[v] == q) {
            queue[tail++] = v;
            seen[v] = 1;
        }
    }
    while (head < tail) {
        int32_t v = queue[head++];
        for (int32_t e = xadj[v]; e < xadj[v + 1]; e++) {
            if (!seen[adjncy[e]] && group[adjncy[e]] == q) {
                seen[adjncy[e]] = 1;
                queue[tail++] = adjncy[e];
            }
        }
    }
    return members > 0 && tail == members;
}

Test(staffing, groups_of_a_path_are_contiguous_and_even)
{
    /* 0-1-2-3-4-5, workload 1 each, 3 workers: two grids each, consecutive. */
    int32_t xadj[] = {0, 1, 3, 5, 7, 9, 10};
    int32_t adjncy[] = {1, 0, 2, 1, 3, 2, 4, 3, 5, 4};
    int64_t hh[] = {400, 400, 400, 400, 400, 400};
    double wl[] = {1, 1, 1, 1, 1, 1};
    int32_t group[6];
    int pooled = -1;
    cr_assert_eq(gp_grid_groups(ctx, 6, xadj, adjncy, hh, wl, 3, 1, group, &pooled), GP_OK,
                 "%s", gp_context_last_error(ctx));
    cr_assert_eq(pooled, 0);
    int32_t count[3] = {0};
    for (int v = 0; v < 6; v++) {
        cr_assert(group[v] >= 0 && group[v] < 3);
        count[group[v]]++;
    }
    for (int q = 0; q < 3; q++) {
        cr_assert_eq(count[q], 2, "group %d has %d grids", q, count[q]);
        cr_assert(group_connected(6, xadj, adjncy, group, q));
    }
}

Test(staffing, groups_follow_the_parts_of_a_disconnected_community)
{
    /* Parts {0,1,2} (workload 3 each) and {3,4} (workload 1 each), 3 workers: the heavy part
     * gets two, the light one one; every group lies in one part. */
    int32_t xadj[] = {0, 1, 3, 4, 5, 6};
    int32_t adjncy[] = {1, 0, 2, 1, 4, 3};
    int64_t hh[] = {300, 300, 300, 100, 100};
    double wl[] = {3, 3, 3, 1, 1};
    int32_t group[5];
    int pooled = -1;
    cr_assert_eq(gp_grid_groups(ctx, 5, xadj, adjncy, hh, wl, 3, 1, group, &pooled), GP_OK);
    cr_assert_eq(pooled, 0);
    cr_assert_eq(group[3], group[4]);
    cr_assert_neq(group[0], group[2]);
    for (int q = 0; q < 3; q++) {
        cr_assert(group_connected(5, xadj, adjncy, group, q), "group %d", q);
    }
}

Test(staffing, more_parts_than_workers_are_pooled)
{
    /* Three isolated grids, two workers: both get grids, and the pooling is said. */
    int32_t xadj[] = {0, 0, 0, 0};
    int64_t hh[] = {300, 300, 300};
    double wl[] = {5, 3, 2};
    int32_t group[3];
    int pooled = 0;
    cr_assert_eq(gp_grid_groups(ctx, 3, xadj, NULL, hh, wl, 2, 1, group, &pooled), GP_OK);
    cr_assert_eq(pooled, 1);
    cr_assert_eq(group[0], 0);
    cr_assert_eq(group[1], 1);
    cr_assert_eq(group[2], 1); /* to the less loaded worker */
}

/* ---- the roster through gp_run ------------------------------------------------------------- */

static const char *demo_path(const char *file)
{
    static char paths[4][4096];
    static int slot;
    const char *demo = getenv("GP_DEMO");
    cr_assert_not_null(demo, "GP_DEMO is not set (run through meson test)");
    char *p = paths[slot++ % 4];
    snprintf(p, 4096, "%s/%s", demo, file);
    return p;
}

static gp_inputs *demo_inputs(void)
{
    gp_inputs *in = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, demo_path("communities.gpkg"), "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, demo_path("streets.gpkg"), "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, demo_path("households.gpkg"), "households"),
                 GP_OK);
    return in;
}

static const char *write_roster(const char *name, const char *rows)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.csv", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(rows, f);
    fclose(f);
    return path;
}

/* The plan of the demo with this roster (NULL: none); the run must succeed. */
static gp_plan *run_demo(const char *roster)
{
    gp_inputs *in = demo_inputs();
    if (roster != NULL) {
        cr_assert_eq(gp_inputs_set_workers(ctx, in, roster, NULL, NULL, NULL), GP_OK);
    }
    gp_plan *plan = NULL;
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    gp_inputs_free(in);
    return plan;
}

/* The status and message of a demo run with this roster, which must fail. */
static gp_status run_bad(const char *roster)
{
    gp_inputs *in = demo_inputs();
    cr_assert_eq(gp_inputs_set_workers(ctx, in, roster, NULL, NULL, NULL), GP_OK);
    gp_plan *plan = NULL;
    gp_status st = gp_run(ctx, in, opts, &plan);
    cr_assert_null(plan);
    gp_inputs_free(in);
    return st;
}

static int32_t community_index(const gp_plan *plan, const char *id)
{
    for (int32_t c = 0; c < gp_plan_community_count(plan); c++) {
        if (strcmp(gp_plan_community_id(plan, c), id) == 0) {
            return c;
        }
    }
    cr_assert_fail("no community %s", id);
    return -1;
}

Test(staffing, roster_one_per_grid_short_and_none)
{
    /* 640106003001: 3 grids, 1 worker (all three); 640106003012: 3 grids, 5 workers (one
     * each, two surplus; W2 holds grid 003 and keeps it); others: none (no_worker). */
    const char *roster = write_roster(
        "r1", "worker_id,community,grid_code\n"
              "A1,640106003001,\n"
              "W5,640106003012,\n"
              "W4,640106003012,\n"
              "W3,640106003012,\n"
              "W2,640106003012,640106003012003\n"
              "W1,640106003012,\n");
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "zhejiang"), GP_OK);
    gp_plan *plan = run_demo(roster);
    int32_t c1 = community_index(plan, "640106003001");
    int32_t c12 = community_index(plan, "640106003012");
    cr_assert_eq(gp_plan_community_grids(plan, c1), 3);
    cr_assert_eq(gp_plan_community_grids(plan, c12), 3);
    cr_assert_eq(gp_plan_has_staffing(plan), 1);
    cr_assert_eq(gp_plan_community_staffing_roster(plan, c1), 1);
    cr_assert_eq(gp_plan_community_staffing_roster(plan, c12), 5);
    cr_assert_eq(gp_plan_community_staffing_required(plan, c12), 6); /* 1,260 households */
    cr_assert_eq(gp_plan_worker_count(plan), 6);
    /* Workers in community order, then id order. */
    static const char *const ids[] = {"A1", "W1", "W2", "W3", "W4", "W5"};
    static const int32_t grids[] = {3, 1, 1, 1, 0, 0};
    for (int32_t w = 0; w < 6; w++) {
        cr_assert_str_eq(gp_plan_worker_id(plan, w), ids[w]);
        cr_assert_eq(gp_plan_worker_grids(plan, w), grids[w], "%s", ids[w]);
    }
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 0),
                     "640106003001001,640106003001002,640106003001003");
    cr_assert_eq(gp_plan_worker_households(plan, 0), gp_plan_community_households(plan, c1));
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 2), "640106003012003"); /* W2 kept it */
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 1), "640106003012001");
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 3), "640106003012002");
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 4), "");
    cr_assert_eq(gp_plan_worker_feature(plan, 5), 2); /* W5: the second row */
    int no_worker = 0, flagged = 0, surplus_noted = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        int32_t c = gp_plan_grid_community(plan, g);
        const char *wk = gp_plan_grid_worker(plan, g);
        if (c == c1) {
            cr_assert_str_eq(wk, "A1");
        } else if (c != c12) {
            cr_assert_null(wk);
            cr_assert_not_null(strstr(gp_plan_grid_flags(plan, g), "no_worker"));
            flagged++;
        }
    }
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        no_worker += gp_plan_problem_kind(plan, i) == GP_PROBLEM_NO_WORKER;
        if (gp_plan_problem_kind(plan, i) == GP_PROBLEM_STAFFING &&
            strstr(gp_plan_problem(plan, i), "surplus") != NULL) {
            cr_assert_not_null(strstr(gp_plan_problem(plan, i), "W4, W5"));
            cr_assert_eq(gp_plan_problem_severity(plan, i), GP_SEVERITY_NOTE);
            surplus_noted++;
        }
    }
    cr_assert_eq(no_worker, 10);
    cr_assert_eq(flagged, gp_plan_grid_count(plan) - 6);
    cr_assert_eq(surplus_noted, 1);
    char *json = NULL;
    cr_assert_eq(gp_plan_report_json(ctx, plan, &json), GP_OK);
    cr_assert_not_null(strstr(json, "\"required\": 6, \"roster\": 5, \"shortfall\": 1, "
                                    "\"surplus\": 0, \"without_grid\": 2, "
                                    "\"surplus_ids\": [\"W4\", \"W5\"]"),
                       "%s", json);
    gp_free(json);
    gp_plan_free(plan);
}

Test(staffing, a_holder_keeps_the_grid_when_workers_are_short)
{
    /* 640106003013: 12 grids, 4 workers; Z holds grid 012 and keeps it in its set. */
    const char *roster = write_roster("r2", "worker_id,community,grid_code\n"
                                            "Q,640106003013,\nR,640106003013,\n"
                                            "S,640106003013,\nZ,640106003013,640106003013012\n");
    gp_plan *plan = run_demo(roster);
    cr_assert_eq(gp_plan_worker_count(plan), 4);
    int32_t total = 0;
    for (int32_t w = 0; w < 4; w++) {
        cr_assert_gt(gp_plan_worker_grids(plan, w), 0, "%s idle", gp_plan_worker_id(plan, w));
        total += gp_plan_worker_grids(plan, w);
    }
    cr_assert_eq(total, 12);
    cr_assert_not_null(strstr(gp_plan_worker_grid_codes(plan, 3), "640106003013012"));
    /* The same run again gives the same sets. */
    gp_plan *again = run_demo(roster);
    for (int32_t w = 0; w < 4; w++) {
        cr_assert_str_eq(gp_plan_worker_grid_codes(plan, w), gp_plan_worker_grid_codes(again, w));
    }
    gp_plan_free(again);
    gp_plan_free(plan);
}

Test(staffing, residents_field_feeds_per10k)
{
    /* The demo's count field as residents: each community needs ceil(16 x households / 10^4). */
    gp_inputs *in = demo_inputs();
    cr_assert_eq(gp_inputs_set_residents_field(ctx, in, "households"), GP_OK);
    cr_assert_eq(gp_options_set_staffing(ctx, opts, "per10k:16"), GP_OK);
    gp_plan *plan = NULL;
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    for (int32_t c = 0; c < gp_plan_community_count(plan); c++) {
        int64_t h = gp_plan_community_households(plan, c);
        cr_assert_eq(gp_plan_community_residents(plan, c), (double)h);
        cr_assert_eq(gp_plan_community_staffing_required(plan, c), (16 * h + 9999) / 10000);
    }
    gp_plan_free(plan);
    /* Without the field: households x 2.6. */
    cr_assert_eq(gp_inputs_set_residents_field(ctx, in, NULL), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
    int32_t c = community_index(plan, "640106003002"); /* 4,170 households: 10,842 residents */
    cr_assert_float_eq(gp_plan_community_residents(plan, c), 10842.0, 1e-6);
    cr_assert_eq(gp_plan_community_staffing_required(plan, c), 18); /* ceil(17.3472) */
    gp_plan_free(plan);
    /* A field that does not exist names itself. */
    cr_assert_eq(gp_inputs_set_residents_field(ctx, in, "people"), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_ERR_INPUT);
    cr_assert_not_null(strstr(gp_context_last_error(ctx), "no field 'people'"));
    gp_inputs_free(in);
}

Test(staffing, bad_rosters_name_file_field_and_feature)
{
    static const char *const cases[][3] = {
        {"unknown", "worker_id,community\nA,640106003001\nB,999\n",
         "feature 2: field 'community': worker 'B': community '999' is not in"},
        {"duplicate", "worker_id,community\nA,640106003001\nB,640106003002\nA,640106003002\n",
         "feature 3: field 'worker_id': worker id 'A' repeats feature 1"},
        {"empty_id", "worker_id,community\nA,640106003001\n ,640106003002\n",
         "feature 2: field 'worker_id': worker id is empty"},
        {"no_community", "worker_id,community\nA,\n",
         "feature 1: field 'community': worker 'A' has no community"},
        {"no_field", "id,community\nA,640106003001\n", "no field 'worker_id'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_roster(cases[i][0], cases[i][1]);
        cr_assert_eq(run_bad(path), GP_ERR_INPUT, "%s", cases[i][0]);
        const char *msg = gp_context_last_error(ctx);
        cr_assert_not_null(strstr(msg, cases[i][0]), "%s: the file is not named: %s",
                           cases[i][0], msg);
        cr_assert_not_null(strstr(msg, cases[i][2]), "%s: %s", cases[i][0], msg);
    }
}

Test(staffing, an_unknown_grid_code_is_a_warning_and_the_worker_is_placed)
{
    /* B holds another community's grid, C a grid that does not exist: both warned about in one
     * record naming the file, field and features; A keeps its grid; all three get one. */
    const char *roster = write_roster("stale", "worker_id,community,grid_code\n"
                                               "A,640106003001,640106003001003\n"
                                               "B,640106003001,640106003002001\n"
                                               "C,640106003001,640106003001009\n");
    gp_plan *plan = run_demo(roster);
    int found = 0;
    for (int32_t i = 0; i < gp_plan_problem_count(plan); i++) {
        const char *m = gp_plan_problem(plan, i);
        if (gp_plan_problem_kind(plan, i) == GP_PROBLEM_STAFFING && strstr(m, "is not a grid")) {
            found++;
            cr_assert_eq(gp_plan_problem_severity(plan, i), GP_SEVERITY_WARNING);
            cr_assert_not_null(strstr(m, "stale.csv:stale: feature 2: field 'grid_code': worker "
                                         "'B': grid '640106003002001' is not a grid of community "
                                         "640106003001"),
                               "%s", m);
            int32_t n = 0;
            const int64_t *f = gp_plan_problem_features(plan, i, &n);
            cr_assert_eq(n, 2);
            cr_assert_eq(f[0], 2);
            cr_assert_eq(f[1], 3);
        }
    }
    cr_assert_eq(found, 1);
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 0), "640106003001003");
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 1), "640106003001001");
    cr_assert_str_eq(gp_plan_worker_grid_codes(plan, 2), "640106003001002");
    gp_plan_free(plan);
}

Test(staffing, no_roster_no_workers)
{
    gp_plan *plan = run_demo(NULL);
    cr_assert_eq(gp_plan_has_staffing(plan), 0);
    cr_assert_eq(gp_plan_worker_count(plan), 0);
    cr_assert_null(gp_plan_grid_worker(plan, 0));
    cr_assert_null(gp_plan_worker_id(plan, 0));
    cr_assert_eq(gp_plan_worker_feature(plan, 0), -1);
    cr_assert_null(gp_plan_worker_id(NULL, 0));
    gp_plan_free(plan);
}
