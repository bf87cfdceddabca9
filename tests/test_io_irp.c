/* IRP completion (stack walk, pending propagation, double completion),
 * cancellation (IoCancelIrp, the cancel spin lock), cancel-safe queues,
 * remove locks, IoBuild*Request and IO_WORKITEMs, and their misuse. */
#include "testutil.h"
#include <wdm.h>
#include <pthread.h>
#include <sched.h>

static PDEVICE_OBJECT g_dev;
static PDRIVER_OBJECT g_drv;

/* ---- a device whose dispatch routines the tests set ---- */
static PDRIVER_DISPATCH g_read;

static NTSTATUS Complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}
static NTSTATUS Read(PDEVICE_OBJECT d, PIRP irp) { return g_read(d, irp); }
static NTSTATUS Ioctl(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR b = irp->AssociatedIrp.SystemBuffer;
    for (ULONG i = 0; i < out; i++)
        b[i] = (UCHAR)(b[i] ^ 0xFF);
    return Complete(irp, STATUS_SUCCESS, out);
}
static NTSTATUS Entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    NTSTATUS st = IoCreateDevice(drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
    if (NT_SUCCESS(st)) {
        g_dev->Flags |= DO_BUFFERED_IO;
        drv->MajorFunction[IRP_MJ_READ] = Read;
        drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Ioctl;
    }
    return st;
}

static int setup(void **state)
{
    (void)state;
    if (mk_test_setup_flags(MDLKIT_VERIFY_IO_CHECKING))
        return -1;
    return NT_SUCCESS(mdlkit_driver_load("ioirp", Entry, &g_drv)) ? 0 : -1;
}
static int teardown(void **state)
{
    (void)state;
    mdlkit_driver_unload(g_drv);
    mdlkit_shutdown();
    return 0;
}

/* ---- completion ---- */
static NTSTATUS PendAndComplete(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    IoMarkIrpPending(irp);
    Complete(irp, STATUS_SUCCESS, 3);
    return STATUS_PENDING;
}
static int g_seen_pending;
static NTSTATUS OnDone(PDEVICE_OBJECT d, PIRP irp, PVOID ctx)
{
    (void)d;
    (void)ctx;
    g_seen_pending = irp->PendingReturned;
    return STATUS_SUCCESS;
}

static void test_pending_returned(void **state)
{
    (void)state;
    g_read = PendAndComplete;
    PIRP irp = IoAllocateIrp(g_dev->StackSize + 1, FALSE);
    IoSetNextIrpStackLocation(irp); /* a location of our own above the driver */
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(irp, OnDone, NULL, TRUE, TRUE, TRUE);
    g_seen_pending = -1;
    assert_int_equal(IoCallDriver(g_dev, irp), STATUS_PENDING);
    assert_int_equal(g_seen_pending, 1);
    assert_int_equal(irp->IoStatus.Information, 3);
    IoFreeIrp(irp);
}

static PIRP g_twice;
static NTSTATUS CompleteTwice(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    g_twice = irp;
    Complete(irp, STATUS_SUCCESS, 0);
    return Complete(irp, STATUS_SUCCESS, 0);
}
static void call_complete_twice(void *arg)
{
    PIRP irp = arg;
    IoCallDriver(g_dev, irp);
}

static void test_complete_twice(void **state)
{
    (void)state;
    g_read = CompleteTwice;
    PIRP irp = IoAllocateIrp(1, FALSE);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_READ;
    mk_expect_bugcheck(call_complete_twice, irp, 0x44 /* MULTIPLE_IRP_COMPLETE_REQUESTS */, irp, 0, 0, 0);
    IoFreeIrp(irp);
}

static void call_bad_irp(void *arg)
{
    UCHAR junk[256];
    memset(junk, 0, sizeof junk);
    IoCallDriver(g_dev, arg ? (PIRP)junk : NULL);
}
static void call_bad_device(void *arg)
{
    (void)arg;
    DEVICE_OBJECT junk;
    memset(&junk, 0, sizeof junk);
    PIRP irp = IoAllocateIrp(1, FALSE);
    IoCallDriver(&junk, irp);
}

