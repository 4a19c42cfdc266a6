/* SPDX-License-Identifier: MIT */
/** @file unionfind.h The root of a disjoint-set forest (internal). */

#ifndef GP_CORE_UNIONFIND_H
#define GP_CORE_UNIONFIND_H

#include <stdint.h>

/*
 * The root of i in the forest `parent` (a root is its own parent), halving the path on the way:
 * each node visited is hung on its grandparent. The callers join roots their own way (the lower
 * index, the heavier tree, the earlier face), which decides the roots; halving only shortens
 * later walks, so it never changes a root.
 */
static inline int32_t gp_uf_find(int32_t *parent, int32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

#endif /* GP_CORE_UNIONFIND_H */
