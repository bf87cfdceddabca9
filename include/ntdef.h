/*
 * ntdef.h -- mdlkit's own text of the basic Windows NT types.
 *
 * Widths follow the Windows x64 (LLP64) model: ULONG and LONG are 32 bits,
 * pointers and ULONG_PTR/SIZE_T are 64 bits, PFN_NUMBER is 64 bits.
 * Written from documented facts; no Microsoft header text is reproduced.
 */
#ifndef MDLKIT_NTDEF_H
#define MDLKIT_NTDEF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mkwdk/sal.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "mdlkit emulates 64-bit Windows and needs a 64-bit host"
#endif

#ifdef __cplusplus
#define MDLKIT_EXTERN_C_BEGIN extern "C" {
#define MDLKIT_EXTERN_C_END }
#else
#define MDLKIT_EXTERN_C_BEGIN
#define MDLKIT_EXTERN_C_END
#endif

/* ---- calling conventions and decorations (no meaning on Linux) ---- */
#define NTAPI
#define NTSYSAPI
#define NTKERNELAPI
#define NTHALAPI
#define WINAPI
#define STDCALL
#define CDECL
#define FASTCALL
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_RESTRICT
#define DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_DEPRECATED_DDK_WINXP
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#define DECLSPEC_NOINLINE __attribute__((noinline))
/* mdlkit's own header helpers: always inlined, one private copy per
 * translation unit. */
#define MDLKIT_FORCEINLINE static inline __attribute__((always_inline))
/* FORCEINLINE in driver code has MSVC's meaning: an inlining request that may
 * be declared `extern`, defined in a header shared by several files, or
 * declared FORCEINLINE and defined without it. A weak definition gives all
 * three one linkable copy (MSVC merges such copies the same way). */
/* (Spelled __attribute: some driver sources define __attribute__ away for
 * MSVC, e.g. virtio-win's linux/types.h.) */
#define FORCEINLINE __attribute((weak))
#define NTAPI_INLINE
#ifndef __forceinline
#define __forceinline inline __attribute__((always_inline))
#endif
#ifndef __inline
#define __inline inline
#endif
#ifndef __int64
#define __int64 long long
#endif
#define IN
#define OUT
#define OPTIONAL
#define CONST const
#define ANYSIZE_ARRAY 1

/* ---- SAL annotations: mkwdk/sal.h (included above) ---- */

/* ---- scalar types (LLP64 widths) ---- */
typedef void VOID;
typedef void *PVOID, **PPVOID;
typedef const void *PCVOID;
typedef char CHAR, *PCHAR, CCHAR, *PSTR, *LPSTR;
typedef const char *PCSTR, *PCCHAR, *LPCSTR;
typedef unsigned char UCHAR, *PUCHAR, BYTE, *PBYTE;
/* The sized integer names of basetsd.h (identical typedefs in ntintsafe.h). */
typedef signed char INT8, *PINT8;
typedef unsigned char UINT8, *PUINT8;
typedef short INT16, *PINT16;
typedef unsigned short UINT16, *PUINT16;
/* Unaligned-access qualifiers: nothing on x64. */
#ifndef UNALIGNED
#define UNALIGNED
#define UNALIGNED64
#endif
typedef short SHORT, *PSHORT, CSHORT;
typedef unsigned short USHORT, *PUSHORT, WORD;
typedef int32_t LONG, *PLONG, INT32, *PINT32;
typedef uint32_t ULONG, *PULONG, UINT32, *PUINT32, DWORD, *PDWORD;
typedef int INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef int64_t LONGLONG, *PLONGLONG, LONG64, *PLONG64, INT64, *PINT64;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64, *PULONG64, DWORD64, *PDWORD64, UINT64, *PUINT64;
typedef intptr_t LONG_PTR, *PLONG_PTR, INT_PTR, *PINT_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, UINT_PTR, *PUINT_PTR, DWORD_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T;
typedef LONG_PTR SSIZE_T, *PSSIZE_T;
/* WCHAR is UTF-16, as L"..." is with -fshort-wchar (which
 * `pkg-config --cflags mdlkit` and the CMake target carry). */
#if !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ != 2
#error "mdlkit: compile driver code with -fshort-wchar so that L\"...\" is 16-bit WCHAR (pkg-config --cflags mdlkit gives it)"
#endif
typedef wchar_t WCHAR, *PWCHAR, *PWSTR, *LPWSTR, *NWPSTR;
typedef const wchar_t *PCWSTR, *LPCWSTR, *PCWCH, *LPCWCH;
/* double-NUL-terminated string lists (REG_MULTI_SZ style) */
typedef char *PZZSTR;
typedef const char *PCZZSTR;
typedef wchar_t *PZZWSTR;
typedef const wchar_t *PCZZWSTR;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef int BOOL;
typedef ULONG LOGICAL, *PLOGICAL;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef PVOID HANDLE, *PHANDLE;
typedef ULONG ACCESS_MASK;
typedef ACCESS_MASK *PACCESS_MASK;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef LONG KPRIORITY;
typedef UCHAR KIRQL, *PKIRQL;
typedef CCHAR KPROCESSOR_MODE;
typedef ULONG64 PFN_NUMBER, *PPFN_NUMBER;
typedef ULONG64 POOL_FLAGS;
typedef ULONG NODE_REQUIREMENT;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffUL
#define MAXLONG 0x7fffffffL
#define MAXLONGLONG 0x7fffffffffffffffLL
#define MAXULONG_PTR (~(ULONG_PTR)0)
#define MAXSIZE_T (~(SIZE_T)0)

