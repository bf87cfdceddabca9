/*
 * mk_base.h -- internal base layer: runtime state, per-thread ("processor")
 * state, entry checks, bug checks and exceptions as seen from inside.
 *
 * Naming: public DDIs keep their WDK names, public harness API is mdlkit_*,
 * internal cross-file names are mk_* (types mk_*, macros MK_*), file-local
 * names are static. See docs/layout.md.
 */
#ifndef MK_BASE_H
#define MK_BASE_H

#include <mdlkit.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MK_LIKELY(x) __builtin_expect(!!(x), 1)
#define MK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MK_TLS __thread __attribute__((tls_model("initial-exec")))
#define MK_NOINLINE __attribute__((noinline))
/* A hot routine whose every call out is a tail call keeps no frame of its
 * own: the frame pointer (on for every mdlkit file, for drivers' frames in
 * reports) would make each call save and restore registers it does not
 * need, and an mdlkit frame is never named in a report. Its calls pass the
 * driver's return address explicitly (__builtin_return_address(0) in a
 * DDI, which GCC then reads from the stack pointer). GCC only: clang has no
 * such attribute and keeps the frame. Optimised builds only: there its
 * calls out are tail calls; without optimisation they are real calls, and
 * a frameless caller would hide the driver's frame from the frame-pointer
 * walk of Pool Tracking. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#define MK_NO_FRAME __attribute__((optimize("omit-frame-pointer")))
#else
#define MK_NO_FRAME
#endif
#define MK_NORETURN __attribute__((noreturn))
#define MK_UNUSED __attribute__((unused))
#define MK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Runtime (src/rt/runtime.c)
 * ---------------------------------------------------------------------- */
typedef struct mk_runtime {
    atomic_int up;           /* 1 while initialised */
    mdlkit_config cfg;       /* copy of the configuration in force */
    ULONG os;                /* == cfg.os_version */
    ULONG verifier;          /* == cfg.verifier_flags */
    ULONG ncpu;              /* == cfg.processors, >= 1 */
    atomic_uint generation;  /* bumped by every mdlkit_init */
} mk_runtime;
extern mk_runtime mk_rt;

/* Every DDI and harness entry point starts with MK_ENTER: use before
 * mdlkit_init is a clear error (message naming the routine, then abort). */
MK_NORETURN void mk_not_initialized(const char *routine);
/* A harness (mdlkit_*) routine given an argument it cannot use (NULL where
 * an object is required): one line on stderr naming routine and argument;
 * the caller then returns its failure value (src/rt/runtime.c). */
void mk_harness_bad_argument(const char *routine, const char *what);
#define MK_ENTER(routine)                   \
    do {                                    \
        if (MK_UNLIKELY(!mk_rt.up))         \
            mk_not_initialized(routine);    \
    } while (0)

static inline bool mk_verifier_on(ULONG flags) { return (mk_rt.verifier & flags) != 0; }
static inline bool mk_os_at_least(ULONG ntddi) { return mk_rt.os >= ntddi; }

/* ------------------------------------------------------------------------
 * Per-thread state. Each host thread is one "processor".
 * ---------------------------------------------------------------------- */
struct mk_catch;
struct mk_driver;

typedef struct mk_thread {
    KIRQL irql;                    /* current IRQL */
    ULONG cpu;                     /* processor number, < mk_rt.ncpu */
    ULONG spinlocks_held;
    unsigned generation;           /* mk_rt.generation this state belongs to */
    mdlkit_seh_frame *seh_top;     /* innermost __try frame */
    struct mk_catch *catch_top;    /* innermost mdlkit_catch_bugcheck */
    struct mk_driver *driver;      /* driver whose code is running, or NULL */
    void *pool;                    /* per-thread pool cache (expool.c) */
    int lock_shard;                /* lock-count shard (physmem.c), 0 = none yet */
    int user_process;              /* > 0: runs in the simulated user process (mk_ob.h), else System */
    int system;                    /* one of the machine's own threads (DPCs, timers, work items,
                                      system threads): a fault there is never the harness's */
    int io_manager;                /* > 0: the I/O or PnP manager allocates for itself (a user
                                      request's IRP, buffer and MDL; the PnP manager's IRPs): the
                                      low-resources simulations do not fail it, as Driver Verifier
                                      fails the verified drivers' calls only */
} mk_thread;
extern MK_TLS mk_thread mk_self;

/* Makes sure mk_self is set up for the current machine generation (assigns a
 * processor number on first use). Cheap; called by MK_ENTER users that need
 * cpu numbers. */
void mk_thread_attach(void);
/* mk_thread_attach for a thread the machine starts (a processor's DPC
 * thread, the timer thread, the work-item and system threads): marks it as
 * the machine's, so a fault in it is a bug check even outside any __try or
 * mdlkit_catch_bugcheck, as on Windows, never a test framework's crash. */
void mk_thread_attach_system(void);

static inline KIRQL mk_irql(void) { return mk_self.irql; }

/* ------------------------------------------------------------------------
 * Bug checks (src/ke/bugcheck.c)
 *
 * Rule: never raise a bug check or an exception while holding an internal
 * lock (pthread mutex or spin); release first. A caught bug check longjmps.
 * ---------------------------------------------------------------------- */
