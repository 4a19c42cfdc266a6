/* SPDX-License-Identifier: MIT */
/**
 * @file test_outputs.c What the CLI writes, and what it never touches: folders and GeoPackages
 * that hold other data, formats from GDAL's metadata, outputs checked before any work, a full
 * disk, escaped map text, signals, temporaries of killed runs.
 */

#include "cli_shell.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The demo's inputs, as the CLI takes them. */
#define DEMO_INPUTS                                                                                \
    "--communities \"$GP_DEMO/communities.gpkg\" --id-field code --streets "                       \
    "\"$GP_DEMO/streets.gpkg\" --class-field class --households \"$GP_DEMO/households.gpkg\" "     \
    "--count-field households"

/* The demo exits 1: it holds one building of 560 households, above the maximum. */
enum { DEMO_EXIT = 1 };

static int exists_in(const char *dir, const char *name)
{
    char path[16384];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static int is_regular(const char *dir, const char *name)
{
    char path[16384];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* FNV-1a of a file's bytes, so that "untouched" means byte for byte. */
static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    uint64_t h = 1469598103934665603ULL;
    int c;
    while ((c = fgetc(f)) != EOF) {
        h = (h ^ (uint64_t)c) * 1099511628211ULL;
    }
    fclose(f);
    return h;
}

/* Temporaries of our naming left in dir. */
static int temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += strstr(e->d_name, ".gridpart-tmp-") != NULL;
    }
    closedir(d);
    return n;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

/* `-o data` once deleted everything in data/: now the layers go in beside what is there. */
Test(outputs, a_folder_keeps_everything_else)
{
    const char *dir = cli_fresh("outputs", "folder");
    char out[65536], path[16384];
    cr_assert_eq(
        cli_sh(dir, out, sizeof out,
               "mkdir -p data/sub && cp \"$GP_DEMO\"/*.gpkg data/ && echo keep > data/.hidden "
               "&& echo keep > data/sub/notes.txt"),
        0, "%s", out);
    const char *names[] = {"communities.gpkg", "streets.gpkg", "households.gpkg", ".hidden",
                           "sub/notes.txt"};
    uint64_t before[5];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/data/%s", dir, names[i]);
        before[i] = file_hash(path);
    }
    int code = cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " -o data");
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    char data[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    cr_assert(is_regular(data, "grids.shp") && is_regular(data, "blocks.shp"), "%s", out);
    /* A second run must not replace the layers silently. */
    code = cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " -o data");
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "grids.shp already exists") != NULL, "%s", out);
    code =
        cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " -o data --overwrite");
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/data/%s", dir, names[i]);
        cr_assert_eq(file_hash(path), before[i], "%s changed", names[i]);
    }
    /* 5 inputs + the subfolder + grids and blocks (.shp .shx .dbf .prj each). */
    cr_assert_eq(count_entries(data), 5 + 8, "entries in data/:\n%s", out);
    cr_assert_eq(temporaries(data), 0);
}

static int64_t feature_count(const char *dir, const char *dataset, const char *layer)
{
    char out[65536];
    int code = cli_sh(dir, out, sizeof out, "ogrinfo -so '%s' '%s' | grep 'Feature Count'", dataset,
                      layer);
    cr_assert_eq(code, 0, "ogrinfo %s %s:\n%s", dataset, layer, out);
    long long n = -1;
    const char *at = strstr(out, "Feature Count: ");
    cr_assert(at != NULL && sscanf(at, "Feature Count: %lld", &n) == 1, "%s", out);
    return n;
}

/* The QGIS habit: one GeoPackage per project, holding the inputs; -o names it. */
Test(outputs, a_geopackage_of_inputs_gets_the_layers_added)
{
    const char *dir = cli_fresh("outputs", "gpkg");
    char out[65536];
    cr_assert_eq(
        cli_sh(dir, out, sizeof out,
               "ogr2ogr -f GPKG -nln communities city.gpkg \"$GP_DEMO/communities.gpkg\" && "
               "for l in streets households; do ogr2ogr -f GPKG -update -nln $l "
               "city.gpkg \"$GP_DEMO/$l.gpkg\" || exit 1; done"),
        0, "%s", out);
    int64_t before[3] = {feature_count(dir, "city.gpkg", "communities"),
                         feature_count(dir, "city.gpkg", "streets"),
                         feature_count(dir, "city.gpkg", "households")};
    const char *inputs =
        "--communities city.gpkg:communities --id-field code --streets "
        "city.gpkg:streets --class-field class --households city.gpkg:households "
        "--count-field households";
    int code = cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition %s -o city.gpkg", inputs);
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    cr_assert_eq(feature_count(dir, "city.gpkg", "communities"), before[0]);
    cr_assert_eq(feature_count(dir, "city.gpkg", "streets"), before[1]);
    cr_assert_eq(feature_count(dir, "city.gpkg", "households"), before[2]);
    int64_t grids = feature_count(dir, "city.gpkg", "grids");
    cr_assert_eq(grids, 84, "grids in the demo");
    code = cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition %s -o city.gpkg", inputs);
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "layer 'grids' already exists") != NULL, "%s", out);
    code =
        cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition %s -o city.gpkg --overwrite", inputs);
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    cr_assert_eq(feature_count(dir, "city.gpkg", "communities"), before[0]);
    cr_assert_eq(feature_count(dir, "city.gpkg", "households"), before[2]);
    cr_assert_eq(feature_count(dir, "city.gpkg", "grids"), grids, "replaced, not appended");
    cr_assert_eq(temporaries(dir), 0);
}

