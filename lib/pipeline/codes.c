/* SPDX-License-Identifier: MIT */
/**
 * @file codes.c `adjust`: which previous code each new grid keeps, whether it is kept, changed
 * or new, the codes retired, the households moved, and why each change happened.
 *
 * Matching is by households shared, greedily most shared first, each code and grid once (as a
 * fresh division is matched to the previous one), a grid holding a quarter of a previous grid's
 * households at least: a previous grid split in two keeps its code in the larger part; a grid
 * holding most of two previous grids keeps the one it shares more with.
 */

#include "codes.h"

#include "core/context.h"
#include "core/memory.h"
#include "core/options.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CHANGE_NAME[] = {"", "kept", "changed", "new"};

/* The least share of a previous grid's households a grid must hold to keep its code. */
#define GP_CODE_SHARE 0.25

const char *gp_change_name(int32_t change)
{
    return change >= 0 && change <= GP_CHANGE_NEW ? CHANGE_NAME[change] : "";
}

void gp_grid_codes_clear(gp_grid_codes *codes)
{
    for (int32_t g = 0; g < codes->n_grids; g++) {
        gp_free(codes->code ? codes->code[g] : NULL);
        gp_free(codes->why ? codes->why[g] : NULL);
    }
    for (int32_t i = 0; i < codes->n_retired; i++) {
        gp_free(codes->retired_why[i]);
    }
    gp_free(codes->code);
    gp_free(codes->change);
    gp_free(codes->matched);
    gp_free(codes->why);
    gp_free(codes->retired);
    gp_free(codes->retired_why);
    memset(codes, 0, sizeof *codes);
}

/* Counts of one community: previous grids p < np against new grids g < ng. */
typedef struct tally {
    int32_t np, ng;
    int64_t *shared;    /* ng x np: households of previous grid p now in grid g */
    double *shared_area; /* ng x np: area of blocks of previous grid p now in grid g */
    int64_t *prev_hh;   /* np: households labelled p, now */
    double *prev_area;  /* np: area of the blocks labelled p */
    int32_t *prev_blocks; /* np: output blocks labelled p */
    int64_t *new_hh;    /* ng */
    double *new_area;   /* ng */
    int32_t *new_blocks; /* ng */
    int32_t *new_first;  /* ng: lowest output block */
    uint8_t *mixed;     /* ng: holds a household or block of another grid, or a loose block */
    uint8_t *partial;   /* np: a block of it lies partly outside it */
    int32_t *label;     /* output blocks: previous grid by area */
    double *share;
} tally;

static void tally_free(tally *t)
{
    gp_free(t->shared);
    gp_free(t->shared_area);
    gp_free(t->prev_hh);
    gp_free(t->prev_area);
    gp_free(t->prev_blocks);
    gp_free(t->new_hh);
    gp_free(t->new_area);
    gp_free(t->new_blocks);
    gp_free(t->new_first);
    gp_free(t->mixed);
    gp_free(t->partial);
    gp_free(t->label);
    gp_free(t->share);
}

static gp_status tally_alloc(gp_context *ctx, tally *t, int32_t np, int32_t ng, int32_t nb)
{
    size_t pp = (size_t)np + 1, gg = (size_t)ng + 1;
    t->np = np;
    t->ng = ng;
    t->shared = gp_calloc(gg * pp, sizeof *t->shared);
    t->shared_area = gp_calloc(gg * pp, sizeof *t->shared_area);
    t->prev_hh = gp_calloc(pp, sizeof *t->prev_hh);
    t->prev_area = gp_calloc(pp, sizeof *t->prev_area);
    t->prev_blocks = gp_calloc(pp, sizeof *t->prev_blocks);
    t->new_hh = gp_calloc(gg, sizeof *t->new_hh);
    t->new_area = gp_calloc(gg, sizeof *t->new_area);
    t->new_blocks = gp_calloc(gg, sizeof *t->new_blocks);
    t->new_first = gp_calloc(gg, sizeof *t->new_first);
    t->mixed = gp_calloc(gg, 1);
    t->partial = gp_calloc(pp, 1);
    t->label = gp_calloc((size_t)nb + 1, sizeof *t->label);
    t->share = gp_calloc((size_t)nb + 1, sizeof *t->share);
    if (!t->shared || !t->shared_area || !t->prev_hh || !t->prev_area || !t->prev_blocks ||
        !t->new_hh || !t->new_area || !t->new_blocks || !t->new_first || !t->mixed ||
        !t->partial || !t->label || !t->share) {
        return gp_error_nomem(ctx, "matching grids to the previous ones");
    }
    return GP_OK;
}

