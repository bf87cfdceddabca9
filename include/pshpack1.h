/*
 * pshpack1.h -- mdlkit's own text. Pushes the current structure packing
 * and packs what follows on 1-byte boundaries, until <poppack.h>.
 * Not include-guarded: each inclusion pushes once.
 */
#pragma pack(push, 1)
