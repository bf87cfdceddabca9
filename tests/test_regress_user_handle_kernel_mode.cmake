# test_request_handle_closed_in_unload leaves the driver's system thread
# blocked for good (its unload stops at the caught 0x93 before it signals
# the thread; mdlkit_shutdown abandons such threads, ps/psthread.c). At exit
# LeakSanitizer stops every thread with ptrace, which restarts that thread's
# futex wait on a condition variable in the simulated memory the shutdown
# unmapped, and glibc aborts on the EFAULT. Without LeakSanitizer the
# thread just stays blocked; the test's own checks run under ASan as usual.
set_tests_properties(test_regress_user_handle_kernel_mode PROPERTIES
  ENVIRONMENT "MDLKIT_REPORT=;CMOCKA_MESSAGE_OUTPUT=STDOUT;ASAN_OPTIONS=detect_leaks=0")
