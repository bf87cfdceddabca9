/* portcommon.c -- what StorPort and NDIS hosting share (owned by the port work). */
#include "mk_base.h"

int mk_port_init(void) { return 0; }
void mk_port_shutdown(void) {}
