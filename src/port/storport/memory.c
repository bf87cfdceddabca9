/*
 * memory.c -- StorPort's memory routines: StorPortAllocatePool/FreePool,
 * AllocateMdl/FreeMdl, BuildMdlForNonPagedPool, GetSystemAddress,
 * GetOriginalMdl, Allocate/FreeContiguousMemorySpecifyCache(Node),
 * StorPortGetUncachedExtension, StorPortGetPhysicalAddress and
 * StorPortGetVirtualAddress, StorPortConvertUlongToPhysicalAddress.
 * Allocations are recorded in the port
 * allocation tracker (mk_port_track_*, owner = the adapter's device
 * extension) so frees are checked and leaks named at stop.
 */
#include "sp.h"

#include <srbhelper.h>

#include <string.h>

static ULONG sp_bad_irql(STORPORT_FUNCTION_CODE code)
{
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_IRQL,
                     "A StorPort memory routine was called above DISPATCH_LEVEL (StorPortIrql rule)", mk_irql(),
                     (ULONG_PTR)code);
    return STOR_STATUS_INVALID_IRQL;
}

static ULONG sp_allocate_pool(mk_sp_adapter *a, ULONG bytes, ULONG tag, PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL) {
        *out = NULL;
        return sp_bad_irql(ExtFunctionAllocatePool);
    }
    /* StorPortAllocatePool2 (a) is in the lint category (docs/rules.md): the
     * variable may not be the only copy of the pointer, so it can flag
     * working code. */
    mk_port_track old;
    if (mk_lint_on() && *out && mk_port_track_find(MK_PT_STOR_POOL, *out, &old) && old.owner == a->ext)
        mk_lint(MDLKIT_RULE_STORPORT_ALLOCATE_POOL2,
                "StorPortAllocatePool would overwrite the only pointer to a buffer it returned earlier and "
                "that was not freed (StorPortAllocatePool2 rule)",
                (ULONG_PTR)*out, (ULONG_PTR)a->ext, caller);
    mk_port_begin();
    PVOID p = mk_ex_allocate(mk_sp_nonpaged_type(), bytes, tag, NormalPoolPriority, 0, caller);
    mk_port_end();
    mk_lint_family_note(p, MK_FAMILY_STORPORT); /* lint: freed through another allocator family */
    PHYSICAL_ADDRESS none = {0};
    if (p && !mk_port_track_add(MK_PT_STOR_POOL, p, bytes, tag, a->ext, caller, none, TRUE)) {
        mk_ex_free(p, tag, caller);
        p = NULL;
    }
    if (!p) {
        *out = NULL;
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    }
    *out = p;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_pool(mk_sp_adapter *a, PVOID p, void *caller)
{
    if (!p)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreePool);
    mk_port_track c;
    if (!mk_port_track_find(MK_PT_STOR_POOL, p, &c) || c.owner != a->ext)
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL,
                     "StorPortFreePool was given a buffer that StorPortAllocatePool did not return for this "
                     "adapter, or that was already freed (StorPortAllocatePool rule)",
                     (ULONG_PTR)p, (ULONG_PTR)a->ext);
    mk_lint_family_forget(p); /* (the StorPortAllocatePool rule above checks the family) */
    mk_port_begin();
    mk_ex_free(p, c.tag, caller);
    mk_port_end();
    mk_port_track_remove(MK_PT_STOR_POOL, p);
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_allocate_mdl(mk_sp_adapter *a, PVOID buf, ULONG bytes, PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionAllocateMdl);
    if (!buf || !bytes)
        return STOR_STATUS_INVALID_PARAMETER;
    /* Low resources (0x4, 0x40000): StorPortAllocateMdl fails like the pool */
    if (mk_verifier_fail_now(MK_FAULT_STORPORT, MK_FAULT_TAG_MDL, caller))
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    mk_port_begin();
    PMDL mdl = mk_mdl_allocate(buf, bytes);
    /* StorPortAllocateMdl documents non-paged memory only, as NdisAllocateMdl
     * does: the stack, heap, paged pool or user memory are refused (a length
     * no MDL can describe has already failed above). The driver's globals
     * (static storage of its image) are resident on Windows: accepted. */
    if (mdl && !mk_mdl_range_nonpaged(buf, bytes) &&
        !(mk_mdl_memory_kinds(buf, bytes) == MK_MEM_FOREIGN && mk_port_image_static(buf, bytes))) {
        mk_mdl_free(mdl);
        mk_port_end();
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY,
                     "StorPortAllocateMdl accepts only non-paged memory (non-paged pool, StorPortAllocatePool, "
                     "contiguous memory, the driver's globals); not the stack, heap, paged pool or user memory",
                     (ULONG_PTR)buf, (ULONG_PTR)mk_mdl_memory_kinds(buf, bytes));
    }
    if (mdl)
        mk_mdl_build_nonpaged(mdl); /* allocated and built: ready for MmGetSystemAddressForMdlSafe */
    mk_port_end();
    PHYSICAL_ADDRESS none = {0};
    if (mdl && !mk_port_track_add(MK_PT_STOR_MDL, mdl, bytes, 0, a->ext, caller, none, TRUE)) {
        mk_mdl_free(mdl);
        mdl = NULL;
    }
    if (!mdl)
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    *out = mdl;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_mdl(mk_sp_adapter *a, PVOID mdl)
{
    if (!mdl)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreeMdl);
    mk_port_track c;
    if (!mk_port_track_find(MK_PT_STOR_MDL, mdl, &c) || c.owner != a->ext)
        mk_violation(MDLKIT_RULE_STORPORT_FREE_MDL,
                     "StorPortFreeMdl was given an MDL that StorPortAllocateMdl did not return for this adapter, "
                     "or that was already freed",
                     (ULONG_PTR)mdl, (ULONG_PTR)a->ext);
    mk_port_begin();
    mk_mdl_free(mdl);
    mk_port_end();
    mk_port_track_remove(MK_PT_STOR_MDL, mdl);
    return STOR_STATUS_SUCCESS;
}

