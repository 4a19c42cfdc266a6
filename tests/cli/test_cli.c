/* SPDX-License-Identifier: MIT */
/** @file test_cli.c The gridpart command line: a table of arguments, exit codes and messages. */

#include "cli_shell.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>


/* Run a shell command line with the CLI substituted for "@", capture stdout+stderr. */
static int run(const char *args, char *out, size_t size)
{
    return cli_sh(cli_env("GP_SCRATCH"), out, size, "'%s' %s", cli_env("GP_CLI"), args);
}

/* Remove files of the scratch directory a test is about to write (names as for the shell). */
static void clean(const char *names)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && rm -rf %s", cli_env("GP_SCRATCH"), names);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static int exists(const char *path)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", cli_env("GP_SCRATCH"), path);
    struct stat st;
    return stat(full, &st) == 0;
}

/* The Providence data every data test needs: found, or the test fails saying where it looked. */
static void providence(char *base, size_t size)
{
    snprintf(base, size, "%s/providence/clean", cli_env("GP_SHARED_DATA"));
    struct stat st;
    cr_assert_eq(stat(base, &st), 0,
                 "Providence data not found at %s: put the shared data beside the repository "
                 "(../shared) or configure with -Dshared_dir=PATH",
                 base);
}

typedef struct {
    const char *args;
    int code;
    const char *expect; /* substring of the output */
} cli_case;

/* Bad and trivial command lines: no data needed. */
static const cli_case USAGE_CASES[] = {
    {"", 2, "usage: gridpart COMMAND"},
    {"--help", 0, "partition"},
    {"--version", 0, "gridpart 0.3"},
    {"bogus", 2, "unknown command 'bogus'"},
    {"partition --help", 0, "--communities PATH[:LAYER]"},
    {"demo --help", 0, "gridpart demo"},
    {"partition", 2, "--communities is required"},
    {"partition --communities c.gpkg --id-field code --streets s.gpkg --households h.gpkg", 2,
     "-o is required"},
    {"partition --communities c.gpkg --streets s.gpkg --households h.gpkg -o o.gpkg", 2,
     "--id-field is required"},
    {"partition --min abc", 2, "--min needs a whole number"},
    {"partition --min=abc", 2, "--min needs a whole number"},
    {"partition --min=300 --max=200 --communities c --id-field id --streets s --households h -o o",
     2, "min households 300 is greater than max households 200"},
    {"partition --help", 0, "--overwrite"},
    {"partition --help", 0, "--format DRIVER"},
    {"partition --help", 0, "(default 300 and 500)"},
    {"partition --communities c --id-field id --streets s --households h -o o extra", 2,
     "unexpected argument 'extra'"},
    {"partition --max -5", 2, "--max needs a whole number"},
    {"partition --grids 0", 2, "--grids needs 'auto' or a whole number"},
    {"partition --threads 5000", 2, "--threads needs a whole number in [0, 1024]"},
    {"partition --seed x", 2, "--seed needs a whole number"},
    {"partition --frobnicate 1", 2, "unknown option '--frobnicate'"},
    {"partition --communities", 2, "--communities needs a value"},
    {"partition --communities c.gpkg --id-field code --streets s.gpkg --households h.gpkg "
     "-o o.gpkg --min 600 --max 450",
     2, "min households 600 is greater than max households 450"},
    {"partition --communities missing.gpkg --id-field code --streets s.gpkg --households "
     "h.gpkg -o o.gpkg",
     2, "missing.gpkg"},
    {"demo --bogus", 2, "unknown option '--bogus'"},
    {"partition --help", 0, "[--split never|oversize|needed]"},
    {"partition --split sometimes", 2, "--split needs never, oversize or needed"},
    {"partition --split", 2, "--split needs a value"},
    /* the whole-city maps (issue #14) */
    {"partition --help", 0, "[--map-sheets DIR] [--map-colour grid|worker|change|community]"},
    {"partition --map-colour purple", 2,
     "--map-colour: 'purple' is not grid, worker, change or community"},
    {"check --help", 0, "[--map-sheets DIR]"},
    {"partition --help", 0, "[--time-limit SECONDS]"},
    {"partition --time-limit 0", 2, "--time-limit needs a number of seconds > 0, not '0'"},
    {"partition --time-limit soon", 2, "--time-limit needs a number of seconds > 0"},
    {"adjust --time-limit -1", 2, "--time-limit needs a number of seconds > 0, not '-1'"},
    /* a bad value sends the user to the help of the command they ran */
    {"partition --effort 0", 2,
     "--effort needs a number in (0, 100], not '0'\n(see gridpart partition --help)"},
    {"adjust --seed x", 2,
     "--seed needs a whole number >= 0, not 'x'\n(see gridpart adjust --help)"},
    {"adjust --max-workload -1", 2,
     "--max-workload needs a finite number > 0, not '-1'\n(see gridpart adjust --help)"},
    {"adjust --bbox 1,2,3", 2, "not '1,2,3'\n(see gridpart adjust --help)"},
    {"check --min abc", 2, "--min needs a whole number >= 0\n(see gridpart check --help)"},
    {"check --overlaps some", 2,
     "--overlaps needs error or first, not 'some'\n(see gridpart check --help)"},
};

