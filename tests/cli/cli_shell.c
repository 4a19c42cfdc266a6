/* SPDX-License-Identifier: MIT */
/** @file cli_shell.c Running the gridpart CLI from the CLI tests (see cli_shell.h). */

#include "cli_shell.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

const char *cli_env(const char *name)
{
    const char *v = getenv(name);
    cr_assert_not_null(v, "%s is not set (run through meson test)", name);
    return v;
}

const char *cli_fresh(const char *group, const char *name)
{
    static char dir[4096];
    char cmd[10000];
    snprintf(dir, sizeof dir, "%s/%s/%s", cli_env("GP_SCRATCH"), group, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    return dir;
}

int cli_sh(const char *dir, char *out, size_t size, const char *fmt, ...)
{
    static char body[32768], cmd[40000];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && (size_t)n < sizeof body, "a test command of %d bytes is too long", n);
    snprintf(cmd, sizeof cmd, "cd '%s' && { %s ; } 2>&1", dir, body);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    size_t got = fread(out, 1, size - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
