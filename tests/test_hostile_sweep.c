/*
 * test_hostile_sweep.c -- issue #21: a hostile-argument sweep over the DDIs
 * of docs/ddi-support.md. Every DDI is called with six sets of hostile
 * arguments (pointers NULL / wild / misaligned / host heap full of random
 * bytes / freed pool / user memory; lengths 0 / 1 / 0xFFFFFFFF / 0x7FFFFFFF
 * / just over a page / 256 MiB; flags 0 / all ones / undefined high bits /
 * small undefined values), each once at the caller's IRQL and once at
 * HIGH_LEVEL (wrong IRQL), and "double" rows repeat a release or free.
 *
 * Each call runs in its own forked child of a machine started once (the
 * child gets its own copy: src/machine/forksafe.c) with a time limit, so a
 * hang or a crash fails that case with its name. Accepted outcomes: the
 * call returns, raises an exception, or raises a bug check (caught). Not
 * accepted: a signal (segfault, abort, sanitizer report), or no answer in
 * the time limit. docs/reliability.md has the figures.
 */
#include "testutil.h"
#include <ndis.h>
#include <storport.h>

#include <ntstrsafe.h>
#include <wdmsec.h>
#include <scsiwmi.h>
#include <mdlkit_device.h>
#include <mdlkit_fuzz.h>
#include <mdlkit_ndis.h>
#include <mdlkit_storport.h>
#include <mdlkit_usermode.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define SW_TAG 'wSwT'
#define SW_LIMIT_MS 10000
#define SW_VARIANTS 6
#define SW_INFLIGHT 4 /* children at a time: most of a child's life is fork and exit */

/* ---- hostile values ---- */
static void *sw_np, *sw_freed, *sw_user, *sw_heap;
static PVOID sw_ext; /* StorPort adapter */
static void *sw_ptr(int v)
{
    switch (v) {
    case 0: return NULL;
    case 1: return (void *)0x1234567800ULL;
    case 2: return (char *)sw_np + 1;
    case 3: return sw_heap;
    case 4: return sw_freed;
    default: return sw_user;
    }
}
static ULONG sw_len(int v)
{
    static const ULONG l[SW_VARIANTS] = {0, 1, 0xFFFFFFFFu, 0x7FFFFFFFu, PAGE_SIZE + 1, 0x10000000u};
    return l[v];
}
static ULONG sw_flags(int v)
{
    static const ULONG f[SW_VARIANTS] = {0, 0xFFFFFFFFu, 0x80000000u, 7, 0x100, 0x40};
    return f[v];
}
#define P(t) ((t)sw_ptr(v))
#define L sw_len(v)
#define F sw_flags(v)

