/*
 * examples.h -- the harnesses of the three example drivers (the side that
 * plays Windows: loads the driver, sends it requests, plays the device,
 * checks the data). Used by `mdlkit demo` and by tests/test_examples_*.c.
 *
 * The drivers themselves (ioctl/ioctl.c, ramdisk/ramdisk.c,
 * netrecv/netrecv.c) include WDK headers only. Each one's DriverEntry is
 * renamed at compile time (examples/CMakeLists.txt) so the three can live in
 * one program.
 */
#ifndef MDLKIT_EXAMPLES_H
#define MDLKIT_EXAMPLES_H

#include <mdlkit.h>

/* The renamed DriverEntry routines. */
DRIVER_INITIALIZE MdlFillDriverEntry;  /* ioctl/ioctl.c */
DRIVER_INITIALIZE RamDiskDriverEntry;  /* ramdisk/ramdisk.c */
DRIVER_INITIALIZE NetRecvDriverEntry;  /* netrecv/netrecv.c */

/* What a harness run did. */
typedef struct mdlkit_example_stats {
    const char *example;  /* "ioctl", "ramdisk", "netrecv" */
    const char *driver;   /* the name the driver was loaded under */
    ULONG requests;       /* requests served with correct data */
    ULONG failed;         /* requests that failed or returned wrong data */
    ULONG64 bytes;        /* payload bytes moved */
    ULONG kind[3];        /* per example: ioctl fill/checksum/-, ramdisk read/write/split, netrecv frames/ring wraps/- */
    char detail[160];     /* one line naming kind[] */
} mdlkit_example_stats;

/* Each run loads the driver with its debug knob set to `debug_flags` (0 =
 * the correct driver), sends `requests` requests, checks every byte, stops
 * the adapter and unloads the driver (where pool tracking checks for
 * leaks). The machine must be initialised. Returns 0 if every request was
 * served with correct data, -1 otherwise (the reason on stderr). A bug
 * check inside is raised as usual (abort, or caught by
 * mdlkit_catch_bugcheck). */
int mdlkit_example_ioctl_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st);
int mdlkit_example_ramdisk_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st);
int mdlkit_example_netrecv_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st);

/* The requests `mdlkit demo` sends to each example. */
#define MDLKIT_EXAMPLE_DEMO_REQUESTS 400u

/* The deliberately buggy variants. */
typedef struct mdlkit_example_bug {
    const char *name;       /* what `mdlkit demo --bug NAME` takes */
    const char *example;    /* which driver */
    const char *summary;    /* one line: the bug */
    const char *source;     /* the offending line, as "file: what it does" */
    ULONG verifier_flags;   /* the verifier options it runs under (MDLKIT_VERIFIER overrides) */
    ULONG code;             /* the bug check it must produce */
    ULONG_PTR p1;           /* its parameter 1 (0xD1: the address, not checked) */
    int (*run)(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st);
    ULONG debug_flags;
} mdlkit_example_bug;

extern const mdlkit_example_bug mdlkit_example_bugs[];
extern const size_t mdlkit_example_bug_count;
/* The bug called `name`, or NULL. */
const mdlkit_example_bug *mdlkit_example_find_bug(const char *name);

#endif
