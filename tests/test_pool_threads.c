/* Executive pool under contention: several threads allocate and free,
 * blocks cross threads, contents stay intact, counts add up. Must be clean
 * under ThreadSanitizer (-DMDLKIT_SANITIZE=thread). */
#include "testutil.h"
#include "mk_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

enum { NTHREADS = 4, ROUNDS = 20000, RING = 256 };

/* a shared ring through which blocks move to another thread for freeing */
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot {
    unsigned char *p;
    size_t n;
    unsigned char fill;
} ring[RING];
static int ring_head, ring_count;

/* worker threads must not call cmocka's asserts: count errors instead */
static atomic_int errors;

static void check_fill(const unsigned char *p, size_t n, unsigned char fill)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != fill) {
            atomic_fetch_add(&errors, 1);
            return;
        }
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned seed = 12345u * (id + 1);
    unsigned char *mine[64];
    size_t mine_n[64];
    int nmine = 0;
    for (int r = 0; r < ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 8) % (r % 97 == 0 ? 20000 : 1024);
        POOL_TYPE type = (seed >> 20) & 1 ? PagedPool : NonPagedPoolNx;
        unsigned char *p = ExAllocatePoolWithTag(type, n, 'dhTM');
        if (!p) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        unsigned char fill = (unsigned char)(id * 31 + (unsigned)r);
        memset(p, fill, n);
        if ((seed >> 24) & 1) {
            /* hand it to whoever takes it from the ring */
            struct slot out = {0};
            pthread_mutex_lock(&ring_lock);
            if (ring_count == RING) {
                out = ring[ring_head];
                ring_head = (ring_head + 1) % RING;
                ring_count--;
            }
            ring[(ring_head + ring_count) % RING] = (struct slot){p, n, fill};
            ring_count++;
            pthread_mutex_unlock(&ring_lock);
            if (out.p) {
                check_fill(out.p, out.n, out.fill);
                ExFreePoolWithTag(out.p, 'dhTM');
            }
        } else {
            if (nmine == 64) {
                int k = (int)((seed >> 4) % 64);
                check_fill(mine[k], mine_n[k], mine[k][0]);
                ExFreePool(mine[k]);
                mine[k] = mine[--nmine];
                mine_n[k] = mine_n[nmine];
            }
            mine[nmine] = p;
            mine_n[nmine++] = n;
        }
    }
    while (nmine > 0) {
        nmine--;
        check_fill(mine[nmine], mine_n[nmine], mine[nmine][0]);
        ExFreePool(mine[nmine]);
    }
    return NULL;
}

static void test_contention(void **state)
{
    (void)state;
    pthread_t t[NTHREADS];
    for (unsigned i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&errors), 0);
    while (ring_count > 0) {
        struct slot s = ring[ring_head];
        ring_head = (ring_head + 1) % RING;
        ring_count--;
        check_fill(s.p, s.n, s.fill);
        ExFreePool(s.p);
    }
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('dhTM', &u), 1);
    assert_int_equal(u.nonpaged_allocs + u.paged_allocs, (ULONG64)NTHREADS * ROUNDS);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(u.paged_outstanding, 0);
    assert_int_equal(u.nonpaged_bytes, 0);
    assert_int_equal(u.paged_bytes, 0);
}

/* a thread that exits with blocks in its cache gives them back: another
 * thread can use the memory */
static void *churn(void *arg)
{
    (void)arg;
    void *v[200];
    for (int i = 0; i < 200; i++)
        v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 512, 'nrhC');
    for (int i = 0; i < 200; i++)
        ExFreePool(v[i]);
    return NULL;
}

static void test_thread_exit_returns_blocks(void **state)
{
    (void)state;
    for (int k = 0; k < 50; k++) {
        pthread_t t;
        pthread_create(&t, NULL, churn, NULL);
        pthread_join(t, NULL);
    }
    mdlkit_pool_memory m;
    mdlkit_pool_memory_get(&m);
    /* 50 threads x 200 blocks of 512 bytes would need 200 pages if nothing
     * came back; reused blocks keep it near one thread's worth (25 pages) */
    assert_true(m.small_pages < 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_contention, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_thread_exit_returns_blocks, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
