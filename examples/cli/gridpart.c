/* SPDX-License-Identifier: MIT */
/** @file gridpart.c The gridpart command line: divide communities into service grids. */

#include "gridpart.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef GP_MIMALLOC
#include <mimalloc.h>
#endif

/* Exit codes of the design's contract; a signal ends the run with 128 + its number. */
enum { EXIT_DONE = 0, EXIT_BOUNDS = 1, EXIT_USAGE = 2, EXIT_TIME_LIMIT = 3 };
/* Set when --time-limit was given: a cancel that no signal caused is then the limit's. */
static int time_limit_given;

#ifndef GP_DEMO_DATA
#define GP_DEMO_DATA "examples/data"
#endif

static const char PARTITION_USAGE[] =
    "usage: gridpart partition --communities PATH[:LAYER] --id-field FIELD\n"
    "                          --streets PATH[:LAYER] [--class-field FIELD]\n"
    "                          --households PATH[:LAYER] [--count-field FIELD]\n"
    "                          [--barriers PATH[:LAYER]] [--min 300] [--max 500] [--target 400]\n"
    "                          [--grids auto|N] [--seed N] [--threads N] [--effort X]\n"
    "                          [--time-limit SECONDS]\n"
    "                          [--split never|oversize|needed] [--overlaps error|first]\n"
    "                          [--crs CRS]\n"
    "                          [--staffing RULE] [--residents-field FIELD]\n"
    "                          [--workers PATH[:LAYER]] [--worker-id-field FIELD]\n"
    "                          [--worker-community-field FIELD] [--worker-grid-field FIELD]\n"
    "                          [--weight FIELD=W]... [--extra-load PATH[:LAYER][=FIELD]]...\n"
    "                          [--balance workload|households] [--max-workload X]\n"
    "                          [--oo KEY=VALUE]... [--assume-crs CRS]\n"
    "                          [--only ID,ID,...|FILE] [--bbox MINX,MINY,MAXX,MAXY]\n"
    "                          -o OUT [--format DRIVER] [--lco KEY=VALUE]... [--dsco K=V]...\n"
    "                          [--report OUT.json] [--map OUT.svg] [--overwrite]\n"
    "                          [--map-sheets DIR] [--map-colour grid|worker|change|community]\n"
    "\n"
    "Divide every community into contiguous grids of --min..--max households whose borders\n"
    "follow streets.\n"
    "\n"
    "inputs (any format and CRS GDAL reads; PATH:LAYER or PATH|layername=LAYER names a layer,\n"
    "PATH|layerid=N the N-th from 0, PG:CONNINFO:TABLE a table; |option:KEY=VALUE appended to\n"
    "any of them is a GDAL open option for that layer alone):\n"
    "  --communities   community polygons; --id-field names their id (it starts grid codes)\n"
    "  --streets       street lines; --class-field their class (OSM highway values: arterials\n"
    "                  are preferred as grid borders)\n"
    "  --households    address points or building polygons; --count-field the households each\n"
    "                  holds (without it every feature is one household)\n"
    "  --barriers      rivers, railways: lines no grid crosses\n"
    "  --oo            KEY=VALUE: a GDAL open option for every input (as ogr2ogr -oo; drivers\n"
    "                  ignore options they lack), e.g. a CSV of points: --households pts.csv\n"
    "                  --oo X_POSSIBLE_NAMES=lon --oo Y_POSSIBLE_NAMES=lat (repeatable)\n"
    "  --assume-crs    the CRS of inputs that have none (a CSV, a .shp without .prj), e.g.\n"
    "                  EPSG:4326; inputs with a CRS keep theirs\n"
    "\n"
    "a part of the input (one job of many: GNU parallel, a Slurm array, ...; the parts' grids\n"
    "together are exactly those of one whole run):\n"
    "  --only          divide only these communities: ids separated by commas, or a FILE of\n"
    "                  one id per line (# comments and blank lines skipped) when a file of\n"
    "                  that name exists; an id no community has is an error. GDAL reads them\n"
    "                  with an attribute filter, and the streets, households and neighbours\n"
    "                  within 100 m of them with a spatial filter (files or PostGIS)\n"
    "  --bbox          MINX,MINY,MAXX,MAXY in the communities' CRS (x first): divide only the\n"
    "                  communities whose envelope's centre lies in it (minx <= x < maxx, so\n"
    "                  tiles share none); with --only, a community must pass both\n"
    "\n"
    "workload (a grid's workload: its households + W x FIELD of its households + extra loads):\n"
    "  --weight        FIELD=W: a numeric field of the households layer and its weight >= 0,\n"
    "                  e.g. --weight elderly=0.5 --weight disabled=1 (repeatable)\n"
    "  --extra-load    PATH[:LAYER][=FIELD]: features that make work (shops, firms, schools,\n"
    "                  events): each adds FIELD (default 1) to the grid holding it (repeatable)\n"
    "  --balance       what the optimizer evens within the household bounds: workload (the\n"
    "                  default when a weight or extra load is given) or households\n"
    "  --max-workload  a hard cap on a grid's workload (reported when no division meets it)\n"
    "\n"
    "division:\n"
    "  --min, --max    households per grid (default %" PRId64 " and %" PRId64 ")\n"
    "  --target        households per grid used to choose the grid count (default the middle)\n"
    "  --grids         grids per community: auto (default) or a number\n"
    "  --seed          random seed (default %" PRIu64 "): the same seed gives the same grids\n"
    "  --threads       worker threads, 0 = one per core (default); results do not depend on it\n"
    "  --effort        multiplier of the optimizer's work budget (default %g)\n"
    "  --time-limit    stop after this many seconds (reading to assembling; writing is\n"
    "                  not counted) with no output and exit status 3 (default: none); a run\n"
    "                  that ends in time gives the same grids as without a limit\n"
    "  --split         when a street block may be cut into pieces, the only grid borders off\n"
    "                  streets:\n"
    "      never       grids are unions of whole street blocks;\n"
    "      oversize    cut a block holding more than --max households in several features along\n"
    "                  its internal paths (dead-end service roads, footways), else between\n"
    "                  buildings;\n"
    "      needed      (default) also, where a community's total allows grids within the bounds\n"
    "                  but its whole blocks do not, cut the fewest blocks found.\n"
    "                  Grids bordering a cut get the flag split_block; the report lists each cut.\n"
    "  --overlaps      communities that overlap by more than a digitising sliver:\n"
    "      error       (default) refuse the run, naming both communities and the area;\n"
    "      first       give the overlap to the community whose id sorts first, and report it\n"
    "                  (slivers are always given that way and noted)\n"
    "  --crs           the metric CRS to work in (default: the communities' own when projected\n"
    "                  in metres, else a CGCS2000 Gauss-Kruger or UTM zone); the report names it\n"
    "\n"
    "staffing (一格一员: one worker per grid):\n"
    "  --staffing      the workers each community needs, in the report (staffing.required):\n"
    "      zhejiang[:base=6,above=2000,per=350]  base, plus one per `per` households or part\n"
    "                  of them above `above` (Zhejiang 2021)\n"
    "      per10k:N[,persons=2.6]  N per 10,000 residents, rounded up (Jinzhong 2022: 16, 18);\n"
    "                  residents from --residents-field, else households x persons\n"
    "      grid        one per grid\n"
    "  --residents-field  a numeric field of the households layer: residents per feature\n"
    "  --workers       the roster (a table, CSV works): worker_id, community and optionally\n"
    "                  grid_code (the grid a worker holds now and keeps where possible); every\n"
    "                  grid gets a worker of its community: one each when there are enough\n"
    "                  (the rest listed as surplus), else contiguous sets of even workload;\n"
    "                  a community without workers gets the flag no_worker. Adds the layer\n"
    "                  `workers`; --worker-id-field, --worker-community-field and\n"
    "                  --worker-grid-field rename the fields\n"
    "\n"
    "outputs (checked before any work; written all or nothing at the end):\n"
    "  -o, --output    where the layers `grids` and `blocks` go, in the communities' CRS: a\n"
    "                  GeoPackage (.gpkg: added to an existing one, other layers untouched), a\n"
    "                  PostGIS database (PG:\"dbname=... host=...\"), a one-layer-per-file format\n"
    "                  (.geojson, .fgb, .shp, ...: blocks go to NAME.blocks.EXT), or a folder\n"
    "                  (a path without extension: grids.shp and blocks.shp inside)\n"
    "                  (with --workers also the layer `workers`)\n"
    "  --format        the GDAL driver (GPKG, GeoJSON, FlatGeobuf, \"ESRI Shapefile\", ...);\n"
    "                  default: from the output's extension or connection prefix\n"
    "  --lco           KEY=VALUE: a GDAL layer creation option (as ogr2ogr -lco), e.g.\n"
    "                  ENCODING=UTF-8 for a shapefile (repeatable; one the driver lacks is\n"
    "                  an error)\n"
    "  --dsco          KEY=VALUE: a GDAL dataset creation option for a new dataset (as\n"
    "                  ogr2ogr -dsco, repeatable)\n"
    "  --report        JSON report: per community households, grids, problems; the settings\n"
    "  --map           SVG map of the grids: title, legend, scale bar, labels that fit\n"
    "  --map-sheets    DIR: the maps of a whole city: DIR/overview.svg (communities coloured\n"
    "                  by grid count, hatched when a grid breaks a bound; click one for its\n"
    "                  sheet) and one printable sheet per community, DIR/ID.svg (ID with\n"
    "                  characters other than letters, digits, - _ . as _); DIR is made when\n"
    "                  missing, other files in it are never touched\n"
    "  --map-colour    what the fills tell apart on the map and sheets: grid (neighbouring\n"
    "                  grids differ; the default without --workers), worker (each worker's\n"
    "                  grids; the default with --workers), change (kept, changed, new: adjust\n"
    "                  only) or community\n"
    "  --overwrite     replace outputs that exist (only the layers grids and blocks of a\n"
    "                  dataset, and the files named); without it an existing one is an error\n"
    "\n"
    "exit status: 0 done; 1 done, but some grid breaks a bound (see the report);\n"
    "             2 bad arguments or unusable input (nothing written);\n"
    "             3 the --time-limit ran out (nothing written);\n"
    "             130, 143 interrupted by SIGINT, SIGTERM (nothing written).\n";

