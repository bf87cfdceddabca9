/*
 * obhandle.c -- the handle table of the one simulated process:
 * mk_ob_insert_handle / mk_ob_reference_handle / mk_ob_close_handle,
 * ObReferenceObjectByHandle(WithTag), ObOpenObjectByPointer, ZwClose, NtClose.
 *
 * Handles are kernel-style values: multiples of 4, never NULL. A handle made
 * for KernelMode (OBJ_KERNEL_HANDLE) has the high bits set
 * (0xFFFFFFFF80000000 | index * 4) and is invisible to UserMode callers; a
 * UserMode handle is index * 4. One table, guarded by a mutex; a closed
 * slot is reused only after every other free slot (FIFO), so a stale handle
 * stays invalid for as long as possible.
 *
 * Misuse (docs/ddi-notes.md, "Objects and handles"):
 *  - a closed or made-up handle: STATUS_INVALID_HANDLE (ObReferenceObjectByHandle,
 *    NtClose); ZwClose of one (a kernel-mode close): 0x93 INVALID_KERNEL_HANDLE
 *    (handle, 1, 0, 0);
 *  - the wrong type: STATUS_OBJECT_TYPE_MISMATCH; for UserMode, access not
 *    granted by the handle: STATUS_ACCESS_DENIED;
 *  - Miscellaneous Checks (0x800, Windows 7 and later): ObReferenceObjectByHandle
 *    with AccessMode KernelMode of a handle that is not a kernel handle
 *    (no OBJ_KERNEL_HANDLE) while the thread runs in the simulated user
 *    process (mk_self.user_process, mk_ob.h: a user-mode request) is 0xC4/0xF6
 *    (handle, current process, caller). In the System process (DriverEntry,
 *    system threads, work items) such a handle is the System process's own
 *    and KernelMode is right;
 *  - a driver's handle made without OBJ_KERNEL_HANDLE (ZwCreateEvent,
 *    PsCreateSystemThread) is in the table of the process it was made in
 *    (mk_ob_insert_process_handle): from the other process it is not found
 *    (STATUS_INVALID_HANDLE; ZwClose of it: 0x93). The harness's handles
 *    and kernel handles are found from both;
 *  - ObReferenceObjectByHandle above APC_LEVEL (its documented limit):
 *    0xC4 IrqlObPassive (0x2001B) under DDI compliance, else 0xA;
 *    ZwClose / NtClose at IRQL != PASSIVE_LEVEL: 0xC4 IrqlZwPassive
 *    (0x2001F) under DDI compliance, else 0xA.
 */
#include "mk_machine.h"
#include "mk_ke.h"
#include "mk_ob.h"

#include <stdlib.h>
#include <string.h>

#define INVALID_KERNEL_HANDLE_CODE 0x93
#define OB_KERNEL_BIT ((ULONG_PTR)0xFFFFFFFF80000000ull)
#define OB_MAX_HANDLES (1u << 24)

typedef struct ob_entry {
    void *body;            /* NULL: free */
    ACCESS_MASK access;
    uint8_t kernel;
    uint8_t owner;         /* OB_ANY, or the process whose table holds it */
    uint32_t next_free;    /* index + 1 of the next free slot, 0 = none */
} ob_entry;

/* Whose table a handle is in. A driver's handle made without
 * OBJ_KERNEL_HANDLE (ZwCreateEvent, PsCreateSystemThread) is in the table
 * of the process its thread runs in (mk_self.user_process): found only from
 * that process, as on Windows, where the other process's table does not
 * have it. Kernel handles and the harness's own handles (the test plays
 * the application and the kernel at once) are found from both. */
enum { OB_ANY = 0, OB_SYSTEM = 1, OB_USER = 2 };
static uint8_t ob_current_process(void) { return mk_self.user_process > 0 ? OB_USER : OB_SYSTEM; }

static pthread_mutex_t ob_lock = PTHREAD_MUTEX_INITIALIZER;
static ob_entry *ob_table;
static uint32_t ob_cap, ob_used;    /* slots allocated, slots ever handed out */
static uint32_t ob_free_head, ob_free_tail; /* index + 1 */

