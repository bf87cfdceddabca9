/* Regression: system threads run one after another, each waited for
 * through its thread object, the object dereferenced and the handle closed
 * (the cancel sample's unload waits for its polling thread this way), then
 * the machine stops. A thread object can be freed the moment the waiter
 * drops it and the next thread's object can get the same address before
 * the ended thread has cleared its entry in mdlkit's table of system
 * threads; entries were found by address, so the next thread marked the
 * old entry as ending and left its own "running", and the shutdown (or
 * its driver's unload) reported a thread still running: a false 0xCE.
 * The overlap needs the old thread to be descheduled at that moment, so
 * the old code failed here only sometimes; the fixed table (each thread
 * keeps its slot index) has no such window. */
#include "testke.h"

static void helper(PVOID ctx)
{
    atomic_fetch_add((atomic_int *)ctx, 1);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void stop_machine(void *arg)
{
    (void)arg;
    mdlkit_shutdown();
}

static void test_threads_waited_for_then_shutdown(void **state)
{
    (void)state;
    for (int round = 0; round < 40; round++) {
        mdlkit_config c;
        mdlkit_config_default(&c);
        c.quiet = 1;
        c.report_path = NULL;
        assert_int_equal(mdlkit_init(&c), 0);
        atomic_int ran = 0;
        for (int i = 0; i < 4; i++) {
            OBJECT_ATTRIBUTES oa;
            InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
            HANDLE h;
            assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, helper, &ran),
                             STATUS_SUCCESS);
            PVOID t;
            assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &t, NULL),
                             STATUS_SUCCESS);
            assert_int_equal(KeWaitForSingleObject(t, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
            ObDereferenceObject(t);
            assert_int_equal(ZwClose(h), STATUS_SUCCESS);
        }
        assert_int_equal(atomic_load(&ran), 4);
        mdlkit_bugcheck bc;
        assert_int_equal(mdlkit_catch_bugcheck(stop_machine, NULL, &bc), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_waited_for_then_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
