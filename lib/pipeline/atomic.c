/* SPDX-License-Identifier: MIT */
/**
 * @file atomic.c Whole-or-nothing outputs: every file written in full under a temporary name
 * beside its target (writes, fsync and close checked), then renamed into place by one commit.
 *
 * Real files go through POSIX (open, write, fsync, rename, then an fsync of the folder, so a
 * finished output survives a power cut); GDAL virtual paths ("/vsimem/...") through GDAL's VSI
 * layer (VSIFOpenL, VSIFWriteL, VSIFFlushL, VSIFCloseL, VSIRename), which has no fsync: what
 * durability a virtual file system offers is its own.
 */

#include "atomic.h"

#include "core/context.h"
#include "core/memory.h"
#include "io/fs.h"

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <cpl_vsi_error.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The marker of our temporaries: ".NAME" TMP_MARK "PID-N". */
#define TMP_MARK ".gridpart-tmp-"

static atomic_int counter;

typedef struct {
    char *tmp;  /* written, not yet in place */
    char *path; /* where it goes */
} staged;

struct gp_stage {
    staged *files;
    int32_t n_files, cap_files;
    char **remove; /* old files to delete after the commit */
    int32_t n_remove;
    char **folders; /* folders made by this stage, removed again on abort when empty */
    int32_t n_folders;
    int committed;
};

int gp_path_folder(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    int n = slash == NULL ? snprintf(out, size, ".")
                          : snprintf(out, size, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    return n > 0 && (size_t)n < size;
}

/* Remove a file, real or virtual (best effort: it is a temporary or a replaced file). */
static void remove_file(const char *path)
{
    if (gp_fs_is_virtual(path)) {
        VSIUnlink(path);
    } else {
        unlink(path);
    }
}

/* Why GDAL's virtual file system failed, for a message. */
static const char *vsi_reason(void)
{
    const char *m = VSIGetLastErrorMsg();
    if (m != NULL && *m != '\0') {
        return m;
    }
    m = CPLGetLastErrorMsg();
    return m != NULL && *m != '\0' ? m : "GDAL's virtual file system refused";
}

gp_status gp_stage_new(gp_context *ctx, gp_stage **out)
{
    *out = gp_calloc(1, sizeof **out);
    return *out ? GP_OK : gp_error_nomem(ctx, "an output stage");
}

void gp_stage_free(gp_stage *s)
{
    if (s == NULL) {
        return;
    }
    for (int32_t i = 0; i < s->n_files; i++) {
        if (!s->committed && s->files[i].tmp != NULL) {
            remove_file(s->files[i].tmp);
        }
        gp_free(s->files[i].tmp);
        gp_free(s->files[i].path);
    }
    for (int32_t i = s->n_folders - 1; i >= 0; i--) {
        if (!s->committed) {
            /* Only when empty: never anything the stage did not write. */
            if (gp_fs_is_virtual(s->folders[i])) {
                VSIRmdir(s->folders[i]);
            } else {
                rmdir(s->folders[i]);
            }
        }
        gp_free(s->folders[i]);
    }
    for (int32_t i = 0; i < s->n_remove; i++) {
        gp_free(s->remove[i]);
    }
    gp_free(s->files);
    gp_free(s->folders);
    gp_free(s->remove);
    gp_free(s);
}

static gp_status push_string(gp_context *ctx, char ***list, int32_t *n, const char *value)
{
    char *copy = gp_strdup(value);
    char **grown = copy ? gp_reallocarray(*list, (size_t)*n + 1, sizeof **list) : NULL;
    if (grown == NULL) {
        gp_free(copy);
        return gp_error_nomem(ctx, "an output path");
    }
    *list = grown;
    grown[(*n)++] = copy;
    return GP_OK;
}

gp_status gp_stage_make_folder(gp_context *ctx, gp_stage *s, const char *path)
{
    gp_fs_kind kind = gp_fs_kind_of(path);
    if (kind != GP_FS_NONE) {
        return kind == GP_FS_FOLDER
                   ? GP_OK
                   : gp_error(ctx, GP_ERR_IO, "%s: exists and is not a folder", path);
    }
    if (gp_fs_is_virtual(path)) {
        VSIErrorReset();
        CPLErrorReset();
        if (VSIMkdir(path, 0777) != 0) {
            return gp_error(ctx, GP_ERR_IO, "%s: cannot make the output folder: %s", path,
                            vsi_reason());
        }
    } else if (mkdir(path, 0777) != 0) {
        return gp_error(ctx, GP_ERR_IO, "%s: cannot make the output folder: %s", path,
                        strerror(errno));
    }
    return push_string(ctx, &s->folders, &s->n_folders, path);
}

gp_status gp_stage_remove_after(gp_context *ctx, gp_stage *s, const char *path)
{
    return push_string(ctx, &s->remove, &s->n_remove, path);
}

/* Write all of data to fd, retrying short writes; 0 or an errno. */
static int write_all(int fd, const unsigned char *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        data += w;
        size -= (size_t)w;
    }
    return 0;
}