static HANDLE ob_make(uint32_t idx, int kernel)
{
    ULONG_PTR v = ((ULONG_PTR)idx + 1) * 4;
    return (HANDLE)(kernel ? (v | OB_KERNEL_BIT) : v);
}

/* Index of a handle value, or -1 when it cannot be one. */
static long ob_index(HANDLE h, int *kernel)
{
    ULONG_PTR v = (ULONG_PTR)h;
    *kernel = (v & OB_KERNEL_BIT) == OB_KERNEL_BIT;
    if (*kernel)
        v &= ~OB_KERNEL_BIT;
    if (v == 0 || (v & 3) || v / 4 > OB_MAX_HANDLES)
        return -1;
    return (long)(v / 4 - 1);
}

static NTSTATUS ob_insert(void *body, ACCESS_MASK access, KPROCESSOR_MODE mode, uint8_t owner, HANDLE *out);

NTSTATUS mk_ob_insert_handle(void *body, ACCESS_MASK access, KPROCESSOR_MODE mode, HANDLE *out)
{
    return ob_insert(body, access, mode, OB_ANY, out);
}

static NTSTATUS ob_insert_process(void *body, ACCESS_MASK access, int kernel, HANDLE *out)
{
    return ob_insert(body, access, kernel ? KernelMode : UserMode, kernel ? OB_ANY : ob_current_process(), out);
}

/* A driver's handle: a process or thread handle goes through the
 * registered object-manager callbacks (src/ob/obcallbk.c). */
NTSTATUS mk_ob_insert_process_handle(void *body, ACCESS_MASK access, int kernel, HANDLE *out)
{
    return mk_ob_insert_with_callbacks(body, access, kernel, out, ob_insert_process);
}

static NTSTATUS ob_insert(void *body, ACCESS_MASK access, KPROCESSOR_MODE mode, uint8_t owner, HANDLE *out)
{
    if (!mk_ob_is_object(body))
        return STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&ob_lock);
    uint32_t idx;
    if (ob_free_head) {
        idx = ob_free_head - 1;
        ob_free_head = ob_table[idx].next_free;
        if (!ob_free_head)
            ob_free_tail = 0;
    } else {
        if (ob_used == ob_cap) {
            uint32_t ncap = ob_cap ? ob_cap * 2 : 64;
            if (ncap > OB_MAX_HANDLES) {
                pthread_mutex_unlock(&ob_lock);
                return STATUS_INSUFFICIENT_RESOURCES;
            }
            ob_entry *n = realloc(ob_table, ncap * sizeof *n);
            if (!n) {
                pthread_mutex_unlock(&ob_lock);
                return STATUS_INSUFFICIENT_RESOURCES;
            }
            memset(n + ob_cap, 0, (ncap - ob_cap) * sizeof *n);
            ob_table = n;
            ob_cap = ncap;
        }
        idx = ob_used++;
    }
    ob_entry *e = &ob_table[idx];
    e->body = body;
    e->access = mk_ob_map_access(mk_ob_type_of(body), access);
    e->kernel = mode == KernelMode;
    e->owner = owner;
    e->next_free = 0;
    mk_ob_reference(body);
    mk_ob_handle_count_add(body, 1);
    pthread_mutex_unlock(&ob_lock);
    *out = ob_make(idx, mode == KernelMode);
    return STATUS_SUCCESS;
}

/* Under ob_lock: the entry of h, or NULL (any_process: whatever table). */
static ob_entry *ob_find_in(HANDLE h, KPROCESSOR_MODE mode, int any_process)
{
    int kernel;
    long idx = ob_index(h, &kernel);
    if (idx < 0 || (uint32_t)idx >= ob_used)
        return NULL;
    ob_entry *e = &ob_table[idx];
    if (!e->body || e->kernel != kernel)
        return NULL;
    if (kernel && mode != KernelMode)
        return NULL;
    if (!any_process && e->owner != OB_ANY && e->owner != ob_current_process())
        return NULL; /* another process's table */
    return e;
}
static ob_entry *ob_find(HANDLE h, KPROCESSOR_MODE mode) { return ob_find_in(h, mode, 0); }

