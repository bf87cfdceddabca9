/*
 * mkwdk/rtl.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: run-time library: debug output,
 * strings, memory and list helpers, integer helpers, bitmaps, versions.
 *
 * Implemented in src/rtl/ (strings, bitmaps, versions, lists) and
 * src/ke/debug.c (DbgPrint family). Names, values and layouts are
 * documented facts; the text is mdlkit's.
 */
#ifndef MDLKIT_MKWDK_RTL_H
#define MDLKIT_MKWDK_RTL_H

#include <guiddef.h>

/* ------------------------------------------------------------------------
 * Debug output (src/ke/debug.c)
 *
 * The format language is the kernel's, not glibc's: %wZ (PUNICODE_STRING),
 * %Z (PANSI_STRING), %ws / %S (WCHAR string), %wc / %C (WCHAR), %hs, %I64d,
 * %Id (pointer-sized), %I32x, %p as 16 upper-case hex digits, and a 32-bit
 * %lx. Messages are filtered by component and level as Windows does;
 * MDLKIT_DBGPRINT and mdlkit_dbgprint_set_mask (mdlkit.h) change the masks.
 * ---------------------------------------------------------------------- */
/* Every component ID, as X(NAME, value) for DPFLTR_<NAME>_ID. */
#define MDLKIT_DPFLTR_COMPONENTS(X) \
    X(SYSTEM, 0) X(SMSS, 1) X(SETUP, 2) X(NTFS, 3) X(FSTUB, 4) X(CRASHDUMP, 5) X(CDAUDIO, 6) \
    X(CDROM, 7) X(CLASSPNP, 8) X(DISK, 9) X(REDBOOK, 10) X(STORPROP, 11) X(SCSIPORT, 12) \
    X(SCSIMINIPORT, 13) X(CONFIG, 14) X(I8042PRT, 15) X(SERMOUSE, 16) X(LSERMOUS, 17) X(KBDHID, 18) \
    X(MOUHID, 19) X(KBDCLASS, 20) X(MOUCLASS, 21) X(TWOTRACK, 22) X(WMILIB, 23) X(ACPI, 24) X(AMLI, 25) \
    X(HALIA64, 26) X(VIDEO, 27) X(SVCHOST, 28) X(VIDEOPRT, 29) X(TCPIP, 30) X(DMSYNTH, 31) \
    X(NTOSPNP, 32) X(FASTFAT, 33) X(SAMSS, 34) X(PNPMGR, 35) X(NETAPI, 36) X(SCSERVER, 37) \
    X(SCCLIENT, 38) X(SERIAL, 39) X(SERENUM, 40) X(UHCD, 41) X(RPCPROXY, 42) X(AUTOCHK, 43) \
    X(DCOMSS, 44) X(UNIMODEM, 45) X(SIS, 46) X(FLTMGR, 47) X(WMICORE, 48) X(BURNENG, 49) X(IMAPI, 50) \
    X(SXS, 51) X(FUSION, 52) X(IDLETASK, 53) X(SOFTPCI, 54) X(TAPE, 55) X(MCHGR, 56) X(IDEP, 57) \
    X(PCIIDE, 58) X(FLOPPY, 59) X(FDC, 60) X(TERMSRV, 61) X(W32TIME, 62) X(PREFETCHER, 63) \
    X(RSFILTER, 64) X(FCPORT, 65) X(PCI, 66) X(DMIO, 67) X(DMCONFIG, 68) X(DMADMIN, 69) \
    X(WSOCKTRANSPORT, 70) X(VSS, 71) X(PNPMEM, 72) X(PROCESSOR, 73) X(DMSERVER, 74) X(SR, 75) \
    X(INFINIBAND, 76) X(IHVDRIVER, 77) X(IHVVIDEO, 78) X(IHVAUDIO, 79) X(IHVNETWORK, 80) \
    X(IHVSTREAMING, 81) X(IHVBUS, 82) X(HPS, 83) X(RTLTHREADPOOL, 84) X(LDR, 85) X(TCPIP6, 86) \
    X(ISAPNP, 87) X(SHPC, 88) X(STORPORT, 89) X(STORMINIPORT, 90) X(PRINTSPOOLER, 91) X(VSSDYNDISK, 92) \
    X(VERIFIER, 93) X(VDS, 94) X(VDSBAS, 95) X(VDSDYN, 96) X(VDSDYNDR, 97) X(VDSLDR, 98) X(VDSUTIL, 99) \
    X(DFRGIFC, 100) X(DEFAULT, 101) X(MM, 102) X(DFSC, 103) X(WOW64, 104) X(ALPC, 105) X(WDI, 106) \
    X(PERFLIB, 107) X(KTM, 108) X(IOSTRESS, 109) X(HEAP, 110) X(WHEA, 111) X(USERGDI, 112) \
    X(MMCSS, 113) X(TPM, 114) X(THREADORDER, 115) X(ENVIRON, 116) X(EMS, 117) X(WDT, 118) \
    X(FVEVOL, 119) X(NDIS, 120) X(NVCTRACE, 121) X(LUAFV, 122) X(APPCOMPAT, 123) X(USBSTOR, 124) \
    X(SBP2PORT, 125) X(COVERAGE, 126) X(CACHEMGR, 127) X(MOUNTMGR, 128) X(CFR, 129) X(TXF, 130) \
    X(KSECDD, 131) X(FLTREGRESS, 132) X(MPIO, 133) X(MSDSM, 134) X(UDFS, 135) X(PSHED, 136) \
    X(STORVSP, 137) X(LSASS, 138) X(SSPICLI, 139) X(CNG, 140) X(EXFAT, 141) X(FILETRACE, 142) \
    X(XSAVE, 143) X(SE, 144) X(DRIVEEXTENDER, 145) X(POWER, 146) X(CRASHDUMPXHCI, 147) X(GPIO, 148) \
    X(REFS, 149) X(WER, 150) X(CAPIMG, 151) X(VPCI, 152) X(STORAGECLASSMEMORY, 153) X(FSLIB, 154)