/* ---- the calls ---- */
#define SW(name) static void sw_##name(int v)
SW(IoAllocateMdl) { IoAllocateMdl(P(PVOID), L, (BOOLEAN)(v & 1), FALSE, v == 3 ? P(PIRP) : NULL); }
SW(IoFreeMdl) { IoFreeMdl(P(PMDL)); }
SW(IoFreeMdlTwice) { (void)v; PMDL m = IoAllocateMdl(sw_np, 64, FALSE, FALSE, NULL); IoFreeMdl(m); IoFreeMdl(m); }
SW(IoBuildPartialMdl) { IoBuildPartialMdl(P(PMDL), P(PMDL), P(PVOID), L); }
SW(MmCreateMdl) { MmCreateMdl(v == 1 ? NULL : P(PMDL), P(PVOID), L); }
SW(MmSizeOfMdl) { MmSizeOfMdl(P(PVOID), (SIZE_T)L * 4096); }
SW(MmPrepareMdlForReuse) { MmPrepareMdlForReuse(P(PMDL)); }
SW(MmBuildMdlForNonPagedPool) { MmBuildMdlForNonPagedPool(P(PMDL)); }
SW(MmBuildMdlOverRange) { PMDL m = IoAllocateMdl(P(PVOID), L > 0x10000 ? 0x10000 : L, FALSE, FALSE, NULL); if (m) MmBuildMdlForNonPagedPool(m); }
SW(MmProbeAndLockPages) { MmProbeAndLockPages(P(PMDL), (KPROCESSOR_MODE)(F & 3), (LOCK_OPERATION)(F & 7)); }
SW(MmProbeAndLockRange) { PMDL m = IoAllocateMdl(P(PVOID), L > 0x10000 ? 0x10000 : L, FALSE, FALSE, NULL); if (m) MmProbeAndLockPages(m, (KPROCESSOR_MODE)(v & 1), IoWriteAccess); }
SW(MmUnlockPages) { MmUnlockPages(P(PMDL)); }
SW(MmUnlockTwice) { (void)v; PMDL m = IoAllocateMdl(sw_user, PAGE_SIZE, FALSE, FALSE, NULL); MmProbeAndLockPages(m, KernelMode, IoReadAccess); MmUnlockPages(m); MmUnlockPages(m); }
SW(MmMapLockedPagesSpecifyCache) { MmMapLockedPagesSpecifyCache(P(PMDL), (KPROCESSOR_MODE)(v & 1), (MEMORY_CACHING_TYPE)F, P(PVOID), (ULONG)(v & 1), F); }
SW(MmMapLockedPages) { MmMapLockedPages(P(PMDL), (KPROCESSOR_MODE)(v & 1)); }
SW(MmUnmapLockedPages) { MmUnmapLockedPages(P(PVOID), P(PMDL)); }
SW(MmGetSystemAddressForMdlSafe) { MmGetSystemAddressForMdlSafe(P(PMDL), F); }
SW(MmAllocatePagesForMdlEx) { PHYSICAL_ADDRESS lo = {0}, hi, sk = {0}; hi.QuadPart = v & 1 ? 0 : -1; sk.QuadPart = v == 2 ? 3 : 0; PMDL m = MmAllocatePagesForMdlEx(lo, hi, sk, (SIZE_T)L, (MEMORY_CACHING_TYPE)(v & 3), F); if (m) { MmFreePagesFromMdl(m); ExFreePool(m); } }
SW(MmFreePagesFromMdl) { MmFreePagesFromMdl(P(PMDL)); }
SW(MmFreePagesTwice) { (void)v; PHYSICAL_ADDRESS lo = {0}, hi, sk = {0}; hi.QuadPart = -1; PMDL m = MmAllocatePagesForMdlEx(lo, hi, sk, PAGE_SIZE, MmCached, 0); MmFreePagesFromMdl(m); MmFreePagesFromMdl(m); }
SW(MmGetPhysicalAddress) { MmGetPhysicalAddress(P(PVOID)); }
SW(MmGetVirtualForPhysical) { PHYSICAL_ADDRESS pa; pa.QuadPart = (LONGLONG)(ULONG_PTR)P(PVOID) ^ ((LONGLONG)L << 12); MmGetVirtualForPhysical(pa); }
SW(MmIsAddressValid) { MmIsAddressValid(P(PVOID)); }
SW(ProbeForRead) { ProbeForRead(P(PVOID), L, F & 0x1F); }
SW(ProbeForWrite) { ProbeForWrite(P(PVOID), L, F & 0x1F); }
SW(MmAllocateContiguousMemory) { PHYSICAL_ADDRESS hi; hi.QuadPart = v & 1 ? 0 : -1; void *p = MmAllocateContiguousMemory((SIZE_T)L, hi); if (p) MmFreeContiguousMemory(p); }
SW(MmAllocateContiguousMemorySpecifyCache) { PHYSICAL_ADDRESS lo = {0}, hi, b; hi.QuadPart = -1; b.QuadPart = (LONGLONG)F; void *p = MmAllocateContiguousMemorySpecifyCache((SIZE_T)L, lo, hi, b, (MEMORY_CACHING_TYPE)F); if (p) MmFreeContiguousMemory(p); }
SW(MmFreeContiguousMemory) { MmFreeContiguousMemory(P(PVOID)); }
SW(ExAllocatePoolWithTag) { void *p = ExAllocatePoolWithTag((POOL_TYPE)F, (SIZE_T)L, F); if (p) ExFreePool(p); }
SW(ExAllocatePool2) { void *p = ExAllocatePool2((POOL_FLAGS)F | ((POOL_FLAGS)F << 32), (SIZE_T)L, F); if (p) ExFreePool(p); }
SW(ExAllocatePoolWithTagPriority) { void *p = ExAllocatePoolWithTagPriority((POOL_TYPE)(F & 0x3FF), (SIZE_T)L, SW_TAG, (EX_POOL_PRIORITY)F); if (p) ExFreePool(p); }
SW(ExAllocatePoolZero) { void *p = ExAllocatePoolZero((POOL_TYPE)(v & 1), (SIZE_T)L, SW_TAG); if (p) ExFreePool(p); }
SW(ExAllocatePoolWithQuotaTag) { void *p = ExAllocatePoolWithQuotaTag((POOL_TYPE)(F & 0x3FF), (SIZE_T)L, SW_TAG); if (p) ExFreePool(p); }
SW(ExFreePool) { ExFreePool(P(PVOID)); }
SW(ExFreePoolWithTag) { ExFreePoolWithTag(P(PVOID), F); }
SW(ExFreePoolTwice) { (void)v; void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, SW_TAG); ExFreePool(p); ExFreePool(p); }
SW(ExInitializeNPagedLookasideList) { NPAGED_LOOKASIDE_LIST *l = v < 2 ? P(NPAGED_LOOKASIDE_LIST *) : ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *l, SW_TAG); ExInitializeNPagedLookasideList(l, NULL, NULL, F, (SIZE_T)L, SW_TAG, 0); }
SW(ExInitializeLookasideListEx) { LOOKASIDE_LIST_EX *l = v < 2 ? P(LOOKASIDE_LIST_EX *) : ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *l, SW_TAG); ExInitializeLookasideListEx(l, NULL, NULL, (POOL_TYPE)F, F, (SIZE_T)L, SW_TAG, 0); }
SW(ExAllocateFromNPagedLookasideList) { ExAllocateFromNPagedLookasideList(P(PNPAGED_LOOKASIDE_LIST)); }
SW(ExFreeToNPagedLookasideList) { NPAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *l, SW_TAG); ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 64, SW_TAG, 0); ExFreeToNPagedLookasideList(l, P(PVOID)); }
SW(ExDeleteNPagedLookasideList) { ExDeleteNPagedLookasideList(P(PNPAGED_LOOKASIDE_LIST)); }
SW(ExDeleteLookasideTwice) { (void)v; NPAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *l, SW_TAG); ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 64, SW_TAG, 0); ExDeleteNPagedLookasideList(l); ExDeleteNPagedLookasideList(l); }
SW(KeInitializeSpinLock) { KeInitializeSpinLock(P(PKSPIN_LOCK)); }
SW(KeAcquireSpinLock) { KIRQL o; KeAcquireSpinLock(P(PKSPIN_LOCK), &o); }
SW(KeReleaseSpinLock) { KeReleaseSpinLock(P(PKSPIN_LOCK), (KIRQL)F); }
SW(KeReleaseSpinLockTwice) { (void)v; KSPIN_LOCK l; KIRQL o; KeInitializeSpinLock(&l); KeAcquireSpinLock(&l, &o); KeReleaseSpinLock(&l, o); KeReleaseSpinLock(&l, o); }
SW(KeAcquireSpinLockAtDpcLevel) { KeAcquireSpinLockAtDpcLevel(P(PKSPIN_LOCK)); }
SW(KeAcquireInStackQueuedSpinLock) { KLOCK_QUEUE_HANDLE h; KeAcquireInStackQueuedSpinLock(P(PKSPIN_LOCK), &h); }
SW(KeReleaseInStackQueuedSpinLock) { KeReleaseInStackQueuedSpinLock(P(PKLOCK_QUEUE_HANDLE)); }
SW(KeRaiseIrql) { KIRQL o; KeRaiseIrql((KIRQL)F, &o); }
SW(KeLowerIrql) { KeLowerIrql((KIRQL)F); }
SW(KeInitializeEvent) { KeInitializeEvent(P(PRKEVENT), (EVENT_TYPE)F, (BOOLEAN)v); }
SW(KeSetEvent) { KeSetEvent(P(PRKEVENT), (KPRIORITY)F, (BOOLEAN)(v & 1)); }
SW(KeResetEvent) { KeResetEvent(P(PRKEVENT)); }
SW(KeReadStateEvent) { KeReadStateEvent(P(PRKEVENT)); }
SW(KeWaitForSingleObject) { LARGE_INTEGER t; t.QuadPart = 0; KeWaitForSingleObject(P(PVOID), (KWAIT_REASON)F, KernelMode, FALSE, &t); }
SW(NdisWaitEvent) { NdisWaitEvent(P(PNDIS_EVENT), 1); } /* 1 ms: 0 would wait for ever */
SW(KeInitializeSemaphore) { KeInitializeSemaphore(P(PRKSEMAPHORE), (LONG)F, (LONG)L); }
SW(KeReleaseSemaphore) { KeReleaseSemaphore(P(PRKSEMAPHORE), 0, (LONG)F, FALSE); }
SW(KeInitializeMutex) { KeInitializeMutex(P(PRKMUTEX), F); }
SW(KeReleaseMutex) { KeReleaseMutex(P(PRKMUTEX), FALSE); }
SW(KeInitializeDpc) { KeInitializeDpc(P(PRKDPC), P(PKDEFERRED_ROUTINE), NULL); }
SW(KeInsertQueueDpc) { KeInsertQueueDpc(P(PRKDPC), NULL, NULL); }
SW(KeRemoveQueueDpc) { KeRemoveQueueDpc(P(PRKDPC)); }
SW(KeInitializeTimer) { KeInitializeTimer(P(PKTIMER)); }
SW(KeSetTimer) { LARGE_INTEGER t; t.QuadPart = -(LONGLONG)L; KeSetTimer(P(PKTIMER), t, P(PKDPC)); }
SW(KeCancelTimer) { KeCancelTimer(P(PKTIMER)); }
SW(KeDelayExecutionThread) { LARGE_INTEGER t; t.QuadPart = v == 1 ? 1 : -(LONGLONG)(L & 0xFF); KeDelayExecutionThread(KernelMode, FALSE, v == 0 ? NULL : &t); }
SW(ExInitializeFastMutex) { ExInitializeFastMutex(P(PFAST_MUTEX)); }
SW(ExAcquireFastMutex) { ExAcquireFastMutex(P(PFAST_MUTEX)); }
SW(ExReleaseFastMutex) { ExReleaseFastMutex(P(PFAST_MUTEX)); }
SW(ExInitializeResourceLite) { ExInitializeResourceLite(P(PERESOURCE)); }
SW(ExAcquireResourceExclusiveLite) { ExAcquireResourceExclusiveLite(P(PERESOURCE), (BOOLEAN)(v & 1)); }
SW(ExDeleteResourceLite) { ExDeleteResourceLite(P(PERESOURCE)); }
SW(IoAllocateIrp) { PIRP i = IoAllocateIrp((CCHAR)F, (BOOLEAN)(v & 1)); if (i) IoFreeIrp(i); }
SW(IoFreeIrp) { IoFreeIrp(P(PIRP)); }
SW(IoFreeIrpTwice) { (void)v; PIRP i = IoAllocateIrp(1, FALSE); IoFreeIrp(i); IoFreeIrp(i); }
SW(IoInitializeIrp) { IoInitializeIrp(P(PIRP), (USHORT)L, (CCHAR)F); }
SW(IoReuseIrp) { IoReuseIrp(P(PIRP), (NTSTATUS)F); }
SW(IoCallDriver) { IoCallDriver(P(PDEVICE_OBJECT), P(PIRP)); }
SW(IoCompleteRequest) { IoCompleteRequest(P(PIRP), (CCHAR)F); }
SW(IoCancelIrp) { IoCancelIrp(P(PIRP)); }
SW(IoAllocateWorkItem) { PIO_WORKITEM w = IoAllocateWorkItem(P(PDEVICE_OBJECT)); if (w) IoFreeWorkItem(w); }
SW(IoFreeWorkItem) { IoFreeWorkItem(P(PIO_WORKITEM)); }
SW(IoCreateDevice) { PDEVICE_OBJECT d; IoCreateDevice(P(PDRIVER_OBJECT), L, NULL, (DEVICE_TYPE)F, F, FALSE, &d); }
SW(IoDeleteDevice) { IoDeleteDevice(P(PDEVICE_OBJECT)); }
SW(IoBuildDeviceIoControlRequest) { IO_STATUS_BLOCK io; KEVENT e; KeInitializeEvent(&e, NotificationEvent, FALSE); IoBuildDeviceIoControlRequest(F, P(PDEVICE_OBJECT), P(PVOID), L, P(PVOID), L, FALSE, &e, &io); }
SW(ObReferenceObjectByHandle) { PVOID o; ObReferenceObjectByHandle(P(HANDLE), F, NULL, (KPROCESSOR_MODE)(v & 1), &o, NULL); }
SW(ObfDereferenceObject) { ObfDereferenceObject(P(PVOID)); }
SW(ObfReferenceObject) { ObfReferenceObject(P(PVOID)); }
SW(ZwClose) { ZwClose(P(HANDLE)); }
SW(ZwSetEvent) { LONG s; ZwSetEvent(P(HANDLE), &s); }
SW(ExQueueWorkItem) { ExQueueWorkItem(P(PWORK_QUEUE_ITEM), (WORK_QUEUE_TYPE)F); }
SW(PsCreateSystemThread) { HANDLE h; PsCreateSystemThread(&h, F, NULL, NULL, NULL, v < 2 ? P(PKSTART_ROUTINE) : NULL, NULL); }
SW(RtlInitUnicodeString) { UNICODE_STRING s; RtlInitUnicodeString(v == 1 ? P(PUNICODE_STRING) : &s, v < 2 ? NULL : L"x"); }
SW(RtlCopyUnicodeString) { UNICODE_STRING s; WCHAR b[4]; s.Buffer = b; s.Length = 0; s.MaximumLength = sizeof b; RtlCopyUnicodeString(v & 1 ? P(PUNICODE_STRING) : &s, P(PCUNICODE_STRING)); }
SW(RtlAppendUnicodeStringToString) { UNICODE_STRING s; WCHAR b[4]; s.Buffer = b; s.Length = 0; s.MaximumLength = sizeof b; RtlAppendUnicodeStringToString(v & 1 ? P(PUNICODE_STRING) : &s, P(PCUNICODE_STRING)); }
SW(RtlCompareUnicodeString) { UNICODE_STRING s; RtlInitUnicodeString(&s, L"abc"); RtlCompareUnicodeString(P(PCUNICODE_STRING), &s, (BOOLEAN)(v & 1)); }
SW(RtlFreeUnicodeString) { RtlFreeUnicodeString(P(PUNICODE_STRING)); }
SW(RtlUnicodeStringToAnsiString) { ANSI_STRING a; UNICODE_STRING u; RtlInitUnicodeString(&u, L"abc"); RtlUnicodeStringToAnsiString(v & 1 ? P(PANSI_STRING) : &a, v & 2 ? P(PCUNICODE_STRING) : &u, TRUE); }
SW(RtlStringCchCopyW) { WCHAR b[8]; RtlStringCchCopyW(v & 1 ? P(NTSTRSAFE_PWSTR) : b, L, v & 2 ? P(NTSTRSAFE_PCWSTR) : L"hello"); }
SW(RtlStringCbPrintfA) { char b[8]; RtlStringCbPrintfA(v & 1 ? P(NTSTRSAFE_PSTR) : b, L, "%s", v & 2 ? P(char *) : "x"); }
SW(RtlInitializeBitMap) { RTL_BITMAP m; ULONG bits[2]; RtlInitializeBitMap(v & 1 ? P(PRTL_BITMAP) : &m, v & 2 ? P(PULONG) : bits, L); }
SW(RtlSetBits) { RTL_BITMAP m; ULONG bits[2] = {0, 0}; RtlInitializeBitMap(&m, bits, 64); RtlSetBits(&m, F, L); }
SW(RtlFindClearBits) { RTL_BITMAP m; ULONG bits[2] = {0, 0}; RtlInitializeBitMap(&m, bits, 64); RtlFindClearBits(&m, L, F); }
SW(ExInterlockedInsertHeadList) { KSPIN_LOCK l; KeInitializeSpinLock(&l); LIST_ENTRY e; ExInterlockedInsertHeadList(P(PLIST_ENTRY), &e, &l); }
SW(ExInterlockedPopEntrySList) { KSPIN_LOCK l; KeInitializeSpinLock(&l); ExInterlockedPopEntrySList(P(PSLIST_HEADER), &l); }
SW(KeBugCheckEx) { KeBugCheckEx(F, L, 0, 0, 0); }
SW(ExRaiseStatus) { ExRaiseStatus((NTSTATUS)F); }
SW(DbgPrintEx) { DbgPrintEx(F, F, "%s", v == 3 ? "x" : P(char *)); }
/* StorPort and NDIS memory (the adapter is started once, before the forks) */
SW(StorPortAllocatePool) { PVOID p; StorPortAllocatePool(v & 1 ? P(PVOID) : sw_ext, L, F, v == 4 ? NULL : &p); }
SW(StorPortFreePool) { StorPortFreePool(sw_ext, P(PVOID)); }
SW(StorPortAllocateMdl) { PVOID m; StorPortAllocateMdl(sw_ext, P(PVOID), L, v == 4 ? NULL : &m); }
SW(StorPortFreeMdl) { StorPortFreeMdl(sw_ext, P(PVOID)); }
SW(StorPortBuildMdlForNonPagedPool) { StorPortBuildMdlForNonPagedPool(v & 1 ? P(PVOID) : sw_ext, P(PVOID)); }
SW(StorPortGetPhysicalAddress) { ULONG len; StorPortGetPhysicalAddress(sw_ext, NULL, P(PVOID), &len); }
SW(StorPortAllocateContiguousMemorySpecifyCacheNode) { PHYSICAL_ADDRESS lo = {0}, hi, b = {0}; hi.QuadPart = -1; PVOID p; StorPortAllocateContiguousMemorySpecifyCacheNode(sw_ext, (SIZE_T)L, lo, hi, b, (MEMORY_CACHING_TYPE)F, 0, &p); }
SW(NdisAllocateMemoryWithTagPriority) { void *p = NdisAllocateMemoryWithTagPriority(P(NDIS_HANDLE), L, F, (EX_POOL_PRIORITY)F); if (p) NdisFreeMemoryWithTagPriority(NULL, p, F); }
SW(NdisFreeMemory) { NdisFreeMemory(P(PVOID), L, F); }
SW(NdisAllocateMdl) { NdisAllocateMdl(P(NDIS_HANDLE), P(PVOID), L); }
SW(NdisFreeMdl) { NdisFreeMdl(P(PMDL)); }
SW(NdisAllocateSpinLock) { NdisAllocateSpinLock(P(PNDIS_SPIN_LOCK)); }
SW(NdisAcquireSpinLock) { NdisAcquireSpinLock(P(PNDIS_SPIN_LOCK)); }
/* harness routines */
SW(mdlkit_user_alloc) { void *u = mdlkit_user_alloc((size_t)L, F); if (u) mdlkit_user_free(u); }
SW(mdlkit_user_free) { mdlkit_user_free(P(void *)); }
SW(mdlkit_user_protect) { mdlkit_user_protect(P(void *), (size_t)L, F); }
SW(mdlkit_phys_to_va) { PHYSICAL_ADDRESS pa; pa.QuadPart = (LONGLONG)(ULONG_PTR)P(void *); mdlkit_phys_to_va(pa); }
SW(mdlkit_pool_usage_tag) { mdlkit_pool_usage_tag(F, v & 1 ? P(mdlkit_pool_tag_usage *) : NULL); }
SW(mdlkit_pool_describe) { mdlkit_pool_describe(P(void *), v & 1 ? stderr : NULL, v & 2 ? P(mdlkit_pool_info *) : NULL); }
SW(mdlkit_driver_load) { PDRIVER_OBJECT d; mdlkit_driver_load(P(const char *), v & 1 ? P(PDRIVER_INITIALIZE) : NULL, v & 2 ? NULL : &d); }
SW(mdlkit_driver_unload) { mdlkit_driver_unload(P(PDRIVER_OBJECT)); }
SW(mdlkit_storport_start_adapter) { PVOID e; mdlkit_storport_start_adapter(P(PDRIVER_OBJECT), v & 1 ? NULL : &e); }
SW(mdlkit_storport_stop_adapter) { mdlkit_storport_stop_adapter(P(PVOID)); }
SW(mdlkit_config_default) { mdlkit_config_default(P(mdlkit_config *)); }
SW(mdlkit_catch_bugcheck) { mdlkit_bugcheck bc; mdlkit_catch_bugcheck(P(void (*)(void *)), NULL, v & 1 ? NULL : &bc); }
SW(mdlkit_event_wait) { mdlkit_event_wait(P(HANDLE), L & 0xFF); }

