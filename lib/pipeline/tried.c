/* SPDX-License-Identifier: MIT */
/** @file tried.c The cut sets already partitioned in one community (tried.h). */

#include "tried.h"

#include "core/memory.h"

#include <inttypes.h>
#include <string.h>

uint64_t gp_tried_hash(const uint8_t *mode, int32_t n_blocks)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int32_t v = 0; v < n_blocks; v++) {
        if (mode[v] == 0) {
            continue;
        }
        uint64_t x = ((uint64_t)(uint32_t)v << 8) | mode[v];
        for (int i = 0; i < 5; i++, x >>= 8) {
            h = (h ^ (x & 0xff)) * 0x100000001b3ULL;
        }
    }
    return h;
}

int gp_tried_find(const gp_tried *t, const uint8_t *mode, int32_t n_blocks, gp_tried_score *out)
{
    if (t->n == 0 || n_blocks != t->n_blocks) {
        return 0;
    }
    uint64_t h = gp_tried_hash(mode, n_blocks);
    for (int32_t i = 0; i < t->n; i++) {
        if (t->hash[i] == h &&
            memcmp(t->modes + (size_t)i * (size_t)n_blocks, mode, (size_t)n_blocks) == 0) {
            *out = t->score[i];
            return 1;
        }
    }
    return 0;
}

static gp_status grow(gp_context *ctx, gp_tried *t, int32_t n_blocks)
{
    int32_t cap = t->cap > 0 ? 2 * t->cap : 16;
    uint64_t *hash = gp_realloc(t->hash, (size_t)cap * sizeof *hash);
    if (hash != NULL) {
        t->hash = hash;
    }
    uint8_t *modes = gp_realloc(t->modes, (size_t)cap * ((size_t)n_blocks + 1));
    if (modes != NULL) {
        t->modes = modes;
    }
    gp_tried_score *score = gp_realloc(t->score, (size_t)cap * sizeof *score);
    if (score != NULL) {
        t->score = score;
    }
    if (hash == NULL || modes == NULL || score == NULL) {
        return gp_error_nomem(ctx, "the cut sets tried");
    }
    t->cap = cap;
    return GP_OK;
}

gp_status gp_tried_add(gp_context *ctx, gp_tried *t, const uint8_t *mode, int32_t n_blocks,
                       gp_tried_score score)
{
    gp_tried_score known;
    if (t->n == 0) {
        t->n_blocks = n_blocks;
    }
    if (n_blocks != t->n_blocks) {
        return gp_error(ctx, GP_ERR_INTERNAL, "cut sets of %" PRId32 " and %" PRId32 " blocks",
                        t->n_blocks, n_blocks);
    }
    if (gp_tried_find(t, mode, n_blocks, &known)) {
        return GP_OK;
    }
    gp_status st = t->n == t->cap ? grow(ctx, t, n_blocks) : GP_OK;
    if (st != GP_OK) {
        return st;
    }
    t->hash[t->n] = gp_tried_hash(mode, n_blocks);
    memcpy(t->modes + (size_t)t->n * (size_t)n_blocks, mode, (size_t)n_blocks);
    t->score[t->n] = score;
    t->n++;
    return GP_OK;
}

void gp_tried_clear(gp_tried *t)
{
    gp_free(t->hash);
    gp_free(t->modes);
    gp_free(t->score);
    memset(t, 0, sizeof *t);
}
