/*
 * spinlock.c -- KeInitializeSpinLock, KeAcquireSpinLockRaiseToDpc
 * (KeAcquireSpinLock), KeReleaseSpinLock, KeAcquireSpinLockAtDpcLevel,
 * KeReleaseSpinLockFromDpcLevel.
 *
 * Real mutual exclusion between host threads: the KSPIN_LOCK word is 0 when
 * free and holds the owner's token (the address of its mk_self, unique per
 * live thread) when held. Contended acquires spin with a pause, then yield.
 *
 * Misuse (docs/ddi-notes.md, "Kernel basics"):
 *  - acquiring a lock this thread holds: 0x0F SPIN_LOCK_ALREADY_OWNED
 *    (lock, 0, 0, 0) -- on Windows this would deadlock the processor;
 *  - releasing a lock this thread does not hold: 0x10 SPIN_LOCK_NOT_OWNED
 *    (lock, owner token or 0 if free, 0, 0);
 *  - KeAcquireSpinLock at IRQL > DISPATCH_LEVEL: 0xC4 P1 0x42 (IRQL, lock, 0),
 *    or rule IrqlKeDispatchLte 0x00020011 under DDI compliance checking;
 *  - KeReleaseSpinLock at IRQL != DISPATCH_LEVEL (typically a double
 *    release): 0xC4 P1 0x32 (IRQL, lock, 0), or rule IrqlKeReleaseSpinLock
 *    0x00020015 under DDI compliance checking;
 *  - KeAcquireSpinLockAtDpcLevel / KeReleaseSpinLockFromDpcLevel below
 *    DISPATCH_LEVEL: 0xC4 P1 0x40 / 0x41 (IRQL, lock, 0).
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_verifier.h"

#include <sched.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SL_VIOLATION_RELEASE_IRQL 0x32
#define SL_VIOLATION_ACQUIRE_DPC 0x40
#define SL_VIOLATION_RELEASE_DPC 0x41
#define SL_VIOLATION_ACQUIRE_IRQL 0x42
#define SL_RULE_IRQL_KE_DISPATCH_LTE 0x00020011UL
#define SL_RULE_IRQL_KE_RELEASE_SPIN_LOCK 0x00020015UL
#define SL_VIOLATION_LOWER_IRQL 0x31
#define SL_RULE_SPIN_LOCK 0x00040009UL /* SpinLock rule (wdm) */
/* DPC watchdog: a processor spinning on one lock longer than this is
 * 0x133 DPC_WATCHDOG_VIOLATION (P1 0, single-DPC timeout). Under DDI
 * compliance checking the bound is short; without the verifier it is
 * generous (short too when the lock word is no live owner: never
 * initialised or overwritten), but a lock that is never released ends. */
#define SL_WATCHDOG_VERIFIER_NS 3000000000LL
#define SL_WATCHDOG_NS 60000000000LL
#define SL_TICK_NS 15625000LL /* one clock tick (64 Hz), the unit of P2/P3 */

static inline ULONG_PTR sl_me(void) { return (ULONG_PTR)&mk_self; }

static inline void sl_pause(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long sl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Under DDI compliance checking: is the lock word a live owner? A held lock
 * holds the owner's token, the address of that thread's mk_self; a word
 * that is not one (never initialised: 0xDEADBEEF..., overwritten) would
 * spin forever. The owner's state is read with process_vm_readv, so a wild
 * value cannot fault: it must be readable and a thread of this machine
 * generation. */
static int sl_owner_plausible(ULONG_PTR owner)
{
    if (owner < 4096 || (owner & (_Alignof(mk_thread) - 1)) != 0 || owner >= 0x0000800000000000ULL)
        return 0;
    mk_thread t;
    struct iovec local = {&t, sizeof t}, remote = {(void *)owner, sizeof t};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)sizeof t)
        return 0;
    /* (spinlocks_held is not looked at: the owner counts the lock only
     * after taking the word) */
    return t.generation == atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
}

