/*
 * test_storport_headers: the storage headers' layouts (x64 sizes and
 * offsets of the documented structures), the srbhelper.h accessors on
 * both SRB kinds, and the operation-code name table.
 */
#include "testutil.h"

#include <miniport.h> /* before storport.h, as parallel-SCSI miniports include it */
#include <acpiioct.h>
#include <ata.h>
#include <ntddscsi.h>
#include <scsiwmi.h>
#include <srbhelper.h>
#include <storport.h>
#include <stortrce.h>

_Static_assert(sizeof(SCSI_REQUEST_BLOCK) == 88, "SCSI_REQUEST_BLOCK");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, Cdb) == 72, "Cdb");
_Static_assert(sizeof(SCSI_PNP_REQUEST_BLOCK) == 88 && sizeof(SCSI_WMI_REQUEST_BLOCK) == 88 &&
                   sizeof(SCSI_POWER_REQUEST_BLOCK) == 88,
               "SRB forms");
_Static_assert(offsetof(STORAGE_REQUEST_BLOCK, DataBuffer) == 64, "SRB_EX DataBuffer");
_Static_assert(offsetof(STORAGE_REQUEST_BLOCK, MiniportContext) == 104, "SRB_EX MiniportContext");
_Static_assert(offsetof(STORAGE_REQUEST_BLOCK, SrbExDataOffset) == 120, "SRB_EX offsets");
_Static_assert(sizeof(SRBEX_DATA_SCSI_CDB16) == 40 && SRBEX_DATA_SCSI_CDB16_LENGTH == 32, "CDB16 block");
_Static_assert(sizeof(STOR_ADDR_BTL8) == 12, "BTL8");
_Static_assert(sizeof(CDB) == 16 && sizeof(SENSE_DATA) == 18, "CDB / sense");
_Static_assert(sizeof(READ_CAPACITY16_DATA) == 32 && sizeof(READ_CAPACITY_DATA) == 8, "capacity");
_Static_assert(sizeof(PCI_COMMON_HEADER) == 64 && sizeof(PCI_COMMON_CONFIG) == 256, "PCI");
_Static_assert(offsetof(PCI_COMMON_CONFIG, u.type0.CapabilitiesPtr) == 0x34, "CapabilitiesPtr");
_Static_assert(offsetof(VPD_BLOCK_LIMITS_PAGE, Reserved0) == 4, "block limits");
_Static_assert(sizeof(STOR_LOCK_HANDLE) == 32, "STOR_LOCK_HANDLE");
_Static_assert(sizeof(STOR_SCATTER_GATHER_ELEMENT) == 24 && offsetof(STOR_SCATTER_GATHER_LIST, List) == 16, "SG");
_Static_assert(sizeof(SRB_IO_CONTROL) == 28, "SRB_IO_CONTROL");
_Static_assert(sizeof(MESSAGE_INTERRUPT_INFORMATION) == 32, "MSI info");

static void test_srb_accessors_classic(void **state)
{
    (void)state;
    SCSI_REQUEST_BLOCK s;
    UCHAR sense[18], data[64];
    memset(&s, 0, sizeof s);
    s.Function = SRB_FUNCTION_EXECUTE_SCSI;
    s.PathId = 1;
    s.TargetId = 2;
    s.Lun = 3;
    s.CdbLength = 10;
    s.Cdb[0] = SCSIOP_READ;
    s.SenseInfoBuffer = sense;
    s.SenseInfoBufferLength = sizeof sense;
    s.DataBuffer = data;
    s.DataTransferLength = sizeof data;
    s.SrbFlags = SRB_FLAGS_DATA_IN;
    assert_int_equal(SrbGetSrbFunction(&s), SRB_FUNCTION_EXECUTE_SCSI);
    assert_int_equal(SrbGetPathId(&s), 1);
    assert_int_equal(SrbGetTargetId(&s), 2);
    assert_int_equal(SrbGetLun(&s), 3);
    assert_int_equal(SrbGetCdb(&s)->CDB6GENERIC.OperationCode, SCSIOP_READ);
    assert_int_equal(SrbGetCdbLength(&s), 10);
    assert_ptr_equal(SrbGetSenseInfoBuffer(&s), sense);
    assert_ptr_equal(SrbGetDataBuffer(&s), data);
    SrbSetDataTransferLength(&s, 32);
    assert_int_equal(s.DataTransferLength, 32);
    SrbSetScsiStatus(&s, SCSISTAT_CHECK_CONDITION);
    assert_int_equal(s.ScsiStatus, SCSISTAT_CHECK_CONDITION);
    s.SrbStatus = SRB_STATUS_AUTOSENSE_VALID;
    SrbSetSrbStatus(&s, SRB_STATUS_ERROR); /* keeps AUTOSENSE_VALID */
    assert_int_equal(s.SrbStatus, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID);
    assert_null(SrbGetSrbExDataByType((PSTORAGE_REQUEST_BLOCK)&s, SrbExDataTypeScsiCdb16));
}