static const char ADJUST_USAGE[] =
    "usage: gridpart adjust --previous OLD[:LAYER] [--previous-code-field grid_code]\n"
    "                       [--previous-community-field FIELD]\n"
    "                       ...the inputs, division options and outputs of partition...\n"
    "\n"
    "Repair a previous division (gridpart's own grids layer, or grids drawn by hand: any codes,\n"
    "any CRS) for changed streets, households or communities, moving as few households as\n"
    "possible. A division that still holds is kept as it was; a grid keeps the code of the\n"
    "previous grid whose households it mostly holds; new grids get codes never used before.\n"
    "The grids layer gains the field `change` (kept, changed, new); the report lists per\n"
    "community the grids kept, changed, new and retired, the households moved and why.\n"
    "\n"
    "  --previous                  the previous grids layer\n"
    "  --previous-code-field       its code field (default grid_code)\n"
    "  --previous-community-field  its community id field (default: each grid belongs to the\n"
    "                              community holding most of its area; needed with --only\n"
    "                              or --bbox)\n"
    "\n"
    "See gridpart partition --help for the other options. Exit status as partition.\n";

static const char DEMO_USAGE[] =
    "usage: gridpart demo [-o DIR] [--threads N]\n"
    "\n"
    "Run `partition` on the bundled sample data (" GP_DEMO_DATA
    ")\n"
    "and write grids.gpkg, report.json and map.svg into DIR (default: gridpart-demo), replacing\n"
    "those three files when they exist and nothing else.\n";

static const char MAIN_USAGE[] =
    "usage: gridpart COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  partition   divide communities into grids\n"
    "  adjust      repair a previous division for changed inputs, keeping its codes\n"
    "  demo        run partition on the bundled sample data\n"
    "  check       audit an existing grids layer against the rules\n"
    "\n"
    "  gridpart COMMAND --help   help for one command\n"
    "  gridpart --version        the library version\n";

/* At most this many --weight and --extra-load options each. */
#define GP_CLI_MAX_LIST 64

typedef struct {
    const char *communities, *id_field, *streets, *class_field, *households, *count_field;
    const char *barriers, *out, *format, *report, *map, *crs;
    const char *map_sheets; /* --map-sheets DIR */
    int32_t map_colour;     /* gp_map_colour; 0 (auto): not given */
    const char *staffing, *residents_field, *workers, *worker_id_field, *worker_community_field,
        *worker_grid_field;
    int64_t min, max, target; /* -1: not given */
    int32_t grids, threads;   /* -1: not given */
    int32_t split;            /* gp_split_mode, -1: not given */
    int32_t overlaps;         /* GP_OVERLAPS_*, -1: not given */
    double effort;            /* 0: not given */
    double time_limit;        /* 0: not given (none) */
    int64_t seed;             /* -1: not given */
    int overwrite;
    const char *command; /* partition, adjust, check or demo: named in a usage error */
    /* adjust only: */
    const char *previous, *previous_code_field, *previous_community_field;
    /* Workload (0.3): --weight and --extra-load as given, --balance, --max-workload. */
    const char *weight[GP_CLI_MAX_LIST], *extra_load[GP_CLI_MAX_LIST];
    int32_t n_weights, n_extra_loads;
    int32_t balance;     /* gp_balance_mode; GP_BALANCE_AUTO: not given */
    double max_workload; /* 0: not given */
    /* GDAL conventions (0.3): --oo, --assume-crs for inputs; --lco, --dsco for the layers. */
    const char *oo[GP_CLI_MAX_LIST], *lco[GP_CLI_MAX_LIST], *dsco[GP_CLI_MAX_LIST];
    int32_t n_oo, n_lco, n_dsco;
    const char *assume_crs;
    /* A part of the input: --only's ids (in only_text, owned) and --bbox. */
    char *only_text;
    const char **only;
    size_t n_only;
    int has_bbox;
    double bbox[4];
} args;

/* The options of `command` before any is given (-1 or 0 where a field says "not given"). */
static args args_for(const char *command)
{
    return (args){.min = -1,
                  .max = -1,
                  .target = -1,
                  .grids = -1,
                  .threads = -1,
                  .split = -1,
                  .overlaps = -1,
                  .seed = -1,
                  .command = command};
}

static int is_adjust(const args *a)
{
    return strcmp(a->command, "adjust") == 0;
}

/* The signal that asked the run to stop, or 0. The progress callback passes it on. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the process at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void print_partition_usage(FILE *f)
{
    gp_options *d = NULL;
    if (gp_options_new(&d) != GP_OK) {
        return;
    }
    /* The defaults come from the library's one table. */
    fprintf(f, PARTITION_USAGE, gp_options_get_min(d), gp_options_get_max(d),
            gp_options_get_seed(d), gp_options_get_effort(d));
    gp_options_free(d);
}