/* What GetSystemAddress and GetOriginalMdl check first: the out pointer
 * (cleared), the IRQL, the SRB; then the SRB's data buffer and the MDL of
 * its original request. STOR_STATUS_SUCCESS or the status to return. */
static ULONG sp_srb_request(mk_sp_adapter *a, PVOID srb, PVOID *out, STORPORT_FUNCTION_CODE fn, PVOID *buf,
                            ULONG *len, PMDL *mdl)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(fn);
    if (!srb)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_sp_check_srb_live(a, srb, fn == ExtFunctionGetSystemAddress ? "StorPortGetSystemAddress"
                                                                  : "StorPortGetOriginalMdl");
    PVOID *orig;
    mk_sp_srb_data(srb, buf, len, &orig);
    PIRP irp = *orig;
    *mdl = irp ? irp->MdlAddress : NULL;
    return *mdl ? STOR_STATUS_SUCCESS : STOR_STATUS_INVALID_PARAMETER;
}

static ULONG sp_get_system_address(mk_sp_adapter *a, PVOID srb, PVOID *out)
{
    PVOID buf;
    ULONG len;
    PMDL mdl;
    ULONG st = sp_srb_request(a, srb, out, ExtFunctionGetSystemAddress, &buf, &len, &mdl);
    if (st != STOR_STATUS_SUCCESS)
        return st;
    if (!buf || !len)
        return STOR_STATUS_INVALID_PARAMETER; /* the SRB has no data buffer */
    char *base = MmGetMdlVirtualAddress(mdl);
    if ((char *)buf < base || (char *)buf + len > base + MmGetMdlByteCount(mdl))
        return STOR_STATUS_INVALID_PARAMETER;
    ULONG prio = NormalPagePriority | (mk_os_at_least(NTDDI_WIN8) ? MdlMappingNoExecute : 0);
    mk_port_begin();
    char *sys = mk_mdl_system_address(mdl, prio);
    mk_port_end();
    if (!sys)
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    *out = sys + ((char *)buf - base);
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_get_original_mdl(mk_sp_adapter *a, PVOID srb, PVOID *out)
{
    PVOID buf;
    ULONG len;
    PMDL mdl;
    ULONG st = sp_srb_request(a, srb, out, ExtFunctionGetOriginalMdl, &buf, &len, &mdl);
    if (st == STOR_STATUS_SUCCESS)
        *out = mdl;
    return st;
}

static ULONG sp_allocate_contiguous(mk_sp_adapter *a, SIZE_T bytes, PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high,
                                    PHYSICAL_ADDRESS boundary, MEMORY_CACHING_TYPE cache, NODE_REQUIREMENT node,
                                    PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionAllocateContiguousMemorySpecifyCacheNode);
    if (!bytes)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_port_begin();
    PVOID p = MmAllocateContiguousMemorySpecifyCacheNode(bytes, low, high, boundary, cache, node);
    PHYSICAL_ADDRESS pa = {0};
    if (p)
        pa = MmGetPhysicalAddress(p);
    mk_port_end();
    /* The cache type rides in the tag field (checked at the free). */
    if (p && !mk_port_track_add(MK_PT_STOR_CONTIG, p, bytes, (ULONG)cache, a->ext, caller, pa, cache != MmNonCached)) {
        mk_port_begin();
        MmFreeContiguousMemorySpecifyCache(p, bytes, cache);
        mk_port_end();
        p = NULL;
    }
    if (!p)
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    *out = p;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_contiguous(mk_sp_adapter *a, PVOID base, SIZE_T bytes, MEMORY_CACHING_TYPE cache)
{
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreeContiguousMemorySpecifyCache);
    if (!base)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_port_track c;
    if (!mk_port_track_find(MK_PT_STOR_CONTIG, base, &c) || c.owner != a->ext || c.len != bytes ||
        c.tag != (ULONG)cache) /* (the record stays: the caller still owns the block) */
        mk_violation(MDLKIT_RULE_STORPORT_FREE_CONTIGUOUS,
                     "StorPortFreeContiguousMemorySpecifyCache: the block was not allocated for this adapter, was "
                     "already freed, or NumberOfBytes/CacheType differ from the allocation",
                     (ULONG_PTR)base, (ULONG_PTR)bytes);
    mk_port_begin();
    MmFreeContiguousMemorySpecifyCache(base, bytes, cache);
    mk_port_end();
    mk_port_track_remove(MK_PT_STOR_CONTIG, base);
    return STOR_STATUS_SUCCESS;
}

