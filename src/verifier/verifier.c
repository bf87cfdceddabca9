/*
 * verifier.c -- Driver Verifier options: start/stop and the hooks the layers
 * call (mk_verifier.h). Owned by the verifier work; the machine and base
 * layers only rely on the hook signatures.
 */
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_verifier.h"

int mk_verifier_init(void) { return 0; }

void mk_verifier_shutdown(void) {}

void mk_verifier_on_bugcheck(const mdlkit_bugcheck *bc, int caught)
{
    (void)bc;
    (void)caught;
}

void mk_verifier_on_raise_to_dispatch(void) {}

int mk_verifier_page_fault(void *addr, int write, void *pc, enum mk_region r)
{
    (void)addr;
    (void)write;
    (void)pc;
    (void)r;
    return 0; /* no verifier option claims the fault: the machine reports it */
}
