/*
 * fuzz_internal.h -- what the files of the driver-fuzzing runtime share
 * (src/rt/fuzz.c, src/rt/fuzzasan.c). No other file includes it.
 */
#ifndef MK_FUZZ_INTERNAL_H
#define MK_FUZZ_INTERNAL_H

#include <stddef.h>

/* fuzzasan.c: ASan integration (pool redzones, freed-block and MDL-mapping
 * poisoning through the hook table). */
int mk_fz_asan_present(void);   /* the process runs under ASan */
int mk_fz_asan_install(void);   /* after mdlkit_init: 1 when the hooks are in */
void mk_fz_asan_uninstall(void); /* before mdlkit_shutdown: nothing stays poisoned */
/* The part of the live pool block holding p that its caller owns (without
 * the redzones): 1 and *start / *bytes, or 0 when p is in no live block. */
int mk_fz_asan_block(const void *p, void **start, size_t *bytes);

#endif /* MK_FUZZ_INTERNAL_H */
