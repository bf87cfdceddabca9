/*
 * mk_hooks.h -- the table through which the layers publish what happens to
 * whoever observes them: the verifier (src/verifier/, set at mdlkit_init)
 * and the port layers' own rules (src/port/, set when a port layer starts).
 *
 * The table lives in the lowest layer (src/machine/hooks.c) so that every
 * layer can publish through it without naming a routine above itself;
 * an entry no observer set is NULL and its event is ignored. The inline
 * wrappers that call these entries are in src/mk_machine.h (page faults)
 * and src/mk_verifier.h (everything else): a lower layer includes one of
 * those, never a header of src/verifier/.
 */
#ifndef MK_HOOKS_H
#define MK_HOOKS_H

#include "mk_base.h"

struct mk_driver;
struct mk_pool_block;

/* The wrappers are always inlined, at -O0 too: a hook adds no frame
 * between a DDI and the verifier, whose stack walk looks for the DDI's
 * caller a bounded number of frames up (MK_VF_SEEK). */
#define MK_HOOK_INLINE static inline __attribute__((always_inline))

typedef struct mk_hooks {
    /* ---- machine (src/machine/fault.c) ---- */
    /* A fault in a system region: 1 if handled (the access is retried), 0
     * to let the machine report it. `region` is an enum mk_region. */
    int (*page_fault)(void *addr, int write, void *pc, int region);
    /* A fault on the null page (below 64 KiB) outside the machine, before
     * the machine reports it (STATUS_ACCESS_VIOLATION, 0x1E, 0xD1): sp and
     * fp are the stack and frame pointers of the interrupted code. The
     * observer may report first (it may bug check). */
    void (*null_fault)(const void *addr, int write, void *pc, const void *sp, const void *fp);

    /* ---- kernel (src/ke/) ---- */
    void (*bugcheck)(const mdlkit_bugcheck *bc, int caught); /* report recorded, before abort/unwind */
    void (*raise_to_dispatch)(void);                        /* below DISPATCH_LEVEL -> at or above */

    /* ---- memory manager and I/O manager: pool and cached blocks ---- */
    int (*pool_alloc)(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                      void **out);
    void (*pool_allocated)(int heap, void *p, size_t bytes, ULONG tag, void *caller);
    int (*pool_free)(void *p, ULONG tag, int check_tag, void *caller);
    void *(*pool_allocated_fast)(void *p, size_t bytes, ULONG tag, void *caller);
    void (*pool_freed_fast)(void *p, void *caller);
    int (*specpool_lookup)(const void *p, struct mk_pool_block *out);
    int (*specpool_page_is_paged)(const void *p);
    void (*cached_alloc)(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame);
    int (*cached_free)(void *p, ULONG tag);

    /* ---- every layer: low resources, tracking, driver unload ---- */
    bool (*fail)(int site, ULONG tag, void *caller);
    void (*track)(int kind, const void *addr, size_t size, ULONG tag, const void *aux);
    void (*untrack)(int kind, const void *addr);
    void (*untrack_leak)(int kind, const void *addr);
    void (*driver_unload)(struct mk_driver *d);
    /* Code integrity (0x2000000), security checks (0x100) and the lint
     * category: the observer decides and raises (src/verifier/codeint.c,
     * security.c, lint.c). */
    void (*codeint)(ULONG subcode, ULONG_PTR p3, ULONG_PTR p4, void *caller);
    void (*zw_user_address)(const char *routine, const void *addr, void *caller);
    void (*lint)(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4, void *caller);
    int (*lint_mdl_prepared)(const void *mdl, int mark); /* mark 1: prepared; 0: was it? (forgets it) */
    int (*lint_family)(const void *p, int family);       /* family > 0: note; 0: take the note (0 if none) */
    /* A DDI whose NULL result its caller has no failure path for returned
     * `result` to `site`, whose frame pointer is `frame` (lint on only). */
    void (*lint_result)(ULONG rule, const void *obj, const void *result, void *site, const void *frame);

    /* ---- set by the port layer (src/port/portcommon.c) ---- */
    /* A WDM DDI that HwStorPortProhibitedDDIs lists was called while driver
     * code runs (mk_self.driver set): the port layer decides whether that
     * driver is a miniport the rule covers. */
    void (*prohibited_ddi)(const char *ddi);
    /* A driver is being unloaded (mdlkit_driver_unload): before its
     * DriverUnload (stop/halt its adapters) and after it (drop what is
     * left of its registration). */
    void (*driver_unloading)(struct mk_driver *d);
    void (*driver_unloaded)(struct mk_driver *d);
} mk_hooks;

/* src/machine/hooks.c; hidden (not exported from libmdlkit), so a hook
 * costs one load of the entry, no indirection through the GOT. */
extern mk_hooks mk_hook __attribute__((visibility("hidden")));

/* Called at the top of every WDM DDI the HwStorPortProhibitedDDIs rule
 * lists. One TLS load when no driver code runs. */
MK_HOOK_INLINE void mk_ddi_prohibited_check(const char *ddi)
{
    if (MK_UNLIKELY(mk_self.driver != NULL) && mk_hook.prohibited_ddi)
        mk_hook.prohibited_ddi(ddi);
}

/* The machine's fault handler, for a fault on the null page. */
MK_HOOK_INLINE void mk_null_fault_notify(const void *addr, int write, void *pc, const void *sp, const void *fp)
{
    if (mk_hook.null_fault)
        mk_hook.null_fault(addr, write, pc, sp, fp);
}

/* The I/O manager tells the port layer about a driver unload. */
MK_HOOK_INLINE void mk_driver_unloading_notify(struct mk_driver *d)
{
    if (mk_hook.driver_unloading)
        mk_hook.driver_unloading(d);
}
MK_HOOK_INLINE void mk_driver_unloaded_notify(struct mk_driver *d)
{
    if (mk_hook.driver_unloaded)
        mk_hook.driver_unloaded(d);
}

#endif /* MK_HOOKS_H */
