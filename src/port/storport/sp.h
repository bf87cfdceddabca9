/*
 * sp.h -- StorPort's internal interface between its files (src/port/storport/):
 *   adapter.c   StorPortInitialize, adapter start/stop/remove, HwFindAdapter
 *               configuration, passive initialisation, interrupt delivery
 *   srb.c       requests: SRB/SRB_EX building, HwBuildIo/HwStartIo,
 *               completion, the class-driver harness
 *   memory.c    pool, MDLs, contiguous and DMA memory, uncached extension,
 *               physical/virtual addresses
 *   sg.c        StorPortGetScatterGatherList
 *   sync.c      spin locks, DPCs, timers, MSI locks, busy/ready/pause
 *   registry.c  registry buffers and values
 *   registers.c device base, register and port access, bus data
 *   extended.c  StorPortExtendedFunction and StorPortNotification dispatch
 *   misc.c      error logging, state changes, memory moves, names
 * Everything is mk_sp_*; nothing here is seen outside StorPort.
 */
#ifndef MK_SP_H
#define MK_SP_H

#include "mk_base.h"
#include "mk_driver.h"
#include "mk_hal.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <storport.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#define MK_SP_MAX_ADAPTERS 64
#define MK_SP_DIRQL 4 /* the simulated device IRQL (between DISPATCH and CLOCK) */
#define MK_SP_EXT_TAG 'xEpS'
#define MK_SP_SRBEXT_TAG 'xSpS'
#define MK_SP_SG_TAG 'gSpS'
#define MK_SP_REQ_TAG 'qRpS'
#define MK_SP_MAX_DPCS 256
#define MK_SP_MAX_TIMERS 16
#define MK_SP_MAX_MSI 64

/* SCSI_VERIFIER_DETECTED_VIOLATION (0xF1) subcodes (Storport verification). */
#define MK_SP_F1_UNCACHED_OUTSIDE_FINDADAPTER 0x2002
#define MK_SP_F1_REQUEST_COMPLETED_TWICE 0x2004

/* P4 of MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION for routines that are not
 * extended functions (those give their STORPORT_FUNCTION_CODE). */
#define MK_SP_WHO_NOTIFICATION 0x1000
#define MK_SP_WHO_UNCACHED 0x1001
#define MK_SP_WHO_PHYSICAL 0x1002
#define MK_SP_WHO_OTHER 0x1003

enum mk_sp_phase {
    MK_SP_PHASE_FINDADAPTER = 1,
    MK_SP_PHASE_INITIALIZE,
    MK_SP_PHASE_PASSIVE_INIT,
    MK_SP_PHASE_RUNNING,
    MK_SP_PHASE_STOPPING
};

typedef struct mk_sp_driver {
    HW_INITIALIZATION_DATA hw;
    PVOID hw_context;
    mk_driver *drv;
    struct mk_sp_regval *registry; /* values the harness set / the miniport wrote */
    struct mk_sp_driver *next;
} mk_sp_driver;

typedef struct mk_sp_regval {
    int global;
    char name[64];
    ULONG type;
    ULONG length;
    UCHAR *data;
    struct mk_sp_regval *next;
} mk_sp_regval;

/* One request the port has handed to the miniport. */
typedef struct mk_sp_request {
    PVOID srb;                   /* SCSI_REQUEST_BLOCK or STORAGE_REQUEST_BLOCK */
    int ex;                      /* srb is an SRB_EX */
    int owned;                   /* the port built the SRB (class-driver harness) */
    mdlkit_scsi_request *harness; /* the harness request, or NULL (mdlkit_storport_submit) */
    PIRP irp;
    PMDL mdl;
    int mdl_locked;
    PVOID srb_ext;
    PVOID sense;                 /* port-owned sense buffer */
    PSTOR_SCATTER_GATHER_LIST sg;
    _Atomic int completed;
    int in_submit;
    int held;                    /* prepared, waiting for the adapter to take requests again */
    UCHAR final_status;
    struct mk_sp_request *next;
    struct mk_sp_request *held_next;
} mk_sp_request;

typedef struct mk_sp_lock mk_sp_lock;
typedef struct mk_sp_dpc {
    PSTOR_DPC dpc;
    mk_sp_lock *lock;            /* the DpcLock of this STOR_DPC */
    PHW_DPC_ROUTINE routine;
    int queued;
    PVOID arg1, arg2;
    ULONG seq;                   /* queue order */
} mk_sp_dpc;

typedef struct mk_sp_timer {
    int used;                    /* 1: StorPortInitializeTimer handle; 2: the RequestTimerCall timer */
    int armed;
    PHW_TIMER legacy;
    PHW_TIMER_EX callback;
    PVOID context;
    ULONG64 due;
} mk_sp_timer;

/* A StorPort lock: a spin lock whose word is its owner (the processor's
 * mk_self), so recursion and foreign releases are caught and a lock left
 * held by a caught bug check can be dropped. */
struct mk_sp_lock {
    _Atomic(void *) owner;
};

typedef struct mk_sp_adapter {
    uint32_t magic;
    mk_sp_driver *spd;
    PVOID ext;
    enum mk_sp_phase phase;
    PORT_CONFIGURATION_INFORMATION config;
    ACCESS_RANGE *ranges;
    mdlkit_pci_device *dev;      /* NULL: an adapter without hardware */
    ULONG msix_messages;
    PVOID uncached;
    SIZE_T uncached_size;
    PHYSICAL_ADDRESS uncached_pa;
    pthread_mutex_t lock;        /* requests, DPC table, timers, counters */
    mk_sp_request *requests;
    ULONG outstanding;
    /* synchronisation */
    mk_sp_lock startio_lock, interrupt_lock;
    mk_sp_lock msi_lock[MK_SP_MAX_MSI];
    mk_sp_dpc dpcs[MK_SP_MAX_DPCS];
    ULONG ndpcs, dpc_seq;
    mk_sp_timer timers[MK_SP_MAX_TIMERS];
    ULONG64 clock_us;
    PHW_PASSIVE_INITIALIZE_ROUTINE passive_init;
    atomic_int delivering;
    /* StorPortBusy / StorPortPause: requests the port holds back, in order
     * (a->lock); info.busy_requests completions to wait for, info.paused
     * until StorPortResume or the simulated clock reaches pause_until. */
    mk_sp_request *held_head, *held_tail;
    ULONG held;
    ULONG64 pause_until;
    /* state the harness reads */
    mdlkit_storport_info info;
} mk_sp_adapter;

