/* harness.c -- runs wppdrv.c's traces before WPP_INIT_TRACING, between it
 * and WPP_CLEANUP, and after, with the DbgPrint filter MDLKIT_DBGPRINT sets. */
#include <ntddk.h>
#include <mdlkit.h>
#include <stdio.h>
#include "wpptrace.h"
#include "harness.tmh"

NTSTATUS WppTestRun(ULONG value, PUNICODE_STRING name);

int main(void)
{
    if (mdlkit_init(NULL) != 0)
        return 1;
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\Wpp");
    fprintf(stderr, "-- before init\n");
    WppTestRun(1, &name);
    WPP_INIT_TRACING(NULL, NULL);
    fprintf(stderr, "-- traced\n");
    WppTestRun(2, &name);
    WPP_CLEANUP(NULL);
    fprintf(stderr, "-- after cleanup\n");
    WppTestRun(3, &name);
    mdlkit_shutdown();
    return 0;
}