static int usage_error(const char *what, const char *fmt, const char *arg)
{
    fprintf(stderr, "gridpart: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see gridpart %s --help)\n", what);
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

static int32_t on_progress(double fraction, const char *stage, void *user)
{
    int bar = *(const int *)user;
    if (bar) {
        int width = 30;
        int done = (int)(fraction * width + 0.5);
        fprintf(stderr, "\r%-10s [%.*s%*s] %3d%%", stage, done, "##############################",
                width - done, "", (int)(fraction * 100 + 0.5));
        if (fraction >= 1.0 || stop_signal) {
            fputc('\n', stderr);
        }
    }
    return stop_signal != 0;
}

static void log_line(gp_log_level level, const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "gridpart: %s%s\n", level >= GP_LOG_WARN ? "warning: " : "", message);
}

enum {
    OPT_COMMUNITIES = 256, OPT_ID_FIELD, OPT_STREETS, OPT_CLASS_FIELD, OPT_HOUSEHOLDS,
    OPT_COUNT_FIELD, OPT_BARRIERS, OPT_MIN, OPT_MAX, OPT_TARGET, OPT_GRIDS, OPT_SEED,
    OPT_THREADS, OPT_EFFORT, OPT_SPLIT, OPT_OVERLAPS, OPT_CRS, OPT_FORMAT, OPT_REPORT, OPT_MAP, OPT_OVERWRITE,
    OPT_PREVIOUS, OPT_PREVIOUS_CODE, OPT_PREVIOUS_COMMUNITY,
    OPT_STAFFING, OPT_RESIDENTS_FIELD, OPT_WORKERS, OPT_WORKER_ID_FIELD, OPT_WORKER_COMMUNITY_FIELD,
    OPT_WORKER_GRID_FIELD,
    OPT_WEIGHT, OPT_EXTRA_LOAD, OPT_BALANCE, OPT_MAX_WORKLOAD,
    OPT_OO, OPT_ASSUME_CRS, OPT_LCO, OPT_DSCO, OPT_MAP_SHEETS, OPT_MAP_COLOUR, OPT_TIME_LIMIT,
    OPT_ONLY, OPT_BBOX
};

static const struct option PARTITION_OPTIONS[] = {
    {"communities", required_argument, NULL, OPT_COMMUNITIES},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"streets", required_argument, NULL, OPT_STREETS},
    {"class-field", required_argument, NULL, OPT_CLASS_FIELD},
    {"households", required_argument, NULL, OPT_HOUSEHOLDS},
    {"count-field", required_argument, NULL, OPT_COUNT_FIELD},
    {"barriers", required_argument, NULL, OPT_BARRIERS},
    {"min", required_argument, NULL, OPT_MIN},
    {"max", required_argument, NULL, OPT_MAX},
    {"target", required_argument, NULL, OPT_TARGET},
    {"grids", required_argument, NULL, OPT_GRIDS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"effort", required_argument, NULL, OPT_EFFORT},
    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"overlaps", required_argument, NULL, OPT_OVERLAPS},
    {"crs", required_argument, NULL, OPT_CRS},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"report", required_argument, NULL, OPT_REPORT},
    {"map", required_argument, NULL, OPT_MAP},
    {"map-sheets", required_argument, NULL, OPT_MAP_SHEETS},
    {"map-colour", required_argument, NULL, OPT_MAP_COLOUR},
    {"map-color", required_argument, NULL, OPT_MAP_COLOUR},
    {"overwrite", no_argument, NULL, OPT_OVERWRITE},
    {"oo", required_argument, NULL, OPT_OO},
    {"assume-crs", required_argument, NULL, OPT_ASSUME_CRS},
    {"only", required_argument, NULL, OPT_ONLY},
    {"bbox", required_argument, NULL, OPT_BBOX},
    {"lco", required_argument, NULL, OPT_LCO},
    {"dsco", required_argument, NULL, OPT_DSCO},
    {"previous", required_argument, NULL, OPT_PREVIOUS},
    {"previous-code-field", required_argument, NULL, OPT_PREVIOUS_CODE},
    {"previous-community-field", required_argument, NULL, OPT_PREVIOUS_COMMUNITY},
    {"staffing", required_argument, NULL, OPT_STAFFING},
    {"residents-field", required_argument, NULL, OPT_RESIDENTS_FIELD},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"worker-id-field", required_argument, NULL, OPT_WORKER_ID_FIELD},
    {"worker-community-field", required_argument, NULL, OPT_WORKER_COMMUNITY_FIELD},
    {"worker-grid-field", required_argument, NULL, OPT_WORKER_GRID_FIELD},
    {"weight", required_argument, NULL, OPT_WEIGHT},
    {"extra-load", required_argument, NULL, OPT_EXTRA_LOAD},
    {"balance", required_argument, NULL, OPT_BALANCE},
    {"max-workload", required_argument, NULL, OPT_MAX_WORKLOAD},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option's value into `a`; returns -1 when accepted, else an exit code. */
