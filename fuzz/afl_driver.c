/*
 * afl_driver.c -- a main() for the DDI sequence targets, for AFL++ and for
 * replaying inputs without libFuzzer (replay_ddi_tracked takes the same
 * arguments):
 *
 *   replay_ddi_sequence FILE...     runs each file (a crash reproducer, a corpus)
 *   replay_ddi_sequence < FILE      runs stdin
 *   afl-fuzz -i corpus -o out -- replay_ddi_sequence @@   (built with afl-clang-fast)
 *
 * Under afl-clang-fast it uses AFL++'s persistent mode with shared-memory
 * test cases, so one process runs many inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1 << 20)

static size_t read_all(FILE *f, uint8_t *buf)
{
    size_t n = 0, r;
    while (n < MAX_INPUT && (r = fread(buf + n, 1, MAX_INPUT - n, f)) > 0)
        n += r;
    return n;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
    if (argc < 2 || getenv("__AFL_SHM_FUZZ_ID")) {
        __AFL_INIT();
        unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
        while (__AFL_LOOP(10000))
            LLVMFuzzerTestOneInput(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
        return 0;
    }
#endif
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    uint8_t *buf = malloc(MAX_INPUT);
    if (!buf)
        return 1;
    if (argc < 2) {
        size_t n = read_all(stdin, buf);
        LLVMFuzzerTestOneInput(buf, n);
    }
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            free(buf);
            return 1;
        }
        size_t n = read_all(f, buf);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        fprintf(stderr, "%s: %s: ok (%zu bytes)\n", prog, argv[i], n);
    }
    free(buf);
    return 0;
}