Test(cli, usage_table)
{
    char out[65536];
    for (size_t i = 0; i < sizeof USAGE_CASES / sizeof USAGE_CASES[0]; i++) {
        const cli_case *c = &USAGE_CASES[i];
        int code = run(c->args, out, sizeof out);
        cr_expect_eq(code, c->code, "`gridpart %s` exited %d, expected %d; output:\n%s", c->args,
                     code, c->code, out);
        cr_expect(strstr(out, c->expect) != NULL,
                  "`gridpart %s`: expected \"%s\" in the output:\n%s", c->args, c->expect, out);
    }
    cr_assert(!exists("o.gpkg"), "a failed run wrote its output");
}

/* The build's allocator (meson option allocator) serves the CLI's malloc: with mimalloc, a
 * block from malloc lies in mimalloc's heap (so the link order put it ahead of libc); else the
 * system's. GP_ALLOCATOR is what meson linked. */
Test(cli, allocator)
{
    char out[4096];
    const char *linked = cli_env("GP_ALLOCATOR");
    cr_assert_eq(run("--version", out, sizeof out), 0, "%s", out);
    if (strcmp(linked, "mimalloc") == 0) {
        cr_assert(strstr(out, "\nallocator: mimalloc 2.") != NULL, "%s", out);
        cr_assert(strstr(out, "another malloc") == NULL, "mimalloc linked but not used:\n%s", out);
    } else {
        cr_assert_str_eq(linked, "system");
        cr_assert(strstr(out, "\nallocator: the system's malloc\n") != NULL, "%s", out);
    }
}

/* Bad input data: each names the input at fault, exits 2 and writes nothing. */
Test(cli, bad_input_table)
{
    char base[1024];
    providence(base, sizeof base);
    char args[16384], out[65536];
    const struct {
        const char *id, *count, *layer;
        const char *expect;
    } cases[] = {
        {"nosuch", "households", "", "nosuch"},
        {"code", "nosuch_count", "", "nosuch_count"},
        {"code", "households", ":nosuch_layer", "nosuch_layer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args,
                 "partition --communities %s/communities.gpkg%s --id-field %s --streets "
                 "%s/streets.gpkg --class-field class --households %s/households.gpkg "
                 "--count-field %s -o bad.gpkg",
                 base, cases[i].layer, cases[i].id, base, base, cases[i].count);
        int code = run(args, out, sizeof out);
        cr_expect_eq(code, 2, "case %zu exited %d:\n%s", i, code, out);
        cr_expect(strstr(out, cases[i].expect) != NULL, "case %zu: expected \"%s\" in:\n%s", i,
                  cases[i].expect, out);
        cr_expect(!exists("bad.gpkg"), "case %zu wrote an output", i);
    }
}