extern pthread_mutex_t mk_sp_global;
extern mk_sp_driver *mk_sp_drivers;
extern _Atomic(mk_sp_adapter *) mk_sp_adapters[MK_SP_MAX_ADAPTERS];

/* adapter.c */
mk_sp_adapter *mk_sp_find(PVOID ext);
mk_sp_adapter *mk_sp_find_or_report(PVOID ext, ULONG who);
KIRQL mk_sp_raise(KIRQL to);
void mk_sp_lower(KIRQL old);
POOL_TYPE mk_sp_nonpaged_type(void);
/* Delivers pending device interrupts (ISR at DIRQL under the interrupt or
 * MSI lock) and runs the DPCs queued, when the calling thread may take
 * them (IRQL <= DISPATCH_LEVEL, no StorPort lock held, not inside a
 * delivery). Returns the interrupts delivered. */
ULONG mk_sp_deliver(mk_sp_adapter *a);

/* srb.c */
void mk_sp_srb_data(PVOID srb, PVOID *buf, ULONG *len, PVOID **orig);
ULONG mk_sp_srb_flags(PVOID srb);
mk_sp_request *mk_sp_request_of(mk_sp_adapter *a, PVOID srb, int include_completed);
void mk_sp_request_complete(mk_sp_adapter *a, PVOID srb);
void mk_sp_reap(mk_sp_adapter *a);
void mk_sp_abort_all(mk_sp_adapter *a, UCHAR srb_status);
/* Gives the miniport the requests StorPortBusy / StorPortPause held back,
 * in order, while the adapter takes requests; from harness entry points
 * only (mk_sp_deliver). Returns how many were started. */
ULONG mk_sp_start_held(mk_sp_adapter *a);
/* a->lock held: the adapter takes no new request now (busy or paused). */
int mk_sp_holding_locked(mk_sp_adapter *a);
/* Marks this thread as running a miniport's HwStartIo (sync.c; a harness
 * entry point forgets a mark a caught bug check left). */
void mk_sp_startio_enter(void);
void mk_sp_startio_leave(void);
int mk_sp_in_startio(void);
NTSTATUS mk_sp_srb_to_status(UCHAR srb_status);
/* A routine was given an SRB the miniport already completed: 0xC4
 * MDLKIT_RULE_STORPORT_COMPLETED_SRB_USED (returns if not completed). */
void mk_sp_check_srb_live(mk_sp_adapter *a, PVOID srb, const char *routine);

/* sync.c */
void mk_sp_locks_init(mk_sp_adapter *a);
void mk_sp_locks_destroy(mk_sp_adapter *a);
/* The port takes / drops the interrupt-side locks around the ISR. */
void mk_sp_isr_lock(mk_sp_adapter *a, ULONG message, int per_message);
void mk_sp_isr_unlock(mk_sp_adapter *a, ULONG message, int per_message);
void mk_sp_startio_lock(mk_sp_adapter *a);
void mk_sp_startio_unlock(mk_sp_adapter *a);
int mk_sp_locks_held(void); /* StorPort locks the calling thread holds */
/* At every harness entry point: forgets locks of an old machine and drops
 * locks left held by a bug check caught inside a miniport callback. */
void mk_sp_locks_reset_stale(void);
/* Runs the queued DPCs at DISPATCH_LEVEL; returns how many ran. */
ULONG mk_sp_run_dpcs(mk_sp_adapter *a);
void mk_sp_notify_lock(mk_sp_adapter *a, va_list *ap, int acquire);
void mk_sp_notify_dpc(mk_sp_adapter *a, va_list *ap, int issue);
void mk_sp_notify_timer(mk_sp_adapter *a, va_list *ap);
ULONG mk_sp_timer_function(mk_sp_adapter *a, STORPORT_FUNCTION_CODE code, va_list *ap);
ULONG mk_sp_msi_lock_function(mk_sp_adapter *a, int acquire, va_list *ap);
ULONG mk_sp_msi_info(mk_sp_adapter *a, ULONG message, PMESSAGE_INTERRUPT_INFORMATION out);
/* Called when a StorPort callback into the miniport returns: the locks it
 * took must have been released. */
void mk_sp_check_no_locks(mk_sp_adapter *a, int before);

/* memory.c */
ULONG mk_sp_memory_function(mk_sp_adapter *a, STORPORT_FUNCTION_CODE code, va_list *ap, void *caller, int *handled);
void mk_sp_memory_release(mk_sp_adapter *a); /* uncached extension */
size_t mk_sp_memory_leaks(mk_sp_adapter *a);

/* sg.c */
void mk_sp_sg_free(mk_sp_request *r);

/* registers.c */
void mk_sp_registers_release(mk_sp_adapter *a);

LONGLONG mk_sp_tick_count(void); /* QueryTickCount */

/* registry.c */
void mk_sp_registry_free(mk_sp_driver *s);

/* extended.c */
ULONG mk_sp_min_os(STORPORT_FUNCTION_CODE code);

#endif /* MK_SP_H */
