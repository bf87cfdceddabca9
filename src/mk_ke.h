/*
 * mk_ke.h -- what the kernel-basics files (src/ke/) share among themselves:
 * the bug-check catch frame, the parameter-description tables and the
 * violation text. Other layers use mk_base.h only.
 */
#ifndef MK_KE_H
#define MK_KE_H

#include "mk_base.h"

#include <setjmp.h>

/* One mdlkit_catch_bugcheck in progress on this thread (bugcheck.c). The
 * thread state is put back to these values when a bug check is caught. */
struct mk_catch {
    struct mk_catch *prev;
    jmp_buf jb;
    mdlkit_bugcheck bc;
    KIRQL irql;
    ULONG spinlocks_held;
    mdlkit_seh_frame *seh;  /* innermost __try frame outside the catch */
    struct mk_driver *driver;
    int user_process;
    int io_manager;
};


/* ------------------------------------------------------------------------
 * The dispatcher (src/ke/wait.c and friends): dispatcher objects, waits,
 * threads, DPCs and timers share one lock, mk_ke_lock. Each thread waits on
 * its own condition variable; a signalled object satisfies the waits queued
 * on its WaitListHead (KWAIT_BLOCKs) in order.
 *
 * Rule: no bug check or exception while mk_ke_lock is held.
 * ---------------------------------------------------------------------- */
#include <pthread.h>

/* DISPATCHER_HEADER.Type values (KOBJECTS) */
#define MK_KOBJ_EVENT_NOTIFICATION 0
#define MK_KOBJ_EVENT_SYNCHRONIZATION 1
#define MK_KOBJ_MUTANT 2
#define MK_KOBJ_PROCESS 3
#define MK_KOBJ_SEMAPHORE 5
#define MK_KOBJ_THREAD 6
#define MK_KOBJ_TIMER_NOTIFICATION 8
#define MK_KOBJ_TIMER_SYNCHRONIZATION 9
#define MK_KOBJ_DPC 19
#define MK_KOBJ_THREADED_DPC 26

#define MK_KTHREAD_MAGIC 0x6854724bU /* "KrTh" */

struct mk_driver;

/* The kernel thread object. Threads made by PsCreateSystemThread are objects
 * of *PsThreadType (pool); every other host thread that asks for its thread
 * gets one in host memory, freed at shutdown. */
struct _KTHREAD {
    DISPATCHER_HEADER Header;      /* ThreadObject: signalled when the thread ends */
    uint32_t magic;
    int system;                    /* made by PsCreateSystemThread */
    int host_memory;               /* not an object of the object manager */
    int in_dpc;                    /* a simulated processor running DPCs */
    unsigned generation;
    pthread_cond_t cv;             /* this thread's waits (with mk_ke_lock) */
    /* the wait in progress (under mk_ke_lock) */
    int wait_active;
    NTSTATUS wait_status;
    WAIT_TYPE wait_type;
    ULONG wait_count;
    PKWAIT_BLOCK wait_blocks;
    KWAIT_BLOCK own_blocks[THREAD_WAIT_OBJECTS];
    KPRIORITY priority;
    KPRIORITY base_priority;
    HANDLE cid;                    /* thread id */
    LONG critical_regions;         /* KeEnterCriticalRegion depth */
    LONG guarded_regions;          /* KeEnterGuardedRegion depth */
    LONG mutants_owned;
    PKSTART_ROUTINE start;
    PVOID start_context;
    struct mk_driver *driver;      /* the driver that made it (system threads) */
    int running;                   /* system thread: started, not ended */
    int exit_armed;
    long ps_slot;                  /* system thread: its slot in ps/psthread.c's table */
    jmp_buf exit_jb;               /* PsTerminateSystemThread unwinds here */
    NTSTATUS exit_status;
    struct _KTHREAD *next_all;     /* every thread object of this machine */
};

extern pthread_mutex_t mk_ke_lock;
/* Reads the first and the last byte of a caller's object before mk_ke_lock
 * is taken: an object in memory the caller may not touch (paged pool
 * trimmed at DISPATCH_LEVEL under Force IRQL checking, freed special pool)
 * then faults here, outside the lock, as the rule above asks; a fault under
 * the lock left it held after the bug check was caught, and the next call
 * (mdlkit_shutdown's included) waited for ever. */
/* (The reads race with writes made under the lock by design -- only the
 * fault matters, not the values -- so ThreadSanitizer does not watch them.) */
__attribute__((no_sanitize("thread"))) static inline void mk_ke_touch_(const void *obj, size_t size)
{
    const volatile UCHAR *b = (const volatile UCHAR *)obj;
    UCHAR first = b[0], last = b[size - 1];
    __asm__ volatile("" : : "r"(first), "r"(last)); /* the loads stay */
}
#define MK_KE_TOUCH(obj) mk_ke_touch_((obj), sizeof(*(obj)))

