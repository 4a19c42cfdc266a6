/* SPDX-License-Identifier: MIT */
/** @file gridpart.c The gridpart command line: divide communities into service grids. */

#include "gridpart.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Exit codes of the design's contract. */
enum { EXIT_DONE = 0, EXIT_BOUNDS = 1, EXIT_USAGE = 2 };

#ifndef GP_DEMO_DATA
#define GP_DEMO_DATA "examples/data"
#endif

static const char PARTITION_USAGE[] =
    "usage: gridpart partition --communities PATH[:LAYER] --id-field FIELD\n"
    "                          --streets PATH[:LAYER] [--class-field FIELD]\n"
    "                          --households PATH[:LAYER] [--count-field FIELD]\n"
    "                          [--barriers PATH[:LAYER]] [--min 300] [--max 500] [--target 400]\n"
    "                          [--grids auto|N] [--seed N] [--threads N]\n"
    "                          [--split never|oversize|needed]\n"
    "                          -o OUT.gpkg [--report OUT.json] [--map OUT.svg]\n"
    "\n"
    "Divide every community into contiguous grids of --min..--max households whose borders\n"
    "follow streets. Output layers `grids` and `blocks` are written in the communities' CRS\n"
    "(GeoPackage, or the format of the extension: .geojson, .fgb; a path without extension is\n"
    "a directory of shapefiles).\n"
    "\n"
    "--split: when a street block may be cut into pieces, the only grid borders off streets:\n"
    "  never     grids are unions of whole street blocks;\n"
    "  oversize  cut a block holding more than --max households in several features along its\n"
    "            internal paths (dead-end service roads, footways), else between buildings;\n"
    "  needed    (default) also, where a community's total allows grids within the bounds but\n"
    "            its whole blocks do not, cut the fewest blocks found, between buildings.\n"
    "  Grids bordering a cut get the flag split_block; cut pieces with a side off the streets\n"
    "  have on_streets = 0 in the blocks layer; the report lists every cut block.\n"
    "\n"
    "exit status: 0 done; 1 done, but some grid breaks a bound (see the report);\n"
    "             2 bad arguments or unusable input (nothing written).\n";

static const char DEMO_USAGE[] =
    "usage: gridpart demo [-o DIR] [--threads N]\n"
    "\n"
    "Run `partition` on the bundled sample data (" GP_DEMO_DATA
    ")\n"
    "and write grids.gpkg, report.json and map.svg into DIR (default: gridpart-demo).\n";

static const char MAIN_USAGE[] =
    "usage: gridpart COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  partition   divide communities into grids\n"
    "  demo        run partition on the bundled sample data\n"
    "\n"
    "  gridpart COMMAND --help   help for one command\n"
    "  gridpart --version        the library version\n";

typedef struct {
    const char *communities, *id_field, *streets, *class_field, *households, *count_field;
    const char *barriers, *out, *report, *map;
    int64_t min, max, target;
    int32_t grids, threads;
    int32_t split; /* gp_split_mode */
    uint64_t seed;
} args;

