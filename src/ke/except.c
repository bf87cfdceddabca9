/*
 * except.c -- structured exceptions: the frame stack behind MDLKIT_TRY /
 * MDLKIT_EXCEPT / MDLKIT_FINALLY (and __try / __except / __finally),
 * ExRaiseStatus and mk_raise.
 *
 * Each thread keeps a stack of mdlkit_seh_frame (mk_self.seh_top). Raising
 * pops the innermost frame (marks it inactive), stores the status in it and
 * longjmps to it; its filter then runs with the frame already popped, so a
 * raise inside the filter or the handler goes to the next outer frame.
 * A __finally frame runs its termination handler with the frame popped and,
 * when an exception brought it there, raises the same status (from the same
 * address) to the next outer frame when the handler ends. Leaving the
 * guarded block of a __finally frame by return/break/goto cannot run the
 * handler (see wdm.h): the frame's cleanup reports it as 0xC4 with
 * MDLKIT_RULE_SEH_FINALLY_SKIPPED (P3 the frame, P4 a pc inside the
 * function that jumped out: where its cleanup was called).
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
/* The code GetExceptionCode() reads: the exception being dispatched while a
 * filter runs, then the one whose __except handler was chosen. */
static MK_TLS NTSTATUS ex_code;
/* How the most recent guarded statement on this thread ended (set by its
 * frame's cleanup, read right after the statement by mdlkit_seh_take). */
enum { EX_END_NORMAL, EX_END_HANDLER, EX_END_JUMP };
static MK_TLS int ex_last_end;

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
    f->raise_address = ex_address;
    ex_code = status;
    longjmp(f->jb, 1);
}

void mdlkit_seh_push(mdlkit_seh_frame *f)
{
    mk_thread_attach();
    f->prev = mk_self.seh_top;
    f->code = STATUS_SUCCESS;
    f->active = 1;
    f->stage = -1;
    f->has_finally = 0;
    f->abnormal = 0;
    f->handled = 0;
    f->raise_address = NULL;
    mk_self.seh_top = f;
}

static MK_NOINLINE MK_NORETURN void ex_finally_skipped(mdlkit_seh_frame *f, void *pc)
{
    mk_violation(MDLKIT_RULE_SEH_FINALLY_SKIPPED,
                 "a return, break or goto left a __try block that has a __finally handler: mdlkit runs the "
                 "handler when the block completes, is left with __leave, or raises; here it was NOT run "
                 "(leave the block with __leave)",
                 (ULONG_PTR)f, (ULONG_PTR)pc);
}

void mdlkit_seh_cleanup(mdlkit_seh_frame *f)
{
    if (!f->active) {
        /* an exception reached the frame: handled here, or finished by
         * the __finally handler */
        ex_last_end = f->handled ? EX_END_HANDLER : EX_END_NORMAL;
        return;
    }
    /* Normal exit, __leave, return, break or goto out of the guarded block.
     * A normal exit or __leave ends past stage 0 (a __finally frame's
     * handler then ran at stage 1); still at stage 0 means a jump. */
    f->active = 0;
    mk_self.seh_top = f->prev;
    ex_last_end = f->stage == 0 ? EX_END_JUMP : EX_END_NORMAL;
    if (MK_UNLIKELY(f->has_finally && f->stage == 0))
        ex_finally_skipped(f, __builtin_return_address(0));
}

void mdlkit_seh_filter(mdlkit_seh_frame *f, int disposition)
{
    ex_address = f->raise_address;
    if (disposition > 0) {
        f->handled = 1; /* EXCEPTION_EXECUTE_HANDLER */
        return;
    }
    if (disposition == EXCEPTION_CONTINUE_SEARCH)
        ex_dispatch(f->code);
    /* EXCEPTION_CONTINUE_EXECUTION: the exception is not continuable. */
    ex_dispatch(STATUS_NONCONTINUABLE_EXCEPTION);
}

static MK_NOINLINE MK_NORETURN void ex_break_in_try(void *pc)
{
    mk_violation(MDLKIT_RULE_SEH_BREAK_IN_TRY,
                 "a break directly inside a __try guarded block: mdlkit's __try is a one-pass loop, so the "
                 "break left only the __try statement and could not reach the enclosing loop or switch as it "
                 "does on Windows (restructure, or leave with __leave and test a flag)",
                 0, (ULONG_PTR)pc);
}

/* Called right after a guarded statement with an __except handler: 1 when
 * the filter chose its handler. Control reaches this point after the
 * statement's cleanup ran, so ex_last_end is this statement's: a jump that
 * still arrives here can only have been a break. */
int mdlkit_seh_take(void)
{
    int end = ex_last_end;
    ex_last_end = EX_END_NORMAL;
    if (end == EX_END_HANDLER)
        return 1;
    if (MK_UNLIKELY(end == EX_END_JUMP))
        ex_break_in_try(__builtin_return_address(0));
    return 0;
}

NTSTATUS mdlkit_seh_code(void) { return ex_code; }

int mdlkit_seh_finally_enter(mdlkit_seh_frame *f)
{
    if (f->stage < 0) {
        f->has_finally = 1; /* the first pass: the statement has a __finally */
        return 0;
    }
    /* After the guarded block (stage 1: completed or __leave), or at stage 0
     * after an exception reached the frame (already popped by the raise). */
    f->abnormal = f->stage == 0;
    if (f->active) {
        f->active = 0;
        mk_self.seh_top = f->prev;
    }
    return 1;
}

int mdlkit_seh_finally_leave(mdlkit_seh_frame *f)
{
    if (f->abnormal) {
        /* the exception goes on outwards, as raised */
        ex_address = f->raise_address;
        ex_dispatch(f->code);
    }
    return 0;
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
