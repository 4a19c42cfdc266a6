/* SPDX-License-Identifier: MIT */
/** @file hits.c A growing list of integer ids, filled by GEOS STRtree query callbacks. */

#include "hits.h"

#include "core/memory.h"

void gp_hits_collect(void *item, void *user)
{
    gp_hits *hs = user;
    if (hs->n == hs->cap) {
        size_t c = hs->cap ? hs->cap * 2 : 16;
        int32_t *q = gp_reallocarray(hs->v, c, sizeof *q);
        if (q == NULL) {
            hs->failed = 1;
            return;
        }
        hs->v = q;
        hs->cap = c;
    }
    hs->v[hs->n++] = (int32_t)(intptr_t)item;
}
