/*
 * obcallbk.c -- object-manager callbacks: ObRegisterCallbacks,
 * ObUnRegisterCallbacks, ObGetFilterVersion, and their calls when a handle
 * to a process or thread object is created (mk_ob_insert_process_handle:
 * PsCreateSystemThread's thread handle).
 *
 * A registration names process and/or thread objects (*PsProcessType,
 * *PsThreadType; ExDesktopObjectType is not modelled), the operations
 * (OB_OPERATION_HANDLE_CREATE, _DUPLICATE) and pre- and post-operation
 * routines. When a handle is created, every matching pre-operation routine
 * runs (registration order, at PASSIVE_LEVEL, in the creating thread) and
 * may clear bits of DesiredAccess (bits it adds are ignored); the handle
 * gets what is left; then every matching post-operation routine runs with
 * GrantedAccess, the insertion's status and the CallContext its
 * pre-operation routine set. The simulated machine duplicates no handles,
 * so _DUPLICATE routines are registered and never called.
 *
 * Windows lets only images linked with /INTEGRITYCHECK register
 * (STATUS_ACCESS_DENIED otherwise); mdlkit has no image header to read and
 * treats every driver as linked so (docs/ddi-notes.md "Callbacks").
 *
 * Misuse: ObUnRegisterCallbacks of a handle that is not a live
 * registration: 0xC4/MDLKIT_RULE_CALLBACK; a driver unloaded with a
 * registration left: 0xCE (pre-operation routine or post-operation
 * routine, 0, registration handle, 0), as a later callback into the
 * unloaded image would be on Windows.
 */
#include "mk_machine.h"
#include "mk_ke.h"
#include "mk_ob.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OBCB_MAGIC 0x62434f6bU /* "kOCb" */
#define OBCB_ALTITUDE_MAX 64

typedef struct obcb_reg {
    uint32_t magic;
    struct mk_driver *driver;
    WCHAR altitude[OBCB_ALTITUDE_MAX];
    USHORT altitude_len; /* characters */
    PVOID context;
    USHORT count;
    OB_OPERATION_REGISTRATION *ops; /* copies, with ObjectType resolved below */
    POBJECT_TYPE *types;
    struct obcb_reg *next;
} obcb_reg;

static pthread_mutex_t obcb_lock = PTHREAD_MUTEX_INITIALIZER;
static obcb_reg *obcb_list;

USHORT ObGetFilterVersion(void)
{
    MK_ENTER("ObGetFilterVersion");
    return OB_FLT_REGISTRATION_VERSION;
}

static int obcb_same_altitude(const obcb_reg *r, PCUNICODE_STRING a)
{
    return r->altitude_len * sizeof(WCHAR) == a->Length && !memcmp(r->altitude, a->Buffer, a->Length);
}

