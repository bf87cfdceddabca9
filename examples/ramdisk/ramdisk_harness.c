/*
 * ramdisk_harness.c -- plays the disk class driver for the "ramdisk"
 * example miniport (ramdisk.c): loads it, starts the adapter, sends READ(10)
 * and WRITE(10) SRBs on user buffers of every size and page offset (the
 * port driver describes each with an MDL), keeps a shadow copy of the disk
 * and checks every byte read back, sends a few out-of-range requests that
 * must fail, stops the adapter and unloads the driver.
 */
#include <mdlkit.h>
#include <storport.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples.h"
#include "ramdisk.h"

static ULONG rd_rand(ULONG *s)
{
    ULONG x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* One READ(10)/WRITE(10). Returns the SRB status (or 0xFF if it was not
 * completed). */
static UCHAR rd_io(PVOID hw, BOOLEAN write, ULONG lba, ULONG sectors, PUCHAR buf, ULONG len)
{
    SCSI_REQUEST_BLOCK srb;
    memset(&srb, 0, sizeof srb);
    srb.Length = sizeof srb;
    srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
    srb.CdbLength = 10;
    srb.SrbFlags = write ? SRB_FLAGS_DATA_OUT : SRB_FLAGS_DATA_IN;
    srb.DataBuffer = buf;
    srb.DataTransferLength = len;
    srb.TimeOutValue = 10;
    srb.Cdb[0] = write ? SCSIOP_WRITE : SCSIOP_READ;
    srb.Cdb[2] = (UCHAR)(lba >> 24);
    srb.Cdb[3] = (UCHAR)(lba >> 16);
    srb.Cdb[4] = (UCHAR)(lba >> 8);
    srb.Cdb[5] = (UCHAR)lba;
    srb.Cdb[7] = (UCHAR)(sectors >> 8);
    srb.Cdb[8] = (UCHAR)sectors;
    NTSTATUS st = mdlkit_storport_submit(hw, &srb);
    if (st == STATUS_PENDING || st == STATUS_INVALID_PARAMETER || st == STATUS_INVALID_DEVICE_STATE)
        return 0xFF;
    return (UCHAR)SRB_STATUS(srb.SrbStatus);
}

int mdlkit_example_ramdisk_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st)
{
    memset(st, 0, sizeof *st);
    st->example = "ramdisk";
    st->driver = "ramdisk";
    RamDiskDebugFlags = debug_flags;

    /* The shadow copy stays reachable from rd_shadow: a bug check may
     * unwind out of this function (mdlkit_catch_bugcheck). */
    static PUCHAR rd_shadow;
    const size_t disk_bytes = (size_t)RAMDISK_SECTORS * RAMDISK_SECTOR_SIZE;
    free(rd_shadow);
    PUCHAR shadow = rd_shadow = calloc(1, disk_bytes);
    if (!shadow)
        return -1;
    PDRIVER_OBJECT drv = NULL;
    PVOID hw = NULL;
    NTSTATUS s = mdlkit_driver_load(st->driver, RamDiskDriverEntry, &drv);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "ramdisk harness: DriverEntry failed with 0x%08x\n", (unsigned)s);
        return -1;
    }
    s = mdlkit_storport_start_adapter(drv, &hw);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "ramdisk harness: the adapter did not start (0x%08x)\n", (unsigned)s);
        mdlkit_driver_unload(drv);
        return -1;
    }
    ULONG rnd = 0x2545F491u, rejected = 0;
    for (ULONG i = 0; i < requests; i++) {
        /* Every 25th request is out of range and must be rejected. */
        BOOLEAN bad = (i % 25) == 24;
        BOOLEAN write = i < 8 || (rd_rand(&rnd) & 1);
        ULONG sectors = 1 + rd_rand(&rnd) % (RAMDISK_MAX_TRANSFER / RAMDISK_SECTOR_SIZE);
        ULONG lba = bad ? RAMDISK_SECTORS - sectors / 2 : rd_rand(&rnd) % (RAMDISK_SECTORS - sectors + 1);
        ULONG len = sectors * RAMDISK_SECTOR_SIZE;
        ULONG offset = rd_rand(&rnd) % PAGE_SIZE;
        PUCHAR base = mdlkit_user_alloc(offset + len, PAGE_READWRITE);
        if (!base) {
            st->failed++;
            continue;
        }
        PUCHAR buf = base + offset;
        if (write)
            for (ULONG k = 0; k < len; k++)
                buf[k] = (UCHAR)rd_rand(&rnd);
        else
            memset(buf, 0xCC, len);
        UCHAR status = rd_io(hw, write, lba, sectors, buf, len);
        if (bad) {
            if (status == SRB_STATUS_ERROR) {
                rejected++;
                st->requests++;
            } else {
                fprintf(stderr, "ramdisk harness: out-of-range request got SRB status 0x%02x\n", status);
                st->failed++;
            }
        } else if (status != SRB_STATUS_SUCCESS) {
            fprintf(stderr, "ramdisk harness: %s of %u sectors at %u got SRB status 0x%02x\n", write ? "WRITE" : "READ",
                    sectors, lba, status);
            st->failed++;
        } else if (write) {
            memcpy(shadow + (size_t)lba * RAMDISK_SECTOR_SIZE, buf, len);
            st->requests++;
            st->kind[1]++;
            st->bytes += len;
        } else if (memcmp(shadow + (size_t)lba * RAMDISK_SECTOR_SIZE, buf, len) != 0) {
            fprintf(stderr, "ramdisk harness: READ of %u sectors at %u returned wrong data\n", sectors, lba);
            st->failed++;
        } else {
            st->requests++;
            st->kind[0]++;
            st->bytes += len;
        }
        if (!bad && (lba * RAMDISK_SECTOR_SIZE) / RAMDISK_CHUNK_SIZE != (lba * RAMDISK_SECTOR_SIZE + len - 1) / RAMDISK_CHUNK_SIZE &&
            status == SRB_STATUS_SUCCESS)
            st->kind[2]++;
        mdlkit_user_free(base);
    }
    snprintf(st->detail, sizeof st->detail, "%u reads, %u writes (%u split across disk chunks), %u out-of-range rejected",
             st->kind[0], st->kind[1], st->kind[2], rejected);
    s = mdlkit_storport_stop_adapter(hw);
    NTSTATUS u = mdlkit_driver_unload(drv);
    free(rd_shadow);
    rd_shadow = NULL;
    if (!NT_SUCCESS(s) || !NT_SUCCESS(u)) {
        fprintf(stderr, "ramdisk harness: stop 0x%08x, unload 0x%08x\n", (unsigned)s, (unsigned)u);
        return -1;
    }
    return st->failed ? -1 : 0;
}
