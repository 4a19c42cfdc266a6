/* SPDX-License-Identifier: MIT */
/** @file test_schedule.c The community schedule (LPT order) and the set of cut sets tried. */

#include "core/context.h"
#include "pipeline/schedule.h"
#include "pipeline/tried.h"

#include <criterion/criterion.h>
#include <string.h>

static gp_context *ctx;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
}

static void teardown(void)
{
    gp_context_free(ctx);
}

TestSuite(schedule, .init = setup, .fini = teardown);

Test(schedule, costs_count_households_and_weigh_a_needed_cut)
{
    cr_assert_float_eq(gp_schedule_cost(1000, 0), 1000.0, 1e-12);
    cr_assert_float_eq(gp_schedule_cost(1000, 1), 1000.0 * GP_SCHEDULE_CUT_FACTOR, 1e-12);
    cr_assert_float_eq(gp_schedule_cost(0, 1), 0.0, 1e-12);
}

Test(schedule, lpt_is_by_decreasing_cost_then_index)
{
    const double cost[6] = {5.0, 9.0, 5.0, 1.0, 9.0, 7.0};
    const int32_t want[6] = {1, 4, 5, 0, 2, 3};
    int32_t order[6];
    cr_assert_eq(gp_schedule_lpt(ctx, cost, 6, order), GP_OK);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(order[i], want[i], "position %d: %d, expected %d", i, order[i], want[i]);
    }
    cr_assert_eq(gp_schedule_lpt(ctx, cost, 0, order), GP_OK);
}

/* Three communities: 800 households in two features of 400; 900 in a feature of 600 (above
 * the maximum 500: a block to cut) and one of 300; 1,000 in nine features (eight of 100, one
 * of 200). The one to cut goes first, then by households. */
Test(schedule, communities_with_a_feature_over_the_maximum_go_first)
{
    int64_t count[13] = {400, 600, 300, 100, 100, 100, 100, 100, 100, 100, 100, 200, 400};
    int64_t list[13] = {0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    int32_t start[4] = {0, 2, 4, 13};
    gp_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n_communities = 3;
    ds.n_households = 13;
    ds.hh_count = count;
    ds.hh_list = list;
    ds.hh_start = start;
    int32_t order[3];
    cr_assert_eq(gp_schedule_communities(ctx, &ds, 500, order), GP_OK);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(order[2], 0);
    /* With a maximum of 600 nothing needs a cut: households alone (1,000 > 900 > 800). */
    cr_assert_eq(gp_schedule_communities(ctx, &ds, 600, order), GP_OK);
    cr_assert_eq(order[0], 2);
    cr_assert_eq(order[1], 1);
    cr_assert_eq(order[2], 0);
}

Test(schedule, tried_set_finds_exactly_what_was_added)
{
    enum { N = 40 };
    gp_tried t = {0};
    uint8_t mode[N] = {0};
    gp_tried_score s = {0, 0};
    cr_assert_eq(gp_tried_find(&t, mode, N, &s), 0, "an empty set holds nothing");
    /* 50 cut sets (more than the first allocation): block i cut, and block i with block 39. */
    for (int32_t i = 0; i < 25; i++) {
        memset(mode, 0, N);
        mode[i] = 1;
        cr_assert_eq(gp_tried_add(ctx, &t, mode, N, (gp_tried_score){i, 1}), GP_OK);
        mode[39] = 2;
        cr_assert_eq(gp_tried_add(ctx, &t, mode, N, (gp_tried_score){100 + i, 2}), GP_OK);
    }
    cr_assert_eq(t.n, 50);
    for (int32_t i = 0; i < 25; i++) {
        memset(mode, 0, N);
        mode[i] = 1;
        cr_assert_eq(gp_tried_find(&t, mode, N, &s), 1);
        cr_assert_eq(s.viol, i);
        cr_assert_eq(s.blocks_cut, 1);
        mode[39] = 2;
        cr_assert_eq(gp_tried_find(&t, mode, N, &s), 1);
        cr_assert_eq(s.viol, 100 + i);
        cr_assert_eq(s.blocks_cut, 2);
        mode[39] = 1; /* same blocks, another mode: not tried */
        cr_assert_eq(gp_tried_find(&t, mode, N, &s), 0);
    }
    memset(mode, 0, N);
    cr_assert_eq(gp_tried_find(&t, mode, N, &s), 0, "no cut at all was not added");
    mode[30] = 1;
    cr_assert_eq(gp_tried_find(&t, mode, N, &s), 0);
    /* A cut set added again keeps its first score. */
    mode[30] = 0;
    mode[3] = 1;
    cr_assert_eq(gp_tried_add(ctx, &t, mode, N, (gp_tried_score){77, 9}), GP_OK);
    cr_assert_eq(t.n, 50);
    cr_assert_eq(gp_tried_find(&t, mode, N, &s), 1);
    cr_assert_eq(s.viol, 3);
    /* Another block count is refused, not mixed in. */
    cr_assert_eq(gp_tried_add(ctx, &t, mode, N - 1, (gp_tried_score){0, 0}), GP_ERR_INTERNAL);
    cr_assert_eq(gp_tried_find(&t, mode, N - 1, &s), 0);
    gp_tried_clear(&t);
    cr_assert_eq(t.n, 0);
    cr_assert_null(t.modes);
}

Test(schedule, tried_hash_depends_on_the_blocks_cut_and_their_modes)
{
    uint8_t a[8] = {0}, b[8] = {0};
    cr_assert_eq(gp_tried_hash(a, 8), gp_tried_hash(b, 8));
    a[2] = 1;
    b[3] = 1;
    cr_assert_neq(gp_tried_hash(a, 8), gp_tried_hash(b, 8));
    b[3] = 0;
    b[2] = 2;
    cr_assert_neq(gp_tried_hash(a, 8), gp_tried_hash(b, 8));
    b[2] = 1;
    cr_assert_eq(gp_tried_hash(a, 8), gp_tried_hash(b, 8));
}
