/*
 * debug.c -- DbgPrint, DbgPrintEx, vDbgPrintEx, vDbgPrintExWithPrefix,
 * DbgPrintReturnControlC, DbgQueryDebugFilterState, DbgSetDebugFilterState,
 * DbgBreakPoint, DbgBreakPointWithStatus, RtlAssert, PAGED_CODE's check,
 * the ASSERT / NT_ASSERT failure path, KdDebuggerEnabled /
 * KdDebuggerNotPresent, and the harness's mdlkit_dbgprint_* calls.
 *
 * Formatting is the kernel's (src/rtl/format.c: %wZ, %ws, %I64x, ...). A
 * message is at most 512 bytes, as Windows' DbgPrint transmits (511
 * characters and the NUL); the rest is dropped.
 *
 * Filtering is Windows' (Vista and later): a message of component C and
 * level L is shown when L's bits are in C's mask or in the system-wide
 * mask (Kd_WIN2000_Mask). A Level of 0..31 means the bit (1 << Level); a
 * larger Level is itself a mask (DPFLTR_MASK, bit 31, is ignored in it). By
 * default every component mask is 0 and the system-wide mask is
 * DPFLTR_ERROR_LEVEL's bit, so only error-level messages appear; DbgPrint
 * and KdPrint are DPFLTR_DEFAULT_ID at DPFLTR_INFO_LEVEL, hidden by default.
 *
 * MDLKIT_DBGPRINT (read at mdlkit_init) changes the masks: "all", "none", a
 * mask for every component ("0xF"), or a list "COMPONENT=MASK,..." where
 * COMPONENT is a name (ihvdriver, DPFLTR_IHVDRIVER_ID), a number, "*" (every
 * component) or "system" (the system-wide mask). The harness changes them
 * with mdlkit_dbgprint_set_mask and takes the output with
 * mdlkit_dbgprint_capture (default: stderr).
 *
 * WPP traces (mdlkit_wpp_trace, from the .tmh files mdlkit-tracewpp writes)
 * are DbgPrintEx messages formatted with WPP's %!NAME! specifiers too, one
 * line each (a newline is added when the message has none).
 *
 * DbgBreakPoint with no debugger (docs/ddi-notes.md): by default the break
 * is printed with its stack and execution continues, as if a debugger had
 * continued; MDLKIT_BREAK=bugcheck makes it what Windows does without a
 * kernel debugger: STATUS_BREAKPOINT is raised, and unhandled it is bug
 * check 0x1E KMODE_EXCEPTION_NOT_HANDLED (0x80000003, address, 0, 0).
 */
#include "mk_base.h"
#include "mk_rtl.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DBG_MAX_MESSAGE 512
#define DBG_COMPONENTS DPFLTR_ENDOFTABLE_ID
#define DBG_SYSTEM_DEFAULT (1UL << DPFLTR_ERROR_LEVEL)

static BOOLEAN dbg_kd_enabled = FALSE;
static BOOLEAN dbg_kd_not_present = TRUE;
PBOOLEAN KdDebuggerEnabled = &dbg_kd_enabled;
PBOOLEAN KdDebuggerNotPresent = &dbg_kd_not_present;

static pthread_mutex_t dbg_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned dbg_generation; /* mk_rt.generation the masks belong to */
static _Atomic ULONG dbg_masks[DBG_COMPONENTS];
static _Atomic ULONG dbg_system_mask = DBG_SYSTEM_DEFAULT;
static mdlkit_dbgprint_fn *dbg_capture_fn;
static void *dbg_capture_ctx;

static const struct {
    const char *name;
    ULONG id;
} dbg_names[] = {
#define DBG_NAME_(name, value) {#name, value},
    MDLKIT_DPFLTR_COMPONENTS(DBG_NAME_)
#undef DBG_NAME_
};