static void test_call_driver_misuse(void **state)
{
    (void)state;
    mk_expect_bugcheck(call_bad_irp, NULL, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, 0, 0, 0);
    mk_expect_bugcheck(call_bad_irp, (void *)1, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, MK_ANY, 0, 0);
    mk_expect_bugcheck(call_bad_device, NULL, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, MK_ANY, 0, 0);
}

/* ---- cancellation ---- */
static struct {
    int calls;
    KIRQL irql;
    KIRQL cancel_irql;
    BOOLEAN cancel_flag;
    PDEVICE_OBJECT dev;
    int lock_held; /* IoAcquireCancelSpinLock would deadlock: we test the lock by its IRQL */
} cx;
static void CancelRoutine(PDEVICE_OBJECT d, PIRP irp)
{
    cx.calls++;
    cx.irql = KeGetCurrentIrql();
    cx.cancel_irql = irp->CancelIrql;
    cx.cancel_flag = irp->Cancel;
    cx.dev = d;
    IoReleaseCancelSpinLock(irp->CancelIrql);
    Complete(irp, STATUS_CANCELLED, 0);
}
static PIRP g_held;
static NTSTATUS Hold(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    IoMarkIrpPending(irp);
    g_held = irp;
    IoSetCancelRoutine(irp, CancelRoutine);
    return STATUS_PENDING;
}

