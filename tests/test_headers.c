/* The WDK-compatible headers: type widths, the MDL layout, constants and the
 * page macros, as driver code sees them. No runtime needed. */
#include "testutil.h"

#include <ntddk.h>
#include <storport.h>
#include <ndis.h>

static void test_type_widths(void **state)
{
    (void)state;
    assert_int_equal(sizeof(UCHAR), 1);
    assert_int_equal(sizeof(CSHORT), 2);
    assert_int_equal(sizeof(USHORT), 2);
    assert_int_equal(sizeof(ULONG), 4); /* LLP64: ULONG is 32-bit on x64 Windows */
    assert_int_equal(sizeof(LONG), 4);
    assert_int_equal(sizeof(NTSTATUS), 4);
    assert_int_equal(sizeof(ULONG64), 8);
    assert_int_equal(sizeof(ULONG_PTR), sizeof(void *));
    assert_int_equal(sizeof(SIZE_T), 8);
    assert_int_equal(sizeof(PFN_NUMBER), 8);
    assert_int_equal(sizeof(POOL_FLAGS), 8);
    assert_int_equal(sizeof(PHYSICAL_ADDRESS), 8);
    assert_int_equal(sizeof(KIRQL), 1);
    assert_int_equal(sizeof(KPROCESSOR_MODE), 1);
    assert_int_equal(sizeof(BOOLEAN), 1);
    assert_int_equal(sizeof(WCHAR), 2);
    /* NTSTATUS is signed: errors are negative */
    assert_true(STATUS_ACCESS_VIOLATION < 0);
    assert_false(NT_SUCCESS(STATUS_INSUFFICIENT_RESOURCES));
    assert_true(NT_SUCCESS(STATUS_PENDING));
}

static void test_mdl_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(MDL), 0x30);
    assert_int_equal(offsetof(MDL, Next), 0x00);
    assert_int_equal(offsetof(MDL, Size), 0x08);
    assert_int_equal(offsetof(MDL, MdlFlags), 0x0A);
    assert_int_equal(offsetof(MDL, Process), 0x10);
    assert_int_equal(offsetof(MDL, MappedSystemVa), 0x18);
    assert_int_equal(offsetof(MDL, StartVa), 0x20);
    assert_int_equal(offsetof(MDL, ByteCount), 0x28);
    assert_int_equal(offsetof(MDL, ByteOffset), 0x2C);
    MDL m;
    /* the PFN array follows the header directly */
    assert_ptr_equal((char *)MmGetMdlPfnArray(&m), (char *)&m + 0x30);
}

