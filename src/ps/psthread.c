/*
 * psthread.c -- system threads and thread queries: PsCreateSystemThread,
 * PsTerminateSystemThread, KeGetCurrentThread, PsGetCurrentThread,
 * PsGetCurrentThreadId, PsGetThreadId, PsGetCurrentProcessId, PsGetThreadProcessId, ExGetPreviousMode,
 * PsIsSystemThread, KeSetPriorityThread, KeQueryPriorityThread,
 * KeSetBasePriorityThread.
 *
 * A system thread is a real host thread that starts at PASSIVE_LEVEL in the
 * simulated process. Its thread object (*PsThreadType, nonpaged pool) is a
 * dispatcher object signalled when the thread ends; the creator gets a
 * handle in the process's handle table. The thread runs "as" the driver that
 * created it (pool it allocates is charged to that driver).
 *
 * Misuse (docs/ddi-notes.md, "Threads"):
 *  - PsCreateSystemThread / PsTerminateSystemThread at IRQL != PASSIVE_LEVEL:
 *    0xC4 IrqlPsPassive (0x2001C) under DDI compliance, else 0xA;
 *  - PsTerminateSystemThread on a thread that is not a system thread:
 *    STATUS_INVALID_PARAMETER (the routine returns, as Windows does);
 *  - a system thread that ends at IRQL != PASSIVE_LEVEL: 0x4A
 *    IRQL_GT_ZERO_AT_SYSTEM_SERVICE (start routine, IRQL, 0, 0); inside a
 *    critical or guarded region: 0x1 APC_INDEX_MISMATCH (start routine, 0,
 *    guarded << 16 | critical, 1);
 *  - a system thread of a driver still running when the driver is unloaded:
 *    0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (start
 *    routine, 0, start routine, 0); at shutdown the same report;
 *  - an executive work item of a driver still queued or running when the
 *    driver is unloaded: 0xCE (worker routine, 0, item, 0);
 *  - an ERESOURCE the driver never deleted, in pool it freed: 0xC4/0x17
 *    (resource, pool type, address);
 *  - a timer still set, or a DPC still queued, by a driver being unloaded:
 *    0xC7 TIMER_OR_DPC_INVALID (0 timer / 1 DPC object, as the bug check's
 *    page numbers them (2 is a DPC routine), object, start and end of the
 *    memory it lies in: its pool block, or the object itself).
 */
#include "mk_machine.h"
#include "mk_ke.h"
#include "mk_ob.h"
#include "mk_pool.h"

#include <string.h>

#define IRQL_GT_ZERO_AT_SYSTEM_SERVICE_CODE 0x4A
#define APC_INDEX_MISMATCH_CODE 0x01
#define UNLOADED_PENDING_CODE 0xCE
#define TIMER_OR_DPC_INVALID_CODE 0xC7

static pthread_mutex_t ps_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ps_cv = PTHREAD_COND_INITIALIZER;
/* System threads not yet completely gone: running, or ending (signalled,
 * dropping their last reference). Shutdown waits for the ending ones, so
 * no thread touches the pool of a machine that is gone. */
enum { PS_RUNNING = 1, PS_ENDING = 2 };
static PKTHREAD ps_threads[256];
static int ps_state[256];

static void ps_destroy(void *body)
{
    PKTHREAD t = body;
    pthread_cond_destroy(&t->cv);
}

static const mk_ob_type_ops ps_thread_ops = {"Thread", NULL, ps_destroy};

/* A thread's state, by the slot it was given (t->ps_slot, read while the
 * thread object is still referenced): an ended thread's object can be freed
 * and its address given to the next thread before the ending thread clears
 * its slot, so a search by address could find the new thread's slot. */
static void ps_set_state(long i, PKTHREAD t, int state)
{
    pthread_mutex_lock(&ps_lock);
    if (i >= 0 && i < (long)MK_ARRAY_SIZE(ps_threads) && ps_threads[i] == t) {
        if (state)
            ps_state[i] = state;
        else
            ps_threads[i] = NULL, ps_state[i] = 0;
    }
    pthread_cond_broadcast(&ps_cv);
    pthread_mutex_unlock(&ps_lock);
}