static void test_cancel_irp(void **state)
{
    (void)state;
    memset(&cx, 0, sizeof cx);
    g_read = Hold;
    PIRP irp = IoAllocateIrp(1, FALSE);
    IO_STATUS_BLOCK iosb = {0};
    irp->UserIosb = &iosb;
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_READ;
    assert_int_equal(IoCallDriver(g_dev, irp), STATUS_PENDING);
    assert_true(IoCancelIrp(irp));
    assert_int_equal(cx.calls, 1);
    assert_int_equal(cx.irql, DISPATCH_LEVEL);
    assert_int_equal(cx.cancel_irql, PASSIVE_LEVEL);
    assert_true(cx.cancel_flag);
    assert_ptr_equal(cx.dev, g_dev);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(iosb.Status, STATUS_CANCELLED);
    /* no cancel routine: FALSE, but the IRP is marked */
    assert_false(IoCancelIrp(irp));
    assert_true(irp->Cancel);
    assert_int_equal(cx.calls, 1);
    IoFreeIrp(irp);
    /* the cancel spin lock raises to DISPATCH_LEVEL */
    KIRQL old;
    IoAcquireCancelSpinLock(&old);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_int_equal(old, PASSIVE_LEVEL);
    IoReleaseCancelSpinLock(old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void cancel_at_high(void *arg)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    IoCancelIrp(arg);
}
static void cancel_null(void *arg)
{
    (void)arg;
    IoCancelIrp(NULL);
}

static void test_cancel_misuse(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    mk_expect_bugcheck(cancel_at_high, irp, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, HIGH_LEVEL, MK_ANY, MK_ANY);
    mk_expect_bugcheck(cancel_null, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, 0, 0);
    IoFreeIrp(irp);
}

/* ---- cancel-safe queues ---- */
typedef struct {
    IO_CSQ csq;
    LIST_ENTRY list;
    KSPIN_LOCK lock;
    int canceled;
    int fail_insert;
} queue;
static queue q;
static void QInsert(PIO_CSQ c, PIRP irp) { InsertTailList(&CONTAINING_RECORD(c, queue, csq)->list, &irp->Tail.Overlay.ListEntry); }
static NTSTATUS QInsertEx(PIO_CSQ c, PIRP irp, PVOID ctx)
{
    (void)ctx;
    if (CONTAINING_RECORD(c, queue, csq)->fail_insert)
        return STATUS_DEVICE_BUSY;
    QInsert(c, irp);
    return STATUS_SUCCESS;
}
static void QRemove(PIO_CSQ c, PIRP irp)
{
    (void)c;
    RemoveEntryList(&irp->Tail.Overlay.ListEntry);
}
static PIRP QPeek(PIO_CSQ c, PIRP irp, PVOID ctx)
{
    queue *qq = CONTAINING_RECORD(c, queue, csq);
    PLIST_ENTRY e = irp ? irp->Tail.Overlay.ListEntry.Flink : qq->list.Flink;
    for (; e != &qq->list; e = e->Flink) {
        PIRP i = CONTAINING_RECORD(e, IRP, Tail.Overlay.ListEntry);
        if (!ctx || IoGetCurrentIrpStackLocation(i)->FileObject == ctx)
            return i;
    }
    return NULL;
}
static void QAcquire(PIO_CSQ c, PKIRQL irql) { KeAcquireSpinLock(&CONTAINING_RECORD(c, queue, csq)->lock, irql); }
static void QRelease(PIO_CSQ c, KIRQL irql) { KeReleaseSpinLock(&CONTAINING_RECORD(c, queue, csq)->lock, irql); }
static void QCompleteCanceled(PIO_CSQ c, PIRP irp)
{
    CONTAINING_RECORD(c, queue, csq)->canceled++;
    Complete(irp, STATUS_CANCELLED, 0);
}

/* An IRP as a dispatch routine holds it: its current location set. */
static PIRP held_irp(PVOID file)
{
    PIRP irp = IoAllocateIrp(1, FALSE);
    IoSetNextIrpStackLocation(irp);
    IoGetCurrentIrpStackLocation(irp)->FileObject = file;
    IoGetCurrentIrpStackLocation(irp)->DeviceObject = g_dev;
    return irp;
}

static void test_csq(void **state)
{
    (void)state;
    memset(&q, 0, sizeof q);
    InitializeListHead(&q.list);
    KeInitializeSpinLock(&q.lock);
    assert_int_equal(IoCsqInitialize(&q.csq, QInsert, QRemove, QPeek, QAcquire, QRelease, QCompleteCanceled),
                     STATUS_SUCCESS);
    PVOID f1 = (PVOID)0x1000, f2 = (PVOID)0x2000;
    PIRP a = held_irp(f1), b = held_irp(f2), c = held_irp(f1);
    IoCsqInsertIrp(&q.csq, a, NULL);
    assert_true(IoGetCurrentIrpStackLocation(a)->Control & SL_PENDING_RETURNED);
    assert_non_null(a->CancelRoutine);
    IoCsqInsertIrp(&q.csq, b, NULL);
    IO_CSQ_IRP_CONTEXT ctx;
    IoCsqInsertIrp(&q.csq, c, &ctx);
    assert_ptr_equal(ctx.Irp, c);
    /* by peek context: the first of file f2 */
    assert_ptr_equal(IoCsqRemoveNextIrp(&q.csq, f2), b);
    assert_null(b->CancelRoutine);
    assert_null(IoCsqRemoveNextIrp(&q.csq, f2));
    /* a queued IRP cancelled: the queue takes it out and completes it */
    assert_true(IoCancelIrp(a));
    assert_int_equal(q.canceled, 1);
    assert_int_equal(a->IoStatus.Status, STATUS_CANCELLED);
    /* by context */
    assert_ptr_equal(IoCsqRemoveIrp(&q.csq, &ctx), c);
    assert_null(ctx.Irp);
    assert_null(IoCsqRemoveIrp(&q.csq, &ctx));
    assert_true(IsListEmpty(&q.list));
    /* an IRP cancelled before it was queued is completed as cancelled */
    PIRP d = held_irp(f1);
    d->Cancel = TRUE;
    IoCsqInsertIrp(&q.csq, d, NULL);
    assert_int_equal(q.canceled, 2);
    assert_true(IsListEmpty(&q.list));
    IoFreeIrp(a);
    IoFreeIrp(b);
    IoFreeIrp(c);
    IoFreeIrp(d);
}

static void test_csq_ex(void **state)
{
    (void)state;
    memset(&q, 0, sizeof q);
    InitializeListHead(&q.list);
    KeInitializeSpinLock(&q.lock);
    assert_int_equal(IoCsqInitializeEx(&q.csq, QInsertEx, QRemove, QPeek, QAcquire, QRelease, QCompleteCanceled),
                     STATUS_SUCCESS);
    assert_int_equal(q.csq.Type, IO_TYPE_CSQ_EX);
    PIRP a = held_irp(NULL);
    q.fail_insert = 1;
    assert_int_equal(IoCsqInsertIrpEx(&q.csq, a, NULL, NULL), STATUS_DEVICE_BUSY);
    assert_null(a->CancelRoutine); /* not queued: still the caller's */
    assert_false(IoGetCurrentIrpStackLocation(a)->Control & SL_PENDING_RETURNED);
    q.fail_insert = 0;
    assert_int_equal(IoCsqInsertIrpEx(&q.csq, a, NULL, NULL), STATUS_SUCCESS);
    assert_ptr_equal(IoCsqRemoveNextIrp(&q.csq, NULL), a);
    IoFreeIrp(a);
}

static void csq_uninitialised(void *arg)
{
    (void)arg;
    IO_CSQ c;
    memset(&c, 0, sizeof c);
    IoCsqRemoveNextIrp(&c, NULL);
}
static void csq_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    IoCsqRemoveNextIrp(&q.csq, NULL);
}

