/* expect: BUG CHECK 0x0000001E KMODE_EXCEPTION_NOT_HANDLED.*Arg1: ffffffffc000009a, the exception code .*STATUS_INSUFFICIENT_RESOURCES.*#0 .*driver_routine_without_try */
/* ExRaiseStatus with no __try/__except anywhere: bug check 0x1E naming the
 * status and the routine that raised it. */
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

static __attribute__((noinline)) void driver_routine_without_try(void)
{
    ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
}

int main(void)
{
    signal(SIGABRT, death_exit);
    if (mdlkit_init(NULL) != 0)
        return 2;
    driver_routine_without_try();
    printf("not reached\n");
    return 0;
}