MK_NORETURN void mk_bugcheck(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4);
/* 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with P1 = rule, P2 = the
 * sentence `why` (a static string), P3/P4 as the rule documents. */
MK_NORETURN void mk_violation(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4);

/* IRQL above `max` for a routine that has no documented 0xC4 subcode:
 * bug check 0xA IRQL_NOT_LESS_OR_EQUAL (routine address, IRQL, 0, caller).
 * Shared by every layer's DDIs (MK_CHECK_IRQL_MAX). */
MK_NORETURN void mk_irql_fail(const void *routine, void *caller);
#define MK_CHECK_IRQL_MAX(max, routine)                                                 \
    do {                                                                                \
        if (MK_UNLIKELY(mk_irql() > (max)))                                             \
            mk_irql_fail((const void *)(routine), __builtin_return_address(0));          \
    } while (0)

/* The crashed state (src/ke/bugcheck.c): 1 once a bug check was caught by
 * mdlkit_catch_bugcheck on this machine (until the next mdlkit_init).
 * mk_cleanup_call runs a harness cleanup step fn(arg): normally a plain
 * call; when crashed and outside any mdlkit_catch_bugcheck, a bug check
 * raised inside it is printed as information and ends fn (returns 1).
 * mk_teardown_step absorbs always and re-runs fn until it completes
 * (bounded; 0, or -1 when it never did). mk_crash_mark enters the crashed
 * state (mdlkit_reset); mk_crash_absorbed counts the would-be bug checks
 * absorbed since. */
int mk_crashed(void);
int mk_cleanup_call(void (*fn)(void *arg), void *arg);
int mk_teardown_step(void (*fn)(void *arg), void *arg);
void mk_crash_mark(void);
unsigned mk_crash_absorbed(void);

/* Extra lines the next bug-check report prints (leak lists and the like).
 * The text is copied; cleared after each report. */
void mk_bugcheck_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Symbolizes a return address as "function (file:line)" into buf. */
void mk_symbolize(void *pc, char *buf, size_t len);
/* The frames of a captured stack a user sees, as the bug-check report shows
 * them: mdlkit's own frames (compiled from its src/, or inlined from its
 * public headers) left out, innermost first, up to `main`. Each line,
 * "function (file:line)", goes to lines[i], which must hold MK_STACK_LINE
 * bytes. Looks at the first MK_STACK_FORMAT_MAX of the n frames. Returns
 * the number of lines (0: no frame outside mdlkit). (src/ke/bugcheck.c) */
#define MK_STACK_LINE 256
#define MK_STACK_FORMAT_MAX 32
int mk_stack_format(void *const *pcs, int n, char **lines, int max);
/* Captures up to max return addresses of the caller, skipping `skip` frames
 * of mdlkit itself. Returns the count. Cheap (frame-pointer walk). */
int mk_capture_stack(void **pcs, int max, int skip);

/* Parameter descriptions (src/ke/bugdesc.c), for reports. `index` is 0..3 for P1..P4. Returns a
 * sentence, never NULL. */
const char *mk_bugdesc_param(const mdlkit_bugcheck *bc, int index);
/* A sentence on what went wrong for this code (and subcode). */
const char *mk_bugdesc_what(const mdlkit_bugcheck *bc);
/* Name of a DDI compliance rule or mdlkit rule ID (0xC4 P1), or NULL. */
const char *mk_bugdesc_rule_name(ULONG_PTR rule);

/* ------------------------------------------------------------------------
 * Exceptions (src/ke/except.c)
 * ---------------------------------------------------------------------- */
/* Raises `status` to the innermost __try frame; with none, bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED (status, address, 0, 0). */
MK_NORETURN void mk_raise(NTSTATUS status);
/* Same, naming the address the exception is reported at (P2 of 0x1E when
 * unhandled), e.g. the faulting instruction for a page fault. */
MK_NORETURN void mk_raise_at(NTSTATUS status, void *address);

/* ------------------------------------------------------------------------
 * Layer start/stop, called in this order by mdlkit_init and in reverse by
 * mdlkit_shutdown. Each returns 0 or -1 (after printing why).
 * ---------------------------------------------------------------------- */
int mk_machine_init(const mdlkit_config *cfg);   /* src/machine/physmem.c */
void mk_machine_shutdown(void);
int mk_pool_init(void);                          /* src/mm/expool.c: pool and MDL records */
void mk_pool_shutdown(void);
int mk_io_init(void);                            /* src/io/iomdl.c */
void mk_io_shutdown(void);
int mk_port_init(void);                          /* src/port/portcommon.c */
void mk_port_shutdown(void);
/* Fills the verifier's entries of the hook table (src/mk_hooks.h); first
 * thing mdlkit_init does, before any layer starts. */
void mk_verifier_hooks_install(void);            /* src/verifier/verifier.c */
int mk_verifier_init(void);                      /* src/verifier/verifier.c */
void mk_verifier_shutdown(void);                 /* final leak check + report */

#endif /* MK_BASE_H */
