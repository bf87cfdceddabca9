/* test_ndis_nbl: the NDIS 6 data-path runtime with a small test miniport
 * ("loopnic": what it is sent it completes, and indicates back on the same
 * adapter when asked): NBL and NB pools, contexts, retreat/advance of the
 * data start (with and without an allocate-MDL handler), NdisGetDataBuffer,
 * NdisCopyFromNetBufferToNetBuffer, configuration, locks, timers, work
 * items, OID requests that pend, status indications, and every data-path
 * check with its exact bug-check parameters. */
#include "testutil.h"

#include <ndis.h>

#define WAIT_MS 20000
#define TAG 'tnLN'

typedef struct loopnic {
    NDIS_HANDLE handle;
    NDIS_HANDLE pool;
    PNDIS_OID_REQUEST pending_oid;
    ULONG filter;
    NDIS_HANDLE timer;
    volatile LONG timer_fired;
    NDIS_HANDLE work;
    volatile LONG work_ran;
    KIRQL work_irql, timer_irql;
} loopnic;

static NDIS_HANDLE g_driver_handle;
static loopnic *g_nic;
static int g_pend_oid;       /* MiniportOidRequest pends the next request */
static int g_complete_twice; /* MiniportSendNetBufferLists completes the chain twice */
static int g_loop;           /* sent frames are indicated back (copied into own NBLs) */
static ULONG g_recv_flags;   /* extra receive flags for the loop indication */
static int g_leak_pool;      /* halt leaves the NBL pool */
static int g_flag_at_passive; /* completes with NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL whatever the IRQL */

static MINIPORT_INITIALIZE nic_init;
static NDIS_STATUS nic_init(NDIS_HANDLE h, NDIS_HANDLE drvctx, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)drvctx;
    (void)ip;
    loopnic *n = NdisAllocateMemoryWithTagPriority(h, sizeof *n, TAG, NormalPoolPriority);
    if (!n)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(n, sizeof *n);
    n->handle = h;
    NDIS_MINIPORT_ADAPTER_ATTRIBUTES a;
    NdisZeroMemory(&a, sizeof a);
    a.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    a.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.MiniportAdapterContext = n;
    a.RegistrationAttributes.InterfaceType = NdisInterfaceInternal;
    if (NdisMSetMiniportAttributes(h, &a) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    NdisZeroMemory(&a, sizeof a);
    a.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    a.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    a.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    a.GeneralAttributes.MediaType = NdisMedium802_3;
    a.GeneralAttributes.MtuSize = 1500;
    a.GeneralAttributes.LookaheadSize = 1500;
    a.GeneralAttributes.MacAddressLength = 6;
    if (NdisMSetMiniportAttributes(h, &a) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    NET_BUFFER_LIST_POOL_PARAMETERS pp;
    NdisZeroMemory(&pp, sizeof pp);
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.fAllocateNetBuffer = TRUE;
    pp.PoolTag = TAG;
    pp.DataSize = 2048;
    n->pool = NdisAllocateNetBufferListPool(h, &pp);
    if (!n->pool)
        return NDIS_STATUS_RESOURCES;
    g_nic = n;
    return NDIS_STATUS_SUCCESS;
}

static MINIPORT_HALT nic_halt;
static void nic_halt(NDIS_HANDLE ctx, NDIS_HALT_ACTION action)
{
    (void)action;
    loopnic *n = ctx;
    if (!g_leak_pool)
        NdisFreeNetBufferListPool(n->pool);
    NdisFreeMemoryWithTagPriority(n->handle, n, TAG);
    g_nic = NULL;
}

static MINIPORT_SHUTDOWN nic_shutdown;
static void nic_shutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION a) { (void)ctx, (void)a; }
static MINIPORT_UNLOAD nic_unload;
static void nic_unload(PDRIVER_OBJECT d)
{
    (void)d;
    NdisMDeregisterMiniportDriver(g_driver_handle);
}
static MINIPORT_PAUSE nic_pause;
static NDIS_STATUS nic_pause(NDIS_HANDLE ctx, PNDIS_MINIPORT_PAUSE_PARAMETERS p)
{
    (void)p;
    loopnic *n = ctx;
    NdisMPauseComplete(n->handle); /* completes it from within: NDIS allows that after PENDING */
    return NDIS_STATUS_PENDING;
}
static MINIPORT_RESTART nic_restart;
static NDIS_STATUS nic_restart(NDIS_HANDLE ctx, PNDIS_MINIPORT_RESTART_PARAMETERS p) { (void)ctx, (void)p; return NDIS_STATUS_SUCCESS; }

