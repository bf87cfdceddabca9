/*
 * misc.c -- Driver Verifier's Miscellaneous Checks (option 0x800) at a pool
 * free: a pool block must not be freed while it still holds a live kernel
 * object. With the option on, every pool free goes through the verifier
 * (MK_VF_POOL_FULL) and tracking.c's free hook calls mk_vf_misc_check_free
 * before the block is released. Checked, in this order (the first found is
 * the bug check):
 *
 *   a timer still set            0xC4/0x15 (timer, pool type, block)
 *   a DPC still queued           0xC7 TIMER_OR_DPC_INVALID (1, DPC, start, end of the block)
 *   an ERESOURCE not deleted     0xC4/0x17 (resource, pool type, block)
 *   a work item queued (ExQueueWorkItem, or IoQueueWorkItem of an item
 *   IoInitializeWorkItem set up in the block)  0xE4 WORKER_INVALID
 *                                (0, work item, start, end of the block)
 *
 * Live lookaside lists in freed pool are always checked by the pool itself
 * (0xC4/0xCC, src/mm/lookas.c). The same objects left live by a driver that
 * is unloaded are the executive's unload checks (src/ps/psthread.c).
 */
#include "mk_base.h"
#include "mk_io.h"
#include "mk_ke.h"
#include "mk_pool.h"
#include "vf_internal.h"

void mk_vf_misc_check_free(void *p)
{
    mk_pool_block b;
    if (!mk_pool_lookup(p, &b) || b.base != p)
        return; /* not a block start: the pool reports the bad free */
    const char *lo = (const char *)p, *hi = lo + (b.capacity > b.size ? b.capacity : b.size);
    ULONG_PTR type = b.heap == MK_HEAP_PAGED ? PagedPool : b.heap == MK_HEAP_NONPAGED_NX ? NonPagedPoolNx : NonPagedPool;
    PKTIMER t = mk_timer_set_in(lo, hi);
    if (t) {
        mk_bugcheck_note("pool block %p is freed while the timer %p inside it is still set (KeCancelTimer first)", p,
                         (void *)t);
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x15, (ULONG_PTR)t, type, (ULONG_PTR)p);
    }
    PKDPC d = mk_dpc_queued_in(lo, hi);
    if (d) {
        mk_bugcheck_note("pool block %p is freed while the DPC %p inside it is still queued", p, (void *)d);
        mk_bugcheck(TIMER_OR_DPC_INVALID, 1, (ULONG_PTR)d, (ULONG_PTR)lo, (ULONG_PTR)hi);
    }
    PERESOURCE r = mk_ex_resource_in(lo, hi);
    if (r) {
        mk_bugcheck_note("pool block %p is freed while the ERESOURCE %p inside it is active (ExDeleteResourceLite "
                         "first)",
                         p, (void *)r);
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x17, (ULONG_PTR)r, type, (ULONG_PTR)p);
    }
    void *w = mk_ex_workitem_queued_in(lo, hi);
    if (!w)
        w = mk_io_workitem_queued_in(lo, hi); /* IoInitializeWorkItem's items live in the driver's memory */
    if (w) {
        mk_bugcheck_note("pool block %p is freed while the work item %p inside it is still queued", p, w);
        mk_bugcheck(WORKER_INVALID, 0, (ULONG_PTR)w, (ULONG_PTR)lo, (ULONG_PTR)hi);
    }
}
