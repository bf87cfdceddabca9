/* Systematic low-resources simulation (verifier option 0x40000): each call
 * site fails the first time it is seen; with a state file, successive runs
 * walk a driver's allocation error paths one by one and then stop failing. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG 'ySvT'

static char g_state[64];

static int init_systematic(void)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES;
    c.systematic_state = g_state;
    return mdlkit_init(&c);
}

/* A small driver's start routine with three allocations and their error
 * paths. Returns which allocation failed (1..3), 0 when all succeeded. */
static void *g_a, *g_b;
static PMDL g_m;
static __attribute__((noinline)) int driver_start(void)
{
    g_a = ExAllocatePoolWithTag(NonPagedPoolNx, 128, TAG);
    if (!g_a)
        return 1;
    g_b = ExAllocatePoolWithTag(PagedPool, 64, TAG);
    if (!g_b) {
        ExFreePoolWithTag(g_a, TAG);
        return 2;
    }
    g_m = IoAllocateMdl(g_a, 128, FALSE, FALSE, NULL);
    if (!g_m) {
        ExFreePoolWithTag(g_b, TAG);
        ExFreePoolWithTag(g_a, TAG);
        return 3;
    }
    return 0;
}
static void driver_stop(void)
{
    IoFreeMdl(g_m);
    ExFreePoolWithTag(g_b, TAG);
    ExFreePoolWithTag(g_a, TAG);
}

static void test_walks_every_error_path(void **state)
{
    (void)state;
    snprintf(g_state, sizeof g_state, "/tmp/mdlkit_sys_%ld", (long)getpid());
    remove(g_state);
    int seen[4] = {0};
    int results[6];
    for (int run = 0; run < 6; run++) {
        assert_int_equal(init_systematic(), 0);
        int r = driver_start();
        results[run] = r;
        seen[r]++;
        if (r == 0)
            driver_stop();
        mdlkit_shutdown();
    }
    /* the state file names the three sites failed (one per line) */
    FILE *sf = fopen(g_state, "r");
    assert_non_null(sf);
    char line[128];
    int lines = 0;
    while (fgets(line, sizeof line, sf))
        lines++;
    fclose(sf);
    assert_int_equal(lines, 3);
    remove(g_state);
    /* run 1 fails the first allocation, run 2 the second, run 3 the third,
     * then every site has been failed once: no more failures */
    assert_int_equal(results[0], 1);
    assert_int_equal(results[1], 2);
    assert_int_equal(results[2], 3);
    assert_int_equal(results[3], 0);
    assert_int_equal(results[4], 0);
    assert_int_equal(results[5], 0);
}

static void test_without_state_each_site_fails_once_per_run(void **state)
{
    (void)state;
    g_state[0] = 0;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES;
    c.systematic_state = NULL;
    assert_int_equal(mdlkit_init(&c), 0);
    /* one call site of driver_start (the loop): its three allocation sites
     * fail one after the other, then it succeeds */
    int r[5];
    for (int i = 0; i < 5; i++) {
        r[i] = driver_start();
        if (r[i] == 0)
            driver_stop();
    }
    assert_int_equal(r[0], 1);
    assert_int_equal(r[1], 2);
    assert_int_equal(r[2], 3);
    assert_int_equal(r[3], 0);
    assert_int_equal(r[4], 0);
    /* called from elsewhere, the same allocation is another call site */
    assert_int_equal(driver_start(), 1);
    /* a second call site of the same routine is a new site */
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG);
    assert_null(p);
    for (int i = 0; i < 3; i++) {
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG); /* one site, seen again in the loop */
        if (i == 0)
            assert_null(p);
        else {
            assert_non_null(p);
            ExFreePoolWithTag(p, TAG);
        }
    }
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_walks_every_error_path),
        cmocka_unit_test(test_without_state_each_site_fails_once_per_run),
    };
    return cmocka_run_group_tests_name("systematic low resources simulation", t, NULL, NULL);
}