static MINIPORT_OID_REQUEST nic_oid;
static NDIS_STATUS nic_oid(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r)
{
    loopnic *n = ctx;
    if (g_pend_oid) {
        g_pend_oid = 0;
        n->pending_oid = r;
        return NDIS_STATUS_PENDING;
    }
    if (r->RequestType == NdisRequestSetInformation && r->DATA.SET_INFORMATION.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
        if (r->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
            r->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
            return NDIS_STATUS_INVALID_LENGTH;
        }
        n->filter = *(PULONG)r->DATA.SET_INFORMATION.InformationBuffer;
        r->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
        return NDIS_STATUS_SUCCESS;
    }
    if (r->RequestType == NdisRequestMethod && r->DATA.METHOD_INFORMATION.Oid == 0xFF000001) {
        /* doubles each input byte */
        PUCHAR b = r->DATA.METHOD_INFORMATION.InformationBuffer;
        for (ULONG i = 0; i < r->DATA.METHOD_INFORMATION.InputBufferLength; i++)
            b[i] = (UCHAR)(b[i] * 2);
        r->DATA.METHOD_INFORMATION.BytesRead = r->DATA.METHOD_INFORMATION.InputBufferLength;
        r->DATA.METHOD_INFORMATION.BytesWritten = r->DATA.METHOD_INFORMATION.InputBufferLength;
        return NDIS_STATUS_SUCCESS;
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}
static MINIPORT_CANCEL_OID_REQUEST nic_cancel_oid;
static void nic_cancel_oid(NDIS_HANDLE ctx, PVOID id)
{
    loopnic *n = ctx;
    if (n->pending_oid && n->pending_oid->RequestId == id) {
        PNDIS_OID_REQUEST r = n->pending_oid;
        n->pending_oid = NULL;
        NdisMOidRequestComplete(n->handle, r, NDIS_STATUS_REQUEST_ABORTED);
    }
}

static MINIPORT_SEND_NET_BUFFER_LISTS nic_send;
static void nic_send(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG flags)
{
    (void)port;
    loopnic *n = ctx;
    PNET_BUFFER_LIST loop = NULL, *tail = &loop;
    ULONG count = 0;
    for (PNET_BUFFER_LIST b = nbls; b; b = NET_BUFFER_LIST_NEXT_NBL(b)) {
        NET_BUFFER_LIST_STATUS(b) = NDIS_STATUS_SUCCESS;
        if (!g_loop)
            continue;
        PNET_BUFFER_LIST r = NdisAllocateNetBufferList(n->pool, 0, 0);
        PNET_BUFFER rnb = NET_BUFFER_LIST_FIRST_NB(r);
        PNET_BUFFER snb = NET_BUFFER_LIST_FIRST_NB(b);
        ULONG copied = 0;
        NET_BUFFER_DATA_LENGTH(rnb) = NET_BUFFER_DATA_LENGTH(snb);
        assert_int_equal(NdisCopyFromNetBufferToNetBuffer(rnb, 0, NET_BUFFER_DATA_LENGTH(snb), snb, 0, &copied),
                         NDIS_STATUS_SUCCESS);
        assert_int_equal(copied, NET_BUFFER_DATA_LENGTH(snb));
        *tail = r;
        tail = &NET_BUFFER_LIST_NEXT_NBL(r);
        count++;
    }
    ULONG cflags = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(flags) || g_flag_at_passive ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                                                                : 0;
    NdisMSendNetBufferListsComplete(n->handle, nbls, cflags);
    if (g_complete_twice)
        NdisMSendNetBufferListsComplete(n->handle, nbls, cflags);
    if (loop) {
        NdisMIndicateReceiveNetBufferLists(n->handle, loop, NDIS_DEFAULT_PORT_NUMBER, count,
                                           g_recv_flags | (KeGetCurrentIrql() == DISPATCH_LEVEL
                                                               ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL
                                                               : 0));
        if (g_recv_flags & NDIS_RECEIVE_FLAGS_RESOURCES)
            for (PNET_BUFFER_LIST b = loop, nx; b; b = nx) {
                nx = NET_BUFFER_LIST_NEXT_NBL(b);
                NdisFreeNetBufferList(b);
            }
    }
}
static MINIPORT_RETURN_NET_BUFFER_LISTS nic_return;
static void nic_return(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbls, ULONG flags)
{
    (void)ctx;
    (void)flags;
    for (PNET_BUFFER_LIST b = nbls, nx; b; b = nx) {
        nx = NET_BUFFER_LIST_NEXT_NBL(b);
        NdisFreeNetBufferList(b);
    }
}
static MINIPORT_CANCEL_SEND nic_cancel_send;
static void nic_cancel_send(NDIS_HANDLE ctx, PVOID id) { (void)ctx, (void)id; }
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY nic_pnp;
static void nic_pnp(NDIS_HANDLE ctx, PNET_DEVICE_PNP_EVENT e) { (void)ctx, (void)e; }

static DRIVER_INITIALIZE nic_entry;
static NTSTATUS nic_entry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    ch.MajorNdisVersion = 6;
    ch.MinorNdisVersion = 20;
    ch.InitializeHandlerEx = nic_init;
    ch.HaltHandlerEx = nic_halt;
    ch.UnloadHandler = nic_unload;
    ch.PauseHandler = nic_pause;
    ch.RestartHandler = nic_restart;
    ch.OidRequestHandler = nic_oid;
    ch.SendNetBufferListsHandler = nic_send;
    ch.ReturnNetBufferListsHandler = nic_return;
    ch.CancelSendHandler = nic_cancel_send;
    ch.DevicePnPEventNotifyHandler = nic_pnp;
    ch.ShutdownHandlerEx = nic_shutdown;
    ch.CancelOidRequestHandler = nic_cancel_oid;
    return (NTSTATUS)NdisMRegisterMiniportDriver(o, r, NULL, &ch, &g_driver_handle);
}

