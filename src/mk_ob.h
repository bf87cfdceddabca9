/*
 * mk_ob.h -- the object manager's internal interface (src/ob/): typed,
 * reference-counted objects in the simulated machine's pool with an object
 * header before the body, and the simulated process's handle table.
 *
 * Used by the kernel (events, threads) and the I/O manager (file and device
 * objects). Every object lives in nonpaged pool tagged with its type's tag,
 * so Pool Tracking lists leaked objects.
 */
#ifndef MK_OB_H
#define MK_OB_H

#include "mk_base.h"

typedef struct mk_ob_type_ops {
    const char *name;                              /* "Event", "File", ... */
    void (*close)(void *body, ULONG handle_count); /* a handle was closed; handle_count = handles left */
    void (*destroy)(void *body);                   /* last reference dropped: free what the body holds */
} mk_ob_type_ops;

/* Sets the callbacks of one of the exported type objects (*ExEventObjectType,
 * *IoFileObjectType, ...). ops must stay valid; NULL callbacks are skipped. */
void   mk_ob_type_set_ops(POBJECT_TYPE type, const mk_ob_type_ops *ops);
void  *mk_ob_create(POBJECT_TYPE type, SIZE_T body_size);   /* zeroed body, one reference; NULL when out of memory */
void   mk_ob_reference(void *body);
void   mk_ob_dereference(void *body);                        /* destroy at zero */
LONG   mk_ob_reference_count(void *body);
NTSTATUS mk_ob_insert_handle(void *body, ACCESS_MASK access, KPROCESSOR_MODE mode, HANDLE *out); /* takes its own reference */
/* A driver's handle (ZwCreateEvent, PsCreateSystemThread): a kernel handle
 * (OBJ_KERNEL_HANDLE) is found from every process; any other goes to the
 * table of the process the thread runs in and is found only from it. */
NTSTATUS mk_ob_insert_process_handle(void *body, ACCESS_MASK access, int kernel, HANDLE *out);
/* Object-manager callbacks (src/ob/obcallbk.c): insert runs between the
 * matching pre- and post-operation routines of a process or thread handle. */
NTSTATUS mk_ob_insert_with_callbacks(void *body, ACCESS_MASK access, int kernel, HANDLE *out,
                                     NTSTATUS (*insert)(void *body, ACCESS_MASK access, int kernel, HANDLE *out));
struct mk_driver;
PVOID mk_ob_callbacks_of_driver(struct mk_driver *d, PVOID *handle); /* a routine d left registered, or NULL */
void mk_ob_callbacks_reset(void);
NTSTATUS mk_ob_reference_handle(HANDLE h, POBJECT_TYPE type /* NULL = any */, KPROCESSOR_MODE mode, void **body); /* adds a reference */
NTSTATUS mk_ob_close_handle(HANDLE h, KPROCESSOR_MODE mode);  /* STATUS_INVALID_HANDLE for closed/made-up handles */

/* ---- more of the object manager, for src/ob/, src/ke/, src/ps/ ---- */
POBJECT_TYPE mk_ob_type_of(void *body);        /* NULL if body is no live object */
int mk_ob_is_object(const void *body);
const char *mk_ob_type_name(POBJECT_TYPE type);
ACCESS_MASK mk_ob_map_access(POBJECT_TYPE type, ACCESS_MASK access); /* GENERIC_* mapped */
LONG mk_ob_handle_count_add(void *body, LONG delta);
void mk_ob_handle_closed(void *body, LONG left);
/* Drops a reference without destroying the object: returns 1 when it was
 * the last, and the caller then calls mk_ob_destroy (outside its locks). */
int mk_ob_dereference_keep(void *body);
/* A reference if the object is still alive (count > 0): 1, else 0. */
int mk_ob_try_reference(void *body);
void mk_ob_destroy(void *body);
/* Like mk_ob_reference_handle, with the granted access of the handle. */
NTSTATUS mk_ob_lookup_handle(HANDLE h, POBJECT_TYPE type, KPROCESSOR_MODE mode, void **body, ACCESS_MASK *granted);

/* The process a thread runs in. Every thread runs in the System process
 * (DriverEntry, system threads, work items, DPCs, the test's own calls)
 * except while it carries a request of the simulated user process: the
 * harness's user-mode API (mdlkit_open, mdlkit_ioctl/read/write, their
 * async forms, mdlkit_close; src/io/userio.c) enters it around the call to
 * the driver and the creation of the caller's handles. Nests; the enter
 * returns the value to give back to the leave. Read by
 * ObReferenceObjectByHandle for Miscellaneous Checks' 0xC4/0xF6. The state
 * is mk_self.user_process; a caught bug check restores it. */
static inline int mk_ob_enter_user_process(void) { return mk_self.user_process++; }
static inline void mk_ob_leave_user_process(int old) { mk_self.user_process = old; }

#endif /* MK_OB_H */
