/* iomdl.c -- IoAllocateMdl, IoFreeMdl, IoBuildPartialMdl (owned by the MDL work). */
#include "mk_base.h"

int mk_io_init(void) { return 0; }
void mk_io_shutdown(void) {}