/* The format comes from GDAL's driver metadata: the right driver, or a clear error. */
Test(outputs, formats_from_gdal_metadata)
{
    const struct {
        const char *args; /* after -o */
        int code;
        const char *expect; /* in the output, or NULL */
        const char *file;   /* a regular file that must exist, or NULL */
        const char *starts; /* its first bytes, or NULL */
    } cases[] = {
        {"out.xyz", 2, "no GDAL vector format writes '.xyz' files", NULL, NULL},
        {"out.txt", 2, "fits several GDAL formats", NULL, NULL},
        {"out.data --format Nope", 2, "no GDAL vector format named 'Nope'", NULL, NULL},
        {"out.csv", DEMO_EXIT, NULL, "out.blocks.csv", "WKT,block_id"},
        {"out.shp", DEMO_EXIT, NULL, "out.blocks.shp", NULL},
        {"out.fgb", DEMO_EXIT, NULL, "out.fgb", "fgb"},
        {"out.kml", DEMO_EXIT, NULL, "out.kml", "<?xml"},
        {"out.geojson", DEMO_EXIT, NULL, "out.blocks.geojson", "{"},
        {"out.data --format GeoJSON", DEMO_EXIT, NULL, "out.blocks.data", "{"},
    };
    char out[65536];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = cli_fresh("outputs", "formats");
        int code = cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " -o %s",
                          cases[i].args);
        cr_expect_eq(code, cases[i].code, "-o %s: exit %d:\n%s", cases[i].args, code, out);
        if (cases[i].expect != NULL) {
            cr_expect(strstr(out, cases[i].expect) != NULL, "-o %s: expected \"%s\" in:\n%s",
                      cases[i].args, cases[i].expect, out);
            cr_expect_eq(count_entries(dir), 0, "-o %s wrote something", cases[i].args);
        }
        if (cases[i].file != NULL) {
            cr_expect(is_regular(dir, cases[i].file), "-o %s: %s is not a file", cases[i].args,
                      cases[i].file);
        }
        if (cases[i].starts != NULL) {
            char path[16384], head[64] = "";
            snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
            FILE *f = fopen(path, "rb");
            cr_assert_not_null(f, "%s", path);
            size_t n = fread(head, 1, sizeof head - 1, f);
            head[n] = '\0';
            fclose(f);
            cr_expect(strncmp(head, cases[i].starts, strlen(cases[i].starts)) == 0,
                      "-o %s: %s starts with \"%.20s\"", cases[i].args, cases[i].file, head);
        }
        cr_expect_eq(temporaries(dir), 0);
    }
}

