/*
 * adapter.c -- StorPort adapter hosting: StorPortInitialize, the adapter
 * table, start (with or without a device model), passive initialisation,
 * interrupt delivery, stop, removal, driver unload and shutdown.
 * Choices where the documentation is silent are in docs/ddi-notes.md
 * ("StorPort").
 */
#include "sp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SP_ADAPTER_MAGIC 0x53704164U /* "dApS" */
#define SP_STATUS_REVISION_MISMATCH ((NTSTATUS)0xC0000059L)

_Atomic(mk_sp_adapter *) mk_sp_adapters[MK_SP_MAX_ADAPTERS];
pthread_mutex_t mk_sp_global = PTHREAD_MUTEX_INITIALIZER;
mk_sp_driver *mk_sp_drivers;

mk_sp_adapter *mk_sp_find(PVOID ext)
{
    if (!ext)
        return NULL;
    for (int i = 0; i < MK_SP_MAX_ADAPTERS; i++) {
        mk_sp_adapter *a = atomic_load_explicit(&mk_sp_adapters[i], memory_order_acquire);
        if (a && a->ext == ext)
            return a;
    }
    return NULL;
}

mk_sp_adapter *mk_sp_find_or_report(PVOID ext, ULONG who)
{
    mk_sp_adapter *a = mk_sp_find(ext);
    if (MK_UNLIKELY(!a))
        mk_violation(MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION,
                     "A StorPort routine was given a HwDeviceExtension that is not the device extension of a "
                     "started adapter",
                     (ULONG_PTR)ext, who);
    return a;
}

POOL_TYPE mk_sp_nonpaged_type(void) { return mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool; }

KIRQL mk_sp_raise(KIRQL to)
{
    KIRQL old = KeGetCurrentIrql();
    if (to > old)
        KfRaiseIrql(to);
    return old;
}

void mk_sp_lower(KIRQL old)
{
    if (KeGetCurrentIrql() != old)
        KeLowerIrql(old);
}

/* ------------------------------------------------------------------------
 * StorPortInitialize
 * ---------------------------------------------------------------------- */
ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2, struct _HW_INITIALIZATION_DATA *HwInitializationData,
                         PVOID HwContext)
{
    MK_ENTER("StorPortInitialize");
    (void)Argument2;
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortInitialize must be called at PASSIVE_LEVEL (from DriverEntry)",
                     mk_irql(), 0);
    mk_driver *d = mk_driver_from_object((PDRIVER_OBJECT)Argument1);
    if (!d || !HwInitializationData)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (HwInitializationData->HwInitializationDataSize < sizeof(HW_INITIALIZATION_DATA))
        return (ULONG)SP_STATUS_REVISION_MISMATCH;
    if (!HwInitializationData->HwFindAdapter || !HwInitializationData->HwInitialize ||
        !HwInitializationData->HwStartIo || !HwInitializationData->HwResetBus)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (d->model != MK_MODEL_WDM && d->model != MK_MODEL_STORPORT)
        return (ULONG)STATUS_INVALID_DEVICE_STATE;
    mk_sp_driver *s = d->port;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
        s->drv = d;
        pthread_mutex_lock(&mk_sp_global);
        s->next = mk_sp_drivers;
        mk_sp_drivers = s;
        pthread_mutex_unlock(&mk_sp_global);
        d->port = s;
    }
    s->hw = *HwInitializationData;
    s->hw_context = HwContext;
    d->model = MK_MODEL_STORPORT;
    return (ULONG)STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Interrupt delivery
 * ---------------------------------------------------------------------- */
