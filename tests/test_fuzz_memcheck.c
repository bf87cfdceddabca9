/* The driver-fuzzing runtime under Valgrind's memcheck (issue #19, item 3;
 * docs/fuzzing.md "Sanitizers"): with nothing rebuilt -- this program, the
 * planted driver (fuzz/planted.c) and libmdlkit are plain builds -- the
 * runtime sees memcheck at run time and marks pool redzones, freed pool and
 * the bytes of an MDL's pages outside [ByteOffset, ByteOffset + ByteCount)
 * no-access, so memcheck reports each planted bug at the faulting
 * instruction, in the planted routine:
 *   overrun of a 4-byte pool block      -> Invalid write in PlantedCopy
 *   write one byte before a 16-byte one -> Invalid write in PlantedPair
 *   read of a freed block               -> Invalid read in PlantedStash
 *   read past a 256-byte MDL mapping     -> Invalid read in PlantedView
 * and the fixed variant of each input (the bug bits off) runs clean.
 *
 * The cmocka tests run this same program under valgrind with `--one NAME`,
 * which feeds one input to the fuzzing runtime the way libFuzzer would.
 * Skipped (77) when valgrind is not installed. */
#include "testutil.h"

#include <sys/wait.h>

/* The planted driver and its fuzz target, compiled into this program. */
#include "../fuzz/planted.c"
#include "../fuzz/fuzz_planted.c"

typedef struct input {
    const char *name;
    const char *bug; /* MDLKIT_PLANTED */
    const unsigned char *bytes;
    size_t size;
    const char *kind;     /* memcheck's words */
    const char *function; /* the frame it names */
} input;

/* 'C' length payload: a 4-byte block, 32 bytes copied. */
static const unsigned char in_copy[] = {'C', 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
/* 'P' length payload: index 0 of a 1-based 16-byte pair. */
static const unsigned char in_pair[] = {'P', 0, 0, 0};
/* 'S' length payload: '!' frees the stash, then reads it. */
static const unsigned char in_stash[] = {'S', 0, 0, '!', 'a', 'b'};
/* 'V' length payload: 512 bytes summed from a 256-byte view. */
static const unsigned char in_view[] = {'V', 0, 2, 1, 2, 3, 4};

static const input inputs[] = {
    {"overrun", "overrun", in_copy, sizeof in_copy, "Invalid write", "PlantedCopy"},
    {"underrun", "underrun", in_pair, sizeof in_pair, "Invalid write", "PlantedPair"},
    {"uaf", "uaf", in_stash, sizeof in_stash, "Invalid read", "PlantedStash"},
    {"mdl", "mdl", in_view, sizeof in_view, "Invalid read", "PlantedView"},
};
#define N_INPUTS (sizeof inputs / sizeof inputs[0])

static char self[4096];

typedef struct vg_run {
    const input *in;
    int bug_on;
} vg_run;

/* In the child: `self --one name` under memcheck with the bug on or off. */
static void exec_valgrind(void *arg)
{
    const vg_run *r = arg;
    setenv("MDLKIT_PLANTED", r->bug_on ? r->in->bug : "none", 1);
    /* Pool Tracking only: special pool would catch the overruns itself. */
    setenv("MDLKIT_VERIFIER", "pool_tracking", 1);
    setenv("MDLKIT_REPORT", "", 1);
    execlp("valgrind", "valgrind", "--error-exitcode=42", "--track-origins=no", "--leak-check=no", self, "--one",
           r->in->name, (char *)NULL);
}

/* memcheck's output (and the exit status) for one input. */
static int run_valgrind(const input *in, int bug_on, char *out, size_t outlen)
{
    vg_run r = {in, bug_on};
    return mk_test_fork_capture(exec_valgrind, &r, 1, out, outlen);
}

static void check_one(const input *in)
{
    static char out[1 << 20];
    int st = run_valgrind(in, 1, out, sizeof out);
    const char *at = strstr(out, in->kind);
    if (!at || !strstr(at, in->function))
        fprintf(stderr, "%s: memcheck said:\n%s\n", in->name, out);
    assert_non_null(at);
    assert_non_null(strstr(at, in->function)); /* the frame under the report */
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 42);
    /* The same input with the bug off: no memcheck error at all. */
    st = run_valgrind(in, 0, out, sizeof out);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "%s (fixed): memcheck said:\n%s\n", in->name, out);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_overrun(void **state) { (void)state; check_one(&inputs[0]); }
static void test_underrun(void **state) { (void)state; check_one(&inputs[1]); }
static void test_use_after_free(void **state) { (void)state; check_one(&inputs[2]); }
static void test_mdl_over_read(void **state) { (void)state; check_one(&inputs[3]); }

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--one") == 0) {
        for (size_t i = 0; i < N_INPUTS; i++)
            if (strcmp(argv[2], inputs[i].name) == 0) {
                LLVMFuzzerInitialize(&argc, &argv);
                LLVMFuzzerTestOneInput(inputs[i].bytes, inputs[i].size);
                mdlkit_fuzz_stop();
                return 0;
            }
        return 2;
    }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    printf("a sanitizer build cannot run under valgrind: skipped\n");
    return 77;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
    printf("a sanitizer build cannot run under valgrind: skipped\n");
    return 77;
#endif
#endif
    if (system("valgrind --version >/dev/null 2>&1") != 0) {
        printf("valgrind is not installed: skipped\n");
        return 77;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overrun),
        cmocka_unit_test(test_underrun),
        cmocka_unit_test(test_use_after_free),
        cmocka_unit_test(test_mdl_over_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
