/* SPDX-License-Identifier: MIT */
/** @file test_layer.c PATH[:LAYER] and PG:CONNINFO:TABLE specs: splitting, masking, errors. */

#include "core/context.h"
#include "core/memory.h"
#include "gridpart.h"
#include "io/layer.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gp_context *ctx;

static void setup(void)
{
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
}

static void teardown(void)
{
    gp_context_free(ctx);
}

TestSuite(split, .init = setup, .fini = teardown);
TestSuite(mask, .init = setup, .fini = teardown);
TestSuite(pg_open, .init = setup, .fini = teardown);

/* spec, expected data source, expected layer (NULL: none named). */
struct split_case {
    const char *spec;
    const char *path;
    const char *layer;
};

static void check_split(const struct split_case *c)
{
    char *path = NULL;
    char *name = NULL;
    cr_assert_eq(gp_layer_split_spec(ctx, c->spec, &path, &name), GP_OK);
    cr_assert_str_eq(path, c->path, "spec \"%s\": source \"%s\"", c->spec, path);
    if (c->layer == NULL) {
        cr_assert_null(name, "spec \"%s\": layer \"%s\", expected none", c->spec, name);
    } else {
        cr_assert_not_null(name, "spec \"%s\": no layer, expected \"%s\"", c->spec, c->layer);
        cr_assert_str_eq(name, c->layer, "spec \"%s\"", c->spec);
    }
    gp_free(path);
    gp_free(name);
}

