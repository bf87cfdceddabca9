/*
 * irql.c -- KeGetCurrentIrql, KfRaiseIrql (KeRaiseIrql), KeLowerIrql,
 * KeRaiseIrqlToDpcLevel. The IRQL is per thread (mk_self.irql).
 *
 * Misuse (see docs/ddi-notes.md, "Kernel basics"):
 *  - KeRaiseIrql to a lower level or above HIGH_LEVEL: with any Driver
 *    Verifier option on, 0xC4 P1 0x30 (current IRQL, requested IRQL, 0);
 *    otherwise 0x9 IRQL_NOT_GREATER_OR_EQUAL (current, requested, 0, 0).
 *  - KeLowerIrql to a higher level or above HIGH_LEVEL: 0xC4 P1 0x31
 *    (current IRQL, requested IRQL, 0) -- a Verifier automatic check, always on.
 */
#include "mk_base.h"
#include "mk_verifier.h"

#define IRQL_VIOLATION_RAISE 0x30
#define IRQL_VIOLATION_LOWER 0x31

static MK_NOINLINE MK_NORETURN void irql_bad_raise(KIRQL current, KIRQL requested)
{
    if (mk_rt.verifier != 0)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IRQL_VIOLATION_RAISE, current, requested, 0);
    mk_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, current, requested, 0, 0);
}

static MK_NOINLINE MK_NORETURN void irql_bad_lower(KIRQL current, KIRQL requested)
{
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IRQL_VIOLATION_LOWER, current, requested, 0);
}

static inline KIRQL irql_raise(KIRQL requested)
{
    KIRQL old = mk_self.irql;
    if (MK_UNLIKELY(requested < old || requested > HIGH_LEVEL))
        irql_bad_raise(old, requested);
    mk_self.irql = requested;
    if (old < DISPATCH_LEVEL && requested >= DISPATCH_LEVEL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING))
        mk_verifier_on_raise_to_dispatch();
    return old;
}

KIRQL KeGetCurrentIrql(void)
{
    MK_ENTER("KeGetCurrentIrql");
    mk_thread_attach();
    return mk_self.irql;
}

KIRQL KfRaiseIrql(KIRQL NewIrql)
{
    MK_ENTER("KeRaiseIrql");
    mk_thread_attach();
    return irql_raise(NewIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(void)
{
    MK_ENTER("KeRaiseIrqlToDpcLevel");
    mk_thread_attach();
    return irql_raise(DISPATCH_LEVEL);
}

void KeLowerIrql(KIRQL NewIrql)
{
    MK_ENTER("KeLowerIrql");
    mk_thread_attach();
    KIRQL old = mk_self.irql;
    if (MK_UNLIKELY(NewIrql > old || NewIrql > HIGH_LEVEL))
        irql_bad_lower(old, NewIrql);
    mk_self.irql = NewIrql;
}
