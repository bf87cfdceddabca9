/*
 * pshpack16.h -- mdlkit's own text. Pushes the current structure packing
 * and packs what follows on 16-byte boundaries, until <poppack.h>.
 * Not include-guarded: each inclusion pushes once.
 */
#pragma pack(push, 16)
