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

/* Parameter descriptions (bugdesc.c). `index` is 0..3 for P1..P4. Returns a
 * sentence, never NULL. */
const char *mk_bugdesc_param(const mdlkit_bugcheck *bc, int index);
/* A sentence on what went wrong for this code (and subcode). */
const char *mk_bugdesc_what(const mdlkit_bugcheck *bc);
/* Name of a DDI compliance rule or mdlkit rule ID (0xC4 P1), or NULL. */
const char *mk_bugdesc_rule_name(ULONG_PTR rule);

#endif /* MK_KE_H */
