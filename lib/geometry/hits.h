/* SPDX-License-Identifier: MIT */
/** @file hits.h A growing list of integer ids, filled by GEOS STRtree query callbacks. */

#ifndef GP_GEOMETRY_HITS_H
#define GP_GEOMETRY_HITS_H

#include <stddef.h>
#include <stdint.h>

/* Items are inserted into the trees as (void *)(intptr_t)id. `failed` is set when growing the
 * list ran out of memory; the caller checks it after the query and frees `v` with gp_free. */
typedef struct gp_hits {
    int32_t *v;
    size_t n, cap;
    int failed;
} gp_hits;

/** GEOSQueryCallback appending the item's id to the gp_hits passed as user data. */
void gp_hits_collect(void *item, void *user);

#endif /* GP_GEOMETRY_HITS_H */
