/* Helpers shared by the dispatcher, thread and object tests (test_ke_*,
 * test_ps_*, test_ob_*): bug checks caught with their code and parameters,
 * exceptions caught with their status, bounded waits. */
#ifndef MDLKIT_TESTKE_H
#define MDLKIT_TESTKE_H

#include "testutil.h"

#include <pthread.h>
#include <sched.h>

#include "mk_ke.h"

HANDLE mdlkit_event_create(BOOLEAN manual_reset);
NTSTATUS mdlkit_event_wait(HANDLE event, ULONG timeout_ms);
NTSTATUS mdlkit_event_set(HANDLE event);
NTSTATUS mdlkit_event_reset(HANDLE event);

/* Runs fn(arg) expecting a bug check; returns it (code 0 if none). */
static inline mdlkit_bugcheck tk_bugcheck(void (*fn)(void *), void *arg)
{
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    if (!mdlkit_catch_bugcheck(fn, arg, &bc))
        memset(&bc, 0, sizeof bc);
    return bc;
}

/* 10 seconds, relative: the bound of every wait that must end. */
static inline PLARGE_INTEGER tk_bound(LARGE_INTEGER *t)
{
    t->QuadPart = -100000000LL;
    return t;
}

static inline int tk_setup_flags(ULONG flags, ULONG cpus)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = flags;
    if (cpus)
        c.processors = cpus;
    return mdlkit_init(&c);
}
static inline int tk_setup(void **state) { (void)state; return tk_setup_flags(0, 2); }
static inline int tk_setup_ddi(void **state)
{
    (void)state;
    return tk_setup_flags(MDLKIT_VERIFY_DDI_COMPLIANCE, 2);
}

/* Spins (yielding) until the object has a waiter queued: a state check,
 * not a timing one. */
static inline void tk_until_waiter(DISPATCHER_HEADER *h)
{
    for (;;) {
        pthread_mutex_lock(&mk_ke_lock);
        int queued = h->WaitListHead.Flink && h->WaitListHead.Flink != &h->WaitListHead;
        pthread_mutex_unlock(&mk_ke_lock);
        if (queued)
            return;
        sched_yield();
    }
}

#endif /* MDLKIT_TESTKE_H */
