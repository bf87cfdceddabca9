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
#include "mk_verifier.h"

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

/* ------------------------------------------------------------------------
 * Event objects by handle: ZwCreateEvent, ZwSetEvent, ZwResetEvent,
 * ZwClearEvent, ZwWaitForSingleObject (previous mode KernelMode: no access
 * checks; OBJ_KERNEL_HANDLE gives a kernel handle).
 *
 * Named events live in a small namespace of their own (names compared as
 * given, or case-insensitively with OBJ_CASE_INSENSITIVE; a name must be a
 * full path, "\..."): a second create of a name is
 * STATUS_OBJECT_NAME_COLLISION, or with OBJ_OPENIF opens the existing
 * event and returns STATUS_OBJECT_NAME_EXISTS. A name is removed with its
 * object (last reference).
 *
 * Misuse: IRQL != PASSIVE_LEVEL: 0xC4 IrqlZwPassive (0x2001F) under DDI
 * compliance, else 0xA; a bad handle: STATUS_INVALID_HANDLE; not an event
 * (ZwSetEvent...) or not waitable (ZwWaitForSingleObject):
 * STATUS_OBJECT_TYPE_MISMATCH; a bad event type: STATUS_INVALID_PARAMETER.
 * ---------------------------------------------------------------------- */
#include <stdlib.h>
#include <string.h>

typedef struct ev_name {
    WCHAR *name;
    USHORT len; /* in WCHARs */
    void *body;
    struct ev_name *next;
} ev_name;

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static ev_name *ev_names;

static WCHAR ev_up(WCHAR c) { return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 'a' + 'A') : c; }

static int ev_same(const ev_name *n, const WCHAR *name, USHORT len, int ci)
{
    if (n->len != len)
        return 0;
    for (USHORT i = 0; i < len; i++)
        if (ci ? ev_up(n->name[i]) != ev_up(name[i]) : n->name[i] != name[i])
            return 0;
    return 1;
}

static void ev_destroy(void *body)
{
    pthread_mutex_lock(&ev_lock);
    for (ev_name **pp = &ev_names; *pp; pp = &(*pp)->next) {
        if ((*pp)->body == body) {
            ev_name *n = *pp;
            *pp = n->next;
            free(n->name);
            free(n);
            break;
        }
    }
    pthread_mutex_unlock(&ev_lock);
}

static const mk_ob_type_ops ev_ops = {"Event", NULL, ev_destroy};

static void ev_check_passive(const char *why, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_ZW_PASSIVE, why, NULL, caller);
}

NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       EVENT_TYPE EventType, BOOLEAN InitialState)
{
    MK_ENTER("ZwCreateEvent");
    ev_check_passive("ZwCreateEvent should only be called at IRQL = PASSIVE_LEVEL", __builtin_return_address(0));
    /* Security checks (0x100): no parameter may be a user-mode address (0xC4/0xE3) */
    mk_verifier_zw_param("ZwCreateEvent", EventHandle, __builtin_return_address(0));
    mk_verifier_zw_param("ZwCreateEvent", ObjectAttributes, __builtin_return_address(0));
    if (ObjectAttributes && !((uintptr_t)ObjectAttributes >= (uintptr_t)mk_as.rgn_base[MK_RGN_USER] &&
                              (uintptr_t)ObjectAttributes < (uintptr_t)mk_as.rgn_end[MK_RGN_USER]) &&
        ObjectAttributes->ObjectName) {
        mk_verifier_zw_param("ZwCreateEvent", ObjectAttributes->ObjectName, __builtin_return_address(0));
        mk_verifier_zw_param("ZwCreateEvent", ObjectAttributes->ObjectName->Buffer, __builtin_return_address(0));
    }
    if (!EventHandle || (EventType != NotificationEvent && EventType != SynchronizationEvent))
        return STATUS_INVALID_PARAMETER;
    if (ObjectAttributes && ObjectAttributes->Length != sizeof(OBJECT_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    static int ops_set;
    if (!__atomic_exchange_n(&ops_set, 1, __ATOMIC_ACQ_REL))
        mk_ob_type_set_ops(*ExEventObjectType, &ev_ops);
    ULONG attrs = ObjectAttributes ? ObjectAttributes->Attributes : 0;
    KPROCESSOR_MODE hmode = (attrs & OBJ_KERNEL_HANDLE) ? KernelMode : UserMode;
    PUNICODE_STRING name = ObjectAttributes ? ObjectAttributes->ObjectName : NULL;
    USHORT len = name ? (USHORT)(name->Length / sizeof(WCHAR)) : 0;
    if (name && len) {
        if (ObjectAttributes->RootDirectory || name->Buffer[0] != L'\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        pthread_mutex_lock(&ev_lock);
        for (ev_name *n = ev_names; n; n = n->next) {
            if (ev_same(n, name->Buffer, len, (attrs & OBJ_CASE_INSENSITIVE) != 0)) {
                if (!(attrs & OBJ_OPENIF)) {
                    pthread_mutex_unlock(&ev_lock);
                    return STATUS_OBJECT_NAME_COLLISION;
                }
                void *body = n->body;
                if (!mk_ob_try_reference(body))
                    continue; /* going away: its name is about to be removed */
                pthread_mutex_unlock(&ev_lock);
                NTSTATUS st = mk_ob_insert_process_handle(body, DesiredAccess ? DesiredAccess : EVENT_ALL_ACCESS,
                                                          hmode == KernelMode, EventHandle);
                mk_ob_dereference(body);
                return NT_SUCCESS(st) ? STATUS_OBJECT_NAME_EXISTS : st;
            }
        }
        pthread_mutex_unlock(&ev_lock);
    }
    PKEVENT e = mk_ob_create(*ExEventObjectType, sizeof(KEVENT));
    if (!e)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeEvent(e, EventType, InitialState);
    if (name && len) {
        ev_name *n = malloc(sizeof *n);
        WCHAR *copy = malloc(len * sizeof(WCHAR));
        if (!n || !copy) {
            free(n);
            free(copy);
            mk_ob_dereference(e);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memcpy(copy, name->Buffer, len * sizeof(WCHAR));
        n->name = copy;
        n->len = len;
        n->body = e;
        pthread_mutex_lock(&ev_lock);
        n->next = ev_names;
        ev_names = n;
        pthread_mutex_unlock(&ev_lock);
    }
    NTSTATUS st = mk_ob_insert_process_handle(e, DesiredAccess ? DesiredAccess : EVENT_ALL_ACCESS,
                                              hmode == KernelMode, EventHandle);
    mk_ob_dereference(e); /* the handle holds it (or it goes now) */
    return st;
}

static NTSTATUS ev_ref(HANDLE h, PKEVENT *e, const char *why, void *caller)
{
    ev_check_passive(why, caller);
    return mk_ob_reference_handle(h, *ExEventObjectType, KernelMode, (void **)e);
}

NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    MK_ENTER("ZwSetEvent");
    mk_verifier_zw_param("ZwSetEvent", PreviousState, __builtin_return_address(0)); /* 0x100 (0xC4/0xE3) */
    PKEVENT e;
    NTSTATUS st = ev_ref(EventHandle, &e, "ZwSetEvent should only be called at IRQL = PASSIVE_LEVEL",
                         __builtin_return_address(0));
    if (!NT_SUCCESS(st))
        return st;
    LONG old = KeSetEvent(e, 0, FALSE);
    if (PreviousState)
        *PreviousState = old;
    mk_ob_dereference(e);
    return STATUS_SUCCESS;
}

NTSTATUS ZwResetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    MK_ENTER("ZwResetEvent");
    mk_verifier_zw_param("ZwResetEvent", PreviousState, __builtin_return_address(0)); /* 0x100 (0xC4/0xE3) */
    PKEVENT e;
    NTSTATUS st = ev_ref(EventHandle, &e, "ZwResetEvent should only be called at IRQL = PASSIVE_LEVEL",
                         __builtin_return_address(0));
    if (!NT_SUCCESS(st))
        return st;
    LONG old = KeResetEvent(e);
    if (PreviousState)
        *PreviousState = old;
    mk_ob_dereference(e);
    return STATUS_SUCCESS;
}

NTSTATUS ZwClearEvent(HANDLE EventHandle)
{
    MK_ENTER("ZwClearEvent");
    PKEVENT e;
    NTSTATUS st = ev_ref(EventHandle, &e, "ZwClearEvent should only be called at IRQL = PASSIVE_LEVEL",
                         __builtin_return_address(0));
    if (!NT_SUCCESS(st))
        return st;
    KeClearEvent(e);
    mk_ob_dereference(e);
    return STATUS_SUCCESS;
}

NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    MK_ENTER("ZwWaitForSingleObject");
    ev_check_passive("ZwWaitForSingleObject should only be called at IRQL = PASSIVE_LEVEL",
                     __builtin_return_address(0));
    mk_verifier_zw_param("ZwWaitForSingleObject", Timeout, __builtin_return_address(0)); /* 0x100 (0xC4/0xE3) */
    void *body;
    NTSTATUS st = mk_ob_reference_handle(Handle, NULL, KernelMode, &body);
    if (!NT_SUCCESS(st))
        return st;
    POBJECT_TYPE t = mk_ob_type_of(body);
    if (t != *ExEventObjectType && t != *ExSemaphoreObjectType && t != *PsThreadType) {
        mk_ob_dereference(body);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    st = KeWaitForSingleObject(body, UserRequest, KernelMode, Alertable, Timeout);
    mk_ob_dereference(body);
    return st;
}

/* Shutdown: names of events still alive are forgotten. */
void mk_ob_event_shutdown(void);
void mk_ob_event_shutdown(void)
{
    pthread_mutex_lock(&ev_lock);
    while (ev_names) {
        ev_name *n = ev_names;
        ev_names = n->next;
        free(n->name);
        free(n);
    }
    pthread_mutex_unlock(&ev_lock);
}