static void test_srb_accessors_ex(void **state)
{
    (void)state;
    struct {
        STORAGE_REQUEST_BLOCK srb;
        STOR_ADDR_BTL8 addr;
        SRBEX_DATA_SCSI_CDB16 cdb;
    } x;
    UCHAR sense[18];
    memset(&x, 0, sizeof x);
    x.srb.Function = SRB_FUNCTION_STORAGE_REQUEST_BLOCK;
    x.srb.Signature = SRB_SIGNATURE;
    x.srb.Version = STORAGE_REQUEST_BLOCK_VERSION_1;
    x.srb.SrbLength = sizeof x;
    x.srb.SrbFunction = SRB_FUNCTION_EXECUTE_SCSI;
    x.srb.AddressOffset = offsetof(__typeof__(x), addr);
    x.srb.NumSrbExData = 1;
    x.srb.SrbExDataOffset[0] = offsetof(__typeof__(x), cdb);
    x.addr.Type = STOR_ADDRESS_TYPE_BTL8;
    x.addr.AddressLength = STOR_ADDR_BTL8_ADDRESS_LENGTH;
    x.addr.Path = 4;
    x.addr.Target = 5;
    x.addr.Lun = 6;
    x.cdb.Type = SrbExDataTypeScsiCdb16;
    x.cdb.Length = SRBEX_DATA_SCSI_CDB16_LENGTH;
    x.cdb.CdbLength = 16;
    x.cdb.Cdb[0] = SCSIOP_WRITE16;
    x.cdb.SenseInfoBuffer = sense;
    x.cdb.SenseInfoBufferLength = sizeof sense;
    assert_int_equal(SrbGetSrbFunction(&x), SRB_FUNCTION_EXECUTE_SCSI);
    assert_int_equal(SrbGetPathId(&x), 4);
    assert_int_equal(SrbGetTargetId(&x), 5);
    assert_int_equal(SrbGetLun(&x), 6);
    assert_int_equal(SrbGetCdb(&x)->CDB16.OperationCode, SCSIOP_WRITE16);
    assert_int_equal(SrbGetCdbLength(&x), 16);
    assert_ptr_equal(SrbGetSenseInfoBuffer(&x), sense);
    assert_int_equal(SrbGetSenseInfoBufferLength(&x), sizeof sense);
    SrbSetScsiStatus(&x, SCSISTAT_BUSY);
    assert_int_equal(x.cdb.ScsiStatus, SCSISTAT_BUSY);
    assert_ptr_equal(SrbGetSrbExDataByType(&x.srb, SrbExDataTypeScsiCdb16), &x.cdb);
    assert_null(SrbGetSrbExDataByType(&x.srb, SrbExDataTypePnP));
    assert_null(SrbGetSrbExDataByIndex(&x.srb, 1));
    x.srb.SrbExDataOffset[0] = 4; /* inside the header: refused */
    assert_null(SrbGetCdb(&x));
}