static void test_mdl_flags_and_enums(void **state)
{
    (void)state;
    static const struct {
        long value, expected;
    } v[] = {
        {MDL_MAPPED_TO_SYSTEM_VA, 0x0001}, {MDL_PAGES_LOCKED, 0x0002},
        {MDL_SOURCE_IS_NONPAGED_POOL, 0x0004}, {MDL_ALLOCATED_FIXED_SIZE, 0x0008},
        {MDL_PARTIAL, 0x0010}, {MDL_PARTIAL_HAS_BEEN_MAPPED, 0x0020},
        {MDL_IO_PAGE_READ, 0x0040}, {MDL_WRITE_OPERATION, 0x0080},
        {MDL_LOCKED_PAGE_TABLES, 0x0100}, {MDL_PARENT_MAPPED_SYSTEM_VA, 0x0100},
        {MDL_FREE_EXTRA_PTES, 0x0200}, {MDL_DESCRIBES_AWE, 0x0400},
        {MDL_IO_SPACE, 0x0800}, {MDL_NETWORK_HEADER, 0x1000},
        {MDL_MAPPING_CAN_FAIL, 0x2000}, {MDL_PAGE_CONTENTS_INVARIANT, 0x4000},
        {MDL_ALLOCATED_MUST_SUCCEED, 0x4000}, {MDL_INTERNAL, 0x8000},
        {NonPagedPool, 0}, {PagedPool, 1}, {NonPagedPoolMustSucceed, 2},
        {NonPagedPoolCacheAligned, 4}, {NonPagedPoolNx, 512}, {NonPagedPoolSession, 32},
        {LowPoolPriority, 0}, {NormalPoolPrioritySpecialPoolUnderrun, 25}, {HighPoolPriority, 32},
        {PASSIVE_LEVEL, 0}, {APC_LEVEL, 1}, {DISPATCH_LEVEL, 2}, {HIGH_LEVEL, 15},
        {KernelMode, 0}, {UserMode, 1},
        {IoReadAccess, 0}, {IoWriteAccess, 1}, {IoModifyAccess, 2},
        {MmNonCached, 0}, {MmCached, 1}, {MmWriteCombined, 2}, {MmNotMapped, -1},
        {LowPagePriority, 0}, {NormalPagePriority, 16}, {HighPagePriority, 32},
        {MM_DONT_ZERO_ALLOCATION, 1}, {MM_ALLOCATE_FULLY_REQUIRED, 4},
        {MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, 0x20}, {MM_ALLOCATE_AND_HOT_REMOVE, 0x100},
        {POOL_RAISE_IF_ALLOCATION_FAILURE, 16},
        {STOR_STATUS_SUCCESS, 0}, {(long)STOR_STATUS_NOT_IMPLEMENTED, (long)0xC1000002},
        {(long)STOR_STATUS_INVALID_IRQL, (long)0xC1000008},
        {ExtFunctionAllocatePool, 0}, {ExtFunctionAllocateMdl, 2},
        {ExtFunctionGetSystemAddress, 5}, {ExtFunctionAllocateContiguousMemorySpecifyCacheNode, 24},
        {ExtFunctionFreeContiguousMemorySpecifyCache, 25},
        {NDIS_STATUS_SUCCESS, 0}, {NDIS_STATUS_RESOURCES, (int)0xC000009A},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xC4}, {BAD_POOL_CALLER, 0xC2},
        {TARGET_MDL_TOO_SMALL, 0x40}, {INVALID_MDL_RANGE, 0x12E},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i].value != v[i].expected)
            fail_msg("entry %zu: %ld != %ld", i, v[i].value, v[i].expected);
    assert_int_equal(MdlMappingNoWrite, 0x80000000UL);
    assert_int_equal(MdlMappingNoExecute, 0x40000000UL);
    assert_int_equal(POOL_FLAG_NON_PAGED, 0x40ULL);
    assert_int_equal(POOL_FLAG_SPECIAL_POOL, 0x100000000ULL);
    assert_int_equal((ULONG)STATUS_INSUFFICIENT_RESOURCES, 0xC000009Au);
}

static void test_page_macros(void **state)
{
    (void)state;
    char *va = (char *)0x12345678;
    assert_int_equal(PAGE_SIZE, 4096);
    assert_int_equal(BYTE_OFFSET(va), 0x678);
    assert_ptr_equal(PAGE_ALIGN(va), (void *)0x12345000);
    assert_int_equal(ROUND_TO_PAGES(1), 4096);
    assert_int_equal(ROUND_TO_PAGES(4096), 4096);
    assert_int_equal(ROUND_TO_PAGES(4097), 8192);
    assert_int_equal(BYTES_TO_PAGES(0), 0);
    assert_int_equal(BYTES_TO_PAGES(1), 1);
    assert_int_equal(BYTES_TO_PAGES(4096), 1);
    assert_int_equal(BYTES_TO_PAGES(4097), 2);
    /* no overflow near the top of the range */
    assert_int_equal(BYTES_TO_PAGES((SIZE_T)-1), ((SIZE_T)-1 >> 12) + 1);
    /* a size of 0 spans 0 pages when aligned, 1 when not */
    assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1000, 0), 0);
    assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1001, 0), 1);
    assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1FFF, 2), 2);
    assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1000, 4096), 1);
    assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1800, 0x2000), 3);
    assert_int_equal(COMPUTE_PAGES_SPANNED((void *)0x1800, 0x2000), 3);
}

