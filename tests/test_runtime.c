/* Runtime start/stop: mdlkit_init twice, bad configuration, memory that
 * cannot be reserved, a fresh machine after shutdown, nothing of a machine
 * left behind after many cycles. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RT_SANITIZED 1
#endif
#endif

static void test_init_twice_fails_cleanly(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    assert_int_equal(mdlkit_is_initialized(), 1);
    assert_int_equal(mdlkit_init(&c), -1);
    assert_int_equal(mdlkit_init(NULL), -1);
    /* the first machine is untouched and still works */
    assert_int_equal(mdlkit_is_initialized(), 1);
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'tRuR');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'tRuR');
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mdlkit_shutdown();
    assert_int_equal(mdlkit_is_initialized(), 0);
    mdlkit_shutdown(); /* a second shutdown is harmless */
}

static void test_unknown_os_fails(void **state)
{
    (void)state;
    setenv("MDLKIT_OS", "windows95", 1);
    mdlkit_config c;
    mdlkit_config_default(&c);
    assert_int_equal(c.os_version, NTDDI_WIN11_GE); /* the bad value is not taken */
    assert_int_equal(mdlkit_init(&c), -1);
    assert_int_equal(mdlkit_init(NULL), -1);
    assert_int_equal(mdlkit_is_initialized(), 0);

    /* a known name is taken */
    setenv("MDLKIT_OS", "win7", 1);
    mdlkit_config_default(&c);
    assert_int_equal(c.os_version, NTDDI_WIN7);
    c.physical_memory = (size_t)64 << 20;
    assert_int_equal(mdlkit_init(&c), 0);
    assert_int_equal(mdlkit_current_config()->os_version, NTDDI_WIN7);
    mdlkit_shutdown();
    unsetenv("MDLKIT_OS");

    ULONG v = 0;
    assert_int_equal(mdlkit_parse_os("win10", &v), 0);
    assert_int_equal(v, NTDDI_WIN10);
    assert_int_equal(mdlkit_parse_os("0x06020000", &v), 0);
    assert_int_equal(v, NTDDI_WIN8);
    assert_int_equal(mdlkit_parse_os("dos", &v), -1);
    assert_int_equal(mdlkit_parse_os("", &v), -1);
}

static void test_bad_sizes_fail(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = 4096;
    assert_int_equal(mdlkit_init(&c), -1);
    c.physical_memory = (size_t)1 << 50;
    assert_int_equal(mdlkit_init(&c), -1);
    mk_test_config(&c);
    c.processors = 0;
    assert_int_equal(mdlkit_init(&c), -1);
    mk_test_config(&c);
    c.fault_probability = 10001;
    assert_int_equal(mdlkit_init(&c), -1);
    assert_int_equal(mdlkit_is_initialized(), 0);

    setenv("MDLKIT_PHYS_MB", "lots", 1);
    mdlkit_config_default(&c);
    assert_int_equal(mdlkit_init(&c), -1);
    unsetenv("MDLKIT_PHYS_MB");

    /* after all that, a good configuration starts */
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    mdlkit_shutdown();
}

/* Physical memory that cannot be reserved: the address-space limit is set
 * too low for the machine; mdlkit_init must fail and leave nothing behind. */
static void test_unreservable_memory_fails(void **state)
{
    (void)state;
#ifdef RT_SANITIZED
    skip(); /* sanitizers need far more address space than any limit we could set */
#else
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)2 << 30; /* 2 GiB of address space */
    assert_int_equal(setrlimit(RLIMIT_AS, &lim), 0);
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)1 << 30; /* needs far more than 2 GiB of VA */
    int r = mdlkit_init(&c);
    setrlimit(RLIMIT_AS, &old);
    assert_int_equal(r, -1);
    assert_int_equal(mdlkit_is_initialized(), 0);
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    mdlkit_shutdown();
#endif
}

/* Each mdlkit_init starts a fresh machine. */
static void test_fresh_machine_after_shutdown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        mdlkit_config c;
        mk_test_config(&c);
        c.processors = 3;
        assert_int_equal(mdlkit_init(&c), 0);
        assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
        assert_int_equal(KeQueryActiveProcessorCount(NULL), 3);
        assert_int_equal(KeGetCurrentProcessorNumber(), 0);
        KIRQL old;
        KeRaiseIrql(APC_LEVEL, &old); /* left raised on purpose */
        void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, 'hsrF');
        assert_non_null(p);
        ExFreePoolWithTag(p, 'hsrF');
        mdlkit_shutdown();
    }
}

/* The host address space the process has mapped (VmSize, KiB) and its
 * open descriptors. */
