/* SPDX-License-Identifier: MIT */
/**
 * @file replay.c Runs a fuzz target without libFuzzer: on every file and directory named on the
 * command line (a corpus, regressions, or a crash to reproduce), then on a fixed number of
 * deterministic pseudo-random inputs. The target aborts on a broken contract, which fails the
 * test; the input that failed is written to a file whose path is printed.
 *
 * usage: replay [FILE | DIR | --regressions DIR]...
 *   FILE               run the target on it.
 *   DIR                run it on every file in DIR, in name order (names starting with '.' or
 *                      "README" skipped); DIR must exist and hold at least one input.
 *   --regressions DIR  the same, but DIR may hold no input (a target without regressions yet).
 * Environment:
 *   GP_FUZZ_RUNS       generated inputs after the files (default 3000): mutations of the files
 *                      read when there are any, else random bytes.
 *   GP_FUZZ_MODE       "random" for random bytes even when files were read (the optimizer's
 *                      target, whose every byte string is a well-formed input).
 *   GP_FUZZ_WRITE      a directory: write the generated inputs there (gen-NNNNN) instead of
 *                      running them, to fuzz, minimise or replay one of them alone.
 *   GP_FUZZ_MAX_SECONDS  fail (writing the input) when one input runs longer than this.
 *   GP_FUZZ_VERBOSE    print each input's time (and the target may print its outcome).
 *   GP_FUZZ_DUMP       where to write the input that failed (default ./fuzz-replay-failed.bin).
 */

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define GP_REPLAY_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GP_REPLAY_SANITIZED 1
#endif
#ifdef GP_REPLAY_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as under libFuzzer: a target that defines it is initialised before the first input. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An input read from a file. */
typedef struct {
    char *name;
    uint8_t *data;
    size_t size;
} gp_input;

typedef struct {
    gp_input *items;
    size_t n;
    size_t cap;
} gp_inputs_read;

/* The input being run, for the failure dump: set before each run, read by a signal handler. */
static volatile sig_atomic_t running;
static const uint8_t *volatile cur_data;
static volatile size_t cur_size;
static char cur_name[512];
static char dump_path[1024];

static uint64_t gp_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void gp_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w <= 0) {
            return;
        }
        c += w;
        n -= (size_t)w;
    }
}

/* Async-signal-safe: write the current input to dump_path and say which one it was. */
static void gp_dump(void)
{
    if (!running) {
        return;
    }
    int fd = open(dump_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        gp_write_all(fd, (const void *)cur_data, cur_size);
        close(fd);
    }
    static const char a[] = "\nreplay: the target failed on ";
    static const char b[] = "; the input is in ";
    gp_write_all(2, a, sizeof a - 1);
    gp_write_all(2, cur_name, strlen(cur_name));
    gp_write_all(2, b, sizeof b - 1);
    gp_write_all(2, dump_path, strlen(dump_path));
    gp_write_all(2, "\n", 1);
}

static void gp_on_signal(int sig)
{
    gp_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* An input over GP_FUZZ_MAX_SECONDS: say so, then fail as on an abort (which dumps it). */
static void gp_on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "\nreplay: an input ran longer than GP_FUZZ_MAX_SECONDS\n";
    gp_write_all(2, m, sizeof m - 1);
    raise(SIGABRT);
}

static double gp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int verbose;
static unsigned max_seconds;
static double slowest;
static char slowest_name[512];

static void gp_run_one(const char *name, const uint8_t *data, size_t size)
{
    snprintf(cur_name, sizeof cur_name, "%s", name);
    cur_data = data;
    cur_size = size;
    running = 1;
    alarm(max_seconds);
    double t0 = gp_now();
    LLVMFuzzerTestOneInput(data, size);
    double t = gp_now() - t0;
    alarm(0);
    running = 0;
    if (verbose) {
        fprintf(stderr, "replay: %.3f s %s\n", t, name);
    }
    if (t > slowest) {
        slowest = t;
        snprintf(slowest_name, sizeof slowest_name, "%s", name);
    }
}

static int gp_read_file(const char *path, gp_inputs_read *all)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 0;
    }
    size_t cap = 4096;
    size_t n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fprintf(stderr, "replay: out of memory reading %s\n", path);
            fclose(f);
            return 0;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *more = realloc(buf, cap);
        if (more == NULL) {
            free(buf);
        }
        buf = more;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        return 0;
    }
    if (all->n == all->cap) {
        all->cap = all->cap ? 2 * all->cap : 16;
        gp_input *more = realloc(all->items, all->cap * sizeof *more);
        if (more == NULL) {
            fprintf(stderr, "replay: out of memory\n");
            free(buf);
            return 0;
        }
        all->items = more;
    }
    size_t len = strlen(path) + 1;
    char *name = malloc(len);
    if (name == NULL) {
        fprintf(stderr, "replay: out of memory\n");
        free(buf);
        return 0;
    }
    memcpy(name, path, len);
    all->items[all->n++] = (gp_input){name, buf, n};
    return 1;
}

static int gp_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every input of a directory in name order; returns how many, or -1 on error. */
static long gp_read_dir(const char *dir, gp_inputs_read *all)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: directory %s is missing or unreadable\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **more = realloc(names, cap * sizeof *more);
            if (more == NULL) {
                break;
            }
            names = more;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            break;
        }
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof *names, gp_by_name);
    }
    long got = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (got >= 0 && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            got = gp_read_file(names[i], all) ? got + 1 : -1;
        }
        free(names[i]);
    }
    free(names);
    return got;
}

