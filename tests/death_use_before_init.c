/* expect: KeGetCurrentIrql was called before mdlkit_init.*mdlkit_init.NULL. */
/* Calling a DDI before the simulated machine exists is a clear error. */
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

int main(void)
{
    signal(SIGABRT, death_exit);
    KIRQL irql = KeGetCurrentIrql();
    printf("not reached: %u\n", irql);
    return 0;
}
