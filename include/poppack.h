/*
 * poppack.h -- mdlkit's own text. Restores the structure packing saved by
 * the matching <pshpackN.h>. Not include-guarded.
 */
#pragma pack(pop)