static PDRIVER_OBJECT g_drv;
static PVOID g_ad;

static void start(ULONG flags)
{
    assert_int_equal(mk_test_setup_flags(flags), 0);
    g_pend_oid = g_complete_twice = g_loop = g_leak_pool = g_flag_at_passive = 0;
    g_recv_flags = 0;
    assert_int_equal(mdlkit_driver_load("loopnic", nic_entry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &g_ad), STATUS_SUCCESS);
}

static void stop(void)
{
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static int teardown_caught(void **state) { return mk_test_teardown_after_bugcheck(state); }

/* ------------------------------------------------------------------------
 * Send, loop back, receive
 * ---------------------------------------------------------------------- */
static void test_send_and_loop(void **state)
{
    (void)state;
    start(MDLKIT_VERIFY_STANDARD);
    g_loop = 1;
    UCHAR data[700];
    for (ULONG i = 0; i < sizeof data; i++)
        data[i] = (UCHAR)(i * 3);
    for (ULONG chunk = 0; chunk <= 300; chunk += 100) {
        PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, data, sizeof data, chunk);
        ULONG flags = chunk == 300 ? NDIS_SEND_FLAGS_DISPATCH_LEVEL : 0;
        assert_int_equal(mdlkit_ndis_send(g_ad, nbl, flags), STATUS_SUCCESS);
        NDIS_STATUS st = 1;
        assert_ptr_equal(mdlkit_ndis_send_completed(g_ad, WAIT_MS, &st), nbl);
        assert_int_equal(st, NDIS_STATUS_SUCCESS);
        mdlkit_ndis_free_nbl(nbl);
        mdlkit_ndis_frame *f = mdlkit_ndis_receive(g_ad, WAIT_MS);
        assert_non_null(f);
        assert_int_equal(f->length, sizeof data);
        assert_memory_equal(f->data, data, sizeof data);
        assert_null(f->nbl); /* returned at once */
        mdlkit_ndis_release(g_ad, f);
    }
    /* with NDIS_RECEIVE_FLAGS_RESOURCES the data is copied, the NBL is never kept */
    mdlkit_ndis_set_receive_mode(g_ad, MDLKIT_NDIS_RX_KEEP);
    g_recv_flags = NDIS_RECEIVE_FLAGS_RESOURCES;
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, data, 100, 0);
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, 0), STATUS_SUCCESS);
    assert_ptr_equal(mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL), nbl);
    mdlkit_ndis_free_nbl(nbl);
    mdlkit_ndis_frame *f = mdlkit_ndis_receive(g_ad, WAIT_MS);
    assert_non_null(f);
    assert_null(f->nbl);
    assert_true(f->receive_flags & NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_memory_equal(f->data, data, 100);
    mdlkit_ndis_frame_free(f);
    assert_int_equal(mdlkit_ndis_receives_pending(g_ad), 0);
    stop();
}

/* ------------------------------------------------------------------------
 * Pools, NBLs, data start
 * ---------------------------------------------------------------------- */
static PMDL g_handler_mdl;
static void *g_handler_buf;
static NET_BUFFER_ALLOCATE_MDL alloc_mdl;
static PMDL alloc_mdl(PULONG size)
{
    g_handler_buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, *size, TAG);
    g_handler_mdl = IoAllocateMdl(g_handler_buf, *size, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(g_handler_mdl);
    return g_handler_mdl;
}
static int g_freed_by_handler;
static NET_BUFFER_FREE_MDL free_mdl;
static void free_mdl(PMDL m)
{
    void *buf = MmGetMdlVirtualAddress(m);
    IoFreeMdl(m);
    ExFreePoolWithTag(buf, TAG);
    g_freed_by_handler++;
}

