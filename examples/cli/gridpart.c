/* SPDX-License-Identifier: MIT */
/** @file gridpart.c The gridpart command line: partition communities into service grids. */

#include "gridpart.h"

#include <stdio.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_BOUNDS = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
    fprintf(out, "usage: gridpart COMMAND [OPTIONS]\n"
                 "\n"
                 "commands:\n"
                 "  demo        run the pipeline on the bundled sample data\n"
                 "  --version   print the library version\n"
                 "  --help      print this message\n");
}

static int cmd_demo(void)
{
    printf("gridpart %s\n", gp_version());
    printf("the partition pipeline is not built yet: `gridpart demo` will run it on "
           "examples/data once it is.\n");
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gridpart %s\n", gp_version());
        return EXIT_OK;
    }
    if (strcmp(argv[1], "demo") == 0) {
        return cmd_demo();
    }
    fprintf(stderr, "gridpart: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