#define E(name) {#name, sw_##name}
static const struct sw_case {
    const char *name;
    void (*fn)(int v);
} sw_cases[] = {
    E(IoAllocateMdl), E(IoFreeMdl), E(IoFreeMdlTwice), E(IoBuildPartialMdl), E(MmCreateMdl), E(MmSizeOfMdl),
    E(MmPrepareMdlForReuse), E(MmBuildMdlForNonPagedPool), E(MmBuildMdlOverRange), E(MmProbeAndLockPages),
    E(MmProbeAndLockRange), E(MmUnlockPages), E(MmUnlockTwice), E(MmMapLockedPagesSpecifyCache), E(MmMapLockedPages),
    E(MmUnmapLockedPages), E(MmGetSystemAddressForMdlSafe), E(MmAllocatePagesForMdlEx), E(MmFreePagesFromMdl),
    E(MmFreePagesTwice), E(MmGetPhysicalAddress), E(MmGetVirtualForPhysical), E(MmIsAddressValid), E(ProbeForRead),
    E(ProbeForWrite), E(MmAllocateContiguousMemory), E(MmAllocateContiguousMemorySpecifyCache),
    E(MmFreeContiguousMemory), E(ExAllocatePoolWithTag), E(ExAllocatePool2), E(ExAllocatePoolWithTagPriority),
    E(ExAllocatePoolZero), E(ExAllocatePoolWithQuotaTag), E(ExFreePool), E(ExFreePoolWithTag), E(ExFreePoolTwice),
    E(ExInitializeNPagedLookasideList), E(ExInitializeLookasideListEx), E(ExAllocateFromNPagedLookasideList),
    E(ExFreeToNPagedLookasideList), E(ExDeleteNPagedLookasideList), E(ExDeleteLookasideTwice), E(KeInitializeSpinLock),
    E(KeAcquireSpinLock), E(KeReleaseSpinLock), E(KeReleaseSpinLockTwice), E(KeAcquireSpinLockAtDpcLevel),
    E(KeAcquireInStackQueuedSpinLock), E(KeReleaseInStackQueuedSpinLock), E(KeRaiseIrql), E(KeLowerIrql),
    E(KeInitializeEvent), E(KeSetEvent), E(KeResetEvent), E(KeReadStateEvent), E(KeWaitForSingleObject), E(NdisWaitEvent),
    E(KeInitializeSemaphore), E(KeReleaseSemaphore), E(KeInitializeMutex), E(KeReleaseMutex), E(KeInitializeDpc),
    E(KeInsertQueueDpc), E(KeRemoveQueueDpc), E(KeInitializeTimer), E(KeSetTimer), E(KeCancelTimer),
    E(KeDelayExecutionThread), E(ExInitializeFastMutex), E(ExAcquireFastMutex), E(ExReleaseFastMutex),
    E(ExInitializeResourceLite), E(ExAcquireResourceExclusiveLite), E(ExDeleteResourceLite), E(IoAllocateIrp),
    E(IoFreeIrp), E(IoFreeIrpTwice), E(IoInitializeIrp), E(IoReuseIrp), E(IoCallDriver), E(IoCompleteRequest),
    E(IoCancelIrp), E(IoAllocateWorkItem), E(IoFreeWorkItem), E(IoCreateDevice), E(IoDeleteDevice),
    E(IoBuildDeviceIoControlRequest), E(ObReferenceObjectByHandle), E(ObfDereferenceObject), E(ObfReferenceObject),
    E(ZwClose), E(ZwSetEvent), E(ExQueueWorkItem), E(PsCreateSystemThread), E(RtlInitUnicodeString),
    E(RtlCopyUnicodeString), E(RtlAppendUnicodeStringToString), E(RtlCompareUnicodeString), E(RtlFreeUnicodeString),
    E(RtlUnicodeStringToAnsiString), E(RtlStringCchCopyW), E(RtlStringCbPrintfA), E(RtlInitializeBitMap),
    E(RtlSetBits), E(RtlFindClearBits), E(ExInterlockedInsertHeadList), E(ExInterlockedPopEntrySList),
    E(KeBugCheckEx), E(ExRaiseStatus), E(DbgPrintEx), E(StorPortAllocatePool), E(StorPortFreePool),
    E(StorPortAllocateMdl), E(StorPortFreeMdl), E(StorPortBuildMdlForNonPagedPool), E(StorPortGetPhysicalAddress),
    E(StorPortAllocateContiguousMemorySpecifyCacheNode), E(NdisAllocateMemoryWithTagPriority), E(NdisFreeMemory),
    E(NdisAllocateMdl), E(NdisFreeMdl), E(NdisAllocateSpinLock), E(NdisAcquireSpinLock), E(mdlkit_user_alloc),
    E(mdlkit_user_free), E(mdlkit_user_protect), E(mdlkit_phys_to_va), E(mdlkit_pool_usage_tag),
    E(mdlkit_pool_describe), E(mdlkit_driver_load), E(mdlkit_driver_unload), E(mdlkit_storport_start_adapter),
    E(mdlkit_storport_stop_adapter), E(mdlkit_config_default), E(mdlkit_catch_bugcheck), E(mdlkit_event_wait),
};
#define SW_NCASES (sizeof sw_cases / sizeof sw_cases[0])

/* ---- every other exported DDI and harness routine, by table ----
 * A row names the routine and one letter per parameter, the hostile value
 * it gets (all of mdlkit's parameters are of integer or pointer class, so a
 * routine is called through one generic type, up to ten arguments):
 *   p  pointer: NULL / wild / misaligned pool / host random bytes / freed
 *      pool / user memory (sw_ptr)
 *   l  length or count (sw_len)      f  flags, enum or code (sw_flags)
 *   b  8-bit value                   w  16-bit value
 *   q  LARGE_INTEGER / PHYSICAL_ADDRESS by value
 *   t  a pointer to a zero timeout   u  a few microseconds (milliseconds)
 *   F  a host FILE: NULL or stderr (a FILE is the host C library's, which
 *      mdlkit cannot check)
 * t and u keep a documented wait or stall short (a hostile timeout would be
 * a correct wait of minutes, not a hang of mdlkit), as w does for
 * StorPortMoveMemory's length (a copy of 4 GiB is a correct copy). Variadic routines (RV)
 * are called through a variadic type, their trailing arguments 0. Not in
 * the tables: the hand-written rows above (same names), the SEH plumbing
 * of MDLKIT_TRY (mdlkit_seh_*), mdlkit_mdl_reuse_check /
 * mdlkit_paged_code_check (called by header inlines, not by drivers), and
 * mdlkit_fuzz_one (a bug check inside an input aborts the process by
 * design: libFuzzer's crash, docs/fuzzing.md). */