/* Parallel-SCSI bus messages (SPI) and the DMA64 flags lsi_u3 uses. */
static void test_scsi_bus_messages(void **state)
{
    (void)state;
    assert_int_equal(SCSIMESS_COMMAND_COMPLETE, 0x00);
    assert_int_equal(SCSIMESS_EXTENDED_MESSAGE, 0x01);
    assert_int_equal(SCSIMESS_INIT_DETECTED_ERROR, 0x05);
    assert_int_equal(SCSIMESS_ABORT, 0x06);
    assert_int_equal(SCSIMESS_MESSAGE_REJECT, 0x07);
    assert_int_equal(SCSIMESS_MESS_PARITY_ERROR, 0x09);
    assert_int_equal(SCSIMESS_BUS_DEVICE_RESET, 0x0C);
    assert_int_equal(SCSIMESS_ABORT_WITH_TAG, 0x0D);
    assert_int_equal(SCSIMESS_TERMINATE_IO_PROCESS, 0x11);
    assert_int_equal(SCSIMESS_SIMPLE_QUEUE_TAG, 0x20);
    assert_int_equal(SCSIMESS_IDENTIFY, 0x80);
    assert_int_equal(SCSIMESS_IDENTIFY_WITH_DISCON, 0xC0);
    assert_int_equal(SCSIMESS_SYNCHRONOUS_DATA_REQ, 0x01);
    assert_int_equal(SCSIMESS_WIDE_DATA_REQUEST, 0x03);
    assert_int_equal(SCSIMESS_SYNCH_DATA_LENGTH, 3);
    assert_int_equal(SCSIMESS_WIDE_DATA_LENGTH, 2);
    /* the flag fits the UCHAR field it is tested in */
    PORT_CONFIGURATION_INFORMATION c;
    memset(&c, 0, sizeof c);
    c.Dma64BitAddresses = SCSI_DMA64_SYSTEM_SUPPORTED | SCSI_DMA64_MINIPORT_SUPPORTED;
    assert_true(c.Dma64BitAddresses & SCSI_DMA64_SYSTEM_SUPPORTED);
    assert_int_equal(c.Dma64BitAddresses, 0x81);
}

_Static_assert(sizeof(ATA_PASS_THROUGH_EX) == 48 && offsetof(ATA_PASS_THROUGH_EX, DataBufferOffset) == 24 &&
                   offsetof(ATA_PASS_THROUGH_EX, CurrentTaskFile) == 40,
               "ATA_PASS_THROUGH_EX");
_Static_assert(sizeof(ATA_PASS_THROUGH_DIRECT) == 48 && offsetof(ATA_PASS_THROUGH_DIRECT, DataBuffer) == 24,
               "ATA_PASS_THROUGH_DIRECT");

/* IDENTIFY DEVICE data: 512 bytes, each field at its ATA word */
#define ATA_WORD(f) (offsetof(IDENTIFY_DEVICE_DATA, f) / 2)
_Static_assert(sizeof(IDENTIFY_DEVICE_DATA) == 512, "IDENTIFY_DEVICE_DATA");
_Static_assert(ATA_WORD(SerialNumber) == 10 && ATA_WORD(FirmwareRevision) == 23 && ATA_WORD(ModelNumber) == 27,
               "identify strings");
_Static_assert(ATA_WORD(TrustedComputing) == 48 && ATA_WORD(Capabilities) == 49 && ATA_WORD(CurrentSectorCapacity) == 57,
               "identify 48-58");
_Static_assert(ATA_WORD(UserAddressableSectors) == 60 && ATA_WORD(AdditionalSupported) == 69 &&
                   ATA_WORD(SerialAtaCapabilities) == 76 && ATA_WORD(SerialAtaFeaturesSupported) == 78,
               "identify 60-78");
_Static_assert(ATA_WORD(MajorRevision) == 80 && ATA_WORD(CommandSetSupport) == 82 && ATA_WORD(CommandSetActive) == 85 &&
                   ATA_WORD(Max48BitLBA) == 100 && ATA_WORD(PhysicalLogicalSectorSize) == 106,
               "identify 80-106");
_Static_assert(ATA_WORD(WordsPerLogicalSector) == 117 && ATA_WORD(CommandSetSupportExt) == 119 &&
                   ATA_WORD(SecurityStatus) == 128 && ATA_WORD(DataSetManagementFeature) == 169,
               "identify 117-169");
