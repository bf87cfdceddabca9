/*
 * mdlkit_storport.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: acting as PnP and as the class driver above a StorPort
 * miniport: start an adapter on a device model, send SCSI commands with
 * data buffers described by MDLs, collect completions with SRB status and
 * sense data, reset, stop and remove. The contract is documented in
 * docs/storport.md. (mdlkit_storport_start_adapter / _stop_adapter /
 * _submit, for miniports without hardware, are in mdlkit.h.)
 */
#ifndef MDLKIT_HARNESS_STORPORT_H
#define MDLKIT_HARNESS_STORPORT_H

/* 0xC4 parameter 1 values of StorPort's run-time checks (docs/rules.md).
 * P2 points to a sentence; P3 / P4 per rule. */
#define MDLKIT_RULE_STORPORT_COMPLETED_SRB_USED 0x00A10009UL  /* P3 = SRB, P4 = the routine (const char *) */
#define MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED 0x00A1000AUL   /* P3 = address, P4 = access width */
#define MDLKIT_RULE_STORPORT_LOCK_ORDER 0x00A1000BUL          /* P3 = lock asked for, P4 = lock held (STOR_SPINLOCK) */
#define MDLKIT_RULE_STORPORT_LOCK_STATE 0x00A1000CUL          /* P3 = lock, P4 = 1 release not held / 2 held twice / 3 held at return */
#define MDLKIT_RULE_STORPORT_DPC 0x00A1000DUL                 /* P3 = STOR_DPC, P4 = 1 not initialised / 2 freed while queued */
#define MDLKIT_RULE_STORPORT_DEPRECATED 0x00A1000EUL          /* P3 = 1 StorPortValidateRange, P4 = 0 */
#define MDLKIT_RULE_STORPORT_NOTIFICATION2 0x00A1000FUL       /* P3 = the notification type, P4 = 0 */
#define MDLKIT_RULE_STORPORT_ENABLE_PASSIVE 0x00A10010UL      /* P3 = the routine asked for, P4 = 0 */
#define MDLKIT_RULE_STORPORT_STATUS_PENDING 0x00A10011UL      /* P3 = SRB, P4 = 0 */
#define MDLKIT_RULE_STORPORT_STARTIO 0x00A10012UL             /* P3 = the stall (microseconds), P4 = 0 */

/* ------------------------------------------------------------------------
 * Adapters on devices
 * ---------------------------------------------------------------------- */
struct mdlkit_pci_device;
/* PnP start of a miniport (whose DriverEntry called StorPortInitialize) on
 * a PCI function: the function's BARs become the ACCESS_RANGEs, its bus
 * slot SystemIoBusNumber/SlotNumber, MSI-X is enabled if the function has
 * it and the miniport set HwMSInterruptRoutine; then HwFindAdapter
 * (PASSIVE_LEVEL), HwInitialize (DIRQL) and HwPassiveInitializeRoutine
 * (PASSIVE_LEVEL) run, as StorPort runs them. Returns STATUS_SUCCESS and
 * *hw_device_extension, STATUS_NO_SUCH_DEVICE (SP_RETURN_NOT_FOUND),
 * STATUS_UNSUCCESSFUL (HwFindAdapter error or HwInitialize / passive
 * initialisation FALSE), STATUS_INVALID_PARAMETER, or
 * STATUS_INVALID_DEVICE_STATE (not a StorPort miniport, not at
 * PASSIVE_LEVEL, or the function already has an adapter). */
NTSTATUS mdlkit_storport_start_device(PDRIVER_OBJECT driver, struct mdlkit_pci_device *dev,
                                      PVOID *hw_device_extension);
/* Surprise-free removal: SRB_FUNCTION_PNP StorRemoveDevice to the miniport
 * (adapter request), then the stop of mdlkit_storport_stop_adapter
 * (ScsiStopAdapter, HwFreeAdapterResources, leak check). */
NTSTATUS mdlkit_storport_remove_adapter(PVOID hw_device_extension);

/* ------------------------------------------------------------------------
 * SCSI requests
 * ---------------------------------------------------------------------- */
#define MDLKIT_SCSI_NO_DATA 0
#define MDLKIT_SCSI_DATA_IN 1  /* device to buffer (READ, INQUIRY, ...) */
#define MDLKIT_SCSI_DATA_OUT 2 /* buffer to device (WRITE, UNMAP, ...) */

typedef struct mdlkit_scsi_request {
    /* in */
    UCHAR cdb[16];
    UCHAR cdb_length;        /* 6, 10, 12 or 16 */
    UCHAR path_id, target_id, lun;
    int direction;           /* MDLKIT_SCSI_* */
    void *data;              /* any buffer: host, pool, user; described by an MDL for the miniport */
    ULONG data_length;
    ULONG timeout_seconds;   /* SRB TimeOutValue (0 = 10) */
    ULONG srb_flags;         /* extra SRB_FLAGS_* */
    /* out */
    UCHAR srb_status;        /* SRB_STATUS_* as completed, with the AUTOSENSE_VALID bit */
    UCHAR scsi_status;       /* SCSISTAT_* */
    UCHAR sense[32];         /* sense data (valid when srb_status has SRB_STATUS_AUTOSENSE_VALID) */
    UCHAR sense_length;
    ULONG transferred;       /* DataTransferLength at completion */
} mdlkit_scsi_request;