/* Every output is checked before any work; a failing run writes nothing at all. */
Test(outputs, checked_before_any_work)
{
    const struct {
        const char *setup; /* shell commands first, or "" */
        const char *args;  /* the outputs */
        const char *expect;
    } cases[] = {
        {"", "-o grids.gpkg --report /nonexistent-dir/r.json",
         "/nonexistent-dir/r.json: cannot write the report: the folder /nonexistent-dir does not "
         "exist"},
        {"", "-o /nonexistent-dir/grids.gpkg --report r.json", "the folder /nonexistent-dir"},
        {"echo old > r.json", "-o grids.gpkg --report r.json", "r.json: the report file already"},
        {"echo old > m.svg", "-o grids.gpkg --map m.svg", "m.svg: the map file already exists"},
        {"", "-o grids.gpkg --report same.json --map same.json",
         "two outputs would be the same file"},
        {"", "-o grids.geojson --map grids.geojson", "two outputs would be the same file"},
        {"mkdir folder.gpkg", "-o folder.gpkg", "folder.gpkg: is a folder"},
        {"echo not a geopackage > bad.gpkg", "-o bad.gpkg", "bad.gpkg: cannot open it for update"},
        {"echo x > plain", "-o plain",
         "plain: is a file; a path without an extension names a "
         "folder"},
    };
    char out[65536];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = cli_fresh("outputs", "checked");
        int before = 0;
        if (*cases[i].setup) {
            cr_assert_eq(cli_sh(dir, out, sizeof out, "%s", cases[i].setup), 0, "%s", out);
            before = count_entries(dir);
        }
        int code =
            cli_sh(dir, out, sizeof out, "\"$GP_CLI\" partition " DEMO_INPUTS " %s", cases[i].args);
        cr_expect_eq(code, 2, "%s: exit %d:\n%s", cases[i].args, code, out);
        cr_expect(strstr(out, cases[i].expect) != NULL, "%s: expected \"%s\" in:\n%s",
                  cases[i].args, cases[i].expect, out);
        cr_expect_eq(count_entries(dir), before, "%s: something was written", cases[i].args);
        /* Before any work: no grid was computed (the demo takes longer than reading nothing). */
        cr_expect(strstr(out, "grids in") == NULL, "%s: the run went ahead:\n%s", cases[i].args,
                  out);
    }
}

/* A full disk (here the file-size limit: the same EFBIG/ENOSPC path) is an error, and no
 * truncated file is left, nor a temporary. */
Test(outputs, a_full_disk_is_an_error_and_leaves_nothing)
{
    const char *dir = cli_fresh("outputs", "full");
    char out[65536];
    int code = cli_sh(dir, out, sizeof out,
                      "trap '' XFSZ; ulimit -f 200; \"$GP_CLI\" partition " DEMO_INPUTS
                      " -o full.geojson --report full.json --map full.svg");
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "File too large") != NULL, "%s", out);
    cr_assert_eq(count_entries(dir), 0, "files were left:\n%s", out);
}

/* GDAL virtual paths are outputs like files (issue #14): the run writes into GDAL's memory
 * file system (gone when the process ends; tests/pipeline/test_vsimem.c reads it back) and
 * nothing reaches the disk. A missing memory folder is refused before any work. */
Test(outputs, gdal_memory_paths)
{
    const char *dir = cli_fresh("outputs", "vsimem");
    char out[65536];
    int code = cli_sh(dir, out, sizeof out,
                      "\"$GP_CLI\" partition " DEMO_INPUTS
                      " -o /vsimem/city.gpkg --report /vsimem/report.json --map /vsimem/map.svg");
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    cr_assert_eq(count_entries(dir), 0, "files were left:\n%s", out);
    code = cli_sh(dir, out, sizeof out,
                  "\"$GP_CLI\" partition " DEMO_INPUTS " -o /vsimem/grids.geojson");
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    code = cli_sh(dir, out, sizeof out,
                  "\"$GP_CLI\" partition " DEMO_INPUTS
                  " -o /vsimem/city.gpkg --report /vsimem/none/report.json");
    cr_assert_eq(code, 2, "exit %d:\n%s", code, out);
    cr_assert(strstr(out, "/vsimem/none") != NULL && strstr(out, "does not exist") != NULL, "%s",
              out);
    cr_assert_eq(count_entries(dir), 0, "files were left:\n%s", out);
}

/* Community codes are input: in the map they are text, never markup. */
Test(outputs, the_map_escapes_input_text)
{
    const char *dir = cli_fresh("outputs", "escape");
    char out[65536];
    /* The oversize fixture with hostile community codes. */
    cr_assert_eq(cli_sh(dir, out, sizeof out,
                        "sed -e 's/\"C1\"/\"<script>alert(1)<\\/script>\"/' -e 's/\"C2\"/\"A<B \\& "
                        "C\\\\\"D\"/' \"$GP_FIXTURES/oversize/communities.geojson\" > c.geojson"),
                 0, "%s", out);
    int code = cli_sh(dir, out, sizeof out,
                      "\"$GP_CLI\" partition --communities c.geojson --id-field code --streets "
                      "\"$GP_FIXTURES/oversize/streets.geojson\" --class-field class --households "
                      "\"$GP_FIXTURES/oversize/households.geojson\" --count-field households "
                      "--target 300 -o g.gpkg --map map.svg");
    cr_assert_eq(code, 0, "exit %d:\n%s", code, out);
    /* Well-formed XML without a script element, and the codes come back as text. */
    code = cli_sh(dir, out, sizeof out,
                  "/usr/bin/python3 -c \"import sys, xml.dom.minidom as m; d = m.parse('map.svg'); "
                  "assert not d.getElementsByTagName('script'), 'a script element'; "
                  "t = ' '.join(n.firstChild.data for n in d.getElementsByTagName('title') "
                  "if n.firstChild); assert '<script>alert(1)</script>001' in t, t; "
                  "assert 'A<B & C\\\"D001' in t, t; print('ok')\"");
    cr_assert_eq(code, 0, "%s", out);
}