NTSTATUS ObRegisterCallbacks(POB_CALLBACK_REGISTRATION CallbackRegistration, PVOID *RegistrationHandle)
{
    MK_ENTER("ObRegisterCallbacks");
    MK_CHECK_IRQL_MAX(APC_LEVEL, ObRegisterCallbacks);
    MK_OBJ_FAULT(CallbackRegistration);
    MK_OBJ_FAULT(RegistrationHandle);
    POB_CALLBACK_REGISTRATION r = CallbackRegistration;
    if (r->Version != OB_FLT_REGISTRATION_VERSION || r->OperationRegistrationCount == 0 ||
        !r->OperationRegistration || r->Altitude.Length == 0 || !r->Altitude.Buffer ||
        r->Altitude.Length > OBCB_ALTITUDE_MAX * sizeof(WCHAR) || (r->Altitude.Length & 1))
        return STATUS_INVALID_PARAMETER;
    for (USHORT i = 0; i < r->OperationRegistrationCount; i++) {
        OB_OPERATION_REGISTRATION *o = &r->OperationRegistration[i];
        if (!o->ObjectType || (*o->ObjectType != *PsProcessType && *o->ObjectType != *PsThreadType))
            return STATUS_INVALID_PARAMETER;
        if (o->Operations == 0 || (o->Operations & ~(OB_OPERATION)(OB_OPERATION_HANDLE_CREATE |
                                                                    OB_OPERATION_HANDLE_DUPLICATE)))
            return STATUS_INVALID_PARAMETER;
        if (!o->PreOperation && !o->PostOperation)
            return STATUS_INVALID_PARAMETER;
    }
    obcb_reg *n = calloc(1, sizeof *n);
    OB_OPERATION_REGISTRATION *ops = calloc(r->OperationRegistrationCount, sizeof *ops);
    POBJECT_TYPE *types = calloc(r->OperationRegistrationCount, sizeof *types);
    if (!n || !ops || !types) {
        free(n);
        free(ops);
        free(types);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memcpy(ops, r->OperationRegistration, r->OperationRegistrationCount * sizeof *ops);
    for (USHORT i = 0; i < r->OperationRegistrationCount; i++)
        types[i] = *ops[i].ObjectType;
    n->magic = OBCB_MAGIC;
    n->driver = mk_self.driver;
    memcpy(n->altitude, r->Altitude.Buffer, r->Altitude.Length);
    n->altitude_len = r->Altitude.Length / sizeof(WCHAR);
    n->context = r->RegistrationContext;
    n->count = r->OperationRegistrationCount;
    n->ops = ops;
    n->types = types;
    pthread_mutex_lock(&obcb_lock);
    for (obcb_reg *e = obcb_list; e; e = e->next)
        if (obcb_same_altitude(e, &r->Altitude)) {
            pthread_mutex_unlock(&obcb_lock);
            free(ops);
            free(types);
            free(n);
            return STATUS_FLT_INSTANCE_ALTITUDE_COLLISION;
        }
    obcb_reg **tail = &obcb_list;
    while (*tail)
        tail = &(*tail)->next;
    *tail = n;
    pthread_mutex_unlock(&obcb_lock);
    *RegistrationHandle = n;
    return STATUS_SUCCESS;
}

static void obcb_free(obcb_reg *r)
{
    r->magic = 0;
    free(r->ops);
    free(r->types);
    free(r);
}

void ObUnRegisterCallbacks(PVOID RegistrationHandle)
{
    MK_ENTER("ObUnRegisterCallbacks");
    MK_CHECK_IRQL_MAX(APC_LEVEL, ObUnRegisterCallbacks);
    obcb_reg *found = NULL;
    pthread_mutex_lock(&obcb_lock);
    for (obcb_reg **pp = &obcb_list; *pp; pp = &(*pp)->next)
        if (*pp == RegistrationHandle) {
            found = *pp;
            *pp = found->next;
            break;
        }
    pthread_mutex_unlock(&obcb_lock);
    if (!found)
        mk_violation(MDLKIT_RULE_CALLBACK,
                     "ObUnRegisterCallbacks: the handle is not a registration ObRegisterCallbacks returned (or it was "
                     "already unregistered)",
                     (ULONG_PTR)RegistrationHandle, 0);
    obcb_free(found);
}

/* One matching (registration, operation) pair of a handle operation. */
typedef struct obcb_call {
    POB_PRE_OPERATION_CALLBACK pre;
    POB_POST_OPERATION_CALLBACK post;
    PVOID context;
    PVOID call_context;
} obcb_call;

/* The pairs that match type and operation (malloc'd; *n of them), or NULL. */
static obcb_call *obcb_matching(POBJECT_TYPE type, OB_OPERATION op, size_t *n)
{
    *n = 0;
    pthread_mutex_lock(&obcb_lock);
    size_t cap = 0;
    for (obcb_reg *r = obcb_list; r; r = r->next)
        cap += r->count;
    obcb_call *calls = cap ? calloc(cap, sizeof *calls) : NULL;
    if (calls)
        for (obcb_reg *r = obcb_list; r; r = r->next)
            for (USHORT i = 0; i < r->count; i++)
                if (r->types[i] == type && (r->ops[i].Operations & op))
                    calls[(*n)++] = (obcb_call){r->ops[i].PreOperation, r->ops[i].PostOperation, r->context, NULL};
    pthread_mutex_unlock(&obcb_lock);
    return calls;
}

NTSTATUS mk_ob_insert_with_callbacks(void *body, ACCESS_MASK access, int kernel, HANDLE *out,
                                     NTSTATUS (*insert)(void *body, ACCESS_MASK access, int kernel, HANDLE *out))
{
    POBJECT_TYPE type = mk_ob_type_of(body);
    size_t n = 0;
    obcb_call *calls = NULL;
    if (type == *PsThreadType || type == *PsProcessType)
        calls = obcb_matching(type, OB_OPERATION_HANDLE_CREATE, &n);
    ACCESS_MASK original = access;
    for (size_t i = 0; i < n; i++) {
        if (!calls[i].pre)
            continue;
        OB_PRE_OPERATION_PARAMETERS params;
        memset(&params, 0, sizeof params);
        params.CreateHandleInformation.DesiredAccess = access;
        params.CreateHandleInformation.OriginalDesiredAccess = original;
        OB_PRE_OPERATION_INFORMATION info;
        memset(&info, 0, sizeof info);
        info.Operation = OB_OPERATION_HANDLE_CREATE;
        info.KernelHandle = kernel ? 1 : 0;
        info.Object = body;
        info.ObjectType = type;
        info.Parameters = &params;
        calls[i].pre(calls[i].context, &info);
        access &= params.CreateHandleInformation.DesiredAccess; /* bits can only be cleared */
        calls[i].call_context = info.CallContext;
    }
    NTSTATUS st = insert(body, access, kernel, out);
    ACCESS_MASK granted = access;
    if (NT_SUCCESS(st)) {
        void *b;
        ACCESS_MASK g;
        if (NT_SUCCESS(mk_ob_lookup_handle(*out, NULL, kernel ? KernelMode : UserMode, &b, &g))) {
            granted = g;
            mk_ob_dereference(b);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!calls[i].post)
            continue;
        OB_POST_OPERATION_PARAMETERS params;
        memset(&params, 0, sizeof params);
        params.CreateHandleInformation.GrantedAccess = NT_SUCCESS(st) ? granted : 0;
        OB_POST_OPERATION_INFORMATION info;
        memset(&info, 0, sizeof info);
        info.Operation = OB_OPERATION_HANDLE_CREATE;
        info.KernelHandle = kernel ? 1 : 0;
        info.Object = body;
        info.ObjectType = type;
        info.CallContext = calls[i].call_context;
        info.ReturnStatus = st;
        info.Parameters = &params;
        calls[i].post(calls[i].context, &info);
    }
    free(calls);
    return st;
}

/* A routine of a registration d left behind (and the handle), or NULL. */
PVOID mk_ob_callbacks_of_driver(struct mk_driver *d, PVOID *handle)
{
    PVOID routine = NULL;
    pthread_mutex_lock(&obcb_lock);
    for (obcb_reg *r = obcb_list; r && !routine; r = r->next)
        if (r->driver == d) {
            routine = r->ops[0].PreOperation ? (PVOID)r->ops[0].PreOperation : (PVOID)r->ops[0].PostOperation;
            *handle = r;
        }
    pthread_mutex_unlock(&obcb_lock);
    return routine;
}

/* Shutdown: registrations still there are forgotten. */
void mk_ob_callbacks_reset(void)
{
    pthread_mutex_lock(&obcb_lock);
    obcb_reg *r = obcb_list;
    obcb_list = NULL;
    pthread_mutex_unlock(&obcb_lock);
    while (r) {
        obcb_reg *next = r->next;
        obcb_free(r);
        r = next;
    }
}
