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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_physical_memory_exhausted, small_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mapping_budget_exhausted, small_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
