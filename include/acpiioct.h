/*
 * acpiioct.h -- mdlkit's own text of the ACPI method-evaluation interface
 * (IOCTL_ACPI_EVAL_METHOD and the buffers it takes and returns), as storage
 * miniports use it with StorPortInvokeAcpiMethod. Names, values and layouts
 * are the documented ones. mdlkit has no ACPI namespace: the StorPort
 * extended function that evaluates a method answers
 * STOR_STATUS_NOT_IMPLEMENTED (docs/storport.md).
 */
#ifndef MDLKIT_ACPIIOCT_H
#define MDLKIT_ACPIIOCT_H

#include <ntdef.h>
#include <devioctl.h>

#ifndef FILE_DEVICE_ACPI
#define FILE_DEVICE_ACPI 0x00000032
#endif
#define IOCTL_ACPI_EVAL_METHOD CTL_CODE(FILE_DEVICE_ACPI, 0, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)

/* Signatures: the first ULONG of each buffer says which form it is. */
#define ACPI_EVAL_INPUT_BUFFER_SIGNATURE 'BieA'
#define ACPI_EVAL_INPUT_BUFFER_SIMPLE_INTEGER_SIGNATURE 'IieA'
#define ACPI_EVAL_INPUT_BUFFER_SIMPLE_STRING_SIGNATURE 'SieA'
#define ACPI_EVAL_INPUT_BUFFER_COMPLEX_SIGNATURE 'CieA'
#define ACPI_EVAL_OUTPUT_BUFFER_SIGNATURE 'BoeA'

/* ACPI_METHOD_ARGUMENT.Type */
#define ACPI_METHOD_ARGUMENT_INTEGER 0x0
#define ACPI_METHOD_ARGUMENT_STRING 0x1
#define ACPI_METHOD_ARGUMENT_BUFFER 0x2
#define ACPI_METHOD_ARGUMENT_PACKAGE 0x3
#define ACPI_METHOD_ARGUMENT_PACKAGE_EX 0x4

/* One argument (or result): Type, then DataLength bytes of data, at least
 * a ULONG's room. Arguments follow one another (ACPI_METHOD_NEXT_ARGUMENT). */
typedef struct _ACPI_METHOD_ARGUMENT {
    USHORT Type;
    USHORT DataLength;
    union {
        ULONG Argument;
        UCHAR Data[ANYSIZE_ARRAY];
    };
} ACPI_METHOD_ARGUMENT, *PACPI_METHOD_ARGUMENT;

#define ACPI_METHOD_ARGUMENT_LENGTH(DataLength) \
    (FIELD_OFFSET(ACPI_METHOD_ARGUMENT, Data) + ((DataLength) > sizeof(ULONG) ? (DataLength) : sizeof(ULONG)))
#define ACPI_METHOD_ARGUMENT_LENGTH_FROM_ARGUMENT(Argument) ACPI_METHOD_ARGUMENT_LENGTH((Argument)->DataLength)
#define ACPI_METHOD_NEXT_ARGUMENT(Argument) \
    ((PACPI_METHOD_ARGUMENT)((PUCHAR)(Argument) + ACPI_METHOD_ARGUMENT_LENGTH_FROM_ARGUMENT(Argument)))

#define ACPI_METHOD_SET_ARGUMENT_INTEGER(MethodArgument, IntData) \
    do {                                                          \
        (MethodArgument)->Type = ACPI_METHOD_ARGUMENT_INTEGER;    \
        (MethodArgument)->DataLength = sizeof(ULONG);             \
        (MethodArgument)->Argument = (IntData);                   \
    } while (0)
#define ACPI_METHOD_SET_ARGUMENT_STRING(Argument, StrData)                     \
    do {                                                                       \
        (Argument)->Type = ACPI_METHOD_ARGUMENT_STRING;                        \
        (Argument)->DataLength = (USHORT)(strlen((const char *)(StrData)) + 1); \
        RtlCopyMemory((Argument)->Data, (StrData), (Argument)->DataLength);    \
    } while (0)
#define ACPI_METHOD_SET_ARGUMENT_BUFFER(Argument, BuffData, BuffLength) \
    do {                                                                \
        (Argument)->Type = ACPI_METHOD_ARGUMENT_BUFFER;                 \
        (Argument)->DataLength = (USHORT)(BuffLength);                  \
        RtlCopyMemory((Argument)->Data, (BuffData), (BuffLength));      \
    } while (0)

typedef struct _ACPI_EVAL_INPUT_BUFFER {
    ULONG Signature; /* ACPI_EVAL_INPUT_BUFFER_SIGNATURE */
    union {
        UCHAR MethodName[4];
        ULONG MethodNameAsUlong;
    };
} ACPI_EVAL_INPUT_BUFFER, *PACPI_EVAL_INPUT_BUFFER;

typedef struct _ACPI_EVAL_INPUT_BUFFER_SIMPLE_INTEGER {
    ULONG Signature;
    union {
        UCHAR MethodName[4];
        ULONG MethodNameAsUlong;
    };
    ULONG IntegerArgument;
} ACPI_EVAL_INPUT_BUFFER_SIMPLE_INTEGER, *PACPI_EVAL_INPUT_BUFFER_SIMPLE_INTEGER;

typedef struct _ACPI_EVAL_INPUT_BUFFER_COMPLEX {
    ULONG Signature; /* ACPI_EVAL_INPUT_BUFFER_COMPLEX_SIGNATURE */
    union {
        UCHAR MethodName[4];
        ULONG MethodNameAsUlong;
    };
    ULONG Size; /* bytes of the arguments */
    ULONG ArgumentCount;
    ACPI_METHOD_ARGUMENT Argument[ANYSIZE_ARRAY];
} ACPI_EVAL_INPUT_BUFFER_COMPLEX, *PACPI_EVAL_INPUT_BUFFER_COMPLEX;

typedef struct _ACPI_EVAL_OUTPUT_BUFFER {
    ULONG Signature; /* ACPI_EVAL_OUTPUT_BUFFER_SIGNATURE */
    ULONG Length;    /* bytes of the whole buffer */
    ULONG Count;     /* results */
    ACPI_METHOD_ARGUMENT Argument[ANYSIZE_ARRAY];
} ACPI_EVAL_OUTPUT_BUFFER, *PACPI_EVAL_OUTPUT_BUFFER;

#endif /* MDLKIT_ACPIIOCT_H */