/* The thread has ended: checks, signal its object, drop its own reference. */
static void ps_thread_end(PKTHREAD t)
{
    KIRQL irql = mk_self.irql;
    LONG crit = t->critical_regions, guarded = t->guarded_regions;
    PKSTART_ROUTINE start = t->start;
    long slot = t->ps_slot;
    ps_set_state(slot, t, PS_ENDING);
    /* Signalled and unreferenced in one step: a waiter wakes only after
     * the thread's own reference is gone, so its dereference can be the
     * last one. */
    pthread_mutex_lock(&mk_ke_lock);
    t->running = 0;
    t->Header.SignalState = 1;
    mk_ke_signal_locked(&t->Header);
    int last = mk_ob_dereference_keep(t);
    pthread_mutex_unlock(&mk_ke_lock);
    mk_ke_set_current(NULL);
    ps_set_state(slot, t, 0); /* t may be freed (and reused) by now: only compared */
    if (last)
        mk_ob_destroy(t); /* nobody else knew it: no one can race */
    if (irql != PASSIVE_LEVEL)
        mk_bugcheck(IRQL_GT_ZERO_AT_SYSTEM_SERVICE_CODE, (ULONG_PTR)start, irql, 0, 0);
    if (crit || guarded)
        mk_bugcheck(APC_INDEX_MISMATCH_CODE, (ULONG_PTR)start, 0, ((ULONG_PTR)(ULONG)guarded << 16) | (ULONG)crit, 1);
}

static void *ps_thread_main(void *arg)
{
    PKTHREAD t = arg;
    mk_thread_attach_system();
    mk_self.irql = PASSIVE_LEVEL;
    mk_self.driver = t->driver;
    mk_ke_set_current(t);
    if (setjmp(t->exit_jb) == 0) {
        t->exit_armed = 1;
        t->start(t->start_context);
        t->exit_status = STATUS_SUCCESS;
    }
    t->exit_armed = 0;
    ps_thread_end(t);
    return NULL;
}

