/*
 * model.c -- predictions of the reference model (see model.h and
 * docs/reliability.md). Every prediction is a documented outcome
 * (ddi-facts.md, docs/ddi-notes.md); nothing here looks at mdlkit's
 * internal state, only at what the fuzzer did so far (and, for Force IRQL
 * Checking, at the frames public DDIs report: MmGetPhysicalAddress, the
 * MDLs' PFN arrays).
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_reset(model *m, ULONG verifier)
{
    memset(m, 0, sizeof *m);
    m->verifier = verifier;
    for (int i = 0; i < MODEL_MDLS; i++)
        m->mdl[i].parent = -1;
    for (int i = 0; i < MODEL_STOR_MDLS; i++)
        m->stor_mdl_buf[i] = -1;
}

/* Is frame pfn locked by one of the model's locked MDLs? (By frame, not by
 * buffer: nothing here assumes which pool -- special or normal -- a block
 * lives in, or that two blocks never share a page.) */
static int model_frame_locked(const model *m, PFN_NUMBER pfn)
{
    for (int i = 0; i < MODEL_MDLS; i++) {
        const model_mdl *d = &m->mdl[i];
        if (d->state != MS_LOCKED)
            continue;
        const PFN_NUMBER *pfns = MmGetMdlPfnArray(d->mdl);
        size_t n = ADDRESS_AND_SIZE_TO_SPAN_PAGES(m->buf[d->buf].va + d->off, d->len);
        for (size_t k = 0; k < n; k++)
            if (pfns[k] == pfn)
                return 1;
    }
    return 0;
}

void model_set_irql(model *m, KIRQL to)
{
    int raise = m->irql < DISPATCH_LEVEL && to >= DISPATCH_LEVEL;
    m->irql = to;
    if (!raise || !(m->verifier & MDLKIT_VERIFY_FORCE_IRQL_CHECKING))
        return;
    /* Every page of paged pool is trimmed unless an MDL locks its frame (a
     * locked page is resident: the probe faulted it in, and trims skip it),
     * so the pages a buffer keeps are exactly the locked ones. Nothing
     * pages them in before the IRQL drops below DISPATCH_LEVEL. */
    for (int i = 0; i < MODEL_BUFS; i++) {
        model_buf *b = &m->buf[i];
        b->trimmed = 0;
        if (b->kind != BUF_POOL || !b->paged)
            continue;
        size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(b->va, b->len);
        for (size_t k = 0; k < pages; k++) {
            PHYSICAL_ADDRESS pa = MmGetPhysicalAddress((unsigned char *)PAGE_ALIGN(b->va) + k * PAGE_SIZE);
            if (!model_frame_locked(m, (PFN_NUMBER)(pa.QuadPart >> PAGE_SHIFT)))
                b->trimmed |= 1u << k;
        }
    }
}

size_t model_first_trimmed(const model *m, const model_buf *b, size_t off, size_t len)
{
    if (!(m->verifier & MDLKIT_VERIFY_FORCE_IRQL_CHECKING) || m->irql < DISPATCH_LEVEL || b->kind != BUF_POOL ||
        !b->paged)
        return SIZE_MAX;
    size_t first = BYTE_OFFSET(b->va);
    for (size_t pos = off; pos < off + len;) {
        size_t page = (first + pos) >> PAGE_SHIFT;
        if (b->trimmed & (1u << page))
            return pos;
        pos = ((page + 1) << PAGE_SHIFT) - first;
    }
    return SIZE_MAX;
}

model_expect model_touch(const model *m, const model_buf *b, size_t off, size_t len, int write)
{
    size_t at = model_first_trimmed(m, b, off, len);
    if (at == SIZE_MAX)
        return exp_ok();
    return exp_bc(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)(b->va + at), m->irql, write ? 1 : 0, EXP_ANY);
}

void model_buf_set(model_buf *b, size_t off, const unsigned char *src, size_t n) { memcpy(b->shadow + off, src, n); }