ULONG mk_sp_memory_function(mk_sp_adapter *a, STORPORT_FUNCTION_CODE code, va_list *ap, void *caller, int *handled)
{
    *handled = 1;
    switch (code) {
    case ExtFunctionAllocatePool: {
        ULONG bytes = va_arg(*ap, ULONG);
        ULONG tag = va_arg(*ap, ULONG);
        PVOID *out = va_arg(*ap, PVOID *);
        return sp_allocate_pool(a, bytes, tag, out, caller);
    }
    case ExtFunctionFreePool:
        return sp_free_pool(a, va_arg(*ap, PVOID), caller);
    case ExtFunctionAllocateMdl: {
        PVOID buf = va_arg(*ap, PVOID);
        ULONG bytes = va_arg(*ap, ULONG);
        PVOID *out = va_arg(*ap, PVOID *);
        return sp_allocate_mdl(a, buf, bytes, out, caller);
    }
    case ExtFunctionFreeMdl:
        return sp_free_mdl(a, va_arg(*ap, PVOID));
    case ExtFunctionBuildMdlForNonPagedPool: {
        PMDL mdl = va_arg(*ap, PMDL);
        if (mk_irql() > DISPATCH_LEVEL)
            return sp_bad_irql(code);
        if (!mdl)
            return STOR_STATUS_INVALID_PARAMETER;
        mk_port_begin();
        mk_mdl_build_nonpaged(mdl);
        mk_port_end();
        return STOR_STATUS_SUCCESS;
    }
    case ExtFunctionGetSystemAddress: {
        PVOID srb = va_arg(*ap, PVOID);
        PVOID *out = va_arg(*ap, PVOID *);
        return sp_get_system_address(a, srb, out);
    }
    case ExtFunctionGetOriginalMdl: {
        PVOID srb = va_arg(*ap, PVOID);
        PVOID *out = va_arg(*ap, PVOID *);
        return sp_get_original_mdl(a, srb, out);
    }
    case ExtFunctionAllocateContiguousMemorySpecifyCacheNode: {
        SIZE_T bytes = va_arg(*ap, SIZE_T);
        PHYSICAL_ADDRESS low = va_arg(*ap, PHYSICAL_ADDRESS);
        PHYSICAL_ADDRESS high = va_arg(*ap, PHYSICAL_ADDRESS);
        PHYSICAL_ADDRESS boundary = va_arg(*ap, PHYSICAL_ADDRESS);
        MEMORY_CACHING_TYPE cache = (MEMORY_CACHING_TYPE)va_arg(*ap, int);
        NODE_REQUIREMENT node = va_arg(*ap, NODE_REQUIREMENT);
        PVOID *out = va_arg(*ap, PVOID *);
        return sp_allocate_contiguous(a, bytes, low, high, boundary, cache, node, out, caller);
    }
    case ExtFunctionFreeContiguousMemorySpecifyCache: {
        PVOID base = va_arg(*ap, PVOID);
        SIZE_T bytes = va_arg(*ap, SIZE_T);
        MEMORY_CACHING_TYPE cache = (MEMORY_CACHING_TYPE)va_arg(*ap, int);
        return sp_free_contiguous(a, base, bytes, cache);
    }
    default:
        *handled = 0;
        return STOR_STATUS_NOT_IMPLEMENTED;
    }
}

