/* SPDX-License-Identifier: MIT */
/**
 * @file replay.c Runs the fuzz target without libFuzzer: on every file named on the command
 * line (a corpus, or a crash to reproduce), then on a fixed number of deterministic
 * pseudo-random inputs. The target aborts on a broken contract, which fails the test.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t gp_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    int files = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        files++;
    }
    const char *env = getenv("GP_FUZZ_RUNS");
    long runs = env != NULL ? atol(env) : 3000;
    uint64_t s = 12345;
    for (long r = 0; r < runs; r++) {
        size_t len = (size_t)(gp_next(&s) % 400);
        for (size_t j = 0; j < len; j++) {
            buf[j] = (uint8_t)gp_next(&s);
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("replay: %d file(s) and %ld generated input(s) kept the optimizer's contract\n", files,
           runs);
    return 0;
}
