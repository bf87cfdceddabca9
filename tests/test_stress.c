/* Concurrency stress: N threads (default 2 x processors, MDLKIT_STRESS_THREADS
 * to override) mix pool, lookaside, MDL build/probe/lock/map/partial/unlock,
 * page allocation, spin locks and StorPort/NDIS memory routines on private
 * and shared buffers, checking every byte through every mapping. Each
 * thread has an iteration cap; a watchdog (alarm) fails the test if it
 * hangs. Must be clean under ThreadSanitizer (make test-tsan). */
#include "testutil.h"
#include "testndis.h"
#include <ndis.h>
#include <storport.h>

#include "mk_mdl.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ST_TAG 'tsRT'
#define ST_LA_TAG 'lsRT'
#define ST_MAX_THREADS 16
#define ST_SHARED_PAGES ST_MAX_THREADS
#define ST_WATCHDOG_SECONDS 240

static int g_threads;
static int g_iters;
static unsigned char *g_shared_np;   /* non-paged pool, one page per thread */
static unsigned char *g_shared_user; /* user buffer, one page per thread */
static NPAGED_LOOKASIDE_LIST g_la;
static KSPIN_LOCK g_lock;
static long g_counter;               /* protected by g_lock */
static PVOID g_stor_ext;
static NDIS_HANDLE g_ndis;
static atomic_int g_failures;

#define ST_CHECK(cond)                                                                            \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "test_stress: thread check failed at line %d: %s\n", __LINE__, #cond); \
            atomic_fetch_add(&g_failures, 1);                                                     \
            return;                                                                               \
        }                                                                                         \
    } while (0)

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}
static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

/* ---- tiny hosted miniports (StorPort and NDIS memory routines) ---- */
static ULONG StFind(PVOID e, PVOID c, PVOID b, PCHAR a, PPORT_CONFIGURATION_INFORMATION ci, PBOOLEAN r)
{
    ci->NumberOfBuses = 1;
    ci->Master = TRUE;
    ci->ScatterGather = TRUE;
    ci->Dma64BitAddresses = SCSI_DMA64_MINIPORT_SUPPORTED;
    return SP_RETURN_FOUND;
}
static BOOLEAN StInit(PVOID e) { return TRUE; }
static BOOLEAN StStartIo(PVOID e, PSCSI_REQUEST_BLOCK srb)
{
    srb->SrbStatus = SRB_STATUS_SUCCESS;
    StorPortNotification(RequestComplete, e, srb);
    return TRUE;
}
static BOOLEAN StReset(PVOID e, ULONG p) { return TRUE; }
static NTSTATUS StEntry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = StFind;
    hw.HwInitialize = StInit;
    hw.HwStartIo = StStartIo;
    hw.HwResetBus = StReset;
    hw.DeviceExtensionSize = 64;
    hw.NumberOfAccessRanges = 1;
    return (NTSTATUS)StorPortInitialize(d, r, &hw, NULL);
}
static NDIS_HANDLE g_ndis_drv;
static int g_nic;
static NDIS_STATUS NicInit(NDIS_HANDLE h, NDIS_HANDLE c, PNDIS_MINIPORT_INIT_PARAMETERS p)
{
    if (mk_test_ndis_registration(h, &g_nic, 0) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    return mk_test_ndis_general(h);
}
static void NicHalt(NDIS_HANDLE c, NDIS_HALT_ACTION a) {}
static void NicShutdown(NDIS_HANDLE c, NDIS_SHUTDOWN_ACTION a) {}
static void NicUnload(PDRIVER_OBJECT d) { NdisMDeregisterMiniportDriver(g_ndis_drv); }
static NTSTATUS NicEntry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    return mk_test_ndis_register_driver(d, r, NicInit, NicHalt, NicShutdown, NicUnload, &g_ndis_drv);
}

