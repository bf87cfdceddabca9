/*
 * obref.c -- the object manager's objects: the exported type objects
 * (ExEventObjectType, ExSemaphoreObjectType, PsThreadType, PsProcessType,
 * IoFileObjectType, IoDeviceObjectType), object creation with an object
 * header in front of the body (nonpaged pool, tagged with the type's tag so
 * Pool Tracking lists leaked objects), reference counts:
 * ObfReferenceObject, ObfDereferenceObject (and the WithTag forms),
 * ObReferenceObjectByPointer, ObGetObjectType, ObDereferenceObjectDeferDelete.
 *
 * Misuse (docs/ddi-notes.md, "Objects and handles"):
 *  - a reference count taken below zero, or a reference on an object that
 *    is not one (or no longer is one): 0x18 REFERENCE_BY_POINTER (object
 *    type, object, handle count, pointer count);
 *  - ObfDereferenceObject at IRQL > DISPATCH_LEVEL, the others at the same
 *    limit: 0xA IRQL_NOT_LESS_OR_EQUAL (object, IRQL, 0, caller).
 */
#include "mk_ke.h"
#include "mk_ob.h"
#include "mk_pool.h"

#include <string.h>

#define OB_MAGIC 0x6a624f4bU /* "KObj" */
#define OB_DEAD 0x64616544U  /* "Dead" */
#define REFERENCE_BY_POINTER_CODE 0x18

struct _OBJECT_TYPE {
    const char *name;
    ULONG tag;
    GENERIC_MAPPING mapping;
    ACCESS_MASK valid;
    const mk_ob_type_ops *ops;
};

/* The object header: 0x30 bytes in front of the body, as on x64 Windows. */
typedef struct mk_ob_header {
    _Atomic LONG_PTR refs;
    _Atomic LONG_PTR handles;
    POBJECT_TYPE type;
    uint32_t magic;
    uint32_t flags;
    void *reserved[2];
} mk_ob_header;
_Static_assert(sizeof(mk_ob_header) == 0x30, "object header size");

#define OB_TYPE(var, nm, tg, r, w, x, v)                                                   \
    static struct _OBJECT_TYPE var##_obj = {nm, tg, {r, w, x, v}, v, NULL}; \
    static POBJECT_TYPE var##_ptr = &var##_obj;

OB_TYPE(ob_event, "Event", 'nevE', STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
        STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE, STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, EVENT_ALL_ACCESS)
OB_TYPE(ob_semaphore, "Semaphore", 'ameS', STANDARD_RIGHTS_READ | SEMAPHORE_QUERY_STATE,
        STANDARD_RIGHTS_WRITE | SEMAPHORE_MODIFY_STATE, STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, SEMAPHORE_ALL_ACCESS)
OB_TYPE(ob_thread, "Thread", 'erhT', STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
        STANDARD_RIGHTS_WRITE | THREAD_TERMINATE | THREAD_SUSPEND_RESUME | THREAD_ALERT | THREAD_SET_CONTEXT |
            THREAD_SET_INFORMATION,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | THREAD_QUERY_LIMITED_INFORMATION, THREAD_ALL_ACCESS)
OB_TYPE(ob_process, "Process", 'corP', STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
        STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS | PROCESS_CREATE_THREAD | PROCESS_VM_OPERATION |
            PROCESS_VM_WRITE | PROCESS_DUP_HANDLE | PROCESS_TERMINATE | PROCESS_SET_QUOTA |
            PROCESS_SET_INFORMATION | PROCESS_SUSPEND_RESUME,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_ALL_ACCESS)
OB_TYPE(ob_file, "File", 'eliF', STANDARD_RIGHTS_READ | 0x0089 /* FILE_GENERIC_READ bits */,
        STANDARD_RIGHTS_WRITE | 0x0116 /* FILE_GENERIC_WRITE bits */, STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | 0x00A0,
        STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF /* FILE_ALL_ACCESS */)
OB_TYPE(ob_device, "Device", 'iveD', STANDARD_RIGHTS_READ | 0x0089, STANDARD_RIGHTS_WRITE | 0x0116,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | 0x00A0, STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF)

POBJECT_TYPE *ExEventObjectType = &ob_event_ptr;
POBJECT_TYPE *ExSemaphoreObjectType = &ob_semaphore_ptr;
POBJECT_TYPE *PsThreadType = &ob_thread_ptr;
POBJECT_TYPE *PsProcessType = &ob_process_ptr;
POBJECT_TYPE *IoFileObjectType = &ob_file_ptr;
POBJECT_TYPE *IoDeviceObjectType = &ob_device_ptr;