/* "ihvdriver", "IHVDRIVER", "DPFLTR_IHVDRIVER_ID" or a number. */
static int dbg_parse_component(const char *s, size_t n, ULONG *id)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    unsigned long v = strtoul(buf, &end, 0);
    if (*end == 0 && v < DBG_COMPONENTS) {
        *id = (ULONG)v;
        return 0;
    }
    const char *name = buf;
    size_t len = n;
    if (len > 7 && strncasecmp(name, "DPFLTR_", 7) == 0) {
        name += 7;
        len -= 7;
    }
    if (len > 3 && strcasecmp(name + len - 3, "_ID") == 0)
        len -= 3;
    for (size_t i = 0; i < MK_ARRAY_SIZE(dbg_names); i++)
        if (strlen(dbg_names[i].name) == len && strncasecmp(dbg_names[i].name, name, len) == 0) {
            *id = dbg_names[i].id;
            return 0;
        }
    return -1;
}

static void dbg_set_all(ULONG mask)
{
    for (ULONG i = 0; i < DBG_COMPONENTS; i++)
        atomic_store_explicit(&dbg_masks[i], mask, memory_order_relaxed);
}

/* Applies MDLKIT_DBGPRINT; returns 0, or -1 (after a message) if malformed. */
static int dbg_apply_env(const char *v)
{
    if (strcasecmp(v, "all") == 0) {
        dbg_set_all(0xFFFFFFFFUL);
        return 0;
    }
    if (strcasecmp(v, "none") == 0) {
        dbg_set_all(0);
        atomic_store_explicit(&dbg_system_mask, 0, memory_order_relaxed);
        return 0;
    }
    char *end;
    unsigned long m = strtoul(v, &end, 0);
    if (end != v && *end == 0) {
        dbg_set_all((ULONG)m);
        return 0;
    }
    const char *p = v;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return -1;
        char num[32];
        size_t mn = n - (size_t)(eq + 1 - p);
        if (mn == 0 || mn >= sizeof num)
            return -1;
        memcpy(num, eq + 1, mn);
        num[mn] = 0;
        ULONG mask;
        if (strcasecmp(num, "all") == 0) {
            mask = 0xFFFFFFFFUL;
        } else if (strcasecmp(num, "none") == 0) {
            mask = 0;
        } else {
            unsigned long mv = strtoul(num, &end, 0);
            if (*end)
                return -1;
            mask = (ULONG)mv;
        }
        size_t cn = (size_t)(eq - p);
        ULONG id;
        if (cn == 1 && p[0] == '*')
            dbg_set_all(mask);
        else if ((cn == 6 && strncasecmp(p, "system", 6) == 0) || (cn == 7 && strncasecmp(p, "win2000", 7) == 0))
            atomic_store_explicit(&dbg_system_mask, mask, memory_order_relaxed);
        else if (dbg_parse_component(p, cn, &id) == 0)
            atomic_store_explicit(&dbg_masks[id], mask, memory_order_relaxed);
        else
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* Puts the masks in their state for this machine generation (defaults,
 * then MDLKIT_DBGPRINT), once per mdlkit_init. */
static void dbg_refresh(void)
{
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_LIKELY(atomic_load_explicit(&dbg_generation, memory_order_acquire) == gen))
        return;
    pthread_mutex_lock(&dbg_lock);
    if (atomic_load_explicit(&dbg_generation, memory_order_relaxed) != gen) {
        dbg_set_all(0);
        atomic_store_explicit(&dbg_system_mask, DBG_SYSTEM_DEFAULT, memory_order_relaxed);
        const char *v = getenv("MDLKIT_DBGPRINT");
        if (v && *v && dbg_apply_env(v) != 0) {
            dbg_set_all(0);
            atomic_store_explicit(&dbg_system_mask, DBG_SYSTEM_DEFAULT, memory_order_relaxed);
            fprintf(stderr,
                    "mdlkit: MDLKIT_DBGPRINT=\"%s\" is not \"all\", \"none\", a mask or a COMPONENT=MASK list; "
                    "ignored\n",
                    v);
        }
        atomic_store_explicit(&dbg_generation, gen, memory_order_release);
    }
    pthread_mutex_unlock(&dbg_lock);
}

static ULONG dbg_level_bits(ULONG level)
{
    return level < 32 ? (1UL << level) : (level & ~(ULONG)DPFLTR_MASK);
}