static int usage_error(const char *usage, const char *fmt, const char *what)
{
    fprintf(stderr, "gridpart: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

/* Parse a whole decimal integer in [lo, hi]; returns 0 on success. */
static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (s == NULL || *s == '\0') {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

static int32_t progress_bar(double fraction, const char *stage, void *user)
{
    (void)user;
    int width = 30;
    int done = (int)(fraction * width + 0.5);
    fprintf(stderr, "\r%-10s [%.*s%*s] %3d%%", stage, done, "##############################",
            width - done, "", (int)(fraction * 100 + 0.5));
    if (fraction >= 1.0) {
        fputc('\n', stderr);
    }
    return 0;
}

static void log_line(gp_log_level level, const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "%s%s\n", level >= GP_LOG_ERROR ? "" : "gridpart: warning: ", message);
}

/* Fill `a` from argv; returns -1 when parsed, else an exit code (help or usage error). */
static int parse_partition(int argc, char **argv, args *a)
{
    static const struct {
        const char *flag;
        size_t offset;
    } strings[] = {
        {"--communities", offsetof(args, communities)},
        {"--id-field", offsetof(args, id_field)},
        {"--streets", offsetof(args, streets)},
        {"--class-field", offsetof(args, class_field)},
        {"--households", offsetof(args, households)},
        {"--count-field", offsetof(args, count_field)},
        {"--barriers", offsetof(args, barriers)},
        {"-o", offsetof(args, out)},
        {"--output", offsetof(args, out)},
        {"--report", offsetof(args, report)},
        {"--map", offsetof(args, map)},
    };
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            fputs(PARTITION_USAGE, stdout);
            return EXIT_DONE;
        }
        if (i + 1 >= argc) {
            return usage_error(PARTITION_USAGE, "%s needs a value", flag);
        }
        const char *value = argv[++i];
        int matched = 0;
        for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++) {
            if (strcmp(flag, strings[k].flag) == 0) {
                *(const char **)((char *)a + strings[k].offset) = value;
                matched = 1;
            }
        }
        if (matched) {
            continue;
        }
        int64_t v = 0;
        if (strcmp(flag, "--min") == 0 || strcmp(flag, "--max") == 0 ||
            strcmp(flag, "--target") == 0) {
            if (parse_int(value, 0, INT64_MAX / 4, &v) != 0) {
                return usage_error(PARTITION_USAGE, "%s needs a whole number >= 0", flag);
            }
            *(flag[2] == 'm' ? (flag[3] == 'i' ? &a->min : &a->max) : &a->target) = v;
        } else if (strcmp(flag, "--grids") == 0) {
            if (strcmp(value, "auto") == 0) {
                a->grids = 0;
            } else if (parse_int(value, 1, INT32_MAX, &v) == 0) {
                a->grids = (int32_t)v;
            } else {
                return usage_error(PARTITION_USAGE, "%s needs 'auto' or a whole number >= 1", flag);
            }
        } else if (strcmp(flag, "--seed") == 0) {
            if (parse_int(value, 0, INT64_MAX, &v) != 0) {
                return usage_error(PARTITION_USAGE, "%s needs a whole number >= 0", flag);
            }
            a->seed = (uint64_t)v;
        } else if (strcmp(flag, "--split") == 0) {
            static const struct {
                const char *name;
                int32_t mode;
            } modes[] = {{"never", GP_SPLIT_NEVER},
                         {"oversize", GP_SPLIT_OVERSIZE},
                         {"needed", GP_SPLIT_NEEDED}};
            a->split = -1;
            for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
                if (strcmp(value, modes[k].name) == 0) {
                    a->split = modes[k].mode;
                }
            }
            if (a->split < 0) {
                return usage_error(PARTITION_USAGE, "%s needs never, oversize or needed", flag);
            }
        } else if (strcmp(flag, "--threads") == 0) {
            if (parse_int(value, 0, 1024, &v) != 0) {
                return usage_error(PARTITION_USAGE, "%s needs a whole number in [0, 1024]", flag);
            }
            a->threads = (int32_t)v;
        } else {
            return usage_error(PARTITION_USAGE, "unknown option '%s'", flag);
        }
    }
    if (a->communities == NULL) {
        return usage_error(PARTITION_USAGE, "%s is required", "--communities");
    }
    if (a->id_field == NULL) {
        return usage_error(PARTITION_USAGE, "%s is required", "--id-field");
    }
    if (a->streets == NULL) {
        return usage_error(PARTITION_USAGE, "%s is required", "--streets");
    }
    if (a->households == NULL) {
        return usage_error(PARTITION_USAGE, "%s is required", "--households");
    }
    if (a->out == NULL) {
        return usage_error(PARTITION_USAGE, "%s is required", "-o");
    }
    return -1;
}

