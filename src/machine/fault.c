/*
 * fault.c -- page faults on the simulated machine. One SIGSEGV/SIGBUS
 * handler decides what a fault inside the reservation means:
 *   user region     -> STATUS_ACCESS_VIOLATION raised to the innermost
 *                      __try (no handler: bug check 0x1E), as when kernel
 *                      code touches a bad user address;
 *   system regions  -> offered to the page-fault hook (mk_hooks.h: the
 *                      verifier's special-pool guard pages, trimmed paged
 *                      pool), else bug check 0x50
 *                      PAGE_FAULT_IN_NONPAGED_AREA (address, 0 read /
 *                      1 write, instruction address, 0).
 * Faults outside the simulated machine while it runs are what the same
 * access would be in kernel mode on Windows:
 *   the null page (below 64 KiB, never mapped on Linux) is user address
 *                      space: STATUS_ACCESS_VIOLATION raised to the
 *                      innermost __try, or, at DISPATCH_LEVEL and above,
 *                      bug check 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL;
 *   any other address  is an invalid kernel address: bug check 0x50 (0xD1
 *                      at DISPATCH_LEVEL and above).
 * A harness thread (not one of the machine's own, mk_thread_attach_system)
 * inside no __try and no mdlkit_catch_bugcheck first offers such a
 * fault to the handler installed before (or after) mdlkit's -- a test
 * framework's or a sanitizer's -- so a crash in harness code is reported the
 * way that harness expects; with no such handler it becomes the bug check.
 * Before mdlkit_init and after mdlkit_shutdown every fault goes to the
 * previous handler, or kills the process with the signal.
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

/* The handlers we displaced (or that others tried to install after us): a
 * fault that is not the machine's goes to them. */
static struct sigaction fault_old_segv, fault_old_bus;
static volatile int fault_installed;

typedef int (*fault_sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static fault_sigaction_fn fault_real_sigaction(void)
{
    static fault_sigaction_fn real;
    if (!real)
        real = (fault_sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    return real;
}

/* Offers the fault to the displaced handler. Returns 0 when there is none
 * (default action or ignored). */
static int fault_offer(int sig, siginfo_t *si, void *uc)
{
    struct sigaction *old = sig == SIGBUS ? &fault_old_bus : &fault_old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uc);
            return 1;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return 1;
    }
    return 0;
}

static void fault_chain(int sig, siginfo_t *si, void *uc)
{
    if (fault_offer(sig, si, uc))
        return;
    /* Default action: restore it with the real sigaction (the interposed one
     * would only record it); the faulting instruction runs again and the
     * process dies with the ordinary signal. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    fault_real_sigaction()(sig, &dfl, NULL);
}

static void fault_decode(void *ucv, int *write, void **pc)
{
    *write = 0;
    *pc = NULL;
#if defined(__x86_64__)
    ucontext_t *uc = (ucontext_t *)ucv;
    *write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    ucontext_t *uc = (ucontext_t *)ucv;
    *pc = (void *)uc->uc_mcontext.pc;
#else
    (void)ucv;
#endif
}

/* A call through a wild function pointer faults fetching its first
 * instruction: PC is the bad address. The unwinder that captures the bug
 * check's stack would read code at PC (to recognise a signal trampoline)
 * and fault again, so the context is made to look as if the call had
 * returned at once: PC the return address the call pushed (issue #21). */
static void fault_fix_wild_pc(void *ucv, const void *addr, const void *pc)
{
#if defined(__x86_64__)
    ucontext_t *uc = (ucontext_t *)ucv;
    if (pc != addr)
        return;
    greg_t sp = uc->uc_mcontext.gregs[REG_RSP];
    uc->uc_mcontext.gregs[REG_RIP] = *(greg_t *)sp;
    uc->uc_mcontext.gregs[REG_RSP] = sp + 8;
#else
    (void)ucv, (void)addr, (void)pc;
#endif
}

void mk_access_fault(const void *addr, int write, void *pc)
{
    KIRQL irql = mk_self.irql;
    if (irql >= DISPATCH_LEVEL)
        mk_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)addr, irql, (ULONG_PTR)write, (ULONG_PTR)pc);
    if ((ULONG_PTR)addr < 0x10000)
        mk_raise_at(STATUS_ACCESS_VIOLATION, pc);
    mk_bugcheck(PAGE_FAULT_IN_NONPAGED_AREA, (ULONG_PTR)addr, (ULONG_PTR)write, (ULONG_PTR)pc, 0);
}

void mk_object_fault(const void *p, void *pc)
{
    if (!p)
        mk_access_fault(NULL, 0, pc);
    mk_raise_at(STATUS_DATATYPE_MISALIGNMENT, pc);
}

