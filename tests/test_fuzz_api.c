/*
 * test_fuzz_api.c -- the driver-fuzzing runtime (include/mdlkit_fuzz.h,
 * src/rt/fuzz.c): the data provider, the per-input restore of registered
 * driver state, the end-of-input leak check (a bug check with Pool
 * Tracking, a rebuilt machine without), input-chosen faults (the call
 * failed, setup never failed, a leak only a fault reaches), and a bug check
 * inside an input as a crash with a one-line signature that replays the
 * same from the same input (in forked children).
 */
#include "testutil.h"

#include <sys/wait.h>

#define TF_TAG 'zzuF'
#define TF_TAG2 '2zuF'

/* ---- a small driver ---- */
static ULONG tf_entries;   /* DriverEntry calls */
static ULONG tf_global;    /* driver state an input changes */
static ULONG tf_seen;      /* what the last input saw in tf_global (not restored) */
static ULONG tf_ext_seen;
static int tf_null_allocs; /* allocations that failed in the last input */

typedef struct tf_ext {
    ULONG counter;
    UCHAR bytes[60];
} tf_ext;

static void tf_unload(PDRIVER_OBJECT drv)
{
    while (drv->DeviceObject)
        IoDeleteDevice(drv->DeviceObject);
}

static NTSTATUS tf_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    tf_entries++;
    tf_global = 7;
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, sizeof(tf_ext), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    ((tf_ext *)dev->DeviceExtension)->counter = 100;
    drv->DriverUnload = tf_unload;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT tf_drv;

static int tf_setup(PDRIVER_OBJECT drv, void **ctx)
{
    tf_drv = drv;
    *ctx = drv;
    /* setup allocations are never failed on purpose */
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TF_TAG2);
    if (!p)
        return -1;
    ExFreePoolWithTag(p, TF_TAG2);
    if (mdlkit_fuzz_snapshot(&tf_global, sizeof tf_global) != 0)
        return -1;
    return mdlkit_fuzz_snapshot_devices(drv) == 1 ? 0 : -1;
}

/* Input ops (one byte each):
 *   'g' bump the driver's global and extension counter
 *   'a' allocate and free          'l' allocate and keep (a leak)
 *   'f' two allocations; when the second fails the first leaks (the planted
 *       error-path bug)            'd' free a block twice (a crash)
 *   'u' allocate a user buffer and keep it
 */
static void tf_input(void *ctx, mdlkit_fuzz_data *in)
{
    PDRIVER_OBJECT drv = ctx;
    tf_ext *ext = drv->DeviceObject->DeviceExtension;
    tf_null_allocs = 0;
    while (mdlkit_fuzz_remaining(in)) {
        switch (mdlkit_fuzz_u8(in)) {
        case 'g':
            tf_seen = tf_global;
            tf_ext_seen = ext->counter;
            tf_global++;
            ext->counter++;
            break;
        case 'a': {
            void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 48, TF_TAG);
            if (p)
                ExFreePoolWithTag(p, TF_TAG);
            else
                tf_null_allocs++;
            break;
        }
        case 'l':
            (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TF_TAG);
            break;
        case 'f': {
            void *a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, TF_TAG);
            void *b = ExAllocatePool2(POOL_FLAG_PAGED, 24, TF_TAG2);
            if (!a || !b) {
                tf_null_allocs++;
                if (b)
                    ExFreePoolWithTag(b, TF_TAG2);
                break; /* BUG: a leaks when only b failed */
            }
            ExFreePoolWithTag(b, TF_TAG2);
            ExFreePoolWithTag(a, TF_TAG);
            break;
        }
        case 'd': {
            void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TF_TAG);
            ExFreePoolWithTag(p, TF_TAG);
            ExFreePoolWithTag(p, TF_TAG); /* BUG: double free */
            break;
        }
        case 'u':
            (void)mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
            break;
        default:
            break;
        }
    }
}

static mdlkit_fuzz_target tf_target = {
    .driver_name = "fuzzapi",
    .driver_entry = tf_entry,
    .setup = tf_setup,
    .input = tf_input,
};

static void tf_start(ULONG flags, ULONG options)
{
    unsetenv("MDLKIT_VERIFIER");
    unsetenv("MDLKIT_FUZZ_FAULTS");
    tf_entries = 0;
    tf_target.verifier_flags = flags;
    tf_target.options = options;
    assert_int_equal(mdlkit_fuzz_start(&tf_target), 0);
    assert_int_equal(tf_entries, 1);
}