static void test_mm_initialize_mdl_and_accessors(void **state)
{
    (void)state;
    struct {
        MDL mdl;
        PFN_NUMBER pfn[4];
    } m;
    memset(&m, 0xAB, sizeof m);
    PMDL mdl = &m.mdl;
    void *proc = mdl->Process;
    void *msva = mdl->MappedSystemVa;
    MmInitializeMdl(mdl, (void *)0x7000123, 0x2000);
    assert_null(mdl->Next);
    assert_int_equal(mdl->Size, sizeof(MDL) + 3 * sizeof(PFN_NUMBER));
    assert_int_equal(mdl->MdlFlags, 0);
    assert_ptr_equal(mdl->StartVa, (void *)0x7000000);
    assert_int_equal(mdl->ByteOffset, 0x123);
    assert_int_equal(mdl->ByteCount, 0x2000);
    /* MmInitializeMdl leaves Process and MappedSystemVa alone */
    assert_ptr_equal(mdl->Process, proc);
    assert_ptr_equal(mdl->MappedSystemVa, msva);
    assert_ptr_equal(MmGetMdlVirtualAddress(mdl), (void *)0x7000123);
    assert_int_equal(MmGetMdlByteCount(mdl), 0x2000);
    assert_int_equal(MmGetMdlByteOffset(mdl), 0x123);
    assert_ptr_equal(MmGetMdlBaseVa(mdl), (void *)0x7000000);
}

static void test_tag_literals_and_lists(void **state)
{
    (void)state;
    ULONG tag = 'gaT1';
    /* stored little-endian: the bytes in memory read "1Tag" */
    assert_memory_equal(&tag, "1Tag", 4);
    LIST_ENTRY head, a, b;
    InitializeListHead(&head);
    assert_true(IsListEmpty(&head));
    InsertTailList(&head, &a);
    InsertHeadList(&head, &b);
    assert_ptr_equal(RemoveHeadList(&head), &b);
    assert_ptr_equal(RemoveTailList(&head), &a);
    assert_true(IsListEmpty(&head));
    struct outer {
        int x;
        LIST_ENTRY link;
    } o;
    assert_ptr_equal(CONTAINING_RECORD(&o.link, struct outer, link), &o);
}

/* Power states (device extensions of PnP drivers carry them) and
 * STATUS_NO_MATCH, as the WDK defines them. */
static void test_power_states_and_status(void **state)
{
    (void)state;
    assert_int_equal(PowerSystemUnspecified, 0);
    assert_int_equal(PowerSystemWorking, 1);
    assert_int_equal(PowerSystemSleeping3, 4);
    assert_int_equal(PowerSystemHibernate, 5);
    assert_int_equal(PowerSystemShutdown, 6);
    assert_int_equal(PowerSystemMaximum, 7);
    assert_int_equal(PowerDeviceUnspecified, 0);
    assert_int_equal(PowerDeviceD0, 1);
    assert_int_equal(PowerDeviceD3, 4);
    assert_int_equal(PowerDeviceMaximum, 5);
    assert_int_equal(DevicePowerState, 1);
    POWER_STATE ps;
    ps.DeviceState = PowerDeviceD2;
    assert_int_equal(sizeof ps, 4);
    assert_int_equal(ps.SystemState, PowerSystemSleeping2);
    assert_int_equal(STATUS_NO_MATCH, (NTSTATUS)0xC0000272L);
    assert_string_equal(mdlkit_ntstatus_name(STATUS_NO_MATCH), "STATUS_NO_MATCH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_widths),
        cmocka_unit_test(test_mdl_layout),
        cmocka_unit_test(test_mdl_flags_and_enums),
        cmocka_unit_test(test_page_macros),
        cmocka_unit_test(test_mm_initialize_mdl_and_accessors),
        cmocka_unit_test(test_tag_literals_and_lists),
        cmocka_unit_test(test_power_states_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
