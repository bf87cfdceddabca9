/*
 * mk_ndis.h -- what the NDIS port files (src/port/ndis/) share: the driver
 * and adapter records, the adapter states, and the hooks between the
 * hosting (miniport.c), the data path (datapath.c), OID requests (oid.c),
 * configuration (config.c), memory (ndismem.c, nbl.c), locks, timers and
 * work items. Other layers use mk_port.h.
 */
#ifndef MK_NDIS_H
#define MK_NDIS_H

#include "mk_base.h"
#include "mk_driver.h"
#include "mk_port.h"

#include <ndis.h>
#include <mdlkit.h>

#include <pthread.h>

/* The adapter's state, as NDIS runs it. */
enum mk_ndis_state {
    MK_NDIS_INITIALIZING = 1, /* in MiniportInitializeEx */
    MK_NDIS_PAUSED,           /* initialised, or paused */
    MK_NDIS_RESTARTING,       /* MiniportRestart called, not complete */
    MK_NDIS_RUNNING,
    MK_NDIS_PAUSING,          /* MiniportPause called, not complete */
    MK_NDIS_SHUTTING_DOWN,    /* in MiniportShutdownEx */
    MK_NDIS_HALTING           /* in MiniportHaltEx */
};

typedef struct mk_ndis_driver {
    mk_driver *drv;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NDIS_HANDLE ctx;
    int data_path;            /* registered the data-path handlers */
    unsigned adapters_started;
} mk_ndis_driver;

typedef struct mk_ndis_rx_frame mk_ndis_rx_frame;
typedef struct mk_ndis_status_rec mk_ndis_status_rec;
typedef struct mk_ndis_done mk_ndis_done;

typedef struct mk_ndis_adapter {
    mk_ndis_driver *nd;
    volatile int state;       /* enum mk_ndis_state */
    NDIS_HANDLE ctx;          /* MiniportAdapterContext */
    ULONG attr_flags;
    int registered;
    int general;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    struct nd_dma *dma;       /* NdisMRegisterScatterGatherDma, or NULL */
    ULONG dma_flags;
    unsigned index;
    DEVICE_OBJECT fdo;        /* what NdisMGetDeviceProperty gives */
    /* configuration values (config.c) */
    mdlkit_ndis_config_value *config;
    size_t config_count;
    /* data path (datapath.c), under lock */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    LONG sends_pending;       /* NBLs at the miniport */
    LONG rx_pending;          /* NBLs indicated and kept by the test */
    ULONG64 rx_frames;
    int rx_mode;
    mk_ndis_done *done_head, *done_tail;       /* send completions */
    mk_ndis_rx_frame *rx_head, *rx_tail;        /* received frames */
    mk_ndis_status_rec *st_head, *st_tail;      /* status indications */
    NDIS_HANDLE tx_pool;      /* the harness's NBL pool for this adapter */
    /* pause / restart / OID completion (miniport.c, oid.c) */
    int pause_done, restart_done;
    NDIS_STATUS restart_status;
    PNDIS_OID_REQUEST oid_pending;
    int oid_done;
    NDIS_STATUS oid_status;
    pthread_mutex_t oid_serial; /* one OID request at a time */
    ULONG packet_filter, lookahead; /* what NDIS answers queries with */
    UCHAR mcast[32 * 6];
    ULONG mcast_len;
    struct mk_ndis_adapter *dead_next;
} mk_ndis_adapter;

/* Handles (miniport.c). */
enum { MK_NDIS_CONFIG = MK_NDIS_INTERRUPT + 1, MK_NDIS_NBL_POOL, MK_NDIS_NB_POOL, MK_NDIS_TIMER,
       MK_NDIS_WORKITEM, MK_NDIS_RWLOCK, MK_NDIS_SHARED, MK_NDIS_FILTER_DRIVER,
       MK_NDIS_DEVICE };
