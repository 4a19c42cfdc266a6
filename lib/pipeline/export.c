/* SPDX-License-Identifier: MIT */
/**
 * @file export.c The plan's results as caller-filled arrays: grid and block geometries as WKB
 * and the grid of each household feature, by the "ask the size, then fill" convention.
 */

#include "plan.h"

#include "core/context.h"

#include <inttypes.h>
#include <string.h>

static const gp_plan_block *block(const gp_plan *plan, int32_t b)
{
    return plan != NULL && b >= 0 && b < plan->n_blocks ? &plan->blocks[b] : NULL;
}

static const gp_plan_shape *grid_shape(const gp_plan *plan, int32_t g)
{
    return plan != NULL && g >= 0 && g < plan->n_grids ? &plan->grids[g].shape : NULL;
}

/* Copy a shape's output WKB into a caller's buffer. */
static gp_status copy_wkb(gp_context *ctx, const char *fn, const char *what, int32_t i,
                          const gp_plan_shape *shape, uint8_t *buf, size_t size)
{
    if (shape == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "%s: no %s %d in the plan", fn, what, (int)i);
    }
    if (buf == NULL || size < shape->wkb_size) {
        return gp_error(ctx, GP_ERR_ARG, "%s: %s %d needs %zu bytes, the buffer has %zu", fn, what,
                        (int)i, shape->wkb_size, buf == NULL ? (size_t)0 : size);
    }
    if (shape->wkb_size > 0) {
        memcpy(buf, shape->wkb, shape->wkb_size);
    }
    return GP_OK;
}

size_t gp_plan_grid_wkb_size(const gp_plan *plan, int32_t g)
{
    const gp_plan_shape *s = grid_shape(plan, g);
    return s ? s->wkb_size : 0;
}

gp_status gp_plan_grid_wkb(gp_context *ctx, const gp_plan *plan, int32_t g, uint8_t *buf,
                           size_t size)
{
    return copy_wkb(ctx, "gp_plan_grid_wkb", "grid", g, grid_shape(plan, g), buf, size);
}

int32_t gp_plan_block_count(const gp_plan *plan)
{
    return plan ? plan->n_blocks : 0;
}

int64_t gp_plan_block_id(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->block_id : -1;
}

int32_t gp_plan_block_community(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->community : -1;
}

int32_t gp_plan_block_grid(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->grid : -1;
}

int64_t gp_plan_block_households(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->households : 0;
}

int32_t gp_plan_block_on_streets(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->on_streets : -1;
}

size_t gp_plan_block_wkb_size(const gp_plan *plan, int32_t b)
{
    const gp_plan_block *p = block(plan, b);
    return p ? p->shape.wkb_size : 0;
}

gp_status gp_plan_block_wkb(gp_context *ctx, const gp_plan *plan, int32_t b, uint8_t *buf,
                            size_t size)
{
    const gp_plan_block *p = block(plan, b);
    return copy_wkb(ctx, "gp_plan_block_wkb", "block", b, p ? &p->shape : NULL, buf, size);
}

int64_t gp_plan_household_count(const gp_plan *plan)
{
    return plan ? plan->n_hh : 0;
}

gp_status gp_plan_household_grids(gp_context *ctx, const gp_plan *plan, int64_t *fids,
                                  int32_t *grids, int64_t size)
{
    if (plan == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_household_grids: plan is NULL");
    }
    if ((fids != NULL || grids != NULL) && size < plan->n_hh) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_plan_household_grids: %" PRId64 " features, room for %" PRId64,
                        plan->n_hh, size);
    }
    for (int64_t i = 0; i < plan->n_hh; i++) {
        if (fids != NULL) {
            fids[i] = plan->hh[i].fid;
        }
        if (grids != NULL) {
            grids[i] = plan->hh[i].grid;
        }
    }
    return GP_OK;
}

gp_status gp_plan_household_grid(gp_context *ctx, const gp_plan *plan, int64_t fid, int32_t *grid)
{
    if (grid != NULL) {
        *grid = -1;
    }
    if (plan == NULL || grid == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_household_grid: plan or grid is NULL");
    }
    /* plan->hh is sorted by fid (gp_plan_sort_households). */
    int64_t lo = 0, hi = plan->n_hh;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (plan->hh[mid].fid < fid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == plan->n_hh || plan->hh[lo].fid != fid) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_plan_household_grid: no household feature %" PRId64
                        " was used (not in the layer, or skipped as unusable: see the problems)",
                        fid);
    }
    *grid = plan->hh[lo].grid;
    return GP_OK;
}

/* ---- the output CRS ------------------------------------------------------------------------ */

size_t gp_plan_crs_wkt_size(const gp_plan *plan)
{
    return plan != NULL && plan->crs_wkt != NULL ? strlen(plan->crs_wkt) + 1 : 0;
}

gp_status gp_plan_crs_wkt(gp_context *ctx, const gp_plan *plan, char *buf, size_t size)
{
    size_t need = gp_plan_crs_wkt_size(plan);
    if (need == 0) {
        return gp_error(ctx, GP_ERR_ARG, "gp_plan_crs_wkt: %s",
                        plan == NULL ? "plan is NULL" : "the output has no CRS");
    }
    if (buf == NULL || size < need) {
        return gp_error(ctx, GP_ERR_ARG,
                        "gp_plan_crs_wkt: the CRS needs %zu bytes, the buffer has %zu", need,
                        buf == NULL ? (size_t)0 : size);
    }
    memcpy(buf, plan->crs_wkt, need);
    return GP_OK;
}