static MK_NOINLINE void sl_contended(volatile ULONG_PTR *lock, ULONG_PTR me)
{
    if (__atomic_load_n(lock, __ATOMIC_RELAXED) == me)
        mk_bugcheck(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)lock, 0, 0, 0);
    bool verify = mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE);
    long long start = 0, bound = verify ? SL_WATCHDOG_VERIFIER_NS : SL_WATCHDOG_NS;
    ULONG_PTR checked = 0;
    for (unsigned spins = 0;; spins++) {
        ULONG_PTR owner = __atomic_load_n(lock, __ATOMIC_RELAXED);
        if (owner == 0) {
            ULONG_PTR expected = 0;
            if (__atomic_compare_exchange_n(lock, &expected, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return;
        } else if (owner != checked && spins >= 128) {
            /* an owner that stays past the short spin is looked at once */
            if (!sl_owner_plausible(owner) && __atomic_load_n(lock, __ATOMIC_RELAXED) == owner) {
                if (verify)
                    mk_violation(SL_RULE_SPIN_LOCK,
                                 "KeAcquireSpinLock on a lock that was never initialised with KeInitializeSpinLock "
                                 "or was overwritten (its value is no owner)",
                                 (ULONG_PTR)lock, owner);
                /* without the verifier: nobody will ever release it, so the
                 * watchdog needs no generous wait */
                bound = SL_WATCHDOG_VERIFIER_NS;
            }
            checked = owner;
        }
        if (spins < 128) {
            sl_pause();
            continue;
        }
        sched_yield();
        if ((spins & 255) == 0) {
            long long now = sl_now_ns();
            if (!start)
                start = now;
            else if (now - start > bound)
                mk_bugcheck(DPC_WATCHDOG_VIOLATION, 0, (ULONG_PTR)((now - start) / SL_TICK_NS),
                            (ULONG_PTR)(bound / SL_TICK_NS), 0);
        }
    }
}

static inline void sl_lock(PKSPIN_LOCK lock)
{
    MK_NULL_FAULT(lock); /* at the raised IRQL: 0xD1, as the access would be */
    ULONG_PTR me = sl_me(), expected = 0;
    if (MK_LIKELY(__atomic_compare_exchange_n(lock, &expected, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
        return;
    sl_contended(lock, me);
}

static inline void sl_unlock(PKSPIN_LOCK lock)
{
    ULONG_PTR owner = __atomic_load_n(lock, __ATOMIC_RELAXED);
    if (MK_UNLIKELY(owner != sl_me()))
        mk_bugcheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)lock, owner, 0, 0);
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static MK_NOINLINE MK_NORETURN void sl_bad_acquire_irql(PKSPIN_LOCK lock, KIRQL irql)
{
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(SL_RULE_IRQL_KE_DISPATCH_LTE,
                     "KeAcquireSpinLock must be called at IRQL <= DISPATCH_LEVEL", 0, 0);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SL_VIOLATION_ACQUIRE_IRQL, irql, (ULONG_PTR)lock, 0);
}

static MK_NOINLINE MK_NORETURN void sl_bad_release_irql(PKSPIN_LOCK lock, KIRQL irql)
{
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(SL_RULE_IRQL_KE_RELEASE_SPIN_LOCK,
                     "KeReleaseSpinLock must be called at IRQL = DISPATCH_LEVEL", 0, 0);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SL_VIOLATION_RELEASE_IRQL, irql, (ULONG_PTR)lock, 0);
}

void KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeInitializeSpinLock");
    MK_NULL_FAULT(SpinLock);
    __atomic_store_n(SpinLock, 0, __ATOMIC_RELAXED);
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeAcquireSpinLock");
    mk_thread_attach();
    KIRQL old = mk_self.irql;
    if (MK_UNLIKELY(old > DISPATCH_LEVEL))
        sl_bad_acquire_irql(SpinLock, old);
    mk_self.irql = DISPATCH_LEVEL;
    if (old < DISPATCH_LEVEL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING))
        mk_verifier_on_raise_to_dispatch();
    sl_lock(SpinLock);
    mk_self.spinlocks_held++;
    return old;
}

void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    MK_ENTER("KeReleaseSpinLock");
    mk_thread_attach();
    KIRQL cur = mk_self.irql;
    if (MK_UNLIKELY(cur != DISPATCH_LEVEL))
        sl_bad_release_irql(SpinLock, cur);
    if (MK_UNLIKELY(NewIrql > cur))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SL_VIOLATION_LOWER_IRQL, cur, NewIrql, 0);
    sl_unlock(SpinLock);
    mk_self.spinlocks_held--;
    mk_self.irql = NewIrql;
}

void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeAcquireSpinLockAtDpcLevel");
    mk_thread_attach();
    KIRQL cur = mk_self.irql;
    if (MK_UNLIKELY(cur < DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SL_VIOLATION_ACQUIRE_DPC, cur, (ULONG_PTR)SpinLock, 0);
    sl_lock(SpinLock);
    mk_self.spinlocks_held++;
}

void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeReleaseSpinLockFromDpcLevel");
    mk_thread_attach();
    KIRQL cur = mk_self.irql;
    if (MK_UNLIKELY(cur < DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SL_VIOLATION_RELEASE_DPC, cur, (ULONG_PTR)SpinLock, 0);
    sl_unlock(SpinLock);
    mk_self.spinlocks_held--;
}
