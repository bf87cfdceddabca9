/*
 * ntintsafe.h -- mdlkit's own text of the kernel's overflow-checked integer
 * functions: RtlXxxAdd, RtlXxxSub, RtlXxxMult for every integer type of the
 * WDK (ULONG, SIZE_T, USHORT, LONG, INT, ...) and every RtlXxxToYyy
 * conversion between them.
 *
 * Each returns STATUS_SUCCESS and the exact result, or
 * STATUS_INTEGER_OVERFLOW when the mathematical result does not fit in the
 * destination type; *pResult is then the type's error value (all bits set,
 * i.e. ULONG_ERROR 0xFFFFFFFF, LONG_ERROR -1, ...), as the WDK documents.
 * Inline, any IRQL.
 */
#ifndef MDLKIT_NTINTSAFE_H
#define MDLKIT_NTINTSAFE_H

#include <ntdef.h>
#include <ntstatus.h>
#include <stddef.h>

MDLKIT_EXTERN_C_BEGIN

#define INT8_ERROR (-1)
#define UINT8_ERROR 0xffU
#define BYTE_ERROR 0xffU
#define UCHAR_ERROR 0xffU
#define SHORT_ERROR (-1)
#define INT16_ERROR (-1)
#define USHORT_ERROR 0xffffU
#define UINT16_ERROR 0xffffU
#define WORD_ERROR 0xffffU
#define INT_ERROR (-1)
#define INT32_ERROR (-1)
#define UINT_ERROR 0xffffffffU
#define UINT32_ERROR 0xffffffffU
#define LONG_ERROR (-1L)
#define ULONG_ERROR 0xffffffffUL
#define DWORD_ERROR 0xffffffffUL
#define LONGLONG_ERROR (-1LL)
#define LONG64_ERROR (-1LL)
#define INT64_ERROR (-1LL)
#define ULONGLONG_ERROR 0xffffffffffffffffULL
#define DWORDLONG_ERROR 0xffffffffffffffffULL
#define ULONG64_ERROR 0xffffffffffffffffULL
#define DWORD64_ERROR 0xffffffffffffffffULL
#define UINT64_ERROR 0xffffffffffffffffULL
#define INT_PTR_ERROR (-1LL)
#define LONG_PTR_ERROR (-1LL)
#define UINT_PTR_ERROR 0xffffffffffffffffULL
#define ULONG_PTR_ERROR 0xffffffffffffffffULL
#define DWORD_PTR_ERROR 0xffffffffffffffffULL
#define PTRDIFF_T_ERROR (-1LL)
#define SIZE_T_ERROR 0xffffffffffffffffULL
#define SSIZE_T_ERROR (-1LL)
#define _SIZE_T_ERROR 0xffffffffffffffffULL

/* X(Name, C type) for every type the functions are named after. */
#define MDLKIT_INTSAFE_TYPES(X)                                                                                       \
    X(Int8, signed char) X(UInt8, unsigned char) X(Byte, unsigned char) X(UChar, unsigned char) X(Char, char) X(Short, short) X(Int16, short)          \
    X(UShort, unsigned short) X(UInt16, unsigned short) X(Word, unsigned short) X(Int, int) X(Int32, int)            \
    X(UInt, unsigned int) X(UInt32, unsigned int) X(Long, LONG) X(ULong, ULONG) X(DWord, ULONG)                       \
    X(LongLong, LONGLONG) X(Long64, LONGLONG) X(Int64, LONGLONG) X(ULongLong, ULONGLONG) X(DWordLong, ULONGLONG)     \
    X(ULong64, ULONGLONG) X(DWord64, ULONGLONG) X(UInt64, ULONGLONG) X(IntPtr, INT_PTR) X(LongPtr, LONG_PTR)         \
    X(UIntPtr, UINT_PTR) X(ULongPtr, ULONG_PTR) X(DWordPtr, ULONG_PTR) X(PtrdiffT, ptrdiff_t) X(SizeT, size_t)      \
    X(SIZET, SIZE_T) X(SSIZET, SSIZE_T)
/* The same list again, for the inner loop of the conversions. */
#define MDLKIT_INTSAFE_TYPES2(X)                                                                                      \
    X(Int8, signed char) X(UInt8, unsigned char) X(Byte, unsigned char) X(UChar, unsigned char) X(Char, char) X(Short, short) X(Int16, short)          \
    X(UShort, unsigned short) X(UInt16, unsigned short) X(Word, unsigned short) X(Int, int) X(Int32, int)            \
    X(UInt, unsigned int) X(UInt32, unsigned int) X(Long, LONG) X(ULong, ULONG) X(DWord, ULONG)                       \
    X(LongLong, LONGLONG) X(Long64, LONGLONG) X(Int64, LONGLONG) X(ULongLong, ULONGLONG) X(DWordLong, ULONGLONG)     \
    X(ULong64, ULONGLONG) X(DWord64, ULONGLONG) X(UInt64, ULONGLONG) X(IntPtr, INT_PTR) X(LongPtr, LONG_PTR)         \
    X(UIntPtr, UINT_PTR) X(ULongPtr, ULONG_PTR) X(DWordPtr, ULONG_PTR) X(PtrdiffT, ptrdiff_t) X(SizeT, size_t)      \
    X(SIZET, SIZE_T) X(SSIZET, SSIZE_T)

