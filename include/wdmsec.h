/*
 * wdmsec.h -- mdlkit's own text: IoCreateDeviceSecure and the predefined
 * SDDL strings for device objects (SDDL_DEVOBJ_*), as UNICODE_STRING
 * constants. Implemented in src/io/device.c.
 */
#ifndef MDLKIT_WDMSEC_H
#define MDLKIT_WDMSEC_H

#include <wdm.h>
#if defined(__has_include)
#if __has_include(<guiddef.h>)
#include <guiddef.h>
#endif
#endif

MDLKIT_EXTERN_C_BEGIN

struct _GUID;

NTKERNELAPI NTSTATUS IoCreateDeviceSecure(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                          PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                          ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                          PCUNICODE_STRING DefaultSDDLString, const struct _GUID *DeviceClassGuid,
                                          PDEVICE_OBJECT *DeviceObject);

extern const UNICODE_STRING SDDL_DEVOBJ_KERNEL_ONLY;
extern const UNICODE_STRING SDDL_DEVOBJ_INF_SUPPLIED;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_ALL;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RX;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R;
extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX;

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_WDMSEC_H */