typedef struct sw_row {
    const char *name;
    void (*fn)(void);
    const char *args;
    int variadic;
} sw_row;
#define R(n, a) {#n, (void (*)(void))n, a, 0}
#define RV(n, a) {#n, (void (*)(void))n, a, 1}
static const sw_row sw_rows[] = {
    /* Kernel: IRQL, spin locks, dispatcher objects, DPCs, timers, time, threads, debug output */
    R(DbgBreakPoint, ""), R(DbgBreakPointWithStatus, "f"), RV(DbgPrint, "p"), RV(DbgPrintReturnControlC, "p"),
    R(DbgQueryDebugFilterState, "ff"), R(DbgSetDebugFilterState, "ffb"), R(KdRefreshDebuggerNotPresent, ""),
    R(KeAcquireInStackQueuedSpinLockAtDpcLevel, "pp"), R(KeAcquireInStackQueuedSpinLockForDpc, "pp"),
    R(KeAcquireSpinLockForDpc, "p"), R(KeAcquireSpinLockRaiseToDpc, "p"), R(KeAreAllApcsDisabled, ""),
    R(KeAreApcsDisabled, ""), R(KeBugCheck, "f"), R(KeClearEvent, "p"), R(KeEnterCriticalRegion, ""),
    R(KeEnterGuardedRegion, ""), R(KeFlushQueuedDpcs, ""), R(KeGetCurrentIrql, ""),
    R(KeGetCurrentProcessorNumber, ""), R(KeGetCurrentProcessorNumberEx, "p"), R(KeGetCurrentThread, ""),
    R(KeInitializeThreadedDpc, "ppp"), R(KeInitializeTimerEx, "pf"), R(KeLeaveCriticalRegion, ""),
    R(KeLeaveGuardedRegion, ""), R(KePulseEvent, "pfb"), R(KeQueryActiveProcessorCount, "p"),
    R(KeQueryActiveProcessorCountEx, "w"), R(KeQueryDpcWatchdogInformation, "p"), R(KeQueryInterruptTime, ""),
    R(KeQueryInterruptTimePrecise, "p"), R(KeQueryMaximumProcessorCountEx, "w"), R(KeQueryPerformanceCounter, "p"),
    R(KeQueryPriorityThread, "p"), R(KeQuerySystemTime, "p"), R(KeQuerySystemTimePrecise, "p"),
    R(KeQueryTickCount, "p"), R(KeQueryTimeIncrement, ""), R(KeQueryUnbiasedInterruptTime, ""),
    R(KeRaiseIrqlToDpcLevel, ""), R(KeReadStateMutex, "p"), R(KeReadStateSemaphore, "p"), R(KeReadStateTimer, "p"),
    R(KeReleaseInStackQueuedSpinLockForDpc, "p"), R(KeReleaseInStackQueuedSpinLockFromDpcLevel, "p"),
    R(KeReleaseSpinLockForDpc, "pb"), R(KeReleaseSpinLockFromDpcLevel, "p"), R(KeSetBasePriorityThread, "pf"),
    R(KeSetImportanceDpc, "pf"), R(KeSetPriorityThread, "pf"), R(KeSetTargetProcessorDpc, "pb"),
    R(KeSetTargetProcessorDpcEx, "pp"), R(KeSetTimerEx, "pqfp"), R(KeStallExecutionProcessor, "u"),
    R(KeTryToAcquireSpinLockAtDpcLevel, "p"), R(KeWaitForMultipleObjects, "lppffbtp"), R(KfRaiseIrql, "b"),
    R(vDbgPrintEx, "ffpp"), R(vDbgPrintExWithPrefix, "pffpp"),
    /* Executive: pool, lookaside lists, fast mutexes, resources, lists, work items */
    R(ExAcquireFastMutexUnsafe, "p"), R(ExAcquireResourceSharedLite, "pb"), R(ExAcquireSharedStarveExclusive, "pb"),
    R(ExAcquireSharedWaitForExclusive, "pb"), R(ExAllocateFromLookasideListEx, "p"),
    R(ExAllocateFromPagedLookasideList, "p"), R(ExAllocatePool, "fl"), R(ExAllocatePool3, "flfpl"),
    R(ExAllocatePoolPriorityUninitialized, "flff"), R(ExAllocatePoolPriorityZero, "flff"),
    R(ExAllocatePoolQuotaUninitialized, "flf"), R(ExAllocatePoolQuotaZero, "flf"),
    R(ExAllocatePoolUninitialized, "flf"), R(ExAllocatePoolWithQuota, "fl"), R(ExConvertExclusiveToSharedLite, "p"),
    R(ExDeleteLookasideListEx, "p"), R(ExDeletePagedLookasideList, "p"), R(ExFlushLookasideListEx, "p"),
    R(ExFreeToLookasideListEx, "pp"), R(ExFreeToPagedLookasideList, "pp"), R(ExGetCurrentResourceThread, ""),
    R(ExGetExclusiveWaiterCount, "p"), R(ExGetSharedWaiterCount, "p"), R(ExInitializeDriverRuntime, "f"),
    R(ExInitializePagedLookasideList, "pppflfw"), R(ExInterlockedAddLargeInteger, "pqp"),
    R(ExInterlockedAddUlong, "pfp"), R(ExInterlockedInsertTailList, "ppp"), R(ExInterlockedPopEntryList, "pp"),
    R(ExInterlockedPushEntryList, "ppp"), R(ExInterlockedRemoveHeadList, "pp"),
    R(ExIsResourceAcquiredExclusiveLite, "p"), R(ExIsResourceAcquiredSharedLite, "p"),
    R(ExLocalTimeToSystemTime, "pp"), R(ExQueryDepthSList, "p"), R(ExReinitializeResourceLite, "p"),
    R(ExReleaseFastMutexUnsafe, "p"), R(ExReleaseResourceForThreadLite, "pf"), R(ExReleaseResourceLite, "p"),
    R(ExSystemTimeToLocalTime, "pp"), R(ExTryToAcquireFastMutex, "p"), R(InitializeSListHead, "p"),
    R(InterlockedFlushSList, "p"), R(InterlockedPopEntrySList, "p"), R(InterlockedPushEntrySList, "pp"),
    R(InterlockedPushListSListEx, "pppl"),
    /* Memory manager and probing */
    R(MmAllocateContiguousMemorySpecifyCacheNode, "lqqqff"), R(MmAllocatePagesForMdl, "qqql"),
    R(MmFreeContiguousMemorySpecifyCache, "plf"), R(MmFreePagesFromMdlEx, "pf"),
    /* I/O manager: IRPs, devices, links, work items, cancel-safe queues, remove locks, DMA */
    R(IoAcquireCancelSpinLock, "p"), R(IoAcquireRemoveLockEx, "pppfl"), R(IoAttachDeviceToDeviceStack, "pp"),
    R(IoBuildAsynchronousFsdRequest, "fpplpp"), R(IoBuildSynchronousFsdRequest, "fpplppp"),
    R(IoCreateDeviceSecure, "plpffbppp"), R(IoCreateSymbolicLink, "pp"), R(IoCreateUnprotectedSymbolicLink, "pp"),
    R(IoCsqInitialize, "ppppppp"), R(IoCsqInitializeEx, "ppppppp"), R(IoCsqInsertIrp, "ppp"),
    R(IoCsqInsertIrpEx, "pppp"), R(IoCsqRemoveIrp, "pp"), R(IoCsqRemoveNextIrp, "pp"), R(IoDeleteSymbolicLink, "p"),
    R(IoDetachDevice, "p"), R(IoGetAttachedDeviceReference, "p"), R(IoGetDeviceObjectPointer, "pfpp"),
    R(IoRegisterPlugPlayNotification, "ffppppp"), R(IoUnregisterPlugPlayNotification, "p"),
    R(IoUnregisterPlugPlayNotificationEx, "p"), R(PoStartNextPowerIrp, "p"), R(PoCallDriver, "pp"),
    R(IoRegisterDeviceInterface, "pppp"), R(IoSetDeviceInterfaceState, "pb"),
    R(IoGetDeviceProperty, "pflpp"), R(IoWMIDeviceObjectToProviderId, "p"), R(MmGetSystemRoutineAddress, "p"),
    R(mdlkit_pnp_add_device, "ppp"), R(mdlkit_pnp_surprise_remove, "p"), R(mdlkit_pnp_remove, "p"),
    R(IoGetDmaAdapter, "ppp"), R(IoGetRelatedDeviceObject, "p"), R(IoInitializeRemoveLockEx, "pflfl"),
    R(IoInitializeWorkItem, "pp"), R(IoQueueWorkItem, "ppfp"), R(IoReleaseCancelSpinLock, "b"),
    R(IoReleaseRemoveLockAndWaitEx, "ppl"), R(IoReleaseRemoveLockEx, "ppl"), R(IoSizeofWorkItem, ""),
    R(IoUninitializeWorkItem, "p"), R(IofCallDriver, "pp"), R(IofCompleteRequest, "pb"),
    /* Objects, handles, threads, event objects by handle */
    R(NtClose, "p"), R(ObDereferenceObjectDeferDelete, "p"), R(ObGetObjectType, "p"),
    R(ObReferenceObjectByHandleWithTag, "pfpbfpp"), R(ObReferenceObjectByPointer, "pfpb"),
    R(ObfDereferenceObjectWithTag, "pf"), R(ObfReferenceObjectWithTag, "pf"), R(PsGetCurrentProcess, ""),
    R(PsGetCurrentProcessId, ""), R(PsGetCurrentThread, ""), R(PsGetCurrentThreadId, ""), R(PsGetThreadId, "p"),
    R(PsGetVersion, "pppp"), R(PsIsSystemThread, "p"), R(PsTerminateSystemThread, "f"), R(ZwClearEvent, "p"),
    R(ZwCreateEvent, "pfpfb"), R(ZwResetEvent, "pp"), R(ZwWaitForSingleObject, "pbt"),
    /* Run-time library: strings, safe strings, bitmaps, versions, random */
    R(RtlAnsiStringToUnicodeString, "ppb"), R(RtlAppendStringToString, "pp"), R(RtlAppendUnicodeToString, "pp"),
    R(RtlAreBitsClear, "pll"), R(RtlAreBitsSet, "pll"), R(RtlAssert, "pplp"), R(RtlCharToInteger, "pfp"),
    R(RtlClearAllBits, "p"), R(RtlClearBit, "pl"), R(RtlClearBits, "pll"), R(RtlCompareMemoryUlong, "plf"),
    R(RtlCompareString, "ppb"), R(RtlCompareUnicodeStrings, "plplb"), R(RtlConvertLongToLargeInteger, "f"),
    R(RtlConvertUlongToLargeInteger, "f"), R(RtlCopyString, "pp"), R(RtlCreateUnicodeString, "pp"),
    R(RtlDowncaseUnicodeChar, "w"), R(RtlDowncaseUnicodeString, "ppb"), R(RtlDuplicateUnicodeString, "fpp"),
    R(RtlEqualString, "ppb"), R(RtlEqualUnicodeString, "ppb"), R(RtlFindClearBitsAndSet, "pll"),
    R(RtlFindFirstRunClear, "pp"), R(RtlFindLeastSignificantBit, "f"), R(RtlFindLongestRunClear, "pp"),
    R(RtlFindMostSignificantBit, "f"), R(RtlFindNextForwardRunClear, "plp"), R(RtlFindSetBits, "pll"),
    R(RtlFindSetBitsAndClear, "pll"), R(RtlFreeAnsiString, "p"), R(RtlFreeUTF8String, "p"),
    R(RtlGUIDFromString, "pp"), R(RtlGetVersion, "p"), R(RtlHashUnicodeString, "pbfp"), R(RtlInitAnsiString, "pp"),
    R(RtlInitAnsiStringEx, "pp"), R(RtlInitString, "pp"), R(RtlInitStringEx, "pp"), R(RtlInitUTF8String, "pp"),
    R(RtlInitUTF8StringEx, "pp"), R(RtlInitUnicodeStringEx, "pp"), R(RtlInt64ToUnicodeString, "ffp"),
    R(RtlIntegerToChar, "fflp"), R(RtlIntegerToUnicodeString, "ffp"), R(RtlIsNtDdiVersionAvailable, "f"),
    R(RtlIsServicePackVersionInstalled, "f"), R(RtlMultiByteToUnicodeN, "plppl"), R(RtlMultiByteToUnicodeSize, "ppl"),
    R(RtlNumberOfClearBits, "p"), R(RtlNumberOfSetBits, "p"), R(RtlPrefixString, "ppb"),
    R(RtlPrefixUnicodeString, "ppb"), R(RtlRandom, "p"), R(RtlRandomEx, "p"), R(RtlSetAllBits, "p"),
    R(RtlSetBit, "pl"), R(RtlStringCbCatA, "plp"), R(RtlStringCbCatExA, "plpppf"), R(RtlStringCbCatExW, "plpppf"),
    R(RtlStringCbCatNA, "plpl"), R(RtlStringCbCatNExA, "plplppf"), R(RtlStringCbCatNExW, "plplppf"),
    R(RtlStringCbCatNW, "plpl"), R(RtlStringCbCatUnicodeString, "plp"), R(RtlStringCbCatW, "plp"),
    R(RtlStringCbCopyA, "plp"), R(RtlStringCbCopyExA, "plpppf"), R(RtlStringCbCopyExW, "plpppf"),
    R(RtlStringCbCopyNA, "plpl"), R(RtlStringCbCopyNExA, "plplppf"), R(RtlStringCbCopyNExW, "plplppf"),
    R(RtlStringCbCopyNW, "plpl"), R(RtlStringCbCopyUnicodeString, "plp"), R(RtlStringCbCopyW, "plp"),
    R(RtlStringCbLengthA, "plp"), R(RtlStringCbLengthW, "plp"), RV(RtlStringCbPrintfExA, "plppfp"),
    RV(RtlStringCbPrintfExW, "plppfp"), RV(RtlStringCbPrintfW, "plp"), R(RtlStringCbVPrintfA, "plpp"),
    R(RtlStringCbVPrintfExA, "plppfpp"), R(RtlStringCbVPrintfExW, "plppfpp"), R(RtlStringCbVPrintfW, "plpp"),
    R(RtlStringCchCatA, "plp"), R(RtlStringCchCatExA, "plpppf"), R(RtlStringCchCatExW, "plpppf"),
    R(RtlStringCchCatNA, "plpl"), R(RtlStringCchCatNExA, "plplppf"), R(RtlStringCchCatNExW, "plplppf"),
    R(RtlStringCchCatNW, "plpl"), R(RtlStringCchCatUnicodeString, "plp"), R(RtlStringCchCatW, "plp"),
    R(RtlStringCchCopyA, "plp"), R(RtlStringCchCopyExA, "plpppf"), R(RtlStringCchCopyExW, "plpppf"),
    R(RtlStringCchCopyNA, "plpl"), R(RtlStringCchCopyNExA, "plplppf"), R(RtlStringCchCopyNExW, "plplppf"),
    R(RtlStringCchCopyNW, "plpl"), R(RtlStringCchCopyUnicodeString, "plp"), R(RtlStringCchLengthA, "plp"),
    R(RtlStringCchLengthW, "plp"), RV(RtlStringCchPrintfA, "plp"), RV(RtlStringCchPrintfExA, "plppfp"),
    RV(RtlStringCchPrintfExW, "plppfp"), RV(RtlStringCchPrintfW, "plp"), R(RtlStringCchVPrintfA, "plpp"),
    R(RtlStringCchVPrintfExA, "plppfpp"), R(RtlStringCchVPrintfExW, "plppfpp"), R(RtlStringCchVPrintfW, "plpp"),
    R(RtlStringFromGUID, "pp"), R(RtlSuffixUnicodeString, "ppb"), R(RtlTestBit, "pl"),
    R(RtlUTF8StringToUnicodeString, "ppb"), R(RtlUTF8ToUnicodeN, "plppl"), R(RtlUnicodeStringCat, "pp"),
    R(RtlUnicodeStringCatEx, "pppf"), R(RtlUnicodeStringCatString, "pp"), R(RtlUnicodeStringCatStringEx, "pppf"),
    R(RtlUnicodeStringCbCatN, "ppl"), R(RtlUnicodeStringCbCatNEx, "pplpf"), R(RtlUnicodeStringCbCatStringN, "ppl"),
    R(RtlUnicodeStringCbCatStringNEx, "pplpf"), R(RtlUnicodeStringCbCopyN, "ppl"),
    R(RtlUnicodeStringCbCopyNEx, "pplpf"), R(RtlUnicodeStringCbCopyStringN, "ppl"),
    R(RtlUnicodeStringCbCopyStringNEx, "pplpf"), R(RtlUnicodeStringCchCatN, "ppl"),
    R(RtlUnicodeStringCchCatNEx, "pplpf"), R(RtlUnicodeStringCchCatStringN, "ppl"),
    R(RtlUnicodeStringCchCatStringNEx, "pplpf"), R(RtlUnicodeStringCchCopyN, "ppl"),
    R(RtlUnicodeStringCchCopyNEx, "pplpf"), R(RtlUnicodeStringCchCopyStringN, "ppl"),
    R(RtlUnicodeStringCchCopyStringNEx, "pplpf"), R(RtlUnicodeStringCopy, "pp"), R(RtlUnicodeStringCopyEx, "pppf"),
    R(RtlUnicodeStringCopyString, "pp"), R(RtlUnicodeStringCopyStringEx, "pppf"), R(RtlUnicodeStringInit, "pp"),
    R(RtlUnicodeStringInitEx, "ppf"), RV(RtlUnicodeStringPrintf, "pp"), RV(RtlUnicodeStringPrintfEx, "ppfp"),
    R(RtlUnicodeStringToInt64, "pfpp"), R(RtlUnicodeStringToInteger, "pfp"), R(RtlUnicodeStringToUTF8String, "ppb"),
    R(RtlUnicodeStringVPrintf, "ppp"), R(RtlUnicodeStringVPrintfEx, "ppfpp"), R(RtlUnicodeStringValidate, "p"),
    R(RtlUnicodeStringValidateEx, "pf"), R(RtlUnicodeToMultiByteN, "plppl"), R(RtlUnicodeToMultiByteSize, "ppl"),
    R(RtlUnicodeToUTF8N, "plppl"), R(RtlUniform, "p"), R(RtlUpcaseUnicodeChar, "w"), R(RtlUpcaseUnicodeString, "ppb"),
    R(RtlUpcaseUnicodeStringToAnsiString, "ppb"), R(RtlUpperChar, "b"), R(RtlUpperString, "pp"),
    R(RtlVerifyVersionInfo, "pff"), R(RtlxAnsiStringToUnicodeSize, "p"), R(RtlxUnicodeStringToAnsiSize, "p"),
    R(VerSetConditionMask, "ffb"),
    /* StorPort and ScsiPort WMI */
    R(ScsiPortWmiDispatchFunction, "pbppplp"), R(ScsiPortWmiPostProcess, "pbf"),
    R(StorPortAllocateDmaMemory, "plqqqffpp"), R(StorPortAllocateRegistryBuffer, "pp"), R(StorPortBusy, "pf"),
    R(StorPortCompleteRequest, "pbbbb"), RV(StorPortDebugPrint, "fp"), RV(StorPortExtendedFunction, "fp"),
    R(StorPortFreeDeviceBase, "pp"), R(StorPortFreeDmaMemory, "pplfq"), R(StorPortFreeRegistryBuffer, "pp"),
    R(StorPortGetBusData, "pfllpl"), R(StorPortGetDeviceBase, "pflqlb"), R(StorPortGetLogicalUnit, "pbbb"),
    R(StorPortGetScatterGatherList, "pp"), R(StorPortGetUncachedExtension, "ppl"), R(StorPortGetVirtualAddress, "pq"),
    R(StorPortInitialize, "pppp"), R(StorPortLogError, "ppbbbff"), R(StorPortMoveMemory, "ppw"),
    RV(StorPortNotification, "fp"), R(StorPortPause, "pf"), R(StorPortReadPortBufferUchar, "pppl"),
    R(StorPortReadPortBufferUlong, "pppl"), R(StorPortReadPortBufferUshort, "pppl"), R(StorPortReadPortUchar, "pp"),
    R(StorPortReadPortUlong, "pp"), R(StorPortReadPortUshort, "pp"), R(StorPortReadRegisterBufferUchar, "pppl"),
    R(StorPortReadRegisterBufferUlong, "pppl"), R(StorPortReadRegisterBufferUshort, "pppl"),
    R(StorPortReadRegisterUchar, "pp"), R(StorPortReadRegisterUlong, "pp"), R(StorPortReadRegisterUlong64, "pp"),
    R(StorPortReadRegisterUshort, "pp"), R(StorPortReady, "p"), R(StorPortRegistryRead, "ppffpp"),
    R(StorPortRegistryWrite, "ppffpl"), R(StorPortResume, "p"), R(StorPortSetBusDataByOffset, "pfllpll"),
    R(StorPortSetDeviceQueueDepth, "pbbbl"), R(StorPortStallExecution, "u"), R(StorPortStateChangeDetected, "pfpfpp"),
    R(StorPortWritePortBufferUchar, "pppl"), R(StorPortWritePortBufferUlong, "pppl"),
    R(StorPortWritePortBufferUshort, "pppl"), R(StorPortWritePortUchar, "ppb"), R(StorPortWritePortUlong, "ppf"),
    R(StorPortWritePortUshort, "ppw"), R(StorPortWriteRegisterBufferUchar, "pppl"),
    R(StorPortWriteRegisterBufferUlong, "pppl"), R(StorPortWriteRegisterBufferUshort, "pppl"),
    R(StorPortWriteRegisterUchar, "ppb"), R(StorPortWriteRegisterUlong, "ppf"),
    R(StorPortWriteRegisterUlong64, "ppf"), R(StorPortWriteRegisterUshort, "ppw"),
    /* NDIS */
    R(NdisAcquireRWLockRead, "ppb"), R(NdisAcquireRWLockWrite, "ppb"), R(NdisAcquireReadWriteLock, "pbp"),
    R(NdisActiveGroupCount, ""), R(NdisAdvanceNetBufferDataStart, "plbp"),
    R(NdisAdvanceNetBufferListDataStart, "plbp"), R(NdisAllocateGenericObject, "pfw"), R(NdisAllocateIoWorkItem, "p"),
    R(NdisAllocateNetBuffer, "ppll"), R(NdisAllocateNetBufferAndNetBufferList, "pwwpll"),
    R(NdisAllocateNetBufferList, "pww"), R(NdisAllocateNetBufferListContext, "pwwf"),
    R(NdisAllocateNetBufferListPool, "pp"), R(NdisAllocateNetBufferMdlAndData, "p"),
    R(NdisAllocateNetBufferPool, "pp"), R(NdisAllocateRWLock, "p"), R(NdisAllocateSharedMemory, "ppp"),
    R(NdisAllocateTimerObject, "ppp"), R(NdisCancelTimerObject, "p"), R(NdisCloseConfiguration, "p"),
    R(NdisCopyFromNetBufferToNetBuffer, "pllplp"), R(NdisCurrentGroupAndProcessor, ""),
    R(NdisDprAcquireSpinLock, "p"), R(NdisDprReleaseSpinLock, "p"), R(NdisFreeGenericObject, "p"), R(NdisFRegisterFilterDriver, "pppp"), R(NdisFDeregisterFilterDriver, "p"),
    R(NdisRegisterDeviceEx, "pppp"), R(NdisDeregisterDeviceEx, "p"), R(NdisGetDeviceReservedExtension, "p"),
    R(NdisInitializeEvent, "p"), R(NdisSetEvent, "p"), R(NdisResetEvent, "p"), R(NdisStallExecution, "u"),
    R(NdisFreeIoWorkItem, "p"), R(NdisFreeMemoryWithTagPriority, "ppf"), R(NdisFreeNetBuffer, "p"),
    R(NdisFreeNetBufferList, "p"), R(NdisFreeNetBufferListContext, "pw"), R(NdisFreeNetBufferListPool, "p"),
    R(NdisFreeNetBufferPool, "p"), R(NdisFreeRWLock, "p"), R(NdisFreeSharedMemory, "pp"), R(NdisFreeSpinLock, "p"),
    R(NdisFreeTimerObject, "p"), R(NdisGetCurrentSystemTime, "p"), R(NdisGetDataBuffer, "plpfl"),
    R(NdisGetNetBufferListProtocolId, "p"), R(NdisGetPoolFromNetBuffer, "p"), R(NdisGetPoolFromNetBufferList, "p"),
    R(NdisGetRssProcessorInformation, "ppp"), R(NdisGetSharedDataAlignment, ""), R(NdisGetSystemUpTimeEx, ""),
    R(NdisGetVersion, ""), R(NdisGroupActiveProcessorCount, "w"), R(NdisGroupActiveProcessorMask, "w"),
    R(NdisGroupMaxProcessorCount, "w"), R(NdisInitializeReadWriteLock, "p"), R(NdisInterlockedInsertHeadList, "ppp"),
    R(NdisInterlockedInsertTailList, "ppp"), R(NdisInterlockedRemoveHeadList, "pp"),
    R(NdisMAllocateNetBufferSGList, "pppfpl"), R(NdisMAllocateSharedMemory, "plbpp"),
    R(NdisMAllocateSharedMemoryAsyncEx, "plbp"), R(NdisMDeregisterInterruptEx, "p"),
    R(NdisMDeregisterMiniportDriver, "p"), R(NdisMDeregisterScatterGatherDma, "p"),
    R(NdisMDirectOidRequestComplete, "ppf"), R(NdisMFreeNetBufferSGList, "ppp"), R(NdisMFreeSharedMemory, "plbpq"),
    R(NdisMGetDeviceProperty, "pppppp"), R(NdisMIndicateReceiveNetBufferLists, "ppllf"),
    R(NdisMIndicateStatusEx, "pp"), R(NdisMOidRequestComplete, "ppf"), R(NdisMPauseComplete, "p"),
    R(NdisMRegisterInterruptEx, "pppp"), R(NdisMRegisterMiniportDriver, "ppppp"),
    R(NdisMRegisterScatterGatherDma, "ppp"), R(NdisMResetComplete, "pfb"), R(NdisMRestartComplete, "pf"),
    R(NdisMSendNetBufferListsComplete, "ppf"), R(NdisMSetMiniportAttributes, "pp"), R(NdisMSleep, "u"),
    R(NdisMSynchronizeWithInterruptEx, "pfpp"), R(NdisMaxGroupCount, ""), R(NdisOpenConfigurationEx, "pp"),
    R(NdisQueueIoWorkItem, "ppp"), R(NdisReadConfiguration, "ppppf"), R(NdisReadNetworkAddress, "pppp"),
    R(NdisReleaseRWLock, "pp"), R(NdisReleaseReadWriteLock, "pp"), R(NdisReleaseSpinLock, "p"),
    R(NdisRetreatNetBufferDataStart, "plfp"), R(NdisRetreatNetBufferListDataStart, "plfpp"),
    R(NdisSetOptionalHandlers, "pp"), R(NdisSetTimerObject, "pqfp"), R(NdisSystemProcessorCount, ""),
    R(NdisWriteConfiguration, "pppp"), RV(NdisWriteErrorLogEntry, "pfl"),
    /* The harness (mdlkit.h and its companions) */
    R(mdlkit_assert_failed, "ppf"), R(mdlkit_bugcheck_name, "f"), R(mdlkit_cancel, "p"), R(mdlkit_close, "p"),
    R(mdlkit_current_config, ""), R(mdlkit_dbgprint_capture, "pp"), R(mdlkit_dbgprint_get_mask, "f"),
    R(mdlkit_dbgprint_set_mask, "ff"), R(mdlkit_dma_read, "pfpl"), R(mdlkit_dma_write, "pfpl"),
    R(mdlkit_driver_call, "pp"), R(mdlkit_event_create, "b"), R(mdlkit_event_reset, "p"), R(mdlkit_event_set, "p"),
    R(mdlkit_fuzz_bool, "p"), R(mdlkit_fuzz_bytes, "ppl"), R(mdlkit_fuzz_choose, "pf"),
    R(mdlkit_fuzz_data_init, "ppl"), R(mdlkit_fuzz_get_stats, "p"),
    R(mdlkit_fuzz_open_device, "p"), R(mdlkit_fuzz_pick, "ppf"), R(mdlkit_fuzz_range, "pff"),
    R(mdlkit_fuzz_remaining, "p"), R(mdlkit_fuzz_rest, "pp"), R(mdlkit_fuzz_snapshot, "pl"),
    R(mdlkit_fuzz_snapshot_devices, "p"), R(mdlkit_fuzz_snapshot_pool, "p"), R(mdlkit_fuzz_start, "p"),
    R(mdlkit_fuzz_stop, ""), R(mdlkit_fuzz_take, "plp"), R(mdlkit_fuzz_u16, "p"), R(mdlkit_fuzz_u32, "p"),
    R(mdlkit_fuzz_u64, "p"), R(mdlkit_fuzz_u8, "p"), R(mdlkit_init, "p"), R(mdlkit_ioctl, "pfplplp"),
    R(mdlkit_ioctl_async, "pfplpl"), R(mdlkit_is_crashed, ""), R(mdlkit_is_initialized, ""),
    R(mdlkit_last_bugcheck, ""), R(mdlkit_lint_count, "f"), R(mdlkit_ndis_adapter_context, "p"),
    R(mdlkit_ndis_build_nbl, "pplf"), R(mdlkit_ndis_frame_free, "p"), R(mdlkit_ndis_frames_indicated, "p"),
    R(mdlkit_ndis_free_nbl, "p"), R(mdlkit_ndis_general_attributes, "pp"), R(mdlkit_ndis_halt_adapter, "p"),
    R(mdlkit_ndis_interrupt, "p"), R(mdlkit_ndis_next_status, "pfplp"), R(mdlkit_ndis_oid, "pffpllfp"),
    R(mdlkit_ndis_oid_name, "f"), R(mdlkit_ndis_pause_adapter, "pf"), R(mdlkit_ndis_pnp_event, "pfpl"),
    R(mdlkit_ndis_receive, "pf"), R(mdlkit_ndis_receives_pending, "p"), R(mdlkit_ndis_release, "pp"),
    R(mdlkit_ndis_restart_adapter, "pf"), R(mdlkit_ndis_return, "pp"), R(mdlkit_ndis_send, "ppf"),
    R(mdlkit_ndis_send_completed, "pfp"), R(mdlkit_ndis_sends_pending, "p"), R(mdlkit_ndis_set_receive_mode, "pf"),
    R(mdlkit_ndis_shutdown_adapter, "p"), R(mdlkit_ndis_start_adapter, "pp"), R(mdlkit_ndis_start_adapter_ex, "ppp"),
    R(mdlkit_ndis_status_name, "f"), R(mdlkit_ntstatus_name, "f"), R(mdlkit_open, "p"), R(mdlkit_parse_os, "pp"),
    R(mdlkit_pci_add_capability, "pbpl"), R(mdlkit_pci_bar_address, "pf"), R(mdlkit_pci_bar_read, "pflfp"),
    R(mdlkit_pci_bar_write, "pflff"), R(mdlkit_pci_config_read, "plpl"), R(mdlkit_pci_config_write, "plpl"),
    R(mdlkit_pci_create, "p"), R(mdlkit_pci_destroy, "p"), R(mdlkit_pci_interrupt, "pf"), R(mdlkit_pci_slot, "p"),
    R(mdlkit_pool_memory_get, "p"), R(mdlkit_pool_print, "Ff"), R(mdlkit_pool_usage, "pl"),
    R(mdlkit_print_layout, "F"), R(mdlkit_read, "pplp"), R(mdlkit_read_async, "ppl"), R(mdlkit_report_print, "F"),
    R(mdlkit_report_write, "p"), R(mdlkit_reset, ""), R(mdlkit_scsiop_name, "b"), R(mdlkit_shutdown, ""),
    R(mdlkit_storport_advance_timers, "pf"), R(mdlkit_storport_enumerate_lun, "pbbbp"),
    R(mdlkit_storport_get_info, "pp"), R(mdlkit_storport_get_registry, "pfpppl"), R(mdlkit_storport_outstanding, "p"),
    R(mdlkit_storport_poll, "p"), R(mdlkit_storport_remove_adapter, "p"), R(mdlkit_storport_reset, "p"),
    R(mdlkit_storport_scsi, "pp"), R(mdlkit_storport_send, "ppp"), R(mdlkit_storport_set_registry, "pfpfpl"),
    R(mdlkit_storport_start_device, "ppp"), R(mdlkit_storport_submit, "pp"), R(mdlkit_storport_wait, "pf"),
    R(mdlkit_sysdma_last, "fpl"), R(mdlkit_sysdma_set_device, "fpp"), R(mdlkit_verifier_counters_get, "p"),
    R(mdlkit_virtio_blk_complete_held, "plf"), R(mdlkit_virtio_blk_create, "p"), R(mdlkit_virtio_blk_destroy, "p"),
    R(mdlkit_virtio_blk_disk, "p"), R(mdlkit_virtio_blk_get_stats, "pp"), R(mdlkit_virtio_blk_held, "p"),
    R(mdlkit_virtio_blk_hold, "pf"), R(mdlkit_virtio_blk_inject_error, "pfbl"), R(mdlkit_virtio_blk_pci, "p"),
    R(mdlkit_wait, "pup"), R(mdlkit_wpp_cleanup, "pl"), R(mdlkit_wpp_init, "pl"), R(mdlkit_wpp_level, "f"),
    RV(mdlkit_wpp_trace, "ffpfpp"), R(mdlkit_write, "pplp"),
};
#undef R
#undef RV
#define SW_NROWS (sizeof sw_rows / sizeof sw_rows[0])

