/* Run-time library odds and ends: bitmaps, versions, random numbers,
 * sequenced and interlocked lists (under threads), interlocked operations,
 * bit scans, byte swaps, GUIDs, packing and I/O control codes. */
#include "testutil.h"
#include <pthread.h>
#include <initguid.h>
#include <devioctl.h>

DEFINE_GUID(TEST_GUID, 0x6a2d1f3e, 0x1234, 0x4a5b, 0x9c, 0x8d, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);

#include <pshpack1.h>
typedef struct {
    UCHAR a;
    ULONG b;
} PACKED1;
#include <poppack.h>
typedef struct {
    UCHAR a;
    ULONG b;
} NATURAL;

static void test_bitmap(void **state)
{
    (void)state;
    ULONG buf[3] = {0, 0, 0};
    RTL_BITMAP bm;
    RtlInitializeBitMap(&bm, buf, 70);
    assert_int_equal(RtlNumberOfSetBits(&bm), 0);
    assert_int_equal(RtlNumberOfClearBits(&bm), 70);
    RtlSetBits(&bm, 3, 40);
    assert_int_equal(RtlNumberOfSetBits(&bm), 40);
    assert_true(RtlAreBitsSet(&bm, 3, 40));
    assert_false(RtlAreBitsSet(&bm, 2, 40));
    assert_true(RtlAreBitsClear(&bm, 43, 27));
    assert_false(RtlAreBitsClear(&bm, 43, 28)); /* past the end */
    assert_int_equal(buf[0], 0xFFFFFFF8UL);
    assert_true(RtlTestBit(&bm, 42));
    assert_false(RtlTestBit(&bm, 43));
    assert_int_equal(RtlFindClearBits(&bm, 3, 0), 0);
    assert_int_equal(RtlFindClearBits(&bm, 5, 0), 43);
    assert_int_equal(RtlFindClearBits(&bm, 28, 0), 0xFFFFFFFFUL);
    assert_int_equal(RtlFindClearBitsAndSet(&bm, 10, 50), 50);
    assert_true(RtlAreBitsSet(&bm, 50, 10));
    assert_int_equal(RtlFindSetBits(&bm, 10, 0), 3);
    assert_int_equal(RtlFindSetBitsAndClear(&bm, 10, 45), 50);
    assert_true(RtlAreBitsClear(&bm, 50, 10));
    ULONG start;
    assert_int_equal(RtlFindFirstRunClear(&bm, &start), 3);
    assert_int_equal(start, 0);
    assert_int_equal(RtlFindLongestRunClear(&bm, &start), 27);
    assert_int_equal(start, 43);
    assert_int_equal(RtlFindNextForwardRunClear(&bm, 5, &start), 27);
    RtlClearBits(&bm, 3, 40);
    RtlClearBit(&bm, 0);
    RtlSetBit(&bm, 69);
    assert_int_equal(RtlNumberOfSetBits(&bm), 1);
    RtlSetAllBits(&bm);
    assert_int_equal(RtlNumberOfSetBits(&bm), 70);
    RtlClearAllBits(&bm);
    assert_int_equal(RtlNumberOfSetBits(&bm), 0);
    assert_int_equal(RtlFindLeastSignificantBit(0x50), 4);
    assert_int_equal(RtlFindMostSignificantBit(0x50), 6);
    assert_int_equal(RtlFindMostSignificantBit(0), -1);
    assert_int_equal(RtlCheckBit(&bm, 5), 0);
}

static void bitmap_out_of_range(void *arg)
{
    (void)arg;
    ULONG buf[1] = {0};
    RTL_BITMAP bm;
    RtlInitializeBitMap(&bm, buf, 16);
    RtlSetBits(&bm, 10, 10);
}

static void test_bitmap_range(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(bitmap_out_of_range, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_ASSERTION_FAILURE);
}