ULONG mk_sp_deliver(mk_sp_adapter *a)
{
    ULONG delivered = 0;
    if (!a || mk_irql() > DISPATCH_LEVEL || mk_sp_locks_held())
        return 0;
    for (;;) {
        int expected = 0;
        if (!atomic_compare_exchange_strong(&a->delivering, &expected, 1))
            return delivered; /* another thread is delivering; it loops until nothing is pending */
        ULONG msg;
        int any = 0;
        while (a->dev && a->phase >= MK_SP_PHASE_INITIALIZE && mk_pci_take_interrupt(a->dev, &msg)) {
            any = 1;
            mk_sp_driver *s = a->spd;
            int msi = a->msix_messages != 0 && a->config.HwMSInterruptRoutine != NULL;
            int per_message = msi && a->config.InterruptSynchronizationMode == InterruptSynchronizePerMessage;
            KIRQL old = mk_sp_raise(MK_SP_DIRQL);
            mk_sp_isr_lock(a, msg, per_message);
            mk_port_frame f;
            mk_port_call_miniport(&f, s->drv);
            if (msi)
                a->config.HwMSInterruptRoutine(a->ext, msg);
            else if (s->hw.HwInterrupt)
                s->hw.HwInterrupt(a->ext);
            mk_port_return_from_miniport(&f);
            mk_sp_isr_unlock(a, msg, per_message);
            mk_sp_lower(old);
            pthread_mutex_lock(&a->lock);
            a->info.interrupts++;
            pthread_mutex_unlock(&a->lock);
            delivered++;
            mk_sp_run_dpcs(a);
        }
        if (mk_sp_run_dpcs(a))
            any = 1;
        if (a->phase == MK_SP_PHASE_RUNNING && mk_sp_start_held(a))
            any = 1;
        atomic_store(&a->delivering, 0);
        mk_sp_reap(a);
        if (!any)
            return delivered;
    }
}

/* ------------------------------------------------------------------------
 * Start
 * ---------------------------------------------------------------------- */
static void sp_fill_config(mk_sp_adapter *a, mk_sp_driver *s, ULONG nranges)
{
    PORT_CONFIGURATION_INFORMATION *c = &a->config;
    c->Length = sizeof *c;
    c->AdapterInterfaceType = s->hw.AdapterInterfaceType;
    c->InterruptMode = LevelSensitive;
    c->MaximumTransferLength = SP_UNINITIALIZED_VALUE;
    c->NumberOfPhysicalBreaks = SP_UNINITIALIZED_VALUE;
    c->DmaChannel = SP_UNINITIALIZED_VALUE;
    c->DmaPort = SP_UNINITIALIZED_VALUE;
    c->NumberOfAccessRanges = nranges;
    c->AccessRanges = (ACCESS_RANGE(*)[])a->ranges;
    c->NumberOfBuses = 1;
    c->InitiatorBusId[0] = SP_UNTAGGED;
    c->MaximumNumberOfTargets = 8;
    c->MaximumNumberOfLogicalUnits = 8;
    c->MapBuffers = s->hw.MapBuffers;
    c->NeedPhysicalAddresses = s->hw.NeedPhysicalAddresses;
    c->TaggedQueuing = s->hw.TaggedQueuing;
    c->AutoRequestSense = s->hw.AutoRequestSense;
    c->MultipleRequestPerLu = s->hw.MultipleRequestPerLu;
    c->ReceiveEvent = s->hw.ReceiveEvent;
    c->DeviceExtensionSize = s->hw.DeviceExtensionSize;
    c->SpecificLuExtensionSize = s->hw.SpecificLuExtensionSize;
    c->SrbExtensionSize = s->hw.SrbExtensionSize;
    c->SynchronizationModel = StorSynchronizeHalfDuplex;
    c->FeatureSupport = s->hw.FeatureSupport;
    /* A 64-bit system: the port offers 64-bit addressing; the miniport
     * answers SCSI_DMA64_MINIPORT_SUPPORTED (or FULL64BIT) if it takes it. */
    c->Dma64BitAddresses = SCSI_DMA64_SYSTEM_SUPPORTED;
    c->SrbType = (s->hw.SrbTypeFlags & SRB_TYPE_FLAG_STORAGE_REQUEST_BLOCK) ? SRB_TYPE_STORAGE_REQUEST_BLOCK
                                                                           : SRB_TYPE_SCSI_REQUEST_BLOCK;
    if (a->dev) {
        c->SystemIoBusNumber = 0;
        c->SlotNumber = mdlkit_pci_slot(a->dev);
        c->AdapterInterfaceType = PCIBus;
        c->BusInterruptLevel = mk_pci_interrupt_pin(a->dev) ? 11 : 0;
        c->BusInterruptVector = mk_pci_interrupt_pin(a->dev) ? 0x50 : 0;
        mk_pci_range r[6];
        ULONG n = mk_pci_ranges(a->dev, r, 6);
        for (ULONG i = 0; i < n && i < nranges; i++) {
            a->ranges[i].RangeStart.QuadPart = (LONGLONG)r[i].start;
            a->ranges[i].RangeLength = r[i].length;
            a->ranges[i].RangeInMemory = !r[i].io;
        }
    }
}