#define MDLKIT_INTSAFE_OP_(Name, T, Op, builtin)                                                 \
    static inline __attribute((unused)) NTSTATUS Rtl##Name##Op(T a, T b, T *pResult)         \
    {                                                                                            \
        T r;                                                                                     \
        if (builtin(a, b, &r)) {                                                                 \
            *pResult = (T)~(T)0;                                                                 \
            return STATUS_INTEGER_OVERFLOW;                                                      \
        }                                                                                        \
        *pResult = r;                                                                            \
        return STATUS_SUCCESS;                                                                   \
    }
#define MDLKIT_INTSAFE_OPS_(Name, T)                              \
    MDLKIT_INTSAFE_OP_(Name, T, Add, __builtin_add_overflow)     \
    MDLKIT_INTSAFE_OP_(Name, T, Sub, __builtin_sub_overflow)     \
    MDLKIT_INTSAFE_OP_(Name, T, Mult, __builtin_mul_overflow)
MDLKIT_INTSAFE_TYPES(MDLKIT_INTSAFE_OPS_)

/* RtlFromToTo(value, &result): exact conversions between every pair. */
#define MDLKIT_INTSAFE_CONV_(F, FT, D, ToT)                                                       \
    static inline __attribute((unused)) NTSTATUS Rtl##F##To##D(FT v, ToT *pResult)             \
    {                                                                                             \
        ToT r;                                                                                    \
        if (__builtin_add_overflow(v, 0, &r)) {                                                   \
            *pResult = (ToT)~(ToT)0;                                                              \
            return STATUS_INTEGER_OVERFLOW;                                                       \
        }                                                                                         \
        *pResult = r;                                                                             \
        return STATUS_SUCCESS;                                                                    \
    }