static void test_version(void **state)
{
    (void)state;
    RTL_OSVERSIONINFOEXW v;
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    assert_int_equal(RtlGetVersion((PRTL_OSVERSIONINFOW)&v), STATUS_SUCCESS);
    assert_int_equal(v.dwMajorVersion, 10);
    assert_int_equal(v.dwMinorVersion, 0);
    assert_int_equal(v.dwBuildNumber, 26100);
    assert_int_equal(v.dwPlatformId, VER_PLATFORM_WIN32_NT);
    assert_int_equal(v.wProductType, VER_NT_WORKSTATION);
    v.dwOSVersionInfoSize = 12;
    assert_int_equal(RtlGetVersion((PRTL_OSVERSIONINFOW)&v), STATUS_INVALID_PARAMETER);
    assert_true(RtlIsNtDdiVersionAvailable(NTDDI_WIN7));
    assert_true(RtlIsNtDdiVersionAvailable(NTDDI_WIN11_GE));
    assert_false(RtlIsNtDdiVersionAvailable(NTDDI_WIN11_GE + 1));

    ULONGLONG m = 0;
    VER_SET_CONDITION(m, VER_MAJORVERSION, VER_GREATER_EQUAL);
    VER_SET_CONDITION(m, VER_MINORVERSION, VER_GREATER_EQUAL);
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    v.dwMajorVersion = 6;
    v.dwMinorVersion = 3;
    assert_int_equal(RtlVerifyVersionInfo(&v, VER_MAJORVERSION | VER_MINORVERSION, m), STATUS_SUCCESS);
    v.dwMajorVersion = 11;
    v.dwMinorVersion = 0;
    assert_int_equal(RtlVerifyVersionInfo(&v, VER_MAJORVERSION | VER_MINORVERSION, m), STATUS_REVISION_MISMATCH);
    assert_int_equal(RtlVerifyVersionInfo(&v, 0, m), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlVerifyVersionInfo(&v, VER_BUILDNUMBER, m), STATUS_INVALID_PARAMETER); /* no condition */
    v.dwBuildNumber = 19041;
    ULONGLONG bm = VerSetConditionMask(0, VER_BUILDNUMBER, VER_GREATER);
    assert_int_equal(RtlVerifyVersionInfo(&v, VER_BUILDNUMBER, bm), STATUS_SUCCESS);
    ULONG major, minor, build;
    WCHAR csd[32];
    UNICODE_STRING cs = {0, sizeof csd, csd};
    assert_false(PsGetVersion(&major, &minor, &build, &cs)); /* free build */
    assert_int_equal(major, 10);
    assert_int_equal(build, 26100);
    assert_int_equal(cs.Length, 0);
}

static void test_version_old_os(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = 0x06010100; /* Windows 7 SP1 */
    assert_int_equal(mdlkit_init(&c), 0);
    RTL_OSVERSIONINFOW v;
    v.dwOSVersionInfoSize = sizeof v;
    assert_int_equal(RtlGetVersion(&v), STATUS_SUCCESS);
    assert_int_equal(v.dwMajorVersion, 6);
    assert_int_equal(v.dwMinorVersion, 1);
    assert_int_equal(v.dwBuildNumber, 7601);
    assert_memory_equal(v.szCSDVersion, L"Service Pack 1", 30);
    assert_false(RtlIsNtDdiVersionAvailable(NTDDI_WIN8));
    assert_true(RtlIsServicePackVersionInstalled(NTDDI_WIN7));
    assert_false(RtlIsServicePackVersionInstalled(NTDDI_WIN8));
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

static void test_random(void **state)
{
    (void)state;
    ULONG s1 = 42, s2 = 42;
    for (int i = 0; i < 100; i++) {
        ULONG a = RtlRandomEx(&s1), b = RtlRandomEx(&s2);
        assert_int_equal(a, b);
        assert_true(a < 0x7FFFFFFFUL);
    }
    ULONG s = 1;
    ULONG first = RtlRandom(&s), second = RtlRandom(&s);
    assert_int_not_equal(first, second);
    ULONG u = 0;
    assert_int_equal(RtlUniform(&u), 0x7fffffc3UL);
}

#define SL_THREADS 4
#define SL_ITEMS 2000
typedef struct DECLSPEC_ALIGN(16) {
    SLIST_ENTRY e;
    int value;
} sl_item;
static SLIST_HEADER sl_head;
static sl_item sl_items[SL_THREADS][SL_ITEMS];
static LIST_ENTRY il_head;
static KSPIN_LOCK il_lock;
static LIST_ENTRY il_entries[SL_THREADS][SL_ITEMS];

static void *sl_worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < SL_ITEMS; i++) {
        sl_items[t][i].value = i;
        InterlockedPushEntrySList(&sl_head, &sl_items[t][i].e);
        ExInterlockedInsertTailList(&il_head, &il_entries[t][i], &il_lock);
        if (i % 2) {
            assert_non_null(InterlockedPopEntrySList(&sl_head));
            assert_non_null(ExInterlockedRemoveHeadList(&il_head, &il_lock));
        }
    }
    return NULL;
}