static void tf_run(const char *ops) { assert_int_equal(mdlkit_fuzz_one(ops, strlen(ops)), 0); }

/* ---- the data provider ---- */
static void test_data_provider(void **state)
{
    (void)state;
    static const UCHAR in[] = {0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x07, 0xFF, 0x05, 'a', 'b', 'c'};
    mdlkit_fuzz_data d;
    mdlkit_fuzz_data_init(&d, in, sizeof in);
    assert_int_equal(mdlkit_fuzz_remaining(&d), sizeof in);
    assert_int_equal(mdlkit_fuzz_u8(&d), 0x01);
    assert_int_equal(mdlkit_fuzz_u16(&d), 0x1234);
    assert_int_equal(mdlkit_fuzz_u32(&d), 0x12345678u);
    assert_int_equal(mdlkit_fuzz_range(&d, 10, 12), 10 + 7 % 3); /* one byte for a span of 3 */
    assert_int_equal(mdlkit_fuzz_bool(&d), 1);                     /* 0xFF & 1 */
    static const ULONG vals[] = {11, 22, 33};
    assert_int_equal(mdlkit_fuzz_pick(&d, vals, 3), 33);          /* 5 % 3 = 2 */
    size_t got = 0;
    const UCHAR *p = mdlkit_fuzz_take(&d, 2, &got);
    assert_int_equal(got, 2);
    assert_memory_equal(p, "ab", 2);
    UCHAR buf[4];
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(mdlkit_fuzz_bytes(&d, buf, sizeof buf), 1); /* only 'c' was left */
    assert_int_equal(buf[0], 'c');
    assert_int_equal(buf[1], 0);
    assert_int_equal(buf[3], 0);
    /* Exhausted: zeros, the low end of ranges, the first choice. */
    assert_int_equal(mdlkit_fuzz_remaining(&d), 0);
    assert_int_equal(mdlkit_fuzz_u64(&d), 0);
    assert_int_equal(mdlkit_fuzz_range(&d, 5, 9), 5);
    assert_int_equal(mdlkit_fuzz_choose(&d, 4), 0);
    assert_null(mdlkit_fuzz_take(&d, 3, &got));
    assert_int_equal(got, 0);
    /* Degenerate ranges take no input. */
    mdlkit_fuzz_data_init(&d, in, sizeof in);
    assert_int_equal(mdlkit_fuzz_range(&d, 9, 9), 9);
    assert_int_equal(mdlkit_fuzz_choose(&d, 1), 0);
    assert_int_equal(mdlkit_fuzz_pick(&d, NULL, 0), 0);
    assert_int_equal(mdlkit_fuzz_remaining(&d), sizeof in);
    assert_int_equal(mdlkit_fuzz_range(&d, 0, 0xFFFF), 0x3401); /* two bytes, little-endian */
    const void *rest = mdlkit_fuzz_rest(&d, &got);
    assert_int_equal(got, sizeof in - 2);
    assert_ptr_equal(rest, in + 2);
}

/* ---- start errors ---- */
static void test_start_errors(void **state)
{
    (void)state;
    mdlkit_fuzz_target t = tf_target;
    t.driver_entry = NULL;
    assert_int_equal(mdlkit_fuzz_start(&t), -1);
    assert_int_equal(mdlkit_fuzz_start(NULL), -1);
    assert_false(mdlkit_is_initialized());
    tf_start(0, 0);
    assert_int_equal(mdlkit_fuzz_start(&tf_target), -1); /* already running */
    mdlkit_fuzz_stop();
    assert_false(mdlkit_is_initialized());
    /* The machine must not be running already: the runtime starts its own. */
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    assert_int_equal(mdlkit_fuzz_start(&tf_target), -1);
    mdlkit_shutdown();
}

/* ---- the snapshot ---- */
static void test_snapshot_restored_before_each_input(void **state)
{
    (void)state;
    tf_start(0, 0);
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.snapshot_bytes, sizeof(ULONG) + sizeof(tf_ext));
    for (int i = 0; i < 3; i++) {
        tf_run("gg");
        /* the second 'g' saw the first one's change, every input starts over */
        assert_int_equal(tf_seen, 8);
        assert_int_equal(tf_ext_seen, 101);
        assert_int_equal(tf_global, 9);
    }
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.inputs, 3);
    assert_int_equal(st.rebuilds, 0);
    assert_int_equal(tf_entries, 1); /* restored, never rebuilt */
    /* Registration errors. */
    assert_int_equal(mdlkit_fuzz_snapshot(NULL, 4), -1);
    assert_int_equal(mdlkit_fuzz_snapshot(&tf_global, 0), -1);
    int local;
    assert_int_equal(mdlkit_fuzz_snapshot_pool(&local), -1); /* not pool */
    mdlkit_fuzz_stop();
}