#define MDLKIT_DPFLTR_ENUM_(name, value) DPFLTR_##name##_ID = value,
typedef enum _DPFLTR_TYPE { MDLKIT_DPFLTR_COMPONENTS(MDLKIT_DPFLTR_ENUM_) DPFLTR_ENDOFTABLE_ID } DPFLTR_TYPE;
#undef MDLKIT_DPFLTR_ENUM_

#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000UL

NTSYSAPI ULONG DbgPrint(PCSTR Format, ...);
NTSYSAPI ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
NTSYSAPI ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist);
NTSYSAPI ULONG vDbgPrintExWithPrefix(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format,
                                     va_list arglist);
NTSYSAPI ULONG DbgPrintReturnControlC(PCSTR Format, ...);
NTSYSAPI NTSTATUS DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level);
NTSYSAPI NTSTATUS DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State);
NTSYSAPI void DbgBreakPoint(void);
NTSYSAPI void DbgBreakPointWithStatus(ULONG Status);
/* DbgRaiseAssertionFailure: what NT_ASSERT's failure raises (int 2c):
 * STATUS_ASSERTION_FAILURE, bug check 0x1E when nothing handles it (no
 * debugger). __annotation records text for a debugger: nothing here. */
NTSYSAPI void DbgRaiseAssertionFailure(void);
#define __annotation(...) ((void)0)
#define DBG_STATUS_CONTROL_C 1
#define DBG_STATUS_SYSRQ 2
#define DBG_STATUS_BUGCHECK_FIRST 3
#define DBG_STATUS_BUGCHECK_SECOND 4
#define DBG_STATUS_FATAL 5
#define DBG_STATUS_DEBUG_CONTROL 6
#define DBG_STATUS_WORKER 7

/* No kernel debugger is attached to the simulated machine. */
extern PBOOLEAN KdDebuggerEnabled;
extern PBOOLEAN KdDebuggerNotPresent;
#define KD_DEBUGGER_ENABLED (*KdDebuggerEnabled)
#define KD_DEBUGGER_NOT_PRESENT (*KdDebuggerNotPresent)
NTKERNELAPI BOOLEAN KdRefreshDebuggerNotPresent(void);

/* mdlkit treats driver code as a debug build for these: KdPrint, KdBreakPoint
 * and ASSERT are active whatever DBG says (docs/ddi-notes.md). */
#define KdPrint(args) DbgPrint args
#define KdPrintEx(args) DbgPrintEx args
#define vKdPrintEx(args) vDbgPrintEx args
#define vKdPrintExWithPrefix(args) vDbgPrintExWithPrefix args
#define KdBreakPoint() DbgBreakPoint()
#define KdBreakPointWithStatus(s) DbgBreakPointWithStatus(s)
#define __debugbreak() DbgBreakPoint()

void mdlkit_assert_failed(const char *expr, const char *file, int line);
NTSYSAPI void RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage);
#define ASSERT(e) ((void)((e) ? 1 : (mdlkit_assert_failed(#e, __FILE__, __LINE__), 0)))
#define ASSERTMSG(m, e) ((void)((e) ? 1 : (mdlkit_assert_failed(m, __FILE__, __LINE__), 0)))
#define RTL_SOFT_ASSERT(e) ((void)((e) ? 1 : (DbgPrint("%s(%d): Soft assertion failed\n   Expression: %s\n", __FILE__, __LINE__, #e), 0)))
#define RTL_SOFT_ASSERTMSG(m, e) ((void)((e) ? 1 : (DbgPrint("%s(%d): Soft assertion failed\n   Expression: %s\n   Message: %s\n", __FILE__, __LINE__, #e, (m)), 0)))
#define NT_ASSERT(e) ASSERT(e)
#define NT_ASSERTMSG(m, e) ASSERTMSG(m, e)
#define NT_ASSERTMSGW(m, e) ASSERT(e)
#define NT_ASSERT_ACTION(e) ASSERT(e)
#define NT_ASSERT_ASSUME(e) ASSERT(e)
#define NT_ASSERT_NOASSUME(e) ASSERT(e)
#define NT_VERIFY(e) ASSERT(e)
#define NT_VERIFYMSG(m, e) ASSERTMSG(m, e)
#define NT_FRE_ASSERT(e) ASSERT(e)

/* The wide-string C routines the kernel exports, on 16-bit WCHAR strings
 * (the host C library's wcs* routines work on its own 32-bit wchar_t; these
 * names are mdlkit's, so driver code calling wcslen, wcschr or wcsstr gets
 * the kernel's behaviour whatever the host library is). src/rtl/wcs.c. */
size_t mdlkit_wcslen(PCWSTR s);
PWCHAR mdlkit_wcschr(PCWSTR s, WCHAR c);
PWCHAR mdlkit_wcsstr(PCWSTR s, PCWSTR find);
#define wcslen mdlkit_wcslen
#define wcschr mdlkit_wcschr
#define wcsstr mdlkit_wcsstr