/* basetsd.h's pointer <-> integer conversions (x64: truncating / extending). */
#define PtrToUlong(p) ((ULONG)(ULONG_PTR)(p))
#define PtrToLong(p) ((LONG)(LONG_PTR)(p))
#define PtrToUshort(p) ((unsigned short)(ULONG_PTR)(p))
#define PtrToShort(p) ((short)(LONG_PTR)(p))
#define PtrToUint(p) ((UINT)(UINT_PTR)(p))
#define PtrToInt(p) ((INT)(INT_PTR)(p))
#define ULongToPtr(ul) ((VOID *)(ULONG_PTR)((unsigned long)(ul)))
#define LongToPtr(l) ((VOID *)(LONG_PTR)((long)(l)))
#define UIntToPtr(ui) ((VOID *)(UINT_PTR)((unsigned int)(ui)))
#define IntToPtr(i) ((VOID *)(INT_PTR)((int)(i)))
#define ULongToHandle(h) ((HANDLE)(ULONG_PTR)(h))
#define HandleToULong(h) ((ULONG)(ULONG_PTR)(h))
#define HandleToUlong(h) HandleToULong(h)
#define PtrToPtr64(p) ((void *)(p))
#define Ptr64ToPtr(p) ((void *)(p))

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
    struct {
        ULONGLONG Alignment;
        ULONGLONG Region;
    };
    struct {
        PSLIST_ENTRY Next;  /* mdlkit: first entry */
        ULONGLONG Depth;    /* mdlkit: number of entries */
    } mdlkit;
} SLIST_HEADER, *PSLIST_HEADER;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, ANSI_STRING, *PSTRING, *PANSI_STRING;

/* ---- status helpers ---- */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* ---- structure helpers ---- */
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#define ARGUMENT_PRESENT(p) ((CHAR *)((ULONG_PTR)(p)) != (CHAR *)NULL)
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))
#define C_ASSERT(e) _Static_assert(e, #e)
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment)-1))
#define ALIGN_UP_BY(length, alignment) ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment)-1), alignment)
#define ALIGN_DOWN_POINTER_BY(p, a) ((PVOID)ALIGN_DOWN_BY(p, a))
#define ALIGN_UP_POINTER_BY(p, a) ((PVOID)ALIGN_UP_BY(p, a))

/* ---- memory helpers (the Rtl*Memory macros) ---- */
#define RtlEqualMemory(d, s, n) (!memcmp((d), (s), (n)))
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlFillMemory(d, n, f) memset((d), (f), (n))
#define RtlZeroMemory(d, n) memset((d), 0, (n))
#define RtlSecureZeroMemory(d, n) memset((d), 0, (n))
#define RtlCompareMemory(a, b, n) mdlkit_rtl_compare_memory((a), (b), (n))
static inline SIZE_T mdlkit_rtl_compare_memory(const void *a, const void *b, SIZE_T n)
{
    const UCHAR *x = (const UCHAR *)a, *y = (const UCHAR *)b;
    SIZE_T i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i;
}

/* ---- doubly and singly linked lists ---- */
static inline void InitializeListHead(PLIST_ENTRY h) { h->Flink = h->Blink = h; }
static inline BOOLEAN IsListEmpty(const LIST_ENTRY *h) { return (BOOLEAN)(h->Flink == h); }
static inline BOOLEAN RemoveEntryList(PLIST_ENTRY e)
{
    PLIST_ENTRY f = e->Flink, b = e->Blink;
    b->Flink = f;
    f->Blink = b;
    return (BOOLEAN)(f == b);
}
static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY h)
{
    PLIST_ENTRY e = h->Flink;
    RemoveEntryList(e);
    return e;
}
static inline PLIST_ENTRY RemoveTailList(PLIST_ENTRY h)
{
    PLIST_ENTRY e = h->Blink;
    RemoveEntryList(e);
    return e;
}
static inline void InsertTailList(PLIST_ENTRY h, PLIST_ENTRY e)
{
    PLIST_ENTRY b = h->Blink;
    e->Flink = h;
    e->Blink = b;
    b->Flink = e;
    h->Blink = e;
}
static inline void InsertHeadList(PLIST_ENTRY h, PLIST_ENTRY e)
{
    PLIST_ENTRY f = h->Flink;
    e->Flink = f;
    e->Blink = h;
    f->Blink = e;
    h->Flink = e;
}
static inline PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY h)
{
    PSINGLE_LIST_ENTRY e = h->Next;
    if (e)
        h->Next = e->Next;
    return e;
}
static inline void PushEntryList(PSINGLE_LIST_ENTRY h, PSINGLE_LIST_ENTRY e)
{
    e->Next = h->Next;
    h->Next = e;
}

#endif /* MDLKIT_NTDEF_H */
