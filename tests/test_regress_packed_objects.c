/* False alarm found while reviewing the hostile-argument sweep's object
 * checks: a DDI raised STATUS_DATATYPE_MISALIGNMENT for an object at an
 * address not aligned for its type. On x64 Windows misaligned accesses work
 * in kernel mode, so a driver whose KEVENT, LIST_ENTRY or UNICODE_STRING
 * sits in a `#pragma pack(1)` structure (or a byte buffer it carves) runs
 * cleanly there; mdlkit must run it the same way, checker on. Only an
 * alignment a DDI documents is enforced (RtlInitializeBitMap's ULONG
 * buffer). */
#include "testutil.h"

#include <ntstrsafe.h>

static UCHAR g_raw[1024];

static void test_misaligned_objects_work_as_on_windows(void **state)
{
    (void)state;
    /* objects at odd offsets of one byte buffer, as a packed structure
     * would place them */
    PKEVENT ev = (PKEVENT)(g_raw + 1);
    PLIST_ENTRY head = (PLIST_ENTRY)(g_raw + 65);
    PLIST_ENTRY entry = (PLIST_ENTRY)(g_raw + 99);
    PUNICODE_STRING name = (PUNICODE_STRING)(g_raw + 131);
    PUNICODE_STRING copy = (PUNICODE_STRING)(g_raw + 163);
    PWCHAR copy_buf = (PWCHAR)(g_raw + 201); /* a wide buffer at an odd address */
    PKSPIN_LOCK lock = (PKSPIN_LOCK)(g_raw + 301);

    KeInitializeEvent(ev, NotificationEvent, FALSE);
    assert_int_equal(KeReadStateEvent(ev), 0);
    assert_int_equal(KeSetEvent(ev, IO_NO_INCREMENT, FALSE), 0);
    assert_int_equal(KeReadStateEvent(ev), 1);
    LARGE_INTEGER zero = {0};
    assert_int_equal(KeWaitForSingleObject(ev, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    KeClearEvent(ev);

    InitializeListHead(head);
    InsertTailList(head, entry);
    assert_ptr_equal(head->Flink, entry);
    assert_ptr_equal(RemoveHeadList(head), entry);
    assert_true(IsListEmpty(head));

    RtlInitUnicodeString(name, L"packed");
    assert_int_equal(name->Length, 12);
    RtlInitEmptyUnicodeString(copy, copy_buf, 32);
    RtlCopyUnicodeString(copy, name);
    assert_true(RtlEqualUnicodeString(copy, name, FALSE));
    assert_int_equal(RtlUnicodeStringCat(copy, name), STATUS_SUCCESS);
    assert_int_equal(copy->Length, 24);
    size_t n = 0;
    assert_int_equal(RtlStringCchLengthW(copy_buf, 16, &n), STATUS_SUCCESS);
    assert_int_equal(n, 12);

    KeInitializeSpinLock(lock);
    KIRQL old;
    KeAcquireSpinLock(lock, &old);
    KeReleaseSpinLock(lock, old);
}

static void bitmap_misaligned(void *arg)
{
    (void)arg;
    RTL_BITMAP bm;
    RtlInitializeBitMap(&bm, (PULONG)(g_raw + 513), 64);
}

static void test_documented_alignment_still_enforced(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(bitmap_misaligned, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_DATATYPE_MISALIGNMENT);
}

static int setup_standard(void **state)
{
    (void)state;
    return mk_test_setup_flags(MDLKIT_VERIFY_STANDARD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_misaligned_objects_work_as_on_windows, setup_standard, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_documented_alignment_still_enforced, setup_standard,
                                        mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
