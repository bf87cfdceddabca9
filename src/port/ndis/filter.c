/*
 * filter.c -- NDIS 6 filter drivers: NdisFRegisterFilterDriver and
 * NdisFDeregisterFilterDriver.
 *
 * Registration checks the characteristics as NDIS does (docs/ndis.md,
 * "Filter drivers"): the header (type, a revision that covers the NDIS
 * version asked for, a size that covers the revision), the version, the
 * four mandatory handlers (attach, detach, restart, pause), OID handlers
 * in pairs (request with its completion; a cancel only with a request;
 * the same for direct OID requests), a cancel-send handler only with a
 * send handler, and a UniqueName that is a GUID in braces (on Windows it
 * must match the INF that installed the filter; the harness stands for the
 * installation, so the form is what can be checked). MiniportSetOptions's
 * counterpart, the SetOptionsHandler, is called from the registration.
 *
 * mdlkit binds no filter module over its miniports yet: a registered
 * filter driver is never attached (FilterAttach is not called), as on a
 * machine where no adapter is bound to the filter. The filter driver
 * handle is an NDIS handle NdisAllocateMemoryWithTagPriority accepts.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_port.h"

#include <ndis.h>

#include <stdlib.h>
#include <string.h>

typedef struct fl_driver {
    mk_driver *drv; /* first member (mk_ndis_find_handle's key) */
    NDIS_HANDLE ctx;
    NDIS_FILTER_DRIVER_CHARACTERISTICS ch;
} fl_driver;

static void fl_require_passive(const char *why, const void *handle)
{
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_FILTER_DRIVER_FUNCTION, why, mk_irql(), (ULONG_PTR)handle);
}

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */
static int fl_is_braced_guid(const UNICODE_STRING *s)
{
    if (!s || !s->Buffer || s->Length != 38 * sizeof(WCHAR))
        return 0;
    for (int i = 0; i < 38; i++) {
        WCHAR c = s->Buffer[i];
        if (i == 0) {
            if (c != L'{')
                return 0;
        } else if (i == 37) {
            if (c != L'}')
                return 0;
        } else if (i == 9 || i == 14 || i == 19 || i == 24) {
            if (c != L'-')
                return 0;
        } else if (!((c >= L'0' && c <= L'9') || (c >= L'a' && c <= L'f') || (c >= L'A' && c <= L'F'))) {
            return 0;
        }
    }
    return 1;
}