static void test_pools_and_data_start(void **state)
{
    (void)state;
    start(MDLKIT_VERIFY_STANDARD);
    NDIS_HANDLE h = g_nic->handle;
    NET_BUFFER_LIST_POOL_PARAMETERS pp;
    NdisZeroMemory(&pp, sizeof pp);
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.ContextSize = 32;
    pp.PoolTag = TAG;
    pp.ProtocolId = NDIS_PROTOCOL_ID_TCP_IP;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(h, &pp);
    assert_non_null(pool);
    /* a context size that is not a multiple of MEMORY_ALLOCATION_ALIGNMENT */
    pp.ContextSize = 20;
    assert_null(NdisAllocateNetBufferListPool(h, &pp));

    NET_BUFFER_POOL_PARAMETERS np;
    NdisZeroMemory(&np, sizeof np);
    np.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    np.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.PoolTag = TAG;
    NDIS_HANDLE nbpool = NdisAllocateNetBufferPool(h, &np);
    assert_non_null(nbpool);

    /* An NBL with context, and an NB over a 3-MDL chain */
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 16);
    assert_non_null(nbl);
    assert_ptr_equal(NdisGetPoolFromNetBufferList(nbl), pool);
    assert_int_equal(NdisGetNetBufferListProtocolId(nbl), NDIS_PROTOCOL_ID_TCP_IP);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 32 + 16 + 16);
    PUCHAR ctx0 = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, TAG), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx0 - 16); /* from the backfill */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 32, 16, TAG), NDIS_STATUS_SUCCESS); /* a new block */
    NdisFreeNetBufferListContext(nbl, 32);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx0 - 16);
    NdisFreeNetBufferListContext(nbl, 16);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx0);

    PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 300, TAG);
    for (int i = 0; i < 300; i++)
        buf[i] = (UCHAR)i;
    PMDL m1 = NdisAllocateMdl(h, buf, 100), m2 = NdisAllocateMdl(h, buf + 100, 100),
         m3 = NdisAllocateMdl(h, buf + 200, 100);
    m1->Next = m2;
    m2->Next = m3;
    PNET_BUFFER nb = NdisAllocateNetBuffer(nbpool, m1, 50, 200);
    assert_non_null(nb);
    NET_BUFFER_LIST_FIRST_NB(nbl) = nb;
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), m1);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 50);
    /* contiguous: a pointer into the MDL; across MDLs: the storage */
    UCHAR store[64];
    PUCHAR p = NdisGetDataBuffer(nb, 40, NULL, 1, 0);
    assert_ptr_equal(p, buf + 50);
    assert_null(NdisGetDataBuffer(nb, 60, NULL, 1, 0));
    p = NdisGetDataBuffer(nb, 60, store, 1, 0);
    assert_ptr_equal(p, store);
    for (int i = 0; i < 60; i++)
        assert_int_equal(store[i], 50 + i);
    assert_null(NdisGetDataBuffer(nb, 201, store, 1, 0)); /* more than DataLength */
    /* advance into the second MDL, retreat within the unused space */
    NdisAdvanceNetBufferDataStart(nb, 70, FALSE, NULL);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), m2);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 20);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 130);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 120, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), m1);
    /* retreat past the chain's start: NDIS's own MDL goes in front ... */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 18, NULL), NDIS_STATUS_SUCCESS);
    assert_ptr_not_equal(NET_BUFFER_FIRST_MDL(nb), m1);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 18);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 264);
    PUCHAR hdr = NdisGetDataBuffer(nb, 14, NULL, 1, 0);
    assert_non_null(hdr);
    memset(hdr, 0xEE, 14);
    /* ... and is freed by the advance that passes it */
    NdisAdvanceNetBufferDataStart(nb, 14, TRUE, NULL);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), m1);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    /* with the driver's allocate handler, its free handler gets the MDL back */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 8, 0, alloc_mdl), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), g_handler_mdl);
    NdisAdvanceNetBufferDataStart(nb, 8, TRUE, free_mdl);
    assert_int_equal(g_freed_by_handler, 1);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), m1);
    /* copy between NBs */
    PNET_BUFFER_LIST nbl2 = NdisAllocateNetBufferList(g_nic->pool, 0, 0);
    PNET_BUFFER dst = NET_BUFFER_LIST_FIRST_NB(nbl2);
    ULONG copied = 0;
    /* the source has 250 - 5 bytes from its offset: 245 are copied */
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(dst, 10, 250, nb, 5, &copied), NDIS_STATUS_SUCCESS);
    assert_int_equal(copied, 245);
    p = NdisGetDataBuffer(dst, 255, NULL, 1, 0);
    for (int i = 0; i < 245; i++)
        assert_int_equal(p[10 + i], (UCHAR)(5 + i));
    NdisFreeNetBufferList(nbl2);
    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    NdisFreeNetBuffer(nb);
    NdisFreeMdl(m1);
    NdisFreeMdl(m2);
    NdisFreeMdl(m3);
    ExFreePoolWithTag(buf, TAG);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferPool(nbpool);
    NdisFreeNetBufferListPool(pool);
    stop();
}

/* ------------------------------------------------------------------------
 * Configuration, locks, timers, work items, OIDs, status
 * ---------------------------------------------------------------------- */
static NDIS_TIMER_FUNCTION timer_fn;
static void timer_fn(PVOID s1, PVOID ctx, PVOID s2, PVOID s3)
{
    (void)s1, (void)s2, (void)s3;
    loopnic *n = ctx;
    n->timer_irql = KeGetCurrentIrql();
    InterlockedIncrement(&n->timer_fired);
}
static NDIS_IO_WORKITEM_FUNCTION work_fn;
static void work_fn(PVOID ctx, NDIS_HANDLE item)
{
    (void)item;
    loopnic *n = ctx;
    n->work_irql = KeGetCurrentIrql();
    InterlockedIncrement(&n->work_ran);
}

static void wait_for(volatile LONG *v)
{
    for (int i = 0; i < 20000 && !__atomic_load_n(v, __ATOMIC_ACQUIRE); i++)
        NdisMSleep(1000);
    assert_true(__atomic_load_n(v, __ATOMIC_ACQUIRE) > 0);
}