/* A fault on the null page: the observers hear of it first, with the
 * interrupted code's stack and frame pointers (the lint category names the
 * call that returned the NULL, mk_hooks.h). */
static void fault_null_notify(void *ucv, const void *addr, int write, void *pc)
{
    const void *sp = NULL, *fp = NULL;
#if defined(__x86_64__)
    ucontext_t *uc = (ucontext_t *)ucv;
    sp = (const void *)uc->uc_mcontext.gregs[REG_RSP];
    fp = (const void *)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    ucontext_t *uc = (ucontext_t *)ucv;
    sp = (const void *)uc->uc_mcontext.sp;
    fp = (const void *)uc->uc_mcontext.regs[29];
#else
    (void)ucv;
#endif
    if (sp && fp)
        mk_null_fault_notify(addr, write, pc, sp, fp);
}

/* A fault outside the simulated machine while it runs (see the top). */
static void fault_foreign(int sig, siginfo_t *si, void *uc)
{
    void *addr = si->si_addr;
    if (!mk_self.system && mk_self.seh_top == NULL && mk_self.catch_top == NULL && fault_offer(sig, si, uc))
        return;
    int write;
    void *pc;
    fault_decode(uc, &write, &pc);
    fault_fix_wild_pc(uc, addr, pc);
    if (pc == addr)
        write = 2; /* an instruction fetch: P2 2 = execute */
    if ((ULONG_PTR)addr < 0x10000)
        fault_null_notify(uc, addr, write, pc);
    mk_access_fault(addr, write, pc);
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    void *addr = si->si_addr;
    if (!atomic_load_explicit(&mk_rt.up, memory_order_relaxed)) {
        fault_chain(sig, si, uc);
        return;
    }
    if (mk_va_region(addr) == MK_RGN_FOREIGN) {
        fault_foreign(sig, si, uc);
        return;
    }
    int write;
    void *pc;
    fault_decode(uc, &write, &pc);
    enum mk_region r = mk_va_region(addr);
    if (mk_hook_page_fault(addr, write, pc, r))
        return;
    if (r == MK_RGN_USER)
        mk_raise_at(STATUS_ACCESS_VIOLATION, pc);
    mk_bugcheck(PAGE_FAULT_IN_NONPAGED_AREA, (ULONG_PTR)addr, (ULONG_PTR)write, (ULONG_PTR)pc, 0);
}

int mk_fault_install(void)
{
    if (fault_installed)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    /* SA_NODEFER: the handler leaves by longjmp (exceptions, caught bug
     * checks); the signal must not stay blocked afterwards. */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    fault_sigaction_fn real = fault_real_sigaction();
    if (!real || real(SIGSEGV, &sa, &fault_old_segv) != 0)
        return -1;
    if (real(SIGBUS, &sa, &fault_old_bus) != 0) {
        real(SIGSEGV, &fault_old_segv, NULL);
        return -1;
    }
    fault_installed = 1;
    return 0;
}

void mk_fault_uninstall(void)
{
    if (!fault_installed)
        return;
    fault_installed = 0;
    fault_sigaction_fn real = fault_real_sigaction();
    real(SIGSEGV, &fault_old_segv, NULL);
    real(SIGBUS, &fault_old_bus, NULL);
}

/*
 * While the machine runs, its fault handler must stay first in line: test
 * frameworks (cmocka installs a SIGSEGV handler around every test) and
 * fuzzers install their own. Like the sanitizers, mdlkit interposes
 * sigaction() and signal(): a SIGSEGV/SIGBUS handler installed while the
 * machine runs is recorded as the one faults outside the machine are passed
 * to, and the previous one is reported back to the caller.
 */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    fault_sigaction_fn real = fault_real_sigaction();
    if (fault_installed && (sig == SIGSEGV || sig == SIGBUS)) {
        struct sigaction *chain = sig == SIGBUS ? &fault_old_bus : &fault_old_segv;
        struct sigaction prev = *chain;
        if (act)
            *chain = *act;
        if (old)
            *old = prev;
        return 0;
    }
    return real(sig, act, old);
}

sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler; /* shares storage with sa_sigaction, as glibc returns it */
}

/* Under AddressSanitizer the machine's SIGSEGV handler must be allowed to
 * install itself (faults outside the simulated machine are still passed on
 * to ASan's handler). */
#if defined(__SANITIZE_ADDRESS__)
#define MK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MK_ASAN 1
#endif
#endif
#ifdef MK_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allow_user_segv_handler=1"; }
#endif