static UCHAR *tf_blk;
static int tf_setup_blk(PDRIVER_OBJECT drv, void **ctx)
{
    if (tf_setup(drv, ctx) != 0)
        return -1;
    tf_blk = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, TF_TAG2);
    if (!tf_blk)
        return -1;
    memset(tf_blk, 0x11, 100);
    return mdlkit_fuzz_snapshot_pool(tf_blk + 50); /* any address inside the block */
}
static void tf_teardown_blk(PDRIVER_OBJECT drv, void *ctx)
{
    (void)drv;
    (void)ctx;
    ExFreePoolWithTag(tf_blk, TF_TAG2);
}

static void test_snapshot_pool_block(void **state)
{
    (void)state;
    mdlkit_fuzz_target t = tf_target;
    t.setup = tf_setup_blk;
    t.teardown = tf_teardown_blk;
    t.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING; /* teardown's free must leave nothing */
    assert_int_equal(mdlkit_fuzz_start(&t), 0);
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.snapshot_bytes, sizeof(ULONG) + sizeof(tf_ext) + 100);
    memset(tf_blk, 0x22, 100);
    tf_run("");
    for (int i = 0; i < 100; i++)
        assert_int_equal(tf_blk[i], 0x11);
    mdlkit_fuzz_stop();
    assert_false(mdlkit_is_initialized());
}

/* ---- the leak check ---- */
typedef struct tf_one {
    const char *ops;
} tf_one;
static void tf_one_fn(void *arg) { tf_run(((tf_one *)arg)->ops); }
static void tf_stop_fn(void *arg)
{
    (void)arg;
    mdlkit_fuzz_stop();
}
/* Stops after a caught leak: the unload and shutdown leak checks may find
 * it again. */
static void tf_stop_after_leak(void)
{
    mdlkit_bugcheck bc;
    mdlkit_catch_bugcheck(tf_stop_fn, NULL, &bc);
    if (mdlkit_is_initialized())
        mdlkit_shutdown();
}

static void test_leak_is_0x62_with_pool_tracking(void **state)
{
    (void)state;
    tf_start(MDLKIT_VERIFY_POOL_TRACKING, 0);
    tf_run("aaa");
    mdlkit_bugcheck bc;
    tf_one one = {"al"};
    assert_int_equal(mdlkit_catch_bugcheck(tf_one_fn, &one, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "fuzzapi");
    assert_int_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], 1); /* one allocation not freed */
    tf_stop_after_leak();
    /* Three allocations, and a user buffer left behind (frames, address
     * space: one more) in another run. */
    tf_start(MDLKIT_VERIFY_POOL_TRACKING, 0);
    one.ops = "lll";
    assert_int_equal(mdlkit_catch_bugcheck(tf_one_fn, &one, &bc), 1);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 3);
    tf_stop_after_leak();
    tf_start(MDLKIT_VERIFY_POOL_TRACKING, 0);
    one.ops = "u";
    assert_int_equal(mdlkit_catch_bugcheck(tf_one_fn, &one, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 1);
    tf_stop_after_leak();
}

static void test_leak_rebuilds_without_pool_tracking(void **state)
{
    (void)state;
    tf_start(0, 0);
    tf_run("l");
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.rebuilds, 1);
    assert_int_equal(tf_entries, 2); /* the driver was loaded again */
    mdlkit_pool_tag_usage u;
    assert_true(!mdlkit_pool_usage_tag(TF_TAG, &u) || u.nonpaged_outstanding == 0);
    tf_run("gg");
    assert_int_equal(tf_seen, 8);
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.rebuilds, 1);
    assert_int_equal(st.inputs, 2);
    mdlkit_fuzz_stop();
}

