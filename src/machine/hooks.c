/*
 * hooks.c -- the table of observer hooks (src/mk_hooks.h). It lives in the
 * lowest layer so that every layer may publish through it; the verifier
 * fills its entries at mdlkit_init, the port layer its own when it starts.
 */
#include "mk_hooks.h"

mk_hooks mk_hook;