/* FIELD=W of --weight: W a finite number >= 0; returns 0 when valid. */
static int parse_weight(const char *spec, char *field, size_t size, double *w)
{
    const char *eq = strrchr(spec, '=');
    if (eq == NULL || eq == spec || (size_t)(eq - spec) >= size || eq[1] == '\0') {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    *w = strtod(eq + 1, &end);
    if (errno != 0 || *end != '\0' || !isfinite(*w) || *w < 0) {
        return -1;
    }
    memcpy(field, spec, (size_t)(eq - spec));
    field[eq - spec] = '\0';
    return 0;
}

/* --weight, --extra-load (repeatable), --balance, --max-workload. */
static int take_workload_option(int opt, const char *value, args *a)
{
    char field[256];
    double x = 0;
    char *end = NULL;
    switch (opt) {
    case OPT_WEIGHT:
        if (parse_weight(value, field, sizeof field, &x) != 0) {
            return usage_error(
                a->command, "--weight needs FIELD=W with W a finite number >= 0, not '%s'", value);
        }
        if (a->n_weights >= GP_CLI_MAX_LIST) {
            return usage_error(a->command, "too many --weight options (at %s)", value);
        }
        a->weight[a->n_weights++] = value;
        break;
    case OPT_EXTRA_LOAD:
        if (value[0] == '\0' || a->n_extra_loads >= GP_CLI_MAX_LIST) {
            return usage_error(a->command, "--extra-load needs PATH[:LAYER][=FIELD], not '%s'",
                               value);
        }
        a->extra_load[a->n_extra_loads++] = value;
        break;
    case OPT_BALANCE:
        if (strcmp(value, "workload") == 0) {
            a->balance = GP_BALANCE_WORKLOAD;
        } else if (strcmp(value, "households") == 0) {
            a->balance = GP_BALANCE_HOUSEHOLDS;
        } else {
            return usage_error(a->command, "--balance needs workload or households, not '%s'",
                               value);
        }
        break;
    default: /* OPT_MAX_WORKLOAD */
        errno = 0;
        x = strtod(value, &end);
        if (value[0] == '\0' || errno != 0 || *end != '\0' || !isfinite(x) || x <= 0) {
            return usage_error(a->command, "--max-workload needs a finite number > 0, not '%s'",
                               value);
        }
        a->max_workload = x;
        break;
    }
    return -1;
}

/* Whether `source` ends in a QGIS-style "|layername", "|layerid" or "|option:KEY" whose '='
 * follows it: that '=' belongs to the source, not to a field. */
static int ends_in_qgis_key(const char *source)
{
    const char *bar = strrchr(source, '|');
    if (bar == NULL || bar[1] == '\0') {
        return 0;
    }
    size_t word = strspn(bar + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");
    const char *rest = bar + 1 + word;
    return word > 0 && (*rest == '\0' || (*rest == ':' && strpbrk(rest + 1, ":/\\=") == NULL));
}

/*
 * Split --extra-load's PATH[:LAYER][=FIELD]: the text after the last '=' is the field when it
 * is a plain name (no ':', '/', '\\', '.', space or quote) and the whole spec is not a file.
 * So "shops.gpkg=load" and "PG:dbname=city:shops=load" name field load, while
 * "PG:dbname=city:shops" names none; "shops.gpkg|layername=shops" names none and
 * "shops.gpkg|layername=shops=load" names load.
 */
static void split_extra_load(const char *spec, char *source, size_t size, const char **field)
{
    snprintf(source, size, "%s", spec);
    *field = NULL;
    char *eq = strrchr(source, '=');
    struct stat sb;
    if (eq == NULL || eq == source || eq[1] == '\0' || strpbrk(eq + 1, ":/\\. \"'") != NULL ||
        stat(spec, &sb) == 0) {
        return;
    }
    *eq = '\0';
    if (ends_in_qgis_key(source)) {
        *eq = '=';
        return;
    }
    *field = spec + (eq - source) + 1;
}

/* --oo, --lco, --dsco KEY=VALUE (repeatable) and --assume-crs: GDAL's conventions. */
static int take_gdal_option(int opt, const char *value, args *a)
{
    if (opt == OPT_ASSUME_CRS) {
        a->assume_crs = value;
        return -1;
    }
    const char *flag = opt == OPT_OO ? "--oo" : opt == OPT_LCO ? "--lco" : "--dsco";
    const char **list = opt == OPT_OO ? a->oo : opt == OPT_LCO ? a->lco : a->dsco;
    int32_t *n = opt == OPT_OO ? &a->n_oo : opt == OPT_LCO ? &a->n_lco : &a->n_dsco;
    const char *eq = strchr(value, '=');
    if (eq == NULL || eq == value) {
        fprintf(stderr, "gridpart: %s needs KEY=VALUE, not '%s'\n", flag, value);
        return EXIT_USAGE;
    }
    if (*n >= GP_CLI_MAX_LIST) {
        fprintf(stderr, "gridpart: too many %s options (at %s)\n", flag, value);
        return EXIT_USAGE;
    }
    list[(*n)++] = value;
    return -1;
}

/* The inputs' open options and assumed CRS, the outputs' creation options. */
static gp_status set_gdal_inputs(gp_context *ctx, const args *a, gp_inputs *in)
{
    gp_status st = gp_inputs_set_assume_crs(ctx, in, a->assume_crs);
    for (int32_t i = 0; i < a->n_oo && st == GP_OK; i++) {
        st = gp_inputs_add_open_option(ctx, in, a->oo[i]);
    }
    return st;
}

static gp_status set_gdal_outputs(gp_context *ctx, const args *a, gp_outputs *out)
{
    gp_status st = GP_OK;
    for (int32_t i = 0; i < a->n_lco && st == GP_OK; i++) {
        st = gp_outputs_add_layer_option(ctx, out, a->lco[i]);
    }
    for (int32_t i = 0; i < a->n_dsco && st == GP_OK; i++) {
        st = gp_outputs_add_dataset_option(ctx, out, a->dsco[i]);
    }
    return st;
}

/* The text of --only: the file's when a regular file of that name exists, else the value. */
static char *only_text(const char *value, int *from_file)
{
    struct stat sb;
    *from_file = stat(value, &sb) == 0 && S_ISREG(sb.st_mode);
    if (!*from_file) {
        return strdup(value);
    }
    FILE *f = fopen(value, "rb");
    char *text = f != NULL ? malloc((size_t)sb.st_size + 1) : NULL;
    size_t n = text != NULL ? fread(text, 1, (size_t)sb.st_size, f) : 0;
    if (text != NULL) {
        text[n] = '\0';
    }
    if (f != NULL) {
        fclose(f);
    }
    return text;
}

/* --only ID,ID,... or FILE: the ids, cut in place out of a->only_text. */
static int take_only(const char *value, args *a)
{
    int from_file = 0;
    free(a->only_text);
    free(a->only);
    a->only = NULL;
    a->n_only = 0;
    if ((a->only_text = only_text(value, &from_file)) == NULL) {
        return usage_error(a->command, "--only: cannot read '%s'", value);
    }
    const char *sep = from_file ? "\n" : ",";
    size_t cap = 1;
    for (const char *p = a->only_text; *p; p++) {
        cap += *p == *sep;
    }
    if ((a->only = malloc(cap * sizeof *a->only)) == NULL) {
        return usage_error(a->command, "--only: out of memory at '%s'", value);
    }
    for (char *save = NULL, *t = strtok_r(a->only_text, sep, &save); t != NULL;
         t = strtok_r(NULL, sep, &save)) {
        t += strspn(t, " \t\r");
        size_t len = strlen(t);
        while (len > 0 && strchr(" \t\r", t[len - 1]) != NULL) {
            t[--len] = '\0';
        }
        if (len > 0 && !(from_file && t[0] == '#')) {
            a->only[a->n_only++] = t;
        }
    }
    if (a->n_only == 0) {
        return usage_error(a->command, "--only: no community id in '%s'", value);
    }
    return -1;
}

/* --bbox MINX,MINY,MAXX,MAXY: four finite numbers. */
static int take_bbox(const char *value, args *a)
{
    const char *p = value;
    for (int k = 0; k < 4; k++) {
        char *end = NULL;
        errno = 0;
        a->bbox[k] = strtod(p, &end);
        if (end == p || errno != 0 || !isfinite(a->bbox[k]) || *end != (k < 3 ? ',' : '\0')) {
            return usage_error(a->command,
                               "--bbox needs MINX,MINY,MAXX,MAXY (four numbers), not '%s'", value);
        }
        p = end + 1;
    }
    a->has_bbox = 1;
    return -1;
}

/* The part of the input --only and --bbox select. */
static gp_status set_part(gp_context *ctx, const args *a, gp_inputs *in)
{
    gp_status st = GP_OK;
    if (a->has_bbox) {
        st = gp_inputs_set_bbox(ctx, in, a->bbox[0], a->bbox[1], a->bbox[2], a->bbox[3]);
    }
    return st != GP_OK || a->n_only == 0 ? st : gp_inputs_set_only(ctx, in, a->only, a->n_only);
}

static void free_args(args *a)
{
    free(a->only_text);
    free(a->only);
}

/* --min, --max, --target, --grids, --seed, --threads, --effort, --time-limit: a number each. */
static int take_number_option(int opt, const char *value, args *a)
{
    int64_t v = 0;
    switch (opt) {
    case OPT_MIN:
    case OPT_MAX:
    case OPT_TARGET:
        /* A target of 0 would silently mean "the middle of the bounds" (the library's 0):
         * on the command line that is leaving --target out. */
        if (parse_int(value, opt == OPT_TARGET, INT64_MAX / 4, &v) != 0) {
            return usage_error(a->command, "%s",
                               opt == OPT_MIN   ? "--min needs a whole number >= 0"
                               : opt == OPT_MAX ? "--max needs a whole number >= 0"
                                                : "--target needs a whole number >= 1");
        }
        *(opt == OPT_MIN ? &a->min : opt == OPT_MAX ? &a->max : &a->target) = v;
        break;
    case OPT_GRIDS:
        if (strcmp(value, "auto") == 0) {
            a->grids = 0;
        } else if (parse_int(value, 1, INT32_MAX, &v) == 0) {
            a->grids = (int32_t)v;
        } else {
            return usage_error(a->command, "--grids needs 'auto' or a whole number >= 1, not '%s'",
                               value);
        }
        break;
    case OPT_SEED:
        if (parse_int(value, 0, INT64_MAX, &a->seed) != 0) {
            return usage_error(a->command, "--seed needs a whole number >= 0, not '%s'", value);
        }
        break;
    case OPT_THREADS:
        if (parse_int(value, 0, 1024, &v) != 0) {
            return usage_error(a->command, "--threads needs a whole number in [0, 1024], not '%s'",
                               value);
        }
        a->threads = (int32_t)v;
        break;
    case OPT_EFFORT: {
        char *end = NULL;
        a->effort = strtod(value, &end);
        if (end == value || *end != '\0' || !(a->effort > 0 && a->effort <= 100)) {
            return usage_error(a->command, "--effort needs a number in (0, 100], not '%s'", value);
        }
        break;
    }
    case OPT_TIME_LIMIT: {
        char *end = NULL;
        a->time_limit = strtod(value, &end);
        if (end == value || *end != '\0' || !(a->time_limit > 0 && a->time_limit < 1e9)) {
            return usage_error(a->command, "--time-limit needs a number of seconds > 0, not '%s'",
                               value);
        }
        break;
    }
    default:
        return EXIT_USAGE;
    }
    return -1;
}

/* --map-colour, --split, --overlaps: one of a few words each. */
static int take_choice_option(int opt, const char *value, args *a)
{
    switch (opt) {
    case OPT_MAP_COLOUR: {
        static const char *const names[] = {"grid", "worker", "change", "community"};
        a->map_colour = -1;
        for (int32_t k = 0; k < 4; k++) {
            if (strcmp(value, names[k]) == 0) {
                a->map_colour = GP_MAP_COLOUR_GRID + k;
            }
        }
        if (a->map_colour < 0) {
            return usage_error(
                a->command, "--map-colour: '%s' is not grid, worker, change or community", value);
        }
        break;
    }
    case OPT_SPLIT: {
        static const char *const modes[] = {"never", "oversize", "needed"};
        a->split = -1;
        for (int32_t k = 0; k < 3; k++) {
            if (strcmp(value, modes[k]) == 0) {
                a->split = k; /* GP_SPLIT_NEVER, _OVERSIZE, _NEEDED */
            }
        }
        if (a->split < 0) {
            return usage_error(a->command, "--split needs never, oversize or needed, not '%s'",
                               value);
        }
        break;
    }
    case OPT_OVERLAPS:
        if (strcmp(value, "error") == 0) {
            a->overlaps = GP_OVERLAPS_ERROR;
        } else if (strcmp(value, "first") == 0) {
            a->overlaps = GP_OVERLAPS_FIRST;
        } else {
            return usage_error(a->command, "--overlaps needs error or first, not '%s'", value);
        }
        break;
    default:
        return EXIT_USAGE;
    }
    return -1;
}

/* One option of partition, adjust or check into `a`: -1 when taken, else an exit code (a
 * usage error names a->command). */
static int take_option(int opt, const char *value, args *a)
{
    switch (opt) {
    case OPT_COMMUNITIES: a->communities = value; break;
    case OPT_ID_FIELD: a->id_field = value; break;
    case OPT_STREETS: a->streets = value; break;
    case OPT_CLASS_FIELD: a->class_field = value; break;
    case OPT_HOUSEHOLDS: a->households = value; break;
    case OPT_COUNT_FIELD: a->count_field = value; break;
    case OPT_BARRIERS: a->barriers = value; break;
    case 'o': a->out = value; break;
    case OPT_FORMAT: a->format = value; break;
    case OPT_REPORT: a->report = value; break;
    case OPT_MAP: a->map = value; break;
    case OPT_MAP_SHEETS: a->map_sheets = value; break;
    case OPT_CRS: a->crs = value; break;
    case OPT_OVERWRITE: a->overwrite = 1; break;
    case OPT_OO:
    case OPT_ASSUME_CRS:
    case OPT_LCO:
    case OPT_DSCO: return take_gdal_option(opt, value, a);
    case OPT_ONLY: return take_only(value, a);
    case OPT_BBOX: return take_bbox(value, a);
    case OPT_PREVIOUS:
    case OPT_PREVIOUS_CODE:
    case OPT_PREVIOUS_COMMUNITY:
        if (!is_adjust(a)) {
            return usage_error(a->command, "%s",
                               "--previous, --previous-code-field and --previous-community-field "
                               "are options of gridpart adjust");
        }
        *(opt == OPT_PREVIOUS        ? &a->previous
          : opt == OPT_PREVIOUS_CODE ? &a->previous_code_field
                                     : &a->previous_community_field) = value;
        break;
    case OPT_STAFFING: a->staffing = value; break;
    case OPT_RESIDENTS_FIELD: a->residents_field = value; break;
    case OPT_WORKERS: a->workers = value; break;
    case OPT_WORKER_ID_FIELD: a->worker_id_field = value; break;
    case OPT_WORKER_COMMUNITY_FIELD: a->worker_community_field = value; break;
    case OPT_WORKER_GRID_FIELD: a->worker_grid_field = value; break;
    case OPT_MIN:
    case OPT_MAX:
    case OPT_TARGET:
    case OPT_GRIDS:
    case OPT_SEED:
    case OPT_THREADS:
    case OPT_EFFORT:
    case OPT_TIME_LIMIT: return take_number_option(opt, value, a);
    case OPT_MAP_COLOUR:
    case OPT_SPLIT:
    case OPT_OVERLAPS: return take_choice_option(opt, value, a);
    case OPT_WEIGHT:
    case OPT_EXTRA_LOAD:
    case OPT_BALANCE:
    case OPT_MAX_WORKLOAD:
        return take_workload_option(opt, value, a);
    default:
        return EXIT_USAGE;
    }
    return -1;
}

/* Fill `a` from argv (after the command); returns -1 when parsed, else an exit code. */
static int parse_partition(int argc, char **argv, args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h", PARTITION_OPTIONS, NULL)) != -1) {
        if (opt == 'h') {
            if (is_adjust(a)) {
                fputs(ADJUST_USAGE, stdout);
            } else {
                print_partition_usage(stdout);
            }
            return EXIT_DONE;
        }
        if (opt == '?') {
            return usage_error(a->command, "unknown option '%s'", argv[optind - 1]);
        }
        if (opt == ':') {
            return usage_error(a->command, "%s needs a value", argv[optind - 1]);
        }
        int code = take_option(opt, optarg, a);
        if (code >= 0) {
            return code;
        }
    }
    if (optind < argc) {
        return usage_error(a->command, "unexpected argument '%s'", argv[optind]);
    }
    if (is_adjust(a) && a->previous == NULL) {
        return usage_error(a->command, "%s is required", "--previous");
    }
    static const struct {
        const char *flag;
        size_t offset;
    } required[] = {
        {"--communities", offsetof(args, communities)}, {"--id-field", offsetof(args, id_field)},
        {"--streets", offsetof(args, streets)},         {"--households", offsetof(args, households)},
        {"-o", offsetof(args, out)},
    };
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
        if (*(const char *const *)((const char *)a + required[k].offset) == NULL) {
            return usage_error(a->command, "%s is required", required[k].flag);
        }
    }
    return -1;
}

