/* Resource exhaustion: physical memory, the system-mapping budget and pool
 * run out in turn; every allocator fails cleanly with its documented result
 * (NULL, a raised STATUS_INSUFFICIENT_RESOURCES, STOR_STATUS_..., an
 * exception for user mappings) and everything works again once memory is
 * freed. */
#include "testutil.h"
#include <storport.h>

#include "mk_machine.h"

#include <stdlib.h>

#define EX_TAG 'xERT'
#define EX_MAX_HOLD 4096

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = v;
    return p;
}

static int small_setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)32 << 20;
    return mdlkit_init(&c);
}

static ULONG StFind(PVOID e, PVOID c, PVOID b, PCHAR a, PPORT_CONFIGURATION_INFORMATION ci, PBOOLEAN r)
{
    ci->NumberOfBuses = 1;
    return SP_RETURN_FOUND;
}
static BOOLEAN StInit(PVOID e) { return TRUE; }
static BOOLEAN StStartIo(PVOID e, PSCSI_REQUEST_BLOCK srb) { return TRUE; }
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
    return (NTSTATUS)StorPortInitialize(d, r, &hw, NULL);
}

static void raise_pool2(void *arg)
{
    (void)arg;
    ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64 * PAGE_SIZE, EX_TAG);
}

static void test_physical_memory_exhausted(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    PVOID ext;
    assert_int_equal(mdlkit_driver_load("exstor", StEntry, &drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_adapter(drv, &ext), STATUS_SUCCESS);

    /* Take every frame: page MDLs of 256 KiB, then single pages. */
    PMDL *held = calloc(EX_MAX_HOLD, sizeof *held);
    size_t n = 0;
    SIZE_T sizes[] = {64 * PAGE_SIZE, PAGE_SIZE};
    for (int k = 0; k < 2; k++)
        while (n < EX_MAX_HOLD) {
            PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(-1), pa(0), sizes[k], MmCached,
                                             MM_ALLOCATE_FULLY_REQUIRED | MM_DONT_ZERO_ALLOCATION);
            if (!m)
                break;
            held[n++] = m;
        }
    assert_true(n > 0 && n < EX_MAX_HOLD);
    assert_true(mk_phys_free_count() < 64);

    /* Every allocator now fails cleanly, each in its documented way. Pool
     * may still have free blocks in segments it holds: allocate until it
     * fails (bounded). */
    PVOID *blocks = calloc(EX_MAX_HOLD, sizeof *blocks);
    size_t nb = 0;
    while (nb < EX_MAX_HOLD && (blocks[nb] = ExAllocatePoolWithTag(NonPagedPoolNx, 2 * PAGE_SIZE, EX_TAG)) != NULL)
        nb++;
    assert_true(nb < EX_MAX_HOLD);
    assert_null(ExAllocatePoolWithTag(PagedPool, 64 * PAGE_SIZE, EX_TAG));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64 * PAGE_SIZE, EX_TAG));
    volatile NTSTATUS st = 0;
    MDLKIT_TRY { raise_pool2(NULL); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_INSUFFICIENT_RESOURCES);
    assert_null(MmAllocatePagesForMdlEx(pa(0), pa(-1), pa(0), 64 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED));
    assert_null(MmAllocateContiguousMemory(64 * PAGE_SIZE, pa(-1)));
    assert_null(mdlkit_user_alloc(64 * PAGE_SIZE, PAGE_READWRITE));
    PVOID sp = (PVOID)1;
    assert_int_equal(StorPortAllocatePool(ext, 64 * PAGE_SIZE, EX_TAG, &sp), STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(sp);

    /* Free everything: the runtime recovers. */
    for (size_t i = 0; i < nb; i++)
        ExFreePoolWithTag(blocks[i], EX_TAG);
    for (size_t i = 0; i < n; i++) {
        MmFreePagesFromMdl(held[i]);
        ExFreePool(held[i]);
    }
    free(blocks);
    free(held);
    PVOID p = ExAllocatePoolWithTag(PagedPool, 64 * PAGE_SIZE, EX_TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, EX_TAG);
    PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(-1), pa(0), 64 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    assert_non_null(m);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    void *u = mdlkit_user_alloc(64 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(u);
    mdlkit_user_free(u);
    assert_int_equal(StorPortAllocatePool(ext, 64 * PAGE_SIZE, EX_TAG, &sp), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortFreePool(ext, sp), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(ext), STATUS_SUCCESS);
}

static void map_user(void *arg)
{
    PMDL m = arg;
    MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
}

static void test_mapping_budget_exhausted(void **state)
{
    (void)state;
    /* Scattered page MDLs need one mapping per run: with the budget almost
     * used up, mappings fail with NULL (kernel) or an exception (user). */
    enum { N = 64 };
    PMDL m[N];
    void *va[N];
    for (int i = 0; i < N; i++) {
        m[i] = MmAllocatePagesForMdlEx(pa(0), pa(-1), pa(0), 2 * PAGE_SIZE, MmCached, 0);
        assert_non_null(m[i]);
        va[i] = NULL;
    }
    long saved = mk_as.maps_budget;
    mk_as.maps_budget = atomic_load(&mk_as.maps_in_use) + 8;
    int mapped = 0, failed = 0;
    for (int i = 0; i < N; i++) {
        va[i] = MmGetSystemAddressForMdlSafe(m[i], HighPagePriority | MdlMappingNoExecute);
        if (va[i])
            mapped++;
        else
            failed++;
    }
    assert_true(mapped > 0 && failed > 0);
    /* Lower priorities keep a reserve: they fail first. */
    int last = -1;
    for (int i = 0; i < N; i++)
        if (!va[i]) {
            last = i;
            break;
        }
    assert_null(MmGetSystemAddressForMdlSafe(m[last], LowPagePriority));
    volatile NTSTATUS st = 0;
    MDLKIT_TRY { map_user(m[last]); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_INSUFFICIENT_RESOURCES);
    /* Release one mapping: the next one succeeds again. */
    for (int i = 0; i < N; i++)
        if (va[i]) {
            MmUnmapLockedPages(va[i], m[i]);
            va[i] = NULL;
            break;
        }
    va[last] = MmGetSystemAddressForMdlSafe(m[last], HighPagePriority | MdlMappingNoExecute);
    assert_non_null(va[last]);
    ((volatile char *)va[last])[0] = 1;
    mk_as.maps_budget = saved;
    for (int i = 0; i < N; i++) {
        MmFreePagesFromMdl(m[i]); /* releases a mapping too */
        ExFreePool(m[i]);
    }
}


/* ---- issue #21, item 4: capacity comes back after exhaustion ----------
 * One resource is filled until it fails and freed; then every other resource
 * must get its full capacity: the pool's empty segments are given back to
 * the machine when a frame allocator runs short (page MDLs, contiguous
 * memory, user memory), and frames freed by those are the pool's again. */
static void tiny_setup_machine(void)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)16 << 20;
    assert_int_equal(mdlkit_init(&c), 0);
}

