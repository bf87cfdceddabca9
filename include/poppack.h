/*
 * poppack.h -- mdlkit's own text. Restores the structure packing saved by
 * the matching <pshpackN.h>. Not include-guarded.
 */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpragma-pack"
#endif
#pragma pack(pop)