/* ---- the work items ---- */
static void w_pool(unsigned *s)
{
    static const POOL_TYPE types[] = {NonPagedPoolNx, PagedPool, NonPagedPool, NonPagedPoolNxCacheAligned};
    PVOID p[8];
    size_t sz[8];
    for (int i = 0; i < 8; i++) {
        sz[i] = 1 + rnd(s) % ((rnd(s) & 7) == 0 ? 20000 : 600);
        p[i] = ExAllocatePoolWithTag(types[rnd(s) % 4], sz[i], ST_TAG);
        ST_CHECK(p[i] != NULL);
        fill(p[i], sz[i], (unsigned)i * 13u);
    }
    for (int i = 7; i >= 0; i--) {
        ST_CHECK(same(p[i], sz[i], (unsigned)i * 13u));
        ExFreePoolWithTag(p[i], ST_TAG);
    }
}

static void w_lookaside(unsigned *s, unsigned id)
{
    PVOID e[6];
    for (int i = 0; i < 6; i++) {
        e[i] = ExAllocateFromNPagedLookasideList(&g_la);
        ST_CHECK(e[i] != NULL);
        fill(e[i], 200, id + (unsigned)i);
    }
    for (int i = 0; i < 6; i++) {
        ST_CHECK(same(e[i], 200, id + (unsigned)i));
        ExFreeToNPagedLookasideList(&g_la, e[i]);
    }
    (void)s;
}

static void w_nonpaged_mdl(unsigned *s)
{
    size_t len = 1 + rnd(s) % 12000;
    unsigned char *b = ExAllocatePoolWithTag(NonPagedPoolNx, len, ST_TAG);
    ST_CHECK(b != NULL);
    fill(b, len, 5);
    PMDL m = IoAllocateMdl(b, (ULONG)len, FALSE, FALSE, NULL);
    ST_CHECK(m != NULL);
    MmBuildMdlForNonPagedPool(m);
    unsigned char *va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    ST_CHECK(va == b);
    size_t off = rnd(s) % len, plen = 1 + rnd(s) % (len - off);
    PMDL pm = IoAllocateMdl(b + off, (ULONG)plen, FALSE, FALSE, NULL);
    ST_CHECK(pm != NULL);
    IoBuildPartialMdl(m, pm, b + off, (ULONG)plen);
    unsigned char *pva = MmGetSystemAddressForMdlSafe(pm, NormalPagePriority | MdlMappingNoExecute);
    ST_CHECK(pva != NULL);
    for (size_t i = 0; i < plen; i++)
        ST_CHECK(pva[i] == (unsigned char)(5 + (off + i) * 7));
    IoFreeMdl(pm);
    IoFreeMdl(m);
    ExFreePoolWithTag(b, ST_TAG);
}

static void w_user_lock_map(unsigned *s)
{
    size_t len = PAGE_SIZE * (1 + rnd(s) % 6);
    unsigned char *u = mdlkit_user_alloc(len, PAGE_READWRITE);
    ST_CHECK(u != NULL);
    fill(u, len, 9);
    PMDL m = IoAllocateMdl(u, (ULONG)len, FALSE, FALSE, NULL);
    ST_CHECK(m != NULL);
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(m, UserMode, IoWriteAccess); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    ST_CHECK(st == STATUS_SUCCESS);
    unsigned char *k = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    ST_CHECK(k != NULL);
    ST_CHECK(same(k, len, 9));
    fill(k, len, 77);          /* through the system mapping ... */
    ST_CHECK(same(u, len, 77)); /* ... visible at the user address */
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

/* Shared buffers: every thread locks and maps the whole buffer (so the same
 * frames are locked by many MDLs at once) but writes and checks only its own
 * page. */
static void w_shared(unsigned *s, unsigned id)
{
    int user = rnd(s) & 1;
    unsigned char *base = user ? g_shared_user : g_shared_np;
    size_t len = (size_t)g_threads * PAGE_SIZE;
    PMDL m = IoAllocateMdl(base, (ULONG)len, FALSE, FALSE, NULL);
    ST_CHECK(m != NULL);
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(m, KernelMode, IoModifyAccess); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    ST_CHECK(st == STATUS_SUCCESS);
    unsigned char *k = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    ST_CHECK(k != NULL);
    unsigned seed = rnd(s) & 0xFF;
    fill(k + (size_t)id * PAGE_SIZE, PAGE_SIZE, seed);
    ST_CHECK(same(base + (size_t)id * PAGE_SIZE, PAGE_SIZE, seed));
    /* The frame through the direct map too. */
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)(MmGetMdlPfnArray(m)[id] << PAGE_SHIFT);
    unsigned char *dm = mdlkit_phys_to_va(pa);
    ST_CHECK(dm != NULL && same(dm, PAGE_SIZE, seed));
    MmUnlockPages(m);
    IoFreeMdl(m);
}