/* ---- faults chosen by the input ---- */
static void test_faults_from_input(void **state)
{
    (void)state;
    tf_start(0, MDLKIT_FUZZ_FAULTS); /* setup allocated: never failed */
    tf_run("\x00" "aaa");
    assert_int_equal(tf_null_allocs, 0);
    tf_run("\x02" "aaa");
    assert_int_equal(tf_null_allocs, 1); /* exactly the second call */
    tf_run("\x09" "aaa");
    assert_int_equal(tf_null_allocs, 0); /* there is no ninth call */
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    assert_int_equal(st.faults_injected, 1);
    assert_int_equal(st.rebuilds, 0);
    mdlkit_fuzz_stop();
    /* MDLKIT_FUZZ_FAULTS=0 in the environment turns the option off: the
     * first byte is then an ordinary input byte. */
    setenv("MDLKIT_FUZZ_FAULTS", "0", 1);
    tf_entries = 0;
    tf_target.options = MDLKIT_FUZZ_FAULTS;
    assert_int_equal(mdlkit_fuzz_start(&tf_target), 0);
    tf_run("\x01" "aaa");
    assert_int_equal(tf_null_allocs, 0);
    mdlkit_fuzz_stop();
    unsetenv("MDLKIT_FUZZ_FAULTS");
}

static void test_leak_only_a_fault_reaches(void **state)
{
    (void)state;
    tf_start(MDLKIT_VERIFY_POOL_TRACKING, MDLKIT_FUZZ_FAULTS);
    tf_run("\x00" "ff");
    tf_run("\x01" "f"); /* the first allocation fails: nothing leaks */
    mdlkit_bugcheck bc;
    tf_one one = {"\x02" "f"}; /* the second fails: the first leaks */
    assert_int_equal(mdlkit_catch_bugcheck(tf_one_fn, &one, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 1);
    tf_stop_after_leak();
}

/* ---- crashes: signature and replay (in forked children) ---- */
/* Runs `ops` as one input in a child with stderr captured; returns the
 * signature and fault lines (empty if none) and whether it aborted. */
static int tf_crash(ULONG flags, ULONG options, const char *ops, char *sig, size_t siglen, char *fault,
                    size_t faultlen)
{
    char path[] = "/tmp/mdlkit-fuzz-crash-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        tf_start(flags, options);
        tf_run(ops);
        _exit(0); /* no crash */
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    sig[0] = fault[0] = 0;
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (getenv("TF_SHOW_CHILD"))
            fputs(line, stdout);
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "mdlkit-fuzz: SIGNATURE ", 23) == 0)
            snprintf(sig, siglen, "%.400s", line + 23);
        if (strstr(line, "failed call #"))
            snprintf(fault, faultlen, "%.400s", line);
    }
    fclose(f);
    unlink(path);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void test_crash_signature_and_replay(void **state)
{
    (void)state;
    char sig1[512], sig2[512], fault[512];
    assert_true(tf_crash(0, 0, "ad", sig1, sizeof sig1, fault, sizeof fault));
    /* code, P1 (BAD_POOL_CALLER 0x7: freed twice), the innermost driver
     * frame; under ASan the runtime runs the verifier (its low-resources
     * option carries the redzones), which reports it as 0xC4/0x13 */
    assert_true(strstr(sig1, "0x000000C2/0x7/tf_input BAD_POOL_CALLER") ||
                strstr(sig1, "0x000000C4/0x13/tf_input DRIVER_VERIFIER_DETECTED_VIOLATION"));
    assert_non_null(strstr(sig1, "test_fuzz_api.c:"));
    assert_string_equal(fault, "");
    /* The same input replays to the same signature. */
    assert_true(tf_crash(0, 0, "ad", sig2, sizeof sig2, fault, sizeof fault));
    assert_string_equal(sig1, sig2);
    /* A crash that needs a fault names the call that was failed. */
    assert_true(tf_crash(MDLKIT_VERIFY_POOL_TRACKING, MDLKIT_FUZZ_FAULTS, "\x02" "f", sig1, sizeof sig1, fault,
                         sizeof fault));
    assert_non_null(strstr(sig1, "0x000000C4/0x62/"));
    assert_non_null(strstr(fault, "failed call #2 on purpose: ExAllocatePool*"));
    assert_non_null(strstr(fault, "tf_input"));
    /* No crash: the child exits normally and prints no signature. */
    assert_false(tf_crash(0, 0, "aag", sig1, sizeof sig1, fault, sizeof fault));
    assert_string_equal(sig1, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_provider),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_snapshot_restored_before_each_input),
        cmocka_unit_test(test_snapshot_pool_block),
        cmocka_unit_test(test_leak_is_0x62_with_pool_tracking),
        cmocka_unit_test(test_leak_rebuilds_without_pool_tracking),
        cmocka_unit_test(test_faults_from_input),
        cmocka_unit_test(test_leak_only_a_fault_reaches),
        cmocka_unit_test(test_crash_signature_and_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