static void test_csq_misuse(void **state)
{
    (void)state;
    mk_expect_bugcheck(csq_uninitialised, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, MK_ANY, 0);
    mk_expect_bugcheck(csq_at_high, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, HIGH_LEVEL, MK_ANY, MK_ANY);
}

/* ---- remove locks ---- */
static IO_REMOVE_LOCK g_rl;
static void *release_when_removed(void *arg)
{
    for (int i = 0; i < 100000000 && !__atomic_load_n(&g_rl.Common.Removed, __ATOMIC_SEQ_CST); i++)
        sched_yield();
    IoReleaseRemoveLock(&g_rl, arg);
    return NULL;
}

static void test_remove_lock(void **state)
{
    (void)state;
    IoInitializeRemoveLock(&g_rl, 'lRoI', 0, 0);
    int tag_a, tag_b;
    assert_int_equal(IoAcquireRemoveLock(&g_rl, &tag_a), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&g_rl, &tag_b), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&g_rl, &tag_b), STATUS_SUCCESS);
    IoReleaseRemoveLock(&g_rl, &tag_b);
    /* another thread holds tag_b until the lock is removed */
    pthread_t t;
    pthread_create(&t, NULL, release_when_removed, &tag_b);
    IoReleaseRemoveLockAndWait(&g_rl, &tag_a); /* returns once tag_b is released */
    pthread_join(t, NULL);
    assert_true(g_rl.Common.Removed);
    assert_int_equal(g_rl.Common.IoCount, 0);
    assert_int_equal(IoAcquireRemoveLock(&g_rl, &tag_a), STATUS_DELETE_PENDING);
    assert_int_equal(g_rl.Common.IoCount, 0);
}

static void release_unacquired(void *arg)
{
    IoInitializeRemoveLock(&g_rl, 0, 0, 0);
    IoReleaseRemoveLock(&g_rl, arg);
}
static void release_other_tag(void *arg)
{
    IoInitializeRemoveLock(&g_rl, 0, 0, 0);
    IoAcquireRemoveLock(&g_rl, &g_rl);
    IoReleaseRemoveLock(&g_rl, arg);
}
static void wait_twice(void *arg)
{
    (void)arg;
    IoInitializeRemoveLock(&g_rl, 0, 0, 0);
    IoAcquireRemoveLock(&g_rl, &g_rl);
    IoReleaseRemoveLockAndWait(&g_rl, &g_rl);
    IoReleaseRemoveLockAndWait(&g_rl, &g_rl);
}
static void wrong_size(void *arg)
{
    (void)arg;
    IoInitializeRemoveLockEx(&g_rl, 0, 0, 0, 8);
}
static void init_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    IoInitializeRemoveLock(&g_rl, 0, 0, 0);
}

