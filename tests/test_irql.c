/* IRQL: per-thread level, KeRaiseIrql / KeLowerIrql rules and their bug
 * checks, processor numbers, the simulated process. */
#include "testutil.h"

#include <pthread.h>

static int setup_verifier(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_FORCE_IRQL_CHECKING;
    return mdlkit_init(&c);
}

static int setup_two_cpus(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.processors = 2;
    return mdlkit_init(&c);
}

static void test_raise_and_lower(void **state)
{
    (void)state;
    KIRQL a, b, c;
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeRaiseIrql(APC_LEVEL, &a);
    assert_int_equal(a, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &b);
    assert_int_equal(b, APC_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &c); /* same level is allowed */
    assert_int_equal(c, DISPATCH_LEVEL);
    KIRQL d;
    KeRaiseIrql(HIGH_LEVEL, &d);
    assert_int_equal(d, DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), HIGH_LEVEL);
    KeLowerIrql(d);
    KeLowerIrql(c);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(b);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(a);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    KIRQL old = KeRaiseIrqlToDpcLevel();
    assert_int_equal(old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void raise_to_passive(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeRaiseIrql(PASSIVE_LEVEL, &old);
}

static void raise_above_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql((KIRQL)(HIGH_LEVEL + 1), &old);
}

static void lower_to_higher(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(DISPATCH_LEVEL);
}

static void lower_above_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeLowerIrql((KIRQL)(HIGH_LEVEL + 1));
}

static void dpc_raise_from_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    (void)KeRaiseIrqlToDpcLevel();
}

static void test_raise_to_lower_level_bugchecks(void **state)
{
    (void)state;
    mk_expect_bugcheck(raise_to_passive, NULL, IRQL_NOT_GREATER_OR_EQUAL, DISPATCH_LEVEL, PASSIVE_LEVEL, 0, 0);
    /* the catch put the IRQL back */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mk_expect_bugcheck(raise_above_high, NULL, IRQL_NOT_GREATER_OR_EQUAL, PASSIVE_LEVEL, HIGH_LEVEL + 1, 0, 0);
    mk_expect_bugcheck(dpc_raise_from_high, NULL, IRQL_NOT_GREATER_OR_EQUAL, HIGH_LEVEL, DISPATCH_LEVEL, 0, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_lower_to_higher_level_bugchecks(void **state)
{
    (void)state;
    mk_expect_bugcheck(lower_to_higher, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, APC_LEVEL, DISPATCH_LEVEL, 0);
    mk_expect_bugcheck(lower_above_high, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, HIGH_LEVEL, HIGH_LEVEL + 1, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_catch_restores_raised_irql(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    mk_expect_bugcheck(raise_to_passive, NULL, IRQL_NOT_GREATER_OR_EQUAL, DISPATCH_LEVEL, PASSIVE_LEVEL, 0, 0);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(old);
}

/* With Driver Verifier on, the same misuse is the verifier's 0xC4/0x30. */
static void test_verifier_raise_to_lower_level(void **state)
{
    (void)state;
    mk_expect_bugcheck(raise_to_passive, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30, DISPATCH_LEVEL, PASSIVE_LEVEL, 0);
    mk_expect_bugcheck(raise_above_high, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30, PASSIVE_LEVEL, HIGH_LEVEL + 1, 0);
    mk_expect_bugcheck(lower_to_higher, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, APC_LEVEL, DISPATCH_LEVEL, 0);
    /* raising to DISPATCH_LEVEL with Force IRQL Checking on works */
    KIRQL old = KeRaiseIrqlToDpcLevel();
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
}

/* IRQL is per thread: each thread is its own processor. */
static void *other_thread_irql(void *arg)
{
    KIRQL *seen = arg;
    seen[0] = KeGetCurrentIrql();
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    seen[1] = KeGetCurrentIrql();
    KeLowerIrql(old);
    return NULL;
}

static void test_irql_is_per_thread(void **state)
{
    (void)state;
    KIRQL old = KeRaiseIrqlToDpcLevel();
    KIRQL seen[2] = {0xFF, 0xFF};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread_irql, seen), 0);
    pthread_join(t, NULL);
    assert_int_equal(seen[0], PASSIVE_LEVEL);
    assert_int_equal(seen[1], APC_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
}

static void *thread_cpu(void *arg)
{
    *(ULONG *)arg = KeGetCurrentProcessorNumber();
    return NULL;
}

static void test_processor_numbers(void **state)
{
    (void)state;
    KAFFINITY aff = 0;
    assert_int_equal(KeQueryActiveProcessorCount(&aff), 2);
    assert_int_equal(aff, 0x3);
    assert_int_equal(KeQueryActiveProcessorCount(NULL), 2);
    /* mdlkit_init's thread is processor 0; new threads go round-robin */
    assert_int_equal(KeGetCurrentProcessorNumber(), 0);
    ULONG cpu[3];
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, thread_cpu, &cpu[i]), 0);
        pthread_join(t, NULL);
    }
    assert_int_equal(cpu[0], 1);
    assert_int_equal(cpu[1], 0);
    assert_int_equal(cpu[2], 1);
    assert_int_equal(KeGetCurrentProcessorNumber(), 0); /* stable */
}

static void *thread_process(void *arg)
{
    *(PEPROCESS *)arg = PsGetCurrentProcess();
    return NULL;
}

static void test_current_process(void **state)
{
    (void)state;
    PEPROCESS p = PsGetCurrentProcess();
    assert_non_null(p);
    assert_ptr_equal(IoGetCurrentProcess(), p);
    PEPROCESS q = NULL;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_process, &q), 0);
    pthread_join(t, NULL);
    assert_ptr_equal(q, p);
}

/* A new machine starts every thread at PASSIVE_LEVEL. */
static void test_new_machine_resets_irql(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

int main(void)
{
    const struct CMUnitTest basic[] = {
        cmocka_unit_test(test_raise_and_lower),
        cmocka_unit_test(test_raise_to_lower_level_bugchecks),
        cmocka_unit_test(test_lower_to_higher_level_bugchecks),
        cmocka_unit_test(test_catch_restores_raised_irql),
        cmocka_unit_test(test_irql_is_per_thread),
        cmocka_unit_test(test_current_process),
        cmocka_unit_test(test_new_machine_resets_irql),
    };
    const struct CMUnitTest verifier[] = {
        cmocka_unit_test(test_verifier_raise_to_lower_level),
    };
    const struct CMUnitTest cpus[] = {
        cmocka_unit_test(test_processor_numbers),
    };
    int rc = cmocka_run_group_tests_name("irql", basic, mk_test_setup, mk_test_teardown);
    rc |= cmocka_run_group_tests_name("irql_verifier", verifier, setup_verifier, mk_test_teardown);
    rc |= cmocka_run_group_tests_name("irql_cpus", cpus, setup_two_cpus, mk_test_teardown);
    return rc;
}