/* Apply the options the user gave; the library's defaults stand for the rest. */
static gp_status set_options(gp_context *ctx, const args *a, gp_options *o)
{
    gp_status st = GP_OK;
    if (a->min >= 0 || a->max >= 0) {
        /* Bounds before the target (0: the middle of the bounds, until one is given). */
        if ((st = gp_options_set_target(ctx, o, 0)) != GP_OK ||
            (st = gp_options_set_bounds(ctx, o, a->min >= 0 ? a->min : gp_options_get_min(o),
                                        a->max >= 0 ? a->max : gp_options_get_max(o))) != GP_OK) {
            return st;
        }
    }
    if (a->target >= 0 && (st = gp_options_set_target(ctx, o, a->target)) != GP_OK) {
        return st;
    }
    if (a->grids >= 0 && (st = gp_options_set_grid_count(ctx, o, a->grids)) != GP_OK) {
        return st;
    }
    if (a->seed >= 0 && (st = gp_options_set_seed(ctx, o, (uint64_t)a->seed)) != GP_OK) {
        return st;
    }
    if (a->threads >= 0 && (st = gp_options_set_threads(ctx, o, a->threads)) != GP_OK) {
        return st;
    }
    if (a->effort > 0 && (st = gp_options_set_effort(ctx, o, a->effort)) != GP_OK) {
        return st;
    }
    time_limit_given = a->time_limit > 0;
    if (a->time_limit > 0 && (st = gp_options_set_time_limit(ctx, o, a->time_limit)) != GP_OK) {
        return st;
    }
    if (a->split >= 0 && (st = gp_options_set_split(ctx, o, a->split)) != GP_OK) {
        return st;
    }
    if (a->overlaps >= 0 && (st = gp_options_set_overlaps(ctx, o, a->overlaps)) != GP_OK) {
        return st;
    }
    if (a->crs != NULL && (st = gp_options_set_work_crs(ctx, o, a->crs)) != GP_OK) {
        return st;
    }
    if (a->balance != GP_BALANCE_AUTO &&
        (st = gp_options_set_balance(ctx, o, a->balance)) != GP_OK) {
        return st;
    }
    if (a->max_workload > 0 &&
        (st = gp_options_set_max_workload(ctx, o, a->max_workload)) != GP_OK) {
        return st;
    }
    if (a->staffing != NULL && (st = gp_options_set_staffing(ctx, o, a->staffing)) != GP_OK) {
        return st;
    }
    return GP_OK;
}