/* The current thread's object (made on first use). */
PKTHREAD mk_ke_current(void);
/* Absolute CLOCK_MONOTONIC deadline from a KeWait timeout (NULL: none).
 * Returns 0 for no timeout, 1 with *deadline_ns set, 2 for a zero timeout. */
int mk_ke_deadline(const LARGE_INTEGER *timeout, uint64_t *deadline_ns);
uint64_t mk_ke_mono_ns(void);
ULONGLONG mk_ke_interrupt_time(void); /* 100 ns units since mdlkit_init */
LONGLONG mk_ke_system_time(void);     /* 100 ns units since 1601 (UTC) */
void mk_ke_thread_setup(PKTHREAD t);  /* a zeroed thread object made ready (wait.c) */
void mk_ke_set_current(PKTHREAD t);   /* this host thread is t */
/* Under mk_ke_lock: the object became signalled; satisfy the waits it can. */
void mk_ke_signal_locked(DISPATCHER_HEADER *h);
/* Wakes a thread blocked in a wait (broadcast on its cv). Under mk_ke_lock. */
void mk_ke_queue_dpc_locked(PKDPC dpc, PVOID a1, PVOID a2, ULONG cpu_hint);
int mk_ke_in_dpc(void);

/* IRQL misuse of a kernel routine: 0xC4 with the DDI compliance rule when
 * that option is on (rule != 0), else 0xA IRQL_NOT_LESS_OR_EQUAL (object,
 * IRQL, 0, caller). */
MK_NORETURN void mk_ke_irql_violation(ULONG rule, const char *why, const void *object, void *caller);
#define MK_RULE_IRQL_EX_APC_LTE1 0x00020005UL
#define MK_RULE_IRQL_KE_DISPATCH_LTE 0x00020011UL
#define MK_RULE_IRQL_KE_SET_EVENT 0x00020016UL
#define MK_RULE_IRQL_OB_PASSIVE 0x0002001BUL
#define MK_RULE_IRQL_PS_PASSIVE 0x0002001CUL
#define MK_RULE_IRQL_ZW_PASSIVE 0x0002001FUL
#define MK_RULE_CRITICAL_REGIONS 0x00040003UL
#define MK_RULE_GUARDED_REGIONS 0x0004000EUL
#define MK_RULE_QUEUED_SPIN_LOCK 0x00040006UL
#define MK_RULE_QUEUED_SPIN_LOCK_RELEASE 0x00040007UL

/* Lifecycle (the processor threads and the timer thread start lazily). */
int mk_ke_init(void);
void mk_ke_shutdown(void);     /* wait.c: timers, DPCs, host thread objects */
void mk_dpc_shutdown(void);    /* dpc.c: drains the queues, stops the processors */
void mk_timer_shutdown(void);  /* timer.c */
PKTIMER mk_timer_take_driver(struct mk_driver *d); /* a timer d left set, unlisted */
PKDPC mk_dpc_take_driver(struct mk_driver *d);     /* a DPC d left queued, dequeued */

/* Executive work items (src/ex/exworkitem.c). */
PWORK_QUEUE_ITEM mk_ex_workitem_of_driver(struct mk_driver *d, PWORKER_THREAD_ROUTINE *routine);
void mk_ex_workitems_flush(void);
void mk_ex_workitem_shutdown(void);
/* An ERESOURCE of driver d left active in pool it freed (src/ex/resource.c). */
PERESOURCE mk_ex_resource_freed_of_driver(struct mk_driver *d, int *paged);
/* Live objects inside [lo, hi), for Miscellaneous Checks (0x800) at a pool
 * free (src/verifier/misc.c): a timer set, a DPC queued, an ERESOURCE not
 * deleted, an executive work item queued; NULL if none. */
PKTIMER mk_timer_set_in(const void *lo, const void *hi);
PKDPC mk_dpc_queued_in(const void *lo, const void *hi);
PERESOURCE mk_ex_resource_in(const void *lo, const void *hi);
PWORK_QUEUE_ITEM mk_ex_workitem_queued_in(const void *lo, const void *hi);

/* The steps mdlkit_init and mdlkit_shutdown (src/rt/runtime.c) sequence
 * for the kernel and executive layers. */
void mk_ps_shutdown(void);          /* ps/psthread.c: system threads still running (0xCE) */
/* ps/psnotify.c: process-creation notify routines */
void mk_ps_notify_reset(void);
PVOID mk_ps_notify_of_driver(struct mk_driver *d); /* a routine d left registered, or NULL */
void mk_ob_shutdown(void);          /* ob/obhandle.c: handles still open closed, as at process exit */
void mk_ob_event_shutdown(void);    /* ob/obevent.c: event names */
void mk_ex_resource_shutdown(void); /* ex/resource.c */
/* A driver is being unloaded (io/driver.c, after its Unload routine): its
 * system threads still running (0xCE), timers still set and DPCs still
 * queued (0xC7). */
void mk_exec_driver_unloaded(struct mk_driver *d);

#endif /* MK_KE_H */
