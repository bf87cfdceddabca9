/* expect: BUG CHECK 0x000000C8 IRQL_UNEXPECTED_VALUE */
/* A DPC routine that returns at another IRQL than it was called at
 * (DISPATCH_LEVEL): bug check 0xC8 on the simulated processor. */
#include <mdlkit.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void death_exit(int sig)
{
    (void)sig;
    _exit(70);
}

static void raising_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    (void)ctx;
    (void)a1;
    (void)a2;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old); /* never lowered */
}

int main(void)
{
    signal(SIGABRT, death_exit);
    mdlkit_config c;
    mdlkit_config_default(&c);
    c.physical_memory = (size_t)64 << 20;
    c.report_path = NULL;
    if (mdlkit_init(&c))
        return 1;
    KDPC dpc;
    KeInitializeDpc(&dpc, raising_dpc, NULL);
    KeInsertQueueDpc(&dpc, NULL, NULL);
    KeFlushQueuedDpcs();
    printf("not reached\n");
    mdlkit_shutdown();
    return 0;
}