static void ps_check_passive(const char *why, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_PS_PASSIVE, why, NULL, caller);
}

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                              HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext)
{
    MK_ENTER("PsCreateSystemThread");
    ps_check_passive("PsCreateSystemThread should only be called at IRQL = PASSIVE_LEVEL",
                     __builtin_return_address(0));
    if (!ThreadHandle || !StartRoutine)
        return STATUS_INVALID_PARAMETER;
    if (ProcessHandle != NULL && (LONG_PTR)ProcessHandle != -1)
        return STATUS_INVALID_HANDLE; /* the simulated machine has one process */
    static int ops_set;
    if (!__atomic_exchange_n(&ops_set, 1, __ATOMIC_ACQ_REL))
        mk_ob_type_set_ops(*PsThreadType, &ps_thread_ops);
    PKTHREAD t = mk_ob_create(*PsThreadType, sizeof(struct _KTHREAD));
    if (!t)
        return STATUS_INSUFFICIENT_RESOURCES;
    mk_ke_thread_setup(t);
    t->system = 1;
    t->start = StartRoutine;
    t->start_context = StartContext;
    t->driver = mk_self.driver;
    t->running = 1;
    int kernel = ObjectAttributes && (ObjectAttributes->Attributes & OBJ_KERNEL_HANDLE);
    HANDLE h;
    NTSTATUS st = mk_ob_insert_process_handle(t, DesiredAccess ? DesiredAccess : THREAD_ALL_ACCESS, kernel, &h);
    if (!NT_SUCCESS(st)) {
        mk_ob_dereference(t);
        return st;
    }
    pthread_mutex_lock(&ps_lock);
    ULONG slot = MK_ARRAY_SIZE(ps_threads);
    for (ULONG i = 0; i < MK_ARRAY_SIZE(ps_threads); i++)
        if (!ps_threads[i]) {
            slot = i;
            break;
        }
    if (slot == MK_ARRAY_SIZE(ps_threads)) {
        pthread_mutex_unlock(&ps_lock);
        mk_ob_close_handle(h, kernel ? KernelMode : UserMode);
        mk_ob_dereference(t);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ps_threads[slot] = t;
    ps_state[slot] = PS_RUNNING;
    t->ps_slot = (long)slot;
    pthread_mutex_unlock(&ps_lock);
    /* the thread's own reference, dropped when it ends */
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t pt;
    if (pthread_create(&pt, &a, ps_thread_main, t) != 0) {
        pthread_attr_destroy(&a);
        ps_set_state(t->ps_slot, t, 0);
        mk_ob_close_handle(h, kernel ? KernelMode : UserMode);
        mk_ob_dereference(t);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    pthread_attr_destroy(&a);
    if (ClientId) {
        ClientId->UniqueProcess = PsGetCurrentProcessId();
        ClientId->UniqueThread = t->cid;
    }
    *ThreadHandle = h;
    return STATUS_SUCCESS;
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    MK_ENTER("PsTerminateSystemThread");
    ps_check_passive("PsTerminateSystemThread should only be called at IRQL = PASSIVE_LEVEL",
                     __builtin_return_address(0));
    PKTHREAD t = mk_ke_current();
    if (!t->system || !t->exit_armed)
        return STATUS_INVALID_PARAMETER;
    t->exit_status = ExitStatus;
    longjmp(t->exit_jb, 1);
}

PKTHREAD KeGetCurrentThread(void)
{
    MK_ENTER("KeGetCurrentThread");
    return mk_ke_current();
}

PETHREAD PsGetCurrentThread(void)
{
    MK_ENTER("PsGetCurrentThread");
    return (PETHREAD)mk_ke_current();
}

HANDLE PsGetCurrentThreadId(void)
{
    MK_ENTER("PsGetCurrentThreadId");
    return mk_ke_current()->cid;
}

HANDLE PsGetThreadId(PETHREAD Thread)
{
    MK_ENTER("PsGetThreadId");
    MK_OBJ_FAULT((PKTHREAD)Thread);
    return ((PKTHREAD)Thread)->cid;
}

HANDLE PsGetCurrentProcessId(void)
{
    MK_ENTER("PsGetCurrentProcessId");
    return (HANDLE)(ULONG_PTR)4;
}

/* Every thread of the simulated machine is in the one process whose id
 * PsGetCurrentProcessId gives. */
HANDLE PsGetThreadProcessId(PETHREAD Thread)
{
    MK_ENTER("PsGetThreadProcessId");
    MK_OBJ_FAULT((PKTHREAD)Thread);
    return (HANDLE)(ULONG_PTR)4;
}

/* The mode the current thread entered the kernel from: UserMode while it
 * carries a request of the simulated user process (mdlkit_ioctl and the
 * other user-mode calls), else KernelMode (DriverEntry, system threads,
 * work items, DPCs, the test's own calls). */
KPROCESSOR_MODE ExGetPreviousMode(void)
{
    MK_ENTER("ExGetPreviousMode");
    mk_thread_attach();
    return mk_self.user_process > 0 ? UserMode : KernelMode;
}

BOOLEAN PsIsSystemThread(PETHREAD Thread)
{
    MK_ENTER("PsIsSystemThread");
    MK_OBJ_FAULT((PKTHREAD)Thread);
    PKTHREAD t = (PKTHREAD)Thread;
    return (BOOLEAN)(t->system || t->in_dpc);
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
    MK_ENTER("KeSetPriorityThread");
    MK_OBJ_FAULT(Thread);
    mk_thread_attach();
    if (mk_self.irql > DISPATCH_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_KE_DISPATCH_LTE, "KeSetPriorityThread must be called at IRQL <= DISPATCH_LEVEL",
                             Thread, __builtin_return_address(0));
    if (Priority < LOW_PRIORITY + 1 || Priority > HIGH_PRIORITY)
        mk_raise(STATUS_INVALID_PARAMETER); /* Windows asserts: 0 and above 31 are never valid */
    pthread_mutex_lock(&mk_ke_lock);
    KPRIORITY old = Thread->priority;
    Thread->priority = Priority;
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)
{
    MK_ENTER("KeQueryPriorityThread");
    MK_OBJ_FAULT(Thread);
    pthread_mutex_lock(&mk_ke_lock);
    KPRIORITY p = Thread->priority;
    pthread_mutex_unlock(&mk_ke_lock);
    return p;
}

LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment)
{
    MK_ENTER("KeSetBasePriorityThread");
    MK_OBJ_FAULT(Thread);
    mk_thread_attach();
    if (mk_self.irql > PASSIVE_LEVEL)
        mk_ke_irql_violation(0, NULL, Thread, __builtin_return_address(0));
    pthread_mutex_lock(&mk_ke_lock);
    LONG old = Thread->base_priority - 8; /* the increment relative to the process base (8) */
    LONG np = 8 + Increment;
    if (np < 1)
        np = 1;
    if (np > 15)
        np = 15;
    Thread->base_priority = np;
    if (Thread->priority < LOW_REALTIME_PRIORITY)
        Thread->priority = np;
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

static MK_NORETURN void ps_report_running(PKTHREAD t)
{
    mk_bugcheck_note("system thread %p (start routine %p) is still running", (void *)t, (void *)t->start);
    mk_bugcheck(UNLOADED_PENDING_CODE, (ULONG_PTR)t->start, 0, (ULONG_PTR)t->start, 0);
}

/* A driver's system threads must have ended before it is unloaded. */
static void ps_driver_unloaded(struct mk_driver *d)
{
    PKTHREAD found = NULL;
    pthread_mutex_lock(&ps_lock);
    for (ULONG i = 0; i < MK_ARRAY_SIZE(ps_threads) && !found; i++)
        if (ps_threads[i] && ps_state[i] == PS_RUNNING && ps_threads[i]->driver == d)
            found = ps_threads[i];
    pthread_mutex_unlock(&ps_lock);
    if (found)
        ps_report_running(found);
}

/* Shutdown: threads still running are reported (0xCE) once; they are left
 * blocked, never resumed into a machine that is gone. */
static void ps_shutdown(void)
{
    PKTHREAD found = NULL;
    pthread_mutex_lock(&ps_lock);
    for (;;) {
        int ending = 0;
        for (ULONG i = 0; i < MK_ARRAY_SIZE(ps_threads); i++) {
            if (ps_threads[i] && ps_state[i] == PS_RUNNING) {
                if (!found)
                    found = ps_threads[i];
                ps_threads[i] = NULL; /* abandoned: reported once */
                ps_state[i] = 0;
            } else if (ps_threads[i]) {
                ending = 1;
            }
        }
        if (!ending)
            break;
        pthread_cond_wait(&ps_cv, &ps_lock);
    }
    pthread_mutex_unlock(&ps_lock);
    mk_ps_notify_reset();
    if (found)
        ps_report_running(found);
}

/* The memory range an object lies in: its pool block, or the object. */
static void ps_range(const void *obj, size_t size, ULONG_PTR *lo, ULONG_PTR *hi)
{
    mk_pool_block b;
    if (mk_pool_kind_of(obj) >= 0 && mk_pool_lookup(obj, &b)) {
        *lo = (ULONG_PTR)b.base;
        *hi = (ULONG_PTR)b.base + b.size;
    } else {
        *lo = (ULONG_PTR)obj;
        *hi = (ULONG_PTR)obj + size;
    }
}

void mk_exec_driver_unloaded(struct mk_driver *d)
{
    ps_driver_unloaded(d);
    PWORKER_THREAD_ROUTINE wr;
    PWORK_QUEUE_ITEM wi = mk_ex_workitem_of_driver(d, &wr);
    if (wi) {
        mk_bugcheck_note("work item %p (routine %p) is still queued or running as its driver is unloaded", (void *)wi,
                         (void *)wr);
        mk_bugcheck(UNLOADED_PENDING_CODE, (ULONG_PTR)wr, 0, (ULONG_PTR)wi, 0);
    }
    int paged = 0;
    PERESOURCE res = mk_ex_resource_freed_of_driver(d, &paged);
    if (res) {
        mk_bugcheck_note("ERESOURCE %p was freed with its pool block without ExDeleteResourceLite", (void *)res);
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x17, (ULONG_PTR)res, (ULONG_PTR)paged, (ULONG_PTR)res);
    }
    PVOID cb_handle = NULL;
    PVOID cb = mk_ob_callbacks_of_driver(d, &cb_handle);
    if (cb) {
        mk_bugcheck_note("object-manager callback registration %p (routine %p) is still registered as its driver is "
                         "unloaded (ObUnRegisterCallbacks)", cb_handle, cb);
        mk_bugcheck(UNLOADED_PENDING_CODE, (ULONG_PTR)cb, 0, (ULONG_PTR)cb_handle, 0);
    }
    PVOID notify = mk_ps_notify_of_driver(d);
    if (notify) {
        mk_bugcheck_note("process-creation notify routine %p is still registered as its driver is unloaded "
                         "(PsSetCreateProcessNotifyRoutineEx(..., TRUE))", notify);
        mk_bugcheck(UNLOADED_PENDING_CODE, (ULONG_PTR)notify, 0, (ULONG_PTR)notify, 0);
    }
    ULONG_PTR lo, hi;
    PKTIMER timer = mk_timer_take_driver(d);
    if (timer) {
        ps_range(timer, sizeof *timer, &lo, &hi);
        mk_bugcheck_note("timer %p is still set as its driver is unloaded", (void *)timer);
        mk_bugcheck(TIMER_OR_DPC_INVALID_CODE, 0, (ULONG_PTR)timer, lo, hi);
    }
    PKDPC dpc = mk_dpc_take_driver(d);
    if (dpc) {
        ps_range(dpc, sizeof *dpc, &lo, &hi);
        mk_bugcheck_note("DPC %p is still queued as its driver is unloaded", (void *)dpc);
        mk_bugcheck(TIMER_OR_DPC_INVALID_CODE, 1, (ULONG_PTR)dpc, lo, hi);
    }
}

void mk_ps_shutdown(void) { ps_shutdown(); }
