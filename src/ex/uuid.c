/*
 * uuid.c -- ExUuidCreate.
 *
 * A version-1 (time-based) UUID as RFC 4122 lays it out: a 60-bit count of
 * 100 ns intervals since 1582-10-15 (the system time, made strictly
 * increasing so two calls never give the same value), a 14-bit clock
 * sequence and a 48-bit node. The simulated machine has no network
 * adapter: the node is random with the multicast bit set (RFC 4122's rule
 * for a node that is no IEEE address), and the status is
 * RPC_NT_UUID_LOCAL_ONLY, as Windows answers without a NIC. Both random
 * parts are chosen once per machine. PASSIVE_LEVEL (0xA above).
 */
#include "mk_machine.h"
#include "mk_ke.h"

#include <pthread.h>
#include <sys/random.h>

/* 100 ns intervals from 1582-10-15 to 1601-01-01 */
#define UUID_GREGORIAN_TO_1601 0x00146BF33E42C000ULL

static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned uuid_generation; /* the machine the random parts belong to */
static ULONGLONG uuid_last;
static USHORT uuid_clock_seq;
static UCHAR uuid_node[6];

NTSTATUS ExUuidCreate(UUID *Uuid)
{
    MK_ENTER("ExUuidCreate");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, ExUuidCreate);
    MK_OBJ_FAULT(Uuid);
    ULONGLONG now = (ULONGLONG)mk_ke_system_time() + UUID_GREGORIAN_TO_1601;
    pthread_mutex_lock(&uuid_lock);
    unsigned gen = atomic_load(&mk_rt.generation);
    if (uuid_generation != gen) {
        UCHAR r[8];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            ULONGLONG t = now ^ (ULONGLONG)(uintptr_t)&r;
            for (int i = 0; i < 8; i++)
                r[i] = (UCHAR)(t >> (i * 8));
        }
        uuid_clock_seq = (USHORT)((r[0] | r[1] << 8) & 0x3FFF);
        for (int i = 0; i < 6; i++)
            uuid_node[i] = r[2 + i];
        uuid_node[0] |= 0x01; /* multicast: not an IEEE 802 address */
        uuid_generation = gen;
        uuid_last = 0;
    }
    if (now <= uuid_last)
        now = uuid_last + 1;
    uuid_last = now;
    USHORT seq = uuid_clock_seq;
    UCHAR node[6];
    for (int i = 0; i < 6; i++)
        node[i] = uuid_node[i];
    pthread_mutex_unlock(&uuid_lock);
    Uuid->Data1 = (unsigned int)(now & 0xFFFFFFFFu);
    Uuid->Data2 = (unsigned short)((now >> 32) & 0xFFFF);
    Uuid->Data3 = (unsigned short)(((now >> 48) & 0x0FFF) | 0x1000); /* version 1 */
    Uuid->Data4[0] = (unsigned char)(((seq >> 8) & 0x3F) | 0x80);   /* RFC 4122 variant */
    Uuid->Data4[1] = (unsigned char)(seq & 0xFF);
    for (int i = 0; i < 6; i++)
        Uuid->Data4[2 + i] = node[i];
    return RPC_NT_UUID_LOCAL_ONLY;
}
