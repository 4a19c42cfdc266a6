/* SPDX-License-Identifier: MIT */
/** @file roster.h Staffing: the roster of workers, residents per community, and assignment. */

#ifndef GP_PIPELINE_ROSTER_H
#define GP_PIPELINE_ROSTER_H

#include "gridpart.h"

#include "geometry/dataset.h"
#include "inputs.h"
#include "plan.h"

/*
 * What a run knows about staffing, read once before the communities are divided and then
 * read-only (shared by the worker threads). Workers are grouped by community (CSR: the workers
 * of dataset community c are list[start[c] .. start[c+1]-1], in id order, byte-wise).
 */
typedef struct gp_roster {
    int32_t has_workers;   /* a roster was given */
    char *label;           /* "file:layer" of the roster, for messages */
    char grid_field[128];  /* the grid field's name, "" when the roster has none */
    int32_t n;             /* workers */
    char **id;
    char **grid_code;      /* the grid each holds now, NULL when none */
    int64_t *fid;
    int32_t *start, *list; /* per dataset community */
    double *residents;     /* per dataset community, or NULL without a residents field */
} gp_roster;

/**
 * Read what staffing needs: the roster (when inputs name one), checked against the dataset's
 * communities, and the residents field summed per community (when named).
 * @param[out] out the roster, or NULL when neither is given; free with gp_roster_free.
 * @return GP_OK; GP_ERR_IO; GP_ERR_INPUT (a missing field; an empty or repeated worker id; an
 *         unknown or empty community; a negative or non-numeric residents value: the message
 *         names file, field, feature and value); GP_ERR_NOMEM.
 */
GP_NODISCARD gp_status gp_roster_read(gp_context *ctx, const gp_inputs *in, const gp_dataset *ds,
                                      gp_roster **out);

/** Free a roster; NULL is a no-op. */
void gp_roster_free(gp_roster *roster);

/**
 * Staff the community just assembled (the plan's last): the workers its rule requires, and
 * with a roster, its workers' grids (gp_plan_grid.worker, plan->workers) and problems.
 * @param[in] roster the roster, or NULL (then only the rule's count, when opts has a rule).
 * @param[in] c the community's index in the dataset.
 * A worker's grid code that is no grid of their community is a warning (the worker placed as
 * holding none).
 * @return GP_OK; GP_ERR_GEOMETRY; GP_ERR_NOMEM; GP_ERR_CANCELED.
 */
GP_NODISCARD gp_status gp_roster_staff(gp_context *ctx, const gp_roster *roster,
                                       const gp_options *opts, int32_t c, gp_plan *plan);

/**
 * The adjacency of a community's grids (the plan's grids first .. first+n-1): two grids are
 * adjacent when their borders share a line (a point is not enough), as CSR over 0..n-1.
 * @param[out] xadj n + 1 offsets (gp_free); @param[out] adjncy neighbours (gp_free).
 */
GP_NODISCARD gp_status gp_grid_adjacency(gp_context *ctx, const gp_plan *plan, int32_t first,
                                         int32_t n, int32_t **xadj, int32_t **adjncy);

/**
 * Divide a graph of n grids into k contiguous groups of even workload (k <= n): per connected
 * part, the optimizer with a fixed count and no household bounds. When the grids lie in more
 * parts than k, parts are pooled and some group is not contiguous (*pooled set to 1).
 * @param[out] group n group ids in [0, k), every group used.
 */
GP_NODISCARD gp_status gp_grid_groups(gp_context *ctx, int32_t n, const int32_t *xadj,
                                      const int32_t *adjncy, const int64_t *households,
                                      const double *workload, int32_t k, uint64_t seed,
                                      int32_t *group, int *pooled);

#endif /* GP_PIPELINE_ROSTER_H */