static long rt_vm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmSize:", 7) == 0)
            v = atol(line + 7);
    fclose(f);
    assert_true(v > 0);
    return v;
}
static int rt_count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

/* mdlkit_shutdown gives back everything mdlkit_init took: the memfd, the
 * reservation, and every table the layers map for their records (the
 * machine's PFN and VA tables, the pool's, special pool's and Pool
 * Tracking's). A machine that used them (pool, special pool, tracked
 * allocations, a user buffer) is started and stopped 12 times; after the
 * second cycle neither the host address space mapped (adjacent leaked
 * mappings would merge: their size is counted, not their number) nor the
 * descriptors grow. Under the sanitizers their own allocators map memory
 * as they go: only the descriptors are compared. */
static void rt_use_machine(void)
{
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'pUtR');
    void *q = ExAllocatePool2(POOL_FLAG_PAGED, 5000, 'pUtR');
    void *u = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(p);
    assert_non_null(q);
    assert_non_null(u);
    memset(p, 1, 100);
    memset(q, 2, 5000);
    ((char *)u)[PAGE_SIZE] = 3;
    ExFreePoolWithTag(p, 'pUtR');
    ExFreePoolWithTag(q, 'pUtR');
    mdlkit_user_free(u);
}

static void test_cycles_leave_nothing_behind(void **state)
{
    (void)state;
    const ULONG flags[] = {0, MDLKIT_VERIFY_STANDARD};
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
        long vm = 0;
        int fds = 0;
        for (int i = 0; i < 12; i++) {
            mdlkit_config c;
            mk_test_config(&c);
            c.verifier_flags = flags[f];
            assert_int_equal(mdlkit_init(&c), 0);
            rt_use_machine();
            mdlkit_shutdown();
            if (i == 1) {
                vm = rt_vm_kib();
                fds = rt_count_fds();
            }
        }
#ifndef RT_SANITIZED
        assert_true(rt_vm_kib() <= vm + 16); /* one 4 KiB table per cycle would add 40 */
#else
        (void)vm; /* the sanitizers' own mappings grow as they please */
#endif
        assert_int_equal(rt_count_fds(), fds);
    }
}

/* Debug output: the default Windows filter shows only error-level
 * DbgPrintEx messages; MDLKIT_DBGPRINT widens it (read at mdlkit_init). */
static char *rt_stderr_of_prints(void)
{
    char path[] = "/tmp/mdlkit_dbg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "dbg-error %d\n", 1);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "dbg-warning\n");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "dbg-info\n");
    DbgPrint("dbg-plain %s\n", "x");
    KdPrint(("dbg-kdprint\n"));
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    unlink(path);
    return text;
}

static void test_debug_print_filter(void **state)
{
    (void)state;
    unsetenv("MDLKIT_DBGPRINT");
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    char *t = rt_stderr_of_prints();
    assert_non_null(strstr(t, "dbg-error 1\n"));
    assert_null(strstr(t, "dbg-warning"));
    assert_null(strstr(t, "dbg-info"));
    assert_null(strstr(t, "dbg-plain"));
    assert_null(strstr(t, "dbg-kdprint"));
    free(t);
    mdlkit_shutdown();

    setenv("MDLKIT_DBGPRINT", "all", 1);
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    t = rt_stderr_of_prints();
    assert_non_null(strstr(t, "dbg-warning\n"));
    assert_non_null(strstr(t, "dbg-info\n"));
    assert_non_null(strstr(t, "dbg-plain x\n"));
    assert_non_null(strstr(t, "dbg-kdprint\n"));
    free(t);
    mdlkit_shutdown();

    setenv("MDLKIT_DBGPRINT", "0x3", 1); /* error and warning */
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    t = rt_stderr_of_prints();
    assert_non_null(strstr(t, "dbg-warning\n"));
    assert_null(strstr(t, "dbg-info"));
    free(t);
    mdlkit_shutdown();
    unsetenv("MDLKIT_DBGPRINT");
}

int main(void)
{
    unsetenv("MDLKIT_OS");
    unsetenv("MDLKIT_PHYS_MB");
    unsetenv("MDLKIT_DBGPRINT");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_twice_fails_cleanly),
        cmocka_unit_test(test_unknown_os_fails),
        cmocka_unit_test(test_bad_sizes_fail),
        cmocka_unit_test(test_unreservable_memory_fails),
        cmocka_unit_test(test_fresh_machine_after_shutdown),
        cmocka_unit_test(test_cycles_leave_nothing_behind),
        cmocka_unit_test(test_debug_print_filter),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