/* Whether process `pid`, once it is the CLI (named gridpart: the forked test process and the
 * shell before it come first), catches SIGINT and SIGTERM (its SigCgt mask in /proc), polled
 * for up to `limit` seconds. */
static int catches_stop_signals(pid_t pid, double limit)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    const unsigned long long want = (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1));
    for (double waited = 0; waited < limit; waited += 0.02) {
        FILE *f = fopen(path, "r");
        unsigned long long mask = 0;
        int cli = 0;
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            if (strcmp(line, "Name:\tgridpart\n") == 0) {
                cli = 1;
            } else if (strncmp(line, "SigCgt:", 7) == 0) {
                mask = strtoull(line + 7, NULL, 16);
            }
        }
        if (f != NULL) {
            fclose(f);
        }
        if (cli && (mask & want) == want) {
            return 1;
        }
        struct timespec step = {0, 20 * 1000 * 1000};
        nanosleep(&step, NULL);
    }
    return 0;
}

/* Ctrl-C or SIGTERM: the run cancels, writes nothing, leaves no temporary, exits 128 + sig. */
Test(outputs, signals_cancel_and_write_nothing, .timeout = 120)
{
    const int sigs[] = {SIGINT, SIGTERM};
    char shared[4096];
    snprintf(shared, sizeof shared, "%s/providence/noisy", cli_env("GP_SHARED_DATA"));
    for (int k = 0; k < 2; k++) {
        const char *dir = cli_fresh("outputs", "signals");
        char log[4200], cmd[32768];
        snprintf(log, sizeof log, "%s/log.txt", dir);
        snprintf(cmd, sizeof cmd,
                 "exec \"$GP_CLI\" partition --communities %s/communities.gpkg --id-field code "
                 "--streets %s/streets.gpkg --class-field class --households %s/households.gpkg "
                 "--count-field households --threads 1 -o '%s/out.gpkg' --report '%s/r.json' "
                 "> '%s' 2>&1",
                 shared, shared, shared, dir, dir, log);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        /* Signal once the CLI catches both signals (a loaded machine or a sanitizer can take
         * longer than any fixed pause to get there), then give it a moment to be at work. */
        cr_assert(catches_stop_signals(pid, 60.0), "the CLI never installed its handlers");
        struct timespec pause = {0, 300 * 1000 * 1000};
        nanosleep(&pause, NULL);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cr_assert_eq(kill(pid, sigs[k]), 0);
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double waited = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        FILE *f = fopen(log, "r");
        char text[8192] = "";
        if (f != NULL) {
            text[fread(text, 1, sizeof text - 1, f)] = '\0';
            fclose(f);
        }
        cr_assert(WIFEXITED(status), "signal %d: the process died instead of exiting:\n%s", sigs[k],
                  text);
        cr_assert_eq(WEXITSTATUS(status), 128 + sigs[k], "signal %d: exit %d:\n%s", sigs[k],
                     WEXITSTATUS(status), text);
        cr_assert(strstr(text, "interrupted by") != NULL, "%s", text);
        cr_assert_lt(waited, 1.0, "the run took %.2f s to stop", waited);
        cr_assert(!exists_in(dir, "out.gpkg") && !exists_in(dir, "r.json"), "%s", text);
        cr_assert_eq(temporaries(dir), 0);
    }
}

/* A temporary left by a killed process is removed by the next run writing beside it; one of a
 * live process is not. */
