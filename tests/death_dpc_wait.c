/* expect: BUG CHECK 0x000000B8 ATTEMPTED_SWITCH_FROM_DPC */
/* A DPC routine that waits (with a timeout that is not zero) would switch
 * threads on a processor that is running a DPC: bug check 0xB8, raised on
 * the simulated processor's thread, where no harness can catch it. */
#include <mdlkit.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void death_exit(int sig)
{
    (void)sig;
    _exit(70);
}

static KEVENT g_never;

static void waiting_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    (void)ctx;
    (void)a1;
    (void)a2;
    LARGE_INTEGER t = {.QuadPart = -10000}; /* 1 ms: not a poll */
    KeWaitForSingleObject(&g_never, Executive, KernelMode, FALSE, &t);
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
    KeInitializeEvent(&g_never, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeDpc(&dpc, waiting_dpc, NULL);
    KeInsertQueueDpc(&dpc, NULL, NULL);
    KeFlushQueuedDpcs();
    printf("not reached\n");
    mdlkit_shutdown();
    return 0;
}