Test(cli, good_runs_write_every_format_and_never_clobber_on_failure)
{
    char base[1024];
    providence(base, sizeof base);
    char common[8192], args[16384], out[65536];
    snprintf(common, sizeof common,
             "--communities %s/communities.gpkg --id-field code --streets %s/streets.gpkg "
             "--class-field class --households %s/households.gpkg --count-field households",
             base, base, base);
    clean("good.gpkg good.json good.svg good.geojson good.blocks.geojson good_shp");
    /* Exit 1: two Providence addresses hold more than 500 households each. */
    snprintf(args, sizeof args, "partition %s -o good.gpkg --report good.json --map good.svg",
             common);
    int code = run(args, out, sizeof out);
    cr_assert_eq(code, 1, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "grids in 39 communities") != NULL, "output:\n%s", out);
    cr_assert(exists("good.gpkg") && exists("good.json") && exists("good.svg"));

    snprintf(args, sizeof args, "partition %s -o good.geojson", common);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 1, "geojson exit %d:\n%s", code, out);
    cr_assert(exists("good.geojson") && exists("good.blocks.geojson"));

    snprintf(args, sizeof args, "partition %s -o good_shp", common);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 1, "shapefile exit %d:\n%s", code, out);
    cr_assert(exists("good_shp/grids.shp") && exists("good_shp/blocks.shp"));

    /* A failing run leaves the existing output as it was. */
    struct stat before, after;
    char path[4096];
    snprintf(path, sizeof path, "%s/good.gpkg", cli_env("GP_SCRATCH"));
    cr_assert_eq(stat(path, &before), 0);
    snprintf(args, sizeof args,
             "partition --communities %s/communities.gpkg --id-field nosuch --streets "
             "%s/streets.gpkg --households %s/households.gpkg -o good.gpkg --overwrite",
             base, base, base);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 2);
    cr_assert(strstr(out, "no field 'nosuch'") != NULL, "output:\n%s", out);
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_eq(before.st_mtime, after.st_mtime);
    cr_assert_eq(before.st_size, after.st_size);
    cr_assert_eq(before.st_ino, after.st_ino, "the old output was replaced");

    /* An unwritable destination: a clear error naming it, exit 2. */
    snprintf(args, sizeof args, "partition %s -o /nonexistent-dir/out.gpkg", common);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "/nonexistent-dir/out.gpkg") != NULL, "output:\n%s", out);
}

/* Read a whole file from the scratch directory into buf (NUL-terminated). */
static void slurp(const char *name, char *buf, size_t size)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", cli_env("GP_SCRATCH"), name);
    FILE *f = fopen(full, "r");
    cr_assert_not_null(f, "%s is missing", full);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* --split on the fixtures of tests/pipeline: a block of three 300-household buildings and a
 * leaf block behind a hub. Table: mode, fixture, exit status, text expected in the output and
 * in the report. */
Test(cli, split_modes_table)
{
    const struct {
        const char *fixture, *mode, *extra;
        int code;
        const char *out, *report;
    } cases[] = {
        {"oversize", "never", "--target 300", 1, "2 grid(s) outside the bounds",
         "\"split_blocks\": 0, \"problems\""},
        {"oversize", "oversize", "--target 300", 0, "2 street block(s) cut into pieces",
         "block 1 (900 households) split into 3 pieces"},
        {"oversize", NULL, "--target 300", 0, "2 street block(s) cut into pieces",
         "because it holds more than the maximum 500"},
        {"leaftrap", "oversize", "", 1, "1 grid(s) outside the bounds",
         "\"split_blocks\": 0, \"problems\""},
        {"leaftrap", "needed", "", 0, "1 street block(s) cut into pieces",
         "block 0 (208 households) split into 2 pieces"},
    };
    char args[16384], out[65536], report[65536];
    const char *dir = cli_env("GP_FIXTURES");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char mode[64] = "";
        if (cases[i].mode != NULL) {
            snprintf(mode, sizeof mode, "--split %s", cases[i].mode);
        }
        snprintf(args, sizeof args,
                 "partition --communities %s/%s/communities.geojson --id-field code --streets "
                 "%s/%s/streets.geojson --class-field class --households "
                 "%s/%s/households.geojson --count-field households %s %s -o split.gpkg "
                 "--report split.json --overwrite",
                 dir, cases[i].fixture, dir, cases[i].fixture, dir, cases[i].fixture, mode,
                 cases[i].extra);
        int code = run(args, out, sizeof out);
        cr_expect_eq(code, cases[i].code, "case %zu exited %d:\n%s", i, code, out);
        cr_expect(strstr(out, cases[i].out) != NULL, "case %zu: expected \"%s\" in:\n%s", i,
                  cases[i].out, out);
        slurp("split.json", report, sizeof report);
        cr_expect(strstr(report, cases[i].report) != NULL, "case %zu: expected \"%s\" in:\n%s", i,
                  cases[i].report, report);
    }
}