static void test_slist_threads(void **state)
{
    (void)state;
    InitializeSListHead(&sl_head);
    InitializeListHead(&il_head);
    KeInitializeSpinLock(&il_lock);
    assert_null(InterlockedPopEntrySList(&sl_head));
    pthread_t th[SL_THREADS];
    for (int t = 0; t < SL_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, sl_worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < SL_THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(ExQueryDepthSList(&sl_head), SL_THREADS * SL_ITEMS / 2);
    int n = 0;
    for (PSLIST_ENTRY e = InterlockedFlushSList(&sl_head); e; e = e->Next)
        n++;
    assert_int_equal(n, SL_THREADS * SL_ITEMS / 2);
    assert_int_equal(QueryDepthSList(&sl_head), 0);
    n = 0;
    while (ExInterlockedRemoveHeadList(&il_head, &il_lock))
        n++;
    assert_int_equal(n, SL_THREADS * SL_ITEMS / 2);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void slist_misaligned(void *arg)
{
    (void)arg;
    static SLIST_ENTRY e[2];
    InterlockedPushEntrySList(&sl_head, (PSLIST_ENTRY)((char *)&e[0] + 8));
}

static void test_lists(void **state)
{
    (void)state;
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    LIST_ENTRY head, a, b;
    InitializeListHead(&head);
    assert_null(ExInterlockedInsertHeadList(&head, &a, &lock));
    assert_ptr_equal(ExInterlockedInsertHeadList(&head, &b, &lock), &a);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&head, &lock), &b);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&head, &lock), &a);
    assert_null(ExInterlockedRemoveHeadList(&head, &lock));
    SINGLE_LIST_ENTRY sh = {NULL}, s1, s2;
    assert_null(ExInterlockedPushEntryList(&sh, &s1, &lock));
    assert_ptr_equal(ExInterlockedPushEntryList(&sh, &s2, &lock), &s1);
    assert_ptr_equal(ExInterlockedPopEntryList(&sh, &lock), &s2);
    PushEntryList(&sh, &s2);
    assert_ptr_equal(PopEntryList(&sh), &s2);
    ULONG counter = 5;
    assert_int_equal(ExInterlockedAddUlong(&counter, 3, &lock), 5);
    assert_int_equal(counter, 8);
    LARGE_INTEGER big = {.QuadPart = 1LL << 40}, inc = {.QuadPart = -1};
    assert_int_equal(ExInterlockedAddLargeInteger(&big, inc, &lock).QuadPart, 1LL << 40);
    assert_int_equal(big.QuadPart, (1LL << 40) - 1);
    ExInterlockedAddLargeStatistic(&big, 2);
    assert_int_equal(big.QuadPart, (1LL << 40) + 1);
    /* a chain pushed in one step */
    static sl_item chain[3];
    chain[0].e.Next = &chain[1].e;
    chain[1].e.Next = &chain[2].e;
    InitializeSListHead(&sl_head);
    assert_null(InterlockedPushListSListEx(&sl_head, &chain[0].e, &chain[2].e, 3));
    assert_int_equal(ExQueryDepthSList(&sl_head), 3);
    assert_ptr_equal(InterlockedPopEntrySList(&sl_head), &chain[0].e);
    assert_ptr_equal(FirstEntrySList(&sl_head), &chain[1].e);
    assert_int_equal(ExQueryDepthSList(&sl_head), 2);
    /* AppendTailList: a headless circular list goes to the tail */
    LIST_ENTRY h2, x, y, z;
    InitializeListHead(&head);
    InitializeListHead(&h2);
    InsertTailList(&head, &x);
    InsertTailList(&h2, &y);
    InsertTailList(&h2, &z);
    PLIST_ENTRY first = h2.Flink;
    RemoveEntryList(&h2);
    AppendTailList(&head, first);
    assert_ptr_equal(head.Flink, &x);
    assert_ptr_equal(x.Flink, &y);
    assert_ptr_equal(y.Flink, &z);
    assert_ptr_equal(z.Flink, &head);
    assert_ptr_equal(head.Blink, &z);
    mdlkit_bugcheck bc;
    InitializeSListHead(&sl_head);
    assert_int_equal(mdlkit_catch_bugcheck(slist_misaligned, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_DATATYPE_MISALIGNMENT);
}