Test(split, pg_table_is_the_text_after_the_last_colon_when_it_is_a_table_name)
{
    static const struct split_case cases[] = {
        {"PG:dbname=x host=y:communities", "PG:dbname=x host=y", "communities"},
        {"PG:dbname=x:communities", "PG:dbname=x", "communities"},
        {"pg:dbname=x:streets", "pg:dbname=x", "streets"},
        {"Pg:dbname=x:public.streets", "Pg:dbname=x", "public.streets"},
        {"PG:dbname=x:my_schema.t_2$", "PG:dbname=x", "my_schema.t_2$"},
        {"PG:dbname=x:社区", "PG:dbname=x", "社区"},
        {"PG:host=::1 dbname=x:grids", "PG:host=::1 dbname=x", "grids"},
        {"PG:dbname=x host=::1:grids", "PG:dbname=x host=::1", "grids"},
        {"PG:dbname='a b:c' host=y:grids", "PG:dbname='a b:c' host=y", "grids"},
        {"PG:postgresql://u:pw@h:5432/db:grids", "PG:postgresql://u:pw@h:5432/db", "grids"},
        {"PG::households", "PG:", "households"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_split(&cases[i]);
    }
}

Test(split, pg_without_a_table_is_the_whole_connection_string)
{
    static const struct split_case cases[] = {
        {"PG:dbname=x", "PG:dbname=x", NULL},
        {"PG:dbname=x host=y port=5432", "PG:dbname=x host=y port=5432", NULL},
        {"PG:host=y port=5432", "PG:host=y port=5432", NULL},
        {"PG:dbname=x host=::1", "PG:dbname=x host=::1", NULL},             /* IPv6 tail */
        {"PG:host=::1 dbname=x", "PG:host=::1 dbname=x", NULL},             /* space, '=' */
        {"PG:dbname=x password='a:b'", "PG:dbname=x password='a:b'", NULL}, /* quote */
        {"PG:dbname=x password=a:b/c", "PG:dbname=x password=a:b/c", NULL}, /* '/' */
        {"PG:postgresql://h:5432", "PG:postgresql://h:5432", NULL},         /* a port */
        {"PG:postgresql://u:pw@h", "PG:postgresql://u:pw@h", NULL},         /* '@' */
        {"PG:postgresql://h:5432/db", "PG:postgresql://h:5432/db", NULL},
        {"PG:dbname=x:", "PG:dbname=x:", NULL},         /* empty */
        {"PG:dbname=x:a..b", "PG:dbname=x:a..b", NULL}, /* empty part */
        {"PG:dbname=x:.b", "PG:dbname=x:.b", NULL},
        {"PG:dbname=x:b.", "PG:dbname=x:b.", NULL},
        {"PG:dbname", "PG:dbname", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_split(&cases[i]);
    }
}

Test(split, files_keep_their_rules)
{
    static const struct split_case cases[] = {
        {"examples/data/communities.gpkg", "examples/data/communities.gpkg", NULL},
        {"no/such/dir/city.gpkg:grids", "no/such/dir/city.gpkg", "grids"},
        {"city.gpkg:", "city.gpkg:", NULL},
        {"C:\\data\\city.gpkg", "C:\\data\\city.gpkg", NULL},
        {"C:/data/city.gpkg", "C:/data/city.gpkg", NULL},
        {":grids", ":grids", NULL},
        /* Not a PG spec: the prefix must be "PG:". */
        {"PGX:dbname=x:grids", "PGX:dbname=x", "grids"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_split(&cases[i]);
    }
}

Test(split, an_existing_file_with_a_colon_is_a_path)
{
    char path[256];
    snprintf(path, sizeof path, "/tmp/gp-test-layer-%ld:grids", (long)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    struct split_case c = {path, path, NULL};
    check_split(&c);
    unlink(path);
    struct split_case gone = {path, "", "grids"};
    char expect[256];
    snprintf(expect, sizeof expect, "/tmp/gp-test-layer-%ld", (long)getpid());
    gone.path = expect;
    check_split(&gone);
}

/* QGIS writes a layer source as PATH|layername=NAME (|layerid=N, |option:KEY=VALUE): the path
 * before the first such part is then taken as it is, Windows drive, ':' and '/vsizip/' too. */
Test(split, qgis_layername_names_the_layer_as_path_colon_layer_does)
{
    static const struct split_case cases[] = {
        {"city.gpkg|layername=streets", "city.gpkg", "streets"},
        {"no/such/dir/city.gpkg|layername=grids", "no/such/dir/city.gpkg", "grids"},
        {"C:\\data\\city.gpkg|layername=grids", "C:\\data\\city.gpkg", "grids"},
        {"C:/data/city.gpkg|layername=grids", "C:/data/city.gpkg", "grids"},
        {"C:\\data\\city.gpkg:grids", "C:\\data\\city.gpkg", "grids"},
        {"a:b.gpkg|layername=grids", "a:b.gpkg", "grids"}, /* ':' kept in the path */
        {"/vsizip/d/city.zip/city.gpkg|layername=grids", "/vsizip/d/city.zip/city.gpkg", "grids"},
        {"/vsizip/d/city.zip/city.shp", "/vsizip/d/city.zip/city.shp", NULL},
        {"/vsizip//abs/city.zip/x.shp:x", "/vsizip//abs/city.zip/x.shp", "x"},
        {"city.gpkg|layername=社区", "city.gpkg", "社区"},
        {"city.gpkg|LAYERNAME=grids", "city.gpkg", "grids"},
        {"city.gpkg|layername=a:b", "city.gpkg", "a:b"},
        /* open options do not name the layer: the path before them splits at ':' as usual */
        {"city.gpkg|layername=grids|option:LIST_ALL_TABLES=NO", "city.gpkg", "grids"},
        {"city.gpkg:grids|option:LIST_ALL_TABLES=NO", "city.gpkg", "grids"},
        {"pts.csv|option:X_POSSIBLE_NAMES=lon", "pts.csv", NULL},
        {"city.gpkg|layerid=2", "city.gpkg", NULL},
        /* a '|' not followed by WORD= or WORD: belongs to the path */
        {"a|b.gpkg", "a|b.gpkg", NULL},
        {"a|b.gpkg:grids", "a|b.gpkg", "grids"},
        {"a|1=b.gpkg", "a|1=b.gpkg", NULL},
        /* a PG connection string is never split at '|' (a password may hold one) */
        {"PG:dbname=x password=a|b=c:grids", "PG:dbname=x password=a|b=c", "grids"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_split(&cases[i]);
    }
}

Test(split, qgis_layerid_and_options_are_parsed_in_order)
{
    gp_layer_spec s;
    cr_assert_eq(gp_layer_parse_spec(ctx,
                                     "C:\\d\\pts.csv|layerid=0|option:X_POSSIBLE_NAMES=lon"
                                     "|option:Y_POSSIBLE_NAMES=lat",
                                     &s),
                 GP_OK, "%s", gp_context_last_error(ctx));
    cr_assert_str_eq(s.path, "C:\\d\\pts.csv");
    cr_assert_null(s.name);
    cr_assert_eq(s.index, 0);
    cr_assert_not_null(s.open_options);
    cr_assert_str_eq(s.open_options[0], "X_POSSIBLE_NAMES=lon");
    cr_assert_str_eq(s.open_options[1], "Y_POSSIBLE_NAMES=lat");
    cr_assert_null(s.open_options[2]);
    gp_layer_spec_clear(&s);
    cr_assert_eq(gp_layer_parse_spec(ctx, "city.gpkg:grids", &s), GP_OK);
    cr_assert_eq(s.index, -1);
    cr_assert_null(s.open_options);
    gp_layer_spec_clear(&s);
}

Test(split, qgis_parts_gridpart_cannot_honour_are_errors_quoting_the_spec)
{
    static const char *const bad[] = {
        "city.gpkg|subset=\"code\" = 'a'", /* a filter would silently drop features */
        "city.gpkg|geometrytype=Point",
        "city.gpkg|layername=",
        "city.gpkg|layername=a|layername=b",
        "city.gpkg|layername=a|layerid=0",
        "city.gpkg|layerid=-1",
        "city.gpkg|layerid=x",
        "city.gpkg|layerid=99999999999",
        "city.gpkg|option:NOVALUE",
        "city.gpkg|option:=x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gp_layer_spec s;
        cr_assert_eq(gp_layer_parse_spec(ctx, bad[i], &s), GP_ERR_ARG, "spec \"%s\"", bad[i]);
        cr_assert_null(s.path);
        cr_assert_not_null(strstr(gp_context_last_error(ctx), bad[i]), "%s",
                           gp_context_last_error(ctx));
        cr_assert_not_null(strstr(gp_context_last_error(ctx), "|layername=NAME"));
        char *path = NULL, *name = NULL;
        cr_assert_eq(gp_layer_split_spec(ctx, bad[i], &path, &name), GP_ERR_ARG);
        cr_assert_null(path);
        cr_assert_null(name);
    }
}

/* GDAL's option lists: keys (aliases too) and, for typed options, values. */
Test(split, gdal_option_lists_check_keys_and_typed_values)
{
    static const char XML[] =
        "<OptionList>"
        "<Option name='ENCODING' type='string'/>"
        "<Option name='SPATIAL_INDEX' type='boolean'/>"
        "<Option name='PRECISION' type='int'/>"
        "<Option name='VERSION' type='string-select'><Value>AUTO</Value><Value>1.2</Value>"
        "<Value alias='ONE_THREE'>1.3</Value></Option>"
        "<Option name='GEOMETRY_NAME' alias='GEOM' type='string'/>"
        "</OptionList>";
    static const struct {
        const char *option;
        int expect;
    } cases[] = {
        {"ENCODING=UTF-8", 1}, {"encoding=cp936", 1},  {"ENCODNG=UTF-8", 0},
        {"SPATIAL_INDEX=NO", 1}, {"SPATIAL_INDEX=yes", 1}, {"SPATIAL_INDEX=MAYBE", 0},
        {"PRECISION=6", 1},    {"PRECISION=6.5", 0},   {"PRECISION=", 0},
        {"VERSION=1.2", 1},    {"VERSION=auto", 1},    {"VERSION=9", 0},
        {"VERSION=ONE_THREE", 1}, {"GEOM=g", 1},       {"VERSION", 1},
    };
    char why[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(gp_gdal_option_check(XML, cases[i].option, why, sizeof why),
                     cases[i].expect, "%s", cases[i].option);
    }
    cr_assert_eq(gp_gdal_option_check(XML, "VERSION=9", why, sizeof why), 0);
    cr_assert_str_eq(why, "one of AUTO, 1.2, 1.3");
    cr_assert_eq(gp_gdal_option_check(XML, "NOPE=1", why, sizeof why), 0);
    cr_assert_str_eq(why, "no such option");
    cr_assert_eq(gp_gdal_option_check(NULL, "ANY=1", why, sizeof why), -1);
    cr_assert_eq(gp_gdal_option_listed(XML, "VERSION=anything"), 1);
    cr_assert_eq(gp_gdal_option_listed(XML, "VERSON=1.2"), 0);
}

static void check_mask(const char *path, const char *expect)
{
    char *shown = gp_layer_source_label(path);
    cr_assert_not_null(shown);
    cr_assert_str_eq(shown, expect, "masking \"%s\"", path);
    gp_free(shown);
}

Test(mask, passwords_of_connection_strings_are_hidden)
{
    check_mask("PG:dbname=x password=secret host=y", "PG:dbname=x password=*** host=y");
    check_mask("PG:password=secret", "PG:password=***");
    check_mask("PG:dbname=x password = 'se cr\\'et' host=y", "PG:dbname=x password = *** host=y");
    check_mask("pg:password=a password=b", "pg:password=*** password=***");
    check_mask("PG:postgresql://u:secret@h:5432/db", "PG:postgresql://u:***@h:5432/db");
    check_mask("PG:postgresql://u@h/db?password=secret&sslmode=disable",
               "PG:postgresql://u@h/db?password=***&sslmode=disable");
    check_mask("PG:postgres://u:s@h?password=t", "PG:postgres://u:***@h?password=***");
}

Test(mask, everything_else_is_shown_as_it_is)
{
    check_mask("PG:dbname=x host=y", "PG:dbname=x host=y");
    check_mask("PG:dbname=password", "PG:dbname=password");
    check_mask("PG:postgresql://u@h:5432/db", "PG:postgresql://u@h:5432/db");
    check_mask("PG:", "PG:");
    check_mask("password=secret.gpkg", "password=secret.gpkg"); /* a file */
}

Test(mask, allocation_failure_gives_null)
{
    gp_test_alloc_fail_after(0, 0);
    char *shown = gp_layer_source_label("PG:password=secret");
    gp_test_alloc_fail_after(-1, 0);
    cr_assert_null(shown);
}

/* Nothing listens on 127.0.0.1 port 1: the connection is refused at once. */
#define REFUSED "PG:host=127.0.0.1 port=1 dbname=x password=secret"
#define REFUSED_SHOWN "PG:host=127.0.0.1 port=1 dbname=x password=***"

Test(pg_open, a_refused_connection_is_an_io_error_naming_the_masked_string)
{
    gp_layer *l = NULL;
    cr_assert_eq(gp_layer_open(ctx, REFUSED ":communities", "communities", &l), GP_ERR_IO);
    cr_assert_null(l);
    const char *msg = gp_context_last_error(ctx);
    const char *prefix = "communities: " REFUSED_SHOWN ": cannot connect: GDAL: ";
    cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "message: %s", msg);
    cr_assert(strstr(msg, "127.0.0.1") != NULL && strstr(msg, "port 1") != NULL,
              "GDAL's reason is missing: %s", msg);
    cr_assert_null(strstr(msg, "secret"), "the password shows: %s", msg);
    cr_assert_null(strchr(msg, '\n'), "the message spans lines: %s", msg);
}

Test(pg_open, no_table_says_how_to_name_it_even_without_a_connection)
{
    gp_layer *l = NULL;
    cr_assert_eq(gp_layer_open(ctx, REFUSED, "streets", &l), GP_ERR_INPUT);
    cr_assert_null(l);
    const char *msg = gp_context_last_error(ctx);
    const char *prefix = "streets: " REFUSED_SHOWN ": name the table to read, as " REFUSED_SHOWN
                         ":TABLE (cannot list the tables: GDAL: ";
    cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "message: %s", msg);
    cr_assert_null(strstr(msg, "secret"), "the password shows: %s", msg);
    cr_assert_null(strstr(msg, "no such file"), "message: %s", msg);
}

Test(pg_open, a_missing_file_is_still_no_such_file)
{
    gp_layer *l = NULL;
    cr_assert_eq(gp_layer_open(ctx, "/no/such/city.gpkg:grids", "communities", &l), GP_ERR_IO);
    cr_assert_str_eq(gp_context_last_error(ctx), "communities: /no/such/city.gpkg: no such file");
}

Test(pg_open, every_allocation_failing_is_reported_without_leak)
{
    gp_layer *l = NULL;
    int64_t base = gp_test_alloc_live();
    int failures = 0;
    for (int64_t n = 0;; n++) {
        gp_test_alloc_fail_after(n, 0);
        gp_status st = gp_layer_open(ctx, REFUSED ":communities", "communities", &l);
        gp_test_alloc_fail_after(-1, 0);
        cr_assert_null(l);
        cr_assert_eq(gp_test_alloc_live(), base, "leak when allocation %lld fails", (long long)n);
        if (st == GP_ERR_IO) {
            break;
        }
        cr_assert_eq(st, GP_ERR_NOMEM, "allocation %lld failing gave status %d", (long long)n, st);
        failures++;
        cr_assert_lt(n, 100, "the scenario never completes");
    }
    cr_assert_geq(failures, 4, "the layer, its path, its label and the connection string");
}