/* One to four edits of a copy of a read input: a byte replaced (by a random one, a digit or a
 * punctuation mark of the text formats), a range deleted or repeated, a byte inserted. */
static size_t gp_mutate(uint64_t *s, const gp_input *from, uint8_t *out, size_t cap)
{
    static const char PUNCT[] = "0123456789-.,:;[]{}()\"<>/ eE";
    size_t n = from->size < cap ? from->size : cap;
    memcpy(out, from->data, n);
    int edits = 1 + (int)(gp_next(s) % 4);
    for (int k = 0; k < edits; k++) {
        size_t at = n > 0 ? (size_t)(gp_next(s) % n) : 0;
        size_t span = 1 + (size_t)(gp_next(s) % 16);
        switch (gp_next(s) % 5) {
        case 0:
            if (n > 0) {
                out[at] = (uint8_t)gp_next(s);
            }
            break;
        case 1:
            if (n > 0) {
                out[at] = (uint8_t)PUNCT[gp_next(s) % (sizeof PUNCT - 1)];
            }
            break;
        case 2:
            span = span < n - at ? span : n - at;
            memmove(out + at, out + at + span, n - at - span);
            n -= span;
            break;
        case 3:
            span = span < n - at ? span : n - at;
            if (n + span <= cap) {
                memmove(out + at + span, out + at, n - at);
                n += span;
            }
            break;
        default:
            if (n < cap) {
                memmove(out + at + 1, out + at, n - at);
                out[at] = (uint8_t)PUNCT[gp_next(s) % (sizeof PUNCT - 1)];
                n++;
            }
            break;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *dump = getenv("GP_FUZZ_DUMP");
    if (dump == NULL || dump[0] == '\0') {
        char cwd[512];
        snprintf(dump_path, sizeof dump_path, "%s/fuzz-replay-failed.bin",
                 getcwd(cwd, sizeof cwd) != NULL ? cwd : ".");
    } else {
        snprintf(dump_path, sizeof dump_path, "%s", dump);
    }
    signal(SIGABRT, gp_on_signal);
    signal(SIGSEGV, gp_on_signal);
    signal(SIGBUS, gp_on_signal);
    signal(SIGFPE, gp_on_signal);
    signal(SIGILL, gp_on_signal);
#ifdef GP_REPLAY_SANITIZED
    __sanitizer_set_death_callback(gp_dump);
#endif

    verbose = getenv("GP_FUZZ_VERBOSE") != NULL;
    const char *max_env = getenv("GP_FUZZ_MAX_SECONDS");
    max_seconds = max_env != NULL ? (unsigned)strtoul(max_env, NULL, 10) : 0;
    signal(SIGALRM, gp_on_alarm);
    gp_inputs_read all = {NULL, 0, 0};
    for (int i = 1; i < argc; i++) {
        int optional = strcmp(argv[i], "--regressions") == 0;
        if (optional && ++i == argc) {
            fprintf(stderr, "replay: --regressions needs a directory\n");
            return 1;
        }
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s is missing: FAIL (a corpus or regressions directory must "
                    "exist)\n", argv[i]);
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) {
            long got = gp_read_dir(argv[i], &all);
            if (got < 0) {
                return 1;
            }
            if (got == 0 && !optional) {
                fprintf(stderr, "replay: corpus directory %s holds no input: FAIL\n", argv[i]);
                return 1;
            }
        } else if (!gp_read_file(argv[i], &all)) {
            return 1;
        }
    }
    if (LLVMFuzzerInitialize != NULL) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    for (size_t i = 0; i < all.n; i++) {
        gp_run_one(all.items[i].name, all.items[i].data, all.items[i].size);
    }

    const char *env = getenv("GP_FUZZ_RUNS");
    long runs = env != NULL ? atol(env) : 3000;
    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        fprintf(stderr, "replay: out of memory\n");
        return 1;
    }
    const char *mode = getenv("GP_FUZZ_MODE");
    const char *write_dir = getenv("GP_FUZZ_WRITE");
    int mutate = all.n > 0 && !(mode != NULL && strcmp(mode, "random") == 0);
    uint64_t s = 12345;
    for (long r = 0; r < runs; r++) {
        size_t len;
        char name[600];
        if (mutate) {
            const gp_input *from = &all.items[gp_next(&s) % all.n];
            len = gp_mutate(&s, from, buf, cap);
            snprintf(name, sizeof name, "generated input %ld (a mutation of %s)", r, from->name);
        } else {
            len = (size_t)(gp_next(&s) % 400);
            for (size_t j = 0; j < len; j++) {
                buf[j] = (uint8_t)gp_next(&s);
            }
            snprintf(name, sizeof name, "generated input %ld (random bytes)", r);
        }
        if (write_dir != NULL) {
            char path[1200];
            snprintf(path, sizeof path, "%s/gen-%05ld", write_dir, r);
            FILE *f = fopen(path, "wb");
            if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "replay: cannot write %s\n", path);
                return 1;
            }
            continue;
        }
        gp_run_one(name, buf, len);
    }
    if (write_dir != NULL) {
        printf("replay: wrote %ld generated input(s) into %s\n", runs > 0 ? runs : 0, write_dir);
        return 0;
    }
    printf("replay: %zu file(s) and %ld generated input(s) kept the target's contract; slowest "
           "%.3f s (%s)\n",
           all.n, runs > 0 ? runs : 0, slowest, slowest_name[0] ? slowest_name : "none");
    for (size_t i = 0; i < all.n; i++) {
        free(all.items[i].name);
        free(all.items[i].data);
    }
    free(all.items);
    free(buf);
    return 0;
}