static void test_remove_lock_misuse(void **state)
{
    (void)state;
    int tag;
    mk_expect_bugcheck(release_unacquired, &tag, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_REMOVE_LOCK, MK_ANY,
                       &g_rl, &tag);
    mk_expect_bugcheck(release_other_tag, &tag, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_REMOVE_LOCK, MK_ANY,
                       &g_rl, &tag);
    mk_expect_bugcheck(wait_twice, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_REMOVE_LOCK, MK_ANY, &g_rl,
                       &g_rl);
    mk_expect_bugcheck(wrong_size, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_REMOVE_LOCK, MK_ANY, &g_rl,
                       8);
    mk_expect_bugcheck(init_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, DISPATCH_LEVEL, MK_ANY, MK_ANY);
}

/* ---- IRPs built for another driver ---- */
static void test_build_requests(void **state)
{
    (void)state;
    KEVENT ev;
    IO_STATUS_BLOCK iosb;
    UCHAR in[4] = {1, 2, 3, 4}, out[4] = {0};
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildDeviceIoControlRequest(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, 0), g_dev, in, 4,
                                             out, 3, FALSE, &ev, &iosb);
    assert_non_null(irp);
    assert_int_equal(irp->RequestorMode, KernelMode);
    assert_int_equal(IoGetNextIrpStackLocation(irp)->MajorFunction, IRP_MJ_DEVICE_CONTROL);
    assert_int_equal(IoCallDriver(g_dev, irp), STATUS_SUCCESS);
    /* the I/O manager copied the output back, set the event, freed the IRP */
    assert_int_equal(KeReadStateEvent(&ev), 1);
    assert_int_equal(iosb.Status, STATUS_SUCCESS);
    assert_int_equal(iosb.Information, 3);
    assert_int_equal(out[0], 0xFE);
    assert_int_equal(out[2], 0xFC);
    assert_int_equal(out[3], 0);

    /* a synchronous read into a buffered device */
    KeClearEvent(&ev);
    UCHAR buf[8];
    LARGE_INTEGER off = {.QuadPart = 512};
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, g_dev, buf, sizeof buf, &off, &ev, &iosb);
    assert_non_null(irp);
    assert_int_equal(IoGetNextIrpStackLocation(irp)->Parameters.Read.ByteOffset.QuadPart, 512);
    assert_non_null(irp->AssociatedIrp.SystemBuffer);
    assert_true(irp->Flags & IRP_INPUT_OPERATION);
    g_read = PendAndComplete;
    assert_int_equal(IoCallDriver(g_dev, irp), STATUS_PENDING);
    assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(iosb.Information, 3);

    /* an asynchronous one belongs to the caller */
    irp = IoBuildAsynchronousFsdRequest(IRP_MJ_FLUSH_BUFFERS, g_dev, NULL, 0, NULL, &iosb);
    assert_non_null(irp);
    assert_int_equal(IoGetNextIrpStackLocation(irp)->MajorFunction, IRP_MJ_FLUSH_BUFFERS);
    IoFreeIrp(irp);
}