/* Households and areas shared between every new and previous grid. */
static void count_shared(const gp_prev_community *pc, const gp_blocks *b, const int32_t *assign,
                         tally *t)
{
    const int64_t *count = pc->ds->hh_count;
    int32_t np = t->np;
    for (int32_t g = 0; g < t->ng; g++) {
        t->new_first[g] = -1;
    }
    for (int32_t v = 0; v < b->n; v++) {
        int32_t g = assign[v], p = t->label[v];
        t->new_area[g] += b->area[v];
        t->new_blocks[g]++;
        t->new_hh[g] += b->households[v];
        if (t->new_first[g] < 0) {
            t->new_first[g] = v;
        }
        if (p >= 0) {
            t->shared_area[(size_t)g * np + p] += b->area[v];
            t->prev_area[p] += b->area[v];
            t->prev_blocks[p]++;
            t->partial[p] |= t->share[v] < GP_PREV_MATCH_SHARE;
        }
        for (int32_t k = b->hh_start[v]; k < b->hh_start[v + 1]; k++) {
            int32_t q = gp_prev_hh_label(pc, b->hh_list[k]);
            if (q >= 0) {
                t->shared[(size_t)g * np + q] += count[b->hh_list[k]];
                t->prev_hh[q] += count[b->hh_list[k]];
            }
        }
    }
}

typedef struct pair {
    int32_t g, p;
    int64_t hh;
    double area;
} pair;


static int cmp_pair(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->hh != b->hh) {
        return a->hh > b->hh ? -1 : 1;
    }
    if (a->area != b->area) {
        return a->area > b->area ? -1 : 1;
    }
    if (a->p != b->p) {
        return a->p < b->p ? -1 : 1; /* previous grids are in code order */
    }
    return (a->g > b->g) - (a->g < b->g);
}

/* Codes go to grids greedily, most households shared first (area for a previous grid that held
 * none), each code and grid once; a grid takes a code only when it holds at least
 * GP_CODE_SHARE of that grid's households (area), so a code never names a remnant. */
static gp_status match(gp_context *ctx, const tally *t, gp_grid_codes *out)
{
    int32_t np = t->np, n = 0;
    pair *pairs = gp_malloc(((size_t)t->ng * (size_t)np + 1) * sizeof *pairs);
    uint8_t *taken = gp_calloc((size_t)np + 1, 1);
    if (pairs == NULL || taken == NULL) {
        gp_free(pairs);
        gp_free(taken);
        return gp_error_nomem(ctx, "matching grids to the previous ones");
    }
    for (int32_t g = 0; g < t->ng; g++) {
        out->matched[g] = -1;
        for (int32_t p = 0; p < np; p++) {
            int64_t hh = t->shared[(size_t)g * np + p];
            double area = t->shared_area[(size_t)g * np + p];
            int enough = t->prev_hh[p] > 0
                             ? hh > 0 && (double)hh >= GP_CODE_SHARE * (double)t->prev_hh[p]
                             : area > 0 && area >= GP_CODE_SHARE * t->prev_area[p];
            if (enough) {
                pairs[n++] = (pair){g, p, hh, area};
            }
        }
    }
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_pair);
    for (int32_t i = 0; i < n; i++) {
        if (out->matched[pairs[i].g] < 0 && !taken[pairs[i].p]) {
            out->matched[pairs[i].g] = pairs[i].p;
            taken[pairs[i].p] = 1;
        }
    }
    gp_free(pairs);
    gp_free(taken);
    return GP_OK;
}

/* Grids holding anything of another previous grid, or a block not inside its own. */
static void find_mixed(const gp_prev_community *pc, const gp_blocks *b, const int32_t *assign,
                       const int32_t *matched, tally *t)
{
    for (int32_t v = 0; v < b->n; v++) {
        int32_t g = assign[v], p = matched[g];
        if (t->label[v] != p || t->share[v] < GP_PREV_MATCH_SHARE) {
            t->mixed[g] = 1;
        }
        for (int32_t k = b->hh_start[v]; k < b->hh_start[v + 1]; k++) {
            if (gp_prev_hh_label(pc, b->hh_list[k]) != p) {
                t->mixed[g] = 1;
            }
        }
    }
}