/* PAGED_CODE: pageable code must run at IRQL <= APC_LEVEL. At a higher IRQL
 * it is the documented ASSERT: STATUS_ASSERTION_FAILURE is raised (bug check
 * 0x1E with P1 0xC0000420 when nothing handles it). */
void mdlkit_paged_code_check(const char *file, int line);
#define PAGED_CODE() mdlkit_paged_code_check(__FILE__, __LINE__)
#define PAGED_CODE_LOCKED() ((void)0)
#define PAGED_ASSERT(e) ASSERT(e)
#ifndef ALLOC_PRAGMA
#define ALLOC_PRAGMA 1
#endif
#ifndef ALLOC_DATA_PRAGMA
#define ALLOC_DATA_PRAGMA 1
#endif
#define NOP_FUNCTION ((void)0)
#define CODE_SEG(x)

/* ------------------------------------------------------------------------
 * WPP software tracing, as the .tmh files mdlkit-tracewpp generates use it
 * (src/ke/debug.c). A trace message goes to DbgPrintEx; WPP's %!NAME!
 * specifiers are understood.
 * ---------------------------------------------------------------------- */
#ifndef TRACE_LEVEL_NONE
#define TRACE_LEVEL_NONE 0
#define TRACE_LEVEL_CRITICAL 1
#define TRACE_LEVEL_FATAL 1
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5
#define TRACE_LEVEL_RESERVED6 6
#define TRACE_LEVEL_RESERVED7 7
#define TRACE_LEVEL_RESERVED8 8
#define TRACE_LEVEL_RESERVED9 9
#endif
typedef struct mdlkit_wpp_control {
    ULONG Flags[4];   /* enabled WPP_DEFINE_BITs of one control GUID */
    UCHAR Level;      /* highest TRACE_LEVEL_* enabled */
    UCHAR Reserved[3];
} mdlkit_wpp_control;
typedef struct mdlkit_wpp_hexdump {
    const void *Buffer;
    USHORT Length;
} mdlkit_wpp_hexdump;
#define WppHexDump(p, n) ((mdlkit_wpp_hexdump){(const void *)(p), (USHORT)(n)})
/* WPP_INIT_TRACING: every flag on, every level (as a session that records
 * everything); WPP_CLEANUP: all off again. */
void mdlkit_wpp_init(mdlkit_wpp_control *controls, ULONG count);
void mdlkit_wpp_cleanup(mdlkit_wpp_control *controls, ULONG count);
/* TRACE_LEVEL_* -> DPFLTR_*_LEVEL: critical/fatal/error -> ERROR, warning ->
 * WARNING, information -> TRACE, verbose and above -> INFO. */
ULONG mdlkit_wpp_level(ULONG trace_level);
/* A trace named by a WPP_DEFINE_BIT only: its bit selects the DbgPrintEx
 * level bit (bit % 31), as a mask. */
#define MDLKIT_WPP_FLAG_LEVEL(bit) ((ULONG)(DPFLTR_MASK | (1UL << ((ULONG)(bit) % 31))))
ULONG mdlkit_wpp_trace(ULONG component, ULONG level, const char *file, int line, const char *func,
                       const char *format, ...);

/* ------------------------------------------------------------------------
 * Strings (src/rtl/unicode.c, src/rtl/ansi.c)
 * ---------------------------------------------------------------------- */
typedef STRING OEM_STRING, *POEM_STRING;
typedef const STRING *PCANSI_STRING, *PCOEM_STRING;
typedef struct _CSTRING {
    USHORT Length;
    USHORT MaximumLength;
    const char *Buffer;
} CSTRING, *PCSTRING;
typedef STRING UTF8_STRING, *PUTF8_STRING;
typedef char *PSZ;
typedef const char *PCSZ;
typedef const STRING *PCUTF8_STRING;
typedef CHAR *PCH, *LPCH;
typedef const CHAR *PCCH;
typedef WCHAR *PWCH, *LPWCH;
typedef const WCHAR *PCWCHAR;
typedef USHORT RTL_STRING_LENGTH_TYPE;

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)

/* Sizes are those of the literal, without its terminating NUL. */
#define RTL_CONSTANT_STRING(s) \
    { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (void *)(s) }
