/*
 * mk_verifier.h -- the one narrow interface through which the layers tell
 * the verifier what happens (src/verifier/). Each hook is cheap when its
 * option is off; callers test mk_verifier_on(flag) first where noted.
 */
#ifndef MK_VERIFIER_H
#define MK_VERIFIER_H

#include "mk_base.h"

/* Called by KeBugCheckEx after printing the report and before aborting or
 * unwinding to mdlkit_catch_bugcheck: records the bug check for the report
 * (and writes the JSON report when the process is about to abort). */
void mk_verifier_on_bugcheck(const mdlkit_bugcheck *bc, int caught);

/* Called by KfRaiseIrql / spin-lock acquire when a thread goes from below
 * DISPATCH_LEVEL to DISPATCH_LEVEL or above (Force IRQL Checking trims
 * paged pool here). Only called when MDLKIT_VERIFY_FORCE_IRQL_CHECKING. */
void mk_verifier_on_raise_to_dispatch(void);

#endif /* MK_VERIFIER_H */