NTSTATUS mk_ob_lookup_handle(HANDLE h, POBJECT_TYPE type, KPROCESSOR_MODE mode, void **body, ACCESS_MASK *granted)
{
    pthread_mutex_lock(&ob_lock);
    ob_entry *e = ob_find(h, mode);
    if (!e) {
        pthread_mutex_unlock(&ob_lock);
        return STATUS_INVALID_HANDLE;
    }
    if (type && mk_ob_type_of(e->body) != type) {
        pthread_mutex_unlock(&ob_lock);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    mk_ob_reference(e->body);
    *body = e->body;
    if (granted)
        *granted = e->access;
    pthread_mutex_unlock(&ob_lock);
    return STATUS_SUCCESS;
}

NTSTATUS mk_ob_reference_handle(HANDLE h, POBJECT_TYPE type, KPROCESSOR_MODE mode, void **body)
{
    return mk_ob_lookup_handle(h, type, mode, body, NULL);
}

static NTSTATUS ob_close(HANDLE h, KPROCESSOR_MODE mode, int any_process);
NTSTATUS mk_ob_close_handle(HANDLE h, KPROCESSOR_MODE mode) { return ob_close(h, mode, 0); }

static NTSTATUS ob_close(HANDLE h, KPROCESSOR_MODE mode, int any_process)
{
    pthread_mutex_lock(&ob_lock);
    ob_entry *e = ob_find_in(h, mode, any_process);
    if (!e) {
        pthread_mutex_unlock(&ob_lock);
        return STATUS_INVALID_HANDLE;
    }
    void *body = e->body;
    uint32_t idx = (uint32_t)(e - ob_table);
    e->body = NULL;
    e->access = 0;
    e->next_free = 0;
    if (ob_free_tail)
        ob_table[ob_free_tail - 1].next_free = idx + 1;
    else
        ob_free_head = idx + 1;
    ob_free_tail = idx + 1;
    LONG left = mk_ob_handle_count_add(body, -1);
    pthread_mutex_unlock(&ob_lock);
    mk_ob_handle_closed(body, left);
    mk_ob_dereference(body);
    return STATUS_SUCCESS;
}

static NTSTATUS ob_by_handle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                             KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION info,
                             void *caller)
{
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_OB_PASSIVE, "ObReferenceObjectByHandle must be called at IRQL <= APC_LEVEL",
                             Handle, caller);
    *Object = NULL;
    /* NtCurrentThread(): the calling thread */
    if ((LONG_PTR)Handle == -2 && (!ObjectType || ObjectType == *PsThreadType)) {
        PKTHREAD t = mk_ke_current();
        if (!t->host_memory) {
            mk_ob_reference(t);
            *Object = t;
            if (info) {
                info->HandleAttributes = 0;
                info->GrantedAccess = THREAD_ALL_ACCESS;
            }
            return STATUS_SUCCESS;
        }
    }
    /* Miscellaneous Checks: a user process's handle referenced as kernel mode */
    if (AccessMode == KernelMode && MK_UNLIKELY(mk_self.user_process > 0) &&
        mk_verifier_on(MDLKIT_VERIFY_MISC_CHECKS) && mk_os_at_least(NTDDI_WIN7) &&
        ((ULONG_PTR)Handle & OB_KERNEL_BIT) != OB_KERNEL_BIT && (LONG_PTR)Handle != -1 && (LONG_PTR)Handle != -2) {
        char where[256];
        mk_symbolize(caller, where, sizeof where);
        mk_bugcheck_note("miscellaneous checks: %s references the user-mode handle %p with AccessMode KernelMode in "
                         "the user process's context (pass UserMode for a handle from user mode; create the "
                         "driver's own handles with OBJ_KERNEL_HANDLE)",
                         where, Handle);
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xF6, (ULONG_PTR)Handle, (ULONG_PTR)PsGetCurrentProcess(),
                    (ULONG_PTR)caller);
    }
    void *body;
    ACCESS_MASK granted;
    NTSTATUS st = mk_ob_lookup_handle(Handle, ObjectType, AccessMode, &body, &granted);
    if (!NT_SUCCESS(st))
        return st;
    if (AccessMode == UserMode) {
        ACCESS_MASK want = mk_ob_map_access(mk_ob_type_of(body), DesiredAccess);
        if ((want & ~granted) != 0) {
            mk_ob_dereference(body);
            return STATUS_ACCESS_DENIED;
        }
    }
    if (info) {
        info->HandleAttributes = 0;
        info->GrantedAccess = granted;
    }
    *Object = body;
    return STATUS_SUCCESS;
}

