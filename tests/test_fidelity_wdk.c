/*
 * Fidelity of the compiler-level WDK surface, each case one that real driver
 * code relies on: C control flow around __try/__except (sioctl leaves its
 * switch case with `break` inside __except), the try/except spellings, a
 * NULL or wild dereference in driver code as the bug check Windows raises
 * (it used to spin at 100% CPU), 16-bit L"" strings, and FORCEINLINE with
 * MSVC's linkage meaning.
 */
#include "testutil.h"
#include "mk_base.h"

/* ---- __try/__except control flow ---------------------------------------- */

/* The sioctl pattern: a switch case whose handler leaves the case. */
static int switch_case_break_in_except(int raise)
{
    volatile int after = 0;
    int result = -1;
    switch (raise) {
    case 0:
    case 1:
        __try {
            if (raise)
                ExRaiseStatus(STATUS_ACCESS_VIOLATION);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            result = (int)GetExceptionCode();
            break; /* leaves the switch, as in C */
        }
        after = 1; /* reached only when nothing was raised */
        result = 0;
        break;
    default:
        break;
    }
    return after ? result : (result == (int)STATUS_ACCESS_VIOLATION ? 2 : -2);
}

static void test_break_in_except_leaves_switch(void **state)
{
    (void)state;
    assert_int_equal(switch_case_break_in_except(0), 0);
    assert_int_equal(switch_case_break_in_except(1), 2);
    assert_null(mk_self.seh_top);
}

/* `continue` and `break` in the handler act on the enclosing loop. */
static void test_continue_and_break_in_except_act_on_loop(void **state)
{
    (void)state;
    int handled = 0, bodies = 0, i;
    for (i = 0; i < 10; i++) {
        __try {
            if (i % 2)
                ExRaiseStatus(STATUS_UNSUCCESSFUL);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            handled++;
            if (i == 7)
                break;
            continue;
        }
        bodies++;
    }
    assert_int_equal(i, 7);
    assert_int_equal(handled, 4);  /* 1, 3, 5, 7 */
    assert_int_equal(bodies, 4);   /* 0, 2, 4, 6 */
    assert_null(mk_self.seh_top);
}

/* `return` from the handler, and from the guarded block. */
static NTSTATUS return_from_handler(BOOLEAN raise)
{
    __try {
        if (raise)
            ExRaiseStatus(STATUS_INVALID_PARAMETER);
        return STATUS_SUCCESS;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_UNSUCCESSFUL; /* not reached; GCC cannot see that */
}

static void test_return_from_guarded_block_and_handler(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(return_from_handler(FALSE), STATUS_SUCCESS);
        assert_int_equal(return_from_handler(TRUE), STATUS_INVALID_PARAMETER);
    }
    assert_null(mk_self.seh_top);
}

/* The spellings C driver code uses without underscores (sioctl). */
static NTSTATUS plain_spellings(BOOLEAN raise)
{
    NTSTATUS status = STATUS_SUCCESS;
    try {
        if (raise)
            ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT);
        leave;
    }
    except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

static void test_try_except_spellings(void **state)
{
    (void)state;
    assert_int_equal(plain_spellings(FALSE), STATUS_SUCCESS);
    assert_int_equal(plain_spellings(TRUE), STATUS_DATATYPE_MISALIGNMENT);
}

/* A raise after a finished __try statement in the same block is NOT caught
 * by that statement's handler: it is unhandled (0x1E). */
static void raise_after_try(void *arg)
{
    (void)arg;
    volatile int handled = 0;
    __try {
        handled = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        handled = 1;
    }
    ExRaiseStatus(handled ? STATUS_INVALID_PARAMETER : STATUS_UNSUCCESSFUL);
}

static void test_raise_after_try_statement_is_unhandled(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(raise_after_try, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_UNSUCCESSFUL);
}

/* A break directly inside the guarded block cannot reach the switch: it is
 * reported, never run on from the wrong place. */
