/* MmMapLockedPagesSpecifyCache / MmMapLockedPages / MmUnmapLockedPages / MmGetSystemAddressForMdlSafe. */
#include "testutil.h"
#include <wdm.h>
#include "mk_machine.h"
#include "mk_mdl.h"

#define NX (NormalPagePriority | MdlMappingNoExecute)

static PMDL lock_user(char *u, ULONG len, ULONG off)
{
    PMDL m = IoAllocateMdl(u + off, len, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, UserMode, IoWriteAccess);
    return m;
}

static void test_system_mapping_aliases_user_buffer(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(5 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = lock_user(u, 4 * PAGE_SIZE, 100);
    char *sys = MmGetSystemAddressForMdlSafe(m, NX);
    assert_non_null(sys);
    assert_true(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_ptr_equal(m->MappedSystemVa, sys);
    assert_int_equal(BYTE_OFFSET(sys), 100);
    assert_ptr_not_equal(sys, u + 100);
    sys[0] = 'K';
    sys[4 * PAGE_SIZE - 1] = 'L';
    assert_int_equal(u[100], 'K');
    assert_int_equal(u[100 + 4 * PAGE_SIZE - 1], 'L');
    u[100 + PAGE_SIZE] = 'U';
    assert_int_equal(sys[PAGE_SIZE], 'U');
    /* repeated calls return the first mapping */
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(m, NX), sys);
    assert_int_equal(atomic_load(&mk_pfn(MmGetMdlPfnArray(m)[0])->maps), 1);
    /* MmUnlockPages releases the mapping */
    PFN_NUMBER pfn0 = MmGetMdlPfnArray(m)[0];
    MmUnlockPages(m);
    assert_false(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_int_equal(atomic_load(&mk_pfn(pfn0)->maps), 0);
    if (mk_va_region(sys) == MK_RGN_SYSMAP)
        assert_int_equal(mk_va_bits(sys) & MK_PG_MAPPED, 0);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

static void test_unmap_explicit_and_misuse_codes(void **state);
static void unmap_arg(void *arg)
{
    PMDL m = arg;
    MmUnmapLockedPages(m->MappedSystemVa, m);
}
static void unmap_wrong_va(void *arg)
{
    PMDL m = arg;
    MmUnmapLockedPages((char *)m->MappedSystemVa + 1, m);
}
static void map_again(void *arg) { MmMapLockedPagesSpecifyCache((PMDL)arg, KernelMode, MmCached, NULL, FALSE, NX); }

static void test_unmap_explicit_and_misuse_codes(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = lock_user(u, 2 * PAGE_SIZE, 0);
    char *sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NX);
    assert_non_null(sys);
    mk_expect_bugcheck(map_again, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, m, m->MdlFlags, MDL_MAPPED_TO_SYSTEM_VA);
    mk_expect_bugcheck(unmap_wrong_va, m, SYSTEM_PTE_MISUSE, 0x03, sys + 1, m, sys);
    MmUnmapLockedPages(sys, m);
    assert_false(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    mk_expect_bugcheck(unmap_arg, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB6, m, m->MdlFlags, MDL_MAPPED_TO_SYSTEM_VA);
    MmUnlockPages(m);
    IoFreeMdl(m);
    /* mapping an MDL that is not locked */
    m = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
    mk_expect_bugcheck(map_again, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB3, m, m->MdlFlags, MDL_PAGES_LOCKED);
    /* a built MDL may not get a second system mapping */
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    PMDL b = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(b);
    mk_expect_bugcheck(map_again, b, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, b, b->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
    mk_expect_bugcheck(unmap_arg, b, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB6, b, b->MdlFlags, MDL_MAPPED_TO_SYSTEM_VA);
    IoFreeMdl(b);
    ExFreePoolWithTag(np, 'tsTM');
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

static void test_contiguous_uses_direct_map(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
    PMDL pm = MmAllocatePagesForMdlEx(lo, hi, skip, 16 * PAGE_SIZE, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    assert_non_null(pm);
    long before = atomic_load(&mk_as.maps_in_use);
    char *sys = MmMapLockedPagesSpecifyCache(pm, KernelMode, MmCached, NULL, FALSE, NX);
    assert_non_null(sys);
    assert_int_equal(mk_va_region(sys), MK_RGN_DIRECT);
    assert_int_equal(atomic_load(&mk_as.maps_in_use), before); /* no mmap */
    assert_int_equal(mk_va_to_pfn(sys), MmGetMdlPfnArray(pm)[0]);
    MmUnmapLockedPages(sys, pm);
    /* read-only: a real read-only mapping in the system-mapping region */
    char *ro = MmMapLockedPagesSpecifyCache(pm, KernelMode, MmCached, NULL, FALSE, NX | MdlMappingNoWrite);
    assert_non_null(ro);
    assert_int_equal(mk_va_region(ro), MK_RGN_SYSMAP);
    assert_int_equal(mk_va_bits(ro) & (MK_PG_WRITE | MK_PG_EXEC), 0);
    assert_true(mk_va_bits(ro) & MK_PG_READ);
    MmUnmapLockedPages(ro, pm);
    MmFreePagesFromMdl(pm);
    ExFreePool(pm);
}

static void test_scattered_pfns_match(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
    PMDL pm = MmAllocatePagesForMdl(lo, hi, skip, 8 * PAGE_SIZE);
    char *sys = MmGetSystemAddressForMdlSafe(pm, NX);
    assert_int_equal(mk_va_region(sys), MK_RGN_SYSMAP);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(mk_va_to_pfn(sys + i * PAGE_SIZE), MmGetMdlPfnArray(pm)[i]);
        sys[i * PAGE_SIZE] = (char)i;
        assert_int_equal(*(char *)mk_pfn_to_direct(MmGetMdlPfnArray(pm)[i]), i);
    }
    MmFreePagesFromMdl(pm); /* releases the mapping too */
    assert_int_equal(mk_va_bits(sys) & MK_PG_MAPPED, 0);
    ExFreePool(pm);
}

static NTSTATUS map_user(PMDL m, PVOID req, PVOID *out)
{
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { *out = MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, req, FALSE, NormalPagePriority); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    return st;
}

static void unmap_user_bad(void *arg)
{
    PMDL m = arg;
    MmUnmapLockedPages((char *)MmHighestUserAddress - 0x100000, m);
}

static void test_user_mapping(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 2 * PAGE_SIZE, 'tsTM');
    PMDL m = IoAllocateMdl(np, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m); /* allowed for user mappings */
    PVOID uva = NULL;
    assert_int_equal(map_user(m, NULL, &uva), STATUS_SUCCESS);
    assert_int_equal(mk_va_region(uva), MK_RGN_USER);
    assert_false(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_false(mk_va_bits(uva) & MK_PG_EXEC);
    ((char *)uva)[5] = 'x';
    assert_int_equal(np[5], 'x');
    mk_expect_bugcheck(unmap_user_bad, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB9, (char *)MmHighestUserAddress - 0x100000,
                       m, 0);
    MmUnmapLockedPages(uva, m);
    /* requested addresses */
    char *want = (char *)PAGE_ALIGN(uva);
    PVOID got = NULL;
    assert_int_equal(map_user(m, want, &got), STATUS_SUCCESS);
    assert_ptr_equal(got, want);
    PVOID got2 = NULL;
    assert_int_equal(map_user(m, want, &got2), STATUS_CONFLICTING_ADDRESSES);
    assert_int_equal(map_user(m, want + 1, &got2), STATUS_INVALID_ADDRESS);
    assert_int_equal(map_user(m, np, &got2), STATUS_INVALID_ADDRESS);
    MmUnmapLockedPages(got, m);
    IoFreeMdl(m);
    ExFreePoolWithTag(np, 'tsTM');
}

static void test_foreign_mapping(void **state)
{
    (void)state;
    static char host[2 * 4096] __attribute__((aligned(4096)));
    PMDL m = IoAllocateMdl(host + 3, 5000, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoReadAccess);
    char *sys = MmGetSystemAddressForMdlSafe(m, NX);
    assert_ptr_equal(sys, host + 3); /* host memory cannot be aliased: its own address */
    MmUnlockPages(m);
    /* scattered foreign pages cannot be mapped */
    MmGetMdlPfnArray(m)[1] += 7;
    m->MdlFlags |= MDL_PAGES_LOCKED; /* hand-built, as some drivers do */
    assert_null(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NX));
    m->MdlFlags &= ~MDL_PAGES_LOCKED;
    IoFreeMdl(m);
}

static void map_bugcheck_on_failure(void *arg)
{
    MmMapLockedPagesSpecifyCache((PMDL)arg, KernelMode, MmCached, NULL, TRUE, NX);
}

static void test_budget_exhaustion(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
    PMDL pm = MmAllocatePagesForMdl(lo, hi, skip, 4 * PAGE_SIZE);
    long saved = mk_as.maps_budget;
    mk_as.maps_budget = atomic_load(&mk_as.maps_in_use); /* nothing left */
    assert_null(MmMapLockedPagesSpecifyCache(pm, KernelMode, MmCached, NULL, FALSE, HighPagePriority | MdlMappingNoExecute));
    assert_false(pm->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    mk_expect_bugcheck(map_bugcheck_on_failure, pm, NO_MORE_SYSTEM_PTES, 0, 4, 0, 0);
    mk_as.maps_budget = saved;
    MmFreePagesFromMdl(pm);
    ExFreePool(pm);
}

static void test_partial_reuse_check(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    PMDL m = lock_user(u, PAGE_SIZE, 0);
    MmPrepareMdlForReuse(m); /* not mapped: fine */
    assert_non_null(MmGetSystemAddressForMdlSafe(m, NX));
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck((void (*)(void *))mdlkit_mdl_reuse_check, m, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xB8);
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_mapping_aliases_user_buffer),
        cmocka_unit_test(test_unmap_explicit_and_misuse_codes),
        cmocka_unit_test(test_contiguous_uses_direct_map),
        cmocka_unit_test(test_scattered_pfns_match),
        cmocka_unit_test(test_user_mapping),
        cmocka_unit_test(test_foreign_mapping),
        cmocka_unit_test(test_budget_exhaustion),
        cmocka_unit_test(test_partial_reuse_check),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