/* Write the stage's newest file (its tmp and path set) to a real file: created exclusively,
 * every write, the fsync and the close checked. */
static gp_status write_real(gp_context *ctx, gp_stage *s, const void *data, size_t size)
{
    staged *f = &s->files[s->n_files];
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        gp_status st =
            gp_error(ctx, GP_ERR_IO, "%s: cannot write beside it: %s", f->path, strerror(e));
        gp_free(f->tmp);
        gp_free(f->path);
        return st;
    }
    s->n_files++; /* from here on the stage removes tmp unless committed */
    int e = write_all(fd, data, size);
    if (e == 0 && fsync(fd) != 0) {
        e = errno;
    }
    if (close(fd) != 0 && e == 0) {
        e = errno;
    }
    if (e != 0) {
        return gp_error(ctx, GP_ERR_IO, "%s: writing %zu bytes failed: %s", f->path, size,
                        strerror(e));
    }
    return GP_OK;
}

/* The same through GDAL's virtual file system: the temporary must not exist yet (VSI has no
 * O_EXCL; the name holds our process id and a counter), every write, the flush and the close
 * checked. */
static gp_status write_virtual(gp_context *ctx, gp_stage *s, const void *data, size_t size)
{
    staged *f = &s->files[s->n_files];
    VSIErrorReset();
    CPLErrorReset();
    VSILFILE *fp = gp_fs_kind_of(f->tmp) == GP_FS_NONE ? VSIFOpenL(f->tmp, "wb") : NULL;
    if (fp == NULL) {
        gp_status st =
            gp_error(ctx, GP_ERR_IO, "%s: cannot write beside it: %s", f->path, vsi_reason());
        gp_free(f->tmp);
        gp_free(f->path);
        return st;
    }
    s->n_files++; /* from here on the stage removes tmp unless committed */
    int ok = size == 0 || VSIFWriteL(data, 1, size, fp) == size;
    ok = VSIFFlushL(fp) == 0 && ok;
    ok = VSIFCloseL(fp) == 0 && ok;
    if (!ok) {
        return gp_error(ctx, GP_ERR_IO, "%s: writing %zu bytes failed: %s", f->path, size,
                        vsi_reason());
    }
    return GP_OK;
}

gp_status gp_stage_file(gp_context *ctx, gp_stage *s, const char *path, const void *data,
                        size_t size)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path names a folder, not a file", path);
    }
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%.*s.%s" TMP_MARK "%ld-%d", dirlen, path, base,
                     (long)getpid(), atomic_fetch_add(&counter, 1));
    if (n < 0 || (size_t)n >= sizeof tmp) {
        return gp_error(ctx, GP_ERR_ARG, "%s: output path too long", path);
    }
    if (s->n_files == s->cap_files) {
        int32_t cap = s->cap_files ? 2 * s->cap_files : 8;
        staged *grown = gp_reallocarray(s->files, (size_t)cap, sizeof *grown);
        if (grown == NULL) {
            return gp_error_nomem(ctx, "an output stage");
        }
        s->files = grown;
        s->cap_files = cap;
    }
    staged *f = &s->files[s->n_files];
    f->tmp = gp_strdup(tmp);
    f->path = gp_strdup(path);
    if (f->tmp == NULL || f->path == NULL) {
        gp_free(f->tmp);
        gp_free(f->path);
        return gp_error_nomem(ctx, "an output path");
    }
    return gp_fs_is_virtual(path) ? write_virtual(ctx, s, data, size)
                                  : write_real(ctx, s, data, size);
}

