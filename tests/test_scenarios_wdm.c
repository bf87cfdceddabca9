/* Real driver patterns (reference/scenarios.md S9-S21), written as a driver writes them. */
#include "testutil.h"
#include <wdm.h>
#include <ntddk.h>
#include "mk_machine.h"

#define NX (NormalPagePriority | MdlMappingNoExecute)

/* S9 sioctl METHOD_NEITHER: probe, lock (ChargeQuota TRUE), map, use, unlock. */
static NTSTATUS sioctl_neither(PVOID inbuf, ULONG inlen, char *out_first)
{
    PMDL mdl = NULL;
    PCHAR buffer = NULL;
    __try {
        ProbeForRead(inbuf, inlen, sizeof(UCHAR));
        mdl = IoAllocateMdl(inbuf, inlen, FALSE, TRUE, NULL);
        if (!mdl)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }
    __try { MmProbeAndLockPages(mdl, UserMode, IoReadAccess); }
    __except (EXCEPTION_EXECUTE_HANDLER) {
        IoFreeMdl(mdl);
        return GetExceptionCode();
    }
    buffer = MmGetSystemAddressForMdlSafe(mdl, NX);
    if (!buffer) {
        MmUnlockPages(mdl);
        IoFreeMdl(mdl);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *out_first = buffer[0];
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    return STATUS_SUCCESS;
}

static void test_s9_sioctl(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(100, PAGE_READWRITE);
    u[0] = 'Q';
    char c = 0;
    assert_int_equal(sioctl_neither(u, 100, &c), STATUS_SUCCESS);
    assert_int_equal(c, 'Q');
    char *na = mdlkit_user_alloc(100, PAGE_NOACCESS);
    assert_int_equal(sioctl_neither(na, 100, &c), STATUS_ACCESS_VIOLATION);
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'tsTM');
    assert_int_equal(sioctl_neither(np, 100, &c), STATUS_ACCESS_VIOLATION); /* kernel address from "user" */
    ExFreePoolWithTag(np, 'tsTM');
    mdlkit_user_free(na);
    mdlkit_user_free(u);
}

/* S10/S12 classpnp: IoAllocateMdl(.., irp), probe in try/except, unlock + free at completion. */
static void test_s10_classpnp_sync(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, 4096, 'tsTM');
    PIRP irp = IoAllocateIrp(2, FALSE);
    PMDL mdl = IoAllocateMdl(buf, 4096, FALSE, FALSE, irp);
    assert_ptr_equal(irp->MdlAddress, mdl);
    volatile NTSTATUS st = STATUS_SUCCESS;
    __try { MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess); }
    __except (EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    assert_int_equal(st, STATUS_SUCCESS);
    /* completion path (ClasspSendSynchronousCompletion) */
    MmUnlockPages(irp->MdlAddress);
    IoFreeMdl(irp->MdlAddress);
    irp->MdlAddress = NULL;
    IoFreeIrp(irp);
    ExFreePoolWithTag(buf, 'tsTM');
}

/* S11 classpnp async: a built MDL is freed without MmUnlockPages; unlocking it would be caught. */
static void unlock_built(void *arg) { MmUnlockPages((PMDL)arg); }
static void test_s11_classpnp_async(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, 512, 'tsTM');
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL mdl = IoAllocateMdl(buf, 512, FALSE, FALSE, irp);
    assert_non_null(mdl);
    assert_ptr_equal(irp->MdlAddress, mdl);
    MmBuildMdlForNonPagedPool(irp->MdlAddress);
    mk_expect_bugcheck(unlock_built, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, mdl, mdl->MdlFlags, 0);
    IoFreeMdl(irp->MdlAddress); /* ClassIoComplete */
    irp->MdlAddress = NULL;
    IoFreeIrp(irp);
    ExFreePoolWithTag(buf, 'tsTM');
}

/* S13 classpnp transfer packets: one reusable partial MDL, one IoBuildPartialMdl per transfer. */
static void test_s13_transfer_packets(void **state)
{
    (void)state;
    const ULONG max_xfer = 64 * 1024;
    char *u = mdlkit_user_alloc(256 * 1024, PAGE_READWRITE);
    PMDL orig = IoAllocateMdl(u, 256 * 1024, FALSE, FALSE, NULL);
    MmProbeAndLockPages(orig, UserMode, IoWriteAccess);
    PMDL partial = IoAllocateMdl(NULL, max_xfer, FALSE, FALSE, NULL);
    assert_true((ULONG)partial->Size >= sizeof(MDL) + sizeof(PFN_NUMBER) * (max_xfer >> PAGE_SHIFT));
    for (ULONG off = 0; off < 256 * 1024; off += max_xfer) {
        IoBuildPartialMdl(orig, partial, u + off, max_xfer);
        char *sys = MmGetSystemAddressForMdlSafe(partial, NX);
        assert_non_null(sys);
        memset(sys, (int)(off >> 16) + 1, max_xfer); /* the "device" writes */
        MmPrepareMdlForReuse(partial);
    }
    for (ULONG i = 0; i < 4; i++)
        assert_int_equal(u[i * max_xfer + 5], (char)(i + 1));
    IoFreeMdl(partial);
    MmUnlockPages(orig);
    IoFreeMdl(orig);
    mdlkit_user_free(u);
}