int model_check(const char *what, const unsigned char *alias, const unsigned char *shadow, size_t n)
{
    if (memcmp(alias, shadow, n) == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (alias[i] != shadow[i]) {
            fprintf(stderr, "fuzz: data mismatch through %s at +%zu (%p): got %02x, model says %02x\n", what, i,
                    (const void *)(alias + i), alias[i], shadow[i]);
            break;
        }
    return -1;
}

model_expect model_pool_alloc(const model *m, POOL_TYPE type, int paged, SIZE_T bytes, ULONG tag)
{
    /* The automatic checks are BAD_POOL_CALLER without the verifier and
     * their 0xC4 forms with any option on (docs/ddi-notes.md "Automatic
     * checks"); DDI compliance reports a bad IRQL as its rule
     * IrqlExAllocatePool first (docs/verifier.md). */
    if (bytes == 0)
        return m->verifier ? exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, m->irql, type, 0)
                           : exp_bc(BAD_POOL_CALLER, 0x00, 0, type, tag);
    if (paged && m->irql > APC_LEVEL) {
        if (m->verifier & MDLKIT_VERIFY_DDI_COMPLIANCE)
            return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020004, EXP_ANY, type, m->irql);
        if (m->verifier)
            return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x01, m->irql, type, bytes);
        return exp_bc(BAD_POOL_CALLER, 0x08, m->irql, type, bytes);
    }
    return exp_ok();
}

model_expect model_pool_free(const model *m, const model_buf *b, ULONG tag_used, int double_free)
{
    if (double_free)
        return m->verifier ? exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, 0, (ULONG_PTR)b->va, b->tag)
                           : exp_bc(BAD_POOL_CALLER, 0x07, 0, b->tag, (ULONG_PTR)b->va);
    if (b->paged && m->irql > APC_LEVEL)
        return m->verifier ? exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11, m->irql, 1, (ULONG_PTR)b->va)
                           : exp_bc(BAD_POOL_CALLER, 0x09, m->irql, 1, (ULONG_PTR)b->va);
    /* (a wrong tag is 0xC2/0x0A with or without the verifier) */
    if (tag_used != 0 && tag_used != b->tag)
        return exp_bc(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)b->va, b->tag, tag_used);
    return exp_ok();
}

model_expect model_probe(const model *m, const model_mdl *d, const model_buf *b, KPROCESSOR_MODE mode,
                         LOCK_OPERATION op)
{
    /* Probing an MDL that is locked, built for non-paged pool, partial or
     * mapped: 0xC4/0xB0 (MDL, flags, offending flags). */
    if (d->state == MS_LOCKED)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, (ULONG_PTR)d->mdl, EXP_ANY,
                      d->sysva && d->own_map ? (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA) : MDL_PAGES_LOCKED);
    if (d->state == MS_BUILT)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, (ULONG_PTR)d->mdl, EXP_ANY, MDL_SOURCE_IS_NONPAGED_POOL);
    if (d->state == MS_PARTIAL)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, (ULONG_PTR)d->mdl, EXP_ANY, EXP_ANY);
    int user = b->kind == BUF_USER;
    if (mode == UserMode && !user)
        return exp_raise(STATUS_ACCESS_VIOLATION);
    int pageable = user || (b->kind == BUF_POOL && b->paged);
    if (pageable && m->irql >= DISPATCH_LEVEL)
        /* P1: what the probe touches first, the range's first byte */
        return exp_bc(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)(b->va + d->off), m->irql,
                      op != IoReadAccess ? 1 : 0, EXP_ANY);
    if (user && b->prot == PAGE_NOACCESS)
        return exp_raise(STATUS_ACCESS_VIOLATION);
    if (user && b->prot == PAGE_READONLY && op != IoReadAccess)
        return exp_raise(STATUS_ACCESS_VIOLATION);
    return exp_ok();
}

