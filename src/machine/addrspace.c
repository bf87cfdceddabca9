/*
 * addrspace.c -- the simulated address space: one PROT_NONE reservation
 * split into regions (see mk_machine.h), per-page PFN and access tables
 * (O(1) VA -> PFN), VA allocators per region, and mapping of frames with
 * MAP_SHARED|MAP_FIXED so that two addresses of one frame really alias.
 *
 * Every mk_va_map is one mmap and therefore one kernel VMA; the process may
 * have at most vm.max_map_count of them, so a budget is kept and a mapping
 * that would exceed it fails cleanly.
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

mk_addrspace mk_as;
PVOID MmHighestUserAddress;
PVOID MmSystemRangeStart;
ULONG_PTR MmUserProbeAddress;

#define AS_RUN_START 0x80 /* internal page bit: first page of one mmap()ed run */
#define AS_ALIGN ((size_t)2 << 20)
#define AS_USER_GUARD ((size_t)64 << 10) /* no-access top of user space */

void mk_addrspace_shutdown(void);

static char *as_mapping;    /* what mmap returned for the reservation */
static size_t as_mapping_len;

int mk_va_host_prot(unsigned prot)
{
    int p = PROT_NONE;
    if (prot & MK_PG_READ)
        p |= PROT_READ;
    if (prot & MK_PG_WRITE)
        p |= PROT_READ | PROT_WRITE;
    if (prot & MK_PG_EXEC)
        p |= PROT_READ | PROT_EXEC;
    return p;
}

static long as_read_max_map_count(void)
{
    long v = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 65530;
        fclose(f);
    }
    return v;
}

static int as_range_init(mk_vrange *vr, char *base, size_t npages)
{
    vr->base = base;
    vr->npages = npages;
    vr->used = mk_table_alloc((npages + 63) / 64 * sizeof(uint64_t));
    vr->hint = 0;
    vr->in_use = 0;
    pthread_mutex_init(&vr->lock, NULL);
    return vr->used ? 0 : -1;
}