#define DECLARE_CONST_UNICODE_STRING(_var, _string)                                          \
    const WCHAR _var##_buffer[] = _string;                                                  \
    const UNICODE_STRING _var = {sizeof(_string) - sizeof(WCHAR), sizeof(_string), (PWCH)_var##_buffer}
#define DECLARE_GLOBAL_CONST_UNICODE_STRING(_var, _str) \
    const UNICODE_STRING _var = RTL_CONSTANT_STRING(_str)
#define DECLARE_UNICODE_STRING_SIZE(_var, _size) \
    WCHAR _var##_buffer[_size];                  \
    UNICODE_STRING _var = {0, (_size) * sizeof(WCHAR), _var##_buffer}

NTSYSAPI void RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
NTSYSAPI NTSTATUS RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString);
NTSYSAPI void RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString);
NTSYSAPI NTSTATUS RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSTR SourceString);
NTSYSAPI void RtlInitString(PSTRING DestinationString, PCSTR SourceString);
NTSYSAPI NTSTATUS RtlInitStringEx(PSTRING DestinationString, PCSTR SourceString);
NTSYSAPI void RtlInitUTF8String(PUTF8_STRING DestinationString, PCSTR SourceString);
NTSYSAPI NTSTATUS RtlInitUTF8StringEx(PUTF8_STRING DestinationString, PCSTR SourceString);
MDLKIT_FORCEINLINE void RtlInitEmptyUnicodeString(PUNICODE_STRING UnicodeString, PWCHAR Buffer, USHORT BufferSize)
{
    UnicodeString->Length = 0;
    UnicodeString->MaximumLength = BufferSize;
    UnicodeString->Buffer = Buffer;
}
MDLKIT_FORCEINLINE void RtlInitEmptyAnsiString(PANSI_STRING AnsiString, PCHAR Buffer, USHORT BufferSize)
{
    AnsiString->Length = 0;
    AnsiString->MaximumLength = BufferSize;
    AnsiString->Buffer = Buffer;
}
NTSYSAPI BOOLEAN RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
NTSYSAPI NTSTATUS RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut);
#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 0x00000001
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 0x00000002
NTSYSAPI void RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString);
NTSYSAPI void RtlCopyString(PSTRING DestinationString, const STRING *SourceString);
NTSYSAPI NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source);
NTSYSAPI NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source);
NTSYSAPI NTSTATUS RtlAppendStringToString(PSTRING Destination, const STRING *Source);
NTSYSAPI LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);
NTSYSAPI LONG RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T String2Length,
                                       BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);
NTSYSAPI LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlPrefixString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlSuffixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);
NTSYSAPI NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                         BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                           BOOLEAN AllocateDestinationString);
NTSYSAPI WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter);
NTSYSAPI WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter);
NTSYSAPI CHAR RtlUpperChar(CHAR Character);
NTSYSAPI void RtlUpperString(PSTRING DestinationString, const STRING *SourceString);
NTSYSAPI NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                               BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                               BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS RtlUpcaseUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                                     BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS RtlUTF8StringToUnicodeString(PUNICODE_STRING DestinationString, PCUTF8_STRING SourceString,
                                               BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS RtlUnicodeStringToUTF8String(PUTF8_STRING DestinationString, PCUNICODE_STRING SourceString,
                                               BOOLEAN AllocateDestinationString);
NTSYSAPI ULONG RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString);
NTSYSAPI ULONG RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString);
#define RtlAnsiStringToUnicodeSize(s) RtlxAnsiStringToUnicodeSize(s)
#define RtlUnicodeStringToAnsiSize(s) RtlxUnicodeStringToAnsiSize(s)
NTSYSAPI void RtlFreeUnicodeString(PUNICODE_STRING UnicodeString);
NTSYSAPI void RtlFreeAnsiString(PANSI_STRING AnsiString);
NTSYSAPI void RtlFreeUTF8String(PUTF8_STRING Utf8String);
NTSYSAPI NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String);
NTSYSAPI NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String);
NTSYSAPI NTSTATUS RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSTR String);
NTSYSAPI NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value);
NTSYSAPI NTSTATUS RtlUnicodeStringToInt64(PCUNICODE_STRING String, ULONG Base, PLONG64 Number, PWSTR *EndPointer);
NTSYSAPI NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value);
NTSYSAPI NTSTATUS RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount,
                                    PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource,
                                    ULONG UnicodeStringByteCount);
NTSYSAPI NTSTATUS RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount,
                                    PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource,
                                    ULONG UTF8StringByteCount);
NTSYSAPI NTSTATUS RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString,
                                         PULONG BytesInUnicodeString, const CHAR *MultiByteString,
                                         ULONG BytesInMultiByteString);
NTSYSAPI NTSTATUS RtlMultiByteToUnicodeSize(PULONG BytesInUnicodeString, const CHAR *MultiByteString,
                                            ULONG BytesInMultiByteString);
NTSYSAPI NTSTATUS RtlUnicodeToMultiByteN(PCHAR MultiByteString, ULONG MaxBytesInMultiByteString,
                                         PULONG BytesInMultiByteString, PCWCH UnicodeString,
                                         ULONG BytesInUnicodeString);
NTSYSAPI NTSTATUS RtlUnicodeToMultiByteSize(PULONG BytesInMultiByteString, PCWCH UnicodeString,
                                            ULONG BytesInUnicodeString);
NTSYSAPI NTSTATUS RtlStringFromGUID(const GUID *Guid, PUNICODE_STRING GuidString);
NTSYSAPI NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid);
#define HASH_STRING_ALGORITHM_DEFAULT 0
#define HASH_STRING_ALGORITHM_X65599 1
#define HASH_STRING_ALGORITHM_INVALID 0xffffffff
NTSYSAPI NTSTATUS RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG HashAlgorithm,
                                       PULONG HashValue);

/* ------------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------- */
#define RtlCopyBytes RtlCopyMemory
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory
#define RtlCopyMemoryNonTemporal RtlCopyMemory
#define RtlFillMemoryUlong(d, n, p) mdlkit_rtl_fill_ulong((d), (n), (p))
MDLKIT_FORCEINLINE void mdlkit_rtl_fill_ulong(PVOID d, SIZE_T n, ULONG pattern)
{
    for (SIZE_T i = 0; i + sizeof(ULONG) <= n; i += sizeof(ULONG))
        memcpy((PUCHAR)d + i, &pattern, sizeof(ULONG));
}
NTSYSAPI SIZE_T RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern);
#define RtlIsZeroMemory(p, n) mdlkit_rtl_is_zero((p), (n))
MDLKIT_FORCEINLINE BOOLEAN mdlkit_rtl_is_zero(const void *p, SIZE_T n)
{
    const UCHAR *b = (const UCHAR *)p;
    for (SIZE_T i = 0; i < n; i++)
        if (b[i])
            return FALSE;
    return TRUE;
}