_Static_assert(ATA_WORD(BlockAlignment) == 209 && ATA_WORD(NominalMediaRotationRate) == 217 &&
                   ATA_WORD(NVCacheOptions) == 219 && ATA_WORD(ExtendedNumberOfUserAddressableSectors) == 230 &&
                   ATA_WORD(MinBlocksPerDownloadMicrocodeMode03) == 234 && ATA_WORD(ReservedWord236) == 236,
               "identify 209-236");

#define ATAPI_WORD(f) (offsetof(IDENTIFY_PACKET_DATA, f) / 2)
_Static_assert(sizeof(IDENTIFY_PACKET_DATA) == 512, "IDENTIFY_PACKET_DATA");
_Static_assert(ATAPI_WORD(SerialNumber) == 10 && ATAPI_WORD(ModelNumber) == 27 && ATAPI_WORD(Capabilities) == 49 &&
                   ATAPI_WORD(DMADIR) == 62 && ATAPI_WORD(SerialAtaCapabilities) == 76 &&
                   ATAPI_WORD(CommandSetSupport) == 82 && ATAPI_WORD(AtapiZeroByteCount) == 125 &&
                   ATAPI_WORD(TransportMajorVersion) == 222,
               "identify packet words");

/* Bits land where the standard puts them. */
static void test_identify_device_bits(void **state)
{
    (void)state;
    USHORT w[256];
    memset(w, 0, sizeof w);
    w[49] = 1u << 9;              /* LBA supported */
    w[75] = 31;                   /* queue depth 32 */
    w[76] = 1u << 8;              /* NCQ */
    w[83] = (1u << 10) | (1u << 13) | (1u << 14); /* 48-bit, FLUSH CACHE EXT, word valid */
    w[84] = 1u << 5;              /* GPL */
    w[106] = 0x4000 | 0x2000 | 3; /* 8 logical per physical */
    w[169] = 1;                   /* TRIM */
    w[217] = 1;                   /* not rotating */
    w[255] = 0xA5 | (0x12 << 8);
    const IDENTIFY_DEVICE_DATA *id = (const IDENTIFY_DEVICE_DATA *)w;
    assert_int_equal(id->Capabilities.LbaSupported, 1);
    assert_int_equal(id->Capabilities.DmaSupported, 0);
    assert_int_equal(id->QueueDepth, 31);
    assert_int_equal(id->SerialAtaCapabilities.NCQ, 1);
    assert_int_equal(id->CommandSetSupport.BigLba, 1);
    assert_int_equal(id->CommandSetSupport.FlushCacheExt, 1);
    assert_int_equal(id->CommandSetSupport.WordValid83, 1);
    assert_int_equal(id->CommandSetSupport.GpLogging, 1);
    assert_int_equal(id->PhysicalLogicalSectorSize.LogicalSectorsPerPhysicalSector, 3);
    assert_int_equal(id->PhysicalLogicalSectorSize.MultipleLogicalSectorsPerPhysicalSector, 1);
    assert_int_equal(id->DataSetManagementFeature.SupportsTrim, 1);
    assert_int_equal(id->NominalMediaRotationRate, 1);
    assert_int_equal(id->Signature, 0xA5);
    assert_int_equal(id->CheckSum, 0x12);

    memset(w, 0, sizeof w);
    w[0] = 0x8000 | (5u << 8) | 1; /* ATAPI, CD/DVD, 16-byte packets */
    w[49] = (1u << 8) | (1u << 15); /* DMA, interleaved DMA */
    w[62] = 1u << 15;               /* DMADIR required */
    w[77] = 1u << 4;                /* slimline device attention */
    w[78] = 1u << 5;                /* asynchronous notification */
    const IDENTIFY_PACKET_DATA *pk = (const IDENTIFY_PACKET_DATA *)w;
    assert_int_equal(pk->GeneralConfiguration.DeviceType, 2);
    assert_int_equal(pk->GeneralConfiguration.CommandPacketType, 5);
    assert_int_equal(pk->GeneralConfiguration.PacketType, 1);
    assert_int_equal(pk->Capabilities.DmaSupported, 1);
    assert_int_equal(pk->Capabilities.InterleavedDmaSupported, 1);
    assert_int_equal(pk->DMADIR.DMADIRBitRequired, 1);
    assert_int_equal(pk->SerialAtaCapabilities.SlimlineDeviceAttention, 1);
    assert_int_equal(pk->SerialAtaFeaturesSupported.AsynchronousNotification, 1);
}

