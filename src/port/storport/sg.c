/*
 * sg.c -- StorPortGetScatterGatherList: the data buffer of an SRB as
 * (physical address, length) elements, read from the frames of the MDL
 * the port built for the request (physically adjacent pages merge into one
 * element). The list lives in non-paged pool until the request completes;
 * under Special Pool a touch after completion is caught (0xD5).
 */
#include "sp.h"

#include <srbhelper.h>

PSTOR_SCATTER_GATHER_LIST StorPortGetScatterGatherList(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb)
{
    MK_ENTER("StorPortGetScatterGatherList");
    mk_sp_adapter *a = mk_sp_find_or_report(DeviceExtension, MK_SP_WHO_OTHER);
    if (mk_irql() > DISPATCH_LEVEL && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_IRQL,
                     "StorPortGetScatterGatherList was called above DISPATCH_LEVEL (StorPortIrql rule)", mk_irql(),
                     0);
    if (!Srb)
        return NULL;
    mk_sp_check_srb_live(a, Srb, "StorPortGetScatterGatherList");
    mk_sp_request *r = mk_sp_request_of(a, Srb, 0);
    if (!r || !r->mdl)
        return NULL; /* not a request the port gave the miniport, or no data buffer */
    if (r->sg)
        return r->sg;
    PVOID buf;
    ULONG len;
    PVOID *orig;
    mk_sp_srb_data(Srb, &buf, &len, &orig);
    PMDL mdl = r->mdl;
    char *base = MmGetMdlVirtualAddress(mdl);
    if ((char *)buf < base || (char *)buf + len > base + MmGetMdlByteCount(mdl))
        return NULL;
    size_t first = (size_t)((char *)buf - base) + MmGetMdlByteOffset(mdl);
    size_t npages = ADDRESS_AND_SIZE_TO_SPAN_PAGES((char *)buf, len);
    SIZE_T bytes = sizeof(STOR_SCATTER_GATHER_LIST) + npages * sizeof(STOR_SCATTER_GATHER_ELEMENT);
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    PSTOR_SCATTER_GATHER_LIST sg = mk_ex_allocate(mk_sp_nonpaged_type(), bytes, MK_SP_SG_TAG, NormalPoolPriority, 1,
                                                  NULL);
    mk_port_end();
    mk_driver_leave(old);
    if (!sg)
        return NULL;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    ULONG n = 0;
    size_t off = first;
    size_t left = len;
    while (left) {
        size_t page = off >> PAGE_SHIFT;
        size_t in_page = off & (PAGE_SIZE - 1);
        size_t chunk = PAGE_SIZE - in_page;
        if (chunk > left)
            chunk = left;
        LONGLONG pa = (LONGLONG)((pfns[page] << PAGE_SHIFT) | in_page);
        if (n && sg->List[n - 1].PhysicalAddress.QuadPart + (LONGLONG)sg->List[n - 1].Length == pa) {
            sg->List[n - 1].Length += (ULONG)chunk;
        } else {
            sg->List[n].PhysicalAddress.QuadPart = pa;
            sg->List[n].Length = (ULONG)chunk;
            n++;
        }
        off += chunk;
        left -= chunk;
    }
    sg->NumberOfElements = n;
    r->sg = sg;
    return sg;
}

void mk_sp_sg_free(mk_sp_request *r)
{
    if (r->sg) {
        mk_ex_free(r->sg, MK_SP_SG_TAG, NULL);
        r->sg = NULL;
    }
}
