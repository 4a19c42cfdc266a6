/* SPDX-License-Identifier: MIT */
/** @file staffing.c Staffing rules: the --staffing text, its parameters and the workers required. */

#include "options.h"

#include "context.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number in [lo, INT32_MAX] from the text of parameter `key` of `rule`. */
static gp_status parse_count(gp_context *ctx, const char *rule, const char *key, const char *text,
                             int64_t lo, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || v < lo || v > INT32_MAX) {
        return gp_error(ctx, GP_ERR_ARG,
                        "staffing rule '%s': %s=%s is not a whole number in [%" PRId64 ", %d]",
                        rule, key, text, lo, INT32_MAX);
    }
    *out = (int64_t)v;
    return GP_OK;
}

/* A finite number > 0 from the text of parameter `key` of `rule`. */
static gp_status parse_positive(gp_context *ctx, const char *rule, const char *key,
                                const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(v) || v <= 0.0 || v > 1e6) {
        return gp_error(ctx, GP_ERR_ARG, "staffing rule '%s': %s=%s is not a number in (0, 1e6]",
                        rule, key, text);
    }
    *out = v;
    return GP_OK;
}

/* One "key=value" (or, first for per10k, a bare N) of a rule's parameter list. */
static gp_status parse_param(gp_context *ctx, const char *rule, char *item, int first,
                             gp_staffing_rule_params *p)
{
    char *eq = strchr(item, '=');
    if (eq == NULL && first && p->rule == GP_STAFFING_PER10K) {
        return parse_positive(ctx, rule, "N", item, &p->per10k);
    }
    if (eq == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "staffing rule '%s': '%s' is not NAME=VALUE", rule,
                        item);
    }
    *eq = '\0';
    const char *key = item, *value = eq + 1;
    if (p->rule == GP_STAFFING_ZHEJIANG && strcmp(key, "base") == 0) {
        return parse_count(ctx, rule, key, value, 0, &p->base);
    }
    if (p->rule == GP_STAFFING_ZHEJIANG && strcmp(key, "above") == 0) {
        return parse_count(ctx, rule, key, value, 0, &p->above);
    }
    if (p->rule == GP_STAFFING_ZHEJIANG && strcmp(key, "per") == 0) {
        return parse_count(ctx, rule, key, value, 1, &p->per);
    }
    if (p->rule == GP_STAFFING_PER10K && strcmp(key, "persons") == 0) {
        return parse_positive(ctx, rule, key, value, &p->persons);
    }
    if (p->rule == GP_STAFFING_PER10K && (strcmp(key, "N") == 0 || strcmp(key, "n") == 0)) {
        return parse_positive(ctx, rule, "N", value, &p->per10k);
    }
    return gp_error(ctx, GP_ERR_ARG,
                    "staffing rule '%s': unknown parameter '%s' (zhejiang takes base, above, per; "
                    "per10k takes N and persons)",
                    rule, key);
}

gp_status gp_options_set_staffing(gp_context *ctx, gp_options *opts, const char *rule)
{
    if (opts == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_options_set_staffing: options are NULL");
    }
    gp_staffing_rule_params p = gp_options_defaults()->staffing;
    char text[256];
    if (rule == NULL || *rule == '\0' || strcmp(rule, "none") == 0) {
        opts->staffing = p;
        return GP_OK;
    }
    if (strlen(rule) >= sizeof text) {
        return gp_error(ctx, GP_ERR_ARG, "staffing rule '%.40s...' is too long", rule);
    }
    memcpy(text, rule, strlen(rule) + 1);
    char *colon = strchr(text, ':');
    char *params = colon ? colon + 1 : NULL;
    if (colon != NULL) {
        *colon = '\0';
    }
    if (strcmp(text, "zhejiang") == 0) {
        p.rule = GP_STAFFING_ZHEJIANG;
    } else if (strcmp(text, "per10k") == 0) {
        p.rule = GP_STAFFING_PER10K;
    } else if (strcmp(text, "grid") == 0 && params == NULL) {
        p.rule = GP_STAFFING_GRID;
    } else {
        return gp_error(ctx, GP_ERR_ARG,
                        "staffing rule '%s' is not one of zhejiang[:base=6,above=2000,per=350], "
                        "per10k:N[,persons=2.6], grid",
                        rule);
    }
    int first = 1;
    for (char *save = NULL, *item = params ? strtok_r(params, ",", &save) : NULL; item != NULL;
         item = strtok_r(NULL, ",", &save), first = 0) {
        gp_status st = parse_param(ctx, rule, item, first, &p);
        if (st != GP_OK) {
            return st;
        }
    }
    if (p.rule == GP_STAFFING_PER10K && !(p.per10k > 0.0)) {
        return gp_error(ctx, GP_ERR_ARG,
                        "staffing rule '%s': per10k needs N, the workers per 10,000 residents "
                        "(e.g. per10k:16)",
                        rule);
    }
    opts->staffing = p;
    return GP_OK;
}

int32_t gp_options_get_staffing(const gp_options *opts)
{
    return opts ? opts->staffing.rule : GP_STAFFING_NONE;
}

int32_t gp_options_staffing_text(const gp_options *opts, char *buf, size_t size)
{
    const gp_staffing_rule_params *p = opts ? &opts->staffing : NULL;
    int n;
    if (p != NULL && p->rule == GP_STAFFING_ZHEJIANG) {
        n = snprintf(buf, size, "zhejiang:base=%" PRId64 ",above=%" PRId64 ",per=%" PRId64,
                     p->base, p->above, p->per);
    } else if (p != NULL && p->rule == GP_STAFFING_PER10K) {
        n = snprintf(buf, size, "per10k:%g,persons=%g", p->per10k, p->persons);
    } else {
        n = snprintf(buf, size, "%s",
                     p != NULL && p->rule == GP_STAFFING_GRID ? "grid" : "none");
    }
    return (int32_t)n;
}

int64_t gp_staffing_required(const gp_options *opts, int64_t households, double residents,
                             int32_t grids)
{
    const gp_staffing_rule_params *p = opts ? &opts->staffing : NULL;
    if (p == NULL || households < 0) {
        return 0;
    }
    switch (p->rule) {
    case GP_STAFFING_ZHEJIANG:
        return households > p->above ? p->base + (households - p->above + p->per - 1) / p->per
                                     : p->base;
    case GP_STAFFING_PER10K: {
        double r = residents >= 0.0 ? residents : (double)households * p->persons;
        /* Rounded up, but a product that is whole up to rounding stays whole (16 x 10,000). */
        double x = p->per10k * r / 10000.0;
        return (int64_t)ceil(x - 1e-9 * fmax(1.0, x));
    }
    case GP_STAFFING_GRID:
        return grids > 0 ? grids : 0;
    default:
        return 0;
    }
}
