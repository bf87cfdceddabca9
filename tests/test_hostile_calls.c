/*
 * test_hostile_calls.c -- issue #21, items 1-3 and 6: DDIs and harness
 * routines given hostile arguments (NULL, wild and host pointers, MDLs full
 * of random bytes, undefined values, uninitialised spin locks) end as the
 * documented status, exception or bug check -- never a hang or a signal.
 *
 * Each case runs in a forked child with its own machine and a time limit
 * (alarm + waitpid), so a hang or a crash fails that case by name. The
 * child reports what happened through a pipe: returned (with a value),
 * or the bug check caught with its code and parameters.
 */
#include "testutil.h"
#include <ndis.h>
#include <storport.h>

#include <signal.h>
#include <sys/wait.h>

#define HC_TAG 'cHtT'
#define HC_LIMIT_S 10

/* ---- the forked runner ---- */
typedef struct hc_result {
    int state; /* 0 returned, 1 bug check, 2 init failed */
    long long value;
    mdlkit_bugcheck bc;
} hc_result;

static long long hc_value; /* what a returning case reports */
static PVOID hc_ext;       /* the StorPort adapter, for the StorPort cases */

static ULONG HcFind(PVOID e, PVOID c, PVOID b, PCHAR a, PPORT_CONFIGURATION_INFORMATION ci, PBOOLEAN r)
{
    (void)e, (void)c, (void)b, (void)a, (void)r;
    ci->NumberOfBuses = 1;
    return SP_RETURN_FOUND;
}
static BOOLEAN HcInit(PVOID e) { (void)e; return TRUE; }
static BOOLEAN HcStartIo(PVOID e, PSCSI_REQUEST_BLOCK srb) { (void)e, (void)srb; return TRUE; }
static BOOLEAN HcReset(PVOID e, ULONG p) { (void)e, (void)p; return TRUE; }
static NTSTATUS HcEntry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = HcFind;
    hw.HwInitialize = HcInit;
    hw.HwStartIo = HcStartIo;
    hw.HwResetBus = HcReset;
    hw.DeviceExtensionSize = 64;
    return (NTSTATUS)StorPortInitialize(d, r, &hw, NULL);
}

static hc_result hc_run(void (*fn)(void *), ULONG verifier, int storport, const char *name)
{
    hc_result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe(fds) != 0)
        fail_msg("%s: pipe", name);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("%s: fork", name);
    if (pid == 0) {
        close(fds[0]);
        alarm(HC_LIMIT_S);
        hc_result c;
        memset(&c, 0, sizeof c);
        mdlkit_config cfg;
        mk_test_config(&cfg);
        cfg.physical_memory = (size_t)32 << 20;
        cfg.verifier_flags = verifier;
        if (mdlkit_init(&cfg) != 0) {
            c.state = 2;
        } else {
            PDRIVER_OBJECT drv;
            if (storport && (mdlkit_driver_load("hcstor", HcEntry, &drv) != STATUS_SUCCESS ||
                             mdlkit_storport_start_adapter(drv, &hc_ext) != STATUS_SUCCESS))
                c.state = 2;
            else
                c.state = mdlkit_catch_bugcheck(fn, NULL, &c.bc) ? 1 : 0;
            c.value = hc_value;
        }
        if (write(fds[1], &c, sizeof c) != (ssize_t)sizeof c)
            _exit(3);
        _exit(0); /* no shutdown: the machine may be crashed; the process ends */
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        fail_msg("%s: the child died of signal %d (%s)", name, WTERMSIG(st),
                 WTERMSIG(st) == SIGALRM ? "a hang: more than 10 s" : "a crash");
    if (got != (ssize_t)sizeof r)
        fail_msg("%s: no result from the child (exit status %d)", name, WEXITSTATUS(st));
    if (r.state == 2)
        fail_msg("%s: the machine did not start", name);
    return r;
}

