/* SPDX-License-Identifier: MIT */
/** @file fs.c Paths on the real file system or on GDAL's virtual ones (/vsimem/, ...), alike. */

/* realpath; stat64, which GDAL's VSIStatBufL is on glibc */
#define _XOPEN_SOURCE 700
#define _LARGEFILE64_SOURCE

#include "fs.h"

#include <cpl_string.h>
#include <cpl_vsi.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gp_fs_is_virtual(const char *path)
{
    return path != NULL && strncmp(path, "/vsi", 4) == 0;
}

gp_fs_kind gp_fs_kind_of(const char *path)
{
    if (path == NULL || *path == '\0') {
        return GP_FS_NONE;
    }
    if (!gp_fs_is_virtual(path)) {
        struct stat st;
        if (stat(path, &st) != 0) {
            return GP_FS_NONE;
        }
        return S_ISDIR(st.st_mode) ? GP_FS_FOLDER : GP_FS_FILE;
    }
    VSIStatBufL st;
    if (VSIStatExL(path, &st, VSI_STAT_EXISTS_FLAG | VSI_STAT_NATURE_FLAG) == 0) {
        return VSI_ISDIR(st.st_mode) ? GP_FS_FOLDER : GP_FS_FILE;
    }
    /* A memory folder nobody made explicitly exists while files lie in it. */
    char **names = VSIReadDir(path);
    gp_fs_kind kind = names != NULL && names[0] != NULL ? GP_FS_FOLDER : GP_FS_NONE;
    CSLDestroy(names);
    return kind;
}

int gp_fs_folder_writable(const char *dir)
{
    if (!gp_fs_is_virtual(dir)) {
        return access(dir, W_OK) == 0;
    }
    char probe[4096];
    int n = snprintf(probe, sizeof probe, "%s/probe", dir);
    return n > 0 && (size_t)n < sizeof probe && VSISupportsSequentialWrite(probe, FALSE);
}

int gp_fs_same_file(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return 0;
    }
    if (gp_fs_is_virtual(a) || gp_fs_is_virtual(b)) {
        return strcmp(a, b) == 0 && gp_fs_kind_of(a) != GP_FS_NONE;
    }
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void gp_fs_canonical(const char *path, char *out, size_t size)
{
    char dir[4096], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n = slash == NULL
                ? snprintf(dir, sizeof dir, ".")
                : snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    if (!gp_fs_is_virtual(path) && n > 0 && (size_t)n < sizeof dir && realpath(dir, real) != NULL) {
        snprintf(out, size, "%s/%s", real, slash ? slash + 1 : path);
    } else {
        snprintf(out, size, "%s", path);
    }
}
