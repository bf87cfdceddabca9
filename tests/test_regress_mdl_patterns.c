/* Regression tests for MDL bugs fixed in shipped drivers, each written from
 * the fix's description (no driver code copied), each with its buggy and
 * fixed variant of one small driver, run under the standard options:
 *
 *  - mdl_chain_only_head_released: ZFSin PR 227 ("only the head of the MDL
 *    chain was unlocked and freed"): the other MDLs of the chain keep their
 *    pages locked. Driver Verifier (Pool Tracking) at the unload: 0xCB
 *    DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS naming a chained MDL.
 *  - pages_for_mdl_structure_not_freed: virtio-win viofs PR 1022: after
 *    MmFreePagesFromMdl the MDL structure MmAllocatePagesForMdlEx made must
 *    still be freed with ExFreePool; it leaked. Pool Tracking at the unload:
 *    0xC4/0x62.
 *  - mdl_not_freed_on_error_path: a memory-writing helper allocated an MDL
 *    and returned on an early error without IoFreeMdl (a fix in a driver
 *    monitor's write path). Pool Tracking at the unload: 0xC4/0x62.
 *  - probe_and_lock_without_unlock: a kernel socket library probed and
 *    locked a user buffer and never unlocked it (KSOCKET issue 2) before
 *    IoFreeMdl: 0xCB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS at that free. */
#include "testutil.h"
#include <wdm.h>

#define TAG 'ldMR'
#define CHAIN 3

static int g_pattern, g_fixed;
enum { P_CHAIN = 1, P_PAGES, P_ERROR_PATH, P_PROBE };

static PUCHAR g_buf;
static PMDL g_head;
static PVOID g_user;

static void chain_build(void)
{
    g_buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, CHAIN * PAGE_SIZE, TAG);
    PMDL prev = NULL;
    for (int i = 0; i < CHAIN; i++) {
        PMDL m = IoAllocateMdl(g_buf + i * PAGE_SIZE, PAGE_SIZE, FALSE, FALSE, NULL);
        MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
        if (prev)
            prev->Next = m;
        else
            g_head = m;
        prev = m;
    }
}

static void chain_release(void)
{
    PMDL m = g_head;
    if (!g_fixed) { /* the bug: the head only */
        MmUnlockPages(m);
        IoFreeMdl(m);
    } else {
        while (m) {
            PMDL next = m->Next;
            MmUnlockPages(m);
            IoFreeMdl(m);
            m = next;
        }
    }
}

/* Writes `len` bytes at `dst` through an MDL of its own; fails early when
 * the destination is not valid. */
static NTSTATUS write_through_mdl(PVOID dst, const void *src, ULONG len, BOOLEAN valid)
{
    PMDL m = IoAllocateMdl(dst, len, FALSE, FALSE, NULL);
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!valid) {
        if (g_fixed)
            IoFreeMdl(m);
        return STATUS_ACCESS_VIOLATION; /* the bug: m leaks here */
    }
    MmBuildMdlForNonPagedPool(m);
    RtlCopyMemory(MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute), src, len);
    IoFreeMdl(m);
    return STATUS_SUCCESS;
}

static void MrUnload(PDRIVER_OBJECT drv)
{
    (void)drv;
    if (g_pattern == P_CHAIN) {
        chain_release();
        ExFreePoolWithTag(g_buf, TAG);
    }
    if (g_pattern == P_ERROR_PATH)
        ExFreePoolWithTag(g_buf, TAG);
}