/* Staffing (--staffing, --workers): bad rules and bad rosters exit 2 naming the rule, or the
 * roster's file, field and feature, and write nothing; a good roster adds the layer workers. */
Test(cli, staffing_table)
{
    char base[1024];
    providence(base, sizeof base);
    char inputs[4096], args[16384], out[65536];
    snprintf(inputs, sizeof inputs,
             "--communities %s/communities.gpkg --id-field code --streets %s/streets.gpkg "
             "--class-field class --households %s/households.gpkg --count-field households",
             base, base, base);
    const struct {
        const char *file, *rows, *options, *expect;
    } cases[] = {
        {"w_ok.csv", "worker_id,community\nA,44007000101\n", "--staffing bogus",
         "staffing rule 'bogus' is not one of"},
        {"w_ok.csv", "worker_id,community\nA,44007000101\n", "--staffing zhejiang:per=0",
         "per=0 is not a whole number"},
        {"w_dup.csv", "worker_id,community\nA,44007000101\nA,44007000102\n", "",
         "w_dup.csv:w_dup: feature 2: field 'worker_id': worker id 'A' repeats feature 1"},
        {"w_unknown.csv", "worker_id,community\nA,44007000101\nB,nowhere\n", "",
         "w_unknown.csv:w_unknown: feature 2: field 'community': worker 'B': community "
         "'nowhere' is not in"},
        {"w_empty.csv", "worker_id,community\n,44007000101\n", "",
         "w_empty.csv:w_empty: feature 1: field 'worker_id': worker id is empty"},
        {"w_field.csv", "id,community\nA,44007000101\n", "--worker-id-field wid",
         "no field 'wid'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clean("bad.gpkg");
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", cli_env("GP_SCRATCH"), cases[i].file);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fputs(cases[i].rows, f);
        fclose(f);
        snprintf(args, sizeof args, "partition %s --workers %s %s -o bad.gpkg", inputs,
                 cases[i].file, cases[i].options);
        int code = run(args, out, sizeof out);
        cr_expect_eq(code, 2, "case %zu exited %d:\n%s", i, code, out);
        cr_expect(strstr(out, cases[i].expect) != NULL, "case %zu: expected \"%s\" in:\n%s", i,
                  cases[i].expect, out);
        cr_expect(!exists("bad.gpkg"), "case %zu wrote an output", i);
    }
    /* A good roster: the layer workers, the report's staffing, a summary line. */
    clean("good_staff.gpkg good_staff.json");
    snprintf(args, sizeof args,
             "partition %s --workers w_ok.csv --staffing zhejiang -o good_staff.gpkg "
             "--report good_staff.json",
             inputs);
    int code = run(args, out, sizeof out);
    cr_assert(code == 0 || code == 1, "exited %d:\n%s", code, out);
    cr_expect(strstr(out, "1 worker(s) on the roster, 1 given grids") != NULL, "%s", out);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && ogrinfo -q good_staff.gpkg workers -al | grep -q 'worker_id (String) = A'"
             " && grep -q '\"community\": \"44007000101\", \"grid_codes\": \"44007000101001,'"
             " good_staff.json",
             cli_env("GP_SCRATCH"));
    cr_expect_eq(system(cmd), 0, "the layer workers or the report's workers lack worker A");
    clean("w_*.csv good_staff.gpkg good_staff.json");
}

