/* SPDX-License-Identifier: MIT */
/** @file cli_shell.h Running the gridpart CLI from the CLI tests: environment, scratch folders,
 *  shell commands with their output captured. */

#ifndef GP_TESTS_CLI_SHELL_H
#define GP_TESTS_CLI_SHELL_H

#include <stddef.h>

/** The value of an environment variable meson sets (GP_CLI, GP_SCRATCH, GP_DEMO...); the test
 *  fails when it is unset. */
const char *cli_env(const char *name);

/** A fresh, empty folder GP_SCRATCH/GROUP/NAME (a static buffer, valid until the next call). */
const char *cli_fresh(const char *group, const char *name);

/** Run a shell command (printf-style) in `dir` with stdout and stderr captured into out (at most
 *  size - 1 bytes, NUL-terminated). Returns the exit status, or 128 + the signal that ended it. */
int cli_sh(const char *dir, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* GP_TESTS_CLI_SHELL_H */