#define ANY MK_ANY
static void hc_expect_bugcheck(const char *name, hc_result r, ULONG code, ULONG_PTR p1, ULONG_PTR p2)
{
    if (r.state != 1)
        fail_msg("%s: expected bug check 0x%X, the call returned (value %lld)", name, (unsigned)code, r.value);
    if (r.bc.code != code || (p1 != ANY && r.bc.param[0] != p1) || (p2 != ANY && r.bc.param[1] != p2))
        fail_msg("%s: expected bug check 0x%X (0x%lx, 0x%lx), got 0x%X (0x%lx, 0x%lx, 0x%lx, 0x%lx)", name,
                 (unsigned)code, (unsigned long)p1, (unsigned long)p2, (unsigned)r.bc.code,
                 (unsigned long)r.bc.param[0], (unsigned long)r.bc.param[1], (unsigned long)r.bc.param[2],
                 (unsigned long)r.bc.param[3]);
}
#define AV ((ULONG_PTR)(LONG_PTR)(LONG)STATUS_ACCESS_VIOLATION)
#define WILD ((void *)0x1234567800ULL)

/* ---- item 1: faults outside the simulated machine ---- */
static void *hc_np(size_t n) { return ExAllocatePoolWithTag(NonPagedPoolNx, n, HC_TAG); }
static PMDL hc_built(void *p, ULONG n)
{
    PMDL m = IoAllocateMdl(p, n, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    return m;
}
static PMDL hc_random_mdl(void)
{
    size_t n = sizeof(MDL) + 16;
    unsigned char *m = hc_np(n);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        m[i] = (unsigned char)(x >> 16);
    }
    /* a range of many pages, whatever the random bytes said */
    ((PMDL)m)->ByteCount = 64 * PAGE_SIZE;
    ((PMDL)m)->ByteOffset = 0;
    return (PMDL)m;
}
static void c_partial_null_source(void *a) { (void)a; void *p = hc_np(PAGE_SIZE); IoBuildPartialMdl(NULL, IoAllocateMdl(p, PAGE_SIZE, FALSE, FALSE, NULL), p, 0); }
static void c_partial_null_target(void *a) { (void)a; void *p = hc_np(PAGE_SIZE); IoBuildPartialMdl(hc_built(p, PAGE_SIZE), NULL, p, 16); }
static void c_partial_wild_target(void *a) { (void)a; void *p = hc_np(PAGE_SIZE); IoBuildPartialMdl(hc_built(p, PAGE_SIZE), WILD, p, 16); }
static void c_partial_wild_source(void *a) { (void)a; void *p = hc_np(PAGE_SIZE); IoBuildPartialMdl(WILD, IoAllocateMdl(p, PAGE_SIZE, FALSE, FALSE, NULL), p, 16); }
static void c_build_null(void *a) { (void)a; MmBuildMdlForNonPagedPool(NULL); }
static void c_build_random(void *a) { (void)a; MmBuildMdlForNonPagedPool(hc_random_mdl()); }
static void c_probe_null(void *a) { (void)a; MmProbeAndLockPages(NULL, KernelMode, IoReadAccess); }
static void c_unlock_null(void *a) { (void)a; MmUnlockPages(NULL); }
static void c_map_null(void *a) { (void)a; MmMapLockedPagesSpecifyCache(NULL, KernelMode, MmCached, NULL, FALSE, NormalPagePriority); }
static void c_unmap_null_mdl(void *a) { (void)a; MmUnmapLockedPages(hc_np(64), NULL); }
static void c_free_pages_null(void *a) { (void)a; MmFreePagesFromMdl(NULL); }
static NPAGED_LOOKASIDE_LIST hc_la;
static void c_lookaside_free_null(void *a)
{
    (void)a;
    ExInitializeNPagedLookasideList(&hc_la, NULL, NULL, 0, 64, HC_TAG, 0);
    ExFreeToNPagedLookasideList(&hc_la, NULL);
}
static void c_spin_init_null(void *a) { (void)a; KeInitializeSpinLock(NULL); }
static void c_spin_acquire_null(void *a) { (void)a; KIRQL o; KeAcquireSpinLock(NULL, &o); }
static void c_stor_build_random(void *a) { (void)a; hc_value = StorPortBuildMdlForNonPagedPool(hc_ext, hc_random_mdl()); }

