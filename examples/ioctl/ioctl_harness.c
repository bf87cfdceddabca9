/*
 * ioctl_harness.c -- plays the application for the "mdlfill" example driver
 * (ioctl.c), through mdlkit's user-mode request API: it opens \\.\MdlFill
 * (the driver's symbolic link) with mdlkit_open and sends DeviceIoControl
 * requests with mdlkit_ioctl, as a Windows program would with CreateFile
 * and DeviceIoControl.
 *
 * mdlkit's I/O manager builds each IRP as Windows builds it for a user-mode
 * caller: for METHOD_OUT_DIRECT it copies the input to a system buffer and
 * describes the output buffer with an MDL it probes and locks (and unlocks
 * and frees at completion); for METHOD_NEITHER it passes the user address
 * as it is. The buffers here come from mdlkit_user_alloc (simulated user
 * memory), so the driver sees them in place; the harness then checks what
 * landed in them.
 */
#include <mdlkit.h>

#include <stdio.h>
#include <string.h>

#include "../examples.h"
#include "ioctl.h"

static ULONG harness_rand(ULONG *state)
{
    ULONG x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* DeviceIoControl(IOCTL_MDLFILL_FILL) into a user buffer. */
static int harness_fill(HANDLE h, PUCHAR user, ULONG len, ULONG seed)
{
    MDLFILL_REQUEST req = {seed, 0};
    ULONG_PTR information = 0;
    NTSTATUS st = mdlkit_ioctl(h, IOCTL_MDLFILL_FILL, &req, sizeof req, user, len, &information);
    if (!NT_SUCCESS(st) || information != len) {
        fprintf(stderr, "ioctl harness: FILL returned 0x%08x, %lu bytes (wanted %u)\n", (unsigned)st,
                (unsigned long)information, len);
        return -1;
    }
    for (ULONG i = 0; i < len; i++)
        if (user[i] != MdlFillPatternByte(seed, i)) {
            fprintf(stderr, "ioctl harness: FILL byte %u is 0x%02x, wanted 0x%02x\n", i, user[i],
                    MdlFillPatternByte(seed, i));
            return -1;
        }
    return 0;
}

/* DeviceIoControl(IOCTL_MDLFILL_CHECKSUM) of a user buffer. */
static int harness_checksum(HANDLE h, PUCHAR user, ULONG len, ULONG *rnd)
{
    ULONG want = 1;
    for (ULONG i = 0; i < len; i++) {
        user[i] = (UCHAR)harness_rand(rnd);
        want = MdlFillChecksumStep(want, user[i]);
    }
    ULONG_PTR information = 0;
    NTSTATUS st = mdlkit_ioctl(h, IOCTL_MDLFILL_CHECKSUM, user, len, NULL, 0, &information);
    if (!NT_SUCCESS(st) || information != want) {
        fprintf(stderr, "ioctl harness: CHECKSUM returned 0x%08x, sum 0x%08lx (wanted 0x%08x)\n", (unsigned)st,
                (unsigned long)information, want);
        return -1;
    }
    return 0;
}

int mdlkit_example_ioctl_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st)
{
    memset(st, 0, sizeof *st);
    st->example = "ioctl";
    st->driver = "mdlfill";
    MdlFillDebugFlags = debug_flags; /* the "registry" value DriverEntry reads */

    PDRIVER_OBJECT drv = NULL;
    NTSTATUS s = mdlkit_driver_load(st->driver, MdlFillDriverEntry, &drv);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "ioctl harness: DriverEntry failed with 0x%08x\n", (unsigned)s);
        return -1;
    }
    HANDLE h = mdlkit_open(MDLFILL_USER_NAME);
    if (!h) {
        fprintf(stderr, "ioctl harness: cannot open %s\n", MDLFILL_USER_NAME);
        mdlkit_driver_unload(drv);
        return -1;
    }
    ULONG rnd = 0x12345678u;
    for (ULONG i = 0; i < requests; i++) {
        /* Lengths from a few bytes to ~3 pages, at every page offset. */
        ULONG len = 1 + harness_rand(&rnd) % (3 * PAGE_SIZE);
        ULONG offset = harness_rand(&rnd) % PAGE_SIZE;
        PUCHAR base = mdlkit_user_alloc(offset + len, PAGE_READWRITE);
        if (!base) {
            fprintf(stderr, "ioctl harness: mdlkit_user_alloc(%u) failed\n", offset + len);
            st->failed++;
            continue;
        }
        PUCHAR user = base + offset;
        memset(user, 0xEE, len);
        int rc;
        if (i % 4 == 3) {
            rc = harness_checksum(h, user, len, &rnd);
            if (!rc)
                st->kind[1]++;
        } else {
            rc = harness_fill(h, user, len, harness_rand(&rnd));
            if (!rc)
                st->kind[0]++;
        }
        if (rc)
            st->failed++;
        else {
            st->requests++;
            st->bytes += len;
        }
        mdlkit_user_free(base);
    }
    mdlkit_close(h);
    snprintf(st->detail, sizeof st->detail, "%u METHOD_OUT_DIRECT fills, %u METHOD_NEITHER checksums", st->kind[0],
             st->kind[1]);
    s = mdlkit_driver_unload(drv);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "ioctl harness: unload failed with 0x%08x\n", (unsigned)s);
        return -1;
    }
    return st->failed ? -1 : 0;
}
