/* SPDX-License-Identifier: MIT */
/** @file test_plan.c Plans: packing a community's shapes into one slab and merging plans that
 * hold slabs (the sanitizers check that nothing packed is freed alone or leaked). */

#include "core/context.h"
#include "core/memory.h"
#include "pipeline/plan.h"

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

TestSuite(plan, .init = setup, .fini = teardown);

/* A shape of `n` bytes (and `n + 1` working ones) filled from `seed`. */
static void fill(gp_plan_shape *s, size_t n, unsigned char seed)
{
    s->wkb = gp_malloc(n);
    s->wkb_work = gp_malloc(n + 1);
    cr_assert(s->wkb != NULL && s->wkb_work != NULL);
    s->wkb_size = n;
    s->wkb_work_size = n + 1;
    for (size_t i = 0; i < n + 1; i++) {
        if (i < n) {
            s->wkb[i] = (unsigned char)(seed + i);
        }
        s->wkb_work[i] = (unsigned char)(seed * 3 + i);
    }
}

static void assert_filled(const gp_plan_shape *s, size_t n, unsigned char seed)
{
    cr_assert_eq(s->wkb_size, n);
    cr_assert_eq(s->wkb_work_size, n + 1);
    for (size_t i = 0; i < n + 1; i++) {
        if (i < n) {
            cr_assert_eq(s->wkb[i], (unsigned char)(seed + i), "byte %zu of wkb", i);
        }
        cr_assert_eq(s->wkb_work[i], (unsigned char)(seed * 3 + i), "byte %zu of wkb_work", i);
    }
}

/* A one-community plan: its border, 2 grids, 3 blocks, a street and a worker. */
static gp_plan *community_plan(unsigned char seed)
{
    gp_plan *p = NULL;
    cr_assert_eq(gp_plan_new(ctx, &p), GP_OK);
    fill(&gp_plan_add_community(ctx, p)->shape, 40, seed);
    fill(&gp_plan_add_grid(ctx, p)->shape, 100, seed + 1);
    fill(&gp_plan_add_grid(ctx, p)->shape, 7, seed + 2);
    for (int i = 0; i < 3; i++) {
        fill(&gp_plan_add_block(ctx, p)->shape, 30 + (size_t)i, (unsigned char)(seed + 3 + i));
    }
    fill(gp_plan_add_street(ctx, p), 21, seed + 6);
    fill(&gp_plan_add_worker(ctx, p)->shape, 107, seed + 7);
    return p;
}

static void assert_community(const gp_plan *p, int32_t c, unsigned char seed)
{
    assert_filled(&p->communities[c].shape, 40, seed);
    assert_filled(&p->grids[2 * c].shape, 100, seed + 1);
    assert_filled(&p->grids[2 * c + 1].shape, 7, seed + 2);
    for (int i = 0; i < 3; i++) {
        assert_filled(&p->blocks[3 * c + i].shape, 30 + (size_t)i, (unsigned char)(seed + 3 + i));
    }
    assert_filled(&p->streets[c], 21, seed + 6);
    assert_filled(&p->workers[c].shape, 107, seed + 7);
}

Test(plan, pack_moves_every_shape_into_one_slab_unchanged)
{
    gp_plan *p = community_plan(10);
    cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
    cr_assert_eq(p->n_slabs, 1);
    assert_community(p, 0, 10);
    /* One slab, end to end in shape order: the community's border first. */
    cr_assert_eq(p->communities[0].shape.wkb, p->slabs[0]);
    cr_assert(p->communities[0].shape.packed && p->workers[0].shape.packed);
    cr_assert_eq(p->grids[0].shape.wkb, p->slabs[0] + 40 + 41);
    /* Packing again finds nothing loose: no new slab. */
    cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
    cr_assert_eq(p->n_slabs, 1);
    gp_plan_free(p);
}

Test(plan, a_packed_shape_cleared_is_emptied_not_freed)
{
    gp_plan *p = community_plan(20);
    cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
    gp_plan_shape_clear(&p->grids[1].shape); /* would be an invalid free if freed alone */
    cr_assert(p->grids[1].shape.wkb == NULL && !p->grids[1].shape.packed);
    fill(&p->grids[1].shape, 5, 99); /* replaced by a loose shape: freed alone */
    assert_filled(&p->grids[0].shape, 100, 21);
    cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
    cr_assert_eq(p->n_slabs, 2);
    assert_filled(&p->grids[1].shape, 5, 99);
    cr_assert_eq(p->grids[1].shape.wkb, p->slabs[1]);
    gp_plan_free(p);
}

Test(plan, absorb_moves_the_slabs_with_the_shapes)
{
    gp_plan *all = NULL;
    cr_assert_eq(gp_plan_new(ctx, &all), GP_OK);
    for (int c = 0; c < 5; c++) {
        gp_plan *p = community_plan((unsigned char)(30 + 10 * c));
        if (c != 3) { /* one community left loose: a plan may hold both */
            cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
        }
        cr_assert_eq(gp_plan_absorb(ctx, all, p), GP_OK);
        cr_assert_eq(p->n_slabs, 0);
        gp_plan_free(p); /* frees nothing the merged plan holds */
    }
    cr_assert_eq(all->n_slabs, 4);
    cr_assert_eq(all->n_communities, 5);
    for (int c = 0; c < 5; c++) {
        assert_community(all, c, (unsigned char)(30 + 10 * c));
    }
    cr_assert(!all->grids[6].shape.packed && all->grids[8].shape.packed);
    gp_plan_free(all);
}

Test(plan, an_empty_plan_packs_to_no_slab)
{
    gp_plan *p = NULL;
    cr_assert_eq(gp_plan_new(ctx, &p), GP_OK);
    gp_plan_add_grid(ctx, p); /* a grid without a shape */
    cr_assert_eq(gp_plan_pack(ctx, p), GP_OK);
    cr_assert_eq(p->n_slabs, 0);
    gp_plan_free(p);
}