static void w_pages(unsigned *s)
{
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0;
    hi.QuadPart = 0x7FFFFFFFFFFFFFFFLL;
    skip.QuadPart = 0;
    SIZE_T bytes = PAGE_SIZE * (1 + rnd(s) % 8);
    PMDL m = MmAllocatePagesForMdlEx(lo, hi, skip, bytes, MmCached, 0);
    ST_CHECK(m != NULL && MmGetMdlByteCount(m) == bytes);
    unsigned char *k = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    ST_CHECK(k != NULL);
    for (size_t i = 0; i < bytes; i++)
        ST_CHECK(k[i] == 0);
    fill(k, bytes, 3);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
}

static void w_spinlock(void)
{
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    ST_CHECK(KeGetCurrentIrql() == DISPATCH_LEVEL);
    long v = __atomic_load_n(&g_counter, __ATOMIC_RELAXED);
    __atomic_store_n(&g_counter, v + 1, __ATOMIC_RELAXED); /* a plain RMW the lock must protect */
    KeReleaseSpinLock(&g_lock, old);
}

static void w_port(unsigned *s)
{
    PVOID p = NULL, mdl = NULL;
    ULONG len = 1 + rnd(s) % 9000;
    ST_CHECK(StorPortAllocatePool(g_stor_ext, len, ST_TAG, &p) == STOR_STATUS_SUCCESS && p != NULL);
    fill(p, len, 11);
    ST_CHECK(StorPortAllocateMdl(g_stor_ext, p, len, &mdl) == STOR_STATUS_SUCCESS && mdl != NULL);
    unsigned char *k = MmGetSystemAddressForMdlSafe((PMDL)mdl, NormalPagePriority);
    ST_CHECK(k != NULL && same(k, len, 11));
    ST_CHECK(StorPortFreeMdl(g_stor_ext, mdl) == STOR_STATUS_SUCCESS);
    ST_CHECK(StorPortFreePool(g_stor_ext, p) == STOR_STATUS_SUCCESS);

    unsigned char *n = NdisAllocateMemoryWithTagPriority(g_ndis, len, ST_TAG, NormalPoolPriority);
    ST_CHECK(n != NULL);
    fill(n, len, 13);
    PMDL nm = NdisAllocateMdl(g_ndis, n, len);
    ST_CHECK(nm != NULL);
    k = MmGetSystemAddressForMdlSafe(nm, NormalPagePriority);
    ST_CHECK(k != NULL && same(k, len, 13));
    NdisFreeMdl(nm);
    NdisFreeMemoryWithTagPriority(g_ndis, n, ST_TAG);
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned s = 0x9E3779B9u * (id + 1);
    for (int it = 0; it < g_iters && atomic_load(&g_failures) == 0; it++) {
        switch (rnd(&s) % 9) {
        case 0: w_pool(&s); break;
        case 1: w_lookaside(&s, id); break;
        case 2: w_nonpaged_mdl(&s); break;
        case 3: w_user_lock_map(&s); break;
        case 4: w_shared(&s, id); break;
        case 5: w_pages(&s); break;
        case 6: w_spinlock(); break;
        case 7: w_port(&s); break;
        default: {
            /* Work at DISPATCH_LEVEL: non-paged pool and MDLs are allowed. */
            KIRQL old;
            KeRaiseIrql(DISPATCH_LEVEL, &old);
            w_nonpaged_mdl(&s);
            KeLowerIrql(old);
            break;
        }
        }
        if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
            fprintf(stderr, "test_stress: IRQL %u left raised\n", KeGetCurrentIrql());
            atomic_fetch_add(&g_failures, 1);
        }
    }
    return NULL;
}