static NTSTATUS MrEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    drv->DriverUnload = MrUnload;
    switch (g_pattern) {
    case P_CHAIN:
        chain_build();
        break;
    case P_PAGES: {
        PHYSICAL_ADDRESS lo = {0}, hi, skip = {0};
        hi.QuadPart = -1;
        PMDL m = MmAllocatePagesForMdlEx(lo, hi, skip, 4 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
        if (!m)
            return STATUS_INSUFFICIENT_RESOURCES;
        MmFreePagesFromMdl(m);
        if (g_fixed)
            ExFreePool(m);
        break;
    }
    case P_ERROR_PATH: {
        static const char msg[] = "patched";
        g_buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        assert_int_equal(write_through_mdl(g_buf, msg, sizeof msg, FALSE), STATUS_ACCESS_VIOLATION);
        assert_int_equal(write_through_mdl(g_buf, msg, sizeof msg, TRUE), STATUS_SUCCESS);
        assert_memory_equal(g_buf, msg, sizeof msg);
        break;
    }
    case P_PROBE: {
        PMDL m = IoAllocateMdl(g_user, PAGE_SIZE, FALSE, FALSE, NULL);
        MmProbeAndLockPages(m, KernelMode, IoReadAccess);
        /* ... the send completes ... */
        if (g_fixed)
            MmUnlockPages(m);
        IoFreeMdl(m);
        break;
    }
    default:
        break;
    }
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

static void boot(int pattern, int fixed)
{
    g_pattern = pattern;
    g_fixed = fixed;
    g_head = NULL;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    if (pattern == P_PROBE) {
        g_user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
        assert_non_null(g_user);
    }
}

static void load(int pattern, int fixed)
{
    boot(pattern, fixed);
    assert_int_equal(mdlkit_driver_load("mkmdlpattern", MrEntry, &g_drv), STATUS_SUCCESS);
}

static void unload(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static mdlkit_bugcheck unload_caught(void)
{
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 1);
    return bc;
}

static void clean_unload(void)
{
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 0);
    if (g_pattern == P_PROBE)
        mdlkit_user_free(g_user);
    mdlkit_shutdown();
}

static void test_mdl_chain_only_head_released(void **state)
{
    (void)state;
    load(P_CHAIN, 0);
    PMDL second = g_head->Next;
    mdlkit_bugcheck bc = unload_caught();
    assert_int_equal(bc.code, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS);
    assert_true(bc.param[2] == (ULONG_PTR)second || bc.param[2] == (ULONG_PTR)second->Next);
    assert_int_equal(bc.param[3], 1);
    mdlkit_shutdown();
}

static void test_mdl_chain_released_fixed(void **state)
{
    (void)state;
    load(P_CHAIN, 1);
    clean_unload();
}

static void test_pages_for_mdl_structure_not_freed(void **state)
{
    (void)state;
    load(P_PAGES, 0);
    mdlkit_bugcheck bc = unload_caught();
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 1);
    mdlkit_shutdown();
}

static void test_pages_for_mdl_structure_freed_fixed(void **state)
{
    (void)state;
    load(P_PAGES, 1);
    clean_unload();
}

static void test_mdl_not_freed_on_error_path(void **state)
{
    (void)state;
    load(P_ERROR_PATH, 0);
    mdlkit_bugcheck bc = unload_caught();
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 1);
    mdlkit_shutdown();
}

static void test_mdl_freed_on_error_path_fixed(void **state)
{
    (void)state;
    load(P_ERROR_PATH, 1);
    clean_unload();
}

static void load_probe_bug(void *arg)
{
    (void)arg;
    mdlkit_driver_load("mkmdlpattern", MrEntry, &g_drv);
}

/* The MDL still holding its lock is freed: 0xCB at that IoFreeMdl (P3 the
 * MDL, P4 one page). */
static void test_probe_and_lock_without_unlock(void **state)
{
    (void)state;
    boot(P_PROBE, 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(load_probe_bug, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS);
    assert_true(bc.param[2] != 0);
    assert_int_equal(bc.param[3], 1);
    mdlkit_shutdown();
}

static void test_probe_and_lock_then_unlock_fixed(void **state)
{
    (void)state;
    load(P_PROBE, 1);
    clean_unload();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mdl_chain_only_head_released),
        cmocka_unit_test(test_mdl_chain_released_fixed),
        cmocka_unit_test(test_pages_for_mdl_structure_not_freed),
        cmocka_unit_test(test_pages_for_mdl_structure_freed_fixed),
        cmocka_unit_test(test_mdl_not_freed_on_error_path),
        cmocka_unit_test(test_mdl_freed_on_error_path_fixed),
        cmocka_unit_test(test_probe_and_lock_without_unlock),
        cmocka_unit_test(test_probe_and_lock_then_unlock_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
