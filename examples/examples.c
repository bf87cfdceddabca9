/*
 * examples.c -- the table of deliberately buggy example variants that
 * `mdlkit demo --bug NAME` runs and tests/test_examples_*.c check.
 */
#include "examples.h"

#include <string.h>

#include "ioctl/ioctl.h"

/* The options `mdlkit demo` runs the correct drivers under. */
#define STANDARD_DEMO_FLAGS                                                                             \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_POOL_TRACKING |    \
     MDLKIT_VERIFY_DDI_COMPLIANCE)
#ifdef MDLKIT_EXAMPLE_HAVE_RAMDISK
#include "ramdisk/ramdisk.h"
#endif
#ifdef MDLKIT_EXAMPLE_HAVE_NETRECV
#include "netrecv/netrecv.h"
#endif

const mdlkit_example_bug mdlkit_example_bugs[] = {
#ifdef MDLKIT_EXAMPLE_HAVE_RAMDISK
    {"leak", "ramdisk",
     "the RAM-disk miniport forgets to free its request context when it rejects an out-of-range request",
     "ramdisk.c: RamDiskReadWrite returns early without StorPortFreePool",
     STANDARD_DEMO_FLAGS, DRIVER_VERIFIER_DETECTED_VIOLATION,
     MDLKIT_RULE_STORPORT_ALLOCATE_POOL2 /* found when the adapter stops, before unload (0x62) */, mdlkit_example_ramdisk_run, RAMDISK_DEBUG_LEAK_ON_ERROR},
#endif
#ifdef MDLKIT_EXAMPLE_HAVE_NETRECV
    {"wrong-tag", "netrecv", "the NDIS miniport frees its receive buffers with the wrong pool tag at halt",
     "netrecv.c: NetRecvFreeBuffers calls NdisFreeMemoryWithTagPriority with NETRECV_TAG_RING", STANDARD_DEMO_FLAGS,
     BAD_POOL_CALLER, 0x0A, mdlkit_example_netrecv_run, NETRECV_DEBUG_WRONG_TAG},
#endif
    {"paged-at-dispatch", "ioctl",
     "the WDM driver keeps its request history in paged pool and updates it under a spin lock",
     "ioctl.c: MdlFillRecord writes the history at DISPATCH_LEVEL",
     STANDARD_DEMO_FLAGS, /* special pool's paged blocks are trimmed by force IRQL checking too */
     DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, mdlkit_example_ioctl_run, MDLFILL_DEBUG_PAGED_HISTORY},
    {"double-unlock", "ioctl", "the WDM driver unlocks the caller's locked user buffer twice",
     "ioctl.c: MdlFillChecksum calls MmUnlockPages, then again in its cleanup", STANDARD_DEMO_FLAGS, PROCESS_HAS_LOCKED_PAGES, 0x01,
     mdlkit_example_ioctl_run, MDLFILL_DEBUG_EARLY_UNLOCK},
};
const size_t mdlkit_example_bug_count = sizeof mdlkit_example_bugs / sizeof mdlkit_example_bugs[0];

const mdlkit_example_bug *mdlkit_example_find_bug(const char *name)
{
    for (size_t i = 0; i < mdlkit_example_bug_count; i++)
        if (!strcmp(mdlkit_example_bugs[i].name, name))
            return &mdlkit_example_bugs[i];
    return NULL;
}
