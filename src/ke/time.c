/*
 * time.c -- KeQuerySystemTime(Precise), KeQueryTickCount,
 * KeQueryTimeIncrement, KeQueryInterruptTime(Precise),
 * KeQueryUnbiasedInterruptTime, KeQueryPerformanceCounter,
 * ExSystemTimeToLocalTime, ExLocalTimeToSystemTime.
 *
 * System time is the host's real time in 100 ns units since 1601-01-01 UTC.
 * Interrupt time counts 100 ns units since the machine started
 * (mdlkit_init; it starts at 0.1 s) and never stops (the unbiased time is
 * the same: the simulated machine never sleeps). The clock ticks every
 * 156,250 units (15.625 ms), the default Windows time increment; the
 * performance counter runs at 10 MHz, as on current Windows.
 */
#include "mk_machine.h"
#include "mk_ke.h"

#include <time.h>

#define KE_TIME_INCREMENT 156250u
#define KE_QPC_FREQUENCY 10000000LL

void KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    MK_ENTER("KeQuerySystemTime");
    MK_OBJ_FAULT(CurrentTime);
    /* The system time as the clock interrupt last stored it: tick-aligned. */
    LONGLONG now = mk_ke_system_time();
    CurrentTime->QuadPart = now - now % 10000; /* 1 ms resolution */
}

void KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    MK_ENTER("KeQuerySystemTimePrecise");
    MK_OBJ_FAULT(CurrentTime);
    CurrentTime->QuadPart = mk_ke_system_time();
}

void KeQueryTickCount(PLARGE_INTEGER TickCount)
{
    MK_ENTER("KeQueryTickCount");
    MK_OBJ_FAULT(TickCount);
    TickCount->QuadPart = (LONGLONG)(mk_ke_interrupt_time() / KE_TIME_INCREMENT);
}

ULONG KeQueryTimeIncrement(void)
{
    MK_ENTER("KeQueryTimeIncrement");
    return KE_TIME_INCREMENT;
}

ULONGLONG KeQueryInterruptTime(void)
{
    MK_ENTER("KeQueryInterruptTime");
    ULONGLONG t = mk_ke_interrupt_time();
    return t - t % 10000;
}

ULONGLONG KeQueryInterruptTimePrecise(PULONGLONG QpcTimeStamp)
{
    MK_ENTER("KeQueryInterruptTimePrecise");
    ULONGLONG t = mk_ke_interrupt_time();
    if (QpcTimeStamp)
        *QpcTimeStamp = t; /* QPC ticks are 100 ns at 10 MHz */
    return t;
}

ULONGLONG KeQueryUnbiasedInterruptTime(void)
{
    MK_ENTER("KeQueryUnbiasedInterruptTime");
    return mk_ke_interrupt_time();
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    MK_ENTER("KeQueryPerformanceCounter");
    if (PerformanceFrequency)
        PerformanceFrequency->QuadPart = KE_QPC_FREQUENCY;
    LARGE_INTEGER r;
    r.QuadPart = (LONGLONG)mk_ke_interrupt_time();
    return r;
}

/* The host's offset from UTC at the given UTC instant, in 100 ns units. */
static LONGLONG ke_local_bias(LONGLONG system_time)
{
    time_t secs = (time_t)(system_time / 10000000LL - 11644473600LL);
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return 0;
    return (LONGLONG)tm.tm_gmtoff * 10000000LL;
}

void ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime)
{
    MK_ENTER("ExSystemTimeToLocalTime");
    MK_OBJ_FAULT(SystemTime);
    LocalTime->QuadPart = SystemTime->QuadPart + ke_local_bias(SystemTime->QuadPart);
}

void ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime)
{
    MK_ENTER("ExLocalTimeToSystemTime");
    MK_OBJ_FAULT(LocalTime);
    LONGLONG guess = LocalTime->QuadPart - ke_local_bias(LocalTime->QuadPart);
    SystemTime->QuadPart = LocalTime->QuadPart - ke_local_bias(guess);
}