#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif
#define ALIGN_DOWN(length, type) ((ULONG)(length) & ~(sizeof(type) - 1))
#define ALIGN_UP(length, type) (ALIGN_DOWN(((ULONG)(length) + sizeof(type) - 1), type))
#define ALIGN_DOWN_POINTER(address, type) ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)sizeof(type) - 1)))
#define ALIGN_UP_POINTER(address, type) \
    (ALIGN_DOWN_POINTER(((ULONG_PTR)(address) + sizeof(type) - 1), type))
#define RTL_NUMBER_OF_V1(a) RTL_NUMBER_OF(a)
#define RTL_NUMBER_OF_V2(a) RTL_NUMBER_OF(a)
#define _ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define RTL_NUMBER_OF_FIELD(type, field) RTL_NUMBER_OF(RTL_FIELD_SIZE(type, field))
#define RTL_FIELD_TYPE(type, field) __typeof__(((type *)0)->field)
#define RTL_PADDING_BETWEEN_FIELDS(T, F1, F2)                                                     \
    ((FIELD_OFFSET(T, F2) > FIELD_OFFSET(T, F1)) ? (FIELD_OFFSET(T, F2) - FIELD_OFFSET(T, F1) - RTL_FIELD_SIZE(T, F1)) \
                                                 : (FIELD_OFFSET(T, F1) - FIELD_OFFSET(T, F2) - RTL_FIELD_SIZE(T, F2)))
#define RTL_CONTAINS_FIELD(Struct, Size, Field) \
    ((((PCHAR)(&(Struct)->Field)) + sizeof((Struct)->Field)) <= (((PCHAR)(Struct)) + (Size)))
#define FlagOn(_F, _SF) ((_F) & (_SF))
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#define SetFlag(_F, _SF) ((_F) |= (_SF))
#define ClearFlag(_F, _SF) ((_F) &= ~(_SF))

/* 64-bit arithmetic helpers */
#define Int32x32To64(a, b) ((LONGLONG)((LONG)(a)) * (LONGLONG)((LONG)(b)))
#define UInt32x32To64(a, b) ((ULONGLONG)((ULONG)(a)) * (ULONGLONG)((ULONG)(b)))
#define Int64ShllMod32(a, b) ((ULONGLONG)(a) << ((b) & 31))
#define Int64ShraMod32(a, b) ((LONGLONG)(a) >> ((b) & 31))
#define Int64ShrlMod32(a, b) ((ULONGLONG)(a) >> ((b) & 31))
MDLKIT_FORCEINLINE USHORT RtlUshortByteSwap(USHORT Source) { return __builtin_bswap16(Source); }
MDLKIT_FORCEINLINE ULONG RtlUlongByteSwap(ULONG Source) { return __builtin_bswap32(Source); }
MDLKIT_FORCEINLINE ULONGLONG RtlUlonglongByteSwap(ULONGLONG Source) { return __builtin_bswap64(Source); }
#define _byteswap_ushort(x) RtlUshortByteSwap(x)
#define _byteswap_ulong(x) RtlUlongByteSwap(x)
#define _byteswap_uint64(x) RtlUlonglongByteSwap(x)
NTSYSAPI LARGE_INTEGER RtlConvertLongToLargeInteger(LONG SignedInteger);
NTSYSAPI LARGE_INTEGER RtlConvertUlongToLargeInteger(ULONG UnsignedInteger);

