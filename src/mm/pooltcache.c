/*
 * pooltcache.c -- the pool's per-thread caches (poolpage.h): per heap and size
 * class, a stack of free blocks with the addresses of their metadata words;
 * a thread's blocks go back to the central lists when it exits.
 */
#define _GNU_SOURCE
#include "poolpage.h"

#include <stdlib.h>
#include <string.h>

static pthread_once_t pp_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t pp_key;

static void pp_tcache_destroy(void *arg)
{
    pp_tcache *tc = arg;
    if (!tc)
        return;
    /* under the pool's life lock: a machine thread's cache may be
     * destroyed after the thread's routine ended (its object signalled),
     * while the machine shuts down (mk_poolpage_shutdown) */
    pthread_mutex_lock(&mk_pp_life_lock);
    if (atomic_load(&mk_pp_live) && tc->gen == atomic_load(&mk_pp_gen)) {
        for (int h = 0; h < MK_HEAP_COUNT; h++)
            if (tc->bins[h])
                for (unsigned cls = 0; cls < PP_NCLASS; cls++)
                    if (tc->bins[h]->n[cls])
                        mk_pp_flush_bin(&mk_pp_heaps[h], cls, tc->bins[h], tc->bins[h]->n[cls]);
    }
    pthread_mutex_unlock(&mk_pp_life_lock);
    for (int h = 0; h < MK_HEAP_COUNT; h++)
        free(tc->bins[h]);
    if (mk_pp_tls == tc) {
        mk_pp_tls = NULL;
        memset(mk_pp_tls_bins, 0, sizeof mk_pp_tls_bins);
        memset(mk_pp_tls_fbins, 0, sizeof mk_pp_tls_fbins);
    }
    free(tc);
}

static void pp_key_create(void) { (void)pthread_key_create(&pp_key, pp_tcache_destroy); }

MK_NOINLINE pp_bin *mk_pp_bins_slow(mk_pool_heap h)
{
    unsigned gen = atomic_load_explicit(&mk_pp_gen, memory_order_relaxed);
    pp_tcache *tc = mk_pp_tls;
    if (tc && tc->gen != gen) {
        /* left over from an earlier machine: its blocks are gone */
        for (int i = 0; i < MK_HEAP_COUNT; i++)
            free(tc->bins[i]);
        memset(tc->bins, 0, sizeof tc->bins);
        memset(mk_pp_tls_bins, 0, sizeof mk_pp_tls_bins);
        memset(mk_pp_tls_fbins, 0, sizeof mk_pp_tls_fbins);
        mk_pooltag_thread_reset(); /* the fast paths count with gen_known */
        tc->gen = gen;
    }
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc)
            return NULL;
        mk_pooltag_thread_reset();
        tc->gen = gen;
        pthread_once(&pp_key_once, pp_key_create);
        pthread_setspecific(pp_key, tc);
        mk_pp_tls = tc;
    }
    if (!tc->bins[h])
        tc->bins[h] = calloc(1, sizeof(pp_bin));
    if (!(mk_rt.verifier & MK_VF_POOL_FULL))
        mk_pp_tls_bins[h] = tc->bins[h];
    if (!mk_rt.verifier)
        mk_pp_tls_fbins[h] = tc->bins[h];
    mk_pp_tls_gen = gen;
    return tc->bins[h];
}
