/* expect: BUG CHECK 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION.*KeReleaseSpinLock was called at an IRQL other than DISPATCH_LEVEL.*#0 .*offending_double_release .*death_uncaught_bugcheck.c.*not caught */
/* An uncaught bug check prints the report (code, name, parameter meanings,
 * the offending function) and stops the process. */
#include <mdlkit.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* ctest counts a death by signal as a failure whatever the output says;
 * turn mdlkit's abort() into an ordinary exit so the expected output decides. */
static void death_exit(int sig)
{
    (void)sig;
    _exit(70);
}

static KSPIN_LOCK lock;

static __attribute__((noinline)) void offending_double_release(void)
{
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLock(&lock, old);
    KeReleaseSpinLock(&lock, old); /* released twice: 0xC4 / 0x32 */
}

int main(void)
{
    signal(SIGABRT, death_exit);
    if (mdlkit_init(NULL) != 0)
        return 2;
    KeInitializeSpinLock(&lock);
    offending_double_release();
    printf("not reached\n");
    return 0;
}