NTSTATUS (ObReferenceObjectByHandle)(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation)
{
    MK_ENTER("ObReferenceObjectByHandle");
    return ob_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object, HandleInformation,
                        __builtin_return_address(0));
}

NTSTATUS (ObReferenceObjectByHandleWithTag)(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                          KPROCESSOR_MODE AccessMode, ULONG Tag, PVOID *Object,
                                          POBJECT_HANDLE_INFORMATION HandleInformation)
{
    MK_ENTER("ObReferenceObjectByHandleWithTag");
    (void)Tag;
    return ob_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object, HandleInformation,
                        __builtin_return_address(0));
}

static void ob_close_irql(HANDLE h, void *caller, const char *why)
{
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_ZW_PASSIVE, why, h, caller);
}

/* ObOpenObjectByPointer: a handle to an object the caller holds a pointer
 * to. The object is checked as ObReferenceObjectByPointer checks it (0x18
 * for a pointer that is no object, STATUS_OBJECT_TYPE_MISMATCH); the
 * handle is a driver's handle (mk_ob_insert_process_handle: a kernel handle
 * with OBJ_KERNEL_HANDLE, else in the current process's table; process and
 * thread handles go through the object-manager callbacks). mdlkit has no
 * ACCESS_STATE (nothing creates one), so PassedAccessState must be NULL
 * (else STATUS_INVALID_PARAMETER); there are no security descriptors, so
 * DesiredAccess is granted (GENERIC_* mapped). PASSIVE_LEVEL. */
NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE PassedAccessState,
                               ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                               PHANDLE Handle)
{
    MK_ENTER("ObOpenObjectByPointer");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, ObOpenObjectByPointer);
    MK_OBJ_FAULT(Handle);
    (void)AccessMode;
    *Handle = NULL;
    if (PassedAccessState)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = ObReferenceObjectByPointer(Object, DesiredAccess, ObjectType, KernelMode);
    if (!NT_SUCCESS(st))
        return st;
    HANDLE h;
    st = mk_ob_insert_process_handle(Object, DesiredAccess, (HandleAttributes & OBJ_KERNEL_HANDLE) != 0, &h);
    ObDereferenceObject(Object);
    if (NT_SUCCESS(st))
        *Handle = h;
    return st;
}

NTSTATUS ZwClose(HANDLE Handle)
{
    MK_ENTER("ZwClose");
    ob_close_irql(Handle, __builtin_return_address(0), "ZwClose should only be called at IRQL = PASSIVE_LEVEL");
    NTSTATUS st = mk_ob_close_handle(Handle, KernelMode);
    if (st == STATUS_INVALID_HANDLE)
        mk_bugcheck(INVALID_KERNEL_HANDLE_CODE, (ULONG_PTR)Handle, 1, 0, 0);
    return st;
}

NTSTATUS NtClose(HANDLE Handle)
{
    MK_ENTER("NtClose");
    ob_close_irql(Handle, __builtin_return_address(0), "NtClose should only be called at IRQL = PASSIVE_LEVEL");
    return mk_ob_close_handle(Handle, KernelMode);
}

/* Shutdown: handles still open are closed (their objects may be leaks the
 * verifier already reported); the table is freed. */
void mk_ob_shutdown(void)
{
    for (;;) {
        void *body = NULL;
        HANDLE h = NULL;
        pthread_mutex_lock(&ob_lock);
        for (uint32_t i = 0; i < ob_used; i++) {
            if (ob_table[i].body) {
                body = ob_table[i].body;
                h = ob_make(i, ob_table[i].kernel);
                break;
            }
        }
        pthread_mutex_unlock(&ob_lock);
        if (!body)
            break;
        ob_close(h, KernelMode, 1);
    }
    mk_ob_callbacks_reset();
    pthread_mutex_lock(&ob_lock);
    free(ob_table);
    ob_table = NULL;
    ob_cap = ob_used = 0;
    ob_free_head = ob_free_tail = 0;
    pthread_mutex_unlock(&ob_lock);
}