/* NDIS_STATUS_SUCCESS, or what NdisFRegisterFilterDriver fails with. */
static NDIS_STATUS fl_check(const NDIS_FILTER_DRIVER_CHARACTERISTICS *ch)
{
    if (ch->Header.Type != NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS ||
        ch->Header.Revision < NDIS_FILTER_CHARACTERISTICS_REVISION_1)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    USHORT need = ch->Header.Revision >= NDIS_FILTER_CHARACTERISTICS_REVISION_3
                      ? NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3
                  : ch->Header.Revision == NDIS_FILTER_CHARACTERISTICS_REVISION_2
                      ? NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2
                      : NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1;
    if (ch->Header.Size < need)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->MajorNdisVersion != 6 || ch->MinorNdisVersion > 89)
        return NDIS_STATUS_BAD_VERSION;
    /* NDIS 6.1 and later filters register revision 2 (or later) */
    if (ch->MinorNdisVersion >= 1 && ch->Header.Revision < NDIS_FILTER_CHARACTERISTICS_REVISION_2)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (!ch->AttachHandler || !ch->DetachHandler || !ch->RestartHandler || !ch->PauseHandler)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (!ch->OidRequestHandler != !ch->OidRequestCompleteHandler ||
        (ch->CancelOidRequestHandler && !ch->OidRequestHandler))
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->Header.Revision >= NDIS_FILTER_CHARACTERISTICS_REVISION_2 &&
        (!ch->DirectOidRequestHandler != !ch->DirectOidRequestCompleteHandler ||
         (ch->CancelDirectOidRequestHandler && !ch->DirectOidRequestHandler)))
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->CancelSendNetBufferListsHandler && !ch->SendNetBufferListsHandler)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (!fl_is_braced_guid(&ch->UniqueName))
        return NDIS_STATUS_FAILURE; /* matches no installed filter */
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                                      PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
                                      PNDIS_HANDLE NdisFilterDriverHandle)
{
    MK_ENTER("NdisFRegisterFilterDriver");
    fl_require_passive("NdisFRegisterFilterDriver must be called at PASSIVE_LEVEL", DriverObject);
    mk_driver *d = DriverObject ? mk_driver_from_object(DriverObject) : NULL; /* any pointer may be asked about */
    if (!d || !FilterDriverCharacteristics || !NdisFilterDriverHandle)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisFilterDriverHandle = NULL;
    const NDIS_FILTER_DRIVER_CHARACTERISTICS *ch = FilterDriverCharacteristics;
    NDIS_STATUS st = fl_check(ch);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    if (d->model != MK_MODEL_WDM && d->model != MK_MODEL_NDIS)
        return NDIS_STATUS_FAILURE; /* a StorPort miniport */
    if (mk_ndis_filter_of(d))
        return NDIS_STATUS_FAILURE; /* one filter registration per driver */
    fl_driver *f = calloc(1, sizeof *f);
    if (!f)
        return NDIS_STATUS_RESOURCES;
    f->drv = d;
    f->ctx = FilterDriverContext;
    memcpy(&f->ch, ch, ch->Header.Size < sizeof f->ch ? ch->Header.Size : sizeof f->ch);
    if (!mk_ndis_register_handle(f, MK_NDIS_FILTER_DRIVER, f)) {
        free(f);
        return NDIS_STATUS_RESOURCES;
    }
    d->model = MK_MODEL_NDIS;
    if (ch->SetOptionsHandler) {
        mk_port_frame fr;
        mk_port_call_miniport(&fr, d);
        st = ch->SetOptionsHandler(f, FilterDriverContext);
        mk_port_return_from_miniport(&fr);
        if (st != NDIS_STATUS_SUCCESS) {
            mk_ndis_unregister_handle(f);
            free(f);
            return st;
        }
    }
    *NdisFilterDriverHandle = f;
    return NDIS_STATUS_SUCCESS;
}

void NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle)
{
    MK_ENTER("NdisFDeregisterFilterDriver");
    fl_require_passive("NdisFDeregisterFilterDriver must be called at PASSIVE_LEVEL", NdisFilterDriverHandle);
    fl_driver *f = mk_ndis_lookup_or_report(NdisFilterDriverHandle, MK_NDIS_FILTER_DRIVER,
                                            "NdisFDeregisterFilterDriver: not a handle from NdisFRegisterFilterDriver "
                                            "(or deregistered twice)");
    /* No filter module is ever attached (see above): nothing to detach. */
    mk_ndis_unregister_handle(f);
    free(f);
}

/* The filter registration of driver `d`, if any. */
void *mk_ndis_filter_of(const mk_driver *d)
{
    return mk_ndis_find_handle(MK_NDIS_FILTER_DRIVER, d);
}

/* The driver unloaded without NdisFDeregisterFilterDriver: the registration
 * is reclaimed and reported. */
void mk_ndis_filter_driver_unloaded(mk_driver *d)
{
    fl_driver *f = mk_ndis_filter_of(d);
    if (!f)
        return;
    ULONG_PTR handle = (ULONG_PTR)f;
    mk_ndis_unregister_handle(f);
    free(f);
    mk_violation(MDLKIT_RULE_NDIS_OBJECT_LEAK,
                 "The filter driver unloaded without calling NdisFDeregisterFilterDriver (its unload routine must "
                 "deregister what DriverEntry registered); the registration was reclaimed",
                 1, handle);
}