static int dbg_enabled(ULONG component, ULONG level)
{
    dbg_refresh();
    ULONG bits = dbg_level_bits(level);
    ULONG mask = atomic_load_explicit(&dbg_system_mask, memory_order_relaxed);
    if (component < DBG_COMPONENTS)
        mask |= atomic_load_explicit(&dbg_masks[component], memory_order_relaxed);
    return (bits & mask) != 0;
}

/* One message at a time (so lines from several threads do not mix), to the
 * capture callback if there is one (called with the lock held: callbacks
 * are serialised), else to stderr. */
static void dbg_emit(ULONG component, ULONG level, const char *text)
{
    pthread_mutex_lock(&dbg_lock);
    if (dbg_capture_fn) {
        dbg_capture_fn(dbg_capture_ctx, component, level, text);
    } else {
        fputs(text, stderr);
        fflush(stderr);
    }
    pthread_mutex_unlock(&dbg_lock);
}

static ULONG dbg_vprint(PCSTR prefix, ULONG component, ULONG level, PCSTR format, va_list ap)
{
    if (!dbg_enabled(component, level))
        return STATUS_SUCCESS;
    char buf[DBG_MAX_MESSAGE];
    mk_fmt_out o = {0, buf, sizeof buf - 1, 0};
    if (prefix) {
        for (const char *p = prefix; *p; p++) {
            if (o.len < o.cap)
                buf[o.len] = *p;
            o.len++;
        }
    }
    va_list copy;
    va_copy(copy, ap);
    if (format)
        mk_vformat(&o, format, 0, &copy);
    va_end(copy);
    buf[o.len < o.cap ? o.len : o.cap] = 0;
    dbg_emit(component, level, buf);
    return STATUS_SUCCESS;
}

/* ---- WPP ---- */
void mdlkit_wpp_init(mdlkit_wpp_control *controls, ULONG count)
{
    MK_ENTER("WPP_INIT_TRACING");
    for (ULONG i = 0; i < count; i++) {
        for (int k = 0; k < 4; k++)
            __atomic_store_n(&controls[i].Flags[k], 0xFFFFFFFFUL, __ATOMIC_RELAXED);
        __atomic_store_n(&controls[i].Level, 0xFF, __ATOMIC_RELAXED);
    }
}

void mdlkit_wpp_cleanup(mdlkit_wpp_control *controls, ULONG count)
{
    MK_ENTER("WPP_CLEANUP");
    for (ULONG i = 0; i < count; i++) {
        for (int k = 0; k < 4; k++)
            __atomic_store_n(&controls[i].Flags[k], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&controls[i].Level, 0, __ATOMIC_RELAXED);
    }
}

ULONG mdlkit_wpp_level(ULONG trace_level)
{
    if (trace_level <= 2) /* TRACE_LEVEL_NONE, CRITICAL/FATAL, ERROR */
        return DPFLTR_ERROR_LEVEL;
    if (trace_level == 3) /* TRACE_LEVEL_WARNING */
        return DPFLTR_WARNING_LEVEL;
    if (trace_level == 4) /* TRACE_LEVEL_INFORMATION */
        return DPFLTR_TRACE_LEVEL;
    return DPFLTR_INFO_LEVEL; /* TRACE_LEVEL_VERBOSE and the reserved ones */
}

ULONG mdlkit_wpp_trace(ULONG component, ULONG level, const char *file, int line, const char *func,
                       const char *format, ...)
{
    MK_ENTER("WPP trace");
    if (!dbg_enabled(component, level))
        return STATUS_SUCCESS;
    mk_thread_attach();
    char buf[DBG_MAX_MESSAGE];
    mk_fmt_wpp w = {func, file, line, level, component, mk_self.cpu, mdlkit_ntstatus_name};
    mk_fmt_out o = {0, buf, sizeof buf - 2, 0, &w};
    va_list ap;
    va_start(ap, format);
    if (format)
        mk_vformat(&o, format, 0, &ap);
    va_end(ap);
    size_t n = o.len < o.cap ? o.len : o.cap;
    if (n == 0 || buf[n - 1] != '\n')
        buf[n++] = '\n';
    buf[n] = 0;
    dbg_emit(component, level, buf);
    return STATUS_SUCCESS;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    MK_ENTER("DbgPrint");
    va_list ap;
    va_start(ap, Format);
    ULONG r = dbg_vprint(NULL, DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, ap);
    va_end(ap);
    return r;
}

