/* The pinned user-mode request API (mdlkit_open, _ioctl, _read, _write,
 * _close, the async forms, _wait, _cancel) against a small WDM driver:
 * how the I/O manager builds each IRP for a user-mode caller, its own
 * probes, pending and cancelled requests, cleanup and close, handles. */
#include "testutil.h"
#include <wdm.h>

#define TOY_TYPE 0x8123
#define IOCTL_TOY_BUFFERED CTL_CODE(TOY_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_IN_DIRECT CTL_CODE(TOY_TYPE, 0x801, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_TOY_OUT_DIRECT CTL_CODE(TOY_TYPE, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_TOY_NEITHER CTL_CODE(TOY_TYPE, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_TOY_PEND CTL_CODE(TOY_TYPE, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_RELEASE CTL_CODE(TOY_TYPE, 0x805, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_TAIL CTL_CODE(TOY_TYPE, 0x806, METHOD_NEITHER, FILE_ANY_ACCESS)

static struct {
    int creates, cleanups, closes, ioctls, reads, writes;
    PFILE_OBJECT last_file;
    PIRP pended;            /* the IRP IOCTL_TOY_PEND queued */
    KPROCESSOR_MODE mode;
    PVOID type3, user_buffer, system_buffer;
    PMDL mdl;
    ULONG flags;
    int cancel_irql_ok;
} toy;
static KSPIN_LOCK toy_lock;
static PDEVICE_OBJECT toy_dev;