/* Each of the other resources, at (nearly) the machine's size: */
static void others_get_full_capacity(const char *after)
{
    /* user 1 MiB, contiguous 256 KiB, page MDL of 1 MiB -- one after the
     * other, each freed before the next (user memory and contiguous memory
     * allocate no pool on the way, so nothing else reclaims for them) */
    void *u = mdlkit_user_alloc(1 << 20, PAGE_READWRITE);
    if (!u)
        fail_msg("after %s: mdlkit_user_alloc(1 MiB) failed", after);
    mdlkit_user_free(u);
    PHYSICAL_ADDRESS max;
    max.QuadPart = -1;
    void *cm = MmAllocateContiguousMemory(256 << 10, max);
    if (!cm)
        fail_msg("after %s: MmAllocateContiguousMemory(256 KiB) failed", after);
    MmFreeContiguousMemory(cm);
    PHYSICAL_ADDRESS lo = {0}, hi, skip = {0};
    hi.QuadPart = -1;
    PMDL m = MmAllocatePagesForMdlEx(lo, hi, skip, 1 << 20, MmCached, 0);
    if (!m || MmGetMdlByteCount(m) != 1u << 20)
        fail_msg("after %s: MmAllocatePagesForMdlEx(1 MiB) got %lu bytes", after,
                 m ? (unsigned long)MmGetMdlByteCount(m) : 0ul);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
}