/* StorPortAllocateDmaMemory / FreeDmaMemory: the contiguous-memory
 * routines with the physical address, Windows 10 1803 and later. */
#define SP_NTDDI_WIN10_RS4 0x0A000005UL

ULONG StorPortAllocateDmaMemory(PVOID HwDeviceExtension, SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                MEMORY_CACHING_TYPE CacheType, NODE_REQUIREMENT PreferredNode, PVOID *BufferPointer,
                                PPHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("StorPortAllocateDmaMemory");
    void *caller = __builtin_return_address(0);
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (BufferPointer)
        *BufferPointer = NULL;
    if (PhysicalAddress)
        PhysicalAddress->QuadPart = 0;
    if (!mk_os_at_least(SP_NTDDI_WIN10_RS4))
        return STOR_STATUS_NOT_IMPLEMENTED;
    if (!PhysicalAddress)
        return STOR_STATUS_INVALID_PARAMETER;
    ULONG st = sp_allocate_contiguous(a, NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress,
                                      BoundaryAddressMultiple, CacheType, PreferredNode, BufferPointer, caller);
    if (st == STOR_STATUS_SUCCESS) {
        mk_port_begin();
        *PhysicalAddress = MmGetPhysicalAddress(*BufferPointer);
        mk_port_end();
    }
    return st;
}

ULONG StorPortFreeDmaMemory(PVOID HwDeviceExtension, PVOID BaseAddress, SIZE_T NumberOfBytes,
                            MEMORY_CACHING_TYPE CacheType, PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("StorPortFreeDmaMemory");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (!mk_os_at_least(SP_NTDDI_WIN10_RS4))
        return STOR_STATUS_NOT_IMPLEMENTED;
    mk_port_track c;
    if (BaseAddress && PhysicalAddress.QuadPart && mk_port_track_find(MK_PT_STOR_CONTIG, BaseAddress, &c) &&
        c.pa.QuadPart != PhysicalAddress.QuadPart)
        mk_violation(MDLKIT_RULE_STORPORT_FREE_CONTIGUOUS,
                     "StorPortFreeDmaMemory: PhysicalAddress is not the address of the block", (ULONG_PTR)BaseAddress,
                     (ULONG_PTR)NumberOfBytes);
    return sp_free_contiguous(a, BaseAddress, NumberOfBytes, CacheType);
}

/* ------------------------------------------------------------------------
 * Leaks and teardown
 * ---------------------------------------------------------------------- */
static void sp_reclaim(mk_port_track *t, void *ctx)
{
    (void)ctx;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    if (t->kind == MK_PT_STOR_POOL)
        mk_ex_free(t->addr, t->tag, NULL);
    else if (t->kind == MK_PT_STOR_MDL)
        mk_mdl_free(t->addr);
    else
        MmFreeContiguousMemorySpecifyCache(t->addr, t->len, (MEMORY_CACHING_TYPE)t->tag);
    mk_port_end();
    mk_driver_leave(old);
}

size_t mk_sp_memory_leaks(mk_sp_adapter *a)
{
    return mk_port_track_leaks(a->ext, MK_PT_BIT(MK_PT_STOR_POOL) | MK_PT_BIT(MK_PT_STOR_MDL) |
                                           MK_PT_BIT(MK_PT_STOR_CONTIG),
                               sp_reclaim, NULL, NULL);
}

void mk_sp_memory_release(mk_sp_adapter *a)
{
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    if (a->uncached)
        MmFreeContiguousMemorySpecifyCache(a->uncached, a->uncached_size, MmCached);
    a->uncached = NULL;
    mk_port_end();
    mk_driver_leave(old);
}

/* ------------------------------------------------------------------------
 * Uncached extension and physical addresses
 * ---------------------------------------------------------------------- */