int mk_addrspace_init(void)
{
    size_t P = mk_phys.npages << PAGE_SHIFT;
    size_t big = P * 4 > ((size_t)1 << 30) ? P * 4 : ((size_t)1 << 30);
    size_t sizes[MK_RGN_COUNT] = {0};
    sizes[MK_RGN_USER] = big;
    sizes[MK_RGN_NPOOL] = P;
    sizes[MK_RGN_PPOOL] = P;
    sizes[MK_RGN_SYSMAP] = big;
    sizes[MK_RGN_SPECIAL] = big;
    sizes[MK_RGN_DIRECT] = P;
    size_t total = 0;
    for (int r = MK_RGN_USER; r < MK_RGN_GAP; r++)
        total += sizes[r];

    memset(&mk_as, 0, sizeof mk_as);
    as_mapping_len = total + AS_ALIGN;
    as_mapping = mmap(NULL, as_mapping_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (as_mapping == MAP_FAILED) {
        fprintf(stderr, "mdlkit_init: cannot reserve %zu MiB of address space for %zu MiB of RAM: %s\n",
                as_mapping_len >> 20, P >> 20, strerror(errno));
        as_mapping = NULL;
        return -1;
    }
    mk_as.base = (char *)(((uintptr_t)as_mapping + AS_ALIGN - 1) & ~(uintptr_t)(AS_ALIGN - 1));
    mk_as.size = total;
    char *p = mk_as.base;
    for (int r = MK_RGN_USER; r < MK_RGN_GAP; r++) {
        mk_as.rgn_base[r] = p;
        p += sizes[r];
        mk_as.rgn_end[r] = p;
    }
    size_t pages = total >> PAGE_SHIFT;
    mk_as.pfn = mk_table_alloc(pages * sizeof(uint32_t));
    mk_as.bits = mk_table_alloc(pages);
    if (!mk_as.pfn || !mk_as.bits)
        goto nomem;
    for (int r = MK_RGN_USER; r < MK_RGN_DIRECT; r++) {
        size_t n = sizes[r] >> PAGE_SHIFT;
        if (r == MK_RGN_USER)
            n -= AS_USER_GUARD >> PAGE_SHIFT; /* never hand out the top 64 KiB */
        /* page 0 of the user region stays unused too (NULL-like low addresses) */
        if (as_range_init(&mk_as.range[r], mk_as.rgn_base[r], n))
            goto nomem;
    }
    /* Keep the first 64 KiB of user space unallocated, as Windows does. */
    for (size_t i = 0; i < (AS_USER_GUARD >> PAGE_SHIFT); i++)
        mk_as.range[MK_RGN_USER].used[i >> 6] |= 1ULL << (i & 63);

    /* The direct map: all of physical memory, once, contiguously. */
    if (mmap(mk_as.rgn_base[MK_RGN_DIRECT], P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mk_phys.fd, 0) ==
        MAP_FAILED) {
        fprintf(stderr, "mdlkit_init: cannot map simulated RAM: %s\n", strerror(errno));
        goto fail;
    }
    long maxmaps = as_read_max_map_count();
    mk_as.maps_budget = maxmaps / 2 > 30000 ? 30000 : maxmaps / 2;
    atomic_store(&mk_as.maps_in_use, 0);

    MmUserProbeAddress = (ULONG_PTR)(mk_as.rgn_end[MK_RGN_USER] - AS_USER_GUARD);
    MmHighestUserAddress = (PVOID)(MmUserProbeAddress - 1);
    MmSystemRangeStart = mk_as.rgn_base[MK_RGN_NPOOL];
    return 0;
nomem:
    fprintf(stderr, "mdlkit_init: out of host memory for the address-space tables\n");
fail:
    mk_addrspace_shutdown();
    return -1;
}

void mk_addrspace_shutdown(void)
{
    for (int r = 0; r < MK_RGN_COUNT; r++) {
        if (mk_as.range[r].used) {
            mk_table_free(mk_as.range[r].used, (mk_as.range[r].npages + 63) / 64 * sizeof(uint64_t));
            pthread_mutex_destroy(&mk_as.range[r].lock);
        }
    }
    size_t pages = mk_as.size >> PAGE_SHIFT;
    mk_table_free(mk_as.pfn, pages * sizeof(uint32_t));
    mk_table_free(mk_as.bits, pages);
    if (as_mapping)
        munmap(as_mapping, as_mapping_len);
    as_mapping = NULL;
    memset(&mk_as, 0, sizeof mk_as);
    MmUserProbeAddress = 0;
    MmHighestUserAddress = NULL;
    MmSystemRangeStart = NULL;
}

/* ---- VA allocators ---- */

/* First clear bit >= i and < end, or end. */
static size_t vr_next_clear(mk_vrange *vr, size_t i, size_t end)
{
    while (i < end) {
        uint64_t w = ~vr->used[i >> 6] >> (i & 63);
        if (w) {
            size_t r = i + (size_t)__builtin_ctzll(w);
            return r < end ? r : end;
        }
        i = (i | 63) + 1;
    }
    return end;
}

static size_t vr_next_set(mk_vrange *vr, size_t i, size_t end)
{
    while (i < end) {
        uint64_t w = vr->used[i >> 6] >> (i & 63);
        if (w) {
            size_t r = i + (size_t)__builtin_ctzll(w);
            return r < end ? r : end;
        }
        i = (i | 63) + 1;
    }
    return end;
}

/* Sets (set != 0) or clears bits [i, i + n) of the range's bitmap: the
 * partial words at the ends, whole words between in one memset (the
 * special pool takes its whole region at once). */
static void vr_fill(mk_vrange *vr, size_t i, size_t n, int set)
{
    size_t end = i + n;
    while (i < end && (i & 63)) {
        size_t b = i & 63, k = 64 - b < end - i ? 64 - b : end - i;
        uint64_t m = (k == 64 ? ~0ULL : ((1ULL << k) - 1)) << b;
        if (set)
            vr->used[i >> 6] |= m;
        else
            vr->used[i >> 6] &= ~m;
        i += k;
    }
    if (end - i >= 64) {
        memset(&vr->used[i >> 6], set ? 0xFF : 0, ((end - i) >> 6) * sizeof(uint64_t));
        i += (end - i) & ~(size_t)63;
    }
    if (i < end) {
        uint64_t m = (1ULL << (end - i)) - 1;
        if (set)
            vr->used[i >> 6] |= m;
        else
            vr->used[i >> 6] &= ~m;
    }
}

static size_t vr_find(mk_vrange *vr, size_t from, size_t end, size_t n, size_t align)
{
    size_t i = from;
    while (i < end) {
        i = vr_next_clear(vr, i, end);
        if (align > 1) {
            size_t abs = (size_t)((vr->base - mk_as.base) >> PAGE_SHIFT) + i;
            size_t aligned = (abs + align - 1) & ~(align - 1);
            i += aligned - abs;
        }
        if (i + n > end)
            return SIZE_MAX;
        size_t u = vr_next_set(vr, i, i + n);
        if (u == i + n)
            return i;
        i = u + 1;
    }
    return SIZE_MAX;
}

void *mk_va_alloc(enum mk_region r, size_t npages, size_t align_pages)
{
    if (r <= MK_RGN_FOREIGN || r >= MK_RGN_DIRECT || npages == 0)
        return NULL;
    mk_vrange *vr = &mk_as.range[r];
    if (npages > vr->npages)
        return NULL;
    pthread_mutex_lock(&vr->lock);
    size_t i = vr_find(vr, vr->hint, vr->npages, npages, align_pages);
    if (i == SIZE_MAX)
        i = vr_find(vr, 0, vr->npages, npages, align_pages);
    if (i == SIZE_MAX) {
        pthread_mutex_unlock(&vr->lock);
        return NULL;
    }
    vr_fill(vr, i, npages, 1);
    vr->hint = i + npages;
    vr->in_use += npages;
    pthread_mutex_unlock(&vr->lock);
    return vr->base + (i << PAGE_SHIFT);
}

void *mk_va_alloc_at(enum mk_region r, void *va, size_t npages)
{
    if (r <= MK_RGN_FOREIGN || r >= MK_RGN_DIRECT || !npages || BYTE_OFFSET(va))
        return NULL;
    mk_vrange *vr = &mk_as.range[r];
    if ((char *)va < vr->base)
        return NULL;
    size_t i = (size_t)((char *)va - vr->base) >> PAGE_SHIFT;
    if (i >= vr->npages || npages > vr->npages - i)
        return NULL;
    pthread_mutex_lock(&vr->lock);
    if (vr_next_set(vr, i, i + npages) != i + npages) {
        pthread_mutex_unlock(&vr->lock);
        return NULL;
    }
    vr_fill(vr, i, npages, 1);
    vr->in_use += npages;
    pthread_mutex_unlock(&vr->lock);
    return va;
}

void mk_va_free(enum mk_region r, void *va, size_t npages)
{
    if (r <= MK_RGN_FOREIGN || r >= MK_RGN_DIRECT || !va || !npages)
        return;
    mk_vrange *vr = &mk_as.range[r];
    size_t i = (size_t)((char *)va - vr->base) >> PAGE_SHIFT;
    if (i + npages > vr->npages)
        return;
    pthread_mutex_lock(&vr->lock);
    vr_fill(vr, i, npages, 0);
    vr->in_use -= npages;
    pthread_mutex_unlock(&vr->lock);
}

/* ---- mapping ---- */

static bool as_in_mappable_region(const void *va, size_t npages)
{
    enum mk_region r = mk_va_region(va);
    if (r == MK_RGN_FOREIGN || r == MK_RGN_DIRECT || r == MK_RGN_GAP)
        return false;
    const char *end = (const char *)va + (npages << PAGE_SHIFT) - 1;
    return mk_va_region(end) == r && BYTE_OFFSET(va) == 0;
}

int mk_va_map(void *va, PFN_NUMBER first, size_t npages, unsigned prot)
{
    if (!npages || !as_in_mappable_region(va, npages) || !mk_pfn_is_ram(first) ||
        !mk_pfn_is_ram(first + npages - 1))
        return -1;
    if (atomic_fetch_add(&mk_as.maps_in_use, 1) >= mk_as.maps_budget) {
        atomic_fetch_sub(&mk_as.maps_in_use, 1);
        return -1;
    }
    off_t off = (off_t)(first - mk_phys.first) << PAGE_SHIFT;
    if (mmap(va, npages << PAGE_SHIFT, mk_va_host_prot(prot), MAP_SHARED | MAP_FIXED, mk_phys.fd, off) == MAP_FAILED) {
        atomic_fetch_sub(&mk_as.maps_in_use, 1);
        return -1;
    }
    size_t idx = mk_va_index(va);
    for (size_t k = 0; k < npages; k++) {
        mk_as.pfn[idx + k] = (uint32_t)(first + k);
        uint8_t keep = mk_as.bits[idx + k] & MK_PG_START;
        mk_as.bits[idx + k] = (uint8_t)(keep | MK_PG_MAPPED | (prot & (MK_PG_READ | MK_PG_WRITE | MK_PG_EXEC)));
    }
    mk_as.bits[idx] |= AS_RUN_START;
    return 0;
}

int mk_va_map_list(void *va, const PFN_NUMBER *pfns, size_t npages, unsigned prot)
{
    size_t k = 0;
    while (k < npages) {
        size_t run = 1;
        while (k + run < npages && pfns[k + run] == pfns[k] + run)
            run++;
        if (mk_va_map((char *)va + (k << PAGE_SHIFT), pfns[k], run, prot) != 0) {
            if (k)
                mk_va_unmap(va, k);
            return -1;
        }
        k += run;
    }
    return 0;
}

void mk_va_unmap(void *va, size_t npages)
{
    if (!npages || !as_in_mappable_region(va, npages))
        return;
    size_t idx = mk_va_index(va);
    long runs = 0;
    for (size_t k = 0; k < npages; k++) {
        if (mk_as.bits[idx + k] & AS_RUN_START)
            runs++;
        mk_as.pfn[idx + k] = 0;
        mk_as.bits[idx + k] = 0;
    }
    /* Put the reservation back: anonymous, inaccessible, no backing. */
    mmap(va, npages << PAGE_SHIFT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    atomic_fetch_sub(&mk_as.maps_in_use, runs);
}

/* mprotect and the page bits of [va, va + npages pages); with mapped_only
 * the bits of pages that are not mapped stay as they are. */
static int as_protect(void *va, size_t npages, unsigned prot, unsigned extra, int mapped_only)
{
    if (!npages || !as_in_mappable_region(va, npages))
        return -1;
    if (mprotect(va, npages << PAGE_SHIFT, mk_va_host_prot(prot)) != 0)
        return -1;
    size_t idx = mk_va_index(va);
    for (size_t k = 0; k < npages; k++) {
        uint8_t b = mk_as.bits[idx + k];
        if (mapped_only && !(b & MK_PG_MAPPED))
            continue;
        b &= (uint8_t)~(MK_PG_READ | MK_PG_WRITE | MK_PG_EXEC | MK_PG_TRIMMED | MK_PG_GUARD);
        b |= (uint8_t)((prot & (MK_PG_READ | MK_PG_WRITE | MK_PG_EXEC)) | (extra & (MK_PG_TRIMMED | MK_PG_GUARD)));
        mk_as.bits[idx + k] = b;
    }
    return 0;
}

int mk_va_protect(void *va, size_t npages, unsigned prot, unsigned extra)
{
    return as_protect(va, npages, prot, extra, 0);
}

void mk_va_mark(void *va, unsigned set_bits, unsigned clear_bits)
{
    enum mk_region r = mk_va_region(va);
    if (r == MK_RGN_FOREIGN || r == MK_RGN_DIRECT)
        return;
    size_t idx = mk_va_index(va);
    mk_as.bits[idx] = (uint8_t)((mk_as.bits[idx] & ~clear_bits) | set_bits);
}

/* ---- guard markers and spans (the verifier's special pool) ---- */

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 */
#endif

int mk_va_guard(void *va, size_t npages)
{
    if (!npages || !as_in_mappable_region(va, npages))
        return -1;
    size_t idx = mk_va_index(va);
    for (size_t k = 0; k < npages; k++)
        if (mk_as.bits[idx + k] & MK_PG_MAPPED)
            return -1;
    return madvise(va, npages << PAGE_SHIFT, MADV_GUARD_INSTALL) == 0 ? 0 : -1;
}

int mk_va_protect_span(void *va, size_t npages, unsigned prot, unsigned extra)
{
    return as_protect(va, npages, prot, extra, 1);
}
