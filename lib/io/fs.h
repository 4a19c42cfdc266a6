/* SPDX-License-Identifier: MIT */
/** @file fs.h Paths on the real file system or on GDAL's virtual ones (/vsimem/, ...), alike. */

#ifndef GP_IO_FS_H
#define GP_IO_FS_H

#include <stddef.h>

/*
 * Outputs and inputs may be real files or GDAL virtual paths ("/vsimem/city.gpkg": a program
 * holding its data in memory never touches the disk). Real paths go through POSIX (stat,
 * access, realpath), so that the atomic writer can fsync them; virtual paths through GDAL's VSI
 * layer. In GDAL's memory file system a folder exists when it was made (VSIMkdir) or when a
 * file lies in it; "/vsimem" itself always exists.
 */

/** What a path names. */
typedef enum { GP_FS_NONE = 0, GP_FS_FILE = 1, GP_FS_FOLDER = 2 } gp_fs_kind;

/** 1 when `path` is a GDAL virtual path ("/vsimem/...", "/vsizip/...", ...), else 0. */
int gp_fs_is_virtual(const char *path);

/** What is at `path`: nothing, a file (anything not a folder) or a folder. */
gp_fs_kind gp_fs_kind_of(const char *path);

/** 1 when files can be made in the folder `dir`: a real one writable by us (access W_OK), or a
 * virtual one on a file system GDAL can write sequentially. */
int gp_fs_folder_writable(const char *dir);

/** 1 when both paths exist and are the same file (same inode; for virtual paths the same
 * name). */
int gp_fs_same_file(const char *a, const char *b);

/** The canonical name of a (possibly not yet existing) file, its folder resolved, into out
 * (virtual paths are their own canonical name). */
void gp_fs_canonical(const char *path, char *out, size_t size);

#endif /* GP_IO_FS_H */
