/* SPDX-License-Identifier: MIT */
/** @file atomic.c Whole-or-nothing outputs: temporary name beside the target, then rename(2). */

#include "atomic.h"

#include "core/context.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int counter;

gp_status gp_atomic_temp(gp_context *ctx, const char *path, char *tmp, size_t size)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path names a directory, not a file", path);
    }
    int n = snprintf(tmp, size, "%.*s.%s.tmp-%ld-%d", dirlen, path, base, (long)getpid(),
                     atomic_fetch_add(&counter, 1));
    if (n < 0 || (size_t)n >= size) {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path too long", path);
    }
    return GP_OK;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                    continue;
                }
                char child[4096];
                if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < (int)sizeof child) {
                    remove_tree(child);
                }
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void gp_atomic_abort(const char *tmp)
{
    remove_tree(tmp);
}

gp_status gp_atomic_commit(gp_context *ctx, const char *tmp, const char *path)
{
    struct stat st;
    int is_dir = stat(tmp, &st) == 0 && S_ISDIR(st.st_mode);
    if (!is_dir) {
        if (rename(tmp, path) != 0) {
            int e = errno;
            gp_atomic_abort(tmp);
            return gp_error(ctx, GP_ERR_IO, "%s: cannot move the finished output into place: %s",
                            path, strerror(e));
        }
        return GP_OK;
    }
    /* rename(2) cannot replace a non-empty directory: move the old one aside first. */
    char old[4096];
    int had_old = 0;
    if (stat(path, &st) == 0) {
        if (snprintf(old, sizeof old, "%s.old", tmp) >= (int)sizeof old || rename(path, old) != 0) {
            int e = errno;
            gp_atomic_abort(tmp);
            return gp_error(ctx, GP_ERR_IO, "%s: cannot replace the existing output: %s", path,
                            strerror(e));
        }
        had_old = 1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        if (had_old) {
            rename(old, path);
        }
        gp_atomic_abort(tmp);
        return gp_error(ctx, GP_ERR_IO, "%s: cannot move the finished output into place: %s", path,
                        strerror(e));
    }
    if (had_old) {
        remove_tree(old);
    }
    return GP_OK;
}