_Static_assert(sizeof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES) == 28 && sizeof(DEVICE_DATA_SET_RANGE) == 16,
               "data set management");

_Static_assert(sizeof(((CDB *)0)->ATA_PASSTHROUGH16) == 16 && offsetof(CDB, ATA_PASSTHROUGH16.Command) == 14,
               "ATA PASS-THROUGH(16)");
_Static_assert(sizeof(((CDB *)0)->WRITE_BUFFER) == 10 && offsetof(CDB, WRITE_BUFFER.ParameterListLength) == 6,
               "WRITE BUFFER");
_Static_assert(sizeof(((CDB *)0)->SECURITY_PROTOCOL_IN) == 12 &&
                   offsetof(CDB, SECURITY_PROTOCOL_IN.AllocationLength) == 6,
               "SECURITY PROTOCOL IN");

_Static_assert(sizeof(SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN) == 14 &&
                   offsetof(SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN, Status) == 13,
               "ATA status return descriptor");
_Static_assert(offsetof(DESCRIPTOR_SENSE_DATA, DescriptorBuffer) == 8 && sizeof(SENSE_DATA_EX) == sizeof(SENSE_DATA),
               "descriptor sense data");

/* Descriptor sense: fields at their SPC-4 bytes, descriptors after byte 8. */
static void test_descriptor_sense(void **state)
{
    (void)state;
    UCHAR raw[8 + 14];
    memset(raw, 0, sizeof raw);
    raw[0] = SCSI_SENSE_ERRORCODE_DESCRIPTOR_CURRENT;
    raw[1] = SCSI_SENSE_RECOVERED_ERROR;
    raw[2] = 0x00;
    raw[3] = 0x1D; /* ATA PASS THROUGH INFORMATION AVAILABLE */
    raw[7] = 14;
    raw[8] = SCSI_SENSE_DESCRIPTOR_TYPE_ATA_STATUS_RETURN;
    raw[9] = 12;
    raw[10] = 1;    /* extend */
    raw[21] = 0x50; /* status: DRDY | DSC */
    const DESCRIPTOR_SENSE_DATA *d = (const DESCRIPTOR_SENSE_DATA *)raw;
    assert_int_equal(d->ErrorCode, 0x72);
    assert_int_equal(d->SenseKey, SCSI_SENSE_RECOVERED_ERROR);
    assert_int_equal(d->AdditionalSenseCodeQualifier, 0x1D);
    assert_int_equal(d->AdditionalSenseLength, 14);
    const SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN *a = (const SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN *)d->DescriptorBuffer;
    assert_int_equal(a->Header.DescriptorType, 9);
    assert_int_equal(a->Header.AdditionalLength, 12);
    assert_int_equal(a->Extend, 1);
    assert_int_equal(a->Status, IDE_STATUS_IDLE);
    PZZSTR list = (PZZSTR)"a\0b\0";
    PCZZWSTR wlist = L"x\0";
    assert_int_equal(list[2], 'b');
    assert_int_equal(wlist[0], L'x');
}

_Static_assert(sizeof(ACPI_METHOD_ARGUMENT) == 8 && offsetof(ACPI_EVAL_INPUT_BUFFER_COMPLEX, Argument) == 16 &&
                   offsetof(ACPI_EVAL_OUTPUT_BUFFER, Argument) == 12 && sizeof(ACPI_EVAL_INPUT_BUFFER) == 8,
               "ACPI evaluation buffers");