/* The weights and extra-load layers (checked when parsed). */
static gp_status set_workload_inputs(gp_context *ctx, const args *a, gp_inputs *in)
{
    gp_status st = GP_OK;
    for (int32_t i = 0; i < a->n_weights && st == GP_OK; i++) {
        char field[256];
        double w = 0;
        (void)parse_weight(a->weight[i], field, sizeof field, &w);
        st = gp_inputs_add_weight(ctx, in, field, w);
    }
    for (int32_t i = 0; i < a->n_extra_loads && st == GP_OK; i++) {
        char source[4096];
        const char *field = NULL;
        split_extra_load(a->extra_load[i], source, sizeof source, &field);
        st = gp_inputs_add_extra_load(ctx, in, source, field);
    }
    return st;
}

static gp_status set_inputs(gp_context *ctx, const args *a, gp_inputs *in)
{
    gp_status st;
    if ((st = gp_inputs_set_communities(ctx, in, a->communities, a->id_field)) != GP_OK ||
        (st = gp_inputs_set_streets(ctx, in, a->streets, a->class_field)) != GP_OK ||
        (st = gp_inputs_set_households(ctx, in, a->households, a->count_field)) != GP_OK ||
        (st = gp_inputs_set_previous(ctx, in, a->previous, a->previous_code_field,
                                     a->previous_community_field)) != GP_OK) {
        return st;
    }
    if ((st = set_workload_inputs(ctx, a, in)) != GP_OK ||
        (st = set_gdal_inputs(ctx, a, in)) != GP_OK || (st = set_part(ctx, a, in)) != GP_OK) {
        return st;
    }
    if ((st = gp_inputs_set_barriers(ctx, in, a->barriers)) != GP_OK ||
        (st = gp_inputs_set_residents_field(ctx, in, a->residents_field)) != GP_OK) {
        return st;
    }
    return gp_inputs_set_workers(ctx, in, a->workers, a->worker_id_field,
                                 a->worker_community_field, a->worker_grid_field);
}

static gp_status set_outputs(gp_context *ctx, const args *a, gp_outputs *out)
{
    gp_status st;
    if ((st = gp_outputs_set_layers(ctx, out, a->out, a->format)) != GP_OK ||
        (st = gp_outputs_set_report(ctx, out, a->report)) != GP_OK ||
        (st = gp_outputs_set_map(ctx, out, a->map)) != GP_OK ||
        (st = set_gdal_outputs(ctx, a, out)) != GP_OK ||
        (st = gp_outputs_set_map_sheets(ctx, out, a->map_sheets)) != GP_OK ||
        (st = gp_outputs_set_map_colour(ctx, out, a->map_colour)) != GP_OK) {
        return st;
    }
    return gp_outputs_set_overwrite(ctx, out, a->overwrite);
}

/* The problems of a finished run, violations first, then warnings; notes are counted. */
static void print_problems(const gp_plan *plan)
{
    static const int shown[] = {10, 10};
    static const char *const label[] = {"violation", "warning"};
    int32_t n = gp_plan_problem_count(plan), notes = 0;
    for (int32_t severity = GP_SEVERITY_VIOLATION; severity <= GP_SEVERITY_WARNING; severity++) {
        int32_t count = 0;
        for (int32_t i = 0; i < n; i++) {
            if (gp_plan_problem_severity(plan, i) != severity) {
                continue;
            }
            if (count++ < shown[severity]) {
                fprintf(stderr, "gridpart: %s: %s\n", label[severity], gp_plan_problem(plan, i));
            }
        }
        if (count > shown[severity]) {
            fprintf(stderr, "gridpart: ... %" PRId32 " %ss in all (see the report)\n", count,
                    label[severity]);
        }
    }
    for (int32_t i = 0; i < n; i++) {
        notes += gp_plan_problem_severity(plan, i) == GP_SEVERITY_NOTE;
    }
    if (notes > 0) {
        fprintf(stderr, "gridpart: %" PRId32 " note(s) on what the run did (slivers merged, "
                        "blocks cut): see the report\n",
                notes);
    }
}

/* The exit status of a command that ended with st (code when it succeeded), its error printed:
 * 128 + the signal when one stopped it, EXIT_USAGE for any other error. */
