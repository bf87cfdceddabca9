/*
 * counters.c -- the !verifier-style counters: pool allocations attempted,
 * succeeded, succeeded in special pool, with no tag, failed, and resource
 * allocations failed deliberately. Counted (relaxed atomics) only while a
 * verifier option is on: the pool hooks that count them are not called
 * otherwise.
 */
#include "mk_base.h"
#include "mk_verifier.h"

mk_vf_counters mk_vf_count;

void mk_vf_counters_reset(void)
{
    atomic_store(&mk_vf_count.pool_attempted, 0);
    atomic_store(&mk_vf_count.pool_succeeded, 0);
    atomic_store(&mk_vf_count.pool_special, 0);
    atomic_store(&mk_vf_count.pool_no_tag, 0);
    atomic_store(&mk_vf_count.pool_failed, 0);
    atomic_store(&mk_vf_count.faults_injected, 0);
    atomic_store(&mk_vf_count.mdls_allocated, 0);
    atomic_store(&mk_vf_count.pages_locked, 0);
    atomic_store(&mk_vf_count.system_mappings, 0);
}