/* Run the pipeline for parsed arguments; returns the exit code. */
static int run_partition(const args *a, int quiet_summary)
{
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    int code = EXIT_USAGE;
    gp_status st = gp_context_new(&ctx);
    if (st != GP_OK) {
        fprintf(stderr, "gridpart: %s\n", gp_status_string(st));
        return EXIT_USAGE;
    }
    if ((st = gp_context_set_log(ctx, log_line, GP_LOG_ERROR, NULL)) != GP_OK ||
        (st = gp_options_new(&opts)) != GP_OK || (st = gp_inputs_new(&in)) != GP_OK) {
        goto done;
    }
    if (isatty(STDERR_FILENO) && (st = gp_context_set_progress(ctx, progress_bar, NULL))) {
        goto done;
    }
    /* Target first when it is explicit, so that the bounds check sees it; 0 follows bounds. */
    if ((st = gp_options_set_target(ctx, opts, 0)) ||
        (st = gp_options_set_bounds(ctx, opts, a->min, a->max)) ||
        (st = gp_options_set_target(ctx, opts, a->target)) ||
        (st = gp_options_set_grid_count(ctx, opts, a->grids)) ||
        (st = gp_options_set_seed(ctx, opts, a->seed)) ||
        (st = gp_options_set_threads(ctx, opts, a->threads)) ||
        (st = gp_options_set_split(ctx, opts, a->split)) ||
        (st = gp_inputs_set_communities(ctx, in, a->communities, a->id_field)) ||
        (st = gp_inputs_set_streets(ctx, in, a->streets, a->class_field)) ||
        (st = gp_inputs_set_households(ctx, in, a->households, a->count_field)) ||
        (st = gp_inputs_set_barriers(ctx, in, a->barriers))) {
        goto done;
    }
    if ((st = gp_run(ctx, in, opts, &plan)) != GP_OK ||
        (st = gp_plan_write(ctx, plan, a->out, NULL)) != GP_OK ||
        (a->report && (st = gp_plan_write_report(ctx, plan, a->report)) != GP_OK) ||
        (a->map && (st = gp_plan_write_map(ctx, plan, a->map)) != GP_OK)) {
        goto done;
    }
    int32_t oob = gp_plan_out_of_bounds(plan);
    int64_t households = 0;
    int32_t cut = 0;
    for (int32_t c = 0; c < gp_plan_community_count(plan); c++) {
        households += gp_plan_community_households(plan, c);
        cut += gp_plan_community_split_blocks(plan, c);
    }
    if (!quiet_summary) {
        printf("gridpart: %" PRId32 " grids in %" PRId32 " communities, %" PRId64
               " households (%" PRId64 " outside every community)\n",
               gp_plan_grid_count(plan), gp_plan_community_count(plan), households,
               gp_plan_households_outside(plan));
        if (cut > 0) {
            printf("gridpart: %" PRId32
                   " street block(s) cut into pieces; the grids beside a cut are flagged "
                   "split_block (the report says where and why)\n",
                   cut);
        }
    }
    if (oob > 0) {
        fprintf(stderr,
                "gridpart: %" PRId32 " grid(s) outside [%" PRId64 ", %" PRId64
                "] households: see the problems in the report\n",
                oob, a->min, a->max);
    }
    for (int32_t i = 0; i < gp_plan_problem_count(plan) && i < 5; i++) {
        fprintf(stderr, "gridpart: problem: %s\n", gp_plan_problem(plan, i));
    }
    if (gp_plan_problem_count(plan) > 5) {
        fprintf(stderr, "gridpart: ... %" PRId32 " problems in all (see the report)\n",
                gp_plan_problem_count(plan));
    }
    code = oob > 0 ? EXIT_BOUNDS : EXIT_DONE;
done:
    if (st != GP_OK) {
        const char *msg = gp_context_last_error(ctx);
        fprintf(stderr, "gridpart: error: %s\n", *msg ? msg : gp_status_string(st));
        code = EXIT_USAGE;
    }
    gp_plan_free(plan);
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    return code;
}

static int cmd_partition(int argc, char **argv)
{
    args a = {.min = 300, .max = 500, .target = 0, .seed = 1, .split = GP_SPLIT_NEEDED};
    int code = parse_partition(argc, argv, &a);
    return code >= 0 ? code : run_partition(&a, 0);
}

static int cmd_demo(int argc, char **argv)
{
    const char *dir = "gridpart-demo";
    int64_t threads = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(DEMO_USAGE, stdout);
            return EXIT_DONE;
        }
        if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
            dir = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) {
            if (parse_int(argv[++i], 0, 1024, &threads) != 0) {
                return usage_error(DEMO_USAGE, "%s needs a whole number in [0, 1024]", "--threads");
            }
        } else {
            return usage_error(DEMO_USAGE, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    const char *data = getenv("GRIDPART_DEMO_DATA") ? getenv("GRIDPART_DEMO_DATA") : GP_DEMO_DATA;
    char communities[4096], streets[4096], households[4096], out[4096], report[4096], map[4096];
    snprintf(communities, sizeof communities, "%s/communities.gpkg", data);
    snprintf(streets, sizeof streets, "%s/streets.gpkg", data);
    snprintf(households, sizeof households, "%s/households.gpkg", data);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gridpart: error: %s: cannot create the output directory: %s\n", dir,
                strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(out, sizeof out, "%s/grids.gpkg", dir);
    snprintf(report, sizeof report, "%s/report.json", dir);
    snprintf(map, sizeof map, "%s/map.svg", dir);
    printf("gridpart %s demo: partitioning the sample city in %s\n", gp_version(), data);
    args a = {.communities = communities,
              .id_field = "code",
              .streets = streets,
              .class_field = "class",
              .households = households,
              .count_field = "households",
              .out = out,
              .report = report,
              .map = map,
              .min = 300,
              .max = 500,
              .seed = 1,
              .split = GP_SPLIT_NEEDED,
              .threads = (int32_t)threads};
    int code = run_partition(&a, 0);
    if (code != EXIT_USAGE) {
        printf(
            "grids and blocks (GeoPackage): %s\nreport (JSON):                 %s\n"
            "map (SVG, open in a browser):  %s\n",
            out, report, map);
    }
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(MAIN_USAGE, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(MAIN_USAGE, stdout);
        return EXIT_DONE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gridpart %s\n", gp_version());
        return EXIT_DONE;
    }
    if (strcmp(argv[1], "partition") == 0) {
        return cmd_partition(argc, argv);
    }
    if (strcmp(argv[1], "demo") == 0) {
        return cmd_demo(argc, argv);
    }
    return usage_error(MAIN_USAGE, "unknown command '%s'", argv[1]);
}
