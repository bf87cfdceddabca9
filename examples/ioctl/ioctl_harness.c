/*
 * ioctl_harness.c -- plays the application and the I/O manager for the
 * "mdlfill" example driver (ioctl.c).
 *
 * For METHOD_OUT_DIRECT the I/O manager copies the input to a system buffer,
 * describes the caller's output buffer with an MDL attached to the IRP
 * (IoAllocateMdl(..., Irp)), locks it (MmProbeAndLockPages(UserMode,
 * IoWriteAccess)) and sends the IRP; when the driver completes it, the I/O
 * manager unlocks and frees the MDL. For METHOD_NEITHER it passes the user
 * address as is. The harness does exactly that, then checks what landed in
 * the user buffer.
 */
#include <mdlkit.h>

#include <stdio.h>
#include <string.h>

#include "../examples.h"
#include "ioctl.h"

#define HARNESS_SYSBUF_TAG 'bSoI' /* "IoSb": the I/O manager's system buffers */

static ULONG harness_rand(ULONG *state)
{
    ULONG x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static PIRP harness_irp(ULONG code, ULONG in_len, ULONG out_len)
{
    PIRP irp = IoAllocateIrp(1, FALSE);
    if (!irp)
        return NULL;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    sp->Parameters.DeviceIoControl.IoControlCode = code;
    sp->Parameters.DeviceIoControl.InputBufferLength = in_len;
    sp->Parameters.DeviceIoControl.OutputBufferLength = out_len;
    irp->RequestorMode = UserMode;
    return irp;
}

/* DeviceIoControl(IOCTL_MDLFILL_FILL) on a user buffer. */
static int harness_fill(PDRIVER_OBJECT drv, PUCHAR user, ULONG len, ULONG seed)
{
    PIRP irp = harness_irp(IOCTL_MDLFILL_FILL, sizeof(MDLFILL_REQUEST), len);
    PMDLFILL_REQUEST req = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *req, HARNESS_SYSBUF_TAG);
    if (!irp || !req) {
        fprintf(stderr, "ioctl harness: out of memory\n");
        if (irp)
            IoFreeIrp(irp);
        if (req)
            ExFreePoolWithTag(req, HARNESS_SYSBUF_TAG);
        return -1;
    }
    req->Seed = seed;
    irp->AssociatedIrp.SystemBuffer = req;
    irp->UserBuffer = user;
    PMDL mdl = IoAllocateMdl(user, len, FALSE, FALSE, irp); /* becomes irp->MdlAddress */
    volatile NTSTATUS probe = STATUS_SUCCESS;
    if (mdl) {
        MDLKIT_TRY { MmProbeAndLockPages(mdl, UserMode, IoWriteAccess); }
        MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { probe = GetExceptionCode(); }
        MDLKIT_END;
    }
    int rc = -1;
    if (!mdl || !NT_SUCCESS(probe)) {
        fprintf(stderr, "ioctl harness: cannot lock the user buffer (0x%08x)\n", (unsigned)probe);
        if (mdl) {
            irp->MdlAddress = NULL;
            IoFreeMdl(mdl);
        }
    } else {
        NTSTATUS st = mdlkit_driver_call(drv, irp);
        if (irp->MdlAddress != NULL)
            fprintf(stderr, "ioctl harness: the I/O manager did not release the MDL at completion\n");
        else if (!NT_SUCCESS(st) || irp->IoStatus.Status != st || irp->IoStatus.Information != len)
            fprintf(stderr, "ioctl harness: FILL returned 0x%08x, %lu bytes (wanted %u)\n", (unsigned)st,
                    (unsigned long)irp->IoStatus.Information, len);
        else {
            rc = 0;
            for (ULONG i = 0; i < len; i++)
                if (user[i] != MdlFillPatternByte(seed, i)) {
                    fprintf(stderr, "ioctl harness: FILL byte %u is 0x%02x, wanted 0x%02x\n", i, user[i],
                            MdlFillPatternByte(seed, i));
                    rc = -1;
                    break;
                }
        }
    }
    ExFreePoolWithTag(req, HARNESS_SYSBUF_TAG);
    IoFreeIrp(irp);
    return rc;
}

/* DeviceIoControl(IOCTL_MDLFILL_CHECKSUM) on a user buffer. */
static int harness_checksum(PDRIVER_OBJECT drv, PUCHAR user, ULONG len, ULONG *rnd)
{
    ULONG want = 1;
    for (ULONG i = 0; i < len; i++) {
        user[i] = (UCHAR)harness_rand(rnd);
        want = MdlFillChecksumStep(want, user[i]);
    }
    PIRP irp = harness_irp(IOCTL_MDLFILL_CHECKSUM, len, 0);
    if (!irp)
        return -1;
    IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.Type3InputBuffer = user;
    NTSTATUS st = mdlkit_driver_call(drv, irp);
    int rc = 0;
    if (!NT_SUCCESS(st) || irp->IoStatus.Information != want) {
        fprintf(stderr, "ioctl harness: CHECKSUM returned 0x%08x, sum 0x%08lx (wanted 0x%08x)\n", (unsigned)st,
                (unsigned long)irp->IoStatus.Information, want);
        rc = -1;
    }
    IoFreeIrp(irp);
    return rc;
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
            rc = harness_checksum(drv, user, len, &rnd);
            if (!rc)
                st->kind[1]++;
        } else {
            rc = harness_fill(drv, user, len, harness_rand(&rnd));
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
    snprintf(st->detail, sizeof st->detail, "%u METHOD_OUT_DIRECT fills, %u METHOD_NEITHER checksums", st->kind[0],
             st->kind[1]);
    s = mdlkit_driver_unload(drv);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "ioctl harness: unload failed with 0x%08x\n", (unsigned)s);
        return -1;
    }
    return st->failed ? -1 : 0;
}