model_expect model_build(const model *m, const model_mdl *d, const model_buf *b, USHORT flags)
{
    /* Paged pool -- wherever the block lives, special pool included -- is
     * DDI compliance's 0xC4/0x7F (IRQL, MDL, flags) (docs/verifier.md). */
    if (b->kind == BUF_POOL && b->paged && (m->verifier & MDLKIT_VERIFY_DDI_COMPLIANCE))
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, m->irql, (ULONG_PTR)d->mdl, flags);
    return exp_ok();
}

model_expect model_unlock(const model *m, const model_mdl *d)
{
    (void)m;
    switch (d->state) {
    case MS_PARTIAL:
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB4, (ULONG_PTR)d->mdl, EXP_ANY, MDL_PARTIAL);
    case MS_BUILT:
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, (ULONG_PTR)d->mdl, EXP_ANY, 0);
    case MS_ALLOC:
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, (ULONG_PTR)d->mdl, EXP_ANY, 0);
    case MS_UNLOCKED:
        /* Unlocked more often than locked (docs/ddi-notes.md). */
        if (m->buf[d->buf].kind == BUF_USER)
            return exp_bc(PROCESS_HAS_LOCKED_PAGES, 0x01, (ULONG_PTR)d->mdl, EXP_ANY, 0);
        return exp_bc(PFN_LIST_CORRUPT, 0x07, EXP_ANY, EXP_ANY, 0);
    default:
        return exp_ok();
    }
}

model_expect model_map_user(const model *m, const model_mdl *d)
{
    if (m->irql > APC_LEVEL)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x77, m->irql, (ULONG_PTR)d->mdl, UserMode);
    if (d->state != MS_LOCKED && d->state != MS_BUILT && d->state != MS_PARTIAL)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB3, (ULONG_PTR)d->mdl, EXP_ANY, MDL_PAGES_LOCKED);
    return exp_ok();
}

model_expect model_map_kernel_again(const model *m, const model_mdl *d)
{
    (void)m;
    if (d->state == MS_LOCKED && d->sysva)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, (ULONG_PTR)d->mdl, EXP_ANY, MDL_MAPPED_TO_SYSTEM_VA);
    if (d->state == MS_BUILT)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, (ULONG_PTR)d->mdl, EXP_ANY, MDL_SOURCE_IS_NONPAGED_POOL);
    if (d->state == MS_ALLOC || d->state == MS_UNLOCKED)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB3, (ULONG_PTR)d->mdl, EXP_ANY, MDL_PAGES_LOCKED);
    return exp_ok(); /* a locked MDL that is not mapped yet: a first mapping */
}

model_expect model_free_mdl(const model *m, const model_mdl *d)
{
    (void)m;
    if (d->state == MS_LOCKED && d->sysva)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, (ULONG_PTR)d->mdl, EXP_ANY, 0);
    if (d->state == MS_LOCKED)
        return exp_bc(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, EXP_ANY, 0, (ULONG_PTR)d->mdl,
                      ADDRESS_AND_SIZE_TO_SPAN_PAGES(m->buf[d->buf].va + d->off, d->len));
    return exp_ok();
}

model_expect model_partial(const model *m, const model_mdl *src, size_t off, ULONG len, PMDL target)
{
    (void)m;
    const unsigned char *va = m->buf[src->buf].va + src->off + off;
    if (off + len > src->len)
        return exp_bc(INVALID_MDL_RANGE, (ULONG_PTR)src->mdl, (ULONG_PTR)target, (ULONG_PTR)va, len);
    return exp_ok();
}

model_expect model_pages_irql(const model *m, ULONG_PTR routine)
{
    /* Allowed up to DISPATCH_LEVEL; DDI compliance checks the rule
     * IrqlMmApcLte (docs/verifier.md). */
    if ((m->verifier & MDLKIT_VERIFY_DDI_COMPLIANCE) && m->irql > APC_LEVEL)
        return exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020019, EXP_ANY, routine, m->irql);
    return exp_ok();
}