static int finish(gp_context *ctx, gp_status st, int code)
{
    if (st == GP_ERR_CANCELED && stop_signal) {
        fprintf(stderr, "gridpart: interrupted by %s: nothing was written\n",
                stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        return 128 + stop_signal;
    }
    if (st != GP_OK) {
        const char *msg = gp_context_last_error(ctx);
        fprintf(stderr, "gridpart: error: %s\n", *msg ? msg : gp_status_string(st));
        return st == GP_ERR_CANCELED && time_limit_given ? EXIT_TIME_LIMIT : EXIT_USAGE;
    }
    return code;
}

static void print_summary(const gp_plan *plan)
{
    int64_t households = 0;
    int32_t cut = 0;
    for (int32_t c = 0; c < gp_plan_community_count(plan); c++) {
        households += gp_plan_community_households(plan, c);
        cut += gp_plan_community_split_blocks(plan, c);
    }
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
    if (gp_plan_is_adjust(plan)) {
        printf("gridpart: adjust: %" PRId32 " grid(s) kept, %" PRId32 " changed, %" PRId32
               " new, %" PRId32 " code(s) retired; %" PRId64 " household(s) moved; the previous "
               "grids fit %.1f%% of the street blocks' area\n",
               gp_plan_community_grid_changes(plan, -1, GP_GRID_KEPT),
               gp_plan_community_grid_changes(plan, -1, GP_GRID_CHANGED),
               gp_plan_community_grid_changes(plan, -1, GP_GRID_NEW), gp_plan_retired_count(plan),
               gp_plan_households_moved(plan), 100.0 * gp_plan_previous_fit(plan, -1));
    }
    if (gp_plan_worker_count(plan) > 0) {
        int32_t placed = 0;
        for (int32_t w = 0; w < gp_plan_worker_count(plan); w++) {
            placed += gp_plan_worker_grids(plan, w) > 0;
        }
        printf("gridpart: %" PRId32 " worker(s) on the roster, %" PRId32
               " given grids (layer workers; staffing per community in the report)\n",
               gp_plan_worker_count(plan), placed);
    }
    int32_t oob = gp_plan_out_of_bounds(plan);
    if (oob > 0) {
        fprintf(stderr, "gridpart: %" PRId32 " grid(s) outside the bounds:\n", oob);
    }
    print_problems(plan);
}

/* Run the pipeline for parsed arguments; returns the exit code. */
static int run_partition(const args *a)
{
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_inputs *in = NULL;
    gp_outputs *out = NULL;
    gp_plan *plan = NULL;
    int bar = isatty(STDERR_FILENO);
    int code = EXIT_USAGE;
    gp_status st = gp_context_new(&ctx);
    if (st != GP_OK) {
        fprintf(stderr, "gridpart: error: %s\n", gp_status_string(st));
        return EXIT_USAGE;
    }
    catch_signals();
    if ((st = gp_context_set_log(ctx, log_line, GP_LOG_WARN, NULL)) != GP_OK ||
        (st = gp_context_set_progress(ctx, on_progress, &bar)) != GP_OK ||
        (st = gp_options_new(&opts)) != GP_OK || (st = gp_inputs_new(&in)) != GP_OK ||
        (st = gp_outputs_new(&out)) != GP_OK) {
        goto done;
    }
    if ((st = set_options(ctx, a, opts)) != GP_OK || (st = set_inputs(ctx, a, in)) != GP_OK ||
        (st = set_outputs(ctx, a, out)) != GP_OK) {
        goto done;
    }
    /* Every output is checked before any work: a bad path costs nothing. */
    if ((st = gp_outputs_check(ctx, out, in)) != GP_OK ||
        (st = (is_adjust(a) ? gp_adjust : gp_run)(ctx, in, opts, &plan)) != GP_OK ||
        (st = gp_plan_write_outputs(ctx, plan, out)) != GP_OK) {
        goto done;
    }
    print_summary(plan);
    code = gp_plan_out_of_bounds(plan) > 0 ? EXIT_BOUNDS : EXIT_DONE;
done:
    code = finish(ctx, st, code);
    gp_plan_free(plan);
    gp_outputs_free(out);
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    return code;
}

/* The malloc serving this process: mimalloc when the build linked it (meson option allocator)
 * and it took malloc over, as checked on a block from malloc itself; else the system's. */
static void print_allocator(void)
{
#ifdef GP_MIMALLOC
    void *p = malloc(64);
    int in_use = p != NULL && mi_is_in_heap_region(p);
    free(p);
    int v = mi_version();
    printf("allocator: mimalloc %d.%d.%d%s\n", v / 100, v / 10 % 10, v % 10,
           in_use ? "" : " linked, but another malloc serves the process");
#else
    printf("allocator: the system's malloc\n");
#endif
}

static int cmd_partition(int argc, char **argv)
{
    args a = args_for("partition");
    int code = parse_partition(argc, argv, &a);
    code = code >= 0 ? code : run_partition(&a);
    free_args(&a);
    return code;
}

static int cmd_adjust(int argc, char **argv)
{
    args a = args_for("adjust");
    int code = parse_partition(argc, argv, &a);
    code = code >= 0 ? code : run_partition(&a);
    free_args(&a);
    return code;
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "gridpart-demo";
    int64_t threads = 0;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(DEMO_USAGE, stdout);
            return EXIT_DONE;
        } else if (opt == 'o') {
            dir = optarg;
        } else if (opt == 't') {
            if (parse_int(optarg, 0, 1024, &threads) != 0) {
                return usage_error("demo", "--threads needs a whole number in [0, 1024], not '%s'",
                                   optarg);
            }
        } else if (opt == ':') {
            return usage_error("demo", "%s needs a value", argv[optind - 1]);
        } else {
            return usage_error("demo", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return usage_error("demo", "unexpected argument '%s'", argv[optind]);
    }
    const char *data = getenv("GRIDPART_DEMO_DATA") ? getenv("GRIDPART_DEMO_DATA") : GP_DEMO_DATA;
    char communities[4096], streets[4096], households[4096], out[4096], report[4096], map[4096];
    snprintf(communities, sizeof communities, "%s/communities.gpkg", data);
    snprintf(streets, sizeof streets, "%s/streets.gpkg", data);
    snprintf(households, sizeof households, "%s/households.gpkg", data);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gridpart: error: %s: cannot create the output folder: %s\n", dir,
                strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(out, sizeof out, "%s/grids.gpkg", dir);
    snprintf(report, sizeof report, "%s/report.json", dir);
    snprintf(map, sizeof map, "%s/map.svg", dir);
    printf("gridpart %s demo: partitioning the sample city in %s\n", gp_version(), data);
    /* The demo's three files are its own: a second run replaces them (and nothing else). */
    args a = args_for("demo");
    a.communities = communities;
    a.id_field = "code";
    a.streets = streets;
    a.class_field = "class";
    a.households = households;
    a.count_field = "households";
    a.out = out;
    a.report = report;
    a.map = map;
    a.threads = (int32_t)threads;
    a.overwrite = 1;
    int code = run_partition(&a);
    if (code == EXIT_DONE || code == EXIT_BOUNDS) {
        printf("grids and blocks (GeoPackage): %s\nreport (JSON):                 %s\n"
               "map (SVG, open in a browser):  %s\n",
               out, report, map);
    }
    return code;
}

/* ---- gridpart check: audit an existing grids layer (gp_check) ---- */

static const char CHECK_USAGE[] =
    "usage: gridpart check --grids EXISTING[:LAYER] [--grids-code-field grid_code]\n"
    "                      [--grids-community-field FIELD]\n"
    "                      --communities PATH[:LAYER] --id-field FIELD\n"
    "                      --streets PATH[:LAYER] [--class-field FIELD]\n"
    "                      --households PATH[:LAYER] [--count-field FIELD]\n"
    "                      [--barriers PATH[:LAYER]] [--min 300] [--max 500] [--crs CRS]\n"
    "                      [--overlaps error|first]\n"
    "                      [--oo KEY=VALUE]... [--assume-crs CRS]\n"
    "                      [--only ID,ID,...|FILE] [--bbox MINX,MINY,MAXX,MAXY]\n"
    "                      [-o OUT [--format DRIVER] [--lco KEY=VALUE]... [--dsco KEY=VALUE]...]\n"
    "                      [--report OUT.json] [--map OUT.svg] [--map-sheets DIR]\n"
    "                      [--map-colour grid|community] [--overwrite]\n"
    "\n"
    "Judge an existing grids layer (a city's hand-drawn one, or gridpart's) against the rules:\n"
    "households per grid (recounted from --households) within --min..--max where the\n"
    "community's total allows, every part of a community in exactly one grid (no gaps or\n"
    "overlaps), grids in one piece and within their community; and, as warnings, metres of\n"
    "grid border farther than the snapping tolerance (2 m) from any street, barrier or\n"
    "community border, with where. Slivers (up to the sliver area, or narrower than twice the\n"
    "tolerance) are tolerated.\n"
    "\n"
    "  --grids                   the grids layer: any polygon layer, any CRS (one without a\n"
    "                            CRS is taken to be in the communities' CRS)\n"
    "  --grids-code-field        its grid code field (default grid_code)\n"
    "  --grids-community-field   its community id field (default: each grid belongs to the\n"
    "                            community holding most of its area)\n"
    "  the other inputs and outputs as for `gridpart partition` (see its --help); -o writes\n"
    "  the audited grids (recounted households, flags) as the layer `grids`. With --only or\n"
    "  --bbox, the grids of those communities are audited (--grids-community-field needed).\n"
    "\n"
    "exit status: 0 every hard rule holds; 1 some hard rule fails (see the report);\n"
    "             2 bad arguments or unusable input; 130, 143 interrupted.\n";

enum { OPT_CHECK_GRIDS = 400, OPT_CHECK_CODE_FIELD, OPT_CHECK_COMMUNITY_FIELD };

static const struct option CHECK_OPTIONS[] = {
    {"grids", required_argument, NULL, OPT_CHECK_GRIDS},
    {"grids-code-field", required_argument, NULL, OPT_CHECK_CODE_FIELD},
    {"grids-community-field", required_argument, NULL, OPT_CHECK_COMMUNITY_FIELD},
    {"communities", required_argument, NULL, OPT_COMMUNITIES},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"streets", required_argument, NULL, OPT_STREETS},
    {"class-field", required_argument, NULL, OPT_CLASS_FIELD},
    {"households", required_argument, NULL, OPT_HOUSEHOLDS},
    {"count-field", required_argument, NULL, OPT_COUNT_FIELD},
    {"barriers", required_argument, NULL, OPT_BARRIERS},
    {"min", required_argument, NULL, OPT_MIN},
    {"max", required_argument, NULL, OPT_MAX},
    {"overlaps", required_argument, NULL, OPT_OVERLAPS},
    {"crs", required_argument, NULL, OPT_CRS},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"report", required_argument, NULL, OPT_REPORT},
    {"map", required_argument, NULL, OPT_MAP},
    {"map-sheets", required_argument, NULL, OPT_MAP_SHEETS},
    {"map-colour", required_argument, NULL, OPT_MAP_COLOUR},
    {"map-color", required_argument, NULL, OPT_MAP_COLOUR},
    {"overwrite", no_argument, NULL, OPT_OVERWRITE},
    {"oo", required_argument, NULL, OPT_OO},
    {"assume-crs", required_argument, NULL, OPT_ASSUME_CRS},
    {"only", required_argument, NULL, OPT_ONLY},
    {"bbox", required_argument, NULL, OPT_BBOX},
    {"lco", required_argument, NULL, OPT_LCO},
    {"dsco", required_argument, NULL, OPT_DSCO},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    args base;
    const char *grids, *code_field, *community_field;
} check_args;