static void test_interlocked_and_bits(void **state)
{
    (void)state;
    LONG l = 0x0F;
    assert_int_equal(InterlockedOr(&l, 0xF0), 0x0F);
    assert_int_equal(InterlockedAnd(&l, 0x3C), 0xFF);
    assert_int_equal(InterlockedXor(&l, 0xFF), 0x3C);
    assert_int_equal(l, 0xC3);
    LONG64 q = 1;
    assert_int_equal(InterlockedExchangeAdd64(&q, 5), 1);
    assert_int_equal(InterlockedAdd64(&q, 4), 10);
    assert_int_equal(InterlockedCompareExchange64(&q, 7, 10), 10);
    assert_int_equal(InterlockedExchange64(&q, 9), 7);
    assert_int_equal(InterlockedAdd(&l, 1), 0xC4);
    SHORT s = 1;
    assert_int_equal(InterlockedIncrement16(&s), 2);
    assert_int_equal(InterlockedCompareExchange16(&s, 5, 2), 2);
    CHAR c8 = 1;
    assert_int_equal(InterlockedOr8(&c8, 2), 1);
    assert_int_equal(ReadAcquire(&l), 0xC4);
    WriteRelease(&l, 3);
    assert_int_equal(ReadNoFence(&l), 3);
    WriteNoFence64(&q, 12);
    assert_int_equal(ReadNoFence64(&q), 12);
    assert_int_equal(InterlockedBitTestAndSet(&l, 4), 0);
    assert_int_equal(InterlockedBitTestAndReset(&l, 4), 1);
    _ReadWriteBarrier();
    KeMemoryBarrierWithoutFence();
    YieldProcessor();
    ULONG idx;
    assert_true(BitScanForward(&idx, 0x80));
    assert_int_equal(idx, 7);
    assert_true(BitScanReverse(&idx, 0x80000001UL));
    assert_int_equal(idx, 31);
    assert_false(BitScanForward(&idx, 0));
    assert_true(BitScanReverse64(&idx, 1ULL << 40));
    assert_int_equal(idx, 40);
    assert_int_equal(RotateLeft32(0x80000001UL, 1), 3);
    assert_int_equal(RotateRight64(1, 1), 0x8000000000000000ULL);
    assert_int_equal(RtlUshortByteSwap(0x1234), 0x3412);
    assert_int_equal(RtlUlongByteSwap(0x12345678UL), 0x78563412UL);
    assert_int_equal(RtlUlonglongByteSwap(0x0102030405060708ULL), 0x0807060504030201ULL);
    assert_int_equal(Int32x32To64(-2, 0x7FFFFFFF), -0xFFFFFFFELL);
    assert_int_equal(UInt32x32To64(0xFFFFFFFFUL, 2), 0x1FFFFFFFEULL);
    assert_int_equal(Int64ShllMod32(1, 33), 2);
    assert_int_equal(Int64ShraMod32(-8, 1), -4);
    assert_int_equal(Int64ShrlMod32(0x100, 36), 0x10);
    assert_int_equal(min(3, 4), 3);
    assert_int_equal(max(3, 4), 4);
    assert_int_equal(ALIGN_UP(5, ULONG), 8);
    assert_int_equal(ALIGN_DOWN(7, ULONG), 4);
    UCHAR mem[8] = {1, 2, 3, 4, 1, 2, 3, 5};
    assert_int_equal(RtlCompareMemory(mem, mem + 4, 4), 3);
    ULONG pat[3] = {0xAB, 0xAB, 0xCD};
    assert_int_equal(RtlCompareMemoryUlong(pat, sizeof pat, 0xAB), 8);
    UCHAR z[6] = {9, 9, 9, 9, 9, 9};
    RtlZeroBytes(z, 3);
    RtlFillBytes(z + 3, 3, 7);
    RtlSecureZeroMemory(z, 1);
    assert_int_equal(z[2], 0);
    assert_int_equal(z[5], 7);
}

static void test_guid_pack_ioctl(void **state)
{
    (void)state;
    assert_int_equal(TEST_GUID.Data1, 0x6a2d1f3e);
    assert_int_equal(TEST_GUID.Data4[7], 0x06);
    GUID copy = TEST_GUID;
    assert_true(IsEqualGUID(&copy, &TEST_GUID));
    copy.Data2++;
    assert_false(InlineIsEqualGUID(&copy, &TEST_GUID));
    assert_int_equal(sizeof(PACKED1), 5);
    assert_int_equal(sizeof(NATURAL), 8);
    ULONG code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
    assert_int_equal(code, 0x00222402UL);
    assert_int_equal(DEVICE_TYPE_FROM_CTL_CODE(code), FILE_DEVICE_UNKNOWN);
    assert_int_equal(METHOD_FROM_CTL_CODE(code), METHOD_OUT_DIRECT);
    assert_int_equal(FILE_DEVICE_KS, 0x2f);
    assert_int_equal(FILE_DEVICE_MASS_STORAGE, 0x2d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap),         cmocka_unit_test(test_bitmap_range),
        cmocka_unit_test(test_version),        cmocka_unit_test(test_version_old_os),
        cmocka_unit_test(test_random),         cmocka_unit_test(test_slist_threads),
        cmocka_unit_test(test_lists),          cmocka_unit_test(test_interlocked_and_bits),
        cmocka_unit_test(test_guid_pack_ioctl),
    };
    return cmocka_run_group_tests_name("rtl_misc", tests, mk_test_setup, mk_test_teardown);
}
