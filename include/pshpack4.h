/*
 * pshpack4.h -- mdlkit's own text. Pushes the current structure packing
 * and packs what follows on 4-byte boundaries, until <poppack.h>.
 * Not include-guarded: each inclusion pushes once.
 */
#pragma pack(push, 4)
