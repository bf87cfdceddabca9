/* testndis.h -- the boilerplate every NDIS 6 miniport writes (attribute
 * blocks, driver characteristics), shared by the tests and the fuzzer that
 * host small test miniports. */
#ifndef MDLKIT_TESTNDIS_H
#define MDLKIT_TESTNDIS_H

#include <ndis.h>

/* NdisMSetMiniportAttributes with registration attributes (PCI, `flags`
 * as AttributeFlags, `ctx` as the adapter context). */
static inline NDIS_STATUS mk_test_ndis_registration(NDIS_HANDLE h, NDIS_HANDLE ctx, ULONG flags)
{
    NDIS_MINIPORT_ADAPTER_ATTRIBUTES a;
    NdisZeroMemory(&a, sizeof a);
    a.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    a.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.MiniportAdapterContext = ctx;
    a.RegistrationAttributes.AttributeFlags = flags;
    a.RegistrationAttributes.InterfaceType = NdisInterfacePci;
    return NdisMSetMiniportAttributes(h, &a);
}

/* NdisMSetMiniportAttributes with general attributes (Ethernet, MTU 1500). */
static inline NDIS_STATUS mk_test_ndis_general(NDIS_HANDLE h)
{
    NDIS_MINIPORT_ADAPTER_ATTRIBUTES a;
    NdisZeroMemory(&a, sizeof a);
    a.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    a.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    a.GeneralAttributes.Header.Size = sizeof a.GeneralAttributes;
    a.GeneralAttributes.MediaType = NdisMedium802_3;
    a.GeneralAttributes.MtuSize = 1500;
    return NdisMSetMiniportAttributes(h, &a);
}

/* NdisMRegisterMiniportDriver from DriverEntry, NDIS 6.0 characteristics. */
static inline NTSTATUS mk_test_ndis_register_driver(PDRIVER_OBJECT o, PUNICODE_STRING r, MINIPORT_INITIALIZE *init,
                                                    MINIPORT_HALT *halt, MINIPORT_SHUTDOWN *shutdown,
                                                    MINIPORT_UNLOAD *unload, NDIS_HANDLE *out)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 6;
    ch.InitializeHandlerEx = init;
    ch.HaltHandlerEx = halt;
    ch.ShutdownHandlerEx = shutdown;
    ch.UnloadHandler = unload;
    o->DriverUnload = unload;
    return (NTSTATUS)NdisMRegisterMiniportDriver(o, r, NULL, &ch, out);
}

#endif
