/*
 * portcommon.c -- what StorPort and NDIS hosting share: layer start/stop,
 * the HwStorPortProhibitedDDIs check the WDM DDIs call, and helpers for
 * leak reports.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_port.h"

#include <stdio.h>

MK_TLS int mk_port_internal;

int mk_port_init(void)
{
    mk_port_internal = 0;
    mk_storport_init();
    return 0;
}

void mk_port_shutdown(void)
{
    mk_storport_shutdown();
    mk_ndis_shutdown();
    mk_driver_shutdown_all();
    mk_port_internal = 0;
}

void mk_port_prohibited_ddi_slow(const char *ddi)
{
    mk_driver *d = mk_self.driver;
    if (d->model != MK_MODEL_STORPORT || mk_port_internal > 0)
        return;
    if (!mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        return;
    mk_violation(MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS,
                 "A StorPort miniport called a WDM routine that the HwStorPortProhibitedDDIs rule forbids "
                 "(use the StorPort equivalent, e.g. StorPortAllocatePool)",
                 (ULONG_PTR)ddi, (ULONG_PTR)&d->obj);
}

void mk_port_driver_unloading(mk_driver *d)
{
    if (d->model == MK_MODEL_STORPORT)
        mk_storport_driver_unloading(d);
    else if (d->model == MK_MODEL_NDIS)
        mk_ndis_driver_unloading(d);
}

void mk_port_driver_unloaded(mk_driver *d)
{
    if (d->model == MK_MODEL_NDIS)
        mk_ndis_driver_unloaded(d);
    else if (d->model == MK_MODEL_STORPORT)
        d->port = NULL; /* the registration record is freed at shutdown */
}

void mk_port_caller_name(void *pc, char *buf, size_t len)
{
    if (!pc) {
        snprintf(buf, len, "(unknown caller)");
        return;
    }
    mk_symbolize(pc, buf, len);
}
