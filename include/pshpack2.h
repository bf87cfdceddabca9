/*
 * pshpack2.h -- mdlkit's own text. Pushes the current structure packing
 * and packs what follows on 2-byte boundaries, until <poppack.h>.
 * Not include-guarded: each inclusion pushes once. clang is told not to
 * warn that an included file changes the packing (that is its purpose).
 */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpragma-pack"
#endif
#pragma pack(push, 2)
