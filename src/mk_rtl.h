/*
 * mk_rtl.h -- what the run-time library (src/rtl/) shares with the files
 * that use it (src/ke/debug.c, the strsafe routines): the kernel's printf
 * formatter and the code-page conversions.
 */
#ifndef MK_RTL_H
#define MK_RTL_H

#include "mk_base.h"

#include <stdarg.h>

/* Output of the formatter: code units (char or WCHAR) go to buf[0..cap);
 * len counts every unit produced, stored or not. */
/* WPP trace context: with it, the formatter also takes WPP's %!NAME!
 * specifiers (see mk_vformat). */
typedef struct mk_fmt_wpp {
    const char *func, *file;
    int line;
    ULONG level, component;
    ULONG cpu;
    const char *(*status_name)(NTSTATUS); /* names for %!STATUS!, or NULL */
} mk_fmt_wpp;

typedef struct mk_fmt_out {
    int wide;     /* 1: buf is WCHAR[], 0: buf is char[] */
    void *buf;
    size_t cap;   /* units buf can hold (no room is kept for a NUL) */
    size_t len;   /* units produced so far */
    const mk_fmt_wpp *wpp; /* NULL, or a WPP trace's context */
} mk_fmt_out;

/* Formats with the Windows kernel's printf rules (ntoskrnl's _vsnprintf /
 * _vsnwprintf): %wZ %Z %ws %S %hs %wc %C %I64 %I32 %I %l (32-bit) %p (16
 * upper-case hex digits) and the usual flags, width and precision. `fmt` is
 * a char string, or a WCHAR string if fmt_wide. In a wide format %s and %c
 * take WCHAR arguments and %S / %C narrow ones, as swprintf does. A narrow
 * output receives WCHAR text converted to the ANSI code page (ISO-8859-1;
 * other characters become '?'). Returns out->len. */
size_t mk_vformat(mk_fmt_out *out, const void *fmt, int fmt_wide, va_list *ap);

/* The ANSI code page of the simulated machine: ISO-8859-1, with '?' for
 * characters it lacks (docs/ddi-notes.md). */
static inline char mk_wchar_to_ansi(WCHAR c) { return c < 0x100 ? (char)c : '?'; }
static inline WCHAR mk_ansi_to_wchar(char c) { return (WCHAR)(UCHAR)c; }

/* Strings the Rtl routines allocate come from paged pool with tag "Strg"
 * (poolmon's name for nt!rtl string buffers). */
#define MK_RTL_STRING_TAG 'grtS'

/* The string allocator. As in Windows (RtlAllocateStringRoutine), the run-
 * time library sits below the pool and is given its allocator by the
 * executive: the pool (src/mm/expool.c) registers it at mk_pool_init; it
 * allocates paged pool with tag MK_RTL_STRING_TAG and frees without a tag
 * check. (src/rtl/unicode.c) */
typedef void *mk_rtl_alloc_fn(SIZE_T bytes);
typedef void mk_rtl_free_fn(void *p);
void mk_rtl_set_string_allocator(mk_rtl_alloc_fn *alloc, mk_rtl_free_fn *free_fn);
void *mk_rtl_string_alloc(SIZE_T bytes);
void mk_rtl_string_free(void *p);

/* Parses an integer as RtlUnicodeStringToInteger / RtlCharToInteger do:
 * n units (WCHAR if wide, else char) of s, leading white space, an
 * optional sign, with base 0 a 0x / 0o / 0b prefix (else decimal), then
 * digits up to the first invalid one. STATUS_INVALID_PARAMETER for a bad
 * base. *used (optional) gets the units consumed. (src/rtl/unicode.c) */
NTSTATUS mk_rtl_parse_integer(const void *s, size_t n, int wide, ULONG base, ULONGLONG *value, size_t *used);

/* RtlCopyString / RtlCopyUnicodeString: copies what fits of a counted
 * string of `slen` bytes into a buffer of `dmax` bytes (whole WCHARs if
 * wide), sets *dlen, and NUL-terminates when a unit is left.
 * (src/rtl/unicode.c) */
void mk_rtl_copy_counted(USHORT *dlen, USHORT dmax, void *dbuf, USHORT slen, const void *sbuf, int wide);

#endif /* MK_RTL_H */