static void test_faults_end_as_bug_checks(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        void (*fn)(void *);
        ULONG code;
        ULONG_PTR p1;
        int storport;
    } rows[] = {
        {"IoBuildPartialMdl(NULL source)", c_partial_null_source, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"IoBuildPartialMdl(NULL target)", c_partial_null_target, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"IoBuildPartialMdl(wild target)", c_partial_wild_target, PAGE_FAULT_IN_NONPAGED_AREA, ANY, 0},
        {"IoBuildPartialMdl(wild source)", c_partial_wild_source, PAGE_FAULT_IN_NONPAGED_AREA, ANY, 0},
        {"MmBuildMdlForNonPagedPool(NULL)", c_build_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"MmBuildMdlForNonPagedPool(random-bytes MDL)", c_build_random, PAGE_FAULT_IN_NONPAGED_AREA, ANY, 0},
        {"MmProbeAndLockPages(NULL)", c_probe_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"MmUnlockPages(NULL)", c_unlock_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"MmMapLockedPagesSpecifyCache(NULL)", c_map_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"MmUnmapLockedPages(va, NULL)", c_unmap_null_mdl, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"MmFreePagesFromMdl(NULL)", c_free_pages_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"ExFreeToNPagedLookasideList(list, NULL)", c_lookaside_free_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        {"KeInitializeSpinLock(NULL)", c_spin_init_null, KMODE_EXCEPTION_NOT_HANDLED, AV, 0},
        /* KeAcquireSpinLock raises to DISPATCH_LEVEL first: the fault is 0xD1 */
        {"KeAcquireSpinLock(NULL)", c_spin_acquire_null, DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, 0},
        {"StorPortBuildMdlForNonPagedPool(random-bytes MDL)", c_stor_build_random, PAGE_FAULT_IN_NONPAGED_AREA, ANY, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        hc_expect_bugcheck(rows[i].name, hc_run(rows[i].fn, 0, rows[i].storport, rows[i].name), rows[i].code,
                           rows[i].p1, ANY);
}

/* The random-bytes MDL is refused before any PFN is written: the fault
 * address is the first PFN slot past the MDL's pool block. */
static void c_build_random_where(void *a)
{
    (void)a;
    PMDL m = hc_random_mdl();
    hc_value = (long long)(uintptr_t)m;
    MmBuildMdlForNonPagedPool(m);
}
static void test_random_mdl_is_refused_at_its_block_end(void **state)
{
    (void)state;
    hc_result r = hc_run(c_build_random_where, 0, 0, "random MDL");
    hc_expect_bugcheck("random MDL", r, PAGE_FAULT_IN_NONPAGED_AREA, ANY, 1);
    uintptr_t mdl = (uintptr_t)r.value;
    assert_true(r.bc.param[0] >= mdl + sizeof(MDL));
    assert_true(r.bc.param[0] <= mdl + sizeof(MDL) + 16 + 16); /* the block's end (16-byte granule) */
}

/* ---- item 2: harness routines validate their arguments ---- */
static void c_catch_null(void *a) { (void)a; mdlkit_bugcheck bc; hc_value = mdlkit_catch_bugcheck(NULL, NULL, &bc); }
static void c_config_default_null(void *a) { (void)a; mdlkit_config_default(NULL); hc_value = 7; }
static void test_harness_arguments(void **state)
{
    (void)state;
    hc_result r = hc_run(c_catch_null, 0, 0, "mdlkit_catch_bugcheck(NULL)");
    assert_int_equal(r.state, 0);
    assert_int_equal(r.value, -1);
    r = hc_run(c_config_default_null, 0, 0, "mdlkit_config_default(NULL)");
    assert_int_equal(r.state, 0);
    assert_int_equal(r.value, 7);
}

/* ---- item 3: failures Windows documents ---- */
static void c_lookaside_ex_bad_type(void *a)
{
    (void)a;
    static LOOKASIDE_LIST_EX l;
    hc_value = ExInitializeLookasideListEx(&l, NULL, NULL, (POOL_TYPE)77, 0, 64, HC_TAG, 0);
}
static void c_lookaside_ex_must_succeed(void *a)
{
    (void)a;
    static LOOKASIDE_LIST_EX l;
    hc_value = ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolMustSucceed, 0, 64, HC_TAG, 0);
}
static void c_lookaside_ex_nx_ok(void *a)
{
    (void)a;
    static LOOKASIDE_LIST_EX l;
    hc_value = ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 64, HC_TAG, 0);
    if (NT_SUCCESS(hc_value)) {
        void *e = ExAllocateFromLookasideListEx(&l);
        if (!e)
            hc_value = -2;
        else
            ExFreeToLookasideListEx(&l, e);
        ExDeleteLookasideListEx(&l);
    }
}
static void c_build_va_null(void *a)
{
    (void)a;
    PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
    hc_value = (long long)(uintptr_t)m;
    MmBuildMdlForNonPagedPool(m);
}
static void c_stor_mdl_stack(void *a)
{
    (void)a;
    char buf[256];
    PVOID m = NULL;
    hc_value = StorPortAllocateMdl(hc_ext, buf, sizeof buf, &m);
}
static void c_stor_mdl_pool_ok(void *a)
{
    (void)a;
    PVOID m = NULL, p = NULL;
    hc_value = StorPortAllocatePool(hc_ext, 512, HC_TAG, &p);
    if (hc_value == STOR_STATUS_SUCCESS) {
        hc_value = StorPortAllocateMdl(hc_ext, p, 512, &m);
        if (hc_value == STOR_STATUS_SUCCESS && !m)
            hc_value = -2;
        if (m)
            StorPortFreeMdl(hc_ext, m);
        StorPortFreePool(hc_ext, p);
    }
}
static void c_ndis_mdl_stack(void *a)
{
    (void)a;
    char buf[256];
    hc_value = (long long)(uintptr_t)NdisAllocateMdl(NULL, buf, sizeof buf);
}
static void c_partial_unbuilt(void *a)
{
    (void)a;
    void *p = hc_np(2 * PAGE_SIZE);
    PMDL s = IoAllocateMdl(p, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    PMDL t = IoAllocateMdl(p, PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(s, t, p, PAGE_SIZE);
}
static void c_build_user(void *a)
{
    (void)a;
    void *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    PMDL m = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
}
static void c_build_paged(void *a)
{
    (void)a;
    void *p = ExAllocatePoolWithTag(PagedPool, 64, HC_TAG);
    PMDL m = IoAllocateMdl(p, 64, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
}
static void test_documented_failures(void **state)
{
    (void)state;
    hc_result r = hc_run(c_lookaside_ex_bad_type, 0, 0, "ExInitializeLookasideListEx(PoolType 77)");
    assert_int_equal(r.state, 0);
    assert_int_equal((NTSTATUS)r.value, STATUS_INVALID_PARAMETER_4);
    r = hc_run(c_lookaside_ex_must_succeed, 0, 0, "ExInitializeLookasideListEx(NonPagedPoolMustSucceed)");
    assert_int_equal((NTSTATUS)r.value, STATUS_INVALID_PARAMETER_4);
    r = hc_run(c_lookaside_ex_nx_ok, 0, 0, "ExInitializeLookasideListEx(NonPagedPoolNx)");
    assert_int_equal(r.state, 0);
    assert_int_equal((NTSTATUS)r.value, STATUS_SUCCESS);

    r = hc_run(c_build_va_null, 0, 0, "MmBuildMdlForNonPagedPool(MDL for VA NULL)");
    hc_expect_bugcheck("MmBuildMdlForNonPagedPool(MDL for VA NULL)", r, MEMORY_MANAGEMENT, 0x1240, (ULONG_PTR)r.value);

    /* StorPortAllocateMdl and NdisAllocateMdl both take non-paged memory only */
    r = hc_run(c_stor_mdl_stack, 0, 1, "StorPortAllocateMdl(host stack)");
    hc_expect_bugcheck("StorPortAllocateMdl(host stack)", r, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY, ANY);
    assert_true(r.bc.param[3] & 0x0080u); /* MK_MEM_FOREIGN: host memory */
    r = hc_run(c_stor_mdl_pool_ok, 0, 1, "StorPortAllocateMdl(StorPortAllocatePool block)");
    assert_int_equal(r.state, 0);
    assert_int_equal(r.value, STOR_STATUS_SUCCESS);
    r = hc_run(c_ndis_mdl_stack, 0, 0, "NdisAllocateMdl(host stack)");
    hc_expect_bugcheck("NdisAllocateMdl(host stack)", r, DRIVER_VERIFIER_DETECTED_VIOLATION, ANY, ANY);

    /* Under DDI compliance: a partial MDL of an MDL that holds no PFNs, and
     * MmBuildMdlForNonPagedPool of pageable memory. */
    r = hc_run(c_partial_unbuilt, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "IoBuildPartialMdl(unbuilt source)");
    hc_expect_bugcheck("IoBuildPartialMdl(unbuilt source)", r, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_IO_PARTIAL_SOURCE, ANY);
    r = hc_run(c_partial_unbuilt, 0, 0, "IoBuildPartialMdl(unbuilt source), no verifier");
    assert_int_equal(r.state, 0);
    r = hc_run(c_build_user, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "MmBuildMdlForNonPagedPool(user memory)");
    hc_expect_bugcheck("MmBuildMdlForNonPagedPool(user memory)", r, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, ANY);
    r = hc_run(c_build_paged, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "MmBuildMdlForNonPagedPool(paged pool)");
    hc_expect_bugcheck("MmBuildMdlForNonPagedPool(paged pool)", r, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, ANY);
}

/* ---- item 6: spin locks never initialised or never released ---- */
static void c_spin_garbage(void *a)
{
    (void)a;
    static KSPIN_LOCK l = (KSPIN_LOCK)0xDEADBEEFDEADBEEFULL;
    KIRQL o;
    KeAcquireSpinLock(&l, &o);
}
static void c_spin_small_garbage(void *a)
{
    (void)a;
    static KSPIN_LOCK l = (KSPIN_LOCK)0x41414140ULL; /* canonical, aligned, not an owner */
    KIRQL o;
    KeAcquireSpinLock(&l, &o);
}
static KSPIN_LOCK hc_held;
static void *hc_holder(void *arg)
{
    (void)arg;
    KIRQL o;
    KeAcquireSpinLock(&hc_held, &o); /* held, never released; the thread stays */
    for (;;)
        pause();
    return NULL;
}
#include <pthread.h>
static void c_spin_never_released(void *a)
{
    (void)a;
    KeInitializeSpinLock(&hc_held);
    pthread_t t;
    pthread_create(&t, NULL, hc_holder, NULL);
    while (__atomic_load_n(&hc_held, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
    KIRQL o;
    KeAcquireSpinLock(&hc_held, &o); /* a real owner: the watchdog ends it */
}
static void test_spin_locks_never_hang(void **state)
{
    (void)state;
    hc_result r = hc_run(c_spin_garbage, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "KeAcquireSpinLock(0xDEADBEEF...)");
    hc_expect_bugcheck("KeAcquireSpinLock(0xDEADBEEF...)", r, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00040009, ANY);
    assert_int_equal(r.bc.param[3], 0xDEADBEEFDEADBEEFULL);
    r = hc_run(c_spin_small_garbage, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "KeAcquireSpinLock(0x41414140)");
    hc_expect_bugcheck("KeAcquireSpinLock(0x41414140)", r, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00040009, ANY);
    r = hc_run(c_spin_never_released, MDLKIT_VERIFY_DDI_COMPLIANCE, 0, "KeAcquireSpinLock(never released)");
    hc_expect_bugcheck("KeAcquireSpinLock(never released)", r, DPC_WATCHDOG_VIOLATION, 0, ANY);
    assert_true(r.bc.param[1] >= r.bc.param[2]); /* ran at least its allotment */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_end_as_bug_checks),
        cmocka_unit_test(test_random_mdl_is_refused_at_its_block_end),
        cmocka_unit_test(test_harness_arguments),
        cmocka_unit_test(test_documented_failures),
        cmocka_unit_test(test_spin_locks_never_hang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