/* Bit scans and rotates (compiler intrinsics on Windows) */
MDLKIT_FORCEINLINE BOOLEAN _BitScanForward(ULONG *Index, ULONG Mask)
{
    if (!Mask)
        return FALSE;
    *Index = (ULONG)__builtin_ctz(Mask);
    return TRUE;
}
MDLKIT_FORCEINLINE BOOLEAN _BitScanReverse(ULONG *Index, ULONG Mask)
{
    if (!Mask)
        return FALSE;
    *Index = 31UL - (ULONG)__builtin_clz(Mask);
    return TRUE;
}
MDLKIT_FORCEINLINE BOOLEAN _BitScanForward64(ULONG *Index, ULONG64 Mask)
{
    if (!Mask)
        return FALSE;
    *Index = (ULONG)__builtin_ctzll(Mask);
    return TRUE;
}
MDLKIT_FORCEINLINE BOOLEAN _BitScanReverse64(ULONG *Index, ULONG64 Mask)
{
    if (!Mask)
        return FALSE;
    *Index = 63UL - (ULONG)__builtin_clzll(Mask);
    return TRUE;
}
#define BitScanForward _BitScanForward
#define BitScanReverse _BitScanReverse
#define BitScanForward64 _BitScanForward64
#define BitScanReverse64 _BitScanReverse64
MDLKIT_FORCEINLINE UCHAR _bittest(const LONG *Base, LONG Offset)
{
    return (UCHAR)((((const ULONG *)Base)[Offset >> 5] >> (Offset & 31)) & 1);
}
MDLKIT_FORCEINLINE UCHAR _bittest64(const LONG64 *Base, LONG64 Offset)
{
    return (UCHAR)((((const ULONG64 *)Base)[Offset >> 6] >> (Offset & 63)) & 1);
}
#define BitTest _bittest
#define BitTest64 _bittest64
MDLKIT_FORCEINLINE UCHAR InterlockedBitTestAndSet(LONG volatile *Base, LONG Bit)
{
    ULONG m = 1UL << (Bit & 31);
    return (UCHAR)((__atomic_fetch_or((ULONG volatile *)Base + (Bit >> 5), m, __ATOMIC_SEQ_CST) & m) != 0);
}
MDLKIT_FORCEINLINE UCHAR InterlockedBitTestAndReset(LONG volatile *Base, LONG Bit)
{
    ULONG m = 1UL << (Bit & 31);
    return (UCHAR)((__atomic_fetch_and((ULONG volatile *)Base + (Bit >> 5), ~m, __ATOMIC_SEQ_CST) & m) != 0);
}
#define _interlockedbittestandset InterlockedBitTestAndSet
#define _interlockedbittestandreset InterlockedBitTestAndReset
MDLKIT_FORCEINLINE UCHAR _rotl8(UCHAR v, UCHAR s) { s &= 7; return (UCHAR)((v << s) | (v >> ((8 - s) & 7))); }
MDLKIT_FORCEINLINE UCHAR _rotr8(UCHAR v, UCHAR s) { s &= 7; return (UCHAR)((v >> s) | (v << ((8 - s) & 7))); }
MDLKIT_FORCEINLINE USHORT _rotl16(USHORT v, UCHAR s) { s &= 15; return (USHORT)((v << s) | (v >> ((16 - s) & 15))); }
MDLKIT_FORCEINLINE USHORT _rotr16(USHORT v, UCHAR s) { s &= 15; return (USHORT)((v >> s) | (v << ((16 - s) & 15))); }
MDLKIT_FORCEINLINE ULONG _rotl(ULONG v, int s) { s &= 31; return (v << s) | (v >> ((32 - s) & 31)); }
MDLKIT_FORCEINLINE ULONG _rotr(ULONG v, int s) { s &= 31; return (v >> s) | (v << ((32 - s) & 31)); }
MDLKIT_FORCEINLINE ULONG64 _rotl64(ULONG64 v, int s) { s &= 63; return (v << s) | (v >> ((64 - s) & 63)); }
MDLKIT_FORCEINLINE ULONG64 _rotr64(ULONG64 v, int s) { s &= 63; return (v >> s) | (v << ((64 - s) & 63)); }
#define RotateLeft8 _rotl8
#define RotateRight8 _rotr8
#define RotateLeft16 _rotl16
#define RotateRight16 _rotr16
#define RotateLeft32 _rotl
#define RotateRight32 _rotr
#define RotateLeft64 _rotl64
#define RotateRight64 _rotr64
#define PopulationCount64(x) ((ULONG64)__builtin_popcountll(x))

/* ------------------------------------------------------------------------
 * Interlocked operations beyond wdm.h's basic set, and memory ordering
 * ---------------------------------------------------------------------- */
#define MDLKIT_ILK_FAMILY(T, SUF)                                                                                     \
    MDLKIT_FORCEINLINE T InterlockedOr##SUF(T volatile *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }   \
    MDLKIT_FORCEINLINE T InterlockedAnd##SUF(T volatile *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); } \
    MDLKIT_FORCEINLINE T InterlockedXor##SUF(T volatile *p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_ILK_FAMILY(CHAR, 8)
