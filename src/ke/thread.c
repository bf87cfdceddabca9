/*
 * thread.c -- each host thread is one simulated "processor": its per-thread
 * state (mk_self), its processor number, and the one simulated process.
 *
 * A thread's state belongs to one machine generation (one mdlkit_init). The
 * first time a thread enters mdlkit after an mdlkit_init, mk_thread_attach
 * resets it: IRQL PASSIVE_LEVEL, no spin locks held, no driver context, and
 * a processor number handed out round-robin modulo the configured count.
 * The __try frames and bug-check catch frames live on the host stack and
 * stay valid across machines, so they are kept.
 */
#include "mk_machine.h"
#include "mk_base.h"

#include <string.h>

MK_TLS mk_thread mk_self;

/* high 32 bits: generation the counter belongs to; low 32: next processor */
static _Atomic uint64_t thread_next_cpu;

static ULONG thread_take_cpu(unsigned gen)
{
    uint64_t old = atomic_load_explicit(&thread_next_cpu, memory_order_relaxed);
    for (;;) {
        uint64_t take, next;
        if ((unsigned)(old >> 32) != gen) {
            take = 0;
            next = ((uint64_t)gen << 32) | 1u;
        } else {
            take = (uint32_t)old;
            next = old + 1;
        }
        if (atomic_compare_exchange_weak_explicit(&thread_next_cpu, &old, next, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            ULONG n = mk_rt.ncpu ? mk_rt.ncpu : 1;
            return (ULONG)(take % n);
        }
    }
}

static MK_NOINLINE void thread_attach_slow(unsigned gen)
{
    mk_self.irql = PASSIVE_LEVEL;
    mk_self.spinlocks_held = 0;
    mk_self.driver = NULL;
    mk_self.io_manager = 0;
    mk_self.pool = NULL; /* the previous machine's pool layer is gone */
    mk_self.lock_shard = 0;
    mk_self.cpu = thread_take_cpu(gen);
    mk_self.generation = gen;
}

void mk_thread_attach(void)
{
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_LIKELY(mk_self.generation == gen))
        return;
    thread_attach_slow(gen);
}

void mk_thread_attach_system(void)
{
    mk_thread_attach();
    mk_self.system = 1;
}

ULONG KeGetCurrentProcessorNumber(void)
{
    MK_ENTER("KeGetCurrentProcessorNumber");
    mk_thread_attach();
    return mk_self.cpu;
}

ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
    MK_ENTER("KeQueryActiveProcessorCount");
    ULONG n = mk_rt.ncpu;
    if (ActiveProcessors)
        *ActiveProcessors = n >= 64 ? ~(KAFFINITY)0 : (((KAFFINITY)1 << n) - 1);
    return n;
}

ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
    MK_ENTER("KeGetCurrentProcessorNumberEx");
    mk_thread_attach();
    if (ProcNumber) {
        ProcNumber->Group = 0;
        ProcNumber->Number = (UCHAR)mk_self.cpu;
        ProcNumber->Reserved = 0;
    }
    return mk_self.cpu;
}

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)
{
    MK_ENTER("KeQueryActiveProcessorCountEx");
    /* One group, 0; ALL_PROCESSOR_GROUPS (0xFFFF) counts every group. */
    if (GroupNumber != 0 && GroupNumber != 0xFFFF)
        return 0;
    return mk_rt.ncpu;
}

ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)
{
    MK_ENTER("KeQueryMaximumProcessorCountEx");
    /* No processor is ever added: the maximum is the active count. */
    if (GroupNumber != 0 && GroupNumber != 0xFFFF)
        return 0;
    return mk_rt.ncpu;
}

/* The one simulated process: drivers only compare and pass its address. */
struct _EPROCESS {
    char name[16];
    ULONG_PTR unique_process_id;
};
static struct _EPROCESS thread_process = {"mdlkit-harness", 4};

PEPROCESS PsGetCurrentProcess(void)
{
    MK_ENTER("PsGetCurrentProcess");
    return &thread_process;
}