static void test_services(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    g_pend_oid = g_complete_twice = g_loop = g_leak_pool = 0;
    assert_int_equal(mdlkit_driver_load("loopnic", nic_entry, &g_drv), STATUS_SUCCESS);
    static const UCHAR bin[3] = {1, 2, 3};
    mdlkit_ndis_config_value v[4];
    memset(v, 0, sizeof v);
    v[0].keyword = "Speed";
    v[0].type = NdisParameterString;
    v[0].string = "1000";
    v[1].keyword = "*Flags";
    v[1].type = NdisParameterHexInteger;
    v[1].integer = 0x1F;
    v[2].keyword = "Blob";
    v[2].type = NdisParameterBinary;
    v[2].binary = bin;
    v[2].binary_length = 3;
    v[3].keyword = "NetworkAddress";
    v[3].type = NdisParameterString;
    v[3].string = "02-11-22-33-44-55";
    mdlkit_ndis_adapter_params params = {v, 4};
    assert_int_equal(mdlkit_ndis_start_adapter_ex(g_drv, &params, &g_ad), STATUS_SUCCESS);
    loopnic *n = g_nic;

    NDIS_CONFIGURATION_OBJECT co;
    NdisZeroMemory(&co, sizeof co);
    co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    co.NdisHandle = n->handle;
    NDIS_HANDLE cfg;
    assert_int_equal(NdisOpenConfigurationEx(&co, &cfg), NDIS_STATUS_SUCCESS);
    NDIS_STATUS st;
    PNDIS_CONFIGURATION_PARAMETER prm;
    NDIS_STRING speed = NDIS_STRING_CONST("speed"); /* keywords ignore case */
    NdisReadConfiguration(&st, &prm, cfg, &speed, NdisParameterInteger);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    assert_int_equal(prm->ParameterData.IntegerData, 1000);
    NDIS_STRING flags = NDIS_STRING_CONST("*Flags");
    NdisReadConfiguration(&st, &prm, cfg, &flags, NdisParameterString);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    assert_int_equal(prm->ParameterData.StringData.Length, 2 * sizeof(WCHAR)); /* "31" */
    NDIS_STRING blob = NDIS_STRING_CONST("Blob");
    NdisReadConfiguration(&st, &prm, cfg, &blob, NdisParameterBinary);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    assert_int_equal(prm->ParameterData.BinaryData.Length, 3);
    assert_memory_equal(prm->ParameterData.BinaryData.Buffer, bin, 3);
    NDIS_STRING none = NDIS_STRING_CONST("Missing");
    NdisReadConfiguration(&st, &prm, cfg, &none, NdisParameterInteger);
    assert_int_equal(st, NDIS_STATUS_FAILURE);
    assert_null(prm);
    NDIS_CONFIGURATION_PARAMETER w;
    w.ParameterType = NdisParameterInteger;
    w.ParameterData.IntegerData = 42;
    NdisWriteConfiguration(&st, cfg, &none, &w);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    NdisReadConfiguration(&st, &prm, cfg, &none, NdisParameterInteger);
    assert_int_equal(prm->ParameterData.IntegerData, 42);
    PVOID addr;
    UINT alen;
    NdisReadNetworkAddress(&st, &addr, &alen, cfg);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    assert_int_equal(alen, 6);
    assert_memory_equal(addr, "\x02\x11\x22\x33\x44\x55", 6);
    NdisCloseConfiguration(cfg);

    /* spin lock and RW lock */
    NDIS_SPIN_LOCK sl;
    NdisAllocateSpinLock(&sl);
    NdisAcquireSpinLock(&sl);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisReleaseSpinLock(&sl);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    NdisFreeSpinLock(&sl);
    PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(n->handle);
    LOCK_STATE_EX ls1, ls2;
    NdisAcquireRWLockRead(rw, &ls1, 0);
    NdisAcquireRWLockRead(rw, &ls2, NDIS_RWL_AT_DISPATCH_LEVEL); /* readers nest */
    NdisReleaseRWLock(rw, &ls2);
    NdisReleaseRWLock(rw, &ls1);
    NdisAcquireRWLockWrite(rw, &ls1, 0);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisReleaseRWLock(rw, &ls1);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    NdisFreeRWLock(rw);
    LIST_ENTRY head, e1, e2;
    NdisInitializeListHead(&head);
    NdisAllocateSpinLock(&sl);
    assert_null(NdisInterlockedInsertTailList(&head, &e1, &sl));
    assert_ptr_equal(NdisInterlockedInsertTailList(&head, &e2, &sl), &e1);
    assert_ptr_equal(NdisInterlockedRemoveHeadList(&head, &sl), &e1);
    assert_ptr_equal(NdisInterlockedRemoveHeadList(&head, &sl), &e2);
    assert_null(NdisInterlockedRemoveHeadList(&head, &sl));

    /* timer (DISPATCH_LEVEL) and work item (PASSIVE_LEVEL) */
    NDIS_TIMER_CHARACTERISTICS tc;
    NdisZeroMemory(&tc, sizeof tc);
    tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    tc.AllocationTag = TAG;
    tc.TimerFunction = timer_fn;
    tc.FunctionContext = n;
    assert_int_equal(NdisAllocateTimerObject(n->handle, &tc, &n->timer), NDIS_STATUS_SUCCESS);
    LARGE_INTEGER due;
    due.QuadPart = -10000; /* 1 ms */
    NdisSetTimerObject(n->timer, due, 0, NULL);
    wait_for(&n->timer_fired);
    assert_int_equal(n->timer_irql, DISPATCH_LEVEL);
    due.QuadPart = -36000000000LL; /* an hour: cancelled before it expires */
    assert_false(NdisSetTimerObject(n->timer, due, 0, NULL));
    assert_true(NdisCancelTimerObject(n->timer));
    NdisFreeTimerObject(n->timer);
    n->work = NdisAllocateIoWorkItem(n->handle);
    assert_non_null(n->work);
    NdisQueueIoWorkItem(n->work, work_fn, n);
    wait_for(&n->work_ran);
    assert_int_equal(n->work_irql, PASSIVE_LEVEL);
    NdisFreeIoWorkItem(n->work);

    /* OID requests: set, method, unsupported, pending and completed later */
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
    mdlkit_ndis_oid_result r;
    assert_int_equal(mdlkit_ndis_oid(g_ad, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                                     sizeof filter, 0, WAIT_MS, &r),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(r.bytes_read, 4);
    ULONG q = 0;
    assert_int_equal(mdlkit_ndis_oid(g_ad, NdisRequestQueryInformation, OID_GEN_CURRENT_PACKET_FILTER, &q, sizeof q, 0,
                                     WAIT_MS, &r),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(q, NDIS_PACKET_TYPE_DIRECTED); /* answered by NDIS */
    UCHAR mbuf[4] = {1, 2, 3, 0};
    assert_int_equal(mdlkit_ndis_oid(g_ad, NdisRequestMethod, 0xFF000001, mbuf, sizeof mbuf, 3, WAIT_MS, &r),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(r.bytes_written, 3);
    assert_memory_equal(mbuf, "\x02\x04\x06", 3);
    g_pend_oid = 1;
    assert_int_equal(mdlkit_ndis_oid(g_ad, NdisRequestQueryInformation, OID_GEN_VENDOR_ID, &q, sizeof q, 0, 0, &r),
                     NDIS_STATUS_REQUEST_ABORTED); /* not completed in time: cancelled */

    /* a status indication reaches the protocol with its buffer */
    NDIS_LINK_STATE ls;
    NdisZeroMemory(&ls, sizeof ls);
    ls.MediaConnectState = MediaConnectStateConnected;
    ls.XmitLinkSpeed = 1000000000ull;
    NDIS_STATUS_INDICATION si;
    NdisZeroMemory(&si, sizeof si);
    si.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    si.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    si.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    si.SourceHandle = n->handle;
    si.StatusCode = NDIS_STATUS_LINK_STATE;
    si.StatusBuffer = &ls;
    si.StatusBufferSize = sizeof ls;
    NdisMIndicateStatusEx(n->handle, &si);
    NDIS_LINK_STATE got;
    ULONG len = 0;
    assert_int_equal(mdlkit_ndis_next_status(g_ad, WAIT_MS, &got, sizeof got, &len), NDIS_STATUS_LINK_STATE);
    assert_int_equal(len, sizeof ls);
    assert_true(got.XmitLinkSpeed == 1000000000ull);
    assert_int_equal(mdlkit_ndis_next_status(g_ad, 0, NULL, 0, &len), 0);

    /* system queries */
    LARGE_INTEGER now;
    NdisGetCurrentSystemTime(&now);
    assert_true(now.QuadPart > 0);
    assert_true(NdisSystemProcessorCount() >= 1);
    assert_int_equal(NdisGroupActiveProcessorCount(0), (ULONG)NdisSystemProcessorCount());
    assert_int_equal(NdisGroupActiveProcessorCount(1), 0);
    assert_int_equal(NdisActiveGroupCount(), 1);
    assert_true(NdisCurrentGroupAndProcessor() < (ULONG)NdisSystemProcessorCount());
    assert_true(NdisGetSharedDataAlignment() >= 64);
    NdisWriteErrorLogEntry(n->handle, NDIS_ERROR_CODE_HARDWARE_FAILURE, 2, 0x11u, 0x22u);
    /* the RSS processors NDIS reports: every simulated processor */
    SIZE_T size = 0;
    assert_int_equal(NdisGetRssProcessorInformation(n->handle, NULL, &size), NDIS_STATUS_BUFFER_TOO_SHORT);
    PNDIS_RSS_PROCESSOR_INFO info = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, TAG);
    assert_int_equal(NdisGetRssProcessorInformation(n->handle, info, &size), NDIS_STATUS_SUCCESS);
    assert_true(info->RssProcessorCount >= 1);
    ExFreePoolWithTag(info, TAG);
    stop();
}

/* ------------------------------------------------------------------------
 * Checks (each one's exact bug check)
 * ---------------------------------------------------------------------- */
static void send_fn(void *arg)
{
    PNET_BUFFER_LIST nbl = arg;
    mdlkit_ndis_send(g_ad, nbl, 0);
}

static void test_check_double_complete(void **state)
{
    (void)state;
    start(0);
    g_complete_twice = 1;
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    mk_expect_bugcheck(send_fn, nbl, 0xC4, MDLKIT_RULE_NDIS_NBL_DOUBLE_COMPLETE, MK_ANY, (ULONG_PTR)nbl,
                       (ULONG_PTR)g_ad);
}

static void return_fn(void *arg) { mdlkit_ndis_return(g_ad, arg); }

static void test_check_double_return(void **state)
{
    (void)state;
    start(0);
    g_loop = 1;
    mdlkit_ndis_set_receive_mode(g_ad, MDLKIT_NDIS_RX_KEEP);
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, 0), STATUS_SUCCESS);
    mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL);
    mdlkit_ndis_free_nbl(nbl);
    mdlkit_ndis_frame *f = mdlkit_ndis_receive(g_ad, WAIT_MS);
    assert_non_null(f);
    PNET_BUFFER_LIST kept = f->nbl;
    assert_non_null(kept);
    assert_int_equal(mdlkit_ndis_receives_pending(g_ad), 1);
    mdlkit_ndis_release(g_ad, f);
    assert_int_equal(mdlkit_ndis_receives_pending(g_ad), 0);
    /* the NBL went back to the miniport (and was freed): returning it
     * again is the NDIS verifier's double return */
    PNET_BUFFER_LIST fake = mdlkit_ndis_build_nbl(g_ad, "x", 1, 0);
    mk_expect_bugcheck(return_fn, fake, 0xC4, MDLKIT_RULE_NDIS_NBL_DOUBLE_RETURN, MK_ANY, (ULONG_PTR)fake,
                       (ULONG_PTR)g_ad);
}