/* Make the renames in a folder durable (best effort: some file systems refuse). */
static void sync_folder(const char *path)
{
    char dir[4096];
    if (gp_fs_is_virtual(path) || !gp_path_folder(path, dir, sizeof dir)) {
        return;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Is `path` the file that staged file i replaces (same inode)? Then the new file takes its
 * place and it must not be removed after the commit. */
static int replaced_by_staged(const gp_stage *s, const char *path)
{
    for (int32_t i = 0; i < s->n_files; i++) {
        if (gp_fs_same_file(path, s->files[i].path)) {
            return 1;
        }
    }
    return 0;
}

/* Move a finished temporary into place; NULL on success, else the reason. */
static const char *move_into_place(const char *tmp, const char *path)
{
    if (gp_fs_is_virtual(path)) {
        VSIErrorReset();
        CPLErrorReset();
        return VSIRename(tmp, path) == 0 ? NULL : vsi_reason();
    }
    return rename(tmp, path) == 0 ? NULL : strerror(errno);
}

gp_status gp_stage_commit(gp_context *ctx, gp_stage *s)
{
    for (int32_t i = 0; i < s->n_remove; i++) {
        if (replaced_by_staged(s, s->remove[i])) {
            gp_free(s->remove[i]);
            s->remove[i] = NULL;
        }
    }
    for (int32_t i = 0; i < s->n_files; i++) {
        const char *why = move_into_place(s->files[i].tmp, s->files[i].path);
        if (why != NULL) {
            gp_status st = gp_error(ctx, GP_ERR_IO,
                                    "%s: cannot move the finished output into place: %s (%d of "
                                    "%d output files were already replaced)",
                                    s->files[i].path, why, (int)i, (int)s->n_files);
            /* Earlier files are in place already; the rest stay as they were. */
            for (int32_t j = i; j < s->n_files; j++) {
                remove_file(s->files[j].tmp);
            }
            s->committed = 1;
            return st;
        }
        gp_free(s->files[i].tmp);
        s->files[i].tmp = NULL;
    }
    s->committed = 1;
    for (int32_t i = 0; i < s->n_remove; i++) {
        if (s->remove[i] != NULL) {
            remove_file(s->remove[i]);
        }
    }
    for (int32_t i = 0; i < s->n_files; i++) {
        sync_folder(s->files[i].path);
    }
    return GP_OK;
}

/* The owner's process id of a temporary of our naming, or -1 when `name` is not one. */
static long temp_owner(const char *name)
{
    if (name[0] != '.') {
        return -1;
    }
    const char *mark = strstr(name, TMP_MARK);
    if (mark == NULL) {
        return -1;
    }
    /* The last marker counts: NAME itself may contain the text. */
    for (const char *m = mark; (m = strstr(m + 1, TMP_MARK)) != NULL;) {
        mark = m;
    }
    char *end = NULL;
    long pid = strtol(mark + strlen(TMP_MARK), &end, 10);
    if (end == mark + strlen(TMP_MARK) || *end != '-' || pid <= 0) {
        return -1;
    }
    const char *p = end + 1;
    if (*p < '0' || *p > '9') {
        return -1;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    /* A suffix such as SQLite's "-journal" left beside a temporary belongs to it too. */
    return *p == '\0' || *p == '-' ? pid : -1;
}

void gp_stage_clean_stale(const char *folder)
{
    if (gp_fs_is_virtual(folder)) {
        /* A memory file system dies with its process, temporaries included; another virtual
         * one (a bucket) may be shared by machines whose process ids mean nothing here. */
        return;
    }
    DIR *d = opendir(folder);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_owner(e->d_name);
        if (pid < 0 || pid == (long)getpid()) {
            continue;
        }
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
            continue; /* alive (or not ours to judge) */
        }
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", folder, e->d_name) < (int)sizeof path) {
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                unlink(path);
            }
        }
    }
    closedir(d);
}