#define MDLKIT_INTSAFE_FROM_Int8_(D, DT) MDLKIT_INTSAFE_CONV_(Int8, signed char, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Int8_)
#undef MDLKIT_INTSAFE_FROM_Int8_
#define MDLKIT_INTSAFE_FROM_UInt8_(D, DT) MDLKIT_INTSAFE_CONV_(UInt8, unsigned char, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UInt8_)
#undef MDLKIT_INTSAFE_FROM_UInt8_
#define MDLKIT_INTSAFE_FROM_Byte_(D, DT) MDLKIT_INTSAFE_CONV_(Byte, unsigned char, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Byte_)
#undef MDLKIT_INTSAFE_FROM_Byte_
#define MDLKIT_INTSAFE_FROM_UChar_(D, DT) MDLKIT_INTSAFE_CONV_(UChar, unsigned char, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UChar_)
#undef MDLKIT_INTSAFE_FROM_UChar_
#define MDLKIT_INTSAFE_FROM_Char_(D, DT) MDLKIT_INTSAFE_CONV_(Char, char, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Char_)
#undef MDLKIT_INTSAFE_FROM_Char_
#define MDLKIT_INTSAFE_FROM_Short_(D, DT) MDLKIT_INTSAFE_CONV_(Short, short, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Short_)
#undef MDLKIT_INTSAFE_FROM_Short_
#define MDLKIT_INTSAFE_FROM_Int16_(D, DT) MDLKIT_INTSAFE_CONV_(Int16, short, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Int16_)
#undef MDLKIT_INTSAFE_FROM_Int16_
#define MDLKIT_INTSAFE_FROM_UShort_(D, DT) MDLKIT_INTSAFE_CONV_(UShort, unsigned short, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UShort_)
#undef MDLKIT_INTSAFE_FROM_UShort_
#define MDLKIT_INTSAFE_FROM_UInt16_(D, DT) MDLKIT_INTSAFE_CONV_(UInt16, unsigned short, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UInt16_)
#undef MDLKIT_INTSAFE_FROM_UInt16_
#define MDLKIT_INTSAFE_FROM_Word_(D, DT) MDLKIT_INTSAFE_CONV_(Word, unsigned short, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Word_)
#undef MDLKIT_INTSAFE_FROM_Word_
#define MDLKIT_INTSAFE_FROM_Int_(D, DT) MDLKIT_INTSAFE_CONV_(Int, int, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Int_)
#undef MDLKIT_INTSAFE_FROM_Int_
#define MDLKIT_INTSAFE_FROM_Int32_(D, DT) MDLKIT_INTSAFE_CONV_(Int32, int, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Int32_)
#undef MDLKIT_INTSAFE_FROM_Int32_
#define MDLKIT_INTSAFE_FROM_UInt_(D, DT) MDLKIT_INTSAFE_CONV_(UInt, unsigned int, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UInt_)
#undef MDLKIT_INTSAFE_FROM_UInt_
#define MDLKIT_INTSAFE_FROM_UInt32_(D, DT) MDLKIT_INTSAFE_CONV_(UInt32, unsigned int, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UInt32_)
#undef MDLKIT_INTSAFE_FROM_UInt32_
#define MDLKIT_INTSAFE_FROM_Long_(D, DT) MDLKIT_INTSAFE_CONV_(Long, LONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Long_)
#undef MDLKIT_INTSAFE_FROM_Long_
#define MDLKIT_INTSAFE_FROM_ULong_(D, DT) MDLKIT_INTSAFE_CONV_(ULong, ULONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_ULong_)
#undef MDLKIT_INTSAFE_FROM_ULong_
#define MDLKIT_INTSAFE_FROM_DWord_(D, DT) MDLKIT_INTSAFE_CONV_(DWord, ULONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_DWord_)
#undef MDLKIT_INTSAFE_FROM_DWord_
#define MDLKIT_INTSAFE_FROM_LongLong_(D, DT) MDLKIT_INTSAFE_CONV_(LongLong, LONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_LongLong_)
#undef MDLKIT_INTSAFE_FROM_LongLong_
#define MDLKIT_INTSAFE_FROM_Long64_(D, DT) MDLKIT_INTSAFE_CONV_(Long64, LONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Long64_)
#undef MDLKIT_INTSAFE_FROM_Long64_
#define MDLKIT_INTSAFE_FROM_Int64_(D, DT) MDLKIT_INTSAFE_CONV_(Int64, LONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_Int64_)
#undef MDLKIT_INTSAFE_FROM_Int64_
#define MDLKIT_INTSAFE_FROM_ULongLong_(D, DT) MDLKIT_INTSAFE_CONV_(ULongLong, ULONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_ULongLong_)
#undef MDLKIT_INTSAFE_FROM_ULongLong_
#define MDLKIT_INTSAFE_FROM_DWordLong_(D, DT) MDLKIT_INTSAFE_CONV_(DWordLong, ULONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_DWordLong_)
#undef MDLKIT_INTSAFE_FROM_DWordLong_
#define MDLKIT_INTSAFE_FROM_ULong64_(D, DT) MDLKIT_INTSAFE_CONV_(ULong64, ULONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_ULong64_)
#undef MDLKIT_INTSAFE_FROM_ULong64_
#define MDLKIT_INTSAFE_FROM_DWord64_(D, DT) MDLKIT_INTSAFE_CONV_(DWord64, ULONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_DWord64_)
#undef MDLKIT_INTSAFE_FROM_DWord64_
#define MDLKIT_INTSAFE_FROM_UInt64_(D, DT) MDLKIT_INTSAFE_CONV_(UInt64, ULONGLONG, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UInt64_)
#undef MDLKIT_INTSAFE_FROM_UInt64_
#define MDLKIT_INTSAFE_FROM_IntPtr_(D, DT) MDLKIT_INTSAFE_CONV_(IntPtr, INT_PTR, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_IntPtr_)
#undef MDLKIT_INTSAFE_FROM_IntPtr_
#define MDLKIT_INTSAFE_FROM_LongPtr_(D, DT) MDLKIT_INTSAFE_CONV_(LongPtr, LONG_PTR, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_LongPtr_)
#undef MDLKIT_INTSAFE_FROM_LongPtr_
#define MDLKIT_INTSAFE_FROM_UIntPtr_(D, DT) MDLKIT_INTSAFE_CONV_(UIntPtr, UINT_PTR, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_UIntPtr_)
#undef MDLKIT_INTSAFE_FROM_UIntPtr_
#define MDLKIT_INTSAFE_FROM_ULongPtr_(D, DT) MDLKIT_INTSAFE_CONV_(ULongPtr, ULONG_PTR, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_ULongPtr_)
#undef MDLKIT_INTSAFE_FROM_ULongPtr_
#define MDLKIT_INTSAFE_FROM_DWordPtr_(D, DT) MDLKIT_INTSAFE_CONV_(DWordPtr, ULONG_PTR, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_DWordPtr_)
#undef MDLKIT_INTSAFE_FROM_DWordPtr_
#define MDLKIT_INTSAFE_FROM_PtrdiffT_(D, DT) MDLKIT_INTSAFE_CONV_(PtrdiffT, ptrdiff_t, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_PtrdiffT_)
#undef MDLKIT_INTSAFE_FROM_PtrdiffT_
#define MDLKIT_INTSAFE_FROM_SizeT_(D, DT) MDLKIT_INTSAFE_CONV_(SizeT, size_t, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_SizeT_)
#undef MDLKIT_INTSAFE_FROM_SizeT_
#define MDLKIT_INTSAFE_FROM_SIZET_(D, DT) MDLKIT_INTSAFE_CONV_(SIZET, SIZE_T, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_SIZET_)
#undef MDLKIT_INTSAFE_FROM_SIZET_
#define MDLKIT_INTSAFE_FROM_SSIZET_(D, DT) MDLKIT_INTSAFE_CONV_(SSIZET, SSIZE_T, D, DT)
MDLKIT_INTSAFE_TYPES2(MDLKIT_INTSAFE_FROM_SSIZET_)
#undef MDLKIT_INTSAFE_FROM_SSIZET_

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTINTSAFE_H */