static void halt_fn(void *arg)
{
    (void)arg;
    mdlkit_ndis_halt_adapter(g_ad);
}

static void test_check_not_returned_at_halt(void **state)
{
    (void)state;
    start(0);
    g_loop = 1;
    mdlkit_ndis_set_receive_mode(g_ad, MDLKIT_NDIS_RX_KEEP);
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, 0), STATUS_SUCCESS);
    mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL);
    mdlkit_ndis_free_nbl(nbl);
    mdlkit_ndis_frame *f = mdlkit_ndis_receive(g_ad, WAIT_MS);
    assert_non_null(f);
    mk_expect_bugcheck(halt_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_NBL_NOT_RETURNED, MK_ANY, 1, (ULONG_PTR)g_ad);
    mdlkit_ndis_frame_free(f);
}

static void test_check_dispatch_flag(void **state)
{
    (void)state;
    start(MDLKIT_VERIFY_DDI_COMPLIANCE);
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    /* the miniport sets the flag from the send flags, at PASSIVE_LEVEL the
     * harness sent with NDIS_SEND_FLAGS_DISPATCH_LEVEL... raised: fine */
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, NDIS_SEND_FLAGS_DISPATCH_LEVEL), STATUS_SUCCESS);
    assert_ptr_equal(mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL), nbl);
    mdlkit_ndis_free_nbl(nbl);
    /* ... but the flag at PASSIVE_LEVEL is reported */
    g_flag_at_passive = 1;
    nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    mk_expect_bugcheck(send_fn, nbl, 0xC4, MDLKIT_RULE_NDIS_DISPATCH_FLAG, MK_ANY, PASSIVE_LEVEL,
                       NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
}

