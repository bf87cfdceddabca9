/*
 * random.c -- RtlUniform, RtlRandom, RtlRandomEx.
 *
 * Each returns a pseudo-random number in [0, MAXLONG - 1] and updates
 * *Seed, deterministically from the seed alone (docs/ddi-notes.md: the
 * same seed gives the same sequence, so tests and fuzz runs reproduce).
 * RtlUniform is the documented linear congruential step; RtlRandom and
 * RtlRandomEx mix two such steps for better low bits.
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#define RND_MULTIPLIER 0x7fffffedUL
#define RND_INCREMENT 0x7fffffc3UL
#define RND_MODULUS 0x7fffffffUL /* MAXLONG */

ULONG RtlUniform(PULONG Seed)
{
    MK_OBJ_FAULT(Seed);
    ULONG v = (ULONG)(((ULONGLONG)*Seed * RND_MULTIPLIER + RND_INCREMENT) % RND_MODULUS);
    *Seed = v;
    return v;
}

static ULONG rnd_mix(PULONG Seed)
{
    ULONG a = RtlUniform(Seed);
    ULONG b = RtlUniform(Seed);
    return (ULONG)((((ULONGLONG)a << 16) ^ b ^ (a >> 15)) % RND_MODULUS);
}

ULONG RtlRandom(PULONG Seed)
{
    MK_ENTER("RtlRandom");
    MK_CHECK_IRQL_MAX(APC_LEVEL, RtlRandom);
    MK_OBJ_FAULT(Seed);
    return rnd_mix(Seed);
}

ULONG RtlRandomEx(PULONG Seed)
{
    MK_ENTER("RtlRandomEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlRandomEx);
    MK_OBJ_FAULT(Seed);
    return rnd_mix(Seed);
}