static void sp_destroy(mk_sp_adapter *a);

static void sp_report_leaks(size_t leaks, PVOID ext)
{
    if (leaks)
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL2,
                     "The adapter stopped with memory it allocated through StorPort still outstanding (each leak "
                     "is listed below)",
                     (ULONG_PTR)leaks, (ULONG_PTR)ext);
}

/* Frees what the adapter holds; returns the miniport's leaks. */
static size_t sp_teardown(mk_sp_adapter *a)
{
    mk_sp_abort_all(a, SRB_STATUS_ABORTED);
    size_t leaks = mk_sp_memory_leaks(a);
    mk_sp_registers_release(a);
    if (a->dev) {
        mk_pci_disable(a->dev);
        mk_pci_set_owner(a->dev, NULL);
    }
    mk_sp_memory_release(a);
    return leaks;
}

static void sp_destroy(mk_sp_adapter *a)
{
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    if (a->ext)
        mk_ex_free(a->ext, MK_SP_EXT_TAG, NULL);
    mk_port_end();
    mk_driver_leave(old);
    for (int i = 0; i < MK_SP_MAX_ADAPTERS; i++) {
        mk_sp_adapter *exp = a;
        atomic_compare_exchange_strong(&mk_sp_adapters[i], &exp, NULL);
    }
    a->magic = 0;
    free(a->ranges);
    mk_sp_locks_destroy(a);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static NTSTATUS sp_start(PDRIVER_OBJECT driver, mdlkit_pci_device *dev, PVOID *hw_device_extension)
{
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    if (!hw_device_extension)
        return STATUS_INVALID_PARAMETER;
    *hw_device_extension = NULL;
    mk_driver *d = mk_driver_from_object(driver);
    if (!d)
        return STATUS_INVALID_PARAMETER;
    if (d->model != MK_MODEL_STORPORT || !d->port || mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    if (dev && mk_pci_owner(dev))
        return STATUS_INVALID_DEVICE_STATE;
    mk_sp_driver *s = d->port;
    mk_sp_adapter *a = calloc(1, sizeof *a);
    if (!a)
        return STATUS_INSUFFICIENT_RESOURCES;
    a->magic = SP_ADAPTER_MAGIC;
    a->spd = s;
    a->dev = dev;
    pthread_mutex_init(&a->lock, NULL);
    mk_sp_locks_init(a);
    ULONG n = s->hw.NumberOfAccessRanges;
    if (dev) {
        mk_pci_range r[6];
        ULONG have = mk_pci_ranges(dev, r, 6);
        if (n < have)
            n = have;
    }
    a->ranges = calloc(n ? n : 1, sizeof(ACCESS_RANGE));
    SIZE_T ext_size = s->hw.DeviceExtensionSize ? s->hw.DeviceExtensionSize : 16;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    a->ext = mk_ex_allocate(mk_sp_nonpaged_type(), ext_size, MK_SP_EXT_TAG, NormalPoolPriority, 1, NULL);
    mk_port_end();
    mk_driver_leave(old);
    int slot = -1;
    if (a->ext && a->ranges)
        for (int i = 0; i < MK_SP_MAX_ADAPTERS && slot < 0; i++) {
            mk_sp_adapter *exp = NULL;
            if (atomic_compare_exchange_strong(&mk_sp_adapters[i], &exp, a))
                slot = i;
        }
    if (slot < 0) {
        sp_destroy(a);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (dev) {
        mk_pci_set_owner(dev, a);
        /* PnP enables the function; message interrupts are granted when the
         * function has MSI-X (the miniport's HwMSInterruptRoutine decides
         * whether they are used). */
        a->msix_messages = mk_pci_msix_vectors(dev);
        if (a->msix_messages > MK_SP_MAX_MSI)
            a->msix_messages = MK_SP_MAX_MSI;
        mk_pci_enable(dev, a->msix_messages != 0);
        a->info.msix_messages = a->msix_messages;
    }
    sp_fill_config(a, s, n);

    /* HwFindAdapter at PASSIVE_LEVEL. */
    a->phase = MK_SP_PHASE_FINDADAPTER;
    BOOLEAN again = FALSE;
    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    ULONG found = s->hw.HwFindAdapter(a->ext, s->hw_context, NULL, NULL, &a->config, &again);
    mk_port_return_from_miniport(&f);
    mk_sp_check_no_locks(a, 0);
    if (found != SP_RETURN_FOUND) {
        PVOID ext = a->ext;
        size_t leaks = sp_teardown(a);
        sp_destroy(a);
        sp_report_leaks(leaks, ext);
        return found == SP_RETURN_NOT_FOUND ? STATUS_NO_SUCH_DEVICE : STATUS_UNSUCCESSFUL;
    }
    if (a->msix_messages && !a->config.HwMSInterruptRoutine)
        mk_pci_enable(dev, 0); /* no message routine: the line interrupt */
    if (a->dev && !a->config.HwMSInterruptRoutine)
        a->msix_messages = 0;

    /* HwInitialize at the (simulated) device IRQL, under the interrupt lock. */
    a->phase = MK_SP_PHASE_INITIALIZE;
    KIRQL oldirql = mk_sp_raise(MK_SP_DIRQL);
    mk_port_call_miniport(&f, d);
    BOOLEAN ok = s->hw.HwInitialize(a->ext);
    mk_port_return_from_miniport(&f);
    mk_sp_lower(oldirql);
    mk_sp_check_no_locks(a, 0);
    if (ok && a->passive_init) {
        /* HwPassiveInitializeRoutine at PASSIVE_LEVEL, after HwInitialize. */
        a->phase = MK_SP_PHASE_PASSIVE_INIT;
        mk_port_call_miniport(&f, d);
        ok = a->passive_init(a->ext);
        mk_port_return_from_miniport(&f);
        mk_sp_check_no_locks(a, 0);
    }
    if (!ok) {
        PVOID ext = a->ext;
        size_t leaks = sp_teardown(a);
        sp_destroy(a);
        sp_report_leaks(leaks, ext);
        return STATUS_UNSUCCESSFUL;
    }
    a->phase = MK_SP_PHASE_RUNNING;
    mk_sp_deliver(a); /* e.g. a configuration-change interrupt raised during initialisation */
    *hw_device_extension = a->ext;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_storport_start_adapter(PDRIVER_OBJECT driver, PVOID *hw_device_extension)
{
    MK_ENTER("mdlkit_storport_start_adapter");
    return sp_start(driver, NULL, hw_device_extension);
}

NTSTATUS mdlkit_storport_start_device(PDRIVER_OBJECT driver, struct mdlkit_pci_device *dev, PVOID *hw_device_extension)
{
    MK_ENTER("mdlkit_storport_start_device");
    if (!dev) {
        if (hw_device_extension)
            *hw_device_extension = NULL;
        return STATUS_INVALID_PARAMETER;
    }
    return sp_start(driver, dev, hw_device_extension);
}

/* ------------------------------------------------------------------------
 * Stop and removal
 * ---------------------------------------------------------------------- */
/* ScsiStopAdapter through HwAdapterControl, if the miniport supports it. */
static void sp_stop_miniport(mk_sp_adapter *a)
{
    mk_sp_driver *s = a->spd;
    if (!s->hw.HwAdapterControl)
        goto free_resources;
    union {
        SCSI_SUPPORTED_CONTROL_TYPE_LIST l;
        UCHAR room[sizeof(SCSI_SUPPORTED_CONTROL_TYPE_LIST) + ScsiAdapterControlMax + 1];
    } q;
    memset(&q, 0, sizeof q);
    q.l.MaxControlType = ScsiAdapterControlMax;
    mk_port_frame f;
    mk_port_call_miniport(&f, s->drv);
    s->hw.HwAdapterControl(a->ext, ScsiQuerySupportedControlTypes, &q.l);
    mk_port_return_from_miniport(&f);
    if (q.l.SupportedTypeList[ScsiStopAdapter]) {
        KIRQL oldirql = mk_sp_raise(MK_SP_DIRQL);
        mk_port_call_miniport(&f, s->drv);
        s->hw.HwAdapterControl(a->ext, ScsiStopAdapter, NULL);
        mk_port_return_from_miniport(&f);
        mk_sp_lower(oldirql);
    }
free_resources:
    /* Then, at PASSIVE_LEVEL, the place to free what the miniport
     * allocated through StorPort (docs/ddi-notes.md). */
    if (s->hw.HwFreeAdapterResources) {
        mk_port_frame g;
        mk_port_call_miniport(&g, s->drv);
        s->hw.HwFreeAdapterResources(a->ext);
        mk_port_return_from_miniport(&g);
    }
    mk_sp_check_no_locks(a, 0);
}

NTSTATUS mdlkit_storport_stop_adapter(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_stop_adapter");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL || a->phase != MK_SP_PHASE_RUNNING)
        return STATUS_INVALID_DEVICE_STATE;
    mk_sp_deliver(a);
    a->phase = MK_SP_PHASE_STOPPING;
    sp_stop_miniport(a);
    size_t leaks = sp_teardown(a);
    sp_destroy(a);
    sp_report_leaks(leaks, hw_device_extension);
    return STATUS_SUCCESS;
}

void mk_storport_driver_unloading(mk_driver *d)
{
    for (int i = 0; i < MK_SP_MAX_ADAPTERS; i++) {
        mk_sp_adapter *a = atomic_load(&mk_sp_adapters[i]);
        if (a && a->spd && a->spd->drv == d && a->phase == MK_SP_PHASE_RUNNING)
            mdlkit_storport_stop_adapter(a->ext);
    }
}

void mk_storport_shutdown(void)
{
    /* The machine is going away: drop the records (the memory itself goes
     * with the machine). */
    for (int i = 0; i < MK_SP_MAX_ADAPTERS; i++) {
        mk_sp_adapter *a = atomic_exchange(&mk_sp_adapters[i], NULL);
        if (!a)
            continue;
        for (mk_sp_request *r = a->requests, *n; r; r = n) {
            n = r->next;
            free(r);
        }
        if (a->dev)
            mk_pci_set_owner(a->dev, NULL);
        mk_pci_unmap_owner(a);
        free(a->ranges);
        mk_sp_locks_destroy(a);
        pthread_mutex_destroy(&a->lock);
        free(a);
    }
    pthread_mutex_lock(&mk_sp_global);
    mk_sp_driver *s = mk_sp_drivers;
    mk_sp_drivers = NULL;
    pthread_mutex_unlock(&mk_sp_global);
    while (s) {
        mk_sp_driver *n = s->next;
        mk_sp_registry_free(s);
        free(s);
        s = n;
    }
}

static struct timespec sp_boot;
void mk_storport_init(void) { clock_gettime(CLOCK_MONOTONIC, &sp_boot); }

LONGLONG mk_sp_tick_count(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = (long long)(now.tv_sec - sp_boot.tv_sec) * 1000000000LL + (now.tv_nsec - sp_boot.tv_nsec);
    return ns / 15625000LL; /* 15.625 ms ticks */
}

int mdlkit_storport_get_info(PVOID hw_device_extension, mdlkit_storport_info *out)
{
    MK_ENTER("mdlkit_storport_get_info");
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a || !out)
        return -1;
    pthread_mutex_lock(&a->lock);
    (void)mk_sp_holding_locked(a); /* a pause whose time is over, a busy count above what the miniport holds */
    *out = a->info;
    pthread_mutex_unlock(&a->lock);
    return 0;
}