static void break_in_guarded_block(void *arg)
{
    int v = *(int *)arg;
    switch (v) {
    case 1:
        __try {
            break;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
        *(int *)arg = 99; /* must not run */
        break;
    }
}

static void test_break_in_guarded_block_is_reported(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    int v = 1;
    assert_int_equal(mdlkit_catch_bugcheck(break_in_guarded_block, &v, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_SEH_BREAK_IN_TRY);
    assert_int_equal(v, 1);
    /* a break inside a loop of the guarded block's own is fine */
    int n = 0;
    __try {
        for (;;) {
            if (++n == 3)
                break;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        n = -1;
    }
    assert_int_equal(n, 3);
}

/* ---- faults outside the simulated machine --------------------------------- */

struct deref { volatile char *p; KIRQL irql; BOOLEAN guarded; NTSTATUS status; };

static void deref_fn(void *arg)
{
    struct deref *d = arg;
    KIRQL old = PASSIVE_LEVEL;
    if (d->irql)
        KeRaiseIrql(d->irql, &old);
    if (d->guarded) {
        __try {
            (void)*d->p;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            d->status = GetExceptionCode();
        }
    } else {
        *d->p = 1;
    }
    if (d->irql)
        KeLowerIrql(old);
}

static void test_null_dereference_is_access_violation(void **state)
{
    (void)state;
    /* 0x8: a field of a NULL structure pointer (UBSan would stop at NULL itself) */
    struct deref d = { (volatile char *)0x8, PASSIVE_LEVEL, TRUE, STATUS_SUCCESS };
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(deref_fn, &d, &bc), 0);
    assert_int_equal(d.status, STATUS_ACCESS_VIOLATION);
    /* unguarded: the unhandled access violation, as Windows reports it */
    d.guarded = FALSE;
    d.p = (volatile char *)0x18;
    assert_int_equal(mdlkit_catch_bugcheck(deref_fn, &d, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_ACCESS_VIOLATION);
    /* the machine stays usable */
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tseT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'tseT');
}

static void test_wild_kernel_address_is_page_fault(void **state)
{
    (void)state;
    struct deref d = { (volatile char *)(uintptr_t)0x7ff000000008ULL, PASSIVE_LEVEL, FALSE, 0 };
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(deref_fn, &d, &bc), 1);
    assert_int_equal(bc.code, PAGE_FAULT_IN_NONPAGED_AREA);
    assert_int_equal(bc.param[0], (ULONG_PTR)d.p);
    assert_int_equal(bc.param[1], 1); /* a write */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_null_dereference_at_dispatch_is_d1(void **state)
{
    (void)state;
    struct deref d = { (volatile char *)0x20, DISPATCH_LEVEL, FALSE, 0 };
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(deref_fn, &d, &bc), 1);
    assert_int_equal(bc.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], 0x20);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
    assert_int_equal(bc.param[2], 1);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ---- strings and inlines ----------------------------------------------------- */

static void test_wide_literals_are_16_bit(void **state)
{
    (void)state;
    static const WCHAR name[] = L"\\Device\\X";
    assert_int_equal(sizeof(WCHAR), 2);
    assert_int_equal(sizeof(name), 10 * sizeof(WCHAR));
    assert_int_equal(name[1], 'D');
    assert_int_equal(name[9], 0);
}

/* MSVC's FORCEINLINE may be declared extern, or declared FORCEINLINE and
 * defined without it (netvmini's rssv2lib.h, viostor's virtio_stor.c). */
extern FORCEINLINE ULONG fidelity_twice(ULONG x);
FORCEINLINE ULONG fidelity_twice(ULONG x) { return 2 * x; }
VOID FORCEINLINE fidelity_store(PULONG p, ULONG v);
VOID fidelity_store(PULONG p, ULONG v) { *p = v; }

static void test_extern_forceinline(void **state)
{
    (void)state;
    ULONG (*volatile fp)(ULONG) = fidelity_twice; /* it has an address */
    ULONG v = 0;
    fidelity_store(&v, 21);
    assert_int_equal(fidelity_twice(v), 42);
    assert_int_equal(fp(4), 8);
}

/* Microsoft's cancel sample passes &Extension->ThreadObject (a PETHREAD *)
 * as the PVOID * out-parameter: it compiles without a warning (this file is
 * built with -Werror) and references the object. */
static void test_typed_object_pointer_out_parameter(void **state)
{
    (void)state;
    HANDLE h = mdlkit_event_create(TRUE);
    assert_non_null(h);
    PKEVENT event = NULL;
    assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *ExEventObjectType, UserMode, &event, NULL),
                     STATUS_SUCCESS);
    assert_non_null(event);
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    assert_int_equal(mdlkit_event_wait(h, 0), STATUS_SUCCESS);
    ObDereferenceObject(event);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_break_in_except_leaves_switch),
        cmocka_unit_test(test_continue_and_break_in_except_act_on_loop),
        cmocka_unit_test(test_return_from_guarded_block_and_handler),
        cmocka_unit_test(test_try_except_spellings),
        cmocka_unit_test(test_raise_after_try_statement_is_unhandled),
        cmocka_unit_test(test_break_in_guarded_block_is_reported),
        cmocka_unit_test(test_null_dereference_is_access_violation),
        cmocka_unit_test(test_wild_kernel_address_is_page_fault),
        cmocka_unit_test(test_null_dereference_at_dispatch_is_d1),
        cmocka_unit_test(test_wide_literals_are_16_bit),
        cmocka_unit_test(test_extern_forceinline),
        cmocka_unit_test(test_typed_object_pointer_out_parameter),
    };
    return cmocka_run_group_tests_name("fidelity_wdk", tests, mk_test_setup, mk_test_teardown);
}
