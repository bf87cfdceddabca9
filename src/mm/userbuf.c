/*
 * userbuf.c -- mdlkit_user_free: the end of a harness user buffer
 * (src/machine/usermem.c maps them) as the memory manager sees it. Tearing
 * down user pages that a driver still has locked is what Windows reports
 * when a process exits with locked pages: bug check 0x76
 * PROCESS_HAS_LOCKED_PAGES (0, the process, pages locked, 0).
 */
#include "mk_machine.h"

static void ub_free(void *p)
{
    size_t npages = mk_user_pages(p);
    if (!npages)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_user_free: the address is not the start of a live mdlkit_user_alloc buffer",
                     (ULONG_PTR)p, 0);
    size_t locked = 0, idx = mk_va_index(p);
    for (size_t k = 0; k < npages; k++) {
        if (mk_pfn_locks(mk_as.pfn[idx + k]))
            locked++;
    }
    if (locked)
        mk_bugcheck(PROCESS_HAS_LOCKED_PAGES, 0, (ULONG_PTR)PsGetCurrentProcess(), locked, 0);
    mk_user_release(p, npages);
}

/* After a caught bug check, locked pages here are information, not 0x76
 * (mk_cleanup_call): the buffer then stays until the machine's shutdown. */
void mdlkit_user_free(void *p)
{
    MK_ENTER("mdlkit_user_free");
    if (p)
        (void)mk_cleanup_call(ub_free, p);
}
