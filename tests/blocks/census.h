/* SPDX-License-Identifier: MIT */
/** @file census.h Census block counts per community (Providence), for tests and benchmarks. */

#ifndef GP_TEST_CENSUS_H
#define GP_TEST_CENSUS_H

/** The `blocks` count of community `id` in census_blocks_per_community.csv, or -1. */
int gp_test_census_blocks(const char *csv, const char *id);

#endif /* GP_TEST_CENSUS_H */