static NTSTATUS toy_finish(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS ToyCreate(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    toy.creates++;
    toy.last_file = sp->FileObject;
    sp->FileObject->FsContext = &toy;
    return toy_finish(irp, STATUS_SUCCESS, 0);
}

static void ToyCancel(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    toy.cancel_irql_ok = KeGetCurrentIrql() == DISPATCH_LEVEL && irp->CancelIrql == PASSIVE_LEVEL && irp->Cancel;
    IoReleaseCancelSpinLock(irp->CancelIrql);
    KIRQL old;
    KeAcquireSpinLock(&toy_lock, &old);
    if (toy.pended == irp)
        toy.pended = NULL;
    KeReleaseSpinLock(&toy_lock, old);
    toy_finish(irp, STATUS_CANCELLED, 0);
}

/* Completes the pended IRP, if any (the cancel routine is taken out first). */
static void toy_release(NTSTATUS st, ULONG_PTR info)
{
    KIRQL old;
    KeAcquireSpinLock(&toy_lock, &old);
    PIRP p = toy.pended;
    if (p && IoSetCancelRoutine(p, NULL))
        toy.pended = NULL;
    else
        p = NULL;
    KeReleaseSpinLock(&toy_lock, old);
    if (p)
        toy_finish(p, st, info);
}

static NTSTATUS ToyCleanup(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    toy.cleanups++;
    toy_release(STATUS_CANCELLED, 0);
    return toy_finish(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS ToyClose(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    toy.closes++;
    return toy_finish(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS ToyIoctl(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    ULONG in = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
    toy.ioctls++;
    toy.mode = irp->RequestorMode;
    toy.type3 = sp->Parameters.DeviceIoControl.Type3InputBuffer;
    toy.user_buffer = irp->UserBuffer;
    toy.system_buffer = irp->AssociatedIrp.SystemBuffer;
    toy.mdl = irp->MdlAddress;
    toy.flags = irp->Flags;
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_TOY_BUFFERED: {
        /* output: the input bytes plus one */
        PUCHAR b = irp->AssociatedIrp.SystemBuffer;
        ULONG n = in < out ? in : out;
        for (ULONG i = 0; i < n; i++)
            b[i] = (UCHAR)(b[i] + 1);
        return toy_finish(irp, STATUS_SUCCESS, n);
    }
    case IOCTL_TOY_IN_DIRECT: {
        /* sum of the output buffer (which the caller filled) */
        PUCHAR b = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);
        ULONG sum = 0;
        for (ULONG i = 0; i < out; i++)
            sum += b[i];
        return toy_finish(irp, STATUS_SUCCESS, sum);
    }
    case IOCTL_TOY_OUT_DIRECT: {
        PUCHAR b = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);
        UCHAR seed = in ? *(PUCHAR)irp->AssociatedIrp.SystemBuffer : 0;
        for (ULONG i = 0; i < out; i++)
            b[i] = (UCHAR)(seed + i);
        return toy_finish(irp, STATUS_SUCCESS, out);
    }
    case IOCTL_TOY_NEITHER:
        return toy_finish(irp, STATUS_SUCCESS, 0);
    case IOCTL_TOY_PEND: {
        KIRQL old;
        KeAcquireSpinLock(&toy_lock, &old);
        toy.pended = irp;
        IoMarkIrpPending(irp);
        IoSetCancelRoutine(irp, ToyCancel);
        if (irp->Cancel && IoSetCancelRoutine(irp, NULL)) {
            toy.pended = NULL;
            KeReleaseSpinLock(&toy_lock, old);
            toy_finish(irp, STATUS_CANCELLED, 0);
            return STATUS_PENDING;
        }
        KeReleaseSpinLock(&toy_lock, old);
        return STATUS_PENDING;
    }
    case IOCTL_TOY_RELEASE:
        toy_release(STATUS_SUCCESS, 7);
        return toy_finish(irp, STATUS_SUCCESS, 0);
    case IOCTL_TOY_TAIL: {
        /* the nonzero bytes between the end of the input and the end of its
         * last page (what a driver reading past the input would see) */
        PUCHAR b = sp->Parameters.DeviceIoControl.Type3InputBuffer;
        volatile ULONG_PTR nonzero = 0;
        __try {
            ProbeForRead(b, in, 1);
            ULONG end = (ULONG)(BYTE_OFFSET(b) + in + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE - BYTE_OFFSET(b);
            for (ULONG i = in; i < end; i++)
                nonzero += b[i] != 0;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            return toy_finish(irp, GetExceptionCode(), 0);
        }
        return toy_finish(irp, STATUS_SUCCESS, nonzero);
    }
    default:
        return toy_finish(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS ToyReadWrite(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    ULONG len = sp->Parameters.Read.Length;
    toy.system_buffer = irp->AssociatedIrp.SystemBuffer;
    toy.flags = irp->Flags;
    PUCHAR b = irp->AssociatedIrp.SystemBuffer;
    if (sp->MajorFunction == IRP_MJ_READ) {
        toy.reads++;
        for (ULONG i = 0; i < len; i++)
            b[i] = (UCHAR)(0xA0 + i);
    } else {
        toy.writes++;
        ULONG sum = 0;
        for (ULONG i = 0; i < len; i++)
            sum += b[i];
        return toy_finish(irp, STATUS_SUCCESS, sum);
    }
    return toy_finish(irp, STATUS_SUCCESS, len);
}

/* A counted string over a literal (the test's own, so it needs no Rtl). */
static void us(PUNICODE_STRING u, PCWSTR s)
{
    USHORT n = 0;
    while (s[n])
        n++;
    u->Buffer = (PWSTR)s;
    u->Length = (USHORT)(n * sizeof(WCHAR));
    u->MaximumLength = (USHORT)(u->Length + sizeof(WCHAR));
}

static void ToyUnload(PDRIVER_OBJECT drv)
{
    UNICODE_STRING link;
    us(&link, L"\\DosDevices\\MkToy");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(drv->DeviceObject);
}

static NTSTATUS ToyEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    UNICODE_STRING name, link;
    us(&name, L"\\Device\\MkToy");
    us(&link, L"\\DosDevices\\MkToy");
    NTSTATUS st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &toy_dev);
    if (!NT_SUCCESS(st))
        return st;
    toy_dev->Flags |= DO_BUFFERED_IO;
    st = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(st)) {
        IoDeleteDevice(toy_dev);
        return st;
    }
    KeInitializeSpinLock(&toy_lock);
    drv->MajorFunction[IRP_MJ_CREATE] = ToyCreate;
    drv->MajorFunction[IRP_MJ_CLEANUP] = ToyCleanup;
    drv->MajorFunction[IRP_MJ_CLOSE] = ToyClose;
    drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ToyIoctl;
    drv->MajorFunction[IRP_MJ_READ] = ToyReadWrite;
    drv->MajorFunction[IRP_MJ_WRITE] = ToyReadWrite;
    drv->DriverUnload = ToyUnload;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

static int setup(void **state)
{
    (void)state;
    memset(&toy, 0, sizeof toy);
    if (mk_test_setup_flags(MDLKIT_VERIFY_IO_CHECKING | MDLKIT_VERIFY_POOL_TRACKING))
        return -1;
    return NT_SUCCESS(mdlkit_driver_load("mktoy", ToyEntry, &g_drv)) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
    return 0;
}

static void test_open_close(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\Device\\MkToy");
    assert_non_null(h);
    assert_int_equal(toy.creates, 1);
    assert_int_equal(toy.last_file->Type, IO_TYPE_FILE);
    assert_ptr_equal(toy.last_file->DeviceObject, toy_dev);
    assert_int_equal(toy.last_file->FileName.Length, 0);
    HANDLE h2 = mdlkit_open("\\\\.\\MkToy"); /* through the symbolic link */
    assert_non_null(h2);
    assert_int_equal(toy.creates, 2);
    assert_true(h2 != h);
    assert_null(mdlkit_open("\\Device\\NoSuchDevice"));
    assert_null(mdlkit_open("\\\\.\\NoSuchLink"));
    assert_null(mdlkit_open("relative"));
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(toy.cleanups, 1);
    assert_int_equal(toy.closes, 1);
    assert_int_equal(mdlkit_close(h), STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_close(h2), STATUS_SUCCESS);
    assert_int_equal(toy.cleanups, 2);
    assert_int_equal(toy.closes, 2);
}

static void test_buffered_host_buffers(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    UCHAR in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (UCHAR)(i * 3);
    memset(out, 0xEE, sizeof out);
    ULONG_PTR info = 99;
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, in, 16, out, 12, &info), STATUS_SUCCESS);
    assert_int_equal(info, 12);
    for (int i = 0; i < 12; i++)
        assert_int_equal(out[i], (UCHAR)(i * 3 + 1));
    for (int i = 12; i < 16; i++)
        assert_int_equal(out[i], 0xEE); /* only out_len bytes belong to the call */
    assert_int_equal(toy.mode, UserMode);
    assert_true(toy.flags & IRP_BUFFERED_IO);
    assert_true(toy.flags & IRP_INPUT_OPERATION);
    /* the driver saw simulated user memory, not the host address */
    assert_true((ULONG_PTR)toy.user_buffer < (ULONG_PTR)MmUserProbeAddress);
    assert_true(toy.user_buffer != (PVOID)out);
    assert_true((ULONG_PTR)toy.system_buffer >= (ULONG_PTR)MmSystemRangeStart);
    /* the same buffer in and out */
    UCHAR io[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, io, 8, io, 8, &info), STATUS_SUCCESS);
    assert_int_equal(io[0], 2);
    assert_int_equal(io[7], 9);
    assert_int_equal(mdlkit_ioctl(h, CTL_CODE(TOY_TYPE, 0x8ff, METHOD_BUFFERED, 0), NULL, 0, NULL, 0, &info),
                     STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

/* A host buffer's copy in user memory: past the caller's bytes it reads
 * as a fresh buffer (zero) whatever an earlier call's copy held, and it is
 * gone after its call: the driver's stale pointer faults. */
static void test_host_buffer_copies(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    static UCHAR big[3 * PAGE_SIZE], small[16];
    memset(big, 0xFF, sizeof big);
    memset(small, 0x11, sizeof small);
    ULONG_PTR info = 99;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_TAIL, big, PAGE_SIZE - 100, NULL, 0, &info), STATUS_SUCCESS);
        assert_int_equal(info, 0);
        assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_TAIL, small, sizeof small, NULL, 0, &info), STATUS_SUCCESS);
        assert_int_equal(info, 0);
        assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_TAIL, big, 2 * PAGE_SIZE + 1, NULL, 0, &info), STATUS_SUCCESS);
        assert_int_equal(info, 0);
    }
    /* the last call's copy, used after the call */
    PUCHAR stale = toy.type3;
    assert_non_null(stale);
    assert_true((ULONG_PTR)stale < (ULONG_PTR)MmUserProbeAddress);
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { (void)*(volatile UCHAR *)stale; }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_ACCESS_VIOLATION);
    st = STATUS_SUCCESS;
    MDLKIT_TRY { ProbeForWrite(stale, 1, 1); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_ACCESS_VIOLATION);
    /* the same host buffer in and out (one copy), after those */
    UCHAR io[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, io, 8, io, 8, &info), STATUS_SUCCESS);
    assert_int_equal(io[0], 2);
    assert_int_equal(io[7], 9);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_buffered_probe_failures(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    char *ro = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    char *na = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    char *rw = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    int before = toy.ioctls;
    ULONG_PTR info = 5;
    /* output into a read-only page: the I/O manager's ProbeForWrite fails */
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, rw, 16, ro, 16, &info), STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    /* input from a no-access page: the copy into the system buffer faults */
    info = 5;
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, na, 16, rw, 16, &info), STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    /* a kernel address from user mode */
    void *pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tseT');
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, pool, 16, rw, 16, &info), STATUS_ACCESS_VIOLATION);
    ExFreePoolWithTag(pool, 'tseT');
    assert_int_equal(toy.ioctls, before); /* the driver never saw them */
    /* user memory in place: the driver sees that very address */
    rw[0] = 41;
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_BUFFERED, rw, 1, rw + 100, 1, &info), STATUS_SUCCESS);
    assert_ptr_equal(toy.user_buffer, rw + 100);
    assert_int_equal(rw[100], 42);
    mdlkit_user_free(ro);
    mdlkit_user_free(na);
    mdlkit_user_free(rw);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_direct_methods(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    UCHAR seed = 10, out[300];
    ULONG_PTR info = 0;
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_OUT_DIRECT, &seed, 1, out, sizeof out, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof out);
    for (ULONG i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], (UCHAR)(10 + i));
    assert_non_null(toy.mdl);
    /* METHOD_IN_DIRECT: the driver reads the "output" buffer */
    UCHAR data[4] = {1, 2, 3, 250};
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_IN_DIRECT, NULL, 0, data, 4, &info), STATUS_SUCCESS);
    assert_int_equal(info, 256);
    /* OUT_DIRECT into a read-only buffer: probe and lock for write fails */
    char *ro = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    int before = toy.ioctls;
    info = 3;
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_OUT_DIRECT, &seed, 1, ro, 64, &info), STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    /* IN_DIRECT only reads: a read-only buffer is fine */
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_IN_DIRECT, NULL, 0, ro, 64, &info), STATUS_SUCCESS);
    assert_int_equal(toy.ioctls, before + 1);
    mdlkit_user_free(ro);
    /* METHOD_NEITHER: the addresses as given, nothing probed */
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_NEITHER, u, 8, u + 16, 8, &info), STATUS_SUCCESS);
    assert_ptr_equal(toy.type3, u);
    assert_ptr_equal(toy.user_buffer, u + 16);
    assert_null(toy.system_buffer);
    assert_null(toy.mdl);
    mdlkit_user_free(u);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_read_write_buffered(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\Device\\MkToy");
    UCHAR buf[20];
    memset(buf, 0, sizeof buf);
    ULONG_PTR info = 0;
    assert_int_equal(mdlkit_read(h, buf, 20, &info), STATUS_SUCCESS);
    assert_int_equal(info, 20);
    assert_int_equal(buf[0], 0xA0);
    assert_int_equal(buf[19], 0xA0 + 19);
    assert_true(toy.flags & IRP_READ_OPERATION);
    const UCHAR w[3] = {10, 20, 30};
    assert_int_equal(mdlkit_write(h, w, 3, &info), STATUS_SUCCESS);
    assert_int_equal(info, 60);
    char *ro = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    int reads = toy.reads;
    assert_int_equal(mdlkit_read(h, ro, 10, &info), STATUS_ACCESS_VIOLATION);
    assert_int_equal(toy.reads, reads);
    assert_int_equal(mdlkit_write(h, ro, 10, &info), STATUS_SUCCESS); /* reading it is allowed */
    mdlkit_user_free(ro);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_async_wait_cancel(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    UCHAR out[8];
    mdlkit_request *r = mdlkit_ioctl_async(h, IOCTL_TOY_PEND, NULL, 0, out, sizeof out);
    assert_non_null(r);
    ULONG_PTR info = 1;
    assert_int_equal(mdlkit_wait(r, 0, &info), STATUS_TIMEOUT);
    assert_int_equal(mdlkit_wait(r, 1, &info), STATUS_TIMEOUT);
    mdlkit_cancel(r);
    assert_true(toy.cancel_irql_ok);
    assert_int_equal(mdlkit_wait(r, 10000, &info), STATUS_CANCELLED);
    assert_int_equal(info, 0);
    /* completed by the driver from another request */
    r = mdlkit_ioctl_async(h, IOCTL_TOY_PEND, NULL, 0, out, sizeof out);
    assert_int_equal(mdlkit_ioctl(h, IOCTL_TOY_RELEASE, NULL, 0, NULL, 0, &info), STATUS_SUCCESS);
    assert_int_equal(mdlkit_wait(r, 10000, &info), STATUS_SUCCESS);
    assert_int_equal(info, 7);
    /* async on a bad handle: a request that completed already */
    r = mdlkit_read_async((HANDLE)(ULONG_PTR)0x7ff0, out, 4);
    assert_non_null(r);
    assert_int_equal(mdlkit_wait(r, 0, &info), STATUS_INVALID_HANDLE);
    /* async read completes at once */
    r = mdlkit_read_async(h, out, 4);
    assert_int_equal(mdlkit_wait(r, 10000, &info), STATUS_SUCCESS);
    assert_int_equal(info, 4);
    assert_int_equal(out[3], 0xA3);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_close_with_pending(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    UCHAR out[8];
    mdlkit_request *r = mdlkit_ioctl_async(h, IOCTL_TOY_PEND, NULL, 0, out, sizeof out);
    int closes = toy.closes;
    /* cleanup cancels the pended IRP (the driver completes it there) */
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(toy.cleanups, 1);
    ULONG_PTR info;
    assert_int_equal(mdlkit_wait(r, 10000, &info), STATUS_CANCELLED);
    assert_int_equal(toy.closes, closes + 1);
}

static void test_handle_kinds(void **state)
{
    (void)state;
    ULONG_PTR info;
    UCHAR b[4];
    assert_int_equal(mdlkit_read((HANDLE)(ULONG_PTR)0x1234, b, 4, &info), STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_ioctl(NULL, IOCTL_TOY_BUFFERED, b, 4, b, 4, &info), STATUS_INVALID_HANDLE);
    HANDLE ev = mdlkit_event_create(TRUE);
    assert_non_null(ev);
    assert_int_equal(mdlkit_read(ev, b, 4, &info), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mdlkit_ioctl(ev, IOCTL_TOY_BUFFERED, b, 4, b, 4, &info), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mdlkit_close(ev), STATUS_SUCCESS);
    HANDLE h = mdlkit_open("\\\\.\\MkToy");
    assert_int_equal(mdlkit_event_set(h), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_host_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_buffer_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_probe_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_write_buffered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_wait_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_with_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handle_kinds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