/* The whole-city maps (issue #14): --map-sheets DIR writes overview.svg and one sheet per
 * community; a missing parent folder or a colour the run cannot have stops the run before any
 * work, naming the cause, and writes nothing. */
Test(cli, map_sheets)
{
    char base[1024];
    providence(base, sizeof base);
    char common[8192], args[16384], out[65536];
    snprintf(common, sizeof common,
             "--communities %s/communities.gpkg --id-field code --streets %s/streets.gpkg "
             "--class-field class --households %s/households.gpkg --count-field households",
             base, base, base);
    clean("sheets.gpkg sheets_dir nodir");
    snprintf(args, sizeof args, "partition %s -o sheets.gpkg --map-sheets nodir/maps", common);
    int code = run(args, out, sizeof out);
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "nodir/maps: cannot make the map sheets' folder") != NULL, "%s", out);
    cr_assert(!exists("sheets.gpkg") && !exists("nodir"));
    snprintf(args, sizeof args,
             "partition %s -o sheets.gpkg --map-sheets sheets_dir --map-colour worker", common);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "needs a roster") != NULL, "%s", out);
    cr_assert(!exists("sheets.gpkg") && !exists("sheets_dir"));
    snprintf(args, sizeof args,
             "partition %s -o sheets.gpkg --map-sheets sheets_dir --map-colour community", common);
    code = run(args, out, sizeof out);
    cr_assert_eq(code, 1, "exit %d:\n%s", code, out);
    cr_assert(exists("sheets_dir/overview.svg") && exists("sheets_dir/44007000101.svg") &&
              exists("sheets_dir/44007003700.svg"));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "test $(ls '%s/sheets_dir' | wc -l) -eq 40", cli_env("GP_SCRATCH"));
    cr_assert_eq(system(cmd), 0, "overview.svg and 39 sheets, nothing else");
}

/* --time-limit (issue #15): a run that needs longer stops within half a second of the limit,
 * exits 3 and writes nothing; a limit not reached changes nothing. */
Test(cli, time_limit)
{
    char base[1024];
    providence(base, sizeof base);
    char noisy[1024];
    snprintf(noisy, sizeof noisy, "%s/providence/noisy", cli_env("GP_SHARED_DATA"));
    char args[16384], out[65536];
    clean("limited.gpkg limited.json unlimited.gpkg");
    snprintf(args, sizeof args,
             "partition --communities %s/communities.gpkg --id-field code --streets "
             "%s/streets.gpkg --class-field class --households %s/households.gpkg "
             "--count-field households -o limited.gpkg --report limited.json --time-limit 0.3",
             noisy, noisy, noisy);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int code = run(args, out, sizeof out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    cr_expect_eq(code, 3, "exited %d:\n%s", code, out);
    cr_expect(strstr(out, "time limit of 0.3 s reached") != NULL, "%s", out);
    /* The whole run takes 4 s here; 0.3 s + 0.5 s, plus the process's start, with margin. */
    cr_expect_lt(secs, 2.0, "took %.2f s", secs);
    cr_expect(!exists("limited.gpkg") && !exists("limited.json"), "a timed-out run wrote");
    snprintf(args, sizeof args,
             "partition --communities %s/communities.gpkg --id-field code --streets "
             "%s/streets.gpkg --class-field class --households %s/households.gpkg "
             "--count-field households -o unlimited.gpkg --time-limit 600",
             base, base, base);
    code = run(args, out, sizeof out);
    cr_expect_eq(code, 1, "exited %d:\n%s", code, out);
    cr_expect(strstr(out, "177 grids in 39 communities, 71188 households") != NULL, "%s", out);
}