static void test_dispatch_flag_unchecked_without_ddi(void **state)
{
    (void)state;
    start(0);
    g_flag_at_passive = 1;
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, 0), STATUS_SUCCESS);
    assert_ptr_equal(mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL), nbl);
    mdlkit_ndis_free_nbl(nbl);
    stop();
}

static NDIS_HANDLE g_pool2;
static void free_pool_fn(void *arg)
{
    (void)arg;
    NdisFreeNetBufferListPool(g_pool2);
}

static void test_check_pool_outstanding(void **state)
{
    (void)state;
    start(0);
    NET_BUFFER_LIST_POOL_PARAMETERS pp;
    NdisZeroMemory(&pp, sizeof pp);
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.PoolTag = TAG;
    g_pool2 = NdisAllocateNetBufferListPool(g_nic->handle, &pp);
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(g_pool2, 0, 0), b = NdisAllocateNetBufferList(g_pool2, 0, 0);
    assert_non_null(a);
    assert_non_null(b);
    NdisFreeNetBufferList(a);
    mk_expect_bugcheck(free_pool_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_POOL_OUTSTANDING, MK_ANY, (ULONG_PTR)g_pool2, 1);
}

static void free_nbl_fn(void *arg) { NdisFreeNetBufferList(arg); }

static void test_check_free_indicated_nbl(void **state)
{
    (void)state;
    start(0);
    g_loop = 1;
    mdlkit_ndis_set_receive_mode(g_ad, MDLKIT_NDIS_RX_KEEP);
    PNET_BUFFER_LIST nbl = mdlkit_ndis_build_nbl(g_ad, "0123456789abcdef", 16, 0);
    assert_int_equal(mdlkit_ndis_send(g_ad, nbl, 0), STATUS_SUCCESS);
    mdlkit_ndis_send_completed(g_ad, WAIT_MS, NULL);
    mdlkit_ndis_free_nbl(nbl);
    mdlkit_ndis_frame *f = mdlkit_ndis_receive(g_ad, WAIT_MS);
    assert_non_null(f);
    PNET_BUFFER_LIST kept = f->nbl;
    mk_expect_bugcheck(free_nbl_fn, kept, 0xC4, MDLKIT_RULE_NDIS_NBL_FREE_PENDING, MK_ANY, (ULONG_PTR)kept,
                       (ULONG_PTR)g_nic->pool);
    mdlkit_ndis_frame_free(f);
}

