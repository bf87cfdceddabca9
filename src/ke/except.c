/*
 * except.c -- structured exceptions: the frame stack behind MDLKIT_TRY /
 * MDLKIT_EXCEPT (and __try / __except), ExRaiseStatus and mk_raise.
 *
 * Each thread keeps a stack of mdlkit_seh_frame (mk_self.seh_top). Raising
 * pops the innermost frame (marks it inactive), stores the status in it and
 * longjmps to it; its filter then runs with the frame already popped, so a
 * raise inside the filter or the handler goes to the next outer frame.
 *
 * Filter results follow the C-specific handler of Windows: a positive value
 * (EXCEPTION_EXECUTE_HANDLER) runs the handler, 0 (EXCEPTION_CONTINUE_SEARCH)
 * passes the exception to the next outer frame, a negative value
 * (EXCEPTION_CONTINUE_EXECUTION) asks to resume -- impossible for the
 * non-continuable exceptions ExRaiseStatus raises, so, as on Windows,
 * STATUS_NONCONTINUABLE_EXCEPTION is raised to the next outer frame.
 *
 * No frame (or none inside the innermost mdlkit_catch_bugcheck): bug check
 * 0x1E KMODE_EXCEPTION_NOT_HANDLED (status, address of the raise, 0, 0). As
 * on x64 Windows, the 32-bit status is sign-extended into P1
 * (0xffffffffc0000005 for an access violation).
 *
 * mk_raise may be called from the machine's SIGSEGV handler (SA_NODEFER):
 * it only touches thread-local state and longjmps, which is fine there.
 */
#include "mk_base.h"
#include "mk_ke.h"

/* Address the exception being dispatched was raised at (P2 of 0x1E). */
static MK_TLS void *ex_address;

static MK_NORETURN void ex_dispatch(NTSTATUS status)
{
    mdlkit_seh_frame *f = mk_self.seh_top;
    /* A bug-check catch frame is a barrier: an exception escaping the
     * function run by mdlkit_catch_bugcheck is unhandled there. */
    if (f == NULL || (mk_self.catch_top != NULL && f == mk_self.catch_top->seh))
        mk_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)(LONG_PTR)status, (ULONG_PTR)ex_address, 0, 0);
    mk_self.seh_top = f->prev;
    f->active = 0;
    f->code = status;
    longjmp(f->jb, 1);
}

void mdlkit_seh_push(mdlkit_seh_frame *f)
{
    mk_thread_attach();
    f->prev = mk_self.seh_top;
    f->code = STATUS_SUCCESS;
    f->active = 1;
    mk_self.seh_top = f;
}

void mdlkit_seh_cleanup(mdlkit_seh_frame *f)
{
    if (!f->active)
        return;
    /* Normal exit, return, break or __leave out of the guarded block. */
    f->active = 0;
    mk_self.seh_top = f->prev;
}

int mdlkit_seh_filter(mdlkit_seh_frame *f, int disposition)
{
    if (disposition > 0)
        return 1; /* EXCEPTION_EXECUTE_HANDLER */
    if (disposition == EXCEPTION_CONTINUE_SEARCH)
        ex_dispatch(f->code);
    /* EXCEPTION_CONTINUE_EXECUTION: the exception is not continuable. */
    ex_dispatch(STATUS_NONCONTINUABLE_EXCEPTION);
}

void mk_raise_at(NTSTATUS status, void *address)
{
    ex_address = address;
    ex_dispatch(status);
}

MK_NOINLINE void mk_raise(NTSTATUS status)
{
    ex_address = __builtin_return_address(0);
    ex_dispatch(status);
}

MK_NOINLINE void ExRaiseStatus(NTSTATUS Status)
{
    MK_ENTER("ExRaiseStatus");
    mk_thread_attach();
    ex_address = __builtin_return_address(0);
    ex_dispatch(Status);
}