typedef ULONG_PTR (*sw_fixed_fn)(ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR,
                                 ULONG_PTR, ULONG_PTR, ULONG_PTR);
typedef ULONG_PTR (*sw_var_fn)(ULONG_PTR, ...);
static LARGE_INTEGER sw_zero_timeout;

static ULONG_PTR sw_arg(char k, int v)
{
    static const UCHAR b[SW_VARIANTS] = {0, 0xFF, 1, 7, 2, 0x40};
    static const LONGLONG q[SW_VARIANTS] = {0, -1, 0x7FFFFFFFFFFFFFFFLL, 1, -10000, 0x10000000};
    static const ULONG u[SW_VARIANTS] = {0, 1, 10, 100, 5, 50};
    switch (k) {
    case 'p': return (ULONG_PTR)sw_ptr(v);
    case 'l': return sw_len(v);
    case 'b': return b[v];
    case 'w': return (USHORT)sw_len(v);
    case 'q': return (ULONG_PTR)q[v];
    case 't': return (ULONG_PTR)&sw_zero_timeout;
    case 'u': return u[v];
    case 'F': return (ULONG_PTR)(v ? stderr : NULL);
    default: return sw_flags(v);
    }
}

/* The call through a type other than the routine's own: the ABI passes
 * every integer or pointer argument the same way (no -fsanitize=function). */
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
static void sw_row_call(const sw_row *r, int v)
{
    ULONG_PTR a[10] = {0};
    for (size_t i = 0; r->args[i] && i < 10; i++)
        a[i] = sw_arg(r->args[i], v);
    if (r->variadic)
        ((sw_var_fn)r->fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    else
        ((sw_fixed_fn)r->fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
}

/* ---- the StorPort miniport the StorPort rows use ---- */
static ULONG SwFind(PVOID e, PVOID c, PVOID b, PCHAR a, PPORT_CONFIGURATION_INFORMATION ci, PBOOLEAN r)
{
    (void)e, (void)c, (void)b, (void)a, (void)r;
    ci->NumberOfBuses = 1;
    return SP_RETURN_FOUND;
}
static BOOLEAN SwInit(PVOID e) { (void)e; return TRUE; }
static BOOLEAN SwStartIo(PVOID e, PSCSI_REQUEST_BLOCK s) { (void)e, (void)s; return TRUE; }
static BOOLEAN SwReset(PVOID e, ULONG p) { (void)e, (void)p; return TRUE; }
static NTSTATUS SwEntry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = SwFind;
    hw.HwInitialize = SwInit;
    hw.HwStartIo = SwStartIo;
    hw.HwResetBus = SwReset;
    hw.DeviceExtensionSize = 64;
    return (NTSTATUS)StorPortInitialize(d, r, &hw, NULL);
}

/* ---- one case in a child ---- */
enum { SW_RETURNED, SW_RAISED, SW_BUGCHECK };
typedef struct sw_report {
    int kind;
    ULONG code;
} sw_report;
static int sw_cur_v, sw_cur_high;
static const struct sw_case *sw_cur;
static const sw_row *sw_cur_row;
static void sw_body(void *a)
{
    (void)a;
    volatile int raised = 0;
    MDLKIT_TRY {
        if (sw_cur_high) {
            KIRQL o;
            KeRaiseIrql(HIGH_LEVEL, &o);
        }
        if (sw_cur_row)
            sw_row_call(sw_cur_row, sw_cur_v);
        else
            sw_cur->fn(sw_cur_v);
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { raised = 1; }
    MDLKIT_END;
    if (raised)
        sw_cur_v = -1;
}

/* counts per outcome, for docs/reliability.md */
static unsigned sw_count[3];
#define SW_NCODES 64
static unsigned sw_codes[SW_NCODES][2]; /* code, count */

static void sw_note_code(ULONG code)
{
    for (int i = 0; i < SW_NCODES; i++) {
        if (sw_codes[i][1] && sw_codes[i][0] == code) {
            sw_codes[i][1]++;
            return;
        }
        if (!sw_codes[i][1]) {
            sw_codes[i][0] = code;
            sw_codes[i][1] = 1;
            return;
        }
    }
}

/* Routines whose hostile calls still end in a sanitizer report inside
 * mdlkit under ASan+UBSan (an object of random host bytes or a wild
 * pointer reaching memcpy / memset or a member access before the fault the
 * default build turns into a bug check). Open work, listed by name in
 * docs/reliability.md: a report in any other routine fails the sweep, and
 * each report here is printed. Empty in the default build's sense: the
 * default build fails on any crash of any routine. */
static const char *const sw_sanitizer_open[] = {
    "ExAllocatePool3", "ExFreeToNPagedLookasideList", "ExInitializeResourceLite", "ExInterlockedAddUlong",
    "ExInterlockedInsertHeadList", "ExInterlockedInsertTailList", "ExInterlockedPopEntrySList",
    "ExInterlockedRemoveHeadList", "ExReinitializeResourceLite", "InterlockedPopEntrySList", "IoAllocateMdl",
    "IoCallDriver", "IoGetRelatedDeviceObject", "IoInitializeIrp", "IoReuseIrp", "IofCallDriver",
    "KeQueryActiveProcessorCount", "KeQueryInterruptTimePrecise", "KeSetEvent", "KeWaitForSingleObject",
    "MmGetSystemAddressForMdlSafe", "MmMapLockedPages", "MmPrepareMdlForReuse", "MmProbeAndLockPages",
    "MmUnlockPages", "NdisAdvanceNetBufferDataStart", "NdisCopyFromNetBufferToNetBuffer",
    "NdisFreeNetBufferListContext", "NdisGetDataBuffer", "NdisInitializeReadWriteLock",
    "NdisInterlockedInsertTailList", "NdisInterlockedRemoveHeadList", "NdisRetreatNetBufferDataStart",
    "ObReferenceObjectByHandleWithTag", "RtlAppendUnicodeToString", "RtlCharToInteger", "RtlCompareUnicodeStrings",
    "RtlCopyString", "RtlCopyUnicodeString", "RtlCreateUnicodeString", "RtlMultiByteToUnicodeN", "RtlStringCbCatA",
    "RtlStringCbCatExA", "RtlStringCbCatExW", "RtlStringCbCatNA", "RtlStringCbCatNExA", "RtlStringCbCatNExW",
    "RtlStringCbCatNW", "RtlStringCbCatW", "RtlStringCbCopyExW", "RtlStringCbCopyNExW", "RtlStringCbCopyNW",
    "RtlStringCbCopyW", "RtlStringCbLengthW", "RtlStringCbPrintfExW", "RtlStringCbPrintfW", "RtlStringCbVPrintfExW",
    "RtlStringCbVPrintfW", "RtlStringCchCatA", "RtlStringCchCatExA", "RtlStringCchCatExW", "RtlStringCchCatNA",
    "RtlStringCchCatNExA", "RtlStringCchCatNExW", "RtlStringCchCatNW", "RtlStringCchCatW", "RtlStringCchCopyExW",
    "RtlStringCchCopyNExW", "RtlStringCchCopyNW", "RtlStringCchCopyW", "RtlStringCchLengthW", "RtlStringCchPrintfExW",
    "RtlStringCchPrintfW", "RtlStringCchVPrintfExW", "RtlStringCchVPrintfW", "RtlUTF8ToUnicodeN",
    "RtlUnicodeStringCatString", "RtlUnicodeStringCatStringEx", "RtlUnicodeStringCopyString",
    "RtlUnicodeStringCopyStringEx", "RtlUnicodeToMultiByteN", "StorPortBuildMdlForNonPagedPool", "StorPortMoveMemory",
    "StorPortWritePortBufferUlong", "StorPortWritePortBufferUshort", "StorPortWriteRegisterBufferUlong",
    "StorPortWriteRegisterBufferUshort", "ZwCreateEvent", "mdlkit_cancel", "mdlkit_config_default",
    "mdlkit_fuzz_bytes", "mdlkit_fuzz_snapshot_devices", "mdlkit_fuzz_start", "mdlkit_ioctl", "mdlkit_ndis_free_nbl",
    "mdlkit_ndis_next_status", "mdlkit_ndis_start_adapter", "mdlkit_ndis_start_adapter_ex", "mdlkit_pci_create",
    "mdlkit_pci_interrupt", "mdlkit_pool_describe", "mdlkit_pool_memory_get", "mdlkit_pool_print",
    "mdlkit_pool_usage", "mdlkit_print_layout", "mdlkit_read", "mdlkit_report_print", "mdlkit_storport_enumerate_lun",
    "mdlkit_storport_send", "mdlkit_storport_start_device", "mdlkit_storport_wait", "mdlkit_verifier_counters_get",
    "mdlkit_virtio_blk_complete_held", "mdlkit_virtio_blk_create", "mdlkit_wait", "mdlkit_wpp_cleanup",
    "mdlkit_wpp_init", "mdlkit_write",
};
static unsigned sw_open_reports;
static int sw_is_open(const char *name)
{
    for (size_t i = 0; i < sizeof sw_sanitizer_open / sizeof sw_sanitizer_open[0]; i++)
        if (sw_sanitizer_open[i] && strcmp(sw_sanitizer_open[i], name) == 0)
            return 1;
    return 0;
}

/* One child in flight: its pid and the read end of its pipe. */
typedef struct sw_child {
    pid_t pid;
    int fd;
    FILE *err; /* the child's stderr */
    const char *name;
    const struct sw_case *c;
    const sw_row *row;
    int v, high;
    long long t0; /* started, ms */
} sw_child;

static long long sw_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Starts case c, variant v, at the caller's IRQL or HIGH_LEVEL. */
static int sw_start(sw_child *ch, const struct sw_case *c, const sw_row *row, int v, int high)
{
    int fds[2];
    ch->c = c, ch->row = row, ch->v = v, ch->high = high;
    ch->name = row ? row->name : c->name;
    ch->t0 = sw_now_ms();
    if (pipe(fds) != 0)
        return -1;
    ch->err = tmpfile();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { /* the DDIs' own output (DbgPrint, messages) */
            dup2(devnull, 1);
            close(devnull);
        }
        if (ch->err) /* reports, read back when the child did not answer */
            dup2(fileno(ch->err), 2);
        sw_cur = c;
        sw_cur_row = row;
        sw_cur_v = v;
        sw_cur_high = high;
        sw_report r = {SW_RETURNED, 0};
        mdlkit_bugcheck bc;
        if (mdlkit_catch_bugcheck(sw_body, NULL, &bc) == 1) {
            r.kind = SW_BUGCHECK;
            r.code = bc.code;
        } else if (sw_cur_v == -1) {
            r.kind = SW_RAISED;
        }
        if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    ch->pid = pid;
    ch->fd = fds[0];
    return 0;
}

/* Waits for the child's answer (time limit); NULL or what went wrong. */
static const char *sw_finish(sw_child *ch, char *why, size_t whylen)
{
    struct pollfd pf = {ch->fd, POLLIN, 0};
    long long left = SW_LIMIT_MS - (sw_now_ms() - ch->t0);
    int ready = poll(&pf, 1, left > 0 ? (int)left : 0);
    sw_report r;
    ssize_t got = ready > 0 ? read(ch->fd, &r, sizeof r) : -1;
    close(ch->fd);
    if (ready <= 0)
        kill(ch->pid, SIGKILL);
    int st = 0;
    waitpid(ch->pid, &st, 0);
    if (ready <= 0) {
        snprintf(why, whylen, "no answer in %d s (a hang)", SW_LIMIT_MS / 1000);
        return why;
    }
    /* A bug check on another of the machine's threads (a system thread
     * started at a wild address) stops the process as on Windows: that is
     * a documented outcome when the report says so. */
    unsigned code = 0;
    int uncaught = 0;
    char report[256] = "", last[160] = "";
    if (ch->err && got != (ssize_t)sizeof r) {
        char line[512];
        rewind(ch->err);
        while (fgets(line, sizeof line, ch->err)) {
            sscanf(line, "mdlkit: BUG CHECK 0x%x", &code);
            if (line[0] != '\n')
                snprintf(last, sizeof last, "%.150s", line);
            if (strstr(line, "the bug check was not caught") || strstr(line, "mdlkit: BUG CHECK 0x"))
                uncaught = 1; /* (the banner is printed only when no catch frame took it: quiet) */
            /* a sanitizer's first line: UBSan "file:line:col: runtime error: ...", ASan "==pid==ERROR: ..." */
            if (!report[0] && (strstr(line, "runtime error: ") || strstr(line, "ERROR: AddressSanitizer") ||
                               strstr(line, "ERROR: LeakSanitizer"))) {
                line[strcspn(line, "\n")] = 0;
                snprintf(report, sizeof report, "%.200s", line);
            }
        }
    }
    if (ch->err)
        fclose(ch->err);
    /* Under ASan+UBSan (-fno-sanitize-recover=all) a report aborts the
     * child: that is a failure, whatever else the child printed. */
    if (report[0]) {
        if (sw_is_open(ch->name)) {
            sw_open_reports++;
            printf("open (sanitizer report inside mdlkit): %s, variant %d%s: %s\n", ch->name, ch->v,
                   ch->high ? " at HIGH_LEVEL" : "", report);
            return NULL;
        }
        snprintf(why, whylen, "sanitizer report: %s", report);
        return why;
    }
    if (uncaught && code) {
        sw_count[SW_BUGCHECK]++;
        sw_note_code(code);
        return NULL;
    }
    if (WIFSIGNALED(st)) {
        snprintf(why, whylen, "died of signal %d", WTERMSIG(st));
        return why;
    }
    if (got != (ssize_t)sizeof r) {
        last[strcspn(last, "\n")] = 0;
        snprintf(why, whylen, "exited (status %d) without an answer (last line: %s)", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                 last);
        return why;
    }
    sw_count[r.kind]++;
    if (r.kind == SW_BUGCHECK)
        sw_note_code(r.code);
    return NULL;
}

static void sw_prepare(void)
{
    sw_np = ExAllocatePoolWithTag(NonPagedPoolNx, 2 * PAGE_SIZE, SW_TAG);
    sw_freed = ExAllocatePoolWithTag(NonPagedPoolNx, 256, SW_TAG);
    ExFreePoolWithTag(sw_freed, SW_TAG);
    sw_user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    sw_heap = malloc(4096);
    unsigned x = 0xC0FFEE;
    for (int i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        ((unsigned char *)sw_heap)[i] = (unsigned char)(x >> 16);
    }
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("swstor", SwEntry, &drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_adapter(drv, &sw_ext), STATUS_SUCCESS);
}

static void sw_sweep(ULONG verifier, int irqls)
{
    assert_int_equal(mk_test_setup_flags(verifier), 0);
    sw_prepare();
    memset(sw_count, 0, sizeof sw_count);
    memset(sw_codes, 0, sizeof sw_codes);
    sw_open_reports = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned failures = 0, cases = 0;
    char why[400];
    /* SW_INFLIGHT children at a time, each reaped as soon as it answers
     * (most answer in a few ms; a spin-lock watchdog takes 3 s) */
    sw_child ch[SW_INFLIGHT];
    int inflight = 0;
    size_t total = SW_NCASES + SW_NROWS;
    size_t ncalls = total * SW_VARIANTS * (size_t)irqls, next = 0;
    while (next < ncalls || inflight) {
        if (next < ncalls && inflight < SW_INFLIGHT) {
            size_t i = next / ((size_t)SW_VARIANTS * (size_t)irqls);
            int v = (int)(next / (size_t)irqls % SW_VARIANTS), high = (int)(next % (size_t)irqls);
            next++;
            cases++;
            const struct sw_case *c = i < SW_NCASES ? &sw_cases[i] : NULL;
            const sw_row *row = i < SW_NCASES ? NULL : &sw_rows[i - SW_NCASES];
            if (sw_start(&ch[inflight], c, row, v, high) != 0) {
                failures++;
                print_error("%s, variant %d: fork failed\n", c ? c->name : row->name, v);
                continue;
            }
            inflight++;
            continue;
        }
        /* all slots busy (or nothing left to start): wait for the first answer */
        struct pollfd pf[SW_INFLIGHT];
        long long now = sw_now_ms(), wait = SW_LIMIT_MS;
        for (int k = 0; k < inflight; k++) {
            pf[k] = (struct pollfd){ch[k].fd, POLLIN, 0};
            long long left = SW_LIMIT_MS - (now - ch[k].t0);
            if (left < wait)
                wait = left;
        }
        if (poll(pf, (nfds_t)inflight, wait > 0 ? (int)wait : 0) < 0)
            continue;
        now = sw_now_ms();
        for (int k = inflight - 1; k >= 0; k--) {
            if (!pf[k].revents && now - ch[k].t0 < SW_LIMIT_MS)
                continue;
            const char *bad = sw_finish(&ch[k], why, sizeof why);
            if (bad) {
                failures++;
                print_error("%s, variant %d%s: %s\n", ch[k].name, ch[k].v, ch[k].high ? " at HIGH_LEVEL" : "", bad);
            }
            ch[k] = ch[--inflight];
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("sweep (verifier 0x%lx): %zu DDIs, %u calls in %.1f s: %u returned, %u raised, %u bug checks", (unsigned long)verifier,
           total, cases, secs, sw_count[SW_RETURNED], sw_count[SW_RAISED], sw_count[SW_BUGCHECK]);
    for (int k = 0; k < SW_NCODES && sw_codes[k][1]; k++)
        printf("%s0x%X x%u", k ? ", " : " (", sw_codes[k][0], sw_codes[k][1]);
    printf(")\n");
    if (sw_open_reports)
        printf("sweep: %u calls of the open list ended in a sanitizer report\n", sw_open_reports);
    mdlkit_bugcheck bc;
    mdlkit_catch_bugcheck(mk_test_shutdown_fn_, NULL, &bc);
    if (mdlkit_is_initialized())
        mdlkit_shutdown();
    free(sw_heap);
    assert_int_equal(failures, 0);
}

/* Under AddressSanitizer a fork costs ~15 times more (its shadow memory):
 * the sweep runs once, at the caller's IRQL without the verifier (every
 * routine with every hostile argument); the default build runs all three
 * (docs/reliability.md). */
#if defined(__SANITIZE_ADDRESS__)
#define SW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SW_ASAN 1
#endif
#endif
#ifndef SW_ASAN
#define SW_ASAN 0
#endif
static void test_sweep_no_verifier(void **state)
{
    (void)state;
    sw_sweep(0, SW_ASAN ? 1 : 2);
}
static void test_sweep_ddi_compliance(void **state)
{
    (void)state;
    if (SW_ASAN) {
        printf("sweep under DDI compliance + Pool Tracking: run by the default build only\n");
        return;
    }
    sw_sweep(MDLKIT_VERIFY_DDI_COMPLIANCE | MDLKIT_VERIFY_POOL_TRACKING, 1);
}

int main(void)
{
#if defined(__SANITIZE_THREAD__)
#define SW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SW_TSAN 1
#endif
#endif
#ifdef SW_TSAN
    /* fork() from a TSan process with threads running is not supported */
    printf("skipped under ThreadSanitizer\n");
    return 0;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_no_verifier),
        cmocka_unit_test(test_sweep_ddi_compliance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