Test(outputs, stale_temporaries_are_removed)
{
    const char *dir = cli_fresh("outputs", "stale");
    char out[65536];
    /* A process id that is surely gone: a child that has exited and been reaped. */
    pid_t dead = fork();
    if (dead == 0) {
        _exit(0);
    }
    cr_assert_eq(waitpid(dead, NULL, 0), dead);
    cr_assert_eq(
        cli_sh(dir, out, sizeof out,
               "echo x > .grids.gpkg.gridpart-tmp-%d-0 && echo x > "
               ".grids.gpkg.gridpart-tmp-%d-1-journal && echo x > .r.json.gridpart-tmp-%d-2 "
               "&& echo x > .other.gridpart-tmp-%d-5 && echo x > .notours.gridpart-tmp-x",
               (int)dead, (int)dead, (int)dead, (int)getpid()),
        0, "%s", out);
    int code = cli_sh(dir, out, sizeof out,
                      "\"$GP_CLI\" partition " DEMO_INPUTS " -o grids.gpkg --report r.json");
    cr_assert_eq(code, DEMO_EXIT, "exit %d:\n%s", code, out);
    char name[256];
    snprintf(name, sizeof name, ".grids.gpkg.gridpart-tmp-%d-0", (int)dead);
    cr_assert(!exists_in(dir, name), "a dead process's temporary stayed");
    snprintf(name, sizeof name, ".grids.gpkg.gridpart-tmp-%d-1-journal", (int)dead);
    cr_assert(!exists_in(dir, name), "a dead process's journal stayed");
    snprintf(name, sizeof name, ".r.json.gridpart-tmp-%d-2", (int)dead);
    cr_assert(!exists_in(dir, name));
    snprintf(name, sizeof name, ".other.gridpart-tmp-%d-5", (int)getpid());
    cr_assert(exists_in(dir, name), "a live process's temporary was removed");
    cr_assert(exists_in(dir, ".notours.gridpart-tmp-x"), "a file not of our naming was removed");
}

/* Grids and blocks in a GeoPackage, read as the next program to open it would: read-write, so
 * that SQLite rolls back what a killed writer left in its journal; and its integrity. */
static void gpkg_counts(const char *dir, const char *file, int64_t *grids, int64_t *blocks)
{
    char out[4096];
    int code = cli_sh(dir, out, sizeof out,
                      "/usr/bin/python3 -c \"import sqlite3; c = sqlite3.connect('%s'); "
                      "print(c.execute('pragma integrity_check').fetchone()[0], "
                      "c.execute('select count(*) from grids').fetchone()[0], "
                      "c.execute('select count(*) from blocks').fetchone()[0])\"",
                      file);
    cr_assert_eq(code, 0, "%s", out);
    char ok[16] = "";
    long long g = -1, b = -1;
    cr_assert_eq(sscanf(out, "%15s %lld %lld", ok, &g, &b), 3, "%s", out);
    cr_assert_str_eq(ok, "ok", "integrity check: %s", out);
    *grids = g;
    *blocks = b;
}

/* kill -9 at any moment leaves the previous output whole: a complete GeoPackage with both
 * layers, the old ones or the new ones, never a mix or a part. */
Test(outputs, kill_9_leaves_the_previous_output_whole, .timeout = 300)
{
    const char *dir = cli_fresh("outputs", "kill9");
    char out[65536];
    /* The old output has other bounds, so other grids than the runs that are killed (and
     * exit 0: with a maximum of 700 the 560-household building fits). */
    int code = cli_sh(dir, out, sizeof out,
                      "\"$GP_CLI\" partition " DEMO_INPUTS " --min 200 --max 700 -o city.gpkg");
    cr_assert_eq(code, 0, "%s", out);
    int64_t old_grids, old_blocks, new_grids = -1, new_blocks = -1;
    gpkg_counts(dir, "city.gpkg", &old_grids, &old_blocks);
    code = cli_sh(dir, out, sizeof out,
                  "\"$GP_CLI\" partition " DEMO_INPUTS
                  " -o new.gpkg && true; "
                  "test -f new.gpkg");
    cr_assert_eq(code, 0, "%s", out);
    gpkg_counts(dir, "new.gpkg", &new_grids, &new_blocks);
    cr_assert_neq(old_grids, new_grids, "the test needs two different outputs");
    /* The demo takes a few tenths of a second: kill it at steps across the whole run, the
     * write at the end included. */
    int saw_old = 0, saw_new = 0;
    for (int ms = 50; ms <= 1500; ms += 50) {
        char cmd[32768];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && exec \"$GP_CLI\" partition " DEMO_INPUTS
                 " -o city.gpkg --overwrite --threads 1 > /dev/null 2>&1",
                 dir);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        struct timespec pause = {0, ms * 1000L * 1000L};
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        int64_t g, b;
        gpkg_counts(dir, "city.gpkg", &g, &b);
        int is_old = g == old_grids && b == old_blocks, is_new = g == new_grids && b == new_blocks;
        cr_assert(is_old || is_new,
                  "killed at %d ms: %lld grids and %lld blocks, neither the old (%lld, %lld) nor "
                  "the new (%lld, %lld)",
                  ms, (long long)g, (long long)b, (long long)old_grids, (long long)old_blocks,
                  (long long)new_grids, (long long)new_blocks);
        saw_old |= is_old;
        saw_new |= is_new;
        if (is_new) {
            break; /* committed: from here on there is nothing old to protect */
        }
    }
    cr_assert(saw_old, "no kill landed before the commit");
}
