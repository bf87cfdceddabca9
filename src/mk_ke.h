/*
 * mk_ke.h -- what the kernel-basics files (src/ke/) share among themselves:
 * the bug-check catch frame, the parameter-description tables and the
 * violation text. Other layers use mk_base.h only.
 */
#ifndef MK_KE_H
#define MK_KE_H

#include "mk_base.h"

#include <setjmp.h>

/* One mdlkit_catch_bugcheck in progress on this thread (bugcheck.c). The
 * thread state is put back to these values when a bug check is caught. */
struct mk_catch {
    struct mk_catch *prev;
    jmp_buf jb;
    mdlkit_bugcheck bc;
    KIRQL irql;
    ULONG spinlocks_held;
    mdlkit_seh_frame *seh;  /* innermost __try frame outside the catch */
    struct mk_driver *driver;
};

#endif /* MK_KE_H */