/* ACPI method arguments: packing one after another with the macros. */
static void test_acpi_method_arguments(void **state)
{
    (void)state;
    assert_int_equal(IOCTL_ACPI_EVAL_METHOD, 0x0032C000UL);
    assert_int_equal(ACPI_EVAL_INPUT_BUFFER_COMPLEX_SIGNATURE, 'CieA');
    ULONG store[16];
    memset(store, 0, sizeof store);
    ACPI_EVAL_INPUT_BUFFER_COMPLEX *in = (ACPI_EVAL_INPUT_BUFFER_COMPLEX *)store;
    in->Signature = ACPI_EVAL_INPUT_BUFFER_COMPLEX_SIGNATURE;
    in->MethodNameAsUlong = 0x4D53445F; /* "_DSM", little-endian */
    assert_int_equal(in->MethodName[0], '_');
    PACPI_METHOD_ARGUMENT a = in->Argument;
    ACPI_METHOD_SET_ARGUMENT_INTEGER(a, 7);
    assert_int_equal(ACPI_METHOD_ARGUMENT_LENGTH_FROM_ARGUMENT(a), 8);
    a = ACPI_METHOD_NEXT_ARGUMENT(a);
    assert_ptr_equal(a, (PUCHAR)in->Argument + 8);
    UCHAR bytes[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    ACPI_METHOD_SET_ARGUMENT_BUFFER(a, bytes, sizeof bytes);
    assert_int_equal(a->Type, ACPI_METHOD_ARGUMENT_BUFFER);
    assert_int_equal(ACPI_METHOD_ARGUMENT_LENGTH_FROM_ARGUMENT(a), 14);
    assert_int_equal(a->Data[9], 10);
    a = ACPI_METHOD_NEXT_ARGUMENT(a);
    ACPI_METHOD_SET_ARGUMENT_STRING(a, "ab");
    assert_int_equal(a->DataLength, 3);
    assert_int_equal(ACPI_METHOD_ARGUMENT_LENGTH(1), 8); /* at least a ULONG's room */
}

/* The CDB forms' bits land where SAT / SPC put them. */
static void test_cdb_forms(void **state)
{
    (void)state;
    CDB cdb;
    memset(&cdb, 0, sizeof cdb);
    cdb.ATA_PASSTHROUGH16.Extend = 1;
    cdb.ATA_PASSTHROUGH16.Protocol = 6; /* DMA */
    cdb.ATA_PASSTHROUGH16.TLength = 2;
    cdb.ATA_PASSTHROUGH16.ByteBlock = 1;
    cdb.ATA_PASSTHROUGH16.TDir = 1;
    cdb.ATA_PASSTHROUGH16.CkCond = 1;
    assert_int_equal(cdb.AsByte[1], 0x0D);
    assert_int_equal(cdb.AsByte[2], 0x2E);
    memset(&cdb, 0, sizeof cdb);
    cdb.WRITE_BUFFER.Mode = 0x0E;
    cdb.WRITE_BUFFER.ModeSpecific = 1;
    assert_int_equal(cdb.AsByte[1], 0x2E);
    memset(&cdb, 0, sizeof cdb);
    cdb.SECURITY_PROTOCOL_IN.INC_512 = 1;
    assert_int_equal(cdb.AsByte[4], 0x80);
}

/* Data-set management action codes and the form-factor enumeration. */
static void test_storage_dsm_definitions(void **state)
{
    (void)state;
    assert_int_equal(DeviceDsmAction_Trim, 1);
    assert_int_equal(DeviceDsmAction_OffloadWrite, 4);
    assert_int_equal(DeviceDsmAction_Notification, 0x80000002UL);
    assert_int_equal(DeviceDsmAction_NvCache_Change_Priority, 0x8000000EUL);
    assert_int_equal(DeviceDsmAction_NvCache_Evict, 0x8000000FUL);
    assert_int_equal(DeviceDsmAction_ResetWritePointer, 0x17);
    assert_int_equal(DeviceDsmAction_WriteZeroes, 0x19);
    assert_int_equal(DeviceDsmAction_VdtSet, 0x1D);
    assert_int_equal(DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE, 1);
    assert_int_equal(FormFactor3_5, 1);
    assert_int_equal(FormFactormSata, 7);
    assert_int_equal(FormFactorM_2, 8);
    assert_int_equal(FormFactorDimm, 10);
    assert_int_equal(offsetof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES, DataSetRangesOffset), 20);
}