static void test_pool_exhaustion_gives_frames_back(void **state)
{
    (void)state;
    tiny_setup_machine();
    /* Fill the machine with small MDLs (the pool's small blocks). */
    size_t cap = 1 << 17, n = 0;
    PMDL *held = calloc(cap, sizeof *held);
    assert_non_null(held);
    static char buf[64];
    while (n < cap) {
        PMDL m = IoAllocateMdl(buf, sizeof buf, FALSE, FALSE, NULL);
        if (!m)
            break;
        held[n++] = m;
    }
    assert_true(n > 1000);
    assert_true(n < cap); /* the machine ran out, not the array */
    /* Nothing else fits now. */
    PHYSICAL_ADDRESS max;
    max.QuadPart = -1;
    assert_null(MmAllocateContiguousMemory(256 << 10, max));
    while (n)
        IoFreeMdl(held[--n]);
    free(held);
    others_get_full_capacity("the pool was filled with MDLs and freed");
    /* and again the other way round: the pool gets the frames back */
    others_get_full_capacity("a second round");
    void *big = ExAllocatePoolWithTag(NonPagedPoolNx, 4 << 20, EX_TAG);
    assert_non_null(big);
    ExFreePoolWithTag(big, EX_TAG);
    mdlkit_shutdown();
}

static void test_user_and_page_exhaustion_give_frames_back(void **state)
{
    (void)state;
    tiny_setup_machine();
    /* Fill with user memory, free; then with page MDLs, free; the pool then
     * gets (nearly) the whole machine in small and big blocks. */
    void *u[64];
    size_t nu = 0;
    while (nu < 64 && (u[nu] = mdlkit_user_alloc(1 << 20, PAGE_READWRITE)) != NULL)
        nu++;
    assert_true(nu > 4 && nu < 64);
    while (nu)
        mdlkit_user_free(u[--nu]);
    PHYSICAL_ADDRESS lo = {0}, hi, skip = {0};
    hi.QuadPart = -1;
    PMDL pm[64];
    size_t np = 0;
    while (np < 64) {
        PMDL m = MmAllocatePagesForMdlEx(lo, hi, skip, 1 << 20, MmCached, 0);
        if (!m)
            break;
        pm[np++] = m;
        if (MmGetMdlByteCount(m) != 1u << 20)
            break;
    }
    assert_true(np > 4 && np < 64);
    while (np) {
        MmFreePagesFromMdl(pm[--np]);
        ExFreePool(pm[np]);
    }
    size_t cap = 1 << 17, n = 0;
    void **blocks = calloc(cap, sizeof *blocks);
    while (n < cap && (blocks[n] = ExAllocatePoolWithTag(NonPagedPoolNx, 200, EX_TAG)) != NULL)
        n++;
    /* 16 MiB of 208-byte blocks: well over half the machine */
    assert_true(n * 208 > (size_t)8 << 20);
    while (n)
        ExFreePoolWithTag(blocks[--n], EX_TAG);
    free(blocks);
    others_get_full_capacity("the pool was filled with 200-byte blocks and freed");
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_physical_memory_exhausted, small_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mapping_budget_exhausted, small_setup, mk_test_teardown),
        cmocka_unit_test(test_pool_exhaustion_gives_frames_back),
        cmocka_unit_test(test_user_and_page_exhaustion_give_frames_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