static PNET_BUFFER_LIST g_ind;
static void indicate_count_fn(void *arg)
{
    (void)arg;
    NdisMIndicateReceiveNetBufferLists(g_nic->handle, g_ind, 0, 2, 0);
}

static void test_check_indicate_count(void **state)
{
    (void)state;
    start(0);
    g_ind = NdisAllocateNetBufferList(g_nic->pool, 0, 0);
    mk_expect_bugcheck(indicate_count_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_INDICATE_COUNT, MK_ANY, 1, 2);
}

static void indicate_one_fn(void *arg)
{
    (void)arg;
    NdisMIndicateReceiveNetBufferLists(g_nic->handle, g_ind, 0, 1, 0);
}

static void test_check_indicate_when_paused(void **state)
{
    (void)state;
    start(0);
    assert_int_equal(mdlkit_ndis_pause_adapter(g_ad, WAIT_MS), STATUS_SUCCESS);
    g_ind = NdisAllocateNetBufferList(g_nic->pool, 0, 0);
    mk_expect_bugcheck(indicate_one_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_STATE, MK_ANY, (ULONG_PTR)g_ad, 2 /* paused */);
}

static void test_check_pool_leak_at_halt(void **state)
{
    (void)state;
    start(0);
    g_leak_pool = 1;
    mk_expect_bugcheck(halt_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_OBJECT_LEAK, MK_ANY, 1, (ULONG_PTR)g_ad);
}

static PMDL g_io_mdl;
static void ndis_free_mdl_fn(void *arg)
{
    (void)arg;
    NdisFreeMdl(g_io_mdl);
}

static void test_check_free_mdl_not_ndis(void **state)
{
    (void)state;
    start(0);
    void *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    g_io_mdl = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
    mk_expect_bugcheck(ndis_free_mdl_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_ALLOCATE_MDL, MK_ANY, (ULONG_PTR)g_io_mdl, 0);
}

static void bogus_pool_fn(void *arg)
{
    (void)arg;
    NdisAllocateNetBufferList((NDIS_HANDLE)(ULONG_PTR)0x1234, 0, 0);
}

static void test_check_unknown_pool(void **state)
{
    (void)state;
    start(0);
    mk_expect_bugcheck(bogus_pool_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, MK_ANY, 0x1234, MK_ANY);
}

/* NDIS validates the characteristics: a data path needs every handler. */
static DRIVER_INITIALIZE half_entry;
static NTSTATUS half_entry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 6;
    ch.InitializeHandlerEx = nic_init;
    ch.HaltHandlerEx = nic_halt;
    ch.ShutdownHandlerEx = nic_shutdown;
    ch.PauseHandler = nic_pause; /* but no RestartHandler, ... */
    NDIS_HANDLE h;
    NDIS_STATUS st = NdisMRegisterMiniportDriver(o, r, NULL, &ch, &h);
    assert_int_equal(st, NDIS_STATUS_BAD_CHARACTERISTICS);
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2; /* size of revision 1: too small */
    ch.PauseHandler = NULL;
    st = NdisMRegisterMiniportDriver(o, r, NULL, &ch, &h);
    assert_int_equal(st, NDIS_STATUS_BAD_CHARACTERISTICS);
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 5;
    assert_int_equal(NdisMRegisterMiniportDriver(o, r, NULL, &ch, &h), NDIS_STATUS_BAD_VERSION);
    return STATUS_UNSUCCESSFUL;
}

static void test_characteristics_validated(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(0), 0);
    PDRIVER_OBJECT d;
    assert_int_equal(mdlkit_driver_load("halfnic", half_entry, &d), STATUS_UNSUCCESSFUL);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_and_loop),
        cmocka_unit_test(test_pools_and_data_start),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_dispatch_flag_unchecked_without_ddi),
        cmocka_unit_test(test_characteristics_validated),
        cmocka_unit_test_teardown(test_check_double_complete, teardown_caught),
        cmocka_unit_test_teardown(test_check_double_return, teardown_caught),
        cmocka_unit_test_teardown(test_check_not_returned_at_halt, teardown_caught),
        cmocka_unit_test_teardown(test_check_dispatch_flag, teardown_caught),
        cmocka_unit_test_teardown(test_check_pool_outstanding, teardown_caught),
        cmocka_unit_test_teardown(test_check_free_indicated_nbl, teardown_caught),
        cmocka_unit_test_teardown(test_check_indicate_count, teardown_caught),
        cmocka_unit_test_teardown(test_check_indicate_when_paused, teardown_caught),
        cmocka_unit_test_teardown(test_check_pool_leak_at_halt, teardown_caught),
        cmocka_unit_test_teardown(test_check_free_mdl_not_ndis, teardown_caught),
        cmocka_unit_test_teardown(test_check_unknown_pool, teardown_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