MDLKIT_ILK_FAMILY(SHORT, 16)
MDLKIT_ILK_FAMILY(LONG, )
MDLKIT_ILK_FAMILY(LONG64, 64)
#undef MDLKIT_ILK_FAMILY
MDLKIT_FORCEINLINE SHORT InterlockedIncrement16(SHORT volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE SHORT InterlockedDecrement16(SHORT volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE SHORT InterlockedCompareExchange16(SHORT volatile *p, SHORT x, SHORT c)
{
    __atomic_compare_exchange_n(p, &c, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}
MDLKIT_FORCEINLINE SHORT InterlockedExchange16(SHORT volatile *p, SHORT v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE CHAR InterlockedExchange8(CHAR volatile *p, CHAR v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE CHAR InterlockedCompareExchange8(CHAR volatile *p, CHAR x, CHAR c)
{
    __atomic_compare_exchange_n(p, &c, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}
MDLKIT_FORCEINLINE LONG64 InterlockedExchange64(LONG64 volatile *p, LONG64 v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *p, LONG64 v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *p, LONG64 x, LONG64 c)
{
    __atomic_compare_exchange_n(p, &c, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}
MDLKIT_FORCEINLINE LONG InterlockedAdd(LONG volatile *p, LONG v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG64 InterlockedAdd64(LONG64 volatile *p, LONG64 v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
#define InterlockedExchangeAddSizeT(p, v) ((SIZE_T)InterlockedExchangeAdd64((LONG64 volatile *)(p), (LONG64)(v)))
#define InterlockedIncrementSizeT(p) ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(p)))
#define InterlockedDecrementSizeT(p) ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(p)))
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerNoFence InterlockedCompareExchangePointer
#define InterlockedExchangeAcquire64 InterlockedExchange64
#define InterlockedOrAffinity(p, v) InterlockedOr64((LONG64 volatile *)(p), (LONG64)(v))
#define InterlockedAndAffinity(p, v) InterlockedAnd64((LONG64 volatile *)(p), (LONG64)(v))
#define _InterlockedOr InterlockedOr
#define _InterlockedAnd InterlockedAnd
#define _InterlockedXor InterlockedXor
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedCompareExchange InterlockedCompareExchange

#define MDLKIT_RW_FAMILY(T, SUF)                                                                                          \
    MDLKIT_FORCEINLINE T ReadNoFence##SUF(T const volatile *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }             \
    MDLKIT_FORCEINLINE T ReadAcquire##SUF(T const volatile *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }            \
    MDLKIT_FORCEINLINE T ReadRaw##SUF(T const volatile *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }                \
    MDLKIT_FORCEINLINE void WriteNoFence##SUF(T volatile *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }            \
    MDLKIT_FORCEINLINE void WriteRelease##SUF(T volatile *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }            \
    MDLKIT_FORCEINLINE void WriteRaw##SUF(T volatile *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
MDLKIT_RW_FAMILY(CHAR, 8)
MDLKIT_RW_FAMILY(SHORT, 16)
MDLKIT_RW_FAMILY(LONG, )
MDLKIT_RW_FAMILY(LONG64, 64)
MDLKIT_RW_FAMILY(PVOID, Pointer)
#undef MDLKIT_RW_FAMILY
#define ReadULongNoFence(p) ((ULONG)ReadNoFence((LONG const volatile *)(p)))
#define ReadULongAcquire(p) ((ULONG)ReadAcquire((LONG const volatile *)(p)))
#define WriteULongNoFence(p, v) WriteNoFence((LONG volatile *)(p), (LONG)(v))
#define WriteULongRelease(p, v) WriteRelease((LONG volatile *)(p), (LONG)(v))
#define ReadULong64NoFence(p) ((ULONG64)ReadNoFence64((LONG64 const volatile *)(p)))
#define ReadULong64Acquire(p) ((ULONG64)ReadAcquire64((LONG64 const volatile *)(p)))
#define WriteULong64NoFence(p, v) WriteNoFence64((LONG64 volatile *)(p), (LONG64)(v))
#define WriteULong64Release(p, v) WriteRelease64((LONG64 volatile *)(p), (LONG64)(v))
#define ReadBooleanNoFence(p) ((BOOLEAN)ReadNoFence8((CHAR const volatile *)(p)))
#define WriteBooleanNoFence(p, v) WriteNoFence8((CHAR volatile *)(p), (CHAR)(v))
#define ReadBooleanAcquire(p) ((BOOLEAN)ReadAcquire8((CHAR const volatile *)(p)))
#define WriteBooleanRelease(p, v) WriteRelease8((CHAR volatile *)(p), (CHAR)(v))
#define ReadSizeTNoFence(p) ((SIZE_T)ReadNoFence64((LONG64 const volatile *)(p)))
#define ReadSizeTAcquire(p) ((SIZE_T)ReadAcquire64((LONG64 const volatile *)(p)))
#define WriteSizeTNoFence(p, v) WriteNoFence64((LONG64 volatile *)(p), (LONG64)(v))
#define WriteSizeTRelease(p, v) WriteRelease64((LONG64 volatile *)(p), (LONG64)(v))
#define ReadULongPtrNoFence ReadSizeTNoFence
#define ReadULongPtrAcquire ReadSizeTAcquire
#define WriteULongPtrNoFence WriteSizeTNoFence
#define WriteULongPtrRelease WriteSizeTRelease
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _ReadBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _WriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define PreFetchCacheLine(l, a) __builtin_prefetch((const void *)(a))
#define PF_TEMPORAL_LEVEL_1 0
#define PF_NON_TEMPORAL_LEVEL_ALL 1
#if defined(__x86_64__)
#define YieldProcessor() __builtin_ia32_pause()
#else
#define YieldProcessor() __asm__ __volatile__("yield")
#endif
#define _mm_pause() YieldProcessor()
#define FastFence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define LoadFence() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define StoreFence() __atomic_thread_fence(__ATOMIC_RELEASE)

/* ------------------------------------------------------------------------
 * Lists: interlocked (spin-lock protected) and sequenced singly linked
 * lists (src/rtl/slist.c)
 * ---------------------------------------------------------------------- */
NTKERNELAPI PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                                          PKSPIN_LOCK Lock);
NTKERNELAPI ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock);
NTKERNELAPI LARGE_INTEGER ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment,
                                                       PKSPIN_LOCK Lock);
#define ExInterlockedAddLargeStatistic(Addend, Increment) \
    ((void)InterlockedAdd64(&((PLARGE_INTEGER)(Addend))->QuadPart, (LONG64)(Increment)))
MDLKIT_FORCEINLINE void AppendTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend)
{
    PLIST_ENTRY end = ListHead->Blink;
    ListHead->Blink->Flink = ListToAppend;
    ListHead->Blink = ListToAppend->Blink;
    ListToAppend->Blink->Flink = ListHead;
    ListToAppend->Blink = end;
}

#ifndef MEMORY_ALLOCATION_ALIGNMENT
#define MEMORY_ALLOCATION_ALIGNMENT 16
#endif
NTSYSAPI void InitializeSListHead(PSLIST_HEADER SListHead);
#define ExInitializeSListHead InitializeSListHead
NTKERNELAPI PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry);
NTKERNELAPI PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead);
NTKERNELAPI PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead);
NTKERNELAPI PSLIST_ENTRY InterlockedPushListSListEx(PSLIST_HEADER ListHead, PSLIST_ENTRY List, PSLIST_ENTRY ListEnd,
                                                    ULONG Count);
NTKERNELAPI USHORT ExQueryDepthSList(PSLIST_HEADER SListHead);
#define QueryDepthSList(h) ExQueryDepthSList(h)
#define FirstEntrySList(h) ((h)->mdlkit.Next)
#define ExInterlockedPushEntrySList(Head, Entry, Lock) InterlockedPushEntrySList(Head, Entry)
#define ExInterlockedPopEntrySList(Head, Lock) InterlockedPopEntrySList(Head)
#define ExInterlockedFlushSList(Head) InterlockedFlushSList(Head)

/* ------------------------------------------------------------------------
 * Bitmaps (src/rtl/bitmap.c)
 * ---------------------------------------------------------------------- */
typedef struct _RTL_BITMAP {
    ULONG SizeOfBitMap;
    PULONG Buffer;
} RTL_BITMAP, *PRTL_BITMAP;
typedef struct _RTL_BITMAP_RUN {
    ULONG StartingIndex;
    ULONG NumberOfBits;
} RTL_BITMAP_RUN, *PRTL_BITMAP_RUN;

NTSYSAPI void RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap);
NTSYSAPI void RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI void RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI void RtlClearAllBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI void RtlSetAllBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI void RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear);
NTSYSAPI void RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet);
NTSYSAPI ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI ULONG RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length);
NTSYSAPI BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length);
NTSYSAPI ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex);
NTSYSAPI ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex);
NTSYSAPI ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex);
NTSYSAPI CCHAR RtlFindLeastSignificantBit(ULONGLONG Set);
NTSYSAPI CCHAR RtlFindMostSignificantBit(ULONGLONG Set);
/* The set bits of a ULONG_PTR (an inline routine in the WDK too). */
MDLKIT_FORCEINLINE ULONG RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target) { return (ULONG)__builtin_popcountll(Target); }
#define RtlCheckBit(BMH, BP) (((((PLONG)(BMH)->Buffer)[(BP) / 32]) >> ((BP) % 32)) & 0x1)

