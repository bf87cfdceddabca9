/*
 * obevent.c -- user-mode events of the harness (mdlkit_usermode.h):
 * mdlkit_event_create, mdlkit_event_wait, mdlkit_event_set,
 * mdlkit_event_reset. The handle names a KEVENT object of *ExEventObjectType
 * in the simulated process's handle table (UserMode, EVENT_ALL_ACCESS), so a
 * driver can ObReferenceObjectByHandle(h, ..., *ExEventObjectType,
 * UserMode, ...) and KeSetEvent it. mdlkit_close closes it like any handle.
 *
 * A handle of another type: STATUS_OBJECT_TYPE_MISMATCH; a closed or
 * made-up one: STATUS_INVALID_HANDLE. timeout_ms 0xFFFFFFFF (INFINITE)
 * waits without a timeout.
 */
#include "mk_ke.h"
#include "mk_ob.h"

HANDLE mdlkit_event_create(BOOLEAN manual_reset);
NTSTATUS mdlkit_event_wait(HANDLE event, ULONG timeout_ms);
NTSTATUS mdlkit_event_set(HANDLE event);
NTSTATUS mdlkit_event_reset(HANDLE event);

HANDLE mdlkit_event_create(BOOLEAN manual_reset)
{
    MK_ENTER("mdlkit_event_create");
    mk_thread_attach();
    PKEVENT e = mk_ob_create(*ExEventObjectType, sizeof(KEVENT));
    if (!e)
        return NULL;
    KeInitializeEvent(e, manual_reset ? NotificationEvent : SynchronizationEvent, FALSE);
    HANDLE h = NULL;
    NTSTATUS st = mk_ob_insert_handle(e, EVENT_ALL_ACCESS, UserMode, &h);
    mk_ob_dereference(e); /* the handle holds it */
    return NT_SUCCESS(st) ? h : NULL;
}

NTSTATUS mdlkit_event_wait(HANDLE event, ULONG timeout_ms)
{
    MK_ENTER("mdlkit_event_wait");
    void *body;
    NTSTATUS st = mk_ob_reference_handle(event, *ExEventObjectType, UserMode, &body);
    if (!NT_SUCCESS(st))
        return st;
    LARGE_INTEGER t;
    t.QuadPart = -(LONGLONG)timeout_ms * 10000;
    st = KeWaitForSingleObject(body, UserRequest, UserMode, FALSE, timeout_ms == 0xFFFFFFFFu ? NULL : &t);
    mk_ob_dereference(body);
    return st == STATUS_WAIT_0 ? STATUS_SUCCESS : st;
}

NTSTATUS mdlkit_event_set(HANDLE event)
{
    MK_ENTER("mdlkit_event_set");
    void *body;
    NTSTATUS st = mk_ob_reference_handle(event, *ExEventObjectType, UserMode, &body);
    if (!NT_SUCCESS(st))
        return st;
    KeSetEvent(body, 0, FALSE);
    mk_ob_dereference(body);
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_event_reset(HANDLE event)
{
    MK_ENTER("mdlkit_event_reset");
    void *body;
    NTSTATUS st = mk_ob_reference_handle(event, *ExEventObjectType, UserMode, &body);
    if (!NT_SUCCESS(st))
        return st;
    KeResetEvent(body);
    mk_ob_dereference(body);
    return STATUS_SUCCESS;
}
