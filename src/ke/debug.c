/*
 * debug.c -- DbgPrint, DbgPrintEx, DbgBreakPoint and the ASSERT / NT_ASSERT
 * failure path.
 *
 * Debug output goes to stderr, filtered the way Windows (Vista and later)
 * filters it by default: a DbgPrintEx message is shown when its level bit is
 * in the component's filter mask or in the system-wide mask. A Level of 0..31
 * means the bit (1 << Level); a larger Level is itself a bit mask. By default
 * every component mask is 0 and the system-wide mask is DPFLTR_ERROR_LEVEL's
 * bit, so only error-level messages appear. DbgPrint (and KdPrint) is
 * DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL), hidden by default.
 *
 * MDLKIT_DBGPRINT widens the filter for every component: a mask ("0xF"
 * shows error, warning, trace and info) or "all".
 *
 * DbgBreakPoint raises STATUS_BREAKPOINT (unhandled: bug check 0x1E, as on a
 * machine with no kernel debugger attached). A failed ASSERT/NT_ASSERT
 * prints the expression and raises STATUS_ASSERTION_FAILURE.
 */
#include "mk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DBG_DEFAULT_ID 101 /* DPFLTR_DEFAULT_ID */
#define DBG_SYSTEM_MASK (1UL << DPFLTR_ERROR_LEVEL)

static _Atomic unsigned dbg_mask_generation;
static _Atomic ULONG dbg_mask;

static ULONG dbg_component_mask(void)
{
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (atomic_load_explicit(&dbg_mask_generation, memory_order_acquire) == gen)
        return atomic_load_explicit(&dbg_mask, memory_order_relaxed);
    ULONG mask = 0;
    const char *v = getenv("MDLKIT_DBGPRINT");
    if (v && *v) {
        if (strcasecmp(v, "all") == 0) {
            mask = 0xFFFFFFFFUL;
        } else {
            char *end;
            unsigned long m = strtoul(v, &end, 0);
            if (*end == 0)
                mask = (ULONG)m;
            else
                fprintf(stderr, "mdlkit: MDLKIT_DBGPRINT=\"%s\" is not a mask or \"all\"; ignored\n", v);
        }
    }
    atomic_store_explicit(&dbg_mask, mask, memory_order_relaxed);
    atomic_store_explicit(&dbg_mask_generation, gen, memory_order_release);
    return mask;
}

static int dbg_enabled(ULONG component, ULONG level)
{
    (void)component; /* one mask for every component */
    ULONG bits = level < 32 ? (1UL << level) : level;
    return (bits & (dbg_component_mask() | DBG_SYSTEM_MASK)) != 0;
}

static ULONG dbg_vprint(ULONG component, ULONG level, PCSTR format, va_list ap)
{
    if (!dbg_enabled(component, level))
        return STATUS_SUCCESS;
    char buf[512];
    int n = vsnprintf(buf, sizeof buf, format, ap);
    if (n < 0)
        return STATUS_SUCCESS;
    /* One write per message so lines from several threads do not mix. */
    fputs(buf, stderr);
    if ((size_t)n >= sizeof buf)
        fputs("...[truncated]\n", stderr);
    return STATUS_SUCCESS;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    MK_ENTER("DbgPrint");
    va_list ap;
    va_start(ap, Format);
    ULONG r = dbg_vprint(DBG_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, ap);
    va_end(ap);
    return r;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    MK_ENTER("DbgPrintEx");
    va_list ap;
    va_start(ap, Format);
    ULONG r = dbg_vprint(ComponentId, Level, Format, ap);
    va_end(ap);
    return r;
}

MK_NOINLINE void DbgBreakPoint(void)
{
    MK_ENTER("DbgBreakPoint");
    mk_thread_attach();
    mk_raise_at(STATUS_BREAKPOINT, __builtin_return_address(0));
}

MK_NOINLINE void mdlkit_assert_failed(const char *expr, const char *file, int line)
{
    MK_ENTER("ASSERT");
    mk_thread_attach();
    fprintf(stderr, "mdlkit: Assertion failure: %s\nmdlkit:   at %s:%d\n", expr ? expr : "(null)",
            file ? file : "?", line);
    mk_raise_at(STATUS_ASSERTION_FAILURE, __builtin_return_address(0));
}
