/* SPDX-License-Identifier: MIT */
/**
 * @file tried.h The cut sets the split stage has already partitioned in one community, with
 * their scores: a trial that recreates one of them (undoing a cut brings back an earlier state)
 * need not run again when its known score says it would be rejected. Every step being
 * deterministic, a cut set partitions the same way each time, so skipping is exact.
 */
#ifndef GP_PIPELINE_TRIED_H
#define GP_PIPELINE_TRIED_H

#include "core/context.h"

#include <stdint.h>

/** The score of a trial as far as the undo step compares it. */
typedef struct gp_tried_score {
    int64_t viol;
    int32_t blocks_cut;
} gp_tried_score;

/** A small set of cut sets (one mode byte per block) and their scores. Zero-initialised. */
typedef struct gp_tried {
    int32_t n_blocks; /**< bytes per cut set */
    int32_t n, cap;   /**< entries used and allocated */
    uint64_t *hash;   /**< per entry */
    uint8_t *modes;   /**< per entry, n_blocks bytes */
    gp_tried_score *score;
} gp_tried;

/** The 64-bit signature of a cut set (FNV-1a over the blocks cut and their modes). */
uint64_t gp_tried_hash(const uint8_t *mode, int32_t n_blocks);

/** Records `mode` (n_blocks bytes, fixed by the first call) with its score; a cut set already
 * held keeps its first score. */
GP_NODISCARD gp_status gp_tried_add(gp_context *ctx, gp_tried *t, const uint8_t *mode,
                                    int32_t n_blocks, gp_tried_score score);

/** 1 and *out its score when `mode` was recorded (exact comparison, not the hash alone), else 0. */
int gp_tried_find(const gp_tried *t, const uint8_t *mode, int32_t n_blocks, gp_tried_score *out);

/** Frees the set and zeroes it. */
void gp_tried_clear(gp_tried *t);

#endif
