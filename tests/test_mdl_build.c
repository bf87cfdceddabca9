/* MmBuildMdlForNonPagedPool, MmSizeOfMdl, MmCreateMdl, MmInitializeMdl and the accessors. */
#include "testutil.h"
#include <wdm.h>
#include "mk_machine.h"
#include "mk_mdl.h"

static void test_build_nonpaged_pool(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, 3 * PAGE_SIZE, 'tsTM');
    PMDL m = IoAllocateMdl(buf + 8, 2 * PAGE_SIZE + 100, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    assert_true(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_false(m->MdlFlags & MDL_PAGES_LOCKED);
    assert_false(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_ptr_equal(m->MappedSystemVa, buf + 8);
    assert_null(m->Process);
    ULONG n = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(m), MmGetMdlByteCount(m));
    PPFN_NUMBER pfn = MmGetMdlPfnArray(m);
    for (ULONG i = 0; i < n; i++) {
        char *va = (char *)PAGE_ALIGN(buf + 8) + i * PAGE_SIZE;
        assert_int_equal(pfn[i], MmGetPhysicalAddress(va).QuadPart >> PAGE_SHIFT);
    }
    /* the system address is the buffer itself */
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), buf + 8);
    IoFreeMdl(m);
    ExFreePoolWithTag(buf, 'tsTM');
}

static void test_build_contiguous_and_pages(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS hi;
    hi.QuadPart = -1LL & 0x7FFFFFFFFFFFFFFFLL;
    char *c = MmAllocateContiguousMemory(2 * PAGE_SIZE, hi);
    assert_non_null(c);
    PMDL m = IoAllocateMdl(c + 16, 64, FALSE, FALSE, NULL); /* interior of a common buffer (S19) */
    MmBuildMdlForNonPagedPool(m);
    assert_int_equal(MmGetMdlPfnArray(m)[0], MmGetPhysicalAddress(c).QuadPart >> PAGE_SHIFT);
    IoFreeMdl(m);
    MmFreeContiguousMemory(c);

    PHYSICAL_ADDRESS lo, skip;
    lo.QuadPart = 0;
    skip.QuadPart = 0;
    PMDL pm = MmAllocatePagesForMdl(lo, hi, skip, 3 * PAGE_SIZE);
    char *sys = MmGetSystemAddressForMdlSafe(pm, NormalPagePriority | MdlMappingNoExecute);
    assert_non_null(sys);
    PMDL m2 = IoAllocateMdl(sys, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m2);
    assert_memory_equal(MmGetMdlPfnArray(m2), MmGetMdlPfnArray(pm), 3 * sizeof(PFN_NUMBER));
    IoFreeMdl(m2);
    MmUnmapLockedPages(sys, pm);
    MmFreePagesFromMdl(pm);
    ExFreePool(pm);
}

static void test_foreign_memory_accepted(void **state)
{
    (void)state;
    static char host[2 * 4096] __attribute__((aligned(4096)));
    PMDL m = IoAllocateMdl(host, sizeof host, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    assert_int_equal(MmGetMdlPfnArray(m)[0], MK_FOREIGN_PFN_BASE + ((uintptr_t)host >> PAGE_SHIFT));
    assert_int_equal(MmGetMdlPfnArray(m)[1], MmGetMdlPfnArray(m)[0] + 1);
    assert_int_equal(mk_mdl_memory_kinds(host, sizeof host), MK_MEM_FOREIGN);
    IoFreeMdl(m);
}

static void build_paged(void *arg) { MmBuildMdlForNonPagedPool((PMDL)arg); }

static void test_paged_pool_under_ddi_compliance(void **state)
{
    (void)state;
    char *pp = ExAllocatePoolWithTag(PagedPool, 100, 'tsTM');
    PMDL m = IoAllocateMdl(pp, 100, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m); /* accepted as Windows accepts it */
    assert_true(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_int_equal(mk_mdl_memory_kinds(pp, 100), MK_MEM_PPOOL);
    IoFreeMdl(m);
    ExFreePoolWithTag(pp, 'tsTM');

    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_DDI_COMPLIANCE;
    assert_int_equal(mdlkit_init(&c), 0);
    pp = ExAllocatePoolWithTag(PagedPool, 100, 'tsTM');
    m = IoAllocateMdl(pp, 100, FALSE, FALSE, NULL);
    mk_expect_bugcheck(build_paged, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, PASSIVE_LEVEL, m, m->MdlFlags);
    IoFreeMdl(m);
    ExFreePoolWithTag(pp, 'tsTM');
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

static void test_unmapped_address(void **state)
{
    (void)state;
    /* a user-region page with no frame behind it */
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    char *hole = u + PAGE_SIZE; /* the guard page after the buffer */
    PMDL m = IoAllocateMdl(hole, 10, FALSE, FALSE, NULL);
    mk_expect_bugcheck(build_paged, m, MEMORY_MANAGEMENT, 0x1240, m, hole, 0);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

static void test_size_and_create(void **state)
{
    (void)state;
    assert_int_equal(MmSizeOfMdl(NULL, 0), sizeof(MDL));
    assert_int_equal(MmSizeOfMdl(NULL, 1), sizeof(MDL) + 8);
    assert_int_equal(MmSizeOfMdl((PVOID)0xFFF, 2), sizeof(MDL) + 16);
    assert_int_equal(MmSizeOfMdl((PVOID)0x1000, 3 * PAGE_SIZE), sizeof(MDL) + 24);
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, 2 * PAGE_SIZE, 'tsTM');
    PMDL m = MmCreateMdl(NULL, buf + 10, PAGE_SIZE);
    assert_non_null(m);
    assert_int_equal(m->MdlFlags, 0);
    assert_int_equal(m->Size, MmSizeOfMdl(buf + 10, PAGE_SIZE));
    assert_ptr_equal(MmGetMdlVirtualAddress(m), buf + 10);
    MmBuildMdlForNonPagedPool(m);
    ExFreePool(m);
    /* caller-provided storage: MmInitializeMdl semantics */
    union {
        MDL mdl;
        char space[sizeof(MDL) + 4 * sizeof(PFN_NUMBER)];
    } s;
    PMDL own = MmCreateMdl(&s.mdl, buf, PAGE_SIZE);
    assert_ptr_equal(own, &s.mdl);
    assert_int_equal(MmGetMdlByteCount(own), PAGE_SIZE);
    assert_int_equal(MmGetMdlByteOffset(own), BYTE_OFFSET(buf));
    assert_ptr_equal(MmGetMdlBaseVa(own), PAGE_ALIGN(buf));
    MmInitializeMdl(own, buf + 1, 5);
    assert_int_equal(own->ByteOffset, BYTE_OFFSET(buf + 1));
    ExFreePoolWithTag(buf, 'tsTM');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_nonpaged_pool),
        cmocka_unit_test(test_build_contiguous_and_pages),
        cmocka_unit_test(test_foreign_memory_accepted),
        cmocka_unit_test(test_paged_pool_under_ddi_compliance),
        cmocka_unit_test(test_unmapped_address),
        cmocka_unit_test(test_size_and_create),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