static void watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "test_stress: watchdog: the stress test hung (deadlock?)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

static void run_stress(int threads, int iters)
{
    g_threads = threads;
    g_iters = iters;
    g_counter = 0;
    atomic_store(&g_failures, 0);
    PDRIVER_OBJECT sd, nd;
    assert_int_equal(mdlkit_driver_load("stressstor", StEntry, &sd), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_adapter(sd, &g_stor_ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_load("stressnic", NicEntry, &nd), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_start_adapter(nd, &g_ndis), STATUS_SUCCESS);
    ExInitializeNPagedLookasideList(&g_la, NULL, NULL, 0, 256, ST_LA_TAG, 0);
    KeInitializeSpinLock(&g_lock);
    g_shared_np = ExAllocatePoolWithTag(NonPagedPoolNx, (size_t)threads * PAGE_SIZE, ST_TAG);
    g_shared_user = mdlkit_user_alloc((size_t)threads * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(g_shared_np);
    assert_non_null(g_shared_user);

    pthread_t t[ST_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);

    assert_int_equal(atomic_load(&g_failures), 0);
    /* Every spin-lock increment happened exactly once, and nothing leaked. */
    assert_true(g_counter <= (long)threads * iters);
    ExDeleteNPagedLookasideList(&g_la);
    ExFreePoolWithTag(g_shared_np, ST_TAG);
    mdlkit_user_free(g_shared_user);
    mdlkit_pool_tag_usage u;
    if (mdlkit_pool_usage_tag(ST_TAG, &u)) {
        assert_int_equal(u.nonpaged_outstanding, 0);
        assert_int_equal(u.paged_outstanding, 0);
        assert_true(u.nonpaged_allocs > 0);
    }
    mk_mdl_stats st;
    mk_mdl_get_stats(&st);
    assert_int_equal(st.locked_mdls, 0);
    assert_int_equal(st.locked_pages, 0);
    assert_int_equal(st.user_mappings, 0);
    assert_int_equal(st.page_mdls, 0);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ndis), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_stor_ext), STATUS_SUCCESS);
}

static int default_threads(void)
{
    const char *e = getenv("MDLKIT_STRESS_THREADS");
    long n = e ? strtol(e, NULL, 0) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2)
        n = 2;
    if (n > ST_MAX_THREADS)
        n = ST_MAX_THREADS;
    return (int)n;
}

static void test_stress_mixed(void **state)
{
    (void)state;
    signal(SIGALRM, watchdog);
    alarm(ST_WATCHDOG_SECONDS);
    run_stress(default_threads(), 300);
    alarm(0);
}

/* The spin lock really serialises: a counter bumped under it by every thread
 * ends at exactly threads x iterations. */
static void *spin_worker(void *arg)
{
    int n = (int)(uintptr_t)arg;
    for (int i = 0; i < n; i++)
        w_spinlock();
    return NULL;
}
static void test_stress_spinlock_counter(void **state)
{
    (void)state;
    signal(SIGALRM, watchdog);
    alarm(ST_WATCHDOG_SECONDS);
    int threads = default_threads();
    KeInitializeSpinLock(&g_lock);
    g_counter = 0;
    pthread_t t[ST_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        assert_int_equal(pthread_create(&t[i], NULL, spin_worker, (void *)(uintptr_t)2000), 0);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(g_counter, (long)threads * 2000);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stress_mixed, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_stress_spinlock_counter, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
