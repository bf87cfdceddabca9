/*
 * usermem.c -- user-mode buffers in the simulated user region:
 * mdlkit_user_alloc / mdlkit_user_protect, and the machine's half of
 * mdlkit_user_free (src/mm/userbuf.c checks for locked pages first).
 *
 * A buffer is backed by real frames (in scattered 64 KiB runs) mapped with
 * the requested protection, starts on a 64 KiB boundary (the Windows
 * allocation granularity) and is followed by an unmapped guard page. Its
 * pages keep their Windows protection in the page table, which is what
 * MmProbeAndLockPages checks for UserMode probes.
 */
#include "mk_machine.h"

#include <stdlib.h>

#define UM_ALIGN_PAGES 16

static int um_prot(ULONG protect, unsigned *prot)
{
    switch (protect) {
    case PAGE_NOACCESS:
        *prot = 0;
        return 0;
    case PAGE_READONLY:
        *prot = MK_PG_READ;
        return 0;
    case PAGE_READWRITE:
        *prot = MK_PG_READ | MK_PG_WRITE;
        return 0;
    default:
        return -1;
    }
}

/* Frees the frames behind [va, va+npages) and unmaps them. */
static void um_release(char *va, size_t npages)
{
    size_t idx = mk_va_index(va);
    PFN_NUMBER *pfns = malloc(npages * sizeof *pfns);
    size_t n = 0;
    for (size_t k = 0; k < npages; k++)
        if (mk_as.bits[idx + k] & MK_PG_MAPPED)
            pfns[n++] = mk_as.pfn[idx + k];
    mk_va_unmap(va, npages);
    if (pfns) {
        mk_phys_free_list(pfns, n);
        free(pfns);
    }
}

void *mdlkit_user_alloc(SIZE_T bytes, ULONG protect)
{
    MK_ENTER("mdlkit_user_alloc");
    unsigned prot;
    if (bytes == 0 || um_prot(protect, &prot))
        return NULL;
    size_t npages = BYTES_TO_PAGES(bytes);
    char *va = mk_va_alloc(MK_RGN_USER, npages + 1, UM_ALIGN_PAGES); /* + guard page */
    if (!va)
        return NULL;
    size_t done = 0;
    while (done < npages) {
        size_t want = npages - done < MK_CHUNK_PAGES ? npages - done : MK_CHUNK_PAGES;
        PFN_NUMBER first;
        while (want > 1 && mk_phys_alloc_run(want, 0, 0, 0, MK_USE_USER, &first) != 0)
            want /= 2;
        if (want == 1 && mk_phys_alloc_run(1, 0, 0, 0, MK_USE_USER, &first) != 0)
            goto fail;
        if (mk_va_map(va + (done << PAGE_SHIFT), first, want, prot) != 0) {
            mk_phys_free(first, want);
            goto fail;
        }
        done += want;
    }
    mk_va_mark(va, MK_PG_START, 0);
    return va;
fail:
    if (done)
        um_release(va, done);
    mk_va_free(MK_RGN_USER, va, npages + 1);
    return NULL;
}

size_t mk_user_pages(const void *p)
{
    if (mk_va_region(p) != MK_RGN_USER || BYTE_OFFSET(p) || !(mk_va_bits(p) & MK_PG_START))
        return 0;
    size_t idx = mk_va_index(p), n = 1;
    size_t limit = (size_t)(mk_as.rgn_end[MK_RGN_USER] - (char *)p) >> PAGE_SHIFT;
    while (n < limit && (mk_as.bits[idx + n] & MK_PG_MAPPED) && !(mk_as.bits[idx + n] & MK_PG_START))
        n++;
    return n;
}

void mk_user_release(void *p, size_t npages)
{
    um_release(p, npages);
    mk_va_free(MK_RGN_USER, p, npages + 1);
}

int mdlkit_user_protect(void *p, SIZE_T bytes, ULONG protect)
{
    MK_ENTER("mdlkit_user_protect");
    unsigned prot;
    if (!bytes || um_prot(protect, &prot) || mk_va_region(p) != MK_RGN_USER || BYTE_OFFSET(p))
        return -1;
    size_t npages = BYTES_TO_PAGES(bytes), idx = mk_va_index(p);
    if ((char *)p + (npages << PAGE_SHIFT) > mk_as.rgn_end[MK_RGN_USER])
        return -1;
    for (size_t k = 0; k < npages; k++)
        if (!(mk_as.bits[idx + k] & MK_PG_MAPPED))
            return -1;
    return mk_va_protect(p, npages, prot, 0);
}