/* <ata.h>: register bits and command codes storahci uses, and ATA pass-through flags. */
static void test_ata_definitions(void **state)
{
    (void)state;
    assert_int_equal(IDE_STATUS_ERROR | IDE_STATUS_DRQ | IDE_STATUS_DRDY | IDE_STATUS_BUSY, 0xC9);
    assert_int_equal(IDE_STATUS_DEVICE_FAULT, 0x20);
    assert_int_equal(IDE_ERROR_COMMAND_ABORTED, 0x04);
    assert_int_equal(IDE_ERROR_CRC_ERROR, IDE_ERROR_BAD_BLOCK);
    assert_int_equal(IDE_ERROR_ADDRESS_NOT_FOUND, IDE_ERROR_ILLEGAL_LENGTH);
    assert_int_equal(IDE_COMMAND_IDENTIFY, 0xEC);
    assert_int_equal(IDE_COMMAND_ATAPI_IDENTIFY, 0xA1);
    assert_int_equal(IDE_COMMAND_ATAPI_PACKET, 0xA0);
    assert_int_equal(IDE_COMMAND_READ_DMA_EXT, 0x25);
    assert_int_equal(IDE_COMMAND_WRITE_DMA_FUA_EXT, 0x3D);
    assert_int_equal(IDE_COMMAND_READ_FPDMA_QUEUED, 0x60);
    assert_int_equal(IDE_COMMAND_WRITE_FPDMA_QUEUED, 0x61);
    assert_int_equal(IDE_COMMAND_READ_LOG_EXT, 0x2F);
    assert_int_equal(IDE_COMMAND_READ_LOG_DMA_EXT, 0xB1);
    assert_int_equal(IDE_COMMAND_FLUSH_CACHE_EXT, 0xEA);
    assert_int_equal(IDE_COMMAND_SET_FEATURE, 0xEF);
    assert_int_equal(IDE_COMMAND_DATA_SET_MANAGEMENT, 0x06);
    assert_int_equal(IDE_COMMAND_NOT_VALID, 0xFF);
    assert_int_equal(IDE_FEATURE_ENABLE_WRITE_CACHE, 0x02);
    assert_int_equal(IDE_FEATURE_DISABLE_WRITE_CACHE, 0x82);
    assert_int_equal(IDE_SET_UDMA_MODE(5), 0x45);
    assert_int_equal(IDE_SMART_RETURN_STATUS, 0xDA);
    assert_int_equal(IDE_GP_LOG_IDENTIFY_DEVICE_DATA_ADDRESS, 0x30);
    assert_int_equal(IDE_GP_LOG_SECTOR_SIZE, 512);
    assert_int_equal(ATA_DEVICE_SIGNATURE_ATAPI, 0xEB140101UL);
    assert_int_equal(ATA_FLAGS_DATA_IN | ATA_FLAGS_48BIT_COMMAND | ATA_FLAGS_USE_DMA, 0x1A);
    assert_int_equal(ATA_FLAGS_NO_MULTIPLE, 0x20);
}

static void test_opcode_names(void **state)
{
    (void)state;
    assert_string_equal(mdlkit_scsiop_name(SCSIOP_READ), "SCSIOP_READ");
    assert_string_equal(mdlkit_scsiop_name(SCSIOP_READ16), "SCSIOP_READ16");
    assert_string_equal(mdlkit_scsiop_name(SCSIOP_UNMAP), "SCSIOP_READ_SUB_CHANNEL"); /* the table's first name */
    assert_string_equal(mdlkit_scsiop_name(SCSIOP_REPORT_LUNS), "SCSIOP_REPORT_LUNS");
    assert_null(mdlkit_scsiop_name(0xFE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srb_accessors_classic),
        cmocka_unit_test(test_srb_accessors_ex),
        cmocka_unit_test(test_scsi_bus_messages),
        cmocka_unit_test(test_ata_definitions),
        cmocka_unit_test(test_storage_dsm_definitions),
        cmocka_unit_test(test_cdb_forms),
        cmocka_unit_test(test_descriptor_sense),
        cmocka_unit_test(test_acpi_method_arguments),
        cmocka_unit_test(test_identify_device_bits),
        cmocka_unit_test_setup_teardown(test_opcode_names, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