/* S15 fastfat: per-run IRP MDL equals Irp->MdlAddress; (b) the zero MDL. */
static void test_s15_fastfat(void **state)
{
    (void)state;
    char *user = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    PIRP assoc = IoAllocateIrp(1, FALSE);
    PMDL m = IoAllocateMdl(user + PAGE_SIZE, PAGE_SIZE, FALSE, FALSE, assoc);
    assert_ptr_equal(m, assoc->MdlAddress);
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    IoCompleteRequest(assoc, IO_NO_INCREMENT); /* the I/O manager frees the associated IRP's MDLs */
    assert_null(assoc->MdlAddress);
    IoFreeIrp(assoc);
    mdlkit_user_free(user);

    /* FatBuildZeroMdl */
    char *zero = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, 'tsTM');
    memset(zero, 0, PAGE_SIZE);
    ULONG len = 16 * PAGE_SIZE;
    PMDL z = IoAllocateMdl(zero, len, FALSE, FALSE, NULL);
    assert_non_null(z);
    z->ByteCount = PAGE_SIZE;
    MmBuildMdlForNonPagedPool(z);
    z->MdlFlags &= ~MDL_SOURCE_IS_NONPAGED_POOL;
    z->MdlFlags |= MDL_PAGES_LOCKED;
    z->MappedSystemVa = NULL;
    z->StartVa = NULL;
    z->ByteCount = len;
    PPFN_NUMBER pfn = MmGetMdlPfnArray(z);
    for (ULONG i = 1; i < 16; i++)
        pfn[i] = pfn[0];
    /* mapping it gives 16 aliases of the zero page */
    char *sys = MmGetSystemAddressForMdlSafe(z, NX);
    assert_non_null(sys);
    zero[9] = 'z';
    assert_int_equal(sys[15 * PAGE_SIZE + 9], 'z');
    MmUnmapLockedPages(sys, z);
    z->MdlFlags &= ~MDL_PAGES_LOCKED;
    IoFreeMdl(z);
    ExFreePoolWithTag(zero, 'tsTM');
}

/* S17 SystemDma: MmAllocatePagesForMdlEx DMA buffer, ByteCount check, map, free chain. */
static void test_s17_system_dma(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0xFFFFFFFFLL}, skip = {.QuadPart = 0};
    SIZE_T want = 40 * 1024;
    PMDL mdl = MmAllocatePagesForMdlEx(lo, hi, skip, want, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    assert_non_null(mdl);
    if (MmGetMdlByteCount(mdl) < want) {
        MmFreePagesFromMdl(mdl);
        ExFreePool(mdl);
        fail();
    }
    mdl->ByteCount = 10000;
    mdl->ByteOffset = 0;
    char *va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, HighPagePriority | MdlMappingNoExecute);
    assert_non_null(va);
    va[9999] = 1;
    if (mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        MmUnmapLockedPages(va, mdl);
    size_t before = mk_phys_free_count();
    MmFreePagesFromMdl(mdl); /* frees all 10 pages although ByteCount was rewritten */
    assert_int_equal(mk_phys_free_count(), before + 10);
    ExFreePool(mdl);
}

/* S18 WSK / S20 msdsm / S16: IoAllocateMdl + MmBuildMdlForNonPagedPool over pool. */
static void test_s18_s20_build_over_pool(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolUninitialized(NonPagedPoolNx, 1500, 'tsTM');
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL mdl = IoAllocateMdl(buf, 1500, FALSE, FALSE, irp);
    MmBuildMdlForNonPagedPool(mdl);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(irp->MdlAddress, NX), buf);
    IoFreeMdl(irp->MdlAddress);
    irp->MdlAddress = NULL;
    IoFreeIrp(irp);
    ExFreePoolWithTag(buf, 'tsTM');
}

/* S19 pcidrv: an MDL over an interior field of a DMA common buffer. */
static void test_s19_common_buffer(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS hi = {.QuadPart = 0xFFFFFFFFLL};
    char *cb = MmAllocateContiguousMemory(3 * PAGE_SIZE, hi);
    PMDL mdl = IoAllocateMdl(cb + PAGE_SIZE + 64, 256, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(mdl);
    assert_int_equal(MmGetMdlPfnArray(mdl)[0], (MmGetPhysicalAddress(cb).QuadPart >> PAGE_SHIFT) + 1);
    IoFreeMdl(mdl);
    MmFreeContiguousMemory(cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s9_sioctl),
        cmocka_unit_test(test_s10_classpnp_sync),
        cmocka_unit_test(test_s11_classpnp_async),
        cmocka_unit_test(test_s13_transfer_packets),
        cmocka_unit_test(test_s15_fastfat),
        cmocka_unit_test(test_s17_system_dma),
        cmocka_unit_test(test_s18_s20_build_over_pool),
        cmocka_unit_test(test_s19_common_buffer),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
