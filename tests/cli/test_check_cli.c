/* SPDX-License-Identifier: MIT */
/** @file test_check_cli.c `gridpart check`: exit codes, summary, report and outputs. */

#include "cli_shell.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


/* Run a shell command line in the scratch directory, "@" meaning the CLI; capture output. */
static int sh(const char *line, char *out, size_t size)
{
    static char expanded[16384];
    size_t at = 0;
    for (const char *p = line; *p && at + 512 < sizeof expanded; p++) {
        if (*p == '@') {
            at += (size_t)snprintf(expanded + at, sizeof expanded - at, "'%s'", cli_env("GP_CLI"));
        } else {
            expanded[at++] = *p;
        }
    }
    expanded[at] = '\0';
    return cli_sh(cli_env("GP_SCRATCH"), out, size, "%s", expanded);
}

static char inputs[4096];
static char out[65536];

/* The demo city divided once into check_own.gpkg (exit 1 or 0 is the run's business). */
static void setup(void)
{
    const char *d = cli_env("GP_DEMO");
    snprintf(inputs, sizeof inputs,
             "--communities '%s/communities.gpkg' --id-field code --streets '%s/streets.gpkg' "
             "--class-field class --households '%s/households.gpkg' --count-field households",
             d, d, d);
    char line[8192];
    snprintf(line, sizeof line,
             "rm -rf check_own.gpkg check_*.json check_*.gpkg check_*.svg "
             "&& @ partition %s -o check_own.gpkg",
             inputs);
    int code = sh(line, out, sizeof out);
    cr_assert(code == 0 || code == 1, "%s", out);
}

TestSuite(check_cli, .init = setup);

static int check(const char *grids, const char *extra)
{
    char line[8192];
    snprintf(line, sizeof line, "@ check --grids %s %s %s", grids, inputs, extra);
    return sh(line, out, sizeof out);
}

Test(check_cli, own_grids_clean_with_report_and_outputs)
{
    cr_assert_eq(check("check_own.gpkg:grids",
                       "--report check_own.json -o check_audit.gpkg --map check_audit.svg"),
                 0, "%s", out);
    cr_assert(strstr(out, "gridpart: 84 grids checked in 12 communities: 34460 households in "
                          "grids, 0 in no grid, 72 outside every community (of 34532 read)") &&
                  strstr(out, "every hard rule holds"),
              "%s", out);
    char line[512];
    snprintf(line, sizeof line,
             "grep -c '\"check\": {\"grids\": \"check_own.gpkg:grids\", \"assumed_crs\": false, "
             "\"households_in_no_grid\": 0, \"hard_failures\": 0}' check_own.json && "
             "ogrinfo -q -sql 'SELECT COUNT(*) AS n, SUM(households) AS h FROM grids' "
             "check_audit.gpkg && test -s check_audit.svg");
    cr_assert_eq(sh(line, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "n (Integer) = 84") && strstr(out, "h (Integer) = 34460"), "%s",
              out);
}

Test(check_cli, deleted_grid_exits_1)
{
    cr_assert_eq(sh("ogr2ogr check_gap.gpkg check_own.gpkg grids -where 'fid <> 12'", out,
                    sizeof out),
                 0, "%s", out);
    cr_assert_eq(check("check_gap.gpkg", "--report check_gap.json"), 1, "%s", out);
    cr_assert(strstr(out, "violation: community 640106003002: ") &&
                  strstr(out, "part(s) is in no grid, holding") &&
                  strstr(out, "1 hard rule failure(s)"),
              "%s", out);
    cr_assert_eq(sh("grep -c '\"kind\": \"grids_gap\"' check_gap.json", out, sizeof out), 0,
                 "%s", out);
}

Test(check_cli, bad_grids_exit_2)
{
    cr_assert_eq(check("check_own.gpkg:grids", "--grids-code-field zone"), 2, "%s", out);
    cr_assert(strstr(out, "gridpart: error: ") && strstr(out, "'zone'") &&
                  strstr(out, "grid_code"),
              "%s", out);
    cr_assert_eq(sh("ogr2ogr check_dup.gpkg check_own.gpkg -dialect SQLite -nln grids -sql "
                    "\"SELECT CASE WHEN fid = 3 THEN (SELECT grid_code FROM grids WHERE fid = 2) "
                    "ELSE grid_code END AS grid_code, geom FROM grids\"",
                    out, sizeof out),
                 0, "%s", out);
    cr_assert_eq(check("check_dup.gpkg", ""), 2, "%s", out);
    cr_assert(strstr(out, "is used by features 2 and 3"), "%s", out);
    cr_assert_eq(check("nowhere.gpkg", ""), 2, "%s", out);
    cr_assert(strstr(out, "nowhere.gpkg"), "%s", out);
}

Test(check_cli, usage)
{
    cr_assert_eq(sh("@ check --help", out, sizeof out), 0);
    cr_assert(strstr(out, "usage: gridpart check --grids EXISTING[:LAYER]"), "%s", out);
    cr_assert_eq(sh("@ check --communities x.gpkg", out, sizeof out), 2);
    cr_assert(strstr(out, "--grids is required"), "%s", out);
    cr_assert_eq(sh("@ --help", out, sizeof out), 0);
    cr_assert(strstr(out, "check       audit an existing grids layer"), "%s", out);
}
