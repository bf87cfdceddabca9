/*
 * verifier.c -- Driver Verifier options: start/stop, and the dispatch of the
 * events the machine reports (bug checks, page faults, raises to
 * DISPATCH_LEVEL) to the option that owns them. The options themselves live
 * in specpool.c, irqlforce.c, faults.c, tracking.c; counters.c and report.c
 * produce the !verifier-style output. docs/verifier.md lists every check.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_verifier.h"
#include "vf_internal.h"

#include <execinfo.h>

static int vf_up;
/* Fault injection starts once every layer is up and stops at shutdown:
 * mdlkit's own start-up allocations are never failed. */
atomic_int mk_vf_active;

/* The verifier's side of the hook table (src/mk_hooks.h): installed by
 * mdlkit_init before any layer starts, so every event of the machine's
 * life reaches the options (each hook returns at once when its option is
 * off). The port layer's own entry (prohibited_ddi) is not ours. */
void mk_verifier_hooks_install(void)
{
    mk_hook.page_fault = mk_vf_page_fault;
    mk_hook.bugcheck = mk_vf_on_bugcheck;
    mk_hook.raise_to_dispatch = mk_vf_on_raise_to_dispatch;
    mk_hook.pool_alloc = mk_vf_pool_alloc;
    mk_hook.pool_allocated = mk_vf_pool_allocated;
    mk_hook.pool_free = mk_vf_pool_free;
    mk_hook.pool_allocated_fast = mk_vf_pool_allocated_fast;
    mk_hook.pool_freed_fast = mk_vf_pool_freed_fast;
    mk_hook.specpool_lookup = mk_vf_specpool_lookup;
    mk_hook.specpool_page_is_paged = mk_vf_specpool_page_is_paged;
    mk_hook.cached_alloc = mk_vf_cached_alloc;
    mk_hook.cached_free = mk_vf_cached_free;
    mk_hook.fail = mk_vf_fail;
    mk_hook.track = mk_vf_track;
    mk_hook.untrack = mk_vf_untrack;
    mk_hook.untrack_leak = mk_vf_untrack_leak;
    mk_hook.driver_unload = mk_vf_on_driver_unload;
    mk_hook.codeint = mk_vf_codeint;
    mk_hook.zw_user_address = mk_vf_zw_user_address;
    mk_hook.lint = mk_vf_lint;
    mk_hook.lint_mdl_prepared = mk_vf_lint_mdl_prepared;
    mk_hook.lint_family = mk_vf_lint_family;
    mk_hook.lint_result = mk_vf_lint_result;
    mk_hook.null_fault = mk_vf_null_fault;
}

int mk_verifier_init(void)
{
    mk_vf_counters_reset();
    mk_vf_report_reset();
    mk_vf_lint_reset();
    if (mk_vf_specpool_init())
        return -1;
    if (mk_vf_faults_init()) {
        mk_vf_specpool_shutdown();
        return -1;
    }
    if (mk_vf_tracking_init()) {
        mk_vf_faults_shutdown();
        mk_vf_specpool_shutdown();
        return -1;
    }
    vf_up = 1;
    atomic_store(&mk_vf_active, 1);
    return 0;
}

void mk_verifier_shutdown(void)
{
    if (!vf_up)
        return;
    atomic_store(&mk_vf_active, 0);
    /* The final leak check may bug check (caught by a harness, the next
     * mdlkit_shutdown completes: the leaks are reported once). */
    mk_vf_tracking_shutdown();
    vf_up = 0;
    mk_vf_report_write_configured();
    mk_vf_tracking_free_all();
    mk_vf_faults_shutdown();
    mk_vf_irql_shutdown();
    mk_vf_specpool_shutdown();
}

void mk_vf_on_bugcheck(const mdlkit_bugcheck *bc, int caught)
{
    mk_vf_frame_list st;
    void *pcs[32];
    int n = backtrace(pcs, 32);
    /* Frames 0..1 are this hook and the bug-check raiser. */
    st.n = 0;
    for (int i = 2; i < n && st.n < (int)MK_ARRAY_SIZE(st.pcs); i++)
        st.pcs[st.n++] = pcs[i];
    mk_vf_report_set_bugcheck(bc, caught, &st);
    if (!caught)
        mk_vf_report_write_configured();
}

int mk_vf_page_fault(void *addr, int write, void *pc, int r)
{
    if (!mk_rt.verifier)
        return 0;
    if (r == MK_RGN_SPECIAL)
        return mk_vf_specpool_fault(addr, write, pc);
    if (r == MK_RGN_PPOOL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING))
        return mk_vf_irql_fault(addr, write, pc);
    return 0; /* no verifier option claims the fault: the machine reports it */
}