int mk_ndis_register_handle(const void *handle, int kind, void *rec);
void mk_ndis_unregister_handle(const void *handle);
void *mk_ndis_lookup(const void *handle, int kind);
/* The record of `handle` (of `kind`), or a 0xC4 MDLKIT_RULE_NDIS_UNKNOWN_HANDLE. */
void *mk_ndis_lookup_or_report(const void *handle, int kind, const char *why);
/* Any NDIS handle a driver may pass as NdisHandle (driver, adapter, generic object). */
int mk_ndis_is_object_handle(const void *handle);
mk_ndis_adapter *mk_ndis_adapter_from(const void *handle);
/* The first record of `kind` whose first member (a pointer) is `key`. */
void *mk_ndis_find_handle(int kind, const void *key);

/* Filter drivers (filter.c). */
void *mk_ndis_filter_of(const mk_driver *d);
void mk_ndis_filter_driver_unloaded(mk_driver *d);
/* Control devices (ndisdev.c): forget the saved dispatch entries. */
void mk_ndis_device_shutdown(void);

/* Calls into the miniport with mk_self.driver set (mk_port_call_miniport). */
#define MK_NDIS_CALL(ad, expr)                              \
    do {                                                    \
        mk_port_frame mk_nd_f_;                             \
        mk_port_call_miniport(&mk_nd_f_, (ad)->nd->drv);    \
        expr;                                               \
        mk_port_return_from_miniport(&mk_nd_f_);            \
    } while (0)

/* Bounded waits on ad->cv (ad->lock held): 0 on timeout. */
int mk_ndis_wait(mk_ndis_adapter *ad, const volatile int *flag, ULONG timeout_ms);
int mk_ndis_timed_wait(mk_ndis_adapter *ad, ULONG64 deadline_ns);
ULONG64 mk_ndis_deadline(ULONG timeout_ms);

/* datapath.c: the harness's queues of an adapter, dropped at halt;
 * receive-side state checks at halt. */
void mk_ndis_datapath_drop(mk_ndis_adapter *ad);
void mk_ndis_status_drop(mk_ndis_status_rec *s); /* oid.c */
/* config.c */
int mk_ndis_config_copy(mk_ndis_adapter *ad, const mdlkit_ndis_adapter_params *p);
void mk_ndis_config_free(mk_ndis_adapter *ad);
/* nbl.c: NBL bookkeeping in NdisReserved (who has it). */
#define MK_NBL_AT_MINIPORT ((PVOID)(ULONG_PTR)0x4D4B4E53u) /* "SNKM": sent, pending at the miniport */
#define MK_NBL_AT_PROTOCOL ((PVOID)(ULONG_PTR)0x4D4B4E52u) /* "RNKM": indicated, kept by the protocol */
#define MK_NBL_STATE(nbl) ((nbl)->NdisReserved[0])
ULONG mk_ndis_nb_copy_out(PNET_BUFFER nb, void *out, ULONG max);
/* The port tracker's reclaim for NDIS kinds (ndismem.c), and the per-kind
 * frees it calls. */
void mk_ndis_reclaim(mk_port_track *rec, void *ctx);
void mk_ndis_pool_reclaim(void *pool);      /* nbl.c */
void mk_ndis_timer_reclaim(void *timer);    /* ndistimer.c */
void mk_ndis_workitem_reclaim(void *item);  /* ndistimer.c */
/* Machine shutdown: frees the host record of an object of `kind` the
 * driver never freed (ndismem.c dispatches to the owning file). */
void mk_ndis_orphan_free(int kind, void *rec);
void mk_ndis_datapath_shutdown(void);      /* datapath.c */
void mk_ndis_config_handle_free(void *h);  /* config.c */
void mk_ndis_shared_handle_free(void *h);  /* ndismem.c */
void *mk_ndis_shared_alloc(mk_ndis_adapter *ad, ULONG Length, BOOLEAN Cached, PHYSICAL_ADDRESS *pa, void *caller);
/* timers, work items (ndistimer.c) */
void mk_ndis_timer_shutdown(void);

#endif /* MK_NDIS_H */