ULONG DbgPrintReturnControlC(PCSTR Format, ...)
{
    MK_ENTER("DbgPrintReturnControlC");
    va_list ap;
    va_start(ap, Format);
    ULONG r = dbg_vprint(NULL, DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, ap);
    va_end(ap);
    return r; /* no debugger, so never Control-C */
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    MK_ENTER("DbgPrintEx");
    va_list ap;
    va_start(ap, Format);
    ULONG r = dbg_vprint(NULL, ComponentId, Level, Format, ap);
    va_end(ap);
    return r;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    MK_ENTER("vDbgPrintEx");
    return dbg_vprint(NULL, ComponentId, Level, Format, arglist);
}

ULONG vDbgPrintExWithPrefix(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    MK_ENTER("vDbgPrintExWithPrefix");
    return dbg_vprint(Prefix, ComponentId, Level, Format, arglist);
}

/* TRUE (1) if a message of this component and level would be shown, FALSE
 * (0) if not; STATUS_INVALID_PARAMETER_1 for an unknown component. */
NTSTATUS DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level)
{
    MK_ENTER("DbgQueryDebugFilterState");
    if (ComponentId >= DBG_COMPONENTS)
        return STATUS_INVALID_PARAMETER_1;
    return dbg_enabled(ComponentId, Level) ? TRUE : FALSE;
}

NTSTATUS DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State)
{
    MK_ENTER("DbgSetDebugFilterState");
    if (ComponentId >= DBG_COMPONENTS)
        return STATUS_INVALID_PARAMETER_1;
    dbg_refresh();
    ULONG bits = dbg_level_bits(Level);
    if (State)
        atomic_fetch_or_explicit(&dbg_masks[ComponentId], bits, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&dbg_masks[ComponentId], ~bits, memory_order_relaxed);
    return STATUS_SUCCESS;
}

void mdlkit_dbgprint_set_mask(ULONG component, ULONG mask)
{
    MK_ENTER("mdlkit_dbgprint_set_mask");
    dbg_refresh();
    if (component == MDLKIT_DBGPRINT_SYSTEM)
        atomic_store_explicit(&dbg_system_mask, mask, memory_order_relaxed);
    else if (component == MDLKIT_DBGPRINT_EVERY_COMPONENT)
        dbg_set_all(mask);
    else if (component < DBG_COMPONENTS)
        atomic_store_explicit(&dbg_masks[component], mask, memory_order_relaxed);
    else
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_dbgprint_set_mask: unknown component ID", component, mask);
}

ULONG mdlkit_dbgprint_get_mask(ULONG component)
{
    MK_ENTER("mdlkit_dbgprint_get_mask");
    dbg_refresh();
    if (component == MDLKIT_DBGPRINT_SYSTEM)
        return atomic_load_explicit(&dbg_system_mask, memory_order_relaxed);
    if (component < DBG_COMPONENTS)
        return atomic_load_explicit(&dbg_masks[component], memory_order_relaxed);
    return 0;
}

void mdlkit_dbgprint_capture(mdlkit_dbgprint_fn *fn, void *ctx)
{
    pthread_mutex_lock(&dbg_lock);
    dbg_capture_fn = fn;
    dbg_capture_ctx = ctx;
    pthread_mutex_unlock(&dbg_lock);
}

BOOLEAN KdRefreshDebuggerNotPresent(void)
{
    MK_ENTER("KdRefreshDebuggerNotPresent");
    return TRUE;
}

/* MDLKIT_BREAK=bugcheck: breakpoints behave as with no kernel debugger. */
static int dbg_break_is_bugcheck(void)
{
    const char *v = getenv("MDLKIT_BREAK");
    return v && strcasecmp(v, "bugcheck") == 0;
}

