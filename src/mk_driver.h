/*
 * mk_driver.h -- hosted drivers (src/io/driver.c): the DRIVER_OBJECT that
 * mdlkit_driver_load creates, the driver's devices, and the helpers that run
 * driver code "as" a driver (mk_self.driver is set while its code runs, so
 * the verifier can attribute what it allocates and the port layers can tell
 * a miniport's own calls from their own).
 */
#ifndef MK_DRIVER_H
#define MK_DRIVER_H

#include "mk_base.h"

#define MK_DRIVER_MAGIC 0x7244724bU /* "KrDr" */

enum mk_driver_model {
    MK_MODEL_WDM = 0,   /* a plain WDM driver */
    MK_MODEL_STORPORT,  /* called StorPortInitialize */
    MK_MODEL_NDIS       /* called NdisMRegisterMiniportDriver */
};

enum mk_driver_state { MK_DRV_LOADING = 1, MK_DRV_LOADED, MK_DRV_UNLOADING, MK_DRV_UNLOADED };

typedef struct mk_driver {
    DRIVER_OBJECT obj;          /* what the driver sees; first member */
    DRIVER_EXTENSION ext;
    uint32_t magic;             /* MK_DRIVER_MAGIC while the object is live */
    unsigned id;                /* 1, 2, ... in load order (stable for reports) */
    enum mk_driver_state state;
    enum mk_driver_model model;
    char name[64];              /* "mydriver" as given to mdlkit_driver_load */
    WCHAR name_w[96];           /* L"\\Driver\\mydriver" */
    WCHAR regpath_w[160];       /* the service key */
    UNICODE_STRING regpath;
    void *port;                 /* port-layer data (src/port), or NULL */
    struct mk_driver *next;     /* all drivers ever loaded (freed at shutdown) */
} mk_driver;

/* The hosted driver behind a DRIVER_OBJECT, or NULL if it is not one that
 * mdlkit_driver_load created (or it was unloaded). */
mk_driver *mk_driver_from_object(PDRIVER_OBJECT obj);
/* The name of the driver whose code is running, or "(system)". */
const char *mk_driver_current_name(void);

/* Running driver code: save the current driver, switch to d, and put the old
 * one back afterwards. NULL means "the system" (allocations made on the
 * system's behalf are not attributed to any driver). */
static inline mk_driver *mk_driver_enter(mk_driver *d)
{
    mk_driver *old = mk_self.driver;
    mk_self.driver = d;
    return old;
}
static inline void mk_driver_leave(mk_driver *old) { mk_self.driver = old; }

/* The I/O or PnP manager allocating for itself (a user request's IRP,
 * buffer and MDL, a file object, the PnP manager's IRPs): charged to no
 * driver, and not failed by the low-resources simulations
 * (mk_thread.io_manager). */
static inline mk_driver *mk_io_manager_enter(void)
{
    mk_self.io_manager++;
    return mk_driver_enter(NULL);
}
static inline void mk_io_manager_leave(mk_driver *old)
{
    mk_driver_leave(old);
    mk_self.io_manager--;
}

/* Deletes the device objects of the drivers still loaded (mdlkit_shutdown,
 * before the final leak check). */
void mk_driver_release_devices(void);
/* Frees every driver object (called by mk_port_shutdown). */
void mk_driver_shutdown_all(void);

#endif /* MK_DRIVER_H */
