/* test_ndis_filter: NDIS 6 filter drivers -- NdisFRegisterFilterDriver's
 * checks of the characteristics (header, version, mandatory handlers,
 * handler pairs, UniqueName), the SetOptions call, the filter driver
 * handle as an NDIS handle, NdisFDeregisterFilterDriver (from the unload
 * routine; twice, at DISPATCH_LEVEL, never: each reported), and NDIS_EVENT
 * (NdisInitializeEvent / NdisSetEvent / NdisResetEvent / NdisWaitEvent),
 * and the control device a filter registers with NdisRegisterDeviceEx,
 * opened and driven as an application does (its own dispatch table, its
 * reserved extension, NdisDeregisterDeviceEx). */
#include "testutil.h"

#include <ndis.h>
#include <mdlkit_usermode.h>

#define FILTER_GUID L"{5cbf81bd-5055-47cd-9055-a76b2b4e3697}"

static NDIS_HANDLE g_filter;
static PDRIVER_OBJECT g_obj;
static int g_attach_calls, g_options_calls;
static NDIS_HANDLE g_options_handle, g_options_ctx;
static NDIS_STATUS g_options_status;
static int g_deregister_in_unload;
static NDIS_STATUS g_entry_status;
static UCHAR g_ctx_area[16];

static NDIS_STATUS FAttach(NDIS_HANDLE h, NDIS_HANDLE ctx, PNDIS_FILTER_ATTACH_PARAMETERS p)
{
    (void)h, (void)ctx, (void)p;
    g_attach_calls++;
    return NDIS_STATUS_FAILURE;
}
static void FDetach(NDIS_HANDLE ctx) { (void)ctx; }
static NDIS_STATUS FRestart(NDIS_HANDLE ctx, PNDIS_FILTER_RESTART_PARAMETERS p)
{
    (void)ctx, (void)p;
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS FPause(NDIS_HANDLE ctx, PNDIS_FILTER_PAUSE_PARAMETERS p)
{
    (void)ctx, (void)p;
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS FOid(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r)
{
    (void)ctx, (void)r;
    return NDIS_STATUS_NOT_SUPPORTED;
}
static void FOidComplete(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r, NDIS_STATUS st) { (void)ctx, (void)r, (void)st; }
static void FCancelOid(NDIS_HANDLE ctx, PVOID id) { (void)ctx, (void)id; }
static void FSend(NDIS_HANDLE ctx, PNET_BUFFER_LIST n, NDIS_PORT_NUMBER p, ULONG f) { (void)ctx, (void)n, (void)p, (void)f; }
static void FCancelSend(NDIS_HANDLE ctx, PVOID id) { (void)ctx, (void)id; }
static NDIS_STATUS FSetOptions(NDIS_HANDLE h, NDIS_HANDLE ctx)
{
    g_options_calls++;
    g_options_handle = h;
    g_options_ctx = ctx;
    return g_options_status;
}

static void chars(NDIS_FILTER_DRIVER_CHARACTERISTICS *c, UCHAR minor)
{
    static WCHAR unique[] = FILTER_GUID;
    static WCHAR name[] = L"Test LWF";
    static WCHAR service[] = L"testlwf";
    NdisZeroMemory(c, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    c->Header.Revision = minor ? NDIS_FILTER_CHARACTERISTICS_REVISION_2 : NDIS_FILTER_CHARACTERISTICS_REVISION_1;
    c->Header.Size = minor ? NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2
                           : NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1;
    c->MajorNdisVersion = 6;
    c->MinorNdisVersion = minor;
    NdisInitUnicodeString(&c->FriendlyName, name);
    NdisInitUnicodeString(&c->UniqueName, unique);
    NdisInitUnicodeString(&c->ServiceName, service);
    c->AttachHandler = FAttach;
    c->DetachHandler = FDetach;
    c->RestartHandler = FRestart;
    c->PauseHandler = FPause;
}

static void FUnload(PDRIVER_OBJECT o)
{
    (void)o;
    if (g_deregister_in_unload)
        NdisFDeregisterFilterDriver(g_filter);
}

static NTSTATUS FilterEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    (void)r;
    g_obj = o;
    o->DriverUnload = FUnload;
    NDIS_FILTER_DRIVER_CHARACTERISTICS c;
    chars(&c, 30);
    c.SetOptionsHandler = FSetOptions;
    c.OidRequestHandler = FOid;
    c.OidRequestCompleteHandler = FOidComplete;
    c.CancelOidRequestHandler = FCancelOid;
    c.SendNetBufferListsHandler = FSend;
    c.CancelSendNetBufferListsHandler = FCancelSend;
    g_entry_status = NdisFRegisterFilterDriver(o, g_ctx_area, &c, &g_filter);
    return g_entry_status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

/* A driver object with no registration: the checks are called on it. */
static NTSTATUS PlainEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    (void)r;
    g_obj = o;
    return STATUS_SUCCESS;
}

static void reset(void)
{
    g_filter = NULL;
    g_obj = NULL;
    g_attach_calls = g_options_calls = 0;
    g_options_handle = g_options_ctx = NULL;
    g_options_status = NDIS_STATUS_SUCCESS;
    g_deregister_in_unload = 1;
}

static void test_register_from_driver_entry(void **state)
{
    (void)state;
    reset();
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("testlwf", FilterEntry, &drv), STATUS_SUCCESS);
    assert_int_equal(g_entry_status, NDIS_STATUS_SUCCESS);
    assert_non_null(g_filter);
    /* SetOptions is called from the registration with the new handle */
    assert_int_equal(g_options_calls, 1);
    assert_ptr_equal(g_options_handle, g_filter);
    assert_ptr_equal(g_options_ctx, g_ctx_area);
    /* the filter driver handle is an NDIS handle for memory */
    PUCHAR p = NdisAllocateMemoryWithTagPriority(g_filter, 100, 'tfLT', NormalPoolPriority);
    assert_non_null(p);
    memset(p, 0x5A, 100);
    NdisFreeMemoryWithTagPriority(g_filter, p, 'tfLT');
    /* no adapter is bound to the filter: it is never attached */
    assert_int_equal(g_attach_calls, 0);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
}

static NDIS_STATUS reg(NDIS_FILTER_DRIVER_CHARACTERISTICS *c, NDIS_HANDLE *h)
{
    *h = (NDIS_HANDLE)1;
    return NdisFRegisterFilterDriver(g_obj, NULL, c, h);
}

static void test_register_checks(void **state)
{
    (void)state;
    reset();
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("plain", PlainEntry, &drv), STATUS_SUCCESS);
    NDIS_FILTER_DRIVER_CHARACTERISTICS c;
    NDIS_HANDLE h;

    chars(&c, 0);
    assert_int_equal(NdisFRegisterFilterDriver(g_obj, NULL, NULL, &h), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(NdisFRegisterFilterDriver(g_obj, NULL, &c, NULL), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(NdisFRegisterFilterDriver(NULL, NULL, &c, &h), NDIS_STATUS_INVALID_PARAMETER);

    chars(&c, 0);
    c.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_null(h); /* cleared on failure */
    chars(&c, 0);
    c.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 - 8;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 0);
    c.MajorNdisVersion = 5;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_VERSION);
    chars(&c, 0);
    c.MinorNdisVersion = 90;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_VERSION);
    /* an NDIS 6.30 filter with the 6.0 revision */
    chars(&c, 0);
    c.MinorNdisVersion = 30;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    /* each mandatory handler */
    chars(&c, 30);
    c.AttachHandler = NULL;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.DetachHandler = NULL;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.RestartHandler = NULL;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.PauseHandler = NULL;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    /* OID handlers in pairs, a cancel only with its request */
    chars(&c, 30);
    c.OidRequestHandler = FOid;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.OidRequestCompleteHandler = FOidComplete;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.CancelOidRequestHandler = FCancelOid;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.DirectOidRequestHandler = FOid;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    chars(&c, 30);
    c.CancelDirectOidRequestHandler = FCancelOid;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    /* cancel-send only with a send handler */
    chars(&c, 30);
    c.CancelSendNetBufferListsHandler = FCancelSend;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    /* UniqueName: a GUID in braces, or no installed filter matches */
    chars(&c, 30);
    static WCHAR bare[] = L"5cbf81bd-5055-47cd-9055-a76b2b4e3697";
    NdisInitUnicodeString(&c.UniqueName, bare);
    assert_int_equal(reg(&c, &h), NDIS_STATUS_FAILURE);
    chars(&c, 30);
    static WCHAR bad[] = L"{5cbf81bd-5055-47cd-9055-a76b2b4e369g}";
    NdisInitUnicodeString(&c.UniqueName, bad);
    assert_int_equal(reg(&c, &h), NDIS_STATUS_FAILURE);
    /* SetOptions failing fails the registration with its status */
    chars(&c, 30);
    c.SetOptionsHandler = FSetOptions;
    g_options_status = NDIS_STATUS_RESOURCES;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_RESOURCES);
    assert_null(h);
    assert_int_equal(g_options_calls, 1);

    /* the minimal 6.0 filter and the full 6.30 one register */
    chars(&c, 0);
    assert_int_equal(reg(&c, &h), NDIS_STATUS_SUCCESS);
    assert_non_null(h);
    /* one registration per driver */
    NDIS_HANDLE h2;
    assert_int_equal(reg(&c, &h2), NDIS_STATUS_FAILURE);
    NdisFDeregisterFilterDriver(h);
    chars(&c, 30);
    c.OidRequestHandler = FOid;
    c.OidRequestCompleteHandler = FOidComplete;
    c.SendNetBufferListsHandler = FSend;
    c.CancelSendNetBufferListsHandler = FCancelSend;
    assert_int_equal(reg(&c, &h), NDIS_STATUS_SUCCESS);
    NdisFDeregisterFilterDriver(h);
    assert_int_equal(g_attach_calls, 0);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
}