void mk_ob_type_set_ops(POBJECT_TYPE type, const mk_ob_type_ops *ops) { type->ops = ops; }

const char *mk_ob_type_name(POBJECT_TYPE type);
const char *mk_ob_type_name(POBJECT_TYPE type) { return type ? type->name : "(none)"; }

/* Maps GENERIC_* bits of `access` through the type's mapping. */
ACCESS_MASK mk_ob_map_access(POBJECT_TYPE type, ACCESS_MASK access);
ACCESS_MASK mk_ob_map_access(POBJECT_TYPE type, ACCESS_MASK access)
{
    ACCESS_MASK m = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
    if (access & GENERIC_READ)
        m |= type->mapping.GenericRead;
    if (access & GENERIC_WRITE)
        m |= type->mapping.GenericWrite;
    if (access & GENERIC_EXECUTE)
        m |= type->mapping.GenericExecute;
    if (access & (GENERIC_ALL | MAXIMUM_ALLOWED))
        m |= type->mapping.GenericAll;
    return m;
}

static inline mk_ob_header *ob_header(const void *body) { return (mk_ob_header *)body - 1; }

/* In pool: non-paged or paged, or special pool (the verifier's option 0x1
 * serves object allocations too). */
static inline int ob_in_pool(const void *p) { return mk_pool_kind_of(p) >= 0 || mk_va_region(p) == MK_RGN_SPECIAL; }

/* The header of a live object, or NULL. */
static mk_ob_header *ob_live(const void *body)
{
    if (!body || ((uintptr_t)body & 7))
        return NULL;
    if (!ob_in_pool(body))
        return NULL;
    mk_ob_header *h = ob_header(body);
    if (!ob_in_pool(h) || h->magic != OB_MAGIC)
        return NULL;
    return h;
}

static MK_NORETURN MK_NOINLINE void ob_bad_reference(const void *body)
{
    mk_ob_header *h = NULL;
    if (body && ob_in_pool(body) && ob_in_pool((const char *)body - sizeof(mk_ob_header)))
        h = ob_header(body);
    mk_bugcheck(REFERENCE_BY_POINTER_CODE, h && h->magic == OB_MAGIC ? (ULONG_PTR)h->type : 0, (ULONG_PTR)body,
                h ? (ULONG_PTR)atomic_load(&h->handles) : 0, h ? (ULONG_PTR)atomic_load(&h->refs) : 0);
}

void *mk_ob_create(POBJECT_TYPE type, SIZE_T body_size)
{
    mk_ob_header *h = mk_pool_alloc(MK_HEAP_NONPAGED_NX, sizeof(mk_ob_header) + body_size, type->tag,
                                    MK_POOL_ZERO | MK_POOL_INTERNAL, 0, __builtin_return_address(0));
    if (!h)
        return NULL;
    memset(h, 0, sizeof *h + body_size);
    atomic_store(&h->refs, 1);
    atomic_store(&h->handles, 0);
    h->type = type;
    h->magic = OB_MAGIC;
    return h + 1;
}

POBJECT_TYPE mk_ob_type_of(void *body);
POBJECT_TYPE mk_ob_type_of(void *body)
{
    mk_ob_header *h = ob_live(body);
    return h ? h->type : NULL;
}

int mk_ob_is_object(const void *body);
int mk_ob_is_object(const void *body) { return ob_live(body) != NULL; }

void mk_ob_reference(void *body)
{
    mk_ob_header *h = ob_live(body);
    if (!h || atomic_load(&h->refs) <= 0)
        ob_bad_reference(body);
    atomic_fetch_add(&h->refs, 1);
}

static void ob_destroy(mk_ob_header *h)
{
    POBJECT_TYPE type = h->type;
    if (type->ops && type->ops->destroy)
        type->ops->destroy(h + 1);
    h->magic = OB_DEAD;
    mk_pool_free(h, type->tag, 0, __builtin_return_address(0));
}

/* Drops one reference; the last one destroys the object. Returns the count
 * left. */
static LONG_PTR ob_release(void *body)
{
    mk_ob_header *h = ob_live(body);
    if (!h)
        ob_bad_reference(body);
    LONG_PTR old = atomic_fetch_sub(&h->refs, 1);
    if (old <= 0) {
        atomic_fetch_add(&h->refs, 1);
        ob_bad_reference(body);
    }
    if (old == 1)
        ob_destroy(h);
    return old - 1;
}