static void build_bad_major(void *arg)
{
    (void)arg;
    IO_STATUS_BLOCK iosb;
    IoBuildAsynchronousFsdRequest(IRP_MJ_CREATE, g_dev, NULL, 0, NULL, &iosb);
}
static void build_at_dispatch(void *arg)
{
    (void)arg;
    IO_STATUS_BLOCK iosb;
    KEVENT ev;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    IoBuildDeviceIoControlRequest(0, g_dev, NULL, 0, NULL, 0, FALSE, &ev, &iosb);
}
#define IOCTL_OUT_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, 0)
static void build_unlockable(void *arg)
{
    IO_STATUS_BLOCK iosb;
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    IoBuildDeviceIoControlRequest(IOCTL_OUT_DIRECT, g_dev, NULL, 0, arg, 64, FALSE, &ev, &iosb);
}
static void test_build_misuse(void **state)
{
    (void)state;
    /* I/O verification: an output buffer the I/O manager cannot lock */
    void *na = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    mk_expect_bugcheck(build_unlockable, na, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x09, g_dev, IOCTL_OUT_DIRECT,
                       (ULONG)STATUS_ACCESS_VIOLATION);
    mdlkit_user_free(na);
    mk_expect_bugcheck(build_bad_major, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, g_dev,
                       IRP_MJ_CREATE);
    mk_expect_bugcheck(build_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, DISPATCH_LEVEL, MK_ANY, MK_ANY);
}

/* ---- work items ---- */
static struct {
    KEVENT done;
    KIRQL irql;
    PDEVICE_OBJECT dev;
    PVOID ctx;
    pthread_t thread;
} wi;
static void WorkRoutine(PDEVICE_OBJECT d, PVOID ctx)
{
    wi.irql = KeGetCurrentIrql();
    wi.dev = d;
    wi.ctx = ctx;
    wi.thread = pthread_self();
    KeSetEvent(&wi.done, IO_NO_INCREMENT, FALSE);
}

static void test_work_item(void **state)
{
    (void)state;
    KeInitializeEvent(&wi.done, NotificationEvent, FALSE);
    PIO_WORKITEM w = IoAllocateWorkItem(g_dev);
    assert_non_null(w);
    int ctx;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old); /* queued from DISPATCH_LEVEL, run at PASSIVE_LEVEL */
    IoQueueWorkItem(w, WorkRoutine, DelayedWorkQueue, &ctx);
    KeLowerIrql(old);
    LARGE_INTEGER timeout = {.QuadPart = -10LL * 1000 * 1000 * 30};
    assert_int_equal(KeWaitForSingleObject(&wi.done, Executive, KernelMode, FALSE, &timeout), STATUS_SUCCESS);
    assert_int_equal(wi.irql, PASSIVE_LEVEL);
    assert_ptr_equal(wi.dev, g_dev);
    assert_ptr_equal(wi.ctx, &ctx);
    assert_false(pthread_equal(wi.thread, pthread_self()));
    /* the driver's unload waits for its items; here it is done already */
    IoFreeWorkItem(w);
    /* an item embedded in the driver's memory */
    KeClearEvent(&wi.done);
    PIO_WORKITEM e = ExAllocatePool2(POOL_FLAG_NON_PAGED, IoSizeofWorkItem(), 'tseT');
    IoInitializeWorkItem(g_dev, e);
    IoQueueWorkItem(e, WorkRoutine, CriticalWorkQueue, NULL);
    assert_int_equal(KeWaitForSingleObject(&wi.done, Executive, KernelMode, FALSE, &timeout), STATUS_SUCCESS);
    mdlkit_driver_unload(g_drv); /* (drains the queue first) */
    IoUninitializeWorkItem(e);
    ExFreePoolWithTag(e, 'tseT');
    assert_int_equal(mdlkit_driver_load("ioirp", Entry, &g_drv), STATUS_SUCCESS);
}

static void free_null_item(void *arg)
{
    (void)arg;
    IoFreeWorkItem(NULL);
}
static void alloc_item_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    IoAllocateWorkItem(g_dev);
}
static void alloc_item_no_device(void *arg)
{
    (void)arg;
    IoAllocateWorkItem(NULL);
}
static void test_work_item_misuse(void **state)
{
    (void)state;
    mk_expect_bugcheck(free_null_item, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, 0, 0);
    mk_expect_bugcheck(alloc_item_at_high, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, HIGH_LEVEL, MK_ANY, MK_ANY);
    mk_expect_bugcheck(alloc_item_no_device, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_returned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_driver_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_irp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csq_ex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csq_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_lock_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_item_misuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