typedef struct mdlkit_storport_io mdlkit_storport_io;

/* Sends the request as the class driver would: the port builds the SRB
 * (STORAGE_REQUEST_BLOCK with a BTL8 address and a CDB16/CDB32 block when
 * the miniport set SRB_TYPE_FLAG_STORAGE_REQUEST_BLOCK, else a
 * SCSI_REQUEST_BLOCK), an IRP whose MdlAddress describes the buffer, the
 * SRB extension and the sense buffer, then runs HwBuildIo and HwStartIo
 * at DISPATCH_LEVEL. Returns NULL with *status set if the request could
 * not be sent (STATUS_INVALID_PARAMETER, STATUS_INVALID_DEVICE_STATE,
 * STATUS_INSUFFICIENT_RESOURCES, or the probe's exception). Call at
 * PASSIVE_LEVEL. The request structure must stay valid until completion. */
mdlkit_storport_io *mdlkit_storport_send(PVOID hw_device_extension, mdlkit_scsi_request *req, NTSTATUS *status);
/* Delivers pending device interrupts and DPCs, then waits (polling, at
 * most timeout_ms of the caller's time) for the request to complete. On
 * completion fills the out fields, releases the request and returns the
 * NTSTATUS of its SRB status; STATUS_TIMEOUT leaves it outstanding. */
NTSTATUS mdlkit_storport_wait(mdlkit_storport_io *io, ULONG timeout_ms);
/* send + wait (10 s). */
NTSTATUS mdlkit_storport_scsi(PVOID hw_device_extension, mdlkit_scsi_request *req);
/* What the port and disk.sys do when a LUN appears: INQUIRY (36 bytes),
 * then READ CAPACITY (10), and READ CAPACITY (16) when the disk is too big
 * for it. Returns the NTSTATUS of the first command that fails, else
 * STATUS_SUCCESS with *out filled. */
typedef struct mdlkit_storport_lun {
    UCHAR inquiry[36];
    ULONG block_size;
    ULONG64 last_lba;
} mdlkit_storport_lun;
NTSTATUS mdlkit_storport_enumerate_lun(PVOID hw_device_extension, UCHAR path_id, UCHAR target_id, UCHAR lun,
                                       mdlkit_storport_lun *out);
/* Delivers pending interrupts and the DPCs they queue (the processor
 * taking its interrupts). Returns how many interrupts were delivered. */
ULONG mdlkit_storport_poll(PVOID hw_device_extension);
/* Requests sent and not completed. */
ULONG mdlkit_storport_outstanding(PVOID hw_device_extension);

/* Bus reset (SRB_FUNCTION_RESET_BUS path: HwResetBus at DISPATCH_LEVEL
 * holding the StartIo lock, as StorPort calls it; then
 * requests still outstanding are completed with SRB_STATUS_BUS_RESET by
 * the port if the miniport did not complete them). Returns STATUS_SUCCESS
 * if HwResetBus returned TRUE. */
NTSTATUS mdlkit_storport_reset(PVOID hw_device_extension);

/* Advances the adapter's timer clock by usec microseconds and runs the
 * HW_TIMER / HW_TIMER_EX callbacks that fall due (in due order). Timers
 * run on no clock of their own, so tests stay free of timing. */
void mdlkit_storport_advance_timers(PVOID hw_device_extension, ULONG64 usec);

/* Registry values the miniport reads with StorPortRegistryRead (Global 0:
 * the adapter's Parameters\Device key, 1: the driver's Parameters key).
 * type is REG_SZ (1), REG_BINARY (3) or REG_DWORD (4); NULL data removes
 * the value. Returns 0, or -1 (bad argument / out of memory). */
int mdlkit_storport_set_registry(PDRIVER_OBJECT driver, int global, const char *name, ULONG type,
                                 const void *data, ULONG length);
/* Reads back what the miniport wrote with StorPortRegistryWrite: bytes
 * copied, or -1 if there is no such value. */
int mdlkit_storport_get_registry(PDRIVER_OBJECT driver, int global, const char *name, ULONG *type, void *data,
                                 ULONG length);

/* What the port knows of the adapter, for assertions. */
typedef struct mdlkit_storport_info {
    ULONG queue_depth;        /* StorPortSetDeviceQueueDepth of LUN 0 (0 = never set) */
    ULONG busy_requests;      /* StorPortBusy count in force (0 = ready) */
    int paused;               /* StorPortPause in force */
    ULONG errors_logged;      /* StorPortLogError / StorPortLogSystemEvent calls */
    ULONG last_error_code;    /* ErrorCode of the last one */
    ULONG msix_messages;      /* message interrupts granted (0 = line interrupt) */
    ULONG interrupts;         /* interrupts delivered */
    ULONG dpcs;               /* DPCs run */
    ULONG state_changes;      /* StorPortStateChangeDetected calls */
} mdlkit_storport_info;
int mdlkit_storport_get_info(PVOID hw_device_extension, mdlkit_storport_info *out);

/* Name of a SCSI operation code (also in <scsi.h>). */
const char *mdlkit_scsiop_name(UCHAR opcode);

#endif /* MDLKIT_HARNESS_STORPORT_H */
