/* IoBuildPartialMdl: offsets, Length 0, PFN slice, flags, shared mapping, reuse, misuse. */
#include "testutil.h"
#include <wdm.h>
#include "mk_machine.h"
#include "mk_mdl.h"

#define NX (NormalPagePriority | MdlMappingNoExecute)

typedef struct {
    PMDL src, dst;
    PVOID va;
    ULONG len;
} partial_args;
static void build_partial(void *arg)
{
    partial_args *a = arg;
    IoBuildPartialMdl(a->src, a->dst, a->va, a->len);
}

static void test_slice_and_flags(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(8 * PAGE_SIZE, PAGE_READWRITE);
    PMDL src = IoAllocateMdl(u + 200, 7 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(src, UserMode, IoWriteAccess);
    PMDL p = IoAllocateMdl(NULL, 8 * PAGE_SIZE, FALSE, FALSE, NULL); /* S13: NULL VA, max length */
    char *va = u + 200 + 2 * PAGE_SIZE + 50;
    IoBuildPartialMdl(src, p, va, 3 * PAGE_SIZE);
    assert_ptr_equal(MmGetMdlVirtualAddress(p), va);
    assert_int_equal(p->ByteCount, 3 * PAGE_SIZE);
    assert_int_equal(p->ByteOffset, BYTE_OFFSET(va));
    assert_ptr_equal(p->Process, src->Process);
    assert_int_equal(p->MdlFlags, MDL_ALLOCATED_FIXED_SIZE | MDL_PARTIAL);
    ULONG n = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, 3 * PAGE_SIZE);
    for (ULONG i = 0; i < n; i++)
        assert_int_equal(MmGetMdlPfnArray(p)[i], MmGetPhysicalAddress((char *)PAGE_ALIGN(va) + i * PAGE_SIZE).QuadPart >> PAGE_SHIFT);
    /* its own mapping, released by MmPrepareMdlForReuse */
    char *sys = MmGetSystemAddressForMdlSafe(p, NX);
    assert_non_null(sys);
    assert_true(p->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
    sys[0] = 'p';
    assert_int_equal(*va, 'p');
    MmPrepareMdlForReuse(p);
    assert_false(p->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED));
    /* Length 0: to the end of the source */
    IoBuildPartialMdl(src, p, va, 0);
    assert_int_equal(p->ByteCount, (u + 200 + 7 * PAGE_SIZE) - va);
    /* mapped again, then IoFreeMdl unmaps it */
    sys = MmGetSystemAddressForMdlSafe(p, NX);
    PFN_NUMBER pfn0 = MmGetMdlPfnArray(p)[0];
    assert_int_equal(atomic_load(&mk_pfn(pfn0)->maps), 1);
    IoFreeMdl(p);
    assert_int_equal(atomic_load(&mk_pfn(pfn0)->maps), 0);
    MmUnlockPages(src);
    IoFreeMdl(src);
    mdlkit_user_free(u);
}

static void unmap_partial(void *arg)
{
    PMDL p = arg;
    MmUnmapLockedPages(p->MappedSystemVa, p);
}

static void test_shares_parent_mapping(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(4 * PAGE_SIZE, PAGE_READWRITE);
    PMDL src = IoAllocateMdl(u, 4 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(src, UserMode, IoReadAccess);
    char *sys = MmGetSystemAddressForMdlSafe(src, NX);
    PMDL p = IoAllocateMdl(NULL, 4 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(src, p, u + PAGE_SIZE + 8, PAGE_SIZE);
    assert_true(p->MdlFlags & MDL_PARENT_MAPPED_SYSTEM_VA);
    assert_true(p->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(p, NX), sys + PAGE_SIZE + 8);
    mk_expect_bugcheck(unmap_partial, p, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB5, p, p->MdlFlags, MDL_PARTIAL);
    MmPrepareMdlForReuse(p);
    IoFreeMdl(p); /* does not touch the parent's mapping */
    assert_true(mk_va_bits(sys) & MK_PG_MAPPED);
    MmUnlockPages(src);
    IoFreeMdl(src);
    mdlkit_user_free(u);
}

static void test_nonpaged_source(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 3 * PAGE_SIZE, 'tsTM');
    PMDL src = IoAllocateMdl(np, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(src);
    PMDL p = IoAllocateMdl(NULL, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(src, p, np + 100, 200);
    assert_true(p->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(p, NX), np + 100);
    IoFreeMdl(p);
    IoFreeMdl(src);
    ExFreePoolWithTag(np, 'tsTM');
}

static void test_misuse(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 40 * PAGE_SIZE, 'tsTM');
    PMDL src = IoAllocateMdl(np, 40 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(src);
    PMDL small = IoAllocateMdl(NULL, 2 * PAGE_SIZE, FALSE, FALSE, NULL); /* Size: 2 PFNs */
    partial_args a = {src, small, np, 30 * PAGE_SIZE};
    mk_expect_bugcheck(build_partial, &a, TARGET_MDL_TOO_SMALL, 0, 0, 0, 0);
    /* the block has room for more, but the MDL's Size says 2 (wintun PR #4) */
    a.len = 3 * PAGE_SIZE;
    mk_expect_bugcheck(build_partial, &a, TARGET_MDL_TOO_SMALL, 0, 0, 0, 0);
    a.len = 2 * PAGE_SIZE; /* exactly fits */
    build_partial(&a);
    assert_int_equal(small->ByteCount, 2 * PAGE_SIZE);
    a.va = np - 1;
    a.len = 10;
    mk_expect_bugcheck(build_partial, &a, INVALID_MDL_RANGE, src, small, np - 1, 10);
    a.va = np + 39 * PAGE_SIZE;
    a.len = 2 * PAGE_SIZE;
    mk_expect_bugcheck(build_partial, &a, INVALID_MDL_RANGE, src, small, a.va, a.len);
    IoFreeMdl(small);
    IoFreeMdl(src);
    ExFreePoolWithTag(np, 'tsTM');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_and_flags),
        cmocka_unit_test(test_shares_parent_mapping),
        cmocka_unit_test(test_nonpaged_source),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