/* Fill `a` from argv (after the command); returns -1 when parsed, else an exit code. */
static int parse_check(int argc, char **argv, check_args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h", CHECK_OPTIONS, NULL)) != -1) {
        int code = -1;
        if (opt == 'h') {
            fputs(CHECK_USAGE, stdout);
            return EXIT_DONE;
        } else if (opt == '?') {
            return usage_error("check", "unknown option '%s'", argv[optind - 1]);
        } else if (opt == ':') {
            return usage_error("check", "%s needs a value", argv[optind - 1]);
        } else if (opt == OPT_CHECK_GRIDS) {
            a->grids = optarg;
        } else if (opt == OPT_CHECK_CODE_FIELD) {
            a->code_field = optarg;
        } else if (opt == OPT_CHECK_COMMUNITY_FIELD) {
            a->community_field = optarg;
        } else {
            code = take_option(opt, optarg, &a->base);
        }
        if (code >= 0) {
            return code;
        }
    }
    if (optind < argc) {
        return usage_error("check", "unexpected argument '%s'", argv[optind]);
    }
    const char *const need[][2] = {{"--grids", a->grids},
                                   {"--communities", a->base.communities},
                                   {"--id-field", a->base.id_field},
                                   {"--streets", a->base.streets},
                                   {"--households", a->base.households}};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
        if (need[k][1] == NULL) {
            return usage_error("check", "%s is required", need[k][0]);
        }
    }
    return -1;
}

static void print_check_summary(const gp_plan *plan)
{
    int64_t in_grids = 0;
    for (int32_t g = 0; g < gp_plan_grid_count(plan); g++) {
        in_grids += gp_plan_grid_households(plan, g);
    }
    printf("gridpart: %" PRId32 " grids checked in %" PRId32 " communities: %" PRId64
           " households in grids, %" PRId64 " in no grid, %" PRId64
           " outside every community (of %" PRId64 " read)\n",
           gp_plan_grid_count(plan), gp_plan_community_count(plan), in_grids,
           gp_plan_households_no_grid(plan), gp_plan_households_outside(plan),
           gp_plan_households_read(plan));
    int32_t hard = gp_plan_hard_failures(plan);
    printf("gridpart: %s", hard ? "" : "every hard rule holds\n");
    if (hard) {
        printf("%" PRId32 " hard rule failure(s)\n", hard);
    }
    print_problems(plan);
}

static int cmd_check(int argc, char **argv)
{
    check_args a = {.base = args_for("check")};
    int code = parse_check(argc, argv, &a);
    if (code >= 0) {
        free_args(&a.base);
        return code;
    }
    gp_context *ctx = NULL;
    gp_options *opts = NULL;
    gp_inputs *in = NULL;
    gp_outputs *out = NULL;
    gp_plan *plan = NULL;
    int bar = isatty(STDERR_FILENO);
    int any = a.base.out != NULL || a.base.report != NULL || a.base.map != NULL ||
              a.base.map_sheets != NULL;
    code = EXIT_USAGE;
    gp_status st = gp_context_new(&ctx);
    if (st != GP_OK) {
        fprintf(stderr, "gridpart: error: %s\n", gp_status_string(st));
        return EXIT_USAGE;
    }
    catch_signals();
    if ((st = gp_context_set_log(ctx, log_line, GP_LOG_WARN, NULL)) != GP_OK ||
        (st = gp_context_set_progress(ctx, on_progress, &bar)) != GP_OK ||
        (st = gp_options_new(&opts)) != GP_OK || (st = gp_inputs_new(&in)) != GP_OK ||
        (st = gp_outputs_new(&out)) != GP_OK || (st = set_options(ctx, &a.base, opts)) != GP_OK ||
        (st = set_inputs(ctx, &a.base, in)) != GP_OK ||
        (st = gp_inputs_set_grids(ctx, in, a.grids, a.code_field, a.community_field)) != GP_OK) {
        goto done;
    }
    if ((a.base.out != NULL && (st = gp_outputs_set_layers(ctx, out, a.base.out, a.base.format))) ||
        (st = gp_outputs_set_report(ctx, out, a.base.report)) != GP_OK ||
        (st = gp_outputs_set_map(ctx, out, a.base.map)) != GP_OK ||
        (st = gp_outputs_set_map_sheets(ctx, out, a.base.map_sheets)) != GP_OK ||
        (st = gp_outputs_set_map_colour(ctx, out, a.base.map_colour)) != GP_OK ||
        (st = gp_outputs_set_overwrite(ctx, out, a.base.overwrite)) != GP_OK ||
        (st = set_gdal_outputs(ctx, &a.base, out)) != GP_OK ||
        (any && (st = gp_outputs_check(ctx, out, in)) != GP_OK) ||
        (st = gp_check(ctx, in, opts, &plan)) != GP_OK ||
        (any && (st = gp_plan_write_outputs(ctx, plan, out)) != GP_OK)) {
        goto done;
    }
    print_check_summary(plan);
    code = gp_plan_hard_failures(plan) > 0 ? EXIT_BOUNDS : EXIT_DONE;
done:
    code = finish(ctx, st, code);
    gp_plan_free(plan);
    gp_outputs_free(out);
    gp_inputs_free(in);
    gp_options_free(opts);
    gp_context_free(ctx);
    free_args(&a.base);
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
        print_allocator();
        return EXIT_DONE;
    }
    /* The command's own arguments, with the command as argv[0] for getopt. */
    if (strcmp(argv[1], "partition") == 0) {
        return cmd_partition(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "demo") == 0) {
        return cmd_demo(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "check") == 0) {
        return cmd_check(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "adjust") == 0) {
        return cmd_adjust(argc - 1, argv + 1);
    }
    fprintf(stderr, "gridpart: unknown command '%s'\n\n%s", argv[1], MAIN_USAGE);
    return EXIT_USAGE;
}