void mk_ob_dereference(void *body) { (void)ob_release(body); }

int mk_ob_try_reference(void *body)
{
    mk_ob_header *h = ob_live(body);
    if (!h)
        return 0;
    LONG_PTR n = atomic_load(&h->refs);
    while (n > 0)
        if (atomic_compare_exchange_weak(&h->refs, &n, n + 1))
            return 1;
    return 0;
}

int mk_ob_dereference_keep(void *body)
{
    mk_ob_header *h = ob_live(body);
    if (!h)
        ob_bad_reference(body);
    LONG_PTR old = atomic_fetch_sub(&h->refs, 1);
    if (old <= 0) {
        atomic_fetch_add(&h->refs, 1);
        ob_bad_reference(body);
    }
    return old == 1;
}

void mk_ob_destroy(void *body) { ob_destroy(ob_header(body)); }

LONG mk_ob_reference_count(void *body)
{
    mk_ob_header *h = ob_live(body);
    return h ? (LONG)atomic_load(&h->refs) : 0;
}

/* Handle counts, kept by obhandle.c (returns the count after the change). */
LONG mk_ob_handle_count_add(void *body, LONG delta);
LONG mk_ob_handle_count_add(void *body, LONG delta)
{
    mk_ob_header *h = ob_header(body);
    return (LONG)(atomic_fetch_add(&h->handles, delta) + delta);
}

void mk_ob_handle_closed(void *body, LONG left);
void mk_ob_handle_closed(void *body, LONG left)
{
    mk_ob_header *h = ob_header(body);
    if (h->type->ops && h->type->ops->close)
        h->type->ops->close(body, (ULONG)left);
}

static inline void ob_check_irql(const void *obj, void *caller)
{
    mk_thread_attach();
    if (MK_UNLIKELY(mk_self.irql > DISPATCH_LEVEL))
        mk_ke_irql_violation(0, NULL, obj, caller);
}

/* The reference counting behind the Obf* routines; caller: the driver's
 * return address, for the IRQL report. */
static LONG_PTR ob_reference(PVOID Object, void *caller)
{
    ob_check_irql(Object, caller);
    mk_ob_header *h = ob_live(Object);
    if (!h || atomic_load(&h->refs) <= 0)
        ob_bad_reference(Object);
    return atomic_fetch_add(&h->refs, 1) + 1;
}

static LONG_PTR ob_dereference(PVOID Object, void *caller)
{
    ob_check_irql(Object, caller);
    return ob_release(Object);
}

LONG_PTR ObfReferenceObject(PVOID Object)
{
    MK_ENTER("ObfReferenceObject");
    return ob_reference(Object, __builtin_return_address(0));
}

LONG_PTR ObfDereferenceObject(PVOID Object)
{
    MK_ENTER("ObfDereferenceObject");
    return ob_dereference(Object, __builtin_return_address(0));
}

LONG_PTR ObfReferenceObjectWithTag(PVOID Object, ULONG Tag)
{
    MK_ENTER("ObfReferenceObjectWithTag");
    (void)Tag;
    return ob_reference(Object, __builtin_return_address(0));
}

LONG_PTR ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag)
{
    MK_ENTER("ObfDereferenceObjectWithTag");
    (void)Tag;
    return ob_dereference(Object, __builtin_return_address(0));
}

void ObDereferenceObjectDeferDelete(PVOID Object)
{
    MK_ENTER("ObDereferenceObjectDeferDelete");
    (void)ob_dereference(Object, __builtin_return_address(0));
}

NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                    KPROCESSOR_MODE AccessMode)
{
    MK_ENTER("ObReferenceObjectByPointer");
    (void)DesiredAccess;
    (void)AccessMode;
    ob_check_irql(Object, __builtin_return_address(0));
    mk_ob_header *h = ob_live(Object);
    if (!h || atomic_load(&h->refs) <= 0)
        ob_bad_reference(Object);
    if (ObjectType && h->type != ObjectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    atomic_fetch_add(&h->refs, 1);
    return STATUS_SUCCESS;
}

POBJECT_TYPE ObGetObjectType(PVOID Object)
{
    MK_ENTER("ObGetObjectType");
    mk_ob_header *h = ob_live(Object);
    if (!h)
        ob_bad_reference(Object);
    return h->type;
}