/* Kept: exactly the previous grid's households features and blocks, as recorded, same area. */
static int is_kept(const gp_prev_community *pc, const tally *t, int32_t g, int32_t p)
{
    int32_t np = t->np;
    const gp_previous *prev = pc->prev;
    int64_t rec_hh = prev->recorded_households[pc->first + p];
    int32_t rec_blocks = prev->recorded_blocks[pc->first + p];
    double a = pc->area[p];
    return !t->mixed[g] && t->shared[(size_t)g * np + p] == t->prev_hh[p] &&
           t->new_blocks[g] == t->prev_blocks[p] && (rec_hh < 0 || rec_hh == t->new_hh[g]) &&
           (rec_blocks < 0 || rec_blocks == t->new_blocks[g]) &&
           t->new_area[g] >= 0.99 * a && t->new_area[g] <= 1.01 * a;
}

/* Append to a growing text, "; " between parts. */
static void add_reason(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_reason(char *buf, size_t size, const char *fmt, ...)
{
    size_t at = strlen(buf);
    if (at > 0 && at + 2 < size) {
        memcpy(buf + at, "; ", 3);
        at += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    if (at < size) {
        vsnprintf(buf + at, size - at, fmt, ap);
    }
    va_end(ap);
}

/* Why previous grid p could not stay as it was: its own facts, "" when none. */
static void prev_reasons(const gp_prev_community *pc, const tally *t, const gp_options *opts,
                         int32_t p, char *buf, size_t size)
{
    const gp_previous *prev = pc->prev;
    int64_t rec_hh = prev->recorded_households[pc->first + p];
    int32_t rec_blocks = prev->recorded_blocks[pc->first + p];
    buf[0] = '\0';
    if (t->prev_hh[p] > opts->max_households) {
        add_reason(buf, size, "grew over the maximum: %" PRId64 " households > %" PRId64,
                   t->prev_hh[p], opts->max_households);
    } else if (t->prev_hh[p] < opts->min_households) {
        add_reason(buf, size, "fell under the minimum: %" PRId64 " households < %" PRId64,
                   t->prev_hh[p], opts->min_households);
    } else if (rec_hh >= 0 && rec_hh != t->prev_hh[p]) {
        add_reason(buf, size, "households changed: %" PRId64 ", was %" PRId64, t->prev_hh[p],
                   rec_hh);
    }
    if (t->partial[p]) {
        add_reason(buf, size, "street added or removed: a street block lies partly outside it");
    } else if (rec_blocks >= 0 && rec_blocks != t->prev_blocks[p]) {
        add_reason(buf, size, "street added or removed: %" PRId32 " street blocks, was %" PRId32,
                   t->prev_blocks[p], rec_blocks);
    }
    if (pc->area_inside[p] < 0.99 * pc->area[p]) {
        add_reason(buf, size, "community border changed: %.0f%% of it lies outside the community",
                   100.0 * (1.0 - pc->area_inside[p] / (pc->area[p] > 0 ? pc->area[p] : 1.0)));
    } else if (t->prev_area[p] < 0.99 * pc->area[p] || t->prev_area[p] > 1.01 * pc->area[p]) {
        add_reason(buf, size, "its street blocks cover %.0f%% of its area",
                   100.0 * t->prev_area[p] / (pc->area[p] > 0 ? pc->area[p] : 1.0));
    }
}

/* Why new grid g changed (matched to p, or -1 when new): its previous grid's reasons, else
 * those of the previous grids it took households from. */
static void grid_reasons(const gp_prev_community *pc, const tally *t, const gp_options *opts,
                         int32_t g, int32_t p, const char *const *reason, char *buf, size_t size)
{
    buf[0] = '\0';
    if (p >= 0 && reason[p][0]) {
        snprintf(buf, size, "%s", reason[p]);
    }
    int32_t np = t->np;
    int64_t from_none = t->new_hh[g];
    for (int32_t q = 0; q < np; q++) {
        int64_t hh = t->shared[(size_t)g * np + q];
        from_none -= hh;
        if (q == p || (hh == 0 && t->shared_area[(size_t)g * np + q] <= 0)) {
            continue;
        }
        if (hh > 0) {
            add_reason(buf, size, "took %" PRId64 " households from %s%s%s%s", hh,
                       gp_prev_code(pc, q), reason[q][0] ? " (" : "", reason[q],
                       reason[q][0] ? ")" : "");
        } else {
            add_reason(buf, size, "took street blocks without households from %s",
                       gp_prev_code(pc, q));
        }
    }
    if (from_none > 0) {
        add_reason(buf, size, "%" PRId64 " households in no previous grid", from_none);
    }
    if (p >= 0 && t->shared[(size_t)g * np + p] < t->prev_hh[p]) {
        add_reason(buf, size, "gave %" PRId64 " of its %" PRId64 " households to other grids",
                   t->prev_hh[p] - t->shared[(size_t)g * np + p], t->prev_hh[p]);
    }
    if (buf[0] == '\0') {
        snprintf(buf, size, "its street blocks changed");
    }
    (void)opts;
}

/* The highest serial among the community's previous codes "<id><digits>". */
static int64_t highest_serial(const gp_prev_community *pc)
{
    const char *cid = pc->ds->community_id[pc->c];
    size_t len = strlen(cid);
    int64_t top = 0;
    for (int32_t p = 0; p < pc->n; p++) {
        const char *code = gp_prev_code(pc, p);
        if (strncmp(code, cid, len) != 0 || code[len] == '\0' || strlen(code + len) > 12) {
            continue;
        }
        const char *s = code + len;
        while (isdigit((unsigned char)*s)) {
            s++;
        }
        if (*s == '\0') {
            int64_t serial = strtoll(code + len, NULL, 10);
            top = serial > top ? serial : top;
        }
    }
    return top;
}

static int in_layer(const gp_grid_layer *l, const char *code)
{
    for (int32_t i = 0; i < l->n; i++) {
        if (strcmp(l->code[i], code) == 0) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    int32_t g, first;
} new_key;

static int cmp_new(const void *pa, const void *pb)
{
    const new_key *a = pa, *b = pb;
    return (a->first > b->first) - (a->first < b->first);
}

/* Codes: kept and changed grids keep theirs; new ones take the next serials no code of the
 * previous layer has, in order of their lowest block. */
static gp_status assign_codes(gp_context *ctx, const gp_prev_community *pc, const tally *t,
                              gp_grid_codes *out)
{
    new_key *fresh = gp_malloc(((size_t)t->ng + 1) * sizeof *fresh);
    if (fresh == NULL) {
        return gp_error_nomem(ctx, "grid codes");
    }
    int32_t nf = 0;
    for (int32_t g = 0; g < t->ng; g++) {
        if (out->matched[g] >= 0) {
            out->code[g] = gp_strdup(gp_prev_code(pc, out->matched[g]));
        } else {
            fresh[nf++] = (new_key){g, t->new_first[g]};
        }
    }
    qsort(fresh, (size_t)nf, sizeof *fresh, cmp_new);
    const char *cid = pc->ds->community_id[pc->c];
    int64_t serial = highest_serial(pc);
    char code[300];
    for (int32_t i = 0; i < nf; i++) {
        do {
            snprintf(code, sizeof code, "%s%03" PRId64, cid, ++serial);
        } while (in_layer(pc->prev->layer, code));
        out->code[fresh[i].g] = gp_strdup(code);
    }
    gp_free(fresh);
    for (int32_t g = 0; g < t->ng; g++) {
        if (out->code[g] == NULL) {
            return gp_error_nomem(ctx, "grid codes");
        }
    }
    return GP_OK;
}

/* Changes, reasons, retired codes and households moved. */
static gp_status describe(gp_context *ctx, const gp_prev_community *pc, const gp_blocks *b,
                          const int32_t *assign, const gp_options *opts, const tally *t,
                          gp_grid_codes *out)
{
    enum { WHY = 900 };
    int32_t np = t->np;
    char **reason = gp_calloc((size_t)np + 1, sizeof *reason);
    char *buf = gp_malloc(WHY);
    uint8_t *taken = gp_calloc((size_t)np + 1, 1);
    gp_status st = GP_OK;
    if (reason == NULL || buf == NULL || taken == NULL) {
        st = gp_error_nomem(ctx, "grid changes");
        goto done;
    }
    for (int32_t p = 0; p < np; p++) {
        if ((reason[p] = gp_malloc(WHY)) == NULL) {
            st = gp_error_nomem(ctx, "grid changes");
            goto done;
        }
        prev_reasons(pc, t, opts, p, reason[p], WHY);
    }
    for (int32_t g = 0; g < t->ng; g++) {
        int32_t p = out->matched[g];
        if (p >= 0) {
            taken[p] = 1;
        }
        out->change[g] = p < 0                 ? GP_CHANGE_NEW
                         : is_kept(pc, t, g, p) ? GP_CHANGE_KEPT
                                                : GP_CHANGE_CHANGED;
        out->kept += out->change[g] == GP_CHANGE_KEPT;
        out->changed += out->change[g] == GP_CHANGE_CHANGED;
        out->added += out->change[g] == GP_CHANGE_NEW;
        if (out->change[g] != GP_CHANGE_KEPT) {
            grid_reasons(pc, t, opts, g, p, (const char *const *)reason, buf, WHY);
            if ((out->why[g] = gp_strdup(buf)) == NULL) {
                st = gp_error_nomem(ctx, "grid changes");
                goto done;
            }
        }
    }
    for (int32_t p = 0; p < np; p++) {
        if (taken[p]) {
            continue;
        }
        snprintf(buf, WHY, "%s", reason[p]);
        for (int32_t g = 0; g < t->ng; g++) {
            int64_t hh = t->shared[(size_t)g * np + p];
            if (hh > 0) {
                add_reason(buf, WHY, "%" PRId64 " of its households went to %s", hh,
                           out->code[g]);
            }
        }
        if (buf[0] == '\0') {
            snprintf(buf, WHY, "no grid holds most of it");
        }
        out->retired[out->n_retired] = p;
        if ((out->retired_why[out->n_retired++] = gp_strdup(buf)) == NULL) {
            st = gp_error_nomem(ctx, "grid changes");
            goto done;
        }
    }
    const int64_t *count = pc->ds->hh_count;
    for (int32_t v = 0; v < b->n; v++) {
        for (int32_t k = b->hh_start[v]; k < b->hh_start[v + 1]; k++) {
            int32_t q = gp_prev_hh_label(pc, b->hh_list[k]);
            if (q >= 0) {
                out->labelled += count[b->hh_list[k]];
                out->moved += out->matched[assign[v]] != q ? count[b->hh_list[k]] : 0;
            }
        }
    }
done:
    for (int32_t p = 0; reason != NULL && p < np; p++) {
        gp_free(reason[p]);
    }
    gp_free(reason);
    gp_free(buf);
    gp_free(taken);
    return st;
}

gp_status gp_grid_codes_make(gp_context *ctx, const gp_prev_community *pc, const gp_blocks *b,
                             const int32_t *assign, int32_t n_grids, const gp_options *opts,
                             int blocks_labelled, gp_grid_codes *out)
{
    memset(out, 0, sizeof *out);
    tally t = {0};
    size_t gg = (size_t)n_grids + 1;
    out->n_grids = n_grids;
    out->code = gp_calloc(gg, sizeof *out->code);
    out->change = gp_calloc(gg, 1);
    out->matched = gp_calloc(gg, sizeof *out->matched);
    out->why = gp_calloc(gg, sizeof *out->why);
    out->retired = gp_calloc((size_t)pc->n + 1, sizeof *out->retired);
    out->retired_why = gp_calloc((size_t)pc->n + 1, sizeof *out->retired_why);
    gp_status st = GP_OK;
    if (!out->code || !out->change || !out->matched || !out->why || !out->retired ||
        !out->retired_why) {
        st = gp_error_nomem(ctx, "grid codes");
        goto done;
    }
    if ((st = tally_alloc(ctx, &t, pc->n, n_grids, b->n)) != GP_OK) {
        goto done;
    }
    if (blocks_labelled) {
        memcpy(t.label, pc->block_label, (size_t)b->n * sizeof *t.label);
        memcpy(t.share, pc->block_share, (size_t)b->n * sizeof *t.share);
    } else if ((st = gp_prev_label_geoms(ctx, pc, b->geom, b->n, t.label, t.share, NULL)) !=
               GP_OK) {
        goto done;
    }
    count_shared(pc, b, assign, &t);
    if ((st = match(ctx, &t, out)) != GP_OK) {
        goto done;
    }
    find_mixed(pc, b, assign, out->matched, &t);
    if ((st = assign_codes(ctx, pc, &t, out)) != GP_OK) {
        goto done;
    }
    st = describe(ctx, pc, b, assign, opts, &t, out);
done:
    tally_free(&t);
    if (st != GP_OK) {
        gp_grid_codes_clear(out);
    }
    return st;
}