static void deregister(void *arg) { NdisFDeregisterFilterDriver(arg); }
static void deregister_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisFDeregisterFilterDriver(arg);
    KeLowerIrql(old);
}
static void unload(void *arg) { mdlkit_driver_unload(arg); }
static void deregister_device(void *arg) { NdisDeregisterDeviceEx(arg); }

static void test_deregister_misuse(void **state)
{
    (void)state;
    reset();
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("testlwf", FilterEntry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(deregister_at_dispatch, g_filter, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_IRQL_FILTER_DRIVER_FUNCTION);
    assert_int_equal(bc.param[2], DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    NdisFDeregisterFilterDriver(g_filter);
    /* twice */
    assert_int_equal(mdlkit_catch_bugcheck(deregister, g_filter, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_UNKNOWN_HANDLE);
    assert_int_equal(bc.param[2], (ULONG_PTR)g_filter);
    g_deregister_in_unload = 0;
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);

    /* an unload routine that forgets to deregister */
    reset();
    g_deregister_in_unload = 0;
    assert_int_equal(mdlkit_driver_load("testlwf", FilterEntry, &drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_OBJECT_LEAK);
    assert_int_equal(bc.param[2], 1);
    assert_int_equal(bc.param[3], (ULONG_PTR)g_filter);
}

static void wait_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisWaitEvent(arg, 1);
    KeLowerIrql(old);
}

static void test_ndis_event(void **state)
{
    (void)state;
    NDIS_EVENT e;
    NdisInitializeEvent(&e);
    assert_false(NdisWaitEvent(&e, 1)); /* not signalled: times out */
    NdisSetEvent(&e);
    assert_true(NdisWaitEvent(&e, 1));
    assert_true(NdisWaitEvent(&e, 0)); /* a notification event stays signalled */
    NdisResetEvent(&e);
    assert_false(NdisWaitEvent(&e, 1));
    /* set and reset are allowed at DISPATCH_LEVEL */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisSetEvent(&e);
    KeLowerIrql(old);
    assert_true(NdisWaitEvent(&e, 0));
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisResetEvent(&e);
    KeLowerIrql(old);
    assert_false(NdisWaitEvent(&e, 1));
    /* waiting is PASSIVE_LEVEL only */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(wait_at_dispatch, &e, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION);
    assert_int_equal(bc.param[2], DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
}

/* ------------------------------------------------------------ control device */

#define IOCTL_TEST_ECHO CTL_CODE(FILE_DEVICE_NETWORK, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
typedef struct dev_ext {
    ULONG signature;
    ULONG creates, ioctls;
} dev_ext;
static PDEVICE_OBJECT g_dev;

static NTSTATUS DevCreateClose(PDEVICE_OBJECT d, PIRP irp)
{
    dev_ext *x = NdisGetDeviceReservedExtension(d);
    if (IoGetCurrentIrpStackLocation(irp)->MajorFunction == IRP_MJ_CREATE)
        x->creates++;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS DevIoctl(PDEVICE_OBJECT d, PIRP irp)
{
    dev_ext *x = NdisGetDeviceReservedExtension(d);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR info = 0;
    if (x->signature == 'xEtD' && sp->Parameters.DeviceIoControl.IoControlCode == IOCTL_TEST_ECHO) {
        x->ioctls++;
        PUCHAR b = irp->AssociatedIrp.SystemBuffer;
        ULONG n = sp->Parameters.DeviceIoControl.InputBufferLength;
        for (ULONG i = 0; i < n; i++)
            b[i] ^= 0xFF;
        info = n;
        st = STATUS_SUCCESS;
    }
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static void test_control_device(void **state)
{
    (void)state;
    reset();
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("testlwf", FilterEntry, &drv), STATUS_SUCCESS);
    static WCHAR devname[] = L"\\Device\\TestLwf";
    static WCHAR linkname[] = L"\\DosDevices\\TestLwf";
    NDIS_STRING dn, ln;
    NdisInitUnicodeString(&dn, devname);
    NdisInitUnicodeString(&ln, linkname);
    PDRIVER_DISPATCH table[IRP_MJ_MAXIMUM_FUNCTION + 1];
    memset(table, 0, sizeof table);
    table[IRP_MJ_CREATE] = DevCreateClose;
    table[IRP_MJ_CLEANUP] = DevCreateClose;
    table[IRP_MJ_CLOSE] = DevCreateClose;
    table[IRP_MJ_DEVICE_CONTROL] = DevIoctl;
    NDIS_DEVICE_OBJECT_ATTRIBUTES a;
    NdisZeroMemory(&a, sizeof a);
    a.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    a.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    a.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    a.DeviceName = &dn;
    a.SymbolicName = &ln;
    a.MajorFunctions = table;
    a.ExtensionSize = sizeof(dev_ext);
    NDIS_HANDLE devh = NULL;

    /* not an NDIS driver's handle; a bad header */
    PDEVICE_OBJECT d = (PDEVICE_OBJECT)1;
    assert_int_equal(NdisRegisterDeviceEx(g_ctx_area, &a, &d, &devh), NDIS_STATUS_NOT_SUPPORTED);
    assert_null(d);
    a.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    assert_int_equal(NdisRegisterDeviceEx(g_filter, &a, &d, &devh), NDIS_STATUS_INVALID_PARAMETER);
    a.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;

    assert_int_equal(NdisRegisterDeviceEx(g_filter, &a, &g_dev, &devh), NDIS_STATUS_SUCCESS);
    assert_non_null(g_dev);
    assert_non_null(devh);
    dev_ext *x = NdisGetDeviceReservedExtension(g_dev);
    assert_non_null(x);
    assert_int_equal(x->creates, 0); /* zeroed, as IoCreateDevice zeroes the extension */
    x->signature = 'xEtD';
    /* the same name twice is the object manager's collision */
    PDEVICE_OBJECT d2;
    NDIS_HANDLE h2;
    assert_int_equal(NdisRegisterDeviceEx(g_filter, &a, &d2, &h2), STATUS_OBJECT_NAME_COLLISION);

    HANDLE f = mdlkit_open("\\\\.\\TestLwf");
    assert_non_null(f);
    assert_int_equal(x->creates, 1);
    UCHAR buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ULONG_PTR info = 0;
    assert_int_equal(mdlkit_ioctl(f, IOCTL_TEST_ECHO, buf, sizeof buf, buf, sizeof buf, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof buf);
    assert_int_equal(buf[0], 0xFE);
    assert_int_equal(buf[7], 0xF7);
    assert_int_equal(x->ioctls, 1);
    /* a major function the table leaves empty */
    assert_int_equal(mdlkit_read(f, buf, sizeof buf, &info), STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(mdlkit_close(f), STATUS_SUCCESS);

    /* any other device has no NDIS reserved extension */
    PDEVICE_OBJECT plain;
    assert_int_equal(IoCreateDevice(drv, 16, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &plain), STATUS_SUCCESS);
    assert_null(NdisGetDeviceReservedExtension(plain));
    IoDeleteDevice(plain);

    NdisDeregisterDeviceEx(devh);
    assert_null(mdlkit_open("\\\\.\\TestLwf")); /* the link went with it */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(deregister_device, devh, &bc), 1);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_UNKNOWN_HANDLE);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_from_driver_entry, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_register_checks, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_deregister_misuse, mk_test_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_ndis_event, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_control_device, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
