/* expool.c -- executive pool (owned by the pool work). */
#include "mk_base.h"

int mk_pool_init(void) { return 0; }
void mk_pool_shutdown(void) {}