PVOID StorPortGetUncachedExtension(PVOID HwDeviceExtension, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes)
{
    MK_ENTER("StorPortGetUncachedExtension");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_UNCACHED);
    if (a->phase != MK_SP_PHASE_FINDADAPTER) {
        if (mk_rt.verifier)
            mk_bugcheck(SCSI_VERIFIER_DETECTED_VIOLATION, MK_SP_F1_UNCACHED_OUTSIDE_FINDADAPTER,
                        (ULONG_PTR)HwDeviceExtension, NumberOfBytes, 0);
        return NULL;
    }
    if (!NumberOfBytes)
        return NULL;
    if (a->uncached)
        return NumberOfBytes <= a->uncached_size ? a->uncached : NULL;
    PPORT_CONFIGURATION_INFORMATION cfg = ConfigInfo ? ConfigInfo : &a->config;
    PHYSICAL_ADDRESS low, high, none;
    low.QuadPart = 0;
    none.QuadPart = 0;
    /* 64-bit only if the miniport said it can (the port's own 0x80 offer alone is not) */
    high.QuadPart = (cfg->Dma64BitAddresses & (SCSI_DMA64_MINIPORT_SUPPORTED | SCSI_DMA64_MINIPORT_FULL64BIT_SUPPORTED))
                        ? (LONGLONG)0x7FFFFFFFFFFFFFFFLL
                        : (LONGLONG)0xFFFFFFFFLL;
    mk_driver *old = mk_driver_enter(NULL); /* the port's memory, not the miniport's */
    mk_port_begin();
    PVOID p = MmAllocateContiguousMemorySpecifyCache(NumberOfBytes, low, high, none, MmCached);
    if (p)
        a->uncached_pa = MmGetPhysicalAddress(p);
    mk_port_end();
    mk_driver_leave(old);
    if (p) {
        memset(p, 0, NumberOfBytes);
        a->uncached = p;
        a->uncached_size = NumberOfBytes;
    }
    return p;
}

/* The address widened to 64 bits, zero-extended (ULONG_PTR is unsigned). */
STOR_PHYSICAL_ADDRESS StorPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress)
{
    STOR_PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)(ULONG64)UlongAddress;
    return pa;
}

STOR_PHYSICAL_ADDRESS StorPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, ULONG *Length)
{
    MK_ENTER("StorPortGetPhysicalAddress");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_PHYSICAL);
    STOR_PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0;
    const char *va = VirtualAddress;
    ULONG len = 0;
    if (a->uncached && va >= (char *)a->uncached && va < (char *)a->uncached + a->uncached_size) {
        size_t off = (size_t)(va - (char *)a->uncached);
        pa.QuadPart = a->uncached_pa.QuadPart + (LONGLONG)off;
        len = (ULONG)(a->uncached_size - off);
    } else {
        PVOID buf = NULL;
        ULONG blen = 0;
        PVOID *orig = NULL;
        PMDL mdl = NULL;
        if (Srb) {
            mk_sp_check_srb_live(a, Srb, "StorPortGetPhysicalAddress");
            mk_sp_srb_data(Srb, &buf, &blen, &orig);
            PIRP irp = *orig;
            mdl = irp ? irp->MdlAddress : NULL;
        }
        if (mdl && buf && va >= (char *)buf && va < (char *)buf + blen) {
            /* The data buffer: read the frames from the request's MDL. */
            size_t off = (size_t)(va - (char *)MmGetMdlVirtualAddress(mdl)) + MmGetMdlByteOffset(mdl);
            PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
            size_t page = off >> PAGE_SHIFT;
            size_t remain = (size_t)((char *)buf + blen - va);
            pa.QuadPart = (LONGLONG)((pfns[page] << PAGE_SHIFT) | (off & (PAGE_SIZE - 1)));
            size_t run = PAGE_SIZE - (off & (PAGE_SIZE - 1));
            size_t npages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
            while (run < remain && page + 1 < npages && pfns[page + 1] == pfns[page] + 1) {
                page++;
                run += PAGE_SIZE;
            }
            len = (ULONG)(run < remain ? run : remain);
        } else {
            pa = MmGetPhysicalAddress(VirtualAddress);
            len = PAGE_SIZE - BYTE_OFFSET(VirtualAddress);
        }
    }
    if (Length)
        *Length = len;
    return pa;
}

PVOID StorPortGetVirtualAddress(PVOID HwDeviceExtension, STOR_PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("StorPortGetVirtualAddress");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_PHYSICAL);
    /* Documented for addresses StorPortGetPhysicalAddress returned for the
     * uncached extension; NULL for anything else (docs/ddi-notes.md). */
    if (a->uncached && PhysicalAddress.QuadPart >= a->uncached_pa.QuadPart &&
        PhysicalAddress.QuadPart < a->uncached_pa.QuadPart + (LONGLONG)a->uncached_size)
        return (char *)a->uncached + (PhysicalAddress.QuadPart - a->uncached_pa.QuadPart);
    return NULL;
}