/* ------------------------------------------------------------------------
 * Random numbers (src/rtl/random.c)
 * ---------------------------------------------------------------------- */
NTSYSAPI ULONG RtlRandom(PULONG Seed);
NTSYSAPI ULONG RtlRandomEx(PULONG Seed);
NTSYSAPI ULONG RtlUniform(PULONG Seed);

/* ------------------------------------------------------------------------
 * Versions (src/rtl/version.c): answers for the emulated Windows
 * (mdlkit_config.os_version).
 * ---------------------------------------------------------------------- */
typedef struct _OSVERSIONINFOW {
    ULONG dwOSVersionInfoSize;
    ULONG dwMajorVersion;
    ULONG dwMinorVersion;
    ULONG dwBuildNumber;
    ULONG dwPlatformId;
    WCHAR szCSDVersion[128];
} OSVERSIONINFOW, *POSVERSIONINFOW, *LPOSVERSIONINFOW, RTL_OSVERSIONINFOW, *PRTL_OSVERSIONINFOW;
typedef struct _OSVERSIONINFOEXW {
    ULONG dwOSVersionInfoSize;
    ULONG dwMajorVersion;
    ULONG dwMinorVersion;
    ULONG dwBuildNumber;
    ULONG dwPlatformId;
    WCHAR szCSDVersion[128];
    USHORT wServicePackMajor;
    USHORT wServicePackMinor;
    USHORT wSuiteMask;
    UCHAR wProductType;
    UCHAR wReserved;
} OSVERSIONINFOEXW, *POSVERSIONINFOEXW, *LPOSVERSIONINFOEXW, RTL_OSVERSIONINFOEXW, *PRTL_OSVERSIONINFOEXW;

#define VER_EQUAL 1
#define VER_GREATER 2
#define VER_GREATER_EQUAL 3
#define VER_LESS 4
#define VER_LESS_EQUAL 5
#define VER_AND 6
#define VER_OR 7
#define VER_CONDITION_MASK 7
#define VER_NUM_BITS_PER_CONDITION_MASK 3
#define VER_MINORVERSION 0x0000001
#define VER_MAJORVERSION 0x0000002
#define VER_BUILDNUMBER 0x0000004
#define VER_PLATFORMID 0x0000008
#define VER_SERVICEPACKMINOR 0x0000010
#define VER_SERVICEPACKMAJOR 0x0000020
#define VER_SUITENAME 0x0000040
#define VER_PRODUCT_TYPE 0x0000080
#define VER_NT_WORKSTATION 0x0000001
#define VER_NT_DOMAIN_CONTROLLER 0x0000002
#define VER_NT_SERVER 0x0000003
#define VER_PLATFORM_WIN32s 0
#define VER_PLATFORM_WIN32_WINDOWS 1
#define VER_PLATFORM_WIN32_NT 2
#define VER_SET_CONDITION(m, t, c) ((m) = VerSetConditionMask((m), (t), (c)))

NTSYSAPI NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation);
NTSYSAPI NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask, ULONGLONG ConditionMask);
NTSYSAPI ULONGLONG VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask, UCHAR Condition);
NTKERNELAPI BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version);
NTKERNELAPI BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version);
NTKERNELAPI BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber,
                                 PUNICODE_STRING CSDVersion);

#endif /* MDLKIT_MKWDK_RTL_H */