static MK_NOINLINE void dbg_break(ULONG status, int with_status, void *pc)
{
    mk_thread_attach();
    if (dbg_break_is_bugcheck())
        mk_raise_at(STATUS_BREAKPOINT, pc);
    char text[DBG_MAX_MESSAGE * 4];
    size_t n = 0;
    char sym[MK_STACK_LINE];
    mk_symbolize(pc, sym, sizeof sym);
    if (with_status)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "mdlkit: Break instruction exception (status 0x%08x) at %s; no debugger, continuing\n",
                              (unsigned)status, sym);
    else
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "mdlkit: Break instruction exception at %s; no debugger, continuing\n", sym);
    void *pcs[MK_STACK_FORMAT_MAX];
    int np = mk_capture_stack(pcs, MK_STACK_FORMAT_MAX, 1);
    char storage[8][MK_STACK_LINE];
    char *lines[8];
    for (int i = 0; i < 8; i++)
        lines[i] = storage[i];
    int nl = mk_stack_format(pcs, np, lines, 8);
    for (int i = 0; i < nl && n < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "mdlkit:   %s\n", lines[i]);
    pthread_mutex_lock(&dbg_lock);
    fputs(text, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&dbg_lock);
}

MK_NOINLINE void DbgBreakPoint(void)
{
    MK_ENTER("DbgBreakPoint");
    dbg_break(0, 0, __builtin_return_address(0));
}

MK_NOINLINE void DbgBreakPointWithStatus(ULONG Status)
{
    MK_ENTER("DbgBreakPointWithStatus");
    dbg_break(Status, 1, __builtin_return_address(0));
}

/* RtlAssert: what a checked build's ASSERT calls. Prints the assertion, then
 * breaks (DbgBreakPoint's behaviour). */
MK_NOINLINE void RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage)
{
    MK_ENTER("RtlAssert");
    const char *expr = VoidFailedAssertion ? (const char *)VoidFailedAssertion : "(null)";
    const char *file = VoidFileName ? (const char *)VoidFileName : "(null)";
    pthread_mutex_lock(&dbg_lock);
    fprintf(stderr, "\n*** Assertion failed: %s%s\n***   Source File: %s, line %u\n\n",
            MutableMessage ? MutableMessage : "", expr, file, (unsigned)LineNumber);
    fflush(stderr);
    pthread_mutex_unlock(&dbg_lock);
    dbg_break(0, 0, __builtin_return_address(0));
}

MK_NOINLINE void mdlkit_assert_failed(const char *expr, const char *file, int line)
{
    MK_ENTER("ASSERT");
    mk_thread_attach();
    fprintf(stderr, "mdlkit: Assertion failure: %s\nmdlkit:   at %s:%d\n", expr ? expr : "(null)",
            file ? file : "?", line);
    mk_raise_at(STATUS_ASSERTION_FAILURE, __builtin_return_address(0));
}

/* DbgRaiseAssertionFailure: the assertion-failure break NT_ASSERT uses; with
 * no debugger, STATUS_ASSERTION_FAILURE is raised (0x1E unhandled). */
MK_NOINLINE void DbgRaiseAssertionFailure(void)
{
    MK_ENTER("DbgRaiseAssertionFailure");
    mk_thread_attach();
    fprintf(stderr, "mdlkit: Assertion failure (DbgRaiseAssertionFailure)\n");
    mk_raise_at(STATUS_ASSERTION_FAILURE, __builtin_return_address(0));
}

/* PAGED_CODE(): the documented ASSERT when pageable code runs above
 * APC_LEVEL. */
MK_NOINLINE void mdlkit_paged_code_check(const char *file, int line)
{
    MK_ENTER("PAGED_CODE");
    mk_thread_attach();
    KIRQL irql = mk_irql();
    if (MK_LIKELY(irql <= APC_LEVEL))
        return;
    fprintf(stderr, "mdlkit: Pageable code called at IRQL %u\nmdlkit: Assertion failure: PAGED_CODE()\nmdlkit:   at %s:%d\n",
            (unsigned)irql, file ? file : "?", line);
    mk_raise_at(STATUS_ASSERTION_FAILURE, __builtin_return_address(0));
}
